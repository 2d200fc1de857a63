/* assess.c: support status and baseline-promise checks (see assess.h). */
#include "assess.h"

#include "buf.h"
#include "date.h"

#include <string.h>
#include <time.h>

int64_t assess_today(void)
{
    return (int64_t)(time(NULL) / 86400);
}

const char *assess_support_name(enum assess_support s)
{
    static const char *const names[] = {"active", "ending_soon", "ended", "unknown"};
    return names[s];
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

static void assess_cra(yyjson_val *rec, struct assess *a)
{
    yyjson_val *start = yyjson_obj_get(rec, "support_start");
    yyjson_val *created = yyjson_obj_get(rec, "created");
    a->cra_from_day = -1;
    if (yyjson_is_str(start))
        date_parse(yyjson_get_str(start), yyjson_get_len(start), &a->cra_from_day);
    else if (yyjson_is_str(created) && yyjson_get_len(created) >= 10)
        date_parse(yyjson_get_str(created), 10, &a->cra_from_day);
    a->cra_ok = a->period_ok && a->cra_from_day >= 0 &&
                a->support_day >= add_years(a->cra_from_day, ASSESS_CRA_YEARS);
}

static void promise(struct buf *out, const char *name, int pass, const char *requirement,
                    const char *yes, const char *no)
{
    buf_printf(out, "\"%s\":{\"pass\":%s,\"requirement\":\"%s\",\"reason\":\"%s\"},", name,
               pass ? "true" : "false", requirement, pass ? yes : no);
}

void assess_json(const struct assess *a, int64_t today, struct buf *out)
{
    char day[11];
    date_format_day(today, day);
    buf_printf(out, ",\"support_status\":{\"status\":\"%s\",", assess_support_name(a->support));
    if (a->period_ok) buf_printf(out, "\"days_left\":%lld,", (long long)a->days_left);
    buf_printf(out, "\"as_of\":\"%s\"},\"compliance\":{\"compliant\":%s,", day,
               a->compliant ? "true" : "false");
    promise(out, "passwords", a->password_ok,
            "ETSI EN 303 645 5.1-1; UK PSTI Schedule 1 paragraph 1",
            "No universal default password: each device's password is unique or set by its user.",
            "The product uses a universal default password, shared by every device.");
    promise(out, "vulnerability_reporting", a->contact_ok,
            "ETSI EN 303 645 5.2-1; UK PSTI Schedule 1 paragraph 2",
            "A contact for reporting security problems is published.",
            "No contact for reporting security problems is published.");
    promise(out, "support_period", a->period_ok,
            "ETSI EN 303 645 5.3-13; UK PSTI Schedule 1 paragraph 3",
            "The end date of security updates is published.",
            "No end date for security updates is published.");
    buf_printf(out, "\"eu_cra\":{\"meets_5_years\":%s", a->cra_ok ? "true" : "false");
    if (a->cra_from_day >= 0 && a->period_ok) {
        char from[11], sd[11];
        date_format_day(a->cra_from_day, from);
        date_format_day(a->support_day, sd);
        buf_printf(out,
                   ",\"from\":\"%s\",\"reason\":\"Security updates from %s until %s: %s 5 "
                   "years (EU Cyber Resilience Act Art 13(8), unless the product's expected use is "
                   "shorter).\"",
                   from, from, sd, a->cra_ok ? "at least" : "less than");
    } else {
        buf_puts(out, ",\"reason\":\"No support end date is published.\"");
    }
    buf_puts(out, "}}");
}

void assess_record(yyjson_val *rec, int64_t today, struct assess *a)
{
    memset(a, 0, sizeof *a);
    yyjson_val *sd = yyjson_obj_get(rec, "support_date");
    yyjson_val *pw = yyjson_obj_get(rec, "default_password");
    yyjson_val *sc = yyjson_obj_get(rec, "security_contact");
    a->period_ok = yyjson_is_str(sd) &&
                   date_parse(yyjson_get_str(sd), yyjson_get_len(sd), &a->support_day) == 0;
    a->password_ok = yyjson_is_str(pw) && !yyjson_equals_str(pw, "universal");
    a->contact_ok = yyjson_is_str(sc) && yyjson_get_len(sc) > 0;
    a->compliant = a->period_ok && a->password_ok && a->contact_ok;
    assess_cra(rec, a);
    if (!a->period_ok) {
        a->support = ASSESS_UNKNOWN;
        return;
    }
    a->days_left = a->support_day - today;
    a->support = a->days_left < 0                          ? ASSESS_ENDED
                 : a->days_left <= ASSESS_ENDING_SOON_DAYS ? ASSESS_ENDING_SOON
                                                           : ASSESS_ACTIVE;
}
