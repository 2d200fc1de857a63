/* http.h: HTTP/1.1 requests and responses, independent of sockets.
 *
 * http_parser wraps llhttp: bytes go in through http_parser_feed(); each complete request is
 * handed to the on_request callback, which fills a response; the parser serialises it into
 * the caller's output buffer. Requests are answered strictly in order, so pipelining needs no
 * extra bookkeeping. Every size is bounded (HTTP_MAX_*); past a bound the parser answers with
 * the matching error (414, 431, 413) and asks for the connection to be closed.
 *
 * Ownership: the parser owns its request and response objects and reuses their memory; the
 * pointers a handler sees (path, headers, body, params) are valid only during on_request. */
#ifndef SECLABEL_HTTP_H
#define SECLABEL_HTTP_H

#include "buf.h"

#include <llhttp.h>
#include <stddef.h>

#define HTTP_MAX_URL 4096
#define HTTP_MAX_HEADER_BYTES 16384
#define HTTP_MAX_HEADERS 64
#define HTTP_MAX_BODY (64 * 1024)
#define HTTP_MAX_PARAMS 4

enum http_method {
    HTTP_M_GET = 1,
    HTTP_M_HEAD = 2,
    HTTP_M_PUT = 4,
    HTTP_M_POST = 8,
    HTTP_M_DELETE = 16,
    HTTP_M_OTHER = 32,
};

struct http_req {
    int method;       /* one enum http_method */
    struct buf url;   /* raw request target */
    const char *path; /* into url; not decoded */
    size_t path_len;
    const char *query; /* into url, after '?'; NULL if none */
    size_t query_len;
    struct buf hbytes; /* "name\0value\0" pairs */
    size_t hoff[HTTP_MAX_HEADERS][2];
    int nheaders;
    struct buf body;
    char *params[HTTP_MAX_PARAMS]; /* percent-decoded path captures, set by the router */
    int nparams;
    int keep_alive;
    char id[17]; /* request id, also sent as X-Request-Id */
};

/* A whole response as bytes, to be sent again (a cache): only its Date and X-Request-Id
 * change, patched in place at date_off (29 bytes) and id_off (16 bytes). */
struct http_prebuilt {
    struct buf bytes;
    size_t date_off, id_off;
    size_t body_len;
};

struct http_resp {
    int status;
    const char *content_type; /* static string; NULL for no body type */
    struct buf headers;       /* extra header lines, each ending in CRLF */
    struct buf body;
    int close;               /* close the connection after this response */
    int cacheable;           /* set by a handler: a GET answer that depends only on the URL, the
                                Accept-Language header, the data of one product and the day */
    const char *cache_scope; /* with cacheable: that product's ID (see rcache.h) */
    const struct http_prebuilt *prebuilt; /* if set, sent instead of the fields above;
                                             borrowed: it must outlive the request callback */
    int deferred;               /* set by a handler that answers later, from another callback: see
                                   http_parser_resume(); the request stays valid until then */
    struct http_parser *parser; /* the parser this response belongs to (for deferring) */
    int route;                  /* the request callback's own bookkeeping */
    double started;             /* ditto */
};

/* Value of header `name` (case-insensitive) or NULL; *len gets its length. */
const char *http_req_header(const struct http_req *req, const char *name, size_t *len);
/* Value of query parameter `name` decoded into out (NUL-terminated); 0, or -1 if absent. */
int http_req_query(const struct http_req *req, const char *name, struct buf *out);
const char *http_method_name(int method);
/* Percent-decode s[0..len) into out (NUL-terminated); plus: "+" means space. -1 if malformed. */
int http_pct_decode(const char *s, size_t len, int plus, struct buf *out);

/* Add one header line. */
void http_resp_header(struct http_resp *resp, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Make resp a JSON error: {"error": reg_err_name(code), "message": message or the default}.
 * Returns the status. */
int http_resp_error(struct http_resp *resp, int code, const char *message);
/* The bytes of resp as it is sent for req (not for HEAD), into pb (reset first). */
void http_prebuild(const struct http_req *req, const struct http_resp *resp,
                   struct http_prebuilt *pb);
/* Reason phrase of a status. */
const char *http_status_text(int status);

struct http_parser;
/* Called once per complete request; fill resp (status, type, headers, body). */
typedef void (*http_request_cb)(void *ctx, struct http_req *req, struct http_resp *resp);
/* Called when a request's headers are complete (path, query and headers set): the largest body
 * it may have. Unset: HTTP_MAX_BODY for every request. */
typedef size_t (*http_body_limit_cb)(void *ctx, const struct http_req *req);

struct http_parser {
    llhttp_t ll;
    llhttp_settings_t settings;
    struct http_req req;
    struct http_resp resp;
    struct buf *out; /* where responses are written; set by http_parser_feed */
    http_request_cb on_request;
    http_body_limit_cb body_limit; /* may be NULL; set after http_parser_init */
    size_t max_body;               /* of the request being read */
    void *ctx;
    const char *date; /* current IMF-fixdate, kept up to date by the caller */
    int err;          /* REG_E* code of the failure that stopped parsing */
    int in_message;   /* between message begin and complete */
    int closing;      /* a response asked to close: stop parsing */
    int waiting;      /* a deferred response is outstanding: parsing is paused */
    size_t used;      /* bytes of the last http_parser_feed() consumed (all, unless waiting) */
    void (*resume)(struct http_parser *p); /* the connection's: the deferred answer is ready */
    void *conn;                            /* the connection's, for resume */
    int hfield_open;
    unsigned long long counter; /* requests seen, for request ids */
    unsigned id_prefix;
};

void http_parser_init(struct http_parser *p, http_request_cb cb, void *ctx, unsigned id_prefix);
void http_parser_free(struct http_parser *p);
/* Feed bytes; responses are appended to out. Returns 0 to keep reading, 1 if the connection
 * must be closed once out is written (an error response, if any, is already in out). If a
 * handler deferred its response, p->waiting is set and only p->used bytes were consumed: the
 * caller keeps the rest, stops reading, and feeds it again after p->resume has been called. */
int http_parser_feed(struct http_parser *p, const char *data, size_t len, struct buf *out);
/* The deferred response in p->resp is complete: tell the connection (p->resume). Called by
 * whoever filled it, on the parser's thread. */
void http_parser_resume(struct http_parser *p);
/* For the connection's resume hook: write the deferred response into out and let parsing go
 * on. Returns 1 if the connection must be closed once out is written, else 0. */
int http_parser_complete(struct http_parser *p, struct buf *out);
/* Append an error response for code (e.g. REG_ETIMEOUT) that closes the connection. */
void http_parser_fail(struct http_parser *p, int code, struct buf *out);
/* Write an IMF-fixdate for time t into out (30 bytes). */
void http_date(long t, char out[30]);

#endif
