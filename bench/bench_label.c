/* bench_label.c: labels per second, rendered in-process by label.c exactly as the server and the
 * CLI render them (a distinct URL per label so nothing is reused). Run by bench/labels, which
 * compares the QR-only row with the qrencode CLI.
 *
 *   zig-out/bench/bench_label [N]   (built by `zig build bench`)   (default 200 labels per row)
 *
 * Rows: each format with the full layout at its default size (80 x 40 mm, 300 dpi); "qr-png",
 * the QR code alone as the qrencode CLI draws it by default (3 px modules, a 4-module margin,
 * level L: 19 x 19 mm at 150 dpi is 112 px for the 37 modules of these URLs); and "sheet100",
 * 100 compact labels on A4 pages as one PDF (the seconds column is the time for the sheet). */
#include "label.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Label i's info; url and id are the caller's buffers. */
static struct label_info info_for(int i, char url[96], char id[32])
{
    snprintf(id, 32, "bench-%06d", i);
    snprintf(url, 96, "https://labels.example.com/p/%s", id);
    return (struct label_info){.url = url,
                               .product_name = "Acme Indoor Security Camera 2",
                               .product_model = "AC-200",
                               .support_date = "2031-12-31",
                               .product_id = id,
                               .contact = "security@acme.example",
                               .password = "unique_per_device",
                               .short_url = "labels.example.com/p/bench"};
}

/* n labels with options o; prints one row. */
static int row(const char *name, const struct label_opts *o, int n)
{
    size_t bytes = 0;
    double t0 = now();
    for (int i = 0; i < n; i++) {
        char url[96], id[32];
        struct reg_why why;
        struct label_info info = info_for(i, url, id);
        struct buf out = BUF_INIT;
        if (label_render(&info, o, &out, &why)) {
            fprintf(stderr, "bench_label: %s: %s\n", name, why.text);
            return 1;
        }
        bytes += out.len;
        buf_free(&out);
    }
    double s = now() - t0;
    printf("%-8s  %6d  %7.3f  %8.1f  %11zu\n", name, n, s, n / s, bytes / (size_t)n);
    return 0;
}

/* 100 compact labels (40 x 20 mm, 48 to a page) on A4 pages with crop marks, as one PDF. */
static int sheet(void)
{
    struct label_opts o;
    label_opts_default(&o);
    o.layout = LABEL_COMPACT;
    struct buf out = BUF_INIT;
    struct label_sheet *sh;
    struct reg_why why;
    double t0 = now();
    if (label_sheet_begin(LABEL_A4, &o, 1, &out, &sh, &why)) {
        fprintf(stderr, "bench_label: sheet: %s\n", why.text);
        return 1;
    }
    for (int i = 0; i < 100; i++) {
        char url[96], id[32];
        struct label_info info = info_for(i, url, id);
        if (label_sheet_add(sh, &info, &why)) {
            fprintf(stderr, "bench_label: sheet: %s\n", why.text);
            label_sheet_abort(sh);
            return 1;
        }
    }
    if (label_sheet_end(sh)) return 1;
    double s = now() - t0;
    printf("%-8s  %6d  %7.3f  %8.1f  %11zu\n", "sheet100", 100, s, 100 / s, out.len / 100);
    buf_free(&out);
    return 0;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200;
    static const char *const names[] = {"png", "svg", "pdf", "zpl"};
    if (n <= 0) n = 200;
    printf("what      labels  seconds  labels/s  bytes/label\n");
    struct label_opts o;
    for (int f = 0; f < 4; f++) {
        label_opts_default(&o);
        o.format = (enum label_format)f;
        if (row(names[f], &o, n)) return 1;
    }
    label_opts_default(&o);
    o.layout = LABEL_QR;
    o.width_mm = o.height_mm = 19;
    o.dpi = 150;
    o.ec_level = 'L';
    if (row("qr-png", &o, n * 5)) return 1;
    return sheet();
}
