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

#include <stddef.h>
#include <stdint.h>
#include <yyjson.h>

struct store_txn;
struct http_req;

#define SEARCH_DEFAULT_LIMIT 20
#define SEARCH_MAX_LIMIT 100
#define SEARCH_BUDGET 10000
#define SEARCH_MAX_QUERY 256

struct search_query {
    const char *q;            /* case-insensitive substring of id, name, model, maker, GTIN */
    const char *manufacturer; /* slug, or NULL */
    const char *cursor;       /* continue after this ID, or NULL */
    int support;              /* enum assess_support, or -1 for any */
    int compliant;            /* 0 or 1, or -1 for any */
    long limit;               /* results wanted */
    long budget;              /* records examined at most */
    int64_t today;
};

/* Called for each matching record; rec is parsed, json/len its stored form. Non-zero stops. */
typedef int (*search_fn)(void *ctx, yyjson_val *rec, const char *json, size_t len);

struct search_result {
    size_t found;
    char next[DECL_ID_MAX + 1]; /* "" when there is nothing more */
};

/* Read q, manufacturer, cursor, support, compliant and limit from the request's query string
 * (and today's date) into sq (strings kept in `store`, which the caller frees with
 * search_params_free). Returns 0, or -1 with a message for a 400 in *why. */
struct search_params_store {
    struct buf q, mfr, cursor;
};
int search_params(const struct http_req *req, struct search_query *sq,
                  struct search_params_store *store, const char **why);
void search_params_free(struct search_params_store *store);

int search_run(struct store_txn *txn, const struct search_query *sq, search_fn fn, void *ctx,
               struct search_result *res);

#endif
