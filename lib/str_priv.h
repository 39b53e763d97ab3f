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

/* Host names equal as DNS names: ASCII case-insensitive, one trailing dot
 * (the root) ignored on either side ("Example.org." is "example.org"). */
static inline bool host_eq(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    size_t na = strlen(a), nb = strlen(b);
    if (na > 1 && a[na - 1] == '.')
        na--;
    if (nb > 1 && b[nb - 1] == '.')
        nb--;
    return na == nb && strncasecmp(a, b, na) == 0;
}

#endif
