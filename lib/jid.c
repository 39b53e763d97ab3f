/* lib/jid.c — JIDs: RFC 7622 syntax with the RFC 6122 stringprep profiles
 * (libidn's nodeprep / nameprep / resourceprep), IDNA2003 domains.
 *
 * Canonical forms produced here:
 *  - localpart: nodeprep (case-folded, NFKC), unassigned code points allowed;
 *  - domainpart: one trailing '.' stripped; then
 *      "[v6]"  -> inet_pton(AF_INET6) and re-printed by inet_ntop ("[::1]");
 *      digits and dots only -> must be an IPv4 literal (inet_pton(AF_INET));
 *      otherwise ToASCII (nameprep, STD3 rules, labels 1..63, no unassigned)
 *      then ToUnicode and nameprep again: the Unicode, lower-case form, so
 *      "bücher.example" and "xn--bcher-kva.example" give the same JID;
 *  - resourcepart: resourceprep (case preserved), unassigned allowed.
 * Each prepared part is at most ED_JID_PART_MAX bytes (ED_JID_TOO_LONG); a
 * raw part over JID_RAW_MAX bytes is rejected as too long before any
 * preparation so stringprep never sees unbounded input.
 *
 * Errors: empty input or empty part, or an embedded NUL -> ED_JID_MALFORMED;
 * invalid UTF-8 or a failed profile -> the part's *_INVALID code.
 *
 * Fast paths: a part made only of ASCII is prepared here without libidn; the
 * results equal libidn's for every ASCII input (checked by test_jid).
 */
#include "extdisco/jid.h"

#include <arpa/inet.h>
#include <idna.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stringprep.h>

/* Raw (unprepared) bytes accepted per part; preparation can shrink input
 * (characters mapped to nothing), but not by more than this allows for. */
#define JID_RAW_MAX (4 * (ED_JID_PART_MAX + 1))

enum part_kind { PART_LOCAL, PART_DOMAIN, PART_RESOURCE };

static ed_err invalid_for(enum part_kind k)
{
    switch (k) {
    case PART_LOCAL: return ED_JID_LOCAL_INVALID;
    case PART_DOMAIN: return ED_JID_DOMAIN_INVALID;
    default: return ED_JID_RESOURCE_INVALID;
    }
}

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t n;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 2;
            if (c == 0xE0) lo = 0xA0;
            else if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 3;
            if (c == 0xF0) lo = 0x90;
            else if (c == 0xF4) hi = 0x8F;
        } else {
            return false;
        }
        if (len - i - 1 < n) return false;
        if (s[i + 1] < lo || s[i + 1] > hi) return false;
        for (size_t k = 2; k <= n; k++)
            if (s[i + k] < 0x80 || s[i + k] > 0xBF) return false;
        i += n + 1;
    }
    return true;
}

static bool all_ascii(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80) return false;
    return true;
}

static char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static bool is_ldh(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/* Does some label of the '.'-separated s (len bytes) start with "xn--"
 * (any case)? */
static bool has_ace_label(const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            if (i - start >= 4 && ascii_lower(s[start]) == 'x' &&
                ascii_lower(s[start + 1]) == 'n' && s[start + 2] == '-' &&
                s[start + 3] == '-')
                return true;
            start = i + 1;
        }
    }
    return false;
}

/* Check a lower-case ASCII host name: labels 1..63 bytes of letters, digits
 * and '-', not starting or ending with '-'. */
static bool ascii_host_ok(const char *s, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i == len || s[i] == '.') {
            size_t n = i - start;
            if (n < 1 || n > 63) return false;
            if (s[start] == '-' || s[i - 1] == '-') return false;
            start = i + 1;
        } else if (!is_ldh(s[i])) {
            return false;
        }
    }
    return true;
}

/* ---- ASCII fast paths (identical to the libidn profiles on ASCII) ---- */

/* nodeprep on ASCII: controls (C.2.1), space (C.1.1) and "&'/:<>@
 * (RFC 6122 table A.2) are prohibited; B.2 maps A-Z to a-z. */
static ed_err fast_local(const char *in, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if ((unsigned char)c <= 0x20 || c == 0x7F || c == '"' || c == '&' ||
            c == '\'' || c == '/' || c == ':' || c == '<' || c == '>' ||
            c == '@')
            return ED_JID_LOCAL_INVALID;
        out[i] = ascii_lower(c);
    }
    out[len] = '\0';
    return ED_OK;
}

/* resourceprep on ASCII: only controls (C.2.1) are prohibited; no case
 * mapping (B.1 only), and ASCII space is allowed. */
static ed_err fast_resource(const char *in, size_t len, char *out)
{
    for (size_t i = 0; i < len; i++) {
        char c = in[i];
        if ((unsigned char)c < 0x20 || c == 0x7F) return ED_JID_RESOURCE_INVALID;
        out[i] = c;
    }
    out[len] = '\0';
    return ED_OK;
}

/* ---- libidn paths ---- */

static ed_err map_stringprep_rc(int rc, enum part_kind k)
{
    switch (rc) {
    case STRINGPREP_OK: return ED_OK;
    case STRINGPREP_TOO_SMALL_BUFFER: return ED_JID_TOO_LONG;
    case STRINGPREP_MALLOC_ERROR: return ED_ENOMEM;
    default: return invalid_for(k);
    }
}

/* Run a stringprep profile over in[0..len) and write the result (at most
 * ED_JID_PART_MAX bytes plus NUL) to out. */
static ed_err slow_prep(const Stringprep_profile *profile, int flags,
                        enum part_kind k, const char *in, size_t len,
                        char *out, size_t *outlen)
{
    size_t cap = (len > ED_JID_PART_MAX ? len : ED_JID_PART_MAX) + 1;
    char *buf = malloc(cap);
    if (!buf) return ED_ENOMEM;
    memcpy(buf, in, len);
    buf[len] = '\0';
    ed_err e = map_stringprep_rc(stringprep(buf, cap, flags, profile), k);
    if (e == ED_OK) {
        size_t n = strlen(buf);
        if (n > ED_JID_PART_MAX) {
            e = ED_JID_TOO_LONG;
        } else {
            memcpy(out, buf, n + 1);
            *outlen = n;
        }
    }
    free(buf);
    return e;
}

/* Non-literal domain that is not plain LDH ASCII: IDNA2003 ToASCII (which
 * nameprep's and checks each label), then ToUnicode and nameprep of the
 * result (ToUnicode keeps the case of ASCII in ACE labels). */
static ed_err slow_domain(const char *in, size_t len, char *out, size_t *outlen)
{
    char *z = malloc(len + 1);
    if (!z) return ED_ENOMEM;
    memcpy(z, in, len);
    z[len] = '\0';
    char *ace = NULL;
    int rc = idna_to_ascii_8z(z, &ace, IDNA_USE_STD3_ASCII_RULES);
    free(z);
    if (rc == IDNA_MALLOC_ERROR) return ED_ENOMEM;
    if (rc != IDNA_SUCCESS) {
        free(ace);
        return ED_JID_DOMAIN_INVALID;
    }
    /* Lower-case the ACE form; the ideographic full stops were turned into
     * '.', so strip one trailing '.' again, then check every label. */
    size_t alen = strlen(ace);
    for (size_t i = 0; i < alen; i++) ace[i] = ascii_lower(ace[i]);
    if (alen > 0 && ace[alen - 1] == '.') ace[--alen] = '\0';
    if (alen == 0 || !ascii_host_ok(ace, alen)) {
        free(ace);
        return ED_JID_DOMAIN_INVALID;
    }
    char *uni = NULL;
    rc = idna_to_unicode_8z8z(ace, &uni, IDNA_USE_STD3_ASCII_RULES);
    if (rc != IDNA_SUCCESS || !uni) {
        free(uni);
        free(ace);
        return rc == IDNA_MALLOC_ERROR ? ED_ENOMEM : ED_JID_DOMAIN_INVALID;
    }
    size_t ulen = strlen(uni);
    ed_err e = slow_prep(stringprep_nameprep, 0, PART_DOMAIN, uni, ulen, out,
                         outlen);
    free(uni);
    /* ToUnicode returns a label it could not decode unchanged: a label
     * still starting with "xn--" was not a valid ACE label. */
    if (e == ED_OK && has_ace_label(out, *outlen)) e = ED_JID_DOMAIN_INVALID;
    /* The Unicode form must map back to the same ACE form, or parsing it
     * again would give another domain (e.g. a decoded label holding an
     * ideographic full stop, which is a label separator). */
    if (e == ED_OK) {
        char *back = NULL;
        rc = idna_to_ascii_8z(out, &back, IDNA_USE_STD3_ASCII_RULES);
        if (rc == IDNA_MALLOC_ERROR) {
            e = ED_ENOMEM;
        } else if (rc != IDNA_SUCCESS || !back || strlen(back) != alen) {
            e = ED_JID_DOMAIN_INVALID;
        } else {
            for (size_t i = 0; i < alen; i++)
                if (ascii_lower(back[i]) != ace[i]) e = ED_JID_DOMAIN_INVALID;
        }
        free(back);
    }
    free(ace);
    return e;
}

static bool digits_dots(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) return false;
    return true;
}

/* A domainpart of digits and dots must be a dotted-quad IPv4 address. */
static ed_err ipv4_literal(const char *in, size_t len, char *out,
                           size_t *outlen)
{
    char tmp[INET_ADDRSTRLEN];
    unsigned char addr[4];
    if (len >= sizeof tmp) return ED_JID_DOMAIN_INVALID;
    memcpy(tmp, in, len);
    tmp[len] = '\0';
    if (inet_pton(AF_INET, tmp, addr) != 1) return ED_JID_DOMAIN_INVALID;
    /* glibc's inet_pton rejects leading zeros, so tmp is canonical. */
    memcpy(out, tmp, len + 1);
    *outlen = len;
    return ED_OK;
}

static ed_err prep_domain(const char *in, size_t len, char *out, size_t *outlen)
{
    if (len > 1 && in[len - 1] == '.') len--;
    else if (len == 1 && in[0] == '.') return ED_JID_MALFORMED;
    if (len > JID_RAW_MAX) return ED_JID_TOO_LONG;

    if (in[0] == '[') {
        char tmp[INET6_ADDRSTRLEN + 1];
        unsigned char addr[16];
        if (len < 3 || in[len - 1] != ']' || len - 2 >= sizeof tmp)
            return ED_JID_DOMAIN_INVALID;
        memcpy(tmp, in + 1, len - 2);
        tmp[len - 2] = '\0';
        if (inet_pton(AF_INET6, tmp, addr) != 1) return ED_JID_DOMAIN_INVALID;
        if (!inet_ntop(AF_INET6, addr, tmp, sizeof tmp))
            return ED_JID_DOMAIN_INVALID;
        size_t n = strlen(tmp);
        out[0] = '[';
        memcpy(out + 1, tmp, n);
        out[n + 1] = ']';
        out[n + 2] = '\0';
        *outlen = n + 2;
        return ED_OK;
    }

    if (digits_dots(in, len)) return ipv4_literal(in, len, out, outlen);
    if (!utf8_valid((const unsigned char *)in, len)) return ED_JID_DOMAIN_INVALID;
    if (all_ascii(in, len) && !has_ace_label(in, len)) {
        if (len > ED_JID_PART_MAX) return ED_JID_TOO_LONG;
        for (size_t i = 0; i < len; i++) out[i] = ascii_lower(in[i]);
        out[len] = '\0';
        if (!ascii_host_ok(out, len)) return ED_JID_DOMAIN_INVALID;
        *outlen = len;
        return ED_OK;
    }
    ed_err e = slow_domain(in, len, out, outlen);
    /* NFKC can turn a name into digits and dots ("\u2460.\u2461..."): judge
     * the prepared form as an IPv4 literal so that parsing is idempotent. */
    if (e == ED_OK && digits_dots(out, *outlen)) {
        char tmp[ED_JID_PART_MAX + 1];
        memcpy(tmp, out, *outlen);
        return ipv4_literal(tmp, *outlen, out, outlen);
    }
    return e;
}

static ed_err prep_local(const char *in, size_t len, char *out, size_t *outlen)
{
    if (len > JID_RAW_MAX) return ED_JID_TOO_LONG;
    if (!utf8_valid((const unsigned char *)in, len)) return ED_JID_LOCAL_INVALID;
    if (all_ascii(in, len)) {
        if (len > ED_JID_PART_MAX) return ED_JID_TOO_LONG;
        *outlen = len;
        return fast_local(in, len, out);
    }
    ed_err e = slow_prep(stringprep_xmpp_nodeprep, 0, PART_LOCAL, in, len, out,
                         outlen);
    /* Preparation may map everything to nothing. */
    if (e == ED_OK && *outlen == 0) return ED_JID_LOCAL_INVALID;
    return e;
}

static ed_err prep_resource(const char *in, size_t len, char *out,
                            size_t *outlen)
{
    if (len > JID_RAW_MAX) return ED_JID_TOO_LONG;
    if (!utf8_valid((const unsigned char *)in, len))
        return ED_JID_RESOURCE_INVALID;
    if (all_ascii(in, len)) {
        if (len > ED_JID_PART_MAX) return ED_JID_TOO_LONG;
        *outlen = len;
        return fast_resource(in, len, out);
    }
    ed_err e = slow_prep(stringprep_xmpp_resourceprep, 0, PART_RESOURCE, in,
                         len, out, outlen);
    if (e == ED_OK && *outlen == 0) return ED_JID_RESOURCE_INVALID;
    return e;
}

/* One allocation: the struct, then full, bare, local, domain, resource. */
static ed_jid *build(const char *local, size_t llen, const char *domain,
                     size_t dlen, const char *resource, size_t rlen)
{
    size_t bare_len = (local ? llen + 1 : 0) + dlen;
    size_t full_len = bare_len + (resource ? rlen + 1 : 0);
    size_t total = sizeof(ed_jid) + full_len + 1 + bare_len + 1 +
                   (local ? llen + 1 : 0) + dlen + 1 + (resource ? rlen + 1 : 0);
    ed_jid *j = malloc(total);
    if (!j) return NULL;
    char *p = (char *)(j + 1);

    char *full = p;
    if (local) {
        memcpy(p, local, llen);
        p += llen;
        *p++ = '@';
    }
    memcpy(p, domain, dlen);
    p += dlen;
    if (resource) {
        *p++ = '/';
        memcpy(p, resource, rlen);
        p += rlen;
    }
    *p++ = '\0';

    char *bare = p;
    memcpy(bare, full, bare_len);
    p += bare_len;
    *p++ = '\0';

    char *lp = NULL;
    if (local) {
        lp = p;
        memcpy(p, local, llen);
        p += llen;
        *p++ = '\0';
    }
    char *dp = p;
    memcpy(p, domain, dlen);
    p += dlen;
    *p++ = '\0';
    char *rp = NULL;
    if (resource) {
        rp = p;
        memcpy(p, resource, rlen);
        p += rlen;
        *p++ = '\0';
    }
    j->full = full;
    j->bare = bare;
    j->local = lp;
    j->domain = dp;
    j->resource = rp;
    return j;
}

/* Prepare the given raw parts (local/resource may be absent) and build. */
static ed_err prep_and_build(const char *local, size_t llen, const char *domain,
                             size_t dlen, const char *resource, size_t rlen,
                             ed_jid **out)
{
    char lbuf[ED_JID_PART_MAX + 1], dbuf[ED_JID_PART_MAX + 1],
        rbuf[ED_JID_PART_MAX + 1];
    size_t lo = 0, dn = 0, ro = 0;
    ed_err e;

    if ((local && llen == 0) || dlen == 0 || (resource && rlen == 0))
        return ED_JID_MALFORMED;
    if (local && (e = prep_local(local, llen, lbuf, &lo)) != ED_OK) return e;
    if ((e = prep_domain(domain, dlen, dbuf, &dn)) != ED_OK) return e;
    if (resource && (e = prep_resource(resource, rlen, rbuf, &ro)) != ED_OK)
        return e;
    ed_jid *j = build(local ? lbuf : NULL, lo, dbuf, dn,
                      resource ? rbuf : NULL, ro);
    if (!j) return ED_ENOMEM;
    *out = j;
    return ED_OK;
}

ed_err ed_jid_parse(const char *s, size_t len, ed_jid **out)
{
    if (!out || (!s && len)) return ED_EINVAL;
    *out = NULL;
    if (len == 0 || memchr(s, '\0', len)) return ED_JID_MALFORMED;

    const char *slash = memchr(s, '/', len);
    size_t head = slash ? (size_t)(slash - s) : len;
    const char *at = memchr(s, '@', head);

    const char *local = NULL, *domain = s, *resource = NULL;
    size_t llen = 0, dlen = head, rlen = 0;
    if (at) {
        local = s;
        llen = (size_t)(at - s);
        domain = at + 1;
        dlen = head - llen - 1;
    }
    if (slash) {
        resource = slash + 1;
        rlen = len - head - 1;
    }
    return prep_and_build(local, llen, domain, dlen, resource, rlen, out);
}

ed_err ed_jid_make(const char *local, const char *domain, const char *resource,
                   ed_jid **out)
{
    if (!out) return ED_EINVAL;
    *out = NULL;
    if (!domain) return ED_EINVAL;
    size_t llen = local ? strlen(local) : 0;
    size_t dlen = strlen(domain);
    size_t rlen = resource ? strlen(resource) : 0;
    return prep_and_build(local, llen, domain, dlen, resource, rlen, out);
}

ed_jid *ed_jid_dup(const ed_jid *j)
{
    if (!j) return NULL;
    return build(j->local, j->local ? strlen(j->local) : 0, j->domain,
                 strlen(j->domain), j->resource,
                 j->resource ? strlen(j->resource) : 0);
}

ed_jid *ed_jid_to_bare(const ed_jid *j)
{
    if (!j) return NULL;
    return build(j->local, j->local ? strlen(j->local) : 0, j->domain,
                 strlen(j->domain), NULL, 0);
}

void ed_jid_free(ed_jid *j)
{
    free(j);
}

bool ed_jid_eq_full(const ed_jid *a, const ed_jid *b)
{
    return a && b && strcmp(a->full, b->full) == 0;
}

bool ed_jid_eq_bare(const ed_jid *a, const ed_jid *b)
{
    return a && b && strcmp(a->bare, b->bare) == 0;
}

char *ed_jid_normalize(const char *s, ed_err *err)
{
    ed_jid *j = NULL;
    ed_err e = s ? ed_jid_parse(s, strlen(s), &j) : ED_EINVAL;
    char *r = NULL;
    if (e == ED_OK) {
        r = strdup(j->full);
        if (!r) e = ED_ENOMEM;
        ed_jid_free(j);
    }
    if (err) *err = e;
    return r;
}
