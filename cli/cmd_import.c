/* cmd_import.c: seclabel import FILE.csv|FILE.jsonl|FILE.json [--default-password P] [--json]
 *
 * A header row + one product per row (csvdecl.h), or one declaration (with its "id") per line,
 * or CTA-2120 documents (ctadecl.h). Every row is checked locally first (the server's own
 * rules); rows go in chunks of REG_MAX_BATCH (reg_limits.h): the registry's current records are
 * looked up (POST /v1/lookup) and only rows that are new or changed are sent, up to 1 MiB at a time
 * in one POST /v1/batch (which the registry writes in one commit), over one kept-alive connection.
 * Running it again after an interruption sends only what is missing. Good rows land even when
 * others fail; a summary ends the run (created, updated, unchanged, failed - each failure with
 * its line number and every reason - and every field an update removed) and the exit code is 1
 * if any row failed.
 *
 * Rows of a CSV file and CTA-2120 entries are completed from the product's current record
 * before they are checked: a CSV column the file leaves out keeps the field as it is
 * (csvdecl_keep), CTA-2120 lacks some of our fields (ctadecl_fill), and an ID made from a
 * CTA-2120 model must name the same product (ctadecl_same_product).
 *
 * The file is mapped, not read, and rows are parsed a chunk at a time, so memory stays small
 * whatever the file's size (a million rows: the IDs seen so far, to refuse repeats). */
#include "cli.h"

#include "csvdecl.h"
#include "ctadecl.h"
#include "decl.h"
#include "err.h"
#include "hash.h"
#include "product.h"
#include "reg_limits.h"

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

#define IMPORT_BATCH REG_MAX_BATCH /* rows looked up and sent at once: the registry's limits */
_Static_assert(IMPORT_BATCH <= REG_MAX_LOOKUP_KEYS, "a chunk is looked up in one request");
#define SEND_MAX_BYTES (1024 * 1024) /* per POST /v1/batch, unless one row is larger */
#define BATCH_HEAD "{\"products\":["
#define BATCH_TAIL "]}"
/* One declaration: as much as one POST /v1/batch may carry. Every declaration our rules allow
 * fits (decl.h: 64 items of 2048 characters in version_and_model_numbers, the largest field, is
 * at most 512 KiB; all fields together stay under 1 MiB), so it is the schema that limits a
 * row, never this. */
#define ROW_MAX_BYTES (REG_MAX_BATCH_BODY - sizeof BATCH_HEAD - sizeof BATCH_TAIL + 2)
#define IMPORT_MAX_CTA (256 << 20) /* a CTA-2120 file is one JSON document, parsed whole */

struct summary {
    size_t created, updated, unchanged, failed;
    yyjson_mut_doc *removed; /* [{"line"|"entry": n, "id", "fields": [dotted names]}] */
};

/* What a row needs from the product's current record before it is checked (fill_row). */
enum fill { FILL_NONE, FILL_CTA, FILL_CSV };

struct row {
    long line;        /* of the file; for a CTA-2120 file, the entry's number */
    const char *unit; /* "line" or "entry" */
    char id[DECL_ID_MAX + 1];
    yyjson_doc *doc; /* the declaration; NULL once the row has failed */
    const char *text;
    size_t len;
    char *owned;         /* text, when the row was converted (CSV, CTA-2120); else NULL */
    enum fill fill;      /* not checked until fill_row has completed it */
    const char *derived; /* CTA-2120: the field the ID was made from (static), or NULL */
    char *removed;       /* the fields this update removes, each NUL-terminated (owned), or NULL */
    size_t removed_len;
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
    return hash_fnv1a(s, strlen(s));
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
    struct csvdecl_header hdr; /* a CSV file's columns */
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

/* One line on stderr about row r: "seclabel: line 3 (acme-x): " and the reason. */
static void report(const struct row *r, const char *fmt, const char *detail)
{
    struct buf why = BUF_INIT;
    buf_printf(&why, fmt, detail);
    fprintf(stderr, "seclabel: %s %ld%s%s%s: ", r->unit, r->line, r->id[0] ? " (" : "", r->id,
            r->id[0] ? ")" : "");
    cli_put(stderr, buf_cstr(&why)); /* the registry's words, or the file's: made safe */
    fputc('\n', stderr);
    buf_free(&why);
}

static void fail(struct summary *s, const struct row *r, const char *fmt, const char *detail)
{
    report(r, fmt, detail);
    s->failed++;
}

/* Every problem the checks found in row r, one line each; the row fails. */
static void fail_problems(struct summary *s, const struct row *r, const struct decl_errors *errs)
{
    char why[512];
    for (int i = 0; i < errs->n; i++) {
        const struct decl_error *e = &errs->e[i];
        snprintf(why, sizeof why, "%s %s (%s)", e->path[0] ? e->path : "document", e->why.text,
                 e->rule);
        report(r, "%s", why);
    }
    if (errs->more) report(r, "%s", "more problems than these; fix them and import again");
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
    char limit[32];
    snprintf(limit, sizeof limit, "%zu", (size_t)ROW_MAX_BYTES);
    if (r->len > ROW_MAX_BYTES)
        fail(s, r, "longer than %s bytes, the most one request to the registry carries", limit);
    else if (!r->doc)
        fail(s, r, "not JSON: %s", err.msg);
    else if (!r->id[0])
        fail(s, r, "%s", "needs an \"id\" (1-64 letters, digits, '.', '_', '-')");
    else if (r->fill) /* checked once the registry's current record has completed it */
        return 0;
    else if (decl_validate(root, r->id, &errs))
        fail_problems(s, r, &errs);
    else
        return 0;
    yyjson_doc_free(r->doc);
    r->doc = NULL;
    return -1;
}

/* A CTA-2120 entry or a CSV row: complete it from the product's current record `cur` (may be
 * NULL) - what CTA-2120 cannot say, the columns the CSV file leaves out - then check it as any
 * row is checked. 0 if it may be sent. */
static int fill_row(struct row *r, yyjson_val *cur, const struct csvdecl_header *hdr,
                    struct summary *s)
{
    yyjson_val *decl = yyjson_doc_get_root(r->doc);
    struct reg_why why;
    int open = 0;
    struct buf text = BUF_INIT;
    if (r->fill == FILL_CTA && r->derived && cur &&
        ctadecl_same_product(decl, cur, r->derived, &why)) {
        fail(s, r, "%s", why.text);
        yyjson_doc_free(r->doc);
        r->doc = NULL;
        return -1;
    }
    if (r->fill == FILL_CTA) {
        open =
            !yyjson_obj_get(decl, "default_password") && !yyjson_obj_get(cur, "default_password");
        ctadecl_fill(decl, cur, &text);
    } else {
        csvdecl_keep(decl, cur, hdr, &text);
    }
    yyjson_doc_free(r->doc);
    r->doc = NULL;
    free(r->owned);
    r->owned = xstrndup(text.data ? text.data : "", text.len);
    r->text = r->owned;
    r->len = text.len;
    r->fill = FILL_NONE;
    buf_free(&text);
    if (open) { /* a new product whose password rule CTA-2120 left open */
        fail(s, r, CTADECL_PASSWORD_OPEN, DECL_PASSWORD_CHOICES);
        return -1;
    }
    return check_row(r, s);
}

/* Append to out, each NUL-terminated, the dotted name of every field record cur has and
 * declaration decl lacks (the registry's own fields aside): what writing decl removes. */
static void removed_fields(yyjson_val *cur, yyjson_val *decl, const char *prefix, struct buf *out)
{
    yyjson_val *k, *v;
    size_t i, max;
    yyjson_obj_foreach(cur, i, max, k, v)
    {
        const char *name = yyjson_get_str(k);
        yyjson_val *w = yyjson_obj_get(decl, name);
        if (!*prefix && (decl_is_registry_field(name) || decl_is_account_field(name))) continue;
        if (!w) {
            buf_printf(out, "%s%s", prefix, name);
            buf_putc(out, '\0');
        } else if (yyjson_is_obj(v) && yyjson_is_obj(w)) {
            char inner[256];
            snprintf(inner, sizeof inner, "%s%s.", prefix, name);
            removed_fields(v, w, inner, out);
        }
    }
}

/* Note in the summary that row r's update removed its fields r->removed. */
static void note_removed(struct summary *s, const struct row *r)
{
    if (!s->removed) {
        s->removed = yyjson_mut_doc_new(NULL);
        yyjson_mut_doc_set_root(s->removed, yyjson_mut_arr(s->removed));
    }
    yyjson_mut_doc *d = s->removed;
    yyjson_mut_val *o = yyjson_mut_arr_add_obj(d, yyjson_mut_doc_get_root(d));
    yyjson_mut_val *fields = yyjson_mut_arr(d);
    yyjson_mut_obj_add_int(d, o, r->unit, r->line);
    yyjson_mut_obj_add_strcpy(d, o, "id", r->id);
    yyjson_mut_obj_add_val(d, o, "fields", fields);
    for (const char *p = r->removed; p < r->removed + r->removed_len; p += strlen(p) + 1)
        yyjson_mut_arr_add_strcpy(d, fields, p);
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
    else if (what && !strcmp(what, "updated")) {
        s->updated++;
        if (r->removed) note_removed(s, r);
    } else if (what && !strcmp(what, "unchanged"))
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
    buf_puts(&body, BATCH_HEAD);
    for (size_t i = 0; i < n; i++) {
        if (i) buf_putc(&body, ',');
        buf_append(&body, send[i]->text, send[i]->len); /* parsed already: valid JSON */
    }
    buf_puts(&body, BATCH_TAIL);
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
 * SEND_MAX_BYTES (a larger row alone), noting what each update removes. */
static int import_batch(struct client *c, const struct me *me, const struct csvdecl_header *hdr,
                        struct row *rows, size_t n, struct summary *s)
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
        if (rows[i].fill && fill_row(&rows[i], cur, hdr, s)) continue;
        if (row_is_ours(&rows[i], cur, me, s)) continue;
        if (cur && product_same_declaration(cur, yyjson_doc_get_root(rows[i].doc))) {
            s->unchanged++;
            continue;
        }
        struct buf removed = BUF_INIT;
        if (cur) removed_fields(cur, yyjson_doc_get_root(rows[i].doc), "", &removed);
        if (removed.len) rows[i].removed = buf_steal(&removed, &rows[i].removed_len);
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
    row->fill = FILL_CSV;
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
                    struct rows *r, struct reg_why *why)
{
    yyjson_read_err err;
    yyjson_doc *doc = yyjson_read_opts((char *)text, len, 0, NULL, &err);
    if (!doc) {
        reg_why_set(why, 0, "not valid JSON: %s at byte %zu", err.msg, err.pos);
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
        struct reg_why reason = {""};
        const char *derived = NULL;
        if (k->lookup >= 0 && found[k->lookup])
            snprintf(k->id, sizeof k->id, "%s", found[k->lookup]);
        if (!k->id[0]) derived = ctadecl_model_id(entry, ns, k->id, &reason);
        struct row *row = rows_add(r, (long)i + 1, NULL, 0);
        row->unit = "entry";
        row->derived = derived;
        struct buf decl = BUF_INIT;
        if (!k->id[0])
            fail(r->s, row, "no ID: %s",
                 reason.text[0] ? reason.text
                                : "the QR_code_url names none and there is neither a product_model "
                                  "nor a product_name to make one from");
        else if (ctadecl_to_decl(entry, k->id, k->gtin, default_pw, &decl, &reason))
            fail(r->s, row, "%s", reason.text);
        else {
            row->owned = xstrndup(decl.data, decl.len);
            row->text = row->owned;
            row->len = decl.len;
            row->fill = FILL_CTA;
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
        char where[160];
        snprintf(where, sizeof where, "%s %ld%s%s", row->unit, first,
                 row->derived ? ", made from its " : "", row->derived ? row->derived : "");
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
        r->rc = import_batch(r->c, r->me, &r->hdr, r->v, r->n, r->s);
    }
    r->done += r->n;
    if (!r->rc && r->n) progress(r->done, r->total > r->done ? r->total : r->done, &r->t0, 0);
    for (size_t i = 0; i < r->n; i++) {
        yyjson_doc_free(r->v[i].doc);
        free(r->v[i].owned);
        free(r->v[i].removed);
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

/* The run's summary on stdout: the counts, then each update that removed fields, naming them. */
static void print_summary(const char *file, const struct summary *s, int json)
{
    yyjson_mut_val *removed = s->removed ? yyjson_mut_doc_get_root(s->removed) : NULL;
    if (json) {
        char *list = removed ? yyjson_mut_val_write(removed, 0, NULL) : NULL;
        printf("{\"created\":%zu,\"updated\":%zu,\"unchanged\":%zu,\"failed\":%zu,"
               "\"removed\":%s}\n",
               s->created, s->updated, s->unchanged, s->failed, list ? list : "[]");
        free(list);
        return;
    }
    printf("import %s: %zu created, %zu updated, %zu unchanged, %s%zu failed%s\n", file, s->created,
           s->updated, s->unchanged, cli_colour(stdout, s->failed ? CLI_RED : CLI_GREEN), s->failed,
           cli_colour(stdout, CLI_RESET));
    size_t i, max, j, jmax;
    yyjson_mut_val *o, *f;
    yyjson_mut_arr_foreach(removed, i, max, o)
    {
        yyjson_mut_val *line = yyjson_mut_obj_get(o, "line"),
                       *entry = yyjson_mut_obj_get(o, "entry");
        printf("  %s %lld (", line ? "line" : "entry",
               (long long)yyjson_mut_get_sint(line ? line : entry));
        cli_put(stdout, yyjson_mut_get_str(yyjson_mut_obj_get(o, "id")));
        fputs(") removed ", stdout);
        yyjson_mut_arr_foreach(yyjson_mut_obj_get(o, "fields"), j, jmax, f)
        {
            if (j) fputs(", ", stdout);
            cli_put(stdout, yyjson_mut_get_str(f));
        }
        fputc('\n', stdout);
    }
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
    struct reg_why why = {""};
    if (csv && csvdecl_read(text, len, &r.hdr, csv_row, &r, &why)) {
        fprintf(stderr, "seclabel: %s: ", file);
        cli_put(stderr, why.text); /* may quote the file's header */
        fputc('\n', stderr);
        rc = CLI_FAILED;
    } else if (cta && len > IMPORT_MAX_CTA) {
        fprintf(stderr, "seclabel: %s: a CTA-2120 file is read whole: at most %d MB\n", file,
                IMPORT_MAX_CTA >> 20);
        rc = CLI_FAILED;
    } else if (cta && (rc = cta_rows(c, text, len, default_pw, &r, &why))) {
        if (rc == CLI_FAILED) fprintf(stderr, "seclabel: %s: %s\n", file, why.text);
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
    if (!rc) print_summary(file, &s, json);
    yyjson_mut_doc_free(s.removed);
    if (rc) return rc;
    return s.failed ? CLI_FAILED : CLI_OK;
}
