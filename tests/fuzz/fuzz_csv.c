/* fuzz_csv.c: libFuzzer target for the CSV catalogue reader (registry/core/csvdecl.c) as `seclabel
 * import FILE.csv` uses it: every row's declaration must be JSON (it is checked as
 * import checks it); a valid declaration is written back as CSV by the export writer and read
 * again, which must give one row and the same declaration; each row filled, for the columns
 * the header leaves out, from the previous row standing in for the registry's record
 * (csvdecl_keep) must be JSON that still has every field the row gave. The input is not
 * NUL-terminated, as an mmap()ed file is not. With FUZZ_SHOW set, each row and its rewrite go
 * to stderr. */
#include "csvdecl.h"
#include "decl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rows {
    int n;
    const char *json; /* of the last row, when re-reading */
    size_t len;
    int same;
};

static void reread_row(void *ctx, long line, const char *json, size_t len, const char *error)
{
    struct rows *r = ctx;
    (void)line;
    (void)error;
    r->n++;
    yyjson_doc *a = json ? yyjson_read(json, len, 0) : NULL;
    yyjson_doc *b = yyjson_read(r->json, r->len, 0);
    r->same = a && b && yyjson_equals(yyjson_doc_get_root(b), yyjson_doc_get_root(a));
    yyjson_doc_free(a);
    yyjson_doc_free(b);
}

/* Write the row back as CSV and read it again. */
static void round_trip(yyjson_val *decl, const char *json, size_t len)
{
    struct buf csv = BUF_INIT;
    csvdecl_write_header(&csv);
    csvdecl_write_row(&csv, decl);
    if (getenv("FUZZ_SHOW"))
        fprintf(stderr, "row: %.*s\nwritten:\n%.*s", (int)len, json, (int)csv.len, csv.data);
    struct rows again = {0, json, len, 0};
    struct reg_why why;
    if (csvdecl_read(csv.data, csv.len, NULL, reread_row, &again, &why) || again.n != 1 ||
        !again.same)
        __builtin_trap();
    buf_free(&csv);
}

struct file {
    struct csvdecl_header hdr;
    yyjson_doc *prev; /* the previous row's declaration */
};

/* Fill decl from cur as an import fills it: JSON, and every member decl had is still there. */
static void keep(yyjson_val *decl, yyjson_val *cur, const struct csvdecl_header *hdr)
{
    struct buf out = BUF_INIT;
    csvdecl_keep(decl, cur, hdr, &out);
    yyjson_doc *d = yyjson_read(out.data ? out.data : "", out.len, 0);
    yyjson_val *k, *v, *filled = yyjson_doc_get_root(d);
    size_t i, max;
    if (!d) __builtin_trap();
    yyjson_obj_foreach(decl, i, max, k, v)
    {
        yyjson_val *w = yyjson_obj_get(filled, yyjson_get_str(k));
        if (!w || (!yyjson_is_obj(v) && !yyjson_equals(v, w))) __builtin_trap();
    }
    yyjson_doc_free(d);
    buf_free(&out);
}

static void row(void *ctx, long line, const char *json, size_t len, const char *error)
{
    struct file *f = ctx;
    if (line < 1) __builtin_trap();
    if (!json) {
        if (!error) __builtin_trap();
        return;
    }
    yyjson_doc *doc = yyjson_read(json, len, 0);
    if (!doc) __builtin_trap(); /* the reader made something that is not JSON */
    yyjson_val *root = yyjson_doc_get_root(doc);
    struct decl_errors errs;
    const char *id = yyjson_get_str(yyjson_obj_get(root, "id"));
    if (decl_validate(root, id, &errs) == 0) round_trip(root, json, len);
    keep(root, yyjson_doc_get_root(f->prev), &f->hdr);
    yyjson_doc_free(f->prev);
    f->prev = doc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly `size` bytes, so that reading past the end is caught. */
    char *text = malloc(size ? size : 1);
    if (size) memcpy(text, data, size);
    struct reg_why why;
    struct file f = {0};
    csvdecl_read(text, size, &f.hdr, row, &f, &why);
    yyjson_doc_free(f.prev);
    free(text);
    return 0;
}
