/* rcache.h: whole responses kept for GET requests that are asked again (the record's JSON, the
 * shopper's page), so a repeated scan costs a hash lookup and a copy, not a parse and a render.
 *
 * Entries are keyed by the request target and the Accept-Language header (everything such a
 * response depends on besides the data and the day). Each also names its scope, the data it
 * was made from (a product ID, hashed into one of RCACHE_SCOPES), and is stamped with that
 * scope's generation and the day: a write invalidates its product's scope, which makes every
 * answer made from it stale (and those of the few other products sharing the scope, nothing
 * else); a new day makes all stale (support status counts days): `day` may be any finer period
 * that divides days (app_handle's: see api_cache.c). Stale entries are dropped
 * when met. A fixed number of slots and a byte budget bound the memory. Slots are grouped in
 * sets of RCACHE_WAYS, a key's hash picks its set, and a full set gives up its least recently
 * used entry: with one slot per key (direct-mapped), keys whose hashes met evicted each other
 * on every request, and once answers were kept per content coding (twice the keys) about one
 * request in twenty-five missed and paid a Brotli compression (bench: 1000 products, 3 % of
 * hits lost, CPU per request 9 -> 15 us). Past the byte budget, entries are dropped in slot
 * order from a cursor that goes round until it fits. An entry put in the place of another (its
 * set's oldest) reuses that one's memory, or else that of the first entry the budget drops:
 * with more products than slots nearly every read replaces an entry, and freeing and
 * allocating two buffers each time showed in profiles (issue 15).
 *
 * Lists (a search, the facets, the home and maker pages) may change with any write, so they
 * are not scoped to a product: each is stamped with the store's transaction ID it was read at
 * (store.h, store_txn_snapshot) and is fresh only while that is still the newest commit (the
 * `newest` hook: store_last_txn) and on its day; a write of any kind, by any loop or process,
 * makes them all stale at once, and none can be served after it. A list answer is large (about
 * 50 KB for a page of 50 products): lists share the slots but have a byte budget of their own,
 * RCACHE_LIST_MAX_BYTES, within the whole, which their puts make room in by dropping other lists
 * only, so lists never push out more than that of the single records.
 *
 * Ownership: the cache owns its entries; a pointer from rcache_get is valid until the next
 * rcache_put or rcache_free. */
#ifndef SECLABEL_RCACHE_H
#define SECLABEL_RCACHE_H

#include "http.h"

#include <stddef.h>
#include <stdint.h>

#define RCACHE_SLOTS 8192                     /* a power of two */
#define RCACHE_WAYS 4                         /* slots per set: a power of two */
#define RCACHE_MAX_BYTES (24u << 20)          /* responses and keys together */
#define RCACHE_SCOPES 4096                    /* a power of two */
#define RCACHE_MAX_RESPONSE (64u << 10)       /* larger responses are not kept */
#define RCACHE_LIST_MAX_BYTES (8u << 20)      /* lists' share of RCACHE_MAX_BYTES */
#define RCACHE_LIST_MAX_RESPONSE (512u << 10) /* larger lists are not kept */

/* What every event loop's cache shares: a write answered on one loop invalidates the others'
 * answers too. Read and bumped with atomics. */
struct rcache_shared {
    uint32_t scope_gen[RCACHE_SCOPES];
    uint32_t all;   /* rcache_invalidate_all: every answer is stale */
    uint32_t epoch; /* one more for every invalidation of any kind */
};

struct rcache_entry {
    uint64_t hash; /* 0: empty */
    unsigned scope;
    uint32_t gen; /* the scope's generation when the entry was made */
    uint32_t all; /* the shared `all` then */
    int64_t day;
    uint64_t txn;  /* a list's: the store's transaction ID it was read at; 0: a record's */
    int route;     /* the owner's, for its metrics */
    uint32_t used; /* the cache's clock when last put or found: the set's oldest goes first */
    struct buf key;
    struct http_prebuilt resp;
};

struct rcache {
    struct rcache_entry *slot; /* RCACHE_SLOTS */
    size_t bytes;
    size_t sweep;              /* next slot to drop when over budget */
    uint32_t clock;            /* counts puts and hits, for `used` */
    struct rcache_shared *sh;  /* the generations: shared, or own_sh */
    struct rcache_shared *own; /* allocated when no shared one was given; else NULL */
    unsigned long long hits, misses, evicted;
    size_t list_bytes; /* the lists' part of bytes */
    size_t list_sweep; /* next slot to look at when lists are over budget */
    unsigned long long list_hits, list_misses;
    int (*newest)(void *ctx, uint64_t *txn); /* the newest commit's ID (store_last_txn), for
                                                lists; NULL: no list is ever fresh */
    void *newest_ctx;
};

/* shared: zeroed generations shared with the other loops' caches (the caller keeps them alive
 * longer than every cache), or NULL for a cache of its own. */
void rcache_init(struct rcache *c, struct rcache_shared *shared);
void rcache_free(struct rcache *c);
/* The scope of answers made from the data named by s (a product ID). */
unsigned rcache_scope(const char *s);
/* Every answer of scope is stale from now on. */
void rcache_invalidate(struct rcache *c, unsigned scope);
/* Every answer is stale from now on (data every answer may show changed: a manufacturer). */
void rcache_invalidate_all(struct rcache *c);
/* The same two on the generations the loops' caches share, from any thread (a mirror's
 * follower, which has no cache of its own). */
void rcache_shared_invalidate(struct rcache_shared *sh, unsigned scope);
void rcache_shared_invalidate_all(struct rcache_shared *sh);
/* The invalidation count, to take BEFORE reading the data an answer is made from. */
uint32_t rcache_epoch(const struct rcache *c);
/* The fresh entry for key (made today, its scope not invalidated since; a list's: read at the
 * newest commit), or NULL. */
const struct rcache_entry *rcache_get(struct rcache *c, const char *key, size_t klen, int64_t day);
/* Keep resp, the answer to req, made from scope's data, under key (replacing whatever held its
 * slot), unless its body is over RCACHE_MAX_RESPONSE or an invalidation happened since epoch
 * (rcache_epoch taken before the data was read): the data may have changed under the answer,
 * which another loop's write may have invalidated before this put could stamp it. */
/* Returns the entry kept (the caller may send its prebuilt bytes instead of serialising resp
 * again: valid until the next rcache_put on c), or NULL when nothing was kept. */
const struct rcache_entry *rcache_put(struct rcache *c, const char *key, size_t klen,
                                      unsigned scope, int64_t day, uint32_t epoch, int route,
                                      const struct http_req *req, const struct http_resp *resp);
/* Keep resp, a list's answer to req read at the store's transaction txn (non-zero) on `day`,
 * under key, within the lists' budget, unless its body is over RCACHE_LIST_MAX_RESPONSE. Counts
 * a list miss either way. Returns as rcache_put. */
const struct rcache_entry *rcache_put_list(struct rcache *c, const char *key, size_t klen,
                                           uint64_t txn, int64_t day, int route,
                                           const struct http_req *req,
                                           const struct http_resp *resp);

#endif
