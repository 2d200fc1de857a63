/* test_represent.c: represent.c's parsers (HTTP-dates, If-None-Match lists) and what
 * represent_finish makes of a handler's answer (ETag, Last-Modified, 304), driven through the
 * real HTTP parser with a handler of the test's own, so the bytes sent are checked. */
#include "harness.h"

#include "err.h"
#include "http.h"
#include "represent.h"

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

/* A handler answering 200 with a fixed body, last modified at 784111777, then
 * represent_finish, as app_handle does. */
struct answer {
    long last_modified;
    const char *etag; /* the handler's own, or NULL */
};

static void handler(void *ctx, struct http_req *req, struct http_resp *resp)
{
    const struct answer *a = ctx;
    resp->status = 200;
    resp->content_type = "text/plain; charset=utf-8";
    buf_puts(&resp->body, "hello, world\n");
    resp->last_modified = a->last_modified;
    if (a->etag) http_resp_header(resp, "ETag", "%s", a->etag);
    http_resp_header(resp, "Cache-Control", "public, max-age=60");
    http_resp_header(resp, "Content-Disposition", "inline");
    represent_finish(req, resp);
}

/* The response to one request with these extra header lines into out. */
static void ask(const struct answer *a, const char *method, const char *headers, struct buf *out)
{
    struct http_parser p;
    http_parser_init(&p, handler, (void *)a, 1);
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
    struct answer a = {784111777L, NULL};
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dates_in_the_three_forms),
        cmocka_unit_test(etag_lists),
        cmocka_unit_test(validators_and_304),
    };
    return cmocka_run_group_tests_name("represent", tests, NULL, NULL);
}
