/* commit.h: group commit. Single writes (a PUT, a withdrawal) that arrive while a commit is in
 * flight join the next one: one write transaction and one fsync for all of them, each still
 * answered only after the commit that holds it is durable.
 *
 * A write is queued (commit_enqueue) on the event loop, then waited for (commit_wait) on the
 * thread pool: the first waiter that finds no commit under way leads one: it takes every write
 * queued so far (at most COMMIT_GROUP_MAX), prepares each outside the write transaction (parses
 * its body), applies them in order inside one transaction and commits it; the others wait for
 * it and return once their own write is done. Writes are queued from the loop, not by the pool
 * work, so a group is not bounded by the pool's threads: every write that arrived during a
 * commit is in the next one.
 *
 * Each write's refusal is its own: `apply` must leave the transaction as it found it when it
 * refuses (product_put_in's contract) and report the refusal in its own state. A storage error
 * (apply's or the commit's: REG_ENOSPC at the map's maximum, a full disk, ...) aborts the group,
 * and then each of its writes is done again alone, in order, in its own transaction, so a
 * storage error is the answer of only the writes it really stops, and nothing committed before
 * is touched. (A full map below its maximum never shows here: store.c grows it and redoes the
 * whole transaction.)
 *
 * Ownership: the caller owns each struct commit_write and keeps it (and whatever apply reads)
 * unchanged from commit_enqueue until commit_wait has returned. The queue is shared by every
 * event loop of the process and outlives all their writes. */
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

struct commit_write {
    commit_prepare_fn prepare;
    commit_apply_fn apply;
    /* Out, valid after commit_wait: 0 when apply's outcome is durable (or was a refusal),
     * else the storage error that stopped this write (nothing of it is stored). */
    int rc;
    /* commit.c's own */
    struct commit_write *next;
    int done;
};

struct commit_queue;
/* A queue for the writes to store st (borrowed: it must outlive the queue). */
struct commit_queue *commit_queue_new(struct store *st);
/* Free a queue that holds no write (every commit_wait has returned). */
void commit_queue_free(struct commit_queue *q);

/* Queue w (prepare and apply set) for the next group; from any thread. */
void commit_enqueue(struct commit_queue *q, struct commit_write *w);
/* Block until w's group has committed (or failed), leading groups while none is under way;
 * then w->rc and apply's outcome are final. On a thread that holds no transaction open. */
void commit_wait(struct commit_queue *q, struct commit_write *w);
/* w alone, in its own transaction, with no queue: for callers without one (tools, tests). */
void commit_one(struct store *st, struct commit_write *w);

/* What the queue has done, for /metrics: groups committed, and writes in them. */
struct commit_stats {
    unsigned long long groups, writes;
};
void commit_stats(const struct commit_queue *q, struct commit_stats *out);

#endif
