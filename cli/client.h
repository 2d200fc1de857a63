/* client.h: the CLI's blocking HTTP client (libcurl), and how it finds server and token.
 *
 * Server and token come from --server/--token, else SECLABEL_SERVER/SECLABEL_TOKEN, else the
 * config file (config.c), else the default server http://127.0.0.1:8080 and no token. The
 * token only ever travels in an Authorization header; it is never printed. */
#ifndef SECLABEL_CLIENT_H
#define SECLABEL_CLIENT_H

#include "buf.h"

#include <stddef.h>

/* Exit codes of every seclabel command. */
enum cli_exit {
    CLI_OK = 0,
    CLI_FAILED = 1,
    CLI_USAGE = 2,
    CLI_UNREACHABLE = 3,
    CLI_UNAUTHORISED = 4,
};

struct client {
    const char *server; /* borrowed; no trailing '/' needed */
    const char *token;  /* borrowed; NULL for none */
    void *curl;         /* owned: one libcurl handle, reused so requests share a connection */
};

struct client_resp {
    long status;
    struct buf body; /* owned: buf_free when done */
    char change[16]; /* the Seclabel-Change header of a write ("created", ...), or "" */
    int dry_run;     /* 1 if the server marked its answer Seclabel-Dry-Run: true */
};

/* The defaults: http://127.0.0.1:8080, no token. */
void client_defaults(struct client *c);
/* Override c from SECLABEL_SERVER / SECLABEL_TOKEN (flags override afterwards). */
void client_from_env(struct client *c);
/* Release the connection; c can be used again afterwards. */
void client_close(struct client *c);
/* One request. Returns CLI_OK when an HTTP response arrived (whatever its status), or
 * CLI_UNREACHABLE with the reason printed on stderr. ctype may be NULL when body is NULL. */
int client_request(struct client *c, const char *method, const char *path, const char *body,
                   size_t len, const char *ctype, struct client_resp *out);
/* Whom libcurl handle h trusts for https: the system's CAs, unless the environment names
 * others as curl(1) reads them (tlsenv.h). For a registry or cache behind a private CA. Call
 * after each curl_easy_reset. */
void client_trust(void *h);
/* Print the server's error for a failed response as one line on stderr (and, for invalid
 * declarations, each problem indented below it) and return the matching exit code. */
int client_report_error(const struct client_resp *r);

#endif
