/* clients.c: connection counts per client (see clients.h).
 *
 * A chained hash table with a fixed number of buckets, keyed with libsodium's SipHash
 * (crypto_shorthash) under a random key, so that nobody can choose addresses that all land in
 * one chain. Written here rather than taken from a library: it is a few dozen lines, and the
 * hash tables Debian packages (uthash, GLib) hash with fixed, unkeyed functions. An entry
 * exists only while its client holds a connection, so memory follows open connections.
 * Addresses are read and written with inet_pton and inet_ntop (libc). */
#include "clients.h"

#include "buf.h"
#include "err.h"

#include <arpa/inet.h>
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

/* The first 12 bytes of an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
static const unsigned char v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int clients_key(const struct sockaddr *sa, struct client_key *key)
{
    memset(key, 0, sizeof *key);
    if (sa->sa_family == AF_INET) {
        key->b[0] = 4;
        memcpy(key->b + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family != AF_INET6) return REG_EBADREQ;
    const unsigned char *a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    if (memcmp(a, v4mapped_prefix, sizeof v4mapped_prefix) == 0) {
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

/* The text s (no blanks) as an IPv4 or IPv6 address into a[16] (IPv4 mapped): 1, or 0. */
static int addr_parse(const char *s, unsigned char a[16], int *v4)
{
    struct in_addr in4;
    *v4 = inet_pton(AF_INET, s, &in4) == 1;
    if (*v4) {
        memcpy(a, v4mapped_prefix, 12);
        memcpy(a + 12, &in4, 4);
        return 1;
    }
    return inet_pton(AF_INET6, s, a) == 1;
}

int clients_net_parse(const char *spec, struct client_net *net)
{
    char addr[CLIENTS_ADDR_MAX];
    const char *slash = strchr(spec, '/');
    size_t n = slash ? (size_t)(slash - spec) : strlen(spec);
    int v4;
    if (n == 0 || n >= sizeof addr) return REG_EBADREQ;
    memcpy(addr, spec, n);
    addr[n] = '\0';
    if (!addr_parse(addr, net->a, &v4)) return REG_EBADREQ;
    unsigned max = v4 ? 32 : 128, bits = max;
    if (slash) {
        const char *d = slash + 1;
        if (!*d || strlen(d) > 3 || strspn(d, "0123456789") != strlen(d)) return REG_EBADREQ;
        bits = (unsigned)atoi(d);
        if (bits > max) return REG_EBADREQ;
    }
    net->bits = bits + (v4 ? 96 : 0);
    for (unsigned i = net->bits; i < 128; i++) /* nothing past the prefix */
        if (net->a[i / 8] & (0x80 >> (i % 8))) return REG_EBADREQ;
    return 0;
}

/* sa's address as 16 bytes (IPv4 mapped): 0, or REG_EBADREQ for another family. */
static int sockaddr_bytes(const struct sockaddr *sa, unsigned char a[16])
{
    if (sa->sa_family == AF_INET) {
        memcpy(a, v4mapped_prefix, 12);
        memcpy(a + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
        return 0;
    }
    if (sa->sa_family != AF_INET6) return REG_EBADREQ;
    memcpy(a, ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr, 16);
    return 0;
}

int clients_net_has(const struct client_net *nets, size_t n, const struct sockaddr *sa)
{
    unsigned char a[16];
    if (sockaddr_bytes(sa, a)) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned whole = nets[i].bits / 8, rest = nets[i].bits % 8;
        if (memcmp(a, nets[i].a, whole) != 0) continue;
        unsigned char mask = (unsigned char)(0xff00 >> rest);
        if (rest && (a[whole] & mask) != nets[i].a[whole]) continue;
        return 1;
    }
    return 0;
}

/* a[16] (IPv4 mapped) as text into out. */
static void bytes_text(const unsigned char a[16], char *out)
{
    if (memcmp(a, v4mapped_prefix, 12) == 0)
        inet_ntop(AF_INET, a + 12, out, CLIENTS_ADDR_MAX);
    else
        inet_ntop(AF_INET6, a, out, CLIENTS_ADDR_MAX);
}

int clients_addr_text(const struct sockaddr *sa, char *out)
{
    unsigned char a[16];
    int rc = sockaddr_bytes(sa, a);
    if (rc) return rc;
    bytes_text(a, out);
    return 0;
}

/* The element of an X-Forwarded-For list that ends at value[end] (exclusive), blanks trimmed, into
 * a[16]: 0 and *start (where it begins, at a comma or 0), or REG_EBADREQ if it is no address. */
static int xff_element(const char *value, size_t end, unsigned char a[16], size_t *start)
{
    size_t b = end;
    while (b > 0 && value[b - 1] != ',')
        b--;
    *start = b;
    while (b < end && (value[b] == ' ' || value[b] == '\t'))
        b++;
    while (end > b && (value[end - 1] == ' ' || value[end - 1] == '\t'))
        end--;
    char addr[CLIENTS_ADDR_MAX];
    int v4;
    if (end == b || end - b >= sizeof addr) return REG_EBADREQ;
    memcpy(addr, value + b, end - b);
    addr[end - b] = '\0';
    return addr_parse(addr, a, &v4) ? 0 : REG_EBADREQ;
}

int clients_forwarded_for(const char *value, size_t len, const struct client_net *trusted, size_t n,
                          char *out)
{
    unsigned char a[16];
    size_t start;
    for (;;) {
        if (xff_element(value, len, a, &start)) return REG_EBADREQ;
        struct sockaddr_in6 sa = {.sin6_family = AF_INET6};
        memcpy(sa.sin6_addr.s6_addr, a, 16);
        if (start == 0 || !clients_net_has(trusted, n, (struct sockaddr *)&sa)) break;
        len = start - 1; /* the element before the comma */
    }
    bytes_text(a, out);
    return 0;
}
