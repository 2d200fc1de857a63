/* label_text.c: the words printed on labels, in the languages of the pages: the label.* keys of
 * web/i18n/<lang>.txt (embedded by build.zig, see label_int.h), read once, on first use, into a
 * table indexed by language and word. A word a language lacks is printed in English; English
 * must have them all. label.markets lists the markets whose labels default to the language. */
#include "label_int.h"

#include "err.h"
#include "log.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CODE(name, code, html) #code,
static const char *const label_lang_codes[LABEL__LANGS] = {REG_LANGS(CODE)};
#undef CODE

static const char *const label_word_names[LABEL__WORDS] = {
#define X(w) #w,
    LABEL__WORD_LIST(X)
#undef X
};

static struct {
    pthread_once_t once;
    int rc;
    const char *word[LABEL__LANGS][LABEL__WORDS];
    const char *markets[LABEL__LANGS]; /* "DE AT CH", or NULL */
    char list[8 * LABEL__LANGS];       /* "en, de, zh" */
} label_text = {.once = PTHREAD_ONCE_INIT};

/* One file's label.* lines into the table; the strings are kept for the process's life. */
static int label_text_parse(int lang, const char *text)
{
    for (const char *p = text; *p;) {
        size_t len = strcspn(p, "\n");
        const char *eq = memmem(p, len, " = ", 3);
        if (len > 6 && strncmp(p, "label.", 6) == 0) {
            int w = -1;
            size_t klen = eq ? (size_t)(eq - p) - 6 : 0;
            for (int k = 0; eq && k < LABEL__WORDS; k++)
                if (strlen(label_word_names[k]) == klen &&
                    !memcmp(label_word_names[k], p + 6, klen))
                    w = k;
            char *v = eq ? xstrndup(eq + 3, len - (size_t)(eq + 3 - p)) : NULL;
            if (eq && klen == 7 && !memcmp(p + 6, "markets", 7))
                label_text.markets[lang] = v;
            else if (w >= 0)
                label_text.word[lang][w] = v;
            else {
                free(v);
                reg_logf("web/i18n/%s.txt: unknown label key or no ' = ': %.*s",
                         label_lang_codes[lang], (int)len, p);
                return REG_EINTERNAL;
            }
        }
        p += len + (p[len] == '\n');
    }
    return 0;
}

static void label_text_load(void)
{
#define TEXT(name, code, html) web_text_##code,
    const char *texts[LABEL__LANGS] = {REG_LANGS(TEXT)};
#undef TEXT
    for (int l = 0; l < LABEL__LANGS; l++) {
        if (l) strcat(label_text.list, ", ");
        strcat(label_text.list, label_lang_codes[l]);
    }
    for (int l = 0; l < LABEL__LANGS && !label_text.rc; l++)
        label_text.rc = label_text_parse(l, texts[l]);
    for (int w = 0; w < LABEL__WORDS && !label_text.rc; w++) {
        if (!label_text.word[0][w]) {
            reg_logf("web/i18n/en.txt lacks label.%s", label_word_names[w]);
            label_text.rc = REG_EINTERNAL;
        }
        for (int l = 1; l < LABEL__LANGS; l++)
            if (!label_text.word[l][w]) label_text.word[l][w] = label_text.word[0][w];
    }
}

int label__words_ready(void)
{
    pthread_once(&label_text.once, label_text_load);
    return label_text.rc;
}

const char *label__word(int lang, enum label__word w)
{
    return label_text.word[lang][w];
}

int label_lang(const char *code)
{
    for (int l = 0; code && l < LABEL__LANGS; l++)
        if (!strcmp(code, label_lang_codes[l])) return l;
    return REG_EBADREQ;
}

const char *label_lang_code(int lang)
{
    return label_lang_codes[lang];
}

const char *label_lang_list(void)
{
    label__words_ready();
    return label_text.list;
}

const char *label_market_lang(const char *country)
{
    size_t n = country ? strlen(country) : 0;
    if (n == 0 || label__words_ready()) return label_lang_codes[0];
    for (int l = 1; l < LABEL__LANGS; l++)
        for (const char *m = label_text.markets[l]; m && *m;) {
            size_t len = strcspn(m, " ");
            if (len == n && !strncasecmp(m, country, n)) return label_lang_codes[l];
            m += len + (m[len] == ' ');
        }
    return label_lang_codes[0];
}
