/* search.c: product search over the search index (see search.h, sindex.h): the plan (which
 * lists to intersect, what to verify), the orders, cursors, and the parameters as text. */
#include "search.h"

#include "assess.h"
#include "err.h"
#include "hash.h"
#include "product.h"
#include "sindex.h"
#include "store.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The `status` parameter's values, in enum search_status order; `sort`'s in enum search_sort
 * order, and the letter a cursor of each begins with. */
static const char *const status_names[] = {"active", "withdrawn", "any"};
static const char *const sort_names[] = {"relevance", "id", "support_date"};
static const char sort_letters[] = "rid";

/* A posting list (the values of one key of spostings) or the products table, walked in ID order
 * by a cursor kept open for the whole pass: a seek to a nearby ID steps through the list, a far
 * one descends the tree (see walker_seek). */
struct walker {
    char key[1 + SINDEX_WORD_MAX]; /* a posting list's key */
    size_t klen;
    struct store_cur *cur;    /* opened at the first seek */
    char at[DECL_ID_MAX + 1]; /* the current ID */
    size_t atlen;
    int state; /* W_FRESH, W_AT or W_END */
};
enum { W_FRESH, W_AT, W_END };

/* A candidate list a search is planned from, in ID order: the union of a few posting lists (one
 * term, or the terms a prefix word starts), the products themselves, or a sorted set of IDs
 * gathered first (a prefix's many posting lists, a date range, the holder of a GTIN).
 * Candidates are verified against the product's facts (one get), so a list may hold more than
 * its criterion matches, and a list that would drop few candidates is left out of the
 * intersection (plan_srcs). */
struct src {
    enum store_table tab; /* STORE_SPOSTINGS (walkers) or STORE_PRODUCTS (every product) */
    struct walker *w;     /* the posting lists, nw of them, owned */
    size_t nw;
    char **ids;    /* a set: n sorted IDs, owned */
    size_t n, pos; /* pos: a set's first ID not yet passed */
    int is_set;
    uint64_t size; /* how many IDs it holds (a posting list's count; every product: the total) */
};

/* Gather a set only when it holds at most this many IDs; a larger one is walked or verified. */
#define SEARCH_GATHER_MAX 20000
/* A prefix word whose terms are at most this many is walked as the union of their lists. */
#define SEARCH_UNION_MAX 16
/* A list is intersected only if it holds at most this share (1/n) of the products; a denser one
 * is verified from the facts, which each candidate's check reads anyway. */
#define SEARCH_DENSE_SHARE 4
/* Steps through a list before a seek descends the tree instead. */
#define SEARCH_GALLOP 8

struct qword {
    char w[SINDEX_WORD_MAX + 1];
    size_t len;
    int prefix;    /* the last word, which also matches as a prefix */
    char gtin[15]; /* the word as a GTIN-14, or "" */
};

struct dated {
    uint32_t day;
    char *id;
};

struct plan {
    struct store_txn *txn;
    const struct search_query *sq;
    struct qword words[SEARCH_MAX_WORDS];
    size_t nw;
    int too_many;
    char qtrim[SEARCH_MAX_QUERY * 4 + 1]; /* q without surrounding spaces */
    char qgtin[15];
    int support;     /* a support filter is given: the product's day within [lo, hi] */
    uint32_t lo, hi; /* sindex_day_key bounds */
    struct src srcs[SEARCH_MAX_WORDS + 8];
    size_t nsrc;
    struct store_cur *sdocs; /* the facts, read through one cursor (nearby IDs: no descent) */
    /* the output */
    search_fn fn;
    void *ctx;
    struct search_result *res;
    long emitted;
    int tier;     /* of the candidate being emitted */
    uint32_t day; /* of the candidate being emitted */
    char prev_id[DECL_ID_MAX + 1];
    int prev_tier;
    uint32_t prev_day;
    int done;
    struct dated *col; /* sort=support_date over small lists: every match, then sorted */
    size_t ncol, capcol;
};

static int add_word(void *ctx, const char *w, size_t len, int cjk)
{
    struct plan *p = ctx;
    if (p->nw == SEARCH_MAX_WORDS) {
        p->too_many = 1;
        return 1;
    }
    struct qword *q = &p->words[p->nw++];
    memcpy(q->w, w, len);
    q->w[len] = '\0';
    q->len = len;
    q->prefix = !cjk; /* set for the last word only, below */
    q->gtin[0] = '\0';
    if ((len == 8 || len == 12 || len == 13 || len == 14) && strspn(w, "0123456789") >= len &&
        decl_gtin_normalize(w, len, q->gtin) != 0)
        q->gtin[0] = '\0';
    return 0;
}

/* 1 if q ends in white space (then its last word is whole, not a prefix). */
static int ends_in_space(const char *q)
{
    size_t n = strlen(q);
    return n && strchr(" \t\r\n", q[n - 1]);
}

/* The query's words, the trimmed query and its GTIN, and the support range. */
static int plan_query(struct plan *p)
{
    const struct search_query *sq = p->sq;
    if (sq->q && *sq->q) {
        int rc = sindex_words(sq->q, strlen(sq->q), SINDEX_FOR_QUERY, add_word, p);
        if (rc < 0) return rc;
        for (size_t i = 0; i + 1 < p->nw; i++)
            p->words[i].prefix = 0;
        if (p->nw && ends_in_space(sq->q)) p->words[p->nw - 1].prefix = 0;
        const char *s = sq->q + strspn(sq->q, " \t\r\n");
        size_t n = strlen(s);
        while (n && strchr(" \t\r\n", s[n - 1]))
            n--;
        if (n >= sizeof p->qtrim) n = sizeof p->qtrim - 1;
        memcpy(p->qtrim, s, n);
        p->qtrim[n] = '\0';
        if (decl_gtin_normalize(p->qtrim, n, p->qgtin) != 0) p->qgtin[0] = '\0';
    }
    if (sq->support >= 0) {
        p->support = 1;
        search_support_days(sq->support, sq->today, &p->lo, &p->hi);
    }
    return 0;
}

void search_support_days(int support, int64_t today, uint32_t *lo, uint32_t *hi)
{
    switch (support) {
    case ASSESS_ACTIVE:
        *lo = sindex_day_key(today + ASSESS_ENDING_SOON_DAYS + 1), *hi = SINDEX_NO_DAY - 1;
        break;
    case ASSESS_ENDING_SOON:
        *lo = sindex_day_key(today), *hi = sindex_day_key(today + ASSESS_ENDING_SOON_DAYS);
        break;
    case ASSESS_ENDED:
        *lo = 0, *hi = sindex_day_key(today - 1);
        break;
    default: /* unknown: no support_date */
        *lo = *hi = SINDEX_NO_DAY;
    }
}

/* --- Verifying a candidate ------------------------------------------------------------------ */

static int word_matches(const struct sdoc *d, const struct qword *w, int names_only)
{
    if (sdoc_has(d->names, d->n_names, w->w, w->len, w->prefix)) return 1;
    if (names_only) return 0;
    if (sdoc_has(d->others, d->n_others, w->w, w->len, w->prefix)) return 1;
    return w->gtin[0] && d->gtin_len == 14 && memcmp(d->gtin, w->gtin, 14) == 0;
}

/* The tier of product id (facts d) if it matches the search (0-2), else NO_TIER. */
#define NO_TIER 3
static int verify(const struct plan *p, const char *id, const struct sdoc *d)
{
    const struct search_query *sq = p->sq;
    if ((sq->status == SEARCH_ACTIVE && d->withdrawn) ||
        (sq->status == SEARCH_WITHDRAWN && !d->withdrawn))
        return NO_TIER;
    if (sq->manufacturer && (d->maker_len != strlen(sq->manufacturer) ||
                             memcmp(d->maker, sq->manufacturer, d->maker_len) != 0))
        return NO_TIER;
    if (sq->gtin && (d->gtin_len != 14 || memcmp(d->gtin, sq->gtin, 14) != 0)) return NO_TIER;
    if (sq->market && !sdoc_has(d->markets, d->n_markets, sq->market, strlen(sq->market), 0))
        return NO_TIER;
    if (sq->compliant >= 0 && d->compliant != sq->compliant) return NO_TIER;
    if (p->support && (d->withdrawn || d->day < p->lo || d->day > p->hi)) return NO_TIER;
    int names = p->nw > 0;
    for (size_t i = 0; i < p->nw; i++) {
        if (!word_matches(d, &p->words[i], 0)) return NO_TIER;
        names = names && word_matches(d, &p->words[i], 1);
    }
    if (p->nw && (!strcasecmp(id, p->qtrim) ||
                  (p->qgtin[0] && d->gtin_len == 14 && !memcmp(d->gtin, p->qgtin, 14))))
        return 0;
    return names ? 1 : 2;
}

/* The facts of id, parsed into d: 0, REG_ENOTFOUND (no product), or REG_ESTORE. */
static int facts(struct plan *p, const char *id, struct sdoc *d)
{
    struct store_val v;
    int rc = p->sdocs ? 0 : store_cur_open(p->txn, STORE_SDOCS, &p->sdocs);
    if (!rc) rc = store_cur_get(p->sdocs, id, strlen(id), &v);
    return rc ? rc : sdoc_parse(v.data, v.len, d);
}

/* --- Output --------------------------------------------------------------------------------- */

/* Give the matching product id to the caller, or, once the page is full, note that another
 * exists and stop (1). */
static int emit(struct plan *p, const char *id)
{
    const struct search_query *sq = p->sq;
    if (p->emitted == sq->limit) {
        search_cursor(sq, p->prev_tier, p->prev_day, p->prev_id, p->res->next);
        snprintf(p->res->last, sizeof p->res->last, "%s", p->prev_id);
        p->done = 1;
        return 1;
    }
    const char *json;
    size_t len;
    int rc = product_get(p->txn, id, &json, &len);
    if (rc) return rc == REG_ENOTFOUND ? REG_ESTORE : rc;
    yyjson_doc *doc = yyjson_read(json, len, 0);
    yyjson_val *rec = yyjson_doc_get_root(doc);
    if (!yyjson_is_obj(rec)) rc = REG_ESTORE;
    p->emitted++;
    p->res->found++;
    snprintf(p->prev_id, sizeof p->prev_id, "%s", id);
    p->prev_tier = p->tier;
    p->prev_day = p->day;
    if (!rc) rc = p->fn(p->ctx, rec, json, len);
    yyjson_doc_free(doc);
    if (rc > 0) p->done = 1;
    return rc;
}

/* --- Lists ---------------------------------------------------------------------------------- */

/* A new, empty candidate list. */
static struct src *src_new(struct plan *p, enum store_table tab)
{
    struct src *s = &p->srcs[p->nsrc++];
    memset(s, 0, sizeof *s);
    s->tab = tab;
    return s;
}

/* Add posting list kind+v[0..len) to s's union, of `size` IDs. */
static void src_add_list(struct src *s, char kind, const char *v, size_t len, uint64_t size)
{
    s->w = xrealloc(s->w, (s->nw + 1) * sizeof *s->w);
    struct walker *w = &s->w[s->nw++];
    memset(w, 0, sizeof *w);
    w->key[0] = kind;
    memcpy(w->key + 1, v, len);
    w->klen = len + 1;
    s->size += size;
}

/* The list of term kind+v[0..len), with its size. */
static int src_range(struct plan *p, char kind, const char *v, size_t len)
{
    uint64_t n;
    int rc = sindex_count(p->txn, kind, v, len, 0, &n);
    if (!rc) src_add_list(src_new(p, STORE_SPOSTINGS), kind, v, len, n);
    return rc;
}

static int id_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

struct gather {
    struct src *s;
    size_t cap, plen;
    uint32_t hi; /* a day range's end */
    int days, exact;
    uint64_t n; /* summing: postings so far */
};

/* 1 if posting list key ends the gathering: past the day range, or (exact) a longer term. */
static int gather_ends(const struct gather *g, struct store_val key)
{
    if (g->exact && key.len != g->plen) return 1;
    return g->days && (key.len != 5 || store_be_get((const char *)key.data + 1, 4) > g->hi);
}

static int gather_one(void *ctx, struct store_val key, struct store_val val)
{
    struct gather *g = ctx;
    if (gather_ends(g, key)) return 1;
    if (val.len > DECL_ID_MAX) return REG_ESTORE;
    if (g->s->n == g->cap) {
        g->cap = g->cap ? 2 * g->cap : 64;
        g->s->ids = xrealloc(g->s->ids, g->cap * sizeof *g->s->ids);
    }
    g->s->ids[g->s->n++] = strndup(val.data, val.len);
    return 0;
}

/* Sort a gathered set and drop repeats. */
static void set_finish(struct src *s)
{
    size_t n = 0;
    if (s->n > 1) qsort(s->ids, s->n, sizeof *s->ids, id_cmp);
    for (size_t i = 0; i < s->n; i++) {
        if (n && !strcmp(s->ids[n - 1], s->ids[i]))
            free(s->ids[i]);
        else
            s->ids[n++] = s->ids[i];
    }
    s->n = n;
    s->size = n;
    s->is_set = 1;
}

static int sum_one(void *ctx, struct store_val key, size_t values)
{
    struct gather *g = ctx;
    if (gather_ends(g, key)) return 1;
    g->n += values;
    return g->n > g->cap;
}

/* A set of the IDs of the posting lists whose keys start with prefix[0..plen) (exact: the one
 * list of that key; from `from` on, to day hi for a day range), if they are at most
 * SEARCH_GATHER_MAX (judged by the lists' sizes first); else nothing (and the criterion is
 * verified instead). */
static int src_gather(struct plan *p, const char *prefix, size_t plen, const char *from,
                      size_t flen, int days, uint32_t hi, int exact)
{
    struct gather g = {
        .cap = SEARCH_GATHER_MAX, .plen = plen, .hi = hi, .days = days, .exact = exact};
    if (!from) from = prefix, flen = plen;
    int rc = store_scan_keys(p->txn, STORE_SPOSTINGS, prefix, plen, from, flen, sum_one, &g);
    if (rc || g.n > SEARCH_GATHER_MAX) return rc;
    struct src *s = src_new(p, STORE_SPOSTINGS);
    g.s = s;
    g.cap = 0;
    rc = store_scan_pairs_from(p->txn, STORE_SPOSTINGS, prefix, plen, from, flen, "", 0, gather_one,
                               &g);
    set_finish(s);
    return rc;
}

/* A set of the IDs given (the holder of a GTIN, the product named by q). */
static void src_ids(struct plan *p, const char *const *ids, size_t n)
{
    struct src *s = src_new(p, STORE_SPOSTINGS);
    s->ids = xcalloc(n ? n : 1, sizeof *s->ids);
    for (size_t i = 0; i < n; i++)
        if (ids[i] && ids[i][0]) s->ids[s->n++] = xstrdup(ids[i]);
    set_finish(s);
}

static void src_free(struct src *s)
{
    for (size_t j = 0; j < s->n; j++)
        free(s->ids[j]);
    free(s->ids);
    for (size_t j = 0; j < s->nw; j++)
        store_cur_close(s->w[j].cur);
    free(s->w);
}

static void srcs_free(struct plan *p)
{
    for (size_t i = 0; i < p->nsrc; i++)
        src_free(&p->srcs[i]);
    p->nsrc = 0;
}

/* Compare IDs (or an ID followed by a NUL: just after it) in LMDB's order. */
static int key_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    return c ? c : (alen > blen) - (alen < blen);
}

/* Walker w's current ID is k; REG_ESTORE if it cannot be one. */
static int walker_at(struct walker *w, struct store_val k)
{
    if (k.len > DECL_ID_MAX) return REG_ESTORE;
    memcpy(w->at, k.data, k.len);
    w->at[k.len] = '\0';
    w->atlen = k.len;
    w->state = W_AT;
    return 0;
}

/* Move w (of table tab) to its first ID >= target[0..tlen): 0, or REG_ENOTFOUND (at its end).
 * Targets only grow during a pass, so a walker never goes back: a target near the current ID
 * is reached by stepping (SEARCH_GALLOP steps at most), a far one by one seek. */
static int walker_seek(struct plan *p, enum store_table tab, struct walker *w, const char *target,
                       size_t tlen)
{
    struct store_val k, v;
    int rc = 0;
    if (w->state == W_END) return REG_ENOTFOUND;
    if (w->state == W_AT) {
        if (key_cmp(w->at, w->atlen, target, tlen) >= 0) return 0;
        for (int i = 0; i < SEARCH_GALLOP; i++) {
            rc = tab == STORE_SPOSTINGS ? store_cur_next_dup(w->cur, &k)
                                        : store_cur_next(w->cur, &k, &v);
            if (!rc) rc = walker_at(w, k);
            if (rc) break;
            if (key_cmp(w->at, w->atlen, target, tlen) >= 0) return 0;
        }
    } else {
        rc = store_cur_open(p->txn, tab, &w->cur);
    }
    if (!rc)
        rc = tab == STORE_SPOSTINGS ? store_cur_seek_dup(w->cur, w->key, w->klen, target, tlen, &k)
                                    : store_cur_seek(w->cur, target, tlen, &k, &v);
    if (!rc) rc = walker_at(w, k);
    if (rc == REG_ENOTFOUND) w->state = W_END;
    return rc;
}

/* The first ID of list s that is >= target[0..tlen), into out: 0, or REG_ENOTFOUND. */
static int seek(struct plan *p, struct src *s, const char *target, size_t tlen,
                char out[DECL_ID_MAX + 2])
{
    if (s->is_set) { /* binary search from the last one found; target may end in a NUL */
        size_t lo = s->pos, hi = s->n;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (key_cmp(s->ids[mid], strlen(s->ids[mid]), target, tlen) < 0)
                lo = mid + 1;
            else
                hi = mid;
        }
        s->pos = lo;
        if (lo == s->n) return REG_ENOTFOUND;
        strcpy(out, s->ids[lo]);
        return 0;
    }
    const struct walker *min = NULL; /* the union's least ID >= target */
    for (size_t i = 0; i < s->nw; i++) {
        int rc = walker_seek(p, s->tab, &s->w[i], target, tlen);
        if (rc == REG_ENOTFOUND) continue;
        if (rc) return rc;
        if (!min || key_cmp(s->w[i].at, s->w[i].atlen, min->at, min->atlen) < 0) min = &s->w[i];
    }
    if (!min) return REG_ENOTFOUND;
    memcpy(out, min->at, min->atlen + 1);
    return 0;
}

/* Walk the IDs every list holds, in ID order, strictly after `after` (NULL: from the first),
 * by leapfrogging: each list seeks to the candidate the others agree on. `each` gets each (1
 * stops). */
static int intersect(struct plan *p, const char *after, int (*each)(struct plan *, const char *))
{
    char target[DECL_ID_MAX + 2], found[DECL_ID_MAX + 2];
    size_t tlen = 0;
    if (after) { /* the ID followed by a NUL: the first key after it */
        tlen = strlen(after) + 1;
        memcpy(target, after, tlen);
    }
    for (;;) {
        size_t agreed = 0, i = 0;
        while (agreed < p->nsrc) {
            int rc = seek(p, &p->srcs[i], target, tlen, found);
            if (rc) return rc == REG_ENOTFOUND ? 0 : rc;
            size_t fl = strlen(found);
            if (fl == tlen && memcmp(found, target, tlen) == 0) {
                agreed++;
            } else {
                memcpy(target, found, fl + 1);
                tlen = fl;
                agreed = 1;
            }
            i = (i + 1) % p->nsrc;
        }
        int rc = each(p, target);
        if (rc) return rc < 0 ? rc : 0;
        target[tlen++] = '\0'; /* strictly after it */
    }
}

/* Order the lists by size, smallest first (it leads the intersection), and leave out those that
 * hold more than 1/SEARCH_DENSE_SHARE of the products (but the smallest): a candidate's facts
 * are read anyway, and check what such a list would, for less than a seek in it costs.
 * *min gets the smallest size (UINT64_MAX without lists). */
static int plan_srcs(struct plan *p, uint64_t *min)
{
    uint64_t a, w;
    int rc = sindex_count(p->txn, 's', "a", 1, 0, &a);
    if (!rc) rc = sindex_count(p->txn, 's', "w", 1, 0, &w);
    if (rc) return rc;
    for (size_t i = 1; i < p->nsrc; i++) /* insertion sort: a few lists */
        for (size_t j = i; j > 0 && p->srcs[j].size < p->srcs[j - 1].size; j--) {
            struct src t = p->srcs[j];
            p->srcs[j] = p->srcs[j - 1];
            p->srcs[j - 1] = t;
        }
    *min = p->nsrc ? p->srcs[0].size : UINT64_MAX;
    size_t n = p->nsrc, kept = n ? 1 : 0;
    for (size_t i = 1; i < n; i++) {
        if (p->srcs[i].size <= (a + w) / SEARCH_DENSE_SHARE) {
            p->srcs[kept++] = p->srcs[i];
            continue;
        }
        src_free(&p->srcs[i]);
    }
    p->nsrc = kept;
    return 0;
}

/* The lists of the filters (plan_srcs leaves the dense ones out). */
static int filter_srcs(struct plan *p)
{
    const struct search_query *sq = p->sq;
    int rc = 0;
    if (sq->status != SEARCH_ANY)
        rc = src_range(p, 's', sq->status == SEARCH_ACTIVE ? "a" : "w", 1);
    if (!rc && p->support) rc = src_range(p, 's', "a", 1);
    if (!rc && sq->manufacturer) rc = src_range(p, 'm', sq->manufacturer, strlen(sq->manufacturer));
    if (!rc && sq->market) rc = src_range(p, 'k', sq->market, strlen(sq->market));
    if (!rc && sq->compliant >= 0) rc = src_range(p, 'c', sq->compliant ? "1" : "0", 1);
    if (rc) return rc;
    if (sq->gtin) {
        char holder[DECL_ID_MAX + 1] = "";
        const char *ids[] = {holder};
        rc = product_by_gtin(p->txn, sq->gtin, holder);
        if (rc && rc != REG_ENOTFOUND) return rc;
        src_ids(p, ids, 1);
        rc = 0;
    }
    if (p->support) {
        char from[6] = "d";
        store_be_put(p->lo, from + 1, 4);
        rc = src_gather(p, "d", 1, from, 5, 1, p->hi, 0);
    }
    return rc;
}

struct prefix_terms {
    struct src *s;
    int over; /* more terms than SEARCH_UNION_MAX */
};

static int prefix_term(void *ctx, struct store_val key, size_t values)
{
    struct prefix_terms *t = ctx;
    if (t->s->nw == SEARCH_UNION_MAX) return t->over = 1;
    src_add_list(t->s, *(const char *)key.data, (const char *)key.data + 1, key.len - 1, values);
    return 0;
}

/* The lists of the terms of kind `kind` that prefix word w starts: their union when they are
 * few (SEARCH_UNION_MAX), else a set of their IDs if small enough (SEARCH_GATHER_MAX), else
 * nothing (w is verified). */
static int src_prefix(struct plan *p, char kind, const struct qword *w)
{
    char pre[1 + SINDEX_WORD_MAX];
    pre[0] = kind;
    memcpy(pre + 1, w->w, w->len);
    struct src *s = src_new(p, STORE_SPOSTINGS);
    struct prefix_terms t = {.s = s};
    int rc = store_scan_keys(p->txn, STORE_SPOSTINGS, pre, 1 + w->len, NULL, 0, prefix_term, &t);
    if (!rc && t.over) {
        free(s->w);
        p->nsrc--;
        return src_gather(p, pre, 1 + w->len, NULL, 0, 0, 0, 0);
    }
    return rc;
}

/* A word that is also a valid GTIN: the products with that word, and the one holding the GTIN
 * (a GTIN-8 or -12 is no word of its product's). */
static int gtin_word_src(struct plan *p, const struct qword *w)
{
    char key[1 + SINDEX_WORD_MAX], holder[DECL_ID_MAX + 1] = "";
    key[0] = 'w';
    memcpy(key + 1, w->w, w->len);
    size_t before = p->nsrc;
    int rc = src_gather(p, key, w->len + 1, NULL, 0, 0, 0, 1);
    if (!rc && (rc = product_by_gtin(p->txn, w->gtin, holder)) == REG_ENOTFOUND) rc = 0;
    if (rc || p->nsrc == before || !holder[0]) return rc; /* too many to gather: verified */
    struct src *s = &p->srcs[p->nsrc - 1];
    s->ids = xrealloc(s->ids, (s->n + 1) * sizeof *s->ids);
    s->ids[s->n++] = xstrdup(holder);
    set_finish(s);
    return 0;
}

/* The lists of the words, of product_name only (kind 'n') or of every field ('w'). */
static int word_srcs(struct plan *p, char kind)
{
    for (size_t i = 0; i < p->nw; i++) {
        const struct qword *w = &p->words[i];
        if (w->gtin[0] && kind == 'w') { /* the word's postings and the GTIN's holder */
            int rc = gtin_word_src(p, w);
            if (rc) return rc;
            continue;
        }
        int rc = w->prefix ? src_prefix(p, kind, w) : src_range(p, kind, w->w, w->len);
        if (rc) return rc;
    }
    if (!p->nsrc) { /* nothing to go by: every product */
        uint64_t a, wd;
        int rc = sindex_count(p->txn, 's', "a", 1, 0, &a);
        if (!rc) rc = sindex_count(p->txn, 's', "w", 1, 0, &wd);
        if (rc) return rc;
        struct src *s = src_new(p, STORE_PRODUCTS);
        s->w = xcalloc(1, sizeof *s->w); /* one walker, over the products' keys */
        s->nw = 1;
        s->size = a + wd;
    }
    return 0;
}

/* One candidate of an ID-ordered pass: emitted if it matches (in the pass's tier). */
static int consider(struct plan *p, const char *id)
{
    struct sdoc d;
    int rc = facts(p, id, &d);
    if (rc) return rc == REG_ENOTFOUND ? 0 : rc;
    int tier = verify(p, id, &d);
    if (tier == NO_TIER || (p->sq->sort == SEARCH_SORT_RELEVANCE && p->nw && tier != p->tier))
        return 0;
    p->day = d.day;
    return emit(p, id);
}

/* One pass in ID order: tier `tier` (relevance) or every match. */
static int id_pass(struct plan *p, int tier, const char *after)
{
    int rc = filter_srcs(p);
    p->tier = tier;
    if (!rc && tier == 0) { /* the product q names, and the one holding q as its GTIN */
        char low[sizeof p->qtrim], holder[DECL_ID_MAX + 1] = "";
        size_t i = 0;
        for (; p->qtrim[i]; i++)
            low[i] = (char)tolower((unsigned char)p->qtrim[i]);
        low[i] = '\0';
        if (p->qgtin[0] && (rc = product_by_gtin(p->txn, p->qgtin, holder)) == REG_ENOTFOUND)
            rc = 0;
        const char *ids[] = {decl_id_valid(low, i) ? low : "", holder};
        src_ids(p, ids, 2);
        if (decl_id_valid(low, i)) { /* and an ID with capitals, by its lower-case form */
            char key[1 + DECL_ID_MAX];
            struct src *s = &p->srcs[p->nsrc - 1];
            struct gather g = {.s = s, .cap = s->n, .plen = 1 + i, .exact = 1};
            key[0] = 'i';
            memcpy(key + 1, low, i);
            rc = store_scan_pairs_from(p->txn, STORE_SPOSTINGS, key, 1 + i, key, 1 + i, "", 0,
                                       gather_one, &g);
            set_finish(s);
        }
    } else if (!rc) {
        rc = word_srcs(p, tier == 1 ? 'n' : 'w');
    }
    uint64_t min;
    if (!rc) rc = plan_srcs(p, &min);
    if (!rc) rc = intersect(p, after, consider);
    srcs_free(p);
    return rc;
}

/* --- Support date order --------------------------------------------------------------------- */

static int dated_cmp(const void *a, const void *b)
{
    const struct dated *x = a, *y = b;
    return x->day != y->day ? (x->day < y->day ? -1 : 1) : strcmp(x->id, y->id);
}

/* Every match, with its day (the lists are small: SEARCH_GATHER_MAX). */
static int collect_one(struct plan *p, const char *id)
{
    struct sdoc d;
    int rc = facts(p, id, &d);
    if (rc) return rc == REG_ENOTFOUND ? 0 : rc;
    if (verify(p, id, &d) == NO_TIER) return 0;
    if (p->ncol == p->capcol) {
        p->capcol = p->capcol ? 2 * p->capcol : 64;
        p->col = xrealloc(p->col, p->capcol * sizeof *p->col);
    }
    p->col[p->ncol++] = (struct dated){d.day, xstrdup(id)};
    return 0;
}

/* A posting of the day index (day -> id): the product, if it matches, in day order. */
static int by_day_one(void *ctx, struct store_val key, struct store_val val)
{
    struct plan *p = ctx;
    char id[DECL_ID_MAX + 1];
    struct sdoc d;
    if (key.len != 5 || val.len > DECL_ID_MAX) return REG_ESTORE;
    p->day = (uint32_t)store_be_get((const char *)key.data + 1, 4);
    if (p->support && p->day > p->hi) return 1;
    memcpy(id, val.data, val.len);
    id[val.len] = '\0';
    int rc = facts(p, id, &d);
    if (rc) return rc == REG_ENOTFOUND ? 0 : rc;
    return verify(p, id, &d) == NO_TIER ? 0 : emit(p, id);
}

/* sort=support_date: over small lists, every match sorted; else the day index walked in order,
 * each product verified. */
static int by_day(struct plan *p)
{
    const struct search_query *sq = p->sq;
    uint64_t min;
    int rc = filter_srcs(p);
    if (!rc) rc = word_srcs(p, 'w');
    if (!rc) rc = plan_srcs(p, &min);
    if (!rc && min <= SEARCH_GATHER_MAX) {
        rc = intersect(p, NULL, collect_one);
        if (p->ncol > 1) qsort(p->col, p->ncol, sizeof *p->col, dated_cmp);
        for (size_t i = 0; i < p->ncol && !rc && !p->done; i++) {
            struct dated *c = &p->col[i];
            if (sq->cursor && (c->day < sq->after_day ||
                               (c->day == sq->after_day && strcmp(c->id, sq->cursor) <= 0)))
                continue;
            p->day = c->day;
            rc = emit(p, c->id);
        }
        for (size_t i = 0; i < p->ncol; i++)
            free(p->col[i].id);
        free(p->col);
    } else if (!rc) {
        char from[5] = "d", after[DECL_ID_MAX + 2] = "";
        size_t al = 0;
        store_be_put(sq->cursor ? sq->after_day : p->support ? p->lo : 0, from + 1, 4);
        if (sq->cursor) { /* the pair just after the cursor's: its ID followed by a NUL */
            al = strlen(sq->cursor) + 1;
            memcpy(after, sq->cursor, al);
        }
        rc = store_scan_pairs_from(p->txn, STORE_SPOSTINGS, "d", 1, from, 5, after, al, by_day_one,
                                   p);
    }
    srcs_free(p);
    return rc < 0 ? rc : 0;
}

int search_run(struct store_txn *txn, const struct search_query *sq, search_fn fn, void *ctx,
               struct search_result *res)
{
    struct plan *p = xcalloc(1, sizeof *p);
    p->txn = txn;
    p->sq = sq;
    p->fn = fn;
    p->ctx = ctx;
    p->res = res;
    memset(res, 0, sizeof *res);
    int rc = plan_query(p);
    if (!rc && p->too_many) rc = REG_EBADREQ;
    if (!rc && sq->sort == SEARCH_SORT_SUPPORT_DATE) {
        rc = by_day(p);
    } else if (!rc && sq->sort == SEARCH_SORT_RELEVANCE && p->nw) {
        int from = sq->cursor ? sq->after_tier : 0;
        for (int t = from; t <= 2 && !rc && !p->done; t++)
            rc = id_pass(p, t, t == from ? sq->cursor : NULL);
    } else if (!rc) {
        rc = id_pass(p, 2, sq->cursor);
    }
    store_cur_close(p->sdocs);
    free(p);
    return rc < 0 ? rc : 0;
}

/* The hash that ties a cursor to its search: every parameter but the limit and the cursor. */
static uint32_t query_hash(const struct search_query *sq)
{
    const char *parts[] = {sq->q ? sq->q : "", sq->manufacturer ? sq->manufacturer : "",
                           sq->gtin ? sq->gtin : "", sq->market ? sq->market : ""};
    uint64_t h = HASH_FNV_OFFSET;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
        h = hash_fnv1a_more(h, parts[i], strlen(parts[i]) + 1);
    int nums[] = {(int)sq->status, (int)sq->sort, sq->support, sq->compliant};
    h = hash_fnv1a_more(h, nums, sizeof nums);
    return (uint32_t)(h ^ (h >> 32));
}

void search_cursor(const struct search_query *sq, int tier, uint32_t day, const char *id,
                   char out[SEARCH_CURSOR_MAX])
{
    /* the sort's letter, the hash, then the tier or day, then the ID: "r1a2b3c4d~1~acme-cam" */
    unsigned long extra = sq->sort == SEARCH_SORT_RELEVANCE      ? (unsigned long)tier
                          : sq->sort == SEARCH_SORT_SUPPORT_DATE ? (unsigned long)day
                                                                 : 0;
    snprintf(out, SEARCH_CURSOR_MAX, "%c%08x~%lx~%s", sort_letters[sq->sort],
             (unsigned)query_hash(sq), extra, id);
}

/* Read cursor text c for sq (whose other parameters are read): 0, or REG_EBADREQ with why. */
static int cursor_read(const char *c, struct search_query *sq, char id[DECL_ID_MAX + 1],
                       struct reg_why *why)
{
    unsigned h;
    unsigned long extra;
    int n = 0;
    char letter;
    if (sscanf(c, "%c%8x~%lx~%n", &letter, &h, &extra, &n) != 3 || n == 0 ||
        !decl_id_valid(c + n, strlen(c + n)) || extra > UINT32_MAX || (letter == 'r' && extra > 2))
        return reg_why_set(why, REG_EBADREQ, "cursor: not one this search gave (next_cursor).");
    if (letter != sort_letters[sq->sort] || h != query_hash(sq))
        return reg_why_set(why, REG_EBADREQ,
                           "cursor: from another search; a cursor continues only the search "
                           "(q, filters and sort) that gave it.");
    strcpy(id, c + n);
    sq->cursor = id;
    sq->after_tier = (int)extra;
    sq->after_day = (uint32_t)extra;
    return 0;
}
static int count_word(void *ctx, const char *w, size_t len, int cjk)
{
    (void)w;
    (void)len;
    (void)cjk;
    ++*(size_t *)ctx;
    return 0;
}

static int enum_value(const char *v, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(v, names[i])) return i;
    return -2;
}

/* The support filter's value: a name assess_support_name gives (not "withdrawn"), or -2. */
static int support_value(const char *v)
{
    for (int s = 0; s <= ASSESS_UNKNOWN; s++)
        if (!strcmp(v, assess_support_name((enum assess_support)s))) return s;
    return -2;
}

/* "support: one of active, ending_soon, ended, unknown.", the names from assess.h, as why; returns
 * REG_EBADREQ. */
static int support_why(struct reg_why *why)
{
    reg_why_set(why, 0, "support: one of ");
    for (int s = 0; s <= ASSESS_UNKNOWN; s++)
        reg_why_add(why, "%s%s", s ? ", " : "", assess_support_name((enum assess_support)s));
    reg_why_add(why, ".");
    return REG_EBADREQ;
}

/* The length of b in characters (UTF-8 code points; a stray continuation byte counts as none),
 * as the schema's maxLength counts. */
static size_t characters(const struct buf *b)
{
    size_t n = 0;
    for (size_t i = 0; i < b->len; i++)
        n += ((unsigned char)b->data[i] & 0xC0) != 0x80;
    return n;
}

int search_params(struct search_params_store *st, enum search_status status, int64_t today,
                  struct search_query *sq, struct reg_why *why)
{
    static const char *const yes_no[] = {"false", "true"};
    int rc = 0; /* the last bad parameter's reason stays in why */
    memset(sq, 0, sizeof *sq);
    sq->status = status;
    sq->support = sq->compliant = -1;
    sq->limit = SEARCH_DEFAULT_LIMIT;
    sq->today = today;
    reg_why_clear(why);
    if (st->q.len) {
        if (characters(&st->q) > SEARCH_MAX_QUERY || memchr(st->q.data, '\0', st->q.len))
            rc = reg_why_set(why, REG_EBADREQ, "q: at most 256 characters, none of them NUL.");
        sq->q = buf_cstr(&st->q);
    }
    if (st->status.len) {
        int s = enum_value(buf_cstr(&st->status), status_names, 3);
        if (s < 0)
            rc = reg_why_set(why, REG_EBADREQ, "status: one of active, withdrawn, any.");
        else
            sq->status = (enum search_status)s;
    }
    if (st->support.len && (sq->support = support_value(buf_cstr(&st->support))) == -2)
        rc = support_why(why);
    if (st->compliant.len &&
        (sq->compliant = enum_value(buf_cstr(&st->compliant), yes_no, 2)) == -2)
        rc = reg_why_set(why, REG_EBADREQ, "compliant: true or false.");
    if (st->limit.len) {
        char *end;
        const char *v = buf_cstr(&st->limit);
        long n = strtol(v, &end, 10);
        if (v[0] < '0' || v[0] > '9' || *end || n < 1 || n > SEARCH_MAX_LIMIT)
            rc = reg_why_set(why, REG_EBADREQ, "limit: a number from 1 to 100.");
        else
            sq->limit = n;
    }
    if (st->gtin.len) {
        if (decl_gtin_normalize(st->gtin.data, st->gtin.len, st->gtin14) != 0)
            rc = reg_why_set(why, REG_EBADREQ, "gtin: " DECL_GTIN_RULE ".");
        else
            sq->gtin = st->gtin14;
    }
    if (st->manufacturer.len) {
        if (!decl_slug_valid(st->manufacturer.data, st->manufacturer.len))
            rc = reg_why_set(why, REG_EBADREQ, "manufacturer: a manufacturer's slug.");
        sq->manufacturer = buf_cstr(&st->manufacturer);
    }
    if (st->market.len) {
        const char *m = buf_cstr(&st->market);
        if (st->market.len != 2 || !isalpha((unsigned char)m[0]) || !isalpha((unsigned char)m[1]))
            rc = reg_why_set(why, REG_EBADREQ, "market: an ISO 3166 alpha-2 code, such as GB.");
        st->market_up[0] = (char)toupper((unsigned char)m[0]);
        st->market_up[1] = (char)toupper((unsigned char)m[1]);
        sq->market = st->market_up;
    }
    sq->sort = sq->q && sq->q[strspn(sq->q, " \t\r\n")] ? SEARCH_SORT_RELEVANCE : SEARCH_SORT_ID;
    if (st->sort.len) {
        int s = enum_value(buf_cstr(&st->sort), sort_names, 3);
        if (s < 0)
            rc = reg_why_set(why, REG_EBADREQ, "sort: one of relevance, id, support_date.");
        else
            sq->sort = (enum search_sort)s;
    }
    if (sq->q && !rc) { /* at most SEARCH_MAX_WORDS words, and UTF-8 */
        size_t n = 0;
        int bad = sindex_words(sq->q, strlen(sq->q), SINDEX_FOR_QUERY, count_word, &n);
        if (bad == REG_EBADREQ) rc = reg_why_set(why, REG_EBADREQ, "q: not UTF-8.");
        if (n > SEARCH_MAX_WORDS)
            rc = reg_why_set(why, REG_EBADREQ,
                             "q: at most 16 words (a run of Chinese, Japanese or Korean "
                             "characters counts one word per pair).");
    }
    if (st->cursor.len && !rc) /* after the others: it must be of this search */
        rc = cursor_read(buf_cstr(&st->cursor), sq, st->cursor_id, why);
    return rc;
}

void search_query_string(const struct search_query *sq, int with_mfr, struct buf *out)
{
    if (sq->q) { /* RFC 3986 unreserved characters as they are, every other byte %XX */
        buf_puts(out, "&q=");
        for (const unsigned char *s = (const unsigned char *)sq->q; *s; s++)
            if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
                strchr("-._~", *s))
                buf_putc(out, (char)*s);
            else
                buf_printf(out, "%%%02X", *s);
    }
    /* Slugs, GTINs and the names are URL-safe as they are. */
    buf_printf(out, "&status=%s", status_names[sq->status]);
    if (sq->gtin) buf_printf(out, "&gtin=%s", sq->gtin);
    if (sq->support >= 0)
        buf_printf(out, "&support=%s", assess_support_name((enum assess_support)sq->support));
    if (sq->compliant >= 0) buf_printf(out, "&compliant=%s", sq->compliant ? "true" : "false");
    if (sq->limit != SEARCH_DEFAULT_LIMIT) buf_printf(out, "&limit=%ld", sq->limit);
    if (with_mfr && sq->manufacturer) buf_printf(out, "&manufacturer=%s", sq->manufacturer);
    if (sq->market) buf_printf(out, "&market=%s", sq->market);
    int by_default =
        sq->q && sq->q[strspn(sq->q, " \t\r\n")] ? SEARCH_SORT_RELEVANCE : SEARCH_SORT_ID;
    if ((int)sq->sort != by_default) buf_printf(out, "&sort=%s", sort_names[sq->sort]);
}

void search_params_free(struct search_params_store *st)
{
#define FREE_TEXT(name) buf_free(&st->name);
    SEARCH_PARAMS(FREE_TEXT)
#undef FREE_TEXT
}

/* --- Facet counts ---------------------------------------------------------------------------- */

struct facet_days {
    struct search_facets *f;
    uint32_t lo[ASSESS_UNKNOWN + 1], hi[ASSESS_UNKNOWN + 1];
};

/* One support day's count, added to the state whose range holds it (search_support_days: the
 * ranges the filter takes, so each facet is its link's count). */
static int facet_day(void *ctx, const void *value, size_t vlen, uint64_t n)
{
    struct facet_days *d = ctx;
    if (vlen != SINDEX_DAY_BYTES) return REG_ESTORE;
    uint32_t day = (uint32_t)store_be_get(value, SINDEX_DAY_BYTES);
    for (int s = 0; s <= ASSESS_UNKNOWN; s++)
        if (day >= d->lo[s] && day <= d->hi[s]) {
            d->f->support[s] += n;
            return 0;
        }
    return REG_ESTORE; /* the ranges cover every day */
}

static int facet_market(void *ctx, const void *value, size_t vlen, uint64_t n)
{
    struct search_facets *f = ctx;
    if (vlen >= sizeof f->markets[0].code) return REG_ESTORE;
    f->markets = xrealloc(f->markets, (f->n_markets + 1) * sizeof *f->markets);
    struct search_market *m = &f->markets[f->n_markets++];
    memcpy(m->code, value, vlen);
    m->code[vlen] = '\0';
    m->n = n;
    return 0;
}

int search_facets(struct store_txn *txn, int64_t today, struct search_facets *f)
{
    struct facet_days d = {.f = f};
    memset(f, 0, sizeof *f);
    for (int s = 0; s <= ASSESS_UNKNOWN; s++)
        search_support_days(s, today, &d.lo[s], &d.hi[s]);
    int rc = sindex_count(txn, 's', "a", 1, 'a', &f->total);
    if (!rc) rc = sindex_count(txn, 's', "w", 1, 'w', &f->withdrawn);
    if (!rc) rc = sindex_count(txn, 'c', "1", 1, 'a', &f->compliant);
    if (!rc) rc = sindex_count(txn, 'c', "0", 1, 'a', &f->not_compliant);
    if (!rc) rc = sindex_count_each(txn, 'd', 'a', facet_day, &d);
    if (!rc) rc = sindex_count_each(txn, 'k', 'a', facet_market, f);
    if (rc) search_facets_free(f);
    return rc;
}

void search_facets_free(struct search_facets *f)
{
    free(f->markets);
    f->markets = NULL;
    f->n_markets = 0;
}
