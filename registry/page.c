/* page.c: the pages' shared layout and small renderers (see page.h, page_int.h): escaping,
 * safe links, the language menu, the support status box, product rows and the search form. */
#include "page_int.h"

#include "mfr.h"
#include "search.h"
#include "web_assets.h"

#include <stdio.h>
#include <string.h>

static char style_path[64] = "/static/style.css";

void page_init(void)
{
    /* FNV-1a of the stylesheet: a new build with new CSS gets a new URL, so the file can be
     * cached for a year. */
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < web_style_css_len; i++)
        h = (h ^ (unsigned char)web_style_css[i]) * 16777619u;
    snprintf(style_path, sizeof style_path, "/static/style.css?v=%08x", h);
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

void page_contact(struct buf *out, yyjson_val *contact)
{
    const char *s = yyjson_get_str(contact);
    size_t len = yyjson_get_len(contact);
    if (!s) return;
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

void page_status_box(struct buf *out, const struct page_req *pr, const struct assess *a)
{
    struct buf date = BUF_INIT, span = BUF_INIT;
    const char *args[1];
    if (a->period_ok) {
        i18n_date(&date, pr->lang, a->support_day);
        i18n_span(&span, pr->lang, a->days_left > 0 ? a->days_left : -a->days_left);
    }
    static const char *const cls[] = {"ok", "soon", "ended", "fail"};
    static const char *const icon[] = {"✔", "⚠", "✖", "✖"};
    static const enum i18n_key title[] = {I18N_status_active_title, I18N_status_soon_title,
                                          I18N_status_ended_title, I18N_status_unknown_title};
    static const enum i18n_key body[] = {I18N_status_active_body, I18N_status_soon_body,
                                         I18N_status_ended_body, I18N_status_unknown_body};
    buf_printf(out,
               "<div class=\"status %s\"><p class=\"big\"><span aria-hidden=\"true\">%s"
               "</span> ",
               cls[a->support], icon[a->support]);
    args[0] = a->support == ASSESS_ENDING_SOON ? buf_cstr(&span) : buf_cstr(&date);
    i18n_fmt(out, pr->lang, title[a->support], 1, args);
    buf_puts(out, "</p><p>");
    args[0] = a->support == ASSESS_ACTIVE ? buf_cstr(&span) : buf_cstr(&date);
    i18n_fmt(out, pr->lang, body[a->support], 1, args);
    buf_puts(out, "</p></div>");
    buf_free(&date);
    buf_free(&span);
}

void page_rows_begin(struct buf *out, const struct page_req *pr)
{
    buf_puts(out, "<table><thead><tr><th scope=\"col\">");
    i18n_put(out, pr->lang, I18N_col_product);
    buf_puts(out, "</th><th scope=\"col\">");
    i18n_put(out, pr->lang, I18N_col_updates);
    buf_puts(out, "</th><th scope=\"col\">");
    i18n_put(out, pr->lang, I18N_col_promises);
    buf_puts(out, "</th></tr></thead><tbody>");
}

void page_maker_name(struct buf *out, yyjson_val *rec, const struct mfr *maker)
{
    if (maker)
        html_escape(out, maker->name, strlen(maker->name));
    else
        page_text(out, yyjson_obj_get(rec, "manufacturer_name"));
}

void page_verification(struct buf *out, const struct page_req *pr, const struct mfr *maker)
{
    int64_t day = maker ? mfr_verified_day(maker) : -1;
    buf_printf(out, "<span class=\"%s\"><span aria-hidden=\"true\">%s</span> ",
               day >= 0 ? "verified" : "unverified", day >= 0 ? "✔" : "!");
    if (day < 0) {
        i18n_put(out, pr->lang, I18N_maker_unverified);
        buf_puts(out, "</span>");
        return;
    }
    struct buf date = BUF_INIT, what = BUF_INIT;
    i18n_date(&date, pr->lang, day);
    i18n_put(&what, pr->lang, I18N_checked_identity);
    if (yyjson_arr_size(yyjson_obj_get(maker->verification, "gs1_prefixes"))) {
        buf_puts(&what, ", ");
        i18n_put(&what, pr->lang, I18N_checked_prefixes);
    }
    if (yyjson_is_str(yyjson_obj_get(maker->verification, "contact"))) {
        buf_puts(&what, ", ");
        i18n_put(&what, pr->lang, I18N_checked_contact);
    }
    const char *args[] = {buf_cstr(&date), buf_cstr(&what)};
    i18n_fmt(out, pr->lang, I18N_maker_verified, 2, args);
    buf_puts(out, "</span>");
    buf_free(&date);
    buf_free(&what);
}

void page_row(struct buf *out, const struct page_req *pr, yyjson_val *rec, const struct mfr *maker)
{
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
    buf_puts(out, "</small></td><td data-label=\"");
    i18n_put(out, pr->lang, I18N_col_updates);
    buf_puts(out, "\">");
    struct buf date = BUF_INIT;
    if (a.period_ok) i18n_date(&date, pr->lang, a.support_day);
    const char *args[] = {buf_cstr(&date)};
    static const char *const icon[] = {"✔", "⚠", "✖", "✖"};
    static const enum i18n_key words[] = {I18N_row_until, I18N_row_soon, I18N_row_ended,
                                          I18N_row_none};
    buf_printf(out, "<span aria-hidden=\"true\">%s</span> ", icon[a.support]);
    i18n_fmt(out, pr->lang, words[a.support], 1, args);
    buf_free(&date);
    if (yyjson_equals_str(yyjson_obj_get(rec, "status"), "withdrawn")) {
        buf_puts(out, "<br><strong>");
        i18n_put(out, pr->lang, I18N_row_withdrawn);
        buf_puts(out, "</strong>");
    }
    buf_puts(out, "</td><td data-label=\"");
    i18n_put(out, pr->lang, I18N_col_promises);
    buf_printf(out, "\"><span aria-hidden=\"true\">%s</span> ", a.compliant ? "✔" : "✖");
    i18n_put(out, pr->lang, a.compliant ? I18N_met : I18N_not_met);
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
    option(out, pr, "active", s == ASSESS_ACTIVE, I18N_opt_active);
    option(out, pr, "ending_soon", s == ASSESS_ENDING_SOON, I18N_opt_soon);
    option(out, pr, "ended", s == ASSESS_ENDED, I18N_opt_ended);
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
