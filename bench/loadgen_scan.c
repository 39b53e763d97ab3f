/* bench/loadgen_scan.c — the load generator's reply scanner.
 *
 * Why not the library's XML parser: parsing every reply into a tree with
 * expat cost the load generator ~3 us of its ~7.7 us per services request,
 * so on a 2-CPU machine the load generator, not the server, set the pace
 * and the latencies (a closed loop: latency = requests in flight / rate).
 * During the request phase the servers send well-formed stanzas that a
 * real parser has already accepted at login; this scanner only finds where
 * each top-level element ends and picks out what the load generator checks
 * (see loadgen.h, lg_scan_info).  It does not check well-formedness, and
 * anything it does not recognise goes to the real parser instead: it
 * returns LG_SCAN_OTHER for every stanza that is not an <iq/> of type
 * result or error, for prefixed names and for comments, CDATA or
 * processing instructions.  Attribute values are returned raw (entities
 * not expanded); the ids and namespaces it compares contain none. */
#include <string.h>

#include "loadgen.h"

static bool is_space(char ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static bool eq(const char *p, size_t n, const char *lit)
{
    return strlen(lit) == n && memcmp(p, lit, n) == 0;
}

/* One start tag at p[0] == '<': its name and (up to LG_SCAN_ATTRS of) its
 * attributes into t.  Returns the bytes up to and including '>', 0 when
 * incomplete, -1 when not a plain unprefixed start tag.  t->self: the tag
 * ends with "/>". */
#define LG_SCAN_ATTRS 16
typedef struct tag {
    const char *name;
    size_t nlen;
    bool self;
    int nattr;
    struct {
        const char *k, *v;
        size_t klen, vlen;
    } a[LG_SCAN_ATTRS];
} tag;

static long scan_tag(const char *p, size_t n, tag *t)
{
    size_t i = 1;
    t->name = p + 1;
    t->nattr = 0;
    t->self = false;
    if (n < 2)
        return 0;
    if (p[1] == '!' || p[1] == '?' || is_space(p[1]) || p[1] == '>' || p[1] == '/')
        return -1;
    while (i < n && !is_space(p[i]) && p[i] != '>' && p[i] != '/') {
        if (p[i] == ':')
            return -1; /* a prefixed name: leave it to the real parser */
        i++;
    }
    if (i >= n)
        return 0;
    t->nlen = (size_t)(p + i - t->name);
    for (;;) {
        while (i < n && is_space(p[i]))
            i++;
        if (i >= n)
            return 0;
        if (p[i] == '>')
            return (long)(i + 1);
        if (p[i] == '/') {
            if (i + 1 >= n)
                return 0;
            if (p[i + 1] != '>')
                return -1;
            t->self = true;
            return (long)(i + 2);
        }
        size_t k = i;
        while (i < n && p[i] != '=' && !is_space(p[i]) && p[i] != '>')
            i++;
        size_t klen = i - k;
        while (i < n && is_space(p[i]))
            i++;
        if (i >= n)
            return 0;
        if (p[i] != '=' || klen == 0)
            return -1;
        i++;
        while (i < n && is_space(p[i]))
            i++;
        if (i >= n)
            return 0;
        char q = p[i];
        if (q != '\'' && q != '"')
            return -1;
        const char *v = p + i + 1, *e = memchr(v, q, n - (i + 1));
        if (!e)
            return 0;
        if (t->nattr < LG_SCAN_ATTRS) {
            t->a[t->nattr].k = p + k;
            t->a[t->nattr].klen = klen;
            t->a[t->nattr].v = v;
            t->a[t->nattr].vlen = (size_t)(e - v);
            t->nattr++;
        }
        i = (size_t)(e - p) + 1;
    }
}

static const char *attr(const tag *t, const char *key, size_t *vlen)
{
    for (int i = 0; i < t->nattr; i++)
        if (eq(t->a[i].k, t->a[i].klen, key)) {
            *vlen = t->a[i].vlen;
            return t->a[i].v;
        }
    return NULL;
}

lg_scan_res lg_scan_stanza(const char *p, size_t n, lg_scan_info *info, size_t *used)
{
    tag t;
    size_t i, vlen;
    const char *v;
    long len;
    int depth;
    memset(info, 0, sizeof *info);
    *used = 0;
    if (n == 0 || p[0] != '<')
        return LG_SCAN_OTHER;
    len = scan_tag(p, n, &t);
    if (len == 0)
        return LG_SCAN_MORE;
    if (len < 0 || !eq(t.name, t.nlen, "iq"))
        return LG_SCAN_OTHER;
    if (!(v = attr(&t, "type", &vlen)) || !(eq(v, vlen, "result") || eq(v, vlen, "error")))
        return LG_SCAN_OTHER;
    info->result = eq(v, vlen, "result");
    info->id = attr(&t, "id", &info->id_len);
    i = (size_t)len;
    depth = t.self ? 0 : 1;
    while (depth > 0) {
        const char *lt = i < n ? memchr(p + i, '<', n - i) : NULL;
        if (!lt)
            return LG_SCAN_MORE;
        i = (size_t)(lt - p);
        if (i + 1 >= n)
            return LG_SCAN_MORE;
        if (p[i + 1] == '/') {
            const char *gt = memchr(p + i, '>', n - i);
            if (!gt)
                return LG_SCAN_MORE;
            i = (size_t)(gt - p) + 1;
            depth--;
            continue;
        }
        len = scan_tag(p + i, n - i, &t);
        if (len == 0)
            return LG_SCAN_MORE;
        if (len < 0)
            return LG_SCAN_OTHER;
        if (depth == 1 && !info->child) {
            info->child = t.name;
            info->child_len = t.nlen;
            info->child_ns = attr(&t, "xmlns", &info->child_ns_len);
        } else if (depth == 2) {
            if (eq(t.name, t.nlen, "service")) {
                info->services++;
                if (attr(&t, "password", &vlen))
                    info->services_pw++;
            } else if (eq(t.name, t.nlen, "ip")) {
                info->ips++;
            }
        }
        i += (size_t)len;
        if (!t.self)
            depth++;
        if (depth > LG_SCAN_MAX_DEPTH)
            return LG_SCAN_OTHER;
    }
    *used = i;
    return LG_SCAN_IQ_REPLY;
}
