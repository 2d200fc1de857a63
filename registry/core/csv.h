/* csv.h: CSV (RFC 4180) as seclabel writes and reads it: the one cell writer for the server's
 * /products.csv and the CLI's `export --format csv`, and the reader `seclabel import` uses.
 *
 * Formula guard (why: CSV injection, https://owasp.org/www-community/attacks/CSV_Injection; a
 * record's text is the manufacturer's, the file is opened by someone else). A spreadsheet runs a
 * cell that starts like a formula (=HYPERLINK(...), +cmd|' /C calc'!A0, @SUM(...), -2+3, or a
 * TAB or line break ahead of one), so the writer puts one apostrophe in front of every cell
 * that, after any leading spaces, starts with
 *     = + - @ TAB CR LF, their fullwidth forms U+FF1D U+FF0B U+FF0D U+FF20, or '
 * (OWASP's list, the fullwidth forms some spreadsheets also take, and the apostrophe itself so
 * that the guard can always be undone), unless the whole cell is a plain decimal number such as
 * -30 or +1.5, which no spreadsheet runs. csv_unguard() undoes it exactly: it drops one leading
 * apostrophe when what follows is a cell the writer would have guarded. So any text written and
 * read back comes out as it went in; a hand-written cell that starts with an apostrophe followed
 * by a guarded start loses that apostrophe (''x reads as 'x, '=x as =x), nothing else changes.
 *
 * Ownership: writers append to the caller's buf; a csv_record owns its cells (csv_record_free). */
#ifndef SECLABEL_CSV_H
#define SECLABEL_CSV_H

#include "buf.h"

#include <stddef.h>

#define CSV_MAX_CELLS 64

/* Append s[0..len) as one cell (no separator): guarded as above, and quoted when it holds
 * '"', ',', CR or LF, is guarded, or starts or ends with a space or TAB. */
void csv_cell(struct buf *out, const char *s, size_t len);

/* 1 if csv_cell puts an apostrophe in front of s[0..len). */
int csv_guarded(const char *s, size_t len);

/* How many bytes at the start of a cell read back are the writer's guard: 1 or 0. */
size_t csv_unguard(const char *s, size_t len);

struct csv_record {
    struct buf cell[CSV_MAX_CELLS]; /* cell[0..n), unquoted, not unguarded */
    int n;
    int too_many; /* the record had more than CSV_MAX_CELLS cells: the rest were dropped */
};

/* Read the record at *p (quoted cells, "" inside quotes, CRLF or LF, line breaks inside quoted
 * cells; a CR outside quotes is dropped); advances *p past it and adds the line breaks it spans
 * to *lines. Returns 0 at the end of the text, else 1. */
int csv_read(const char **p, const char *end, struct csv_record *rec, long *lines);

void csv_record_free(struct csv_record *rec);

#endif
