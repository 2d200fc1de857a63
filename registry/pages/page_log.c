/* page_log.c: "How to check this yourself" (/log): the registry's public log for people: what
 * it proves and what it does not, the key its checkpoints are signed with, the newest
 * checkpoint's size, the seclabel commands that check a product, and where other tools (Go's
 * sumdb, any C2SP tlog-tiles client) find the log. It only points at the formats, which
 * api_log.c serves and its docs describe. */
#include "page_int.h"

#include <stdio.h>
#include <string.h>

static void para(struct buf *out, const struct page_req *pr, enum i18n_key key)
{
    buf_puts(out, "<p>");
    i18n_put(out, pr->lang, key);
    buf_puts(out, "</p>");
}

static void heading(struct buf *out, const struct page_req *pr, enum i18n_key key)
{
    buf_puts(out, "<h2>");
    i18n_put(out, pr->lang, key);
    buf_puts(out, "</h2>");
}

/* <a href="/log/x">public_url/log/x</a>: tools need the whole address. */
static void log_link(struct buf *out, const struct page_req *pr, const char *path)
{
    buf_printf(out, "<a href=\"%s\">", path);
    html_escape(out, pr->public_url, strlen(pr->public_url));
    buf_printf(out, "%s</a>", path);
}

static void key_section(struct buf *out, const struct page_req *pr,
                        const struct page_checkpoint *cp)
{
    heading(out, pr, I18N_log_key_heading);
    para(out, pr, I18N_log_key_body);
    buf_puts(out, "<pre class=\"cmd\"><code>");
    html_escape(out, cp->key, strlen(cp->key));
    buf_puts(out, "</code></pre><p>");
    char size[24];
    snprintf(size, sizeof size, "%llu", (unsigned long long)cp->size);
    const char *args[] = {size};
    i18n_fmt(out, pr->lang, I18N_log_size_body, 1, args);
    buf_puts(out, "</p>");
}

/* The commands exactly as one types them (`seclabel verify`, `config set log-key`: issue 16). */
static void cli_section(struct buf *out, const struct page_req *pr,
                        const struct page_checkpoint *cp)
{
    heading(out, pr, I18N_log_cli_heading);
    para(out, pr, I18N_log_cli_body);
    buf_puts(out, "<pre class=\"cmd\"><code>seclabel config set server ");
    html_escape(out, pr->public_url, strlen(pr->public_url));
    buf_puts(out, "\nseclabel config set log-key ");
    html_escape(out, cp->key, strlen(cp->key));
    buf_puts(out, "\nseclabel verify &lt;ID&gt;</code></pre>");
}

static void tools_section(struct buf *out, const struct page_req *pr)
{
    struct buf cp = BUF_INIT, key = BUF_INIT;
    log_link(&cp, pr, "/log/checkpoint");
    log_link(&key, pr, "/log/key");
    const char *args[] = {buf_cstr(&cp), buf_cstr(&key)};
    heading(out, pr, I18N_log_tools_heading);
    buf_puts(out, "<p>");
    i18n_fmt(out, pr->lang, I18N_log_tools_body, 2, args);
    buf_puts(out, "</p>");
    buf_free(&cp);
    buf_free(&key);
}

void page_log(const struct page_checkpoint *cp, const struct page_req *pr, struct buf *out)
{
    const char *title = i18n_get(pr->lang, I18N_log_title);
    page_head(out, pr, title, strlen(title));
    buf_puts(out, "<h1>");
    i18n_put(out, pr->lang, I18N_log_title);
    buf_puts(out, "</h1>");
    para(out, pr, I18N_log_intro);
    para(out, pr, I18N_log_proves);
    para(out, pr, I18N_log_limits);
    if (!cp->key) {
        para(out, pr, I18N_log_none);
    } else {
        key_section(out, pr, cp);
        cli_section(out, pr, cp);
        tools_section(out, pr);
    }
    page_foot(out, pr);
}
