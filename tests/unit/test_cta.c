/* test_cta.c: CTA-2120 export: a complete record becomes a document with every field the schema
 * requires, in a fixed order, without our own fields; an incomplete one is refused with the
 * exact list of what it lacks and nothing written. That the document validates against
 * schema/cta-2120/usctm-schema-1-0-0.json is checked by a JSON Schema validator in
 * tests/integration/test_cta2120.py. */
#include "harness.h"

#include "buf.h"
#include "cta.h"
#include "err.h"

#define QR "https://registry.example/p/acme-cam-2"

#define REGISTRY_FIELDS                                                                            \
    "\"id\":\"acme-cam-2\",\"version\":3,\"status\":\"active\",\"manufacturer\":\"acme\","         \
    "\"created\":\"2026-11-26T11:37:02Z\",\"modified\":\"2026-12-01T08:15:00Z\","

#define LINK(what) "{\"text\":\"" what "\",\"url\":\"https://acme.example/help/" what "\"}"

/* A stored record with every CTA-2120 field, our extras and the registry's fields. */
#define REC_FULL                                                                                   \
    "{" REGISTRY_FIELDS "\"product_name\":\"Acme Indoor Security Camera 2\","                      \
    "\"product_model\":\"AC-200\",\"manufacturer_name\":\"Acme Devices Ltd\","                     \
    "\"gtin\":\"05012345678900\",\"version_and_model_numbers\":[\"AC-200\",\"firmware 4.2\"],"     \
    "\"support_date\":\"2031-12-31\",\"support_start\":\"2025-09-01\","                            \
    "\"security_contact\":\"security@acme.example\","                                              \
    "\"vulnerability_disclosure_policy\":\"https://acme.example/security/disclosure\","            \
    "\"default_password\":\"unique_per_device\",\"markets\":[\"GB\",\"DE\",\"US\"],"               \
    "\"security_update_information\":{\"update_default\":\"Automatic - may opt out\","             \
    "\"update_options\":[\"Automatic - may opt out\",\"Manual\"]},"                                \
    "\"access_control\":{\"password_factory_default\":\"password\","                               \
    "\"password_options\":[\"password\",\"passkey\"],\"password_type\":\"factory_default\","       \
    "\"user_changeable\":true,\"password_change\":" LINK(                                          \
        "password") "},"                                                                           \
                    "\"sensor_data_collection\":[{\"sensing\":\"audio\",\"has\":true,"             \
                    "\"description\":\"Two-way "                                                   \
                    "talk\"},{\"sensing\":\"images\",\"has\":true,\"description\":\"Video\"},"     \
                    "{\"sensing\":\"position\",\"has\":false,\"description\":\"No location\"}],"   \
                    "\"securing_this_product\":" LINK("secure") ",\"delete_data\":" LINK(          \
                        "delete") ","                                                              \
                                  "\"account_deactivation\":" LINK(                                \
                                      "deactivate") ","                                            \
                                                    "\"encryption_and_key_management\":" LINK(     \
                                                        "encryption") ","                          \
                                                                      "\"general_user_"            \
                                                                      "information\":" LINK(       \
                                                                          "general") ","           \
                                                                                     "\"sbom_"     \
                                                                                     "hbom_"       \
                                                                                     "maintained"  \
                                                                                     "\":{\"sbom_" \
                                                                                     "maintained"  \
                                                                                     "\":true,"    \
                                                                                     "\"hbom_"     \
                                                                                     "maintained"  \
                                                                                     "\":false},"  \
                                                                                     "\"authorize" \
                                                                                     "d_by\":{"    \
                                                                                     "\"name\":"   \
                                                                                     "\"Example "  \
                                                                                     "CLA\","      \
                                                                                     "\"contact\"" \
                                                                                     ":\"cla@"     \
                                                                                     "example."    \
                                                                                     "org\"},"     \
                                                                                     "\"tested_"   \
                                                                                     "by\":{"      \
                                                                                     "\"name\":"   \
                                                                                     "\"Example "  \
                                                                                     "Lab\","      \
                                                                                     "\"contact\"" \
                                                                                     ":\"https://" \
                                                                                     "lab."        \
                                                                                     "example/"    \
                                                                                     "contact\"}," \
                                                                                     "\"authoriza" \
                                                                                     "tion_"       \
                                                                                     "date\":"     \
                                                                                     "\"2026-11-"  \
                                                                                     "20\"}"

/* What product.c stores for DECL_OK: the declaration's required fields only. */
#define REC_MINIMAL                                                                                \
    "{" REGISTRY_FIELDS "\"product_name\":\"Acme Indoor Camera\",\"product_model\":\"AC-200\","    \
    "\"manufacturer_name\":\"Acme Devices Ltd\",\"support_date\":\"2030-12-31\","                  \
    "\"security_contact\":\"security@acme.example\",\"default_password\":\"unique_per_device\"}"

/* The document's fields, in the order cta_export writes them for REC_FULL. */
static const char *const full_order[] = {
    "schema_version",
    "QR_code_url",
    "sensor_data_collection",
    "product_name",
    "manufacturer_name",
    "authorization_date",
    "authorized_by",
    "tested_by",
    "access_control",
    "securing_this_product",
    "security_update_information",
    "support_date",
    "version_and_model_numbers",
    "delete_data",
    "account_deactivation",
    "encryption_and_key_management",
    "general_user_information",
    "security_contact",
    "created",
    "sbom_hbom_available",
    "modified",
    "product_model",
    "sbom_hbom_maintained",
};
#define N_REQUIRED 21 /* the first 21 of full_order: usctm-schema-1-0-0.json's `required` */

/* Export record JSON `rec`; the result is appended to out. */
static int export(const char *rec, const char *qr_url, struct buf *out, struct cta_missing *m)
{
    yyjson_doc *doc = yyjson_read(rec, strlen(rec), 0);
    assert_non_null(doc);
    int rc = cta_export(yyjson_doc_get_root(doc), qr_url, out, m);
    yyjson_doc_free(doc);
    return rc;
}

/* Export `rec`, which must fail with exactly the fields in want[0..n), appending nothing. */
static void expect_missing(const char *rec, const char *qr_url, const char *const *want, int n)
{
    struct buf out = BUF_INIT;
    struct cta_missing m;
    buf_puts(&out, "kept");
    assert_int_equal(export(rec, qr_url, &out, &m), REG_ECTAINCOMPLETE);
    assert_int_equal(out.len, 4);
    assert_memory_equal(out.data, "kept", 4);
    for (int i = 0; i < m.n && i < n; i++)
        if (strcmp(m.field[i], want[i]) != 0)
            fail_msg("missing[%d]: want %s, got %s", i, want[i], m.field[i]);
    assert_int_equal(m.n, n);
    buf_free(&out);
}

static void complete_record_exports(void **state)
{
    (void)state;
    struct buf out = BUF_INIT, again = BUF_INIT;
    struct cta_missing m;
    buf_puts(&out, "prefix:"); /* the document is appended */
    assert_int_equal(export(REC_FULL, QR, &out, &m), 0);
    assert_int_equal(m.n, 0);
    assert_memory_equal(out.data, "prefix:", 7);
    const char *json = out.data + 7;
    size_t len = out.len - 7;

    yyjson_doc *doc = yyjson_read(json, len, 0);
    assert_non_null(doc);
    yyjson_val *root = yyjson_doc_get_root(doc);
    assert_true(yyjson_is_obj(root));
    yyjson_doc *rdoc = yyjson_read(REC_FULL, strlen(REC_FULL), 0);
    yyjson_val *rec = yyjson_doc_get_root(rdoc);

    /* Exactly full_order, in that order: every required field, nothing of ours. */
    assert_int_equal(yyjson_obj_size(root), COUNT(full_order));
    yyjson_obj_iter it = yyjson_obj_iter_with(root);
    yyjson_val *k;
    for (size_t i = 0; (k = yyjson_obj_iter_next(&it)); i++)
        if (!yyjson_equals_str(k, full_order[i]))
            fail_msg("field %zu: want %s, got %s", i, full_order[i], yyjson_get_str(k));
    for (size_t i = 0; i < N_REQUIRED; i++)
        assert_non_null(yyjson_obj_get(root, full_order[i]));
    static const char *const ours[] = {
        "gtin",   "default_password", "markets", "vulnerability_disclosure_policy",
        "id",     "version",          "status",  "manufacturer",
        "qr_url", "support_start"};
    for (size_t i = 0; i < COUNT(ours); i++)
        if (yyjson_obj_get(root, ours[i])) fail_msg("%s must not be exported", ours[i]);

    /* Synthesised fields; everything else is the record's value, unchanged. */
    assert_true(yyjson_equals_str(yyjson_obj_get(root, "schema_version"), "1.0.0"));
    assert_true(yyjson_equals_str(yyjson_obj_get(root, "QR_code_url"), QR));
    yyjson_val *maintained = yyjson_obj_get(root, "sbom_hbom_maintained");
    assert_true(yyjson_is_obj(maintained));
    assert_true(yyjson_equals(yyjson_obj_get(root, "sbom_hbom_available"), maintained));
    for (size_t i = 2; i < COUNT(full_order); i++) {
        const char *from = strcmp(full_order[i], "sbom_hbom_available") == 0
                               ? "sbom_hbom_maintained"
                               : full_order[i];
        if (!yyjson_equals(yyjson_obj_get(root, full_order[i]), yyjson_obj_get(rec, from)))
            fail_msg("%s differs from the record", full_order[i]);
    }

    /* Same record, same bytes. */
    assert_int_equal(export(REC_FULL, QR, &again, NULL), 0);
    assert_int_equal(again.len, len);
    assert_memory_equal(again.data, json, len);

    yyjson_doc_free(rdoc);
    yyjson_doc_free(doc);
    buf_free(&again);
    buf_free(&out);
}

static void minimal_record_lists_what_it_lacks(void **state)
{
    (void)state;
    static const char *const want[] = {
        "sensor_data_collection",
        "authorization_date",
        "authorized_by",
        "tested_by",
        "access_control",
        "securing_this_product",
        "security_update_information",
        "version_and_model_numbers",
        "delete_data",
        "account_deactivation",
        "encryption_and_key_management",
        "general_user_information",
        "sbom_hbom_maintained", /* the record field behind sbom_hbom_available */
    };
    expect_missing(REC_MINIMAL, QR, want, (int)COUNT(want));
}

static void each_required_field_is_reported(void **state)
{
    (void)state;
    for (size_t i = 2; i < N_REQUIRED; i++) {
        const char *name = strcmp(full_order[i], "sbom_hbom_available") == 0
                               ? "sbom_hbom_maintained"
                               : full_order[i];
        char *rec = json_with_field(REC_FULL, name, NULL);
        expect_missing(rec, QR, &name, 1);
        free(rec);
    }
}

static void other_needs_its_text(void **state)
{
    (void)state;
    static const char *const other[] = {"security_update_information_other"};
    char *rec = json_with_field(REC_FULL, "security_update_information",
                                "{\"update_default\":\"Other\","
                                "\"update_options\":[\"Manual\"]}");
    expect_missing(rec, QR, other, 1);
    free(rec);
    rec = json_with_field(REC_FULL, "security_update_information",
                          "{\"update_default\":\"Manual\","
                          "\"update_options\":[\"Manual\",\"Other\"]}");
    expect_missing(rec, QR, other, 1);
    free(rec);
    /* The schema as written also asks for it when either member is absent. */
    rec =
        json_with_field(REC_FULL, "security_update_information", "{\"update_default\":\"Manual\"}");
    expect_missing(rec, QR, other, 1);
    free(rec);
    rec = json_with_field(REC_FULL, "security_update_information",
                          "{\"update_options\":[\"Manual\"]}");
    expect_missing(rec, QR, other, 1);
    free(rec);

    /* With the text, it exports, and the text comes along. */
    yyjson_doc *d = yyjson_read(REC_FULL, strlen(REC_FULL), 0);
    yyjson_mut_doc *md = yyjson_doc_mut_copy(d, NULL);
    yyjson_mut_val *root = yyjson_mut_doc_get_root(md);
    yyjson_mut_obj_remove_key(root, "security_update_information");
    yyjson_mut_val *sui = yyjson_mut_obj_add_obj(md, root, "security_update_information");
    yyjson_mut_obj_add_str(md, sui, "update_default", "Other");
    yyjson_mut_obj_add_str(md, root, "security_update_information_other", "Over the hub");
    rec = yyjson_mut_write(md, 0, NULL);
    struct buf out = BUF_INIT;
    assert_int_equal(export(rec, QR, &out, NULL), 0);
    assert_non_null(
        strstr(buf_cstr(&out), "\"security_update_information_other\":\"Over the hub\""));
    buf_free(&out);
    free(rec);
    yyjson_mut_doc_free(md);
    yyjson_doc_free(d);
}

static void qr_url_must_be_sane(void **state)
{
    (void)state;
    static const char *const qr[] = {"QR_code_url"};
    expect_missing(REC_FULL, "https://a.b/c", qr, 1); /* 13 characters */
    expect_missing(REC_FULL, "http://a.b/c/d", qr, 1);
    expect_missing(REC_FULL, "ftp://registry.example/p/x", qr, 1);
    expect_missing(REC_FULL, "HTTPS://registry.example/p/x", qr, 1);
    expect_missing(REC_FULL, "https://registry.example/p/a b", qr, 1);
    expect_missing(REC_FULL, "", qr, 1);
    expect_missing(REC_FULL, NULL, qr, 1);

    char url[2050];
    memcpy(url, "https://r.example/", 18);
    memset(url + 18, 'x', sizeof url - 18);
    url[2049] = '\0'; /* 2049 characters */
    expect_missing(REC_FULL, url, qr, 1);
    url[2048] = '\0';
    struct buf out = BUF_INIT;
    assert_int_equal(export(REC_FULL, url, &out, NULL), 0);
    assert_int_equal(export(REC_FULL, "http://a.b/c/de", &out, NULL), 0); /* 15: the minimum */
    buf_free(&out);

    /* Listed in the schema's order, before the record's own gaps. */
    static const char *const both[] = {"QR_code_url", "sensor_data_collection"};
    char *rec = json_with_field(REC_FULL, "sensor_data_collection", NULL);
    expect_missing(rec, "short", both, 2);
    free(rec);
}

static void not_an_object_lacks_everything(void **state)
{
    (void)state;
    struct buf out = BUF_INIT;
    struct cta_missing m;
    assert_int_equal(export("[1,2]", QR, &out, &m), REG_ECTAINCOMPLETE);
    assert_int_equal(m.n, N_REQUIRED - 2);
    assert_string_equal(m.field[0], "sensor_data_collection");
    assert_int_equal(cta_export(NULL, QR, &out, &m), REG_ECTAINCOMPLETE);
    assert_int_equal(m.n, N_REQUIRED - 2);
    assert_int_equal(out.len, 0);
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(complete_record_exports),
        cmocka_unit_test(minimal_record_lists_what_it_lacks),
        cmocka_unit_test(each_required_field_is_reported),
        cmocka_unit_test(other_needs_its_text),
        cmocka_unit_test(qr_url_must_be_sane),
        cmocka_unit_test(not_an_object_lacks_everything),
    };
    return cmocka_run_group_tests_name("cta", tests, NULL, NULL);
}
