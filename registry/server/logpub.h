/* logpub.h: what seclabeld publishes of its transparency log (tlog.h) that needs its signing key:
 * the key itself (DATA/log.key, made on first start, or the operator's --log-key file), the
 * verifier key, and the newest signed checkpoint (C2SP tlog-checkpoint as a signed note).
 *
 * The server signs a checkpoint at start-up and then at most once a second, when the tree has
 * grown (logpub_refresh, from a timer of the first event loop): every acknowledged write is in
 * a published checkpoint about a second later, and a burst of writes costs one signature. The
 * tree is read, never written: appends happen in the writes' own transactions (tlog.c), also
 * those of the operator's commands run beside the server.
 *
 * A read-only mirror (mirror.h) has no signing key: logpub_open_mirror makes one that never
 * signs (logpub_refresh does nothing) and publishes the primary's checkpoints that the mirror
 * hands it (logpub_publish) once it holds every entry of them; its verifier key is the pinned
 * key of the primary.
 *
 * Ownership: logpub_open makes the struct, logpub_close frees it (and wipes the secret key).
 * logpub_refresh runs on one thread; every other function may be called from any thread at
 * any time in between (a mutex guards the checkpoint; the rest never changes). */
#ifndef SECLABEL_LOGPUB_H
#define SECLABEL_LOGPUB_H

#include "buf.h"

#include <stdint.h>

struct store;
struct logpub;

/* Load the signer from key_path (NULL: data_dir/log.key, made if absent, named after
 * public_url: note_origin_from_url) and sign the first checkpoint. A key file keeps the name it
 * was made with: the log's origin does not move with the server's port or URL (a line in the
 * log says so when they differ). 0, or a negative code with the reason logged. */
int logpub_open(struct store *st, const char *data_dir, const char *key_path,
                const char *public_url, struct logpub **out);
/* A mirror's: no signer (a key file in the data directory is never read); vkey is the
 * primary's verifier key (copied), already checked. Until the first logpub_publish the
 * checkpoint is empty (size 0). */
int logpub_open_mirror(const char *vkey, struct logpub **out);
/* A mirror's: publish the primary's signed checkpoint note[0..len) of tree size `size`. */
void logpub_publish(struct logpub *lp, const char *note, size_t len, uint64_t size);
void logpub_close(struct logpub *lp);
/* Sign a new checkpoint if the tree grew since the last one: 0 or a negative code (logged). */
int logpub_refresh(struct logpub *lp);

/* The newest signed checkpoint, appended to out (nothing: a mirror's before its first); *size
 * (may be NULL) gets its tree size. */
void logpub_checkpoint(struct logpub *lp, struct buf *out, uint64_t *size);
/* The log's origin (its key's name) and verifier key ("<name>+<hex8>+<base64>"), NUL-ended;
 * they live as long as lp. */
const char *logpub_origin(const struct logpub *lp);
const char *logpub_verifier_key(const struct logpub *lp);
/* Seconds since the newest checkpoint was signed, and checkpoints signed so far (/metrics). */
double logpub_checkpoint_age(struct logpub *lp);
uint64_t logpub_signed(struct logpub *lp);

#endif
