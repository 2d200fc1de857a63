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

static void drop(struct rcache *c, struct rcache_entry *e)
{
    if (!e->hash) return;
    __atomic_fetch_sub(&c->bytes, e->key.cap + e->resp.bytes.cap, __ATOMIC_RELAXED);
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
void rcache_invalidate(struct rcache *c, unsigned scope)
{
    __atomic_fetch_add(&c->sh->epoch, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&c->sh->scope_gen[scope & (RCACHE_SCOPES - 1)], 1, __ATOMIC_SEQ_CST);
}

void rcache_invalidate_all(struct rcache *c)
{
    __atomic_fetch_add(&c->sh->epoch, 1, __ATOMIC_SEQ_CST);
    __atomic_fetch_add(&c->sh->all, 1, __ATOMIC_SEQ_CST);
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

const struct rcache_entry *rcache_get(struct rcache *c, const char *key, size_t klen, int64_t day)
{
    uint64_t h = hash_key(key, klen);
    struct rcache_entry *e = find(c, h, key, klen);
    if (e) {
        if (e->gen == __atomic_load_n(&c->sh->scope_gen[e->scope], __ATOMIC_RELAXED) &&
            e->all == __atomic_load_n(&c->sh->all, __ATOMIC_RELAXED) && e->day == day) {
            __atomic_fetch_add(&c->hits, 1, __ATOMIC_RELAXED);
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
    __atomic_fetch_sub(&c->bytes, e->key.cap + e->resp.bytes.cap, __ATOMIC_RELAXED);
    buf_reset(&e->key);
    buf_reset(&e->resp.bytes);
    e->hash = 0;
}

/* Drop entries in slot order from the sweep cursor until need more bytes fit the budget. e, the
 * slot being filled, takes the memory of the first one dropped if it has none of its own. */
static void make_room(struct rcache *c, struct rcache_entry *e, size_t need)
{
    while (c->bytes && c->bytes + need > RCACHE_MAX_BYTES) {
        struct rcache_entry *v = &c->slot[c->sweep++ & (RCACHE_SLOTS - 1)];
        if (!v->hash || v == e) continue;
        c->evicted++;
        if (e->key.cap || e->resp.bytes.cap) {
            drop(c, v);
            continue;
        }
        recycle(c, v);
        struct buf k = e->key, b = e->resp.bytes;
        e->key = v->key;
        e->resp.bytes = v->resp.bytes;
        v->key = k;
        v->resp.bytes = b;
    }
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
    uint64_t h = hash_key(key, klen);
    struct rcache_entry *e = slot_for(c, h, key, klen);
    /* The entry replaced, or one the budget drops, lends its memory: a cache missing on every
     * request (more products than slots) then neither frees nor allocates (issue 15). */
    recycle(c, e);
    size_t need = klen + resp->body.len + 1024;
    make_room(c, e, need > e->key.cap + e->resp.bytes.cap ? need : e->key.cap + e->resp.bytes.cap);
    e->hash = h;
    e->scope = scope;
    e->gen = gen;
    e->all = all;
    e->day = day;
    e->route = route;
    e->used = ++c->clock;
    buf_append(&e->key, key, klen);
    http_prebuild(req, resp, &e->resp);
    __atomic_fetch_add(&c->bytes, e->key.cap + e->resp.bytes.cap, __ATOMIC_RELAXED);
    return e;
}
