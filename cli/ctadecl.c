/* ctadecl.c: CTA-2120 documents to declarations (see ctadecl.h). */
#include "ctadecl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Fields copied unchanged: the same name and meaning in CTA-2120 and our declaration. */
static const char *const same_fields[] = {
    "product_name",
    "product_model",
    "manufacturer_name",
    "version_and_model_numbers",
    "support_date",
    "authorization_date",
    "security_contact",
    "security_update_information",
    "security_update_information_other",
    "access_control",
    "sensor_data_collection",
    "securing_this_product",
    "delete_data",
    "account_deactivation",
    "encryption_and_key_management",
    "general_user_information",
    "sbom_hbom_maintained",
    "authorized_by",
    "tested_by",
};

/* The path of an http(s) URL (from the first '/' after the host), or NULL. */
static const char *url_path(const char *url)
{
    const char *p = url ? strstr(url, "://") : NULL;
    return p ? strchr(p + 3, '/') : NULL;
}

void ctadecl_keys(yyjson_val *doc, char id[DECL_ID_MAX + 1], char gtin14[15])
{
    id[0] = gtin14[0] = '\0';
    const char *path = url_path(yyjson_get_str(yyjson_obj_get(doc, "QR_code_url")));
    if (!path) return;
    size_t len = strcspn(path, "?#");
    const char *p = memmem(path, len, "/p/", 3);
    if (p && path + len - (p + 3) <= DECL_ID_MAX && decl_id_valid(p + 3, path + len - (p + 3))) {
        memcpy(id, p + 3, (size_t)(path + len - (p + 3)));
        id[path + len - (p + 3)] = '\0';
        return;
    }
    const char *g = memmem(path, len, "/01/", 4);
    if (!g) return;
    size_t glen = strspn(g + 4, "0123456789");
    if (g + 4 + glen <= path + len && decl_gtin_normalize(g + 4, glen, gtin14) != 0)
        gtin14[0] = '\0';
}

void ctadecl_model_id(yyjson_val *doc, const char *ns, char id[DECL_ID_MAX + 1])
{
    const char *s = yyjson_get_str(yyjson_obj_get(doc, "product_model"));
    if (!s || !*s) s = yyjson_get_str(yyjson_obj_get(doc, "product_name"));
    size_t n0 = strlen(ns), n = n0;
    id[0] = '\0';
    if (n0 >= DECL_ID_MAX) return;
    memcpy(id, ns, n0);
    for (; s && *s && n < DECL_ID_MAX; s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_')
            id[n++] = c;
        else if (n && id[n - 1] != '-')
            id[n++] = '-';
    }
    while (n > n0 && id[n - 1] == '-')
        n--;
    id[n] = '\0';
    if (n == n0 || !decl_id_valid(id, n)) id[0] = '\0'; /* the model gave nothing */
}

/* Our default_password from access_control, else the caller's; NULL if neither decides. */
static const char *default_password(yyjson_val *doc, const char *given)
{
    yyjson_val *ac = yyjson_obj_get(doc, "access_control");
    yyjson_val *fd = yyjson_obj_get(ac, "password_factory_default");
    if (yyjson_equals_str(yyjson_obj_get(ac, "password_type"), "user_generated"))
        return "user_defined";
    if (yyjson_equals_str(fd, "no_control") || yyjson_equals_str(fd, "no_account"))
        return "no_password";
    return given;
}

int ctadecl_to_decl(yyjson_val *doc, const char *id, const char *gtin14, const char *default_pw,
                    struct buf *out, char *why, size_t whylen)
{
    if (!yyjson_is_obj(doc)) {
        snprintf(why, whylen, "not a CTA-2120 document (a JSON object)");
        return -1;
    }
    const char *pw = default_password(doc, default_pw);
    yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_mut_obj(d);
    yyjson_mut_doc_set_root(d, o);
    yyjson_mut_obj_add_strcpy(d, o, "id", id);
    for (size_t i = 0; i < sizeof same_fields / sizeof same_fields[0]; i++) {
        yyjson_val *v = yyjson_obj_get(doc, same_fields[i]);
        if (!v && !strcmp(same_fields[i], "sbom_hbom_maintained"))
            v = yyjson_obj_get(doc, "sbom_hbom_available");
        if (v) yyjson_mut_obj_add_val(d, o, same_fields[i], yyjson_val_mut_copy(d, v));
    }
    if (gtin14 && gtin14[0]) yyjson_mut_obj_add_strcpy(d, o, "gtin", gtin14);
    if (pw) yyjson_mut_obj_add_strcpy(d, o, "default_password", pw);
    size_t len = 0;
    char *json = yyjson_mut_write(d, 0, &len);
    yyjson_mut_doc_free(d);
    if (!json) {
        snprintf(why, whylen, "out of memory");
        return -1;
    }
    buf_append(out, json, len);
    free(json);
    return 0;
}

/* Our fields that CTA-2120 has no place for. */
static const char *const ours_only[] = {"gtin", "markets", "support_start",
                                        "vulnerability_disclosure_policy", "default_password"};

void ctadecl_fill(yyjson_val *decl, yyjson_val *cur, struct buf *out)
{
    yyjson_mut_doc *d = yyjson_mut_doc_new(NULL);
    yyjson_mut_val *o = yyjson_val_mut_copy(d, decl);
    yyjson_mut_doc_set_root(d, o);
    for (size_t i = 0; cur && i < sizeof ours_only / sizeof ours_only[0]; i++) {
        yyjson_val *v = yyjson_obj_get(cur, ours_only[i]);
        if (v && !yyjson_obj_get(decl, ours_only[i]))
            yyjson_mut_obj_add_val(d, o, ours_only[i], yyjson_val_mut_copy(d, v));
    }
    size_t len = 0;
    char *json = yyjson_mut_write(d, 0, &len);
    yyjson_mut_doc_free(d);
    if (json) buf_append(out, json, len);
    free(json);
}
