/* mfr.c: manufacturer accounts: reading them, the identity rules (namespaces, GS1 Company
 * Prefixes), creating them and the operator's dated changes (see mfr.h). */
#include "mfr.h"

#include "changes.h"
#include "date.h"
#include "decl.h"
#include "err.h"
#include "store.h"
#include "tlog.h"
#include "why.h"
#include "log.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define GEN_KEY "manufacturers"

static const char *str(yyjson_val *o, const char *name)
{
    return yyjson_get_str(yyjson_obj_get(o, name));
}

static yyjson_val *arr(yyjson_val *o, const char *name)
{
    yyjson_val *v = yyjson_obj_get(o, name);
    return yyjson_is_arr(v) ? v : NULL;
}

/* The strings of array member `name` of o into l (non-strings are skipped). */
static int read_list(yyjson_val *o, const char *name, struct mfr_list *l)
{
    yyjson_val *a = arr(o, name), *v;
    size_t i, max;
    l->n = 0;
    l->v = yyjson_arr_size(a) ? calloc(yyjson_arr_size(a), sizeof *l->v) : NULL;
    if (yyjson_arr_size(a) && !l->v) return REG_EINTERNAL;
    yyjson_arr_foreach(a, i, max, v)
    {
        if (yyjson_is_str(v)) l->v[l->n++] = yyjson_get_str(v);
    }
    return 0;
}

static int history(yyjson_val *r, struct mfr *m)
{
    yyjson_val *a = arr(r, "history"), *e;
    size_t i, max;
    m->history = yyjson_arr_size(a) ? calloc(yyjson_arr_size(a), sizeof *m->history) : NULL;
    if (yyjson_arr_size(a) && !m->history) return REG_EINTERNAL;
    yyjson_arr_foreach(a, i, max, e)
    {
        struct mfr_event ev = {str(e, "time"), str(e, "event"), str(e, "detail")};
        if (ev.time && ev.event) m->history[m->history_len++] = ev;
    }
    return 0;
}

static int verification(yyjson_val *r, struct mfr *m)
{
    yyjson_val *v = yyjson_obj_get(r, "verification");
    struct mfr_verification *ver = &m->verification;
    int64_t day;
    ver->day = -1;
    if (!yyjson_is_obj(v)) return 0;
    m->verified = 1;
    ver->time = str(v, "time");
    ver->evidence = str(v, "evidence");
    ver->contact = str(v, "contact");
    if (ver->time && strlen(ver->time) >= 10 && date_parse(ver->time, 10, &day) == 0)
        ver->day = day;
    return read_list(v, "gs1_prefixes", &ver->gs1_prefixes);
}

/* Parse stored record data[0..len) into out: 0, REG_ESTORE if damaged, REG_EINTERNAL. */
static int parse(const void *data, size_t len, struct mfr *out)
{
    memset(out, 0, sizeof *out);
    yyjson_doc *doc = yyjson_read(data, len, 0); /* a copy: valid after the transaction */
    yyjson_val *r = yyjson_doc_get_root(doc);
    out->priv = doc;
    out->slug = str(r, "slug");
    out->name = str(r, "name");
    out->status = str(r, "status");
    if (!out->slug || !out->name || !out->status) {
        mfr_free(out);
        return REG_ESTORE;
    }
    out->contact = str(r, "contact");
    out->website = str(r, "website");
    out->created = str(r, "created");
    out->disabled = strcmp(out->status, "disabled") == 0;
    int rc = read_list(r, "gs1_prefixes", &out->gs1_prefixes);
    if (!rc) rc = read_list(r, "id_prefixes", &out->id_prefixes);
    if (!rc) rc = verification(r, out);
    if (!rc) rc = history(r, out);
    if (rc) mfr_free(out);
    return rc;
}

int mfr_get(struct store_txn *txn, const char *slug, struct mfr *out)
{
    struct store_val v;
    memset(out, 0, sizeof *out);
    int rc = store_get(txn, STORE_MANUFACTURERS, slug, strlen(slug), &v);
    if (rc) return rc;
    if ((rc = parse(v.data, v.len, out)) == REG_ESTORE)
        reg_logf("manufacturer %s: stored record is damaged", slug);
    return rc;
}

void mfr_free(struct mfr *m)
{
    yyjson_doc_free(m->priv);
    free(m->gs1_prefixes.v);
    free(m->id_prefixes.v);
    free(m->verification.gs1_prefixes.v);
    free(m->history);
    memset(m, 0, sizeof *m);
}

struct each {
    mfr_each_fn fn;
    void *ctx;
};

static int each_one(void *ctx, struct store_val key, struct store_val val)
{
    struct each *e = ctx;
    char slug[AUTH_SLUG_MAX];
    struct mfr m;
    if (key.len >= sizeof slug) return 0; /* no slug is that long */
    memcpy(slug, key.data, key.len);
    slug[key.len] = '\0';
    int rc = parse(val.data, val.len, &m);
    if (rc == REG_EINTERNAL) return rc;
    rc = e->fn(e->ctx, slug, rc ? NULL : &m);
    mfr_free(&m);
    return rc;
}

int mfr_each(struct store_txn *txn, mfr_each_fn fn, void *ctx)
{
    struct each e = {fn, ctx};
    return store_scan(txn, STORE_MANUFACTURERS, NULL, 0, each_one, &e);
}

int mfr_token_issue(struct store_txn *txn, const char *slug, char out[AUTH_TOKEN_LEN + 1])
{
    struct store_val v;
    int rc = store_get(txn, STORE_MANUFACTURERS, slug, strlen(slug), &v);
    return rc ? rc : auth_token_issue(txn, slug, out);
}

int mfr_find_by_token(struct store_txn *txn, const char *token, size_t len,
                      char slug_out[AUTH_SLUG_MAX])
{
    struct mfr m = {0};
    int rc = auth_token_check(txn, token, len, slug_out);
    if (!rc) rc = mfr_get(txn, slug_out, &m);
    if (!rc && m.disabled) rc = REG_EAUTH; /* a disabled manufacturer's tokens no longer work */
    mfr_free(&m);
    return rc == REG_ENOTFOUND ? REG_EAUTH : rc;
}

/* 1 if s starts with the n-byte prefix p. */
static int starts(const char *s, const char *p, size_t n)
{
    return strncmp(s, p, n) == 0;
}

int mfr_owns_id(const struct mfr *m, const char *id)
{
    size_t sl = strlen(m->slug);
    if (starts(id, m->slug, sl) && id[sl] == '-' && id[sl + 1]) return 1;
    for (size_t i = 0; i < m->id_prefixes.n; i++) {
        const char *p = m->id_prefixes.v[i];
        if (strlen(id) > strlen(p) && starts(id, p, strlen(p))) return 1;
    }
    return 0;
}

int mfr_owns_gtin(const struct mfr *m, const char *gtin14)
{
    /* The company prefix starts after the GTIN-14's indicator digit (GS1 General Specs 3.3.2). */
    for (size_t i = 0; i < m->gs1_prefixes.n; i++)
        if (starts(gtin14 + 1, m->gs1_prefixes.v[i], strlen(m->gs1_prefixes.v[i]))) return 1;
    return 0;
}

static void join(const struct mfr_list *l, const char *quote, struct buf *out)
{
    for (size_t i = 0; i < l->n; i++)
        buf_printf(out, "%s%s%s%s", out->len ? ", " : "", quote, l->v[i], quote);
}

void mfr_namespaces_text(const struct mfr *m, struct buf *out)
{
    struct buf rest = BUF_INIT;
    join(&m->id_prefixes, "'", &rest);
    buf_printf(out, "'%s-'%s%s", m->slug, rest.len ? ", " : "", rest.len ? buf_cstr(&rest) : "");
    buf_free(&rest);
}

void mfr_prefixes_text(const struct mfr *m, struct buf *out)
{
    struct buf list = BUF_INIT;
    join(&m->gs1_prefixes, "", &list);
    buf_puts(out, list.len ? buf_cstr(&list) : "none recorded");
    buf_free(&list);
}

/* ---- overlaps with other makers ---- */

/* 1 if a and b overlap as prefixes: one starts with the other (case-insensitive). */
static int overlaps(const char *a, size_t al, const char *b, size_t bl)
{
    return strncasecmp(a, b, al < bl ? al : bl) == 0;
}

struct overlap {
    int hit;
    const char *self;  /* the maker being changed (its own entries never clash) */
    const char *value; /* the namespace or prefix asked for */
    int gs1;           /* 1: GS1 prefixes, 0: ID namespaces */
    struct reg_why *why;
};

static int clash(struct overlap *o, const char *slug, const char *theirs, size_t len)
{
    if (!overlaps(o->value, strlen(o->value), theirs, len)) return 0;
    reg_why_set(o->why, 0,
                o->gs1 ? "GS1 Company Prefix %s overlaps prefix %.*s of manufacturer '%s'."
                       : "the product-ID namespace '%s' overlaps '%.*s' of manufacturer '%s'.",
                o->value, (int)len, theirs, slug);
    return 1;
}

static int check_overlap(void *ctx, const char *slug, const struct mfr *m)
{
    struct overlap *o = ctx;
    static const struct mfr_list none = {NULL, 0};
    if (o->self && strcmp(slug, o->self) == 0) return 0;
    const struct mfr_list *l = !m ? &none : o->gs1 ? &m->gs1_prefixes : &m->id_prefixes;
    int hit = 0;
    if (!o->gs1) {
        char ns[AUTH_SLUG_MAX + 2];
        int n = snprintf(ns, sizeof ns, "%s-", slug);
        hit = clash(o, slug, ns, (size_t)n);
    }
    for (size_t i = 0; !hit && i < l->n; i++)
        hit = clash(o, slug, l->v[i], strlen(l->v[i]));
    o->hit = hit;
    return hit; /* 1 stops the scan */
}

/* REG_EOVERLAP (why says with whom) if value overlaps another maker's namespaces (gs1 = 0) or
 * GS1 prefixes (gs1 = 1). */
static int no_overlap(struct store_txn *txn, const char *self, const char *value, int gs1,
                      struct reg_why *why)
{
    struct overlap o = {0, self, value, gs1, why};
    int rc = mfr_each(txn, check_overlap, &o);
    return rc ? rc : o.hit ? REG_EOVERLAP : 0;
}

/* ---- creating and changing ---- */

/* 1..max characters of one-line text under the declarations' text rule (decl.h). */
static int text_ok(const char *s, size_t max)
{
    size_t chars = 0;
    if (!s || !*s || decl_text_check(s, strlen(s), NULL) != 0) return 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        chars += (*p & 0xc0) != 0x80;
    return chars <= max;
}

/* A maker's contact and website (each may be NULL: none): the one check of both, for mfr_add
 * and a mirror's copy (mfr_set_unlogged). */
static int check_reach(const char *contact, const char *website, struct reg_why *why)
{
    if (contact && !decl_contact_valid(contact, strlen(contact)))
        return reg_why_set(why, REG_EINVALID,
                           "the contact must be an e-mail address or an https:// URL, as a "
                           "declaration's security_contact");
    if (website && !decl_https_url_valid(website, strlen(website)))
        return reg_why_set(why, REG_EINVALID,
                           "the website must be an https:// URL of at least 15 characters");
    return 0;
}

static int check_info(const struct mfr_info *m, struct reg_why *why)
{
    if (!text_ok(m->name, MFR_NAME_MAX))
        return reg_why_set(
            why, REG_EINVALID,
            "the name must be 1-%d characters of one-line text (no control, invisible "
            "or bidirectional-control characters)",
            MFR_NAME_MAX);
    return check_reach(m->contact, m->website, why);
}

static void add_event(yyjson_mut_doc *doc, yyjson_mut_val *root, const char *event,
                      const char *detail, const char *now)
{
    yyjson_mut_val *h = yyjson_mut_obj_get(root, "history");
    if (!yyjson_mut_is_arr(h)) {
        yyjson_mut_obj_remove_key(root, "history");
        h = yyjson_mut_obj_add_arr(doc, root, "history");
    }
    yyjson_mut_val *e = yyjson_mut_arr_add_obj(doc, h);
    yyjson_mut_obj_add_strcpy(doc, e, "time", now);
    yyjson_mut_obj_add_strcpy(doc, e, "event", event);
    if (detail) yyjson_mut_obj_add_strcpy(doc, e, "detail", detail);
}

static int bump_generation(struct store_txn *txn)
{
    uint64_t gen = 0;
    int rc = mfr_generation(txn, &gen);
    if (rc) return rc;
    gen++;
    unsigned char b[8];
    store_be_put(gen, b, 8);
    return store_put(txn, STORE_META, GEN_KEY, strlen(GEN_KEY), b, sizeof b, 0);
}

int mfr_generation(struct store_txn *txn, uint64_t *gen)
{
    struct store_val v;
    *gen = 0;
    int rc = store_get(txn, STORE_META, GEN_KEY, strlen(GEN_KEY), &v);
    if (rc == REG_ENOTFOUND) return 0;
    if (rc) return rc;
    if (v.len != 8) return REG_ESTORE;
    *gen = store_be_get(v.data, 8);
    return 0;
}

/* What a write of a maker's record replays (mfr_apply_logged): the primary's log entry, which
 * the entry made from the record written must equal byte for byte. */
struct logged {
    const char *entry; /* NULL: no replay, the log gets the entry made here */
    size_t len;
    struct reg_why *why;
};

/* Append event (detail may be NULL) at time now to the transparency log, with the maker's state
 * after it: stored record json[0..len). A replay appends the logged entry, if it is that one. */
static int log_event(struct store_txn *txn, const char *json, size_t len, const char *event,
                     const char *detail, const char *now, const struct logged *lg)
{
    struct mfr m;
    struct buf e = BUF_INIT;
    int rc = parse(json, len, &m);
    if (!rc) rc = tlog_maker_entry(&m, event, detail, now, &e);
    mfr_free(&m);
    if (!rc && lg && lg->entry && (e.len != lg->len || memcmp(e.data, lg->entry, e.len) != 0))
        rc = reg_why_set(lg->why, REG_EINVALID,
                         "replaying the logged event '%s' gives another state than the log's "
                         "entry: %.300s",
                         event, buf_cstr(&e));
    if (!rc) rc = tlog_append_stored(txn, e.data, e.len, NULL);
    buf_free(&e);
    return rc;
}

/* Write document doc as manufacturer slug's record after event `event` (its detail may be NULL)
 * at time now: logged first (an empty log is backfilled from what is stored before it), then
 * stored, the generation bumped and the event put in the changes feed (not a "snapshot": the
 * log's backfill of what was stored already, no change of the account). The one path every
 * change of a maker takes (lg: a mirror's replay, or NULL), so a mirror's feed is the
 * primary's. */
static int put_doc(struct store_txn *txn, const char *slug, yyjson_mut_doc *doc, unsigned flags,
                   const char *event, const char *detail, const char *now, const struct logged *lg)
{
    size_t len;
    char *json = yyjson_mut_write(doc, 0, &len);
    int rc = json ? log_event(txn, json, len, event, detail, now, lg) : REG_EINTERNAL;
    if (!rc) rc = store_put(txn, STORE_MANUFACTURERS, slug, strlen(slug), json, len, flags);
    free(json);
    if (!rc) rc = bump_generation(txn);
    if (!rc && strcmp(event, "snapshot") != 0) rc = changes_append_maker(txn, slug, event, now);
    return rc;
}

static yyjson_mut_doc *new_record(const struct mfr_info *m, const char *now)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, o);
    yyjson_mut_obj_add_str(doc, o, "slug", m->slug);
    yyjson_mut_obj_add_str(doc, o, "name", m->name);
    if (m->contact) yyjson_mut_obj_add_str(doc, o, "contact", m->contact);
    if (m->website) yyjson_mut_obj_add_str(doc, o, "website", m->website);
    yyjson_mut_obj_add_str(doc, o, "status", "active");
    yyjson_mut_obj_add_strcpy(doc, o, "created", now);
    yyjson_mut_obj_add_arr(doc, o, "gs1_prefixes");
    yyjson_mut_obj_add_arr(doc, o, "id_prefixes");
    add_event(doc, o, "added", NULL, now);
    return doc;
}

static int commit_or_abort(struct store_txn *txn, int rc)
{
    if (rc) {
        store_txn_abort(txn);
        return rc;
    }
    return store_txn_commit(txn);
}

/* mfr_add's write inside txn, at time now (lg: a mirror's replay, or NULL); no token. */
static int add_in(struct store_txn *txn, const struct mfr_info *m, const char *now,
                  struct reg_why *why, const struct logged *lg)
{
    char ns[AUTH_SLUG_MAX + 2];
    if (!m->slug || !decl_slug_valid(m->slug, strlen(m->slug))) return REG_EBADSLUG;
    int rc = check_info(m, why);
    if (rc) return rc;
    snprintf(ns, sizeof ns, "%s-", m->slug);
    struct store_val v;
    rc = store_get(txn, STORE_MANUFACTURERS, m->slug, strlen(m->slug), &v);
    if (rc == 0) rc = REG_EEXIST;
    if (rc == REG_ENOTFOUND) rc = no_overlap(txn, NULL, ns, 0, why);
    yyjson_mut_doc *doc = rc ? NULL : new_record(m, now);
    if (!rc) rc = put_doc(txn, m->slug, doc, STORE_NOOVERWRITE, "added", NULL, now, lg);
    yyjson_mut_doc_free(doc);
    return rc;
}

int mfr_add(struct store *st, const struct mfr_info *m, char token_out[AUTH_TOKEN_LEN + 1],
            struct reg_why *why)
{
    char now[21];
    struct store_txn *txn;
    int rc = store_txn_begin(st, 1, &txn);
    if (rc) return rc;
    date_rfc3339(time(NULL), now);
    rc = add_in(txn, m, now, why, NULL);
    if (!rc) rc = auth_token_issue(txn, m->slug, token_out);
    return commit_or_abort(txn, rc);
}

/* ---- the changes ---- */

const char *mfr_change_event(enum mfr_change what)
{
    switch (what) {
#define XX(sym, event, arg)                                                                        \
    case MFR_##sym:                                                                                \
        return event;
        MFR_CHANGE_MAP(XX)
#undef XX
    }
    return "?";
}

static int digits_only(const char *s)
{
    for (; *s; s++)
        if (!isdigit((unsigned char)*s)) return 0;
    return 1;
}

/* The array `name` of root (created if missing) and the index of value in it, or -1. */
static yyjson_mut_val *list_of(yyjson_mut_doc *doc, yyjson_mut_val *root, const char *name,
                               const char *value, long *at)
{
    yyjson_mut_val *a = yyjson_mut_obj_get(root, name);
    if (!yyjson_mut_is_arr(a)) {
        yyjson_mut_obj_remove_key(root, name);
        a = yyjson_mut_obj_add_arr(doc, root, name);
    }
    *at = -1;
    size_t i, max;
    yyjson_mut_val *v;
    yyjson_mut_arr_foreach(a, i, max, v)
    {
        if (yyjson_mut_equals_str(v, value)) *at = (long)i;
    }
    return a;
}

struct change {
    struct store_txn *txn;
    const char *slug;
    yyjson_mut_doc *doc;
    yyjson_mut_val *root;
    const char *arg, *now;
    int changed;
    struct reg_why *why;
};

static int check_gs1_prefix(struct change *c)
{
    size_t n = strlen(c->arg);
    if (n < MFR_PREFIX_MIN || n > MFR_PREFIX_MAX || !digits_only(c->arg))
        return reg_why_set(c->why, REG_EINVALID,
                           "a GS1 Company Prefix is %d-%d digits, as in the GTIN-13 (for a UPC "
                           "company prefix, put a 0 before it)",
                           MFR_PREFIX_MIN, MFR_PREFIX_MAX);
    /* GS1 General Specifications 1.4.2: these ranges are never allocated to companies. */
    if (c->arg[0] == '2' || !strncmp(c->arg, "02", 2) || !strncmp(c->arg, "04", 2))
        return reg_why_set(c->why, REG_EINVALID,
                           "GS1 prefixes 02, 04 and 20-29 are for restricted circulation (in-store "
                           "and internal numbers), never a company's");
    if (!strncmp(c->arg, "00000", 5) && n != MFR_PREFIX_MAX)
        return reg_why_set(c->why, REG_EINVALID,
                           "GTIN-8s are allocated one by one: record one as 00000 and its first "
                           "seven digits (12 digits)");
    return 0;
}

static int check_id_prefix(struct change *c)
{
    size_t n = strlen(c->arg);
    if (n < 2 || n >= DECL_ID_MAX || !decl_id_valid(c->arg, n))
        return reg_why_set(c->why, REG_EINVALID,
                           "an ID prefix is 2-63 characters that may begin a product ID (letters, "
                           "digits, '.', '_', '-'; starting with a letter or digit)");
    return 0;
}

/* Add (add = 1) or remove c->arg in the list `name`, checked by `check` and for overlaps. */
static int change_list(struct change *c, const char *name, int gs1, int add)
{
    int rc = gs1 ? check_gs1_prefix(c) : check_id_prefix(c);
    if (rc) return rc;
    long at;
    yyjson_mut_val *a = list_of(c->doc, c->root, name, c->arg, &at);
    if (add == (at >= 0)) return 0; /* already so */
    if (!add) {
        yyjson_mut_arr_remove(a, (size_t)at);
    } else {
        if ((rc = no_overlap(c->txn, c->slug, c->arg, gs1, c->why))) return rc;
        yyjson_mut_arr_add_strcpy(c->doc, a, c->arg);
    }
    c->changed = 1;
    return 0;
}

/* The verification: what was checked (the prefixes and contact held now), when, on what. */
static int verify(struct change *c)
{
    if (!c->arg || !text_ok(c->arg, MFR_TEXT_MAX))
        return reg_why_set(c->why, REG_EINVALID,
                           "--evidence must say what was checked: 1-%d characters of plain text",
                           MFR_TEXT_MAX);
    yyjson_mut_obj_remove_key(c->root, "verification");
    yyjson_mut_val *v = yyjson_mut_obj_add_obj(c->doc, c->root, "verification");
    yyjson_mut_obj_add_strcpy(c->doc, v, "time", c->now);
    yyjson_mut_obj_add_strcpy(c->doc, v, "evidence", c->arg);
    yyjson_mut_val *p = yyjson_mut_obj_get(c->root, "gs1_prefixes");
    yyjson_mut_obj_add_val(c->doc, v, "gs1_prefixes",
                           yyjson_mut_is_arr(p) ? yyjson_mut_val_mut_copy(c->doc, p)
                                                : yyjson_mut_arr(c->doc));
    yyjson_mut_val *contact = yyjson_mut_obj_get(c->root, "contact");
    if (yyjson_mut_is_str(contact))
        yyjson_mut_obj_add_val(c->doc, v, "contact", yyjson_mut_val_mut_copy(c->doc, contact));
    c->changed = 1;
    return 0;
}

static int unverify(struct change *c)
{
    if (!c->arg || !text_ok(c->arg, MFR_TEXT_MAX))
        return reg_why_set(c->why, REG_EINVALID,
                           "--reason must say why: 1-%d characters of plain text", MFR_TEXT_MAX);
    c->changed = yyjson_mut_obj_remove_key(c->root, "verification") != NULL;
    return 0;
}

static int disable(struct change *c)
{
    c->changed = !yyjson_mut_equals_str(yyjson_mut_obj_get(c->root, "status"), "disabled");
    yyjson_mut_obj_remove_key(c->root, "status");
    yyjson_mut_obj_add_str(c->doc, c->root, "status", "disabled");
    return 0;
}

static int apply(struct change *c, enum mfr_change what)
{
    switch (what) {
    case MFR_PREFIX_ADD:
        return change_list(c, "gs1_prefixes", 1, 1);
    case MFR_PREFIX_REMOVE:
        return change_list(c, "gs1_prefixes", 1, 0);
    case MFR_ID_PREFIX_ADD:
        return change_list(c, "id_prefixes", 0, 1);
    case MFR_ID_PREFIX_REMOVE:
        return change_list(c, "id_prefixes", 0, 0);
    case MFR_VERIFY:
        return verify(c);
    case MFR_UNVERIFY:
        return unverify(c);
    case MFR_DISABLE:
        return disable(c);
    }
    return REG_EINTERNAL;
}

/* mfr_change's work inside c->txn (c->now its time; lg: a mirror's replay, or NULL). */
static int change_in(struct change *c, enum mfr_change what, const struct logged *lg)
{
    struct store_val v;
    if (!c->arg && what != MFR_DISABLE)
        return reg_why_set(c->why, REG_EINVALID, "a value is needed");
    int rc = store_get(c->txn, STORE_MANUFACTURERS, c->slug, strlen(c->slug), &v);
    yyjson_doc *doc = rc ? NULL : yyjson_read(v.data, v.len, 0);
    c->doc = doc ? yyjson_doc_mut_copy(doc, NULL) : NULL;
    yyjson_doc_free(doc);
    c->root = yyjson_mut_doc_get_root(c->doc);
    if (!rc && !yyjson_mut_is_obj(c->root)) rc = REG_ESTORE;
    if (!rc) rc = apply(c, what);
    if (!rc && c->changed) {
        add_event(c->doc, c->root, mfr_change_event(what), c->arg, c->now);
        rc = put_doc(c->txn, c->slug, c->doc, 0, mfr_change_event(what), c->arg, c->now, lg);
    }
    yyjson_mut_doc_free(c->doc);
    c->doc = NULL;
    return rc;
}

int mfr_change(struct store *st, const char *slug, enum mfr_change what, const char *arg,
               int *changed, struct reg_why *why)
{
    char now[21];
    struct change c = {.slug = slug, .arg = arg, .now = now, .why = why};
    *changed = 0;
    if (!arg && what != MFR_DISABLE) return reg_why_set(why, REG_EINVALID, "a value is needed");
    date_rfc3339(time(NULL), now);
    int rc = store_txn_begin(st, 1, &c.txn);
    if (rc) return rc;
    rc = change_in(&c, what, NULL);
    if (!rc && !c.changed) {
        store_txn_abort(c.txn);
        return 0;
    }
    *changed = !rc;
    return commit_or_abort(c.txn, rc);
}

/* A "snapshot" entry (a log begun after its makers: tlog_backfill_in) as a record: the public
 * state it shows, no history (the log has none of it to give). */
static int snapshot_in(struct store_txn *txn, yyjson_val *e, const char *now,
                       const struct logged *lg)
{
    static const char *const lists[] = {"gs1_prefixes", "id_prefixes"};
    const char *slug = str(e, "slug");
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, o);
    yyjson_mut_obj_add_str(doc, o, "slug", slug);
    yyjson_mut_obj_add_str(doc, o, "name", str(e, "name"));
    yyjson_mut_obj_add_str(doc, o, "status", str(e, "status"));
    for (size_t i = 0; i < 2; i++)
        yyjson_mut_obj_add_val(doc, o, lists[i], yyjson_val_mut_copy(doc, arr(e, lists[i])));
    if (yyjson_get_bool(yyjson_obj_get(e, "verified"))) {
        yyjson_mut_val *v = yyjson_mut_obj_add_obj(doc, o, "verification");
        yyjson_mut_obj_add_val(doc, v, "gs1_prefixes",
                               yyjson_val_mut_copy(doc, arr(e, "gs1_prefixes")));
    }
    int rc = put_doc(txn, slug, doc, 0, "snapshot", NULL, now, lg);
    yyjson_mut_doc_free(doc);
    return rc;
}

int mfr_apply_logged(struct store_txn *txn, const char *entry, size_t len, struct reg_why *why)
{
    yyjson_doc *doc = yyjson_read(entry, len, 0);
    yyjson_val *e = yyjson_doc_get_root(doc);
    const char *event = str(e, "manufacturer_event"), *time = str(e, "time");
    const char *slug = str(e, "slug"), *name = str(e, "name");
    struct logged lg = {entry, len, why};
    int rc = REG_EINVALID, known = 0;
    if (!event || !time || !slug || !name || !str(e, "status") || !arr(e, "gs1_prefixes") ||
        !arr(e, "id_prefixes") || !decl_slug_valid(slug, strlen(slug))) {
        rc = reg_why_set(why, REG_EINVALID, "the logged manufacturer event is malformed");
    } else if (strcmp(event, "added") == 0) {
        struct mfr_info info = {.slug = slug, .name = name};
        rc = add_in(txn, &info, time, why, &lg);
        known = 1;
    } else if (strcmp(event, "snapshot") == 0) {
        rc = snapshot_in(txn, e, time, &lg);
        known = 1;
    } else {
        struct change c = {
            .txn = txn, .slug = slug, .arg = str(e, "detail"), .now = time, .why = why};
#define XX(sym, ev, arg)                                                                           \
    if (!known && strcmp(event, ev) == 0) {                                                        \
        known = 1;                                                                                 \
        rc = change_in(&c, MFR_##sym, &lg);                                                        \
        if (!rc && !c.changed)                                                                     \
            rc = reg_why_set(why, REG_EINVALID,                                                    \
                             "the logged event '%s' of manufacturer %s changes nothing here",      \
                             event, slug);                                                         \
    }
        MFR_CHANGE_MAP(XX)
#undef XX
    }
    if (!known)
        rc = reg_why_set(why, REG_EINVALID,
                         "the logged manufacturer event '%.40s' is unknown to this version", event);
    yyjson_doc_free(doc);
    return rc;
}

/* Set member name of o to value (NULL: remove it): 1 if that changed o. */
static int set_member(yyjson_mut_doc *doc, yyjson_mut_val *o, const char *name, const char *value)
{
    yyjson_mut_val *v = yyjson_mut_obj_get(o, name);
    if (value ? yyjson_mut_equals_str(v, value) : !v) return 0;
    yyjson_mut_obj_remove_key(o, name);
    if (value) yyjson_mut_obj_add_strcpy(doc, o, name, value);
    return 1;
}

int mfr_set_unlogged(struct store_txn *txn, const char *slug, const char *contact,
                     const char *website, const char *verified_contact, int *changed,
                     struct reg_why *why)
{
    struct store_val v;
    *changed = 0;
    int rc = check_reach(contact, website, why);
    if (!rc) rc = check_reach(verified_contact, NULL, why);
    if (!rc) rc = store_get(txn, STORE_MANUFACTURERS, slug, strlen(slug), &v);
    if (rc) return rc;
    yyjson_doc *old = yyjson_read(v.data, v.len, 0);
    yyjson_mut_doc *doc = old ? yyjson_doc_mut_copy(old, NULL) : NULL;
    yyjson_doc_free(old);
    yyjson_mut_val *root = yyjson_mut_doc_get_root(doc);
    if (!yyjson_mut_is_obj(root)) rc = REG_ESTORE;
    if (!rc) {
        yyjson_mut_val *ver = yyjson_mut_obj_get(root, "verification");
        *changed = set_member(doc, root, "contact", contact);
        *changed |= set_member(doc, root, "website", website);
        if (yyjson_mut_is_obj(ver)) *changed |= set_member(doc, ver, "contact", verified_contact);
    }
    size_t len;
    char *json = !rc && *changed ? yyjson_mut_write(doc, 0, &len) : NULL;
    if (!rc && *changed && !json) rc = REG_EINTERNAL;
    if (json) rc = store_put(txn, STORE_MANUFACTURERS, slug, strlen(slug), json, len, 0);
    if (json && !rc) rc = bump_generation(txn); /* answers showing the maker are stale */
    free(json);
    yyjson_mut_doc_free(doc);
    if (rc) *changed = 0;
    return rc;
}

/* ---- what is published ---- */

static void copy_member(yyjson_mut_doc *doc, yyjson_mut_val *o, yyjson_val *from, const char *name)
{
    yyjson_val *v = yyjson_obj_get(from, name);
    if (v) yyjson_mut_obj_add_val(doc, o, name, yyjson_val_mut_copy(doc, v));
}

void mfr_public_json(const struct mfr *m, yyjson_mut_doc *doc, yyjson_mut_val *o)
{
    static const char *const plain[] = {"slug", "name", "contact", "website", "status", "created"};
    /* Members are copied from the stored record as they are (m->priv). */
    yyjson_val *r = yyjson_doc_get_root(m->priv);
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++)
        copy_member(doc, o, r, plain[i]);
    yyjson_mut_val *p = yyjson_mut_obj_add_arr(doc, o, "gs1_prefixes");
    for (size_t i = 0; i < m->gs1_prefixes.n; i++)
        yyjson_mut_arr_add_strcpy(doc, p, m->gs1_prefixes.v[i]);
    yyjson_mut_val *ns = yyjson_mut_obj_add_arr(doc, o, "id_namespaces");
    char own[AUTH_SLUG_MAX + 2];
    snprintf(own, sizeof own, "%s-", m->slug);
    yyjson_mut_arr_add_strcpy(doc, ns, own);
    for (size_t i = 0; i < m->id_prefixes.n; i++)
        yyjson_mut_arr_add_strcpy(doc, ns, m->id_prefixes.v[i]);
    yyjson_mut_val *ver = yyjson_mut_obj_add_obj(doc, o, "verification");
    yyjson_mut_obj_add_bool(doc, ver, "verified", m->verified);
    if (m->verified) {
        static const char *const parts[] = {"time", "evidence", "gs1_prefixes", "contact"};
        for (size_t k = 0; k < sizeof parts / sizeof parts[0]; k++)
            copy_member(doc, ver, yyjson_obj_get(r, "verification"), parts[k]);
    }
    copy_member(doc, o, r, "history");
}

void mfr_account_json(const struct mfr *m, struct buf *out)
{
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, o);
    yyjson_mut_obj_add_str(doc, o, "slug", m->slug);
    yyjson_mut_obj_add_str(doc, o, "name", m->name);
    int64_t day = m->verification.day;
    yyjson_mut_obj_add_bool(doc, o, "verified", day >= 0);
    if (day >= 0) {
        char date[11];
        date_format_day(day, date);
        yyjson_mut_obj_add_strcpy(doc, o, "verified_on", date);
        yyjson_mut_val *c = yyjson_mut_obj_add_arr(doc, o, "checked");
        yyjson_mut_arr_add_str(doc, c, "identity");
        if (m->verification.gs1_prefixes.n) yyjson_mut_arr_add_str(doc, c, "gs1_prefixes");
        if (m->verification.contact) yyjson_mut_arr_add_str(doc, c, "security_contact");
    }
    size_t len;
    char *json = yyjson_mut_write(doc, 0, &len);
    buf_append(out, json ? json : "null", json ? len : 4);
    free(json);
    yyjson_mut_doc_free(doc);
}

void mfr_memo_init(struct mfr_memo *mm, struct store_txn *txn)
{
    memset(mm, 0, sizeof *mm);
    mm->txn = txn;
}

void mfr_memo_renew(struct mfr_memo *mm, struct store_txn *txn, uint64_t gen)
{
    mm->txn = txn;
    if (gen == mm->gen) return;
    mfr_memo_free(mm);
    mm->gen = gen;
}

const struct mfr *mfr_memo_get(struct mfr_memo *mm, const char *slug)
{
    if (!slug || strlen(slug) >= sizeof mm->slug) return NULL;
    if (strcmp(mm->slug, slug) == 0 && mm->slug[0]) return mm->ok ? &mm->m : NULL;
    mfr_free(&mm->m);
    buf_reset(&mm->account);
    memcpy(mm->slug, slug, strlen(slug) + 1);
    mm->ok = mfr_get(mm->txn, slug, &mm->m) == 0;
    return mm->ok ? &mm->m : NULL;
}

void mfr_memo_account_json(struct mfr_memo *mm, const char *slug, struct buf *out)
{
    const struct mfr *m = mfr_memo_get(mm, slug);
    if (!m) {
        buf_puts(out, "null");
        return;
    }
    if (!mm->account.len) mfr_account_json(m, &mm->account);
    buf_append(out, mm->account.data, mm->account.len);
}

void mfr_memo_free(struct mfr_memo *mm)
{
    mfr_free(&mm->m);
    buf_free(&mm->account);
    mm->ok = 0;
    mm->slug[0] = '\0';
}
