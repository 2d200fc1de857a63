/* page.h: the HTML pages people see: the product page behind the QR code, the home page and
 * the not-found page. Everything taken from a record is HTML-escaped; pages need no JavaScript
 * and carry their small stylesheet inline so a phone on a weak signal needs one round trip. */
#ifndef SECLABEL_PAGE_H
#define SECLABEL_PAGE_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>

struct store_txn;

/* Append s[0..len) to out with & < > " ' escaped. */
void html_escape(struct buf *out, const char *s, size_t len);
/* The consumer page of a product record (JSON) as of day `today`. -EINVAL if unreadable. */
int page_product(const char *json, size_t len, int64_t today, struct buf *out);
/* The home page: what the registry is and the products it holds (up to a limit). */
int page_home(struct store_txn *txn, int64_t today, struct buf *out);
/* A helpful 404 page for an unknown product ID. */
void page_not_found(const char *id, struct buf *out);

#endif
