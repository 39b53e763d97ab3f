/* lib/xep0279.c — XEP-0279 Server IP Check responder and result parser.
 *
 * sic:1 answers <address><ip/><port/></address>; sic:0 answers <ip/> with the
 * address as text.  The peer address is an input: the caller knows the TCP
 * connection (or what a PROXY header reported). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extdisco/stanza.h"
#include "extdisco/xep0279.h"

ed_err ed_sic_format_peer(const struct sockaddr *sa, socklen_t salen, char *ip,
                          int *port)
{
    if (!sa || !ip || !port)
        return ED_EINVAL;
    if (sa->sa_family == AF_INET && salen >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
        if (!inet_ntop(AF_INET, &in->sin_addr, ip, ED_SIC_IP_MAX))
            return ED_SIC_BAD_ADDRESS;
        *port = ntohs(in->sin_port);
        return ED_OK;
    }
    if (sa->sa_family == AF_INET6 && salen >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
        /* ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket. */
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            if (!inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], ip, ED_SIC_IP_MAX))
                return ED_SIC_BAD_ADDRESS;
        } else if (!inet_ntop(AF_INET6, &in6->sin6_addr, ip, ED_SIC_IP_MAX)) {
            return ED_SIC_BAD_ADDRESS;
        }
        *port = ntohs(in6->sin6_port);
        return ED_OK;
    }
    return ED_SIC_BAD_ADDRESS;
}

/* Is `to` (absent, the server, or the requester's own JID) a target whose
 * address the requester may learn?  Anything else is another entity. */
static bool to_is_self(const char *to, const ed_jid *requester, const char *domain)
{
    if (!to || !*to)
        return true;
    ed_jid *t = NULL;
    if (ed_jid_parse(to, strlen(to), &t) != ED_OK)
        return false;
    bool ok = false;
    if (!t->local && !t->resource && domain) {
        ed_jid *d = NULL;
        if (ed_jid_parse(domain, strlen(domain), &d) == ED_OK) {
            ok = strcmp(t->domain, d->domain) == 0;
            ed_jid_free(d);
        }
    }
    if (!ok && requester) {
        if (t->resource)
            ok = ed_jid_eq_full(t, requester);
        else
            ok = ed_jid_eq_bare(t, requester);
    }
    ed_jid_free(t);
    return ok;
}

ed_elem *ed_xep0279_respond(const ed_elem *iq, const ed_jid *requester,
                            const char *server_domain,
                            const struct sockaddr *peer, socklen_t peerlen,
                            ed_err *err)
{
    ed_err dummy;
    if (!err)
        err = &dummy;
    *err = ED_SVC_NOT_EXTDISCO;
    if (!iq || strcmp(iq->name, "iq") != 0)
        return NULL;
    const char *type = ed_elem_attr(iq, "type");
    if (!type || (strcmp(type, "get") != 0 && strcmp(type, "set") != 0))
        return NULL;
    ed_elem *p = ed_iq_payload(iq);
    if (!p)
        return NULL;
    int v1;
    if (strcmp(p->ns, ED_NS_SIC1) == 0 && strcmp(p->name, "address") == 0)
        v1 = 1;
    else if (strcmp(p->ns, ED_NS_SIC0) == 0 && strcmp(p->name, "ip") == 0)
        v1 = 0;
    else
        return NULL;

    *err = ED_OK;
    if (strcmp(type, "set") == 0)
        return ed_stanza_error(iq, "not-allowed", NULL, "Server IP Check is IQ-get only");
    if (!to_is_self(ed_elem_attr(iq, "to"), requester, server_domain))
        return ed_stanza_error(iq, "forbidden", NULL,
                               "The address of another entity is not disclosed");

    char ip[ED_SIC_IP_MAX];
    int port = -1;
    *err = ed_sic_format_peer(peer, peerlen, ip, &port);
    if (*err != ED_OK)
        return ed_stanza_error(iq, "internal-server-error", NULL, NULL);

    ed_elem *r = ed_iq_result(iq);
    if (!r)
        goto oom;
    if (v1) {
        char pbuf[8];
        ed_elem *a = ed_elem_add(r, "address", ED_NS_SIC1);
        ed_elem *ipe = a ? ed_elem_add(a, "ip", NULL) : NULL;
        ed_elem *pe = ipe ? ed_elem_add(a, "port", NULL) : NULL;
        snprintf(pbuf, sizeof pbuf, "%d", port);
        if (!pe || ed_elem_add_text(ipe, ip, strlen(ip)) != ED_OK ||
            ed_elem_add_text(pe, pbuf, strlen(pbuf)) != ED_OK)
            goto oom;
    } else {
        ed_elem *ipe = ed_elem_add(r, "ip", ED_NS_SIC0);
        if (!ipe || ed_elem_add_text(ipe, ip, strlen(ip)) != ED_OK)
            goto oom;
    }
    return r;
oom:
    ed_elem_free(r);
    *err = ED_ENOMEM;
    return NULL;
}

/* Trim XML whitespace around a text value into out (cap bytes). */
static bool copy_trimmed(const char *s, char *out, size_t cap)
{
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        n--;
    if (n == 0 || n >= cap)
        return false;
    memcpy(out, s, n);
    out[n] = '\0';
    return true;
}

ed_err ed_xep0279_parse_result(const ed_elem *payload, char *ip, int *port)
{
    if (!payload || !ip || !port)
        return ED_EINVAL;
    *port = -1;
    ed_elem *ipe;
    if (strcmp(payload->ns, ED_NS_SIC1) == 0 && strcmp(payload->name, "address") == 0)
        ipe = ed_elem_child(payload, "ip", ED_NS_SIC1);
    else if (strcmp(payload->ns, ED_NS_SIC0) == 0 && strcmp(payload->name, "ip") == 0)
        ipe = (ed_elem *)payload;
    else
        return ED_SVC_NOT_EXTDISCO;
    if (!ipe)
        return ED_SIC_BAD_ADDRESS;
    const char *txt = ed_elem_text(ipe);
    if (!txt)
        return ED_ENOMEM;
    if (!copy_trimmed(txt, ip, ED_SIC_IP_MAX))
        return ED_SIC_BAD_ADDRESS;
    unsigned char tmp[sizeof(struct in6_addr)];
    if (inet_pton(AF_INET, ip, tmp) != 1 && inet_pton(AF_INET6, ip, tmp) != 1)
        return ED_SIC_BAD_ADDRESS;
    if (payload != ipe) {
        ed_elem *pe = ed_elem_child(payload, "port", ED_NS_SIC1);
        if (pe) {
            const char *pt = ed_elem_text(pe);
            char pbuf[8];
            if (!pt)
                return ED_ENOMEM;
            if (!copy_trimmed(pt, pbuf, sizeof pbuf))
                return ED_SIC_BAD_ADDRESS;
            char *end;
            long v = strtol(pbuf, &end, 10);
            if (*end || v < 0 || v > 65535 || pbuf[0] == '-' || pbuf[0] == '+')
                return ED_SIC_BAD_ADDRESS;
            *port = (int)v;
        }
    }
    return ED_OK;
}
