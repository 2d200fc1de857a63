/* test_clients.c: connection counts per client (clients.h): how addresses are grouped into
 * clients, and the limit; trusted proxies and the client their X-Forwarded-For names. */
#include "harness.h"

#include "clients.h"
#include "err.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>

/* The sockaddr of an address given as text. */
static struct sockaddr_storage sockaddr_of(const char *addr)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    if (strchr(addr, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, addr, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, addr, &a->sin_addr), 1);
    }
    return ss;
}

static struct client_key key_of(const char *addr)
{
    struct sockaddr_storage ss = sockaddr_of(addr);
    struct client_key k;
    assert_int_equal(clients_key((struct sockaddr *)&ss, &k), 0);
    return k;
}

static int same(const char *a, const char *b)
{
    struct client_key ka = key_of(a), kb = key_of(b);
    return memcmp(&ka, &kb, sizeof ka) == 0;
}

static void addresses_group_into_clients(void **state)
{
    (void)state;
    assert_true(same("192.0.2.1", "192.0.2.1"));
    assert_false(same("192.0.2.1", "192.0.2.2"));
    /* an IPv6 /64 is one client; the next /64 another */
    assert_true(same("2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff"));
    assert_false(same("2001:db8:1:2::1", "2001:db8:1:3::1"));
    /* IPv4 over a dual-stack socket is the same client as over IPv4 */
    assert_true(same("::ffff:192.0.2.1", "192.0.2.1"));
    assert_false(same("::1", "0.0.0.1"));
    struct sockaddr sa = {.sa_family = AF_UNIX};
    struct client_key k;
    assert_int_equal(clients_key(&sa, &k), REG_EBADREQ);
}

static void the_limit_holds_per_client(void **state)
{
    (void)state;
    struct clients *cl = clients_new();
    struct client_key a = key_of("192.0.2.1"), b = key_of("2001:db8::7");
    for (int i = 0; i < 3; i++)
        assert_int_equal(clients_add(cl, &a, 3), 0);
    assert_int_equal(clients_add(cl, &a, 3), REG_EUNAVAIL);
    assert_int_equal(clients_count(cl, &a), 3);  /* the refusal counted nothing */
    assert_int_equal(clients_add(cl, &b, 3), 0); /* others are not affected */
    clients_remove(cl, &a);
    assert_int_equal(clients_add(cl, &a, 3), 0);
    assert_int_equal(clients_add(cl, &a, 0), 0); /* 0: no limit */
    assert_int_equal(clients_count(cl, &a), 4);
    for (int i = 0; i < 4; i++)
        clients_remove(cl, &a);
    assert_int_equal(clients_count(cl, &a), 0);
    assert_int_equal(clients_count(cl, &b), 1);
    clients_free(cl);
}

static void many_clients_each_counted(void **state)
{
    (void)state;
    struct clients *cl = clients_new();
    char addr[64];
    for (int i = 0; i < 20000; i++) { /* more clients than buckets */
        snprintf(addr, sizeof addr, "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
        struct client_key k = key_of(addr);
        assert_int_equal(clients_add(cl, &k, 1), 0);
    }
    for (int i = 0; i < 20000; i += 7) {
        snprintf(addr, sizeof addr, "10.%d.%d.%d", i >> 16, (i >> 8) & 255, i & 255);
        struct client_key k = key_of(addr);
        assert_int_equal(clients_add(cl, &k, 1), REG_EUNAVAIL);
        clients_remove(cl, &k);
        assert_int_equal(clients_count(cl, &k), 0);
    }
    clients_free(cl); /* frees what is still counted */
}

static int trusted(const char *spec, const char *peer)
{
    struct client_net net;
    assert_int_equal(clients_net_parse(spec, &net), 0);
    struct sockaddr_storage ss = sockaddr_of(peer);
    return clients_net_has(&net, 1, (struct sockaddr *)&ss);
}

static void trusted_proxies_are_addresses_or_networks(void **state)
{
    (void)state;
    assert_true(trusted("127.0.0.1", "127.0.0.1"));
    assert_false(trusted("127.0.0.1", "127.0.0.2"));
    assert_true(trusted("127.0.0.1", "::ffff:127.0.0.1")); /* over a dual-stack socket */
    assert_true(trusted("10.1.0.0/16", "10.1.255.3"));
    assert_false(trusted("10.1.0.0/16", "10.2.0.1"));
    assert_true(trusted("10.1.2.128/25", "10.1.2.200"));
    assert_false(trusted("10.1.2.128/25", "10.1.2.127"));
    assert_true(trusted("0.0.0.0/0", "198.51.100.1"));
    assert_false(trusted("0.0.0.0/0", "2001:db8::1")); /* IPv4's everything is not IPv6's */
    assert_true(trusted("::1", "::1"));
    assert_false(trusted("::1", "127.0.0.1"));
    assert_true(trusted("2001:db8:aa::/48", "2001:db8:aa:ffff::9"));
    assert_false(trusted("2001:db8:aa::/48", "2001:db8:ab::9"));
    /* of several, any */
    struct client_net nets[2];
    assert_int_equal(clients_net_parse("192.0.2.7", &nets[0]), 0);
    assert_int_equal(clients_net_parse("2001:db8::/32", &nets[1]), 0);
    struct sockaddr_storage a = sockaddr_of("2001:db8:1::1"), b = sockaddr_of("192.0.2.8");
    assert_true(clients_net_has(nets, 2, (struct sockaddr *)&a));
    assert_false(clients_net_has(nets, 2, (struct sockaddr *)&b));
    struct sockaddr un = {.sa_family = AF_UNIX};
    assert_false(clients_net_has(nets, 2, &un));
    /* what is not an address or network */
    const char *bad[] = {
        "",           "localhost",   "127.0.0.1/33",  "::1/129",       "10.0.0.0/",
        "10.0.0.1/8", "10.0.0.0/-8", "10.0.0.0/8x",   "[::1]",         "127.0.0.1:80",
        "/8",         "1.2.3",       "10.0.0.0/0008", "2001:db8::1/64"};
    struct client_net net;
    for (size_t i = 0; i < COUNT(bad); i++) {
        if (clients_net_parse(bad[i], &net) != REG_EBADREQ) fail_msg("accepted '%s'", bad[i]);
    }
}

/* The client X-Forwarded-For value names when the proxies in front are those of `proxies` (a
 * space-separated list, or ""), or NULL if refused. */
static const char *xff_via(const char *value, const char *proxies)
{
    static char out[CLIENTS_ADDR_MAX];
    struct client_net nets[4];
    size_t n = 0;
    char list[128], *save = NULL;
    snprintf(list, sizeof list, "%s", proxies);
    for (char *t = strtok_r(list, " ", &save); t; t = strtok_r(NULL, " ", &save))
        assert_int_equal(clients_net_parse(t, &nets[n++]), 0);
    return clients_forwarded_for(value, strlen(value), nets, n, out) == 0 ? out : NULL;
}

static const char *xff(const char *value)
{
    return xff_via(value, "");
}

static void forwarded_for_names_the_last_element(void **state)
{
    (void)state;
    assert_string_equal(xff("203.0.113.9"), "203.0.113.9");
    /* what the client sent comes first; the proxy appends the address it saw */
    assert_string_equal(xff("6.6.6.6, 203.0.113.9"), "203.0.113.9");
    assert_string_equal(xff("unknown,6.6.6.6 ,\t203.0.113.9 \t"), "203.0.113.9");
    assert_string_equal(xff("2001:DB8:0:0::7"), "2001:db8::7"); /* RFC 5952 form */
    assert_string_equal(xff("1.2.3.4, ::ffff:198.51.100.2"), "198.51.100.2");
    /* the last element is no address: refused, never an earlier one */
    const char *bad[] = {"",
                         " ",
                         ",",
                         "203.0.113.9,",
                         "203.0.113.9, ",
                         "203.0.113.9, unknown",
                         "1.2.3.4, 203.0.113.9:5555",
                         "[2001:db8::7]",
                         "2001:db8::7%eth0",
                         "1.2.3.4, example.com",
                         "1.2.3.4, 203.0.113.9 x",
                         "1.2.3.4, 999.0.113.9",
                         "1.2.3.4, 1234:5678:9abc:def0:1234:5678:9abc:def0:1",
                         "1.2.3.4, 0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:1",
                         "1.2.3.4, 203.0.113.9\r\nX: y"};
    for (size_t i = 0; i < COUNT(bad); i++) {
        if (xff(bad[i])) fail_msg("accepted '%s'", bad[i]);
    }
    /* the value's length counts, not a NUL: a longer buffer's tail is not read */
    char out[CLIENTS_ADDR_MAX];
    assert_int_equal(clients_forwarded_for("1.2.3.4, 5.6.7.8garbage", 16, NULL, 0, out), 0);
    assert_string_equal(out, "5.6.7.8");
}

static void forwarded_for_skips_trusted_proxies_from_the_right(void **state)
{
    (void)state;
    /* TLS front 10.0.0.1 appended the client, the cache at 10.0.0.2 appended the front */
    assert_string_equal(xff_via("6.6.6.6, 203.0.113.9, 10.0.0.1", "10.0.0.1"), "203.0.113.9");
    assert_string_equal(xff_via("6.6.6.6, 203.0.113.9, 10.0.0.1", "10.0.0.0/8"), "203.0.113.9");
    assert_string_equal(xff_via("203.0.113.9, 10.0.0.1", "::1 10.0.0.1"), "203.0.113.9");
    /* the client forged a trusted address: the element the front appended stops the walk */
    assert_string_equal(xff_via("10.0.0.1, 203.0.113.9, 10.0.0.1", "10.0.0.1"), "203.0.113.9");
    /* every element trusted: the first (a proxy's own request, e.g. a health check) */
    assert_string_equal(xff_via("10.0.0.3, 10.0.0.1", "10.0.0.0/8"), "10.0.0.3");
    assert_string_equal(xff_via("::ffff:10.0.0.1", "10.0.0.1"), "10.0.0.1");
    /* an element that is no address on the way: refused, not skipped */
    assert_null(xff_via("203.0.113.9, unknown, 10.0.0.1", "10.0.0.1"));
    assert_null(xff_via(", 10.0.0.1", "10.0.0.1"));
    /* untrusted elements are not skipped */
    assert_string_equal(xff_via("203.0.113.9, 10.0.0.1", "10.0.0.2"), "10.0.0.1");
}

static void peers_as_text(void **state)
{
    (void)state;
    char out[CLIENTS_ADDR_MAX];
    const char *cases[][2] = {
        {"192.0.2.1", "192.0.2.1"},
        {"::ffff:192.0.2.1", "192.0.2.1"},
        {"2001:db8:0::1", "2001:db8::1"},
        {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"}};
    for (size_t i = 0; i < COUNT(cases); i++) {
        struct sockaddr_storage ss = sockaddr_of(cases[i][0]);
        assert_int_equal(clients_addr_text((struct sockaddr *)&ss, out), 0);
        assert_string_equal(out, cases[i][1]);
    }
    struct sockaddr un = {.sa_family = AF_UNIX};
    assert_int_equal(clients_addr_text(&un, out), REG_EBADREQ);
}

int main(void)
{
    assert_int_equal(sodium_init() < 0, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(addresses_group_into_clients),
        cmocka_unit_test(the_limit_holds_per_client),
        cmocka_unit_test(many_clients_each_counted),
        cmocka_unit_test(trusted_proxies_are_addresses_or_networks),
        cmocka_unit_test(forwarded_for_names_the_last_element),
        cmocka_unit_test(forwarded_for_skips_trusted_proxies_from_the_right),
        cmocka_unit_test(peers_as_text),
    };
    return cmocka_run_group_tests_name("clients", tests, NULL, NULL);
}
