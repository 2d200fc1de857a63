/* buf.h: a growable byte buffer, the one string builder every module uses.
 *
 * Ownership: a struct buf owns its data. buf_init() makes an empty buffer that owns nothing;
 * buf_free() releases the memory and leaves an empty buffer. Out-of-memory aborts the process
 * (as redis' zmalloc and h2o's h2o_mem_alloc do): callers never check allocation results. */
#ifndef SECLABEL_BUF_H
#define SECLABEL_BUF_H

#include <stdarg.h>
#include <stddef.h>

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
