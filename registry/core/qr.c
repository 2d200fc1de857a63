/* qr.c: QR-code encoding with libqrencode (see qr.h). The only file that includes qrencode.h,
 * so the rest of the registry sees a plain module matrix. */
#include "qr.h"

#include "buf.h"
#include "err.h"

#include <errno.h>
#include <limits.h>
#include <qrencode.h>
#include <stdlib.h>
#include <string.h>

static int qr_level(char level, QRecLevel *out)
{
    switch (level) {
    case 'L':
        *out = QR_ECLEVEL_L;
        return 0;
    case 'M':
        *out = QR_ECLEVEL_M;
        return 0;
    case 'Q':
        *out = QR_ECLEVEL_Q;
        return 0;
    case 'H':
        *out = QR_ECLEVEL_H;
        return 0;
    default:
        return REG_EBADREQ;
    }
}

/* libqrencode reports failures through errno; keep the two a caller can act on. */
static int qr_errno(int e)
{
    if (e == ERANGE) return REG_ETOOBIG; /* beyond a version-40 symbol */
    if (e == EINVAL) return REG_EBADREQ;
    return REG_EINTERNAL;
}

int qr_encode(const char *text, char level, struct qr *out)
{
    QRecLevel lv;
    if (!out) return REG_EBADREQ;
    out->width = 0;
    out->modules = NULL;
    if (!text || !*text || qr_level(level, &lv)) return REG_EBADREQ;
    size_t len = strlen(text);
    if (len > INT_MAX) return REG_ETOOBIG;

    errno = 0;
    QRcode *c = QRcode_encodeData((int)len, (const unsigned char *)text, 0, lv);
    if (!c) return qr_errno(errno);
    if (c->width <= 0 || !c->data) {
        QRcode_free(c);
        return REG_EINTERNAL;
    }
    size_t n = (size_t)c->width * (size_t)c->width;
    out->modules = xmalloc(n);
    for (size_t i = 0; i < n; i++)
        out->modules[i] = c->data[i] & 1; /* bit 0 = dark; the other bits are encoder notes */
    out->width = c->width;
    QRcode_free(c);
    return 0;
}

void qr_free(struct qr *q)
{
    if (!q) return;
    free(q->modules);
    q->modules = NULL;
    q->width = 0;
}

void qr_each_run(const struct qr *q, qr_run_fn fn, void *ctx)
{
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
            fn(ctx, y, x0, x);
        }
    }
}
