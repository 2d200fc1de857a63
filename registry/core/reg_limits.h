/* reg_limits.h: the registry's size limits, one home for the server that enforces them and the
 * CLI that stays inside them (so the CLI needs no transport header for a number). Raising one
 * here raises it on both sides; schema/openapi.yaml and docs/API.md state the same numbers.
 *
 * Not "limits.h": registry/core is on every include path, and a file of that name would hide the C
 * library's <limits.h> from every source and library header. */
#ifndef SECLABEL_REG_LIMITS_H
#define SECLABEL_REG_LIMITS_H

/* A request body, except a batch's: a declaration is far smaller. */
#define REG_MAX_BODY (64 * 1024)
/* POST /v1/batch: at most this many declarations, and this many body bytes (writers only). */
#define REG_MAX_BATCH 1000
#define REG_MAX_BATCH_BODY (2 * 1024 * 1024)
/* POST /v1/lookup: at most this many keys in each of "ids" and "gtins". A plain number: err.h
 * writes it into a message. */
#define REG_MAX_LOOKUP_KEYS 1000
/* GET /v1/changes: entries per page when no limit is given, and the largest limit. */
#define REG_CHANGES_DEFAULT 100
#define REG_MAX_CHANGES 1000
/* GET /products.csv examines at most this many records, then says where to continue
 * (Link: rel="next"). */
#define REG_MAX_CSV_ROWS 100000
/* A transparency-log entry (a stored product version, a maker event), in bytes: C2SP tlog-tiles
 * bundles give each entry a 2-byte length. A plain number: err.h writes it into a message. */
#define REG_MAX_LOG_ENTRY 65535

#endif
