/* sindex.h: the search index, kept in LMDB beside the records (docs/API.md, "Search", says
 * what a search finds; search.c asks the index). Three tables (store.h):
 *   spostings  kind value -> id, id, ...  posting lists: sorted duplicates (store.h), so a
 *                term's bytes are stored once and a list is walked and sought in ID order:
 *                'w' word (of any searchable field), 'n' word of product_name, 'm' maker slug,
 *                'k' market (upper case), 's' status ('a' active, 'w' withdrawn),
 *                'i' the ID in lower case, for an ID with capitals (IDs compare without case
 *                in a search's tier 0; an all lower-case ID is its own key in products),
 *                'c' compliant ('1', '0'), 'd' support day (SINDEX_DAY_BYTES, big endian,
 *                biased; SINDEX_NO_DAY when the record has none, so those sort last)
 *   sdocs      id -> the product's search facts (one get verifies a candidate):
 *                flags, support day, markets, maker, GTIN, name words, other words
 *   scounts    kind value "\0" status -> u32be: how many postings of that term have that
 *                status ('a' or 'w'), for the kinds in SINDEX_COUNTED only (facets: totals,
 *                support days, compliance, markets); a word's list size is LMDB's own count of
 *                its duplicates, so the many words of one product (IDs, GTINs, models) cost
 *                no count entry
 * Everything is written by sindex_put in the same write transaction as the record.
 *
 * Words (the lead's search_spec, docs/API.md): text is normalised to NFKC_Casefold with
 * ICU (accents kept) and split at every code point that is not a letter or digit
 * (Unicode L* and N*); a run of CJK characters (Han, Hiragana, Katakana, Hangul) gives each
 * character and each overlapping pair; words are cut at SINDEX_WORD_MAX bytes on a UTF-8
 * boundary.
 *
 * Ownership: every pointer is borrowed for the call; sdoc views point into bytes the caller
 * owns (or the transaction's, valid until its next write). */
#ifndef SECLABEL_SINDEX_H
#define SECLABEL_SINDEX_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>
#include <yyjson.h>

struct store;
struct store_txn;

#define SINDEX_WORD_MAX 64
#define SINDEX_DAY_BYTES 4
#define SINDEX_NO_DAY 0xFFFFFFFFu
/* The index's layout version, in meta "sindex": a data directory whose index is absent or of
 * another version is reindexed at start-up. */
#define SINDEX_VERSION "2"
/* The kinds with counts per status in scounts (see above). */
#define SINDEX_COUNTED "sckd"

/* Called for each word, w[0..len) (folded, at most SINDEX_WORD_MAX bytes). `cjk`: the word is
 * a CJK character or pair. Non-zero stops (and is returned). */
typedef int (*sindex_word_fn)(void *ctx, const char *w, size_t len, int cjk);

/* The words of text[0..len). SINDEX_FOR_INDEX: a CJK run gives each character and each pair;
 * SINDEX_FOR_QUERY: a CJK run of one character gives it, a longer run its pairs only (each must
 * match). REG_EBADREQ if text is not UTF-8. */
enum sindex_mode { SINDEX_FOR_INDEX, SINDEX_FOR_QUERY };
int sindex_words(const char *text, size_t len, enum sindex_mode mode, sindex_word_fn fn, void *ctx);

/* text[0..len) folded as words are (NFKC_Casefold), into out; REG_EBADREQ if not UTF-8. */
int sindex_fold(const char *text, size_t len, struct buf *out);

/* A support day as the index keys it: day + 2^31 (so negative days order too), 4 bytes BE. */
uint32_t sindex_day_key(int64_t day);

/* A product's search facts, as read from sdocs (see the file comment). */
struct sdoc {
    int withdrawn, compliant, has_day;
    uint32_t day; /* sindex_day_key, or SINDEX_NO_DAY */
    const char *maker, *gtin;
    size_t maker_len, gtin_len;
    const unsigned char *markets, *names, *others; /* length-prefixed lists (see sindex.c) */
    size_t n_markets, n_names, n_others;
};
/* Parse the stored form; REG_ESTORE if damaged. */
int sdoc_parse(const void *data, size_t len, struct sdoc *d);
/* Walk one of d's lists (markets, names, others): each entry w[0..len); non-zero stops. */
int sdoc_each(const unsigned char *list, size_t n, sindex_word_fn fn, void *ctx);
/* 1 if list holds w exactly (prefix: a word that starts with w). */
int sdoc_has(const unsigned char *list, size_t n, const char *w, size_t len, int prefix);

/* The stored search facts of record rec (a product record), appended to out. */
int sindex_doc(yyjson_val *rec, struct buf *out);

/* Bring the index of product `id` in line with its record json[0..len) (the new current
 * version), in write transaction txn: the postings and counts that the old facts had and the
 * new lack are removed, the new ones added. The one call the write path makes. */
int sindex_put(struct store_txn *txn, const char *id, const char *json, size_t len);

/* Build the index when the data directory lacks it (meta "sindex" absent or of another
 * version): clears the three tables and indexes every product, in transactions of a bounded
 * number of products, then marks it built. `force` rebuilds it anyway. *indexed gets the
 * number of products indexed (0 when nothing was needed). */
int sindex_build(struct store *st, int force, size_t *indexed);

/* Check the index against the records: each product's facts and postings, each posting's
 * product, each count. fn is called with one line per difference (at most `max` of them);
 * *differences gets their number (0: the index agrees). */
typedef void (*sindex_diff_fn)(void *ctx, const char *line);
int sindex_verify(struct store_txn *txn, sindex_diff_fn fn, void *ctx, size_t max,
                  size_t *differences);

/* The number of postings of term kind+value with status 'a', 'w' or 0 (both). A kind in
 * SINDEX_COUNTED, or status 0: one or two lookups; another kind with a status: its list is
 * walked (each posting's facts read), so its cost grows with the list. */
int sindex_count(struct store_txn *txn, char kind, const void *value, size_t vlen, char status,
                 uint64_t *n);

/* Called with each term of a kind that has postings of the status asked for: its value
 * value[0..vlen) and how many. Non-zero stops (and is returned if negative). */
typedef int (*sindex_count_fn)(void *ctx, const void *value, size_t vlen, uint64_t n);
/* Each term of kind `kind` in value order (days: in day order; SINDEX_NO_DAY last), with its
 * number of postings of status 'a', 'w' or 0 (both), as sindex_count gives it. One pass over
 * the kind's counts: its cost grows with the number of distinct values (support days,
 * markets), not with the number of products. */
int sindex_count_each(struct store_txn *txn, char kind, char status, sindex_count_fn fn, void *ctx);

#endif
