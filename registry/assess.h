/* assess.h: what a record means today: support status and the three baseline promises
 * (UK PSTI Schedule 1 / ETSI EN 303 645 5.1-1, 5.2-1, 5.3-13). Computed, never stored. Pure. */
#ifndef SECLABEL_ASSESS_H
#define SECLABEL_ASSESS_H

#include <stdint.h>
#include <yyjson.h>

#define ASSESS_ENDING_SOON_DAYS 180

enum assess_support { ASSESS_ACTIVE, ASSESS_ENDING_SOON, ASSESS_ENDED, ASSESS_UNKNOWN };

struct assess {
    enum assess_support support;
    int64_t support_day; /* days since 1970-01-01 of support_date */
    int64_t days_left;   /* support_day - today; negative once ended */
    int password_ok;     /* default_password is not "universal" */
    int contact_ok;      /* a security_contact is published */
    int period_ok;       /* a support_date is published */
    int compliant;       /* all three */
    /* EU CRA Art 13(8) hint: support_date at least 5 years after support_start, or after the
     * first registration (the record's "created") when there is no support_start. */
    int64_t cra_from_day; /* -1 if unknown */
    int cra_ok;
};

#define ASSESS_CRA_YEARS 5

/* Assess record `rec` (a product record or declaration) as of day `today` (days since epoch). */
void assess_record(yyjson_val *rec, int64_t today, struct assess *a);
/* Append the computed members for record `rec` (no braces, starting with a comma):
 *   ,"support_status":{...},"compliance":{...}
 * as the API documents them (schema/openapi.yaml). */
struct buf;
void assess_json(const struct assess *a, int64_t today, struct buf *out);
/* Today in days since 1970-01-01, UTC. */
int64_t assess_today(void);
/* "active", "ending_soon", "ended" or "unknown". */
const char *assess_support_name(enum assess_support s);

#endif
