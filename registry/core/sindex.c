/* sindex.c: the search index (see sindex.h): words, a product's facts, postings and counts. */
#include "sindex.h"

#include "assess.h"
#include "decl.h"
#include "err.h"
#include "log.h"
#include "product.h"
#include "store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

/* --- Words ---------------------------------------------------------------------------------- */

/* 1 for a CJK character: Han, Hiragana, Katakana, Hangul (by ICU's Script_Extensions, so the
 * marks these scripts share, such as the prolonged sound mark, belong to their runs). */
static int is_cjk(UChar32 c)
{
    return uscript_hasScript(c, USCRIPT_HAN) || uscript_hasScript(c, USCRIPT_HIRAGANA) ||
           uscript_hasScript(c, USCRIPT_KATAKANA) || uscript_hasScript(c, USCRIPT_HANGUL);
}

/* Letters and digits: Unicode general categories L* and N*. */
static int is_word_char(UChar32 c)
{
    return (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_N_MASK)) != 0;
}

/* UTF-16 text of up to `cap` units, on the stack when small (UTF-8 never takes more units than
 * bytes, so len + 1 is enough for the conversion; NFKC_Casefold may grow it, and is asked). */
struct u16 {
    UChar small[256], *p;
    int32_t n, cap;
};

static void u16_init(struct u16 *u, int32_t cap)
{
    u->cap = cap;
    u->n = 0;
    u->p = cap <= (int32_t)(sizeof u->small / sizeof u->small[0])
               ? u->small
               : xmalloc((size_t)cap * sizeof(UChar));
}

static void u16_free(struct u16 *u)
{
    if (u->p != u->small) free(u->p);
}

int sindex_fold(const char *text, size_t len, struct buf *out)
{
    UErrorCode e = U_ZERO_ERROR;
    const UNormalizer2 *nf = unorm2_getNFKCCasefoldInstance(&e);
    if (U_FAILURE(e) || len >= INT32_MAX / 4) return U_FAILURE(e) ? REG_EINTERNAL : REG_EBADREQ;
    struct u16 in, f;
    u16_init(&in, (int32_t)len + 1);
    u_strFromUTF8(in.p, in.cap, &in.n, text, (int32_t)len, &e); /* ill-formed: an error */
    int rc = U_FAILURE(e) ? REG_EBADREQ : 0;
    if (!rc) {
        u16_init(&f, in.n * 2 + 1);
        f.n = unorm2_normalize(nf, in.p, in.n, f.p, f.cap, &e);
        if (e == U_BUFFER_OVERFLOW_ERROR) { /* a rare growth past twice: its exact size */
            u16_free(&f);
            u16_init(&f, f.n + 1);
            e = U_ZERO_ERROR;
            f.n = unorm2_normalize(nf, in.p, in.n, f.p, f.cap, &e);
        }
        int32_t n8 = 0;
        if (U_SUCCESS(e)) {
            /* at most 3 UTF-8 bytes per UTF-16 unit */
            size_t at = out->len;
            buf_reserve(out, (size_t)f.n * 3 + 1);
            u_strToUTF8(out->data + at, f.n * 3 + 1, &n8, f.p, f.n, &e);
            if (U_SUCCESS(e)) out->len = at + (size_t)n8;
        }
        if (U_FAILURE(e)) rc = REG_EINTERNAL;
        u16_free(&f);
    }
    u16_free(&in);
    return rc;
}

/* The length of the longest start of w[0..len) of at most SINDEX_WORD_MAX bytes that ends on a
 * UTF-8 boundary. */
static size_t cut(const char *w, size_t len)
{
    if (len <= SINDEX_WORD_MAX) return len;
    size_t n = SINDEX_WORD_MAX;
    while (n > 0 && ((unsigned char)w[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* A CJK run s[0..len), of `chars` characters starting at the offsets in at[]. */
static int cjk_run(const char *s, const size_t *at, size_t chars, size_t end, enum sindex_mode mode,
                   sindex_word_fn fn, void *ctx)
{
    int rc = 0;
    for (size_t i = 0; i < chars && !rc; i++) {
        size_t e1 = i + 1 < chars ? at[i + 1] : end;
        if (mode == SINDEX_FOR_INDEX || chars == 1) rc = fn(ctx, s + at[i], e1 - at[i], 1);
        if (!rc && i + 1 < chars) {
            size_t e2 = i + 2 < chars ? at[i + 2] : end;
            rc = fn(ctx, s + at[i], e2 - at[i], 1);
        }
    }
    return rc;
}

int sindex_words(const char *text, size_t len, enum sindex_mode mode, sindex_word_fn fn, void *ctx)
{
    struct buf f = BUF_INIT;
    int rc = sindex_fold(text, len, &f);
    if (rc) return rc;
    const char *s = f.data ? f.data : "";
    size_t i = 0, start = 0, *at = NULL, chars = 0, cap = 0;
    int in = 0, in_cjk = 0; /* in a word; that word is a CJK run */
    while (!rc && i <= f.len) {
        UChar32 c = -1;
        size_t n = 1;
        if (i < f.len) { /* f is well-formed: ICU made it */
            int32_t off = 0;
            U8_NEXT((const uint8_t *)s + i, off, (int32_t)(f.len - i), c);
            n = (size_t)off;
        }
        int word = c >= 0 && is_word_char(c), cjk = word && is_cjk(c);
        if (in && (!word || cjk != in_cjk)) { /* the word ends before c */
            if (in_cjk)
                rc = cjk_run(s, at, chars, i, mode, fn, ctx);
            else
                rc = fn(ctx, s + start, cut(s + start, i - start), 0);
            in = 0;
        }
        if (word && !in) {
            in = 1;
            in_cjk = cjk;
            start = i;
            chars = 0;
        }
        if (word && cjk) {
            if (chars == cap) at = xrealloc(at, (cap = cap ? cap * 2 : 16) * sizeof *at);
            at[chars++] = i;
        }
        i += n;
    }
    free(at);
    buf_free(&f);
    return rc;
}

uint32_t sindex_day_key(int64_t day)
{
    return (uint32_t)(day + 0x80000000LL);
}

/* --- A product's facts ---------------------------------------------------------------------- */

/* Stored form: u8 flags (1 withdrawn, 2 compliant, 4 has a day), u32be day, then the lists,
 * each a u8 count of entries, each entry a u8 length and its bytes: markets, maker (one entry),
 * GTIN (none or one), name words, other words. */
enum { F_WITHDRAWN = 1, F_COMPLIANT = 2, F_DAY = 4 };
#define LIST_MAX 255

/* A set of words being gathered: distinct entries of a length-prefixed list. */
struct wset {
    struct buf b;
    size_t n;
    const struct wset *not_in; /* leave out words this one has */
};

static int wset_add(void *ctx, const char *w, size_t len, int cjk)
{
    struct wset *ws = ctx;
    (void)cjk;
    const unsigned char *list = (const unsigned char *)ws->b.data;
    if (len == 0 || ws->n >= LIST_MAX || sdoc_has(list, ws->n, w, len, 0)) return 0;
    if (ws->not_in && sdoc_has((const unsigned char *)ws->not_in->b.data, ws->not_in->n, w, len, 0))
        return 0;
    buf_putc(&ws->b, (char)len);
    buf_append(&ws->b, w, len);
    ws->n++;
    return 0;
}

static int words_of(yyjson_val *rec, const char *field, struct wset *ws)
{
    yyjson_val *v = yyjson_obj_get(rec, field);
    if (!yyjson_is_str(v)) return 0;
    int rc = sindex_words(yyjson_get_str(v), yyjson_get_len(v), SINDEX_FOR_INDEX, wset_add, ws);
    return rc == REG_EBADREQ ? REG_ESTORE : rc;
}

static void put_list(struct buf *out, const struct wset *ws)
{
    buf_putc(out, (char)ws->n);
    buf_append(out, ws->b.data ? ws->b.data : "", ws->b.len);
}

int sindex_doc(yyjson_val *rec, struct buf *out)
{
    struct assess a;
    assess_record(rec, 0, &a);
    struct wset markets = {BUF_INIT, 0, NULL}, maker = {BUF_INIT, 0, NULL},
                gtin = {BUF_INIT, 0, NULL}, names = {BUF_INIT, 0, NULL},
                others = {BUF_INIT, 0, &names};
    yyjson_val *m, *ms = yyjson_obj_get(rec, "markets");
    yyjson_arr_iter it = yyjson_arr_iter_with(ms);
    while ((m = yyjson_arr_iter_next(&it))) {
        char up[8];
        size_t n = yyjson_get_len(m);
        if (!yyjson_is_str(m) || n >= sizeof up) continue;
        for (size_t i = 0; i <= n; i++)
            up[i] = (char)(yyjson_get_str(m)[i] >= 'a' && yyjson_get_str(m)[i] <= 'z'
                               ? yyjson_get_str(m)[i] - 32
                               : yyjson_get_str(m)[i]);
        wset_add(&markets, up, n, 0);
    }
    const char *slug = yyjson_get_str(yyjson_obj_get(rec, "manufacturer"));
    const char *g = yyjson_get_str(yyjson_obj_get(rec, "gtin"));
    if (slug) wset_add(&maker, slug, strlen(slug), 0);
    if (g && strlen(g) == 14) wset_add(&gtin, g, 14, 0);
    int rc = words_of(rec, "product_name", &names);
    static const char *const fields[] = {"id", "product_model", "manufacturer",
                                         "manufacturer_name"};
    for (size_t i = 0; !rc && i < sizeof fields / sizeof fields[0]; i++)
        rc = words_of(rec, fields[i], &others);
    if (g && strlen(g) == 14) { /* the GTIN-14 as stored and, from a 0, as a GTIN-13 prints */
        wset_add(&others, g, 14, 0);
        if (g[0] == '0') wset_add(&others, g + 1, 13, 0);
    }
    if (!rc) {
        unsigned char head[5];
        head[0] = (unsigned char)((a.withdrawn ? F_WITHDRAWN : 0) |
                                  (a.compliant ? F_COMPLIANT : 0) | (a.period_ok ? F_DAY : 0));
        store_be_put(a.period_ok ? sindex_day_key(a.support_day) : SINDEX_NO_DAY, head + 1, 4);
        buf_append(out, head, sizeof head);
        put_list(out, &markets);
        put_list(out, &maker);
        put_list(out, &gtin);
        put_list(out, &names);
        put_list(out, &others);
    }
    buf_free(&markets.b);
    buf_free(&maker.b);
    buf_free(&gtin.b);
    buf_free(&names.b);
    buf_free(&others.b);
    return rc;
}

/* Skip one list at p (within end): its entries and count in *list, *n; NULL if damaged. */
static const unsigned char *take_list(const unsigned char *p, const unsigned char *end,
                                      const unsigned char **list, size_t *n)
{
    if (p >= end) return NULL;
    *n = *p++;
    *list = p;
    for (size_t i = 0; i < *n; i++) {
        if (p >= end || p + 1 + *p > end) return NULL;
        p += 1 + *p;
    }
    return p;
}

int sdoc_parse(const void *data, size_t len, struct sdoc *d)
{
    const unsigned char *p = data, *end = p + len, *l;
    size_t n;
    memset(d, 0, sizeof *d);
    if (len < 5) return REG_ESTORE;
    d->withdrawn = !!(p[0] & F_WITHDRAWN);
    d->compliant = !!(p[0] & F_COMPLIANT);
    d->has_day = !!(p[0] & F_DAY);
    d->day = (uint32_t)store_be_get(p + 1, 4);
    p += 5;
    if (!(p = take_list(p, end, &d->markets, &d->n_markets))) return REG_ESTORE;
    if (!(p = take_list(p, end, &l, &n)) || n != 1) return REG_ESTORE;
    d->maker = (const char *)l + 1;
    d->maker_len = l[0];
    if (!(p = take_list(p, end, &l, &n)) || n > 1) return REG_ESTORE;
    d->gtin = n ? (const char *)l + 1 : "";
    d->gtin_len = n ? l[0] : 0;
    if (!(p = take_list(p, end, &d->names, &d->n_names))) return REG_ESTORE;
    if (!(p = take_list(p, end, &d->others, &d->n_others))) return REG_ESTORE;
    return p == end ? 0 : REG_ESTORE;
}

int sdoc_each(const unsigned char *list, size_t n, sindex_word_fn fn, void *ctx)
{
    for (size_t i = 0; i < n; i++, list += 1 + *list) {
        int rc = fn(ctx, (const char *)list + 1, *list, 0);
        if (rc) return rc;
    }
    return 0;
}

int sdoc_has(const unsigned char *list, size_t n, const char *w, size_t len, int prefix)
{
    for (size_t i = 0; i < n; i++, list += 1 + *list)
        if ((*list == len || (prefix && *list > len)) && memcmp(list + 1, w, len) == 0) return 1;
    return 0;
}

/* --- Postings and counts -------------------------------------------------------------------- */

#define TERM_MAX (1 + SINDEX_WORD_MAX + 1)

/* One term of a product: kind and value; the list of a doc's terms. */
struct term {
    char kind;
    unsigned char len;
    char value[SINDEX_WORD_MAX];
};
struct terms {
    struct term *t;
    size_t n, cap;
    char kind; /* for add_term */
};

static void push_term(struct terms *ts, char kind, const void *v, size_t len)
{
    if (ts->n == ts->cap) {
        ts->cap = ts->cap ? ts->cap * 2 : 32;
        ts->t = xrealloc(ts->t, ts->cap * sizeof *ts->t);
    }
    struct term *t = &ts->t[ts->n++];
    t->kind = kind;
    t->len = (unsigned char)len;
    memcpy(t->value, v, len);
}

static int add_term(void *ctx, const char *w, size_t len, int cjk)
{
    struct terms *ts = ctx;
    (void)cjk;
    push_term(ts, ts->kind, w, len);
    return 0;
}

/* The terms of product id (facts d): every word 'w', name words also 'n', maker, markets,
 * status, compliance, day; and an ID with capitals its lower-case form 'i' (sindex.h). */
static void doc_terms(const struct sdoc *d, const char *id, struct terms *ts)
{
    unsigned char day[4];
    char low[DECL_ID_MAX];
    size_t il = strlen(id), caps = 0;
    for (size_t i = 0; i < il && i < sizeof low; i++) {
        caps += id[i] >= 'A' && id[i] <= 'Z';
        low[i] = (char)(id[i] >= 'A' && id[i] <= 'Z' ? id[i] + 32 : id[i]);
    }
    if (caps && il <= sizeof low) push_term(ts, 'i', low, il);
    ts->kind = 'w';
    sdoc_each(d->names, d->n_names, add_term, ts);
    sdoc_each(d->others, d->n_others, add_term, ts);
    ts->kind = 'n';
    sdoc_each(d->names, d->n_names, add_term, ts);
    ts->kind = 'k';
    sdoc_each(d->markets, d->n_markets, add_term, ts);
    push_term(ts, 'm', d->maker, d->maker_len);
    push_term(ts, 's', d->withdrawn ? "w" : "a", 1);
    push_term(ts, 'c', d->compliant ? "1" : "0", 1);
    store_be_put(d->day, day, 4);
    push_term(ts, 'd', day, 4);
}

static int has_term(const struct terms *ts, const struct term *t)
{
    for (size_t i = 0; i < ts->n; i++)
        if (ts->t[i].kind == t->kind && ts->t[i].len == t->len &&
            memcmp(ts->t[i].value, t->value, t->len) == 0)
            return 1;
    return 0;
}

/* kind value into key (a posting list's key); its length. */
static size_t term_key(char kind, const void *v, size_t len, char *key)
{
    key[0] = kind;
    memcpy(key + 1, v, len);
    return len + 1;
}

/* The kinds that keep counts per status in scounts: those facets and the planner ask of one
 * status (sindex.h). A word's list is counted by LMDB itself (store_count_dups). */
static int counted(char kind)
{
    return kind && strchr(SINDEX_COUNTED, kind) != NULL;
}

/* kind value "\0" status into key (a count's key); its length. */
static size_t count_key(char kind, const void *v, size_t len, char status, char *key)
{
    size_t kl = term_key(kind, v, len, key);
    key[kl++] = '\0';
    key[kl++] = status;
    return kl;
}

static int count_add(struct store_txn *txn, const struct term *t, char status, int delta)
{
    char key[TERM_MAX + 1];
    if (!counted(t->kind)) return 0;
    size_t kl = count_key(t->kind, t->value, t->len, status, key);
    struct store_val v;
    uint64_t n = 0;
    int rc = store_get(txn, STORE_SCOUNTS, key, kl, &v);
    if (rc == 0 && v.len == 4)
        n = store_be_get(v.data, 4);
    else if (rc != REG_ENOTFOUND)
        return rc ? rc : REG_ESTORE;
    if (delta < 0 && n == 0) return REG_ESTORE;
    n = delta < 0 ? n - 1 : n + 1;
    if (n == 0) return store_del(txn, STORE_SCOUNTS, key, kl);
    unsigned char val[4];
    store_be_put(n, val, 4);
    return store_put(txn, STORE_SCOUNTS, key, kl, val, 4, 0);
}

static int posting(struct store_txn *txn, const struct term *t, const char *id, int add)
{
    char key[TERM_MAX];
    size_t kl = term_key(t->kind, t->value, t->len, key), il = strlen(id);
    if (add) return store_put(txn, STORE_SPOSTINGS, key, kl, id, il, 0);
    int rc = store_del_pair(txn, STORE_SPOSTINGS, key, kl, id, il);
    return rc == REG_ENOTFOUND ? REG_ESTORE : rc;
}

int sindex_put(struct store_txn *txn, const char *id, const char *json, size_t len)
{
    struct buf nb = BUF_INIT, ob = BUF_INIT;
    struct terms ot = {0}, nt = {0};
    struct sdoc od = {0}, nd = {0};
    struct store_val v;
    int had = 0;
    yyjson_doc *doc = yyjson_read(json, len, 0);
    int rc = doc ? sindex_doc(yyjson_doc_get_root(doc), &nb) : REG_ESTORE;
    yyjson_doc_free(doc);
    if (!rc) rc = store_get(txn, STORE_SDOCS, id, strlen(id), &v);
    if (rc == 0) { /* copied: the writes below move the database's pages */
        buf_append(&ob, v.data, v.len);
        had = 1;
    } else if (rc == REG_ENOTFOUND) {
        rc = 0;
    }
    if (!rc && had && ob.len == nb.len && memcmp(ob.data, nb.data, nb.len) == 0) goto out;
    if (!rc && had && !(rc = sdoc_parse(ob.data, ob.len, &od))) doc_terms(&od, id, &ot);
    if (!rc && !(rc = sdoc_parse(nb.data, nb.len, &nd))) doc_terms(&nd, id, &nt);
    char os = had && od.withdrawn ? 'w' : 'a', ns = nd.withdrawn ? 'w' : 'a';
    for (size_t i = 0; !rc && i < ot.n; i++) {
        int keep = has_term(&nt, &ot.t[i]);
        if (!keep) rc = posting(txn, &ot.t[i], id, 0);
        if (!rc && (!keep || os != ns)) rc = count_add(txn, &ot.t[i], os, -1);
    }
    for (size_t i = 0; !rc && i < nt.n; i++) {
        int kept = had && has_term(&ot, &nt.t[i]);
        if (!kept) rc = posting(txn, &nt.t[i], id, 1);
        if (!rc && (!kept || os != ns)) rc = count_add(txn, &nt.t[i], ns, 1);
    }
    if (!rc) rc = store_put(txn, STORE_SDOCS, id, strlen(id), nb.data, nb.len, 0);
out:
    free(ot.t);
    free(nt.t);
    buf_free(&nb);
    buf_free(&ob);
    return rc;
}

/* Counting one status of an uncounted term: each posting's facts say its status. */
struct walk_count {
    struct store_txn *txn;
    size_t klen;
    int withdrawn;
    uint64_t n;
};

static int walk_count_one(void *ctx, struct store_val key, struct store_val val)
{
    struct walk_count *w = ctx;
    struct store_val v;
    struct sdoc d;
    if (key.len != w->klen) return 1; /* a longer term: the list has ended */
    int rc = store_get(w->txn, STORE_SDOCS, val.data, val.len, &v);
    if (!rc && !(rc = sdoc_parse(v.data, v.len, &d))) w->n += d.withdrawn == w->withdrawn;
    return rc == REG_ENOTFOUND ? REG_ESTORE : rc;
}

int sindex_count(struct store_txn *txn, char kind, const void *value, size_t vlen, char status,
                 uint64_t *n)
{
    char key[TERM_MAX + 1];
    *n = 0;
    if (vlen > SINDEX_WORD_MAX) return 0;
    if (!counted(kind)) {
        size_t kl = term_key(kind, value, vlen, key), dups;
        if (status) {
            struct walk_count w = {.txn = txn, .klen = kl, .withdrawn = status == 'w'};
            int rc = store_scan(txn, STORE_SPOSTINGS, key, kl, walk_count_one, &w);
            *n = w.n;
            return rc;
        }
        int rc = store_count_dups(txn, STORE_SPOSTINGS, key, kl, &dups);
        *n = dups;
        return rc;
    }
    for (int i = 0; i < 2; i++) {
        char s = i ? 'w' : 'a';
        if (status && status != s) continue;
        size_t kl = count_key(kind, value, vlen, s, key);
        struct store_val v;
        int rc = store_get(txn, STORE_SCOUNTS, key, kl, &v);
        if (rc == REG_ENOTFOUND) continue;
        if (rc) return rc;
        if (v.len != 4) return REG_ESTORE;
        *n += store_be_get(v.data, 4);
    }
    return 0;
}

struct count_each {
    char status;
    sindex_count_fn fn;
    void *ctx;
    char value[SINDEX_WORD_MAX]; /* the term being summed (kind value "\0" status keys) */
    size_t vlen;
    uint64_t n;
    int any;
};

/* Hand the summed term to the caller. */
static int count_flush(struct count_each *c)
{
    int rc = c->any && c->n ? c->fn(c->ctx, c->value, c->vlen, c->n) : 0;
    c->any = 0;
    c->n = 0;
    return rc;
}

static int count_each_one(void *ctx, struct store_val key, struct store_val val)
{
    struct count_each *c = ctx;
    const char *k = key.data;
    /* kind value "\0" status: a value's length is what the three others leave (a day's 4
     * bytes may hold NULs). */
    if (key.len < 3 || key.len - 3 > SINDEX_WORD_MAX || k[key.len - 2] != '\0' || val.len != 4)
        return REG_ESTORE;
    size_t vlen = key.len - 3;
    if (c->any && (vlen != c->vlen || memcmp(c->value, k + 1, vlen) != 0)) {
        int rc = count_flush(c);
        if (rc) return rc;
    }
    if (!c->any) {
        memcpy(c->value, k + 1, vlen);
        c->vlen = vlen;
        c->any = 1;
    }
    if (!c->status || c->status == k[key.len - 1]) c->n += store_be_get(val.data, 4);
    return 0;
}

int sindex_count_each(struct store_txn *txn, char kind, char status, sindex_count_fn fn, void *ctx)
{
    struct count_each c = {.status = status, .fn = fn, .ctx = ctx};
    int rc = store_scan(txn, STORE_SCOUNTS, &kind, 1, count_each_one, &c);
    if (rc == 0) rc = count_flush(&c);
    return rc < 0 ? rc : 0;
}

/* --- Building -------------------------------------------------------------------------------- */

#define META_KEY "sindex"
#define BUILD_SLICE 2000 /* products per transaction */

struct build {
    struct store_txn *txn;
    size_t n;
    char last[DECL_ID_MAX + 1];
};

static int build_one(void *ctx, struct store_val key, struct store_val val)
{
    struct build *b = ctx;
    const char *json;
    size_t len;
    if (b->n == BUILD_SLICE) return 1;
    if (key.len > DECL_ID_MAX) return REG_ESTORE;
    memcpy(b->last, key.data, key.len);
    b->last[key.len] = '\0';
    int rc = product_resolve(b->txn, key.data, key.len, val, &json, &len);
    if (!rc) rc = sindex_put(b->txn, b->last, json, len);
    b->n++;
    return rc;
}

int sindex_build(struct store *st, int force, size_t *indexed)
{
    struct build b = {0};
    struct store_val v;
    size_t total = 0;
    *indexed = 0;
    int rc = store_txn_begin(st, 1, &b.txn);
    if (rc) return rc;
    rc = store_get(b.txn, STORE_META, META_KEY, strlen(META_KEY), &v);
    if (rc == 0 && !force && v.len == strlen(SINDEX_VERSION) &&
        memcmp(v.data, SINDEX_VERSION, v.len) == 0) {
        store_txn_abort(b.txn);
        return 0;
    }
    if (rc == 0 || rc == REG_ENOTFOUND)
        rc = store_del(b.txn, STORE_META, META_KEY, strlen(META_KEY));
    if (rc == REG_ENOTFOUND) rc = 0;
    for (int t = STORE_SPOSTINGS; !rc && t <= STORE_SCOUNTS; t++)
        rc = store_clear(b.txn, (enum store_table)t);
    for (;;) { /* a slice per transaction: the key just after the last one, on */
        size_t ll = strlen(b.last);
        b.n = 0;
        if (!rc)
            rc = store_scan_from(b.txn, STORE_PRODUCTS, NULL, 0, b.last, ll ? ll + 1 : 0, build_one,
                                 &b);
        total += b.n;
        if (rc || b.n < BUILD_SLICE) break;
        if ((rc = store_txn_commit(b.txn)) || (rc = store_txn_begin(st, 1, &b.txn))) return rc;
    }
    if (!rc)
        rc = store_put(b.txn, STORE_META, META_KEY, strlen(META_KEY), SINDEX_VERSION,
                       strlen(SINDEX_VERSION), 0);
    if (rc) {
        store_txn_abort(b.txn);
        return rc;
    }
    if ((rc = store_txn_commit(b.txn))) return rc;
    *indexed = total;
    return 0;
}

/* --- Verifying ------------------------------------------------------------------------------- */

struct verify {
    struct store_txn *txn;
    sindex_diff_fn fn;
    void *ctx;
    size_t max, diffs;
    /* the posting walk: the current term and its postings per status */
    char term[TERM_MAX]; /* kind value, as the posting list's key */
    size_t term_len;
    uint64_t per[2];
    size_t groups;
    struct buf doc; /* scratch */
};

static void differs(struct verify *vf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void differs(struct verify *vf, const char *fmt, ...)
{
    if (vf->diffs++ >= vf->max) return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    vf->fn(vf->ctx, line);
}

/* A term printable: kind, then the value (a day as its number). */
static void term_text(const char *key, size_t len, char *out, size_t n)
{
    if (key[0] == 'd' && len == 5)
        snprintf(out, n, "d:%lu", (unsigned long)store_be_get(key + 1, 4));
    else
        snprintf(out, n, "%c:%.*s", key[0], (int)(len > 1 ? len - 1 : 0), key + 1);
}

/* Each product: its facts as stored, and each of its postings. */
static int verify_product(void *ctx, struct store_val key, struct store_val val)
{
    struct verify *vf = ctx;
    char id[DECL_ID_MAX + 1];
    const char *json;
    size_t len;
    struct store_val v;
    if (key.len > DECL_ID_MAX) return REG_ESTORE;
    memcpy(id, key.data, key.len);
    id[key.len] = '\0';
    void *mark = store_txn_mark(vf->txn); /* the record is needed only here */
    int rc = product_resolve(vf->txn, key.data, key.len, val, &json, &len);
    yyjson_doc *doc = rc ? NULL : yyjson_read(json, len, 0);
    store_txn_release(vf->txn, mark); /* yyjson copied it */
    /* A record that cannot be read is admin_verify's problem to report (it checks every record
     * first); its index is not compared, and the check goes on with the next product. */
    if (rc == REG_ESTORE || (!rc && !doc)) return 0;
    if (rc) return rc;
    buf_reset(&vf->doc);
    rc = sindex_doc(yyjson_doc_get_root(doc), &vf->doc);
    yyjson_doc_free(doc);
    if (rc == REG_ESTORE) return 0;
    if (rc) return rc;
    rc = store_get(vf->txn, STORE_SDOCS, id, strlen(id), &v);
    if (rc == REG_ENOTFOUND) {
        differs(vf, "product %s: not in the search index", id);
        return 0;
    }
    if (rc) return rc;
    if (v.len != vf->doc.len || memcmp(v.data, vf->doc.data, v.len) != 0)
        differs(vf, "product %s: its search facts differ from its record", id);
    struct sdoc d;
    struct terms ts = {0};
    if (sdoc_parse(vf->doc.data, vf->doc.len, &d)) return REG_ESTORE;
    doc_terms(&d, id, &ts);
    for (size_t i = 0; !rc && i < ts.n; i++) {
        char k[TERM_MAX];
        size_t kl = term_key(ts.t[i].kind, ts.t[i].value, ts.t[i].len, k);
        rc = store_seek_dup(vf->txn, STORE_SPOSTINGS, k, kl, id, strlen(id), &v);
        if (rc == REG_ENOTFOUND || (!rc && (v.len != strlen(id) || memcmp(v.data, id, v.len)))) {
            char text[100];
            term_text(k, kl, text, sizeof text);
            differs(vf, "product %s: posting %s missing", id, text);
            rc = 0;
        }
    }
    free(ts.t);
    return rc;
}

/* The count of the term walked last against its postings (counted kinds only). */
static int verify_group(struct verify *vf)
{
    if (!vf->term_len || !counted(vf->term[0])) return 0;
    for (int i = 0; i < 2; i++) {
        uint64_t n;
        int rc =
            sindex_count(vf->txn, vf->term[0], vf->term + 1, vf->term_len - 1, i ? 'w' : 'a', &n);
        if (rc) return rc;
        vf->groups += vf->per[i] > 0;
        if (n != vf->per[i]) {
            char text[100];
            term_text(vf->term, vf->term_len, text, sizeof text);
            differs(vf, "count of %s (%s): %llu, but %llu postings", text,
                    i ? "withdrawn" : "active", (unsigned long long)n,
                    (unsigned long long)vf->per[i]);
        }
    }
    return 0;
}

/* Each posting (term -> id): its product exists and has that term (the product's status counts
 * it). */
static int verify_posting(void *ctx, struct store_val key, struct store_val val)
{
    struct verify *vf = ctx;
    const char *k = key.data;
    if (key.len < 2 || key.len > TERM_MAX || val.len > DECL_ID_MAX) {
        differs(vf, "a damaged posting");
        return 0;
    }
    if (key.len != vf->term_len || memcmp(k, vf->term, key.len) != 0) {
        int rc = verify_group(vf);
        if (rc) return rc;
        memcpy(vf->term, k, key.len);
        vf->term_len = key.len;
        vf->per[0] = vf->per[1] = 0;
    }
    char id[DECL_ID_MAX + 1];
    memcpy(id, val.data, val.len);
    id[val.len] = '\0';
    struct store_val v;
    struct sdoc d;
    int rc = store_get(vf->txn, STORE_SDOCS, id, val.len, &v);
    if (rc == 0 && (rc = sdoc_parse(v.data, v.len, &d)) == 0) {
        struct terms ts = {0};
        doc_terms(&d, id, &ts);
        struct term t = {.kind = k[0], .len = (unsigned char)(key.len - 1)};
        memcpy(t.value, k + 1, key.len - 1);
        if (!has_term(&ts, &t)) {
            char text[100];
            term_text(k, key.len, text, sizeof text);
            differs(vf, "posting %s of %s: the product has no such term", text, id);
        }
        vf->per[d.withdrawn]++;
        free(ts.t);
    } else if (rc == REG_ENOTFOUND) {
        differs(vf, "a posting of %s, which has no search facts", id);
        rc = 0;
    }
    return rc;
}

static int verify_doc(void *ctx, struct store_val key, struct store_val val)
{
    struct verify *vf = ctx;
    struct store_val v;
    (void)val;
    int rc = store_get(vf->txn, STORE_PRODUCTS, key.data, key.len, &v);
    if (rc == REG_ENOTFOUND)
        differs(vf, "search facts of %.*s, which is no product", (int)key.len,
                (const char *)key.data);
    return rc == REG_ENOTFOUND ? 0 : rc;
}

int sindex_verify(struct store_txn *txn, sindex_diff_fn fn, void *ctx, size_t max,
                  size_t *differences)
{
    struct verify vf = {.txn = txn, .fn = fn, .ctx = ctx, .max = max};
    size_t counts = 0;
    struct store_val v;
    /* An index never built (a data directory of an earlier release: no mark, no facts, but
     * products) or of an older layout is one difference, not one per product. (A store written
     * only through sindex_put, never built, has facts: it is checked.) */
    size_t docs = 0, products = 0;
    int built, older = 0, rc = store_get(txn, STORE_META, META_KEY, strlen(META_KEY), &v);
    if (rc == 0) {
        older = v.len != strlen(SINDEX_VERSION) || memcmp(v.data, SINDEX_VERSION, v.len) != 0;
        built = !older;
    } else if (rc == REG_ENOTFOUND) {
        if ((rc = store_count(txn, STORE_SDOCS, &docs)) ||
            (rc = store_count(txn, STORE_PRODUCTS, &products)))
            return rc;
        built = docs || !products;
    } else {
        return rc;
    }
    if (!built) {
        differs(&vf,
                "not built%s: seclabeld builds it when it starts, or `seclabel admin reindex "
                "--data DIR` does",
                older ? " for this release (an older layout)" : "");
        *differences = vf.diffs;
        return 0;
    }
    rc = store_scan(txn, STORE_PRODUCTS, NULL, 0, verify_product, &vf);
    if (!rc) rc = store_scan(txn, STORE_SDOCS, NULL, 0, verify_doc, &vf);
    if (!rc) rc = store_scan(txn, STORE_SPOSTINGS, NULL, 0, verify_posting, &vf);
    if (!rc) rc = verify_group(&vf);
    if (!rc) rc = store_count(txn, STORE_SCOUNTS, &counts);
    if (!rc && counts != vf.groups)
        differs(&vf, "%zu counts, but %zu terms with postings", counts, vf.groups);
    buf_free(&vf.doc);
    *differences = vf.diffs;
    return rc;
}
