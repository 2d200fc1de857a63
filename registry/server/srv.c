/* srv.c: the event loop, listener and connection lifecycle (see srv.h).
 *
 * A connection:
 *   accept (per-client limit) -> reading (idle timer) -> bytes -> http_parser_feed
 *          -> responses in c->out -> flush: one uv_write at a time; more output waits in c->out
 *   a request in progress is bounded by request_timeout_ms (slow senders get 408);
 *   between requests the idle timer closes the connection after idle_timeout_ms without
 *   progress (a request, or output the client took);
 *   feed() asks to close (error, Connection: close) -> stop reading, write, linger, close;
 *   close: uv_close on the socket and the timer; the struct is freed when both close_cbs ran.
 *
 * Backpressure and fairness. The parser pauses (http.h) and the bytes it has not parsed wait in
 * c->pending, with reading stopped, while: a deferred answer is outstanding (its job runs on the
 * thread pool); a streamed body is being produced; the queued output (c->out plus what libuv
 * still has to write) reached OUT_HIGH_WATER; or TURN_REQUESTS were answered from one read. So
 * a connection holds at most one read of unparsed bytes, one response being made, and output
 * up to the mark plus one response, however much it pipelines and however little it reads.
 * Work resumes when the output has drained to OUT_LOW_WATER, one step per connection per turn
 * of the loop (the ready list, run from an idle handle), so that one connection's pipeline or
 * download never holds the loop while others wait.
 * The read buffer is shared by the loop: bytes are parsed synchronously inside read_cb. */
#include "srv.h"

#include "api.h"
#include "buf.h"
#include "clients.h"
#include "commit.h"
#include "dataver.h"
#include "err.h"
#include "http.h"
#include "logpub.h"
#include "mirror.h"
#include "note.h"
#include "product.h"
#include "sindex.h"
#include "store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#define READ_BUF_SIZE (64 * 1024)
/* Queued output per connection: parsing pauses once a response brings it to the high mark and
 * goes on when it has drained to the low one. The high mark bounds what a client that does not
 * read costs; well above a typical answer (a few KB), and the kernel's send buffer takes more. */
#define OUT_HIGH_WATER (256 * 1024)
#define OUT_LOW_WATER (64 * 1024)
/* Requests answered from one read before the loop turns to other connections. */
#define TURN_REQUESTS 16
/* After the last response of a connection that closes: how long what the client still sends is
 * read and dropped (see conn_linger). */
#define LINGER_MS 2000

struct conn;

/* What every event loop shares. */
struct shared {
    const struct srv_config *cfg;
    struct store *st;
    char public_url[512];
    struct rcache_shared gens;    /* the response caches' generations (rcache.h) */
    unsigned nconns;              /* all loops' connections, relaxed atomics */
    unsigned long long refused;   /* connections refused by the per-client limit, ditto */
    struct clients *clients;      /* connections per client address */
    struct commit_queue *commits; /* every loop's single writes, committed in groups */
    struct srv *loops;
    unsigned nloops;
    struct logpub *log;    /* the log's key and newest checkpoint, signed by loops[0]'s timer */
    struct mirror *mirror; /* --mirror-of: the follower, or NULL */
};

/* One event loop, its listener and its connections; loops[0] runs on the main thread and
 * handles the stop signals. */
struct srv {
    struct shared *sh;
    const struct srv_config *cfg;
    uv_loop_t loop;
    uv_tcp_t listener;
    uv_signal_t sigint, sigterm;
    uv_async_t stop;   /* another thread asks this loop to stop */
    uv_timer_t makers; /* every second: did the operator change a manufacturer? */
    uv_timer_t log;    /* loops[0]: every second, a new checkpoint if the log grew */
    uv_idle_t idle;    /* runs while connections are ready (on_idle) */
    /* Writes this loop handed to the committer (commit_hook): the committer appends each to
     * `committed` once final and wakes the loop (uv_async_send coalesces: one wake-up may
     * bring many). The handle stays open while writes_out > 0, so a stopping loop still
     * answers every write it queued. */
    uv_async_t wake_committed;
    uv_mutex_t committed_mu;
    struct loop_write *committed, *committed_tail; /* under committed_mu */
    unsigned writes_out;                           /* queued, not yet answered; loop thread */
    uv_thread_t thread;
    struct app app;
    char date[30];
    time_t date_t;
    char rbuf[READ_BUF_SIZE];
    struct conn *conns; /* doubly linked, for shutdown */
    unsigned nconns;
    struct conn *ready, *ready_tail; /* connections with work for the next turn, in order */
    int stopping;
};

struct conn {
    uv_tcp_t tcp;
    uv_timer_t timer;
    struct srv *srv;
    struct http_parser hp;
    struct buf out;       /* responses not yet handed to uv_write */
    struct buf pending;   /* bytes read but not parsed yet: parsing is paused (see the top) */
    int orphan;           /* closed while an answer was outstanding: freed when it comes */
    uv_write_t *inflight; /* at most one write at a time */
    int closing, close_after_write, reading, handles_open;
    int ready;     /* in the loop's ready list */
    int lingering; /* all written, write side shut: dropping input until close */
    int read_eof;  /* the client shut its side: answer what it sent, then close */
    uv_shutdown_t shut;
    int counted;                 /* counted in sh->clients under client */
    struct client_key client;    /* the peer's address, grouped (clients.h) */
    char peer[CLIENTS_ADDR_MAX]; /* the peer's address as text, for the access log */
    uint64_t deadline;           /* loop time (ms) at which the current timeout expires */
    uint64_t timer_due;          /* loop time the timer is set for (never later than deadline) */
    struct conn *prev, *next;
    struct conn *rprev, *rnext; /* the ready list */
};

/* A write this loop handed to the committer, and what the loop does once it is final. */
struct loop_write {
    struct srv *s;
    void (*done)(void *arg);
    void *arg;
    struct loop_write *next;
};

struct write_req {
    uv_write_t req;
    struct conn *c;
    struct buf b;
};

void srv_config_default(struct srv_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->listen = "127.0.0.1:8080";
    cfg->data_dir = "./data";
    cfg->log_requests = 1;
    cfg->request_timeout_ms = 10000;
    cfg->idle_timeout_ms = 30000;
    cfg->max_connections = 10000;
    cfg->max_conns_per_client = SRV_DEFAULT_CONNS_PER_CLIENT;
}

static void conn_free(struct conn *c)
{
    http_parser_free(&c->hp);
    buf_free(&c->out);
    buf_free(&c->pending);
    free(c);
}

static void on_conn_handle_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    if (--c->handles_open > 0) return;
    struct srv *s = c->srv;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next) c->next->prev = c->prev;
    s->nconns--;
    __atomic_fetch_sub(&s->sh->nconns, 1, __ATOMIC_RELAXED);
    if (c->counted) clients_remove(s->sh->clients, &c->client);
    if (c->hp.waiting) { /* work in another thread still refers to c->hp: free it after */
        c->orphan = 1;
        return;
    }
    conn_free(c);
}

static void ready_unlink(struct conn *c)
{
    struct srv *s = c->srv;
    if (!c->ready) return;
    c->ready = 0;
    if (c->rprev)
        c->rprev->rnext = c->rnext;
    else
        s->ready = c->rnext;
    if (c->rnext)
        c->rnext->rprev = c->rprev;
    else
        s->ready_tail = c->rprev;
    c->rprev = c->rnext = NULL;
}

static void on_idle(uv_idle_t *h);

/* Give the connection a step at the loop's next turn (on_idle). */
static void conn_ready(struct conn *c)
{
    struct srv *s = c->srv;
    if (c->ready || c->closing || s->stopping) return;
    c->ready = 1;
    c->rprev = s->ready_tail;
    c->rnext = NULL;
    if (s->ready_tail)
        s->ready_tail->rnext = c;
    else
        s->ready = c;
    s->ready_tail = c;
    if (!uv_is_active((uv_handle_t *)&s->idle)) uv_idle_start(&s->idle, on_idle);
}

static void conn_close(struct conn *c)
{
    if (c->closing) return;
    c->closing = 1;
    ready_unlink(c);
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

static void conn_pump(struct conn *c);
static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b);
static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b);

static void conn_read(struct conn *c, int on)
{
    if (c->closing || on == c->reading || (on && c->read_eof)) return;
    if (on && uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
        conn_close(c);
        return;
    }
    if (!on) uv_read_stop((uv_stream_t *)&c->tcp);
    c->reading = on;
}

/* Output queued: not yet handed to libuv, and handed but not yet written. */
static size_t conn_queued(const struct conn *c)
{
    return c->out.len + c->tcp.write_queue_size;
}

/* Expire the connection's current wait ms from now. Moving a deadline later costs nothing (the
 * timer, when it fires, sees the new deadline and sleeps again): a keep-alive connection does
 * not touch the timer heap on every request. */
static void on_timer(uv_timer_t *t);
static void conn_deadline(struct conn *c, uint64_t ms)
{
    uint64_t now = uv_now(c->tcp.loop);
    c->deadline = now + ms;
    if (c->timer_due > now && c->timer_due <= c->deadline && uv_is_active((uv_handle_t *)&c->timer))
        return;
    c->timer_due = c->deadline;
    uv_timer_start(&c->timer, on_timer, ms, 0);
}

/* The client took output (or a slice was made for it): between requests that is progress, and
 * the idle timeout counts from now. A client that reads nothing makes none. */
static void conn_progress(struct conn *c)
{
    if (!c->hp.in_message && !c->lingering) conn_deadline(c, c->srv->cfg->idle_timeout_ms);
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    struct conn *c = req->data;
    if (status < 0) conn_close(c); /* (UV_ECANCELED when closed already: nothing to do) */
}

/* Everything is written and the connection is to close: send FIN, then read and drop whatever
 * the client still sends until it closes too, or for LINGER_MS at most. Closing a socket with
 * unread input sends RST, which can destroy the response before the client has read it (a
 * 503 to a client that sent its request at once, a 413 to one still sending its body). */
static void conn_linger(struct conn *c)
{
    if (c->lingering) return;
    c->lingering = 1;
    buf_free(&c->pending);
    if (c->read_eof) { /* nothing more can come: no reset to fear */
        conn_close(c);
        return;
    }
    c->shut.data = c;
    if (uv_shutdown(&c->shut, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        conn_close(c);
        return;
    }
    conn_deadline(c, LINGER_MS); /* (earlier than any other: the timer is restarted) */
    conn_read(c, 1);
}

static void on_write(uv_write_t *req, int status)
{
    struct write_req *w = (struct write_req *)req;
    struct conn *c = w->c;
    buf_free(&w->b);
    free(w);
    if (c->closing) return; /* cancelled by uv_close */
    c->inflight = NULL;
    if (status < 0) {
        conn_close(c);
        return;
    }
    conn_progress(c);
    conn_pump(c);
}

/* Drop the first n bytes of b. */
static void buf_consume(struct buf *b, size_t n)
{
    memmove(b->data, b->data + n, b->len - n);
    b->len -= n;
}

/* Write what is in c->out; close once everything is written if that was asked for. */
static void conn_flush(struct conn *c)
{
    if (c->closing || c->inflight || c->lingering) return;
    if (c->out.len == 0) {
        if (c->close_after_write) conn_linger(c);
        return;
    }
    /* Most answers fit the socket buffer: write them at once, with no write request to
     * allocate and no callback to wait for. What does not fit goes through uv_write. */
    uv_buf_t now = uv_buf_init(c->out.data, (unsigned)c->out.len);
    int n = uv_try_write((uv_stream_t *)&c->tcp, &now, 1);
    if (n == (int)c->out.len) {
        if (c->out.cap > OUT_LOW_WATER) /* not kept while the connection idles */
            buf_free(&c->out);
        else
            buf_reset(&c->out);
        if (c->close_after_write) conn_linger(c);
        return;
    }
    if (n > 0)
        buf_consume(&c->out, (size_t)n);
    else if (n != UV_EAGAIN) {
        conn_close(c);
        return;
    }
    struct write_req *w = xmalloc(sizeof *w);
    w->c = c;
    w->b = c->out; /* the write owns the bytes until on_write */
    buf_init(&c->out);
    uv_buf_t ub = uv_buf_init(w->b.data, (unsigned)w->b.len);
    if (uv_write(&w->req, (uv_stream_t *)&c->tcp, &ub, 1, on_write) != 0) {
        buf_free(&w->b);
        free(w);
        conn_close(c);
        return;
    }
    c->inflight = &w->req;
}

/* After any event: write what is queued, then decide whether the connection reads, waits for
 * its output to drain (on_write calls back), waits for a deferred answer (on_resume), or has
 * parser work (pending bytes, a stream) for the loop's next turn. */
static void conn_pump(struct conn *c)
{
    conn_flush(c);
    if (c->closing || c->lingering) return;
    if (c->close_after_write || c->hp.waiting) {
        conn_read(c, 0);
        return;
    }
    size_t queued = conn_queued(c);
    if (c->read_eof && !c->hp.stream && !c->pending.len) { /* all answered */
        c->close_after_write = 1;
        conn_flush(c);
        return;
    }
    if (c->hp.stream || c->pending.len) {
        conn_read(c, 0);
        if (queued <= OUT_LOW_WATER) conn_ready(c);
        return;
    }
    /* Held with nothing left to parse: read again once the output drained to the low mark. */
    conn_read(c, queued < (c->hp.held ? OUT_LOW_WATER : OUT_HIGH_WATER));
}

static void on_timer(uv_timer_t *t)
{
    struct conn *c = t->data;
    uint64_t now = uv_now(t->loop);
    if (now < c->deadline) { /* the deadline moved on since the timer was set */
        c->timer_due = c->deadline;
        uv_timer_start(&c->timer, on_timer, c->deadline - now, 0);
        return;
    }
    if (c->hp.in_message && !c->close_after_write && !c->lingering) {
        http_parser_fail(&c->hp, REG_ETIMEOUT, NULL, &c->out);
        c->close_after_write = 1;
        conn_pump(c);
    } else {
        conn_close(c);
    }
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
    struct conn *c = h->data;
    (void)hint;
    *b = uv_buf_init(c->srv->rbuf, READ_BUF_SIZE);
}

static void refresh_date(struct srv *s)
{
    time_t now = time(NULL);
    if (now == s->date_t) return;
    s->date_t = now;
    http_date((long)now, s->date);
}

/* Parse bytes and note the outcome: close after writing, or a new deadline. Returns how many
 * bytes were consumed; the caller keeps the rest in c->pending (parsing paused). */
static size_t conn_feed(struct conn *c, const char *data, size_t len)
{
    int was_in = c->hp.in_message;
    unsigned long long before = c->hp.counter;
    c->hp.backlog = c->tcp.write_queue_size;
    int rc = http_parser_feed(&c->hp, data, len, &c->out);
    if (rc) {
        c->close_after_write = 1;
        return len;
    }
    if (c->hp.in_message && (!was_in || c->hp.counter != before))
        conn_deadline(c, c->srv->cfg->request_timeout_ms);
    else if (!c->hp.in_message && c->hp.counter != before)
        conn_deadline(c, c->srv->cfg->idle_timeout_ms);
    return c->hp.used;
}

static void on_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *b)
{
    struct conn *c = st->data;
    if (nread == UV_EOF && !c->lingering) { /* a half-close: the requests sent still count */
        c->read_eof = 1;
        conn_read(c, 0);
        conn_pump(c);
        return;
    }
    if (nread < 0) {
        conn_close(c);
        return;
    }
    if (nread == 0 || c->lingering) return; /* lingering: dropped */
    size_t n = (size_t)nread, used = 0;
    refresh_date(c->srv);
    if (!c->pending.len && !c->close_after_write) used = conn_feed(c, b->base, n);
    if (used < n && !c->close_after_write) buf_append(&c->pending, b->base + used, n - used);
    conn_pump(c);
}

/* One step of a ready connection: a slice of its stream, or its pending bytes parsed (until
 * the parser pauses again). */
static void conn_step(struct conn *c)
{
    if (c->closing || c->close_after_write || c->hp.waiting) return;
    refresh_date(c->srv);
    c->hp.backlog = c->tcp.write_queue_size;
    if (c->hp.stream) {
        if (http_parser_stream(&c->hp, &c->out)) c->close_after_write = 1;
        conn_progress(c);
    } else if (c->pending.len) {
        size_t used = conn_feed(c, c->pending.data, c->pending.len);
        if (c->close_after_write || used == c->pending.len)
            buf_free(&c->pending);
        else
            buf_consume(&c->pending, used);
    }
    conn_pump(c);
}

/* The loop's turn: one step for each connection that was ready when it began. */
static void on_idle(uv_idle_t *h)
{
    struct srv *s = h->data;
    struct conn *last = s->ready_tail;
    while (s->ready) {
        struct conn *c = s->ready;
        ready_unlink(c);
        conn_step(c);
        if (c == last) break;
    }
    if (!s->ready) uv_idle_stop(h);
}

/* The http_parser's resume hook: a deferred answer is ready (on the loop thread). */
static void on_resume(struct http_parser *p)
{
    struct conn *c = p->conn;
    if (c->closing) {
        c->hp.waiting = 0;
        if (c->orphan) conn_free(c);
        return;
    }
    refresh_date(c->srv);
    c->hp.backlog = c->tcp.write_queue_size;
    if (http_parser_complete(&c->hp, &c->out)) c->close_after_write = 1;
    conn_pump(c);
}

/* Who the peer is: its address as text for every request's log line (c->hp.req.peer), whether
 * it is a trusted proxy, and its client key. 0, or REG_EBADREQ if it has no IPv4 or IPv6
 * address that can be read. */
static int conn_peer(struct conn *c)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    const struct srv_config *cfg = c->srv->cfg;
    if (uv_tcp_getpeername(&c->tcp, (struct sockaddr *)&ss, &len) != 0 ||
        clients_addr_text((struct sockaddr *)&ss, c->peer) != 0 ||
        clients_key((struct sockaddr *)&ss, &c->client) != 0)
        return REG_EBADREQ;
    c->hp.req.peer = c->peer;
    c->hp.req.peer_trusted = clients_net_has(cfg->trusted, cfg->ntrusted, (struct sockaddr *)&ss);
    return 0;
}

/* Count the new connection under its client; over the limit it gets a 503 and is closed
 * (before reading anything: a client at its limit holds nothing more than a moment). A trusted
 * proxy's connections are not counted: each carries requests of many clients (the proxy limits
 * them one by one); --max-connections still bounds them. */
static int conn_admit(struct conn *c)
{
    struct srv *s = c->srv;
    if (conn_peer(c) != 0 || !s->cfg->max_conns_per_client || c->hp.req.peer_trusted) return 0;
    if (clients_add(s->sh->clients, &c->client, s->cfg->max_conns_per_client) == 0) {
        c->counted = 1;
        return 0;
    }
    __atomic_fetch_add(&s->sh->refused, 1, __ATOMIC_RELAXED);
    refresh_date(s);
    http_parser_fail(&c->hp, REG_EUNAVAIL,
                     "Too many connections from your address; close some and try again.", &c->out);
    c->close_after_write = 1;
    conn_pump(c);
    return REG_EUNAVAIL;
}

static void on_connection(uv_stream_t *server, int status)
{
    struct srv *s = server->data;
    if (status < 0 || s->stopping) return;
    struct conn *c = xcalloc(1, sizeof *c);
    c->srv = s;
    uv_tcp_init(&s->loop, &c->tcp);
    uv_timer_init(&s->loop, &c->timer);
    c->tcp.data = c->timer.data = c;
    c->handles_open = 2;
    c->next = s->conns;
    if (s->conns) s->conns->prev = c;
    s->conns = c;
    s->nconns++;
    unsigned all = __atomic_add_fetch(&s->sh->nconns, 1, __ATOMIC_RELAXED);
    http_parser_init(&c->hp, app_handle, &s->app, randombytes_random());
    c->hp.date = s->date;
    c->hp.body_limit = api_body_limit;
    c->hp.resume = on_resume;
    c->hp.conn = c;
    c->hp.high_water = OUT_HIGH_WATER;
    c->hp.turn = TURN_REQUESTS;
    if (uv_accept(server, (uv_stream_t *)&c->tcp) != 0 || all > s->cfg->max_connections) {
        conn_close(c);
        return;
    }
    uv_tcp_nodelay(&c->tcp, 1);
    conn_deadline(c, s->cfg->idle_timeout_ms);
    if (conn_admit(c) == 0) conn_read(c, 1);
}

/* Stop this loop: no new connections, close every open one (on this loop's thread). */
static void loop_stop(struct srv *s)
{
    if (s->stopping) return;
    s->stopping = 1;
    uv_close((uv_handle_t *)&s->listener, NULL);
    uv_close((uv_handle_t *)&s->stop, NULL);
    uv_close((uv_handle_t *)&s->makers, NULL);
    uv_close((uv_handle_t *)&s->idle, NULL);
    if (!s->writes_out) uv_close((uv_handle_t *)&s->wake_committed, NULL);
    if (s == s->sh->loops) {
        uv_close((uv_handle_t *)&s->sigint, NULL);
        uv_close((uv_handle_t *)&s->sigterm, NULL);
        uv_close((uv_handle_t *)&s->log, NULL); /* the checkpoint timer (loops[0] only) */
    }
    for (struct conn *c = s->conns; c; c = c->next)
        conn_close(c);
}

static void on_stop(uv_async_t *a)
{
    loop_stop(a->data);
}

static void on_makers_timer(uv_timer_t *t)
{
    struct srv *s = t->data;
    app_watch_makers(&s->app);
}

static void on_log_timer(uv_timer_t *t)
{
    struct srv *s = t->data;
    logpub_refresh(s->sh->log); /* on failure, logged; the last checkpoint stays */
}

/* SIGINT or SIGTERM (on loops[0]): every loop stops. */
static void on_signal(uv_signal_t *sig, int signum)
{
    struct srv *s = sig->data;
    (void)signum;
    if (s->stopping) return;
    reg_logf("stopping");
    for (unsigned i = 1; i < s->sh->nloops; i++)
        uv_async_send(&s->sh->loops[i].stop);
    loop_stop(s);
}

/* "HOST:PORT" or "[IPV6]:PORT" (--listen) into ss: 0, REG_EBADREQ for another shape or a port
 * out of range, or libuv's code for a host that is no IP address. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss)
{
    char host[256];
    const char *colon = strrchr(spec, ':');
    if (!colon || (size_t)(colon - spec) >= sizeof host) return REG_EBADREQ;
    char *end;
    long port = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 0 || port > 65535) return REG_EBADREQ;
    memcpy(host, spec, (size_t)(colon - spec));
    host[colon - spec] = '\0';
    if (host[0] == '[') {
        size_t n = strlen(host);
        if (n < 3 || host[n - 1] != ']') return REG_EBADREQ;
        host[n - 1] = '\0';
        return uv_ip6_addr(host + 1, (int)port, (struct sockaddr_in6 *)ss);
    }
    return uv_ip4_addr(host, (int)port, (struct sockaddr_in *)ss);
}

/* The address actually bound, as "http://host:port". */
static void bound_url(struct srv *s, char *out, size_t n)
{
    struct sockaddr_storage ss;
    int len = sizeof ss;
    char ip[64] = "?";
    int port = 0;
    uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &len);
    if (ss.ss_family == AF_INET6) {
        uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof ip);
        port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        snprintf(out, n, "http://[%s]:%d", ip, port);
    } else {
        uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof ip);
        port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        snprintf(out, n, "http://%s:%d", ip, port);
    }
}

/* A socket bound to ss with SO_REUSEPORT, so that every loop listens on the same port with a
 * socket of its own and the kernel spreads new connections over them. libuv 1.44 (Debian 12)
 * has no flag for it, hence the plain socket calls. */
static int reuseport_socket(const struct sockaddr_storage *ss, int *fd_out)
{
    int on = 1, fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    socklen_t len =
        ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (fd < 0) return -errno;
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0 ||
        bind(fd, (const struct sockaddr *)ss, len) != 0) {
        int rc = -errno;
        close(fd);
        return rc;
    }
    *fd_out = fd;
    return 0;
}

/* Listen on ss (its own socket per loop when reuse is set). */
static int start_listener(struct srv *s, const struct sockaddr_storage *ss, int reuse)
{
    int rc, fd;
    uv_tcp_init(&s->loop, &s->listener);
    s->listener.data = s;
    if (reuse) {
        rc = reuseport_socket(ss, &fd);
        if (!rc) rc = uv_tcp_open(&s->listener, fd);
    } else
        rc = uv_tcp_bind(&s->listener, (const struct sockaddr *)ss, 0);
    if (!rc) rc = uv_listen((uv_stream_t *)&s->listener, 1024, on_connection);
    if (rc) {
        reg_logp(LOG_ERR, "cannot listen on %s: %s", s->cfg->listen, uv_strerror(rc));
        uv_close((uv_handle_t *)&s->listener, NULL);
    }
    return rc;
}

static void start_signals(struct srv *s)
{
    uv_signal_init(&s->loop, &s->sigint);
    uv_signal_init(&s->loop, &s->sigterm);
    s->sigint.data = s->sigterm.data = s;
    uv_signal_start(&s->sigint, on_signal, SIGINT);
    uv_signal_start(&s->sigterm, on_signal, SIGTERM);
}

/* The database, locked for this server, in the current format (dataver.h: a newer one is
 * refused before anything is written), with its search index up to date. */
static int open_store(const struct srv_config *cfg, struct store **st)
{
    struct reg_why why = {{0}};
    unsigned from;
    int rc = dataver_check(cfg->data_dir, &from, &why);
    if (rc) {
        reg_logp(LOG_ERR, "%s: %s", cfg->data_dir, why.text[0] ? why.text : reg_strerror(rc));
        return rc;
    }
    rc = store_open_opts(cfg->data_dir, &cfg->store, st);
    if (!rc && (rc = store_lock_server(cfg->data_dir)) == REG_EEXIST) {
        reg_logp(LOG_ERR, "another seclabeld is already serving %s", cfg->data_dir);
        store_close(*st);
        return rc;
    }
    if (rc) {
        reg_logp(LOG_ERR, "cannot open database in %s: %s", cfg->data_dir, reg_strerror(rc));
        return rc;
    }
    uint64_t logged = 0;
    if ((rc = dataver_upgrade(*st, &from, &logged, &why))) {
        reg_logp(LOG_ERR, "cannot upgrade the data directory %s: %s", cfg->data_dir,
                 why.text[0] ? why.text : reg_strerror(rc));
        store_close(*st);
        return rc;
    }
    if (from && from < DATAVER_CURRENT)
        reg_logp(LOG_NOTICE,
                 "data directory %s upgraded from format %u to %u in one transaction "
                 "(transparency log: %llu entries added)",
                 cfg->data_dir, from, DATAVER_CURRENT, (unsigned long long)logged);
    size_t rebuilt = 0;
    if ((rc = sindex_build(*st, 0, &rebuilt)))
        reg_logp(LOG_ERR, "cannot build the search index: %s", reg_strerror(rc));
    else if (rebuilt)
        reg_logf("search index built: %zu products", rebuilt);
    return 0;
}

/* Bind every loop's listener (loops[0]'s first: with port 0, the others take the port it got). */
static int start_listeners(struct shared *sh)
{
    struct sockaddr_storage ss;
    int rc = parse_listen(sh->cfg->listen, &ss);
    if (rc) {
        reg_logp(LOG_ERR, "--listen %s: expected HOST:PORT", sh->cfg->listen);
        return rc;
    }
    for (unsigned i = 0; i < sh->nloops; i++) {
        struct srv *s = &sh->loops[i];
        if ((rc = start_listener(s, &ss, sh->nloops > 1))) return rc;
        if (i == 0) { /* the port actually bound, for the others */
            int len = sizeof ss;
            uv_tcp_getsockname(&s->listener, (struct sockaddr *)&ss, &len);
        }
    }
    return 0;
}

static void close_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

static void loop_thread(void *arg)
{
    struct srv *s = arg;
    uv_run(&s->loop, UV_RUN_DEFAULT);
}

/* The apps' defer hook (struct app_config): work on libuv's thread pool, done on the loop
 * (ctx) that queued it. */
struct defer_work {
    uv_work_t w; /* first */
    void (*work)(void *arg);
    void (*done)(void *arg);
    void *arg;
};

/* The pool's threads run at a lower priority than the loops (nice +POOL_NICE, Linux's nice is
 * per thread), so that on a busy machine a burst of searches and lookups on the pool does not
 * take the CPU from the loops, which answer everyone else; set on each thread's first job. */
#define POOL_NICE 10
static _Thread_local int pool_niced;

static void defer_run(uv_work_t *w)
{
    struct defer_work *d = (struct defer_work *)w;
    if (!pool_niced) {
        pool_niced = 1;
        (void)!setpriority(PRIO_PROCESS, (id_t)gettid(), POOL_NICE); /* best effort */
    }
    d->work(d->arg);
}

static void defer_after(uv_work_t *w, int status)
{
    struct defer_work *d = (struct defer_work *)w;
    (void)status; /* never cancelled: uv_cancel is not used */
    d->done(d->arg);
    free(d);
}

/* The app's defer hook (api.h): 0, REG_EINTERNAL out of memory, or uv_queue_work's code. */
static int defer(void *ctx, void (*work)(void *arg), void (*done)(void *arg), void *arg)
{
    struct defer_work *d = malloc(sizeof *d);
    if (!d) return REG_EINTERNAL;
    *d = (struct defer_work){.work = work, .done = done, .arg = arg};
    int rc = uv_queue_work(ctx, &d->w, defer_run, defer_after);
    if (rc) free(d);
    return rc;
}

/* On the committer thread: w is final; hand it to its loop. The wake-up is sent under the lock
 * so that the loop, which closes the handle once every write it queued came back (under the
 * same lock), never sees it sent after. */
static void write_final(struct commit_write *w)
{
    struct loop_write *lw = w->final_arg;
    struct srv *s = lw->s;
    lw->next = NULL;
    uv_mutex_lock(&s->committed_mu);
    if (s->committed_tail)
        s->committed_tail->next = lw;
    else
        s->committed = lw;
    s->committed_tail = lw;
    uv_async_send(&s->wake_committed);
    uv_mutex_unlock(&s->committed_mu);
}

/* On the loop: answer every write the committer has finished. */
static void on_committed(uv_async_t *a)
{
    struct srv *s = a->data;
    uv_mutex_lock(&s->committed_mu);
    struct loop_write *lw = s->committed;
    s->committed = s->committed_tail = NULL;
    uv_mutex_unlock(&s->committed_mu);
    for (struct loop_write *next; lw; lw = next) {
        next = lw->next;
        s->writes_out--;
        lw->done(lw->arg);
        free(lw);
    }
    if (s->stopping && !s->writes_out && !uv_is_closing((uv_handle_t *)a))
        uv_close((uv_handle_t *)a, NULL);
}

/* The app's commit hook (api.h): 0, or REG_EINTERNAL when the loop no longer takes writes
 * (stopping, its handle closed) or out of memory. */
static int commit_hook(void *ctx, struct commit_write *w, void (*done)(void *arg), void *arg)
{
    struct srv *s = ctx;
    if (uv_is_closing((uv_handle_t *)&s->wake_committed)) return REG_EINTERNAL;
    struct loop_write *lw = malloc(sizeof *lw);
    if (!lw) return REG_EINTERNAL;
    *lw = (struct loop_write){.s = s, .done = done, .arg = arg};
    w->final = write_final;
    w->final_arg = lw;
    s->writes_out++;
    commit_enqueue(s->sh->commits, w);
    return 0;
}

/* Each loop's app, its stop handle; every app sees the others for /metrics. */
static int start_apps(struct shared *sh, const struct app **peers)
{
    for (unsigned i = 0; i < sh->nloops; i++) {
        struct srv *s = &sh->loops[i];
        struct app_config ac = {
            .st = sh->st,
            .public_url = sh->public_url,
            .log = sh->log,
            .security_contact = sh->cfg->security_contact,
            .access_log = sh->cfg->log_requests ? sh->cfg->access_log : NULL,
            .trusted = sh->cfg->trusted,
            .ntrusted = sh->cfg->ntrusted,
            .shared = sh->nloops > 1 || sh->mirror ? &sh->gens : NULL,
            .mirror = sh->mirror,
            .connections = &sh->nconns,
            .conns_refused = &sh->refused,
            .peers = sh->nloops > 1 ? peers : NULL,
            .npeers = sh->nloops > 1 ? (int)sh->nloops : 0,
            .defer = defer,
            .defer_ctx = &s->loop,
            .commits = sh->commits,
            .commit = commit_hook,
            .commit_ctx = s,
        };
        int rc = app_init(&s->app, &ac);
        if (rc) return rc;
        peers[i] = &s->app;
        uv_async_init(&s->loop, &s->stop, on_stop);
        s->stop.data = s;
        uv_async_init(&s->loop, &s->wake_committed, on_committed);
        s->wake_committed.data = s;
        uv_timer_init(&s->loop, &s->makers);
        s->makers.data = s;
        uv_timer_start(&s->makers, on_makers_timer, 1000, 1000);
        if (i == 0) {
            uv_timer_init(&s->loop, &s->log);
            s->log.data = s;
            uv_timer_start(&s->log, on_log_timer, 1000, 1000);
        }
    }
    return 0;
}

/* 1 if url's host is a loopback address (127.0.0.0/8, ::1) or localhost: a development
 * server. inet_pton reads the addresses. */
static int url_host_is_loopback(const char *url)
{
    const char *h = strstr(url, "://");
    if (!h) return 0;
    h += 3;
    size_t n = *h == '[' ? strcspn(++h, "]") : strcspn(h, ":/?#");
    char host[256];
    if (n == 0 || n >= sizeof host) return 0;
    memcpy(host, h, n);
    host[n] = '\0';
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1) return ntohl(a4.s_addr) >> 24 == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1) return IN6_IS_ADDR_LOOPBACK(&a6);
    return strcasecmp(host, "localhost") == 0;
}

/* One line to the log when the public URL (given, or the default made from the address bound)
 * is plain http on a host others reach: /.well-known/security.txt then fails validation (its
 * Canonical URL is made from it, and RFC 9116 2.3 says web URIs in it MUST begin with https://)
 * and QR codes lead to plain http. */
static void warn_unless_https(const char *public_url)
{
    if (strncmp(public_url, "https://", 8) == 0 || url_host_is_loopback(public_url)) return;
    reg_logp(LOG_WARNING,
             "warning: the public URL %s is not https: security.txt fails validation (RFC 9116 "
             "requires an https Canonical URL) and QR codes lead to plain http; give "
             "--public-url https://... (a loopback address is fine for development)",
             public_url);
}

/* Start loops 1.. on threads of their own, with SIGINT and SIGTERM blocked there (threads
 * inherit the mask), so those signals go to the main thread, whose loop handles them. libuv
 * would take them on any thread (its handler writes to loop 0's pipe), but a sanitizer holds a
 * signal back until the thread that took it next enters an intercepted call, which an idle
 * thread may never do. (ThreadSanitizer's own background thread, started before main, still
 * takes one now and then: conftest.py's Server.stop sends the signal again under TSan.) */
static void start_loop_threads(struct shared *sh)
{
    sigset_t stop, old;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, &old);
    for (unsigned i = 1; i < sh->nloops; i++)
        uv_thread_create(&sh->loops[i].thread, loop_thread, &sh->loops[i]);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The mirror's hook (mirror.h): the answers made from what a batch changed are stale. */
static void mirror_changed(void *ctx, const char *id)
{
    struct shared *sh = ctx;
    if (id)
        rcache_shared_invalidate(&sh->gens, rcache_scope(id));
    else
        rcache_shared_invalidate_all(&sh->gens);
}

/* --mirror-of: a log that publishes the primary's checkpoints and signs nothing, and the
 * follower (started once the apps are). A signing key in the data directory (a backup of the
 * primary restored here) is never read: said once, as it should not stay on this machine. */
static int open_mirror(struct shared *sh)
{
    const struct srv_config *cfg = sh->cfg;
    char key[4096];
    snprintf(key, sizeof key, "%s/" NOTE_KEY_FILE, cfg->data_dir);
    if (access(key, F_OK) == 0)
        reg_logf("warning: %s (the primary's signing key, from a backup?) is not used by a "
                 "mirror, which signs nothing; remove it from this machine",
                 key);
    int rc = logpub_open_mirror(cfg->mirror_key, &sh->log);
    if (rc)
        reg_logf("--mirror-key: not a verifier key (<name>+<hex8>+<base64>): %s", cfg->mirror_key);
    struct mirror_config mc = {.st = sh->st,
                               .primary = cfg->mirror_of,
                               .key = cfg->mirror_key,
                               .log = sh->log,
                               .changed = mirror_changed,
                               .changed_ctx = sh};
    if (!rc) rc = mirror_open(&mc, &sh->mirror);
    return rc;
}

int srv_run(const struct srv_config *cfg)
{
    struct shared *sh = xcalloc(1, sizeof *sh);
    sh->cfg = cfg;
    sh->nloops = cfg->loops ? cfg->loops : 1;
    sh->loops = xcalloc(sh->nloops, sizeof *sh->loops);
    const struct app **peers = xcalloc(sh->nloops, sizeof *peers);
    signal(SIGPIPE, SIG_IGN);
    int rc = open_store(cfg, &sh->st);
    if (rc) goto out_free;
    for (unsigned i = 0; i < sh->nloops; i++) {
        sh->loops[i].sh = sh;
        sh->loops[i].cfg = cfg;
        uv_loop_init(&sh->loops[i].loop);
        uv_idle_init(&sh->loops[i].loop, &sh->loops[i].idle);
        sh->loops[i].idle.data = &sh->loops[i];
        uv_mutex_init(&sh->loops[i].committed_mu);
    }
    sh->clients = clients_new();
    sh->commits = commit_queue_new(sh->st);
    char url[256] = "";
    if ((rc = commit_start(sh->commits)))
        reg_logp(LOG_ERR, "cannot start the committer thread");
    else if ((rc = start_listeners(sh)) == 0) {
        bound_url(&sh->loops[0], url, sizeof url);
        snprintf(sh->public_url, sizeof sh->public_url, "%s",
                 cfg->public_url ? cfg->public_url : url);
        warn_unless_https(sh->public_url);
        rc = cfg->mirror_of
                 ? open_mirror(sh)
                 : logpub_open(sh->st, cfg->data_dir, cfg->log_key, sh->public_url, &sh->log);
        if (!rc) rc = start_apps(sh, peers);
        if (!rc && sh->mirror && (rc = mirror_start(sh->mirror)))
            reg_logf("cannot start the mirror's follower");
    }
    if (rc == 0) {
        start_signals(&sh->loops[0]);
        if (cfg->ready) {
            char line[1024];
            snprintf(line, sizeof line, "listening on %s (data %s, public URL %s, %u event loop%s)",
                     url, cfg->data_dir, sh->public_url, sh->nloops, sh->nloops == 1 ? "" : "s");
            cfg->ready(NULL, line);
        }
        start_loop_threads(sh);
        uv_run(&sh->loops[0].loop, UV_RUN_DEFAULT);
        for (unsigned i = 1; i < sh->nloops; i++)
            uv_thread_join(&sh->loops[i].thread);
        reg_logf("stopped");
    } else {
        for (unsigned i = 0; i < sh->nloops; i++) /* close what was opened */
            uv_walk(&sh->loops[i].loop, close_handle, NULL);
    }
    for (unsigned i = 0; i < sh->nloops; i++) {
        struct srv *s = &sh->loops[i];
        uv_run(&s->loop, UV_RUN_DEFAULT); /* let any closing handles finish */
        if (peers[i]) app_close(&s->app);
        uv_loop_close(&s->loop);
        uv_mutex_destroy(&s->committed_mu);
    }
    mirror_close(sh->mirror);       /* before the store it writes to */
    commit_queue_free(sh->commits); /* every write was answered: the loops ran to the end */
    logpub_close(sh->log);
    store_close(sh->st);
    clients_free(sh->clients);
out_free:
    free(peers);
    free(sh->loops);
    free(sh);
    return rc;
}
