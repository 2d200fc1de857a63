/* search.h: finding products by text and filters, shared by the JSON API, the HTML pages and the
 * CSV download, over the search index (sindex.h): complete results in a documented order
 * (docs/API.md "Search"), a page at a time, each continuing strictly after the last product of
 * the one before (an opaque cursor holding its sort key).
 *
 * Ownership: a search_query borrows its strings; search_run borrows the transaction. The record
 * JSON given to the callback is borrowed from the transaction for the call only. */
#ifndef SECLABEL_SEARCH_H
#define SECLABEL_SEARCH_H

#include "assess.h"
#include "buf.h"
#include "decl.h"
#include "why.h"

#include <stddef.h>
#include <stdint.h>
#include <yyjson.h>

struct store_txn;

#define SEARCH_DEFAULT_LIMIT 20
#define SEARCH_MAX_LIMIT 100
#define SEARCH_MAX_QUERY 256 /* characters */
#define SEARCH_MAX_WORDS 16
/* The longest cursor search_run writes (and search_params reads), with its NUL. */
#define SEARCH_CURSOR_MAX (DECL_ID_MAX + 24)

/* Which records, by their stored `status`. A search that does not say takes its caller's
 * default: the JSON API and the CSV download list the products on sale (SEARCH_ACTIVE), what a
 * retailer expects; the pages list every product (SEARCH_ANY), withdrawn ones marked, so a
 * shopper finds the one in their hand. A record asked for by ID or GTIN is answered whatever
 * its status (lookup, the product pages, the resolver). */
enum search_status { SEARCH_ACTIVE, SEARCH_WITHDRAWN, SEARCH_ANY };

/* The order of the results: relevance (the default with words in q: the product whose ID or
 * GTIN q is, then those whose name has every word, then the rest, each by ID), by ID (the
 * default without), or by support_date (none last), then ID. */
enum search_sort { SEARCH_SORT_RELEVANCE, SEARCH_SORT_ID, SEARCH_SORT_SUPPORT_DATE };

struct search_query {
    const char *q;            /* words, each a word of id, name, model, maker or GTIN (the
                               * last also as a prefix), or NULL */
    const char *manufacturer; /* slug, or NULL */
    const char *gtin;         /* only the product holding this GTIN-14, or NULL */
    const char *market;       /* ISO 3166 alpha-2, upper case, or NULL */
    const char *cursor;       /* continue strictly after this ID (within after_tier or
                               * after_day, by sort), or NULL */
    int after_tier;           /* SEARCH_SORT_RELEVANCE: the tier (0-2) of `cursor` */
    uint32_t after_day;       /* SEARCH_SORT_SUPPORT_DATE: the sindex_day_key of `cursor` */
    enum search_status status;
    enum search_sort sort;
    int support;   /* enum assess_support (not ASSESS_WITHDRAWN), or -1 for any */
    int compliant; /* 0 or 1, or -1 for any */
    long limit;    /* results wanted */
    int64_t today;
};

/* Called for each matching record; rec is parsed, json/len its stored form. Non-zero stops. */
typedef int (*search_fn)(void *ctx, yyjson_val *rec, const char *json, size_t len);

struct search_result {
    size_t found;
    char next[SEARCH_CURSOR_MAX]; /* the next page's cursor; "" when there is nothing more */
    char last[DECL_ID_MAX + 1];   /* the ID next continues after ("" when nothing more) */
};

/* A search's query parameters, X(name), in the order the route table lists them; the same
 * names, space-separated, for the route table (test_search checks that the two agree). */
#define SEARCH_PARAMS(X)                                                                           \
    X(q)                                                                                           \
    X(manufacturer) X(gtin) X(status) X(support) X(compliant) X(limit) X(cursor) X(market) X(sort)
#define SEARCH_QUERY_PARAMS "q manufacturer gtin status support compliant limit cursor market sort"

/* A search's parameters as text, one buffer each, as whoever asks gives them (the HTTP side
 * fills them from the query string, percent-decoded); an empty buffer is a parameter not given
 * (a form's "any"). Also the strings a search_query made from them points to. Zero it (or
 * memset it to 0) before filling it; search_params_free frees it. */
struct search_params_store {
#define SEARCH_TEXT_FIELD(name) struct buf name;
    SEARCH_PARAMS(SEARCH_TEXT_FIELD)
#undef SEARCH_TEXT_FIELD
    char gtin14[15];
    char market_up[3];
    char cursor_id[DECL_ID_MAX + 1];
};

/* Read the parameters in st into sq (its strings point into st), with `today` as the date of
 * support periods; without a `status`, sq->status is `status`. A cursor is checked against the
 * search it is given with ("cursor: ..." when another search made it). Returns 0, or
 * REG_EBADREQ with
 * why (NULL allowed) naming the bad parameter and what it takes ("limit: a number from 1 to
 * 100."; the last one if several are bad), the message of a 400. */
int search_params(struct search_params_store *st, enum search_status status, int64_t today,
                  struct search_query *sq, struct reg_why *why);
void search_params_free(struct search_params_store *st);

/* Append sq's filters as query parameters for a link that repeats the search, each as
 * "&name=value" (URL-encoded): `status` always (the pages and the CSV download differ in their
 * default), the others when set, `manufacturer` only if with_mfr; never the cursor. */
void search_query_string(const struct search_query *sq, int with_mfr, struct buf *out);

/* The cursor that continues sq strictly after product `id` of tier `tier` (relevance) or support
 * day `day` (sindex_day_key), into out (SEARCH_CURSOR_MAX bytes). */
void search_cursor(const struct search_query *sq, int tier, uint32_t day, const char *id,
                   char out[SEARCH_CURSOR_MAX]);

/* Find the products sq asks for, in its order, after its cursor: fn gets each of at most
 * sq->limit (non-zero from fn stops); res says how many and where the next page starts.
 * Complete: every matching product is on some page. 0, fn's negative code, or the store's. */
int search_run(struct store_txn *txn, const struct search_query *sq, search_fn fn, void *ctx,
               struct search_result *res);

/* The support days (sindex_day_key, both ends included) that support state `support` (enum
 * assess_support, not ASSESS_WITHDRAWN) takes as of `today`: assess_record's boundaries
 * (ASSESS_ENDING_SOON_DAYS). Ended: before today; ending soon: today to today + 180; active:
 * later; unknown: no support_date (SINDEX_NO_DAY). The filter's and the facets' one
 * definition. */
void search_support_days(int support, int64_t today, uint32_t *lo, uint32_t *hi);

/* The registry's facet counts as of `today` (docs/API.md, "Facets"): all but `withdrawn` count
 * the products that are not withdrawn; each is what the search with that one filter finds. */
struct search_market {
    char code[3]; /* ISO 3166 alpha-2, as in the declarations' markets */
    uint64_t n;
};
struct search_facets {
    uint64_t total, withdrawn;
    uint64_t support[ASSESS_UNKNOWN + 1]; /* by enum assess_support */
    uint64_t compliant, not_compliant;
    struct search_market *markets; /* by code, each with n > 0; owned (search_facets_free) */
    size_t n_markets;
};
/* Fill f from the index's counts, never from the records: its cost grows with the number of
 * distinct support days and markets, not of products. 0 or the store's code (f is then
 * empty). */
int search_facets(struct store_txn *txn, int64_t today, struct search_facets *f);
void search_facets_free(struct search_facets *f);

#endif
