/* api_batch.c: POST /v1/batch, many declarations in one request and one durable commit.
 *
 * The body is {"products": [declaration, ...]} with at most API_BATCH_MAX declarations, each
 * carrying its "id". Every declaration is checked and written exactly as a PUT of it would be
 * (product_put_in), inside one write transaction: a refused declaration is reported in its
 * result and changes nothing, the others land together when the transaction commits. One
 * commit (one fsync) for the batch is what makes bulk imports fast. If storage itself fails,
 * the whole batch is aborted and the answer is the storage error: then nothing was written.
 *
 * The answer (200) counts what happened and has one result per declaration, in order:
 *   {"created":n,"updated":n,"unchanged":n,"failed":n,"results":[
 *     {"index":0,"id":"a","result":"created","version":1},
 *     {"index":1,"id":"b","result":"failed","error":"invalid_declaration","message":...}]} */
#include "api_int.h"

#include "auth.h"
#include "decl.h"
#include "err.h"
#include "product.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

struct batch_counts {
    size_t created, updated, unchanged, failed;
};

/* The whole-request checks: a JSON object whose "products" is an array of 1..API_BATCH_MAX. */
static int batch_shape(struct http_resp *resp, yyjson_val *root, yyjson_val **list)
{
    *list = yyjson_obj_get(root, "products");
    if (!yyjson_is_arr(*list))
        return http_resp_error(resp, REG_EBADREQ,
                               "The body must be {\"products\": [declaration, ...]}.");
    if (yyjson_arr_size(*list) > API_BATCH_MAX) {
        char msg[128];
        snprintf(msg, sizeof msg, "At most %d declarations per batch; this one has %zu.",
                 API_BATCH_MAX, yyjson_arr_size(*list));
        return http_resp_error(resp, REG_ETOOMANY, msg);
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
static int batch_one(struct store_txn *txn, const char *owner, yyjson_val *decl,
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
    yyjson_mut_obj_add_str(doc, r, "result", what);
    yyjson_mut_obj_add_uint(doc, r, "version", res.version);
    return 0;
}

/* All declarations of list in one transaction; results appended to arr. */
static int batch_write(struct app *app, const char *owner, yyjson_val *list, yyjson_mut_doc *doc,
                       yyjson_mut_val *arr, struct batch_counts *n)
{
    struct store_txn *txn;
    int rc = store_txn_begin(app->st, 1, &txn);
    if (rc) return rc;
    yyjson_val *decl;
    size_t i, max;
    yyjson_arr_foreach(list, i, max, decl)
    {
        yyjson_mut_val *r = yyjson_mut_arr_add_obj(doc, arr);
        yyjson_mut_obj_add_uint(doc, r, "index", i);
        if ((rc = batch_one(txn, owner, decl, doc, r, n))) {
            store_txn_abort(txn);
            return rc;
        }
    }
    if (n->created + n->updated == 0) {
        store_txn_abort(txn); /* nothing to make durable */
        return 0;
    }
    return store_txn_commit(txn);
}

int api_batch(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    char owner[AUTH_SLUG_MAX];
    if (api_authenticate(app, req, resp, owner)) return resp->status;
    if (!api_is_json(req)) return http_resp_error(resp, REG_EMEDIA, NULL);
    yyjson_doc *in = yyjson_read(req->body.data ? req->body.data : "", req->body.len, 0);
    if (!in) return http_resp_error(resp, REG_EBADJSON, NULL);
    yyjson_val *list;
    if (batch_shape(resp, yyjson_doc_get_root(in), &list)) {
        yyjson_doc_free(in);
        return resp->status;
    }
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(doc), *arr = yyjson_mut_arr(doc);
    yyjson_mut_doc_set_root(doc, o);
    struct batch_counts n = {0};
    int rc = batch_write(app, owner, list, doc, arr, &n);
    if (!rc && n.created + n.updated) app->generation++;
    yyjson_doc_free(in);
    if (rc) {
        yyjson_mut_doc_free(doc);
        return http_resp_error(resp, rc, "Storage failed; nothing in this batch was written.");
    }
    yyjson_mut_obj_add_uint(doc, o, "created", n.created);
    yyjson_mut_obj_add_uint(doc, o, "updated", n.updated);
    yyjson_mut_obj_add_uint(doc, o, "unchanged", n.unchanged);
    yyjson_mut_obj_add_uint(doc, o, "failed", n.failed);
    yyjson_mut_obj_add_val(doc, o, "results", arr);
    return api_json_doc(resp, 200, doc);
}

size_t api_body_limit(void *ctx, const struct http_req *req)
{
    struct app *app = ctx;
    static const char path[] = "/v1/batch";
    char owner[AUTH_SLUG_MAX];
    if (req->method != HTTP_M_POST || req->path_len != sizeof path - 1 ||
        memcmp(req->path, path, sizeof path - 1) != 0)
        return HTTP_MAX_BODY;
    /* Only a writer with a valid token may send a large body. */
    return api_token_owner(app, req, owner) == 0 ? API_BATCH_MAX_BODY : HTTP_MAX_BODY;
}
