/* product.c: the write path for product records (see product.h). */
#include "product.h"

#include "auth.h"
#include "changes.h"
#include "date.h"
#include "err.h"
#include "mfr.h"
#include "reczip.h"
#include "sindex.h"
#include "store.h"
#include "tlog.h"
#include "log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yyjson.h>

/* What the current record says, copied out of the database before anything is written. */
struct current {
    yyjson_doc *doc; /* NULL if the product does not exist */
    unsigned version;
    const char *created, *status, *manufacturer, *support_date, *gtin;
};

static int load_current(struct store_txn *txn, const char *id, struct current *cur)
{
    const char *json;
    size_t len;
    memset(cur, 0, sizeof *cur);
    int rc = product_get(txn, id, &json, &len);
    if (rc == REG_ENOTFOUND) return 0;
    if (rc) return rc;
    cur->doc = yyjson_read(json, len, 0); /* yyjson copies: safe after the txn */
    yyjson_val *root = yyjson_doc_get_root(cur->doc);
    cur->version = (unsigned)yyjson_get_uint(yyjson_obj_get(root, "version"));
    cur->created = yyjson_get_str(yyjson_obj_get(root, "created"));
    cur->status = yyjson_get_str(yyjson_obj_get(root, "status"));
    cur->manufacturer = yyjson_get_str(yyjson_obj_get(root, "manufacturer"));
    cur->support_date = yyjson_get_str(yyjson_obj_get(root, "support_date"));
    cur->gtin = yyjson_get_str(yyjson_obj_get(root, "gtin"));
    if (!cur->doc || !cur->version || !cur->created || !cur->manufacturer) {
        yyjson_doc_free(cur->doc);
        cur->doc = NULL;
        reg_logf("product %s: stored record is damaged", id);
        return REG_ESTORE;
    }
    return 0;
}

/* 1 if stored value `old` equals submitted value `nv`; a GTIN is compared as stored, normalised
 * to 14 digits, so resending "5012345678900" does not make a new version. */
static int same_value(const char *name, yyjson_val *old, yyjson_val *nv)
{
    char gtin[15];
    if (strcmp(name, "gtin") == 0 && yyjson_is_str(nv) &&
        decl_gtin_normalize(yyjson_get_str(nv), yyjson_get_len(nv), gtin) == 0)
        return yyjson_equals_str(old, gtin);
    return yyjson_equals(old, nv);
}

/* 1 if the declaration fields of record `old` equal those of declaration `decl`. */
int product_same_declaration(yyjson_val *old, yyjson_val *decl)
{
    size_t n_old = 0, n_new = 0;
    yyjson_obj_iter it = yyjson_obj_iter_with(old);
    yyjson_val *k;
    while ((k = yyjson_obj_iter_next(&it))) {
        const char *name = yyjson_get_str(k);
        if (decl_is_registry_field(name) || decl_is_account_field(name) || strcmp(name, "id") == 0)
            continue;
        n_old++;
        yyjson_val *nv = yyjson_obj_get(decl, name);
        if (!nv || !same_value(name, yyjson_obj_iter_get_val(k), nv)) return 0;
    }
    it = yyjson_obj_iter_with(decl);
    while ((k = yyjson_obj_iter_next(&it)))
        n_new += !yyjson_equals_str(k, "id") && !decl_is_account_field(yyjson_get_str(k));
    return n_old == n_new;
}

/* Build the new record: registry fields first, then the account's name, then the declaration as
 * submitted (with the GTIN normalised to 14 digits). `decl` may be a record: its registry and
 * account fields are skipped. */
static char *build_record(yyjson_val *decl, const char *id, const struct mfr *owner,
                          const struct current *cur, const char *status, const char *now,
                          size_t *len)
{
    char gtin[15];
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, o);
    yyjson_mut_obj_add_str(doc, o, "id", id);
    yyjson_mut_obj_add_uint(doc, o, "version", cur->doc ? cur->version + 1 : 1);
    yyjson_mut_obj_add_str(doc, o, "status", status);
    yyjson_mut_obj_add_str(doc, o, "manufacturer", owner->slug);
    yyjson_mut_obj_add_str(doc, o, "created", cur->doc ? cur->created : now);
    yyjson_mut_obj_add_str(doc, o, "modified", now);
    yyjson_mut_obj_add_str(doc, o, "manufacturer_name", owner->name);
    yyjson_obj_iter it = yyjson_obj_iter_with(decl);
    yyjson_val *k;
    while ((k = yyjson_obj_iter_next(&it))) {
        yyjson_val *v = yyjson_obj_iter_get_val(k);
        const char *name = yyjson_get_str(k);
        if (!strcmp(name, "id") || decl_is_registry_field(name) || decl_is_account_field(name))
            continue;
        yyjson_mut_val *mk = yyjson_val_mut_copy(doc, k);
        yyjson_mut_val *mv;
        if (yyjson_equals_str(k, "gtin") &&
            decl_gtin_normalize(yyjson_get_str(v), yyjson_get_len(v), gtin) == 0)
            mv = yyjson_mut_strcpy(doc, gtin);
        else
            mv = yyjson_val_mut_copy(doc, v);
        yyjson_mut_obj_add(o, mk, mv);
    }
    char *s = yyjson_mut_write(doc, 0, len);
    yyjson_mut_doc_free(doc);
    return s;
}

static void version_key(const char *id, unsigned version, char key[DECL_ID_MAX + 5], size_t *klen)
{
    size_t idlen = strlen(id);
    memcpy(key, id, idlen);
    key[idlen] = '\0';
    store_be_put(version, key + idlen + 1, 4);
    *klen = idlen + 5;
}

/* Write version `version` of `id` (record json, made at time now) as the current record, with
 * its change and its log entry (first: an empty log is backfilled from what is stored before
 * this version). IDs and slugs are plain ASCII (decl_id_valid, decl_slug_valid), safe to print
 * into JSON unescaped. */
static int write_version(struct store_txn *txn, const char *id, const char *owner, unsigned version,
                         const char *kind, const char *json, size_t len, const char *now)
{
    char key[DECL_ID_MAX + 5];
    size_t klen;
    version_key(id, version, key, &klen);
    unsigned char current[4]; /* the products table points at the newest version */
    store_be_put(version, current, 4);
    struct store_val packed = {0};
    int rc = tlog_append_product(txn, id, version, json, len, NULL);
    if (!rc) rc = reczip_pack(txn, json, len, &packed);
    if (!rc)
        rc = store_put(txn, STORE_VERSIONS, key, klen, packed.data, packed.len,
                       STORE_NOOVERWRITE | (version == 1 ? STORE_APPEND : 0));
    if (!rc) rc = store_put(txn, STORE_PRODUCTS, id, strlen(id), current, sizeof current, 0);
    if (!rc) rc = sindex_put(txn, id, json, len);
    if (!rc) rc = changes_append_product(txn, id, version, kind, owner, now);
    return rc;
}

/* Keep the owners index: slug "\0" id -> "". */
static int index_owner(struct store_txn *txn, const char *owner, const char *id)
{
    char key[AUTH_SLUG_MAX + DECL_ID_MAX + 2];
    size_t sl = strlen(owner), il = strlen(id);
    memcpy(key, owner, sl);
    key[sl] = '\0';
    memcpy(key + sl + 1, id, il);
    return store_put(txn, STORE_OWNERS, key, sl + 1 + il, "", 0, 0);
}

/* The declaration's GTIN normalised to 14 digits, or "" if it has none. */
static void decl_gtin(yyjson_val *decl, char gtin[15])
{
    yyjson_val *g = yyjson_obj_get(decl, "gtin");
    gtin[0] = '\0';
    if (g && decl_gtin_normalize(yyjson_get_str(g), yyjson_get_len(g), gtin) != 0) gtin[0] = '\0';
}

/* REG_EGTINTAKEN (res->why says who holds it) if another product carries the declaration's
 * GTIN or carried it before (GTINs persist: product.h). */
static int gtin_free(struct store_txn *txn, const char *id, const char *old_gtin, yyjson_val *decl,
                     struct product_result *res)
{
    char gtin[15], holder[DECL_ID_MAX + 1];
    decl_gtin(decl, gtin);
    if (!gtin[0] || (old_gtin && strcmp(old_gtin, gtin) == 0)) return 0;
    int rc = product_by_gtin(txn, gtin, holder);
    if (rc == REG_ENOTFOUND || (rc == 0 && strcmp(holder, id) == 0)) return 0;
    if (rc == 0)
        return reg_why_set(&res->why, REG_EGTINTAKEN,
                           "GTIN %s belongs to product '%s': each GTIN names one product, and a "
                           "GTIN once registered keeps leading to its product even after that "
                           "product moves to another.",
                           gtin, holder);
    return rc;
}

/* Index the declaration's GTIN for id (gtin_free first). The entry of the current record's
 * GTIN stays: GTINs persist (product.h). */
static int index_gtin(struct store_txn *txn, const char *id, const char *old_gtin, yyjson_val *decl)
{
    char gtin[15];
    decl_gtin(decl, gtin);
    if (!gtin[0] || (old_gtin && strcmp(old_gtin, gtin) == 0)) return 0;
    return store_put(txn, STORE_GTINS, gtin, 14, id, strlen(id), 0);
}

/* What a version is in the changes feed: the first is "created", a withdrawal "withdrawn", the
 * rest "updated". */
static const char *version_kind(unsigned version, const char *status)
{
    if (version == 1) return "created";
    return status && strcmp(status, "withdrawn") == 0 ? "withdrawn" : "updated";
}

/* Store version `version` (status `status`) of `id`, owned by `owner`, whose record is
 * json[0..len) made at time now, after the current record cur (cur->doc NULL: none); rec holds
 * its GTIN (the record, or the declaration it was built from). The GTIN and owner indexes, then
 * write_version: the one path every version takes (a write, a withdrawal, a mirror's replay). */
static int store_version(struct store_txn *txn, const char *id, const char *owner,
                         const struct current *cur, yyjson_val *rec, unsigned version,
                         const char *status, const char *json, size_t len, const char *now)
{
    int rc = index_gtin(txn, id, cur->gtin, rec);
    if (!rc && !cur->doc) rc = index_owner(txn, owner, id);
    if (!rc)
        rc = write_version(txn, id, owner, version, version_kind(version, status), json, len, now);
    return rc;
}

/* REG_ESHORTEN if the declaration's support_date is earlier than the published one. */
static int check_support_date(const struct current *cur, yyjson_val *decl,
                              struct product_result *res)
{
    yyjson_val *v = yyjson_obj_get(decl, "support_date");
    int64_t old_day, new_day;
    if (!cur->support_date ||
        date_parse(cur->support_date, strlen(cur->support_date), &old_day) != 0 ||
        date_parse(yyjson_get_str(v), yyjson_get_len(v), &new_day) != 0 || new_day >= old_day)
        return 0;
    return reg_why_set(&res->why, REG_ESHORTEN,
                       "support_date %s is earlier than the published %s: a support period can "
                       "only be extended, never shortened.",
                       yyjson_get_str(v), cur->support_date);
}

static int check_precondition(const struct current *cur, long if_match, struct product_result *res)
{
    if (if_match == PRODUCT_NO_PRECONDITION) return 0;
    if (cur->doc && (if_match == PRODUCT_ANY_VERSION || if_match == (long)cur->version)) return 0;
    if (cur->doc)
        return reg_why_set(
            &res->why, REG_EPRECOND,
            "The product is at version %u, not the one If-Match names; read it again.",
            cur->version);
    return reg_why_set(&res->why, REG_EPRECOND,
                       "If-Match was sent but the product does not exist.");
}

/* load_current, then the checks every write makes, in this order: REG_ENOTFOUND if the product
 * must exist and does not (otherwise cur->doc is NULL), REG_EFORBIDDEN if another manufacturer
 * owns it, and the If-Match precondition. cur is filled even when a check fails, for the caller
 * to free. */
static int load_for_write(struct store_txn *txn, const char *id, const char *owner, long if_match,
                          int must_exist, struct current *cur, struct product_result *res)
{
    int rc = load_current(txn, id, cur);
    if (rc) return rc;
    if (must_exist && !cur->doc) return REG_ENOTFOUND;
    if (cur->doc && strcmp(cur->manufacturer, owner) != 0) {
        snprintf(res->owner, sizeof res->owner, "%s", cur->manufacturer);
        return reg_why_set(&res->why, REG_EFORBIDDEN,
                           "Product '%s' belongs to manufacturer '%s'; only its owner can change "
                           "it.",
                           id, cur->manufacturer);
    }
    return check_precondition(cur, if_match, res);
}

int product_parse(const char *body, size_t len, struct decl_errors *errs, yyjson_doc **out)
{
    yyjson_read_err err;
    yyjson_doc *doc = yyjson_read_opts((char *)body, len, 0, NULL, &err);
    if (!doc) {
        memset(errs, 0, sizeof *errs);
        errs->n = 1;
        errs->e[0].rule = "json";
        return reg_why_set(&errs->e[0].why, REG_EBADJSON, "%s at byte %zu", err.msg, err.pos);
    }
    *out = doc;
    return 0;
}

/* The identity rules for a write by `owner` (see mfr.h): the declaration may name only the
 * account's own name; a new product's ID must lie in the owner's namespaces. */
static int check_identity(const struct mfr *owner, const char *id, yyjson_val *decl, int creating,
                          struct product_result *res)
{
    yyjson_val *name = yyjson_obj_get(decl, "manufacturer_name");
    struct buf b = BUF_INIT;
    int rc = 0;
    if (name && !yyjson_equals_str(name, owner->name)) {
        rc = reg_why_set(&res->why, REG_EMFRNAME,
                         "manufacturer_name '%.80s' is not the name of your account, '%s': leave "
                         "it out (the registry fills it in) or give exactly that name.",
                         yyjson_get_str(name), owner->name);
    } else if (creating && !mfr_owns_id(owner, id)) {
        mfr_namespaces_text(owner, &b);
        rc = reg_why_set(&res->why, REG_ENAMESPACE,
                         "Product ID '%s' is outside your namespace: IDs of manufacturer '%s' "
                         "begin with %s.",
                         id, owner->slug, buf_cstr(&b));
    }
    buf_free(&b);
    return rc;
}

/* REG_EGTINPREFIX if the declaration's GTIN is outside the owner's GS1 Company Prefixes. */
static int check_gtin_prefix(const struct mfr *owner, yyjson_val *decl, struct product_result *res)
{
    char gtin[15];
    decl_gtin(decl, gtin);
    if (!gtin[0] || mfr_owns_gtin(owner, gtin)) return 0;
    struct buf b = BUF_INIT;
    mfr_prefixes_text(owner, &b);
    int rc = reg_why_set(&res->why, REG_EGTINPREFIX,
                         "GTIN %s is outside the GS1 Company Prefixes of manufacturer '%s' (%s); "
                         "the registry operator records the prefixes GS1 allocated to you.",
                         gtin, owner->slug, buf_cstr(&b));
    buf_free(&b);
    return rc;
}

/* Every version is a log entry, of at most TLOG_ENTRY_MAX bytes (tlog.h). */
static int check_entry_size(size_t len, struct product_result *res)
{
    if (!tlog_entry_fits(len)) return 0;
    return reg_why_set(&res->why, REG_ELOGENTRY,
                       "The stored record would be %zu bytes; a transparency-log entry holds at "
                       "most %d. Shorten the declaration.",
                       len, TLOG_ENTRY_MAX);
}

int product_put_in(struct store_txn *txn, const struct mfr *owner, const char *id, yyjson_val *decl,
                   long if_match, struct decl_errors *errs, struct buf *record,
                   struct product_result *res)
{
    struct current cur = {0};
    char *json = NULL;
    size_t jlen = 0;
    int rc;

    memset(res, 0, sizeof *res);
    if (!decl_id_valid(id, strlen(id))) return REG_EBADID;
    if ((rc = decl_validate(decl, id, errs))) return rc;
    if ((rc = load_for_write(txn, id, owner->slug, if_match, 0, &cur, res))) goto out;
    if (cur.status && strcmp(cur.status, "active") != 0) {
        rc = REG_EWITHDRAWN;
        goto out;
    }
    if ((rc = check_identity(owner, id, decl, cur.doc == NULL, res))) goto out;
    res->created = cur.doc == NULL;
    if (cur.doc && product_same_declaration(yyjson_doc_get_root(cur.doc), decl)) {
        res->unchanged = 1;
        res->version = cur.version;
        if (record) json = yyjson_write(cur.doc, 0, &jlen);
    } else {
        res->version = cur.doc ? cur.version + 1 : 1;
        /* The checks only read: a refusal leaves txn as it was. */
        if ((rc = check_support_date(&cur, decl, res))) goto out;
        if ((rc = check_gtin_prefix(owner, decl, res))) goto out;
        if ((rc = gtin_free(txn, id, cur.gtin, decl, res))) goto out;
        char now[21];
        date_rfc3339(time(NULL), now);
        rc = REG_EINTERNAL;
        json = build_record(decl, id, owner, &cur, "active", now, &jlen);
        if (json) rc = check_entry_size(jlen, res); /* refused before anything is written */
        if (!rc)
            rc = store_version(txn, id, owner->slug, &cur, decl, res->version, "active", json, jlen,
                               now);
        if (rc) goto out;
    }
    if (json && record) buf_append(record, json, jlen);
out:
    free(json);
    yyjson_doc_free(cur.doc);
    return rc;
}

int product_put_refusal(int rc)
{
    switch (rc) {
    case REG_EBADID:
    case REG_EINVALID:
    case REG_EFORBIDDEN:
    case REG_EPRECOND:
    case REG_EWITHDRAWN:
    case REG_ESHORTEN:
    case REG_EGTINTAKEN:
    case REG_ENAMESPACE:
    case REG_EGTINPREFIX:
    case REG_EMFRNAME:
    case REG_ELOGENTRY:
        return 1;
    }
    return 0;
}

/* product_put, or with `dry` its dry run: the same work, never committed. */
static int put(struct store *st, const char *owner, const char *id, const char *body, size_t len,
               long if_match, int dry, struct decl_errors *errs, struct buf *record,
               struct product_result *res)
{
    yyjson_doc *doc = NULL;
    struct store_txn *txn = NULL;
    int rc;

    memset(res, 0, sizeof *res);
    if (!decl_id_valid(id, strlen(id))) return REG_EBADID;
    if ((rc = product_parse(body, len, errs, &doc))) return rc;
    if ((rc = store_txn_begin(st, 1, &txn)) == 0) {
        struct mfr m;
        rc = mfr_get(txn, owner, &m);
        if (!rc)
            rc = product_put_in(txn, &m, id, yyjson_doc_get_root(doc), if_match, errs, record, res);
        mfr_free(&m);
        if (rc == 0 && !res->unchanged && !dry)
            rc = store_txn_commit(txn);
        else
            store_txn_abort(txn);
    }
    if (rc && record) buf_reset(record);
    yyjson_doc_free(doc);
    return rc;
}

int product_put(struct store *st, const char *owner, const char *id, const char *body, size_t len,
                long if_match, struct decl_errors *errs, struct buf *record,
                struct product_result *res)
{
    return put(st, owner, id, body, len, if_match, 0, errs, record, res);
}

int product_put_dry(struct store *st, const char *owner, const char *id, const char *body,
                    size_t len, long if_match, struct decl_errors *errs, struct buf *record,
                    struct product_result *res)
{
    return put(st, owner, id, body, len, if_match, 1, errs, record, res);
}

int product_withdraw_in(struct store_txn *txn, const char *owner, const char *id, long if_match,
                        struct buf *record, struct product_result *res)
{
    struct current cur = {0};
    struct mfr m = {0};
    char *json = NULL;
    size_t jlen = 0;
    int rc;

    memset(res, 0, sizeof *res);
    if (!decl_id_valid(id, strlen(id))) return REG_EBADID;
    if ((rc = load_for_write(txn, id, owner, if_match, 1, &cur, res))) goto out;
    if ((rc = mfr_get(txn, owner, &m))) goto out;
    if (cur.status && strcmp(cur.status, "withdrawn") == 0) {
        res->unchanged = 1;
        res->version = cur.version;
        json = yyjson_write(cur.doc, 0, &jlen);
    } else {
        char now[21];
        date_rfc3339(time(NULL), now);
        res->version = cur.version + 1;
        yyjson_val *rec = yyjson_doc_get_root(cur.doc);
        json = build_record(rec, id, &m, &cur, "withdrawn", now, &jlen);
        rc = json ? check_entry_size(jlen, res) : REG_EINTERNAL;
        if (!rc)
            rc = store_version(txn, id, owner, &cur, rec, res->version, "withdrawn", json, jlen,
                               now);
        if (rc) goto out;
    }
    if (json && record) buf_append(record, json, jlen);
out:
    free(json);
    yyjson_doc_free(cur.doc);
    mfr_free(&m);
    return rc;
}

int product_withdraw_refusal(int rc)
{
    return rc == REG_EBADID || rc == REG_ENOTFOUND || rc == REG_EFORBIDDEN || rc == REG_EPRECOND ||
           rc == REG_ELOGENTRY;
}

int product_withdraw(struct store *st, const char *owner, const char *id, long if_match,
                     struct buf *record, struct product_result *res)
{
    struct store_txn *txn = NULL;
    int rc;

    memset(res, 0, sizeof *res);
    if (!decl_id_valid(id, strlen(id))) return REG_EBADID;
    if ((rc = store_txn_begin(st, 1, &txn))) return rc;
    rc = product_withdraw_in(txn, owner, id, if_match, record, res);
    if (rc == 0 && !res->unchanged)
        rc = store_txn_commit(txn);
    else
        store_txn_abort(txn);
    if (rc) buf_reset(record);
    return rc;
}

/* REG_EINVALID with the reason, for a logged version that does not follow the data. */
static int not_following(struct reg_why *why, const char *id, const char *what)
{
    return reg_why_set(why, REG_EINVALID, "the logged version of '%s' %s", id ? id : "?", what);
}

int product_apply_logged(struct store_txn *txn, const char *json, size_t len, struct reg_why *why)
{
    struct current cur = {0};
    yyjson_doc *doc = yyjson_read(json, len, 0);
    yyjson_val *rec = yyjson_doc_get_root(doc);
    const char *id = yyjson_get_str(yyjson_obj_get(rec, "id"));
    const char *owner = yyjson_get_str(yyjson_obj_get(rec, "manufacturer"));
    const char *status = yyjson_get_str(yyjson_obj_get(rec, "status"));
    const char *modified = yyjson_get_str(yyjson_obj_get(rec, "modified"));
    yyjson_val *v = yyjson_obj_get(rec, "version");
    unsigned version =
        yyjson_is_uint(v) && yyjson_get_uint(v) <= UINT32_MAX ? (unsigned)yyjson_get_uint(v) : 0;
    int rc;
    if (!id || !decl_id_valid(id, strlen(id)) || !owner || !decl_slug_valid(owner, strlen(owner)) ||
        !status || !modified || strlen(modified) != 20 || !version) {
        rc = not_following(why, id,
                           "is not a product record (id, version, status, manufacturer, "
                           "modified)");
    } else if ((rc = load_current(txn, id, &cur))) {
        /* a storage error */
    } else if (version != (cur.doc ? cur.version + 1 : 1)) {
        rc = reg_why_set(why, REG_EINVALID,
                         "the logged version %u of '%s' does not follow the stored version %u",
                         version, id, cur.doc ? cur.version : 0);
    } else if (cur.doc && strcmp(cur.manufacturer, owner) != 0) {
        rc = not_following(why, id, "names another manufacturer than the stored one");
    } else {
        rc = store_version(txn, id, owner, &cur, rec, version, status, json, len, modified);
    }
    yyjson_doc_free(cur.doc);
    yyjson_doc_free(doc);
    return rc;
}

int product_resolve(struct store_txn *txn, const void *id, size_t idlen, struct store_val v,
                    const char **json, size_t *len)
{
    if (v.len > 0 && ((const char *)v.data)[0] == '{') { /* written before versions were shared */
        *json = v.data;
        *len = v.len;
        return 0;
    }
    if (v.len != 4 || idlen > DECL_ID_MAX) return REG_ESTORE;
    char idz[DECL_ID_MAX + 1];
    memcpy(idz, id, idlen);
    idz[idlen] = '\0';
    unsigned version = (unsigned)store_be_get(v.data, 4);
    int rc = product_get_version(txn, idz, version, json, len);
    return rc == REG_ENOTFOUND ? REG_ESTORE : rc; /* a pointer to nothing: damaged */
}

int product_get(struct store_txn *txn, const char *id, const char **json, size_t *len)
{
    struct store_val v;
    int rc = store_get(txn, STORE_PRODUCTS, id, strlen(id), &v);
    return rc ? rc : product_resolve(txn, id, strlen(id), v, json, len);
}

int product_get_version(struct store_txn *txn, const char *id, unsigned version, const char **json,
                        size_t *len)
{
    char key[DECL_ID_MAX + 5];
    size_t klen;
    struct store_val v;
    if (strlen(id) > DECL_ID_MAX) return REG_ENOTFOUND;
    version_key(id, version, key, &klen);
    int rc = store_get(txn, STORE_VERSIONS, key, klen, &v);
    if (!rc) rc = reczip_unpack(txn, &v);
    if (rc) return rc;
    *json = v.data;
    *len = v.len;
    return 0;
}

int product_by_gtin(struct store_txn *txn, const char *gtin14, char id_out[DECL_ID_MAX + 1])
{
    struct store_val v;
    int rc = store_get(txn, STORE_GTINS, gtin14, 14, &v);
    if (rc) return rc;
    if (v.len == 0 || v.len > DECL_ID_MAX) return REG_ESTORE;
    memcpy(id_out, v.data, v.len);
    id_out[v.len] = '\0';
    return 0;
}

struct scan_ctx {
    struct store_txn *txn; /* for records that may be packed (reczip.h) */
    product_version_fn fn;
    product_id_fn id_fn;
    void *ctx;
    size_t skip; /* key prefix length to drop before calling id_fn */
    int seen;
};

static int scan_value(void *ctx, struct store_val key, struct store_val val)
{
    struct scan_ctx *c = ctx;
    (void)key;
    c->seen = 1;
    if (!c->txn) return c->fn(c->ctx, val.data, val.len);
    void *mark = store_txn_mark(c->txn); /* the record is the callback's only for the call */
    int rc = reczip_unpack(c->txn, &val);
    if (!rc) rc = c->fn(c->ctx, val.data, val.len);
    store_txn_release(c->txn, mark);
    return rc;
}

static int scan_key(void *ctx, struct store_val key, struct store_val val)
{
    struct scan_ctx *c = ctx;
    (void)val;
    return c->id_fn(c->ctx, (const char *)key.data + c->skip, key.len - c->skip);
}

int product_each_version(struct store_txn *txn, const char *id, product_version_fn fn, void *ctx)
{
    struct scan_ctx c = {.txn = txn, .fn = fn, .ctx = ctx};
    size_t il = strlen(id);
    if (il > DECL_ID_MAX) return REG_ENOTFOUND;
    /* The prefix includes the "\0" after the id, so "cam" never lists "cam-2". */
    int rc = store_scan(txn, STORE_VERSIONS, id, il + 1, scan_value, &c);
    return rc ? rc : c.seen ? 0 : REG_ENOTFOUND;
}

int product_each_of_owner(struct store_txn *txn, const char *slug, const char *after,
                          product_id_fn fn, void *ctx)
{
    char prefix[AUTH_SLUG_MAX + 1], start[AUTH_SLUG_MAX + DECL_ID_MAX + 3];
    size_t sl = strlen(slug), al = after ? strlen(after) : 0;
    if (sl >= AUTH_SLUG_MAX || al > DECL_ID_MAX) return REG_EBADREQ;
    memcpy(prefix, slug, sl + 1);
    struct scan_ctx c = {.id_fn = fn, .ctx = ctx, .skip = sl + 1};
    memcpy(start, prefix, sl + 1);
    memcpy(start + sl + 1, after ? after : "", al);
    start[sl + 1 + al] = '\0'; /* the key just after `after` */
    return store_scan_from(txn, STORE_OWNERS, prefix, sl + 1, start, after ? sl + 2 + al : 0,
                           scan_key, &c);
}

struct reindex {
    struct store_txn *txn;
    size_t n;      /* products indexed */
    size_t former; /* former GTINs indexed */
};

/* meta "gtins_kept" -> "": present once the GTINs of every version have been indexed, so that
 * product_reindex looks for former GTINs once per data directory. */
#define GTINS_KEPT "gtins_kept"

/* Index GTIN `gtin` (as a record holds it; NULL: none) for product id[0..idlen) unless some
 * product holds it already; *added counts the GTINs indexed. */
static int index_gtin_if_free(struct store_txn *txn, const char *gtin, const void *id, size_t idlen,
                              size_t *added)
{
    char g[15], holder[DECL_ID_MAX + 1];
    if (!gtin || decl_gtin_normalize(gtin, strlen(gtin), g) != 0) return 0;
    int rc = product_by_gtin(txn, g, holder);
    if (rc != REG_ENOTFOUND) return rc;
    ++*added;
    return store_put(txn, STORE_GTINS, g, 14, id, idlen, 0);
}

static int reindex_one(void *ctx, struct store_val key, struct store_val val)
{
    struct reindex *r = ctx;
    char id[DECL_ID_MAX + 1];
    if (key.len > DECL_ID_MAX) return REG_ESTORE;
    memcpy(id, key.data, key.len);
    id[key.len] = '\0';
    const char *json;
    size_t len, added = 0;
    void *mark = store_txn_mark(r->txn);
    int found = product_resolve(r->txn, key.data, key.len, val, &json, &len);
    yyjson_doc *doc = found ? NULL : yyjson_read(json, len, 0);
    store_txn_release(r->txn, mark); /* yyjson copied it */
    if (found) return found;
    yyjson_val *root = yyjson_doc_get_root(doc);
    const char *owner = yyjson_get_str(yyjson_obj_get(root, "manufacturer"));
    const char *gtin = yyjson_get_str(yyjson_obj_get(root, "gtin"));
    int rc = owner && decl_slug_valid(owner, strlen(owner)) ? index_owner(r->txn, owner, id)
                                                            : REG_ESTORE;
    if (!rc) rc = index_gtin_if_free(r->txn, gtin, id, strlen(id), &added);
    yyjson_doc_free(doc);
    r->n++;
    return rc;
}

/* One version (key id "\0" u32be(version)): its GTIN for its product, if nobody holds it. */
static int reindex_former(void *ctx, struct store_val key, struct store_val val)
{
    struct reindex *r = ctx;
    size_t idlen = strnlen(key.data, key.len);
    if (idlen == 0 || idlen > DECL_ID_MAX || key.len != idlen + 5) return REG_ESTORE;
    void *mark = store_txn_mark(r->txn);
    int rc = reczip_unpack(r->txn, &val);
    yyjson_doc *doc = rc ? NULL : yyjson_read(val.data, val.len, 0);
    store_txn_release(r->txn, mark); /* yyjson copied it */
    if (rc) return rc;
    const char *gtin = yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(doc), "gtin"));
    rc = index_gtin_if_free(r->txn, gtin, key.data, idlen, &r->former);
    yyjson_doc_free(doc);
    return rc;
}

/* product_reindex's work in txn: *r gets what was indexed; *changed 1 if anything was written. */
static int reindex_in(struct store_txn *txn, struct reindex *r, int *changed)
{
    size_t products, owners;
    struct store_val v;
    r->txn = txn;
    int rc = 0;
    if (!(rc = store_count(txn, STORE_PRODUCTS, &products)) &&
        !(rc = store_count(txn, STORE_OWNERS, &owners)) && owners < products)
        rc = store_scan(txn, STORE_PRODUCTS, NULL, 0, reindex_one, r);
    /* The current GTINs first (above): a former one never displaces the product carrying it. */
    int kept = rc ? rc : store_get(txn, STORE_META, GTINS_KEPT, strlen(GTINS_KEPT), &v);
    if (kept == REG_ENOTFOUND) {
        rc = store_scan(txn, STORE_VERSIONS, NULL, 0, reindex_former, r);
        if (!rc) rc = store_put(txn, STORE_META, GTINS_KEPT, strlen(GTINS_KEPT), "", 0, 0);
    } else if (kept) {
        rc = kept;
    }
    *changed = !rc && (r->n > 0 || kept != 0);
    return rc;
}

static void reindex_said(const struct reindex *r)
{
    if (r->former)
        reg_logf("%zu former GTIN%s indexed: each leads to its product again", r->former,
                 r->former == 1 ? "" : "s");
}

int product_reindex_in(struct store_txn *txn, size_t *rebuilt)
{
    struct reindex r = {0};
    int changed;
    *rebuilt = 0;
    int rc = reindex_in(txn, &r, &changed);
    if (rc) return rc;
    reindex_said(&r);
    *rebuilt = r.n;
    return 0;
}

int product_reindex(struct store *st, size_t *rebuilt)
{
    struct reindex r = {0};
    struct store_txn *txn;
    int changed;
    *rebuilt = 0;
    int rc = store_txn_begin(st, 1, &txn);
    if (rc) return rc;
    if ((rc = reindex_in(txn, &r, &changed)) || !changed) {
        store_txn_abort(txn);
        return rc;
    }
    if ((rc = store_txn_commit(txn))) return rc;
    reindex_said(&r);
    *rebuilt = r.n;
    return 0;
}
