/* decl.h: the product declaration's rules: what a manufacturer may submit, checked in C.
 *
 * A declaration is a JSON object whose field names follow CTA-2120 where the concept exists
 * there. decl_validate() reports every problem at once, each with a JSON-pointer path, the
 * name of the rule broken and a human message. Pure: no I/O, no allocation beyond yyjson's. */
#ifndef SECLABEL_DECL_H
#define SECLABEL_DECL_H

#include <stddef.h>
#include <yyjson.h>

#define DECL_MAX_ERRORS 32
#define DECL_MAX_STRING 2048 /* characters, as CTA-2120 */
#define DECL_MAX_ITEMS 64    /* array items or object members */
#define DECL_MAX_DEPTH 8
#define DECL_ID_MAX 64

struct decl_error {
    char path[128];   /* JSON pointer, "" for the whole document */
    const char *rule; /* static: "required", "type", "format", "enum", ... */
    char message[256];
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
/* GTIN-8/12/13/14 with a valid check digit -> 14 digits in out (NUL-terminated); else -EINVAL. */
int decl_gtin_normalize(const char *s, size_t len, char out[15]);

/* Check a parsed declaration. url_id, if not NULL, is the ID the request names: a body "id"
 * must equal it. Fills errs (always reset first); returns 0 if valid, REG_EINVALID if not. */
int decl_validate(yyjson_val *root, const char *url_id, struct decl_errors *errs);

/* 1 if `name` is a field the registry sets itself (version, created, ...). */
int decl_is_registry_field(const char *name);
/* 1 if `name` is a field the registry fills in from the manufacturer's account
 * (manufacturer_name): a declaration may carry it, but only with the account's own value, and
 * the stored record always holds the account's. */
int decl_is_account_field(const char *name);

/* The rules of a declaration's security_contact (e-mail address or https URL of at least 15
 * characters) and of its https URLs, for values given elsewhere (a manufacturer's account). */
int decl_contact_valid(const char *s, size_t len);
int decl_https_url_valid(const char *s, size_t len);

#endif
