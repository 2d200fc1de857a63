/* api_label.c: packaging labels over HTTP: GET /p/{id}/label.{png,svg,pdf,zpl} with
 * ?layout=full|compact|qr&width_mm=&height_mm=&dpi=&ec=L|M|Q|H&lang=en|de|zh (default: the
 * language of the product's first market, labeldata.h). Rendering is label.c's (the same
 * module the CLI uses for sheets); labels are deterministic, so the ETag is a hash of what
 * goes into one (record version, options, public URL) and a rendered label is kept in a small
 * per-loop cache. */
#include "api_int.h"

#include "decl.h"
#include "err.h"
#include "hash.h"
#include "label.h"
#include "labeldata.h"
#include "store.h"

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
    if (query_num(req, "width_mm", LABEL_MIN_MM, LABEL_MAX_MM, &w) ||
        query_num(req, "height_mm", LABEL_MIN_MM, LABEL_MAX_MM, &h) ||
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

/* A hash (hash.h) of everything the label's bytes depend on; never 0 (an empty cache slot).
 * Besides the record, the options and the public URL, that is the program and the fonts it
 * finds: a new release or font package may draw the same label differently (pHYs, CJK glyphs,
 * a new layout), and a client holding the old ETag must then not be told 304. Neither can be
 * hashed cheaply, and both change only with a restart, so the process's start stands for them
 * (as it bounds every Last-Modified, api_cache.c); a restart costs one download per label. */
static uint64_t label_key(const char *id, uint64_t version, const struct label_opts *o,
                          const char *lang, const char *public_url)
{
    char opts[200];
    int n = snprintf(opts, sizeof opts, "%s|%llu|%d|%d|%.3f|%.3f|%d|%c|%s|%s|%ld|", id,
                     (unsigned long long)version, (int)o->format, (int)o->layout, o->width_mm,
                     o->height_mm, o->dpi, o->ec_level, lang ? lang : "", SECLABEL_VERSION,
                     api_process_start());
    size_t len = n < 0 ? 0 : (size_t)n < sizeof opts ? (size_t)n : sizeof opts - 1;
    uint64_t h = hash_fnv1a_more(hash_fnv1a(opts, len), public_url, strlen(public_url));
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

/* Rendering a label takes milliseconds to a tenth of a second (a large label at 1200 dpi), and
 * any client may ask for sizes no cache holds: it runs on the server's thread pool (api_defer),
 * never on the event loop (label.c's libraries, cairo, libpng and libqrencode, keep no shared state
 * between renderings). The job owns the parsed record and everything the rendering needs. */
struct label_job {
    struct api_job job; /* first */
    yyjson_doc *doc;    /* the record */
    struct label_opts o;
    const char *lang; /* ?lang= (static, label_lang_code), or NULL: the record's default */
    struct buf url;   /* what the QR code carries */
    uint64_t key;
    long modified; /* the record's (labels show no day-dependent state) */
    char etag[24];
    int rc;
    struct reg_why why;
    struct buf body;
};

static void render_run(struct api_job *job)
{
    struct label_job *l = (struct label_job *)job;
    struct labeldata d;
    struct label_info info;
    l->rc =
        labeldata_from_record(yyjson_doc_get_root(l->doc), buf_cstr(&l->url), &d, &info, &l->why);
    if (l->lang) info.lang = l->lang;
    if (!l->rc) l->rc = label_render(&info, &l->o, &l->body, &l->why);
}

/* The headers of a label answer (200 or 304). */
static void label_headers(struct http_resp *resp, const char *id, enum label_format f,
                          const char *etag)
{
    resp->content_type = labeldata_media_type(f);
    http_resp_header(resp, "ETag", "%s", etag);
    api_cache(resp, API_CACHE_LABEL);
    http_resp_header(resp, "Content-Disposition", "inline; filename=\"%s-label.%s\"", id,
                     labeldata_ext(f));
}

static void render_done(struct api_job *job)
{
    struct label_job *l = (struct label_job *)job;
    struct http_resp *resp = job->resp;
    const char *id = job->req->params[0];
    job->app->labels.jobs--;
    if (l->rc == REG_ENOLABEL)
        api_error_fmt(resp, l->rc, "%s", l->why.text);
    else if (l->rc == REG_EBADREQ) /* the stored record or the options cannot make a label */
        api_error_fmt(resp, REG_ENOLABEL, "Cannot print this label: %s.", l->why.text);
    else if (l->rc)
        http_resp_error(resp, l->rc, NULL);
    else {
        cache_put(&job->app->labels, l->key, &l->body);
        buf_append(&resp->body, l->body.data, l->body.len);
        resp->status = 200;
        label_headers(resp, id, l->o.format, l->etag);
        api_modified(resp, l->modified);
    }
    yyjson_doc_free(l->doc);
    buf_free(&l->url);
    buf_free(&l->body);
}

static int label(struct app *app, struct http_req *req, struct http_resp *resp, enum label_format f)
{
    const char *id = req->params[0], *json;
    size_t len;
    struct store_txn *txn;
    struct label_job *l = xcalloc(1, sizeof *l);
    struct buf lang = BUF_INIT;
    int rc = 0, has_lang = http_req_query(req, "lang", &lang) == 0;
    int lang_ix = has_lang ? label_lang(buf_cstr(&lang)) : 0;
    buf_free(&lang);
    if (lang_ix >= 0 && has_lang) l->lang = label_lang_code(lang_ix);
    char bad[160];
    snprintf(bad, sizeof bad,
             "Label options: layout full, compact or qr, width_mm and height_mm %g-%g, dpi "
             "72-1200, ec L, M, Q or H.",
             LABEL_MIN_MM, LABEL_MAX_MM);
    if (!decl_id_valid(id, strlen(id)))
        rc = http_resp_error(resp, REG_EBADID, NULL);
    else if (lang_ix < 0)
        rc = api_error_fmt(resp, REG_EBADREQ, "Label languages (lang): %s.", label_lang_list());
    else if (label_options(req, f, &l->o))
        rc = http_resp_error(resp, REG_EBADREQ, bad);
    else if ((rc = api_read_record(app, id, &txn, &json, &len)) == REG_ENOTFOUND)
        rc = api_error_fmt(resp, rc, "No product with ID '%s'.", id);
    else if (rc)
        rc = http_resp_error(resp, rc, NULL);
    if (rc) {
        free(l);
        return rc;
    }
    l->doc = yyjson_read(json, len, 0);
    store_reader_end(app->rd);
    yyjson_val *rec = yyjson_doc_get_root(l->doc);
    l->key = label_key(id, yyjson_get_uint(yyjson_obj_get(rec, "version")), &l->o, l->lang,
                       app->cfg.public_url);
    snprintf(l->etag, sizeof l->etag, "\"L%016llx\"", (unsigned long long)l->key);
    l->modified = api_later(0, yyjson_get_str(yyjson_obj_get(rec, "modified")));
    if (!yyjson_is_obj(rec)) {
        http_resp_error(resp, REG_ESTORE, NULL);
    } else if (api_etag_matches(req, l->etag)) {
        resp->status = 304;
    } else if (cache_get(&app->labels, l->key, &resp->body)) {
        resp->status = 200;
        resp->cacheable = 1; /* a cached label may go to the response cache too */
        resp->cache_scope = id;
    } else if (app->labels.jobs >= APP_LABEL_JOBS) {
        http_resp_header(resp, "Retry-After", "1");
        http_resp_error(resp, REG_EUNAVAIL,
                        "Too many labels are being drawn right now; try again in a second.");
    } else {
        app->labels.jobs++;
        api_qr_url(app, rec, &l->url);
        return api_defer(app, req, resp, &l->job, render_run, render_done);
    }
    if (resp->status == 200 || resp->status == 304) {
        label_headers(resp, id, f, l->etag);
        api_modified(resp, l->modified);
    }
    yyjson_doc_free(l->doc);
    free(l);
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
