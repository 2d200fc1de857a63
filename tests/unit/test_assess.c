/* test_assess.c: a record's state in the one order of severity (withdrawn > not_compliant >
 * ended > ending_soon > active), its names and tones from the one table, its words, and the
 * computed JSON members: a withdrawn record is never active or compliant, and only a product a
 * shopper may rely on is shown as such. */
#include "harness.h"

#include "assess.h"
#include "err.h"
#include "buf.h"
#include "date.h"
#include "i18n.h"

#include <string.h>

static int64_t today;

static int setup(void **state)
{
    (void)state;
    today = date_days_from_civil(2026, 11, 26);
    return i18n_init();
}

/* A record with support_date `days` days from today, the default password pw, and status st
 * (NULL: a declaration, which has none), modified on 2026-11-20. */
static void assess_with(int days, const char *pw, const char *st, struct assess *a)
{
    char sd[11], json[512];
    date_format_day(today + days, sd);
    snprintf(json, sizeof json,
             "{\"id\":\"acme-x\",\"support_date\":\"%s\",\"security_contact\":\"s@acme.example\","
             "\"default_password\":\"%s\",\"modified\":\"2026-11-20T10:00:00Z\"%s%s%s}",
             sd, pw, st ? ",\"status\":\"" : "", st ? st : "", st ? "\"" : "");
    yyjson_doc *doc = yyjson_read(json, strlen(json), 0);
    assert_non_null(doc);
    assess_record(yyjson_doc_get_root(doc), today, a);
    yyjson_doc_free(doc);
}

static void states_are_ordered_by_severity(void **state)
{
    (void)state;
    const char *order[] = {"active", "ending_soon", "ended", "not_compliant", "withdrawn"};
    assert_int_equal(ASSESS__STATES, 5);
    for (int s = 0; s < ASSESS__STATES; s++) {
        assert_string_equal(assess_state_name((enum assess_state)s), order[s]);
        assert_int_equal(assess_state_parse(order[s]), s);
    }
    assert_int_equal(assess_state_parse("fine"), REG_ENOTFOUND);
    assert_int_equal(assess_state_parse(NULL), REG_ENOTFOUND);
    assert_int_equal(assess_state_tone(ASSESS_STATE_ACTIVE), ASSESS_TONE_GOOD);
    assert_int_equal(assess_state_tone(ASSESS_STATE_ENDING_SOON), ASSESS_TONE_WARN);
    for (int s = ASSESS_STATE_ENDED; s < ASSESS__STATES; s++)
        assert_int_equal(assess_state_tone((enum assess_state)s), ASSESS_TONE_BAD);
    assert_string_equal(assess_support_name(ASSESS_WITHDRAWN), "withdrawn");
}

static void the_most_severe_state_leads(void **state)
{
    (void)state;
    struct assess a;
    assess_with(-10, "universal", "withdrawn", &a);
    assert_int_equal(a.state, ASSESS_STATE_WITHDRAWN);
    assess_with(-10, "universal", "active", &a);
    assert_int_equal(a.state, ASSESS_STATE_NOT_COMPLIANT);
    assess_with(-1, "user_defined", "active", &a);
    assert_int_equal(a.state, ASSESS_STATE_ENDED);
    assess_with(0, "user_defined", "active", &a); /* the last day */
    assert_int_equal(a.state, ASSESS_STATE_ENDING_SOON);
    assess_with(ASSESS_ENDING_SOON_DAYS, "user_defined", NULL, &a);
    assert_int_equal(a.state, ASSESS_STATE_ENDING_SOON);
    assess_with(ASSESS_ENDING_SOON_DAYS + 1, "user_defined", NULL, &a);
    assert_int_equal(a.state, ASSESS_STATE_ACTIVE);
    assert_true(assess_reliable(&a));
}

static void a_withdrawn_record_is_never_active_nor_compliant(void **state)
{
    (void)state;
    struct assess a;
    struct buf out = BUF_INIT;
    assess_with(2000, "unique_per_device", "withdrawn", &a);
    assert_true(a.withdrawn && a.promises_ok);
    assert_false(a.compliant);
    assert_false(assess_reliable(&a));
    assert_int_equal(a.support, ASSESS_WITHDRAWN);
    assert_int_equal(a.by_date, ASSESS_ACTIVE);
    assert_int_equal(a.withdrawn_day, date_days_from_civil(2026, 11, 20));
    buf_putc(&out, '{');
    assess_state_json(&a, &out);
    assess_json(&a, today, &out);
    buf_putc(&out, '}');
    yyjson_doc *doc = yyjson_read(out.data, out.len, 0);
    assert_non_null(doc); /* the members are valid JSON */
    yyjson_val *root = yyjson_doc_get_root(doc);
    assert_true(yyjson_equals_str(yyjson_ptr_get(root, "/state/name"), "withdrawn"));
    assert_true(yyjson_equals_str(yyjson_ptr_get(root, "/state/reason"),
                                  "The maker withdrew this record on 2026-11-20: do not rely on "
                                  "it."));
    assert_true(yyjson_equals_str(yyjson_ptr_get(root, "/support_status/status"), "withdrawn"));
    assert_int_equal(yyjson_get_int(yyjson_ptr_get(root, "/support_status/days_left")), 2000);
    assert_false(yyjson_get_bool(yyjson_ptr_get(root, "/compliance/compliant")));
    assert_true(yyjson_get_bool(yyjson_ptr_get(root, "/compliance/passwords/pass")));
    yyjson_doc_free(doc);
    buf_free(&out);
}

static void reasons_say_the_state_in_words(void **state)
{
    (void)state;
    struct {
        int days;
        const char *pw, *reason, *follows;
    } cases[] = {
        {2000, "user_defined",
         "Security updates until 2032-05-18 (2000 days left), and all three baseline promises "
         "are kept.",
         ""},
        {1, "user_defined", "Security updates end soon: on 2026-11-27, in 1 day.", ""},
        {0, "user_defined", "Security updates end today, 2026-11-26.", ""},
        {-400, "user_defined",
         "Security updates ended on 2025-10-22 (400 days ago): it no longer gets security fixes.",
         "Its page says that its security updates ended, and its labels come with a warning."},
        {2000, "universal",
         "It breaks a baseline security promise: a universal default password (ETSI EN 303 645 "
         "5.1-1; UK PSTI Schedule 1 paragraph 1).",
         "It gets no label, and its page shows the broken promise in red."},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct assess a;
        struct buf r = BUF_INIT, f = BUF_INIT;
        assess_with(cases[i].days, cases[i].pw, NULL, &a);
        assess_reason(&a, &r);
        assess_follows(&a, &f);
        assert_string_equal(buf_cstr(&r), cases[i].reason);
        assert_string_equal(buf_cstr(&f), cases[i].follows);
        buf_free(&r);
        buf_free(&f);
    }
}

static void every_broken_promise_is_named(void **state)
{
    (void)state;
    const char *json = "{\"default_password\":\"universal\"}";
    yyjson_doc *doc = yyjson_read(json, strlen(json), 0);
    struct assess a;
    struct buf b = BUF_INIT, r = BUF_INIT;
    assess_record(yyjson_doc_get_root(doc), today, &a);
    assert_int_equal(a.state, ASSESS_STATE_NOT_COMPLIANT);
    assert_int_equal(a.by_date, ASSESS_UNKNOWN);
    assess_broken(&a, 0, &b);
    assert_string_equal(buf_cstr(&b),
                        "a universal default password; no security contact; no support end date");
    assess_reason(&a, &r);
    assert_non_null(strstr(buf_cstr(&r), "It breaks baseline security promises: a universal"));
    yyjson_doc_free(doc);
    buf_free(&b);
    buf_free(&r);
}

/* The pages' words for each state (web/i18n: state_<name>, generated from the same table) are
 * translated: German and Chinese never fall back to the English. */
static void every_state_has_words_in_every_language(void **state)
{
    (void)state;
    static const enum i18n_key keys[] = {
#define X(e, name, tone) I18N_state_##name,
        ASSESS_STATES(X)
#undef X
    };
    for (int s = 0; s < ASSESS__STATES; s++)
        for (int l = I18N_DE; l < I18N__LANGS; l++)
            assert_string_not_equal(i18n_get((enum i18n_lang)l, keys[s]),
                                    i18n_get(I18N_EN, keys[s]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(states_are_ordered_by_severity),
        cmocka_unit_test(the_most_severe_state_leads),
        cmocka_unit_test(a_withdrawn_record_is_never_active_nor_compliant),
        cmocka_unit_test(reasons_say_the_state_in_words),
        cmocka_unit_test(every_broken_promise_is_named),
        cmocka_unit_test(every_state_has_words_in_every_language),
    };
    return cmocka_run_group_tests_name("assess", tests, setup, NULL);
}
