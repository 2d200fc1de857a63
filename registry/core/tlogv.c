/* tlogv.c: RFC 9162's proof verification algorithms (sections 2.1.3.2 and 2.1.4.2), step by
 * step as the RFC numbers them: see tlogv.h. Hand-written because no Debian C library checks
 * RFC 6962 / 9162 Merkle proofs (Go's sumdb/tlog is the reference the tests hold it to, via
 * tlog.c's proofs); the hashing is tlog.c's (leaf and node hashes have one home). */
#include "tlogv.h"

#include "err.h"

#include <string.h>

/* Shift fn and sn right together until fn's lowest bit is set or fn is 0. */
static void shift_to_set_bit(uint64_t *fn, uint64_t *sn)
{
    while (!(*fn & 1) && *fn != 0) {
        *fn >>= 1;
        *sn >>= 1;
    }
}

int tlogv_inclusion(uint64_t index, uint64_t size, const unsigned char leaf[TLOG_HASH],
                    const unsigned char *proof, size_t len, const unsigned char root[TLOG_HASH],
                    struct reg_why *why)
{
    if (index >= size)
        return reg_why_set(why, REG_EBADPROOF, "entry %llu cannot be in a tree of %llu entries",
                           (unsigned long long)index, (unsigned long long)size);
    uint64_t fn = index, sn = size - 1; /* step 2 */
    unsigned char r[TLOG_HASH];
    memcpy(r, leaf, TLOG_HASH); /* step 3 */
    for (size_t i = 0; i < len; i++) {
        const unsigned char *p = proof + i * TLOG_HASH;
        if (sn == 0) /* 4a */
            return reg_why_set(why, REG_EBADPROOF,
                               "the inclusion proof has %zu hashes, more than a tree of %llu "
                               "entries needs",
                               len, (unsigned long long)size);
        if ((fn & 1) || fn == sn) { /* 4b */
            tlog_node_hash(p, r, r);
            if (!(fn & 1)) shift_to_set_bit(&fn, &sn);
        } else { /* 4c */
            tlog_node_hash(r, p, r);
        }
        fn >>= 1; /* 4d */
        sn >>= 1;
    }
    if (sn != 0)
        return reg_why_set(why, REG_EBADPROOF,
                           "the inclusion proof has %zu hashes, fewer than a tree of %llu "
                           "entries needs",
                           len, (unsigned long long)size);
    if (memcmp(r, root, TLOG_HASH) != 0)
        return reg_why_set(why, REG_EBADPROOF,
                           "the inclusion proof of entry %llu does not lead to the checkpoint's "
                           "root hash (tree of %llu entries)",
                           (unsigned long long)index, (unsigned long long)size);
    return 0;
}

int tlogv_consistency(uint64_t m, uint64_t n, const unsigned char old_root[TLOG_HASH],
                      const unsigned char new_root[TLOG_HASH], const unsigned char *proof,
                      size_t len, struct reg_why *why)
{
    if (m == 0 || m > n)
        return reg_why_set(why, REG_EBADPROOF,
                           "no consistency proof goes from %llu entries to %llu",
                           (unsigned long long)m, (unsigned long long)n);
    if (m == n) { /* the same tree: nothing to prove but equal roots */
        if (len != 0)
            return reg_why_set(why, REG_EBADPROOF,
                               "a consistency proof between equal sizes must be empty");
        if (memcmp(old_root, new_root, TLOG_HASH) != 0)
            return reg_why_set(why, REG_EBADPROOF,
                               "two different root hashes for the same tree of %llu entries",
                               (unsigned long long)m);
        return 0;
    }
    if (len == 0 || len > TLOG_PROOF_MAX) /* step 1 */
        return reg_why_set(why, REG_EBADPROOF, "the consistency proof has %zu hashes", len);
    /* step 2: for m an exact power of 2, the path starts with the old root itself */
    int lead = (m & (m - 1)) == 0;
    size_t total = len + (size_t)lead;
    uint64_t fn = m - 1, sn = n - 1; /* step 3 */
    while (fn & 1) {                 /* step 4 */
        fn >>= 1;
        sn >>= 1;
    }
    unsigned char fr[TLOG_HASH], sr[TLOG_HASH]; /* step 5 */
    memcpy(fr, lead ? old_root : proof, TLOG_HASH);
    memcpy(sr, fr, TLOG_HASH);
    for (size_t i = 1; i < total; i++) { /* step 6 */
        const unsigned char *c = proof + (i - (size_t)lead) * TLOG_HASH;
        if (sn == 0) /* 6a */
            return reg_why_set(why, REG_EBADPROOF,
                               "the consistency proof has more hashes than %llu to %llu needs",
                               (unsigned long long)m, (unsigned long long)n);
        if ((fn & 1) || fn == sn) { /* 6b */
            tlog_node_hash(c, fr, fr);
            tlog_node_hash(c, sr, sr);
            if (!(fn & 1)) shift_to_set_bit(&fn, &sn);
        } else { /* 6c */
            tlog_node_hash(sr, c, sr);
        }
        fn >>= 1; /* 6d */
        sn >>= 1;
    }
    if (sn != 0) /* step 7 */
        return reg_why_set(why, REG_EBADPROOF,
                           "the consistency proof has fewer hashes than %llu to %llu needs",
                           (unsigned long long)m, (unsigned long long)n);
    if (memcmp(fr, old_root, TLOG_HASH) != 0 || memcmp(sr, new_root, TLOG_HASH) != 0)
        return reg_why_set(why, REG_EBADPROOF,
                           "the tree of %llu entries is not the start of the tree of %llu "
                           "entries: the log was changed or forked",
                           (unsigned long long)m, (unsigned long long)n);
    return 0;
}
