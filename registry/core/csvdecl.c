/* csvdecl.c: declaration <-> CSV (see csvdecl.h); cells are read and written by csv.h, the
 * writer the server's /products.csv uses too. */
#include "csvdecl.h"

#include "csv.h"
#include "err.h"
#include "decl_fields.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* C_TEXT: free text, taken as it is (blanks at either end are part of it); C_WORD: a value
 * that cannot start or end with a blank (ID, date, URL, e-mail, enum), trimmed for hand-written
 * files; C_LIST, C_BOOL, C_JSON: see csvdecl.h. */
enum kind { C_TEXT, C_WORD, C_LIST, C_BOOL, C_JSON };

/* An object field's dotted columns, by its csv kind in decl_fields.h. */
#define CSV_LINK(n) {#n ".text", C_TEXT}, {#n ".url", C_WORD},
#define CSV_PARTY(n) {#n ".name", C_TEXT}, {#n ".contact", C_TEXT},
#define CSV_UPDATE(n) {#n ".update_default", C_WORD}, {#n ".update_options", C_LIST},
#define CSV_ACCESS(n)                                                                              \
    {#n ".password_factory_default", C_WORD}, {#n ".password_options", C_LIST},                    \
        {#n ".password_type", C_WORD}, {#n ".user_changeable", C_BOOL},                            \
        {#n ".password_change.text", C_TEXT}, {#n ".password_change.url", C_WORD},
#define CSV_BOM(n) {#n ".sbom_maintained", C_BOOL}, {#n ".hbom_maintained", C_BOOL},
#define CSV_TEXT(n) {#n, C_TEXT},
#define CSV_WORD(n) {#n, C_WORD},
#define CSV_LIST(n) {#n, C_LIST},
#define CSV_BOOL(n) {#n, C_BOOL},
#define CSV_JSON(n) {#n, C_JSON},

/* The columns: decl_fields.h's fields in its order, "id" first. */
static const struct column {
    const char *name; /* dotted path */
    enum kind kind;
} columns[] = {
#define X(name, spec, required, csv, cta, page) CSV_##csv(name)
    DECL_FIELDS(X)
#undef X
};
#define NCOLS (sizeof columns / sizeof columns[0])
_Static_assert(NCOLS <= 64, "struct csvdecl_header has a bit per column");

/* ---- reading ---- */

static int blank(char c)
{
    return c == ' ' || c == '\t';
}

static void trim(char **s)
{
    while (blank(**s))
        ++*s;
    char *e = *s + strlen(*s);
    while (e > *s && blank(e[-1]))
        *--e = '\0';
}

/* The object at dotted path's parent inside root, created as needed (NULL if a value that is
 * not an object stands in the way); *leaf gets the last name. */
static yyjson_mut_val *parent_of(yyjson_mut_doc *doc, yyjson_mut_val *root, const char *path,
                                 char *leaf, size_t leaflen)
{
    char part[128];
    const char *dot;
    while (root && (dot = strchr(path, '.'))) {
        snprintf(part, sizeof part, "%.*s", (int)(dot - path), path);
        yyjson_mut_val *child = yyjson_mut_obj_get(root, part);
        if (!child) {
            child = yyjson_mut_obj(doc);
            yyjson_mut_obj_add(root, yyjson_mut_strcpy(doc, part), child);
        }
        root = yyjson_mut_is_obj(child) ? child : NULL;
        path = dot + 1;
    }
    snprintf(leaf, leaflen, "%s", path);
    return root;
}

/* Turn one cell into its JSON value; NULL with *error for a bad value. */
static yyjson_mut_val *cell_value(yyjson_mut_doc *doc, const struct column *c, char *v,
                                  const char **error)
{
    switch (c->kind) {
    case C_TEXT:
    case C_WORD:
        return yyjson_mut_strcpy(doc, v);
    case C_BOOL:
        if (!strcmp(v, "true") || !strcmp(v, "yes")) return yyjson_mut_true(doc);
        if (!strcmp(v, "false") || !strcmp(v, "no")) return yyjson_mut_false(doc);
        *error = "must be true or false";
        return NULL;
    case C_LIST: {
        if (v[0] == '[') { /* the exact form: a JSON array */
            yyjson_doc *d = yyjson_read(v, strlen(v), 0);
            yyjson_val *a = yyjson_doc_get_root(d);
            yyjson_mut_val *m = yyjson_is_arr(a) ? yyjson_val_mut_copy(doc, a) : NULL;
            yyjson_doc_free(d);
            if (!m) *error = "starts with '[' but is not a JSON array";
            return m;
        }
        yyjson_mut_val *arr = yyjson_mut_arr(doc);
        for (char *item = v, *semi; item; item = semi) {
            semi = strchr(item, ';');
            if (semi) *semi++ = '\0';
            trim(&item);
            if (*item) yyjson_mut_arr_add_strcpy(doc, arr, item);
        }
        return arr;
    }
    case C_JSON: {
        yyjson_doc *d = yyjson_read(v, strlen(v), 0);
        yyjson_mut_val *m = d ? yyjson_val_mut_copy(doc, yyjson_doc_get_root(d)) : NULL;
        yyjson_doc_free(d);
        if (!m) *error = "is not valid JSON";
        return m;
    }
    }
    return NULL;
}

int csvdecl_read(const char *text, size_t len, struct csvdecl_header *hdr, csvdecl_row_fn fn,
                 void *ctx, struct reg_why *why)
{
    static struct csv_record f; /* large; one at a time */
    const struct column *map[CSV_MAX_CELLS];
    const char *p = text, *end = text + len;
    long line = 1, lines = 0;
    int ncols, rc = 0;
    if (len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) p += 3; /* a spreadsheet's BOM */
    if (!csv_read(&p, end, &f, &lines))
        return reg_why_set(why, REG_EBADREQ, "the file is empty: it needs a header row");
    ncols = f.n;
    int has_id = 0;
    for (int i = 0; i < ncols && !rc; i++) {
        char *name = (char *)buf_cstr(&f.cell[i]);
        trim(&name);
        map[i] = NULL;
        for (size_t k = 0; k < NCOLS; k++)
            if (!strcmp(name, columns[k].name)) map[i] = &columns[k];
        if (!map[i]) rc = reg_why_set(why, REG_EBADREQ, "unknown column '%s' in the header", name);
        for (int j = 0; j < i && !rc; j++)
            if (map[j] == map[i])
                rc = reg_why_set(why, REG_EBADREQ, "column '%s' appears twice in the header", name);
        has_id |= map[i] == &columns[0];
    }
    if (!rc && !has_id) rc = reg_why_set(why, REG_EBADREQ, "the header has no 'id' column");
    if (hdr) hdr->named = 0;
    for (int i = 0; i < ncols && !rc && hdr; i++)
        hdr->named |= 1ull << (map[i] - columns);
    line += lines;
    while (!rc) {
        long start = line;
        lines = 0;
        if (!csv_read(&p, end, &f, &lines)) break;
        line += lines;
        if (f.n == 1 && f.cell[0].len == 0) continue; /* a blank line */
        const char *error = NULL;
        char leaf[128];
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_val *root = yyjson_mut_obj(doc);
        yyjson_mut_doc_set_root(doc, root);
        if (f.n != ncols || f.too_many) error = "has a different number of cells than the header";
        for (int i = 0; i < f.n && i < ncols && !error; i++) {
            char *v = (char *)buf_cstr(&f.cell[i]);
            v += csv_unguard(v, f.cell[i].len);
            if (map[i]->kind != C_TEXT) trim(&v);
            if (!*v) continue;
            yyjson_mut_val *val = NULL;
            if (memchr(f.cell[i].data, '\0', f.cell[i].len))
                error = "holds a NUL byte";
            else
                val = cell_value(doc, map[i], v, &error);
            if (!val) {
                static char msg[160];
                snprintf(msg, sizeof msg, "column %s %s", map[i]->name, error);
                error = msg;
                break;
            }
            yyjson_mut_val *parent = parent_of(doc, root, map[i]->name, leaf, sizeof leaf);
            yyjson_mut_obj_add(parent, yyjson_mut_strcpy(doc, leaf), val); /* made: an object */
        }
        size_t jlen = 0;
        char *json = error ? NULL : yyjson_mut_write(doc, 0, &jlen);
        fn(ctx, start, json, jlen, error ? error : json ? NULL : "cannot be converted");
        free(json);
        yyjson_mut_doc_free(doc);
    }
    csv_record_free(&f);
    return rc;
}

/* ---- writing ---- */

/* 1 if items reads back from "a; b; c" as it is: each a non-empty string without ';' or a blank
 * at either end, and the cell not starting with '['. Otherwise the cell holds a JSON array. */
static int plain_list(yyjson_val *items)
{
    size_t i, max;
    yyjson_val *item;
    if (!yyjson_arr_size(items)) return 0;
    yyjson_arr_foreach(items, i, max, item)
    {
        const char *s = yyjson_get_str(item);
        size_t len = yyjson_get_len(item);
        if (!s || !len || memchr(s, ';', len) || blank(s[0]) || blank(s[len - 1])) return 0;
        if (i == 0 && s[0] == '[') return 0;
    }
    return 1;
}

void csvdecl_write_header(struct buf *out)
{
    for (size_t k = 0; k < NCOLS; k++) {
        if (k) buf_putc(out, ',');
        buf_puts(out, columns[k].name);
    }
    buf_puts(out, "\r\n");
}

static yyjson_val *at_path(yyjson_val *v, const char *path)
{
    char part[128];
    const char *dot;
    while (v && (dot = strchr(path, '.'))) {
        snprintf(part, sizeof part, "%.*s", (int)(dot - path), path);
        v = yyjson_obj_get(v, part);
        path = dot + 1;
    }
    return yyjson_obj_get(v, path);
}

void csvdecl_write_row(struct buf *out, yyjson_val *rec)
{
    struct buf cell = BUF_INIT;
    for (size_t k = 0; k < NCOLS; k++) {
        yyjson_val *v = at_path(rec, columns[k].name);
        buf_reset(&cell);
        if (yyjson_is_str(v)) {
            buf_append(&cell, yyjson_get_str(v), yyjson_get_len(v));
        } else if (yyjson_is_bool(v)) {
            buf_puts(&cell, yyjson_get_bool(v) ? "true" : "false");
        } else if (columns[k].kind == C_LIST && plain_list(v)) {
            size_t i, max;
            yyjson_val *item;
            yyjson_arr_foreach(v, i, max, item)
            {
                if (i) buf_puts(&cell, "; ");
                buf_append(&cell, yyjson_get_str(item), yyjson_get_len(item));
            }
        } else if (v) {
            char *j = yyjson_val_write(v, 0, NULL);
            if (j) buf_puts(&cell, j);
            free(j);
        }
        if (k) buf_putc(out, ',');
        csv_cell(out, cell.data ? cell.data : "", cell.len);
    }
    buf_puts(out, "\r\n");
    buf_free(&cell);
}

/* ---- columns a file leaves out ---- */

void csvdecl_keep(yyjson_val *decl, yyjson_val *cur, const struct csvdecl_header *hdr,
                  struct buf *out)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *root = yyjson_val_mut_copy(doc, decl);
    yyjson_mut_doc_set_root(doc, root);
    for (size_t k = 0; k < NCOLS && cur && yyjson_mut_is_obj(root); k++) {
        yyjson_val *v = at_path(cur, columns[k].name);
        if (!v || (hdr->named >> k & 1)) continue;
        char leaf[128];
        yyjson_mut_val *parent = parent_of(doc, root, columns[k].name, leaf, sizeof leaf);
        if (parent && !yyjson_mut_obj_get(parent, leaf))
            yyjson_mut_obj_add(parent, yyjson_mut_strcpy(doc, leaf), yyjson_val_mut_copy(doc, v));
    }
    size_t len = 0;
    char *json = yyjson_mut_write(doc, 0, &len);
    yyjson_mut_doc_free(doc);
    if (json) buf_append(out, json, len);
    free(json);
}
