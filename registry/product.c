/* product.c: the write path for product records (see product.h). */
#include "product.h"

#include "date.h"
#include "err.h"
#include "store.h"

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
    const char *created, *status, *manufacturer;
};

static int load_current(struct store_txn *txn, const char *id, struct current *cur)
{
    struct store_val v;
    memset(cur, 0, sizeof *cur);
    int rc = store_get(txn, STORE_PRODUCTS, id, strlen(id), &v);
    if (rc == REG_ENOTFOUND) return 0;
    if (rc) return rc;
    cur->doc = yyjson_read(v.data, v.len, 0); /* yyjson copies: safe after the txn */
    yyjson_val *root = yyjson_doc_get_root(cur->doc);
    cur->version = (unsigned)yyjson_get_uint(yyjson_obj_get(root, "version"));
    cur->created = yyjson_get_str(yyjson_obj_get(root, "created"));
    cur->status = yyjson_get_str(yyjson_obj_get(root, "status"));
    cur->manufacturer = yyjson_get_str(yyjson_obj_get(root, "manufacturer"));
    if (!cur->doc || !cur->version || !cur->created || !cur->manufacturer) {
        yyjson_doc_free(cur->doc);
        cur->doc = NULL;
        fprintf(stderr, "seclabel: product %s: stored record is damaged\n", id);
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
static int same_declaration(yyjson_val *old, yyjson_val *decl)
{
    size_t n_old = 0, n_new = 0;
    yyjson_obj_iter it = yyjson_obj_iter_with(old);
    yyjson_val *k;
    while ((k = yyjson_obj_iter_next(&it))) {
        const char *name = yyjson_get_str(k);
        if (decl_is_registry_field(name) || strcmp(name, "id") == 0) continue;
        n_old++;
        yyjson_val *nv = yyjson_obj_get(decl, name);
        if (!nv || !same_value(name, yyjson_obj_iter_get_val(k), nv)) return 0;
    }
    it = yyjson_obj_iter_with(decl);
    while ((k = yyjson_obj_iter_next(&it)))
        n_new += !yyjson_equals_str(k, "id");
    return n_old == n_new;
}

/* Build the new record: registry fields first, then the declaration as submitted (with the GTIN
 * normalised to 14 digits). */
static char *build_record(yyjson_val *decl, const char *id, const char *owner,
                          const struct current *cur, size_t *len)
{
    char now[21], gtin[15];
    date_rfc3339(time(NULL), now);
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, o);
    yyjson_mut_obj_add_str(doc, o, "id", id);
    yyjson_mut_obj_add_uint(doc, o, "version", cur->doc ? cur->version + 1 : 1);
    yyjson_mut_obj_add_str(doc, o, "status", cur->status ? cur->status : "active");
    yyjson_mut_obj_add_str(doc, o, "manufacturer", owner);
    yyjson_mut_obj_add_str(doc, o, "created", cur->doc ? cur->created : now);
    yyjson_mut_obj_add_str(doc, o, "modified", now);
    yyjson_obj_iter it = yyjson_obj_iter_with(decl);
    yyjson_val *k;
    while ((k = yyjson_obj_iter_next(&it))) {
        yyjson_val *v = yyjson_obj_iter_get_val(k);
        if (yyjson_equals_str(k, "id")) continue;
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

static int write_version(struct store_txn *txn, const char *id, unsigned version, const char *json,
                         size_t len)
{
    char key[DECL_ID_MAX + 5];
    size_t idlen = strlen(id);
    memcpy(key, id, idlen);
    key[idlen] = '\0';
    for (int i = 0; i < 4; i++)
        key[idlen + 1 + i] = (char)((version >> (24 - 8 * i)) & 0xff);
    int rc = store_put(txn, STORE_VERSIONS, key, idlen + 5, json, len, STORE_NOOVERWRITE);
    if (rc) return rc;
    return store_put(txn, STORE_PRODUCTS, id, idlen, json, len, 0);
}

static int parse_body(const char *body, size_t len, struct decl_errors *errs, yyjson_doc **out)
{
    yyjson_read_err err;
    yyjson_doc *doc = yyjson_read_opts((char *)body, len, 0, NULL, &err);
    if (!doc) {
        memset(errs, 0, sizeof *errs);
        errs->n = 1;
        errs->e[0].rule = "json";
        snprintf(errs->e[0].message, sizeof errs->e[0].message, "%s at byte %zu", err.msg, err.pos);
        return REG_EBADJSON;
    }
    *out = doc;
    return 0;
}

int product_put(struct store *st, const char *owner, const char *id, const char *body, size_t len,
                struct decl_errors *errs, struct buf *record, struct product_result *res)
{
    yyjson_doc *doc = NULL;
    struct store_txn *txn = NULL;
    struct current cur = {0};
    char *json = NULL;
    size_t jlen = 0;
    int rc;

    if (!decl_id_valid(id, strlen(id))) return REG_EBADID;
    if ((rc = parse_body(body, len, errs, &doc))) return rc;
    yyjson_val *decl = yyjson_doc_get_root(doc);
    if ((rc = decl_validate(decl, id, errs))) goto out;
    if ((rc = store_txn_begin(st, 1, &txn))) goto out;
    if ((rc = load_current(txn, id, &cur))) goto out;
    if (cur.doc && strcmp(cur.manufacturer, owner) != 0) {
        rc = REG_EFORBIDDEN;
        goto out;
    }
    memset(res, 0, sizeof *res);
    res->created = cur.doc == NULL;
    if (cur.doc && same_declaration(yyjson_doc_get_root(cur.doc), decl)) {
        res->unchanged = 1;
        res->version = cur.version;
        json = yyjson_write(cur.doc, 0, &jlen);
    } else {
        json = build_record(decl, id, owner, &cur, &jlen);
        res->version = cur.doc ? cur.version + 1 : 1;
        if (!json) {
            rc = REG_EINTERNAL;
            goto out;
        }
        if ((rc = write_version(txn, id, res->version, json, jlen))) goto out;
        rc = store_txn_commit(txn);
        txn = NULL;
        if (rc) goto out;
    }
    if (json) buf_append(record, json, jlen);
out:
    store_txn_abort(txn);
    free(json);
    yyjson_doc_free(cur.doc);
    yyjson_doc_free(doc);
    return rc;
}

int product_get(struct store_txn *txn, const char *id, const char **json, size_t *len)
{
    struct store_val v;
    int rc = store_get(txn, STORE_PRODUCTS, id, strlen(id), &v);
    if (rc) return rc;
    *json = v.data;
    *len = v.len;
    return 0;
}
