/* api_pages.c: the HTML pages and downloads for people: home and search, the product pages
 * behind the QR code, manufacturers' pages, the CSV download, the stylesheet, and not-found
 * pages. Every HTML response carries a Content-Security-Policy that allows no script at all,
 * plus frame-ancestors 'none' and a no-referrer policy (page.h says how values are escaped). */
#include "api_int.h"

#include "assess.h"
#include "auth.h"
#include "decl.h"
#include "err.h"
#include "hash.h"
#include "logpub.h"
#include "mfr.h"
#include "page.h"
#include "changes.h"
#include "product.h"
#include "represent.h"
#include "search.h"
#include "store.h"
#include "tlog.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A page's headers; c: how long it may be reused (api_int.h). */
static void html_headers(struct http_resp *resp, int status, enum api_cache_class c)
{
    resp->status = status;
    resp->content_type = HTML_TYPE;
    http_resp_header(resp, "Content-Security-Policy",
                     "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                     "base-uri 'none'; frame-ancestors 'none'");
    http_resp_header(resp, "Referrer-Policy", "no-referrer");
    http_resp_header(resp, "Vary", "Accept-Language");
    api_cache(resp, c);
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
    pr->public_url = app->cfg.public_url;
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
    html_headers(resp, 404, API_CACHE_LIST);
    return 404;
}

/* The route handlers load what a page shows, and the pages (page.h) only render it. */

/* A product's record, its maker's account and (for the consumer page) its versions. The docs
 * copy what they read, so the read transaction may end before the page is rendered. */
struct product_load {
    yyjson_doc *doc, *versions;
    long modified; /* the latest change to what the page shows, the day aside */
    struct page_product_data d;
};

/* Gather a version into a JSON array "[v1,v2,...": the versions are parsed once, together. */
static int add_version(void *ctx, const char *json, size_t len)
{
    struct buf *arr = ctx;
    buf_putc(arr, arr->len ? ',' : '[');
    buf_append(arr, json, len);
    return 0;
}

static int product_versions(struct store_txn *txn, const char *id, struct product_load *pl)
{
    struct buf arr = BUF_INIT;
    int rc = product_each_version(txn, id, add_version, &arr);
    if (!rc) {
        buf_putc(&arr, ']');
        pl->versions = yyjson_read(arr.data, arr.len, 0);
        pl->d.versions = yyjson_doc_get_root(pl->versions);
        if (!yyjson_is_arr(pl->d.versions)) rc = REG_ESTORE;
    }
    buf_free(&arr);
    return rc;
}

/* The current version's entry in the transparency log, read in the same transaction (none for
 * a version the log lacks). */
static int product_log_index(struct store_txn *txn, const char *id, struct product_load *pl)
{
    yyjson_val *v = yyjson_obj_get(pl->d.rec, "version");
    if (!yyjson_is_uint(v) || yyjson_get_uint(v) > UINT_MAX) return 0;
    int rc = tlog_index(txn, id, (unsigned)yyjson_get_uint(v), &pl->d.log_index);
    pl->d.logged = rc == 0;
    return rc == REG_ENOTFOUND ? 0 : rc;
}

/* The maker's account comes from the loop's memo (api.h), valid until the loop's next request. */
static int product_load(struct app *app, struct store_txn *txn, const char *id, int history,
                        struct product_load *pl)
{
    const char *json;
    size_t len;
    uint64_t gen;
    memset(pl, 0, sizeof *pl);
    int rc = product_get(txn, id, &json, &len);
    if (!rc) rc = mfr_generation(txn, &gen);
    if (rc) return rc;
    mfr_memo_renew(&app->makers, txn, gen);
    pl->doc = yyjson_read(json, len, 0);
    pl->d.rec = yyjson_doc_get_root(pl->doc);
    if (!yyjson_is_obj(pl->d.rec)) return REG_ESTORE;
    const char *slug = yyjson_get_str(yyjson_obj_get(pl->d.rec, "manufacturer"));
    pl->d.maker = mfr_memo_get(&app->makers, slug);
    long maker = api_maker_time(pl->d.maker);
    pl->modified = api_later(maker, yyjson_get_str(yyjson_obj_get(pl->d.rec, "modified")));
    rc = product_log_index(txn, id, pl);
    if (rc) return rc;
    return history ? product_versions(txn, id, pl) : 0;
}

static void product_unload(struct product_load *pl)
{
    yyjson_doc_free(pl->doc);
    yyjson_doc_free(pl->versions);
}

/* What a search found, gathered for a list page or a part of the CSV download: the records'
 * JSON as one array, and each record's maker (each account read once). */
struct maker_slot {
    char slug[AUTH_SLUG_MAX];
    int ok; /* m holds slug's account */
    struct mfr m;
};

struct list_load {
    struct store_txn *txn;
    const char *last; /* no record after this ID, or NULL (the CSV download's cut) */
    int past;         /* a record after `last` was reached */
    struct buf json;
    size_t n, nslots;
    size_t *slot_of; /* record i's maker: slots[slot_of[i]], or none for SIZE_MAX */
    struct maker_slot *slots;
    const struct mfr **makers;
    yyjson_doc *doc;
    struct search_result res;
    struct page_list l;
};

static size_t maker_slot(struct list_load *ll, const char *slug)
{
    if (!slug || strlen(slug) >= AUTH_SLUG_MAX) return SIZE_MAX;
    for (size_t i = 0; i < ll->nslots; i++)
        if (!strcmp(ll->slots[i].slug, slug)) return i;
    ll->slots = xrealloc(ll->slots, (ll->nslots + 1) * sizeof *ll->slots);
    struct maker_slot *s = &ll->slots[ll->nslots];
    memset(s, 0, sizeof *s);
    memcpy(s->slug, slug, strlen(slug) + 1);
    s->ok = mfr_get(ll->txn, slug, &s->m) == 0;
    return ll->nslots++;
}

static int gather(void *ctx, yyjson_val *rec, const char *json, size_t len)
{
    struct list_load *ll = ctx;
    const char *id = yyjson_get_str(yyjson_obj_get(rec, "id"));
    if (ll->last && id && strcmp(id, ll->last) > 0) {
        ll->past = 1;
        return 1;
    }
    buf_putc(&ll->json, ll->n ? ',' : '[');
    buf_append(&ll->json, json, len);
    ll->slot_of = xrealloc(ll->slot_of, (ll->n + 1) * sizeof *ll->slot_of);
    ll->slot_of[ll->n++] = maker_slot(ll, yyjson_get_str(yyjson_obj_get(rec, "manufacturer")));
    return 0;
}

/* Run search sq (records up to `last` only, unless NULL) and fill ll->l for the page. */
static int list_load(struct store_txn *txn, const struct search_query *sq, const char *last,
                     struct list_load *ll)
{
    memset(ll, 0, sizeof *ll);
    ll->txn = txn;
    ll->last = last;
    int rc = search_run(txn, sq, gather, ll, &ll->res);
    if (rc) return rc;
    if (!ll->n) buf_putc(&ll->json, '[');
    buf_putc(&ll->json, ']');
    ll->doc = yyjson_read(ll->json.data, ll->json.len, 0);
    if (!yyjson_is_arr(yyjson_doc_get_root(ll->doc))) return REG_ESTORE;
    ll->makers = xcalloc(ll->n ? ll->n : 1, sizeof *ll->makers);
    for (size_t i = 0; i < ll->n; i++) {
        size_t k = ll->slot_of[i];
        ll->makers[i] = k != SIZE_MAX && ll->slots[k].ok ? &ll->slots[k].m : NULL;
    }
    ll->l = (struct page_list){sq, yyjson_doc_get_root(ll->doc), ll->makers, ll->res.next, NULL};
    return 0;
}

static void list_unload(struct list_load *ll)
{
    for (size_t i = 0; i < ll->nslots; i++)
        mfr_free(&ll->slots[i].m);
    free(ll->slots);
    free(ll->slot_of);
    free(ll->makers);
    buf_free(&ll->json);
    yyjson_doc_free(ll->doc);
}

/* A list page (home and search, a manufacturer's page), deferred whole (api_defer_read): the
 * query is read on the loop, the search and the page are made on the pool. */
struct list_job {
    struct api_job job; /* first */
    struct search_query sq;
    struct search_params_store st;
    long makers; /* the latest change to a manufacturer, read on the loop (home page) */
};

/* Begin a list page's job: its query (sq.manufacturer set to slug if not NULL), else the error
 * answered and NULL. */
static struct list_job *list_job_new(struct app *app, struct http_req *req, struct http_resp *resp,
                                     const char *slug)
{
    struct list_job *j = xcalloc(1, sizeof *j);
    int rc = api_search_query(req, SEARCH_ANY, &j->sq, &j->st, resp);
    if (!rc && !slug && (rc = api_makers_time_now(app, &j->makers)))
        http_resp_error(resp, rc, NULL);
    if (rc) {
        search_params_free(&j->st);
        free(j);
        return NULL;
    }
    if (slug) j->sq.manufacturer = slug;
    return j;
}

static void home_read(struct api_job *job, struct store_txn *txn)
{
    struct list_job *j = (struct list_job *)job;
    struct http_resp *resp = job->resp;
    struct page_call c;
    struct list_load ll = {0};
    long modified = 0;
    call_begin(job->app, job->req, &c);
    if (api_list_begin(job, txn, j->sq.today, i18n_code(c.pr.lang))) {
        html_headers(resp, 304, API_CACHE_LIST);
        call_end(&c);
        search_params_free(&j->st);
        return;
    }
    struct search_facets f = {0};
    int rc = list_load(txn, &j->sq, NULL, &ll);
    if (!rc) rc = api_products_time(txn, &modified);
    if (!rc) rc = search_facets(txn, j->sq.today, &f);
    ll.l.facets = &f;
    if (!rc) page_home(&ll.l, &c.pr, &resp->body);
    search_facets_free(&f);
    list_unload(&ll);
    call_end(&c);
    if (rc)
        http_resp_error(resp, rc, NULL);
    else {
        if (j->makers > modified) modified = j->makers;
        html_headers(resp, 200, API_CACHE_LIST);
        api_modified(resp,
                     modified > api_day_start(j->sq.today) ? modified : api_day_start(j->sq.today));
    }
    search_params_free(&j->st);
}

int api_home(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    struct list_job *j = list_job_new(app, req, resp, NULL);
    return j ? api_defer_read(app, req, resp, &j->job, home_read) : resp->status;
}

typedef void (*product_page_fn)(const struct page_product_data *, const struct page_req *,
                                struct buf *);

/* The log as published now (logpub.h): its key (NULL: no log) and newest checkpoint's size.
 * Returns the second that checkpoint was signed in (Unix seconds; 0: no log), for
 * Last-Modified (api_modified never sends the current second, so a page made in the second a
 * checkpoint was signed is not dated by it). The age is read first: a checkpoint signed in
 * between is then dated by the older one, earlier than what the page shows, never later; a
 * millisecond is added so that the two clocks' rounding never dates it a second early. */
static long checkpoint_now(struct app *app, struct page_checkpoint *cp)
{
    struct buf note = BUF_INIT;
    struct timespec ts;
    memset(cp, 0, sizeof *cp);
    if (!app->cfg.log) return 0;
    double age = logpub_checkpoint_age(app->cfg.log);
    clock_gettime(CLOCK_REALTIME, &ts);
    cp->key = logpub_verifier_key(app->cfg.log);
    logpub_checkpoint(app->cfg.log, &note, &cp->size);
    buf_free(&note);
    return (long)floor((double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - age + 0.001);
}

/* A product's consumer page (history: its versions too), or its technical page (!history),
 * which also shows the newest checkpoint: that changes with every write to any product, so
 * the technical page is kept by no cache for longer than the checkpoint (a second), nor in the
 * response cache (which a write to another product would not empty), and it was last
 * modified when the product, its maker, the day or the checkpoint last changed. */
static int product_page(struct app *app, struct http_req *req, struct http_resp *resp,
                        product_page_fn fn, int history)
{
    const char *id = req->params[0];
    struct page_call c;
    struct store_txn *txn;
    struct product_load pl;
    memset(&pl, 0, sizeof pl);
    call_begin(app, req, &c);
    int rc = decl_id_valid(id, strlen(id)) ? store_reader_begin(app->rd, &txn) : REG_ENOTFOUND;
    if (!rc) {
        rc = product_load(app, txn, id, history, &pl);
        store_reader_end(app->rd);
    }
    long signed_at = !rc && !history ? checkpoint_now(app, &pl.d.checkpoint) : 0;
    if (!rc) fn(&pl.d, &c.pr, &resp->body);
    product_unload(&pl);
    if (rc == REG_ENOTFOUND)
        not_found(resp, &c, PAGE_NO_PRODUCT, id);
    else if (rc)
        http_resp_error(resp, rc, NULL);
    else {
        long day = api_day_start(c.pr.today), t = pl.modified > day ? pl.modified : day;
        html_headers(resp, 200, history ? API_CACHE_RECORD : API_CACHE_CHECKPOINT);
        api_modified(resp, signed_at > t ? signed_at : t);
        resp->cacheable = history;
        resp->cache_scope = history ? id : NULL;
    }
    call_end(&c);
    return resp->status;
}

int api_page(void *ctx, struct http_req *req, struct http_resp *resp)
{
    return product_page(ctx, req, resp, page_product, 1);
}

int api_details(void *ctx, struct http_req *req, struct http_resp *resp)
{
    return product_page(ctx, req, resp, page_details, 0);
}

static void maker_read(struct api_job *job, struct store_txn *txn)
{
    struct list_job *j = (struct list_job *)job;
    struct http_resp *resp = job->resp;
    const char *slug = j->sq.manufacturer;
    struct page_call c;
    long modified = 0;
    call_begin(job->app, job->req, &c);
    struct mfr m;
    struct list_load ll = {0};
    int rc = mfr_get(txn, slug, &m);
    if (!rc && api_list_begin(job, txn, j->sq.today, i18n_code(c.pr.lang))) {
        mfr_free(&m);
        html_headers(resp, 304, API_CACHE_LIST);
        call_end(&c);
        search_params_free(&j->st);
        return;
    }
    if (!rc) {
        rc = list_load(txn, &j->sq, NULL, &ll);
        if (!rc) rc = api_products_time(txn, &modified);
        if (!rc && api_maker_time(&m) > modified) modified = api_maker_time(&m);
        if (!rc) page_maker(&m, &ll.l, &c.pr, &resp->body);
        list_unload(&ll);
        mfr_free(&m);
    }
    if (rc == REG_ENOTFOUND)
        not_found(resp, &c, PAGE_NO_MAKER, slug);
    else if (rc)
        http_resp_error(resp, rc, NULL);
    else {
        html_headers(resp, 200, API_CACHE_LIST);
        api_modified(resp,
                     modified > api_day_start(j->sq.today) ? modified : api_day_start(j->sq.today));
    }
    call_end(&c);
    search_params_free(&j->st);
}

/* "How to check this yourself": the log's key and newest checkpoint are in memory (logpub.h),
 * so the page is made on the loop; it changes with the checkpoint (and the program). */
int api_log_page(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    struct page_call c;
    struct page_checkpoint cp;
    call_begin(app, req, &c);
    long signed_at = checkpoint_now(app, &cp);
    page_log(&cp, &c.pr, &resp->body);
    call_end(&c);
    html_headers(resp, 200, API_CACHE_CHECKPOINT);
    api_modified(resp, signed_at);
    return resp->status;
}

int api_maker_page(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    const char *slug = req->params[0];
    struct list_job *j = list_job_new(app, req, resp, slug);
    if (j && !decl_slug_valid(slug, strlen(slug))) {
        struct page_call c;
        call_begin(app, req, &c);
        not_found(resp, &c, PAGE_NO_MAKER, slug);
        call_end(&c);
        search_params_free(&j->st);
        free(j);
        j = NULL;
    }
    return j ? api_defer_read(app, req, resp, &j->job, maker_read) : resp->status;
}

/* The CSV download is streamed (http_stream): every slice begins a fresh read transaction,
 * writes the rows of at most CSV_SLICE records after the last key written, and ends it, so no
 * request holds the loop for more than about a millisecond (a row costs ~15 us in a release
 * build), nor a read transaction across turns of the loop (the storage needs none held to grow
 * the map). The rows are therefore not one snapshot: a product changed during the download
 * appears as it was when its row was written.
 *
 * A download ends after app->cfg.csv_max_rows records examined, with a `Link: rel="next"` header
 * that repeats the search with the last one as the cursor. Headers go before the rows, so when
 * the table holds more than that, slices of CSV_SLICE_KEYS keys first find that last record
 * (the cut), and the rows stop there. */
#define CSV_SLICE 32
#define CSV_SLICE_KEYS 4096

struct csv_stream {
    struct http_stream s; /* first: the parser's handle */
    struct app *app;
    struct search_query sq;
    struct search_params_store st;
    const char *cursor;          /* the request's cursor (in st), or NULL */
    char after[DECL_ID_MAX + 1]; /* the last key walked so far ("": none yet) */
    char cut[DECL_ID_MAX + 1];   /* the last record of this download ("": the walk's end) */
    long counted;                /* keys passed while finding the cut */
    int finding_cut, started;
};

/* Finding the cut: count up to `quota` keys; `more` says one more key exists. */
struct cut_walk {
    long n, quota;
    int more;
    char last[DECL_ID_MAX + 1];
};

static int cut_id(void *ctx, const char *id, size_t len)
{
    struct cut_walk *w = ctx;
    if (w->n >= w->quota) {
        w->more = 1;
        return 1;
    }
    if (len > DECL_ID_MAX) return REG_ESTORE;
    w->n++;
    memcpy(w->last, id, len);
    w->last[len] = '\0';
    return 0;
}

static int cut_key(void *ctx, struct store_val key, struct store_val val)
{
    (void)val;
    return cut_id(ctx, key.data, key.len);
}

/* The walk's starting point: after the last key walked, else after the request's cursor. */
static const char *csv_from(const struct csv_stream *cs)
{
    return cs->after[0] ? cs->after : cs->cursor;
}

/* One slice of finding the cut (keys only: a few hundred microseconds). */
static int csv_find_cut(struct csv_stream *cs, struct store_txn *txn, struct http_resp *resp)
{
    struct cut_walk w = {.quota = cs->app->cfg.csv_max_rows - cs->counted};
    const char *from = csv_from(cs);
    if (w.quota > CSV_SLICE_KEYS) w.quota = CSV_SLICE_KEYS;
    int rc = cs->sq.manufacturer ? product_each_of_owner(txn, cs->sq.manufacturer, from, cut_id, &w)
                                 : store_scan_from(txn, STORE_PRODUCTS, NULL, 0, from,
                                                   from ? strlen(from) + 1 : 0, cut_key, &w);
    if (rc) return rc;
    cs->counted += w.n;
    if (w.n) memcpy(cs->after, w.last, sizeof cs->after);
    if (w.more && cs->counted < cs->app->cfg.csv_max_rows) return 0; /* more to count */
    if (w.more) { /* more than that: this download ends at the cut */
        memcpy(cs->cut, cs->after, sizeof cs->cut);
        struct buf filters = BUF_INIT; /* the part that follows repeats the search */
        char cursor[SEARCH_CURSOR_MAX];
        search_query_string(&cs->sq, 1, &filters);
        search_cursor(&cs->sq, 0, 0, cs->cut, cursor);
        http_resp_header(resp, "Link", "</products.csv?cursor=%s%s>; rel=\"next\"", cursor,
                         buf_cstr(&filters));
        buf_free(&filters);
    }
    cs->finding_cut = 0;
    cs->after[0] = '\0';
    return 0;
}

/* The rows of the next slice, but none for an ID after the cut; *next gets the ID to continue
 * after ("" when the walk, or the part up to the cut, is complete). */
static int csv_rows(struct csv_stream *cs, struct store_txn *txn, struct buf *out, char *next,
                    size_t next_len)
{
    struct list_load ll;
    const char *last = cs->cut[0] ? cs->cut : NULL;
    int rc = list_load(txn, &cs->sq, last, &ll);
    if (!rc) page_csv_rows(&ll.l, cs->app->cfg.public_url, out);
    /* Past `last` (the part is complete), or the walk's own end. */
    int done = ll.past || (last && strcmp(ll.res.last, last) >= 0);
    snprintf(next, next_len, "%s", done ? "" : ll.res.last);
    list_unload(&ll);
    return rc;
}

static int csv_slice(struct csv_stream *cs, struct http_resp *resp, struct buf *out)
{
    struct store_txn *txn;
    char next[DECL_ID_MAX + 1] = "";
    int rc = store_reader_begin(cs->app->rd, &txn);
    if (rc) goto out;
    if (cs->finding_cut) {
        rc = csv_find_cut(cs, txn, resp);
        goto out;
    }
    if (!cs->started) page_csv_head(out);
    cs->started = 1;
    cs->sq.cursor = csv_from(cs);
    cs->sq.limit = CSV_SLICE;
    rc = csv_rows(cs, txn, out, next, sizeof next);
    memcpy(cs->after, next, sizeof cs->after);
out:
    store_reader_end(cs->app->rd);
    if (rc) return rc;
    return cs->started && !cs->after[0]; /* complete when the walk (or the part) ended */
}

static int csv_next(struct http_stream *s, struct http_resp *resp, struct buf *out)
{
    struct csv_stream *cs = (struct csv_stream *)s;
    double t0 = api_now();
    int rc = csv_slice(cs, resp, out);
    api_hold(cs->app, t0);
    return rc;
}

static void csv_free(struct http_stream *s, const struct http_req *req,
                     const struct http_resp *resp, size_t body_bytes)
{
    struct csv_stream *cs = (struct csv_stream *)s;
    api_account(cs->app, req, resp, body_bytes);
    search_params_free(&cs->st);
    free(cs);
}

int api_csv(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    struct csv_stream *cs = xcalloc(1, sizeof *cs);
    struct store_txn *txn;
    size_t products = 0;
    if (api_search_query(req, SEARCH_ACTIVE, &cs->sq, &cs->st, resp)) {
        search_params_free(&cs->st);
        free(cs);
        return resp->status;
    }
    if (cs->sq.sort != SEARCH_SORT_ID && !cs->sq.cursor) /* the download is in ID order */
        cs->sq.sort = SEARCH_SORT_ID;
    long modified = 0;
    uint64_t seq = 0, makers = 0;
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = store_count(txn, STORE_PRODUCTS, &products);
    if (!rc) rc = api_store_time(app, txn, &modified);
    if (!rc) rc = changes_last_seq(txn, &seq);
    if (!rc) rc = mfr_generation(txn, &makers);
    store_reader_end(app->rd);
    if (rc) {
        search_params_free(&cs->st);
        free(cs);
        return http_resp_error(resp, rc, NULL);
    }
    /* The rows are made as the download goes (not one snapshot), so no hash of the body can
     * come first: the ETag names the store's state as the download starts (its newest change,
     * the manufacturers generation), the day and the public URL, and is weak: a download that
     * met a change differs from one that did not, but by then the newest change has moved on,
     * so no client holding it is ever told 304. */
    char tag[96];
    snprintf(tag, sizeof tag, "W/\"csv.%llu.%llu.%lld.%08x\"", (unsigned long long)seq,
             (unsigned long long)makers, (long long)cs->sq.today,
             (unsigned)hash_fnv1a(app->cfg.public_url, strlen(app->cfg.public_url)));
    http_resp_header(resp, "ETag", "%s", tag);
    api_cache(resp, API_CACHE_LIST);
    api_modified(resp,
                 modified > api_day_start(cs->sq.today) ? modified : api_day_start(cs->sq.today));
    /* represent.c leaves streams alone: the conditions are answered here (RFC 9110 13.2.2's
     * order: If-None-Match, else If-Modified-Since). */
    size_t hl;
    const char *inm = http_req_header(req, "if-none-match", &hl), *ims;
    long since = 0;
    if (resp->last_modified) {
        char date[30];
        http_date(resp->last_modified, date);
        http_resp_header(resp, "Last-Modified", "%s", date);
    }
    if (inm ? represent_etag_listed(inm, hl, tag + 2)
            : resp->last_modified && (ims = http_req_header(req, "if-modified-since", &hl)) &&
                  !represent_parse_date(ims, hl, &since) && since <= (long)time(NULL) &&
                  resp->last_modified <= since) {
        search_params_free(&cs->st);
        free(cs);
        resp->content_type = "text/csv; charset=utf-8; header=present";
        return resp->status = 304;
    }
    cs->s.next = csv_next;
    cs->s.free = csv_free;
    cs->app = app;
    cs->cursor = cs->sq.cursor;
    cs->finding_cut = (long)products > app->cfg.csv_max_rows; /* else no walk can pass it */
    resp->stream = &cs->s;
    resp->status = 200;
    resp->content_type = "text/csv; charset=utf-8; header=present";
    http_resp_header(resp, "Content-Disposition", "attachment; filename=\"seclabel-products.csv\"");
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
    api_cache(resp, API_CACHE_STATIC);
    api_modified(resp, 1); /* compiled in: the process's start (api_cache.c) */
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
