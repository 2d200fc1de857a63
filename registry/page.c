/* page.c: HTML rendering of records (see page.h). Shopper-facing text is plain English; the
 * support status leads the page with an icon and words, never colour alone. */
#include "page.h"

#include "assess.h"
#include "date.h"
#include "store.h"

#include <errno.h>
#include <string.h>
#include <time.h>
#include <yyjson.h>

#define HOME_LIST_MAX 200

#include "web_assets.h"

static const char *months[] = {"January",   "February", "March",    "April",
                               "May",       "June",     "July",     "August",
                               "September", "October",  "November", "December"};

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

static void esc_val(struct buf *out, yyjson_val *v)
{
    if (yyjson_is_str(v)) html_escape(out, yyjson_get_str(v), yyjson_get_len(v));
}

static void head(struct buf *out, const char *title, size_t tlen)
{
    buf_puts(out, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
                  "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                  "<title>");
    html_escape(out, title, tlen);
    buf_puts(out, "</title><style>");
    buf_append(out, web_style_css, web_style_css_len);
    buf_puts(out, "</style></head><body><main><p class=\"brand\"><a href=\"/\">seclabel</a> · "
                  "device security label registry</p>");
}

static void foot(struct buf *out, const char *extra)
{
    buf_printf(out, "<footer>%s</footer></main></body></html>\n", extra ? extra : "");
}

/* "31 December 2030" */
static void long_date(struct buf *out, int64_t day)
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    buf_printf(out, "%d %s %d", tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900);
}

/* "5 years", "2 months", "12 days" */
static void span(struct buf *out, int64_t days)
{
    if (days >= 730)
        buf_printf(out, "%lld years", (long long)(days / 365));
    else if (days >= 60)
        buf_printf(out, "%lld months", (long long)(days / 30));
    else
        buf_printf(out, "%lld day%s", (long long)days, days == 1 ? "" : "s");
}

static void status_box(struct buf *out, const struct assess *a)
{
    switch (a->support) {
    case ASSESS_ACTIVE:
        buf_puts(out, "<section class=\"status ok\"><strong>✔ Security updates until ");
        long_date(out, a->support_day);
        buf_puts(out, "</strong>");
        span(out, a->days_left);
        buf_puts(out, " left. The maker promises to fix security problems until then.");
        break;
    case ASSESS_ENDING_SOON:
        buf_puts(out, "<section class=\"status soon\"><strong>⚠ Security updates end soon: ");
        span(out, a->days_left);
        buf_puts(out, " left</strong>They end on ");
        long_date(out, a->support_day);
        buf_puts(out, ". After that this device gets no more security fixes.");
        break;
    case ASSESS_ENDED:
        buf_puts(out, "<section class=\"status ended\"><strong>✖ Security updates ended on ");
        long_date(out, a->support_day);
        buf_puts(out, "</strong>This device no longer gets security fixes.");
        break;
    case ASSESS_UNKNOWN:
        buf_puts(out, "<section class=\"status fail\"><strong>✖ No support period published"
                      "</strong>The maker has not said how long it will fix security problems.");
        break;
    }
    buf_puts(out, "</section>");
}

static void check(struct buf *out, int ok, const char *title)
{
    buf_printf(out, "<li%s><b>%s %s</b>", ok ? "" : " class=\"no\"", ok ? "✔" : "✖", title);
}

static void password_line(struct buf *out, yyjson_val *pw)
{
    static const struct {
        const char *value, *text;
    } lines[] = {
        {"unique_per_device", "Each device comes with its own unique password."},
        {"user_defined", "You choose the password when you set the device up."},
        {"no_password", "The device has no password that could be guessed or shared."},
        {"universal", "This device ships with a password shared by every unit. Change it at once."},
    };
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++)
        if (yyjson_equals_str(pw, lines[i].value)) buf_puts(out, lines[i].text);
}

static void contact_link(struct buf *out, yyjson_val *sc)
{
    const char *s = yyjson_get_str(sc);
    size_t len = yyjson_get_len(sc);
    int web = len > 8 && strncmp(s, "https://", 8) == 0;
    buf_printf(out, "<a href=\"%s", web ? "" : "mailto:");
    html_escape(out, s, len);
    buf_puts(out, "\">");
    html_escape(out, s, len);
    buf_puts(out, "</a>");
}

static void promises(struct buf *out, yyjson_val *rec, const struct assess *a)
{
    buf_puts(out, "<h2>Security promises</h2><ul class=\"checks\">");
    check(out, a->password_ok,
          a->password_ok ? "No universal default password" : "Universal default password");
    password_line(out, yyjson_obj_get(rec, "default_password"));
    buf_puts(out, "</li>");
    check(out, a->contact_ok, "A way to report security problems");
    buf_puts(out, "Found a security problem? Tell the maker: ");
    contact_link(out, yyjson_obj_get(rec, "security_contact"));
    yyjson_val *vdp = yyjson_obj_get(rec, "vulnerability_disclosure_policy");
    if (yyjson_is_str(vdp)) {
        buf_puts(out, " (<a href=\"");
        esc_val(out, vdp);
        buf_puts(out, "\">disclosure policy</a>)");
    }
    buf_puts(out, "</li>");
    check(out, a->period_ok, "A published support period");
    if (a->period_ok) {
        buf_puts(out, "Security updates are promised until ");
        long_date(out, a->support_day);
        buf_puts(out, ".</li>");
    } else {
        buf_puts(out, "No end date for security updates is published.</li>");
    }
    buf_puts(out, "</ul>");
}

static void fact(struct buf *out, const char *name, yyjson_val *v)
{
    if (!yyjson_is_str(v) && !yyjson_is_int(v)) return;
    buf_printf(out, "<dt>%s</dt><dd>", name);
    if (yyjson_is_str(v))
        esc_val(out, v);
    else
        buf_printf(out, "%lld", (long long)yyjson_get_sint(v));
    buf_puts(out, "</dd>");
}

/* A registry timestamp ("2026-11-24T02:42:53Z") shown as its day, "24 November 2026". */
static void fact_day(struct buf *out, const char *name, yyjson_val *v)
{
    int64_t day;
    const char *s = yyjson_get_str(v);
    if (!s || yyjson_get_len(v) < 10 || date_parse(s, 10, &day) != 0) return;
    buf_printf(out, "<dt>%s</dt><dd>", name);
    long_date(out, day);
    buf_puts(out, "</dd>");
}

int page_product(const char *json, size_t len, int64_t today, struct buf *out)
{
    yyjson_doc *doc = yyjson_read(json, len, 0);
    yyjson_val *rec = yyjson_doc_get_root(doc);
    if (!yyjson_is_obj(rec)) {
        yyjson_doc_free(doc);
        return -EINVAL;
    }
    struct assess a;
    assess_record(rec, today, &a);
    yyjson_val *name = yyjson_obj_get(rec, "product_name");
    head(out, yyjson_get_str(name), yyjson_get_len(name));
    if (yyjson_equals_str(yyjson_obj_get(rec, "status"), "withdrawn"))
        buf_puts(out, "<section class=\"status ended\"><strong>✖ Withdrawn</strong>The maker "
                      "has withdrawn this record.</section>");
    buf_puts(out, "<h1>");
    esc_val(out, name);
    buf_puts(out, "</h1><p class=\"sub\">Model ");
    esc_val(out, yyjson_obj_get(rec, "product_model"));
    buf_puts(out, " · by ");
    esc_val(out, yyjson_obj_get(rec, "manufacturer_name"));
    buf_puts(out, "</p>");
    status_box(out, &a);
    promises(out, rec, &a);
    buf_puts(out, "<h2>Product details</h2><dl>");
    fact(out, "Product ID", yyjson_obj_get(rec, "id"));
    fact(out, "Model", yyjson_obj_get(rec, "product_model"));
    fact(out, "GTIN", yyjson_obj_get(rec, "gtin"));
    fact(out, "Maker", yyjson_obj_get(rec, "manufacturer_name"));
    fact(out, "Record version", yyjson_obj_get(rec, "version"));
    fact_day(out, "First registered", yyjson_obj_get(rec, "created"));
    fact_day(out, "Last changed", yyjson_obj_get(rec, "modified"));
    buf_puts(out, "</dl>");
    struct buf links = BUF_INIT;
    buf_puts(&links, "Machine-readable record: <a href=\"/v1/products/");
    esc_val(&links, yyjson_obj_get(rec, "id"));
    buf_puts(&links, "\">JSON</a>. Nothing about you is recorded when you open this page.");
    foot(out, buf_cstr(&links));
    buf_free(&links);
    yyjson_doc_free(doc);
    return 0;
}

struct home_ctx {
    struct buf *out;
    int64_t today;
    int n;
};

static int home_row(void *vctx, struct store_val key, struct store_val val)
{
    struct home_ctx *c = vctx;
    (void)key;
    if (c->n++ >= HOME_LIST_MAX) return 1;
    yyjson_doc *doc = yyjson_read(val.data, val.len, 0);
    yyjson_val *rec = yyjson_doc_get_root(doc);
    struct assess a;
    assess_record(rec, c->today, &a);
    static const char *words[] = {"✔ until ", "⚠ ends soon: ", "✖ ended ", "✖ none published"};
    buf_puts(c->out, "<tr><td><a href=\"/p/");
    esc_val(c->out, yyjson_obj_get(rec, "id"));
    buf_puts(c->out, "\">");
    esc_val(c->out, yyjson_obj_get(rec, "product_name"));
    buf_puts(c->out, "</a>");
    if (!a.compliant) buf_puts(c->out, "<br>✖ breaks a baseline promise");
    buf_puts(c->out, "</td><td>");
    esc_val(c->out, yyjson_obj_get(rec, "manufacturer_name"));
    buf_printf(c->out, "</td><td>%s", words[a.support]);
    if (a.period_ok) esc_val(c->out, yyjson_obj_get(rec, "support_date"));
    buf_puts(c->out, "</td></tr>");
    yyjson_doc_free(doc);
    return 0;
}

int page_home(struct store_txn *txn, int64_t today, struct buf *out)
{
    static const char title[] = "seclabel: device security label registry";
    head(out, title, sizeof title - 1);
    buf_puts(out, "<h1>Device security labels</h1><p>Makers of connected devices publish "
                  "three promises here: no universal default password, a way to report "
                  "security problems, and how long the device will get security updates. "
                  "Scan the QR code on the box, or pick a product.</p>"
                  "<table><thead><tr><th>Product</th><th>Maker</th><th>Security updates</th>"
                  "</tr></thead><tbody>");
    struct home_ctx c = {out, today, 0};
    int rc = store_scan(txn, STORE_PRODUCTS, NULL, 0, home_row, &c);
    buf_puts(out, "</tbody></table>");
    if (c.n == 0) buf_puts(out, "<p>No products are registered yet.</p>");
    foot(out, "Each product's record is also served as JSON at /v1/products/{id}.");
    return rc;
}

void page_not_found(const char *id, struct buf *out)
{
    static const char title[] = "Product not found";
    head(out, title, sizeof title - 1);
    buf_puts(out, "<h1>Product not found</h1><p>No product with the ID <b>");
    html_escape(out, id, strlen(id));
    buf_puts(out, "</b> is registered. Check the ID printed beside the QR code on the label, or "
                  "<a href=\"/\">see all registered products</a>.</p>");
    foot(out, NULL);
}
