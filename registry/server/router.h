/* router.h: a static route table: {methods, pattern, handler}, matched segment by segment.
 *
 * Patterns are literal paths in which a segment "{}" captures one non-empty path segment,
 * percent-decoded into req->params (owned by the request, freed when the next request starts),
 * and a last segment "{**}" captures the rest of the path, one segment or more, as sent (not
 * decoded: its handler parses it strictly, e.g. the log's tile paths "x001/x234/067.p/5").
 * HEAD is accepted wherever GET is. */
#ifndef SECLABEL_ROUTER_H
#define SECLABEL_ROUTER_H

#include "http.h"

#include <stddef.h>

typedef int (*route_fn)(void *ctx, struct http_req *req, struct http_resp *resp);

struct route {
    int methods; /* HTTP_M_* mask */
    const char *pattern;
    route_fn fn;
    /* The query parameters the route takes, space-separated ("" for none; at most 32): one it
     * does not take, one given twice or one with an empty value is refused before fn runs
     * (api.c says how). NULL: fn reads the query itself and ignores what it does not know (the
     * pages). */
    const char *query;
};

/* The route for req, with its captures in req->params; NULL if none. *allow gets the methods
 * of every route whose path matched (0 if none), for 404 versus 405 with an Allow header (and
 * the CORS preflight); *path the first route whose path matched, whatever its methods (NULL if
 * none): the route a refused method or a preflight is counted under. */
const struct route *router_match(const struct route *routes, size_t n, struct http_req *req,
                                 int *allow, const struct route **path);

#endif
