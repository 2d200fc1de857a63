/* cmd_validate.c: seclabel validate FILE...: check declarations offline, with the registry's
 * own rules (decl_validate, the C twin of schema/declaration.schema.json). No server, no token.
 * An "id" in a file is checked by its pattern only: there is no URL to compare it with. A valid
 * declaration nobody should rely on (one that breaks a baseline promise, or whose support has
 * ended) is still valid, with a warning on stderr saying why and what follows. */
#include "cli.h"

#include "decl.h"
#include "reg_limits.h"

#include <stdio.h>
#include <string.h>
#include <yyjson.h>

/* Print the verdict on one declaration; 1 if it is valid. */
static int report(const char *name, yyjson_val *root)
{
    struct decl_errors errs;
    if (decl_validate(root, NULL, &errs) == 0) {
        printf("%s: ok\n", name);
        cli_warn_state(stderr, root, "%s", name); /* valid, but e.g. a universal password */
        return 1;
    }
    printf("%s: %d problem%s%s\n", name, errs.n, errs.n == 1 ? "" : "s",
           errs.more ? " (more not shown)" : "");
    cli_print_problems(stdout, &errs);
    return 0;
}

/* Read, parse and check one file ("-" is stdin); 1 if it is a valid declaration. */
static int validate_file(const char *file)
{
    const char *name = strcmp(file, "-") == 0 ? "<stdin>" : file;
    struct buf body = BUF_INIT;
    int ok = 0;
    if (cli_read_file(file, REG_MAX_BODY, &body) == CLI_OK) {
        yyjson_read_err err;
        yyjson_doc *doc = yyjson_read_opts(body.data, body.len, 0, NULL, &err);
        if (doc)
            ok = report(name, yyjson_doc_get_root(doc));
        else
            printf("%s: not valid JSON: %s at byte %zu\n", name, err.msg, err.pos);
        yyjson_doc_free(doc);
    }
    buf_free(&body);
    return ok;
}

int cmd_validate(int argc, char **argv, struct client *c)
{
    (void)c;
    if (argc == 0) return cli_usage_error("validate needs one or more declaration files");
    for (int i = 0; i < argc; i++)
        if (argv[i][0] == '-' && argv[i][1])
            return cli_usage_error("validate: unknown option %s", argv[i]);
    int all_ok = 1;
    for (int i = 0; i < argc; i++)
        all_ok &= validate_file(argv[i]);
    return all_ok ? CLI_OK : CLI_FAILED;
}
