/* metrics.h: the server's request metrics and the Prometheus text format GET /metrics answers
 * in (exposition format 0.0.4): requests counted by route and status, a histogram of the time
 * to answer, and the lines of the other families the app reports (gauges and counters it reads
 * from the store, the caches and the server).
 *
 * Each event loop keeps its own struct metrics and is the only thread that counts into it; the
 * counts are relaxed atomics, so /metrics, answered on any loop, may read every loop's
 * (metrics_add sums them). Ownership: plain data, nothing allocated, nothing to free. */
#ifndef SECLABEL_METRICS_H
#define SECLABEL_METRICS_H

#include "buf.h"
#include "http_status.h"

#include <stddef.h>

struct route;

#define METRICS_MAX_ROUTES 48
#define METRICS_STATUSES (HTTP_STATUSES_COUNTED + 1) /* http_status.h's counted ones, "other" */
#define METRICS_LATENCY_BUCKETS 14
/* Request methods counted apart: one per HTTP_M_* bit (http.h), HTTP_M_OTHER for the rest, so
 * the method label takes at most this many values whatever clients send. */
#define METRICS_METHODS 7
/* The route label of a request whose path no route matched (also in the access log). */
#define METRICS_NO_ROUTE "(none)"

struct metrics {
    /* by route (last row: no route), request method and status */
    unsigned long long requests[METRICS_MAX_ROUTES + 1][METRICS_METHODS][METRICS_STATUSES];
    unsigned long long latency[METRICS_LATENCY_BUCKETS + 1]; /* last: +Inf */
    unsigned long long latency_sum_ns;
    unsigned long long latency_count;
    /* how long requests held the event loop: each stretch of a request's work on the loop
     * thread (its handler, a deferred answer's completion, a slice of a streamed body) */
    unsigned long long hold[METRICS_LATENCY_BUCKETS + 1]; /* last: +Inf */
    unsigned long long hold_sum_ns, hold_count, hold_max_ns;
};

/* Count one answered request: route is its index in the route table (the route whose path
 * matched, also when its method did not: a 405 or a preflight; the table's length when no path
 * matched, at most METRICS_MAX_ROUTES), method the request's HTTP_M_* value, status the one
 * sent, seconds the time taken. Only m's owner thread calls it. */
void metrics_count(struct metrics *m, size_t route, int method, int status, double seconds);
/* Count one stretch of a request's work on the loop thread, of `seconds`. Only m's owner
 * thread calls it. */
void metrics_hold(struct metrics *m, double seconds);
/* Add m's counts to sum's (the longest hold: the larger) (m may be counting on another thread
 * meanwhile). */
void metrics_add(struct metrics *sum, const struct metrics *m);
/* Append seclabel_http_requests_total (its non-zero counts, labelled with the request's method,
 * "other" for one http.h does not name, and the pattern of routes[i], or "(none)") and the
 * seclabel_http_request_duration_seconds histogram of m, and the loop holds: the
 * seclabel_loop_hold_seconds histogram and the seclabel_loop_hold_max_seconds gauge. nroutes is at
 * most METRICS_MAX_ROUTES. */
void metrics_text(const struct metrics *m, const struct route *routes, size_t nroutes,
                  struct buf *out);
/* Append the "# HELP" and "# TYPE" lines of family name; type is "counter" or "gauge", help
 * one line of plain text. */
void metrics_family(struct buf *out, const char *name, const char *type, const char *help);
/* Append a family of one unlabelled sample. */
void metrics_sample(struct buf *out, const char *name, const char *type, const char *help,
                    unsigned long long value);

#endif
