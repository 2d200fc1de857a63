/* srv.h: the registry server: a libuv event loop that accepts connections, feeds their bytes
 * to the HTTP parser, hands complete requests to the app, and writes responses in order.
 *
 * With loops > 1 there are that many event loops, each on its own thread with its own
 * listening socket on the same port (SO_REUSEPORT: the kernel spreads connections), its own
 * LMDB reader and response cache; they share the store, the cache's invalidation counters and
 * the connection count, and /metrics sums every loop's counters. srv_run() blocks until
 * SIGINT or SIGTERM, then closes every connection and returns. */
#ifndef SECLABEL_SRV_H
#define SECLABEL_SRV_H

#include "api.h"
#include "clients.h"
#include "log.h"
#include "store.h"

#define SRV_DEFAULT_CONNS_PER_CLIENT 256
#define SRV_MAX_TRUSTED_PROXIES 64 /* --trusted-proxy given at most this often */

struct srv_config {
    const char *listen;           /* "HOST:PORT" ("[::1]:8080" for IPv6); port 0 picks a free one */
    const char *data_dir;         /* LMDB environment directory, created if missing */
    const char *public_url;       /* base URL for QR codes; NULL: http://<bound address> */
    const char *security_contact; /* the registry's own, for security.txt; NULL: none */
    const char *log_key;        /* the log's signing key file; NULL: DATA/log.key, made if absent */
    const char *mirror_of;      /* a read-only mirror of this primary's URL (mirror.h), or NULL */
    const char *mirror_key;     /* the primary's verifier key (with mirror_of) */
    int log_requests;           /* hand access_log a line per request */
    api_access_sink access_log; /* gets the access-log records (api.h); NULL: none */
    /* gets "listening on ..." once serving (ctx NULL); NULL: nobody */
    void (*ready)(void *ctx, const char *line);
    unsigned request_timeout_ms; /* a request must arrive whole within this */
    unsigned idle_timeout_ms;    /* an idle keep-alive connection is closed after this */
    unsigned max_connections;
    unsigned max_conns_per_client; /* connections one client (an IPv4 address or an IPv6 /64)
                                      may hold; more get 503 and are closed. 0: no limit */
    /* --trusted-proxy: peers whose connections the per-client limit does not count and whose
     * X-Forwarded-For names the client in the access log (clients.h); borrowed */
    const struct client_net *trusted;
    size_t ntrusted;
    unsigned loops;          /* event loops (threads); 0 or 1: one */
    struct store_opts store; /* the database map's sizes; zero: the defaults */
};

void srv_config_default(struct srv_config *cfg);
/* Run until a stop signal (app_global_init(), api.h, must have succeeded first). Tells
 * cfg->ready "listening on http://HOST:PORT (...)" once ready (ctx NULL); what goes wrong and
 * the stop go to the program's log sink (log.h). Returns 0 after a clean shutdown or a
 * negative code. Prints nothing itself. */
int srv_run(const struct srv_config *cfg);

#endif
