/* test_hash.c: the one hash (hash.h) gives FNV-1a's published 64-bit values, and hashing in
 * pieces equals hashing the whole. */
#include "harness.h"

#include "hash.h"

/* From the FNV reference test suite (draft-eastlake-fnv, test vectors for FNV-1a 64). */
static void known_vectors(void **state)
{
    (void)state;
    assert_true(hash_fnv1a("", 0) == 0xcbf29ce484222325ull);
    assert_true(hash_fnv1a("a", 1) == 0xaf63dc4c8601ec8cull);
    assert_true(hash_fnv1a("foobar", 6) == 0x85944171f73967e8ull);
    /* Bytes, not chars: a byte above 0x7f is not sign-extended. */
    assert_true(hash_fnv1a("\xff", 1) == ((0xcbf29ce484222325ull ^ 0xffu) * 0x100000001b3ull));
}

static void pieces_equal_the_whole(void **state)
{
    (void)state;
    uint64_t h = hash_fnv1a("foo", 3);
    assert_true(hash_fnv1a_more(h, "bar", 3) == hash_fnv1a("foobar", 6));
    assert_true(hash_fnv1a_more(h, "", 0) == h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_vectors),
        cmocka_unit_test(pieces_equal_the_whole),
    };
    return cmocka_run_group_tests_name("hash", tests, NULL, NULL);
}
