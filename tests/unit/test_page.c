/* test_page.c: the pages rendered from plain data, with no database and no socket, as the
 * route handlers hand it over (page.h): the product page in each state, its box leading before
 * the title; the technical page; the home list with its paging; a manufacturer's page; the
 * not-found page; CSV rows. Every value from a record or an account arrives escaped. */
#include "harness.h"

#include "date.h"
#include "i18n.h"
#include "mfr.h"
#include "page.h"
#include "search.h"

#define SCRIPT_NAME "<script>alert(1)</script> Cam"

/* Today is 2030-01-01, in English unless said otherwise. */
static struct page_req req(enum i18n_lang lang)
{
    struct page_req pr = {.lang = lang,
                          .today = date_days_from_civil(2030, 1, 1),
                          .path = "/p/acme-cam",
                          .query = "",
                          .public_url = "https://registry.example"};
    return pr;
}

/* The page a test renders into and its English request, kept by the group (so freed once):
 * fresh() empties them for each test. */
struct fx {
    struct buf out;
    struct page_req pr;
};

static struct fx *fresh(void **state)
{
    struct fx *f = *state;
    buf_reset(&f->out);
    f->pr = req(I18N_EN);
    return f;
}

static int setup(void **state)
{
    *state = calloc(1, sizeof(struct fx));
    page_init();
    return i18n_init();
}

static int teardown(void **state)
{
    struct fx *f = *state;
    buf_free(&f->out);
    free(f);
    return 0;
}

/* A record of product id by maker acme: support until `until`, its default password, its
 * status, and `extra` members (",\"k\":v..." or ""). The caller frees the doc. */
static yyjson_doc *record(const char *id, const char *name, const char *until, const char *pw,
                          const char *status, const char *extra)
{
    char json[1024];
    snprintf(json, sizeof json,
             "{\"id\":\"%s\",\"product_name\":\"%s\",\"product_model\":\"M-1\","
             "\"manufacturer\":\"acme\",\"manufacturer_name\":\"Free Text Maker\","
             "\"support_date\":\"%s\",\"security_contact\":\"security@acme.example\","
             "\"default_password\":\"%s\",\"status\":\"%s\",\"created\":\"2029-01-01T00:00:00Z\","
             "\"modified\":\"2029-06-01T00:00:00Z\"%s}",
             id, name, until, pw, status, extra);
    yyjson_doc *doc = yyjson_read(json, strlen(json), 0);
    assert_non_null(doc);
    return doc;
}

static yyjson_doc *json(const char *s)
{
    yyjson_doc *doc = yyjson_read(s, strlen(s), 0);
    assert_non_null(doc);
    return doc;
}

/* The account of acme, verified on 2029-05-01, with a name that needs escaping. */
static struct mfr acme(void)
{
    struct mfr m = {.slug = "acme",
                    .name = "Acme & <Sons>",
                    .status = "active",
                    .website = "https://acme.example",
                    .verified = 1};
    m.verification.day = date_days_from_civil(2029, 5, 1);
    return m;
}

/* Where needle first occurs in hay (asserted to occur). */
static const char *at(struct buf *hay, const char *needle)
{
    const char *p = strstr(buf_cstr(hay), needle);
    if (!p) fail_msg("'%s' not in the page", needle);
    return p;
}

/* Each of the NULL-terminated needles occurs in hay. */
static void all_in(struct buf *hay, const char *const *needles)
{
    for (size_t i = 0; needles[i]; i++)
        at(hay, needles[i]);
}

static void absent(struct buf *hay, const char *needle)
{
    if (strstr(buf_cstr(hay), needle)) fail_msg("'%s' is in the page", needle);
}

/* The product page of rec: its lead box (class st-<state>) and title come before the <h1>. */
static void product_page_of(yyjson_doc *rec, const struct mfr *maker, const char *state,
                            const char *lead, struct buf *out)
{
    struct page_req pr = req(I18N_EN);
    struct page_product_data d = {
        .rec = yyjson_doc_get_root(rec), .maker = maker, .versions = NULL};
    buf_reset(out);
    page_product(&d, &pr, out);
    char cls[64];
    snprintf(cls, sizeof cls, "class=\"status st-%s\"", state);
    assert_true(at(out, cls) < at(out, "<h1>"));
    assert_true(at(out, lead) < at(out, "<h1>"));
    at(out, "</html>");
}

static void product_page_leads_with_its_state(void **state)
{
    struct fx *f = fresh(state);
    struct mfr m = acme();
    yyjson_doc *ok = record("acme-cam", "Cam", "2035-01-01", "unique_per_device", "active", "");
    product_page_of(ok, &m, "active", "Security updates until 1 January 2035", &f->out);
    at(&f->out, "<html lang=\"en\">");
    at(&f->out, "<title>Cam</title>");
    at(&f->out, "Verified by the registry on 1 May 2029");
    at(&f->out, "Acme &amp; &lt;Sons&gt;"); /* the account's name, not the record's */
    absent(&f->out, "Free Text Maker");
    at(&f->out, "href=\"/m/acme\"");
    yyjson_doc *soon = record("acme-hub", "Hub", "2030-03-01", "unique_per_device", "active", "");
    product_page_of(soon, &m, "ending_soon", "Security updates end soon", &f->out);
    yyjson_doc *ended = record("acme-old", "Old", "2029-01-01", "unique_per_device", "active", "");
    product_page_of(ended, &m, "ended", "Security updates ended on 1 January 2029", &f->out);
    yyjson_doc *weak = record("acme-weak", "Weak", "2035-01-01", "universal", "active", "");
    product_page_of(weak, &m, "not_compliant", "This device breaks a basic security promise",
                    &f->out);
    at(&f->out, "Universal default password");
    /* Withdrawn and broken: the withdrawal leads, the broken promise follows the title. */
    yyjson_doc *gone = record("acme-gone", "Gone", "2035-01-01", "universal", "withdrawn", "");
    product_page_of(gone, NULL, "withdrawn", "Withdrawn", &f->out);
    assert_true(at(&f->out, "<h1>") < at(&f->out, "This device breaks a basic security promise"));
    at(&f->out, "Free Text Maker"); /* no account: the record's name, and no verification */
    at(&f->out, "Not verified");
    yyjson_doc *docs[] = {ok, soon, ended, weak, gone};
    for (size_t i = 0; i < COUNT(docs); i++)
        yyjson_doc_free(docs[i]);
    buf_free(&f->out);
}

static void product_page_shows_history_and_escapes(void **state)
{
    struct fx *f = fresh(state);
    yyjson_doc *rec =
        record("acme-cam", SCRIPT_NAME, "2035-01-01", "unique_per_device", "active", "");
    yyjson_doc *versions =
        json("[{\"support_date\":\"2034-01-01\",\"modified\":\"2029-01-01T10:00:00Z\"},"
             "{\"support_date\":\"2035-01-01\",\"modified\":\"2029-06-01T10:00:00Z\"}]");
    struct page_product_data d = {
        .rec = yyjson_doc_get_root(rec), .maker = NULL, .versions = yyjson_doc_get_root(versions)};
    page_product(&d, &f->pr, &f->out);
    static const char *const shown[] = {
        "1 January 2029: registered, security updates until 1 January 2034.",
        "1 June 2029: support period extended from 1 January 2034 to 1 January 2035.",
        "<title>&lt;script&gt;alert(1)&lt;/script&gt; Cam</title>",
        "<h1>&lt;script&gt;alert(1)&lt;/script&gt; Cam</h1>", NULL};
    all_in(&f->out, shown);
    absent(&f->out, "<script>");
    /* The technical page, in German. */
    f->pr = req(I18N_DE);
    buf_reset(&f->out);
    d.versions = NULL;
    page_details(&d, &f->pr, &f->out);
    at(&f->out, "<html lang=\"de\">");
    at(&f->out, "&lt;script&gt;alert(1)&lt;/script&gt; Cam");
    absent(&f->out, "<script>");
    assert_true(at(&f->out, "class=\"status st-active\"") < at(&f->out, "<h1>"));
    at(&f->out, "href=\"/v1/products/acme-cam/cta-2120\"");
    yyjson_doc_free(rec);
    yyjson_doc_free(versions);
    buf_free(&f->out);
}

/* The words the log's line and pages use, per language (web/i18n). */
static const struct {
    enum i18n_lang lang;
    const char *entry, *none, *title, *limits;
} log_words[] = {
    {I18N_EN, "Entry 41 in the registry&#39;s public log, logged on 1 June 2029.",
     "This server publishes no log.", "How to check this yourself",
     "The log does not prove that a maker&#39;s promise is true"},
    {I18N_DE, "Eintrag 41 im öffentlichen Protokoll des Registers, eingetragen am 1. Juni 2029.",
     "Dieser Server veröffentlicht kein Protokoll.", "So prüfen Sie das selbst",
     "Das Protokoll beweist nicht, dass das Versprechen eines Herstellers stimmt"},
    {I18N_ZH, "本声明是登记处公开日志中编号为 41 的条目，记录于 2029年6月1日。",
     "此服务器不发布日志。", "如何自行核查", "日志不能证明制造商的承诺是真实的"},
};
#define LOG_LANGS (sizeof log_words / sizeof log_words[0])

/* The consumer page names its version's entry and the day it was logged (its "modified"), and
 * links to /log; a version the log lacks shows no such line. */
static void product_page_names_its_log_entry(void **state)
{
    struct fx *f = fresh(state);
    yyjson_doc *rec =
        record("acme-cam", "Cam", "2035-01-01", "unique_per_device", "active", ",\"version\":3");
    struct page_product_data d = {.rec = yyjson_doc_get_root(rec), .maker = NULL, .versions = NULL};
    for (size_t i = 0; i < LOG_LANGS; i++) {
        f->pr = req(log_words[i].lang);
        buf_reset(&f->out);
        page_product(&d, &f->pr, &f->out);
        absent(&f->out, log_words[i].entry);
        absent(&f->out, "href=\"/log");
        d.logged = 1;
        d.log_index = 41;
        buf_reset(&f->out);
        page_product(&d, &f->pr, &f->out);
        const char *line = at(&f->out, log_words[i].entry);
        assert_true(line < at(&f->out, "<a href=\"/log\">")); /* the link follows the line */
        at(&f->out, log_words[i].title);
        d.logged = 0;
    }
    f->pr.lang_in_query = 1; /* a language chosen with ?lang= stays chosen on /log */
    d.logged = 1;
    buf_reset(&f->out);
    page_product(&d, &f->pr, &f->out);
    at(&f->out, "<a href=\"/log?lang=zh\">");
    yyjson_doc_free(rec);
}

/* The technical page: the entry with a link to its bytes, the newest checkpoint's size (and
 * that the entry is not in it yet, when so), the verify command; or that no log is published. */
static void details_page_shows_the_log(void **state)
{
    struct fx *f = fresh(state);
    yyjson_doc *rec =
        record("acme-cam", "Cam", "2035-01-01", "unique_per_device", "active", ",\"version\":3");
    struct page_product_data d = {.rec = yyjson_doc_get_root(rec), .maker = NULL, .versions = NULL};
    d.logged = 1;
    d.log_index = 41;
    d.checkpoint.key = "registry.example/log+01234567+AQID";
    d.checkpoint.size = 57;
    page_details(&d, &f->pr, &f->out);
    static const char *const shown[] = {
        "<h2>Public log</h2>",
        "<dt>Log entry</dt><dd>41 (<a href=\"/v1/products/acme-cam/versions/3/entry\">the exact "
        "bytes logged</a>)</dd>",
        "<dt>Entries in the newest checkpoint</dt><dd>57</dd>",
        "<dt>Check it yourself</dt><dd><code>seclabel verify acme-cam</code><br>"
        "<a href=\"/log\">How to check this yourself</a>",
        NULL};
    all_in(&f->out, shown);
    absent(&f->out, "next checkpoint");
    d.checkpoint.size = 41; /* signed before the entry was appended */
    buf_reset(&f->out);
    page_details(&d, &f->pr, &f->out);
    at(&f->out, "<dd>41<br>This entry will be in the next checkpoint, within about a second.");
    for (size_t i = 0; i < LOG_LANGS; i++) {
        f->pr = req(log_words[i].lang);
        d.checkpoint.key = NULL;
        buf_reset(&f->out);
        page_details(&d, &f->pr, &f->out);
        at(&f->out, log_words[i].none);
        at(&f->out, "/versions/3/entry\"");
        at(&f->out, "<code>seclabel verify acme-cam</code>");
    }
    yyjson_doc_free(rec);
}

/* /log in each language: what the log proves and does not, the key, the checkpoint's size, the
 * commands and the addresses other tools read; everything escaped; without a log, says so. */
static void log_page_in_each_language(void **state)
{
    struct fx *f = fresh(state);
    struct page_checkpoint cp = {"registry.example/log+01234567+AQ<b>", 57};
    for (size_t i = 0; i < LOG_LANGS; i++) {
        f->pr = req(log_words[i].lang);
        f->pr.path = "/log";
        buf_reset(&f->out);
        page_log(&cp, &f->pr, &f->out);
        char h1[128];
        snprintf(h1, sizeof h1, "<title>%s</title>", log_words[i].title);
        at(&f->out, h1);
        snprintf(h1, sizeof h1, "<h1>%s</h1>", log_words[i].title);
        at(&f->out, h1);
        at(&f->out, log_words[i].limits);
        static const char *const shown[] = {
            "<pre class=\"cmd\"><code>registry.example/log+01234567+AQ&lt;b&gt;</code></pre>",
            "<code>seclabel config set server https://registry.example\n"
            "seclabel config set log-key registry.example/log+01234567+AQ&lt;b&gt;\n"
            "seclabel verify &lt;ID&gt;</code>",
            "57",
            "<a href=\"/log/checkpoint\">https://registry.example/log/checkpoint</a>",
            "<a href=\"/log/key\">https://registry.example/log/key</a>",
            "C2SP",
            NULL};
        all_in(&f->out, shown);
        absent(&f->out, "<b>");
        absent(&f->out, log_words[i].none);
        at(&f->out, "</html>");
    }
    struct page_checkpoint none = {NULL, 0};
    for (size_t i = 0; i < LOG_LANGS; i++) {
        f->pr = req(log_words[i].lang);
        buf_reset(&f->out);
        page_log(&none, &f->pr, &f->out);
        at(&f->out, log_words[i].none);
        absent(&f->out, "seclabel verify");
        absent(&f->out, "/log/key");
    }
}

static struct search_query any_search(void)
{
    struct search_query sq = {.status = SEARCH_ANY,
                              .support = -1,
                              .compliant = -1,
                              .limit = SEARCH_DEFAULT_LIMIT,
                              .sort = SEARCH_SORT_ID,
                              .today = date_days_from_civil(2030, 1, 1)};
    return sq;
}

static void home_lists_results_with_paging(void **state)
{
    struct fx *f = fresh(state);
    struct mfr m = acme();
    struct search_query sq = any_search();
    sq.q = "\"cam<";
    sq.sort = SEARCH_SORT_RELEVANCE; /* the default with words in q */
    yyjson_doc *recs =
        json("[{\"id\":\"acme-cam\",\"product_name\":\"<script>x</script>\",\"manufacturer\":"
             "\"acme\",\"support_date\":\"2035-01-01\",\"security_contact\":\"s@acme.example\","
             "\"default_password\":\"unique_per_device\",\"status\":\"active\"},"
             "{\"id\":\"other-old\",\"product_name\":\"Old\",\"manufacturer\":\"other\","
             "\"manufacturer_name\":\"Other Ltd\",\"support_date\":\"2029-01-01\","
             "\"status\":\"active\"}]");
    const struct mfr *makers[] = {&m, NULL};
    struct page_list l = {&sq, yyjson_doc_get_root(recs), makers, "other-old", NULL};
    page_home(&l, &f->pr, &f->out);
    at(&f->out, "<title>Device security labels</title>");
    at(&f->out, "value=\"&quot;cam&lt;\""); /* the query, back in the form */
    absent(&f->out, "<script>");
    assert_true(at(&f->out, "href=\"/p/acme-cam\"") < at(&f->out, "href=\"/p/other-old\""));
    at(&f->out, "Acme &amp; &lt;Sons&gt;");
    at(&f->out, "Other Ltd");
    at(&f->out, "badge st-active");
    at(&f->out, "badge st-not_compliant"); /* no contact, no password stated */
    at(&f->out, "href=\"/?cursor=other-old&q=%22cam%3C&status=any\"");
    at(&f->out, "href=\"/products.csv?q=%22cam%3C&status=any\" download");
    absent(&f->out, "First page");
    /* A later page links back to the first; an empty one says so, with no table. */
    sq.cursor = "acme-cam";
    yyjson_doc *none = json("[]");
    struct page_list empty = {&sq, yyjson_doc_get_root(none), NULL, "", NULL};
    buf_reset(&f->out);
    page_home(&empty, &f->pr, &f->out);
    static const char *const said[] = {"No products match your search.", "First page", NULL};
    all_in(&f->out, said);
    static const char *const not_said[] = {"<table>", "Next page", "products.csv", NULL};
    for (size_t i = 0; not_said[i]; i++)
        absent(&f->out, not_said[i]);
    yyjson_doc_free(recs);
    yyjson_doc_free(none);
    buf_free(&f->out);
}

/* The home page's counts: each a link into the search that finds them (products on sale;
 * the withdrawn ones with status=withdrawn), states without products left out, a market code
 * escaped, the language kept in the links. */
static void home_shows_the_counts_as_links(void **state)
{
    struct fx *f = fresh(state);
    struct search_query sq = any_search();
    struct search_market markets[] = {{"GB", 280}, {"D<", 1}};
    struct search_facets fc = {.total = 312,
                               .withdrawn = 4,
                               .compliant = 298,
                               .not_compliant = 14,
                               .markets = markets,
                               .n_markets = 2};
    fc.support[ASSESS_ACTIVE] = 250;
    fc.support[ASSESS_ENDING_SOON] = 41;
    fc.support[ASSESS_ENDED] = 21;
    yyjson_doc *none = json("[]");
    struct page_list l = {&sq, yyjson_doc_get_root(none), NULL, "", &fc};
    page_home(&l, &f->pr, &f->out);
    static const char *const said[] = {
        "<a href=\"/?status=active\">312 products on sale</a>",
        "<a href=\"/?status=active&amp;support=active\">250 with over 180 days of security "
        "updates left</a>",
        "<a href=\"/?status=active&amp;support=ending_soon\">41 ending within 180 days</a>",
        "<a href=\"/?status=active&amp;support=ended\">21 whose",
        "<a href=\"/?status=active&amp;compliant=true\">298 keeping",
        "<a href=\"/?status=active&amp;compliant=false\">14 breaking",
        "<a href=\"/?status=withdrawn\">4 withdrawn</a>",
        "<a href=\"/?status=active&amp;market=GB\">GB</a> 280",
        ">D&lt;</a> 1",
        NULL};
    all_in(&f->out, said);
    absent(&f->out, "support=unknown"); /* none without a date */
    /* in German, links keep the language */
    buf_reset(&f->out);
    f->pr.lang = I18N_DE;
    f->pr.lang_in_query = 1;
    page_home(&l, &f->pr, &f->out);
    at(&f->out, "<a href=\"/?status=active&amp;support=ending_soon&amp;lang=de\">41 enden "
                "innerhalb von 180 Tagen</a>");
    /* one of a kind is said in the singular */
    buf_reset(&f->out);
    fc.total = 1, fc.support[ASSESS_ENDING_SOON] = 1, fc.compliant = 1, fc.not_compliant = 1;
    page_home(&l, &f->pr, &f->out);
    static const char *const said_de[] = {
        ">1 Produkt im Handel</a>", ">1 endet innerhalb von 180 Tagen</a>",
        ">1 hält alle grundlegenden Zusagen</a>", ">1 bricht eine grundlegende Zusage</a>", NULL};
    all_in(&f->out, said_de);
    buf_reset(&f->out);
    f->pr.lang = I18N_EN;
    page_home(&l, &f->pr, &f->out);
    at(&f->out, ">1 product on sale</a>");
    /* without counts, none are shown */
    buf_reset(&f->out);
    l.facets = NULL;
    page_home(&l, &f->pr, &f->out);
    absent(&f->out, "facets");
    yyjson_doc_free(none);
    buf_free(&f->out);
}

static void maker_page_shows_the_account(void **state)
{
    struct fx *f = fresh(state);
    struct mfr m = acme();
    const char *prefixes[] = {"5012345"};
    m.gs1_prefixes = (struct mfr_list){prefixes, 1};
    m.contact = "security@acme.example";
    struct search_query sq = any_search();
    sq.manufacturer = "acme";
    yyjson_doc *recs = json("[{\"id\":\"acme-cam\",\"product_name\":\"Cam\",\"manufacturer\":"
                            "\"acme\",\"support_date\":\"2035-01-01\",\"status\":\"active\"}]");
    const struct mfr *makers[] = {&m};
    struct page_list l = {&sq, yyjson_doc_get_root(recs), makers, "acme-cam", NULL};
    page_maker(&m, &l, &f->pr, &f->out);
    static const char *const shown[] = {"<title>Products by Acme &amp; &lt;Sons&gt;</title>",
                                        "<h1>Products by Acme &amp; &lt;Sons&gt;</h1>",
                                        "Verified by the registry on 1 May 2029",
                                        "5012345",
                                        "href=\"mailto:security@acme.example\"",
                                        "href=\"https://acme.example\"",
                                        "href=\"/p/acme-cam\"",
                                        "href=\"/m/acme?cursor=acme-cam&status=any\"",
                                        NULL};
    all_in(&f->out, shown);
    yyjson_doc_free(recs);
    buf_free(&f->out);
}

static void not_found_page_escapes_what_was_asked(void **state)
{
    struct fx *f = fresh(state);
    page_not_found(PAGE_NO_PRODUCT, "<b>acme-x", &f->pr, &f->out);
    at(&f->out, "<title>Product not found</title>");
    at(&f->out, "<strong>&lt;b&gt;acme-x</strong>");
    at(&f->out, "role=\"search\"");
    buf_reset(&f->out);
    page_not_found(PAGE_NO_MAKER, "nobody", &f->pr, &f->out);
    at(&f->out, "<h1>Manufacturer not found</h1>");
    buf_free(&f->out);
}

static void csv_rows_from_records(void **state)
{
    struct fx *f = fresh(state);
    struct mfr m = acme();
    struct search_query sq = any_search();
    yyjson_doc *recs = json("[{\"id\":\"acme-cam\",\"product_name\":\"=1+2\",\"product_model\":"
                            "\"M-1\",\"manufacturer\":\"acme\",\"support_date\":\"2030-03-01\","
                            "\"security_contact\":\"s@acme.example\",\"default_password\":"
                            "\"unique_per_device\",\"status\":\"active\"}]");
    const struct mfr *makers[] = {&m};
    struct page_list l = {&sq, yyjson_doc_get_root(recs), makers, "", NULL};
    page_csv_head(&f->out);
    page_csv_rows(&l, "https://registry.example", &f->out);
    static const char *const shown[] = {"\r\nacme-cam,", "Acme & <Sons>", ",ending_soon,59,yes,",
                                        ",https://registry.example/p/acme-cam,ending_soon\r\n",
                                        NULL};
    all_in(&f->out, shown);
    absent(&f->out, ",=1+2"); /* a formula is neutralised */
    yyjson_doc_free(recs);
    buf_free(&f->out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(product_page_leads_with_its_state),
        cmocka_unit_test(product_page_shows_history_and_escapes),
        cmocka_unit_test(product_page_names_its_log_entry),
        cmocka_unit_test(details_page_shows_the_log),
        cmocka_unit_test(log_page_in_each_language),
        cmocka_unit_test(home_lists_results_with_paging),
        cmocka_unit_test(home_shows_the_counts_as_links),
        cmocka_unit_test(maker_page_shows_the_account),
        cmocka_unit_test(not_found_page_escapes_what_was_asked),
        cmocka_unit_test(csv_rows_from_records),
    };
    return cmocka_run_group_tests_name("page", tests, setup, teardown);
}
