/* test_tlog.c: the transparency log (tlog.h). The tree against RFC 6962's published roots and
 * proofs (the Certificate Transparency test vectors) and against a naive recursive Merkle tree
 * hash written here, for every size up to 70; every inclusion and consistency proof up to 70
 * checked by verifiers written here from RFC 9162 sections 2.1.3.2 and 2.1.4.2; tiles and entry
 * bundles; and the write path: product versions and maker events logged in their transaction,
 * a too-long record refused with nothing stored, backfill of a log-less database, verify naming
 * a corrupted hash. */
#include "harness.h"
#include "registry_fx.h"

#include "err.h"
#include "product.h"
#include "store.h"
#include "tlog.h"

#include <sodium.h>

#define SIZES 70

/* ---- an independent model: RFC 6962 section 2.1, by its definition ---- */

static void leaf(const void *e, size_t len, unsigned char out[32])
{
    unsigned char *in = malloc(len + 1);
    in[0] = 0;
    memcpy(in + 1, e, len);
    crypto_hash_sha256(out, in, len + 1);
    free(in);
}

static void node(const unsigned char *l, const unsigned char *r, unsigned char out[32])
{
    unsigned char in[65];
    in[0] = 1;
    memcpy(in + 1, l, 32);
    memcpy(in + 33, r, 32);
    crypto_hash_sha256(out, in, sizeof in);
}

/* MTH(D[0:n)) over leaf hashes lh, recursively (k: the largest power of two < n). */
static void mth(unsigned char (*lh)[32], size_t n, unsigned char out[32])
{
    if (n == 0) {
        crypto_hash_sha256(out, NULL, 0);
        return;
    }
    if (n == 1) {
        memcpy(out, lh[0], 32);
        return;
    }
    size_t k = 1;
    while (k * 2 < n)
        k *= 2;
    unsigned char l[32], r[32];
    mth(lh, k, l);
    mth(lh + k, n - k, r);
    node(l, r, out);
}

/* RFC 9162 2.1.3.2: verify an inclusion proof. 1 if it proves leaf hash h at index i of the
 * tree of size n with root `root`. */
static int verify_inclusion(uint64_t i, uint64_t n, const unsigned char h[32],
                            unsigned char (*proof)[32], size_t len, const unsigned char root[32])
{
    if (i >= n) return 0;
    uint64_t fn = i, sn = n - 1;
    unsigned char r[32];
    memcpy(r, h, 32);
    for (size_t p = 0; p < len; p++) {
        if (sn == 0) return 0;
        if ((fn & 1) || fn == sn) {
            node(proof[p], r, r);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else
            node(r, proof[p], r);
        fn >>= 1;
        sn >>= 1;
    }
    return sn == 0 && memcmp(r, root, 32) == 0;
}

/* RFC 9162 2.1.4.2: verify a consistency proof from (m, r1) to (n, r2). */
static int verify_consistency(uint64_t m, uint64_t n, const unsigned char r1[32],
                              const unsigned char r2[32], unsigned char (*proof)[32], size_t len)
{
    if (m == n) return len == 0 && memcmp(r1, r2, 32) == 0;
    if (m == 0 || m > n || len == 0) return 0;
    unsigned char path[TLOG_PROOF_MAX + 1][32];
    size_t pl = 0;
    if ((m & (m - 1)) == 0) memcpy(path[pl++], r1, 32); /* m an exact power of 2 */
    memcpy(path[pl], proof, len * 32);
    pl += len;
    uint64_t fn = m - 1, sn = n - 1;
    while (fn & 1) {
        fn >>= 1;
        sn >>= 1;
    }
    unsigned char fr[32], sr[32];
    memcpy(fr, path[0], 32);
    memcpy(sr, path[0], 32);
    for (size_t p = 1; p < pl; p++) {
        if (sn == 0) return 0;
        if ((fn & 1) || fn == sn) {
            node(path[p], fr, fr);
            node(path[p], sr, sr);
            if (!(fn & 1))
                while (!(fn & 1) && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
        } else
            node(sr, path[p], sr);
        fn >>= 1;
        sn >>= 1;
    }
    return memcmp(fr, r1, 32) == 0 && memcmp(sr, r2, 32) == 0 && sn == 0;
}

static void unhex(const char *s, unsigned char *out)
{
    for (size_t i = 0; s[2 * i]; i++) {
        unsigned v;
        assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
        out[i] = (unsigned char)v;
    }
}

/* ---- fixtures ---- */

static int setup_empty(void **state)
{
    *state = registry_fx_new();
    return 0;
}

static int setup_maker(void **state)
{
    struct registry_fx *f = registry_fx_new();
    registry_fx_maker(f->st, "acme", "Acme Devices Ltd", "security@acme.example", "5012345", NULL);
    *state = f;
    return 0;
}

REGISTRY_FX_TEARDOWN(struct registry_fx)

static void append(struct registry_fx *f, const void *e, size_t len, uint64_t want)
{
    struct store_txn *txn;
    uint64_t at;
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(tlog_append_stored(txn, e, len, &at), 0);
    assert_int_equal(store_txn_commit(txn), 0);
    assert_int_equal(at, want);
}

/* ---- the published vectors ---- */

static const char *const ct_leaves[] = {"",
                                        "00",
                                        "10",
                                        "2021",
                                        "3031",
                                        "40414243",
                                        "5051525354555657",
                                        "606162636465666768696a6b6c6d6e6f"};
static const char *const ct_roots[] = {
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};

static void matches_the_rfc6962_test_vectors(void **state)
{
    struct registry_fx *f = *state;
    struct store_txn *txn;
    unsigned char root[32], want[32], proof[TLOG_PROOF_MAX][32];
    size_t len;
    for (size_t i = 0; i < COUNT(ct_leaves); i++) {
        unsigned char e[16];
        size_t el = strlen(ct_leaves[i]) / 2;
        unhex(ct_leaves[i], e);
        append(f, e, el, i);
    }
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(tlog_root(txn, 0, root), 0);
    unhex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", want);
    assert_memory_equal(root, want, 32);
    for (size_t n = 1; n <= COUNT(ct_roots); n++) {
        assert_int_equal(tlog_root(txn, n, root), 0);
        unhex(ct_roots[n - 1], want);
        assert_memory_equal(root, want, 32);
    }
    /* Inclusion of leaf 0 and leaf 5 in the tree of 8, as published. */
    static const char *const p0[] = {
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"};
    static const char *const p5[] = {
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"};
    assert_int_equal(tlog_prove_inclusion(txn, 0, 8, proof, &len), 0);
    assert_int_equal(len, 3);
    for (size_t k = 0; k < 3; k++) {
        unhex(p0[k], want);
        assert_memory_equal(proof[k], want, 32);
    }
    assert_int_equal(tlog_prove_inclusion(txn, 5, 8, proof, &len), 0);
    assert_int_equal(len, 3);
    for (size_t k = 0; k < 3; k++) {
        unhex(p5[k], want);
        assert_memory_equal(proof[k], want, 32);
    }
    /* Out of range. */
    assert_int_equal(tlog_root(txn, 9, root), REG_ENOTFOUND);
    assert_int_equal(tlog_prove_inclusion(txn, 8, 8, proof, &len), REG_ENOTFOUND);
    assert_int_equal(tlog_prove_inclusion(txn, 0, 9, proof, &len), REG_ENOTFOUND);
    assert_int_equal(tlog_prove_consistency(txn, 0, 8, proof, &len), REG_EBADREQ);
    assert_int_equal(tlog_prove_consistency(txn, 5, 4, proof, &len), REG_EBADREQ);
    assert_int_equal(tlog_prove_consistency(txn, 4, 9, proof, &len), REG_ENOTFOUND);
    store_txn_abort(txn);
}

/* ---- every size up to SIZES against the model and the RFC 9162 verifiers ---- */

static void every_root_and_proof_up_to_70_verifies(void **state)
{
    struct registry_fx *f = *state;
    struct store_txn *txn;
    unsigned char lh[SIZES][32], roots[SIZES + 1][32], root[32], proof[TLOG_PROOF_MAX][32];
    size_t len;
    for (uint64_t i = 0; i < SIZES; i++) {
        unsigned char e[3] = {'x', (unsigned char)i, (unsigned char)(i * 7)};
        append(f, e, sizeof e, i);
        leaf(e, sizeof e, lh[i]);
    }
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    for (uint64_t n = 0; n <= SIZES; n++) {
        mth(lh, n, roots[n]);
        assert_int_equal(tlog_root(txn, n, root), 0);
        assert_memory_equal(root, roots[n], 32);
    }
    for (uint64_t n = 1; n <= SIZES; n++) {
        for (uint64_t i = 0; i < n; i++) {
            assert_int_equal(tlog_prove_inclusion(txn, i, n, proof, &len), 0);
            assert_true(verify_inclusion(i, n, lh[i], proof, len, roots[n]));
            /* the verifier can fail: another leaf, or a damaged proof */
            assert_false(verify_inclusion(i, n, lh[(i + 1) % SIZES], proof, len, roots[n]));
            if (len) {
                proof[len - 1][7] ^= 1;
                assert_false(verify_inclusion(i, n, lh[i], proof, len, roots[n]));
            }
        }
        for (uint64_t m = 1; m <= n; m++) {
            assert_int_equal(tlog_prove_consistency(txn, m, n, proof, &len), 0);
            assert_true(verify_consistency(m, n, roots[m], roots[n], proof, len));
            if (m < n) {
                assert_false(verify_consistency(m, n, roots[m - 1], roots[n], proof, len));
                proof[0][3] ^= 1;
                assert_false(verify_consistency(m, n, roots[m], roots[n], proof, len));
            }
        }
    }
    unsigned long problems;
    assert_int_equal(tlog_verify(txn, NULL, NULL, &problems), 0);
    assert_int_equal(problems, 0);
    store_txn_abort(txn);
}

/* ---- tiles and bundles ---- */

static void tiles_and_bundles_read_the_stored_tree(void **state)
{
    struct registry_fx *f = *state;
    struct store_txn *txn;
    unsigned char lh[5][32], tile[5 * 32];
    struct buf b = BUF_INIT;
    const char *es[] = {"a", "", "ccc", "dd", "e"};
    for (uint64_t i = 0; i < 5; i++) {
        append(f, es[i], strlen(es[i]), i);
        leaf(es[i], strlen(es[i]), lh[i]);
    }
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(tlog_tile(txn, 0, 0, 5, tile), 0);
    assert_memory_equal(tile, lh, sizeof tile);
    assert_int_equal(tlog_tile(txn, 0, 0, 6, tile), REG_ENOTFOUND);
    assert_int_equal(tlog_tile(txn, 0, 1, 1, tile), REG_ENOTFOUND);
    assert_int_equal(tlog_tile(txn, 1, 0, 1, tile), REG_ENOTFOUND); /* needs 256 leaves */
    assert_int_equal(tlog_tile(txn, 0, 0, 0, tile), REG_EBADREQ);
    assert_int_equal(tlog_tile(txn, 0, 0, 257, tile), REG_EBADREQ);
    assert_int_equal(tlog_entry_bundle(txn, 0, 5, &b), 0);
    assert_int_equal(b.len, 5 * 2 + 1 + 0 + 3 + 2 + 1);
    assert_memory_equal(b.data, "\0\1a\0\0\0\3ccc\0\2dd\0\1e", b.len);
    assert_int_equal(tlog_entry_bundle(txn, 0, 6, &b), REG_ENOTFOUND);
    struct store_val e;
    assert_int_equal(tlog_entry(txn, 2, &e), 0);
    assert_int_equal(e.len, 3);
    assert_memory_equal(e.data, "ccc", 3);
    assert_int_equal(tlog_entry(txn, 5, &e), REG_ENOTFOUND);
    store_txn_abort(txn);
    buf_free(&b);
}

/* A full tile of level 1 (tree level 8) holds the roots of each 256-leaf subtree. */
static void a_level_one_tile_holds_subtree_roots(void **state)
{
    struct registry_fx *f = *state;
    struct store_txn *txn;
    static unsigned char lh[512][32];
    unsigned char tile[2 * 32], want[32];
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    for (uint64_t i = 0; i < 512; i++) {
        unsigned char e[2] = {(unsigned char)(i >> 8), (unsigned char)i};
        assert_int_equal(tlog_append_stored(txn, e, 2, NULL), 0);
        leaf(e, 2, lh[i]);
    }
    assert_int_equal(store_txn_commit(txn), 0);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(tlog_tile(txn, 1, 0, 2, tile), 0);
    mth(lh, 256, want);
    assert_memory_equal(tile, want, 32);
    mth(lh + 256, 256, want);
    assert_memory_equal(tile + 32, want, 32);
    assert_int_equal(tlog_tile(txn, 1, 0, 3, tile), REG_ENOTFOUND);
    store_txn_abort(txn);
}

/* ---- the write path ---- */

static void put(struct registry_fx *f, const char *id, const char *json, int want)
{
    struct decl_errors errs;
    struct product_result res;
    assert_int_equal(product_put(f->st, "acme", id, json, strlen(json), PRODUCT_NO_PRECONDITION,
                                 &errs, NULL, &res),
                     want);
}

static void collect(void *ctx, const char *line)
{
    buf_puts(ctx, line);
    buf_putc(ctx, '\n');
}

static unsigned long verify(struct registry_fx *f, struct buf *lines)
{
    struct store_txn *txn;
    unsigned long n;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(tlog_verify(txn, collect, lines, &n), 0);
    store_txn_abort(txn);
    return n;
}

static void versions_and_maker_events_are_logged(void **state)
{
    struct registry_fx *f = *state;
    struct store_txn *txn;
    struct store_val e;
    uint64_t size, at;
    const char *json;
    size_t len;
    put(f, "acme-cam", DECL_OK, 0);
    char *v2 = json_with_field(DECL_OK, "support_date", "\"2031-12-31\"");
    put(f, "acme-cam", v2, 0);
    free(v2);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(tlog_size(txn, &size), 0);
    assert_int_equal(size, 4); /* added, gs1_prefix_added, version 1, version 2 */
    assert_int_equal(tlog_entry(txn, 0, &e), 0);
    assert_int_equal(strncmp(e.data, "{\"manufacturer_event\":\"added\",\"time\":\"", 38), 0);
    assert_non_null(strstr(e.data, "\"slug\":\"acme\",\"name\":\"Acme Devices Ltd\",\"status\":"
                                   "\"active\",\"verified\":false,\"gs1_prefixes\":[],"
                                   "\"id_prefixes\":[]}"));
    assert_null(memmem(e.data, e.len, "security@", 9)); /* the contact is never logged */
    assert_int_equal(tlog_entry(txn, 1, &e), 0);
    assert_non_null(memmem(e.data, e.len,
                           "\"gs1_prefixes\":[\"5012345\"],\"id_prefixes\":[],"
                           "\"detail\":\"5012345\"}",
                           59));
    for (unsigned v = 1; v <= 2; v++) {
        assert_int_equal(tlog_index(txn, "acme-cam", v, &at), 0);
        assert_int_equal(at, v + 1);
        assert_int_equal(product_get_version(txn, "acme-cam", v, &json, &len), 0);
        assert_int_equal(tlog_entry(txn, at, &e), 0);
        assert_int_equal(e.len, len);
        assert_memory_equal(e.data, json, len);
    }
    assert_int_equal(tlog_index(txn, "acme-cam", 3, &at), REG_ENOTFOUND);
    store_txn_abort(txn);
    struct buf lines = BUF_INIT;
    assert_int_equal(verify(f, &lines), 0);
    buf_free(&lines);
}

/* A record longer than an entry may be is refused before anything is stored. */
static void a_record_too_long_for_the_log_is_refused(void **state)
{
    struct registry_fx *f = *state;
    struct store_txn *txn;
    uint64_t size;
    const char *json;
    size_t len;
    /* A body within REG_MAX_BODY whose record, with the registry's members added, is longer
     * than an entry may be: 64 version strings, 63 of 1,020 characters and one padded to a body of
     * 65,530 bytes. */
    char *big = NULL;
    size_t pad = 1000;
    for (int round = 0; round < 2; round++) {
        struct buf raw = BUF_INIT;
        buf_putc(&raw, '[');
        for (int i = 0; i < 64; i++) {
            buf_puts(&raw, i ? ",\"" : "\"");
            for (size_t k = 0; k < (i == 63 ? pad : 1020); k++)
                buf_putc(&raw, (char)('a' + (k + (size_t)i) % 26));
            buf_putc(&raw, '"');
        }
        buf_putc(&raw, ']');
        free(big);
        big = json_with_field(DECL_OK, "version_and_model_numbers", buf_cstr(&raw));
        buf_free(&raw);
        pad += 65530 - strlen(big); /* the body grows one byte per padding byte */
    }
    assert_int_equal(strlen(big), 65530);
    struct decl_errors errs;
    struct product_result res;
    int rc = product_put(f->st, "acme", "acme-big", big, strlen(big), PRODUCT_NO_PRECONDITION,
                         &errs, NULL, &res);
    if (rc == REG_EINVALID) fprintf(stderr, "%s: %s\n", errs.e[0].path, errs.e[0].why.text);
    assert_int_equal(rc, REG_ELOGENTRY);
    assert_non_null(strstr(res.why.text, "65535"));
    free(big);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(product_get_version(txn, "acme-big", 1, &json, &len), REG_ENOTFOUND);
    assert_int_equal(tlog_size(txn, &size), 0);
    assert_int_equal(size, 2); /* the maker's two events only */
    store_txn_abort(txn);
}

/* A database written before the log: the first write backfills it (makers, then versions). */
static void an_older_database_is_backfilled(void **state)
{
    struct registry_fx *f = *state;
    struct store_txn *txn;
    uint64_t size, at, added;
    struct store_val e;
    put(f, "acme-a", DECL_OK, 0);
    put(f, "acme-b", DECL_OK, 0);
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(store_clear(txn, STORE_TLOG), 0); /* as an older release left it */
    assert_int_equal(store_txn_commit(txn), 0);
    struct buf lines = BUF_INIT;
    assert_int_not_equal(verify(f, &lines), 0); /* versions without entries */
    assert_non_null(strstr(buf_cstr(&lines), "version 1 of acme-a has no entry"));
    buf_free(&lines);
    put(f, "acme-c", DECL_OK, 0);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(tlog_size(txn, &size), 0);
    assert_int_equal(size, 4); /* snapshot of acme, acme-a, acme-b, then acme-c */
    assert_int_equal(tlog_entry(txn, 0, &e), 0);
    assert_int_equal(strncmp(e.data, "{\"manufacturer_event\":\"snapshot\"", 32), 0);
    assert_int_equal(tlog_index(txn, "acme-a", 1, &at), 0);
    assert_int_equal(at, 1);
    assert_int_equal(tlog_index(txn, "acme-c", 1, &at), 0);
    assert_int_equal(at, 3);
    store_txn_abort(txn);
    lines = (struct buf)BUF_INIT;
    assert_int_equal(verify(f, &lines), 0);
    buf_free(&lines);
    assert_int_equal(tlog_backfill(f->st, &added), 0); /* never over an existing log */
    assert_int_equal(added, 0);
}

/* verify recomputes the stored hashes and names one that was changed. */
static void verify_names_a_corrupted_hash(void **state)
{
    struct registry_fx *f = *state;
    struct store_txn *txn;
    put(f, "acme-a", DECL_OK, 0);
    put(f, "acme-b", DECL_OK, 0);
    /* entries 0..3: the level-1 hash 1 covers entries 2 and 3 (stored index 5: tlog.h) */
    unsigned char key[9] = {'x', 0, 0, 0, 0, 0, 0, 0, 5}, bad[32] = {0};
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(store_put(txn, STORE_TLOG, key, sizeof key, bad, sizeof bad, 0), 0);
    assert_int_equal(store_txn_commit(txn), 0);
    struct buf lines = BUF_INIT;
    assert_int_equal(verify(f, &lines), 1);
    assert_non_null(strstr(buf_cstr(&lines), "hash 1 (level 1) differs"));
    buf_free(&lines);
}

/* ---- storage: append order, and the format-1 layout converted ---- */

/* Hash (level, i) of the tree over leaf hashes lh, by the model. */
static void subtree(unsigned char (*lh)[32], unsigned level, uint64_t i, unsigned char out[32])
{
    mth(lh + (i << level), (size_t)1 << level, out);
}

struct keys {
    unsigned char (*lh)[32];
    uint64_t next; /* the stored index the next "x" key must have */
};

/* Go's tlog.SplitStoredHashIndex(0..14), as (level, index): the order of 8 leaves' hashes. */
static const unsigned char go_order[][2] = {{0, 0}, {0, 1}, {1, 0}, {0, 2}, {0, 3},
                                            {1, 1}, {2, 0}, {0, 4}, {0, 5}, {1, 2},
                                            {0, 6}, {0, 7}, {1, 3}, {2, 1}, {3, 0}};

static int stored_in_go_order(void *ctx, struct store_val key, struct store_val val)
{
    struct keys *k = ctx;
    unsigned char want[32];
    assert_int_equal(key.len, 9);
    assert_int_equal(store_be_get((const unsigned char *)key.data + 1, 8), k->next);
    assert_true(k->next < COUNT(go_order));
    subtree(k->lh, go_order[k->next][0], go_order[k->next][1], want);
    assert_true(val.len >= 32);
    assert_memory_equal(val.data, want, 32);
    k->next++;
    return 0;
}

/* Every hash is keyed by its place in append order (Go's StoredHashIndex), and the last of them
 * is the table's last key: appends append. */
static void hashes_are_stored_in_append_order(void **state)
{
    struct registry_fx *f = *state;
    struct store_txn *txn;
    unsigned char lh[8][32];
    struct store_val last;
    for (uint64_t i = 0; i < 8; i++) {
        unsigned char e[2] = {'e', (unsigned char)i};
        append(f, e, sizeof e, i);
        leaf(e, sizeof e, lh[i]);
    }
    struct keys k = {lh, 0};
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(store_scan(txn, STORE_TLOG, "x", 1, stored_in_go_order, &k), 0);
    assert_int_equal(k.next, COUNT(go_order));
    assert_int_equal(store_last_key(txn, STORE_TLOG, &last), 0);
    assert_int_equal(last.len, 9);
    assert_memory_equal(last.data, "x\0\0\0\0\0\0\0\x0e", 9);
    store_txn_abort(txn);
}

#define OLD_SIZE 13 /* entries of the format-1 log below: levels 0 to 3 */

/* What the log answers, to compare before and after a conversion. */
struct answers {
    unsigned char roots[OLD_SIZE + 1][32];
    unsigned char incl[OLD_SIZE][TLOG_PROOF_MAX][32], cons[OLD_SIZE][TLOG_PROOF_MAX][32];
    size_t incl_len[OLD_SIZE], cons_len[OLD_SIZE];
    unsigned char tile[OLD_SIZE * 32];
    struct buf bundle;
};

static void answer(struct registry_fx *f, struct answers *a)
{
    struct store_txn *txn;
    uint64_t size;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(tlog_size(txn, &size), 0);
    assert_int_equal(size, OLD_SIZE);
    for (uint64_t n = 0; n <= OLD_SIZE; n++)
        assert_int_equal(tlog_root(txn, n, a->roots[n]), 0);
    for (uint64_t i = 0; i < OLD_SIZE; i++) {
        assert_int_equal(tlog_prove_inclusion(txn, i, OLD_SIZE, a->incl[i], &a->incl_len[i]), 0);
        assert_int_equal(tlog_prove_consistency(txn, i + 1, OLD_SIZE, a->cons[i], &a->cons_len[i]),
                         0);
    }
    assert_int_equal(tlog_tile(txn, 0, 0, OLD_SIZE, a->tile), 0);
    a->bundle = (struct buf)BUF_INIT;
    assert_int_equal(tlog_entry_bundle(txn, 0, OLD_SIZE, &a->bundle), 0);
    unsigned long problems;
    assert_int_equal(tlog_verify(txn, NULL, NULL, &problems), 0);
    assert_int_equal(problems, 0);
    store_txn_abort(txn);
}

static void same_answers(struct answers *a, struct answers *b)
{
    assert_memory_equal(a->roots, b->roots, sizeof a->roots);
    for (size_t i = 0; i < OLD_SIZE; i++) {
        assert_int_equal(a->incl_len[i], b->incl_len[i]);
        assert_memory_equal(a->incl[i], b->incl[i], a->incl_len[i] * 32);
        assert_int_equal(a->cons_len[i], b->cons_len[i]);
        if (a->cons_len[i]) assert_memory_equal(a->cons[i], b->cons[i], a->cons_len[i] * 32);
    }
    assert_memory_equal(a->tile, b->tile, sizeof a->tile);
    assert_int_equal(a->bundle.len, b->bundle.len);
    assert_memory_equal(a->bundle.data, b->bundle.data, a->bundle.len);
    buf_free(&a->bundle);
    buf_free(&b->bundle);
}

static void put_key(struct store_txn *txn, const void *key, size_t klen, const void *v, size_t vlen)
{
    assert_int_equal(store_put(txn, STORE_TLOG, key, klen, v, vlen, 0), 0);
}

/* A log of OLD_SIZE entries as c27f10a stored it (format 1: "n" size, "e" u64be(i) entry
 * references, "h" u8(level) u64be(i) hashes, "v" as now): the maker's two events, versions 1 of
 * acme-a, acme-b and acme-c, then eight entries the log stores. Its answers in *a. */
static void make_format_1(struct registry_fx *f, struct answers *a)
{
    static const char *const ids[] = {"acme-a", "acme-b", "acme-c"};
    struct store_txn *txn;
    unsigned char lh[OLD_SIZE][32], h[32], key[10], v[8];
    struct buf refs[OLD_SIZE];
    for (size_t p = 0; p < COUNT(ids); p++)
        put(f, ids[p], DECL_OK, 0);
    for (uint64_t i = 2 + COUNT(ids); i < OLD_SIZE; i++) {
        unsigned char e[3] = {'o', 'l', (unsigned char)i};
        append(f, e, sizeof e, i);
    }
    answer(f, a);
    /* each entry's format-1 reference, and its leaf hash */
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    for (uint64_t i = 0; i < OLD_SIZE; i++) {
        struct store_val e;
        refs[i] = (struct buf)BUF_INIT;
        assert_int_equal(tlog_entry(txn, i, &e), 0);
        leaf(e.data, e.len, lh[i]);
        if (i >= 2 && i < 2 + COUNT(ids)) {
            buf_putc(&refs[i], 'p');
            buf_append(&refs[i], ids[i - 2], strlen(ids[i - 2]) + 1);
            buf_append(&refs[i], "\0\0\0\1", 4);
        } else {
            buf_putc(&refs[i], 'm');
            buf_append(&refs[i], e.data, e.len);
        }
    }
    assert_int_equal(store_clear(txn, STORE_TLOG), 0);
    store_be_put(OLD_SIZE, v, 8);
    put_key(txn, "n", 1, v, 8);
    for (uint64_t i = 0; i < OLD_SIZE; i++) {
        key[0] = 'e';
        store_be_put(i, key + 1, 8);
        put_key(txn, key, 9, refs[i].data, refs[i].len);
        buf_free(&refs[i]);
        if (i >= 2 && i < 2 + COUNT(ids)) { /* "v" id "\0" u32be(1) -> u64be(i) */
            unsigned char vk[16] = {'v'};
            size_t il = strlen(ids[i - 2]);
            memcpy(vk + 1, ids[i - 2], il + 1);
            memcpy(vk + 2 + il, "\0\0\0\1", 4);
            store_be_put(i, v, 8);
            put_key(txn, vk, il + 6, v, 8);
        }
    }
    for (unsigned level = 0; level < 4; level++)
        for (uint64_t i = 0; ((i + 1) << level) <= OLD_SIZE; i++) {
            key[0] = 'h';
            key[1] = (unsigned char)level;
            store_be_put(i, key + 2, 8);
            subtree(lh, level, i, h);
            put_key(txn, key, 10, h, 32);
        }
    assert_int_equal(store_txn_commit(txn), 0);
}

/* None of format 1's keys is left, and the size is format 2's. */
static void no_format_1_keys(struct registry_fx *f)
{
    struct store_txn *txn;
    struct store_val k;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    for (const char *tag = "ehn"; *tag; tag++)
        assert_int_equal(store_seek(txn, STORE_TLOG, tag, 1, tag, 1, &k), REG_ENOTFOUND);
    assert_int_equal(store_get(txn, STORE_TLOG, "t", 1, &k), 0);
    assert_int_equal(k.len, 9);
    assert_int_equal(*(const unsigned char *)k.data, 2);
    store_txn_abort(txn);
}

/* seclabeld's start-up (tlog_backfill) moves a format-1 log to format 2: the same tree, the same
 * proofs, tiles and bundles; nothing is backfilled over it; appends go on after it. */
static void a_format_1_log_is_converted_at_start_up(void **state)
{
    struct registry_fx *f = *state;
    struct answers before, after;
    struct store_txn *txn;
    uint64_t added = 1, size, at;
    make_format_1(f, &before);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(tlog_size(txn, &size), 0);
    assert_int_equal(size, 0); /* not converted yet: reads as no log */
    store_txn_abort(txn);
    assert_int_equal(tlog_backfill(f->st, &added), 0);
    assert_int_equal(added, 0);
    no_format_1_keys(f);
    answer(f, &after);
    same_answers(&before, &after);
    put(f, "acme-d", DECL_OK, 0);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(tlog_index(txn, "acme-b", 1, &at), 0);
    assert_int_equal(at, 3);
    assert_int_equal(tlog_index(txn, "acme-d", 1, &at), 0);
    assert_int_equal(at, OLD_SIZE);
    store_txn_abort(txn);
    struct buf lines = BUF_INIT;
    assert_int_equal(verify(f, &lines), 0);
    buf_free(&lines);
}

/* A write to a format-1 log that no start-up converted (seclabel admin writes to the data
 * directory itself) converts it first, in its own transaction, then appends. */
static void an_append_converts_a_format_1_log(void **state)
{
    struct registry_fx *f = *state;
    struct answers before;
    make_format_1(f, &before);
    append(f, "next", 4, OLD_SIZE);
    no_format_1_keys(f);
    struct store_txn *txn;
    unsigned char root[32], lh[32], proof[TLOG_PROOF_MAX][32];
    size_t len;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    for (uint64_t n = 0; n <= OLD_SIZE; n++) {
        assert_int_equal(tlog_root(txn, n, root), 0);
        assert_memory_equal(root, before.roots[n], 32);
    }
    /* the new entry extends the same tree */
    assert_int_equal(tlog_root(txn, OLD_SIZE + 1, root), 0);
    assert_int_equal(tlog_prove_consistency(txn, OLD_SIZE, OLD_SIZE + 1, proof, &len), 0);
    assert_true(
        verify_consistency(OLD_SIZE, OLD_SIZE + 1, before.roots[OLD_SIZE], root, proof, len));
    assert_int_equal(tlog_prove_inclusion(txn, OLD_SIZE, OLD_SIZE + 1, proof, &len), 0);
    leaf("next", 4, lh);
    assert_true(verify_inclusion(OLD_SIZE, OLD_SIZE + 1, lh, proof, len, root));
    store_txn_abort(txn);
    buf_free(&before.bundle);
    struct buf lines = BUF_INIT;
    assert_int_equal(verify(f, &lines), 0);
    buf_free(&lines);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(matches_the_rfc6962_test_vectors, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(every_root_and_proof_up_to_70_verifies, setup_empty,
                                        teardown),
        cmocka_unit_test_setup_teardown(tiles_and_bundles_read_the_stored_tree, setup_empty,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_level_one_tile_holds_subtree_roots, setup_empty,
                                        teardown),
        cmocka_unit_test_setup_teardown(versions_and_maker_events_are_logged, setup_maker,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_record_too_long_for_the_log_is_refused, setup_maker,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_older_database_is_backfilled, setup_maker, teardown),
        cmocka_unit_test_setup_teardown(verify_names_a_corrupted_hash, setup_maker, teardown),
        cmocka_unit_test_setup_teardown(hashes_are_stored_in_append_order, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(a_format_1_log_is_converted_at_start_up, setup_maker,
                                        teardown),
        cmocka_unit_test_setup_teardown(an_append_converts_a_format_1_log, setup_maker, teardown),
    };
    return cmocka_run_group_tests_name("tlog", tests, NULL, NULL);
}
