/* web_assets.h: files from web/ compiled into the binary. The build generates web_assets.c
 * from web/ (see build.zig), so the server needs no asset directory at run time. */
#ifndef SECLABEL_WEB_ASSETS_H
#define SECLABEL_WEB_ASSETS_H

#include <stddef.h>

extern const char web_style_css[]; /* web/style.css */
extern const size_t web_style_css_len;
/* web/i18n/<lang>.txt, the pages' strings, one "key = text" per line (see i18n.c): langs.h
 * declares them, one per language. */
#include "langs.h"

#endif
