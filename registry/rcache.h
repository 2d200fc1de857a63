/* rcache.h: whole responses kept for GET requests that are asked again (the record's JSON, the
 * shopper's page), so a repeated scan costs a hash lookup and a copy, not a parse and a render.
 *
 * Entries are keyed by the request target and the Accept-Language header (everything such a
 * response depends on besides the data and the day), and stamped with the data generation and
 * the day they were made in: the owner bumps its generation after every write, which makes every
 * older entry stale at once; a new day does the same (support status counts days). Stale
 * entries are dropped when met. A fixed number of slots (direct-mapped by hash) and a byte
 * budget bound the memory: past the budget, entries are dropped in slot order from a cursor
 * that goes round (the oldest insertion is not tracked; any entry may go) until it fits.
 *
 * Ownership: the cache owns its entries; a pointer from rcache_get is valid until the next
 * rcache_put or rcache_free. */
#ifndef SECLABEL_RCACHE_H
#define SECLABEL_RCACHE_H

#include "http.h"

#include <stddef.h>
#include <stdint.h>

#define RCACHE_SLOTS 8192               /* a power of two */
#define RCACHE_MAX_BYTES (32u << 20)    /* responses and keys together */
#define RCACHE_MAX_RESPONSE (64u << 10) /* larger responses are not kept */

struct rcache_entry {
    uint64_t hash; /* 0: empty */
    uint64_t gen;
    int64_t day;
    int route; /* the owner's, for its metrics */
    struct buf key;
    struct http_prebuilt resp;
};

struct rcache {
    struct rcache_entry *slot; /* RCACHE_SLOTS */
    size_t bytes;
    size_t sweep; /* next slot to drop when over budget */
    unsigned long long hits, misses, evicted;
};

void rcache_init(struct rcache *c);
void rcache_free(struct rcache *c);
/* The fresh entry for key (gen and day must match), or NULL. */
const struct rcache_entry *rcache_get(struct rcache *c, const char *key, size_t klen, uint64_t gen,
                                      int64_t day);
/* Keep resp, the answer to req, under key (replacing whatever held its slot), unless its body
 * is over RCACHE_MAX_RESPONSE. */
void rcache_put(struct rcache *c, const char *key, size_t klen, uint64_t gen, int64_t day,
                int route, const struct http_req *req, const struct http_resp *resp);

#endif
