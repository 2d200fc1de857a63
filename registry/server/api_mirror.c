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
    yyjson_mut_obj_add_uint(doc, m, "entries_behind",
                            ms.primary_size > ms.tree_size ? ms.primary_size - ms.tree_size : 0);
    yyjson_mut_obj_add_real(doc, m, "seconds_behind", (double)(long)(ms.seconds_behind * 10) / 10);
    if (ms.error[0]) yyjson_mut_obj_add_strcpy(doc, m, "error", ms.error);
    api_cache(resp, API_CACHE_PRIVATE);
    return api_json_doc(resp, stopped ? 503 : 200, doc);
}

void api_mirror_metrics(struct app *app, struct buf *out)
{
    struct mirror_status ms;
    mirror_status(app->cfg.mirror, &ms);
    metrics_sample(out, "seclabel_mirror_tree_size", "gauge",
                   "Entries of the primary's log this mirror holds.", ms.tree_size);
    metrics_sample(out, "seclabel_mirror_primary_tree_size", "gauge",
                   "Entries in the newest checkpoint of the primary this mirror verified.",
                   ms.primary_size);
    metrics_sample(out, "seclabel_mirror_entries_behind", "gauge",
                   "Entries of the newest verified checkpoint this mirror does not hold yet.",
                   ms.primary_size > ms.tree_size ? ms.primary_size - ms.tree_size : 0);
    metrics_family(out, "seclabel_mirror_seconds_behind", "gauge",
                   "Seconds since this mirror last fetched a checkpoint of the primary and held "
                   "every entry of it.");
    buf_printf(out, "seclabel_mirror_seconds_behind %.3f\n", ms.seconds_behind);
    metrics_family(out, "seclabel_mirror_stopped", "gauge",
                   "1 while the mirror refuses to advance: the primary's log forked, or its "
                   "entries do not give the signed tree (diverged).");
    buf_printf(out, "seclabel_mirror_stopped{reason=\"forked\"} %d\n", ms.state == MIRROR_FORKED);
    buf_printf(out, "seclabel_mirror_stopped{reason=\"diverged\"} %d\n",
               ms.state == MIRROR_DIVERGED);
    metrics_sample(out, "seclabel_mirror_entries_applied_total", "counter",
                   "Entries of the primary's log replayed into this mirror.", ms.entries_applied);
    metrics_sample(out, "seclabel_mirror_checkpoints_verified_total", "counter",
                   "Checkpoints of the primary verified (signature and consistency).",
                   ms.checkpoints_verified);
    metrics_sample(out, "seclabel_mirror_errors_total", "counter",
                   "Polls of the primary that failed (unreachable, unverified, forked, "
                   "diverged).",
                   ms.errors);
}
