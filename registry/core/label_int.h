/* label_int.h: the label module's insides, shared by its files; not part of the API.
 *
 *   label.c        arguments, the layout (what goes where, in which size, on how many lines),
 *                  refusals with the size that would fit, label_render()
 *   label_cairo.c  measuring text with cairo, PNG and PDF, PDF sheets, lines as 1-bit images
 *                  (for ZPL lines the printer's font cannot print)
 *   label_svg.c    SVG, written by hand
 *   label_zpl.c    ZPL II
 *
 * label.c turns a label_info and label_opts into a struct label__plan: every position and size
 * in dots of the dpi grid (QR modules and baselines on whole dots), every line of text as it
 * will be printed with its advance width measured in DejaVu Sans. The writers draw a plan;
 * none of them measures, breaks or decides anything, so every format holds the same label. */
#ifndef SECLABEL_LABEL_INT_H
#define SECLABEL_LABEL_INT_H

#include "buf.h"
#include "label.h"
#include "langs.h"
#include "qr.h"

#include <stddef.h>

#define LABEL__MM_PER_INCH 25.4
#define LABEL__FONT "DejaVu Sans"
#define LABEL__MAX_LINES 4 /* per text */
#define LABEL__MAX_TEXTS 7 /* per label */
#define LABEL__ZPL_MAX_MODULE 10
#define LABEL__ZPL_MAX_DOTS 32000

struct label__line {
    const char *s;  /* not NUL-terminated; points into the plan */
    size_t len;     /* bytes */
    int base;       /* baseline, dots from the label's top */
    double advance; /* how far the text advances, dots */
};

struct label__text {
    int bold;
    double size; /* font size (em), dots */
    int nlines;
    struct label__line line[LABEL__MAX_LINES];
};

struct label__plan { /* one laid-out label */
    double width_mm, height_mm;
    int dpi;
    int w, h;               /* dots */
    struct qr qr;           /* owned */
    int qr_x, qr_y, module; /* the code's top-left corner and module side, dots */
    int text_x, text_w;     /* left edge and width of the text column, dots */
    int ntexts;             /* in printing order, top to bottom */
    struct label__text text[LABEL__MAX_TEXTS];
    const char *url; /* what the QR code holds (ZPL has the printer encode it) */
    char ec_level;
    struct buf store; /* owns the strings that url and the lines point into */
};

/* ---- label.c ---- */

/* o with 0 sizes replaced by the layout's defaults. */
void label__resolve(const struct label_opts *o, struct label_opts *out);
/* Check resolved options (sizes, dpi, level, layout, format): 0 or REG_EBADREQ with why. */
int label__check_opts(const struct label_opts *o, struct reg_why *why);
/* Lay out one label: 0 and *plan (free it with label__plan_free), or REG_ENOLABEL, REG_EBADREQ or
 * REG_EINTERNAL with why. o must be resolved; o->format only picks the QR rules (2-dot
 * modules for PNG and ZPL, at most LABEL__ZPL_MAX_MODULE for ZPL) and the size limits. */
struct label__meter;
int label__plan_new(const struct label_info *info, const struct label_opts *o,
                    struct label__meter *m, struct label__plan **plan, struct reg_why *why);
void label__plan_free(struct label__plan *p);

/* ---- label_text.c ---- */

/* The label's words are the label.* keys of web/i18n/<lang>.txt (langs.h). */

#define LABEL__LANGS REG_NLANGS
#define LABEL__WORD_LIST(X)                                                                        \
    X(support_until)                                                                               \
    X(report)                                                                                      \
    X(id)                                                                                          \
    X(pw_unique_per_device)                                                                        \
    X(pw_user_defined)                                                                             \
    X(pw_no_password)
enum label__word {
#define X(w) LABEL__W_##w,
    LABEL__WORD_LIST(X)
#undef X
        LABEL__WORDS
};
/* Read the words once (thread-safe): 0, or REG_EINTERNAL (the build embedded broken files). */
int label__words_ready(void);
/* The word in language lang (label_lang()'s index), with {1} for what it introduces; never
 * NULL after label__words_ready() succeeded. */
const char *label__word(int lang, enum label__word w);

/* ---- label_cairo.c ---- */

/* A text measurer: a 1x1 cairo surface with the label's font options. */
int label__meter_new(struct label__meter **m); /* 0 or REG_EINTERNAL (*m is then NULL) */
void label__meter_free(struct label__meter *m);
/* Font metrics of one weight, in em: ascent, descent, height of a capital H. */
void label__meter_font(struct label__meter *m, int bold, double *asc, double *desc, double *cap);
/* One character (the UTF-8 sequence s[0..n)), in em: its advance and how far its ink reaches
 * right of the advance (0 for most). The toy text API does not kern, so the width of a string
 * is the sum of its advances plus the last character's overshoot. */
void label__meter_char(struct label__meter *m, int bold, const char *s, size_t n, double *adv,
                       double *over);
/* 0 while every measurement succeeded, else REG_EINTERNAL. */
int label__meter_status(struct label__meter *m);

int label__png(const struct label__plan *p, struct buf *out);
int label__pdf(const struct label__plan *p, struct buf *out);

struct label__bits { /* a 1-bit image of one line, for ZPL's ^GF */
    int x, y;        /* its top-left corner, dots from the label's */
    int w, h;        /* dots: the ink's bounding box; 0 x 0 if the line has no ink */
    int stride;      /* bytes per row, (w + 7) / 8 */
    struct buf data; /* h rows, top first, leftmost dot in the high bit, 1 = black; owned */
};
/* Line i of text t drawn exactly as label__png() draws it (same faces, fallback and pixels),
 * each dot black where the ink covers at least half of it. *b is overwritten; the caller frees
 * b->data with buf_free(). 0, or REG_EINTERNAL if cairo failed (b->data is then empty). */
int label__line_bits(const struct label__plan *p, const struct label__text *t, int i,
                     struct label__bits *b);

/* ---- label_svg.c, label_zpl.c ---- */

void label__svg(const struct label__plan *p, struct buf *out);
/* 0, or REG_EINTERNAL (label__line_bits() failed; out may hold part of the label). */
int label__zpl(const struct label__plan *p, struct buf *out);

#endif
