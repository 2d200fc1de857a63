/* assess.h: what a record means today: its state in the one order of severity every output
 * follows, its support status and the three baseline promises (UK PSTI Schedule 1 / ETSI EN
 * 303 645 5.1-1, 5.2-1, 5.3-13). Computed, never stored. Pure.
 *
 * A record's state is the most severe that applies, in this order:
 *   withdrawn      its maker took the record back: do not rely on it
 *   not_compliant  it breaks a baseline promise (no label; its page says so in red)
 *   ended          its security updates are over
 *   ending_soon    ASSESS_ENDING_SOON_DAYS or fewer days of security updates are left
 *   active         none of these: a shopper may rely on it
 * Pages, lists, labels, the CLI and the JSON take the state, its name, its tone and its words
 * from here; none decides it on its own. Nothing in a state of tone ASSESS_TONE_BAD is ever
 * shown with a green tick, as "active" or as compliant. */
#ifndef SECLABEL_ASSESS_H
#define SECLABEL_ASSESS_H

#include <stdint.h>
#include <yyjson.h>

#define ASSESS_ENDING_SOON_DAYS 180

/* How a state is shown: good (green, a tick), a warning (amber) or bad (red or grey, a cross). */
enum assess_tone { ASSESS_TONE_GOOD, ASSESS_TONE_WARN, ASSESS_TONE_BAD };

/* The states, least severe first: X(ENUM, name, tone). `name` is what the JSON, the CLI and
 * the CSV say, and names the pages' words (web/i18n: state_<name>) and CSS class (st-<name>). */
#define ASSESS_STATES(X)                                                                           \
    X(ACTIVE, active, ASSESS_TONE_GOOD)                                                            \
    X(ENDING_SOON, ending_soon, ASSESS_TONE_WARN)                                                  \
    X(ENDED, ended, ASSESS_TONE_BAD)                                                               \
    X(NOT_COMPLIANT, not_compliant, ASSESS_TONE_BAD)                                               \
    X(WITHDRAWN, withdrawn, ASSESS_TONE_BAD)

enum assess_state {
#define X(e, name, tone) ASSESS_STATE_##e,
    ASSESS_STATES(X)
#undef X
        ASSESS__STATES
};

/* support_status.status: the support period as of a day (ASSESS_WITHDRAWN for a withdrawn
 * record, whose maker no longer promises anything): X(ENUM, name). The names' one home:
 * everything else asks assess_support_name(). A search's `support` filter takes those before
 * UNKNOWN. */
#define ASSESS_SUPPORTS(X)                                                                         \
    X(ACTIVE, active)                                                                              \
    X(ENDING_SOON, ending_soon)                                                                    \
    X(ENDED, ended)                                                                                \
    X(UNKNOWN, unknown)                                                                            \
    X(WITHDRAWN, withdrawn)

enum assess_support {
#define X(e, name) ASSESS_##e,
    ASSESS_SUPPORTS(X)
#undef X
        ASSESS__SUPPORTS
};

struct assess {
    enum assess_state state;     /* the most severe that applies */
    enum assess_support support; /* support_status.status */
    enum assess_support by_date; /* from support_date alone: never ASSESS_WITHDRAWN */
    int64_t support_day;         /* days since 1970-01-01 of support_date */
    int64_t days_left;           /* support_day - today; negative once ended */
    int withdrawn;               /* status is "withdrawn" */
    int64_t withdrawn_day;       /* the day it was withdrawn (its last "modified"), or -1 */
    int password_ok;             /* default_password is not "universal" */
    int contact_ok;              /* a security_contact is published */
    int period_ok;               /* a support_date is published */
    int promises_ok;             /* all three */
    int compliant;               /* all three, and not withdrawn (compliance.compliant) */
    /* EU CRA Art 13(8) hint: support_date at least 5 years after support_start, or after the
     * first registration (the record's "created") when there is no support_start. */
    int64_t cra_from_day; /* -1 if unknown */
    int cra_ok;
};

#define ASSESS_CRA_YEARS 5

struct buf;

/* Assess record `rec` (a product record or declaration) as of day `today` (days since epoch). */
void assess_record(yyjson_val *rec, int64_t today, struct assess *a);
/* Today in days since 1970-01-01, UTC: assess_now()'s day. */
int64_t assess_today(void);
/* The time (Unix seconds) every day-dependent answer is made for: the status, days left, and
 * the lifetimes caches are given for them (seclabeld's api_cache.c), so they agree on when a day
 * ends. The system's clock, moved by a test's offset (assess_test_clock). */
long assess_now(void);
/* A test hook (tests/integration/test_deploy_varnish.py: a page that changes at midnight): with
 * path naming a file that holds a signed number of seconds, assess_now() is the system's clock
 * plus that number, read again at each call (so a test moves the clock while the server runs);
 * NULL, or no such file: the system's clock. Set once, before any thread starts (seclabeld reads
 * SECLABEL_TEST_CLOCK_OFFSET). */
void assess_test_clock(const char *path);

/* The state's name ("withdrawn", ...) and tone; a name back to its state, or -1. */
const char *assess_state_name(enum assess_state s);
enum assess_tone assess_state_tone(enum assess_state s);
/* The state named `name`, or REG_ENOTFOUND (negative). */
int assess_state_parse(const char *name);
/* 1 if a shopper may rely on the product: its state's tone is not ASSESS_TONE_BAD. Only then
 * may an output show a green tick. */
int assess_reliable(const struct assess *a);
/* "active", "ending_soon", "ended", "unknown" or "withdrawn". */
const char *assess_support_name(enum assess_support s);

/* The state in one English sentence, e.g. "The maker withdrew this record on 2026-03-01: do
 * not rely on it." (appended to out; plain ASCII, no quotes or backslashes: fit for JSON). */
void assess_reason(const struct assess *a, struct buf *out);
/* What follows from a bad state for the product, in English ("" for other states): e.g. "It
 * gets no label, and its page shows the broken promise in red." */
void assess_follows(const struct assess *a, struct buf *out);
/* The broken promises in a few words, joined by "; " (e.g. "a universal default password"),
 * with their requirements when `cite`; nothing when all three are kept. */
void assess_broken(const struct assess *a, int cite, struct buf *out);

/* Append "state":{"name":...,"reason":...} (no comma either side): the member a record's JSON
 * leads with. */
void assess_state_json(const struct assess *a, struct buf *out);
/* Append the other computed members (no braces, starting with a comma):
 *   ,"support_status":{...},"compliance":{...}
 * as the API documents them (schema/openapi.yaml). */
void assess_json(const struct assess *a, int64_t today, struct buf *out);

#endif
