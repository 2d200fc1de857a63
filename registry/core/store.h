/* store.h: the registry's storage, a thin layer over LMDB. The only module that includes
 * lmdb.h; no MDB_* code or type escapes it.
 *
 * Tables (LMDB named databases):
 *   products       id                       -> current record (JSON)
 *   versions       id "\0" u32be(version)   -> record of that version (JSON, immutable)
 *   manufacturers  slug                     -> manufacturer (JSON)
 *   tokens         32-byte token hash       -> {"manufacturer":slug,"created":...} (JSON)
 *   gtins          GTIN-14                  -> id that carries or carried it (never removed:
 *                                              see product.h)
 *   owners         slug "\0" id             -> "" (a manufacturer's products, in id order)
 *   changes        u64be(seq)               -> {"seq","id","version","kind","time"} (JSON)
 *   meta           name                     -> value: "manufacturers" -> u64be(generation),
 *                                              bumped by every change to a manufacturer;
 *                                              "gtins_kept" -> "" (product_reindex);
 *                                              "zdict"... -> record dictionaries (reczip.h)
 *                                              "sindex" -> version (sindex.h: built)
 *   spostings      kind value               -> id, id, ... (sorted duplicates, each stored
 *                                              once: the search index's posting lists, sindex.h)
 *   sdocs          id                       -> the product's search facts (sindex.h)
 *   scounts        kind value "\0" status    -> u32be(number of postings) (sindex.h)
 *   tlog           the transparency log (tlog.h: entries, subtree hashes, size, index)
 * A versions record is JSON, or packed (reczip.h): product.c reads both.
 * spostings holds sorted duplicates (LMDB's MDB_DUPSORT): a key has many values, each pair
 * stored once, values in byte order (store_put adds a pair, store_del_pair removes one,
 * store_del all of a key's; scans give each pair, in key then value order). The search index's
 * tables (spostings, sdocs, scounts) are derived: a database written before them, or with an
 * older layout of them, opens (writing: they are made anew, empty, and sindex_build fills them;
 * reading only: they read as empty).
 *
 * Ownership: store_open() returns a store the caller frees with store_close(), after every
 * transaction has ended. A transaction is ended by store_txn_commit() or store_txn_abort(),
 * which free it. Values returned by store_get() are BORROWED from the database: valid only until
 * the transaction ends or the next write in it; copy them out (never cast them to structs).
 *
 * Readers: a server loop keeps one reader (store_reader_new) and calls store_reader_begin/_end
 * around each request; LMDB then resets and renews one read transaction instead of creating
 * one per request. A reader belongs to one thread at a time (the env uses MDB_NOTLS).
 *
 * The map: LMDB maps the database file into memory, at most `map size` bytes of it. The map
 * starts at store_opts.map_size; a write that finds it full makes it twice as large (never past
 * map_size_max) and is redone, so callers never see the growth. Changing the map needs every
 * transaction of the process closed: each holds the store's lock shared while it is open (a
 * reader between store_reader_begin and _end), so a transaction must begin and end on the same
 * thread, and no thread may keep one open while it waits for something else (an event loop
 * ends its transaction before it returns to the loop). When another process (`seclabel admin`)
 * has grown the database past this process's map, the next transaction adopts the new size.
 *
 * Full storage: a full map at its maximum, a full filesystem, a disk quota or the process's
 * file size limit all give REG_ENOSPC; the write that met it is not made and what was committed
 * before stays as it was. */
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
    STORE_SPOSTINGS,
    STORE_SDOCS,
    STORE_SCOUNTS,
    STORE_TLOG,
    STORE__TABLES
};

struct store;
struct store_txn;

struct store_val {
    const void *data; /* borrowed, see above */
    size_t len;
};

#define STORE_NOOVERWRITE 1u
/* A hint for keys that usually sort after every key of the table (the changes feed's sequence
 * numbers, a new product's first version): such a key is appended, which leaves the page before
 * it full where an insertion splits it in half (LMDB's MDB_APPEND); a key that does not sort
 * last is inserted as usual. The outcome is the same either way; only the pages differ. */
#define STORE_APPEND 2u

/* The map's initial size by default, and the smallest map accepted. The default is virtual
 * address space, not disk: the file only grows as data is written. */
#define STORE_MAP_DEFAULT ((size_t)16 << 30)
#define STORE_MAP_MIN ((size_t)1 << 20)

struct store_opts {
    size_t map_size;     /* initial map (0: STORE_MAP_DEFAULT, or map_size_max if smaller) */
    size_t map_size_max; /* the map never grows past this (0: as far as the filesystem has
                          * room: the file's size plus the space free on its filesystem) */
};

/* Open (creating if needed, mode 0700) the database in directory `dir`, with the map sizes of
 * opts (NULL: the defaults). REG_EBADREQ for a size below STORE_MAP_MIN or map_size >
 * map_size_max; -errno if dir cannot be made; else as LMDB answers (store.c maps it). A
 * database larger than map_size gets a map as large as the database. */
int store_open_opts(const char *dir, const struct store_opts *opts, struct store **out);
/* The same with the default map sizes. */
int store_open(const char *dir, struct store **out);
void store_close(struct store *st);

/* Open the database that exists already in directory `dir`, creating nothing: REG_ENODB when
 * dir has no data.mdb or an empty one (or is no directory), -errno when stat fails otherwise.
 * With `write`, as store_open. Without it, for reading only: nothing in dir is written or
 * created (no lock.mdb where there is none: see store.c), a write transaction fails (LMDB's
 * -EACCES), and a database that lacks one of the tables (the derived ones aside: see above) is
 * REG_ENOTFOUND (not a seclabel database). */
int store_open_existing(const char *dir, int write, struct store **out);

/* Begin a transaction; write transactions serialise across threads and processes. A write
 * that fails with REG_ENOSPC, REG_EUNAVAIL (another process wrote while the map grew: try
 * again) or any other error leaves the transaction good only for store_txn_abort(). */
int store_txn_begin(struct store *st, int write, struct store_txn **out);
int store_txn_commit(struct store_txn *txn);
void store_txn_abort(struct store_txn *txn);

/* REG_ENOTFOUND if the key is absent. */
int store_get(struct store_txn *t, enum store_table tab, const void *key, size_t klen,
              struct store_val *out);
/* With STORE_NOOVERWRITE, REG_EEXIST if the key exists; STORE_APPEND: see above. */
int store_put(struct store_txn *t, enum store_table tab, const void *key, size_t klen,
              const void *val, size_t vlen, unsigned flags);
int store_del(struct store_txn *t, enum store_table tab, const void *key, size_t klen);

/* Call fn for each entry whose key starts with prefix (all entries if plen == 0), in key order,
 * from the first key. fn returns 0 to go on, 1 to stop, or a
 * negative code, which store_scan returns. Keys and values are borrowed for the call only.
 * A write made by fn that finds the map full is not redone (the scan's cursor would not survive
 * it): it fails with REG_ENOSPC and the map grows when the transaction is aborted. */
typedef int (*store_scan_fn)(void *ctx, struct store_val key, struct store_val val);
int store_scan(struct store_txn *t, enum store_table tab, const void *prefix, size_t plen,
               store_scan_fn fn, void *ctx);
/* The same, starting at the first key >= start (when start sorts after prefix). */
int store_scan_from(struct store_txn *t, enum store_table tab, const void *prefix, size_t plen,
                    const void *start, size_t slen, store_scan_fn fn, void *ctx);
/* The first key >= key[0..klen) that starts with prefix[0..plen), borrowed, in *out:
 * REG_ENOTFOUND if there is none. One seek, for intersecting ordered lists. */
int store_seek(struct store_txn *t, enum store_table tab, const void *prefix, size_t plen,
               const void *key, size_t klen, struct store_val *out);
/* A table with duplicates (spostings): remove the one pair key -> val; REG_ENOTFOUND if absent. */
int store_del_pair(struct store_txn *t, enum store_table tab, const void *key, size_t klen,
                   const void *val, size_t vlen);
/* The first value >= val[0..vlen) of key (vlen 0: its first), borrowed, in *out; REG_ENOTFOUND
 * if none. One seek (MDB_GET_BOTH_RANGE), for intersecting posting lists. */
int store_seek_dup(struct store_txn *t, enum store_table tab, const void *key, size_t klen,
                   const void *val, size_t vlen, struct store_val *out);
/* The number of values of key (0 if absent), without reading them. */
int store_count_dups(struct store_txn *t, enum store_table tab, const void *key, size_t klen,
                     size_t *n);
/* Each distinct key that starts with prefix, in order from the first >= start (when start
 * sorts after prefix), with its number of values: fn returns 0 to go on, 1 to stop, or a
 * negative code, which is returned. */
typedef int (*store_keys_fn)(void *ctx, struct store_val key, size_t values);
int store_scan_keys(struct store_txn *t, enum store_table tab, const void *prefix, size_t plen,
                    const void *start, size_t slen, store_keys_fn fn, void *ctx);
/* As store_scan, over the pairs that start with prefix, from the pair key[0..klen) -> the first
 * value >= val[0..vlen) on (in key then value order). */
int store_scan_pairs_from(struct store_txn *t, enum store_table tab, const void *prefix,
                          size_t plen, const void *key, size_t klen, const void *val, size_t vlen,
                          store_scan_fn fn, void *ctx);
/* Delete every entry of a table (in a write transaction). */
int store_clear(struct store_txn *t, enum store_table tab);
/* The last (greatest) key of a table, borrowed: REG_ENOTFOUND if the table is empty. */
int store_last_key(struct store_txn *t, enum store_table tab, struct store_val *key);

/* A consistent copy of the whole database into directory `dest` (created, mode 0700, if
 * missing; REG_EEXIST if it holds a data.mdb already), safe while other processes read and
 * write: LMDB copies one snapshot, compacted, into dest/data.mdb (mode 0600, synced to disk).
 * A copy that failed is removed. */
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
    size_t map;                    /* the map's size now (see the file comment) */
    size_t entries[STORE__TABLES]; /* records per table */
};
int store_stats(struct store_txn *t, struct store_stats *out);
/* The table's name ("products", ...). */
const char *store_table_name(enum store_table tab);

/* Keys and small values hold numbers big-endian, so that LMDB's byte order is their order: n
 * bytes (at most 8) of v into out; the number in n bytes of in. */
void store_be_put(uint64_t v, void *out, int n);
uint64_t store_be_get(const void *in, int n);

/* Number of entries in a table. */
int store_count(struct store_txn *t, enum store_table tab, size_t *out);

/* n bytes that live as long as transaction t: freed when it ends (a reader's transaction: at
 * store_reader_end). Never NULL (out of memory aborts, as buf.h). For what a read makes that
 * must stay valid as long as what the store lends (reczip_unpack's records). */
void *store_txn_alloc(struct store_txn *t, size_t n);
/* For a scan that needs what it reads only during its callback: store_txn_release frees what
 * store_txn_alloc gave t since store_txn_mark returned `mark`. */
void *store_txn_mark(struct store_txn *t);
void store_txn_release(struct store_txn *t, const void *mark);
/* The packed records' state (reczip.h) of t's store: reczip's, made and freed with the store. */
struct reczip;
struct reczip *store_txn_zip(struct store_txn *t);

/* Which data a transaction sees: LMDB's transaction ID, which every commit of the database
 * (by any process) raises by one. store_txn_snapshot: the ID of the commit t reads (a read
 * transaction) or will make (a write). store_last_txn: the newest commit's, without a
 * transaction (two meta pages read): a read that began at that ID sees the newest data, so an
 * answer made from it stays true while this stays the same (the response cache's lists). IDs
 * are unique only within one database's history: a restored backup or another data directory
 * repeats them. */
uint64_t store_txn_snapshot(const struct store_txn *t);
int store_last_txn(struct store *st, uint64_t *id);

/* A reusable read transaction for one thread (see the file comment). */
struct store_reader;
int store_reader_new(struct store *st, struct store_reader **out);
void store_reader_free(struct store_reader *rd);
/* Start a fresh snapshot; the returned txn is owned by the reader: never commit or abort it. */
int store_reader_begin(struct store_reader *rd, struct store_txn **out);
void store_reader_end(struct store_reader *rd);

/* A cursor kept open over one table for many seeks and steps (the search's intersections):
 * stepping to the next value, or seeking a key near the last one, costs little where
 * store_seek and store_seek_dup descend the tree from its root each time. Owned by the caller:
 * store_cur_close it before the transaction ends. A table that does not exist (see
 * cursor_open) reads as empty. Keys and values are borrowed until the cursor's next call. */
struct store_cur;
int store_cur_open(struct store_txn *t, enum store_table tab, struct store_cur **out);
void store_cur_close(struct store_cur *c); /* NULL allowed */
/* A table with duplicates: the first value >= val[0..vlen) of key (vlen 0: its first), as
 * store_seek_dup; REG_ENOTFOUND if none. */
int store_cur_seek_dup(struct store_cur *c, const void *key, size_t klen, const void *val,
                       size_t vlen, struct store_val *out);
/* The value after the current one, of the same key: REG_ENOTFOUND after its last. */
int store_cur_next_dup(struct store_cur *c, struct store_val *out);
/* The first key >= key[0..klen) (klen 0: the first key), and its value; REG_ENOTFOUND if none.
 * A key on the page of the cursor's last one is found without descending the tree. */
int store_cur_seek(struct store_cur *c, const void *key, size_t klen, struct store_val *k,
                   struct store_val *v);
/* The entry after the current one; REG_ENOTFOUND after the last. */
int store_cur_next(struct store_cur *c, struct store_val *k, struct store_val *v);
/* The value of exactly key[0..klen), as store_get: REG_ENOTFOUND if absent. */
int store_cur_get(struct store_cur *c, const void *key, size_t klen, struct store_val *out);

#endif
