/* api_query.c: many products at once: search, bulk lookup, and the changes feed (JSON and Atom).
 * The search itself is search.c, shared with the pages and the CSV download. */
#include "api_int.h"

#include "assess.h"
#include "decl.h"
#include "err.h"
#include "mfr.h"
#include "page.h"
#include "changes.h"
#include "product.h"
#include "reg_limits.h"
#include "search.h"
#include "store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ATOM_ENTRIES 50

struct search_out {
    struct app *app;
    struct mfr_memo mm;
    struct buf *out;
    int64_t today;
};

static int search_item(void *ctx, yyjson_val *rec, const char *json, size_t len)
{
    struct search_out *o = ctx;
    if (o->out->len > 0 && o->out->data[o->out->len - 1] != '[') buf_putc(o->out, ',');
    return api_record_json_parsed(o->app, &o->mm, rec, json, len, o->today, o->out, NULL)
               ? REG_ESTORE
               : 0;
}

/* A search, deferred whole (api_defer_read): the query is read on the loop, the search runs on
 * the pool. */
struct search_job {
    struct api_job job; /* first */
    struct search_query sq;
    struct search_params_store st;
    long makers; /* the latest change to a manufacturer, read on the loop */
};

static void search_read(struct api_job *job, struct store_txn *txn)
{
    struct search_job *j = (struct search_job *)job;
    struct http_resp *resp = job->resp;
    struct search_out o = {.app = job->app, .out = &resp->body, .today = j->sq.today};
    struct search_result res;
    long modified = 0;
    if (api_list_begin(job, txn, j->sq.today, "")) { /* the client holds it: nothing to read */
        search_params_free(&j->st);
        resp->content_type = JSON_TYPE;
        api_cache(resp, API_CACHE_LIST);
        return;
    }
    buf_puts(&resp->body, "{\"items\":[");
    mfr_memo_init(&o.mm, txn);
    int rc = search_run(txn, &j->sq, search_item, &o, &res);
    if (!rc) rc = api_products_time(txn, &modified);
    mfr_memo_free(&o.mm);
    search_params_free(&j->st);
    if (rc) {
        buf_reset(&resp->body);
        http_resp_error(resp, rc, NULL);
        return;
    }
    if (j->makers > modified) modified = j->makers;
    buf_printf(&resp->body, "],\"count\":%zu,\"next_cursor\":", res.found);
    if (res.next[0])
        api_json_str(&resp->body, res.next, strlen(res.next));
    else
        buf_puts(&resp->body, "null");
    buf_puts(&resp->body, "}\n");
    resp->content_type = JSON_TYPE;
    api_cache(resp, API_CACHE_LIST);
    api_modified(resp, modified > api_day_start(o.today) ? modified : api_day_start(o.today));
    resp->status = 200;
}

int api_search(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    struct search_job *j = xcalloc(1, sizeof *j);
    int rc = api_search_query(req, SEARCH_ACTIVE, &j->sq, &j->st, resp);
    if (!rc && (rc = api_makers_time_now(app, &j->makers))) http_resp_error(resp, rc, NULL);
    if (rc) {
        search_params_free(&j->st);
        free(j);
        return resp->status;
    }
    return api_defer_read(app, req, resp, &j->job, search_read);
}

/* The facet counts (search_facets), deferred whole (api_defer_read): not O(1), they grow with
 * the number of distinct support days and markets. */
static void facets_read(struct api_job *job, struct store_txn *txn)
{
    struct http_resp *resp = job->resp;
    struct search_facets f;
    int64_t today = assess_today();
    long modified = 0;
    if (api_list_begin(job, txn, today, "")) {
        resp->content_type = JSON_TYPE;
        api_cache(resp, API_CACHE_LIST);
        return;
    }
    int rc = search_facets(txn, today, &f);
    if (!rc) rc = api_products_time(txn, &modified);
    if (rc) {
        search_facets_free(&f);
        http_resp_error(resp, rc, NULL);
        return;
    }
    struct buf *o = &resp->body;
    buf_printf(o, "{\"total\":%llu,\"withdrawn\":%llu,\"support\":{", (unsigned long long)f.total,
               (unsigned long long)f.withdrawn);
    for (int s = 0; s <= ASSESS_UNKNOWN; s++)
        buf_printf(o, "%s\"%s\":%llu", s ? "," : "", assess_support_name((enum assess_support)s),
                   (unsigned long long)f.support[s]);
    buf_printf(o, "},\"compliant\":{\"true\":%llu,\"false\":%llu},\"markets\":{",
               (unsigned long long)f.compliant, (unsigned long long)f.not_compliant);
    for (size_t i = 0; i < f.n_markets; i++) {
        if (i) buf_putc(o, ',');
        api_json_str(o, f.markets[i].code, strlen(f.markets[i].code));
        buf_printf(o, ":%llu", (unsigned long long)f.markets[i].n);
    }
    buf_puts(o, "}}\n");
    search_facets_free(&f);
    resp->content_type = JSON_TYPE;
    api_cache(resp, API_CACHE_LIST);
    api_modified(resp, modified > api_day_start(today) ? modified : api_day_start(today));
    resp->status = 200;
}

int api_facets(void *ctx, struct http_req *req, struct http_resp *resp)
{
    return api_defer_read(ctx, req, resp, xcalloc(1, sizeof(struct api_job)), facets_read);
}

/* One lookup result: {"id"|"gtin": key, "record": {...}} or {..., "error": "not_found"}. */
static int lookup_one(struct app *app, struct mfr_memo *mm, int64_t today, int is_gtin,
                      yyjson_val *key, struct buf *out)
{
    const char *k = yyjson_get_str(key), *json;
    size_t klen = yyjson_get_len(key), len;
    char id[DECL_ID_MAX + 1], gtin[15];
    buf_printf(out, "{\"%s\":", is_gtin ? "gtin" : "id");
    api_json_str(out, k, klen);
    int rc = REG_ENOTFOUND;
    const char *bad = NULL;
    if (is_gtin && decl_gtin_normalize(k, klen, gtin) != 0)
        bad = "invalid_gtin";
    else if (!is_gtin && !decl_id_valid(k, klen))
        bad = "invalid_id";
    else if (is_gtin)
        rc = product_by_gtin(mm->txn, gtin, id);
    else {
        memcpy(id, k, klen);
        id[klen] = '\0';
        rc = 0;
    }
    if (!bad && !rc) rc = product_get(mm->txn, id, &json, &len);
    if (bad || rc == REG_ENOTFOUND) {
        buf_printf(out, ",\"error\":\"%s\"}", bad ? bad : "not_found");
        return 0;
    }
    if (rc) return rc;
    buf_puts(out, ",\"record\":");
    if (api_record_json(app, mm, json, len, today, out, NULL)) return REG_ESTORE;
    buf_putc(out, '}');
    return 0;
}

/* The body must be {"ids":[strings], "gtins":[strings]} with at most REG_MAX_LOOKUP_KEYS in each
 * array (the limit the schema states per array). NULL if it is, "" if an array is too long,
 * else what is wrong. */
static const char *lookup_shape(yyjson_val *root)
{
    if (!yyjson_is_obj(root))
        return "The body must be a JSON object with \"ids\" and/or \"gtins\".";
    size_t i, max;
    yyjson_val *k, *v;
    const char *too_many = NULL;
    yyjson_obj_foreach(root, i, max, k, v)
    {
        if (!yyjson_equals_str(k, "ids") && !yyjson_equals_str(k, "gtins"))
            return "Only \"ids\" and \"gtins\" may be sent.";
        if (!yyjson_is_arr(v)) return "\"ids\" and \"gtins\" must be arrays of strings.";
        size_t j, jmax;
        yyjson_val *item;
        yyjson_arr_foreach(v, j, jmax, item)
        {
            if (!yyjson_is_str(item)) return "\"ids\" and \"gtins\" must be arrays of strings.";
        }
        if (yyjson_arr_size(v) > REG_MAX_LOOKUP_KEYS) too_many = "";
    }
    return too_many;
}

/* A bulk lookup, deferred whole (api_defer_read): up to 2 x REG_MAX_LOOKUP_KEYS records. */
static void lookup_read(struct api_job *job, struct store_txn *txn)
{
    struct app *app = job->app;
    struct http_req *req = job->req;
    struct http_resp *resp = job->resp;
    yyjson_doc *doc = yyjson_read(req->body.data ? req->body.data : "", req->body.len, 0);
    if (!doc) {
        http_resp_error(resp, REG_EBADJSON, NULL);
        return;
    }
    yyjson_val *root = yyjson_doc_get_root(doc);
    const char *bad = lookup_shape(root);
    if (bad) {
        yyjson_doc_free(doc);
        http_resp_error(resp, *bad ? REG_EBADREQ : REG_ETOOMANY, *bad ? bad : NULL);
        return;
    }
    int64_t today = assess_today();
    int rc = 0, n = 0;
    struct mfr_memo mm;
    mfr_memo_init(&mm, txn);
    buf_puts(&resp->body, "{\"results\":[");
    for (int g = 0; g < 2 && !rc; g++) {
        size_t i, max;
        yyjson_val *key;
        yyjson_arr_foreach(yyjson_obj_get(root, g ? "gtins" : "ids"), i, max, key)
        {
            if (n++) buf_putc(&resp->body, ',');
            if ((rc = lookup_one(app, &mm, today, g, key, &resp->body))) break;
        }
    }
    mfr_memo_free(&mm);
    yyjson_doc_free(doc);
    if (rc) {
        buf_reset(&resp->body);
        http_resp_error(resp, rc, NULL);
        return;
    }
    buf_puts(&resp->body, "]}\n");
    resp->content_type = JSON_TYPE;
    resp->status = 200;
}

int api_lookup(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    if (!api_is_json(req)) return http_resp_error(resp, REG_EMEDIA, NULL);
    return api_defer_read(app, req, resp, xcalloc(1, sizeof(struct api_job)), lookup_read);
}

struct feed {
    struct buf *out;
    long limit;
    long n;
    uint64_t last;
    int more;
};

static int feed_json(void *ctx, const char *json, size_t len)
{
    struct feed *f = ctx;
    if (f->n == f->limit) {
        f->more = 1;
        return 1;
    }
    if (f->n++) buf_putc(f->out, ',');
    buf_append(f->out, json, len);
    yyjson_doc *d = yyjson_read(json, len, 0);
    f->last = yyjson_get_uint(yyjson_obj_get(yyjson_doc_get_root(d), "seq"));
    yyjson_doc_free(d);
    return 0;
}

/* The changes feed, deferred whole (api_defer_read): up to REG_MAX_CHANGES changes. */
struct changes_job {
    struct api_job job; /* first */
    struct feed f;
    long since;
};

static void changes_read(struct api_job *job, struct store_txn *txn)
{
    struct changes_job *j = (struct changes_job *)job;
    struct http_resp *resp = job->resp;
    struct feed *f = &j->f;
    f->out = &resp->body;
    buf_puts(&resp->body, "{\"changes\":[");
    uint64_t newest = 0;
    long modified = 0;
    int rc = changes_each(txn, (uint64_t)j->since, feed_json, f);
    if (!rc) rc = changes_last_seq(txn, &newest);
    if (!rc) rc = api_products_time(txn, &modified);
    /* A `since` past the newest change (say, after a restore from backup) gets the newest seq
     * back, lower than what the client sent: it can tell and start over. */
    if (f->last > newest) f->last = newest;
    if (rc) {
        buf_reset(&resp->body);
        http_resp_error(resp, rc, NULL);
        return;
    }
    buf_printf(&resp->body, "],\"last_seq\":%llu,\"more\":%s}\n", (unsigned long long)f->last,
               f->more ? "true" : "false");
    resp->content_type = JSON_TYPE;
    api_cache(resp, API_CACHE_FEED);
    api_modified(resp, modified);
    resp->status = 200;
}

int api_changes(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    long since = 0, limit = REG_CHANGES_DEFAULT;
    if (api_query_long(req, "since", 0, 0x7fffffffffffffffL, &since) ||
        api_query_long(req, "limit", 1, REG_MAX_CHANGES, &limit))
        return http_resp_error(resp, REG_EBADREQ,
                               "since: a change sequence number (0 for all); limit: 1-1000.");
    struct changes_job *j = xcalloc(1, sizeof *j);
    j->since = since;
    j->f = (struct feed){.limit = limit, .last = (uint64_t)since};
    return api_defer_read(app, req, resp, &j->job, changes_read);
}

/* Atom entries newest first: collected oldest first, then written in reverse. */
struct atom {
    yyjson_doc *docs[ATOM_ENTRIES];
    int n;
};

static int atom_collect(void *ctx, const char *json, size_t len)
{
    struct atom *a = ctx;
    if (a->n == ATOM_ENTRIES) return 1;
    a->docs[a->n++] = yyjson_read(json, len, 0);
    return 0;
}

static const char *str(yyjson_val *o, const char *name)
{
    const char *s = yyjson_get_str(yyjson_obj_get(o, name));
    return s ? s : "";
}

static void atom_entry(const struct app *app, yyjson_val *c, struct buf *out)
{
    /* IDs, slugs, kinds and times are plain ASCII set by the registry: no escaping needed;
     * the public URL is the operator's and is escaped. */
    unsigned long long seq = yyjson_get_uint(yyjson_obj_get(c, "seq"));
    int maker = strcmp(str(c, "kind"), CHANGES_KIND_MAKER) == 0; /* an account's event */
    buf_printf(out, "<entry><id>");
    html_escape(out, app->cfg.public_url, strlen(app->cfg.public_url));
    buf_printf(out, "/v1/changes?since=%llu</id>", seq ? seq - 1 : 0);
    if (maker)
        buf_printf(out, "<title>manufacturer %s %s</title>", str(c, "manufacturer"),
                   str(c, "event"));
    else
        buf_printf(out, "<title>%s %s (version %llu)</title>", str(c, "id"), str(c, "kind"),
                   (unsigned long long)yyjson_get_uint(yyjson_obj_get(c, "version")));
    buf_printf(out, "<updated>%s</updated><link href=\"", str(c, "time"));
    html_escape(out, app->cfg.public_url, strlen(app->cfg.public_url));
    buf_printf(out, "/%s/%s\"/><author><name>%s</name></author></entry>", maker ? "m" : "p",
               maker ? str(c, "manufacturer") : str(c, "id"), str(c, "manufacturer"));
}

int api_changes_atom(void *ctx, struct http_req *req, struct http_resp *resp)
{
    struct app *app = ctx;
    struct store_txn *txn;
    struct atom a = {.n = 0};
    uint64_t last = 0;
    long modified = 0;
    (void)req;
    int rc = store_reader_begin(app->rd, &txn);
    if (!rc) rc = changes_last_seq(txn, &last);
    if (!rc) rc = api_products_time(txn, &modified);
    if (!rc)
        rc = changes_each(txn, last > ATOM_ENTRIES ? last - ATOM_ENTRIES : 0, atom_collect, &a);
    store_reader_end(app->rd);
    struct buf *out = &resp->body;
    if (!rc) {
        yyjson_val *newest = a.n ? yyjson_doc_get_root(a.docs[a.n - 1]) : NULL;
        buf_puts(out, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                      "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>seclabel registry: "
                      "changes</title><id>");
        html_escape(out, app->cfg.public_url, strlen(app->cfg.public_url));
        buf_puts(out, "/v1/changes.atom</id><link rel=\"self\" href=\"");
        html_escape(out, app->cfg.public_url, strlen(app->cfg.public_url));
        buf_printf(out, "/v1/changes.atom\"/><updated>%s</updated>",
                   newest ? str(newest, "time") : "1970-01-01T00:00:00Z");
        for (int i = a.n - 1; i >= 0; i--)
            atom_entry(app, yyjson_doc_get_root(a.docs[i]), out);
        buf_puts(out, "</feed>\n");
    }
    for (int i = 0; i < a.n; i++)
        yyjson_doc_free(a.docs[i]);
    if (rc) return http_resp_error(resp, rc, NULL);
    resp->content_type = "application/atom+xml; charset=utf-8";
    api_cache(resp, API_CACHE_FEED);
    api_modified(resp, modified);
    return resp->status = 200;
}
