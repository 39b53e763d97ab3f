/* daemon/health/health_state.c — the pure part of health checking: the
 * fall/rise state machine of one service and the served set with fail
 * open per type.  No I/O, no clock (tests/unit/test_health.c). */
#include <string.h>
#include <strings.h>

#include "health/health_int.h"

const char *edd_health_state_name(edd_health_state st)
{
    switch (st) {
    case EDD_HEALTH_UP:
        return "up";
    case EDD_HEALTH_DOWN:
        return "down";
    default:
        return "unknown";
    }
}

bool edd_hstate_step(edd_hstate *st, bool ok, int fall, int rise)
{
    if (ok) {
        st->fails = 0;
        if (st->oks < 1000000)
            st->oks++;
        if (st->state == EDD_HEALTH_UNKNOWN ||
            (st->state == EDD_HEALTH_DOWN && st->oks >= rise)) {
            st->state = EDD_HEALTH_UP;
            return true;
        }
        return false;
    }
    st->oks = 0;
    if (st->fails < 1000000)
        st->fails++;
    if (st->state != EDD_HEALTH_DOWN && st->fails >= fall) {
        st->state = EDD_HEALTH_DOWN;
        return true;
    }
    return false;
}

void edd_health_compute_served(size_t n, const edd_health_state *states,
                               const char *const *types, bool *served,
                               bool *failopen)
{
    for (size_t i = 0; i < n; i++) {
        served[i] = states[i] != EDD_HEALTH_DOWN;
        failopen[i] = false;
    }
    /* n is at most EDD_CONFIG_MAX_LIST: the quadratic walk is bounded */
    for (size_t i = 0; i < n; i++) {
        if (served[i] || failopen[i])
            continue;
        bool all_down = true;
        for (size_t k = 0; k < n && all_down; k++)
            if (strcmp(types[k], types[i]) == 0 && states[k] != EDD_HEALTH_DOWN)
                all_down = false;
        if (!all_down)
            continue;
        for (size_t k = 0; k < n; k++)
            if (strcmp(types[k], types[i]) == 0) {
                served[k] = true;
                failopen[k] = true;
            }
    }
}

/* A name reserved for documentation and testing (RFC 2606, RFC 6761:
 * .example, .invalid, .test, example.com/net/org and names under them)
 * never names a real server: such a service is not checked, so that no DNS
 * query is ever sent for it (sample and test configurations use them). */
bool edd_health_reserved_name(const char *host)
{
    static const char *const doms[] = { "example", "invalid", "test", "example.com",
                                        "example.net", "example.org" };
    size_t n = strlen(host);
    if (n && host[n - 1] == '.')
        n--;
    for (size_t i = 0; i < sizeof doms / sizeof *doms; i++) {
        size_t l = strlen(doms[i]);
        if (n >= l && strncasecmp(host + n - l, doms[i], l) == 0 &&
            (n == l || host[n - l - 1] == '.'))
            return true;
    }
    return false;
}
