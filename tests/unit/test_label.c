/* test_label.c: unit tests for qr.c and the label module (label*.c): every format comes out
 * whole (PNG, SVG, PDF, ZPL), byte-for-byte repeatable, at the size the label was ordered at,
 * with a crisp QR code of exactly the URL and every promise in words; labels that cannot be
 * printed are refused with a size that does work; sheets put many labels on A4 pages. */
#include "harness.h"

#include "buf.h"
#include "err.h"
#include "label.h"
#include "qr.h"

#include <cairo.h>

#define URL "http://127.0.0.1:8080/p/acme-cam-2"
#define LONG_NAME "Acme SmartHome Indoor Security Camera Pro 2 with Night Vision"

static const struct label_info cam = {
    .url = URL,
    .product_name = "Acme Cam 2",
    .product_model = "ACM-CAM-2",
    .support_date = "2030-12-31",
    .product_id = "acme-cam-2",
    .contact = "security@acme.example",
    .password = "unique_per_device",
    .short_url = "labels.example.com/p/acme-cam-2",
};

static const enum label_format formats[] = {LABEL_PNG, LABEL_SVG, LABEL_PDF, LABEL_ZPL};
#define NFORMATS COUNT(formats)

static uint32_t be32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

static struct label_opts opts(enum label_format f, enum label_layout l, double w, double h, int dpi)
{
    struct label_opts o;
    label_opts_default(&o);
    o.format = f;
    o.layout = l;
    o.width_mm = w;
    o.height_mm = h;
    o.dpi = dpi;
    return o;
}

/* Render a label that must succeed, appending it to out; why must come back empty. */
static void render_ok(const struct label_info *li, const struct label_opts *o, struct buf *out)
{
    struct reg_why why = {"unset"};
    int rc = label_render(li, o, out, &why);
    if (rc) fail_msg("label_render: %d (%s)", rc, why.text);
    assert_string_equal(why.text, "");
}

static int contains(const struct buf *b, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= b->len; i++)
        if (!memcmp(b->data + i, s, n)) return 1;
    return 0;
}

static int ends_with(const struct buf *b, const char *s)
{
    size_t n = strlen(s);
    return b->len >= n && !memcmp(b->data + b->len - n, s, n);
}

/* The words of an SVG label: every <text> element's content, unescaped, joined by spaces. */
static void svg_words(const struct buf *svg, struct buf *words)
{
    static const char *const ent[][2] = {
        {"&amp;", "&"}, {"&lt;", "<"}, {"&gt;", ">"}, {"&quot;", "\""}, {"&#39;", "'"}};
    const char *p = svg->data, *end = svg->data + svg->len;
    buf_reset(words);
    while ((p = memmem(p, (size_t)(end - p), "<text ", 6)) != NULL) {
        p = (const char *)memchr(p, '>', (size_t)(end - p)) + 1;
        const char *q = memmem(p, (size_t)(end - p), "</text>", 7);
        assert_non_null(q);
        if (words->len) buf_putc(words, ' ');
        while (p < q) {
            size_t k = 0;
            while (k < 5 && strncmp(p, ent[k][0], strlen(ent[k][0])))
                k++;
            assert_true(*p != '<');
            if (k < 5) {
                buf_puts(words, ent[k][1]);
                p += strlen(ent[k][0]);
            } else {
                buf_putc(words, *p++);
            }
        }
    }
    buf_cstr(words);
}

static void assert_png_size(const struct buf *b, size_t at, uint32_t w, uint32_t h)
{
    const char *p = b->data + at;
    assert_true(b->len - at > 33);
    assert_memory_equal(p, "\x89PNG\r\n\x1a\n", 8);
    assert_int_equal(be32(p + 8), 13);
    assert_memory_equal(p + 12, "IHDR", 4);
    assert_int_equal(be32(p + 16), w);
    assert_int_equal(be32(p + 20), h);
    assert_int_equal(p[24], 8); /* bit depth */
    assert_int_equal(p[25], 0); /* greyscale, no alpha */
}

/* ---- sizes and defaults ---- */

static void test_png_size_follows_mm_and_dpi(void **state)
{
    (void)state;
    struct label_opts o;
    struct buf b = BUF_INIT;
    label_opts_default(&o);
    assert_true(o.width_mm == 0 && o.height_mm == 0 && o.dpi == 300 && o.ec_level == 'M' &&
                o.layout == LABEL_FULL && o.format == LABEL_PNG);
    render_ok(&cam, &o, &b);
    assert_png_size(&b, 0, 945, 472); /* the full default, 80 x 40 mm at 300 dpi, rounded */

    o = opts(LABEL_PNG, LABEL_FULL, 100, 50, 203); /* 799.2 x 399.6 px */
    o.ec_level = 'Q';
    buf_reset(&b);
    render_ok(&cam, &o, &b);
    assert_png_size(&b, 0, 799, 400);

    buf_reset(&b); /* NULL opts means the defaults */
    render_ok(&cam, NULL, &b);
    assert_png_size(&b, 0, 945, 472);

    o = opts(LABEL_PNG, LABEL_COMPACT, 0, 0, 300); /* the compact default, 40 x 20 mm */
    buf_reset(&b);
    render_ok(&cam, &o, &b);
    assert_png_size(&b, 0, 472, 236);
    o.width_mm = 50; /* one size given, the other the default */
    buf_reset(&b);
    render_ok(&cam, &o, &b);
    assert_png_size(&b, 0, 591, 236);
    buf_free(&b);
}

static void test_png_is_appended(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    buf_puts(&b, "HTTP body: ");
    render_ok(&cam, NULL, &b);
    assert_memory_equal(b.data, "HTTP body: ", 11);
    assert_png_size(&b, 11, 945, 472);
    buf_free(&b);
}

/* The pHYs chunk right after IHDR: dpi / 0.0254 pixels per metre, rounded, unit 1 (metre), so
 * layout programs place the label at its size instead of assuming 72 or 96 dpi. */
static void test_png_records_its_dpi_in_phys(void **state)
{
    (void)state;
    static const struct {
        int dpi;
        uint32_t ppm;
    } cases[] = {{72, 2835}, {203, 7992}, {300, 11811}, {600, 23622}, {1200, 47244}, {2400, 94488}};
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct label_opts o = opts(LABEL_PNG, LABEL_QR, 40, 40, cases[i].dpi);
        buf_reset(&b);
        render_ok(&cam, &o, &b);
        const char *p = b.data + 33; /* signature 8, IHDR 25 */
        assert_true(b.len > 33 + 21);
        assert_int_equal(be32(p), 9);
        assert_memory_equal(p + 4, "pHYs", 4);
        assert_int_equal(be32(p + 8), cases[i].ppm);
        assert_int_equal(be32(p + 12), cases[i].ppm);
        assert_int_equal(p[16], 1);
    }
    buf_free(&b);
}

/* ---- every format, whole and repeatable ---- */

static void test_every_format_starts_and_ends_right(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    for (size_t f = 0; f < NFORMATS; f++) {
        for (int l = LABEL_FULL; l <= LABEL_COMPACT; l++) {
            struct label_opts o = opts(formats[f], (enum label_layout)l, 0, 0, 300);
            buf_reset(&b);
            render_ok(&cam, &o, &b);
            switch (formats[f]) {
            case LABEL_PNG:
                assert_memory_equal(b.data, "\x89PNG\r\n\x1a\n", 8);
                assert_true(ends_with(&b, "IEND\xae\x42\x60\x82"));
                break;
            case LABEL_SVG:
                assert_memory_equal(b.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg ",
                                    44);
                assert_true(ends_with(&b, "</svg>\n"));
                assert_true(contains(&b, l == LABEL_FULL ? "width=\"80mm\" height=\"40mm\" "
                                                           "viewBox=\"0 0 80 40\""
                                                         : "width=\"40mm\" height=\"20mm\""));
                break;
            case LABEL_PDF:
                assert_memory_equal(b.data, "%PDF-", 5);
                assert_true(ends_with(&b, "%%EOF\n"));
                assert_false(contains(&b, "/CreationDate"));
                assert_false(contains(&b, "/ModDate"));
                break;
            case LABEL_ZPL:
                assert_memory_equal(b.data, "^XA\n", 4);
                assert_true(ends_with(&b, "^XZ\n"));
                assert_true(contains(&b, "^BQN,2,"));
                assert_true(contains(&b, "^FDMA," URL "^FS"));
                assert_true(
                    contains(&b, l == LABEL_FULL ? "^PW945\n^LL472\n" : "^PW472\n^LL236\n"));
                break;
            }
        }
    }
    buf_free(&b);
}

static void test_same_input_same_bytes(void **state)
{
    (void)state;
    struct buf a = BUF_INIT, b = BUF_INIT;
    for (size_t f = 0; f < NFORMATS; f++) {
        for (int l = LABEL_FULL; l <= LABEL_COMPACT; l++) {
            struct label_opts o = opts(formats[f], (enum label_layout)l, 0, 0, 300);
            buf_reset(&a);
            buf_reset(&b);
            render_ok(&cam, &o, &a);
            render_ok(&cam, &o, &b);
            assert_int_equal(a.len, b.len);
            assert_memory_equal(a.data, b.data, a.len);
        }
    }
    buf_free(&a);
    buf_free(&b);
}

struct png_reader {
    const struct buf *b;
    size_t pos;
};

static cairo_status_t png_read(void *closure, unsigned char *data, unsigned int len)
{
    struct png_reader *r = closure;
    if (r->b->len - r->pos < len) return CAIRO_STATUS_READ_ERROR;
    memcpy(data, r->b->data + r->pos, len);
    r->pos += len;
    return CAIRO_STATUS_SUCCESS;
}

/* Decode the label and read its QR code back: every pixel of the code's square is pure black
 * or white, modules are whole pixels of at least 0.4 mm, the quiet zone is at least 4 modules,
 * and each module matches qr_encode() of the URL. */
/* The PNG in b is `width` px wide and holds exactly the QR code of URL: black and white only
 * in the code's square, whole modules of at least min_module px, a 4-module quiet zone. */
static void assert_png_holds_exact_qr(struct buf *b, int width, int min_module)
{
    struct qr q;
    assert_int_equal(qr_encode(URL, 'M', &q), 0);
    struct png_reader r = {b, 0};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(png_read, &r);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *px = cairo_image_surface_get_data(s);
    assert_int_equal(w, width);

    int x0 = h, y0 = h, x1 = -1, y1 = -1;
    for (int y = 0; y < h; y++) {
        const uint32_t *row = (const uint32_t *)(px + (size_t)y * stride);
        for (int x = 0; x < h; x++) {
            uint32_t c = row[x] & 0xffffff;
            assert_true(c == 0 || c == 0xffffff);
            if (c) continue;
            x0 = x < x0 ? x : x0, x1 = x > x1 ? x : x1;
            y0 = y < y0 ? y : y0, y1 = y > y1 ? y : y1;
        }
    }
    int side = x1 - x0 + 1, m = side / q.width;
    assert_int_equal(y1 - y0 + 1, side);
    assert_int_equal(m * q.width, side);
    assert_true(m >= min_module);
    assert_true(x0 >= 4 * m && y0 >= 4 * m && h - 1 - y1 >= 4 * m && h - 1 - x1 >= 4 * m);
    for (int my = 0; my < q.width; my++) {
        for (int mx = 0; mx < q.width; mx++) {
            const uint32_t *row = (const uint32_t *)(px + (size_t)(y0 + my * m + m / 2) * stride);
            int dark = (row[x0 + mx * m + m / 2] & 0xffffff) == 0;
            assert_int_equal(dark, q.modules[my * q.width + mx]);
        }
    }
    cairo_surface_destroy(s);
    qr_free(&q);
}

static void test_qr_in_png_is_crisp_and_exact(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    render_ok(&cam, NULL, &b);
    assert_png_holds_exact_qr(&b, 945, 5); /* 0.4 mm at 300 dpi is 4.7 px */
    buf_free(&b);
}

/* The QR layout: the code alone, centred, in every format; no words at all. */
static void test_qr_layout_is_the_code_alone(void **state)
{
    (void)state;
    struct buf b = BUF_INIT, words = BUF_INIT;
    struct label_opts o = opts(LABEL_PNG, LABEL_QR, 19, 19, 150);
    render_ok(&cam, &o, &b);
    assert_png_holds_exact_qr(&b, 112, 3); /* 0.4 mm at 150 dpi is 2.4 px */
    o = opts(LABEL_SVG, LABEL_QR, 0, 0, 300);
    buf_reset(&b);
    render_ok(&cam, &o, &b);
    svg_words(&b, &words);
    assert_string_equal(words.data, "");
    assert_true(contains(&b, "width=\"20mm\"")); /* the default: 20 x 20 mm */
    o = opts(LABEL_PNG, LABEL_QR, 10, 10, 300);
    struct reg_why why;
    buf_reset(&b);
    assert_int_equal(label_render(&cam, &o, &b, &why), REG_ENOLABEL);
    assert_true(strstr(why.text, "QR modules") != NULL);
    buf_free(&b);
    buf_free(&words);
}

/* ---- what the label says ---- */

static void test_full_layout_states_every_promise(void **state)
{
    (void)state;
    struct buf b = BUF_INIT, words = BUF_INIT;
    struct label_opts o = opts(LABEL_SVG, LABEL_FULL, 0, 0, 300);
    render_ok(&cam, &o, &b);
    svg_words(&b, &words);
    const char *w = words.data;
    assert_non_null(strstr(w, "Acme Cam 2"));
    assert_non_null(strstr(w, "ACM-CAM-2"));
    assert_non_null(strstr(w, "Security updates until 2030-12-31"));
    assert_non_null(strstr(w, "Unique password per device"));
    assert_non_null(strstr(w, "Report security problems: security@acme.example"));
    assert_non_null(strstr(w, "ID: acme-cam-2"));
    assert_non_null(strstr(w, "labels.example.com/p/acme-cam-2"));
    assert_null(strstr(w, URL)); /* the short URL is printed, not the QR code's */
    /* the name is bold and comes first; every line has the width cairo measured */
    assert_true(contains(&b, "font-weight=\"bold\" textLength="));
    assert_true(contains(&b, "lengthAdjust=\"spacingAndGlyphs\">Acme Cam 2</text>"));
    assert_true(contains(&b, "<g font-family=\"DejaVu Sans, Verdana, sans-serif\""));

    /* the other password promises; without a short URL, the URL without "https://" */
    struct label_info li = cam;
    li.password = "user_defined";
    li.short_url = NULL;
    li.url = "https://labels.example.com/p/acme-cam-2";
    buf_reset(&b);
    render_ok(&li, &o, &b);
    svg_words(&b, &words);
    assert_non_null(strstr(words.data, "You set the password"));
    assert_non_null(strstr(words.data, "labels.example.com/p/acme-cam-2"));
    assert_null(strstr(words.data, "https://"));
    li.password = "no_password";
    buf_reset(&b);
    render_ok(&li, &o, &b);
    svg_words(&b, &words);
    assert_non_null(strstr(words.data, "No password"));

    /* optional lines are left out, and the text is the same in ZPL */
    li = (struct label_info){.url = URL, .product_name = "Acme Cam", .support_date = "2031-01-31"};
    buf_reset(&b);
    render_ok(&li, &o, &b);
    svg_words(&b, &words);
    assert_null(strstr(words.data, "password"));
    assert_null(strstr(words.data, "Report"));
    assert_null(strstr(words.data, "ID:"));
    assert_non_null(strstr(words.data, "http://127.0.0.1:8080/")); /* http:// stays */
    o.format = LABEL_ZPL;
    buf_reset(&b);
    render_ok(&cam, &o, &b);
    assert_true(contains(&b, "^FDAcme Cam 2^FS"));
    assert_true(contains(&b, "Report security problems:"));
    assert_true(contains(&b, "ID: acme-cam-2"));
    buf_free(&b);
    buf_free(&words);
}

static void test_compact_layout_has_only_the_date(void **state)
{
    (void)state;
    struct buf b = BUF_INIT, words = BUF_INIT;
    struct label_opts o = opts(LABEL_SVG, LABEL_COMPACT, 0, 0, 300);
    render_ok(&cam, &o, &b);
    svg_words(&b, &words);
    assert_string_equal(words.data, "Security updates until 2030-12-31");
    assert_false(contains(&b, "Report security problems"));
    assert_false(contains(&b, "Acme Cam 2"));

    o.format = LABEL_PDF; /* cairo embeds the text: it can be searched and copied */
    buf_reset(&b);
    render_ok(&cam, &o, &b);
    assert_true(contains(&b, "/FontFile2"));

    /* portrait: the text goes below the code */
    o = opts(LABEL_SVG, LABEL_COMPACT, 20, 30, 300);
    buf_reset(&b);
    render_ok(&cam, &o, &b);
    svg_words(&b, &words);
    assert_string_equal(words.data, "Security updates until 2030-12-31");
    buf_free(&b);
    buf_free(&words);
}

static void test_svg_escapes_text(void **state)
{
    (void)state;
    struct buf b = BUF_INIT, words = BUF_INIT;
    struct label_info li = cam;
    li.product_name = "Tom & Jerry <Cam> \"2\"";
    struct label_opts o = opts(LABEL_SVG, LABEL_FULL, 100, 40, 300);
    render_ok(&li, &o, &b);
    assert_true(contains(&b, ">Tom &amp; Jerry &lt;Cam&gt; &quot;2&quot;</text>"));
    assert_false(contains(&b, "<Cam>"));
    svg_words(&b, &words);
    assert_non_null(strstr(words.data, "Tom & Jerry <Cam> \"2\""));
    /* one path holds the whole code */
    const char *p = strstr(buf_cstr(&b), "<path ");
    assert_non_null(p);
    assert_null(strstr(p + 1, "<path "));
    buf_free(&b);
    buf_free(&words);
}

static void test_zpl_escapes_field_data(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    struct label_info li = cam;
    li.url = "https://example.com/p/a^b~c_d";
    li.product_name = "Cam ^XZ ~JA_";
    struct label_opts o = opts(LABEL_ZPL, LABEL_FULL, 0, 0, 203);
    render_ok(&li, &o, &b);
    assert_true(contains(&b, "^FH_^FDMA,https://example.com/p/a_5Eb_7Ec_5Fd^FS"));
    /* the QR code is raised by the ^BY height it sinks by, and that height is pinned */
    assert_true(contains(&b, "^LH0,0\n^BY2,3,10\n^FO"));
    assert_true(contains(&b, "Cam _5EXZ _7EJA_5F^FS"));
    assert_true(contains(&b, "^PW639\n^LL320\n")); /* 80 x 40 mm at 203 dpi */
    /* only the format's own commands start with ^ or ~ */
    size_t carets = 0;
    for (size_t i = 0; i < b.len; i++)
        carets += b.data[i] == '^' || b.data[i] == '~';
    assert_false(contains(&b, "~"));
    assert_true(carets > 10);

    /* fields without ^ or ~ are written as they are, _ included */
    li = cam;
    li.url = "https://example.com/p/a_b";
    buf_reset(&b);
    render_ok(&li, &o, &b);
    assert_true(contains(&b, "^FDMA,https://example.com/p/a_b^FS"));
    assert_false(contains(&b, "^FH"));

    /* the magnification is the module in dots: at least 2, at most 10 */
    for (int dpi = 203; dpi <= 600; dpi += 397) {
        o.dpi = dpi;
        buf_reset(&b);
        render_ok(&cam, &o, &b);
        const char *q = strstr(buf_cstr(&b), "^BQN,2,");
        assert_non_null(q);
        int mag = atoi(q + 7);
        assert_true(mag >= 2 && mag <= 10);
    }

    /* the printer's automatic QR mode takes only ASCII */
    li = cam;
    li.url = "https://example.com/p/caf\xc3\xa9";
    struct reg_why why;
    buf_reset(&b);
    assert_int_equal(label_render(&li, &o, &b, &why), REG_EBADREQ);
    assert_non_null(strstr(why.text, "ASCII"));
    o.format = LABEL_PNG; /* the other formats encode the bytes as given */
    render_ok(&li, &o, &b);
    buf_free(&b);
}

/* ---- refusals ---- */

/* Parse "use at least H mm height and W mm width" (or either half) into o. */
static void take_suggestion(const char *why, struct label_opts *o)
{
    const char *p = strstr(why, "use at least ");
    double a, c;
    char what[16];
    if (!p) fail_msg("no suggestion in: %s", why);
    if (sscanf(p, "use at least %lf mm height and %lf mm width", &a, &c) == 2) {
        o->height_mm = a;
        o->width_mm = c;
    } else if (sscanf(p, "use at least %lf mm %15s", &a, what) == 2) {
        if (!strcmp(what, "height"))
            o->height_mm = a;
        else
            o->width_mm = a;
    } else {
        fail_msg("cannot read the suggestion: %s", why);
    }
}

static void test_refusals_name_a_size_that_fits(void **state)
{
    (void)state;
    const struct {
        enum label_format f;
        enum label_layout l;
        double w, h;
        int dpi;
        const char *says;
    } cases[] = {
        {LABEL_PNG, LABEL_FULL, 40, 20, 300, "use at least"}, /* text does not fit */
        {LABEL_PNG, LABEL_FULL, 20, 10, 300, "QR modules of 0.25 mm (3 px)"},
        {LABEL_SVG, LABEL_COMPACT, 30, 12, 300, "QR modules of 0.25 mm; they must be at least 0.4"},
        {LABEL_PDF, LABEL_FULL, 60, 40, 300, "beside the QR code"},
        {LABEL_PNG, LABEL_COMPACT, 40, 14, 72, "(1 px); they must be at least 0.4 mm and 2 px"},
        {LABEL_ZPL, LABEL_COMPACT, 40, 16, 203,
         "(3 dots); they must be at least 0.4 mm and 2 dots"},
        {LABEL_SVG, LABEL_COMPACT, 30, 20, 300, "\"Security updates until\" line does not fit"},
        {LABEL_PNG, LABEL_COMPACT, 18, 30, 300, "below the QR code"},
    };
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct label_opts o = opts(cases[i].f, cases[i].l, cases[i].w, cases[i].h, cases[i].dpi);
        struct reg_why why = {""};
        assert_int_equal(label_render(&cam, &o, &b, &why), REG_ENOLABEL);
        if (!strstr(why.text, cases[i].says)) fail_msg("case %zu: %s", i, why.text);
        assert_int_equal(b.len, 0); /* nothing appended */
        take_suggestion(why.text, &o);
        assert_true(o.width_mm >= cases[i].w && o.height_mm >= cases[i].h);
        assert_int_equal(o.height_mm > o.width_mm, cases[i].h > cases[i].w); /* same orientation */
        render_ok(&cam, &o, &b);
        buf_reset(&b);
    }

    /* the same small label prints at 300 dpi, where modules are 5 dots (0.42 mm) */
    struct label_opts o = opts(LABEL_ZPL, LABEL_COMPACT, 40, 16, 300);
    render_ok(&cam, &o, &b);
    assert_true(contains(&b, "^BQN,2,5^"));
    buf_free(&b);
}

static void test_too_small_label_is_refused(void **state)
{
    (void)state;
    struct label_opts o = opts(LABEL_PNG, LABEL_FULL, 400, 200, 1200);
    struct buf b = BUF_INIT;
    struct reg_why why = {""};
    /* 179 million pixels: too big to render as PNG; fine as a vector */
    assert_int_equal(label_render(&cam, &o, &b, &why), REG_ENOLABEL);
    assert_non_null(strstr(why.text, "million pixels"));
    assert_int_equal(b.len, 0);
    o.format = LABEL_PDF;
    render_ok(&cam, &o, &b);

    /* NULL why is allowed; a reason said in pieces is cut, never overrun (why.h) */
    o = opts(LABEL_PNG, LABEL_FULL, 40, 20, 300);
    buf_reset(&b);
    assert_int_equal(label_render(&cam, &o, &b, NULL), REG_ENOLABEL);
    struct reg_why w;
    assert_int_equal(reg_why_set(&w, REG_ENOLABEL, "%s", "x"), REG_ENOLABEL);
    for (int i = 0; i < REG_WHY_MAX; i++)
        reg_why_add(&w, "%s", "0123456789");
    assert_int_equal(strlen(w.text), REG_WHY_MAX - 1);
    reg_why_clear(&w);
    assert_string_equal(reg_why_text(&w), "");
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

/* A reason cut at REG_WHY_MAX ends on a whole UTF-8 character: it goes into JSON bodies. */
static void test_a_reason_is_never_cut_inside_a_character(void **state)
{
    (void)state;
    char euros[3 * REG_WHY_MAX + 1] = "";
    for (int i = 0; i < REG_WHY_MAX; i++)
        strcat(euros, "\u20ac"); /* 3 bytes each: 170 fit in 511, the 171st does not */
    struct reg_why w;
    reg_why_set(&w, REG_EINVALID, "%s", euros);
    assert_int_equal(strlen(w.text), 170 * 3);
    reg_why_set(&w, REG_EINVALID, "a");
    for (int i = 0; i < REG_WHY_MAX; i++)
        reg_why_add(&w, "%s", "\u00e9"); /* 'a' + 255 x 2 bytes fill 511 exactly */
    assert_int_equal(strlen(w.text), REG_WHY_MAX - 1);
    reg_why_set(&w, REG_EINVALID, "%s", "");
    for (int i = 0; i < REG_WHY_MAX; i++)
        reg_why_add(&w, "%s", "\U0001F512"); /* 4 bytes each: 127 fit in 511 */
    assert_int_equal(strlen(w.text), 127 * 4);
}

static void test_long_name_renders_or_is_refused(void **state)
{
    (void)state;
    struct label_info li = cam;
    struct label_opts o;
    struct buf b = BUF_INIT;
    li.product_name = LONG_NAME;
    label_opts_default(&o);
    render_ok(&li, &o, &b);
    assert_png_size(&b, 0, 945, 472);
    o.width_mm = 110; /* a wider label has room for it */
    buf_reset(&b);
    render_ok(&li, &o, &b);
    assert_png_size(&b, 0, 1299, 472);

    /* a name with no place to break, far too long for any label: cut, with "…", on the
     * default label and on a wide one, where more of it fits */
    char name[1200];
    memset(name, 'W', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    li.product_name = name;
    size_t shown[2];
    for (int wide = 0; wide < 2; wide++) {
        o = opts(LABEL_SVG, LABEL_FULL, wide ? 200 : 0, 0, 300);
        buf_reset(&b);
        render_ok(&li, &o, &b);
        const char *w = strstr(buf_cstr(&b), ">WWW");
        assert_non_null(w);
        shown[wide] = strspn(w + 1, "W");
        assert_memory_equal(w + 1 + shown[wide], "\u2026</text>", 10);
        assert_true(contains(&b, ">ID: acme-cam-2<"));
    }
    assert_true(shown[0] > 10 && shown[1] > 2 * shown[0]);

    /* a long e-mail address breaks inside the word (after - or @) rather than being refused */
    struct buf words = BUF_INIT;
    li = cam;
    li.contact = "product-security-incident-response@acme-corporation.example";
    o = opts(LABEL_SVG, LABEL_FULL, 0, 0, 300);
    buf_reset(&b);
    render_ok(&li, &o, &b);
    assert_false(contains(&b, ">Report security problems: product-security-incident-response"));
    assert_true(contains(&b, "-</text>") || contains(&b, "@</text>"));
    svg_words(&b, &words);
    size_t n = 0;
    for (size_t i = 0; i < words.len; i++)
        if (words.data[i] != ' ') words.data[n++] = words.data[i];
    words.data[n] = '\0';
    assert_non_null(
        strstr(words.data, "problems:product-security-incident-response@acme-corporation.example"));
    buf_free(&words);
    buf_free(&b);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    struct reg_why why;
    struct label_info li = cam;
    struct label_opts o;
    label_opts_default(&o);

    assert_int_equal(label_render(NULL, &o, &b, &why), REG_EBADREQ);
    assert_int_equal(label_render(&cam, &o, NULL, &why), REG_EBADREQ);
    li.url = NULL;
    assert_int_equal(label_render(&li, &o, &b, &why), REG_EBADREQ);
    li = cam;
    li.product_name = "  ";
    assert_int_equal(label_render(&li, &o, &b, &why), REG_EBADREQ);
    assert_non_null(strstr(why.text, "product name is missing"));
    li = cam;
    li.support_date = "31/12/2030";
    assert_int_equal(label_render(&li, &o, &b, &why), REG_EBADREQ);
    assert_non_null(strstr(why.text, "YYYY-MM-DD"));
    li = cam;
    li.product_name = "Acme \xff Cam";
    assert_int_equal(label_render(&li, &o, &b, &why), REG_EBADREQ);
    li.product_name = "Acme\nCam";
    assert_int_equal(label_render(&li, &o, &b, &why), REG_EBADREQ);
    li = cam;
    li.contact = "sec\x01@acme.example";
    assert_int_equal(label_render(&li, &o, &b, &why), REG_EBADREQ);
    assert_non_null(strstr(why.text, "security contact"));
    li = cam;
    li.password = "universal";
    assert_int_equal(label_render(&li, &o, &b, &why), REG_EBADREQ);
    assert_non_null(strstr(why.text, "universal default password gets no label"));
    li.password = "hunter2";
    assert_int_equal(label_render(&li, &o, &b, &why), REG_EBADREQ);

    o.dpi = 0;
    assert_int_equal(label_render(&cam, &o, &b, &why), REG_EBADREQ);
    label_opts_default(&o);
    o.ec_level = 'X';
    assert_int_equal(label_render(&cam, &o, &b, &why), REG_EBADREQ);
    label_opts_default(&o);
    o.width_mm = -1;
    assert_int_equal(label_render(&cam, &o, &b, &why), REG_EBADREQ);
    label_opts_default(&o);
    o.format = (enum label_format)9;
    assert_int_equal(label_render(&cam, &o, &b, &why), REG_EBADREQ);
    label_opts_default(&o);
    o.layout = (enum label_layout)9;
    assert_int_equal(label_render(&cam, &o, &b, &why), REG_EBADREQ);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_url_beyond_qr_capacity_is_refused(void **state)
{
    (void)state;
    char url[3000];
    memset(url, 'a', sizeof url - 1);
    url[sizeof url - 1] = '\0';
    const struct label_info li = {
        .url = url, .product_name = "Acme Cam", .support_date = "2030-12-31"};
    struct buf b = BUF_INIT;
    struct reg_why why = {""};
    assert_int_equal(label_render(&li, NULL, &b, &why), REG_ENOLABEL);
    assert_non_null(strstr(why.text, "too long for a QR code"));
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

/* ---- sheets ---- */

/* PDF page objects: "/Type /Page" not followed by "s" (that is /Pages). */
static int count_pages(const struct buf *b)
{
    int n = 0;
    for (size_t i = 0; i + 12 <= b->len; i++)
        if (!memcmp(b->data + i, "/Type /Page", 11) && b->data[i + 11] != 's') n++;
    return n;
}

static void test_sheet_of_100_labels_on_a4(void **state)
{
    (void)state;
    struct label_opts o;
    struct label_sheet *s = NULL;
    struct buf pdf = BUF_INIT;
    struct reg_why why = {"unset"};
    char id[32];
    int cols = 0, rows = 0;
    label_opts_default(&o);
    assert_int_equal(label_sheet_capacity(LABEL_A4, &o, 0, &cols, &rows), 0);
    assert_int_equal(cols, 2); /* 80 x 40 mm labels, 2 mm apart, inside 190 x 277 mm */
    assert_int_equal(rows, 6);

    buf_puts(&pdf, "prefix");
    assert_int_equal(label_sheet_begin(LABEL_A4, &o, 0, &pdf, &s, &why), 0);
    assert_string_equal(why.text, "");
    for (int i = 0; i < 100; i++) {
        struct label_info li = cam;
        snprintf(id, sizeof id, "acme-cam-%d", i);
        li.product_id = id;
        assert_int_equal(label_sheet_add(s, &li, &why), 0);
        if (i == 50) { /* refused labels take no place and leave the sheet usable */
            li.support_date = "soon";
            assert_int_equal(label_sheet_add(s, &li, &why), REG_EBADREQ);
            li = cam;
            li.url = URL "/" LONG_NAME LONG_NAME LONG_NAME LONG_NAME LONG_NAME LONG_NAME LONG_NAME
                LONG_NAME LONG_NAME LONG_NAME LONG_NAME LONG_NAME LONG_NAME LONG_NAME LONG_NAME;
            /* 964 bytes: QR modules of 3 dots on a 40 mm label */
            assert_int_equal(label_sheet_add(s, &li, &why), REG_ENOLABEL);
            assert_non_null(strstr(why.text, "use at least"));
        }
    }
    assert_int_equal(pdf.len, 6); /* nothing until the sheet ends */
    assert_int_equal(label_sheet_end(s), 0);
    assert_memory_equal(pdf.data, "prefix%PDF-", 11);
    assert_true(ends_with(&pdf, "%%EOF\n"));
    assert_int_equal(count_pages(&pdf), (100 + cols * rows - 1) / (cols * rows)); /* 9 */
    buf_free(&pdf);
}

static void test_sheet_crop_marks_and_paper(void **state)
{
    (void)state;
    struct label_opts o = opts(LABEL_PNG, LABEL_COMPACT, 0, 0, 300);
    struct label_sheet *s = NULL;
    struct buf a = BUF_INIT, b = BUF_INIT;
    struct reg_why why;
    int cols, rows;
    /* 40 x 20 mm: A4 takes 4 x 12 with 3 mm gaps for crop marks, Letter 4 x 11 */
    assert_int_equal(label_sheet_capacity(LABEL_A4, &o, 1, &cols, &rows), 0);
    assert_true(cols == 4 && rows == 12);
    assert_int_equal(label_sheet_capacity(LABEL_LETTER, &o, 1, &cols, &rows), 0);
    assert_true(cols == 4 && rows == 11);
    assert_int_equal(label_sheet_capacity(LABEL_A4, &o, 0, &cols, &rows), 0);
    assert_true(cols == 4 && rows == 12);

    /* a sheet is as repeatable as a label */
    struct buf *outs[] = {&a, &b};
    for (int k = 0; k < 2; k++) {
        assert_int_equal(label_sheet_begin(LABEL_LETTER, &o, 1, outs[k], &s, &why), 0);
        for (int i = 0; i < 5; i++)
            assert_int_equal(label_sheet_add(s, &cam, &why), 0);
        assert_int_equal(label_sheet_end(s), 0);
    }
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
    assert_int_equal(count_pages(&a), 1);

    /* a label that does not fit on the paper, or bad options, give no sheet */
    o = opts(LABEL_PDF, LABEL_FULL, 250, 40, 300);
    s = NULL;
    assert_int_equal(label_sheet_capacity(LABEL_A4, &o, 0, &cols, &rows), REG_ENOLABEL);
    assert_int_equal(label_sheet_begin(LABEL_A4, &o, 0, &a, &s, &why), REG_ENOLABEL);
    assert_non_null(strstr(why.text, "does not fit on A4 paper"));
    assert_null(s);
    o.width_mm = -3;
    assert_int_equal(label_sheet_begin(LABEL_A4, &o, 0, &a, &s, &why), REG_EBADREQ);
    assert_int_equal(label_sheet_begin((enum label_paper)7, NULL, 0, &a, &s, &why), REG_EBADREQ);
    assert_null(s);

    /* a sheet without labels appends nothing; abort frees without appending */
    size_t before = a.len;
    assert_int_equal(label_sheet_begin(LABEL_A4, NULL, 0, &a, &s, &why), 0);
    assert_int_equal(label_sheet_end(s), REG_ENOLABEL);
    assert_int_equal(label_sheet_begin(LABEL_A4, NULL, 1, &a, &s, &why), 0);
    assert_int_equal(label_sheet_add(s, &cam, &why), 0);
    label_sheet_abort(s);
    label_sheet_abort(NULL);
    assert_int_equal(a.len, before);
    buf_free(&a);
    buf_free(&b);
}

/* ---- qr.c ---- */

static void test_qr_encode_width(void **state)
{
    (void)state;
    struct qr q;
    assert_int_equal(qr_encode("hello", 'M', &q), 0);
    assert_int_equal(q.width, 21); /* version 1 */
    qr_free(&q);

    assert_int_equal(qr_encode("https://example.com/", 'M', &q), 0);
    assert_int_equal(q.width, 25); /* 20 bytes: version 2 */
    for (int i = 0; i < q.width * q.width; i++)
        assert_true(q.modules[i] == 0 || q.modules[i] == 1);
    for (int i = 0; i < 7; i++) { /* the finder pattern's top edge, then the separator */
        assert_int_equal(q.modules[i], 1);
        assert_int_equal(q.modules[q.width - 1 - i], 1);
    }
    assert_int_equal(q.modules[7], 0);
    qr_free(&q);
    assert_null(q.modules);
    assert_int_equal(q.width, 0);
    qr_free(&q); /* twice is harmless */
    qr_free(NULL);

    /* higher error correction needs a bigger symbol; case is kept (8-bit mode) */
    struct qr l, h;
    assert_int_equal(qr_encode(URL, 'L', &l), 0);
    assert_int_equal(qr_encode(URL, 'H', &h), 0);
    assert_true(h.width > l.width);
    qr_free(&l);
    qr_free(&h);
}

static void test_qr_encode_failures(void **state)
{
    (void)state;
    struct qr q = {99, NULL};
    char *text = malloc(3001);
    assert_non_null(text);
    memset(text, 'x', 3000);
    text[3000] = '\0';
    assert_int_equal(qr_encode(text, 'H', &q), REG_ETOOBIG); /* version 40-H holds 1273 bytes */
    assert_int_equal(q.width, 0);
    assert_null(q.modules);
    qr_free(&q);
    free(text);

    assert_int_equal(qr_encode(NULL, 'M', &q), REG_EBADREQ);
    assert_int_equal(qr_encode("", 'M', &q), REG_EBADREQ);
    assert_int_equal(qr_encode("abc", 'X', &q), REG_EBADREQ);
    assert_int_equal(qr_encode("abc", 'm', &q), REG_EBADREQ);
    assert_null(q.modules);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_size_follows_mm_and_dpi),
        cmocka_unit_test(test_png_is_appended),
        cmocka_unit_test(test_png_records_its_dpi_in_phys),
        cmocka_unit_test(test_every_format_starts_and_ends_right),
        cmocka_unit_test(test_same_input_same_bytes),
        cmocka_unit_test(test_qr_in_png_is_crisp_and_exact),
        cmocka_unit_test(test_full_layout_states_every_promise),
        cmocka_unit_test(test_compact_layout_has_only_the_date),
        cmocka_unit_test(test_qr_layout_is_the_code_alone),
        cmocka_unit_test(test_svg_escapes_text),
        cmocka_unit_test(test_zpl_escapes_field_data),
        cmocka_unit_test(test_refusals_name_a_size_that_fits),
        cmocka_unit_test(test_too_small_label_is_refused),
        cmocka_unit_test(test_a_reason_is_never_cut_inside_a_character),
        cmocka_unit_test(test_long_name_renders_or_is_refused),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_url_beyond_qr_capacity_is_refused),
        cmocka_unit_test(test_sheet_of_100_labels_on_a4),
        cmocka_unit_test(test_sheet_crop_marks_and_paper),
        cmocka_unit_test(test_qr_encode_width),
        cmocka_unit_test(test_qr_encode_failures),
    };
    return cmocka_run_group_tests_name("label", tests, NULL, NULL);
}
