/* reczip.h: stored records packed with zstd and a dictionary the registry trains on its own
 * records (a record of ~1.3 KB JSON shares most of its field names and phrases with the others,
 * which a dictionary holds once for all of them). The only module that includes zstd.h.
 *
 * A packed record is one zstd frame, and zstd's magic number (28 b5 2f fd) is its tag: a JSON
 * record begins with '{', so plain records (every data directory written before packing, and
 * the first RECZIP_TRAIN_AT versions of a new one) and packed ones are read side by side. The
 * frame's header names its dictionary by the dictionary's zstd ID; the dictionaries live in the
 * meta table and are never removed, so a record stays readable after any later training:
 *   meta "zdict" u32be(id) -> the dictionary (ZDICT format)
 *   meta "zdict"           -> u32be(id records are packed with now, 0: none) u64be(the number
 *                             of versions when the registry last trained)
 *
 * Training: the write that brings the versions table to RECZIP_TRAIN_AT records trains the
 * first dictionary, in its own transaction, from at most RECZIP_SAMPLES records spread evenly
 * over the table; each time the table has grown RECZIP_RETRAIN times since, the write that
 * crosses it trains again (2,000, 20,000, 200,000, ... records), so a registry that starts with
 * one manufacturer's catalogue gets a dictionary for the whole country later. A training that
 * fails (too few or too alike records) keeps the dictionary there was.
 *
 * Memory: reczip_unpack's records live in the transaction (store_txn_alloc); the dictionaries
 * (zstd's DDict, shared read-only by every thread, and CDict) and the decoding contexts are
 * kept per store, made when first needed, and freed with it. */
#ifndef SECLABEL_RECZIP_H
#define SECLABEL_RECZIP_H

#include <stddef.h>

struct store_txn;
struct store_val;

#define RECZIP_TRAIN_AT 2000
#define RECZIP_RETRAIN 10
#define RECZIP_SAMPLES 2000
#define RECZIP_DICT_MAX (16 * 1024)

/* The per-store state, for store.c: reczip_new never fails (out of memory aborts). */
struct reczip;
struct reczip *reczip_new(void);
void reczip_free(struct reczip *z);

/* Record json[0..len) as it is to be stored in write transaction t: *out is the packed record
 * (borrowed from t) when the store has a dictionary and packing makes it smaller, else json
 * itself. May train a dictionary first (see above: it then writes to the meta table). 0 or the
 * store's error. */
int reczip_pack(struct store_txn *t, const void *json, size_t len, struct store_val *out);

/* A stored record, *v, as JSON: a packed one is replaced by its JSON (borrowed from t, valid
 * until t ends, NUL-terminated); any other is left as it is. REG_ESTORE if it does not unpack
 * (damaged, or its dictionary is missing). */
int reczip_unpack(struct store_txn *t, struct store_val *v);

/* 1 if data[0..len) is a packed record. */
int reczip_packed(const void *data, size_t len);

/* Train a dictionary now from the versions table, as the write that crosses a threshold does,
 * and pack what t writes from now on with it. *id gets its ID (0: the training failed, and the
 * dictionary there was stays). 0 or the store's error. */
int reczip_train(struct store_txn *t, unsigned *id);

#endif
