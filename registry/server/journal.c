/* journal.c: structured records in systemd's journal through libsystemd (journal.h). */
#define SD_JOURNAL_SUPPRESS_LOCATION /* CODE_* fields name the message's caller, not this file */
#include "journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

int journal_stderr_is_journal(void)
{
    const char *e = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    int end = 0;
    if (!e || sscanf(e, "%llu:%llu%n", &dev, &ino, &end) != 2 || e[end]) return 0;
    struct stat st;
    if (fstat(STDERR_FILENO, &st)) return 0;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void journal_log(void *program, const struct reg_log_msg *msg)
{
    int rc = sd_journal_send("MESSAGE=%s", msg->text, "PRIORITY=%d", msg->priority,
                             "SYSLOG_IDENTIFIER=%s", (const char *)program, "CODE_FILE=%s",
                             msg->file, "CODE_LINE=%d", msg->line, "CODE_FUNC=%s", msg->func, NULL);
    if (rc < 0) reg_log_stderr(program, msg);
}

int journal_access_priority(int status)
{
    return status >= 500 ? LOG_WARNING : LOG_INFO;
}

void journal_access(const struct api_access *a)
{
    char line[600];
    api_access_text(a, line, sizeof line);
    int rc = sd_journal_send("MESSAGE=%s", line, "PRIORITY=%d", journal_access_priority(a->status),
                             "SYSLOG_IDENTIFIER=seclabeld", "SECLABEL_REQUEST_ID=%s", a->id,
                             "SECLABEL_CLIENT=%s", a->client, "SECLABEL_METHOD=%s", a->method,
                             "SECLABEL_PATH=%s", a->path, "SECLABEL_ROUTE=%s", a->route,
                             "SECLABEL_STATUS=%d", a->status, "SECLABEL_BYTES=%zu", a->bytes,
                             "SECLABEL_DURATION_MS=%.2f", a->ms, NULL);
    if (rc < 0) fprintf(stderr, "%s\n", line);
}
