/* test_product.c: product records (product.h) on a temporary store: every accepted change is a
 * new immutable version read back in order; If-Match names the current version or the write is
 * refused; a support period only grows; a withdrawn product stays readable and takes no more
 * writes; the changes feed lists every version once, in order; a refusal inside a batch's
 * transaction leaves it usable; a mirror's replay of the log (product_apply_logged,
 * mfr_apply_logged) rebuilds every table the writes kept, byte for byte, and refuses an entry
 * that does not follow. (Writes, owners and GTINs as such: test_store.c, test_mfr.c.) */
#include "harness.h"
#include "registry_fx.h"

#include "auth.h"
#include "err.h"
#include "mfr.h"
#include "changes.h"
#include "product.h"
#include "store.h"
#include "tlog.h"

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
    assert_int_equal(changes_each(txn, since, collect, &c), 0);
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
    assert_int_equal(changes_last_seq(txn, &seq), 0);
    store_txn_abort(txn);
    assert_int_equal(seq, 2); /* the makers' accounts: acme and bright added */
    assert_string_equal(changes(f, 0, "kind"), "manufacturer manufacturer");
    assert_string_equal(changes(f, 0, "event"), "added added");
    assert_string_equal(changes(f, 0, "manufacturer"), "acme bright");
    assert_string_equal(changes(f, 0, "id"), ""); /* none: no product changed */

    assert_int_equal(put(f, "acme-cam", "Cam", "2030-12-31", PRODUCT_NO_PRECONDITION), 0);
    assert_int_equal(put(f, "acme-hub", "Hub", "2030-12-31", PRODUCT_NO_PRECONDITION), 0);
    assert_int_equal(put(f, "acme-cam", "Cam", "2030-12-31", PRODUCT_NO_PRECONDITION), 0);
    assert_int_equal(put(f, "acme-cam", "Cam 2", "2030-12-31", PRODUCT_NO_PRECONDITION), 0);
    assert_int_equal(put(f, "acme-cam", "Cam 2", "2020-01-01", PRODUCT_NO_PRECONDITION),
                     REG_ESHORTEN);
    assert_int_equal(
        product_withdraw(f->st, "acme", "acme-hub", PRODUCT_NO_PRECONDITION, &rec, &f->res), 0);
    assert_string_equal(changes(f, 2, "seq"), "3 4 5 6");
    assert_string_equal(changes(f, 2, "id"), "acme-cam acme-hub acme-cam acme-hub");
    assert_string_equal(changes(f, 2, "kind"), "created created updated withdrawn");
    assert_string_equal(changes(f, 2, "version"), "1 1 2 2");
    assert_string_equal(changes(f, 2, "manufacturer"), "acme acme acme acme");
    assert_string_equal(changes(f, 4, "seq"), "5 6");
    assert_string_equal(changes(f, 6, "seq"), "");
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(changes_last_seq(txn, &seq), 0);
    store_txn_abort(txn);
    assert_int_equal(seq, 6);
    buf_free(&rec);
}

/* The operator's changes of a maker's account are in the feed, in order with the products'
 * writes; a change that changes nothing is not. */
static void a_makers_account_events_are_in_the_changes_feed(void **state)
{
    struct fx *f = *state;
    int changed;
    assert_int_equal(put(f, "acme-cam", "Cam", "2030-12-31", PRODUCT_NO_PRECONDITION), 0);
    assert_int_equal(mfr_change(f->st, "acme", MFR_VERIFY, "register", &changed, NULL), 0);
    assert_int_equal(mfr_change(f->st, "acme", MFR_UNVERIFY, "lapsed", &changed, NULL), 0);
    assert_int_equal(mfr_change(f->st, "acme", MFR_UNVERIFY, "lapsed", &changed, NULL), 0);
    assert_int_equal(changed, 0);
    assert_int_equal(mfr_change(f->st, "bright", MFR_PREFIX_ADD, "5012345", &changed, NULL), 0);
    assert_int_equal(mfr_change(f->st, "bright", MFR_DISABLE, NULL, &changed, NULL), 0);
    assert_string_equal(changes(f, 2, "seq"), "3 4 5 6 7");
    assert_string_equal(changes(f, 2, "kind"),
                        "created manufacturer manufacturer manufacturer manufacturer");
    assert_string_equal(changes(f, 3, "event"), "verified unverified gs1_prefix_added disabled");
    assert_string_equal(changes(f, 2, "manufacturer"), "acme acme acme bright bright");
    assert_string_equal(changes(f, 2, "version"), "1    ");
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

/* ---- a mirror's replay ---- */

struct dump {
    struct buf b;
};

static int dump_pair(void *ctx, struct store_val key, struct store_val val)
{
    struct dump *d = ctx;
    buf_printf(&d->b, "%zu:", key.len);
    buf_append(&d->b, key.data, key.len);
    buf_printf(&d->b, "=%zu:", val.len);
    buf_append(&d->b, val.data, val.len);
    buf_puts(&d->b, "\n");
    return 0;
}

static int dump_version(void *ctx, const char *json, size_t len)
{
    struct dump *d = ctx;
    buf_append(&d->b, json, len);
    buf_puts(&d->b, "\n");
    return 0;
}

/* Every table a write keeps (versions as read back, unpacked), as text, into out. */
static void dump_store(struct store *st, struct buf *out)
{
    static const enum store_table tabs[] = {STORE_PRODUCTS,  STORE_MANUFACTURERS, STORE_GTINS,
                                            STORE_OWNERS,    STORE_CHANGES,       STORE_TLOG,
                                            STORE_SPOSTINGS, STORE_SDOCS,         STORE_SCOUNTS};
    struct store_txn *txn;
    struct dump d = {BUF_INIT};
    assert_int_equal(store_txn_begin(st, 0, &txn), 0);
    for (size_t i = 0; i < sizeof tabs / sizeof tabs[0]; i++) {
        buf_printf(&d.b, "table %d\n", (int)tabs[i]);
        assert_int_equal(store_scan(txn, tabs[i], NULL, 0, dump_pair, &d), 0);
    }
    static const char *const ids[] = {"acme-cam", "acme-hub", "bright-bulb"};
    for (size_t i = 0; i < 3; i++) {
        int rc = product_each_version(txn, ids[i], dump_version, &d);
        assert_true(rc == 0 || rc == REG_ENOTFOUND);
    }
    store_txn_abort(txn);
    *out = d.b;
}

/* Apply entries [from, to) of st's log to replica, one transaction; the first error (txn
 * aborted then) or 0 (committed). */
static int replay(struct store *st, struct store *replica, uint64_t from, uint64_t to,
                  struct reg_why *why)
{
    struct store_txn *r, *w;
    assert_int_equal(store_txn_begin(st, 0, &r), 0);
    assert_int_equal(store_txn_begin(replica, 1, &w), 0);
    int rc = 0;
    for (uint64_t i = from; i < to && !rc; i++) {
        struct store_val e;
        assert_int_equal(tlog_entry(r, i, &e), 0);
        rc = strncmp(e.data, "{\"manufacturer_event\"", 21) == 0
                 ? mfr_apply_logged(w, e.data, e.len, why)
                 : product_apply_logged(w, e.data, e.len, why);
    }
    store_txn_abort(r);
    if (rc) {
        store_txn_abort(w);
        return rc;
    }
    return store_txn_commit(w);
}

static void a_replay_of_the_log_rebuilds_every_table(void **state)
{
    struct fx *f = *state;
    int changed;
    struct reg_why why = {0};
    assert_int_equal(mfr_change(f->st, "acme", MFR_PREFIX_ADD, "5012345", &changed, NULL), 0);
    assert_int_equal(mfr_change(f->st, "acme", MFR_ID_PREFIX_ADD, "ac-", &changed, NULL), 0);
    assert_int_equal(mfr_change(f->st, "acme", MFR_VERIFY, "company register", &changed, NULL), 0);
    assert_int_equal(put(f, "acme-cam", "Cam", "2030-01-01", PRODUCT_NO_PRECONDITION), 0);
    assert_int_equal(put(f, "acme-cam", "Cam 2", "2031-01-01", PRODUCT_NO_PRECONDITION), 0);
    const char *g = "{\"product_name\":\"Hub\",\"product_model\":\"H\",\"support_date\":"
                    "\"2030-01-01\",\"security_contact\":\"security@acme.example\","
                    "\"default_password\":\"unique_per_device\",\"gtin\":\"5012345678900\"}";
    struct decl_errors errs;
    assert_int_equal(product_put(f->st, "acme", "acme-hub", g, strlen(g), PRODUCT_NO_PRECONDITION,
                                 &errs, NULL, &f->res),
                     0);
    assert_int_equal(
        product_withdraw(f->st, "acme", "acme-cam", PRODUCT_NO_PRECONDITION, NULL, &f->res), 0);
    assert_int_equal(mfr_change(f->st, "bright", MFR_DISABLE, NULL, &changed, NULL), 0);
    assert_int_equal(mfr_change(f->st, "acme", MFR_UNVERIFY, "lapsed", &changed, NULL), 0);

    struct store_txn *txn;
    uint64_t size;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(tlog_size(txn, &size), 0);
    store_txn_abort(txn);
    assert_int_equal(size, 11);

    char *dir;
    struct store *replica = registry_fx_open(&dir);
    /* In two steps, as a mirror catches up; the first ends after acme's products. */
    assert_int_equal(replay(f->st, replica, 0, 9, &why), 0);
    /* An entry out of order (acme-cam's version 2 again) does not follow: refused. */
    assert_int_equal(replay(f->st, replica, 6, 7, &why), REG_EINVALID);
    assert_non_null(
        strstr(why.text, "version 2 of 'acme-cam' does not follow the stored version 3"));
    assert_int_equal(replay(f->st, replica, 9, size, &why), 0);

    struct buf a, b;
    dump_store(f->st, &a);
    dump_store(replica, &b);
    assert_true(a.len > 1000);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    buf_free(&a);
    buf_free(&b);

    /* Replayed again, the first entry does not follow: acme exists. */
    assert_int_equal(replay(f->st, replica, 0, 1, &why), REG_EEXIST);
    registry_fx_close(dir, replica);
}

/* A log begun after its makers (format 1's upgrade) starts with a "snapshot" of each: neither
 * the backfill nor a mirror's replay of it makes an entry of the feed (no account changed). */
static void a_makers_snapshot_makes_no_change(void **state)
{
    struct fx *f = *state;
    struct store_txn *txn;
    uint64_t added, seq;
    assert_int_equal(put(f, "acme-cam", "Cam", "2030-12-31", PRODUCT_NO_PRECONDITION), 0);
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(store_clear(txn, STORE_TLOG), 0);
    assert_int_equal(store_txn_commit(txn), 0);
    assert_int_equal(tlog_backfill(f->st, &added), 0);
    assert_int_equal(added, 3); /* acme's and bright's snapshots, acme-cam's version */
    assert_string_equal(changes(f, 0, "seq"), "1 2 3");

    char *dir;
    struct store *replica = registry_fx_open(&dir);
    struct reg_why why = {0};
    assert_int_equal(replay(f->st, replica, 0, added, &why), 0);
    assert_int_equal(store_txn_begin(replica, 0, &txn), 0);
    assert_int_equal(changes_last_seq(txn, &seq), 0);
    store_txn_abort(txn);
    assert_int_equal(seq, 1); /* acme-cam's version only */
    registry_fx_close(dir, replica);
}

static void a_replay_refuses_an_entry_that_says_otherwise(void **state)
{
    struct fx *f = *state;
    struct reg_why why = {0};
    char *dir;
    struct store *replica = registry_fx_open(&dir);
    assert_int_equal(replay(f->st, replica, 0, 2, &why), 0); /* acme and bright added */
    struct store_txn *w;
    /* A disabling whose entry still says "active": the replayed state differs. */
    const char *e = "{\"manufacturer_event\":\"disabled\",\"time\":\"2026-01-01T00:00:00Z\","
                    "\"slug\":\"acme\",\"name\":\"Acme Devices Ltd\",\"status\":\"active\","
                    "\"verified\":false,\"gs1_prefixes\":[],\"id_prefixes\":[]}";
    assert_int_equal(store_txn_begin(replica, 1, &w), 0);
    assert_int_equal(mfr_apply_logged(w, e, strlen(e), &why), REG_EINVALID);
    assert_non_null(strstr(why.text, "another state"));
    store_txn_abort(w);
    /* Version 2 of a product the replica does not have. */
    const char *p = "{\"id\":\"acme-x\",\"version\":2,\"status\":\"active\",\"manufacturer\":"
                    "\"acme\",\"created\":\"2026-01-01T00:00:00Z\",\"modified\":"
                    "\"2026-01-01T00:00:00Z\",\"manufacturer_name\":\"Acme Devices Ltd\"}";
    assert_int_equal(store_txn_begin(replica, 1, &w), 0);
    assert_int_equal(product_apply_logged(w, p, strlen(p), &why), REG_EINVALID);
    assert_non_null(strstr(why.text, "does not follow"));
    uint64_t size;
    assert_int_equal(tlog_size(w, &size), 0);
    assert_int_equal(size, 2); /* nothing appended */
    store_txn_abort(w);
    registry_fx_close(dir, replica);
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
        cmocka_unit_test_setup_teardown(a_makers_account_events_are_in_the_changes_feed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_makers_snapshot_makes_no_change, setup, teardown),
        cmocka_unit_test(same_declaration_ignores_what_the_registry_manages),
        cmocka_unit_test_setup_teardown(a_replay_of_the_log_rebuilds_every_table, setup, teardown),
        cmocka_unit_test_setup_teardown(a_replay_refuses_an_entry_that_says_otherwise, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_refusal_inside_a_transaction_leaves_it_usable, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("product", tests, NULL, NULL);
}
