/* search.c: product search (see search.h). */
#include "search.h"

#include "assess.h"
#include "err.h"
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

/* The `status` parameter's values, in enum search_status order. */
static const char *const status_names[] = {"active", "withdrawn", "any"};

static int matches(const struct walk *w, yyjson_val *rec)
{
    const struct search_query *sq = w->sq;
    struct assess a;
    if (sq->status != SEARCH_ANY &&
        !yyjson_equals_str(yyjson_obj_get(rec, "status"), status_names[sq->status]))
        return 0;
    if (sq->manufacturer &&
        !yyjson_equals_str(yyjson_obj_get(rec, "manufacturer"), sq->manufacturer))
        return 0;
    if (sq->gtin && !yyjson_equals_str(yyjson_obj_get(rec, "gtin"), sq->gtin)) return 0;
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

/* A search for one GTIN: the product that holds it, through the GTIN index, if it comes after
 * the cursor (and matches the other filters). */
static int search_gtin(struct walk *w)
{
    char id[DECL_ID_MAX + 1];
    const char *json;
    size_t len;
    int rc = product_by_gtin(w->txn, w->sq->gtin, id);
    if (!rc && w->sq->cursor && strcmp(id, w->sq->cursor) <= 0) return 0;
    if (!rc) rc = product_get(w->txn, id, &json, &len);
    if (!rc) rc = examine(w, id, strlen(id), json, len);
    return rc == REG_ENOTFOUND || rc == 1 ? 0 : rc;
}

int search_run(struct store_txn *txn, const struct search_query *sq, search_fn fn, void *ctx,
               struct search_result *res)
{
    struct walk w = {.sq = sq, .txn = txn, .fn = fn, .ctx = ctx, .res = res};
    memset(res, 0, sizeof *res);
    if (!sq->q || decl_gtin_normalize(sq->q, strlen(sq->q), w.q_gtin) != 0) w.q_gtin[0] = '\0';
    if (sq->gtin) return search_gtin(&w);
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

/* The support filter's value: a name assess_support_name gives (not "unknown"), or -2. */
static int support_value(const char *v)
{
    for (int s = 0; s < ASSESS_UNKNOWN; s++)
        if (!strcmp(v, assess_support_name((enum assess_support)s))) return s;
    return -2;
}

/* "support: one of active, ending_soon, ended.", the names from assess.h, as why; returns
 * REG_EBADREQ. */
static int support_why(struct reg_why *why)
{
    reg_why_set(why, 0, "support: one of ");
    for (int s = 0; s < ASSESS_UNKNOWN; s++)
        reg_why_add(why, "%s%s", s ? ", " : "", assess_support_name((enum assess_support)s));
    reg_why_add(why, ".");
    return REG_EBADREQ;
}

/* The length of b in characters (UTF-8 code points; a stray continuation byte counts as none),
 * as the schema's maxLength counts. */
static size_t characters(const struct buf *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++)
        n += ((unsigned char)b->data[i] & 0xC0) != 0x80;
    return n;
}

int search_params(struct search_params_store *st, enum search_status status, int64_t today,
                  struct search_query *sq, struct reg_why *why)
{
    static const char *const yes_no[] = {"false", "true"};
    int rc = 0; /* the last bad parameter's reason stays in why */
    sq->q = sq->manufacturer = sq->gtin = sq->cursor = NULL;
    sq->status = status;
    sq->support = sq->compliant = -1;
    sq->limit = SEARCH_DEFAULT_LIMIT;
    sq->budget = SEARCH_BUDGET;
    sq->today = today;
    reg_why_clear(why);
    if (st->q.len) {
        if (characters(&st->q) > SEARCH_MAX_QUERY || memchr(st->q.data, '\0', st->q.len))
            rc = reg_why_set(why, REG_EBADREQ, "q: at most 256 characters, none of them NUL.");
        sq->q = buf_cstr(&st->q);
    }
    if (st->status.len) {
        int s = enum_value(buf_cstr(&st->status), status_names, 3);
        if (s < 0)
            rc = reg_why_set(why, REG_EBADREQ, "status: one of active, withdrawn, any.");
        else
            sq->status = (enum search_status)s;
    }
    if (st->support.len && (sq->support = support_value(buf_cstr(&st->support))) == -2)
        rc = support_why(why);
    if (st->compliant.len &&
        (sq->compliant = enum_value(buf_cstr(&st->compliant), yes_no, 2)) == -2)
        rc = reg_why_set(why, REG_EBADREQ, "compliant: true or false.");
    if (st->limit.len) {
        char *end;
        const char *v = buf_cstr(&st->limit);
        long n = strtol(v, &end, 10);
        if (v[0] < '0' || v[0] > '9' || *end || n < 1 || n > SEARCH_MAX_LIMIT)
            rc = reg_why_set(why, REG_EBADREQ, "limit: a number from 1 to 100.");
        else
            sq->limit = n;
    }
    if (st->gtin.len) {
        if (decl_gtin_normalize(st->gtin.data, st->gtin.len, st->gtin14) != 0)
            rc = reg_why_set(why, REG_EBADREQ, "gtin: " DECL_GTIN_RULE ".");
        else
            sq->gtin = st->gtin14;
    }
    if (st->manufacturer.len) {
        if (!decl_slug_valid(st->manufacturer.data, st->manufacturer.len))
            rc = reg_why_set(why, REG_EBADREQ, "manufacturer: a manufacturer's slug.");
        sq->manufacturer = buf_cstr(&st->manufacturer);
    }
    if (st->cursor.len) {
        if (!decl_id_valid(st->cursor.data, st->cursor.len))
            rc = reg_why_set(why, REG_EBADREQ, "cursor: a product ID.");
        sq->cursor = buf_cstr(&st->cursor);
    }
    return rc;
}

void search_query_string(const struct search_query *sq, int with_mfr, struct buf *out)
{
    if (sq->q) { /* RFC 3986 unreserved characters as they are, every other byte %XX */
        buf_puts(out, "&q=");
        for (const unsigned char *s = (const unsigned char *)sq->q; *s; s++)
            if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                strchr("-._~", *s))
                buf_putc(out, (char)*s);
            else
                buf_printf(out, "%%%02X", *s);
    }
    /* Slugs, GTINs and the names are URL-safe as they are. */
    buf_printf(out, "&status=%s", status_names[sq->status]);
    if (sq->gtin) buf_printf(out, "&gtin=%s", sq->gtin);
    if (sq->support >= 0)
        buf_printf(out, "&support=%s", assess_support_name((enum assess_support)sq->support));
    if (sq->compliant >= 0) buf_printf(out, "&compliant=%s", sq->compliant ? "true" : "false");
    if (sq->limit != SEARCH_DEFAULT_LIMIT) buf_printf(out, "&limit=%ld", sq->limit);
    if (with_mfr && sq->manufacturer) buf_printf(out, "&manufacturer=%s", sq->manufacturer);
}

void search_params_free(struct search_params_store *st)
{
#define FREE_TEXT(name) buf_free(&st->name);
    SEARCH_PARAMS(FREE_TEXT)
#undef FREE_TEXT
}
