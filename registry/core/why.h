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

#define REG_WHY_MAX                                                                                \
    512 /* bytes of a reason, with its NUL; longer reasons are cut (never                          \
         * inside a UTF-8 character) */

struct reg_why {
    char text[REG_WHY_MAX]; /* "" until a reason is set */
};

/* After vsnprintf filled w->text to its end (a reason cut short), drop a UTF-8 character it cut
 * in the middle, so that the reason stays valid UTF-8 for a JSON body or a terminal. */
static inline void reg_why__cut(struct reg_why *w, int written, size_t from)
{
    size_t n = sizeof w->text - 1;
    if (written < 0 || from + (size_t)written <= n) return;
    size_t i = n;
    while (i > from && ((unsigned char)w->text[i - 1] & 0xC0) == 0x80)
        i--; /* back over continuation bytes to the character's first byte */
    if (i > from && (unsigned char)w->text[i - 1] >= 0xC0) {
        unsigned char lead = (unsigned char)w->text[i - 1];
        size_t len = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
        if (n - (i - 1) < len) w->text[i - 1] = '\0'; /* incomplete: cut before it */
    }
}

/* Set w's reason from a printf format (w may be NULL: nothing is kept). Returns rc, so that a
 * refusal reads `return reg_why_set(why, REG_EINVALID, "...", ...);`. */
static inline int reg_why_set(struct reg_why *w, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int reg_why_set(struct reg_why *w, int rc, const char *fmt, ...)
{
    if (!w) return rc;
    va_list ap;
    va_start(ap, fmt);
    reg_why__cut(w, vsnprintf(w->text, sizeof w->text, fmt, ap), 0);
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
    reg_why__cut(w, vsnprintf(w->text + n, sizeof w->text - n, fmt, ap), n);
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
