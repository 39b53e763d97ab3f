/* daemon/health/health_state.c — the pure part of health checking: the
 * fall/rise state machine of one service, the served set with fail open
 * per type and network, the order by check latency.  No I/O, no clock (tests/unit/test_health.c). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "health/health_int.h"

int64_t edd_hstate_next_ms(int64_t interval_s, bool first, uint64_t r)
{
    if (first) {
        int64_t span = interval_s * 100;
        if (span > 3000)
            span = 3000;
        return 100 + (span > 0 ? (int64_t)(r % (uint64_t)span) : 0);
    }
    int64_t base = interval_s * 1000;
    return base - base / 10 + (int64_t)(r % (uint64_t)(base / 5 + 1));
}

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

uint64_t edd_health_scopes(uint64_t mask, unsigned nnets)
{
    if (mask)
        return mask;
    return (nnets >= 63 ? ~EDD_NETSCOPE_NONE : (UINT64_C(1) << nnets) - 1) |
           EDD_NETSCOPE_NONE;
}

void edd_health_compute_served(size_t n, const edd_health_state *states,
                               const unsigned *tids, const uint64_t *masks, unsigned nnets,
                               bool *served, uint64_t *served_masks, uint64_t *fo)
{
    /* per scope: which types it is offered, which of them have a service
     * not down; n is at most EDD_CONFIG_MAX_LIST (so is every tid), and
     * the walk is (networks + 1) x n */
    bool offered[EDD_CONFIG_MAX_LIST], alive[EDD_CONFIG_MAX_LIST];
    if (n > EDD_CONFIG_MAX_LIST)
        n = EDD_CONFIG_MAX_LIST;
    if (nnets > 63)
        nnets = 63;
    for (size_t i = 0; i < n; i++)
        fo[i] = 0;
    for (unsigned sc = 0; sc <= nnets; sc++) {
        /* scope nnets stands for the clients of no network */
        uint64_t bit = sc == nnets ? EDD_NETSCOPE_NONE : UINT64_C(1) << sc;
        memset(offered, 0, sizeof offered);
        memset(alive, 0, sizeof alive);
        for (size_t i = 0; i < n; i++) {
            if (!(edd_health_scopes(masks[i], nnets) & bit) || tids[i] >= n)
                continue;
            offered[tids[i]] = true;
            if (states[i] != EDD_HEALTH_DOWN)
                alive[tids[i]] = true;
        }
        for (size_t i = 0; i < n; i++)
            if (states[i] == EDD_HEALTH_DOWN && tids[i] < n && offered[tids[i]] &&
                !alive[tids[i]] && (edd_health_scopes(masks[i], nnets) & bit))
                fo[i] |= bit;
    }
    for (size_t i = 0; i < n; i++) {
        if (states[i] != EDD_HEALTH_DOWN || fo[i] == edd_health_scopes(masks[i], nnets))
            served_masks[i] = masks[i];
        else
            served_masks[i] = fo[i];
        served[i] = states[i] != EDD_HEALTH_DOWN || fo[i] != 0;
    }
}

/* The sort key of one service (edd_health_order). */
typedef struct okey {
    unsigned tid;
    edd_hrank rank;
    long lat;
    size_t idx;
} okey;

static int okey_cmp(const void *a, const void *b)
{
    const okey *x = a, *y = b;
    if (x->tid != y->tid)
        return x->tid < y->tid ? -1 : 1;
    if (x->rank != y->rank)
        return x->rank < y->rank ? -1 : 1;
    if (x->rank == EDD_HRANK_MEASURED && x->lat != y->lat)
        return x->lat < y->lat ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx; /* stable: configuration order */
}

void edd_health_order(size_t n, const unsigned *tids, const edd_hrank *rank,
                      const long *latency_ms, size_t *order)
{
    okey k[EDD_CONFIG_MAX_LIST];
    size_t next[EDD_CONFIG_MAX_LIST]; /* per tid: the next of its sorted run */
    if (n > EDD_CONFIG_MAX_LIST)
        n = EDD_CONFIG_MAX_LIST;
    for (size_t i = 0; i < n; i++) {
        k[i] = (okey){ tids[i] < n ? tids[i] : (unsigned)(n - 1), rank[i],
                       latency_ms[i] < 0 ? 0 : latency_ms[i], i };
        order[i] = i;
    }
    qsort(k, n, sizeof *k, okey_cmp);
    /* the run of each tid starts where the sorted keys first show it */
    for (size_t i = n; i-- > 0;)
        next[k[i].tid] = i;
    /* each configuration position of a type takes that type's next */
    for (size_t p = 0; p < n; p++) {
        unsigned t = tids[p] < n ? tids[p] : (unsigned)(n - 1);
        order[p] = k[next[t]++].idx;
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
