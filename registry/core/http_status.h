/* http_status.h: the HTTP status codes the registry sends, one table for the status line's
 * reason phrase (http.c), the /metrics counters (api.c) and the statuses err.h's codes map to
 * (checked when err.c compiles). Header-only and free of llhttp, so the core and the CLI may
 * include it.
 *
 * X(code, reason phrase (RFC 9110), counted: 1 if /metrics counts it by itself) */
#ifndef SECLABEL_HTTP_STATUS_H
#define SECLABEL_HTTP_STATUS_H

#define HTTP_STATUSES(X)                                                                           \
    X(100, "Continue", 0) /* an interim answer to Expect: 100-continue, never a final one */       \
    X(200, "OK", 1)                                                                                \
    X(201, "Created", 1)                                                                           \
    X(204, "No Content", 1)                                                                        \
    X(301, "Moved Permanently", 1)                                                                 \
    X(302, "Found", 1)                                                                             \
    X(303, "See Other", 1)                                                                         \
    X(304, "Not Modified", 1)                                                                      \
    X(307, "Temporary Redirect", 1)                                                                \
    X(400, "Bad Request", 1)                                                                       \
    X(401, "Unauthorized", 1)                                                                      \
    X(403, "Forbidden", 1)                                                                         \
    X(404, "Not Found", 1)                                                                         \
    X(405, "Method Not Allowed", 1)                                                                \
    X(408, "Request Timeout", 1)                                                                   \
    X(409, "Conflict", 1)                                                                          \
    X(412, "Precondition Failed", 1)                                                               \
    X(413, "Content Too Large", 1)                                                                 \
    X(414, "URI Too Long", 1)                                                                      \
    X(415, "Unsupported Media Type", 1)                                                            \
    X(422, "Unprocessable Content", 1)                                                             \
    X(431, "Request Header Fields Too Large", 1)                                                   \
    X(500, "Internal Server Error", 1)                                                             \
    X(503, "Service Unavailable", 1)                                                               \
    X(507, "Insufficient Storage", 1)

/* HTTP_STATUS_KNOWN_<code> exists only for a code in the table: a compile-time membership test
 * (err.c asserts with it that every error code maps to a status the table has). */
enum http_status_known {
#define X(code, reason, counted) HTTP_STATUS_KNOWN_##code = code,
    HTTP_STATUSES(X)
#undef X
};

/* The number of statuses counted by themselves. */
#define HTTP_STATUS_COUNT_(code, reason, counted) +(counted)
#define HTTP_STATUSES_COUNTED (0 HTTP_STATUSES(HTTP_STATUS_COUNT_))

#endif
