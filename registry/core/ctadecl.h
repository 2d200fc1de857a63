/* ctadecl.h: CTA-2120 documents (the US Cyber Trust Mark registry format) turned into our
 * declarations, for `seclabel import FILE.json`. A file holds one document or an array of them
 * (what `seclabel export --format cta-2120` writes).
 *
 * CTA-2120 has no product ID, and says nothing about whether a factory password is shared by
 * every unit, so two things are decided here:
 *   - the ID: from a QR_code_url of the form .../p/<id> (a seclabel page); else, when the URL is a
 *     GS1 Digital Link .../01/<GTIN>, the product the registry has for that GTIN (the caller
 *     looks it up) and the GTIN is kept; else it is made from product_model (or, without one,
 *     product_name) in the importing maker's namespace (ctadecl_model_id). An ID made so may
 *     only update a product that has that same model and no other GTIN (ctadecl_same_product):
 *     two models that read alike never overwrite each other.
 *   - default_password: "user_defined" when access_control.password_type is "user_generated",
 *     "no_password" when password_factory_default is "no_control" or "no_account"; otherwise
 *     the caller's --default-password, or the registry's current value; a new product with
 *     none of these is refused (CTADECL_PASSWORD_OPEN says why).
 * For a product the registry already has, our fields that CTA-2120 has no place for (those
 * decl_fields.h marks NONE: gtin, markets, default_password, ...), and
 * product_model, which CTA-2120 may leave out but we require, are kept from its current record
 * (ctadecl_fill) where the entry lacks them.
 * Fields with the same name in both formats are copied; sbom_hbom_available stands in for a
 * missing sbom_hbom_maintained; CTA-only fields (schema_version, QR_code_url, created, modified,
 * product_manufacturer, a sensor item's icons) are dropped; a sensor item without "has" gets
 * the schema's default, true.
 * What CTA-2120 allows empty and our rules do not (decl.h) says nothing, so it is dropped: an
 * empty text ("", but a sensor item's description, which may be empty), an empty object ({}:
 * it could not survive a CSV round trip either) and an empty version_and_model_numbers ([]),
 * repeatedly, so that an object left empty by it goes too. Where our rules allow a list empty
 * (update_options, password_options, sensor_data_collection), [] says "none" and is kept.
 *
 * Ownership: values are borrowed from the caller's yyjson document; output goes to the caller's
 * buffers. */
#ifndef SECLABEL_CTADECL_H
#define SECLABEL_CTADECL_H

#include "buf.h"
#include "decl.h"
#include "why.h"

#include <yyjson.h>

/* What an entry's QR_code_url says: its ID (from /p/<id>) and/or GTIN-14 (from /01/<gtin>);
 * each "" when the URL does not say. */
void ctadecl_keys(yyjson_val *doc, char id[DECL_ID_MAX + 1], char gtin14[15]);

/* The ID made from product_model (or, without one, product_name) inside namespace ns (the
 * importing maker's "<slug>-", where a new product's ID must begin; borrowed). Stable and
 * readable where it can be: the text's compatibility forms (NFKC: "Ⅱ" is "II") and Latin
 * letters are transliterated to ASCII by ICU's Latin-ASCII ("Türklingel Straße" is
 * "turklingel strasse"), lower-cased, and every run of other characters becomes one '-', so
 * "AC 300 / EU" is acme-ac-300-eu. When a character cannot be written so (another script), the
 * result would pass DECL_ID_MAX, or nothing is left, "-" and a short hash of the text (NFC;
 * the first 4 bytes of its BLAKE2b, in hex) end it: "Türklingel Ⅱ 智能" is
 * acme-turklingel-ii-<8 hex digits>, "智能门铃" acme-<8 hex digits>.
 * Returns the name of the field used ("product_model" or "product_name", static), or NULL
 * with id "" if there is neither (why "") or it is too long, ns cannot begin an ID, or ICU
 * cannot be used (then why, NULL allowed, says so). */
const char *ctadecl_model_id(yyjson_val *doc, const char *ns, char id[DECL_ID_MAX + 1],
                             struct reg_why *why);

/* 0 if declaration decl, whose ID was made from its field `from` (ctadecl_model_id), may
 * update record cur, the product the registry has under that ID: cur has the same `from` text
 * and, if both have a GTIN, the same GTIN. Else REG_EEXIST (the made ID is another product's),
 * with why (NULL allowed) naming both values: a made ID must never silently update another
 * product. */
int ctadecl_same_product(yyjson_val *decl, yyjson_val *cur, const char *from, struct reg_why *why);

/* A format for one %s: DECL_PASSWORD_CHOICES. */
#define CTADECL_PASSWORD_OPEN                                                                      \
    "CTA-2120 does not say whether the factory password is unique to each unit; say so with "      \
    "--default-password %s"

/* Append the declaration for entry `doc` with ID `id` (and GTIN gtin14 unless "") as JSON.
 * default_password may be NULL (then it is left out unless access_control decides it). Returns
 * 0, or with the reason in why (NULL allowed) REG_EBADREQ (doc is not a JSON object) or
 * REG_EINTERNAL (out of memory). */
int ctadecl_to_decl(yyjson_val *doc, const char *id, const char *gtin14,
                    const char *default_password, struct buf *out, struct reg_why *why);

/* Append declaration `decl` with the fields kept from record `cur` (NULL: none) added where
 * decl lacks them (see above). */
void ctadecl_fill(yyjson_val *decl, yyjson_val *cur, struct buf *out);

#endif
