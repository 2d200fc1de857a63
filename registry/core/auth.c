/* auth.c: token creation, hashing and lookup with libsodium (see auth.h). */
#include "auth.h"

#include "date.h"
#include "err.h"
#include "store.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yyjson.h>

int auth_init(void)
{
    return sodium_init() < 0 ? REG_EINTERNAL : 0;
}

void auth_token_new(char out[AUTH_TOKEN_LEN + 1])
{
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    memcpy(out, AUTH_TOKEN_PREFIX, 4);
    sodium_bin2base64(out + 4, AUTH_TOKEN_LEN + 1 - 4, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

void auth_token_hash(const char *token, size_t len, uint8_t out[AUTH_HASH_LEN])
{
    crypto_generichash(out, AUTH_HASH_LEN, (const unsigned char *)token, len, NULL, 0);
}

int auth_token_issue(struct store_txn *txn, const char *slug, char out[AUTH_TOKEN_LEN + 1])
{
    uint8_t hash[AUTH_HASH_LEN];
    char now[21], val[192];
    auth_token_new(out);
    auth_token_hash(out, AUTH_TOKEN_LEN, hash);
    date_rfc3339(time(NULL), now);
    int n = snprintf(val, sizeof val, "{\"manufacturer\":\"%s\",\"created\":\"%s\"}", slug, now);
    if (n < 0 || (size_t)n >= sizeof val) return REG_EINTERNAL; /* cannot happen */
    return store_put(txn, STORE_TOKENS, hash, sizeof hash, val, (size_t)n, STORE_NOOVERWRITE);
}

void auth_token_id(const uint8_t hash[AUTH_HASH_LEN], char id[AUTH_ID_LEN + 1])
{
    sodium_bin2hex(id, AUTH_ID_LEN + 1, hash, AUTH_ID_LEN / 2);
}

struct list_ctx {
    const char *slug;
    auth_token_fn fn;
    void *ctx;
    const char *want_id; /* revoke: find this id */
    uint8_t found[AUTH_HASH_LEN];
    int nfound;
};

static int list_one(void *ctx, struct store_val key, struct store_val val)
{
    struct list_ctx *l = ctx;
    if (key.len != AUTH_HASH_LEN) return REG_ESTORE;
    struct auth_token_info t;
    auth_token_id(key.data, t.id);
    if (l->want_id) {
        if (strcmp(t.id, l->want_id) == 0 && l->nfound++ == 0) memcpy(l->found, key.data, key.len);
        return 0;
    }
    yyjson_doc *doc = yyjson_read(val.data, val.len, 0);
    yyjson_val *root = yyjson_doc_get_root(doc);
    t.manufacturer = yyjson_get_str(yyjson_obj_get(root, "manufacturer"));
    t.created = yyjson_get_str(yyjson_obj_get(root, "created"));
    t.revoked = yyjson_get_str(yyjson_obj_get(root, "revoked"));
    int rc = 0;
    if (!t.manufacturer || !t.created)
        rc = REG_ESTORE;
    else if (!l->slug || strcmp(l->slug, t.manufacturer) == 0)
        rc = l->fn(l->ctx, &t);
    yyjson_doc_free(doc);
    return rc;
}

int auth_token_list(struct store_txn *txn, const char *slug, auth_token_fn fn, void *ctx)
{
    struct list_ctx l = {.slug = slug, .fn = fn, .ctx = ctx};
    return store_scan(txn, STORE_TOKENS, NULL, 0, list_one, &l);
}

int auth_token_revoke(struct store_txn *txn, const char *id)
{
    struct list_ctx l = {.want_id = id};
    struct store_val v;
    if (strlen(id) != AUTH_ID_LEN) return REG_ENOTFOUND;
    int rc = store_scan(txn, STORE_TOKENS, NULL, 0, list_one, &l);
    if (rc) return rc;
    if (l.nfound != 1) return l.nfound ? REG_EEXIST : REG_ENOTFOUND;
    if ((rc = store_get(txn, STORE_TOKENS, l.found, AUTH_HASH_LEN, &v))) return rc;
    yyjson_doc *doc = yyjson_read(v.data, v.len, 0);
    yyjson_mut_doc *m = yyjson_doc_mut_copy(doc, NULL);
    yyjson_doc_free(doc);
    yyjson_mut_val *root = yyjson_mut_doc_get_root(m);
    if (!yyjson_mut_is_obj(root)) {
        yyjson_mut_doc_free(m);
        return REG_ESTORE;
    }
    if (!yyjson_mut_obj_get(root, "revoked")) {
        char now[21];
        date_rfc3339(time(NULL), now);
        yyjson_mut_obj_add_strcpy(m, root, "revoked", now);
        size_t len;
        char *json = yyjson_mut_write(m, 0, &len);
        rc = json ? store_put(txn, STORE_TOKENS, l.found, AUTH_HASH_LEN, json, len, 0)
                  : REG_EINTERNAL;
        free(json);
    }
    yyjson_mut_doc_free(m);
    return rc;
}

int auth_token_check(struct store_txn *txn, const char *token, size_t len,
                     char slug_out[AUTH_SLUG_MAX])
{
    uint8_t hash[AUTH_HASH_LEN];
    struct store_val val;
    if (len != AUTH_TOKEN_LEN || memcmp(token, AUTH_TOKEN_PREFIX, 4) != 0) return REG_EAUTH;
    auth_token_hash(token, len, hash);
    int rc = store_get(txn, STORE_TOKENS, hash, sizeof hash, &val);
    if (rc == REG_ENOTFOUND) return REG_EAUTH;
    if (rc) return rc;
    yyjson_doc *doc = yyjson_read(val.data, val.len, 0);
    yyjson_val *root = yyjson_doc_get_root(doc);
    const char *slug = yyjson_get_str(yyjson_obj_get(root, "manufacturer"));
    rc = REG_ESTORE;
    if (yyjson_obj_get(root, "revoked"))
        rc = REG_EAUTH;
    else if (slug && strlen(slug) < AUTH_SLUG_MAX) {
        memcpy(slug_out, slug, strlen(slug) + 1);
        rc = 0;
    }
    yyjson_doc_free(doc);
    return rc;
}
