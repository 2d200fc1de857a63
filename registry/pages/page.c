/* page.c: the pages' shared layout and small renderers (see page.h, page_int.h): escaping,
 * safe links, the language menu, the support status box, product rows and the search form. */
#include "page_int.h"

#include "hash.h"
#include "mfr.h"
#include "search.h"
#include "web_assets.h"

#include <stdio.h>
#include <string.h>

static char style_path[64] = "/static/style.css";

void page_init(void)
{
    /* A hash of the stylesheet: a new build with new CSS gets a new URL, so the file can be
     * cached for a year. */
    snprintf(style_path, sizeof style_path, "/static/style.css?v=%016llx",
             (unsigned long long)hash_fnv1a(web_style_css, web_style_css_len));
}

const char *page_style(size_t *len)
{
    *len = web_style_css_len;
    return web_style_css;
}

const char *page_style_path(void)
{
    return style_path;
}

void html_escape(struct buf *out, const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i < len; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        }
        if (!rep) continue;
        buf_append(out, s + start, i - start);
        buf_puts(out, rep);
        start = i + 1;
    }
    buf_append(out, s + start, len - start);
}

void page_text(struct buf *out, yyjson_val *v)
{
    if (yyjson_is_str(v)) html_escape(out, yyjson_get_str(v), yyjson_get_len(v));
}

int page_url_ok(const char *s, size_t len)
{
    static const char *const schemes[] = {"https://", "http://", "mailto:"};
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
        size_t n = strlen(schemes[i]);
        if (len > n && strncasecmp(s, schemes[i], n) == 0) {
            for (size_t j = 0; j < len; j++)
                if ((unsigned char)s[j] <= ' ' || s[j] == 0x7f) return 0;
            return 1;
        }
    }
    return 0;
}

void page_link(struct buf *out, const char *url, size_t ulen, const char *text, size_t tlen)
{
    int ok = page_url_ok(url, ulen);
    if (ok) {
        buf_puts(out, "<a href=\"");
        html_escape(out, url, ulen);
        buf_puts(out, "\" rel=\"nofollow noopener\">");
    }
    html_escape(out, text, tlen);
    if (ok) buf_puts(out, "</a>");
}

void page_contact(struct buf *out, const char *s)
{
    if (!s) return;
    size_t len = strlen(s);
    if (len > 8 && strncmp(s, "https://", 8) == 0) {
        page_link(out, s, len, s, len);
        return;
    }
    struct buf url = BUF_INIT;
    buf_puts(&url, "mailto:");
    buf_append(&url, s, len);
    page_link(out, url.data, url.len, s, len);
    buf_free(&url);
}

const char *page_lang_param(const struct page_req *pr, int first)
{
    static const char *const q[I18N__LANGS][2] = {
        {"&lang=en", "?lang=en"}, {"&lang=de", "?lang=de"}, {"&lang=zh", "?lang=zh"}};
    return pr->lang_in_query ? q[pr->lang][first ? 1 : 0] : "";
}

static void lang_menu(struct buf *out, const struct page_req *pr)
{
    buf_puts(out, "<nav class=\"langs\" aria-label=\"");
    i18n_put(out, pr->lang, I18N_lang_menu);
    buf_puts(out, "\"><ul>");
    for (int l = 0; l < I18N__LANGS; l++) {
        buf_puts(out, "<li>");
        if (l == (int)pr->lang) {
            buf_puts(out, "<span aria-current=\"true\">");
        } else {
            buf_printf(out, "<a hreflang=\"%s\" lang=\"%s\" href=\"", i18n_html_lang(l),
                       i18n_html_lang(l));
            html_escape(out, pr->path, strlen(pr->path));
            buf_printf(out, "?lang=%s", i18n_code(l));
            if (pr->query && *pr->query) {
                buf_puts(out, "&amp;");
                html_escape(out, pr->query, strlen(pr->query));
            }
            buf_puts(out, "\">");
        }
        i18n_put(out, (enum i18n_lang)l, I18N_lang_name);
        buf_puts(out, l == (int)pr->lang ? "</span></li>" : "</a></li>");
    }
    buf_puts(out, "</ul></nav>");
}

void page_head(struct buf *out, const struct page_req *pr, const char *title, size_t tlen)
{
    buf_printf(out,
               "<!doctype html><html lang=\"%s\"><head><meta charset=\"utf-8\">"
               "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
               "<title>",
               i18n_html_lang(pr->lang));
    html_escape(out, title, tlen);
    buf_printf(out,
               "</title><link rel=\"stylesheet\" href=\"%s\"></head><body>"
               "<header><a class=\"brand\" href=\"/%s\">seclabel</a> <span>",
               page_style_path(), page_lang_param(pr, 1));
    i18n_put(out, pr->lang, I18N_site_tagline);
    buf_puts(out, "</span>");
    lang_menu(out, pr);
    buf_puts(out, "</header><main>");
}

void page_foot(struct buf *out, const struct page_req *pr)
{
    buf_puts(out, "</main><footer><p>");
    i18n_put(out, pr->lang, I18N_privacy);
    buf_puts(out, "</p></footer></body></html>\n");
}

const char *page_tone_icon(enum assess_tone t)
{
    static const char *const icons[] = {
        [ASSESS_TONE_GOOD] = "✔", [ASSESS_TONE_WARN] = "⚠", [ASSESS_TONE_BAD] = "✖"};
    return icons[t];
}

/* Open a status box: the state's colour and icon (a neutral box without an icon for -1), and
 * its title `key` with {1} = arg. */
static void box_open(struct buf *out, const struct page_req *pr, int state, enum i18n_key key,
                     const char *arg)
{
    const char *args[] = {arg};
    if (state < 0)
        buf_puts(out, "<div class=\"status plain\"><p class=\"big\">");
    else
        buf_printf(out,
                   "<div class=\"status st-%s\"><p class=\"big\"><span aria-hidden=\"true\">%s"
                   "</span> ",
                   assess_state_name((enum assess_state)state),
                   page_tone_icon(assess_state_tone((enum assess_state)state)));
    i18n_fmt(out, pr->lang, key, 1, args);
    buf_puts(out, "</p>");
}

static void box_para(struct buf *out, const struct page_req *pr, enum i18n_key key, const char *arg)
{
    const char *args[] = {arg};
    buf_puts(out, "<p>");
    i18n_fmt(out, pr->lang, key, 1, args);
    buf_puts(out, "</p>");
}

static void withdrawn_box(struct buf *out, const struct page_req *pr, const struct assess *a)
{
    struct buf day = BUF_INIT;
    if (a->withdrawn_day >= 0) i18n_date(&day, pr->lang, a->withdrawn_day);
    box_open(out, pr, ASSESS_STATE_WITHDRAWN, I18N_withdrawn_title, "");
    box_para(out, pr, I18N_withdrawn_body, buf_cstr(&day));
    buf_puts(out, "</div>");
    buf_free(&day);
}

static void broken_box(struct buf *out, const struct page_req *pr, const struct assess *a)
{
    box_open(out, pr, ASSESS_STATE_NOT_COMPLIANT, I18N_broken_promise, "");
    if (!a->password_ok) box_para(out, pr, I18N_pw_bad_title, "");
    if (!a->contact_ok) box_para(out, pr, I18N_report_none_title, "");
    if (!a->period_ok) box_para(out, pr, I18N_period_none_title, "");
    buf_puts(out, "</div>");
}

/* The support period: green only for a product a shopper may rely on; neutral for one still
 * supported that breaks a promise; nothing for a withdrawn one that has not ended (its promise
 * is void: the promises list says what it was) nor for one without a support date (the broken
 * promise box says so). */
static void support_box(struct buf *out, const struct page_req *pr, const struct assess *a,
                        const char *date, const char *span)
{
    if (a->by_date == ASSESS_UNKNOWN || (a->withdrawn && a->by_date != ASSESS_ENDED)) return;
    if (a->by_date == ASSESS_ENDED) {
        box_open(out, pr, ASSESS_STATE_ENDED, I18N_status_ended_title, date);
        box_para(out, pr, I18N_status_ended_body, "");
    } else if (a->by_date == ASSESS_ENDING_SOON) {
        box_open(out, pr, ASSESS_STATE_ENDING_SOON, I18N_status_soon_title, span);
        box_para(out, pr, I18N_status_soon_body, date);
    } else {
        box_open(out, pr, assess_reliable(a) ? ASSESS_STATE_ACTIVE : -1, I18N_status_active_title,
                 date);
        box_para(out, pr, I18N_status_active_body, span);
    }
    buf_puts(out, "</div>");
}

void page_state_boxes(struct buf *out, const struct page_req *pr, const struct assess *a,
                      enum page_boxes which)
{
    struct buf date = BUF_INIT, span = BUF_INIT;
    if (a->period_ok) {
        i18n_date(&date, pr->lang, a->support_day);
        i18n_span(&span, pr->lang, a->days_left > 0 ? a->days_left : -a->days_left);
    }
    /* Most severe first: the lead box is the first that applies; the rest follow the title. */
    int lead = which == PAGE_BOXES_LEAD, first = 1;
    if (a->withdrawn) {
        if (lead == first) withdrawn_box(out, pr, a);
        first = 0;
    }
    if (!a->promises_ok) {
        if (lead == first) broken_box(out, pr, a);
        first = 0;
    }
    if (lead == first) support_box(out, pr, a, buf_cstr(&date), buf_cstr(&span));
    buf_free(&date);
    buf_free(&span);
}

void page_rows_begin(struct buf *out, const struct page_req *pr)
{
    static const enum i18n_key heads[] = {I18N_col_product, I18N_col_state, I18N_col_updates,
                                          I18N_col_promises};
    buf_puts(out, "<table><thead><tr>");
    for (size_t i = 0; i < sizeof heads / sizeof heads[0]; i++) {
        buf_puts(out, "<th scope=\"col\">");
        i18n_put(out, pr->lang, heads[i]);
        buf_puts(out, "</th>");
    }
    buf_puts(out, "</tr></thead><tbody>");
}

void page_maker_name(struct buf *out, yyjson_val *rec, const struct mfr *maker)
{
    if (maker)
        html_escape(out, maker->name, strlen(maker->name));
    else
        page_text(out, yyjson_obj_get(rec, "manufacturer_name"));
}

void page_verification(struct buf *out, const struct page_req *pr, const struct mfr *maker,
                       int tick)
{
    int64_t day = maker ? maker->verification.day : -1;
    if (day >= 0 && !tick)
        buf_puts(out, "<span>");
    else
        buf_printf(out, "<span class=\"%s\"><span aria-hidden=\"true\">%s</span> ",
                   day >= 0 ? "verified" : "unverified",
                   day >= 0 ? page_tone_icon(ASSESS_TONE_GOOD) : "!");
    if (day < 0) {
        i18n_put(out, pr->lang, I18N_maker_unverified);
        buf_puts(out, "</span>");
        return;
    }
    struct buf date = BUF_INIT, what = BUF_INIT;
    i18n_date(&date, pr->lang, day);
    i18n_put(&what, pr->lang, I18N_checked_identity);
    if (maker->verification.gs1_prefixes.n) {
        buf_puts(&what, ", ");
        i18n_put(&what, pr->lang, I18N_checked_prefixes);
    }
    if (maker->verification.contact) {
        buf_puts(&what, ", ");
        i18n_put(&what, pr->lang, I18N_checked_contact);
    }
    const char *args[] = {buf_cstr(&date), buf_cstr(&what)};
    i18n_fmt(out, pr->lang, I18N_maker_verified, 2, args);
    buf_puts(out, "</span>");
    buf_free(&date);
    buf_free(&what);
}

/* A cell under column `head`, which narrow screens show as the cell's label. */
static void cell_open(struct buf *out, const struct page_req *pr, enum i18n_key head)
{
    buf_puts(out, "<td data-label=\"");
    i18n_put(out, pr->lang, head);
    buf_puts(out, "\">");
}

void page_row(struct buf *out, const struct page_req *pr, yyjson_val *rec, const struct mfr *maker)
{
    static const enum i18n_key state_words[] = {
#define X(e, name, tone) I18N_state_##name,
        ASSESS_STATES(X)
#undef X
    };
    static const enum i18n_key date_words[] = {
        [ASSESS_ACTIVE] = I18N_row_until,
        [ASSESS_ENDING_SOON] = I18N_row_soon,
        [ASSESS_ENDED] = I18N_row_ended,
        [ASSESS_UNKNOWN] = I18N_row_none,
        [ASSESS_WITHDRAWN] = I18N_row_none /* never: by_date is from the date alone */};
    struct assess a;
    assess_record(rec, pr->today, &a);
    buf_puts(out, "<tr><td><a href=\"/p/");
    page_text(out, yyjson_obj_get(rec, "id"));
    buf_printf(out, "%s\">", page_lang_param(pr, 1));
    page_text(out, yyjson_obj_get(rec, "product_name"));
    buf_puts(out, "</a><br><small>");
    page_text(out, yyjson_obj_get(rec, "product_model"));
    buf_puts(out, " · ");
    page_maker_name(out, rec, maker);
    buf_puts(out, "</small></td>");
    /* The state leads, in colour, icon and words; the other cells are plain words. */
    cell_open(out, pr, I18N_col_state);
    /* A no-break space keeps the icon with the first word in a narrow column. */
    buf_printf(out, "<span class=\"badge st-%s\"><span aria-hidden=\"true\">%s</span>\u00a0",
               assess_state_name(a.state), page_tone_icon(assess_state_tone(a.state)));
    i18n_put(out, pr->lang, state_words[a.state]);
    buf_puts(out, "</span></td>");
    cell_open(out, pr, I18N_col_updates);
    struct buf date = BUF_INIT;
    if (a.period_ok) i18n_date(&date, pr->lang, a.support_day);
    const char *args[] = {buf_cstr(&date)};
    i18n_fmt(out, pr->lang, date_words[a.by_date], 1, args);
    buf_free(&date);
    buf_puts(out, "</td>");
    cell_open(out, pr, I18N_col_promises);
    /* "All met" only for a product a shopper may rely on: an ended one kept its promises, but
     * the third (updates) no longer protects anyone, as `seclabel show` says too. */
    enum i18n_key promises = !a.promises_ok         ? I18N_not_met
                             : a.withdrawn          ? I18N_row_void
                             : !assess_reliable(&a) ? I18N_row_kept_over
                                                    : I18N_met;
    i18n_put(out, pr->lang, promises);
    buf_puts(out, "</td></tr>");
}

void page_rows_end(struct buf *out)
{
    buf_puts(out, "</tbody></table>");
}

static void option(struct buf *out, const struct page_req *pr, const char *value, int selected,
                   enum i18n_key label)
{
    buf_printf(out, "<option value=\"%s\"%s>", value, selected ? " selected" : "");
    i18n_put(out, pr->lang, label);
    buf_puts(out, "</option>");
}

void page_search_form(struct buf *out, const struct page_req *pr, const struct search_query *sq)
{
    buf_puts(out, "<form class=\"search\" action=\"/\" method=\"get\" role=\"search\">"
                  "<p><label for=\"q\">");
    i18n_put(out, pr->lang, I18N_search_label);
    buf_puts(out, "</label><input id=\"q\" name=\"q\" type=\"search\" maxlength=\"256\" value=\"");
    if (sq && sq->q) html_escape(out, sq->q, strlen(sq->q));
    buf_puts(out, "\"></p><p><label for=\"support\">");
    i18n_put(out, pr->lang, I18N_filter_support);
    buf_puts(out, "</label><select id=\"support\" name=\"support\">");
    int s = sq ? sq->support : -1, c = sq ? sq->compliant : -1;
    option(out, pr, "", s < 0, I18N_any);
    static const enum i18n_key support_words[ASSESS_UNKNOWN] = {
        [ASSESS_ACTIVE] = I18N_opt_active,
        [ASSESS_ENDING_SOON] = I18N_opt_soon,
        [ASSESS_ENDED] = I18N_opt_ended,
    };
    for (int k = 0; k < ASSESS_UNKNOWN; k++) /* the values a search filters by (search.h) */
        option(out, pr, assess_support_name((enum assess_support)k), s == k, support_words[k]);
    buf_puts(out, "</select></p><p><label for=\"compliant\">");
    i18n_put(out, pr->lang, I18N_filter_compliant);
    buf_puts(out, "</label><select id=\"compliant\" name=\"compliant\">");
    option(out, pr, "", c < 0, I18N_any);
    option(out, pr, "true", c == 1, I18N_opt_met);
    option(out, pr, "false", c == 0, I18N_opt_not_met);
    buf_puts(out, "</select></p>");
    if (pr->lang_in_query)
        buf_printf(out, "<input type=\"hidden\" name=\"lang\" value=\"%s\">", i18n_code(pr->lang));
    buf_puts(out, "<p><button type=\"submit\">");
    i18n_put(out, pr->lang, I18N_search_button);
    buf_puts(out, "</button></p></form>");
}
