/* log.h: how code shared by both programs tells the operator something (a map that grew, a
 * damaged record, an LMDB error) without printing: each program installs a sink once at start
 * (seclabeld and seclabel write to stderr with their own name; seclabeld under systemd sends
 * structured records to the journal, journal.h); with none installed, messages are dropped, so
 * a library user (a test, a fuzz target) decides where they go.
 *
 * Every message has a priority, one of syslog(3)'s LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO
 * (<syslog.h> is their one home; the journal's PRIORITY= takes the same numbers), and the place
 * in the source that said it (the journal's CODE_FILE=, CODE_LINE=, CODE_FUNC=). */
#ifndef SECLABEL_LOG_H
#define SECLABEL_LOG_H

#include <syslog.h>

/* One message as a sink receives it; every pointer is borrowed for the call. */
struct reg_log_msg {
    int priority;     /* LOG_ERR ... LOG_INFO */
    const char *file; /* __FILE__, __LINE__ and __func__ of the call */
    int line;
    const char *func;
    const char *text; /* without a trailing newline, at most 1023 bytes */
};

/* Receives one message; may be called from any thread. */
typedef void (*reg_log_sink)(void *ctx, const struct reg_log_msg *msg);

/* Install the sink (NULL: drop messages). Call once, before threads start. */
void reg_log_set(reg_log_sink sink, void *ctx);

/* Format a message (truncated at 1 KiB) and hand it to the sink, with its priority and place. */
void reg_log_at(int priority, const char *file, int line, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
#define reg_logp(priority, ...) reg_log_at((priority), __FILE__, __LINE__, __func__, __VA_ARGS__)
/* A message of the operator's information (LOG_INFO). */
#define reg_logf(...) reg_logp(LOG_INFO, __VA_ARGS__)

/* A sink for programs: "<ctx>: <text>\n" on stderr, ctx being the program's name (the
 * priority is not shown: a terminal's reader sees "warning:" and "cannot" in the words). */
void reg_log_stderr(void *program, const struct reg_log_msg *msg);

#endif
