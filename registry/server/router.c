/* router.c: path matching for the route table (see router.h). */
#include "router.h"

#include <stdlib.h>
#include <string.h>

/* Match path against pattern; on success the captures are in req->params. */
static int match(const char *pat, const char *path, size_t plen, struct http_req *req)
{
    const char *end = path + plen;
    req->nparams = 0;
    while (*pat && path < end) {
        if (*pat != '/' || *path != '/') return 0;
        pat++, path++;
        const char *pseg = strchr(pat, '/');
        size_t pl = pseg ? (size_t)(pseg - pat) : strlen(pat);
        const char *seg_end = memchr(path, '/', (size_t)(end - path));
        size_t sl = seg_end ? (size_t)(seg_end - path) : (size_t)(end - path);
        if (pl == 4 && !memcmp(pat, "{**}", 4) && !pat[4]) { /* the rest, as sent */
            if (path == end || req->nparams >= HTTP_MAX_PARAMS) return 0;
            req->params[req->nparams++] = xstrndup(path, (size_t)(end - path));
            return 1;
        }
        if (pl == 2 && pat[0] == '{' && pat[1] == '}') {
            struct buf b = BUF_INIT;
            if (sl == 0 || req->nparams >= HTTP_MAX_PARAMS ||
                http_pct_decode(path, sl, 0, &b) != 0 || memchr(b.data, '\0', b.len)) {
                buf_free(&b);
                return 0;
            }
            req->params[req->nparams++] = buf_steal(&b, NULL);
        } else if (pl != sl || memcmp(pat, path, sl) != 0) {
            return 0;
        }
        pat += pl;
        path += sl;
    }
    return *pat == '\0' && path == end;
}

static void drop_params(struct http_req *req)
{
    for (int i = 0; i < req->nparams; i++)
        free(req->params[i]);
    req->nparams = 0;
}

const struct route *router_match(const struct route *routes, size_t n, struct http_req *req,
                                 int *allow, const struct route **path)
{
    const struct route *found = NULL;
    int m = req->method == HTTP_M_HEAD ? HTTP_M_GET : req->method;
    *allow = 0;
    *path = NULL;
    for (size_t i = 0; i < n; i++) {
        int ok = match(routes[i].pattern, req->path, req->path_len, req);
        if (ok) *allow |= routes[i].methods;
        if (ok && !*path) *path = &routes[i];
        if (ok && !found && (routes[i].methods & m)) {
            found = &routes[i];
            break;
        }
        drop_params(req);
    }
    if (*allow & HTTP_M_GET) *allow |= HTTP_M_HEAD;
    return found;
}
