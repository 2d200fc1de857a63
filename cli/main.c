/* main.c: the seclabel command line: global options, then a table of subcommands. */
#include "cli.h"

#include "auth.h"
#include "log.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct command {
    const char *name;
    cli_cmd_fn fn;
    const char *help;
    const char *examples; /* shown by "seclabel COMMAND --help" */
};

static const struct command commands[] = {
    {"register", cmd_register,
     "register FILE|- [--id ID] [--dry-run] [--json]   send a declaration (dry run: the server's "
     "verdict)",
     "  seclabel register camera.json\n  seclabel register camera.json --dry-run\n"
     "  seclabel register - --id acme-cam-2 < camera.json"},
    {"show", cmd_show, "show ID [--json]             show a product's record",
     "  seclabel show acme-cam-2\n  seclabel show acme-cam-2 --json | jq .compliance"},
    {"history", cmd_history, "history ID [--json]          every version and what it changed",
     "  seclabel history acme-cam-2"},
    {"search", cmd_search,
     "search [QUERY] [--support active|ending_soon|ended] [--manufacturer SLUG]\n"
     "      [--gtin GTIN] [--status active|withdrawn|any] [--compliant true|false]\n"
     "      [--limit N] [--cursor ID] [--json]   find products (on sale, unless --status)",
     "  seclabel search camera\n  seclabel search --manufacturer acme --support ending_soon\n  "
     "seclabel search --compliant false --json"},
    {"import", cmd_import,
     "import FILE.csv|FILE.jsonl|FILE.json [--default-password P] [--json]\n"
     "      create or update many; sends only what changed",
     "  seclabel import schema/examples/catalogue.csv   # header row; dotted names for nested "
     "fields\n"
     "  seclabel import catalogue.jsonl      # again after an interruption: sends what is missing\n"
     "  seclabel import cta.json --default-password unique_per_device   # CTA-2120 documents"},
    {"export", cmd_export,
     "export [--manufacturer SLUG] --format csv|jsonl|cta-2120 [-o FILE]   what import takes back",
     "  seclabel export --manufacturer acme --format csv -o catalogue.csv\n"
     "  seclabel export --manufacturer acme --format jsonl -o catalogue.jsonl\n  seclabel export "
     "--format cta-2120 -o cta.json"},
    {"withdraw", cmd_withdraw, "withdraw ID [--json]         mark your product withdrawn",
     "  seclabel withdraw acme-hub-2019"},
    {"whoami", cmd_whoami, "whoami [--json]              the manufacturer your token acts for",
     "  seclabel whoami"},
    {"label", cmd_label,
     "label ID [--format png|svg|pdf|zpl|term] [--layout full|compact|qr] [--size WxH]\n"
     "      [--dpi N] [--ec L|M|Q|H] [--lang en|de|zh] [-o FILE|-]   a product's packaging label",
     "  seclabel label acme-cam-2 -o label.png\n  seclabel label acme-cam-2 --format pdf --layout "
     "compact --size 40x20\n  seclabel label acme-cam-2 --format zpl --dpi 203 -o - | nc printer "
     "9100\n  seclabel label acme-cam-2 --format term"},
    {"labels", cmd_labels,
     "labels (--manufacturer SLUG | --ids FILE) [--sheet a4|letter] [--crop-marks]\n"
     "      [--layout full|compact|qr] [--size WxH] [--lang en|de|zh] -o SHEET.pdf   many labels "
     "on pages;\n"
     "      a product that gets no label is skipped (one line on stderr, with the reason) and\n"
     "      the sheet written with the rest; exit 1 if one asked for was skipped",
     "  seclabel labels --manufacturer acme --sheet a4 --crop-marks -o acme.pdf\n  seclabel labels "
     "--ids catalogue.txt --sheet letter --layout compact -o sheet.pdf"},
    {"validate", cmd_validate,
     "validate FILE...             check declarations offline, as the server does",
     "  seclabel validate schema/examples/valid/*.json"},
    {"config", cmd_config,
     "config set server URL | config set token (on stdin) | config set log-key KEY\n"
     "      | config show            saved settings (log-key: the key seclabel verify trusts)",
     "  seclabel config set server https://labels.example.com\n  seclabel config set token < "
     "token.txt\n  seclabel config set log-key \"$(curl -s https://labels.example.com/log/key)\""
     "   # after checking it\n  seclabel config show"},
    {"verify", cmd_verify,
     "verify ID [--log-key KEY] [--json] [--save DIR] [--offline DIR]\n"
     "      check a product's record against the registry's signed transparency log: the\n"
     "      checkpoint's signature (pinned key), the entry's inclusion, that the entry says what\n"
     "      the record shows, and consistency with the last checkpoint seen; exit 1 if not",
     "  seclabel config set log-key 'labels.example.com/log+1a2b3c4d+AV...'\n"
     "  seclabel verify acme-cam-2\n  seclabel verify acme-cam-2 --save evidence/\n"
     "  seclabel verify acme-cam-2 --offline evidence/   # an auditor, without the network"},
    {"monitor", cmd_monitor,
     "monitor [--once] [--json] [--interval S] [--audit N|all] [--state DIR]\n"
     "      [--from-checkpoint FILE | --from-size N] [--log-key KEY]   follow the registry's\n"
     "      transparency log: every new entry checked against the signed checkpoint (pinned\n"
     "      key) and reported when a support date moves earlier, a GTIN or a product changes\n"
     "      hands, the API shows what the log does not say (new entries, and N known products\n"
     "      a pass, 100, in turn), or the log forks; exit 0 nothing, 1 findings, 3 not checked",
     "  seclabel monitor --once\n  seclabel monitor --json --interval 300 >> findings.jsonl"},
    {"admin", cmd_admin,
     "admin manufacturer add SLUG --name NAME [--contact C] [--website URL]\n"
     "      [--data DIR]           (registry operator) create a manufacturer\n"
     "  admin token issue SLUG | token list [SLUG] | token revoke ID [--data DIR]\n"
     "                             (registry operator) more tokens; list; revoke one\n"
     "  admin manufacturer prefix add|remove SLUG PREFIX | prefix list SLUG\n"
     "                             (registry operator) GS1 Company Prefixes a maker's GTINs use\n"
     "  admin manufacturer id-prefix add|remove SLUG PREFIX | id-prefix list SLUG\n"
     "                             product-ID prefixes granted beyond SLUG-\n"
     "  admin manufacturer verify SLUG --evidence TEXT | unverify SLUG --reason TEXT\n"
     "  admin manufacturer show SLUG | manufacturer list | manufacturer disable SLUG\n"
     "  admin stats | verify         (registry operator) the database's counts; check it whole\n"
     "  admin backup DEST | restore SRC   [--data DIR]  (a hot copy; restore needs the server "
     "stopped)\n"
     "  admin log key | log sign [--data DIR] [--public-url URL] [--log-key FILE]\n"
     "                             the log's verifier key (DIR/log.key made if missing); sign\n"
     "                             the note text on stdin with the log's key",
     "  seclabel admin manufacturer add acme --name 'Acme Devices Ltd'"
     " --data ./data\n  seclabel admin manufacturer prefix add acme 5012345 --data ./data\n"
     "  seclabel admin manufacturer verify acme --evidence 'Company register 01234567 and GS1 "
     "licence checked' --data ./data\n  seclabel admin token list acme --data ./data\n"
     "  seclabel admin token revoke 3f9c1a2b4d5e --data ./data"},
    {"cache", cmd_cache,
     "cache purge --varnish URL [--varnish URL...] (KEY... | --follow --cursor FILE\n"
     "      [--interval MS])   empty caches in front of the registry (--server: the origin)\n"
     "      of surrogate keys, or follow its changes feed and purge what each write changed",
     "  seclabel cache purge --varnish http://127.0.0.1:6081 product:acme-cam-2 lists\n"
     "  seclabel --server http://127.0.0.1:8080 cache purge --follow --varnish "
     "http://127.0.0.1:6081\n      --cursor /var/lib/seclabel-purge/cursor"},
};

/* "seclabel COMMAND --help": the command's synopsis and examples. */
static int command_help(const struct command *cmd)
{
    printf("usage: seclabel %s\n\nexamples:\n%s\n", cmd->help, cmd->examples);
    return CLI_OK;
}

static void usage(FILE *f)
{
    fputs("usage: seclabel [--server URL] [--token TOKEN] COMMAND [ARGS]\n\n"
          "Register consumer-device security declarations with a seclabel registry and print\n"
          "their packaging labels.\n\ncommands:\n",
          f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %s\n", commands[i].help);
    fputs("\nServer and token come from --server/--token, else SECLABEL_SERVER/SECLABEL_TOKEN,\n"
          "else ~/.config/seclabel/config (seclabel config set ...). Prefer the variable or the\n"
          "config file for the token: command-line flags are visible to other users in ps.\n"
          "https trusts the system's CAs, or CURL_CA_BUNDLE / SSL_CERT_FILE / SSL_CERT_DIR.\n"
          "Exit codes: 0 ok, 1 failed, 2 usage, 3 cannot reach the server, 4 not authorised.\n\n"
          "examples:\n"
          "  seclabel admin manufacturer add acme --name 'Acme Devices Ltd' --data ./data\n"
          "  seclabel validate camera.json doorbell.json\n"
          "  SECLABEL_TOKEN=slt_... seclabel register camera.json\n"
          "  seclabel label acme-cam-2 -o label.png\n"
          "  seclabel label acme-cam-2 --format term\n"
          "  seclabel labels --manufacturer acme --sheet a4 --crop-marks -o acme.pdf\n",
          f);
}

const char *cli_colour(FILE *f, enum cli_colour c)
{
    static const char *const seq[] = {"\033[32m", "\033[33m", "\033[31m", "\033[0m"};
    const char *no = getenv("NO_COLOR"), *term = getenv("TERM");
    if ((no && *no) || (term && !strcmp(term, "dumb")) || !isatty(fileno(f))) return "";
    return seq[c];
}

int cli_usage_error(const char *fmt, ...)
{
    va_list ap;
    fputs("seclabel: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see seclabel --help)\n", stderr);
    return CLI_USAGE;
}

int cli_read_file(const char *path, size_t max, struct buf *out)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "seclabel: cannot open %s: %s\n", path, strerror(errno));
        return CLI_FAILED;
    }
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && out->len <= max)
        buf_append(out, chunk, n);
    int err = ferror(f);
    if (f != stdin) fclose(f);
    if (err) {
        fprintf(stderr, "seclabel: cannot read %s\n", path);
        return CLI_FAILED;
    }
    if (out->len > max) {
        fprintf(stderr, "seclabel: %s is larger than %zu bytes\n", path, max);
        return CLI_FAILED;
    }
    return CLI_OK;
}

int cli_write_file(const char *path, const void *data, size_t len)
{
    struct buf tmp = BUF_INIT;
    buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(buf_cstr(&tmp), "wb");
    int ok = f && fwrite(data, 1, len, f) == len;
    if (f) ok = (fclose(f) == 0) && ok;
    if (ok) ok = rename(tmp.data, path) == 0;
    if (!ok) {
        fprintf(stderr, "seclabel: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp.data);
    }
    buf_free(&tmp);
    return ok ? CLI_OK : CLI_FAILED;
}

/* Take --server/--token (anywhere on the line) out of argv; returns the new argc or -1. */
static int global_options(int argc, char **argv, struct client *c)
{
    int out = 1;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "--server") || !strcmp(argv[i], "--token")) && i + 1 < argc) {
            if (argv[i][2] == 's')
                c->server = argv[i + 1];
            else
                c->token = argv[i + 1];
            i++;
        } else if (!strcmp(argv[i], "--server") || !strcmp(argv[i], "--token")) {
            cli_usage_error("%s needs a value", argv[i]);
            return -1;
        } else {
            argv[out++] = argv[i];
        }
    }
    argv[out] = NULL;
    return out;
}

int main(int argc, char **argv)
{
    struct client c;
    reg_log_set(reg_log_stderr, "seclabel"); /* where shared code's messages go */
    client_defaults(&c);
    config_load(&c);
    client_from_env(&c);
    argc = global_options(argc, argv, &c);
    if (argc < 0) return CLI_USAGE;
    if (argc < 2) {
        usage(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return CLI_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        puts("seclabel " SECLABEL_VERSION);
        return CLI_OK;
    }
    if (auth_init() != 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        fputs("seclabel: cannot initialise crypto or HTTP libraries\n", stderr);
        return CLI_FAILED;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) {
            for (int a = 2; a < argc; a++)
                if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h"))
                    return command_help(&commands[i]);
            int rc = commands[i].fn(argc - 2, argv + 2, &c);
            client_close(&c);
            curl_global_cleanup();
            return rc;
        }
    return cli_usage_error("unknown command '%s'", argv[1]);
}
