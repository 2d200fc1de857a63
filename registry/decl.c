/* decl.c: declaration validation (see decl.h).
 *
 * Two passes over the document: a generic walk that bounds size and shape everywhere (string
 * length, items per container, depth, duplicate keys, NUL bytes), then a table of known
 * top-level fields, each with a kind that says how its value is checked. */
#include "decl.h"

#include "date.h"
#include "err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

enum kind {
    K_TEXT,     /* non-empty string */
    K_DATE,     /* "YYYY-MM-DD" */
    K_CONTACT,  /* e-mail address or https URL */
    K_HTTPS,    /* https URL */
    K_PASSWORD, /* default_password enum */
    K_GTIN,     /* GTIN-8/12/13/14 */
    K_MARKETS,  /* array of ISO 3166-1 alpha-2 codes */
    K_ID,       /* must equal the URL's id */
    K_ANY,      /* any JSON value within the generic bounds (checked fully by a later issue) */
};

struct field {
    const char *name;
    enum kind kind;
    int required;
};

static const struct field fields[] = {
    {"id", K_ID, 0},
    {"product_name", K_TEXT, 1},
    {"product_model", K_TEXT, 1},
    {"manufacturer_name", K_TEXT, 1},
    {"support_date", K_DATE, 1},
    {"security_contact", K_CONTACT, 1},
    {"default_password", K_PASSWORD, 1},
    {"gtin", K_GTIN, 0},
    {"vulnerability_disclosure_policy", K_HTTPS, 0},
    {"support_start", K_DATE, 0},
    {"markets", K_MARKETS, 0},
    {"authorization_date", K_DATE, 0},
    {"version_and_model_numbers", K_ANY, 0},
    {"security_update_information", K_ANY, 0},
    {"access_control", K_ANY, 0},
    {"sensor_data_collection", K_ANY, 0},
    {"securing_this_product", K_ANY, 0},
    {"delete_data", K_ANY, 0},
    {"account_deactivation", K_ANY, 0},
    {"encryption_and_key_management", K_ANY, 0},
    {"general_user_information", K_ANY, 0},
    {"sbom_hbom_maintained", K_ANY, 0},
    {"authorized_by", K_ANY, 0},
    {"tested_by", K_ANY, 0},
};

static const char *const registry_fields[] = {"version", "created", "modified",   "manufacturer",
                                              "status",  "qr_url",  "compliance", "support_status"};

static const char *const password_values[] = {"unique_per_device", "user_defined", "no_password",
                                              "universal"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void add_error(struct decl_errors *errs, const char *path, const char *rule, const char *fmt,
                      ...) __attribute__((format(printf, 4, 5)));

static void add_error(struct decl_errors *errs, const char *path, const char *rule, const char *fmt,
                      ...)
{
    if (errs->n >= DECL_MAX_ERRORS) {
        errs->more = 1;
        return;
    }
    struct decl_error *e = &errs->e[errs->n++];
    snprintf(e->path, sizeof e->path, "%s", path);
    e->rule = rule;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

/* Append "/" + key, escaped as a JSON pointer token (RFC 6901), truncating safely. */
static void path_push(char *path, size_t cap, const char *key, size_t klen)
{
    size_t n = strlen(path);
    if (n + 1 < cap) path[n++] = '/';
    for (size_t i = 0; i < klen && n + 2 < cap; i++) {
        if (key[i] == '~' || key[i] == '/') {
            path[n++] = '~';
            path[n++] = key[i] == '~' ? '0' : '1';
        } else {
            path[n++] = key[i];
        }
    }
    path[n < cap ? n : cap - 1] = '\0';
}

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

int decl_gtin_normalize(const char *s, size_t len, char out[15])
{
    if (len != 8 && len != 12 && len != 13 && len != 14) return -EINVAL;
    for (size_t i = 0; i < len; i++)
        if (s[i] < '0' || s[i] > '9') return -EINVAL;
    memset(out, '0', 14 - len);
    memcpy(out + 14 - len, s, len);
    out[14] = '\0';
    /* GS1 check digit: weights 3,1,3,1... from the right, excluding the check digit. */
    int sum = 0;
    for (int i = 0; i < 13; i++)
        sum += (out[i] - '0') * (i % 2 == 0 ? 3 : 1);
    return (10 - sum % 10) % 10 == out[13] - '0' ? 0 : -EINVAL;
}

int decl_is_registry_field(const char *name)
{
    for (size_t i = 0; i < COUNT(registry_fields); i++)
        if (strcmp(name, registry_fields[i]) == 0) return 1;
    return 0;
}

static size_t utf8_chars(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

/* Generic bounds over every value in the document. */
static void walk(yyjson_val *v, char *path, size_t cap, int depth, struct decl_errors *errs)
{
    if (depth > DECL_MAX_DEPTH) {
        add_error(errs, path, "maxDepth", "nested deeper than %d levels", DECL_MAX_DEPTH);
        return;
    }
    size_t plen = strlen(path);
    if (yyjson_is_str(v)) {
        const char *s = yyjson_get_str(v);
        size_t len = yyjson_get_len(v);
        if (memchr(s, '\0', len))
            add_error(errs, path, "format", "must not contain NUL characters");
        if (utf8_chars(s, len) > DECL_MAX_STRING)
            add_error(errs, path, "maxLength", "longer than %d characters", DECL_MAX_STRING);
    } else if (yyjson_is_arr(v)) {
        if (yyjson_arr_size(v) > DECL_MAX_ITEMS) {
            add_error(errs, path, "maxItems", "more than %d items", DECL_MAX_ITEMS);
            return;
        }
        size_t i, max;
        yyjson_val *item;
        yyjson_arr_foreach(v, i, max, item)
        {
            char idx[24];
            int n = snprintf(idx, sizeof idx, "%zu", i);
            path_push(path, cap, idx, (size_t)n);
            walk(item, path, cap, depth + 1, errs);
            path[plen] = '\0';
        }
    } else if (yyjson_is_obj(v)) {
        if (yyjson_obj_size(v) > DECL_MAX_ITEMS) {
            add_error(errs, path, "maxProperties", "more than %d members", DECL_MAX_ITEMS);
            return;
        }
        yyjson_obj_iter it = yyjson_obj_iter_with(v);
        yyjson_val *key;
        size_t seen = 0;
        while ((key = yyjson_obj_iter_next(&it))) {
            /* yyjson keeps duplicate keys; a declaration with two meanings is refused. */
            yyjson_obj_iter it2 = yyjson_obj_iter_with(v);
            for (size_t j = 0; j < seen; j++) {
                yyjson_val *k2 = yyjson_obj_iter_next(&it2);
                if (yyjson_equals(k2, key)) {
                    path_push(path, cap, yyjson_get_str(key), yyjson_get_len(key));
                    add_error(errs, path, "uniqueKeys", "appears more than once");
                    path[plen] = '\0';
                    break;
                }
            }
            seen++;
            path_push(path, cap, yyjson_get_str(key), yyjson_get_len(key));
            walk(yyjson_obj_iter_get_val(key), path, cap, depth + 1, errs);
            path[plen] = '\0';
        }
    }
}

static int is_email(const char *s, size_t len)
{
    const char *at = memchr(s, '@', len);
    if (!at || at == s) return 0;
    const char *dom = at + 1;
    size_t dlen = len - (size_t)(dom - s);
    if (dlen < 3 || memchr(dom, '@', dlen) || !memchr(dom, '.', dlen)) return 0;
    if (dom[0] == '.' || dom[dlen - 1] == '.') return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == '<' || s[i] == '>' || s[i] == '"') return 0;
    return 1;
}

static int is_https_url(const char *s, size_t len)
{
    if (len <= 8 || strncmp(s, "https://", 8) != 0) return 0;
    if (s[8] == '/' || s[8] == '.' || s[8] == ':') return 0;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] <= ' ' || s[i] == '<' || s[i] == '>' || s[i] == '"' ||
            (unsigned char)s[i] == 0x7f)
            return 0;
    return 1;
}

static void check_markets(yyjson_val *v, const char *path, struct decl_errors *errs)
{
    if (!yyjson_is_arr(v)) {
        add_error(errs, path, "type", "must be an array of ISO 3166-1 alpha-2 codes");
        return;
    }
    size_t i, max;
    yyjson_val *item;
    yyjson_arr_foreach(v, i, max, item)
    {
        const char *s = yyjson_get_str(item);
        if (!s || yyjson_get_len(item) != 2 || s[0] < 'A' || s[0] > 'Z' || s[1] < 'A' ||
            s[1] > 'Z') {
            add_error(errs, path, "format", "item %zu must be a two-letter country code like GB",
                      i);
            return;
        }
    }
}

static void check_field(const struct field *f, yyjson_val *v, const char *url_id,
                        struct decl_errors *errs)
{
    char path[128];
    snprintf(path, sizeof path, "/%s", f->name);
    const char *s = yyjson_get_str(v);
    size_t len = yyjson_get_len(v);
    int is_str = yyjson_is_str(v);
    char gtin[15];

    switch (f->kind) {
    case K_ANY:
        return;
    case K_MARKETS:
        check_markets(v, path, errs);
        return;
    case K_ID:
        if (!is_str || !decl_id_valid(s, len))
            add_error(errs, path, "pattern",
                      "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or "
                      "digit");
        else if (url_id && strcmp(s, url_id) != 0)
            add_error(errs, path, "const", "must equal the ID in the URL (%s)", url_id);
        return;
    default:
        break;
    }
    if (!is_str) {
        add_error(errs, path, "type", "must be a string");
        return;
    }
    switch (f->kind) {
    case K_TEXT:
        if (len == 0) add_error(errs, path, "minLength", "must not be empty");
        break;
    case K_DATE:
        if (date_parse(s, len, NULL) != 0)
            add_error(errs, path, "format",
                      "must be a calendar date as YYYY-MM-DD, e.g. 2030-12-31");
        break;
    case K_CONTACT:
        if (!is_email(s, len) && !is_https_url(s, len))
            add_error(errs, path, "format",
                      "must be an e-mail address or an https:// URL where security problems can "
                      "be reported");
        break;
    case K_HTTPS:
        if (!is_https_url(s, len)) add_error(errs, path, "format", "must be an https:// URL");
        break;
    case K_PASSWORD: {
        int ok = 0;
        for (size_t i = 0; i < COUNT(password_values); i++)
            ok |= strcmp(s, password_values[i]) == 0;
        if (!ok)
            add_error(errs, path, "enum",
                      "must be one of unique_per_device, user_defined, no_password, universal");
        break;
    }
    case K_GTIN:
        if (decl_gtin_normalize(s, len, gtin) != 0)
            add_error(errs, path, "format",
                      "must be a GTIN-8, -12, -13 or -14 with a valid check digit");
        break;
    default:
        break;
    }
}

static const struct field *find_field(yyjson_val *key)
{
    for (size_t i = 0; i < COUNT(fields); i++)
        if (yyjson_equals_str(key, fields[i].name)) return &fields[i];
    return NULL;
}

int decl_validate(yyjson_val *root, const char *url_id, struct decl_errors *errs)
{
    memset(errs, 0, sizeof *errs);
    if (!yyjson_is_obj(root)) {
        add_error(errs, "", "type", "the declaration must be a JSON object");
        return REG_EINVALID;
    }
    char path[128] = "";
    walk(root, path, sizeof path, 0, errs);

    yyjson_obj_iter it = yyjson_obj_iter_with(root);
    yyjson_val *key;
    while ((key = yyjson_obj_iter_next(&it))) {
        const char *name = yyjson_get_str(key);
        path[0] = '\0';
        path_push(path, sizeof path, name, yyjson_get_len(key));
        if (decl_is_registry_field(name))
            add_error(errs, path, "readOnly", "is set by the registry and cannot be submitted");
        else if (!find_field(key))
            add_error(errs, path, "additionalProperties", "is not a declaration field");
    }
    for (size_t i = 0; i < COUNT(fields); i++) {
        yyjson_val *v = yyjson_obj_get(root, fields[i].name);
        if (v)
            check_field(&fields[i], v, url_id, errs);
        else if (fields[i].required) {
            snprintf(path, sizeof path, "/%s", fields[i].name);
            add_error(errs, path, "required", "is required");
        }
    }
    return errs->n ? REG_EINVALID : 0;
}
