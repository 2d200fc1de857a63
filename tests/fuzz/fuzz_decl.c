/* fuzz_decl.c: libFuzzer target for the declaration validator (registry/core/decl.c). The input is
 * a request body as the server gets it: parsed by yyjson as the server parses it, then checked
 * with and without an ID from the URL; the ID, slug and GTIN checks also get the raw bytes. */
#include "decl.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static void check_errors(const struct decl_errors *errs)
{
    /* Every reported problem has a rule and NUL-terminated path and message. */
    for (int i = 0; i < errs->n; i++)
        if (!errs->e[i].rule || !memchr(errs->e[i].path, 0, sizeof errs->e[i].path) ||
            !memchr(errs->e[i].why.text, 0, sizeof errs->e[i].why.text))
            __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    char gtin[15];
    decl_id_valid(s, size);
    decl_slug_valid(s, size);
    if (decl_gtin_normalize(s, size, gtin) == 0 && strlen(gtin) != 14) __builtin_trap();

    yyjson_doc *doc = yyjson_read(s, size, 0);
    if (!doc) return 0;
    struct decl_errors errs;
    int rc = decl_validate(yyjson_doc_get_root(doc), NULL, &errs);
    if ((rc == 0) != (errs.n == 0)) __builtin_trap();
    check_errors(&errs);
    rc = decl_validate(yyjson_doc_get_root(doc), "acme-cam-2", &errs);
    if ((rc == 0) != (errs.n == 0)) __builtin_trap();
    check_errors(&errs);
    yyjson_doc_free(doc);
    return 0;
}
