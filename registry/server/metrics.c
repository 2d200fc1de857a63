/* metrics.c: request counters, the latency histogram and their Prometheus text (see
 * metrics.h). */
#include "metrics.h"

#include "router.h"

#include <stdio.h>

/* The status codes counted one by one (http_status.h); anything else is counted as the last. */
#define COUNTED_0(code)
#define COUNTED_1(code) code,
static const int statuses[METRICS_STATUSES] = {
#define X(code, reason, counted) COUNTED_##counted(code)
    HTTP_STATUSES(X)
#undef X
        0};
/* Latency histogram bounds in seconds (Prometheus "le"). */
static const double latency_le[METRICS_LATENCY_BUCKETS] = {
    0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};

#define ADD(x, n) __atomic_fetch_add(&(x), (n), __ATOMIC_RELAXED)
#define LOAD(x) __atomic_load_n(&(x), __ATOMIC_RELAXED)

/* The method's row: the position of its HTTP_M_* bit; HTTP_M_OTHER's for anything else. */
static int method_index(int method)
{
    _Static_assert(HTTP_M_OPTIONS == 1 << (METRICS_METHODS - 1), "one row per HTTP_M_* bit");
    for (int i = 0; i < METRICS_METHODS; i++)
        if (method == 1 << i) return i;
    return __builtin_ctz(HTTP_M_OTHER);
}

/* The bucket of a duration in the histograms' bounds. */
static int bucket(double seconds)
{
    int b = 0;
    while (b < METRICS_LATENCY_BUCKETS && seconds > latency_le[b])
        b++;
    return b;
}

void metrics_count(struct metrics *m, size_t route, int method, int status, double seconds)
{
    int si = METRICS_STATUSES - 1;
    for (int i = 0; i < METRICS_STATUSES - 1; i++)
        if (statuses[i] == status) si = i;
    /* Relaxed atomics: only this loop's thread counts, but /metrics on another loop reads. */
    ADD(m->requests[route][method_index(method)][si], 1);
    ADD(m->latency[bucket(seconds)], 1);
    ADD(m->latency_sum_ns, (unsigned long long)(seconds * 1e9));
    ADD(m->latency_count, 1);
}

void metrics_hold(struct metrics *m, double seconds)
{
    unsigned long long ns = (unsigned long long)(seconds * 1e9);
    ADD(m->hold[bucket(seconds)], 1);
    ADD(m->hold_sum_ns, ns);
    ADD(m->hold_count, 1);
    if (ns > LOAD(m->hold_max_ns)) __atomic_store_n(&m->hold_max_ns, ns, __ATOMIC_RELAXED);
}

void metrics_add(struct metrics *sum, const struct metrics *m)
{
    for (int r = 0; r <= METRICS_MAX_ROUTES; r++)
        for (int k = 0; k < METRICS_METHODS; k++)
            for (int s = 0; s < METRICS_STATUSES; s++)
                sum->requests[r][k][s] += LOAD(m->requests[r][k][s]);
    for (int b = 0; b <= METRICS_LATENCY_BUCKETS; b++)
        sum->latency[b] += LOAD(m->latency[b]);
    sum->latency_sum_ns += LOAD(m->latency_sum_ns);
    sum->latency_count += LOAD(m->latency_count);
    for (int b = 0; b <= METRICS_LATENCY_BUCKETS; b++)
        sum->hold[b] += LOAD(m->hold[b]);
    sum->hold_sum_ns += LOAD(m->hold_sum_ns);
    sum->hold_count += LOAD(m->hold_count);
    unsigned long long max = LOAD(m->hold_max_ns);
    if (max > sum->hold_max_ns) sum->hold_max_ns = max;
}

void metrics_family(struct buf *out, const char *name, const char *type, const char *help)
{
    buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void metrics_sample(struct buf *out, const char *name, const char *type, const char *help,
                    unsigned long long value)
{
    metrics_family(out, name, type, help);
    buf_printf(out, "%s %llu\n", name, value);
}

/* One sample of seclabel_http_requests_total (none for a zero count): route pattern, method
 * row k, status column s. */
static void request_line(struct buf *out, const char *pat, int k, int s, unsigned long long count)
{
    if (!count) return;
    char status[8];
    if (statuses[s])
        snprintf(status, sizeof status, "%d", statuses[s]);
    else
        snprintf(status, sizeof status, "other");
    const char *method = 1 << k == HTTP_M_OTHER ? "other" : http_method_name(1 << k);
    buf_printf(out, "seclabel_http_requests_total{method=\"%s\",route=\"%s\",status=\"%s\"} %llu\n",
               method, pat, status, count);
}

static void requests_text(const struct metrics *m, const struct route *routes, size_t nroutes,
                          struct buf *out)
{
    metrics_family(out, "seclabel_http_requests_total", "counter",
                   "HTTP requests by route and status.");
    for (size_t r = 0; r <= nroutes; r++)
        for (int k = 0; k < METRICS_METHODS; k++)
            for (int s = 0; s < METRICS_STATUSES; s++)
                request_line(out, r < nroutes ? routes[r].pattern : METRICS_NO_ROUTE, k, s,
                             m->requests[r][k][s]);
}

/* A histogram family in the latency bounds: counts per bucket (the last +Inf), sum in ns. */
static void histogram_text(struct buf *out, const char *name, const char *help,
                           const unsigned long long *counts, unsigned long long sum_ns,
                           unsigned long long count)
{
    metrics_family(out, name, "histogram", help);
    unsigned long long cum = 0;
    for (int b = 0; b <= METRICS_LATENCY_BUCKETS; b++) {
        cum += counts[b];
        if (b < METRICS_LATENCY_BUCKETS)
            buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, latency_le[b], cum);
    }
    buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name, cum, name,
               (double)sum_ns / 1e9, name, count);
}

static void latency_text(const struct metrics *m, struct buf *out)
{
    histogram_text(out, "seclabel_http_request_duration_seconds", "Time to answer a request.",
                   m->latency, m->latency_sum_ns, m->latency_count);
    histogram_text(out, "seclabel_loop_hold_seconds",
                   "Each stretch of a request's work on an event loop's thread (its handler, a "
                   "deferred answer's completion, a slice of a streamed body); meanwhile that "
                   "loop serves no one else.",
                   m->hold, m->hold_sum_ns, m->hold_count);
    metrics_family(out, "seclabel_loop_hold_max_seconds", "gauge",
                   "The longest such stretch since the server started.");
    buf_printf(out, "seclabel_loop_hold_max_seconds %.6f\n", (double)m->hold_max_ns / 1e9);
}

void metrics_text(const struct metrics *m, const struct route *routes, size_t nroutes,
                  struct buf *out)
{
    requests_text(m, routes, nroutes, out);
    latency_text(m, out);
}
