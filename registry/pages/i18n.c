/* i18n.c: string tables from web/i18n/<lang>.txt, placeholders, dates and language choice
 * (see i18n.h). The files are tiny "key = text" lists rather than gettext catalogues: the
 * server embeds them at build time and has no locale to install, and the tables are indexed by
 * an enum so a lookup is one array access. */
#include "i18n.h"

#include "err.h"
#include "page.h"
#include "web_assets.h"
#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const key_names[I18N__KEYS] = {
#define X(k) #k,
    I18N_KEYS(X)
#undef X
#define ROW(section, how, key) #key,
#define NO_ROW
        DECL_FIELDS(DECL_PAGE_)
#undef NO_ROW
#undef ROW
};

#define CODE(name, code, html) #code,
#define HTML(name, code, html) html,
static const char *const codes[I18N__LANGS] = {REG_LANGS(CODE)};
static const char *const html_langs[I18N__LANGS] = {REG_LANGS(HTML)};
#undef CODE
#undef HTML
static const char *table[I18N__LANGS][I18N__KEYS];
static int missing[I18N__LANGS];
static int ready;

static int find_key(const char *name, size_t len)
{
    for (int k = 0; k < I18N__KEYS; k++)
        if (strlen(key_names[k]) == len && memcmp(key_names[k], name, len) == 0) return k;
    return REG_ENOTFOUND;
}

/* Parse one file into table[lang]; the strings are copied and kept for the process's life. */
static int parse(enum i18n_lang lang, const char *text)
{
    int lineno = 0;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        /* label.* keys are the packaging labels' (registry/core/label_text.c reads them). */
        if (len && p[0] != '#' && strncmp(p, "label.", 6) != 0) {
            const char *eq = memmem(p, len, " = ", 3);
            int k = eq ? find_key(p, (size_t)(eq - p)) : -1;
            if (k < 0) {
                reg_logf("web/i18n/%s.txt line %d: unknown key or no ' = '", codes[lang], lineno);
                return REG_EINTERNAL;
            }
            table[lang][k] = xstrndup(eq + 3, len - (size_t)(eq + 3 - p));
        }
        p += len + (nl ? 1 : 0);
    }
    return 0;
}

int i18n_init(void)
{
    if (ready) return 0;
#define TEXT(name, code, html) web_text_##code,
    const char *texts[I18N__LANGS] = {REG_LANGS(TEXT)};
#undef TEXT
    for (int l = 0; l < I18N__LANGS; l++)
        if (parse((enum i18n_lang)l, texts[l])) return REG_EINTERNAL;
    for (int k = 0; k < I18N__KEYS; k++) {
        if (!table[I18N_EN][k]) {
            reg_logf("web/i18n/en.txt lacks %s", key_names[k]);
            return REG_EINTERNAL;
        }
        for (int l = 1; l < I18N__LANGS; l++)
            if (!table[l][k]) {
                table[l][k] = table[I18N_EN][k];
                missing[l]++;
            }
    }
    ready = 1;
    return 0;
}

int i18n_missing(enum i18n_lang lang)
{
    return missing[lang];
}

const char *i18n_get(enum i18n_lang lang, enum i18n_key key)
{
    const char *s = table[lang][key];
    return s ? s : table[I18N_EN][key] ? table[I18N_EN][key] : "";
}

void i18n_put(struct buf *out, enum i18n_lang lang, enum i18n_key key)
{
    const char *s = i18n_get(lang, key);
    html_escape(out, s, strlen(s));
}

/* Append text with each {name} replaced through fill(); other text escaped. */
static void expand(struct buf *out, const char *s,
                   const char *(*fill)(const char *name, size_t len, void *ctx), void *ctx)
{
    while (*s) {
        const char *open = strchr(s, '{');
        const char *close = open ? strchr(open, '}') : NULL;
        const char *val = close ? fill(open + 1, (size_t)(close - open - 1), ctx) : NULL;
        if (!val) {
            size_t n = open ? (size_t)(open - s) + 1 : strlen(s);
            html_escape(out, s, n);
            s += n;
            continue;
        }
        html_escape(out, s, (size_t)(open - s));
        buf_puts(out, val);
        s = close + 1;
    }
}

struct args {
    int n;
    const char *const *v;
};

static const char *fill_arg(const char *name, size_t len, void *ctx)
{
    const struct args *a = ctx;
    if (len != 1 || name[0] < '1' || name[0] > '9') return NULL;
    int i = name[0] - '1';
    return i < a->n ? a->v[i] : "";
}

void i18n_fmt(struct buf *out, enum i18n_lang lang, enum i18n_key key, int nargs,
              const char *const *args)
{
    struct args a = {nargs, args};
    expand(out, i18n_get(lang, key), fill_arg, &a);
}

struct date_parts {
    char d[4], m[4], y[8];
    const char *month;
};

static const char *fill_date(const char *name, size_t len, void *ctx)
{
    const struct date_parts *p = ctx;
    if (len == 1 && name[0] == 'd') return p->d;
    if (len == 1 && name[0] == 'm') return p->m;
    if (len == 1 && name[0] == 'y') return p->y;
    if (len == 5 && memcmp(name, "month", 5) == 0) return p->month;
    return NULL;
}

void i18n_date(struct buf *out, enum i18n_lang lang, int64_t day)
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    struct date_parts p;
    snprintf(p.d, sizeof p.d, "%d", tm.tm_mday);
    snprintf(p.m, sizeof p.m, "%d", tm.tm_mon + 1);
    snprintf(p.y, sizeof p.y, "%d", tm.tm_year + 1900);
    /* Month names are plain text from our own files: escape them before they go in. */
    struct buf month = BUF_INIT;
    i18n_put(&month, lang, (enum i18n_key)(I18N_month_1 + tm.tm_mon));
    p.month = buf_cstr(&month);
    expand(out, i18n_get(lang, I18N_date_format), fill_date, &p);
    buf_free(&month);
}

void i18n_span(struct buf *out, enum i18n_lang lang, int64_t days)
{
    long long n;
    enum i18n_key one, other;
    if (days >= 730)
        n = days / 365, one = I18N_years_one, other = I18N_years_other;
    else if (days >= 60)
        n = days / 30, one = I18N_months_one, other = I18N_months_other;
    else
        n = days, one = I18N_days_one, other = I18N_days_other;
    char num[24];
    snprintf(num, sizeof num, "%lld", n);
    const char *args[] = {num};
    i18n_fmt(out, lang, n == 1 ? one : other, 1, args);
}

const char *i18n_code(enum i18n_lang lang)
{
    return codes[lang];
}

const char *i18n_html_lang(enum i18n_lang lang)
{
    return html_langs[lang];
}

static int lang_of(const char *tag, size_t len)
{
    for (int l = 0; l < I18N__LANGS; l++) {
        size_t cl = strlen(codes[l]);
        if (len >= cl && strncasecmp(tag, codes[l], cl) == 0 && (len == cl || tag[cl] == '-'))
            return l;
    }
    return REG_ENOTFOUND;
}

enum i18n_lang i18n_pick(const char *query, const char *accept, size_t alen)
{
    int l;
    if (query && (l = lang_of(query, strlen(query))) >= 0) return (enum i18n_lang)l;
    /* Accept-Language: "de-CH, de;q=0.9, en;q=0.8": the highest q among the ones we have. */
    double best_q = 0;
    int best = I18N_EN;
    for (size_t i = 0; accept && i < alen;) {
        while (i < alen && (accept[i] == ' ' || accept[i] == ','))
            i++;
        size_t start = i;
        while (i < alen && accept[i] != ',' && accept[i] != ';' && accept[i] != ' ')
            i++;
        size_t tag_len = i - start;
        double q = 1;
        while (i < alen && accept[i] != ',') {
            if (accept[i] == 'q' && i + 1 < alen && accept[i + 1] == '=')
                q = strtod(accept + i + 2, NULL);
            i++;
        }
        l = lang_of(accept + start, tag_len);
        if (l >= 0 && q > best_q) {
            best_q = q;
            best = l;
        }
    }
    return (enum i18n_lang)best;
}
