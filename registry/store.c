/* store.c: LMDB behind the store.h API: environment, tables, transactions, readers.
 *
 * Every LMDB result is translated here: MDB_NOTFOUND -> REG_ENOTFOUND, MDB_KEYEXIST ->
 * REG_EEXIST, MDB_MAP_FULL and the system's ENOSPC, EDQUOT and EFBIG -> REG_ENOSPC, other LMDB
 * errors -> REG_ESTORE (logged with LMDB's own text), other system errors -> -errno. LMDB
 * reports a write that stopped short as EIO, and that is what a full disk usually looks like: a
 * write's EIO is REG_ENOSPC when there is no room left, otherwise REG_ESTORE (see st_err). */
#include "store.h"

#include "buf.h"
#include "err.h"

#include <errno.h>
#include <lmdb.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* The map is virtual address space, not disk: the file only grows as data is written. */
#define STORE_MAP_SIZE ((size_t)16 << 30)
/* After a short write, at most one write's worth of room is left: up to 64 pages, or one record
 * of up to a few hundred KiB (see out_of_room). */
#define STORE_ROOM_SLACK ((uint64_t)1 << 20)

static const char *const table_names[STORE__TABLES] = {
    "products", "versions", "manufacturers", "tokens", "gtins", "owners", "changes"};

struct store {
    MDB_env *env;
    MDB_dbi dbi[STORE__TABLES];
};

struct store_txn {
    struct store *st;
    MDB_txn *txn;
};

struct store_reader {
    struct store_txn t;
    int active; /* between begin and end */
};

static int map_err(int rc)
{
    switch (rc) {
    case MDB_SUCCESS:
        return 0;
    case MDB_NOTFOUND:
        return REG_ENOTFOUND;
    case MDB_KEYEXIST:
        return REG_EEXIST;
    case MDB_MAP_FULL:
    case ENOSPC:
    case EDQUOT:
    case EFBIG:
        return REG_ENOSPC;
    }
    if (rc > 0) return -rc; /* errno */
    fprintf(stderr, "seclabel: lmdb: %s\n", mdb_strerror(rc));
    return REG_ESTORE;
}

/* Whether the database file has no room left to grow: its filesystem has (almost) nothing
 * free, or it is at the process's file size limit (RLIMIT_FSIZE). A disk quota cannot be told
 * this way: its short writes stay REG_ESTORE (a write that hits it head-on gives EDQUOT). */
static int out_of_room(struct store *st)
{
    int fd;
    struct stat s;
    struct statvfs v;
    struct rlimit r;
    if (mdb_env_get_fd(st->env, &fd) || fstat(fd, &s)) return 0;
    if (fstatvfs(fd, &v) == 0 && (uint64_t)v.f_bavail * v.f_frsize < STORE_ROOM_SLACK) return 1;
    return getrlimit(RLIMIT_FSIZE, &r) == 0 && r.rlim_cur != RLIM_INFINITY &&
           (uint64_t)s.st_size + STORE_ROOM_SLACK > (uint64_t)r.rlim_cur;
}

/* map_err for calls that write to the file (put and del may spill pages, commit writes them).
 * LMDB turns a write that stopped short into EIO (mdb.c: "short write, filesystem full?"), and
 * a full disk or a file size limit stops a write short unless the write begins exactly at the
 * limit; so EIO with no room left is REG_ENOSPC too. */
static int st_err(struct store *st, int rc)
{
    if (rc != EIO) return map_err(rc);
    if (out_of_room(st)) return REG_ENOSPC;
    fprintf(stderr, "seclabel: lmdb: a write to the database failed: %s\n", strerror(rc));
    return REG_ESTORE;
}

static int open_tables(struct store *st)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, 0, &txn);
    if (rc) return map_err(rc);
    for (int i = 0; i < STORE__TABLES; i++) {
        rc = mdb_dbi_open(txn, table_names[i], MDB_CREATE, &st->dbi[i]);
        if (rc) {
            mdb_txn_abort(txn);
            return map_err(rc);
        }
    }
    return st_err(st, mdb_txn_commit(txn));
}

int store_open(const char *dir, struct store **out)
{
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) return -errno;
    struct store *st = xcalloc(1, sizeof *st);
    int rc = map_err(mdb_env_create(&st->env));
    if (rc) goto fail_free;
    if ((rc = map_err(mdb_env_set_maxdbs(st->env, STORE__TABLES))) ||
        (rc = map_err(mdb_env_set_mapsize(st->env, STORE_MAP_SIZE))) ||
        (rc = map_err(mdb_env_set_maxreaders(st->env, 256))) ||
        (rc = st_err(st, mdb_env_open(st->env, dir, MDB_NOTLS, 0600))) || (rc = open_tables(st)))
        goto fail_env;
    int dead = 0;
    mdb_reader_check(st->env, &dead); /* free slots left by crashed readers */
    *out = st;
    return 0;
fail_env:
    mdb_env_close(st->env);
fail_free:
    free(st);
    return rc;
}

void store_close(struct store *st)
{
    if (!st) return;
    mdb_env_close(st->env);
    free(st);
}

int store_txn_begin(struct store *st, int write, struct store_txn **out)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(st->env, NULL, write ? 0 : MDB_RDONLY, &txn);
    if (rc) return map_err(rc);
    struct store_txn *t = xmalloc(sizeof *t);
    t->st = st;
    t->txn = txn;
    *out = t;
    return 0;
}

int store_txn_commit(struct store_txn *t)
{
    int rc = st_err(t->st, mdb_txn_commit(t->txn));
    free(t);
    return rc;
}

void store_txn_abort(struct store_txn *t)
{
    if (!t) return;
    mdb_txn_abort(t->txn);
    free(t);
}

int store_get(struct store_txn *t, enum store_table tab, const void *key, size_t klen,
              struct store_val *out)
{
    MDB_val k = {klen, (void *)key}, v;
    int rc = mdb_get(t->txn, t->st->dbi[tab], &k, &v);
    if (rc) return map_err(rc);
    out->data = v.mv_data;
    out->len = v.mv_size;
    return 0;
}

int store_put(struct store_txn *t, enum store_table tab, const void *key, size_t klen,
              const void *val, size_t vlen, unsigned flags)
{
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    unsigned mf = (flags & STORE_NOOVERWRITE) ? MDB_NOOVERWRITE : 0;
    return st_err(t->st, mdb_put(t->txn, t->st->dbi[tab], &k, &v, mf));
}

int store_del(struct store_txn *t, enum store_table tab, const void *key, size_t klen)
{
    MDB_val k = {klen, (void *)key};
    return st_err(t->st, mdb_del(t->txn, t->st->dbi[tab], &k, NULL));
}

int store_scan(struct store_txn *t, enum store_table tab, const void *prefix, size_t plen,
               store_scan_fn fn, void *ctx)
{
    return store_scan_from(t, tab, prefix, plen, NULL, 0, fn, ctx);
}

/* 1 if a[0..alen) sorts after b[0..blen) in LMDB's default (memcmp, shorter first) order. */
static int key_after(const void *a, size_t alen, const void *b, size_t blen)
{
    if (blen == 0) return alen > 0;
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c > 0 || (c == 0 && alen > blen);
}

int store_scan_from(struct store_txn *t, enum store_table tab, const void *prefix, size_t plen,
                    const void *start, size_t slen, store_scan_fn fn, void *ctx)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(t->txn, t->st->dbi[tab], &cur);
    if (rc) return map_err(rc);
    MDB_val k = {plen, (void *)prefix}, v;
    if (start && key_after(start, slen, prefix, plen)) {
        k.mv_size = slen;
        k.mv_data = (void *)start;
    }
    rc = mdb_cursor_get(cur, &k, &v, k.mv_size ? MDB_SET_RANGE : MDB_FIRST);
    int out = 0;
    while (rc == MDB_SUCCESS) {
        if (plen && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0)) break;
        struct store_val sk = {k.mv_data, k.mv_size}, sv = {v.mv_data, v.mv_size};
        out = fn(ctx, sk, sv);
        if (out != 0) break;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    if (out < 0) return out;
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return map_err(rc);
    return 0;
}

int store_last_key(struct store_txn *t, enum store_table tab, struct store_val *key)
{
    MDB_cursor *cur;
    int rc = mdb_cursor_open(t->txn, t->st->dbi[tab], &cur);
    if (rc) return map_err(rc);
    MDB_val k, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    mdb_cursor_close(cur);
    if (rc) return map_err(rc);
    key->data = k.mv_data;
    key->len = k.mv_size;
    return 0;
}

int store_backup(struct store *st, const char *dest)
{
    if (mkdir(dest, 0700) != 0 && errno != EEXIST) return -errno;
    char path[4096];
    snprintf(path, sizeof path, "%s/data.mdb", dest);
    if (access(path, F_OK) == 0) return REG_EEXIST;
    return map_err(mdb_env_copy2(st->env, dest, MDB_CP_COMPACT));
}

static int lock_fd(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/seclabeld.lock", dir);
    return open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
}

int store_lock_server(const char *dir)
{
    int fd = lock_fd(dir);
    if (fd < 0) return -errno;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        close(fd);
        return err == EWOULDBLOCK ? REG_EEXIST : -err;
    }
    return 0; /* fd stays open: the lock lasts as long as the process */
}

int store_server_running(const char *dir)
{
    int fd = lock_fd(dir);
    if (fd < 0) return 0;
    int held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd);
    return held;
}

const char *store_table_name(enum store_table tab)
{
    return tab >= 0 && tab < STORE__TABLES ? table_names[tab] : "?";
}

int store_stats(struct store_txn *t, struct store_stats *out)
{
    MDB_envinfo info;
    MDB_stat s;
    int rc = mdb_env_info(t->st->env, &info);
    if (!rc) rc = mdb_env_stat(t->st->env, &s);
    if (rc) return map_err(rc);
    out->bytes = (info.me_last_pgno + 1) * (size_t)s.ms_psize;
    for (int i = 0; i < STORE__TABLES; i++) {
        if ((rc = mdb_stat(t->txn, t->st->dbi[i], &s))) return map_err(rc);
        out->entries[i] = s.ms_entries;
    }
    return 0;
}

int store_count(struct store_txn *t, enum store_table tab, size_t *out)
{
    MDB_stat s;
    int rc = mdb_stat(t->txn, t->st->dbi[tab], &s);
    if (rc) return map_err(rc);
    *out = s.ms_entries;
    return 0;
}

int store_reader_new(struct store *st, struct store_reader **out)
{
    struct store_reader *rd = xcalloc(1, sizeof *rd);
    rd->t.st = st;
    int rc = mdb_txn_begin(st->env, NULL, MDB_RDONLY, &rd->t.txn);
    if (rc) {
        free(rd);
        return map_err(rc);
    }
    mdb_txn_reset(rd->t.txn);
    *out = rd;
    return 0;
}

void store_reader_free(struct store_reader *rd)
{
    if (!rd) return;
    mdb_txn_abort(rd->t.txn);
    free(rd);
}

int store_reader_begin(struct store_reader *rd, struct store_txn **out)
{
    if (rd->active) store_reader_end(rd);
    int rc = mdb_txn_renew(rd->t.txn);
    if (rc) return map_err(rc);
    rd->active = 1;
    *out = &rd->t;
    return 0;
}

void store_reader_end(struct store_reader *rd)
{
    if (!rd->active) return;
    mdb_txn_reset(rd->t.txn);
    rd->active = 0;
}
