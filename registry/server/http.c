/* http.c: llhttp callbacks that build a bounded struct http_req, and the response writer.
 *
 * Request lifecycle inside one parser:
 *   message_begin -> url* -> (header_field* field_complete header_value* value_complete)*
 *   -> headers_complete (limits, Expect: 100-continue) -> body* -> message_complete
 *   -> on_request(ctx, req, resp) -> response appended to out.
 * A callback that finds a limit broken records the REG_E* code in p->err and returns -1;
 * llhttp then stops with an error and http_parser_feed() answers with that code and closes.
 * A response that must close the connection pauses llhttp so no later pipelined request runs;
 * so do a deferred response, a streamed one, full output and a used-up turn (http.h), after
 * which http_parser_feed() reports how much it consumed.
 *
 * Header fields that arrive after the header section (a chunked body's trailer) go through the
 * same llhttp callbacks: they are counted against HTTP_MAX_HEADER_BYTES and dropped, never
 * stored, so no trailer can act as a request header (RFC 9110 6.5.1). */
#include "http.h"

#include "date.h"
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yyjson.h>

static struct http_parser *P(llhttp_t *ll)
{
    return (struct http_parser *)ll->data;
}

/* What an llhttp callback returns to stop the parser (llhttp then reports HPE_USER): llhttp's
 * protocol, not one of our codes; the code and message wait in p->err and p->err_msg. */
#define LLHTTP_STOP (-1)

static int fail_msg(struct http_parser *p, int code, const char *msg)
{
    p->err = code;
    p->err_msg = msg;
    return LLHTTP_STOP;
}

static int fail(struct http_parser *p, int code)
{
    return fail_msg(p, code, NULL);
}

/* Empty b for the next request, keeping its memory only if it is small: a connection that once
 * sent a large body or got a large answer does not hold that much while it idles. */
static void buf_recycle(struct buf *b)
{
    if (b->cap > HTTP_KEEP_BYTES)
        buf_free(b);
    else
        buf_reset(b);
}

static int on_message_begin(llhttp_t *ll)
{
    struct http_parser *p = P(ll);
    struct http_req *r = &p->req;
    buf_reset(&r->url);
    buf_reset(&r->hbytes);
    buf_recycle(&r->body);
    for (int i = 0; i < r->nparams; i++)
        free(r->params[i]);
    r->nparams = r->nheaders = 0;
    p->hfield_open = 0;
    p->in_message = 1;
    p->headers_done = 0;
    p->trailer_bytes = 0;
    return 0;
}

static int on_url(llhttp_t *ll, const char *at, size_t len)
{
    struct http_parser *p = P(ll);
    if (p->req.url.len + len > HTTP_MAX_URL) return fail(p, REG_EURILONG);
    buf_append(&p->req.url, at, len);
    return 0;
}

static int header_bytes(struct http_parser *p, const char *at, size_t len)
{
    if (p->req.hbytes.len + len + 1 > HTTP_MAX_HEADER_BYTES) return fail(p, REG_EHDRBIG);
    buf_append(&p->req.hbytes, at, len);
    return 0;
}

/* A trailer's bytes: counted, not kept. */
static int trailer_bytes(struct http_parser *p, size_t len)
{
    p->trailer_bytes += len;
    return p->trailer_bytes > HTTP_MAX_HEADER_BYTES ? fail(p, REG_EHDRBIG) : 0;
}

static int on_header_field(llhttp_t *ll, const char *at, size_t len)
{
    struct http_parser *p = P(ll);
    struct http_req *r = &p->req;
    if (p->headers_done) return trailer_bytes(p, len);
    if (!p->hfield_open) {
        if (r->nheaders >= HTTP_MAX_HEADERS) return fail(p, REG_EHDRBIG);
        r->hoff[r->nheaders][0] = r->hbytes.len;
        p->hfield_open = 1;
    }
    return header_bytes(p, at, len);
}

static int on_header_field_complete(llhttp_t *ll)
{
    struct http_parser *p = P(ll);
    if (p->headers_done) return 0;
    if (!p->hfield_open) { /* empty name: llhttp rejects these, but stay safe */
        if (p->req.nheaders >= HTTP_MAX_HEADERS) return fail(p, REG_EHDRBIG);
        p->req.hoff[p->req.nheaders][0] = p->req.hbytes.len;
        p->hfield_open = 1;
    }
    if (header_bytes(p, "", 1)) return LLHTTP_STOP;
    p->req.hoff[p->req.nheaders][1] = p->req.hbytes.len;
    return 0;
}

static int on_header_value(llhttp_t *ll, const char *at, size_t len)
{
    struct http_parser *p = P(ll);
    return p->headers_done ? trailer_bytes(p, len) : header_bytes(p, at, len);
}

/* The value ends here: without its trailing blanks (llhttp drops the leading ones; RFC 9110
 * 5.5 excludes both from the value). */
static int on_header_value_complete(llhttp_t *ll)
{
    struct http_parser *p = P(ll);
    if (p->headers_done) return 0;
    struct buf *h = &p->req.hbytes;
    size_t start = p->req.hoff[p->req.nheaders][1];
    while (h->len > start && (h->data[h->len - 1] == ' ' || h->data[h->len - 1] == '\t'))
        h->len--;
    if (header_bytes(p, "", 1)) return LLHTTP_STOP;
    p->req.nheaders++;
    p->hfield_open = 0;
    return 0;
}

/* Length of an absolute-form target's "scheme://authority" prefix (RFC 9112 3.2.2: a server
 * MUST accept it; the authority replaces Host, which routing does not use), or 0. */
static size_t absolute_prefix(const char *u, size_t len)
{
    /* (u is NUL-terminated: strncasecmp stops at a shorter target) */
    size_t n = strncasecmp(u, "http://", 7) == 0 ? 7 : strncasecmp(u, "https://", 8) == 0 ? 8 : 0;
    if (!n) return 0;
    while (n < len && u[n] != '/' && u[n] != '?')
        n++;
    return n;
}

static void split_target(struct http_req *r)
{
    const char *u = buf_cstr(&r->url);
    size_t skip = absolute_prefix(u, r->url.len);
    const char *q = memchr(u + skip, '?', r->url.len - skip);
    r->path = u + skip;
    r->path_len = (q ? (size_t)(q - u) : r->url.len) - skip;
    if (r->path_len == 0) { /* "http://host" or "http://host?x": the path is "/" */
        r->path = "/";
        r->path_len = 1;
    }
    r->query = q ? q + 1 : NULL;
    r->query_len = q ? r->url.len - (size_t)(q - u) - 1 : 0;
}

static int method_of(uint8_t m)
{
    switch (m) {
    case HTTP_GET:
        return HTTP_M_GET;
    case HTTP_HEAD:
        return HTTP_M_HEAD;
    case HTTP_PUT:
        return HTTP_M_PUT;
    case HTTP_POST:
        return HTTP_M_POST;
    case HTTP_DELETE:
        return HTTP_M_DELETE;
    case HTTP_OPTIONS:
        return HTTP_M_OPTIONS;
    }
    return HTTP_M_OTHER;
}

/* The header fields a request may carry at most once (RFC 9110 5.3): Host (RFC 9112 3.2), and
 * those whose first and last copy would mean different things to different readers. The list
 * fields If-Match and If-None-Match could be joined, but no client sends them twice, and a
 * refusal leaves one meaning for everyone. */
static const char *const single_fields[] = {"host",     "authorization", "content-type",
                                            "if-match", "if-none-match", "expect"};

static int header_count(const struct http_req *r, const char *name)
{
    int n = 0;
    for (int i = 0; i < r->nheaders; i++)
        n += strcasecmp(r->hbytes.data + r->hoff[i][0], name) == 0;
    return n;
}

/* A Host value: a host name, IPv4 or bracketed IPv6 address and an optional port (RFC 3986
 * authority without user info); empty is allowed (RFC 9112 3.2). */
static int host_ok(const char *v)
{
    for (; *v; v++)
        if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') || (*v >= '0' && *v <= '9') ||
              strchr("-._~!$&'()*+,;=:[]%", *v)))
            return 0;
    return 1;
}

/* The protocol rules of http.h: version, Host, fields sent once. 0, or LLHTTP_STOP with p->err
 * set. */
static int check_head(struct http_parser *p, const llhttp_t *ll, const struct http_req *r)
{
    if (ll->http_major == 0)
        return fail_msg(p, REG_EBADREQ, "The request line needs a version: HTTP/1.1.");
    if (ll->http_major != 1) /* 400 rather than 505: one answer for every unframeable request */
        return fail_msg(p, REG_EBADREQ, "Only HTTP/1.0 and HTTP/1.1 are spoken here.");
    const char *host = http_req_header(r, "host", NULL);
    if (ll->http_minor >= 1 && !host)
        return fail_msg(p, REG_EBADREQ, "An HTTP/1.1 request needs a Host header.");
    if (host && !host_ok(host)) return fail_msg(p, REG_EBADREQ, "The Host header is malformed.");
    for (size_t i = 0; i < sizeof single_fields / sizeof single_fields[0]; i++)
        if (header_count(r, single_fields[i]) > 1)
            return fail_msg(p, REG_EBADREQ,
                            "A header that may appear once (Host, Authorization, Content-Type, "
                            "If-Match, If-None-Match, Expect) appears twice.");
    return 0;
}

static int on_headers_complete(llhttp_t *ll)
{
    struct http_parser *p = P(ll);
    struct http_req *r = &p->req;
    p->headers_done = 1;
    r->method = method_of(llhttp_get_method(ll));
    if (check_head(p, ll, r)) return LLHTTP_STOP;
    split_target(r);
    p->max_body = p->body_limit ? p->body_limit(p->ctx, r) : REG_MAX_BODY;
    if ((ll->flags & F_CONTENT_LENGTH) && ll->content_length > p->max_body)
        return fail(p, REG_ETOOBIG);
    size_t len;
    const char *expect = http_req_header(r, "expect", &len);
    if (expect && len == 12 && strncasecmp(expect, "100-continue", 12) == 0)
        buf_printf(p->out, "HTTP/1.1 100 %s\r\n\r\n", http_status_text(100));
    return 0;
}

static int on_body(llhttp_t *ll, const char *at, size_t len)
{
    struct http_parser *p = P(ll);
    if (p->req.body.len + len > p->max_body) return fail(p, REG_ETOOBIG);
    buf_append(&p->req.body, at, len);
    return 0;
}

/* How a body is delimited: by Content-Length (the whole body is in resp->body), by chunks, or
 * by closing the connection (a stream answering HTTP/1.0). */
enum framing { FRAME_LENGTH, FRAME_CHUNKED, FRAME_CLOSE };

/* Serialise s into o; the offsets of the Date value and the request id into *date_off, *id_off
 * (relative to where this response starts in o). With a framing other than FRAME_LENGTH only
 * the head is written. */
static void serialize_framed(const char *date, const char *id, const struct http_resp *s, int head,
                             enum framing fr, struct buf *o, size_t *date_off, size_t *id_off)
{
    size_t start = o->len;
    int no_body = s->status == 304 || s->status == 204;
    buf_puts(o, "HTTP/1.1 ");
    buf_put_i64(o, s->status);
    buf_putc(o, ' ');
    buf_puts(o, http_status_text(s->status));
    buf_puts(o, "\r\nDate: ");
    *date_off = o->len - start;
    buf_puts(o, date ? date : "Thu, 01 Jan 1970 00:00:00 GMT");
    buf_puts(o, "\r\n");
    if (s->content_type && !no_body) {
        buf_puts(o, "Content-Type: ");
        buf_puts(o, s->content_type);
        buf_puts(o, "\r\n");
    }
    if (!no_body && fr == FRAME_LENGTH) {
        buf_puts(o, "Content-Length: ");
        buf_put_u64(o, s->body.len);
        buf_puts(o, "\r\n");
    }
    if (!no_body && fr == FRAME_CHUNKED) buf_puts(o, "Transfer-Encoding: chunked\r\n");
    buf_puts(o, "X-Request-Id: ");
    *id_off = o->len - start;
    buf_puts(o, id);
    buf_puts(o, "\r\nX-Content-Type-Options: nosniff\r\n");
    if (s->close) buf_puts(o, "Connection: close\r\n");
    buf_append(o, s->headers.data, s->headers.len);
    buf_puts(o, "\r\n");
    if (!head && !no_body && fr == FRAME_LENGTH) buf_append(o, s->body.data, s->body.len);
}

static void serialize(const char *date, const char *id, const struct http_resp *s, int head,
                      struct buf *o, size_t *date_off, size_t *id_off)
{
    serialize_framed(date, id, s, head, FRAME_LENGTH, o, date_off, id_off);
}

void http_prebuild(const struct http_req *req, const struct http_resp *resp,
                   struct http_prebuilt *pb)
{
    buf_reset(&pb->bytes);
    serialize(NULL, req->id, resp, 0, &pb->bytes, &pb->date_off, &pb->id_off);
    pb->body_len = resp->body.len;
}

static void write_response(struct http_parser *p, int head)
{
    struct http_resp *s = &p->resp;
    struct buf *o = p->out;
    size_t date_off, id_off, start = o->len;
    const struct http_prebuilt *pb = s->prebuilt;
    if (!pb) {
        serialize(p->date, p->req.id, s, head, o, &date_off, &id_off);
        return;
    }
    buf_append(o, pb->bytes.data, pb->bytes.len);
    if (p->date) memcpy(o->data + start + pb->date_off, p->date, 29);
    memcpy(o->data + start + pb->id_off, p->req.id, 16);
}

static void reset_resp(struct http_resp *s)
{
    s->status = 200;
    s->content_type = NULL;
    s->close = 0;
    s->cacheable = 0;
    s->cache_scope = NULL;
    s->last_modified = 0;
    s->prebuilt = NULL;
    s->stream = NULL;
    buf_reset(&s->headers);
    buf_recycle(&s->body);
}

/* The request id: the connection's random prefix and its request count, 8 hex digits each
 * (written by hand: it is on every request's path, and snprintf showed in the profile). */
static void next_id(struct http_parser *p)
{
    static const char hex[] = "0123456789abcdef";
    unsigned long long v =
        ((unsigned long long)p->id_prefix << 32) | (++p->counter & 0xffffffffull);
    for (int i = 15; i >= 0; i--, v >>= 4)
        p->req.id[i] = hex[v & 15];
    p->req.id[16] = '\0';
}

/* After a response: HPE_PAUSED if parsing must stop (closing, or held: the output reached
 * the high-water mark or the turn is used up), else 0. */
static int after_response(struct http_parser *p)
{
    if (p->resp.close) {
        p->closing = 1;
        return HPE_PAUSED;
    }
    p->answered++;
    if ((p->high_water && p->out->len + p->backlog >= p->high_water) ||
        (p->turn && p->answered >= p->turn)) {
        p->held = 1;
        return HPE_PAUSED;
    }
    return 0;
}

/* Write the response to the current request; HPE_PAUSED if parsing must stop. */
static int finish_response(struct http_parser *p)
{
    if (!p->req.keep_alive) p->resp.close = 1;
    write_response(p, p->req.method == HTTP_M_HEAD);
    return after_response(p);
}

/* The handler answered with a stream: nothing is written until its first slice (which may
 * still change the head); parsing stays paused until the stream ends. */
static int start_stream(struct http_parser *p)
{
    p->stream = p->resp.stream;
    p->stream_started = 0;
    p->stream_bytes = 0;
    p->stream_chunked = p->ll.http_minor >= 1;
    if (!p->req.keep_alive || !p->stream_chunked) p->resp.close = 1;
    return HPE_PAUSED;
}

static int on_message_complete(llhttp_t *ll)
{
    struct http_parser *p = P(ll);
    struct http_req *r = &p->req;
    p->in_message = 0;
    r->keep_alive = llhttp_should_keep_alive(ll);
    split_target(r);
    next_id(p);
    reset_resp(&p->resp);
    p->resp.parser = p;
    p->on_request(p->ctx, r, &p->resp);
    /* After CONNECT the client's bytes would be a tunnel's, which is never opened. */
    if (llhttp_get_method(ll) == HTTP_CONNECT) p->resp.close = 1;
    if (p->resp.deferred) { /* answered by http_parser_complete(); nothing more is parsed */
        p->waiting = 1;
        return HPE_PAUSED;
    }
    if (p->resp.stream) return start_stream(p);
    return finish_response(p);
}

void http_parser_init(struct http_parser *p, http_request_cb cb, void *ctx, unsigned id_prefix)
{
    memset(p, 0, sizeof *p);
    llhttp_settings_init(&p->settings);
    p->settings.on_message_begin = on_message_begin;
    p->settings.on_url = on_url;
    p->settings.on_header_field = on_header_field;
    p->settings.on_header_field_complete = on_header_field_complete;
    p->settings.on_header_value = on_header_value;
    p->settings.on_header_value_complete = on_header_value_complete;
    p->settings.on_headers_complete = on_headers_complete;
    p->settings.on_body = on_body;
    p->settings.on_message_complete = on_message_complete;
    llhttp_init(&p->ll, HTTP_REQUEST, &p->settings);
    p->ll.data = p;
    p->on_request = cb;
    p->ctx = ctx;
    p->id_prefix = id_prefix;
}

/* The stream is done with: its free hook, and parsing may go on. */
static void end_stream(struct http_parser *p)
{
    struct http_stream *st = p->stream;
    p->stream = NULL;
    p->resp.stream = NULL;
    st->free(st, &p->req, &p->resp, p->stream_bytes);
}

void http_parser_free(struct http_parser *p)
{
    if (p->stream) end_stream(p);
    struct http_req *r = &p->req;
    for (int i = 0; i < r->nparams; i++)
        free(r->params[i]);
    r->nparams = 0;
    buf_free(&r->url);
    buf_free(&r->hbytes);
    buf_free(&r->body);
    buf_free(&p->resp.headers);
    buf_free(&p->resp.body);
}

void http_parser_fail(struct http_parser *p, int code, const char *message, struct buf *out)
{
    p->out = out;
    p->closing = 1;
    next_id(p);
    reset_resp(&p->resp);
    http_resp_error(&p->resp, code, message);
    /* CORS (api.c's cors_headers), which no route added: a script of another origin then sees
     * this error (414, 431, 408, ...) rather than an opaque network failure. */
    http_resp_header(&p->resp, "Access-Control-Allow-Origin", "*");
    p->resp.close = 1;
    write_response(p, 0);
}

int http_parser_feed(struct http_parser *p, const char *data, size_t len, struct buf *out)
{
    p->used = 0;
    if (p->closing) return 1;
    if (p->waiting || p->stream) return 0;
    p->out = out;
    p->answered = 0;
    if (p->held) {
        p->held = 0;
        llhttp_resume(&p->ll);
    }
    for (;;) {
        llhttp_errno_t e = llhttp_execute(&p->ll, data + p->used, len - p->used);
        if (e == HPE_OK) {
            p->used = len;
            return 0;
        }
        size_t pos = (size_t)(llhttp_get_error_pos(&p->ll) - data);
        if (e == HPE_PAUSED_UPGRADE) { /* Upgrade is ignored (RFC 9110 7.8): go on as HTTP/1.1 */
            llhttp_resume_after_upgrade(&p->ll);
            p->used = pos;
            continue;
        }
        if (e == HPE_PAUSED && p->closing) {
            p->used = len;
            return 1;
        }
        if (e == HPE_PAUSED) { /* waiting, streaming or held: the rest is the caller's */
            p->used = pos;
            return 0;
        }
        http_parser_fail(p, p->err ? p->err : REG_EBADREQ, p->err ? p->err_msg : NULL, out);
        p->used = len;
        return 1;
    }
}

/* The head of a streamed response, before its first body bytes; for HEAD the stream ends. */
static void stream_head(struct http_parser *p)
{
    size_t date_off, id_off;
    int head = p->req.method == HTTP_M_HEAD;
    p->stream_started = 1;
    serialize_framed(p->date, p->req.id, &p->resp, head,
                     p->stream_chunked ? FRAME_CHUNKED : FRAME_CLOSE, p->out, &date_off, &id_off);
}

int http_parser_stream(struct http_parser *p, struct buf *out)
{
    struct http_resp *s = &p->resp;
    struct buf *slice = &s->body; /* unused by streams otherwise: the slice's scratch space */
    if (!p->stream) return p->closing;
    p->out = out;
    p->answered = 0;
    buf_reset(slice);
    int rc = p->stream->next(p->stream, s, slice);
    if (rc < 0 && !p->stream_started) { /* nothing sent yet: answer the error instead */
        end_stream(p);
        buf_reset(&s->headers);
        http_resp_error(s, rc, NULL);
        finish_response(p);
        llhttp_resume(&p->ll);
        return p->closing;
    }
    if (!p->stream_started && (slice->len || rc != 0)) stream_head(p);
    int head = p->req.method == HTTP_M_HEAD;
    if (slice->len && !head) {
        if (p->stream_chunked) buf_printf(out, "%zx\r\n", slice->len);
        buf_append(out, slice->data, slice->len);
        if (p->stream_chunked) buf_puts(out, "\r\n");
        p->stream_bytes += slice->len;
    }
    buf_reset(slice);
    if (rc == 0 && !(head && p->stream_started)) return 0;
    if (rc < 0) { /* cut short: no last chunk, and the connection closes */
        p->closing = 1;
        end_stream(p);
        return 1;
    }
    if (p->stream_chunked && !head) buf_puts(out, "0\r\n\r\n");
    end_stream(p);
    after_response(p);
    llhttp_resume(&p->ll);
    return p->closing;
}

/* The value of header i if it is `name`, else NULL. */
static const char *header_at(const struct http_req *req, int i, const char *name, size_t *len)
{
    if (strcasecmp(req->hbytes.data + req->hoff[i][0], name) != 0) return NULL;
    const char *v = req->hbytes.data + req->hoff[i][1];
    if (len) *len = strlen(v);
    return v;
}

const char *http_req_header_last(const struct http_req *req, const char *name, size_t *len)
{
    const char *v = NULL;
    for (int i = req->nheaders - 1; i >= 0 && !v; i--)
        v = header_at(req, i, name, len);
    return v;
}

const char *http_req_header(const struct http_req *req, const char *name, size_t *len)
{
    const char *v = NULL;
    for (int i = 0; i < req->nheaders && !v; i++)
        v = header_at(req, i, name, len);
    return v;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return REG_EBADREQ;
}

/* Percent-decode s[0..len) into out ('+' is a space when plus is set); REG_EBADREQ on a bad
 * escape. */
int http_pct_decode(const char *s, size_t len, int plus, struct buf *out)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= len) return REG_EBADREQ;
            int h = hexval(s[i + 1]), l = hexval(s[i + 2]);
            if (h < 0 || l < 0) return REG_EBADREQ;
            buf_putc(out, (char)(h * 16 + l));
            i += 2;
        } else {
            buf_putc(out, plus && c == '+' ? ' ' : c);
        }
    }
    buf_cstr(out);
    return 0;
}

int http_req_query_each(const struct http_req *req,
                        int (*fn)(void *ctx, const struct http_query_param *p), void *ctx)
{
    if (!req->query) return 0;
    const char *q = req->query, *end = req->query + req->query_len;
    while (q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *pe = amp ? amp : end;
        const char *eq = memchr(q, '=', (size_t)(pe - q));
        if (pe > q) {
            struct http_query_param p = {
                .name = q,
                .name_len = (size_t)((eq ? eq : pe) - q),
                .value = eq ? eq + 1 : pe,
                .value_len = eq ? (size_t)(pe - eq - 1) : 0,
                .has_value = eq != NULL,
            };
            int rc = fn(ctx, &p);
            if (rc) return rc;
        }
        if (!amp) break;
        q = amp + 1;
    }
    return 0;
}

struct query_find {
    const char *name;
    size_t len;
    struct buf *out;
};

static int query_find(void *ctx, const struct http_query_param *p)
{
    struct query_find *f = ctx;
    if (p->name_len != f->len || memcmp(p->name, f->name, f->len) != 0) return 0;
    buf_reset(f->out);
    int rc = http_pct_decode(p->value, p->value_len, 1, f->out);
    return rc ? rc : 1;
}

int http_req_query(const struct http_req *req, const char *name, struct buf *out)
{
    struct query_find f = {name, strlen(name), out};
    int rc = http_req_query_each(req, query_find, &f);
    return rc == 1 ? 0 : rc ? rc : REG_ENOTFOUND;
}

const char *http_method_name(int method)
{
    switch (method) {
    case HTTP_M_GET:
        return "GET";
    case HTTP_M_HEAD:
        return "HEAD";
    case HTTP_M_PUT:
        return "PUT";
    case HTTP_M_POST:
        return "POST";
    case HTTP_M_DELETE:
        return "DELETE";
    case HTTP_M_OPTIONS:
        return "OPTIONS";
    }
    return "OTHER";
}

void http_resp_header(struct http_resp *resp, const char *name, const char *fmt, ...)
{
    if (!strchr(fmt, '%')) { /* a constant (the CORS lines on every answer): no printf */
        http_resp_header_str(resp, name, fmt, strlen(fmt));
        return;
    }
    va_list ap;
    buf_puts(&resp->headers, name);
    buf_puts(&resp->headers, ": ");
    va_start(ap, fmt);
    buf_vprintf(&resp->headers, fmt, ap);
    va_end(ap);
    buf_puts(&resp->headers, "\r\n");
}

void http_resp_header_str(struct http_resp *resp, const char *name, const char *value, size_t len)
{
    struct buf *h = &resp->headers;
    size_t nl = strlen(name);
    buf_reserve(h, nl + len + 4);
    memcpy(h->data + h->len, name, nl);
    memcpy(h->data + h->len + nl, ": ", 2);
    memcpy(h->data + h->len + nl + 2, value, len);
    memcpy(h->data + h->len + nl + 2 + len, "\r\n", 2);
    h->len += nl + len + 4;
}

int http_resp_error(struct http_resp *resp, int code, const char *message)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, o);
    yyjson_mut_obj_add_str(doc, o, "error", reg_err_name(code));
    yyjson_mut_obj_add_str(doc, o, "message", message ? message : reg_strerror(code));
    size_t len;
    char *s = yyjson_mut_write(doc, 0, &len);
    yyjson_mut_doc_free(doc);
    resp->status = reg_err_status(code);
    resp->content_type = "application/json; charset=utf-8";
    buf_reset(&resp->body);
    if (s) buf_append(&resp->body, s, len);
    buf_putc(&resp->body, '\n');
    free(s);
    return resp
        ->status; /* only http_parser_fail closes: after a broken request, not a refused one */
}

const char *http_status_text(int status)
{
    switch (status) {
#define X(code, reason, counted)                                                                   \
    case code:                                                                                     \
        return reason;
        HTTP_STATUSES(X)
#undef X
    }
    return "Unknown";
}

void http_date(long t, char out[30])
{
    date_imf_fixdate(t, out);
}

void http_parser_resume(struct http_parser *p)
{
    if (p->resume) p->resume(p);
}

int http_parser_complete(struct http_parser *p, struct buf *out)
{
    p->out = out;
    p->answered = 0;
    p->waiting = 0;
    p->resp.deferred = 0;
    llhttp_resume(&p->ll);
    if (p->resp.stream) { /* a deferred answer may be a stream */
        start_stream(p);
        return 0;
    }
    finish_response(p);
    return p->closing;
}
