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

/* The HTTP-date s[0..len) (RFC 9110 §5.6.7: IMF-fixdate, or the obsolete RFC 850 and asctime
 * forms) as Unix seconds into *t: 0, or REG_EBADREQ if it is none of them. */
int represent_parse_date(const char *s, size_t len, long *t);
/* 1 if the If-None-Match field value h[0..len) is "*" or lists etag, compared weakly (a W/
 * prefix ignored, RFC 9110 §13.1.2). */
int represent_etag_listed(const char *h, size_t len, const char *etag);
/* Turn the handler's answer resp to req into what is sent: for a GET or HEAD answered 200 with
 * a body, add an ETag (unless the handler set one) and Last-Modified (if resp->last_modified),
 * then answer 304 if If-None-Match or If-Modified-Since says the client has it. Anything else
 * (a handler's own 304 among it) is left as it is. */
void represent_finish(const struct http_req *req, struct http_resp *resp);

#endif
