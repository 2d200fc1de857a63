/* page.h: the HTML pages people see: the consumer page behind the QR code (L1), the technical
 * page (L2), the home page with search, a manufacturer's page, not-found pages, and the CSV
 * download of search results.
 *
 * Every value taken from a record is escaped for where it goes (text or attribute); only
 * http(s) and mailto URLs become links. Pages need no JavaScript; their one stylesheet is
 * served separately (page_style) with long-lived caching. Words come from web/i18n (i18n.h).
 *
 * Pages only compute and render: the route handler loads what a page shows (records, accounts,
 * search results) and hands it over as plain data; no page reads the store or sees a request.
 *
 * Ownership: a page_req, the data and their strings are borrowed for the call; output is
 * appended to out. */
#ifndef SECLABEL_PAGE_H
#define SECLABEL_PAGE_H

#include "buf.h"
#include "i18n.h"

#include <stddef.h>
#include <stdint.h>
#include <yyjson.h>

struct mfr;
struct search_facets;
struct search_query;

struct page_req {
    enum i18n_lang lang;
    int lang_in_query; /* the user chose the language with ?lang=: keep it in links */
    int64_t today;     /* days since 1970-01-01, UTC */
    const char *path;  /* the request path (for the language menu); safe ASCII */
    const char *query; /* the request's query without lang=, raw (for the menu), or "" */
    const char *public_url;
};

/* Append s[0..len) to out with & < > " ' escaped (fit for text and quoted attributes). */
void html_escape(struct buf *out, const char *s, size_t len);

/* The stylesheet: its bytes, and the versioned path pages link to. */
const char *page_style(size_t *len);
const char *page_style_path(void);
/* Compute the stylesheet's version; call once at start-up. */
void page_init(void);

/* What the registry publishes of its transparency log (tlog.h, logpub.h): the verifier key
 * (signed-note form), or NULL when this server publishes no log; and the tree size of the
 * newest signed checkpoint. */
struct page_checkpoint {
    const char *key;
    uint64_t size;
};

/* What a product's pages show. */
struct page_product_data {
    yyjson_val *rec;         /* the current record (an object) */
    const struct mfr *maker; /* its manufacturer's account, or NULL if it has none */
    yyjson_val *versions;    /* for the history: its stored versions, oldest first (an array of
                                records), or NULL (page_details needs none) */
    int logged;              /* the current version has an entry in the log: */
    uint64_t log_index;      /* its index */
    struct page_checkpoint checkpoint; /* page_details: the log as published now */
};
/* The consumer page (L1) and the technical page (L2) of a product. */
void page_product(const struct page_product_data *d, const struct page_req *pr, struct buf *out);
void page_details(const struct page_product_data *d, const struct page_req *pr, struct buf *out);

/* What a search found, for the lists. */
struct page_list {
    const struct search_query *sq;      /* the search: its form and links repeat its filters; with
                                           a cursor, this is not the first page */
    yyjson_val *recs;                   /* the records found, in order (an array) */
    const struct mfr *const *makers;    /* makers[i]: the account of recs[i]'s manufacturer, or
                                           NULL if it has none; NULL: none has one */
    const char *next;                   /* the ID to continue after; "" or NULL at the end */
    const struct search_facets *facets; /* the home page's counts as of pr->today, each a link
                                           into the search; NULL: none shown */
};
/* The home page: search form, the registry's counts (l->facets), the results, paging. */
void page_home(const struct page_list *l, const struct page_req *pr, struct buf *out);
/* Manufacturer m's page with its products (l->sq carries the manufacturer and paging). */
void page_maker(const struct mfr *m, const struct page_list *l, const struct page_req *pr,
                struct buf *out);
/* Search results as CSV (UTF-8 with BOM, RFC 4180, spreadsheet formulas neutralised), made in
 * parts so that a long download can be streamed: page_csv_head() writes the BOM and the header
 * line; page_csv_rows() a row for each record of l (support assessed on l->sq->today; page_url
 * under public_url). */
void page_csv_head(struct buf *out);
void page_csv_rows(const struct page_list *l, const char *public_url, struct buf *out);

/* "How to check this yourself" (/log): what the log is and is not, its key, the newest
 * checkpoint's size and the commands that check a product. */
void page_log(const struct page_checkpoint *cp, const struct page_req *pr, struct buf *out);

enum page_missing { PAGE_NO_PRODUCT, PAGE_NO_GTIN, PAGE_NO_MAKER };
/* A helpful 404 page: what was not found, and a search box. */
void page_not_found(enum page_missing what, const char *value, const struct page_req *pr,
                    struct buf *out);

#endif
