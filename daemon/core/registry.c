/* daemon/core/registry.c — see registry.h. */
#include "core/registry.h"
#include "core/netscope.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct acl {
    char **v;
    size_t n;
} acl;

struct edd_registry {
    ed_service_def *defs;
    uint64_t *masks;      /* per def: its networks (0: everyone) */
    size_t ndefs;
    edd_netscope *nets;
    ed_turn_rest **rests;
    size_t nrests;
    acl services;
    acl credentials;
    acl domains;
    char *default_lang;
    bool serve_v1;
    bool inline_credentials;
};

static void acl_free(acl *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    a->v = NULL;
    a->n = 0;
}

static bool acl_copy(acl *a, char *const *v, size_t n)
{
    a->v = calloc(n ? n : 1, sizeof *a->v);
    if (!a->v)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (!(a->v[i] = strdup(v[i])))
            return false;
        a->n = i + 1;
    }
    return true;
}

/* NULL stays NULL; false on allocation failure. */
static bool dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return true;
    *dst = strdup(src);
    return *dst != NULL;
}

static ed_form *form_build(const edd_cfg_form *cf)
{
    ed_form *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    size_t n = cf->nfields + (cf->form_type ? 1 : 0);
    f->fields = calloc(n ? n : 1, sizeof *f->fields);
    if (!f->fields)
        goto fail;
    if (cf->form_type) {
        ed_form_field *ff = &f->fields[f->nfields++];
        ff->values = calloc(1, sizeof *ff->values);
        if (!(ff->var = strdup("FORM_TYPE")) || !(ff->type = strdup("hidden")) ||
            !ff->values || !(ff->values[0] = strdup(cf->form_type)))
            goto fail;
        ff->nvalues = 1;
    }
    for (unsigned i = 0; i < cf->nfields; i++) {
        const edd_cfg_form_field *src = &cf->fields[i];
        ed_form_field *ff = &f->fields[f->nfields++];
        if (!dup_opt(&ff->var, src->var) || !dup_opt(&ff->type, src->type) ||
            !dup_opt(&ff->label, src->label))
            goto fail;
        ff->values = calloc(src->nvalues ? src->nvalues : 1, sizeof *ff->values);
        if (!ff->values)
            goto fail;
        for (unsigned k = 0; k < src->nvalues; k++) {
            if (!(ff->values[k] = strdup(src->values[k])))
                goto fail;
            ff->nvalues = k + 1;
        }
    }
    return f;
fail:
    ed_form_free(f);
    return NULL;
}

static void wipe_password(ed_service *s)
{
    if (s->password)
        explicit_bzero(s->password, strlen(s->password));
}

/* The public record of one configured service. */
static ed_err service_build(const edd_cfg_service *cs, ed_service *s)
{
    ed_service_init(s);
    s->port = (int)cs->port;
    s->restricted = cs->restricted;
    if (!dup_opt(&s->type, cs->type) || !dup_opt(&s->host, cs->host) ||
        !dup_opt(&s->transport, cs->transport) || !dup_opt(&s->name, cs->name) ||
        !dup_opt(&s->username, cs->username) || !dup_opt(&s->password, cs->password))
        return ED_ENOMEM;
    if (cs->nnames) {
        s->names = calloc(cs->nnames, sizeof *s->names);
        if (!s->names)
            return ED_ENOMEM;
        for (size_t i = 0; i < cs->nnames; i++) {
            if (!dup_opt(&s->names[i].lang, cs->names[i].lang) ||
                !dup_opt(&s->names[i].text, cs->names[i].text)) {
                s->nnames = i + 1;
                return ED_ENOMEM;
            }
            s->nnames = i + 1;
        }
    }
    if (cs->extended && !(s->form = form_build(cs->extended)))
        return ED_ENOMEM;
    return ed_service_validate(s);
}

edd_registry *edd_registry_build(const edd_config *cfg, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    if (!cfg) {
        edd_set_err(err, errlen, "no configuration");
        return NULL;
    }
    const char *file = cfg->path ? cfg->path : "(config)";
    edd_registry *reg = calloc(1, sizeof *reg);
    if (!reg)
        goto nomem;
    reg->serve_v1 = cfg->serve_v1;
    reg->inline_credentials = cfg->inline_credentials;
    if (!dup_opt(&reg->default_lang, cfg->default_lang ? cfg->default_lang : "en") ||
        !acl_copy(&reg->services, cfg->access.services.entries,
                  cfg->access.services.nentries) ||
        !acl_copy(&reg->credentials, cfg->access.credentials.entries,
                  cfg->access.credentials.nentries) ||
        !acl_copy(&reg->domains, cfg->domains, cfg->ndomains))
        goto nomem;

    if (cfg->nturn_secrets) {
        reg->rests = calloc(cfg->nturn_secrets, sizeof *reg->rests);
        if (!reg->rests)
            goto nomem;
    }
    for (unsigned i = 0; i < cfg->nturn_secrets; i++) {
        const edd_cfg_turn_secret *t = &cfg->turn_secrets[i];
        ed_turn_rest_config rc = {
            .secrets = (const char *const *)t->secrets,
            .secret_lens = t->secret_lens,
            .nsecrets = t->nsecret_files,
            .alg = t->algorithm,
            .separator = t->separator ? t->separator[0] : ':',
            .ttl = t->ttl,
            .user_mode = t->user,
        };
        ed_err e = ed_turn_rest_new(&rc, &reg->rests[i]);
        if (e != ED_OK) {
            edd_set_err(err, errlen, "%s: turn_secrets[%u] (%s): %s", file, i,
                    t->name, ed_strerror(e));
            goto fail;
        }
        reg->nrests = i + 1;
    }

    reg->defs = calloc(cfg->nservices ? cfg->nservices : 1, sizeof *reg->defs);
    reg->masks = calloc(cfg->nservices ? cfg->nservices : 1, sizeof *reg->masks);
    if (!reg->defs || !reg->masks || !(reg->nets = edd_netscope_build(cfg)))
        goto nomem;
    for (unsigned i = 0; i < cfg->nservices; i++) {
        const edd_cfg_service *cs = &cfg->services[i];
        ed_service_def *d = &reg->defs[i];
        reg->ndefs = i + 1;
        reg->masks[i] = cs->network_mask;
        ed_err e = service_build(cs, &d->svc);
        if (e != ED_OK) {
            edd_set_err(err, errlen, "%s: services[%u] (%s %s:%lld): %s", file, i,
                    cs->type, cs->host, (long long)cs->port, ed_strerror(e));
            goto fail;
        }
        if (cs->credentials_index >= 0) {
            if ((size_t)cs->credentials_index >= reg->nrests) {
                edd_set_err(err, errlen, "%s: services[%u]: bad credentials reference",
                        file, i);
                goto fail;
            }
            d->rest = reg->rests[cs->credentials_index];
        }
    }
    return reg;
nomem:
    edd_set_err(err, errlen, "%s: out of memory", file);
fail:
    edd_registry_free(reg);
    return NULL;
}

void edd_registry_free(edd_registry *reg)
{
    if (!reg)
        return;
    for (size_t i = 0; i < reg->ndefs; i++) {
        wipe_password(&reg->defs[i].svc);
        ed_service_clear(&reg->defs[i].svc);
    }
    free(reg->defs);
    free(reg->masks);
    edd_netscope_free(reg->nets);
    for (size_t i = 0; i < reg->nrests; i++)
        ed_turn_rest_free(reg->rests[i]);
    free(reg->rests);
    acl_free(&reg->services);
    acl_free(&reg->credentials);
    acl_free(&reg->domains);
    free(reg->default_lang);
    free(reg);
}

const ed_service_def *edd_registry_defs(const edd_registry *reg, size_t *n)
{
    if (!reg) {
        if (n)
            *n = 0;
        return NULL;
    }
    if (n)
        *n = reg->ndefs;
    return reg->defs;
}

const uint64_t *edd_registry_masks(const edd_registry *reg)
{
    return reg ? reg->masks : NULL;
}

size_t edd_registry_select(const edd_registry *reg, const ed_service_def *base,
                           const uint64_t *masks, size_t nbase, const edd_defset *extra,
                           const ed_jid *who, const struct sockaddr *peer,
                           socklen_t peerlen, ed_service_def *out, size_t cap)
{
    if (!reg)
        return 0;
    bool scoped = false; /* skip classifying when nothing is limited */
    for (size_t i = 0; !scoped && i < nbase; i++)
        scoped = masks[i] != 0;
    for (size_t i = 0; !scoped && extra && i < extra->n; i++)
        scoped = extra->masks[i] != 0;
    int net = scoped ? edd_netscope_classify(reg->nets, who, peer, peerlen) : -1;
    size_t n = 0;
    for (size_t i = 0; i < nbase && n < cap; i++)
        if (edd_netscope_allows(masks[i], net))
            out[n++] = base[i];
    for (size_t i = 0; extra && i < extra->n && n < cap; i++)
        if (edd_netscope_allows(extra->masks[i], net))
            out[n++] = extra->defs[i];
    return n;
}

static bool acl_match(const acl *a, const ed_jid *j)
{
    for (size_t i = 0; i < a->n; i++) {
        const char *e = a->v[i];
        if (strcmp(e, "*") == 0)
            return true;
        if (strchr(e, '@')) {
            if (j->bare && strcmp(e, j->bare) == 0)
                return true;
        } else if (j->domain && strcmp(e, j->domain) == 0) {
            return true;
        }
    }
    return false;
}

bool edd_registry_is_local(const edd_registry *reg, const ed_jid *requester)
{
    if (!reg || !requester)
        return false;
    for (size_t i = 0; i < reg->domains.n; i++)
        if (requester->domain && strcmp(reg->domains.v[i], requester->domain) == 0)
            return true;
    return false;
}

ed_xep0215_policy edd_registry_policy_for(const edd_registry *reg,
                                         const ed_jid *requester)
{
    ed_xep0215_policy p;
    memset(&p, 0, sizeof p);
    if (!reg)
        return p;
    p.serve_v1 = reg->serve_v1;
    p.default_lang = reg->default_lang;
    if (!requester)
        return p;
    p.may_list = acl_match(&reg->services, requester);
    p.may_credentials = acl_match(&reg->credentials, requester);
    p.inline_credentials = reg->inline_credentials && p.may_credentials;
    return p;
}

int edd_registry_rest_index(const edd_registry *reg, const ed_turn_rest *rest)
{
    for (size_t i = 0; reg && i < reg->nrests; i++)
        if (reg->rests[i] == rest)
            return (int)i;
    return -1;
}
