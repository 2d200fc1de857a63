/* test_store.c: storage and the write rules on top of it, each test in a fresh LMDB
 * environment: records round-trip, versions accumulate, owners are enforced, refused writes
 * change nothing, tokens are stored only as hashes. */
#include "harness.h"

#include "auth.h"
#include "err.h"
#include "mfr.h"
#include "product.h"
#include "store.h"

#include <yyjson.h>

struct fx {
    char *dir;
    struct store *st;
    char token[AUTH_TOKEN_LEN + 1];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    f->dir = temp_dir();
    assert_int_equal(auth_init(), 0);
    assert_int_equal(store_open(f->dir, &f->st), 0);
    struct mfr_info m = {"acme", "Acme Devices Ltd", "security@acme.example", NULL};
    assert_int_equal(mfr_add(f->st, &m, f->token, NULL, 0), 0);
    int changed;
    char why[256];
    static const char *const prefixes[] = {"5012345", "000001234567"};
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(
            mfr_change(f->st, "acme", MFR_PREFIX_ADD, prefixes[i], &changed, why, sizeof why), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    store_close(f->st);
    rm_tree(f->dir);
    free(f);
    return 0;
}

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
    assert_int_equal(mfr_add(f->st, &m, token, NULL, 0), 0);
    assert_int_equal(put(f, "evil", "acme-cam", evil, &res), REG_EFORBIDDEN);
    assert_non_null(strstr(res.why, "belongs to manufacturer 'acme'"));
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
    assert_int_equal(mfr_add(f->st, &m, token, NULL, 0), REG_EEXIST);
    struct mfr_info bad = {"Not A Slug", "X", NULL, NULL};
    assert_int_equal(mfr_add(f->st, &bad, token, NULL, 0), REG_EBADSLUG);
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
        cmocka_unit_test_setup_teardown(tokens_are_hashed_and_checked, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicate_manufacturer_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(reader_sees_new_snapshot_each_begin, setup, teardown),
        cmocka_unit_test_setup_teardown(records_are_stored_once_and_old_ones_still_read, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
