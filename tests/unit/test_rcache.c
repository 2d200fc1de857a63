/* test_rcache.c: the response cache: a kept answer comes back byte for byte; a write (new
 * generation) or a new day makes it stale; keys differ by Accept-Language; the byte budget holds
 * however many answers are put. */
#include "harness.h"

#include "http.h"
#include "rcache.h"

#include <string.h>

/* A 200 response with a body of n bytes of c. */
static void response(struct http_resp *resp, size_t n, char c)
{
    memset(resp, 0, sizeof *resp);
    resp->status = 200;
    resp->content_type = "application/json";
    for (size_t i = 0; i < n; i++)
        buf_putc(&resp->body, c);
}

static void put(struct rcache *c, const char *key, uint64_t gen, int64_t day, size_t n, char ch)
{
    struct http_req req;
    struct http_resp resp;
    memset(&req, 0, sizeof req);
    memcpy(req.id, "0123456789abcdef", 17);
    response(&resp, n, ch);
    rcache_put(c, key, strlen(key) + 1, gen, day, 3, &req, &resp);
    buf_free(&resp.body);
}

static void test_kept_answers_come_back_until_stale(void **state)
{
    (void)state;
    struct rcache c;
    rcache_init(&c);
    put(&c, "/v1/products/a\0", 1, 100, 10, 'x');
    const struct rcache_entry *e = rcache_get(&c, "/v1/products/a\0", 15, 1, 100);
    assert_non_null(e);
    assert_int_equal(e->route, 3);
    assert_int_equal(e->resp.body_len, 10);
    const char *b = e->resp.bytes.data;
    assert_memory_equal(b, "HTTP/1.1 200 OK\r\nDate: ", 23);
    assert_int_equal(e->resp.date_off, 23);
    assert_memory_equal(b + e->resp.id_off, "0123456789abcdef", 16);
    assert_memory_equal(b + e->resp.bytes.len - 10, "xxxxxxxxxx", 10);
    /* Another language is another key; a write or midnight makes the answer stale. */
    assert_null(rcache_get(&c, "/v1/products/a\0de", 17, 1, 100));
    assert_null(rcache_get(&c, "/v1/products/a\0", 15, 2, 100));
    assert_null(rcache_get(&c, "/v1/products/a\0", 15, 1, 100)); /* dropped when met stale */
    put(&c, "/v1/products/a\0", 2, 100, 10, 'y');
    assert_null(rcache_get(&c, "/v1/products/a\0", 15, 2, 101));
    assert_int_equal(c.bytes, 0);
    rcache_free(&c);
}

static void test_the_byte_budget_holds(void **state)
{
    (void)state;
    struct rcache c;
    rcache_init(&c);
    char key[32];
    for (int i = 0; i < 2000; i++) { /* 2000 x 60 KB: five times the budget */
        snprintf(key, sizeof key, "/p/%d", i);
        put(&c, key, 1, 100, 60 * 1024, 'z');
        assert_true(c.bytes <= RCACHE_MAX_BYTES);
    }
    assert_true(c.evicted > 0);
    snprintf(key, sizeof key, "/p/%d", 1999);
    assert_non_null(rcache_get(&c, key, strlen(key) + 1, 1, 100)); /* the newest stays */
    put(&c, "/too-big", 1, 100, RCACHE_MAX_RESPONSE + 1, 'q');
    assert_null(rcache_get(&c, "/too-big", 9, 1, 100));
    rcache_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kept_answers_come_back_until_stale),
        cmocka_unit_test(test_the_byte_budget_holds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
