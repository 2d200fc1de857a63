/* cmd_admin.c: the registry operator's commands, working on the data directory directly
 * (LMDB allows this while seclabeld runs). */
#include "cli.h"

#include "admin.h"
#include "auth.h"
#include "err.h"
#include "mfr.h"
#include "store.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* "[ARG] [--data DIR]" for commands that take at most one argument. */
static int open_data(int argc, char **argv, const char **arg, struct store **st)
{
    const char *data;
    if (token_args(argc, argv, arg, &data)) return CLI_USAGE;
    int rc = store_open(data, st);
    if (rc) {
        fprintf(stderr, "seclabel: cannot open the database in %s: %s\n", data, reg_strerror(rc));
        return CLI_FAILED;
    }
    return 0;
}

static int report(int rc, const char *what)
{
    if (rc) fprintf(stderr, "seclabel: %s failed: %s\n", what, reg_strerror(rc));
    return rc ? CLI_FAILED : CLI_OK;
}

static int manufacturer_list_or_disable(const char *verb, int argc, char **argv)
{
    const char *slug = NULL;
    struct store *st;
    int rc = open_data(argc, argv, &slug, &st);
    if (rc) return rc;
    if (!strcmp(verb, "list")) {
        rc = report(admin_list_manufacturers(st, stdout), "manufacturer list");
    } else if (!slug) {
        rc = cli_usage_error("manufacturer disable needs a SLUG");
    } else {
        int r = admin_disable_manufacturer(st, slug);
        if (r == REG_ENOTFOUND)
            fprintf(stderr, "seclabel: no manufacturer '%s'\n", slug), rc = CLI_FAILED;
        else if (!(rc = report(r, "manufacturer disable")))
            printf("Manufacturer '%s' is disabled: its tokens no longer work; its products "
                   "stay readable.\n",
                   slug);
    }
    store_close(st);
    return rc;
}

static int stats_or_verify(const char *verb, int argc, char **argv)
{
    const char *none = NULL;
    struct store *st;
    unsigned long problems = 0;
    int rc = open_data(argc, argv, &none, &st);
    if (rc) return rc;
    if (none)
        rc = cli_usage_error("%s takes no argument", verb);
    else if (!strcmp(verb, "stats"))
        rc = report(admin_stats(st, stdout), "stats");
    else if (!(rc = report(admin_verify(st, stdout, &problems), "verify"))) {
        printf("verify: %lu problem%s\n", problems, problems == 1 ? "" : "s");
        rc = problems ? CLI_FAILED : CLI_OK;
    }
    store_close(st);
    return rc;
}

static int backup(int argc, char **argv)
{
    const char *dest = NULL;
    struct store *st;
    int rc = open_data(argc, argv, &dest, &st);
    if (rc) return rc;
    if (!dest) {
        store_close(st);
        return cli_usage_error("backup needs a DEST directory");
    }
    int r = store_backup(st, dest);
    store_close(st);
    if (r == REG_EEXIST) {
        fprintf(stderr, "seclabel: %s already holds a database; choose a new directory\n", dest);
        return CLI_FAILED;
    }
    if (!(rc = report(r, "backup"))) printf("backed up to %s\n", dest);
    return rc;
}

/* Replace the data directory's database by the one in SRC, which must pass verify first. */
static int restore(int argc, char **argv)
{
    const char *src = NULL, *data;
    if (token_args(argc, argv, &src, &data)) return CLI_USAGE;
    if (!src) return cli_usage_error("restore needs a SRC directory (made by admin backup)");
    if (store_server_running(data)) {
        fprintf(stderr, "seclabel: a seclabeld is serving %s; stop it before restoring\n", data);
        return CLI_FAILED;
    }
    struct store *st;
    unsigned long problems = 0;
    int rc = store_open(src, &st);
    if (!rc) {
        rc = admin_verify(st, stderr, &problems);
        store_close(st);
    }
    if (rc || problems) {
        fprintf(stderr, "seclabel: %s is not a sound backup (%s); nothing was changed\n", src,
                rc ? reg_strerror(rc) : "verify found problems");
        return CLI_FAILED;
    }
    struct buf from = BUF_INIT, to = BUF_INIT, lock = BUF_INIT;
    buf_printf(&from, "%s/data.mdb", src);
    buf_printf(&to, "%s/data.mdb", data);
    buf_printf(&lock, "%s/lock.mdb", data);
    struct buf bytes = BUF_INIT;
    rc = cli_read_file(buf_cstr(&from), (size_t)16 << 30, &bytes);
    if (!rc) rc = cli_write_file(buf_cstr(&to), bytes.data, bytes.len);
    if (!rc) {
        unlink(buf_cstr(&lock)); /* stale reader slots of the old database */
        printf("restored %s from %s\n", data, src);
    }
    buf_free(&bytes);
    buf_free(&from);
    buf_free(&to);
    buf_free(&lock);
    return rc;
}

int cmd_admin(int argc, char **argv, struct client *c)
{
    (void)c;
    if (argc >= 2 && !strcmp(argv[0], "manufacturer") && !strcmp(argv[1], "add"))
        return manufacturer_add(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[0], "token")) return token_cmd(argv[1], argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[0], "manufacturer") &&
        (!strcmp(argv[1], "list") || !strcmp(argv[1], "disable")))
        return manufacturer_list_or_disable(argv[1], argc - 2, argv + 2);
    if (argc >= 1 && (!strcmp(argv[0], "stats") || !strcmp(argv[0], "verify")))
        return stats_or_verify(argv[0], argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "backup")) return backup(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "restore")) return restore(argc - 1, argv + 1);
    return cli_usage_error("admin: expected manufacturer add|list|disable, token "
                           "issue|list|revoke, stats, verify, backup DEST or restore SRC");
}
