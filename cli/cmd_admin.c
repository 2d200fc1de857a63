/* cmd_admin.c: the registry operator's commands, working on the data directory directly
 * (LMDB allows this while seclabeld runs).
 *
 * Only `manufacturer add` creates a database (that is how a registry starts, and it says so).
 * Every other command needs one there already and names the directory when there is none: a
 * mistyped --data must not leave a new empty registry behind. The commands that only read
 * (list, show, stats, verify, token list, backup, and restore's source) open it read-only and
 * write nothing into the directory, so a backup stays exactly as it was made. */
#include "cli.h"

#include "admin.h"
#include "auth.h"
#include "dataver.h"
#include "err.h"
#include "mfr.h"
#include "note.h"
#include "sindex.h"
#include "store.h"
#include "why.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int open_failed(const char *data, int rc)
{
    struct stat s;
    const char *why = NULL;
    if (rc == REG_ENOTFOUND)
        why = "its data.mdb is not a seclabel database";
    else if (rc == REG_ENODB) {
        struct buf file = BUF_INIT;
        buf_printf(&file, "%s/data.mdb", data);
        why = stat(data, &s) != 0              ? "no such directory"
              : !S_ISDIR(s.st_mode)            ? "not a directory"
              : stat(buf_cstr(&file), &s) != 0 ? "it holds no data.mdb"
                                               : "its data.mdb is empty";
        buf_free(&file);
    }
    if (why)
        fprintf(stderr,
                "seclabel: no database in %s (%s; name the data directory with --data DIR)\n", data,
                why);
    else
        fprintf(stderr, "seclabel: cannot open the database in %s: %s\n", data, reg_strerror(rc));
    return CLI_FAILED;
}

/* CLI_FAILED, having said so, if data holds a database of a newer format (dataver.h): refused
 * before anything in it is written. */
static int newer_refused(const char *data)
{
    struct reg_why why = {{0}};
    unsigned format;
    if (dataver_check(data, &format, &why) != REG_EDATAFORMAT) return 0;
    fprintf(stderr, "seclabel: %s: %s\n", data, why.text);
    return CLI_FAILED;
}

/* The database that must exist in data, read-only unless write; prints why not. */
static int open_existing(const char *data, int write, struct store **st)
{
    if (write && newer_refused(data)) return CLI_FAILED;
    int rc = store_open_existing(data, write, st);
    return rc ? open_failed(data, rc) : 0;
}

/* The database in data for manufacturer add, the one command that may start a registry:
 * *fresh says it did (and *made_dir that it made the directory too). Prints why not. */
static int open_or_start(const char *data, struct store **st, int *fresh, int *made_dir)
{
    struct stat s;
    *made_dir = stat(data, &s) != 0;
    if (newer_refused(data)) return CLI_FAILED;
    int rc = store_open_existing(data, 1, st);
    *fresh = rc == REG_ENODB;
    unsigned from;
    uint64_t logged;
    if (*fresh && !(rc = store_open(data, st)) &&
        (rc = dataver_upgrade(*st, &from, &logged, NULL))) /* the new directory's mark */
        store_close(*st);
    if (*fresh && rc) {
        fprintf(stderr, "seclabel: cannot create a database in %s: %s\n", data, reg_strerror(rc));
        return CLI_FAILED;
    }
    return rc ? open_failed(data, rc) : 0;
}

/* Remove the database open_or_start started, after a refused add: nothing is left behind. */
static void unstart(const char *data, int made_dir)
{
    static const char *const files[] = {"data.mdb", "lock.mdb"};
    struct buf path = BUF_INIT;
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        buf_reset(&path);
        buf_printf(&path, "%s/%s", data, files[i]);
        unlink(buf_cstr(&path));
    }
    buf_free(&path);
    if (made_dir) rmdir(data);
}

static int add_failed(int rc, const char *slug, const char *why)
{
    if (rc == REG_EBADSLUG)
        return cli_usage_error("'%s' is not a slug: 1-63 lower-case letters, digits and '-'", slug);
    if (rc == REG_EINVALID) return cli_usage_error("manufacturer add: %s", why);
    if (rc == REG_EEXIST)
        fprintf(stderr, "seclabel: manufacturer '%s' already exists\n", slug);
    else
        fprintf(stderr, "seclabel: cannot add manufacturer '%s': %s\n", slug,
                rc == REG_EOVERLAP ? why : reg_strerror(rc));
    return CLI_FAILED;
}

static int manufacturer_add(int argc, char **argv)
{
    struct mfr_info m = {0};
    const char *data = "./data";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-') {
            if (m.slug) return cli_usage_error("manufacturer add takes one SLUG");
            m.slug = a;
            continue;
        }
        if (!v) return cli_usage_error("%s needs a value", a);
        i++;
        if (!strcmp(a, "--name"))
            m.name = v;
        else if (!strcmp(a, "--contact"))
            m.contact = v;
        else if (!strcmp(a, "--website"))
            m.website = v;
        else if (!strcmp(a, "--data"))
            data = v;
        else
            return cli_usage_error("manufacturer add: unknown option %s", a);
    }
    if (!m.slug || !m.name) return cli_usage_error("usage: manufacturer add SLUG --name NAME");
    struct store *st;
    int fresh, made_dir;
    if (open_or_start(data, &st, &fresh, &made_dir)) return CLI_FAILED;
    char token[AUTH_TOKEN_LEN + 1];
    struct reg_why why = {""};
    int rc = mfr_add(st, &m, token, &why);
    store_close(st);
    if (rc) {
        if (fresh) unstart(data, made_dir);
        return add_failed(rc, m.slug, why.text);
    }
    if (fresh) printf("Started a new registry database in %s.\n", data);
    printf("Created manufacturer '%s' (%s). Its API token, shown only this once:\n%s\n", m.slug,
           m.name, token);
    return CLI_OK;
}

/* The operator's changes to one manufacturer: "prefix add|remove SLUG PREFIX",
 * "id-prefix add|remove SLUG PREFIX", "verify SLUG --evidence TEXT", "unverify SLUG --reason
 * TEXT", "disable SLUG"; each takes --data DIR. */
struct change_cmd {
    const char *words; /* the words after "manufacturer" */
    enum mfr_change what;
    const char *option; /* the argument's option, or NULL: a positional PREFIX (or none) */
    const char *done;   /* printf format: slug, argument */
    const char *same;   /* the same, when it already was so (nothing written); NULL: never so
                           (a verification is made afresh, dated, each time) */
};
static const struct change_cmd change_cmds[] = {
    {"prefix add", MFR_PREFIX_ADD, NULL, "'%s' now holds GS1 Company Prefix %s.",
     "'%s' already holds GS1 Company Prefix %s: nothing changed."},
    {"prefix remove", MFR_PREFIX_REMOVE, NULL, "'%s' no longer holds GS1 Company Prefix %s.",
     "'%s' does not hold GS1 Company Prefix %s: nothing changed."},
    {"id-prefix add", MFR_ID_PREFIX_ADD, NULL, "'%s' may now create product IDs beginning %s.",
     "'%s' may already create product IDs beginning %s: nothing changed."},
    {"id-prefix remove", MFR_ID_PREFIX_REMOVE, NULL,
     "'%s' may no longer create product IDs beginning %s (its products stay its own).",
     "'%s' may not create product IDs beginning %s: nothing changed."},
    {"verify", MFR_VERIFY, "--evidence", "'%s' is verified (evidence: %s).", NULL},
    {"unverify", MFR_UNVERIFY, "--reason", "'%s' is no longer verified (reason: %s).",
     "'%s' is not verified: nothing changed."},
    {"disable", MFR_DISABLE, NULL,
     "'%s' is disabled: its tokens no longer work; its products stay readable.%s",
     "'%s' is disabled already: nothing changed.%s"},
};

static int change_args(const struct change_cmd *cc, int argc, char **argv, const char **slug,
                       const char **arg, const char **data)
{
    int positional = !cc->option && cc->what != MFR_DISABLE;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (a[0] != '-' && !*slug)
            *slug = a;
        else if (a[0] != '-' && positional && !*arg)
            *arg = a;
        else if (v && !strcmp(a, "--data"))
            *data = argv[++i];
        else if (v && cc->option && !strcmp(a, cc->option))
            *arg = argv[++i];
        else
            return cli_usage_error("manufacturer %s: unexpected argument %s", cc->words, a);
    }
    if (!*slug || (cc->what != MFR_DISABLE && !*arg))
        return cli_usage_error("usage: manufacturer %s SLUG %s", cc->words,
                               cc->option
                                   ? (cc->what == MFR_VERIFY ? "--evidence TEXT" : "--reason TEXT")
                               : cc->what == MFR_DISABLE ? ""
                                                         : "PREFIX");
    return 0;
}

static int manufacturer_change(const struct change_cmd *cc, int argc, char **argv)
{
    const char *slug = NULL, *arg = NULL, *data = "./data";
    if (change_args(cc, argc, argv, &slug, &arg, &data)) return CLI_USAGE;
    struct store *st;
    int rc, changed = 0;
    if (open_existing(data, 1, &st)) return CLI_FAILED;
    struct reg_why why = {""};
    rc = mfr_change(st, slug, cc->what, arg, &changed, &why);
    store_close(st);
    if (rc == REG_ENOTFOUND) {
        fprintf(stderr, "seclabel: no manufacturer '%s'\n", slug);
        return CLI_FAILED;
    }
    if (rc == REG_EINVALID) return cli_usage_error("manufacturer %s: %s", cc->words, why.text);
    if (rc) {
        fprintf(stderr, "seclabel: manufacturer %s %s: %s\n", cc->words, slug,
                rc == REG_EOVERLAP ? why.text : reg_strerror(rc));
        return CLI_FAILED;
    }
    printf(changed || !cc->same ? cc->done : cc->same, slug, arg ? arg : "");
    putchar('\n');
    return CLI_OK;
}

/* "manufacturer show SLUG": everything the registry holds about it (its public JSON). */
static int manufacturer_show(int argc, char **argv, const char *list)
{
    const char *slug = NULL, *data = "./data";
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc)
            data = argv[++i];
        else if (argv[i][0] != '-' && !slug)
            slug = argv[i];
        else
            return cli_usage_error("manufacturer show: unexpected argument %s", argv[i]);
    }
    if (!slug) return cli_usage_error("usage: manufacturer %s SLUG", list ? "prefix list" : "show");
    struct store *st;
    struct store_txn *txn;
    struct mfr m;
    int rc;
    if (open_existing(data, 0, &st)) return CLI_FAILED;
    if (!(rc = store_txn_begin(st, 0, &txn))) {
        rc = mfr_get(txn, slug, &m);
        store_txn_abort(txn);
    }
    store_close(st);
    if (rc) {
        fprintf(stderr, "seclabel: %s\n",
                rc == REG_ENOTFOUND ? "no such manufacturer" : reg_strerror(rc));
        return CLI_FAILED;
    }
    if (list) { /* one prefix per line */
        const struct mfr_list *which = !strcmp(list, "gs1") ? &m.gs1_prefixes : &m.id_prefixes;
        for (size_t i = 0; i < which->n; i++)
            printf("%s\n", which->v[i]);
    } else {
        yyjson_mut_doc *doc = yyjson_mut_doc_new(NULL);
        yyjson_mut_val *o = yyjson_mut_obj(doc);
        yyjson_mut_doc_set_root(doc, o);
        mfr_public_json(&m, doc, o);
        char *s = yyjson_mut_write(doc, YYJSON_WRITE_PRETTY_TWO_SPACES, NULL);
        printf("%s\n", s ? s : "{}");
        free(s);
        yyjson_mut_doc_free(doc);
    }
    mfr_free(&m);
    return CLI_OK;
}

static int manufacturer_cmd(int argc, char **argv)
{
    if (argc >= 1 && !strcmp(argv[0], "add")) return manufacturer_add(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "show")) return manufacturer_show(argc - 1, argv + 1, NULL);
    if (argc >= 2 && !strcmp(argv[1], "list") &&
        (!strcmp(argv[0], "prefix") || !strcmp(argv[0], "id-prefix")))
        return manufacturer_show(argc - 2, argv + 2, !strcmp(argv[0], "prefix") ? "gs1" : "id");
    for (size_t i = 0; i < sizeof change_cmds / sizeof change_cmds[0]; i++) {
        const struct change_cmd *cc = &change_cmds[i];
        size_t n = strcspn(cc->words, " ");
        if (argc < 1 || strncmp(argv[0], cc->words, n) || argv[0][n]) continue;
        if (!cc->words[n]) return manufacturer_change(cc, argc - 1, argv + 1);
        if (argc >= 2 && !strcmp(argv[1], cc->words + n + 1))
            return manufacturer_change(cc, argc - 2, argv + 2);
    }
    return -1; /* not one of these */
}

/* Parse "[ARG] [--data DIR]" for the token commands; arg may stay NULL when optional. */
static int token_args(int argc, char **argv, const char **arg, const char **data)
{
    *data = "./data";
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--data") && i + 1 < argc)
            *data = argv[++i];
        else if (argv[i][0] != '-' && !*arg)
            *arg = argv[i];
        else
            return cli_usage_error("admin token: unexpected argument %s", argv[i]);
    }
    return 0;
}

static int open_store(const char *data, int write, struct store **st, struct store_txn **txn)
{
    if (open_existing(data, write, st)) return CLI_FAILED;
    int rc = store_txn_begin(*st, write, txn);
    if (rc) {
        store_close(*st);
        return open_failed(data, rc);
    }
    return 0;
}

static int print_token(void *ctx, const struct auth_token_info *t)
{
    (void)ctx;
    printf("%s  %-20s created %s%s%s\n", t->id, t->manufacturer, t->created,
           t->revoked ? "  REVOKED " : "", t->revoked ? t->revoked : "");
    return 0;
}

static int token_cmd(const char *verb, int argc, char **argv)
{
    const char *arg = NULL, *data;
    struct store *st;
    struct store_txn *txn;
    char token[AUTH_TOKEN_LEN + 1];
    if (token_args(argc, argv, &arg, &data)) return CLI_USAGE;
    int list = !strcmp(verb, "list");
    if (!list && !arg) return cli_usage_error("admin token %s needs an argument", verb);
    if (strcmp(verb, "issue") && strcmp(verb, "revoke") && !list)
        return cli_usage_error("admin token: expected issue, list or revoke");
    if (open_store(data, !list, &st, &txn)) return CLI_FAILED;
    int rc = list                     ? auth_token_list(txn, arg, print_token, NULL)
             : !strcmp(verb, "issue") ? mfr_token_issue(txn, arg, token)
                                      : auth_token_revoke(txn, arg);
    if (rc || list)
        store_txn_abort(txn);
    else
        rc = store_txn_commit(txn);
    store_close(st);
    if (rc == REG_ENOTFOUND) {
        fprintf(stderr, "seclabel: no %s '%s'\n", !strcmp(verb, "issue") ? "manufacturer" : "token",
                arg);
        return CLI_FAILED;
    }
    if (rc) {
        fprintf(stderr, "seclabel: admin token %s failed: %s\n", verb, reg_strerror(rc));
        return CLI_FAILED;
    }
    if (!strcmp(verb, "issue"))
        printf("New API token for '%s', shown only this once:\n%s\n", arg, token);
    else if (!list)
        printf("Token %s is revoked.\n", arg);
    return CLI_OK;
}

/* "[ARG] [--data DIR]" for the commands that only read and take at most one argument. */
static int open_data(int argc, char **argv, const char **arg, struct store **st)
{
    const char *data;
    if (token_args(argc, argv, arg, &data)) return CLI_USAGE;
    return open_existing(data, 0, st) ? CLI_FAILED : 0;
}

static int report(int rc, const char *what)
{
    if (rc) fprintf(stderr, "seclabel: %s failed: %s\n", what, reg_strerror(rc));
    return rc ? CLI_FAILED : CLI_OK;
}

/* Write an admin report (admin.h) to f and free it; returns rc. */
static int print_report(int rc, struct buf *b, FILE *f)
{
    fwrite(b->data ? b->data : "", 1, b->len, f);
    buf_free(b);
    return rc;
}

static int manufacturer_list(int argc, char **argv)
{
    const char *none = NULL;
    struct store *st;
    int rc = open_data(argc, argv, &none, &st);
    if (rc) return rc;
    struct buf out = BUF_INIT;
    rc = none ? cli_usage_error("manufacturer list takes no argument")
              : report(print_report(admin_list_manufacturers(st, &out), &out, stdout),
                       "manufacturer list");
    store_close(st);
    return rc;
}

static int stats_or_verify(const char *verb, int argc, char **argv)
{
    const char *none = NULL;
    struct store *st;
    unsigned long problems = 0;
    struct buf out = BUF_INIT;
    int rc = open_data(argc, argv, &none, &st);
    if (rc) return rc;
    if (none)
        rc = cli_usage_error("%s takes no argument", verb);
    else if (!strcmp(verb, "stats"))
        rc = report(print_report(admin_stats(st, &out), &out, stdout), "stats");
    else if (!(rc = report(print_report(admin_verify(st, &out, &problems), &out, stdout),
                           "verify"))) {
        printf("verify: %lu problem%s\n", problems, problems == 1 ? "" : "s");
        rc = problems ? CLI_FAILED : CLI_OK;
    }
    store_close(st);
    return rc;
}

/* admin reindex --data DIR: build the search index again from the records. */
static int reindex(int argc, char **argv)
{
    const char *none = NULL, *data;
    struct store *st;
    size_t n = 0;
    if (token_args(argc, argv, &none, &data)) return CLI_USAGE;
    if (none) return cli_usage_error("reindex takes no argument");
    if (open_existing(data, 1, &st)) return CLI_FAILED;
    int rc = report(sindex_build(st, 1, &n), "reindex");
    store_close(st);
    if (!rc) printf("search index rebuilt: %zu product%s\n", n, n == 1 ? "" : "s");
    return rc;
}

static void fsync_dir(const char *dir);

/* Copy the log's signing key from directory `from` to directory `to` (NOTE_KEY_FILE in each):
 * mode 0600, never over an existing file, synced. A backup needs it: without the key the log
 * cannot go on, and a new key would make every verifier that pinned the old one refuse it.
 * 0 (*copied 0 if `from` holds no key), -errno, REG_EBADKEY for a file too long to be a key
 * or REG_ESTORE for a short write (nothing left in `to`). */
static int copy_log_key(const char *from, const char *to, int *copied)
{
    char key[4096]; /* a key file is about 100 bytes */
    struct buf src = BUF_INIT, dst = BUF_INIT;
    buf_printf(&src, "%s/" NOTE_KEY_FILE, from);
    buf_printf(&dst, "%s/" NOTE_KEY_FILE, to);
    *copied = 0;
    int rc = 0, in = open(buf_cstr(&src), O_RDONLY | O_CLOEXEC), out = -1;
    ssize_t n;
    if (in < 0)
        rc = errno == ENOENT ? 0 : -errno;
    else if ((n = read(in, key, sizeof key)) < 0)
        rc = -errno;
    else if ((size_t)n == sizeof key)
        rc = REG_EBADKEY; /* no key file is this long */
    else if ((out = open(buf_cstr(&dst), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
        rc = -errno;
    else if ((errno = 0, write(out, key, (size_t)n) != n) || fsync(out) != 0)
        rc = errno ? -errno : REG_ESTORE; /* a short write sets no errno */
    if (out >= 0 && close(out) != 0 && !rc) rc = -errno;
    if (out >= 0 && rc) unlink(buf_cstr(&dst));
    if (out >= 0 && !rc) {
        fsync_dir(to);
        *copied = 1;
    }
    if (in >= 0) close(in);
    explicit_bzero(key, sizeof key); /* the secret key was here */
    buf_free(&src);
    buf_free(&dst);
    return rc;
}

/* Copy the database (and the log's key) of DATA into DEST. */
static int backup(int argc, char **argv)
{
    const char *dest = NULL, *data;
    struct store *st;
    int copied = 0;
    if (token_args(argc, argv, &dest, &data)) return CLI_USAGE;
    if (!dest) return cli_usage_error("backup needs a DEST directory");
    if (open_existing(data, 0, &st)) return CLI_FAILED;
    int rc = store_backup(st, dest);
    store_close(st);
    if (rc == REG_EEXIST) {
        fprintf(stderr, "seclabel: %s already holds a database; choose a new directory\n", dest);
        return CLI_FAILED;
    }
    if ((rc = report(rc, "backup"))) return rc;
    if ((rc = copy_log_key(data, dest, &copied))) {
        fprintf(stderr,
                "seclabel: backup: cannot copy the log's key %s/" NOTE_KEY_FILE ": %s; the "
                "database was copied, the backup is incomplete\n",
                data, strerror(-rc));
        return CLI_FAILED;
    }
    printf("backed up to %s\n", dest);
    if (!copied)
        fprintf(stderr,
                "seclabel: %s holds no log key (" NOTE_KEY_FILE "): if seclabeld signs with "
                "--log-key FILE, back that file up too\n",
                data);
    return CLI_OK;
}

/* Verify the database in dir (read-only; nothing is written there), problems on stderr:
 * 0 if it is sound, else CLI_FAILED having said why, naming `what`. */
static int verify_copy(const char *dir, const char *what)
{
    struct store *st;
    unsigned long problems = 0;
    struct buf out = BUF_INIT;
    int rc = store_open_existing(dir, 0, &st);
    if (!rc) {
        rc = print_report(admin_verify(st, &out, &problems), &out, stderr);
        store_close(st);
    }
    if (!rc && !problems) return 0;
    fprintf(stderr, "seclabel: %s is not a sound backup (%s); nothing was changed\n", what,
            rc ? reg_strerror(rc) : "verify found problems");
    return CLI_FAILED;
}

/* Keep the file data/name (the database, or the log's key) under a second name,
 * <name>.before-restore-<UTC time>[-n] (a hard link: never over another file), in *aside; aside
 * stays empty if there is none. 0 or -errno. */
static int keep_aside(const char *data, const char *name, struct buf *aside)
{
    struct buf live = BUF_INIT;
    char when[32];
    time_t now = time(NULL);
    struct tm tm;
    strftime(when, sizeof when, "%Y%m%dT%H%M%SZ", gmtime_r(&now, &tm));
    buf_printf(&live, "%s/%s", data, name);
    int rc = 0;
    if (access(buf_cstr(&live), F_OK) == 0)
        for (int n = 1; n < 100; n++) {
            buf_reset(aside);
            buf_printf(aside, "%s/%s.before-restore-%s", data, name, when);
            if (n > 1) buf_printf(aside, "-%d", n);
            rc = link(buf_cstr(&live), buf_cstr(aside)) == 0 ? 0 : -errno;
            if (rc != -EEXIST) break;
        }
    if (rc) buf_reset(aside);
    buf_free(&live);
    return rc;
}

/* Remove dir/data.mdb, dir/log.key and then dir, a copy that was not (or could not be) put in
 * place. */
static void remove_copy(const char *dir)
{
    struct buf path = BUF_INIT;
    buf_printf(&path, "%s/data.mdb", dir);
    unlink(buf_cstr(&path));
    buf_reset(&path);
    buf_printf(&path, "%s/" NOTE_KEY_FILE, dir);
    unlink(buf_cstr(&path));
    rmdir(dir);
    buf_free(&path);
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    if (fsync(fd) != 0) fprintf(stderr, "seclabel: warning: fsync %s: %s\n", dir, strerror(errno));
    close(fd);
}

/* Put the verified copy staged/data.mdb in the place of data/data.mdb in one rename, after
 * keeping the database it replaces under another name (in *aside). */
static int swap_in(const char *staged, const char *data, struct buf *aside)
{
    struct buf from = BUF_INIT, to = BUF_INIT;
    buf_printf(&from, "%s/data.mdb", staged);
    buf_printf(&to, "%s/data.mdb", data);
    int rc = keep_aside(data, "data.mdb", aside);
    if (rc)
        fprintf(stderr, "seclabel: cannot keep a copy of %s: %s; nothing was changed\n",
                buf_cstr(&to), strerror(-rc));
    else if (rename(buf_cstr(&from), buf_cstr(&to)) != 0) {
        rc = -errno;
        fprintf(stderr,
                "seclabel: cannot put the restored database in place: %s; nothing was "
                "changed\n",
                strerror(-rc));
        if (aside->len) unlink(buf_cstr(aside));
        buf_reset(aside);
    } else {
        buf_reset(&from);
        buf_printf(&from, "%s/lock.mdb", data);
        unlink(buf_cstr(&from)); /* the reader table of the replaced database */
        fsync_dir(data);
    }
    buf_free(&from);
    buf_free(&to);
    return rc;
}

/* 1 if the files a and b hold the same bytes (both small, as key files are). */
static int same_key_file(const char *a, const char *b)
{
    char x[4096] = "", y[4096] = "";
    ssize_t nx = -1, ny = -2;
    int fa = open(a, O_RDONLY | O_CLOEXEC), fb = open(b, O_RDONLY | O_CLOEXEC);
    if (fa >= 0) nx = read(fa, x, sizeof x);
    if (fb >= 0) ny = read(fb, y, sizeof y);
    int same = nx >= 0 && nx == ny && !memcmp(x, y, (size_t)nx);
    if (fa >= 0) close(fa);
    if (fb >= 0) close(fb);
    explicit_bzero(x, sizeof x);
    explicit_bzero(y, sizeof y);
    return same;
}

/* Put the backup's log key staged/log.key (if it has one) in place of data/log.key, keeping a
 * different key that was there under another name (in *aside). 0, or CLI_FAILED having said
 * why (the database is in place by then: the message says what to do). */
static int key_in(const char *staged, const char *src, const char *data, struct buf *aside)
{
    struct buf from = BUF_INIT, to = BUF_INIT;
    buf_printf(&from, "%s/" NOTE_KEY_FILE, staged);
    buf_printf(&to, "%s/" NOTE_KEY_FILE, data);
    int rc = 0;
    if (access(buf_cstr(&from), F_OK) == 0 && !same_key_file(buf_cstr(&from), buf_cstr(&to))) {
        rc = keep_aside(data, NOTE_KEY_FILE, aside);
        if (!rc && rename(buf_cstr(&from), buf_cstr(&to)) != 0) rc = -errno;
        if (rc)
            fprintf(stderr,
                    "seclabel: the database was restored, but its log key could not be put in "
                    "place (%s): copy %s/" NOTE_KEY_FILE " to %s (mode 0600) before starting "
                    "seclabeld\n",
                    strerror(-rc), src, buf_cstr(&to));
        else
            fsync_dir(data);
    }
    buf_free(&from);
    buf_free(&to);
    return rc ? CLI_FAILED : 0;
}

/* Copy the log key of src_dir, if it has one, into staged and check that it is a key. 0, or
 * CLI_FAILED having said why. */
static int stage_key(const char *src_dir, const char *staged)
{
    int copied = 0, rc = copy_log_key(src_dir, staged, &copied);
    struct reg_why why = {""};
    struct note_signer s;
    struct buf path = BUF_INIT;
    buf_printf(&path, "%s/" NOTE_KEY_FILE, staged);
    if (rc)
        snprintf(why.text, sizeof why.text, "%s", strerror(-rc));
    else if (copied && (rc = note_signer_load(buf_cstr(&path), &s, &why)) == 0)
        note_signer_wipe(&s);
    if (rc)
        fprintf(stderr,
                "seclabel: %s is not a sound backup (its " NOTE_KEY_FILE ": %s); nothing was "
                "changed\n",
                src_dir, why.text[0] ? why.text : reg_strerror(rc));
    buf_free(&path);
    return rc ? CLI_FAILED : 0;
}

/* Copy the database of src (open, read-only) and its log key into a new directory
 * data/.restore-XXXXXX, named in *staged, and verify the copy. 0, or CLI_FAILED having said why
 * (the directory is then removed). */
static int stage_copy(struct store *src, const char *src_dir, const char *data, struct buf *staged)
{
    buf_printf(staged, "%s/.restore-XXXXXX", data);
    buf_cstr(staged);
    if (!mkdtemp(staged->data)) {
        fprintf(stderr, "seclabel: cannot restore into %s: %s\n", data, strerror(errno));
        return CLI_FAILED;
    }
    int rc = store_backup(src, buf_cstr(staged));
    rc = rc ? report(rc, "restore: copying") : verify_copy(buf_cstr(staged), src_dir);
    if (!rc) rc = stage_key(src_dir, buf_cstr(staged));
    if (rc) remove_copy(buf_cstr(staged));
    return rc;
}

/* Replace the data directory's database (the directory is created, mode 0700, if missing) by a
 * copy of the one in SRC, and its log key by SRC's if it has one. The copies are made beside
 * them (mode 0600) and verified before anything is replaced; the database and a different key
 * they replace are kept, named in the output; SRC is only read. */
static int restore(int argc, char **argv)
{
    const char *src = NULL, *data;
    if (token_args(argc, argv, &src, &data)) return CLI_USAGE;
    if (!src) return cli_usage_error("restore needs a SRC directory (made by admin backup)");
    if (store_server_running(data)) {
        fprintf(stderr, "seclabel: a seclabeld is serving %s; stop it before restoring\n", data);
        return CLI_FAILED;
    }
    struct store *st;
    if (open_existing(src, 0, &st)) return CLI_FAILED;
    int made = mkdir(data, 0700) == 0;
    if (!made && errno != EEXIST) {
        fprintf(stderr, "seclabel: cannot create %s: %s\n", data, strerror(errno));
        store_close(st);
        return CLI_FAILED;
    }
    struct buf staged = BUF_INIT, aside = BUF_INIT, key_aside = BUF_INIT;
    int rc = stage_copy(st, src, data, &staged), swapped = 0;
    store_close(st);
    if (!rc) {
        swapped = swap_in(buf_cstr(&staged), data, &aside) == 0;
        rc = swapped ? key_in(buf_cstr(&staged), src, data, &key_aside) : CLI_FAILED;
        remove_copy(buf_cstr(&staged)); /* empty now, unless the swap failed */
    }
    if (rc && made && !swapped) rmdir(data);
    if (swapped) printf("restored %s from %s (verified)\n", data, src);
    if (aside.len)
        printf("the database it replaced is kept as %s: delete it once you no longer need "
               "it\n",
               buf_cstr(&aside));
    if (key_aside.len)
        printf("the log key it replaced is kept as %s: the restored log is signed with the "
               "backup's key\n",
               buf_cstr(&key_aside));
    buf_free(&staged);
    buf_free(&aside);
    buf_free(&key_aside);
    return rc;
}

/* The options of the log commands: --data DIR, --public-url URL, --log-key FILE. */
struct log_opts {
    const char *data, *public_url, *key_file;
};

static int log_args(int argc, char **argv, const char *cmd, struct log_opts *o)
{
    o->data = "./data";
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return cli_usage_error("admin log %s: %s needs a value", cmd, a);
        i++;
        if (!strcmp(a, "--data"))
            o->data = v;
        else if (!strcmp(a, "--public-url"))
            o->public_url = v;
        else if (!strcmp(a, "--log-key"))
            o->key_file = v;
        else
            return cli_usage_error("admin log %s: unknown option %s", cmd, a);
    }
    return 0;
}

/* The log's signer: the key file given with --log-key (never created), or DATA/log.key of a
 * data directory with a database, created (mode 0600) if absent when --public-url names the
 * origin. With --public-url, the key's name must be the origin made from it. */
static int log_signer(const struct log_opts *o, struct note_signer *s)
{
    char origin[NOTE_NAME_MAX + 1];
    struct reg_why why = {""};
    if (o->public_url && note_origin_from_url(o->public_url, origin, &why))
        return cli_usage_error("--public-url: %s", why.text);
    const char *name = o->public_url ? origin : NULL;
    struct buf path = BUF_INIT;
    int rc, created = 0;
    if (o->key_file) {
        rc = note_signer_load(o->key_file, s, &why);
        if (!rc && name && strcmp(name, s->name))
            rc = reg_why_set(&why, REG_EBADKEY, "the key in %s is named %s, not %s", o->key_file,
                             s->name, name);
    } else {
        struct store *st;
        if (open_existing(o->data, 0, &st)) return CLI_FAILED;
        store_close(st);
        buf_printf(&path, "%s/" NOTE_KEY_FILE, o->data);
        rc = note_signer_open(buf_cstr(&path), name, s, &created, &why);
        if (rc == REG_ENOTFOUND)
            reg_why_add(&why, " yet: give --public-url URL (the registry's public URL, whose "
                              "host names the log) to create one");
    }
    if (created)
        fprintf(stderr,
                "seclabel: created the log's signing key %s for %s (keep it secret and in "
                "the backups: a lost key cannot be replaced)\n",
                buf_cstr(&path), s->name);
    buf_free(&path);
    if (rc) fprintf(stderr, "seclabel: %s\n", why.text);
    return rc ? CLI_FAILED : 0;
}

/* admin log key: print the log's verifier key. */
static int log_key(int argc, char **argv)
{
    struct log_opts o = {0};
    struct note_signer s;
    if (log_args(argc, argv, "key", &o)) return CLI_USAGE;
    if (log_signer(&o, &s)) return CLI_FAILED;
    struct buf out = BUF_INIT;
    note_verifier_key(&s, &out);
    note_signer_wipe(&s);
    printf("%s\n", buf_cstr(&out));
    buf_free(&out);
    return CLI_OK;
}

/* admin log sign: sign the note text on stdin with the log's key (an operator's statement,
 * such as a notice to the log's users), never a checkpoint: a text whose first line is the
 * log's origin is refused, since only seclabeld signs checkpoints, of the tree it holds. */
static int log_sign(int argc, char **argv)
{
    struct log_opts o = {0};
    struct note_signer s;
    if (log_args(argc, argv, "sign", &o)) return CLI_USAGE;
    struct buf text = BUF_INIT, out = BUF_INIT;
    char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0 && text.len <= 65536)
        buf_append(&text, chunk, n);
    int rc = CLI_FAILED;
    size_t first = text.len ? strcspn(buf_cstr(&text), "\n") : 0;
    struct reg_why why = {""};
    if (text.len > 65536)
        fprintf(stderr, "seclabel: the note text is longer than 64 KiB\n");
    else if (!log_signer(&o, &s)) {
        if (first == strlen(s.name) && !memcmp(text.data, s.name, first))
            fprintf(stderr,
                    "seclabel: the text begins with the log's origin %s, as a "
                    "checkpoint does: only seclabeld signs checkpoints\n",
                    s.name);
        else if (note_sign(&s, text.data, text.len, &out, &why))
            fprintf(stderr, "seclabel: %s\n", why.text);
        else {
            fwrite(out.data, 1, out.len, stdout);
            rc = CLI_OK;
        }
        note_signer_wipe(&s);
    }
    buf_free(&text);
    buf_free(&out);
    return rc;
}

int cmd_admin(int argc, char **argv, struct client *c)
{
    (void)c;
    if (argc >= 2 && !strcmp(argv[0], "manufacturer") && !strcmp(argv[1], "list"))
        return manufacturer_list(argc - 2, argv + 2);
    if (argc >= 1 && !strcmp(argv[0], "manufacturer")) {
        int rc = manufacturer_cmd(argc - 1, argv + 1);
        if (rc >= 0) return rc;
    }
    if (argc >= 2 && !strcmp(argv[0], "token")) return token_cmd(argv[1], argc - 2, argv + 2);
    if (argc >= 1 && (!strcmp(argv[0], "stats") || !strcmp(argv[0], "verify")))
        return stats_or_verify(argv[0], argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "backup")) return backup(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "reindex")) return reindex(argc - 1, argv + 1);
    if (argc >= 1 && !strcmp(argv[0], "restore")) return restore(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[0], "log") && !strcmp(argv[1], "key"))
        return log_key(argc - 2, argv + 2);
    if (argc >= 2 && !strcmp(argv[0], "log") && !strcmp(argv[1], "sign"))
        return log_sign(argc - 2, argv + 2);
    return cli_usage_error(
        "admin: expected manufacturer add|list|show|prefix|id-prefix|verify|"
        "unverify|disable, token issue|list|revoke, stats, verify, reindex, backup "
        "DEST, restore SRC, log key or log sign");
}
