/* lib/stanza.c — IQ results and RFC 6120 §8.3 stanza errors.
 *
 * Ownership: every function returning ed_elem * returns a new root the caller
 * frees with ed_elem_free(); the request is only read.
 *
 * Attributes of replies are written in the order from, id, to, type (the
 * order of the XEP examples). */
#include <string.h>

#include "extdisco/stanza.h"

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

/* New root named like req with from/id/to swapped from req and type set. */
static ed_elem *reply_to(const ed_elem *req, const char *name, const char *type)
{
    ed_elem *r = ed_elem_new(name, req->ns);
    if (!r)
        return NULL;
    const char *from = ed_elem_attr(req, "to");
    const char *id = ed_elem_attr(req, "id");
    const char *to = ed_elem_attr(req, "from");
    if ((from && ed_elem_set_attr(r, "from", from)) ||
        (id && ed_elem_set_attr(r, "id", id)) ||
        (to && ed_elem_set_attr(r, "to", to)) ||
        ed_elem_set_attr(r, "type", type)) {
        ed_elem_free(r);
        return NULL;
    }
    return r;
}

ed_elem *ed_iq_result(const ed_elem *req)
{
    if (!req || !req->name)
        return NULL;
    return reply_to(req, "iq", "result");
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
    ed_elem *r = reply_to(req, req->name, "error");
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
