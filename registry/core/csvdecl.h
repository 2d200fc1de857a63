/* csvdecl.h: declarations as CSV rows, for `seclabel import` and `export`. One column per
 * field; nested fields by dotted name (security_update_information.update_default); booleans
 * true/false (yes/no read too); sensor_data_collection as JSON text. The columns are listed in
 * schema/examples/catalogue.csv's header and in seclabel(1); a file names those it has, in any
 * order, each once, "id" among them.
 *
 * What a row says: a column present with a cell is that field's value; a column present with an
 * empty cell is an absent field (for a product the registry has, the field is removed); a
 * column the header leaves out says nothing (csvdecl_keep: the product keeps that field as it
 * is). So a file with only id and product_name renames products and changes nothing else.
 *
 * Lists: "a; b; c" (items trimmed, empty ones skipped) when that reads back exactly; otherwise
 * - an empty list, an item with ';' or a blank at either end, a first item starting with '[' -
 * the cell holds the list as a JSON array, ["HW rev 2; FW 1.4","FW 1.5"]. A cell that starts
 * with '[' is always read as a JSON array.
 * Text cells are taken as they are, blanks at either end included; cells of values that cannot
 * hold blanks (IDs, dates, URLs, e-mail addresses, enums, booleans) are trimmed. Every cell is
 * written by csv_cell (csv.h: quoted, guarded against spreadsheet formulas) and unguarded on
 * reading, so export then import gives back every valid declaration exactly.
 *
 * Ownership: csvdecl_read() hands each row's declaration JSON to the callback, borrowed for the
 * call only; csvdecl_keep() and csvdecl_write_*() append to the caller's buf. */
#ifndef SECLABEL_CSVDECL_H
#define SECLABEL_CSVDECL_H

#include "buf.h"
#include "why.h"

#include <stddef.h>
#include <yyjson.h>

/* fn gets each data row's 1-based line number (where the row starts) and its declaration as
 * JSON, or NULL and the reason when the row cannot be turned into one. */
typedef void (*csvdecl_row_fn)(void *ctx, long line, const char *json, size_t len,
                               const char *error);

/* The columns a file's header names (filled by csvdecl_read before the first row). */
struct csvdecl_header {
    unsigned long long named; /* bit k: the k-th column of csvdecl.c's table */
};

/* Read a file's rows, handing each to fn. hdr may be NULL. Returns 0, or REG_EBADREQ with the
 * reason in why (NULL allowed) when the header is bad: missing, an unknown or repeated column
 * (quoted as the file has it), no id column; no row is read then. */
int csvdecl_read(const char *text, size_t len, struct csvdecl_header *hdr, csvdecl_row_fn fn,
                 void *ctx, struct reg_why *why);

/* Append declaration decl, a row of a file with header hdr, with the value record cur (NULL:
 * none) has for each column hdr leaves out: that field stays as it is. */
void csvdecl_keep(yyjson_val *decl, yyjson_val *cur, const struct csvdecl_header *hdr,
                  struct buf *out);

/* The header line, then one line per record (registry fields left out). */
void csvdecl_write_header(struct buf *out);
void csvdecl_write_row(struct buf *out, yyjson_val *rec);

#endif
