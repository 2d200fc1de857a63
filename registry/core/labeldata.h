/* labeldata.h: what a product record puts on its packaging label, shared by the server's label
 * routes and the CLI's sheets so both print the same thing from the same record.
 *
 * Ownership: labeldata_from_record() fills `info` with pointers borrowed from `rec` and from
 * `d` (the caller's struct, which must outlive info's use); nothing is allocated. */
#ifndef SECLABEL_LABELDATA_H
#define SECLABEL_LABELDATA_H

#include "label.h"

#include <stddef.h>
#include <yyjson.h>

struct labeldata {
    char short_url[512]; /* "host/p/<id>": printed for people who cannot scan */
};

/* Fill info from product record rec whose QR code carries qr_url (see api_qr_url), its lang
 * the language of the record's first market (label_market_lang(); "en" without one). Returns
 * REG_ENOLABEL with the reason in why when the product gets no label (withdrawn, or failing a
 * baseline promise: assess.h's states); else 0, with why "" or, for a product nobody should
 * rely on that still gets a label (its security updates ended), the warning to give. why may
 * be NULL (why.h). */
int labeldata_from_record(yyjson_val *rec, const char *qr_url, struct labeldata *d,
                          struct label_info *info, struct reg_why *why);

/* Parse option values as the CLI and the query string give them. 0 or REG_EBADREQ. */
int labeldata_format(const char *s, enum label_format *f);
int labeldata_layout(const char *s, enum label_layout *l);
/* "60x40" (mm) into w and h, each LABEL_MIN_MM..LABEL_MAX_MM. */
int labeldata_size(const char *s, double *w, double *h);
/* The file extension / media type of a format. */
const char *labeldata_ext(enum label_format f);
const char *labeldata_media_type(enum label_format f);

#endif
