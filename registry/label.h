/* label.h: the packaging label: a QR code that leads to the product's page, beside the product
 * name, model, security-update end date and the page's address, rendered as a PNG.
 *
 * Ownership: every string in struct label_info is borrowed for the duration of the call and
 * never kept. label_render_png() appends to the caller's struct buf (the caller frees it) and
 * writes its reason into the caller's `why` array. The module keeps no state between calls. */
#ifndef SECLABEL_LABEL_H
#define SECLABEL_LABEL_H

#include "buf.h"

#include <stddef.h>

struct label_info {           /* all borrowed, NUL-terminated UTF-8; model and id may be NULL */
    const char *url;          /* what the QR code encodes, exactly */
    const char *product_name; /* bold, the biggest text; broken over two lines if it must */
    const char *product_model;
    const char *support_date; /* YYYY-MM-DD */
    const char *product_id;   /* printed small above the URL, for people who cannot scan */
};

struct label_opts {
    double width_mm, height_mm; /* the label's printed size; the QR code is height_mm square */
    int dpi;                    /* printer resolution, 72..2400 */
    char ec_level;              /* QR error correction: 'L', 'M', 'Q' or 'H' */
};

/* 60 x 30 mm, 300 dpi, 'M'. */
void label_opts_default(struct label_opts *o);

/* Append a PNG of width_mm x height_mm at dpi (pixels = mm / 25.4 * dpi, rounded) to out.
 * opts may be NULL for the defaults; why may be NULL when whylen is 0.
 * Returns 0 (why is ""), or on failure appends nothing and returns:
 *   REG_ENOLABEL  the label cannot be printed at this size (QR modules under 0.4 mm or 2 px,
 *                 text that does not fit at 6 pt, a URL beyond QR capacity, more than 25
 *                 million pixels); why says what
 *                 failed and, where one exists, the smallest label that would work, e.g.
 *                 "at 300 dpi a 30x12 mm label makes QR modules of 0.25 mm (3 px); they must
 *                 be at least 0.4 mm and 2 px; use at least 16 mm height and 56 mm width";
 *   -EINVAL       bad arguments: missing url, name or date, a date not shaped YYYY-MM-DD,
 *                 invalid UTF-8 or control characters, sizes out of range (why says which);
 *   REG_EINTERNAL cairo or libqrencode failed. */
int label_render_png(const struct label_info *info, const struct label_opts *opts, struct buf *out,
                     char *why, size_t whylen);

#endif
