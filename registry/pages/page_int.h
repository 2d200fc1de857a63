/* page_int.h: what the page_*.c files share: the layout, links and small renderers. Internal to
 * the page module. */
#ifndef SECLABEL_PAGE_INT_H
#define SECLABEL_PAGE_INT_H

#include "assess.h"
#include "page.h"

#include <yyjson.h>

/* <!doctype> to the opening of <main>: title (plain text, escaped here), language menu. */
void page_head(struct buf *out, const struct page_req *pr, const char *title, size_t tlen);
/* Closing of <main>, footer, </html>. */
void page_foot(struct buf *out, const struct page_req *pr);
/* Escaped text of a string value (nothing for other types). */
void page_text(struct buf *out, yyjson_val *v);
/* 1 if s is an http(s) or mailto URL we are willing to link to. */
int page_url_ok(const char *s, size_t len);
/* <a href="url">text</a> for a safe URL (text escaped); just the text otherwise. */
void page_link(struct buf *out, const char *url, size_t ulen, const char *text, size_t tlen);
/* A security contact: mailto: for an e-mail address, the URL itself for https (nothing for
 * NULL). */
void page_contact(struct buf *out, const char *contact);
/* "?lang=de" or "&lang=de" (first: whether it starts the query) when the language came from
 * the query, else "". */
const char *page_lang_param(const struct page_req *pr, int first);
/* "✔", "⚠" or "✖": a tone's icon, always beside words that say the same. */
const char *page_tone_icon(enum assess_tone t);
/* The boxes a product page leads with, most severe first (assess.h): withdrawn, the broken
 * promises, the support period (green only for a product a shopper may rely on): the lead
 * box (the first that applies), which goes before the page's title, or the rest. */
enum page_boxes { PAGE_BOXES_LEAD, PAGE_BOXES_REST };
void page_state_boxes(struct buf *out, const struct page_req *pr, const struct assess *a,
                      enum page_boxes which);
/* A table of products (one row per record) for lists; page_rows_begin/end wrap it. Each row
 * leads with the record's state (colour, icon and words), then its dates and promises. */
void page_rows_begin(struct buf *out, const struct page_req *pr);
/* maker: the record's manufacturer account (its name is shown), or NULL if it has none. */
struct mfr;
void page_row(struct buf *out, const struct page_req *pr, yyjson_val *rec, const struct mfr *maker);
/* The maker's name as the account has it (rec's manufacturer_name only if there is no account),
 * escaped. */
void page_maker_name(struct buf *out, yyjson_val *rec, const struct mfr *maker);
/* One line about the registry's verification of maker: when it verified it and what it
 * checked, or that it has not. With a green tick unless `tick` is 0 (on the page of a product
 * nobody should rely on, which shows no green tick at all). */
void page_verification(struct buf *out, const struct page_req *pr, const struct mfr *maker,
                       int tick);
void page_rows_end(struct buf *out);
/* The search form with the query's values filled in. */
void page_search_form(struct buf *out, const struct page_req *pr, const struct search_query *sq);

#endif
