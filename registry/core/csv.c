/* csv.c: CSV cells written with the formula guard, and records read back (see csv.h). The
 * reader is a small RFC 4180 state machine written here: Debian's libcsv would do the same for
 * one more dependency, and the guard, which no library knows, must sit next to it anyway. */
#include "csv.h"

#include <string.h>

/* The fullwidth forms of = + - @ (U+FF1D, U+FF0B, U+FF0D, U+FF20) in UTF-8. */
static int fullwidth_trigger(const char *s, size_t len)
{
    if (len < 3 || (unsigned char)s[0] != 0xef) return 0;
    unsigned char b1 = (unsigned char)s[1], b2 = (unsigned char)s[2];
    return b1 == 0xbc && (b2 == 0x9d || b2 == 0x8b || b2 == 0x8d || b2 == 0xa0);
}

/* [+-]?[0-9]+(\.[0-9]+)? */
static int plain_number(const char *s, size_t len)
{
    size_t i = len && (s[0] == '+' || s[0] == '-'), digits = 0, frac = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
        digits++;
    if (i < len && s[i] == '.')
        for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++)
            frac++;
    return digits && i == len && (frac || s[len - 1] != '.');
}

int csv_guarded(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && s[i] == ' ')
        i++;
    if (i == len || plain_number(s, len)) return 0;
    return strchr("=+-@\t\r\n'", s[i]) != NULL || fullwidth_trigger(s + i, len - i);
}

size_t csv_unguard(const char *s, size_t len)
{
    return len && s[0] == '\'' && csv_guarded(s + 1, len - 1);
}

void csv_cell(struct buf *out, const char *s, size_t len)
{
    int guard = csv_guarded(s, len), quote = guard;
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == '"' || s[i] == ',' || s[i] == '\n' || s[i] == '\r';
    if (len && (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' || s[len - 1] == '\t')) quote = 1;
    if (quote) buf_putc(out, '"');
    if (guard) buf_putc(out, '\'');
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"') buf_putc(out, '"');
        buf_putc(out, s[i]);
    }
    if (quote) buf_putc(out, '"');
}

/* Close the current cell and start the next one (or note that there are too many). */
static void next_cell(struct csv_record *rec)
{
    if (rec->n + 1 < CSV_MAX_CELLS) {
        rec->n++;
        buf_reset(&rec->cell[rec->n]);
    } else {
        rec->too_many = 1;
    }
}

int csv_read(const char **p, const char *end, struct csv_record *rec, long *lines)
{
    if (*p >= end) return 0;
    rec->n = 0;
    rec->too_many = 0;
    buf_reset(&rec->cell[0]);
    int quoted = 0;
    for (const char *s = *p;; s++) {
        char ch = s < end ? *s : '\n';
        struct buf *cell = &rec->cell[rec->n];
        if (quoted) {
            if (ch == '"' && s + 1 < end && s[1] == '"') {
                buf_putc(cell, '"');
                s++;
            } else if (ch == '"' || s >= end) {
                quoted = 0;
                if (s >= end) s--; /* the end closes the cell; see it again unquoted */
            } else {
                if (ch == '\n') ++*lines;
                buf_putc(cell, ch);
            }
        } else if (ch == '"' && cell->len == 0) {
            quoted = 1;
        } else if (ch == ',' || ch == '\n') {
            next_cell(rec);
            if (ch == '\n') {
                ++*lines;
                *p = s < end ? s + 1 : end;
                return 1;
            }
        } else if (ch != '\r') {
            buf_putc(cell, ch);
        }
    }
}

void csv_record_free(struct csv_record *rec)
{
    for (int i = 0; i < CSV_MAX_CELLS; i++)
        buf_free(&rec->cell[i]);
    rec->n = 0;
}
