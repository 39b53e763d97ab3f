/* Fuzz XEP-0215: request parsing and the responder against a fixed service
 * set, the client-side result parser, emission round trips and the diff.
 * Properties (abort() when broken):
 *   - every reply serialises and parses back; a result's payload parses with
 *     ed_xep0215_parse_services and no entry skipped;
 *   - the responder's outcome says what its reply says (result or which
 *     error condition; recorded for pushes only after a <services/> result);
 *   - every service the liberal parser accepts is emitted, parses back, and
 *     has the same identity and content;
 *   - a diff against the fixed set builds a push that serialises and parses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extdisco/extdisco.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW 1795341600
#define NSET 4

static ed_service_def set[NSET];
static ed_jid *requester;
static ed_turn_rest *rest;

static void mkdef(ed_service_def *d, const char *type, const char *host, int port,
                  const char *transport, const ed_turn_rest *r)
{
    ed_service_init(&d->svc);
    d->svc.type = strdup(type);
    d->svc.host = strdup(host);
    d->svc.port = port;
    d->svc.transport = strdup(transport);
    d->rest = r;
    if (!d->svc.type || !d->svc.host || !d->svc.transport)
        abort();
}

static void init_once(void)
{
    if (requester)
        return;
    static const char *const secrets[] = {"fuzz-secret"};
    ed_turn_rest_config cfg = {.secrets = secrets, .nsecrets = 1, .ttl = 86400};
    if (ed_turn_rest_new(&cfg, &rest) != ED_OK)
        abort();
    mkdef(&set[0], "stun", "stun.shakespeare.lit", 3478, "udp", NULL);
    mkdef(&set[1], "turn", "turn.shakespeare.lit", 3478, "udp", rest);
    mkdef(&set[2], "turns", "turn.shakespeare.lit", 5349, "tcp", rest);
    mkdef(&set[3], "ftp", "ftp.shakespeare.lit", 20, "tcp", NULL);
    set[3].svc.name = strdup("Shakespearean File Server");
    set[3].svc.username = strdup("guest");
    set[3].svc.password = strdup("guest");
    set[3].svc.names = calloc(1, sizeof *set[3].svc.names);
    set[3].svc.names[0].lang = strdup("de");
    set[3].svc.names[0].text = strdup("Dateiserver");
    set[3].svc.nnames = 1;
    if (ed_jid_parse("bard@shakespeare.lit/globe", 26, &requester) != ED_OK)
        abort();
}

/* Serialise e and parse it back; abort if that fails.  Returns the tree. */
static ed_elem *reparse(const ed_elem *e)
{
    char *s = ed_xml_to_string(e, ED_NS_CLIENT);
    ed_elem *back = NULL;
    if (!s || ed_xml_parse(s, strlen(s), NULL, &back) != ED_OK)
        abort();
    free(s);
    return back;
}

/* The reply serialises and parses back, a result's payload without a
 * skipped entry, and it says what the outcome says (result or the status's
 * condition; recorded only for a <services/> result, with the request's
 * version, filter and language). */
static void check_reply(ed_elem *r, const ed_xep0215_outcome *o, const ed_xep0215_request *req)
{
    ed_elem *back = reparse(r);
    const char *type = ed_elem_attr(back, "type");
    if (!type || o->version != req->version || o->type != req->type || o->lang != req->lang)
        abort();
    if (strcmp(type, "result") == 0) {
        ed_service *v = NULL;
        size_t n = 0, skipped = 0;
        ed_elem *p = ed_iq_payload(back);
        if (!p || ed_xep0215_parse_services(p, &v, &n, &skipped) != ED_OK || skipped)
            abort();
        ed_services_free(v, n);
        if (o->status != ED_XEP0215_RESULT || o->err != ED_OK ||
            o->record != (req->kind == ED_XEP0215_SERVICES))
            abort();
    } else if (strcmp(type, "error") == 0) {
        const char *cond = ed_xep0215_status_condition(o->status);
        const ed_elem *e = ed_elem_child(back, "error", NULL);
        const ed_elem *c = e ? ed_elem_first(e) : NULL;
        if (!cond || !c || strcmp(c->name, cond) != 0 || o->err == ED_OK || o->record)
            abort();
    } else {
        abort();
    }
    ed_elem_free(back);
}

/* Each accepted service survives emission and re-parsing unchanged. */
static void check_roundtrip(const ed_service *s)
{
    ed_elem *root = ed_elem_new("services", ED_NS_EXTDISCO2);
    if (!root)
        abort();
    ed_elem *child = NULL;
    ed_err err = ed_service_to_elem(root, s, NULL, &child);
    if (err == ED_SVC_BAD_EXPIRES) {
        /* An offset carried the instant outside years 0000..9999. */
        ed_elem_free(root);
        return;
    }
    if (err != ED_OK)
        abort();
    ed_elem *back = reparse(root);
    ed_service t;
    if (ed_service_from_elem(ed_elem_first(back), &t) != ED_OK)
        abort();
    if (!ed_service_same_identity(s, &t) || t.action != s->action)
        abort();
    if (s->action != ED_ACTION_DELETE) {
        if (!ed_service_same_content(s, &t) || t.expires != s->expires)
            abort();
        if ((s->username == NULL) != (t.username == NULL) ||
            (s->username && strcmp(s->username, t.username) != 0))
            abort();
    }
    if (ed_service_validate(&t) != ED_OK)
        abort();
    ed_service_clear(&t);
    ed_elem_free(back);
    ed_elem_free(root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    init_once();
    ed_elem *iq = NULL;
    if (ed_xml_parse((const char *)data, size, NULL, &iq) != ED_OK)
        return 0;

    ed_xep0215_request req;
    ed_err err = ed_xep0215_parse_request(iq, &req);
    if (err != ED_SVC_NOT_EXTDISCO &&
        ((req.version != 1 && req.version != 2) || req.bad != err ||
         (req.nwanted > 0) != (!err && req.kind == ED_XEP0215_CREDENTIALS) ||
         (req.type && !*req.type)))
        abort();

    /* Two policies: everything allowed, and the strict one. */
    ed_xep0215_policy pols[2];
    pols[0] = ed_xep0215_policy_default();
    pols[1] = pols[0];
    pols[1].may_credentials = false;
    pols[1].serve_v1 = false;
    for (int i = 0; i < 2; i++) {
        ed_xep0215_outcome out;
        ed_elem *r = ed_xep0215_respond(iq, requester, NOW, set, NSET, &pols[i], &out);
        if (r) {
            check_reply(r, &out, &req);
            ed_elem_free(r);
        } else if (out.status != ED_XEP0215_NO_REPLY ||
                   (out.err != ED_SVC_NOT_EXTDISCO && out.err != ED_ENOMEM) ||
                   (out.err == ED_SVC_NOT_EXTDISCO) != (err == ED_SVC_NOT_EXTDISCO)) {
            abort();
        }
    }

    /* The client side: the payload as a result or push. */
    ed_elem *p = ed_elem_first(iq);
    ed_service *v = NULL;
    size_t n = 0, skipped = 0;
    if (p && ed_xep0215_parse_services(p, &v, &n, &skipped) == ED_OK) {
        for (size_t i = 0; i < n; i++) {
            if (ed_service_validate(&v[i]) != ED_OK)
                abort();
            check_roundtrip(&v[i]);
        }
        ed_service base[NSET];
        for (size_t i = 0; i < NSET; i++)
            if (ed_service_copy(&base[i], &set[i].svc) != ED_OK)
                abort();
        ed_service *d = NULL;
        size_t nd = 0;
        if (ed_service_diff(base, NSET, v, n, NULL, &d, &nd) != ED_OK)
            abort();
        ed_elem *push = ed_xep0215_push("shakespeare.lit", "bard@shakespeare.lit/globe",
                                        "push", 2, NULL, NULL, d, nd);
        if (push) {
            ed_elem_free(reparse(push));
            ed_elem_free(push);
        }
        ed_services_free(d, nd);
        for (size_t i = 0; i < NSET; i++)
            ed_service_clear(&base[i]);
        ed_services_free(v, n);
    }
    ed_elem_free(iq);
    return 0;
}
