/* cta.h: a product record as a CTA-2120 v1.0.0 document (the US Cyber Trust Mark registry
 * format, usctm-schema-1-0-0.json), for registries and tools that speak the common API.
 *
 * Pure: no I/O, no state between calls. The record is only read; the caller keeps owning it
 * and `out`. Every string cta_export() puts in `missing` is static, so it stays valid for the
 * life of the process. */
#ifndef SECLABEL_CTA_H
#define SECLABEL_CTA_H

#include "buf.h"

#include <yyjson.h>

#define CTA_SCHEMA_VERSION "1.0.0"
#define CTA_MAX_MISSING 24

/* The CTA-2120 required fields a record lacks, in the schema's `required` order, then
 * security_update_information_other if the schema's if/then asks for it. Static strings. */
struct cta_missing {
    int n;
    const char *field[CTA_MAX_MISSING];
};

/* Write the CTA-2120 document for record `rec` (a stored product record: registry fields plus
 * the declaration) whose consumer page is `qr_url` (NUL-terminated; the QR code's target).
 * The document is appended to `out` as compact JSON with a fixed field order: CTA-2120's
 * required fields in the schema's order, then the optional ones. Fields that are ours and not
 * CTA-2120's (gtin, default_password, markets, ...) are left out.
 *
 * Returns 0; or REG_ECTAINCOMPLETE if the record lacks fields CTA-2120 requires, listed in
 * `*missing` (if not NULL; always reset first) with nothing appended to `out`; or REG_EINTERNAL if
 * yyjson could not write the document (nothing appended). The fields are checked for presence
 * only: their contents are the declaration's, checked by decl.c when they were accepted. */
int cta_export(yyjson_val *rec, const char *qr_url, struct buf *out, struct cta_missing *missing);

#endif
