/* mfr.h: manufacturers, the accounts that own product records. The registry operator creates
 * them and vouches for them; everything the registry says about who speaks comes from here:
 *
 *   - the name shown with every product (never free text from a declaration);
 *   - the product-ID namespaces a maker may create IDs in: "<slug>-" always, plus prefixes the
 *     operator grants; no two makers' namespaces overlap (one is never a prefix of another,
 *     compared without regard to case), so an ID can belong to one maker's namespace at most;
 *   - the GS1 Company Prefixes its GTINs must fall in (6-12 digits of the GTIN-13 form, that is
 *     the GTIN-14 without its indicator digit; GS1 allocates them without overlap, and so does
 *     the registry);
 *   - whether, when and on what evidence the operator verified the maker, and which prefixes
 *     and security contact that verification covered;
 *   - the maker's history: every operator change, dated.
 *
 * Stored as JSON in the manufacturers table under the slug:
 *   {"slug","name","contact"?,"website"?,"status":"active"|"disabled","created",
 *    "gs1_prefixes":[..],"id_prefixes":[..],
 *    "verification":{"time","evidence","gs1_prefixes":[..],"contact"?}   (absent: unverified)
 *    "history":[{"time","event","detail"?}, ...]}
 * Every change also bumps the meta table's "manufacturers" generation, which a running server
 * watches to drop answers it cached (pages show the maker's name and verification).
 *
 * Ownership: a struct mfr filled by mfr_get owns everything it points to (mfr_free frees it
 * all); its strings are valid until then. mfr_each lends one to its callback for the call.
 * Nothing here keeps a pointer into the database, and nothing outside mfr.c reads the
 * manufacturers table or its JSON. */
#ifndef SECLABEL_MFR_H
#define SECLABEL_MFR_H

#include "auth.h"
#include "buf.h"

#include <stddef.h>
#include <stdint.h>
#include <yyjson.h>

struct reg_why;
struct store;
struct store_txn;

#define MFR_PREFIX_MIN 6 /* digits of a GS1 Company Prefix */
#define MFR_PREFIX_MAX 12
#define MFR_NAME_MAX 200  /* characters of a manufacturer's name */
#define MFR_TEXT_MAX 1000 /* characters of evidence or a reason */

struct mfr_info { /* borrowed strings; contact and website may be NULL */
    const char *slug;
    const char *name;
    const char *contact;
    const char *website;
};

/* Strings in stored order: v[0..n) (v is NULL when n is 0). */
struct mfr_list {
    const char **v;
    size_t n;
};

/* The operator's verification, and what it covered. */
struct mfr_verification {
    int64_t day;                  /* the day it was made (days since 1970-01-01), or -1 */
    const char *time, *evidence;  /* as recorded; NULL if absent */
    const char *contact;          /* the security contact it covered, or NULL */
    struct mfr_list gs1_prefixes; /* the GS1 Company Prefixes it covered */
};

/* One dated entry of the maker's history. */
struct mfr_event {
    const char *time, *event; /* never NULL; event as in MFR_CHANGE_MAP, or "added" */
    const char *detail;       /* the change's argument, or NULL */
};

/* A manufacturer as stored. */
struct mfr {
    const char *slug, *name, *status;        /* never NULL after mfr_get */
    const char *contact, *website, *created; /* NULL if not recorded */
    int disabled;                            /* status is "disabled": its tokens do not work */
    struct mfr_list gs1_prefixes;            /* its GS1 Company Prefixes */
    struct mfr_list id_prefixes;             /* product-ID prefixes granted beyond "<slug>-" */
    int verified;                            /* 1: verification holds the operator's check */
    struct mfr_verification verification;    /* day -1 and all empty while unverified */
    struct mfr_event *history;               /* oldest first */
    size_t history_len;
    void *priv; /* mfr.c's: the parsed record the strings point into */
};

/* Read manufacturer slug: 0, REG_ENOTFOUND, or REG_ESTORE if its record is damaged. */
int mfr_get(struct store_txn *txn, const char *slug, struct mfr *out);
/* Free what m holds and zero it (a zeroed struct mfr may be freed too). */
void mfr_free(struct mfr *m);

/* Call fn for every manufacturer, in slug order; m is NULL when slug's stored record is
 * damaged. fn returns 0 to go on, 1 to stop, or a negative REG_E* code, which mfr_each
 * returns. */
typedef int (*mfr_each_fn)(void *ctx, const char *slug, const struct mfr *m);
int mfr_each(struct store_txn *txn, mfr_each_fn fn, void *ctx);

/* Issue a further API token for manufacturer slug (copied to out): REG_ENOTFOUND if there is
 * no such manufacturer. */
int mfr_token_issue(struct store_txn *txn, const char *slug, char out[AUTH_TOKEN_LEN + 1]);
/* The manufacturer that API token token[0..len) speaks for, its slug copied to slug_out:
 * REG_EAUTH if the token is unknown or revoked, or its maker is gone or disabled. */
int mfr_find_by_token(struct store_txn *txn, const char *token, size_t len,
                      char slug_out[AUTH_SLUG_MAX]);

/* 1 if product ID id lies in one of m's namespaces. */
int mfr_owns_id(const struct mfr *m, const char *id);
/* 1 if GTIN gtin14 (14 digits) lies in one of m's GS1 Company Prefixes. */
int mfr_owns_gtin(const struct mfr *m, const char *gtin14);
/* m's namespaces as "'acme-'" or "'acme-', 'ac-'"; its prefixes as "5012345, 4006381" or
 * "none recorded": for messages. */
void mfr_namespaces_text(const struct mfr *m, struct buf *out);
void mfr_prefixes_text(const struct mfr *m, struct buf *out);

/* Create manufacturer m and its first API token (copied to token_out), in one transaction.
 * REG_EBADSLUG for a bad slug; REG_EINVALID for a bad name, contact (an e-mail address or an
 * https URL, as a declaration's security_contact) or website (an https URL), with the reason in
 * why (why.h; it may be NULL); REG_EEXIST if the slug is taken; REG_EOVERLAP if its namespace
 * "<slug>-" overlaps another maker's (why names it). */
int mfr_add(struct store *st, const struct mfr_info *m, char token_out[AUTH_TOKEN_LEN + 1],
            struct reg_why *why);

/* The operator's changes to a manufacturer. XX(symbol, event name in the history, argument) */
#define MFR_CHANGE_MAP(XX)                                                                         \
    XX(PREFIX_ADD, "gs1_prefix_added", "prefix")                                                   \
    XX(PREFIX_REMOVE, "gs1_prefix_removed", "prefix")                                              \
    XX(ID_PREFIX_ADD, "id_prefix_added", "prefix")                                                 \
    XX(ID_PREFIX_REMOVE, "id_prefix_removed", "prefix")                                            \
    XX(VERIFY, "verified", "evidence")                                                             \
    XX(UNVERIFY, "unverified", "reason")                                                           \
    XX(DISABLE, "disabled", NULL)

enum mfr_change {
#define XX(sym, event, arg) MFR_##sym,
    MFR_CHANGE_MAP(XX)
#undef XX
};

/* Apply change `what` (with its argument `arg`, see the map; may be NULL where none) to
 * manufacturer slug, dated now and kept in its history, in one transaction. *changed is set to
 * 0 when it was already so (adding a prefix held, removing one not held, disabling a disabled
 * maker): nothing is written then. Errors: REG_ENOTFOUND; REG_EINVALID (why says why: not a
 * prefix, empty evidence, ...); REG_EOVERLAP (why names the other maker). */
int mfr_change(struct store *st, const char *slug, enum mfr_change what, const char *arg,
               int *changed, struct reg_why *why);

/* A mirror's replay (seclabeld --mirror-of): apply the logged manufacturer event
 * entry[0..len) (an entry of the primary's log, tlog.h: "added", a change of MFR_CHANGE_MAP, or
 * a "snapshot") inside the caller's write transaction, through the same code mfr_add and
 * mfr_change run (their checks, the record, its history, the generation), at the entry's time
 * and with its detail as the change's argument; the entry made from the record written must
 * equal the logged one byte for byte, and is appended to the log. What the log does not carry
 * (contact, website, API tokens) is kept from the stored record, absent for a maker added by
 * replay until the mirror copies it (mfr_set_unlogged). REG_EINVALID (why says why: an unknown
 * event, one that changes nothing here, another state than the entry's) or the checks' refusals;
 * the caller aborts txn on any error. */
int mfr_apply_logged(struct store_txn *txn, const char *entry, size_t len, struct reg_why *why);

/* A mirror's copy of what the log does not carry, from the primary's GET
 * /v1/manufacturers/{slug}: manufacturer slug's contact and website, and the contact its
 * verification covered (each NULL: none; the last ignored while the record holds no
 * verification), written inside the caller's write transaction. Checked as mfr_add checks them
 * (REG_EINVALID, why says which); not logged and not in the history; *changed is 1 when the
 * record changed, and only then is it written and the generation moved (answers that show the
 * maker are stale). REG_ENOTFOUND if there is no such maker; the caller aborts txn on any
 * error. */
int mfr_set_unlogged(struct store_txn *txn, const char *slug, const char *contact,
                     const char *website, const char *verified_contact, int *changed,
                     struct reg_why *why);

/* The history's name of an event (as stored), e.g. "verified". */
const char *mfr_change_event(enum mfr_change what);

/* The public description of m (no tokens): slug, name, contact, website, status, created,
 * gs1_prefixes, id_namespaces, verification ({"verified":false} or the stored object plus
 * "verified":true), history; added to object o. */
void mfr_public_json(const struct mfr *m, yyjson_mut_doc *doc, yyjson_mut_val *o);
/* The short form every record's JSON carries as "manufacturer_account", appended to out:
 * {"slug","name","verified":false} or {"slug","name","verified":true,"verified_on":"YYYY-MM-DD",
 * "checked":["identity","gs1_prefixes"?,"security_contact"?]}. */
void mfr_account_json(const struct mfr *m, struct buf *out);

/* The manufacturers met by one request, each read once while records of the same maker follow
 * one another (lists, lookups). Borrows the request's read transaction. A memo may also be kept
 * across read transactions (a loop's, so a record's GET does not read and parse its maker's
 * account again): mfr_memo_renew before each use, with the new transaction and the manufacturers
 * generation read in it, forgets what it held if the generation moved (every change to any
 * account moves it, in the same transaction: mfr.c). */
struct mfr_memo {
    struct store_txn *txn;
    char slug[AUTH_SLUG_MAX];
    int ok; /* m holds slug's account */
    struct mfr m;
    struct buf account; /* mfr_account_json(&m), made when first asked for (empty: not yet) */
    uint64_t gen;       /* the generation m was read at (mfr_memo_renew's) */
};
void mfr_memo_init(struct mfr_memo *mm, struct store_txn *txn);
/* Use mm (kept since an earlier transaction) with txn, whose manufacturers generation is gen. */
void mfr_memo_renew(struct mfr_memo *mm, struct store_txn *txn, uint64_t gen);
/* The account of manufacturer slug (valid until the next call or mfr_memo_free), or NULL if it
 * has none. */
const struct mfr *mfr_memo_get(struct mfr_memo *mm, const char *slug);
/* mfr_account_json of slug's account, or "null" if it has none, appended to out: made once
 * while mm holds the account. */
void mfr_memo_account_json(struct mfr_memo *mm, const char *slug, struct buf *out);
void mfr_memo_free(struct mfr_memo *mm);

/* The manufacturers generation (0 before any change). */
int mfr_generation(struct store_txn *txn, uint64_t *gen);

#endif
