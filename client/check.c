/* client/check.c — `extdisco check`: for every advertised service, does it
 * work, and would real clients use it (../shared/notes/interop.md)? */
#include "check_int.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "extdisco/xep0215.h"

static void add_flag(svc_check *sc, const char *code, bool severe,
                     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void add_flag(svc_check *sc, const char *code, bool severe,
                     const char *fmt, ...)
{
    if (sc->nflags >= MAX_FLAGS)
        return;
    flag *f = &sc->flags[sc->nflags++];
    f->code = code;
    f->severe = severe;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->msg, sizeof f->msg, fmt, ap);
    va_end(ap);
}

static bool is_type(const ed_service *s, const char *t)
{
    return s->type && strcmp(s->type, t) == 0;
}

bool check_is_turn(const ed_service *s)
{
    return is_type(s, "turn") || is_type(s, "turns");
}

/* The interop.md rules a service can break, from its raw element. */
static void lint(svc_check *sc, const ed_elem *raw, int64_t now)
{
    const ed_service *s = &sc->svc;
    if (s->port < 0)
        add_flag(sc, "missing-port", true,
                 "no port: Conversations, Dino, Psi and aTalk drop this service");
    if (!s->transport)
        add_flag(sc, "missing-transport", true,
                 "no transport: Conversations, Dino and aTalk drop this service");
    else if (strcmp(s->transport, "udp") != 0 && strcmp(s->transport, "tcp") != 0)
        add_flag(sc, "unknown-transport", true,
                 "transport '%s' is neither udp nor tcp", s->transport);
    if ((is_type(s, "turns") || is_type(s, "stuns")) && s->transport &&
        strcmp(s->transport, "udp") == 0)
        add_flag(sc, "tls-over-udp", true,
                 "%s over udp (DTLS): browsers and most clients cannot use it",
                 s->type);
    if (is_type(s, "stuns"))
        add_flag(sc, "stuns", false, "browsers reject the stuns scheme outright");
    if (ed_host_is_local(s->host))
        add_flag(sc, "local-host", false,
                 "host %s is loopback/private/unspecified: useless to clients "
                 "elsewhere (Dino drops it)", s->host);
    else if (strchr(s->host, ':'))
        add_flag(sc, "ipv6-literal", false,
                 "IPv6 literal host: Dino ignores it, Movim and Jitsi do not "
                 "bracket it; prefer a hostname");
    const char *r = ed_elem_attr(raw, "restricted");
    if (r && strcmp(r, "true") != 0 && strcmp(r, "false") != 0)
        add_flag(sc, "restricted-spelling", false,
                 "restricted='%s': Dino reads only 'true' as true, Psi rejects "
                 "other spellings; send true/false", r);
    if (is_type(s, "turns") && (!s->username || !s->password))
        add_flag(sc, "missing-credentials", true,
                 "turns without username/password, inline or from "
                 "<credentials/> (Prosody's mod_turn_external gives turns "
                 "none): Conversations, Dino, Movim, Siskin and aTalk drop it");
    else if (check_is_turn(s) && (!s->username || !s->password))
        add_flag(sc, "missing-credentials", true,
                 "TURN without inline username/password: Conversations, Dino, "
                 "Movim, Siskin and aTalk drop it (and credentials gave none)");
    if (sc->creds_in_services)
        add_flag(sc, "credentials-wrong-element", false,
                 "<credentials/> was answered with a <services/> element "
                 "(ejabberd before 24.12): clients that look for "
                 "<credentials/> find nothing");
    if ((s->username || s->password) && !s->expires)
        add_flag(sc, "missing-expires", false,
                 "credentials without expires: Dino never refreshes them");
    if (s->expires) {
        int64_t left = s->expires - now;
        if (left <= 0)
            add_flag(sc, "expired", true, "credentials expired %lld s ago",
                     (long long)-left);
        else if (left < 600)
            add_flag(sc, "short-lifetime", false,
                     "credentials live %lld s (< 10 min): Dino never refreshes "
                     "them", (long long)left);
        else if (left > 86400)
            add_flag(sc, "long-lifetime", false,
                     "credentials live %lld h (> 24 h): a leaked credential "
                     "stays usable that long", (long long)(left / 3600));
    }
}

/* "1.2.3.4:5" / "[::1]:5" -> "1.2.3.4" / "::1" */
static void addr_ip(const char *a, char *out, size_t cap)
{
    const char *start = a, *end;
    if (*a == '[') {
        start = a + 1;
        end = strchr(start, ']');
    } else {
        end = strrchr(a, ':');
    }
    size_t n = end ? (size_t)(end - start) : strlen(start);
    if (n >= cap)
        n = cap - 1;
    memcpy(out, start, n);
    out[n] = 0;
}

/* The relay round trip, the peer restrictions and the open-relay probe
 * of a TURN service whose allocation worked (relaycheck.h). */
static void turn_extra(svc_check *sc, const cli_opts *o, uint16_t port,
                       ed_check_transport tr, const ed_check_tls *tls)
{
    const ed_service *s = &sc->svc;
    ed_relay_result *r = &sc->relay;
    ed_relay_check(s->host, port, tr, s->username, s->password, o->timeout_ms,
                   tls, r);
    if (!r->ok)
        add_flag(sc, "relay-failed", true, "%s", r->error_reason);
    char granted[64] = "";
    for (int i = 0; i < ED_RELAY_PEERS; i++)
        if (r->peers[i].state == 1)
            snprintf(granted + strlen(granted), sizeof granted - strlen(granted),
                     "%s%s", granted[0] ? ", " : "", r->peers[i].ip);
    if (granted[0])
        add_flag(sc, "private-peer-allowed", false,
                 "CreatePermission granted for %s (nothing was sent): the relay "
                 "can reach private/metadata addresses (coturn: "
                 "denied-peer-ip=10.0.0.0-10.255.255.255, ...=169.254.0.0-"
                 "169.254.255.255, ...)", granted);
    sc->open_relay = ed_open_relay_check(s->host, port, tr, o->timeout_ms, tls,
                                         &sc->open_code, sc->open_why,
                                         sizeof sc->open_why);
    if (sc->open_relay == 1)
        add_flag(sc, "open-relay", false,
                 "Allocate without credentials succeeded (%s): an open relay "
                 "anyone can use (coturn: no-auth; use use-auth-secret)",
                 sc->open_why);
}

static void run_one(svc_check *sc, const cli_opts *o, const char *sic_ip)
{
    const ed_service *s = &sc->svc;
    ed_check_transport tr;
    bool turn = false;
    if (!is_type(s, "stun") && !is_type(s, "stuns") && !check_is_turn(s)) {
        sc->skipped_type = true;
        return;
    }
    if (!ed_check_transport_from(s->type, s->transport, &tr, &turn)) {
        add_flag(sc, "not-checkable", true, "%s over %s cannot be checked",
                 s->type, s->transport ? s->transport : "-");
        return;
    }
    int port = s->port;
    if (port <= 0)
        port = (tr == ED_CHECK_TLS) ? 5349 : 3478; /* RFC 5389/5766 defaults */
    ed_check_tls tls = { o->ca_file, o->insecure,
                         sc->family == 4 ? AF_INET : sc->family == 6 ? AF_INET6 : AF_UNSPEC };
    sc->checked = true;
    if (turn) {
        if (!s->username || !s->password) {
            sc->checked = false;
            return;
        }
        ed_turn_check(s->host, (uint16_t)port, tr, s->username, s->password,
                      o->timeout_ms, &tls, &sc->res);
        if (sc->res.ok)
            turn_extra(sc, o, (uint16_t)port, tr, &tls);
    } else {
        ed_stun_check(s->host, (uint16_t)port, tr, o->timeout_ms, &tls, &sc->res);
    }
    if (tr == ED_CHECK_TLS && sc->res.cert_not_after) {
        int64_t left = sc->res.cert_not_after - (int64_t)time(NULL);
        if (left > 0 && left < 14 * 86400)
            add_flag(sc, "cert-expires-soon", false,
                     "the TLS certificate (%s) expires in %lld day%s", sc->res.cert_subject,
                     (long long)(left / 86400), left / 86400 == 1 ? "" : "s");
        else if (left <= 0 && sc->res.ok)
            add_flag(sc, "cert-expired", true,
                     "the TLS certificate (%s) expired %lld day%s ago (accepted only "
                     "because of --insecure)", sc->res.cert_subject,
                     (long long)(-left / 86400), -left / 86400 == 1 ? "" : "s");
    }
    if (sic_ip && *sic_ip && sc->res.mapped[0]) {
        char ip[ED_CHECK_ADDR_MAX];
        addr_ip(sc->res.mapped, ip, sizeof ip);
        /* only addresses of one family compare (a dual-stack host's IPv6
         * row against an XMPP connection over IPv4 tells nothing) */
        if ((strchr(ip, ':') != NULL) == (strchr(sic_ip, ':') != NULL))
            sc->nat = strcmp(ip, sic_ip) != 0;
    }
}

/* The address families to check s over: o->family when forced; 4 and 6
 * when its host name has both A and AAAA records; else 0 (whatever it
 * resolves to).  Returns how many (1 or 2) in fams. */
static int families_of(const svc_check *sc, const cli_opts *o, int fams[2])
{
    const ed_service *s = &sc->svc;
    fams[0] = o->family;
    if (o->family || !sc->parsed || !s->host || !*s->host ||
        (!is_type(s, "stun") && !is_type(s, "stuns") && !check_is_turn(s)))
        return 1;
    unsigned char b[sizeof(struct in6_addr)];
    if (s->host[0] == '[' || inet_pton(AF_INET, s->host, b) == 1 ||
        inet_pton(AF_INET6, s->host, b) == 1)
        return 1; /* an address literal has one family */
    struct addrinfo hints, *ai = NULL;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    if (getaddrinfo(s->host, NULL, &hints, &ai) != 0)
        return 1; /* the check reports the failure */
    bool v4 = false, v6 = false;
    for (const struct addrinfo *a = ai; a; a = a->ai_next) {
        v4 = v4 || a->ai_family == AF_INET;
        v6 = v6 || a->ai_family == AF_INET6;
    }
    freeaddrinfo(ai);
    if (!v4 || !v6)
        return 1;
    fams[0] = 4;
    fams[1] = 6;
    return 2;
}

/* One row per address family to check (families_of): the second row of a
 * dual-stack service is a deep copy.  Returns the new array (sc freed) and
 * its length in *n, or NULL (sc untouched) when out of memory. */
static svc_check *per_family(svc_check *sc, size_t *n, const cli_opts *o)
{
    svc_check *out = calloc(2 * *n + 1, sizeof *out);
    if (!out)
        return NULL;
    size_t m = 0;
    for (size_t i = 0; i < *n; i++) {
        int fams[2];
        int nf = families_of(&sc[i], o, fams);
        out[m] = sc[i];
        out[m++].family = fams[0];
        if (nf == 2) {
            out[m] = sc[i];
            out[m].family = fams[1];
            if (ed_service_copy(&out[m].svc, &sc[i].svc) != ED_OK)
                continue; /* out of memory: that family is left out */
            m++;
        }
    }
    free(sc);
    *n = m;
    return out;
}

/* Fill TURN entries that lack inline credentials from <credentials/>. */
static void fetch_credentials(ed_client *c, const cli_opts *o, int version,
                              svc_check *sc, size_t n)
{
    ed_service want[MAX_CHECKED];
    size_t nw = 0;
    for (size_t i = 0; i < n; i++)
        if (sc[i].parsed && check_is_turn(&sc[i].svc) &&
            (!sc[i].svc.username || !sc[i].svc.password))
            want[nw++] = sc[i].svc; /* shallow: borrowed for the request */
    if (!nw)
        return;
    ed_service *got = NULL;
    size_t ng = 0;
    ed_elem *reply = NULL;
    if (ed_client_credentials(c, o->to, version, want, nw, &got, &ng, &reply)) {
        fprintf(stderr, "extdisco: %s\n", ed_client_error(c));
        return;
    }
    /* the client library accepts <services/> here (ejabberd < 24.12) */
    bool wrong = !ed_elem_child(reply, "credentials", cli_ns(version));
    ed_elem_free(reply);
    for (size_t i = 0; i < n; i++) {
        ed_service *s = &sc[i].svc;
        if (!sc[i].parsed || !check_is_turn(s) || (s->username && s->password))
            continue;
        for (size_t j = 0; j < ng; j++) {
            const ed_service *g = &got[j];
            if (!is_type(g, s->type) || strcasecmp(g->host, s->host) != 0 ||
                (g->port >= 0 && g->port != s->port) || !g->username ||
                (g->transport && s->transport &&
                 strcasecmp(g->transport, s->transport) != 0))
                continue;
            free(s->username);
            free(s->password);
            s->username = g->username ? strdup(g->username) : NULL;
            s->password = g->password ? strdup(g->password) : NULL;
            if (g->expires)
                s->expires = g->expires;
            sc[i].creds_in_services = wrong;
            break;
        }
    }
    ed_services_free(got, ng);
}

/* What a person can do about a TURN/STUN error code. */
static const char *error_hint(int code)
{
    switch (code) {
    case 401:
        return ": authentication failed: the handed-out credentials were "
               "refused (TURN secret differs between the XMPP server and the "
               "TURN server, or their clocks differ)";
    case 403:
        return ": forbidden by the server's policy";
    case 437:
        return ": allocation mismatch";
    case 441:
        return ": wrong credentials for this allocation";
    case 486:
        return ": allocation quota reached (throttled: too many allocations "
               "for this user)";
    case 508:
        return ": the server is out of relay ports or capacity";
    default:
        return "";
    }
}

/* ... and about a transport failure. */
static const char *fail_hint(ed_check_fail f)
{
    switch (f) {
    case ED_CHECK_FAIL_REFUSED:
        return " (connection refused: nothing listens on that port)";
    case ED_CHECK_FAIL_RESOLVE:
        return " (DNS failure)";
    case ED_CHECK_FAIL_TLS:
        return " (TLS certificate problem or handshake failure)";
    case ED_CHECK_FAIL_TIMEOUT:
        return " (no answer: firewall dropping packets, or wrong port)";
    case ED_CHECK_FAIL_CONNECT:
        return " (no route or network unreachable)";
    default:
        return "";
    }
}

const char *check_status(const svc_check *sc, bool strict)
{
    if (!sc->ok)
        return "FAIL";
    for (int i = 0; i < sc->nflags; i++)
        if (!sc->flags[i].severe)
            return strict ? "FAIL" : "warn";
    return "ok";
}

void check_describe(const svc_check *sc, char *out, size_t cap)
{
    const ed_check_result *r = &sc->res;
    if (!sc->parsed) {
        snprintf(out, cap, "malformed entry: %s", sc->raw_error);
    } else if (sc->skipped_type) {
        snprintf(out, cap, "type '%s' not checked", sc->svc.type);
    } else if (!sc->checked) {
        snprintf(out, cap, "not checked");
    } else if (!r->ok) {
        if (r->error_code)
            snprintf(out, cap, "%s failed: error %d %s (%s)%s", r->step,
                     r->error_code, r->error_reason, ed_check_fail_name(r->fail),
                     error_hint(r->error_code));
        else
            snprintf(out, cap, "%s failed: %s: %s%s", r->step,
                     ed_check_fail_name(r->fail), r->error_reason,
                     fail_hint(r->fail));
    } else if (check_is_turn(&sc->svc)) {
        const ed_relay_result *rr = &sc->relay;
        char tlsinfo[120] = "";
        if (r->tls_version[0])
            snprintf(tlsinfo, sizeof tlsinfo, ", %s", r->tls_version);
        char relay[400] = "";
        if (rr->ran && rr->ok)
            snprintf(relay, sizeof relay, "; relay round trip ok (%s and %s, "
                     "indications and channels both ways, %.2f ms)",
                     rr->relayed[0], rr->relayed[1], rr->rtt_us / 1000.0);
        else if (rr->ran)
            snprintf(relay, sizeof relay, "; relay round trip FAILED at %s",
                     rr->step);
        snprintf(out, cap, "relayed %s, mapped %s, lifetime %u s, %s, %s, %ld ms%s%s",
                 r->relayed, r->mapped, r->lifetime,
                 r->refreshed ? "refreshed" : "NOT refreshed",
                 r->deallocated ? "deallocated" : "NOT deallocated", r->rtt_ms,
                 tlsinfo, relay);
    } else {
        snprintf(out, cap, "mapped %s, %ld ms%s%s", r->mapped, r->rtt_ms,
                 r->tls_version[0] ? ", " : "", r->tls_version);
    }
}

static void print_table(const cli_opts *o, const char *entity, const char *ns,
                        const char *sic_ns, const char *sic_ip, int sic_port,
                        const char *sic_err, svc_check *sc, size_t n,
                        int nok, int nfail, int nwarn)
{
    printf("extdisco check %s (%s)\n", entity, ns);
    if (sic_ns)
        printf("ip check (%s): you connect from %s", sic_ns, sic_ip);
    else
        printf("ip check: unavailable (%s)", sic_err);
    if (sic_ns && sic_port >= 0)
        printf(" port %d", sic_port);
    printf("\n");
    printf("%-6s %-6s %-9s %-28s %s\n", "STATUS", "TYPE", "TRANSPORT", "HOST:PORT",
           "RESULT");
    for (size_t i = 0; i < n; i++) {
        char hp[300], what[700];
        const ed_service *s = &sc[i].svc;
        /* an IPv6 literal in brackets once, whether or not the server
         * bracketed it */
        bool v6 = sc[i].parsed && strchr(s->host, ':') && s->host[0] != '[';
        if (sc[i].parsed && s->port >= 0)
            snprintf(hp, sizeof hp, "%s%s%s:%d", v6 ? "[" : "", s->host,
                     v6 ? "]" : "", s->port);
        else if (sc[i].parsed)
            snprintf(hp, sizeof hp, "%s%s%s:-", v6 ? "[" : "", s->host, v6 ? "]" : "");
        else
            snprintf(hp, sizeof hp, "%s", sc[i].raw_host ? sc[i].raw_host : "-");
        if (sc[i].family && strlen(hp) + 6 < sizeof hp)
            memcpy(hp + strlen(hp), sc[i].family == 4 ? "/IPv4" : "/IPv6", 6);
        check_describe(&sc[i], what, sizeof what);
        printf("%-6s %-6s %-9s %-28s %s\n", check_status(&sc[i], o->strict),
               sc[i].parsed ? s->type : (sc[i].raw_type ? sc[i].raw_type : "-"),
               sc[i].parsed && s->transport ? s->transport : "-", hp, what);
        if (sc[i].nat == 1)
            printf("%-6s   NAT hint: mapped %s differs from the XMPP server's "
                   "view %s\n", "", sc[i].res.mapped, sic_ip);
        for (int k = 0; k < sc[i].nflags; k++)
            printf("%-6s   %s %s: %s\n", "", sc[i].flags[k].severe ? "error" : "warning",
                   sc[i].flags[k].code, sc[i].flags[k].msg);
    }
    printf("summary: %zu service%s, %d ok, %d failed, %d warning%s\n", n,
           n == 1 ? "" : "s", nok, nfail, nwarn, nwarn == 1 ? "" : "s");
}

int cli_check(ed_client *c, const cli_opts *o)
{
    const char *entity = o->to ? o->to : ed_client_domain(c);
    unsigned feats = 0;
    ed_err err = ed_client_disco_info(c, o->to, &feats, NULL);
    if (err) {
        fprintf(stderr, "extdisco: %s\n", ed_client_error(c));
        return cli_exit_for(c, err);
    }
    int version = o->version;
    if (!version)
        version = (feats & ED_FEAT_EXTDISCO2) ? 2 : (feats & ED_FEAT_EXTDISCO1) ? 1 : 0;
    if (!version || (version == 2 && !(feats & ED_FEAT_EXTDISCO2)) ||
        (version == 1 && !(feats & ED_FEAT_EXTDISCO1))) {
        fprintf(stderr, "extdisco: %s does not advertise %s in disco#info\n", entity,
                version == 1 ? ED_NS_EXTDISCO1 : ED_NS_EXTDISCO2);
        return CLI_EXIT_CANNOT;
    }
    ed_elem *reply = NULL;
    /* the raw elements of the reply are checked, not only the parsed ones */
    if ((err = cli_get_services(c, o, version, &version, &reply))) {
        fprintf(stderr, "extdisco: %s\n", ed_client_error(c));
        return cli_exit_for(c, err);
    }
    const char *ns = cli_ns(version);
    ed_elem *payload = ed_elem_child(reply, "services", ns);
    size_t n = 0;
    for (ed_elem *e = ed_elem_child(payload, "service", ns); e;
         e = ed_elem_next(e, "service", ns))
        n++;
    if (n > MAX_CHECKED)
        n = MAX_CHECKED;
    svc_check *sc = calloc(n + 1, sizeof *sc);
    if (!sc) {
        ed_elem_free(reply);
        return CLI_EXIT_CANNOT;
    }
    int64_t now = (int64_t)time(NULL);
    size_t k = 0;
    for (ed_elem *e = ed_elem_child(payload, "service", ns); e && k < n;
         e = ed_elem_next(e, "service", ns), k++) {
        sc[k].nat = -1;
        sc[k].open_relay = -1;
        sc[k].raw = e;
        sc[k].raw_type = ed_elem_attr(e, "type");
        sc[k].raw_host = ed_elem_attr(e, "host");
        ed_err perr = ed_service_from_elem(e, &sc[k].svc);
        sc[k].parsed = perr == ED_OK;
        if (perr)
            snprintf(sc[k].raw_error, sizeof sc[k].raw_error, "%s", ed_strerror(perr));
    }
    fetch_credentials(c, o, version, sc, n);
    svc_check *fam = per_family(sc, &n, o);
    if (fam)
        sc = fam;

    char sic_ip[ED_SIC_IP_MAX] = "";
    int sic_port = -1;
    const char *sic_ns = NULL;
    char sic_err[600] = "";
    if (ed_client_ip_check(c, NULL, sic_ip, &sic_port, &sic_ns) != ED_OK) {
        snprintf(sic_err, sizeof sic_err, "%s", ed_client_error(c));
        sic_ns = NULL;
    }

    int nok = 0, nfail = 0, nwarn = 0;
    for (size_t i = 0; i < n; i++) {
        if (sc[i].parsed) {
            lint(&sc[i], sc[i].raw, now);
            run_one(&sc[i], o, sic_ns ? sic_ip : NULL);
        }
        bool severe = false;
        for (int f = 0; f < sc[i].nflags; f++) {
            if (sc[i].flags[f].severe)
                severe = true;
            else
                nwarn++;
        }
        sc[i].ok = sc[i].parsed && !severe &&
                   (sc[i].skipped_type || (sc[i].checked && sc[i].res.ok));
        if (!sc[i].ok || (o->strict && strcmp(check_status(&sc[i], true), "FAIL") == 0))
            nfail++;
        else
            nok++;
    }
    int rc = (nfail || n == 0) ? CLI_EXIT_FAILED : CLI_EXIT_OK;
    if (n == 0)
        fprintf(stderr, "extdisco: %s advertises no services\n", entity);
    if (o->format == CLI_JSON)
        check_print_json(o, entity, ns, feats, sic_ns, sic_ip, sic_port, sic_err, sc, n,
                   nok, nfail, nwarn, rc);
    else
        print_table(o, entity, ns, sic_ns, sic_ip, sic_port, sic_err, sc, n, nok,
                    nfail, nwarn);
    for (size_t i = 0; i < n; i++)
        ed_service_clear(&sc[i].svc);
    free(sc);
    ed_elem_free(reply);
    return rc;
}
