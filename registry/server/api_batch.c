/* api_batch.c: POST /v1/batch, many declarations in one request and one durable commit.
 *
 * The body is {"products": [declaration, ...]} with at most REG_MAX_BATCH declarations, each
 * carrying its "id". Every declaration is checked and written exactly as a PUT of it would be
 * (product_put_in), inside one write transaction: a refused declaration is reported in its
 * result and changes nothing, the others land together when the transaction commits. One
 * commit (one fsync) for the batch is what makes bulk imports fast. If storage itself fails,
 * the whole batch is aborted and the answer is the storage error: then nothing was written.
 *
 * The answer (200) counts what happened and has one result per declaration, in order:
 *   {"created":n,"updated":n,"unchanged":n,"failed":n,"results":[
 *     {"index":0,"id":"a","result":"created","version":1},
 *     {"index":1,"id":"b","result":"failed","error":"invalid_declaration","message":...}]}
 *
 * With ?dry_run=true the batch is checked and answered exactly so, and its transaction is
 * aborted: nothing is stored, no cached answer goes stale, and the answer carries
 * Seclabel-Dry-Run: true. */
#include "api_int.h"

#include "auth.h"
#include "decl.h"
#include "err.h"
#include "mfr.h"
#include "product.h"
#include "reg_limits.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

struct batch_counts {
    size_t created, updated, unchanged, failed;
    unsigned scope[REG_MAX_BATCH]; /* rcache scopes of the products written */
    size_t nscopes;
};

/* The whole-request checks (the shape schema/openapi.yaml gives BatchRequest): a JSON object
 * whose only member "products" is an array of at most REG_MAX_BATCH objects, each with a
 * string "id". What the declarations say is each one's own result. 0, or an error code with
 * the message in why. */
static int batch_shape(yyjson_val *root, struct reg_why *why)
{
    yyjson_val *list = yyjson_obj_get(root, "products"), *decl;
    if (!yyjson_is_arr(list) || yyjson_obj_size(root) != 1)
        return reg_why_set(why, REG_EBADREQ,
                           "The body must be {\"products\": [declaration, ...]}.");
    if (yyjson_arr_size(list) > REG_MAX_BATCH)
        return reg_why_set(why, REG_ETOOMANY,
                           "At most %d declarations per batch; this one has %zu.", REG_MAX_BATCH,
                           yyjson_arr_size(list));
    size_t i, max;
    yyjson_arr_foreach(list, i, max, decl)
    {
        if (!yyjson_is_obj(decl) || !yyjson_is_str(yyjson_obj_get(decl, "id")))
            return reg_why_set(
                why, REG_EBADREQ,
                "products[%zu] must be a declaration object with its \"id\" (a string).", i);
    }
    return 0;
}

/* Record a refusal of declaration `index` in its result object. */
static void refused(yyjson_mut_doc *doc, yyjson_mut_val *r, int rc, const char *id,
                    const struct decl_errors *errs, const struct product_result *res)
{
    char msg[512];
    yyjson_mut_obj_add_str(doc, r, "result", "failed");
    if (rc == REG_EINVALID) {
        api_decl_errors(doc, r, rc, errs);
        return;
    }
    yyjson_mut_obj_add_str(doc, r, "error", reg_err_name(rc));
    yyjson_mut_obj_add_strcpy(doc, r, "message", api_write_message(rc, id, res, msg, sizeof msg));
}

/* Write one declaration into txn and describe the outcome in r; a non-zero return is a storage
 * failure that dooms the whole batch. */
static int batch_one(struct store_txn *txn, const struct mfr *owner, yyjson_val *decl,
                     yyjson_mut_doc *doc, yyjson_mut_val *r, struct batch_counts *n)
{
    struct decl_errors errs;
    struct product_result res = {0};
    const char *id = yyjson_get_str(yyjson_obj_get(decl, "id"));
    if (id) yyjson_mut_obj_add_strcpy(doc, r, "id", id);
    int rc = REG_EBADID;
    if (!yyjson_is_obj(decl))
        rc = REG_EBADREQ;
    else if (id)
        rc = product_put_in(txn, owner, id, decl, PRODUCT_NO_PRECONDITION, &errs, NULL, &res);
    if (rc && !product_put_refusal(rc) && rc != REG_EBADREQ) return rc;
    if (rc == REG_EBADREQ || (rc == REG_EBADID && !id)) {
        n->failed++;
        yyjson_mut_obj_add_str(doc, r, "result", "failed");
        yyjson_mut_obj_add_str(doc, r, "error", reg_err_name(rc));
        yyjson_mut_obj_add_str(doc, r, "message",
                               rc == REG_EBADREQ ? "Each entry must be a JSON object."
                                                 : "Each declaration needs its \"id\".");
        return 0;
    }
    if (rc) {
        n->failed++;
        refused(doc, r, rc, id, &errs, &res);
        return 0;
    }
    const char *what = res.created ? "created" : res.unchanged ? "unchanged" : "updated";
    n->created += res.created;
    n->unchanged += res.unchanged;
    n->updated += !res.created && !res.unchanged;
    if (!res.unchanged && n->nscopes < REG_MAX_BATCH) n->scope[n->nscopes++] = rcache_scope(id);
    yyjson_mut_obj_add_str(doc, r, "result", what);
    yyjson_mut_obj_add_uint(doc, r, "version", res.version);
    return 0;
}

/* All declarations of list in one transaction, committed unless `dry`; results appended to
 * arr. */
static int batch_write(struct app *app, const char *owner, yyjson_val *list, int dry,
                       yyjson_mut_doc *doc, yyjson_mut_val *arr, struct batch_counts *n)
{
    struct store_txn *txn;
    struct mfr m;
    int rc = store_txn_begin(app->cfg.st, 1, &txn);
    if (rc) return rc;
    if ((rc = mfr_get(txn, owner, &m))) {
        store_txn_abort(txn);
        return rc;
    }
    yyjson_val *decl;
    size_t i, max;
    yyjson_arr_foreach(list, i, max, decl)
    {
        yyjson_mut_val *r = yyjson_mut_arr_add_obj(doc, arr);
        yyjson_mut_obj_add_uint(doc, r, "index", i);
        if ((rc = batch_one(txn, &m, decl, doc, r, n))) break;
    }
    mfr_free(&m);
    if (rc) {
        store_txn_abort(txn);
        return rc;
    }
    if (dry || n->created + n->updated == 0) {
        store_txn_abort(txn); /* nothing to make durable */
        n->nscopes = 0;       /* nor any answer made stale */
        return 0;
    }
    return store_txn_commit(txn);
}

/* The whole batch (parse, check, write, the answer) runs on the thread pool: a commit of a
 * thousand declarations takes tens of milliseconds that the event loop must not wait for. */
struct batch_job {
    struct api_job job; /* first */
    char owner[AUTH_SLUG_MAX];
    int dry;               /* ?dry_run=true */
    int code;              /* the answer: 0 for 200 with body, else an error code with message */
    struct reg_why why;    /* "" for the code's default */
    struct batch_counts n; /* what was written: answers made from it are stale */
    struct buf body;
};

static void batch_run(struct api_job *job)
{
    struct batch_job *b = (struct batch_job *)job;
    const struct http_req *req = job->req;
    yyjson_doc *in = yyjson_read(req->body.data ? req->body.data : "", req->body.len, 0);
    yyjson_val *list = yyjson_obj_get(yyjson_doc_get_root(in), "products");
    if (!in) {
        b->code = REG_EBADJSON;
        return;
    }
    if ((b->code = batch_shape(yyjson_doc_get_root(in), &b->why))) {
        yyjson_doc_free(in);
        return;
    }
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(doc), *arr = yyjson_mut_arr(doc);
    yyjson_mut_doc_set_root(doc, o);
    struct batch_counts *n = &b->n;
    int rc = batch_write(job->app, b->owner, list, b->dry, doc, arr, n);
    yyjson_doc_free(in);
    if (rc) {
        yyjson_mut_doc_free(doc);
        b->code = rc;
        reg_why_set(&b->why, rc, "Storage failed; nothing in this batch was written.");
        return;
    }
    yyjson_mut_obj_add_uint(doc, o, "created", n->created);
    yyjson_mut_obj_add_uint(doc, o, "updated", n->updated);
    yyjson_mut_obj_add_uint(doc, o, "unchanged", n->unchanged);
    yyjson_mut_obj_add_uint(doc, o, "failed", n->failed);
    yyjson_mut_obj_add_val(doc, o, "results", arr);
    size_t len;
    char *json = yyjson_mut_write(doc, 0, &len);
    yyjson_mut_doc_free(doc);
    if (!json) {
        b->code = REG_EINTERNAL;
        return;
    }
    buf_append(&b->body, json, len);
    buf_putc(&b->body, '\n');
    free(json);
}

static void batch_done(struct api_job *job)
{
    struct batch_job *b = (struct batch_job *)job;
    for (size_t i = 0; i < b->n.nscopes; i++)
        rcache_invalidate(&job->app->responses, b->n.scope[i]);
    if (b->code) {
        http_resp_error(job->resp, b->code, b->why.text[0] ? b->why.text : NULL);
    } else {
        job->resp->status = 200;
        job->resp->content_type = JSON_TYPE;
        buf_append(&job->resp->body, b->body.data, b->body.len);
    }
    if (b->dry) http_resp_header(job->resp, "Seclabel-Dry-Run", "true");
    buf_free(&b->body);
}

int api_batch(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    struct batch_job *b = xcalloc(1, sizeof *b);
    int rc = api_authenticate(app, req, resp, b->owner) ? resp->status
             : !api_is_json(req)                        ? http_resp_error(resp, REG_EMEDIA, NULL)
                                                        : api_dry_run(req, resp, &b->dry);
    if (rc) {
        free(b);
        return rc;
    }
    return api_defer(app, req, resp, &b->job, batch_run, batch_done);
}

size_t api_body_limit(void *ctx, const struct http_req *req)
{
    struct app *app = ctx;
    static const char path[] = "/v1/batch";
    char owner[AUTH_SLUG_MAX];
    if (req->method != HTTP_M_POST || req->path_len != sizeof path - 1 ||
        memcmp(req->path, path, sizeof path - 1) != 0)
        return REG_MAX_BODY;
    /* Only a writer with a valid token may send a large body. */
    return api_token_owner(app, req, owner) == 0 ? REG_MAX_BATCH_BODY : REG_MAX_BODY;
}
