/* auth.c: token creation, hashing and lookup with libsodium (see auth.h). */
#include "auth.h"

#include "date.h"
#include "err.h"
#include "store.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
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
    if (n < 0 || (size_t)n >= sizeof val) return -EINVAL;
    return store_put(txn, STORE_TOKENS, hash, sizeof hash, val, (size_t)n, STORE_NOOVERWRITE);
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
    const char *slug = yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(doc), "manufacturer"));
    rc = REG_ESTORE;
    if (slug && strlen(slug) < AUTH_SLUG_MAX) {
        memcpy(slug_out, slug, strlen(slug) + 1);
        rc = 0;
    }
    yyjson_doc_free(doc);
    return rc;
}
