/* api_log.c: the transparency log over HTTP (issue 16; docs/TRANSPARENCY.md says what each
 * answer is):
 *   GET /log/checkpoint                        the newest signed checkpoint (C2SP tlog-checkpoint)
 *   GET /log/key                               the verifier key (C2SP signed-note)
 *   GET /log/tile/<L>/<N>[.p/<W>]              C2SP tlog-tiles: hashes
 *   GET /log/tile/entries/<N>[.p/<W>]          C2SP tlog-tiles: entry bundles
 *   GET /log/proof?old=M&new=N                 a consistency proof, as JSON
 *   GET /v1/products/{id}/versions/{n}/entry   a version's entry, the exact bytes logged
 *   GET /v1/products/{id}/proof?size=S&version=n   an inclusion proof, as JSON, for clients
 *                                              that do not read tiles (a phone)
 * The checkpoint and the key are in memory (logpub.h) and answered on the loop; the rest reads
 * the tree, O(log n) or up to 256 entries, and runs off the loop (api_defer_read). What never
 * changes (a full tile, an entry, a proof to a given size) may be kept by any cache for a
 * year; a partial tile and the checkpoint for a second. */
#include "api_int.h"

#include "decl.h"
#include "err.h"
#include "logpub.h"
#include "note.h"
#include "product.h"
#include "store.h"
#include "tlog.h"

#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_TYPE "text/plain; charset=utf-8"

static int no_log(struct http_resp *resp)
{
    return http_resp_error(resp, REG_ENOTFOUND, "This server publishes no log.");
}

int api_log_checkpoint(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    (void)req;
    if (!app->cfg.log) return no_log(resp);
    logpub_checkpoint(app->cfg.log, &resp->body, NULL);
    if (!resp->body.len) /* a mirror that has not caught up with a checkpoint yet (logpub.h) */
        return http_resp_error(resp, REG_EUNAVAIL,
                               "This mirror holds no checkpoint of its primary yet.");
    resp->content_type = TEXT_TYPE;
    api_cache(resp, API_CACHE_CHECKPOINT);
    return resp->status = 200;
}

int api_log_key(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    (void)req;
    if (!app->cfg.log) return no_log(resp);
    buf_printf(&resp->body, "%s\n", logpub_verifier_key(app->cfg.log));
    resp->content_type = TEXT_TYPE;
    api_cache(resp, API_CACHE_WELL_KNOWN);
    return resp->status = 200;
}

/* A deferred read of the tree: what to read, parsed on the loop. */
struct log_job {
    struct api_job job; /* first */
    int level;          /* a tile's level, or NOTE_TILE_ENTRIES */
    uint64_t n, a, b;   /* tile index; or a proof's leaf (or old size) and size */
    unsigned width;
    char id[DECL_ID_MAX + 1];
    unsigned version;      /* 0: the current one */
    struct buf checkpoint; /* an inclusion proof without ?size=: the checkpoint it is to */
};

/* Answer a read of the tree that failed: a tile or size beyond the tree is 404. */
static void tree_error(struct http_resp *resp, int rc, const char *what)
{
    if (rc == REG_ENOTFOUND)
        api_error_fmt(resp, rc, "The log holds no %s (yet).", what);
    else
        http_resp_error(resp, rc, NULL);
}

static void tile_read(struct api_job *job, struct store_txn *txn)
{
    struct log_job *lj = (struct log_job *)job;
    struct http_resp *resp = job->resp;
    int rc;
    if (lj->level == NOTE_TILE_ENTRIES) {
        rc = tlog_entry_bundle(txn, lj->n, lj->width, &resp->body);
    } else {
        buf_reserve(&resp->body, (size_t)lj->width * TLOG_HASH);
        rc =
            tlog_tile(txn, (unsigned)lj->level, lj->n, lj->width, (unsigned char *)resp->body.data);
        if (!rc) resp->body.len = (size_t)lj->width * TLOG_HASH;
    }
    if (rc) {
        buf_reset(&resp->body);
        tree_error(resp, rc, "such tile");
        return;
    }
    resp->content_type = "application/octet-stream";
    api_cache(resp, lj->width == TLOG_TILE_WIDTH ? API_CACHE_TILE : API_CACHE_CHECKPOINT);
    resp->status = 200;
}

int api_log_tile(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    struct log_job *lj = xcalloc(1, sizeof *lj);
    struct buf path = BUF_INIT;
    buf_printf(&path, "tile/%s", req->params[0]);
    int rc = note_tile_parse(path.data, path.len, &lj->level, &lj->n, &lj->width);
    buf_free(&path);
    if (rc) {
        free(lj);
        return api_error_fmt(resp, REG_ENOTFOUND, "No tile /log/tile/%s (C2SP tlog-tiles paths).",
                             req->params[0]);
    }
    return api_defer_read(app, req, resp, &lj->job, tile_read);
}

/* {"...": a, ..., "proof": [base64 hashes]}, to be cached as class c says (once: a second
 * Cache-Control header would contradict the first). */
static void proof_json(struct http_resp *resp, const char *head,
                       unsigned char proof[TLOG_PROOF_MAX][TLOG_HASH], size_t n,
                       enum api_cache_class c)
{
    char b64[sodium_base64_ENCODED_LEN(TLOG_HASH, sodium_base64_VARIANT_ORIGINAL)];
    buf_puts(&resp->body, head);
    buf_puts(&resp->body, ",\"proof\":[");
    for (size_t i = 0; i < n; i++) {
        sodium_bin2base64(b64, sizeof b64, proof[i], TLOG_HASH, sodium_base64_VARIANT_ORIGINAL);
        buf_printf(&resp->body, "%s\"%s\"", i ? "," : "", b64);
    }
    buf_puts(&resp->body, "]}\n");
    resp->content_type = JSON_TYPE;
    api_cache(resp, c);
    resp->status = 200;
}

static void consistency_read(struct api_job *job, struct store_txn *txn)
{
    struct log_job *lj = (struct log_job *)job;
    unsigned char proof[TLOG_PROOF_MAX][TLOG_HASH];
    size_t n;
    int rc = tlog_prove_consistency(txn, lj->a, lj->b, proof, &n);
    if (rc) return tree_error(job->resp, rc, "tree of that size");
    char head[96];
    snprintf(head, sizeof head, "{\"old\":%llu,\"new\":%llu", (unsigned long long)lj->a,
             (unsigned long long)lj->b);
    proof_json(job->resp, head, proof, n, API_CACHE_TILE); /* never changes */
}

int api_log_proof(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    long old = 0, new = 0;
    if (api_query_long(req, "old", 1, LONG_MAX, &old) ||
        api_query_long(req, "new", 1, LONG_MAX, &new) || !old || !new || old > new)
        return http_resp_error(resp, REG_EBADREQ,
                               "Give the two tree sizes as ?old=M&new=N, 1 <= M <= N.");
    struct log_job *lj = xcalloc(1, sizeof *lj);
    lj->a = (uint64_t)old, lj->b = (uint64_t) new;
    return api_defer_read(app, req, resp, &lj->job, consistency_read);
}

/* The version a request names: {id} and {n} of the path, or ?version=n (0: the current one). */
static int which_version(struct http_req *req, struct http_resp *resp, struct log_job *lj,
                         const char *num)
{
    const char *id = req->params[0];
    if (!decl_id_valid(id, strlen(id))) return http_resp_error(resp, REG_EBADID, NULL);
    snprintf(lj->id, sizeof lj->id, "%s", id);
    long v = 0;
    if (num) {
        char *end;
        unsigned long n = strtoul(num, &end, 10);
        if (*end || num[0] < '1' || num[0] > '9' || n > 0xffffffffUL)
            return api_error_fmt(resp, REG_EBADREQ, "'%s' is not a version number (1, 2, ...).",
                                 num);
        v = (long)n;
    } else if (api_query_long(req, "version", 1, 0xffffffffL, &v)) {
        return http_resp_error(resp, REG_EBADREQ, "?version= is a version number (1, 2, ...).");
    }
    lj->version = (unsigned)v;
    return 0;
}

/* The entry's index and its version (the current one if none was named). */
static int version_index(struct store_txn *txn, struct log_job *lj, uint64_t *index)
{
    if (!lj->version) {
        const char *json;
        size_t len;
        int rc = product_get(txn, lj->id, &json, &len);
        if (rc) return rc;
        yyjson_doc *d = yyjson_read(json, len, 0);
        uint64_t v = yyjson_get_uint(yyjson_obj_get(yyjson_doc_get_root(d), "version"));
        yyjson_doc_free(d);
        if (!v || v > 0xffffffffu) return REG_ESTORE;
        lj->version = (unsigned)v;
    }
    return tlog_index(txn, lj->id, lj->version, index);
}

static void not_logged(struct http_resp *resp, int rc, const struct log_job *lj)
{
    char what[DECL_ID_MAX + 48];
    if (rc != REG_ENOTFOUND) return tree_error(resp, rc, "");
    if (!lj->version) return (void)api_error_fmt(resp, rc, "No product %s.", lj->id);
    snprintf(what, sizeof what, "%s version %u", lj->id, lj->version);
    api_error_fmt(resp, rc, "No logged version %s.", what);
}

static void entry_read(struct api_job *job, struct store_txn *txn)
{
    struct log_job *lj = (struct log_job *)job;
    struct http_resp *resp = job->resp;
    uint64_t index;
    const char *json;
    size_t len;
    int rc = version_index(txn, lj, &index);
    if (!rc) rc = product_get_version(txn, lj->id, lj->version, &json, &len);
    if (rc) return not_logged(resp, rc, lj);
    buf_append(&resp->body, json, len);
    http_resp_header(resp, "Seclabel-Log-Index", "%llu", (unsigned long long)index);
    resp->content_type = "application/octet-stream";
    api_cache(resp, API_CACHE_TILE);
    resp->status = 200;
}

int api_log_entry(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct log_job *lj = xcalloc(1, sizeof *lj);
    if (which_version(req, resp, lj, req->params[1])) {
        free(lj);
        return resp->status;
    }
    return api_defer_read(ctx, req, resp, &lj->job, entry_read);
}

static void inclusion_read(struct api_job *job, struct store_txn *txn)
{
    struct log_job *lj = (struct log_job *)job;
    struct http_resp *resp = job->resp;
    unsigned char proof[TLOG_PROOF_MAX][TLOG_HASH];
    uint64_t index;
    size_t n;
    int rc = version_index(txn, lj, &index);
    if (rc) return not_logged(resp, rc, lj);
    if (index >= lj->b) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "Entry %llu is not in the tree of size %llu: ask with a later checkpoint's size "
                 "(one is signed every second).",
                 (unsigned long long)index, (unsigned long long)lj->b);
        http_resp_error(resp, REG_ENOTLOGGED, msg);
        return;
    }
    if ((rc = tlog_prove_inclusion(txn, index, lj->b, proof, &n)))
        return tree_error(resp, rc, "tree of that size");
    struct buf head = BUF_INIT;
    buf_printf(&head, "{\"id\":\"%s\",\"version\":%u,\"index\":%llu,\"size\":%llu", lj->id,
               lj->version, (unsigned long long)index, (unsigned long long)lj->b);
    if (lj->checkpoint.len) {
        buf_puts(&head, ",\"checkpoint\":");
        api_json_str(&head, lj->checkpoint.data, lj->checkpoint.len);
    }
    /* To a given size, the proof never changes; to the newest checkpoint, it changes as the log
     * grows. */
    proof_json(resp, buf_cstr(&head), proof, n,
               lj->checkpoint.len ? API_CACHE_CHECKPOINT : API_CACHE_TILE);
    buf_free(&head);
}

static void inclusion_done(struct api_job *job)
{
    buf_free(&((struct log_job *)job)->checkpoint);
}

/* Without ?size=, the proof is to the newest checkpoint, which the answer carries: one request
 * gives a phone all it needs. */
int api_log_inclusion(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    struct log_job *lj = xcalloc(1, sizeof *lj);
    long size = 0;
    if (which_version(req, resp, lj, NULL)) {
        free(lj);
        return resp->status;
    }
    if (api_query_long(req, "size", 1, LONG_MAX, &size)) {
        free(lj);
        return http_resp_error(resp, REG_EBADREQ, "?size= is a tree size (1, 2, ...).");
    }
    if (!size && !app->cfg.log) {
        free(lj);
        return no_log(resp);
    }
    if (!size)
        logpub_checkpoint(app->cfg.log, &lj->checkpoint, &lj->b);
    else
        lj->b = (uint64_t)size;
    lj->job.done = inclusion_done;
    return api_defer_read(app, req, resp, &lj->job, inclusion_read);
}
