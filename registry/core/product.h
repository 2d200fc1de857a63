/* product.h: product records: accepting a declaration as a new immutable version, reading the
 * current record. The registry's write rules live here; storage details stay in store.c.
 *
 * A record is the declaration plus the fields the registry manages, stored as compact JSON:
 *   {"id","version","status","manufacturer","created","modified", ...declaration fields}
 * Every accepted change is written in one transaction: as version N in the versions table
 * (never changed again), as the current version's number in the products table, and as one
 * entry of the changes feed (changes.h); the gtins and owners indexes follow in the same
 * transaction. Nothing is ever deleted.
 *
 * GTINs persist. A GTIN, once registered for a product, is printed on its boxes and labels and
 * scanned for years; so it keeps leading to that product for ever: when the product moves to
 * another GTIN, drops its GTIN or is withdrawn, the gtins index keeps the old entry (/01/<old>
 * still resolves to the product, whose history shows the change), and no other product may
 * take it (REG_EGTINTAKEN). The other rule, refusing to change a published GTIN, would leave a
 * maker no way to correct a wrong one; this one lets them, and loses no label. The product
 * itself may go back to a GTIN it carried before. */
#ifndef SECLABEL_PRODUCT_H
#define SECLABEL_PRODUCT_H

#include "buf.h"
#include "decl.h"
#include "why.h"

#include <stddef.h>
#include <stdint.h>

struct store;
struct store_txn;

struct product_result {
    int created;        /* 1 if this call created the product */
    int unchanged;      /* 1 if nothing changed (no new version) */
    unsigned version;   /* the current version after the call */
    struct reg_why why; /* for REG_ESHORTEN, REG_EGTINTAKEN, ...: the conflict in words */
    char owner[64];     /* for REG_EFORBIDDEN: the manufacturer that owns the product */
};

/* If-Match for product_put: PRODUCT_ANY_VERSION ("*"), a version number, or: */
#define PRODUCT_NO_PRECONDITION (-1L)
#define PRODUCT_ANY_VERSION 0L
#define PRODUCT_NEVER_MATCHES (-2L) /* an If-Match that names no version of ours */

/* Accept `body` (a JSON declaration) for product `id` on behalf of manufacturer `owner` (a
 * slug). The first manufacturer to register an ID owns it, and may create it only inside its
 * namespaces; a GTIN must lie in its GS1 Company Prefixes; the record's manufacturer_name is
 * the account's (mfr.h). `if_match`, unless
 * PRODUCT_NO_PRECONDITION, must name the current version. Returns 0 and fills res and record
 * (the stored record, appended), or: REG_EBADID, REG_EBADJSON (message in errs->e[0]),
 * REG_EINVALID (all problems in errs), REG_EFORBIDDEN (another owner's product: res->owner),
 * REG_ENAMESPACE (a new ID outside the owner's namespaces), REG_EMFRNAME (manufacturer_name is
 * not the account's), REG_EGTINPREFIX (a GTIN outside the owner's prefixes), REG_EPRECOND,
 * REG_EWITHDRAWN, REG_ESHORTEN (support_date earlier than the published one), REG_EGTINTAKEN
 * (res->why says which product has it), REG_ELOGENTRY (the record would be longer than a
 * transparency-log entry may be: tlog.h), or a storage error; res->why explains each refusal.
 * On any error nothing is written. Every version written is appended to the log (tlog.h) in
 * the same transaction. */
int product_put(struct store *st, const char *owner, const char *id, const char *body, size_t len,
                long if_match, struct decl_errors *errs, struct buf *record,
                struct product_result *res);

/* product_put's dry run: every check of product_put, in a write transaction that is always
 * aborted, so nothing is ever written; the return value, res and record are what product_put
 * would give now (the record that would be stored). It holds the write lock while it runs, as
 * product_put does. */
int product_put_dry(struct store *st, const char *owner, const char *id, const char *body,
                    size_t len, long if_match, struct decl_errors *errs, struct buf *record,
                    struct product_result *res);

/* Parse a declaration's body as product_put does: 0 and *out (the caller frees it with
 * yyjson_doc_free), or REG_EBADJSON with the message in errs->e[0]. */
int product_parse(const char *body, size_t len, struct decl_errors *errs, yyjson_doc **out);

/* product_put inside the caller's write transaction, for many writes in one commit (a batch):
 * `owner` is the manufacturer as read in txn (mfr_get), `decl` the parsed declaration (both
 * borrowed). `record` may be NULL. A refusal of this one declaration (see
 * product_put_refusal) leaves txn exactly as it was; any other error means txn is in an
 * unknown state and must be aborted. Nothing is durable until the caller commits txn. */
struct mfr;
int product_put_in(struct store_txn *txn, const struct mfr *owner, const char *id, yyjson_val *decl,
                   long if_match, struct decl_errors *errs, struct buf *record,
                   struct product_result *res);
/* 1 if rc is one of product_put_in's refusals (the transaction is still good). */
int product_put_refusal(int rc);

/* product_withdraw inside the caller's write transaction (a group commit: the server's
 * commit.h): the same checks and record, appended to `record` (may be NULL). A refusal
 * (product_withdraw_refusal) leaves txn exactly as it was; any other error means txn must be
 * aborted. Nothing is durable until the caller commits txn. */
int product_withdraw_in(struct store_txn *txn, const char *owner, const char *id, long if_match,
                        struct buf *record, struct product_result *res);
/* 1 if rc is one of product_withdraw_in's refusals (the transaction is still good). */
int product_withdraw_refusal(int rc);

/* Mark `id` withdrawn as a new version (it stays readable). Withdrawing a withdrawn product
 * changes nothing (res->unchanged). if_match as for product_put. Errors: REG_ENOTFOUND,
 * REG_EFORBIDDEN, REG_EPRECOND, storage errors. */
int product_withdraw(struct store *st, const char *owner, const char *id, long if_match,
                     struct buf *record, struct product_result *res);

/* A mirror's replay (seclabeld --mirror-of): store the logged product version json[0..len) (an
 * entry of the primary's log, tlog.h) byte for byte as that version, inside the caller's write
 * transaction, through the same path product_put_in and product_withdraw_in store a version:
 * the versions table, the current-version pointer, the owners and GTIN indexes, the search
 * index, the changes feed (dated by the record's "modified") and the log, whose next entry it
 * becomes. The write rules are not checked again (the primary's signed log vouches for the
 * entry), only that it follows what txn holds: version 1 of a product it lacks, or the next
 * version of one with the same manufacturer. REG_EINVALID (why says what does not follow)
 * leaves txn as it was; any other error is the store's, and txn must be aborted. */
int product_apply_logged(struct store_txn *txn, const char *json, size_t len, struct reg_why *why);

/* 1 if the declaration fields of record `old` (registry and computed fields ignored) equal
 * declaration `decl`, a GTIN compared as stored (14 digits): a PUT of decl makes no version. */
int product_same_declaration(yyjson_val *old, yyjson_val *decl);

/* The products table holds, for each ID, the number of its newest version (4 bytes, big
 * endian), whose record is in the versions table: each record is stored once. A data directory
 * written before that holds the record itself there (a JSON object); both are read.
 * product_resolve turns a products-table value (v, for ID id[0..idlen)) into the record,
 * borrowed from txn: for code that scans the products table. REG_ESTORE if it is damaged. */
struct store_val;
int product_resolve(struct store_txn *txn, const void *id, size_t idlen, struct store_val v,
                    const char **json, size_t *len);
/* The current record of `id`, borrowed from txn (see store.h): REG_ENOTFOUND if absent. */
int product_get(struct store_txn *txn, const char *id, const char **json, size_t *len);
/* Version `version` of `id`, borrowed: REG_ENOTFOUND if absent. */
int product_get_version(struct store_txn *txn, const char *id, unsigned version, const char **json,
                        size_t *len);
/* The product that carries GTIN `gtin14` (14 digits) or carried it before (see the file
 * comment): its ID copied into id_out. REG_ENOTFOUND if no product ever carried it. */
int product_by_gtin(struct store_txn *txn, const char *gtin14, char id_out[DECL_ID_MAX + 1]);

/* Each version of `id` in order, oldest first: fn gets the record JSON (borrowed for the call);
 * returns 0 to go on, 1 to stop, negative to fail. REG_ENOTFOUND if there is none. */
typedef int (*product_version_fn)(void *ctx, const char *json, size_t len);
int product_each_version(struct store_txn *txn, const char *id, product_version_fn fn, void *ctx);

/* Each product of manufacturer `slug`, in ID order, starting after `after` (NULL: the first).
 * 0, fn's negative code, REG_EBADREQ for a slug or `after` too long to be one, or the store's. */
typedef int (*product_id_fn)(void *ctx, const char *id, size_t len);
int product_each_of_owner(struct store_txn *txn, const char *slug, const char *after,
                          product_id_fn fn, void *ctx);

/* Rebuild the owners and gtins indexes from the products table when they lag behind it (a data
 * directory written before the indexes existed), then, once per data directory, index the
 * GTINs of every older version that no product holds (GTINs dropped before they persisted:
 * their labels resolve again). *rebuilt gets the number of products and former GTINs indexed
 * (0 when nothing was needed). */
int product_reindex(struct store *st, size_t *rebuilt);
/* The same in write transaction txn (dataver.h: part of a data directory's upgrade). */
int product_reindex_in(struct store_txn *txn, size_t *rebuilt);

#endif
