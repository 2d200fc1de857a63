/* api_mirror.c: what a read-only mirror (seclabeld --mirror-of, mirror.h) says over HTTP that a
 * primary does not: writes refused naming the primary, its state and lag in /healthz, and
 * seclabel_mirror_* in /metrics. Every read route answers as on a primary, from the mirror's
 * own database. */
#include "api_int.h"

#include "err.h"
#include "metrics.h"
#include "mirror.h"

#include <stdio.h>

int api_mirror_refuse(struct app *app, const struct http_req *req, struct http_resp *resp)
{
    const char *primary = mirror_primary(app->cfg.mirror);
    struct buf msg = BUF_INIT;
    /* Location: the same request target at the primary (the client sends it there itself: a
     * redirect would make a client resend its token to wherever a mirror points). */
    http_resp_header(resp, "Location", "%s%.*s", primary, (int)req->url.len, req->url.data);
    buf_printf(&msg, "This server is a read-only mirror of %s: send writes to the primary.",
               primary);
    http_resp_error(resp, REG_EREADONLY, buf_cstr(&msg));
    buf_free(&msg);
    return resp->status;
}

int api_mirror_health(struct app *app, size_t products, struct http_resp *resp)
{
    struct mirror_status ms;
    mirror_status(app->cfg.mirror, &ms);
    int stopped =
        ms.state == MIRROR_FORKED || ms.state == MIRROR_DIVERGED || ms.state == MIRROR_UNVERIFIED;
    yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(doc), *m;
    yyjson_mut_doc_set_root(doc, o);
    yyjson_mut_obj_add_str(doc, o, "status", stopped ? mirror_state_name(ms.state) : "ok");
    yyjson_mut_obj_add_uint(doc, o, "products", products);
    m = yyjson_mut_obj_add_obj(doc, o, "mirror");
    yyjson_mut_obj_add_str(doc, m, "primary", mirror_primary(app->cfg.mirror));
    yyjson_mut_obj_add_str(doc, m, "state", mirror_state_name(ms.state));
    yyjson_mut_obj_add_uint(doc, m, "tree_size", ms.tree_size);
    yyjson_mut_obj_add_uint(doc, m, "primary_size", ms.primary_size);
    yyjson_mut_obj_add_uint(doc, m, "entries_behind", ms.entries_behind);
    yyjson_mut_obj_add_real(doc, m, "seconds_behind", (double)(long)(ms.seconds_behind * 10) / 10);
    if (ms.error[0]) yyjson_mut_obj_add_strcpy(doc, m, "error", ms.error);
    yyjson_mut_obj_add_uint(doc, m, "makers_pending", ms.makers_pending);
    if (ms.maker_error[0]) yyjson_mut_obj_add_strcpy(doc, m, "maker_error", ms.maker_error);
    api_cache(resp, API_CACHE_PRIVATE);
    return api_json_doc(resp, stopped ? 503 : 200, doc);
}

/* One sample of /metrics: a family's first sample has its help (the rest of the family, with
 * other labels, NULL); value printed with `decimals` digits after the point. */
struct mirror_metric {
    const char *name, *labels, *type, *help;
    int decimals;
    double value;
};

void api_mirror_metrics(struct app *app, struct buf *out)
{
    struct mirror_status ms;
    mirror_status(app->cfg.mirror, &ms);
    const struct mirror_metric rows[] = {
        {"seclabel_mirror_tree_size", NULL, "gauge",
         "Entries of the primary's log this mirror holds.", 0, (double)ms.tree_size},
        {"seclabel_mirror_primary_tree_size", NULL, "gauge",
         "Entries in the newest checkpoint of the primary this mirror verified.", 0,
         (double)ms.primary_size},
        {"seclabel_mirror_entries_behind", NULL, "gauge",
         "Entries of the newest verified checkpoint this mirror does not hold yet.", 0,
         (double)ms.entries_behind},
        {"seclabel_mirror_seconds_behind", NULL, "gauge",
         "Seconds since this mirror last fetched a checkpoint of the primary and held every "
         "entry of it.",
         3, ms.seconds_behind},
        {"seclabel_mirror_stopped", "reason=\"forked\"", "gauge",
         "1 while the mirror refuses to advance: the primary's log forked, or its entries do "
         "not give the signed tree (diverged).",
         0, ms.state == MIRROR_FORKED},
        {"seclabel_mirror_stopped", "reason=\"diverged\"", NULL, NULL, 0,
         ms.state == MIRROR_DIVERGED},
        {"seclabel_mirror_entries_applied_total", NULL, "counter",
         "Entries of the primary's log replayed into this mirror.", 0, (double)ms.entries_applied},
        {"seclabel_mirror_checkpoints_verified_total", NULL, "counter",
         "Checkpoints of the primary verified (signature and consistency).", 0,
         (double)ms.checkpoints_verified},
        {"seclabel_mirror_errors_total", NULL, "counter",
         "Polls of the primary that failed (unreachable, unverified, forked, diverged).", 0,
         (double)ms.errors},
        {"seclabel_mirror_makers_pending", NULL, "gauge",
         "Makers whose contact and website (not in the log) this mirror has not yet copied from "
         "the primary.",
         0, (double)ms.makers_pending},
        {"seclabel_mirror_maker_fetch_errors_total", NULL, "counter",
         "Failed copies of a maker's contact and website from the primary (each tried again).", 0,
         (double)ms.maker_fetch_errors},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const struct mirror_metric *r = &rows[i];
        if (r->help) metrics_family(out, r->name, r->type, r->help);
        buf_puts(out, r->name);
        if (r->labels) buf_printf(out, "{%s}", r->labels);
        buf_printf(out, " %.*f\n", r->decimals, r->value);
    }
}
