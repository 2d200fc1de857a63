/* err.h: the registry's error codes, one table for names, HTTP statuses and messages.
 *
 * Fallible functions return 0 on success or a negative code: -errno for system and libuv
 * errors, or one of the REG_E* codes below, which sit in their own range (-20000...) clear of
 * errno values and of LMDB's (-30799...). The `name` is the stable `error` string of the JSON
 * error body; clients may rely on it. (Shape borrowed from libuv's UV_ERRNO_MAP.) */
#ifndef SECLABEL_ERR_H
#define SECLABEL_ERR_H

#include "reg_limits.h"

/* Numbers from reg_limits.h that messages state, as string literals. */
#define REG_ERR_STR_(x) #x
#define REG_ERR_STR(x) REG_ERR_STR_(x)
#define REG_ERR_KEYS REG_ERR_STR(REG_MAX_LOOKUP_KEYS)
#define REG_ERR_LOG_MAX REG_ERR_STR(REG_MAX_LOG_ENTRY)

/* XX(symbol, value, http_status, stable_name, default_message) */
#define REG_ERR_MAP(XX)                                                                            \
    XX(EBADREQ, -20001, 400, "bad_request", "The request is malformed.")                           \
    XX(EBADJSON, -20002, 400, "invalid_json", "The body is not valid JSON.")                       \
    XX(EINVALID, -20003, 400, "invalid_declaration", "The declaration breaks the schema.")         \
    XX(EBADID, -20004, 400, "invalid_id", "The product ID is not valid.")                          \
    XX(EAUTH, -20005, 401, "unauthorized", "A valid API token is required.")                       \
    XX(EFORBIDDEN, -20006, 403, "forbidden", "This product belongs to another manufacturer.")      \
    XX(ENOTFOUND, -20007, 404, "not_found", "No such resource.")                                   \
    XX(EMETHOD, -20008, 405, "method_not_allowed", "That method is not allowed here.")             \
    XX(ETIMEOUT, -20009, 408, "request_timeout", "The request took too long to arrive.")           \
    XX(EEXIST, -20010, 409, "already_exists", "That already exists.")                              \
    XX(ETOOBIG, -20011, 413, "payload_too_large", "The request body is too large.")                \
    XX(EURILONG, -20012, 414, "uri_too_long", "The request URI is too long.")                      \
    XX(EMEDIA, -20013, 415, "unsupported_media_type", "The body must be application/json.")        \
    XX(EHDRBIG, -20014, 431, "headers_too_large", "The request headers are too large.")            \
    XX(ESTORE, -20015, 500, "storage_error", "The database failed.")                               \
    XX(ENOSPC, -20016, 507, "storage_full", "The database is full.")                               \
    XX(EINTERNAL, -20017, 500, "internal_error", "Something went wrong inside the registry.")      \
    XX(EUNAVAIL, -20018, 503, "unavailable", "The registry is busy; try again shortly.")           \
    XX(EBADSLUG, -20019, 400, "invalid_slug", "The manufacturer slug is not valid.")               \
    XX(ENOLABEL, -20020, 422, "label_refused", "No label can be printed for this product.")        \
    XX(ESHORTEN, -20021, 409, "support_period_shortened",                                          \
       "The support period can only be extended, never shortened.")                                \
    XX(EGTINTAKEN, -20022, 409, "gtin_taken", "That GTIN belongs to another product.")             \
    XX(EWITHDRAWN, -20023, 409, "product_withdrawn", "A withdrawn product cannot be changed.")     \
    XX(EPRECOND, -20024, 412, "precondition_failed",                                               \
       "The product changed since you read it (If-Match does not match).")                         \
    XX(ECTAINCOMPLETE, -20025, 422, "cta_incomplete",                                              \
       "The record lacks fields that CTA-2120 requires.")                                          \
    XX(ETOOMANY, -20026, 400, "too_many_keys",                                                     \
       "At most " REG_ERR_KEYS " IDs and " REG_ERR_KEYS " GTINs per lookup.")                      \
    XX(ENAMESPACE, -20027, 403, "id_outside_namespace",                                            \
       "Product IDs must begin with one of your manufacturer's namespaces.")                       \
    XX(EGTINPREFIX, -20028, 403, "gtin_outside_prefixes",                                          \
       "That GTIN is outside your GS1 Company Prefixes.")                                          \
    XX(EMFRNAME, -20029, 403, "manufacturer_name_mismatch",                                        \
       "The declaration names another manufacturer than your account.")                            \
    XX(EOVERLAP, -20030, 409, "overlaps_other_manufacturer",                                       \
       "That overlaps what another manufacturer holds.")                                           \
    XX(ENODB, -20031, 500, "no_database", "There is no database in that directory.")               \
    XX(EBADKEY, -20032, 400, "bad_log_key", "The log key is malformed.")                           \
    XX(EBADNOTE, -20033, 400, "bad_note", "The signed note is malformed.")                         \
    XX(EUNVERIFIED, -20034, 403, "note_unverified",                                                \
       "The note carries no valid signature by the key.")                                          \
    XX(ELOGENTRY, -20035, 413, "record_too_large",                                                 \
       "The record would be longer than a log entry may be (" REG_ERR_LOG_MAX " bytes).")          \
    XX(ENOTLOGGED, -20036, 404, "not_in_checkpoint",                                               \
       "That entry is not in a checkpoint of that size.")                                          \
    XX(EBADPROOF, -20037, 422, "bad_proof", "The log proof does not prove it.")                    \
    XX(EREADONLY, -20038, 405, "read_only_mirror",                                                 \
       "This server is a read-only mirror; send writes to its primary.")                           \
    XX(EDATAFORMAT, -20050, 500, "data_format_newer",                                              \
       "The data directory was written by a newer seclabel (dataver.h).")

enum reg_err {
#define XX(sym, val, status, name, msg) REG_##sym = (val),
    REG_ERR_MAP(XX)
#undef XX
};

/* Stable machine name of a code ("not_found"); "internal_error" for unknown codes. */
const char *reg_err_name(int code);
/* Default human message of a code; for -errno codes, strerror's text. */
const char *reg_strerror(int code);
/* HTTP status that a code maps to (500 for -errno and unknown codes). */
int reg_err_status(int code);

#endif
