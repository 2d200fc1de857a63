/* api_site.c: manufacturers' public details, and what operators and monitors open:
 * health, metrics and the registry's own security.txt (RFC 9116). The HTML pages are in
 * api_pages.c, labels in api_label.c. */
#include "api_int.h"

#include "assess.h"
#include "auth.h"
#include "date.h"
#include "decl.h"
#include "err.h"
#include "label.h"
#include "logpub.h"
#include "metrics.h"
#include "mfr.h"
#include "page.h"
#include "product.h"
#include "store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int api_health(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    struct store_txn *txn;
    size_t n = 0;
    (void)req;
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = store_count(txn, STORE_PRODUCTS, &n);
    store_reader_end(app->rd);
    if (rc) return http_resp_error(resp, REG_EUNAVAIL, "The database cannot be read.");
    if (app->cfg.mirror) return api_mirror_health(app, n, resp);
    resp->content_type = JSON_TYPE;
    api_cache(resp, API_CACHE_PRIVATE);
    buf_printf(&resp->body, "{\"status\":\"ok\",\"products\":%zu}\n", n);
    return resp->status = 200;
}

static int count_owned(void *ctx, const char *id, size_t len)
{
    (void)id;
    (void)len;
    ++*(size_t *)ctx;
    return 0;
}

int api_manufacturer(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    const char *slug = req->params[0];
    struct store_txn *txn;
    struct mfr m = {0};
    size_t n = 0;
    long modified = 0; /* the account's latest change, or a product's (the count) */
    if (!decl_slug_valid(slug, strlen(slug))) return http_resp_error(resp, REG_EBADSLUG, NULL);
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = mfr_get(txn, slug, &m);
    if (!rc) rc = product_each_of_owner(txn, slug, NULL, count_owned, &n);
    if (!rc) rc = api_products_time(txn, &modified);
    if (!rc && api_maker_time(&m) > modified) modified = api_maker_time(&m);
    store_reader_end(app->rd);
    if (rc) {
        mfr_free(&m);
        return rc == REG_ENOTFOUND ? api_error_fmt(resp, rc, "No manufacturer '%s'.", slug)
                                   : http_resp_error(resp, rc, NULL);
    }
    /* Public details only: what the operator recorded and vouched for, and the count. */
    yyjson_mut_doc *out = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(out);
    yyjson_mut_doc_set_root(out, o);
    mfr_public_json(&m, out, o);
    yyjson_mut_obj_add_uint(out, o, "products", n);
    mfr_free(&m);
    api_cache(resp, API_CACHE_MAKER);
    api_modified(resp, modified);
    return api_json_doc(resp, 200, out);
}

/* The transparency log's newest signed checkpoint (logpub.h): its tree size and when it was
 * signed, so that an alert can see writes acknowledged while the log stops advancing. */
static void log_metrics(struct logpub *lp, struct buf *out)
{
    struct buf note = BUF_INIT;
    uint64_t size = 0;
    double age = logpub_checkpoint_age(lp);
    logpub_checkpoint(lp, &note, &size);
    buf_free(&note);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    metrics_sample(out, "seclabel_log_checkpoint_size", "gauge",
                   "Tree size of the newest signed checkpoint of the transparency log.", size);
    metrics_family(out, "seclabel_log_checkpoint_timestamp_seconds", "gauge",
                   "When the newest checkpoint was signed (Unix time).");
    buf_printf(out, "seclabel_log_checkpoint_timestamp_seconds %.3f\n",
               (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - age);
    metrics_sample(out, "seclabel_log_checkpoints_signed_total", "counter",
                   "Checkpoints signed since the server started.", logpub_signed(lp));
}

int api_metrics(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    struct store_txn *txn;
    struct store_stats st = {0};
    (void)req;
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = store_stats(txn, &st);
    store_reader_end(app->rd);
    if (rc) return http_resp_error(resp, rc, NULL);
    struct buf *out = &resp->body;
    api_metrics_text(app, out);
    if (app->cfg.mirror) api_mirror_metrics(app, out);
    metrics_sample(out, "seclabel_db_bytes", "gauge",
                   "Size of the LMDB data in use (pages x page size).", st.bytes);
    metrics_family(out, "seclabel_records", "gauge", "Records by table.");
    for (int i = 0; i < STORE__TABLES; i++)
        buf_printf(out, "seclabel_records{table=\"%s\"} %zu\n", store_table_name(i), st.entries[i]);
    const struct app_config *cfg = &app->cfg;
    metrics_sample(out, "seclabel_open_connections", "gauge", "Client connections open now.",
                   cfg->connections ? __atomic_load_n(cfg->connections, __ATOMIC_RELAXED) : 0);
    metrics_sample(out, "seclabel_connections_refused_total", "counter",
                   "Connections refused (503) because their client held --max-conns-per-client "
                   "already.",
                   cfg->conns_refused ? __atomic_load_n(cfg->conns_refused, __ATOMIC_RELAXED) : 0);
    if (cfg->log) log_metrics(cfg->log, out);
    resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
    api_cache(resp, API_CACHE_PRIVATE);
    return resp->status = 200;
}

int api_security_txt(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    (void)req;
    if (!app->cfg.security_contact)
        return http_resp_error(resp, REG_ENOTFOUND,
                               "The operator has not set a security contact "
                               "(seclabeld --security-contact).");
    /* Expires is required (RFC 9116 2.5.5) and should be less than a year ahead: 180 days from
     * the start of today, so the file changes once a day (its Last-Modified), not every second. */
    char expires[21];
    long day = api_day_start(assess_today());
    date_rfc3339(day + 180L * 86400, expires);
    const char *mailto = strchr(app->cfg.security_contact, '@') &&
                                 !strstr(app->cfg.security_contact, "://") &&
                                 strncmp(app->cfg.security_contact, "mailto:", 7) != 0
                             ? "mailto:"
                             : "";
    buf_printf(&resp->body,
               "Contact: %s%s\nExpires: %s\nCanonical: %s/.well-known/security.txt\n"
               "Preferred-Languages: en\n",
               mailto, app->cfg.security_contact, expires, app->cfg.public_url);
    resp->content_type = "text/plain; charset=utf-8";
    api_cache(resp, API_CACHE_WELL_KNOWN);
    api_modified(resp, day);
    return resp->status = 200;
}

int api_whoami(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    char slug[AUTH_SLUG_MAX], id[AUTH_ID_LEN + 1];
    uint8_t hash[AUTH_HASH_LEN];
    size_t len;
    if (api_authenticate(app, req, resp, slug)) return resp->status;
    /* The token's public id (never the token): api_authenticate checked the header's shape. */
    const char *h = http_req_header(req, "authorization", &len);
    auth_token_hash(h + 7, len - 7, hash);
    auth_token_id(hash, id);
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, o);
    yyjson_mut_obj_add_strcpy(doc, o, "manufacturer", slug);
    yyjson_mut_obj_add_strcpy(doc, o, "token_id", id);
    /* What the account may say: its name (a declaration's manufacturer_name must equal it),
     * its ID namespaces and GS1 Company Prefixes, and its verification. */
    struct store_txn *txn;
    struct mfr m;
    if (store_reader_begin(app->rd, &txn) == 0 && mfr_get(txn, slug, &m) == 0) {
        yyjson_mut_val *acct = yyjson_mut_obj_add_obj(doc, o, "account");
        mfr_public_json(&m, doc, acct);
        yyjson_mut_obj_remove_key(acct, "history");
        mfr_free(&m);
    }
    store_reader_end(app->rd);
    api_cache(resp, API_CACHE_PRIVATE);
    return api_json_doc(resp, 200, doc);
}
