/* represent.c: the representation sent for a handler's answer (see represent.h): validators
 * and conditional GETs (RFC 9110 §8.8, §13).
 *
 * The generic ETag is BLAKE2b (libsodium's crypto_generichash, already linked for the tokens)
 * of the content type and the body, cut to 128 bits and written in base64url: a strong
 * validator must change whenever the bytes do, and a cache in front trusts it blindly. FNV-1a
 * (hash.h) is not keyed and trivially collided on purpose: a maker could write a declaration
 * whose page hashes like another version's, and a revalidating cache would keep serving the old
 * one. BLAKE2b costs about a microsecond per kilobyte here, and handlers that know their version
 * (records, labels) set their own ETag and skip it. */
#include "represent.h"

#include "err.h"

#include <sodium.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define ETAG_HASH_BYTES 16 /* 128 bits: collisions need about 2^64 tries */

int represent_etag_listed(const char *h, size_t len, const char *etag)
{
    size_t el = strlen(etag);
    /* A list of entity tags: compare each, ignoring a weak W/ prefix (RFC 9110 13.1.2). */
    for (size_t i = 0; i < len;) {
        while (i < len && (h[i] == ' ' || h[i] == ',' || h[i] == '\t'))
            i++;
        if (i < len && h[i] == '*') return 1;
        if (i + 2 <= len && h[i] == 'W' && h[i + 1] == '/') i += 2;
        size_t start = i;
        while (i < len && h[i] != ',')
            i++;
        size_t n = i;
        while (n > start && (h[n - 1] == ' ' || h[n - 1] == '\t'))
            n--;
        if (n - start == el && memcmp(h + start, etag, el) == 0) return 1;
    }
    return 0;
}

int represent_parse_date(const char *s, size_t len, long *t)
{
    /* RFC 9110 §5.6.7's three forms; strptime's %a and %b read English names in the C locale
     * the server runs in. A two-digit RFC 850 year is read as %y does (69-99: 19xx, else
     * 20xx), which is the RFC's "within 50 years" rule for every date a client sends today. */
    static const char *const forms[] = {
        "%a, %d %b %Y %H:%M:%S GMT", /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
        "%A, %d-%b-%y %H:%M:%S GMT", /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
        "%a %b %e %H:%M:%S %Y",      /* asctime: Sun Nov  6 08:49:37 1994 */
    };
    char v[64];
    if (len == 0 || len >= sizeof v) return REG_EBADREQ;
    memcpy(v, s, len);
    v[len] = '\0';
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        const char *end = strptime(v, forms[i], &tm);
        if (!end || *end) continue;
        time_t r = timegm(&tm);
        if (r == (time_t)-1) continue;
        *t = (long)r;
        return 0;
    }
    return REG_EBADREQ;
}

/* The value of header line `name` in the handler's header lines h, its length into *vlen; NULL
 * if there is none. */
static const char *resp_header(const struct buf *h, const char *name, size_t *vlen)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i < h->len;) {
        const char *line = h->data + i;
        const char *eol = memchr(line, '\r', h->len - i);
        size_t ll = eol ? (size_t)(eol - line) : h->len - i;
        if (ll > nl && line[nl] == ':' && strncasecmp(line, name, nl) == 0) {
            const char *v = line + nl + 1;
            while (v < line + ll && *v == ' ')
                v++;
            *vlen = (size_t)(line + ll - v);
            return v;
        }
        i += ll + 2;
    }
    return NULL;
}

/* The headers a 304 keeps (RFC 9110 §15.4.5: those a 200 would carry that guide a cache's
 * update of what it stored) and the CORS ones, so a script may read the 304 too. */
static int kept_in_304(const char *line, size_t ll)
{
    static const char *const kept[] = {"ETag",          "Cache-Control",    "Vary",
                                       "Last-Modified", "Content-Location", "Expires"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++) {
        size_t n = strlen(kept[i]);
        if (ll > n && line[n] == ':' && strncasecmp(line, kept[i], n) == 0) return 1;
    }
    return ll > 15 && strncasecmp(line, "Access-Control-", 15) == 0;
}

/* Make resp a 304 Not Modified: no body (http.c writes neither Content-Type nor
 * Content-Length for it), and only the header lines kept_in_304 names. */
static void not_modified(struct http_resp *resp)
{
    struct buf *h = &resp->headers;
    size_t o = 0;
    for (size_t i = 0; i < h->len;) {
        const char *eol = memchr(h->data + i, '\r', h->len - i);
        size_t ll = eol ? (size_t)(eol - (h->data + i)) : h->len - i;
        size_t n = ll + 2 <= h->len - i ? ll + 2 : h->len - i;
        if (kept_in_304(h->data + i, ll)) {
            memmove(h->data + o, h->data + i, n);
            o += n;
        }
        i += n;
    }
    h->len = o;
    buf_reset(&resp->body);
    resp->status = 304;
}

/* The strong ETag of resp's body and type into tag: "<22 base64url characters>". */
static void body_etag(const struct http_resp *resp, char tag[128])
{
    unsigned char h[ETAG_HASH_BYTES];
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, sizeof h);
    const char *ct = resp->content_type ? resp->content_type : "";
    crypto_generichash_update(&st, (const unsigned char *)ct, strlen(ct) + 1);
    crypto_generichash_update(&st, (const unsigned char *)resp->body.data, resp->body.len);
    crypto_generichash_final(&st, h, sizeof h);
    tag[0] = '"';
    sodium_bin2base64(tag + 1, 30, h, sizeof h, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    strcat(tag, "\"");
}

/* 1 if req's conditions say the client holds what resp (a 200 with validators) would send:
 * If-None-Match against etag; without it, If-Modified-Since against resp->last_modified
 * (RFC 9110 §13.2.2's order; If-Match and If-Unmodified-Since concern writes only here). */
static int client_has_it(const struct http_req *req, const struct http_resp *resp, const char *etag)
{
    size_t len;
    const char *h = http_req_header(req, "if-none-match", &len);
    if (h) return *etag && represent_etag_listed(h, len, etag);
    h = http_req_header(req, "if-modified-since", &len);
    long since;
    /* An invalid date is ignored (§13.1.3), as is one in the future, which no copy can hold. */
    if (!h || !resp->last_modified || represent_parse_date(h, len, &since) ||
        since > (long)time(NULL))
        return 0;
    return resp->last_modified <= since;
}

void represent_finish(const struct http_req *req, struct http_resp *resp)
{
    if (resp->status != 200 || resp->stream || resp->prebuilt || !resp->body.len ||
        !(req->method & (HTTP_M_GET | HTTP_M_HEAD)))
        return;
    /* The handler's ETag, copied: the header lines may move as more are added. */
    char tag[128];
    size_t tl;
    const char *given = resp_header(&resp->headers, "ETag", &tl);
    if (given && tl < sizeof tag) {
        memcpy(tag, given, tl);
        tag[tl] = '\0';
    } else if (!given) {
        body_etag(resp, tag);
        http_resp_header(resp, "ETag", "%s", tag);
    } else
        tag[0] = '\0'; /* no ETag of ours is that long: none matches */
    size_t ll;
    if (resp->last_modified > 0 && !resp_header(&resp->headers, "Last-Modified", &ll)) {
        char date[30];
        http_date(resp->last_modified, date);
        http_resp_header(resp, "Last-Modified", "%s", date);
    }
    if (client_has_it(req, resp, tag)) not_modified(resp);
}
