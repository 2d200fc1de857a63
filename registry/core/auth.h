/* auth.h: manufacturers' API tokens: made from OS randomness, stored only as hashes.
 *
 * A token is "slt_" followed by 43 base64url characters (32 random bytes from libsodium's
 * randombytes, i.e. getrandom). The tokens table keys a BLAKE2b-256 hash of the token, so the
 * database never holds a usable secret. A lookup hashes the presented token and finds that hash
 * as a key: any timing difference in the key search depends only on hash bytes, which tell an
 * attacker nothing about a valid token (the usual reason for a constant-time compare). */
#ifndef SECLABEL_AUTH_H
#define SECLABEL_AUTH_H

#include <stddef.h>
#include <stdint.h>

struct store_txn;

#define AUTH_TOKEN_PREFIX "slt_"
#define AUTH_TOKEN_LEN 47 /* prefix + 43 */
#define AUTH_HASH_LEN 32
#define AUTH_SLUG_MAX 64

/* Initialise libsodium; call once before anything else here. Returns 0 or REG_EINTERNAL. */
int auth_init(void);
/* Make a new random token (NUL-terminated) into out. */
void auth_token_new(char out[AUTH_TOKEN_LEN + 1]);
/* Hash of a token as stored. */
void auth_token_hash(const char *token, size_t len, uint8_t out[AUTH_HASH_LEN]);
/* Make a token for manufacturer `slug`, store its hash in txn, copy the token to out. 0 or the
 * store's code (REG_EEXIST, ...); REG_EINTERNAL should the slug not fit (cannot happen). */
int auth_token_issue(struct store_txn *txn, const char *slug, char out[AUTH_TOKEN_LEN + 1]);
/* Find the manufacturer a token was issued to: 0 and the slug in slug_out, or REG_EAUTH if the
 * token is unknown or revoked. Whether that maker may still use it is mfr_find_by_token's
 * (mfr.h), which requests go through. */
int auth_token_check(struct store_txn *txn, const char *token, size_t len,
                     char slug_out[AUTH_SLUG_MAX]);

/* A token's public identifier: the first AUTH_ID_LEN hex digits of its hash. Safe to print and
 * log; it names a token for listing and revocation but cannot be used to authenticate. */
#define AUTH_ID_LEN 12
/* The public identifier of the token whose hash is `hash`. */
void auth_token_id(const uint8_t hash[AUTH_HASH_LEN], char id[AUTH_ID_LEN + 1]);
struct auth_token_info {
    char id[AUTH_ID_LEN + 1];
    const char *manufacturer; /* borrowed for the callback only */
    const char *created;
    const char *revoked; /* NULL while the token is valid */
};
/* Call fn for each token (of manufacturer slug, or all if NULL). */
typedef int (*auth_token_fn)(void *ctx, const struct auth_token_info *t);
int auth_token_list(struct store_txn *txn, const char *slug, auth_token_fn fn, void *ctx);
/* Revoke the token with identifier id: it stays listed as revoked and never authenticates
 * again. REG_ENOTFOUND if no token has that id; revoking twice changes nothing. */
int auth_token_revoke(struct store_txn *txn, const char *id);

#endif
