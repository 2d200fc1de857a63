/* test_dataver.c: the data directory's format mark (dataver.h): written on a new directory,
 * an unmarked directory of records (format 1: what releases before the mark and the log left)
 * brought to the current format in one transaction, a newer mark refused with both formats
 * named and nothing written. */
#include "harness.h"

#include "dataver.h"
#include "err.h"
#include "product.h"
#include "registry_fx.h"
#include "tlog.h"

static int setup(void **state)
{
    struct registry_fx *f = registry_fx_new();
    registry_fx_maker(f->st, "acme", "Acme Devices Ltd", "security@acme.example", "5012345", NULL);
    *state = f;
    return 0;
}

static int setup_empty(void **state)
{
    *state = registry_fx_new();
    return 0;
}

REGISTRY_FX_TEARDOWN(struct registry_fx)

static unsigned stored_mark(struct store *st)
{
    struct store_txn *txn;
    unsigned format = 999;
    assert_int_equal(store_txn_begin(st, 0, &txn), 0);
    assert_int_equal(dataver_read(txn, &format), 0);
    store_txn_abort(txn);
    return format;
}

static void put_mark(struct store *st, int present, unsigned format)
{
    struct store_txn *txn;
    unsigned char v[4];
    store_be_put(format, v, 4);
    assert_int_equal(store_txn_begin(st, 1, &txn), 0);
    if (present)
        assert_int_equal(store_put(txn, STORE_META, "format", 6, v, 4, 0), 0);
    else
        assert_int_equal(store_del(txn, STORE_META, "format", 6), 0);
    assert_int_equal(store_txn_commit(txn), 0);
}

static void a_new_directory_gets_the_current_mark(void **state)
{
    struct registry_fx *f = *state;
    unsigned from = 9;
    uint64_t logged = 9;
    assert_int_equal(stored_mark(f->st), 0); /* nothing stored: new */
    assert_int_equal(dataver_upgrade(f->st, &from, &logged, NULL), 0);
    assert_int_equal(from, 0);
    assert_int_equal(logged, 0);
    assert_int_equal(stored_mark(f->st), DATAVER_CURRENT);
    assert_int_equal(dataver_upgrade(f->st, &from, &logged, NULL), 0); /* nothing more to do */
    assert_int_equal(from, DATAVER_CURRENT);
}

/* Records, no mark and no log, as a release before the log left them: one upgrade logs every
 * maker and version and writes the mark. */
static void format_1_is_upgraded_in_one_transaction(void **state)
{
    struct registry_fx *f = *state;
    struct decl_errors errs;
    struct product_result res;
    struct store_txn *txn;
    for (int i = 0; i < 3; i++) {
        char id[16], json[1024];
        snprintf(id, sizeof id, "acme-cam-%d", i);
        snprintf(json, sizeof json, "%s", DECL_OK);
        assert_int_equal(product_put(f->st, "acme", id, json, strlen(json), PRODUCT_NO_PRECONDITION,
                                     &errs, NULL, &res),
                         0);
    }
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(store_clear(txn, STORE_TLOG), 0);
    assert_int_equal(store_txn_commit(txn), 0);
    put_mark(f->st, 1, 2);
    put_mark(f->st, 0, 0);
    assert_int_equal(stored_mark(f->st), 1);
    unsigned from;
    uint64_t logged, size;
    assert_int_equal(dataver_upgrade(f->st, &from, &logged, NULL), 0);
    assert_int_equal(from, 1);
    assert_int_equal(logged, 4); /* acme's snapshot and three versions */
    assert_int_equal(stored_mark(f->st), DATAVER_CURRENT);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(tlog_size(txn, &size), 0);
    store_txn_abort(txn);
    assert_int_equal(size, 4);
}

static void file_bytes(const char *dir, struct buf *out)
{
    char path[512];
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        buf_append(out, chunk, n);
    fclose(fp);
}

/* A mark newer than this code's: refused, both named, data.mdb byte for byte as it was. */
static void a_newer_mark_is_refused_untouched(void **state)
{
    struct registry_fx *f = *state;
    put_mark(f->st, 1, DATAVER_CURRENT + 1);
    struct buf before = BUF_INIT, after = BUF_INIT;
    file_bytes(f->dir, &before);
    struct reg_why why = {{0}};
    unsigned format = 0, from = 0;
    uint64_t logged;
    assert_int_equal(dataver_check(f->dir, &format, &why), REG_EDATAFORMAT);
    assert_int_equal(format, DATAVER_CURRENT + 1);
    char want[128];
    snprintf(want, sizeof want,
             "the data directory is in format %u, newer than this seclabel's format %u:",
             DATAVER_CURRENT + 1, DATAVER_CURRENT);
    assert_memory_equal(why.text, want, strlen(want));
    assert_null(strchr(why.text, '\n'));
    assert_int_equal(dataver_upgrade(f->st, &from, &logged, &why), REG_EDATAFORMAT);
    file_bytes(f->dir, &after);
    assert_int_equal(before.len, after.len);
    assert_memory_equal(before.data, after.data, before.len);
    buf_free(&before);
    buf_free(&after);
}

static void no_database_yet_is_format_0(void **state)
{
    (void)state;
    unsigned format = 9;
    assert_int_equal(dataver_check("/nonexistent/seclabel-dataver", &format, NULL), 0);
    assert_int_equal(format, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_new_directory_gets_the_current_mark, setup_empty,
                                        teardown),
        cmocka_unit_test_setup_teardown(format_1_is_upgraded_in_one_transaction, setup, teardown),
        cmocka_unit_test_setup_teardown(a_newer_mark_is_refused_untouched, setup, teardown),
        cmocka_unit_test(no_database_yet_is_format_0),
    };
    return cmocka_run_group_tests_name("dataver", tests, NULL, NULL);
}
