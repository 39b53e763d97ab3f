/* Fuzz the PROXY protocol v1/v2 parser (daemon/c2s/proxy_proto.c): any input,
 * any prefix of it, never crashes; a parsed header never claims more bytes
 * than it was given, and a parse of the same bytes is stable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "c2s/proxy_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    edd_proxy_info a, b;
    size_t ua = 0, ub = 0;
    const char *why = NULL;
    edd_proxy_status sa = edd_proxy_parse(data, size, &a, &ua, &why);
    if (sa == EDD_PROXY_DONE) {
        if (ua == 0 || ua > size)
            abort();
        if (!a.local && a.src.ss_family != AF_INET && a.src.ss_family != AF_INET6)
            abort();
        /* exactly the header is enough, and gives the same answer */
        if (edd_proxy_parse(data, ua, &b, &ub, NULL) != EDD_PROXY_DONE || ub != ua ||
            b.local != a.local || b.version != a.version)
            abort();
    } else if (sa == EDD_PROXY_BAD) {
        if (!why)
            abort();
    } else if (size >= EDD_PROXY_MAX) {
        abort(); /* NEED_MORE only below the limit */
    }
    /* every prefix of a header that parses either needs more or is done */
    if (sa == EDD_PROXY_DONE)
        for (size_t n = 0; n < ua; n++)
            if (edd_proxy_parse(data, n, &b, &ub, NULL) != EDD_PROXY_NEED_MORE)
                abort();
    return 0;
}
