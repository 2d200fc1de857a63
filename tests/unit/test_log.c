/* test_log.c: shared code's messages reach the sink the program installed, formatted and cut
 * to a bounded length, and go nowhere when no sink is installed. */
#include "harness.h"

#include "log.h"

struct seen {
    int calls;
    char last[2048];
    struct reg_log_msg msg; /* the last one's priority and place (text: see last) */
};

static void collect(void *ctx, const struct reg_log_msg *m)
{
    struct seen *s = ctx;
    s->calls++;
    snprintf(s->last, sizeof s->last, "%s", m->text);
    s->msg = *m;
    s->msg.text = NULL;
}

static void messages_reach_the_sink(void **state)
{
    (void)state;
    struct seen s = {0};
    reg_log_set(collect, &s);
    reg_logf("database map now %zu bytes", (size_t)4096);
    assert_int_equal(s.calls, 1);
    assert_string_equal(s.last, "database map now 4096 bytes");
    assert_int_equal(s.msg.priority, LOG_INFO);
    reg_log_set(NULL, NULL);
}

/* The priority and the caller's place travel with the text (the journal's PRIORITY= and
 * CODE_FILE=, CODE_LINE=, CODE_FUNC=). */
static void a_message_carries_its_priority_and_place(void **state)
{
    (void)state;
    struct seen s = {0};
    reg_log_set(collect, &s);
    int line = __LINE__ + 1;
    reg_logp(LOG_ERR, "cannot open database in %s", "/nowhere");
    assert_int_equal(s.calls, 1);
    assert_string_equal(s.last, "cannot open database in /nowhere");
    assert_int_equal(s.msg.priority, LOG_ERR);
    assert_string_equal(s.msg.file, __FILE__);
    assert_int_equal(s.msg.line, line);
    assert_string_equal(s.msg.func, "a_message_carries_its_priority_and_place");
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
        cmocka_unit_test(a_message_carries_its_priority_and_place),
        cmocka_unit_test(without_a_sink_nothing_is_said),
        cmocka_unit_test(a_long_message_is_cut_not_overrun),
    };
    return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
