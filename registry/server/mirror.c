/* mirror.c: the follower of a read-only mirror (see mirror.h): libcurl's easy interface on a
 * thread of its own, note.h and tlogv.h to check what the primary sends, product.h and mfr.h to
 * replay it. */
#include "mirror.h"

#include "err.h"
#include "log.h"
#include "logpub.h"
#include "mfr.h"
#include "note.h"
#include "product.h"
#include "store.h"
#include "tlog.h"
#include "tlogv.h"
#include "tlsenv.h"
#include "why.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yyjson.h>

#define POLL_MS 1000               /* between polls of the checkpoint */
#define CHECKPOINT_MAX (64 << 10)  /* bytes of a checkpoint note at most */
#define PROOF_MAX (64 << 10)       /* bytes of a proof's JSON at most */
#define BUNDLE_MAX (256u * 65537u) /* bytes of an entry bundle at most (tlog.h) */
#define MAKER_MAX (1 << 20)        /* bytes of a maker's JSON at most (its history grows) */
#define HTTP_TIMEOUT_S 30L         /* a whole request */
#define CONNECT_TIMEOUT_S 5L

struct mirror {
    struct mirror_config cfg;
    struct note_verifier key;
    CURL *curl; /* the follower's */
    pthread_t thread;
    int started;
    atomic_int stopping;
    pthread_mutex_t mu; /* guards what follows, and `wake` */
    pthread_cond_t wake;
    enum mirror_state state;
    uint64_t tree_size;
    uint64_t vsize;                 /* the newest verified checkpoint: size, root, note */
    unsigned char vroot[TLOG_HASH]; /* (vsize 0 and no note: none yet) */
    int have_verified;
    double in_sync_at; /* monotonic time of the last poll that found the mirror complete */
    uint64_t applied, verified, errors;
    char error[512];
    /* Makers whose contact and website (which the log does not carry) are still to be copied
     * from the primary: "\0"-separated slugs, each once. */
    struct buf pending;
    size_t npending;
    uint64_t maker_errors;
    char maker_error[512]; /* the last failure to copy them, "" once all are copied */
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

const char *mirror_state_name(enum mirror_state s)
{
    switch (s) {
#define XX(sym, name)                                                                              \
    case MIRROR_##sym:                                                                             \
        return name;
        MIRROR_STATE_MAP(XX)
#undef XX
    }
    return "?";
}

/* Set the state and the problem (fmt NULL: none); a fork or divergence is logged as an error,
 * other problems once when they begin. */
static void set_state(struct mirror *m, enum mirror_state s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_state(struct mirror *m, enum mirror_state s, const char *fmt, ...)
{
    char msg[sizeof m->error] = "";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_lock(&m->mu);
    int again = m->state == s && strcmp(m->error, msg) == 0;
    m->state = s;
    snprintf(m->error, sizeof m->error, "%s", msg);
    if (fmt) m->errors++;
    pthread_mutex_unlock(&m->mu);
    if (!fmt || again) return;
    if (s == MIRROR_FORKED || s == MIRROR_DIVERGED)
        reg_logf("error: mirror of %s %s, stopped advancing: %s", m->cfg.primary,
                 mirror_state_name(s), msg);
    else
        reg_logf("mirror of %s: %s", m->cfg.primary, msg);
}

/* ---- HTTP ---- */

struct fetch {
    struct buf *body;
    size_t max;
};

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
    struct fetch *f = ctx;
    size_t len = size * n;
    if (f->body->len + len > f->max) return 0; /* too long: the transfer fails */
    buf_append(f->body, p, len);
    return len;
}

static int on_progress(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    struct mirror *m = ctx;
    (void)a, (void)b, (void)c, (void)d;
    return atomic_load(&m->stopping); /* non-zero aborts the transfer */
}

/* GET the primary's path into body (at most max bytes): 0, or REG_EUNAVAIL with the reason in
 * err (none if the mirror is stopping). */
static int http_get(struct mirror *m, const char *path, size_t max, struct buf *body, char err[512])
{
    struct buf url = BUF_INIT;
    struct fetch f = {body, max};
    long status = 0;
    buf_reset(body);
    buf_printf(&url, "%s%s", m->cfg.primary, path);
    CURL *c = m->curl;
    curl_easy_reset(c);
    curl_easy_setopt(c, CURLOPT_URL, buf_cstr(&url));
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, HTTP_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "seclabeld-mirror/" SECLABEL_VERSION);
    const char *ca_file, *ca_dir; /* a primary behind a private CA (tlsenv.h) */
    tlsenv_ca(&ca_file, &ca_dir);
    if (ca_file) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
    if (ca_dir) curl_easy_setopt(c, CURLOPT_CAPATH, ca_dir);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &f);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, m);
    CURLcode res = curl_easy_perform(c);
    if (res == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    int rc = atomic_load(&m->stopping) || res != CURLE_OK || status != 200 ? REG_EUNAVAIL : 0;
    err[0] = '\0';
    if (atomic_load(&m->stopping))
        ; /* no problem to report */
    else if (res != CURLE_OK)
        snprintf(err, 512, "GET %s: %s", buf_cstr(&url), curl_easy_strerror(res));
    else if (status != 200)
        snprintf(err, 512, "GET %s: HTTP status %ld", buf_cstr(&url), status);
    buf_free(&url);
    return rc;
}

/* http_get, a failure setting the state to unreachable with the reason. */
static int fetch(struct mirror *m, const char *path, size_t max, struct buf *body)
{
    char err[512];
    int rc = http_get(m, path, max, body, err);
    if (err[0]) set_state(m, MIRROR_UNREACHABLE, "%s", err);
    return rc;
}

/* ---- checking ---- */

/* Fetch the consistency proof from size old to size new (the primary's /log/proof) into
 * proof[]: 0, REG_EUNAVAIL (state set), or REG_EBADPROOF for an answer that is no proof. */
static int fetch_proof(struct mirror *m, uint64_t old, uint64_t new,
                       unsigned char proof[TLOG_PROOF_MAX][TLOG_HASH], size_t *len)
{
    char path[96];
    struct buf body = BUF_INIT;
    snprintf(path, sizeof path, "/log/proof?old=%llu&new=%llu", (unsigned long long)old,
             (unsigned long long)new);
    int rc = fetch(m, path, PROOF_MAX, &body);
    yyjson_doc *doc = rc ? NULL : yyjson_read(body.data, body.len, 0);
    yyjson_val *a = yyjson_obj_get(yyjson_doc_get_root(doc), "proof"), *h;
    size_t i, max;
    *len = 0;
    if (!rc && (!yyjson_is_arr(a) || yyjson_arr_size(a) > TLOG_PROOF_MAX)) rc = REG_EBADPROOF;
    yyjson_arr_foreach(a, i, max, h)
    {
        size_t n = 0;
        if (rc || !yyjson_is_str(h) ||
            sodium_base642bin(proof[i], TLOG_HASH, yyjson_get_str(h), yyjson_get_len(h), NULL, &n,
                              NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
            n != TLOG_HASH) {
            rc = REG_EBADPROOF;
            break;
        }
        *len = i + 1;
    }
    yyjson_doc_free(doc);
    buf_free(&body);
    return rc;
}

/* 0 if the tree (new, new_root) extends the tree (old, old_root) (old 0: anything does);
 * REG_EBADPROOF with the reason in why if it does not; REG_EUNAVAIL if the proof could not be
 * fetched. */
static int extends(struct mirror *m, uint64_t old, const unsigned char old_root[TLOG_HASH],
                   uint64_t new, const unsigned char new_root[TLOG_HASH], struct reg_why *why)
{
    unsigned char proof[TLOG_PROOF_MAX][TLOG_HASH];
    size_t len;
    if (old == 0) return 0;
    if (new < old)
        return reg_why_set(why, REG_EBADPROOF,
                           "the primary's checkpoint of %llu entries is older than the tree of "
                           "%llu entries verified before: the log was rolled back or forked",
                           (unsigned long long)new, (unsigned long long)old);
    if (new == old)
        return memcmp(old_root, new_root, TLOG_HASH) == 0
                   ? 0
                   : reg_why_set(why, REG_EBADPROOF,
                                 "the primary's checkpoint of %llu entries has another root hash "
                                 "than the one verified before: the log forked",
                                 (unsigned long long)new);
    int rc = fetch_proof(m, old, new, proof, &len);
    if (rc == REG_EBADPROOF)
        reg_why_set(why, rc, "the primary's answer to /log/proof?old=%llu&new=%llu is no proof",
                    (unsigned long long)old, (unsigned long long)new);
    if (rc) return rc;
    if (tlogv_consistency(old, new, old_root, new_root, proof[0], len, why) == 0) return 0;
    return reg_why_set(why, REG_EBADPROOF,
                       "the primary's checkpoint of %llu entries does not extend the tree of %llu "
                       "entries verified before: the log forked",
                       (unsigned long long)new, (unsigned long long)old);
}

/* This database's tree: size and root. */
static int own_tree(struct mirror *m, uint64_t *size, unsigned char root[TLOG_HASH])
{
    struct store_txn *txn;
    int rc = store_txn_begin(m->cfg.st, 0, &txn);
    if (rc) return rc;
    rc = tlog_size(txn, size);
    if (!rc) rc = tlog_root(txn, *size, root);
    store_txn_abort(txn);
    return rc;
}

/* ---- replaying ---- */

/* The IDs and the makers' slugs a batch changed ("\0"-separated). */
struct touched {
    struct buf ids, makers;
};

/* Append the string member `name` of JSON entry e[0..len) to list, "\0"-terminated. */
static void note_member(const char *e, size_t len, const char *name, struct buf *list)
{
    yyjson_doc *doc = yyjson_read(e, len, 0);
    const char *v = yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(doc), name));
    if (v) buf_append(list, v, strlen(v) + 1);
    yyjson_doc_free(doc);
}

/* Replay one entry in txn. */
static int apply_entry(struct store_txn *txn, const char *e, size_t len, struct touched *t,
                       struct reg_why *why)
{
    static const char maker[] = "{\"manufacturer_event\":";
    int is_maker = len >= sizeof maker - 1 && memcmp(e, maker, sizeof maker - 1) == 0;
    int rc = is_maker ? mfr_apply_logged(txn, e, len, why) : product_apply_logged(txn, e, len, why);
    if (!rc) note_member(e, len, is_maker ? "slug" : "id", is_maker ? &t->makers : &t->ids);
    return rc;
}

/* 1 for the errors of the store itself (worth trying again), not a refusal of the entry. */
static int storage_error(int rc)
{
    return rc == REG_ESTORE || rc == REG_ENOSPC || rc == REG_EINTERNAL || rc > -20000 ||
           rc < -21000; /* -errno, LMDB's */
}

/* Replay entries [from, to) of bundle b (its bytes), then check the tree: 0, REG_EBADPROOF or
 * REG_EINVALID (why: the mirror diverged; nothing kept), or another error (nothing kept). */
static int apply_batch(struct mirror *m, const struct buf *bundle, uint64_t b, uint64_t from,
                       uint64_t to, uint64_t n, const unsigned char root[TLOG_HASH],
                       struct touched *t, struct reg_why *why)
{
    unsigned char proof[TLOG_PROOF_MAX][TLOG_HASH], mine[TLOG_HASH];
    size_t plen = 0;
    int rc = to < n ? fetch_proof(m, to, n, proof, &plen) : 0; /* before the write lock */
    if (rc == REG_EBADPROOF)
        return reg_why_set(why, rc, "the primary's answer to /log/proof?old=%llu is no proof",
                           (unsigned long long)to);
    if (rc) return rc;
    struct store_txn *txn;
    if ((rc = store_txn_begin(m->cfg.st, 1, &txn))) return rc;
    const unsigned char *p = (const unsigned char *)bundle->data, *end = p + bundle->len;
    for (uint64_t i = b * TLOG_TILE_WIDTH; i < to && !rc; i++) {
        if (end - p < 2 || (size_t)(end - p - 2) < ((size_t)p[0] << 8 | p[1])) {
            rc = reg_why_set(why, REG_EINVALID, "entry bundle %llu is cut short at entry %llu",
                             (unsigned long long)b, (unsigned long long)i);
            break;
        }
        size_t len = (size_t)p[0] << 8 | p[1];
        if (i >= from && (rc = apply_entry(txn, (const char *)p + 2, len, t, why)) &&
            !storage_error(rc)) { /* a refusal: the entry does not follow this data */
            struct reg_why inner = *why;
            rc = reg_why_set(why, REG_EINVALID, "entry %llu does not apply here: %s",
                             (unsigned long long)i, inner.text[0] ? inner.text : reg_strerror(rc));
        }
        p += 2 + len;
    }
    uint64_t size = 0;
    if (!rc) rc = tlog_size(txn, &size);
    if (!rc && size != to)
        rc = reg_why_set(why, REG_EINVALID,
                         "after replaying entries up to %llu this tree holds %llu: the database "
                         "was written beside the mirror",
                         (unsigned long long)to, (unsigned long long)size);
    if (!rc) rc = tlog_root(txn, to, mine);
    if (!rc && (to == n ? memcmp(mine, root, TLOG_HASH) != 0
                        : tlogv_consistency(to, n, mine, root, proof[0], plen, why) != 0))
        rc = reg_why_set(why, REG_EBADPROOF,
                         "the tree of %llu entries replayed from the primary's entries is not "
                         "the one its checkpoint of %llu entries signs",
                         (unsigned long long)to, (unsigned long long)n);
    if (rc) {
        store_txn_abort(txn);
        return rc;
    }
    return store_txn_commit(txn);
}

/* Tell the server what a committed batch changed. */
static void announce(struct mirror *m, const struct touched *t)
{
    if (!m->cfg.changed) return;
    if (t->makers.len) m->cfg.changed(m->cfg.changed_ctx, NULL);
    for (size_t at = 0; at < t->ids.len; at += strlen(t->ids.data + at) + 1)
        m->cfg.changed(m->cfg.changed_ctx, t->ids.data + at);
}

/* ---- what the log does not carry ---- */

/* Copy maker slug's contact and website from the primary later (once in the list). */
static void queue_maker(struct mirror *m, const char *slug)
{
    pthread_mutex_lock(&m->mu);
    size_t at = 0;
    while (at < m->pending.len && strcmp(m->pending.data + at, slug) != 0)
        at += strlen(m->pending.data + at) + 1;
    if (at == m->pending.len) {
        buf_append(&m->pending, slug, strlen(slug) + 1);
        m->npending++;
    }
    pthread_mutex_unlock(&m->mu);
}

static int queue_incomplete(void *ctx, const char *slug, const struct mfr *mk)
{
    if (!mk || !mk->contact || !mk->website) queue_maker(ctx, slug);
    return 0;
}

/* Record a failure to copy a maker's fields (logged when it is a new one). */
static void maker_failed(struct mirror *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void maker_failed(struct mirror *m, const char *fmt, ...)
{
    char msg[sizeof m->maker_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&m->mu);
    int again = strcmp(m->maker_error, msg) == 0;
    snprintf(m->maker_error, sizeof m->maker_error, "%s", msg);
    m->maker_errors++;
    pthread_mutex_unlock(&m->mu);
    if (!again) reg_logf("mirror of %s: %s (tried again later)", m->cfg.primary, msg);
}

/* A string member of o, or NULL if absent; *bad set if present and no string. */
static const char *opt_str(yyjson_val *o, const char *name, int *bad)
{
    yyjson_val *v = yyjson_obj_get(o, name);
    if (v && !yyjson_is_str(v)) *bad = 1;
    return yyjson_get_str(v);
}

/* Copy maker slug's contact, website and the contact its verification covered from the
 * primary's GET /v1/manufacturers/{slug} (mfr_set_unlogged checks them): 0, or an error with
 * the failure recorded. */
static int copy_maker(struct mirror *m, const char *slug)
{
    char path[AUTH_SLUG_MAX + 32], err[512];
    struct buf body = BUF_INIT;
    struct reg_why why = {0};
    int bad = 0, changed = 0;
    snprintf(path, sizeof path, "/v1/manufacturers/%s", slug);
    int rc = http_get(m, path, MAKER_MAX, &body, err);
    if (rc) {
        if (err[0]) maker_failed(m, "%s", err);
        buf_free(&body);
        return rc;
    }
    yyjson_doc *doc = yyjson_read(body.data, body.len, 0);
    yyjson_val *o = yyjson_doc_get_root(doc);
    const char *contact = opt_str(o, "contact", &bad), *website = opt_str(o, "website", &bad);
    const char *vcontact = opt_str(yyjson_obj_get(o, "verification"), "contact", &bad);
    if (!yyjson_equals_str(yyjson_obj_get(o, "slug"), slug) || bad) {
        rc = REG_EINVALID;
        maker_failed(m, "GET %s%s: not the manufacturer's JSON", m->cfg.primary, path);
    }
    struct store_txn *txn = NULL;
    if (!rc && !(rc = store_txn_begin(m->cfg.st, 1, &txn))) {
        rc = mfr_set_unlogged(txn, slug, contact, website, vcontact, &changed, &why);
        if (rc)
            store_txn_abort(txn);
        else
            rc = store_txn_commit(txn);
        if (rc)
            maker_failed(m, "GET %s%s: cannot store its contact and website: %s", m->cfg.primary,
                         path, why.text[0] ? why.text : reg_strerror(rc));
    }
    if (!rc && changed && m->cfg.changed) m->cfg.changed(m->cfg.changed_ctx, NULL);
    yyjson_doc_free(doc);
    buf_free(&body);
    return rc;
}

/* Try each pending maker once; those that fail stay for the next poll. */
static void copy_makers(struct mirror *m)
{
    pthread_mutex_lock(&m->mu);
    struct buf todo = BUF_INIT;
    buf_append(&todo, m->pending.data, m->pending.len);
    pthread_mutex_unlock(&m->mu);
    int failed = 0;
    for (size_t at = 0; at < todo.len && !atomic_load(&m->stopping);
         at += strlen(todo.data + at) + 1) {
        const char *slug = todo.data + at;
        if (copy_maker(m, slug)) {
            failed = 1;
            continue;
        }
        pthread_mutex_lock(&m->mu); /* done: out of the list (queued again meanwhile: stays) */
        size_t p = 0, n = strlen(slug) + 1;
        while (p < m->pending.len && strcmp(m->pending.data + p, slug) != 0)
            p += strlen(m->pending.data + p) + 1;
        if (p < m->pending.len) {
            memmove(m->pending.data + p, m->pending.data + p + n, m->pending.len - p - n);
            m->pending.len -= n;
            m->npending--;
        }
        pthread_mutex_unlock(&m->mu);
    }
    pthread_mutex_lock(&m->mu);
    if (!failed && !m->npending) m->maker_error[0] = '\0';
    pthread_mutex_unlock(&m->mu);
    buf_free(&todo);
}

/* Replay entries from..n-1, a bundle at a time: 0 when all are in. */
static int catch_up(struct mirror *m, uint64_t from, uint64_t n,
                    const unsigned char root[TLOG_HASH])
{
    struct buf path = BUF_INIT, bundle = BUF_INIT;
    int rc = 0;
    while (from < n && !rc && !atomic_load(&m->stopping)) {
        uint64_t b = from / TLOG_TILE_WIDTH, first = b * TLOG_TILE_WIDTH;
        uint64_t to = n - first > TLOG_TILE_WIDTH ? first + TLOG_TILE_WIDTH : n;
        buf_reset(&path);
        buf_puts(&path, "/log/");
        note_tile_path(NOTE_TILE_ENTRIES, b, (unsigned)(to - first), &path);
        if ((rc = fetch(m, buf_cstr(&path), BUNDLE_MAX, &bundle))) break;
        struct touched t = {BUF_INIT, BUF_INIT};
        struct reg_why why = {0};
        rc = apply_batch(m, &bundle, b, from, to, n, root, &t, &why);
        if (rc == REG_EBADPROOF || rc == REG_EINVALID)
            set_state(m, MIRROR_DIVERGED, "%s", why.text);
        else if (rc && rc != REG_EUNAVAIL)
            set_state(m, MIRROR_UNREACHABLE, "cannot store entries %llu..%llu: %s",
                      (unsigned long long)from, (unsigned long long)to - 1, reg_strerror(rc));
        if (!rc) {
            pthread_mutex_lock(&m->mu);
            m->applied += to - from;
            m->tree_size = to;
            pthread_mutex_unlock(&m->mu);
            announce(m, &t);
            for (size_t at = 0; at < t.makers.len; at += strlen(t.makers.data + at) + 1)
                queue_maker(m, t.makers.data + at);
            from = to;
        }
        buf_free(&t.ids);
        buf_free(&t.makers);
    }
    buf_free(&path);
    buf_free(&bundle);
    return rc;
}

/* ---- following ---- */

/* The primary's newest checkpoint (n, root) is smaller than this tree (own, own_root), which
 * no checkpoint verified yet (a backup of the primary restored here holds entries signed only
 * later): a fork unless the signed tree is a prefix of this one (a consistency proof from n to
 * own, which the primary can give if it holds this tree). 0: wait for a newer checkpoint. */
static int behind(struct mirror *m, uint64_t n, const unsigned char root[TLOG_HASH], uint64_t own,
                  const unsigned char own_root[TLOG_HASH])
{
    struct reg_why why = {0};
    int rc = n ? extends(m, n, root, own, own_root, &why) : 0;
    if (rc == REG_EBADPROOF)
        set_state(m, MIRROR_FORKED,
                  "this database's tree of %llu entries does not extend the primary's "
                  "checkpoint of %llu: the log forked (%s)",
                  (unsigned long long)own, (unsigned long long)n, why.text);
    if (rc) return rc;
    pthread_mutex_lock(&m->mu);
    m->state = MIRROR_CATCHING_UP; /* not an error: the primary signs within a second */
    pthread_mutex_unlock(&m->mu);
    return 0;
}

static void poll_once(struct mirror *m)
{
    struct buf note = BUF_INIT;
    struct reg_why why = {0};
    size_t text_len;
    uint64_t n, own;
    unsigned char root[TLOG_HASH], own_root[TLOG_HASH];
    int rc = fetch(m, "/log/checkpoint", CHECKPOINT_MAX, &note);
    if (rc) goto out;
    if ((rc = note_open(note.data, note.len, &m->key, &text_len, &why)) ||
        (rc = note_checkpoint_parse(note.data, text_len, m->key.name, &n, root, &why))) {
        set_state(m, MIRROR_UNVERIFIED,
                  "the primary's checkpoint does not verify with the key %s: %s", m->key.name,
                  why.text);
        goto out;
    }
    if ((rc = own_tree(m, &own, own_root))) {
        set_state(m, MIRROR_UNREACHABLE, "cannot read this database's log: %s", reg_strerror(rc));
        goto out;
    }
    if (!m->have_verified && n < own) { /* this tree from a backup, ahead of the signed one */
        rc = behind(m, n, root, own, own_root);
        goto out;
    }
    /* Consistent with the newest checkpoint verified before, or at first with this tree. */
    pthread_mutex_lock(&m->mu);
    uint64_t old = m->have_verified ? m->vsize : own;
    unsigned char old_root[TLOG_HASH];
    memcpy(old_root, m->have_verified ? m->vroot : own_root, TLOG_HASH);
    pthread_mutex_unlock(&m->mu);
    rc = extends(m, old, old_root, n, root, &why);
    if (rc == REG_EBADPROOF) set_state(m, MIRROR_FORKED, "%s", why.text);
    if (rc) goto out;
    if (own > n) { /* verified before, but this tree is longer than the primary's */
        set_state(m, MIRROR_FORKED,
                  "this database holds %llu entries, more than the primary's checkpoint of %llu",
                  (unsigned long long)own, (unsigned long long)n);
        goto out;
    }
    pthread_mutex_lock(&m->mu);
    m->vsize = n;
    memcpy(m->vroot, root, TLOG_HASH);
    m->have_verified = 1;
    m->verified++;
    m->tree_size = own;
    if (own < n) m->state = MIRROR_CATCHING_UP;
    pthread_mutex_unlock(&m->mu);
    if (own < n && catch_up(m, own, n, root)) goto out;
    logpub_publish(m->cfg.log, note.data, note.len, n);
    pthread_mutex_lock(&m->mu);
    m->in_sync_at = mono();
    m->state = MIRROR_FOLLOWING;
    m->error[0] = '\0';
    pthread_mutex_unlock(&m->mu);
out:
    buf_free(&note);
}

static int stopped(struct mirror *m)
{
    pthread_mutex_lock(&m->mu);
    enum mirror_state s = m->state;
    pthread_mutex_unlock(&m->mu);
    return s == MIRROR_FORKED || s == MIRROR_DIVERGED;
}

static void *follow(void *arg)
{
    struct mirror *m = arg;
    struct store_txn *txn; /* makers replayed before a restart may lack what is copied */
    if (store_txn_begin(m->cfg.st, 0, &txn) == 0) {
        mfr_each(txn, queue_incomplete, m);
        store_txn_abort(txn);
    }
    while (!atomic_load(&m->stopping)) {
        if (!stopped(m)) poll_once(m); /* forked or diverged: never advance again */
        if (!stopped(m)) copy_makers(m);
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        until.tv_sec += POLL_MS / 1000;
        pthread_mutex_lock(&m->mu);
        while (!atomic_load(&m->stopping) &&
               pthread_cond_timedwait(&m->wake, &m->mu, &until) == 0) {
        }
        pthread_mutex_unlock(&m->mu);
    }
    return NULL;
}

/* ---- the interface ---- */

int mirror_open(const struct mirror_config *cfg, struct mirror **out)
{
    struct reg_why why = {0};
    struct mirror *m = xcalloc(1, sizeof *m);
    m->cfg = *cfg;
    int rc = note_verifier_parse(cfg->key, strlen(cfg->key), &m->key, &why);
    if (rc) {
        reg_logf("--mirror-key: %s", why.text[0] ? why.text : reg_strerror(rc));
        free(m);
        return rc;
    }
    unsigned char root[TLOG_HASH];
    if ((rc = own_tree(m, &m->tree_size, root))) {
        reg_logf("cannot read the log of this database: %s", reg_strerror(rc));
        free(m);
        return rc;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->wake, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&m->mu, NULL);
    m->in_sync_at = mono(); /* seconds behind count from the start until the first sync */
    *out = m;
    return 0;
}

int mirror_start(struct mirror *m)
{
    /* libcurl's global set-up is not thread-safe: here, before the thread. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(m->curl = curl_easy_init()))
        return REG_EINTERNAL;
    sigset_t all, old; /* no signal for the follower (the loops take them: commit.c) */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&m->thread, NULL, follow, m);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc) return REG_EINTERNAL;
    m->started = 1;
    reg_logf("mirror of %s: following its log, origin %s", m->cfg.primary, m->key.name);
    return 0;
}

void mirror_close(struct mirror *m)
{
    if (!m) return;
    if (m->started) {
        pthread_mutex_lock(&m->mu);
        atomic_store(&m->stopping, 1);
        pthread_cond_signal(&m->wake);
        pthread_mutex_unlock(&m->mu);
        pthread_join(m->thread, NULL);
    }
    if (m->curl) {
        curl_easy_cleanup(m->curl);
        curl_global_cleanup();
    }
    pthread_mutex_destroy(&m->mu);
    pthread_cond_destroy(&m->wake);
    buf_free(&m->pending);
    free(m);
}

void mirror_status(struct mirror *m, struct mirror_status *out)
{
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&m->mu);
    out->state = m->state;
    out->tree_size = m->tree_size;
    out->primary_size = m->vsize;
    out->entries_behind = m->vsize > m->tree_size ? m->vsize - m->tree_size : 0;
    out->seconds_behind = mono() - m->in_sync_at;
    out->entries_applied = m->applied;
    out->checkpoints_verified = m->verified;
    out->errors = m->errors;
    snprintf(out->error, sizeof out->error, "%s", m->error);
    out->makers_pending = m->npending;
    out->maker_fetch_errors = m->maker_errors;
    snprintf(out->maker_error, sizeof out->maker_error, "%s", m->maker_error);
    pthread_mutex_unlock(&m->mu);
}

const char *mirror_primary(const struct mirror *m)
{
    return m->cfg.primary;
}
