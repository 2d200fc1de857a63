/* reczip.c: packing stored records with zstd and a trained dictionary (see reczip.h).
 *
 * Per store: the dictionaries met so far (a list, newest first, never shrinking while the store
 * is open: a dictionary is immutable once trained, and its ID names it for ever), each with its
 * DDict (made when first read: zstd's DDicts are read-only and shared by every thread) and its
 * CDict (made when first written with); idle decoding contexts, taken by a decode and given
 * back after it, so a thread decodes without making one; one compressing context, used under
 * the lock (writes take turns anyway). */
#include "reczip.h"

#include "buf.h"
#include "err.h"
#include "log.h"
#include "store.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zdict.h>
#include <zstd.h>

/* zstd's default level: packing a record of ~1.3 KB costs a few microseconds; higher levels
 * save little on records this small and unpacking costs the same. */
#define RECZIP_LEVEL 3
/* A frame that claims more than this is damaged: records are far smaller (reg_limits.h). */
#define RECZIP_RECORD_MAX ((unsigned long long)16 << 20)
/* Idle decoding contexts kept: one per thread that decodes at the same time is enough. */
#define RECZIP_IDLE 16

#define STATE_KEY "zdict"
#define STATE_KEYLEN 5

struct zdict {
    struct zdict *next;
    unsigned id;
    ZSTD_DDict *dd;
    ZSTD_CDict *cd; /* NULL until something is packed with it */
    size_t len;
    unsigned char bytes[]; /* the dictionary, for the CDict */
};

struct reczip {
    pthread_mutex_t lock;
    struct zdict *dicts;
    ZSTD_DCtx *idle[RECZIP_IDLE];
    int nidle;
    ZSTD_CCtx *cctx;
};

struct reczip *reczip_new(void)
{
    struct reczip *z = xcalloc(1, sizeof *z);
    pthread_mutex_init(&z->lock, NULL);
    return z;
}

void reczip_free(struct reczip *z)
{
    if (!z) return;
    while (z->dicts) {
        struct zdict *next = z->dicts->next;
        ZSTD_freeDDict(z->dicts->dd);
        ZSTD_freeCDict(z->dicts->cd);
        free(z->dicts);
        z->dicts = next;
    }
    for (int i = 0; i < z->nidle; i++)
        ZSTD_freeDCtx(z->idle[i]);
    ZSTD_freeCCtx(z->cctx);
    pthread_mutex_destroy(&z->lock);
    free(z);
}

int reczip_packed(const void *data, size_t len)
{
    static const unsigned char magic[4] = {0x28, 0xb5, 0x2f, 0xfd}; /* ZSTD_MAGICNUMBER, LE */
    return len >= sizeof magic && memcmp(data, magic, sizeof magic) == 0;
}

static void dict_key(unsigned id, unsigned char key[STATE_KEYLEN + 4])
{
    memcpy(key, STATE_KEY, STATE_KEYLEN);
    store_be_put(id, key + STATE_KEYLEN, 4);
}

static struct zdict *dict_find_locked(struct reczip *z, unsigned id)
{
    for (struct zdict *d = z->dicts; d; d = d->next)
        if (d->id == id) return d;
    return NULL;
}

/* The dictionary `id` of t's store: from the list, else read from the meta table and added.
 * REG_ESTORE if the store has none of that ID, or it is damaged. */
static int dict_get(struct store_txn *t, unsigned id, struct zdict **out)
{
    struct reczip *z = store_txn_zip(t);
    pthread_mutex_lock(&z->lock);
    *out = dict_find_locked(z, id);
    pthread_mutex_unlock(&z->lock);
    if (*out) return 0;
    unsigned char key[STATE_KEYLEN + 4];
    struct store_val v;
    dict_key(id, key);
    int rc = store_get(t, STORE_META, key, sizeof key, &v);
    if (rc) {
        if (rc == REG_ENOTFOUND)
            reg_logp(LOG_ERR, "a packed record names dictionary %u, which is missing", id);
        return rc == REG_ENOTFOUND ? REG_ESTORE : rc;
    }
    struct zdict *d = xcalloc(1, sizeof *d + v.len);
    d->id = id;
    d->len = v.len;
    memcpy(d->bytes, v.data, v.len);
    d->dd = ZSTD_createDDict(d->bytes, d->len);
    if (!d->dd) {
        free(d);
        reg_logp(LOG_ERR, "dictionary %u is damaged", id);
        return REG_ESTORE;
    }
    pthread_mutex_lock(&z->lock);
    *out = dict_find_locked(z, id); /* another thread may have added it meanwhile */
    if (!*out) {
        d->next = z->dicts;
        z->dicts = d;
        *out = d;
        d = NULL;
    }
    pthread_mutex_unlock(&z->lock);
    if (d) {
        ZSTD_freeDDict(d->dd);
        free(d);
    }
    return 0;
}

/* Decode frame src[0..n) into dst[0..size): REG_ESTORE unless it is exactly that. */
static int decode(struct store_txn *t, const void *src, size_t n, void *dst, size_t size)
{
    struct reczip *z = store_txn_zip(t);
    unsigned id = ZSTD_getDictID_fromFrame(src, n);
    struct zdict *d = NULL;
    int rc = id ? dict_get(t, id, &d) : 0;
    if (rc) return rc;
    pthread_mutex_lock(&z->lock);
    ZSTD_DCtx *dc = z->nidle ? z->idle[--z->nidle] : NULL;
    pthread_mutex_unlock(&z->lock);
    if (!dc && !(dc = ZSTD_createDCtx())) abort(); /* out of memory, as xmalloc */
    size_t got = d ? ZSTD_decompress_usingDDict(dc, dst, size, src, n, d->dd)
                   : ZSTD_decompressDCtx(dc, dst, size, src, n);
    pthread_mutex_lock(&z->lock);
    if (z->nidle < RECZIP_IDLE) {
        z->idle[z->nidle++] = dc;
        dc = NULL;
    }
    pthread_mutex_unlock(&z->lock);
    ZSTD_freeDCtx(dc);
    if (ZSTD_isError(got) || got != size) {
        reg_logp(LOG_ERR, "a packed record does not unpack: %s",
                 ZSTD_isError(got) ? ZSTD_getErrorName(got) : "a wrong size");
        return REG_ESTORE;
    }
    return 0;
}

/* The size a packed record src[0..n) unpacks to, or 0 if its frame header is damaged. */
static size_t frame_size(const void *src, size_t n)
{
    unsigned long long size = ZSTD_getFrameContentSize(src, n);
    if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN ||
        size > RECZIP_RECORD_MAX || size == 0) {
        reg_logp(LOG_ERR, "a packed record's frame header is damaged");
        return 0;
    }
    return (size_t)size;
}

int reczip_unpack(struct store_txn *t, struct store_val *v)
{
    if (!reczip_packed(v->data, v->len)) return 0;
    size_t size = frame_size(v->data, v->len);
    if (!size) return REG_ESTORE;
    char *dst = store_txn_alloc(t, size + 1);
    int rc = decode(t, v->data, v->len, dst, size);
    if (rc) return rc;
    dst[size] = '\0';
    v->data = dst;
    v->len = size;
    return 0;
}

/* --- Training ------------------------------------------------------------------------------ */

/* meta "zdict": the dictionary records are packed with now (0: none) and the number of
 * versions when the registry last trained (0: never). */
static int state_get(struct store_txn *t, unsigned *id, uint64_t *at)
{
    struct store_val v;
    int rc = store_get(t, STORE_META, STATE_KEY, STATE_KEYLEN, &v);
    *id = 0;
    *at = 0;
    if (rc == REG_ENOTFOUND) return 0;
    if (rc) return rc;
    if (v.len != 12) return REG_ESTORE;
    *id = (unsigned)store_be_get(v.data, 4);
    *at = store_be_get((const char *)v.data + 4, 8);
    return 0;
}

static int state_put(struct store_txn *t, unsigned id, uint64_t at)
{
    unsigned char v[12];
    store_be_put(id, v, 4);
    store_be_put(at, v + 4, 8);
    return store_put(t, STORE_META, STATE_KEY, STATE_KEYLEN, v, sizeof v, 0);
}

/* The records a training learns from: every stride-th of the versions table, as JSON. */
struct samples {
    struct store_txn *t;
    size_t stride, seen, n;
    struct buf bytes;
    size_t sizes[RECZIP_SAMPLES];
};

static int sample_one(void *ctx, struct store_val key, struct store_val val)
{
    struct samples *s = ctx;
    (void)key;
    if (s->seen++ % s->stride) return 0;
    if (!reczip_packed(val.data, val.len)) {
        buf_append(&s->bytes, val.data, val.len);
    } else {
        size_t size = frame_size(val.data, val.len);
        if (!size) return REG_ESTORE;
        buf_reserve(&s->bytes, size);
        int rc = decode(s->t, val.data, val.len, s->bytes.data + s->bytes.len, size);
        if (rc) return rc;
        s->bytes.len += size;
        val.len = size;
    }
    s->sizes[s->n++] = val.len;
    return s->n == RECZIP_SAMPLES;
}

/* Train a dictionary on the versions table's `count` records and store it: *id its ID, 0 if
 * zstd could not make one of them. Costs one walk over the table's keys (values are read only
 * for the samples) and zstd's training on at most RECZIP_SAMPLES records. */
/* Store the trained dictionary dict[0..len) under its ID, into *id. zstd derives the ID from
 * the content's last 128 bytes, which two dictionaries trained on similar records can share:
 * one whose ID another (different) dictionary holds is finalized again with the next free ID
 * (zstd's own ZDICT_finalizeDictionary, from the same content and samples). */
static int keep(struct store_txn *t, const struct samples *s, unsigned char *dict, size_t len,
                unsigned *id)
{
    unsigned got = ZDICT_getDictID(dict, len);
    for (int tries = 0; tries < 16; tries++) {
        unsigned char key[STATE_KEYLEN + 4];
        struct store_val old;
        dict_key(got, key);
        int rc = store_get(t, STORE_META, key, sizeof key, &old);
        if (rc == REG_ENOTFOUND) {
            rc = store_put(t, STORE_META, key, sizeof key, dict, len, STORE_NOOVERWRITE);
            if (!rc) *id = got;
            return rc;
        }
        if (rc) return rc;
        if (old.len == len && memcmp(old.data, dict, len) == 0) {
            *id = got; /* trained the same again */
            return 0;
        }
        size_t head = ZDICT_getDictHeaderSize(dict, len);
        ZDICT_params_t p = {.compressionLevel = RECZIP_LEVEL};
        got = p.dictID = got + 1 < (1u << 31) ? got + 1 : 32768; /* zstd's private range */
        len = ZDICT_isError(head)
                  ? head
                  : ZDICT_finalizeDictionary(dict, RECZIP_DICT_MAX, dict + head, len - head,
                                             s->bytes.data, s->sizes, (unsigned)s->n, p);
        if (ZDICT_isError(len)) {
            reg_logf("no record dictionary: %s", ZDICT_getErrorName(len));
            return 0;
        }
    }
    reg_logf("no free ID for a new record dictionary near %u: not used", got);
    return 0;
}

static int train(struct store_txn *t, size_t count, unsigned *id)
{
    struct samples *s = xcalloc(1, sizeof *s);
    unsigned char *dict = xmalloc(RECZIP_DICT_MAX);
    s->t = t;
    s->stride = count > RECZIP_SAMPLES ? count / RECZIP_SAMPLES : 1;
    *id = 0;
    int rc = store_scan(t, STORE_VERSIONS, NULL, 0, sample_one, s);
    size_t len = rc || !s->n ? 0
                             : ZDICT_trainFromBuffer(dict, RECZIP_DICT_MAX, s->bytes.data, s->sizes,
                                                     (unsigned)s->n);
    if (!rc && ZDICT_isError(len))
        reg_logf("no record dictionary from %zu records: %s", s->n, ZDICT_getErrorName(len));
    else if (!rc && len)
        rc = keep(t, s, dict, len, id);
    free(dict);
    buf_free(&s->bytes);
    free(s);
    return rc;
}

int reczip_train(struct store_txn *t, unsigned *id)
{
    unsigned cur;
    uint64_t at;
    size_t count;
    int rc = state_get(t, &cur, &at);
    if (!rc) rc = store_count(t, STORE_VERSIONS, &count);
    if (!rc) rc = train(t, count, id);
    if (!rc) rc = state_put(t, *id ? *id : cur, count);
    return rc;
}

/* --- Packing ------------------------------------------------------------------------------- */

/* The dictionary to pack with now: trains first when the versions table, with one record more,
 * reaches the next threshold (reczip.h). *id 0: none. */
static int pack_dict(struct store_txn *t, unsigned *id)
{
    uint64_t at;
    size_t count;
    int rc = state_get(t, id, &at);
    if (!rc) rc = store_count(t, STORE_VERSIONS, &count);
    if (rc) return rc;
    uint64_t next = at ? at * RECZIP_RETRAIN : RECZIP_TRAIN_AT;
    if (count + 1 < next) return 0;
    unsigned got;
    if ((rc = reczip_train(t, &got))) return rc;
    if (got) *id = got;
    return 0;
}

int reczip_pack(struct store_txn *t, const void *json, size_t len, struct store_val *out)
{
    struct reczip *z = store_txn_zip(t);
    struct zdict *d;
    unsigned id;
    out->data = json;
    out->len = len;
    int rc = pack_dict(t, &id);
    if (rc || !id) return rc;
    if ((rc = dict_get(t, id, &d))) return rc;
    size_t cap = ZSTD_compressBound(len), n = 0;
    void *dst = store_txn_alloc(t, cap);
    pthread_mutex_lock(&z->lock);
    if (!d->cd) d->cd = ZSTD_createCDict(d->bytes, d->len, RECZIP_LEVEL);
    if (!z->cctx) z->cctx = ZSTD_createCCtx();
    if (d->cd && z->cctx) n = ZSTD_compress_usingCDict(z->cctx, dst, cap, json, len, d->cd);
    pthread_mutex_unlock(&z->lock);
    if (!d->cd || !z->cctx) abort(); /* out of memory, as xmalloc */
    if (ZSTD_isError(n)) {
        reg_logf("a record does not pack: %s", ZSTD_getErrorName(n));
        return REG_EINTERNAL;
    }
    if (n < len) {
        out->data = dst;
        out->len = n;
    }
    return 0;
}
