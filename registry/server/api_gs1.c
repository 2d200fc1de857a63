/* api_gs1.c: a GS1-Conformant resolver (GS1-Conformant Resolver Standard 1.2.0) for the products
 * that carry a GTIN.
 *
 *   GET /01/{gtin}[/22/{cpv}][/10/{lot}][/21/{serial}], or /01/{gtin}/235/{tpx}, one trailing
 *                       slash allowed: 307 to the default link, the shopper page /p/{id}; the
 *                       query is passed on to the target. Links are kept per GTIN, so a
 *                       qualified URI resolves with its GTIN's links (walked up, no redirect)
 *   ...?linkType=gs1:X  (or the bare name, or the full https://gs1.org/voc/X URI) 307 to that
 *                       link; 404 if the product has no link of that type
 *   ...?linkType=linkset (or the deprecated all), or Accept: application/linkset+json
 *                       the RFC 9264 linkset, 200
 *   OPTIONS /01/...     the CORS preflight (api.c) plus the Link to the linkset
 *   GET /.well-known/gs1resolver   the resolver description file
 * Any GTIN length is accepted (8, 12, 13, 14 digits) and normalised to GTIN-14. A path that is
 * not a GS1 Digital Link URI (a wrong check digit, an unknown or misplaced qualifier, a bad
 * value) is 400; a valid one nobody registered is 404. api.c's app_handle sends every /01/ path
 * here, not only the one-segment route. */
#include "api_int.h"

#include "decl.h"
#include "err.h"
#include "i18n.h"
#include "product.h"
#include "store.h"
#include "why.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define GS1_VOC "https://gs1.org/voc/"
#define LINKSET_TYPE "application/linkset+json"
/* The JSON-LD context GS1 publishes for linksets (ref.gs1.org/standards/resolver/artefacts). */
#define LINKSET_CONTEXT "https://ref.gs1.org/standards/resolver/linkset-context"

struct gs1_link {
    const char *type;  /* without the gs1: prefix */
    const char *path;  /* after the public URL; %s is the product ID */
    const char *media; /* media type of the target */
    const char *title;
    int page; /* 1: served in every page language (hreflang), else English only */
};

/* certificationInfo points at /p/{id}/record.json, the record under a route that ignores query
 * parameters it does not know, rather than at /v1/products/{id}: the standard (2.12) says a
 * resolver SHALL pass the request's query on to the target, and the JSON API refuses unknown
 * parameters (a typo there is the client's bug and deserves a 400), which would turn every
 * ?utm_source= into an error. */
static const struct gs1_link links[] = {
    {"pip", "/p/%s", "text/html", "Security information for shoppers", 1},
    {"certificationInfo", "/p/%s/record.json", "application/json",
     "Security declaration (JSON record)", 0},
};
#define NLINKS (sizeof links / sizeof links[0])
#define DEFAULT_LINK (&links[0])

/* The qualifiers of a GTIN (GS1 Digital Link URI syntax 1.4, gtin-path): each at most once and
 * in this order, or 235 (third-party-controlled extension) alone; values of GS1 CSET 82. */
static const struct {
    const char *ai;
    size_t max;
} qualifiers[] = {{"22", 20}, {"10", 20}, {"21", 20}};
#define TPX_AI "235"
#define TPX_MAX 28

/* 1 if c is in GS1 AI encodable character set 82 (printable ASCII but # $ @ [ \ ] ^ ` { | } ~). */
static int cset82(unsigned char c)
{
    return isalnum(c) || (c && strchr("!\"%&'()*+,-./:;<=>?_", c));
}

/* 1 if s[0..n) is short printable ASCII, fit to quote in a message. */
static int printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] >= 0x7f) return 0;
    return n <= 32;
}

/* The next segment of [*s, end) into a new decoded buf: 0, or REG_EBADREQ (empty, or not
 * decodable, or holding a NUL). *s moves past the segment and its '/'. */
static int segment(const char **s, const char *end, struct buf *out)
{
    const char *slash = memchr(*s, '/', (size_t)(end - *s));
    const char *e = slash ? slash : end;
    size_t len = (size_t)(e - *s);
    int rc = len && http_pct_decode(*s, len, 0, out) == 0 && !memchr(out->data, '\0', out->len)
                 ? 0
                 : REG_EBADREQ;
    *s = slash ? slash + 1 : end;
    return rc;
}

static int qualifier_index(const char *ai)
{
    for (size_t i = 0; i < sizeof qualifiers / sizeof qualifiers[0]; i++)
        if (strcmp(ai, qualifiers[i].ai) == 0) return (int)i;
    return strcmp(ai, TPX_AI) == 0 ? 99 : -1;
}

/* Check the qualifiers "AI/value/AI/value" in [s, end). 0, or REG_EBADREQ with why. */
static int qualifiers_ok(const char *s, const char *end, struct reg_why *why)
{
    int next = 0, pairs = 0;
    while (s < end) {
        struct buf ai = BUF_INIT, val = BUF_INIT;
        int rc = segment(&s, end, &ai);
        int i = rc ? -1 : qualifier_index(buf_cstr(&ai));
        if (rc)
            reg_why_set(why, REG_EBADREQ, "An empty or malformed path segment.");
        else if (i < 0)
            reg_why_set(why, REG_EBADREQ,
                        "'%s' is not a qualifier of a GTIN here: after /01/{gtin} come 22, 10 "
                        "and 21, in that order, or 235 alone.",
                        printable(ai.data, ai.len) ? buf_cstr(&ai) : "(not shown)");
        else if ((i == 99 && pairs) || (i != 99 && (i < next || next == 99)))
            reg_why_set(why, REG_EBADREQ,
                        "Qualifier %s is repeated or out of order: 22, 10 and 21 come in that "
                        "order, each at most once, and 235 alone.",
                        buf_cstr(&ai));
        else if (segment(&s, end, &val) != 0)
            reg_why_set(why, REG_EBADREQ, "Qualifier %s has no value.", buf_cstr(&ai));
        else {
            size_t max = i == 99 ? TPX_MAX : qualifiers[i].max, bad = 0;
            for (size_t k = 0; k < val.len; k++)
                bad += !cset82((unsigned char)val.data[k]);
            if (val.len > max || bad)
                reg_why_set(why, REG_EBADREQ,
                            "The value of qualifier %s must be 1 to %zu characters of GS1's "
                            "character set 82.",
                            buf_cstr(&ai), max);
            else
                rc = 1; /* fine */
        }
        next = i == 99 ? 99 : i + 1;
        pairs++;
        buf_free(&ai);
        buf_free(&val);
        if (rc != 1) return REG_EBADREQ;
    }
    return 0;
}

/* Parse a GS1 Digital Link URI path "/01/{gtin}[qualifiers][/]" into its GTIN-14. 0, or
 * REG_EBADREQ with why (GS1-Conformant Resolver 2.4.1: not a valid Digital Link URI is 400). */
static int dl_parse(const struct http_req *req, char gtin[15], struct reg_why *why)
{
    if (req->path_len < 4 || memcmp(req->path, "/01/", 4) != 0)
        return reg_why_set(why, REG_EBADREQ, "Not a GS1 Digital Link URI.");
    const char *s = req->path + 4, *end = req->path + req->path_len;
    if (end > s && end[-1] == '/') end--; /* one trailing slash (2.13) */
    if (end > s && end[-1] == '/') return reg_why_set(why, REG_EBADREQ, "An empty path segment.");
    struct buf g = BUF_INIT;
    int rc = segment(&s, end, &g);
    if (!rc) rc = decl_gtin_normalize(g.data, g.len, gtin);
    if (rc)
        reg_why_set(why, REG_EBADREQ, "'%s' is not " DECL_GTIN_RULE ".",
                    g.len && printable(g.data, g.len) ? buf_cstr(&g) : "(not shown)");
    buf_free(&g);
    return rc ? REG_EBADREQ : qualifiers_ok(s, end, why);
}

/* The one Link line of a resolver answer about gtin: its linkset. The target is the URI that
 * answers with the linkset whatever the client accepts (RFC 9264 6: the link target provides
 * the set of links), so a client that follows it gets it. */
static void linkset_link(const struct app *app, const char *gtin, struct http_resp *resp)
{
    http_resp_header(resp, "Link",
                     "<%s/01/%s?linkType=linkset>; rel=\"linkset\"; type=\"" LINKSET_TYPE "\"",
                     app->cfg.public_url, gtin);
}

void api_gs1_preflight(struct app *app, struct http_req *req, struct http_resp *resp)
{
    char gtin[15];
    if (dl_parse(req, gtin, NULL) == 0) linkset_link(app, gtin, resp);
}

/* The GS1 link type a linkType value names: "gs1:X", "X" or a GS1 vocabulary URI (gs1.org,
 * ref.gs1.org or www.gs1.org, http or https; 2.14) -> "X"; NULL for another namespace. */
static const char *voc_name(const char *t)
{
    static const char *const schemes[] = {"https://", "http://"};
    static const char *const hosts[] = {"gs1.org/voc/", "ref.gs1.org/voc/", "www.gs1.org/voc/"};
    if (strncmp(t, "gs1:", 4) == 0) return t + 4;
    for (size_t i = 0; i < 2; i++) {
        size_t sl = strlen(schemes[i]);
        if (strncmp(t, schemes[i], sl) != 0) continue;
        for (size_t h = 0; h < sizeof hosts / sizeof hosts[0]; h++)
            if (strncmp(t + sl, hosts[h], strlen(hosts[h])) == 0) return t + sl + strlen(hosts[h]);
        return NULL;
    }
    return strpbrk(t, ":/") ? NULL : t;
}

/* The link linkType names: the default for none (or "defaultLink"), NULL if there is none. */
static const struct gs1_link *link_of(const char *link_type)
{
    const char *name = link_type && *link_type ? voc_name(link_type) : "defaultLink";
    if (name && strcmp(name, "defaultLink") == 0) return DEFAULT_LINK;
    for (size_t i = 0; name && i < NLINKS; i++)
        if (strcmp(name, links[i].type) == 0) return &links[i];
    return NULL;
}

static int wants_linkset(const struct http_req *req, const char *link_type)
{
    size_t len;
    const char *accept = http_req_header(req, "accept", &len);
    if (link_type && (strcmp(link_type, "linkset") == 0 || strcmp(link_type, "all") == 0)) return 1;
    return accept && memmem(accept, len, LINKSET_TYPE, strlen(LINKSET_TYPE)) != NULL;
}

static void add_link(yyjson_mut_doc *doc, yyjson_mut_val *obj, const struct app *app,
                     const char *id, const struct gs1_link *l, const char *rel, int full)
{
    char href[512];
    int n = snprintf(href, sizeof href, "%s", app->cfg.public_url);
    snprintf(href + n, sizeof href - (size_t)n, l->path, id);
    yyjson_mut_val *arr = yyjson_mut_arr(doc), *o = yyjson_mut_obj(doc);
    yyjson_mut_obj_add_strcpy(doc, o, "href", href);
    yyjson_mut_obj_add_str(doc, o, "title", l->title);
    if (full) {
        yyjson_mut_obj_add_str(doc, o, "type", l->media);
        yyjson_mut_val *langs = yyjson_mut_arr(doc);
        for (int i = 0; i < (l->page ? I18N__LANGS : 1); i++)
            yyjson_mut_arr_add_str(doc, langs, i18n_code((enum i18n_lang)i));
        yyjson_mut_obj_add_val(doc, o, "hreflang", langs);
    }
    yyjson_mut_arr_append(arr, o);
    char key[64];
    snprintf(key, sizeof key, GS1_VOC "%s", rel);
    yyjson_mut_obj_add(obj, yyjson_mut_strcpy(doc, key), arr);
}

/* The RFC 9264 linkset of the product id that carries gtin, named name, as GS1's linkset schema
 * wants it (an anchor, an itemDescription, link arrays keyed by full GS1 link-type URIs, one
 * defaultLink with href and title only). */
static int linkset(const struct app *app, const char *gtin, const char *id, const char *name,
                   struct http_resp *resp)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc) return http_resp_error(resp, REG_EINTERNAL, NULL);
    yyjson_mut_val *root = yyjson_mut_obj(doc), *sets = yyjson_mut_arr(doc);
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, root);
    yyjson_mut_obj_add_val(doc, root, "linkset", sets);
    yyjson_mut_arr_append(sets, o);
    char anchor[256];
    snprintf(anchor, sizeof anchor, "%s/01/%s", app->cfg.public_url, gtin);
    yyjson_mut_obj_add_strcpy(doc, o, "anchor", anchor);
    yyjson_mut_obj_add_strcpy(doc, o, "itemDescription", name);
    for (size_t i = 0; i < NLINKS; i++)
        add_link(doc, o, app, id, &links[i], links[i].type, 1);
    add_link(doc, o, app, id, DEFAULT_LINK, "defaultLink", 0);
    int status = api_json_doc(resp, 200, doc);
    if (status == 200) resp->content_type = LINKSET_TYPE;
    return status;
}

/* 1 if c may stand in a URI's query as it is (RFC 3986 3.4: pchar, "/", "?"; "%" of an escape). */
static int query_char(unsigned char c)
{
    return isalnum(c) || (c && strchr("-._~!$&'()*+,;=:@/?%", c));
}

/* 307 to link l of product id, passing the request's query on (2.12: SHALL): its bytes as they
 * came, but any that may not stand in a URI percent-encoded, so Location and the JSON body stay
 * well-formed whatever a client sent. */
static int redirect(const struct app *app, const struct http_req *req, const char *id,
                    const struct gs1_link *l, struct http_resp *resp)
{
    struct buf loc = BUF_INIT;
    buf_puts(&loc, app->cfg.public_url);
    buf_printf(&loc, l->path, id);
    if (req->query && req->query_len) {
        buf_putc(&loc, strchr(l->path, '?') ? '&' : '?');
        for (size_t i = 0; i < req->query_len; i++) {
            unsigned char c = (unsigned char)req->query[i];
            if (query_char(c))
                buf_putc(&loc, (char)c);
            else
                buf_printf(&loc, "%%%02X", c);
        }
    }
    http_resp_header(resp, "Location", "%s", buf_cstr(&loc));
    resp->content_type = JSON_TYPE;
    buf_printf(&resp->body, "{\"location\":\"%s\"}\n", buf_cstr(&loc)); /* no '"' or '\\' */
    buf_free(&loc);
    return resp->status = 307;
}

/* 404 for a link type the product has no link of (2.6.2: SHALL NOT redirect elsewhere), naming
 * those it has (MAY). The value is the client's: shown only if it is short printable ASCII. */
static int no_such_link(const char *link_type, struct http_resp *resp)
{
    int shown = printable(link_type, strlen(link_type));
    char msg[256];
    int n = snprintf(msg, sizeof msg, "No link of type '%s' for this GTIN; it has",
                     shown ? link_type : "(not shown)");
    for (size_t i = 0; i < NLINKS && n > 0 && (size_t)n < sizeof msg; i++)
        n += snprintf(msg + n, sizeof msg - (size_t)n, "%s gs1:%s", i ? "," : "", links[i].type);
    if (n > 0 && (size_t)n < sizeof msg)
        snprintf(msg + n, sizeof msg - (size_t)n, " (linkType=linkset lists them).");
    return http_resp_error(resp, REG_ENOTFOUND, msg);
}

/* The product's name (its itemDescription) into name, or its ID if the record cannot say. */
static void product_name(struct store_txn *txn, const char *id, char *name, size_t n)
{
    const char *json;
    size_t len;
    snprintf(name, n, "%s", id);
    if (product_get(txn, id, &json, &len)) return;
    yyjson_doc *doc = yyjson_read(json, len, 0);
    const char *s = yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(doc), "product_name"));
    if (s) snprintf(name, n, "%s", s);
    yyjson_doc_free(doc);
}

int api_gs1_id(struct app *app, const struct http_req *req, char *id)
{
    char gtin[15];
    struct store_txn *txn;
    if (dl_parse(req, gtin, NULL)) return REG_EBADREQ;
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = product_by_gtin(txn, gtin, id);
    store_reader_end(app->rd);
    return rc;
}

int api_gs1_resolve(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    char gtin[15], id[DECL_ID_MAX + 1], name[512];
    struct reg_why why = {""};
    if (dl_parse(req, gtin, &why)) return http_resp_error(resp, REG_EBADREQ, why.text);
    struct store_txn *txn;
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = product_by_gtin(txn, gtin, id);
    if (!rc) product_name(txn, id, name, sizeof name);
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
    const struct gs1_link *l = link_of(link_type);
    http_resp_header(resp, "Vary", "Accept");
    if (wants_linkset(req, link_type)) {
        /* One Link line: GS1's test suite keeps only the last line of a repeated header. */
        http_resp_header(resp, "Link",
                         "<" LINKSET_CONTEXT ">; rel=\"http://www.w3.org/ns/json-ld#context\"; "
                         "type=\"application/ld+json\"");
        api_cache(resp, API_CACHE_LINKSET);
        linkset(app, gtin, id, name, resp);
    } else {
        linkset_link(app, gtin, resp);
        if (l)
            redirect(app, req, id, l, resp);
        else
            no_such_link(link_type, resp);
    }
    buf_free(&lt);
    return resp->status;
}

int api_gs1_description(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    (void)req;
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    if (!doc) return http_resp_error(resp, REG_EINTERNAL, NULL);
    yyjson_mut_val *o = yyjson_mut_obj(doc), *keys = yyjson_mut_arr(doc);
    yyjson_mut_val *types = yyjson_mut_arr(doc), *voc = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, o);
    yyjson_mut_obj_add_str(doc, o, "name", "seclabel device security label registry");
    yyjson_mut_obj_add_str(doc, o, "resolverRoot", app->cfg.public_url);
    yyjson_mut_arr_add_str(doc, keys, "01"); /* GTIN, as its AI (the schema's enum) */
    yyjson_mut_obj_add_val(doc, o, "supportedPrimaryKeys", keys);
    yyjson_mut_obj_add_str(doc, voc, "namespace", GS1_VOC);
    yyjson_mut_obj_add_str(doc, voc, "prefix", "gs1:");
    yyjson_mut_arr_append(types, voc);
    yyjson_mut_obj_add_val(doc, o, "supportedLinkType", types);
    yyjson_mut_obj_add_bool(doc, o, "linkTypeDefaultCanBeLinkset", false);
    yyjson_mut_obj_add_str(doc, o, "jsonLdContextLocation", LINKSET_CONTEXT);
    api_cache(resp, API_CACHE_WELL_KNOWN);
    return api_json_doc(resp, 200, doc);
}
