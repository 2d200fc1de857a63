/* dataver.c: the data directory's format mark, checked and upgraded (dataver.h). */
#include "dataver.h"

#include "err.h"
#include "product.h"
#include "tlog.h"

#include <string.h>

#define MARK "format"

static int newer(unsigned format, struct reg_why *why)
{
    return reg_why_set(why, REG_EDATAFORMAT,
                       "the data directory is in format %u, newer than this seclabel's format %u: "
                       "run the release that wrote it (or a newer one), or restore a backup "
                       "made by this one",
                       format, DATAVER_CURRENT);
}

int dataver_read(struct store_txn *txn, unsigned *format)
{
    struct store_val v;
    int rc = store_get(txn, STORE_META, MARK, strlen(MARK), &v);
    if (!rc) {
        if (v.len != 4) return REG_EINTERNAL; /* a mark of another size: not one we wrote */
        *format = (unsigned)store_be_get(v.data, 4);
        return 0;
    }
    if (rc != REG_ENOTFOUND) return rc;
    /* No mark: a directory from before it, unless nothing was ever stored. */
    size_t products = 0, makers = 0;
    if ((rc = store_count(txn, STORE_PRODUCTS, &products)) ||
        (rc = store_count(txn, STORE_MANUFACTURERS, &makers)))
        return rc;
    *format = products || makers ? 1 : 0;
    return 0;
}

int dataver_check(const char *dir, unsigned *format, struct reg_why *why)
{
    struct store *st;
    struct store_txn *txn;
    *format = 0;
    int rc = store_open_existing(dir, 0, &st);
    if (rc) return rc == REG_ENODB || rc == REG_ENOTFOUND ? 0 : rc;
    if (!(rc = store_txn_begin(st, 0, &txn))) {
        rc = dataver_read(txn, format);
        store_txn_abort(txn);
    }
    store_close(st);
    if (!rc && *format > DATAVER_CURRENT) return newer(*format, why);
    return rc;
}

int dataver_upgrade(struct store *st, unsigned *from, uint64_t *logged, struct reg_why *why)
{
    struct store_txn *txn;
    size_t reindexed = 0;
    *logged = 0;
    int rc = store_txn_begin(st, 1, &txn);
    if (rc) return rc;
    if ((rc = dataver_read(txn, from)) || *from == DATAVER_CURRENT) {
        store_txn_abort(txn);
        return rc;
    }
    if (*from > DATAVER_CURRENT) {
        store_txn_abort(txn);
        return newer(*from, why);
    }
    /* 1 -> 2: the indexes, then the log (built, or converted from its format 1). */
    if (*from == 1 && !(rc = product_reindex_in(txn, &reindexed)))
        rc = tlog_backfill_in(txn, logged);
    unsigned char mark[4];
    store_be_put(DATAVER_CURRENT, mark, 4);
    if (!rc) rc = store_put(txn, STORE_META, MARK, strlen(MARK), mark, 4, 0);
    if (rc) {
        store_txn_abort(txn);
        return rc;
    }
    return store_txn_commit(txn);
}
