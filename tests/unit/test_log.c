/* test_log.c: shared code's messages reach the sink the program installed, formatted and cut
 * to a bounded length, and go nowhere when no sink is installed. */
#include "harness.h"

#include "log.h"

struct seen {
    int calls;
    char last[2048];
};

static void collect(void *ctx, const char *message)
{
    struct seen *s = ctx;
    s->calls++;
    snprintf(s->last, sizeof s->last, "%s", message);
}

static void messages_reach_the_sink(void **state)
{
    (void)state;
    struct seen s = {0};
    reg_log_set(collect, &s);
    reg_logf("database map now %zu bytes", (size_t)4096);
    assert_int_equal(s.calls, 1);
    assert_string_equal(s.last, "database map now 4096 bytes");
    reg_log_set(NULL, NULL);
}

static void without_a_sink_nothing_is_said(void **state)
{
    (void)state;
    struct seen s = {0};
    reg_log_set(collect, &s);
    reg_log_set(NULL, NULL);
    reg_logf("lmdb: %s", "nobody hears this");
    assert_int_equal(s.calls, 0);
}

static void a_long_message_is_cut_not_overrun(void **state)
{
    (void)state;
    struct seen s = {0};
    char big[3000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    reg_log_set(collect, &s);
    reg_logf("product %s: stored record is damaged", big);
    assert_int_equal(s.calls, 1);
    assert_int_equal(strlen(s.last), 1023);
    assert_memory_equal(s.last, "product xxx", 11);
    reg_log_set(NULL, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(messages_reach_the_sink),
        cmocka_unit_test(without_a_sink_nothing_is_said),
        cmocka_unit_test(a_long_message_is_cut_not_overrun),
    };
    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
