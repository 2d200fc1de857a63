/* search.h: finding products by text and status, shared by the JSON API, the HTML pages and the
 * CSV download. Walks the products in ID order (or one manufacturer's, through the owners
 * index), examining at most `budget` records per call so no query holds the loop for long;
 * when the limit or the budget is reached, `next` names the ID to continue after.
 *
 * Ownership: a search_query borrows its strings; search_run borrows the transaction. The record
 * JSON given to the callback is borrowed from the transaction for the call only. */
#ifndef SECLABEL_SEARCH_H
#define SECLABEL_SEARCH_H

#include "buf.h"
#include "decl.h"
#include "why.h"

#include <stddef.h>
#include <stdint.h>
#include <yyjson.h>

struct store_txn;

#define SEARCH_DEFAULT_LIMIT 20
#define SEARCH_MAX_LIMIT 100
#define SEARCH_BUDGET 10000
#define SEARCH_MAX_QUERY 256 /* characters */

/* Which records, by their stored `status`. A search that does not say takes its caller's
 * default: the JSON API and the CSV download list the products on sale (SEARCH_ACTIVE), what a
 * retailer expects; the pages list every product (SEARCH_ANY), withdrawn ones marked, so a
 * shopper finds the one in their hand. A record asked for by ID or GTIN is answered whatever
 * its status (lookup, the product pages, the resolver). */
enum search_status { SEARCH_ACTIVE, SEARCH_WITHDRAWN, SEARCH_ANY };

struct search_query {
    const char *q;            /* case-insensitive substring of id, name, model, maker, GTIN */
    const char *manufacturer; /* slug, or NULL */
    const char *gtin;         /* only the product holding this GTIN-14, or NULL */
    const char *cursor;       /* continue after this ID, or NULL */
    enum search_status status;
    int support;   /* enum assess_support, or -1 for any */
    int compliant; /* 0 or 1, or -1 for any */
    long limit;    /* results wanted */
    long budget;   /* records examined at most */
    int64_t today;
};

/* Called for each matching record; rec is parsed, json/len its stored form. Non-zero stops. */
typedef int (*search_fn)(void *ctx, yyjson_val *rec, const char *json, size_t len);

struct search_result {
    size_t found;
    char next[DECL_ID_MAX + 1]; /* "" when there is nothing more */
};

/* A search's query parameters, X(name), in the order the route table lists them; the same
 * names, space-separated, for the route table (test_search checks that the two agree). */
#define SEARCH_PARAMS(X)                                                                           \
    X(q) X(manufacturer) X(gtin) X(status) X(support) X(compliant) X(limit) X(cursor)
#define SEARCH_QUERY_PARAMS "q manufacturer gtin status support compliant limit cursor"

/* A search's parameters as text, one buffer each, as whoever asks gives them (the HTTP side
 * fills them from the query string, percent-decoded); an empty buffer is a parameter not given
 * (a form's "any"). Also the strings a search_query made from them points to. Zero it (or
 * memset it to 0) before filling it; search_params_free frees it. */
struct search_params_store {
#define SEARCH_TEXT_FIELD(name) struct buf name;
    SEARCH_PARAMS(SEARCH_TEXT_FIELD)
#undef SEARCH_TEXT_FIELD
    char gtin14[15];
};

/* Read the parameters in st into sq (its strings point into st), with `today` as the date of
 * support periods; without a `status`, sq->status is `status`. Returns 0, or REG_EBADREQ with
 * why (NULL allowed) naming the bad parameter and what it takes ("limit: a number from 1 to
 * 100."; the last one if several are bad), the message of a 400. */
int search_params(struct search_params_store *st, enum search_status status, int64_t today,
                  struct search_query *sq, struct reg_why *why);
void search_params_free(struct search_params_store *st);

/* Append sq's filters as query parameters for a link that repeats the search, each as
 * "&name=value" (URL-encoded): `status` always (the pages and the CSV download differ in their
 * default), the others when set, `manufacturer` only if with_mfr; never the cursor. */
void search_query_string(const struct search_query *sq, int with_mfr, struct buf *out);

int search_run(struct store_txn *txn, const struct search_query *sq, search_fn fn, void *ctx,
               struct search_result *res);

#endif
