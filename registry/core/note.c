/* note.c: C2SP signed-note keys and notes (Ed25519), tlog-checkpoint bodies and tlog-tiles
 * paths: see note.h. The formats follow c2sp.org/signed-note, tlog-checkpoint and tlog-tiles
 * and Go's golang.org/x/mod/sumdb/note and sumdb/tlog (their reference implementation), which
 * the tests run against this code (tests/tools/tlogcheck). Cryptography, base64 and hex are
 * libsodium's; UTF-8 and Unicode spaces ICU's. The rest is string handling: no Debian C
 * library implements signed notes or tile paths. */
#include "note.h"

#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unicode/uchar.h>
#include <unicode/utf8.h>
#include <unistd.h>

#define ALG_ED25519 0x01
#define SIG_PREFIX "\xe2\x80\x94 " /* em dash U+2014, space */
#define KEY_FILE_MAX 1024          /* bytes read from a key file: keys are about 100 */

/* 1 if s[0..len) is valid UTF-8 without control characters other than newline. */
static int text_ok(const char *s, size_t len)
{
    int32_t i = 0, n = (int32_t)len;
    if (len > INT32_MAX) return 0;
    while (i < n) {
        UChar32 c;
        U8_NEXT(s, i, n, c);
        if (c < 0 || (c < 0x20 && c != '\n')) return 0;
    }
    return 1;
}

int note_name_ok(const char *name, size_t len)
{
    if (len == 0 || len > NOTE_NAME_MAX || !text_ok(name, len)) return 0;
    int32_t i = 0, n = (int32_t)len;
    while (i < n) {
        UChar32 c;
        U8_NEXT(name, i, n, c);
        if (c == '+' || u_isUWhiteSpace(c)) return 0; /* White_Space: Go's unicode.IsSpace */
    }
    return 1;
}

/* The key ID: the first 4 bytes, big-endian, of SHA-256(name || "\n" || 0x01 || pk). */
static uint32_t key_id(const char *name, const unsigned char pk[32])
{
    crypto_hash_sha256_state st;
    unsigned char alg = ALG_ED25519, h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_init(&st);
    crypto_hash_sha256_update(&st, (const unsigned char *)name, strlen(name));
    crypto_hash_sha256_update(&st, (const unsigned char *)"\n", 1);
    crypto_hash_sha256_update(&st, &alg, 1);
    crypto_hash_sha256_update(&st, pk, 32);
    crypto_hash_sha256_final(&st, h);
    return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

/* Decode exactly the base64 (standard, padded, canonical) s[0..len) into out[0..cap): the
 * number of bytes, or 0 if it is not that (or empty). */
static size_t b64_decode(const char *s, size_t len, unsigned char *out, size_t cap)
{
    size_t n;
    const char *end;
    if (len == 0 ||
        sodium_base642bin(out, cap, s, len, NULL, &n, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != s + len)
        return 0;
    return n;
}

static void b64_put(struct buf *out, const unsigned char *p, size_t n)
{
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
    buf_reserve(out, cap);
    sodium_bin2base64(out->data + out->len, cap, p, n, sodium_base64_VARIANT_ORIGINAL);
    out->len += cap - 1;
}

/* 1 if s[0..len) is a key ID, exactly 8 lowercase hex digits (then in *id), else 0. */
static int hex8(const char *s, size_t len, uint32_t *id)
{
    uint32_t v = 0;
    if (len != 8) return 0;
    for (size_t i = 0; i < 8; i++) {
        const char *d = strchr("0123456789abcdef", s[i]);
        if (!s[i] || !d) return 0;
        v = v << 4 | (uint32_t)(d - "0123456789abcdef");
    }
    *id = v;
    return 1;
}

/* Drop one trailing newline (a key file's). */
static size_t chomp(const char *s, size_t len)
{
    return len > 0 && s[len - 1] == '\n' ? len - 1 : len;
}

/* Split "<name>+<hex8>+<base64>" (s[0..len)) into its parts: name, id, and the decoded
 * 0x01 || 32-byte key material in key[33]. */
static int split_key(const char *s, size_t len, char name[NOTE_NAME_MAX + 1], uint32_t *id,
                     unsigned char key[33], struct reg_why *why, const char *what)
{
    const char *p1 = memchr(s, '+', len);
    const char *p2 = p1 ? memchr(p1 + 1, '+', len - (size_t)(p1 + 1 - s)) : NULL;
    if (!p2) return reg_why_set(why, REG_EBADKEY, "a %s has three parts joined by '+'", what);
    size_t nlen = (size_t)(p1 - s);
    if (!note_name_ok(s, nlen))
        return reg_why_set(why, REG_EBADKEY, "the %s's name is not a valid key name", what);
    memcpy(name, s, nlen);
    name[nlen] = '\0';
    if (!hex8(p1 + 1, (size_t)(p2 - p1 - 1), id))
        return reg_why_set(why, REG_EBADKEY, "the %s's key ID is not 8 lowercase hex digits", what);
    unsigned char tmp[64];
    size_t n = b64_decode(p2 + 1, len - (size_t)(p2 + 1 - s), tmp, sizeof tmp);
    if (n == 0) return reg_why_set(why, REG_EBADKEY, "the %s's key is not base64", what);
    if (tmp[0] != ALG_ED25519)
        return reg_why_set(why, REG_EBADKEY, "the %s is not an Ed25519 key (type 0x01)", what);
    if (n != 33) return reg_why_set(why, REG_EBADKEY, "the %s's Ed25519 key is not 32 bytes", what);
    memcpy(key, tmp, 33);
    sodium_memzero(tmp, sizeof tmp);
    return 0;
}

int note_origin_from_url(const char *url, char out[NOTE_NAME_MAX + 1], struct reg_why *why)
{
    const char *h = !strncmp(url, "https://", 8)  ? url + 8
                    : !strncmp(url, "http://", 7) ? url + 7
                                                  : NULL;
    if (!h) return reg_why_set(why, REG_EBADKEY, "the public URL %s is not http(s)", url);
    size_t n = strlen(h);
    while (n > 0 && h[n - 1] == '/')
        n--;
    size_t hostlen = strcspn(h, "/");
    if (hostlen > n) hostlen = n;
    if (hostlen == 0 || strcspn(h, "?#@") < n || n + 4 > NOTE_NAME_MAX)
        return reg_why_set(why, REG_EBADKEY, "the public URL %s has no usable host", url);
    for (size_t i = 0; i < n; i++)
        out[i] = i < hostlen && h[i] >= 'A' && h[i] <= 'Z' ? (char)(h[i] - 'A' + 'a') : h[i];
    memcpy(out + n, "/log", 5);
    if (!note_name_ok(out, n + 4))
        return reg_why_set(why, REG_EBADKEY, "the public URL %s makes no valid key name", url);
    return 0;
}

/* Fill s's id from its name and secret key. */
static void signer_fill(struct note_signer *s)
{
    s->id = key_id(s->name, s->sk + 32);
}

int note_signer_generate(const char *name, struct note_signer *s, struct reg_why *why)
{
    size_t n = strlen(name);
    if (!note_name_ok(name, n))
        return reg_why_set(why, REG_EBADKEY, "'%s' is not a key name", name);
    if (sodium_init() < 0) return reg_why_set(why, REG_EINTERNAL, "libsodium cannot start");
    unsigned char pk[32];
    memcpy(s->name, name, n + 1);
    crypto_sign_keypair(pk, s->sk);
    signer_fill(s);
    return 0;
}

int note_signer_parse(const char *skey, size_t len, struct note_signer *s, struct reg_why *why)
{
    static const char head[] = "PRIVATE+KEY+";
    len = chomp(skey, len);
    if (len < sizeof head - 1 || memcmp(skey, head, sizeof head - 1))
        return reg_why_set(why, REG_EBADKEY, "a private key begins with PRIVATE+KEY+");
    unsigned char key[33], pk[32];
    uint32_t id;
    int rc = split_key(skey + sizeof head - 1, len - (sizeof head - 1), s->name, &id, key, why,
                       "private key");
    if (rc) return rc;
    crypto_sign_seed_keypair(pk, s->sk, key + 1);
    sodium_memzero(key, sizeof key);
    signer_fill(s);
    if (s->id != id) {
        note_signer_wipe(s);
        return reg_why_set(why, REG_EBADKEY, "the private key's key ID does not match its key");
    }
    return 0;
}

void note_signer_format(const struct note_signer *s, struct buf *out)
{
    unsigned char key[33] = {ALG_ED25519};
    memcpy(key + 1, s->sk, 32); /* libsodium's secret key begins with the seed */
    buf_printf(out, "PRIVATE+KEY+%s+%08x+", s->name, (unsigned)s->id);
    b64_put(out, key, sizeof key);
    sodium_memzero(key, sizeof key);
}

void note_signer_wipe(struct note_signer *s)
{
    sodium_memzero(s, sizeof *s);
}

int note_signer_load(const char *path, struct note_signer *s, struct reg_why *why)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return errno == ENOENT
                   ? reg_why_set(why, REG_ENOTFOUND, "no key file %s", path)
                   : reg_why_set(why, -errno, "cannot read %s: %s", path, strerror(errno));
    char text[KEY_FILE_MAX];
    ssize_t n = read(fd, text, sizeof text);
    int err = errno;
    close(fd);
    if (n < 0) return reg_why_set(why, -err, "cannot read %s: %s", path, strerror(err));
    int rc = (size_t)n == sizeof text ? reg_why_set(why, REG_EBADKEY, "the key file is too long")
                                      : note_signer_parse(text, (size_t)n, s, why);
    sodium_memzero(text, sizeof text);
    if (rc == REG_EBADKEY) reg_why_add(why, " (in %s)", path);
    return rc;
}

/* Write a new key file at path (O_EXCL, mode 0600, synced), or remove what was begun. */
static int signer_create(const char *path, const struct note_signer *s, struct reg_why *why)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return reg_why_set(why, -errno, "cannot create %s: %s", path, strerror(errno));
    struct buf b = BUF_INIT;
    note_signer_format(s, &b);
    buf_putc(&b, '\n');
    errno = EIO; /* a short write sets none */
    int rc = write(fd, b.data, b.len) == (ssize_t)b.len && fsync(fd) == 0 ? 0 : -errno;
    sodium_memzero(b.data, b.len);
    buf_free(&b);
    if (close(fd) && !rc) rc = -errno;
    if (rc) {
        unlink(path);
        return reg_why_set(why, rc, "cannot write %s: %s", path, strerror(-rc));
    }
    return 0;
}

int note_signer_open(const char *path, const char *name, struct note_signer *s, int *created,
                     struct reg_why *why)
{
    *created = 0;
    int rc = note_signer_load(path, s, why);
    if (rc == REG_ENOTFOUND && name) {
        reg_why_clear(why);
        if ((rc = note_signer_generate(name, s, why))) return rc;
        rc = signer_create(path, s, why);
        if (rc == -EEXIST) /* made meanwhile by another process: use that one */
            return note_signer_open(path, name, s, created, why);
        if (rc) note_signer_wipe(s);
        *created = rc == 0;
        return rc;
    }
    if (rc) return rc;
    if (name && strcmp(name, s->name)) {
        rc = reg_why_set(why, REG_EBADKEY,
                         "the key in %s is named %s, but the log's origin is %s (the key name "
                         "is the origin: give the public URL the key was made for)",
                         path, s->name, name);
        note_signer_wipe(s);
    }
    return rc;
}

void note_verifier_key(const struct note_signer *s, struct buf *out)
{
    unsigned char key[33] = {ALG_ED25519};
    memcpy(key + 1, s->sk + 32, 32);
    buf_printf(out, "%s+%08x+", s->name, (unsigned)s->id);
    b64_put(out, key, sizeof key);
}

int note_verifier_parse(const char *vkey, size_t len, struct note_verifier *v, struct reg_why *why)
{
    unsigned char key[33];
    uint32_t id;
    int rc = split_key(vkey, chomp(vkey, len), v->name, &id, key, why, "verifier key");
    if (rc) return rc;
    memcpy(v->pk, key + 1, 32);
    v->id = key_id(v->name, v->pk);
    if (v->id != id)
        return reg_why_set(why, REG_EBADKEY, "the verifier key's key ID does not match its key");
    return 0;
}

int note_sign(const struct note_signer *s, const char *text, size_t len, struct buf *out,
              struct reg_why *why)
{
    if (len == 0 || text[len - 1] != '\n' || !text_ok(text, len))
        return reg_why_set(why, REG_EBADNOTE,
                           "a note's text is UTF-8 without control characters but newlines, "
                           "ending in a newline");
    unsigned char sig[4 + crypto_sign_BYTES] = {(unsigned char)(s->id >> 24),
                                                (unsigned char)(s->id >> 16),
                                                (unsigned char)(s->id >> 8), (unsigned char)s->id};
    crypto_sign_detached(sig + 4, NULL, (const unsigned char *)text, len, s->sk);
    buf_append(out, text, len);
    buf_puts(out, "\n" SIG_PREFIX);
    buf_puts(out, s->name);
    buf_putc(out, ' ');
    b64_put(out, sig, sizeof sig);
    buf_putc(out, '\n');
    return 0;
}

/* The start of the last "\n\n" in msg[0..len), or NULL. */
static const char *last_blank(const char *msg, size_t len)
{
    for (size_t i = len; i >= 2; i--)
        if (msg[i - 1] == '\n' && msg[i - 2] == '\n') return msg + i - 2;
    return NULL;
}

/* Check one signature line (without its newline) against v: 1 if it is v's and verifies,
 * 0 if it is another key's, or a refusal. */
static int open_sig(const char *line, size_t n, const char *text, size_t text_len,
                    const struct note_verifier *v, struct reg_why *why)
{
    const size_t plen = sizeof SIG_PREFIX - 1;
    if (n < plen || memcmp(line, SIG_PREFIX, plen))
        return reg_why_set(why, REG_EBADNOTE,
                           "a signature line begins with an em dash and a space");
    line += plen, n -= plen;
    const char *sp = memchr(line, ' ', n);
    size_t nlen = sp ? (size_t)(sp - line) : n, blen = sp ? n - nlen - 1 : 0;
    /* Decoded whole: other keys' signatures (other types) may be longer than an Ed25519 one. */
    unsigned char *sig = xmalloc(blen + 1);
    size_t slen = sp ? b64_decode(sp + 1, blen, sig, blen + 1) : 0;
    int rc = !note_name_ok(line, nlen) || slen < 5
                 ? reg_why_set(why, REG_EBADNOTE, "a signature line is malformed")
                 : 0;
    uint32_t id =
        rc ? 0 : (uint32_t)sig[0] << 24 | (uint32_t)sig[1] << 16 | (uint32_t)sig[2] << 8 | sig[3];
    if (rc || id != v->id || nlen != strlen(v->name) || memcmp(line, v->name, nlen))
        ; /* malformed, or another key's: ignored */
    else if (slen != 4 + crypto_sign_BYTES ||
             crypto_sign_verify_detached(sig + 4, (const unsigned char *)text, text_len, v->pk))
        rc = reg_why_set(why, REG_EUNVERIFIED, "the signature by %s does not verify", v->name);
    else
        rc = 1;
    free(sig);
    return rc;
}

int note_open(const char *msg, size_t len, const struct note_verifier *v, size_t *text_len,
              struct reg_why *why)
{
    if (!text_ok(msg, len))
        return reg_why_set(why, REG_EBADNOTE,
                           "a note is UTF-8 without control characters but newlines");
    const char *split = last_blank(msg, len);
    if (!split || split + 2 == msg + len || msg[len - 1] != '\n')
        return reg_why_set(why, REG_EBADNOTE,
                           "a note ends in a blank line and signature lines, each ending in a "
                           "newline");
    size_t tlen = (size_t)(split - msg) + 1;
    int found = 0, count = 0;
    for (const char *p = split + 2, *end = msg + len; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (++count > NOTE_MAX_SIGS)
            return reg_why_set(why, REG_EBADNOTE, "a note has more than %d signatures",
                               NOTE_MAX_SIGS);
        int rc = open_sig(p, (size_t)(nl - p), msg, tlen, v, why);
        if (rc < 0) return rc;
        found |= rc;
        p = nl + 1;
    }
    if (!found) return reg_why_set(why, REG_EUNVERIFIED, "the note is not signed by %s", v->name);
    *text_len = tlen;
    return 0;
}

void note_checkpoint_format(const char *origin, uint64_t size, const unsigned char *root,
                            struct buf *out)
{
    buf_puts(out, origin);
    buf_putc(out, '\n');
    buf_put_u64(out, size);
    buf_putc(out, '\n');
    b64_put(out, root, NOTE_HASH_LEN);
    buf_putc(out, '\n');
}

/* 1 if text[*at..len) has another line, ending in a newline: then in *line, *n (without the
 * newline), and *at moves past it; else 0. */
static int next_line(const char *text, size_t len, size_t *at, const char **line, size_t *n)
{
    const char *nl = *at < len ? memchr(text + *at, '\n', len - *at) : NULL;
    if (!nl) return 0;
    *line = text + *at;
    *n = (size_t)(nl - *line);
    *at += *n + 1;
    return 1;
}

int note_checkpoint_parse(const char *text, size_t len, const char *origin, uint64_t *size,
                          unsigned char root[NOTE_HASH_LEN], struct reg_why *why)
{
    const char *l[3];
    size_t n[3], at = 0;
    for (int i = 0; i < 3; i++)
        if (!next_line(text, len, &at, &l[i], &n[i]) || n[i] == 0)
            return reg_why_set(why, REG_EBADNOTE,
                               "a checkpoint begins with three lines: origin, "
                               "size, root hash");
    if (n[0] != strlen(origin) || memcmp(l[0], origin, n[0]))
        return reg_why_set(why, REG_EBADNOTE, "the checkpoint is not for the log %s", origin);
    uint64_t v = 0;
    for (size_t i = 0; i < n[1]; i++) {
        unsigned d = (unsigned char)l[1][i] - '0';
        if (d > 9 || (i == 0 && d == 0 && n[1] > 1) || v > (UINT64_MAX - d) / 10)
            return reg_why_set(why, REG_EBADNOTE, "the checkpoint's size is not a decimal number");
        v = v * 10 + d;
    }
    unsigned char h[NOTE_HASH_LEN + 1];
    if (b64_decode(l[2], n[2], h, sizeof h) != NOTE_HASH_LEN)
        return reg_why_set(why, REG_EBADNOTE,
                           "the checkpoint's root hash is not 32 bytes in base64");
    const char *ext;
    size_t elen;
    while (at < len)
        if (!next_line(text, len, &at, &ext, &elen) || elen == 0)
            return reg_why_set(why, REG_EBADNOTE, "a checkpoint's extension lines are not empty");
    *size = v;
    memcpy(root, h, NOTE_HASH_LEN);
    return 0;
}

/* Append n as 3-digit groups, all but the last prefixed with "x". */
static void put_index(struct buf *out, uint64_t n)
{
    char groups[8][4];
    int k = 0;
    do {
        snprintf(groups[k++], sizeof groups[0], "%03u", (unsigned)(n % 1000));
        n /= 1000;
    } while (n > 0);
    while (k-- > 0) {
        if (k > 0) buf_putc(out, 'x');
        buf_puts(out, groups[k]);
        if (k > 0) buf_putc(out, '/');
    }
}

int note_tile_path(int level, uint64_t n, unsigned width, struct buf *out)
{
    if (level < NOTE_TILE_ENTRIES || level > NOTE_TILE_LEVEL_MAX || width < 1 ||
        width > NOTE_TILE_WIDTH || n > INT64_MAX)
        return REG_EBADREQ;
    if (level == NOTE_TILE_ENTRIES)
        buf_puts(out, "tile/entries/");
    else
        buf_printf(out, "tile/%d/", level);
    put_index(out, n);
    if (width < NOTE_TILE_WIDTH) buf_printf(out, ".p/%u", width);
    return 0;
}

/* 1 if s[0..len) is a number in 0..max in decimal without leading zeroes (then in *v). */
static int small_num(const char *s, size_t len, long max, long *v)
{
    long x = 0;
    if (len == 0 || len > 3 || (s[0] == '0' && len > 1)) return 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return x <= max;
}

int note_tile_parse(const char *path, size_t len, int *level, uint64_t *n, unsigned *width)
{
    size_t at = 5;
    if (len < 5 || memcmp(path, "tile/", 5)) return REG_ENOTFOUND;
    const char *slash = memchr(path + at, '/', len - at);
    if (!slash) return REG_ENOTFOUND;
    size_t l = (size_t)(slash - path) - at;
    long lv = NOTE_TILE_ENTRIES;
    if (!(l == 7 && !memcmp(path + at, "entries", 7)) &&
        !small_num(path + at, l, NOTE_TILE_LEVEL_MAX, &lv))
        return REG_ENOTFOUND;
    at += l + 1;
    /* Groups "x" + 3 digits + "/", then 3 digits; then ".p/" + width, or the end. */
    uint64_t v = 0;
    unsigned w = NOTE_TILE_WIDTH;
    for (int groups = 0;; groups++) {
        int x = at < len && path[at] == 'x';
        const char *d = path + at + (size_t)x;
        if (groups > 6 || at + (size_t)x + 3 > len) return REG_ENOTFOUND;
        for (int i = 0; i < 3; i++)
            if (d[i] < '0' || d[i] > '9') return REG_ENOTFOUND;
        v = v * 1000 + (uint64_t)((d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0'));
        at += (size_t)x + 3;
        if (x) {
            if (at >= len || path[at] != '/') return REG_ENOTFOUND;
            at++;
            continue;
        }
        break;
    }
    if (at < len) {
        long pw = 0;
        if (len - at < 4 || memcmp(path + at, ".p/", 3) ||
            !small_num(path + at + 3, len - at - 3, NOTE_TILE_WIDTH - 1, &pw) || pw < 1)
            return REG_ENOTFOUND;
        w = (unsigned)pw;
    }
    /* Canonical: no leading "x000/" group; and in range (7 groups can reach 10^21). */
    struct buf again = BUF_INIT;
    int rc = v <= INT64_MAX && note_tile_path((int)lv, v, w, &again) == 0 && again.len == len &&
                     !memcmp(again.data, path, len)
                 ? 0
                 : REG_ENOTFOUND;
    buf_free(&again);
    if (rc) return rc;
    *level = (int)lv;
    *n = v;
    *width = w;
    return 0;
}
