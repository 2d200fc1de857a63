/* buf.h: a growable byte buffer, the one string builder every module uses.
 *
 * Ownership: a struct buf owns its data. buf_init() makes an empty buffer that owns nothing;
 * buf_free() releases the memory and leaves an empty buffer. Out-of-memory aborts the process
 * (as redis' zmalloc and h2o's h2o_mem_alloc do): callers never check allocation results. */
#ifndef SECLABEL_BUF_H
#define SECLABEL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct buf {
    char *data; /* NULL while cap == 0 */
    size_t len;
    size_t cap;
};

#define BUF_INIT                                                                                   \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

void buf_init(struct buf *b);
void buf_free(struct buf *b);
/* Forget the contents but keep the memory for reuse. */
void buf_reset(struct buf *b);
/* Make room for at least `extra` more bytes. */
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
/* v in decimal (as "%llu", "%lld"), and the low n bytes of v (n 1..8) as 2*n lowercase hex
 * digits, zero-padded (n 4: as "%08x"): small appenders for answers made on every request,
 * where printf's format parsing showed in profiles (issue 15). */
void buf_put_u64(struct buf *b, uint64_t v);
void buf_put_i64(struct buf *b, int64_t v);
void buf_put_hex(struct buf *b, uint64_t v, int n);
/* The same into out (no NUL): at most 20 bytes for buf_fmt_u64, 2*n for buf_fmt_hex; both
 * return the number of bytes written. */
size_t buf_fmt_u64(char *out, uint64_t v);
size_t buf_fmt_hex(char *out, uint64_t v, int n);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* NUL-terminate (not counted in len) and return the data; valid until the next change. */
const char *buf_cstr(struct buf *b);
/* Hand the data to the caller (free() it); the buffer is left empty. */
char *buf_steal(struct buf *b, size_t *len);

/* malloc/realloc/strdup that abort on out-of-memory. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

#endif
