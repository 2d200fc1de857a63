/* api.c: routes and handlers (see api.h).
 *
 *   GET  /                         home page (HTML)
 *   GET  /healthz                  liveness and storage check (JSON)
 *   GET  /v1/products/{id}         current record + qr_url (JSON)
 *   PUT  /v1/products/{id}         create or update (Bearer token; JSON declaration)
 *   GET  /p/{id}                   the shopper's page behind the QR code (HTML)
 *   GET  /p/{id}/label.png         packaging label (PNG)
 * HEAD works wherever GET does. Errors are JSON {"error","message"} (see err.h). */
#include "api.h"

#include "assess.h"
#include "auth.h"
#include "date.h"
#include "decl.h"
#include "err.h"
#include "label.h"
#include "page.h"
#include "product.h"
#include "router.h"
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <yyjson.h>

#define JSON_TYPE "application/json; charset=utf-8"
#define HTML_TYPE "text/html; charset=utf-8"

int app_init(struct app *app, struct store *st, const char *public_url, int log_requests)
{
    memset(app, 0, sizeof *app);
    app->st = st;
    app->public_url = public_url;
    app->log_requests = log_requests;
    return store_reader_new(st, &app->rd);
}

void app_close(struct app *app)
{
    store_reader_free(app->rd);
    app->rd = NULL;
}

/* Error with a message naming the thing, e.g. "No product with ID 'x'." */
static int error_fmt(struct http_resp *resp, int code, const char *fmt, const char *arg)
{
    char msg[256];
    snprintf(msg, sizeof msg, fmt, arg);
    return http_resp_error(resp, code, msg);
}

/* The record with "qr_url" appended: the stored JSON is an object, so its closing brace is
 * replaced rather than parsing and rewriting the whole record on every read. */
static void record_body(struct app *app, const char *json, size_t len, const char *id,
                        struct http_resp *resp)
{
    resp->content_type = JSON_TYPE;
    buf_append(&resp->body, json, len - 1);
    buf_printf(&resp->body, ",\"qr_url\":\"%s/p/%s\"}\n", app->public_url, id);
}

static int read_record(struct app *app, const char *id, struct store_txn **txn, const char **json,
                       size_t *len)
{
    int rc = store_reader_begin(app->rd, txn);
    if (rc) return rc;
    rc = product_get(*txn, id, json, len);
    if (rc) store_reader_end(app->rd);
    return rc;
}

static int get_product(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    const char *id = req->params[0], *json;
    size_t len;
    struct store_txn *txn;
    if (!decl_id_valid(id, strlen(id))) return http_resp_error(resp, REG_EBADID, NULL);
    int rc = read_record(app, id, &txn, &json, &len);
    if (rc == REG_ENOTFOUND) return error_fmt(resp, rc, "No product with ID '%s'.", id);
    if (rc) return http_resp_error(resp, rc, NULL);
    record_body(app, json, len, id, resp);
    store_reader_end(app->rd);
    http_resp_header(resp, "Cache-Control", "public, max-age=60");
    return resp->status = 200;
}

static int decl_error_body(struct http_resp *resp, int code, const struct decl_errors *errs)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(doc), *details = yyjson_mut_arr(doc);
    yyjson_mut_doc_set_root(doc, o);
    char msg[512];
    if (code == REG_EBADJSON)
        snprintf(msg, sizeof msg, "The body is not valid JSON: %s.", errs->e[0].message);
    else
        snprintf(msg, sizeof msg, "The declaration has %d problem%s%s; first: %s %s.", errs->n,
                 errs->n == 1 ? "" : "s", errs->more ? " (and more not listed)" : "",
                 errs->e[0].path[0] ? errs->e[0].path : "the document", errs->e[0].message);
    yyjson_mut_obj_add_str(doc, o, "error", reg_err_name(code));
    yyjson_mut_obj_add_strcpy(doc, o, "message", msg);
    for (int i = 0; code == REG_EINVALID && i < errs->n; i++) {
        yyjson_mut_val *d = yyjson_mut_arr_add_obj(doc, details);
        yyjson_mut_obj_add_strcpy(doc, d, "path", errs->e[i].path);
        yyjson_mut_obj_add_str(doc, d, "rule", errs->e[i].rule);
        yyjson_mut_obj_add_strcpy(doc, d, "message", errs->e[i].message);
    }
    if (code == REG_EINVALID) yyjson_mut_obj_add_val(doc, o, "details", details);
    size_t len;
    char *s = yyjson_mut_write(doc, 0, &len);
    yyjson_mut_doc_free(doc);
    resp->status = 400;
    resp->content_type = JSON_TYPE;
    buf_append(&resp->body, s, len);
    buf_putc(&resp->body, '\n');
    free(s);
    return 400;
}

/* The manufacturer behind the request's Bearer token, or an error response. */
static int authenticate(struct app *app, struct http_req *req, struct http_resp *resp,
                        char slug[AUTH_SLUG_MAX])
{
    size_t len;
    const char *h = http_req_header(req, "authorization", &len);
    if (!h || len < 8 || strncasecmp(h, "Bearer ", 7) != 0) {
        http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"seclabel\"");
        http_resp_error(resp, REG_EAUTH, "Send your API token as 'Authorization: Bearer <token>'.");
        return REG_EAUTH;
    }
    struct store_txn *txn;
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = auth_token_check(txn, h + 7, len - 7, slug);
    store_reader_end(app->rd);
    if (rc == REG_EAUTH) {
        http_resp_header(resp, "WWW-Authenticate",
                         "Bearer realm=\"seclabel\", error=\"invalid_token\"");
        http_resp_error(resp, rc, "The API token is unknown or revoked.");
    } else if (rc) {
        http_resp_error(resp, rc, NULL);
    }
    return rc;
}

static int is_json_type(const struct http_req *req)
{
    size_t len;
    const char *ct = http_req_header(req, "content-type", &len);
    if (!ct || len < 16 || strncasecmp(ct, "application/json", 16) != 0) return 0;
    return len == 16 || ct[16] == ';' || ct[16] == ' ';
}

static int put_product(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    const char *id = req->params[0];
    char owner[AUTH_SLUG_MAX];
    if (authenticate(app, req, resp, owner)) return resp->status;
    if (!decl_id_valid(id, strlen(id))) return http_resp_error(resp, REG_EBADID, NULL);
    if (!is_json_type(req)) return http_resp_error(resp, REG_EMEDIA, NULL);
    struct decl_errors errs;
    struct product_result res;
    struct buf rec = BUF_INIT;
    int rc = product_put(app->st, owner, id, req->body.data ? req->body.data : "", req->body.len,
                         &errs, &rec, &res);
    if (rc == REG_EINVALID || rc == REG_EBADJSON) {
        buf_free(&rec);
        return decl_error_body(resp, rc, &errs);
    }
    if (rc == REG_EFORBIDDEN)
        error_fmt(resp, rc, "Product '%s' belongs to another manufacturer.", id);
    else if (rc)
        http_resp_error(resp, rc, NULL);
    else {
        record_body(app, rec.data, rec.len, id, resp);
        resp->status = res.created ? 201 : 200;
        if (res.created) http_resp_header(resp, "Location", "/v1/products/%s", id);
        /* Tells tools (the CLI, importers) what the write did without a second request. */
        http_resp_header(resp, "Seclabel-Change", "%s",
                         res.created     ? "created"
                         : res.unchanged ? "unchanged"
                                         : "updated");
    }
    buf_free(&rec);
    return resp->status;
}

static int html_not_found(struct http_resp *resp, const char *id)
{
    page_not_found(id, &resp->body);
    resp->content_type = HTML_TYPE;
    return resp->status = 404;
}

static int get_page(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    const char *id = req->params[0], *json;
    size_t len;
    struct store_txn *txn;
    if (!decl_id_valid(id, strlen(id))) return html_not_found(resp, id);
    int rc = read_record(app, id, &txn, &json, &len);
    if (rc == REG_ENOTFOUND) return html_not_found(resp, id);
    if (rc) return http_resp_error(resp, rc, NULL);
    rc = page_product(json, len, assess_today(), &resp->body);
    store_reader_end(app->rd);
    if (rc) return http_resp_error(resp, REG_ESTORE, NULL);
    resp->content_type = HTML_TYPE;
    http_resp_header(resp, "Cache-Control", "public, max-age=60");
    return resp->status = 200;
}

/* Numeric query option within [lo, hi]; -1 if present but invalid. */
static int query_num(struct http_req *req, const char *name, double lo, double hi, double *v)
{
    struct buf b = BUF_INIT;
    int rc = 0;
    if (http_req_query(req, name, &b) == 0) {
        char *end;
        double d = strtod(buf_cstr(&b), &end);
        if (b.len == 0 || *end || !(d >= lo && d <= hi))
            rc = -1;
        else
            *v = d;
    }
    buf_free(&b);
    return rc;
}

static int label_options(struct http_req *req, struct label_opts *o, struct http_resp *resp)
{
    double dpi = 0;
    label_opts_default(o);
    if (query_num(req, "width_mm", 10, 400, &o->width_mm) ||
        query_num(req, "height_mm", 10, 400, &o->height_mm) ||
        query_num(req, "dpi", 72, 1200, &dpi)) {
        http_resp_error(resp, REG_EBADREQ,
                        "Label options: width_mm and height_mm 10-400, dpi 72-1200.");
        resp->close = 0;
        return -1;
    }
    if (dpi > 0) o->dpi = (int)dpi;
    return 0;
}

static int render_label(struct app *app, yyjson_val *rec, const struct label_opts *o,
                        const char *id, struct http_resp *resp)
{
    struct assess a;
    assess_record(rec, assess_today(), &a);
    if (yyjson_equals_str(yyjson_obj_get(rec, "status"), "withdrawn"))
        return error_fmt(resp, REG_ENOLABEL, "Product '%s' is withdrawn: it gets no label.", id);
    if (!a.compliant)
        return error_fmt(resp, REG_ENOLABEL,
                         "Product '%s' fails a baseline security requirement: it gets no label.",
                         id);
    char url[1024], why[256] = "";
    snprintf(url, sizeof url, "%s/p/%s", app->public_url, id);
    struct label_info info = {
        .url = url,
        .product_name = yyjson_get_str(yyjson_obj_get(rec, "product_name")),
        .product_model = yyjson_get_str(yyjson_obj_get(rec, "product_model")),
        .support_date = yyjson_get_str(yyjson_obj_get(rec, "support_date")),
        .product_id = id,
    };
    int rc = label_render_png(&info, o, &resp->body, why, sizeof why);
    /* -EINVAL: the stored record or the options cannot make a label; say why, as for a
     * label that does not fit. */
    if (rc == REG_ENOLABEL) return error_fmt(resp, rc, "%s", why);
    if (rc == -EINVAL) return error_fmt(resp, REG_ENOLABEL, "Cannot print this label: %s.", why);
    if (rc) return http_resp_error(resp, rc, NULL);
    resp->content_type = "image/png";
    http_resp_header(resp, "Cache-Control", "public, max-age=300");
    return resp->status = 200;
}

static int get_label(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    const char *id = req->params[0], *json;
    size_t len;
    struct store_txn *txn;
    struct label_opts o;
    if (!decl_id_valid(id, strlen(id))) return http_resp_error(resp, REG_EBADID, NULL);
    if (label_options(req, &o, resp)) return resp->status;
    int rc = read_record(app, id, &txn, &json, &len);
    if (rc == REG_ENOTFOUND) return error_fmt(resp, rc, "No product with ID '%s'.", id);
    if (rc) return http_resp_error(resp, rc, NULL);
    yyjson_doc *doc = yyjson_read(json, len, 0);
    store_reader_end(app->rd);
    rc = render_label(app, yyjson_doc_get_root(doc), &o, id, resp);
    yyjson_doc_free(doc);
    return rc;
}

static int get_home(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    struct store_txn *txn;
    (void)req;
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = page_home(txn, assess_today(), &resp->body);
    store_reader_end(app->rd);
    if (rc) return http_resp_error(resp, rc, NULL);
    resp->content_type = HTML_TYPE;
    return resp->status = 200;
}

static int get_health(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    struct store_txn *txn;
    size_t n = 0;
    (void)req;
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = store_count(txn, STORE_PRODUCTS, &n);
    store_reader_end(app->rd);
    if (rc) return http_resp_error(resp, REG_EUNAVAIL, "The database cannot be read.");
    resp->content_type = JSON_TYPE;
    http_resp_header(resp, "Cache-Control", "no-store");
    buf_printf(&resp->body, "{\"status\":\"ok\",\"products\":%zu}\n", n);
    return resp->status = 200;
}

static const struct route routes[] = {
    {HTTP_M_GET, "/", get_home},
    {HTTP_M_GET, "/healthz", get_health},
    {HTTP_M_GET, "/v1/products/{}", get_product},
    {HTTP_M_PUT, "/v1/products/{}", put_product},
    {HTTP_M_GET, "/p/{}", get_page},
    {HTTP_M_GET, "/p/{}/label.png", get_label},
};

static void allow_header(struct http_resp *resp, int allow)
{
    static const int order[] = {HTTP_M_GET, HTTP_M_HEAD, HTTP_M_PUT, HTTP_M_POST, HTTP_M_DELETE};
    char list[64] = "";
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(allow & order[i])) continue;
        if (list[0]) strcat(list, ", ");
        strcat(list, http_method_name(order[i]));
    }
    http_resp_header(resp, "Allow", "%s", list);
}

static void log_request(const struct http_req *req, const struct http_resp *resp, double ms)
{
    char now[21];
    date_rfc3339(time(NULL), now);
    /* The path is untrusted: print only visible ASCII so it cannot forge log lines. */
    char clean[256];
    size_t n = 0;
    for (; n < req->path_len && n < sizeof clean - 1; n++)
        clean[n] = (req->path[n] > ' ' && req->path[n] < 127) ? req->path[n] : '?';
    clean[n] = '\0';
    fprintf(stderr, "%s %s %s %s %d %zu %.2fms\n", now, req->id, http_method_name(req->method),
            clean, resp->status, resp->body.len, ms);
}

void app_handle(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    struct timespec t0, t1;
    if (app->log_requests) clock_gettime(CLOCK_MONOTONIC, &t0);
    int allow;
    const struct route *r = router_match(routes, sizeof routes / sizeof routes[0], req, &allow);
    if (r)
        r->fn(app, req, resp);
    else if (allow) {
        allow_header(resp, allow);
        http_resp_error(resp, REG_EMETHOD, NULL);
    } else
        http_resp_error(resp, REG_ENOTFOUND, "There is nothing at this address.");
    if (app->log_requests) {
        clock_gettime(CLOCK_MONOTONIC, &t1);
        log_request(req, resp,
                    (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
                        (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
    }
}
