/* labeldata.c: record -> label content and label option parsing (see labeldata.h). */
#include "labeldata.h"

#include "assess.h"
#include "buf.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *str(yyjson_val *rec, const char *name)
{
    return yyjson_get_str(yyjson_obj_get(rec, name));
}

int labeldata_from_record(yyjson_val *rec, const char *qr_url, struct labeldata *d,
                          struct label_info *info, struct reg_why *why)
{
    const char *id = str(rec, "id");
    struct assess a;
    struct buf words = BUF_INIT;
    int rc = 0;
    assess_record(rec, assess_today(), &a);
    memset(info, 0, sizeof *info);
    reg_why_clear(why);
    if (a.withdrawn) {
        rc = reg_why_set(why, REG_ENOLABEL, "Product '%s' is withdrawn: it gets no label.",
                         id ? id : "?");
    } else if (!a.promises_ok) {
        assess_broken(&a, 0, &words);
        rc = reg_why_set(why, REG_ENOLABEL,
                         "Product '%s' fails a baseline security requirement (%s): it gets no "
                         "label.",
                         id ? id : "?", buf_cstr(&words));
    } else if (!assess_reliable(&a)) { /* made, but nobody should rely on the product */
        assess_reason(&a, &words);
        reg_why_set(why, 0, "%s Shoppers should not rely on it.", buf_cstr(&words));
    }
    buf_free(&words);
    if (rc) return rc;
    /* The short URL: the QR URL's host, then /p/<id>. */
    const char *host = strstr(qr_url, "://");
    host = host ? host + 3 : qr_url;
    size_t hl = strcspn(host, "/");
    snprintf(d->short_url, sizeof d->short_url, "%.*s/p/%s", (int)hl, host, id ? id : "");
    info->url = qr_url;
    info->product_name = str(rec, "product_name");
    info->product_model = str(rec, "product_model");
    info->support_date = str(rec, "support_date");
    info->product_id = id;
    info->contact = str(rec, "security_contact");
    info->password = str(rec, "default_password");
    info->short_url = d->short_url;
    /* The words in the language of the first market, where labels there are printed in one
     * we have (label_market_lang); a caller's choice replaces it. */
    info->lang =
        label_market_lang(yyjson_get_str(yyjson_arr_get_first(yyjson_obj_get(rec, "markets"))));
    return 0;
}

static const char *const formats[] = {"png", "svg", "pdf", "zpl"};
static const char *const media[] = {"image/png", "image/svg+xml", "application/pdf",
                                    "application/zpl; charset=utf-8"};

int labeldata_format(const char *s, enum label_format *f)
{
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, formats[i])) {
            *f = (enum label_format)i;
            return 0;
        }
    return REG_EBADREQ;
}

int labeldata_layout(const char *s, enum label_layout *l)
{
    if (!strcmp(s, "full"))
        *l = LABEL_FULL;
    else if (!strcmp(s, "compact"))
        *l = LABEL_COMPACT;
    else if (!strcmp(s, "qr"))
        *l = LABEL_QR;
    else
        return REG_EBADREQ;
    return 0;
}

int labeldata_size(const char *s, double *w, double *h)
{
    char *end;
    double a = strtod(s, &end);
    if (end == s || (*end != 'x' && *end != 'X')) return REG_EBADREQ;
    const char *rest = end + 1;
    double b = strtod(rest, &end);
    if (end == rest || *end || !(a >= LABEL_MIN_MM && a <= LABEL_MAX_MM) ||
        !(b >= LABEL_MIN_MM && b <= LABEL_MAX_MM))
        return REG_EBADREQ;
    *w = a;
    *h = b;
    return 0;
}

const char *labeldata_ext(enum label_format f)
{
    return formats[f];
}

const char *labeldata_media_type(enum label_format f)
{
    return media[f];
}
