/* label.c: what goes where on a label (see label.h), for every format; label_int.h says how the
 * work is shared with the writers.
 *
 * Geometry, in dots of the dpi grid: on a landscape or square label the QR code sits centred
 * in a square as tall as the label at the left, with whole-dot modules and at least four
 * modules of quiet zone all round; the text column fills the rest. On a portrait label the
 * square is as wide as the label, at the top, and the column is below it.
 *
 * Text: every text is a block (name, model, support date, password, contact; ID, address). The
 * top group hangs from the column's top, the bottom group (ID and address, for people who
 * cannot scan) sits on its bottom; a lone top group (compact layout) is centred. Font sizes
 * start from fractions of the column's height (never larger than the text they belong under)
 * and shrink until everything fits the height. Within a block, text first shrinks (down to
 * 6 pt), then breaks into more lines, unless more lines let it be over 1.25 times as
 * big.
 *
 * Giving way: a declaration's name, model and contact may each be 2048 characters and the
 * public URL 400, so no size holds every text whole; the default label must still print every
 * valid declaration. So when the text does not fit at 6 pt, it gives way in a fixed order, and
 * each time the layout starts again from the preferred sizes: (1) the address shrinks to the
 * registry's host (the ID line above it names the product: host plus ID is the address); (2)
 * the contact is cut to 2 lines; (3) the model to 1; (4) the name to 2; (5) the address is
 * left out (the QR code carries it); (6) the contact is cut to 1 line; (7) the name to 1. A
 * text too wide for its lines at 6 pt is cut at once (the address: host, then left out). A cut
 * text is the longest start of it, at a character, that fits its lines with "…" after it, at
 * 6 pt; the product page has it whole. Never cut or left out: the support date, the password
 * promise, and the product ID (up to 4 lines), which people who cannot scan type in. Ordinary
 * products print whole; the longest valid texts come out as 1-line name, model and contact,
 * which fit the default 80 x 40 mm at 300 dpi. What still does not fit (a column narrower
 * than the ID at 6 pt, QR modules too small) is refused, never clipped, with the smallest size
 * that fits up to LABEL_MAX_MM.
 *
 * Measuring: each character is measured once with cairo (label_cairo.c); the toy text API does
 * not kern, so a line's width is a sum. For each block and each number of lines k, the
 * narrowest k-line breaking (in em) is found once by bisecting the greedy line breaker's width,
 * so trying a size is arithmetic: the layout and the search for a size that fits cost no more
 * measuring. Breaks: at spaces (in a text without spaces, after '-' and '/'); contact, ID and
 * address may also break a word too long for a line: after / ? & # = @ - _, else (when that
 * does not fit) anywhere, filling each line. */
#include "label_int.h"

#include "decl.h"
#include "err.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_MIN_MODULE_MM 0.4
#define LABEL_MIN_MODULE_DOTS 2 /* PNG and ZPL */
#define LABEL_QUIET 4           /* quiet zone around the QR code, in modules */
#define LABEL_MIN_PT 6.0        /* the smallest text printed */
#define LABEL_MAX_PIXELS 25e6
#define LABEL_PITCH 1.15       /* line spacing, em */
#define LABEL_PREFER_FEWER 0.8 /* fewer lines win while their size is at least this share */
#define LABEL_SHRINK 0.93      /* each try scales the preferred sizes by this */

enum { T_NAME, T_MODEL, T_SUPPORT, T_PASSWORD, T_CONTACT, T_ID, T_ADDRESS, T_COUNT };
enum { WRAP_WORDS, WRAP_MIXED };
enum { GROUP_TOP, GROUP_BOTTOM };
enum { FIT_OK, FIT_WIDTH, FIT_HEIGHT };

struct breaking { /* one way of breaking a text into lines */
    double w;     /* its widest line, em; 0: none */
    int n;        /* lines */
    size_t start[LABEL__MAX_LINES], end[LABEL__MAX_LINES];
};

struct tblock {       /* one text of the label and, after layout, its place */
    const char *what; /* its name in reasons */
    const char *text; /* NULL: not printed */
    size_t len;
    int bold, wrap, max_lines, group;
    int parent;    /* the block this one is never larger than, or -1 */
    double em;     /* preferred size, as a share of the column's height */
    double gap_em; /* space above it, after the block before */
    int spaces;    /* the text holds a space */
    double *pre;   /* [len + 1]: advance of text[0..i), em */
    double *over;  /* [len + 1]: ink overshoot of the character ending at i, em */
    struct breaking nice[LABEL__MAX_LINES + 1]; /* narrowest on at most k lines */
    struct breaking any[LABEL__MAX_LINES + 1];  /* the same, breaking words anywhere */
    double size;                                /* chosen font size, dots */
    const struct breaking *lines;               /* chosen breaking */
    double base[LABEL__MAX_LINES];
    int cut; /* 0: text is the whole text or its host; else the lines it was cut to with "…"
                (text, pre and over then live in the job's cut buffers) */
};

struct geom { /* one label size, in dots */
    int w, h, stacked;
    int module; /* QR module side */
    int qr_x, qr_y;
    int col_x, col_w;
    double col_top, col_bottom; /* the text column */
};

struct job { /* one label being laid out */
    const struct label_opts *o;
    struct label__plan *p; /* the QR code and the strings */
    struct label__meter *m;
    struct tblock b[T_COUNT];
    double asc[2], desc[2], cap[2]; /* font metrics per weight, em */
    double min_px;                  /* LABEL_MIN_PT in dots */
    int min_module, max_module;     /* dots */
    int fail_block;                 /* set by FIT_WIDTH */
    double need_h, have_h;          /* dots, set by FIT_HEIGHT */
    struct tblock whole[T_COUNT];   /* every block as composed, measured and broken: what each
                                       layout attempt starts from (owns pre and over) */
    struct buf cut_text[T_COUNT];   /* a cut block's text: a prefix of the whole one, "…" */
    double *cut_pre[T_COUNT];       /* its pre and over, 2 x (length + 1) */
    double ell_adv[2], ell_over[2]; /* "…" per weight, em */
};

/* ---- small helpers ---- */

static double label_min(double a, double b)
{
    return a < b ? a : b;
}

static int label_ceil(double v)
{
    int i = (int)v;
    return i < v ? i + 1 : i;
}

static int label_px(double mm, int dpi)
{
    return (int)(mm * dpi / LABEL__MM_PER_INCH + 0.5);
}

static const char *label_unit(const struct label_opts *o)
{
    return o->format == LABEL_ZPL ? "dots" : "px";
}

static int label_raster(const struct label_opts *o)
{
    return o->format == LABEL_PNG || o->format == LABEL_ZPL;
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

static int label_is_cont(const char *s, size_t i)
{
    return ((unsigned char)s[i] & 0xc0) == 0x80;
}

/* The code point of the UTF-8 character that starts at s[i]. */
static unsigned label_cp_at(const char *s, size_t i)
{
    const unsigned char *p = (const unsigned char *)s + i;
    int n = label_utf8_len(*p);
    unsigned cp = n <= 1 ? *p : *p & (0xffu >> (n + 1));
    for (int k = 1; k < n; k++)
        cp = cp << 6 | (p[k] & 0x3fu);
    return cp;
}

/* The code point of the character that ends just before s[i]. */
static unsigned label_cp_before(const char *s, size_t i)
{
    while (i > 0 && label_is_cont(s, --i))
        ;
    return label_cp_at(s, i);
}

/* Chinese, Japanese and Korean letters, between which a line may break although no space is
 * there: CJK ideographs (with extension A, the compatibility block and the supplementary
 * planes' extensions), kana and Hangul syllables. A short rule rather than ICU's UAX #14 line
 * breaker: it adds these breaks and leaves the breaking of every other text as it was. */
static int label_cjk(unsigned cp)
{
    return (cp >= 0x3040 && cp <= 0x30ff) || (cp >= 0x31f0 && cp <= 0x31ff) ||
           (cp >= 0x3400 && cp <= 0x4dbf) || (cp >= 0x4e00 && cp <= 0x9fff) ||
           (cp >= 0xac00 && cp <= 0xd7af) || (cp >= 0xf900 && cp <= 0xfaff) ||
           (cp >= 0x20000 && cp <= 0x3ffff);
}

/* CJK punctuation that may not start a line (closing brackets, commas, full stops) or end one
 * (opening brackets): UAX #14's CL and OP classes, for the characters CJK text uses. */
static int label_cjk_no_start(unsigned cp)
{
    return strchr(",.:;!?)]}", (int)(cp < 0x80 ? cp : 1)) != NULL || cp == 0x3001 || cp == 0x3002 ||
           (cp >= 0x3009 && cp <= 0x3011 && cp % 2 == 1) || cp == 0xff01 || cp == 0xff09 ||
           cp == 0xff0c || cp == 0xff0e || cp == 0xff1a || cp == 0xff1b || cp == 0xff1f;
}

static int label_cjk_no_end(unsigned cp)
{
    return (cp >= 0x3008 && cp <= 0x3010 && cp % 2 == 0) || cp == 0xff08;
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

static int label_blank(const char *s)
{
    if (!s) return 1;
    while (*s == ' ')
        s++;
    return *s == '\0';
}

/* ---- checking the arguments ---- */

static int label_check_text(const char *s, const char *what, int required, struct reg_why *why)
{
    if (label_blank(s)) {
        if (!required) return 0;
        reg_why_add(why, "the %s is missing", what);
        return REG_EBADREQ;
    }
    if (!label_utf8_clean(s)) {
        reg_why_add(why, "the %s is not valid UTF-8 or holds control characters", what);
        return REG_EBADREQ;
    }
    return 0;
}

/* The default-password promise in a few words, in language lang; NULL for a value that gets no
 * label. */
static const char *label_password_words(const char *v, int lang)
{
    static const int words[DECL__PASSWORDS] = {
        [DECL_PW_UNIQUE_PER_DEVICE] = LABEL__W_pw_unique_per_device,
        [DECL_PW_USER_DEFINED] = LABEL__W_pw_user_defined,
        [DECL_PW_NO_PASSWORD] = LABEL__W_pw_no_password,
        [DECL_PW_UNIVERSAL] = -1, /* no label */
    };
    int p = decl_password_parse(v);
    return p < 0 || words[p] < 0 ? NULL : label__word(lang, (enum label__word)words[p]);
}

/* "the default password must be a, b or c": the values that get a label. */
static void label_password_choices(struct reg_why *why)
{
    int n = 0, last = -1;
    for (int p = 0; p < DECL__PASSWORDS; p++)
        if (label_password_words(decl_password_name((enum decl_password)p), 0)) last = p;
    reg_why_add(why, "the default password must be ");
    for (int p = 0; p <= last; p++)
        if (label_password_words(decl_password_name((enum decl_password)p), 0))
            reg_why_add(why, "%s%s",
                        n++ == 0    ? ""
                        : p == last ? " or "
                                    : ", ",
                        decl_password_name((enum decl_password)p));
}

static int label_check_info(const struct label_info *info, const struct label_opts *o,
                            struct reg_why *why)
{
    int rc;
    if ((rc = label_check_text(info->url, "URL", 1, why))) return rc;
    if ((rc = label_check_text(info->product_name, "product name", 1, why))) return rc;
    if ((rc = label_check_text(info->product_model, "product model", 0, why))) return rc;
    if ((rc = label_check_text(info->product_id, "product ID", 0, why))) return rc;
    if ((rc = label_check_text(info->contact, "security contact", 0, why))) return rc;
    if ((rc = label_check_text(info->short_url, "short URL", 0, why))) return rc;
    if (!info->support_date || !label_date_shaped(info->support_date)) {
        reg_why_add(why, "the support date must be YYYY-MM-DD");
        return REG_EBADREQ;
    }
    if (info->lang && label_lang(info->lang) < 0) {
        reg_why_add(why, "the language must be one of %s", label_lang_list());
        return REG_EBADREQ;
    }
    if (info->password && *info->password && !label_password_words(info->password, 0)) {
        if (decl_password_parse(info->password) == DECL_PW_UNIVERSAL) {
            reg_why_add(why, "a product with a universal default password gets no label");
            return REG_EBADREQ;
        }
        label_password_choices(why);
        return REG_EBADREQ;
    }
    if (o->format == LABEL_ZPL) {
        for (const unsigned char *p = (const unsigned char *)info->url; *p; p++) {
            if (*p >= 0x80) {
                reg_why_add(why,
                            "a ZPL printer's QR code takes only ASCII URLs; percent-encode it");
                return REG_EBADREQ;
            }
        }
    }
    return 0;
}

void label__resolve(const struct label_opts *o, struct label_opts *out)
{
    *out = *o;
    double w = LABEL_FULL_WIDTH_MM, h = LABEL_FULL_HEIGHT_MM;
    if (o->layout == LABEL_COMPACT) w = LABEL_COMPACT_WIDTH_MM, h = LABEL_COMPACT_HEIGHT_MM;
    if (o->layout == LABEL_QR) w = h = LABEL_QR_SIDE_MM;
    if (out->width_mm == 0) out->width_mm = w;
    if (out->height_mm == 0) out->height_mm = h;
}

int label__check_opts(const struct label_opts *o, struct reg_why *why)
{
    if (!(o->width_mm > 0 && o->width_mm <= LABEL_MAX_MM && o->height_mm > 0 &&
          o->height_mm <= LABEL_MAX_MM)) {
        reg_why_add(why, "label sizes must be more than 0 and at most %g mm (0: the default)",
                    LABEL_MAX_MM);
        return REG_EBADREQ;
    }
    if (o->dpi < 72 || o->dpi > 2400) {
        reg_why_add(why, "dpi must be between 72 and 2400");
        return REG_EBADREQ;
    }
    if (o->ec_level != 'L' && o->ec_level != 'M' && o->ec_level != 'Q' && o->ec_level != 'H') {
        reg_why_add(why, "the error-correction level must be L, M, Q or H");
        return REG_EBADREQ;
    }
    if (o->layout != LABEL_FULL && o->layout != LABEL_COMPACT && o->layout != LABEL_QR) {
        reg_why_add(why, "the layout must be full, compact or qr");
        return REG_EBADREQ;
    }
    if (o->format != LABEL_PNG && o->format != LABEL_SVG && o->format != LABEL_PDF &&
        o->format != LABEL_ZPL) {
        reg_why_add(why, "the format must be PNG, SVG, PDF or ZPL");
        return REG_EBADREQ;
    }
    return 0;
}

/* A label too big to hold in memory or to address in ZPL cannot be printed at this size. */
static int label_check_dots(const struct label_opts *o, struct reg_why *why)
{
    double w = o->width_mm * o->dpi / LABEL__MM_PER_INCH;
    double h = o->height_mm * o->dpi / LABEL__MM_PER_INCH;
    if (o->format == LABEL_PNG && w * h > LABEL_MAX_PIXELS) {
        reg_why_add(why,
                    "at %d dpi a %gx%g mm label would have %.0f million pixels, more than %.0f "
                    "million; use a lower dpi or a smaller label",
                    o->dpi, o->width_mm, o->height_mm, w * h / 1e6, LABEL_MAX_PIXELS / 1e6);
        return REG_ENOLABEL;
    }
    if (o->format == LABEL_ZPL && (w > LABEL__ZPL_MAX_DOTS || h > LABEL__ZPL_MAX_DOTS)) {
        reg_why_add(why, "at %d dpi a %gx%g mm label is more than %d dots, beyond ZPL's reach",
                    o->dpi, o->width_mm, o->height_mm, LABEL__ZPL_MAX_DOTS);
        return REG_ENOLABEL;
    }
    return 0;
}

/* ---- measuring and breaking text ---- */

static void label_measure(struct job *j, struct tblock *b)
{
    b->pre = xmalloc(2 * (b->len + 1) * sizeof *b->pre);
    b->over = b->pre + b->len + 1;
    b->pre[0] = b->over[0] = 0;
    for (size_t i = 0; i < b->len;) {
        size_t n = (size_t)label_utf8_len((unsigned char)b->text[i]);
        double adv, over;
        label__meter_char(j->m, b->bold, b->text + i, n, &adv, &over);
        for (size_t k = 1; k <= n; k++) { /* bytes inside a character are never line ends */
            b->pre[i + k] = b->pre[i] + (k == n ? adv : 0);
            b->over[i + k] = k == n ? over : 0;
        }
        i += n;
    }
}

/* Width of text[a..e), em: its advance, or its ink if that reaches further right. */
static double label_w(const struct tblock *b, size_t a, size_t e)
{
    return b->pre[e] - b->pre[a] + b->over[e];
}

/* May a line end before byte i (0 < i < len)? At the end of a word; in a text without spaces,
 * after '-' or '/'; and between two characters either of which is a CJK letter, unless
 * punctuation forbids it. */
static int label_is_break(const struct tblock *b, size_t i)
{
    unsigned next = label_cp_at(b->text, i), prev = label_cp_before(b->text, i);
    if (next != ' ' && prev != ' ' && (label_cjk(next) || label_cjk(prev)) &&
        !label_cjk_no_start(next) && !label_cjk_no_end(prev))
        return 1;
    if (b->spaces) return b->text[i] == ' ' && b->text[i - 1] != ' ';
    return b->text[i - 1] == '-' || b->text[i - 1] == '/';
}

/* May a word too wide for a line break before byte i, after a URL or e-mail separator? Not
 * inside a run of separators ("//"). */
static int label_is_sep_break(const char *s, size_t i)
{
    static const char seps[] = "/?&#=@-_";
    return strchr(seps, s[i - 1]) && !strchr(seps, s[i]);
}

/* The longest piece of the word at text[q..] that fits on the line started at p: up to a
 * separator; with `anywhere` (breakings used only when none at separators fits), up to any
 * character, filling the line. q when none fits. */
static size_t label_word_piece(const struct tblock *b, size_t p, size_t q, double W, int anywhere)
{
    size_t e = q, any = q;
    for (size_t i = q + 1; i < b->len && b->text[i] != ' '; i++) {
        if (label_is_cont(b->text, i)) continue;
        if (label_w(b, p, i) > W) break;
        any = i;
        if (label_is_sep_break(b->text, i)) e = i;
    }
    return anywhere ? any : e;
}

/* The end of the line that starts at p and is at most W em wide: the last break that fits.
 * WRAP_MIXED also breaks a word too wide for a line of its own (an e-mail address, a URL):
 * the line is filled with as much of it as fits. p itself when nothing fits. */
static size_t label_line_end(const struct tblock *b, size_t p, double W, int anywhere)
{
    size_t best = p, q, we;
    for (size_t i = p + 1; i <= b->len; i++) {
        if (i < b->len && (label_is_cont(b->text, i) || !label_is_break(b, i))) continue;
        if (label_w(b, p, i) > W) break;
        best = i;
    }
    if (b->wrap != WRAP_MIXED || best == b->len) return best;
    for (q = best; q < b->len && b->text[q] == ' ';)
        q++;
    for (we = q; we < b->len && b->text[we] != ' ';)
        we++;
    if (label_w(b, q, we) <= W) return best; /* the next word fits on the next line */
    size_t e = label_word_piece(b, p, q, W, anywhere);
    return best == p || e >= q + 4 ? e : best; /* no one- to three-letter scraps */
}

/* Greedy lines at most W em wide into br: 0, or REG_ENOLABEL if more than max lines are needed
 * or something does not fit at all. */
static int label_wrap(const struct tblock *b, double W, int max, int anywhere, struct breaking *br)
{
    size_t p = 0;
    br->n = 0;
    br->w = 0;
    while (p < b->len) {
        if (br->n == max) return REG_ENOLABEL;
        size_t e = label_line_end(b, p, W, anywhere);
        if (e == p) return REG_ENOLABEL;
        double w = label_w(b, p, e);
        if (w > br->w) br->w = w;
        br->start[br->n] = p;
        br->end[br->n++] = e;
        while (e < b->len && b->text[e] == ' ')
            e++;
        p = e;
    }
    return 0;
}

/* The narrowest breaking into at most k lines: the smallest width at which the greedy breaker
 * needs no more than k lines, found by bisection. */
static void label_narrowest(const struct tblock *b, int k, int anywhere, struct breaking *br)
{
    double lo = 0, hi = label_w(b, 0, b->len);
    while (hi - lo > 1e-3) {
        double mid = (lo + hi) / 2;
        if (label_wrap(b, mid, k, anywhere, br) == 0)
            hi = mid;
        else
            lo = mid;
    }
    if (label_wrap(b, hi, k, anywhere, br)) br->w = 0;
}

/* Every block's breakings, each kept only if narrower than with fewer lines: nice ones break
 * at spaces and separators; `any` ones (WRAP_MIXED only) also inside a run of letters, used
 * when no nice one fits. */
static void label_breakings(struct tblock *b)
{
    double full = label_w(b, 0, b->len), nice = full, any = full;
    struct breaking *one = &b->nice[1];
    one->w = full > 1e-6 ? full : 1e-6;
    one->n = 1;
    one->start[0] = 0;
    one->end[0] = b->len;
    b->any[1] = *one;
    for (int k = 2; k <= b->max_lines; k++) {
        label_narrowest(b, k, 0, &b->nice[k]);
        if (b->nice[k].w >= nice - 1e-9) b->nice[k].w = 0;
        if (b->nice[k].w > 0) nice = b->nice[k].w;
        b->any[k].w = 0;
        if (b->wrap != WRAP_MIXED) continue;
        label_narrowest(b, k, 1, &b->any[k]);
        if (b->any[k].w >= any - 1e-9 || b->any[k].w >= nice - 1e-9) b->any[k].w = 0;
        if (b->any[k].w > 0) any = b->any[k].w;
    }
}

/* Size and breaking of one block: the fewest lines whose size is close to the best. */
static int label_fit_block(struct job *j, struct tblock *b, double cap, double avail)
{
    const struct breaking *c[LABEL__MAX_LINES + 1] = {0};
    double size[LABEL__MAX_LINES + 1] = {0}, top = 0;
    if (!b->text) return 0;
    for (int k = 1; k <= b->max_lines; k++) {
        if (b->nice[k].w > 0 && b->nice[k].w * j->min_px <= avail)
            c[k] = &b->nice[k];
        else if (b->any[k].w > 0 && b->any[k].w * j->min_px <= avail)
            c[k] = &b->any[k];
        else
            continue;
        size[k] = label_min(cap, avail / c[k]->w);
        if (size[k] > top) top = size[k];
    }
    for (int k = 1; top > 0 && k <= b->max_lines; k++) {
        if (c[k] && size[k] >= LABEL_PREFER_FEWER * top) {
            b->size = size[k];
            b->lines = c[k];
            return 0;
        }
    }
    return REG_ENOLABEL;
}

/* ---- layout ---- */

static void label_geom(const struct job *j, int w, int h, struct geom *g)
{
    int side;
    g->w = w;
    g->h = h;
    g->stacked = h > w;
    side = g->stacked ? w : h;
    g->module = side / (j->p->qr.width + 2 * LABEL_QUIET);
    if (j->o->layout == LABEL_QR) { /* the code alone, centred; no text column */
        g->module = (w < h ? w : h) / (j->p->qr.width + 2 * LABEL_QUIET);
        if (g->module > j->max_module) g->module = j->max_module;
        g->qr_x = (w - j->p->qr.width * g->module) / 2;
        g->qr_y = (h - j->p->qr.width * g->module) / 2;
        g->stacked = 0;
        g->col_x = g->col_w = g->col_top = g->col_bottom = 0;
        return;
    }
    /* the text column is placed as for the largest modules; ZPL's smaller ones are centred */
    int pad = (side - j->p->qr.width * g->module) / 2;
    if (g->module > j->max_module) g->module = j->max_module;
    g->qr_x = g->qr_y = (side - j->p->qr.width * g->module) / 2;
    if (g->stacked) {
        g->col_x = pad / 2;
        g->col_w = w - pad;
        g->col_top = side;
        g->col_bottom = h - pad / 2;
    } else {
        g->col_x = side;
        g->col_w = w - side - pad / 2;
        g->col_top = pad;
        g->col_bottom = h - pad;
    }
}

/* Baselines: the top group hangs from the column's top, the bottom group sits on its bottom;
 * a top group alone is centred. */
static int label_place(struct job *j, const struct geom *g)
{
    double top_end = g->col_top, bottom_top = g->col_bottom, below_gap = 0;
    int first = 1, bottom = 0;
    for (int k = 0; k < T_COUNT; k++) {
        struct tblock *b = &j->b[k];
        if (!b->text || b->group != GROUP_TOP) continue;
        double sz = b->size, base = first ? g->col_top + j->cap[b->bold] * sz
                                          : top_end + (b->gap_em + j->asc[b->bold]) * sz;
        for (int i = 0; i < b->lines->n; i++)
            b->base[i] = base + i * LABEL_PITCH * sz;
        top_end = b->base[b->lines->n - 1] + j->desc[b->bold] * sz;
        first = 0;
    }
    for (int k = T_COUNT - 1; k >= 0; k--) {
        struct tblock *b = &j->b[k];
        if (!b->text || b->group != GROUP_BOTTOM) continue;
        int n = b->lines->n;
        double sz = b->size;
        double last = bottom ? bottom_top - below_gap - j->desc[b->bold] * sz : g->col_bottom;
        for (int i = 0; i < n; i++)
            b->base[i] = last - (n - 1 - i) * LABEL_PITCH * sz;
        bottom_top = b->base[0] - j->asc[b->bold] * sz;
        below_gap = b->gap_em * sz;
        bottom = 1;
    }
    double gap = bottom ? 0.5 * j->b[T_SUPPORT].size : 0;
    if (top_end + gap > bottom_top + 1e-9) {
        j->need_h = (top_end - g->col_top) + gap + (g->col_bottom - bottom_top);
        j->have_h = g->col_bottom > g->col_top ? g->col_bottom - g->col_top : 0;
        return FIT_HEIGHT;
    }
    if (!bottom) {
        double shift = (g->col_bottom - top_end) / 2;
        for (int k = 0; k < T_COUNT; k++)
            for (int i = 0; j->b[k].text && i < j->b[k].lines->n; i++)
                j->b[k].base[i] += shift;
    }
    return FIT_OK;
}

/* Largest size block b may take at scale s: a share of the column height, never under 6 pt,
 * never larger than its parent. */
static double label_cap(const struct job *j, const struct tblock *b, double col_h, double s)
{
    double c = b->em * col_h * s;
    if (b->parent >= 0 && j->b[b->parent].text && c > j->b[b->parent].size)
        c = j->b[b->parent].size;
    return c > j->min_px ? c : j->min_px;
}

/* One attempt with the preferred sizes scaled by s. */
static int label_try(struct job *j, const struct geom *g, double s)
{
    double col_h = g->col_bottom - g->col_top;
    for (int k = 0; k < T_COUNT; k++) {
        struct tblock *b = &j->b[k];
        if (b->text &&
            (g->col_w <= 0 || label_fit_block(j, b, label_cap(j, b, col_h, s), g->col_w))) {
            j->fail_block = k;
            return FIT_WIDTH;
        }
    }
    return label_place(j, g);
}

/* Shrink everything until it fits the column's height, or all text is at the minimum size. */
static int label_shrink(struct job *j, const struct geom *g)
{
    double col_h = g->col_bottom - g->col_top, em = 0;
    for (int k = 0; k < T_COUNT; k++)
        if (j->b[k].text && j->b[k].em > em) em = j->b[k].em;
    for (double s = 1.0;; s *= LABEL_SHRINK) {
        int rc = label_try(j, g, s);
        if (rc != FIT_HEIGHT || em * col_h * s <= j->min_px) return rc;
    }
}

/* ---- shortening what does not fit whole (the top comment's order) ---- */

#define LABEL_ELLIPSIS "\u2026" /* "…" */
#define LABEL_HOST (-1)         /* a step: the address shrinks to its host */
#define LABEL_DROP 0            /* a step: the block is left out */

/* What gives way, in this order, while the text is too tall at the smallest size. */
static const struct {
    int block, lines;
} label_ladder[] = {
    {T_ADDRESS, LABEL_HOST}, {T_CONTACT, 2}, {T_MODEL, 1}, {T_NAME, 2},
    {T_ADDRESS, LABEL_DROP}, {T_CONTACT, 1}, {T_NAME, 1},
};

/* Block k as the first n bytes of its whole text; when lines > 0, followed by "…" and broken
 * into at most that many lines. Breakings are left to the caller (label_breakings). */
static void label_prefix(struct job *j, int k, size_t n, int lines)
{
    const struct tblock *w = &j->whole[k];
    struct tblock *b = &j->b[k];
    *b = *w;
    b->len = n;
    b->cut = lines;
    if (lines > 0) {
        struct buf *t = &j->cut_text[k];
        size_t len = n + sizeof LABEL_ELLIPSIS - 1;
        buf_reset(t);
        buf_append(t, w->text, n);
        buf_puts(t, LABEL_ELLIPSIS);
        double *pre = j->cut_pre[k] = xrealloc(j->cut_pre[k], 2 * (len + 1) * sizeof *pre);
        double *over = pre + len + 1;
        memcpy(pre, w->pre, (n + 1) * sizeof *pre);
        memcpy(over, w->over, (n + 1) * sizeof *over);
        for (size_t i = n + 1; i <= len; i++) { /* the ellipsis ends at its last byte */
            pre[i] = pre[n] + (i == len ? j->ell_adv[b->bold] : 0);
            over[i] = i == len ? j->ell_over[b->bold] : 0;
        }
        b->text = t->data;
        b->len = len;
        b->pre = pre;
        b->over = over;
        b->max_lines = lines;
    }
    b->spaces = memchr(b->text, ' ', b->len) != NULL;
}

/* n moved back to a character boundary and before any spaces. */
static size_t label_cut_point(const struct tblock *w, size_t n)
{
    while (n > 0 && n < w->len && label_is_cont(w->text, n))
        n--;
    while (n > 0 && w->text[n - 1] == ' ')
        n--;
    return n;
}

/* Does the whole text of block k cut at n (then "…") break into `lines` lines W em wide? */
static int label_cut_fits(struct job *j, int k, size_t n, int lines, double W)
{
    struct breaking br;
    label_prefix(j, k, label_cut_point(&j->whole[k], n), lines);
    return label_wrap(&j->b[k], W, lines, 1, &br) == 0;
}

/* Cut block k to the longest start of its whole text that, followed by "…", fits on `lines`
 * lines W em wide (the column at the smallest size); 0, or REG_ENOLABEL if not even "…"
 * fits. The start is found by bisection: a longer one never needs fewer lines. */
static int label_cut(struct job *j, int k, int lines, double W)
{
    const struct tblock *w = &j->whole[k];
    size_t lo = 0, hi = 0;
    double ink = 0;
    W = W * (1 - 1e-6) - 2e-3;                /* room for label_narrowest's tolerance */
    while (hi < w->len && ink <= lines * W) { /* anything longer is wider than all the lines */
        if (w->text[hi] != ' ') ink += w->pre[hi + 1] - w->pre[hi];
        hi++;
    }
    hi++; /* lo fits, hi is taken not to */
    if (!label_cut_fits(j, k, 0, lines, W)) return REG_ENOLABEL;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (label_cut_fits(j, k, mid, lines, W))
            lo = mid;
        else
            hi = mid;
    }
    while (!label_cut_fits(j, k, lo, lines, W)) /* in case the bisection met a non-monotone */
        lo = label_cut_point(w, lo - 1);        /* spot; lo = 0 fits */
    label_breakings(&j->b[k]);
    return 0;
}

/* Shrink the address to its host (the ID, printed above it, names the product): 1 if that
 * changed it. */
static int label_host(struct job *j)
{
    const struct tblock *w = &j->whole[T_ADDRESS];
    size_t n = label_cut_point(w, strcspn(w->text, "/"));
    if (j->b[T_ADDRESS].len != w->len || n == 0 || n >= w->len) return 0;
    label_prefix(j, T_ADDRESS, n, 0);
    label_breakings(&j->b[T_ADDRESS]);
    return 1;
}

/* The column's width in em at the smallest size. */
static double label_min_em(const struct job *j, const struct geom *g)
{
    return g->col_w / j->min_px;
}

/* After FIT_WIDTH: shorten the block that did not fit. 1 if it changed, 0 if it cannot give
 * way (the promises and the ID never do). */
static int label_give_width(struct job *j, const struct geom *g)
{
    int k = j->fail_block;
    struct tblock *b = &j->b[k];
    if (k == T_ADDRESS) {
        if (!label_host(j)) b->text = NULL;
        return 1;
    }
    if ((k != T_NAME && k != T_MODEL && k != T_CONTACT) || b->cut) return 0;
    return label_cut(j, k, b->max_lines, label_min_em(j, g)) == 0;
}

/* After FIT_HEIGHT: take the next step of label_ladder that changes something. 1 if one did,
 * 0 if none is left. */
static int label_give_height(struct job *j, const struct geom *g, size_t *step)
{
    for (; *step < sizeof label_ladder / sizeof label_ladder[0]; ++*step) {
        int k = label_ladder[*step].block, lines = label_ladder[*step].lines;
        struct tblock *b = &j->b[k];
        if (!b->text) continue;
        if (lines == LABEL_DROP) {
            b->text = NULL;
        } else if (lines == LABEL_HOST) {
            if (!label_host(j)) continue;
        } else if (b->lines->n <= lines) {
            continue;
        } else if (label_cut(j, k, lines, label_min_em(j, g))) {
            return 0;
        }
        ++*step;
        return 1;
    }
    return 0;
}

/* Lay the blocks out whole if they fit; else give way, step by step, until they do or nothing
 * more can. */
static int label_layout(struct job *j, const struct geom *g)
{
    size_t step = 0;
    memcpy(j->b, j->whole, sizeof j->b);
    int rc = label_shrink(j, g);
    while (rc != FIT_OK && g->col_w > 0 &&
           (rc == FIT_WIDTH ? label_give_width(j, g) : label_give_height(j, g, &step)))
        rc = label_shrink(j, g);
    return rc;
}

/* ---- refusing with a reason ---- */

static int label_fits(struct job *j, double w_mm, double h_mm)
{
    struct geom g;
    label_geom(j, label_px(w_mm, j->o->dpi), label_px(h_mm, j->o->dpi), &g);
    return g.module >= j->min_module && label_layout(j, &g) == FIT_OK;
}

/* The QR code's square at the minimum module size, in whole mm. */
static double label_qr_min_side(const struct job *j)
{
    int need = (j->p->qr.width + 2 * LABEL_QUIET) * j->min_module;
    int mm = label_ceil(need * LABEL__MM_PER_INCH / j->o->dpi);
    while (label_px(mm, j->o->dpi) < need)
        mm++;
    return mm;
}

/* The smallest label of the requested orientation on which everything fits, keeping the QR
 * code's side (the height, or the width of a portrait label) as small as possible. */
static int label_suggest(struct job *j, double *w_mm, double *h_mm)
{
    int stacked = j->o->height_mm > j->o->width_mm;
    double side0 = stacked ? j->o->width_mm : j->o->height_mm;
    double long0 = stacked ? j->o->height_mm : j->o->width_mm;
    double side = side0, q = label_qr_min_side(j);
    if (side < q) side = q;
    for (; side <= LABEL_MAX_MM; side += 1) {
        double len = long0 > side ? long0 : side;
        if (stacked && len < side + 1) len = side + 1;
        if (len > LABEL_MAX_MM) break;
#define FITS(l) (stacked ? label_fits(j, side, (l)) : label_fits(j, (l), side))
        if (!FITS(LABEL_MAX_MM)) continue;
        if (!FITS(len)) {
            int lo = (int)len, hi = (int)LABEL_MAX_MM; /* lo does not fit, hi does */
            while (hi - lo > 1) {
                int mid = lo + (hi - lo) / 2;
                if (FITS(mid))
                    hi = mid;
                else
                    lo = mid;
            }
            len = hi;
        }
#undef FITS
        *w_mm = stacked ? side : len;
        *h_mm = stacked ? len : side;
        return 0;
    }
    return REG_ENOLABEL;
}

static void label_say_suggestion(struct job *j, struct reg_why *why)
{
    double w, h;
    if (label_suggest(j, &w, &h)) {
        reg_why_add(why, "; no label up to %g mm fits it", LABEL_MAX_MM);
        return;
    }
    int more_h = h > j->o->height_mm + 1e-9, more_w = w > j->o->width_mm + 1e-9;
    if (more_h && more_w)
        reg_why_add(why, "; use at least %g mm height and %g mm width", h, w);
    else if (more_h)
        reg_why_add(why, "; use at least %g mm height", h);
    else if (more_w)
        reg_why_add(why, "; use at least %g mm width", w);
}

static void label_say_problem(struct job *j, const struct geom *g, int fit, struct reg_why *why)
{
    const struct label_opts *o = j->o;
    double mm = LABEL__MM_PER_INCH / o->dpi;
    const char *where = g->stacked ? "below" : "beside";
    if (g->module < j->min_module && label_raster(o)) {
        reg_why_add(why,
                    "at %d dpi a %gx%g mm label makes QR modules of %.2f mm (%d %s); they must "
                    "be at least %g mm and %d %s",
                    o->dpi, o->width_mm, o->height_mm, g->module * mm, g->module, label_unit(o),
                    LABEL_MIN_MODULE_MM, LABEL_MIN_MODULE_DOTS, label_unit(o));
    } else if (g->module < j->min_module) {
        reg_why_add(why,
                    "a %gx%g mm label makes QR modules of %.2f mm; they must be at least %g mm",
                    o->width_mm, o->height_mm, g->module * mm, LABEL_MIN_MODULE_MM);
    } else if (fit == FIT_WIDTH && g->col_w <= 0) {
        reg_why_add(why, "a %gx%g mm label leaves no room for text %s its QR code", o->width_mm,
                    o->height_mm, where);
    } else if (fit == FIT_WIDTH) {
        const struct tblock *b = &j->b[j->fail_block];
        reg_why_add(why,
                    "the %s does not fit on %d line%s of %g pt text in the %.1f mm %s the "
                    "QR code",
                    b->what, b->max_lines, b->max_lines > 1 ? "s" : "", LABEL_MIN_PT, g->col_w * mm,
                    where);
    } else {
        reg_why_add(why, "the text needs %.1f mm of height but %.1f mm is free %s the QR code",
                    j->need_h * mm, j->have_h * mm, where);
    }
}

/* ---- the job ---- */

/* Append s (leading and trailing spaces dropped) to the plan's store after prefix; returns
 * its offset. Offsets, not pointers: the store may still move. */
static size_t label_store(struct label__plan *p, const char *prefix, const char *s, size_t *len)
{
    size_t off = p->store.len, n;
    while (*s == ' ')
        s++;
    n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    buf_puts(&p->store, prefix);
    buf_append(&p->store, s, n);
    *len = p->store.len - off;
    buf_putc(&p->store, '\0');
    return off;
}

/* Word w of language lang with s (spaces around it dropped) in place of its {1}, appended to
 * the plan's store as label_store() does. */
static size_t label_store_word(struct label__plan *p, int lang, enum label__word w, const char *s,
                               size_t *len)
{
    const char *t = label__word(lang, w), *arg = strstr(t, "{1}");
    size_t off = p->store.len, n;
    buf_append(&p->store, t, arg ? (size_t)(arg - t) : strlen(t));
    while (arg && *s == ' ')
        s++;
    for (n = arg ? strlen(s) : 0; n > 0 && s[n - 1] == ' ';)
        n--;
    buf_append(&p->store, s, n);
    if (arg) buf_puts(&p->store, arg + 3);
    *len = p->store.len - off;
    buf_putc(&p->store, '\0');
    return off;
}

static void label_block(struct tblock *b, const char *what, int bold, int wrap, int max_lines,
                        int group, int parent, double em, double gap_em)
{
    memset(b, 0, sizeof *b);
    b->what = what;
    b->bold = bold;
    b->wrap = wrap;
    b->max_lines = max_lines;
    b->group = group;
    b->parent = parent;
    b->em = em;
    b->gap_em = gap_em;
}

/* The texts of the layout, composed into the plan's store. */
static void label_job_texts(struct job *j, const struct label_info *info)
{
    struct label__plan *p = j->p;
    size_t off[T_COUNT + 1], len[T_COUNT + 1];
    const char *pw = info->password && *info->password ? info->password : NULL;
    const char *addr = info->short_url, *url = info->url;
    int full = j->o->layout == LABEL_FULL, lang = info->lang ? label_lang(info->lang) : 0;
    struct tblock *b = j->b;

    label_block(&b[T_NAME], "product name", 1, WRAP_WORDS, 3, GROUP_TOP, -1, 0.16, 0);
    label_block(&b[T_MODEL], "product model", 0, WRAP_WORDS, 2, GROUP_TOP, T_NAME, 0.09, 0.15);
    label_block(&b[T_SUPPORT], "\"Security updates until\" line", 1, WRAP_WORDS, 3, GROUP_TOP,
                full ? T_NAME : -1, full ? 0.09 : 0.22, full ? 0.55 : 0);
    label_block(&b[T_PASSWORD], "password line", 0, WRAP_WORDS, 2, GROUP_TOP, T_SUPPORT, 0.09, 0.3);
    label_block(&b[T_CONTACT], "security contact line", 0, WRAP_MIXED, 4, GROUP_TOP, T_SUPPORT,
                0.09, 0.3);
    label_block(&b[T_ID], "product ID", 0, WRAP_MIXED, LABEL__MAX_LINES, GROUP_BOTTOM, T_SUPPORT,
                0.075, 0);
    label_block(&b[T_ADDRESS], "address", 0, WRAP_MIXED, 3, GROUP_BOTTOM, T_SUPPORT, 0.075, 0.2);

    memset(off, 0, sizeof off);
    memset(len, 0, sizeof len);
    off[T_COUNT] = p->store.len; /* the QR code's URL, exactly as given */
    buf_puts(&p->store, url);
    buf_putc(&p->store, '\0');
    if (j->o->layout != LABEL_QR)
        off[T_SUPPORT] =
            label_store_word(p, lang, LABEL__W_support_until, info->support_date, &len[T_SUPPORT]);
    if (full) {
        off[T_NAME] = label_store(p, "", info->product_name, &len[T_NAME]);
        if (!label_blank(info->product_model))
            off[T_MODEL] = label_store(p, "", info->product_model, &len[T_MODEL]);
        if (pw)
            off[T_PASSWORD] = label_store(p, "", label_password_words(pw, lang), &len[T_PASSWORD]);
        if (!label_blank(info->contact))
            off[T_CONTACT] =
                label_store_word(p, lang, LABEL__W_report, info->contact, &len[T_CONTACT]);
        if (!label_blank(info->product_id))
            off[T_ID] = label_store_word(p, lang, LABEL__W_id, info->product_id, &len[T_ID]);
        if (label_blank(addr)) /* the URL itself, which browsers take without "https://" */
            addr = strncmp(url, "https://", 8) ? url : url + 8;
        off[T_ADDRESS] = label_store(p, "", addr, &len[T_ADDRESS]);
    }
    p->url = p->store.data + off[T_COUNT];
    for (int k = 0; k < T_COUNT; k++) {
        if (len[k] == 0) continue;
        b[k].text = p->store.data + off[k];
        b[k].len = len[k];
        b[k].spaces = memchr(b[k].text, ' ', b[k].len) != NULL;
    }
}

static void label_job_init(struct job *j, const struct label_info *info, const struct label_opts *o,
                           struct label__meter *m, struct label__plan *p)
{
    memset(j, 0, sizeof *j);
    j->o = o;
    j->p = p;
    j->m = m;
    label_job_texts(j, info);
    j->min_px = LABEL_MIN_PT * o->dpi / 72.0;
    j->min_module = label_ceil(LABEL_MIN_MODULE_MM * o->dpi / LABEL__MM_PER_INCH - 1e-9);
    if (label_raster(o) && j->min_module < LABEL_MIN_MODULE_DOTS)
        j->min_module = LABEL_MIN_MODULE_DOTS;
    j->max_module = o->format == LABEL_ZPL ? LABEL__ZPL_MAX_MODULE : INT_MAX;
}

static void label_job_free(struct job *j)
{
    for (int k = 0; k < T_COUNT; k++) {
        free(j->whole[k].pre);
        free(j->cut_pre[k]);
        buf_free(&j->cut_text[k]);
    }
}

static int label_encode(struct job *j, struct reg_why *why)
{
    int rc = qr_encode(j->p->url, j->o->ec_level, &j->p->qr);
    if (rc == REG_ETOOBIG) {
        reg_why_add(why,
                    "the URL (%zu bytes) is too long for a QR code at error-correction level %c",
                    strlen(j->p->url), j->o->ec_level);
        return REG_ENOLABEL;
    }
    return rc;
}

/* Copy the chosen layout into the plan, in whole dots. */
static void label_fill_plan(struct job *j, const struct geom *g)
{
    struct label__plan *p = j->p;
    size_t off[T_COUNT], url = (size_t)(p->url - p->store.data);
    for (int k = 0; k < T_COUNT; k++) /* offsets first: appending may move the store */
        off[k] = j->b[k].text && !j->b[k].cut ? (size_t)(j->b[k].text - p->store.data) : 0;
    for (int k = 0; k < T_COUNT; k++) {
        if (!j->b[k].text || !j->b[k].cut) continue;
        off[k] = p->store.len;
        buf_append(&p->store, j->b[k].text, j->b[k].len);
    }
    p->url = p->store.data + url;
    p->width_mm = j->o->width_mm;
    p->height_mm = j->o->height_mm;
    p->dpi = j->o->dpi;
    p->w = g->w;
    p->h = g->h;
    p->qr_x = g->qr_x;
    p->qr_y = g->qr_y;
    p->module = g->module;
    p->text_x = g->col_x;
    p->text_w = g->col_w;
    p->ec_level = j->o->ec_level;
    p->ntexts = 0;
    for (int k = 0; k < T_COUNT; k++) {
        const struct tblock *b = &j->b[k];
        if (!b->text) continue;
        struct label__text *t = &p->text[p->ntexts++];
        t->bold = b->bold;
        t->size = b->size;
        t->nlines = b->lines->n;
        for (int i = 0; i < t->nlines; i++) {
            size_t s = b->lines->start[i], e = b->lines->end[i];
            t->line[i].s = p->store.data + off[k] + s;
            t->line[i].len = e - s;
            t->line[i].base = (int)(b->base[i] + 0.5);
            t->line[i].advance = (b->pre[e] - b->pre[s]) * b->size;
        }
    }
}

static int label_run(struct job *j, struct reg_why *why)
{
    int rc;
    if ((rc = label_encode(j, why))) return rc;
    for (int bold = 0; bold < 2; bold++)
        label__meter_font(j->m, bold, &j->asc[bold], &j->desc[bold], &j->cap[bold]);
    for (int k = 0; k < T_COUNT; k++) {
        if (!j->b[k].text) continue;
        label_measure(j, &j->b[k]);
        label_breakings(&j->b[k]);
    }
    memcpy(j->whole, j->b, sizeof j->whole); /* owns the measurements from here */
    for (int bold = 0; bold < 2; bold++)
        label__meter_char(j->m, bold, LABEL_ELLIPSIS, sizeof LABEL_ELLIPSIS - 1, &j->ell_adv[bold],
                          &j->ell_over[bold]);
    if (label__meter_status(j->m)) return REG_EINTERNAL;

    struct geom g;
    label_geom(j, label_px(j->o->width_mm, j->o->dpi), label_px(j->o->height_mm, j->o->dpi), &g);
    int fit = g.module >= j->min_module ? label_layout(j, &g) : FIT_WIDTH;
    if (g.module < j->min_module || fit != FIT_OK) {
        label_say_problem(j, &g, fit, why);
        label_say_suggestion(j, why);
        return REG_ENOLABEL;
    }
    label_fill_plan(j, &g);
    return 0;
}

int label__plan_new(const struct label_info *info, const struct label_opts *o,
                    struct label__meter *m, struct label__plan **plan, struct reg_why *why)
{
    int rc;
    if (!info) {
        reg_why_add(why, "no label info");
        return REG_EBADREQ;
    }
    if (label__words_ready()) return reg_why_set(why, REG_EINTERNAL, "broken label texts");
    if ((rc = label_check_info(info, o, why)) || (rc = label_check_dots(o, why))) return rc;
    struct label__plan *p = xcalloc(1, sizeof *p);
    struct job j;
    buf_init(&p->store);
    label_job_init(&j, info, o, m, p);
    rc = label_run(&j, why);
    label_job_free(&j);
    if (rc) {
        label__plan_free(p);
        return rc;
    }
    *plan = p;
    return 0;
}

void label__plan_free(struct label__plan *p)
{
    if (!p) return;
    qr_free(&p->qr);
    buf_free(&p->store);
    free(p);
}

/* ---- the API ---- */

void label_opts_default(struct label_opts *o)
{
    o->width_mm = 0;
    o->height_mm = 0;
    o->dpi = 300;
    o->ec_level = 'M';
    o->layout = LABEL_FULL;
    o->format = LABEL_PNG;
}

static int label_write(const struct label__plan *p, enum label_format f, struct buf *out)
{
    switch (f) {
    case LABEL_PNG:
        return label__png(p, out);
    case LABEL_PDF:
        return label__pdf(p, out);
    case LABEL_SVG:
        label__svg(p, out);
        return 0;
    case LABEL_ZPL:
        return label__zpl(p, out);
    }
    return REG_EINTERNAL;
}

int label_render(const struct label_info *info, const struct label_opts *o, struct buf *out,
                 struct reg_why *why)
{
    struct label_opts def, r;
    struct label__meter *m = NULL;
    struct label__plan *p = NULL;
    int rc;
    if (!o) {
        label_opts_default(&def);
        o = &def;
    }
    label__resolve(o, &r);
    reg_why_clear(why);
    size_t mark = out ? out->len : 0;
    if (!info || !out)
        rc = reg_why_set(why, REG_EBADREQ, "no label info or output buffer");
    else
        rc = label__check_opts(&r, why);
    if (rc == 0) rc = label__meter_new(&m);
    if (rc == 0) rc = label__plan_new(info, &r, m, &p, why);
    if (rc == 0) rc = label_write(p, r.format, out);
    label__plan_free(p);
    label__meter_free(m);
    if (rc && out) out->len = mark;
    return rc;
}
