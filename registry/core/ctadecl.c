/* ctadecl.c: CTA-2120 documents to declarations (see ctadecl.h); IDs made from the model with
 * ICU (transliteration, NFC) and libsodium (the hash). */
#include "ctadecl.h"

#include "decl_fields.h"
#include "err.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utrans.h>

/* CTA-2120's name for each of our fields, NULL where it has none (decl_fields.h): the fields
 * copied unchanged, the same name and meaning in both. */
static const char *const cta_names[] = {
#define X(name, spec, req, csv, cta, page) DECL_IN_CTA_(cta) ? #name : NULL,
    DECL_FIELDS(X)
#undef X
};
/* Ours too, in the same order. */
static const char *const our_names[] = {
#define X(name, spec, req, csv, cta, page) #name,
    DECL_FIELDS(X)
#undef X
};
#define NFIELDS (sizeof our_names / sizeof our_names[0])

/* The path of an http(s) URL (from the first '/' after the host), or NULL. */
static const char *url_path(const char *url)
{
    const char *p = url ? strstr(url, "://") : NULL;
    return p ? strchr(p + 3, '/') : NULL;
}

void ctadecl_keys(yyjson_val *doc, char id[DECL_ID_MAX + 1], char gtin14[15])
{
    id[0] = gtin14[0] = '\0';
    const char *path = url_path(yyjson_get_str(yyjson_obj_get(doc, "QR_code_url")));
    if (!path) return;
    size_t len = strcspn(path, "?#");
    const char *p = memmem(path, len, "/p/", 3);
    if (p && path + len - (p + 3) <= DECL_ID_MAX && decl_id_valid(p + 3, path + len - (p + 3))) {
        memcpy(id, p + 3, (size_t)(path + len - (p + 3)));
        id[path + len - (p + 3)] = '\0';
        return;
    }
    const char *g = memmem(path, len, "/01/", 4);
    if (!g) return;
    size_t glen = strspn(g + 4, "0123456789");
    if (g + 4 + glen <= path + len && decl_gtin_normalize(g + 4, glen, gtin14) != 0)
        gtin14[0] = '\0';
}

/* ICU's transform for IDs: compatibility forms first (NFKC), then Latin letters to ASCII. It
 * is opened once and kept for the process (opening parses its rules); the CLI and the fuzzer
 * are single-threaded. ICU rather than a table of our own: it knows every Latin letter. */
#define ID_TRANSFORM "NFKC; Latin-ASCII"
#define ID_HASH_BYTES 4 /* written as 8 hex digits */

static UTransliterator *transliterator(struct reg_why *why)
{
    static UTransliterator *t;
    if (t) return t;
    UErrorCode e = U_ZERO_ERROR;
    UChar name[sizeof ID_TRANSFORM];
    u_uastrcpy(name, ID_TRANSFORM);
    t = utrans_openU(name, -1, UTRANS_FORWARD, NULL, 0, NULL, &e);
    if (U_FAILURE(e)) {
        reg_why_set(why, REG_EINTERNAL, "cannot open ICU's %s transform: %s", ID_TRANSFORM,
                    u_errorName(e));
        t = NULL;
    }
    return t;
}

/* s[0..len) (UTF-8) as UTF-16 in a new array with room for `times` times its length; *n
 * gets its length, *cap the room. Invalid UTF-8 becomes U+FFFD. */
static UChar *utf16(const char *s, size_t len, int times, int32_t *n, int32_t *cap)
{
    UErrorCode e = U_ZERO_ERROR;
    *cap = (int32_t)len * times + 16;
    UChar *u = xmalloc((size_t)*cap * sizeof *u);
    u_strFromUTF8WithSub(u, *cap, n, s, (int32_t)len, 0xFFFD, NULL, &e);
    if (U_FAILURE(e)) *n = 0;
    return u;
}

/* Append u[0..n) as UTF-8 to out. */
static void put_utf8(struct buf *out, const UChar *u, int32_t n)
{
    UErrorCode e = U_ZERO_ERROR;
    int32_t len = 0;
    u_strToUTF8WithSub(NULL, 0, &len, u, n, 0xFFFD, NULL, &e);
    e = U_ZERO_ERROR;
    buf_reserve(out, (size_t)len + 1);
    u_strToUTF8WithSub(out->data + out->len, len + 1, &len, u, n, 0xFFFD, NULL, &e);
    if (U_SUCCESS(e)) out->len += (size_t)len;
}

/* s transliterated by ID_TRANSFORM, appended to out as UTF-8 (what it cannot write stays). */
static int transliterate(const char *s, size_t len, struct buf *out, struct reg_why *why)
{
    UTransliterator *t = transliterator(why);
    if (!t) return REG_EINTERNAL;
    int32_t n, cap, limit;
    UErrorCode e;
    for (int times = 4;; times *= 8) { /* NFKC can make one character 18 */
        UChar *u = utf16(s, len, times, &n, &cap);
        e = U_ZERO_ERROR;
        limit = n;
        utrans_transUChars(t, u, &n, cap, 0, &limit, &e);
        if (U_SUCCESS(e)) put_utf8(out, u, n);
        free(u);
        if (e != U_BUFFER_OVERFLOW_ERROR || times > 256) break;
    }
    if (U_FAILURE(e))
        return reg_why_set(why, REG_EINTERNAL, "cannot transliterate: %s", u_errorName(e));
    return 0;
}

/* The hash that ends a made ID: the first ID_HASH_BYTES of BLAKE2b (libsodium) of s's NFC
 * form, in hex, written to hex (2 * ID_HASH_BYTES + 1 bytes). */
static int text_hash(const char *s, size_t len, char *hex, struct reg_why *why)
{
    UErrorCode e = U_ZERO_ERROR;
    const UNormalizer2 *nfc = unorm2_getNFCInstance(&e);
    int32_t n, cap;
    UChar *u = utf16(s, len, 1, &n, &cap);
    struct buf text = BUF_INIT;
    if (U_SUCCESS(e)) {
        int32_t need = unorm2_normalize(nfc, u, n, NULL, 0, &e);
        e = U_ZERO_ERROR;
        UChar *norm = xmalloc(((size_t)need + 1) * sizeof *norm);
        need = unorm2_normalize(nfc, u, n, norm, need + 1, &e);
        if (U_SUCCESS(e)) put_utf8(&text, norm, need);
        free(norm);
    }
    free(u);
    unsigned char h[ID_HASH_BYTES];
    if (U_FAILURE(e) || sodium_init() < 0 ||
        crypto_generichash(h, sizeof h, (const unsigned char *)buf_cstr(&text), text.len, NULL,
                           0) != 0) {
        buf_free(&text);
        return reg_why_set(why, REG_EINTERNAL, "cannot hash the model: %s", u_errorName(e));
    }
    buf_free(&text);
    sodium_bin2hex(hex, 2 * ID_HASH_BYTES + 1, h, sizeof h);
    return 0;
}

static int id_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_';
}

/* The readable part of an ID from ASCII-transliterated text t: lower case, each run of other
 * characters one '-', none at either end; *lossy set if a character was not ASCII. */
static void readable(const char *t, size_t len, struct buf *out, int *lossy)
{
    for (size_t i = 0; i < len; i++) {
        char c = t[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if ((unsigned char)c >= 0x80) *lossy = 1;
        if (id_char(c))
            buf_putc(out, c);
        else if (out->len && out->data[out->len - 1] != '-')
            buf_putc(out, '-');
    }
    while (out->len && out->data[out->len - 1] == '-')
        out->len--;
}

const char *ctadecl_model_id(yyjson_val *doc, const char *ns, char id[DECL_ID_MAX + 1],
                             struct reg_why *why)
{
    const char *from = "product_model";
    yyjson_val *v = yyjson_obj_get(doc, from);
    if (!yyjson_is_str(v) || !yyjson_get_len(v)) v = yyjson_obj_get(doc, from = "product_name");
    const char *s = yyjson_get_str(v);
    size_t n0 = strlen(ns), len = yyjson_get_len(v);
    id[0] = '\0';
    reg_why_clear(why);
    if (!s || !len || n0 + 2 * ID_HASH_BYTES + 1 >= DECL_ID_MAX) return NULL;
    if (len > 4 * DECL_MAX_STRING) { /* refused anyway; and ICU counts in int32_t */
        reg_why_set(why, REG_EINVALID, "%s is longer than %d characters", from, DECL_MAX_STRING);
        return NULL;
    }
    struct buf ascii = BUF_INIT, part = BUF_INIT;
    int lossy = 0, rc = transliterate(s, len, &ascii, why);
    if (!rc) readable(ascii.data ? ascii.data : "", ascii.len, &part, &lossy);
    char hex[2 * ID_HASH_BYTES + 1] = "";
    if (!rc && (lossy || !part.len || n0 + part.len > DECL_ID_MAX)) {
        size_t room = DECL_ID_MAX - n0 - (2 * ID_HASH_BYTES + 1);
        if (part.len > room) part.len = room;
        while (part.len && part.data[part.len - 1] == '-')
            part.len--;
        rc = text_hash(s, len, hex, why);
    }
    if (!rc) {
        snprintf(id, DECL_ID_MAX + 1, "%s%.*s%s%s", ns, (int)part.len, part.data ? part.data : "",
                 part.len && hex[0] ? "-" : "", hex);
        if (!decl_id_valid(id, strlen(id))) /* a namespace that is no ID's start */
            rc = reg_why_set(why, REG_EBADID, "'%s' cannot begin a product ID", ns);
    }
    buf_free(&ascii);
    buf_free(&part);
    if (rc) id[0] = '\0';
    return rc ? NULL : from;
}

/* 1 if GTINs a and b (either may be absent) do not contradict: one is missing, or both name the
 * same GTIN-14. */
static int same_gtin(yyjson_val *a, yyjson_val *b)
{
    char n1[15], n2[15];
    if (!a || !b) return 1;
    return !decl_gtin_normalize(yyjson_get_str(a), yyjson_get_len(a), n1) &&
           !decl_gtin_normalize(yyjson_get_str(b), yyjson_get_len(b), n2) && !strcmp(n1, n2);
}

int ctadecl_same_product(yyjson_val *decl, yyjson_val *cur, const char *from, struct reg_why *why)
{
    const char *what = from;
    yyjson_val *mine = yyjson_obj_get(decl, from), *theirs = yyjson_obj_get(cur, from);
    if (yyjson_equals(mine, theirs)) {
        what = "GTIN";
        mine = yyjson_obj_get(decl, "gtin");
        theirs = yyjson_obj_get(cur, "gtin");
        if (same_gtin(mine, theirs)) return 0;
    }
    const char *id = yyjson_get_str(yyjson_obj_get(cur, "id"));
    const char *a = yyjson_get_str(mine), *b = yyjson_get_str(theirs);
    if (!id) id = "?";
    return reg_why_set(why, REG_EEXIST,
                       "the ID made from %s, %s, is another product's: the registry's %s has %s "
                       "'%.100s', this entry '%.100s'; to update that product, give its ID in "
                       "QR_code_url (.../p/%s)",
                       from, id, id, what, b ? b : "(none)", a ? a : "(none)", id);
}

/* Our default_password from access_control, else the caller's; NULL if neither decides. */
static const char *default_password(yyjson_val *doc, const char *given)
{
    yyjson_val *ac = yyjson_obj_get(doc, "access_control");
    yyjson_val *fd = yyjson_obj_get(ac, "password_factory_default");
    if (yyjson_equals_str(yyjson_obj_get(ac, "password_type"), "user_generated"))
        return decl_password_name(DECL_PW_USER_DEFINED);
    if (yyjson_equals_str(fd, "no_control") || yyjson_equals_str(fd, "no_account"))
        return decl_password_name(DECL_PW_NO_PASSWORD);
    return given;
}

/* A sensor item as we keep it: no icons (label artwork: the registry draws its own), and "has"
 * the schema's default, true, where the item leaves it out. */
static void sensor_items(yyjson_mut_doc *d, yyjson_mut_val *items)
{
    size_t i, max;
    yyjson_mut_val *item;
    yyjson_mut_arr_foreach(items, i, max, item)
    {
        if (!yyjson_mut_is_obj(item)) continue;
        yyjson_mut_obj_remove_key(item, "icons");
        if (!yyjson_mut_obj_get(item, "has")) yyjson_mut_obj_add_true(d, item, "has");
    }
}

/* 1 if a problem the validator reports is only that the value is empty. */
static int empty_refused(const struct decl_error *e, yyjson_doc *doc)
{
    if (strcmp(e->rule, "minLength") && strcmp(e->rule, "minItems") &&
        strcmp(e->rule, "minProperties"))
        return 0;
    yyjson_val *v = yyjson_doc_ptr_get(doc, e->path);
    return (yyjson_is_str(v) || yyjson_is_arr(v) || yyjson_is_obj(v)) && !yyjson_get_len(v);
}

/* Drop what CTA-2120 allows empty and our rules refuse for being empty (ctadecl.h). Our
 * validator is the one home of those rules, so it names them: each value it refuses as too
 * short (minLength, minItems, minProperties) that is empty goes, last first so that array
 * indices hold; again until nothing more goes (an object emptied so goes next time). */
static void drop_empty(yyjson_mut_doc *d, const char *id)
{
    for (int dropped = 1; dropped;) {
        yyjson_doc *doc = yyjson_mut_doc_imut_copy(d, NULL);
        struct decl_errors errs;
        dropped = 0;
        decl_validate(yyjson_doc_get_root(doc), id, &errs);
        for (int i = errs.n - 1; i >= 0; i--)
            if (empty_refused(&errs.e[i], doc) && yyjson_mut_doc_ptr_remove(d, errs.e[i].path))
                dropped = 1;
        yyjson_doc_free(doc);
    }
}

int ctadecl_to_decl(yyjson_val *doc, const char *id, const char *gtin14, const char *default_pw,
                    struct buf *out, struct reg_why *why)
{
    if (!yyjson_is_obj(doc))
        return reg_why_set(why, REG_EBADREQ, "not a CTA-2120 document (a JSON object)");
    const char *pw = default_password(doc, default_pw);
    yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(d);
    yyjson_mut_doc_set_root(d, o);
    yyjson_mut_obj_add_strcpy(d, o, "id", id);
    for (size_t i = 0; i < NFIELDS; i++) {
        if (!cta_names[i]) continue;
        yyjson_val *v = yyjson_obj_get(doc, cta_names[i]);
        if (!v && !strcmp(cta_names[i], "sbom_hbom_maintained")) /* the name it requires */
            v = yyjson_obj_get(doc, "sbom_hbom_available");
        if (v) yyjson_mut_obj_add_val(d, o, cta_names[i], yyjson_val_mut_copy(d, v));
    }
    sensor_items(d, yyjson_mut_obj_get(o, "sensor_data_collection"));
    if (gtin14 && gtin14[0]) yyjson_mut_obj_add_strcpy(d, o, "gtin", gtin14);
    if (pw) yyjson_mut_obj_add_strcpy(d, o, "default_password", pw);
    drop_empty(d, id);
    size_t len = 0;
    char *json = yyjson_mut_write(d, 0, &len);
    yyjson_mut_doc_free(d);
    if (!json) return reg_why_set(why, REG_EINTERNAL, "out of memory");
    buf_append(out, json, len);
    free(json);
    return 0;
}

/* 1 if a field is kept from the current record where an entry lacks it: ours that CTA-2120
 * has no place for (but the ID, which the entry gives), and product_model, which CTA-2120 may
 * leave out but we require. */
static int kept(size_t i)
{
    return (!cta_names[i] && strcmp(our_names[i], "id")) || !strcmp(our_names[i], "product_model");
}

void ctadecl_fill(yyjson_val *decl, yyjson_val *cur, struct buf *out)
{
    yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_val_mut_copy(d, decl);
    yyjson_mut_doc_set_root(d, o);
    for (size_t i = 0; cur && i < NFIELDS; i++) {
        yyjson_val *v = kept(i) ? yyjson_obj_get(cur, our_names[i]) : NULL;
        if (v && !yyjson_obj_get(decl, our_names[i]))
            yyjson_mut_obj_add_val(d, o, our_names[i], yyjson_val_mut_copy(d, v));
    }
    size_t len = 0;
    char *json = yyjson_mut_write(d, 0, &len);
    yyjson_mut_doc_free(d);
    if (json) buf_append(out, json, len);
    free(json);
}
