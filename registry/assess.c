/* assess.c: support status and baseline-promise checks (see assess.h). */
#include "assess.h"

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
    if (!a->period_ok) {
        a->support = ASSESS_UNKNOWN;
        return;
    }
    a->days_left = a->support_day - today;
    a->support = a->days_left < 0                          ? ASSESS_ENDED
                 : a->days_left <= ASSESS_ENDING_SOON_DAYS ? ASSESS_ENDING_SOON
                                                           : ASSESS_ACTIVE;
}
