/* api_label.c: packaging labels over HTTP: GET /p/{id}/label.{png,svg,pdf,zpl} with
 * ?layout=full|compact|qr&width_mm=&height_mm=&dpi=&ec=L|M|Q|H. Rendering is label.c's (the same
 * module the CLI uses for sheets); labels are deterministic, so the ETag is a hash of what
 * goes into one (record version, options, public URL) and a rendered label is kept in a small
 * per-loop cache. */
#include "api_int.h"

#include "decl.h"
#include "err.h"
#include "label.h"
#include "labeldata.h"
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Numeric query option within [lo, hi]; -1 if present but invalid. */
static int query_num(struct http_req *req, const char *name, double lo, double hi, double *v)
{
    struct buf b = BUF_INIT;
    int rc = 0;
    if (http_req_query(req, name, &b) == 0) {
        char *end;
        double d = strtod(buf_cstr(&b), &end);
        if (b.len == 0 || b.data[0] < '0' || b.data[0] > '9' || *end || !(d >= lo && d <= hi))
            rc = -1;
        else
            *v = d;
    }
    buf_free(&b);
    return rc;
}

static int label_options(struct http_req *req, enum label_format f, struct label_opts *o)
{
    struct buf v = BUF_INIT;
    double dpi = 0, w = 0, h = 0;
    int rc = 0;
    label_opts_default(o);
    o->format = f;
    if (query_num(req, "width_mm", 10, 400, &w) || query_num(req, "height_mm", 10, 400, &h) ||
        query_num(req, "dpi", 72, 1200, &dpi))
        rc = -1;
    if (http_req_query(req, "layout", &v) == 0 && labeldata_layout(buf_cstr(&v), &o->layout))
        rc = -1;
    if (http_req_query(req, "ec", &v) == 0) {
        if (v.len == 1 && strchr("LMQH", v.data[0]))
            o->ec_level = v.data[0];
        else
            rc = -1;
    }
    buf_free(&v);
    /* 0 means "the layout's default size" (label.h). */
    o->width_mm = w;
    o->height_mm = h;
    if (dpi > 0) o->dpi = (int)dpi;
    return rc;
}

/* FNV-1a over everything the label's bytes depend on. */
static uint64_t label_key(const char *id, uint64_t version, const struct label_opts *o,
                          const char *public_url)
{
    char opts[160];
    int n = snprintf(opts, sizeof opts, "%s|%llu|%d|%d|%.3f|%.3f|%d|%c|", id,
                     (unsigned long long)version, (int)o->format, (int)o->layout, o->width_mm,
                     o->height_mm, o->dpi, o->ec_level);
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n && i < (int)sizeof opts; i++)
        h = (h ^ (unsigned char)opts[i]) * 1099511628211ull;
    for (const char *p = public_url; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h ? h : 1;
}

static int cache_get(struct app_label_cache *c, uint64_t key, struct buf *out)
{
    for (int i = 0; i < APP_LABEL_SLOTS; i++)
        if (c->key[i] == key) {
            buf_append(out, c->body[i].data, c->body[i].len);
            c->hits++;
            return 1;
        }
    c->misses++;
    return 0;
}

static void cache_put(struct app_label_cache *c, uint64_t key, const struct buf *body)
{
    if (body->len > APP_LABEL_MAX_BYTES) return;
    unsigned i = c->next++ % APP_LABEL_SLOTS;
    c->key[i] = key;
    buf_reset(&c->body[i]);
    buf_append(&c->body[i], body->data, body->len);
}

static int render(struct app *app, yyjson_val *rec, const struct label_opts *o,
                  struct http_resp *resp)
{
    char why[512] = "";
    struct labeldata d;
    struct label_info info;
    struct buf url = BUF_INIT;
    api_qr_url(app, rec, &url);
    int rc = labeldata_from_record(rec, buf_cstr(&url), &d, &info, why, sizeof why);
    if (!rc) rc = label_render(&info, o, &resp->body, why, sizeof why);
    buf_free(&url);
    if (rc == REG_ENOLABEL) return api_error_fmt(resp, rc, "%s", why);
    /* -EINVAL: the stored record or the options cannot make a label; say why. */
    if (rc == -EINVAL)
        return api_error_fmt(resp, REG_ENOLABEL, "Cannot print this label: %s.", why);
    return rc ? http_resp_error(resp, rc, NULL) : 0;
}

static int label(struct app *app, struct http_req *req, struct http_resp *resp, enum label_format f)
{
    const char *id = req->params[0], *json;
    size_t len;
    struct store_txn *txn;
    struct label_opts o;
    if (!decl_id_valid(id, strlen(id))) return http_resp_error(resp, REG_EBADID, NULL);
    if (label_options(req, f, &o))
        return http_resp_error(resp, REG_EBADREQ,
                               "Label options: layout full, compact or qr, width_mm and height_mm "
                               "10-400, dpi 72-1200, ec L, M, Q or H.");
    int rc = api_read_record(app, id, &txn, &json, &len);
    if (rc == REG_ENOTFOUND) return api_error_fmt(resp, rc, "No product with ID '%s'.", id);
    if (rc) return http_resp_error(resp, rc, NULL);
    yyjson_doc *doc = yyjson_read(json, len, 0);
    store_reader_end(app->rd);
    yyjson_val *rec = yyjson_doc_get_root(doc);
    uint64_t key =
        label_key(id, yyjson_get_uint(yyjson_obj_get(rec, "version")), &o, app->public_url);
    char etag[24];
    snprintf(etag, sizeof etag, "\"L%016llx\"", (unsigned long long)key);
    if (api_etag_matches(req, etag)) {
        resp->status = 304;
    } else if (cache_get(&app->labels, key, &resp->body)) {
        resp->status = 200;
    } else if (!yyjson_is_obj(rec)) {
        http_resp_error(resp, REG_ESTORE, NULL);
    } else if (render(app, rec, &o, resp) == 0) {
        cache_put(&app->labels, key, &resp->body);
        resp->status = 200;
    }
    yyjson_doc_free(doc);
    if (resp->status == 200 || resp->status == 304) {
        resp->content_type = labeldata_media_type(f);
        http_resp_header(resp, "ETag", "%s", etag);
        http_resp_header(resp, "Cache-Control", "public, max-age=300");
        http_resp_header(resp, "Content-Disposition", "inline; filename=\"%s-label.%s\"", id,
                         labeldata_ext(f));
        resp->cacheable = resp->status == 200;
        resp->cache_scope = id;
    }
    return resp->status;
}

int api_label_png(void *ctx, struct http_req *req, struct http_resp *resp)
{
    return label(ctx, req, resp, LABEL_PNG);
}

int api_label_svg(void *ctx, struct http_req *req, struct http_resp *resp)
{
    return label(ctx, req, resp, LABEL_SVG);
}

int api_label_pdf(void *ctx, struct http_req *req, struct http_resp *resp)
{
    return label(ctx, req, resp, LABEL_PDF);
}

int api_label_zpl(void *ctx, struct http_req *req, struct http_resp *resp)
{
    return label(ctx, req, resp, LABEL_ZPL);
}
