/* date.c: calendar arithmetic (Howard Hinnant's days_from_civil and civil_from_days) and RFC 3339
 * formatting and parsing. Hand-written because it is a dozen lines and libc has no timezone-free
 * date validation; and the timestamps are on every record's read path (Last-Modified, a
 * record's dates), where strptime, timegm, gmtime_r and strftime cost about a microsecond per
 * record (issue 15's profile) and these a few tens of nanoseconds. */
#include "date.h"

#include "err.h"

#include <string.h>

#define DAY_SECONDS 86400

int64_t date_days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void date_civil_from_days(int64_t days, int *y, unsigned *m, unsigned *d)
{
    days += 719468;
    const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const unsigned doe = (unsigned)(days - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)((int64_t)yoe + era * 400 + (*m <= 2));
}

static int is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return REG_EBADREQ;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* 1 if y-m-d is a real calendar day (m 1..12). */
static int day_ok(int y, int m, int d)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m >= 1 && m <= 12 && d >= 1 && d <= mdays[m - 1] + (m == 2 && is_leap(y));
}

int date_parse(const char *s, size_t len, int64_t *days)
{
    int y, m, d;
    if (len != 10 || s[4] != '-' || s[7] != '-') return REG_EBADREQ;
    if (digits(s, 4, &y) || digits(s + 5, 2, &m) || digits(s + 8, 2, &d)) return REG_EBADREQ;
    if (y < 1900 || !day_ok(y, m, d)) return REG_EBADREQ;
    if (days) *days = date_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

/* v as n decimal digits (zero-padded) at out. */
static void put_digits(char *out, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        out[i] = (char)('0' + v % 10);
}

/* "YYYY-MM-DD" of day number days at out (10 bytes, no NUL): 1, or 0 (nothing written) for a
 * year outside 0..9999, which has no such form. */
static int put_day(int64_t days, char *out)
{
    int y;
    unsigned m, d;
    date_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) return 0;
    put_digits(out, (unsigned)y, 4);
    out[4] = '-';
    put_digits(out + 5, m, 2);
    out[7] = '-';
    put_digits(out + 8, d, 2);
    return 1;
}

/* Floor division of t by a day: the day number and the second in it (0..86399). */
static int64_t split_day(int64_t t, unsigned *sec)
{
    int64_t days = t >= 0 ? t / DAY_SECONDS : -((-t + DAY_SECONDS - 1) / DAY_SECONDS);
    *sec = (unsigned)(t - days * DAY_SECONDS);
    return days;
}

/* "HH:MM:SS" (8 bytes, no NUL) for second s of a day. */
static void put_hms(char *out, unsigned s)
{
    put_digits(out, s / 3600, 2);
    out[2] = ':';
    put_digits(out + 3, s / 60 % 60, 2);
    out[5] = ':';
    put_digits(out + 6, s % 60, 2);
}

void date_rfc3339(time_t t, char out[21])
{
    unsigned s;
    int64_t days = split_day((int64_t)t, &s);
    if (!put_day(days, out)) {
        memcpy(out, "0000-00-00T00:00:00Z", 21); /* not a time the registry meets */
        return;
    }
    out[10] = 'T';
    put_hms(out + 11, s);
    out[19] = 'Z';
    out[20] = '\0';
}

time_t date_parse_rfc3339(const char *s)
{
    /* "YYYY-MM-DDTHH:MM:SSZ", exactly: the form date_rfc3339 writes. */
    int y, mo, d, h, mi, sec;
    if (!s || strnlen(s, 21) != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != 'Z')
        return 0;
    if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &sec))
        return 0;
    if (!day_ok(y, mo, d) || h > 23 || mi > 59 || sec > 60) return 0;
    int64_t t =
        date_days_from_civil(y, (unsigned)mo, (unsigned)d) * DAY_SECONDS + h * 3600 + mi * 60 + sec;
    return t > 0 ? (time_t)t : 0;
}

void date_format_day(int64_t days, char out[11])
{
    if (!put_day(days, out)) {
        memcpy(out, "0000-00-00", 11); /* not a day the registry meets */
        return;
    }
    out[10] = '\0';
}

void date_imf_fixdate(int64_t t, char out[30])
{
    static const char wday[] = "ThuFriSatSunMonTueWed"; /* 1970-01-01 was a Thursday */
    static const char mon[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    unsigned s;
    int64_t days = split_day(t, &s);
    int y;
    unsigned m, d;
    date_civil_from_days(days, &y, &m, &d);
    if (y < 0 || y > 9999) {
        memcpy(out, "Thu, 01 Jan 1970 00:00:00 GMT", 30); /* not a time the registry meets */
        return;
    }
    int64_t w = days % 7;
    memcpy(out, wday + 3 * (w < 0 ? w + 7 : w), 3);
    memcpy(out + 3, ", ", 2);
    put_digits(out + 5, d, 2);
    out[7] = ' ';
    memcpy(out + 8, mon + 3 * (m - 1), 3);
    out[11] = ' ';
    put_digits(out + 12, (unsigned)y, 4);
    out[16] = ' ';
    put_hms(out + 17, s);
    memcpy(out + 25, " GMT", 5);
}
