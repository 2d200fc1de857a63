/* test_clients.c: connection counts per client (clients.h): how addresses are grouped into
 * clients, and the limit. */
#include "harness.h"

#include "clients.h"
#include "err.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>

static struct client_key key_of(const char *addr)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct client_key k;
    if (strchr(addr, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        assert_int_equal(inet_pton(AF_INET6, addr, &a->sin6_addr), 1);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        assert_int_equal(inet_pton(AF_INET, addr, &a->sin_addr), 1);
    }
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

int main(void)
{
    assert_int_equal(sodium_init() < 0, 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(addresses_group_into_clients),
        cmocka_unit_test(the_limit_holds_per_client),
        cmocka_unit_test(many_clients_each_counted),
    };
    return cmocka_run_group_tests_name("clients", tests, NULL, NULL);
}
