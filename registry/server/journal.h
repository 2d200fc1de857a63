/* journal.h: seclabeld's messages and access log as structured records in systemd's journal.
 *
 * Under systemd, stderr is a stream to journald, which would store each plain line as one
 * MESSAGE at the unit's default priority. When seclabeld finds its stderr is that stream (the
 * JOURNAL_STREAM variable names stderr's device and inode: sd_journal_stream_fd(3),
 * systemd.exec(5)), or when --log-format journal says so, it sends each record through
 * libsystemd's sd_journal_send instead, with fields journalctl can select on:
 *   every record  MESSAGE (the plain text, as on a terminal), PRIORITY (syslog's number, from
 *                 the message's level: log.h), SYSLOG_IDENTIFIER=seclabeld
 *   messages      CODE_FILE, CODE_LINE, CODE_FUNC (where in the source it was said)
 *   access log    SECLABEL_REQUEST_ID, SECLABEL_CLIENT, SECLABEL_METHOD, SECLABEL_PATH,
 *                 SECLABEL_ROUTE, SECLABEL_STATUS, SECLABEL_BYTES, SECLABEL_DURATION_MS;
 *                 PRIORITY info, warning for a 5xx answer
 * e.g. `journalctl -u seclabeld SECLABEL_STATUS=500`, `journalctl -u seclabeld -p warning`.
 * A record sd_journal_send refuses is written as plain text on stderr instead; but where no
 * journald listens at all libsystemd drops records without a word (its choice), which is why
 * "auto" picks the journal only when journald itself handed over stderr. On a terminal or a
 * file the plain text stays the default. */
#ifndef SECLABEL_JOURNAL_H
#define SECLABEL_JOURNAL_H

#include "api.h"
#include "log.h"

/* 1 if stderr is the journal's stream (JOURNAL_STREAM is "DEV:INO" of stderr), else 0. */
int journal_stderr_is_journal(void);

/* A log.h sink: msg to the journal as above (ctx: the program's name, as reg_log_stderr). */
void journal_log(void *program, const struct reg_log_msg *msg);

/* An access-log sink (api.h): a's record to the journal as above. */
void journal_access(const struct api_access *a);

/* The access log's priority for an answer of status: LOG_WARNING for 5xx, else LOG_INFO. */
int journal_access_priority(int status);

#endif
