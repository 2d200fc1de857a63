/* dataver.h: the data directory's format, one number for everything stored in it, so that an
 * upgrade is explicit: written when a directory is made, checked whenever seclabeld opens one.
 *
 *   meta "format" -> u32be(format)
 *
 * Formats (docs/OPERATIONS.md, "Upgrades"):
 *   1  no mark: every release before the mark existed (3d0629d and before, without the
 *      transparency log; and the first releases with it, log storage format 1 or 2)
 *   2  the mark; the owners and gtins indexes complete, former GTINs indexed (product.h), the
 *      transparency log holding every version in storage format 2 (tlog.h)
 * An older directory is brought to DATAVER_CURRENT in ONE write transaction (dataver_upgrade:
 * product_reindex_in, then tlog_backfill_in, which builds the log or converts it, then the
 * mark): a crash or a failure on the way leaves it as it was, to be upgraded at the next start.
 * A newer one is refused before anything in it is written (dataver_check). The search index is
 * derived data with a version of its own (sindex.h), rebuilt apart, in bounded transactions. */
#ifndef SECLABEL_DATAVER_H
#define SECLABEL_DATAVER_H

#include "store.h"
#include "why.h"

#include <stdint.h>

#define DATAVER_CURRENT 2u

/* The format of the directory dir as stored, read without writing anything: *format gets its
 * mark, 1 for a database without one, 0 when dir holds no database yet. REG_EDATAFORMAT (why
 * names both formats, one line) if it is newer than DATAVER_CURRENT; other errors as
 * store_open_existing (a database this code cannot read: 0, and the write open will say). */
int dataver_check(const char *dir, unsigned *format, struct reg_why *why);

/* The mark in txn: *format as dataver_check says it (1: none; 0: none and no records at all). */
int dataver_read(struct store_txn *txn, unsigned *format);

/* Bring st to DATAVER_CURRENT in one write transaction: *from gets the format it had (0: new,
 * nothing to convert, only the mark written; DATAVER_CURRENT: nothing done), *logged the log
 * entries the upgrade added. REG_EDATAFORMAT (with why) if the mark is newer. */
int dataver_upgrade(struct store *st, unsigned *from, uint64_t *logged, struct reg_why *why);

#endif
