/* test_buf.c: buf's small appenders (buf_put_u64, buf_put_i64, buf_put_hex and their buf_fmt_*
 * forms) write what printf's "%llu", "%lld" and "%0*llx" write, at the edges and over many
 * values. */
#include "harness.h"

#include "buf.h"

#include <inttypes.h>

/* Values at the edges of each width and a spread between. */
static uint64_t value(int i)
{
    static const uint64_t edge[] = {0,          1,
                                    9,          10,
                                    99,         100,
                                    4294967295, 4294967296,
                                    UINT64_MAX, UINT64_MAX - 1,
                                    INT64_MAX,  (uint64_t)INT64_MAX + 1};
    if (i < (int)COUNT(edge)) return edge[i];
    return (uint64_t)i * 0x9e3779b97f4a7c15ull >> (i % 64);
}

static void decimal_as_printf(void **state)
{
    (void)state;
    for (int i = 0; i < 5000; i++) {
        uint64_t v = value(i);
        char want[64];
        struct buf b = BUF_INIT;
        buf_puts(&b, "x");
        buf_put_u64(&b, v);
        snprintf(want, sizeof want, "x%" PRIu64, v);
        assert_string_equal(buf_cstr(&b), want);
        buf_reset(&b);
        buf_put_i64(&b, (int64_t)v);
        snprintf(want, sizeof want, "%" PRId64, (int64_t)v);
        assert_string_equal(buf_cstr(&b), want);
        char out[21];
        size_t n = buf_fmt_u64(out, v);
        out[n] = '\0';
        snprintf(want, sizeof want, "%" PRIu64, v);
        assert_string_equal(out, want);
        buf_free(&b);
    }
}

static void hex_as_printf(void **state)
{
    (void)state;
    for (int i = 0; i < 5000; i++) {
        uint64_t v = value(i);
        for (int n = 1; n <= 8; n++) {
            char want[64];
            uint64_t low = n == 8 ? v : v & ((1ull << (8 * n)) - 1);
            snprintf(want, sizeof want, "%0*" PRIx64, 2 * n, low);
            struct buf b = BUF_INIT;
            buf_put_hex(&b, v, n);
            assert_string_equal(buf_cstr(&b), want);
            buf_free(&b);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decimal_as_printf),
        cmocka_unit_test(hex_as_printf),
    };
    return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
