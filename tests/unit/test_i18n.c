/* test_i18n.c: the pages' strings: every language complete, English as the fallback, dates and
 * spans written the language's way, placeholders filled and text escaped, language choice. */
#include "harness.h"

#include "date.h"
#include "i18n.h"

static int setup(void **state)
{
    (void)state;
    return i18n_init();
}

static void every_language_is_complete(void **state)
{
    (void)state;
    assert_int_equal(i18n_missing(I18N_DE), 0);
    assert_int_equal(i18n_missing(I18N_ZH), 0);
    for (int l = 0; l < I18N__LANGS; l++)
        for (int k = 0; k < I18N__KEYS; k++) {
            const char *s = i18n_get((enum i18n_lang)l, (enum i18n_key)k);
            assert_non_null(s);
            assert_true(s[0] != '\0');
        }
}

static void dates_follow_the_language(void **state)
{
    (void)state;
    int64_t d = date_days_from_civil(2030, 12, 31);
    const char *want[] = {"31 December 2030", "31. Dezember 2030", "2030年12月31日"};
    for (int l = 0; l < I18N__LANGS; l++) {
        struct buf b = BUF_INIT;
        i18n_date(&b, (enum i18n_lang)l, d);
        assert_string_equal(buf_cstr(&b), want[l]);
        buf_free(&b);
    }
}

static void spans_pick_unit_and_plural(void **state)
{
    (void)state;
    struct {
        enum i18n_lang lang;
        int64_t days;
        const char *want;
    } cases[] = {{I18N_EN, 1, "1 day"},        {I18N_EN, 59, "59 days"}, {I18N_EN, 60, "2 months"},
                 {I18N_EN, 800, "2 years"},    {I18N_DE, 1, "1 Tag"},    {I18N_DE, 90, "3 Monate"},
                 {I18N_DE, 365 * 5, "5 Jahre"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct buf b = BUF_INIT;
        i18n_span(&b, cases[i].lang, cases[i].days);
        assert_string_equal(buf_cstr(&b), cases[i].want);
        buf_free(&b);
    }
}

static void placeholders_are_filled_and_text_escaped(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    const char *args[] = {"<b>AC-200</b>", "Acme"};
    i18n_fmt(&b, I18N_EN, I18N_by_line, 2, args);
    assert_string_equal(buf_cstr(&b), "Model <b>AC-200</b> · by Acme");
    buf_reset(&b);
    i18n_fmt(&b, I18N_EN, I18N_by_line, 0, NULL); /* missing arguments: empty, never "{1}" */
    assert_null(strchr(buf_cstr(&b), '{'));
    buf_free(&b);
}

static void language_choice(void **state)
{
    (void)state;
    const char *al = "fr-CH, fr;q=0.9, de;q=0.7, en;q=0.5";
    assert_int_equal(i18n_pick(NULL, NULL, 0), I18N_EN);
    assert_int_equal(i18n_pick(NULL, al, strlen(al)), I18N_DE);
    assert_int_equal(i18n_pick("zh", al, strlen(al)), I18N_ZH);
    assert_int_equal(i18n_pick("xx", "zh-CN", 5), I18N_ZH);
    assert_int_equal(i18n_pick(NULL, "en;q=0.9, de;q=0.1", 18), I18N_EN);
    assert_int_equal(i18n_pick(NULL, "deutsch", 7), I18N_EN); /* "de" must be a whole tag */
    assert_string_equal(i18n_html_lang(I18N_ZH), "zh-Hans");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_language_is_complete),
        cmocka_unit_test(dates_follow_the_language),
        cmocka_unit_test(spans_pick_unit_and_plural),
        cmocka_unit_test(placeholders_are_filled_and_text_escaped),
        cmocka_unit_test(language_choice),
    };
    return cmocka_run_group_tests_name("i18n", tests, setup, NULL);
}
