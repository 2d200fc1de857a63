/* cmd_transfer.c: seclabel export [--manufacturer SLUG] --format jsonl|csv|cta-2120 [-o FILE]
 *
 * Everything the registry has (or one manufacturer's products), page by page, in a form
 * `seclabel import` (cmd_import.c) takes back: JSON Lines of declarations, or CSV with a header
 * row (csvdecl.h); or as CTA-2120 documents, one JSON array. A product CTA-2120 cannot hold
 * (it lacks fields CTA-2120 requires) is skipped, naming it and what it lacks. The count at the
 * end is of what was written; the exit code is 1 when nothing was (nothing asked for, or all of
 * it skipped), though the file is still a valid empty export. */
#include "cli.h"

#include "csvdecl.h"
#include "decl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yyjson.h>

/* The declaration part of an API record: registry-managed and computed fields left out. */
static yyjson_mut_val *declaration_of(yyjson_mut_doc *doc, yyjson_val *rec)
{
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_val *k, *v;
    size_t i, max;
    yyjson_obj_foreach(rec, i, max, k, v)
    {
        if (!decl_is_registry_field(yyjson_get_str(k)))
            yyjson_mut_obj_add(o, yyjson_val_mut_copy(doc, k), yyjson_val_mut_copy(doc, v));
    }
    return o;
}

/* What an export wrote and skipped. */
struct tally {
    size_t written, skipped;
};

/* Product rec as a CTA-2120 document, or skipped (named on stderr with the registry's reason)
 * when CTA-2120 cannot hold it (422) or it is gone since it was listed (404). */
static int export_cta(struct client *c, yyjson_val *rec, FILE *out, struct tally *t)
{
    char path[DECL_ID_MAX + 32];
    struct client_resp r = {0};
    const char *id = yyjson_get_str(yyjson_obj_get(rec, "id"));
    snprintf(path, sizeof path, "/v1/products/%s/cta-2120", id ? id : "");
    int rc = client_request(c, "GET", path, NULL, 0, NULL, &r);
    if (!rc && r.status == 200) {
        fputs(t->written ? ",\n" : "[\n", out);
        fwrite(r.body.data, 1, r.body.len, out);
        t->written++;
    } else if (!rc && (r.status == 422 || r.status == 404)) {
        yyjson_doc *d = cli_read_safe(r.body.data, r.body.len);
        const char *msg = yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(d), "message"));
        fputs("seclabel: skipped ", stderr);
        cli_put(stderr, id);
        fputs(": ", stderr);
        cli_put(stderr, msg ? msg : "refused");
        fputc('\n', stderr);
        yyjson_doc_free(d);
        t->skipped++;
    } else if (!rc) {
        rc = client_report_error(&r);
    }
    buf_free(&r.body);
    return rc;
}

/* The line that ends an export, on stderr; CLI_FAILED if nothing was written. */
static int export_summary(const struct tally *t, const char *file, const char *mfr,
                          const char *format)
{
    fprintf(stderr, "exported %zu product%s to %s", t->written, t->written == 1 ? "" : "s",
            file ? file : "standard output");
    if (t->skipped) fprintf(stderr, "; skipped %zu, each named above with the reason", t->skipped);
    fputc('\n', stderr);
    if (t->written) return CLI_OK;
    if (t->skipped)
        fprintf(stderr,
                "seclabel: nothing exported: none of the %zu products asked for could be "
                "written as %s\n",
                t->skipped, format);
    else if (mfr)
        fprintf(stderr, "seclabel: nothing exported: manufacturer '%s' has no products\n", mfr);
    else
        fputs("seclabel: nothing exported: the registry has no products\n", stderr);
    return CLI_FAILED;
}

int cmd_export(int argc, char **argv, struct client *c)
{
    const char *mfr = NULL, *format = NULL, *file = NULL;
    for (int i = 0; i < argc; i++) {
        const char **slot = !strcmp(argv[i], "--manufacturer") ? &mfr
                            : !strcmp(argv[i], "--format")     ? &format
                            : !strcmp(argv[i], "-o")           ? &file
                                                               : NULL;
        if (!slot || i + 1 >= argc)
            return cli_usage_error("export: unexpected argument %s", argv[i]);
        *slot = argv[++i];
    }
    int cta = format && !strcmp(format, "cta-2120"), csv = format && !strcmp(format, "csv");
    if (!format || (!cta && !csv && strcmp(format, "jsonl")))
        return cli_usage_error("export needs --format jsonl, csv or cta-2120");
    if (mfr && !decl_slug_valid(mfr, strlen(mfr)))
        return cli_usage_error("'%s' is not a manufacturer slug", mfr);
    FILE *out = file ? fopen(file, "w") : stdout;
    if (!out) {
        fprintf(stderr, "seclabel: cannot write %s\n", file);
        return CLI_FAILED;
    }
    char cursor[DECL_ID_MAX + 1] = "";
    int rc = 0;
    struct tally t = {0};
    struct buf line = BUF_INIT;
    if (csv) {
        csvdecl_write_header(&line);
        fwrite(line.data, 1, line.len, out);
    }
    do {
        struct buf path = BUF_INIT;
        struct client_resp r = {0};
        /* status=any: everything, withdrawn products too (the API lists those on sale) */
        buf_printf(&path, "/v1/products?status=any&limit=100%s%s%s%s", mfr ? "&manufacturer=" : "",
                   mfr ? mfr : "", cursor[0] ? "&cursor=" : "", cursor);
        rc = client_request(c, "GET", buf_cstr(&path), NULL, 0, NULL, &r);
        buf_free(&path);
        if (!rc && r.status != 200) rc = client_report_error(&r);
        yyjson_doc *page = rc ? NULL : yyjson_read(r.body.data, r.body.len, 0);
        buf_free(&r.body);
        yyjson_val *rec, *root = yyjson_doc_get_root(page);
        size_t i, max;
        yyjson_arr_foreach(yyjson_obj_get(root, "items"), i, max, rec)
        {
            if (rc) break;
            if (cta) {
                rc = export_cta(c, rec, out, &t);
            } else if (csv) {
                buf_reset(&line);
                csvdecl_write_row(&line, rec);
                fwrite(line.data, 1, line.len, out);
                t.written++;
            } else {
                yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
                yyjson_mut_doc_set_root(d, declaration_of(d, rec));
                char *json = yyjson_mut_write(d, 0, NULL);
                if (json) {
                    fprintf(out, "%s\n", json);
                    t.written++;
                } else {
                    fputs("seclabel: out of memory\n", stderr);
                    rc = CLI_FAILED;
                }
                free(json);
                yyjson_mut_doc_free(d);
            }
        }
        const char *next = yyjson_get_str(yyjson_obj_get(root, "next_cursor"));
        snprintf(cursor, sizeof cursor, "%s", next ? next : "");
        yyjson_doc_free(page);
    } while (!rc && cursor[0]);
    if (cta && !rc) fputs(t.written ? "\n]\n" : "[]\n", out);
    buf_free(&line);
    int bad = ferror(out);
    if (file)
        bad |= fclose(out) != 0;
    else
        bad |= fflush(out) != 0;
    if (bad) {
        fprintf(stderr, "seclabel: cannot write %s\n", file ? file : "standard output");
        if (!rc) rc = CLI_FAILED;
    }
    return rc ? rc : export_summary(&t, file, mfr, format);
}
