/* decl.c: declaration validation (see decl.h), the C twin of schema/declaration.schema.json.
 *
 * Two passes over the document:
 *
 *   walk()         bounds the shape of everything, known or not: nesting depth, members per
 *                  object and duplicate keys, which JSON Schema cannot see (yyjson keeps them).
 *   check_value()  checks the document against a tree of specs, built from the tables below
 *                  bottom-up, one spec per kind of value and one member table per object. The
 *                  tables mirror the schema's "properties" and "$defs" one for one.
 *
 * Each error carries the JSON Schema keyword that fails for the same value ("type", "pattern",
 * "enum", ...), so the registry and any JSON Schema validator give the same verdict on the same
 * document (tests/integration/test_schema.py runs both over schema/examples/). Dates and GTINs
 * report "format" for any fault: the schema states them as a shape pattern plus a format. Rules
 * only C checks: uniqueKeys, maxDepth, maxProperties and an "id" equal to the URL's (const).
 * Change a rule here and in the schema together, with an example in schema/examples/. */
#include "decl.h"

#include "date.h"
#include "decl_fields.h"
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define URL_MIN 15 /* characters, as CTA-2120's saneUrl */

enum kind {
    K_TEXT,    /* string passing the text rule (decl.h), at least `min` characters */
    K_ID,      /* product ID; equals the URL's ID when one is given */
    K_DATE,    /* YYYY-MM-DD, a real calendar day */
    K_GTIN,    /* GTIN-8/12/13/14 with a valid check digit */
    K_URL,     /* https URL of at least `min` characters */
    K_CONTACT, /* e-mail address or https URL (schema: anyOf) */
    K_ENUM,    /* one of `values` */
    K_COUNTRY, /* officially assigned ISO 3166-1 alpha-2 code */
    K_BOOL,    /* true or false */
    K_ARRAY,   /* `min`..DECL_MAX_ITEMS `items`, all different if `unique` */
    K_OBJECT,  /* only `members`, at least `min` of them */
};

struct ctx {
    char path[128]; /* JSON pointer of the value being checked */
    const char *url_id;
    struct decl_errors *errs;
};

struct member;

/* What a value must be. */
struct spec {
    enum kind kind;
    size_t min;                                 /* minLength, minItems or minProperties */
    const char *const *values;                  /* K_ENUM: NULL-terminated */
    const struct spec *items;                   /* K_ARRAY */
    int unique;                                 /* K_ARRAY: uniqueItems */
    const struct member *members;               /* K_OBJECT: ends with a NULL name */
    int read_only;                              /* K_OBJECT: refuses registry-managed fields */
    void (*rule)(yyjson_val *v, struct ctx *c); /* a rule across items or members */
};

struct member {
    const char *name;
    const struct spec *spec;
    int required;
};

/* ---- the declaration, leaves first ---- */

static const struct {
    const char *name;
    enum decl_field_kind kind;
} registry_fields[] = {
#define X(name, kind) {#name, DECL_FIELD_##kind},
    DECL_REGISTRY_FIELDS(X)
#undef X
};

/* The kind of field s[0..len) (which may hold a NUL) is. */
static enum decl_field_kind field_kind(const char *s, size_t len)
{
    for (size_t i = 0; s && i < sizeof registry_fields / sizeof registry_fields[0]; i++)
        if (strlen(registry_fields[i].name) == len && !memcmp(s, registry_fields[i].name, len))
            return registry_fields[i].kind;
    return DECL_FIELD_DECLARED;
}

/* 1 for the kinds a declaration may not set. */
static int registry_managed(enum decl_field_kind k)
{
    return k == DECL_FIELD_BOOKKEEPING || k == DECL_FIELD_STATE;
}

static const char *const password_values[] = {
#define X(e, name) #name,
    DECL_PASSWORDS(X)
#undef X
        NULL};
static const char *const update_values[] = {"Automatic - may opt out",
                                            "Automatic - may not opt out",
                                            "Manual",
                                            "Consent based",
                                            "No updates",
                                            "Not disclosed",
                                            "Other",
                                            NULL};
static const char *const access_values[] = {"password",
                                            "biometric",
                                            "passkey",
                                            "MFA",
                                            "no_control",
                                            "multi_account",
                                            "single_account",
                                            "optional_account",
                                            "no_account",
                                            "not_disclosed",
                                            NULL};
static const char *const password_type_values[] = {"factory_default", "user_generated", NULL};
static const char *const sensing_values[] = {"audio", "images", "position", NULL};

/* The 249 officially assigned ISO 3166-1 alpha-2 codes, sorted for bsearch (Debian iso-codes
 * 4.15; the schema's $defs/country lists the same). */
static const char countries[][3] = {
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
};

static void rule_one_item_per_sensing(yyjson_val *arr, struct ctx *c);
static void rule_other_is_explained(yyjson_val *root, struct ctx *c);

static const struct spec text = {.kind = K_TEXT, .min = 1};
static const struct spec any_text = {.kind = K_TEXT};
static const struct spec id = {.kind = K_ID};
static const struct spec date = {.kind = K_DATE};
static const struct spec gtin = {.kind = K_GTIN};
static const struct spec url = {.kind = K_URL, .min = URL_MIN};
static const struct spec contact = {.kind = K_CONTACT};
static const struct spec boolean = {.kind = K_BOOL};
static const struct spec country = {.kind = K_COUNTRY};
static const struct spec password = {.kind = K_ENUM, .values = password_values};
static const struct spec update_method = {.kind = K_ENUM, .values = update_values};
static const struct spec access_method = {.kind = K_ENUM, .values = access_values};
static const struct spec password_type = {.kind = K_ENUM, .values = password_type_values};
static const struct spec sensing = {.kind = K_ENUM, .values = sensing_values};

static const struct spec versions = {.kind = K_ARRAY, .min = 1, .items = &text};
static const struct spec markets = {.kind = K_ARRAY, .items = &country, .unique = 1};
static const struct spec update_methods = {.kind = K_ARRAY, .items = &update_method, .unique = 1};
static const struct spec access_methods = {.kind = K_ARRAY, .items = &access_method, .unique = 1};

static const struct member link_members[] = {{"text", &text, 0}, {"url", &url, 0}, {NULL, 0, 0}};
static const struct spec link = {.kind = K_OBJECT, .min = 1, .members = link_members};

static const struct member party_members[] = {
    {"name", &text, 0}, {"contact", &text, 0}, {NULL, 0, 0}};
static const struct spec party = {.kind = K_OBJECT, .min = 1, .members = party_members};

static const struct member update_members[] = {
    {"update_default", &update_method, 0}, {"update_options", &update_methods, 0}, {NULL, 0, 0}};
static const struct spec update_info = {.kind = K_OBJECT, .min = 1, .members = update_members};

static const struct member access_members[] = {
    {"password_factory_default", &access_method, 0},
    {"password_options", &access_methods, 0},
    {"password_type", &password_type, 0},
    {"user_changeable", &boolean, 0},
    {"password_change", &link, 0},
    {NULL, 0, 0},
};
static const struct spec access = {.kind = K_OBJECT, .min = 1, .members = access_members};

static const struct member sensor_members[] = {
    {"sensing", &sensing, 1}, {"has", &boolean, 1}, {"description", &any_text, 0}, {NULL, 0, 0}};
static const struct spec sensor = {.kind = K_OBJECT, .members = sensor_members};
static const struct spec sensors = {
    .kind = K_ARRAY, .items = &sensor, .rule = rule_one_item_per_sensing};

static const struct member bom_members[] = {
    {"sbom_maintained", &boolean, 0}, {"hbom_maintained", &boolean, 0}, {NULL, 0, 0}};
static const struct spec bom = {.kind = K_OBJECT, .min = 1, .members = bom_members};

/* The declaration's members: decl_fields.h's table (manufacturer_name is an account field: see
 * decl_is_account_field). */
static const struct member declaration_members[] = {
#define X(name, spec, required, csv, cta, page) {#name, &spec, DECL_REQUIRED_(required)},
    DECL_FIELDS(X)
#undef X
        {NULL, 0, 0},
};
static const struct spec declaration = {.kind = K_OBJECT,
                                        .members = declaration_members,
                                        .read_only = 1,
                                        .rule = rule_other_is_explained};

/* ---- errors and paths ---- */

static void fail(struct ctx *c, const char *rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct ctx *c, const char *rule, const char *fmt, ...)
{
    struct decl_errors *errs = c->errs;
    if (errs->n >= DECL_MAX_ERRORS) {
        errs->more = 1;
        return;
    }
    struct decl_error *e = &errs->e[errs->n++];
    snprintf(e->path, sizeof e->path, "%s", c->path);
    e->rule = rule;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->why.text, sizeof e->why.text, fmt, ap);
    va_end(ap);
}

/* Append "/" + key, escaped as a JSON pointer token (RFC 6901), truncating safely. Returns the
 * previous length: path[mark] = '\0' pops it. */
static size_t push_key(struct ctx *c, const char *key, size_t klen)
{
    size_t cap = sizeof c->path, mark = strlen(c->path), n = mark;
    if (n + 1 < cap) c->path[n++] = '/';
    for (size_t i = 0; i < klen && n + 2 < cap; i++) {
        if (key[i] == '~' || key[i] == '/') {
            c->path[n++] = '~';
            c->path[n++] = key[i] == '~' ? '0' : '1';
        } else {
            c->path[n++] = key[i];
        }
    }
    c->path[n < cap ? n : cap - 1] = '\0';
    return mark;
}

static size_t push_index(struct ctx *c, size_t i)
{
    char idx[24];
    int n = snprintf(idx, sizeof idx, "%zu", i);
    return push_key(c, idx, (size_t)n);
}

static size_t push_name(struct ctx *c, const char *name)
{
    return push_key(c, name, strlen(name));
}

/* Write the enum values as "a", "b", "c" into out (truncated to fit). */
static void join_values(const char *const *values, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (; *values && n < cap; values++)
        n += (size_t)snprintf(out + n, cap - n, "%s\"%s\"", n ? ", " : "", *values);
}

/* Write the member names as a, b, c into out (truncated to fit). */
static void join_members(const struct member *m, char *out, size_t cap)
{
    size_t n = 0;
    out[0] = '\0';
    for (; m->name && n < cap; m++)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? ", " : "", m->name);
}

/* ---- pass 1: bounds on the whole document ---- */

static int repeats_earlier_key(yyjson_val *obj, yyjson_val *key, size_t seen)
{
    yyjson_obj_iter it = yyjson_obj_iter_with(obj);
    for (size_t j = 0; j < seen; j++)
        if (yyjson_equals(yyjson_obj_iter_next(&it), key)) return 1;
    return 0;
}

static void walk(yyjson_val *v, int depth, struct ctx *c)
{
    if (depth > DECL_MAX_DEPTH) {
        fail(c, "maxDepth", "is nested deeper than %d levels", DECL_MAX_DEPTH);
        return;
    }
    if (yyjson_is_arr(v)) {
        size_t i, max;
        yyjson_val *item;
        yyjson_arr_foreach(v, i, max, item)
        {
            size_t mark = push_index(c, i);
            walk(item, depth + 1, c);
            c->path[mark] = '\0';
        }
    } else if (yyjson_is_obj(v)) {
        if (yyjson_obj_size(v) > DECL_MAX_ITEMS) {
            fail(c, "maxProperties", "has more than %d members", DECL_MAX_ITEMS);
            return;
        }
        yyjson_obj_iter it = yyjson_obj_iter_with(v);
        yyjson_val *key;
        for (size_t seen = 0; (key = yyjson_obj_iter_next(&it)); seen++) {
            size_t mark = push_key(c, yyjson_get_str(key), yyjson_get_len(key));
            if (repeats_earlier_key(v, key, seen))
                fail(c, "uniqueKeys", "appears more than once in the same object");
            walk(yyjson_obj_iter_get_val(key), depth + 1, c);
            c->path[mark] = '\0';
        }
    }
}

/* ---- pass 2: strings ---- */

int decl_id_valid(const char *s, size_t len)
{
    if (len == 0 || len > DECL_ID_MAX) return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-'))) return 0;
    }
    return 1;
}

int decl_slug_valid(const char *s, size_t len)
{
    if (len == 0 || len > 63) return 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && c == '-');
        if (!ok) return 0;
    }
    return 1;
}

int decl_gtin_all_zeros(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len && s[i] == '0')
        i++;
    return len > 0 && i == len;
}

int decl_gtin_normalize(const char *s, size_t len, char out[15])
{
    if (len != 8 && len != 12 && len != 13 && len != 14) return REG_EBADREQ;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9') return REG_EBADREQ;
    if (decl_gtin_all_zeros(s, len)) return REG_EBADREQ;
    memset(out, '0', 14 - len);
    memcpy(out + 14 - len, s, len);
    out[14] = '\0';
    /* GS1 check digit: weights 3,1,3,1... from the right, excluding the check digit. */
    int sum = 0;
    for (int i = 0; i < 13; i++)
        sum += (out[i] - '0') * (i % 2 == 0 ? 3 : 1);
    return (10 - sum % 10) % 10 == out[13] - '0' ? 0 : REG_EBADREQ;
}

const char *decl_password_name(enum decl_password p)
{
    return password_values[p];
}

int decl_password_parse(const char *s)
{
    for (int p = 0; s && p < DECL__PASSWORDS; p++)
        if (!strcmp(s, password_values[p])) return p;
    return REG_ENOTFOUND;
}

enum decl_field_kind decl_field_kind(const char *name)
{
    return name ? field_kind(name, strlen(name)) : DECL_FIELD_DECLARED;
}

int decl_is_registry_field(const char *name)
{
    return registry_managed(decl_field_kind(name));
}

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* Code points refused in URLs and e-mail addresses, besides '<', '>' and '"': controls, and
 * every character ECMA-262's \s matches, spelled out so that every regex engine agrees. The
 * schema's class: [^\u0000-\u0020\u007f-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f
 * \u3000\ufeff<>"] (one line there). */
static const struct {
    unsigned lo, hi;
} blanks[] = {{0x00, 0x20},     {0x7f, 0xa0},     {0x1680, 0x1680},
              {0x2000, 0x200a}, {0x2028, 0x2029}, {0x202f, 0x202f},
              {0x205f, 0x205f}, {0x3000, 0x3000}, {0xfeff, 0xfeff}};

/* The text rule (decl.h), range by range; the schema's $defs/plain_text lists the same ranges.
 * Written out rather than asked of a Unicode library (ICU, utf8proc): the rule must stay the
 * schema's pattern exactly, whatever Unicode version a library on some machine brings, and
 * tests/integration/test_text_safety.py checks every code point against Python's unicodedata. */
static const char CONTROL[] = "a control character", BIDI[] = "a bidirectional control",
                  INVISIBLE[] = "an invisible format character", FORMAT[] = "a format character",
                  SEPARATOR[] = "a line or paragraph separator", TAG[] = "a tag character";
static const struct {
    unsigned lo, hi;
    const char *what;
} refused[] = {
    {0x0000, 0x001f, CONTROL},   {0x007f, 0x009f, CONTROL},     {0x00ad, 0x00ad, INVISIBLE},
    {0x0600, 0x0605, FORMAT},    {0x061c, 0x061c, BIDI},        {0x06dd, 0x06dd, FORMAT},
    {0x070f, 0x070f, FORMAT},    {0x0890, 0x0891, FORMAT},      {0x08e2, 0x08e2, FORMAT},
    {0x180e, 0x180e, INVISIBLE}, {0x200b, 0x200b, INVISIBLE},   {0x200e, 0x200f, BIDI},
    {0x2028, 0x2029, SEPARATOR}, {0x202a, 0x202e, BIDI},        {0x2060, 0x2064, INVISIBLE},
    {0x2066, 0x2069, BIDI},      {0x206a, 0x206f, INVISIBLE},   {0xfeff, 0xfeff, INVISIBLE},
    {0xfff9, 0xfffb, FORMAT},    {0x110bd, 0x110bd, FORMAT},    {0x110cd, 0x110cd, FORMAT},
    {0x13430, 0x1343f, FORMAT},  {0x1bca0, 0x1bca3, INVISIBLE}, {0x1d173, 0x1d17a, INVISIBLE},
    {0xe0001, 0xe0001, TAG},     {0xe0020, 0xe007f, TAG},
};

/* Names for the refused code points a message is most likely to meet; others get U+XXXX. */
static const struct {
    unsigned cp;
    const char *name;
} char_names[] = {
    {0x0000, "NULL"},
    {0x0009, "CHARACTER TABULATION"},
    {0x000a, "LINE FEED"},
    {0x000d, "CARRIAGE RETURN"},
    {0x001b, "ESCAPE"},
    {0x007f, "DELETE"},
    {0x009b, "CONTROL SEQUENCE INTRODUCER"},
    {0x009d, "OPERATING SYSTEM COMMAND"},
    {0x00ad, "SOFT HYPHEN"},
    {0x061c, "ARABIC LETTER MARK"},
    {0x200b, "ZERO WIDTH SPACE"},
    {0x200e, "LEFT-TO-RIGHT MARK"},
    {0x200f, "RIGHT-TO-LEFT MARK"},
    {0x2028, "LINE SEPARATOR"},
    {0x2029, "PARAGRAPH SEPARATOR"},
    {0x202a, "LEFT-TO-RIGHT EMBEDDING"},
    {0x202b, "RIGHT-TO-LEFT EMBEDDING"},
    {0x202c, "POP DIRECTIONAL FORMATTING"},
    {0x202d, "LEFT-TO-RIGHT OVERRIDE"},
    {0x202e, "RIGHT-TO-LEFT OVERRIDE"},
    {0x2060, "WORD JOINER"},
    {0x2066, "LEFT-TO-RIGHT ISOLATE"},
    {0x2067, "RIGHT-TO-LEFT ISOLATE"},
    {0x2068, "FIRST STRONG ISOLATE"},
    {0x2069, "POP DIRECTIONAL ISOLATE"},
    {0xfeff, "ZERO WIDTH NO-BREAK SPACE"},
};

const char *decl_char_refused(unsigned cp)
{
    if (cp < 0x7f) return cp < 0x20 ? CONTROL : NULL; /* most text: no table walk */
    if ((cp >= 0xfdd0 && cp <= 0xfdef) || ((cp & 0xfffe) == 0xfffe && cp <= 0x10ffff))
        return "a noncharacter";
    for (size_t i = 0; i < COUNT(refused); i++)
        if (cp >= refused[i].lo && cp <= refused[i].hi) return refused[i].what;
    return NULL;
}

unsigned decl_next_char(const char *s, size_t len, size_t *i)
{
    static const unsigned min[] = {0, 0x80, 0x800, 0x10000};
    const unsigned char *p = (const unsigned char *)s + *i;
    size_t left = len - *i;
    int more = p[0] < 0x80                   ? 0
               : p[0] >= 0xc2 && p[0] < 0xe0 ? 1
               : p[0] >= 0xe0 && p[0] < 0xf0 ? 2
               : p[0] >= 0xf0 && p[0] < 0xf5 ? 3
                                             : -1;
    unsigned cp = more > 0 ? p[0] & (0x3fu >> more) : p[0];
    for (int k = 1; k <= more; k++) {
        if ((size_t)k >= left || (p[k] & 0xc0) != 0x80) more = -1;
        if (more < 0) break;
        cp = cp << 6 | (p[k] & 0x3fu);
    }
    if (more < 0 || cp < min[more] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        ++*i;
        return 0x110000 + p[0];
    }
    *i += (size_t)more + 1;
    return cp;
}

int decl_text_check(const char *s, size_t len, struct reg_why *why)
{
    for (size_t i = 0, n = 1; i < len; n++) {
        if (s[i] >= 0x20 && s[i] < 0x7f) { /* printable ASCII: nothing to decode or look up */
            i++;
            continue;
        }
        unsigned cp = decl_next_char(s, len, &i);
        const char *what = cp < 0x110000 ? decl_char_refused(cp) : "not UTF-8";
        if (!what) continue;
        const char *name = NULL;
        for (size_t k = 0; k < COUNT(char_names) && !name; k++)
            if (char_names[k].cp == cp) name = char_names[k].name;
        if (cp >= 0x110000)
            return reg_why_set(why, REG_EINVALID,
                               "has byte 0x%02X, which is not UTF-8, at character %zu",
                               cp - 0x110000, n);
        return reg_why_set(why, REG_EINVALID, "has U+%04X%s%s, %s, at character %zu", cp,
                           name ? " " : "", name ? name : "", what, n);
    }
    return 0;
}

static int visible(unsigned cp)
{
    if (cp == '<' || cp == '>' || cp == '"') return 0;
    for (size_t i = 0; i < COUNT(blanks); i++)
        if (cp >= blanks[i].lo && cp <= blanks[i].hi) return 0;
    return 1;
}

/* The schema's $defs/https_url pattern, ^https://[^V/.:][^V]*$, V being the refused set above. */
static int is_https_url(const char *s, size_t len)
{
    if (len <= 8 || strncmp(s, "https://", 8) != 0) return 0;
    if (s[8] == '/' || s[8] == '.' || s[8] == ':') return 0;
    for (size_t i = 8; i < len;)
        if (!visible(decl_next_char(s, len, &i))) return 0;
    return 1;
}

/* The schema's $defs/email pattern, ^[^V@]+@[^V@.]+(\.[^V@.]+)+$: a non-empty local part, one
 * '@', then at least two non-empty labels separated by dots. */
static int is_email(const char *s, size_t len)
{
    const char *at = memchr(s, '@', len); /* '@' is never part of a multi-byte character */
    if (!at || at == s) return 0;
    size_t i = 0, split = (size_t)(at - s), dots = 0, label = 0;
    while (i < split)
        if (!visible(decl_next_char(s, split, &i))) return 0;
    for (i = split + 1; i < len;) {
        unsigned cp = decl_next_char(s, len, &i);
        if (cp == '@' || !visible(cp) || (cp == '.' && label == 0)) return 0;
        dots += cp == '.';
        label = cp == '.' ? 0 : label + 1;
    }
    return dots > 0 && label > 0;
}

static int cmp_code(const void *key, const void *entry)
{
    return strcmp(key, entry);
}

static int is_country(const char *s, size_t len)
{
    if (len != 2) return 0;
    char key[3] = {s[0], s[1], '\0'};
    return bsearch(key, countries, COUNT(countries), sizeof countries[0], cmp_code) != NULL;
}

static void check_enum(const struct spec *sp, const char *s, size_t len, struct ctx *c)
{
    for (const char *const *p = sp->values; *p; p++)
        if (strlen(*p) == len && memcmp(*p, s, len) == 0) return;
    char list[200];
    join_values(sp->values, list, sizeof list);
    fail(c, "enum", "must be one of %s", list);
}

static void check_string(const struct spec *sp, yyjson_val *v, struct ctx *c)
{
    if (!yyjson_is_str(v)) {
        fail(c, "type", "must be a string");
        return;
    }
    const char *s = yyjson_get_str(v);
    size_t len = yyjson_get_len(v), chars = utf8_chars(s, len);
    int bounded = sp->kind == K_TEXT || sp->kind == K_URL || sp->kind == K_CONTACT;
    struct reg_why why;
    if (bounded && chars > DECL_MAX_STRING) {
        fail(c, "maxLength", "is longer than %d characters", DECL_MAX_STRING);
        return;
    }
    if (bounded && decl_text_check(s, len, &why) != 0) {
        fail(c, "pattern", "%s: control, invisible format and bidirectional characters are refused",
             why.text);
        return;
    }
    switch (sp->kind) {
    case K_TEXT:
        if (chars < sp->min) fail(c, "minLength", "must not be empty");
        break;
    case K_ID:
        if (!decl_id_valid(s, len))
            fail(c, "pattern",
                 "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit");
        else if (c->url_id && strcmp(s, c->url_id) != 0)
            fail(c, "const", "must equal the ID in the URL (%s)", c->url_id);
        break;
    case K_DATE:
        if (date_parse(s, len, NULL) != 0)
            fail(c, "format",
                 "must be a real calendar day as YYYY-MM-DD (years 1900-9999), e.g. 2030-12-31");
        break;
    case K_GTIN: {
        char norm[15];
        if (decl_gtin_all_zeros(s, len))
            fail(c, "format", "must not be all zeros: GS1 issues no such GTIN");
        else if (decl_gtin_normalize(s, len, norm) != 0)
            fail(c, "format", "must be " DECL_GTIN_RULE);
        break;
    }
    case K_URL:
        if (!is_https_url(s, len))
            fail(c, "pattern",
                 "must be an https:// URL: no spaces, control characters, '<', '>' or '\"', and "
                 "the host "
                 "must not start with '/', '.' or ':'");
        else if (chars < sp->min)
            fail(c, "minLength", "must be at least %zu characters long", sp->min);
        break;
    case K_CONTACT:
        if (!decl_contact_valid(s, len))
            fail(c, "anyOf",
                 "must be an e-mail address or an https:// URL (at least %d characters) where "
                 "security problems can be reported",
                 URL_MIN);
        break;
    case K_ENUM:
        check_enum(sp, s, len, c);
        break;
    case K_COUNTRY:
        if (!is_country(s, len))
            fail(c, "enum", "must be an ISO 3166-1 alpha-2 country code in capitals, like GB");
        break;
    default:
        break;
    }
}

/* ---- pass 2: containers ---- */

static void check_value(const struct spec *sp, yyjson_val *v, struct ctx *c);

/* uniqueItems, over the string items (items of other types are already type errors). */
static void check_unique(yyjson_val *arr, struct ctx *c)
{
    size_t i, max;
    yyjson_val *item;
    yyjson_arr_foreach(arr, i, max, item)
    {
        yyjson_arr_iter it = yyjson_arr_iter_with(arr);
        for (size_t j = 0; j < i && yyjson_is_str(item); j++) {
            if (yyjson_equals(yyjson_arr_iter_next(&it), item)) {
                fail(c, "uniqueItems", "item %zu repeats item %zu", i, j);
                return;
            }
        }
    }
}

static void check_array(const struct spec *sp, yyjson_val *v, struct ctx *c)
{
    if (!yyjson_is_arr(v)) {
        fail(c, "type", "must be an array");
        return;
    }
    size_t n = yyjson_arr_size(v);
    if (n > DECL_MAX_ITEMS) {
        fail(c, "maxItems", "has more than %d items", DECL_MAX_ITEMS);
        return;
    }
    if (n < sp->min)
        fail(c, "minItems", "must have at least %zu item%s", sp->min, sp->min == 1 ? "" : "s");
    size_t i, max;
    yyjson_val *item;
    yyjson_arr_foreach(v, i, max, item)
    {
        size_t mark = push_index(c, i);
        check_value(sp->items, item, c);
        c->path[mark] = '\0';
    }
    if (sp->unique) check_unique(v, c);
    if (sp->rule) sp->rule(v, c);
}

static const struct member *find_member(const struct member *m, yyjson_val *key)
{
    for (; m->name; m++)
        if (yyjson_equals_str(key, m->name)) return m;
    return NULL;
}

/* additionalProperties; below the top level the message lists what is allowed there. */
static void unknown_member(const struct spec *sp, int top, struct ctx *c)
{
    char names[200];
    if (top) {
        fail(c, "additionalProperties", "is not a declaration field");
        return;
    }
    join_members(sp->members, names, sizeof names);
    fail(c, "additionalProperties", "is not a field of this object (allowed: %s)", names);
}

static void check_members(const struct spec *sp, yyjson_val *obj, struct ctx *c)
{
    yyjson_obj_iter it = yyjson_obj_iter_with(obj);
    yyjson_val *key;
    while ((key = yyjson_obj_iter_next(&it))) {
        size_t mark = push_key(c, yyjson_get_str(key), yyjson_get_len(key));
        const struct member *m = find_member(sp->members, key);
        if (m)
            check_value(m->spec, yyjson_obj_iter_get_val(key), c);
        else if (sp->read_only &&
                 registry_managed(field_kind(yyjson_get_str(key), yyjson_get_len(key))))
            fail(c, "readOnly", "is set by the registry and cannot be submitted");
        else
            unknown_member(sp, mark == 0, c);
        c->path[mark] = '\0';
    }
}

static void check_object(const struct spec *sp, yyjson_val *v, struct ctx *c)
{
    if (!yyjson_is_obj(v)) {
        fail(c, "type", "must be an object");
        return;
    }
    check_members(sp, v, c);
    for (const struct member *m = sp->members; m->name; m++) {
        if (!m->required || yyjson_obj_get(v, m->name)) continue;
        size_t mark = push_name(c, m->name);
        fail(c, "required", "is required");
        c->path[mark] = '\0';
    }
    if (yyjson_obj_size(v) < sp->min) {
        char names[200];
        join_members(sp->members, names, sizeof names);
        fail(c, "minProperties", "must not be empty: give at least one of %s", names);
    }
    if (sp->rule) sp->rule(v, c);
}

static void check_value(const struct spec *sp, yyjson_val *v, struct ctx *c)
{
    switch (sp->kind) {
    case K_BOOL:
        if (!yyjson_is_bool(v)) fail(c, "type", "must be true or false");
        break;
    case K_ARRAY:
        check_array(sp, v, c);
        break;
    case K_OBJECT:
        check_object(sp, v, c);
        break;
    default:
        check_string(sp, v, c);
        break;
    }
}

/* ---- rules across members ---- */

/* sensor_data_collection: each sensing at most once (schema: contains + maxContains 1). */
static void rule_one_item_per_sensing(yyjson_val *arr, struct ctx *c)
{
    for (const char *const *s = sensing_values; *s; s++) {
        size_t i, max, n = 0;
        yyjson_val *item;
        yyjson_arr_foreach(arr, i, max, item) n +=
            yyjson_equals_str(yyjson_obj_get(item, "sensing"), *s);
        if (n > 1) fail(c, "maxContains", "names sensing \"%s\" in %zu items; once at most", *s, n);
    }
}

/* "Other" as the update default or an update option needs security_update_information_other. */
static void rule_other_is_explained(yyjson_val *root, struct ctx *c)
{
    yyjson_val *info = yyjson_obj_get(root, "security_update_information");
    int other = yyjson_equals_str(yyjson_obj_get(info, "update_default"), "Other");
    yyjson_val *opts = yyjson_obj_get(info, "update_options");
    size_t i, max;
    yyjson_val *item;
    yyjson_arr_foreach(opts, i, max, item) other |= yyjson_equals_str(item, "Other");
    if (!other || yyjson_obj_get(root, "security_update_information_other")) return;
    size_t mark = push_name(c, "security_update_information_other");
    fail(c, "required",
         "is required when security_update_information says \"Other\": say what "
         "it means");
    c->path[mark] = '\0';
}

int decl_validate(yyjson_val *root, const char *url_id, struct decl_errors *errs)
{
    struct ctx c = {.path = "", .url_id = url_id, .errs = errs};
    memset(errs, 0, sizeof *errs);
    if (!yyjson_is_obj(root)) {
        fail(&c, "type", "the declaration must be a JSON object");
        return REG_EINVALID;
    }
    walk(root, 0, &c);
    check_value(&declaration, root, &c);
    return errs->n ? REG_EINVALID : 0;
}

static int diff_skips(enum decl_diff_scope scope, const char *name)
{
    enum decl_field_kind k = decl_field_kind(name);
    if (!strcmp(name, "id") || k == DECL_FIELD_BOOKKEEPING) return 1;
    return scope == DECL_DIFF_DECLARED && k != DECL_FIELD_DECLARED;
}

void decl_diff(yyjson_val *old, yyjson_val *cur, enum decl_diff_scope scope, decl_diff_fn fn,
               void *ctx)
{
    if (!old) return;
    for (int pass = 0; pass < 2; pass++) { /* pass 1: the fields cur no longer has */
        yyjson_obj_iter it = yyjson_obj_iter_with(pass ? old : cur);
        yyjson_val *k;
        while ((k = yyjson_obj_iter_next(&it))) {
            const char *name = yyjson_get_str(k);
            yyjson_val *from = yyjson_obj_get(old, name), *to = yyjson_obj_get(cur, name);
            if (diff_skips(scope, name) || (pass && to) || (from && to && yyjson_equals(from, to)))
                continue;
            fn(ctx, name, from, to);
        }
    }
}

int decl_is_account_field(const char *name)
{
    return strcmp(name, "manufacturer_name") == 0;
}

int decl_contact_valid(const char *s, size_t len)
{
    return is_email(s, len) || (utf8_chars(s, len) >= URL_MIN && is_https_url(s, len));
}

int decl_https_url_valid(const char *s, size_t len)
{
    return utf8_chars(s, len) >= URL_MIN && is_https_url(s, len);
}
