/* cmd_label.c: packaging labels from the command line.
 *
 *   seclabel label ID [--format png|svg|pdf|zpl|term] [--layout full|compact|qr] [--size WxH]
 *                     [--dpi N] [--ec L|M|Q|H] [--lang en|de|zh] [-o FILE]
 *   seclabel labels (--manufacturer SLUG | --ids FILE) [--sheet a4|letter] [--crop-marks]
 *                   [--layout full|compact|qr] [--size WxH] [--lang en|de|zh] -o sheet.pdf
 *
 * --lang: the language of the label's words; by default each product's first market's.
 *
 * One label is rendered by the server (GET /p/ID/label.FORMAT); `term` prints the QR code in
 * the terminal with UTF-8 half blocks. Sheets are drawn here with the same rendering module
 * (label.c) from the records the server returns, with a progress bar on a terminal. A product
 * nobody should rely on but that still gets a label (its security updates ended: labeldata.h)
 * comes with a warning on stderr; a sheet lists at its end the labels it skipped or warned
 * about. `labels` exits 1 when a product it was asked for gets no label (a listed ID, or a
 * current product of the maker: not one the maker withdrew), or none does. */
#include "cli.h"

#include "decl.h"
#include "err.h"
#include "label.h"
#include "labeldata.h"
#include "qr.h"
#include "reg_limits.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <yyjson.h>

struct label_args {
    const char *id, *out, *format, *layout, *size, *dpi, *ec, *lang;
    const char *manufacturer, *ids, *sheet;
    int crop_marks;
};

/* The options that take a value: for `label` (1), `labels` (2) or both (3). */
static const struct {
    const char *name;
    size_t offset;
    int commands;
} value_opts[] = {
    {"-o", offsetof(struct label_args, out), 3},
    {"--format", offsetof(struct label_args, format), 1},
    {"--layout", offsetof(struct label_args, layout), 3},
    {"--size", offsetof(struct label_args, size), 3},
    {"--dpi", offsetof(struct label_args, dpi), 1},
    {"--ec", offsetof(struct label_args, ec), 3},
    {"--lang", offsetof(struct label_args, lang), 3},
    {"--manufacturer", offsetof(struct label_args, manufacturer), 2},
    {"--ids", offsetof(struct label_args, ids), 2},
    {"--sheet", offsetof(struct label_args, sheet), 2},
};

/* Options shared by label and labels; returns 0, or a usage error. */
static int parse(int argc, char **argv, struct label_args *a, int sheet)
{
    const char *cmd = sheet ? "labels" : "label";
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i];
        const char **slot = NULL;
        for (size_t k = 0; k < sizeof value_opts / sizeof value_opts[0]; k++)
            if (!strcmp(o, value_opts[k].name) && (value_opts[k].commands & (sheet ? 2 : 1)))
                slot = (const char **)((char *)a + value_opts[k].offset);
        if (slot) {
            if (i + 1 >= argc) return cli_usage_error("%s needs a value", o);
            *slot = argv[++i];
        } else if (sheet && !strcmp(o, "--crop-marks")) {
            a->crop_marks = 1;
        } else if (!sheet && !a->id && o[0] != '-') {
            a->id = o;
        } else {
            return cli_usage_error("%s: unexpected argument %s", cmd, o);
        }
    }
    return 0;
}

/* The label options from the arguments (format not included). */
static int options(const struct label_args *a, struct label_opts *o)
{
    label_opts_default(o);
    if (a->layout && labeldata_layout(a->layout, &o->layout))
        return cli_usage_error("--layout is full, compact or qr, not '%s'", a->layout);
    if (a->size && labeldata_size(a->size, &o->width_mm, &o->height_mm))
        return cli_usage_error("--size is WIDTHxHEIGHT in mm, each %g-%g, e.g. 60x40", LABEL_MIN_MM,
                               LABEL_MAX_MM);
    if (a->ec && (strlen(a->ec) != 1 || !strchr("LMQH", a->ec[0])))
        return cli_usage_error("--ec is L, M, Q or H");
    if (a->ec) o->ec_level = a->ec[0];
    if (a->lang && label_lang(a->lang) < 0)
        return cli_usage_error("--lang is one of %s, not '%s'", label_lang_list(), a->lang);
    if (a->dpi) {
        char *end;
        long d = strtol(a->dpi, &end, 10);
        if (*end || d < 72 || d > 1200) return cli_usage_error("--dpi is 72-1200");
        o->dpi = (int)d;
    }
    return 0;
}

static int get_json(struct client *c, const char *path, const char *body, yyjson_doc **doc)
{
    struct client_resp r = {0};
    int rc = client_request(c, body ? "POST" : "GET", path, body, body ? strlen(body) : 0,
                            body ? "application/json" : NULL, &r);
    if (!rc && r.status != 200) rc = client_report_error(&r);
    if (!rc && !(*doc = yyjson_read(r.body.data, r.body.len, 0))) {
        fprintf(stderr, "seclabel: the server's answer to %s is not JSON\n", path);
        rc = CLI_FAILED;
    }
    buf_free(&r.body);
    return rc;
}

/* "seclabel: warning: <id>: <why>" on stderr. */
static void print_warning(yyjson_val *rec, const char *why)
{
    fprintf(stderr, "seclabel: %swarning%s: ", cli_colour(stderr, CLI_RED),
            cli_colour(stderr, CLI_RESET));
    cli_put(stderr, yyjson_get_str(yyjson_obj_get(rec, "id")));
    fputs(": ", stderr);
    cli_put(stderr, why);
    fputc('\n', stderr);
}

/* Say on stderr when record rec's label comes with a warning (labeldata.h: a product nobody
 * should rely on that still gets a label, e.g. one whose security updates ended). */
static void warn_label(yyjson_val *rec)
{
    struct labeldata d;
    struct label_info info;
    struct reg_why why;
    const char *url = yyjson_get_str(yyjson_obj_get(rec, "qr_url"));
    if (url && !labeldata_from_record(rec, url, &d, &info, &why) && why.text[0])
        print_warning(rec, why.text);
}

/* The QR code in the terminal: two module rows per text line, light modules drawn, so it scans
 * from a dark terminal as from paper; a 2-module quiet zone. */
static void print_qr(const struct qr *q)
{
    static const char *const cells[4] = {" ", "▄", "▀", "█"}; /* index: top light<<1 | bottom */
    int w = q->width, quiet = 2;
    for (int y = -quiet; y < w + quiet; y += 2) {
        for (int x = -quiet; x < w + quiet; x++) {
            int top = y < 0 || y >= w || x < 0 || x >= w || !q->modules[y * w + x];
            int y2 = y + 1;
            int bottom = y2 < 0 || y2 >= w || x < 0 || x >= w || !q->modules[y2 * w + x];
            fputs(cells[top << 1 | bottom], stdout);
        }
        putchar('\n');
    }
}

static int label_term(struct client *c, const struct label_args *a, const struct label_opts *o)
{
    char path[DECL_ID_MAX + 16];
    yyjson_doc *doc = NULL;
    snprintf(path, sizeof path, "/v1/products/%s", a->id);
    int rc = get_json(c, path, NULL, &doc);
    if (rc) return rc;
    yyjson_val *rec = yyjson_doc_get_root(doc);
    const char *url = yyjson_get_str(yyjson_obj_get(rec, "qr_url"));
    warn_label(rec);
    struct qr q = {0};
    if (!url || qr_encode(url, o->ec_level, &q)) {
        fprintf(stderr, "seclabel: cannot make a QR code for %s\n", a->id);
        rc = CLI_FAILED;
    } else {
        print_qr(&q);
        cli_put(stdout, yyjson_get_str(yyjson_obj_get(rec, "product_name")));
        fputs("\nSecurity updates until ", stdout);
        cli_put(stdout, yyjson_get_str(yyjson_obj_get(rec, "support_date")));
        putchar('\n');
        cli_put(stdout, url);
        putchar('\n');
    }
    qr_free(&q);
    yyjson_doc_free(doc);
    return rc;
}

int cmd_label(int argc, char **argv, struct client *c)
{
    struct label_args a;
    struct label_opts o;
    enum label_format f = LABEL_PNG;
    if (parse(argc, argv, &a, 0) || options(&a, &o)) return CLI_USAGE;
    if (!a.id) return cli_usage_error("label needs a product ID");
    if (!decl_id_valid(a.id, strlen(a.id)))
        return cli_usage_error("'%s' is not a product ID", a.id);
    if (a.format && !strcmp(a.format, "term")) return label_term(c, &a, &o);
    if (a.format && labeldata_format(a.format, &f))
        return cli_usage_error("--format is png, svg, pdf, zpl or term, not '%s'", a.format);
    struct buf path = BUF_INIT, def = BUF_INIT;
    buf_printf(&path, "/p/%s/label.%s?layout=%s&ec=%c&dpi=%d", a.id, labeldata_ext(f),
               o.layout == LABEL_COMPACT ? "compact"
               : o.layout == LABEL_QR    ? "qr"
                                         : "full",
               o.ec_level, o.dpi);
    if (a.size) buf_printf(&path, "&width_mm=%g&height_mm=%g", o.width_mm, o.height_mm);
    if (a.lang) buf_printf(&path, "&lang=%s", a.lang);
    buf_printf(&def, "%s.%s", a.id, labeldata_ext(f));
    const char *out = a.out ? a.out : buf_cstr(&def);
    struct client_resp r = {0};
    /* The record first: a label nobody should rely on comes with a warning. */
    char rpath[DECL_ID_MAX + 16];
    yyjson_doc *rec = NULL;
    snprintf(rpath, sizeof rpath, "/v1/products/%s", a.id);
    int rc = get_json(c, rpath, NULL, &rec);
    if (!rc) warn_label(yyjson_doc_get_root(rec));
    yyjson_doc_free(rec);
    if (!rc) rc = client_request(c, "GET", buf_cstr(&path), NULL, 0, NULL, &r);
    if (!rc && r.status == 200) {
        if (!strcmp(out, "-")) {
            rc = fwrite(r.body.data, 1, r.body.len, stdout) == r.body.len ? CLI_OK : CLI_FAILED;
        } else {
            rc = cli_write_file(out, r.body.data, r.body.len);
            if (!rc) printf("wrote %s (%zu bytes)\n", out, r.body.len);
        }
    } else if (!rc) {
        rc = client_report_error(&r);
    }
    buf_free(&r.body);
    buf_free(&path);
    buf_free(&def);
    return rc;
}

/* ---- sheets ---- */

struct progress {
    int tty;
    size_t done, total;
    struct timespec start;
};

static void progress_show(struct progress *p, int last)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double s = (double)(now.tv_sec - p->start.tv_sec) + (now.tv_nsec - p->start.tv_nsec) / 1e9;
    double rate = s > 0 ? (double)p->done / s : 0;
    if (p->tty) {
        int width = 30, fill = p->total ? (int)(width * p->done / p->total) : width;
        double eta = rate > 0 ? (double)(p->total - p->done) / rate : 0;
        fprintf(stderr, "\r[%.*s%.*s] %zu/%zu  %.0f labels/s  ETA %.0fs ", fill,
                "##############################", width - fill, "..............................",
                p->done, p->total, rate, eta);
        if (last) fputc('\n', stderr);
    } else if (last || p->done % 100 == 0) {
        fprintf(stderr, "labels: %zu/%zu (%.0f/s)\n", p->done, p->total, rate);
    }
}

/* The records to print, kept in the response documents they came in. */
struct records {
    yyjson_doc **docs;
    size_t ndocs;
    yyjson_val **items;
    size_t n;
    size_t missing; /* IDs the registry does not know */
};

static void records_keep(struct records *r, yyjson_doc *doc)
{
    r->docs = xrealloc(r->docs, (r->ndocs + 1) * sizeof *r->docs);
    r->docs[r->ndocs++] = doc;
}

static void records_add(struct records *r, yyjson_val *rec)
{
    r->items = xrealloc(r->items, (r->n + 1) * sizeof *r->items);
    r->items[r->n++] = rec;
}

static void records_free(struct records *r)
{
    for (size_t i = 0; i < r->ndocs; i++)
        yyjson_doc_free(r->docs[i]);
    free(r->docs);
    free(r->items);
}

/* A manufacturer's products, through the search API's pages. */
static int fetch_mfr(struct client *c, const char *slug, struct records *r)
{
    char cursor[DECL_ID_MAX + 1] = "";
    if (!decl_slug_valid(slug, strlen(slug)))
        return cli_usage_error("'%s' is not a manufacturer slug", slug);
    for (;;) {
        struct buf path = BUF_INIT;
        /* status=any: the withdrawn ones too, so that the sheet says it skipped them */
        buf_printf(&path, "/v1/products?manufacturer=%s&status=any&limit=100%s%s", slug,
                   cursor[0] ? "&cursor=" : "", cursor);
        yyjson_doc *doc = NULL;
        int rc = get_json(c, buf_cstr(&path), NULL, &doc);
        buf_free(&path);
        if (rc) return rc;
        records_keep(r, doc);
        yyjson_val *root = yyjson_doc_get_root(doc), *item;
        size_t i, max;
        yyjson_arr_foreach(yyjson_obj_get(root, "items"), i, max, item)
        {
            records_add(r, item);
        }
        const char *next = yyjson_get_str(yyjson_obj_get(root, "next_cursor"));
        snprintf(cursor, sizeof cursor, "%s", next ? next : "");
        if (!cursor[0]) return 0;
    }
}

/* The products whose IDs a file lists (one per line; # comments), through bulk lookups. */
static int fetch_ids(struct client *c, const char *file, struct records *r)
{
    struct buf text = BUF_INIT;
    int rc = cli_read_file(file, 16 << 20, &text);
    if (rc) return rc;
    const char *p = buf_cstr(&text), *end = p + text.len;
    while (!rc && p < end) {
        yyjson_mut_doc *req = yyjson_mut_doc_new(NULL);
        yyjson_mut_val *root = yyjson_mut_obj(req), *ids = yyjson_mut_arr(req);
        yyjson_mut_doc_set_root(req, root);
        yyjson_mut_obj_add_val(req, root, "ids", ids);
        for (int n = 0; n < REG_MAX_LOOKUP_KEYS && p < end;) {
            size_t len = strcspn(p, "\r\n");
            while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
                len--;
            if (len && p[0] != '#') {
                if (!decl_id_valid(p, len)) {
                    struct buf bad = BUF_INIT;
                    cli_safe(&bad, p, len);
                    rc = cli_usage_error("%s: '%s' is not a product ID", file, buf_cstr(&bad));
                    buf_free(&bad);
                    break;
                }
                yyjson_mut_arr_add_strncpy(req, ids, p, len);
                n++;
            }
            p += strcspn(p, "\n");
            if (p < end) p++;
        }
        char *body = rc ? NULL : yyjson_mut_write(req, 0, NULL);
        yyjson_mut_doc_free(req);
        yyjson_doc *doc = NULL;
        if (body && !(rc = get_json(c, "/v1/lookup", body, &doc))) {
            records_keep(r, doc);
            yyjson_val *res, *list = yyjson_obj_get(yyjson_doc_get_root(doc), "results");
            size_t i, max;
            yyjson_arr_foreach(list, i, max, res)
            {
                yyjson_val *rec = yyjson_obj_get(res, "record");
                if (rec) {
                    records_add(r, rec);
                } else {
                    fputs("seclabel: no product '", stderr);
                    cli_put(stderr, yyjson_get_str(yyjson_obj_get(res, "id")));
                    fputs("' in the registry\n", stderr);
                    r->missing++;
                }
            }
        }
        free(body);
    }
    buf_free(&text);
    return rc;
}

/* The IDs a sheet left out or printed with a warning, listed when it is done; `withdrawn` of
 * the refused were withdrawn by their maker. */
struct sheet_report {
    size_t refused, warned, withdrawn;
    struct buf refused_ids, warned_ids; /* "id, id, ..." */
};

static void report_add(struct buf *ids, size_t *n, yyjson_val *rec)
{
    const char *id = yyjson_get_str(yyjson_obj_get(rec, "id"));
    if ((*n)++) buf_puts(ids, ", ");
    cli_safe(ids, id ? id : "?", id ? strlen(id) : 1);
}

static int draw_sheet(const struct label_args *a, const struct label_opts *o, struct records *r,
                      struct sheet_report *rep)
{
    enum label_paper paper = a->sheet && !strcmp(a->sheet, "letter") ? LABEL_LETTER : LABEL_A4;
    struct reg_why why;
    struct buf pdf = BUF_INIT;
    struct label_sheet *sheet;
    int rc = label_sheet_begin(paper, o, a->crop_marks, &pdf, &sheet, &why);
    if (rc) {
        fprintf(stderr, "seclabel: %s\n", why.text[0] ? why.text : reg_strerror(rc));
        return rc == REG_ENOLABEL ? CLI_USAGE : CLI_FAILED;
    }
    struct progress pg = {.tty = isatty(2), .total = r->n};
    clock_gettime(CLOCK_MONOTONIC, &pg.start);
    for (size_t i = 0; i < r->n && !rc; i++) {
        struct labeldata d;
        struct label_info info;
        yyjson_val *rec = r->items[i];
        const char *url = yyjson_get_str(yyjson_obj_get(rec, "qr_url"));
        int lrc = url ? labeldata_from_record(rec, url, &d, &info, &why)
                      : reg_why_set(&why, REG_EBADREQ, "the registry's record has no qr_url");
        if (!lrc && why.text[0]) { /* printed, but nobody should rely on the product */
            if (pg.tty) fputc('\n', stderr);
            print_warning(rec, why.text);
            report_add(&rep->warned_ids, &rep->warned, rec);
        }
        if (!lrc && a->lang) info.lang = a->lang;
        if (!lrc) lrc = label_sheet_add(sheet, &info, &why);
        if (lrc == REG_ENOLABEL || lrc == REG_EBADREQ) {
            if (pg.tty) fputc('\n', stderr);
            fputs("seclabel: skipped ", stderr);
            cli_put(stderr, yyjson_get_str(yyjson_obj_get(rec, "id")));
            fputs(": ", stderr);
            cli_put(stderr, why.text);
            fputc('\n', stderr);
            report_add(&rep->refused_ids, &rep->refused, rec);
            rep->withdrawn += yyjson_equals_str(yyjson_obj_get(rec, "status"), "withdrawn");
        } else if (lrc) {
            rc = CLI_FAILED;
        }
        pg.done++;
        progress_show(&pg, pg.done == pg.total);
    }
    if (!rc && rep->refused == r->n) {
        fprintf(stderr, "seclabel: none of the products gets a label: nothing was written\n");
        rc = CLI_FAILED;
    }
    if (rc) {
        label_sheet_abort(sheet);
    } else if ((rc = label_sheet_end(sheet))) {
        fprintf(stderr, "seclabel: cannot finish the sheet: %s\n", reg_strerror(rc));
        rc = CLI_FAILED;
    } else {
        rc = cli_write_file(a->out, pdf.data, pdf.len);
    }
    buf_free(&pdf);
    return rc;
}

int cmd_labels(int argc, char **argv, struct client *c)
{
    struct label_args a;
    struct label_opts o;
    struct records r = {0};
    struct sheet_report rep = {0};
    if (parse(argc, argv, &a, 1) || options(&a, &o)) return CLI_USAGE;
    if (!a.manufacturer == !a.ids)
        return cli_usage_error("labels needs --manufacturer SLUG or --ids FILE (one of them)");
    if (!a.out) return cli_usage_error("labels needs -o FILE.pdf");
    if (a.sheet && strcmp(a.sheet, "a4") && strcmp(a.sheet, "letter"))
        return cli_usage_error("--sheet is a4 or letter");
    o.format = LABEL_PDF;
    int rc = a.manufacturer ? fetch_mfr(c, a.manufacturer, &r) : fetch_ids(c, a.ids, &r);
    if (!rc && r.n == 0) {
        fprintf(stderr, "seclabel: no products to print\n");
        rc = CLI_FAILED;
    }
    if (!rc) rc = draw_sheet(&a, &o, &r, &rep);
    if (!rc) {
        size_t n = r.n - rep.refused;
        printf("wrote %s: %zu label%s (%zu with a warning, %zu skipped, %zu not found)\n", a.out, n,
               n == 1 ? "" : "s", rep.warned, rep.refused, r.missing);
    }
    /* The sheet's exceptions, listed together at the end. */
    if (!rc && rep.warned)
        fprintf(stderr, "seclabel: printed with a warning (nobody should rely on them): %s\n",
                buf_cstr(&rep.warned_ids));
    if (!rc && rep.refused)
        fprintf(stderr, "seclabel: skipped (they get no label): %s\n", buf_cstr(&rep.refused_ids));
    /* Exit 1 when a product asked for got no label: each listed ID, or each of the maker's
     * current products. A maker's withdrawn products are not asked for by --manufacturer:
     * withdrawing is how a maker retires a product, and its sheet must still succeed. */
    size_t failed = rep.refused - (a.manufacturer ? rep.withdrawn : 0);
    buf_free(&rep.warned_ids);
    buf_free(&rep.refused_ids);
    records_free(&r);
    return rc ? rc : failed || r.missing ? CLI_FAILED : CLI_OK;
}
