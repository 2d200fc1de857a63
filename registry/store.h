/* store.h: the registry's storage, a thin layer over LMDB. The only module that includes
 * lmdb.h; no MDB_* code or type escapes it.
 *
 * Tables (LMDB named databases):
 *   products       id                       -> current record (JSON)
 *   versions       id "\0" u32be(version)   -> record of that version (JSON, immutable)
 *   manufacturers  slug                     -> manufacturer (JSON)
 *   tokens         32-byte token hash       -> {"manufacturer":slug,"created":...} (JSON)
 *   gtins          GTIN-14                  -> id (unique across the registry)
 *   owners         slug "\0" id             -> "" (a manufacturer's products, in id order)
 *   changes        u64be(seq)               -> {"seq","id","version","kind","time"} (JSON)
 *   meta           name                     -> value: "manufacturers" -> u64be(generation),
 *                                              bumped by every change to a manufacturer
 *
 * Ownership: store_open() returns a store the caller frees with store_close(), after every
 * transaction has ended. A transaction is ended by store_txn_commit() or store_txn_abort(),
 * which free it. Values returned by store_get() are BORROWED from the database: valid only until
 * the transaction ends or the next write in it; copy them out (never cast them to structs).
 *
 * Readers: a server loop keeps one reader (store_reader_new) and calls store_reader_begin/_end
 * around each request; LMDB then resets and renews one read transaction instead of creating
 * one per request. A reader belongs to one thread at a time (the env uses MDB_NOTLS). */
#ifndef SECLABEL_STORE_H
#define SECLABEL_STORE_H

#include <stddef.h>
#include <stdint.h>

enum store_table {
    STORE_PRODUCTS,
    STORE_VERSIONS,
    STORE_MANUFACTURERS,
    STORE_TOKENS,
    STORE_GTINS,
    STORE_OWNERS,
    STORE_CHANGES,
    STORE_META,
    STORE__TABLES
};

struct store;
struct store_txn;

struct store_val {
    const void *data; /* borrowed, see above */
    size_t len;
};

#define STORE_NOOVERWRITE 1u

/* Open (creating if needed, mode 0700) the database in directory `dir`. */
int store_open(const char *dir, struct store **out);
void store_close(struct store *st);

/* Begin a transaction; write transactions serialise across threads and processes. */
int store_txn_begin(struct store *st, int write, struct store_txn **out);
int store_txn_commit(struct store_txn *txn);
void store_txn_abort(struct store_txn *txn);

/* REG_ENOTFOUND if the key is absent. */
int store_get(struct store_txn *t, enum store_table tab, const void *key, size_t klen,
              struct store_val *out);
/* With STORE_NOOVERWRITE, REG_EEXIST if the key exists. */
int store_put(struct store_txn *t, enum store_table tab, const void *key, size_t klen,
              const void *val, size_t vlen, unsigned flags);
int store_del(struct store_txn *t, enum store_table tab, const void *key, size_t klen);

/* Call fn for each entry whose key starts with prefix (all entries if plen == 0), in key order,
 * from the first key. fn returns 0 to go on, 1 to stop, or a
 * negative code, which store_scan returns. Keys and values are borrowed for the call only. */
typedef int (*store_scan_fn)(void *ctx, struct store_val key, struct store_val val);
int store_scan(struct store_txn *t, enum store_table tab, const void *prefix, size_t plen,
               store_scan_fn fn, void *ctx);
/* The same, starting at the first key >= start (when start sorts after prefix). */
int store_scan_from(struct store_txn *t, enum store_table tab, const void *prefix, size_t plen,
                    const void *start, size_t slen, store_scan_fn fn, void *ctx);
/* The last (greatest) key of a table, borrowed: REG_ENOTFOUND if the table is empty. */
int store_last_key(struct store_txn *t, enum store_table tab, struct store_val *key);

/* A consistent copy of the whole database into directory `dest` (created; must not hold a
 * database already), safe while other processes read and write: LMDB copies one snapshot. */
int store_backup(struct store *st, const char *dest);

/* The data directory's server lock: seclabeld holds it while it runs, so tools that must not
 * run beside a server (restore) can tell. store_lock_server takes it (REG_EEXIST if another
 * process holds it) and keeps it until the process ends; store_server_running() says whether
 * any process holds it now. */
int store_lock_server(const char *dir);
int store_server_running(const char *dir);

/* Size and record counts, for monitoring. */
struct store_stats {
    size_t bytes;                  /* pages in use x page size */
    size_t entries[STORE__TABLES]; /* records per table */
};
int store_stats(struct store_txn *t, struct store_stats *out);
/* The table's name ("products", ...). */
const char *store_table_name(enum store_table tab);

/* Number of entries in a table. */
int store_count(struct store_txn *t, enum store_table tab, size_t *out);

/* A reusable read transaction for one thread (see the file comment). */
struct store_reader;
int store_reader_new(struct store *st, struct store_reader **out);
void store_reader_free(struct store_reader *rd);
/* Start a fresh snapshot; the returned txn is owned by the reader: never commit or abort it. */
int store_reader_begin(struct store_reader *rd, struct store_txn **out);
void store_reader_end(struct store_reader *rd);

#endif
