/* label_cairo.c: everything of the label module that goes through cairo: measuring text for the
 * layout (label.c), drawing a plan as PNG (image surface) or PDF (vector, fonts embedded as
 * subsets so the text can be searched and copied), and PDF sheets of many labels.
 *
 * Text uses cairo's toy API with DejaVu Sans: unhinted metrics, so widths scale linearly with
 * the size and do not depend on the desktop's font settings, and no kerning, so the width of a
 * string is the sum of its characters' advances (label.c relies on both).
 *
 * Fallback: DejaVu Sans has no Chinese, Japanese or Korean, and cairo's toy API picks one font
 * for a whole string, so such text came out as .notdef boxes. A character DejaVu lacks is drawn
 * (and measured: label.c measures each character once, through the same choice) in the font
 * fontconfig ranks first among those that have it (FcFontSort for a pattern of the weight and
 * a charset of that one character; fonts-wqy-microhei, from scripts/setup, for CJK). The face
 * is made from the font's file and index alone, so the desktop's font settings do not reach
 * it. Choices are kept per character and weight for the process's life, so a character is
 * always drawn in the same font whatever was drawn before: the same fonts give the same bytes.
 * A character no installed font has stays a DejaVu .notdef box.
 *
 * Determinism: cairo 1.16 (Debian 12) writes the current time as the PDF's /CreationDate;
 * setting CAIRO_PDF_METADATA_CREATE_DATE and _MOD_DATE to "" leaves both out (a fixed ISO date
 * would be written without the "D:" prefix PDF requires in 1.16). Nothing else in cairo's PDF
 * output varies between runs: the same plan gives the same bytes. */
#include "label_int.h"

#include "err.h"

#include <cairo-ft.h>
#include <cairo-pdf.h>
#include <cairo.h>
#include <fontconfig/fontconfig.h>
#include <math.h>
#include <png.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define LABEL_MEASURE_PX 64.0 /* the size text is measured at */
#define LABEL_PT_PER_MM (72.0 / LABEL__MM_PER_INCH)
#define LABEL_SHEET_MARGIN_MM 10.0
#define LABEL_SHEET_GAP_MM 2.0
#define LABEL_SHEET_CROP_GAP_MM 3.0
#define LABEL_CROP_OFFSET_MM 0.4 /* crop marks start this far out from the corner */
#define LABEL_CROP_LENGTH_MM 1.0 /* and are this long: two of them fit a 3 mm gap apart */
#define LABEL_INK 128 /* coverage (of 255) from which a 1-bit image's dot is black: half */

/* ---- fallback fonts ---- */

struct label_fb_face { /* one fallback font, at both weights */
    char *file;
    int index;
    cairo_font_face_t *face[2]; /* regular, bold (emboldened if the font has no bold) */
};

struct label_fb_choice { /* the font chosen for one character at one weight */
    uint32_t key;        /* code point << 1 | bold */
    int face;            /* index into label_fb.faces, or negative: none has it */
};

static struct {
    pthread_mutex_t lock;
    struct label_fb_face *faces;
    int nfaces;
    struct label_fb_choice *choices; /* sorted by key */
    size_t nchoices;
} label_fb = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* The code point of the UTF-8 sequence s[0..n) (label.c has checked it). */
static uint32_t label_cp(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cp = n == 1 ? p[0] : p[0] & (0xffu >> (n + 1));
    for (size_t i = 1; i < n; i++)
        cp = cp << 6 | (p[i] & 0x3fu);
    return cp;
}

/* Does the font cairo resolved for cr's current face have a glyph for cp? */
static int label_has_glyph(cairo_t *cr, uint32_t cp)
{
    cairo_scaled_font_t *sf = cairo_get_scaled_font(cr);
    if (cairo_scaled_font_get_type(sf) != CAIRO_FONT_TYPE_FT) return 1;
    FT_Face f = cairo_ft_scaled_font_lock_face(sf);
    int has = f ? FT_Get_Char_Index(f, cp) != 0 : 1;
    cairo_ft_scaled_font_unlock_face(sf);
    return has;
}

/* The face of fontconfig's font file/index at a weight: a pattern of the file alone (cairo
 * then opens it without consulting fontconfig's configuration), emboldened for bold when the
 * font has no bold of its own. */
static cairo_font_face_t *label_fb_make(const char *file, int index, int bold, int weight)
{
    FcPattern *p = FcPatternCreate();
    cairo_font_face_t *face = NULL;
    if (!p) return NULL;
    FcPatternAddString(p, FC_FILE, (const FcChar8 *)file);
    FcPatternAddInteger(p, FC_INDEX, index);
    FcPatternAddBool(p, FC_EMBOLDEN, bold && weight < FC_WEIGHT_DEMIBOLD);
    face = cairo_ft_font_face_create_for_pattern(p);
    FcPatternDestroy(p);
    if (cairo_font_face_status(face) != CAIRO_STATUS_SUCCESS) {
        cairo_font_face_destroy(face);
        return NULL;
    }
    return face;
}

/* The index of the fallback face for file/index, added if new; REG_EINTERNAL if it cannot be
 * made. Called
 * with the lock held. */
static int label_fb_face_of(const char *file, int index, int weight)
{
    for (int i = 0; i < label_fb.nfaces; i++)
        if (label_fb.faces[i].index == index && !strcmp(label_fb.faces[i].file, file)) return i;
    struct label_fb_face f = {.index = index};
    f.face[0] = label_fb_make(file, index, 0, weight);
    f.face[1] = label_fb_make(file, index, 1, weight);
    if (!f.face[0] || !f.face[1]) {
        cairo_font_face_destroy(f.face[0]);
        cairo_font_face_destroy(f.face[1]);
        return REG_EINTERNAL;
    }
    f.file = xstrdup(file);
    label_fb.faces = xrealloc(label_fb.faces, (size_t)(label_fb.nfaces + 1) * sizeof f);
    label_fb.faces[label_fb.nfaces] = f;
    return label_fb.nfaces++;
}

/* fontconfig's first font, by its ranking for a sans-serif face of this weight, that has cp;
 * REG_ENOTFOUND if none has. Called with the lock held. */
static int label_fb_find(uint32_t cp, int bold)
{
    FcPattern *pat = FcPatternCreate();
    FcCharSet *cs = FcCharSetCreate();
    FcFontSet *set = NULL;
    FcResult res;
    int face = REG_ENOTFOUND;
    if (pat && cs && FcCharSetAddChar(cs, cp)) {
        FcPatternAddString(pat, FC_FAMILY, (const FcChar8 *)"sans-serif");
        FcPatternAddInteger(pat, FC_WEIGHT, bold ? FC_WEIGHT_BOLD : FC_WEIGHT_REGULAR);
        FcPatternAddCharSet(pat, FC_CHARSET, cs);
        FcConfigSubstitute(NULL, pat, FcMatchPattern);
        FcDefaultSubstitute(pat);
        set = FcFontSort(NULL, pat, FcFalse, NULL, &res);
    }
    for (int i = 0; set && face < 0 && i < set->nfont; i++) {
        FcCharSet *has;
        FcChar8 *file;
        int index = 0, weight = FC_WEIGHT_REGULAR;
        if (FcPatternGetCharSet(set->fonts[i], FC_CHARSET, 0, &has) != FcResultMatch ||
            !FcCharSetHasChar(has, cp) ||
            FcPatternGetString(set->fonts[i], FC_FILE, 0, &file) != FcResultMatch)
            continue;
        FcPatternGetInteger(set->fonts[i], FC_INDEX, 0, &index);
        FcPatternGetInteger(set->fonts[i], FC_WEIGHT, 0, &weight);
        face = label_fb_face_of((const char *)file, index, weight);
    }
    if (set) FcFontSetDestroy(set);
    if (cs) FcCharSetDestroy(cs);
    if (pat) FcPatternDestroy(pat);
    return face;
}

/* The fallback face for cp at a weight (borrowed: kept for the process's life), or NULL to
 * keep DejaVu Sans. cr has the label's DejaVu face of that weight selected. */
static cairo_font_face_t *label_fallback(cairo_t *cr, uint32_t cp, int bold)
{
    if (cp < 0x80 || label_has_glyph(cr, cp)) return NULL;
    uint32_t key = cp << 1 | (uint32_t)(bold != 0);
    cairo_font_face_t *face = NULL;
    pthread_mutex_lock(&label_fb.lock);
    size_t lo = 0, hi = label_fb.nchoices;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (label_fb.choices[mid].key < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == label_fb.nchoices || label_fb.choices[lo].key != key) {
        struct label_fb_choice c = {key, label_fb_find(cp, bold)};
        label_fb.choices =
            xrealloc(label_fb.choices, (label_fb.nchoices + 1) * sizeof *label_fb.choices);
        memmove(label_fb.choices + lo + 1, label_fb.choices + lo,
                (label_fb.nchoices - lo) * sizeof c);
        label_fb.choices[lo] = c;
        label_fb.nchoices++;
    }
    if (label_fb.choices[lo].face >= 0) face = label_fb.faces[label_fb.choices[lo].face].face[bold];
    pthread_mutex_unlock(&label_fb.lock);
    return face;
}

/* ---- measuring ---- */

struct label__meter {
    cairo_surface_t *surf;
    cairo_t *cr;
    int bold;                       /* weight selected on cr */
    double asc[2], desc[2], cap[2]; /* per weight, em */
    unsigned char have[2][128];     /* ASCII characters measured so far */
    double adv[2][128], over[2][128];
};

static void label_face(cairo_t *cr, int bold)
{
    cairo_select_font_face(cr, LABEL__FONT, CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
}

/* Grey antialiasing (no colour fringes), light hinting, and unhinted metrics. */
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

static void label_meter_weight(struct label__meter *m, int bold)
{
    if (m->bold == bold) return;
    label_face(m->cr, bold);
    cairo_set_font_size(m->cr, LABEL_MEASURE_PX);
    m->bold = bold;
}

int label__meter_new(struct label__meter **mp)
{
    struct label__meter *m = xcalloc(1, sizeof *m);
    *mp = NULL;
    m->surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 1, 1);
    if (cairo_surface_status(m->surf) != CAIRO_STATUS_SUCCESS) goto fail;
    m->cr = cairo_create(m->surf);
    if (cairo_status(m->cr) != CAIRO_STATUS_SUCCESS || label_font_options(m->cr)) goto fail;
    m->bold = -1;
    for (int bold = 0; bold < 2; bold++) {
        cairo_font_extents_t fe;
        cairo_text_extents_t te;
        label_meter_weight(m, bold);
        cairo_font_extents(m->cr, &fe);
        cairo_text_extents(m->cr, "H", &te);
        m->asc[bold] = fe.ascent / LABEL_MEASURE_PX;
        m->desc[bold] = fe.descent / LABEL_MEASURE_PX;
        m->cap[bold] = -te.y_bearing / LABEL_MEASURE_PX;
    }
    if (cairo_status(m->cr) != CAIRO_STATUS_SUCCESS) goto fail;
    *mp = m;
    return 0;
fail:
    label__meter_free(m);
    return REG_EINTERNAL;
}

void label__meter_free(struct label__meter *m)
{
    if (!m) return;
    if (m->cr) cairo_destroy(m->cr);
    if (m->surf) cairo_surface_destroy(m->surf);
    free(m);
}

void label__meter_font(struct label__meter *m, int bold, double *asc, double *desc, double *cap)
{
    *asc = m->asc[bold];
    *desc = m->desc[bold];
    *cap = m->cap[bold];
}

void label__meter_char(struct label__meter *m, int bold, const char *s, size_t n, double *adv,
                       double *over)
{
    unsigned char c = (unsigned char)s[0];
    int ascii = n == 1 && c < 128;
    if (ascii && m->have[bold][c]) {
        *adv = m->adv[bold][c];
        *over = m->over[bold][c];
        return;
    }
    char tmp[8];
    cairo_text_extents_t te;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    label_meter_weight(m, bold);
    cairo_font_face_t *fb = label_fallback(m->cr, label_cp(s, n), bold);
    if (fb) {
        cairo_set_font_face(m->cr, fb);
        m->bold = -1; /* the DejaVu face is selected again for the next character */
    }
    cairo_text_extents(m->cr, tmp, &te);
    *adv = te.x_advance / LABEL_MEASURE_PX;
    *over = te.x_bearing + te.width > te.x_advance
                ? (te.x_bearing + te.width - te.x_advance) / LABEL_MEASURE_PX
                : 0;
    if (ascii) {
        m->have[bold][c] = 1;
        m->adv[bold][c] = *adv;
        m->over[bold][c] = *over;
    }
}

int label__meter_status(struct label__meter *m)
{
    return cairo_status(m->cr) == CAIRO_STATUS_SUCCESS ? 0 : REG_EINTERNAL;
}

/* ---- drawing a plan, in dots ---- */

/* Dark modules as one path of horizontal runs. */
struct qr_draw {
    cairo_t *cr;
    const struct label__plan *p;
};

static void label_qr_run(void *ctx, int y, int x0, int x1)
{
    const struct qr_draw *d = ctx;
    int m = d->p->module;
    cairo_rectangle(d->cr, d->p->qr_x + x0 * m, d->p->qr_y + y * m, (x1 - x0) * m, m);
}

static void label_draw_qr(cairo_t *cr, const struct label__plan *p)
{
    struct qr_draw d = {cr, p};
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    cairo_set_source_rgb(cr, 0, 0, 0);
    qr_each_run(&p->qr, label_qr_run, &d);
    cairo_fill(cr);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_DEFAULT);
}

/* The length of the run of characters at s[0..n) drawn in the same face as the first, and
 * that face (NULL: DejaVu Sans). cr has the DejaVu face of the weight selected. */
static size_t label_run(cairo_t *cr, const char *s, size_t n, int bold, cairo_font_face_t **face)
{
    size_t i = 0;
    *face = NULL;
    while (i < n) {
        size_t len = 1;
        while (i + len < n && ((unsigned char)s[i + len] & 0xc0) == 0x80)
            len++;
        cairo_font_face_t *f = label_fallback(cr, label_cp(s + i, len), bold);
        if (i == 0)
            *face = f;
        else if (f != *face)
            break;
        i += len;
    }
    return i;
}

/* One line from its start, run by run: each run in its face, from where the last one ended
 * (cairo_show_text advances the current point by the run's advance, as measured). */
static void label_draw_line(cairo_t *cr, const struct label__text *t, const char *s, size_t n,
                            struct buf *tmp)
{
    while (n > 0) {
        cairo_font_face_t *face;
        label_face(cr, t->bold);
        cairo_set_font_size(cr, t->size);
        size_t run = label_run(cr, s, n, t->bold, &face);
        if (face) cairo_set_font_face(cr, face);
        buf_reset(tmp);
        buf_append(tmp, s, run);
        cairo_show_text(cr, buf_cstr(tmp));
        s += run;
        n -= run;
    }
}

static void label_draw_text(cairo_t *cr, const struct label__plan *p)
{
    struct buf tmp = BUF_INIT;
    cairo_set_source_rgb(cr, 0, 0, 0);
    for (int k = 0; k < p->ntexts; k++) {
        const struct label__text *t = &p->text[k];
        for (int i = 0; i < t->nlines; i++) {
            cairo_move_to(cr, p->text_x, t->line[i].base);
            label_draw_line(cr, t, t->line[i].s, t->line[i].len, &tmp);
        }
    }
    buf_free(&tmp);
}

static int label_draw(cairo_t *cr, const struct label__plan *p)
{
    if (label_font_options(cr)) return REG_EINTERNAL;
    label_draw_qr(cr, p);
    label_draw_text(cr, p);
    return cairo_status(cr) == CAIRO_STATUS_SUCCESS ? 0 : REG_EINTERNAL;
}

/* Line i of text t as label__png draws it, on an A8 surface of the area around it (offset by
 * whole dots, so the glyphs fall on the same pixels): alpha is the ink's coverage. */
static cairo_surface_t *label_line_surface(const struct label__plan *p, const struct label__text *t,
                                           int i, int *x0, int *y0)
{
    const struct label__line *ln = &t->line[i];
    int em = (int)ceil(t->size);
    *x0 = p->text_x - em > 0 ? p->text_x - em : 0;
    *y0 = ln->base - 2 * em > 0 ? ln->base - 2 * em : 0;
    int x1 = p->text_x + (int)ceil(ln->advance) + em, y1 = ln->base + em;
    if (x1 > p->w) x1 = p->w;
    if (y1 > p->h) y1 = p->h;
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, x1 - *x0, y1 - *y0);
    cairo_t *cr = cairo_create(s);
    struct buf tmp = BUF_INIT;
    if (cairo_status(cr) == CAIRO_STATUS_SUCCESS && label_font_options(cr) == 0) {
        cairo_translate(cr, -*x0, -*y0);
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_move_to(cr, p->text_x, ln->base);
        label_draw_line(cr, t, ln->s, ln->len, &tmp);
    }
    if (cairo_status(cr) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(s);
        s = NULL;
    }
    buf_free(&tmp);
    cairo_destroy(cr);
    if (s) cairo_surface_flush(s);
    return s;
}

int label__line_bits(const struct label__plan *p, const struct label__text *t, int i,
                     struct label__bits *b)
{
    int x0, y0;
    *b = (struct label__bits){.data = BUF_INIT};
    cairo_surface_t *s = label_line_surface(p, t, i, &x0, &y0);
    if (!s) return REG_EINTERNAL;
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *a = cairo_image_surface_get_data(s);
    int left = w, right = -1, top = h, bottom = -1; /* the ink's bounding box */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (a[(size_t)y * stride + x] >= LABEL_INK) {
                left = x < left ? x : left;
                right = x > right ? x : right;
                top = y < top ? y : top;
                bottom = y;
            }
    if (right >= 0) {
        b->x = x0 + left;
        b->y = y0 + top;
        b->w = right - left + 1;
        b->h = bottom - top + 1;
        b->stride = (b->w + 7) / 8;
        buf_reserve(&b->data, (size_t)b->stride * b->h);
        for (int y = top; y <= bottom; y++)
            for (int x = 0; x < b->stride * 8; x += 8) {
                unsigned char byte = 0;
                for (int k = 0; k < 8; k++)
                    if (x + k < b->w && a[(size_t)y * stride + left + x + k] >= LABEL_INK)
                        byte |= (unsigned char)(0x80 >> k);
                buf_putc(&b->data, (char)byte);
            }
    }
    cairo_surface_destroy(s);
    return 0;
}

static cairo_status_t label_write_buf(void *closure, const unsigned char *data, unsigned int len)
{
    buf_append(closure, data, len);
    return CAIRO_STATUS_SUCCESS;
}

struct png_out {
    struct buf *out;
    size_t start; /* out->len before the PNG, to undo a failed one */
};

static void png_write_buf(png_structp png, png_bytep data, size_t len)
{
    struct png_out *o = png_get_io_ptr(png);
    buf_append(o->out, data, len);
}

static void png_flush_none(png_structp png)
{
    (void)png;
}

/* Pixels per metre for dpi, as pHYs stores the resolution: dpi / 0.0254 rounded to the nearest
 * integer (the PNG specification's unit is the metre; libpng has no dpi helper). In integers,
 * dpi * 10000 / 254 rounded, so 300 dpi is 11811 and 1200 dpi 47244. */
static png_uint_32 png_ppm(int dpi)
{
    return (png_uint_32)(((long)dpi * 10000 + 127) / 254);
}

/* Encode an A8 surface as an 8-bit greyscale PNG with libpng rather than cairo's writer.
 * cairo's uses libpng's defaults (adaptive filtering, zlib level 6), which spent about 85% of
 * a label's time. A label is mostly flat white with black modules and text: the "up" filter
 * (rows repeat) and zlib's fastest level with run-length matching make it 3.6x faster for 35%
 * more bytes (bench/labels: 107 -> 387 labels/s, 18 -> 24 KB at 80x40 mm, 300 dpi). No time or
 * text chunks: the same pixels give the same bytes. A pHYs chunk says the label's dpi, so that
 * design tools place it at its size in mm instead of assuming 72 or 96 dpi. */
static int png_encode(cairo_surface_t *s, int dpi, struct buf *out)
{
    struct png_out o = {out, out->len};
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return REG_EINTERNAL;
    }
    if (setjmp(png_jmpbuf(png))) { /* libpng reports errors by longjmp */
        png_destroy_write_struct(&png, &info);
        out->len = o.start;
        return REG_EINTERNAL;
    }
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    unsigned char *data = cairo_image_surface_get_data(s);
    png_set_write_fn(png, &o, png_write_buf, png_flush_none);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_pHYs(png, info, png_ppm(dpi), png_ppm(dpi), PNG_RESOLUTION_METER);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_UP);
    png_set_compression_strategy(png, Z_RLE);
    png_set_compression_level(png, Z_BEST_SPEED);
    png_write_info(png, info);
    for (int y = 0; y < h; y++)
        png_write_row(png, data + (size_t)y * (size_t)stride);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return 0;
}

/* An 8-bit greyscale label: on an A8 surface, whose alpha png_encode writes as grey, the label
 * starts opaque (white) and ink is drawn with CLEAR, which takes alpha away by its coverage
 * (black, antialiased edges grey). A third of RGB's bytes to compress. */
int label__png(const struct label__plan *p, struct buf *out)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_A8, p->w, p->h);
    cairo_t *cr = cairo_create(s);
    int rc = REG_EINTERNAL;
    if (cairo_status(cr) == CAIRO_STATUS_SUCCESS) {
        cairo_set_source_rgb(cr, 1, 1, 1);
        cairo_paint(cr);
        cairo_set_operator(cr, CAIRO_OPERATOR_CLEAR);
        if (label_draw(cr, p) == 0) {
            cairo_surface_flush(s);
            rc = png_encode(s, p->dpi, out);
        }
    }
    cairo_destroy(cr);
    cairo_surface_destroy(s);
    return rc;
}

/* A PDF surface of w x h mm that writes to out, without timestamps. */
static cairo_surface_t *label_pdf_surface(double w_mm, double h_mm, struct buf *out)
{
    cairo_surface_t *s = cairo_pdf_surface_create_for_stream(
        label_write_buf, out, w_mm * LABEL_PT_PER_MM, h_mm * LABEL_PT_PER_MM);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATE_DATE, "");
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_MOD_DATE, "");
    return s;
}

int label__pdf(const struct label__plan *p, struct buf *out)
{
    cairo_surface_t *s = label_pdf_surface(p->width_mm, p->height_mm, out);
    cairo_t *cr = cairo_create(s);
    int rc = REG_EINTERNAL;
    if (cairo_status(cr) == CAIRO_STATUS_SUCCESS) {
        cairo_scale(cr, 72.0 / p->dpi, 72.0 / p->dpi);
        rc = label_draw(cr, p);
    }
    cairo_destroy(cr);
    cairo_surface_finish(s);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) rc = REG_EINTERNAL;
    cairo_surface_destroy(s);
    return rc;
}

/* ---- sheets ---- */

struct label_sheet {
    struct label_opts o; /* resolved */
    struct buf *out;
    struct buf pdf;
    cairo_surface_t *surf;
    cairo_t *cr;
    struct label__meter *m;
    int crop, count;
    struct label_axis {
        int n;              /* labels across (cols) or down (rows) */
        double first, step; /* mm, whole dots of the dpi grid */
    } across, down;
};

static const char *const label_paper_name[] = {"A4", "US Letter"};
static const double label_paper_mm[][2] = {{210, 297}, {215.9, 279.4}};

static double label_sheet_gap(int crop_marks)
{
    return crop_marks ? LABEL_SHEET_CROP_GAP_MM : LABEL_SHEET_GAP_MM;
}

/* Labels of `size` mm along a side of `paper` mm: as many as fit inside the margins at least
 * `gap` apart, centred. Their edges fall on whole dots of the dpi grid, as everything inside a
 * label does, so a printer or rasteriser at that resolution (or a divisor of it) draws every QR
 * module as the same whole number of pixels, without grey edges. */
static void label_sheet_axis(double paper, double size, double gap, int dpi, struct label_axis *a)
{
    double dot = LABEL__MM_PER_INCH / dpi, avail = paper - 2 * LABEL_SHEET_MARGIN_MM - dot;
    a->step = ceil((size + gap) / dot - 1e-9) * dot;
    a->n = avail < size ? 0 : 1 + (int)((avail - size) / a->step + 1e-9);
    double slack = avail - size - (a->n - 1) * a->step; /* at least a dot: rounding keeps margins */
    a->first = a->n ? floor((LABEL_SHEET_MARGIN_MM + (dot + slack) / 2) / dot + 0.5) * dot : 0;
}

static int label_sheet_check(enum label_paper paper, const struct label_opts *o, int crop_marks,
                             struct label_opts *r, struct label_axis *across,
                             struct label_axis *down, struct reg_why *why)
{
    struct label_opts def;
    int rc;
    if (paper != LABEL_A4 && paper != LABEL_LETTER) {
        reg_why_add(why, "the paper must be A4 or US Letter");
        return REG_EBADREQ;
    }
    if (!o) {
        label_opts_default(&def);
        o = &def;
    }
    label__resolve(o, r);
    r->format = LABEL_PDF;
    if ((rc = label__check_opts(r, why))) return rc;
    double gap = label_sheet_gap(crop_marks);
    double aw = label_paper_mm[paper][0] - 2 * LABEL_SHEET_MARGIN_MM;
    double ah = label_paper_mm[paper][1] - 2 * LABEL_SHEET_MARGIN_MM;
    label_sheet_axis(label_paper_mm[paper][0], r->width_mm, gap, r->dpi, across);
    label_sheet_axis(label_paper_mm[paper][1], r->height_mm, gap, r->dpi, down);
    if (across->n >= 1 && down->n >= 1) return 0;
    reg_why_add(why,
                "a %gx%g mm label does not fit on %s paper: at most %gx%g mm fits inside the "
                "%g mm margins",
                r->width_mm, r->height_mm, label_paper_name[paper], aw, ah, LABEL_SHEET_MARGIN_MM);
    return REG_ENOLABEL;
}

int label_sheet_capacity(enum label_paper paper, const struct label_opts *o, int crop_marks,
                         int *cols, int *rows)
{
    struct label_opts r;
    struct label_axis across, down;
    int rc = label_sheet_check(paper, o, crop_marks, &r, &across, &down, NULL);
    if (rc) return rc;
    if (cols) *cols = across.n;
    if (rows) *rows = down.n;
    return 0;
}

void label_sheet_abort(struct label_sheet *s)
{
    if (!s) return;
    if (s->cr) cairo_destroy(s->cr);
    if (s->surf) cairo_surface_destroy(s->surf);
    label__meter_free(s->m);
    buf_free(&s->pdf);
    free(s);
}

int label_sheet_begin(enum label_paper paper, const struct label_opts *o, int crop_marks,
                      struct buf *out, struct label_sheet **sheet, struct reg_why *why)
{
    struct label_sheet *s = NULL;
    int rc = 0;
    reg_why_clear(why);
    if (!out || !sheet) rc = reg_why_set(why, REG_EBADREQ, "no output buffer or sheet pointer");
    if (rc == 0) {
        s = xcalloc(1, sizeof *s);
        buf_init(&s->pdf);
        s->out = out;
        s->crop = crop_marks != 0;
        rc = label_sheet_check(paper, o, s->crop, &s->o, &s->across, &s->down, why);
    }
    if (rc == 0) rc = label__meter_new(&s->m);
    if (rc == 0) {
        const double *pm = label_paper_mm[paper];
        s->surf = label_pdf_surface(pm[0], pm[1], &s->pdf);
        s->cr = cairo_create(s->surf);
        if (cairo_status(s->cr) != CAIRO_STATUS_SUCCESS) rc = REG_EINTERNAL;
    }
    if (rc == 0) {
        *sheet = s;
    } else {
        label_sheet_abort(s);
    }
    return rc;
}

/* Crop marks at the four corners of a w x h label at the origin (units: mm). */
static void label_crop_marks(cairo_t *cr, double w, double h)
{
    static const double corner[4][2] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};
    for (int c = 0; c < 4; c++) {
        double x = corner[c][0] * w, y = corner[c][1] * h;
        double dx = corner[c][0] ? 1 : -1, dy = corner[c][1] ? 1 : -1;
        cairo_move_to(cr, x + dx * LABEL_CROP_OFFSET_MM, y);
        cairo_line_to(cr, x + dx * (LABEL_CROP_OFFSET_MM + LABEL_CROP_LENGTH_MM), y);
        cairo_move_to(cr, x, y + dy * LABEL_CROP_OFFSET_MM);
        cairo_line_to(cr, x, y + dy * (LABEL_CROP_OFFSET_MM + LABEL_CROP_LENGTH_MM));
    }
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_set_line_width(cr, 0.25 / LABEL_PT_PER_MM); /* a 0.25 pt hairline */
    cairo_stroke(cr);
}

int label_sheet_add(struct label_sheet *s, const struct label_info *info, struct reg_why *why)
{
    struct label__plan *p = NULL;
    int rc;
    reg_why_clear(why);
    if (!s)
        rc = reg_why_set(why, REG_EBADREQ, "no sheet");
    else
        rc = label__plan_new(info, &s->o, s->m, &p, why);
    if (rc == 0) {
        int slot = s->count % (s->across.n * s->down.n);
        if (s->count > 0 && slot == 0) cairo_show_page(s->cr);
        cairo_save(s->cr);
        cairo_scale(s->cr, LABEL_PT_PER_MM, LABEL_PT_PER_MM);
        cairo_translate(s->cr, s->across.first + (slot % s->across.n) * s->across.step,
                        s->down.first + (slot / s->across.n) * s->down.step);
        if (s->crop) label_crop_marks(s->cr, s->o.width_mm, s->o.height_mm);
        cairo_scale(s->cr, LABEL__MM_PER_INCH / p->dpi, LABEL__MM_PER_INCH / p->dpi);
        rc = label_draw(s->cr, p);
        cairo_restore(s->cr);
        if (rc == 0) s->count++;
    }
    label__plan_free(p);
    return rc;
}

int label_sheet_end(struct label_sheet *s)
{
    int rc = 0;
    if (!s) return REG_EBADREQ;
    if (s->count == 0) rc = REG_ENOLABEL;
    cairo_destroy(s->cr);
    s->cr = NULL;
    cairo_surface_finish(s->surf);
    if (rc == 0 && cairo_surface_status(s->surf) != CAIRO_STATUS_SUCCESS) rc = REG_EINTERNAL;
    if (rc == 0) buf_append(s->out, s->pdf.data, s->pdf.len);
    label_sheet_abort(s);
    return rc;
}
