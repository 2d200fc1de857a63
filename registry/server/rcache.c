/* rcache.c: the response cache (see rcache.h). */
#include "rcache.h"

#include "hash.h"

#include <stdlib.h>
#include <string.h>

/* hash.h's hash; never 0 (0 marks an empty slot). */
static uint64_t hash_key(const char *key, size_t len)
{
    uint64_t h = hash_fnv1a(key, len);
    return h ? h : 1;
}

void rcache_init(struct rcache *c, struct rcache_shared *shared)
{
    memset(c, 0, sizeof *c);
    c->slot = xcalloc(RCACHE_SLOTS, sizeof *c->slot);
    c->own = shared ? NULL : xcalloc(1, sizeof *c->own);
    c->sh = shared ? shared : c->own;
}

/* Count e's memory into the cache's (sign 1) or out of it (-1). */
static void account(struct rcache *c, const struct rcache_entry *e, int sign)
{
    size_t n = e->key.cap + e->resp.bytes.cap;
    if (sign > 0) {
        __atomic_fetch_add(&c->bytes, n, __ATOMIC_RELAXED);
        if (e->txn) __atomic_fetch_add(&c->list_bytes, n, __ATOMIC_RELAXED);
        return;
    }
    __atomic_fetch_sub(&c->bytes, n, __ATOMIC_RELAXED);
    if (e->txn) __atomic_fetch_sub(&c->list_bytes, n, __ATOMIC_RELAXED);
}

static void drop(struct rcache *c, struct rcache_entry *e)
{
    if (!e->hash) return;
    account(c, e, -1);
    buf_free(&e->key);
    buf_free(&e->resp.bytes);
    e->hash = 0;
}

void rcache_free(struct rcache *c)
{
    for (size_t i = 0; c->slot && i < RCACHE_SLOTS; i++)
        drop(c, &c->slot[i]);
    free(c->slot);
    c->slot = NULL;
    free(c->own);
    c->own = NULL;
}

unsigned rcache_scope(const char *s)
{
    return (unsigned)(hash_key(s, strlen(s)) & (RCACHE_SCOPES - 1));
}

/* An invalidation bumps the epoch before the generation: a put that reads the new generation
 * then sees the new epoch too (sequentially consistent), and keeps nothing (see rcache_put). */
void rcache_shared_invalidate(struct rcache_shared *sh, unsigned scope)
{
    __atomic_fetch_add(&sh->epoch, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&sh->scope_gen[scope & (RCACHE_SCOPES - 1)], 1, __ATOMIC_SEQ_CST);
}

void rcache_shared_invalidate_all(struct rcache_shared *sh)
{
    __atomic_fetch_add(&sh->epoch, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&sh->all, 1, __ATOMIC_SEQ_CST);
}

void rcache_invalidate(struct rcache *c, unsigned scope)
{
    rcache_shared_invalidate(c->sh, scope);
}

void rcache_invalidate_all(struct rcache *c)
{
    rcache_shared_invalidate_all(c->sh);
}

uint32_t rcache_epoch(const struct rcache *c)
{
    return __atomic_load_n(&c->sh->epoch, __ATOMIC_SEQ_CST);
}

/* The first slot of the set of hash h. */
static struct rcache_entry *set_of(struct rcache *c, uint64_t h)
{
    return &c->slot[h & (RCACHE_SLOTS - 1) & ~(size_t)(RCACHE_WAYS - 1)];
}

/* The entry of key in its set, or NULL. */
static struct rcache_entry *find(struct rcache *c, uint64_t h, const char *key, size_t klen)
{
    struct rcache_entry *s = set_of(c, h);
    for (int i = 0; i < RCACHE_WAYS; i++)
        if (s[i].hash == h && s[i].key.len == klen && memcmp(s[i].key.data, key, klen) == 0)
            return &s[i];
    return NULL;
}

/* A record's entry: its scope not invalidated since it was made. */
static int record_fresh(const struct rcache *c, const struct rcache_entry *e)
{
    return e->gen == __atomic_load_n(&c->sh->scope_gen[e->scope], __ATOMIC_RELAXED) &&
           e->all == __atomic_load_n(&c->sh->all, __ATOMIC_RELAXED);
}

/* A list's entry: read at the newest commit. */
static int list_fresh(const struct rcache *c, const struct rcache_entry *e)
{
    uint64_t newest;
    return c->newest && c->newest(c->newest_ctx, &newest) == 0 && newest == e->txn;
}

const struct rcache_entry *rcache_get(struct rcache *c, const char *key, size_t klen, int64_t day)
{
    uint64_t h = hash_key(key, klen);
    struct rcache_entry *e = find(c, h, key, klen);
    if (e) {
        if (e->day == day && (e->txn ? list_fresh(c, e) : record_fresh(c, e))) {
            __atomic_fetch_add(&c->hits, 1, __ATOMIC_RELAXED);
            if (e->txn) __atomic_fetch_add(&c->list_hits, 1, __ATOMIC_RELAXED);
            e->used = ++c->clock;
            return e;
        }
        drop(c, e); /* stale */
    }
    __atomic_fetch_add(&c->misses, 1, __ATOMIC_RELAXED);
    return NULL;
}

/* Where key goes: its own old entry, an empty slot of its set, or the set's least recently used
 * (clock differences, so the clock may wrap). */
static struct rcache_entry *slot_for(struct rcache *c, uint64_t h, const char *key, size_t klen)
{
    struct rcache_entry *e = find(c, h, key, klen);
    if (e) return e;
    struct rcache_entry *s = set_of(c, h), *oldest = s;
    for (int i = 0; i < RCACHE_WAYS; i++) {
        if (!s[i].hash) return &s[i];
        if (c->clock - s[i].used > c->clock - oldest->used) oldest = &s[i];
    }
    return oldest;
}

/* Empty e but keep its memory for the entry that takes its place (it is counted again then). */
static void recycle(struct rcache *c, struct rcache_entry *e)
{
    if (!e->hash) return;
    account(c, e, -1);
    buf_reset(&e->key);
    buf_reset(&e->resp.bytes);
    e->hash = 0;
}

/* Drop v to make room for e, the slot being filled, which takes v's memory if it has none of
 * its own. */
static void give_way(struct rcache *c, struct rcache_entry *e, struct rcache_entry *v)
{
    c->evicted++;
    if (e->key.cap || e->resp.bytes.cap) {
        drop(c, v);
        return;
    }
    recycle(c, v);
    struct buf k = e->key, b = e->resp.bytes;
    e->key = v->key;
    e->resp.bytes = v->resp.bytes;
    v->key = k;
    v->resp.bytes = b;
}

/* Drop entries in slot order from the sweep cursor until need more bytes fit the budget. e, the
 * slot being filled, takes the memory of the first one dropped if it has none of its own. */
static void make_room(struct rcache *c, struct rcache_entry *e, size_t need)
{
    while (c->bytes && c->bytes + need > RCACHE_MAX_BYTES) {
        struct rcache_entry *v = &c->slot[c->sweep++ & (RCACHE_SLOTS - 1)];
        if (!v->hash || v == e) continue;
        give_way(c, e, v);
    }
}

/* The same within the lists' budget, dropping lists only (from a cursor of their own): at most
 * one round of the slots, as many as are needed. */
static void make_list_room(struct rcache *c, struct rcache_entry *e, size_t need)
{
    for (size_t i = 0;
         i < RCACHE_SLOTS && c->list_bytes && c->list_bytes + need > RCACHE_LIST_MAX_BYTES; i++) {
        struct rcache_entry *v = &c->slot[c->list_sweep++ & (RCACHE_SLOTS - 1)];
        if (v->hash && v->txn && v != e) give_way(c, e, v);
    }
}

/* The slot for key, emptied, with room made for a body of body_len bytes (list: within the
 * lists' budget too). The entry replaced, or one the budget drops, lends its memory: a cache
 * missing on every request (more products than slots) then neither frees nor allocates (issue
 * 15). */
static struct rcache_entry *place(struct rcache *c, const char *key, size_t klen, int list,
                                  size_t body_len)
{
    uint64_t h = hash_key(key, klen);
    struct rcache_entry *e = slot_for(c, h, key, klen);
    recycle(c, e);
    size_t need = klen + body_len + 1024, had = e->key.cap + e->resp.bytes.cap;
    if (list) make_list_room(c, e, need > had ? need : had);
    had = e->key.cap + e->resp.bytes.cap;
    make_room(c, e, need > had ? need : had);
    e->hash = h;
    e->txn = 0;
    return e;
}

/* Stamp and fill the entry place gave. */
static const struct rcache_entry *fill(struct rcache *c, struct rcache_entry *e, const char *key,
                                       size_t klen, int64_t day, int route,
                                       const struct http_req *req, const struct http_resp *resp)
{
    e->day = day;
    e->route = route;
    e->used = ++c->clock;
    buf_append(&e->key, key, klen);
    http_prebuild(req, resp, &e->resp);
    account(c, e, 1);
    /* The buffers may have grown past what was made room for (they double): the budgets hold
     * after the put, not only before. */
    if (e->txn) make_list_room(c, e, 0);
    make_room(c, e, 0);
    return e;
}

const struct rcache_entry *rcache_put(struct rcache *c, const char *key, size_t klen,
                                      unsigned scope, int64_t day, uint32_t epoch, int route,
                                      const struct http_req *req, const struct http_resp *resp)
{
    scope &= RCACHE_SCOPES - 1;
    /* The generations first, then the epoch: see rcache_invalidate. */
    uint32_t gen = __atomic_load_n(&c->sh->scope_gen[scope], __ATOMIC_SEQ_CST);
    uint32_t all = __atomic_load_n(&c->sh->all, __ATOMIC_SEQ_CST);
    if (resp->body.len > RCACHE_MAX_RESPONSE || rcache_epoch(c) != epoch) return NULL;
    struct rcache_entry *e = place(c, key, klen, 0, resp->body.len);
    e->scope = scope;
    e->gen = gen;
    e->all = all;
    return fill(c, e, key, klen, day, route, req, resp);
}

const struct rcache_entry *rcache_put_list(struct rcache *c, const char *key, size_t klen,
                                           uint64_t txn, int64_t day, int route,
                                           const struct http_req *req, const struct http_resp *resp)
{
    __atomic_fetch_add(&c->list_misses, 1, __ATOMIC_RELAXED);
    if (!txn || resp->body.len > RCACHE_LIST_MAX_RESPONSE) return NULL;
    struct rcache_entry *e = place(c, key, klen, 1, resp->body.len);
    e->scope = 0;
    e->txn = txn;
    return fill(c, e, key, klen, day, route, req, resp);
}
