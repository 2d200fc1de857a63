/* date.c: calendar arithmetic (Howard Hinnant's days_from_civil) and RFC 3339 formatting.
 * Hand-written because it is a dozen lines and libc has no timezone-free date validation. */
#include "date.h"

#include "err.h"

#include <stdio.h>
#include <string.h>

int64_t date_days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
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

int date_parse(const char *s, size_t len, int64_t *days)
{
    static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d;
    if (len != 10 || s[4] != '-' || s[7] != '-') return REG_EBADREQ;
    if (digits(s, 4, &y) || digits(s + 5, 2, &m) || digits(s + 8, 2, &d)) return REG_EBADREQ;
    if (y < 1900 || m < 1 || m > 12 || d < 1) return REG_EBADREQ;
    if (d > mdays[m - 1] + (m == 2 && is_leap(y))) return REG_EBADREQ;
    if (days) *days = date_days_from_civil(y, (unsigned)m, (unsigned)d);
    return 0;
}

#define DATE_RFC3339 "%Y-%m-%dT%H:%M:%SZ" /* the one form the registry writes and reads */

void date_rfc3339(time_t t, char out[21])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 21, DATE_RFC3339, &tm);
}

time_t date_parse_rfc3339(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = s ? strptime(s, DATE_RFC3339, &tm) : NULL;
    if (!end || *end) return 0;
    time_t t = timegm(&tm);
    return t > 0 ? t : 0;
}

void date_format_day(int64_t days, char out[11])
{
    time_t t = (time_t)(days * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}
