/* test_http.c: the HTTP layer and the routes, driven without sockets (as h2o's loopback
 * tests do): bytes go into the parser wired to the real app over a temporary database, and the
 * exact response bytes come out. */
#include "harness.h"

#include "api.h"
#include "auth.h"
#include "commit.h"
#include "err.h"
#include "http.h"
#include "mfr.h"
#include "product.h"
#include "search.h"
#include "store.h"

struct fx {
    char *dir;
    struct store *st;
    struct app app;
    struct http_parser hp;
    struct buf out;
    char token[AUTH_TOKEN_LEN + 1];
    char link[256]; /* csv_part: the Link header's target */
    /* the work a defer hook was given (see defer_later), run when the test says */
    void (*work)(void *arg);
    void (*done)(void *arg);
    void *arg;
    struct commit_write *cw; /* the write a commit hook was given (see commit_later) */
    int resumed;             /* the parser's resume hook was called */
};

/* (Re)start f's app with this configuration (the store and the public URL filled in). */
static void configure(struct fx *f, struct app_config ac)
{
    if (f->app.rd) app_close(&f->app);
    ac.st = f->st;
    ac.public_url = "https://labels.example";
    assert_int_equal(app_init(&f->app, &ac), 0);
}

static int setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    f->dir = temp_dir();
    assert_int_equal(app_global_init(), 0);
    assert_int_equal(store_open(f->dir, &f->st), 0);
    struct mfr_info m = {"acme", "Acme Devices Ltd", NULL, NULL};
    assert_int_equal(mfr_add(f->st, &m, f->token, NULL), 0);
    configure(f, (struct app_config){0});
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

/* Append acme's PUT of the demo declaration to req. */
static void demo_put_request(const struct fx *f, struct buf *req)
{
    buf_printf(req,
               "PUT /v1/products/acme-cam HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
               f->token, strlen(DECL_OK), DECL_OK);
}

static void put_demo(struct fx *f)
{
    struct buf req = BUF_INIT;
    demo_put_request(f, &req);
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
    assert_non_null(strstr(o, "Allow: GET, HEAD, PUT, OPTIONS\r\n"));
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
    assert_int_equal(
        feed(f, "PUT /v1/products/x HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\n\r\n"), 1);
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
    assert_int_equal(feed(f, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                             "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
                     1);
    assert_int_equal(count(buf_cstr(&f->out), "200 OK"), 1);
    assert_non_null(strstr(buf_cstr(&f->out), "Connection: close"));
}

static void writes_need_a_token_and_json(void **state)
{
    struct fx *f = *state;
    char req[512];
    snprintf(req, sizeof req,
             "PUT /v1/products/a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}");
    assert_int_equal(feed(f, req), 0);
    assert_non_null(strstr(buf_cstr(&f->out), "401 Unauthorized"));
    assert_non_null(strstr(buf_cstr(&f->out), "WWW-Authenticate: Bearer"));
    buf_reset(&f->out);
    snprintf(req, sizeof req,
             "PUT /v1/products/a HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
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
               "PUT /v1/products/acme-cam HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
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
    assert_int_equal(http_req_query(&r, "missing", &b), REG_ENOTFOUND);
    buf_reset(&b);
    assert_int_equal(http_pct_decode("%zz", 3, 0, &b), REG_EBADREQ);
    assert_int_equal(http_pct_decode("%4", 2, 0, &b), REG_EBADREQ);
    buf_free(&b);
}

/* --- protocol details (RFC 9110/9112) ------------------------------------------------------ */

static void query_of_a_target_without_one(void **state)
{
    (void)state;
    struct http_req r;
    memset(&r, 0, sizeof r); /* query NULL: no '?' in the target */
    struct buf b = BUF_INIT;
    assert_int_equal(http_req_query(&r, "q", &b), REG_ENOTFOUND);
    buf_free(&b);
}

/* A chunked PUT of DECL with `extra` header lines and `trailer` lines after the last chunk. */
static int chunked_put(struct fx *f, const char *id, const char *extra, const char *trailer)
{
    struct buf req = BUF_INIT;
    buf_printf(&req,
               "PUT /v1/products/%s HTTP/1.1\r\nHost: x\r\n%sTransfer-Encoding: chunked\r\n\r\n"
               "%zx\r\n%s\r\n0\r\n%s\r\n",
               id, extra, strlen(DECL_OK), DECL_OK, trailer);
    int rc = feed(f, buf_cstr(&req));
    buf_free(&req);
    return rc;
}

static void trailer_fields_never_act_as_headers(void **state)
{
    struct fx *f = *state;
    char trailer[256], auth[256];
    snprintf(trailer, sizeof trailer,
             "Authorization: Bearer %s\r\nContent-Type: application/json\r\n", f->token);
    assert_int_equal(chunked_put(f, "acme-cam", "", trailer), 0);
    assert_non_null(strstr(buf_cstr(&f->out), "401 Unauthorized"));
    /* If-Match in a trailer is no precondition either */
    put_demo(f);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\nContent-Type: application/json\r\n",
             f->token);
    assert_int_equal(chunked_put(f, "acme-cam", auth, "If-Match: \"7\"\r\n"), 0);
    assert_non_null(strstr(buf_cstr(&f->out), "200 OK"));
}

static void trailing_blanks_of_header_values_are_dropped(void **state)
{
    struct fx *f = *state;
    char extra[256];
    snprintf(extra, sizeof extra,
             "Authorization: Bearer %s \t \r\nContent-Type: application/json  \r\n", f->token);
    assert_int_equal(chunked_put(f, "acme-cam", extra, ""), 0);
    assert_non_null(strstr(buf_cstr(&f->out), "201 Created"));
}

static void upgrade_is_ignored_and_connect_closes(void **state)
{
    struct fx *f = *state;
    assert_int_equal(feed(f, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\n"
                             "Upgrade: websocket\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
                     0);
    assert_int_equal(count(buf_cstr(&f->out), "HTTP/1.1 "), 2);
    assert_int_equal(count(buf_cstr(&f->out), "200 OK"), 2);
    buf_reset(&f->out);
    assert_int_equal(feed(f, "CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n"
                             "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"),
                     1);
    assert_int_equal(count(buf_cstr(&f->out), "HTTP/1.1 "), 1);
    assert_non_null(strstr(buf_cstr(&f->out), "Connection: close"));
}

static void absolute_form_targets_are_accepted(void **state)
{
    struct fx *f = *state;
    assert_int_equal(feed(f, "GET http://labels.example/healthz HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_non_null(strstr(buf_cstr(&f->out), "{\"status\":\"ok\""));
    buf_reset(&f->out);
    assert_int_equal(feed(f, "GET HTTPS://labels.example?q=cam HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_non_null(strstr(buf_cstr(&f->out), "200 OK"));
    assert_non_null(strstr(buf_cstr(&f->out), "text/html"));
}

/* raw must be refused with 400 and a close. */
static void refused(struct fx *f, const char *raw)
{
    buf_reset(&f->out);
    http_parser_free(&f->hp);
    http_parser_init(&f->hp, app_handle, &f->app, 1);
    assert_int_equal(feed(f, raw), 1);
    assert_non_null(strstr(buf_cstr(&f->out), "400 Bad Request"));
    assert_null(strstr(buf_cstr(&f->out), "200 OK"));
}

static void versions_host_and_repeated_fields(void **state)
{
    struct fx *f = *state;
    refused(f, "GET /healthz\r\n\r\n");
    refused(f, "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n");
    refused(f, "GET /healthz HTTP/1.1\r\n\r\n");
    refused(f, "GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n");
    refused(f, "GET /healthz HTTP/1.1\r\nHost: x/y\r\n\r\n");
    refused(f, "GET /v1/whoami HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\n"
               "Authorization: Bearer b\r\n\r\n");
    refused(f, "PUT /v1/products/acme-cam HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
               "\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{}");
    buf_reset(&f->out); /* HTTP/1.0 needs no Host; an empty Host is allowed */
    http_parser_free(&f->hp);
    http_parser_init(&f->hp, app_handle, &f->app, 1);
    assert_int_equal(feed(f, "GET /healthz HTTP/1.0\r\n\r\n"), 1);
    assert_non_null(strstr(buf_cstr(&f->out), "200 OK"));
    http_parser_free(&f->hp);
    http_parser_init(&f->hp, app_handle, &f->app, 1);
    assert_int_equal(feed(f, "GET /healthz HTTP/1.1\r\nHost:\r\n\r\n"), 0);
    assert_int_equal(count(buf_cstr(&f->out), "200 OK"), 2);
}

/* --- backpressure --------------------------------------------------------------------------- */

/* Feed raw whole, as a connection would: after each pause, drain (reset) the output and feed
 * the rest. Returns the number of feeds; *most gets the largest output of one feed. */
static int feed_draining(struct fx *f, const char *raw, int *answers, size_t *most)
{
    size_t len = strlen(raw), off = 0;
    int feeds = 0;
    *answers = 0;
    *most = 0;
    while (off < len) {
        buf_reset(&f->out);
        assert_int_equal(http_parser_feed(&f->hp, raw + off, len - off, &f->out), 0);
        assert_true(f->hp.used > 0);
        off += f->hp.used;
        *answers += count(buf_cstr(&f->out), "HTTP/1.1 200 OK");
        if (f->out.len > *most) *most = f->out.len;
        feeds++;
    }
    return feeds;
}

static void full_output_pauses_parsing(void **state)
{
    struct fx *f = *state;
    struct buf raw = BUF_INIT;
    for (int i = 0; i < 40; i++)
        buf_puts(&raw, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    /* one answer is about 250 bytes: at most 1000 + one answer stays queued */
    f->hp.high_water = 1000;
    int answers;
    size_t most;
    int feeds = feed_draining(f, buf_cstr(&raw), &answers, &most);
    assert_int_equal(answers, 40);
    assert_true(feeds >= 8);
    assert_true(most < 1500);
    /* output queued elsewhere (the socket's writes) counts too: nothing more is answered */
    http_parser_free(&f->hp);
    http_parser_init(&f->hp, app_handle, &f->app, 1);
    f->hp.high_water = 1000;
    f->hp.backlog = 5000;
    buf_reset(&f->out);
    assert_int_equal(http_parser_feed(&f->hp, raw.data, raw.len, &f->out), 0);
    assert_int_equal(count(buf_cstr(&f->out), "200 OK"), 1);
    assert_true(f->hp.held);
    buf_free(&raw);
}

static void a_turn_answers_a_bounded_number(void **state)
{
    struct fx *f = *state;
    struct buf raw = BUF_INIT;
    for (int i = 0; i < 10; i++)
        buf_puts(&raw, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    f->hp.turn = 4;
    int answers;
    size_t most;
    assert_int_equal(feed_draining(f, buf_cstr(&raw), &answers, &most), 3);
    assert_int_equal(answers, 10);
    buf_free(&raw);
}

/* --- streamed bodies (the CSV download) ------------------------------------------------------ */

/* n products acme-p-000 ... through one batch. */
static void add_products(struct fx *f, int n)
{
    struct buf body = BUF_INIT, req = BUF_INIT;
    buf_puts(&body, "{\"products\":[");
    for (int i = 0; i < n; i++) {
        char id[32];
        snprintf(id, sizeof id, "\"acme-p-%03d\"", i);
        char *d = json_with_field(DECL_OK, "id", id);
        buf_printf(&body, "%s%s", i ? "," : "", d);
        free(d);
    }
    buf_puts(&body, "]}");
    buf_printf(&req,
               "POST /v1/batch HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
               "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
               f->token, body.len, buf_cstr(&body));
    assert_int_equal(feed(f, buf_cstr(&req)), 0);
    assert_non_null(strstr(buf_cstr(&f->out), "200 OK"));
    buf_reset(&f->out);
    buf_free(&body);
    buf_free(&req);
}

/* Produce the stream to its end; returns the slices made (each one call). */
static int stream_all(struct fx *f, int *closing)
{
    int n = 0;
    *closing = 0;
    while (f->hp.stream) {
        *closing = http_parser_stream(&f->hp, &f->out);
        n++;
        assert_true(n < 10000);
    }
    return n;
}

/* The body of a chunked response in o (after its head) into body; 0 if well-formed and ended
 * by the last chunk; *end gets where the response ends in o. */
static int dechunk(const char *o, struct buf *body, const char **end)
{
    const char *p = strstr(o, "\r\n\r\n");
    if (!p) return -1;
    for (p += 4;;) {
        char *e;
        unsigned long n = strtoul(p, &e, 16);
        if (e == p || strncmp(e, "\r\n", 2) != 0) return -1;
        p = e + 2;
        if (n == 0) {
            *end = p + 2;
            return strncmp(p, "\r\n", 2) == 0 ? 0 : -1;
        }
        buf_append(body, p, n);
        p += n;
        if (strncmp(p, "\r\n", 2) != 0) return -1;
        p += 2;
    }
}

/* The IDs (first column) of CSV rows, after the header line. */
static int csv_ids(const char *csv, char ids[][16], int max)
{
    int n = 0;
    const char *p = strstr(csv, "\r\n");
    while (p && p[2] && n < max) {
        p += 2;
        const char *comma = strchr(p, ',');
        snprintf(ids[n++], 16, "%.*s", (int)(comma - p), p);
        p = strstr(p, "\r\n");
    }
    return n;
}

static void csv_is_streamed_in_slices(void **state)
{
    struct fx *f = *state;
    add_products(f, 100);
    const char *raw = "GET /products.csv HTTP/1.1\r\nHost: x\r\n\r\n"
                      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
    assert_int_equal(feed(f, raw), 0);
    /* nothing written yet, and the request behind it waits */
    assert_non_null(f->hp.stream);
    assert_int_equal(f->out.len, 0);
    size_t used = f->hp.used;
    assert_true(used < strlen(raw));
    assert_int_equal(http_parser_feed(&f->hp, raw + used, strlen(raw) - used, &f->out), 0);
    assert_int_equal(f->hp.used, 0);
    int closing, slices = stream_all(f, &closing);
    assert_int_equal(closing, 0);
    assert_true(slices >= 4); /* 100 records, at most 32 a slice */
    const char *o = buf_cstr(&f->out), *end;
    assert_non_null(strstr(o, "Transfer-Encoding: chunked\r\n"));
    assert_null(strstr(o, "Content-Length"));
    assert_non_null(strstr(o, "Content-Type: text/csv"));
    struct buf body = BUF_INIT;
    assert_int_equal(dechunk(o, &body, &end), 0);
    assert_int_equal(*end, '\0');
    assert_memory_equal(body.data, "\xEF\xBB\xBFid,product_name,", 19);
    char ids[128][16];
    assert_int_equal(csv_ids(buf_cstr(&body), ids, 128), 100);
    for (int i = 0; i < 100; i++) {
        char want[16];
        snprintf(want, sizeof want, "acme-p-%03d", i);
        assert_string_equal(ids[i], want);
    }
    /* then the pipelined request */
    buf_reset(&f->out);
    assert_int_equal(http_parser_feed(&f->hp, raw + used, strlen(raw) - used, &f->out), 0);
    assert_non_null(strstr(buf_cstr(&f->out), "{\"status\":\"ok\",\"products\":100}"));
    buf_free(&body);
}

static void csv_head_and_http_1_0(void **state)
{
    struct fx *f = *state;
    add_products(f, 40);
    int closing;
    assert_int_equal(feed(f, "HEAD /products.csv HTTP/1.1\r\nHost: x\r\n\r\n"), 0);
    assert_int_equal(stream_all(f, &closing), 1);
    assert_int_equal(closing, 0);
    const char *o = buf_cstr(&f->out);
    assert_non_null(strstr(o, "200 OK"));
    assert_non_null(strstr(o, "Transfer-Encoding: chunked\r\n"));
    assert_string_equal(o + f->out.len - 4, "\r\n\r\n"); /* the head only */
    /* HTTP/1.0 knows no chunks: the body ends with the connection */
    buf_reset(&f->out);
    assert_int_equal(feed(f, "GET /products.csv HTTP/1.0\r\n\r\n"), 0);
    assert_true(stream_all(f, &closing) >= 2);
    assert_int_equal(closing, 1);
    o = buf_cstr(&f->out);
    assert_null(strstr(o, "Transfer-Encoding"));
    assert_non_null(strstr(o, "Connection: close\r\n"));
    char ids[64][16];
    assert_int_equal(csv_ids(strstr(o, "\r\n\r\n") + 4, ids, 64), 40);
}

/* GET target as a stream; its rows' IDs into ids, its Link header's cursor into next and the
 * link's whole target into f->link. */
static int csv_part(struct fx *f, const char *target, char ids[][16], char *next)
{
    char req[256];
    int closing;
    snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", target);
    buf_reset(&f->out);
    assert_int_equal(feed(f, req), 0);
    stream_all(f, &closing);
    const char *o = buf_cstr(&f->out), *end;
    const char *link = strstr(o, "Link: </products.csv?cursor=");
    next[0] = '\0';
    f->link[0] = '\0';
    if (link && link < strstr(o, "\r\n\r\n")) {
        char cursor[SEARCH_CURSOR_MAX] = ""; /* opaque; its ID follows the last '~' */
        sscanf(link, "Link: </products.csv?cursor=%63[^&>]", cursor);
        snprintf(next, 16, "%s", strrchr(cursor, '~') ? strrchr(cursor, '~') + 1 : cursor);
        sscanf(link, "Link: <%255[^>]>", f->link);
    }
    struct buf body = BUF_INIT;
    assert_int_equal(dechunk(o, &body, &end), 0);
    int n = csv_ids(buf_cstr(&body), ids, 200);
    buf_free(&body);
    return n;
}

static void csv_download_is_cut_with_a_link(void **state)
{
    struct fx *f = *state;
    add_products(f, 100);
    configure(f, (struct app_config){.csv_max_rows = 40}); /* as the 100000 of a registry */
    char ids[200][16], next[16];
    assert_int_equal(csv_part(f, "/products.csv", ids, next), 40);
    assert_string_equal(ids[39], "acme-p-039");
    assert_string_equal(next, "acme-p-039");
    assert_int_equal(csv_part(f, f->link, ids, next), 40);
    assert_string_equal(ids[0], "acme-p-040");
    assert_string_equal(next, "acme-p-079");
    assert_int_equal(csv_part(f, f->link, ids, next), 20);
    assert_string_equal(ids[19], "acme-p-099");
    assert_string_equal(next, "");
    /* the same through the manufacturer's index, with a filter that skips records; the next
     * part repeats the search (it once named only the cursor: the rest listed everything) */
    assert_int_equal(csv_part(f, "/products.csv?manufacturer=acme&q=p-01", ids, next), 10);
    assert_string_equal(next, "acme-p-039");
    assert_non_null(strstr(f->link, "~acme-p-039&q=p-01&status=active&manufacturer=acme&sort=id"));
    assert_int_equal(csv_part(f, f->link, ids, next), 0);
    assert_string_equal(next, "acme-p-079");
    /* exactly the limit left: complete, no link */
    configure(f, (struct app_config){.csv_max_rows = 50});
    struct search_query sq = {
        .status = SEARCH_ACTIVE, .sort = SEARCH_SORT_ID, .support = -1, .compliant = -1};
    char cursor[SEARCH_CURSOR_MAX], target[128];
    search_cursor(&sq, 0, 0, "acme-p-049", cursor);
    snprintf(target, sizeof target, "/products.csv?cursor=%s", cursor);
    assert_int_equal(csv_part(f, target, ids, next), 50);
    assert_string_equal(next, "");
}

/* A defer hook that keeps the work for the test to run (as the server's thread pool would,
 * later); ctx is the fixture. */
static int defer_later(void *ctx, void (*work)(void *), void (*done)(void *), void *arg)
{
    struct fx *f = ctx;
    assert_null(f->work);
    f->work = work;
    f->done = done;
    f->arg = arg;
    return 0;
}

/* A defer hook that cannot queue anything (a full or failing pool). */
static int defer_refused(void *ctx, void (*work)(void *), void (*done)(void *), void *arg)
{
    (void)ctx, (void)work, (void)done, (void)arg;
    return REG_EINTERNAL; /* as srv.c's defer when malloc fails */
}

/* A commit hook that keeps the write for the test to commit (as the server's committer
 * would, later); ctx is the fixture. */
static int commit_later(void *ctx, struct commit_write *w, void (*done)(void *), void *arg)
{
    struct fx *f = ctx;
    assert_null(f->cw);
    f->cw = w;
    f->done = done;
    f->arg = arg;
    return 0;
}

/* A commit hook that takes nothing (a stopping loop, out of memory). */
static int commit_refused(void *ctx, struct commit_write *w, void (*done)(void *), void *arg)
{
    (void)ctx, (void)w, (void)done, (void)arg;
    return REG_EINTERNAL; /* as srv.c's commit_hook */
}

static void note_resumed(struct http_parser *p)
{
    struct fx *f = p->conn;
    f->resumed++;
}

static void writes_go_to_the_commit_hook(void **state)
{
    struct fx *f = *state;
    configure(f,
              (struct app_config){
                  .defer = defer_later, .defer_ctx = f, .commit = commit_later, .commit_ctx = f});
    f->hp.resume = note_resumed;
    f->hp.conn = f;
    struct buf req = BUF_INIT;
    demo_put_request(f, &req);
    buf_puts(&req, "GET /v1/products/acme-cam HTTP/1.1\r\nHost: x\r\n\r\n");
    /* the write is handed over, unanswered, and the pipelined read waits behind it */
    assert_int_equal(http_parser_feed(&f->hp, req.data, req.len, &f->out), 0);
    assert_non_null(f->cw);
    assert_null(f->work); /* no thread of the pool waits for the commit */
    assert_int_equal(f->hp.waiting, 1);
    assert_int_equal(f->out.len, 0);
    size_t used = f->hp.used;
    assert_true(used < req.len);
    /* not yet written: the store has no such product */
    struct store_txn *txn;
    const char *json;
    size_t len;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(product_get(txn, "acme-cam", &json, &len), REG_ENOTFOUND);
    store_txn_abort(txn);
    commit_one(f->st, f->cw); /* on the committer */
    assert_int_equal(f->resumed, 0);
    f->done(f->arg); /* back on the loop */
    assert_int_equal(f->resumed, 1);
    assert_int_equal(http_parser_complete(&f->hp, &f->out), 0);
    assert_non_null(strstr(buf_cstr(&f->out), "HTTP/1.1 201 Created\r\n"));
    assert_int_equal(http_parser_feed(&f->hp, req.data + used, req.len - used, &f->out), 0);
    assert_int_equal(count(buf_cstr(&f->out), "HTTP/1.1 200 OK\r\n"), 1);
    buf_free(&req);
}

static void a_refused_defer_runs_at_once(void **state)
{
    struct fx *f = *state;
    configure(f, (struct app_config){.defer = defer_refused, .commit = commit_refused});
    put_demo(f); /* answered 201 within the feed */
}

/* Apart from the others, before anything initialises the process: app_init refuses until
 * app_global_init has run (else pages would render without their language tables). */
static void app_init_needs_the_global_init(void **state)
{
    (void)state;
    char *dir = temp_dir();
    struct store *st;
    assert_int_equal(store_open(dir, &st), 0);
    struct app app;
    struct app_config ac = {.st = st, .public_url = "https://labels.example"};
    assert_int_equal(app_init(&app, &ac), REG_EINTERNAL);
    store_close(st);
    rm_tree(dir);
}

int main(void)
{
    const struct CMUnitTest first[] = {cmocka_unit_test(app_init_needs_the_global_init)};
    if (cmocka_run_group_tests_name("http: before app_global_init", first, NULL, NULL)) return 1;
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
        cmocka_unit_test(query_of_a_target_without_one),
        T(trailer_fields_never_act_as_headers),
        T(trailing_blanks_of_header_values_are_dropped),
        T(upgrade_is_ignored_and_connect_closes),
        T(absolute_form_targets_are_accepted),
        T(versions_host_and_repeated_fields),
        T(full_output_pauses_parsing),
        T(a_turn_answers_a_bounded_number),
        T(csv_is_streamed_in_slices),
        T(csv_head_and_http_1_0),
        T(csv_download_is_cut_with_a_link),
        T(writes_go_to_the_commit_hook),
        T(a_refused_defer_runs_at_once),
    };
    return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
