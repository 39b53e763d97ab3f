/* lib/service.c — the XEP-0215 service record: lifetime, schema checks, host
 * classification, liberal parsing from a <service/> element and emission
 * following ../shared/notes/interop.md.  The diff lives in service_diff.c. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extdisco/datetime.h"
#include "extdisco/service.h"
#include "xml_priv.h"
#include "str_priv.h"

/* Limits on what one <service/> may carry (the stanza limit bounds the rest). */
#define FORM_MAX_FIELDS 64
#define FIELD_MAX_VALUES 64
#define HOST_MAX 253 /* RFC 1035 presentation form without the root dot */

/* --- lifetime --------------------------------------------------------------- */

void ed_service_init(ed_service *s)
{
    memset(s, 0, sizeof *s);
    s->port = -1;
    s->restricted = -1;
}

static void field_clear(ed_form_field *f)
{
    free(f->var);
    free(f->type);
    free(f->label);
    for (size_t i = 0; i < f->nvalues; i++)
        free(f->values[i]);
    free(f->values);
    memset(f, 0, sizeof *f);
}

void ed_form_free(ed_form *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->nfields; i++)
        field_clear(&f->fields[i]);
    free(f->fields);
    free(f);
}

void ed_service_clear(ed_service *s)
{
    if (!s)
        return;
    free(s->type);
    free(s->host);
    free(s->transport);
    free(s->name);
    for (size_t i = 0; i < s->nnames; i++) {
        free(s->names[i].lang);
        free(s->names[i].text);
    }
    free(s->names);
    free(s->username);
    if (s->password) {
        /* Credentials do not linger in freed memory. */
        size_t n = strlen(s->password);
        volatile char *p = s->password;
        for (size_t i = 0; i < n; i++)
            p[i] = 0;
        free(s->password);
    }
    ed_form_free(s->form);
    ed_service_init(s);
}

void ed_services_free(ed_service *v, size_t n)
{
    if (!v)
        return;
    for (size_t i = 0; i < n; i++)
        ed_service_clear(&v[i]);
    free(v);
}

/* strdup that keeps NULL as NULL; *ok cleared on allocation failure. */
static char *dup_opt(const char *s, int *ok)
{
    if (!s)
        return NULL;
    char *d = strdup(s);
    if (!d)
        *ok = 0;
    return d;
}

ed_form *ed_form_copy(const ed_form *f)
{
    if (!f)
        return NULL;
    ed_form *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    if (f->nfields) {
        c->fields = calloc(f->nfields, sizeof *c->fields);
        if (!c->fields) {
            free(c);
            return NULL;
        }
    }
    int ok = 1;
    for (size_t i = 0; i < f->nfields && ok; i++) {
        const ed_form_field *sf = &f->fields[i];
        ed_form_field *df = &c->fields[i];
        c->nfields = i + 1;
        df->var = dup_opt(sf->var, &ok);
        df->type = dup_opt(sf->type, &ok);
        df->label = dup_opt(sf->label, &ok);
        if (sf->nvalues) {
            df->values = calloc(sf->nvalues, sizeof *df->values);
            if (!df->values) {
                ok = 0;
                break;
            }
            for (size_t j = 0; j < sf->nvalues && ok; j++) {
                df->values[j] = dup_opt(sf->values[j], &ok);
                df->nvalues = j + 1;
            }
        }
    }
    if (!ok) {
        ed_form_free(c);
        return NULL;
    }
    return c;
}

ed_err ed_service_copy(ed_service *dst, const ed_service *src)
{
    ed_service_init(dst);
    int ok = 1;
    dst->type = dup_opt(src->type, &ok);
    dst->host = dup_opt(src->host, &ok);
    dst->port = src->port;
    dst->transport = dup_opt(src->transport, &ok);
    dst->name = dup_opt(src->name, &ok);
    dst->restricted = src->restricted;
    dst->username = dup_opt(src->username, &ok);
    dst->password = dup_opt(src->password, &ok);
    dst->expires = src->expires;
    dst->action = src->action;
    if (ok && src->nnames) {
        dst->names = calloc(src->nnames, sizeof *dst->names);
        if (!dst->names)
            ok = 0;
        for (size_t i = 0; ok && i < src->nnames; i++) {
            dst->nnames = i + 1;
            dst->names[i].lang = dup_opt(src->names[i].lang, &ok);
            dst->names[i].text = dup_opt(src->names[i].text, &ok);
        }
    }
    if (ok && src->form) {
        dst->form = ed_form_copy(src->form);
        if (!dst->form)
            ok = 0;
    }
    if (!ok) {
        ed_service_clear(dst);
        return ED_ENOMEM;
    }
    return ED_OK;
}

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

/* IPv4 dotted quad or IPv6 literal (optionally in brackets) into a 16-byte
 * IPv6 form (IPv4 as ::ffff:a.b.c.d).  Returns 4 or 6, 0 if not a literal. */
static int parse_ip(const char *s, unsigned char a6[16])
{
    unsigned char a4[4];
    if (inet_pton(AF_INET, s, a4) == 1) {
        memset(a6, 0, 10);
        a6[10] = a6[11] = 0xff;
        memcpy(a6 + 12, a4, 4);
        return 4;
    }
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '[' && s[n - 1] == ']') {
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
    if (parse_ip(s, a))
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

bool ed_host_is_local(const char *host)
{
    if (!host)
        return false;
    unsigned char a[16];
    int kind = parse_ip(host, a);
    if (kind == 0)
        return false;
    static const unsigned char mapped[12] = {0,0,0,0,0,0,0,0,0,0,0xff,0xff};
    if (memcmp(a, mapped, 12) == 0)                 /* IPv4 or ::ffff:a.b.c.d */
        return v4_is_local(a + 12);
    static const unsigned char zero[16] = {0};
    if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1)) /* :: and ::1 */
        return true;
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)      /* fe80::/10 link-local */
        return true;
    if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)      /* fec0::/10 old site-local */
        return true;
    if ((a[0] & 0xfe) == 0xfc)                      /* fc00::/7 ULA */
        return true;
    if (a[0] == 0xff)                               /* multicast */
        return true;
    return false;
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

/* --- parsing ---------------------------------------------------------------- */

/* The concatenated direct text children of e, malloc'd ("" when none). */
static char *text_dup(const ed_elem *e)
{
    size_t n = 0;
    for (const ed_elem *c = e->children; c; c = c->next)
        if (!c->name)
            n += c->text_len;
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    size_t off = 0;
    for (const ed_elem *c = e->children; c; c = c->next)
        if (!c->name) {
            memcpy(s + off, c->text, c->text_len);
            off += c->text_len;
        }
    s[off] = 0;
    return s;
}

static ed_err form_from_elem(const ed_elem *x, ed_form **out)
{
    size_t nf = 0;
    for (const ed_elem *f = ed_elem_child(x, "field", ED_NS_XDATA); f;
         f = ed_elem_next(f, "field", ED_NS_XDATA))
        nf++;
    if (nf > FORM_MAX_FIELDS)
        return ED_SVC_BAD_FORM;
    ed_form *form = calloc(1, sizeof *form);
    if (!form)
        return ED_ENOMEM;
    if (nf && !(form->fields = calloc(nf, sizeof *form->fields))) {
        free(form);
        return ED_ENOMEM;
    }
    ed_err err = ED_OK;
    int ok = 1;
    for (const ed_elem *f = ed_elem_child(x, "field", ED_NS_XDATA); f;
         f = ed_elem_next(f, "field", ED_NS_XDATA)) {
        const char *var = ed_elem_attr(f, "var");
        const char *ftype = ed_elem_attr(f, "type");
        /* Result forms name every field; only 'fixed' may go without. */
        if ((!var || !*var) && !(ftype && strcmp(ftype, "fixed") == 0)) {
            err = ED_SVC_BAD_FORM;
            break;
        }
        if (!var || !*var)
            continue; /* a fixed label carries no data */
        ed_form_field *df = &form->fields[form->nfields++];
        df->var = dup_opt(var, &ok);
        /* FORM_TYPE is hidden (XEP-0068) whether or not the sender said so;
         * emission writes it that way too. */
        if (!ftype && strcmp(var, "FORM_TYPE") == 0)
            ftype = "hidden";
        df->type = dup_opt(ftype, &ok);
        df->label = dup_opt(ed_elem_attr(f, "label"), &ok);
        size_t nv = 0;
        for (const ed_elem *v = ed_elem_child(f, "value", ED_NS_XDATA); v;
             v = ed_elem_next(v, "value", ED_NS_XDATA))
            nv++;
        if (nv > FIELD_MAX_VALUES) {
            err = ED_SVC_BAD_FORM;
            break;
        }
        if (nv && !(df->values = calloc(nv, sizeof *df->values))) {
            ok = 0;
            break;
        }
        for (const ed_elem *v = ed_elem_child(f, "value", ED_NS_XDATA); v && ok;
             v = ed_elem_next(v, "value", ED_NS_XDATA)) {
            char *t = text_dup(v);
            if (!t)
                ok = 0;
            else
                df->values[df->nvalues++] = t;
        }
        if (!ok)
            break;
    }
    if (!ok && !err)
        err = ED_ENOMEM;
    if (err) {
        ed_form_free(form);
        return err;
    }
    *out = form;
    return ED_OK;
}

ed_err ed_service_from_elem(const ed_elem *e, ed_service *out)
{
    ed_service_init(out);
    if (!e || !e->name)
        return ED_EINVAL;
    ed_err err = ED_OK;
    int ok = 1;
    const char *v;

    const char *type = ed_elem_attr(e, "type");
    const char *host = ed_elem_attr(e, "host");
    if (!host || !*host)
        return ED_SVC_MISSING_HOST;
    if (!type || !*type)
        return ED_SVC_MISSING_TYPE;
    if (!ed_is_ncname(type))
        return ED_SVC_BAD_TYPE;
    if ((err = ed_check_host(host)))
        return err;
    if ((v = ed_elem_attr(e, "port")) && (err = ed_parse_port(v, &out->port)))
        goto fail;
    if ((v = ed_elem_attr(e, "transport")) && !ed_is_ncname(v)) {
        err = ED_SVC_BAD_TRANSPORT;
        goto fail;
    }
    out->transport = dup_opt(v, &ok);
    if ((v = ed_elem_attr(e, "restricted")) &&
        (err = ed_parse_xsd_bool(v, &out->restricted)))
        goto fail;
    if ((v = ed_elem_attr(e, "action")) && (err = ed_parse_action(v, &out->action)))
        goto fail;
    if ((v = ed_elem_attr(e, "expires"))) {
        int64_t t;
        if (ed_datetime_parse(v, strlen(v), &t, NULL) != ED_OK) {
            err = ED_SVC_BAD_EXPIRES;
            goto fail;
        }
        out->expires = t;
    }
    const ed_elem *x = ed_elem_child(e, "x", ED_NS_XDATA);
    if (x && (err = form_from_elem(x, &out->form)))
        goto fail;
    out->type = dup_opt(type, &ok);
    out->host = dup_opt(host, &ok);
    out->name = dup_opt(ed_elem_attr(e, "name"), &ok);
    out->username = dup_opt(ed_elem_attr(e, "username"), &ok);
    out->password = dup_opt(ed_elem_attr(e, "password"), &ok);
    if (!ok) {
        err = ED_ENOMEM;
        goto fail;
    }
    return ED_OK;
fail:
    ed_service_clear(out);
    return err;
}

/* --- names ------------------------------------------------------------------ */

static size_t primary_len(const char *lang)
{
    size_t n = 0;
    while (lang[n] && lang[n] != '-' && lang[n] != '_')
        n++;
    return n;
}

const char *ed_service_name_for_lang(const ed_service *s, const char *lang)
{
    if (!s)
        return NULL;
    if (lang && *lang && s->nnames) {
        for (size_t i = 0; i < s->nnames; i++)
            if (s->names[i].lang && strcasecmp(s->names[i].lang, lang) == 0)
                return s->names[i].text;
        size_t pl = primary_len(lang);
        /* "de-AT" asked: a name tagged "de" first, then any "de-*". */
        for (size_t i = 0; i < s->nnames; i++) {
            const char *l = s->names[i].lang;
            if (l && strlen(l) == pl && strncasecmp(l, lang, pl) == 0)
                return s->names[i].text;
        }
        for (size_t i = 0; i < s->nnames; i++) {
            const char *l = s->names[i].lang;
            if (l && primary_len(l) == pl && strncasecmp(l, lang, pl) == 0)
                return s->names[i].text;
        }
    }
    return s->name;
}

/* --- emission --------------------------------------------------------------- */

static ed_err form_to_elem(ed_elem *svc, const ed_form *f)
{
    ed_elem *x = ed_elem_add(svc, "x", ED_NS_XDATA);
    if (!x)
        return ED_ENOMEM;
    ed_err err = ed_elem_set_attr(x, "type", "result");
    for (size_t i = 0; !err && i < f->nfields; i++) {
        const ed_form_field *ff = &f->fields[i];
        ed_elem *fe = ed_elem_add(x, "field", NULL);
        if (!fe)
            return ED_ENOMEM;
        const char *ftype = ff->type;
        if (!ftype && ff->var && strcmp(ff->var, "FORM_TYPE") == 0)
            ftype = "hidden"; /* XEP-0068 */
        if ((err = ed_elem_set_attr(fe, "var", ff->var)) ||
            (ftype && (err = ed_elem_set_attr(fe, "type", ftype))) ||
            (ff->label && (err = ed_elem_set_attr(fe, "label", ff->label))))
            return err;
        for (size_t j = 0; j < ff->nvalues; j++) {
            ed_elem *ve = ed_elem_add(fe, "value", NULL);
            if (!ve)
                return ED_ENOMEM;
            const char *t = ff->values[j] ? ff->values[j] : "";
            if (*t && (err = ed_elem_add_text(ve, t, strlen(t))))
                return err;
        }
    }
    return err;
}

static const char *action_str(ed_action a)
{
    switch (a) {
    case ED_ACTION_ADD: return "add";
    case ED_ACTION_MODIFY: return "modify";
    case ED_ACTION_DELETE: return "delete";
    default: return NULL;
    }
}

ed_err ed_service_to_elem(ed_elem *parent, const ed_service *s, const char *lang,
                          ed_elem **out)
{
    return ed_service_to_elem_fmt(parent, s, lang, out, NULL, 0);
}

ed_err ed_service_to_elem_fmt(ed_elem *parent, const ed_service *s, const char *lang,
                              ed_elem **out, const char *expires_txt, size_t expires_len)
{
    if (out)
        *out = NULL;
    if (!parent || !s || !s->type || !s->host)
        return ED_EINVAL;
    if (s->port < -1 || s->port > 65535)
        return ED_SVC_BAD_PORT;
    /* A fresh element: attributes are appended (no duplicate to look
     * for), names are static, constant values are not copied. */
    ed_elem *e = ed_elem_add_s(parent, ED_SN_SERVICE, NULL);
    if (!e)
        return ED_ENOMEM;
    ed_err err = ed_elem_reserve_attrs(e, 9);
    const char *act = action_str(s->action);
#define SET(id, v) do { const char *v_ = (v); \
        if (!err && v_) err = ed_elem_append_attr(e, (id), v_, strlen(v_)); } while (0)
    if (!err && act)
        err = ed_elem_append_attr_static(e, ED_SN_ACTION, act);
    SET(ED_SN_TYPE, s->type);
    SET(ED_SN_HOST, s->host);
    if (!err && s->port >= 0) {
        /* At most 5 digits: a fixed-size conversion with no printf. */
        char num[8], *p = num + sizeof num;
        unsigned v = (unsigned)s->port;
        do {
            *--p = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        err = ed_elem_append_attr(e, ED_SN_PORT, p, (size_t)(num + sizeof num - p));
    }
    SET(ED_SN_TRANSPORT, s->transport);
    if (s->action == ED_ACTION_DELETE) {
        /* A delete names the service; nothing else is meaningful. */
        if (!err && out)
            *out = e;
        return err;
    }
    SET(ED_SN_NAME, ed_service_name_for_lang(s, lang));
    if (!err && s->restricted >= 0)
        err = ed_elem_append_attr_static(e, ED_SN_RESTRICTED,
                                         s->restricted ? "true" : "false");
    SET(ED_SN_USERNAME, s->username);
    SET(ED_SN_PASSWORD, s->password);
    if (s->expires && expires_txt) {
        if (!err)
            err = ed_elem_append_attr(e, ED_SN_EXPIRES, expires_txt, expires_len);
    } else if (s->expires) {
        char ts[ED_DATETIME_BUFSZ];
        size_t tl = ed_datetime_format(s->expires, ts);
        if (tl == 0)
            err = err ? err : ED_SVC_BAD_EXPIRES;
        else if (!err)
            err = ed_elem_append_attr(e, ED_SN_EXPIRES, ts, tl);
    }
#undef SET
    if (!err && s->form)
        err = form_to_elem(e, s->form);
    if (!err && out)
        *out = e;
    return err;
}

/* --- comparison --------------------------------------------------------------- */

bool ed_service_same_identity(const ed_service *a, const ed_service *b)
{
    return str_eq(a->type, b->type) && str_case_eq(a->host, b->host) &&
           a->port == b->port && str_case_eq(a->transport, b->transport);
}

static bool form_eq(const ed_form *a, const ed_form *b)
{
    if (!a || !b)
        return a == b;
    if (a->nfields != b->nfields)
        return false;
    for (size_t i = 0; i < a->nfields; i++) {
        const ed_form_field *x = &a->fields[i], *y = &b->fields[i];
        if (!str_eq(x->var, y->var) || !str_eq(x->type, y->type) ||
            !str_eq(x->label, y->label) || x->nvalues != y->nvalues)
            return false;
        for (size_t j = 0; j < x->nvalues; j++)
            if (!str_eq(x->values[j], y->values[j]))
                return false;
    }
    return true;
}

bool ed_service_same_content(const ed_service *a, const ed_service *b)
{
    if (!ed_service_same_identity(a, b))
        return false;
    if (!str_eq(a->name, b->name) || a->restricted != b->restricted ||
        a->nnames != b->nnames || !form_eq(a->form, b->form))
        return false;
    for (size_t i = 0; i < a->nnames; i++)
        if (!str_case_eq(a->names[i].lang, b->names[i].lang) ||
            !str_eq(a->names[i].text, b->names[i].text))
            return false;
    return true;
}
