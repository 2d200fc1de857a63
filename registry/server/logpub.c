/* logpub.c: the log's signing key and its newest signed checkpoint (see logpub.h). */
#include "logpub.h"

#include "err.h"
#include "log.h"
#include "note.h"
#include "store.h"
#include "tlog.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

struct logpub {
    struct store *st; /* NULL: a mirror's, which never signs */
    struct note_signer signer;
    char vkey[NOTE_NAME_MAX + 64];
    uv_mutex_t mu;       /* guards the three below */
    struct buf note;     /* the newest signed checkpoint */
    uint64_t size;       /* its tree size */
    double signed_at;    /* when (monotonic seconds) */
    uint64_t signatures; /* checkpoints signed */
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The signer: key_path's, or data_dir/log.key made now for public_url's origin. */
static int open_signer(struct logpub *lp, const char *data_dir, const char *key_path,
                       const char *public_url)
{
    struct reg_why why = {0};
    char origin[NOTE_NAME_MAX + 1] = "";
    struct buf path = BUF_INIT;
    int created = 0, rc;
    if (key_path) {
        rc = note_signer_load(key_path, &lp->signer, &why);
        buf_puts(&path, key_path);
    } else {
        buf_printf(&path, "%s/" NOTE_KEY_FILE, data_dir);
        rc = note_signer_load(buf_cstr(&path), &lp->signer, &why);
        if (rc == REG_ENOTFOUND && !(rc = note_origin_from_url(public_url, origin, &why)))
            rc = note_signer_open(buf_cstr(&path), origin, &lp->signer, &created, &why);
    }
    if (rc)
        reg_logp(LOG_ERR, "the log's key %s: %s", buf_cstr(&path),
                 why.text[0] ? why.text : reg_strerror(rc));
    else if (created)
        reg_logf("made the log's signing key %s for origin %s: keep it secret, and in every "
                 "backup",
                 buf_cstr(&path), lp->signer.name);
    else if (!note_origin_from_url(public_url, origin, NULL) && strcmp(origin, lp->signer.name))
        reg_logf("the log's origin stays %s (its key's name), although the public URL is %s",
                 lp->signer.name, public_url);
    buf_free(&path);
    return rc;
}

int logpub_open(struct store *st, const char *data_dir, const char *key_path,
                const char *public_url, struct logpub **out)
{
    struct logpub *lp = xcalloc(1, sizeof *lp);
    lp->st = st;
    int rc = open_signer(lp, data_dir, key_path, public_url);
    if (rc) {
        free(lp);
        return rc;
    }
    struct buf vk = BUF_INIT;
    note_verifier_key(&lp->signer, &vk);
    snprintf(lp->vkey, sizeof lp->vkey, "%s", buf_cstr(&vk));
    buf_free(&vk);
    uv_mutex_init(&lp->mu);
    lp->size = UINT64_MAX; /* none signed yet: the first refresh signs whatever the size */
    if ((rc = logpub_refresh(lp))) {
        logpub_close(lp);
        return rc;
    }
    *out = lp;
    return 0;
}

int logpub_open_mirror(const char *vkey, struct logpub **out)
{
    struct logpub *lp = xcalloc(1, sizeof *lp);
    struct note_verifier v;
    int rc = note_verifier_parse(vkey, strlen(vkey), &v, NULL);
    if (rc) {
        free(lp);
        return rc;
    }
    snprintf(lp->signer.name, sizeof lp->signer.name, "%s", v.name); /* the origin; no key */
    snprintf(lp->vkey, sizeof lp->vkey, "%s", vkey);
    lp->vkey[strcspn(lp->vkey, "\n")] = '\0';
    lp->signed_at = now();
    uv_mutex_init(&lp->mu);
    *out = lp;
    return 0;
}

void logpub_publish(struct logpub *lp, const char *note, size_t len, uint64_t size)
{
    uv_mutex_lock(&lp->mu);
    buf_reset(&lp->note);
    buf_append(&lp->note, note, len);
    if (size != lp->size) lp->signed_at = now(); /* when this server first served it */
    lp->size = size;
    uv_mutex_unlock(&lp->mu);
}

void logpub_close(struct logpub *lp)
{
    if (!lp) return;
    note_signer_wipe(&lp->signer);
    uv_mutex_destroy(&lp->mu);
    buf_free(&lp->note);
    free(lp);
}

/* The tree's size and root, read in a transaction of its own. */
static int read_tree(struct logpub *lp, uint64_t *size, unsigned char root[TLOG_HASH])
{
    struct store_txn *txn;
    int rc = store_txn_begin(lp->st, 0, &txn);
    if (rc) return rc;
    rc = tlog_size(txn, size);
    if (!rc) rc = tlog_root(txn, *size, root);
    store_txn_abort(txn);
    return rc;
}

int logpub_refresh(struct logpub *lp)
{
    uint64_t size;
    unsigned char root[TLOG_HASH];
    if (!lp->st) return 0; /* a mirror's: it never signs */
    int rc = read_tree(lp, &size, root);
    if (rc) {
        reg_logp(LOG_ERR, "cannot read the log to sign a checkpoint: %s", reg_strerror(rc));
        return rc;
    }
    uv_mutex_lock(&lp->mu);
    uint64_t last = lp->size;
    uv_mutex_unlock(&lp->mu);
    if (size == last) return 0;
    struct buf body = BUF_INIT, note = BUF_INIT;
    struct reg_why why = {0};
    note_checkpoint_format(lp->signer.name, size, root, &body);
    rc = note_sign(&lp->signer, body.data, body.len, &note, &why);
    buf_free(&body);
    if (rc) {
        reg_logp(LOG_ERR, "cannot sign the log's checkpoint: %s",
                 why.text[0] ? why.text : reg_strerror(rc));
        buf_free(&note);
        return rc;
    }
    uv_mutex_lock(&lp->mu);
    buf_free(&lp->note);
    lp->note = note;
    lp->size = size;
    lp->signed_at = now();
    lp->signatures++;
    uv_mutex_unlock(&lp->mu);
    return 0;
}

void logpub_checkpoint(struct logpub *lp, struct buf *out, uint64_t *size)
{
    uv_mutex_lock(&lp->mu);
    buf_append(out, lp->note.data, lp->note.len);
    if (size) *size = lp->size;
    uv_mutex_unlock(&lp->mu);
}

const char *logpub_origin(const struct logpub *lp)
{
    return lp->signer.name;
}

const char *logpub_verifier_key(const struct logpub *lp)
{
    return lp->vkey;
}

double logpub_checkpoint_age(struct logpub *lp)
{
    uv_mutex_lock(&lp->mu);
    double t = lp->signed_at;
    uv_mutex_unlock(&lp->mu);
    return now() - t;
}

uint64_t logpub_signed(struct logpub *lp)
{
    uv_mutex_lock(&lp->mu);
    uint64_t n = lp->signatures;
    uv_mutex_unlock(&lp->mu);
    return n;
}
