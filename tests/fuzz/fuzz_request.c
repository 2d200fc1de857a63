/* fuzz_request.c: libFuzzer target for the whole request path: the input is raw bytes from a
 * client, fed to the HTTP parser wired to the real app (router, handlers, pages, labels) over
 * an LMDB store in a temporary directory, as tests/unit/test_http.c drives it. The app has no
 * defer hook, so writes run inside the request callback.
 *
 * The store holds two manufacturers, acme and nordlicht, with the demo products of
 * schema/examples/demo/. Tokens are random, so the harness puts them into the input: every
 * "TOKEN_A" becomes acme's API token and every "TOKEN_B" nordlicht's, letting the fuzzer (and
 * the seeds) reach the authenticated routes.
 *
 * Each input starts from the same state: a fresh parser and app (empty response and label
 * caches), and, when the previous input wrote anything (the changes feed moved), a store
 * built again from scratch. The store lives under $TMPDIR, else /dev/shm (fast commits).
 * With FUZZ_SHOW set, the responses go to stderr. */
#include "api.h"
#include "auth.h"
#include "buf.h"
#include "http.h"
#include "mfr.h"
#include "changes.h"
#include "product.h"
#include "store.h"
#include "why.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SECLABEL_ROOT
#error "build with -DSECLABEL_ROOT=\"<the project's directory>\" (tests/fuzz/Makefile does)"
#endif

static const struct demo {
    struct mfr_info mfr;
    const char *marker;
    const char *products[3]; /* files under schema/examples/demo/<slug>/, NULL-terminated */
} demos[] = {
    {{"acme", "Acme Devices Ltd", NULL, NULL},
     "TOKEN_A",
     {"acme-cam-2", "acme-hub-2019", "acme-plug-1"}},
    {{"nordlicht", "Nordlicht Haustechnik GmbH", "security@nordlicht.example", NULL},
     "TOKEN_B",
     {"nordlicht-doorbell-1", "nordlicht-thermo-3", NULL}},
};
#define NDEMOS (sizeof demos / sizeof demos[0])

static char dir[256];
static struct store *st;
static char tokens[NDEMOS][AUTH_TOKEN_LEN + 1];
static uint64_t seq0; /* the changes feed's last seq after set-up */
static const char date[] = "Tue, 01 Dec 2026 12:00:00 GMT";
static int show; /* FUZZ_SHOW=1: write the responses to stderr (to look at a seed's answers) */

static void die(const char *what, int rc)
{
    fprintf(stderr, "fuzz_request: %s failed (%d)\n", what, rc);
    abort();
}

static void read_file(const char *path, struct buf *out)
{
    FILE *f = fopen(path, "rb");
    if (!f) die(path, -1);
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(out, chunk, n);
    fclose(f);
}

static uint64_t last_seq(void)
{
    struct store_txn *txn;
    uint64_t seq = 0;
    int rc = store_txn_begin(st, 0, &txn);
    if (rc) die("store_txn_begin", rc);
    if ((rc = changes_last_seq(txn, &seq))) die("changes_last_seq", rc);
    store_txn_abort(txn);
    return seq;
}

/* Record maker slug's GS1 Company Prefixes, as scripts/run does (demo/<slug>/gs1-prefixes.txt). */
static void add_prefixes(const char *slug)
{
    struct buf path = BUF_INIT, text = BUF_INIT;
    buf_printf(&path, "%s/schema/examples/demo/%s/gs1-prefixes.txt", SECLABEL_ROOT, slug);
    read_file(buf_cstr(&path), &text);
    struct reg_why why;
    int changed, rc;
    for (char *save = NULL, *p = strtok_r((char *)buf_cstr(&text), " \n", &save); p;
         p = strtok_r(NULL, " \n", &save))
        if ((rc = mfr_change(st, slug, MFR_PREFIX_ADD, p, &changed, &why))) die(why.text, rc);
    buf_free(&path);
    buf_free(&text);
}

/* A new store in a new directory with the demo manufacturers and products. */
static void store_make(void)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base) base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
    snprintf(dir, sizeof dir, "%s/seclabel-fuzz-XXXXXX", base);
    if (!mkdtemp(dir)) die("mkdtemp", -1);
    int rc = store_open(dir, &st);
    if (rc) die("store_open", rc);
    for (size_t m = 0; m < NDEMOS; m++) {
        if ((rc = mfr_add(st, &demos[m].mfr, tokens[m], NULL))) die("mfr_add", rc);
        add_prefixes(demos[m].mfr.slug);
        for (int i = 0; i < 3 && demos[m].products[i]; i++) {
            struct buf path = BUF_INIT, body = BUF_INIT, record = BUF_INIT;
            buf_printf(&path, "%s/schema/examples/demo/%s/%s.json", SECLABEL_ROOT,
                       demos[m].mfr.slug, demos[m].products[i]);
            read_file(buf_cstr(&path), &body);
            struct decl_errors errs;
            struct product_result res;
            rc = product_put(st, demos[m].mfr.slug, demos[m].products[i], body.data, body.len,
                             PRODUCT_NO_PRECONDITION, &errs, &record, &res);
            if (rc) die(buf_cstr(&path), rc);
            buf_free(&path);
            buf_free(&body);
            buf_free(&record);
        }
    }
    seq0 = last_seq();
}

static void store_drop(void)
{
    store_close(st);
    st = NULL;
    const char *names[] = {"data.mdb", "lock.mdb"};
    for (size_t i = 0; i < 2; i++) {
        char p[300];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    if (rmdir(dir)) perror(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    int rc = app_global_init();
    if (rc) die("app_global_init", rc);
    store_make();
    atexit(store_drop);
    show = getenv("FUZZ_SHOW") != NULL;
    return 0;
}

/* The input with each marker replaced by its token. */
static void substitute(const char *s, size_t n, struct buf *out)
{
    size_t i = 0;
    while (i < n) {
        size_t m = 0;
        while (m < NDEMOS && !(n - i >= 7 && memcmp(s + i, demos[m].marker, 7) == 0))
            m++;
        if (m < NDEMOS) {
            buf_append(out, tokens[m], AUTH_TOKEN_LEN);
            i += 7;
        } else {
            buf_putc(out, s[i++]);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct buf in = BUF_INIT, out = BUF_INIT;
    substitute((const char *)data, size, &in);
    struct app app;
    struct app_config ac = {.st = st, .public_url = "https://labels.example"};
    int rc = app_init(&app, &ac);
    if (rc) die("app_init", rc);
    struct http_parser hp;
    http_parser_init(&hp, app_handle, &app, 1);
    hp.date = date;
    hp.body_limit = api_body_limit;
    /* As a connection does: feed what arrives, here in two reads split in the middle (so
     * requests also end and resume at arbitrary bytes), and stop when the parser asks to
     * close. Nothing defers: without a loop, writes answer at once. */
    const char *bytes = in.data ? in.data : "";
    size_t half = in.len / 2;
    if (http_parser_feed(&hp, bytes, half, &out) == 0 && !hp.waiting)
        http_parser_feed(&hp, bytes + half, in.len - half, &out);
    if (hp.waiting) die("a deferred response without a loop", 0);
    if (show) fwrite(out.data ? out.data : "", 1, out.len, stderr);
    http_parser_free(&hp);
    app_close(&app);
    buf_free(&in);
    buf_free(&out);
    if (last_seq() != seq0) { /* something was written: start the next input afresh */
        store_drop();
        store_make();
    }
    return 0;
}
