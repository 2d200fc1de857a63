/* cta.c: product records as CTA-2120 v1.0.0 documents (see cta.h).
 *
 * CTA-2120's required list drives both passes: the check for required fields and the writer.
 * The output order is that list as the schema gives it, then the optional fields, those of
 * decl_fields.h marked CTA, in its order. Our declaration already uses CTA-2120's names, so
 * most fields are copied unchanged; the rest come from the call (QR_code_url), a constant
 * (schema_version) or another field.
 *
 * The schema has no additionalProperties:false, so our own fields (decl_fields.h's rows marked
 * NONE: gtin, default_password, markets, ...) and the registry's (id, version,
 * status, manufacturer) would still validate; they are left out to keep the document to what
 * CTA-2120 defines.
 *
 * Bugs in usctm-schema-1-0-0.json this module works around (listed in schema/cta-2120/README.md):
 *   - `sbom_hbom_available` is required but only `sbom_hbom_maintained` is defined: both are
 *     written, with the same object (the record's sbom_hbom_maintained).
 *   - `version_and_model_numbers` is required but not defined: ours (an array of strings).
 *   - The top-level if/then meant "update_default is Other or update_options contains Other"
 *     but, as written, its anyOf branches also hold when update_default or update_options is
 *     absent (`properties` passes vacuously). So security_update_information_other is required
 *     unless update_default is present and not "Other" AND update_options is present and has
 *     no "Other". other_required() follows the schema as written, so the output validates. */
#include "cta.h"

#include "decl_fields.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

#define CTA_URL_MIN 15 /* saneUrl: minLength, maxLength, pattern ^https?:// */
#define CTA_URL_MAX 2048

enum source {
    SRC_RECORD,  /* the record's field `from`, copied unchanged */
    SRC_VERSION, /* CTA_SCHEMA_VERSION */
    SRC_QR,      /* the qr_url argument */
};

struct cta_field {
    const char *name; /* key in the CTA-2120 document */
    const char *from; /* SRC_RECORD: key in the record; also the name reported as missing */
    enum source src;
};

/* CTA-2120's required fields, in its schema's order (a fact of CTA-2120's schema, not of our
 * declaration's: decl_fields.h says which of our fields CTA-2120 has). */
static const struct cta_field required[] = {
    {"schema_version", "schema_version", SRC_VERSION},
    {"QR_code_url", "QR_code_url", SRC_QR},
    {"sensor_data_collection", "sensor_data_collection", SRC_RECORD},
    {"product_name", "product_name", SRC_RECORD},
    {"manufacturer_name", "manufacturer_name", SRC_RECORD},
    {"authorization_date", "authorization_date", SRC_RECORD},
    {"authorized_by", "authorized_by", SRC_RECORD},
    {"tested_by", "tested_by", SRC_RECORD},
    {"access_control", "access_control", SRC_RECORD},
    {"securing_this_product", "securing_this_product", SRC_RECORD},
    {"security_update_information", "security_update_information", SRC_RECORD},
    {"support_date", "support_date", SRC_RECORD},
    {"version_and_model_numbers", "version_and_model_numbers", SRC_RECORD},
    {"delete_data", "delete_data", SRC_RECORD},
    {"account_deactivation", "account_deactivation", SRC_RECORD},
    {"encryption_and_key_management", "encryption_and_key_management", SRC_RECORD},
    {"general_user_information", "general_user_information", SRC_RECORD},
    {"security_contact", "security_contact", SRC_RECORD},
    {"created", "created", SRC_RECORD},
    {"sbom_hbom_available", "sbom_hbom_maintained", SRC_RECORD},
    {"modified", "modified", SRC_RECORD},
};

/* The declaration's fields that CTA-2120 has under the same name, in decl_fields.h's order:
 * those not in required[] follow them as optional fields (security_update_information_other:
 * see other_required). */
static const char *const same_fields[] = {
#define X(name, spec, req, csv, cta, page) DECL_IN_CTA_(cta) ? #name : NULL,
    DECL_FIELDS(X)
#undef X
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* 1 if c may appear in a URI (RFC 3986: unreserved, reserved, or '%' of a pct-encoding). */
static int uri_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c != '\0' && strchr("-._~:/?#[]@!$&'()*+,;=%", c) != NULL);
}

/* 1 if s satisfies the schema's saneUrl: ^https?://, 15..2048 characters. Characters outside
 * RFC 3986 are refused too, since the schema also asks for format "uri"; with ASCII only,
 * characters and bytes count the same. */
static int qr_url_ok(const char *s)
{
    if (!s || (strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)) return 0;
    size_t n = 0;
    for (; s[n]; n++)
        if (n >= CTA_URL_MAX || !uri_char(s[n])) return 0;
    return n >= CTA_URL_MIN;
}

/* 1 if the schema's if/then, as written, requires security_update_information_other for this
 * security_update_information (see the file comment). When `sui` itself is absent it is
 * reported missing on its own and this is decided once it exists. */
static int other_required(yyjson_val *sui)
{
    if (!sui) return 0;
    if (!yyjson_is_obj(sui)) return 1;
    yyjson_val *def = yyjson_obj_get(sui, "update_default");
    yyjson_val *opts = yyjson_obj_get(sui, "update_options");
    if (!def || yyjson_equals_str(def, "Other")) return 1;
    if (!yyjson_is_arr(opts)) return 1; /* absent, or not an array: `contains` passes */
    size_t i, max;
    yyjson_val *item;
    yyjson_arr_foreach(opts, i, max, item)
    {
        if (yyjson_equals_str(item, "Other")) return 1;
    }
    return 0;
}

/* 1 if CTA-2120 requires a field of this name (then required[] writes it). */
static int is_required(const char *name)
{
    for (size_t i = 0; i < COUNT(required); i++)
        if (!strcmp(required[i].name, name)) return 1;
    return 0;
}

static void add_missing(struct cta_missing *m, const char *field)
{
    if (m->n < CTA_MAX_MISSING) m->field[m->n++] = field;
}

static void find_missing(yyjson_val *rec, const char *qr_url, struct cta_missing *m)
{
    for (size_t i = 0; i < COUNT(required); i++) {
        const struct cta_field *f = &required[i];
        if ((f->src == SRC_QR && !qr_url_ok(qr_url)) ||
            (f->src == SRC_RECORD && !yyjson_obj_get(rec, f->from)))
            add_missing(m, f->from);
    }
    if (other_required(yyjson_obj_get(rec, "security_update_information")) &&
        !yyjson_obj_get(rec, "security_update_information_other"))
        add_missing(m, "security_update_information_other");
}

/* Append the document; the record has every required field. */
static int write_doc(yyjson_val *rec, const char *qr_url, struct buf *out)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, o);
    for (size_t i = 0; i < COUNT(required); i++) {
        const struct cta_field *f = &required[i];
        yyjson_mut_val *v;
        if (f->src == SRC_VERSION) {
            v = yyjson_mut_str(doc, CTA_SCHEMA_VERSION);
        } else if (f->src == SRC_QR) {
            v = yyjson_mut_str(doc, qr_url);
        } else {
            yyjson_val *src = yyjson_obj_get(rec, f->from);
            if (!src) continue;
            v = yyjson_val_mut_copy(doc, src);
        }
        yyjson_mut_obj_add_val(doc, o, f->name, v);
    }
    for (size_t i = 0; i < COUNT(same_fields); i++) {
        yyjson_val *src = same_fields[i] ? yyjson_obj_get(rec, same_fields[i]) : NULL;
        if (src && !is_required(same_fields[i]))
            yyjson_mut_obj_add_val(doc, o, same_fields[i], yyjson_val_mut_copy(doc, src));
    }
    size_t len = 0;
    char *json = yyjson_mut_write(doc, 0, &len);
    yyjson_mut_doc_free(doc);
    if (!json) return REG_EINTERNAL;
    buf_append(out, json, len);
    free(json);
    return 0;
}

int cta_export(yyjson_val *rec, const char *qr_url, struct buf *out, struct cta_missing *missing)
{
    struct cta_missing local;
    if (!missing) missing = &local;
    memset(missing, 0, sizeof *missing);
    find_missing(rec, qr_url, missing);
    if (missing->n) return REG_ECTAINCOMPLETE;
    return write_doc(rec, qr_url, out);
}
