/* ctadecl.h: CTA-2120 documents (the US Cyber Trust Mark registry format) turned into our
 * declarations, for `seclabel import FILE.json`. A file holds one document or an array of them
 * (what `seclabel export --format cta-2120` writes).
 *
 * CTA-2120 has no product ID, and says nothing about whether a factory password is shared by
 * every unit, so two things are decided here:
 *   - the ID: from a QR_code_url of the form .../p/<id> (a seclabel page); else, when the URL is a
 *     GS1 Digital Link .../01/<GTIN>, the product the registry has for that GTIN (the caller
 *     looks it up) and the GTIN is kept; else the product_model (or product_name) made into an
 *     ID in the importing maker's namespace: "<slug>-", then lower case, runs of other
 *     characters as one '-'.
 *   - default_password: "user_defined" when access_control.password_type is "user_generated",
 *     "no_password" when password_factory_default is "no_control" or "no_account"; otherwise
 *     the caller's --default-password, or the registry's current value; a new product with
 *     none of these is refused (CTADECL_PASSWORD_OPEN says why).
 * For a product the registry already has, our fields that CTA-2120 has no place for (gtin,
 * markets, support_start, vulnerability_disclosure_policy, default_password) are kept from its
 * current record (ctadecl_fill) rather than dropped.
 * Fields with the same name in both formats are copied; sbom_hbom_available stands in for a
 * missing sbom_hbom_maintained; CTA-only fields (schema_version, QR_code_url, created, modified,
 * product_manufacturer) are dropped.
 *
 * Ownership: values are borrowed from the caller's yyjson document; output goes to the caller's
 * buffers. */
#ifndef SECLABEL_CTADECL_H
#define SECLABEL_CTADECL_H

#include "buf.h"
#include "decl.h"

#include <yyjson.h>

/* What an entry's QR_code_url says: its ID (from /p/<id>) and/or GTIN-14 (from /01/<gtin>);
 * each "" when the URL does not say. */
void ctadecl_keys(yyjson_val *doc, char id[DECL_ID_MAX + 1], char gtin14[15]);

/* The ID made from product_model (or product_name) inside namespace ns (the importing maker's
 * "<slug>-", where a new product's ID must begin; borrowed), e.g. "acme-ac-200"; "" if neither
 * gives one. */
void ctadecl_model_id(yyjson_val *doc, const char *ns, char id[DECL_ID_MAX + 1]);

#define CTADECL_PASSWORD_OPEN                                                                      \
    "CTA-2120 does not say whether the factory password is unique to each unit; say so with "      \
    "--default-password unique_per_device|universal|user_defined|no_password"

/* Append the declaration for entry `doc` with ID `id` (and GTIN gtin14 unless "") as JSON.
 * default_password may be NULL (then it is left out unless access_control decides it). Returns
 * 0, or -1 with the reason in why. */
int ctadecl_to_decl(yyjson_val *doc, const char *id, const char *gtin14,
                    const char *default_password, struct buf *out, char *why, size_t whylen);

/* Append declaration `decl` with the fields CTA-2120 cannot carry added from record `cur`
 * (NULL: none), where decl lacks them. */
void ctadecl_fill(yyjson_val *decl, yyjson_val *cur, struct buf *out);

#endif
