/* registry_fx.h: the registry the storage unit tests start from: a fresh LMDB directory, the
 * token hashing ready, and makers added with their GS1 Company Prefixes. Include after
 * harness.h. */
#ifndef SECLABEL_TEST_REGISTRY_FX_H
#define SECLABEL_TEST_REGISTRY_FX_H

#include "auth.h"
#include "mfr.h"
#include "store.h"

/* A new empty store in a new temporary directory (*dir: the caller's, for registry_fx_close). */
static inline struct store *registry_fx_open(char **dir)
{
    struct store *st = NULL;
    *dir = temp_dir();
    assert_int_equal(auth_init(), 0);
    assert_int_equal(store_open(*dir, &st), 0);
    return st;
}

/* The fixture of the tests that need only a store: made by registry_fx_new (calloc), freed by
 * REGISTRY_FX_TEARDOWN(struct registry_fx). */
struct registry_fx {
    char *dir;
    struct store *st;
};

static inline struct registry_fx *registry_fx_new(void)
{
    struct registry_fx *f = calloc(1, sizeof *f);
    assert_non_null(f);
    f->st = registry_fx_open(&f->dir);
    return f;
}

/* Close the store and remove its directory (frees dir). */
static inline void registry_fx_close(char *dir, struct store *st)
{
    store_close(st);
    rm_tree(dir);
}

/* Defines the cmocka teardown for a fixture (type: a struct with members dir and st, made with
 * calloc): closes the store, removes its directory, frees the fixture. */
#define REGISTRY_FX_TEARDOWN(type)                                                                 \
    static int teardown(void **state)                                                              \
    {                                                                                              \
        type *f = *state;                                                                          \
        registry_fx_close(f->dir, f->st);                                                          \
        free(f);                                                                                   \
        return 0;                                                                                  \
    }

/* Add a maker (contact and gs1 prefix may be NULL); its token goes to token if not NULL. */
static inline void registry_fx_maker(struct store *st, const char *slug, const char *name,
                                     const char *contact, const char *gs1,
                                     char token[AUTH_TOKEN_LEN + 1])
{
    char spare[AUTH_TOKEN_LEN + 1];
    struct mfr_info m = {slug, name, contact, NULL};
    assert_int_equal(mfr_add(st, &m, token ? token : spare, NULL), 0);
    int changed;
    if (gs1) assert_int_equal(mfr_change(st, slug, MFR_PREFIX_ADD, gs1, &changed, NULL), 0);
}

#endif
