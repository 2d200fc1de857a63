/* config.c: the CLI's config file, ~/.config/seclabel/config (or $XDG_CONFIG_HOME/seclabel/
 * config): "server = URL", "token = slt_..." and "log-key = <verifier key>" lines (the
 * transparency log's key that seclabel verify trusts). It sits below --server/--token and
 * SECLABEL_SERVER/SECLABEL_TOKEN. It is written with mode 0600 in a 0700 directory; reading one
 * that others can read prints a warning. The token is read from stdin when set, so it never
 * appears in a process list, and `config show` never prints it.
 *
 *   seclabel config set server URL
 *   seclabel config set token        (the token on stdin)
 *   seclabel config set log-key KEY  (the registry's log key, from its operator or /log/key)
 *   seclabel config show */
#include "cli.h"

#include "note.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONFIG_MAX 4096

static char config_server[1024], config_token[128], config_logkey[NOTE_NAME_MAX + 128];

/* The config file's path into out (and its directory into dir if not NULL); 1 without HOME. */
static int config_path(char *out, size_t n, char *dir, size_t dn)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    char base[900];
    if (xdg && *xdg)
        snprintf(base, sizeof base, "%s/seclabel", xdg);
    else if (home && *home)
        snprintf(base, sizeof base, "%s/.config/seclabel", home);
    else
        return 1;
    if (dir) snprintf(dir, dn, "%s", base);
    snprintf(out, n, "%s/config", base);
    return 0;
}

/* Copy the value of "key = value" lines for server and token. */
static void parse(char *text)
{
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        char *eq = strchr(line, '=');
        if (!eq || line[0] == '#') continue;
        char *k = line, *v = eq + 1;
        *eq = '\0';
        while (*k == ' ')
            k++;
        for (char *e = eq - 1; e >= k && (*e == ' ' || *e == '\t'); e--)
            *e = '\0';
        while (*v == ' ')
            v++;
        v[strcspn(v, " \t\r")] = '\0';
        if (!strcmp(k, "server")) snprintf(config_server, sizeof config_server, "%s", v);
        if (!strcmp(k, "token")) snprintf(config_token, sizeof config_token, "%s", v);
        if (!strcmp(k, "log-key")) snprintf(config_logkey, sizeof config_logkey, "%s", v);
    }
}

void config_load(struct client *c)
{
    char path[1024];
    struct stat st;
    if (config_path(path, sizeof path, NULL, 0)) return;
    FILE *f = fopen(path, "r");
    if (!f) return;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
        fprintf(stderr, "seclabel: warning: %s can be read by other users; run chmod 600 %s\n",
                path, path);
    char text[CONFIG_MAX + 1];
    size_t n = fread(text, 1, CONFIG_MAX, f);
    fclose(f);
    text[n] = '\0';
    parse(text);
    if (config_server[0]) c->server = config_server;
    if (config_token[0]) c->token = config_token;
}

const char *config_log_key(void)
{
    return config_logkey[0] ? config_logkey : NULL;
}

int config_dir(char *out, size_t n)
{
    char path[1024];
    return config_path(path, sizeof path, out, n);
}

/* Write server, token and log key (any may be "") to the file, mode 0600, atomically. */
static int save(const char *server, const char *token, const char *logkey)
{
    char path[1024], dir[1024], tmp[1100];
    if (config_path(path, sizeof path, dir, sizeof dir)) {
        fputs("seclabel: neither HOME nor XDG_CONFIG_HOME is set\n", stderr);
        return CLI_FAILED;
    }
    char parent[1024];
    snprintf(parent, sizeof parent, "%s", dir);
    char *slash = strrchr(parent, '/');
    if (slash) *slash = '\0';
    mkdir(parent, 0700);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "seclabel: cannot create %s: %s\n", dir, strerror(errno));
        return CLI_FAILED;
    }
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ok = f != NULL;
    if (ok) {
        fputs("# seclabel CLI settings (written by seclabel config set; mode 0600)\n", f);
        if (*server) fprintf(f, "server = %s\n", server);
        if (*token) fprintf(f, "token = %s\n", token);
        if (*logkey) fprintf(f, "log-key = %s\n", logkey);
        ok = fclose(f) == 0;
    }
    if (ok) ok = rename(tmp, path) == 0;
    if (!ok) {
        fprintf(stderr, "seclabel: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return CLI_FAILED;
    }
    printf("saved %s\n", path);
    return CLI_OK;
}

int cmd_config(int argc, char **argv, struct client *c)
{
    (void)c;
    if (argc == 1 && !strcmp(argv[0], "show")) {
        char path[1024];
        if (config_path(path, sizeof path, NULL, 0) == 0) printf("file:   %s\n", path);
        printf("server: %s\ntoken:  %s\nlog-key: %s\n", c->server,
               c->token ? "set (not shown)" : "not set",
               config_logkey[0] ? config_logkey : "not set");
        return CLI_OK;
    }
    if (argc == 3 && !strcmp(argv[0], "set") && !strcmp(argv[1], "server")) {
        if (strncmp(argv[2], "http://", 7) && strncmp(argv[2], "https://", 8))
            return cli_usage_error("the server is an http(s) URL");
        return save(argv[2], config_token, config_logkey);
    }
    if (argc == 2 && !strcmp(argv[0], "set") && !strcmp(argv[1], "token")) {
        char token[128] = "";
        if (isatty(0)) fputs("API token: ", stderr);
        if (!fgets(token, sizeof token, stdin)) return cli_usage_error("no token on stdin");
        token[strcspn(token, "\r\n")] = '\0';
        if (strncmp(token, "slt_", 4) != 0) return cli_usage_error("that is not an API token");
        int rc = save(config_server, token, config_logkey);
        memset(token, 0, sizeof token);
        return rc;
    }
    if (argc == 3 && !strcmp(argv[0], "set") && !strcmp(argv[1], "log-key")) {
        struct note_verifier v;
        struct reg_why why = {""};
        if (note_verifier_parse(argv[2], strlen(argv[2]), &v, &why))
            return cli_usage_error("that is not a log verifier key (%s)", why.text);
        return save(config_server, config_token, argv[2]);
    }
    return cli_usage_error("config: expected 'set server URL', 'set token' (token on stdin), "
                           "'set log-key KEY' or 'show'");
}
