/* commit.c: group commit (see commit.h): a queue of writes, and the leader that commits them in
 * groups on whichever pool thread waits first. */
#include "commit.h"

#include "buf.h"
#include "store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct commit_queue {
    struct store *st;
    pthread_mutex_t mu;
    pthread_cond_t cv;                /* a group has ended */
    struct commit_write *head, *tail; /* queued for the next group, in arrival order */
    int leading;                      /* a group is being committed */
    atomic_ullong groups, writes;     /* commit_stats */
};

struct commit_queue *commit_queue_new(struct store *st)
{
    struct commit_queue *q = xcalloc(1, sizeof *q);
    q->st = st;
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cv, NULL);
    return q;
}

void commit_queue_free(struct commit_queue *q)
{
    if (!q) return;
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cv);
    free(q);
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

void commit_wait(struct commit_queue *q, struct commit_write *w)
{
    pthread_mutex_lock(&q->mu);
    while (!w->done) {
        if (q->leading || !q->head) { /* !head: w is in the group under way */
            pthread_cond_wait(&q->cv, &q->mu);
            continue;
        }
        size_t n;
        struct commit_write *group = take_group(q, &n);
        q->leading = 1;
        pthread_mutex_unlock(&q->mu);
        run_group(q, q->st, group, n);
        pthread_mutex_lock(&q->mu);
        /* Once done is set its owner may free it: read next first. */
        for (struct commit_write *g = group, *next; g; g = next) {
            next = g->next;
            g->done = 1;
        }
        q->leading = 0;
        pthread_cond_broadcast(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
}

void commit_stats(const struct commit_queue *q, struct commit_stats *out)
{
    out->groups = atomic_load_explicit(&q->groups, memory_order_relaxed);
    out->writes = atomic_load_explicit(&q->writes, memory_order_relaxed);
}
