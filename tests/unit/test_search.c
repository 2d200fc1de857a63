/* test_search.c: search_run over a small temporary store: the text query (any of the named
 * fields, any case, a GTIN in any length), the manufacturer, GTIN, status, support and
 * compliance filters, and paging: a cursor continues after the last ID of a page, the last page
 * says there is no other, and pages joined are the whole list once, in ID order.
 * Also the link search_query_string writes to repeat a search, and search_params reading
 * parameters given as text (no request involved). */
#include "harness.h"
#include "registry_fx.h"

#include "assess.h"
#include "auth.h"
#include "date.h"
#include "err.h"
#include "mfr.h"
#include "product.h"
#include "search.h"
#include "store.h"

static void put(struct registry_fx *f, const char *owner, const char *id, const char *name,
                const char *until, const char *extra)
{
    char json[512];
    struct decl_errors errs;
    struct product_result res;
    snprintf(json, sizeof json,
             "{\"product_name\":\"%s\",\"product_model\":\"M-%s\",\"support_date\":\"%s\","
             "\"security_contact\":\"security@example.com\",\"default_password\":\"%s\"%s}",
             name, id, until, strstr(id, "-weak") ? "universal" : "unique_per_device", extra);
    assert_int_equal(product_put(f->st, owner, id, json, strlen(json), PRODUCT_NO_PRECONDITION,
                                 &errs, NULL, &res),
                     0);
}

/* Today is 2030-01-01: 2035 is far, 2030-03-01 ends soon, 2029 has ended. */
static int setup(void **state)
{
    struct registry_fx *f = registry_fx_new();
    struct buf rec = BUF_INIT;
    struct product_result res;
    registry_fx_maker(f->st, "acme", "Acme Devices Ltd", NULL, "5012345", NULL);
    registry_fx_maker(f->st, "bright", "Brightbulb Inc", NULL, NULL, NULL);
    put(f, "acme", "acme-cam", "Indoor Camera", "2035-01-01", ",\"gtin\":\"5012345678900\"");
    put(f, "acme", "acme-hub", "Smart Hub", "2030-03-01", "");
    put(f, "acme", "acme-old", "Old Camera", "2029-01-01", "");
    put(f, "acme", "acme-gone", "Gone Plug", "2035-01-01", "");
    put(f, "acme", "acme-weak", "Weak Plug", "2035-01-01", "");
    put(f, "bright", "bright-bulb", "Bulb", "2035-01-01", "");
    assert_int_equal(
        product_withdraw(f->st, "acme", "acme-gone", PRODUCT_NO_PRECONDITION, &rec, &res), 0);
    buf_free(&rec);
    *state = f;
    return 0;
}

REGISTRY_FX_TEARDOWN(struct registry_fx)

/* Every filter off: all statuses, no limit to speak of. */
static struct search_query any(void)
{
    struct search_query sq = {
        .status = SEARCH_ANY,
        .support = -1,
        .compliant = -1,
        .limit = SEARCH_MAX_LIMIT,
        .sort = SEARCH_SORT_ID,
        .today = date_days_from_civil(2030, 1, 1),
    };
    return sq;
}

static int add_id(void *ctx, yyjson_val *rec, const char *json, size_t len)
{
    struct buf *ids = ctx;
    (void)json;
    (void)len;
    if (ids->len) buf_putc(ids, ' ');
    buf_puts(ids, yyjson_get_str(yyjson_obj_get(rec, "id")));
    return 0;
}

/* The IDs sq finds, space-separated; the cursor for the next page in next (may be NULL). */
static const char *run(struct registry_fx *f, const struct search_query *sq, char *next)
{
    static struct buf ids;
    struct search_result res;
    struct store_txn *txn;
    buf_reset(&ids);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(search_run(txn, sq, add_id, &ids, &res), 0);
    store_txn_abort(txn);
    size_t found = 0;
    for (size_t i = 0; i < ids.len; i++)
        found += ids.data[i] == ' ';
    assert_int_equal(res.found, ids.len ? found + 1 : 0);
    if (next) strcpy(next, res.last); /* the ID res.next continues after */
    return buf_cstr(&ids);
}

static void the_text_query(void **state)
{
    struct registry_fx *f = *state;
    struct search_query sq = any();
    assert_string_equal(run(f, &sq, NULL),
                        "acme-cam acme-gone acme-hub acme-old acme-weak bright-bulb");
    sq.q = "CAMERA"; /* product_name, any case */
    assert_string_equal(run(f, &sq, NULL), "acme-cam acme-old");
    sq.q = "m-acme-h"; /* product_model */
    assert_string_equal(run(f, &sq, NULL), "acme-hub");
    sq.q = "brightbulb"; /* manufacturer_name */
    assert_string_equal(run(f, &sq, NULL), "bright-bulb");
    sq.q = "5012345678900"; /* a GTIN-13 finds the GTIN-14 it stands for */
    assert_string_equal(run(f, &sq, NULL), "acme-cam");
    sq.q = "05012345678900";
    assert_string_equal(run(f, &sq, NULL), "acme-cam");
    sq.q = "501234"; /* the start of a word: the last word typed is a prefix */
    assert_string_equal(run(f, &sq, NULL), "acme-cam");
    sq.q = "501234 "; /* unless white space follows it */
    assert_string_equal(run(f, &sq, NULL), "");
    sq.q = "2345678"; /* part of a word is not a word (words, not substrings) */
    assert_string_equal(run(f, &sq, NULL), "");
    sq.q = "camera indoor"; /* every word, in any order */
    assert_string_equal(run(f, &sq, NULL), "acme-cam");
    sq.q = "nothing like it";
    assert_string_equal(run(f, &sq, NULL), "");
    sq.q = ""; /* an empty query is no filter */
    assert_string_equal(run(f, &sq, NULL),
                        "acme-cam acme-gone acme-hub acme-old acme-weak bright-bulb");
}

static void the_filters(void **state)
{
    struct registry_fx *f = *state;
    struct search_query sq = any();
    sq.manufacturer = "bright";
    assert_string_equal(run(f, &sq, NULL), "bright-bulb");
    sq.manufacturer = "acme";
    sq.q = "plug";
    assert_string_equal(run(f, &sq, NULL), "acme-gone acme-weak");
    sq.status = SEARCH_ACTIVE;
    assert_string_equal(run(f, &sq, NULL), "acme-weak");
    sq.status = SEARCH_WITHDRAWN;
    assert_string_equal(run(f, &sq, NULL), "acme-gone");
    sq.manufacturer = "nobody";
    sq.q = NULL;
    sq.status = SEARCH_ANY;
    assert_string_equal(run(f, &sq, NULL), "");

    sq = any();
    sq.gtin = "05012345678900";
    assert_string_equal(run(f, &sq, NULL), "acme-cam");
    sq.manufacturer = "bright"; /* the other filters still apply */
    assert_string_equal(run(f, &sq, NULL), "");
    sq.manufacturer = NULL;
    sq.cursor = "acme-cam"; /* and the cursor: nothing after it holds the GTIN */
    assert_string_equal(run(f, &sq, NULL), "");
    sq.cursor = NULL;
    sq.gtin = "04006381333931";
    assert_string_equal(run(f, &sq, NULL), "");

    sq = any();
    sq.support = ASSESS_ENDING_SOON;
    assert_string_equal(run(f, &sq, NULL), "acme-hub");
    sq.support = ASSESS_ENDED;
    assert_string_equal(run(f, &sq, NULL), "acme-old");
    sq.support = ASSESS_ACTIVE;
    assert_string_equal(run(f, &sq, NULL), "acme-cam acme-weak bright-bulb");
    sq.today = date_days_from_civil(2036, 1, 1); /* the day counts */
    assert_string_equal(run(f, &sq, NULL), "");
    sq = any();
    sq.compliant = 0; /* a broken promise or withdrawn; an ended period kept its promises */
    assert_string_equal(run(f, &sq, NULL), "acme-gone acme-weak");
    sq.compliant = 1;
    assert_string_equal(run(f, &sq, NULL), "acme-cam acme-hub acme-old bright-bulb");
}

/* Pages of `limit` joined: the IDs, "|" between pages. */
static const char *pages(struct registry_fx *f, struct search_query sq)
{
    static char all[512];
    char next[DECL_ID_MAX + 1] = "", cursor[DECL_ID_MAX + 1];
    all[0] = '\0';
    for (int page = 0; page < 20; page++) {
        const char *ids = run(f, &sq, next);
        size_t at = strlen(all);
        snprintf(all + at, sizeof all - at, "%s%s", page ? "|" : "", ids);
        if (!next[0]) return all;
        strcpy(cursor, next);
        sq.cursor = cursor;
    }
    fail_msg("paging does not end: %s", all);
    return NULL;
}

static void paging(void **state)
{
    struct registry_fx *f = *state;
    struct search_query sq = any();
    sq.limit = 2;
    assert_string_equal(pages(f, sq), "acme-cam acme-gone|acme-hub acme-old|acme-weak bright-bulb");
    sq.limit = 3;
    assert_string_equal(pages(f, sq), "acme-cam acme-gone acme-hub|acme-old acme-weak bright-bulb");
    sq.cursor = "acme-hub"; /* after it, not from it */
    assert_string_equal(pages(f, sq), "acme-old acme-weak bright-bulb");
    sq.cursor = "acme-h"; /* any string: the IDs after it */
    assert_string_equal(pages(f, sq), "acme-hub acme-old acme-weak|bright-bulb");
    /* One manufacturer's products page through its owners index the same way. */
    sq = any();
    sq.manufacturer = "acme";
    sq.limit = 2;
    assert_string_equal(pages(f, sq), "acme-cam acme-gone|acme-hub acme-old|acme-weak");
    /* A page says there is another only when one follows: the last page has no cursor. */
    sq = any();
    sq.q = "plug";
    sq.limit = 1;
    assert_string_equal(pages(f, sq), "acme-gone|acme-weak");
    sq.limit = 2;
    char next[DECL_ID_MAX + 1];
    assert_string_equal(run(f, &sq, next), "acme-gone acme-weak");
    assert_string_equal(next, "");
}

static void a_link_repeats_the_search(void **state)
{
    (void)state;
    struct search_query sq = any();
    struct buf out = BUF_INIT;
    search_query_string(&sq, 1, &out);
    assert_string_equal(buf_cstr(&out), "&status=any&limit=100");
    buf_reset(&out);
    sq.q = "Café & co/x~";
    sq.manufacturer = "acme";
    sq.gtin = "05012345678900";
    sq.support = ASSESS_ENDING_SOON;
    sq.compliant = 0;
    sq.limit = SEARCH_DEFAULT_LIMIT;
    sq.status = SEARCH_ACTIVE;
    sq.cursor = "acme-cam"; /* never repeated */
    search_query_string(&sq, 1, &out);
    assert_string_equal(buf_cstr(&out), "&q=Caf%C3%A9%20%26%20co%2Fx~&status=active"
                                        "&gtin=05012345678900&support=ending_soon"
                                        "&compliant=false&manufacturer=acme&sort=id");
    buf_reset(&out);
    search_query_string(&sq, 0, &out);
    assert_null(strstr(buf_cstr(&out), "manufacturer"));
    buf_free(&out);
}

/* Parse parameters given as text (name=value pairs, "" for none): search_params' answer. */
static int parse(const char *const *pairs, enum search_status status, struct search_query *sq,
                 struct search_params_store *st, struct reg_why *why)
{
    memset(st, 0, sizeof *st);
    for (size_t i = 0; pairs[i]; i += 2) {
        struct buf *b = NULL;
#define PICK(name)                                                                                 \
    if (!strcmp(pairs[i], #name)) b = &st->name;
        SEARCH_PARAMS(PICK)
#undef PICK
        assert_non_null(b);
        buf_puts(b, pairs[i + 1]);
    }
    return search_params(st, status, 12345, sq, why);
}

static void parameters_from_text(void **state)
{
    (void)state;
    struct search_query sq;
    struct search_params_store st;
    struct reg_why why;
    /* The route table's list names the same parameters as the text fields. */
    struct buf names = BUF_INIT;
#define NAME(name) buf_printf(&names, "%s%s", names.len ? " " : "", #name);
    SEARCH_PARAMS(NAME)
#undef NAME
    assert_string_equal(buf_cstr(&names), SEARCH_QUERY_PARAMS);
    buf_free(&names);
    /* Nothing given: the caller's default status, no filters, today as given. */
    const char *const none[] = {NULL};
    assert_int_equal(parse(none, SEARCH_ANY, &sq, &st, &why), 0);
    assert_int_equal(sq.status, SEARCH_ANY);
    assert_int_equal(sq.support, -1);
    assert_int_equal(sq.compliant, -1);
    assert_int_equal(sq.limit, SEARCH_DEFAULT_LIMIT);
    assert_int_equal(sq.today, 12345);
    assert_null(sq.q);
    search_params_free(&st);
    /* Every parameter, well formed; an empty one counts as not given. The cursor is one this
     * search gave (made here as search_run makes it). */
    struct search_query like = {.q = "Cam",
                                .manufacturer = "acme",
                                .gtin = "05012345678900",
                                .status = SEARCH_WITHDRAWN,
                                .support = ASSESS_ENDED,
                                .compliant = 1,
                                .sort = SEARCH_SORT_RELEVANCE};
    char cursor[SEARCH_CURSOR_MAX];
    search_cursor(&like, 1, 0, "acme-cam", cursor);
    const char *const all[] = {
        "q",      "Cam",       "manufacturer", "acme",  "gtin",      "5012345678900",
        "status", "withdrawn", "support",      "ended", "compliant", "true",
        "limit",  "7",         "cursor",       cursor,  NULL};
    assert_int_equal(parse(all, SEARCH_ACTIVE, &sq, &st, &why), 0);
    assert_string_equal(sq.q, "Cam");
    assert_string_equal(sq.manufacturer, "acme");
    assert_string_equal(sq.gtin, "05012345678900");
    assert_int_equal(sq.status, SEARCH_WITHDRAWN);
    assert_int_equal(sq.support, ASSESS_ENDED);
    assert_int_equal(sq.compliant, 1);
    assert_int_equal(sq.limit, 7);
    assert_string_equal(sq.cursor, "acme-cam");
    assert_int_equal(sq.after_tier, 1);
    search_params_free(&st);
    /* a cursor of another search, or of another order, is refused */
    like.q = "Cat";
    search_cursor(&like, 1, 0, "acme-cam", cursor);
    assert_int_equal(parse(all, SEARCH_ACTIVE, &sq, &st, &why), REG_EBADREQ);
    assert_non_null(strstr(why.text, "cursor: from another search"));
    search_params_free(&st);
    const char *const empty[] = {"status", "", NULL};
    assert_int_equal(parse(empty, SEARCH_ACTIVE, &sq, &st, &why), 0);
    assert_int_equal(sq.status, SEARCH_ACTIVE);
    search_params_free(&st);
    /* A bad value is refused with a reason naming its parameter. */
    static const char *const bad[][3] = {{"limit", "0", "limit: "},
                                         {"limit", "+5", "limit: "},
                                         {"status", "all", "status: "},
                                         {"support", "withdrawn", "support: one of active"},
                                         {"compliant", "yes", "compliant"},
                                         {"gtin", "5012345678901", "gtin: "},
                                         {"manufacturer", "Ac me", "manufacturer: "},
                                         {"cursor", "a/b", "cursor: "}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *const pairs[] = {bad[i][0], bad[i][1], NULL};
        assert_int_equal(parse(pairs, SEARCH_ACTIVE, &sq, &st, &why), REG_EBADREQ);
        assert_non_null(strstr(why.text, bad[i][2]));
        search_params_free(&st);
    }
    struct search_params_store nul = {0};
    buf_append(&nul.q, "a\0b", 3);
    assert_int_equal(search_params(&nul, SEARCH_ACTIVE, 0, &sq, &why), REG_EBADREQ);
    assert_non_null(strstr(why.text, "q: "));
    search_params_free(&nul);
}

/* A product of bright's whose support ends `days` after 2030-01-01. */
static void put_day(struct registry_fx *f, const char *id, int days, const char *extra)
{
    char until[11];
    date_format_day(date_days_from_civil(2030, 1, 1) + days, until);
    put(f, "bright", id, "Plug", until, extra);
}

struct brute {
    int64_t today;
    struct search_facets f;
};

/* What search_facets should say, from each record's assess_record. */
static int brute_one(void *ctx, yyjson_val *rec, const char *json, size_t len)
{
    struct brute *b = ctx;
    struct assess a;
    (void)json;
    (void)len;
    assess_record(rec, b->today, &a);
    if (a.withdrawn) {
        b->f.withdrawn++;
        return 0;
    }
    b->f.total++;
    b->f.support[a.by_date]++;
    if (a.compliant)
        b->f.compliant++;
    else
        b->f.not_compliant++;
    return 0;
}

static void facets_at(struct registry_fx *f, int64_t today, struct search_facets *got)
{
    struct store_txn *txn;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(search_facets(txn, today, got), 0);
    struct search_query sq = any();
    struct search_result res;
    struct brute b = {.today = today};
    sq.limit = 1000;
    assert_int_equal(search_run(txn, &sq, brute_one, &b, &res), 0);
    store_txn_abort(txn);
    assert_int_equal(got->total, b.f.total);
    assert_int_equal(got->withdrawn, b.f.withdrawn);
    for (int s = 0; s <= ASSESS_UNKNOWN; s++)
        assert_int_equal(got->support[s], b.f.support[s]);
    assert_int_equal(got->compliant, b.f.compliant);
    assert_int_equal(got->not_compliant, b.f.not_compliant);
}

/* The support facets are the per-day counts summed over the filter's ranges: as of 2030-01-01
 * yesterday has ended, today and today + 180 end soon, today + 181 is active; each day as
 * assess_record says for every `today` around the boundaries. */
static void facets_sum_the_day_counts(void **state)
{
    struct registry_fx *f = *state;
    const int yesterday = -1, today = 0, soon = ASSESS_ENDING_SOON_DAYS,
              later = ASSESS_ENDING_SOON_DAYS + 1;
    put_day(f, "bright-yesterday", yesterday, "");
    put_day(f, "bright-today", today, ",\"markets\":[\"GB\",\"DE\"]");
    put_day(f, "bright-soon", soon, "");
    put_day(f, "bright-later", later, ",\"markets\":[\"GB\"]");
    put_day(f, "bright-gone", today, ",\"markets\":[\"FR\"]");
    struct buf rec = BUF_INIT;
    struct product_result res;
    assert_int_equal(
        product_withdraw(f->st, "bright", "bright-gone", PRODUCT_NO_PRECONDITION, &rec, &res), 0);
    buf_free(&rec);
    struct search_facets got;
    int64_t t = date_days_from_civil(2030, 1, 1);
    facets_at(f, t, &got);
    /* setup's: cam, weak, bulb 2035; hub 2030-03-01; old 2029; gone withdrawn */
    assert_int_equal(got.total, 9);
    assert_int_equal(got.withdrawn, 2);
    assert_int_equal(got.support[ASSESS_ACTIVE], 4);      /* + later */
    assert_int_equal(got.support[ASSESS_ENDING_SOON], 3); /* hub, today, soon */
    assert_int_equal(got.support[ASSESS_ENDED], 2);       /* old, yesterday */
    assert_int_equal(got.support[ASSESS_UNKNOWN], 0);     /* a declaration must have a date */
    assert_int_equal(got.compliant, 8);
    assert_int_equal(got.not_compliant, 1); /* weak */
    assert_int_equal(got.n_markets, 2);     /* FR's product is withdrawn */
    assert_string_equal(got.markets[0].code, "DE");
    assert_int_equal(got.markets[0].n, 1);
    assert_string_equal(got.markets[1].code, "GB");
    assert_int_equal(got.markets[1].n, 2);
    search_facets_free(&got);
    /* each boundary moves by a day as today does */
    const int shifts[] = {-2, -1, 1, 2, 59, 60, 180, 181, 182, 365, 1826, 1827, 2000};
    for (size_t i = 0; i < sizeof shifts / sizeof shifts[0]; i++) {
        facets_at(f, t + shifts[i], &got);
        search_facets_free(&got);
    }
    facets_at(f, t + 1, &got);
    assert_int_equal(got.support[ASSESS_ENDED], 3);       /* today's has ended */
    assert_int_equal(got.support[ASSESS_ENDING_SOON], 3); /* soon, later */
    assert_int_equal(got.support[ASSESS_ACTIVE], 3);
    search_facets_free(&got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(the_text_query, setup, teardown),
        cmocka_unit_test_setup_teardown(the_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(paging, setup, teardown),
        cmocka_unit_test_setup_teardown(facets_sum_the_day_counts, setup, teardown),
        cmocka_unit_test(a_link_repeats_the_search),
        cmocka_unit_test(parameters_from_text),
    };
    return cmocka_run_group_tests_name("search", tests, NULL, NULL);
}
