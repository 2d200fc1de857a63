/* tlsenv.h: whom https trusts, when the environment says so: the CA certificates curl(1) itself
 * reads from CURL_CA_BUNDLE, SSL_CERT_FILE and SSL_CERT_DIR (libcurl alone ignores them), for a
 * registry, cache or primary behind a private CA. The one home of those names and their order,
 * for the CLI's requests (cli/client.c) and a mirror's (registry/server/mirror.c). */
#ifndef SECLABEL_TLSENV_H
#define SECLABEL_TLSENV_H

/* *file: a PEM file of CA certificates (CURL_CA_BUNDLE, else SSL_CERT_FILE); *dir: a hashed
 * directory of them (SSL_CERT_DIR). Each NULL when unset or empty: the system's CAs then.
 * Borrowed from the environment (valid while it is not changed). */
void tlsenv_ca(const char **file, const char **dir);

#endif
