/* cmd_cache.c: seclabel cache purge: empties shared caches (Varnish with xkey, deploy/varnish/
 * seclabel.vcl) of what a write changed, by surrogate key (docs/API.md "Caching").
 *
 *   seclabel cache purge --varnish URL [--varnish URL...] KEY...   purge these keys once;
 *   seclabel cache purge --follow --cursor FILE --varnish URL...     follow the registry's
 *       changes feed (GET /v1/changes on --server, the origin, not through a cache) and, for
 *       each page of changes, purge product:<id> and maker:<slug> of every product's change,
 *       maker:<slug> and account:<slug> of every manufacturer's account event (it shows on
 *       each of its products' answers), and lists, feeds and log (every write changes those),
 *       on every cache; then keep the feed's cursor
 *       (last_seq) in FILE, so a restart misses nothing: a page is purged again rather than
 *       skipped. Polled every --interval milliseconds (200; the feed has no long poll), so a write
 *       is out of the caches well within a second of its acknowledgement.
 *
 * Why a follower and not seclabeld purging its caches itself: the feed already says every write
 * in order with a cursor, so any number of caches (each with its own follower, or one follower
 * naming several), and a CDN (whose purge-by-tag API takes the same keys), are kept in step
 * without seclabeld knowing them, a cache that is down catches up when it is back (its pages
 * are purged again until they succeed), and the writer's latency never waits on a cache.
 *
 * Each page's keys are purged a second time PURGE_AGAIN_MS later: a cache fetch that read the
 * old answer just before a write and stored it just after the first purge would otherwise stay
 * until its max-age. With no cursor file (a first start) or a feed whose last_seq goes back (a
 * restored backup), the purger cannot know what changed: it BANs everything on every cache
 * once, then starts at the feed's newest change. */
#include "cli.h"
#include "changes.h"

#include <curl/curl.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PURGE_INTERVAL_MS 200
#define PURGE_AGAIN_MS 500
/* The longest xkey-purge header sent at once: Varnish refuses request headers over
 * http_req_hdr_len (8 KB by default); a page's keys are sent in as many requests as needed. */
#define PURGE_HEADER_MAX 4000
#define MAX_CACHES 16

struct purger {
    struct client *origin;
    const char *caches[MAX_CACHES];
    int ncaches;
    const char *cursor_path;
    long interval_ms;
    CURL *h;
    struct buf again; /* keys to purge a second time at again_at (monotonic seconds) */
    double again_at;
    uint64_t again_last; /* the newest change whose keys are in again */
};

static volatile sig_atomic_t stop_now;

static void on_signal(int sig)
{
    (void)sig;
    stop_now = 1;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p, (void)ctx;
    return size * n;
}

/* One request of method (PURGE or BAN) to cache url, with keys (NULL for a BAN) in xkey-purge:
 * 0 when it answered 200, else -1 with why on stderr. */
static int cache_request(struct purger *p, const char *url, const char *method, const char *keys,
                         size_t klen)
{
    if (!p->h && !(p->h = curl_easy_init())) {
        fputs("seclabel: cannot initialise libcurl\n", stderr);
        return -1;
    }
    curl_easy_reset(p->h);
    client_trust(p->h);
    struct curl_slist *hdrs = NULL;
    struct buf hv = BUF_INIT;
    if (keys) {
        buf_puts(&hv, "xkey-purge: ");
        buf_append(&hv, keys, klen);
        hdrs = curl_slist_append(hdrs, buf_cstr(&hv));
    }
    char err[CURL_ERROR_SIZE] = "";
    long status = 0;
    curl_easy_setopt(p->h, CURLOPT_URL, url);
    curl_easy_setopt(p->h, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(p->h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(p->h, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(p->h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(p->h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(p->h, CURLOPT_ERRORBUFFER, err);
    curl_easy_setopt(p->h, CURLOPT_WRITEFUNCTION, discard);
    CURLcode rc = curl_easy_perform(p->h);
    if (rc == CURLE_OK) curl_easy_getinfo(p->h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    buf_free(&hv);
    if (rc != CURLE_OK)
        fprintf(stderr, "seclabel: cache purge: cannot reach %s: %s\n", url,
                err[0] ? err : curl_easy_strerror(rc));
    else if (status != 200)
        fprintf(stderr, "seclabel: cache purge: %s answered %s with %ld\n", url, method, status);
    return rc == CURLE_OK && status == 200 ? 0 : -1;
}

/* Purge the space-separated keys on every cache, in pieces of at most PURGE_HEADER_MAX bytes
 * cut at spaces: 0 when every cache took every piece. */
static int purge_keys(struct purger *p, const char *keys, size_t len)
{
    int bad = 0;
    for (int c = 0; c < p->ncaches; c++) {
        size_t at = 0;
        int failed = 0; /* this cache: the others are still purged */
        while (at < len && !failed) {
            size_t n = len - at;
            if (n > PURGE_HEADER_MAX) {
                n = PURGE_HEADER_MAX;
                while (n > 0 && keys[at + n] != ' ')
                    n--;
                if (!n) n = PURGE_HEADER_MAX; /* no key is this long: IDs are at most 64 */
            }
            failed = cache_request(p, p->caches[c], "PURGE", keys + at, n) != 0;
            at += n;
            while (at < len && keys[at] == ' ')
                at++;
        }
        bad |= failed;
    }
    return bad ? -1 : 0;
}

static int ban_all(struct purger *p)
{
    int bad = 0;
    for (int c = 0; c < p->ncaches; c++)
        bad |= cache_request(p, p->caches[c], "BAN", NULL, 0) != 0;
    return bad ? -1 : 0;
}

/* The cursor kept in p->cursor_path: 0 and *seq, or 1 when there is none yet. */
static int read_cursor(const struct purger *p, uint64_t *seq)
{
    FILE *f = fopen(p->cursor_path, "re");
    if (!f) return 1;
    unsigned long long v = 0;
    int ok = fscanf(f, "%llu", &v) == 1;
    fclose(f);
    *seq = v;
    return ok ? 0 : 1;
}

static int write_cursor(const struct purger *p, uint64_t seq)
{
    char line[32];
    int n = snprintf(line, sizeof line, "%llu\n", (unsigned long long)seq);
    return cli_write_file(p->cursor_path, line, (size_t)n);
}

/* One page of the feed after `since`: the keys its changes touch into keys (lists feeds log,
 * then product:<id> and maker:<slug> of each product's change, maker:<slug> and account:<slug>
 * of each account event), its last_seq and whether more follow. 0, or -1 (said on stderr). */
static int read_page(struct purger *p, uint64_t since, struct buf *keys, uint64_t *last, int *more,
                     size_t *nchanges)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/changes?since=%llu&limit=1000", (unsigned long long)since);
    struct client_resp r;
    if (client_request(p->origin, "GET", path, NULL, 0, NULL, &r) != CLI_OK) return -1;
    int rc = -1;
    yyjson_doc *doc = r.status == 200 ? yyjson_read(r.body.data, r.body.len, 0) : NULL;
    yyjson_val *root = yyjson_doc_get_root(doc), *changes = yyjson_obj_get(root, "changes");
    if (!doc && r.status != 200) {
        client_report_error(&r);
    } else if (!yyjson_is_arr(changes) || !yyjson_is_uint(yyjson_obj_get(root, "last_seq"))) {
        fputs("seclabel: cache purge: the changes feed's answer is not what it should be\n",
              stderr);
    } else {
        buf_reset(keys);
        buf_puts(keys, "lists feeds log");
        size_t i, n;
        yyjson_val *c;
        yyjson_arr_foreach(changes, i, n, c)
        {
            const char *id = yyjson_get_str(yyjson_obj_get(c, "id"));
            const char *maker = yyjson_get_str(yyjson_obj_get(c, "manufacturer"));
            const char *kind = yyjson_get_str(yyjson_obj_get(c, "kind"));
            if (id) buf_printf(keys, " product:%s", id);
            if (maker) buf_printf(keys, " maker:%s", maker);
            if (maker && kind && !strcmp(kind, CHANGES_KIND_MAKER))
                buf_printf(keys, " account:%s", maker);
        }
        *nchanges = yyjson_arr_size(changes);
        *last = yyjson_get_uint(yyjson_obj_get(root, "last_seq"));
        *more = yyjson_get_bool(yyjson_obj_get(root, "more"));
        rc = 0;
    }
    yyjson_doc_free(doc);
    buf_free(&r.body);
    return rc;
}

/* A first start, or a feed that went back: everything out of every cache, then the feed's
 * newest change as the cursor. */
static int start_over(struct purger *p, uint64_t *cursor)
{
    struct buf keys = BUF_INIT;
    uint64_t last = 0;
    int more = 0;
    size_t n = 0;
    int rc = read_page(p, (uint64_t)INT64_MAX, &keys, &last, &more, &n);
    buf_free(&keys);
    if (!rc) rc = ban_all(p);
    if (!rc) rc = write_cursor(p, last);
    if (!rc) {
        *cursor = last;
        printf("cache purge: every cache emptied; following the changes after %llu\n",
               (unsigned long long)last);
        fflush(stdout);
    }
    return rc ? -1 : 0;
}

/* The second purge of pages purged PURGE_AGAIN_MS ago, when due (a failure is left for the next
 * page's keys to cover: they include lists, feeds and log, and the product's own purge worked).
 * Said on stdout, as the first purge is: from then on, what those changes touched is filled
 * afresh and stays until the next change that touches it. */
static void purge_again(struct purger *p, int force)
{
    if (!p->again.len || (!force && now_s() < p->again_at)) return;
    if (!purge_keys(p, p->again.data, p->again.len)) {
        printf("cache purge: changes up to %llu purged again\n", (unsigned long long)p->again_last);
        fflush(stdout);
    }
    buf_reset(&p->again);
}

static int follow(struct purger *p)
{
    uint64_t cursor = 0;
    struct buf keys = BUF_INIT;
    int rc = 0;
    while (!stop_now) {
        if (read_cursor(p, &cursor) && start_over(p, &cursor)) {
            sleep_ms(1000);
            continue;
        }
        uint64_t last = cursor;
        int more = 0;
        size_t n = 0;
        if (read_page(p, cursor, &keys, &last, &more, &n)) {
            sleep_ms(1000); /* the origin is down or restarting: the cursor waits */
            continue;
        }
        if (last < cursor) { /* a restored backup: the feed went back */
            fprintf(stderr, "seclabel: cache purge: the feed went back from %llu to %llu\n",
                    (unsigned long long)cursor, (unsigned long long)last);
            if (start_over(p, &cursor)) sleep_ms(1000);
            continue;
        }
        if (n && purge_keys(p, keys.data, keys.len)) {
            sleep_ms(1000); /* a cache is down: this page again, until every cache took it */
            continue;
        }
        if (n) {
            if ((rc = write_cursor(p, last))) break;
            if (p->again.len) buf_putc(&p->again, ' ');
            buf_append(&p->again, keys.data, keys.len);
            p->again_at = now_s() + PURGE_AGAIN_MS / 1e3;
            p->again_last = last;
            printf("cache purge: %zu change%s up to %llu purged\n", n, n == 1 ? "" : "s",
                   (unsigned long long)last);
            fflush(stdout);
        }
        purge_again(p, 0);
        if (!more) sleep_ms(p->interval_ms);
    }
    purge_again(p, 1);
    buf_free(&keys);
    return rc ? CLI_FAILED : CLI_OK;
}

static int purge_usage(void)
{
    return cli_usage_error("usage: seclabel cache purge --varnish URL [--varnish URL...] "
                           "(KEY... | --follow --cursor FILE [--interval MS])");
}

int cmd_cache(int argc, char **argv, struct client *c)
{
    struct purger p = {.origin = c, .interval_ms = PURGE_INTERVAL_MS, .again = BUF_INIT};
    int do_follow = 0, nkeys = 0;
    struct buf keys = BUF_INIT;
    if (argc < 1 || strcmp(argv[0], "purge")) return purge_usage();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--follow")) {
            do_follow = 1;
        } else if (!strcmp(a, "--varnish") || !strcmp(a, "--cursor") || !strcmp(a, "--interval")) {
            if (i + 1 >= argc) return cli_usage_error("cache purge: %s needs a value", a);
            const char *v = argv[++i];
            if (!strcmp(a, "--cursor")) p.cursor_path = v;
            if (!strcmp(a, "--interval")) {
                char *end;
                errno = 0;
                p.interval_ms = strtol(v, &end, 10);
                if (*end || errno || p.interval_ms < 10 || p.interval_ms > 60000)
                    return cli_usage_error("cache purge: --interval: 10 to 60000 milliseconds");
            }
            if (!strcmp(a, "--varnish")) {
                if (p.ncaches == MAX_CACHES)
                    return cli_usage_error("cache purge: at most %d caches", MAX_CACHES);
                p.caches[p.ncaches++] = v;
            }
        } else if (a[0] == '-') {
            return purge_usage();
        } else {
            if (nkeys++) buf_putc(&keys, ' ');
            buf_puts(&keys, a);
        }
    }
    if (!p.ncaches || do_follow == (nkeys > 0) || (do_follow && !p.cursor_path)) {
        buf_free(&keys);
        return purge_usage();
    }
    int rc;
    if (do_follow) {
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
        rc = follow(&p);
    } else {
        rc = purge_keys(&p, keys.data, keys.len) ? CLI_UNREACHABLE : CLI_OK;
    }
    buf_free(&keys);
    buf_free(&p.again);
    if (p.h) curl_easy_cleanup(p.h);
    return rc;
}
