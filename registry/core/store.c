/* store.c: LMDB behind the store.h API: environment, tables, transactions, readers, and the
 * map that grows.
 *
 * Every LMDB result is translated here: MDB_NOTFOUND -> REG_ENOTFOUND, MDB_KEYEXIST ->
 * REG_EEXIST, MDB_MAP_FULL (at the map's maximum) and the system's ENOSPC, EDQUOT and EFBIG ->
 * REG_ENOSPC, other LMDB errors -> REG_ESTORE (logged with LMDB's own text), other system
 * errors -> -errno. LMDB reports a write that stopped short as EIO, and that is what a full
 * disk usually looks like: a write's EIO is REG_ENOSPC when there is no room left, otherwise
 * REG_ESTORE (see st_err).
 *
 * Growing the map (store.h says when): mdb_env_set_mapsize() moves the map, so it may run only
 * while no transaction of this process is open. Every transaction holds st->remap shared; the
 * grower holds it exclusively. A write transaction that finds the map full must be aborted
 * before the map can change, so it keeps every put and del it made (t->redo). After the map
 * grew, a new write transaction that starts from the same committed state (the same LMDB
 * transaction id: nobody wrote in between) gets the same operations again, which give the same
 * results, and the caller's transaction carries on where it failed. This keeps the retry inside
 * the store: callers are ordinary begin/put/commit code and never see the growth. So that no
 * other thread commits between the abort and the redo, write transactions of this process also
 * take turns on st->writer for their whole life (LMDB serialises them anyway); only another
 * process can come between, and then the write fails with REG_EUNAVAIL.
 *
 * Lock order: st->writer, then st->remap, then LMDB's own locks. */
#include "store.h"

#include "buf.h"
#include "err.h"
#include "log.h"
#include "reczip.h"

#include <errno.h>
#include <lmdb.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* After a short write, at most one write's worth of room is left: up to 64 pages, or one record
 * of up to a few hundred KiB (see out_of_room). */
#define STORE_ROOM_SLACK ((uint64_t)1 << 20)

static const char *const table_names[STORE__TABLES] = {
    "products", "versions", "manufacturers", "tokens", "gtins",   "owners",
    "changes",  "meta",     "spostings",     "sdocs",  "scounts", "tlog"};

/* Tables whose keys hold sorted duplicate values (store.h: a posting list stores its term once). */
static int dup_table(int tab)
{
    return tab == STORE_SPOSTINGS;
}

/* Tables derived from the others (the search index: sindex_build makes them again): a database
 * written before they existed, or with another layout of them, is still a seclabel database. */
static int derived_table(int tab)
{
    return tab == STORE_SPOSTINGS || tab == STORE_SDOCS || tab == STORE_SCOUNTS;
}

/* Tables an older data directory may lack: the derived ones and the log (tlog.h: made when
 * writing, and backfilled; read as empty when reading only). */
static int newer_table(int tab)
{
    return derived_table(tab) || tab == STORE_TLOG;
}

struct store {
    MDB_env *env;
    MDB_dbi dbi[STORE__TABLES];
    int absent[STORE__TABLES]; /* read-only: a derived table missing (or of an older layout) */
    pthread_rwlock_t remap;    /* shared: a transaction is open; exclusive: the map changes */
    pthread_mutex_t writer;    /* held by this process's write transaction, for its whole life */
    atomic_int growing;        /* threads waiting to change the map, or changing it */
    size_t map_max;            /* store_opts.map_size_max */
    int broken;                /* a new map could not be made: nothing can be read any more */
    struct reczip *zip;        /* packed records' dictionaries and codecs (reczip.h) */
};

/* One put or del of a write transaction, as kept for a redo; the key and value follow it. */
struct redo_op {
    int rc; /* what LMDB answered: 0, MDB_KEYEXIST or MDB_NOTFOUND */
    unsigned char del, tab;
    unsigned char append; /* STORE_APPEND: try MDB_APPEND first */
    unsigned char pair;   /* del: only the pair key -> value (a table with duplicates) */
    unsigned flags;       /* MDB_* put flags */
    size_t klen, vlen;
};

struct store_txn {
    struct store *st;
    MDB_txn *txn; /* NULL once a failure has ended it */
    int write;
    unsigned scans;  /* store_scan calls running in it: their cursors would not survive a redo */
    size_t id;       /* write: LMDB's transaction id */
    size_t grow;     /* non-zero: a write in a scan found this map size full; grow at the end */
    struct buf redo; /* write: every put and del so far (struct redo_op, key, value) */
    struct scratch *scratch; /* store_txn_alloc's blocks, newest first */
};

/* One block of store_txn_alloc. */
struct scratch {
    struct scratch *next;
    max_align_t data[];
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
    reg_logp(LOG_ERR, "lmdb: %s", mdb_strerror(rc));
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
    reg_logp(LOG_ERR, "lmdb: a write to the database failed: %s", strerror(rc));
    return REG_ESTORE;
}

/* --- The lock that keeps the map still ------------------------------------------------------
 * The stores whose lock this thread holds shared, and how many of its transactions hold it: a
 * thread may open a transaction while it has one open, and a second rdlock on a
 * writer-preferring lock would wait behind a grower that waits for the first. */
#define HELD_MAX 4
struct held {
    const struct store *st;
    unsigned n;
};
/* __thread: GNU for _Thread_local, which cppcheck 2.10 misreads. */
static __thread struct held held_here[HELD_MAX];

static struct held *held_of(const struct store *st)
{
    for (int i = 0; i < HELD_MAX; i++)
        if (held_here[i].n && held_here[i].st == st) return &held_here[i];
    return NULL;
}

static unsigned holds(const struct store *st)
{
    const struct held *h = held_of(st);
    return h ? h->n : 0;
}

static int hold(struct store *st)
{
    struct held *h = held_of(st);
    if (h) {
        h->n++;
        return 0;
    }
    for (int i = 0; i < HELD_MAX; i++)
        if (held_here[i].n == 0) {
            pthread_rwlock_rdlock(&st->remap);
            held_here[i].st = st;
            held_here[i].n = 1;
            return 0;
        }
    return REG_EINTERNAL; /* transactions of more than HELD_MAX stores open in one thread */
}

static void release(struct store *st)
{
    struct held *h = held_of(st);
    if (h && --h->n == 0) pthread_rwlock_unlock(&st->remap);
}

/* --- Changing the map ----------------------------------------------------------------------- */

static size_t map_now(struct store *st)
{
    MDB_envinfo info;
    mdb_env_info(st->env, &info);
    return info.me_mapsize;
}

/* How large the map may grow: map_max, or the file plus the free space on its filesystem. */
static size_t map_ceiling(struct store *st)
{
    if (st->map_max) return st->map_max;
    int fd;
    struct stat s;
    struct statvfs v;
    if (mdb_env_get_fd(st->env, &fd) || fstat(fd, &s) || fstatvfs(fd, &v)) return 0;
    return (size_t)s.st_size + (size_t)v.f_bavail * v.f_frsize;
}

/* mdb_env_set_mapsize() drops the old map before it makes the new one, and if that fails there
 * is no map at all: so first make sure the address space is there. */
static int set_map(struct store *st, size_t size)
{
    void *p = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) {
        reg_logp(LOG_ERR, "no address space for a database map of %zu bytes", size);
        return REG_ENOSPC;
    }
    munmap(p, size);
    int rc = mdb_env_set_mapsize(st->env, size);
    if (rc) {
        st->broken = 1;
        reg_logp(LOG_ERR, "cannot map %zu bytes of the database: %s", size, mdb_strerror(rc));
        return REG_ESTORE;
    }
    reg_logf("database map now %zu bytes", map_now(st));
    return 0;
}

enum remap_why {
    GROW, /* a write found the map full */
    ADOPT /* another process made the database larger than the map (MDB_MAP_RESIZED) */
};

/* Change the map; the caller holds no transaction of this store open. GROW: the map was `seen`
 * bytes when a write found it full: double it, at most to the ceiling (REG_ENOSPC if it is
 * there). ADOPT: map all the data, growing the map as GROW would where the ceiling allows. */
static int remap(struct store *st, size_t seen, enum remap_why why)
{
    atomic_fetch_add(&st->growing, 1);
    pthread_rwlock_wrlock(&st->remap);
    MDB_envinfo info;
    MDB_stat s;
    mdb_env_info(st->env, &info);
    mdb_env_stat(st->env, &s);
    size_t cur = info.me_mapsize, used = (info.me_last_pgno + 1) * (size_t)s.ms_psize;
    int rc = 0;
    if (st->broken)
        rc = REG_ESTORE;
    else if ((why == GROW && cur > seen) || (why == ADOPT && used <= cur))
        rc = 0; /* another thread did it meanwhile */
    else {
        size_t want = cur <= SIZE_MAX / 2 ? cur * 2 : SIZE_MAX, ceiling = map_ceiling(st);
        if (want > ceiling) want = ceiling;
        want -= want % s.ms_psize;
        if (why == GROW && want <= cur)
            rc = REG_ENOSPC;
        else
            rc = set_map(st, want > used ? (want > cur ? want : cur) : used);
    }
    pthread_rwlock_unlock(&st->remap);
    atomic_fetch_sub(&st->growing, 1);
    return rc;
}

/* Take st->writer. A thread that has another transaction open holds st->remap already, so it
 * must not wait for a writer that is waiting to change the map (that writer waits for this
 * thread): it gives up with REG_EUNAVAIL when a change of the map is under way. */
static int writer_lock(struct store *st)
{
    if (!holds(st)) return -pthread_mutex_lock(&st->writer);
    while (pthread_mutex_trylock(&st->writer) != 0) {
        if (atomic_load(&st->growing)) return REG_EUNAVAIL;
        sched_yield();
    }
    return 0;
}

/* Begin (or, with renew, renew *txn) an LMDB transaction and hold the lock while it is open;
 * a database another process has grown past the map is adopted first. */
static int begin(struct store *st, unsigned flags, int renew, MDB_txn **txn)
{
    for (int tries = 0;; tries++) {
        int rc = hold(st);
        if (rc) return rc;
        if (st->broken)
            rc = REG_ESTORE;
        else if ((rc = renew ? mdb_txn_renew(*txn) : mdb_txn_begin(st->env, NULL, flags, txn)))
            rc = rc == MDB_MAP_RESIZED ? REG_EUNAVAIL : map_err(rc);
        else
            return 0;
        release(st);
        /* The map cannot change while this thread holds another transaction open. */
        if (rc != REG_EUNAVAIL || tries == 3 || holds(st)) return rc;
        if ((rc = remap(st, 0, ADOPT))) return rc;
    }
}

/* --- Environment ---------------------------------------------------------------------------- */

/* Open table i in txn, as dup_table says it is laid out. A derived table that is missing or laid
 * out otherwise (an older release's) is made anew when writing (it is rebuilt: sindex.h), and
 * is absent (read as empty) when reading only; any other missing table is REG_ENOTFOUND. */
static int open_table(struct store *st, MDB_txn *txn, int i, unsigned rdonly)
{
    unsigned want = dup_table(i) ? MDB_DUPSORT : 0, have = 0;
    int rc = mdb_dbi_open(txn, table_names[i], rdonly ? 0 : MDB_CREATE | want, &st->dbi[i]);
    if (!rc && (rc = mdb_dbi_flags(txn, st->dbi[i], &have)) == 0 && (have & MDB_DUPSORT) != want) {
        if (!derived_table(i)) return MDB_INCOMPATIBLE;
        if (rdonly)
            rc = MDB_NOTFOUND;
        else if (!(rc = mdb_drop(txn, st->dbi[i], 1)))
            rc = mdb_dbi_open(txn, table_names[i], MDB_CREATE | want, &st->dbi[i]);
    }
    if (rc == MDB_NOTFOUND && rdonly && newer_table(i)) {
        st->absent[i] = 1;
        rc = 0;
    }
    return rc;
}

/* Open every table (open_table). Committing, even a read-only transaction, keeps the handles. */
static int open_tables(struct store *st, unsigned env_flags)
{
    MDB_txn *txn;
    unsigned rdonly = env_flags & MDB_RDONLY;
    int rc = mdb_txn_begin(st->env, NULL, rdonly, &txn);
    if (rc) return map_err(rc);
    for (int i = 0; i < STORE__TABLES; i++) {
        rc = open_table(st, txn, i, rdonly);
        if (rc) {
            mdb_txn_abort(txn);
            return rc == MDB_INCOMPATIBLE ? REG_ENOTFOUND : map_err(rc);
        }
    }
    return st_err(st, mdb_txn_commit(txn));
}

/* The rwlock prefers writers: a grower waiting for it stops new transactions from starting,
 * or a steady stream of overlapping reads and writes could keep it waiting for ever (glibc's
 * default prefers readers). */
static void lock_init(pthread_rwlock_t *l)
{
    pthread_rwlockattr_t a;
    pthread_rwlockattr_init(&a);
    pthread_rwlockattr_setkind_np(&a, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    pthread_rwlock_init(l, &a);
    pthread_rwlockattr_destroy(&a);
}

static int open_env(const char *dir, size_t map, size_t max, unsigned flags, struct store **out);

int store_open_opts(const char *dir, const struct store_opts *opts, struct store **out)
{
    size_t max = opts ? opts->map_size_max : 0;
    size_t map = opts && opts->map_size ? opts->map_size : STORE_MAP_DEFAULT;
    if (max && map > max && !(opts && opts->map_size)) map = max;
    if (map < STORE_MAP_MIN || (max && max < map)) return REG_EBADREQ;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) return -errno;
    return open_env(dir, map, max, 0, out);
}

/* The environment in dir with the map sizes given and LMDB flags `flags` besides MDB_NOTLS and
 * MDB_NORDAHEAD: without it the kernel reads ahead around every page a read faults in, so
 * reads spread over a large registry map and cache most of the file (100k products, 1000 of
 * them read: 134 MB mapped against 14 MB with it; docs/PERFORMANCE.md, "Nothing holds the
 * loop"). */
static int open_env(const char *dir, size_t map, size_t max, unsigned flags, struct store **out)
{
    struct store *st = xcalloc(1, sizeof *st);
    st->map_max = max;
    int rc = map_err(mdb_env_create(&st->env));
    if (rc) goto fail_free;
    if ((rc = map_err(mdb_env_set_maxdbs(st->env, STORE__TABLES))) ||
        (rc = map_err(mdb_env_set_mapsize(st->env, map))) ||
        (rc = map_err(mdb_env_set_maxreaders(st->env, 256))) ||
        (rc = st_err(st, mdb_env_open(st->env, dir, MDB_NOTLS | MDB_NORDAHEAD | flags, 0600))) ||
        (rc = open_tables(st, flags)))
        goto fail_env;
    int dead = 0;
    mdb_reader_check(st->env, &dead); /* free slots left by crashed readers */
    lock_init(&st->remap);
    pthread_mutex_init(&st->writer, NULL);
    st->zip = reczip_new();
    *out = st;
    return 0;
fail_env:
    mdb_env_close(st->env);
fail_free:
    free(st);
    return rc;
}

int store_open(const char *dir, struct store **out)
{
    return store_open_opts(dir, NULL, out);
}

/* Reading only: MDB_RDONLY maps the file read-only and never writes it. LMDB would still create
 * lock.mdb (its reader table) beside it, so a directory without one is read with MDB_NOLOCK:
 * every process that opens an environment with locking creates lock.mdb first, so none has
 * this one open (it is a copy: a backup, or a restore's new copy), and no writer can reuse the
 * pages being read. Should a server start on it meanwhile, the read may see pages change: a
 * wrong report at worst, never damage, as nothing is written. */
int store_open_existing(const char *dir, int write, struct store **out)
{
    char path[4096];
    struct stat s;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    if (stat(path, &s) != 0) return errno == ENOENT || errno == ENOTDIR ? REG_ENODB : -errno;
    if (!S_ISREG(s.st_mode) || s.st_size == 0) return REG_ENODB;
    if (write) return store_open(dir, out);
    snprintf(path, sizeof path, "%s/lock.mdb", dir);
    unsigned flags = MDB_RDONLY | (access(path, F_OK) != 0 && errno == ENOENT ? MDB_NOLOCK : 0);
    return open_env(dir, STORE_MAP_DEFAULT, 0, flags, out);
}

void store_close(struct store *st)
{
    if (!st) return;
    mdb_env_close(st->env);
    reczip_free(st->zip);
    pthread_rwlock_destroy(&st->remap);
    pthread_mutex_destroy(&st->writer);
    free(st);
}

/* --- Transactions --------------------------------------------------------------------------- */

int store_txn_begin(struct store *st, int write, struct store_txn **out)
{
    MDB_txn *txn;
    int rc = write ? writer_lock(st) : 0;
    if (!rc && (rc = begin(st, write ? 0 : MDB_RDONLY, 0, &txn)) && write)
        pthread_mutex_unlock(&st->writer);
    if (rc) return rc;
    struct store_txn *t = xcalloc(1, sizeof *t);
    t->st = st;
    t->txn = txn;
    t->write = write;
    if (write) t->id = mdb_txn_id(txn);
    *out = t;
    return 0;
}

static int apply(struct store_txn *t, const struct redo_op *op, const void *key, const void *val)
{
    MDB_val k = {op->klen, (void *)key}, v = {op->vlen, (void *)val};
    MDB_dbi dbi = t->st->dbi[op->tab];
    if (op->del) return mdb_del(t->txn, dbi, &k, op->pair ? &v : NULL);
    /* MDB_APPEND answers MDB_KEYEXIST, changing nothing, when the key does not sort last. */
    int rc = op->append ? mdb_put(t->txn, dbi, &k, &v, op->flags | MDB_APPEND) : MDB_KEYEXIST;
    return rc == MDB_KEYEXIST ? mdb_put(t->txn, dbi, &k, &v, op->flags) : rc;
}

/* Do t's operations again in its fresh LMDB transaction: 0, MDB_MAP_FULL, or REG_ESTORE if one
 * answers differently (it cannot: the same operations on the same state). */
static int replay(struct store_txn *t)
{
    size_t at = 0;
    while (at < t->redo.len) {
        struct redo_op op;
        memcpy(&op, t->redo.data + at, sizeof op);
        const char *key = t->redo.data + at + sizeof op;
        int rc = apply(t, &op, key, key + op.klen);
        if (rc == MDB_MAP_FULL) return rc;
        if (rc != op.rc) {
            reg_logp(LOG_ERR, "lmdb: a redone write answered %s", mdb_strerror(rc));
            return REG_ESTORE;
        }
        at += sizeof op + op.klen + op.vlen;
    }
    return 0;
}

/* t's LMDB transaction found the map full (and has ended already if `ended`): grow the map and
 * bring a new LMDB transaction to where t's was. 0, or why not; t is then good only for abort. */
static int regrow(struct store_txn *t, int ended)
{
    struct store *st = t->st;
    for (;;) {
        size_t seen = map_now(st);
        if (!ended) mdb_txn_abort(t->txn);
        t->txn = NULL;
        if (holds(st) > 1) return REG_ENOSPC; /* the thread has another transaction open */
        release(st);
        int rc = remap(st, seen, GROW);
        hold(st); /* cannot fail: the slot just released is free */
        if (rc) return rc;
        if ((rc = mdb_txn_begin(st->env, NULL, 0, &t->txn))) {
            t->txn = NULL;
            return rc == MDB_MAP_RESIZED ? REG_EUNAVAIL : map_err(rc);
        }
        /* Another process wrote meanwhile (this one's writers wait for st->writer): what the
         * transaction read may be different now. */
        if (mdb_txn_id(t->txn) != t->id) return REG_EUNAVAIL;
        if ((rc = replay(t)) != MDB_MAP_FULL) return rc;
        ended = 0;
    }
}

/* One put or del: kept for a redo, and redone with the rest when the map is full. */
static int write_op(struct store_txn *t, struct redo_op *op, const void *key, const void *val)
{
    if (!t->txn) return REG_ESTORE;
    int rc = apply(t, op, key, val);
    while (rc == MDB_MAP_FULL && t->write && !t->scans) {
        if ((rc = regrow(t, 0))) return rc;
        rc = apply(t, op, key, val);
    }
    if (rc == MDB_MAP_FULL && t->write) t->grow = map_now(t->st);
    if (t->write && (rc == MDB_SUCCESS || rc == MDB_KEYEXIST || rc == MDB_NOTFOUND)) {
        op->rc = rc;
        buf_append(&t->redo, op, sizeof *op);
        buf_append(&t->redo, key, op->klen);
        buf_append(&t->redo, val, op->vlen);
    }
    return st_err(t->st, rc);
}

void *store_txn_mark(struct store_txn *t)
{
    return t->scratch;
}

void store_txn_release(struct store_txn *t, const void *mark)
{
    while (t->scratch && t->scratch != mark) {
        struct scratch *next = t->scratch->next;
        free(t->scratch);
        t->scratch = next;
    }
}

static void scratch_free(struct store_txn *t)
{
    while (t->scratch) {
        struct scratch *next = t->scratch->next;
        free(t->scratch);
        t->scratch = next;
    }
}

void *store_txn_alloc(struct store_txn *t, size_t n)
{
    struct scratch *s = xmalloc(sizeof *s + n);
    s->next = t->scratch;
    t->scratch = s;
    return s->data;
}

struct reczip *store_txn_zip(struct store_txn *t)
{
    return t->st->zip;
}

/* End t (aborting its LMDB transaction if still open), free it, and grow the map if a write
 * in a scan asked for it. */
static void txn_end(struct store_txn *t)
{
    struct store *st = t->st;
    size_t grow = t->grow;
    int write = t->write;
    if (t->txn) mdb_txn_abort(t->txn);
    release(st);
    buf_free(&t->redo);
    scratch_free(t);
    free(t);
    if (grow && !holds(st)) remap(st, grow, GROW);
    if (write) pthread_mutex_unlock(&st->writer);
}

int store_txn_commit(struct store_txn *t)
{
    int rc = REG_ESTORE;
    while (t->txn) {
        int mrc = mdb_txn_commit(t->txn); /* ends the LMDB transaction, even when it fails */
        t->txn = NULL;
        if (mrc != MDB_MAP_FULL || !t->write) {
            rc = st_err(t->st, mrc);
            break;
        }
        if ((rc = regrow(t, 1))) break; /* a new LMDB transaction, if any, is aborted below */
    }
    txn_end(t);
    return rc;
}

void store_txn_abort(struct store_txn *t)
{
    if (t) txn_end(t);
}

int store_get(struct store_txn *t, enum store_table tab, const void *key, size_t klen,
              struct store_val *out)
{
    if (!t->txn) return REG_ESTORE;
    if (t->st->absent[tab]) return REG_ENOTFOUND;
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
    struct redo_op op = {.tab = (unsigned char)tab, .klen = klen, .vlen = vlen};
    op.flags = (flags & STORE_NOOVERWRITE) ? MDB_NOOVERWRITE : 0;
    op.append = (flags & STORE_APPEND) != 0;
    return write_op(t, &op, key, val);
}

int store_del(struct store_txn *t, enum store_table tab, const void *key, size_t klen)
{
    struct redo_op op = {.del = 1, .tab = (unsigned char)tab, .klen = klen};
    return write_op(t, &op, key, "");
}

int store_del_pair(struct store_txn *t, enum store_table tab, const void *key, size_t klen,
                   const void *val, size_t vlen)
{
    struct redo_op op = {
        .del = 1, .pair = 1, .tab = (unsigned char)tab, .klen = klen, .vlen = vlen};
    return write_op(t, &op, key, val);
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

/* A cursor on table tab for t's scans and seeks: 0, CURSOR_ABSENT when the table does not
 * exist (a derived table of an older data directory opened for reading: its callers answer
 * "empty"), REG_ESTORE for a transaction already failed, or LMDB's error. */
#define CURSOR_ABSENT 1
static int cursor_open(struct store_txn *t, enum store_table tab, MDB_cursor **cur)
{
    if (!t->txn) return REG_ESTORE;
    if (t->st->absent[tab]) return CURSOR_ABSENT;
    int rc = mdb_cursor_open(t->txn, t->st->dbi[tab], cur);
    return rc ? map_err(rc) : 0;
}

int store_scan_from(struct store_txn *t, enum store_table tab, const void *prefix, size_t plen,
                    const void *start, size_t slen, store_scan_fn fn, void *ctx)
{
    MDB_cursor *cur;
    int rc = cursor_open(t, tab, &cur);
    if (rc == CURSOR_ABSENT) return 0;
    if (rc) return rc;
    t->scans++;
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
    t->scans--;
    if (out < 0) return out;
    if (rc != MDB_SUCCESS && rc != MDB_NOTFOUND) return map_err(rc);
    return 0;
}

int store_seek(struct store_txn *t, enum store_table tab, const void *prefix, size_t plen,
               const void *key, size_t klen, struct store_val *out)
{
    MDB_cursor *cur;
    int rc = cursor_open(t, tab, &cur);
    if (rc == CURSOR_ABSENT) return REG_ENOTFOUND;
    if (rc) return rc;
    MDB_val k = {klen, (void *)key}, v;
    rc = mdb_cursor_get(cur, &k, &v, klen ? MDB_SET_RANGE : MDB_FIRST);
    mdb_cursor_close(cur);
    if (rc == MDB_SUCCESS && (k.mv_size < plen || memcmp(k.mv_data, prefix, plen) != 0))
        return REG_ENOTFOUND;
    if (rc) return map_err(rc);
    out->data = k.mv_data;
    out->len = k.mv_size;
    return 0;
}

/* 1 if k starts with prefix[0..plen). */
static int has_prefix(const MDB_val *k, const void *prefix, size_t plen)
{
    return k->mv_size >= plen && memcmp(k->mv_data, prefix, plen) == 0;
}

int store_seek_dup(struct store_txn *t, enum store_table tab, const void *key, size_t klen,
                   const void *val, size_t vlen, struct store_val *out)
{
    MDB_cursor *cur;
    int rc = cursor_open(t, tab, &cur);
    if (rc == CURSOR_ABSENT) return REG_ENOTFOUND;
    if (rc) return rc;
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    rc = mdb_cursor_get(cur, &k, &v, vlen ? MDB_GET_BOTH_RANGE : MDB_SET_KEY);
    mdb_cursor_close(cur);
    if (rc) return map_err(rc);
    out->data = v.mv_data;
    out->len = v.mv_size;
    return 0;
}

struct store_cur {
    struct store_txn *t;
    MDB_cursor *cur; /* NULL: the table does not exist (empty) */
};

int store_cur_open(struct store_txn *t, enum store_table tab, struct store_cur **out)
{
    struct store_cur *c = xcalloc(1, sizeof *c);
    int rc = cursor_open(t, tab, &c->cur);
    if (rc == CURSOR_ABSENT) {
        c->cur = NULL;
        rc = 0;
    }
    if (rc) {
        free(c);
        return rc;
    }
    c->t = t;
    t->scans++; /* a write's redo would not keep the cursor */
    *out = c;
    return 0;
}

void store_cur_close(struct store_cur *c)
{
    if (!c) return;
    if (c->cur) mdb_cursor_close(c->cur);
    c->t->scans--;
    free(c);
}

/* One cursor operation, its key and value borrowed into k and v (either NULL). */
static int cur_op(struct store_cur *c, MDB_val *mk, MDB_val *mv, MDB_cursor_op op,
                  struct store_val *k, struct store_val *v)
{
    if (!c->cur) return REG_ENOTFOUND;
    int rc = mdb_cursor_get(c->cur, mk, mv, op);
    if (rc) return map_err(rc);
    if (k) *k = (struct store_val){mk->mv_data, mk->mv_size};
    if (v) *v = (struct store_val){mv->mv_data, mv->mv_size};
    return 0;
}

int store_cur_seek_dup(struct store_cur *c, const void *key, size_t klen, const void *val,
                       size_t vlen, struct store_val *out)
{
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    return cur_op(c, &k, &v, vlen ? MDB_GET_BOTH_RANGE : MDB_SET_KEY, NULL, out);
}

int store_cur_next_dup(struct store_cur *c, struct store_val *out)
{
    MDB_val k, v;
    return cur_op(c, &k, &v, MDB_NEXT_DUP, NULL, out);
}

int store_cur_seek(struct store_cur *c, const void *key, size_t klen, struct store_val *k,
                   struct store_val *v)
{
    MDB_val mk = {klen, (void *)key}, mv;
    return cur_op(c, &mk, &mv, klen ? MDB_SET_RANGE : MDB_FIRST, k, v);
}

int store_cur_next(struct store_cur *c, struct store_val *k, struct store_val *v)
{
    MDB_val mk, mv;
    return cur_op(c, &mk, &mv, MDB_NEXT, k, v);
}

int store_cur_get(struct store_cur *c, const void *key, size_t klen, struct store_val *out)
{
    MDB_val k = {klen, (void *)key}, v;
    return cur_op(c, &k, &v, MDB_SET_KEY, NULL, out);
}

int store_count_dups(struct store_txn *t, enum store_table tab, const void *key, size_t klen,
                     size_t *n)
{
    MDB_cursor *cur;
    *n = 0;
    int rc = cursor_open(t, tab, &cur);
    if (rc == CURSOR_ABSENT) return 0;
    if (rc) return rc;
    MDB_val k = {klen, (void *)key}, v;
    size_t c = 0;
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET);
    if (!rc) rc = mdb_cursor_count(cur, &c);
    mdb_cursor_close(cur);
    *n = c;
    return rc == MDB_NOTFOUND ? 0 : map_err(rc);
}

int store_scan_keys(struct store_txn *t, enum store_table tab, const void *prefix, size_t plen,
                    const void *start, size_t slen, store_keys_fn fn, void *ctx)
{
    MDB_cursor *cur;
    int rc = cursor_open(t, tab, &cur);
    if (rc == CURSOR_ABSENT) return 0;
    if (rc) return rc;
    MDB_val k = {plen, (void *)prefix}, v;
    if (start && key_after(start, slen, prefix, plen)) k = (MDB_val){slen, (void *)start};
    rc = mdb_cursor_get(cur, &k, &v, k.mv_size ? MDB_SET_RANGE : MDB_FIRST);
    int out = 0;
    while (rc == MDB_SUCCESS && has_prefix(&k, prefix, plen)) {
        size_t n = 1;
        if ((rc = mdb_cursor_count(cur, &n))) break;
        if ((out = fn(ctx, (struct store_val){k.mv_data, k.mv_size}, n))) break;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP);
    }
    mdb_cursor_close(cur);
    if (out < 0) return out;
    return rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? 0 : map_err(rc);
}

int store_scan_pairs_from(struct store_txn *t, enum store_table tab, const void *prefix,
                          size_t plen, const void *key, size_t klen, const void *val, size_t vlen,
                          store_scan_fn fn, void *ctx)
{
    MDB_cursor *cur;
    int rc = cursor_open(t, tab, &cur);
    if (rc == CURSOR_ABSENT) return 0;
    if (rc) return rc;
    t->scans++;
    MDB_val k = {klen, (void *)key}, v = {vlen, (void *)val};
    /* (LMDB takes no empty value to seek: vlen 0 is the key's first value) */
    rc = mdb_cursor_get(cur, &k, &v, vlen ? MDB_GET_BOTH_RANGE : MDB_SET_KEY);
    if (rc == MDB_NOTFOUND) { /* no value of key at or after val: the keys after it */
        k = (MDB_val){klen, (void *)key};
        rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
        if (rc == MDB_SUCCESS && k.mv_size == klen && memcmp(k.mv_data, key, klen) == 0)
            rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT_NODUP);
    }
    int out = 0;
    while (rc == MDB_SUCCESS && has_prefix(&k, prefix, plen)) {
        struct store_val sk = {k.mv_data, k.mv_size}, sv = {v.mv_data, v.mv_size};
        if ((out = fn(ctx, sk, sv))) break;
        rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
    }
    mdb_cursor_close(cur);
    t->scans--;
    if (out < 0) return out;
    return rc == MDB_SUCCESS || rc == MDB_NOTFOUND ? 0 : map_err(rc);
}

int store_clear(struct store_txn *t, enum store_table tab)
{
    if (!t->txn) return REG_ESTORE;
    if (t->st->absent[tab]) return 0;
    return map_err(mdb_drop(t->txn, t->st->dbi[tab], 0));
}

int store_last_key(struct store_txn *t, enum store_table tab, struct store_val *key)
{
    MDB_cursor *cur;
    int rc = cursor_open(t, tab, &cur);
    if (rc == CURSOR_ABSENT) return REG_ENOTFOUND;
    if (rc) return rc;
    MDB_val k, v;
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
    mdb_cursor_close(cur);
    if (rc) return map_err(rc);
    key->data = k.mv_data;
    key->len = k.mv_size;
    return 0;
}

/* fsync a directory, so that the names created in it last. */
static int sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -errno;
    int rc = fsync(fd) == 0 ? 0 : map_err(errno);
    close(fd);
    return rc;
}

/* Not mdb_env_copy2(): it creates the file with mode 0666 less the umask, where the database is
 * 0600 (it holds the token hashes), and does not sync it. */
int store_backup(struct store *st, const char *dest)
{
    if (mkdir(dest, 0700) != 0 && errno != EEXIST) return -errno;
    char path[4096];
    snprintf(path, sizeof path, "%s/data.mdb", dest);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return errno == EEXIST ? REG_EEXIST : -errno;
    int rc = hold(st); /* the copy reads the map */
    if (!rc) {
        rc = map_err(mdb_env_copyfd2(st->env, fd, MDB_CP_COMPACT));
        release(st);
    }
    if (!rc && fsync(fd) != 0) rc = map_err(errno);
    if (close(fd) != 0 && !rc) rc = map_err(errno);
    if (!rc) rc = sync_dir(dest);
    if (rc) unlink(path);
    return rc;
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

uint64_t store_txn_snapshot(const struct store_txn *t)
{
    return t->txn ? (uint64_t)mdb_txn_id(t->txn) : 0;
}

/* The meta pages move when the map does: read them holding the map as a transaction does. */
int store_last_txn(struct store *st, uint64_t *id)
{
    MDB_envinfo info;
    int rc = hold(st);
    if (rc) return rc;
    rc = mdb_env_info(st->env, &info);
    release(st);
    if (rc) return map_err(rc);
    *id = (uint64_t)info.me_last_txnid;
    return 0;
}

int store_stats(struct store_txn *t, struct store_stats *out)
{
    MDB_envinfo info;
    MDB_stat s;
    if (!t->txn) return REG_ESTORE;
    int rc = mdb_env_info(t->st->env, &info);
    if (!rc) rc = mdb_env_stat(t->st->env, &s);
    if (rc) return map_err(rc);
    out->bytes = (info.me_last_pgno + 1) * (size_t)s.ms_psize;
    out->map = info.me_mapsize;
    for (int i = 0; i < STORE__TABLES; i++) {
        out->entries[i] = 0;
        if (t->st->absent[i]) continue;
        if ((rc = mdb_stat(t->txn, t->st->dbi[i], &s))) return map_err(rc);
        out->entries[i] = s.ms_entries;
    }
    return 0;
}

int store_count(struct store_txn *t, enum store_table tab, size_t *out)
{
    MDB_stat s;
    if (!t->txn) return REG_ESTORE;
    *out = 0;
    if (t->st->absent[tab]) return 0;
    int rc = mdb_stat(t->txn, t->st->dbi[tab], &s);
    if (rc) return map_err(rc);
    *out = s.ms_entries;
    return 0;
}

/* A reset read transaction holds no pointer into the map (renew reads the meta page again), so
 * the reader holds the lock only between begin and end. */
int store_reader_new(struct store *st, struct store_reader **out)
{
    struct store_reader *rd = xcalloc(1, sizeof *rd);
    rd->t.st = st;
    int rc = begin(st, MDB_RDONLY, 0, &rd->t.txn);
    if (rc) {
        free(rd);
        return rc;
    }
    mdb_txn_reset(rd->t.txn);
    release(st);
    *out = rd;
    return 0;
}

void store_reader_free(struct store_reader *rd)
{
    if (!rd) return;
    store_reader_end(rd);
    mdb_txn_abort(rd->t.txn);
    free(rd);
}

int store_reader_begin(struct store_reader *rd, struct store_txn **out)
{
    if (rd->active) store_reader_end(rd);
    int rc = begin(rd->t.st, MDB_RDONLY, 1, &rd->t.txn);
    if (rc) return rc;
    rd->active = 1;
    *out = &rd->t;
    return 0;
}

void store_reader_end(struct store_reader *rd)
{
    if (!rd->active) return;
    mdb_txn_reset(rd->t.txn);
    release(rd->t.st);
    scratch_free(&rd->t);
    rd->active = 0;
}

void store_be_put(uint64_t v, void *out, int n)
{
    unsigned char *b = out;
    for (int i = n - 1; i >= 0; i--, v >>= 8)
        b[i] = (unsigned char)(v & 0xff);
}

uint64_t store_be_get(const void *in, int n)
{
    const unsigned char *b = in;
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | b[i];
    return v;
}
