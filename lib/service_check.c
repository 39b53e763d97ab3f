/* lib/service_check.c — schema checks of the XEP-0215 service record (NCName,
 * port, xs:boolean, action, host as FQDN or IP address without brackets)
 * and host classification (ed_host_is_local: loopback, private, link-local,
 * the localhost names and IPv4 embedded in IPv6), per
 * ../shared/notes/interop.md rule 7. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extdisco/datetime.h"
#include "extdisco/service.h"
#include "service_priv.h"
#include "str_priv.h"

/* --- schema checks ------------------------------------------------------------ */

static int is_alpha(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_xml_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* NCName (XML Namespaces): no colon; ASCII letters, digits, '.', '-', '_'
 * (not as the first character except '_'); bytes >= 0x80 are taken as
 * non-ASCII name characters (the parser has already checked UTF-8). */
bool ed_is_ncname(const char *s)
{
    if (!s || !*s)
        return false;
    const unsigned char *p = (const unsigned char *)s;
    if (!(is_alpha(*p) || *p == '_' || *p >= 0x80))
        return false;
    for (p++; *p; p++) {
        if (!(is_alpha(*p) || is_digit(*p) || *p == '.' || *p == '-' ||
              *p == '_' || *p >= 0x80))
            return false;
    }
    return true;
}

/* [b, e) = s without leading/trailing XML whitespace (xs whiteSpace
 * "collapse" for the atomic types used here). */
static void trim(const char *s, const char **b, const char **e)
{
    const char *x = s, *y = s + strlen(s);
    while (x < y && is_xml_space((unsigned char)*x))
        x++;
    while (y > x && is_xml_space((unsigned char)y[-1]))
        y--;
    *b = x;
    *e = y;
}

static int span_eq(const char *b, const char *e, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(e - b) == n && strncasecmp(b, lit, n) == 0;
}

ed_err ed_parse_port(const char *s, int *out)
{
    if (!s)
        return ED_SVC_BAD_PORT;
    const char *b, *e;
    trim(s, &b, &e);
    if (b == e)
        return ED_SVC_BAD_PORT;
    long v = 0;
    for (const char *p = b; p < e; p++) {
        if (!is_digit((unsigned char)*p))
            return ED_SVC_BAD_PORT;
        v = v * 10 + (*p - '0');
        if (v > 65535)
            return ED_SVC_BAD_PORT;
    }
    if (out)
        *out = (int)v;
    return ED_OK;
}

ed_err ed_parse_xsd_bool(const char *s, int *out)
{
    if (!s)
        return ED_SVC_BAD_BOOLEAN;
    const char *b, *e;
    trim(s, &b, &e);
    int v;
    if (span_eq(b, e, "true") || span_eq(b, e, "1"))
        v = 1;
    else if (span_eq(b, e, "false") || span_eq(b, e, "0"))
        v = 0;
    else
        return ED_SVC_BAD_BOOLEAN;
    if (out)
        *out = v;
    return ED_OK;
}

ed_err ed_parse_action(const char *s, ed_action *out)
{
    if (!s)
        return ED_SVC_BAD_ACTION;
    const char *b, *e;
    trim(s, &b, &e);
    ed_action a;
    if (span_eq(b, e, "add"))
        a = ED_ACTION_ADD;
    else if (span_eq(b, e, "modify"))
        a = ED_ACTION_MODIFY;
    else if (span_eq(b, e, "delete") || span_eq(b, e, "remove"))
        a = ED_ACTION_DELETE;
    else
        return ED_SVC_BAD_ACTION;
    if (out)
        *out = a;
    return ED_OK;
}

/* IPv4 dotted quad or IPv6 literal into a 16-byte IPv6 form (IPv4 as
 * ::ffff:a.b.c.d).  brackets: also take "[v6]" (only for classification; a
 * host attribute never has them).  Returns 4 or 6, 0 if not a literal. */
static int parse_ip(const char *s, unsigned char a6[16], bool brackets)
{
    unsigned char a4[4];
    if (inet_pton(AF_INET, s, a4) == 1) {
        memset(a6, 0, 10);
        a6[10] = a6[11] = 0xff;
        memcpy(a6 + 12, a4, 4);
        return 4;
    }
    size_t n = strlen(s);
    if (brackets && n >= 2 && s[0] == '[' && s[n - 1] == ']') {
        char tmp[64];
        if (n - 2 >= sizeof tmp)
            return 0;
        memcpy(tmp, s + 1, n - 2);
        tmp[n - 2] = 0;
        return inet_pton(AF_INET6, tmp, a6) == 1 ? 6 : 0;
    }
    if (n < 64 && inet_pton(AF_INET6, s, a6) == 1)
        return 6;
    return 0;
}

/* FQDN in LDH form (underscore tolerated, as some deployments use it; bytes
 * >= 0x80 tolerated for IDN U-labels): labels of 1..63, no leading or
 * trailing hyphen, at most 253 characters, optional root dot, and a last
 * label that is not all digits (that would be a malformed IPv4). */
static int check_fqdn(const char *s)
{
    size_t n = strlen(s);
    if (n && s[n - 1] == '.')
        n--;
    if (n == 0 || n > HOST_MAX)
        return 0;
    size_t lab = 0;
    int all_digits = 1;
    for (size_t i = 0; i <= n; i++) {
        unsigned char c = i < n ? (unsigned char)s[i] : '.';
        if (c == '.') {
            if (lab == 0 || lab > 63 || s[i - 1] == '-')
                return 0;
            if (i == n && all_digits)
                return 0;
            lab = 0;
            all_digits = 1;
            continue;
        }
        if (!(is_alpha(c) || is_digit(c) || c == '-' || c == '_' || c >= 0x80))
            return 0;
        if (lab == 0 && c == '-')
            return 0;
        if (!is_digit(c))
            all_digits = 0;
        lab++;
    }
    return 1;
}

ed_err ed_check_host(const char *s)
{
    if (!s || !*s)
        return ED_SVC_BAD_HOST;
    unsigned char a[16];
    /* XEP-0215: an FQDN or an IP address; "[v6]" is URI syntax, not an
     * address, and clients that build URIs bracket it again. */
    if (parse_ip(s, a, false))
        return ED_OK;
    return check_fqdn(s) ? ED_OK : ED_SVC_BAD_HOST;
}

static bool v4_is_local(const unsigned char *a)
{
    if (a[0] == 0)                                  /* 0.0.0.0/8 "this network" */
        return true;
    if (a[0] == 127)                                /* loopback */
        return true;
    if (a[0] == 10)                                 /* RFC 1918 */
        return true;
    if (a[0] == 172 && (a[1] & 0xf0) == 16)         /* RFC 1918 */
        return true;
    if (a[0] == 192 && a[1] == 168)                 /* RFC 1918 */
        return true;
    if (a[0] == 169 && a[1] == 254)                 /* link-local */
        return true;
    if (a[0] == 100 && (a[1] & 0xc0) == 64)         /* 100.64/10 CGNAT */
        return true;
    if (a[0] >= 224)                                /* multicast, 240/4, broadcast */
        return true;
    return false;
}

/* h is the name dom or a name under it, any case, optional root dot. */
static bool name_under(const char *h, const char *dom, bool self_too)
{
    const size_t ln = strlen(dom);
    size_t n = strnlen(h, HOST_MAX + 2);
    if (n > HOST_MAX + 1)
        return false; /* not a host name at all */
    if (n && h[n - 1] == '.')
        n--;
    if (n < ln || strncasecmp(h + n - ln, dom, ln) != 0)
        return false;
    return n == ln ? self_too : h[n - ln - 1] == '.';
}

/* "localhost" and names under it are always loopback (RFC 6761 §6.3);
 * names under "local." are multicast DNS names, resolved only on the local
 * link (RFC 6762). */
static bool is_local_name(const char *h)
{
    return name_under(h, "localhost", true) || name_under(h, "local", false);
}

bool ed_host_is_local(const char *host)
{
    if (!host)
        return false;
    unsigned char a[16];
    if (!parse_ip(host, a, true))
        return is_local_name(host);
    static const unsigned char zero[12] = {0};
    static const unsigned char mapped[12] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff};
    static const unsigned char xlated[12] = {0,0,0,0,0,0,0,0,0xff,0xff,0,0};
    static const unsigned char nat64[12] = {0,0x64,0xff,0x9b,0,0,0,0,0,0,0,0};
    /* IPv4 embedded in IPv6 counts as that IPv4 address: plain IPv4 and
     * ::ffff:a.b.c.d (mapped), ::a.b.c.d (compatible, RFC 4291 §2.5.5.1,
     * which also covers :: and ::1), ::ffff:0:a.b.c.d (translated, RFC
     * 2765) and 64:ff9b::a.b.c.d (NAT64 well-known prefix, RFC 6052). */
    if (memcmp(a, mapped, 12) == 0 || memcmp(a, zero, 12) == 0 ||
        memcmp(a, xlated, 12) == 0 || memcmp(a, nat64, 12) == 0)
        return v4_is_local(a + 12);
    if (memcmp(a, nat64, 4) == 0 && a[4] == 0 && a[5] == 1)
        return true;                                /* 64:ff9b:1::/48 local-use NAT64 (RFC 8215) */
    if (a[0] == 0x20 && a[1] == 0x02)               /* 6to4 2002:V4ADDR::/48 (RFC 3056) */
        return v4_is_local(a + 2);
    return (a[0] == 0xfe && (a[1] & 0x80) == 0x80) || /* fe80::/10 link-local, fec0::/10 site-local */
           (a[0] & 0xfe) == 0xfc ||                 /* fc00::/7 ULA */
           a[0] == 0xff;                            /* multicast */
}

ed_err ed_service_validate(const ed_service *s)
{
    if (!s)
        return ED_EINVAL;
    if (!s->type || !*s->type)
        return ED_SVC_MISSING_TYPE;
    if (!ed_is_ncname(s->type))
        return ED_SVC_BAD_TYPE;
    if (!s->host || !*s->host)
        return ED_SVC_MISSING_HOST;
    ed_err err = ed_check_host(s->host);
    if (err)
        return err;
    if (s->port < -1 || s->port > 65535)
        return ED_SVC_BAD_PORT;
    if (s->transport && !ed_is_ncname(s->transport))
        return ED_SVC_BAD_TRANSPORT;
    if (s->restricted < -1 || s->restricted > 1)
        return ED_SVC_BAD_BOOLEAN;
    if ((int)s->action < ED_ACTION_NONE || s->action > ED_ACTION_DELETE)
        return ED_SVC_BAD_ACTION;
    if (s->expires) {
        char buf[ED_DATETIME_BUFSZ];
        if (ed_datetime_format(s->expires, buf) == 0)
            return ED_SVC_BAD_EXPIRES;
    }
    for (size_t i = 0; i < s->nnames; i++)
        if (!s->names[i].lang || !*s->names[i].lang || !s->names[i].text)
            return ED_EINVAL;
    if (s->form) {
        if (s->form->nfields > FORM_MAX_FIELDS)
            return ED_SVC_BAD_FORM;
        for (size_t i = 0; i < s->form->nfields; i++) {
            const ed_form_field *f = &s->form->fields[i];
            if (!f->var || !*f->var || f->nvalues > FIELD_MAX_VALUES)
                return ED_SVC_BAD_FORM;
            for (size_t j = 0; j < f->nvalues; j++)
                if (!f->values[j])
                    return ED_SVC_BAD_FORM;
        }
    }
    return ED_OK;
}

