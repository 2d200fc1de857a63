/* cmd_query.c: the manufacturer's everyday commands beyond register and show:
 *
 *   seclabel history ID [--json]     the product's state, then every version and what it changed
 *   seclabel search [QUERY] [--support active|ending_soon|ended] [--manufacturer SLUG]
 *                   [--compliant true|false] [--limit N] [--cursor ID] [--json]
 *   seclabel withdraw ID             mark a product withdrawn (needs its owner's token)
 *   seclabel whoami                  the manufacturer the token acts for
 *
 * Human-readable output by default, leading with each product's state (assess.h: withdrawn,
 * not_compliant, ended, ending_soon or active); --json prints the server's JSON unchanged for
 * scripts. */
#include "cli.h"

#include "decl.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>
#include <yyjson.h>

/* GET or POST path; on 200 the parsed body in *doc (raw bytes in *raw if not NULL). */
static int call(struct client *c, const char *method, const char *path, yyjson_doc **doc,
                struct buf *raw)
{
    struct client_resp r = {0};
    int rc = client_request(c, method, path, NULL, 0, NULL, &r);
    if (!rc && r.status != 200) rc = client_report_error(&r);
    if (!rc && raw) buf_append(raw, r.body.data, r.body.len);
    if (!rc && !(*doc = cli_read_safe(r.body.data, r.body.len))) { /* for people: made safe */
        fprintf(stderr, "seclabel: the server's answer is not JSON\n");
        rc = CLI_FAILED;
    }
    buf_free(&r.body);
    return rc;
}

static const char *s(yyjson_val *o, const char *name)
{
    const char *v = yyjson_get_str(yyjson_obj_get(o, name));
    return v ? v : "";
}

/* One positional ID and an optional --json. */
static int id_args(const char *cmd, int argc, char **argv, const char **id, int *json)
{
    *id = NULL;
    if (json) *json = 0;
    for (int i = 0; i < argc; i++) {
        if (json && !strcmp(argv[i], "--json"))
            *json = 1;
        else if (!*id && argv[i][0] != '-')
            *id = argv[i];
        else
            return cli_usage_error("%s: unexpected argument %s", cmd, argv[i]);
    }
    if (!*id) return cli_usage_error("%s needs a product ID", cmd);
    if (!decl_id_valid(*id, strlen(*id))) return cli_usage_error("'%s' is not a product ID", *id);
    return 0;
}

int cmd_history(int argc, char **argv, struct client *c)
{
    const char *id;
    int json;
    if (id_args("history", argc, argv, &id, &json)) return CLI_USAGE;
    char path[DECL_ID_MAX + 32];
    snprintf(path, sizeof path, "/v1/products/%s/versions", id);
    yyjson_doc *doc = NULL;
    struct buf raw = BUF_INIT;
    int rc = call(c, "GET", path, &doc, &raw);
    if (!rc && json) fwrite(raw.data, 1, raw.len, stdout);
    if (!rc && !json) {
        yyjson_val *v, *root = yyjson_doc_get_root(doc);
        size_t i, max;
        /* The product's state today leads (the registry's words, assess.h). */
        yyjson_val *state = yyjson_obj_get(root, "state");
        int st = assess_state_parse(s(state, "name"));
        if (st >= 0)
            printf("%s%s%s: %s\n", cli_colour(stdout, cli_state_colour((enum assess_state)st)),
                   s(state, "name"), cli_colour(stdout, CLI_RESET), s(state, "reason"));
        yyjson_arr_foreach(yyjson_obj_get(root, "versions"), i, max, v)
        {
            printf("version %-3llu %s  %-9s support until %s",
                   (unsigned long long)yyjson_get_uint(yyjson_obj_get(v, "version")),
                   s(v, "modified"), s(v, "kind"), s(v, "support_date"));
            yyjson_val *f;
            size_t j, jmax;
            yyjson_arr_foreach(yyjson_obj_get(v, "changed"), j, jmax, f)
            {
                printf("%s%s", j ? ", " : "  changed: ", yyjson_get_str(f));
            }
            putchar('\n');
        }
    }
    yyjson_doc_free(doc);
    buf_free(&raw);
    return rc;
}

/* Append "&name=<value, URL-encoded>" to q. */
static int add_param(struct buf *q, const char *name, const char *value)
{
    CURL *h = curl_easy_init();
    char *enc = h ? curl_easy_escape(h, value, 0) : NULL;
    if (enc) buf_printf(q, "&%s=%s", name, enc);
    curl_free(enc);
    if (h) curl_easy_cleanup(h);
    return enc ? 0 : CLI_FAILED;
}

int cmd_search(int argc, char **argv, struct client *c)
{
    static const char *const opts[] = {"--support",   "support",   "--manufacturer", "manufacturer",
                                       "--gtin",      "gtin",      "--status",       "status",
                                       "--compliant", "compliant", "--limit",        "limit",
                                       "--cursor",    "cursor"};
    struct buf q = BUF_INIT;
    int json = 0, rc = 0, have_q = 0;
    buf_puts(&q, "/v1/products?");
    for (int i = 0; i < argc && !rc; i++) {
        int known = 0;
        for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k += 2)
            if (!strcmp(argv[i], opts[k])) {
                known = 1;
                if (i + 1 >= argc)
                    rc = cli_usage_error("%s needs a value", argv[i]);
                else
                    rc = add_param(&q, opts[k + 1], argv[++i]);
            }
        if (known || rc) continue;
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (!have_q && argv[i][0] != '-')
            have_q = 1, rc = add_param(&q, "q", argv[i]);
        else
            rc = cli_usage_error("search: unexpected argument %s", argv[i]);
    }
    yyjson_doc *doc = NULL;
    struct buf raw = BUF_INIT;
    if (!rc) rc = call(c, "GET", buf_cstr(&q), &doc, &raw);
    if (!rc && json) fwrite(raw.data, 1, raw.len, stdout);
    if (!rc && !json) {
        yyjson_val *root = yyjson_doc_get_root(doc), *p;
        size_t i, max;
        yyjson_arr_foreach(yyjson_obj_get(root, "items"), i, max, p)
        {
            /* Each line leads with the product's state (assess.h), in its tone's colour. */
            struct assess a;
            assess_record(p, assess_today(), &a);
            printf("%s%-13s%s %-28s until %s  %s\n", cli_colour(stdout, cli_state_colour(a.state)),
                   assess_state_name(a.state), cli_colour(stdout, CLI_RESET), s(p, "id"),
                   s(p, "support_date"), s(p, "product_name"));
        }
        const char *next = yyjson_get_str(yyjson_obj_get(root, "next_cursor"));
        if (next) printf("(more results: add --cursor %s)\n", next);
    }
    yyjson_doc_free(doc);
    buf_free(&raw);
    buf_free(&q);
    return rc;
}

int cmd_withdraw(int argc, char **argv, struct client *c)
{
    const char *id;
    int json;
    if (id_args("withdraw", argc, argv, &id, &json)) return CLI_USAGE;
    if (!c->token) {
        fputs("seclabel: withdraw needs an API token: set SECLABEL_TOKEN (or --token)\n", stderr);
        return CLI_UNAUTHORISED;
    }
    char path[DECL_ID_MAX + 32];
    snprintf(path, sizeof path, "/v1/products/%s/withdraw", id);
    yyjson_doc *doc = NULL;
    struct buf raw = BUF_INIT;
    int rc = call(c, "POST", path, &doc, &raw);
    if (!rc && json)
        fwrite(raw.data, 1, raw.len, stdout);
    else if (!rc)
        printf("withdrawn %s (version %llu); its record stays readable and gets no label\n", id,
               (unsigned long long)yyjson_get_uint(
                   yyjson_obj_get(yyjson_doc_get_root(doc), "version")));
    buf_free(&raw);
    yyjson_doc_free(doc);
    return rc;
}

int cmd_whoami(int argc, char **argv, struct client *c)
{
    int json = argc == 1 && !strcmp(argv[0], "--json");
    if (argc > json) return cli_usage_error("whoami takes only --json");
    if (!c->token) {
        fputs("seclabel: no API token: set SECLABEL_TOKEN (or --token)\n", stderr);
        return CLI_UNAUTHORISED;
    }
    yyjson_doc *doc = NULL;
    struct buf raw = BUF_INIT;
    int rc = call(c, "GET", "/v1/whoami", &doc, &raw);
    if (!rc && json) {
        fwrite(raw.data, 1, raw.len, stdout);
    } else if (!rc) {
        yyjson_val *root = yyjson_doc_get_root(doc);
        printf("manufacturer %s (token %s) at %s\n", s(root, "manufacturer"), s(root, "token_id"),
               c->server);
    }
    yyjson_doc_free(doc);
    buf_free(&raw);
    return rc;
}
