/* page.h: the HTML pages people see: the consumer page behind the QR code (L1), the technical
 * page (L2), the home page with search, a manufacturer's page, not-found pages, and the CSV
 * download of search results.
 *
 * Every value taken from a record is escaped for where it goes (text or attribute); only
 * http(s) and mailto URLs become links. Pages need no JavaScript; their one stylesheet is
 * served separately (page_style) with long-lived caching. Words come from web/i18n (i18n.h).
 *
 * Ownership: a page_req and its strings are borrowed for the call; output is appended to out.
 * Functions taking a txn read through it and keep nothing from it. */
#ifndef SECLABEL_PAGE_H
#define SECLABEL_PAGE_H

#include "buf.h"
#include "i18n.h"

#include <stddef.h>
#include <stdint.h>

struct mfr;
struct store_txn;
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

/* The consumer page (L1) and the technical page (L2) of product id: REG_ENOTFOUND if absent. */
int page_product(struct store_txn *txn, const char *id, const struct page_req *pr, struct buf *out);
int page_details(struct store_txn *txn, const char *id, const struct page_req *pr, struct buf *out);
/* The home page: search form, results of sq, paging. */
int page_home(struct store_txn *txn, const struct search_query *sq, const struct page_req *pr,
              struct buf *out);
/* Manufacturer m's page with its products (sq carries the manufacturer and paging). */
int page_maker(struct store_txn *txn, const struct mfr *m, const struct search_query *sq,
               const struct page_req *pr, struct buf *out);
/* Search results as CSV (UTF-8 with BOM, RFC 4180, spreadsheet formulas neutralised), made in
 * parts so that a long download can be streamed: page_csv_head() writes the BOM and the header
 * line; page_csv_rows() the rows of the records sq finds (sq->limit rows and sq->budget records
 * examined at most), but none for an ID after `last` (NULL: no such bound); *next gets the ID
 * to continue after ("" when the walk, or the part up to `last`, is complete). */
void page_csv_head(struct buf *out);
int page_csv_rows(struct store_txn *txn, const struct search_query *sq, const char *public_url,
                  const char *last, struct buf *out, char *next, size_t next_len);

enum page_missing { PAGE_NO_PRODUCT, PAGE_NO_GTIN, PAGE_NO_MAKER };
/* A helpful 404 page: what was not found, and a search box. */
void page_not_found(enum page_missing what, const char *value, const struct page_req *pr,
                    struct buf *out);

#endif
