/* test_sindex.c: the search index's words (NFKC_Casefold, letters and digits only, CJK
 * characters and pairs, the 64-byte cut), a product's facts, and the index kept by the write
 * path: postings and counts follow a product through create, update and withdrawal, a rebuild
 * gives the same index, and verify names a difference. */
#include "harness.h"
#include "registry_fx.h"

#include "err.h"
#include "product.h"
#include "sindex.h"
#include "store.h"

static int join(void *ctx, const char *w, size_t len, int cjk)
{
    struct buf *b = ctx;
    (void)cjk;
    if (b->len) buf_putc(b, '|');
    buf_append(b, w, len);
    return 0;
}

/* The words of s, '|' between them. */
static const char *words(const char *s, enum sindex_mode mode)
{
    static struct buf b;
    buf_reset(&b);
    assert_int_equal(sindex_words(s, strlen(s), mode, join, &b), 0);
    return buf_cstr(&b);
}

static void words_are_folded_and_split(void **state)
{
    (void)state;
    assert_string_equal(words("Acme SmartCam-2 Pro", SINDEX_FOR_INDEX), "acme|smartcam|2|pro");
    assert_string_equal(words("acme-cam-2", SINDEX_FOR_INDEX), "acme|cam|2");
    assert_string_equal(words("Straße", SINDEX_FOR_INDEX), "strasse");
    assert_string_equal(words("ＡＢＣ１２", SINDEX_FOR_INDEX), "abc12");
    assert_string_equal(words("Café CRÈME", SINDEX_FOR_INDEX), "café|crème"); /* accents kept */
    assert_string_equal(words("a_b.c/d\te,f  ", SINDEX_FOR_INDEX), "a|b|c|d|e|f");
    assert_string_equal(words(" -- ", SINDEX_FOR_INDEX), "");
    assert_string_equal(words("ΣΊΣΥΦΟΣ", SINDEX_FOR_INDEX), "σίσυφοσ");
}

static void cjk_runs_give_characters_and_pairs(void **state)
{
    (void)state;
    assert_string_equal(words("智能插座", SINDEX_FOR_INDEX), "智|智能|能|能插|插|插座|座");
    assert_string_equal(words("Acme智能x", SINDEX_FOR_INDEX), "acme|智|智能|能|x");
    assert_string_equal(words("智能插座", SINDEX_FOR_QUERY), "智能|能插|插座");
    assert_string_equal(words("智", SINDEX_FOR_QUERY), "智");
    assert_string_equal(words("スマート", SINDEX_FOR_QUERY), "スマ|マー|ート");
    assert_string_equal(words("스마트", SINDEX_FOR_INDEX), "스|스마|마|마트|트");
}

static void long_words_are_cut_on_a_character(void **state)
{
    (void)state;
    char s[200];
    memset(s, 'a', 70);
    s[70] = '\0';
    assert_int_equal(strlen(words(s, SINDEX_FOR_INDEX)), SINDEX_WORD_MAX);
    /* 63 a's then a two-byte é: the cut falls inside é, so the word keeps 63 bytes */
    memset(s, 'a', 63);
    strcpy(s + 63, "ééé");
    assert_int_equal(strlen(words(s, SINDEX_FOR_INDEX)), 63);
    assert_int_equal(sindex_words("\xff", 1, SINDEX_FOR_INDEX, join, &(struct buf)BUF_INIT),
                     REG_EBADREQ);
}

static int setup(void **state)
{
    struct registry_fx *f = registry_fx_new();
    registry_fx_maker(f->st, "acme", "Acme Devices Ltd", NULL, "5012345", NULL);
    *state = f;
    return 0;
}

REGISTRY_FX_TEARDOWN(struct registry_fx)

static void put(struct registry_fx *f, const char *id, const char *json)
{
    struct decl_errors errs;
    struct product_result res;
    assert_int_equal(product_put(f->st, "acme", id, json, strlen(json), PRODUCT_NO_PRECONDITION,
                                 &errs, NULL, &res),
                     0);
}

static uint64_t count(struct registry_fx *f, char kind, const char *v, char status)
{
    struct store_txn *txn;
    uint64_t n;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(sindex_count(txn, kind, v, strlen(v), status, &n), 0);
    store_txn_abort(txn);
    return n;
}

static int list_count(void *ctx, const void *value, size_t vlen, uint64_t n)
{
    struct buf *b = ctx;
    buf_printf(b, "%.*s=%llu;", (int)vlen, (const char *)value, (unsigned long long)n);
    return 0;
}

/* Every term of a kind with its count ("DE=1;GB=2;"), as sindex_count_each gives them. */
static const char *count_list(struct registry_fx *f, char kind, char status)
{
    static struct buf b;
    struct store_txn *txn;
    buf_reset(&b);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(sindex_count_each(txn, kind, status, list_count, &b), 0);
    store_txn_abort(txn);
    return buf_cstr(&b);
}

static void on_diff(void *ctx, const char *line)
{
    buf_puts(ctx, line);
    buf_putc(ctx, '\n');
}

static size_t verify(struct registry_fx *f, struct buf *lines)
{
    struct store_txn *txn;
    size_t n;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(sindex_verify(txn, on_diff, lines, 10, &n), 0);
    store_txn_abort(txn);
    return n;
}

#define DECL(name, extra)                                                                          \
    "{\"product_name\":\"" name "\",\"product_model\":\"KX-1\",\"support_date\":\"2035-01-01\","   \
    "\"security_contact\":\"security@example.com\",\"default_password\":\"unique_per_"             \
    "device\"" extra "}"

static void the_write_path_keeps_the_index(void **state)
{
    struct registry_fx *f = *state;
    struct buf lines = BUF_INIT, rec = BUF_INIT;
    struct product_result res;
    size_t n;
    assert_int_equal(sindex_build(f->st, 0, &n), 0); /* marks an empty index built */
    put(f, "acme-kettle", DECL("Smart Kettle", ",\"markets\":[\"GB\",\"DE\"]"));
    put(f, "acme-cam", DECL("Kettle Cam", ",\"gtin\":\"5012345678900\""));
    assert_int_equal(count(f, 'w', "kettle", 0), 2);
    assert_int_equal(count(f, 'n', "smart", 0), 1);
    assert_int_equal(count(f, 'w', "kx", 0), 2);
    assert_int_equal(count(f, 'w', "5012345678900", 0), 1); /* the GTIN-13 as printed */
    assert_int_equal(count(f, 'k', "DE", 0), 1);
    assert_int_equal(count(f, 's', "a", 'a'), 2);
    assert_string_equal(count_list(f, 'k', 0), "DE=1;GB=1;");
    assert_string_equal(count_list(f, 'c', 'a'), "1=2;");
    /* an update moves the words */
    put(f, "acme-kettle", DECL("Smart Toaster", ",\"markets\":[\"GB\"]"));
    assert_int_equal(count(f, 'w', "kettle", 0), 2); /* its ID still says kettle */
    assert_int_equal(count(f, 'n', "kettle", 0), 1);
    assert_int_equal(count(f, 'w', "toaster", 0), 1);
    assert_int_equal(count(f, 'k', "DE", 0), 0);
    /* withdrawal moves every count of the product to 'w' */
    assert_int_equal(
        product_withdraw(f->st, "acme", "acme-cam", PRODUCT_NO_PRECONDITION, &rec, &res), 0);
    assert_int_equal(count(f, 'w', "kettle", 'a'), 1);
    assert_int_equal(count(f, 'w', "kettle", 'w'), 1);
    assert_int_equal(count(f, 'c', "1", 'a'), 1);
    assert_int_equal(count(f, 'c', "0", 'w'), 1);
    assert_string_equal(count_list(f, 's', 0), "a=1;w=1;");
    assert_string_equal(count_list(f, 's', 'w'), "w=1;"); /* a term of no such postings: none */
    assert_string_equal(count_list(f, 'c', 'a'), "1=1;");
    assert_string_equal(count_list(f, 'c', 0), "0=1;1=1;");
    assert_int_equal(verify(f, &lines), 0);
    /* a rebuild gives the same index */
    assert_int_equal(sindex_build(f->st, 1, &n), 0);
    assert_int_equal(n, 2);
    assert_int_equal(verify(f, &lines), 0);
    /* a lost posting and a wrong count are named */
    struct store_txn *txn;
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(store_del_pair(txn, STORE_SPOSTINGS, "wtoaster", 8, "acme-kettle", 11), 0);
    assert_int_equal(store_del_pair(txn, STORE_SPOSTINGS, "kGB", 3, "acme-kettle", 11), 0);
    assert_int_equal(store_txn_commit(txn), 0);
    assert_int_equal(verify(f, &lines), 3);
    assert_non_null(strstr(buf_cstr(&lines), "product acme-kettle: posting w:toaster missing"));
    assert_non_null(strstr(buf_cstr(&lines), "product acme-kettle: posting k:GB missing"));
    assert_non_null(strstr(buf_cstr(&lines), "counts, but")); /* a count without postings */
    buf_free(&lines);
    buf_free(&rec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(words_are_folded_and_split),
        cmocka_unit_test(cjk_runs_give_characters_and_pairs),
        cmocka_unit_test(long_words_are_cut_on_a_character),
        cmocka_unit_test_setup_teardown(the_write_path_keeps_the_index, setup, teardown),
    };
    return cmocka_run_group_tests_name("sindex", tests, NULL, NULL);
}
