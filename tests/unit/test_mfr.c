/* test_mfr.c: manufacturer accounts and the identity rules the registry vouches for: a maker
 * creates IDs only in its namespaces and GTINs only in its GS1 Company Prefixes, no two makers'
 * namespaces or prefixes overlap, the name on a record is the account's, a declaration naming
 * another maker is refused, and the operator's changes are dated in the maker's history. */
#include "harness.h"
#include "registry_fx.h"

#include "auth.h"
#include "err.h"
#include "mfr.h"
#include "product.h"
#include "store.h"
#include "tlog.h"
#include "why.h"

#include <yyjson.h>

struct fx {
    char *dir;
    struct store *st;
    struct reg_why why;
};

static int add(struct fx *f, const char *slug, const char *name)
{
    char token[AUTH_TOKEN_LEN + 1];
    struct mfr_info m = {slug, name, NULL, NULL};
    return mfr_add(f->st, &m, token, &f->why);
}

static int change(struct fx *f, const char *slug, enum mfr_change what, const char *arg)
{
    int changed = 0;
    int rc = mfr_change(f->st, slug, what, arg, &changed, &f->why);
    return rc ? rc : changed;
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    f->st = registry_fx_open(&f->dir);
    assert_int_equal(add(f, "acme", "Acme Devices Ltd"), 0);
    assert_int_equal(add(f, "bright", "Brightbulb Inc"), 0);
    *state = f;
    return 0;
}

REGISTRY_FX_TEARDOWN(struct fx)

/* Read manufacturer slug (caller releases). */
static void get(struct fx *f, const char *slug, struct mfr *m)
{
    struct store_txn *txn;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(mfr_get(txn, slug, m), 0);
    store_txn_abort(txn);
}

static int put(struct fx *f, const char *owner, const char *id, const char *extra,
               struct product_result *res)
{
    char json[1024];
    struct decl_errors errs;
    snprintf(json, sizeof json,
             "{\"product_name\":\"P\",\"product_model\":\"M\",\"support_date\":\"2031-12-31\","
             "\"security_contact\":\"security@acme.example\","
             "\"default_password\":\"unique_per_device\"%s}",
             extra);
    return product_put(f->st, owner, id, json, strlen(json), PRODUCT_NO_PRECONDITION, &errs, NULL,
                       res);
}

static void namespaces(void **state)
{
    struct fx *f = *state;
    struct mfr m;
    get(f, "acme", &m);
    assert_true(mfr_owns_id(&m, "acme-cam-2"));
    assert_false(mfr_owns_id(&m, "acme-")); /* the namespace alone is no ID */
    assert_false(mfr_owns_id(&m, "acmecam"));
    assert_false(mfr_owns_id(&m, "bright-bulb"));
    assert_false(mfr_owns_id(&m, "ACME-cam")); /* IDs are case-sensitive */
    mfr_free(&m);
    /* The operator grants a further prefix; it must not overlap another maker's namespace. */
    assert_int_equal(change(f, "acme", MFR_ID_PREFIX_ADD, "AC200-"), 1);
    assert_int_equal(change(f, "acme", MFR_ID_PREFIX_ADD, "AC200-"), 0); /* already */
    assert_int_equal(change(f, "acme", MFR_ID_PREFIX_ADD, "bright-x"), REG_EOVERLAP);
    assert_non_null(strstr(f->why.text, "'bright'"));
    assert_int_equal(change(f, "acme", MFR_ID_PREFIX_ADD, "BR"), REG_EOVERLAP); /* any case */
    assert_int_equal(change(f, "acme", MFR_ID_PREFIX_ADD, "-x"), REG_EINVALID);
    get(f, "acme", &m);
    assert_true(mfr_owns_id(&m, "AC200-eu"));
    mfr_free(&m);
    /* A new maker whose namespace would overlap an existing one is refused, both ways. */
    assert_int_equal(add(f, "acme-eu", "Acme Europe"), REG_EOVERLAP);
    assert_int_equal(add(f, "ac200", "AC200 Ltd"), REG_EOVERLAP); /* "ac200-" vs "AC200-" */
    assert_int_equal(add(f, "acm", "Acm"), 0); /* "acm-" is no prefix of "acme-" */
}

static void gs1_prefixes(void **state)
{
    struct fx *f = *state;
    struct mfr m;
    assert_int_equal(change(f, "acme", MFR_PREFIX_ADD, "5012345"), 1);
    get(f, "acme", &m);
    assert_true(mfr_owns_gtin(&m, "05012345678900"));  /* GTIN-13 5012345678900 */
    assert_true(mfr_owns_gtin(&m, "15012345678907"));  /* a case of them: indicator 1 */
    assert_false(mfr_owns_gtin(&m, "04006381333931")); /* someone else's */
    mfr_free(&m);
    /* Prefixes are digits, 6-12 of them, and never overlap another maker's. */
    assert_int_equal(change(f, "bright", MFR_PREFIX_ADD, "50123"), REG_EINVALID);
    assert_non_null(strstr(reg_why_text(&f->why), "is 6-12 digits")); /* the reason, in words */
    assert_int_equal(change(f, "bright", MFR_PREFIX_ADD, "50123x6"), REG_EINVALID);
    assert_int_equal(change(f, "bright", MFR_PREFIX_ADD, "50123456"), REG_EOVERLAP);
    assert_int_equal(change(f, "bright", MFR_PREFIX_ADD, "501234"), REG_EOVERLAP);
    assert_int_equal(change(f, "bright", MFR_PREFIX_ADD, "4006381"), 1);
    /* Ranges GS1 never allocates to a company; a GTIN-8 only whole. */
    assert_int_equal(change(f, "bright", MFR_PREFIX_ADD, "2123456"), REG_EINVALID);
    assert_int_equal(change(f, "bright", MFR_PREFIX_ADD, "0412345"), REG_EINVALID);
    assert_int_equal(change(f, "bright", MFR_PREFIX_ADD, "0000000"), REG_EINVALID);
    assert_int_equal(change(f, "bright", MFR_PREFIX_ADD, "000009638507"), 1);
    assert_int_equal(change(f, "acme", MFR_PREFIX_REMOVE, "5012345"), 1);
    assert_int_equal(change(f, "acme", MFR_PREFIX_REMOVE, "5012345"), 0);
    get(f, "acme", &m);
    assert_false(mfr_owns_gtin(&m, "05012345678900"));
    mfr_free(&m);
}

static void writes_follow_the_identity_rules(void **state)
{
    struct fx *f = *state;
    struct product_result res;
    assert_int_equal(change(f, "acme", MFR_PREFIX_ADD, "5012345"), 1);
    /* Outside the namespace: refused, nothing written. */
    assert_int_equal(put(f, "bright", "acme-hub-3", "", &res), REG_ENAMESPACE);
    assert_non_null(strstr(res.why.text, "'bright-'"));
    /* Another maker's name: refused; the account's own name or none: accepted. */
    assert_int_equal(
        put(f, "bright", "bright-bulb", ",\"manufacturer_name\":\"Acme Devices Ltd\"", &res),
        REG_EMFRNAME);
    assert_non_null(strstr(res.why.text, "Brightbulb Inc"));
    assert_int_equal(put(f, "bright", "bright-bulb", "", &res), 0);
    assert_int_equal(
        put(f, "bright", "bright-bulb", ",\"manufacturer_name\":\"Brightbulb Inc\"", &res), 0);
    assert_true(res.unchanged); /* the name is the account's either way */
    /* A GTIN in another maker's prefix: refused, with the maker's own prefixes named. */
    assert_int_equal(put(f, "bright", "bright-bulb", ",\"gtin\":\"5012345678900\"", &res),
                     REG_EGTINPREFIX);
    assert_non_null(strstr(res.why.text, "none recorded"));
    assert_int_equal(put(f, "acme", "acme-cam", ",\"gtin\":\"5012345678900\"", &res), 0);
    /* The stored record names the account. */
    struct store_txn *txn;
    const char *json;
    size_t len;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(product_get(txn, "bright-bulb", &json, &len), 0);
    yyjson_doc *doc = yyjson_read(json, len, 0);
    assert_string_equal(
        yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(doc), "manufacturer_name")),
        "Brightbulb Inc");
    yyjson_doc_free(doc);
    assert_int_equal(product_get(txn, "acme-hub-3", &json, &len), REG_ENOTFOUND);
    store_txn_abort(txn);
}

static void verification_and_history(void **state)
{
    struct fx *f = *state;
    struct mfr m;
    struct store_txn *txn;
    uint64_t g0, g1;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(mfr_generation(txn, &g0), 0);
    store_txn_abort(txn);
    get(f, "acme", &m);
    assert_int_equal(m.verification.day, -1);
    mfr_free(&m);
    assert_int_equal(change(f, "acme", MFR_VERIFY, ""), REG_EINVALID); /* evidence required */
    assert_int_equal(change(f, "acme", MFR_PREFIX_ADD, "5012345"), 1);
    assert_int_equal(change(f, "acme", MFR_VERIFY, "Companies House 01234567; GS1 UK licence"), 1);
    get(f, "acme", &m);
    assert_true(m.verification.day > 20000);
    struct buf b = BUF_INIT;
    mfr_account_json(&m, &b);
    assert_non_null(strstr(buf_cstr(&b), "\"verified\":true"));
    assert_non_null(strstr(buf_cstr(&b), "\"checked\":[\"identity\",\"gs1_prefixes\"]"));
    buf_free(&b);
    /* The history keeps every change, dated, oldest first. */
    const char *events[] = {"added", "gs1_prefix_added", "verified"};
    assert_int_equal(m.history_len, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_string_equal(m.history[i].event, events[i]);
        assert_non_null(m.history[i].time);
    }
    assert_string_equal(m.history[1].detail, "5012345");
    assert_null(m.history[0].detail);
    mfr_free(&m);
    assert_int_equal(change(f, "acme", MFR_UNVERIFY, "licence lapsed"), 1);
    assert_int_equal(change(f, "acme", MFR_UNVERIFY, "again"), 0);
    assert_int_equal(change(f, "nobody", MFR_VERIFY, "x"), REG_ENOTFOUND);
    get(f, "acme", &m);
    assert_int_equal(m.verification.day, -1);
    assert_int_equal(m.history_len, 4);
    mfr_free(&m);
    /* Every change bumps the generation a server watches. */
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(mfr_generation(txn, &g1), 0);
    store_txn_abort(txn);
    assert_int_equal(g1, g0 + 3);
}

static void get_reads_the_whole_account(void **state)
{
    struct fx *f = *state;
    struct store_txn *txn;
    struct mfr m;
    char token[AUTH_TOKEN_LEN + 1];
    struct mfr_info full = {"nordlicht", "Nordlicht GmbH", "security@nordlicht.example",
                            "https://nordlicht.example"};
    assert_int_equal(mfr_add(f->st, &full, token, &f->why), 0);
    assert_int_equal(change(f, "nordlicht", MFR_PREFIX_ADD, "4006381"), 1);
    assert_int_equal(change(f, "nordlicht", MFR_ID_PREFIX_ADD, "NL-"), 1);
    assert_int_equal(change(f, "nordlicht", MFR_VERIFY, "Handelsregister HRB 1234"), 1);
    get(f, "nordlicht", &m);
    assert_string_equal(m.slug, "nordlicht");
    assert_string_equal(m.name, "Nordlicht GmbH");
    assert_string_equal(m.contact, "security@nordlicht.example");
    assert_string_equal(m.website, "https://nordlicht.example");
    assert_string_equal(m.status, "active");
    assert_false(m.disabled);
    assert_non_null(m.created);
    assert_int_equal(m.gs1_prefixes.n, 1);
    assert_string_equal(m.gs1_prefixes.v[0], "4006381");
    assert_int_equal(m.id_prefixes.n, 1);
    assert_string_equal(m.id_prefixes.v[0], "NL-");
    assert_true(m.verified);
    assert_string_equal(m.verification.evidence, "Handelsregister HRB 1234");
    assert_string_equal(m.verification.contact, "security@nordlicht.example");
    assert_int_equal(m.verification.gs1_prefixes.n, 1);
    assert_string_equal(m.verification.gs1_prefixes.v[0], "4006381");
    assert_non_null(m.verification.time);
    mfr_free(&m);
    /* An account without the optional parts; and one that does not exist. */
    get(f, "acme", &m);
    assert_null(m.contact);
    assert_null(m.website);
    assert_int_equal(m.gs1_prefixes.n, 0);
    assert_false(m.verified);
    assert_int_equal(m.verification.day, -1);
    assert_null(m.verification.evidence);
    mfr_free(&m);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(mfr_get(txn, "nobody", &m), REG_ENOTFOUND);
    mfr_free(&m); /* zeroed by the failed get: freeing it is harmless */
    store_txn_abort(txn);
}

struct seen {
    char slugs[512];
    int damaged, stop_after;
};

static int note(void *ctx, const char *slug, const struct mfr *m)
{
    struct seen *s = ctx;
    if (m) assert_string_equal(m->slug, slug);
    s->damaged += !m;
    strcat(s->slugs, slug);
    strcat(s->slugs, m ? " " : "! ");
    return --s->stop_after == 0;
}

static int refuse(void *ctx, const char *slug, const struct mfr *m)
{
    (void)ctx;
    (void)slug;
    (void)m;
    return REG_EINTERNAL;
}

static void each_visits_every_account_in_slug_order(void **state)
{
    struct fx *f = *state;
    struct store_txn *txn;
    struct seen all = {.stop_after = -1}, two = {.stop_after = 2};
    assert_int_equal(add(f, "aardvark", "Aardvark AG"), 0);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(mfr_each(txn, note, &all), 0);
    assert_string_equal(all.slugs, "aardvark acme bright ");
    assert_int_equal(mfr_each(txn, note, &two), 0); /* 1 stops, and is no error */
    assert_string_equal(two.slugs, "aardvark acme ");
    assert_int_equal(mfr_each(txn, refuse, NULL), REG_EINTERNAL);
    store_txn_abort(txn);
    /* A damaged record is passed as NULL, not skipped, and does not stop the walk. */
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(store_put(txn, STORE_MANUFACTURERS, "acme", 4, "{\"slug\":1}", 10, 0), 0);
    struct seen after = {.stop_after = -1};
    assert_int_equal(mfr_each(txn, note, &after), 0);
    assert_string_equal(after.slugs, "aardvark acme! bright ");
    assert_int_equal(after.damaged, 1);
    struct mfr m;
    assert_int_equal(mfr_get(txn, "acme", &m), REG_ESTORE);
    store_txn_abort(txn);
}

static void a_disabled_makers_tokens_stop_working(void **state)
{
    struct fx *f = *state;
    struct store_txn *txn;
    struct mfr m;
    char token[AUTH_TOKEN_LEN + 1], slug[AUTH_SLUG_MAX];
    struct mfr_info n = {"nordlicht", "Nordlicht GmbH", NULL, NULL};
    assert_int_equal(mfr_add(f->st, &n, token, &f->why), 0);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(mfr_find_by_token(txn, token, strlen(token), slug), 0);
    assert_string_equal(slug, "nordlicht");
    assert_int_equal(mfr_find_by_token(txn, "slt_nonsense", 12, slug), REG_EAUTH);
    store_txn_abort(txn);
    assert_int_equal(change(f, "nordlicht", MFR_DISABLE, NULL), 1);
    assert_int_equal(change(f, "nordlicht", MFR_DISABLE, NULL), 0); /* already */
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(mfr_find_by_token(txn, token, strlen(token), slug), REG_EAUTH);
    assert_int_equal(auth_token_check(txn, token, strlen(token), slug), 0); /* still issued */
    assert_int_equal(mfr_get(txn, "nordlicht", &m), 0);
    assert_true(m.disabled);
    assert_string_equal(m.status, "disabled");
    assert_string_equal(m.history[m.history_len - 1].event, "disabled");
    mfr_free(&m);
    store_txn_abort(txn);
    /* Further tokens only for makers that exist. */
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(mfr_token_issue(txn, "nobody", token), REG_ENOTFOUND);
    assert_int_equal(mfr_token_issue(txn, "acme", token), 0);
    assert_int_equal(mfr_find_by_token(txn, token, strlen(token), slug), 0);
    assert_string_equal(slug, "acme");
    store_txn_abort(txn);
}

static void account_details_are_validated(void **state)
{
    struct fx *f = *state;
    char token[AUTH_TOKEN_LEN + 1];
    struct mfr_info bad_contact = {"nordlicht", "Nordlicht", "not a contact", NULL};
    struct mfr_info bad_site = {"nordlicht", "Nordlicht", NULL, "http://nordlicht.example"};
    struct mfr_info bad_name = {"nordlicht", "Nord\033]0;owned\007licht", NULL, NULL};
    struct mfr_info good = {"nordlicht", "Nordlicht GmbH", "https://nordlicht.example/security",
                            "https://nordlicht.example"};
    assert_int_equal(mfr_add(f->st, &bad_contact, token, &f->why), REG_EINVALID);
    assert_non_null(strstr(f->why.text, "contact"));
    assert_int_equal(mfr_add(f->st, &bad_site, token, &f->why), REG_EINVALID);
    assert_non_null(strstr(f->why.text, "website"));
    assert_int_equal(mfr_add(f->st, &bad_site, token, NULL), REG_EINVALID); /* no reason wanted */
    assert_int_equal(mfr_add(f->st, &bad_name, token, &f->why), REG_EINVALID);
    struct mfr_info bidi = {"nordlicht",
                            "Nordlicht \xe2\x80\xae"
                            "HbmG",
                            NULL, NULL}; /* U+202E */
    assert_int_equal(mfr_add(f->st, &bidi, token, &f->why), REG_EINVALID);
    assert_int_equal(mfr_add(f->st, &good, token, &f->why), 0);
}

/* A memo kept across transactions (a loop's: mfr_memo_renew) answers from memory while the
 * manufacturers generation stays, and reads the account again once it moved: a verification
 * shows at once in the next record's manufacturer_account. */
static void a_kept_memo_follows_the_generation(void **state)
{
    struct fx *f = *state;
    struct mfr_memo mm;
    struct store_txn *txn;
    struct buf a = BUF_INIT;
    uint64_t gen;
    mfr_memo_init(&mm, NULL);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(mfr_generation(txn, &gen), 0);
    mfr_memo_renew(&mm, txn, gen);
    mfr_memo_account_json(&mm, "nobody", &a);
    assert_int_equal(a.len, 4);
    assert_memory_equal(a.data, "null", 4);
    buf_reset(&a);
    mfr_memo_account_json(&mm, "acme", &a);
    assert_non_null(strstr(buf_cstr(&a), "\"verified\":false"));
    store_txn_abort(txn);

    assert_int_equal(change(f, "acme", MFR_VERIFY, "Companies House 01234567"), 1);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    uint64_t later;
    assert_int_equal(mfr_generation(txn, &later), 0);
    assert_true(later != gen);
    mfr_memo_renew(&mm, txn, gen); /* the old generation: what it held stays */
    buf_reset(&a);
    mfr_memo_account_json(&mm, "acme", &a);
    assert_non_null(strstr(buf_cstr(&a), "\"verified\":false"));
    mfr_memo_renew(&mm, txn, later); /* moved: read again */
    buf_reset(&a);
    mfr_memo_account_json(&mm, "acme", &a);
    assert_non_null(strstr(buf_cstr(&a), "\"verified\":true"));
    assert_true(mfr_memo_get(&mm, "acme")->verified);
    store_txn_abort(txn);
    mfr_memo_free(&mm);
    buf_free(&a);
}

/* mfr_set_unlogged(txn, ...) in a write transaction of its own, committed only on success. */
static int set_unlogged(struct fx *f, const char *slug, const char *contact, const char *website,
                        const char *vcontact, int *changed)
{
    struct store_txn *txn;
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    int rc = mfr_set_unlogged(txn, slug, contact, website, vcontact, changed, &f->why);
    if (rc) {
        store_txn_abort(txn);
        return rc;
    }
    return store_txn_commit(txn);
}

/* The log's size and the manufacturers generation. */
static void log_and_gen(struct fx *f, uint64_t *size, uint64_t *gen)
{
    struct store_txn *txn;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(tlog_size(txn, size), 0);
    assert_int_equal(mfr_generation(txn, gen), 0);
    store_txn_abort(txn);
}

/* A mirror's copy of what the log does not carry: checked as mfr_add checks it, not logged,
 * not in the history, the generation moved only when the record changed. */
static void a_mirrors_copy_of_contact_and_website(void **state)
{
    struct fx *f = *state;
    uint64_t size0, gen0, size, gen;
    int changed = -1;
    assert_int_equal(change(f, "acme", MFR_VERIFY, "register checked"), 1);
    log_and_gen(f, &size0, &gen0);
    assert_int_equal(set_unlogged(f, "acme", "not a contact", NULL, NULL, &changed), REG_EINVALID);
    assert_non_null(strstr(f->why.text, "contact must be an e-mail address"));
    assert_int_equal(set_unlogged(f, "acme", NULL, "http://acme.example", NULL, &changed),
                     REG_EINVALID);
    assert_non_null(strstr(f->why.text, "website"));
    assert_int_equal(set_unlogged(f, "acme", NULL, NULL, "\x01", &changed), REG_EINVALID);
    assert_int_equal(set_unlogged(f, "nobody", NULL, NULL, NULL, &changed), REG_ENOTFOUND);
    assert_int_equal(changed, 0);
    log_and_gen(f, &size, &gen);
    assert_true(size == size0 && gen == gen0); /* refusals write nothing */

    assert_int_equal(set_unlogged(f, "acme", "security@acme.example", "https://acme.example/",
                                  "security@acme.example", &changed),
                     0);
    assert_int_equal(changed, 1);
    log_and_gen(f, &size, &gen);
    assert_true(size == size0 && gen == gen0 + 1);
    struct mfr m;
    get(f, "acme", &m);
    assert_string_equal(m.contact, "security@acme.example");
    assert_string_equal(m.website, "https://acme.example/");
    assert_string_equal(m.verification.contact, "security@acme.example");
    assert_int_equal(m.history_len, 2); /* added, verified: nothing more */
    mfr_free(&m);

    assert_int_equal(set_unlogged(f, "acme", "security@acme.example", "https://acme.example/",
                                  "security@acme.example", &changed),
                     0);
    assert_int_equal(changed, 0); /* the same again: nothing written */
    log_and_gen(f, &size, &gen);
    assert_true(gen == gen0 + 1);

    /* none on the primary: removed; a verified contact without a verification is ignored */
    assert_int_equal(set_unlogged(f, "acme", NULL, NULL, NULL, &changed), 0);
    assert_int_equal(set_unlogged(f, "bright", NULL, NULL, "security@bright.example", &changed), 0);
    assert_int_equal(changed, 0);
    get(f, "acme", &m);
    assert_null(m.contact);
    assert_null(m.website);
    assert_null(m.verification.contact);
    mfr_free(&m);
    get(f, "bright", &m);
    assert_false(m.verified);
    mfr_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(namespaces, setup, teardown),
        cmocka_unit_test_setup_teardown(a_kept_memo_follows_the_generation, setup, teardown),
        cmocka_unit_test_setup_teardown(gs1_prefixes, setup, teardown),
        cmocka_unit_test_setup_teardown(writes_follow_the_identity_rules, setup, teardown),
        cmocka_unit_test_setup_teardown(verification_and_history, setup, teardown),
        cmocka_unit_test_setup_teardown(account_details_are_validated, setup, teardown),
        cmocka_unit_test_setup_teardown(get_reads_the_whole_account, setup, teardown),
        cmocka_unit_test_setup_teardown(each_visits_every_account_in_slug_order, setup, teardown),
        cmocka_unit_test_setup_teardown(a_disabled_makers_tokens_stop_working, setup, teardown),
        cmocka_unit_test_setup_teardown(a_mirrors_copy_of_contact_and_website, setup, teardown),
    };
    return cmocka_run_group_tests_name("mfr", tests, NULL, NULL);
}
