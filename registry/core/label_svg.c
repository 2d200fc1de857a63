/* label_svg.c: a label plan as SVG, written by hand.
 *
 * Why not cairo's SVG surface: it turns every glyph into an outline path, so the label's words
 * would no longer be text that a designer's tool, a search or a screen reader can read, and the
 * file grows. Here the text stays text: one <text> element per line, XML-escaped, in
 * "DejaVu Sans, Verdana, sans-serif", with textLength set to the advance cairo measured in
 * DejaVu Sans and lengthAdjust="spacingAndGlyphs", so a renderer that has to use another font
 * squeezes or stretches the line to the same width and can never overflow the label.
 *
 * User units are millimetres (viewBox = the label's size, width and height in mm). The QR code
 * is one <path> of horizontal runs, every corner written as an absolute coordinate so that
 * edges shared by two rows are the same number and no hairline gap can open between them. */
#include "label_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* A length in mm, from dots: up to 4 decimals, trailing zeros dropped (deterministic). */
static void svg_num(struct buf *b, const struct label__plan *p, double dots)
{
    char tmp[64];
    double mm = dots * LABEL__MM_PER_INCH / p->dpi;
    int n = snprintf(tmp, sizeof tmp, "%.4f", fabs(mm) < 5e-5 ? 0.0 : mm);
    while (n > 0 && tmp[n - 1] == '0')
        n--;
    if (n > 0 && tmp[n - 1] == '.') n--;
    buf_append(b, tmp, (size_t)n);
}

static void svg_escape(struct buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        switch (s[i]) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, "&quot;");
            break;
        case '\'':
            buf_puts(b, "&#39;");
            break;
        default:
            buf_putc(b, s[i]);
        }
    }
}

struct svg_qr_ctx {
    struct buf *b;
    const struct label__plan *p;
};

/* One run of dark modules as a closed rectangle of the code's path. */
static void svg_qr_run(void *ctx, int y, int x0, int x1)
{
    const struct svg_qr_ctx *c = ctx;
    const struct label__plan *p = c->p;
    int m = p->module;
    buf_putc(c->b, 'M');
    svg_num(c->b, p, p->qr_x + x0 * m);
    buf_putc(c->b, ',');
    svg_num(c->b, p, p->qr_y + y * m);
    buf_putc(c->b, 'H');
    svg_num(c->b, p, p->qr_x + x1 * m);
    buf_putc(c->b, 'V');
    svg_num(c->b, p, p->qr_y + (y + 1) * m);
    buf_putc(c->b, 'H');
    svg_num(c->b, p, p->qr_x + x0 * m);
    buf_putc(c->b, 'Z');
}

static void svg_qr(struct buf *b, const struct label__plan *p)
{
    struct svg_qr_ctx c = {b, p};
    buf_puts(b, "<path fill=\"#000\" shape-rendering=\"crispEdges\" d=\"");
    qr_each_run(&p->qr, svg_qr_run, &c);
    buf_puts(b, "\"/>\n");
}

static void svg_text(struct buf *b, const struct label__plan *p)
{
    buf_puts(b, "<g font-family=\"DejaVu Sans, Verdana, sans-serif\" fill=\"#000\">\n");
    for (int k = 0; k < p->ntexts; k++) {
        const struct label__text *t = &p->text[k];
        for (int i = 0; i < t->nlines; i++) {
            const struct label__line *l = &t->line[i];
            buf_puts(b, "<text x=\"");
            svg_num(b, p, p->text_x);
            buf_puts(b, "\" y=\"");
            svg_num(b, p, l->base);
            buf_puts(b, "\" font-size=\"");
            svg_num(b, p, t->size);
            buf_puts(b, t->bold ? "\" font-weight=\"bold" : "");
            buf_puts(b, "\" textLength=\"");
            svg_num(b, p, l->advance);
            buf_puts(b, "\" lengthAdjust=\"spacingAndGlyphs\">");
            svg_escape(b, l->s, l->len);
            buf_puts(b, "</text>\n");
        }
    }
    buf_puts(b, "</g>\n");
}

void label__svg(const struct label__plan *p, struct buf *out)
{
    char w[32], h[32];
    snprintf(w, sizeof w, "%g", p->width_mm);
    snprintf(h, sizeof h, "%g", p->height_mm);
    buf_printf(out,
               "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
               "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%smm\" "
               "height=\"%smm\" viewBox=\"0 0 %s %s\">\n"
               "<rect width=\"%s\" height=\"%s\" fill=\"#fff\"/>\n",
               w, h, w, h, w, h);
    svg_qr(out, p);
    svg_text(out, p);
    buf_puts(out, "</svg>\n");
}
