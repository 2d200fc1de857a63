/* cmd_admin.c: the registry operator's commands, working on the data directory directly
 * (LMDB allows this while seclabeld runs). */
#include "cli.h"

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

int cmd_admin(int argc, char **argv, struct client *c)
{
    (void)c;
    if (argc >= 2 && !strcmp(argv[0], "manufacturer") && !strcmp(argv[1], "add"))
        return manufacturer_add(argc - 2, argv + 2);
    return cli_usage_error("admin: expected 'manufacturer add SLUG --name NAME'");
}
