/* extdisco/datetime.h — XEP-0082 date-time profile. */
#ifndef EXTDISCO_DATETIME_H
#define EXTDISCO_DATETIME_H

#include <stddef.h>
#include <stdint.h>
#include "extdisco/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "CCYY-MM-DDThh:mm:ss[.sss]TZD" plus NUL */
#define ED_DATETIME_BUFSZ 32

/* Parse an XEP-0082 DateTime (CCYY-MM-DDThh:mm:ss[.fraction](Z|+hh:mm|-hh:mm)),
 * validating every field (month lengths, leap years; second 60 accepted as a
 * leap second and folded into the next minute).  *unix_out gets seconds since
 * the epoch in UTC; *nanos_out (may be NULL) the fraction in nanoseconds
 * (digits past 9 are dropped).  A missing TZD is an error. */
ed_err ed_datetime_parse(const char *s, size_t len, int64_t *unix_out,
                         int32_t *nanos_out);

/* Write t as "CCYY-MM-DDThh:mm:ssZ" (UTC) into out (at least
 * ED_DATETIME_BUFSZ bytes).  Returns the length written, 0 if t is outside
 * years 0000..9999. */
size_t ed_datetime_format(int64_t t, char *out);

#ifdef __cplusplus
}
#endif
#endif
