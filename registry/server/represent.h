/* represent.h: from a handler's answer to the representation sent (RFC 9110 §8, §12.5.3, §13):
 * validators (ETag, Last-Modified), conditional GETs answered 304, and content coding (gzip,
 * Brotli) negotiated by Accept-Encoding. Handlers fill a plain 200 answer; api.c calls
 * represent_finish on it after the handler (and after a deferred handler's done) and before
 * the response cache keeps it, so a cached answer holds the form that was sent.
 *
 * Streams (resp->stream, the CSV export) are not handled here: their body does not exist yet
 * when the head is sent, so it cannot be hashed or compressed as a whole.
 *
 * Ownership: nothing is kept; the functions read the request and rewrite resp in place. */
#ifndef SECLABEL_REPRESENT_H
#define SECLABEL_REPRESENT_H

#include "http.h"

#include <stddef.h>

/* A content coding of a response body (RFC 9110 §8.4.1). */
enum represent_coding { REPRESENT_IDENTITY, REPRESENT_GZIP, REPRESENT_BR };

/* Bodies smaller than this are sent as they are: below one TCP segment (about 1460 bytes)
 * compression saves no round trip, and a few hundred bytes of JSON gain little (measured in
 * represent.c's comment). */
#define REPRESENT_MIN_BYTES 1024

/* What the representations made on one event loop cost (read by /metrics with atomics). */
struct represent_stats {
    unsigned long long compressed; /* bodies compressed */
};

/* The coding to send for an Accept-Encoding field value (NULL: no such field): the acceptable
 * coding of highest weight, Brotli before gzip before identity at equal weight. Identity when
 * nothing else is acceptable, also when the client refuses identity itself: RFC 9110 §12.5.3
 * lets a server disregard the field rather than answer 406. */
enum represent_coding represent_negotiate(const char *ae, size_t len);
/* 1 if a body of this media type (a Content-Type value; NULL: none) is worth compressing. */
int represent_compressible(const char *content_type);
/* The HTTP-date s[0..len) (RFC 9110 §5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime
 * forms) as Unix seconds into *t: 0, or REG_EBADREQ if it is none of them. */
int represent_parse_date(const char *s, size_t len, long *t);
/* 1 if the If-None-Match field value h[0..len) is "*" or lists etag, compared weakly (a W/
 * prefix ignored, RFC 9110 §13.1.2). */
int represent_etag_listed(const char *h, size_t len, const char *etag);
/* 1 if req's If-None-Match lists etag (a quoted tag a handler set, known before its body is
 * made) as it is or as represent_finish would send it for the coding req negotiates: the client
 * holds that answer, whether its body was compressed or not. The tag it holds (the one a 304
 * names) into held (REPRESENT_ETAG_MAX bytes). */
#define REPRESENT_ETAG_MAX 136
int represent_etag_held(const struct http_req *req, const char *etag,
                        char held[REPRESENT_ETAG_MAX]);
/* Turn the handler's answer resp to req into what is sent: for a GET or HEAD answered 200 with
 * a body, add an ETag (unless the handler set one) and Last-Modified (if resp->last_modified);
 * for a compressible type of at least REPRESENT_MIN_BYTES add Vary: Accept-Encoding and pick
 * the coding; answer 304 if If-None-Match or If-Modified-Since says the client holds that
 * representation, else compress the body as picked (Content-Encoding), its ETag suffixed
 * "-gz" or "-br" inside the quotes. A handler's own 304 of a compressible type gets the Vary.
 * Anything else is left as it is. stats (counted into) may be NULL. */
void represent_finish(const struct http_req *req, struct http_resp *resp,
                      struct represent_stats *stats);

#endif
