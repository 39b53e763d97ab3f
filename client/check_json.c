/* client/check_json.c — `extdisco check --json` (schema in extdisco(1),
 * JSON OUTPUT). */
#include "check_int.h"

#include <string.h>

static void step_begin(jw *w, const char *name, const char *status, long ms,
                       const char *message)
{
    jw_obj(w, NULL);
    jw_str(w, "step", name);
    jw_str(w, "status", status);
    if (ms >= 0)
        jw_int(w, "ms", ms);
    else
        jw_null(w, "ms");
    jw_str(w, "message", message);
}

static void leg_json(jw *w, const char *key, const ed_relay_leg *l)
{
    jw_obj(w, key);
    jw_bool(w, "ok", l->ok);
    if (l->ms >= 0)
        jw_int(w, "ms", l->ms);
    else
        jw_null(w, "ms");
    if (l->us >= 0)
        jw_int(w, "us", l->us);
    else
        jw_null(w, "us");
    jw_int(w, "sends", l->sends);
    jw_str(w, "received_as", !l->ok ? NULL : l->as_channel ? "channeldata" : "data-indication");
    jw_obj_end(w);
}

/* "steps": one object per step that ran, in order (extdisco(1)). */
static void steps_json(jw *w, const svc_check *sc)
{
    const ed_check_result *r = &sc->res;
    jw_arr(w, "steps");
    if (!sc->checked) {
        jw_arr_end(w);
        return;
    }
    bool turn = check_is_turn(&sc->svc);
    const char *first = turn ? "allocate" : "binding";
    /* transport steps (resolve/connect/tls) fail before the first one */
    const char *at = r->step && *r->step ? r->step : "";
    bool early = !r->ok && (strcmp(at, "resolve") == 0 || strcmp(at, "connect") == 0 ||
                            strcmp(at, "tls") == 0 || strcmp(at, "args") == 0);
    if (early) {
        step_begin(w, at, "failed", -1, r->error_reason);
        jw_str(w, "fail", ed_check_fail_name(r->fail));
        jw_obj_end(w);
        jw_arr_end(w);
        return;
    }
    bool first_ok = turn ? r->relayed[0] != 0 : r->ok;
    char msg[300];
    if (first_ok)
        snprintf(msg, sizeof msg, "%s %s", turn ? "relayed" : "mapped",
                 turn ? r->relayed : r->mapped);
    else
        snprintf(msg, sizeof msg, "%s", r->error_reason);
    step_begin(w, first, first_ok ? "ok" : "failed", r->rtt_ms, msg);
    jw_str(w, "fail", first_ok ? "none" : ed_check_fail_name(r->fail));
    jw_int(w, "error_code", first_ok ? 0 : r->error_code);
    jw_obj_end(w);
    if (!turn || !first_ok) {
        jw_arr_end(w);
        return;
    }
    step_begin(w, "refresh", r->refreshed ? "ok" : "failed", -1,
               r->refreshed ? "" : r->error_reason);
    jw_obj_end(w);
    step_begin(w, "deallocate", r->deallocated ? "ok" : "failed", -1,
               r->deallocated ? "" : r->error_reason);
    jw_obj_end(w);
    const ed_relay_result *rr = &sc->relay;
    if (rr->ran) {
        step_begin(w, "relay", rr->ok ? "ok" : "failed", rr->rtt_ms,
                   rr->ok ? "data through each relay arrived at the other, as "
                            "Data indications and as ChannelData"
                          : rr->error_reason);
        if (rr->rtt_us >= 0)
            jw_int(w, "us", rr->rtt_us);
        else
            jw_null(w, "us");
        jw_str(w, "fail", rr->ok ? "none" : ed_check_fail_name(rr->fail));
        jw_str(w, "failed_at", rr->ok ? NULL : rr->step);
        jw_int(w, "error_code", rr->error_code);
        jw_str(w, "relayed_a", rr->relayed[0][0] ? rr->relayed[0] : NULL);
        jw_str(w, "relayed_b", rr->relayed[1][0] ? rr->relayed[1] : NULL);
        leg_json(w, "indication_a_to_b", &rr->ind[0]);
        leg_json(w, "indication_b_to_a", &rr->ind[1]);
        leg_json(w, "channel_a_to_b", &rr->chan[0]);
        leg_json(w, "channel_b_to_a", &rr->chan[1]);
        jw_obj_end(w);
        bool asked = false, granted = false;
        for (int k = 0; k < ED_RELAY_PEERS; k++) {
            asked = asked || rr->peers[k].state >= 0;
            granted = granted || rr->peers[k].state == 1;
        }
        if (asked) {
            step_begin(w, "peer-restriction", granted ? "warning" : "ok", -1,
                       granted ? "CreatePermission for a private/metadata "
                                 "address granted"
                               : "CreatePermission for private/metadata "
                                 "addresses refused");
            jw_arr(w, "peers");
            for (int k = 0; k < ED_RELAY_PEERS; k++) {
                if (rr->peers[k].state < 0)
                    continue;
                jw_obj(w, NULL);
                jw_str(w, "ip", rr->peers[k].ip);
                jw_str(w, "permission", rr->peers[k].state == 1 ? "granted" :
                                        rr->peers[k].state == 0 ? "refused" :
                                        "no-answer");
                jw_int(w, "error_code", rr->peers[k].code);
                jw_obj_end(w);
            }
            jw_arr_end(w);
            jw_obj_end(w);
        }
    }
    if (sc->open_relay >= 0) {
        step_begin(w, "open-relay", sc->open_relay ? "warning" : "ok", -1,
                   sc->open_why);
        jw_bool(w, "allocated_without_credentials", sc->open_relay == 1);
        jw_int(w, "error_code", sc->open_code);
        jw_obj_end(w);
    } else if (sc->relay.ran) {
        step_begin(w, "open-relay", "skipped", -1, sc->open_why);
        jw_obj_end(w);
    }
    jw_arr_end(w);
}

void check_print_json(const cli_opts *o, const char *entity, const char *ns,
                       unsigned feats, const char *sic_ns, const char *sic_ip,
                       int sic_port, const char *sic_err, svc_check *sc,
                       size_t n, int nok, int nfail, int nwarn, int rc)
{
    jw w;
    jw_init(&w, stdout);
    jw_obj(&w, NULL);
    jw_str(&w, "entity", entity);
    jw_str(&w, "namespace", ns);
    jw_obj(&w, "features");
    jw_bool(&w, "extdisco:2", feats & ED_FEAT_EXTDISCO2);
    jw_bool(&w, "extdisco:1", feats & ED_FEAT_EXTDISCO1);
    jw_bool(&w, "sic:1", feats & ED_FEAT_SIC1);
    jw_bool(&w, "sic:0", feats & ED_FEAT_SIC0);
    jw_obj_end(&w);
    jw_obj(&w, "ip_check");
    jw_str(&w, "namespace", sic_ns);
    jw_str(&w, "ip", sic_ns ? sic_ip : NULL);
    if (sic_ns && sic_port >= 0)
        jw_int(&w, "port", sic_port);
    else
        jw_null(&w, "port");
    jw_str(&w, "error", sic_ns ? NULL : sic_err);
    jw_obj_end(&w);
    jw_arr(&w, "services");
    for (size_t i = 0; i < n; i++) {
        const ed_check_result *r = &sc[i].res;
        char what[700];
        check_describe(&sc[i], what, sizeof what);
        jw_obj(&w, NULL);
        const char *st = check_status(&sc[i], o->strict);
        jw_str(&w, "status", strcmp(st, "FAIL") == 0 ? "failed" :
                             strcmp(st, "warn") == 0 ? "warning" : "ok");
        jw_bool(&w, "ok", sc[i].ok);
        if (sc[i].parsed)
            cli_json_service(&w, "service", &sc[i].svc);
        else
            jw_null(&w, "service");
        jw_str(&w, "malformed", sc[i].parsed ? NULL : sc[i].raw_error);
        jw_bool(&w, "checked", sc[i].checked);
        jw_str(&w, "family", sc[i].family == 4 ? "ipv4" : sc[i].family == 6 ? "ipv6" : NULL);
        jw_str(&w, "summary", what);
        if (sc[i].checked) {
            jw_obj(&w, "result");
            jw_bool(&w, "ok", r->ok);
            jw_str(&w, "fail", ed_check_fail_name(r->fail));
            jw_str(&w, "step", r->step ? r->step : "");
            jw_int(&w, "error_code", r->error_code);
            jw_str(&w, "error_reason", r->error_reason);
            jw_str(&w, "server", r->server);
            jw_int(&w, "connect_ms", r->connect_ms);
            jw_int(&w, "rtt_ms", r->rtt_ms);
            jw_int(&w, "transmissions", r->transmissions);
            jw_str(&w, "mapped", r->mapped[0] ? r->mapped : NULL);
            jw_str(&w, "relayed", r->relayed[0] ? r->relayed : NULL);
            jw_int(&w, "lifetime", r->lifetime);
            jw_bool(&w, "refreshed", r->refreshed);
            jw_int(&w, "refresh_lifetime", r->refresh_lifetime);
            jw_bool(&w, "deallocated", r->deallocated);
            jw_str(&w, "realm", r->realm[0] ? r->realm : NULL);
            if (r->tls_version[0] || r->cert_not_after) {
                jw_obj(&w, "tls");
                jw_str(&w, "version", r->tls_version[0] ? r->tls_version : NULL);
                jw_str(&w, "cipher", r->tls_cipher[0] ? r->tls_cipher : NULL);
                jw_str(&w, "cert_subject", r->cert_subject[0] ? r->cert_subject : NULL);
                jw_str(&w, "cert_issuer", r->cert_issuer[0] ? r->cert_issuer : NULL);
                if (r->cert_not_after)
                    jw_int(&w, "cert_not_after", r->cert_not_after);
                else
                    jw_null(&w, "cert_not_after");
                jw_obj_end(&w);
            } else {
                jw_null(&w, "tls");
            }
            jw_obj_end(&w);
        } else {
            jw_null(&w, "result");
        }
        if (sc[i].nat >= 0)
            jw_bool(&w, "nat_suspected", sc[i].nat == 1);
        else
            jw_null(&w, "nat_suspected");
        steps_json(&w, &sc[i]);
        jw_arr(&w, "flags");
        for (int k = 0; k < sc[i].nflags; k++) {
            jw_obj(&w, NULL);
            jw_str(&w, "code", sc[i].flags[k].code);
            jw_str(&w, "severity", sc[i].flags[k].severe ? "error" : "warning");
            jw_str(&w, "message", sc[i].flags[k].msg);
            jw_obj_end(&w);
        }
        jw_arr_end(&w);
        jw_obj_end(&w);
    }
    jw_arr_end(&w);
    jw_obj(&w, "summary");
    jw_int(&w, "services", (long long)n);
    jw_int(&w, "ok", nok);
    jw_int(&w, "failed", nfail);
    jw_int(&w, "warnings", nwarn);
    jw_int(&w, "exit", rc);
    jw_obj_end(&w);
    jw_obj_end(&w);
    jw_end(&w);
}

