/* test_decl.c: declaration rules: every rule a manufacturer can break is reported with its
 * path and the JSON Schema keyword that fails, all at once, and valid declarations pass. The
 * rules C alone checks (duplicate keys, depth, the URL's ID, the error cap) are tested here only;
 * tests/integration/test_schema.py checks the rest against schema/declaration.schema.json. */
#include "harness.h"

#include "buf.h"
#include "date.h"
#include "decl.h"
#include "err.h"

/* A declaration with every field, all valid. */
#define LINK "{\"text\":\"How to\",\"url\":\"https://acme.example/how-to\"}"
#define DECL_FULL                                                                                  \
    "{\"id\":\"acme-cam\",\"product_name\":\"Acme Indoor Camera\",\"product_model\":\"AC-200\","   \
    "\"manufacturer_name\":\"Acme Devices Ltd\",\"version_and_model_numbers\":[\"AC-200 fw "       \
    "2.4\"],"                                                                                      \
    "\"gtin\":\"5012345678900\",\"support_date\":\"2030-12-31\",\"support_start\":\"2025-01-01\"," \
    "\"authorization_date\":\"2024-12-01\",\"security_contact\":\"security@acme.example\","        \
    "\"vulnerability_disclosure_policy\":\"https://acme.example/cvd\","                            \
    "\"default_password\":\"unique_per_device\",\"markets\":[\"AD\",\"GB\",\"ZW\"],"               \
    "\"security_update_information\":{\"update_default\":\"Manual\","                              \
    "\"update_options\":[\"Manual\",\"Other\"]},"                                                  \
    "\"security_update_information_other\":\"From a USB stick\","                                  \
    "\"access_control\":{\"password_factory_default\":\"password\","                               \
    "\"password_options\":[\"passkey\",\"MFA\"],\"password_type\":\"factory_default\","            \
    "\"user_changeable\":true,\"password_change\":" LINK "},"                                      \
    "\"sensor_data_collection\":[{\"sensing\":\"audio\",\"has\":true,\"description\":\"Talk\"},"   \
    "{\"sensing\":\"images\",\"has\":false},{\"sensing\":\"position\",\"has\":false}],"            \
    "\"securing_this_product\":" LINK ",\"delete_data\":{\"text\":\"Reset it\"},"                  \
    "\"account_deactivation\":{\"url\":\"https://acme.example/close\"},"                           \
    "\"encryption_and_key_management\":" LINK ",\"general_user_information\":" LINK ","            \
    "\"sbom_hbom_maintained\":{\"sbom_maintained\":true,\"hbom_maintained\":false},"               \
    "\"authorized_by\":{\"name\":\"CLA\",\"contact\":\"cla@cla.example\"},"                        \
    "\"tested_by\":{\"name\":\"Lab\",\"contact\":\"+44 20 7946 0000\"}}"

static int validate(const char *json, const char *url_id, struct decl_errors *errs)
{
    yyjson_doc *doc = yyjson_read(json, strlen(json), 0);
    assert_non_null(doc);
    int rc = decl_validate(yyjson_doc_get_root(doc), url_id, errs);
    yyjson_doc_free(doc);
    return rc;
}

static char *with_field(const char *name, const char *raw)
{
    return json_with_field(DECL_OK, name, raw);
}

static int has_error(const struct decl_errors *errs, const char *path, const char *rule)
{
    for (int i = 0; i < errs->n; i++)
        if (!strcmp(errs->e[i].path, path) && !strcmp(errs->e[i].rule, rule)) return 1;
    return 0;
}

static void expect_in(const char *json, const char *path, const char *rule)
{
    struct decl_errors errs;
    assert_int_equal(validate(json, "acme-cam", &errs), REG_EINVALID);
    if (!has_error(&errs, path, rule))
        fail_msg("%s: expected %s at %s, got %s at %s", json, rule, path,
                 errs.n ? errs.e[0].rule : "-", errs.n ? errs.e[0].path : "-");
    for (int i = 0; i < errs.n; i++)
        assert_true(errs.e[i].why.text[0]); /* every error says what is wrong */
}

static void expect_error(const char *name, const char *raw, const char *path, const char *rule)
{
    char *json = with_field(name, raw);
    expect_in(json, path, rule);
    free(json);
}

/* Like expect_error, and nothing else is wrong: one broken rule, one error. */
static void expect_only(const char *name, const char *raw, const char *path, const char *rule)
{
    struct decl_errors errs;
    char *json = with_field(name, raw);
    expect_in(json, path, rule);
    validate(json, "acme-cam", &errs);
    if (errs.n != 1) fail_msg("%s: %d errors, expected only %s at %s", json, errs.n, rule, path);
    free(json);
}

static void expect_ok(const char *name, const char *raw)
{
    struct decl_errors errs;
    char *json = with_field(name, raw);
    if (validate(json, "acme-cam", &errs) != 0)
        fail_msg("%s: unexpected %s at %s: %s", json, errs.e[0].rule, errs.e[0].path,
                 errs.e[0].why.text);
    free(json);
}

static void valid_declarations_pass(void **state)
{
    (void)state;
    struct decl_errors errs;
    assert_int_equal(validate(DECL_OK, "acme-cam", &errs), 0);
    assert_int_equal(errs.n, 0);
    assert_int_equal(validate(DECL_FULL, "acme-cam", &errs), 0);
    assert_int_equal(validate(DECL_FULL, NULL, &errs), 0);
}

static void each_required_field_is_reported(void **state)
{
    (void)state;
    /* manufacturer_name is not among them: the registry fills it in from the account. */
    const char *req[] = {"product_name", "product_model", "support_date", "security_contact",
                         "default_password"};
    for (size_t i = 0; i < COUNT(req); i++) {
        char path[64];
        snprintf(path, sizeof path, "/%s", req[i]);
        expect_only(req[i], NULL, path, "required");
    }
}

static void all_errors_at_once(void **state)
{
    (void)state;
    struct decl_errors errs;
    assert_int_equal(validate("{\"support_date\":\"2030-02-30\",\"colour\":\"red\"}", NULL, &errs),
                     REG_EINVALID);
    /* bad date + unknown field + 4 missing required fields */
    assert_int_equal(errs.n, 6);
    assert_false(errs.more);
}

static void errors_are_capped(void **state)
{
    (void)state;
    char markets[64 * 5 + 3] = "[";
    for (int i = 0; i < 64; i++)
        strcat(markets, i ? ",\"xx\"" : "\"xx\"");
    strcat(markets, "]");
    struct decl_errors errs;
    char *json = with_field("markets", markets);
    assert_int_equal(validate(json, NULL, &errs), REG_EINVALID);
    assert_int_equal(errs.n, DECL_MAX_ERRORS);
    assert_true(errs.more);
    assert_string_equal(errs.e[DECL_MAX_ERRORS - 1].path, "/markets/31");
    free(json);
}

static void field_formats(void **state)
{
    (void)state;
    expect_only("support_date", "\"31/12/2030\"", "/support_date", "format");
    expect_only("support_date", "\"2031-02-29\"", "/support_date", "format");
    expect_only("support_date", "\"1899-12-31\"", "/support_date", "format");
    expect_only("support_date", "20301231", "/support_date", "type");
    expect_only("support_start", "\"2030-1-01\"", "/support_start", "format");
    expect_only("authorization_date", "\"2030-02-30\"", "/authorization_date", "format");
    expect_ok("authorization_date", "\"2024-02-29\"");
    expect_only("default_password", "\"admin\"", "/default_password", "enum");
    expect_only("default_password", "1", "/default_password", "type");
    expect_ok("default_password", "\"universal\"");
    expect_only("product_name", "\"\"", "/product_name", "minLength");
    expect_only("product_name", "\"a\\u0000b\"", "/product_name", "pattern");
    expect_only("gtin", "\"4006381333932\"", "/gtin", "format");  /* bad check digit */
    expect_only("gtin", "\"40063813339\"", "/gtin", "format");    /* 11 digits */
    expect_only("gtin", "\"00000000000000\"", "/gtin", "format"); /* no GTIN */
    expect_only("gtin", "\"00000000\"", "/gtin", "format");
    expect_ok("gtin", "\"96385074\"");
    expect_ok("gtin", "\"036000291452\"");
    expect_only("vulnerability_disclosure_policy", "\"ftp://x.example/cvd\"",
                "/vulnerability_disclosure_policy", "pattern");
    expect_only("vulnerability_disclosure_policy", "\"https://a.io/x\"",
                "/vulnerability_disclosure_policy", "minLength");
    expect_ok("vulnerability_disclosure_policy", "\"https://a.io/xy\"");
}

static void contacts(void **state)
{
    (void)state;
    const char *ok[] = {
        "\"security@acme.example\"",         "\"a@b.c\"",
        "\"psirt+iot@mail.acme.co.uk\"",     "\"sécurité@acmé.example\"",
        "\"https://acme.example/security\"", "\"https://acme.example/report?a=1&b=2#form\"",
        "\"https://[2001:db8::1]/sec\""};
    const char *bad[] = {"\"call us\"",
                         "\"http://acme.example/security\"",
                         "\"security@localhost\"",
                         "\"@acme.example\"",
                         "\"security@acme..example\"",
                         "\"security@.acme.example\"",
                         "\"security@acme.example.\"",
                         "\"a@b@acme.example\"",
                         "\"sec urity@acme.example\"",
                         "\"<security@acme.example>\"",
                         "\"https://a.io/x\"",
                         "\"https:///acme.example/x\"",
                         "\"https://acme.example/a b\"",
                         "\"https://acme.example/\\\"x\\\"\"",
                         "\"HTTPS://ACME.EXAMPLE/SECURITY\"",
                         "\"security\\u00a0team@acme.example\""}; /* no-break space */
    /* Refused by the text rule first (decl.h), whatever the shape. */
    const char *unsafe[] = {
        "\"security@acme.example\\n\"", "\"security@acme.example\\u2028\"", /* line separator */
        "\"https://acme.example/\\u0085x\"",                                /* C1 control */
        "\"https://acme.example/\\ufeffx\"", "\"security\\u202e@acme.example\""};
    for (size_t i = 0; i < COUNT(ok); i++)
        expect_ok("security_contact", ok[i]);
    for (size_t i = 0; i < COUNT(bad); i++)
        expect_only("security_contact", bad[i], "/security_contact", "anyOf");
    for (size_t i = 0; i < COUNT(unsafe); i++)
        expect_only("security_contact", unsafe[i], "/security_contact", "pattern");
    expect_only("security_contact", "[\"a@b.c\"]", "/security_contact", "type");
}

static void arrays_and_countries(void **state)
{
    (void)state;
    expect_only("markets", "[\"gb\"]", "/markets/0", "enum");
    expect_only("markets", "[\"GB\",\"UK\"]", "/markets/1", "enum");
    expect_only("markets", "[\"GB\",\"XK\"]", "/markets/1", "enum");
    expect_only("markets", "[\"GB\",7]", "/markets/1", "type");
    expect_only("markets", "[\"GB\",\"DE\",\"GB\"]", "/markets", "uniqueItems");
    expect_only("markets", "\"GB\"", "/markets", "type");
    expect_ok("markets", "[]");
    expect_ok("markets", "[\"AD\",\"ZW\",\"BQ\",\"SS\",\"US\"]");
    expect_only("version_and_model_numbers", "[]", "/version_and_model_numbers", "minItems");
    expect_only("version_and_model_numbers", "[\"fw 1\",\"\"]", "/version_and_model_numbers/1",
                "minLength");
    char many[65 * 4 + 3] = "[";
    for (int i = 0; i < 65; i++)
        strcat(many, i ? ",\"v\"" : "\"v\"");
    strcat(many, "]");
    expect_only("version_and_model_numbers", many, "/version_and_model_numbers", "maxItems");
}

static void nested_objects(void **state)
{
    (void)state;
    expect_only("security_update_information", "{\"update_default\":\"Automatic\"}",
                "/security_update_information/update_default", "enum");
    expect_only("security_update_information", "{\"update_options\":[\"Manual\",\"Never\"]}",
                "/security_update_information/update_options/1", "enum");
    expect_only("security_update_information", "{\"update_options\":[\"Manual\",\"Manual\"]}",
                "/security_update_information/update_options", "uniqueItems");
    expect_only("security_update_information", "{\"channel\":\"beta\"}",
                "/security_update_information/channel", "additionalProperties");
    expect_only("security_update_information", "[]", "/security_update_information", "type");
    expect_only("access_control", "{\"password_factory_default\":\"pin\"}",
                "/access_control/password_factory_default", "enum");
    expect_only("access_control", "{\"password_options\":[\"MFA\",\"MFA\"]}",
                "/access_control/password_options", "uniqueItems");
    expect_only("access_control", "{\"password_type\":\"random\"}", "/access_control/password_type",
                "enum");
    expect_only("access_control", "{\"user_changeable\":\"yes\"}",
                "/access_control/user_changeable", "type");
    expect_only("access_control", "{\"password_change\":{}}", "/access_control/password_change",
                "minProperties");
    expect_only("access_control", "{\"password_change\":{\"url\":\"http://acme.example/pw\"}}",
                "/access_control/password_change/url", "pattern");
    expect_only("access_control", "{\"password_change\":{\"href\":\"https://acme.example/pw\"}}",
                "/access_control/password_change/href", "additionalProperties");
    expect_only("delete_data", "{\"text\":\"\"}", "/delete_data/text", "minLength");
    expect_only("delete_data", "\"https://acme.example/delete\"", "/delete_data", "type");
    expect_only("sbom_hbom_maintained", "{\"sbom_maintained\":1}",
                "/sbom_hbom_maintained/sbom_maintained", "type");
    expect_only("authorized_by", "{\"name\":\"\"}", "/authorized_by/name", "minLength");
    expect_only("tested_by", "{\"contact\":[]}", "/tested_by/contact", "type");
    expect_only("tested_by", "{}", "/tested_by", "minProperties");
    expect_only("authorized_by", "{}", "/authorized_by", "minProperties");
    expect_only("access_control", "{}", "/access_control", "minProperties");
    expect_only("sbom_hbom_maintained", "{}", "/sbom_hbom_maintained", "minProperties");
}

static void sensors(void **state)
{
    (void)state;
    expect_only("sensor_data_collection", "[{\"has\":true}]", "/sensor_data_collection/0/sensing",
                "required");
    expect_only("sensor_data_collection", "[{\"sensing\":\"audio\"}]",
                "/sensor_data_collection/0/has", "required");
    expect_only("sensor_data_collection", "[{\"sensing\":\"video\",\"has\":true}]",
                "/sensor_data_collection/0/sensing", "enum");
    expect_only("sensor_data_collection", "[{\"sensing\":\"audio\",\"has\":true,\"icons\":{}}]",
                "/sensor_data_collection/0/icons", "additionalProperties");
    expect_only("sensor_data_collection",
                "[{\"sensing\":\"audio\",\"has\":true},{\"sensing\":\"images\",\"has\":true},"
                "{\"sensing\":\"audio\",\"has\":false}]",
                "/sensor_data_collection", "maxContains");
    expect_only("sensor_data_collection", "[1]", "/sensor_data_collection/0", "type");
    expect_ok("sensor_data_collection", "[{\"sensing\":\"position\",\"has\":false,"
                                        "\"description\":\"\"}]");
}

static void other_needs_an_explanation(void **state)
{
    (void)state;
    expect_only("security_update_information", "{\"update_default\":\"Other\"}",
                "/security_update_information_other", "required");
    expect_only("security_update_information", "{\"update_options\":[\"Manual\",\"Other\"]}",
                "/security_update_information_other", "required");
    expect_ok("security_update_information", "{\"update_default\":\"Manual\"}");
    expect_only("security_update_information", "{}", "/security_update_information",
                "minProperties");
    char *json = json_with_field(DECL_FULL, "security_update_information_other", NULL);
    expect_in(json, "/security_update_information_other", "required");
    free(json);
    json = json_with_field(DECL_FULL, "security_update_information_other", "\"\"");
    expect_in(json, "/security_update_information_other", "minLength");
    free(json);
    expect_ok("security_update_information_other", "\"Explained without Other: allowed\"");
}

static void registry_fields_and_unknown_fields_are_refused(void **state)
{
    (void)state;
    expect_only("version", "7", "/version", "readOnly");
    expect_only("manufacturer", "\"evil\"", "/manufacturer", "readOnly");
    expect_only("support_status", "\"active\"", "/support_status", "readOnly");
    expect_only("manufacturer_account", "{}", "/manufacturer_account", "readOnly");
    expect_only("colour", "\"red\"", "/colour", "additionalProperties");
    expect_only("sbom_hbom_available", "true", "/sbom_hbom_available", "additionalProperties");
    expect_only("a/b~c", "1", "/a~1b~0c", "additionalProperties"); /* RFC 6901 escaping */
    assert_true(decl_is_registry_field("qr_url"));
    assert_true(decl_is_registry_field("compliance"));
    assert_false(decl_is_registry_field("id"));
    assert_false(decl_is_registry_field("product_name"));
}

static void id_must_match_url(void **state)
{
    (void)state;
    expect_only("id", "\"other-id\"", "/id", "const");
    expect_only("id", "\"-bad\"", "/id", "pattern");
    expect_only("id", "\"acme-cam\\n\"", "/id", "pattern");
    struct decl_errors errs;
    char *json = with_field("id", "\"acme-cam\"");
    assert_int_equal(validate(json, "acme-cam", &errs), 0);
    free(json);
    json = with_field("id", "\"other-id\"");
    assert_int_equal(validate(json, NULL, &errs), 0); /* no URL: the pattern only */
    free(json);
}

static void strings_count_characters_not_bytes(void **state)
{
    (void)state;
    /* "é" is 2 bytes in UTF-8: 2048 of them (4096 bytes) are allowed, 2049 are not. */
    char *big = malloc(2 * 2049 + 3);
    big[0] = '"';
    for (int i = 0; i < 2049; i++)
        memcpy(big + 1 + 2 * i, "\xc3\xa9", 2);
    strcpy(big + 1 + 2 * 2049, "\"");
    expect_only("product_name", big, "/product_name", "maxLength");
    strcpy(big + 1 + 2 * 2048, "\"");
    expect_ok("product_name", big);
    free(big);
    char url[8 + 2041 + 3] = "\"https://";
    memset(url + 9, 'a', 2040);
    strcpy(url + 9 + 2040, "\"");
    expect_ok("vulnerability_disclosure_policy", url); /* 2048 characters */
    strcpy(url + 9 + 2039, "ab\"");
    expect_only("vulnerability_disclosure_policy", url, "/vulnerability_disclosure_policy",
                "maxLength");
}

static void duplicate_keys_and_depth(void **state)
{
    (void)state;
    struct decl_errors errs;
    const char *dup = "{\"product_name\":\"A\",\"product_name\":\"B\"}";
    assert_int_equal(validate(dup, NULL, &errs), REG_EINVALID);
    assert_string_equal(errs.e[0].rule, "uniqueKeys");
    assert_string_equal(errs.e[0].path, "/product_name");
    expect_only("access_control", "{\"user_changeable\":true,\"user_changeable\":false}",
                "/access_control/user_changeable", "uniqueKeys");
    expect_only("sensor_data_collection", "[{\"sensing\":\"audio\",\"has\":true,\"has\":true}]",
                "/sensor_data_collection/0/has", "uniqueKeys");
    /* Depth is counted from the root (0): nine levels down is one too many. */
    expect_error("delete_data", "[[[[[[[[[[1]]]]]]]]]]", "/delete_data/0/0/0/0/0/0/0/0",
                 "maxDepth");
    expect_error("colour", "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":{\"h\":1}}}}}}}}",
                 "/colour/a/b/c/d/e/f/g/h", "maxDepth");
    char *json = with_field("colour", "{\"a\":{\"b\":{\"c\":{\"d\":{\"e\":{\"f\":{\"g\":1}}}}}}}");
    assert_int_equal(validate(json, NULL, &errs), REG_EINVALID);
    for (int i = 0; i < errs.n; i++)
        assert_string_not_equal(errs.e[i].rule, "maxDepth");
    free(json);
}

static void not_an_object(void **state)
{
    (void)state;
    struct decl_errors errs;
    assert_int_equal(validate("[]", NULL, &errs), REG_EINVALID);
    assert_int_equal(errs.n, 1);
    assert_string_equal(errs.e[0].path, "");
    assert_string_equal(errs.e[0].rule, "type");
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
    /* All zeros: its check digit is right, but GS1 issues no such GTIN, in any length. */
    assert_int_equal(decl_gtin_normalize("00000000000000", 14, g), REG_EBADREQ);
    assert_int_equal(decl_gtin_normalize("0000000000000", 13, g), REG_EBADREQ);
    assert_int_equal(decl_gtin_normalize("000000000000", 12, g), REG_EBADREQ);
    assert_int_equal(decl_gtin_normalize("00000000", 8, g), REG_EBADREQ);
    assert_int_equal(decl_gtin_normalize("00000000000017", 14, g), 0);
    assert_true(decl_gtin_all_zeros("000", 3));
    assert_false(decl_gtin_all_zeros("", 0));
    assert_false(decl_gtin_all_zeros("0001", 4));
    int64_t d;
    assert_int_equal(date_parse("2024-02-29", 10, &d), 0);
    assert_int_equal(d, 19782);
    assert_int_not_equal(date_parse("2023-02-29", 10, &d), 0);
    assert_int_not_equal(date_parse("2023-13-01", 10, &d), 0);
}

/* The message of the only error json gets. */
static const char *only_message(const char *json, const char *path, struct decl_errors *errs)
{
    assert_int_equal(validate(json, "acme-cam", errs), REG_EINVALID);
    if (errs->n != 1 || strcmp(errs->e[0].path, path) || strcmp(errs->e[0].rule, "pattern"))
        fail_msg("%s: expected one pattern error at %s, got %d, first %s at %s", json, path,
                 errs->n, errs->n ? errs->e[0].rule : "-", errs->n ? errs->e[0].path : "-");
    return errs->e[0].why.text;
}

/* The text rule (decl.h): each class of refused code point, in every kind of text field, nested
 * ones included, named with its position; what scripts and emoji need passes. */
static void text_rule(void **state)
{
    (void)state;
    static const struct {
        const char *field, *raw, *path, *says;
    } cases[] = {
        {"product_name", "\"Cam\\u001b]0;owned\\u0007\"", "/product_name",
         "has U+001B ESCAPE, a control character, at character 4"},
        {"product_model", "\"\\t AC-200\"", "/product_model", "U+0009 CHARACTER TABULATION"},
        {"manufacturer_name", "\"Acme\\nLtd\"", "/manufacturer_name", "U+000A LINE FEED"},
        {"product_name", "\"Acme\\u007f\"", "/product_name", "U+007F DELETE, a control"},
        {"product_name", "\"\\u009b2J\"", "/product_name", "U+009B CONTROL SEQUENCE INTRODUCER"},
        {"product_name", "\"Cam \\u202egpj.exe\"", "/product_name",
         "U+202E RIGHT-TO-LEFT OVERRIDE, a bidirectional control, at character 5"},
        {"version_and_model_numbers", "[\"fw 1\",\"fw\\u20662\"]", "/version_and_model_numbers/1",
         "U+2066 LEFT-TO-RIGHT ISOLATE"},
        {"authorized_by", "{\"name\":\"\\u200fCLA\"}", "/authorized_by/name",
         "U+200F RIGHT-TO-LEFT MARK"},
        {"tested_by", "{\"contact\":\"+44\\u061c20\"}", "/tested_by/contact",
         "U+061C ARABIC LETTER MARK"},
        {"delete_data", "{\"text\":\"Re\\u200bset\"}", "/delete_data/text",
         "U+200B ZERO WIDTH SPACE"},
        {"delete_data", "{\"url\":\"https://acme.example/\\u202edelete\"}", "/delete_data/url",
         "U+202E"},
        {"access_control", "{\"password_change\":{\"text\":\"pass\\u00adword\"}}",
         "/access_control/password_change/text", "U+00AD SOFT HYPHEN, an invisible format"},
        {"sensor_data_collection",
         "[{\"sensing\":\"audio\",\"has\":true,\"description\":\"\\ufeff\"}]",
         "/sensor_data_collection/0/description", "U+FEFF ZERO WIDTH NO-BREAK SPACE, an invisible"},
        {"security_update_information_other", "\"USB\\u2028stick\"",
         "/security_update_information_other",
         "U+2028 LINE SEPARATOR, a line or paragraph separator"},
        {"general_user_information", "{\"text\":\"Hi\\udb40\\udc41\\udb40\\udc42\"}",
         "/general_user_information/text", "U+E0041, a tag character, at character 3"},
        {"vulnerability_disclosure_policy", "\"https://acme.example/\\uffff\"",
         "/vulnerability_disclosure_policy", "U+FFFF, a noncharacter, at character 22"},
        {"product_name", "\"\\ud83f\\udffe\"", "/product_name", "U+1FFFE, a noncharacter"},
        {"product_name", "\"x\\u0600\"", "/product_name", "U+0600, a format character"},
        {"product_name", "\"a\\u0000b\"", "/product_name", "U+0000 NULL"},
    };
    struct decl_errors errs;
    for (size_t i = 0; i < COUNT(cases); i++) {
        char *json = with_field(cases[i].field, cases[i].raw);
        const char *msg = only_message(json, cases[i].path, &errs);
        if (!strstr(msg, cases[i].says)) fail_msg("%s: message \"%s\"", json, msg);
        free(json);
    }
    /* Scripts and emoji: ZWNJ in Persian, ZWJ sequences, variation selectors, RTL text; blanks
     * at either end are kept, not refused. */
    expect_ok("product_name", "\"\\u0645\\u06cc\\u200c\\u062e\\u0648\\u0627\\u0647\\u0645\"");
    expect_ok("product_name",
              "\"Family \\ud83d\\udc68\\u200d\\ud83d\\udc69\\u200d\\ud83d\\udc67\"");
    expect_ok("product_name", "\"\\u2764\\ufe0f \\u05de\\u05e6\\u05dc\\u05de\\u05d4 2\"");
    expect_ok("product_name", "\" Acme  Cam \"");
    expect_ok("product_name", "\"\\ue000 private use, \\u00a0no-break space\"");
}

static void text_rule_pieces(void **state)
{
    (void)state;
    /* Range edges. */
    static const unsigned refused[] = {
        0x0,    0x1f,   0x7f,   0x9f,    0xad,     0x600,   0x605,   0x200b,  0x200e,  0x200f,
        0x2028, 0x202e, 0x2060, 0x2064,  0x2066,   0x206f,  0xfdd0,  0xfdef,  0xfeff,  0xfff9,
        0xfffb, 0xfffe, 0xffff, 0x1fffe, 0x10ffff, 0xe0001, 0xe0020, 0xe007f, 0x13430, 0x1343f};
    static const unsigned allowed[] = {0x20,    0x7e,    0xa0,    0xac,    0xae,    0x5ff,  0x606,
                                       0x200a,  0x200c,  0x200d,  0x2010,  0x2027,  0x202f, 0x2065,
                                       0x2070,  0xfdcf,  0xfdf0,  0xfe0f,  0xfffc,  0xfffd, 0x1fffd,
                                       0x20000, 0xe0000, 0xe0002, 0xe0080, 0xe0100, 0x1f600};
    for (size_t i = 0; i < COUNT(refused); i++)
        if (!decl_char_refused(refused[i])) fail_msg("U+%04X is allowed", refused[i]);
    for (size_t i = 0; i < COUNT(allowed); i++)
        if (decl_char_refused(allowed[i])) fail_msg("U+%04X is refused", allowed[i]);
    /* The decoder: valid sequences, and every kind of broken one one byte at a time. */
    const char ok[] = "a\xc3\xa9\xe2\x80\xae\xf0\x9f\x98\x80";
    size_t i = 0;
    assert_int_equal(decl_next_char(ok, sizeof ok - 1, &i), 'a');
    assert_int_equal(decl_next_char(ok, sizeof ok - 1, &i), 0xe9);
    assert_int_equal(decl_next_char(ok, sizeof ok - 1, &i), 0x202e);
    assert_int_equal(decl_next_char(ok, sizeof ok - 1, &i), 0x1f600);
    assert_int_equal(i, sizeof ok - 1);
    static const char *const broken[] = {"\x80",     "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                                         "\xe2\x80", "\xff",     "\xc3("};
    for (size_t k = 0; k < COUNT(broken); k++) {
        i = 0;
        assert_int_equal(decl_next_char(broken[k], strlen(broken[k]), &i),
                         0x110000 + (unsigned char)broken[k][0]);
        assert_int_equal(i, 1);
    }
    struct reg_why why;
    assert_int_equal(decl_text_check("ok", 2, &why), 0);
    assert_int_equal(decl_text_check("o\xffk", 3, &why), REG_EINVALID);
    assert_string_equal(why.text, "has byte 0xFF, which is not UTF-8, at character 2");
    assert_int_equal(decl_text_check("o\xe2\x80\xaek", 5, NULL), REG_EINVALID); /* no reason kept */
}

/* default_password's values: one table (decl.h) gives the names, parses them and lists them. */
static void password_values(void **state)
{
    (void)state;
    for (int p = 0; p < DECL__PASSWORDS; p++)
        assert_int_equal(decl_password_parse(decl_password_name((enum decl_password)p)), p);
    assert_string_equal(decl_password_name(DECL_PW_UNIVERSAL), "universal");
    assert_int_equal(decl_password_parse("Universal"), REG_ENOTFOUND);
    assert_int_equal(decl_password_parse(NULL), REG_ENOTFOUND);
    assert_string_equal(DECL_PASSWORD_CHOICES,
                        "unique_per_device|user_defined|no_password|universal");
    char *bad = json_with_field(DECL_OK, "default_password", "\"shared\"");
    yyjson_doc *doc = yyjson_read(bad, strlen(bad), 0);
    struct decl_errors errs;
    assert_int_not_equal(decl_validate(yyjson_doc_get_root(doc), NULL, &errs), 0);
    yyjson_doc_free(doc);
    free(bad);
}

/* decl_diff's findings as "name:from>to;" (a missing side as -). */
static void note_change(void *ctx, const char *name, yyjson_val *from, yyjson_val *to)
{
    char *a = from ? yyjson_val_write(from, 0, NULL) : NULL,
         *b = to ? yyjson_val_write(to, 0, NULL) : NULL;
    buf_printf(ctx, "%s:%s>%s;", name, a ? a : "-", b ? b : "-");
    free(a);
    free(b);
}

static const char *diff_of(const char *old, const char *cur, enum decl_diff_scope scope)
{
    static struct buf out;
    buf_reset(&out);
    yyjson_doc *o = old ? yyjson_read(old, strlen(old), 0) : NULL,
               *c = yyjson_read(cur, strlen(cur), 0);
    decl_diff(yyjson_doc_get_root(o), yyjson_doc_get_root(c), scope, note_change, &out);
    yyjson_doc_free(o);
    yyjson_doc_free(c);
    return buf_cstr(&out);
}

/* The one record diff: the registry's history counts its own changes (status), a dry run shows
 * only what the declaration changed; bookkeeping never counts. */
static void record_diff(void **state)
{
    (void)state;
    const char *v1 = "{\"id\":\"a\",\"version\":1,\"status\":\"active\",\"modified\":\"x\","
                     "\"manufacturer_name\":\"A\",\"product_name\":\"P\",\"gone\":[1]}";
    const char *v2 = "{\"id\":\"a\",\"version\":2,\"status\":\"withdrawn\",\"modified\":\"y\","
                     "\"manufacturer_name\":\"B\",\"product_name\":\"P\",\"new\":true,"
                     "\"kind\":\"updated\",\"qr_url\":\"u\"}";
    assert_string_equal(diff_of(v1, v2, DECL_DIFF_RECORD),
                        "status:\"active\">\"withdrawn\";manufacturer_name:\"A\">\"B\";new:->true;"
                        "kind:->\"updated\";qr_url:->\"u\";gone:[1]>-;");
    assert_string_equal(diff_of(v1, v2, DECL_DIFF_DECLARED),
                        "manufacturer_name:\"A\">\"B\";new:->true;gone:[1]>-;");
    assert_string_equal(diff_of(NULL, v2, DECL_DIFF_RECORD), ""); /* a first version */
    assert_string_equal(diff_of(v1, v1, DECL_DIFF_RECORD), "");
    /* One list: the validator refuses exactly the registry-managed fields, not the views'. */
    assert_int_equal(decl_field_kind("version"), DECL_FIELD_BOOKKEEPING);
    assert_int_equal(decl_field_kind("state"), DECL_FIELD_STATE);
    assert_int_equal(decl_field_kind("kind"), DECL_FIELD_VIEW);
    assert_int_equal(decl_field_kind("product_name"), DECL_FIELD_DECLARED);
    assert_false(decl_is_registry_field("kind"));
    expect_only("kind", "\"x\"", "/kind", "additionalProperties");
    expect_only("state", "{}", "/state", "readOnly");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_declarations_pass),
        cmocka_unit_test(each_required_field_is_reported),
        cmocka_unit_test(all_errors_at_once),
        cmocka_unit_test(errors_are_capped),
        cmocka_unit_test(field_formats),
        cmocka_unit_test(contacts),
        cmocka_unit_test(arrays_and_countries),
        cmocka_unit_test(nested_objects),
        cmocka_unit_test(sensors),
        cmocka_unit_test(other_needs_an_explanation),
        cmocka_unit_test(registry_fields_and_unknown_fields_are_refused),
        cmocka_unit_test(id_must_match_url),
        cmocka_unit_test(strings_count_characters_not_bytes),
        cmocka_unit_test(duplicate_keys_and_depth),
        cmocka_unit_test(not_an_object),
        cmocka_unit_test(ids_slugs_gtins_dates),
        cmocka_unit_test(text_rule),
        cmocka_unit_test(text_rule_pieces),
        cmocka_unit_test(password_values),
        cmocka_unit_test(record_diff),
    };
    return cmocka_run_group_tests_name("decl", tests, NULL, NULL);
}
