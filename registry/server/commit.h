/* commit.h: group commit. Single writes (a PUT, a withdrawal) that arrive while a commit is in
 * flight join the next one: one write transaction and one fsync for all of them, each still
 * answered only after the commit that holds it is durable.
 *
 * A write is queued (commit_enqueue, from any thread: the event loops) and committed by the
 * queue's own thread, the committer (commit_start): it takes every write queued so far (at most
 * COMMIT_GROUP_MAX), prepares each outside the write transaction (parses its body), applies them
 * in order inside one transaction and commits it, then tells each write's owner (its `final`
 * callback, or commit_wait). So no thread of libuv's pool ever waits for an fsync: the pool is
 * left to the reads (api_defer_read), and a burst of writers cannot starve them. Every write
 * that arrived during a commit is in the next one.
 *
 * Each write's refusal is its own: `apply` must leave the transaction as it found it when it
 * refuses (product_put_in's contract) and report the refusal in its own state. A storage error
 * (apply's or the commit's: REG_ENOSPC at the map's maximum, a full disk, ...) aborts the group,
 * and then each of its writes is done again alone, in order, in its own transaction, so a
 * storage error is the answer of only the writes it really stops, and nothing committed before
 * is touched. (A full map below its maximum never shows here: store.c grows it and redoes the
 * whole transaction.)
 *
 * Test hook (tests/integration/test_committer.py): with SECLABEL_TEST_HOLD_COMMITS naming a
 * file that exists, the committer holds each group it has taken, before committing it, while
 * the file exists (testhold.h).
 *
 * Ownership: the caller owns each struct commit_write and keeps it (and whatever apply reads)
 * unchanged from commit_enqueue until its `final` callback has been called (or commit_wait has
 * returned). The queue is shared by every event loop of the process and outlives all their
 * writes. */
#ifndef SECLABEL_COMMIT_H
#define SECLABEL_COMMIT_H

#include <stddef.h>

/* Writes per group at most: bounds one transaction's size and the wait of its first write. */
#define COMMIT_GROUP_MAX 256

struct store;
struct store_txn;
struct commit_write;

/* Outside any transaction (may be NULL): make what apply needs (parse the body). Called once
 * per write, before its first apply. */
typedef void (*commit_prepare_fn)(struct commit_write *w);
/* Inside txn: do the write, or refuse it leaving txn as it was, and record the outcome in w's
 * own state (resetting what an earlier attempt recorded). Returns 0 when txn is still good
 * (written or refused), or a storage error: txn must be aborted. */
typedef int (*commit_apply_fn)(struct store_txn *txn, struct commit_write *w);

/* On the committer thread, once w's outcome (w->rc and apply's) is final: hand w back to its
 * owner. commit.c touches w no more once it is called, so it may pass w on to be freed. */
typedef void (*commit_final_fn)(struct commit_write *w);

struct commit_write {
    commit_prepare_fn prepare;
    commit_apply_fn apply;
    commit_final_fn final; /* or NULL: the owner waits with commit_wait */
    void *final_arg;       /* the owner's, for `final` */
    /* Out, valid once final: 0 when apply's outcome is durable (or was a refusal), else the
     * storage error that stopped this write (nothing of it is stored). */
    int rc;
    /* commit.c's own */
    struct commit_write *next;
    int done;
};

struct commit_queue;
/* A queue for the writes to store st (borrowed: it must outlive the queue); its committer is
 * not running yet: what is queued before commit_start waits for it. */
struct commit_queue *commit_queue_new(struct store *st);
/* Start q's committer thread (it takes no signals): 0, or REG_EINTERNAL (no thread).
 * Once, before any thread but the caller's uses q. */
int commit_start(struct commit_queue *q);
/* Stop the committer once it has committed every write queued (each answered), join it, and
 * free q. Nothing may be queued any more. */
void commit_queue_free(struct commit_queue *q);

/* Queue w (prepare and apply set, final or not) for the next group; from any thread. */
void commit_enqueue(struct commit_queue *q, struct commit_write *w);
/* For a write queued without `final` (tools and tests): block until its group has committed
 * (or failed); then w->rc and apply's outcome are final. The committer must be started. */
void commit_wait(struct commit_queue *q, struct commit_write *w);
/* w alone, in its own transaction, with no queue: for callers without one (tools, tests). */
void commit_one(struct store *st, struct commit_write *w);

/* What the queue has done, for /metrics: groups committed, writes in them, and writes queued
 * or being committed (not final yet). */
struct commit_stats {
    unsigned long long groups, writes, pending;
};
void commit_stats(const struct commit_queue *q, struct commit_stats *out);

#endif
