/* test_commit.c: group commit (commit.h) on a real store: writes queued before the committer
 * starts commit as one group; a refusal is its write's own; a storage error in a group redoes
 * each write alone, so only the writes it really stops fail (a full map at its maximum among
 * them); many threads queueing and waiting at once all get their writes stored; each write's
 * `final` is called once, on the committer thread; freeing the queue commits every write still
 * queued first. */
#include "harness.h"
#include "registry_fx.h"

#include "commit.h"
#include "err.h"
#include "store.h"

#include <pthread.h>
#include <stdio.h>

static int setup(void **state)
{
    struct registry_fx *f = registry_fx_new();
    *state = f;
    return 0;
}

REGISTRY_FX_TEARDOWN(struct registry_fx)

/* A write of vlen bytes under key into the meta table, or a refusal, or a storage error the
 * first `fail` times it is applied (after it wrote, so the abort must undo that). */
struct tw {
    struct commit_write cw; /* first */
    char key[32];
    size_t vlen;
    int refuse, fail, prepared;
    int outcome; /* apply's: 0 or REG_EPRECOND */
};

static char value[400 * 1024];

static void tw_prepare(struct commit_write *cw)
{
    ((struct tw *)cw)->prepared++;
}

static int tw_apply(struct store_txn *txn, struct commit_write *cw)
{
    struct tw *w = (struct tw *)cw;
    w->outcome = 0;
    if (w->refuse) {
        w->outcome = REG_EPRECOND;
        return 0;
    }
    int rc = store_put(txn, STORE_META, w->key, strlen(w->key), value, w->vlen, 0);
    if (!rc && w->fail) {
        w->fail--;
        return REG_ESTORE;
    }
    return rc;
}

static void tw_init(struct tw *w, const char *fmt, unsigned n, size_t vlen)
{
    memset(w, 0, sizeof *w);
    snprintf(w->key, sizeof w->key, fmt, n);
    w->vlen = vlen;
    w->cw.prepare = tw_prepare;
    w->cw.apply = tw_apply;
}

/* 1 if key is stored (with vlen bytes). */
static int stored(struct store *st, const char *key, size_t vlen)
{
    struct store_txn *txn;
    struct store_val v;
    assert_int_equal(store_txn_begin(st, 0, &txn), 0);
    int rc = store_get(txn, STORE_META, key, strlen(key), &v);
    store_txn_abort(txn);
    if (rc == REG_ENOTFOUND) return 0;
    assert_int_equal(rc, 0);
    assert_int_equal(v.len, vlen);
    return 1;
}

static void writes_queued_before_a_wait_commit_as_one_group(void **state)
{
    struct registry_fx *f = *state;
    struct commit_queue *q = commit_queue_new(f->st);
    struct tw w[20];
    for (unsigned i = 0; i < 20; i++) {
        tw_init(&w[i], "k%u", i, 100);
        w[i].refuse = i % 7 == 3; /* 3, 10, 17 */
        commit_enqueue(q, &w[i].cw);
    }
    struct commit_stats s;
    commit_stats(q, &s);
    assert_int_equal(s.pending, 20);
    assert_int_equal(commit_start(q), 0); /* takes all twenty */
    commit_wait(q, &w[0].cw);
    commit_stats(q, &s);
    assert_int_equal(s.groups, 1);
    assert_int_equal(s.writes, 20);
    assert_int_equal(s.pending, 0);
    for (unsigned i = 0; i < 20; i++) {
        commit_wait(q, &w[i].cw); /* done already */
        assert_int_equal(w[i].cw.rc, 0);
        assert_int_equal(w[i].prepared, 1);
        assert_int_equal(w[i].outcome, w[i].refuse ? REG_EPRECOND : 0);
        assert_int_equal(stored(f->st, w[i].key, 100), !w[i].refuse);
    }
    commit_queue_free(q);
}

static void a_storage_error_redoes_each_write_alone(void **state)
{
    struct registry_fx *f = *state;
    struct commit_queue *q = commit_queue_new(f->st);
    struct tw w[6];
    for (unsigned i = 0; i < 6; i++) {
        tw_init(&w[i], "e%u", i, 100);
        commit_enqueue(q, &w[i].cw);
    }
    w[2].fail = 1;   /* fails in the group only: alone it is stored */
    w[4].fail = 100; /* fails every time: its own error, nothing of it stored */
    assert_int_equal(commit_start(q), 0);
    commit_wait(q, &w[5].cw);
    struct commit_stats s;
    commit_stats(q, &s);
    assert_int_equal(s.groups, 5); /* the group failed; five of six alone succeeded */
    assert_int_equal(s.writes, 5);
    for (unsigned i = 0; i < 6; i++) {
        commit_wait(q, &w[i].cw);
        assert_int_equal(w[i].cw.rc, i == 4 ? REG_ESTORE : 0);
        assert_int_equal(stored(f->st, w[i].key, 100), i != 4);
        assert_int_equal(w[i].prepared, 1);
    }
    commit_queue_free(q);
}

/* A group larger than the map's maximum fails with REG_ENOSPC; alone, the writes that still
 * fit are stored and the others get REG_ENOSPC, and everything stored stays. */
static void a_full_map_fails_only_the_writes_that_do_not_fit(void **state)
{
    struct registry_fx *f = *state;
    struct store_opts o = {STORE_MAP_MIN, 2 * STORE_MAP_MIN};
    store_close(f->st);
    assert_int_equal(store_open_opts(f->dir, &o, &f->st), 0);
    struct tw first;
    tw_init(&first, "f%u", 99, 1000);
    commit_one(f->st, &first.cw);
    assert_int_equal(first.cw.rc, 0);
    struct commit_queue *q = commit_queue_new(f->st);
    struct tw w[10]; /* 10 x 300 KB: more than 2 MiB */
    for (unsigned i = 0; i < 10; i++) {
        tw_init(&w[i], "f%u", i, 300 * 1024);
        commit_enqueue(q, &w[i].cw);
    }
    assert_int_equal(commit_start(q), 0);
    commit_wait(q, &w[0].cw);
    unsigned ok = 0;
    for (unsigned i = 0; i < 10; i++) {
        commit_wait(q, &w[i].cw);
        if (w[i].cw.rc == 0) {
            ok++;
            assert_true(stored(f->st, w[i].key, w[i].vlen));
        } else {
            assert_int_equal(w[i].cw.rc, REG_ENOSPC);
            assert_false(stored(f->st, w[i].key, w[i].vlen));
        }
    }
    assert_true(ok >= 2 && ok < 10);
    assert_true(stored(f->st, first.key, 1000));
    commit_queue_free(q);
    store_close(f->st); /* and after opening again */
    assert_int_equal(store_open_opts(f->dir, &o, &f->st), 0);
    assert_true(stored(f->st, first.key, 1000));
    for (unsigned i = 0; i < 10; i++)
        assert_int_equal(stored(f->st, w[i].key, w[i].vlen), w[i].cw.rc == 0);
}

#define THREADS 8
#define PER_THREAD 50

struct writer {
    struct commit_queue *q;
    unsigned t;
    struct tw w[PER_THREAD];
};

static void *write_some(void *arg)
{
    struct writer *wr = arg;
    for (unsigned i = 0; i < PER_THREAD; i++) {
        tw_init(&wr->w[i], "t%05u", wr->t * 1000 + i, 64);
        commit_enqueue(wr->q, &wr->w[i].cw);
        commit_wait(wr->q, &wr->w[i].cw);
    }
    return NULL;
}

static void many_threads_queue_and_wait_at_once(void **state)
{
    struct registry_fx *f = *state;
    struct commit_queue *q = commit_queue_new(f->st);
    assert_int_equal(commit_start(q), 0);
    static struct writer wr[THREADS];
    pthread_t th[THREADS];
    for (unsigned t = 0; t < THREADS; t++) {
        wr[t].q = q;
        wr[t].t = t;
        assert_int_equal(pthread_create(&th[t], NULL, write_some, &wr[t]), 0);
    }
    for (unsigned t = 0; t < THREADS; t++)
        pthread_join(th[t], NULL);
    struct commit_stats s;
    commit_stats(q, &s);
    assert_int_equal(s.writes, THREADS * PER_THREAD);
    assert_true(s.groups >= 1 && s.groups <= s.writes);
    for (unsigned t = 0; t < THREADS; t++)
        for (unsigned i = 0; i < PER_THREAD; i++) {
            assert_int_equal(wr[t].w[i].cw.rc, 0);
            assert_true(stored(f->st, wr[t].w[i].key, 64));
        }
    commit_queue_free(q);
}

/* A `final` that counts its calls and the thread it ran on. */
static int finals;
static pthread_t final_thread;
static void count_final(struct commit_write *cw)
{
    struct tw *w = (struct tw *)cw;
    w->outcome += 100; /* final after apply: apply resets outcome */
    finals++;          /* the committer's only: read after commit_queue_free joined it */
    final_thread = pthread_self();
}

static void freeing_the_queue_commits_every_write_queued_and_calls_each_final(void **state)
{
    struct registry_fx *f = *state;
    struct commit_queue *q = commit_queue_new(f->st);
    assert_int_equal(commit_start(q), 0);
    static struct tw w[300]; /* more than COMMIT_GROUP_MAX: two groups at least */
    finals = 0;
    for (unsigned i = 0; i < 300; i++) {
        tw_init(&w[i], "q%u", i, 64);
        w[i].refuse = i == 7;
        w[i].cw.final = count_final;
        commit_enqueue(q, &w[i].cw);
    }
    commit_queue_free(q); /* nothing waited: the committer finishes them before it ends */
    assert_int_equal(finals, 300);
    assert_false(pthread_equal(final_thread, pthread_self()));
    for (unsigned i = 0; i < 300; i++) {
        assert_int_equal(w[i].cw.rc, 0);
        assert_int_equal(w[i].outcome, 100 + (i == 7 ? REG_EPRECOND : 0));
        assert_int_equal(stored(f->st, w[i].key, 64), i != 7);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(writes_queued_before_a_wait_commit_as_one_group, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_storage_error_redoes_each_write_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(a_full_map_fails_only_the_writes_that_do_not_fit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(many_threads_queue_and_wait_at_once, setup, teardown),
        cmocka_unit_test_setup_teardown(
            freeing_the_queue_commits_every_write_queued_and_calls_each_final, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
