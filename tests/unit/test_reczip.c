/* test_reczip.c: packed records (reczip.h) on a temporary store: the write that brings the
 * versions table to RECZIP_TRAIN_AT records trains a dictionary, and records from then on are
 * packed; plain records (a data directory written before packing) and packed ones are read side
 * by side, by every reader, also after the store is opened again; a later training never makes
 * older records unreadable; records stay borrowed until their transaction ends (two at once, and
 * a reused reader); a damaged frame is REG_ESTORE; `admin verify` finds nothing wrong. */
#include "harness.h"
#include "registry_fx.h"

#include "admin.h"
#include "err.h"
#include "mfr.h"
#include "product.h"
#include "reczip.h"
#include "store.h"

#include <yyjson.h>

static int setup(void **state)
{
    struct registry_fx *f = registry_fx_new();
    registry_fx_maker(f->st, "acme", "Acme Devices Ltd", NULL, NULL, NULL);
    *state = f;
    return 0;
}

REGISTRY_FX_TEARDOWN(struct registry_fx)

/* Products acme-<kind>-<from> .. acme-<kind>-<to - 1>, written in one transaction; each
 * record's product_name names its ID, so a record read back can be told from any other. */
static void put_range(struct registry_fx *f, const char *kind, int from, int to)
{
    struct store_txn *txn;
    struct mfr m;
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(mfr_get(txn, "acme", &m), 0);
    for (int i = from; i < to; i++) {
        char id[64], json[1024];
        struct decl_errors errs;
        struct product_result res;
        snprintf(id, sizeof id, "acme-%s-%05d", kind, i);
        snprintf(json, sizeof json,
                 "{\"product_name\":\"Acme %s %s\",\"product_model\":\"%s-%d\","
                 "\"support_date\":\"20%02d-12-31\",\"security_contact\":"
                 "\"security@acme.example\",\"default_password\":\"unique_per_device\","
                 "\"security_update_information_other\":\"The %s number %d of the Acme "
                 "range, with a %s and %d settings.\"}",
                 kind, id, kind, i * 7 % 1000, 30 + i % 60, kind, i,
                 i % 3 ? "battery" : "mains supply", i % 17);
        yyjson_doc *doc = yyjson_read(json, strlen(json), 0);
        assert_int_equal(
            product_put_in(txn, &m, id, yyjson_doc_get_root(doc), -1, &errs, NULL, &res), 0);
        yyjson_doc_free(doc);
    }
    mfr_free(&m);
    assert_int_equal(store_txn_commit(txn), 0);
}

/* The stored (raw) value of version 1 of id, copied. */
static char *raw(struct registry_fx *f, const char *id, size_t *len)
{
    char key[80];
    size_t klen = strlen(id) + 5;
    struct store_txn *txn;
    struct store_val v;
    memcpy(key, id, strlen(id) + 1);
    memcpy(key + strlen(id) + 1, "\0\0\0\1", 4);
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(store_get(txn, STORE_VERSIONS, key, klen, &v), 0);
    char *out = malloc(v.len);
    memcpy(out, v.data, v.len);
    *len = v.len;
    store_txn_abort(txn);
    return out;
}

static void put_raw(struct registry_fx *f, const char *id, const void *val, size_t len)
{
    char key[80];
    size_t klen = strlen(id) + 5;
    struct store_txn *txn;
    memcpy(key, id, strlen(id) + 1);
    memcpy(key + strlen(id) + 1, "\0\0\0\1", 4);
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(store_put(txn, STORE_VERSIONS, key, klen, val, len, 0), 0);
    assert_int_equal(store_txn_commit(txn), 0);
}

/* 1 if JSON record json[0..len) is product id's, as put_range wrote it. */
static int is_record_of(const char *json, size_t len, const char *id)
{
    yyjson_doc *doc = yyjson_read(json, len, 0);
    yyjson_val *root = yyjson_doc_get_root(doc);
    const char *name = yyjson_get_str(yyjson_obj_get(root, "product_name"));
    int ok = yyjson_equals_str(yyjson_obj_get(root, "id"), id) && name && strstr(name, id);
    yyjson_doc_free(doc);
    return ok;
}

/* Product id read through product_get, product_get_version and product_each_version. */
static int check_each(void *ctx, const char *json, size_t len)
{
    return is_record_of(json, len, ctx) ? 0 : REG_ESTORE;
}

static void reads_back(struct registry_fx *f, const char *id)
{
    struct store_txn *txn;
    const char *json;
    size_t len;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(product_get(txn, id, &json, &len), 0);
    assert_true(is_record_of(json, len, id));
    assert_int_equal(product_get_version(txn, id, 1, &json, &len), 0);
    assert_true(is_record_of(json, len, id));
    assert_int_equal(product_each_version(txn, id, check_each, (void *)id), 0);
    store_txn_abort(txn);
}

/* The dictionary records are packed with now (meta "zdict", reczip.h), 0 if none. */
static unsigned current_dict(struct registry_fx *f)
{
    struct store_txn *txn;
    struct store_val v;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    int rc = store_get(txn, STORE_META, "zdict", 5, &v);
    unsigned id = rc == 0 && v.len == 12 ? (unsigned)store_be_get(v.data, 4) : 0;
    store_txn_abort(txn);
    return id;
}

static void verify_clean(struct registry_fx *f)
{
    struct buf out = BUF_INIT;
    unsigned long problems = 99;
    assert_int_equal(admin_verify(f->st, &out, &problems), 0);
    if (problems) fprintf(stderr, "%s", buf_cstr(&out));
    assert_int_equal(problems, 0);
    buf_free(&out);
}

/* Up to RECZIP_TRAIN_AT versions, records are JSON; the write that crosses it trains, and what
 * is written from then on is packed, smaller, and reads back as it was written; the JSON
 * records before stay as they were and read side by side with the packed ones. */
static void records_are_packed_once_a_dictionary_is_trained(void **state)
{
    struct registry_fx *f = *state;
    put_range(f, "cam", 0, RECZIP_TRAIN_AT - 10);
    assert_int_equal(current_dict(f), 0);
    size_t len;
    char *before = raw(f, "acme-cam-00000", &len);
    assert_int_equal(before[0], '{');
    free(before);
    put_range(f, "cam", RECZIP_TRAIN_AT - 10, RECZIP_TRAIN_AT + 100);
    assert_int_not_equal(current_dict(f), 0);

    char id[64];
    snprintf(id, sizeof id, "acme-cam-%05d", RECZIP_TRAIN_AT + 50);
    char *packed = raw(f, id, &len);
    assert_true(reczip_packed(packed, len));
    assert_true(len < 200); /* its JSON is ~400 bytes */
    free(packed);
    char *plain = raw(f, "acme-cam-00005", &len);
    assert_int_equal(plain[0], '{');
    free(plain);

    reads_back(f, id);
    reads_back(f, "acme-cam-00005");
    store_close(f->st); /* a new process: the dictionary is read from the meta table */
    assert_int_equal(store_open(f->dir, &f->st), 0);
    reads_back(f, id);
    reads_back(f, "acme-cam-00005");
    verify_clean(f);
}

/* A data directory written before packing (plain JSON records, as every one before it was
 * made) is read with the new code, takes new writes packed, and reads both. */
static void a_directory_written_before_is_read(void **state)
{
    struct registry_fx *f = *state;
    put_range(f, "old", 0, 50);
    char *old[50];
    size_t oldlen[50];
    for (int i = 0; i < 50; i++) {
        char id[64];
        snprintf(id, sizeof id, "acme-old-%05d", i);
        old[i] = raw(f, id, &oldlen[i]);
        assert_int_equal(old[i][0], '{');
    }
    put_range(f, "new", 0, RECZIP_TRAIN_AT);
    assert_int_not_equal(current_dict(f), 0);
    for (int i = 0; i < 50; i++) { /* the old records are as they were written */
        char id[64];
        size_t len;
        snprintf(id, sizeof id, "acme-old-%05d", i);
        char *now = raw(f, id, &len);
        assert_int_equal(len, oldlen[i]);
        assert_memory_equal(now, old[i], len);
        reads_back(f, id);
        free(now);
        free(old[i]);
    }
    reads_back(f, "acme-new-01999");
    verify_clean(f);
}

/* zstd derives a dictionary's ID from its content's end, so a new dictionary may get the ID of
 * another one already stored: it is then stored under the next free ID, never dropped (a
 * collision left the registry without its new dictionary before). Made here by training twice
 * on the same records after the stored dictionary's bytes were changed. */
static void a_dictionary_whose_id_is_taken_gets_the_next(void **state)
{
    struct registry_fx *f = *state;
    put_range(f, "cam", 0, RECZIP_TRAIN_AT + 20);
    put_range(f, "lamp", 0, 600);
    struct store_txn *txn;
    unsigned would, got;
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0); /* the ID the next training makes */
    assert_int_equal(reczip_train(txn, &would), 0);
    assert_int_not_equal(would, 0);
    store_txn_abort(txn);
    unsigned char key[9] = "zdict", other[64] = "not that dictionary";
    store_be_put(would, key + 5, 4);
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(store_put(txn, STORE_META, key, sizeof key, other, sizeof other, 0), 0);
    assert_int_equal(reczip_train(txn, &got), 0);
    assert_int_equal(got, would + 1);
    assert_int_equal(store_txn_commit(txn), 0);
    assert_int_equal(current_dict(f), got);
    put_range(f, "plug", 0, 5);
    size_t len;
    char *packed = raw(f, "acme-plug-00003", &len);
    assert_true(reczip_packed(packed, len));
    free(packed);
    reads_back(f, "acme-plug-00003");
}

/* A dictionary trained later packs new records; the ones packed with the first still read,
 * also in a new process (which finds both dictionaries in the meta table). */
static void a_later_dictionary_keeps_older_records_readable(void **state)
{
    struct registry_fx *f = *state;
    put_range(f, "cam", 0, RECZIP_TRAIN_AT + 20);
    unsigned first = current_dict(f);
    assert_int_not_equal(first, 0);
    put_range(f, "lamp", 0, 600); /* other words for the next dictionary */
    struct store_txn *txn;
    unsigned second;
    assert_int_equal(store_txn_begin(f->st, 1, &txn), 0);
    assert_int_equal(reczip_train(txn, &second), 0);
    assert_int_equal(store_txn_commit(txn), 0);
    assert_int_not_equal(second, 0);
    assert_int_not_equal(second, first);
    assert_int_equal(current_dict(f), second);
    put_range(f, "plug", 0, 20);
    size_t len;
    char *packed = raw(f, "acme-plug-00010", &len);
    assert_true(reczip_packed(packed, len));
    free(packed);
    store_close(f->st);
    assert_int_equal(store_open(f->dir, &f->st), 0);
    reads_back(f, "acme-cam-02010"); /* packed with the first */
    reads_back(f, "acme-lamp-00300");
    reads_back(f, "acme-plug-00010"); /* with the second */
    reads_back(f, "acme-cam-00001");  /* plain */
    verify_clean(f);
}

/* Records stay valid until their transaction ends: two held at once, and a reader reused for
 * many transactions (AddressSanitizer: nothing read after it is freed, nothing leaked). */
static void records_stay_borrowed_until_the_transaction_ends(void **state)
{
    struct registry_fx *f = *state;
    put_range(f, "cam", 0, RECZIP_TRAIN_AT + 20);
    struct store_reader *rd;
    assert_int_equal(store_reader_new(f->st, &rd), 0);
    for (int round = 0; round < 50; round++) {
        struct store_txn *txn;
        const char *a, *b;
        size_t alen, blen;
        char ida[64], idb[64];
        snprintf(ida, sizeof ida, "acme-cam-%05d", RECZIP_TRAIN_AT + round % 20);
        snprintf(idb, sizeof idb, "acme-cam-%05d", round);
        assert_int_equal(store_reader_begin(rd, &txn), 0);
        assert_int_equal(product_get(txn, ida, &a, &alen), 0);
        assert_int_equal(product_get(txn, idb, &b, &blen), 0);
        assert_true(is_record_of(a, alen, ida));
        assert_true(is_record_of(b, blen, idb));
        store_reader_end(rd);
    }
    store_reader_free(rd);
}

/* A packed record that is damaged (cut short, its header's size or dictionary wrong, garbage
 * after the magic number) is REG_ESTORE for every reader, never a crash; `admin verify` reports
 * it. */
static void a_damaged_frame_is_a_storage_error(void **state)
{
    struct registry_fx *f = *state;
    put_range(f, "cam", 0, RECZIP_TRAIN_AT + 20);
    const char *id = "acme-cam-02005";
    size_t len;
    char *good = raw(f, id, &len);
    assert_true(reczip_packed(good, len));
    char *bad = malloc(len + 64);
    struct {
        const char *what;
        size_t at, len; /* overwrite bytes [at, at + len) with 0xff */
        size_t cut;     /* bytes cut off the end */
    } damage[] = {
        {"cut short", 0, 0, 8},
        {"header", 4, 6, 0},
        {"after the header", 10, len - 10, 0},
    };
    for (size_t i = 0; i < sizeof damage / sizeof damage[0]; i++) {
        memcpy(bad, good, len);
        memset(bad + damage[i].at, 0xff, damage[i].len);
        put_raw(f, id, bad, len - damage[i].cut);
        struct store_txn *txn;
        const char *json;
        size_t jl;
        assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
        print_message("%s\n", damage[i].what);
        assert_int_equal(product_get(txn, id, &json, &jl), REG_ESTORE);
        assert_int_equal(product_get_version(txn, id, 1, &json, &jl), REG_ESTORE);
        assert_int_equal(product_each_version(txn, id, check_each, (void *)id), REG_ESTORE);
        store_txn_abort(txn);
        struct buf out = BUF_INIT;
        unsigned long problems = 0;
        assert_int_equal(admin_verify(f->st, &out, &problems), 0);
        assert_true(problems > 0);
        buf_free(&out);
    }
    /* The magic number alone. */
    put_raw(f, id, good, 4);
    struct store_txn *txn;
    const char *json;
    size_t jl;
    assert_int_equal(store_txn_begin(f->st, 0, &txn), 0);
    assert_int_equal(product_get(txn, id, &json, &jl), REG_ESTORE);
    store_txn_abort(txn);
    put_raw(f, id, good, len); /* as it was: readable again */
    reads_back(f, id);
    free(bad);
    free(good);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(records_are_packed_once_a_dictionary_is_trained, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_directory_written_before_is_read, setup, teardown),
        cmocka_unit_test_setup_teardown(a_later_dictionary_keeps_older_records_readable, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(records_stay_borrowed_until_the_transaction_ends, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_damaged_frame_is_a_storage_error, setup, teardown),
        cmocka_unit_test_setup_teardown(a_dictionary_whose_id_is_taken_gets_the_next, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
