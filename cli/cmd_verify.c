/* cmd_verify.c: seclabel verify ID [--log-key VKEY] [--json] [--save DIR] [--offline DIR]:
 * checks, with no trust in the registry beyond the log key the user pinned, that a product's
 * current record is what the registry's transparency log holds (docs/CLI.md's "Checking a
 * record against the log"):
 *
 *   1. GET /v1/products/{id}: the record people see (the page and the label are made from it);
 *   2. GET /v1/products/{id}/proof?version=V: the inclusion proof to the newest checkpoint, which
 *      the answer carries; the checkpoint must be signed by the pinned key, its origin the key's
 *      name (note.h);
 *   3. GET /v1/products/{id}/versions/{V}/entry: the entry's bytes; their leaf hash must be
 *      proved to be entry "index" of that checkpoint's tree (tlogv.h);
 *   4. the entry must say what the record says: every member of the entry equal to the
 *      record's, and no declaration field in the record that the entry lacks (support date,
 *      default password, contacts, status, maker, ID, version, GTIN, ...);
 *   5. the checkpoint must be consistent with the last one this CLI saw for that origin
 *      (kept in CONFIG/checkpoints/<origin, %-escaped>; GET /log/proof?old=M&new=N), and the
 *      newer one is kept. A smaller checkpoint than one seen (a log gone back) and two roots for
 *      one size (a fork) are failures.
 *
 * --save DIR writes what was fetched (record.json, entry.json, proof.json, checkpoint, log-key);
 * --offline DIR checks 1-4 from such a directory without the network (5 only as far as the
 * checkpoint kept here has the same size). Exit 0 verified, 1 a check failed (stderr says which,
 * with both values), 2 usage or no pinned key, 3 the registry cannot be reached. */
#include "cli.h"

#include "decl.h"
#include "err.h"
#include "logc.h"
#include "note.h"
#include "tlog.h"
#include "tlogv.h"

#include <errno.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define VERIFY_FILE_MAX LOGC_FILE_MAX /* bytes of a saved file read back */
#define PROOF_TRIES 4                 /* a new version is in a signed checkpoint within ~1 s */
#define VALUE_SHOWN 200               /* bytes of a differing value shown */

/* The files --save writes and --offline reads, in that order (the key last: for people). */
enum { F_RECORD, F_ENTRY, F_PROOF, F_CHECKPOINT, F_KEY, F__COUNT };
static const char *const file_names[F__COUNT] = {"record.json", "entry.json", "proof.json",
                                                 "checkpoint", "log-key"};

struct vopts {
    const char *id, *key, *save, *offline;
    int json;
};

/* What was fetched (or read back): the files' bytes. */
struct vin {
    struct buf f[F__COUNT];
};

/* What the checks found. */
struct vres {
    const char *failed; /* NULL while all holds; else the check that failed (a stable word) */
    struct buf message; /* what failed, for people */
    yyjson_mut_doc *diffs_doc;
    yyjson_mut_val *diffs; /* [{"field","registry","entry"}] when the entry says otherwise */
    char origin[NOTE_NAME_MAX + 1];
    unsigned long version;
    uint64_t index, size, seen; /* seen: the size of the checkpoint seen before (0: none) */
    unsigned char root[TLOG_HASH];
    const char *consistency; /* how the checkpoint relates to the one seen before */
};

static int fail(struct vres *r, const char *check, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct vres *r, const char *check, const char *fmt, ...)
{
    va_list ap;
    r->failed = check;
    buf_reset(&r->message);
    va_start(ap, fmt);
    char text[1024];
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    buf_puts(&r->message, text);
    return CLI_FAILED;
}

/* ---- reading what the registry sent ---- */

static uint64_t member_u64(yyjson_val *o, const char *name, int *ok)
{
    yyjson_val *v = yyjson_obj_get(o, name);
    if (!yyjson_is_uint(v)) *ok = 0;
    return yyjson_get_uint(v);
}

/* ---- the checks ---- */

/* Open the checkpoint with the pinned key: r->size, r->root, r->origin. */
static int check_checkpoint(const struct note_verifier *v, const struct buf *cp, struct vres *r)
{
    struct reg_why why = {""};
    int rc = logc_checkpoint(v, cp->data, cp->len, &r->size, r->root, &why);
    if (rc == REG_EUNVERIFIED)
        return fail(r, "signature", "the checkpoint is not signed by the pinned key %s (%s)",
                    v->name, why.text);
    if (rc) return fail(r, "checkpoint", "the checkpoint is not one of %s (%s)", v->name, why.text);
    snprintf(r->origin, sizeof r->origin, "%s", v->name);
    return CLI_OK;
}

/* A value for a message: minified JSON, cut at VALUE_SHOWN bytes; "none" if absent. */
static void show(struct buf *out, yyjson_val *v)
{
    if (!v) {
        buf_puts(out, "none");
        return;
    }
    size_t len;
    char *s = yyjson_val_write(v, 0, &len);
    if (!s) return;
    buf_append(out, s, len > VALUE_SHOWN ? VALUE_SHOWN : len);
    if (len > VALUE_SHOWN) buf_puts(out, "...");
    free(s);
}

static void differs(void *ctx, const char *field, yyjson_val *rv, yyjson_val *ev)
{
    struct vres *r = ctx;
    if (!r->diffs) {
        r->diffs_doc = yyjson_mut_doc_new(NULL);
        r->diffs = yyjson_mut_arr(r->diffs_doc);
        buf_reset(&r->message);
        buf_puts(&r->message, "the log entry does not say what the registry shows:");
    } else {
        buf_putc(&r->message, ';');
    }
    r->failed = "field";
    buf_printf(&r->message, " %s: the registry shows ", field);
    show(&r->message, rv);
    buf_puts(&r->message, ", the log entry says ");
    show(&r->message, ev);
    yyjson_mut_doc *d = r->diffs_doc;
    yyjson_mut_val *o = yyjson_mut_arr_add_obj(d, r->diffs);
    yyjson_mut_obj_add_strcpy(d, o, "field", field);
    yyjson_mut_obj_add_val(d, o, "registry", rv ? yyjson_val_mut_copy(d, rv) : yyjson_mut_null(d));
    yyjson_mut_obj_add_val(d, o, "entry", ev ? yyjson_val_mut_copy(d, ev) : yyjson_mut_null(d));
}

/* Every member of the entry must be the record's, and every logged member the record has must
 * be in the entry (logc.h). */
static int check_fields(yyjson_val *rec, yyjson_val *entry, struct vres *r)
{
    return logc_compare(rec, entry, differs, r) ? CLI_FAILED : CLI_OK;
}

/* The proof's answer must be about this version, to this checkpoint, and prove the entry. */
static int check_inclusion(const char *id, yyjson_val *rec, yyjson_val *proof,
                           const struct buf *entry, struct vres *r)
{
    unsigned char hashes[TLOG_PROOF_MAX][TLOG_HASH], leaf[TLOG_HASH];
    size_t n;
    int ok = 1;
    uint64_t size = member_u64(proof, "size", &ok), version = member_u64(proof, "version", &ok);
    r->index = member_u64(proof, "index", &ok);
    const char *pid = yyjson_get_str(yyjson_obj_get(proof, "id"));
    if (!ok || !pid || logc_hashes(yyjson_obj_get(proof, "proof"), hashes, &n))
        return fail(r, "proof", "the inclusion proof is malformed");
    if (strcmp(pid, id) || version != r->version)
        return fail(r, "proof", "the inclusion proof is for %s version %llu, not %s version %lu",
                    pid, (unsigned long long)version, id, r->version);
    if (size != r->size)
        return fail(r, "proof",
                    "the inclusion proof is to a tree of %llu entries, the "
                    "checkpoint's has %llu",
                    (unsigned long long)size, (unsigned long long)r->size);
    yyjson_val *li = yyjson_obj_get(yyjson_obj_get(rec, "log"), "index");
    if (!yyjson_is_uint(li)) return fail(r, "field", "the registry's record shows no log index");
    if (yyjson_get_uint(li) != r->index)
        return fail(r, "field", "log.index: the registry shows %llu, the proof is for entry %llu",
                    (unsigned long long)yyjson_get_uint(li), (unsigned long long)r->index);
    tlog_leaf_hash(entry->data, entry->len, leaf);
    struct reg_why why = {""};
    if (tlogv_inclusion(r->index, r->size, leaf, hashes[0], n, r->root, &why))
        return fail(r, "inclusion", "the entry is not proved to be in the log: %s", why.text);
    return CLI_OK;
}

/* Steps 1-4 on what was fetched or read back. */
static int check_all(const char *id, const struct note_verifier *v, const struct vin *in,
                     struct vres *r)
{
    int rc = check_checkpoint(v, &in->f[F_CHECKPOINT], r);
    if (rc) return rc;
    yyjson_doc *rd = yyjson_read(in->f[F_RECORD].data, in->f[F_RECORD].len, 0);
    yyjson_doc *pd = yyjson_read(in->f[F_PROOF].data, in->f[F_PROOF].len, 0);
    yyjson_doc *ed = yyjson_read(in->f[F_ENTRY].data, in->f[F_ENTRY].len, 0);
    yyjson_val *rec = yyjson_doc_get_root(rd), *proof = yyjson_doc_get_root(pd);
    yyjson_val *entry = yyjson_doc_get_root(ed);
    const char *rid = yyjson_get_str(yyjson_obj_get(rec, "id"));
    r->version = (unsigned long)yyjson_get_uint(yyjson_obj_get(rec, "version"));
    if (!yyjson_is_obj(rec) || !rid || !r->version)
        rc = fail(r, "record", "the registry's record is not a product record");
    else if (strcmp(rid, id))
        rc = fail(r, "field", "id: the registry shows \"%s\" for %s", rid, id);
    else if (!yyjson_is_obj(proof))
        rc = fail(r, "proof", "the inclusion proof is not JSON");
    else
        rc = check_inclusion(id, rec, proof, &in->f[F_ENTRY], r);
    if (!rc && !yyjson_is_obj(entry))
        rc = fail(r, "entry", "the log entry is not a product record");
    if (!rc) rc = check_fields(rec, entry, r);
    yyjson_doc_free(rd);
    yyjson_doc_free(pd);
    yyjson_doc_free(ed);
    return rc;
}

/* ---- the checkpoint seen before ---- */

/* CONFIG/checkpoints/<origin, %-escaped> (logc.h); 1 without a config directory. *dir gets
 * CONFIG/checkpoints. */
static int seen_path(const char *origin, struct buf *dir, struct buf *path)
{
    return logc_config_path("checkpoints", origin, dir, path);
}

/* The checkpoint seen before, opened with the pinned key: 0 (*size 0: none), or CLI_FAILED. */
static int load_seen(const struct note_verifier *v, const char *path, uint64_t *size,
                     unsigned char root[TLOG_HASH], struct vres *r)
{
    struct buf b = BUF_INIT;
    struct reg_why why = {""};
    *size = 0;
    if (access(path, F_OK) != 0) return CLI_OK;
    int rc = cli_read_file(path, VERIFY_FILE_MAX, &b);
    if (!rc && logc_checkpoint(v, b.data, b.len, size, root, &why))
        rc = fail(r, "seen",
                  "the checkpoint this CLI kept in %s does not open with the pinned "
                  "key (%s): if you changed the key on purpose, remove that file",
                  path, why.text);
    buf_free(&b);
    return rc;
}

static void keep_seen(const char *dir, const char *path, const struct buf *cp)
{
    if (logc_make_dirs(dir) != 0)
        fprintf(stderr, "seclabel: warning: cannot create %s: %s\n", dir, strerror(errno));
    else
        cli_write_file(path, cp->data, cp->len);
}

/* GET one resource into out (logc_get): CLI_OK for a 200, else the exit code with r saying
 * why, and the server's error code in code[LOGC_CODE_MAX] if code is not NULL. */
static int fetch(struct client *c, const char *path, struct buf *out, struct vres *r, char *code)
{
    struct buf msg = BUF_INIT;
    int rc = logc_get(c, path, out, &msg, code);
    if (rc == CLI_UNREACHABLE)
        fail(r, "network", "cannot reach the registry");
    else if (rc)
        fail(r, "http", "%s", buf_cstr(&msg));
    buf_free(&msg);
    return rc;
}

/* Is one checkpoint of this log consistent with the other? (old_size < new_size) */
static int consistent(struct client *c, uint64_t m, const unsigned char *r1, uint64_t n,
                      const unsigned char *r2, struct vres *r, struct reg_why *why)
{
    struct buf msg = BUF_INIT;
    int rc = logc_consistent(c, m, r1, n, r2, &msg, why);
    if (rc == CLI_UNREACHABLE)
        fail(r, "network", "cannot reach the registry");
    else if (rc && rc != REG_EBADPROOF)
        fail(r, "consistency", "%s", buf_cstr(&msg));
    buf_free(&msg);
    return rc;
}

/* A checkpoint smaller than the one seen before is never right: a fork if the registry proves
 * the two disagree; else a stale copy or a log rolled back, and surely rolled back when the
 * registry cannot prove the smaller tree is the start of the one seen (it no longer holds it). */
static int older_seen(struct client *c, const unsigned char seen_root[TLOG_HASH], const char *path,
                      struct vres *r)
{
    struct buf msg = BUF_INIT;
    struct reg_why why = {""};
    int rc = logc_consistent(c, r->size, r->root, r->seen, seen_root, &msg, &why);
    if (rc == CLI_UNREACHABLE)
        fail(r, "network", "cannot reach the registry");
    else if (rc == REG_EBADPROOF)
        rc = fail(r, "fork",
                  "the log forked: the checkpoint of %llu entries is not the start of the one of "
                  "%llu entries this CLI saw before (%s): %s",
                  (unsigned long long)r->size, (unsigned long long)r->seen, path, why.text);
    else if (rc)
        rc = fail(r, "rollback",
                  "the registry showed a checkpoint of %llu entries, older than the one of %llu "
                  "entries this CLI saw before (%s), and cannot prove it is the start of it (%s): "
                  "a log rolled back",
                  (unsigned long long)r->size, (unsigned long long)r->seen, path, buf_cstr(&msg));
    else
        rc = fail(r, "rollback",
                  "the registry showed a checkpoint of %llu entries, older than the one of %llu "
                  "entries this CLI saw before (%s): a stale copy or a log rolled back",
                  (unsigned long long)r->size, (unsigned long long)r->seen, path);
    buf_free(&msg);
    return rc;
}

/* Step 5: against the checkpoint seen before; the newer one is kept. Offline (c NULL), only a
 * checkpoint of the same size can be compared. */
static int check_seen(struct client *c, const struct note_verifier *v, const struct buf *cp,
                      struct vres *r)
{
    struct buf dir = BUF_INIT, path = BUF_INIT;
    unsigned char root[TLOG_HASH];
    struct reg_why why = {""};
    int rc = CLI_OK;
    if (seen_path(r->origin, &dir, &path)) {
        r->consistency = "not checked: no config directory (set HOME or XDG_CONFIG_HOME)";
        goto out;
    }
    if ((rc = load_seen(v, buf_cstr(&path), &r->seen, root, r))) goto out;
    if (!r->seen) {
        r->consistency = c ? "the first checkpoint of this log seen here: kept to check the "
                             "next ones against"
                           : "not checked: no checkpoint of this log seen here before";
    } else if (r->seen == r->size) {
        if (memcmp(root, r->root, TLOG_HASH))
            rc = fail(r, "fork",
                      "the log forked: the checkpoint of %llu entries has another root hash "
                      "than the one of the same size this CLI saw before (%s)",
                      (unsigned long long)r->size, buf_cstr(&path));
        r->consistency = "the same as the checkpoint seen before";
    } else if (!c) {
        r->consistency = "not checked offline: the checkpoint seen before has another size";
    } else if (r->seen < r->size) {
        rc = consistent(c, r->seen, root, r->size, r->root, r, &why);
        if (rc == REG_EBADPROOF)
            rc = fail(r, "fork",
                      "the log forked: the checkpoint of %llu entries does not extend the one "
                      "of %llu entries this CLI saw before (%s): %s",
                      (unsigned long long)r->size, (unsigned long long)r->seen, buf_cstr(&path),
                      why.text);
        r->consistency = "consistent with the checkpoint seen before";
    } else {
        rc = older_seen(c, root, buf_cstr(&path), r);
    }
    if (!rc && c && r->size > r->seen) keep_seen(buf_cstr(&dir), buf_cstr(&path), cp);
out:
    buf_free(&dir);
    buf_free(&path);
    return rc;
}

/* ---- fetching, saving, reading back ---- */

static int fetch_all(struct client *c, const char *id, struct vin *in, struct vres *r)
{
    struct buf path = BUF_INIT;
    char code[LOGC_CODE_MAX];
    buf_printf(&path, "/v1/products/%s", id);
    int rc = fetch(c, buf_cstr(&path), &in->f[F_RECORD], r, NULL);
    yyjson_doc *d = rc ? NULL : yyjson_read(in->f[F_RECORD].data, in->f[F_RECORD].len, 0);
    r->version = (unsigned long)yyjson_get_uint(yyjson_obj_get(yyjson_doc_get_root(d), "version"));
    yyjson_doc_free(d);
    if (!rc && !r->version) rc = fail(r, "record", "the registry's record has no version");
    for (int t = 1; !rc; t++) { /* the proof to the newest checkpoint, which it carries */
        buf_reset(&path);
        buf_printf(&path, "/v1/products/%s/proof?version=%lu", id, r->version);
        rc = fetch(c, buf_cstr(&path), &in->f[F_PROOF], r, code);
        if (!rc || t >= PROOF_TRIES || strcmp(code, "not_in_checkpoint")) break;
        rc = CLI_OK;
        r->failed = NULL;
        sleep(1); /* the version is newer than the newest checkpoint: one comes every second */
    }
    if (!rc) {
        d = yyjson_read(in->f[F_PROOF].data, in->f[F_PROOF].len, 0);
        yyjson_val *cp = yyjson_obj_get(yyjson_doc_get_root(d), "checkpoint");
        if (yyjson_is_str(cp))
            buf_append(&in->f[F_CHECKPOINT], yyjson_get_str(cp), yyjson_get_len(cp));
        else
            rc = fail(r, "proof", "the inclusion proof carries no checkpoint");
        yyjson_doc_free(d);
    }
    if (!rc) {
        buf_reset(&path);
        buf_printf(&path, "/v1/products/%s/versions/%lu/entry", id, r->version);
        rc = fetch(c, buf_cstr(&path), &in->f[F_ENTRY], r, NULL);
    }
    buf_free(&path);
    return rc;
}

static int save_all(const char *dir, const struct vin *in)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "seclabel: cannot create %s: %s\n", dir, strerror(errno));
        return CLI_FAILED;
    }
    struct buf p = BUF_INIT;
    int rc = CLI_OK;
    for (int i = 0; i < F__COUNT && !rc; i++) {
        buf_reset(&p);
        buf_printf(&p, "%s/%s", dir, file_names[i]);
        rc = cli_write_file(buf_cstr(&p), in->f[i].data ? in->f[i].data : "", in->f[i].len);
    }
    buf_free(&p);
    return rc;
}

static int read_all(const char *dir, struct vin *in)
{
    struct buf p = BUF_INIT;
    int rc = CLI_OK;
    for (int i = 0; i < F_KEY && !rc; i++) { /* never the saved key: only the pinned one */
        buf_reset(&p);
        buf_printf(&p, "%s/%s", dir, file_names[i]);
        rc = cli_read_file(buf_cstr(&p), VERIFY_FILE_MAX, &in->f[i]);
    }
    buf_free(&p);
    return rc;
}

/* ---- the verdict ---- */

static void print_json(const struct vopts *o, const struct vres *r)
{
    yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *root = yyjson_mut_obj(d);
    yyjson_mut_doc_set_root(d, root);
    yyjson_mut_obj_add_bool(d, root, "verified", r->failed == NULL);
    yyjson_mut_obj_add_str(d, root, "id", o->id);
    if (r->version) yyjson_mut_obj_add_uint(d, root, "version", r->version);
    if (r->failed) {
        yyjson_mut_obj_add_str(d, root, "failed", r->failed);
        yyjson_mut_obj_add_strncpy(d, root, "message", r->message.data, r->message.len);
        if (r->diffs)
            yyjson_mut_obj_add_val(d, root, "differences", yyjson_mut_val_mut_copy(d, r->diffs));
    }
    if (r->origin[0]) {
        char b64[sodium_base64_ENCODED_LEN(TLOG_HASH, sodium_base64_VARIANT_ORIGINAL)];
        sodium_bin2base64(b64, sizeof b64, r->root, TLOG_HASH, sodium_base64_VARIANT_ORIGINAL);
        yyjson_mut_val *cp = yyjson_mut_obj_add_obj(d, root, "checkpoint");
        yyjson_mut_obj_add_str(d, cp, "origin", r->origin);
        yyjson_mut_obj_add_uint(d, cp, "size", r->size);
        yyjson_mut_obj_add_strcpy(d, cp, "root", b64);
        if (!r->failed || r->index) yyjson_mut_obj_add_uint(d, root, "index", r->index);
    }
    if (r->seen) yyjson_mut_obj_add_uint(d, root, "seen_size", r->seen);
    if (r->consistency) yyjson_mut_obj_add_str(d, root, "consistency", r->consistency);
    yyjson_mut_obj_add_bool(d, root, "offline", o->offline != NULL);
    char *s = yyjson_mut_write(d, YYJSON_WRITE_PRETTY_TWO_SPACES, NULL);
    if (s) puts(s);
    free(s);
    yyjson_mut_doc_free(d);
}

static void print_verdict(const struct vopts *o, const struct vres *r)
{
    struct buf line = BUF_INIT, safe = BUF_INIT;
    if (r->failed) {
        buf_printf(&line, "%s: not verified: %s", o->id, buf_cstr((struct buf *)&r->message));
        cli_safe(&safe, line.data, line.len);
        fprintf(stderr, "seclabel: %s%s%s\n", cli_colour(stderr, CLI_RED), buf_cstr(&safe),
                cli_colour(stderr, CLI_RESET));
    } else {
        char when[64];
        if (o->offline) {
            snprintf(when, sizeof when, "saved");
        } else {
            time_t now = time(NULL);
            struct tm tm;
            strftime(when, sizeof when, "fetched %Y-%m-%dT%H:%M:%SZ", gmtime_r(&now, &tm));
        }
        buf_printf(&line,
                   "verified: %s version %lu is entry %llu of %s (checkpoint %llu, %s), and "
                   "says what the registry shows",
                   o->id, r->version, (unsigned long long)r->index, r->origin,
                   (unsigned long long)r->size, when);
        cli_safe(&safe, line.data, line.len);
        printf("%s\n", buf_cstr(&safe));
        if (r->consistency) fprintf(stderr, "seclabel: log: %s\n", r->consistency);
    }
    buf_free(&line);
    buf_free(&safe);
}

/* ---- the command ---- */

static int parse_args(int argc, char **argv, struct vopts *o)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        const char **val = !strcmp(a, "--log-key")   ? &o->key
                           : !strcmp(a, "--save")    ? &o->save
                           : !strcmp(a, "--offline") ? &o->offline
                                                     : NULL;
        if (val) {
            if (i + 1 >= argc) return cli_usage_error("%s needs a value", a);
            *val = argv[++i];
        } else if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error("verify: unknown option %s", a);
        } else if (!o->id) {
            o->id = a;
        } else {
            return cli_usage_error("verify takes one product ID");
        }
    }
    if (!o->id) return cli_usage_error("verify: which product? (seclabel verify ID)");
    if (!decl_id_valid(o->id, strlen(o->id)))
        return cli_usage_error("'%s' is not a product ID", o->id);
    if (o->save && o->offline) return cli_usage_error("--save and --offline do not go together");
    return CLI_OK;
}

int cmd_verify(int argc, char **argv, struct client *c)
{
    struct vopts o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    struct note_verifier v;
    if ((rc = logc_key(o.key, "verify", c, o.offline, &v))) return rc;
    if (!o.key) o.key = config_log_key();
    struct vin in;
    struct vres r = {0};
    for (int i = 0; i < F__COUNT; i++)
        buf_init(&in.f[i]);
    buf_init(&r.message);
    if (o.offline) {
        rc = read_all(o.offline, &in);
        if (rc) goto out;
    } else {
        rc = fetch_all(c, o.id, &in, &r);
        buf_puts(&in.f[F_KEY], o.key);
        buf_putc(&in.f[F_KEY], '\n');
        /* what was fetched is kept even if a check fails: evidence for an auditor */
        if (o.save && (rc == CLI_OK || r.version)) {
            int srs = save_all(o.save, &in);
            if (!rc) rc = srs;
        }
    }
    if (!rc) rc = check_all(o.id, &v, &in, &r);
    if (!rc) rc = check_seen(o.offline ? NULL : c, &v, &in.f[F_CHECKPOINT], &r);
    if (o.json && (!rc || r.failed)) print_json(&o, &r);
    /* the verdict (a failure always on stderr too); an unreachable registry was said already */
    if ((!rc && !o.json) || (r.failed && rc != CLI_UNREACHABLE)) print_verdict(&o, &r);
out:
    for (int i = 0; i < F__COUNT; i++)
        buf_free(&in.f[i]);
    buf_free(&r.message);
    yyjson_mut_doc_free(r.diffs_doc);
    return rc;
}
