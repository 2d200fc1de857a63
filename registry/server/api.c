/* api.c: the route table, request dispatch, access log and metrics, and the helpers every
 * handler file shares (see api.h, api_int.h). The counting and the Prometheus text are
 * metrics.c's; running deferred work is the server's (struct app_config's defer hook).
 *
 * Handlers live by concern: api_products.c (one product: record, write, withdraw, history,
 * CTA-2120), api_query.c (search, bulk lookup, changes feed), api_gs1.c (GS1 Digital Link
 * resolver), api_pages.c (HTML pages, CSV, stylesheet), api_label.c (labels), api_site.c
 * (manufacturers, health, metrics, security.txt). HEAD works wherever GET does. Errors are JSON
 * {"error","message"} (see err.h). */
#include "api_int.h"

#include "assess.h"
#include "auth.h"
#include "clients.h"
#include "commit.h"
#include "date.h"
#include "err.h"
#include "i18n.h"
#include "metrics.h"
#include "mfr.h"
#include "page.h"
#include "product.h"
#include "represent.h"
#include "search.h"
#include "store.h"
#include "testhold.h"
#include "tlog.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* The label options (api_label.c reads them). */
#define LABEL_QUERY "layout ec width_mm height_mm dpi lang"

/* Every address, its handler, and the query parameters it takes (router.h): the JSON API under
 * /v1/, the labels and the operators' endpoints refuse any other; the pages and files for
 * people and for other tools (the GS1 resolver, well-known files) ignore what they do not know. */
static const struct route routes[] = {
    {HTTP_M_GET, "/", api_home, NULL},
    {HTTP_M_GET, "/healthz", api_health, ""},
    {HTTP_M_GET, "/metrics", api_metrics, ""},
    {HTTP_M_GET, "/.well-known/security.txt", api_security_txt, NULL},
    {HTTP_M_GET, "/.well-known/gs1resolver", api_gs1_description, NULL},
    {HTTP_M_GET, "/v1/products", api_search, SEARCH_QUERY_PARAMS},
    {HTTP_M_GET, "/v1/facets", api_facets, ""},
    {HTTP_M_GET, "/v1/products/{}", api_get_product, ""},
    {HTTP_M_PUT, "/v1/products/{}", api_put_product, "dry_run"},
    {HTTP_M_POST, "/v1/products/{}/withdraw", api_withdraw, ""},
    {HTTP_M_GET, "/v1/products/{}/versions", api_versions, ""},
    {HTTP_M_GET, "/v1/products/{}/versions/{}", api_version, ""},
    {HTTP_M_GET, "/v1/products/{}/cta-2120", api_cta, ""},
    {HTTP_M_POST, "/v1/lookup", api_lookup, ""},
    {HTTP_M_POST, "/v1/batch", api_batch, "dry_run"},
    {HTTP_M_GET, "/v1/whoami", api_whoami, ""},
    {HTTP_M_GET, "/v1/changes", api_changes, "since limit"},
    {HTTP_M_GET, "/v1/changes.atom", api_changes_atom, ""},
    {HTTP_M_GET, "/v1/manufacturers/{}", api_manufacturer, ""},
    {HTTP_M_GET, "/01/{}", api_gs1_resolve, NULL},
    {HTTP_M_GET, "/p/{}", api_page, NULL},
    {HTTP_M_GET, "/p/{}/details", api_details, NULL},
    {HTTP_M_GET, "/p/{}/label.png", api_label_png, LABEL_QUERY},
    {HTTP_M_GET, "/p/{}/label.svg", api_label_svg, LABEL_QUERY},
    {HTTP_M_GET, "/p/{}/label.pdf", api_label_pdf, LABEL_QUERY},
    {HTTP_M_GET, "/p/{}/label.zpl", api_label_zpl, LABEL_QUERY},
    {HTTP_M_GET, "/m/{}", api_maker_page, NULL},
    {HTTP_M_GET, "/products.csv", api_csv, NULL},
    {HTTP_M_GET, "/static/style.css", api_style, NULL},
    {HTTP_M_GET, "/p/{}/record.json", api_get_product, NULL}, /* GS1 certificationInfo */
    {HTTP_M_GET, "/log/checkpoint", api_log_checkpoint, ""},
    {HTTP_M_GET, "/log/key", api_log_key, ""},
    {HTTP_M_GET, "/log/tile/{**}", api_log_tile, ""},
    {HTTP_M_GET, "/log/proof", api_log_proof, "old new"},
    {HTTP_M_GET, "/v1/products/{}/versions/{}/entry", api_log_entry, ""},
    {HTTP_M_GET, "/v1/products/{}/proof", api_log_inclusion, "size version"},
    {HTTP_M_GET, "/log", api_log_page, NULL},
};
#define NROUTES (sizeof routes / sizeof routes[0])
_Static_assert(NROUTES <= METRICS_MAX_ROUTES, "raise METRICS_MAX_ROUTES");

/* Set once by app_global_init, before any thread starts; read by app_init. */
static int global_ready;
/* A test hook (tests/integration/test_loop.py; docs/PERFORMANCE.md, "Nothing holds the
 * loop"): with SECLABEL_TEST_HOLD_READS naming a file that exists, a deferred read appends
 * "held" to it and waits while it exists (at most a minute), so a test sees other requests
 * answered while a slow read is in flight without timing anything. Read once by
 * app_global_init, before any thread starts. */
static const char *test_hold_path;
/* A test hook (tests/integration/test_miss_pool.py): with SECLABEL_TEST_MISSES_TO_POOL naming a
 * file, every record's GET that misses the response cache runs on the pool while the file exists
 * (api.h, struct app_faults), so a test compares the pool's answers with the loop's without
 * evicting anything. Read once by app_global_init, before any thread starts. */
static const char *test_pool_path;

int app_global_init(void)
{
    if (global_ready) return 0;
    int rc = auth_init();
    if (rc) {
        reg_logf("cannot initialise libsodium");
        return rc;
    }
    if ((rc = i18n_init())) return rc;
    page_init();
    api_cache_init();
    test_hold_path = getenv("SECLABEL_TEST_HOLD_READS");
    test_pool_path = getenv("SECLABEL_TEST_MISSES_TO_POOL");
    assess_test_clock(getenv("SECLABEL_TEST_CLOCK_OFFSET")); /* assess.h */
    global_ready = 1;
    return 0;
}

/* The response cache's `newest` hook (rcache.h): lists are fresh while no commit followed. */
static int newest_txn(void *st, uint64_t *txn)
{
    return store_last_txn(st, txn);
}

int app_init(struct app *app, const struct app_config *cfg)
{
    memset(app, 0, sizeof *app);
    if (!global_ready) return REG_EINTERNAL;
    app->cfg = *cfg;
    if (!app->cfg.csv_max_rows) app->cfg.csv_max_rows = REG_MAX_CSV_ROWS;
    rcache_init(&app->responses, cfg->shared);
    app->responses.newest = newest_txn;
    app->responses.newest_ctx = cfg->st;
    mfr_memo_init(&app->makers, NULL);
    app->faults.majflt = -1; /* not yet looked at: app_init may not run on the loop's thread */
    int rc = store_reader_new(cfg->st, &app->rd);
    if (rc) return rc;
    app_watch_makers(app);
    return 0;
}

void app_watch_makers(struct app *app)
{
    struct store_txn *txn;
    uint64_t gen = 0;
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = mfr_generation(txn, &gen);
    store_reader_end(app->rd);
    if (rc || gen == app->makers_gen) return;
    app->makers_gen = gen;
    rcache_invalidate_all(&app->responses);
}

void app_close(struct app *app)
{
    for (int i = 0; i < APP_LABEL_SLOTS; i++)
        buf_free(&app->labels.body[i]);
    mfr_memo_free(&app->makers);
    store_reader_free(app->rd);
    app->rd = NULL;
    rcache_free(&app->responses);
}

int api_error_fmt(struct http_resp *resp, int code, const char *fmt, const char *arg)
{
    char msg[512];
    snprintf(msg, sizeof msg, fmt, arg);
    return http_resp_error(resp, code, msg);
}

/* The stored record is a JSON object: the computed state is put before its first member (a
 * record leads with its state) and its closing brace is replaced by the registry's URL and the
 * other computed members, rather than rewriting the whole record. */
int api_record_json_parsed(const struct app *app, struct mfr_memo *mm, yyjson_val *rec,
                           const char *json, size_t len, int64_t today, struct buf *out,
                           unsigned *version)
{
    if (!yyjson_is_obj(rec) || !yyjson_is_str(yyjson_obj_get(rec, "id")) || len < 2 ||
        json[0] != '{' || json[len - 1] != '}')
        return REG_ESTORE;
    struct assess a;
    assess_record(rec, today, &a);
    unsigned v = (unsigned)yyjson_get_uint(yyjson_obj_get(rec, "version"));
    if (version) *version = v;
    buf_putc(out, '{');
    assess_state_json(&a, out);
    buf_putc(out, ',');
    buf_append(out, json + 1, len - 2);
    buf_puts(out, ",\"qr_url\":\"");
    api_qr_url(app, rec, out);
    buf_putc(out, '"');
    assess_json(&a, today, out);
    buf_puts(out, ",\"manufacturer_account\":");
    mfr_memo_account_json(mm, yyjson_get_str(yyjson_obj_get(rec, "manufacturer")), out);
    api_log_index(mm->txn, yyjson_get_str(yyjson_obj_get(rec, "id")), v, out);
    buf_putc(out, '}');
    return 0;
}

void api_log_index(struct store_txn *txn, const char *id, unsigned version, struct buf *out)
{
    uint64_t index;
    if (tlog_index(txn, id, version, &index)) return; /* none: a log not yet backfilled */
    buf_puts(out, ",\"log\":{\"index\":");
    buf_put_u64(out, index);
    buf_putc(out, '}');
}

int api_record_json(const struct app *app, struct mfr_memo *mm, const char *json, size_t len,
                    int64_t today, struct buf *out, unsigned *version)
{
    yyjson_doc *doc = yyjson_read(json, len, 0);
    int rc =
        api_record_json_parsed(app, mm, yyjson_doc_get_root(doc), json, len, today, out, version);
    yyjson_doc_free(doc);
    return rc;
}

void api_qr_url(const struct app *app, yyjson_val *rec, struct buf *out)
{
    /* IDs and stored GTINs are plain ASCII (decl_id_valid, 14 digits): safe in JSON and URLs
     * without escaping, as is the public URL (checked by seclabeld's main.c). */
    yyjson_val *gtin = yyjson_obj_get(rec, "gtin"), *id = yyjson_obj_get(rec, "id");
    int by_gtin = yyjson_is_str(gtin) && yyjson_get_len(gtin) == 14;
    buf_puts(out, app->cfg.public_url);
    buf_puts(out, by_gtin ? "/01/" : "/p/");
    buf_puts(out, by_gtin ? yyjson_get_str(gtin) : yyjson_is_str(id) ? yyjson_get_str(id) : "");
}

int api_read_record(struct app *app, const char *id, struct store_txn **txn, const char **json,
                    size_t *len)
{
    int rc = store_reader_begin(app->rd, txn);
    if (rc) return rc;
    rc = product_get(*txn, id, json, len);
    if (rc) store_reader_end(app->rd);
    return rc;
}

int api_token_owner(struct app *app, const struct http_req *req, char *slug)
{
    size_t len;
    const char *h = http_req_header(req, "authorization", &len);
    if (!h || len < 8 || strncasecmp(h, "Bearer ", 7) != 0) return REG_EBADREQ;
    struct store_txn *txn;
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = mfr_find_by_token(txn, h + 7, len - 7, slug);
    store_reader_end(app->rd);
    return rc;
}

int api_authenticate(struct app *app, struct http_req *req, struct http_resp *resp, char *slug)
{
    int rc = api_token_owner(app, req, slug);
    if (rc == REG_EBADREQ) {
        http_resp_header(resp, "WWW-Authenticate", "Bearer realm=\"seclabel\"");
        return http_resp_error(resp, REG_EAUTH,
                               "Send your API token as 'Authorization: Bearer <token>'.");
    }
    if (rc == REG_EAUTH) {
        http_resp_header(resp, "WWW-Authenticate",
                         "Bearer realm=\"seclabel\", error=\"invalid_token\"");
        return http_resp_error(resp, rc, "The API token is unknown or revoked.");
    }
    return rc ? http_resp_error(resp, rc, NULL) : 0;
}

int api_search_query(const struct http_req *req, enum search_status status, struct search_query *sq,
                     struct search_params_store *st, struct http_resp *resp)
{
    struct reg_why why;
    memset(st, 0, sizeof *st);
    /* Each parameter's decoded value; one that cannot be decoded counts as not given, as an
     * empty one does. */
#define READ_PARAM(name)                                                                           \
    if (http_req_query(req, #name, &st->name)) buf_reset(&st->name);
    SEARCH_PARAMS(READ_PARAM)
#undef READ_PARAM
    int rc = search_params(st, status, assess_today(), sq, &why);
    if (rc) http_resp_error(resp, rc, why.text);
    return rc;
}

int api_is_json(const struct http_req *req)
{
    size_t len;
    const char *ct = http_req_header(req, "content-type", &len);
    if (!ct || len < 16 || strncasecmp(ct, "application/json", 16) != 0) return 0;
    return len == 16 || ct[16] == ';' || ct[16] == ' ';
}

int api_query_long(struct http_req *req, const char *name, long lo, long hi, long *v)
{
    struct buf b = BUF_INIT;
    int rc = 0;
    if (http_req_query(req, name, &b) == 0) {
        char *end;
        errno = 0;
        long n = strtol(buf_cstr(&b), &end, 10);
        int digits = b.len > 0 && (b.data[0] == '-' || (b.data[0] >= '0' && b.data[0] <= '9'));
        if (!digits || *end || errno || n < lo || n > hi)
            rc = -1;
        else
            *v = n;
    }
    buf_free(&b);
    return rc;
}

void api_json_str(struct buf *out, const char *s, size_t len)
{
    buf_putc(out, '"');
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            buf_printf(out, "\\%c", c);
        else if (c == '\n')
            buf_puts(out, "\\n");
        else if (c < 0x20)
            buf_printf(out, "\\u%04x", c);
        else
            buf_putc(out, (char)c);
    }
    buf_putc(out, '"');
}

int api_json_doc(struct http_resp *resp, int status, yyjson_mut_doc *doc)
{
    size_t len;
    char *s = yyjson_mut_write(doc, 0, &len);
    yyjson_mut_doc_free(doc);
    if (!s) return http_resp_error(resp, REG_EINTERNAL, NULL);
    resp->content_type = JSON_TYPE;
    buf_append(&resp->body, s, len);
    buf_putc(&resp->body, '\n');
    free(s);
    return resp->status = status;
}

int api_etag_matches(const struct http_req *req, const char *etag)
{
    size_t len;
    const char *h = http_req_header(req, "if-none-match", &len);
    return h && represent_etag_listed(h, len, etag);
}

/* The methods of mask allow as a header value ("GET, HEAD, PUT"), into list. */
static void method_list(int allow, char list[64])
{
    static const int order[] = {HTTP_M_GET,  HTTP_M_HEAD,   HTTP_M_PUT,
                                HTTP_M_POST, HTTP_M_DELETE, HTTP_M_OPTIONS};
    list[0] = '\0';
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        if (!(allow & order[i])) continue;
        if (list[0]) strcat(list, ", ");
        strcat(list, http_method_name(order[i]));
    }
}

/* Every matched path answers OPTIONS too (a preflight, below). */
static void allow_header(struct http_resp *resp, int allow)
{
    char list[64];
    method_list(allow | HTTP_M_OPTIONS, list);
    http_resp_header(resp, "Allow", "%s", list);
}

/* CORS (the Fetch standard's CORS protocol): a script of any origin may read the registry's
 * answers, so a retailer's page can call the API and a web-based scanner can follow the GS1
 * resolver. `*` and never credentials: the data is public, the only credential is the API token
 * a script sends itself in Authorization (api_token_owner reads nothing else: no cookie), and
 * no answer depends on the client's address, so a page of another origin reads nothing it could
 * not fetch from a server. Pages and labels too (a maker's web tool prints label.svg; HTML is
 * as public as the JSON); not the operators' endpoints (cors_route), which a deployment may
 * keep to an internal network that `*` would open to any page its staff visit.
 *
 * CORS_EXPOSE: the response headers a script needs beyond the CORS-safelisted ones (Cache-
 * Control, Content-Language, Content-Length, Content-Type, Expires, Last-Modified, Pragma);
 * test_cors.py checks it names every header the handlers send that a script may want.
 * CORS_REQUEST_HEADERS: the request headers the routes read that a browser does not send
 * cross-origin without a preflight's leave (Authorization, Content-Type: application/json,
 * the conditions). CORS_MAX_AGE: how long a browser may reuse a preflight (Chromium caps it at
 * two hours; the table changes only with a new release). */
#define CORS_EXPOSE                                                                                \
    "Allow, Content-Disposition, ETag, Link, Location, Retry-After, Seclabel-Change, "             \
    "Seclabel-Log-Index, WWW-Authenticate, X-Request-Id"
#define CORS_REQUEST_HEADERS                                                                       \
    "Authorization, Content-Type, If-Match, If-Modified-Since, If-None-Match"
#define CORS_MAX_AGE 7200

/* 1 if route r (NULL: no route, e.g. a 404) answers scripts of other origins. */
static int cors_route(const struct route *r)
{
    return !r || (r->fn != api_metrics && r->fn != api_health);
}

static void cors_headers(struct http_resp *resp)
{
    http_resp_header(resp, "Access-Control-Allow-Origin", "*");
    http_resp_header(resp, "Access-Control-Expose-Headers", CORS_EXPOSE);
}

/* Answer OPTIONS on a path whose routes serve the methods of allow: 204 with Allow and, where
 * CORS applies, the preflight's leave for those methods. */
static void preflight(struct http_resp *resp, int allow, int cors)
{
    allow_header(resp, allow);
    if (cors) {
        char list[64];
        method_list(allow | HTTP_M_OPTIONS, list); /* as Allow: GS1's resolver suite asks so */
        http_resp_header(resp, "Access-Control-Allow-Methods", "%s", list);
        http_resp_header(resp, "Access-Control-Allow-Headers", CORS_REQUEST_HEADERS);
        http_resp_header(resp, "Access-Control-Max-Age", "%d", CORS_MAX_AGE);
    }
    resp->status = 204;
}

/* The client req came from, as text into out (CLIENTS_ADDR_MAX bytes): the connection's peer, or,
 * when the peer is a trusted proxy, the one its X-Forwarded-For names (clients_forwarded_for: the
 * address the proxies appended, never what the client wrote itself). From any other peer, and
 * when the list is malformed, the peer it is. "-" if the server gave no peer. */
static const char *api_client(const struct app *app, const struct http_req *req, char *out)
{
    size_t len;
    const char *xff = req->peer_trusted ? http_req_header_last(req, "x-forwarded-for", &len) : NULL;
    if (xff && clients_forwarded_for(xff, len, app->cfg.trusted, app->cfg.ntrusted, out) == 0)
        return out;
    return req->peer ? req->peer : "-";
}

void api_access_text(const struct api_access *a, char *out, size_t n)
{
    snprintf(out, n, "%s %s %s %s %s %d %zu %.2fms", a->time, a->id, a->client, a->method, a->path,
             a->status, a->bytes, a->ms);
}

static void log_request(const struct app *app, const struct http_req *req,
                        const struct http_resp *resp, size_t body_len, double ms)
{
    char now[21], client[CLIENTS_ADDR_MAX];
    date_rfc3339(time(NULL), now);
    /* The path is untrusted: print only visible ASCII so it cannot forge log lines. */
    char clean[256];
    size_t n = 0;
    for (; n < req->path_len && n < sizeof clean - 1; n++)
        clean[n] = (req->path[n] > ' ' && req->path[n] < 127) ? req->path[n] : '?';
    clean[n] = '\0';
    size_t r = (size_t)resp->route;
    struct api_access a = {
        .time = now,
        .id = req->id,
        .client = api_client(app, req, client),
        .method = http_method_name(req->method),
        .path = clean,
        .route = r < NROUTES ? routes[r].pattern : METRICS_NO_ROUTE,
        .status = resp->status,
        .bytes = body_len,
        .ms = ms,
    };
    app->cfg.access_log(&a);
}

/* The response-cache key of req into key (at most n bytes): its target, Accept-Language and
 * the content coding its Accept-Encoding negotiates (so a hit sends the stored compressed bytes
 * and compresses nothing). 0 if it may be answered from the cache (a keep-alive GET without
 * conditions: those are answered by represent_finish), else REG_ENOTFOUND (no key). */
static int cache_key(const struct http_req *req, char *key, size_t n, size_t *klen)
{
    size_t al_len = 0, ae_len = 0;
    const char *al = http_req_header(req, "accept-language", &al_len);
    const char *ae = http_req_header(req, "accept-encoding", &ae_len);
    if (req->method != HTTP_M_GET || !req->keep_alive || req->url.len + 2 + al_len > n ||
        http_req_header(req, "if-none-match", NULL) ||
        http_req_header(req, "if-modified-since", NULL))
        return REG_ENOTFOUND;
    memcpy(key, req->url.data, req->url.len);
    key[req->url.len] = '\0';
    if (al) memcpy(key + req->url.len + 1, al, al_len);
    key[req->url.len + 1 + al_len] = (char)('0' + represent_negotiate(ae, ae_len));
    *klen = req->url.len + 2 + al_len;
    return 0;
}

/* Keep a finished answer to req in the response cache if it may be (made in `period`, from data
 * read after the cache's `epoch`). Sent as kept: the answer is serialised once, for the cache,
 * not again for the socket. */
static void keep_answer(struct app *app, const struct http_req *req, struct http_resp *resp,
                        int64_t period, uint32_t epoch)
{
    char key[HTTP_MAX_URL + 512];
    size_t klen = 0;
    if (!resp->cacheable || !resp->cache_scope || resp->status != 200 || resp->close ||
        cache_key(req, key, sizeof key, &klen))
        return;
    const struct rcache_entry *kept =
        rcache_put(&app->responses, key, klen, rcache_scope(resp->cache_scope), period, epoch,
                   resp->route, req, resp);
    if (kept) resp->prebuilt = &kept->resp;
}

/* Keep a list's finished answer (api_list_begin) in the response cache, if it may be: made
 * for the day of the period it is kept in (a day that ended between the query and the period's
 * reading would be kept for the new one). */
static void keep_list(struct app *app, struct api_job *job)
{
    char key[HTTP_MAX_URL + 512];
    size_t klen = 0;
    struct http_resp *resp = job->resp;
    if (resp->status != 200 || resp->close || job->today != api_cache_day(job->period) ||
        cache_key(job->req, key, sizeof key, &klen))
        return;
    const struct rcache_entry *kept = rcache_put_list(&app->responses, key, klen, job->txn,
                                                      job->period, resp->route, job->req, resp);
    if (kept) resp->prebuilt = &kept->resp;
}

int api_list_begin(struct api_job *job, struct store_txn *txn, int64_t today, const char *variant)
{
    char tag[API_LIST_ETAG_MAX];
    const struct http_req *req = job->req;
    job->txn = store_txn_snapshot(txn);
    job->today = today;
    size_t n = api_list_etag(req->url.data, req->url.len, variant, job->txn, today, tag);
    if (!n || !job->txn) {
        job->txn = 0; /* not kept: a body hash makes the tag (represent.c) */
        return 0;
    }
    char held[REPRESENT_ETAG_MAX];
    int has = represent_etag_held(req, tag, held);
    http_resp_header(job->resp, "ETag", "%s", has ? held : tag);
    if (!has) return 0;
    job->resp->status = 304;
    return 1;
}

double api_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Count and log a finished request (resp->route and resp->started set by app_handle). */
void api_account(struct app *app, const struct http_req *req, const struct http_resp *resp,
                 size_t body_len)
{
    double s = api_now() - resp->started;
    metrics_count(&app->metrics, (size_t)resp->route, req->method, resp->status, s);
    if (app->cfg.access_log) log_request(app, req, resp, body_len, s * 1e3);
}

void api_hold(struct app *app, double since)
{
    metrics_hold(&app->metrics, api_now() - since);
}

/* A deferred read's work: its own read transaction, then the finished answer. */
static void read_run(struct api_job *job, int deferred)
{
    struct store_txn *txn;
    test_hold(test_hold_path);
    int rc = store_txn_begin(job->app->cfg.st, 0, &txn);
    if (rc) {
        http_resp_error(job->resp, rc, NULL);
        return;
    }
    job->read(job, txn);
    store_txn_abort(txn);
    /* The app's compression counts are atomics; everything else here is the job's. */
    if (deferred) represent_finish(job->req, job->resp, &job->app->repr);
}

/* The defer hook's work and done (struct app_config) for an api_job. */
static void job_work(void *arg)
{
    struct api_job *job = arg;
    if (job->read)
        read_run(job, 1);
    else
        job->run(job);
}

static void job_done(void *arg)
{
    struct api_job *job = arg;
    double t0 = api_now();
    struct http_resp *resp = job->resp;
    if (!job->read) {
        job->done(job);
        represent_finish(job->req, resp, &job->app->repr);
    } else {
        if (job->done) job->done(job);
        if (job->txn)
            keep_list(job->app, job);
        else if (job->keep)
            keep_answer(job->app, job->req, resp, job->period, job->epoch);
    }
    api_account(job->app, job->req, resp, resp->body.len);
    api_hold(job->app, t0);
    free(job);
    http_parser_resume(resp->parser);
}

int api_defer_read(struct app *app, struct http_req *req, struct http_resp *resp,
                   struct api_job *job, api_read_fn read)
{
    job->app = app;
    job->req = req;
    job->resp = resp;
    job->read = read;
    job->epoch = rcache_epoch(&app->responses); /* before any data is read */
    job->period = api_cache_period(assess_now());
    const struct app_config *cfg = &app->cfg;
    if (cfg->defer && resp->parser && cfg->defer(cfg->defer_ctx, job_work, job_done, job) == 0) {
        resp->deferred = 1;
        return 0;
    }
    read_run(job, 0); /* app_handle finishes the answer */
    free(job);
    return resp->status;
}

int api_defer_commit(struct app *app, struct http_req *req, struct http_resp *resp,
                     struct api_job *job, struct commit_write *cw, api_job_fn done)
{
    job->app = app;
    job->req = req;
    job->resp = resp;
    job->done = done;
    const struct app_config *cfg = &app->cfg;
    if (cfg->commit && resp->parser && cfg->commit(cfg->commit_ctx, cw, job_done, job) == 0) {
        resp->deferred = 1;
        return 0;
    }
    commit_one(cfg->st, cw);
    done(job);
    free(job);
    return resp->status;
}

long api_thread_faults(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_THREAD, &ru) == 0 ? ru.ru_majflt : 0;
}

int api_miss_to_pool(const struct app *app)
{
    return app->faults.pool || (test_pool_path && access(test_pool_path, F_OK) == 0);
}

void api_miss_on_loop(struct app *app, double since)
{
    if (app->faults.majflt < 0) { /* the loop's first miss: where its count starts */
        app->faults.majflt = api_thread_faults();
        return;
    }
    if (api_now() - since < APP_FAULT_SLOW_NS / 1e9) return; /* the common case: no system call */
    long now = api_thread_faults();
    if (now > app->faults.majflt) {
        app->faults.pool = 1;
        app->faults.clean = 0;
    }
    app->faults.majflt = now;
}

void api_miss_on_pool(struct app *app, long faults)
{
    __atomic_store_n(&app->faults.deferred, app->faults.deferred + 1, __ATOMIC_RELAXED);
    if (faults > 0)
        app->faults.clean = 0;
    else if (app->faults.pool && ++app->faults.clean >= APP_FAULT_CLEAN) {
        app->faults.pool = 0;
        app->faults.majflt = api_thread_faults(); /* what the loop took meanwhile is past */
    }
}

int api_makers_time_now(struct app *app, long *t)
{
    struct store_txn *txn;
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = api_makers_time(app, txn, t);
    store_reader_end(app->rd);
    return rc;
}

int api_defer(struct app *app, struct http_req *req, struct http_resp *resp, struct api_job *job,
              api_job_fn run, api_job_fn done)
{
    job->app = app;
    job->req = req;
    job->resp = resp;
    job->run = run;
    job->done = done;
    const struct app_config *cfg = &app->cfg;
    if (cfg->defer && resp->parser && cfg->defer(cfg->defer_ctx, job_work, job_done, job) == 0) {
        resp->deferred = 1;
        return 0;
    }
    run(job);
    done(job);
    free(job);
    return resp->status;
}

/* The strict query check of a route that lists its parameters (router.h). */
struct query_check {
    const char *takes; /* the route's list */
    unsigned seen;     /* bit i: the list's i-th name was given */
    struct reg_why why;
};

/* The position of name[0..len) in the space-separated list, or REG_ENOTFOUND. */
static int query_index(const char *list, const char *name, size_t len)
{
    int i = 0;
    for (const char *w = list; *w; i++) {
        size_t wl = strcspn(w, " ");
        if (wl == len && memcmp(w, name, len) == 0) return i;
        w += wl;
        w += *w == ' ';
    }
    return REG_ENOTFOUND;
}

/* The parameter's name for a message: printable ASCII as it is, other bytes as %XX, at most
 * about 40 characters (names are raw request bytes). */
static void query_name(const struct http_query_param *p, char *out, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < p->name_len && o + 4 < n; i++) {
        unsigned char c = (unsigned char)p->name[i];
        if (o > 40) {
            memcpy(out + o, "...", 3), o += 3;
            break;
        }
        o += (size_t)snprintf(out + o, n - o, c > 0x20 && c < 0x7f ? "%c" : "%%%02X", c);
    }
    out[o] = '\0';
}

static int query_param_ok(void *ctx, const struct http_query_param *p)
{
    struct query_check *qc = ctx;
    char name[64];
    int i = query_index(qc->takes, p->name, p->name_len);
    query_name(p, name, sizeof name);
    if (i < 0 && !*qc->takes)
        reg_why_set(&qc->why, REG_EBADREQ,
                    "Unknown query parameter '%s': this address takes no query parameters.", name);
    else if (i < 0) {
        char list[120];
        size_t o = 0;
        for (const char *t = qc->takes; *t && o + 3 < sizeof list; t++) {
            if (*t == ' ') list[o++] = ','; /* "since limit": "since, limit" */
            list[o++] = *t;
        }
        list[o] = '\0';
        reg_why_set(&qc->why, REG_EBADREQ, "Unknown query parameter '%s': this address takes %s.",
                    name, list);
    } else if (qc->seen & 1u << i)
        reg_why_set(&qc->why, REG_EBADREQ, "Query parameter '%s' is given twice.", name);
    else if (!p->value_len)
        reg_why_set(&qc->why, REG_EBADREQ,
                    "Query parameter '%s' is empty: give it a value, or leave it out.", name);
    else {
        qc->seen |= 1u << i;
        return 0;
    }
    return 1;
}

/* Answer 400 (and return 1) if the query holds a parameter route r does not take, one given
 * twice, or one without a value. */
static int query_refused(const struct route *r, const struct http_req *req, struct http_resp *resp)
{
    struct query_check qc = {.takes = r->query};
    if (!http_req_query_each(req, query_param_ok, &qc)) return 0;
    http_resp_error(resp, REG_EBADREQ, qc.why.text);
    return 1;
}

/* Every /01/ path is the GS1 resolver's, which parses it itself (qualifiers and a trailing
 * slash: more segments than the router's one-segment {} takes): the route for req, as
 * router_match says it, if no route's path matched req's. */
static const struct route *gs1_path(struct http_req *req, int *allow, const struct route **path)
{
    if (req->path_len < 4 || memcmp(req->path, "/01/", 4) != 0) return NULL;
    for (size_t i = 0; i < NROUTES && !*path; i++)
        if (routes[i].fn == api_gs1_resolve) *path = &routes[i];
    *allow = (*path)->methods | HTTP_M_HEAD;
    return (req->method & (HTTP_M_GET | HTTP_M_HEAD)) ? *path : NULL;
}

void app_handle(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    resp->started = api_now();
    char key[HTTP_MAX_URL + 512];
    size_t klen = 0;
    /* Cached answers are made afresh each period (a day is a whole number of them): their
     * Cache-Control is counted from the period's end (api_cache.c). */
    int64_t period = api_cache_period(assess_now());
    int cached = cache_key(req, key, sizeof key, &klen) == 0;
    uint32_t epoch = rcache_epoch(&app->responses); /* before any data is read */
    const struct rcache_entry *e = cached ? rcache_get(&app->responses, key, klen, period) : NULL;
    if (e) {
        resp->prebuilt = &e->resp;
        resp->status = 200;
        resp->route = e->route;
        api_account(app, req, resp, e->resp.body_len);
        api_hold(app, resp->started);
        return;
    }
    int allow;
    const struct route *path;
    const struct route *r = router_match(routes, NROUTES, req, &allow, &path);
    if (!path) r = gs1_path(req, &allow, &path);
    resp->route = (int)((r ? r : path ? path : routes + NROUTES) - routes);
    /* First, so that every answer has them: errors, deferred and cached ones too. */
    int cors = cors_route(path);
    if (cors) cors_headers(resp);
    api_surrogate_keys(app, r, req, resp); /* shared caches' keys (api_cache.c) */
    if (r && r->query && query_refused(r, req, resp))
        ; /* answered 400 */
    else if (r && app->cfg.mirror && r->methods != HTTP_M_GET && r->fn != api_lookup) {
        allow_header(resp, allow & (HTTP_M_GET | HTTP_M_HEAD)); /* what this server does here */
        api_mirror_refuse(app, req, resp);
    } else if (r)
        r->fn(app, req, resp);
    else if (allow && req->method == HTTP_M_OPTIONS) {
        preflight(resp, allow, cors);
        if (path->fn == api_gs1_resolve) api_gs1_preflight(app, req, resp);
    } else if (allow) {
        allow_header(resp, allow);
        http_resp_error(resp, REG_EMETHOD, NULL);
    } else
        http_resp_error(resp, REG_ENOTFOUND, "There is nothing at this address.");
    if (resp->deferred || resp->stream) { /* accounted for when it is answered */
        api_hold(app, resp->started);
        return;
    }
    represent_finish(req, resp, &app->repr); /* before the cache keeps it: validators, 304 */
    if (cached) keep_answer(app, req, resp, period, epoch);
    api_account(app, req, resp, resp->body.len);
    api_hold(app, resp->started);
}

#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* The server's request metrics and response caches: each loop's summed (cfg.peers: every
 * loop's app). */
void api_metrics_text(const struct app *app, struct buf *out)
{
    const struct app *const *peers = app->cfg.npeers ? app->cfg.peers : &app;
    int n = app->cfg.npeers ? app->cfg.npeers : 1;
    struct metrics sum = {0};
    unsigned long long hits = 0, misses = 0, bytes = 0, compressed = 0, deferred = 0;
    unsigned long long list_hits = 0, list_misses = 0, list_bytes = 0;
    for (int i = 0; i < n; i++) {
        metrics_add(&sum, &peers[i]->metrics);
        deferred += LOAD(peers[i]->faults.deferred);
        compressed += LOAD(peers[i]->repr.compressed);
        hits += LOAD(peers[i]->responses.hits);
        misses += LOAD(peers[i]->responses.misses);
        bytes += LOAD(peers[i]->responses.bytes);
        list_hits += LOAD(peers[i]->responses.list_hits);
        list_misses += LOAD(peers[i]->responses.list_misses);
        list_bytes += LOAD(peers[i]->responses.list_bytes);
    }
    metrics_text(&sum, routes, NROUTES, out);
    metrics_sample(out, "seclabel_response_cache_hits_total", "counter",
                   "GET answers sent from the response cache.", hits);
    metrics_sample(out, "seclabel_response_cache_misses_total", "counter",
                   "Cacheable GETs that were answered afresh.", misses);
    metrics_sample(out, "seclabel_response_cache_bytes", "gauge",
                   "Memory held by the response caches.", bytes);
    metrics_sample(out, "seclabel_list_cache_hits_total", "counter",
                   "List answers (searches, facets, home and maker pages) sent from the response "
                   "cache; counted in seclabel_response_cache_hits_total too.",
                   list_hits);
    metrics_sample(out, "seclabel_list_cache_misses_total", "counter",
                   "Cacheable list answers that were made afresh (no answer read at the newest "
                   "commit was kept).",
                   list_misses);
    metrics_sample(out, "seclabel_list_cache_bytes", "gauge",
                   "Memory held by list answers in the response caches.", list_bytes);
    metrics_sample(out, "seclabel_record_misses_deferred_total", "counter",
                   "Record GETs that missed the response cache and were read on the thread pool "
                   "(after a page fault on the loop).",
                   deferred);
    metrics_sample(out, "seclabel_compressed_responses_total", "counter",
                   "Response bodies compressed (gzip or Brotli); cache hits compress none.",
                   compressed);
    if (app->cfg.commits) {
        struct commit_stats cs;
        commit_stats(app->cfg.commits, &cs);
        metrics_sample(out, "seclabel_commit_groups_total", "counter",
                       "Transactions that committed single writes (one fsync each).", cs.groups);
        metrics_sample(out, "seclabel_commit_writes_total", "counter",
                       "Single writes (PUT, withdraw) in those transactions.", cs.writes);
        metrics_sample(out, "seclabel_commit_pending", "gauge",
                       "Single writes queued for the committer or being committed.", cs.pending);
    }
}
