/* api_pages.c: the HTML pages and downloads for people: home and search, the product pages
 * behind the QR code, manufacturers' pages, the CSV download, the stylesheet, and not-found
 * pages. Every HTML response carries a Content-Security-Policy that allows no script at all,
 * plus frame-ancestors 'none' and a no-referrer policy (page.h says how values are escaped). */
#include "api_int.h"

#include "assess.h"
#include "decl.h"
#include "err.h"
#include "page.h"
#include "search.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

#define CSV_MAX_ROWS 100000

static void html_headers(struct http_resp *resp, int status)
{
    resp->status = status;
    resp->content_type = HTML_TYPE;
    http_resp_header(resp, "Content-Security-Policy",
                     "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                     "base-uri 'none'; frame-ancestors 'none'");
    http_resp_header(resp, "Referrer-Policy", "no-referrer");
    http_resp_header(resp, "Vary", "Accept-Language");
    http_resp_header(resp, "Cache-Control", "public, max-age=60");
}

/* The request's language and what links need to keep it. `lang_buf` and `rest` hold strings the
 * page_req points to; the caller frees them. */
static void page_req_of(const struct app *app, const struct http_req *req, struct page_req *pr,
                        struct buf *path, struct buf *rest)
{
    struct buf lang = BUF_INIT;
    size_t alen = 0;
    const char *accept = http_req_header(req, "accept-language", &alen);
    int has = http_req_query(req, "lang", &lang) == 0;
    pr->lang = i18n_pick(has ? buf_cstr(&lang) : NULL, accept, alen);
    pr->lang_in_query = has && strcmp(buf_cstr(&lang), i18n_code(pr->lang)) == 0;
    pr->today = assess_today();
    pr->public_url = app->public_url;
    /* The path for the language menu, and the query minus any lang=. Both are raw request
     * bytes; the page escapes them for the attribute they go into. */
    buf_append(path, req->path, req->path_len);
    const char *q = req->query, *end = req->query ? req->query + req->query_len : NULL;
    while (q && q < end) {
        const char *amp = memchr(q, '&', (size_t)(end - q));
        const char *pe = amp ? amp : end;
        if (!(pe - q >= 5 && memcmp(q, "lang=", 5) == 0) && pe > q) {
            if (rest->len) buf_putc(rest, '&');
            buf_append(rest, q, (size_t)(pe - q));
        }
        q = amp ? amp + 1 : NULL;
    }
    pr->path = buf_cstr(path);
    pr->query = buf_cstr(rest);
    buf_free(&lang);
}

struct page_call {
    struct page_req pr;
    struct buf path, rest;
};

static void call_begin(const struct app *app, const struct http_req *req, struct page_call *c)
{
    buf_init(&c->path);
    buf_init(&c->rest);
    page_req_of(app, req, &c->pr, &c->path, &c->rest);
}

static void call_end(struct page_call *c)
{
    buf_free(&c->path);
    buf_free(&c->rest);
}

static int not_found(struct http_resp *resp, const struct page_call *c, enum page_missing what,
                     const char *value)
{
    buf_reset(&resp->body);
    page_not_found(what, value, &c->pr, &resp->body);
    html_headers(resp, 404);
    return 404;
}

int api_home(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    struct page_call c;
    struct search_query sq;
    struct search_params_store st;
    struct store_txn *txn;
    if (api_search_query(req, &sq, &st, resp)) goto out;
    call_begin(app, req, &c);
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = page_home(txn, &sq, &c.pr, &resp->body);
    store_reader_end(app->rd);
    call_end(&c);
    if (rc)
        http_resp_error(resp, rc, NULL);
    else
        html_headers(resp, 200);
out:
    search_params_free(&st);
    return resp->status;
}

typedef int (*product_page_fn)(struct store_txn *, const char *, const struct page_req *,
                               struct buf *);

static int product_page(struct app *app, struct http_req *req, struct http_resp *resp,
                        product_page_fn fn)
{
    const char *id = req->params[0];
    struct page_call c;
    struct store_txn *txn;
    call_begin(app, req, &c);
    int rc = decl_id_valid(id, strlen(id)) ? store_reader_begin(app->rd, &txn) : REG_ENOTFOUND;
    if (!rc) {
        rc = fn(txn, id, &c.pr, &resp->body);
        store_reader_end(app->rd);
    }
    if (rc == REG_ENOTFOUND)
        not_found(resp, &c, PAGE_NO_PRODUCT, id);
    else if (rc)
        http_resp_error(resp, rc, NULL);
    else {
        html_headers(resp, 200);
        resp->cacheable = 1;
        resp->cache_scope = id;
    }
    call_end(&c);
    return resp->status;
}

int api_page(void *ctx, struct http_req *req, struct http_resp *resp)
{
    return product_page(ctx, req, resp, page_product);
}

int api_details(void *ctx, struct http_req *req, struct http_resp *resp)
{
    return product_page(ctx, req, resp, page_details);
}

int api_maker_page(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    const char *slug = req->params[0];
    struct page_call c;
    struct search_query sq;
    struct search_params_store st;
    struct store_txn *txn;
    if (api_search_query(req, &sq, &st, resp)) goto out;
    sq.manufacturer = slug;
    call_begin(app, req, &c);
    int rc =
        decl_slug_valid(slug, strlen(slug)) ? store_reader_begin(app->rd, &txn) : REG_ENOTFOUND;
    if (!rc) {
        rc = page_maker(txn, &sq, &c.pr, &resp->body);
        store_reader_end(app->rd);
    }
    if (rc == REG_ENOTFOUND)
        not_found(resp, &c, PAGE_NO_MAKER, slug);
    else if (rc)
        http_resp_error(resp, rc, NULL);
    else
        html_headers(resp, 200);
    call_end(&c);
out:
    search_params_free(&st);
    return resp->status;
}

int api_csv(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    struct search_query sq;
    struct search_params_store st;
    struct store_txn *txn;
    char next[DECL_ID_MAX + 1] = "";
    if (api_search_query(req, &sq, &st, resp)) goto out;
    /* A spreadsheet wants everything: no page limit, but still a bound on the work. */
    sq.limit = sq.budget = CSV_MAX_ROWS;
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = page_csv(txn, &sq, app->public_url, &resp->body, next, sizeof next);
    store_reader_end(app->rd);
    if (rc) {
        buf_reset(&resp->body);
        http_resp_error(resp, rc, NULL);
        goto out;
    }
    resp->status = 200;
    resp->content_type = "text/csv; charset=utf-8; header=present";
    http_resp_header(resp, "Content-Disposition", "attachment; filename=\"seclabel-products.csv\"");
    http_resp_header(resp, "Cache-Control", "public, max-age=60");
    /* More than CSV_MAX_ROWS examined: say where the next part starts. */
    if (next[0]) http_resp_header(resp, "Link", "</products.csv?cursor=%s>; rel=\"next\"", next);
out:
    search_params_free(&st);
    return resp->status;
}

int api_style(void *ctx, struct http_req *req, struct http_resp *resp)
{
    size_t len;
    const char *css = page_style(&len);
    (void)ctx;
    (void)req;
    buf_append(&resp->body, css, len);
    resp->content_type = "text/css; charset=utf-8";
    /* Pages link it with ?v=<hash of the content>: a changed stylesheet gets a new URL. */
    http_resp_header(resp, "Cache-Control", "public, max-age=31536000, immutable");
    return resp->status = 200;
}

int api_gtin_not_found_page(struct app *app, struct http_req *req, struct http_resp *resp,
                            const char *gtin)
{
    struct page_call c;
    call_begin(app, req, &c);
    not_found(resp, &c, PAGE_NO_GTIN, gtin);
    call_end(&c);
    return resp->status;
}
