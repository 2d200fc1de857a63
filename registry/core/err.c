/* err.c: lookups over the REG_ERR_MAP table (see err.h). */
#include "err.h"

#include "http_status.h"

#include <string.h>

const char *reg_err_name(int code)
{
    switch (code) {
#define XX(sym, val, status, name, msg)                                                            \
    case REG_##sym:                                                                                \
        return name;
        REG_ERR_MAP(XX)
#undef XX
    }
    return "internal_error";
}

const char *reg_strerror(int code)
{
    switch (code) {
#define XX(sym, val, status, name, msg)                                                            \
    case REG_##sym:                                                                                \
        return msg;
        REG_ERR_MAP(XX)
#undef XX
    }
    if (code < 0 && code > -4096) return strerror(-code);
    return "Something went wrong inside the registry.";
}

int reg_err_status(int code)
{
    switch (code) {
#define XX(sym, val, status, name, msg)                                                            \
    case REG_##sym:                                                                                \
        return HTTP_STATUS_KNOWN_##status; /* a status missing from http_status.h fails here */
        REG_ERR_MAP(XX)
#undef XX
    }
    return 500;
}
