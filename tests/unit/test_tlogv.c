/* test_tlogv.c: the client's proof checks (tlogv.h) against the proofs tlog.c makes: for every
 * tree size up to 70, every inclusion proof (every leaf) and every consistency proof (every
 * older size) is accepted, and each is refused once one thing about it is changed: the leaf
 * hash, the root, the index, the size, one hash of the proof, the proof's length; and two
 * roots for the same size (a fork). */
#include "harness.h"
#include "registry_fx.h"

#include "err.h"
#include "store.h"
#include "tlog.h"
#include "tlogv.h"

#define SIZES 70

struct tree {
    struct registry_fx *fx;
    struct store_txn *txn;                /* a read transaction over the whole log */
    unsigned char leaf[SIZES][TLOG_HASH]; /* leaf hashes */
    unsigned char root[SIZES + 1][TLOG_HASH];
};

/* A log of SIZES entries made by tlog.c, with its leaf hashes and the root of every size. */
static int setup(void **state)
{
    struct tree *t = calloc(1, sizeof *t);
    struct store_txn *txn;
    t->fx = registry_fx_new();
    for (unsigned i = 0; i < SIZES; i++) {
        char e[32];
        int len = snprintf(e, sizeof e, "{\"entry\":%u}", i);
        uint64_t at;
        assert_int_equal(store_txn_begin(t->fx->st, 1, &txn), 0);
        assert_int_equal(tlog_append_stored(txn, e, (size_t)len, &at), 0);
        assert_int_equal(store_txn_commit(txn), 0);
        assert_int_equal(at, i);
        tlog_leaf_hash(e, (size_t)len, t->leaf[i]);
    }
    assert_int_equal(store_txn_begin(t->fx->st, 0, &t->txn), 0);
    for (uint64_t n = 0; n <= SIZES; n++)
        assert_int_equal(tlog_root(t->txn, n, t->root[n]), 0);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct tree *t = *state;
    store_txn_abort(t->txn);
    registry_fx_close(t->fx->dir, t->fx->st);
    free(t->fx);
    free(t);
    return 0;
}

static int inclusion(const struct tree *t, uint64_t i, uint64_t n, const unsigned char *leaf,
                     const unsigned char *proof, size_t len, const unsigned char *root)
{
    struct reg_why why = {""};
    int rc = tlogv_inclusion(i, n, leaf, proof, len, root, &why);
    (void)t;
    if (rc) {
        assert_int_equal(rc, REG_EBADPROOF);
        assert_true(why.text[0] != '\0'); /* every refusal says why */
    }
    return rc;
}

static void every_inclusion_proof_up_to_70_is_checked(void **state)
{
    struct tree *t = *state;
    unsigned char proof[TLOG_PROOF_MAX + 1][TLOG_HASH], bad[TLOG_HASH];
    size_t len;
    for (uint64_t n = 1; n <= SIZES; n++)
        for (uint64_t i = 0; i < n; i++) {
            assert_int_equal(tlog_prove_inclusion(t->txn, i, n, proof, &len), 0);
            const unsigned char *p = proof[0], *leaf = t->leaf[i], *root = t->root[n];
            assert_int_equal(inclusion(t, i, n, leaf, p, len, root), 0);
            /* another leaf's hash, another root */
            assert_int_not_equal(inclusion(t, i, n, t->leaf[(i + 1) % SIZES], p, len, root), 0);
            memcpy(bad, root, TLOG_HASH);
            bad[31] ^= 0x80;
            assert_int_not_equal(inclusion(t, i, n, leaf, p, len, bad), 0);
            if (n > 1) assert_int_not_equal(inclusion(t, i, n, leaf, p, len, t->root[n - 1]), 0);
            /* another index: the neighbour (in the tree) and one past the end */
            assert_int_not_equal(inclusion(t, i ^ 1, n, leaf, p, len, root), 0);
            assert_int_not_equal(inclusion(t, n, n, leaf, p, len, root), 0);
            /* another size, with that size's own root */
            if (n < SIZES)
                assert_int_not_equal(inclusion(t, i, n + 1, leaf, p, len, t->root[n + 1]), 0);
            if (i < n - 1)
                assert_int_not_equal(inclusion(t, i, n - 1, leaf, p, len, t->root[n - 1]), 0);
            /* one hash changed, one missing, one too many */
            for (size_t k = 0; k < len; k++) {
                proof[k][k % TLOG_HASH] ^= 1;
                assert_int_not_equal(inclusion(t, i, n, leaf, p, len, root), 0);
                proof[k][k % TLOG_HASH] ^= 1;
            }
            if (len) assert_int_not_equal(inclusion(t, i, n, leaf, p, len - 1, root), 0);
            memcpy(proof[len], t->leaf[0], TLOG_HASH);
            assert_int_not_equal(inclusion(t, i, n, leaf, p, len + 1, root), 0);
        }
}

static int consistency(uint64_t m, uint64_t n, const unsigned char *r1, const unsigned char *r2,
                       const unsigned char *proof, size_t len)
{
    struct reg_why why = {""};
    int rc = tlogv_consistency(m, n, r1, r2, proof, len, &why);
    if (rc) {
        assert_int_equal(rc, REG_EBADPROOF);
        assert_true(why.text[0] != '\0');
    }
    return rc;
}

static void every_consistency_proof_up_to_70_is_checked(void **state)
{
    struct tree *t = *state;
    unsigned char proof[TLOG_PROOF_MAX + 1][TLOG_HASH], bad[TLOG_HASH];
    size_t len;
    for (uint64_t n = 1; n <= SIZES; n++)
        for (uint64_t m = 1; m <= n; m++) {
            assert_int_equal(tlog_prove_consistency(t->txn, m, n, proof, &len), 0);
            const unsigned char *p = proof[0], *r1 = t->root[m], *r2 = t->root[n];
            assert_int_equal(consistency(m, n, r1, r2, p, len), 0);
            /* another old root, another new root (for m == n: a fork) */
            memcpy(bad, r1, TLOG_HASH);
            bad[0] ^= 1;
            assert_int_not_equal(consistency(m, n, bad, r2, p, len), 0);
            memcpy(bad, r2, TLOG_HASH);
            bad[5] ^= 4;
            assert_int_not_equal(consistency(m, n, r1, bad, p, len), 0);
            /* other sizes, each with its own root */
            if (m > 1) assert_int_not_equal(consistency(m - 1, n, t->root[m - 1], r2, p, len), 0);
            if (m < n) assert_int_not_equal(consistency(m + 1, n, t->root[m + 1], r2, p, len), 0);
            if (n < SIZES)
                assert_int_not_equal(consistency(m, n + 1, r1, t->root[n + 1], p, len), 0);
            if (m < n) {
                assert_int_not_equal(consistency(m, n - 1, r1, t->root[n - 1], p, len), 0);
                /* one hash changed, one missing, one too many, none */
                for (size_t k = 0; k < len; k++) {
                    proof[k][(k * 7) % TLOG_HASH] ^= 2;
                    assert_int_not_equal(consistency(m, n, r1, r2, p, len), 0);
                    proof[k][(k * 7) % TLOG_HASH] ^= 2;
                }
                assert_int_not_equal(consistency(m, n, r1, r2, p, len - 1), 0);
                memcpy(proof[len], t->leaf[3], TLOG_HASH);
                assert_int_not_equal(consistency(m, n, r1, r2, p, len + 1), 0);
                assert_int_not_equal(consistency(m, n, r1, r2, p, 0), 0);
            } else {
                assert_int_equal(len, 0); /* equal sizes: nothing to prove but equal roots */
                assert_int_not_equal(consistency(m, n, r1, r2, t->leaf[0], 1), 0);
            }
        }
    /* sizes no proof can join */
    assert_int_not_equal(consistency(0, 5, t->root[0], t->root[5], t->leaf[0], 1), 0);
    assert_int_not_equal(consistency(6, 5, t->root[6], t->root[5], t->leaf[0], 1), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_inclusion_proof_up_to_70_is_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(every_consistency_proof_up_to_70_is_checked, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("tlogv", tests, NULL, NULL);
}
