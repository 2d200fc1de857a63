/* cmd_product.c: the manufacturer's product commands: register, show, label. */
#include "cli.h"

#include "assess.h"
#include "decl.h"
#include "reg_limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yyjson.h>

static int need_id(const char *id)
{
    if (decl_id_valid(id, strlen(id))) return 0;
    return cli_usage_error("'%s' is not a product ID (1-64 letters, digits, '.', '_', '-')", id);
}

/* Check the declaration locally with the server's own rules before sending anything. */
static int validate_local(const struct buf *body, const char *path, const char *id)
{
    yyjson_read_err err;
    yyjson_doc *doc = yyjson_read_opts(body->data, body->len, 0, NULL, &err);
    if (!doc) {
        fprintf(stderr, "seclabel: %s is not valid JSON: %s at byte %zu\n", path, err.msg, err.pos);
        return CLI_FAILED;
    }
    struct decl_errors errs;
    int rc = decl_validate(yyjson_doc_get_root(doc), id, &errs);
    yyjson_doc_free(doc);
    if (!rc) return CLI_OK;
    fprintf(stderr, "seclabel: %s has %d problem%s; nothing was sent:\n", path, errs.n,
            errs.n == 1 ? "" : "s");
    cli_print_problems(stderr, &errs);
    return CLI_FAILED;
}

/* The ID from --id, else from the file's "id" field. */
static int find_id(const struct buf *body, const char *flag, char id[DECL_ID_MAX + 1])
{
    if (flag) {
        snprintf(id, DECL_ID_MAX + 1, "%s", flag);
        return need_id(flag);
    }
    yyjson_doc *doc = yyjson_read(body->data, body->len, 0);
    yyjson_val *v = yyjson_obj_get(yyjson_doc_get_root(doc), "id");
    int ok = yyjson_is_str(v) && decl_id_valid(yyjson_get_str(v), yyjson_get_len(v));
    if (ok) snprintf(id, DECL_ID_MAX + 1, "%s", yyjson_get_str(v));
    yyjson_doc_free(doc);
    return ok ? CLI_OK
              : cli_usage_error("the declaration has no valid \"id\" field: give one with --id");
}

/* Print one field's value as compact JSON (or "(none)"), made safe (cli.h). */
static void print_value(yyjson_val *v)
{
    char *s = v ? yyjson_val_write(v, 0, NULL) : NULL;
    cli_put(stdout, s ? s : "(none)");
    free(s);
}

/* One declared field that differs (decl_diff): "  name: a -> b". */
static void print_change(void *ctx, const char *name, yyjson_val *a, yyjson_val *b)
{
    (void)ctx;
    fputs("  ", stdout);
    cli_put(stdout, name);
    fputs(": ", stdout);
    print_value(a);
    printf(" -> ");
    print_value(b);
    putchar('\n');
}

/* The fields an update of `id` to record `nv` would change: against version n-1, the exact
 * record the server compared with (the current one may have moved on since). */
static int print_update(struct client *c, const char *id, yyjson_val *nv)
{
    unsigned long long n = yyjson_get_uint(yyjson_obj_get(nv, "version"));
    char path[DECL_ID_MAX + 48];
    struct client_resp r = {0};
    snprintf(path, sizeof path, "/v1/products/%s/versions/%llu", id, n - 1);
    int rc = n > 1 ? client_request(c, "GET", path, NULL, 0, NULL, &r) : CLI_FAILED;
    if (!rc && r.status != 200) rc = client_report_error(&r);
    yyjson_doc *old = rc ? NULL : yyjson_read(r.body.data, r.body.len, 0);
    if (!rc && !old) {
        fprintf(stderr, "seclabel: the server sent version %llu of %s unreadable\n", n - 1, id);
        rc = CLI_FAILED;
    }
    if (!rc) {
        printf("dry run: would update %s to version %llu (nothing was stored):\n", id, n);
        decl_diff(yyjson_doc_get_root(old), nv, DECL_DIFF_DECLARED, print_change, NULL);
    }
    yyjson_doc_free(old);
    buf_free(&r.body);
    return rc;
}

/* --dry-run: the server runs every check of the real PUT and stores nothing (?dry_run=true);
 * its verdict is printed, and for an update the fields the record it would store changes. */
static int dry_run(struct client *c, const char *id, const struct buf *body, int json)
{
    char path[DECL_ID_MAX + 32];
    struct client_resp r = {0};
    snprintf(path, sizeof path, "/v1/products/%s?dry_run=true", id);
    int rc = client_request(c, "PUT", path, body->data, body->len, "application/json", &r);
    int ok = !rc && (r.status == 200 || r.status == 201);
    if (ok && !r.dry_run) {
        /* A registry that does not know dry runs took this as a real write. */
        fprintf(stderr,
                "seclabel: the server did not answer as a dry run (is it older than this "
                "seclabel?): it may have stored the declaration; see seclabel show %s\n",
                id);
        rc = CLI_FAILED;
    } else if (ok) {
        yyjson_doc *doc = yyjson_read(r.body.data, r.body.len, 0);
        yyjson_val *nv = yyjson_doc_get_root(doc);
        if (json)
            fwrite(r.body.data, 1, r.body.len, stdout); /* the record the server would store */
        else if (r.status == 201)
            printf("dry run: would register %s as version 1 (nothing was stored)\n", id);
        else if (strcmp(r.change, "unchanged") == 0)
            printf("dry run: %s is unchanged (nothing was stored)\n", id);
        else
            rc = print_update(c, id, nv);
        if (nv) cli_warn_state(stderr, nv, "%s", id); /* what the real run would warn */
        yyjson_doc_free(doc);
    } else if (!rc) {
        printf("dry run: the registry would refuse this declaration (nothing was stored)\n");
        rc = client_report_error(&r);
    }
    buf_free(&r.body);
    return rc;
}

int cmd_register(int argc, char **argv, struct client *c)
{
    const char *file = NULL, *idflag = NULL;
    int dry = 0, json = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--id") && i + 1 < argc)
            idflag = argv[++i];
        else if (!strcmp(argv[i], "--dry-run"))
            dry = 1;
        else if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error("register: unknown option %s", argv[i]);
        else if (!file)
            file = argv[i];
        else
            return cli_usage_error("register takes one file");
    }
    if (!file) return cli_usage_error("register needs a declaration file (or - for stdin)");
    struct buf body = BUF_INIT;
    char id[DECL_ID_MAX + 1];
    struct client_resp r = {0};
    int rc = cli_read_file(file, REG_MAX_BODY, &body);
    if (!rc) rc = find_id(&body, idflag, id);
    if (!rc) rc = validate_local(&body, file, idflag ? id : NULL);
    if (!rc && !c->token) {
        fputs("seclabel: register needs an API token, a dry run too: set SECLABEL_TOKEN (or "
              "--token)\n",
              stderr);
        rc = CLI_UNAUTHORISED;
    }
    if (!rc && dry) {
        rc = dry_run(c, id, &body, json);
        buf_free(&body);
        return rc;
    }
    if (!rc) {
        char path[DECL_ID_MAX + 16];
        snprintf(path, sizeof path, "/v1/products/%s", id);
        rc = client_request(c, "PUT", path, body.data, body.len, "application/json", &r);
    }
    if (!rc && (r.status == 200 || r.status == 201)) {
        yyjson_doc *doc = cli_read_safe(r.body.data, r.body.len);
        yyjson_val *root = yyjson_doc_get_root(doc);
        const char *what = r.status == 201                      ? "registered"
                           : strcmp(r.change, "unchanged") == 0 ? "unchanged"
                                                                : "updated";
        if (json)
            fwrite(r.body.data, 1, r.body.len, stdout); /* the stored record, as the server said */
        else
            printf("%s %s (version %llu): %s\n", what, id,
                   (unsigned long long)yyjson_get_uint(yyjson_obj_get(root, "version")),
                   yyjson_get_str(yyjson_obj_get(root, "qr_url"))
                       ? yyjson_get_str(yyjson_obj_get(root, "qr_url"))
                       : "");
        cli_warn_state(stderr, root, "%s", id); /* e.g. a universal default password */
        yyjson_doc_free(doc);
    } else if (!rc) {
        rc = client_report_error(&r);
    }
    buf_free(&r.body);
    buf_free(&body);
    return rc;
}

static void print_field(yyjson_val *rec, const char *label, const char *name)
{
    yyjson_val *v = yyjson_obj_get(rec, name);
    if (yyjson_is_str(v)) printf("%-24s %s\n", label, yyjson_get_str(v));
}

/* The record as people read it, leading with its state (assess.h): nothing a shopper should
 * not rely on is called active or shown in green. */
static void print_record(yyjson_val *rec)
{
    struct assess a;
    assess_record(rec, assess_today(), &a);
    printf("%-24s ", "State:");
    cli_print_state(stdout, &a);
    print_field(rec, "Product:", "product_name");
    print_field(rec, "Model:", "product_model");
    /* The maker as the registry vouches for it: the account's name and its verification. */
    yyjson_val *acct = yyjson_obj_get(rec, "manufacturer_account");
    if (yyjson_is_obj(acct)) {
        print_field(acct, "Manufacturer:", "name");
        const char *on = yyjson_get_str(yyjson_obj_get(acct, "verified_on"));
        printf("%-24s %s%s\n", "Verified by registry:", on ? "yes, on " : "no",
               on ? on : " (the registry has not checked who this maker is)");
    } else {
        print_field(rec, "Manufacturer:", "manufacturer_name");
    }
    print_field(rec, "GTIN:", "gtin");
    const char *sd = yyjson_get_str(yyjson_obj_get(rec, "support_date"));
    if (sd && a.withdrawn) {
        printf("%-24s %s (promised before the record was withdrawn)\n",
               "Security updates until:", sd);
    } else if (sd && a.period_ok) {
        long long n = a.days_left < 0 ? -a.days_left : a.days_left;
        printf("%-24s %s (%s%lld day%s %s)\n", "Security updates until:", sd,
               a.days_left < 0 ? "ended " : "", n, n == 1 ? "" : "s",
               a.days_left < 0 ? "ago" : "left");
    }
    print_field(rec, "Report problems to:", "security_contact");
    print_field(rec, "Default password:", "default_password");
    struct buf broken = BUF_INIT;
    assess_broken(&a, 0, &broken);
    printf("%-24s ", "Baseline promises:");
    if (!a.promises_ok)
        printf("%sNOT all met%s: %s\n", cli_colour(stdout, CLI_RED), cli_colour(stdout, CLI_RESET),
               buf_cstr(&broken));
    else if (a.withdrawn)
        puts("no longer promised: the record is withdrawn");
    else if (!assess_reliable(&a)) /* kept as declared, but the support period is over */
        puts("kept as declared, but its support period is over");
    else
        printf("%sall met%s\n", cli_colour(stdout, CLI_GREEN), cli_colour(stdout, CLI_RESET));
    buf_free(&broken);
    print_field(rec, "Page:", "qr_url");
}

int cmd_show(int argc, char **argv, struct client *c)
{
    const char *id = NULL;
    int json = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!id && argv[i][0] != '-')
            id = argv[i];
        else
            return cli_usage_error("show: unexpected argument %s", argv[i]);
    }
    if (!id) return cli_usage_error("show needs a product ID");
    if (need_id(id)) return CLI_USAGE;
    char path[DECL_ID_MAX + 16];
    snprintf(path, sizeof path, "/v1/products/%s", id);
    struct client_resp r = {0};
    int rc = client_request(c, "GET", path, NULL, 0, NULL, &r);
    if (!rc && r.status == 200) {
        if (json) {
            fwrite(r.body.data, 1, r.body.len, stdout);
        } else {
            yyjson_doc *doc = cli_read_safe(r.body.data, r.body.len);
            print_record(yyjson_doc_get_root(doc));
            yyjson_doc_free(doc);
        }
    } else if (!rc) {
        rc = client_report_error(&r);
    }
    buf_free(&r.body);
    return rc;
}
