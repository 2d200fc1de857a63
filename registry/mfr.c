/* mfr.c: creating manufacturers (see mfr.h). */
#include "mfr.h"

#include "date.h"
#include "decl.h"
#include "err.h"
#include "store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yyjson.h>

static char *mfr_json(const struct mfr_info *m, size_t *len)
{
    char now[21];
    date_rfc3339(time(NULL), now);
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(doc);
    yyjson_mut_doc_set_root(doc, o);
    yyjson_mut_obj_add_str(doc, o, "slug", m->slug);
    yyjson_mut_obj_add_str(doc, o, "name", m->name);
    if (m->contact) yyjson_mut_obj_add_str(doc, o, "contact", m->contact);
    if (m->website) yyjson_mut_obj_add_str(doc, o, "website", m->website);
    yyjson_mut_obj_add_str(doc, o, "status", "active");
    yyjson_mut_obj_add_str(doc, o, "created", now);
    char *s = yyjson_mut_write(doc, 0, len);
    yyjson_mut_doc_free(doc);
    return s;
}

int mfr_add(struct store *st, const struct mfr_info *m, char token_out[AUTH_TOKEN_LEN + 1])
{
    if (!m->slug || !decl_slug_valid(m->slug, strlen(m->slug))) return REG_EBADSLUG;
    if (!m->name || !*m->name) return -EINVAL;
    size_t len;
    char *json = mfr_json(m, &len);
    if (!json) return REG_EINTERNAL;
    struct store_txn *txn;
    int rc = store_txn_begin(st, 1, &txn);
    if (rc) goto out;
    rc =
        store_put(txn, STORE_MANUFACTURERS, m->slug, strlen(m->slug), json, len, STORE_NOOVERWRITE);
    if (!rc) rc = auth_token_issue(txn, m->slug, token_out);
    if (rc)
        store_txn_abort(txn);
    else
        rc = store_txn_commit(txn);
out:
    free(json);
    return rc;
}
