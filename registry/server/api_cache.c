/* api_cache.c: what the handlers tell caches: how long each kind of answer may be reused
 * (Cache-Control, one table: API_CACHE_MAP in api_int.h) and when what an answer shows last
 * changed (resp->last_modified, which represent.c turns into Last-Modified and answers
 * If-Modified-Since with). ETags are made elsewhere: from the body (represent.c) unless a
 * handler knows a cheaper one first (a product's, a version's, a label's).
 *
 * Day-dependent answers (a support status, days left: assess_today(), days since the epoch in
 * UTC) change at midnight UTC without any write. So:
 *   - their Last-Modified is never earlier than the start of the day they were made for;
 *   - their lifetimes (max-age, and max-age plus stale-while-revalidate or stale-if-error)
 *     end by the next midnight, so no cache shows yesterday's status as today's. The response
 *     cache (rcache.h) keeps an answer, Cache-Control included, for the rest of the
 *     API_CACHE_PERIOD it was made in (app_handle keys it by the period): the lifetimes are
 *     therefore counted from the period's end, not from the moment the answer was made.
 *
 * Every Last-Modified is at least the process's start: the configuration (the public URL in
 * QR URLs and links) may have changed then, without any write. A time in the current second
 * is not sent (resp->last_modified stays 0): another change later in that second would not
 * move it, so a client holding the first answer would be told 304 (RFC 9110 8.8.2.2: such a
 * date is a weak validator); the ETag still validates. */
#include "api_int.h"

#include "assess.h"
#include "date.h"
#include "decl.h"

#include "err.h"
#include "mfr.h"
#include "changes.h"
#include "product.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DAY_SECONDS 86400L

struct cache_class {
    long max_age, swr, sie; /* seconds; swr, sie 0: not sent */
    int flags;
};

static const struct cache_class classes[] = {
#define CLASS(name, max_age, swr, sie, flags) {max_age, swr, sie, flags},
    API_CACHE_MAP(CLASS)
#undef CLASS
};

/* Set once by api_cache_init (app_global_init), before any thread starts. process_key: drawn
 * at random for each start of the server, see api_list_etag. */
static long process_start;
static unsigned char process_key[crypto_generichash_KEYBYTES];

void api_cache_init(void)
{
    process_start = (long)time(NULL);
    randombytes_buf(process_key, sizeof process_key);
}

long api_process_start(void)
{
    return process_start;
}

int64_t api_cache_period(long now)
{
    return now / API_CACHE_PERIOD;
}

static long min_long(long a, long b)
{
    return a < b ? a : b;
}

/* name, then value in decimal unless with is 0, at out (no NUL); the length written (at most
 * 64 bytes: the names are short literals). */
static size_t directive(char *out, const char *name, int with, long value)
{
    size_t n = strlen(name);
    memcpy(out, name, n);
    if (!with) return n;
    if (value < 0) out[n++] = '-';
    return n + buf_fmt_u64(out + n, value < 0 ? -(uint64_t)value : (uint64_t)value);
}

void api_cache(struct http_resp *resp, enum api_cache_class c)
{
    const struct cache_class *k = &classes[c];
    if (k->flags & API_CACHE_NO_STORE) {
        http_resp_header_str(resp, "Cache-Control", "no-store", 8);
        return;
    }
    long max_age = k->max_age, swr = k->swr, sie = k->sie;
    if (k->flags & API_CACHE_DAY) {
        /* Served until the period's end (see the top of the file), so lifetimes count from
         * there: what is left of the day then bounds them all. */
        long now = assess_now();
        long end = (long)(api_cache_period(now) + 1) * API_CACHE_PERIOD;
        long left = (now / DAY_SECONDS + 1) * DAY_SECONDS - end; /* >= 0: the day is whole */
        max_age = min_long(max_age, left);
        swr = min_long(swr, left - max_age);
        sie = min_long(sie, left - max_age);
    }
    /* Appended by hand: a record's answer is made on every cold read (issue 15). */
    char v[128];
    size_t n = 0;
    n += directive(v + n, "public, max-age=", 1, max_age);
    if (k->flags & API_CACHE_IMMUTABLE) n += directive(v + n, ", immutable", 0, 0);
    if (swr > 0) n += directive(v + n, ", stale-while-revalidate=", 1, swr);
    if (sie > 0) n += directive(v + n, ", stale-if-error=", 1, sie);
    http_resp_header_str(resp, "Cache-Control", v, n);
}

long api_later(long a, const char *rfc3339)
{
    long b = (long)date_parse_rfc3339(rfc3339);
    return a > b ? a : b;
}

long api_day_start(int64_t today)
{
    return (long)today * DAY_SECONDS;
}

void api_modified(struct http_resp *resp, long t)
{
    if (t < process_start) t = process_start;
    resp->last_modified = t < (long)time(NULL) ? t : 0;
}

long api_maker_time(const struct mfr *m)
{
    if (!m) return 0;
    long t = api_later(0, m->created);
    t = api_later(t, m->verification.time);
    for (size_t i = 0; i < m->history_len; i++)
        t = api_later(t, m->history[i].time);
    return t;
}

static int latest_change(void *ctx, const char *json, size_t len)
{
    yyjson_doc *d = yyjson_read(json, len, 0);
    *(long *)ctx =
        (long)date_parse_rfc3339(yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(d), "time")));
    yyjson_doc_free(d);
    return 1;
}

int api_products_time(struct store_txn *txn, long *t)
{
    uint64_t last = 0;
    *t = 0;
    int rc = changes_last_seq(txn, &last);
    if (!rc && last) rc = changes_each(txn, last - 1, latest_change, t);
    return rc;
}

static int maker_time(void *ctx, const char *slug, const struct mfr *m)
{
    (void)slug;
    long t = api_maker_time(m), *latest = ctx;
    if (t > *latest) *latest = t;
    return 0;
}

int api_makers_time(struct app *app, struct store_txn *txn, long *t)
{
    uint64_t gen = 0;
    int rc = mfr_generation(txn, &gen);
    if (rc) return rc;
    if (!app->makers_time_ok || gen != app->makers_time_gen) {
        long latest = 0; /* every account read once per generation: they change rarely */
        if ((rc = mfr_each(txn, maker_time, &latest))) return rc;
        app->makers_time = latest;
        app->makers_time_gen = gen;
        app->makers_time_ok = 1;
    }
    *t = app->makers_time;
    return 0;
}

int api_store_time(struct app *app, struct store_txn *txn, long *t)
{
    long makers = 0;
    int rc = api_products_time(txn, t);
    if (!rc) rc = api_makers_time(app, txn, &makers);
    if (!rc && makers > *t) *t = makers;
    return rc;
}

int64_t api_cache_day(int64_t period)
{
    return period * API_CACHE_PERIOD / DAY_SECONDS;
}

/* A list's body is a function of the data it was read from (the store's transaction ID), the
 * day, the request's target and its variant (the language picked), and of the program and its
 * configuration (the public URL in links and QR URLs). The ID names the data only within one
 * database's history: a restored backup, a copied data directory or another one repeat IDs with
 * other data behind them. So the target and variant are hashed with a key drawn at random when
 * the server starts (BLAKE2b, keyed, 128 bits: different targets never share a tag, see
 * represent.c on why not FNV-1a), which also covers a new program or configuration: each start
 * gives new tags. A restart therefore costs a client holding a list one full answer, which a
 * Last-Modified-based check also pays (api_modified: never before the process's start). A tag
 * of the data directory's own (say, a random ID kept in meta and renewed by restore) would
 * survive restarts, but not a change of program or configuration. */
size_t api_list_etag(const char *target, size_t tlen, const char *variant, uint64_t txn,
                     int64_t today, char out[API_LIST_ETAG_MAX])
{
    unsigned char h[16];
    crypto_generichash_state st;
    crypto_generichash_init(&st, process_key, sizeof process_key, sizeof h);
    crypto_generichash_update(&st, (const unsigned char *)target, tlen);
    crypto_generichash_update(&st, (const unsigned char *)"", 1); /* target, then variant */
    crypto_generichash_update(&st, (const unsigned char *)variant, strlen(variant));
    crypto_generichash_final(&st, h, sizeof h);
    char b64[sodium_base64_ENCODED_LEN(sizeof h, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    sodium_bin2base64(b64, sizeof b64, h, sizeof h, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    int n = snprintf(out, API_LIST_ETAG_MAX, "\"L%llu.%lld.%s\"", (unsigned long long)txn,
                     (long long)today, b64);
    return n > 0 && n < API_LIST_ETAG_MAX ? (size_t)n : 0;
}

/* Surrogate keys (docs/API.md "Caching"): what a shared cache files each answer under, so that
 * a purger that follows the changes feed (seclabel cache purge) empties exactly what a write
 * changed. One table, by route pattern, first match wins (a prefix, or the whole pattern with
 * exact):
 *   product:<id>  everything about one product (its JSON, pages, labels, CTA-2120 export,
 *                 history, newest proof), and the GS1 resolver's answers for its GTIN;
 *   maker:<slug>  a manufacturer's JSON and page (its products: purged on each of their writes);
 *   account:<slug> whatever shows a maker's account (verified, name, status): its JSON and
 *                 page, and everything filed under product:<id> of each of its products (the
 *                 product's owner is read from the store), purged on each account event; kept
 *                 apart from maker:<slug> so that one product's write does not purge all of its
 *                 maker's products;
 *   lists         what any write may change: search, facets, home page, CSV, and the GS1
 *                 resolver's answers for a GTIN no product has (yet);
 *   feeds         the changes feed, JSON and Atom;
 *   log           the log's moving parts: checkpoint, partial tiles, newest proofs, its page.
 * None for what never changes at its URL (a version, its log entry, full tiles, the log's key,
 * the stylesheet) or is never stored (health, metrics, whoami). A key is filed only under the
 * ID a path names, so the keys are as plain as IDs and slugs are (ASCII, no spaces). */
static const struct surrogate {
    const char *pattern;
    int exact;
    const char *key; /* NULL: none; ending in ':': followed by the route's first capture */
    int account;     /* 1: and account:<slug> (keys_of) */
} surrogates[] = {
    {"/v1/products/{}/versions/{}", 1, NULL, 0}, /* immutable */
    {"/v1/products/{}/versions/{}/entry", 1, NULL, 0},
    {"/v1/products/{}", 0, "product:", 1},
    {"/p/{}", 0, "product:", 1},
    {"/01/{}", 0, "product:", 1},
    {"/m/{}", 1, "maker:", 1},
    {"/v1/manufacturers/{}", 1, "maker:", 1},
    {"/v1/changes", 0, "feeds", 0},
    {"/log/key", 1, NULL, 0},
    {"/log", 0, "log", 0}, /* tiles: only partial ones (below) */
    {"/", 1, "lists", 0},
    {"/v1/products", 1, "lists", 0},
    {"/v1/facets", 1, "lists", 0},
    {"/products.csv", 1, "lists", 0},
};

static const struct surrogate *surrogate_of(const char *pattern)
{
    for (size_t i = 0; i < sizeof surrogates / sizeof surrogates[0]; i++) {
        const struct surrogate *s = &surrogates[i];
        size_t n = strlen(s->pattern);
        if (strncmp(pattern, s->pattern, n) == 0 && (!s->exact || !pattern[n])) return s;
    }
    return NULL;
}

/* 1 if req is for a full tile (tlog-tiles: a partial one's last segment is "<n>.p/<width>"). */
static int full_tile(const struct http_req *req)
{
    return req->path_len > 10 && memcmp(req->path, "/log/tile/", 10) == 0 &&
           !memmem(req->path, req->path_len, ".p/", 3);
}

/* 1 if a path's capture may be part of a key: a registered ID or slug is (letters, digits, "-",
 * "_", "."); a request may name anything, which is then filed under nothing (a 404 is not
 * stored by a cache: it carries no Cache-Control). */
static int key_safe(const char *id)
{
    size_t n = strlen(id);
    return n > 0 && n <= DECL_ID_MAX &&
           strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                      "0123456789-_.") == n;
}

/* The slug of product id's owner into slug ("" if there is no such product or it cannot be
 * read: the answer is then a 404, or an error no cache stores). */
static void owner_of(struct app *app, const char *id, char slug[AUTH_SLUG_MAX])
{
    struct store_txn *txn;
    const char *json;
    size_t len;
    slug[0] = '\0';
    if (store_reader_begin(app->rd, &txn)) return;
    if (!product_get(txn, id, &json, &len)) {
        yyjson_doc *d = yyjson_read(json, len, 0);
        const char *s = yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(d), "manufacturer"));
        if (s && strlen(s) < AUTH_SLUG_MAX && key_safe(s)) memcpy(slug, s, strlen(s) + 1);
        yyjson_doc_free(d);
    }
    store_reader_end(app->rd);
}

/* The Surrogate-Key header: key (a prefix ending in ':') followed by id, and with s->account
 * account:<slug>, the slug being id itself on a maker's routes, else its product's owner. */
static void keys_of(struct app *app, const struct surrogate *s, const char *id,
                    struct http_resp *resp)
{
    char owner[AUTH_SLUG_MAX] = "";
    int maker = strcmp(s->key, "maker:") == 0;
    if (s->account && !maker) owner_of(app, id, owner);
    const char *slug = maker ? id : owner;
    if (s->account && slug[0])
        http_resp_header(resp, API_SURROGATE_KEY, "%s%s account:%s", s->key, id, slug);
    else
        http_resp_header(resp, API_SURROGATE_KEY, "%s%s", s->key, id);
}

void api_surrogate_keys(struct app *app, const struct route *r, struct http_req *req,
                        struct http_resp *resp)
{
    const struct surrogate *s = r ? surrogate_of(r->pattern) : NULL;
    if (!s || !s->key || !(req->method & (HTTP_M_GET | HTTP_M_HEAD)) || full_tile(req)) return;
    size_t n = strlen(s->key);
    if (s->key[n - 1] != ':') {
        http_resp_header(resp, API_SURROGATE_KEY, "%s", s->key);
        return;
    }
    if (r->fn == api_gs1_resolve) { /* filed under the product the GTIN names */
        char gtin_id[DECL_ID_MAX + 1];
        int rc = api_gs1_id(app, req, gtin_id);
        if (rc == REG_ENOTFOUND) /* none yet: any write may register it */
            http_resp_header(resp, API_SURROGATE_KEY, "lists");
        else if (!rc)
            keys_of(app, s, gtin_id, resp);
        return;
    }
    const char *id = req->nparams ? req->params[0] : NULL;
    if (id && key_safe(id)) keys_of(app, s, id, resp);
}
