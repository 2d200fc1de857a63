/* label.h: the packaging label, in every format packaging and label-printing workflows use:
 * PNG, SVG and PDF for artwork, ZPL II for thermal printers, and PDF sheets of many labels on
 * A4 or US Letter. A label is a QR code that leads to the product's page beside (or, on a
 * portrait label, below) the promises printed in words.
 *
 *   full layout (LABEL_FULL), like a nutrition panel: product name (bold) and model;
 *     "Security updates until 2030-12-31" (bold); the default-password promise ("Unique
 *     password per device", "You set the password" or "No password"); "Report security
 *     problems: <contact>"; and, for people who cannot scan, the product ID and the registry
 *     address (short_url, else the URL without "https://").
 *   compact layout (LABEL_COMPACT): the QR code and "Security updates until 2030-12-31" only.
 *   QR layout (LABEL_QR): the QR code alone, centred, with its quiet zone: for artwork that
 *     prints the promises itself.
 *
 * Every line is measured with DejaVu Sans (fonts-dejavu-core), each character DejaVu lacks in
 * the font fontconfig finds for it (fonts-wqy-microhei for Chinese, Japanese and Korean, which
 * may also break a line between any two of their letters), and must fit: text shrinks down to
 * 6 pt, then breaks into lines; then the address shrinks to the registry's host or is left
 * out, and name, model and contact are cut with "…" (label.c says in which order), so the
 * default full label holds every valid declaration; what still does not fit is refused with
 * the smallest label that would work (at most LABEL_MAX_MM), never clipped. QR modules are whole
 * dots of the dpi grid, at least 0.4 mm (and at least 2 pixels or printer dots in PNG and ZPL),
 * with a quiet zone of at least four modules. Output is deterministic: the same inputs give the
 * same bytes in every format.
 *
 * Ownership: every string in struct label_info is borrowed for the duration of the call and
 * never kept. label_render() appends to the caller's struct buf (the caller frees it) and
 * writes its reason into the caller's `why` array. A struct label_sheet is owned by the caller
 * from label_sheet_begin() until label_sheet_end() or label_sheet_abort(), which free it; the
 * module keeps no other state between calls. */
#ifndef SECLABEL_LABEL_H
#define SECLABEL_LABEL_H

#include "buf.h"
#include "why.h"

#include <stddef.h>

enum label_format { LABEL_PNG, LABEL_SVG, LABEL_PDF, LABEL_ZPL };
enum label_layout { LABEL_FULL, LABEL_COMPACT, LABEL_QR };
enum label_paper { LABEL_A4, LABEL_LETTER };

/* The sizes a width_mm or height_mm of 0 stands for. Full: a common 80 x 40 mm roll label,
 * room for the QR code and about ten lines of 6-9 pt text. Compact: 40 x 20 mm, a 20 mm QR
 * code and the support date in two lines beside it. (30 x 20 mm leaves 10 mm beside the code,
 * narrower than "2030-12-31" alone at 6 pt; portrait 20 x 30 mm, text below the code, fits.) */
#define LABEL_FULL_WIDTH_MM 80.0
#define LABEL_FULL_HEIGHT_MM 40.0
#define LABEL_COMPACT_WIDTH_MM 40.0
#define LABEL_COMPACT_HEIGHT_MM 20.0
#define LABEL_QR_SIDE_MM 20.0 /* the QR layout's default width and height */

/* The sizes a user may ask for, in mm, each side: the one home of the range the HTTP API
 * (width_mm, height_mm) and the CLI (--size) take. label_render() takes (0, LABEL_MAX_MM], and
 * a refusal never suggests more than LABEL_MAX_MM. */
#define LABEL_MIN_MM 10.0
#define LABEL_MAX_MM 400.0

struct label_info {            /* all borrowed, NUL-terminated UTF-8 without control chars */
    const char *url;           /* what the QR code encodes, exactly (required) */
    const char *product_name;  /* required (printed in the full layout only) */
    const char *product_model; /* may be NULL */
    const char *support_date;  /* YYYY-MM-DD, required */
    const char *product_id;    /* may be NULL; printed for people who cannot scan */
    const char *contact;       /* security contact (e-mail or URL); full layout; may be NULL */
    const char *password;      /* default_password: unique_per_device, user_defined or
                                  no_password; full layout; may be NULL (universal is refused:
                                  it never gets a label) */
    const char *short_url;     /* the registry address printed for people who cannot scan,
                                  e.g. "labels.example.com/p/acme-cam-2"; may be NULL */
    const char *lang;          /* the language of the label's own words: "en", "de" or "zh"
                                  (label_lang_list()); NULL: English */
};

/* The languages labels are printed in (web/i18n/<lang>.txt's label.* keys): label_lang() gives
 * a code's index (0 is English) or REG_EBADREQ; label_lang_code() the code of an index;
 * label_lang_list() "en, de, zh", for messages; label_market_lang() the code of the language
 * a market's labels are printed in by default (ISO 3166-1 alpha-2; "en" for any other). The
 * strings are static. */
int label_lang(const char *code);
const char *label_lang_code(int lang);
const char *label_lang_list(void);
const char *label_market_lang(const char *country);

struct label_opts {
    double width_mm, height_mm; /* 0: the layout's default (LABEL_*_MM above); else more
                                   than 0 and at most LABEL_MAX_MM.
                                   Landscape or square: the QR code is height_mm square at the
                                   left, text beside it. Portrait (height > width): the QR code
                                   is width_mm square at the top, text below it. */
    int dpi;                    /* 72..2400: PNG pixels and ZPL dots per inch (203, 300 and
                                   600 are typical printers); for SVG and PDF the grid QR
                                   modules snap to. Default 300 */
    char ec_level;              /* QR error correction 'L', 'M', 'Q' or 'H'; default 'M' */
    enum label_layout layout;   /* default LABEL_FULL */
    enum label_format format;   /* default LABEL_PNG */
};

/* Width and height 0 (the layout's default size), 300 dpi, 'M', LABEL_FULL, LABEL_PNG. */
void label_opts_default(struct label_opts *o);

/* Append one label to out, in o->format:
 *   PNG  width_mm x height_mm at dpi (pixels = mm / 25.4 * dpi, rounded), 8-bit greyscale,
 *        with a pHYs chunk of dpi / 0.0254 pixels per metre (rounded) so tools print it to size;
 *   SVG  vector, width="..mm" height="..mm", user units of 1 mm, text as <text> elements;
 *   PDF  vector, one page of the label's size, fonts embedded, no timestamps;
 *   ZPL  one ^XA..^XZ format for a thermal printer at dpi; the printer draws the QR code
 *        (^BQN, magnification = dots per module, 2..10) and the text (font 0), except lines
 *        with characters outside Latin-1 (CJK, which font 0 lacks), sent as ^GF graphic fields
 *        drawn as in the PNG. The URL must be printable ASCII, as the printer's automatic QR
 *        mode cannot take other bytes (REG_ENOLABEL).
 * o may be NULL for the defaults; why may be NULL (the caller's, see why.h).
 * Returns 0 (why is ""), or on failure appends nothing and returns:
 *   REG_ENOLABEL  the label cannot be printed at this size (QR modules under 0.4 mm or, in PNG
 *                 and ZPL, 2 dots; text that does not fit at 6 pt; a URL beyond QR capacity; a
 *                 PNG of more than 25 million pixels, a ZPL label over 32000 dots); why says
 *                 what failed and, where one exists, the smallest label that would work, e.g.
 *                 "at 300 dpi a 30x12 mm label makes QR modules of 0.25 mm (3 px); they must
 *                 be at least 0.4 mm and 2 px; use at least 16 mm height and 56 mm width";
 *   REG_EBADREQ   bad arguments: missing url, name or date, a date not shaped YYYY-MM-DD, an
 *                 unknown or universal password, invalid UTF-8 or control characters, sizes,
 *                 dpi, level, layout or format out of range (why says which);
 *   REG_EINTERNAL cairo or libqrencode failed. */
int label_render(const struct label_info *info, const struct label_opts *o, struct buf *out,
                 struct reg_why *why);

/* ---- sheets: many labels on A4 or US Letter pages (PDF) ----
 *
 * Labels of one size sit in a grid centred on the page, at least 10 mm from every paper edge,
 * at least 2 mm apart (3 mm with crop marks: hairlines 0.4..1.4 mm out from each corner, in
 * line with the label's edges, so marks never touch a neighbour), every label's corner on a
 * whole dot of o->dpi so its QR modules stay whole dots on the page. A page is added when one
 * is full. */
struct label_sheet;

/* Labels per page for this paper, label size and crop-mark choice: 0 and *cols, *rows (both
 * at least 1); REG_ENOLABEL if not even one label fits; REG_EBADREQ for bad options. */
int label_sheet_capacity(enum label_paper paper, const struct label_opts *o, int crop_marks,
                         int *cols, int *rows);

/* Start a sheet. o gives each label's size, layout, dpi and error correction (o->format is
 * ignored; NULL means the defaults). The PDF is appended to out when the sheet ends; out must
 * stay valid until then. Returns 0 and sets *sheet, or REG_ENOLABEL (the label does not fit on
 * the paper; why says what would), REG_EBADREQ or REG_EINTERNAL; *sheet is set only on success. */
int label_sheet_begin(enum label_paper paper, const struct label_opts *o, int crop_marks,
                      struct buf *out, struct label_sheet **sheet, struct reg_why *why);

/* Add one label in the next free place. Returns as label_render() does; a refused label takes
 * no place and leaves the sheet usable. REG_EINTERNAL means the sheet is broken: abort it. */
int label_sheet_add(struct label_sheet *s, const struct label_info *info, struct reg_why *why);

/* Finish the PDF, append it to out and free the sheet. Returns 0; REG_ENOLABEL if no label was
 * added (nothing is appended); REG_EINTERNAL if cairo failed (nothing is appended); REG_EBADREQ
 * for a NULL sheet. */
int label_sheet_end(struct label_sheet *s);

/* Free the sheet without appending anything; s may be NULL. */
void label_sheet_abort(struct label_sheet *s);

#endif
