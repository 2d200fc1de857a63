/* test_date.c: the hand-written date formatters and parsers (date.h) agree with libc's
 * (gmtime_r and strftime, strptime and timegm, which they replaced on the read path) over every
 * day from 1900 to 2200 and many times of day, and refuse what is not the one form. */
#include "harness.h"

#include "date.h"

#include <time.h>

#define DAY 86400LL

/* libc's "YYYY-MM-DDTHH:MM:SSZ" of t (what date_rfc3339 wrote before). */
static void libc_rfc3339(time_t t, char out[21])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void libc_http(time_t t, char out[30])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 30, "%a, %d %b %Y %H:%M:%S GMT", &tm);
}

/* A second of day number d, spread over the day by d. */
static time_t some_time(int64_t d)
{
    return (time_t)(d * DAY + (d * 7919) % DAY);
}

static void days_round_trip(void **state)
{
    (void)state;
    for (int64_t d = date_days_from_civil(1900, 1, 1); d < date_days_from_civil(2200, 1, 1); d++) {
        int y;
        unsigned m, dd;
        date_civil_from_days(d, &y, &m, &dd);
        assert_int_equal(date_days_from_civil(y, m, dd), d);
        char mine[11], theirs[11];
        date_format_day(d, mine);
        struct tm tm;
        time_t t = (time_t)(d * DAY);
        gmtime_r(&t, &tm);
        strftime(theirs, sizeof theirs, "%Y-%m-%d", &tm);
        assert_string_equal(mine, theirs);
        int64_t back = -1;
        assert_int_equal(date_parse(mine, 10, &back), 0);
        assert_true(back == d);
    }
}

static void times_as_libc_writes_them(void **state)
{
    (void)state;
    for (int64_t d = 0; d < date_days_from_civil(2200, 1, 1); d += 3) {
        time_t t = some_time(d);
        char mine[30], theirs[30];
        date_rfc3339(t, mine);
        libc_rfc3339(t, theirs);
        assert_string_equal(mine, theirs);
        date_imf_fixdate(t, mine);
        libc_http(t, theirs);
        assert_string_equal(mine, theirs);
    }
    char s[30];
    date_imf_fixdate(784111777, s); /* RFC 9110's example */
    assert_string_equal(s, "Sun, 06 Nov 1994 08:49:37 GMT");
    date_imf_fixdate(-1, s); /* before 1970: floor division, not truncation */
    assert_string_equal(s, "Wed, 31 Dec 1969 23:59:59 GMT");
    date_rfc3339(0, s);
    assert_string_equal(s, "1970-01-01T00:00:00Z");
}

static void rfc3339_parses_as_libc(void **state)
{
    (void)state;
    for (int64_t d = 0; d < date_days_from_civil(2200, 1, 1); d += 5) {
        time_t t = some_time(d);
        char s[21];
        libc_rfc3339(t, s);
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        assert_non_null(strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm));
        time_t want = timegm(&tm);
        assert_true(date_parse_rfc3339(s) == (want > 0 ? want : 0));
    }
    assert_true(date_parse_rfc3339("2024-02-29T23:59:59Z") == 1709251199);
}

static void rfc3339_refuses_other_forms(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2024-02-29",
        "2024-02-29T23:59:59",
        "2024-02-29T23:59:59Z ",
        "2024-02-29 23:59:59Z",
        "2024-02-29T23:59:59+00:00",
        "2024-2-29T23:59:59Z",
        "2023-02-29T12:00:00Z", /* not a leap year */
        "2024-13-01T12:00:00Z",
        "2024-00-01T12:00:00Z",
        "2024-04-31T12:00:00Z",
        "2024-04-00T12:00:00Z",
        "2024-04-01T24:00:00Z",
        "2024-04-01T12:60:00Z",
        "2024-04-01T12:00:61Z",
        "2024-04-01T1a:00:00Z",
        "1969-12-31T23:59:59Z", /* not after 1970 */
        "1970-01-01T00:00:00Z",
    };
    for (size_t i = 0; i < COUNT(bad); i++)
        assert_true(date_parse_rfc3339(bad[i]) == 0);
    assert_true(date_parse_rfc3339(NULL) == 0);
    assert_true(date_parse_rfc3339("1970-01-01T00:00:01Z") == 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(days_round_trip),
        cmocka_unit_test(times_as_libc_writes_them),
        cmocka_unit_test(rfc3339_parses_as_libc),
        cmocka_unit_test(rfc3339_refuses_other_forms),
    };
    return cmocka_run_group_tests_name("date", tests, NULL, NULL);
}
