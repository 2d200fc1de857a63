/* langs.h: the languages the registry speaks, pages and labels alike, in one X-macro: each is
 * web/i18n/<code>.txt, embedded by build.zig (its web_texts lists the same codes, in this order)
 * as web_text_<code>. X(NAME, code, html_lang): the ?lang= and label code, and the HTML lang
 * attribute. The first is the fallback for a word another language lacks. */
#ifndef SECLABEL_LANGS_H
#define SECLABEL_LANGS_H

#define REG_LANGS(X)                                                                               \
    X(EN, en, "en")                                                                                \
    X(DE, de, "de")                                                                                \
    X(ZH, zh, "zh-Hans")

/* How many there are. */
#define REG_LANG_ONE(name, code, html) +1
#define REG_NLANGS (0 REG_LANGS(REG_LANG_ONE))

/* The texts, NUL-terminated (web_assets.c, generated). */
#define REG_LANG_TEXT_DECL(name, code, html) extern const char web_text_##code[];
REG_LANGS(REG_LANG_TEXT_DECL)
#undef REG_LANG_TEXT_DECL

#endif
