/* cmd_import.c: seclabel import FILE.csv|FILE.jsonl|FILE.json [--default-password P] [--json]
 *
 * A header row + one product per row (csvdecl.h), or one declaration (with its "id") per line,
 * or CTA-2120 documents (ctadecl.h). Every row is checked locally first (the server's own
 * rules); rows go in chunks of 1000: the registry's current records are looked up
 * (POST /v1/lookup) and only rows that are new or changed are sent, up to 1 MiB at a time in one
 * POST /v1/batch (which the registry writes in one commit), over one kept-alive connection.
 * Running it again after an interruption sends only what is missing. Good rows land even when
 * others fail; a summary ends the run (created, updated, unchanged, failed - each failure with
 * its line number and reason) and the exit code is 1 if any row failed.
 *
 * The file is mapped, not read, and rows are parsed a chunk at a time, so memory stays small
 * whatever the file's size (a million rows: the IDs seen so far, to refuse repeats). */
#include "cli.h"

#include "csvdecl.h"
#include "ctadecl.h"
#include "decl.h"
#include "err.h"
#include "product.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yyjson.h>

#define IMPORT_BATCH 1000            /* rows looked up at once; the registry's batch limit */
#define SEND_MAX_BYTES (1024 * 1024) /* per POST /v1/batch; the registry takes up to 2 MiB */
#define ROW_MAX_BYTES (64 * 1024)    /* one declaration: the registry's limit for a PUT body */
#define IMPORT_MAX_CTA (256 << 20)   /* a CTA-2120 file is one JSON document, parsed whole */

struct summary {
    size_t created, updated, unchanged, failed;
};

struct row {
    long line;        /* of the file; for a CTA-2120 file, the entry's number */
    const char *unit; /* "line" or "entry" */
    char id[DECL_ID_MAX + 1];
    yyjson_doc *doc; /* the declaration; NULL once the row has failed */
    const char *text;
    size_t len;
    char *owned; /* text, when the row was converted (CSV, CTA-2120); else NULL */
    int cta;     /* from a CTA-2120 document: not checked until fill_cta_row */
};

/* IDs seen so far in the file, with where: an open-addressing hash set (no library for it in
 * the project's dependencies; it is 40 lines). */
struct seen {
    struct seen_slot {
        char *id; /* NULL: empty */
        long line;
    } * slot;
    size_t cap, n; /* cap: a power of two, kept at most half full */
};

static uint64_t seen_hash(const char *s)
{
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Add id (first seen at line); the line it was first seen at if it was there already, else 0. */
static long seen_add(struct seen *t, const char *id, long line)
{
    if (2 * (t->n + 1) > t->cap) {
        struct seen old = *t;
        t->cap = old.cap ? 2 * old.cap : 1024;
        t->slot = xcalloc(t->cap, sizeof *t->slot);
        t->n = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.slot[i].id) {
                size_t j = seen_hash(old.slot[i].id) & (t->cap - 1);
                while (t->slot[j].id)
                    j = (j + 1) & (t->cap - 1);
                t->slot[j] = old.slot[i];
                t->n++;
            }
        free(old.slot);
    }
    size_t j = seen_hash(id) & (t->cap - 1);
    for (; t->slot[j].id; j = (j + 1) & (t->cap - 1))
        if (!strcmp(t->slot[j].id, id)) return t->slot[j].line;
    t->slot[j].id = xstrdup(id);
    t->slot[j].line = line;
    t->n++;
    return 0;
}

static void seen_free(struct seen *t)
{
    for (size_t i = 0; i < t->cap; i++)
        free(t->slot[i].id);
    free(t->slot);
}

/* Who the token speaks for (GET /v1/whoami): its slug and its account's name. */
struct me {
    char slug[64];
    char *name; /* NULL if the registry did not say */
};

/* The rows of the chunk being read, and the run's state. */
struct rows {
    struct row *v; /* IMPORT_BATCH at most */
    size_t n;
    struct summary *s;
    struct client *c;
    const struct me *me;
    int rc;             /* a fatal error (cannot reach, not authorised): stop sending */
    size_t done, total; /* rows handled, and the estimate for the progress bar */
    struct timespec t0;
    struct seen seen;
};

static void rows_flush(struct rows *r);

/* A new row of the chunk (the full chunk is sent first); valid until the next rows_add. */
static struct row *rows_add(struct rows *r, long line, const char *text, size_t len)
{
    if (r->n == IMPORT_BATCH) rows_flush(r);
    if (!r->v) r->v = xmalloc(IMPORT_BATCH * sizeof *r->v);
    r->v[r->n] = (struct row){.line = line, .unit = "line", .text = text, .len = len};
    return &r->v[r->n++];
}

static void fail(struct summary *s, const struct row *r, const char *fmt, const char *detail)
{
    struct buf why = BUF_INIT;
    buf_printf(&why, fmt, detail);
    fprintf(stderr, "seclabel: %s %ld%s%s%s: ", r->unit, r->line, r->id[0] ? " (" : "", r->id,
            r->id[0] ? ")" : "");
    cli_put(stderr, buf_cstr(&why)); /* the registry's words, or the file's: made safe */
    fputc('\n', stderr);
    buf_free(&why);
    s->failed++;
}

/* Parse and check one line; 0 if it may be sent. */
static int check_row(struct row *r, struct summary *s)
{
    struct decl_errors errs;
    yyjson_read_err err;
    r->doc = yyjson_read_opts((char *)r->text, r->len, 0, NULL, &err);
    yyjson_val *root = yyjson_doc_get_root(r->doc);
    const char *id = yyjson_get_str(yyjson_obj_get(root, "id"));
    if (id && decl_id_valid(id, strlen(id))) snprintf(r->id, sizeof r->id, "%s", id);
    if (r->len > ROW_MAX_BYTES)
        fail(s, r, "%s", "longer than 64 KiB, the registry's limit for one declaration");
    else if (!r->doc)
        fail(s, r, "not JSON: %s", err.msg);
    else if (!r->id[0])
        fail(s, r, "%s", "needs an \"id\" (1-64 letters, digits, '.', '_', '-')");
    else if (r->cta) /* checked once the registry's current record has filled it in */
        return 0;
    else if (decl_validate(root, r->id, &errs)) {
        char why[512];
        snprintf(why, sizeof why, "%s %s (%s)", errs.e[0].path[0] ? errs.e[0].path : "document",
                 errs.e[0].message, errs.e[0].rule);
        fail(s, r, "%s", why);
    } else
        return 0;
    yyjson_doc_free(r->doc);
    r->doc = NULL;
    return -1;
}

/* A row from a CTA-2120 document: fill in, from the product's current record `cur` (may be
 * NULL), what CTA-2120 cannot say, then check it as any row is checked. */
static int fill_cta_row(struct row *r, yyjson_val *cur, struct summary *s)
{
    yyjson_val *decl = yyjson_doc_get_root(r->doc);
    int open =
        !yyjson_obj_get(decl, "default_password") && !yyjson_obj_get(cur, "default_password");
    struct buf text = BUF_INIT;
    ctadecl_fill(decl, cur, &text);
    yyjson_doc_free(r->doc);
    r->doc = NULL;
    free(r->owned);
    r->owned = xstrndup(text.data, text.len);
    r->text = r->owned;
    r->len = text.len;
    r->cta = 0;
    buf_free(&text);
    if (open) { /* a new product whose password rule CTA-2120 left open */
        fail(s, r, "%s", CTADECL_PASSWORD_OPEN);
        return -1;
    }
    return check_row(r, s);
}

/* The registry's current records of rows[0..n) by ID, as a lookup answer (caller frees). */
static int lookup(struct client *c, struct row *rows, size_t n, yyjson_doc **answer)
{
    yyjson_mut_doc *req = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *root = yyjson_mut_obj(req), *ids = yyjson_mut_arr(req);
    yyjson_mut_doc_set_root(req, root);
    yyjson_mut_obj_add_val(req, root, "ids", ids);
    for (size_t i = 0; i < n; i++)
        if (rows[i].doc) yyjson_mut_arr_add_str(req, ids, rows[i].id);
    size_t len;
    char *body = yyjson_mut_write(req, 0, &len);
    yyjson_mut_doc_free(req);
    struct client_resp r = {0};
    int rc = client_request(c, "POST", "/v1/lookup", body, len, "application/json", &r);
    free(body);
    if (!rc && r.status != 200) rc = client_report_error(&r);
    if (!rc && !(*answer = yyjson_read(r.body.data, r.body.len, 0))) rc = CLI_FAILED;
    buf_free(&r.body);
    return rc;
}

static yyjson_val *current(yyjson_doc *answer, const char *id)
{
    yyjson_val *res;
    size_t i, max;
    yyjson_arr_foreach(yyjson_obj_get(yyjson_doc_get_root(answer), "results"), i, max, res)
    {
        if (yyjson_equals_str(yyjson_obj_get(res, "id"), id)) return yyjson_obj_get(res, "record");
    }
    return NULL;
}

/* Count one batch result (the registry's answer for row r). */
static void count_result(struct summary *s, const struct row *r, yyjson_val *res)
{
    const char *what = yyjson_get_str(yyjson_obj_get(res, "result"));
    if (what && (!strcmp(what, "created") || !strcmp(what, "updated")))
        cli_warn_state(stderr, yyjson_doc_get_root(r->doc), "%s %ld (%s)", r->unit, r->line, r->id);
    if (what && !strcmp(what, "created"))
        s->created++;
    else if (what && !strcmp(what, "updated"))
        s->updated++;
    else if (what && !strcmp(what, "unchanged"))
        s->unchanged++;
    else {
        const char *msg = yyjson_get_str(yyjson_obj_get(res, "message"));
        fail(s, r, "refused by the registry: %s", msg ? msg : "no reason given");
    }
}

/* Send rows send[0..n) in one POST /v1/batch (one commit on the server) and count the answers.
 * Returns a fatal error (cannot reach, not authorised, storage failed) or 0. */
static int send_batch(struct client *c, struct row **send, size_t n, struct summary *s)
{
    struct buf body = BUF_INIT;
    buf_puts(&body, "{\"products\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) buf_putc(&body, ',');
        buf_append(&body, send[i]->text, send[i]->len); /* parsed already: valid JSON */
    }
    buf_puts(&body, "]}");
    struct client_resp resp = {0};
    int rc = client_request(c, "POST", "/v1/batch", body.data, body.len, "application/json", &resp);
    buf_free(&body);
    if (!rc && resp.status != 200) rc = client_report_error(&resp);
    yyjson_doc *d = rc ? NULL : yyjson_read(resp.body.data, resp.body.len, 0);
    yyjson_val *results = yyjson_obj_get(yyjson_doc_get_root(d), "results");
    if (!rc && yyjson_arr_size(results) != n) {
        fputs("seclabel: the registry's batch answer does not match the batch sent\n", stderr);
        rc = CLI_FAILED;
    }
    for (size_t i = 0; i < n && !rc; i++)
        count_result(s, send[i], yyjson_arr_get(results, i));
    yyjson_doc_free(d);
    buf_free(&resp.body);
    return rc;
}

static void progress(size_t done, size_t total, const struct timespec *t0, int last)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double secs = (double)(now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
    double rate = secs > 0 ? (double)done / secs : 0;
    if (isatty(2)) {
        int fill = total ? (int)(30 * done / total) : 30;
        fprintf(stderr, "\r[%.*s%.*s] %zu/%zu rows  %.0f rows/s  ETA %.0fs ", fill,
                "##############################", 30 - fill, "..............................", done,
                total, rate, rate > 0 ? (double)(total - done) / rate : 0);
        if (last) fputc('\n', stderr);
    } else if (last || done % 1000 == 0) {
        fprintf(stderr, "import: %zu/%zu rows (%.0f rows/s)\n", done, total, rate);
    }
}

/* The manufacturer the token speaks for, asked once before anything is sent. */
static int whoami(struct client *c, struct me *me)
{
    struct client_resp r = {0};
    int rc = client_request(c, "GET", "/v1/whoami", NULL, 0, NULL, &r);
    if (!rc && r.status != 200) rc = client_report_error(&r);
    yyjson_doc *d = rc ? NULL : yyjson_read(r.body.data, r.body.len, 0);
    yyjson_val *root = yyjson_doc_get_root(d);
    const char *slug = yyjson_get_str(yyjson_obj_get(root, "manufacturer"));
    const char *name = yyjson_get_str(yyjson_obj_get(yyjson_obj_get(root, "account"), "name"));
    if (!rc && (!slug || strlen(slug) >= sizeof me->slug)) {
        fputs("seclabel: the registry did not say who the token belongs to\n", stderr);
        rc = CLI_FAILED;
    }
    if (!rc) {
        memcpy(me->slug, slug, strlen(slug) + 1);
        me->name = name ? xstrdup(name) : NULL;
    }
    yyjson_doc_free(d);
    buf_free(&r.body);
    return rc;
}

/* 0 if row r may be compared with the registry's record cur (NULL: a new product) and sent;
 * else it fails here, saying why: another maker's product is never "unchanged", and a
 * declaration may name only the account's own maker. */
static int row_is_ours(struct row *r, yyjson_val *cur, const struct me *me, struct summary *s)
{
    const char *owner = yyjson_get_str(yyjson_obj_get(cur, "manufacturer"));
    yyjson_val *name = yyjson_obj_get(yyjson_doc_get_root(r->doc), "manufacturer_name");
    char why[256];
    if (cur && (!owner || strcmp(owner, me->slug) != 0)) {
        const char *oname =
            yyjson_get_str(yyjson_obj_get(yyjson_obj_get(cur, "manufacturer_account"), "name"));
        snprintf(why, sizeof why,
                 "belongs to manufacturer '%s'%s%s%s, not to you ('%s'): only its owner can "
                 "change it",
                 owner ? owner : "?", oname ? " (" : "", oname ? oname : "", oname ? ")" : "",
                 me->slug);
    } else if (name && me->name && !yyjson_equals_str(name, me->name)) {
        snprintf(why, sizeof why,
                 "manufacturer_name '%.80s' is not your account's name '%.80s': leave it out or "
                 "give exactly that",
                 yyjson_get_str(name), me->name);
    } else {
        return 0;
    }
    fail(s, r, "%s", why);
    return -1;
}

/* One batch: look up, compare, send what is new or changed in batches of at most
 * SEND_MAX_BYTES. */
static int import_batch(struct client *c, const struct me *me, struct row *rows, size_t n,
                        struct summary *s)
{
    yyjson_doc *answer = NULL;
    size_t live = 0, k = 0, bytes = 0;
    for (size_t i = 0; i < n; i++)
        live += rows[i].doc != NULL;
    int rc = live ? lookup(c, rows, n, &answer) : 0;
    struct row **send = xmalloc((n ? n : 1) * sizeof *send);
    for (size_t i = 0; i < n && !rc; i++) {
        if (!rows[i].doc) continue;
        yyjson_val *cur = current(answer, rows[i].id);
        if (rows[i].cta && fill_cta_row(&rows[i], cur, s)) continue;
        if (row_is_ours(&rows[i], cur, me, s)) continue;
        if (cur && product_same_declaration(cur, yyjson_doc_get_root(rows[i].doc))) {
            s->unchanged++;
            continue;
        }
        if (k && bytes + rows[i].len > SEND_MAX_BYTES) {
            rc = send_batch(c, send, k, s);
            k = bytes = 0;
        }
        send[k++] = &rows[i];
        bytes += rows[i].len + 1;
    }
    if (!rc && k) rc = send_batch(c, send, k, s);
    free(send);
    yyjson_doc_free(answer);
    return rc;
}

/* A CSV row turned into a declaration (or refused with a reason). */
static void csv_row(void *ctx, long line, const char *json, size_t len, const char *error)
{
    struct rows *r = ctx;
    struct row *row = rows_add(r, line, NULL, 0);
    if (error) {
        fail(r->s, row, "%s", error);
        return;
    }
    row->owned = xstrndup(json, len);
    row->text = row->owned;
    row->len = len;
    check_row(row, r->s);
}

/* JSON Lines: each non-blank line a declaration. */
static void jsonl_rows(const char *p, const char *end, struct rows *r)
{
    long line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        line++;
        int blank = nl == p || (len == 1 && p[0] == '\r');
        if (!blank) check_row(rows_add(r, line, p, len), r->s);
        p += len + 1;
    }
}

/* The product IDs the registry has for GTINs gtins[0..n) (NULL where it has none). */
static int ids_for_gtins(struct client *c, char (*gtins)[15], size_t n, char **ids)
{
    for (size_t at = 0; at < n; at += IMPORT_BATCH) {
        size_t k = n - at;
        if (k > IMPORT_BATCH) k = IMPORT_BATCH;
        struct buf body = BUF_INIT;
        buf_puts(&body, "{\"gtins\":[");
        for (size_t i = 0; i < k; i++)
            buf_printf(&body, "%s\"%s\"", i ? "," : "", gtins[at + i]);
        buf_puts(&body, "]}");
        struct client_resp r = {0};
        int rc =
            client_request(c, "POST", "/v1/lookup", body.data, body.len, "application/json", &r);
        buf_free(&body);
        if (!rc && r.status != 200) rc = client_report_error(&r);
        yyjson_doc *d = rc ? NULL : yyjson_read(r.body.data, r.body.len, 0);
        buf_free(&r.body);
        yyjson_val *res = yyjson_obj_get(yyjson_doc_get_root(d), "results");
        for (size_t i = 0; i < k && !rc; i++) {
            const char *id = yyjson_get_str(
                yyjson_obj_get(yyjson_obj_get(yyjson_arr_get(res, i), "record"), "id"));
            ids[at + i] = id ? xstrndup(id, strlen(id)) : NULL;
        }
        yyjson_doc_free(d);
        if (rc) return rc;
    }
    return 0;
}

/* A CTA-2120 file: one document or an array of them, each turned into a declaration
 * (ctadecl.h), the GTINs in QR_code_urls looked up in the registry to find their IDs. */
static int cta_rows(struct client *c, const char *text, size_t len, const char *default_pw,
                    struct rows *r, char *why, size_t whylen)
{
    yyjson_read_err err;
    yyjson_doc *doc = yyjson_read_opts((char *)text, len, 0, NULL, &err);
    if (!doc) {
        snprintf(why, whylen, "not valid JSON: %s at byte %zu", err.msg, err.pos);
        return CLI_FAILED;
    }
    yyjson_val *root = yyjson_doc_get_root(doc);
    size_t n = yyjson_is_arr(root) ? yyjson_arr_size(root) : 1, ng = 0;
    struct key {
        char id[DECL_ID_MAX + 1], gtin[15];
        long lookup; /* index into gtins[] and found[], or -1 */
    } *keys = xmalloc((n ? n : 1) * sizeof *keys);
    char(*gtins)[15] = xmalloc((n ? n : 1) * sizeof *gtins);
    char **found = xcalloc(n ? n : 1, sizeof *found);
    for (size_t i = 0; i < n; i++) {
        struct key *k = &keys[i];
        ctadecl_keys(yyjson_is_arr(root) ? yyjson_arr_get(root, i) : root, k->id, k->gtin);
        k->lookup = !k->id[0] && k->gtin[0] ? (long)ng : -1;
        if (k->lookup >= 0) memcpy(gtins[ng++], k->gtin, 15);
    }
    int rc = ids_for_gtins(c, gtins, ng, found);
    char ns[sizeof r->me->slug + 1]; /* new IDs must lie in the maker's namespace */
    snprintf(ns, sizeof ns, "%s-", r->me->slug);
    for (size_t i = 0; i < n && !rc; i++) {
        yyjson_val *entry = yyjson_is_arr(root) ? yyjson_arr_get(root, i) : root;
        struct key *k = &keys[i];
        if (k->lookup >= 0 && found[k->lookup])
            snprintf(k->id, sizeof k->id, "%s", found[k->lookup]);
        if (!k->id[0]) ctadecl_model_id(entry, ns, k->id);
        struct row *row = rows_add(r, (long)i + 1, NULL, 0);
        row->unit = "entry";
        struct buf decl = BUF_INIT;
        char reason[256];
        if (!k->id[0])
            fail(r->s, row, "%s",
                 "no ID: the QR_code_url names none and there is no product_model to make one");
        else if (ctadecl_to_decl(entry, k->id, k->gtin, default_pw, &decl, reason, sizeof reason))
            fail(r->s, row, "%s", reason);
        else {
            row->owned = xstrndup(decl.data, decl.len);
            row->text = row->owned;
            row->len = decl.len;
            row->cta = 1;
            check_row(row, r->s);
        }
        buf_free(&decl);
    }
    for (size_t i = 0; i < ng; i++)
        free(found[i]);
    free(found);
    free(gtins);
    free(keys);
    yyjson_doc_free(doc);
    return rc;
}

/* A product ID given twice in one file would silently update itself: every repeat after the
 * first fails instead, naming the first. */
static void refuse_repeats(struct rows *r)
{
    for (size_t i = 0; i < r->n; i++) {
        struct row *row = &r->v[i];
        long first = row->doc ? seen_add(&r->seen, row->id, row->line) : 0;
        if (!first) continue;
        char where[64];
        snprintf(where, sizeof where, "%s %ld", row->unit, first);
        fail(r->s, row, "the same ID as %s; each product once per file", where);
        yyjson_doc_free(row->doc);
        row->doc = NULL;
    }
}

/* Send the chunk (unless a fatal error stopped the run) and free its rows. */
static void rows_flush(struct rows *r)
{
    if (!r->rc) {
        refuse_repeats(r);
        r->rc = import_batch(r->c, r->me, r->v, r->n, r->s);
    }
    r->done += r->n;
    if (!r->rc && r->n) progress(r->done, r->total > r->done ? r->total : r->done, &r->t0, 0);
    for (size_t i = 0; i < r->n; i++) {
        yyjson_doc_free(r->v[i].doc);
        free(r->v[i].owned);
    }
    r->n = 0;
}

/* The file, mapped read-only (*len 0 and *data "" for an empty file); unmap with map_free. */
static int map_file(const char *path, const char **data, size_t *len)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "seclabel: cannot open %s: %s\n", path, strerror(errno));
        if (fd >= 0) close(fd);
        return CLI_FAILED;
    }
    *len = (size_t)st.st_size;
    *data = "";
    void *m = *len ? mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (m == MAP_FAILED) {
        fprintf(stderr, "seclabel: cannot read %s: %s\n", path, strerror(errno));
        return CLI_FAILED;
    }
    if (m) {
        madvise(m, *len, MADV_SEQUENTIAL);
        *data = m;
    }
    return 0;
}

static void map_free(const char *data, size_t len)
{
    if (len) munmap((void *)data, len);
}

/* About how many rows text holds: its lines (a CSV cell may hold a line break: then fewer). */
static size_t count_lines(const char *text, size_t len)
{
    size_t n = 0;
    for (const char *p = text, *end = text + len; p < end; p++) {
        p = memchr(p, '\n', (size_t)(end - p));
        if (!p) break;
        n++;
    }
    return n + (len && text[len - 1] != '\n');
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a > b && !strcmp(s + a - b, suffix);
}

int cmd_import(int argc, char **argv, struct client *c)
{
    const char *file = NULL, *default_pw = NULL;
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!strcmp(argv[i], "--default-password") && i + 1 < argc)
            default_pw = argv[++i];
        else if (argv[i][0] != '-' && !file)
            file = argv[i];
        else
            return cli_usage_error("import: unexpected argument %s", argv[i]);
    }
    if (!file)
        return cli_usage_error(
            "usage: import FILE.csv|FILE.jsonl|FILE.json [--default-password P] [--json]");
    int csv = has_suffix(file, ".csv"), cta = has_suffix(file, ".json");
    if (!csv && !cta && !has_suffix(file, ".jsonl"))
        return cli_usage_error("import takes a .csv file (header row), a .jsonl file or a "
                               "CTA-2120 .json document");
    if (!c->token) {
        fputs("seclabel: import needs an API token: set SECLABEL_TOKEN (or --token)\n", stderr);
        return CLI_UNAUTHORISED;
    }
    const char *text;
    size_t len;
    struct me me = {0};
    int rc = whoami(c, &me);
    if (rc) return rc;
    if ((rc = map_file(file, &text, &len))) {
        free(me.name);
        return rc;
    }
    struct summary s = {0};
    struct rows r = {.s = &s, .c = c, .me = &me};
    clock_gettime(CLOCK_MONOTONIC, &r.t0);
    r.total = count_lines(text, len) - (csv && len);
    char why[256];
    if (csv && csvdecl_read(text, len, csv_row, &r, why, sizeof why)) {
        fprintf(stderr, "seclabel: %s: ", file);
        cli_put(stderr, why); /* may quote the file's header */
        fputc('\n', stderr);
        rc = CLI_FAILED;
    } else if (cta && len > IMPORT_MAX_CTA) {
        fprintf(stderr, "seclabel: %s: a CTA-2120 file is read whole: at most %d MB\n", file,
                IMPORT_MAX_CTA >> 20);
        rc = CLI_FAILED;
    } else if (cta && (rc = cta_rows(c, text, len, default_pw, &r, why, sizeof why))) {
        if (rc == CLI_FAILED) fprintf(stderr, "seclabel: %s: %s\n", file, why);
    } else if (!csv && !cta) {
        jsonl_rows(text, text + len, &r);
    }
    rows_flush(&r);
    if (!rc && !r.rc) progress(r.done, r.done, &r.t0, 1);
    if (!rc) rc = r.rc;
    free(r.v);
    seen_free(&r.seen);
    map_free(text, len);
    free(me.name);
    if (rc) return rc;
    if (json)
        printf("{\"created\":%zu,\"updated\":%zu,\"unchanged\":%zu,\"failed\":%zu}\n", s.created,
               s.updated, s.unchanged, s.failed);
    else
        printf("import %s: %zu created, %zu updated, %zu unchanged, %s%zu failed%s\n", file,
               s.created, s.updated, s.unchanged,
               cli_colour(stdout, s.failed ? CLI_RED : CLI_GREEN), s.failed,
               cli_colour(stdout, CLI_RESET));
    return s.failed ? CLI_FAILED : CLI_OK;
}
