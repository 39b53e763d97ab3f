/* Fuzz the PROXY protocol v1/v2 parser (daemon/proxy_proto.c): any input,
 * any prefix of it, never crashes; a parsed header never claims more bytes
 * than it was given, and a parse of the same bytes is stable. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "c2s/proxy_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ed_proxy_info a, b;
    size_t ua = 0, ub = 0;
    const char *why = NULL;
    ed_proxy_status sa = ed_proxy_parse(data, size, &a, &ua, &why);
    if (sa == ED_PROXY_DONE) {
        if (ua == 0 || ua > size)
            abort();
        if (!a.local && a.src.ss_family != AF_INET && a.src.ss_family != AF_INET6)
            abort();
        /* exactly the header is enough, and gives the same answer */
        if (ed_proxy_parse(data, ua, &b, &ub, NULL) != ED_PROXY_DONE || ub != ua ||
            b.local != a.local || b.version != a.version)
            abort();
    } else if (sa == ED_PROXY_BAD) {
        if (!why)
            abort();
    } else if (size >= ED_PROXY_MAX) {
        abort(); /* NEED_MORE only below the limit */
    }
    /* every prefix of a header that parses either needs more or is done */
    if (sa == ED_PROXY_DONE)
        for (size_t n = 0; n < ua; n++)
            if (ed_proxy_parse(data, n, &b, &ub, NULL) != ED_PROXY_NEED_MORE)
                abort();
    return 0;
}
