/* api_gs1.c: a GS1 Digital Link resolver for the products that carry a GTIN.
 *
 *   GET /01/{gtin}                      redirect (307) to the consumer page /p/{id}
 *   GET /01/{gtin} Accept: application/linkset+json, or ?linkType=linkset
 *                                       the RFC 9264 linkset, without redirecting
 *   GET /01/{gtin}?linkType=gs1:xxx     redirect to that link (the default link if unknown)
 *   GET /.well-known/gs1resolver        the resolver description
 * Any GTIN length is accepted (8, 12, 13, 14 digits) and normalised to GTIN-14. */
#include "api_int.h"

#include "decl.h"
#include "err.h"
#include "product.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

#define GS1_VOC "https://gs1.org/voc/"
#define LINKSET_TYPE "application/linkset+json"

struct gs1_link {
    const char *type;  /* without the gs1: prefix */
    const char *path;  /* after the public URL; %s is the product ID */
    const char *media; /* media type of the target */
    const char *title;
};

static const struct gs1_link links[] = {
    {"pip", "/p/%s", "text/html", "Security information for shoppers"},
    {"certificationInfo", "/v1/products/%s", "application/json",
     "Security declaration (JSON record)"},
};

static int wants_linkset(const struct http_req *req, const char *link_type)
{
    size_t len;
    const char *accept = http_req_header(req, "accept", &len);
    if (link_type && strcmp(link_type, "linkset") == 0) return 1;
    return accept && memmem(accept, len, LINKSET_TYPE, strlen(LINKSET_TYPE)) != NULL;
}

static void linkset(const struct app *app, const char *gtin, const char *id, struct buf *out)
{
    buf_printf(out, "{\"linkset\":[{\"anchor\":\"%s/01/%s\",", app->cfg.public_url, gtin);
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
        buf_printf(out, "\"" GS1_VOC "%s\":[{\"href\":\"%s", links[i].type, app->cfg.public_url);
        buf_printf(out, links[i].path, id);
        buf_printf(out, "\",\"title\":\"%s\",\"type\":\"%s\",\"hreflang\":[\"en\"]}],",
                   links[i].title, links[i].media);
    }
    buf_printf(out, "\"" GS1_VOC "defaultLink\":[{\"href\":\"%s/p/%s\",\"title\":\"%s\"}]}]}\n",
               app->cfg.public_url, id, links[0].title);
}

static void redirect(const struct app *app, const char *gtin, const char *id, const char *link_type,
                     struct http_resp *resp)
{
    const struct gs1_link *l = &links[0];
    const char *t = link_type && strncmp(link_type, "gs1:", 4) == 0 ? link_type + 4 : link_type;
    for (size_t i = 0; t && i < sizeof links / sizeof links[0]; i++)
        if (strcmp(t, links[i].type) == 0) l = &links[i];
    char path[160];
    snprintf(path, sizeof path, l->path, id);
    http_resp_header(resp, "Location", "%s%s", app->cfg.public_url, path);
    http_resp_header(resp, "Link", "<%s/01/%s>; rel=\"linkset\"; type=\"" LINKSET_TYPE "\"",
                     app->cfg.public_url, gtin);
    resp->content_type = JSON_TYPE;
    buf_printf(&resp->body, "{\"location\":\"%s%s\"}\n", app->cfg.public_url, path);
    resp->status = 307;
}

int api_gs1_resolve(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    const char *raw = req->params[0];
    char gtin[15], id[DECL_ID_MAX + 1];
    if (decl_gtin_normalize(raw, strlen(raw), gtin) != 0)
        return api_error_fmt(resp, REG_EBADREQ, "'%s' is not " DECL_GTIN_RULE ".",
                             strlen(raw) > 32 ? "(too long)" : raw);
    struct store_txn *txn;
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = product_by_gtin(txn, gtin, id);
    store_reader_end(app->rd);
    size_t alen;
    const char *accept = http_req_header(req, "accept", &alen);
    if (rc == REG_ENOTFOUND && accept && memmem(accept, alen, "text/html", 9))
        return api_gtin_not_found_page(app, req, resp, gtin); /* a phone that scanned a box */
    if (rc == REG_ENOTFOUND)
        return api_error_fmt(resp, rc, "No product with GTIN %s is registered.", gtin);
    if (rc) return http_resp_error(resp, rc, NULL);
    struct buf lt = BUF_INIT;
    const char *link_type = http_req_query(req, "linkType", &lt) == 0 ? buf_cstr(&lt) : NULL;
    http_resp_header(resp, "Vary", "Accept");
    if (wants_linkset(req, link_type)) {
        linkset(app, gtin, id, &resp->body);
        resp->content_type = LINKSET_TYPE;
        http_resp_header(resp, "Cache-Control", "public, max-age=300");
        resp->status = 200;
    } else {
        redirect(app, gtin, id, link_type, resp);
    }
    buf_free(&lt);
    return resp->status;
}

int api_gs1_description(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    (void)req;
    buf_printf(&resp->body,
               "{\"name\":\"seclabel device security label registry\",\"resolverRoot\":\"%s\","
               "\"supportedPrimaryKeys\":[\"gtin\"],\"supportedLinkType\":[",
               app->cfg.public_url);
    for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
        buf_printf(&resp->body,
                   "%s{\"namespace\":\"" GS1_VOC "\",\"prefix\":\"gs1:\","
                   "\"linkType\":\"gs1:%s\"}",
                   i ? "," : "", links[i].type);
    buf_puts(&resp->body, "],\"linkTypeDefaultCanBeLinkset\":false,"
                          "\"supportedContextValuesEnumerated\":[]}\n");
    resp->content_type = JSON_TYPE;
    http_resp_header(resp, "Cache-Control", "public, max-age=86400");
    return resp->status = 200;
}
