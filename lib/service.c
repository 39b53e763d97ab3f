/* lib/service.c — the XEP-0215 service record: lifetime, liberal parsing
 * from a <service/> element and emission following
 * ../shared/notes/interop.md.  Schema checks and host classification live in
 * service_check.c, the diff in service_diff.c. */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extdisco/datetime.h"
#include "extdisco/service.h"
#include "xml_priv.h"
#include "service_priv.h"
#include "str_priv.h"


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
    return str_eq(a->type, b->type) && host_eq(a->host, b->host) &&
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
    /* Static credentials (no expires on either side) are content: a changed
     * one must reach clients.  Ephemeral ones change with every mint. */
    if (!a->expires && !b->expires &&
        (!str_eq(a->username, b->username) || !str_eq(a->password, b->password)))
        return false;
    for (size_t i = 0; i < a->nnames; i++)
        if (!str_case_eq(a->names[i].lang, b->names[i].lang) ||
            !str_eq(a->names[i].text, b->names[i].text))
            return false;
    return true;
}
