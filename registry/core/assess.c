/* assess.c: a record's state, support status and baseline-promise checks (see assess.h). */
#include "assess.h"

#include "buf.h"
#include "date.h"
#include "decl.h"
#include "err.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const state_names[] = {
#define X(e, name, tone) #name,
    ASSESS_STATES(X)
#undef X
};

static const enum assess_tone state_tones[] = {
#define X(e, name, tone) tone,
    ASSESS_STATES(X)
#undef X
};

static const char *const support_names[] = {
#define X(e, name) #name,
    ASSESS_SUPPORTS(X)
#undef X
};

/* The three baseline promises: the compliance member, the requirement it answers, what a pass
 * and a failure mean, and a failure in a few words. */
static const struct promise {
    const char *name, *requirement, *yes, *no, *broken;
} promises[] = {
    {"passwords", "ETSI EN 303 645 5.1-1; UK PSTI Schedule 1 paragraph 1",
     "No universal default password: each device's password is unique or set by its user.",
     "The product uses a universal default password, shared by every device.",
     "a universal default password"},
    {"vulnerability_reporting", "ETSI EN 303 645 5.2-1; UK PSTI Schedule 1 paragraph 2",
     "A contact for reporting security problems is published.",
     "No contact for reporting security problems is published.", "no security contact"},
    {"support_period", "ETSI EN 303 645 5.3-13; UK PSTI Schedule 1 paragraph 3",
     "The end date of security updates is published.",
     "No end date for security updates is published.", "no support end date"},
};
#define NPROMISES (sizeof promises / sizeof promises[0])

static int kept(const struct assess *a, size_t i)
{
    const int ok[NPROMISES] = {a->password_ok, a->contact_ok, a->period_ok};
    return ok[i];
}

static const char *test_clock_path; /* set once before any thread starts */

void assess_test_clock(const char *path)
{
    test_clock_path = path;
}

/* The test clock's offset (seconds) from its file: 0 when there is none or it says no number. A
 * few bytes read with plain stdio: a test hook, off unless seclabeld was started with it. */
static long test_clock_offset(void)
{
    FILE *f = test_clock_path ? fopen(test_clock_path, "re") : NULL;
    long off = 0;
    if (!f) return 0;
    if (fscanf(f, "%ld", &off) != 1) off = 0;
    fclose(f);
    return off;
}

long assess_now(void)
{
    return (long)time(NULL) + (test_clock_path ? test_clock_offset() : 0);
}

int64_t assess_today(void)
{
    return (int64_t)(assess_now() / 86400);
}

const char *assess_state_name(enum assess_state s)
{
    return state_names[s];
}

enum assess_tone assess_state_tone(enum assess_state s)
{
    return state_tones[s];
}

int assess_state_parse(const char *name)
{
    for (int s = 0; s < ASSESS__STATES; s++)
        if (name && !strcmp(name, state_names[s])) return s;
    return REG_ENOTFOUND;
}

int assess_reliable(const struct assess *a)
{
    return state_tones[a->state] != ASSESS_TONE_BAD;
}

const char *assess_support_name(enum assess_support s)
{
    return support_names[s];
}

/* The day `years` calendar years after `day` (29 February becomes 28 February). */
static int64_t add_years(int64_t day, int years)
{
    char s[11];
    date_format_day(day, s);
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') + years;
    unsigned m = (unsigned)((s[5] - '0') * 10 + (s[6] - '0'));
    unsigned d = (unsigned)((s[8] - '0') * 10 + (s[9] - '0'));
    if (m == 2 && d == 29) d = 28;
    return date_days_from_civil(y, m, d);
}

/* The day of a registry timestamp ("2026-11-24T02:42:53Z"), or -1. */
static int64_t stamp_day(yyjson_val *v)
{
    int64_t day;
    const char *s = yyjson_get_str(v);
    return s && yyjson_get_len(v) >= 10 && date_parse(s, 10, &day) == 0 ? day : -1;
}

static void assess_cra(yyjson_val *rec, struct assess *a)
{
    yyjson_val *start = yyjson_obj_get(rec, "support_start");
    a->cra_from_day = -1;
    if (yyjson_is_str(start))
        date_parse(yyjson_get_str(start), yyjson_get_len(start), &a->cra_from_day);
    else
        a->cra_from_day = stamp_day(yyjson_obj_get(rec, "created"));
    a->cra_ok = a->period_ok && a->cra_from_day >= 0 &&
                a->support_day >= add_years(a->cra_from_day, ASSESS_CRA_YEARS);
}

void assess_record(yyjson_val *rec, int64_t today, struct assess *a)
{
    memset(a, 0, sizeof *a);
    yyjson_val *sd = yyjson_obj_get(rec, "support_date");
    yyjson_val *pw = yyjson_obj_get(rec, "default_password");
    yyjson_val *sc = yyjson_obj_get(rec, "security_contact");
    a->period_ok = yyjson_is_str(sd) &&
                   date_parse(yyjson_get_str(sd), yyjson_get_len(sd), &a->support_day) == 0;
    a->password_ok =
        yyjson_is_str(pw) && decl_password_parse(yyjson_get_str(pw)) != DECL_PW_UNIVERSAL;
    a->contact_ok = yyjson_is_str(sc) && yyjson_get_len(sc) > 0;
    a->promises_ok = a->period_ok && a->password_ok && a->contact_ok;
    /* A withdrawn record never changes again: its last "modified" is the day of withdrawal. */
    a->withdrawn = yyjson_equals_str(yyjson_obj_get(rec, "status"), "withdrawn");
    a->withdrawn_day = a->withdrawn ? stamp_day(yyjson_obj_get(rec, "modified")) : -1;
    a->compliant = a->promises_ok && !a->withdrawn;
    assess_cra(rec, a);
    if (a->period_ok) {
        a->days_left = a->support_day - today;
        a->by_date = a->days_left < 0                          ? ASSESS_ENDED
                     : a->days_left <= ASSESS_ENDING_SOON_DAYS ? ASSESS_ENDING_SOON
                                                               : ASSESS_ACTIVE;
    } else {
        a->by_date = ASSESS_UNKNOWN;
    }
    a->support = a->withdrawn ? ASSESS_WITHDRAWN : a->by_date;
    a->state = a->withdrawn                       ? ASSESS_STATE_WITHDRAWN
               : !a->promises_ok                  ? ASSESS_STATE_NOT_COMPLIANT
               : a->by_date == ASSESS_ENDED       ? ASSESS_STATE_ENDED
               : a->by_date == ASSESS_ENDING_SOON ? ASSESS_STATE_ENDING_SOON
                                                  : ASSESS_STATE_ACTIVE;
}

void assess_broken(const struct assess *a, int cite, struct buf *out)
{
    int n = 0;
    for (size_t i = 0; i < NPROMISES; i++) {
        if (kept(a, i)) continue;
        buf_printf(out, "%s%s", n++ ? "; " : "", promises[i].broken);
        if (cite) buf_printf(out, " (%s)", promises[i].requirement);
    }
}

static const char *plural(int64_t n)
{
    return n == 1 ? "" : "s";
}

/* "<day> (<n> day[s]" */
static void days_phrase(struct buf *out, const char *day, int64_t n)
{
    buf_puts(out, day);
    buf_puts(out, " (");
    buf_put_i64(out, n);
    buf_puts(out, " day");
    buf_puts(out, plural(n));
}

void assess_reason(const struct assess *a, struct buf *out)
{
    char day[11] = "";
    int64_t n = a->days_left < 0 ? -a->days_left : a->days_left;
    if (a->period_ok) date_format_day(a->support_day, day);
    switch (a->state) {
    case ASSESS_STATE_WITHDRAWN:
        if (a->withdrawn_day >= 0) {
            char w[11];
            date_format_day(a->withdrawn_day, w);
            buf_printf(out, "The maker withdrew this record on %s: do not rely on it.", w);
        } else {
            buf_puts(out, "The maker withdrew this record: do not rely on it.");
        }
        break;
    case ASSESS_STATE_NOT_COMPLIANT:
        buf_puts(out, a->password_ok + a->contact_ok + a->period_ok == 2
                          ? "It breaks a baseline security promise: "
                          : "It breaks baseline security promises: ");
        assess_broken(a, 1, out);
        buf_putc(out, '.');
        break;
    case ASSESS_STATE_ENDED: /* appended, not printf: on every record's read path (issue 15) */
        buf_puts(out, "Security updates ended on ");
        days_phrase(out, day, n);
        buf_puts(out, " ago): it no longer gets security fixes.");
        break;
    case ASSESS_STATE_ENDING_SOON:
        if (n == 0)
            buf_printf(out, "Security updates end today, %s.", day);
        else
            buf_printf(out, "Security updates end soon: on %s, in %lld day%s.", day, (long long)n,
                       plural(n));
        break;
    default:
        buf_puts(out, "Security updates until ");
        days_phrase(out, day, n);
        buf_puts(out, " left), and all three baseline promises are kept.");
    }
}

void assess_follows(const struct assess *a, struct buf *out)
{
    static const char *const follows[] = {
        [ASSESS_STATE_WITHDRAWN] = "It gets no label, and its page says it is withdrawn.",
        [ASSESS_STATE_NOT_COMPLIANT] = "It gets no label, and its page shows the broken promise "
                                       "in red.",
        [ASSESS_STATE_ENDED] = "Its page says that its security updates ended, and its labels "
                               "come with a warning.",
    };
    if ((size_t)a->state < sizeof follows / sizeof follows[0] && follows[a->state])
        buf_puts(out, follows[a->state]);
}

void assess_state_json(const struct assess *a, struct buf *out)
{
    buf_puts(out, "\"state\":{\"name\":\"");
    buf_puts(out, state_names[a->state]);
    buf_puts(out, "\",\"reason\":\"");
    assess_reason(a, out);
    buf_puts(out, "\"}");
}

void assess_json(const struct assess *a, int64_t today, struct buf *out)
{
    char day[11];
    date_format_day(today, day);
    /* Appended, not printf: on every record's read path (issue 15). */
    buf_puts(out, ",\"support_status\":{\"status\":\"");
    buf_puts(out, support_names[a->support]);
    buf_puts(out, "\",");
    if (a->period_ok) {
        buf_puts(out, "\"days_left\":");
        buf_put_i64(out, a->days_left);
        buf_putc(out, ',');
    }
    buf_puts(out, "\"as_of\":\"");
    buf_puts(out, day);
    buf_puts(out, "\"},\"compliance\":{\"compliant\":");
    buf_puts(out, a->compliant ? "true," : "false,");
    for (size_t i = 0; i < NPROMISES; i++) {
        buf_putc(out, '"');
        buf_puts(out, promises[i].name);
        buf_puts(out, kept(a, i) ? "\":{\"pass\":true,\"requirement\":\""
                                 : "\":{\"pass\":false,\"requirement\":\"");
        buf_puts(out, promises[i].requirement);
        buf_puts(out, "\",\"reason\":\"");
        buf_puts(out, kept(a, i) ? promises[i].yes : promises[i].no);
        buf_puts(out, "\"},");
    }
    buf_puts(out, a->cra_ok ? "\"eu_cra\":{\"meets_5_years\":true"
                            : "\"eu_cra\":{\"meets_5_years\":false");
    if (a->cra_from_day >= 0 && a->period_ok) {
        char from[11], sd[11];
        date_format_day(a->cra_from_day, from);
        date_format_day(a->support_day, sd);
        buf_puts(out, ",\"from\":\"");
        buf_puts(out, from);
        buf_puts(out, "\",\"reason\":\"Security updates from ");
        buf_puts(out, from);
        buf_puts(out, " until ");
        buf_puts(out, sd);
        buf_puts(out, a->cra_ok ? ": at least" : ": less than");
        buf_puts(out, " 5 years (EU Cyber Resilience Act Art 13(8), unless the product's expected "
                      "use is shorter).\"");
    } else {
        buf_puts(out, ",\"reason\":\"No support end date is published.\"");
    }
    buf_puts(out, "}}");
}
