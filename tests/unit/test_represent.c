/* test_represent.c: represent.c's parsers (HTTP-dates, If-None-Match lists) and what
 * represent_finish makes of a handler's answer (ETag, Last-Modified, 304), driven through the
 * real HTTP parser with a handler of the test's own, so the bytes sent are checked. */
#include "harness.h"

#include "err.h"
#include "http.h"
#include "represent.h"

#include <brotli/decode.h>
#include <zlib.h>

static void dates_in_the_three_forms(void **state)
{
    (void)state;
    long t = 0;
    /* RFC 9110 §5.6.7's example, in each of its forms: 784111777. */
    static const char *const same[] = {"Sun, 06 Nov 1994 08:49:37 GMT",
                                       "Sunday, 06-Nov-94 08:49:37 GMT",
                                       "Sun Nov  6 08:49:37 1994"};
    for (size_t i = 0; i < COUNT(same); i++) {
        t = 0;
        assert_int_equal(represent_parse_date(same[i], strlen(same[i]), &t), 0);
        assert_int_equal(t, 784111777L);
    }
    static const char *const bad[] = {"",
                                      "yesterday",
                                      "Sun, 06 Nov 1994 08:49:37", /* no GMT */
                                      "Sun, 06 Nov 1994 08:49:37 GMT junk",
                                      "Sun, 06 Nov 1994 25:49:37 GMT", /* hour 25 */
                                      "1994-11-06T08:49:37Z"};
    for (size_t i = 0; i < COUNT(bad); i++)
        assert_int_equal(represent_parse_date(bad[i], strlen(bad[i]), &t), REG_EBADREQ);
    /* Not NUL-terminated where the length ends. */
    const char *longer = "Sun, 06 Nov 1994 08:49:37 GMTXYZ";
    assert_int_equal(represent_parse_date(longer, 29, &t), 0);
    assert_int_equal(t, 784111777L);
}

static void etag_lists(void **state)
{
    (void)state;
    const char *h = "\"a\", W/\"b\" ,\"c-gz\"";
    assert_true(represent_etag_listed(h, strlen(h), "\"a\""));
    assert_true(represent_etag_listed(h, strlen(h), "\"b\"")); /* weak comparison */
    assert_true(represent_etag_listed(h, strlen(h), "\"c-gz\""));
    assert_false(represent_etag_listed(h, strlen(h), "\"c\""));
    assert_false(represent_etag_listed(h, strlen(h), "\"d\""));
    assert_true(represent_etag_listed("*", 1, "\"x\""));
    assert_false(represent_etag_listed("", 0, "\"x\""));
}

static enum represent_coding neg(const char *ae)
{
    return represent_negotiate(ae, ae ? strlen(ae) : 0);
}

static void accept_encoding_is_negotiated(void **state)
{
    (void)state;
    assert_int_equal(neg(NULL), REPRESENT_IDENTITY);
    assert_int_equal(neg(""), REPRESENT_IDENTITY); /* §12.5.3: no coding wanted */
    assert_int_equal(neg("gzip"), REPRESENT_GZIP);
    assert_int_equal(neg("x-gzip"), REPRESENT_GZIP);
    assert_int_equal(neg("GZIP"), REPRESENT_GZIP);
    assert_int_equal(neg("br"), REPRESENT_BR);
    assert_int_equal(neg("gzip, deflate, br, zstd"), REPRESENT_BR); /* equal q: br */
    assert_int_equal(neg("br;q=0.5, gzip"), REPRESENT_GZIP);
    assert_int_equal(neg("br;q=0.5, gzip;q=0.8"), REPRESENT_GZIP);
    assert_int_equal(neg("br ; q=0.9 , gzip;q=0.899"), REPRESENT_BR);
    assert_int_equal(neg("br;q=0, gzip"), REPRESENT_GZIP); /* refused */
    assert_int_equal(neg("br;q=0.000, gzip;q=0"), REPRESENT_IDENTITY);
    assert_int_equal(neg("*"), REPRESENT_BR);
    assert_int_equal(neg("*;q=0.5, br;q=0"), REPRESENT_GZIP);
    assert_int_equal(neg("*;q=0"), REPRESENT_IDENTITY); /* disregarded: identity after all */
    assert_int_equal(neg("gzip;q=0.5, identity"), REPRESENT_IDENTITY); /* identity weighs more */
    assert_int_equal(neg("gzip;q=0.5, identity;q=0.5"), REPRESENT_GZIP);
    assert_int_equal(neg("deflate, compress"), REPRESENT_IDENTITY);
    assert_int_equal(neg("gzip;Q=1.0"), REPRESENT_GZIP);
    assert_int_equal(neg("gzip;level=1;q=0.3"), REPRESENT_GZIP);
    /* Malformed weights make their member ignored. */
    assert_int_equal(neg("br;q=2, gzip;q=0.1"), REPRESENT_GZIP);
    assert_int_equal(neg("br;q=0.1234, gzip;q=0.1"), REPRESENT_GZIP);
    assert_int_equal(neg("br;q=1.5"), REPRESENT_IDENTITY);
    assert_int_equal(neg("br;q="), REPRESENT_IDENTITY);
    assert_int_equal(neg("br;q"), REPRESENT_IDENTITY);
    assert_int_equal(neg(",, ,br"), REPRESENT_BR);
    assert_int_equal(neg("brx, gzipx"), REPRESENT_IDENTITY);
}

static void compressible_types(void **state)
{
    (void)state;
    assert_true(represent_compressible("application/json; charset=utf-8"));
    assert_true(represent_compressible("text/html; charset=utf-8"));
    assert_true(represent_compressible("application/atom+xml; charset=utf-8"));
    assert_true(represent_compressible("application/linkset+json"));
    assert_true(represent_compressible("text/css; charset=utf-8"));
    assert_true(represent_compressible("text/csv; charset=utf-8"));
    assert_false(represent_compressible("image/png"));
    assert_false(represent_compressible("application/pdf"));
    assert_false(represent_compressible("image/svg+xml"));
    assert_false(represent_compressible("application/zpl; charset=utf-8"));
    assert_false(represent_compressible(NULL));
}

/* A handler answering 200 with a fixed body, last modified at 784111777, then
 * represent_finish, as app_handle does. */
struct answer {
    long last_modified;
    const char *etag; /* the handler's own, or NULL */
    size_t repeat;    /* the body is "hello, world\n" this many times (0: once) */
    struct represent_stats stats;
};

static void handler(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct answer *a = ctx;
    resp->status = 200;
    resp->content_type = "text/plain; charset=utf-8";
    for (size_t i = 0; i < (a->repeat ? a->repeat : 1); i++)
        buf_puts(&resp->body, "hello, world\n");
    resp->last_modified = a->last_modified;
    if (a->etag) http_resp_header(resp, "ETag", "%s", a->etag);
    http_resp_header(resp, "Cache-Control", "public, max-age=60");
    http_resp_header(resp, "Content-Disposition", "inline");
    http_resp_header(resp, "Vary", "Accept-Language");
    represent_finish(req, resp, &a->stats);
}

/* The response to one request with these extra header lines into out. */
static void ask(struct answer *a, const char *method, const char *headers, struct buf *out)
{
    struct http_parser p;
    http_parser_init(&p, handler, a, 1);
    struct buf req = BUF_INIT;
    buf_printf(&req, "%s / HTTP/1.1\r\nHost: x\r\n%s\r\n", method, headers);
    buf_reset(out);
    http_parser_feed(&p, req.data, req.len, out);
    buf_putc(out, '\0');
    buf_free(&req);
    http_parser_free(&p);
}

/* The value of header name in the response text r (into v), or "" if absent. */
static void header_of(const char *r, const char *name, char *v, size_t n)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\r\n%s: ", name);
    const char *s = strstr(r, pat);
    v[0] = '\0';
    if (!s) return;
    s += strlen(pat);
    size_t l = strcspn(s, "\r");
    snprintf(v, n, "%.*s", (int)(l < n ? l : n - 1), s);
}

static void validators_and_304(void **state)
{
    (void)state;
    struct answer a = {784111777L, NULL, 0, {0}};
    struct buf out = BUF_INIT;
    char etag[128], v[128], cond[256];
    ask(&a, "GET", "", &out);
    assert_non_null(strstr(out.data, "HTTP/1.1 200 OK\r\n"));
    header_of(out.data, "ETag", etag, sizeof etag);
    assert_int_equal(strlen(etag), 24); /* "<22 base64url characters>" */
    header_of(out.data, "Last-Modified", v, sizeof v);
    assert_string_equal(v, "Sun, 06 Nov 1994 08:49:37 GMT");
    assert_non_null(strstr(out.data, "\r\n\r\nhello, world\n"));
    /* The same body gets the same tag; HEAD the same headers. */
    ask(&a, "HEAD", "", &out);
    header_of(out.data, "ETag", v, sizeof v);
    assert_string_equal(v, etag);
    assert_non_null(strstr(out.data, "Content-Length: 13\r\n"));

    /* If-None-Match with the tag (or in a list, or weak): 304 with the validators and
     * Cache-Control, no body, type, length or Content-Disposition. */
    static const char *const inm[] = {"%s", "\"zz\", %s", "W/%s"};
    for (size_t i = 0; i < COUNT(inm); i++) {
        char val[160];
        snprintf(val, sizeof val, inm[i], etag);
        snprintf(cond, sizeof cond, "If-None-Match: %s\r\n", val);
        ask(&a, "GET", cond, &out);
        assert_non_null(strstr(out.data, "HTTP/1.1 304 Not Modified\r\n"));
        header_of(out.data, "ETag", v, sizeof v);
        assert_string_equal(v, etag);
        assert_non_null(strstr(out.data, "\r\nCache-Control: public, max-age=60\r\n"));
        assert_non_null(strstr(out.data, "\r\nLast-Modified: "));
        assert_null(strstr(out.data, "\r\nContent-Type"));
        assert_null(strstr(out.data, "Content-Length"));
        assert_null(strstr(out.data, "Content-Disposition"));
        assert_null(strstr(out.data, "hello"));
    }
    ask(&a, "GET", "If-None-Match: \"other\"\r\n", &out);
    assert_non_null(strstr(out.data, "HTTP/1.1 200 OK\r\n"));

    /* If-Modified-Since: 304 at or after the time, 200 before it, ignored when invalid, in the
     * future, or when If-None-Match is given (which wins). */
    ask(&a, "GET", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", &out);
    assert_non_null(strstr(out.data, "HTTP/1.1 304 Not Modified\r\n"));
    ask(&a, "HEAD", "If-Modified-Since: Sunday, 06-Nov-94 08:49:38 GMT\r\n", &out);
    assert_non_null(strstr(out.data, "HTTP/1.1 304 Not Modified\r\n"));
    ask(&a, "GET", "If-Modified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n", &out);
    assert_non_null(strstr(out.data, "HTTP/1.1 200 OK\r\n"));
    ask(&a, "GET", "If-Modified-Since: not a date\r\n", &out);
    assert_non_null(strstr(out.data, "HTTP/1.1 200 OK\r\n"));
    ask(&a, "GET", "If-Modified-Since: Sat, 01 Jan 2500 00:00:00 GMT\r\n", &out);
    assert_non_null(strstr(out.data, "HTTP/1.1 200 OK\r\n"));
    ask(&a, "GET",
        "If-None-Match: \"other\"\r\nIf-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", &out);
    assert_non_null(strstr(out.data, "HTTP/1.1 200 OK\r\n"));

    /* Without a modification time: no Last-Modified, and If-Modified-Since is no condition. */
    a.last_modified = 0;
    ask(&a, "GET", "If-Modified-Since: Sun, 06 Nov 1994 08:49:37 GMT\r\n", &out);
    assert_non_null(strstr(out.data, "HTTP/1.1 200 OK\r\n"));
    assert_null(strstr(out.data, "Last-Modified"));

    /* The handler's own ETag is kept and compared. */
    a.etag = "\"v7\"";
    ask(&a, "GET", "", &out);
    header_of(out.data, "ETag", v, sizeof v);
    assert_string_equal(v, "\"v7\"");
    const char *first = strstr(out.data, "\r\nETag: ");
    assert_null(strstr(first + 1, "\r\nETag: ")); /* once */
    ask(&a, "GET", "If-None-Match: \"v7\"\r\n", &out);
    assert_non_null(strstr(out.data, "HTTP/1.1 304 Not Modified\r\n"));
    buf_free(&out);
}

/* The body of the response text r (after the blank line) and its length. */
static const char *body_of(const struct buf *out, size_t *len)
{
    const char *b = strstr(out->data, "\r\n\r\n") + 4;
    *len = out->len - 1 - (size_t)(b - out->data); /* ask() added a NUL */
    return b;
}

static void compressed_representations(void **state)
{
    (void)state;
    struct answer a = {0, NULL, 200, {0}}; /* 2600 bytes */
    struct buf out = BUF_INIT;
    char plain_tag[128], gz_tag[128], br_tag[128], v[128], cond[256];
    ask(&a, "GET", "Accept-Encoding: identity\r\n", &out);
    header_of(out.data, "ETag", plain_tag, sizeof plain_tag);
    header_of(out.data, "Vary", v, sizeof v);
    assert_string_equal(v, "Accept-Language, Accept-Encoding"); /* uncompressed: Vary too */
    assert_null(strstr(out.data, "Content-Encoding"));
    assert_non_null(strstr(out.data, "Content-Length: 2600\r\n"));

    /* gzip: zlib's own inflate gives back the bytes; the tag is suffixed. */
    ask(&a, "GET", "Accept-Encoding: gzip\r\n", &out);
    header_of(out.data, "Content-Encoding", v, sizeof v);
    assert_string_equal(v, "gzip");
    header_of(out.data, "ETag", gz_tag, sizeof gz_tag);
    assert_int_equal(strlen(gz_tag), strlen(plain_tag) + 3);
    assert_memory_equal(gz_tag, plain_tag, strlen(plain_tag) - 1);
    assert_string_equal(gz_tag + strlen(plain_tag) - 1, "-gz\"");
    header_of(out.data, "Vary", v, sizeof v);
    assert_string_equal(v, "Accept-Language, Accept-Encoding");
    size_t zlen;
    const char *zb = body_of(&out, &zlen);
    assert_true(zlen < 200);
    char plain[4096];
    z_stream z;
    memset(&z, 0, sizeof z);
    assert_int_equal(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = (Bytef *)zb;
    z.avail_in = (uInt)zlen;
    z.next_out = (Bytef *)plain;
    z.avail_out = sizeof plain;
    assert_int_equal(inflate(&z, Z_FINISH), Z_STREAM_END);
    assert_int_equal(z.total_out, 2600);
    inflateEnd(&z);
    for (size_t i = 0; i < 200; i++)
        assert_memory_equal(plain + 13 * i, "hello, world\n", 13);

    /* Brotli: its decoder gives back the bytes. */
    ask(&a, "GET", "Accept-Encoding: gzip, br\r\n", &out);
    header_of(out.data, "Content-Encoding", v, sizeof v);
    assert_string_equal(v, "br");
    header_of(out.data, "ETag", br_tag, sizeof br_tag);
    assert_string_equal(br_tag + strlen(plain_tag) - 1, "-br\"");
    zb = body_of(&out, &zlen);
    size_t plen = sizeof plain;
    assert_int_equal(BrotliDecoderDecompress(zlen, (const uint8_t *)zb, &plen, (uint8_t *)plain),
                     BROTLI_DECODER_RESULT_SUCCESS);
    assert_int_equal(plen, 2600);
    assert_memory_equal(plain + 2587, "hello, world\n", 13);
    assert_int_equal(a.stats.compressed, 2);

    /* HEAD: the same Content-Length as GET's encoded body, no body. */
    ask(&a, "GET", "Accept-Encoding: br\r\n", &out);
    header_of(out.data, "Content-Length", v, sizeof v);
    char get_len[32];
    snprintf(get_len, sizeof get_len, "%s", v);
    ask(&a, "HEAD", "Accept-Encoding: br\r\n", &out);
    header_of(out.data, "Content-Length", v, sizeof v);
    assert_string_equal(v, get_len);

    /* Each form's tag matches only that form: a 304 costs no compression. */
    unsigned long long before = a.stats.compressed;
    snprintf(cond, sizeof cond, "Accept-Encoding: gzip\r\nIf-None-Match: %s\r\n", gz_tag);
    ask(&a, "GET", cond, &out);
    assert_non_null(strstr(out.data, "HTTP/1.1 304 Not Modified\r\n"));
    header_of(out.data, "ETag", v, sizeof v);
    assert_string_equal(v, gz_tag);
    header_of(out.data, "Vary", v, sizeof v);
    assert_string_equal(v, "Accept-Language, Accept-Encoding");
    assert_null(strstr(out.data, "Content-Encoding"));
    assert_int_equal(a.stats.compressed, before);
    snprintf(cond, sizeof cond, "Accept-Encoding: gzip\r\nIf-None-Match: %s, %s\r\n", plain_tag,
             br_tag);
    ask(&a, "GET", cond, &out);
    assert_non_null(strstr(out.data, "HTTP/1.1 200 OK\r\n"));
    snprintf(cond, sizeof cond, "Accept-Encoding: identity\r\nIf-None-Match: %s\r\n", gz_tag);
    ask(&a, "GET", cond, &out);
    assert_non_null(strstr(out.data, "HTTP/1.1 200 OK\r\n"));
    snprintf(cond, sizeof cond, "Accept-Encoding: identity\r\nIf-None-Match: %s\r\n", plain_tag);
    ask(&a, "GET", cond, &out);
    assert_non_null(strstr(out.data, "HTTP/1.1 304 Not Modified\r\n"));

    /* A handler's tag gets the suffix as well; under REPRESENT_MIN_BYTES nothing changes. */
    a.etag = "\"v7\"";
    ask(&a, "GET", "Accept-Encoding: br\r\n", &out);
    header_of(out.data, "ETag", v, sizeof v);
    assert_string_equal(v, "\"v7-br\"");
    a.repeat = 78; /* 1014 bytes */
    ask(&a, "GET", "Accept-Encoding: br\r\n", &out);
    header_of(out.data, "ETag", v, sizeof v);
    assert_string_equal(v, "\"v7\"");
    header_of(out.data, "Vary", v, sizeof v);
    assert_string_equal(v, "Accept-Language");
    assert_null(strstr(out.data, "Content-Encoding"));
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dates_in_the_three_forms), cmocka_unit_test(etag_lists),
        cmocka_unit_test(validators_and_304),       cmocka_unit_test(accept_encoding_is_negotiated),
        cmocka_unit_test(compressible_types),       cmocka_unit_test(compressed_representations),
    };
    return cmocka_run_group_tests_name("represent", tests, NULL, NULL);
}
