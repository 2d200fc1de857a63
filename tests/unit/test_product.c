/* test_product.c: product records (product.h) on a temporary store: every accepted change is a
 * new immutable version read back in order; If-Match names the current version or the write is
 * refused; a support period only grows; a withdrawn product stays readable and takes no more
 * writes; the changes feed lists every version once, in order; a refusal inside a batch's
 * transaction leaves it usable. (Writes, owners and GTINs as such: test_store.c, test_mfr.c.) */
#include "harness.h"
#include "registry_fx.h"

#include "auth.h"
#include "err.h"
#include "mfr.h"
#include "product.h"
#include "store.h"

struct fx {
    char *dir;
    struct store *st;
    struct product_result res;
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    f->st = registry_fx_open(&f->dir);
    registry_fx_maker(f->st, "acme", "Acme Devices Ltd", NULL, NULL, NULL);
    registry_fx_maker(f->st, "bright", "Brightbulb Inc", NULL, NULL, NULL);
    *state = f;
    return 0;
}

REGISTRY_FX_TEARDOWN(struct fx)

/* PUT a declaration named `name`, supported until `until`, for acme's `id`. */
static int put(struct fx *f, const char *id, const char *name, const char *until, long if_match)
{
    char json[512];
    struct decl_errors errs;
    snprintf(json, sizeof json,
             "{\"product_name\":\"%s\",\"product_model\":\"M-1\",\"support_date\":\"%s\","
             "\"security_contact\":\"security@acme.example\","
             "\"default_password\":\"unique_per_device\"}",
             name, until);
    return product_put(f->st, "acme", id, json, strlen(json), if_match, &errs, NULL, &f->res);
}

/* Member `name` of the JSON object json[0..len) as a string in out ("" if absent). */
static void member(const char *json, size_t len, const char *name, char *out, size_t size)
{
    yyjson_doc *doc = yyjson_read(json, len, 0);
    assert_non_null(doc);
    yyjson_val *v = yyjson_obj_get(yyjson_doc_get_root(doc), name);
    if (yyjson_is_str(v))
        snprintf(out, size, "%s", yyjson_get_str(v));
    else if (yyjson_is_uint(v))
        snprintf(out, size, "%llu", (unsigned long long)yyjson_get_uint(v));
    else
        snprintf(out, size, "%s", "");
    yyjson_doc_free(doc);
}

/* Member `name` of the current record of `id` (or of version `version` if not 0). */
static const char *field(struct fx *f, const char *id, unsigned version, const char *name)
{
    static char out[128];
    struct store_txn *txn;
    const char *json;
    size_t len;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    if (version)
        assert_int_equal(product_get_version(txn, id, version, &json, &len), 0);
    else
        assert_int_equal(product_get(txn, id, &json, &len), 0);
    member(json, len, name, out, sizeof out);
    store_txn_abort(txn);
    return out;
}

/* Collects `member` of each record or change into a space-separated list; stops after `stop`
 * items when stop > 0. */
struct collect {
    const char *member;
    int stop, n;
    char list[512];
};

static int collect(void *ctx, const char *json, size_t len)
{
    struct collect *c = ctx;
    char v[64];
    member(json, len, c->member, v, sizeof v);
    size_t at = strlen(c->list);
    snprintf(c->list + at, sizeof c->list - at, "%s%s", at ? " " : "", v);
    return ++c->n == c->stop;
}

static const char *versions(struct fx *f, const char *id, const char *name, int stop)
{
    static struct collect c;
    struct store_txn *txn;
    memset(&c, 0, sizeof c);
    c.member = name;
    c.stop = stop;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    int rc = product_each_version(txn, id, collect, &c);
    store_txn_abort(txn);
    return rc == 0 ? c.list : rc == REG_ENOTFOUND ? "<not found>" : "<error>";
}

static void every_change_is_a_new_version_read_back_in_order(void **state)
{
    struct fx *f = *state;
    assert_int_equal(put(f, "acme-cam", "Cam", "2030-12-31", PRODUCT_NO_PRECONDITION), 0);
    assert_true(f->res.created);
    assert_int_equal(f->res.version, 1);
    assert_int_equal(put(f, "acme-cam", "Cam 2", "2030-12-31", PRODUCT_NO_PRECONDITION), 0);
    assert_false(f->res.created);
    assert_int_equal(f->res.version, 2);
    /* The same declaration again makes no version. */
    assert_int_equal(put(f, "acme-cam", "Cam 2", "2030-12-31", PRODUCT_NO_PRECONDITION), 0);
    assert_true(f->res.unchanged);
    assert_int_equal(f->res.version, 2);
    assert_int_equal(put(f, "acme-cam", "Cam 3", "2030-12-31", PRODUCT_NO_PRECONDITION), 0);
    assert_int_equal(f->res.version, 3);

    assert_string_equal(versions(f, "acme-cam", "product_name", 0), "Cam Cam 2 Cam 3");
    assert_string_equal(versions(f, "acme-cam", "version", 0), "1 2 3");
    assert_string_equal(versions(f, "acme-cam", "version", 2), "1 2"); /* the callback stops */
    assert_string_equal(versions(f, "acme-none", "version", 0), "<not found>");
    assert_string_equal(versions(f, "acme-ca", "version", 0), "<not found>"); /* no prefix */
    /* Each version stays as it was written; the current record is the newest, with the
     * registry's fields. (That `created` is kept would need writes seconds apart: not here.) */
    assert_string_equal(field(f, "acme-cam", 1, "product_name"), "Cam");
    assert_string_equal(field(f, "acme-cam", 2, "product_name"), "Cam 2");
    assert_string_equal(field(f, "acme-cam", 0, "product_name"), "Cam 3");
    assert_string_equal(field(f, "acme-cam", 0, "version"), "3");
    assert_string_equal(field(f, "acme-cam", 0, "status"), "active");
    assert_string_equal(field(f, "acme-cam", 0, "manufacturer"), "acme");
    assert_string_equal(field(f, "acme-cam", 0, "manufacturer_name"), "Acme Devices Ltd");
    struct store_txn *txn;
    const char *json;
    size_t len;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(product_get_version(txn, "acme-cam", 4, &json, &len), REG_ENOTFOUND);
    assert_int_equal(product_get_version(txn, "acme-cam", 0, &json, &len), REG_ENOTFOUND);
    assert_int_equal(product_get(txn, "acme-none", &json, &len), REG_ENOTFOUND);
    store_txn_abort(txn);
}

static void if_match_must_name_the_current_version(void **state)
{
    struct fx *f = *state;
    /* A precondition on a product that does not exist fails, whatever it names. */
    assert_int_equal(put(f, "acme-cam", "Cam", "2030-12-31", PRODUCT_ANY_VERSION), REG_EPRECOND);
    assert_non_null(strstr(f->res.why.text, "does not exist"));
    assert_int_equal(put(f, "acme-cam", "Cam", "2030-12-31", 1), REG_EPRECOND);
    assert_string_equal(versions(f, "acme-cam", "version", 0), "<not found>");
    assert_int_equal(put(f, "acme-cam", "Cam", "2030-12-31", PRODUCT_NO_PRECONDITION), 0);
    assert_int_equal(put(f, "acme-cam", "Cam 2", "2030-12-31", 1), 0);
    assert_int_equal(f->res.version, 2);
    /* A stale version, or one we never gave out: refused, nothing written. */
    assert_int_equal(put(f, "acme-cam", "Cam 3", "2030-12-31", 1), REG_EPRECOND);
    assert_non_null(strstr(f->res.why.text, "version 2"));
    assert_int_equal(put(f, "acme-cam", "Cam 3", "2030-12-31", 3), REG_EPRECOND);
    assert_int_equal(put(f, "acme-cam", "Cam 3", "2030-12-31", PRODUCT_NEVER_MATCHES),
                     REG_EPRECOND);
    assert_string_equal(versions(f, "acme-cam", "version", 0), "1 2");
    assert_int_equal(put(f, "acme-cam", "Cam 3", "2030-12-31", PRODUCT_ANY_VERSION), 0);
    assert_int_equal(put(f, "acme-cam", "Cam 4", "2030-12-31", 3), 0);
    assert_string_equal(versions(f, "acme-cam", "product_name", 0), "Cam Cam 2 Cam 3 Cam 4");
}

static void a_support_period_only_grows(void **state)
{
    struct fx *f = *state;
    assert_int_equal(put(f, "acme-cam", "Cam", "2030-12-31", PRODUCT_NO_PRECONDITION), 0);
    assert_int_equal(put(f, "acme-cam", "Cam", "2030-12-30", PRODUCT_NO_PRECONDITION),
                     REG_ESHORTEN);
    assert_non_null(strstr(f->res.why.text, "2030-12-30 is earlier than the published 2030-12-31"));
    assert_string_equal(field(f, "acme-cam", 0, "support_date"), "2030-12-31");
    assert_int_equal(put(f, "acme-cam", "Cam", "2031-01-01", PRODUCT_NO_PRECONDITION), 0);
    assert_int_equal(f->res.version, 2);
    assert_string_equal(field(f, "acme-cam", 0, "support_date"), "2031-01-01");
}

static void a_withdrawn_product_stays_readable_and_takes_no_writes(void **state)
{
    struct fx *f = *state;
    struct buf rec = BUF_INIT;
    assert_int_equal(put(f, "acme-cam", "Cam", "2030-12-31", PRODUCT_NO_PRECONDITION), 0);
    /* Only its owner withdraws it, at the version it names, and only what exists. */
    assert_int_equal(
        product_withdraw(f->st, "bright", "acme-cam", PRODUCT_NO_PRECONDITION, &rec, &f->res),
        REG_EFORBIDDEN);
    assert_int_equal(product_withdraw(f->st, "acme", "acme-cam", 2, &rec, &f->res), REG_EPRECOND);
    assert_int_equal(
        product_withdraw(f->st, "acme", "acme-none", PRODUCT_NO_PRECONDITION, &rec, &f->res),
        REG_ENOTFOUND);
    assert_int_equal(
        product_withdraw(f->st, "acme", "-bad", PRODUCT_NO_PRECONDITION, &rec, &f->res),
        REG_EBADID);
    assert_string_equal(field(f, "acme-cam", 0, "status"), "active");
    assert_int_equal(rec.len, 0);

    assert_int_equal(product_withdraw(f->st, "acme", "acme-cam", 1, &rec, &f->res), 0);
    assert_false(f->res.unchanged);
    assert_int_equal(f->res.version, 2);
    assert_non_null(strstr(buf_cstr(&rec), "\"status\":\"withdrawn\""));
    assert_string_equal(field(f, "acme-cam", 0, "status"), "withdrawn");
    assert_string_equal(field(f, "acme-cam", 0, "product_name"), "Cam"); /* declaration kept */
    assert_string_equal(field(f, "acme-cam", 1, "status"), "active");    /* history kept */
    /* Again: nothing changes. */
    buf_reset(&rec);
    assert_int_equal(
        product_withdraw(f->st, "acme", "acme-cam", PRODUCT_NO_PRECONDITION, &rec, &f->res), 0);
    assert_true(f->res.unchanged);
    assert_int_equal(f->res.version, 2);
    assert_non_null(strstr(buf_cstr(&rec), "\"status\":\"withdrawn\""));
    /* No declaration brings it back. */
    assert_int_equal(put(f, "acme-cam", "Cam again", "2031-12-31", PRODUCT_NO_PRECONDITION),
                     REG_EWITHDRAWN);
    assert_string_equal(versions(f, "acme-cam", "status", 0), "active withdrawn");
    buf_free(&rec);
}

static const char *changes(struct fx *f, uint64_t since, const char *name)
{
    static struct collect c;
    struct store_txn *txn;
    memset(&c, 0, sizeof c);
    c.member = name;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(product_each_change(txn, since, collect, &c), 0);
    store_txn_abort(txn);
    return c.list;
}

static void the_changes_feed_lists_every_version_once(void **state)
{
    struct fx *f = *state;
    struct store_txn *txn;
    uint64_t seq = 99;
    struct buf rec = BUF_INIT;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(product_last_seq(txn, &seq), 0);
    store_txn_abort(txn);
    assert_int_equal(seq, 0);
    assert_string_equal(changes(f, 0, "id"), "");

    assert_int_equal(put(f, "acme-cam", "Cam", "2030-12-31", PRODUCT_NO_PRECONDITION), 0);
    assert_int_equal(put(f, "acme-hub", "Hub", "2030-12-31", PRODUCT_NO_PRECONDITION), 0);
    assert_int_equal(put(f, "acme-cam", "Cam", "2030-12-31", PRODUCT_NO_PRECONDITION), 0);
    assert_int_equal(put(f, "acme-cam", "Cam 2", "2030-12-31", PRODUCT_NO_PRECONDITION), 0);
    assert_int_equal(put(f, "acme-cam", "Cam 2", "2020-01-01", PRODUCT_NO_PRECONDITION),
                     REG_ESHORTEN);
    assert_int_equal(
        product_withdraw(f->st, "acme", "acme-hub", PRODUCT_NO_PRECONDITION, &rec, &f->res), 0);
    assert_string_equal(changes(f, 0, "seq"), "1 2 3 4");
    assert_string_equal(changes(f, 0, "id"), "acme-cam acme-hub acme-cam acme-hub");
    assert_string_equal(changes(f, 0, "kind"), "created created updated withdrawn");
    assert_string_equal(changes(f, 0, "version"), "1 1 2 2");
    assert_string_equal(changes(f, 0, "manufacturer"), "acme acme acme acme");
    assert_string_equal(changes(f, 2, "seq"), "3 4");
    assert_string_equal(changes(f, 4, "seq"), "");
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(product_last_seq(txn, &seq), 0);
    store_txn_abort(txn);
    assert_int_equal(seq, 4);
    buf_free(&rec);
}

static int same(const char *record, const char *decl)
{
    yyjson_doc *r = yyjson_read(record, strlen(record), 0), *d = yyjson_read(decl, strlen(decl), 0);
    assert_non_null(r);
    assert_non_null(d);
    int same = product_same_declaration(yyjson_doc_get_root(r), yyjson_doc_get_root(d));
    yyjson_doc_free(r);
    yyjson_doc_free(d);
    return same;
}

static void same_declaration_ignores_what_the_registry_manages(void **state)
{
    (void)state;
    const char *rec = "{\"id\":\"acme-cam\",\"version\":3,\"status\":\"active\","
                      "\"manufacturer\":\"acme\",\"created\":\"2026-01-01T00:00:00Z\","
                      "\"modified\":\"2026-02-01T00:00:00Z\","
                      "\"manufacturer_name\":\"Acme Devices Ltd\",\"product_name\":\"Cam\","
                      "\"gtin\":\"05012345678900\",\"markets\":[\"GB\",\"DE\"]}";
    assert_true(same(rec, "{\"product_name\":\"Cam\",\"gtin\":\"05012345678900\","
                          "\"markets\":[\"GB\",\"DE\"]}"));
    /* A GTIN compares as stored; the ID and the account's name are not the declaration's. */
    assert_true(same(rec, "{\"id\":\"acme-cam\",\"manufacturer_name\":\"Other\","
                          "\"product_name\":\"Cam\",\"gtin\":\"5012345678900\","
                          "\"markets\":[\"GB\",\"DE\"]}"));
    assert_false(same(rec, "{\"product_name\":\"Cam\",\"gtin\":\"05012345678900\","
                           "\"markets\":[\"DE\",\"GB\"]}")); /* order is content */
    assert_false(same(rec, "{\"product_name\":\"Cam\",\"gtin\":\"05012345678900\"}"));
    assert_false(same(rec, "{\"product_name\":\"Cam\",\"gtin\":\"05012345678900\","
                           "\"markets\":[\"GB\",\"DE\"],\"support_date\":\"2030-12-31\"}"));
    assert_false(same(rec, "{\"product_name\":\"cam\",\"gtin\":\"05012345678900\","
                           "\"markets\":[\"GB\",\"DE\"]}"));
}

/* A refusal inside a batch's transaction leaves it as it was: the writes before it commit. */
static void a_refusal_inside_a_transaction_leaves_it_usable(void **state)
{
    struct fx *f = *state;
    struct store_txn *txn;
    struct mfr m;
    struct decl_errors errs;
    yyjson_doc *doc = yyjson_read(DECL_OK, strlen(DECL_OK), 0);
    yyjson_val *decl = yyjson_doc_get_root(doc);
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(mfr_get(txn, "acme", &m), 0);
    assert_int_equal(
        product_put_in(txn, &m, "acme-cam", decl, PRODUCT_NO_PRECONDITION, &errs, NULL, &f->res),
        0);
    int rc =
        product_put_in(txn, &m, "bright-bulb", decl, PRODUCT_NO_PRECONDITION, &errs, NULL, &f->res);
    assert_int_equal(rc, REG_ENAMESPACE);
    assert_true(product_put_refusal(rc));
    rc = product_put_in(txn, &m, "acme-hub", decl, 7, &errs, NULL, &f->res);
    assert_int_equal(rc, REG_EPRECOND);
    assert_true(product_put_refusal(rc));
    assert_false(product_put_refusal(REG_ESTORE));
    assert_false(product_put_refusal(0));
    mfr_free(&m);
    assert_int_equal(store_txn_commit(txn), 0);
    yyjson_doc_free(doc);
    assert_string_equal(versions(f, "acme-cam", "version", 0), "1");
    assert_string_equal(versions(f, "bright-bulb", "version", 0), "<not found>");
    assert_string_equal(versions(f, "acme-hub", "version", 0), "<not found>");
    assert_string_equal(changes(f, 0, "id"), "acme-cam");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(every_change_is_a_new_version_read_back_in_order, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(if_match_must_name_the_current_version, setup, teardown),
        cmocka_unit_test_setup_teardown(a_support_period_only_grows, setup, teardown),
        cmocka_unit_test_setup_teardown(a_withdrawn_product_stays_readable_and_takes_no_writes,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(the_changes_feed_lists_every_version_once, setup, teardown),
        cmocka_unit_test(same_declaration_ignores_what_the_registry_manages),
        cmocka_unit_test_setup_teardown(a_refusal_inside_a_transaction_leaves_it_usable, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("product", tests, NULL, NULL);
}
