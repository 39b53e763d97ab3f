/* lib/service_diff.c — the add/modify/delete changes between two service
 * sets, as an XEP-0215 push carries them. */
#include <stdlib.h>
#include <string.h>

#include "extdisco/service.h"

/* Both sets are bounded by the daemon's registry; this bounds the quadratic
 * matching below too. */
#define DIFF_MAX_SERVICES 4096

static bool type_matches(const ed_service *s, const char *type)
{
    return !type || (s->type && strcmp(s->type, type) == 0);
}

static const ed_service *find_same(const ed_service *v, size_t n,
                                   const ed_service *s, const char *type)
{
    for (size_t i = 0; i < n; i++)
        if (type_matches(&v[i], type) && ed_service_same_identity(&v[i], s))
            return &v[i];
    return NULL;
}

/* A delete names the service by its identity only. */
static ed_err identity_copy(ed_service *dst, const ed_service *src)
{
    ed_service_init(dst);
    dst->type = strdup(src->type ? src->type : "");
    dst->host = strdup(src->host ? src->host : "");
    dst->transport = src->transport ? strdup(src->transport) : NULL;
    dst->port = src->port;
    dst->action = ED_ACTION_DELETE;
    if (!dst->type || !dst->host || (src->transport && !dst->transport)) {
        ed_service_clear(dst);
        return ED_ENOMEM;
    }
    return ED_OK;
}

ed_err ed_service_diff(const ed_service *old, size_t nold,
                       const ed_service *nw, size_t nnew, const char *type,
                       ed_service **out, size_t *nout)
{
    if (!out || !nout || (nold && !old) || (nnew && !nw))
        return ED_EINVAL;
    *out = NULL;
    *nout = 0;
    if (nold > DIFF_MAX_SERVICES || nnew > DIFF_MAX_SERVICES)
        return ED_ELIMIT;
    if (nold + nnew == 0)
        return ED_OK;
    ed_service *v = calloc(nold + nnew, sizeof *v);
    if (!v)
        return ED_ENOMEM;
    size_t n = 0;
    ed_err err = ED_OK;

    for (size_t i = 0; i < nnew && !err; i++) {
        const ed_service *s = &nw[i];
        if (!type_matches(s, type))
            continue;
        /* A second entry with an identity already seen in nw is the same
         * service listed twice: the first one speaks for it. */
        if (find_same(nw, i, s, type))
            continue;
        const ed_service *o = find_same(old, nold, s, type);
        ed_action act;
        if (!o)
            act = ED_ACTION_ADD;
        else if (!ed_service_same_content(o, s))
            act = ED_ACTION_MODIFY;
        else
            continue;
        if ((err = ed_service_copy(&v[n], s)))
            break;
        v[n++].action = act;
    }
    for (size_t i = 0; i < nold && !err; i++) {
        const ed_service *o = &old[i];
        if (!type_matches(o, type) || find_same(old, i, o, type))
            continue;
        if (find_same(nw, nnew, o, type))
            continue;
        if ((err = identity_copy(&v[n], o)))
            break;
        n++;
    }
    if (err) {
        ed_services_free(v, n);
        return err;
    }
    if (n == 0) {
        free(v);
        return ED_OK;
    }
    *out = v;
    *nout = n;
    return ED_OK;
}
