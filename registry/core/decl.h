/* decl.h: the product declaration's rules: what a manufacturer may submit, checked in C.
 *
 * A declaration is a JSON object whose field names follow CTA-2120 where the concept exists
 * there. decl_validate() reports every problem at once, each with a JSON-pointer path, the
 * name of the rule broken and a human message. Pure: no I/O, no allocation beyond yyjson's. */
#ifndef SECLABEL_DECL_H
#define SECLABEL_DECL_H

#include <stddef.h>
#include <yyjson.h>

#include "why.h"

#define DECL_MAX_ERRORS 32
#define DECL_MAX_STRING 2048 /* characters, as CTA-2120 */
#define DECL_MAX_ITEMS 64    /* array items or object members */
#define DECL_MAX_DEPTH 8
#define DECL_ID_MAX 64

/* One problem: where (path), which rule, and why in words, in the one reason shape (why.h).
 * A validator's refusal needs a list of them, not one struct reg_why: a manufacturer fixes a
 * declaration in one go only if told every problem at once, each at its own path, and API
 * clients read the path and rule of each (the JSON body's "details"). */
struct decl_error {
    char path[128];     /* JSON pointer, "" for the whole document */
    const char *rule;   /* static: "required", "type", "format", "enum", ... */
    struct reg_why why; /* "must be a string", ...: the message, without the path */
};

struct decl_errors {
    int n;
    int more; /* errors beyond DECL_MAX_ERRORS were dropped */
    struct decl_error e[DECL_MAX_ERRORS];
};

/* 1 if s[0..len) is a product ID: ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$ */
int decl_id_valid(const char *s, size_t len);
/* 1 if s[0..len) is a manufacturer slug: ^[a-z0-9][a-z0-9-]{0,62}$ */
int decl_slug_valid(const char *s, size_t len);
/* What a GTIN must be, for messages: all zeros has a right check digit but GS1 never issues it,
 * so it is no GTIN (and no product could be found by it). */
#define DECL_GTIN_RULE "a GTIN-8, -12, -13 or -14 with a valid check digit, not all zeros"
/* DECL_GTIN_RULE -> 14 digits in out (NUL-terminated); else REG_EBADREQ. */
int decl_gtin_normalize(const char *s, size_t len, char out[15]);
/* 1 if s[0..len) is digits, all of them '0' (see DECL_GTIN_RULE). */
int decl_gtin_all_zeros(const char *s, size_t len);

/* Check a parsed declaration. url_id, if not NULL, is the ID the request names: a body "id"
 * must equal it. Fills errs (always reset first); returns 0 if valid, REG_EINVALID if not. */
int decl_validate(yyjson_val *root, const char *url_id, struct decl_errors *errs);

/* default_password's values, the one home of their names: X(ENUM, name). Only UNIVERSAL, one
 * password shared by every device, breaks the baseline promise (ETSI EN 303 645 5.1-1; UK PSTI
 * Schedule 1 paragraph 1): such a product is valid but not compliant, and gets no label. */
#define DECL_PASSWORDS(X)                                                                          \
    X(UNIQUE_PER_DEVICE, unique_per_device)                                                        \
    X(USER_DEFINED, user_defined)                                                                  \
    X(NO_PASSWORD, no_password)                                                                    \
    X(UNIVERSAL, universal)

enum decl_password {
#define X(e, name) DECL_PW_##e,
    DECL_PASSWORDS(X)
#undef X
        DECL__PASSWORDS
};

/* The value's name ("unique_per_device", ...: static). */
const char *decl_password_name(enum decl_password p);
/* The value named s (NULL allowed), or REG_ENOTFOUND (negative). */
int decl_password_parse(const char *s);
/* "unique_per_device|user_defined|no_password|universal" (a const char *), for usage lines. */
#define DECL_PW_BAR_(e, name) "|" #name
#define DECL_PASSWORD_CHOICES (&(DECL_PASSWORDS(DECL_PW_BAR_))[1]) /* the first "|" skipped */

/* The fields of a record that the registry writes, never a declaration: the one list of them.
 * X(name, kind):
 *   BOOKKEEPING  the record's owner and bookkeeping, rewritten with every version: a version
 *                never counts them as a change;
 *   STATE        what the registry stores or serves as its own verdict on the record;
 *   VIEW         what a view adds to a record (/v1/products/{id}/versions/{n}: its kind and
 *                its changes against the version before).
 * A declaration that sets a BOOKKEEPING or STATE field is refused as registry-managed (rule
 * "readOnly"); a VIEW field is merely unknown to it. */
#define DECL_REGISTRY_FIELDS(X)                                                                    \
    X(version, BOOKKEEPING)                                                                        \
    X(created, BOOKKEEPING)                                                                        \
    X(modified, BOOKKEEPING)                                                                       \
    X(manufacturer, BOOKKEEPING)                                                                   \
    X(status, STATE)                                                                               \
    X(qr_url, STATE)                                                                               \
    X(compliance, STATE)                                                                           \
    X(support_status, STATE)                                                                       \
    X(manufacturer_account, STATE)                                                                 \
    X(state, STATE)                                                                                \
    X(log, STATE) /* the version's entry in the transparency log (tlog.h) */                       \
    X(kind, VIEW)                                                                                  \
    X(changes, VIEW)

enum decl_field_kind {
    DECL_FIELD_DECLARED,
    DECL_FIELD_BOOKKEEPING,
    DECL_FIELD_STATE,
    DECL_FIELD_VIEW
};

/* Which kind of field `name` is (DECL_FIELD_DECLARED for any other name, "id" too). */
enum decl_field_kind decl_field_kind(const char *name);
/* 1 if `name` is a field the registry sets itself (a BOOKKEEPING or STATE one). */
int decl_is_registry_field(const char *name);
/* 1 if `name` is a field the registry fills in from the manufacturer's account
 * (manufacturer_name): a declaration may carry it, but only with the account's own value, and
 * the stored record always holds the account's. */
int decl_is_account_field(const char *name);

/* What decl_diff compares: DECL_DIFF_RECORD every field but the ID and the bookkeeping
 * ones (DECL_FIELD_BOOKKEEPING: every version rewrites them), so the registry's own
 * changes (a withdrawal's status) count; DECL_DIFF_DECLARED only the fields a declaration
 * sets (no ID, no DECL_REGISTRY_FIELDS), what the manufacturer changed. */
enum decl_diff_scope { DECL_DIFF_RECORD, DECL_DIFF_DECLARED };
/* One field that differs: from (in old) or to (in cur) is NULL where the field is absent. */
typedef void (*decl_diff_fn)(void *ctx, const char *name, yyjson_val *from, yyjson_val *to);
/* Call fn for each field in scope that differs from record old to record cur: cur's fields
 * first, in cur's order (changed or added), then those only old has (removed). Nothing when
 * old is NULL (a first version changes nothing). Values are compared as JSON (yyjson_equals). */
void decl_diff(yyjson_val *old, yyjson_val *cur, enum decl_diff_scope scope, decl_diff_fn fn,
               void *ctx);

/* The rules of a declaration's security_contact (e-mail address or https URL of at least 15
 * characters) and of its https URLs, for values given elsewhere (a manufacturer's account). */
int decl_contact_valid(const char *s, size_t len);
int decl_https_url_valid(const char *s, size_t len);

/* ---- the text rule ----
 *
 * Every string a manufacturer writes (text, URLs, e-mail addresses, list items, nested fields
 * such as link texts, sensor descriptions, authorized_by and tested_by) is shown on pages, on
 * labels and in terminals, always as one line: no field is multi-line (the pages print each as
 * one line of HTML; labels refuse control characters). So these code points are refused
 * everywhere, with rule "pattern" and a message naming the code point and its position:
 *
 *   - controls (general category Cc): U+0000-U+001F (TAB, LF and CR too), U+007F-U+009F;
 *   - format characters (Cf, as of Unicode 15.1): the invisible ones (U+00AD SOFT HYPHEN,
 *     U+200B ZERO WIDTH SPACE, U+2060-U+2064, U+FEFF, the tags U+E0001 and U+E0020-U+E007F,
 *     ...), the bidirectional controls (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069)
 *     and the few visible ones (U+0600-U+0605, ...), so the rule stays "Cf" without exceptions
 *     to remember but two: U+200C ZERO WIDTH NON-JOINER and U+200D ZERO WIDTH JOINER are
 *     allowed, as Persian and the Indic scripts need them inside words and emoji sequences are
 *     joined by ZWJ; neither reorders text or hides anything but a glyph join;
 *   - U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR (Zl, Zp): line breaks;
 *   - the 66 noncharacters (U+FDD0-U+FDEF and the last two code points of every plane).
 * Surrogates never get this far: yyjson refuses invalid UTF-8 and unpaired \u escapes.
 * Allowed, though invisible on their own: variation selectors (emoji need U+FE0F), combining
 * marks, spaces (leading and trailing ones too: they are kept as given) and private-use
 * characters. Keys need no rule: unknown members are refused whatever their name.
 * The schema's $defs/plain_text states the same set as a pattern. */

/* NULL if cp may appear in a declaration's text; else what it is ("a control character",
 * "a bidirectional control", ...: static). */
const char *decl_char_refused(unsigned cp);
/* The code point at s[*i] (UTF-8), advancing *i past it; a byte that does not start a valid
 * sequence is returned as 0x110000 + the byte's value, and *i advances by one. */
unsigned decl_next_char(const char *s, size_t len, size_t *i);
/* Check s[0..len) against the text rule: 0 if it passes; else REG_EINVALID with the first
 * refused code point in why (NULL allowed): "has U+202E RIGHT-TO-LEFT OVERRIDE, a
 * bidirectional control, at character 3". */
int decl_text_check(const char *s, size_t len, struct reg_why *why);

#endif
