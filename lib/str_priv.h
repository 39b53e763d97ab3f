/* lib/str_priv.h — string comparisons the library's modules share (private:
 * not installed).  NULL equals only NULL. */
#ifndef ED_STR_PRIV_H
#define ED_STR_PRIV_H

#include <stdbool.h>
#include <string.h>
#include <strings.h>

static inline bool str_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

/* ASCII case-insensitive (host names, transports, language tags) */
static inline bool str_case_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcasecmp(a, b) == 0;
}

#endif
