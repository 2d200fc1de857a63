/* buf.c: the growable byte buffer and the aborting allocators (see buf.h). */
#include "buf.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void oom(void)
{
    reg_logp(LOG_ERR, "out of memory"); /* the program's sink: a stack buffer, no allocation */
    abort();
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) oom();
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) oom();
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom();
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void buf_init(struct buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void buf_free(struct buf *b)
{
    free(b->data);
    buf_init(b);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
}

void buf_reserve(struct buf *b, size_t extra)
{
    size_t need = b->len + extra + 1; /* +1 keeps room for buf_cstr's NUL */
    if (need <= b->cap) return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap *= 2;
    b->data = xrealloc(b->data, cap);
    b->cap = cap;
}

void buf_append(struct buf *b, const void *p, size_t n)
{
    if (n == 0) return;
    buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

void buf_puts(struct buf *b, const char *s)
{
    buf_append(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
    buf_reserve(b, 1);
    b->data[b->len++] = c;
}

size_t buf_fmt_u64(char *out, uint64_t v)
{
    char t[20];
    size_t n = 0;
    do
        t[sizeof t - ++n] = (char)('0' + v % 10);
    while ((v /= 10) != 0);
    memcpy(out, t + sizeof t - n, n);
    return n;
}

void buf_put_u64(struct buf *b, uint64_t v)
{
    buf_reserve(b, 20);
    b->len += buf_fmt_u64(b->data + b->len, v);
}

void buf_put_i64(struct buf *b, int64_t v)
{
    if (v < 0) buf_putc(b, '-');
    buf_put_u64(b, v < 0 ? -(uint64_t)v : (uint64_t)v);
}

size_t buf_fmt_hex(char *out, uint64_t v, int n)
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 2 * n - 1; i >= 0; i--, v >>= 4)
        out[i] = hex[v & 15];
    return (size_t)(2 * n);
}

void buf_put_hex(struct buf *b, uint64_t v, int n)
{
    buf_reserve(b, 16);
    b->len += buf_fmt_hex(b->data + b->len, v, n);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    buf_reserve(b, 64);
    int n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        buf_reserve(b, (size_t)n);
        vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap2);
    }
    b->len += (size_t)n;
    va_end(ap2);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(b, fmt, ap);
    va_end(ap);
}

const char *buf_cstr(struct buf *b)
{
    buf_reserve(b, 0);
    b->data[b->len] = '\0';
    return b->data;
}

char *buf_steal(struct buf *b, size_t *len)
{
    char *p = (char *)buf_cstr(b);
    if (len) *len = b->len;
    buf_init(b);
    return p;
}
