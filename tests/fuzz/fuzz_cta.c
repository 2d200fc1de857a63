/* fuzz_cta.c: libFuzzer target for the CTA-2120 reader (registry/core/ctadecl.c) as `seclabel
 * import FILE.json` uses it: one document or an array of them; each entry's keys from its
 * QR_code_url, an ID from its model when the URL gives none (a valid ID in the namespace,
 * made again the same), the declaration it becomes (with and without --default-password),
 * that declaration compared with and filled from a current record (the next entry of the array
 * stands in for it), and the result checked by the validator. Every declaration made must be
 * JSON, and one made from an entry is never "another product" than itself. */
#include "ctadecl.h"
#include "decl.h"

#include <stdint.h>
#include <string.h>

static yyjson_doc *must_parse(const struct buf *b)
{
    yyjson_doc *d = yyjson_read(b->data ? b->data : "", b->len, 0);
    if (!d) __builtin_trap();
    return d;
}

static void entry(yyjson_val *doc, yyjson_val *cur, const char *default_pw)
{
    char id[DECL_ID_MAX + 1], again[DECL_ID_MAX + 1], gtin[15];
    struct reg_why why;
    const char *from = NULL;
    ctadecl_keys(doc, id, gtin);
    if (id[0] && !decl_id_valid(id, strlen(id))) __builtin_trap();
    if (gtin[0] && strlen(gtin) != 14) __builtin_trap();
    if (!id[0]) {
        from = ctadecl_model_id(doc, "acme-", id, &why);
        if (from && (!decl_id_valid(id, strlen(id)) || strncmp(id, "acme-", 5))) __builtin_trap();
        if (ctadecl_model_id(doc, "acme-", again, &why) != from || strcmp(id, again))
            __builtin_trap(); /* not stable */
    }
    if (!id[0]) return;
    struct buf decl = BUF_INIT, filled = BUF_INIT;
    if (ctadecl_to_decl(doc, id, gtin, default_pw, &decl, &why) == 0) {
        yyjson_doc *d = must_parse(&decl);
        /* The entry as its own current record: the same product. */
        if (from &&
            ctadecl_same_product(yyjson_doc_get_root(d), yyjson_doc_get_root(d), from, &why))
            __builtin_trap();
        if (from) ctadecl_same_product(yyjson_doc_get_root(d), cur, from, &why);
        ctadecl_fill(yyjson_doc_get_root(d), cur, &filled);
        yyjson_doc *f = must_parse(&filled);
        struct decl_errors errs;
        decl_validate(yyjson_doc_get_root(f), id, &errs);
        yyjson_doc_free(f);
        yyjson_doc_free(d);
    }
    buf_free(&decl);
    buf_free(&filled);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    yyjson_doc *doc = yyjson_read((const char *)data, size, 0);
    if (!doc) return 0;
    yyjson_val *root = yyjson_doc_get_root(doc);
    size_t n = yyjson_is_arr(root) ? yyjson_arr_size(root) : 1;
    for (size_t i = 0; i < n; i++) {
        yyjson_val *e = yyjson_is_arr(root) ? yyjson_arr_get(root, i) : root;
        yyjson_val *cur = yyjson_is_arr(root) ? yyjson_arr_get(root, i + 1) : NULL;
        entry(e, cur, NULL);
        entry(e, cur, "unique_per_device");
    }
    yyjson_doc_free(doc);
    return 0;
}
