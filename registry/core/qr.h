/* qr.h: QR-code encoding, the registry's only door to libqrencode.
 *
 * Ownership: qr_encode() fills a caller-provided struct qr whose `modules` array it allocates;
 * the caller releases it with qr_free(). On failure the struct is left empty (width 0, modules
 * NULL), so qr_free() is always safe to call. The text is only read, never kept. */
#ifndef SECLABEL_QR_H
#define SECLABEL_QR_H

struct qr {
    int width;              /* modules per side (21 for version 1, +4 per version) */
    unsigned char *modules; /* width*width bytes, row-major, 1 = dark; owned, free with qr_free */
};

/* Encode text (8-bit mode, case-sensitive, smallest version that holds it) at error-correction
 * level 'L', 'M', 'Q' or 'H'. Returns 0, REG_EBADREQ (NULL or empty text, unknown level),
 * REG_ETOOBIG (the text is longer than a version-40 symbol holds at that level) or
 * REG_EINTERNAL. */
int qr_encode(const char *text, char level, struct qr *out);
/* Call fn for each horizontal run of dark modules, row by row: row y, columns [x0, x1). The
 * label writers draw a code as these runs (one rectangle or path segment each). */
typedef void (*qr_run_fn)(void *ctx, int y, int x0, int x1);
void qr_each_run(const struct qr *q, qr_run_fn fn, void *ctx);
/* Release q's modules and leave it empty; q may be NULL or already empty. */
void qr_free(struct qr *q);

#endif
