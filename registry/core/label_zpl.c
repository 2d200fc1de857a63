/* label_zpl.c: a label plan as ZPL II, for Zebra and compatible thermal printers.
 *
 * One format, ^XA ... ^XZ: ^CI28 (field data is UTF-8), ^PW/^LL the label's size in dots at the
 * plan's dpi, ^LH0,0. The printer encodes and draws the QR code itself: ^FO at the code's
 * top-left corner, ^BQN,2,<dots per module> (model 2; the layout keeps the magnification
 * within 2..10, which every firmware accepts), and ^FD<level>A,<url>: the error-correction
 * letter, automatic input mode, a comma, the URL. Automatic mode picks the densest encoding,
 * so the symbol is no larger than libqrencode's 8-bit one the layout made room for (zplkit, a
 * ZPL renderer, draws the same version for our URLs).
 *
 * Firmware prints a ^FO-placed QR code lower by the bar-code height of ^BY, which persists on
 * the printer from job to job (Labelary and the emulators that copy it agree; zplkit renders it
 * one dot less). So the format pins ^BY2,3,10 (the power-up values, harmless to later jobs) and
 * raises ^FO by those 10 dots, clamped at the label's top edge.
 *
 * Text uses the printer's scalable font 0 (^A0N,h,w, h = w = the font size in dots). Font 0
 * (CG Triumvirate Bold Condensed) is narrower than DejaVu Sans, in which every line was
 * measured, so a line never needs more room than the layout gave it. Each text is one field
 * block: ^FT at the baseline of its last line (^FT with ^FB positions the last line), ^FB
 * <column width>,<lines>,<extra line spacing>,L,0, lines joined by \&, so the printer breaks
 * exactly where the layout did.
 *
 * Characters font 0 cannot print: a line holding any character outside printable Latin-1
 * (U+0020..U+007E, U+00A0..U+00FF) is drawn by us, not the printer, as a ^GF graphic field.
 * With ^CI28 font 0 prints Latin-1 on every firmware; some newer firmware adds WGL4 (Greek,
 * Cyrillic, "…"), but none has Chinese, Japanese or Korean, and a character the printer lacks
 * prints as nothing or a box with no error, so only Latin-1 is trusted to the printer. The line
 * is rendered by label_cairo.c exactly as in the PNG (same fonts, fontconfig fallback, pixels;
 * a dot is black where ink covers half of it), cropped to its ink and placed with ^FO at its
 * top-left dot: ^GFA,<bytes>,<bytes>,<bytes per row>,<ASCII hex, uncompressed>. Uncompressed
 * hex is 2 characters per 8 dots: a 6 pt line across an 80 x 40 mm label's text column is
 * about 3 KB at 300 dpi. A text block with such a line is written line by line, each other line
 * in font 0 as its own one-line ^FB field at its baseline; blocks of Latin-1 only are one field
 * as before.
 *
 * Escaping: field data may not hold ^ or ~ (command prefixes). A field that has either starts
 * with ^FH_, and ^, ~ and _ are written as _5E, _7E and _5F; other fields are written as they
 * are. In ^FB text a backslash starts an escape (a lone one vanishes), so it is written as \\;
 * font 0 still draws that byte as a cent sign unless ^CI13 is in force, which UTF-8 (^CI28)
 * excludes. Control characters never reach here (label.c refuses them). */
#include "label_int.h"

#include "err.h"

#include <stdio.h>
#include <string.h>

#define ZPL_PITCH 1.15 /* line spacing, em, as in label.c */
#define ZPL_QR_SINK 10 /* dots a ^FO-placed QR code prints lower: ^BY's height, pinned below */

static int zpl_special(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '^' || s[i] == '~') return 1;
    return 0;
}

/* s[0..n) as field data; hex: the field has ^FH_. */
static void zpl_data(struct buf *b, const char *s, size_t n, int hex, int block)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (hex && (c == '^' || c == '~' || c == '_'))
            buf_printf(b, "_%02X", (unsigned char)c);
        else if (c == '\\' && block)
            buf_puts(b, "\\\\");
        else
            buf_putc(b, c);
    }
}

static int zpl_round(double v)
{
    return (int)(v + 0.5);
}

/* Can font 0 print every character of s[0..n)? Printable ASCII, and U+00A0..U+00FF (in UTF-8,
 * C2 A0..BF and C3 80..BF). label.c has checked that s is valid UTF-8 without controls. */
static int zpl_font_has(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n; i++) {
        if (u[i] < 0x80) continue;
        if (i + 1 >= n || !(u[i] == 0xc3 || (u[i] == 0xc2 && u[i + 1] >= 0xa0))) return 0;
        i++;
    }
    return 1;
}

/* One field of text t's lines [first, first + count) in font 0, at the last one's baseline. */
static void zpl_text(const struct label__plan *p, const struct label__text *t, int first, int count,
                     struct buf *out)
{
    int h = zpl_round(t->size), pitch = zpl_round(ZPL_PITCH * t->size), hex = 0;
    for (int i = first; i < first + count; i++)
        hex |= zpl_special(t->line[i].s, t->line[i].len);
    buf_printf(out, "^FT%d,%d^A0N,%d,%d^FB%d,%d,%d,L,0%s^FD", p->text_x,
               t->line[first + count - 1].base, h, h, p->text_w, count, pitch - h,
               hex ? "^FH_" : "");
    for (int i = first; i < first + count; i++) {
        if (i > first) buf_puts(out, "\\&");
        zpl_data(out, t->line[i].s, t->line[i].len, hex, 1);
    }
    buf_puts(out, "^FS\n");
}

/* Line i of text t as a ^GF graphic field (nothing if it has no ink). */
static int zpl_graphic(const struct label__plan *p, const struct label__text *t, int i,
                       struct buf *out)
{
    static const char hexdigit[] = "0123456789ABCDEF";
    struct label__bits b;
    int rc = label__line_bits(p, t, i, &b);
    if (rc == 0 && b.data.len > 0) {
        buf_printf(out, "^FO%d,%d^GFA,%zu,%zu,%d,", b.x, b.y, b.data.len, b.data.len, b.stride);
        buf_reserve(out, 2 * b.data.len + 4);
        for (size_t k = 0; k < b.data.len; k++) {
            unsigned char c = (unsigned char)b.data.data[k];
            buf_putc(out, hexdigit[c >> 4]);
            buf_putc(out, hexdigit[c & 15]);
        }
        buf_puts(out, "^FS\n");
    }
    buf_free(&b.data);
    return rc;
}

/* Text t: one field if font 0 has all of it, else line by line. */
static int zpl_block(const struct label__plan *p, const struct label__text *t, struct buf *out)
{
    int all = 1, rc = 0;
    for (int i = 0; i < t->nlines; i++)
        all &= zpl_font_has(t->line[i].s, t->line[i].len);
    if (all) {
        zpl_text(p, t, 0, t->nlines, out);
        return 0;
    }
    for (int i = 0; rc == 0 && i < t->nlines; i++) {
        if (zpl_font_has(t->line[i].s, t->line[i].len))
            zpl_text(p, t, i, 1, out);
        else
            rc = zpl_graphic(p, t, i, out);
    }
    return rc;
}

int label__zpl(const struct label__plan *p, struct buf *out)
{
    int qr_y = p->qr_y > ZPL_QR_SINK ? p->qr_y - ZPL_QR_SINK : 0, rc = 0;
    buf_printf(out, "^XA\n^CI28\n^PW%d\n^LL%d\n^LH0,0\n^BY2,3,%d\n", p->w, p->h, ZPL_QR_SINK);
    size_t n = strlen(p->url);
    int hex = zpl_special(p->url, n);
    buf_printf(out, "^FO%d,%d^BQN,2,%d%s^FD%cA,", p->qr_x, qr_y, p->module, hex ? "^FH_" : "",
               p->ec_level);
    zpl_data(out, p->url, n, hex, 0);
    buf_puts(out, "^FS\n");
    for (int k = 0; rc == 0 && k < p->ntexts; k++)
        rc = zpl_block(p, &p->text[k], out);
    buf_puts(out, "^XZ\n");
    return rc == 0 ? 0 : REG_EINTERNAL;
}
