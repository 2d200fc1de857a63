/* represent.c: the representation sent for a handler's answer (see represent.h): validators
 * and conditional GETs (RFC 9110 §8.8, §13), content codings (§8.4, §12.5.3).
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

#include <brotli/encode.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#define ETAG_HASH_BYTES 16 /* 128 bits: collisions need about 2^64 tries */
/* Compression levels for bodies made per request, measured on the registry's own answers
 * (bench data, one core; sizes in bytes, times per body):
 *   record JSON 2461:  gzip 6 1077 (~0.15 ms), br 5 990 (~0.1 ms), br 11 867 (~5 ms)
 *   home page 8942:    gzip 6 1725 (~0.1 ms),  br 5 1477 (~0.1 ms), br 11 1308 (~17 ms)
 *   100-record list 247032: gzip 1 19817, gzip 6 13166 (~6 ms), gzip 9 12245 (~11 ms),
 *                      br 4 12703 (~3.5 ms), br 5 9924 (~7 ms), br 9 9481 (~42 ms)
 * gzip 6 is zlib's default, within 8 % of level 9's size at about half its time; Brotli 5 is
 * 10-25 % smaller than gzip 6 at a similar cost, where 9 and up cost tens of times more.
 * Cached answers keep their compressed bytes, so each is paid once per cached form. But large
 * answers (lists, search) are not cached, and compressing holds the event loop: above
 * BROTLI_LARGE bytes Brotli drops to quality 1, measured on a 247,676-byte list of 100 varied
 * records (libbrotlienc 1.0.9, this 2-core machine under load): q1 15,128 bytes in 0.38 ms, q5
 * 13,060 in 1.69 ms: 16 % more bytes for a quarter of the loop's time (gzip 6 there: 16,023 in
 * 2.1 ms; gzip 1 is hardly faster, 1.66 ms, and 54 % larger, so gzip stays at 6). */
#define GZIP_LEVEL 6
#define BROTLI_QUALITY 5
#define BROTLI_LARGE_QUALITY 1
#define BROTLI_LARGE (64 * 1024)

/* The weight of a q parameter's value v[0..n) in thousandths (RFC 9110 §12.4.2: "0" to "1",
 * three decimals at most), or REG_EBADREQ if it is not one. */
static int qvalue(const char *v, size_t n)
{
    if (n == 0 || (v[0] != '0' && v[0] != '1') || (n > 1 && (v[1] != '.' || n > 5)))
        return REG_EBADREQ;
    int w = 0, scale = 100;
    for (size_t i = 2; i < n; i++, scale /= 10) {
        if (v[i] < '0' || v[i] > '9') return REG_EBADREQ;
        w += (v[i] - '0') * scale;
    }
    if (v[0] == '1') return w ? REG_EBADREQ : 1000;
    return w;
}

/* Skip blanks (OWS) in s[i..len). */
static size_t ows(const char *s, size_t i, size_t len)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i;
}

/* One member of an Accept-Encoding list, s[0..len): its coding name into *name, *nl and its
 * weight (1000 without a q parameter); REG_EBADREQ if the member is malformed (ignored then). */
static int ae_member(const char *s, size_t len, const char **name, size_t *nl)
{
    size_t i = 0;
    while (i < len && s[i] != ';' && s[i] != ' ' && s[i] != '\t')
        i++;
    *name = s;
    *nl = i;
    int w = 1000;
    for (i = ows(s, i, len); i < len;) {
        if (s[i] != ';') return REG_EBADREQ;
        i = ows(s, i + 1, len);
        size_t p = i;
        while (i < len && s[i] != '=' && s[i] != ';')
            i++;
        size_t v = i + 1, e = v;
        while (e < len && s[e] != ';' && s[e] != ' ' && s[e] != '\t')
            e++;
        if (i - p == 1 && (s[p] == 'q' || s[p] == 'Q')) {
            if (i >= len || s[i] != '=' || (w = qvalue(s + v, e - v)) < 0) return REG_EBADREQ;
        }
        i = ows(s, i < len && s[i] == '=' ? e : i, len);
    }
    return *nl ? w : REG_EBADREQ;
}

static int token_is(const char *s, size_t n, const char *t)
{
    return n == strlen(t) && strncasecmp(s, t, n) == 0;
}

enum represent_coding represent_negotiate(const char *ae, size_t len)
{
    if (!ae) return REPRESENT_IDENTITY;
    /* Explicit weights by enum represent_coding, and "*"'s: -1 where not listed. */
    int q[3] = {-1, -1, -1}, star = -1;
    for (size_t i = 0; i < len;) {
        size_t start = ows(ae, i, len), end = start;
        while (end < len && ae[end] != ',')
            end++;
        size_t n = end;
        while (n > start && (ae[n - 1] == ' ' || ae[n - 1] == '\t'))
            n--;
        i = end + 1;
        const char *name;
        size_t nl;
        int w = n > start ? ae_member(ae + start, n - start, &name, &nl) : REG_EBADREQ;
        if (w < 0) continue;
        if (token_is(name, nl, "br"))
            q[REPRESENT_BR] = w;
        else if (token_is(name, nl, "gzip") || token_is(name, nl, "x-gzip")) /* §8.4.1.3 */
            q[REPRESENT_GZIP] = w;
        else if (token_is(name, nl, "identity"))
            q[REPRESENT_IDENTITY] = w;
        else if (token_is(name, nl, "*"))
            star = w;
    }
    /* What is not listed takes "*"'s weight; without "*", codings are not acceptable and
     * identity is, as the last choice (weight 0 but not refused). */
    for (int c = 0; c < 3; c++)
        if (q[c] < 0) q[c] = star < 0 ? 0 : star;
    enum represent_coding best =
        q[REPRESENT_BR] >= q[REPRESENT_GZIP] ? REPRESENT_BR : REPRESENT_GZIP;
    return q[best] > 0 && q[best] >= q[REPRESENT_IDENTITY] ? best : REPRESENT_IDENTITY;
}

int represent_compressible(const char *ct)
{
    /* Text formats. Labels (PNG, PDF: compressed already; SVG, ZPL: sent as made, for the
     * printers and design tools that take them) are left out, as are other images. */
    static const char *const types[] = {"text/", "application/json", "application/linkset+json",
                                        "application/atom+xml", "application/xml"};
    if (!ct) return 0;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strncasecmp(ct, types[i], strlen(types[i])) == 0) return 1;
    return 0;
}

/* The body in compressed by c into out (empty): 0, or REG_EINTERNAL if the library failed. */
static int compress_body(enum represent_coding c, const struct buf *in, struct buf *out)
{
    if (c == REPRESENT_BR) {
        size_t n = BrotliEncoderMaxCompressedSize(in->len);
        if (!n) return REG_EINTERNAL;
        buf_reserve(out, n);
        int q = in->len > BROTLI_LARGE ? BROTLI_LARGE_QUALITY : BROTLI_QUALITY;
        if (!BrotliEncoderCompress(q, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, in->len,
                                   (const uint8_t *)in->data, &n, (uint8_t *)out->data))
            return REG_EINTERNAL;
        out->len = n;
        return 0;
    }
    z_stream z;
    memset(&z, 0, sizeof z);
    /* windowBits 15 + 16: the gzip wrapper (RFC 1952), as Content-Encoding: gzip means. */
    if (in->len > 0xffffffffu ||
        deflateInit2(&z, GZIP_LEVEL, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return REG_EINTERNAL;
    uLong bound = deflateBound(&z, (uLong)in->len);
    buf_reserve(out, bound);
    z.next_in = (Bytef *)in->data;
    z.avail_in = (uInt)in->len;
    z.next_out = (Bytef *)out->data;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    out->len = bound - z.avail_out;
    deflateEnd(&z);
    return rc == Z_STREAM_END ? 0 : REG_EINTERNAL;
}

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

/* 1 if the header line line[0..ll) is named name. */
static int line_named(const char *line, size_t ll, const char *name)
{
    size_t n = strlen(name);
    return ll > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
}

/* The value of header line `name` in the handler's header lines h, its length into *vlen; NULL
 * if there is none. */
static const char *resp_header(const struct buf *h, const char *name, size_t *vlen)
{
    for (size_t i = 0; i < h->len;) {
        const char *line = h->data + i;
        const char *eol = memchr(line, '\r', h->len - i);
        size_t ll = eol ? (size_t)(eol - line) : h->len - i;
        if (line_named(line, ll, name)) {
            const char *v = line + strlen(name) + 1;
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
static int kept_in_304(const char *line, size_t ll, const char *unused)
{
    (void)unused;
    static const char *const kept[] = {"ETag",          "Cache-Control",    "Vary",
                                       "Last-Modified", "Content-Location", "Expires"};
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (line_named(line, ll, kept[i])) return 1;
    return ll > 15 && strncasecmp(line, "Access-Control-", 15) == 0;
}

static int not_named(const char *line, size_t ll, const char *name)
{
    return !line_named(line, ll, name);
}

/* Keep only the header lines of h for which keep(line, length, arg) is 1, in their order. */
static void filter_headers(struct buf *h, int (*keep)(const char *, size_t, const char *),
                           const char *arg)
{
    size_t o = 0;
    for (size_t i = 0; i < h->len;) {
        const char *eol = memchr(h->data + i, '\r', h->len - i);
        size_t ll = eol ? (size_t)(eol - (h->data + i)) : h->len - i;
        size_t n = ll + 2 <= h->len - i ? ll + 2 : h->len - i;
        if (keep(h->data + i, ll, arg)) {
            memmove(h->data + o, h->data + i, n);
            o += n;
        }
        i += n;
    }
    h->len = o;
}

/* Make resp a 304 Not Modified: no body (http.c writes neither Content-Type nor
 * Content-Length for it), and only the header lines kept_in_304 names. */
static void not_modified(struct http_resp *resp)
{
    filter_headers(&resp->headers, kept_in_304, NULL);
    buf_reset(&resp->body);
    resp->status = 304;
}

/* Set header name to value (replacing the handler's lines of that name). */
static void set_header(struct http_resp *resp, const char *name, const char *value)
{
    filter_headers(&resp->headers, not_named, name);
    http_resp_header_str(resp, name, value, strlen(value));
}

/* Add Accept-Encoding to the answer's Vary (the handler's, e.g. Accept-Language, kept). */
static void vary_on_coding(struct http_resp *resp)
{
    size_t vl;
    const char *v = resp_header(&resp->headers, "Vary", &vl);
    char old[256];
    if (!v) {
        http_resp_header_str(resp, "Vary", "Accept-Encoding", 15);
        return;
    }
    if (vl >= sizeof old) return;
    memcpy(old, v, vl); /* the header lines are not NUL-terminated */
    old[vl] = '\0';
    if (strchr(old, '*') || strcasestr(old, "accept-encoding")) return;
    filter_headers(&resp->headers, not_named, "Vary");
    http_resp_header(resp, "Vary", "%s, Accept-Encoding", old);
}

/* etag (a quoted tag, shorter than n) with the coding's suffix inside its quotes into out (n
 * bytes; the tag as it is if the suffix does not fit). */
static void coded_etag(const char *etag, enum represent_coding c, char *out, size_t n)
{
    static const char suffix[][4] = {"", "-gz", "-br"};
    size_t l = strlen(etag);
    if (c == REPRESENT_IDENTITY || l < 2 || etag[l - 1] != '"' || l + 4 > n) {
        memcpy(out, etag, l + 1);
        return;
    }
    memcpy(out, etag, l - 1);
    memcpy(out + l - 1, suffix[c], 3);
    memcpy(out + l + 2, "\"", 2);
}

int represent_etag_held(const struct http_req *req, const char *etag, char held[REPRESENT_ETAG_MAX])
{
    size_t len, al = 0;
    const char *h = http_req_header(req, "if-none-match", &len);
    if (!h) return 0;
    const char *ae = http_req_header(req, "accept-encoding", &al);
    snprintf(held, REPRESENT_ETAG_MAX, "%s", etag);
    if (represent_etag_listed(h, len, held)) return 1;
    coded_etag(etag, represent_negotiate(ae, al), held, REPRESENT_ETAG_MAX);
    return represent_etag_listed(h, len, held);
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

/* The coding negotiated for req, if resp's body is one to compress; *varies 1 if it is. */
static enum represent_coding coding_for(const struct http_req *req, const struct http_resp *resp,
                                        int *varies)
{
    *varies = represent_compressible(resp->content_type) && resp->body.len >= REPRESENT_MIN_BYTES;
    if (!*varies) return REPRESENT_IDENTITY;
    size_t len;
    const char *ae = http_req_header(req, "accept-encoding", &len);
    return represent_negotiate(ae, len);
}

void represent_finish(const struct http_req *req, struct http_resp *resp,
                      struct represent_stats *stats)
{
    if (!(req->method & (HTTP_M_GET | HTTP_M_HEAD)) || resp->stream || resp->prebuilt) return;
    if (resp->status == 304 && represent_compressible(resp->content_type)) {
        vary_on_coding(resp); /* the handler's own 304: the 200 it stands for would vary */
        return;
    }
    if (resp->status != 200 || !resp->body.len) return;
    /* The handler's ETag, copied: the header lines may move as more are added. */
    char tag[128], sent[136];
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
        http_resp_header_str(resp, "Last-Modified", date, 29);
    }
    int varies;
    enum represent_coding c = coding_for(req, resp, &varies);
    if (varies) vary_on_coding(resp);
    /* The conditions before the work: a 304 compresses nothing. */
    coded_etag(tag, c, sent, sizeof sent);
    if (c != REPRESENT_IDENTITY && *tag) set_header(resp, "ETag", sent);
    if (client_has_it(req, resp, *tag ? sent : "")) {
        not_modified(resp);
        return;
    }
    if (c == REPRESENT_IDENTITY) return;
    struct buf z = BUF_INIT;
    if (compress_body(c, &resp->body, &z)) {
        buf_free(&z); /* sent as it is, under its own tag */
        if (*tag) set_header(resp, "ETag", tag);
        return;
    }
    struct buf plain = resp->body;
    resp->body = z;
    buf_free(&plain);
    http_resp_header(resp, "Content-Encoding", "%s", c == REPRESENT_BR ? "br" : "gzip");
    if (stats) __atomic_fetch_add(&stats->compressed, 1, __ATOMIC_RELAXED);
}
