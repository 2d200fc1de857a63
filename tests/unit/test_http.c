/* test_http.c: the HTTP layer and the routes, driven without sockets (as h2o's loopback
 * tests do): bytes go into the parser wired to the real app over a temporary database, and the
 * exact response bytes come out. */
#include "harness.h"

#include "api.h"
#include "auth.h"
#include "http.h"
#include "mfr.h"
#include "store.h"

struct fx {
    char *dir;
    struct store *st;
    struct app app;
    struct http_parser hp;
    struct buf out;
    char token[AUTH_TOKEN_LEN + 1];
};

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    f->dir = temp_dir();
    assert_int_equal(auth_init(), 0);
    assert_int_equal(store_open(f->dir, &f->st), 0);
    struct mfr_info m = {"acme", "Acme Devices Ltd", NULL, NULL};
    assert_int_equal(mfr_add(f->st, &m, f->token, NULL, 0), 0);
    assert_int_equal(app_init(&f->app, f->st, "https://labels.example", 0, NULL), 0);
    http_parser_init(&f->hp, app_handle, &f->app, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fx *f = *state;
    http_parser_free(&f->hp);
    buf_free(&f->out);
    app_close(&f->app);
    store_close(f->st);
    rm_tree(f->dir);
    free(f);
    return 0;
}

/* Feed raw bytes; return 1 if the parser asked to close. Output accumulates in f->out. */
static int feed(struct fx *f, const char *raw)
{
    return http_parser_feed(&f->hp, raw, strlen(raw), &f->out);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

static void put_demo(struct fx *f)
{
    struct buf req = BUF_INIT;
    buf_printf(&req,
               "PUT /v1/products/acme-cam HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
               f->token, strlen(DECL_OK), DECL_OK);
    assert_int_equal(feed(f, buf_cstr(&req)), 0);
    buf_free(&req);
    assert_non_null(strstr(buf_cstr(&f->out), "HTTP/1.1 201 Created\r\n"));
    buf_reset(&f->out);
}

static void health_and_keep_alive(void **state)
{
    struct fx *f = *state;
    assert_int_equal(feed(f, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    const char *o = buf_cstr(&f->out);
    assert_non_null(strstr(o, "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(o, "Content-Type: application/json; charset=utf-8\r\n"));
    assert_non_null(strstr(o, "X-Request-Id: "));
    assert_non_null(strstr(o, "{\"status\":\"ok\",\"products\":0}"));
    assert_null(strstr(o, "Connection: close"));
}

static void pipelined_requests_are_answered_in_order(void **state)
{
    struct fx *f = *state;
    put_demo(f);
    assert_int_equal(feed(f, "GET /v1/products/acme-cam HTTP/1.1\r\nHost: x\r\n\r\n"
                             "GET /v1/products/nope HTTP/1.1\r\nHost: x\r\n\r\n"
                             "HEAD /p/acme-cam HTTP/1.1\r\nHost: x\r\n\r\n"),
                     0);
    const char *o = buf_cstr(&f->out);
    const char *a = strstr(o, "200 OK"), *b = strstr(o, "404 Not Found"),
               *c = strstr(o, "text/html");
    assert_true(a && b && c && a < b && b < c);
    assert_non_null(
        strstr(o, "\"qr_url\":\"https://labels.example/p/acme-cam\",\"support_status\""));
    /* HEAD: headers only, so the output ends right after the blank line */
    assert_string_equal(o + f->out.len - 4, "\r\n\r\n");
}

static void bytes_split_anywhere_parse_the_same(void **state)
{
    struct fx *f = *state;
    const char *req = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    for (size_t i = 0; req[i]; i++)
        assert_int_equal(http_parser_feed(&f->hp, req + i, 1, &f->out), 0);
    assert_int_equal(count(buf_cstr(&f->out), "200 OK"), 1);
}

static void method_not_allowed_says_allow(void **state)
{
    struct fx *f = *state;
    assert_int_equal(feed(f, "DELETE /v1/products/x HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    const char *o = buf_cstr(&f->out);
    assert_non_null(strstr(o, "405 Method Not Allowed"));
    assert_non_null(strstr(o, "Allow: GET, HEAD, PUT\r\n"));
    assert_non_null(strstr(o, "\"error\":\"method_not_allowed\""));
}

static void limits_answer_and_close(void **state)
{
    struct fx *f = *state;
    struct buf req = BUF_INIT;
    buf_puts(&req, "GET /");
    for (int i = 0; i < HTTP_MAX_URL; i++)
        buf_putc(&req, 'a');
    buf_puts(&req, " HTTP/1.1\r\n\r\n");
    assert_int_equal(feed(f, buf_cstr(&req)), 1);
    assert_non_null(strstr(buf_cstr(&f->out), "414 URI Too Long"));
    assert_non_null(strstr(buf_cstr(&f->out), "Connection: close"));
    buf_free(&req);
}

static void body_too_large_is_413(void **state)
{
    struct fx *f = *state;
    assert_int_equal(feed(f, "PUT /v1/products/x HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n"), 1);
    assert_non_null(strstr(buf_cstr(&f->out), "413 Content Too Large"));
    assert_non_null(strstr(buf_cstr(&f->out), "\"error\":\"payload_too_large\""));
}

static void too_many_headers_is_431(void **state)
{
    struct fx *f = *state;
    struct buf req = BUF_INIT;
    buf_puts(&req, "GET / HTTP/1.1\r\n");
    for (int i = 0; i <= HTTP_MAX_HEADERS; i++)
        buf_printf(&req, "X-H%d: v\r\n", i);
    buf_puts(&req, "\r\n");
    assert_int_equal(feed(f, buf_cstr(&req)), 1);
    assert_non_null(strstr(buf_cstr(&f->out), "431 "));
    buf_free(&req);
}

static void garbage_is_400_and_stops_parsing(void **state)
{
    struct fx *f = *state;
    assert_int_equal(feed(f, "HELLO\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n"), 1);
    const char *o = buf_cstr(&f->out);
    assert_non_null(strstr(o, "400 Bad Request"));
    assert_null(strstr(o, "200 OK"));
}

static void connection_close_is_honoured(void **state)
{
    struct fx *f = *state;
    assert_int_equal(feed(f, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n"
                             "GET /healthz HTTP/1.1\r\n\r\n"),
                     1);
    assert_int_equal(count(buf_cstr(&f->out), "200 OK"), 1);
    assert_non_null(strstr(buf_cstr(&f->out), "Connection: close"));
}

static void writes_need_a_token_and_json(void **state)
{
    struct fx *f = *state;
    char req[512];
    snprintf(req, sizeof req, "PUT /v1/products/a HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
    assert_int_equal(feed(f, req), 0);
    assert_non_null(strstr(buf_cstr(&f->out), "401 Unauthorized"));
    assert_non_null(strstr(buf_cstr(&f->out), "WWW-Authenticate: Bearer"));
    buf_reset(&f->out);
    snprintf(req, sizeof req,
             "PUT /v1/products/a HTTP/1.1\r\nAuthorization: Bearer %s\r\n"
             "Content-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}",
             f->token);
    assert_int_equal(feed(f, req), 0);
    assert_non_null(strstr(buf_cstr(&f->out), "415 Unsupported Media Type"));
}

static void chunked_bodies_are_accepted(void **state)
{
    struct fx *f = *state;
    struct buf req = BUF_INIT;
    buf_printf(&req,
               "PUT /v1/products/acme-cam HTTP/1.1\r\nAuthorization: Bearer %s\r\n"
               "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
               "%zx\r\n%s\r\n0\r\n\r\n",
               f->token, strlen(DECL_OK), DECL_OK);
    assert_int_equal(feed(f, buf_cstr(&req)), 0);
    assert_non_null(strstr(buf_cstr(&f->out), "201 Created"));
    buf_free(&req);
}

static void query_parameters_decode(void **state)
{
    (void)state;
    struct http_req r;
    memset(&r, 0, sizeof r);
    const char *q = "a=1&name=hello+w%6Frld&empty=&flag";
    r.query = q;
    r.query_len = strlen(q);
    struct buf b = BUF_INIT;
    assert_int_equal(http_req_query(&r, "name", &b), 0);
    assert_string_equal(buf_cstr(&b), "hello world");
    assert_int_equal(http_req_query(&r, "empty", &b), 0);
    assert_int_equal(b.len, 0);
    assert_int_equal(http_req_query(&r, "missing", &b), -1);
    buf_reset(&b);
    assert_int_equal(http_pct_decode("%zz", 3, 0, &b), -1);
    assert_int_equal(http_pct_decode("%4", 2, 0, &b), -1);
    buf_free(&b);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(health_and_keep_alive),
        T(pipelined_requests_are_answered_in_order),
        T(bytes_split_anywhere_parse_the_same),
        T(method_not_allowed_says_allow),
        T(limits_answer_and_close),
        T(body_too_large_is_413),
        T(too_many_headers_is_431),
        T(garbage_is_400_and_stops_parsing),
        T(connection_close_is_honoured),
        T(writes_need_a_token_and_json),
        T(chunked_bodies_are_accepted),
        cmocka_unit_test(query_parameters_decode),
    };
    return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
