/* changes.c: the changes feed, the STORE_CHANGES table: u64be(seq) -> the change's JSON (see
 * changes.h). The one place entries are made, for products (product.c) and makers (mfr.c). */
#include "changes.h"

#include "err.h"

#include <stdio.h>

/* Append the entry made of seq and body (the members after "seq", with their leading comma),
 * seq one more than the last. */
static int append(struct store_txn *txn, const char *body)
{
    uint64_t seq = 0;
    int rc = changes_last_seq(txn, &seq);
    if (rc) return rc;
    seq++;
    unsigned char key[8];
    store_be_put(seq, key, 8);
    char val[320];
    int n = snprintf(val, sizeof val, "{\"seq\":%llu%s}", (unsigned long long)seq, body);
    if (n < 0 || (size_t)n >= sizeof val) return REG_EINTERNAL;
    return store_put(txn, STORE_CHANGES, key, sizeof key, val, (size_t)n,
                     STORE_NOOVERWRITE | STORE_APPEND);
}

int changes_append_product(struct store_txn *txn, const char *id, unsigned version,
                           const char *kind, const char *owner, const char *now)
{
    char body[288];
    int n = snprintf(body, sizeof body,
                     ",\"id\":\"%s\",\"version\":%u,\"kind\":\"%s\",\"time\":\"%s\","
                     "\"manufacturer\":\"%s\"",
                     id, version, kind, now, owner);
    return n < 0 || (size_t)n >= sizeof body ? REG_EINTERNAL : append(txn, body);
}

int changes_append_maker(struct store_txn *txn, const char *slug, const char *event,
                         const char *now)
{
    char body[288];
    int n = snprintf(body, sizeof body,
                     ",\"kind\":\"" CHANGES_KIND_MAKER "\",\"event\":\"%s\",\"time\":\"%s\","
                     "\"manufacturer\":\"%s\"",
                     event, now, slug);
    return n < 0 || (size_t)n >= sizeof body ? REG_EINTERNAL : append(txn, body);
}

struct each {
    changes_fn fn;
    void *ctx;
};

static int each_value(void *ctx, struct store_val key, struct store_val val)
{
    const struct each *e = ctx;
    (void)key;
    return e->fn(e->ctx, val.data, val.len);
}

int changes_each(struct store_txn *txn, uint64_t since, changes_fn fn, void *ctx)
{
    unsigned char start[8];
    store_be_put(since + 1, start, 8);
    struct each e = {fn, ctx};
    return store_scan_from(txn, STORE_CHANGES, NULL, 0, start, sizeof start, each_value, &e);
}

int changes_last_seq(struct store_txn *txn, uint64_t *seq)
{
    struct store_val k;
    int rc = store_last_key(txn, STORE_CHANGES, &k);
    *seq = 0;
    if (rc == REG_ENOTFOUND) return 0;
    if (rc) return rc;
    if (k.len != 8) return REG_ESTORE;
    *seq = store_be_get(k.data, 8);
    return 0;
}
