/* product.h: product records: accepting a declaration as a new immutable version, reading the
 * current record. The registry's write rules live here; storage details stay in store.c.
 *
 * A record is the declaration plus the fields the registry manages, stored as compact JSON:
 *   {"id","version","status","manufacturer","created","modified", ...declaration fields}
 * Every accepted change is written twice in one transaction: as version N in the versions
 * table (never changed again) and as the current record in the products table. */
#ifndef SECLABEL_PRODUCT_H
#define SECLABEL_PRODUCT_H

#include "buf.h"
#include "decl.h"

#include <stddef.h>

struct store;
struct store_txn;

struct product_result {
    int created;      /* 1 if this PUT created the product */
    int unchanged;    /* 1 if the declaration equals the current one (no new version) */
    unsigned version; /* the current version after the call */
};

/* Accept `body` (a JSON declaration) for product `id` on behalf of manufacturer `owner`.
 * The first manufacturer to register an ID owns it. Returns 0 and fills res and record (the
 * stored record, appended), or: REG_EBADID, REG_EBADJSON (message in errs->e[0]),
 * REG_EINVALID (all problems in errs), REG_EFORBIDDEN (another owner's product), or a storage
 * error. On any error nothing is written. */
int product_put(struct store *st, const char *owner, const char *id, const char *body, size_t len,
                struct decl_errors *errs, struct buf *record, struct product_result *res);

/* The current record of `id`, borrowed from txn (see store.h): REG_ENOTFOUND if absent. */
int product_get(struct store_txn *txn, const char *id, const char **json, size_t *len);

#endif
