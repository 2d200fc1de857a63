/* tlogv.h: checking the transparency log's proofs as a client does (seclabel verify): an
 * RFC 9162 inclusion proof (section 2.1.3.2) and consistency proof (section 2.1.4.2), given
 * the hashes the registry sent and the roots of signed checkpoints. Pure: no storage, no state;
 * the proofs are what tlog.c's tlog_prove_inclusion and tlog_prove_consistency make (and Go's
 * sumdb/tlog's ProveRecord and ProveTree).
 *
 * Ownership: every argument is the caller's and only read; a proof is len hashes of TLOG_HASH
 * bytes each, one after the other (a tlog.h proof array's first element, proof[0]). Returns 0
 * when the proof proves it, REG_EBADPROOF (with the reason in why) when it does not. */
#ifndef SECLABEL_TLOGV_H
#define SECLABEL_TLOGV_H

#include "tlog.h"
#include "why.h"

#include <stddef.h>
#include <stdint.h>

/* Does proof (len hashes) prove that the leaf whose hash is leaf (tlog_leaf_hash of the entry)
 * is leaf number index of the tree of size `size` whose root hash is root? */
int tlogv_inclusion(uint64_t index, uint64_t size, const unsigned char leaf[TLOG_HASH],
                    const unsigned char *proof, size_t len, const unsigned char root[TLOG_HASH],
                    struct reg_why *why);

/* Does proof (len hashes) prove that the tree of size m with root old_root is the first m
 * leaves of the tree of size n with root new_root (1 <= m <= n; m == n: an empty proof and
 * equal roots)? A failure for m == n with another root means the log forked. */
int tlogv_consistency(uint64_t m, uint64_t n, const unsigned char old_root[TLOG_HASH],
                      const unsigned char new_root[TLOG_HASH], const unsigned char *proof,
                      size_t len, struct reg_why *why);

#endif
