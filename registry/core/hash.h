/* hash.h: FNV-1a, 64 bits (Fowler, Noll, Vo; draft-eastlake-fnv): the one non-cryptographic
 * hash of the registry and the CLI, for hash tables, cache keys, ETags and cache-busting URLs.
 * Never for anything an attacker may choose to collide on where that matters: it is not keyed.
 *
 * Header-only: five lines, inlined into the response cache's per-request lookup. */
#ifndef SECLABEL_HASH_H
#define SECLABEL_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV_OFFSET 14695981039346656037ull /* the 64-bit offset basis */
#define HASH_FNV_PRIME 1099511628211ull         /* the 64-bit FNV prime */

/* Continue hash h over p[0..n): hash_fnv1a_more(hash_fnv1a(a, na), b, nb) is the hash of a and
 * b concatenated. */
static inline uint64_t hash_fnv1a_more(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ s[i]) * HASH_FNV_PRIME;
    return h;
}

/* FNV-1a of p[0..n). */
static inline uint64_t hash_fnv1a(const void *p, size_t n)
{
    return hash_fnv1a_more(HASH_FNV_OFFSET, p, n);
}

#endif
