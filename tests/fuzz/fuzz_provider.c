/* tests/fuzz/fuzz_provider.c — an HTTP credential provider's response
 * (daemon/providers/response.c): arbitrary bytes through the JSON mapping of
 * each preset (the first byte picks Cloudflare, Twilio or a generic mapping
 * with nested paths), then every ICE server URL into services.  Traps when a
 * service it makes is not one the responder may send (ed_service_validate),
 * when credentials come half, or when a bound is passed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "providers/response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static char cf_list[] = "iceServers", tw_list[] = "ice_servers", gen_list[] = "data.servers",
                urls[] = "urls", url[] = "url", user[] = "username", cred[] = "credential",
                ttl[] = "ttl", gen_ttl[] = "data.lifetime";
    edd_prov_map maps[3] = {
        { cf_list, urls, url, user, cred, NULL },
        { tw_list, urls, url, user, cred, ttl },
        { gen_list, urls, NULL, user, cred, gen_ttl },
    };
    const edd_prov_map *m = &maps[data[0] % 3];
    edd_ice_list l;
    char why[200];
    if (!edd_prov_parse((const char *)data + 1, size - 1, m, &l, why, sizeof why)) {
        if (l.n || l.v)
            __builtin_trap();
        return 0;
    }
    size_t urls_total = 0;
    for (size_t i = 0; i < l.n; i++)
        urls_total += l.v[i].nurls;
    if (l.n > EDD_PROV_MAX_SERVERS || urls_total > EDD_PROV_MAX_URLS || l.ttl < 0)
        __builtin_trap();
    ed_service_def *defs;
    size_t n, skipped;
    if (edd_prov_to_defs(&l, 1700000000, &defs, &n, &skipped)) {
        if (n + skipped != urls_total)
            __builtin_trap();
        for (size_t i = 0; i < n; i++) {
            const ed_service *s = &defs[i].svc;
            if (ed_service_validate(s) != ED_OK || !s->transport || s->port < 1 ||
                (!s->username != !s->password) || (s->username && s->restricted != 1))
                __builtin_trap();
            for (size_t k = 0; k < i; k++)
                if (ed_service_same_identity(&defs[k].svc, s))
                    __builtin_trap();
        }
        edd_prov_defs_free(defs, n);
    }
    edd_ice_list_clear(&l);
    return 0;
}
