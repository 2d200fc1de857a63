/* admin.c: database-wide checks and operator changes (see admin.h). */
#include "admin.h"

#include "auth.h"
#include "date.h"
#include "mfr.h"
#include "decl.h"
#include "err.h"
#include "changes.h"
#include "product.h"
#include "reczip.h"
#include "sindex.h"
#include "store.h"
#include "tlog.h"

#include <stdlib.h>
#include <string.h>
#include <yyjson.h>

/* Differences of the search index named one by one; the rest are counted. */
#define ADMIN_INDEX_LINES 20

struct verify {
    struct store_txn *txn;
    struct buf *out;
    unsigned long problems, notices;
    struct mfr_memo makers;
    /* the versions walk: the product being walked, the next expected number and the GTIN of
     * the version before (each GTIN is checked once per product) */
    char id[DECL_ID_MAX + 1];
    unsigned expect;
    char gtin[15];
};

static void problem(struct verify *v, const char *fmt, const char *a, const char *b)
{
    buf_puts(v->out, "problem: ");
    buf_printf(v->out, fmt, a, b ? b : "");
    buf_putc(v->out, '\n');
    v->problems++;
}

/* What the identity rules (mfr.h) would refuse today in a product's current record: written
 * before the rules existed, or since the operator removed a prefix. Not damage: a notice for
 * the operator, who may act on it. */
static void identity_notices(struct verify *v, const char *id, yyjson_val *rec)
{
    const char *owner = yyjson_get_str(yyjson_obj_get(rec, "manufacturer"));
    const char *gtin = yyjson_get_str(yyjson_obj_get(rec, "gtin"));
    yyjson_val *name = yyjson_obj_get(rec, "manufacturer_name");
    const struct mfr *m = mfr_memo_get(&v->makers, owner);
    const char *what[3] = {NULL, NULL, NULL};
    if (!m) return; /* a problem already counted */
    if (!mfr_owns_id(m, id)) what[0] = "its ID is outside its owner's namespaces";
    if (gtin && strlen(gtin) == 14 && !mfr_owns_gtin(m, gtin))
        what[1] = "its GTIN is outside its owner's GS1 Company Prefixes";
    if (name && !yyjson_equals_str(name, m->name))
        what[2] = "its manufacturer_name is not its owner's account name";
    for (int i = 0; i < 3; i++)
        if (what[i]) {
            buf_printf(v->out, "notice: product %s (owner %s): %s\n", id, owner, what[i]);
            v->notices++;
        }
}

static int check_product(void *ctx, struct store_val key, struct store_val val)
{
    struct verify *v = ctx;
    char id[DECL_ID_MAX + 1];
    snprintf(id, sizeof id, "%.*s", (int)(key.len > DECL_ID_MAX ? DECL_ID_MAX : key.len),
             (const char *)key.data);
    const char *cj = NULL;
    size_t cl = 0;
    void *mark = store_txn_mark(v->txn);
    yyjson_doc *doc = product_resolve(v->txn, key.data, key.len, val, &cj, &cl) == 0
                          ? yyjson_read(cj, cl, 0)
                          : NULL;
    yyjson_val *rec = yyjson_doc_get_root(doc);
    if (!yyjson_is_obj(rec) || !yyjson_equals_str(yyjson_obj_get(rec, "id"), id)) {
        problem(v, "product %s: the current record does not parse or names another ID%s", id, NULL);
        yyjson_doc_free(doc);
        store_txn_release(v->txn, mark);
        return 0;
    }
    const char *json, *owner = yyjson_get_str(yyjson_obj_get(rec, "manufacturer"));
    const char *gtin = yyjson_get_str(yyjson_obj_get(rec, "gtin"));
    size_t len;
    unsigned version = (unsigned)yyjson_get_uint(yyjson_obj_get(rec, "version"));
    if (product_get_version(v->txn, id, version, &json, &len) != 0 || len != cl ||
        memcmp(json, cj, len) != 0 ||
        product_get_version(v->txn, id, version + 1, &json, &len) == 0)
        problem(v, "product %s: the current record is not its newest version%s", id, NULL);
    struct store_val x;
    char okey[AUTH_SLUG_MAX + DECL_ID_MAX + 2];
    int n = owner ? snprintf(okey, sizeof okey, "%s%c%s", owner, 0, id) : 0;
    if (!owner || store_get(v->txn, STORE_OWNERS, okey, (size_t)n, &x) != 0)
        problem(v, "product %s: missing from its manufacturer's index (%s)", id,
                owner ? owner : "no owner");
    char holder[DECL_ID_MAX + 1];
    if (gtin && (product_by_gtin(v->txn, gtin, holder) != 0 || strcmp(holder, id) != 0))
        problem(v, "product %s: GTIN %s does not lead back to it", id, gtin);
    identity_notices(v, id, rec);
    yyjson_doc_free(doc);
    store_txn_release(v->txn, mark); /* the records read for this product */
    return 0;
}

/* GTINs persist (product.h): the GTIN of every version of `id` leads to it. One lost before
 * that rule (moved to another product) is a notice; one that leads nowhere is a problem (it
 * should not happen: seclabeld indexes former GTINs when it starts). */
static void check_version_gtin(struct verify *v, const char *id, const char *gtin)
{
    char holder[DECL_ID_MAX + 1];
    if (!gtin || strcmp(gtin, v->gtin) == 0 || strlen(gtin) != 14) return;
    snprintf(v->gtin, sizeof v->gtin, "%s", gtin);
    int rc = product_by_gtin(v->txn, gtin, holder);
    if (rc == 0 && strcmp(holder, id) != 0) {
        buf_printf(v->out,
                   "notice: product %s: its former GTIN %s leads to product %s (moved there "
                   "before GTINs persisted)\n",
                   id, gtin, holder);
        v->notices++;
    } else if (rc) {
        problem(v, "product %s: its GTIN %s leads nowhere", id, gtin);
    }
}

static int check_version(void *ctx, struct store_val key, struct store_val val)
{
    struct verify *v = ctx;
    const char *k = key.data;
    size_t idlen = strnlen(k, key.len);
    char id[DECL_ID_MAX + 1];
    if (idlen > DECL_ID_MAX || key.len != idlen + 5) {
        problem(v, "versions: a malformed key%s%s", "", NULL);
        return 0;
    }
    memcpy(id, k, idlen);
    id[idlen] = '\0';
    unsigned n = (unsigned)store_be_get(k + idlen + 1, 4);
    void *mark = store_txn_mark(v->txn); /* records read here are needed only here */
    if (strcmp(id, v->id) != 0) {
        snprintf(v->id, sizeof v->id, "%s", id);
        v->expect = 1;
        const char *json;
        size_t len;
        if (product_get(v->txn, id, &json, &len) != 0)
            problem(v, "versions of %s exist but the product does not%s", id, NULL);
    }
    if (n != v->expect) problem(v, "product %s: a gap in its versions before %s", id, "");
    if (n == 1) v->gtin[0] = '\0';
    v->expect = n + 1;
    yyjson_doc *doc = reczip_unpack(v->txn, &val) == 0 ? yyjson_read(val.data, val.len, 0) : NULL;
    store_txn_release(v->txn, mark); /* yyjson copied it */
    yyjson_val *rec = yyjson_doc_get_root(doc);
    if (!yyjson_is_obj(rec))
        problem(v, "product %s: a version does not parse%s", id, NULL);
    else
        check_version_gtin(v, id, yyjson_get_str(yyjson_obj_get(rec, "gtin")));
    yyjson_doc_free(doc);
    return 0;
}

static int check_index(void *ctx, struct store_val key, struct store_val val)
{
    struct verify *v = ctx;
    char id[DECL_ID_MAX + 1];
    const char *json;
    size_t len;
    /* owners: slug \0 id -> ""; gtins: gtin -> id */
    if (val.len) {
        snprintf(id, sizeof id, "%.*s", (int)(val.len > DECL_ID_MAX ? DECL_ID_MAX : val.len),
                 (const char *)val.data);
    } else {
        const char *nul = memchr(key.data, 0, key.len);
        size_t off = nul ? (size_t)(nul - (const char *)key.data) + 1 : key.len;
        snprintf(id, sizeof id, "%.*s", (int)(key.len - off > DECL_ID_MAX ? 0 : key.len - off),
                 (const char *)key.data + off);
    }
    void *mark = store_txn_mark(v->txn);
    if (product_get(v->txn, id, &json, &len) != 0)
        problem(v, "an index names product %s, which does not exist%s", id, NULL);
    store_txn_release(v->txn, mark);
    return 0;
}

struct carried {
    const char *gtin;
    int found;
};

static int carried_in(void *ctx, const char *json, size_t len)
{
    struct carried *c = ctx;
    yyjson_doc *doc = yyjson_read(json, len, 0);
    c->found = yyjson_equals_str(yyjson_obj_get(yyjson_doc_get_root(doc), "gtin"), c->gtin);
    yyjson_doc_free(doc);
    return c->found;
}

/* gtins: GTIN-14 -> id of a product that exists and carries it or carried it before. */
static int check_gtin(void *ctx, struct store_val key, struct store_val val)
{
    struct verify *v = ctx;
    char id[DECL_ID_MAX + 1], gtin[15];
    snprintf(id, sizeof id, "%.*s", (int)(val.len > DECL_ID_MAX ? DECL_ID_MAX : val.len),
             (const char *)val.data);
    snprintf(gtin, sizeof gtin, "%.*s", (int)(key.len > 14 ? 14 : key.len), (const char *)key.data);
    struct carried c = {.gtin = gtin};
    int rc = product_each_version(v->txn, id, carried_in, &c);
    if (rc == REG_ENOTFOUND || (rc == 0 && !c.found)) {
        check_index(ctx, key, val); /* a product that does not exist */
        if (rc == 0) problem(v, "GTIN %s leads to product %s, which never carried it", gtin, id);
    }
    return rc == REG_ENOTFOUND ? 0 : rc;
}

static int check_change(void *ctx, const char *json, size_t len)
{
    struct verify *v = ctx;
    yyjson_doc *doc = yyjson_read(json, len, 0);
    yyjson_val *c = yyjson_doc_get_root(doc);
    const char *id = yyjson_get_str(yyjson_obj_get(c, "id")), *vj;
    const char *kind = yyjson_get_str(yyjson_obj_get(c, "kind"));
    size_t vl;
    void *mark = store_txn_mark(v->txn);
    if (kind && strcmp(kind, CHANGES_KIND_MAKER) == 0) {
        const char *slug = yyjson_get_str(yyjson_obj_get(c, "manufacturer"));
        if (!slug || !mfr_memo_get(&v->makers, slug))
            problem(v, "a change names a manufacturer that does not exist (%s)%s",
                    slug ? slug : "?", NULL);
    } else if (!id || product_get_version(v->txn, id,
                                          (unsigned)yyjson_get_uint(yyjson_obj_get(c, "version")),
                                          &vj, &vl) != 0)
        problem(v, "a change names a version that does not exist (%s)%s", id ? id : "?", NULL);
    store_txn_release(v->txn, mark);
    yyjson_doc_free(doc);
    return 0;
}

/* A problem tlog_verify found (it counts them itself). */
static void log_problem(void *ctx, const char *line)
{
    struct verify *v = ctx;
    buf_printf(v->out, "problem: %s\n", line);
}

/* The transparency log recomputed (tlog_verify). A database written before the log has none
 * until seclabeld starts (or the next write) builds it: said once, as a notice (nothing is
 * damaged), not as a problem per version. */
static int check_log(struct verify *v)
{
    uint64_t size;
    size_t versions = 0;
    unsigned long n = 0;
    int rc = tlog_size(v->txn, &size);
    if (!rc && size == 0) rc = store_count(v->txn, STORE_VERSIONS, &versions);
    if (rc) return rc;
    if (size == 0 && versions > 0) {
        buf_puts(v->out, "notice: the transparency log is not built yet: seclabeld builds it "
                         "when it starts, and so does the next write\n");
        return 0;
    }
    rc = tlog_verify(v->txn, log_problem, v, &n);
    v->problems += n;
    return rc;
}

/* A difference sindex_verify found, as a problem. */
static void index_problem(void *ctx, const char *line)
{
    problem(ctx, "search index: %s%s", line, NULL);
}

int admin_verify(struct store *st, struct buf *out, unsigned long *problems)
{
    struct verify v = {.out = out};
    int rc = store_txn_begin(st, 0, &v.txn);
    if (rc) return rc;
    mfr_memo_init(&v.makers, v.txn);
    rc = store_scan(v.txn, STORE_PRODUCTS, NULL, 0, check_product, &v);
    if (!rc) rc = store_scan(v.txn, STORE_VERSIONS, NULL, 0, check_version, &v);
    if (!rc) rc = store_scan(v.txn, STORE_OWNERS, NULL, 0, check_index, &v);
    if (!rc) rc = store_scan(v.txn, STORE_GTINS, NULL, 0, check_gtin, &v);
    if (!rc) rc = changes_each(v.txn, 0, check_change, &v);
    size_t index_diffs = 0; /* problem() counts the first ADMIN_INDEX_LINES of them */
    if (!rc) rc = sindex_verify(v.txn, index_problem, &v, ADMIN_INDEX_LINES, &index_diffs);
    if (!rc) rc = check_log(&v);
    if (index_diffs > ADMIN_INDEX_LINES) {
        buf_printf(out, "problem: search index: %zu more differences\n",
                   index_diffs - ADMIN_INDEX_LINES);
        v.problems += index_diffs - ADMIN_INDEX_LINES;
    }
    mfr_memo_free(&v.makers);
    store_txn_abort(v.txn);
    if (v.notices)
        buf_printf(out,
                   "verify: %lu notice%s: what today's rules would refuse, written before them "
                   "(or since a prefix was removed)\n",
                   v.notices, v.notices == 1 ? "" : "s");
    *problems = v.problems;
    return rc;
}

int admin_stats(struct store *st, struct buf *out)
{
    struct store_txn *txn;
    struct store_stats s;
    int rc = store_txn_begin(st, 0, &txn);
    if (!rc) rc = store_stats(txn, &s);
    store_txn_abort(txn);
    if (rc) return rc;
    for (int i = 0; i < STORE__TABLES; i++)
        buf_printf(out, "%-14s %zu\n", store_table_name(i), s.entries[i]);
    buf_printf(out, "%-14s %zu\n", "bytes", s.bytes);
    return 0;
}

struct lister {
    struct store_txn *txn;
    struct buf *out;
};

static int count_one(void *ctx, const char *id, size_t len)
{
    (void)id;
    (void)len;
    ++*(size_t *)ctx;
    return 0;
}

static int list_one(void *ctx, const char *slug, const struct mfr *m)
{
    struct lister *l = ctx;
    size_t n = 0;
    if (!m) {
        buf_printf(l->out, "%-24s (damaged record)\n", slug);
        return 0;
    }
    product_each_of_owner(l->txn, slug, NULL, count_one, &n);
    char day[11] = "unverified";
    if (m->verification.day >= 0) date_format_day(m->verification.day, day);
    buf_printf(l->out, "%-24s %-9s %-10s %6zu products  %s\n", slug, m->status, day, n, m->name);
    return 0;
}

int admin_list_manufacturers(struct store *st, struct buf *out)
{
    struct lister l = {.out = out};
    int rc = store_txn_begin(st, 0, &l.txn);
    if (rc) return rc;
    rc = mfr_each(l.txn, list_one, &l);
    store_txn_abort(l.txn);
    return rc;
}
