/* cmd_monitor.c: seclabel monitor [--from-checkpoint FILE | --from-size N] [--json] [--once]
 * [--interval S] [--state DIR] [--log-key KEY]: a watchdog that follows the registry's
 * transparency log and trusts nothing but the pinned log key. One pass:
 *
 *   1. GET /log/checkpoint, opened with the pinned key (logc.h): size N, root;
 *   2. consistency with the last checkpoint this monitor verified (STATE/checkpoint, or
 *      --from-checkpoint FILE) of size M: GET /log/proof?old=M&new=N checked by tlogv; a
 *      checkpoint that does not extend it (a fork) or is smaller (a log rolled back) stops
 *      everything (exit 3). --from-size N starts at entry N with no checkpoint to compare;
 *      without any (a first run), the monitor starts at entry 0 and reads the whole log;
 *   3. every entry M..N-1 read from the C2SP entry bundles (/log/tile/entries/...); the tree of
 *      size N recomputed from their leaf hashes and, for entries 0..M-1, the complete subtrees
 *      that the level tiles (/log/tile/L/N) give; its root must be the signed one (and those
 *      subtrees must make the root of M when its checkpoint is known): every entry is covered;
 *   4. findings, from the entries and the per-product state of earlier passes: a support date
 *      moved earlier, a GTIN that moved to another product or maker, a product whose maker
 *      changed; maker events (disabled, prefixes changed: informational, severity "info",
 *      printed for people as "note: ..." lines and not counted as findings);
 *   5. the API against the log, for every product with a new entry in this pass (all of them on
 *      a first run): GET /v1/products/{id}'s logged members and "log".index must be the newest
 *      entry's (a record changed without a log entry); then (5b) an audit of --audit N products
 *      with no new entry (100; "all"; 0 none), in turn from where the last pass stopped
 *      (STATE/audit): each one's entry as the registry stores it, proved by GET .../proof to be
 *      its newest entry in the signed tree, then compared with its record as in 5 (an entry
 *      that is not the logged one: a finding, and the record compared with the state's maker,
 *      support date and GTIN). A registry of K products is audited whole every K / N passes;
 *   6. the state is saved (the checkpoint last), then the findings printed.
 *
 * The state directory (default CONFIG/monitor/<origin, %-escaped>, next to verify's
 * CONFIG/checkpoints) holds "checkpoint" (the signed note verified last), "products" (one line
 * per product: id TAB newest entry index TAB maker TAB support_date TAB gtin or "-", sorted by
 * id), "gtins" (gtin TAB product TAB maker, sorted) and "audit" (the product audited last):
 * about 80 bytes a product, read whole (for the audit too, when nothing is new) and
 * rewritten whole each pass with something new (atomically, the checkpoint last, so a crash
 * replays entries, which finds nothing twice). At national scale (millions of products) that is
 * a few hundred MB of memory and a second per pass; LMDB (the registry's store module) would
 * avoid the whole read, but store.c is the registry's database with its tables and format
 * marks, and a plain sorted text file can be read, diffed and repaired by people.
 *
 * Exit: 0 nothing wrong (informational findings only), 1 findings to look at, 2 usage or no
 * pinned key, 3 the log could not be checked: the registry unreachable, a checkpoint not signed
 * by the pinned key, entries or tiles that do not make the signed tree, or - worst - a fork or a
 * rolled-back log (then the state is not advanced). Without --once it loops every --interval
 * seconds until SIGINT or SIGTERM (exit: the worst of its passes; a log that cannot be checked
 * because the registry is unreachable is retried, any other exit-3 reason stops the loop). */
#include "cli.h"

#include "decl.h"
#include "err.h"
#include "hash.h"
#include "logc.h"
#include "tlog.h"
#include "tlogv.h"

#include <errno.h>
#include <sodium.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MON_INTERVAL 60 /* seconds between passes by default */
#define MON_VALUE 200   /* bytes of a value shown in a message */
#define MON_AUDIT 100   /* products without a new entry compared with the API per pass */

enum { SEV_INFO, SEV_WARN, SEV_FATAL };
static int net_failed; /* the last pass could not reach the registry (the loop retries) */
static const char *const sev_names[] = {"info", "warning", "fatal"};

struct mopts {
    const char *from_cp, *state, *key;
    uint64_t from_size, audit;
    int has_from_size, json, once;
    unsigned interval;
};

/* ---- the state: rows of tab-separated fields, the first the key ---- */

#define ROW_MAX 5
enum { P_ID, P_INDEX, P_MAKER, P_SUPPORT, P_GTIN };
enum { G_GTIN, G_ID, G_MAKER };

struct row {
    char *f[ROW_MAX];
    char *entry; /* products: the newest entry's bytes, if read in this pass (owned) */
    size_t entry_len;
    uint64_t index;
};

struct table {
    const char *file; /* name in the state directory */
    int nf;           /* fields per row */
    struct row *rows;
    size_t n, cap;
    size_t *slots, mask; /* open addressing (FNV-1a, hash.h): row number + 1, 0 empty */
};

static char *dup_clean(const char *s)
{
    char *d = strdup(s ? s : "-");
    if (!d) abort();
    for (char *p = d; *p; p++)
        if ((unsigned char)*p < 0x20) *p = '?'; /* a tab or newline would break the file */
    return d;
}

/* The slot of key: its row's, or the empty one where it would go. (zig's bundled C library
 * headers lack glibc's hsearch_r; a table sized once per pass is all this needs.) */
static size_t *table_slot(struct table *t, const char *key)
{
    size_t i = (size_t)hash_fnv1a(key, strlen(key)) & t->mask;
    while (t->slots[i] && strcmp(t->rows[t->slots[i] - 1].f[0], key))
        i = (i + 1) & t->mask;
    return &t->slots[i];
}

static struct row *table_find(struct table *t, const char *key)
{
    size_t *s = table_slot(t, key);
    return *s ? &t->rows[*s - 1] : NULL;
}

/* A new row for key (not yet in t, which has room: table_load); its other fields "-". */
static struct row *table_add(struct table *t, const char *key)
{
    if (t->n == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 1024;
        t->rows = realloc(t->rows, t->cap * sizeof *t->rows);
        if (!t->rows) abort();
    }
    size_t *slot = table_slot(t, key);
    struct row *r = &t->rows[t->n++];
    memset(r, 0, sizeof *r);
    r->f[0] = dup_clean(key);
    for (int i = 1; i < t->nf; i++)
        r->f[i] = dup_clean("-");
    *slot = t->n;
    return r;
}

static void row_set(struct row *r, int i, const char *v)
{
    free(r->f[i]);
    r->f[i] = dup_clean(v);
}

static void table_free(struct table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        for (int j = 0; j < t->nf; j++)
            free(t->rows[i].f[j]);
        free(t->rows[i].entry);
    }
    free(t->rows);
    free(t->slots);
    t->rows = NULL;
    t->slots = NULL;
    t->n = t->cap = 0;
}

static int count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    int n = 0, ch;
    if (!f) return 0;
    while ((ch = getc(f)) != EOF)
        n += ch == '\n';
    fclose(f);
    return n;
}

/* Load dir/t->file (absent: empty) with room for `more` new rows. CLI_FAILED if unreadable. */
static int table_load(struct table *t, const char *dir, size_t more)
{
    struct buf path = BUF_INIT;
    buf_printf(&path, "%s/%s", dir, t->file);
    size_t lines = (size_t)count_lines(buf_cstr(&path));
    size_t want = 2 * (lines + more) + 64, size = 64;
    while (size < want)
        size *= 2;
    t->slots = calloc(size, sizeof *t->slots); /* at most half full */
    if (!t->slots) abort();
    t->mask = size - 1;
    FILE *f = fopen(buf_cstr(&path), "r");
    int rc = CLI_OK;
    if (!f && errno != ENOENT) {
        fprintf(stderr, "seclabel: cannot open %s: %s\n", buf_cstr(&path), strerror(errno));
        rc = CLI_FAILED;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while (f && (len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] == '\n') line[len - 1] = '\0';
        char *fields[ROW_MAX], *save = NULL;
        int n = 0;
        for (char *s = strtok_r(line, "\t", &save); s && n < ROW_MAX;
             s = strtok_r(NULL, "\t", &save))
            fields[n++] = s;
        if (n != t->nf || table_find(t, fields[0])) {
            fprintf(stderr, "seclabel: %s: a damaged line is skipped: %s\n", buf_cstr(&path),
                    fields[0]);
            continue;
        }
        struct row *r = table_add(t, fields[0]);
        for (int i = 1; i < n; i++)
            row_set(r, i, fields[i]);
    }
    free(line);
    if (f) fclose(f);
    buf_free(&path);
    return rc;
}

static int row_cmp(const void *a, const void *b)
{
    return strcmp(((const struct row *)a)->f[0], ((const struct row *)b)->f[0]);
}

/* Write t sorted to dir/t->file, atomically. (The rows are reordered: t is done with.) */
static int table_save(struct table *t, const char *dir)
{
    struct buf path = BUF_INIT, out = BUF_INIT;
    if (t->n) qsort(t->rows, t->n, sizeof *t->rows, row_cmp);
    for (size_t i = 0; i < t->n; i++)
        for (int j = 0; j < t->nf; j++) {
            buf_puts(&out, t->rows[i].f[j]);
            buf_putc(&out, j + 1 < t->nf ? '\t' : '\n');
        }
    buf_printf(&path, "%s/%s", dir, t->file);
    int rc = cli_write_file(buf_cstr(&path), out.data ? out.data : "", out.len);
    buf_free(&path);
    buf_free(&out);
    return rc;
}

/* ---- one pass ---- */

struct pass {
    struct client *c;
    const struct note_verifier *v;
    const struct mopts *o;
    struct table products, gtins;
    yyjson_mut_doc *doc;
    yyjson_mut_val *findings;
    int worst;      /* SEV_* of the worst finding, -1 for none */
    size_t n_info;  /* informational findings (SEV_INFO): nothing wrong */
    uint64_t m, n;  /* entries m..n-1 are new */
    size_t audited; /* products audited against the API (step 5b) */
    unsigned char root[TLOG_HASH];
    struct buf cp, msg; /* the new checkpoint; why the log could not be checked */
};

/* A finding: kind, severity and a message for people; returns its JSON object for more
 * members. People read "finding" as something wrong: the human output calls only warnings and
 * worse findings, and prints informational ones as notes (print_findings, the summary). */
static yyjson_mut_val *finding(struct pass *p, const char *kind, int sev, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static yyjson_mut_val *finding(struct pass *p, const char *kind, int sev, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    yyjson_mut_val *o = yyjson_mut_arr_add_obj(p->doc, p->findings);
    yyjson_mut_obj_add_strcpy(p->doc, o, "finding", kind);
    yyjson_mut_obj_add_str(p->doc, o, "severity", sev_names[sev]);
    yyjson_mut_obj_add_strcpy(p->doc, o, "message", text);
    if (sev > p->worst) p->worst = sev;
    p->n_info += sev == SEV_INFO;
    return o;
}

/* The log could not be checked: exit 3, with why (and a "fatal" finding for fork/rollback). */
static int cannot(struct pass *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int cannot(struct pass *p, const char *fmt, ...)
{
    char text[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    buf_reset(&p->msg);
    buf_puts(&p->msg, text);
    return CLI_UNREACHABLE;
}

static int get(struct pass *p, const char *path, struct buf *out)
{
    struct buf msg = BUF_INIT;
    int rc = logc_get(p->c, path, out, &msg, NULL);
    if (rc == CLI_UNREACHABLE) {
        net_failed = 1;
        cannot(p, "cannot reach the registry at %s", p->c->server);
    } else if (rc)
        cannot(p, "%s", buf_cstr(&msg));
    buf_free(&msg);
    return rc ? CLI_UNREACHABLE : CLI_OK;
}

/* The hash of the complete subtree at level l, index k (its leaves [k*2^l, (k+1)*2^l) all
 * below size): from the level tile that holds the hashes of level 8*(l/8) below it. */
static int subtree_hash(struct pass *p, unsigned l, uint64_t k, uint64_t size,
                        unsigned char out[TLOG_HASH])
{
    unsigned L = l / TLOG_TILE_HEIGHT, r = l % TLOG_TILE_HEIGHT;
    uint64_t first = k << r, count = (uint64_t)1 << r; /* hashes at level 8L */
    uint64_t tile = first / TLOG_TILE_WIDTH, have = size >> (TLOG_TILE_HEIGHT * L);
    uint64_t w = have - tile * TLOG_TILE_WIDTH;
    if (w > TLOG_TILE_WIDTH) w = TLOG_TILE_WIDTH;
    struct buf path = BUF_INIT, body = BUF_INIT;
    buf_puts(&path, "/log/");
    note_tile_path((int)L, tile, (unsigned)w, &path);
    int rc = get(p, buf_cstr(&path), &body);
    if (!rc && body.len != w * TLOG_HASH)
        rc = cannot(p, "GET %s: %zu bytes, not %llu hashes", buf_cstr(&path), body.len,
                    (unsigned long long)w);
    if (!rc) {
        unsigned char h[TLOG_TILE_WIDTH][TLOG_HASH];
        size_t at = first - tile * TLOG_TILE_WIDTH;
        memcpy(h, body.data + at * TLOG_HASH, count * TLOG_HASH);
        for (; count > 1; count /= 2) /* pairwise up to one hash */
            for (size_t i = 0; i < count / 2; i++)
                tlog_node_hash(h[2 * i], h[2 * i + 1], h[i]);
        memcpy(out, h[0], TLOG_HASH);
    }
    buf_free(&path);
    buf_free(&body);
    return rc;
}

/* The complete subtrees a tree is built from, left to right (a binary counter of leaves). */
struct range {
    unsigned char h[64][TLOG_HASH];
    unsigned level[64];
    int n;
};

static void range_push(struct range *g, unsigned level, const unsigned char h[TLOG_HASH])
{
    memcpy(g->h[g->n], h, TLOG_HASH);
    g->level[g->n++] = level;
    while (g->n >= 2 && g->level[g->n - 1] == g->level[g->n - 2]) {
        tlog_node_hash(g->h[g->n - 2], g->h[g->n - 1], g->h[g->n - 2]);
        g->level[g->n - 2]++;
        g->n--;
    }
}

/* The root of the tree the range makes (RFC 6962: the subtrees folded right to left). */
static void range_root(const struct range *g, unsigned char out[TLOG_HASH])
{
    if (!g->n) {
        crypto_hash_sha256(out, NULL, 0); /* RFC 6962: the empty tree */
        return;
    }
    memcpy(out, g->h[g->n - 1], TLOG_HASH);
    for (int i = g->n - 2; i >= 0; i--)
        tlog_node_hash(g->h[i], out, out);
}

/* The range of the first m leaves, from the level tiles. */
static int range_start(struct pass *p, uint64_t m, struct range *g)
{
    uint64_t start = 0;
    g->n = 0;
    for (int l = 63; l >= 0; l--)
        if (m & ((uint64_t)1 << l)) {
            unsigned char h[TLOG_HASH];
            int rc = subtree_hash(p, (unsigned)l, start >> l, m, h);
            if (rc) return rc;
            memcpy(g->h[g->n], h, TLOG_HASH);
            g->level[g->n++] = (unsigned)l;
            start += (uint64_t)1 << l;
        }
    return CLI_OK;
}

static const char *str(yyjson_val *o, const char *name)
{
    return yyjson_get_str(yyjson_obj_get(o, name));
}

static void maker_event(struct pass *p, yyjson_val *e, uint64_t index)
{
    const char *ev = str(e, "manufacturer_event"), *slug = str(e, "slug");
    const char *detail = str(e, "detail");
    int disabled = !strcmp(ev, "disabled"), prefixes = strstr(ev, "prefix") != NULL;
    if (!disabled && !prefixes) return;
    yyjson_mut_val *o = disabled ? finding(p, "manufacturer_disabled", SEV_INFO,
                                           "manufacturer %s was disabled (entry %llu)",
                                           slug ? slug : "?", (unsigned long long)index)
                                 : finding(p, "manufacturer_prefixes", SEV_INFO,
                                           "manufacturer %s: %s %s (entry %llu)", slug ? slug : "?",
                                           ev, detail ? detail : "", (unsigned long long)index);
    yyjson_mut_obj_add_strcpy(p->doc, o, "manufacturer", slug ? slug : "");
    yyjson_mut_obj_add_strcpy(p->doc, o, "event", ev);
    if (detail) yyjson_mut_obj_add_strcpy(p->doc, o, "detail", detail);
    yyjson_mut_obj_add_uint(p->doc, o, "index", index);
}

static void product_entry(struct pass *p, yyjson_val *e, const char *data, size_t len,
                          uint64_t index)
{
    const char *id = str(e, "id"), *maker = str(e, "manufacturer");
    const char *support = str(e, "support_date"), *gtin = str(e, "gtin");
    char ix[24];
    snprintf(ix, sizeof ix, "%llu", (unsigned long long)index);
    if (!maker) maker = "-";
    struct row *r = table_find(&p->products, id);
    if (!r) {
        r = table_add(&p->products, id);
    } else {
        if (support && strcmp(r->f[P_SUPPORT], "-") && strcmp(support, r->f[P_SUPPORT]) < 0) {
            yyjson_mut_val *o = finding(p, "support_date_earlier", SEV_WARN,
                                        "%s: support date moved earlier, from %s to %s (entry %s)",
                                        id, r->f[P_SUPPORT], support, ix);
            yyjson_mut_obj_add_strcpy(p->doc, o, "product", id);
            yyjson_mut_obj_add_strcpy(p->doc, o, "old", r->f[P_SUPPORT]);
            yyjson_mut_obj_add_strcpy(p->doc, o, "new", support);
            yyjson_mut_obj_add_uint(p->doc, o, "index", index);
        }
        if (strcmp(maker, r->f[P_MAKER]) && strcmp(r->f[P_MAKER], "-")) {
            yyjson_mut_val *o = finding(p, "manufacturer_changed", SEV_WARN,
                                        "%s: the maker changed from %s to %s (entry %s)", id,
                                        r->f[P_MAKER], maker, ix);
            yyjson_mut_obj_add_strcpy(p->doc, o, "product", id);
            yyjson_mut_obj_add_strcpy(p->doc, o, "old", r->f[P_MAKER]);
            yyjson_mut_obj_add_strcpy(p->doc, o, "new", maker);
            yyjson_mut_obj_add_uint(p->doc, o, "index", index);
        }
    }
    row_set(r, P_INDEX, ix);
    row_set(r, P_MAKER, maker);
    if (support) row_set(r, P_SUPPORT, support);
    row_set(r, P_GTIN, gtin);
    free(r->entry);
    r->entry = malloc(len ? len : 1);
    if (!r->entry) abort();
    memcpy(r->entry, data, len);
    r->entry_len = len;
    r->index = index;
    if (!gtin) return;
    struct row *g = table_find(&p->gtins, gtin);
    if (!g) {
        g = table_add(&p->gtins, gtin);
    } else if (strcmp(g->f[G_ID], id) || strcmp(g->f[G_MAKER], maker)) {
        yyjson_mut_val *o =
            finding(p, "gtin_moved", SEV_WARN, "GTIN %s moved from %s (%s) to %s (%s) (entry %s)",
                    gtin, g->f[G_ID], g->f[G_MAKER], id, maker, ix);
        yyjson_mut_obj_add_strcpy(p->doc, o, "gtin", gtin);
        yyjson_mut_obj_add_strcpy(p->doc, o, "old_product", g->f[G_ID]);
        yyjson_mut_obj_add_strcpy(p->doc, o, "old_manufacturer", g->f[G_MAKER]);
        yyjson_mut_obj_add_strcpy(p->doc, o, "product", id);
        yyjson_mut_obj_add_strcpy(p->doc, o, "manufacturer", maker);
        yyjson_mut_obj_add_uint(p->doc, o, "index", index);
    }
    row_set(g, G_ID, id);
    row_set(g, G_MAKER, maker);
}

/* One entry: its leaf into the range, then what it says. */
static int entry(struct pass *p, struct range *g, const char *data, size_t len, uint64_t index)
{
    unsigned char leaf[TLOG_HASH];
    tlog_leaf_hash(data, len, leaf);
    range_push(g, 0, leaf);
    yyjson_doc *d = yyjson_read(data, len, 0);
    yyjson_val *e = yyjson_doc_get_root(d);
    if (yyjson_is_str(yyjson_obj_get(e, "manufacturer_event")))
        maker_event(p, e, index);
    else if (yyjson_is_str(yyjson_obj_get(e, "id")))
        product_entry(p, e, data, len, index);
    else
        finding(p, "entry_unknown", SEV_WARN,
                "entry %llu is neither a product version nor a "
                "maker event",
                (unsigned long long)index);
    yyjson_doc_free(d);
    return CLI_OK;
}

/* Entries m..n-1 from the entry bundles. */
static int read_entries(struct pass *p, struct range *g)
{
    struct buf path = BUF_INIT, body = BUF_INIT;
    int rc = CLI_OK;
    for (uint64_t b = p->m / TLOG_TILE_WIDTH; !rc && b * TLOG_TILE_WIDTH < p->n; b++) {
        uint64_t first = b * TLOG_TILE_WIDTH, w = p->n - first;
        if (w > TLOG_TILE_WIDTH) w = TLOG_TILE_WIDTH;
        buf_reset(&path);
        buf_puts(&path, "/log/");
        note_tile_path(NOTE_TILE_ENTRIES, b, (unsigned)w, &path);
        if ((rc = get(p, buf_cstr(&path), &body))) break;
        size_t at = 0;
        for (uint64_t i = 0; i < w && !rc; i++) {
            if (at + 2 > body.len) {
                rc = cannot(p, "GET %s: the bundle ends before entry %llu", buf_cstr(&path),
                            (unsigned long long)(first + i));
                break;
            }
            size_t len =
                ((size_t)(unsigned char)body.data[at] << 8) | (unsigned char)body.data[at + 1];
            if (at + 2 + len > body.len) {
                rc = cannot(p, "GET %s: entry %llu is cut short", buf_cstr(&path),
                            (unsigned long long)(first + i));
                break;
            }
            if (first + i >= p->m) rc = entry(p, g, body.data + at + 2, len, first + i);
            at += 2 + len;
        }
        if (!rc && at != body.len)
            rc = cannot(p, "GET %s: more bytes than %llu entries", buf_cstr(&path),
                        (unsigned long long)w);
    }
    buf_free(&path);
    buf_free(&body);
    return rc;
}

/* A value for a message: minified JSON, cut; "none" if absent. */
static void show(char *out, size_t n, yyjson_val *v)
{
    size_t len;
    char *s = v ? yyjson_val_write(v, 0, &len) : NULL;
    snprintf(out, n, "%.*s%s", s ? (int)(len > MON_VALUE ? MON_VALUE : len) : 4, s ? s : "none",
             s && len > MON_VALUE ? "..." : "");
    free(s);
}

struct api_ctx {
    struct pass *p;
    const struct row *r;
};

static void api_differs(void *ctx, const char *member, yyjson_val *rv, yyjson_val *ev)
{
    struct api_ctx *a = ctx;
    char rs[MON_VALUE + 8], es[MON_VALUE + 8];
    show(rs, sizeof rs, rv);
    show(es, sizeof es, ev);
    yyjson_mut_doc *d = a->p->doc;
    yyjson_mut_val *o = finding(a->p, "api_differs", SEV_WARN,
                                "%s: the registry shows %s %s, its newest log entry (%llu) says %s",
                                a->r->f[P_ID], member, rs, (unsigned long long)a->r->index, es);
    yyjson_mut_obj_add_strcpy(d, o, "product", a->r->f[P_ID]);
    yyjson_mut_obj_add_strcpy(d, o, "member", member);
    yyjson_mut_obj_add_val(d, o, "registry", rv ? yyjson_val_mut_copy(d, rv) : yyjson_mut_null(d));
    yyjson_mut_obj_add_val(d, o, "log", ev ? yyjson_val_mut_copy(d, ev) : yyjson_mut_null(d));
    yyjson_mut_obj_add_uint(d, o, "index", a->r->index);
}

/* Does the registry's proof (GET .../proof?size=N&version=V) prove that entry is r's newest
 * entry in the signed tree? */
static int proves(const struct pass *p, const struct row *r, const struct buf *entry,
                  const struct buf *proof)
{
    unsigned char hashes[TLOG_PROOF_MAX][TLOG_HASH], leaf[TLOG_HASH];
    struct reg_why why = {""};
    size_t n;
    yyjson_doc *d = yyjson_read(proof->data, proof->len, 0);
    yyjson_val *o = yyjson_doc_get_root(d);
    yyjson_val *ix = yyjson_obj_get(o, "index"), *size = yyjson_obj_get(o, "size");
    int ok = yyjson_is_uint(ix) && yyjson_get_uint(ix) == r->index && yyjson_is_uint(size) &&
             yyjson_get_uint(size) == p->n && !logc_hashes(yyjson_obj_get(o, "proof"), hashes, &n);
    yyjson_doc_free(d);
    if (!ok) return 0;
    tlog_leaf_hash(entry->data, entry->len, leaf);
    return tlogv_inclusion(r->index, p->n, leaf, hashes[0], n, p->root, &why) == 0;
}

/* The record against what the state kept from r's newest entry (maker, support date, GTIN):
 * all there is to compare with when the registry's own copy of the entry is not the logged one. */
static void kept_differs(struct pass *p, const struct row *r, yyjson_val *rec)
{
    static const struct {
        const char *member;
        int field;
    } kept[] = {{"manufacturer", P_MAKER}, {"support_date", P_SUPPORT}, {"gtin", P_GTIN}};
    struct api_ctx a = {p, r};
    yyjson_mut_doc *m = yyjson_mut_doc_new(NULL);
    for (size_t i = 0; i < sizeof kept / sizeof *kept; i++) {
        const char *logged = r->f[kept[i].field];
        yyjson_val *rv = yyjson_obj_get(rec, kept[i].member);
        if (!strcmp(logged, "-") || yyjson_equals_str(rv, logged)) continue;
        yyjson_doc *ev = yyjson_mut_val_imut_copy(yyjson_mut_str(m, logged), NULL);
        api_differs(&a, kept[i].member, rv, yyjson_doc_get_root(ev));
        yyjson_doc_free(ev);
    }
    yyjson_mut_doc_free(m);
}

/* Step 5 for an audited product (no entry of it in this pass): its newest entry as the registry
 * stores it (GET .../versions/V/entry), proved to be entry r->index of the signed tree (GET
 * .../proof?size=N&version=V) into *ed; bytes that are not the logged entry are a finding (its
 * stored version was changed), the record is compared with what the state kept, and *ed is left
 * NULL. 0, or CLI_UNREACHABLE. */
static int audited_entry(struct pass *p, const struct row *r, yyjson_val *rec, yyjson_doc **ed)
{
    unsigned version = (unsigned)yyjson_get_uint(yyjson_obj_get(rec, "version"));
    struct buf path = BUF_INIT, bytes = BUF_INIT, proof = BUF_INIT;
    buf_printf(&path, "/v1/products/%s/versions/%u/entry", r->f[P_ID], version);
    int rc = get(p, buf_cstr(&path), &bytes);
    buf_reset(&path);
    buf_printf(&path, "/v1/products/%s/proof?size=%llu&version=%u", r->f[P_ID],
               (unsigned long long)p->n, version);
    if (!rc) rc = get(p, buf_cstr(&path), &proof);
    if (!rc && proves(p, r, &bytes, &proof)) {
        *ed = yyjson_read(bytes.data, bytes.len, 0);
    } else if (!net_failed) {
        yyjson_mut_val *o =
            finding(p, "entry_not_logged", SEV_WARN,
                    "%s: the registry's copy of version %u is not entry %llu of its "
                    "log%s%s: its stored record was changed",
                    r->f[P_ID], version, (unsigned long long)r->index, rc ? ": " : "",
                    rc ? buf_cstr(&p->msg) : "");
        yyjson_mut_obj_add_strcpy(p->doc, o, "product", r->f[P_ID]);
        yyjson_mut_obj_add_uint(p->doc, o, "index", r->index);
        buf_reset(&p->msg);
        kept_differs(p, r, rec);
        rc = 0;
    }
    buf_free(&path);
    buf_free(&bytes);
    buf_free(&proof);
    return rc;
}

/* Step 5: what the API shows for a product with a new entry, or an audited one. */
static int api_check(struct pass *p, const struct row *r)
{
    struct buf path = BUF_INIT, body = BUF_INIT;
    buf_printf(&path, "/v1/products/%s", r->f[P_ID]);
    int rc = get(p, buf_cstr(&path), &body);
    yyjson_doc *rd = rc ? NULL : yyjson_read(body.data, body.len, 0);
    yyjson_doc *ed = rc ? NULL : yyjson_read(r->entry, r->entry_len, 0);
    yyjson_val *rec = yyjson_doc_get_root(rd);
    yyjson_val *li = yyjson_obj_get(yyjson_obj_get(rec, "log"), "index");
    if (rc) {
        yyjson_mut_obj_add_strcpy(
            p->doc, finding(p, "api_missing", SEV_WARN, "%s: %s", r->f[P_ID], buf_cstr(&p->msg)),
            "product", r->f[P_ID]);
        buf_reset(&p->msg);
        rc = net_failed ? CLI_UNREACHABLE : CLI_OK;
    } else if (!yyjson_is_uint(li) ||
               (yyjson_get_uint(li) != r->index && yyjson_get_uint(li) < p->n)) {
        char shown[32] = "none";
        if (yyjson_is_uint(li))
            snprintf(shown, sizeof shown, "%llu", (unsigned long long)yyjson_get_uint(li));
        yyjson_mut_val *o = finding(p, "api_log_index", SEV_WARN,
                                    "%s: the registry shows log entry %s, the newest entry for it "
                                    "is %llu",
                                    r->f[P_ID], shown, (unsigned long long)r->index);
        yyjson_mut_obj_add_strcpy(p->doc, o, "product", r->f[P_ID]);
        yyjson_mut_obj_add_uint(p->doc, o, "index", r->index);
    } else if (yyjson_get_uint(li) == r->index) { /* else: a version newer than the checkpoint */
        if (!r->entry && (rc = audited_entry(p, r, rec, &ed)) == 0 && net_failed)
            rc = CLI_UNREACHABLE;
        struct api_ctx a = {p, r};
        if (!rc && ed) logc_compare(rec, yyjson_doc_get_root(ed), api_differs, &a);
    }
    yyjson_doc_free(rd);
    yyjson_doc_free(ed);
    buf_free(&path);
    buf_free(&body);
    return rc;
}

/* Step 5b: the next o->audit products with no new entry (the rows read from the state, in
 * their sorted order, after the one dir/audit names, wrapping round), each compared with the
 * API through its proved entry; dir/audit then names the last one. A registry of K products is
 * so audited whole every K / --audit passes. */
static int audit(struct pass *p, const char *dir, size_t loaded)
{
    struct buf path = BUF_INIT, last = BUF_INIT;
    buf_printf(&path, "%s/audit", dir);
    if (access(buf_cstr(&path), F_OK) == 0 &&
        cli_read_file(buf_cstr(&path), DECL_ID_MAX + 2, &last) == 0 && last.len &&
        last.data[last.len - 1] == '\n')
        last.data[--last.len] = '\0';
    size_t start = 0, done = 0;
    while (start < loaded && last.len &&
           strcmp(p->products.rows[start].f[P_ID], buf_cstr(&last)) <= 0)
        start++;
    int rc = 0;
    const char *checked = NULL;
    for (size_t k = 0; !rc && k < loaded && done < p->o->audit; k++) {
        struct row *r = &p->products.rows[(start + k) % loaded];
        if (r->entry) continue; /* compared already, with its new entry */
        r->index = strtoull(r->f[P_INDEX], NULL, 10);
        rc = api_check(p, r);
        checked = r->f[P_ID];
        done++;
    }
    p->audited = done;
    if (checked) {
        buf_reset(&last);
        buf_printf(&last, "%s\n", checked);
        if (!rc && (logc_make_dirs(dir) || cli_write_file(buf_cstr(&path), last.data, last.len)))
            rc = cannot(p, "cannot write %s", buf_cstr(&path));
    }
    buf_free(&path);
    buf_free(&last);
    return rc;
}

/* Steps 1-2: the new checkpoint and the old one; p->m, p->n. old_size/old_root: the old
 * checkpoint (have_old 0: none). */
static int check_checkpoints(struct pass *p, int have_old, uint64_t old_size,
                             const unsigned char *old_root)
{
    struct reg_why why = {""};
    int rc = get(p, "/log/checkpoint", &p->cp);
    if (rc) return rc;
    rc = logc_checkpoint(p->v, p->cp.data, p->cp.len, &p->n, p->root, &why);
    if (rc == REG_EUNVERIFIED)
        return cannot(p, "the checkpoint is not signed by the pinned key %s (%s)", p->v->name,
                      why.text);
    if (rc) return cannot(p, "the checkpoint is not one of %s (%s)", p->v->name, why.text);
    p->m = old_size;
    if (!have_old) {
        if (p->m > p->n)
            return cannot(p, "the log has %llu entries, fewer than --from-size %llu",
                          (unsigned long long)p->n, (unsigned long long)p->m);
        return CLI_OK;
    }
    if (old_size == 0) return CLI_OK;
    struct buf msg = BUF_INIT;
    if (p->n == old_size)
        rc = memcmp(p->root, old_root, TLOG_HASH) ? REG_EBADPROOF : CLI_OK;
    else if (p->n > old_size)
        rc = logc_consistent(p->c, old_size, old_root, p->n, p->root, &msg, &why);
    else
        rc = logc_consistent(p->c, p->n, p->root, old_size, old_root, &msg, &why);
    if (rc == REG_EBADPROOF) {
        yyjson_mut_val *o = finding(
            p, "fork", SEV_FATAL,
            "THE LOG FORKED: the signed checkpoint of %llu entries is not consistent with the "
            "one of %llu entries verified before%s%s; stopped, state kept",
            (unsigned long long)p->n, (unsigned long long)old_size, why.text[0] ? ": " : "",
            why.text);
        yyjson_mut_obj_add_uint(p->doc, o, "size", p->n);
        yyjson_mut_obj_add_uint(p->doc, o, "old_size", old_size);
        rc = cannot(p, "the log forked");
    } else if (p->n < old_size && rc != CLI_UNREACHABLE) { /* proved or not: it went back */
        yyjson_mut_val *o = finding(
            p, "rollback", SEV_FATAL,
            "THE LOG WENT BACK: the signed checkpoint has %llu entries, fewer than the %llu "
            "verified before%s%s%s; stopped, state kept",
            (unsigned long long)p->n, (unsigned long long)old_size,
            rc ? ", and the registry cannot prove it is the start of that log (" : "",
            rc ? buf_cstr(&msg) : "", rc ? ")" : "");
        yyjson_mut_obj_add_uint(p->doc, o, "size", p->n);
        yyjson_mut_obj_add_uint(p->doc, o, "old_size", old_size);
        rc = cannot(p, "the log went back");
    } else if (rc) {
        rc = cannot(p, "%s", msg.len ? buf_cstr(&msg) : "cannot reach the registry");
    }
    buf_free(&msg);
    return rc;
}

/* Where the old checkpoint comes from: 0, or an exit code. */
static int old_checkpoint(struct pass *p, const char *state_cp, int *have, uint64_t *size,
                          unsigned char root[TLOG_HASH])
{
    const char *file = p->o->from_cp ? p->o->from_cp : state_cp;
    struct buf b = BUF_INIT;
    struct reg_why why = {""};
    *have = 0;
    *size = p->o->has_from_size ? p->o->from_size : 0;
    if (p->o->has_from_size || (!p->o->from_cp && access(state_cp, F_OK) != 0)) return CLI_OK;
    int rc = cli_read_file(file, LOGC_FILE_MAX, &b);
    if (!rc && logc_checkpoint(p->v, b.data, b.len, size, root, &why))
        rc = cannot(p, "the checkpoint in %s does not open with the pinned key (%s)", file,
                    why.text);
    else if (rc)
        rc = cannot(p, "cannot read %s", file);
    *have = !rc;
    buf_free(&b);
    return rc;
}

static void print_findings(const struct pass *p)
{
    yyjson_mut_val *o;
    size_t i, max;
    yyjson_mut_arr_foreach(p->findings, i, max, o)
    {
        if (p->o->json) {
            char *s = yyjson_mut_val_write(o, 0, NULL);
            if (s) puts(s);
            free(s);
        } else {
            struct buf line = BUF_INIT;
            const char *kind = yyjson_mut_get_str(yyjson_mut_obj_get(o, "finding"));
            const char *text = yyjson_mut_get_str(yyjson_mut_obj_get(o, "message"));
            const char *sev = yyjson_mut_get_str(yyjson_mut_obj_get(o, "severity"));
            if (!strcmp(sev, sev_names[SEV_INFO])) buf_puts(&line, "note: ");
            cli_safe(&line, kind, strlen(kind));
            buf_puts(&line, ": ");
            cli_safe(&line, text, strlen(text));
            puts(buf_cstr(&line));
            buf_free(&line);
        }
    }
    fflush(stdout);
}

static int save_state(struct pass *p, const char *dir, const char *cp_path)
{
    if (logc_make_dirs(dir) != 0) {
        fprintf(stderr, "seclabel: cannot create %s: %s\n", dir, strerror(errno));
        return CLI_FAILED;
    }
    int rc = table_save(&p->products, dir);
    if (!rc) rc = table_save(&p->gtins, dir);
    if (!rc) rc = cli_write_file(cp_path, p->cp.data, p->cp.len); /* last: the commit mark */
    return rc;
}

/* One pass; the exit code. */
static int pass(struct client *c, const struct note_verifier *v, const struct mopts *o,
                const char *dir)
{
    struct pass p = {.c = c, .v = v, .o = o, .worst = -1};
    net_failed = 0;
    struct table init_p = {"products", 5, NULL, 0, 0, NULL, 0};
    struct table init_g = {"gtins", 3, NULL, 0, 0, NULL, 0};
    p.products = init_p;
    p.gtins = init_g;
    p.doc = yyjson_mut_doc_new(NULL);
    p.findings = yyjson_mut_arr(p.doc);
    buf_init(&p.cp);
    buf_init(&p.msg);
    struct buf cp_path = BUF_INIT;
    buf_printf(&cp_path, "%s/checkpoint", dir);
    unsigned char old_root[TLOG_HASH], r[TLOG_HASH];
    int have_old;
    uint64_t old_size;
    struct range *g = calloc(1, sizeof *g);
    int rc = old_checkpoint(&p, buf_cstr(&cp_path), &have_old, &old_size, old_root);
    if (!rc) rc = check_checkpoints(&p, have_old, old_size, old_root);
    int tables = 0;
    size_t loaded = 0; /* rows read from the state */
    if (!rc && (p.n > p.m || (have_old && o->audit))) {
        tables = 1;
        rc = table_load(&p.products, dir, p.n - p.m);
        if (!rc) rc = table_load(&p.gtins, dir, p.n - p.m);
        if (rc) rc = cannot(&p, "cannot read the state in %s", dir);
        loaded = p.products.n;
    }
    if (!rc && p.n > p.m) rc = range_start(&p, p.m, g);
    if (!rc && p.n > p.m && have_old) {
        range_root(g, r);
        if (memcmp(r, old_root, TLOG_HASH))
            rc = cannot(&p,
                        "the level tiles do not make the root of the checkpoint of %llu "
                        "entries verified before",
                        (unsigned long long)p.m);
    }
    if (!rc && p.n > p.m) rc = read_entries(&p, g);
    if (!rc && p.n > p.m) {
        range_root(g, r);
        if (memcmp(r, p.root, TLOG_HASH))
            rc = cannot(&p,
                        "entries %llu..%llu and the level tiles do not make the signed "
                        "checkpoint's root: what the registry serves is not its signed log",
                        (unsigned long long)p.m, (unsigned long long)p.n - 1);
    }
    for (size_t i = 0; !rc && i < p.products.n; i++)
        if (p.products.rows[i].entry) rc = api_check(&p, &p.products.rows[i]);
    if (!rc && loaded && o->audit) rc = audit(&p, dir, loaded);
    if (!rc && p.n > p.m)
        rc = save_state(&p, dir, buf_cstr(&cp_path)) ? CLI_UNREACHABLE : 0;
    else if (!rc && !have_old && p.n == p.m)
        rc = save_state(&p, dir, buf_cstr(&cp_path));
    print_findings(&p);
    if (rc) {
        fprintf(stderr, "seclabel: monitor: %sthe log could not be checked: %s%s\n",
                cli_colour(stderr, CLI_RED), buf_cstr(&p.msg), cli_colour(stderr, CLI_RESET));
    } else {
        size_t nf = yyjson_mut_arr_size(p.findings) - p.n_info;
        char what[128] = "no new entries", found[96], notes[64] = "";
        if (p.n > p.m)
            snprintf(what, sizeof what, "entries %llu..%llu read and checked",
                     (unsigned long long)p.m, (unsigned long long)p.n - 1);
        if (p.audited)
            snprintf(what + strlen(what), sizeof what - strlen(what),
                     ", %zu other product%s audited", p.audited, p.audited == 1 ? "" : "s");
        if (p.n_info)
            snprintf(notes, sizeof notes, "; %zu informational entr%s", p.n_info,
                     p.n_info == 1 ? "y" : "ies");
        if (nf)
            snprintf(found, sizeof found, "%zu finding%s to look at%s", nf, nf == 1 ? "" : "s",
                     notes);
        else
            snprintf(found, sizeof found, "nothing wrong%s", notes);
        fprintf(stderr, "seclabel: monitor: %s: checkpoint of %llu entries verified; %s (%s); %s\n",
                v->name, (unsigned long long)p.n, what,
                have_old ? "consistent with the checkpoint verified before"
                : p.m    ? "from --from-size: no earlier checkpoint to compare"
                         : "a first run: the whole log, from entry 0",
                found);
        rc = p.worst >= SEV_WARN ? CLI_FAILED : CLI_OK;
    }
    if (tables) {
        table_free(&p.products);
        table_free(&p.gtins);
    }
    free(g);
    yyjson_mut_doc_free(p.doc);
    buf_free(&p.cp);
    buf_free(&p.msg);
    buf_free(&cp_path);
    return rc;
}

/* ---- the command ---- */

static volatile sig_atomic_t stop_now;

static void on_signal(int sig)
{
    (void)sig;
    stop_now = 1;
}

static int number(const char *a, const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || errno || v > max || s[0] == '-')
        return cli_usage_error("monitor: %s needs a number up to %llu", a, (unsigned long long)max);
    *out = v;
    return CLI_OK;
}

static int parse_args(int argc, char **argv, struct mopts *o)
{
    uint64_t n;
    o->interval = MON_INTERVAL;
    o->audit = MON_AUDIT;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "--once")) {
            o->once = 1;
        } else if (!strcmp(a, "--from-checkpoint") || !strcmp(a, "--from-size") ||
                   !strcmp(a, "--interval") || !strcmp(a, "--state") || !strcmp(a, "--log-key") ||
                   !strcmp(a, "--audit")) {
            if (i + 1 >= argc) return cli_usage_error("%s needs a value", a);
            const char *val = argv[++i];
            if (!strcmp(a, "--from-checkpoint")) o->from_cp = val;
            if (!strcmp(a, "--state")) o->state = val;
            if (!strcmp(a, "--log-key")) o->key = val;
            if (!strcmp(a, "--from-size")) {
                if (number(a, val, (uint64_t)1 << 62, &o->from_size)) return CLI_USAGE;
                o->has_from_size = 1;
            }
            if (!strcmp(a, "--audit") && strcmp(val, "all") &&
                number(a, val, (uint64_t)1 << 62, &o->audit))
                return CLI_USAGE;
            if (!strcmp(a, "--audit") && !strcmp(val, "all")) o->audit = UINT64_MAX;
            if (!strcmp(a, "--interval")) {
                if (number(a, val, 86400, &n) || n == 0)
                    return cli_usage_error("monitor: --interval is 1 to 86400 seconds");
                o->interval = (unsigned)n;
            }
        } else {
            return cli_usage_error("monitor: unknown argument %s", a);
        }
    }
    if (o->from_cp && o->has_from_size)
        return cli_usage_error("--from-checkpoint and --from-size do not go together");
    return CLI_OK;
}

int cmd_monitor(int argc, char **argv, struct client *c)
{
    struct mopts o = {0};
    struct note_verifier v;
    int rc = parse_args(argc, argv, &o);
    if (rc || (rc = logc_key(o.key, "monitor", c, NULL, &v))) return rc;
    struct buf dir = BUF_INIT, unused = BUF_INIT;
    if (o.state)
        buf_puts(&dir, o.state);
    else if (logc_config_path("monitor", v.name, &unused, &dir)) {
        buf_free(&unused);
        return cli_usage_error("monitor: no config directory (set HOME or XDG_CONFIG_HOME) "
                               "and no --state DIR");
    }
    buf_free(&unused);
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: sleep() returns at once */
    sigaction(SIGTERM, &sa, NULL);
    int worst = CLI_OK;
    for (;;) {
        rc = pass(c, &v, &o, buf_cstr(&dir));
        if (o.once) {
            worst = rc;
            break;
        }
        if (rc == CLI_FAILED) worst = CLI_FAILED;
        if (rc == CLI_UNREACHABLE && !net_failed) { /* a fork, a bad signature, ...: stop */
            worst = rc;
            break;
        } /* the registry unreachable: retried after the interval */
        for (unsigned s = o.interval; s && !stop_now;)
            s = sleep(s);
        if (stop_now) break;
    }
    buf_free(&dir);
    return worst;
}
