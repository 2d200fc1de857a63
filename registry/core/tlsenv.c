/* tlsenv.c: the CA certificates the environment names (see tlsenv.h). */
#include "tlsenv.h"

#include <stdlib.h>

static const char *set(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

void tlsenv_ca(const char **file, const char **dir)
{
    *file = set("CURL_CA_BUNDLE");
    if (!*file) *file = set("SSL_CERT_FILE");
    *dir = set("SSL_CERT_DIR");
}
