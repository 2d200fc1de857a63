/* cli.h: what the seclabel subcommands share: the command table's entry points and the
 * option parsing helpers. Each cmd_*.c file implements a family of subcommands. */
#ifndef SECLABEL_CLI_H
#define SECLABEL_CLI_H

#include "client.h"

#include <stdio.h>

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
int cmd_export(int argc, char **argv, struct client *c);
int cmd_admin(int argc, char **argv, struct client *c);
/* seclabel validate FILE...: offline check; 0 all valid, 1 any invalid or unreadable. */
int cmd_validate(int argc, char **argv, struct client *c);

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

#endif
