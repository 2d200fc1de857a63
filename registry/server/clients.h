/* clients.h: how many connections each client holds, for seclabeld's per-client limit
 * (--max-conns-per-client), shared by every event loop.
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

#endif
