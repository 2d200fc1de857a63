/* api.h: the registry's HTTP surface: the route table and its handlers (JSON API, pages,
 * labels). Reads are answered at once, through the loop's reusable LMDB reader (and its
 * response cache); writes run on libuv's thread pool (api_defer) and are answered when they
 * have committed.
 *
 * Ownership: struct app borrows the store and owns its reader; the caller creates it with
 * app_init() and frees it with app_close() on the thread that uses it. */
#ifndef SECLABEL_API_H
#define SECLABEL_API_H

#include "http.h"
#include "rcache.h"

#include <stdint.h>

struct store;
struct store_reader;

#define APP_MAX_ROUTES 32
#define APP_STATUSES (HTTP_STATUSES_COUNTED + 1) /* http_status.h's counted ones, then "other" */
#define APP_LATENCY_BUCKETS 14

/* Counters for GET /metrics, kept by the loop thread that owns the app. */
struct app_metrics {
    unsigned long long requests[APP_MAX_ROUTES + 1][APP_STATUSES]; /* last row: no route */
    unsigned long long latency[APP_LATENCY_BUCKETS + 1];           /* last: +Inf */
    unsigned long long latency_sum_ns;
    unsigned long long latency_count;
};

/* Rendered labels, kept so a label printed again (or a sheet of the same product) costs a
 * copy: a few slots replaced in turn; keyed by a hash of record version and options. */
#define APP_LABEL_SLOTS 64
#define APP_LABEL_MAX_BYTES (1 << 20)
/* Labels being rendered on the thread pool at once, per loop: more get 503 (the pool also runs
 * the writes, which must not wait behind a queue of renderings any client can ask for). */
#define APP_LABEL_JOBS 8
struct app_label_cache {
    uint64_t key[APP_LABEL_SLOTS]; /* 0: empty */
    struct buf body[APP_LABEL_SLOTS];
    unsigned next;
    unsigned jobs; /* renderings in flight (loop thread only) */
    unsigned long long hits, misses;
};

struct app {
    struct store *st;             /* borrowed */
    struct store_reader *rd;      /* owned; one per event-loop thread */
    const char *public_url;       /* borrowed; base of URLs put in QR codes, no trailing '/' */
    const char *security_contact; /* borrowed; the registry's own contact (security.txt), or NULL */
    const unsigned *connections;  /* borrowed from the server: open connections, or NULL */
    /* borrowed from the server: connections refused by the per-client limit, or NULL */
    const unsigned long long *conns_refused;
    const struct app *const *peers; /* every event loop's app (this one included), for
                                       /metrics; or NULL when there is one loop */
    int npeers;
    void *loop;       /* the server's uv_loop_t, to run writes on libuv's thread pool; NULL: writes
                         run in the request callback (tools and tests without a loop) */
    int log_requests; /* one access-log line per request on stderr */
    /* records one CSV download examines at most: REG_MAX_CSV_ROWS (tests lower it) */
    long csv_max_rows;
    struct app_metrics metrics;
    struct app_label_cache labels;
    struct rcache responses; /* GET answers kept for repeated scans (rcache.h) */
    uint64_t makers_gen;     /* the manufacturers generation the cached answers were made at */
};

/* shared: the response-cache generations shared by every loop's app (rcache_init), or NULL
 * when there is one. */
int app_init(struct app *app, struct store *st, const char *public_url, int log_requests,
             struct rcache_shared *shared);
void app_close(struct app *app);
/* Drop every cached answer if a manufacturer changed since the last call (the operator's
 * commands write the database directly, from another process): the server calls it every
 * second on each loop. */
void app_watch_makers(struct app *app);
/* The http_body_limit_cb: REG_MAX_BODY, or REG_MAX_BATCH_BODY for a batch sent with a valid
 * token (only writers may send large bodies). ctx is a struct app. */
size_t api_body_limit(void *ctx, const struct http_req *req);
/* The http_request_cb: route the request and fill the response. ctx is a struct app. */
void app_handle(void *ctx, struct http_req *req, struct http_resp *resp);

#endif
