/* note.h: the transparency log's formats that need no tree (docs: /work/notes/log_spec.md):
 * Ed25519 signer and verifier keys as C2SP signed-note and Go's golang.org/x/mod/sumdb/note
 * write them, signing and opening signed notes, C2SP tlog-checkpoint bodies, and C2SP
 * tlog-tiles resource paths. The Merkle tree itself is tlog.c's.
 *
 * Ownership: the structs are plain values the caller owns (on its stack or inside its own); a
 * signer holds the secret key, so clear it with note_signer_wipe() when done. Output goes into
 * a caller's struct buf (appended). Refusals return REG_EBADKEY (a key string or key file),
 * REG_EBADNOTE (a malformed note, checkpoint or path) or REG_EUNVERIFIED (no signature by the
 * known key, or a bad one), with the reason in the struct reg_why when one is given. */
#ifndef SECLABEL_NOTE_H
#define SECLABEL_NOTE_H

#include "buf.h"
#include "why.h"

#include <stddef.h>
#include <stdint.h>

/* bytes of a key name (the log's origin) at most: the longest public URL seclabeld takes (400
 * bytes) without its scheme, plus "/log". Our limit; C2SP's signed-note sets none. */
#define NOTE_NAME_MAX 400
#define NOTE_HASH_LEN 32       /* a Merkle tree hash (SHA-256) */
#define NOTE_MAX_SIGS 100      /* signature lines opened per note (Go's limit; C2SP: at least 16) */
#define NOTE_TILE_WIDTH 256    /* hashes in a full tile (tile height 8) */
#define NOTE_TILE_ENTRIES (-1) /* note_tile_*'s level for entry bundles ("tile/entries/...") */
#define NOTE_TILE_LEVEL_MAX 63 /* C2SP tlog-tiles: L is 0..63 */
#define NOTE_KEY_FILE "log.key" /* the log's signing key in a data directory (and its backups) */

/* An Ed25519 signer: its key name, key ID and libsodium's 64-byte secret key (seed || public). */
struct note_signer {
    char name[NOTE_NAME_MAX + 1];
    uint32_t id;
    unsigned char sk[64];
};

/* An Ed25519 verifier: key name, key ID, public key. */
struct note_verifier {
    char name[NOTE_NAME_MAX + 1];
    uint32_t id;
    unsigned char pk[32];
};

/* The log's origin (and key name) for a public URL: the URL without its scheme and trailing
 * slashes, host in lower case, plus "/log" ("http://127.0.0.1:8080" -> "127.0.0.1:8080/log",
 * "https://Reg.example/x/" -> "reg.example/x/log"). Writes the NUL-terminated name into
 * out[NOTE_NAME_MAX + 1]. REG_EBADKEY if the URL is not http(s) or makes no valid key name. */
int note_origin_from_url(const char *url, char out[NOTE_NAME_MAX + 1], struct reg_why *why);

/* 1 if name is a valid key name (C2SP signed-note: non-empty UTF-8 without Unicode spaces or
 * '+'; at most NOTE_NAME_MAX bytes), else 0. */
int note_name_ok(const char *name, size_t len);

/* A new random signer named name. REG_EBADKEY if the name is not valid. */
int note_signer_generate(const char *name, struct note_signer *s, struct reg_why *why);
/* Parse the private key string "PRIVATE+KEY+<name>+<hex8 id>+<base64(0x01 || seed)>" (what
 * Go's note.GenerateKey returns), len bytes, with at most one trailing newline. Checks the
 * key ID against the public key. REG_EBADKEY if malformed. */
int note_signer_parse(const char *skey, size_t len, struct note_signer *s, struct reg_why *why);
/* Append s's private key string (no newline) to out. */
void note_signer_format(const struct note_signer *s, struct buf *out);
/* Read the signer from the key file at path. REG_ENOTFOUND if there is none, -errno if it
 * cannot be read, REG_EBADKEY if it holds no valid key. */
int note_signer_load(const char *path, struct note_signer *s, struct reg_why *why);
/* The signer in the key file at path, made first (a new key named name, mode 0600, created
 * with O_EXCL, so an existing file is never overwritten) if there is none; *created says which.
 * If the file exists and name is not NULL, the key's name must be name (REG_EBADKEY: a key
 * made for another origin). */
int note_signer_open(const char *path, const char *name, struct note_signer *s, int *created,
                     struct reg_why *why);
/* Forget s's secret key (sodium_memzero). */
void note_signer_wipe(struct note_signer *s);

/* Append the verifier key "<name>+<hex8 id>+<base64(0x01 || public key)>" of s to out. */
void note_verifier_key(const struct note_signer *s, struct buf *out);
/* Parse a verifier key string (len bytes, at most one trailing newline), checking its key ID.
 * REG_EBADKEY if malformed or not Ed25519. */
int note_verifier_parse(const char *vkey, size_t len, struct note_verifier *v, struct reg_why *why);

/* Append the signed note of text[0..len) to out: the text, a blank line and "— <name>
 * <base64(id || signature)>\n". The text must be valid UTF-8 without control characters other
 * than newline, end in a newline and not be empty: REG_EBADNOTE otherwise. */
int note_sign(const struct note_signer *s, const char *text, size_t len, struct buf *out,
              struct reg_why *why);
/* Open the signed note msg[0..len) with the one known verifier v: it must be well formed (as
 * note_sign writes, at most NOTE_MAX_SIGS signature lines), signatures by other keys are
 * ignored, and v's must be there and verify. On success *text_len is the length of the text
 * (msg[0..*text_len), newline included). REG_EBADNOTE if malformed, REG_EUNVERIFIED if v's
 * signature is missing or does not verify. */
int note_open(const char *msg, size_t len, const struct note_verifier *v, size_t *text_len,
              struct reg_why *why);

/* Append the C2SP tlog-checkpoint body "<origin>\n<size>\n<base64 root>\n" to out. */
void note_checkpoint_format(const char *origin, uint64_t size, const unsigned char *root,
                            struct buf *out);
/* Parse the checkpoint body text[0..len) (a note's text): its origin must be origin, the size
 * decimal without leading zeroes, the root 32 bytes in base64; extension lines, if any, must
 * be non-empty and are ignored. REG_EBADNOTE otherwise. */
int note_checkpoint_parse(const char *text, size_t len, const char *origin, uint64_t *size,
                          unsigned char root[NOTE_HASH_LEN], struct reg_why *why);

/* Append the C2SP tlog-tiles path of a tile to out: "tile/<level>/<n>" or, for level
 * NOTE_TILE_ENTRIES, "tile/entries/<n>", with n as 3-digit groups ("x001/x234/067") and
 * ".p/<width>" when width < NOTE_TILE_WIDTH. level in -1..NOTE_TILE_LEVEL_MAX, width in
 * 1..NOTE_TILE_WIDTH: REG_EBADREQ otherwise. */
int note_tile_path(int level, uint64_t n, unsigned width, struct buf *out);
/* Parse path[0..len) (starting at "tile/"), strictly: only the form note_tile_path writes is
 * accepted (no leading zeroes, no missing or extra "x" groups, width 1..255 after ".p/", n
 * below 2^63). REG_ENOTFOUND otherwise (a server answers 404: no such resource). */
int note_tile_parse(const char *path, size_t len, int *level, uint64_t *n, unsigned *width);

#endif
