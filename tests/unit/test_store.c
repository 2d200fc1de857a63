/* test_store.c: storage and the write rules on top of it, each test in a fresh LMDB
 * environment: records round-trip, versions accumulate, owners are enforced, refused writes
 * change nothing, tokens are stored only as hashes; the map grows under writes (one at a time,
 * one huge transaction, from several threads beside readers, from another process) and at its
 * maximum refuses writes with REG_ENOSPC, keeping what was stored. */
#include "harness.h"
#include "registry_fx.h"

#include "admin.h"
#include "auth.h"
#include "err.h"
#include "mfr.h"
#include "product.h"
#include "store.h"
#include "why.h"

#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yyjson.h>

struct fx {
    char *dir;
    struct store *st;
    char token[AUTH_TOKEN_LEN + 1];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    f->st = registry_fx_open(&f->dir);
    registry_fx_maker(f->st, "acme", "Acme Devices Ltd", "security@acme.example", "5012345",
                      f->token);
    int changed;
    assert_int_equal(mfr_change(f->st, "acme", MFR_PREFIX_ADD, "000001234567", &changed, NULL), 0);
    *state = f;
    return 0;
}

REGISTRY_FX_TEARDOWN(struct fx)

static int put(struct fx *f, const char *owner, const char *id, const char *json,
               struct product_result *res)
{
    struct decl_errors errs;
    struct buf rec = BUF_INIT;
    int rc = product_put(f->st, owner, id, json, strlen(json), PRODUCT_NO_PRECONDITION, &errs, &rec,
                         res);
    buf_free(&rec);
    return rc;
}

/* The current record of id, parsed (caller frees), or NULL. */
static yyjson_doc *current(struct fx *f, const char *id)
{
    struct store_txn *txn;
    const char *json;
    size_t len;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    yyjson_doc *doc = NULL;
    if (product_get(txn, id, &json, &len) == 0) doc = yyjson_read(json, len, 0);
    store_txn_abort(txn);
    return doc;
}

static size_t count(struct fx *f, enum store_table t)
{
    struct store_txn *txn;
    size_t n;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(store_count(txn, t, &n), 0);
    store_txn_abort(txn);
    return n;
}

static void create_then_read(void **state)
{
    struct fx *f = *state;
    struct product_result res;
    assert_int_equal(put(f, "acme", "acme-cam", DECL_OK, &res), 0);
    assert_true(res.created);
    assert_int_equal(res.version, 1);
    yyjson_doc *doc = current(f, "acme-cam");
    assert_non_null(doc);
    yyjson_val *r = yyjson_doc_get_root(doc);
    assert_string_equal(yyjson_get_str(yyjson_obj_get(r, "id")), "acme-cam");
    assert_string_equal(yyjson_get_str(yyjson_obj_get(r, "manufacturer")), "acme");
    assert_string_equal(yyjson_get_str(yyjson_obj_get(r, "status")), "active");
    assert_string_equal(yyjson_get_str(yyjson_obj_get(r, "support_date")), "2030-12-31");
    assert_int_equal(yyjson_get_uint(yyjson_obj_get(r, "version")), 1);
    yyjson_doc_free(doc);
}

static void updates_add_versions_and_same_content_does_not(void **state)
{
    struct fx *f = *state;
    struct product_result res;
    assert_int_equal(put(f, "acme", "acme-cam", DECL_OK, &res), 0);
    assert_int_equal(put(f, "acme", "acme-cam", DECL_OK, &res), 0);
    assert_true(res.unchanged);
    assert_int_equal(res.version, 1);
    const char *v2 = "{\"product_name\":\"Acme Indoor Camera\",\"product_model\":\"AC-200\","
                     "\"manufacturer_name\":\"Acme Devices Ltd\",\"support_date\":\"2031-12-31\","
                     "\"security_contact\":\"security@acme.example\","
                     "\"default_password\":\"unique_per_device\"}";
    assert_int_equal(put(f, "acme", "acme-cam", v2, &res), 0);
    assert_false(res.created);
    assert_false(res.unchanged);
    assert_int_equal(res.version, 2);
    assert_int_equal(count(f, STORE_VERSIONS), 2);
    /* The same GTIN written short (13 digits) is the stored 14-digit one: no new version. */
    const char *g13 = "{\"product_name\":\"Acme Indoor Camera\",\"product_model\":\"AC-200\","
                      "\"manufacturer_name\":\"Acme Devices Ltd\",\"support_date\":\"2031-12-31\","
                      "\"security_contact\":\"security@acme.example\","
                      "\"default_password\":\"unique_per_device\",\"gtin\":\"5012345678900\"}";
    const char *g14 = "{\"product_name\":\"Acme Indoor Camera\",\"product_model\":\"AC-200\","
                      "\"manufacturer_name\":\"Acme Devices Ltd\",\"support_date\":\"2031-12-31\","
                      "\"security_contact\":\"security@acme.example\","
                      "\"default_password\":\"unique_per_device\",\"gtin\":\"05012345678900\"}";
    assert_int_equal(put(f, "acme", "acme-cam", g13, &res), 0);
    assert_int_equal(res.version, 3);
    assert_int_equal(put(f, "acme", "acme-cam", g13, &res), 0);
    assert_true(res.unchanged);
    assert_int_equal(put(f, "acme", "acme-cam", g14, &res), 0);
    assert_true(res.unchanged);
    assert_int_equal(res.version, 3);
    yyjson_doc *doc = current(f, "acme-cam");
    yyjson_val *r = yyjson_doc_get_root(doc);
    assert_string_equal(yyjson_get_str(yyjson_obj_get(r, "support_date")), "2031-12-31");
    yyjson_doc_free(doc);
}

static void other_owner_is_forbidden_and_changes_nothing(void **state)
{
    struct fx *f = *state;
    struct product_result res;
    assert_int_equal(put(f, "acme", "acme-cam", DECL_OK, &res), 0);
    const char *evil =
        "{\"product_name\":\"Hijacked\",\"product_model\":\"X\","
        "\"manufacturer_name\":\"Evil\",\"support_date\":\"2020-01-01\","
        "\"security_contact\":\"x@evil.example\",\"default_password\":\"universal\"}";
    struct mfr_info m = {"evil", "Evil", NULL, NULL};
    char token[AUTH_TOKEN_LEN + 1];
    assert_int_equal(mfr_add(f->st, &m, token, NULL), 0);
    assert_int_equal(put(f, "evil", "acme-cam", evil, &res), REG_EFORBIDDEN);
    assert_non_null(strstr(res.why.text, "belongs to manufacturer 'acme'"));
    assert_string_equal(res.owner, "acme");
    yyjson_doc *doc = current(f, "acme-cam");
    yyjson_val *r = yyjson_doc_get_root(doc);
    assert_string_equal(yyjson_get_str(yyjson_obj_get(r, "product_name")), "Acme Indoor Camera");
    assert_int_equal(yyjson_get_uint(yyjson_obj_get(r, "version")), 1);
    yyjson_doc_free(doc);
    assert_int_equal(count(f, STORE_VERSIONS), 1);
}

static void invalid_input_writes_nothing(void **state)
{
    struct fx *f = *state;
    struct product_result res;
    assert_int_equal(put(f, "acme", "acme-cam", "{not json", &res), REG_EBADJSON);
    assert_int_equal(put(f, "acme", "acme-cam", "{\"product_name\":1}", &res), REG_EINVALID);
    assert_int_equal(put(f, "acme", "bad/id", DECL_OK, &res), REG_EBADID);
    assert_int_equal(count(f, STORE_PRODUCTS), 0);
    assert_int_equal(count(f, STORE_VERSIONS), 0);
}

static void gtin_is_stored_normalised(void **state)
{
    struct fx *f = *state;
    struct product_result res;
    const char *g =
        "{\"product_name\":\"P\",\"product_model\":\"M\",\"manufacturer_name\":\"Acme Devices "
        "Ltd\","
        "\"support_date\":\"2030-01-01\",\"security_contact\":\"https://a.example/sec\","
        "\"default_password\":\"user_defined\",\"gtin\":\"5012345678917\"}";
    assert_int_equal(put(f, "acme", "acme-p1", g, &res), 0);
    yyjson_doc *doc = current(f, "acme-p1");
    assert_string_equal(yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(doc), "gtin")),
                        "05012345678917");
    yyjson_doc_free(doc);
}

static void tokens_are_hashed_and_checked(void **state)
{
    struct fx *f = *state;
    struct store_txn *txn;
    char slug[AUTH_SLUG_MAX];
    assert_int_equal(strncmp(f->token, "slt_", 4), 0);
    assert_int_equal(strlen(f->token), AUTH_TOKEN_LEN);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(auth_token_check(txn, f->token, strlen(f->token), slug), 0);
    assert_string_equal(slug, "acme");
    char wrong[AUTH_TOKEN_LEN + 1];
    memcpy(wrong, f->token, sizeof wrong);
    wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
    assert_int_equal(auth_token_check(txn, wrong, strlen(wrong), slug), REG_EAUTH);
    assert_int_equal(auth_token_check(txn, "", 0, slug), REG_EAUTH);
    /* the plain token is stored nowhere: the tokens table is keyed by its hash */
    struct store_val v;
    assert_int_equal(store_get(txn, STORE_TOKENS, f->token, strlen(f->token), &v), REG_ENOTFOUND);
    store_txn_abort(txn);
}

static void duplicate_manufacturer_is_refused(void **state)
{
    struct fx *f = *state;
    char token[AUTH_TOKEN_LEN + 1];
    struct mfr_info m = {"acme", "Another Acme", NULL, NULL};
    assert_int_equal(mfr_add(f->st, &m, token, NULL), REG_EEXIST);
    struct mfr_info bad = {"Not A Slug", "X", NULL, NULL};
    assert_int_equal(mfr_add(f->st, &bad, token, NULL), REG_EBADSLUG);
    assert_int_equal(count(f, STORE_MANUFACTURERS), 1);
    assert_int_equal(count(f, STORE_TOKENS), 1);
}

static void reader_sees_new_snapshot_each_begin(void **state)
{
    struct fx *f = *state;
    struct store_reader *rd;
    struct store_txn *txn;
    const char *json;
    size_t len;
    struct product_result res;
    assert_int_equal(store_reader_new(f->st, &rd), 0);
    assert_int_equal(store_reader_begin(rd, &txn), 0);
    assert_int_equal(product_get(txn, "acme-cam", &json, &len), REG_ENOTFOUND);
    store_reader_end(rd);
    assert_int_equal(put(f, "acme", "acme-cam", DECL_OK, &res), 0);
    assert_int_equal(store_reader_begin(rd, &txn), 0);
    assert_int_equal(product_get(txn, "acme-cam", &json, &len), 0);
    store_reader_end(rd);
    store_reader_free(rd);
}

static int count_id(void *ctx, const char *id, size_t len)
{
    (void)id;
    (void)len;
    ++*(int *)ctx;
    return 0;
}

static void reindex_restores_lost_indexes(void **state)
{
    struct fx *f = *state;
    struct product_result res;
    const char *with_gtin = "{\"product_name\":\"P\",\"product_model\":\"M\","
                            "\"support_date\":\"2031-12-31\","
                            "\"security_contact\":\"security@acme.example\","
                            "\"default_password\":\"unique_per_device\",\"gtin\":\"12345670\"}";
    size_t n = 99;
    assert_int_equal(put(f, "acme", "acme-a", DECL_OK, &res), 0);
    assert_int_equal(put(f, "acme", "acme-b", with_gtin, &res), 0);
    assert_int_equal(product_reindex(f->st, &n), 0);
    assert_int_equal(n, 0); /* nothing to do */
    /* Lose the indexes, as a data directory from before they existed would. */
    struct store_txn *txn;
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(store_del(txn, STORE_OWNERS, "acme\0acme-a", 11), 0);
    assert_int_equal(store_del(txn, STORE_OWNERS, "acme\0acme-b", 11), 0);
    assert_int_equal(store_del(txn, STORE_GTINS, "00000012345670", 14), 0);
    assert_int_equal(store_txn_commit(txn), 0);
    assert_int_equal(product_reindex(f->st, &n), 0);
    assert_int_equal(n, 2);
    char id[DECL_ID_MAX + 1];
    int owned = 0;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(product_by_gtin(txn, "00000012345670", id), 0);
    assert_string_equal(id, "acme-b");
    assert_int_equal(product_each_of_owner(txn, "acme", NULL, count_id, &owned), 0);
    assert_int_equal(owned, 2);
    owned = 0;
    assert_int_equal(product_each_of_owner(txn, "acme", "acme-a", count_id, &owned), 0);
    assert_int_equal(owned, 1); /* after "acme-a": only "acme-b" */
    store_txn_abort(txn);
}

/* A declaration with GTIN `gtin` (NULL: none) and support_date `until`, into out. */
static const char *decl_gtin(char out[512], const char *gtin, const char *until)
{
    snprintf(out, 512,
             "{\"product_name\":\"P\",\"product_model\":\"M\",\"support_date\":\"%s\","
             "\"security_contact\":\"security@acme.example\","
             "\"default_password\":\"unique_per_device\"%s%s%s}",
             until, gtin ? ",\"gtin\":\"" : "", gtin ? gtin : "", gtin ? "\"" : "");
    return out;
}

static void assert_gtin_leads_to(struct fx *f, const char *gtin14, const char *want)
{
    struct store_txn *txn;
    char id[DECL_ID_MAX + 1];
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(product_by_gtin(txn, gtin14, id), 0);
    assert_string_equal(id, want);
    store_txn_abort(txn);
}

/* admin_verify's problems, and its report in out (caller frees). */
static unsigned long verify(struct fx *f, char **out)
{
    unsigned long problems = 99;
    struct buf b = BUF_INIT;
    assert_int_equal(admin_verify(f->st, &b, &problems), 0);
    *out = buf_steal(&b, NULL);
    return problems;
}

static void index_gtin(struct fx *f, const char *gtin14, const char *id)
{
    struct store_txn *txn;
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    if (id)
        assert_int_equal(store_put(txn, STORE_GTINS, gtin14, 14, id, strlen(id), 0), 0);
    else
        assert_int_equal(store_del(txn, STORE_GTINS, gtin14, 14), 0);
    assert_int_equal(store_txn_commit(txn), 0);
}

/* GTINs persist (product.h): a GTIN keeps leading to its product after the product moves to
 * another or drops it; no other product may take it; admin_verify checks the rule both ways;
 * product_reindex indexes a lost former GTIN again, once per data directory. */
static void gtins_persist_and_verify_checks_them(void **state)
{
    struct fx *f = *state;
    struct product_result res;
    char d[512], *report = NULL;
    const char *a = "05012345678900", *b = "05012345678917";
    assert_int_equal(put(f, "acme", "acme-cam", decl_gtin(d, "5012345678900", "2031-01-01"), &res),
                     0);
    assert_int_equal(put(f, "acme", "acme-cam", decl_gtin(d, b, "2031-01-01"), &res), 0);
    assert_gtin_leads_to(f, a, "acme-cam");
    assert_gtin_leads_to(f, b, "acme-cam");
    assert_int_equal(put(f, "acme", "acme-cam", decl_gtin(d, NULL, "2031-01-01"), &res), 0);
    assert_int_equal(res.version, 3);
    assert_gtin_leads_to(f, a, "acme-cam");
    assert_gtin_leads_to(f, b, "acme-cam");
    assert_int_equal(put(f, "acme", "acme-hub", decl_gtin(d, a, "2031-01-01"), &res),
                     REG_EGTINTAKEN);
    assert_non_null(strstr(res.why.text, "'acme-cam'"));
    assert_int_equal(put(f, "acme", "acme-cam", decl_gtin(d, a, "2031-01-01"), &res), 0);
    assert_int_equal(count(f, STORE_GTINS), 2);
    assert_int_equal(verify(f, &report), 0);
    free(report);

    /* A former GTIN lost from the index, and one the product never carried. */
    index_gtin(f, b, NULL);
    index_gtin(f, "00000012345670", "acme-cam");
    assert_int_equal(verify(f, &report), 2);
    assert_non_null(strstr(report, "product acme-cam: its GTIN 05012345678917 leads nowhere"));
    assert_non_null(
        strstr(report, "GTIN 00000012345670 leads to product acme-cam, which never carried it"));
    free(report);
    index_gtin(f, "00000012345670", NULL);
    /* Moved to another product before GTINs persisted: a notice, not a problem. */
    assert_int_equal(put(f, "acme", "acme-hub", decl_gtin(d, NULL, "2031-01-01"), &res), 0);
    index_gtin(f, b, "acme-hub");
    assert_int_equal(verify(f, &report), 1); /* acme-hub never carried b */
    assert_non_null(strstr(report, "notice: product acme-cam: its former GTIN 05012345678917 "
                                   "leads to product acme-hub"));
    free(report);
    index_gtin(f, b, NULL);

    /* Lost former GTINs are indexed again by the first product_reindex, and only by it. */
    size_t n = 99;
    assert_int_equal(product_reindex(f->st, &n), 0);
    assert_int_equal(n, 0); /* no product needed indexing */
    assert_gtin_leads_to(f, b, "acme-cam");
    assert_int_equal(verify(f, &report), 0);
    free(report);
    index_gtin(f, b, NULL);
    assert_int_equal(product_reindex(f->st, &n), 0);
    assert_int_equal(count(f, STORE_GTINS), 1);
}

/* A dry run (product_put_dry) answers what product_put then does, and writes nothing. */
static void a_dry_run_answers_as_the_write_and_writes_nothing(void **state)
{
    struct fx *f = *state;
    struct product_result dry, real;
    struct decl_errors errs;
    char d[512];
    static const char *const until[] = {"2031-01-01", "2031-01-01", "2032-01-01", "2030-01-01"};
    static const enum store_table tables[] = {STORE_PRODUCTS, STORE_VERSIONS, STORE_GTINS,
                                              STORE_OWNERS, STORE_CHANGES};
    static const int want[] = {0, 0, 0, REG_ESHORTEN}; /* created, unchanged, updated, shorter */
    for (size_t i = 0; i < sizeof until / sizeof until[0]; i++) {
        size_t before[5];
        struct buf rd = BUF_INIT, rr = BUF_INIT;
        decl_gtin(d, "5012345678900", until[i]);
        for (int t = 0; t < 5; t++)
            before[t] = count(f, tables[t]);
        int rc = product_put_dry(f->st, "acme", "acme-cam", d, strlen(d), PRODUCT_NO_PRECONDITION,
                                 &errs, &rd, &dry);
        assert_int_equal(rc, want[i]);
        for (int t = 0; t < 5; t++)
            assert_int_equal(count(f, tables[t]), before[t]);
        assert_int_equal(product_put(f->st, "acme", "acme-cam", d, strlen(d),
                                     PRODUCT_NO_PRECONDITION, &errs, &rr, &real),
                         rc);
        assert_int_equal(dry.created, real.created);
        assert_int_equal(dry.unchanged, real.unchanged);
        assert_int_equal(dry.version, real.version);
        assert_string_equal(dry.why.text, real.why.text);
        assert_int_equal(rd.len, rr.len); /* the same record, but for `modified` maybe */
        buf_free(&rd);
        buf_free(&rr);
    }
    assert_non_null(strstr(real.why.text, "earlier than the published 2032-01-01"));
    assert_int_equal(count(f, STORE_VERSIONS), 2);
}

/* Each record is stored once: the products table holds the newest version's number. A data
 * directory from before (the record itself in the products table) is still read, and its next
 * write moves the product to the new form. */
static void records_are_stored_once_and_old_ones_still_read(void **state)
{
    struct fx *f = *state;
    struct product_result res;
    struct store_txn *txn;
    struct store_val v;
    assert_int_equal(put(f, "acme", "acme-cam", DECL_OK, &res), 0);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(store_get(txn, STORE_PRODUCTS, "acme-cam", 8, &v), 0);
    assert_int_equal(v.len, 4);
    assert_memory_equal(v.data, "\0\0\0\1", 4);
    const char *json;
    size_t len;
    assert_int_equal(product_get_version(txn, "acme-cam", 1, &json, &len), 0);
    char *old = strndup(json, len); /* what a data directory from before would hold */
    store_txn_abort(txn);

    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(store_put(txn, STORE_PRODUCTS, "acme-cam", 8, old, strlen(old), 0), 0);
    assert_int_equal(store_txn_commit(txn), 0);
    yyjson_doc *doc = current(f, "acme-cam");
    assert_non_null(doc);
    assert_int_equal(yyjson_get_uint(yyjson_obj_get(yyjson_doc_get_root(doc), "version")), 1);
    yyjson_doc_free(doc);
    const char *later =
        "{\"product_name\":\"Acme Indoor Camera\",\"product_model\":\"AC-200\","
        "\"manufacturer_name\":\"Acme Devices Ltd\",\"support_date\":\"2035-12-31\","
        "\"security_contact\":\"security@acme.example\","
        "\"default_password\":\"unique_per_device\"}";
    assert_int_equal(put(f, "acme", "acme-cam", later, &res), 0);
    assert_int_equal(res.version, 2);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(store_get(txn, STORE_PRODUCTS, "acme-cam", 8, &v), 0);
    assert_int_equal(v.len, 4);
    assert_memory_equal(v.data, "\0\0\0\2", 4);
    store_txn_abort(txn);
    free(old);
}

/* --- The map: growth and its maximum ------------------------------------------------------- */

static void reopen(struct fx *f, size_t map, size_t max)
{
    store_close(f->st);
    struct store_opts o = {map, max};
    assert_int_equal(store_open_opts(f->dir, &o, &f->st), 0);
}

static size_t map_size(struct store *st)
{
    struct store_txn *txn;
    struct store_stats s;
    assert_int_equal(store_txn_begin(st, 0, &txn), 0);
    assert_int_equal(store_stats(txn, &s), 0);
    store_txn_abort(txn);
    return s.map;
}

/* A valid declaration of about 2 KB whose product name names n (caller frees). */
static char *big_decl(unsigned n)
{
    char name[2100];
    int k = snprintf(name, sizeof name, "\"Acme device %u:", n);
    while (k < 1950)
        k += snprintf(name + k, sizeof name - (size_t)k, " secure boot, signed updates;");
    snprintf(name + k, sizeof name - (size_t)k, "\"");
    return json_with_field(DECL_OK, "product_name", name);
}

#define BATCH 20 /* declarations per transaction */

/* Products first..first+n-1 (big_decl) in one transaction, as POST /v1/batch writes them. */
static int put_bigs(struct store *st, unsigned first, unsigned n)
{
    struct store_txn *txn;
    struct mfr m = {0};
    int rc = store_txn_begin(st, 1, &txn);
    if (!rc) rc = mfr_get(txn, "acme", &m);
    for (unsigned i = first; !rc && i < first + n; i++) {
        char id[32], *d = big_decl(i);
        snprintf(id, sizeof id, "acme-dev-%u", i);
        yyjson_doc *doc = yyjson_read(d, strlen(d), 0);
        struct decl_errors errs;
        struct product_result res;
        rc = product_put_in(txn, &m, id, yyjson_doc_get_root(doc), PRODUCT_NO_PRECONDITION, &errs,
                            NULL, &res);
        yyjson_doc_free(doc);
        free(d);
    }
    mfr_free(&m);
    if (rc) {
        store_txn_abort(txn);
        return rc;
    }
    return store_txn_commit(txn);
}

/* Products 0..n-1 of put_bigs are there, each with its own name, and nothing else; the
 * database verifies. */
static void assert_big_products(struct fx *f, unsigned n)
{
    assert_int_equal(count(f, STORE_PRODUCTS), n);
    for (unsigned i = 0; i < n; i++) {
        char id[32], *want = big_decl(i);
        snprintf(id, sizeof id, "acme-dev-%u", i);
        yyjson_doc *doc = current(f, id), *w = yyjson_read(want, strlen(want), 0);
        assert_non_null(doc);
        assert_string_equal(
            yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(doc), "product_name")),
            yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(w), "product_name")));
        yyjson_doc_free(doc);
        yyjson_doc_free(w);
        free(want);
    }
    struct buf report = BUF_INIT;
    unsigned long problems = 1;
    assert_int_equal(admin_verify(f->st, &report, &problems), 0);
    assert_int_equal(problems, 0);
    buf_free(&report);
}

static void map_sizes_are_checked(void **state)
{
    struct fx *f = *state;
    struct store *st;
    struct store_opts tiny = {STORE_MAP_MIN / 2, 0}, upside_down = {4 << 20, 2 << 20},
                      max_only = {0, 4 << 20};
    assert_int_equal(store_open_opts(f->dir, &tiny, &st), REG_EBADREQ);
    assert_int_equal(store_open_opts(f->dir, &upside_down, &st), REG_EBADREQ);
    store_close(f->st);
    f->st = NULL;
    assert_int_equal(store_open_opts(f->dir, &max_only, &f->st), 0);
    assert_int_equal(map_size(f->st), 4 << 20); /* the default 16 GiB would be past the max */
    store_close(f->st);
    assert_int_equal(store_open(f->dir, &f->st), 0);
    assert_int_equal(map_size(f->st), STORE_MAP_DEFAULT);
}

static void a_tiny_map_grows_as_writes_arrive(void **state)
{
    struct fx *f = *state;
    reopen(f, STORE_MAP_MIN, 0);
    assert_int_equal(map_size(f->st), STORE_MAP_MIN);
    for (unsigned i = 0; i < 800; i += BATCH)
        assert_int_equal(put_bigs(f->st, i, BATCH), 0);
    assert_true(map_size(f->st) >= 2 * STORE_MAP_MIN);
    assert_big_products(f, 800);
}

static void the_map_at_its_maximum_refuses_writes_and_keeps_the_data(void **state)
{
    struct fx *f = *state;
    size_t max = 2 * STORE_MAP_MIN;
    reopen(f, STORE_MAP_MIN, max);
    unsigned n = 0;
    int rc;
    while ((rc = put_bigs(f->st, n, BATCH)) == 0)
        assert_true((n += BATCH) < 5000);
    assert_int_equal(rc, REG_ENOSPC);
    assert_int_equal(map_size(f->st), max);
    assert_true(n > 200); /* more than a 1 MiB map holds (with the search index): it grew */
    assert_big_products(f, n);
    assert_int_equal(put_bigs(f->st, n, BATCH), REG_ENOSPC);
    /* Opened again with the same maximum: all there, and still full. */
    reopen(f, STORE_MAP_MIN, max);
    assert_big_products(f, n);
    assert_int_equal(put_bigs(f->st, n, BATCH), REG_ENOSPC);
    /* A larger maximum lets it go on. */
    reopen(f, STORE_MAP_MIN, 2 * max);
    assert_int_equal(put_bigs(f->st, n, BATCH), 0);
    assert_big_products(f, n + BATCH);
}

static void fill_value(char *v, size_t len, unsigned n)
{
    for (size_t i = 0; i < len; i++)
        v[i] = (char)('a' + (n + i) % 26);
}

/* STORE_APPEND: keys that sort last are appended, leaving full pages behind them (records of
 * 1400 bytes: two to a 4 KB page, where inserting each at the end splits the page in half and
 * leaves one); a key that does not sort last, or exists, is answered as without the hint. */
static void appended_keys_fill_their_pages_and_others_are_inserted(void **state)
{
    struct fx *f = *state;
    char key[32], val[1400];
    struct store_txn *txn;
    struct store_stats before, after;
    struct store_val v;
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(store_stats(txn, &before), 0);
    for (unsigned i = 1; i <= 300; i++) {
        snprintf(key, sizeof key, "k%05u", i * 2);
        fill_value(val, sizeof val, i);
        assert_int_equal(store_put(txn, STORE_VERSIONS, key, strlen(key), val, sizeof val,
                                   STORE_NOOVERWRITE | STORE_APPEND),
                         0);
    }
    assert_int_equal(store_txn_commit(txn), 0);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(store_stats(txn, &after), 0);
    store_txn_abort(txn);
    /* 150 full leaf pages and a few branch pages; one record a page would be 300 */
    assert_true(after.bytes - before.bytes <= 170 * 4096);
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(store_put(txn, STORE_VERSIONS, "k00003", 6, "mid", 3, STORE_APPEND), 0);
    assert_int_equal(
        store_put(txn, STORE_VERSIONS, "k00600", 6, "again", 5, STORE_NOOVERWRITE | STORE_APPEND),
        REG_EEXIST);
    assert_int_equal(store_txn_commit(txn), 0);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(store_get(txn, STORE_VERSIONS, "k00003", 6, &v), 0);
    assert_int_equal(v.len, 3);
    assert_int_equal(store_get(txn, STORE_VERSIONS, "k00600", 6, &v), 0);
    assert_int_equal(v.len, sizeof val);
    assert_int_equal(store_stats(txn, &after), 0);
    assert_int_equal(after.entries[STORE_VERSIONS], 301);
    store_txn_abort(txn);
}

/* A kept cursor: values of one key of a table with duplicates stepped through and sought (near
 * and far, never back past the end), keys of a plain table sought and stepped, exact gets. */
static void a_kept_cursor_steps_and_seeks(void **state)
{
    struct fx *f = *state;
    char val[16];
    struct store_txn *txn;
    struct store_cur *c;
    struct store_val k, v;
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    for (unsigned i = 0; i < 2000; i++) { /* "wx" -> v00000, v00002, ... (a sub-database) */
        snprintf(val, sizeof val, "v%05u", 2 * i);
        assert_int_equal(store_put(txn, STORE_SPOSTINGS, "wx", 2, val, 6, 0), 0);
    }
    assert_int_equal(store_put(txn, STORE_SPOSTINGS, "wy", 2, "v00001", 6, 0), 0);
    assert_int_equal(store_txn_commit(txn), 0);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(store_cur_open(txn, STORE_SPOSTINGS, &c), 0);
    assert_int_equal(store_cur_seek_dup(c, "wx", 2, "", 0, &v), 0);
    assert_memory_equal(v.data, "v00000", 6);
    assert_int_equal(store_cur_next_dup(c, &v), 0);
    assert_memory_equal(v.data, "v00002", 6);
    assert_int_equal(store_cur_seek_dup(c, "wx", 2, "v00003", 6, &v), 0); /* near */
    assert_memory_equal(v.data, "v00004", 6);
    assert_int_equal(store_cur_seek_dup(c, "wx", 2, "v03001", 6, &v), 0); /* far */
    assert_memory_equal(v.data, "v03002", 6);
    assert_int_equal(store_cur_seek_dup(c, "wx", 2, "v03998", 6, &v), 0); /* the last */
    assert_int_equal(store_cur_next_dup(c, &v), REG_ENOTFOUND);           /* not wy's */
    assert_int_equal(store_cur_seek_dup(c, "wx", 2, "v03999", 6, &v), REG_ENOTFOUND);
    assert_int_equal(store_cur_seek_dup(c, "wz", 2, "", 0, &v), REG_ENOTFOUND);
    store_cur_close(c);
    assert_int_equal(store_cur_open(txn, STORE_SPOSTINGS, &c), 0);
    assert_int_equal(store_cur_seek(c, "wx", 2, &k, &v), 0);
    assert_memory_equal(k.data, "wx", 2);
    assert_int_equal(store_cur_seek(c, "wx\0", 3, &k, &v), 0); /* just after wx: wy */
    assert_memory_equal(k.data, "wy", 2);
    assert_memory_equal(v.data, "v00001", 6);
    assert_int_equal(store_cur_next(c, &k, &v), REG_ENOTFOUND);
    assert_int_equal(store_cur_get(c, "wy", 2, &v), 0);
    assert_memory_equal(v.data, "v00001", 6);
    assert_int_equal(store_cur_get(c, "wz", 2, &v), REG_ENOTFOUND);
    store_cur_close(c);
    store_cur_close(NULL);
    store_txn_abort(txn);
}

/* One transaction of 3 MB in a 1 MiB map: every put that finds the map full has it grown and
 * the transaction so far redone, refused puts and deletes included, with the same answers. */
static void one_transaction_larger_than_the_map_is_redone_whole(void **state)
{
    struct fx *f = *state;
    reopen(f, STORE_MAP_MIN, 0);
    char key[32], val[2000], got[2000];
    struct store_txn *txn;
    struct store_val v;
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(store_put(txn, STORE_CHANGES, "dup", 3, "first", 5, 0), 0);
    assert_int_equal(store_put(txn, STORE_CHANGES, "dup", 3, "second", 6, STORE_NOOVERWRITE),
                     REG_EEXIST);
    assert_int_equal(store_del(txn, STORE_CHANGES, "none", 4), REG_ENOTFOUND);
    assert_int_equal(store_put(txn, STORE_CHANGES, "gone", 4, "x", 1, 0), 0);
    assert_int_equal(store_del(txn, STORE_CHANGES, "gone", 4), 0);
    for (unsigned i = 0; i < 1500; i++) {
        snprintf(key, sizeof key, "k%05u", i);
        fill_value(val, sizeof val, i);
        assert_int_equal(store_put(txn, STORE_CHANGES, key, strlen(key), val, sizeof val, 0), 0);
        if (i == 700) /* reads inside the transaction see its own writes, redone or not */
            assert_int_equal(store_get(txn, STORE_CHANGES, "k00000", 6, &v), 0);
    }
    assert_int_equal(store_txn_commit(txn), 0);
    assert_true(map_size(f->st) >= 4 * STORE_MAP_MIN);

    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    for (unsigned i = 0; i < 1500; i++) {
        snprintf(key, sizeof key, "k%05u", i);
        fill_value(got, sizeof got, i);
        assert_int_equal(store_get(txn, STORE_CHANGES, key, strlen(key), &v), 0);
        assert_int_equal(v.len, sizeof got);
        assert_memory_equal(v.data, got, sizeof got);
    }
    assert_int_equal(store_get(txn, STORE_CHANGES, "dup", 3, &v), 0);
    assert_int_equal(v.len, 5);
    assert_memory_equal(v.data, "first", 5);
    assert_int_equal(store_get(txn, STORE_CHANGES, "gone", 4, &v), REG_ENOTFOUND);
    size_t n;
    assert_int_equal(store_count(txn, STORE_CHANGES, &n), 0);
    assert_int_equal(n, 1501 + 3); /* and the fixture's maker: added, two prefixes (changes.h) */
    store_txn_abort(txn);
}

struct scan_writer {
    struct store_txn *txn;
    unsigned puts;
};

static int write_much(void *ctx, struct store_val key, struct store_val val)
{
    struct scan_writer *w = ctx;
    (void)key;
    (void)val;
    char k[32], v[4000];
    for (unsigned i = 0; i < 400; i++) {
        snprintf(k, sizeof k, "s%05u", i);
        fill_value(v, sizeof v, i);
        int rc = store_put(w->txn, STORE_VERSIONS, k, strlen(k), v, sizeof v, 0);
        if (rc) return rc;
        w->puts++;
    }
    return 0;
}

/* A put inside a scan cannot be redone under the scan's cursor: it fails with REG_ENOSPC, the
 * map grows when the transaction is aborted, and the same transaction then succeeds. */
static void a_write_inside_a_scan_grows_the_map_for_the_next_try(void **state)
{
    struct fx *f = *state;
    reopen(f, STORE_MAP_MIN, 0);
    struct scan_writer w = {0};
    assert_int_equal(store_txn_begin(f->st, 1, &w.txn), 0);
    assert_int_equal(store_scan(w.txn, STORE_MANUFACTURERS, NULL, 0, write_much, &w), REG_ENOSPC);
    assert_true(w.puts > 0 && w.puts < 400);
    store_txn_abort(w.txn);
    assert_int_equal(map_size(f->st), 2 * STORE_MAP_MIN);
    assert_int_equal(count(f, STORE_VERSIONS), 0);
    w.puts = 0;
    assert_int_equal(store_txn_begin(f->st, 1, &w.txn), 0);
    assert_int_equal(store_scan(w.txn, STORE_MANUFACTURERS, NULL, 0, write_much, &w), 0);
    assert_int_equal(store_txn_commit(w.txn), 0);
    assert_int_equal(count(f, STORE_VERSIONS), 400);
}

/* A thread that has a read transaction open cannot wait for the map to change (it would wait
 * for itself): its write fails with REG_ENOSPC instead of hanging, and succeeds once it has
 * nothing else open. */
static void a_thread_with_another_transaction_open_gets_enospc_not_a_hang(void **state)
{
    struct fx *f = *state;
    reopen(f, STORE_MAP_MIN, 0);
    struct store_txn *r, *w;
    char key[32], val[4000];
    int rc = 0;
    unsigned i;
    assert_int_equal(store_txn_begin(f->st, 0, &r), 0);
    assert_int_equal(store_txn_begin(f->st, 1, &w), 0);
    for (i = 0; i < 400 && !rc; i++) {
        snprintf(key, sizeof key, "n%05u", i);
        fill_value(val, sizeof val, i);
        rc = store_put(w, STORE_VERSIONS, key, strlen(key), val, sizeof val, 0);
    }
    assert_int_equal(rc, REG_ENOSPC);
    store_txn_abort(w);
    store_txn_abort(r);
    assert_int_equal(map_size(f->st), STORE_MAP_MIN);
    assert_int_equal(store_txn_begin(f->st, 1, &w), 0);
    for (i = 0; i < 400; i++) {
        snprintf(key, sizeof key, "n%05u", i);
        fill_value(val, sizeof val, i);
        assert_int_equal(store_put(w, STORE_VERSIONS, key, strlen(key), val, sizeof val, 0), 0);
    }
    assert_int_equal(store_txn_commit(w), 0);
    assert_int_equal(count(f, STORE_VERSIONS), 400);
}

/* `seclabel admin` in another process writes more than this process's map can show: the next
 * transaction here, read or write, reader or not, maps the larger database and sees it all. */
static void a_database_grown_by_another_process_is_adopted(void **state)
{
    struct fx *f = *state;
    reopen(f, STORE_MAP_MIN, 0);
    struct store_reader *rd;
    assert_int_equal(store_reader_new(f->st, &rd), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) { /* never touches the parent's environment */
        struct store *st;
        struct store_opts big = {64 << 20, 0};
        int ok = store_open_opts(f->dir, &big, &st) == 0;
        for (unsigned i = 0; ok && i < 800; i += BATCH)
            ok = put_bigs(st, i, BATCH) == 0;
        if (ok) store_close(st);
        _exit(ok ? 0 : 1);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    struct store_txn *txn;
    size_t n;
    assert_int_equal(store_reader_begin(rd, &txn), 0);
    assert_int_equal(store_count(txn, STORE_PRODUCTS, &n), 0);
    assert_int_equal(n, 800);
    store_reader_end(rd);
    store_reader_free(rd);
    assert_true(map_size(f->st) > STORE_MAP_MIN);
    assert_big_products(f, 800);
    assert_int_equal(put_bigs(f->st, 800, 1), 0);
    assert_big_products(f, 801);
}

/* Writers on several threads while readers read: the map grows several times under them, no
 * write is lost, no read sees a torn value. */
#define RACE_WRITERS 3
#define RACE_READERS 2
#define RACE_PUTS 40
#define RACE_VALUE 16000

struct race {
    struct store *st;
    unsigned id;
    int *writing; /* read and cleared with atomics: volatile orders nothing between threads */
    int errors;
    unsigned reads;
};

static void *race_writer(void *arg)
{
    struct race *r = arg;
    char key[32], val[RACE_VALUE];
    for (unsigned i = 0; i < RACE_PUTS; i++) {
        struct store_txn *txn;
        snprintf(key, sizeof key, "w%u-%05u", r->id, i);
        fill_value(val, sizeof val, r->id * 1000 + i);
        int rc = store_txn_begin(r->st, 1, &txn);
        if (!rc && (rc = store_put(txn, STORE_VERSIONS, key, strlen(key), val, sizeof val, 0)))
            store_txn_abort(txn);
        else if (!rc)
            rc = store_txn_commit(txn);
        if (rc) {
            fprintf(stderr, "writer %u: %s\n", r->id, reg_strerror(rc));
            r->errors++;
        }
    }
    return NULL;
}

static int check_race_value(void *ctx, struct store_val key, struct store_val val)
{
    struct race *r = ctx;
    unsigned w, i;
    char want[RACE_VALUE];
    if (sscanf(key.data, "w%u-%5u", &w, &i) != 2 || val.len != sizeof want) return REG_EINTERNAL;
    fill_value(want, sizeof want, w * 1000 + i);
    r->reads++;
    return memcmp(val.data, want, sizeof want) ? REG_EINTERNAL : 0;
}

static void *race_reader(void *arg)
{
    struct race *r = arg;
    struct store_reader *rd;
    if (store_reader_new(r->st, &rd)) {
        r->errors++;
        return NULL;
    }
    while (__atomic_load_n(r->writing, __ATOMIC_ACQUIRE)) {
        struct store_txn *txn;
        int rc = store_reader_begin(rd, &txn);
        if (!rc) rc = store_scan(txn, STORE_VERSIONS, NULL, 0, check_race_value, r);
        store_reader_end(rd);
        if (rc) {
            fprintf(stderr, "reader %u: %s\n", r->id, reg_strerror(rc));
            r->errors++;
        }
    }
    store_reader_free(rd);
    return NULL;
}

static void writers_and_readers_on_threads_while_the_map_grows(void **state)
{
    struct fx *f = *state;
    reopen(f, STORE_MAP_MIN, 0);
    int writing = 1;
    pthread_t tw[RACE_WRITERS], tr[RACE_READERS];
    struct race w[RACE_WRITERS], r[RACE_READERS];
    for (unsigned i = 0; i < RACE_READERS; i++) {
        r[i] = (struct race){f->st, i, &writing, 0, 0};
        assert_int_equal(pthread_create(&tr[i], NULL, race_reader, &r[i]), 0);
    }
    for (unsigned i = 0; i < RACE_WRITERS; i++) {
        w[i] = (struct race){f->st, i, &writing, 0, 0};
        assert_int_equal(pthread_create(&tw[i], NULL, race_writer, &w[i]), 0);
    }
    for (unsigned i = 0; i < RACE_WRITERS; i++) {
        pthread_join(tw[i], NULL);
        assert_int_equal(w[i].errors, 0);
    }
    __atomic_store_n(&writing, 0, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < RACE_READERS; i++) {
        pthread_join(tr[i], NULL);
        assert_int_equal(r[i].errors, 0);
        assert_true(r[i].reads > 0);
    }
    assert_int_equal(count(f, STORE_VERSIONS), RACE_WRITERS * RACE_PUTS);
    assert_true(map_size(f->st) >= 2 * STORE_MAP_MIN);
}

/* path dir/name into out (4096 bytes). */
static const char *in_dir(char *out, const char *dir, const char *name)
{
    snprintf(out, 4096, "%s/%s", dir, name);
    return out;
}

static void opening_an_existing_database_creates_nothing(void **state)
{
    (void)state;
    char *dir = temp_dir(), path[4096], sub[4096];
    struct store *st = NULL;
    /* no directory; an empty one; an empty data.mdb: none is a database, none is made one */
    in_dir(sub, dir, "none");
    assert_int_equal(store_open_existing(sub, 0, &st), REG_ENODB);
    assert_int_equal(store_open_existing(sub, 1, &st), REG_ENODB);
    assert_int_equal(access(sub, F_OK), -1);
    assert_int_equal(store_open_existing(dir, 0, &st), REG_ENODB);
    assert_int_equal(store_open_existing(dir, 1, &st), REG_ENODB);
    FILE *f = fopen(in_dir(path, dir, "data.mdb"), "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(store_open_existing(dir, 0, &st), REG_ENODB);
    assert_int_equal(store_open_existing(dir, 1, &st), REG_ENODB);
    assert_int_equal(access(in_dir(path, dir, "lock.mdb"), F_OK), -1);
    struct stat s;
    assert_int_equal(stat(in_dir(path, dir, "data.mdb"), &s), 0);
    assert_int_equal(s.st_size, 0);
    rm_tree(dir);
}

/* A backup is 0600; reading it read-only writes nothing into its directory (no lock.mdb, the
 * file unchanged) and cannot write; the live database, which has its lock.mdb, reads alike. */
static void a_backup_is_private_and_reading_it_writes_nothing(void **state)
{
    struct fx *f = *state;
    struct product_result res;
    assert_int_equal(put(f, "acme", "acme-cam", DECL_OK, &res), 0);
    char *dir = temp_dir(), path[4096];
    assert_int_equal(store_backup(f->st, dir), 0);
    assert_int_equal(store_backup(f->st, dir), REG_EEXIST);
    struct stat before, after;
    assert_int_equal(stat(in_dir(path, dir, "data.mdb"), &before), 0);
    assert_int_equal(before.st_mode & 0777, 0600);
    const char *dirs[] = {dir, f->dir};
    for (int i = 0; i < 2; i++) {
        struct store *st;
        struct store_txn *txn;
        size_t n = 0;
        assert_int_equal(store_open_existing(dirs[i], 0, &st), 0);
        assert_int_equal(store_txn_begin(st, 0, &txn), 0);
        assert_int_equal(store_count(txn, STORE_PRODUCTS, &n), 0);
        store_txn_abort(txn);
        assert_int_equal(n, 1);
        assert_int_not_equal(store_txn_begin(st, 1, &txn), 0);
        store_close(st);
    }
    assert_int_equal(access(in_dir(path, dir, "lock.mdb"), F_OK), -1);
    assert_int_equal(stat(in_dir(path, dir, "data.mdb"), &after), 0);
    assert_int_equal(after.st_size, before.st_size);
    assert_true(after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
                after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(create_then_read, setup, teardown),
        cmocka_unit_test_setup_teardown(reindex_restores_lost_indexes, setup, teardown),
        cmocka_unit_test_setup_teardown(updates_add_versions_and_same_content_does_not, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(other_owner_is_forbidden_and_changes_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(invalid_input_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(gtin_is_stored_normalised, setup, teardown),
        cmocka_unit_test_setup_teardown(gtins_persist_and_verify_checks_them, setup, teardown),
        cmocka_unit_test_setup_teardown(a_dry_run_answers_as_the_write_and_writes_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(tokens_are_hashed_and_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicate_manufacturer_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(reader_sees_new_snapshot_each_begin, setup, teardown),
        cmocka_unit_test_setup_teardown(records_are_stored_once_and_old_ones_still_read, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(map_sizes_are_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(a_tiny_map_grows_as_writes_arrive, setup, teardown),
        cmocka_unit_test_setup_teardown(the_map_at_its_maximum_refuses_writes_and_keeps_the_data,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(one_transaction_larger_than_the_map_is_redone_whole, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_write_inside_a_scan_grows_the_map_for_the_next_try, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            a_thread_with_another_transaction_open_gets_enospc_not_a_hang, setup, teardown),
        cmocka_unit_test_setup_teardown(a_database_grown_by_another_process_is_adopted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(writers_and_readers_on_threads_while_the_map_grows, setup,
                                        teardown),
        cmocka_unit_test(opening_an_existing_database_creates_nothing),
        cmocka_unit_test_setup_teardown(appended_keys_fill_their_pages_and_others_are_inserted,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(a_backup_is_private_and_reading_it_writes_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_kept_cursor_steps_and_seeks, setup, teardown),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
