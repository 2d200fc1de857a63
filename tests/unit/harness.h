/* harness.h: helpers shared by the cmocka unit tests: cmocka and the C headers it needs,
 * fresh temporary LMDB directories and a declaration fixture. Every test file includes it
 * first and runs its tests with cmocka_run_group_tests_name("<module>", ...). */
#ifndef SECLABEL_TEST_HARNESS_H
#define SECLABEL_TEST_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <yyjson.h>

/* The number of elements of array a. */
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Make a new empty directory under $TMPDIR (or /tmp); the caller removes it with rm_tree. */
static inline char *temp_dir(void)
{
    const char *base = getenv("TMPDIR");
    char *p = malloc(256);
    snprintf(p, 256, "%s/seclabel-test-XXXXXX", base && *base ? base : "/tmp");
    assert_non_null(mkdtemp(p));
    return p;
}

static inline void rm_tree(char *dir)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    free(dir);
}

/* The JSON object `base` with member `name` removed and, if raw is not NULL, set to the raw
 * JSON value raw. The caller free()s the result. */
static inline char *json_with_field(const char *base, const char *name, const char *raw)
{
    yyjson_doc *doc = yyjson_read(base, strlen(base), 0);
    yyjson_mut_doc *m = yyjson_doc_mut_copy(doc, NULL);
    yyjson_mut_val *root = yyjson_mut_doc_get_root(m);
    yyjson_mut_obj_remove_key(root, name);
    if (raw) {
        yyjson_doc *v = yyjson_read(raw, strlen(raw), 0);
        assert_non_null(v);
        yyjson_mut_obj_add_val(m, root, name, yyjson_val_mut_copy(m, yyjson_doc_get_root(v)));
        yyjson_doc_free(v);
    }
    char *s = yyjson_mut_write(m, 0, NULL);
    yyjson_mut_doc_free(m);
    yyjson_doc_free(doc);
    return s;
}

/* A complete, valid declaration. */
#define DECL_OK                                                                                    \
    "{\"product_name\":\"Acme Indoor Camera\",\"product_model\":\"AC-200\","                       \
    "\"manufacturer_name\":\"Acme Devices Ltd\",\"support_date\":\"2030-12-31\","                  \
    "\"security_contact\":\"security@acme.example\",\"default_password\":\"unique_per_device\"}"

#endif
