/* tlog.c: the transparency log's Merkle tree, proofs, tiles and backfill (see tlog.h).
 *
 * Hand-written: no Debian C library provides an RFC 6962 tree over our own storage (Go's
 * golang.org/x/mod/sumdb/tlog is the reference; its TreeHash, ProveRecord and ProveTree are what
 * tlog_root, tlog_prove_inclusion and tlog_prove_consistency compute). SHA-256 is libsodium's. */
#include "tlog.h"

#include "date.h"
#include "decl.h"
#include "err.h"
#include "log.h"
#include "mfr.h"
#include "changes.h"
#include "product.h"
#include "store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yyjson.h>

#define KEY_TREE "t"  /* u8 format, u64be size */
#define TREE_FORMAT 2 /* the layout tlog.h describes (1: c27f10a's, converted at start-up) */
#define HASH_TAG 'x'  /* stored hashes: sorts after every other key, so appends append */
#define VKEY_MAX (1 + DECL_ID_MAX + 5) /* "v" or "p", id, "\0", u32be(version) */

/* ---- hashing ---- */

void tlog_leaf_hash(const void *e, size_t len, unsigned char out[TLOG_HASH])
{
    crypto_hash_sha256_state s;
    static const unsigned char zero = 0x00;
    crypto_hash_sha256_init(&s);
    crypto_hash_sha256_update(&s, &zero, 1);
    crypto_hash_sha256_update(&s, e, len);
    crypto_hash_sha256_final(&s, out);
}

void tlog_node_hash(const unsigned char l[TLOG_HASH], const unsigned char r[TLOG_HASH],
                    unsigned char out[TLOG_HASH])
{
    unsigned char in[1 + 2 * TLOG_HASH];
    in[0] = 0x01;
    memcpy(in + 1, l, TLOG_HASH);
    memcpy(in + 1 + TLOG_HASH, r, TLOG_HASH);
    crypto_hash_sha256(out, in, sizeof in);
}

/* ---- keys ---- */

/* Where hash (level, i) is stored: Go's tlog.StoredHashIndex. Leaf i's hash comes right after
 * the hashes stored with leaf i-1, followed by those of the subtrees leaf i completes (levels
 * 1, 2, ...): level 0's i-th hash is at i + i/2 + i/4 + ... (= 2i - popcount(i)), and (level,
 * i) is stored with the last leaf it covers, level places after that leaf's hash. */
static uint64_t stored_index(unsigned level, uint64_t i)
{
    uint64_t at = 0;
    for (unsigned l = level; l > 0; l--)
        i = 2 * i + 1;
    for (; i > 0; i >>= 1)
        at += i;
    return at + level;
}

static void hash_key(uint64_t at, unsigned char key[9])
{
    key[0] = HASH_TAG;
    store_be_put(at, key + 1, 8);
}

/* tag id "\0" u32be(version) into key; its length, or 0 if id is too long. */
static size_t version_ref(char tag, const char *id, unsigned version, unsigned char key[VKEY_MAX])
{
    size_t il = strlen(id);
    if (il > DECL_ID_MAX) return 0;
    key[0] = (unsigned char)tag;
    memcpy(key + 1, id, il);
    key[1 + il] = '\0';
    store_be_put(version, key + 2 + il, 4);
    return il + 6;
}

/* The stored value of hash (level, i), borrowed: the hash, and for a leaf (level 0) its entry
 * reference after it. REG_ENOTFOUND if absent, REG_ESTORE if not of that shape. */
static int get_stored(struct store_txn *txn, unsigned level, uint64_t i, struct store_val *v)
{
    unsigned char key[9];
    hash_key(stored_index(level, i), key);
    int rc = store_get(txn, STORE_TLOG, key, sizeof key, v);
    if (!rc && (level ? v->len != TLOG_HASH : v->len <= TLOG_HASH)) rc = REG_ESTORE;
    return rc;
}

/* Stored hash (level, i), copied to out: REG_ESTORE if absent or damaged (the caller has checked
 * the tree holds it). */
static int get_hash(struct store_txn *txn, unsigned level, uint64_t i, unsigned char out[TLOG_HASH])
{
    struct store_val v;
    int rc = get_stored(txn, level, i, &v);
    if (rc == REG_ENOTFOUND) return REG_ESTORE;
    if (!rc) memcpy(out, v.data, TLOG_HASH);
    return rc;
}

int tlog_size(struct store_txn *txn, uint64_t *size)
{
    struct store_val v;
    *size = 0;
    int rc = store_get(txn, STORE_TLOG, KEY_TREE, 1, &v);
    if (rc == REG_ENOTFOUND) return 0; /* no log, or one in format 1 not yet converted */
    if (rc) return rc;
    if (v.len != 9 || *(const unsigned char *)v.data != TREE_FORMAT) return REG_ESTORE;
    *size = store_be_get((const unsigned char *)v.data + 1, 8);
    return 0;
}

static int put_size(struct store_txn *txn, uint64_t size)
{
    unsigned char v[9] = {TREE_FORMAT};
    store_be_put(size, v + 1, 8);
    return store_put(txn, STORE_TLOG, KEY_TREE, 1, v, sizeof v, 0);
}

/* ---- appending ---- */

int tlog_entry_fits(size_t len)
{
    return len > TLOG_ENTRY_MAX ? REG_ELOGENTRY : 0;
}

/* Append leaf `size` whose stored value is rec[0..len) (its hash, then its entry reference): it,
 * then every subtree it completes, at the stored indexes that follow; then the new size. */
static int append_leaf(struct store_txn *txn, uint64_t size, const unsigned char *rec, size_t len)
{
    unsigned char key[9], h[TLOG_HASH], left[TLOG_HASH];
    uint64_t at = stored_index(0, size);
    hash_key(at, key);
    int rc =
        store_put(txn, STORE_TLOG, key, sizeof key, rec, len, STORE_NOOVERWRITE | STORE_APPEND);
    memcpy(h, rec, TLOG_HASH);
    /* Leaf `size` completes the subtree of level L+1 for each trailing one bit L of size. */
    uint64_t i = size;
    for (unsigned level = 0; !rc && (i & 1); level++, i >>= 1) {
        if ((rc = get_hash(txn, level, i - 1, left))) break;
        tlog_node_hash(left, h, h);
        hash_key(++at, key);
        rc = store_put(txn, STORE_TLOG, key, sizeof key, h, TLOG_HASH, STORE_APPEND);
    }
    if (!rc) rc = put_size(txn, size + 1);
    return rc;
}

/* The size, after converting a log of format 1 or backfilling an empty one. */
static int size_for_append(struct store_txn *txn, uint64_t *size)
{
    int rc = tlog_size(txn, size);
    if (!rc && *size == 0) {
        uint64_t added;
        if (!(rc = tlog_backfill_in(txn, &added))) rc = tlog_size(txn, size);
    }
    return rc;
}

/* Append version (id, version) whose record is json[0..len), at the current size. */
static int append_version(struct store_txn *txn, uint64_t size, const char *id, unsigned version,
                          const char *json, size_t len)
{
    unsigned char rec[TLOG_HASH + VKEY_MAX], n8[8], *ref = rec + TLOG_HASH;
    size_t rl = version_ref('v', id, version, ref);
    if (!rl) return REG_EBADID;
    store_be_put(size, n8, 8);
    int rc = store_put(txn, STORE_TLOG, ref, rl, n8, 8, STORE_NOOVERWRITE);
    if (rc) return rc;
    ref[0] = 'p';
    tlog_leaf_hash(json, len, rec);
    return append_leaf(txn, size, rec, TLOG_HASH + rl);
}

int tlog_append_product(struct store_txn *txn, const char *id, unsigned version, const char *json,
                        size_t len, uint64_t *index)
{
    uint64_t size;
    int rc = tlog_entry_fits(len);
    if (!rc) rc = size_for_append(txn, &size);
    if (!rc) rc = append_version(txn, size, id, version, json, len);
    if (!rc && index) *index = size;
    return rc;
}

/* Append e[0..len) stored in the log, at size. */
static int append_stored(struct store_txn *txn, uint64_t size, const void *e, size_t len)
{
    if (len > TLOG_ENTRY_MAX) return REG_ELOGENTRY;
    unsigned char *rec = malloc(TLOG_HASH + 1 + len);
    if (!rec) return REG_EINTERNAL;
    tlog_leaf_hash(e, len, rec);
    rec[TLOG_HASH] = 'm';
    memcpy(rec + TLOG_HASH + 1, e, len);
    int rc = append_leaf(txn, size, rec, TLOG_HASH + 1 + len);
    free(rec);
    return rc;
}

int tlog_append_stored(struct store_txn *txn, const void *e, size_t len, uint64_t *index)
{
    uint64_t size;
    int rc = tlog_entry_fits(len);
    if (!rc) rc = size_for_append(txn, &size);
    if (!rc) rc = append_stored(txn, size, e, len);
    if (!rc && index) *index = size;
    return rc;
}

static void add_list(yyjson_mut_doc *doc, yyjson_mut_val *o, const char *name,
                     const struct mfr_list *l)
{
    yyjson_mut_val *a = yyjson_mut_obj_add_arr(doc, o, name);
    for (size_t i = 0; i < l->n; i++)
        yyjson_mut_arr_add_str(doc, a, l->v[i]);
}

/* The maker event's entry (tlog.h's member order), malloc'd, or NULL. */
static char *maker_entry(const struct mfr *m, const char *event, const char *detail,
                         const char *time, size_t *len)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc) return NULL;
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, o);
    yyjson_mut_obj_add_str(doc, o, "manufacturer_event", event);
    yyjson_mut_obj_add_str(doc, o, "time", time);
    yyjson_mut_obj_add_str(doc, o, "slug", m->slug);
    yyjson_mut_obj_add_str(doc, o, "name", m->name);
    yyjson_mut_obj_add_str(doc, o, "status", m->status);
    yyjson_mut_obj_add_bool(doc, o, "verified", m->verified != 0);
    add_list(doc, o, "gs1_prefixes", &m->gs1_prefixes);
    add_list(doc, o, "id_prefixes", &m->id_prefixes);
    if (detail) yyjson_mut_obj_add_str(doc, o, "detail", detail);
    char *s = yyjson_mut_write(doc, 0, len);
    yyjson_mut_doc_free(doc);
    return s;
}

int tlog_maker_entry(const struct mfr *m, const char *event, const char *detail, const char *time,
                     struct buf *out)
{
    size_t len;
    char *e = maker_entry(m, event, detail, time, &len);
    if (!e) return REG_EINTERNAL;
    buf_append(out, e, len);
    free(e);
    return 0;
}

int tlog_append_maker(struct store_txn *txn, const struct mfr *m, const char *event,
                      const char *detail, const char *time, uint64_t *index)
{
    size_t len;
    char *e = maker_entry(m, event, detail, time, &len);
    int rc = e ? tlog_append_stored(txn, e, len, index) : REG_EINTERNAL;
    free(e);
    return rc;
}

/* ---- reading ---- */

int tlog_entry(struct store_txn *txn, uint64_t i, struct store_val *out)
{
    struct store_val v;
    int rc = get_stored(txn, 0, i, &v);
    if (rc) return rc;
    const unsigned char *d = (const unsigned char *)v.data + TLOG_HASH;
    v.len -= TLOG_HASH;
    if (v.len >= 1 && d[0] == 'm') {
        out->data = d + 1;
        out->len = v.len - 1;
        return 0;
    }
    /* "p" id "\0" u32be(version): the version's record is the entry */
    if (v.len < 7 || d[0] != 'p' || d[v.len - 5] != '\0' || memchr(d + 1, '\0', v.len - 6))
        return REG_ESTORE;
    char id[DECL_ID_MAX + 1];
    if (v.len - 6 > DECL_ID_MAX) return REG_ESTORE;
    memcpy(id, d + 1, v.len - 6);
    id[v.len - 6] = '\0';
    const char *json;
    size_t len;
    rc = product_get_version(txn, id, (unsigned)store_be_get(d + v.len - 4, 4), &json, &len);
    if (rc == REG_ENOTFOUND) return REG_ESTORE; /* a reference to nothing: damaged */
    if (rc) return rc;
    out->data = json;
    out->len = len;
    return 0;
}

int tlog_index(struct store_txn *txn, const char *id, unsigned version, uint64_t *index)
{
    unsigned char ref[VKEY_MAX];
    struct store_val v;
    size_t rl = version_ref('v', id, version, ref);
    if (!rl) return REG_ENOTFOUND;
    int rc = store_get(txn, STORE_TLOG, ref, rl, &v);
    if (rc) return rc;
    if (v.len != 8) return REG_ESTORE;
    *index = store_be_get(v.data, 8);
    return 0;
}

/* ---- the tree ---- */

/* The largest power of two below n (n >= 2), as RFC 6962's split point k. */
static uint64_t split(uint64_t n)
{
    uint64_t k = 1;
    while (k << 1 < n)
        k <<= 1;
    return k;
}

/* MTH(D[lo:hi)) from stored complete subtrees, for ranges RFC 6962's recursion visits (lo a
 * multiple of a power of two >= hi - lo): the largest stored subtrees from the left, folded from
 * the right. At most 64 reads. */
static int range_hash(struct store_txn *txn, uint64_t lo, uint64_t hi, unsigned char out[TLOG_HASH])
{
    unsigned char parts[64][TLOG_HASH];
    int np = 0, rc = 0;
    while (lo < hi && !rc) {
        unsigned level = 0;
        while (level < 63 && (lo & ((uint64_t)1 << level)) == 0 &&
               lo + ((uint64_t)2 << level) <= hi)
            level++;
        rc = get_hash(txn, level, lo >> level, parts[np++]);
        lo += (uint64_t)1 << level;
    }
    if (rc) return rc;
    memcpy(out, parts[np - 1], TLOG_HASH);
    for (int k = np - 2; k >= 0; k--)
        tlog_node_hash(parts[k], out, out);
    return 0;
}

int tlog_root(struct store_txn *txn, uint64_t n, unsigned char out[TLOG_HASH])
{
    uint64_t size;
    int rc = tlog_size(txn, &size);
    if (rc) return rc;
    if (n > size) return REG_ENOTFOUND;
    if (n == 0) {
        crypto_hash_sha256(out, NULL, 0);
        return 0;
    }
    return range_hash(txn, 0, n, out);
}

struct proof {
    struct store_txn *txn;
    unsigned char (*h)[TLOG_HASH];
    size_t len;
};

/* Add MTH(D[lo:hi)) to the proof. */
static int add_range(struct proof *p, uint64_t lo, uint64_t hi)
{
    if (p->len >= TLOG_PROOF_MAX) return REG_EINTERNAL;
    return range_hash(p->txn, lo, hi, p->h[p->len++]);
}

/* RFC 6962 PATH(m, D[lo:hi)), m relative to lo. */
static int path(struct proof *p, uint64_t m, uint64_t lo, uint64_t hi)
{
    if (hi - lo <= 1) return 0;
    uint64_t k = split(hi - lo);
    int rc = m < k ? path(p, m, lo, lo + k) : path(p, m - k, lo + k, hi);
    if (rc) return rc;
    return m < k ? add_range(p, lo + k, hi) : add_range(p, lo, lo + k);
}

/* RFC 6962 SUBPROOF(m, D[lo:hi), b), m relative to lo. */
static int subproof(struct proof *p, uint64_t m, uint64_t lo, uint64_t hi, int b)
{
    if (m == hi - lo) return b ? 0 : add_range(p, lo, hi);
    uint64_t k = split(hi - lo);
    int rc = m <= k ? subproof(p, m, lo, lo + k, b) : subproof(p, m - k, lo + k, hi, 0);
    if (rc) return rc;
    return m <= k ? add_range(p, lo + k, hi) : add_range(p, lo, lo + k);
}

int tlog_prove_inclusion(struct store_txn *txn, uint64_t i, uint64_t n,
                         unsigned char proof[TLOG_PROOF_MAX][TLOG_HASH], size_t *len)
{
    uint64_t size;
    struct proof p = {txn, proof, 0};
    *len = 0;
    int rc = tlog_size(txn, &size);
    if (rc) return rc;
    if (i >= n || n > size) return REG_ENOTFOUND;
    rc = path(&p, i, 0, n);
    *len = rc ? 0 : p.len;
    return rc;
}

int tlog_prove_consistency(struct store_txn *txn, uint64_t m, uint64_t n,
                           unsigned char proof[TLOG_PROOF_MAX][TLOG_HASH], size_t *len)
{
    uint64_t size;
    struct proof p = {txn, proof, 0};
    *len = 0;
    int rc = tlog_size(txn, &size);
    if (rc) return rc;
    if (m == 0 || m > n) return REG_EBADREQ;
    if (n > size) return REG_ENOTFOUND;
    rc = subproof(&p, m, 0, n, 1);
    *len = rc ? 0 : p.len;
    return rc;
}

/* ---- tiles ---- */

int tlog_tile(struct store_txn *txn, unsigned level, uint64_t n, unsigned w, unsigned char *out)
{
    uint64_t size;
    unsigned h = level * TLOG_TILE_HEIGHT;
    if (w < 1 || w > TLOG_TILE_WIDTH || h >= 64) return REG_EBADREQ;
    int rc = tlog_size(txn, &size);
    if (rc) return rc;
    uint64_t first = n * TLOG_TILE_WIDTH, last = first + w; /* hashes [first, last) of level h */
    if (n > (UINT64_MAX >> h) / TLOG_TILE_WIDTH - 1 || last > size >> h) return REG_ENOTFOUND;
    for (unsigned j = 0; j < w && !rc; j++)
        rc = get_hash(txn, h, first + j, out + (size_t)j * TLOG_HASH);
    return rc;
}

int tlog_entry_bundle(struct store_txn *txn, uint64_t n, unsigned w, struct buf *out)
{
    uint64_t size;
    if (w < 1 || w > TLOG_TILE_WIDTH) return REG_EBADREQ;
    int rc = tlog_size(txn, &size);
    if (rc) return rc;
    if (n > UINT64_MAX / TLOG_TILE_WIDTH - 1 || n * TLOG_TILE_WIDTH + w > size)
        return REG_ENOTFOUND;
    for (unsigned j = 0; j < w && !rc; j++) {
        struct store_val e;
        void *mark = store_txn_mark(txn); /* an unpacked record is needed only until copied */
        if (!(rc = tlog_entry(txn, n * TLOG_TILE_WIDTH + j, &e))) {
            unsigned char l[2] = {(unsigned char)(e.len >> 8), (unsigned char)e.len};
            buf_append(out, l, 2);
            buf_append(out, e.data, e.len);
        }
        store_txn_release(txn, mark);
    }
    return rc;
}

/* ---- backfill ---- */

struct fill {
    struct store_txn *txn;
    uint64_t size;
    char now[21];
};

static int fill_maker(void *ctx, const char *slug, const struct mfr *m)
{
    struct fill *f = ctx;
    size_t len;
    if (!m) return REG_ESTORE; /* a damaged maker record: admin verify names it */
    (void)slug;
    char *e = maker_entry(m, "snapshot", NULL, f->now, &len);
    int rc = e ? append_stored(f->txn, f->size, e, len) : REG_EINTERNAL;
    free(e);
    f->size += !rc;
    return rc;
}

/* Append version (id, version) unless it has its entry already. */
static int fill_version(struct fill *f, const char *id, unsigned version)
{
    uint64_t at;
    const char *json;
    size_t len;
    int rc = tlog_index(f->txn, id, version, &at);
    if (rc != REG_ENOTFOUND) return rc;
    void *mark = store_txn_mark(f->txn);
    rc = product_get_version(f->txn, id, version, &json, &len);
    if (rc == REG_ENOTFOUND)
        rc = 0; /* a change naming nothing: admin verify names it */
    else if (!rc && !(rc = append_version(f->txn, f->size, id, version, json, len)))
        f->size++;
    store_txn_release(f->txn, mark);
    return rc;
}

static int fill_change(void *ctx, const char *json, size_t len)
{
    struct fill *f = ctx;
    yyjson_doc *doc = yyjson_read(json, len, 0);
    yyjson_val *c = yyjson_doc_get_root(doc);
    const char *id = yyjson_get_str(yyjson_obj_get(c, "id"));
    unsigned version = (unsigned)yyjson_get_uint(yyjson_obj_get(c, "version"));
    int rc = id && version && strlen(id) <= DECL_ID_MAX ? fill_version(f, id, version) : 0;
    yyjson_doc_free(doc);
    return rc;
}

/* A versions-table key id "\0" u32be(version) that the changes feed did not name. */
static int fill_stored_version(void *ctx, struct store_val key, struct store_val val)
{
    struct fill *f = ctx;
    char id[DECL_ID_MAX + 1];
    (void)val;
    if (key.len < 6 || key.len - 5 > DECL_ID_MAX) return 0;
    memcpy(id, key.data, key.len - 5);
    id[key.len - 5] = '\0';
    return fill_version(f, id, (unsigned)store_be_get((const char *)key.data + key.len - 4, 4));
}

/* ---- format 1 (c27f10a and before), converted ----
 * "n" -> u64be size, "e" u64be(i) -> entry reference, "h" u8(level) u64be(i) -> hash: keys
 * sorted by level first, so every append inserted into the middle of the table and LMDB left
 * half-full pages behind. The same hashes and references move to format 2's keys. */

/* Old key[0..klen)'s value appended to rec, and the key deleted: REG_ESTORE if absent. */
static int take_v1(struct store_txn *txn, const unsigned char *key, size_t klen, struct buf *rec)
{
    struct store_val v;
    int rc = store_get(txn, STORE_TLOG, key, klen, &v);
    if (rc == REG_ENOTFOUND) return REG_ESTORE;
    if (rc) return rc;
    buf_append(rec, v.data, v.len);
    return store_del(txn, STORE_TLOG, key, klen);
}

/* Old hash (level, i) moved to stored index `at`. rec: scratch. */
static int move_hash_v1(struct store_txn *txn, unsigned level, uint64_t i, uint64_t at,
                        struct buf *rec)
{
    unsigned char old[10] = {'h', (unsigned char)level}, key[9];
    store_be_put(i, old + 2, 8);
    buf_reset(rec);
    int rc = take_v1(txn, old, sizeof old, rec);
    if (!rc && rec->len != TLOG_HASH) rc = REG_ESTORE;
    if (!rc && level == 0) { /* a leaf: its entry reference joins its hash */
        unsigned char e[9] = {'e'};
        store_be_put(i, e + 1, 8);
        rc = take_v1(txn, e, sizeof e, rec);
    }
    hash_key(at, key);
    if (!rc) rc = store_put(txn, STORE_TLOG, key, sizeof key, rec->data, rec->len, STORE_APPEND);
    return rc;
}

/* A log in format 1 converted, in stored-index order (so that every put appends): *moved gets
 * its size (0: none there). */
static int convert_v1(struct store_txn *txn, uint64_t *moved)
{
    struct store_val v;
    struct buf rec = BUF_INIT;
    uint64_t size;
    *moved = 0;
    int rc = store_get(txn, STORE_TLOG, "n", 1, &v);
    if (rc) return rc == REG_ENOTFOUND ? 0 : rc;
    if (v.len != 8) return REG_ESTORE;
    size = store_be_get(v.data, 8);
    for (uint64_t i = 0; !rc && i < size; i++) {
        uint64_t at = stored_index(0, i);
        rc = move_hash_v1(txn, 0, i, at, &rec);
        /* then the subtrees leaf i completes, as append_leaf stores them */
        for (unsigned level = 1; !rc && (i >> (level - 1)) & 1; level++)
            rc = move_hash_v1(txn, level, i >> level, at + level, &rec);
    }
    buf_free(&rec);
    if (!rc) rc = store_del(txn, STORE_TLOG, "n", 1);
    if (!rc) rc = put_size(txn, size);
    if (!rc) *moved = size;
    return rc;
}

/* An empty log made ready for appends: one in format 1 converted (*moved: its size), else
 * backfilled (*added: the entries added). */
static int prepare(struct store_txn *txn, uint64_t *added, uint64_t *moved)
{
    struct fill f = {.txn = txn};
    *added = *moved = 0;
    int rc = tlog_size(txn, &f.size);
    if (rc || f.size) return rc;
    if ((rc = convert_v1(txn, moved)) || *moved) return rc;
    date_rfc3339(time(NULL), f.now);
    rc = mfr_each(txn, fill_maker, &f);
    if (!rc) rc = changes_each(txn, 0, fill_change, &f);
    if (!rc) rc = store_scan(txn, STORE_VERSIONS, NULL, 0, fill_stored_version, &f);
    *added = rc ? 0 : f.size;
    return rc;
}

int tlog_backfill_in(struct store_txn *txn, uint64_t *added)
{
    uint64_t moved;
    return prepare(txn, added, &moved);
}

int tlog_backfill(struct store *st, uint64_t *added)
{
    int rc = REG_ENOSPC;
    uint64_t moved = 0;
    /* A full map grows when the transaction is aborted (store.h): try again, a few times. */
    for (int tries = 0; rc == REG_ENOSPC && tries < 8; tries++) {
        struct store_txn *txn;
        if ((rc = store_txn_begin(st, 1, &txn))) return rc;
        rc = prepare(txn, added, &moved);
        if (rc || !(*added || moved))
            store_txn_abort(txn);
        else
            rc = store_txn_commit(txn);
    }
    if (!rc && moved)
        reg_logf("transparency log: %llu entries moved to the storage of format %d",
                 (unsigned long long)moved, TREE_FORMAT);
    return rc;
}

/* ---- verification ---- */

struct check {
    struct store_txn *txn;
    tlog_problem_fn fn;
    void *ctx;
    unsigned long problems;
};

static void problem(struct check *c, const char *fmt, unsigned long long a, const char *s)
{
    char line[300];
    snprintf(line, sizeof line, fmt, a, s ? s : "");
    if (c->fn) c->fn(c->ctx, line);
    c->problems++;
}

/* The stored hash (level, i) equals h? */
static int compare_hash(struct check *c, unsigned level, uint64_t i,
                        const unsigned char h[TLOG_HASH])
{
    unsigned char stored[TLOG_HASH];
    struct store_val v;
    int rc = get_stored(c->txn, level, i, &v);
    if (rc && rc != REG_ENOTFOUND && rc != REG_ESTORE) return rc;
    char what[40];
    snprintf(what, sizeof what, " (level %u)", level);
    if (rc)
        problem(c, "log: hash %llu%s is missing or damaged", (unsigned long long)i, what);
    else if (memcpy(stored, v.data, TLOG_HASH), memcmp(stored, h, TLOG_HASH) != 0)
        problem(c, "log: hash %llu%s differs from the hash of the entries", (unsigned long long)i,
                what);
    return 0;
}

/* Entry i of a product version: its "v" key points back at i. */
static int check_ref(struct check *c, uint64_t i, struct store_val raw)
{
    const unsigned char *d = raw.data;
    unsigned char ref[VKEY_MAX];
    struct store_val v;
    if (raw.len > VKEY_MAX) return 0; /* tlog_entry named it damaged already */
    memcpy(ref, d, raw.len);
    ref[0] = 'v';
    int rc = store_get(c->txn, STORE_TLOG, ref, raw.len, &v);
    if (rc && rc != REG_ENOTFOUND) return rc;
    if (rc || v.len != 8 || store_be_get(v.data, 8) != i)
        problem(c, "log: entry %llu is a version that another entry logs too (%s)",
                (unsigned long long)i, (const char *)d + 1);
    return 0;
}

/* Entry i: its leaf hash, and the subtrees it completes (frontier: the open subtrees' hashes). */
static int check_entry(struct check *c, uint64_t i, unsigned char frontier[64][TLOG_HASH])
{
    unsigned char h[TLOG_HASH];
    struct store_val raw, e;
    int rc = get_stored(c->txn, 0, i, &raw);
    if (rc && rc != REG_ENOTFOUND && rc != REG_ESTORE) return rc;
    if (!rc && ((const unsigned char *)raw.data)[TLOG_HASH] == 'p') {
        raw.data = (const unsigned char *)raw.data + TLOG_HASH; /* the entry reference */
        raw.len -= TLOG_HASH;
        if ((rc = check_ref(c, i, raw))) return rc;
    }
    void *mark = store_txn_mark(c->txn);
    rc = tlog_entry(c->txn, i, &e);
    if (rc == REG_ENOTFOUND || rc == REG_ESTORE) {
        problem(c, "log: entry %llu is missing or names no stored version%s", (unsigned long long)i,
                NULL);
        memset(h, 0, sizeof h); /* its hashes are then checked against nothing useful */
        rc = 0;
    } else if (!rc)
        tlog_leaf_hash(e.data, e.len, h);
    store_txn_release(c->txn, mark);
    if (rc || (rc = compare_hash(c, 0, i, h))) return rc;
    unsigned level = 0;
    for (uint64_t j = i; j & 1; j >>= 1, level++) {
        tlog_node_hash(frontier[level], h, h);
        if ((rc = compare_hash(c, level + 1, j >> 1, h))) return rc;
    }
    memcpy(frontier[level], h, TLOG_HASH);
    return 0;
}

/* Every stored version has an entry. */
static int check_version(void *ctx, struct store_val key, struct store_val val)
{
    struct check *c = ctx;
    char id[DECL_ID_MAX + 1];
    uint64_t at;
    (void)val;
    if (key.len < 6 || key.len - 5 > DECL_ID_MAX) return 0;
    memcpy(id, key.data, key.len - 5);
    id[key.len - 5] = '\0';
    unsigned version = (unsigned)store_be_get((const char *)key.data + key.len - 4, 4);
    int rc = tlog_index(c->txn, id, version, &at);
    if (rc == REG_ENOTFOUND)
        problem(c, "log: version %llu of %s has no entry", (unsigned long long)version, id);
    return rc == REG_ENOTFOUND ? 0 : rc;
}

int tlog_verify(struct store_txn *txn, tlog_problem_fn fn, void *ctx, unsigned long *problems)
{
    struct check c = {.txn = txn, .fn = fn, .ctx = ctx};
    unsigned char frontier[64][TLOG_HASH];
    uint64_t size;
    *problems = 0;
    int rc = tlog_size(txn, &size);
    for (uint64_t i = 0; !rc && i < size; i++)
        rc = check_entry(&c, i, frontier);
    if (!rc) rc = store_scan(txn, STORE_VERSIONS, NULL, 0, check_version, &c);
    if (!rc) {
        static const unsigned char tag[1] = {HASH_TAG};
        struct store_val k;
        unsigned char after[9];
        hash_key(stored_index(0, size), after); /* = Go's StoredHashCount(size) */
        if (store_seek(txn, STORE_TLOG, tag, 1, after, sizeof after, &k) == 0)
            problem(&c, "log: entries beyond the tree size %llu%s", (unsigned long long)size, NULL);
    }
    *problems = c.problems;
    return rc;
}
