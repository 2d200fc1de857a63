/* clients.h: how many connections each client holds, for seclabeld's per-client limit
 * (--max-conns-per-client), shared by every event loop; and who the client is behind a
 * reverse proxy the operator trusts (--trusted-proxy).
 *
 * A client is an address, grouped the way addresses are handed out: an IPv4 address is one
 * client, and so is an IPv6 /64 (one host, home or office usually gets a whole /64, so counting
 * single IPv6 addresses would let one client take every slot); an IPv4-mapped IPv6 address
 * counts as its IPv4 address.
 *
 * Ownership: clients_new() returns a table the caller frees with clients_free() once no
 * connection is counted in it. Every function may be called from any thread. */
#ifndef SECLABEL_CLIENTS_H
#define SECLABEL_CLIENTS_H

#include <stddef.h>
#include <sys/socket.h>

struct clients;

/* A client's key: the address family and the address's first 4 (IPv4) or 8 (IPv6) bytes. */
struct client_key {
    unsigned char b[9];
};

/* The key of a peer address: 0, or REG_EBADREQ for a family other than IPv4 and IPv6. */
int clients_key(const struct sockaddr *sa, struct client_key *key);
struct clients *clients_new(void);
void clients_free(struct clients *cl);
/* Count one more connection of key, unless it holds `limit` already (limit 0: no limit).
 * 0, or REG_EUNAVAIL when over the limit (nothing counted then). */
int clients_add(struct clients *cl, const struct client_key *key, unsigned limit);
/* One connection of key (counted by clients_add) is gone. */
void clients_remove(struct clients *cl, const struct client_key *key);
/* Connections key holds now. */
unsigned clients_count(struct clients *cl, const struct client_key *key);

/* Trusted proxies (--trusted-proxy). A connection from one is not counted under the per-client
 * limit (it carries many clients' requests: the proxy limits each client itself), and the
 * client its requests come from is named by their X-Forwarded-For, read from the right: the last
 * element is the address the proxy appended (what it saw), unless that is a trusted proxy too (a
 * chain: TLS terminator, then cache), whose own X-Forwarded-For element is the one before, and so
 * on; what a client wrote itself, left of that, is never believed. From any other peer
 * X-Forwarded-For means nothing. */

/* An address or network: IPv4 kept as IPv4-mapped IPv6 (::ffff:a.b.c.d, prefix + 96), so one
 * comparison serves both families and a dual-stack socket's mapped peers. */
struct client_net {
    unsigned char a[16];
    unsigned bits; /* prefix length, 0-128 */
};
/* Room for an address as text (INET6_ADDRSTRLEN). */
#define CLIENTS_ADDR_MAX 46

/* "ADDR" (one address) or "ADDR/BITS" (a network; the bits past the prefix must be zero), IPv4
 * or IPv6, into net: 0, or REG_EBADREQ. */
int clients_net_parse(const char *spec, struct client_net *net);
/* Whether the address sa is inside one of nets[0..n). */
int clients_net_has(const struct client_net *nets, size_t n, const struct sockaddr *sa);
/* sa as text into out (at least CLIENTS_ADDR_MAX bytes): IPv4 dotted (an IPv4-mapped IPv6 address
 * too), IPv6 as inet_ntop writes it (RFC 5952). 0, or REG_EBADREQ for another family. */
int clients_addr_text(const struct sockaddr *sa, char *out);
/* The client an X-Forwarded-For value[0..len) names, as clients_addr_text writes it into out (at
 * least CLIENTS_ADDR_MAX bytes): its last comma-separated element that is not inside trusted[0..n)
 * (or its first element, if all are). Elements are IPv4 or IPv6 addresses with optional blanks
 * around them. 0, or REG_EBADREQ when an element read is no address (ports, brackets, names,
 * "unknown", empty elements; the caller then keeps the peer's address, never a guess). */
int clients_forwarded_for(const char *value, size_t len, const struct client_net *trusted, size_t n,
                          char *out);

#endif
