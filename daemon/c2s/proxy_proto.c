/* daemon/c2s/proxy_proto.c — PROXY protocol v1 (text) and v2 (binary) headers.
 * See proxy_proto.h.  Strict: every field is checked, a header that is not
 * exactly right is refused rather than guessed at. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "c2s/proxy_proto.h"

static const unsigned char v2sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                        0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

static edd_proxy_status bad(const char **why, const char *msg)
{
    if (why)
        *why = msg;
    return EDD_PROXY_BAD;
}

/* A decimal port 0..65535 without sign or leading zeros. */
static bool parse_port(const char *s, size_t n, unsigned *out)
{
    if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
        return false;
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    if (v > 65535)
        return false;
    *out = v;
    return true;
}

static bool parse_addr(int fam, const char *s, size_t n, unsigned port,
                       struct sockaddr_storage *ss, socklen_t *len)
{
    char tmp[64];
    if (n == 0 || n >= sizeof tmp)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    memset(ss, 0, sizeof *ss);
    if (fam == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)ss;
        if (inet_pton(AF_INET, tmp, &sin->sin_addr) != 1)
            return false;
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)port);
        *len = sizeof *sin;
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET6, tmp, &sin6->sin6_addr) != 1)
            return false;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)port);
        *len = sizeof *sin6;
    }
    return true;
}

/* "PROXY TCP4 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN ...\r\n". */
static edd_proxy_status parse_v1(const unsigned char *buf, size_t len,
                                edd_proxy_info *out, size_t *consumed,
                                const char **why)
{
    size_t end = 0;
    while (end + 1 < len && end + 2 <= EDD_PROXY_V1_MAX &&
           !(buf[end] == '\r' && buf[end + 1] == '\n'))
        end++;
    /* The CRLF must end within the first 107 bytes (the loop can stop one
     * past that with a CRLF at 106..107, which is a 108-byte line). */
    if (end + 1 >= len || end + 2 > EDD_PROXY_V1_MAX ||
        !(buf[end] == '\r' && buf[end + 1] == '\n')) {
        if (len >= EDD_PROXY_V1_MAX)
            return bad(why, "PROXY v1 line longer than 107 bytes");
        for (size_t i = 0; i < len; i++)
            if (buf[i] == '\n' || buf[i] == '\0')
                return bad(why, "PROXY v1 line with a stray LF or NUL");
        return EDD_PROXY_NEED_MORE;
    }
    const char *line = (const char *)buf;
    /* fields separated by single spaces */
    const char *f[6];
    size_t fl[6];
    size_t nf = 0, i = 0;
    while (i <= end) {
        if (nf == 6)
            return bad(why, "PROXY v1 line with too many fields");
        size_t st = i;
        while (i < end && line[i] != ' ')
            i++;
        f[nf] = line + st;
        fl[nf] = i - st;
        for (size_t k = st; k < i; k++)
            if ((unsigned char)line[k] < 0x21 || (unsigned char)line[k] > 0x7e)
                return bad(why, "PROXY v1 line with a control character");
        nf++;
        if (i == end)
            break;
        i++; /* the space */
        if (i == end)
            return bad(why, "PROXY v1 line ends with a space");
    }
    if (nf < 2 || fl[0] != 5 || memcmp(f[0], "PROXY", 5) != 0)
        return bad(why, "not a PROXY v1 line");
    memset(out, 0, sizeof *out);
    out->version = 1;
    *consumed = end + 2;
    if (fl[1] == 7 && memcmp(f[1], "UNKNOWN", 7) == 0) {
        out->local = true;
        return EDD_PROXY_DONE;
    }
    int fam;
    if (fl[1] == 4 && memcmp(f[1], "TCP4", 4) == 0)
        fam = AF_INET;
    else if (fl[1] == 4 && memcmp(f[1], "TCP6", 4) == 0)
        fam = AF_INET6;
    else
        return bad(why, "PROXY v1: protocol is not TCP4, TCP6 or UNKNOWN");
    if (nf != 6)
        return bad(why, "PROXY v1: wrong number of fields");
    unsigned sp, dp;
    if (!parse_port(f[4], fl[4], &sp) || !parse_port(f[5], fl[5], &dp))
        return bad(why, "PROXY v1: bad port");
    if (!parse_addr(fam, f[2], fl[2], sp, &out->src, &out->srclen) ||
        !parse_addr(fam, f[3], fl[3], dp, &out->dst, &out->dstlen))
        return bad(why, "PROXY v1: bad address");
    return EDD_PROXY_DONE;
}

static edd_proxy_status parse_v2(const unsigned char *buf, size_t len,
                                edd_proxy_info *out, size_t *consumed,
                                const char **why)
{
    if (len < 16)
        return EDD_PROXY_NEED_MORE;
    unsigned ver = buf[12] >> 4, cmd = buf[12] & 0x0f;
    unsigned fam = buf[13] >> 4, proto = buf[13] & 0x0f;
    size_t alen = ((size_t)buf[14] << 8) | buf[15];
    if (ver != 2)
        return bad(why, "PROXY v2: version is not 2");
    if (cmd > 1)
        return bad(why, "PROXY v2: command is not LOCAL or PROXY");
    if (fam > 3 || proto > 2)
        return bad(why, "PROXY v2: unknown address family or protocol");
    if (alen > 216 + EDD_PROXY_V2_MAX_TLV)
        return bad(why, "PROXY v2: header too long");
    if (len < 16 + alen)
        return EDD_PROXY_NEED_MORE;
    memset(out, 0, sizeof *out);
    out->version = 2;
    *consumed = 16 + alen;
    if (cmd == 0 || proto != 1 /* STREAM */ || (fam != 1 && fam != 2)) {
        out->local = true; /* LOCAL, or nothing we can use: keep the socket's */
        return EDD_PROXY_DONE;
    }
    const unsigned char *a = buf + 16;
    if (fam == 1) {
        if (alen < 12)
            return bad(why, "PROXY v2: IPv4 address block too short");
        struct sockaddr_in *s = (struct sockaddr_in *)&out->src;
        struct sockaddr_in *d = (struct sockaddr_in *)&out->dst;
        s->sin_family = d->sin_family = AF_INET;
        memcpy(&s->sin_addr, a, 4);
        memcpy(&d->sin_addr, a + 4, 4);
        memcpy(&s->sin_port, a + 8, 2);
        memcpy(&d->sin_port, a + 10, 2);
        out->srclen = out->dstlen = sizeof(struct sockaddr_in);
    } else {
        if (alen < 36)
            return bad(why, "PROXY v2: IPv6 address block too short");
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&out->src;
        struct sockaddr_in6 *d = (struct sockaddr_in6 *)&out->dst;
        s->sin6_family = d->sin6_family = AF_INET6;
        memcpy(&s->sin6_addr, a, 16);
        memcpy(&d->sin6_addr, a + 16, 16);
        memcpy(&s->sin6_port, a + 32, 2);
        memcpy(&d->sin6_port, a + 34, 2);
        out->srclen = out->dstlen = sizeof(struct sockaddr_in6);
    }
    return EDD_PROXY_DONE;
}

edd_proxy_status edd_proxy_parse(const unsigned char *buf, size_t len,
                               edd_proxy_info *out, size_t *consumed,
                               const char **why)
{
    static const char v1sig[6] = "PROXY ";
    *consumed = 0;
    if (len == 0)
        return EDD_PROXY_NEED_MORE;
    if (buf[0] == 'P') {
        size_t n = len < 6 ? len : 6;
        if (memcmp(buf, v1sig, n) != 0)
            return bad(why, "not a PROXY protocol header");
        if (len < 6)
            return EDD_PROXY_NEED_MORE;
        return parse_v1(buf, len, out, consumed, why);
    }
    size_t n = len < sizeof v2sig ? len : sizeof v2sig;
    if (memcmp(buf, v2sig, n) != 0)
        return bad(why, "not a PROXY protocol header");
    return parse_v2(buf, len, out, consumed, why);
}
