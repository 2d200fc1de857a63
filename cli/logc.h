/* logc.h: what seclabel verify and seclabel monitor share about the registry's transparency log
 * as a client sees it: the pinned key, reading the registry's answers (proof hashes, checkpoints
 * opened with the pinned key), the files kept in the config directory per log origin, the
 * consistency proof between two checkpoints, and which record members a log entry holds.
 *
 * Ownership: arguments are the caller's and only read, except the struct bufs, which are
 * appended to (or, for a fetched body, replaced). Exit codes are client.h's enum cli_exit. */
#ifndef SECLABEL_LOGC_H
#define SECLABEL_LOGC_H

#include "buf.h"
#include "client.h"
#include "note.h"
#include "tlog.h"
#include "why.h"

#include <stddef.h>
#include <stdint.h>
#include <yyjson.h>

#define LOGC_FILE_MAX (4u << 20) /* bytes of a kept or saved file read back */
#define LOGC_CODE_MAX 64         /* bytes of a server's error code, with its NUL */

/* The verifier key: given (--log-key) or pinned (config set log-key). Without one, says in one
 * line on stderr how to get and pin it (for command `cmd`; never trusted on first use; saved:
 * NULL, or the directory of verify --offline, whose log-key file it warns is not trusted) and
 * returns CLI_USAGE; a string that is not a verifier key: CLI_USAGE too. */
int logc_key(const char *given, const char *cmd, const struct client *c, const char *saved,
             struct note_verifier *v);

/* The JSON array arr of base64 SHA-256 hashes into out (TLOG_PROOF_MAX at most): 0, or 1 if it
 * is not such an array. */
int logc_hashes(yyjson_val *arr, unsigned char out[TLOG_PROOF_MAX][TLOG_HASH], size_t *n);

/* Open the signed checkpoint cp[0..len) with v: its size and root hash. REG_EUNVERIFIED (not
 * signed by v), REG_EBADNOTE (not a signed note, or not a checkpoint of v's origin), why says
 * more. */
int logc_checkpoint(const struct note_verifier *v, const char *cp, size_t len, uint64_t *size,
                    unsigned char root[TLOG_HASH], struct reg_why *why);

/* CONFIG/<sub> into dir and CONFIG/<sub>/<origin with every byte but [A-Za-z0-9._-] as %XX>
 * into path; 1 without a config directory (neither XDG_CONFIG_HOME nor HOME). */
int logc_config_path(const char *sub, const char *origin, struct buf *dir, struct buf *path);
/* mkdir -p dir, mode 0700 for the directories made: 0 or -errno. */
int logc_make_dirs(const char *dir);

/* GET path into out: CLI_OK for a 200; CLI_UNREACHABLE (client_request said why on stderr);
 * else CLI_FAILED (CLI_UNAUTHORISED for 401/403) with "GET path: HTTP n: message" appended to
 * msg and the server's error code in code[LOGC_CODE_MAX] (if code is not NULL). */
int logc_get(struct client *c, const char *path, struct buf *out, struct buf *msg, char *code);

/* Is the tree of size m with root r1 the start of the tree of size n with root r2 (m < n)?
 * Asks GET /log/proof?old=m&new=n and checks the proof (tlogv.h): CLI_OK, REG_EBADPROOF (why
 * says how it fails: a fork), or another exit code with msg saying why. */
int logc_consistent(struct client *c, uint64_t m, const unsigned char r1[TLOG_HASH], uint64_t n,
                    const unsigned char r2[TLOG_HASH], struct buf *msg, struct reg_why *why);

/* Compare an API record with a product's log entry: fn(ctx, member, record's value, entry's
 * value) for every member of the entry that the record lacks or has otherwise, and every member
 * a log entry holds (product.c's own members, then decl_fields.h's) that the record has and the
 * entry lacks (a NULL value: absent). Returns how many differ. */
typedef void (*logc_differ_fn)(void *ctx, const char *member, yyjson_val *rv, yyjson_val *ev);
int logc_compare(yyjson_val *rec, yyjson_val *entry, logc_differ_fn fn, void *ctx);

#endif
