/* main.c: seclabeld's command line: options -> struct srv_config -> app_global_init() once,
 * then srv_run(). Nothing else. */
#include "api.h"
#include "clients.h"
#include "err.h"
#include "journal.h"
#include "log.h"
#include "srv.h"
#include "store.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: seclabeld [options]\n"
    "\n"
    "The seclabel registry server: stores product security declarations in LMDB and serves\n"
    "them as JSON, as shopper pages and as QR labels over HTTP.\n"
    "\n"
    "  --listen HOST:PORT       address to listen on (default 127.0.0.1:8080; port 0: any)\n"
    "  --data DIR               database directory (default ./data; created if missing)\n"
    "  --public-url URL         base URL printed in QR codes, e.g. https://label.example.com\n"
    "                           (default: http://<listen address>); a warning at start if\n"
    "                           it is not https and not loopback (security.txt needs https)\n"
    "  --log-key FILE           the transparency log's signing key (default DATA/log.key,\n"
    "                           made on first start for the public URL's host; keep it\n"
    "                           secret and in every backup)\n"
    "  --mirror-of URL          be a read-only mirror of the registry at URL: follow its\n"
    "                           transparency log into DATA, serve what it serves, refuse\n"
    "                           writes (give the primary's --public-url too)\n"
    "  --mirror-key KEY         the primary's log verifier key (seclabel admin log key on\n"
    "                           the primary), pinned: needed with --mirror-of\n"
    "  --security-contact C     the registry's own security contact for\n"
    "                           /.well-known/security.txt (e-mail or https URL)\n"
    "  --quiet                  no access log on stderr\n"
    "  --log-format F           messages and access log as text lines on stderr, or as\n"
    "                           structured records in systemd's journal: auto (the\n"
    "                           default: journal when stderr is the journal's stream),\n"
    "                           text or journal\n"
    "  --request-timeout-ms N   time allowed for a request to arrive whole (default 10000)\n"
    "  --idle-timeout-ms N      keep-alive connections idle this long are closed (default 30000)\n"
    "  --max-connections N      connections accepted at once (default 10000)\n"
    "  --max-conns-per-client N connections one client (IPv4 address or IPv6 /64) may hold;\n"
    "                           more get 503 and are closed (default 256; 0: no limit)\n"
    "  --trusted-proxy ADDR     a reverse proxy in front (an IPv4 or IPv6 address, or a\n"
    "                           network ADDR/BITS; may be repeated): its connections are not\n"
    "                           counted per client, and the access log names the client as\n"
    "                           the last address of its X-Forwarded-For that is no trusted\n"
    "                           proxy (from other peers X-Forwarded-For is ignored)\n"
    "  --loops N                event loops, each on its own thread and core (default 1;\n"
    "                           at most 64); they share the port through SO_REUSEPORT\n"
    "  --map-size SIZE          the database map to begin with (default 16G, or the maximum\n"
    "                           if smaller; at least 1M); it doubles when it fills up\n"
    "  --map-size-max SIZE      the map never grows past this; a write that needs more is\n"
    "                           refused with 507 storage_full (default: as far as the disk\n"
    "                           has room)\n"
    "                           SIZE: bytes, or a number with K, M, G or T (powers of 1024)\n"
    "  --version, --help\n";

/* A base URL safe to put into pages and JSON unescaped: http(s), no quotes, spaces or
 * backslashes; a trailing '/' is dropped. */
static int public_url_ok(char *u)
{
    if (strncmp(u, "http://", 7) != 0 && strncmp(u, "https://", 8) != 0) return 0;
    size_t n = strlen(u);
    if (n > 400) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)u[i] <= ' ' || strchr("\"'<>\\`{}|^", u[i]) || u[i] == 127) return 0;
    while (n > 0 && u[n - 1] == '/')
        u[--n] = '\0';
    return n > 8;
}

/* A contact that goes into security.txt as one line: printable ASCII, no spaces. */
static int contact_ok(const char *c)
{
    size_t n = strlen(c);
    if (n < 3 || n > 400) return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)c[i] <= ' ' || (unsigned char)c[i] >= 127) return 0;
    return strncmp(c, "https://", 8) == 0 || strchr(c, '@') != NULL;
}

/* One more --trusted-proxy into trusted[*n]. */
static int trusted_arg(const char *v, struct client_net *trusted, size_t *n)
{
    if (*n == SRV_MAX_TRUSTED_PROXIES) {
        fprintf(stderr, "seclabeld: --trusted-proxy is given at most %d times\n",
                SRV_MAX_TRUSTED_PROXIES);
        return REG_EBADREQ;
    }
    if (clients_net_parse(v, &trusted[*n]) != 0) {
        fprintf(stderr,
                "seclabeld: --trusted-proxy needs an IPv4 or IPv6 address or a network such as "
                "10.0.0.0/8 (no bits set past the prefix), not '%s'\n",
                v);
        return REG_EBADREQ;
    }
    ++*n;
    return 0;
}

static int num_arg(const char *name, const char *v, unsigned *out)
{
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || n == 0 || n > 86400000ul) {
        fprintf(stderr, "seclabeld: %s needs a positive number, not '%s'\n", name, v);
        return REG_EBADREQ;
    }
    *out = (unsigned)n;
    return 0;
}

/* A size in bytes: digits with an optional K, M, G or T suffix (powers of 1024), at least
 * STORE_MAP_MIN. */
static int size_arg(const char *name, const char *v, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    const char *units = "KMGT", *u = *end ? strchr(units, *end & ~0x20) : NULL;
    unsigned shift = u ? 10 * (unsigned)(u - units + 1) : 0;
    if (*v < '0' || *v > '9' || errno || (*end && (!u || end[1])) || n > (SIZE_MAX >> shift) ||
        (n << shift) < STORE_MAP_MIN) {
        fprintf(stderr, "seclabeld: %s needs a size of at least 1M, such as 64M or 16G, not '%s'\n",
                name, v);
        return REG_EBADREQ;
    }
    *out = (size_t)(n << shift);
    return 0;
}

/* --log-format: where messages and the access log go (journal.h). */
static int log_format = -1; /* -1 auto, 0 text, 1 journal */

static int log_format_arg(const char *v)
{
    static const char *const names[] = {"auto", "text", "journal"};
    for (int i = 0; i < 3; i++)
        if (!strcmp(v, names[i])) {
            log_format = i - 1;
            return 0;
        }
    fprintf(stderr, "seclabeld: --log-format is auto, text or journal, not '%s'\n", v);
    return REG_EBADREQ;
}

/* The command line into cfg: 0, or REG_EBADREQ having said on stderr what is wrong. */
static int parse_args(int argc, char **argv, struct srv_config *cfg)
{
    static struct client_net trusted[SRV_MAX_TRUSTED_PROXIES]; /* cfg->trusted */
    cfg->trusted = trusted;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            fputs(usage, stdout);
            exit(0);
        } else if (!strcmp(a, "--version")) {
            puts("seclabeld " SECLABEL_VERSION);
            exit(0);
        } else if (!strcmp(a, "--quiet")) {
            cfg->log_requests = 0;
            continue;
        }
        if (!v) {
            fprintf(stderr, "seclabeld: unknown option or missing value: %s (see --help)\n", a);
            return REG_EBADREQ;
        }
        i++;
        if (!strcmp(a, "--listen"))
            cfg->listen = v;
        else if (!strcmp(a, "--data"))
            cfg->data_dir = v;
        else if (!strcmp(a, "--public-url")) {
            if (!public_url_ok(argv[i])) {
                fprintf(stderr, "seclabeld: --public-url must be an http(s) URL: %s\n", v);
                return REG_EBADREQ;
            }
            cfg->public_url = argv[i];
        } else if (!strcmp(a, "--log-key")) {
            cfg->log_key = argv[i];
        } else if (!strcmp(a, "--mirror-of")) {
            if (!public_url_ok(argv[i])) {
                fprintf(stderr, "seclabeld: --mirror-of must be an http(s) URL: %s\n", v);
                return REG_EBADREQ;
            }
            cfg->mirror_of = argv[i];
        } else if (!strcmp(a, "--mirror-key")) {
            cfg->mirror_key = v;
        } else if (!strcmp(a, "--security-contact")) {
            if (!contact_ok(v)) {
                fprintf(stderr,
                        "seclabeld: --security-contact must be an e-mail address or an "
                        "https URL: %s\n",
                        v);
                return REG_EBADREQ;
            }
            cfg->security_contact = v;
        } else if (!strcmp(a, "--request-timeout-ms")) {
            if (num_arg(a, v, &cfg->request_timeout_ms)) return REG_EBADREQ;
        } else if (!strcmp(a, "--idle-timeout-ms")) {
            if (num_arg(a, v, &cfg->idle_timeout_ms)) return REG_EBADREQ;
        } else if (!strcmp(a, "--max-connections")) {
            if (num_arg(a, v, &cfg->max_connections)) return REG_EBADREQ;
        } else if (!strcmp(a, "--max-conns-per-client")) {
            if (strcmp(v, "0") == 0)
                cfg->max_conns_per_client = 0;
            else if (num_arg(a, v, &cfg->max_conns_per_client))
                return REG_EBADREQ;
        } else if (!strcmp(a, "--trusted-proxy")) {
            if (trusted_arg(v, trusted, &cfg->ntrusted)) return REG_EBADREQ;
        } else if (!strcmp(a, "--loops")) {
            if (num_arg(a, v, &cfg->loops)) return REG_EBADREQ;
            if (cfg->loops < 1 || cfg->loops > 64) {
                fprintf(stderr, "seclabeld: --loops is 1 to 64\n");
                return REG_EBADREQ;
            }
        } else if (!strcmp(a, "--log-format")) {
            if (log_format_arg(v)) return REG_EBADREQ;
        } else if (!strcmp(a, "--map-size")) {
            if (size_arg(a, v, &cfg->store.map_size)) return REG_EBADREQ;
        } else if (!strcmp(a, "--map-size-max")) {
            if (size_arg(a, v, &cfg->store.map_size_max)) return REG_EBADREQ;
        } else {
            fprintf(stderr, "seclabeld: unknown option: %s (see --help)\n", a);
            return REG_EBADREQ;
        }
    }
    if (!cfg->mirror_of != !cfg->mirror_key) {
        fprintf(stderr, "seclabeld: --mirror-of and --mirror-key go together (a mirror checks "
                        "what it follows with the primary's pinned key)\n");
        return REG_EBADREQ;
    }
    if (cfg->mirror_of && cfg->log_key) {
        fprintf(stderr, "seclabeld: a mirror signs nothing: --log-key does not go with "
                        "--mirror-of\n");
        return REG_EBADREQ;
    }
    if (cfg->store.map_size && cfg->store.map_size_max &&
        cfg->store.map_size > cfg->store.map_size_max) {
        fprintf(stderr, "seclabeld: --map-size is larger than --map-size-max\n");
        return REG_EBADREQ;
    }
    return 0;
}

/* The server's sinks (srv.h): the ready line on stdout, flushed (tests and scripts wait for
 * it), and the access log on stderr. */
static void say_ready(void *ctx, const char *line)
{
    (void)ctx;
    printf("seclabeld: %s\n", line);
    fflush(stdout);
}

static void access_line(const struct api_access *a)
{
    char line[600];
    api_access_text(a, line, sizeof line);
    fprintf(stderr, "%s\n", line);
}

int main(int argc, char **argv)
{
    struct srv_config cfg;
    reg_log_set(reg_log_stderr, "seclabeld"); /* where shared code's messages go */
    srv_config_default(&cfg);
    cfg.ready = say_ready;
    cfg.access_log = access_line;
    if (parse_args(argc, argv, &cfg)) return 2;
    if (log_format == 1 || (log_format == -1 && journal_stderr_is_journal())) {
        reg_log_set(journal_log, "seclabeld");
        cfg.access_log = journal_access;
    }
    /* Under a file size limit (ulimit -f) a write past it fails with EFBIG, which the store
     * answers as storage_full; the default action of SIGXFSZ would kill the server instead. */
    signal(SIGXFSZ, SIG_IGN);
    /* Once, before srv_run starts any thread: what every event loop's app reads. */
    if (app_global_init()) return 1;
    return srv_run(&cfg) == 0 ? 0 : 1;
}
