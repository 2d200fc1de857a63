/* api_int.h: what the API's handler files (api_*.c) share. Internal to the api module: only
 * api*.c include it. Handlers have the route_fn signature: fill resp, return its status. */
#ifndef SECLABEL_API_INT_H
#define SECLABEL_API_INT_H

#include "api.h"
#include "router.h"
#include "search.h"

#include <stddef.h>
#include <stdint.h>
#include <yyjson.h>

#define JSON_TYPE "application/json; charset=utf-8"
#define HTML_TYPE "text/html; charset=utf-8"

struct commit_write;
struct store_txn;

/* Error with a message made from fmt and one string argument, e.g. "No product with ID '%s'." */
int api_error_fmt(struct http_resp *resp, int code, const char *fmt, const char *arg);
/* Append the API form of a stored record: the record, its qr_url, the computed
 * support_status and compliance, and manufacturer_account (the account's name and whether the
 * registry verified it, looked up through mm); its version into *version if not NULL.
 * REG_ESTORE if the stored JSON is unreadable. */
struct mfr_memo;
int api_record_json(const struct app *app, struct mfr_memo *mm, const char *json, size_t len,
                    int64_t today, struct buf *out, unsigned *version);
/* The same for a record already parsed (rec is json's root), so it is not parsed twice. */
int api_record_json_parsed(const struct app *app, struct mfr_memo *mm, yyjson_val *rec,
                           const char *json, size_t len, int64_t today, struct buf *out,
                           unsigned *version);
/* What the record's QR code carries: the GS1 Digital Link URI <public>/01/<GTIN-14> for a
 * product with a GTIN (so the same code scans at the checkout), else <public>/p/<id>. */
void api_qr_url(const struct app *app, yyjson_val *rec, struct buf *out);
/* Append ,"log":{"index":N}, version (id, version)'s entry in the transparency log (tlog.h), read
 * in txn; nothing if it has none. */
void api_log_index(struct store_txn *txn, const char *id, unsigned version, struct buf *out);
/* Begin the reader and fetch the current record of id (borrowed until store_reader_end). */
int api_read_record(struct app *app, const char *id, struct store_txn **txn, const char **json,
                    size_t *len);
/* The manufacturer behind the request's Bearer token into slug: 0, REG_EBADREQ (no Bearer
 * token), REG_EAUTH (unknown or revoked), or a storage error. */
int api_token_owner(struct app *app, const struct http_req *req, char *slug);
/* The manufacturer behind the request's Bearer token into slug, or an error response (whose
 * status is returned). */
int api_authenticate(struct app *app, struct http_req *req, struct http_resp *resp, char *slug);
/* The search query of a request (search.h), with this default status; answers 400 and returns
 * REG_EBADREQ if it is bad. The caller frees st with search_params_free() either way. */
int api_search_query(const struct http_req *req, enum search_status status, struct search_query *sq,
                     struct search_params_store *st, struct http_resp *resp);
/* 1 if the request body is declared as JSON. */
int api_is_json(const struct http_req *req);
/* The dry_run query parameter of a write (api_products.c): *dry 1 for "true", 0 for "false" or
 * absent; anything else answers 400 and returns its status. */
int api_dry_run(const struct http_req *req, struct http_resp *resp, int *dry);
/* Query parameter as an integer in [lo, hi]: 0 (value in *v, untouched if absent) or -1. */
int api_query_long(struct http_req *req, const char *name, long lo, long hi, long *v);
/* Append s[0..len) (valid UTF-8) as a JSON string, quotes included. */
void api_json_str(struct buf *out, const char *s, size_t len);
/* Finish a JSON response from a yyjson document (freed here). */
int api_json_doc(struct http_resp *resp, int status, yyjson_mut_doc *doc);
/* 1 if the request's If-None-Match lists etag (or is "*"). */
int api_etag_matches(const struct http_req *req, const char *etag);

/* Cache-Control, by kind of answer (api_cache.c; docs/API.md "Caching" says why each):
 * X(class, max-age, stale-while-revalidate, stale-if-error, flags), seconds (0: not sent).
 * API_CACHE_DAY: the answer shows a day-dependent state (support status, days left), so its
 * lifetimes end by the next midnight UTC. API_CACHE_IMMUTABLE: never changes at this URL. */
#define API_CACHE_DAY 1
#define API_CACHE_IMMUTABLE 2
#define API_CACHE_NO_STORE 4
#define API_CACHE_MAP(X)                                                                           \
    X(API_CACHE_RECORD, 60, 60, 86400, API_CACHE_DAY)      /* a product: JSON, pages, history */   \
    X(API_CACHE_EXPORT, 60, 60, 86400, 0)                  /* a product's CTA-2120 export */       \
    X(API_CACHE_LIST, 30, 30, 3600, API_CACHE_DAY)         /* search, facets, home, maker, CSV */  \
    X(API_CACHE_MAKER, 60, 60, 86400, 0)                   /* a manufacturer's JSON */             \
    X(API_CACHE_FEED, 10, 30, 86400, 0)                    /* the changes feed, JSON and Atom */   \
    X(API_CACHE_VERSION, 86400, 0, 0, API_CACHE_IMMUTABLE) /* one stored version */                \
    X(API_CACHE_LABEL, 300, 0, 86400, 0)                   /* labels */                            \
    X(API_CACHE_LINKSET, 300, 60, 86400, 0)                /* a GTIN's GS1 linkset */              \
    X(API_CACHE_STATIC, 31536000, 0, 0, API_CACHE_IMMUTABLE) /* style.css?v=<hash> */              \
    X(API_CACHE_WELL_KNOWN, 86400, 0, 86400, 0)              /* security.txt, gs1resolver */       \
    X(API_CACHE_PRIVATE, 0, 0, 0, API_CACHE_NO_STORE)        /* whoami, metrics, healthz */        \
    X(API_CACHE_CHECKPOINT, 1, 0, 0, 0) /* the log's checkpoint, a partial tile, a newest proof */ \
    X(API_CACHE_TILE, 31536000, 0, 0, API_CACHE_IMMUTABLE) /* full tiles, entries, proofs */
enum api_cache_class {
#define CLASS_NAME(name, max_age, swr, sie, flags) name,
    API_CACHE_MAP(CLASS_NAME)
#undef CLASS_NAME
};
/* Answers stay in the response cache (rcache.h) for the rest of the period they were made in:
 * app_handle keys them by api_cache_period(now), and api_cache counts lifetimes from its end. */
#define API_CACHE_PERIOD 60
int64_t api_cache_period(long now);
/* The day (assess_today's) period falls in. */
int64_t api_cache_day(int64_t period);
/* The strong ETag of a list's answer (api_cache.c says what it is made of) into out,
 * NUL-terminated: its length. target[0..tlen): the request's; variant: what else the body
 * depends on ("" for none; a page's language code); txn: the store's transaction ID it was read
 * at; today: the day it was made for. */
#define API_LIST_ETAG_MAX 80
size_t api_list_etag(const char *target, size_t tlen, const char *variant, uint64_t txn,
                     int64_t today, char out[API_LIST_ETAG_MAX]);
/* Called once by app_global_init: the process's start (see api_cache.c). */
void api_cache_init(void);
/* When this process started (Unix seconds): validators made from data alone change with it,
 * since a new program or new fonts may draw the same data differently. */
long api_process_start(void);
/* Add class c's Cache-Control header. */
void api_cache(struct http_resp *resp, enum api_cache_class c);
/* Add the Surrogate-Key header: the keys a shared cache files the answer to route r (req's; r
 * may be NULL) under, so that a purger purges it by key when what it shows changes (api_cache.c
 * says which keys there are; docs/API.md "Caching"). Nothing for routes whose answers never
 * change at their URL or are not stored. */
#define API_SURROGATE_KEY "Surrogate-Key"
void api_surrogate_keys(struct app *app, const struct route *r, struct http_req *req,
                        struct http_resp *resp);
/* Set resp->last_modified to t, raised to the process's start; left 0 when t is in the current
 * second (api_cache.c says why). */
void api_modified(struct http_resp *resp, long t);
/* api_later: the later of a and the time of an RFC 3339 timestamp as the registry writes it
 * (date_parse_rfc3339; NULL or other text count as 0). api_day_start: midnight UTC that begins day
 * `today`. */
long api_later(long a, const char *rfc3339);
long api_day_start(int64_t today);
/* The latest change to manufacturer m's account (0 for NULL). */
struct mfr;
long api_maker_time(const struct mfr *m);
/* The time of the newest change of any product (0: none), read in txn. */
int api_products_time(struct store_txn *txn, long *t);
/* The latest change to any manufacturer's account, read in txn (kept in app per generation). */
int api_makers_time(struct app *app, struct store_txn *txn, long *t);
/* The later of both: the latest change to anything a list of products shows. */
int api_store_time(struct app *app, struct store_txn *txn, long *t);

/* Add "error", "message" (and for REG_EINVALID "details": [{path, rule, message}]) for a
 * refused declaration (code REG_EINVALID or REG_EBADJSON) to object o. */
struct decl_errors;
void api_decl_errors(yyjson_mut_doc *doc, yyjson_mut_val *o, int code,
                     const struct decl_errors *errs);
/* The human message for a refused write of product id (rc from product_put/withdraw): msg
 * (n bytes) filled, or res->why, or a default; the pointer returned is valid while both are. */
struct product_result;
const char *api_write_message(int rc, const char *id, const struct product_result *res, char *msg,
                              size_t n);

/* Work that must not stall the event loop (a durable write waits for fsync): `run` goes to
 * the server's thread pool (the defer hook of struct app_config) and must touch only the store
 * and the job's own state (the request is valid and unchanging meanwhile); `done` then runs on
 * the loop thread, fills job->resp, and the response is sent. Without a hook both run at once. The
 * handler allocates the job (with this struct first) and returns; done frees nothing: api_defer
 * frees the job after done with free(). */
struct api_job;
typedef void (*api_job_fn)(struct api_job *job);
typedef void (*api_read_fn)(struct api_job *job, struct store_txn *txn);
struct api_job {
    struct app *app;
    struct http_req *req;
    struct http_resp *resp;
    api_job_fn run, done; /* for api_defer_read: done may be set (else NULL), and runs on the
                             loop before the answer is sent; it must not change it */
    api_read_fn read;     /* api_defer_read's */
    /* api_defer_read: set keep to 1 before it to keep the answer in the response cache as
     * app_handle keeps an answer made on the loop (a record's GET: struct app_faults) */
    int keep;
    uint32_t epoch; /* api_defer_read's: the cache's epoch before the read (rcache_epoch) */
    int64_t period; /* and its period (api_cache_period) */
    uint64_t txn;   /* a list's (api_list_begin): the transaction ID its answer was read at */
    int64_t today;  /* and the day it was made for */
};
/* Start job (allocated with malloc, its api_job first); returns the response's status so far
 * (0 while deferred). */
int api_defer(struct app *app, struct http_req *req, struct http_resp *resp, struct api_job *job,
              api_job_fn run, api_job_fn done);
/* A single write: cw (job's own, prepare and apply set) goes to the server's committer
 * (app_config's commit hook; commit.h) and done runs on the loop once its outcome is final,
 * with no thread of the pool waiting for it. Without the hook (or if it refuses) cw commits
 * alone, at once. Returns as api_defer. */
int api_defer_commit(struct app *app, struct http_req *req, struct http_resp *resp,
                     struct api_job *job, struct commit_write *cw, api_job_fn done);
/* Nothing holds the loop: a read that is not O(1) (a search, a bulk lookup, a list page, the
 * changes feed) is deferred whole, so neither its work nor the page faults of a cold database
 * stall the loop's other clients. `read` runs on the pool's thread with a read transaction of
 * its own (begun and ended there: store.h), fills job->resp completely (status, headers, body:
 * the request and response are the job's while it is deferred) and frees the job's own state;
 * the answer is finished there too (validators, compression), so the loop only sends it.
 * Nothing of the app may be touched but its configuration: what needs the loop's state (its
 * caches) is gathered before. Without a defer hook it runs at once. Returns as api_defer. */
int api_defer_read(struct app *app, struct http_req *req, struct http_resp *resp,
                   struct api_job *job, api_read_fn read);
/* A list's answer (a search, the facets, the home and maker pages), at the start of its read
 * job: its ETag (api_list_etag: variant, today and txn's transaction ID) set, without hashing
 * the body, and the job marked so that job_done keeps the answer in the response cache as a
 * list (rcache_put_list). Returns 1, with resp->status 304, if the request's If-None-Match says
 * the client holds this answer already (then nothing is to be read: the caller adds the
 * headers a 304 keeps, Cache-Control and Vary), else 0. */
int api_list_begin(struct api_job *job, struct store_txn *txn, int64_t today, const char *variant);
/* Where a record's GET that misses the response cache runs (struct app_faults in api.h):
 * api_miss_to_pool says 1 if on the pool now; api_miss_on_loop, after a miss ran on the loop
 * since `since` (api_now), looks for a fault; api_thread_faults is the calling thread's major
 * page faults so far (for a miss on the pool: before and after), and api_miss_on_pool, on the
 * loop, counts what such a miss met (faults: how many it took). */
int api_miss_to_pool(const struct app *app);
void api_miss_on_loop(struct app *app, double since);
long api_thread_faults(void);
void api_miss_on_pool(struct app *app, long faults);
/* The latest change to any manufacturer (api_makers_time) through the loop's reader: for a
 * deferred read, whose thread may not use the app's cache of it. */
int api_makers_time_now(struct app *app, long *t);
/* The monotonic clock in seconds, and: count a stretch of a request's work on the loop thread
 * that began at `since` (metrics_hold). */
double api_now(void);
void api_hold(struct app *app, double since);

/* Count a finished request in the metrics and log it (the access log): app_handle does, except
 * for answers deferred (api_defer does) or streamed (the stream's free hook must). */
void api_account(struct app *app, const struct http_req *req, const struct http_resp *resp,
                 size_t body_len);
/* The request counters and latency histogram in Prometheus text format. */
void api_metrics_text(const struct app *app, struct buf *out);

/* Handlers, by file. api_products.c: */
int api_get_product(void *ctx, struct http_req *req, struct http_resp *resp);
int api_put_product(void *ctx, struct http_req *req, struct http_resp *resp);
int api_withdraw(void *ctx, struct http_req *req, struct http_resp *resp);
int api_versions(void *ctx, struct http_req *req, struct http_resp *resp);
int api_version(void *ctx, struct http_req *req, struct http_resp *resp);
int api_cta(void *ctx, struct http_req *req, struct http_resp *resp);
/* api_batch.c */
int api_batch(void *ctx, struct http_req *req, struct http_resp *resp);
/* api_query.c */
int api_search(void *ctx, struct http_req *req, struct http_resp *resp);
int api_facets(void *ctx, struct http_req *req, struct http_resp *resp);
int api_lookup(void *ctx, struct http_req *req, struct http_resp *resp);
int api_changes(void *ctx, struct http_req *req, struct http_resp *resp);
int api_changes_atom(void *ctx, struct http_req *req, struct http_resp *resp);
/* api_gs1.c */
int api_gs1_resolve(void *ctx, struct http_req *req, struct http_resp *resp);
int api_gs1_description(void *ctx, struct http_req *req, struct http_resp *resp);
/* The ID of the product a GS1 Digital Link request (/01/...) names, into id: 0, or a negative
 * REG_E* code (REG_ENOTFOUND: none, REG_EBADREQ: not a valid path). */
int api_gs1_id(struct app *app, const struct http_req *req, char *id); /* DECL_ID_MAX + 1 */
/* An OPTIONS answer (a preflight) on a /01/ path: the Link to the linkset if it is a GS1
 * Digital Link URI (GS1's test suite looks for it there). */
void api_gs1_preflight(struct app *app, struct http_req *req, struct http_resp *resp);
/* api_pages.c */
int api_home(void *ctx, struct http_req *req, struct http_resp *resp);
int api_page(void *ctx, struct http_req *req, struct http_resp *resp);
int api_details(void *ctx, struct http_req *req, struct http_resp *resp);
int api_maker_page(void *ctx, struct http_req *req, struct http_resp *resp);
int api_csv(void *ctx, struct http_req *req, struct http_resp *resp);
int api_style(void *ctx, struct http_req *req, struct http_resp *resp);
/* /log: how to check the transparency log yourself. */
int api_log_page(void *ctx, struct http_req *req, struct http_resp *resp);
/* The HTML 404 for an unknown GTIN (for browsers at /01/{gtin}). */
int api_gtin_not_found_page(struct app *app, struct http_req *req, struct http_resp *resp,
                            const char *gtin);
/* api_label.c */
int api_label_png(void *ctx, struct http_req *req, struct http_resp *resp);
int api_label_svg(void *ctx, struct http_req *req, struct http_resp *resp);
int api_label_pdf(void *ctx, struct http_req *req, struct http_resp *resp);
int api_label_zpl(void *ctx, struct http_req *req, struct http_resp *resp);
/* api_site.c */
int api_whoami(void *ctx, struct http_req *req, struct http_resp *resp);
int api_manufacturer(void *ctx, struct http_req *req, struct http_resp *resp);
/* api_mirror.c: a read-only mirror's answer to a write (405 read_only_mirror, naming the
 * primary, Location: the same target there), its /healthz (given the product count: the
 * mirror's state and lag; 503 when it stopped advancing or cannot verify) and its part of
 * /metrics (seclabel_mirror_*). */
int api_mirror_refuse(struct app *app, const struct http_req *req, struct http_resp *resp);
int api_mirror_health(struct app *app, size_t products, struct http_resp *resp);
void api_mirror_metrics(struct app *app, struct buf *out);
int api_health(void *ctx, struct http_req *req, struct http_resp *resp);
int api_metrics(void *ctx, struct http_req *req, struct http_resp *resp);

int api_log_checkpoint(void *ctx, struct http_req *req, struct http_resp *resp);
int api_log_key(void *ctx, struct http_req *req, struct http_resp *resp);
int api_log_tile(void *ctx, struct http_req *req, struct http_resp *resp);
int api_log_proof(void *ctx, struct http_req *req, struct http_resp *resp);
int api_log_entry(void *ctx, struct http_req *req, struct http_resp *resp);
int api_log_inclusion(void *ctx, struct http_req *req, struct http_resp *resp);
int api_security_txt(void *ctx, struct http_req *req, struct http_resp *resp);

#endif
