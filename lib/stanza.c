/* lib/stanza.c — IQ results and RFC 6120 §8.3 stanza errors.
 *
 * Ownership: every function returning ed_elem * returns a new root the caller
 * frees with ed_elem_free(); the request is only read.
 *
 * Attributes of replies are written in the order from, id, to, type (the
 * order of the XEP examples). */
#include <string.h>

#include "extdisco/stanza.h"
#include "xml_priv.h"

static const struct {
    const char *cond;
    const char *type;
} default_types[] = {
    /* RFC 6120 §8.3.3 */
    { "bad-request", "modify" },
    { "conflict", "cancel" },
    { "feature-not-implemented", "cancel" },
    { "forbidden", "auth" },
    { "gone", "cancel" },
    { "internal-server-error", "cancel" },
    { "item-not-found", "cancel" },
    { "jid-malformed", "modify" },
    { "not-acceptable", "modify" },
    { "not-allowed", "cancel" },
    { "not-authorized", "auth" },
    { "policy-violation", "modify" },
    { "recipient-unavailable", "wait" },
    { "redirect", "modify" },
    { "registration-required", "auth" },
    { "remote-server-not-found", "cancel" },
    { "remote-server-timeout", "wait" },
    { "resource-constraint", "wait" },
    { "service-unavailable", "cancel" },
    { "subscription-required", "auth" },
    { "undefined-condition", "cancel" },
    { "unexpected-request", "wait" },
};

const char *ed_stanza_error_default_type(const char *condition)
{
    if (condition)
        for (size_t i = 0; i < sizeof default_types / sizeof default_types[0]; i++)
            if (!strcmp(default_types[i].cond, condition))
                return default_types[i].type;
    return "cancel";
}

/* New root named like req with from/id/to swapped from req and type set
 * (type: a literal, not copied); hint as for ed_elem_new_n(). */
static ed_elem *reply_to(const ed_elem *req, const char *name, const char *type,
                         size_t hint)
{
    size_t nlen = strlen(name);
    int sid = ed_sname_find(name, nlen);
    ed_elem *r = sid >= 0 ? ed_elem_new_s(sid, req->ns, strlen(req->ns), hint)
                          : ed_elem_new_n(name, nlen, req->ns, strlen(req->ns), hint);
    if (!r)
        return NULL;
    /* One pass over req's attributes; the first of a name wins, as with
     * ed_elem_attr(). */
    const char *from = NULL, *id = NULL, *to = NULL;
    for (size_t i = 0; i < req->nattrs; i++) {
        const char *n = req->attrs[i].name, *v = req->attrs[i].value;
        if (n[0] == 't' && n[1] == 'o' && !n[2]) {
            if (!from)
                from = v;
        } else if (n[0] == 'i' && n[1] == 'd' && !n[2]) {
            if (!id)
                id = v;
        } else if (!strcmp(n, "from")) {
            if (!to)
                to = v;
        }
    }
    /* A fresh element: append in the order from, id, to, type. */
    if (ed_elem_reserve_attrs(r, 4) ||
        (from && ed_elem_append_attr(r, ED_SN_FROM, from, strlen(from))) ||
        (id && ed_elem_append_attr(r, ED_SN_ID, id, strlen(id))) ||
        (to && ed_elem_append_attr(r, ED_SN_TO, to, strlen(to))) ||
        ed_elem_append_attr_static(r, ED_SN_TYPE, type)) {
        ed_elem_free(r);
        return NULL;
    }
    return r;
}

ed_elem *ed_iq_result_sized(const ed_elem *req, size_t hint)
{
    if (!req || !req->name)
        return NULL;
    return reply_to(req, "iq", "result", hint);
}

ed_elem *ed_iq_result(const ed_elem *req)
{
    return ed_iq_result_sized(req, 0);
}

ed_elem *ed_stanza_error(const ed_elem *req, const char *condition,
                         const char *type, const char *text)
{
    if (!req || !req->name)
        return NULL;
    if (!condition || !*condition)
        condition = "undefined-condition";
    if (!type)
        type = ed_stanza_error_default_type(condition);
    ed_elem *r = reply_to(req, req->name, "error", 0);
    if (!r)
        return NULL;
    ed_elem *err = ed_elem_add(r, "error", NULL);
    if (!err || ed_elem_set_attr(err, "type", type) ||
        !ed_elem_add(err, condition, ED_NS_STANZAS))
        goto fail;
    if (text) {
        ed_elem *t = ed_elem_add(err, "text", ED_NS_STANZAS);
        if (!t || ed_elem_set_attr(t, "xml:lang", "en") ||
            ed_elem_add_text(t, text, strlen(text)))
            goto fail;
    }
    return r;
fail:
    ed_elem_free(r);
    return NULL;
}

ed_elem *ed_iq_payload(const ed_elem *iq)
{
    ed_elem *first = ed_elem_first(iq);
    if (!first || ed_elem_next(first, NULL, NULL))
        return NULL;
    return first;
}
