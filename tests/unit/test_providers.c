/* Unit tests of daemon/providers/response.c (a provider's JSON response as
 * ICE servers, and those as services), request.c (each preset's request)
 * and the state operators see (/status, extdiscoctl status). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "providers/providers.h"
#include "providers/request.h"
#include "providers/response.h"

static char L_CF[] = "iceServers", L_TW[] = "ice_servers", URLS[] = "urls", URL[] = "url",
            USER[] = "username", CRED[] = "credential", TTL[] = "ttl";
static const edd_prov_map CF = { L_CF, URLS, URL, USER, CRED, NULL };
static const edd_prov_map TW = { L_TW, URLS, URL, USER, CRED, TTL };

static const char CF_BODY[] =
    "{\"iceServers\": [{\"urls\": [\"stun:stun.cloudflare.com:3478\", "
    "\"stun:stun.cloudflare.com:53\"]}, {\"urls\": ["
    "\"turn:turn.cloudflare.com:3478?transport=udp\", \"turn:turn.cloudflare.com:53?transport=udp\", "
    "\"turn:turn.cloudflare.com:3478?transport=tcp\", \"turns:turn.cloudflare.com:5349?transport=tcp\", "
    "\"turns:turn.cloudflare.com:443?transport=tcp\"], \"username\": \"U1\", "
    "\"credential\": \"C1\"}]}";

static const char TW_BODY[] =
    "{\"account_sid\": \"AC1\", \"ice_servers\": ["
    "{\"url\": \"stun:global.stun.twilio.com:3478\", \"urls\": \"stun:global.stun.twilio.com:3478\"}, "
    "{\"url\": \"turn:global.turn.twilio.com:3478?transport=udp\", \"username\": \"U2\", "
    "\"urls\": \"turn:global.turn.twilio.com:3478?transport=udp\", \"credential\": \"C2\"}, "
    "{\"url\": \"turn:global.turn.twilio.com:443?transport=tcp\", \"username\": \"U2\", "
    "\"credential\": \"C2\"}], \"ttl\": \"3600\", \"username\": \"U2\", \"password\": \"C2\"}";

static void cloudflare_response(void **state)
{
    edd_ice_list l;
    char why[200];
    assert_true(edd_prov_parse(CF_BODY, strlen(CF_BODY), &CF, &l, why, sizeof why));
    assert_int_equal(l.n, 2);
    assert_int_equal(l.v[0].nurls, 2);
    assert_null(l.v[0].username);
    assert_int_equal(l.v[1].nurls, 5);
    assert_string_equal(l.v[1].username, "U1");
    assert_string_equal(l.v[1].credential, "C1");
    assert_int_equal(l.ttl, 0);
    ed_service_def *d;
    size_t n, skipped;
    assert_true(edd_prov_to_defs(&l, 1000, &d, &n, &skipped));
    assert_int_equal(n, 7);
    assert_int_equal(skipped, 0);
    assert_string_equal(d[0].svc.type, "stun");
    assert_string_equal(d[0].svc.host, "stun.cloudflare.com");
    assert_int_equal(d[0].svc.port, 3478);
    assert_string_equal(d[0].svc.transport, "udp");
    assert_null(d[0].svc.username);
    assert_int_equal(d[0].svc.restricted, -1);
    assert_int_equal(d[1].svc.port, 53);
    assert_string_equal(d[2].svc.type, "turn");
    assert_string_equal(d[2].svc.username, "U1");
    assert_string_equal(d[2].svc.password, "C1");
    assert_int_equal(d[2].svc.expires, 1000);
    assert_int_equal(d[2].svc.restricted, 1);
    assert_string_equal(d[4].svc.transport, "tcp");
    assert_string_equal(d[5].svc.type, "turns");
    assert_int_equal(d[5].svc.port, 5349);
    assert_string_equal(d[6].svc.transport, "tcp");
    assert_int_equal(d[6].svc.port, 443);
    edd_prov_defs_free(d, n);
    edd_ice_list_clear(&l);
}

/* the older .../credentials/generate answers one object, not a list */
static void cloudflare_single_object(void **state)
{
    const char b[] = "{\"iceServers\":{\"urls\":[\"stun:s.example:3478\","
                     "\"turn:t.example:3478?transport=udp\"],\"username\":\"u\","
                     "\"credential\":\"c\"}}";
    edd_ice_list l;
    char why[200];
    assert_true(edd_prov_parse(b, strlen(b), &CF, &l, why, sizeof why));
    assert_int_equal(l.n, 1);
    assert_int_equal(l.v[0].nurls, 2);
    edd_ice_list_clear(&l);
}

static void twilio_response(void **state)
{
    edd_ice_list l;
    char why[200];
    assert_true(edd_prov_parse(TW_BODY, strlen(TW_BODY), &TW, &l, why, sizeof why));
    assert_int_equal(l.n, 3);
    assert_int_equal(l.ttl, 3600);
    /* urls wins over url; url when urls is absent */
    assert_int_equal(l.v[0].nurls, 1);
    assert_string_equal(l.v[2].urls[0], "turn:global.turn.twilio.com:443?transport=tcp");
    ed_service_def *d;
    size_t n, skipped;
    assert_true(edd_prov_to_defs(&l, 5, &d, &n, &skipped));
    assert_int_equal(n, 3);
    assert_string_equal(d[1].svc.password, "C2");
    assert_int_equal(d[2].svc.port, 443);
    edd_prov_defs_free(d, n);
    edd_ice_list_clear(&l);
}

static void parse_fails(const edd_prov_map *m, const char *body, const char *why_part)
{
    edd_ice_list l;
    char why[200] = "";
    assert_false(edd_prov_parse(body, strlen(body), m, &l, why, sizeof why));
    assert_int_equal(l.n, 0);
    assert_null(l.v);
    if (!strstr(why, why_part))
        fail_msg("'%s': why '%s' lacks '%s'", body, why, why_part);
}

static void malformed(void **state)
{
    parse_fails(&CF, "", "malformed JSON");
    parse_fails(&CF, "{\"iceServers\": [", "malformed JSON");
    parse_fails(&CF, "{\"iceServers\": []} x", "malformed JSON");
    parse_fails(&CF, "[1]", "no 'iceServers'");
    parse_fails(&CF, "{\"errors\":[{\"code\":10000,\"message\":\"Authentication error\"}]}",
                "no 'iceServers'");
    parse_fails(&CF, "{\"iceServers\": 3}", "not a list");
    parse_fails(&CF, "{\"iceServers\": [3]}", "not an object");
    parse_fails(&CF, "{\"iceServers\": [{\"urls\": [3]}]}", "not a string");
    parse_fails(&CF, "{\"iceServers\": [{\"urls\": \"turn:a\", \"username\": 5}]}",
                "username is not a string");
    parse_fails(&TW, "{\"ice_servers\": [], \"ttl\": \"-3\"}", "positive");
    parse_fails(&TW, "{\"ice_servers\": [], \"ttl\": \"12abc\"}", "positive");
    /* nested and cut short */
    char deep[200] = "{\"iceServers\":";
    for (int i = 0; i < 40; i++)
        strcat(deep, "[");
    parse_fails(&CF, deep, "malformed JSON");
    /* URL bound: 65 URLs */
    char *many = malloc(65 * 40 + 64);
    strcpy(many, "{\"iceServers\":[{\"urls\":[");
    for (int i = 0; i < 65; i++)
        sprintf(many + strlen(many), "%s\"stun:h%d.example\"", i ? "," : "", i);
    strcat(many, "]}]}");
    parse_fails(&CF, many, "more than 64 URLs");
    free(many);
    /* a NUL inside a string */
    const char nul[] = "{\"iceServers\":[{\"urls\":\"stun:a\\u0000b\"}]}";
    parse_fails(&CF, nul, "NUL");
}

/* URLs clients cannot use are skipped, duplicates too, TURN without
 * credentials too. */
static void skipped_urls(void **state)
{
    const char b[] = "{\"iceServers\":[{\"urls\":[\"https://x.example\","
                     "\"turns:t.example:5349?transport=udp\",\"stun:s.example\","
                     "\"stun:S.example:3478\",\"turn:nocreds.example\"]}]}";
    edd_ice_list l;
    char why[200];
    assert_true(edd_prov_parse(b, strlen(b), &CF, &l, why, sizeof why));
    ed_service_def *d;
    size_t n, skipped;
    assert_true(edd_prov_to_defs(&l, 5, &d, &n, &skipped));
    assert_int_equal(n, 1);
    assert_int_equal(skipped, 4);
    assert_string_equal(d[0].svc.host, "s.example");
    edd_prov_defs_free(d, n);
    edd_ice_list_clear(&l);
}

static edd_cfg_provider base_cfg(edd_provider_preset preset)
{
    edd_cfg_provider c;
    memset(&c, 0, sizeof c);
    c.name = "p";
    c.preset = preset;
    c.ttl = 7200;
    c.timeout = 10;
    c.max_response_bytes = 65536;
    c.key_id = "KEYID";
    c.api_key = "SECRETKEY";
    c.api_key_len = 9;
    c.request_url = "https://127.0.0.1:1/x";
    return c;
}

static void requests(void **state)
{
    edd_cfg_provider c = base_cfg(EDD_PROVIDER_CLOUDFLARE);
    c.auth = EDD_PROVIDER_AUTH_BEARER;
    c.method = EDD_PROVIDER_POST;
    edd_prov_request r;
    assert_true(edd_prov_request_build(&c, &r));
    assert_true(r.post);
    assert_string_equal(r.body, "{\"ttl\": 7200}");
    assert_string_equal(r.content_type, "application/json");
    assert_string_equal(r.auth_line, "Authorization: Bearer SECRETKEY");
    assert_null(r.userpwd);
    assert_string_equal(r.map.ice_servers, "iceServers");
    assert_null(r.map.ttl);
    assert_int_equal(r.timeout_ms, 10000);
    edd_prov_request r2;
    assert_true(edd_prov_request_copy(&r2, &r));
    assert_true(edd_prov_request_equal(&r, &r2));
    edd_prov_request_clear(&r2);
    /* another key is another request */
    c.api_key = "OTHERKEY";
    assert_true(edd_prov_request_build(&c, &r2));
    assert_false(edd_prov_request_equal(&r, &r2));
    edd_prov_request_clear(&r2);
    edd_prov_request_clear(&r);

    c = base_cfg(EDD_PROVIDER_TWILIO);
    c.auth = EDD_PROVIDER_AUTH_BASIC;
    c.method = EDD_PROVIDER_POST;
    assert_true(edd_prov_request_build(&c, &r));
    assert_string_equal(r.body, "Ttl=7200");
    assert_string_equal(r.content_type, "application/x-www-form-urlencoded");
    assert_string_equal(r.userpwd, "KEYID:SECRETKEY");
    assert_null(r.auth_line);
    assert_string_equal(r.map.ice_servers, "ice_servers");
    assert_string_equal(r.map.ttl, "ttl");
    edd_prov_request_clear(&r);
    c.key_user = "SKapikey";
    assert_true(edd_prov_request_build(&c, &r));
    assert_string_equal(r.userpwd, "SKapikey:SECRETKEY");
    edd_prov_request_clear(&r);

    c = base_cfg(EDD_PROVIDER_GENERIC);
    c.auth = EDD_PROVIDER_AUTH_HEADER;
    c.auth_header = "X-Api-Key";
    c.method = EDD_PROVIDER_POST;
    c.body = "{\"lifetime\": {ttl}, \"again\": \"{ttl}\"}";
    edd_cfg_provider_response resp = { "data.servers", "uris", "uri", "user", "pass",
                                       "data.ttl" };
    c.response = &resp;
    assert_true(edd_prov_request_build(&c, &r));
    assert_string_equal(r.body, "{\"lifetime\": 7200, \"again\": \"7200\"}");
    assert_string_equal(r.auth_line, "X-Api-Key: SECRETKEY");
    assert_string_equal(r.map.ice_servers, "data.servers");
    assert_string_equal(r.map.credential, "pass");
    edd_prov_request_clear(&r);
    c.method = EDD_PROVIDER_GET;
    c.body = NULL;
    c.auth = EDD_PROVIDER_AUTH_NONE;
    c.api_key = NULL;
    assert_true(edd_prov_request_build(&c, &r));
    assert_false(r.post);
    assert_null(r.body);
    assert_null(r.auth_line);
    edd_prov_request_clear(&r);
}

/* a generic mapping with nested paths */
static void generic_paths(void **state)
{
    char list[] = "data.servers", uris[] = "uris", u[] = "user", p[] = "pass", t[] = "data.ttl";
    edd_prov_map m = { list, uris, NULL, u, p, t };
    const char b[] = "{\"data\":{\"ttl\":600,\"servers\":[{\"uris\":\"turn:[2001:db8::1]:3479\","
                     "\"user\":\"x\",\"pass\":\"y\"}]}}";
    edd_ice_list l;
    char why[200];
    assert_true(edd_prov_parse(b, strlen(b), &m, &l, why, sizeof why));
    assert_int_equal(l.ttl, 600);
    ed_service_def *d;
    size_t n, skipped;
    assert_true(edd_prov_to_defs(&l, 5, &d, &n, &skipped));
    assert_int_equal(n, 1);
    assert_string_equal(d[0].svc.host, "2001:db8::1");
    assert_int_equal(d[0].svc.port, 3479);
    assert_string_equal(d[0].svc.transport, "udp");
    edd_prov_defs_free(d, n);
    edd_ice_list_clear(&l);
}

/* ok / failing / no-cache, as /status and extdiscoctl status show it */
static void state_names(void **state)
{
    (void)state;
    edd_provider_info in = { .name = "cf", .preset = "cloudflare" };
    assert_string_equal(edd_provider_state_name(&in), "no-cache"); /* before the first fetch */
    in.failures = 2;
    assert_string_equal(edd_provider_state_name(&in), "no-cache"); /* never fetched, failing */
    in.have = true;
    assert_string_equal(edd_provider_state_name(&in), "failing"); /* serving the cache */
    in.failures = 0;
    assert_string_equal(edd_provider_state_name(&in), "ok");
    in.have = false;
    assert_string_equal(edd_provider_state_name(&in), "no-cache"); /* cache expired */
    assert_string_equal(edd_prov_result_name(EDD_PROV_HTTP_ERROR), "http_error");
    assert_string_equal(edd_prov_result_name(EDD_PROV_R_N), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cloudflare_response),
        cmocka_unit_test(cloudflare_single_object),
        cmocka_unit_test(twilio_response),
        cmocka_unit_test(malformed),
        cmocka_unit_test(skipped_urls),
        cmocka_unit_test(requests),
        cmocka_unit_test(generic_paths),
        cmocka_unit_test(state_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
