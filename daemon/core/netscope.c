/* daemon/core/netscope.c — see netscope.h. */
#include "core/netscope.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

typedef struct net {
    edd_cidr *cidrs;
    unsigned ncidrs;
    char **domains;
    unsigned ndomains;
} net;

struct edd_netscope {
    net *v;
    unsigned n;
};

bool edd_cidr_parse(const char *s, edd_cidr *out)
{
    char buf[64];
    const char *slash = strchr(s, '/');
    size_t al = slash ? (size_t)(slash - s) : strlen(s);
    if (al == 0 || al >= sizeof buf)
        return false;
    memcpy(buf, s, al);
    buf[al] = '\0';
    memset(out, 0, sizeof *out);
    unsigned max;
    if (inet_pton(AF_INET, buf, out->addr) == 1) {
        out->family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, out->addr) == 1) {
        out->family = AF_INET6;
        max = 128;
    } else {
        return false;
    }
    out->bits = max;
    if (slash) {
        const char *b = slash + 1;
        size_t bl = strlen(b);
        if (bl == 0 || bl > 3 || strspn(b, "0123456789") != bl || (bl > 1 && b[0] == '0'))
            return false;
        unsigned v = (unsigned)atoi(b);
        if (v > max)
            return false;
        out->bits = v;
    }
    /* host bits must be zero */
    for (unsigned i = out->bits; i < max; i++)
        if (out->addr[i / 8] & (0x80u >> (i % 8)))
            return false;
    return true;
}

static bool prefix_eq(const unsigned char *a, const unsigned char *b, unsigned bits)
{
    unsigned full = bits / 8, rest = bits % 8;
    if (memcmp(a, b, full) != 0)
        return false;
    if (!rest)
        return true;
    unsigned char m = (unsigned char)(0xffu << (8 - rest));
    return (a[full] & m) == (b[full] & m);
}

bool edd_cidr_match(const edd_cidr *c, const struct sockaddr *sa, socklen_t len)
{
    if (!sa)
        return false;
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)(const void *)sa;
        return c->family == AF_INET &&
               prefix_eq((const unsigned char *)&s4->sin_addr, c->addr, c->bits);
    }
    if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)(const void *)sa;
        const unsigned char *a = s6->sin6_addr.s6_addr;
        if (c->family == AF_INET6)
            return prefix_eq(a, c->addr, c->bits);
        return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && prefix_eq(a + 12, c->addr, c->bits);
    }
    return false;
}

void edd_netscope_free(edd_netscope *n)
{
    if (!n)
        return;
    for (unsigned i = 0; i < n->n; i++) {
        free(n->v[i].cidrs);
        for (unsigned k = 0; k < n->v[i].ndomains; k++)
            free(n->v[i].domains[k]);
        free(n->v[i].domains);
    }
    free(n->v);
    free(n);
}

edd_netscope *edd_netscope_build(const edd_config *cfg)
{
    edd_netscope *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->v = calloc(cfg->nnetworks ? cfg->nnetworks : 1, sizeof *n->v);
    if (!n->v)
        goto fail;
    for (unsigned i = 0; i < cfg->nnetworks; i++) {
        const edd_cfg_network *cn = &cfg->networks[i];
        net *t = &n->v[i];
        n->n = i + 1;
        t->cidrs = calloc(cn->naddresses ? cn->naddresses : 1, sizeof *t->cidrs);
        t->domains = calloc(cn->ndomains ? cn->ndomains : 1, sizeof *t->domains);
        if (!t->cidrs || !t->domains)
            goto fail;
        for (unsigned k = 0; k < cn->naddresses; k++)
            if (edd_cidr_parse(cn->addresses[k], &t->cidrs[t->ncidrs]))
                t->ncidrs++;
        if (t->ncidrs != cn->naddresses)
            goto fail; /* the loader checked them: not reached */
        for (unsigned k = 0; k < cn->ndomains; k++) {
            if (!(t->domains[k] = strdup(cn->domains[k])))
                goto fail;
            t->ndomains = k + 1;
        }
    }
    return n;
fail:
    edd_netscope_free(n);
    return NULL;
}

static bool meets(const net *t, const ed_jid *who, const struct sockaddr *peer,
                  socklen_t peerlen)
{
    if (t->ncidrs) {
        bool in = false;
        for (unsigned i = 0; !in && i < t->ncidrs; i++)
            in = edd_cidr_match(&t->cidrs[i], peer, peerlen);
        if (!in)
            return false;
    }
    if (t->ndomains) {
        if (!who || !who->domain)
            return false;
        bool in = false;
        for (unsigned i = 0; !in && i < t->ndomains; i++)
            in = strcmp(t->domains[i], who->domain) == 0;
        if (!in)
            return false;
    }
    return true;
}

int edd_netscope_classify(const edd_netscope *n, const ed_jid *who,
                          const struct sockaddr *peer, socklen_t peerlen)
{
    if (!n)
        return -1;
    for (unsigned i = 0; i < n->n; i++)
        if (meets(&n->v[i], who, peer, peerlen))
            return (int)i;
    return -1;
}
