/* page_product.c: one product's pages. The consumer page (L1, behind the QR code) answers
 * first "will this device get security fixes, until when, and is it safe by default?", then
 * how to use it safely, what it can sense, its identity and history. The technical page (L2)
 * carries CTA-2120's layer-2 information for researchers. */
#include "page_int.h"

#include "date.h"
#include "decl.h"
#include "decl_fields.h"
#include "mfr.h"

#include <stdio.h>
#include <string.h>

struct product {
    yyjson_val *rec;
    yyjson_val *versions;
    struct mfr maker; /* the manufacturer's account: a copy of the caller's, borrowed */
    int has_maker;
    struct assess a;
    const struct page_product_data *d; /* the log's facts */
};

static void load(const struct page_product_data *d, const struct page_req *pr, struct product *p)
{
    memset(p, 0, sizeof *p);
    p->rec = d->rec;
    p->versions = d->versions;
    p->d = d;
    p->has_maker = d->maker != NULL;
    if (d->maker) p->maker = *d->maker; /* nothing here frees it */
    assess_record(p->rec, pr->today, &p->a);
}

static yyjson_val *get(const struct product *p, const char *name)
{
    return yyjson_obj_get(p->rec, name);
}

static const struct mfr *account(const struct product *p)
{
    return p->has_maker ? &p->maker : NULL;
}

/* The day of a registry timestamp ("2026-11-24T02:42:53Z"), or -1. */
static int64_t stamp_day(yyjson_val *v)
{
    int64_t day;
    const char *s = yyjson_get_str(v);
    return s && yyjson_get_len(v) >= 10 && date_parse(s, 10, &day) == 0 ? day : -1;
}

static void title(struct buf *out, const struct page_req *pr, const struct product *p)
{
    buf_puts(out, "<h1>");
    page_text(out, get(p, "product_name"));
    buf_puts(out, "</h1><p class=\"sub\">");
    struct buf model = BUF_INIT, maker = BUF_INIT;
    page_text(&model, get(p, "product_model"));
    page_maker_name(&maker, p->rec, account(p));
    const char *args[] = {buf_cstr(&model), buf_cstr(&maker)};
    i18n_fmt(out, pr->lang, I18N_by_line, 2, args);
    buf_puts(out, "</p>");
    buf_free(&model);
    buf_free(&maker);
}

/* One promise: a tick only when it is kept by a product a shopper may rely on (assess.h);
 * kept by one nobody should rely on, a dash in grey; broken, a cross in red. */
static void promise(struct buf *out, const struct page_req *pr, const struct assess *a, int ok,
                    enum i18n_key yes, enum i18n_key no)
{
    int tick = ok && assess_reliable(a);
    buf_printf(out, "<li class=\"%s\"><strong><span aria-hidden=\"true\">%s</span> ",
               tick ? "yes"
               : ok ? "held"
                    : "no",
               tick ? page_tone_icon(ASSESS_TONE_GOOD)
               : ok ? "–"
                    : page_tone_icon(ASSESS_TONE_BAD));
    i18n_put(out, pr->lang, ok ? yes : no);
    buf_puts(out, "</strong> ");
}

static void promises(struct buf *out, const struct page_req *pr, const struct product *p)
{
    static const enum i18n_key pw[DECL__PASSWORDS] = {
#define X(e, name) [DECL_PW_##e] = I18N_pw_##name,
        DECL_PASSWORDS(X)
#undef X
    };
    const struct assess *a = &p->a;
    buf_puts(out, "<h2>");
    i18n_put(out, pr->lang, I18N_promises_heading);
    buf_puts(out, "</h2><ul class=\"checks\">");
    promise(out, pr, a, a->password_ok, I18N_pw_ok_title, I18N_pw_bad_title);
    int k = decl_password_parse(yyjson_get_str(get(p, "default_password")));
    if (k >= 0) i18n_put(out, pr->lang, pw[k]);
    buf_puts(out, "</li>");
    promise(out, pr, a, a->contact_ok, I18N_report_title, I18N_report_none_title);
    struct buf contact = BUF_INIT;
    page_contact(&contact, yyjson_get_str(get(p, "security_contact")));
    yyjson_val *vdp = get(p, "vulnerability_disclosure_policy");
    if (yyjson_is_str(vdp)) {
        const char *word = i18n_get(pr->lang, I18N_report_policy);
        buf_puts(&contact, " (");
        page_link(&contact, yyjson_get_str(vdp), yyjson_get_len(vdp), word, strlen(word));
        buf_puts(&contact, ")");
    }
    const char *args[] = {buf_cstr(&contact)};
    if (a->contact_ok) i18n_fmt(out, pr->lang, I18N_report_body, 1, args);
    buf_free(&contact);
    buf_puts(out, "</li>");
    /* A support period that is over was published, but promises nothing any more. */
    struct buf date = BUF_INIT;
    if (a->period_ok) i18n_date(&date, pr->lang, a->support_day);
    args[0] = buf_cstr(&date);
    if (a->by_date == ASSESS_ENDED) {
        buf_printf(out, "<li class=\"over\"><strong><span aria-hidden=\"true\">%s</span> ",
                   page_tone_icon(ASSESS_TONE_BAD));
        i18n_put(out, pr->lang, I18N_period_over_title);
        buf_puts(out, "</strong> ");
        i18n_fmt(out, pr->lang, I18N_period_over_body, 1, args);
    } else {
        promise(out, pr, a, a->period_ok, I18N_period_title, I18N_period_none_title);
        i18n_fmt(out, pr->lang,
                 !a->period_ok  ? I18N_period_none_body
                 : a->withdrawn ? I18N_withdrawn_period /* a promise no longer in force */
                                : I18N_period_body,
                 1, args);
    }
    buf_free(&date);
    buf_puts(out, "</li></ul>");
}

/* A CTA-2120 link object {text, url} as a link (or text), under a label. */
static void link_item(struct buf *out, const struct page_req *pr, enum i18n_key label,
                      yyjson_val *obj)
{
    if (!yyjson_is_obj(obj)) return;
    yyjson_val *text = yyjson_obj_get(obj, "text"), *url = yyjson_obj_get(obj, "url");
    buf_puts(out, "<dt>");
    i18n_put(out, pr->lang, label);
    buf_puts(out, "</dt><dd>");
    const char *t = yyjson_get_str(text);
    size_t tl = yyjson_get_len(text);
    if (!t) {
        t = i18n_get(pr->lang, I18N_link_default);
        tl = strlen(t);
    }
    if (yyjson_is_str(url))
        page_link(out, yyjson_get_str(url), yyjson_get_len(url), t, tl);
    else
        html_escape(out, t, tl);
    buf_puts(out, "</dd>");
}

static enum i18n_key update_words(yyjson_val *v)
{
    static const struct {
        const char *value;
        enum i18n_key key;
    } m[] = {{"Automatic - may opt out", I18N_upd_auto_optout},
             {"Automatic - may not opt out", I18N_upd_auto_fixed},
             {"Manual", I18N_upd_manual},
             {"Consent based", I18N_upd_consent},
             {"No updates", I18N_upd_none},
             {"Not disclosed", I18N_upd_undisclosed},
             {"Other", I18N_upd_other}};
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
        if (yyjson_equals_str(v, m[i].value)) return m[i].key;
    return I18N_not_stated;
}

static void updates_item(struct buf *out, const struct page_req *pr, const struct product *p)
{
    yyjson_val *sui = get(p, "security_update_information");
    buf_puts(out, "<dt>");
    i18n_put(out, pr->lang, I18N_updates_label);
    buf_puts(out, "</dt><dd>");
    i18n_put(out, pr->lang, update_words(yyjson_obj_get(sui, "update_default")));
    yyjson_val *other = get(p, "security_update_information_other");
    if (yyjson_is_str(other)) {
        buf_puts(out, ": ");
        page_text(out, other);
    }
    /* The other ways offered, if any. */
    struct buf also = BUF_INIT;
    size_t i, max;
    yyjson_val *opt;
    yyjson_arr_foreach(yyjson_obj_get(sui, "update_options"), i, max, opt)
    {
        if (yyjson_equals(opt, yyjson_obj_get(sui, "update_default"))) continue;
        if (also.len) buf_puts(&also, "; ");
        i18n_put(&also, pr->lang, update_words(opt));
    }
    if (also.len) {
        const char *args[] = {buf_cstr(&also)};
        buf_puts(out, "<br>");
        i18n_fmt(out, pr->lang, I18N_upd_also, 1, args);
    }
    buf_free(&also);
    buf_puts(out, "</dd>");
}

/* The sections of the pages that show declaration fields as decl_fields.h's rows say. */
enum row_section { ROW_NONE, ROW_USE, ROW_DATA, ROW_BOM, ROW_ASSURANCE };
static void rows(struct buf *out, const struct page_req *pr, const struct product *p,
                 enum row_section section);

static void use_safely(struct buf *out, const struct page_req *pr, const struct product *p)
{
    buf_puts(out, "<h2>");
    i18n_put(out, pr->lang, I18N_use_heading);
    buf_puts(out, "</h2><dl>");
    updates_item(out, pr, p);
    link_item(out, pr, I18N_password_change_label,
              yyjson_obj_get(get(p, "access_control"), "password_change"));
    rows(out, pr, p, ROW_USE);
    buf_puts(out, "</dl>");
}

static void sensors(struct buf *out, const struct page_req *pr, const struct product *p)
{
    static const struct {
        const char *sensing;
        enum i18n_key label;
    } kinds[] = {{"images", I18N_sensor_images},
                 {"audio", I18N_sensor_audio},
                 {"position", I18N_sensor_position}};
    yyjson_val *list = get(p, "sensor_data_collection");
    buf_puts(out, "<h2>");
    i18n_put(out, pr->lang, I18N_sensors_heading);
    buf_puts(out, "</h2><ul class=\"sensors\">");
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        yyjson_val *item = NULL, *it;
        size_t i, max;
        yyjson_arr_foreach(list, i, max, it) if (yyjson_equals_str(yyjson_obj_get(it, "sensing"),
                                                                   kinds[k].sensing)) item = it;
        yyjson_val *has = yyjson_obj_get(item, "has");
        int known = yyjson_is_bool(has), yes = known && yyjson_get_bool(has);
        buf_printf(out, "<li class=\"%s\"><strong>", !known ? "unknown" : yes ? "has" : "not");
        i18n_put(out, pr->lang, kinds[k].label);
        buf_puts(out, ":</strong> ");
        i18n_put(out, pr->lang,
                 !known ? I18N_not_stated
                 : yes  ? I18N_sensor_has
                        : I18N_sensor_has_not);
        yyjson_val *desc = yyjson_obj_get(item, "description");
        if (yyjson_is_str(desc)) {
            buf_puts(out, " — ");
            page_text(out, desc);
        }
        buf_puts(out, "</li>");
    }
    buf_puts(out, "</ul>");
}

static void fact(struct buf *out, const struct page_req *pr, enum i18n_key name, yyjson_val *v)
{
    if (!yyjson_is_str(v) && !yyjson_is_uint(v)) return;
    buf_puts(out, "<dt>");
    i18n_put(out, pr->lang, name);
    buf_puts(out, "</dt><dd>");
    if (yyjson_is_str(v))
        page_text(out, v);
    else
        buf_printf(out, "%llu", (unsigned long long)yyjson_get_uint(v));
    buf_puts(out, "</dd>");
}

/* The maker as the registry knows it: the account's name, website, whether the registry
 * verified it, and a link to all its products. */
static void maker_fact(struct buf *out, const struct page_req *pr, const struct product *p)
{
    buf_puts(out, "<dt>");
    i18n_put(out, pr->lang, I18N_f_maker);
    buf_puts(out, "</dt><dd>");
    page_maker_name(out, p->rec, account(p));
    if (p->has_maker && p->maker.website) {
        const char *site = p->maker.website;
        buf_puts(out, " (");
        page_link(out, site, strlen(site), site, strlen(site));
        buf_puts(out, ")");
    }
    buf_puts(out, "<br>");
    page_verification(out, pr, account(p), assess_reliable(&p->a));
    struct buf name = BUF_INIT;
    page_maker_name(&name, p->rec, account(p));
    const char *args[] = {buf_cstr(&name)};
    buf_puts(out, "<br><a href=\"/m/");
    page_text(out, get(p, "manufacturer"));
    buf_printf(out, "%s\">", page_lang_param(pr, 1));
    i18n_fmt(out, pr->lang, I18N_maker_all, 1, args);
    buf_puts(out, "</a></dd>");
    buf_free(&name);
}

/* A link to the page that says how to check the log, keeping the language. */
static void check_link(struct buf *out, const struct page_req *pr)
{
    buf_printf(out, "<a href=\"/log%s\">", page_lang_param(pr, 1));
    i18n_put(out, pr->lang, I18N_log_check_link);
    buf_puts(out, "</a>");
}

/* One quiet line: which entry of the public log this version is and when it was logged (its
 * "modified" time: the entry is appended in the transaction that stores the version). */
static void log_fact(struct buf *out, const struct page_req *pr, const struct product *p)
{
    int64_t day = stamp_day(get(p, "modified"));
    if (!p->d->logged || day < 0) return;
    struct buf n = BUF_INIT, date = BUF_INIT;
    buf_printf(&n, "%llu", (unsigned long long)p->d->log_index);
    i18n_date(&date, pr->lang, day);
    const char *args[] = {buf_cstr(&n), buf_cstr(&date)};
    buf_puts(out, "<dt>");
    i18n_put(out, pr->lang, I18N_f_log);
    buf_puts(out, "</dt><dd>");
    i18n_fmt(out, pr->lang, I18N_log_entry, 2, args);
    buf_puts(out, " ");
    check_link(out, pr);
    buf_puts(out, "</dd>");
    buf_free(&n);
    buf_free(&date);
}

static void identity(struct buf *out, const struct page_req *pr, const struct product *p)
{
    buf_puts(out, "<h2>");
    i18n_put(out, pr->lang, I18N_details_heading);
    buf_puts(out, "</h2><dl>");
    fact(out, pr, I18N_f_model, get(p, "product_model"));
    maker_fact(out, pr, p);
    fact(out, pr, I18N_f_gtin, get(p, "gtin"));
    fact(out, pr, I18N_f_product_id, get(p, "id"));
    yyjson_val *vm = get(p, "version_and_model_numbers");
    if (yyjson_arr_size(vm)) {
        buf_puts(out, "<dt>");
        i18n_put(out, pr->lang, I18N_f_versions);
        buf_puts(out, "</dt><dd>");
        size_t i, max;
        yyjson_val *it;
        yyjson_arr_foreach(vm, i, max, it)
        {
            if (i) buf_puts(out, "<br>");
            page_text(out, it);
        }
        buf_puts(out, "</dd>");
    }
    log_fact(out, pr, p);
    buf_puts(out, "</dl>");
}

/* History: each version that registered, extended the support period or withdrew. */
struct history {
    struct buf *out;
    const struct page_req *pr;
    char prev_date[11];
    int n;
};

static void history_line(struct history *h, enum i18n_key key, int64_t day, const char *from,
                         const char *to)
{
    struct buf d = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
    int64_t x;
    i18n_date(&d, h->pr->lang, day);
    if (from && date_parse(from, strlen(from), &x) == 0) i18n_date(&a, h->pr->lang, x);
    if (to && date_parse(to, strlen(to), &x) == 0) i18n_date(&b, h->pr->lang, x);
    const char *args[] = {buf_cstr(&d), from && to ? buf_cstr(&a) : buf_cstr(&b), buf_cstr(&b)};
    buf_puts(h->out, "<li>");
    i18n_fmt(h->out, h->pr->lang, key, 3, args);
    buf_puts(h->out, "</li>");
    buf_free(&d);
    buf_free(&a);
    buf_free(&b);
}

static void history_version(struct history *h, yyjson_val *rec)
{
    const char *sd = yyjson_get_str(yyjson_obj_get(rec, "support_date"));
    int64_t day = stamp_day(yyjson_obj_get(rec, "modified"));
    if (day >= 0 && sd) {
        if (h->n == 0)
            history_line(h, I18N_hist_created, day, NULL, sd);
        else if (yyjson_equals_str(yyjson_obj_get(rec, "status"), "withdrawn"))
            history_line(h, I18N_hist_withdrawn, day, NULL, NULL);
        else if (strcmp(sd, h->prev_date) != 0)
            history_line(h, I18N_hist_extended, day, h->prev_date, sd);
        else
            history_line(h, I18N_hist_changed, day, NULL, NULL);
        snprintf(h->prev_date, sizeof h->prev_date, "%s", sd);
    }
    h->n++;
}

static void history(struct buf *out, const struct page_req *pr, const struct product *p)
{
    struct history h = {.out = out, .pr = pr};
    size_t i, max;
    yyjson_val *rec;
    buf_puts(out, "<h2>");
    i18n_put(out, pr->lang, I18N_history_heading);
    buf_puts(out, "</h2><ul class=\"history\">");
    yyjson_arr_foreach(p->versions, i, max, rec)
    {
        history_version(&h, rec);
    }
    buf_puts(out, "</ul>");
}

static void record_links(struct buf *out, const struct page_req *pr, const struct product *p,
                         int details)
{
    buf_puts(out, "<ul class=\"more\"><li><a href=\"/p/");
    page_text(out, get(p, "id"));
    buf_printf(out, "%s%s\">", details ? "" : "/details", page_lang_param(pr, 1));
    i18n_put(out, pr->lang, details ? I18N_back_link : I18N_details_link);
    buf_puts(out, "</a></li><li><a href=\"/v1/products/");
    page_text(out, get(p, "id"));
    buf_puts(out, "\">");
    i18n_put(out, pr->lang, I18N_json_link);
    buf_puts(out, "</a></li><li><a href=\"/v1/products/");
    page_text(out, get(p, "id"));
    buf_puts(out, "/cta-2120\">");
    i18n_put(out, pr->lang, I18N_cta_link);
    buf_puts(out, "</a></li></ul>");
}

void page_product(const struct page_product_data *d, const struct page_req *pr, struct buf *out)
{
    struct product p;
    load(d, pr, &p);
    yyjson_val *name = get(&p, "product_name");
    page_head(out, pr, yyjson_get_str(name), yyjson_get_len(name));
    page_state_boxes(out, pr, &p.a, PAGE_BOXES_LEAD);
    title(out, pr, &p);
    page_state_boxes(out, pr, &p.a, PAGE_BOXES_REST);
    promises(out, pr, &p);
    use_safely(out, pr, &p);
    sensors(out, pr, &p);
    identity(out, pr, &p);
    history(out, pr, &p);
    record_links(out, pr, &p, 0);
    page_foot(out, pr);
}

static void maintained(struct buf *out, const struct page_req *pr, enum i18n_key label,
                       yyjson_val *v)
{
    buf_puts(out, "<dt>");
    i18n_put(out, pr->lang, label);
    buf_puts(out, "</dt><dd>");
    i18n_put(out, pr->lang,
             !yyjson_is_bool(v)   ? I18N_not_stated
             : yyjson_get_bool(v) ? I18N_maintained_yes
                                  : I18N_maintained_no);
    buf_puts(out, "</dd>");
}

static void party(struct buf *out, const struct page_req *pr, enum i18n_key label, yyjson_val *who)
{
    if (!yyjson_is_obj(who)) return;
    buf_puts(out, "<dt>");
    i18n_put(out, pr->lang, label);
    buf_puts(out, "</dt><dd>");
    page_text(out, yyjson_obj_get(who, "name"));
    yyjson_val *c = yyjson_obj_get(who, "contact");
    if (yyjson_is_str(c)) {
        buf_puts(out, "<br>");
        if (memchr(yyjson_get_str(c), '@', yyjson_get_len(c)) ||
            page_url_ok(yyjson_get_str(c), yyjson_get_len(c)))
            page_contact(out, yyjson_get_str(c));
        else
            page_text(out, c);
    }
    buf_puts(out, "</dd>");
}

/* A URL, linked by itself, under a label. */
static void url_item(struct buf *out, const struct page_req *pr, enum i18n_key label,
                     yyjson_val *url)
{
    if (!yyjson_is_str(url)) return;
    buf_puts(out, "<dt>");
    i18n_put(out, pr->lang, label);
    buf_puts(out, "</dt><dd>");
    page_link(out, yyjson_get_str(url), yyjson_get_len(url), yyjson_get_str(url),
              yyjson_get_len(url));
    buf_puts(out, "</dd>");
}

/* The rows of one section, in decl_fields.h's order; a field the record lacks shows nothing. */
static void rows(struct buf *out, const struct page_req *pr, const struct product *p,
                 enum row_section section)
{
    enum how { LINK, PARTY, FACT, URL };
    /* decl_fields.h in three passes, as one with commas in ROW's expansion trips cppcheck. */
    static const char *const names[] = {
#define X(name, spec, required, csv, cta, page) #name,
        DECL_FIELDS(X)
#undef X
    };
#define X(name, spec, required, csv, cta, page) page,
    static const int where[] = {/* section << 2 | how */
#define ROW(s, h, key) (ROW_##s << 2 | h)
#define NO_ROW (ROW_NONE << 2)
                                DECL_FIELDS(X)
#undef ROW
#undef NO_ROW
    };
    static const enum i18n_key labels[] = {
#define ROW(s, h, key) I18N_##key
#define NO_ROW I18N__KEYS
        DECL_FIELDS(X)
#undef ROW
#undef NO_ROW
    };
#undef X
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (where[i] >> 2 != (int)section) continue;
        yyjson_val *v = get(p, names[i]);
        enum i18n_key label = labels[i];
        switch ((enum how)(where[i] & 3)) {
        case LINK:
            link_item(out, pr, label, v);
            break;
        case PARTY:
            party(out, pr, label, v);
            break;
        case FACT:
            fact(out, pr, label, v);
            break;
        case URL:
            url_item(out, pr, label, v);
            break;
        }
    }
}

static void heading(struct buf *out, const struct page_req *pr, enum i18n_key key)
{
    buf_puts(out, "<h2>");
    i18n_put(out, pr->lang, key);
    buf_puts(out, "</h2>");
}

/* The technical page's log section: the entry (its index, a link to its bytes), the newest
 * checkpoint's size, and the command that checks this product. */
static void log_section(struct buf *out, const struct page_req *pr, const struct product *p)
{
    const struct page_product_data *d = p->d;
    yyjson_val *version = get(p, "version");
    heading(out, pr, I18N_l2_log_heading);
    buf_puts(out, "<dl>");
    if (d->logged && yyjson_is_uint(version)) {
        buf_puts(out, "<dt>");
        i18n_put(out, pr->lang, I18N_log_index_label);
        buf_printf(out, "</dt><dd>%llu (<a href=\"/v1/products/", (unsigned long long)d->log_index);
        page_text(out, get(p, "id"));
        buf_printf(out, "/versions/%llu/entry\">", (unsigned long long)yyjson_get_uint(version));
        i18n_put(out, pr->lang, I18N_log_entry_bytes);
        buf_puts(out, "</a>)</dd>");
    }
    buf_puts(out, "<dt>");
    i18n_put(out, pr->lang, I18N_log_size_label);
    buf_puts(out, "</dt><dd>");
    if (!d->checkpoint.key) {
        i18n_put(out, pr->lang, I18N_log_none);
    } else {
        buf_printf(out, "%llu", (unsigned long long)d->checkpoint.size);
        if (d->logged && d->log_index >= d->checkpoint.size) {
            buf_puts(out, "<br>");
            i18n_put(out, pr->lang, I18N_log_pending);
        }
    }
    buf_puts(out, "</dd><dt>");
    i18n_put(out, pr->lang, I18N_log_verify_label);
    buf_puts(out, "</dt><dd><code>seclabel verify ");
    page_text(out, get(p, "id"));
    buf_puts(out, "</code><br>");
    check_link(out, pr);
    buf_puts(out, "</dd></dl>");
}

void page_details(const struct page_product_data *d, const struct page_req *pr, struct buf *out)
{
    struct product p;
    load(d, pr, &p);
    struct buf t = BUF_INIT, name = BUF_INIT;
    page_text(&name, get(&p, "product_name"));
    const char *args[] = {buf_cstr(&name)};
    /* The title is plain text: format it, then unescape nothing — page_head escapes again, so
     * build it from the raw name instead. */
    const char *raw = yyjson_get_str(get(&p, "product_name"));
    const char *fmt = i18n_get(pr->lang, I18N_l2_title);
    const char *ph = strstr(fmt, "{1}");
    if (ph) {
        buf_append(&t, fmt, (size_t)(ph - fmt));
        buf_puts(&t, raw ? raw : "");
        buf_puts(&t, ph + 3);
    } else {
        buf_puts(&t, fmt);
    }
    page_head(out, pr, t.data, t.len);
    page_state_boxes(out, pr, &p.a, PAGE_BOXES_LEAD);
    buf_puts(out, "<h1>");
    i18n_fmt(out, pr->lang, I18N_l2_title, 1, args);
    buf_puts(out, "</h1><p>");
    i18n_put(out, pr->lang, I18N_l2_intro);
    buf_puts(out, "</p>");
    heading(out, pr, I18N_l2_data_heading);
    buf_puts(out, "<dl>");
    rows(out, pr, &p, ROW_DATA);
    buf_puts(out, "</dl>");
    heading(out, pr, I18N_l2_bom_heading);
    yyjson_val *bom = get(&p, "sbom_hbom_maintained");
    buf_puts(out, "<dl>");
    maintained(out, pr, I18N_sbom_label, yyjson_obj_get(bom, "sbom_maintained"));
    maintained(out, pr, I18N_hbom_label, yyjson_obj_get(bom, "hbom_maintained"));
    rows(out, pr, &p, ROW_BOM);
    buf_puts(out, "</dl>");
    heading(out, pr, I18N_l2_assurance_heading);
    buf_puts(out, "<dl>");
    rows(out, pr, &p, ROW_ASSURANCE);
    buf_puts(out, "<dt>");
    i18n_put(out, pr->lang, I18N_contact_label);
    buf_puts(out, "</dt><dd>");
    page_contact(out, yyjson_get_str(get(&p, "security_contact")));
    buf_puts(out, "</dd>");
    url_item(out, pr, I18N_policy_label, get(&p, "vulnerability_disclosure_policy"));
    buf_puts(out, "</dl>");
    log_section(out, pr, &p);
    heading(out, pr, I18N_l2_records_heading);
    record_links(out, pr, &p, 1);
    page_foot(out, pr);
    buf_free(&t);
    buf_free(&name);
}
