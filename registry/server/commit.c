/* commit.c: group commit (see commit.h): a queue of writes, and the committer thread that
 * commits them in groups. */
#include "commit.h"

#include "buf.h"
#include "err.h"
#include "store.h"
#include "testhold.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>

struct commit_queue {
    struct store *st;
    pthread_mutex_t mu;
    pthread_cond_t queued;            /* a write was queued, or stopping was set */
    pthread_cond_t ended;             /* a group has ended (commit_wait) */
    struct commit_write *head, *tail; /* queued for the next group, in arrival order */
    int stopping;                     /* commit_queue_free: end once the queue is empty */
    int started;
    pthread_t thread;
    const char *hold;                      /* SECLABEL_TEST_HOLD_COMMITS (commit.h), or NULL */
    atomic_ullong groups, writes, pending; /* commit_stats */
};

struct commit_queue *commit_queue_new(struct store *st)
{
    struct commit_queue *q = xcalloc(1, sizeof *q);
    q->st = st;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->queued, NULL);
    pthread_cond_init(&q->ended, NULL);
    return q;
}

void commit_enqueue(struct commit_queue *q, struct commit_write *w)
{
    w->next = NULL;
    w->done = 0;
    w->rc = 0;
    pthread_mutex_lock(&q->mu);
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
    atomic_fetch_add_explicit(&q->pending, 1, memory_order_relaxed);
    pthread_cond_signal(&q->queued);
    pthread_mutex_unlock(&q->mu);
}

/* The writes of list (n of them, linked by next) in one transaction: 0, or the storage error
 * that stopped them (nothing of theirs is stored then). */
static int apply_all(struct store *st, struct commit_write *list, size_t n)
{
    struct store_txn *txn;
    int rc = store_txn_begin(st, 1, &txn);
    if (rc) return rc;
    for (struct commit_write *w = list; n-- && !rc; w = w->next)
        rc = w->apply(txn, w);
    if (rc) {
        store_txn_abort(txn);
        return rc;
    }
    return store_txn_commit(txn);
}

static void count(struct commit_queue *q, size_t writes)
{
    if (q) {
        atomic_fetch_add_explicit(&q->groups, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&q->writes, writes, memory_order_relaxed);
    }
}

/* Commit group (n writes, linked by next) in one transaction; if storage fails, each write
 * again in its own, so the error is the answer of only those it stops. */
static void run_group(struct commit_queue *q, struct store *st, struct commit_write *group,
                      size_t n)
{
    struct commit_write *w = group;
    for (size_t i = 0; i < n; i++, w = w->next)
        if (w->prepare) w->prepare(w);
    int rc = apply_all(st, group, n);
    if (!rc || n == 1) {
        group->rc = rc; /* n == 1: its own error */
        if (!rc) count(q, n);
        return;
    }
    w = group;
    for (size_t i = 0; i < n; i++, w = w->next)
        if (!(w->rc = apply_all(st, w, 1))) count(q, 1);
}

void commit_one(struct store *st, struct commit_write *w)
{
    w->rc = 0;
    w->next = NULL;
    run_group(NULL, st, w, 1);
    w->done = 1;
}

/* Take up to COMMIT_GROUP_MAX queued writes (q->mu held); *n gets how many. */
static struct commit_write *take_group(struct commit_queue *q, size_t *n)
{
    struct commit_write *group = q->head, *last = group;
    *n = 1;
    while (last->next && *n < COMMIT_GROUP_MAX) {
        last = last->next;
        ++*n;
    }
    q->head = last->next;
    if (!q->head) q->tail = NULL;
    last->next = NULL;
    return group;
}

/* Hand back every write of group: those with a `final` to it, the others to commit_wait. */
static void finish_group(struct commit_queue *q, struct commit_write *group)
{
    pthread_mutex_lock(&q->mu);
    for (struct commit_write *g = group; g; g = g->next) {
        atomic_fetch_sub_explicit(&q->pending, 1, memory_order_relaxed);
        if (!g->final) g->done = 1;
    }
    pthread_cond_broadcast(&q->ended);
    pthread_mutex_unlock(&q->mu);
    /* Once final is called its owner may free it: read next first. */
    for (struct commit_write *g = group, *next; g; g = next) {
        next = g->next;
        if (g->final) g->final(g);
    }
}

/* The committer: a group as soon as a write is queued, until stopped with the queue empty. */
static void *committer(void *arg)
{
    struct commit_queue *q = arg;
    pthread_mutex_lock(&q->mu);
    for (;;) {
        while (!q->head && !q->stopping)
            pthread_cond_wait(&q->queued, &q->mu);
        if (!q->head) break; /* stopping, and every write is answered */
        size_t n;
        struct commit_write *group = take_group(q, &n);
        pthread_mutex_unlock(&q->mu);
        test_hold(q->hold);
        run_group(q, q->st, group, n);
        finish_group(q, group);
        pthread_mutex_lock(&q->mu);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

int commit_start(struct commit_queue *q)
{
    q->hold = getenv("SECLABEL_TEST_HOLD_COMMITS");
    /* No signal for the committer (threads inherit the mask): the loops handle them, and a
     * sanitizer holds back a signal taken by a thread that seldom enters an intercepted call
     * (srv.c, start_loop_threads). */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&q->thread, NULL, committer, q);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) return REG_EINTERNAL;
    q->started = 1;
    return 0;
}

void commit_queue_free(struct commit_queue *q)
{
    if (!q) return;
    if (q->started) {
        pthread_mutex_lock(&q->mu);
        q->stopping = 1;
        pthread_cond_signal(&q->queued);
        pthread_mutex_unlock(&q->mu);
        pthread_join(q->thread, NULL);
    }
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->queued);
    pthread_cond_destroy(&q->ended);
    free(q);
}

void commit_wait(struct commit_queue *q, struct commit_write *w)
{
    pthread_mutex_lock(&q->mu);
    while (!w->done)
        pthread_cond_wait(&q->ended, &q->mu);
    pthread_mutex_unlock(&q->mu);
}

void commit_stats(const struct commit_queue *q, struct commit_stats *out)
{
    out->groups = atomic_load_explicit(&q->groups, memory_order_relaxed);
    out->writes = atomic_load_explicit(&q->writes, memory_order_relaxed);
    out->pending = atomic_load_explicit(&q->pending, memory_order_relaxed);
}
