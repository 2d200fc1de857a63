/* api_products.c: one product over HTTP: its record (with ETag), create/update, withdraw, its
 * version history and its CTA-2120 export.
 *
 * ETags are "<version>.<day>.<makers>.<config>", known before the body is made: the record's
 * computed support_status changes with the date, its manufacturer_account with the manufacturers
 * generation (mfr.h: any account's change), and its qr_url with the public URL (config: a hash
 * of it), so all are part of the representation. If-Match on a write compares only the
 * version. Last-Modified: the record's "modified", its maker's latest change and the start of
 * the day, whichever is latest (api_cache.c).
 *
 * A PUT with ?dry_run=true is checked and answered exactly as the real PUT would be, and its
 * write transaction is aborted: nothing is stored and no cached answer goes stale. Its answers
 * carry Seclabel-Dry-Run: true, and no ETag or Location (no such version exists). */
#include "api_int.h"

#include "assess.h"
#include "auth.h"
#include "commit.h"
#include "cta.h"
#include "decl.h"
#include "err.h"
#include "hash.h"
#include "mfr.h"
#include "product.h"
#include "store.h"
#include "tlog.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int not_found(struct http_resp *resp, const char *id)
{
    return api_error_fmt(resp, REG_ENOTFOUND, "No product with ID '%s'.", id);
}

#define ETAG_LEN 80

/* The record's ETag (see the top of the file) into out, NUL-terminated; returns its length.
 * Built by hand as "\"%u.%lld.%llu.%08x\"" would write it: it is on every record's read path. */
static size_t etag(const struct app *app, unsigned version, int64_t today, uint64_t makers,
                   char out[ETAG_LEN])
{
    const char *url = app->cfg.public_url;
    char *p = out;
    *p++ = '"';
    p += buf_fmt_u64(p, version);
    *p++ = '.';
    if (today < 0) *p++ = '-';
    p += buf_fmt_u64(p, today < 0 ? -(uint64_t)today : (uint64_t)today);
    *p++ = '.';
    p += buf_fmt_u64(p, makers);
    *p++ = '.';
    p += buf_fmt_hex(p, (uint32_t)hash_fnv1a(url, strlen(url)), 4);
    *p++ = '"';
    *p = '\0';
    return (size_t)(p - out);
}

/* The answer to a GET of product req->params[0] (a valid ID), read in txn; mm (renewed here)
 * holds the makers. Runs on the loop or, for a deferred miss, on the pool (struct app_faults):
 * it touches nothing of the app but its configuration and mm. */
static int product_answer(const struct app *app, struct mfr_memo *mm, struct store_txn *txn,
                          struct http_req *req, struct http_resp *resp)
{
    const char *id = req->params[0], *json;
    size_t len;
    unsigned version = 0;
    uint64_t makers = 0;
    int64_t today = assess_today();
    int rc = product_get(txn, id, &json, &len);
    if (rc == REG_ENOTFOUND) return not_found(resp, id);
    if (rc) return http_resp_error(resp, rc, NULL);
    rc = mfr_generation(txn, &makers);
    if (!rc) mfr_memo_renew(mm, txn, makers);
    yyjson_doc *doc = yyjson_read(json, len, 0);
    yyjson_val *rec = yyjson_doc_get_root(doc);
    if (!rc) rc = api_record_json_parsed(app, mm, rec, json, len, today, &resp->body, &version);
    long modified =
        api_later(api_day_start(today), yyjson_get_str(yyjson_obj_get(rec, "modified")));
    long maker =
        rc ? 0
           : api_maker_time(mfr_memo_get(mm, yyjson_get_str(yyjson_obj_get(rec, "manufacturer"))));
    yyjson_doc_free(doc);
    if (rc) return http_resp_error(resp, REG_ESTORE, NULL);
    char tag[ETAG_LEN];
    http_resp_header_str(resp, "ETag", tag, etag(app, version, today, makers, tag));
    api_cache(resp, API_CACHE_RECORD);
    api_modified(resp, modified > maker ? modified : maker);
    resp->content_type = JSON_TYPE;
    /* The tag as made here (uncompressed) is compared first: a cache's uncompressed copy is
     * fresh whatever coding this request would get; represent.c answers the rest. */
    if (api_etag_matches(req, tag)) {
        buf_reset(&resp->body);
        return resp->status = 304;
    }
    resp->cacheable = 1;
    resp->cache_scope = id;
    return resp->status = 200;
}

/* A miss read on the pool: its own memo of makers, and the major faults it took. */
struct miss_job {
    struct api_job job;
    long faults;
};

static void miss_read(struct api_job *job, struct store_txn *txn)
{
    struct miss_job *m = (struct miss_job *)job;
    struct mfr_memo mm;
    long before = api_thread_faults();
    mfr_memo_init(&mm, txn);
    product_answer(job->app, &mm, txn, job->req, job->resp);
    mfr_memo_free(&mm);
    m->faults = api_thread_faults() - before;
}

static void miss_done(struct api_job *job)
{
    api_miss_on_pool(job->app, ((struct miss_job *)job)->faults);
}

int api_get_product(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    const char *id = req->params[0];
    struct store_txn *txn;
    if (!decl_id_valid(id, strlen(id))) return http_resp_error(resp, REG_EBADID, NULL);
    if (api_miss_to_pool(app)) {
        struct miss_job *m = xcalloc(1, sizeof *m);
        m->job.done = miss_done;
        m->job.keep = 1;
        return api_defer_read(app, req, resp, &m->job, miss_read);
    }
    double t0 = api_now();
    int rc = store_reader_begin(app->rd, &txn);
    if (rc) return http_resp_error(resp, rc, NULL);
    product_answer(app, &app->makers, txn, req, resp);
    store_reader_end(app->rd);
    api_miss_on_loop(app, t0);
    return resp->status;
}

void api_decl_errors(yyjson_mut_doc *doc, yyjson_mut_val *o, int code,
                     const struct decl_errors *errs)
{
    char msg[512];
    if (code == REG_EBADJSON)
        snprintf(msg, sizeof msg, "The body is not valid JSON: %s.", errs->e[0].why.text);
    else
        snprintf(msg, sizeof msg, "The declaration has %d problem%s%s; first: %s %s.", errs->n,
                 errs->n == 1 ? "" : "s", errs->more ? " (and more not listed)" : "",
                 errs->e[0].path[0] ? errs->e[0].path : "the document", errs->e[0].why.text);
    yyjson_mut_obj_add_str(doc, o, "error", reg_err_name(code));
    yyjson_mut_obj_add_strcpy(doc, o, "message", msg);
    if (code != REG_EINVALID) return;
    yyjson_mut_val *details = yyjson_mut_obj_add_arr(doc, o, "details");
    for (int i = 0; i < errs->n; i++) {
        yyjson_mut_val *d = yyjson_mut_arr_add_obj(doc, details);
        yyjson_mut_obj_add_strcpy(doc, d, "path", errs->e[i].path);
        yyjson_mut_obj_add_str(doc, d, "rule", errs->e[i].rule);
        yyjson_mut_obj_add_strcpy(doc, d, "message", errs->e[i].why.text);
    }
}

static int decl_error_body(struct http_resp *resp, int code, const struct decl_errors *errs)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, o);
    api_decl_errors(doc, o, code, errs);
    return api_json_doc(resp, 400, doc);
}

/* If-Match: "*", or one entity tag whose version part we compare ("3" or "3.20783"). */
static long if_match(const struct http_req *req)
{
    size_t len;
    const char *h = http_req_header(req, "if-match", &len);
    if (!h) return PRODUCT_NO_PRECONDITION;
    if (len == 1 && h[0] == '*') return PRODUCT_ANY_VERSION;
    if (len < 3 || h[0] != '"') return PRODUCT_NEVER_MATCHES;
    long v = 0;
    size_t i = 1;
    for (; i < len && h[i] >= '0' && h[i] <= '9' && v < 1000000000L; i++)
        v = v * 10 + (h[i] - '0');
    if (i == 1 || i >= len || (h[i] != '"' && h[i] != '.') || v == 0) return PRODUCT_NEVER_MATCHES;
    return v;
}

int api_dry_run(const struct http_req *req, struct http_resp *resp, int *dry)
{
    struct buf v = BUF_INIT;
    int rc = 0;
    *dry = 0;
    if (http_req_query(req, "dry_run", &v) == 0) {
        if (strcmp(buf_cstr(&v), "true") == 0)
            *dry = 1;
        else if (strcmp(buf_cstr(&v), "false") != 0)
            rc = http_resp_error(resp, REG_EBADREQ, "dry_run: true or false.");
    }
    buf_free(&v);
    return rc;
}

/* The response to a successful write: the record, its ETag and what the write did (for a dry
 * run, what it would do: no ETag or Location, since nothing was stored). */
static int write_reply(struct app *app, const char *id, struct buf *rec,
                       const struct product_result *res, int dry, struct http_resp *resp)
{
    int64_t today = assess_today();
    unsigned version;
    uint64_t makers = 0;
    struct store_txn *txn;
    struct mfr_memo mm;
    int rc = store_reader_begin(app->rd, &txn);
    if (rc) return http_resp_error(resp, rc, NULL);
    mfr_memo_init(&mm, txn);
    rc = api_record_json(app, &mm, rec->data, rec->len, today, &resp->body, &version);
    if (!rc) rc = mfr_generation(txn, &makers);
    mfr_memo_free(&mm);
    store_reader_end(app->rd);
    if (rc) return http_resp_error(resp, REG_EINTERNAL, NULL);
    char tag[ETAG_LEN];
    size_t tl = etag(app, version, today, makers, tag);
    resp->content_type = JSON_TYPE;
    if (!dry) http_resp_header_str(resp, "ETag", tag, tl);
    if (res->created && !dry) http_resp_header(resp, "Location", "/v1/products/%s", id);
    /* Tells tools (the CLI, importers) what the write did without a second request. */
    http_resp_header(resp, "Seclabel-Change", "%s",
                     res->created     ? "created"
                     : res->unchanged ? "unchanged"
                                      : "updated");
    return resp->status = res->created ? 201 : 200;
}

const char *api_write_message(int rc, const char *id, const struct product_result *res, char *msg,
                              size_t n)
{
    switch (rc) {
    case REG_ENOTFOUND:
        snprintf(msg, n, "No product with ID '%s'.", id);
        return msg;
    case REG_EWITHDRAWN:
        snprintf(msg, n, "Product '%s' is withdrawn; its record can no longer change.", id);
        return msg;
    case REG_EFORBIDDEN:
    case REG_ENAMESPACE:
    case REG_EGTINPREFIX:
    case REG_EMFRNAME:
    case REG_ESHORTEN:
    case REG_EGTINTAKEN:
    case REG_EPRECOND:
        return res->why.text[0] ? res->why.text : reg_strerror(rc);
    default:
        return reg_strerror(rc);
    }
}

static int write_error(struct http_resp *resp, int rc, const char *id,
                       const struct product_result *res)
{
    char msg[512];
    return http_resp_error(resp, rc, api_write_message(rc, id, res, msg, sizeof msg));
}

/* A PUT or a withdrawal: checked on the loop thread, written by the committer thread in a group
 * commit (commit.h: the commit waits for fsync, shared with the writes that arrived meanwhile),
 * answered on the loop thread. A dry run never joins a group: it is checked on its own on the
 * thread pool, in a transaction that is always aborted. */
struct write_job {
    struct api_job job; /* first */
    struct commit_write cw;
    const char *id, *body; /* the request's, unchanging while the write is deferred */
    size_t len;
    char owner[AUTH_SLUG_MAX];
    long if_match;
    int withdraw;
    int dry;         /* ?dry_run=true: check and answer, never commit */
    int rc;          /* the write's own answer: 0 or its refusal */
    yyjson_doc *doc; /* the parsed body (PUT), or NULL with rc REG_EBADJSON */
    struct decl_errors errs;
    struct product_result res;
    struct buf rec;
};

#define WRITE_OF(cw) ((struct write_job *)((char *)(cw)-offsetof(struct write_job, cw)))

static void write_prepare(struct commit_write *cw)
{
    struct write_job *w = WRITE_OF(cw);
    if (!w->withdraw) w->rc = product_parse(w->body, w->len, &w->errs, &w->doc);
}

/* commit_apply_fn: the write inside the group's transaction. */
static int write_apply(struct store_txn *txn, struct commit_write *cw)
{
    struct write_job *w = WRITE_OF(cw);
    struct mfr m = {0};
    int rc;
    buf_reset(&w->rec);
    if (w->withdraw) {
        rc = product_withdraw_in(txn, w->owner, w->id, w->if_match, &w->rec, &w->res);
        w->rc = rc;
        return rc && !product_withdraw_refusal(rc) ? rc : 0;
    }
    if (!w->doc) return 0; /* w->rc: REG_EBADJSON */
    /* mfr_get only reads: its error (the account is gone) is this write's alone. */
    if ((w->rc = mfr_get(txn, w->owner, &m))) {
        mfr_free(&m);
        return 0;
    }
    rc = product_put_in(txn, &m, w->id, yyjson_doc_get_root(w->doc), w->if_match, &w->errs, &w->rec,
                        &w->res);
    mfr_free(&m);
    w->rc = rc;
    return rc && !product_put_refusal(rc) ? rc : 0;
}

/* A dry run, on the thread pool: checked in a transaction that is always aborted. */
static void dry_run(struct api_job *job)
{
    struct write_job *w = (struct write_job *)job;
    w->rc = product_put_dry(job->app->cfg.st, w->owner, w->id, w->body, w->len, w->if_match,
                            &w->errs, &w->rec, &w->res);
}

static void write_done(struct api_job *job)
{
    struct write_job *w = (struct write_job *)job;
    const char *id = w->id;
    if (w->cw.rc) w->rc = w->cw.rc; /* storage failed: nothing of this write is stored */
    if (w->rc) buf_reset(&w->rec);
    if (!w->rc && !w->res.unchanged && !w->dry) /* answers made from the old record are stale */
        rcache_invalidate(&job->app->responses, rcache_scope(id));
    if (w->rc == REG_EINVALID || w->rc == REG_EBADJSON)
        decl_error_body(job->resp, w->rc, &w->errs);
    else if (w->rc)
        write_error(job->resp, w->rc, id, &w->res);
    else
        write_reply(job->app, id, &w->rec, &w->res, w->dry, job->resp);
    if (w->dry) http_resp_header(job->resp, "Seclabel-Dry-Run", "true");
    yyjson_doc_free(w->doc);
    buf_free(&w->rec);
}

static int start_write(struct app *app, struct http_req *req, struct http_resp *resp, int withdraw)
{
    struct write_job *w = xcalloc(1, sizeof *w);
    const char *id = req->params[0];
    int rc = api_authenticate(app, req, resp, w->owner) ? resp->status
             : !decl_id_valid(id, strlen(id))           ? http_resp_error(resp, REG_EBADID, NULL)
             : withdraw                                 ? 0
             : !api_is_json(req)                        ? http_resp_error(resp, REG_EMEDIA, NULL)
                                                        : api_dry_run(req, resp, &w->dry);
    if (rc) {
        free(w);
        return rc;
    }
    w->id = id;
    w->body = req->body.data ? req->body.data : "";
    w->len = req->body.len;
    w->withdraw = withdraw;
    w->if_match = if_match(req);
    w->cw.prepare = write_prepare;
    w->cw.apply = write_apply;
    if (w->dry) return api_defer(app, req, resp, &w->job, dry_run, write_done);
    return api_defer_commit(app, req, resp, &w->job, &w->cw, write_done);
}

int api_put_product(void *ctx, struct http_req *req, struct http_resp *resp)
{
    return start_write(ctx, req, resp, 0);
}

int api_withdraw(void *ctx, struct http_req *req, struct http_resp *resp)
{
    return start_write(ctx, req, resp, 1);
}

/* Where decl_diff's findings go: field names, or with `values` objects
 * {"field","from","to"} (from/to absent when the field was absent). */
struct changes {
    yyjson_mut_doc *doc;
    yyjson_mut_val *arr;
    int values;
};

static void add_change(void *ctx, const char *name, yyjson_val *from, yyjson_val *to)
{
    struct changes *c = ctx;
    if (!c->values) {
        yyjson_mut_arr_add_strcpy(c->doc, c->arr, name);
        return;
    }
    yyjson_mut_val *o = yyjson_mut_arr_add_obj(c->doc, c->arr);
    yyjson_mut_obj_add_strcpy(c->doc, o, "field", name);
    if (from) yyjson_mut_obj_add_val(c->doc, o, "from", yyjson_val_mut_copy(c->doc, from));
    if (to) yyjson_mut_obj_add_val(c->doc, o, "to", yyjson_val_mut_copy(c->doc, to));
}

/* Add to arr what changed from old (NULL for the first version) to cur (decl_diff's
 * DECL_DIFF_RECORD: a withdrawal's status counts). */
static void diff(yyjson_val *old, yyjson_val *cur, int values, yyjson_mut_doc *doc,
                 yyjson_mut_val *arr)
{
    struct changes c = {doc, arr, values};
    decl_diff(old, cur, DECL_DIFF_RECORD, add_change, &c);
}

static const char *version_kind(yyjson_val *old, yyjson_val *cur)
{
    if (!old) return "created";
    yyjson_val *s0 = yyjson_obj_get(old, "status"), *s1 = yyjson_obj_get(cur, "status");
    if (!yyjson_equals(s0, s1) && yyjson_equals_str(s1, "withdrawn")) return "withdrawn";
    return "updated";
}

struct history {
    yyjson_mut_doc *doc;
    yyjson_mut_val *list;
    yyjson_doc *prev; /* the previous version, parsed (owned) */
    int bad;
};

static int history_item(void *ctx, const char *json, size_t len)
{
    struct history *h = ctx;
    yyjson_doc *d = yyjson_read(json, len, 0);
    yyjson_val *cur = yyjson_doc_get_root(d), *old = yyjson_doc_get_root(h->prev);
    if (!yyjson_is_obj(cur)) {
        yyjson_doc_free(d);
        h->bad = 1;
        return 1;
    }
    yyjson_mut_doc *doc = h->doc;
    yyjson_mut_val *o = yyjson_mut_arr_add_obj(doc, h->list), *changed = yyjson_mut_arr(doc);
    static const char *const keep[] = {"version", "modified", "status", "support_date"};
    for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++) {
        yyjson_val *v = yyjson_obj_get(cur, keep[i]);
        if (v) yyjson_mut_obj_add_val(doc, o, keep[i], yyjson_val_mut_copy(doc, v));
    }
    yyjson_mut_obj_add_str(doc, o, "kind", version_kind(old, cur));
    diff(old, cur, 0, doc, changed);
    yyjson_mut_obj_add_val(doc, o, "changed", changed);
    yyjson_doc_free(h->prev);
    h->prev = d;
    return 0;
}

int api_versions(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    const char *id = req->params[0];
    struct store_txn *txn;
    if (!decl_id_valid(id, strlen(id))) return http_resp_error(resp, REG_EBADID, NULL);
    struct history h = {.doc = yyjson_mut_doc_new(NULL)};
    yyjson_mut_val *root = yyjson_mut_obj(h.doc);
    yyjson_mut_doc_set_root(h.doc, root);
    yyjson_mut_obj_add_strcpy(h.doc, root, "id", id);
    h.list = yyjson_mut_arr(h.doc);
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = product_each_version(txn, id, history_item, &h);
    store_reader_end(app->rd);
    if (!rc && h.bad) rc = REG_ESTORE;
    if (rc) {
        yyjson_doc_free(h.prev);
        yyjson_mut_doc_free(h.doc);
        return rc == REG_ENOTFOUND ? not_found(resp, id) : http_resp_error(resp, rc, NULL);
    }
    /* The product's state today leads the history, as it leads the record (assess.h). */
    struct assess a;
    struct buf state = BUF_INIT;
    int64_t today = assess_today();
    yyjson_val *cur = yyjson_doc_get_root(h.prev);
    api_modified(resp,
                 api_later(api_day_start(today), yyjson_get_str(yyjson_obj_get(cur, "modified"))));
    assess_record(cur, today, &a);
    assess_reason(&a, &state);
    yyjson_mut_val *st = yyjson_mut_obj_add_obj(h.doc, root, "state");
    yyjson_mut_obj_add_str(h.doc, st, "name", assess_state_name(a.state));
    yyjson_mut_obj_add_strncpy(h.doc, st, "reason", state.data, state.len);
    buf_free(&state);
    yyjson_doc_free(h.prev);
    yyjson_mut_obj_add_val(h.doc, root, "versions", h.list);
    api_cache(resp, API_CACHE_RECORD);
    return api_json_doc(resp, 200, h.doc);
}

/* Version n as stored, plus "kind" and "changes" against version n-1. */
static int version_body(struct store_txn *txn, const char *json, size_t len, const char *pjson,
                        size_t plen, struct http_resp *resp)
{
    yyjson_doc *d = yyjson_read(json, len, 0), *p = pjson ? yyjson_read(pjson, plen, 0) : NULL;
    yyjson_val *cur = yyjson_doc_get_root(d), *old = yyjson_doc_get_root(p);
    if (!yyjson_is_obj(cur) || (pjson && !yyjson_is_obj(old))) {
        yyjson_doc_free(d);
        yyjson_doc_free(p);
        return http_resp_error(resp, REG_ESTORE, NULL);
    }
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_val_mut_copy(doc, cur), *changes = yyjson_mut_arr(doc);
    yyjson_mut_doc_set_root(doc, o);
    yyjson_mut_obj_add_str(doc, o, "kind", version_kind(old, cur));
    diff(old, cur, 1, doc, changes);
    yyjson_mut_obj_add_val(doc, o, "changes", changes);
    uint64_t index; /* the version's entry in the transparency log (tlog.h) */
    const char *id = yyjson_get_str(yyjson_obj_get(cur, "id"));
    unsigned v = (unsigned)yyjson_get_uint(yyjson_obj_get(cur, "version"));
    if (id && !tlog_index(txn, id, v, &index)) {
        yyjson_mut_val *log = yyjson_mut_obj_add_obj(doc, o, "log");
        yyjson_mut_obj_add_uint(doc, log, "index", index);
    }
    int status = api_json_doc(resp, 200, doc);
    api_modified(resp, api_later(0, yyjson_get_str(yyjson_obj_get(cur, "modified"))));
    yyjson_doc_free(d);
    yyjson_doc_free(p);
    return status;
}

int api_version(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    const char *id = req->params[0], *num = req->params[1], *json, *pjson = NULL;
    size_t len, plen = 0;
    struct store_txn *txn;
    if (!decl_id_valid(id, strlen(id))) return http_resp_error(resp, REG_EBADID, NULL);
    char *end;
    unsigned long n = strtoul(num, &end, 10);
    if (*end || num[0] < '1' || num[0] > '9' || n > 0xffffffffUL)
        return api_error_fmt(resp, REG_EBADREQ, "'%s' is not a version number (1, 2, ...).", num);
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = product_get_version(txn, id, (unsigned)n, &json, &len);
    if (!rc && n > 1) rc = product_get_version(txn, id, (unsigned)n - 1, &pjson, &plen);
    if (!rc) {
        version_body(txn, json, len, pjson, plen, resp);
        /* A version never changes: cache it for a long time; its ETag is its number. */
        api_cache(resp, API_CACHE_VERSION);
        http_resp_header(resp, "ETag", "\"v%lu\"", n);
        char tag[32];
        snprintf(tag, sizeof tag, "\"v%lu\"", n);
        if (resp->status == 200 && api_etag_matches(req, tag)) {
            buf_reset(&resp->body);
            resp->status = 304;
        }
    }
    store_reader_end(app->rd);
    if (rc == REG_ENOTFOUND) {
        char what[128];
        snprintf(what, sizeof what, "%s version %lu", id, n);
        return api_error_fmt(resp, rc, "No product %s.", what);
    }
    return rc ? http_resp_error(resp, rc, NULL) : resp->status;
}

static int cta_incomplete(struct http_resp *resp, const char *id, const struct cta_missing *m)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(doc), *list = yyjson_mut_arr(doc);
    yyjson_mut_doc_set_root(doc, o);
    struct buf msg = BUF_INIT;
    buf_printf(&msg, "Product '%s' lacks fields CTA-2120 requires:", id);
    for (int i = 0; i < m->n; i++) {
        buf_printf(&msg, "%s %s", i ? "," : "", m->field[i]);
        yyjson_mut_arr_add_str(doc, list, m->field[i]);
    }
    buf_putc(&msg, '.');
    yyjson_mut_obj_add_str(doc, o, "error", reg_err_name(REG_ECTAINCOMPLETE));
    yyjson_mut_obj_add_strcpy(doc, o, "message", buf_cstr(&msg));
    yyjson_mut_obj_add_val(doc, o, "missing", list);
    buf_free(&msg);
    return api_json_doc(resp, 422, doc);
}

int api_cta(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    const char *id = req->params[0], *json;
    size_t len;
    struct store_txn *txn;
    if (!decl_id_valid(id, strlen(id))) return http_resp_error(resp, REG_EBADID, NULL);
    int rc = api_read_record(app, id, &txn, &json, &len);
    if (rc == REG_ENOTFOUND) return not_found(resp, id);
    if (rc) return http_resp_error(resp, rc, NULL);
    yyjson_doc *doc = yyjson_read(json, len, 0);
    store_reader_end(app->rd);
    struct buf url = BUF_INIT;
    api_qr_url(app, yyjson_doc_get_root(doc), &url);
    long modified =
        api_later(0, yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(doc), "modified")));
    struct cta_missing missing = {0};
    rc = cta_export(yyjson_doc_get_root(doc), buf_cstr(&url), &resp->body, &missing);
    buf_free(&url);
    yyjson_doc_free(doc);
    if (rc == REG_ECTAINCOMPLETE) return cta_incomplete(resp, id, &missing);
    if (rc) return http_resp_error(resp, rc, NULL);
    resp->content_type = JSON_TYPE;
    api_cache(resp, API_CACHE_EXPORT);
    api_modified(resp, modified); /* no day-dependent field: CTA-2120 states the date itself */
    return resp->status = 200;
}
