/* search.c: product search (see search.h). */
#include "search.h"

#include "assess.h"
#include "err.h"
#include "http.h"
#include "product.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct walk {
    const struct search_query *sq;
    struct store_txn *txn;
    char q_gtin[15]; /* the query as a GTIN-14, or "" */
    search_fn fn;
    void *ctx;
    struct search_result *res;
    long examined;
    char last[DECL_ID_MAX + 1];
};

static int field_has(yyjson_val *rec, const char *name, const char *q)
{
    const char *s = yyjson_get_str(yyjson_obj_get(rec, name));
    return s && strcasestr(s, q) != NULL;
}

static int matches(const struct walk *w, yyjson_val *rec)
{
    const struct search_query *sq = w->sq;
    struct assess a;
    assess_record(rec, sq->today, &a);
    if (sq->support >= 0 && (int)a.support != sq->support) return 0;
    if (sq->compliant >= 0 && a.compliant != sq->compliant) return 0;
    if (!sq->q || !*sq->q) return 1;
    if (w->q_gtin[0] && yyjson_equals_str(yyjson_obj_get(rec, "gtin"), w->q_gtin)) return 1;
    static const char *const fields[] = {"id",   "product_name", "product_model",
                                         "gtin", "manufacturer", "manufacturer_name"};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (field_has(rec, fields[i], sq->q)) return 1;
    return 0;
}

/* Examine one record; 1 stops the walk. */
static int examine(struct walk *w, const char *id, size_t idlen, const char *json, size_t len)
{
    if ((long)w->res->found >= w->sq->limit || w->examined >= w->sq->budget) {
        snprintf(w->res->next, sizeof w->res->next, "%s", w->last);
        return 1;
    }
    w->examined++;
    snprintf(w->last, sizeof w->last, "%.*s", (int)idlen, id);
    yyjson_doc *doc = yyjson_read(json, len, 0);
    yyjson_val *rec = yyjson_doc_get_root(doc);
    int rc = 0;
    if (!yyjson_is_obj(rec))
        rc = REG_ESTORE;
    else if (matches(w, rec)) {
        w->res->found++;
        rc = w->fn(w->ctx, rec, json, len);
    }
    yyjson_doc_free(doc);
    return rc;
}

static int on_product(void *ctx, struct store_val key, struct store_val val)
{
    struct walk *w = ctx;
    const char *json;
    size_t len;
    int rc = product_resolve(w->txn, key.data, key.len, val, &json, &len);
    return rc ? rc : examine(w, key.data, key.len, json, len);
}

static int on_owned(void *ctx, const char *id, size_t len)
{
    struct walk *w = ctx;
    char idz[DECL_ID_MAX + 1];
    const char *json;
    size_t jlen;
    if (len > DECL_ID_MAX) return REG_ESTORE;
    memcpy(idz, id, len);
    idz[len] = '\0';
    int rc = product_get(w->txn, idz, &json, &jlen);
    return rc ? rc : examine(w, id, len, json, jlen);
}

int search_run(struct store_txn *txn, const struct search_query *sq, search_fn fn, void *ctx,
               struct search_result *res)
{
    struct walk w = {.sq = sq, .txn = txn, .fn = fn, .ctx = ctx, .res = res};
    memset(res, 0, sizeof *res);
    if (!sq->q || decl_gtin_normalize(sq->q, strlen(sq->q), w.q_gtin) != 0) w.q_gtin[0] = '\0';
    if (sq->manufacturer)
        return product_each_of_owner(txn, sq->manufacturer, sq->cursor, on_owned, &w);
    /* The key just after the cursor: the cursor's bytes plus its NUL. */
    return store_scan_from(txn, STORE_PRODUCTS, NULL, 0, sq->cursor,
                           sq->cursor ? strlen(sq->cursor) + 1 : 0, on_product, &w);
}

static int enum_value(const char *v, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i])) return i;
    return -2;
}

int search_params(const struct http_req *req, struct search_query *sq,
                  struct search_params_store *st, const char **why)
{
    static const char *const support[] = {"active", "ending_soon", "ended"};
    static const char *const yes_no[] = {"false", "true"};
    struct buf v = BUF_INIT;
    memset(st, 0, sizeof *st);
    sq->q = sq->manufacturer = sq->cursor = NULL;
    sq->support = sq->compliant = -1;
    sq->limit = SEARCH_DEFAULT_LIMIT;
    sq->budget = SEARCH_BUDGET;
    sq->today = assess_today();
    *why = NULL;
    if (http_req_query(req, "q", &st->q) == 0 && st->q.len) {
        if (st->q.len > SEARCH_MAX_QUERY || memchr(st->q.data, '\0', st->q.len))
            *why = "q: at most 256 characters.";
        sq->q = buf_cstr(&st->q);
    }
    /* An empty value (a form's "any") means no filter. */
    if (http_req_query(req, "support", &v) == 0 && v.len &&
        (sq->support = enum_value(buf_cstr(&v), support, 3)) == -2)
        *why = "support: one of active, ending_soon, ended.";
    if (http_req_query(req, "compliant", &v) == 0 && v.len &&
        (sq->compliant = enum_value(buf_cstr(&v), yes_no, 2)) == -2)
        *why = "compliant: true or false.";
    if (http_req_query(req, "limit", &v) == 0) {
        char *end;
        long n = strtol(buf_cstr(&v), &end, 10);
        if (!v.len || v.data[0] < '0' || v.data[0] > '9' || *end || n < 1 || n > SEARCH_MAX_LIMIT)
            *why = "limit: a number from 1 to 100.";
        else
            sq->limit = n;
    }
    if (http_req_query(req, "manufacturer", &st->mfr) == 0 && st->mfr.len) {
        if (!decl_slug_valid(st->mfr.data, st->mfr.len))
            *why = "manufacturer must be a manufacturer's slug.";
        sq->manufacturer = buf_cstr(&st->mfr);
    }
    if (http_req_query(req, "cursor", &st->cursor) == 0 && st->cursor.len) {
        if (!decl_id_valid(st->cursor.data, st->cursor.len)) *why = "cursor must be a product ID.";
        sq->cursor = buf_cstr(&st->cursor);
    }
    buf_free(&v);
    return *why ? -1 : 0;
}

void search_params_free(struct search_params_store *st)
{
    buf_free(&st->q);
    buf_free(&st->mfr);
    buf_free(&st->cursor);
}
