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

void reg_logf(const char *fmt, ...)
{
    if (!log_sink) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    log_sink(log_ctx, line);
}

void reg_log_stderr(void *program, const char *message)
{
    fprintf(stderr, "%s: %s\n", (const char *)program, message);
}
