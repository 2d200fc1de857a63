/* clients.c: connection counts per client (see clients.h).
 *
 * A chained hash table with a fixed number of buckets, keyed with libsodium's SipHash
 * (crypto_shorthash) under a random key, so that nobody can choose addresses that all land in
 * one chain. Written here rather than taken from a library: it is a few dozen lines, and the
 * hash tables Debian packages (uthash, GLib) hash with fixed, unkeyed functions. An entry
 * exists only while its client holds a connection, so memory follows open connections. */
#include "clients.h"

#include "buf.h"
#include "err.h"

#include <netinet/in.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define CLIENTS_BUCKETS 4096 /* a power of two */

struct client {
    struct client_key key;
    unsigned n;
    struct client *next;
};

struct clients {
    uv_mutex_t lock;
    unsigned char hkey[crypto_shorthash_KEYBYTES];
    struct client *bucket[CLIENTS_BUCKETS];
};

int clients_key(const struct sockaddr *sa, struct client_key *key)
{
    static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    memset(key, 0, sizeof *key);
    if (sa->sa_family == AF_INET) {
        key->b[0] = 4;
        memcpy(key->b + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family != AF_INET6) return REG_EBADREQ;
    const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    if (memcmp(a, v4mapped, sizeof v4mapped) == 0) {
        key->b[0] = 4;
        memcpy(key->b + 1, a + 12, 4);
    } else {
        key->b[0] = 6;
        memcpy(key->b + 1, a, 8); /* the /64 */
    }
    return 0;
}

struct clients *clients_new(void)
{
    struct clients *cl = xcalloc(1, sizeof *cl);
    uv_mutex_init(&cl->lock);
    randombytes_buf(cl->hkey, sizeof cl->hkey);
    return cl;
}

void clients_free(struct clients *cl)
{
    if (!cl) return;
    for (size_t i = 0; i < CLIENTS_BUCKETS; i++)
        for (struct client *e = cl->bucket[i], *next; e; e = next) {
            next = e->next;
            free(e);
        }
    uv_mutex_destroy(&cl->lock);
    free(cl);
}

/* The chain link that holds key's entry, or the chain's end (*link NULL) if there is none. */
static struct client **find(struct clients *cl, const struct client_key *key)
{
    unsigned char h[crypto_shorthash_BYTES];
    crypto_shorthash(h, key->b, sizeof key->b, cl->hkey);
    size_t i = ((size_t)h[0] | (size_t)h[1] << 8) & (CLIENTS_BUCKETS - 1);
    struct client **link = &cl->bucket[i];
    while (*link && memcmp((*link)->key.b, key->b, sizeof key->b) != 0)
        link = &(*link)->next;
    return link;
}

int clients_add(struct clients *cl, const struct client_key *key, unsigned limit)
{
    int rc = 0;
    uv_mutex_lock(&cl->lock);
    struct client **link = find(cl, key);
    if (!*link) {
        *link = xcalloc(1, sizeof **link);
        (*link)->key = *key;
    }
    if (limit && (*link)->n >= limit)
        rc = REG_EUNAVAIL;
    else
        (*link)->n++;
    uv_mutex_unlock(&cl->lock);
    return rc;
}

void clients_remove(struct clients *cl, const struct client_key *key)
{
    uv_mutex_lock(&cl->lock);
    struct client **link = find(cl, key), *e = *link;
    if (e && --e->n == 0) {
        *link = e->next;
        free(e);
    }
    uv_mutex_unlock(&cl->lock);
}

unsigned clients_count(struct clients *cl, const struct client_key *key)
{
    uv_mutex_lock(&cl->lock);
    struct client *e = *find(cl, key);
    unsigned n = e ? e->n : 0;
    uv_mutex_unlock(&cl->lock);
    return n;
}
