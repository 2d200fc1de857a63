/* test_decl.c: declaration rules: every rule a manufacturer can break is reported with its
 * path, and valid declarations pass. */
#include "harness.h"

#include "date.h"
#include "decl.h"
#include "err.h"

static int validate(const char *json, const char *url_id, struct decl_errors *errs)
{
    yyjson_doc *doc = yyjson_read(json, strlen(json), 0);
    assert_non_null(doc);
    int rc = decl_validate(yyjson_doc_get_root(doc), url_id, errs);
    yyjson_doc_free(doc);
    return rc;
}

/* The declaration DECL_OK with one field's value replaced (raw JSON) or removed (NULL). */
static char *with_field(const char *name, const char *raw)
{
    yyjson_doc *doc = yyjson_read(DECL_OK, strlen(DECL_OK), 0);
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

static void expect_error(const char *name, const char *raw, const char *path, const char *rule)
{
    struct decl_errors errs;
    char *json = with_field(name, raw);
    assert_int_equal(validate(json, "acme-cam", &errs), REG_EINVALID);
    int found = 0;
    for (int i = 0; i < errs.n; i++)
        found |= !strcmp(errs.e[i].path, path) && !strcmp(errs.e[i].rule, rule);
    if (!found)
        fail_msg("%s: expected %s at %s, got %s at %s", json, rule, path,
                 errs.n ? errs.e[0].rule : "-", errs.n ? errs.e[0].path : "-");
    free(json);
}

static void valid_declaration_passes(void **state)
{
    (void)state;
    struct decl_errors errs;
    assert_int_equal(validate(DECL_OK, "acme-cam", &errs), 0);
    assert_int_equal(errs.n, 0);
}

static void each_required_field_is_reported(void **state)
{
    (void)state;
    const char *req[] = {"product_name", "product_model",    "manufacturer_name",
                         "support_date", "security_contact", "default_password"};
    for (size_t i = 0; i < 6; i++) {
        char path[64];
        snprintf(path, sizeof path, "/%s", req[i]);
        expect_error(req[i], NULL, path, "required");
    }
}

static void all_errors_at_once(void **state)
{
    (void)state;
    struct decl_errors errs;
    assert_int_equal(validate("{\"support_date\":\"2030-02-30\",\"colour\":\"red\"}", NULL, &errs),
                     REG_EINVALID);
    /* bad date + unknown field + 5 missing required fields */
    assert_int_equal(errs.n, 7);
}

static void field_formats(void **state)
{
    (void)state;
    expect_error("support_date", "\"31/12/2030\"", "/support_date", "format");
    expect_error("support_date", "\"2031-02-29\"", "/support_date", "format");
    expect_error("support_date", "20301231", "/support_date", "type");
    expect_error("security_contact", "\"call us\"", "/security_contact", "format");
    expect_error("security_contact", "\"http://acme.example/security\"", "/security_contact",
                 "format");
    expect_error("default_password", "\"admin\"", "/default_password", "enum");
    expect_error("product_name", "\"\"", "/product_name", "minLength");
    expect_error("gtin", "\"4006381333932\"", "/gtin", "format"); /* bad check digit */
    expect_error("markets", "[\"gb\"]", "/markets", "format");
    expect_error("vulnerability_disclosure_policy", "\"ftp://x.example\"",
                 "/vulnerability_disclosure_policy", "format");
}

static void registry_fields_and_unknown_fields_are_refused(void **state)
{
    (void)state;
    expect_error("version", "7", "/version", "readOnly");
    expect_error("manufacturer", "\"evil\"", "/manufacturer", "readOnly");
    expect_error("colour", "\"red\"", "/colour", "additionalProperties");
}

static void id_must_match_url(void **state)
{
    (void)state;
    expect_error("id", "\"other-id\"", "/id", "const");
    expect_error("id", "\"-bad\"", "/id", "pattern");
    struct decl_errors errs;
    char *json = with_field("id", "\"acme-cam\"");
    assert_int_equal(validate(json, "acme-cam", &errs), 0);
    free(json);
}

static void bounds_are_enforced(void **state)
{
    (void)state;
    char *big = malloc(2100 + 3);
    big[0] = '"';
    memset(big + 1, 'x', 2100);
    strcpy(big + 2101, "\"");
    expect_error("product_name", big, "/product_name", "maxLength");
    free(big);
    expect_error("delete_data", "[[[[[[[[[[1]]]]]]]]]]", "/delete_data/0/0/0/0/0/0/0/0",
                 "maxDepth");
    expect_error("product_name", "\"a\\u0000b\"", "/product_name", "format");
    struct decl_errors errs;
    const char *dup = "{\"product_name\":\"A\",\"product_name\":\"B\"}";
    assert_int_equal(validate(dup, NULL, &errs), REG_EINVALID);
    assert_string_equal(errs.e[0].rule, "uniqueKeys");
}

static void ids_slugs_gtins_dates(void **state)
{
    (void)state;
    assert_true(decl_id_valid("acme-cam.v2_EU", 14));
    assert_false(decl_id_valid("", 0));
    assert_false(decl_id_valid("a/b", 3));
    assert_false(decl_id_valid(".hidden", 7));
    char id65[66];
    memset(id65, 'a', 65);
    assert_false(decl_id_valid(id65, 65));
    assert_true(decl_id_valid(id65, 64));
    assert_true(decl_slug_valid("acme-2", 6));
    assert_false(decl_slug_valid("Acme", 4));
    char g[15];
    assert_int_equal(decl_gtin_normalize("4006381333931", 13, g), 0);
    assert_string_equal(g, "04006381333931");
    assert_int_equal(decl_gtin_normalize("96385074", 8, g), 0);
    assert_string_equal(g, "00000096385074");
    assert_int_not_equal(decl_gtin_normalize("12345", 5, g), 0);
    int64_t d;
    assert_int_equal(date_parse("2024-02-29", 10, &d), 0);
    assert_int_equal(d, 19782);
    assert_int_not_equal(date_parse("2023-02-29", 10, &d), 0);
    assert_int_not_equal(date_parse("2023-13-01", 10, &d), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_declaration_passes),
        cmocka_unit_test(each_required_field_is_reported),
        cmocka_unit_test(all_errors_at_once),
        cmocka_unit_test(field_formats),
        cmocka_unit_test(registry_fields_and_unknown_fields_are_refused),
        cmocka_unit_test(id_must_match_url),
        cmocka_unit_test(bounds_are_enforced),
        cmocka_unit_test(ids_slugs_gtins_dates),
    };
    return cmocka_run_group_tests_name("decl", tests, NULL, NULL);
}
