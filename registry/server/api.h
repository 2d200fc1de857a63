/* api.h: the registry's HTTP surface: the route table and its handlers (JSON API, pages,
 * labels). Reads are answered at once, through the loop's reusable LMDB reader (and its
 * response cache); writes and label renderings are handed to the server's defer hook (a
 * thread pool) and answered when they are done. The app knows nothing of the event loop: the
 * server configures it (struct app_config) and runs its deferred work.
 *
 * Ownership: the process calls app_global_init() once, before any thread starts. An app
 * borrows what its configuration points to and owns its reader and caches; the caller creates
 * it with app_init() and frees it with app_close() on the thread that uses it. */
#ifndef SECLABEL_API_H
#define SECLABEL_API_H

#include "http.h"
#include "log.h"
#include "metrics.h"
#include "mfr.h"
#include "rcache.h"
#include "represent.h"

#include <stdint.h>

struct client_net;
struct commit_write;
struct store;
struct store_reader;

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

/* Faults never stall everyone: a record's GET that misses the response cache is cheap while the
 * database's pages are in memory, and runs on the loop; after the page cache lost them, reading
 * it faults pages in from disk, which must cost that request, not every client of the loop. So:
 *   - a miss on the loop that took longer than APP_FAULT_SLOW_NS looks at the loop thread's
 *     major page faults (getrusage RUSAGE_THREAD, only then: it is a system call); if they grew
 *     since the last look, misses go to the thread pool (api_defer_read) from then on;
 *   - each miss on the pool counts its own thread's major faults; once APP_FAULT_CLEAN misses in
 *     a row took none, misses come back to the loop.
 * A fault thus costs the loop one request at most until misses have moved. The answers are the
 * same either way, and either is kept in the response cache (test_miss_pool.py). For tests,
 * SECLABEL_TEST_MISSES_TO_POOL names a file while whose existence every miss goes to the pool
 * (api.c). Loop thread only, but `deferred` (read by /metrics of any loop: atomic). */
#define APP_FAULT_SLOW_NS 1000000
#define APP_FAULT_CLEAN 64
struct app_faults {
    long majflt;                 /* the loop thread's major faults at the last look (-1: none) */
    int pool;                    /* 1: misses go to the pool */
    unsigned clean;              /* pool misses in a row that took no major fault */
    unsigned long long deferred; /* misses sent to the pool */
};

/* One answered request as the access log records it; every pointer is borrowed for the call.
 * api_access_text makes the plain line of it; the journal sink sends its fields (journal.h). */
struct api_access {
    const char *time;   /* RFC 3339, UTC */
    const char *id;     /* the request's ID (X-Request-Id) */
    const char *client; /* the client's address (the peer, or past trusted proxies), or "-" */
    const char *method;
    const char *path;  /* visible ASCII only: anything else is '?' (it cannot forge lines) */
    const char *route; /* the matched route's pattern, or METRICS_NO_ROUTE */
    int status;
    size_t bytes; /* the body's length */
    double ms;    /* time to answer */
};
/* Receives one access-log record per request; may be called from any loop thread. */
typedef void (*api_access_sink)(const struct api_access *a);
/* The plain access-log line of a into out (n bytes, NUL-terminated): "TIME ID CLIENT METHOD
 * PATH STATUS BYTES MSms". */
void api_access_text(const struct api_access *a, char *out, size_t n);

/* What the server gives an app. app_init copies it; the pointers are borrowed and must
 * outlive the app. */
struct logpub;
struct mirror;
struct app_config {
    struct store *st;
    /* the transparency log's key and newest checkpoint (logpub.h), or NULL: no log served */
    struct logpub *log;
    /* a read-only mirror's follower (mirror.h), or NULL: this server is a primary. A mirror
     * refuses writes (naming its primary) and serves the primary's checkpoint and key */
    struct mirror *mirror;
    const char *public_url;       /* base of URLs put in QR codes, no trailing '/' */
    const char *security_contact; /* the registry's own contact (security.txt), or NULL */
    api_access_sink access_log;   /* one access-log record per request, or NULL */
    /* the trusted proxies (--trusted-proxy; clients.h), for the client an access-log line names */
    const struct client_net *trusted;
    size_t ntrusted;
    /* records one CSV download examines at most; 0: REG_MAX_CSV_ROWS (tests lower it) */
    long csv_max_rows;
    /* the response-cache generations every loop's app shares (rcache_init), or NULL when there
     * is one loop */
    struct rcache_shared *shared;
    const unsigned *connections; /* the server's open connections, or NULL */
    /* connections the server refused by the per-client limit, or NULL */
    const unsigned long long *conns_refused;
    /* every event loop's app (this one included), for /metrics; NULL: this one alone */
    const struct app *const *peers;
    int npeers;
    /* Run work(arg) away from the event loop (on a thread pool), then done(arg) on the loop's
     * thread; 0 if it will, else a negative code (the app then runs both at once). defer_ctx
     * is its first argument. NULL: there is no loop and deferred work runs at once, in the
     * request callback (tools and tests). */
    int (*defer)(void *ctx, void (*work)(void *arg), void (*done)(void *arg), void *arg);
    void *defer_ctx;
    /* The process's group commit for single writes (commit.h), shared by every loop's app, or
     * NULL: each write commits alone (tools and tests without a loop). */
    struct commit_queue *commits;
    /* Queue w for commits' committer, then run done(arg) on the loop's thread once w is final;
     * 0 if it will, else a negative code (the app then commits w alone, at once). commit_ctx
     * is its first argument. NULL: a write commits alone, in deferred work. */
    int (*commit)(void *ctx, struct commit_write *w, void (*done)(void *arg), void *arg);
    void *commit_ctx;
};

struct app {
    struct app_config cfg;   /* as given to app_init (csv_max_rows made explicit) */
    struct store_reader *rd; /* owned; one per event-loop thread */
    struct metrics metrics;  /* this loop's counts */
    struct app_label_cache labels;
    struct rcache responses; /* GET answers kept for repeated scans (rcache.h) */
    uint64_t makers_gen;     /* the manufacturers generation the cached answers were made at */
    /* the latest change to any manufacturer (api_makers_time), as of generation makers_time_gen */
    long makers_time;
    uint64_t makers_time_gen;
    int makers_time_ok;
    /* the makers this loop's answers met, kept across requests while the manufacturers
     * generation stays (mfr_memo_renew): a record's GET does not read its maker's account again */
    struct mfr_memo makers;
    struct represent_stats repr; /* compression counts (represent.h) */
    struct app_faults faults;    /* where a record's GET that misses the cache runs */
};

/* What every app reads and none writes, built once per process: libsodium, the language
 * tables (i18n.h), the stylesheet's versioned path (page.h). Call it before any app_init and
 * before any thread starts; 0 or a negative code (the reason on stderr). */
int app_global_init(void);
/* 0, or a negative code (REG_EINTERNAL if app_global_init has not succeeded). */
int app_init(struct app *app, const struct app_config *cfg);
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
