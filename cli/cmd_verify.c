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
#include "decl_fields.h"
#include "err.h"
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

#define VERIFY_FILE_MAX (4u << 20) /* bytes of a saved file read back (entries are < 64 KiB) */
#define PROOF_TRIES 4              /* a new version is in a signed checkpoint within ~1 s */
#define VALUE_SHOWN 200            /* bytes of a differing value shown */

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

/* The n-th base64 hash of the JSON array arr into out (TLOG_PROOF_MAX hashes at most): 0, or 1
 * if one is not a base64 SHA-256 hash. */
static int decode_hashes(yyjson_val *arr, unsigned char out[TLOG_PROOF_MAX][TLOG_HASH], size_t *n)
{
    yyjson_val *h;
    size_t i, max;
    *n = 0;
    if (!yyjson_is_arr(arr) || yyjson_arr_size(arr) > TLOG_PROOF_MAX) return 1;
    yyjson_arr_foreach(arr, i, max, h)
    {
        size_t len;
        if (!yyjson_is_str(h) ||
            sodium_base642bin(out[i], TLOG_HASH, yyjson_get_str(h), yyjson_get_len(h), NULL, &len,
                              NULL, sodium_base64_VARIANT_ORIGINAL) != 0 ||
            len != TLOG_HASH)
            return 1;
    }
    *n = max;
    return 0;
}

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
    size_t text_len;
    int rc = note_open(cp->data, cp->len, v, &text_len, &why);
    if (rc == REG_EUNVERIFIED)
        return fail(r, "signature", "the checkpoint is not signed by the pinned key %s (%s)",
                    v->name, why.text);
    if (rc) return fail(r, "checkpoint", "the checkpoint is not a signed note (%s)", why.text);
    rc = note_checkpoint_parse(cp->data, text_len, v->name, &r->size, r->root, &why);
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

static void differs(struct vres *r, const char *field, yyjson_val *rv, yyjson_val *ev)
{
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

/* The record's members a log entry holds (the stored record's; the rest of an API record - its
 * state, assessment, QR URL, log index - the registry computes): product.c's own members, then
 * the declaration's fields (decl_fields.h). */
#define FIELD_NAME(name, ...) #name,
static const char *const logged_members[] = {"version", "status",   "manufacturer",
                                             "created", "modified", DECL_FIELDS(FIELD_NAME)};
#undef FIELD_NAME

/* Every member of the entry must be the record's, and every logged member the record has must
 * be in the entry. */
static int check_fields(yyjson_val *rec, yyjson_val *entry, struct vres *r)
{
    yyjson_val *k, *ev;
    size_t i, max;
    yyjson_obj_foreach(entry, i, max, k, ev)
    {
        yyjson_val *rv = yyjson_obj_get(rec, yyjson_get_str(k));
        if (!rv || !yyjson_equals(rv, ev)) differs(r, yyjson_get_str(k), rv, ev);
    }
    for (i = 0; i < sizeof logged_members / sizeof logged_members[0]; i++) {
        const char *name = logged_members[i];
        yyjson_val *rv = yyjson_obj_get(rec, name);
        if (rv && !yyjson_obj_get(entry, name)) differs(r, name, rv, NULL);
    }
    return r->diffs ? CLI_FAILED : CLI_OK;
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
    if (!ok || !pid || decode_hashes(yyjson_obj_get(proof, "proof"), hashes, &n))
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

/* CONFIG/checkpoints/<origin with every byte but [A-Za-z0-9._-] as %XX>; 1 without a config
 * directory. *dir gets CONFIG/checkpoints. */
static int seen_path(const char *origin, struct buf *dir, struct buf *path)
{
    char base[1024];
    if (config_dir(base, sizeof base)) return 1;
    buf_printf(dir, "%s/checkpoints", base);
    buf_printf(path, "%s/", buf_cstr(dir));
    for (const unsigned char *p = (const unsigned char *)origin; *p; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '.' || *p == '_' || *p == '-')
            buf_putc(path, (char)*p);
        else
            buf_printf(path, "%%%02X", *p);
    return 0;
}

/* The checkpoint seen before, opened with the pinned key: 0 (*size 0: none), or CLI_FAILED. */
static int load_seen(const struct note_verifier *v, const char *path, uint64_t *size,
                     unsigned char root[TLOG_HASH], struct vres *r)
{
    struct buf b = BUF_INIT;
    struct reg_why why = {""};
    size_t text_len;
    *size = 0;
    if (access(path, F_OK) != 0) return CLI_OK;
    int rc = cli_read_file(path, VERIFY_FILE_MAX, &b);
    if (!rc && (note_open(b.data, b.len, v, &text_len, &why) ||
                note_checkpoint_parse(b.data, text_len, v->name, size, root, &why)))
        rc = fail(r, "seen",
                  "the checkpoint this CLI kept in %s does not open with the pinned "
                  "key (%s): if you changed the key on purpose, remove that file",
                  path, why.text);
    buf_free(&b);
    return rc;
}

/* mkdir -p dir, mode 0700 for the directories made: 0 or -errno. */
static int make_dirs(const char *dir)
{
    char p[1024];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1;; s++)
        if (*s == '/' || !*s) {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0700) != 0 && errno != EEXIST) return -errno;
            if (!(*s = c)) return 0;
        }
}

static void keep_seen(const char *dir, const char *path, const struct buf *cp)
{
    if (make_dirs(dir) != 0)
        fprintf(stderr, "seclabel: warning: cannot create %s: %s\n", dir, strerror(errno));
    else
        cli_write_file(path, cp->data, cp->len);
}

/* GET one resource into out: CLI_OK for a 200, else the exit code with r (or stderr) saying
 * why, and the server's error code in code[ERR_CODE_MAX] if code is not NULL. */
#define ERR_CODE_MAX 64
static int fetch(struct client *c, const char *path, struct buf *out, struct vres *r, char *code)
{
    struct client_resp resp;
    if (code) code[0] = '\0';
    int rc = client_request(c, "GET", path, NULL, 0, NULL, &resp);
    if (rc) { /* client_request said why on stderr */
        fail(r, "network", "cannot reach the registry");
        return rc;
    }
    if (resp.status != 200) {
        yyjson_doc *d = yyjson_read(resp.body.data, resp.body.len, 0);
        const char *msg = yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(d), "message"));
        const char *err = yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(d), "error"));
        if (code && err) snprintf(code, ERR_CODE_MAX, "%s", err);
        fail(r, "http", "GET %s: HTTP %ld: %s", path, resp.status, msg ? msg : "no message");
        yyjson_doc_free(d);
        buf_free(&resp.body);
        return resp.status == 401 || resp.status == 403 ? CLI_UNAUTHORISED : CLI_FAILED;
    }
    buf_reset(out);
    buf_append(out, resp.body.data, resp.body.len);
    buf_free(&resp.body);
    return CLI_OK;
}

/* Is one checkpoint of this log consistent with the other? (old_size < new_size) */
static int consistent(struct client *c, uint64_t m, const unsigned char *r1, uint64_t n,
                      const unsigned char *r2, struct vres *r, struct reg_why *why)
{
    struct buf path = BUF_INIT, body = BUF_INIT;
    buf_printf(&path, "/log/proof?old=%llu&new=%llu", (unsigned long long)m, (unsigned long long)n);
    int rc = fetch(c, buf_cstr(&path), &body, r, NULL);
    if (!rc) {
        yyjson_doc *d = yyjson_read(body.data, body.len, 0);
        yyjson_val *o = yyjson_doc_get_root(d);
        unsigned char hashes[TLOG_PROOF_MAX][TLOG_HASH];
        size_t len;
        int ok = 1;
        if (member_u64(o, "old", &ok) != m || member_u64(o, "new", &ok) != n || !ok ||
            decode_hashes(yyjson_obj_get(o, "proof"), hashes, &len))
            rc = fail(r, "consistency", "the consistency proof from %llu to %llu is malformed",
                      (unsigned long long)m, (unsigned long long)n);
        else if (tlogv_consistency(m, n, r1, r2, hashes[0], len, why))
            rc = REG_EBADPROOF;
        yyjson_doc_free(d);
    }
    buf_free(&path);
    buf_free(&body);
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
        rc = consistent(c, r->size, r->root, r->seen, root, r, &why);
        if (rc == REG_EBADPROOF)
            rc = fail(r, "fork",
                      "the log forked: the checkpoint of %llu entries is not the start of the "
                      "one of %llu entries this CLI saw before (%s): %s",
                      (unsigned long long)r->size, (unsigned long long)r->seen, buf_cstr(&path),
                      why.text);
        else if (!rc)
            rc = fail(r, "rollback",
                      "the registry showed a checkpoint of %llu entries, older than the one of "
                      "%llu entries this CLI saw before (%s): a stale copy or a log rolled back",
                      (unsigned long long)r->size, (unsigned long long)r->seen, buf_cstr(&path));
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
    char code[ERR_CODE_MAX];
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

static int no_key(const struct vopts *o, const struct client *c)
{
    fprintf(stderr,
            "seclabel: verify needs the registry's log key, pinned beforehand (it is never "
            "taken from the registry on first use). Get it from the registry's operator or\n"
            "  curl %s/log/key\n"
            "compare it with what the operator publishes, then pin it:\n"
            "  seclabel config set log-key '<the key>'\n"
            "or give it each time with --log-key KEY.\n",
            c->server);
    if (o->offline)
        fprintf(stderr,
                "The key the files were saved with is in %s/log-key: trust it only if "
                "you got it from the operator.\n",
                o->offline);
    return CLI_USAGE;
}

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
    if (!o.key) o.key = config_log_key();
    if (!o.key) return no_key(&o, c);
    struct note_verifier v;
    struct reg_why why = {""};
    if (note_verifier_parse(o.key, strlen(o.key), &v, &why))
        return cli_usage_error("the log key is not a verifier key (%s)", why.text);
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
