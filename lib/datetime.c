/* lib/datetime.c — XEP-0082 DateTime: strict parser and UTC formatter.
 *
 * Grammar accepted (XML Schema dateTime as profiled by XEP-0082; upper-case
 * 'T' and 'Z' only, no surrounding white space):
 *   YYYY-MM-DD 'T' hh:mm:ss [ '.' digit+ ] ( 'Z' | ('+'|'-') hh:mm )
 * with YYYY 0000..9999 (proleptic Gregorian, so 0000 is a leap year), MM
 * 01..12, DD within the month, hh 00..23, mm 00..59, ss 00..60 (60 is a leap
 * second: folded into the next minute), and a zone offset of at most 14:00
 * (offset minutes 00..59).  Arithmetic uses days-from-civil (no timegm, no
 * locale, no global state).
 */
#include "extdisco/datetime.h"

#include <stdbool.h>

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d (m 1..12). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(unsigned y, unsigned m)
{
    static const unsigned char md[12] = {31, 28, 31, 30, 31, 30,
                                         31, 31, 30, 31, 30, 31};
    return (m == 2 && is_leap(y)) ? 29 : md[m - 1];
}

/* n decimal digits at s into *v; false if any is not a digit. */
static bool digits(const char *s, unsigned n, unsigned *v)
{
    unsigned r = 0;
    for (unsigned i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        r = r * 10 + (unsigned)(s[i] - '0');
    }
    *v = r;
    return true;
}

ed_err ed_datetime_parse(const char *s, size_t len, int64_t *unix_out,
                         int32_t *nanos_out)
{
    unsigned y, mo, d, h, mi, sec;
    if (!s || !unix_out) return ED_EINVAL;
    /* Shortest: "CCYY-MM-DDThh:mm:ssZ" (20 bytes). */
    if (len < 20) return ED_DATETIME_INVALID;
    if (!digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) || s[10] != 'T' ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) ||
        s[16] != ':' || !digits(s + 17, 2, &sec))
        return ED_DATETIME_INVALID;
    if (mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
        mi > 59 || sec > 60)
        return ED_DATETIME_INVALID;

    size_t i = 19;
    int32_t nanos = 0;
    if (s[i] == '.') {
        size_t start = ++i;
        unsigned scale = 100000000;
        while (i < len && s[i] >= '0' && s[i] <= '9') {
            nanos += (int32_t)((unsigned)(s[i] - '0') * scale);
            scale /= 10; /* becomes 0 past the ninth digit: dropped */
            i++;
        }
        if (i == start) return ED_DATETIME_INVALID;
    }
    if (i >= len) return ED_DATETIME_INVALID; /* missing TZD */

    int64_t offset = 0;
    if (s[i] == 'Z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        unsigned oh, om;
        if (len - i < 6 || !digits(s + i + 1, 2, &oh) || s[i + 3] != ':' ||
            !digits(s + i + 4, 2, &om))
            return ED_DATETIME_INVALID;
        if (om > 59 || oh > 14 || (oh == 14 && om != 0))
            return ED_DATETIME_INVALID;
        offset = (int64_t)oh * 3600 + (int64_t)om * 60;
        if (s[i] == '-') offset = -offset;
        i += 6;
    } else {
        return ED_DATETIME_INVALID;
    }
    if (i != len) return ED_DATETIME_INVALID;

    /* Local time minus the zone offset is UTC; a leap second (sec == 60)
     * simply adds up to the next minute. */
    *unix_out = days_from_civil(y, mo, d) * 86400 + (int64_t)h * 3600 +
                (int64_t)mi * 60 + (int64_t)sec - offset;
    if (nanos_out) *nanos_out = nanos;
    return ED_OK;
}

static char *put2(char *p, unsigned v)
{
    p[0] = (char)('0' + v / 10);
    p[1] = (char)('0' + v % 10);
    return p + 2;
}

size_t ed_datetime_format(int64_t t, char *out)
{
    /* 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z */
    const int64_t lo = -62167219200LL, hi = 253402300799LL;
    if (!out) return 0;
    if (t < lo || t > hi) {
        out[0] = '\0';
        return 0;
    }
    int64_t days = t / 86400, rem = t % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    char *p = out;
    p = put2(p, (unsigned)(y / 100));
    p = put2(p, (unsigned)(y % 100));
    *p++ = '-';
    p = put2(p, m);
    *p++ = '-';
    p = put2(p, d);
    *p++ = 'T';
    p = put2(p, (unsigned)(rem / 3600));
    *p++ = ':';
    p = put2(p, (unsigned)(rem / 60 % 60));
    *p++ = ':';
    p = put2(p, (unsigned)(rem % 60));
    *p++ = 'Z';
    *p = '\0';
    return (size_t)(p - out);
}
