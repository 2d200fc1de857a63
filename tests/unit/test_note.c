/* test_note.c: note.c against vectors from Go's golang.org/x/mod/sumdb/note and the C2SP
 * signed-note specification; round trips of keys, notes, checkpoints and tile paths; and the
 * malformed forms each parser must refuse. */
#include "harness.h"

#include "err.h"
#include "note.h"

#include <sys/stat.h>
#include <unistd.h>

/* Made by Go (tests/tools/tlogcheck genkey registry.example/log; then its `sign` of the
 * checkpoint below): Ed25519 is deterministic, so C must sign it to the same bytes. */
#define GO_SKEY                                                                                    \
    "PRIVATE+KEY+registry.example/log+756ffb93+AfE0wmwWYzF+gdV7vI92eoQ43txgvstAqpJxdr6sGD8A"
#define GO_VKEY "registry.example/log+756ffb93+AR7vRlWTyDS63FsMI40b14eudRJjWETlikGzZK967b7A"
#define GO_TEXT "registry.example/log\n1234067\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n"
#define GO_SIG                                                                                     \
    "\n\xe2\x80\x94 registry.example/log "                                                         \
    "dW/"                                                                                          \
    "7k+e47UMIQ8JGwWUPCr4ohnIeueWDYZA7AIzOSP9lGb4hWa7+f9LSME9aqLMpX5pyUhPAZBuxvlwQrXWXI4LWwQs=\n"
#define GO_NOTE GO_TEXT GO_SIG
#define R "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=" /* a root: 32 bytes of 7 */

/* The example of c2sp.org/signed-note ("Verifier keys", Example). */
#define SPEC_VKEY "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
#define SPEC_NOTE                                                                                  \
    "This is an example message.\n\n\xe2\x80\x94 example.com/foo "                                 \
    "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=" \
    "\n"

static struct note_verifier verifier(const char *vkey)
{
    struct note_verifier v;
    assert_int_equal(note_verifier_parse(vkey, strlen(vkey), &v, NULL), 0);
    return v;
}

/* The same key: name, ID and secret key (the rest of the name's array is not compared). */
static void same_signer(const struct note_signer *a, const struct note_signer *b)
{
    assert_string_equal(a->name, b->name);
    assert_int_equal(a->id, b->id);
    assert_memory_equal(a->sk, b->sk, sizeof a->sk);
}

static int open_str(const char *msg, const struct note_verifier *v)
{
    size_t tl;
    return note_open(msg, strlen(msg), v, &tl, NULL);
}

static void go_key_signs_like_go(void **state)
{
    (void)state;
    struct note_signer s;
    assert_int_equal(note_signer_parse(GO_SKEY "\n", strlen(GO_SKEY) + 1, &s, NULL), 0);
    assert_string_equal(s.name, "registry.example/log");
    assert_int_equal(s.id, 0x756ffb93);
    struct buf b = BUF_INIT;
    note_verifier_key(&s, &b);
    assert_string_equal(buf_cstr(&b), GO_VKEY);
    buf_reset(&b);
    note_signer_format(&s, &b);
    assert_string_equal(buf_cstr(&b), GO_SKEY);
    buf_reset(&b);
    assert_int_equal(note_sign(&s, GO_TEXT, strlen(GO_TEXT), &b, NULL), 0);
    assert_string_equal(buf_cstr(&b), GO_NOTE);
    buf_free(&b);
    note_signer_wipe(&s);
}

static void go_and_spec_notes_open(void **state)
{
    (void)state;
    struct note_verifier v = verifier(GO_VKEY), spec = verifier(SPEC_VKEY);
    size_t tl = 0;
    assert_int_equal(note_open(GO_NOTE, strlen(GO_NOTE), &v, &tl, NULL), 0);
    assert_int_equal(tl, strlen(GO_TEXT));
    assert_int_equal(open_str(SPEC_NOTE, &spec), 0);
    /* Each with the other's key: not signed by it. */
    assert_int_equal(open_str(SPEC_NOTE, &v), REG_EUNVERIFIED);
    assert_int_equal(open_str(GO_NOTE, &spec), REG_EUNVERIFIED);
    /* Signatures by unknown keys are ignored, before and after. */
    const char *other = "\xe2\x80\x94 example.com/foo AAAAAAAAAA==\n";
    char buf[1024];
    snprintf(buf, sizeof buf, "%s%s", GO_NOTE, other);
    assert_int_equal(open_str(buf, &v), 0);
    snprintf(buf, sizeof buf, "%s\n%s%s", GO_TEXT, other, &GO_SIG[1]);
    assert_int_equal(open_str(buf, &v), 0);
}

static void checkpoint_round_trip(void **state)
{
    (void)state;
    unsigned char root[NOTE_HASH_LEN], got[NOTE_HASH_LEN];
    memset(root, 7, sizeof root);
    struct buf b = BUF_INIT;
    note_checkpoint_format("registry.example/log", 1234067, root, &b);
    assert_string_equal(buf_cstr(&b), GO_TEXT); /* Go's checkpoint, byte for byte */
    uint64_t size = 0;
    struct reg_why why = {""};
    assert_int_equal(note_checkpoint_parse(b.data, b.len, "registry.example/log", &size, got, &why),
                     0);
    assert_true(size == 1234067);
    assert_memory_equal(got, root, sizeof root);
    buf_free(&b);
    static const char *const bad[] = {
        "registry.example/log\n01\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n", /* leading 0 */
        "registry.example/log\n-1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n",
        ("registry.example/log\n18446744073709551616\n" R "\n"),
        "registry.example/log\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBw==\n", /* 31 bytes */
        "registry.example/log\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwd=\n", /* stray bits */
        "registry.example/log\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=",   /* no newline */
        "other.example/log\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n",
        "registry.example/log\n1\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n\n", /* empty ext */
        "registry.example/log\n\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n",
        "registry.example/log\n1\n",
    };
    for (size_t i = 0; i < COUNT(bad); i++)
        assert_int_equal(
            note_checkpoint_parse(bad[i], strlen(bad[i]), "registry.example/log", &size, got, NULL),
            REG_EBADNOTE);
    const char *ext = "registry.example/log\n0\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\nx\n";
    assert_int_equal(
        note_checkpoint_parse(ext, strlen(ext), "registry.example/log", &size, got, NULL), 0);
    assert_true(size == 0);
}

static void sign_open_round_trip(void **state)
{
    (void)state;
    struct note_signer s;
    assert_int_equal(note_signer_generate("127.0.0.1:8080/log", &s, NULL), 0);
    struct buf k = BUF_INIT, n = BUF_INIT;
    note_verifier_key(&s, &k);
    struct note_verifier v = verifier(buf_cstr(&k));
    const char *text = "Ognuno sta solo sul cuor della terra\n\ned \xc3\xa8 subito sera.\n";
    assert_int_equal(note_sign(&s, text, strlen(text), &n, NULL), 0);
    size_t tl = 0;
    assert_int_equal(note_open(n.data, n.len, &v, &tl, NULL), 0);
    assert_int_equal(tl, strlen(text)); /* the last blank line splits, not the first */
    /* Any changed byte of the text fails the signature. */
    n.data[3] ^= 1;
    assert_int_equal(note_open(n.data, n.len, &v, &tl, NULL), REG_EUNVERIFIED);
    /* Another key of the same name is not the known key: unverified. */
    struct note_signer s2;
    assert_int_equal(note_signer_generate("127.0.0.1:8080/log", &s2, NULL), 0);
    buf_reset(&n);
    assert_int_equal(note_sign(&s2, text, strlen(text), &n, NULL), 0);
    assert_int_equal(note_open(n.data, n.len, &v, &tl, NULL), REG_EUNVERIFIED);
    /* Texts a note cannot carry. */
    assert_int_equal(note_sign(&s, "no newline", 10, &n, NULL), REG_EBADNOTE);
    assert_int_equal(note_sign(&s, "", 0, &n, NULL), REG_EBADNOTE);
    assert_int_equal(note_sign(&s, "tab\there\n", 9, &n, NULL), REG_EBADNOTE);
    assert_int_equal(note_sign(&s, "bad \xc3\x28\n", 7, &n, NULL), REG_EBADNOTE);
    /* A private key string round-trips. */
    buf_reset(&k);
    note_signer_format(&s, &k);
    struct note_signer back;
    assert_int_equal(note_signer_parse(k.data, k.len, &back, NULL), 0);
    same_signer(&back, &s);
    buf_free(&k);
    buf_free(&n);
}

static void malformed_notes_refused(void **state)
{
    (void)state;
    struct note_verifier v = verifier(GO_VKEY);
    char buf[2048];
    static const char *const bad[] = {
        GO_TEXT,      /* no signatures */
        GO_TEXT "\n", /* a blank line, then nothing */
        "\n",
        GO_TEXT "\n- registry.example/log AAAAAAAA\n", /* not an em dash */
        GO_TEXT "\n\xe2\x80\x94 registry.example/log\n",
        GO_TEXT "\n\xe2\x80\x94 registry.example/log AAAA\n",      /* under 5 bytes */
        GO_TEXT "\n\xe2\x80\x94 registry.example/log AAAAAAAA!\n", /* not base64 */
        GO_TEXT "\n\xe2\x80\x94 a+b AAAAAAAA\n",                   /* '+' in a name */
        GO_TEXT "\n\xe2\x80\x94  AAAAAAAA\n",                      /* no name */
        GO_TEXT "\n\xe2\x80\x94 a\xe3\x80\x80"
                "b AAAAAAAA\n",    /* U+3000 space */
        "a\rb\n" GO_SIG,           /* control character */
        "a\xed\xa0\x80z\n" GO_SIG, /* a surrogate */
        "a\xc0\xafz\n" GO_SIG,     /* overlong */
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        print_message("bad note %zu\n", i);
        assert_int_equal(open_str(bad[i], &v), REG_EBADNOTE);
    }
    /* The signature, but without its final newline. */
    size_t n = strlen(GO_NOTE) - 1;
    size_t tl;
    assert_int_equal(note_open(GO_NOTE, n, &v, &tl, NULL), REG_EBADNOTE);
    /* A known key's signature that is not 64 bytes: refused, not ignored. */
    snprintf(buf, sizeof buf, "%s\n\xe2\x80\x94 registry.example/log dW/7kwAAAAAA\n", GO_TEXT);
    assert_int_equal(open_str(buf, &v), REG_EUNVERIFIED);
    /* 100 signature lines are read; the 101st is refused. */
    struct buf many = BUF_INIT;
    buf_puts(&many, GO_NOTE);
    for (int i = 1; i < NOTE_MAX_SIGS; i++)
        buf_puts(&many, "\xe2\x80\x94 other.example AAAAAAAAAA==\n");
    assert_int_equal(note_open(many.data, many.len, &v, &tl, NULL), 0);
    buf_puts(&many, "\xe2\x80\x94 other.example AAAAAAAAAA==\n");
    assert_int_equal(note_open(many.data, many.len, &v, &tl, NULL), REG_EBADNOTE);
    buf_free(&many);
}

static void malformed_keys_refused(void **state)
{
    (void)state;
    struct note_verifier v;
    struct note_signer s;
    static const char *const bad_v[] = {
        "registry.example/log+756ffb94+AR7vRlWTyDS63FsMI40b14eudRJjWETlikGzZK967b7A", /* id */
        "registry.example/log+756FFB93+AR7vRlWTyDS63FsMI40b14eudRJjWETlikGzZK967b7A", /* case */
        "registry.example/log+756ffb9+AR7vRlWTyDS63FsMI40b14eudRJjWETlikGzZK967b7A",
        "other.example/log+756ffb93+AR7vRlWTyDS63FsMI40b14eudRJjWETlikGzZK967b7A",
        "registry.example/log+756ffb93+Ah7vRlWTyDS63FsMI40b14eudRJjWETlikGzZK967b7A", /* type 2 */
        "registry.example/log+756ffb93+AR7vRlWTyDS63FsMI40b14eudRJjWETlikGzZK967b7",  /* length */
        "registry.example/log+756ffb93",
        "registry example/log+756ffb93+AR7vRlWTyDS63FsMI40b14eudRJjWETlikGzZK967b7A",
        "",
    };
    for (size_t i = 0; i < COUNT(bad_v); i++)
        assert_int_equal(note_verifier_parse(bad_v[i], strlen(bad_v[i]), &v, NULL), REG_EBADKEY);
    static const char *const bad_s[] = {
        "PRIVATE+KEY+registry.example/log+756ffb94+AfE0wmwWYzF+gdV7vI92eoQ43txgvstAqpJxdr6sGD8A",
        "PRIVATE+KEY+other.example/log+756ffb93+AfE0wmwWYzF+gdV7vI92eoQ43txgvstAqpJxdr6sGD8A",
        "registry.example/log+756ffb93+AfE0wmwWYzF+gdV7vI92eoQ43txgvstAqpJxdr6sGD8A",
        "PRIVATE+KEY+registry.example/log+756ffb93+AfE0wmwWYzF+gdV7vI92eoQ43txgvstAqpJxdr6sGD8",
    };
    for (size_t i = 0; i < COUNT(bad_s); i++)
        assert_int_equal(note_signer_parse(bad_s[i], strlen(bad_s[i]), &s, NULL), REG_EBADKEY);
    assert_int_equal(note_signer_generate("a b", &s, NULL), REG_EBADKEY);
    assert_int_equal(note_signer_generate("", &s, NULL), REG_EBADKEY);
}

static void origin_from_url(void **state)
{
    (void)state;
    char o[NOTE_NAME_MAX + 1];
    assert_int_equal(note_origin_from_url("http://127.0.0.1:8080", o, NULL), 0);
    assert_string_equal(o, "127.0.0.1:8080/log");
    assert_int_equal(note_origin_from_url("https://Registry.Example/", o, NULL), 0);
    assert_string_equal(o, "registry.example/log");
    assert_int_equal(note_origin_from_url("https://reg.example/Labels//", o, NULL), 0);
    assert_string_equal(o, "reg.example/Labels/log");
    assert_int_equal(note_origin_from_url("ftp://x.example", o, NULL), REG_EBADKEY);
    assert_int_equal(note_origin_from_url("https://", o, NULL), REG_EBADKEY);
    assert_int_equal(note_origin_from_url("https://u@x.example", o, NULL), REG_EBADKEY);
    assert_int_equal(note_origin_from_url("https://x.example/a+b", o, NULL), REG_EBADKEY);
}

static void key_file_made_once(void **state)
{
    (void)state;
    char *dir = temp_dir();
    char path[512];
    snprintf(path, sizeof path, "%s/log.key", dir);
    struct note_signer a, b;
    int created = 0;
    assert_int_equal(note_signer_load(path, &a, NULL), REG_ENOTFOUND);
    assert_int_equal(note_signer_open(path, NULL, &a, &created, NULL), REG_ENOTFOUND);
    assert_int_equal(note_signer_open(path, "x.example/log", &a, &created, NULL), 0);
    assert_true(created);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    /* Opened again: the same key, never a new one. */
    assert_int_equal(note_signer_open(path, "x.example/log", &b, &created, NULL), 0);
    assert_false(created);
    same_signer(&a, &b);
    assert_int_equal(note_signer_open(path, NULL, &b, &created, NULL), 0);
    same_signer(&a, &b);
    /* A key made for another origin is refused, and left as it is. */
    struct reg_why why = {""};
    assert_int_equal(note_signer_open(path, "y.example/log", &b, &created, &why), REG_EBADKEY);
    assert_non_null(strstr(why.text, "x.example/log"));
    assert_int_equal(note_signer_load(path, &b, NULL), 0);
    same_signer(&a, &b);
    /* A file that is not a key. */
    FILE *f = fopen(path, "w");
    fputs("not a key\n", f);
    fclose(f);
    assert_int_equal(note_signer_open(path, "x.example/log", &b, &created, NULL), REG_EBADKEY);
    unlink(path);
    rm_tree(dir);
}

/* note_tile_path's outputs, and C2SP's example index. */
static void tile_paths(void **state)
{
    (void)state;
    static const struct {
        int level;
        uint64_t n;
        unsigned w;
        const char *path;
    } ok[] = {
        {0, 0, 256, "tile/0/000"},
        {0, 1234067, 256, "tile/0/x001/x234/067"},
        {1, 999, 256, "tile/1/999"},
        {2, 1000, 1, "tile/2/x001/000.p/1"},
        {63, 5, 255, "tile/63/005.p/255"},
        {NOTE_TILE_ENTRIES, 1234067, 17, "tile/entries/x001/x234/067.p/17"},
        {NOTE_TILE_ENTRIES, 0, 256, "tile/entries/000"},
        {0, INT64_MAX, 256, "tile/0/x009/x223/x372/x036/x854/x775/807"},
    };
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < COUNT(ok); i++) {
        buf_reset(&b);
        assert_int_equal(note_tile_path(ok[i].level, ok[i].n, ok[i].w, &b), 0);
        assert_string_equal(buf_cstr(&b), ok[i].path);
        int level;
        uint64_t n;
        unsigned w;
        assert_int_equal(note_tile_parse(ok[i].path, strlen(ok[i].path), &level, &n, &w), 0);
        assert_int_equal(level, ok[i].level);
        assert_true(n == ok[i].n);
        assert_int_equal(w, ok[i].w);
    }
    assert_int_equal(note_tile_path(64, 0, 256, &b), REG_EBADREQ);
    assert_int_equal(note_tile_path(-2, 0, 256, &b), REG_EBADREQ);
    assert_int_equal(note_tile_path(0, 0, 0, &b), REG_EBADREQ);
    assert_int_equal(note_tile_path(0, 0, 257, &b), REG_EBADREQ);
    buf_free(&b);
}

static void tile_paths_strict(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "tile/0/1",
        "tile/0/01",
        "tile/0/0000",
        "tile/00/000",
        "tile/01/000",
        "tile/64/000",
        "tile/-1/000",
        "tile/0/x000/001",
        "tile/0/001/002",
        "tile/0/x001",
        "tile/0/x001/",
        "tile/0/x1/002",
        "tile/0/000.p/0",
        "tile/0/000.p/256",
        "tile/0/000.p/01",
        "tile/0/000.p/",
        "tile/0/000.p",
        "tile/0/000/",
        "tile/0/000.q/5",
        "tile/0/00a",
        "tile/data/000",
        "tile/entries/1",
        "tile/entries/",
        "tile/0",
        "tile/",
        "tiles/0/000",
        "/tile/0/000",
        "tile/0/x009/x223/x372/x036/x854/x775/808",
        "tile/0/x999/x999/x999/x999/x999/x999/999",
        "tile/0/000.p/5x",
        "tile/8/0/000",
        "tile/0/x001/x234/067.p/256",
    };
    for (size_t i = 0; i < COUNT(bad); i++) {
        int level;
        uint64_t n;
        unsigned w;
        print_message("bad path %s\n", bad[i]);
        assert_int_equal(note_tile_parse(bad[i], strlen(bad[i]), &level, &n, &w), REG_ENOTFOUND);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(go_key_signs_like_go),
        cmocka_unit_test(go_and_spec_notes_open),
        cmocka_unit_test(checkpoint_round_trip),
        cmocka_unit_test(sign_open_round_trip),
        cmocka_unit_test(malformed_notes_refused),
        cmocka_unit_test(malformed_keys_refused),
        cmocka_unit_test(origin_from_url),
        cmocka_unit_test(key_file_made_once),
        cmocka_unit_test(tile_paths),
        cmocka_unit_test(tile_paths_strict),
    };
    return cmocka_run_group_tests_name("note", tests, NULL, NULL);
}
