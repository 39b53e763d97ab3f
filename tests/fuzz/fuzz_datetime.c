/* tests/fuzz/fuzz_datetime.c — XEP-0082 parser: no crash; an accepted
 * instant within years 0000..9999 formats to a string that parses back to
 * the same second, and formatting is the canonical "…Z" form. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extdisco/datetime.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int64_t t = 0;
    int32_t ns = -1;
    if (ed_datetime_parse((const char *)data, size, &t, &ns) != ED_OK) return 0;
    if (ns < 0 || ns > 999999999) abort();

    char out[ED_DATETIME_BUFSZ];
    size_t n = ed_datetime_format(t, out);
    if (n == 0) {
        /* only possible when an offset moved the instant out of range */
        if (t >= -62167219200LL && t <= 253402300799LL) abort();
        return 0;
    }
    if (n != 20 || strlen(out) != 20) abort();
    int64_t back = 0;
    int32_t ns2 = -1;
    if (ed_datetime_parse(out, n, &back, &ns2) != ED_OK) abort();
    if (back != t || ns2 != 0) abort();
    /* canonical form is a fixed point */
    char again[ED_DATETIME_BUFSZ];
    if (ed_datetime_format(back, again) != n || memcmp(again, out, n + 1) != 0)
        abort();
    return 0;
}
