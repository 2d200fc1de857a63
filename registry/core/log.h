/* log.h: how code shared by both programs tells the operator something (a map that grew, a
 * damaged record, an LMDB error) without printing: each program installs a sink once at start
 * (seclabeld and seclabel write to stderr with their own name); with none installed, messages
 * are dropped, so a library user (a test, a fuzz target) decides where they go. */
#ifndef SECLABEL_LOG_H
#define SECLABEL_LOG_H

/* Receives one message, without a trailing newline; may be called from any thread. */
typedef void (*reg_log_sink)(void *ctx, const char *message);

/* Install the sink (NULL: drop messages). Call once, before threads start. */
void reg_log_set(reg_log_sink sink, void *ctx);

/* Format a message (truncated at 1 KiB) and hand it to the sink. */
void reg_logf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A sink for programs: "<ctx>: <message>\n" on stderr, ctx being the program's name. */
void reg_log_stderr(void *program, const char *message);

#endif
