/* cmd_admin.c: the registry operator's commands, working on the data directory directly
 * (LMDB allows this while seclabeld runs). */
#include "cli.h"

#include "auth.h"
#include "err.h"
#include "mfr.h"
#include "store.h"

#include <stdio.h>
#include <string.h>

static int manufacturer_add(int argc, char **argv)
{
    struct mfr_info m = {0};
    const char *data = "./data";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            if (m.slug) return cli_usage_error("manufacturer add takes one SLUG");
            m.slug = a;
            continue;
        }
        if (!v) return cli_usage_error("%s needs a value", a);
        i++;
        if (!strcmp(a, "--name"))
            m.name = v;
        else if (!strcmp(a, "--contact"))
            m.contact = v;
        else if (!strcmp(a, "--website"))
            m.website = v;
        else if (!strcmp(a, "--data"))
            data = v;
        else
            return cli_usage_error("manufacturer add: unknown option %s", a);
    }
    if (!m.slug || !m.name) return cli_usage_error("usage: manufacturer add SLUG --name NAME");
    struct store *st;
    int rc = store_open(data, &st);
    if (rc) {
        fprintf(stderr, "seclabel: cannot open the database in %s: %s\n", data, reg_strerror(rc));
        return CLI_FAILED;
    }
    char token[AUTH_TOKEN_LEN + 1];
    rc = mfr_add(st, &m, token);
    store_close(st);
    if (rc == REG_EBADSLUG)
        return cli_usage_error("'%s' is not a slug: 1-63 lower-case letters, digits and '-'",
                               m.slug);
    if (rc == REG_EEXIST) {
        fprintf(stderr, "seclabel: manufacturer '%s' already exists\n", m.slug);
        return CLI_FAILED;
    }
    if (rc) {
        fprintf(stderr, "seclabel: cannot add manufacturer '%s': %s\n", m.slug, reg_strerror(rc));
        return CLI_FAILED;
    }
    printf("Created manufacturer '%s' (%s). Its API token, shown only this once:\n%s\n", m.slug,
           m.name, token);
    return CLI_OK;
}

/* Parse "[ARG] [--data DIR]" for the token commands; arg may stay NULL when optional. */
static int token_args(int argc, char **argv, const char **arg, const char **data)
{
    *data = "./data";
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc)
            *data = argv[++i];
        else if (argv[i][0] != '-' && !*arg)
            *arg = argv[i];
        else
            return cli_usage_error("admin token: unexpected argument %s", argv[i]);
    }
    return 0;
}

static int open_store(const char *data, int write, struct store **st, struct store_txn **txn)
{
    int rc = store_open(data, st);
    if (!rc && (rc = store_txn_begin(*st, write, txn))) store_close(*st);
    if (rc)
        fprintf(stderr, "seclabel: cannot open the database in %s: %s\n", data, reg_strerror(rc));
    return rc ? CLI_FAILED : 0;
}

static int print_token(void *ctx, const struct auth_token_info *t)
{
    (void)ctx;
    printf("%s  %-20s created %s%s%s\n", t->id, t->manufacturer, t->created,
           t->revoked ? "  REVOKED " : "", t->revoked ? t->revoked : "");
    return 0;
}

static int token_cmd(const char *verb, int argc, char **argv)
{
    const char *arg = NULL, *data;
    struct store *st;
    struct store_txn *txn;
    char token[AUTH_TOKEN_LEN + 1];
    if (token_args(argc, argv, &arg, &data)) return CLI_USAGE;
    int list = !strcmp(verb, "list");
    if (!list && !arg) return cli_usage_error("admin token %s needs an argument", verb);
    if (strcmp(verb, "issue") && strcmp(verb, "revoke") && !list)
        return cli_usage_error("admin token: expected issue, list or revoke");
    if (open_store(data, !list, &st, &txn)) return CLI_FAILED;
    int rc = list                     ? auth_token_list(txn, arg, print_token, NULL)
             : !strcmp(verb, "issue") ? auth_token_issue_for(txn, arg, token)
                                      : auth_token_revoke(txn, arg);
    if (rc || list)
        store_txn_abort(txn);
    else
        rc = store_txn_commit(txn);
    store_close(st);
    if (rc == REG_ENOTFOUND) {
        fprintf(stderr, "seclabel: no %s '%s'\n", !strcmp(verb, "issue") ? "manufacturer" : "token",
                arg);
        return CLI_FAILED;
    }
    if (rc) {
        fprintf(stderr, "seclabel: admin token %s failed: %s\n", verb, reg_strerror(rc));
        return CLI_FAILED;
    }
    if (!strcmp(verb, "issue"))
        printf("New API token for '%s', shown only this once:\n%s\n", arg, token);
    else if (!list)
        printf("Token %s is revoked.\n", arg);
    return CLI_OK;
}

int cmd_admin(int argc, char **argv, struct client *c)
{
    (void)c;
    if (argc >= 2 && !strcmp(argv[0], "manufacturer") && !strcmp(argv[1], "add"))
        return manufacturer_add(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[0], "token")) return token_cmd(argv[1], argc - 2, argv + 2);
    return cli_usage_error("admin: expected 'manufacturer add SLUG --name NAME' or "
                           "'token issue SLUG | token list [SLUG] | token revoke ID'");
}
