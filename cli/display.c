/* display.c: text from the server (or from a file) made safe to print on a terminal: the one
 * place the CLI's human-readable output goes through (see cli.h). A record stored before the
 * registry refused control characters, or a hostile server, must not be able to retitle,
 * clear or write the clipboard of the terminal (OSC 52) that shows it, nor reorder what it
 * shows with bidirectional controls. Also a product's state as the CLI says it: assess.h's
 * names, order and words, in its tone's colour. */
#include "cli.h"

#include "decl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void cli_safe(struct buf *out, const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t at = i;
        if (s[i] >= 0x20 && s[i] < 0x7f) { /* printable ASCII: as it is */
            buf_putc(out, s[i++]);
            continue;
        }
        unsigned cp = decl_next_char(s, len, &i);
        if (cp >= 0x110000)
            buf_printf(out, "\\x%02x", cp - 0x110000);
        else if (!decl_char_refused(cp))
            buf_append(out, s + at, i - at);
        else if (cp <= 0xffff)
            buf_printf(out, "\\u%04x", cp);
        else
            buf_printf(out, "\\U%08x", cp);
    }
}

void cli_put(FILE *f, const char *s)
{
    struct buf b = BUF_INIT;
    cli_safe(&b, s ? s : "", s ? strlen(s) : 0);
    if (b.len) fwrite(b.data, 1, b.len, f);
    buf_free(&b);
}

/* 1 if cli_safe would change s. */
static int unsafe(const char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned cp = decl_next_char(s, len, &i);
        if (cp >= 0x110000 || decl_char_refused(cp)) return 1;
    }
    return 0;
}

/* Replace every unsafe key and string below v with its safe form (memory from doc). */
static void make_safe(yyjson_mut_doc *doc, yyjson_mut_val *v, struct buf *tmp)
{
    if (yyjson_mut_is_str(v) && unsafe(yyjson_mut_get_str(v), yyjson_mut_get_len(v))) {
        buf_reset(tmp);
        cli_safe(tmp, yyjson_mut_get_str(v), yyjson_mut_get_len(v));
        yyjson_mut_val *copy = yyjson_mut_strncpy(doc, tmp->data, tmp->len);
        yyjson_mut_set_strn(v, yyjson_mut_get_str(copy), tmp->len);
    } else if (yyjson_mut_is_arr(v)) {
        size_t i, max;
        yyjson_mut_val *item;
        yyjson_mut_arr_foreach(v, i, max, item)
        {
            make_safe(doc, item, tmp);
        }
    } else if (yyjson_mut_is_obj(v)) {
        size_t i, max;
        yyjson_mut_val *k, *val;
        yyjson_mut_obj_foreach(v, i, max, k, val)
        {
            make_safe(doc, k, tmp);
            make_safe(doc, val, tmp);
        }
    }
}

yyjson_doc *cli_safe_doc(yyjson_doc *doc)
{
    if (!doc) return NULL;
    yyjson_mut_doc *m = yyjson_doc_mut_copy(doc, NULL);
    struct buf tmp = BUF_INIT;
    make_safe(m, yyjson_mut_doc_get_root(m), &tmp);
    yyjson_doc *out = yyjson_mut_doc_imut_copy(m, NULL);
    buf_free(&tmp);
    yyjson_mut_doc_free(m);
    yyjson_doc_free(doc);
    return out;
}

yyjson_doc *cli_read_safe(const char *json, size_t len)
{
    return cli_safe_doc(yyjson_read(json ? json : "", len, 0));
}

void cli_print_problems(FILE *f, const struct decl_errors *errs)
{
    for (int i = 0; i < errs->n; i++) {
        fputs("  ", f);
        cli_put(f, errs->e[i].path[0] ? errs->e[i].path : "/");
        fputs(": ", f);
        cli_put(f, errs->e[i].why.text);
        fprintf(f, " (%s)\n", errs->e[i].rule);
    }
}

enum cli_colour cli_state_colour(enum assess_state s)
{
    static const enum cli_colour colours[] = {[ASSESS_TONE_GOOD] = CLI_GREEN,
                                              [ASSESS_TONE_WARN] = CLI_YELLOW,
                                              [ASSESS_TONE_BAD] = CLI_RED};
    return colours[assess_state_tone(s)];
}

void cli_print_state(FILE *f, const struct assess *a)
{
    struct buf why = BUF_INIT;
    assess_reason(a, &why);
    fprintf(f, "%s%s%s: %s\n", cli_colour(f, cli_state_colour(a->state)),
            assess_state_name(a->state), cli_colour(f, CLI_RESET), buf_cstr(&why));
    buf_free(&why);
}

int cli_warn_state(FILE *f, yyjson_val *rec, const char *fmt, ...)
{
    struct assess a;
    assess_record(rec, assess_today(), &a);
    if (assess_reliable(&a)) return 0;
    struct buf who = BUF_INIT, why = BUF_INIT;
    va_list ap;
    va_start(ap, fmt);
    buf_vprintf(&who, fmt, ap);
    va_end(ap);
    assess_reason(&a, &why);
    buf_putc(&why, ' ');
    assess_follows(&a, &why);
    fprintf(f, "seclabel: %swarning%s: ", cli_colour(f, CLI_RED), cli_colour(f, CLI_RESET));
    cli_put(f, buf_cstr(&who));
    fprintf(f, ": %s\n", buf_cstr(&why));
    buf_free(&who);
    buf_free(&why);
    return 1;
}
