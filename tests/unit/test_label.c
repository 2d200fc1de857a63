/* test_label.c: unit tests for qr.c and label.c: the PNG a label printer receives has the size
 * the label was ordered at, holds a crisp QR code of exactly the URL, is byte-for-byte
 * repeatable, and labels that cannot be printed are refused with a reason. */
#include "buf.h"
#include "err.h"
#include "label.h"
#include "qr.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairo.h>
#include <cmocka.h>

#define URL "http://127.0.0.1:8080/p/acme-cam-2"
#define LONG_NAME "Acme SmartHome Indoor Security Camera Pro 2 with Night Vision"

static const struct label_info cam = {URL, "Acme Cam 2", "ACM-CAM-2", "2030-12-31", "acme-cam-2"};

static uint32_t be32(const char *p)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)u[0] << 24 | (uint32_t)u[1] << 16 | (uint32_t)u[2] << 8 | u[3];
}

/* Render a label that must succeed, appending it to out; why must come back empty. */
static void render_ok(const struct label_info *li, const struct label_opts *o, struct buf *out)
{
    char why[256] = "unset";
    int rc = label_render_png(li, o, out, why, sizeof why);
    if (rc) fail_msg("label_render_png: %d (%s)", rc, why);
    assert_string_equal(why, "");
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
    assert_int_equal(p[25], 2); /* truecolour, no alpha */
}

static void test_png_size_follows_mm_and_dpi(void **state)
{
    (void)state;
    struct label_opts o;
    struct buf b = BUF_INIT;
    label_opts_default(&o);
    assert_true(o.width_mm == 60 && o.height_mm == 30 && o.dpi == 300 && o.ec_level == 'M');
    render_ok(&cam, &o, &b);
    assert_png_size(&b, 0, 709, 354); /* 60 mm and 30 mm at 300 dpi, rounded */

    o = (struct label_opts){80, 30, 203, 'Q'}; /* 639.4 x 239.8 px */
    buf_reset(&b);
    render_ok(&cam, &o, &b);
    assert_png_size(&b, 0, 639, 240);

    buf_reset(&b); /* NULL opts means the defaults */
    render_ok(&cam, NULL, &b);
    assert_png_size(&b, 0, 709, 354);
    buf_free(&b);
}

static void test_png_is_appended(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    buf_puts(&b, "HTTP body: ");
    render_ok(&cam, NULL, &b);
    assert_memory_equal(b.data, "HTTP body: ", 11);
    assert_png_size(&b, 11, 709, 354);
    buf_free(&b);
}

static void test_same_input_same_bytes(void **state)
{
    (void)state;
    struct buf a = BUF_INIT, b = BUF_INIT;
    render_ok(&cam, NULL, &a);
    render_ok(&cam, NULL, &b);
    assert_int_equal(a.len, b.len);
    assert_memory_equal(a.data, b.data, a.len);
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
static void test_qr_in_png_is_crisp_and_exact(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    struct qr q;
    render_ok(&cam, NULL, &b);
    assert_int_equal(qr_encode(URL, 'M', &q), 0);

    struct png_reader r = {&b, 0};
    cairo_surface_t *s = cairo_image_surface_create_from_png_stream(png_read, &r);
    assert_int_equal(cairo_surface_status(s), CAIRO_STATUS_SUCCESS);
    int w = cairo_image_surface_get_width(s), h = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *px = cairo_image_surface_get_data(s);
    assert_int_equal(w, 709);

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
    assert_true(m >= 5); /* 0.4 mm at 300 dpi is 4.7 px */
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
    buf_free(&b);
}

static void test_too_small_label_is_refused(void **state)
{
    (void)state;
    struct label_opts o = {20, 10, 300, 'M'};
    struct buf b = BUF_INIT;
    char why[256] = "";
    assert_int_equal(label_render_png(&cam, &o, &b, why, sizeof why), REG_ENOLABEL);
    assert_true(strlen(why) > 0);
    assert_non_null(strstr(why, "QR modules"));
    assert_non_null(strstr(why, "use at least"));
    assert_int_equal(b.len, 0); /* nothing appended */

    o = (struct label_opts){40, 20, 300, 'M'}; /* QR fits, the text does not */
    why[0] = '\0';
    assert_int_equal(label_render_png(&cam, &o, &b, why, sizeof why), REG_ENOLABEL);
    assert_non_null(strstr(why, "use at least"));
    assert_int_equal(b.len, 0);

    o = (struct label_opts){400, 400, 1200, 'M'}; /* 357 million pixels: too big to render */
    assert_int_equal(label_render_png(&cam, &o, &b, why, sizeof why), REG_ENOLABEL);
    assert_non_null(strstr(why, "million pixels"));
    o = (struct label_opts){40, 20, 300, 'M'};

    /* a tiny why buffer is truncated, not overrun; NULL why is allowed */
    char tiny[8];
    assert_int_equal(label_render_png(&cam, &o, &b, tiny, sizeof tiny), REG_ENOLABEL);
    assert_int_equal(strlen(tiny), 7);
    assert_int_equal(label_render_png(&cam, &o, &b, NULL, 0), REG_ENOLABEL);
    buf_free(&b);
}

static void test_suggested_size_works(void **state)
{
    (void)state;
    const struct label_info li = {URL, "Acme Cam", NULL, "2030-12-31", NULL};
    struct label_opts o = {30, 12, 300, 'M'};
    struct buf b = BUF_INIT;
    char why[256];
    assert_int_equal(label_render_png(&li, &o, &b, why, sizeof why), REG_ENOLABEL);
    const char *p = strstr(why, "use at least ");
    assert_non_null(p);
    double h = 0, w = 0;
    assert_int_equal(sscanf(p, "use at least %lf mm height and %lf mm width", &h, &w), 2);
    o.width_mm = w;
    o.height_mm = h;
    render_ok(&li, &o, &b);
    buf_free(&b);
}

static void test_long_name_renders_or_is_refused(void **state)
{
    (void)state;
    const struct label_info li = {URL, LONG_NAME, "ACM-CAM-2", "2030-12-31", "acme-cam-2"};
    struct label_opts o;
    struct buf b = BUF_INIT;
    char why[256] = "";
    label_opts_default(&o);
    int rc = label_render_png(&li, &o, &b, why, sizeof why);
    if (rc == 0) {
        assert_png_size(&b, 0, 709, 354);
    } else {
        assert_int_equal(rc, REG_ENOLABEL);
        assert_non_null(strstr(why, "product name"));
        assert_int_equal(b.len, 0);
    }
    o.width_mm = 100; /* a wider label has room for it */
    buf_reset(&b);
    render_ok(&li, &o, &b);
    assert_png_size(&b, 0, 1181, 354);

    /* a name with no place to break, far too long for any label */
    char name[1200];
    memset(name, 'W', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    const struct label_info huge = {URL, name, NULL, "2030-12-31", NULL};
    buf_reset(&b);
    assert_int_equal(label_render_png(&huge, &o, &b, why, sizeof why), REG_ENOLABEL);
    assert_non_null(strstr(why, "product name"));
    buf_free(&b);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    char why[256];
    struct label_info li = cam;
    struct label_opts o;
    label_opts_default(&o);

    assert_int_equal(label_render_png(NULL, &o, &b, why, sizeof why), -EINVAL);
    li.url = NULL;
    assert_int_equal(label_render_png(&li, &o, &b, why, sizeof why), -EINVAL);
    li = cam;
    li.product_name = "";
    assert_int_equal(label_render_png(&li, &o, &b, why, sizeof why), -EINVAL);
    li = cam;
    li.support_date = "31/12/2030";
    assert_int_equal(label_render_png(&li, &o, &b, why, sizeof why), -EINVAL);
    assert_non_null(strstr(why, "YYYY-MM-DD"));
    li = cam;
    li.product_name = "Acme \xff Cam";
    assert_int_equal(label_render_png(&li, &o, &b, why, sizeof why), -EINVAL);
    li.product_name = "Acme\nCam";
    assert_int_equal(label_render_png(&li, &o, &b, why, sizeof why), -EINVAL);

    o.dpi = 0;
    assert_int_equal(label_render_png(&cam, &o, &b, why, sizeof why), -EINVAL);
    label_opts_default(&o);
    o.ec_level = 'X';
    assert_int_equal(label_render_png(&cam, &o, &b, why, sizeof why), -EINVAL);
    label_opts_default(&o);
    o.width_mm = -1;
    assert_int_equal(label_render_png(&cam, &o, &b, why, sizeof why), -EINVAL);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_url_beyond_qr_capacity_is_refused(void **state)
{
    (void)state;
    char url[3000];
    memset(url, 'a', sizeof url - 1);
    url[sizeof url - 1] = '\0';
    const struct label_info li = {url, "Acme Cam", NULL, "2030-12-31", NULL};
    struct buf b = BUF_INIT;
    char why[256] = "";
    assert_int_equal(label_render_png(&li, NULL, &b, why, sizeof why), REG_ENOLABEL);
    assert_non_null(strstr(why, "too long for a QR code"));
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

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
    assert_int_equal(qr_encode(text, 'H', &q), -ERANGE); /* version 40-H holds 1273 bytes */
    assert_int_equal(q.width, 0);
    assert_null(q.modules);
    qr_free(&q);
    free(text);

    assert_int_equal(qr_encode(NULL, 'M', &q), -EINVAL);
    assert_int_equal(qr_encode("", 'M', &q), -EINVAL);
    assert_int_equal(qr_encode("abc", 'X', &q), -EINVAL);
    assert_int_equal(qr_encode("abc", 'm', &q), -EINVAL);
    assert_null(q.modules);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_size_follows_mm_and_dpi),
        cmocka_unit_test(test_png_is_appended),
        cmocka_unit_test(test_same_input_same_bytes),
        cmocka_unit_test(test_qr_in_png_is_crisp_and_exact),
        cmocka_unit_test(test_too_small_label_is_refused),
        cmocka_unit_test(test_suggested_size_works),
        cmocka_unit_test(test_long_name_renders_or_is_refused),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_url_beyond_qr_capacity_is_refused),
        cmocka_unit_test(test_qr_encode_width),
        cmocka_unit_test(test_qr_encode_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
