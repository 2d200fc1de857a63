/* log.c: the operator's messages from shared code go to the sink the program installed. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static reg_log_sink log_sink;
static void *log_ctx;

void reg_log_set(reg_log_sink sink, void *ctx)
{
    log_sink = sink;
    log_ctx = ctx;
}

void reg_log_at(int priority, const char *file, int line, const char *func, const char *fmt, ...)
{
    if (!log_sink) return;
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    struct reg_log_msg m = {priority, file, line, func, text};
    log_sink(log_ctx, &m);
}

void reg_log_stderr(void *program, const struct reg_log_msg *msg)
{
    fprintf(stderr, "%s: %s\n", (const char *)program, msg->text);
}
