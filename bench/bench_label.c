/* bench_label.c: labels per second for each format, rendered in-process by label.c exactly as
 * the server and the CLI render them (full layout, default size, a distinct URL per label so
 * nothing is reused). Run by bench/labels, which compares it with the qrencode CLI.
 *
 *   zig-out/bench/bench_label [N]   (default 200 labels per format) */
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

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 200;
    static const char *const names[] = {"png", "svg", "pdf", "zpl"};
    if (n <= 0) n = 200;
    printf("format  labels  seconds  labels/s  bytes/label\n");
    for (int f = 0; f < 4; f++) {
        struct label_opts o;
        label_opts_default(&o);
        o.format = (enum label_format)f;
        size_t bytes = 0;
        double t0 = now();
        for (int i = 0; i < n; i++) {
            char url[96], id[32], why[256];
            snprintf(id, sizeof id, "bench-%06d", i);
            snprintf(url, sizeof url, "https://labels.example.com/p/%s", id);
            struct label_info info = {.url = url,
                                      .product_name = "Acme Indoor Security Camera 2",
                                      .product_model = "AC-200",
                                      .support_date = "2031-12-31",
                                      .product_id = id,
                                      .contact = "security@acme.example",
                                      .password = "unique_per_device",
                                      .short_url = "labels.example.com/p/bench"};
            struct buf out = BUF_INIT;
            if (label_render(&info, &o, &out, why, sizeof why)) {
                fprintf(stderr, "bench_label: %s: %s\n", names[f], why);
                return 1;
            }
            bytes += out.len;
            buf_free(&out);
        }
        double s = now() - t0;
        printf("%-6s  %6d  %7.3f  %8.1f  %11zu\n", names[f], n, s, n / s, bytes / (size_t)n);
    }
    return 0;
}
