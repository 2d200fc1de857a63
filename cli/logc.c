/* logc.c: the transparency log as seclabel verify and seclabel monitor see it: see logc.h. */
#include "logc.h"

#include "cli.h"
#include "decl_fields.h"
#include "err.h"
#include "tlogv.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int logc_key(const char *given, const char *cmd, const struct client *c, const char *saved,
             struct note_verifier *v)
{
    const char *key = given ? given : config_log_key();
    struct reg_why why = {""};
    if (!key) { /* one line (the house rule for CLI errors), with all one needs to go on */
        fprintf(stderr,
                "seclabel: %s: no pinned log key: get it from the operator or %s/log/key and run "
                "`seclabel config set log-key KEY` (or pass --log-key KEY)%s%s%s\n",
                cmd, c->server, saved ? "; the key saved in " : "", saved ? saved : "",
                saved ? "/log-key is trusted only if it is the operator's" : "");
        return CLI_USAGE;
    }
    if (note_verifier_parse(key, strlen(key), v, &why))
        return cli_usage_error("the log key is not a verifier key (%s)", why.text);
    return CLI_OK;
}

int logc_hashes(yyjson_val *arr, unsigned char out[TLOG_PROOF_MAX][TLOG_HASH], size_t *n)
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

int logc_checkpoint(const struct note_verifier *v, const char *cp, size_t len, uint64_t *size,
                    unsigned char root[TLOG_HASH], struct reg_why *why)
{
    size_t text_len;
    int rc = note_open(cp, len, v, &text_len, why);
    return rc ? rc : note_checkpoint_parse(cp, text_len, v->name, size, root, why);
}

int logc_config_path(const char *sub, const char *origin, struct buf *dir, struct buf *path)
{
    char base[1024];
    if (config_dir(base, sizeof base)) return 1;
    buf_printf(dir, "%s/%s", base, sub);
    buf_printf(path, "%s/", buf_cstr(dir));
    for (const unsigned char *p = (const unsigned char *)origin; *p; p++)
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
            *p == '.' || *p == '_' || *p == '-')
            buf_putc(path, (char)*p);
        else
            buf_printf(path, "%%%02X", *p);
    return 0;
}

int logc_make_dirs(const char *dir)
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

int logc_get(struct client *c, const char *path, struct buf *out, struct buf *msg, char *code)
{
    struct client_resp resp;
    if (code) code[0] = '\0';
    int rc = client_request(c, "GET", path, NULL, 0, NULL, &resp);
    if (rc) return rc; /* client_request said why on stderr */
    if (resp.status != 200) {
        yyjson_doc *d = yyjson_read(resp.body.data, resp.body.len, 0);
        const char *m = yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(d), "message"));
        const char *err = yyjson_get_str(yyjson_obj_get(yyjson_doc_get_root(d), "error"));
        if (code && err) snprintf(code, LOGC_CODE_MAX, "%s", err);
        buf_printf(msg, "GET %s: HTTP %ld: %s", path, resp.status, m ? m : "no message");
        yyjson_doc_free(d);
        buf_free(&resp.body);
        return resp.status == 401 || resp.status == 403 ? CLI_UNAUTHORISED : CLI_FAILED;
    }
    buf_reset(out);
    buf_append(out, resp.body.data, resp.body.len);
    buf_free(&resp.body);
    return CLI_OK;
}

static uint64_t member_u64(yyjson_val *o, const char *name, int *ok)
{
    yyjson_val *v = yyjson_obj_get(o, name);
    if (!yyjson_is_uint(v)) *ok = 0;
    return yyjson_get_uint(v);
}

int logc_consistent(struct client *c, uint64_t m, const unsigned char r1[TLOG_HASH], uint64_t n,
                    const unsigned char r2[TLOG_HASH], struct buf *msg, struct reg_why *why)
{
    struct buf path = BUF_INIT, body = BUF_INIT;
    buf_printf(&path, "/log/proof?old=%llu&new=%llu", (unsigned long long)m, (unsigned long long)n);
    int rc = logc_get(c, buf_cstr(&path), &body, msg, NULL);
    if (!rc) {
        yyjson_doc *d = yyjson_read(body.data, body.len, 0);
        yyjson_val *o = yyjson_doc_get_root(d);
        unsigned char hashes[TLOG_PROOF_MAX][TLOG_HASH];
        size_t len;
        int ok = 1;
        if (member_u64(o, "old", &ok) != m || member_u64(o, "new", &ok) != n || !ok ||
            logc_hashes(yyjson_obj_get(o, "proof"), hashes, &len)) {
            buf_printf(msg, "the consistency proof from %llu to %llu is malformed",
                       (unsigned long long)m, (unsigned long long)n);
            rc = CLI_FAILED;
        } else if (tlogv_consistency(m, n, r1, r2, hashes[0], len, why)) {
            rc = REG_EBADPROOF;
        }
        yyjson_doc_free(d);
    }
    buf_free(&path);
    buf_free(&body);
    return rc;
}

/* The record's members a log entry holds (the stored record's; the rest of an API record - its
 * state, assessment, QR URL, log index - the registry computes): product.c's own members, then
 * the declaration's fields (decl_fields.h). */
#define FIELD_NAME(name, ...) #name,
static const char *const logged_members[] = {"version", "status",   "manufacturer",
                                             "created", "modified", DECL_FIELDS(FIELD_NAME)};
#undef FIELD_NAME

int logc_compare(yyjson_val *rec, yyjson_val *entry, logc_differ_fn fn, void *ctx)
{
    yyjson_val *k, *ev;
    size_t i, max;
    int n = 0;
    yyjson_obj_foreach(entry, i, max, k, ev)
    {
        yyjson_val *rv = yyjson_obj_get(rec, yyjson_get_str(k));
        if (!rv || !yyjson_equals(rv, ev)) fn(ctx, yyjson_get_str(k), rv, ev), n++;
    }
    for (i = 0; i < sizeof logged_members / sizeof logged_members[0]; i++) {
        yyjson_val *rv = yyjson_obj_get(rec, logged_members[i]);
        if (rv && !yyjson_obj_get(entry, logged_members[i]))
            fn(ctx, logged_members[i], rv, NULL), n++;
    }
    return n;
}
