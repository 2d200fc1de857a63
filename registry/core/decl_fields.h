/* decl_fields.h: the declaration's fields, the one C home of them: an X-macro table that every
 * consumer iterates (decl.c's validator, csvdecl.c's columns, cta.c and ctadecl.c's
 * CTA-2120 mapping both ways, page_product.c's rows, i18n.h's keys for those rows).
 * schema/declaration.schema.json states the same fields for JSON Schema tools;
 * tests/integration/test_decl_fields.py checks that the two agree (names, required, types).
 *
 * X(name, spec, required, csv, cta, page), in the CSV's column order:
 *   name      the JSON member (and the start of its CSV column names);
 *   spec      what decl.c checks it against: the name of one of its specs (text, date, url,
 *             link, party, ...), each the twin of one of the schema's $defs or properties;
 *   required  REQUIRED or OPTIONAL (the schema's "required" list);
 *   csv       its CSV column(s) (csvdecl.h): TEXT, WORD (trimmed), LIST, BOOL, JSON for one
 *             column; LINK (.text, .url), PARTY (.name, .contact), UPDATE, ACCESS, BOM for an
 *             object's dotted columns;
 *   cta       CTA when CTA-2120 has the field under the same name and meaning (copied both
 *             ways), NONE when it is ours only (a CTA-2120 import keeps the stored value);
 *   page      NO_ROW, or ROW(section, how, i18n key): a row of a page section that renders the
 *             table (USE: the consumer page's "use it safely"; DATA, BOM (after the SBOM/HBOM
 *             flags), ASSURANCE: the details page's), shown as a LINK object, a PARTY, a FACT
 *             (text) or a URL; the key is one of i18n.h's, generated from here, so every
 *             language file must have it.
 * Adding an optional field: a row here, the schema's property, its line in schema/openapi.yaml's
 * RecordFields (tests/integration/test_decl_fields.py prints it), the page's words in web/i18n/;
 * the tests make a declaration with every field set from the schema and this table. */
#ifndef SECLABEL_DECL_FIELDS_H
#define SECLABEL_DECL_FIELDS_H

#define DECL_FIELDS(X)                                                                             \
    X(id, id, OPTIONAL, WORD, NONE, NO_ROW)                                                        \
    X(product_name, text, REQUIRED, TEXT, CTA, NO_ROW)                                             \
    X(product_model, text, REQUIRED, TEXT, CTA, NO_ROW)                                            \
    X(manufacturer_name, text, OPTIONAL, TEXT, CTA, NO_ROW)                                        \
    X(gtin, gtin, OPTIONAL, WORD, NONE, NO_ROW)                                                    \
    X(support_date, date, REQUIRED, WORD, CTA, NO_ROW)                                             \
    X(support_start, date, OPTIONAL, WORD, NONE, NO_ROW)                                           \
    X(security_contact, contact, REQUIRED, WORD, CTA, NO_ROW)                                      \
    X(vulnerability_disclosure_policy, url, OPTIONAL, WORD, NONE, NO_ROW)                          \
    X(default_password, password, REQUIRED, WORD, NONE, NO_ROW)                                    \
    X(markets, markets, OPTIONAL, LIST, NONE, NO_ROW)                                              \
    X(version_and_model_numbers, versions, OPTIONAL, LIST, CTA, NO_ROW)                            \
    X(security_update_information, update_info, OPTIONAL, UPDATE, CTA, NO_ROW)                     \
    X(security_update_information_other, text, OPTIONAL, TEXT, CTA, NO_ROW)                        \
    X(access_control, access, OPTIONAL, ACCESS, CTA, NO_ROW)                                       \
    X(sensor_data_collection, sensors, OPTIONAL, JSON, CTA, NO_ROW)                                \
    X(securing_this_product, link, OPTIONAL, LINK, CTA, ROW(USE, LINK, securing_label))            \
    X(delete_data, link, OPTIONAL, LINK, CTA, ROW(DATA, LINK, delete_data_label))                  \
    X(account_deactivation, link, OPTIONAL, LINK, CTA,                                             \
      ROW(DATA, LINK, account_deactivation_label))                                                 \
    X(encryption_and_key_management, link, OPTIONAL, LINK, CTA, ROW(DATA, LINK, encryption_label)) \
    X(general_user_information, link, OPTIONAL, LINK, CTA, ROW(USE, LINK, more_info_label))        \
    X(sbom_hbom_maintained, bom, OPTIONAL, BOM, CTA, NO_ROW)                                       \
    X(authorized_by, party, OPTIONAL, PARTY, CTA, ROW(ASSURANCE, PARTY, authorized_by_label))      \
    X(tested_by, party, OPTIONAL, PARTY, CTA, ROW(ASSURANCE, PARTY, tested_by_label))              \
    X(authorization_date, date, OPTIONAL, WORD, CTA,                                               \
      ROW(ASSURANCE, FACT, authorization_date_label))                                              \
    X(support_url, url, OPTIONAL, WORD, NONE, ROW(ASSURANCE, URL, support_url_label))              \
    X(sbom_url, url, OPTIONAL, WORD, NONE, ROW(BOM, URL, sbom_url_label))

/* required as 0/1: DECL_REQUIRED_(REQUIRED) is 1. */
#define DECL_REQUIRED_(r) DECL_REQUIRED_##r
#define DECL_REQUIRED_REQUIRED 1
#define DECL_REQUIRED_OPTIONAL 0

/* cta as 0/1: 1 when CTA-2120 has the field under its name. */
#define DECL_IN_CTA_(c) DECL_IN_CTA_##c
#define DECL_IN_CTA_CTA 1
#define DECL_IN_CTA_NONE 0

/* The page column alone: DECL_FIELDS(DECL_PAGE_) expands to each row's ROW(...) or NO_ROW, for
 * a caller that defines those two. */
#define DECL_PAGE_(name, spec, required, csv, cta, page) page

#endif
