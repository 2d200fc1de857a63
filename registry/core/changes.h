/* changes.h: the changes feed (GET /v1/changes, docs/API.md "Changes feed"): one entry per write,
 * numbered by seq (1, 2, ...), appended in the write's own transaction. Two kinds of entry:
 *   a product's version:   {"seq","id","version","kind","time","manufacturer"}
 *       kind "created", "updated" or "withdrawn" (what product.c wrote);
 *   a manufacturer's account event: {"seq","kind":"manufacturer","event","time","manufacturer"}
 *       event as the transparency log names it: "added" or one of MFR_CHANGE_MAP's (mfr.h).
 * Both name the maker's slug in "manufacturer". IDs, slugs, kinds, events and times are plain
 * ASCII (decl_id_valid, decl_slug_valid, date_rfc3339), written into the JSON unescaped. */
#ifndef SECLABEL_CHANGES_H
#define SECLABEL_CHANGES_H

#include "store.h"

#include <stddef.h>
#include <stdint.h>

/* The kind of a manufacturer's account event. */
#define CHANGES_KIND_MAKER "manufacturer"

/* Append version `version` of product id (owned by owner), written at time now as `kind`. */
int changes_append_product(struct store_txn *txn, const char *id, unsigned version,
                           const char *kind, const char *owner, const char *now);
/* Append manufacturer slug's account event `event` at time now. */
int changes_append_maker(struct store_txn *txn, const char *slug, const char *event,
                         const char *now);

/* Each change with seq > since, in seq order; fn gets the change's JSON (borrowed for the call)
 * and returns non-zero to stop. */
typedef int (*changes_fn)(void *ctx, const char *json, size_t len);
int changes_each(struct store_txn *txn, uint64_t since, changes_fn fn, void *ctx);
/* The newest change's seq (0 if none). */
int changes_last_seq(struct store_txn *txn, uint64_t *seq);

#endif
