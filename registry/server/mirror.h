/* mirror.h: a read-only mirror (seclabeld --mirror-of URL --mirror-key KEY): a thread that
 * follows a primary registry through its transparency log (docs/TRANSPARENCY.md) and replays it
 * into this server's own database, which the routes then serve as they would a primary's.
 *
 * About once a second the follower fetches the primary's GET /log/checkpoint and opens it with
 * the pinned verifier key (never one the primary sends: note.h). The checkpoint must extend the
 * newest one verified before (at start: this database's own tree): the same root at the same
 * size, else a consistency proof (GET /log/proof?old&new, tlogv.h); a smaller one or one whose
 * proof fails is a fork, and the mirror stops advancing for good (state "forked", logged as an
 * error). Then the entries it lacks are read from the entry bundles (GET /log/tile/entries/...)
 * and replayed a bundle at a time, one write transaction each (product_apply_logged,
 * mfr_apply_logged): before a batch commits, this tree's root at the batch's end must be proved
 * part of the signed tree (equal to its root at its size, or by a consistency proof fetched
 * first); if not, or if an entry does not follow the data, the batch is rolled back and the
 * mirror stops advancing (state "diverged"). Once every entry of a checkpoint is in, that
 * checkpoint, signed by the primary, is what the mirror serves as its own /log/checkpoint
 * (logpub_publish: the mirror signs nothing).
 *
 * What the log does not carry (a maker's contact and website: mfr.h, docs/TRANSPARENCY.md) is
 * copied from the primary's GET /v1/manufacturers/{slug} after each batch that replayed an
 * event of that maker, and at start for every maker that lacks either (a copy cut short by a
 * stop): checked as mfr_add checks them, stored unlogged (mfr_set_unlogged). A maker whose
 * copy fails (the primary unreachable, an answer that is not its JSON or does not pass the
 * checks) is tried again after the next poll; meanwhile the mirror follows the log as before,
 * and the failure shows in makers_pending, maker_fetch_errors and maker_error.
 *
 * Lag: entries behind = the newest verified checkpoint's size minus this tree's size; seconds
 * behind = the time since the mirror last fetched a checkpoint of which it held every entry
 * (so it grows while the primary cannot be reached or while catching up, and is about the poll
 * period when following).
 *
 * Ownership: mirror_open makes the struct (it borrows cfg's store and strings, which must
 * outlive it), mirror_close stops the thread and frees it. The other functions may be called
 * from any thread at any time in between. */
#ifndef SECLABEL_MIRROR_H
#define SECLABEL_MIRROR_H

#include "buf.h"

#include <stdint.h>

struct logpub;
struct store;
struct mirror;

struct mirror_config {
    struct store *st;
    const char *primary; /* the primary's base URL (http or https, no trailing '/') */
    const char *key;     /* its verifier key, "<name>+<hex8>+<base64>" (C2SP signed-note) */
    struct logpub *log;  /* where the checkpoints it holds are published (logpub_open_mirror) */
    /* After each batch has committed, on the follower's thread: once per product ID it
     * changed, and with id NULL when a manufacturer changed (every answer may show it). */
    void (*changed)(void *ctx, const char *id);
    void *changed_ctx;
};

/* States, as /healthz names them. */
#define MIRROR_STATE_MAP(XX)                                                                       \
    XX(STARTING, "starting")       /* no checkpoint fetched yet */                                 \
    XX(CATCHING_UP, "catching_up") /* verified a checkpoint, applying its entries */               \
    XX(FOLLOWING, "following")     /* holds every entry of the newest checkpoint */                \
    XX(UNREACHABLE, "unreachable") /* the last poll failed (network, HTTP status) */               \
    XX(UNVERIFIED, "unverified")   /* the primary's checkpoint did not verify with the key */      \
    XX(FORKED, "forked")           /* a checkpoint inconsistent with one verified before */        \
    XX(DIVERGED, "diverged")       /* the entries do not give the signed tree, or do not apply */

enum mirror_state {
#define XX(sym, name) MIRROR_##sym,
    MIRROR_STATE_MAP(XX)
#undef XX
};

struct mirror_status {
    enum mirror_state state;
    uint64_t tree_size;      /* entries this database holds */
    uint64_t primary_size;   /* the newest verified checkpoint's size (0: none yet) */
    uint64_t entries_behind; /* primary_size - tree_size, or 0 (see "Lag" above) */
    double seconds_behind;
    uint64_t entries_applied, checkpoints_verified, errors;
    char error[512];             /* the last problem, or "" */
    uint64_t makers_pending;     /* makers whose contact and website are not copied yet */
    uint64_t maker_fetch_errors; /* failures to copy them (each tried again next poll) */
    char maker_error[512];       /* the last such failure while any is pending, or "" */
};

/* Parse the key and read this database's tree: 0, REG_EBADKEY (the reason logged), or a
 * storage error. The thread is not started yet. */
int mirror_open(const struct mirror_config *cfg, struct mirror **out);
/* Start following: 0 or REG_EINTERNAL. Call after the routes can serve (the changed hook). */
int mirror_start(struct mirror *m);
/* Stop the follower (an HTTP request in flight is abandoned) and free m. NULL is fine. */
void mirror_close(struct mirror *m);

void mirror_status(struct mirror *m, struct mirror_status *out);
const char *mirror_state_name(enum mirror_state s);
/* The primary's URL, as given (it lives as long as m). */
const char *mirror_primary(const struct mirror *m);

#endif
