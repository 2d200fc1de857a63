/* mfr.h: manufacturers, the owners of product records, created by the registry operator. */
#ifndef SECLABEL_MFR_H
#define SECLABEL_MFR_H

#include "auth.h"

struct store;

struct mfr_info { /* borrowed strings; contact and website may be NULL */
    const char *slug;
    const char *name;
    const char *contact;
    const char *website;
};

/* Create manufacturer m and its first API token (copied to token_out), in one transaction.
 * REG_EBADSLUG for a bad slug, -EINVAL for an empty name, REG_EEXIST if the slug is taken. */
int mfr_add(struct store *st, const struct mfr_info *m, char token_out[AUTH_TOKEN_LEN + 1]);

#endif
