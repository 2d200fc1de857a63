/* cli.h: what the seclabel subcommands share: the command table's entry points and the
 * option parsing helpers. Each cmd_*.c file implements a family of subcommands. */
#ifndef SECLABEL_CLI_H
#define SECLABEL_CLI_H

#include "assess.h"
#include "client.h"

#include <stdio.h>
#include <yyjson.h>

/* A command gets argv after its own name and the client settings (flags already applied). */
typedef int (*cli_cmd_fn)(int argc, char **argv, struct client *c);

int cmd_register(int argc, char **argv, struct client *c);
int cmd_show(int argc, char **argv, struct client *c);
int cmd_label(int argc, char **argv, struct client *c);
int cmd_labels(int argc, char **argv, struct client *c);
int cmd_history(int argc, char **argv, struct client *c);
int cmd_search(int argc, char **argv, struct client *c);
int cmd_withdraw(int argc, char **argv, struct client *c);
int cmd_whoami(int argc, char **argv, struct client *c);
int cmd_import(int argc, char **argv, struct client *c);
int cmd_config(int argc, char **argv, struct client *c);
/* Apply the config file (config.c) to c: call before the environment and flags. */
void config_load(struct client *c);
/* The log verifier key pinned with `seclabel config set log-key` (after config_load), or NULL;
 * lives as long as the program. */
const char *config_log_key(void);
/* The CLI's config directory ($XDG_CONFIG_HOME/seclabel or ~/.config/seclabel) into out (n
 * bytes): 0, or 1 when neither variable is set. */
int config_dir(char *out, size_t n);
int cmd_export(int argc, char **argv, struct client *c);
int cmd_admin(int argc, char **argv, struct client *c);
/* seclabel validate FILE...: offline check; 0 all valid, 1 any invalid or unreadable. */
int cmd_validate(int argc, char **argv, struct client *c);
/* seclabel verify ID: a record checked against the transparency log (cmd_verify.c). */
int cmd_verify(int argc, char **argv, struct client *c);
/* seclabel monitor: follows the transparency log as a watchdog (cmd_monitor.c). */
int cmd_monitor(int argc, char **argv, struct client *c);
/* seclabel cache purge: shared caches emptied by surrogate key, once or following the changes
 * feed (cmd_cache.c). */
int cmd_cache(int argc, char **argv, struct client *c);

/* Print "seclabel: <message>" on stderr and return CLI_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Read a whole file ("-" is stdin) of at most max bytes into out; prints why on failure. */
int cli_read_file(const char *path, size_t max, struct buf *out);
/* Write data to path atomically (temporary file + rename); prints why on failure. */
int cli_write_file(const char *path, const void *data, size_t len);

/* Colours for words whose meaning is also in the words themselves (never colour alone). */
enum cli_colour { CLI_GREEN, CLI_YELLOW, CLI_RED, CLI_RESET };
/* The escape sequence for colour c on stream f, or "" unless f is a terminal, NO_COLOR is unset
 * or empty (no-color.org) and TERM is not "dumb". */
const char *cli_colour(FILE *f, enum cli_colour c);

/* ---- a product's state (assess.h: one order of severity for every output) ---- */

/* The colour of state s's tone: green only for a product a shopper may rely on. */
enum cli_colour cli_state_colour(enum assess_state s);
/* Print on f "<state>: <the state in words>" (the state's name in its colour) and a newline. */
void cli_print_state(FILE *f, const struct assess *a);
/* If rec (a record or a declaration) is in a state nobody should rely on, say so on f, with
 * what follows: "seclabel: warning: <who>: <why> <what follows>" (who from fmt, made safe).
 * Returns 1 if it warned, else 0. */
int cli_warn_state(FILE *f, yyjson_val *rec, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- printing text that came from elsewhere (display.c) ----
 *
 * Everything the CLI prints for people - records, search results, history, whoami, import
 * summaries, the server's error messages, validation problems - goes through cli_safe: every
 * code point the registry's text rule refuses (decl.h: controls, invisible format and
 * bidirectional characters, line separators, noncharacters) becomes a visible escape, \u202e
 * (\U000e0041 beyond U+FFFF), and a byte that is not UTF-8 becomes \xff. Terminal or not: the
 * output is the same in a pipe. --json output is never altered: it is the server's JSON, in
 * which JSON itself escapes U+0000-U+001F, while DEL, C1 and bidirectional characters stand as
 * themselves (yyjson writes them raw), which is right for programs and is what --json is for. */

/* Append s[0..len), made safe, to out. */
void cli_safe(struct buf *out, const char *s, size_t len);
/* Print the NUL-terminated s (NULL prints nothing), made safe, on f. */
void cli_put(FILE *f, const char *s);
/* A copy of doc with every key and string made safe; doc is freed. NULL in, NULL out. */
yyjson_doc *cli_safe_doc(yyjson_doc *doc);
/* yyjson_read, then cli_safe_doc: the server's JSON ready for human-readable output. */
yyjson_doc *cli_read_safe(const char *json, size_t len);
struct decl_errors;
/* One line per problem, "  /path: message (rule)", made safe (a path quotes the file's keys). */
void cli_print_problems(FILE *f, const struct decl_errors *errs);

#endif
