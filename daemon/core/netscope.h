/* daemon/core/netscope.h — per-network service sets: which configured
 * network (`networks:` in extdiscod.yml) a requester belongs to, from its
 * address (CIDR rules; standalone: the TCP peer or the PROXY header's
 * source) and its domain, and whether a service limited to some networks
 * is for it.
 *
 * A client belongs to the FIRST network whose rules it meets (every list
 * given must match: address in `addresses` and domain in `domains`; an
 * absent list does not restrict).  Without an address (component mode: the
 * host server never tells a component the client's address) a network with
 * `addresses` is never met, so only domain rules decide there.  A service
 * or provider with `networks:` (a bit mask of network indexes) is offered
 * to clients of those networks only; mask 0 is everyone.
 *
 * A built edd_netscope is immutable and owned by its registry. */
#ifndef EXTDISCOD_NETSCOPE_H
#define EXTDISCOD_NETSCOPE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "extdisco/jid.h"
#include "config/config.h"

typedef struct edd_cidr {
    int family;              /* AF_INET or AF_INET6 */
    unsigned char addr[16];  /* network address, host bits cleared */
    unsigned bits;           /* prefix length */
} edd_cidr;

/* "a.b.c.d/n", "v6/n" or a bare address (/32, /128).  false on anything
 * else (including host bits set past the prefix: "10.0.0.1/8" is refused
 * as a likely typo). */
bool edd_cidr_parse(const char *s, edd_cidr *out);

/* Is sa (AF_INET or AF_INET6; an IPv4-mapped IPv6 address counts as its
 * IPv4 address) inside c? */
bool edd_cidr_match(const edd_cidr *c, const struct sockaddr *sa, socklen_t len);

typedef struct edd_netscope edd_netscope;

/* From cfg->networks (checked by the loader).  NULL on allocation failure. */
edd_netscope *edd_netscope_build(const edd_config *cfg);
void edd_netscope_free(edd_netscope *n);

/* The index of the first network `who` (may be NULL) at peer (may be NULL)
 * belongs to, or -1 for none. */
int edd_netscope_classify(const edd_netscope *n, const ed_jid *who,
                          const struct sockaddr *peer, socklen_t peerlen);

/* In a mask: the clients of no network (net -1).  Configured masks never
 * carry it (at most 63 networks); the health checks' served set does, for
 * a service that fails open for those clients only (health_int.h). */
#define EDD_NETSCOPE_NONE (UINT64_C(1) << 63)

/* Is something limited to mask for a client of network net (-1: none)? */
static inline bool edd_netscope_allows(uint64_t mask, int net)
{
    return mask == 0 || (net >= 0 && net < 63 && ((mask >> net) & 1u)) ||
           (net < 0 && (mask & EDD_NETSCOPE_NONE));
}

#endif
