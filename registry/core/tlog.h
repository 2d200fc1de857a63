/* tlog.h: the transparency log (issue 16, docs: /work/notes/log_spec.md): every product version
 * and every manufacturer event, in commit order, as the leaves of an RFC 6962 / RFC 9162 Merkle
 * tree (leaf = SHA-256(0x00 || entry), node = SHA-256(0x01 || left || right)), with the root,
 * inclusion and consistency proofs that Go's golang.org/x/mod/sumdb/tlog defines (TreeHash,
 * ProveRecord, ProveTree), and the C2SP tlog-tiles reads (tile hashes, entry bundles).
 *
 * Entries: a product version's entry IS its stored version record (product_get_version's
 * bytes); the log keeps only a reference to it. A manufacturer event's entry is a JSON object
 * that tlog_append_maker writes and the log stores (its only home):
 *   {"manufacturer_event","time","slug","name","status","verified","gs1_prefixes",
 *    "id_prefixes","detail"?}
 * Entries are at most TLOG_ENTRY_MAX bytes (a tlog-tiles bundle gives each a 2-byte length).
 *
 * Storage (table STORE_TLOG), format 2: every hash keyed by its place in append order, as Go's
 * tlog.StoredHashIndex numbers them (leaf i's hash, then the hashes of the subtrees it completes,
 * right after those stored with leaf i-1), so that an append only appends keys: LMDB fills the
 * table's last page instead of splitting pages in the middle of the table.
 *   "t"                             -> u8(2) u64be(tree size): the format and the size
 *   "v" id "\0" u32be(version)      -> u64be index of that version's entry
 *   "x" u64be(stored index)         -> the 32-byte hash of a complete subtree; a leaf's is followed
 *                                      by its entry: "p" id "\0" u32be(version) (a product
 *                                      version's reference) | "m" entry bytes (a maker event)
 * ("x" sorts after the other keys, so those appends go at the table's end.) An append costs
 * 1 + (trailing one bits of the new index) SHA-256 computations and as many appended puts
 * (2 on average), plus the size and (products) the "v" key: 4 puts and 2 hashes on average; it
 * reads the size and one stored hash per carry. A data directory whose log is in format 1
 * (c27f10a: "n" size, "e" entries and "h" u8(level) u64be(index) hashes) has it converted, the
 * same hashes and entries under the keys above, by the first tlog_backfill or append; until
 * then the log reads as empty.
 *
 * Appends happen inside the caller's write transaction that stores the data (product.c,
 * mfr.c), so the log and the data commit together or not at all. An append to an empty log in
 * a database that already holds data first backfills it (tlog_backfill_in).
 *
 * Ownership: every function works inside a transaction the caller owns (reads: any
 * transaction; appends and backfill: a write transaction). Hashes and proofs are written to
 * caller-owned arrays. tlog_entry lends bytes that live as long as the transaction (see
 * store.h); tlog_entry_bundle appends copies to a caller-owned buf. Nothing here keeps state
 * between calls. */
#ifndef SECLABEL_TLOG_H
#define SECLABEL_TLOG_H

#include "buf.h"
#include "reg_limits.h"

#include <stddef.h>
#include <stdint.h>

struct mfr;
struct store;
struct store_txn;
struct store_val;

#define TLOG_HASH 32                     /* bytes of a hash */
#define TLOG_ENTRY_MAX REG_MAX_LOG_ENTRY /* bytes of an entry at most */
#define TLOG_TILE_HEIGHT 8               /* C2SP tlog-tiles: a tile holds 2^8 hashes */
#define TLOG_TILE_WIDTH 256              /* hashes (or entries) of a full tile */
#define TLOG_PROOF_MAX 128               /* hashes of any proof at most (2 x 64 levels) */

/* REG_ELOGENTRY if an entry of len bytes would be too long for the log, else 0: callers check
 * before they write anything (product.c). */
int tlog_entry_fits(size_t len);

/* Append the version (id, version) whose stored record is json[0..len) (not copied: the log
 * keeps the reference). REG_ELOGENTRY if len > TLOG_ENTRY_MAX, REG_EEXIST if the version has an
 * entry already; storage errors as store.h. Call before the version is stored (an empty log is
 * backfilled first, from what is stored). *index (may be NULL) gets its index. */
int tlog_append_product(struct store_txn *txn, const char *id, unsigned version, const char *json,
                        size_t len, uint64_t *index);
/* Append the event `event` ("added", "verified", ... as mfr's history names it) with its detail
 * (may be NULL) at time `time` (RFC 3339), after which maker m is as m says: the entry is built
 * from m's public state (never its contact or tokens). Call before the maker record is
 * stored. */
int tlog_append_maker(struct store_txn *txn, const struct mfr *m, const char *event,
                      const char *detail, const char *time, uint64_t *index);
/* The entry tlog_append_maker would append, appended to out (a mirror compares it with the
 * primary's: mfr.c). 0 or REG_EINTERNAL. */
int tlog_maker_entry(const struct mfr *m, const char *event, const char *detail, const char *time,
                     struct buf *out);
/* Append entry bytes e[0..len) that the log itself stores (a maker event's JSON). */
int tlog_append_stored(struct store_txn *txn, const void *e, size_t len, uint64_t *index);

/* The tree size (0 for an empty or absent log). */
int tlog_size(struct store_txn *txn, uint64_t *size);
/* The root hash of the tree of the first n leaves, n <= size (n = 0: SHA-256 of nothing):
 * REG_ENOTFOUND if n > size. */
int tlog_root(struct store_txn *txn, uint64_t n, unsigned char out[TLOG_HASH]);
/* RFC 6962 inclusion proof of leaf i in the tree of size n (i < n <= size): *len hashes into
 * proof, leaf side first. REG_ENOTFOUND if i >= n or n > size. */
int tlog_prove_inclusion(struct store_txn *txn, uint64_t i, uint64_t n,
                         unsigned char proof[TLOG_PROOF_MAX][TLOG_HASH], size_t *len);
/* RFC 6962 consistency proof from size m to size n (1 <= m <= n <= size; m == n: empty).
 * REG_EBADREQ if m is 0 or m > n, REG_ENOTFOUND if n > size. */
int tlog_prove_consistency(struct store_txn *txn, uint64_t m, uint64_t n,
                           unsigned char proof[TLOG_PROOF_MAX][TLOG_HASH], size_t *len);

/* Entry i's bytes, borrowed for the transaction: REG_ENOTFOUND if i >= size. */
int tlog_entry(struct store_txn *txn, uint64_t i, struct store_val *out);
/* The index of version (id, version)'s entry: REG_ENOTFOUND if it has none. */
int tlog_index(struct store_txn *txn, const char *id, unsigned version, uint64_t *index);
/* C2SP tlog-tiles: tile (level, n) of width w (1..256): the stored hashes of tree level
 * 8*level, indexes n*256 .. n*256+w-1, copied to out (w * 32 bytes). REG_ENOTFOUND if the tree
 * does not yet hold them all; REG_EBADREQ for a width out of range. */
int tlog_tile(struct store_txn *txn, unsigned level, uint64_t n, unsigned w, unsigned char *out);
/* The entry bundle n of width w (1..256): entries n*256 .. n*256+w-1, each as a 2-byte
 * big-endian length and its bytes, appended to out. Errors as tlog_tile. */
int tlog_entry_bundle(struct store_txn *txn, uint64_t n, unsigned w, struct buf *out);

/* RFC 6962 hashing, for tests and checkers: the leaf hash of e[0..len) and a node's hash. */
void tlog_leaf_hash(const void *e, size_t len, unsigned char out[TLOG_HASH]);
void tlog_node_hash(const unsigned char l[TLOG_HASH], const unsigned char r[TLOG_HASH],
                    unsigned char out[TLOG_HASH]);

/* Backfill an empty log from what the database holds: one "snapshot" entry per manufacturer
 * (slug order), then every product version in changes-feed order, then any version the feed
 * lacks (key order). Does nothing when the log has entries; a log in format 1 is converted
 * instead (nothing added). *added gets the entries added. */
int tlog_backfill_in(struct store_txn *txn, uint64_t *added);
/* The same in a write transaction of its own (seclabeld's start-up). */
int tlog_backfill(struct store *st, uint64_t *added);

/* admin verify: recompute every stored hash from the entries, check the size, that each
 * product entry's version exists and points back to it ("v"), and that every stored version has
 * exactly one entry. fn gets one line per problem; *problems their number. */
typedef void (*tlog_problem_fn)(void *ctx, const char *line);
int tlog_verify(struct store_txn *txn, tlog_problem_fn fn, void *ctx, unsigned long *problems);

#endif
