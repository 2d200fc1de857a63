/* why.h: the one way a module says why it refused something. The function returns a negative
 * REG_E* code (err.h), which says what kind of refusal it is; a struct reg_why beside it says
 * why in words a person can act on ("the product-ID namespace 'acme-' overlaps ..."). Callers
 * that only need the code pass NULL.
 *
 * Header-only (a few lines) so that every module can use it without a source of its own.
 *
 * Ownership: the caller owns the struct (usually on its stack); the text lives inside it. */
#ifndef SECLABEL_WHY_H
#define SECLABEL_WHY_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define REG_WHY_MAX 512 /* bytes of a reason, with its NUL; longer reasons are cut */

struct reg_why {
    char text[REG_WHY_MAX]; /* "" until a reason is set */
};

/* Set w's reason from a printf format (w may be NULL: nothing is kept). Returns rc, so that a
 * refusal reads `return reg_why_set(why, REG_EINVALID, "...", ...);`. */
static inline int reg_why_set(struct reg_why *w, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int reg_why_set(struct reg_why *w, int rc, const char *fmt, ...)
{
    if (!w) return rc;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->text, sizeof w->text, fmt, ap);
    va_end(ap);
    return rc;
}

/* Append to w's reason (w may be NULL), for a reason said in pieces ("...; use at least ..."). */
static inline void reg_why_add(struct reg_why *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static inline void reg_why_add(struct reg_why *w, const char *fmt, ...)
{
    if (!w) return;
    size_t n = strnlen(w->text, sizeof w->text - 1);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->text + n, sizeof w->text - n, fmt, ap);
    va_end(ap);
}

/* Forget w's reason (w may be NULL): a function that may set one starts so. */
static inline void reg_why_clear(struct reg_why *w)
{
    if (w) w->text[0] = '\0';
}

/* w's reason, or "" (also for NULL). */
static inline const char *reg_why_text(const struct reg_why *w)
{
    return w ? w->text : "";
}

#endif
