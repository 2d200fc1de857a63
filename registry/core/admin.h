/* admin.h: the registry operator's checks and changes on the database itself, for
 * `seclabel admin` (which works on the data directory directly, beside a running server).
 *
 * Ownership: each report is appended to the caller's struct buf, which the caller prints
 * (library code never prints) and frees; what was appended stays there when a call fails
 * midway. Nothing is kept between calls. */
#ifndef SECLABEL_ADMIN_H
#define SECLABEL_ADMIN_H

#include "buf.h"

struct store;

/* Check the whole database: every record parses; each product's current record equals its
 * newest version; versions are numbered 1..n without gaps; the owners and GTIN indexes and the
 * products agree both ways (a GTIN leads to a product that carries it or carried it before, and
 * every GTIN any version carried still leads to its product: GTINs persist, product.h); every
 * change names an existing version. Each problem is a line "problem: ..." appended to out;
 * *problems gets their count. Records that the identity rules (mfr.h) would refuse today, and
 * former GTINs moved to another product before GTINs persisted, are lines "notice: ...", not
 * counted as problems. Returns 0 (even with problems) or a storage error. */
int admin_verify(struct store *st, struct buf *out, unsigned long *problems);

/* Record counts and size, one "name value" line each, appended to out. */
int admin_stats(struct store *st, struct buf *out);

/* Every manufacturer, a line each appended to out: slug, status, the day it was verified (or
 * "unverified"), products, name. (Changes to a manufacturer are in mfr.h.) */
int admin_list_manufacturers(struct store *st, struct buf *out);

#endif
