/* label.c: renders the packaging label (see label.h) with cairo's image surface and toy text API.
 *
 * Layout, in pixels at the requested dpi: the QR code sits centred in a square as tall as the
 * label at the left, with integer-sized modules and at least four modules of quiet zone all
 * round. The text column fills the rest. Its top is aligned with the QR code's top edge: product
 * name (bold, biggest), model, "Security updates until DATE" (bold); its bottom is aligned with
 * the QR code's bottom edge: the product ID and the URL in small text. Font sizes start from
 * fractions of the column's height and shrink until everything fits; each text first shrinks
 * (down to 6 pt), then breaks into lines; what cannot fit is refused, never clipped. Text is
 * measured once in em: with metric hinting off, widths scale linearly with the font size. */
#include "label.h"

#include "err.h"
#include "qr.h"

#include <cairo.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_MM_PER_INCH 25.4
#define LABEL_MIN_MODULE_MM 0.4
#define LABEL_MIN_MODULE_PX 2
#define LABEL_QUIET 4    /* quiet zone around the QR code, in modules */
#define LABEL_MIN_PT 6.0 /* the smallest text printed */
#define LABEL_MAX_MM 1000.0
#define LABEL_MAX_PIXELS 25e6
#define LABEL_SUGGEST_MAX_MM 500
#define LABEL_MAX_LINES 3
#define LABEL_FONT "DejaVu Sans"
#define LABEL_MEASURE_PX 64.0 /* the size text is measured at */

/* Preferred font sizes, as fractions of the text column's height, and line spacing (em). */
#define LABEL_NAME_EM 0.19
#define LABEL_BODY_EM 0.105
#define LABEL_SMALL_EM 0.08
#define LABEL_PITCH 1.15

enum { B_NAME, B_MODEL, B_SUPPORT, B_ID, B_URL, B_COUNT };
enum { WRAP_WORDS, WRAP_CHARS };
enum { FIT_OK, FIT_WIDTH, FIT_HEIGHT };

struct tblock {       /* one text of the label and, after layout, its lines */
    const char *what; /* its name in reasons */
    const char *text; /* NULL: not printed */
    size_t len;
    int bold, wrap, max_lines;
    double gap_em;         /* space above it, after the block before */
    double w1;             /* width of the whole text, em */
    double w2;             /* widest line of the best two-line split (WRAP_WORDS), em; 0: none */
    size_t split1, split2; /* that split: line 1 ends at split1, line 2 starts at split2 */
    double size;           /* chosen font size, px */
    int nlines;
    size_t start[LABEL_MAX_LINES], end[LABEL_MAX_LINES];
    double base[LABEL_MAX_LINES]; /* baselines, px */
};

struct meter { /* measures text on a 1x1 surface with the label's font options */
    cairo_surface_t *surf;
    cairo_t *cr;
    int bold;                       /* weight selected on cr */
    struct buf tmp;                 /* NUL-terminated copy of the text being measured or drawn */
    double asc[2], desc[2], cap[2]; /* font metrics per weight, em */
};

struct geom { /* pixel geometry of one label size */
    int w, h;
    int module; /* QR module side */
    int qr_x, qr_y;
    double col_x, col_w, col_top, col_bottom; /* the text column */
};

struct job { /* one call of label_render_png */
    const struct label_opts *o;
    struct qr qr;
    struct meter m;
    struct tblock b[B_COUNT];
    struct buf support, id; /* composed texts */
    double min_px;          /* LABEL_MIN_PT at o->dpi */
    int min_module;         /* px */
    int fail_block;         /* set by FIT_WIDTH */
    double need_h, have_h;  /* px, set by FIT_HEIGHT */
};

/* ---- small helpers ---- */

static double label_min(double a, double b)
{
    return a < b ? a : b;
}

static double label_clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

static int label_ceil(double v)
{
    int i = (int)v;
    return i < v ? i + 1 : i;
}

static int label_px(double mm, int dpi)
{
    return (int)(mm * dpi / LABEL_MM_PER_INCH + 0.5);
}

/* Length of the UTF-8 sequence that lead byte c starts; 0 if c cannot start one. */
static int label_utf8_len(unsigned c)
{
    if (c < 0x80) return 1;
    if ((c & 0xe0) == 0xc0) return 2;
    if ((c & 0xf0) == 0xe0) return 3;
    if ((c & 0xf8) == 0xf0) return 4;
    return 0;
}

/* Valid UTF-8 (no overlong forms or surrogates) without C0/C1 control characters or DEL. */
static int label_utf8_clean(const char *s)
{
    static const unsigned min[] = {0, 0, 0x80, 0x800, 0x10000};
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = label_utf8_len(*p);
        if (n == 0) return 0;
        unsigned cp = *p & (n == 1 ? 0x7fu : 0xffu >> (n + 1));
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80) return 0;
            cp = cp << 6 | (p[i] & 0x3fu);
        }
        if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return 0;
        p += n;
    }
    return 1;
}

static int label_date_shaped(const char *s)
{
    for (int i = 0; i < 10; i++) {
        if (i == 4 || i == 7) {
            if (s[i] != '-') return 0;
        } else if (s[i] < '0' || s[i] > '9') {
            return 0;
        }
    }
    return s[10] == '\0';
}

/* ---- checking the arguments ---- */

static int label_check_text(const char *s, const char *what, int required, struct buf *why)
{
    if (!s || !*s) {
        if (!required) return 0;
        buf_printf(why, "the %s is missing", what);
        return -EINVAL;
    }
    if (!label_utf8_clean(s)) {
        buf_printf(why, "the %s is not valid UTF-8 or holds control characters", what);
        return -EINVAL;
    }
    return 0;
}

static int label_check_opts(const struct label_opts *o, struct buf *why)
{
    if (!(o->width_mm > 0 && o->width_mm <= LABEL_MAX_MM && o->height_mm > 0 &&
          o->height_mm <= LABEL_MAX_MM)) {
        buf_printf(why, "label sizes must be more than 0 and at most %g mm", LABEL_MAX_MM);
        return -EINVAL;
    }
    if (o->dpi < 72 || o->dpi > 2400) {
        buf_puts(why, "dpi must be between 72 and 2400");
        return -EINVAL;
    }
    if (o->ec_level != 'L' && o->ec_level != 'M' && o->ec_level != 'Q' && o->ec_level != 'H') {
        buf_puts(why, "the error-correction level must be L, M, Q or H");
        return -EINVAL;
    }
    return 0;
}

static int label_check(const struct label_info *info, const struct label_opts *o,
                       const struct buf *out, struct buf *why)
{
    int rc;
    if (!info || !out) {
        buf_puts(why, "no label info or output buffer");
        return -EINVAL;
    }
    if ((rc = label_check_text(info->url, "URL", 1, why))) return rc;
    if ((rc = label_check_text(info->product_name, "product name", 1, why))) return rc;
    if ((rc = label_check_text(info->product_model, "product model", 0, why))) return rc;
    if ((rc = label_check_text(info->product_id, "product ID", 0, why))) return rc;
    if (!info->support_date || !label_date_shaped(info->support_date)) {
        buf_puts(why, "the support date must be YYYY-MM-DD");
        return -EINVAL;
    }
    return label_check_opts(o, why);
}

/* A label too big to hold in memory is a label that cannot be printed at this size. */
static int label_check_pixels(const struct label_opts *o, struct buf *why)
{
    double w = o->width_mm * o->dpi / LABEL_MM_PER_INCH;
    double h = o->height_mm * o->dpi / LABEL_MM_PER_INCH;
    if (w * h <= LABEL_MAX_PIXELS) return 0;
    buf_printf(why,
               "at %d dpi a %gx%g mm label would have %.0f million pixels, more than %.0f "
               "million; use a lower dpi or a smaller label",
               o->dpi, o->width_mm, o->height_mm, w * h / 1e6, LABEL_MAX_PIXELS / 1e6);
    return REG_ENOLABEL;
}

/* ---- measuring text ---- */

static void label_face(cairo_t *cr, int bold)
{
    cairo_select_font_face(cr, LABEL_FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
}

/* Grey antialiasing (no colour fringes), light hinting, and unhinted metrics so that widths
 * scale linearly and the output does not depend on the desktop's font settings. */
static int label_font_options(cairo_t *cr)
{
    cairo_font_options_t *fo = cairo_font_options_create();
    if (cairo_font_options_status(fo) != CAIRO_STATUS_SUCCESS) {
        cairo_font_options_destroy(fo);
        return REG_EINTERNAL;
    }
    cairo_font_options_set_antialias(fo, CAIRO_ANTIALIAS_GRAY);
    cairo_font_options_set_hint_style(fo, CAIRO_HINT_STYLE_SLIGHT);
    cairo_font_options_set_hint_metrics(fo, CAIRO_HINT_METRICS_OFF);
    cairo_set_font_options(cr, fo);
    cairo_font_options_destroy(fo);
    return cairo_status(cr) == CAIRO_STATUS_SUCCESS ? 0 : REG_EINTERNAL;
}

static int label_meter_open(struct meter *m)
{
    buf_init(&m->tmp);
    m->cr = NULL;
    m->surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    if (cairo_surface_status(m->surf) != CAIRO_STATUS_SUCCESS) return REG_EINTERNAL;
    m->cr = cairo_create(m->surf);
    if (cairo_status(m->cr) != CAIRO_STATUS_SUCCESS || label_font_options(m->cr))
        return REG_EINTERNAL;
    for (int bold = 0; bold < 2; bold++) {
        cairo_font_extents_t fe;
        cairo_text_extents_t te;
        label_face(m->cr, bold);
        cairo_set_font_size(m->cr, LABEL_MEASURE_PX);
        cairo_font_extents(m->cr, &fe);
        cairo_text_extents(m->cr, "H", &te);
        m->asc[bold] = fe.ascent / LABEL_MEASURE_PX;
        m->desc[bold] = fe.descent / LABEL_MEASURE_PX;
        m->cap[bold] = -te.y_bearing / LABEL_MEASURE_PX;
    }
    m->bold = 1;
    return cairo_status(m->cr) == CAIRO_STATUS_SUCCESS ? 0 : REG_EINTERNAL;
}

static void label_meter_close(struct meter *m)
{
    if (m->cr) cairo_destroy(m->cr);
    if (m->surf) cairo_surface_destroy(m->surf);
    m->cr = NULL;
    m->surf = NULL;
    buf_free(&m->tmp);
}

/* s[0..n) as a NUL-terminated string in m->tmp. */
static const char *label_cstr(struct meter *m, const char *s, size_t n)
{
    buf_reset(&m->tmp);
    buf_append(&m->tmp, s, n);
    return buf_cstr(&m->tmp);
}

/* Width of s[0..n) in em: the advance or the ink, whichever reaches further right. */
static double label_width(struct meter *m, int bold, const char *s, size_t n)
{
    cairo_text_extents_t te;
    if (m->bold != bold) {
        label_face(m->cr, bold);
        cairo_set_font_size(m->cr, LABEL_MEASURE_PX);
        m->bold = bold;
    }
    cairo_text_extents(m->cr, label_cstr(m, s, n), &te);
    double w = te.x_advance;
    if (te.x_bearing + te.width > w) w = te.x_bearing + te.width;
    return w / LABEL_MEASURE_PX;
}

/* ---- breaking text into lines ---- */

struct split {
    size_t end1, start2;
};

/* Where WRAP_WORDS text may break: at spaces; after '-' or '/' only in text without spaces. */
static size_t label_splits(const char *s, size_t len, struct split *sp)
{
    size_t n = 0;
    int spaces = memchr(s, ' ', len) != NULL;
    for (size_t i = 1; i < len; i++) {
        if (spaces && s[i] == ' ' && s[i - 1] != ' ') {
            size_t j = i;
            while (j < len && s[j] == ' ')
                j++;
            if (j < len) sp[n++] = (struct split){i, j};
        } else if (!spaces && (s[i - 1] == '-' || s[i - 1] == '/')) {
            sp[n++] = (struct split){i, i};
        }
    }
    return n;
}

/* The two-line split whose wider line is narrowest: line 1 widens and line 2 narrows as the
 * split moves right, so binary-search the crossing and take the better of its neighbours. */
static void label_best_split(struct meter *m, struct tblock *b)
{
    struct split *sp = xmalloc(b->len * sizeof *sp);
    size_t n = label_splits(b->text, b->len, sp), lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        double w1 = label_width(m, b->bold, b->text, sp[mid].end1);
        double w2 = label_width(m, b->bold, b->text + sp[mid].start2, b->len - sp[mid].start2);
        if (w1 >= w2)
            hi = mid;
        else
            lo = mid + 1;
    }
    b->w2 = 0;
    for (size_t k = lo > 0 ? lo - 1 : 0; k <= lo && k < n; k++) {
        double w1 = label_width(m, b->bold, b->text, sp[k].end1);
        double w2 = label_width(m, b->bold, b->text + sp[k].start2, b->len - sp[k].start2);
        double w = w1 > w2 ? w1 : w2;
        if (b->w2 == 0 || w < b->w2) {
            b->w2 = w;
            b->split1 = sp[k].end1;
            b->split2 = sp[k].start2;
        }
    }
    free(sp);
}

static void label_prepare(struct meter *m, struct tblock *b)
{
    if (!b->text) return;
    b->w1 = label_width(m, b->bold, b->text, b->len);
    if (b->w1 < 1e-6) b->w1 = 1e-6;
    b->w2 = 0;
    if (b->wrap == WRAP_WORDS && b->max_lines >= 2) label_best_split(m, b);
}

static int label_is_cont(const char *s, size_t i)
{
    return ((unsigned char)s[i] & 0xc0) == 0x80;
}

/* After filling a line up to byte e, prefer to end it after a URL separator in its last third. */
static size_t label_url_break(const char *s, size_t start, size_t e)
{
    for (size_t k = e; k > start + (e - start) * 2 / 3; k--)
        if (strchr("/?&=#.-_", s[k - 1])) return k;
    return e;
}

static size_t label_boundary(const struct tblock *b, size_t i)
{
    while (i < b->len && label_is_cont(b->text, i))
        i++;
    return i;
}

/* Greedy WRAP_CHARS lines at font size `size`: each line takes the longest prefix that fits. */
static int label_wrap_chars(struct meter *m, struct tblock *b, double size, double avail)
{
    double lim = avail / size;
    size_t p = 0;
    b->nlines = 0;
    while (p < b->len) {
        if (b->nlines == b->max_lines) return -1;
        size_t lo = p, hi = b->len; /* the longest fitting prefix ends in [lo, hi] */
        while (lo < hi) {
            size_t mid = lo + (hi - lo + 1) / 2;
            if (label_width(m, b->bold, b->text + p, label_boundary(b, mid) - p) <= lim)
                lo = mid;
            else
                hi = mid - 1;
        }
        if (lo == p) return -1; /* not even one character fits */
        size_t e = label_boundary(b, lo);
        if (e < b->len) e = label_url_break(b->text, p, e);
        b->start[b->nlines] = p;
        b->end[b->nlines++] = e;
        p = e;
    }
    b->size = size;
    return 0;
}

static void label_lines1(struct tblock *b, double size)
{
    b->size = size;
    b->nlines = 1;
    b->start[0] = 0;
    b->end[0] = b->len;
}

/* Size and lines for one text: one line, shrunk from `cap` as far as min_px; else broken. */
static int label_fit_block(struct job *j, struct tblock *b, double cap, double avail)
{
    if (!b->text) return 0;
    if (b->w1 * j->min_px <= avail) {
        label_lines1(b, label_min(cap, avail / b->w1));
        return 0;
    }
    if (b->wrap == WRAP_WORDS) {
        if (b->w2 <= 0 || b->w2 * j->min_px > avail) return -1;
        b->size = label_min(cap, avail / b->w2);
        b->nlines = 2;
        b->start[0] = 0;
        b->end[0] = b->split1;
        b->start[1] = b->split2;
        b->end[1] = b->len;
        return 0;
    }
    if (cap > j->min_px && label_wrap_chars(&j->m, b, cap, avail) == 0) return 0;
    return label_wrap_chars(&j->m, b, j->min_px, avail);
}

/* ---- layout ---- */

static void label_geom(const struct job *j, int w, int h, struct geom *g)
{
    g->w = w;
    g->h = h;
    g->module = h / (j->qr.width + 2 * LABEL_QUIET);
    int pad = (h - j->qr.width * g->module) / 2;
    g->qr_x = g->qr_y = pad;
    g->col_x = h;
    g->col_w = w - h - pad / 2;
    g->col_top = pad;
    g->col_bottom = h - pad;
}

/* Baselines: the top group hangs from the column's top, the bottom group sits on its bottom. */
static int label_place(struct job *j, const struct geom *g)
{
    static const int top[] = {B_NAME, B_MODEL, B_SUPPORT};
    const struct meter *m = &j->m;
    double prev = 0, prev_desc = 0;
    int first = 1;
    for (size_t k = 0; k < sizeof top / sizeof top[0]; k++) {
        struct tblock *b = &j->b[top[k]];
        if (!b->text) continue;
        double sz = b->size, base;
        if (first)
            base = g->col_top + m->cap[b->bold] * sz;
        else
            base = prev + prev_desc + (b->gap_em + m->asc[b->bold]) * sz;
        for (int i = 0; i < b->nlines; i++)
            b->base[i] = base + i * LABEL_PITCH * sz;
        prev = b->base[b->nlines - 1];
        prev_desc = m->desc[b->bold] * sz;
        first = 0;
    }
    double top_end = prev + prev_desc;

    struct tblock *u = &j->b[B_URL], *id = &j->b[B_ID];
    for (int i = 0; i < u->nlines; i++)
        u->base[i] = g->col_bottom - (u->nlines - 1 - i) * LABEL_PITCH * u->size;
    double bottom_top = u->base[0] - m->asc[u->bold] * u->size;
    if (id->text) {
        double last = bottom_top - (id->gap_em + m->desc[id->bold]) * id->size;
        for (int i = 0; i < id->nlines; i++)
            id->base[i] = last - (id->nlines - 1 - i) * LABEL_PITCH * id->size;
        bottom_top = id->base[0] - m->asc[id->bold] * id->size;
    }

    double gap = 0.5 * j->b[B_SUPPORT].size;
    if (top_end + gap <= bottom_top) return FIT_OK;
    j->need_h = (top_end - g->col_top) + gap + (g->col_bottom - bottom_top);
    j->have_h = g->col_bottom - g->col_top;
    return FIT_HEIGHT;
}

/* Largest size block k may take at scale s: a fraction of the column height, never under 6 pt,
 * never larger than the text above it (model and date no larger than the name; ID and URL no
 * larger than the date). */
static double label_cap(const struct job *j, int k, double col_h, double s)
{
    if (k == B_NAME) {
        double c = LABEL_NAME_EM * col_h * s;
        return c > j->min_px ? c : j->min_px;
    }
    if (k <= B_SUPPORT) return label_clamp(LABEL_BODY_EM * col_h * s, j->min_px, j->b[B_NAME].size);
    return label_clamp(LABEL_SMALL_EM * col_h * s, j->min_px, j->b[B_SUPPORT].size);
}

/* One attempt with the preferred sizes scaled by s. */
static int label_try(struct job *j, const struct geom *g, double s)
{
    double col_h = g->col_bottom - g->col_top;
    for (int k = 0; k < B_COUNT; k++) {
        if (g->col_w <= 0 || label_fit_block(j, &j->b[k], label_cap(j, k, col_h, s), g->col_w)) {
            j->fail_block = k;
            return FIT_WIDTH;
        }
    }
    return label_place(j, g);
}

/* Shrink everything until it fits the column's height, or all text is at the minimum size. */
static int label_layout(struct job *j, const struct geom *g)
{
    double col_h = g->col_bottom - g->col_top;
    for (double s = 1.0;; s *= 0.93) {
        int rc = label_try(j, g, s);
        if (rc != FIT_HEIGHT || LABEL_NAME_EM * col_h * s <= j->min_px) return rc;
    }
}

/* ---- refusing with a reason ---- */

static int label_fits(struct job *j, double w_mm, double h_mm)
{
    struct geom g;
    label_geom(j, label_px(w_mm, j->o->dpi), label_px(h_mm, j->o->dpi), &g);
    return g.module >= j->min_module && label_layout(j, &g) == FIT_OK;
}

/* Height that gives QR modules of the minimum size, in whole mm. */
static double label_qr_min_height(const struct job *j)
{
    int need = (j->qr.width + 2 * LABEL_QUIET) * j->min_module;
    int mm = label_ceil(need * LABEL_MM_PER_INCH / j->o->dpi);
    while (label_px(mm, j->o->dpi) < need)
        mm++;
    return mm;
}

/* The smallest label, keeping the height as low as possible, on which everything fits. */
static int label_suggest(struct job *j, double *w_mm, double *h_mm)
{
    double h = j->o->height_mm, hq = label_qr_min_height(j);
    if (h < hq) h = hq;
    for (int k = 0; k < 100; k++, h += 1) {
        double w = j->o->width_mm > h ? j->o->width_mm : h;
        if (!label_fits(j, LABEL_SUGGEST_MAX_MM, h)) continue;
        if (!label_fits(j, w, h)) {
            int lo = (int)w, hi = LABEL_SUGGEST_MAX_MM; /* lo does not fit, hi does */
            while (hi - lo > 1) {
                int mid = lo + (hi - lo) / 2;
                if (label_fits(j, mid, h))
                    hi = mid;
                else
                    lo = mid;
            }
            w = hi;
        }
        *w_mm = w;
        *h_mm = h;
        return 0;
    }
    return -1;
}

static void label_say_suggestion(struct job *j, struct buf *why)
{
    double w, h;
    if (label_suggest(j, &w, &h)) {
        buf_printf(why, "; no label up to %d mm wide fits it", LABEL_SUGGEST_MAX_MM);
        return;
    }
    int more_h = h > j->o->height_mm + 1e-9, more_w = w > j->o->width_mm + 1e-9;
    if (more_h && more_w)
        buf_printf(why, "; use at least %g mm height and %g mm width", h, w);
    else if (more_h)
        buf_printf(why, "; use at least %g mm height", h);
    else if (more_w)
        buf_printf(why, "; use at least %g mm width", w);
}

static void label_say_problem(struct job *j, const struct geom *g, int fit, struct buf *why)
{
    const struct label_opts *o = j->o;
    double mm = LABEL_MM_PER_INCH / o->dpi;
    if (g->module < j->min_module) {
        buf_printf(why,
                   "at %d dpi a %gx%g mm label makes QR modules of %.2f mm (%d px); they must "
                   "be at least %g mm and %d px",
                   o->dpi, o->width_mm, o->height_mm, g->module * mm, g->module,
                   LABEL_MIN_MODULE_MM, LABEL_MIN_MODULE_PX);
    } else if (fit == FIT_WIDTH && g->col_w <= 0) {
        buf_printf(why, "a %gx%g mm label leaves no room for text beside its %g mm QR code",
                   o->width_mm, o->height_mm, o->height_mm);
    } else if (fit == FIT_WIDTH) {
        const struct tblock *b = &j->b[j->fail_block];
        buf_printf(why,
                   "the %s does not fit on %d line%s of %g pt text in the %.1f mm beside the "
                   "QR code",
                   b->what, b->max_lines, b->max_lines > 1 ? "s" : "", LABEL_MIN_PT, g->col_w * mm);
    } else {
        buf_printf(why, "the text needs %.1f mm of height but %.1f mm is free beside the QR code",
                   j->need_h * mm, j->have_h * mm);
    }
}

/* ---- drawing ---- */

/* Dark modules as one path of horizontal runs, filled without antialiasing. */
static void label_draw_qr(cairo_t *cr, const struct qr *q, const struct geom *g)
{
    int m = g->module;
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int y = 0; y < q->width; y++) {
        const unsigned char *row = q->modules + (size_t)y * q->width;
        for (int x = 0; x < q->width;) {
            if (!row[x]) {
                x++;
                continue;
            }
            int x0 = x;
            while (x < q->width && row[x])
                x++;
            cairo_rectangle(cr, g->qr_x + x0 * m, g->qr_y + y * m, (x - x0) * m, m);
        }
    }
    cairo_fill(cr);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
}

static void label_draw_text(cairo_t *cr, struct job *j, const struct geom *g)
{
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int k = 0; k < B_COUNT; k++) {
        const struct tblock *b = &j->b[k];
        if (!b->text) continue;
        label_face(cr, b->bold);
        cairo_set_font_size(cr, b->size);
        for (int i = 0; i < b->nlines; i++) {
            cairo_move_to(cr, g->col_x, (int)(b->base[i] + 0.5));
            cairo_show_text(cr, label_cstr(&j->m, b->text + b->start[i], b->end[i] - b->start[i]));
        }
    }
}

static cairo_status_t label_png_write(void *closure, const unsigned char *data, unsigned int len)
{
    buf_append(closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

static int label_draw(struct job *j, const struct geom *g, struct buf *out)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, g->w, g->h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        return REG_EINTERNAL;
    }
    int rc = REG_EINTERNAL;
    cairo_t *cr = cairo_create(s);
    if (cairo_status(cr) == CAIRO_STATUS_SUCCESS && label_font_options(cr) == 0) {
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
        label_draw_qr(cr, &j->qr, g);
        label_draw_text(cr, j, g);
        cairo_surface_flush(s);
        if (cairo_status(cr) == CAIRO_STATUS_SUCCESS &&
            cairo_surface_write_to_png_stream(s, label_png_write, out) == CAIRO_STATUS_SUCCESS)
            rc = 0;
    }
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    return rc;
}

/* ---- the job ---- */

static void label_block(struct tblock *b, const char *what, const char *text, int bold, int wrap,
                        int max_lines, double gap_em)
{
    memset(b, 0, sizeof *b);
    b->what = what;
    b->text = text && *text ? text : NULL;
    b->len = b->text ? strlen(b->text) : 0;
    b->bold = bold;
    b->wrap = wrap;
    b->max_lines = max_lines;
    b->gap_em = gap_em;
}

static void label_job_init(struct job *j, const struct label_info *info, const struct label_opts *o)
{
    memset(j, 0, sizeof *j);
    j->o = o;
    buf_init(&j->support);
    buf_init(&j->id);
    buf_init(&j->m.tmp);
    buf_printf(&j->support, "Security updates until %s", info->support_date);
    if (info->product_id && *info->product_id) buf_printf(&j->id, "ID: %s", info->product_id);
    label_block(&j->b[B_NAME], "product name", info->product_name, 1, WRAP_WORDS, 2, 0);
    label_block(&j->b[B_MODEL], "product model", info->product_model, 0, WRAP_WORDS, 2, 0.2);
    label_block(&j->b[B_SUPPORT], "\"Security updates until\" line", buf_cstr(&j->support), 1,
                WRAP_WORDS, 2, 0.7);
    label_block(&j->b[B_ID], "product ID", j->id.len ? buf_cstr(&j->id) : NULL, 0, WRAP_CHARS, 2,
                0.2);
    label_block(&j->b[B_URL], "URL", info->url, 0, WRAP_CHARS, 3, 0);
    j->min_px = LABEL_MIN_PT * o->dpi / 72.0;
    j->min_module = label_ceil(LABEL_MIN_MODULE_MM * o->dpi / LABEL_MM_PER_INCH - 1e-9);
    if (j->min_module < LABEL_MIN_MODULE_PX) j->min_module = LABEL_MIN_MODULE_PX;
}

static void label_job_free(struct job *j)
{
    qr_free(&j->qr);
    label_meter_close(&j->m);
    buf_free(&j->support);
    buf_free(&j->id);
}

static int label_encode(struct job *j, const char *url, struct buf *why)
{
    int rc = qr_encode(url, j->o->ec_level, &j->qr);
    if (rc == -ERANGE) {
        buf_printf(why,
                   "the URL (%zu bytes) is too long for a QR code at error-correction level %c",
                   strlen(url), j->o->ec_level);
        return REG_ENOLABEL;
    }
    return rc;
}

static int label_run(struct job *j, const struct label_info *info, struct buf *out, struct buf *why)
{
    int rc;
    if ((rc = label_encode(j, info->url, why))) return rc;
    if ((rc = label_meter_open(&j->m))) return rc;
    for (int k = 0; k < B_COUNT; k++)
        label_prepare(&j->m, &j->b[k]);
    if (cairo_status(j->m.cr) != CAIRO_STATUS_SUCCESS) return REG_EINTERNAL;

    struct geom g;
    label_geom(j, label_px(j->o->width_mm, j->o->dpi), label_px(j->o->height_mm, j->o->dpi), &g);
    int fit = g.module >= j->min_module ? label_layout(j, &g) : FIT_WIDTH;
    if (cairo_status(j->m.cr) != CAIRO_STATUS_SUCCESS) return REG_EINTERNAL;
    if (g.module < j->min_module || fit != FIT_OK) {
        label_say_problem(j, &g, fit, why);
        label_say_suggestion(j, why);
        return REG_ENOLABEL;
    }
    return label_draw(j, &g, out);
}

void label_opts_default(struct label_opts *o)
{
    o->width_mm = 60;
    o->height_mm = 30;
    o->dpi = 300;
    o->ec_level = 'M';
}

int label_render_png(const struct label_info *info, const struct label_opts *opts, struct buf *out,
                     char *why, size_t whylen)
{
    struct label_opts def;
    struct buf reason = BUF_INIT;
    if (!opts) {
        label_opts_default(&def);
        opts = &def;
    }
    size_t mark = out ? out->len : 0;
    int rc = label_check(info, opts, out, &reason);
    if (rc == 0) rc = label_check_pixels(opts, &reason);
    if (rc == 0) {
        struct job j;
        label_job_init(&j, info, opts);
        rc = label_run(&j, info, out, &reason);
        label_job_free(&j);
    }
    if (rc && out) out->len = mark;
    if (why && whylen) snprintf(why, whylen, "%s", reason.len ? buf_cstr(&reason) : "");
    buf_free(&reason);
    return rc;
}
