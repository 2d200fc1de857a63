/* test_rcache.c: the response cache: a kept answer comes back byte for byte; invalidating its
 * product's scope (a write) or a new day makes it stale, other products' answers stay; keys
 * differ by Accept-Language; the byte budget holds however many answers are put. Lists are
 * fresh while no commit followed the one they were read at, and on their day; they keep to a
 * budget of their own, so records stay. */
#include "harness.h"

#include "hash.h"
#include "http.h"
#include "rcache.h"

#include <stdio.h>
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

static void put(struct rcache *c, const char *key, const char *product, int64_t day, size_t n,
                char ch)
{
    struct http_req req;
    struct http_resp resp;
    memset(&req, 0, sizeof req);
    memcpy(req.id, "0123456789abcdef", 17);
    response(&resp, n, ch);
    rcache_put(c, key, strlen(key) + 1, rcache_scope(product), day, rcache_epoch(c), 3, &req,
               &resp);
    buf_free(&resp.body);
}

static void test_kept_answers_come_back_until_stale(void **state)
{
    (void)state;
    struct rcache c;
    rcache_init(&c, NULL);
    put(&c, "/v1/products/a\0", "a", 100, 10, 'x');
    put(&c, "/p/b\0", "b", 100, 10, 'b');
    const struct rcache_entry *e = rcache_get(&c, "/v1/products/a\0", 15, 100);
    assert_non_null(e);
    assert_int_equal(e->route, 3);
    assert_int_equal(e->resp.body_len, 10);
    const char *b = e->resp.bytes.data;
    assert_memory_equal(b, "HTTP/1.1 200 OK\r\nDate: ", 23);
    assert_int_equal(e->resp.date_off, 23);
    assert_memory_equal(b + e->resp.id_off, "0123456789abcdef", 16);
    assert_memory_equal(b + e->resp.bytes.len - 10, "xxxxxxxxxx", 10);
    /* Another language is another key; a write to product a makes its answer stale and leaves
     * b's (a and b lie in different scopes); so does midnight. */
    assert_int_not_equal(rcache_scope("a"), rcache_scope("b"));
    assert_null(rcache_get(&c, "/v1/products/a\0de", 17, 100));
    rcache_invalidate(&c, rcache_scope("a"));
    assert_null(rcache_get(&c, "/v1/products/a\0", 15, 100));
    assert_non_null(rcache_get(&c, "/p/b\0", 5, 100));
    put(&c, "/v1/products/a\0", "a", 100, 10, 'y');
    assert_non_null(rcache_get(&c, "/v1/products/a\0", 15, 100));
    assert_null(rcache_get(&c, "/v1/products/a\0", 15, 101));
    assert_null(rcache_get(&c, "/p/b\0", 5, 101));
    assert_int_equal(c.bytes, 0); /* stale entries are dropped when met */
    rcache_free(&c);
}

static void test_the_byte_budget_holds(void **state)
{
    (void)state;
    struct rcache c;
    rcache_init(&c, NULL);
    char key[32];
    for (int i = 0; i < 2000; i++) { /* 2000 x 60 KB: five times the budget */
        snprintf(key, sizeof key, "/p/%d", i);
        put(&c, key, key, 100, 60 * 1024, 'z');
        assert_true(c.bytes <= RCACHE_MAX_BYTES);
    }
    assert_true(c.evicted > 0);
    snprintf(key, sizeof key, "/p/%d", 1999);
    assert_non_null(rcache_get(&c, key, strlen(key) + 1, 100)); /* the newest stays */
    put(&c, "/too-big", "x", 100, RCACHE_MAX_RESPONSE + 1, 'q');
    assert_null(rcache_get(&c, "/too-big", 9, 100));
    rcache_free(&c);
}

/* A product whose ID shares a's scope: the first of "a-0", "a-1", ... that does. */
static void scope_sharer(char *id, size_t size)
{
    for (int i = 0;; i++) {
        snprintf(id, size, "a-%d", i);
        if (rcache_scope(id) == rcache_scope("a")) return;
    }
}

/* Scopes are coarse: a write to a makes stale the answers of the products sharing its scope,
 * and only theirs. */
static void test_a_write_stales_its_whole_scope(void **state)
{
    (void)state;
    struct rcache c;
    char other[32];
    scope_sharer(other, sizeof other);
    rcache_init(&c, NULL);
    put(&c, "/p/sharer", other, 100, 10, 's');
    put(&c, "/p/b", "b", 100, 10, 'b');
    assert_non_null(rcache_get(&c, "/p/sharer", 10, 100));
    rcache_invalidate(&c, rcache_scope("a"));
    assert_null(rcache_get(&c, "/p/sharer", 10, 100));
    assert_non_null(rcache_get(&c, "/p/b", 5, 100));
    rcache_free(&c);
}

/* The race of two loops: loop 1 reads product a (old data), loop 2 commits a write to a and
 * invalidates it, then loop 1 stores its answer. That answer must not be served as fresh. */
static void test_an_answer_read_before_a_write_is_not_kept(void **state)
{
    (void)state;
    struct rcache_shared sh = {0};
    struct rcache loop1, loop2;
    rcache_init(&loop1, &sh);
    rcache_init(&loop2, &sh);
    uint32_t epoch = rcache_epoch(&loop1);        /* loop 1 begins: data read after this */
    rcache_invalidate(&loop2, rcache_scope("a")); /* loop 2's write lands meanwhile */
    struct http_req req;
    struct http_resp resp;
    memset(&req, 0, sizeof req);
    response(&resp, 10, 'o');
    rcache_put(&loop1, "/v1/products/a\0", 15, rcache_scope("a"), 100, epoch, 3, &req, &resp);
    assert_null(rcache_get(&loop1, "/v1/products/a\0", 15, 100));
    /* An answer begun after the write is kept. */
    rcache_put(&loop1, "/v1/products/a\0", 15, rcache_scope("a"), 100, rcache_epoch(&loop1), 3,
               &req, &resp);
    assert_non_null(rcache_get(&loop1, "/v1/products/a\0", 15, 100));
    buf_free(&resp.body);
    rcache_free(&loop1);
    rcache_free(&loop2);
}

/* A manufacturer changes: every answer of every loop is stale. */
/* A working set of a quarter of the slots (2048 answers: a thousand products, each in two
 * content codings) stays whole: keys whose hashes meet share a set instead of evicting each
 * other. */
static void test_a_working_set_a_quarter_of_the_slots_stays_whole(void **state)
{
    (void)state;
    struct rcache c;
    rcache_init(&c, NULL);
    char key[40];
    for (int round = 0; round < 2; round++)
        for (int i = 0; i < RCACHE_SLOTS / 4; i++) {
            int n = snprintf(key, sizeof key, "/v1/products/gen-%07d", i);
            if (!rcache_get(&c, key, (size_t)n + 1, 100)) put(&c, key, "gen", 100, 10, 'x');
        }
    /* After the first round put every answer, the second found all but the few whose set
     * held more than four (15 of 2048 here; direct-mapped, 240). */
    assert_true(c.misses < RCACHE_SLOTS / 4 + 20);
    rcache_free(&c);
}

/* Keys of the same set as "/p/0": in its first slot's set (RCACHE_WAYS of them share one). */
static int same_set(const char *a, const char *b)
{
    size_t mask = (RCACHE_SLOTS - 1) & ~(size_t)(RCACHE_WAYS - 1);
    return (hash_fnv1a(a, strlen(a) + 1) & mask) == (hash_fnv1a(b, strlen(b) + 1) & mask);
}

/* A full set's oldest answer gives its place and its memory to the new one: a cache that
 * misses on every request (more products than slots) neither frees nor allocates. */
static void test_a_replaced_answer_lends_its_memory(void **state)
{
    (void)state;
    struct rcache c;
    rcache_init(&c, NULL);
    char keys[RCACHE_WAYS + 1][16];
    int n = 0;
    for (int i = 0; n <= RCACHE_WAYS; i++) {
        snprintf(keys[n], sizeof keys[n], "/p/%d", i);
        if (same_set(keys[0], keys[n])) n++;
    }
    for (int i = 0; i < RCACHE_WAYS; i++)
        put(&c, keys[i], keys[i], 100, 3000, 'r');
    const struct rcache_entry *oldest = rcache_get(&c, keys[0], strlen(keys[0]) + 1, 100);
    for (int i = 1; i < RCACHE_WAYS; i++) /* found after keys[0], which is now the oldest */
        assert_non_null(rcache_get(&c, keys[i], strlen(keys[i]) + 1, 100));
    assert_non_null(oldest);
    const char *bytes = oldest->resp.bytes.data, *key = oldest->key.data;
    size_t before = c.bytes;
    put(&c, keys[RCACHE_WAYS], keys[RCACHE_WAYS], 100, 2000, 's');
    const struct rcache_entry *e =
        rcache_get(&c, keys[RCACHE_WAYS], strlen(keys[RCACHE_WAYS]) + 1, 100);
    assert_non_null(e);
    assert_null(rcache_get(&c, keys[0], strlen(keys[0]) + 1, 100));
    assert_ptr_equal(e, oldest);
    assert_ptr_equal(e->resp.bytes.data, bytes);
    assert_ptr_equal(e->key.data, key);
    assert_memory_equal(e->resp.bytes.data + e->resp.bytes.len - 4, "ssss", 4);
    assert_int_equal(c.bytes, before); /* the same memory, counted once */
    rcache_free(&c);
}

static void test_invalidate_all(void **state)
{
    (void)state;
    struct rcache_shared sh = {0};
    struct rcache loop1, loop2;
    rcache_init(&loop1, &sh);
    rcache_init(&loop2, &sh);
    put(&loop1, "/p/a\0", "a", 100, 10, 'a');
    put(&loop1, "/p/b\0", "b", 100, 10, 'b');
    assert_non_null(rcache_get(&loop1, "/p/a\0", 5, 100));
    rcache_invalidate_all(&loop2);
    assert_null(rcache_get(&loop1, "/p/a\0", 5, 100));
    assert_null(rcache_get(&loop1, "/p/b\0", 5, 100));
    rcache_free(&loop1);
    rcache_free(&loop2);
}

/* The `newest` hook: the store's newest commit, as a test sets it. */
static int newest_of(void *ctx, uint64_t *txn)
{
    *txn = *(uint64_t *)ctx;
    return 0;
}

static const struct rcache_entry *put_list(struct rcache *c, const char *key, uint64_t txn,
                                           int64_t day, size_t n, char ch)
{
    struct http_req req;
    struct http_resp resp;
    memset(&req, 0, sizeof req);
    memcpy(req.id, "0123456789abcdef", 17);
    response(&resp, n, ch);
    const struct rcache_entry *e =
        rcache_put_list(c, key, strlen(key) + 1, txn, day, 5, &req, &resp);
    buf_free(&resp.body);
    return e;
}

static void test_a_list_is_fresh_while_its_commit_is_the_newest_and_on_its_day(void **state)
{
    (void)state;
    struct rcache c;
    uint64_t newest = 7;
    rcache_init(&c, NULL);
    c.newest = newest_of;
    c.newest_ctx = &newest;
    assert_non_null(put_list(&c, "/v1/products?q=a", 7, 100, 50000, 'l'));
    const struct rcache_entry *e = rcache_get(&c, "/v1/products?q=a", 17, 100);
    assert_non_null(e);
    assert_int_equal(e->route, 5);
    assert_int_equal(c.list_hits, 1);
    assert_int_equal(c.list_misses, 1);
    /* Another day, at the same commit: stale. */
    assert_null(rcache_get(&c, "/v1/products?q=a", 17, 101));
    put_list(&c, "/v1/products?q=a", 7, 100, 50000, 'l');
    /* Any commit since (a write of any product, or any maker, by anyone): stale. */
    newest = 8;
    assert_null(rcache_get(&c, "/v1/products?q=a", 17, 100));
    /* A record's invalidation leaves lists alone; their own check is the commit. */
    put_list(&c, "/v1/facets", 8, 100, 100, 'f');
    rcache_invalidate_all(&c);
    assert_non_null(rcache_get(&c, "/v1/facets", 11, 100));
    /* Read at no commit (0): never kept. */
    assert_null(put_list(&c, "/v1/products?q=b", 0, 100, 100, 'l'));
    /* Without the hook, no list is ever fresh. */
    c.newest = NULL;
    assert_null(rcache_get(&c, "/v1/facets", 11, 100));
    rcache_free(&c);
}

static void test_lists_keep_to_their_budget(void **state)
{
    (void)state;
    struct rcache c;
    uint64_t newest = 3;
    rcache_init(&c, NULL);
    c.newest = newest_of;
    c.newest_ctx = &newest;
    char key[64];
    for (int i = 0; i < 200; i++) { /* 200 records of 40 KB: 8 MB, well in the whole budget */
        snprintf(key, sizeof key, "/p/r%d", i);
        put(&c, key, key, 100, 40000, 'r');
    }
    for (int i = 0; i < 1000; i++) { /* 1000 lists of 100 KB: 100 MB */
        snprintf(key, sizeof key, "/?q=%d", i);
        assert_non_null(put_list(&c, key, 3, 100, 100000, 'l'));
        assert_true(c.list_bytes <= RCACHE_LIST_MAX_BYTES);
        assert_true(c.bytes <= RCACHE_MAX_BYTES);
    }
    assert_true(c.list_bytes > RCACHE_LIST_MAX_BYTES / 2);
    assert_non_null(rcache_get(&c, key, strlen(key) + 1, 100)); /* the newest list stays */
    int records = 0;
    for (int i = 0; i < 200; i++) {
        snprintf(key, sizeof key, "/p/r%d", i);
        records += rcache_get(&c, key, strlen(key) + 1, 100) != NULL;
    }
    assert_true(records >= 190); /* (a few may share a set with lists) */
    assert_null(put_list(&c, "/?q=big", 3, 100, RCACHE_LIST_MAX_RESPONSE + 1, 'l'));
    rcache_free(&c);
    assert_int_equal(c.bytes, 0);
    assert_int_equal(c.list_bytes, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kept_answers_come_back_until_stale),
        cmocka_unit_test(test_a_write_stales_its_whole_scope),
        cmocka_unit_test(test_the_byte_budget_holds),
        cmocka_unit_test(test_an_answer_read_before_a_write_is_not_kept),
        cmocka_unit_test(test_invalidate_all),
        cmocka_unit_test(test_a_working_set_a_quarter_of_the_slots_stays_whole),
        cmocka_unit_test(test_a_replaced_answer_lends_its_memory),
        cmocka_unit_test(test_a_list_is_fresh_while_its_commit_is_the_newest_and_on_its_day),
        cmocka_unit_test(test_lists_keep_to_their_budget),
    };
    return cmocka_run_group_tests_name("rcache", tests, NULL, NULL);
}
