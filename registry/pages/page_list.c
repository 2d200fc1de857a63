/* page_list.c: pages and downloads that list products: the home page with search, a
 * manufacturer's page, the CSV download, and the not-found pages (which offer a search). */
#include "page_int.h"

#include "assess.h"
#include "csv.h"
#include "mfr.h"
#include "search.h"

#include <stdio.h>
#include <string.h>

/* The account of the i-th record of l, or NULL. */
static const struct mfr *maker_at(const struct page_list *l, size_t i)
{
    return l->makers ? l->makers[i] : NULL;
}

/* The query string of sq (without cursor), URL-encoded, for paging and CSV links. */
static void query_of(struct buf *out, const struct search_query *sq, const struct page_req *pr,
                     int with_mfr)
{
    search_query_string(sq, with_mfr, out);
    buf_puts(out, page_lang_param(pr, 0));
}

/* Results table (or "no results"), paging links and the CSV link. `base` is the page's path. */
static void results(struct buf *out, const struct page_list *l, const struct page_req *pr,
                    const char *base, int with_mfr)
{
    const struct search_query *sq = l->sq;
    struct buf q = BUF_INIT;
    size_t found = yyjson_arr_size(l->recs);
    if (found == 0) {
        buf_puts(out, "<p>");
        i18n_put(out, pr->lang, I18N_no_results);
        buf_puts(out, "</p>");
    } else {
        size_t i, max;
        yyjson_val *rec;
        page_rows_begin(out, pr);
        yyjson_arr_foreach(l->recs, i, max, rec)
        {
            page_row(out, pr, rec, maker_at(l, i));
        }
        page_rows_end(out);
    }
    query_of(&q, sq, pr, with_mfr);
    const char *qs = buf_cstr(&q); /* "&q=...&lang=.." or "" */
    buf_puts(out, "<nav class=\"pages\"><ul>");
    if (sq->cursor) {
        buf_printf(out, "<li><a href=\"%s%s%s\">", base, *qs ? "?" : "", *qs ? qs + 1 : "");
        i18n_put(out, pr->lang, I18N_first_page);
        buf_puts(out, "</a></li>");
    }
    if (l->next && l->next[0]) {
        /* IDs are plain ASCII safe in URLs (decl_id_valid). */
        buf_printf(out, "<li><a rel=\"next\" href=\"%s?cursor=%s%s\">", base, l->next, qs);
        i18n_put(out, pr->lang, I18N_next_page);
        buf_puts(out, "</a></li>");
    }
    if (found) {
        struct buf cq = BUF_INIT;
        query_of(&cq, sq, pr, 1);
        buf_printf(out, "<li><a href=\"/products.csv%s%s\" download>", cq.len ? "?" : "",
                   cq.len ? buf_cstr(&cq) + 1 : "");
        i18n_put(out, pr->lang, I18N_csv_link);
        buf_puts(out, "</a></li>");
        buf_free(&cq);
    }
    buf_puts(out, "</ul></nav>");
    buf_free(&q);
}

/* A count's words: the singular and plural forms (English and German have these two; a
 * language without plural forms repeats its text). */
struct count_keys {
    enum i18n_key one, other;
};
#define COUNT_KEYS(name) ((struct count_keys){I18N_facets_##name##_one, I18N_facets_##name##_other})

/* One count as a link into the search that finds those products: sq's filters with status
 * active (the pages' default is any; a count is of products on sale unless `withdrawn`). The
 * text is `keys`' form for n, with the count and ASSESS_ENDING_SOON_DAYS. */
static void facet_link(struct buf *out, const struct page_req *pr, const struct search_query *sq,
                       struct count_keys keys, uint64_t n)
{
    struct buf q = BUF_INIT;
    char count[24], days[24];
    search_query_string(sq, 1, &q);
    buf_puts(&q, page_lang_param(pr, 0));
    buf_puts(out, "<li><a href=\"/?");
    html_escape(out, buf_cstr(&q) + 1, q.len - 1); /* the query string without its first & */
    buf_puts(out, "\">");
    snprintf(count, sizeof count, "%llu", (unsigned long long)n);
    snprintf(days, sizeof days, "%d", ASSESS_ENDING_SOON_DAYS);
    const char *args[] = {count, days};
    i18n_fmt(out, pr->lang, n == 1 ? keys.one : keys.other, 2, args);
    buf_puts(out, "</a></li>");
    buf_free(&q);
}

/* The registry's counts (search_facets), each a link into the search; states without products
 * are left out. */
static void facets(struct buf *out, const struct page_req *pr, const struct search_facets *f)
{
    const struct count_keys support_keys[] = {
        [ASSESS_ACTIVE] = COUNT_KEYS(active),
        [ASSESS_ENDING_SOON] = COUNT_KEYS(soon),
        [ASSESS_ENDED] = COUNT_KEYS(ended),
        [ASSESS_UNKNOWN] = COUNT_KEYS(unknown),
    };
    struct search_query sq = {.status = SEARCH_ACTIVE,
                              .support = -1,
                              .compliant = -1,
                              .limit = SEARCH_DEFAULT_LIMIT,
                              .sort = SEARCH_SORT_ID};
    buf_puts(out, "<section class=\"facets\" aria-labelledby=\"facets-h\"><h2 id=\"facets-h\">");
    i18n_put(out, pr->lang, I18N_facets_heading);
    buf_puts(out, "</h2><ul>");
    facet_link(out, pr, &sq, COUNT_KEYS(total), f->total);
    for (int s = 0; s <= ASSESS_UNKNOWN; s++) {
        sq.support = s;
        if (f->support[s]) facet_link(out, pr, &sq, support_keys[s], f->support[s]);
    }
    sq.support = -1;
    for (int c = 1; c >= 0; c--) {
        sq.compliant = c;
        uint64_t n = c ? f->compliant : f->not_compliant;
        if (n) facet_link(out, pr, &sq, c ? COUNT_KEYS(met) : COUNT_KEYS(not_met), n);
    }
    sq.compliant = -1;
    sq.status = SEARCH_WITHDRAWN;
    if (f->withdrawn) facet_link(out, pr, &sq, COUNT_KEYS(withdrawn), f->withdrawn);
    buf_puts(out, "</ul>");
    if (f->n_markets) {
        sq.status = SEARCH_ACTIVE;
        buf_puts(out, "<h3>");
        i18n_put(out, pr->lang, I18N_facets_markets);
        buf_puts(out, "</h3><ul class=\"markets\">");
        for (size_t i = 0; i < f->n_markets; i++) {
            struct buf q = BUF_INIT;
            sq.market = f->markets[i].code;
            search_query_string(&sq, 1, &q);
            buf_puts(&q, page_lang_param(pr, 0));
            buf_puts(out, "<li><a href=\"/?");
            html_escape(out, buf_cstr(&q) + 1, q.len - 1);
            buf_puts(out, "\">");
            html_escape(out, f->markets[i].code, strlen(f->markets[i].code));
            buf_printf(out, "</a> %llu</li>", (unsigned long long)f->markets[i].n);
            buf_free(&q);
        }
        buf_puts(out, "</ul>");
    }
    buf_puts(out, "</section>");
}

void page_home(const struct page_list *l, const struct page_req *pr, struct buf *out)
{
    const char *title = i18n_get(pr->lang, I18N_home_title);
    page_head(out, pr, title, strlen(title));
    buf_puts(out, "<h1>");
    i18n_put(out, pr->lang, I18N_home_title);
    buf_puts(out, "</h1><p>");
    i18n_put(out, pr->lang, I18N_home_intro);
    buf_puts(out, "</p>");
    page_search_form(out, pr, l->sq);
    if (l->facets) facets(out, pr, l->facets);
    buf_puts(out, "<h2>");
    i18n_put(out, pr->lang, I18N_results_heading);
    buf_puts(out, "</h2>");
    results(out, l, pr, "/", 1);
    page_foot(out, pr);
}

static void maker_fact(struct buf *out, const struct page_req *pr, enum i18n_key label,
                       const char *v, int contact)
{
    if (!v) return;
    buf_puts(out, "<dt>");
    i18n_put(out, pr->lang, label);
    buf_puts(out, "</dt><dd>");
    if (contact && strchr(v, '@') && !page_url_ok(v, strlen(v)))
        page_contact(out, v);
    else
        page_link(out, v, strlen(v), v, strlen(v));
    buf_puts(out, "</dd>");
}

/* What the registry vouches for: its verification (with the evidence and what it covered) and
 * the GS1 Company Prefixes it holds on record. */
static void maker_trust(struct buf *out, const struct page_req *pr, const struct mfr *m)
{
    buf_puts(out, "<dt>");
    i18n_put(out, pr->lang, I18N_m_verification);
    buf_puts(out, "</dt><dd>");
    page_verification(out, pr, m, 1);
    const char *ev = m->verification.evidence;
    if (ev) {
        buf_puts(out, "<br>");
        i18n_put(out, pr->lang, I18N_m_evidence);
        buf_puts(out, " ");
        html_escape(out, ev, strlen(ev));
    }
    buf_puts(out, "</dd>");
    if (!m->gs1_prefixes.n) return;
    buf_puts(out, "<dt>");
    i18n_put(out, pr->lang, I18N_m_prefixes);
    buf_puts(out, "</dt><dd>");
    for (size_t i = 0; i < m->gs1_prefixes.n; i++) {
        if (i) buf_puts(out, ", ");
        html_escape(out, m->gs1_prefixes.v[i], strlen(m->gs1_prefixes.v[i]));
    }
    buf_puts(out, "</dd>");
}

void page_maker(const struct mfr *m, const struct page_list *l, const struct page_req *pr,
                struct buf *out)
{
    struct buf title = BUF_INIT, esc = BUF_INIT, base = BUF_INIT;
    const char *fmt = i18n_get(pr->lang, I18N_m_title), *ph = strstr(fmt, "{1}");
    buf_append(&title, fmt, ph ? (size_t)(ph - fmt) : strlen(fmt));
    html_escape(&esc, m->name, strlen(m->name));
    if (ph) { /* the title is plain text: page_head escapes it */
        buf_puts(&title, m->name);
        buf_puts(&title, ph + 3);
    }
    page_head(out, pr, title.data, title.len);
    const char *args[] = {buf_cstr(&esc)};
    buf_puts(out, "<h1>");
    i18n_fmt(out, pr->lang, I18N_m_title, 1, args);
    buf_puts(out, "</h1><dl>");
    maker_trust(out, pr, m);
    maker_fact(out, pr, I18N_m_website, m->website, 0);
    maker_fact(out, pr, I18N_m_contact, m->contact, 1);
    buf_puts(out, "</dl><h2>");
    i18n_put(out, pr->lang, I18N_m_products);
    buf_puts(out, "</h2>");
    buf_printf(&base, "/m/%s", l->sq->manufacturer); /* a valid slug: safe in URLs */
    results(out, l, pr, buf_cstr(&base), 0);
    page_foot(out, pr);
    buf_free(&title);
    buf_free(&esc);
    buf_free(&base);
}

void page_not_found(enum page_missing what, const char *value, const struct page_req *pr,
                    struct buf *out)
{
    enum i18n_key t = what == PAGE_NO_MAKER ? I18N_m_not_found_title : I18N_nf_title;
    enum i18n_key body = what == PAGE_NO_PRODUCT ? I18N_nf_body
                         : what == PAGE_NO_GTIN  ? I18N_nf_gtin_body
                                                 : I18N_m_not_found_body;
    const char *title = i18n_get(pr->lang, t);
    page_head(out, pr, title, strlen(title));
    buf_puts(out, "<h1>");
    i18n_put(out, pr->lang, t);
    buf_puts(out, "</h1><p>");
    struct buf v = BUF_INIT;
    buf_puts(&v, "<strong>");
    html_escape(&v, value, strlen(value) > 64 ? 64 : strlen(value));
    buf_puts(&v, "</strong>");
    const char *args[] = {buf_cstr(&v)};
    i18n_fmt(out, pr->lang, body, 1, args);
    buf_puts(out, "</p>");
    page_search_form(out, pr, NULL);
    page_foot(out, pr);
    buf_free(&v);
}

/* One CSV field and its separator; csv_cell (csv.h) quotes it and guards it against formulas. */
static void csv_field(struct buf *out, const char *s, size_t len, int last)
{
    csv_cell(out, s, len);
    buf_puts(out, last ? "\r\n" : ",");
}

static void csv_str(struct buf *out, yyjson_val *v, int last)
{
    csv_field(out, yyjson_is_str(v) ? yyjson_get_str(v) : "",
              yyjson_is_str(v) ? yyjson_get_len(v) : 0, last);
}

struct csv {
    struct buf *out;
    int64_t today;
    const char *public_url;
};

static void csv_row(const struct csv *c, yyjson_val *rec, const struct mfr *maker)
{
    struct assess a;
    char num[24], url[600];
    assess_record(rec, c->today, &a);
    static const char *const names[] = {"id",           "product_name",      "product_model",
                                        "manufacturer", "manufacturer_name", "gtin",
                                        "support_date"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (maker && !strcmp(names[i], "manufacturer_name")) /* the account's */
            csv_field(c->out, maker->name, strlen(maker->name), 0);
        else
            csv_str(c->out, yyjson_obj_get(rec, names[i]), 0);
    const char *st = assess_support_name(a.support);
    csv_field(c->out, st, strlen(st), 0);
    int n = a.period_ok ? snprintf(num, sizeof num, "%lld", (long long)a.days_left) : 0;
    csv_field(c->out, num, (size_t)n, 0);
    csv_field(c->out, a.compliant ? "yes" : "no", a.compliant ? 3 : 2, 0);
    csv_str(c->out, yyjson_obj_get(rec, "default_password"), 0);
    csv_str(c->out, yyjson_obj_get(rec, "security_contact"), 0);
    csv_str(c->out, yyjson_obj_get(rec, "status"), 0);
    n = snprintf(url, sizeof url, "%s/p/%s", c->public_url,
                 yyjson_get_str(yyjson_obj_get(rec, "id")));
    csv_field(c->out, url, n > 0 && (size_t)n < sizeof url ? (size_t)n : 0, 0);
    st = assess_state_name(a.state);
    csv_field(c->out, st, strlen(st), 1);
}

void page_csv_head(struct buf *out)
{
    buf_puts(out, "\xEF\xBB\xBF" /* UTF-8 BOM: spreadsheets then read the text right */
                  "id,product_name,product_model,manufacturer,manufacturer_name,gtin,"
                  "support_date,support_status,days_left,compliant,default_password,"
                  "security_contact,status,page_url,state\r\n");
}

void page_csv_rows(const struct page_list *l, const char *public_url, struct buf *out)
{
    struct csv c = {out, l->sq->today, public_url};
    size_t i, max;
    yyjson_val *rec;
    yyjson_arr_foreach(l->recs, i, max, rec)
    {
        csv_row(&c, rec, maker_at(l, i));
    }
}
