/* client/fetch.c — the XEP-0215 requests the `extdisco` commands share:
 * services and credentials with the urn:xmpp:extdisco:1 fallback, the
 * <credentials/> request for services that came without credentials
 * (XEP-0215 §3.3), and which exit code a failed request gets. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "extdisco/xep0215.h"

#define FIRST_ERR_MAX 600
#define WANT_MAX 256 /* ed_client_credentials() takes at most 256 */

bool cli_answered(ed_client *c, ed_err err)
{
    if (err == ED_OK || err == ED_ENOMEM || err == ED_EINVAL)
        return false;
    if (err == ED_ESTATE)
        return ed_client_error_condition(c) != NULL;
    return true; /* an answer that does not parse or is not what was asked */
}

int cli_exit_for(ed_client *c, ed_err err)
{
    return cli_answered(c, err) ? CLI_EXIT_FAILED : CLI_EXIT_CANNOT;
}

const char *cli_ns(int version)
{
    return version == 1 ? ED_NS_EXTDISCO1 : ED_NS_EXTDISCO2;
}

/* Retry in :1?  Only without --v1, after a :2 request the server answered
 * (stanza error, or a result without the payload), still connected. */
static bool retry_v1(ed_client *c, const cli_opts *o, int version, ed_err err)
{
    return !o->version && version == 2 && cli_answered(c, err) &&
           ed_client_is_connected(c);
}

ed_err cli_get_services(ed_client *c, const cli_opts *o, int first, int *version,
                        ed_elem **reply)
{
    ed_service *v = NULL;
    size_t n = 0;
    *version = first == 1 ? 1 : 2;
    *reply = NULL;
    ed_err err = ed_client_services(c, o->to, *version, o->type, &v, &n, NULL, reply);
    ed_services_free(v, n); /* callers work on the reply */
    if (!err || !retry_v1(c, o, *version, err))
        return err;
    char first_err[FIRST_ERR_MAX];
    snprintf(first_err, sizeof first_err, "%s", ed_client_error(c));
    *version = 1;
    v = NULL;
    n = 0;
    err = ed_client_services(c, o->to, 1, o->type, &v, &n, NULL, reply);
    ed_services_free(v, n);
    if (err)
        fprintf(stderr, "extdisco: %s (%s)\n", first_err, ED_NS_EXTDISCO2);
    return err;
}

ed_err cli_get_credentials(ed_client *c, const cli_opts *o, int first,
                           const ed_service *want, size_t nwant, int *version,
                           ed_service **out, size_t *n, ed_elem **reply)
{
    *version = first == 1 ? 1 : 2;
    ed_err err = ed_client_credentials(c, o->to, *version, want, nwant, out, n, reply);
    if (!err || !retry_v1(c, o, *version, err))
        return err;
    char first_err[FIRST_ERR_MAX];
    snprintf(first_err, sizeof first_err, "%s", ed_client_error(c));
    *version = 1;
    err = ed_client_credentials(c, o->to, 1, want, nwant, out, n, reply);
    if (err)
        fprintf(stderr, "extdisco: %s (%s)\n", first_err, ED_NS_EXTDISCO2);
    return err;
}

bool cli_is_turn(const ed_service *s)
{
    return s->type && (strcmp(s->type, "turn") == 0 || strcmp(s->type, "turns") == 0);
}

bool cli_needs_credentials(const ed_service *s)
{
    return (cli_is_turn(s) || s->restricted == 1) && (!s->username || !s->password);
}

size_t cli_fill_credentials(ed_client *c, const cli_opts *o, int version,
                            ed_service_view *v, int64_t now)
{
    size_t count = ed_service_view_count(v), nw = 0, missing = 0;
    ed_service *want = calloc(count + 1, sizeof *want);
    if (!want) {
        fprintf(stderr, "extdisco: warning: credentials: %s\n", ed_strerror(ED_ENOMEM));
        return count;
    }
    /* One entry per type + host + port: no transport, which ejabberd 23.01
     * would match nothing with; the answer's own port/transport say which
     * entries each credential is for. */
    for (size_t i = 0; i < count; i++) {
        const ed_service *s = ed_service_view_get(v, i);
        if (!cli_needs_credentials(s))
            continue;
        missing++;
        bool dup = false;
        for (size_t j = 0; j < nw && !dup; j++)
            dup = strcmp(want[j].type, s->type) == 0 &&
                  strcasecmp(want[j].host, s->host) == 0 && want[j].port == s->port;
        if (dup || nw >= WANT_MAX)
            continue;
        ed_service_init(&want[nw]);
        want[nw].type = s->type; /* borrowed for the request */
        want[nw].host = s->host;
        want[nw].port = s->port;
        nw++;
    }
    if (!nw) {
        free(want);
        return 0;
    }
    ed_service *got = NULL;
    size_t ng = 0;
    ed_elem *reply = NULL;
    ed_err err = ed_client_credentials(c, o->to, version, want, nw, &got, &ng, &reply);
    free(want); /* members were borrowed */
    ed_services_free(got, ng);
    if (err) {
        fprintf(stderr, "extdisco: warning: %s; %zu service%s stay%s without "
                "credentials\n", ed_client_error(c), missing, missing == 1 ? "" : "s",
                missing == 1 ? "s" : "");
        return missing;
    }
    const ed_elem *p = ed_elem_child(reply, "credentials", cli_ns(version));
    if (!p) /* ejabberd 23.01 answers with <services/> */
        p = ed_elem_child(reply, "services", cli_ns(version));
    size_t updated = 0;
    err = ed_service_view_apply_credentials(v, p, now, &updated);
    ed_elem_free(reply);
    if (err)
        fprintf(stderr, "extdisco: warning: credentials: %s\n", ed_strerror(err));
    missing = 0;
    for (size_t i = 0; i < ed_service_view_count(v); i++)
        if (cli_needs_credentials(ed_service_view_get(v, i)))
            missing++;
    return missing;
}

ed_service *cli_view_services(const ed_service_view *v, size_t *n)
{
    size_t count = ed_service_view_count(v);
    ed_service *out = calloc(count + 1, sizeof *out);
    *n = 0;
    if (!out)
        return NULL;
    for (size_t i = 0; i < count; i++) {
        if (ed_service_copy(&out[i], ed_service_view_get(v, i)) != ED_OK) {
            ed_services_free(out, i);
            return NULL;
        }
    }
    *n = count;
    return out;
}
