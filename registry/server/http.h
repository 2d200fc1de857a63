/* http.h: HTTP/1.1 requests and responses, independent of sockets.
 *
 * http_parser wraps llhttp: bytes go in through http_parser_feed(); each complete request is
 * handed to the on_request callback, which fills a response; the parser serialises it into
 * the caller's output buffer. Requests are answered strictly in order, so pipelining needs no
 * extra bookkeeping. Every size is bounded (HTTP_MAX_*); past a bound the parser answers with
 * the matching error (414, 431, 413) and asks for the connection to be closed.
 *
 * Work in flight is bounded: the parser stops (llhttp pause) after a response whenever the
 * connection's queued output reaches high_water, after `turn` responses in one feed, while a
 * handler's deferred answer is outstanding, and while a streamed body is being produced; the
 * caller keeps the bytes not yet parsed and feeds them again later. So at most one response is
 * being produced per connection, and its output is bounded by high_water plus one response.
 *
 * Protocol rules the parser enforces (RFC 9112): HTTP/1.x only (a request line without a
 * version, i.e. HTTP/0.9, or with HTTP/2.0: 400); Host is required in HTTP/1.1 and may appear once;
 * Authorization, Content-Type, If-Match, If-None-Match and Expect may appear once (400 otherwise:
 * the first and the last would mean different things); absolute-form targets are accepted; trailer
 * fields of a chunked body are read and ignored; trailing blanks of header values are dropped.
 * A CONNECT request is answered and the connection closed; an Upgrade header is ignored.
 *
 * Ownership: the parser owns its request and response objects and reuses their memory; the
 * pointers a handler sees (path, headers, body, params) are valid only during on_request. */
#ifndef SECLABEL_HTTP_H
#define SECLABEL_HTTP_H

#include "buf.h"
#include "http_status.h"
#include "reg_limits.h"

#include <llhttp.h>
#include <stddef.h>

#define HTTP_MAX_URL 4096
#define HTTP_MAX_HEADER_BYTES 16384
#define HTTP_MAX_HEADERS 64
#define HTTP_MAX_PARAMS 4
#define HTTP_KEEP_BYTES (16 * 1024) /* a request's or response's buffer kept for the next */

enum http_method {
    HTTP_M_GET = 1,
    HTTP_M_HEAD = 2,
    HTTP_M_PUT = 4,
    HTTP_M_POST = 8,
    HTTP_M_DELETE = 16,
    HTTP_M_OTHER = 32,
    HTTP_M_OPTIONS = 64, /* answered as a CORS preflight (api.c) */
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
    /* Set by the server for its connection (NULL and 0 otherwise): the peer's address as text
     * (clients.h), and whether the peer is a trusted proxy whose X-Forwarded-For names the
     * client (api_client). */
    const char *peer;
    int peer_trusted;
};

/* A whole response as bytes, to be sent again (a cache): only its Date and X-Request-Id
 * change, patched in place at date_off (29 bytes) and id_off (16 bytes). */
struct http_prebuilt {
    struct buf bytes;
    size_t date_off, id_off;
    size_t body_len;
};

struct http_resp;

/* A response body made in slices (see http_parser_stream), for answers too large or too slow
 * to make at once. Set resp->stream in the request callback; the parser then owns it. */
struct http_stream {
    /* Append the next slice of the body to out: a bounded amount of work (about a millisecond)
     * and of bytes. Until it first appends a byte it may still change resp's status and
     * headers. Returns 0 while more is to come, 1 when the body is complete, or a negative
     * REG_E* code (before the first byte: that error is answered instead; after: the
     * connection is closed, so the client sees the body cut short). */
    int (*next)(struct http_stream *s, struct http_resp *resp, struct buf *out);
    /* Called once, when the stream is done with (complete, failed, or its connection closed).
     * The request is still valid during the call; body_bytes were sent. */
    void (*free)(struct http_stream *s, const struct http_req *req, const struct http_resp *resp,
                 size_t body_bytes);
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
    long last_modified;      /* set by a handler: when what the answer shows last changed (Unix
                                seconds), for Last-Modified and If-Modified-Since; 0: unknown */
    const struct http_prebuilt *prebuilt; /* if set, sent instead of the fields above;
                                             borrowed: it must outlive the request callback */
    int deferred;               /* set by a handler that answers later, from another callback: see
                                   http_parser_resume(); the request stays valid until then */
    struct http_parser *parser; /* the parser this response belongs to (for deferring) */
    struct http_stream *stream; /* if set by a handler: the body comes in slices (chunked for
                                   HTTP/1.1, close-delimited for 1.0); body above unused */
    int route;                  /* the request callback's own bookkeeping */
    double started;             /* ditto */
};

/* Value of header `name` (case-insensitive) or NULL; *len gets its length. */
const char *http_req_header(const struct http_req *req, const char *name, size_t *len);
/* The same for the last field line of `name` (of a list-valued header that came in several
 * lines, the one holding the list's last elements). */
const char *http_req_header_last(const struct http_req *req, const char *name, size_t *len);
/* Value of query parameter `name` decoded into out (NUL-terminated); 0, or REG_ENOTFOUND if
 * absent, REG_EBADREQ if it cannot be decoded. */
int http_req_query(const struct http_req *req, const char *name, struct buf *out);
/* One parameter of a query string as the target has it: name and value still percent-encoded
 * (borrowed from the request); has_value is 0 for a bare name ("?flag"). */
struct http_query_param {
    const char *name, *value;
    size_t name_len, value_len;
    int has_value;
};
/* Call fn for each parameter of req's query string in order (empty pieces, as between "&&",
 * are skipped). Returns the first non-zero value fn returns, which stops the walk, or 0. */
int http_req_query_each(const struct http_req *req,
                        int (*fn)(void *ctx, const struct http_query_param *p), void *ctx);
const char *http_method_name(int method);
/* Percent-decode s[0..len) into out (NUL-terminated); plus: "+" means space. REG_EBADREQ if
 * malformed. */
int http_pct_decode(const char *s, size_t len, int plus, struct buf *out);

/* Add one header line. */
void http_resp_header(struct http_resp *resp, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Add one header line whose value is value[0..len), as it is (no format: for the lines every
 * answer of a kind carries, where printf showed in profiles). */
void http_resp_header_str(struct http_resp *resp, const char *name, const char *value, size_t len);
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
 * it may have. Unset: REG_MAX_BODY for every request. */
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
    const char *date;    /* current IMF-fixdate, kept up to date by the caller */
    int err;             /* REG_E* code of the failure that stopped parsing */
    const char *err_msg; /* its message (static), or NULL for the code's default */
    int in_message;      /* between message begin and complete */
    int closing;         /* a response asked to close: stop parsing */
    int waiting;         /* a deferred response is outstanding: parsing is paused */
    int held;            /* parsing paused for output (high_water) or for fairness (turn) */
    size_t used;         /* bytes of the last http_parser_feed() consumed (all, unless paused) */
    size_t high_water;   /* pause after a response once out->len + backlog reaches this; 0: never */
    size_t backlog;      /* the caller's: output queued outside out (e.g. in the socket's writes) */
    unsigned turn;       /* pause after this many responses in one feed (fairness); 0: no limit */
    unsigned answered;   /* responses in the current feed */
    int headers_done;    /* the current request's header section is complete: fields now are
                            trailers, which are ignored */
    size_t trailer_bytes;
    struct http_stream *stream; /* the body being produced, owned; parsing paused meanwhile */
    int stream_started;         /* its status line and headers are written */
    int stream_chunked;         /* 1: chunked framing; 0: close-delimited (HTTP/1.0) */
    size_t stream_bytes;        /* body bytes produced so far */
    void (*resume)(struct http_parser *p); /* the connection's: the deferred answer is ready */
    void *conn;                            /* the connection's, for resume */
    int hfield_open;
    unsigned long long counter; /* requests seen, for request ids */
    unsigned id_prefix;
};

void http_parser_init(struct http_parser *p, http_request_cb cb, void *ctx, unsigned id_prefix);
/* Frees the parser's memory and an unfinished stream (its free hook is called). */
void http_parser_free(struct http_parser *p);
/* Feed bytes; responses are appended to out. Returns 0 to keep reading, 1 if the connection
 * must be closed once out is written (an error response, if any, is already in out). Only
 * p->used bytes may have been consumed: parsing paused (see the top of this file). The caller
 * keeps the rest and feeds it again once the pause is over: a deferred response (p->waiting)
 * after p->resume has been called and http_parser_complete(); a stream (p->stream) once
 * http_parser_stream() has finished it; a hold (p->held) when the output has drained, or at
 * the loop's next turn. Feeding while waiting or streaming consumes nothing. */
int http_parser_feed(struct http_parser *p, const char *data, size_t len, struct buf *out);
/* Produce the next slice of the streamed body (p->stream) into out, framed. Returns 1 if the
 * connection must be closed once out is written, else 0; when p->stream is then NULL the
 * response is complete and parsing may go on. Call it again only when out has drained. */
int http_parser_stream(struct http_parser *p, struct buf *out);
/* The deferred response in p->resp is complete: tell the connection (p->resume). Called by
 * whoever filled it, on the parser's thread. */
void http_parser_resume(struct http_parser *p);
/* For the connection's resume hook: write the deferred response into out and let parsing go
 * on. Returns 1 if the connection must be closed once out is written, else 0. */
int http_parser_complete(struct http_parser *p, struct buf *out);
/* Append an error response for code (e.g. REG_ETIMEOUT) that closes the connection; message
 * NULL: the code's default. */
void http_parser_fail(struct http_parser *p, int code, const char *message, struct buf *out);
/* Write an IMF-fixdate for time t into out (30 bytes). */
void http_date(long t, char out[30]);

#endif
