/* date.h: calendar dates and timestamps as the registry writes them (UTC, RFC 3339). Pure. */
#ifndef SECLABEL_DATE_H
#define SECLABEL_DATE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Parse exactly "YYYY-MM-DD" (a real calendar day, years 1900..9999) of length len.
 * On success stores days since 1970-01-01 in *days (if not NULL) and returns 0; else REG_EBADREQ.
 */
int date_parse(const char *s, size_t len, int64_t *days);
/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
int64_t date_days_from_civil(int y, unsigned m, unsigned d);
/* The proleptic Gregorian date (month 1..12, day 1..31) of day number days since 1970-01-01. */
void date_civil_from_days(int64_t days, int *y, unsigned *m, unsigned *d);
/* Write t as "YYYY-MM-DDTHH:MM:SSZ" into out (at least 21 bytes). */
void date_rfc3339(time_t t, char out[21]);
/* The time a "YYYY-MM-DDTHH:MM:SSZ" as date_rfc3339 writes it stands for (a real calendar day,
 * hours 0..23, minutes 0..59, seconds 0..60); 0 for NULL, any other text, or a time not after
 * 1970. */
time_t date_parse_rfc3339(const char *s);
/* Write day number `days` as "YYYY-MM-DD" into out (at least 11 bytes). */
void date_format_day(int64_t days, char out[11]);
/* Write Unix time t as an IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT" (RFC 9110 5.6.7: the form
 * HTTP sends), into out (at least 30 bytes: 29 and a NUL). Years 0..9999. */
void date_imf_fixdate(int64_t t, char out[30]);

#endif
