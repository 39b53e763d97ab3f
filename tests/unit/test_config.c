/* tests/unit/test_config.c — extdiscod's configuration loader and service
 * registry (daemon/config/config.c, daemon/core/registry.c): the example loads with the
 * expected values, every bad fixture in tests/config/ is refused with its
 * exact "FILE:LINE: message", the dump (extdiscod -n -v) shows defaults,
 * no secret and loads again, the registry mints working credentials, and
 * the access policy decides as documented. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/config.h"
#include "core/registry.h"
#include "extdisco/turn_rest.h"
#include "extdisco/xep0215.h"

#define CONFDIR SRCDIR "/tests/config"
#define EXAMPLE SRCDIR "/examples/extdiscod.yml"

static char *realdir(const char *p)
{
    char *r = realpath(p, NULL);
    assert_non_null(r);
    return r;
}

static ed_jid *jid(const char *s)
{
    ed_jid *j = NULL;
    assert_int_equal(ed_jid_parse(s, strlen(s), &j), ED_OK);
    assert_non_null(j);
    return j;
}

/* ------------------------------------------------------------------ */

static void test_example_loads(void **state)
{
    (void)state;
    char err[512] = "unset";
    edd_config *c = edd_config_load(EXAMPLE, err, sizeof err);
    if (!c)
        fail_msg("example refused: %s", err);
    assert_string_equal(err, "");

    char *exdir = realdir(SRCDIR "/examples");
    char *secdir = realdir(CONFDIR "/secrets");
    char buf[PATH_MAX + 64];
    assert_string_equal(c->dir, exdir);

    assert_int_equal(c->log.level, EDD_LOG_INFO);
    assert_false(c->log.syslog);
    assert_string_equal(c->user, "extdisco");
    assert_int_equal(c->ndomains, 1);
    assert_string_equal(c->domains[0], "example.org");
    assert_true(c->access.services_set);
    assert_int_equal(c->access.services.nentries, 2);
    assert_string_equal(c->access.services.entries[1], "partner.example");
    assert_int_equal(c->access.credentials.nentries, 2);
    assert_string_equal(c->access.credentials.entries[1], "guest@partner.example");
    assert_string_equal(c->default_lang, "en");
    assert_true(c->serve_v1);
    assert_true(c->inline_credentials);

    assert_int_equal(c->nturn_secrets, 1);
    const edd_cfg_turn_secret *t = &c->turn_secrets[0];
    assert_string_equal(t->name, "main");
    assert_int_equal(t->nsecret_files, 2);
    /* relative to the config file's directory, then absolute */
    snprintf(buf, sizeof buf, "%s/../tests/config/secrets/turn.secret", exdir);
    assert_string_equal(t->secret_files[0], buf);
    assert_int_equal(t->ttl, 12 * 3600);
    assert_int_equal(t->algorithm, ED_HMAC_SHA1);
    assert_string_equal(t->separator, ":");
    assert_int_equal(t->user, ED_TURN_USER_TOKEN);
    /* the secrets are in memory, trailing LF / CRLF stripped */
    assert_string_equal(t->secrets[0], "turn-secret-new-0123456789");
    assert_int_equal(t->secret_lens[0], 26);
    assert_string_equal(t->secrets[1], "turn-secret-old-9876543210");
    assert_int_equal(t->secret_lens[1], 26);

    assert_int_equal(c->nservices, 4);
    const edd_cfg_service *s = &c->services[0];
    assert_string_equal(s->type, "stun");
    assert_string_equal(s->host, "turn.example.org");
    assert_int_equal(s->port, 3478);
    assert_string_equal(s->transport, "udp");
    assert_string_equal(s->name, "STUN");
    assert_int_equal(s->nnames, 2);
    assert_string_equal(s->names[0].lang, "de");
    assert_string_equal(s->names[0].text, "STUN-Server");
    assert_string_equal(s->names[1].lang, "fr");
    assert_string_equal(s->names[1].text, "Serveur STUN");
    assert_int_equal(s->restricted, -1);
    assert_int_equal(s->credentials_index, -1);
    s = &c->services[1];
    assert_string_equal(s->type, "turn");
    assert_int_equal(s->restricted, 1);
    assert_string_equal(s->credentials, "main");
    assert_int_equal(s->credentials_index, 0);
    s = &c->services[2];
    assert_string_equal(s->type, "turns");
    assert_int_equal(s->port, 5349);
    assert_string_equal(s->transport, "tcp");
    s = &c->services[3];
    assert_string_equal(s->username, "alice");
    snprintf(buf, sizeof buf, "%s/../tests/config/secrets/static.pass", exdir);
    assert_string_equal(s->password_file, buf);
    assert_string_equal(s->password, "s3cr3t-static-password");
    assert_non_null(s->extended);
    assert_string_equal(s->extended->form_type, "urn:example:turn");
    assert_int_equal(s->extended->nfields, 1);
    assert_string_equal(s->extended->fields[0].var, "region");
    assert_int_equal(s->extended->fields[0].nvalues, 1);
    assert_string_equal(s->extended->fields[0].values[0], "eu");
    assert_false(s->allow_local);

    assert_int_equal(c->ncomponents, 1);
    assert_string_equal(c->components[0].host, "127.0.0.1");
    assert_int_equal(c->components[0].port, 5347);
    assert_string_equal(c->components[0].jid, "extdisco.example.org");
    assert_string_equal(c->components[0].secret, "component-secret-xyz");

    assert_non_null(c->c2s);
    assert_string_equal(c->c2s->domain, "example.org");
    assert_string_equal(c->c2s->database, "/var/lib/extdisco/extdisco.sqlite");
    assert_non_null(c->c2s->tls);
    assert_string_equal(c->c2s->tls->key, "/etc/extdisco/tls/key.pem");
    assert_true(c->c2s->require_tls);
    assert_int_equal(c->c2s->nlisten, 4);
    assert_string_equal(c->c2s->listen[0].host, "127.0.0.1");
    assert_int_equal(c->c2s->listen[0].port, 5222);
    assert_int_equal(c->c2s->listen[0].tls, EDD_LISTEN_STARTTLS);
    assert_false(c->c2s->listen[0].proxy_protocol);
    assert_string_equal(c->c2s->listen[1].host, "::1");
    assert_int_equal(c->c2s->listen[2].tls, EDD_LISTEN_DIRECT);
    assert_int_equal(c->c2s->listen[2].port, 5223);
    assert_int_equal(c->c2s->listen[0].kind, EDD_LISTEN_XMPP);
    assert_null(c->c2s->listen[0].path);
    assert_int_equal(c->c2s->listen[3].kind, EDD_LISTEN_WEBSOCKET);
    assert_int_equal(c->c2s->listen[3].tls, EDD_LISTEN_DIRECT);
    assert_string_equal(c->c2s->listen[3].path, "/xmpp-websocket");
    assert_int_equal(c->c2s->listen[3].norigins, 1);
    assert_string_equal(c->c2s->listen[3].origins[0], "https://app.example.org");

    assert_int_equal(c->limits.max_stanza_bytes, 65536);
    assert_int_equal(c->limits.max_depth, 32);
    assert_int_equal(c->limits.max_connections, 10000);
    assert_int_equal(c->limits.handshake_timeout, 30);
    assert_int_equal(c->limits.idle_timeout, 600);

    (void)secdir;
    free(exdir);
    free(secdir);
    edd_config_free(c);
}

/* Defaults of everything optional. */
static void test_minimal_defaults(void **state)
{
    (void)state;
    char err[512];
    edd_config *c = edd_config_load(CONFDIR "/good-minimal.yml", err, sizeof err);
    if (!c)
        fail_msg("refused: %s", err);
    assert_int_equal(c->log.level, EDD_LOG_INFO);
    assert_null(c->user);
    assert_string_equal(c->default_lang, "en");
    assert_true(c->serve_v1);
    assert_true(c->inline_credentials);
    assert_false(c->access.services_set);
    assert_false(c->access.credentials_set);
    assert_int_equal(c->access.services.nentries, 1);
    assert_string_equal(c->access.services.entries[0], "example.org");
    assert_int_equal(c->access.credentials.nentries, 1);
    assert_int_equal(c->nturn_secrets, 0);
    assert_null(c->c2s);
    assert_int_equal(c->services[0].restricted, -1);
    assert_int_equal(c->limits.max_stanza_bytes, 65536);
    assert_int_equal(c->limits.max_depth, 32);
    assert_int_equal(c->limits.max_attrs, 64);
    assert_int_equal(c->limits.max_connections, 10000);
    assert_int_equal(c->limits.max_pending_iqs, 64);
    assert_int_equal(c->limits.handshake_timeout, 30);
    assert_int_equal(c->limits.idle_timeout, 600);
    /* health checks: on, every 30 s, timeout 5 s, fall 3, rise 2 */
    assert_int_equal(c->check.enabled, 1);
    assert_int_equal(c->check.interval, 30);
    assert_int_equal(c->check.timeout, 5);
    assert_int_equal(c->check.fall, 3);
    assert_int_equal(c->check.rise, 2);
    assert_null(c->check.ca_file);
    assert_false(c->check.order_by_latency);
    assert_null(c->services[0].check);
    assert_int_equal(c->services[0].eff.enabled, 1);
    assert_int_equal(c->services[0].eff.interval, 30);
    assert_int_equal(c->services[0].eff.fall, 3);
    edd_config_free(c);

    /* a service's check: each key over the top-level one */
    c = edd_config_load(CONFDIR "/good-check.yml", err, sizeof err);
    if (!c)
        fail_msg("refused: %s", err);
    assert_true(c->check.order_by_latency);
    assert_int_equal(c->services[0].eff.enabled, 1);
    assert_int_equal(c->services[0].eff.interval, 20);
    assert_int_equal(c->services[0].eff.timeout, 4);
    assert_int_equal(c->services[0].eff.fall, 5);
    assert_int_equal(c->services[0].eff.rise, 2);
    assert_int_equal(c->services[1].eff.enabled, 0);
    assert_int_equal(c->services[1].eff.interval, 60);
    assert_int_equal(c->services[1].eff.timeout, 4);
    assert_int_equal(c->services[1].eff.fall, 5);
    assert_int_equal(c->services[1].eff.rise, 7);
    edd_config_free(c);

    c = edd_config_load(CONFDIR "/good-allow-local.yml", err, sizeof err);
    if (!c)
        fail_msg("refused: %s", err);
    assert_string_equal(c->services[0].host, "127.0.0.1");
    assert_true(c->services[0].allow_local);
    assert_int_equal(c->turn_secrets[0].ttl, 3600);
    assert_int_equal(c->turn_secrets[0].algorithm, ED_HMAC_SHA256);
    assert_int_equal(c->turn_secrets[0].user, ED_TURN_USER_JID);
    assert_false(c->c2s->require_tls);
    assert_int_equal(c->c2s->listen[0].tls, EDD_LISTEN_NONE);
    assert_int_equal(c->ncomponents, 0);
    edd_config_free(c);

    c = edd_config_load(CONFDIR "/good-hosts.yml", err, sizeof err);
    if (!c)
        fail_msg("refused: %s", err);
    assert_int_equal(c->nservices, 3);
    assert_string_equal(c->services[0].host, "2001:db8::1");
    assert_string_equal(c->services[2].host, "localhost");
    edd_config_free(c);
}

/* ------------------------------------------------------------------ */

/* turn_providers and networks: presets' URLs, the key read from its file,
 * network names as masks, domains normalised. */
static void test_good_providers(void **state)
{
    (void)state;
    char err[1024];
    edd_config *c = edd_config_load(CONFDIR "/good-providers.yml", err, sizeof err);
    if (!c)
        fail_msg("%s", err);
    assert_int_equal(c->nservices, 0);
    assert_int_equal(c->nnetworks, 3);
    assert_string_equal(c->networks[1].domains[0], "corp.example.org");
    assert_int_equal(c->nturn_providers, 3);
    const edd_cfg_provider *cf = &c->turn_providers[0], *tw = &c->turn_providers[1],
                           *gen = &c->turn_providers[2];
    assert_string_equal(cf->request_url, "https://rtc.live.cloudflare.com/v1/turn/keys/"
                                         "0123abcd/credentials/generate-ice-servers");
    assert_int_equal(cf->auth, EDD_PROVIDER_AUTH_BEARER);
    assert_int_equal(cf->method, EDD_PROVIDER_POST);
    assert_int_equal(cf->ttl, 12 * 3600);
    assert_int_equal(cf->cache_percent, 50);
    assert_int_equal(cf->retry_min, 5);
    assert_int_equal(cf->retry_max, 300);
    assert_int_equal(cf->network_mask, 4);
    assert_string_equal(cf->api_key, "turn-api-token-test");
    assert_string_equal(tw->request_url,
                        "https://api.twilio.com/2010-04-01/Accounts/AC0123/Tokens.json");
    assert_int_equal(tw->auth, EDD_PROVIDER_AUTH_BASIC);
    assert_int_equal(tw->network_mask, 2);
    assert_int_equal(tw->cache_percent, 80);
    assert_string_equal(gen->request_url, "https://turn-api.example.org/v2/ice?region=eu");
    assert_int_equal(gen->method, EDD_PROVIDER_GET);
    assert_int_equal(gen->auth, EDD_PROVIDER_AUTH_HEADER);
    assert_string_equal(gen->response->ice_servers, "data.servers");
    assert_string_equal(gen->response->urls, "urls"); /* the default */
    assert_int_equal(gen->network_mask, 1);
    assert_int_equal(gen->timeout, 3);
    /* the dump names the key's file, never the key */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    edd_config_dump(c, f);
    fclose(f);
    assert_non_null(strstr(buf, "api_key_file:"));
    assert_null(strstr(buf, "turn-api-token-test"));
    free(buf);
    /* a registry builds without static services */
    edd_registry *r = edd_registry_build(c, err, sizeof err);
    assert_non_null(r);
    edd_registry_free(r);
    edd_config_free(c);
}

static void test_missing_file_and_truncated_err(void **state)
{
    (void)state;
    char err[256];
    assert_null(edd_config_load(CONFDIR "/does-not-exist.yml", err, sizeof err));
    /* the file as a whole: no line number */
    assert_string_equal(err, CONFDIR "/does-not-exist.yml: cannot open: "
                             "No such file or directory");
    /* a tiny buffer is still NUL-terminated */
    char small[8];
    assert_null(edd_config_load(CONFDIR "/bad-bool.yml", small, sizeof small));
    assert_int_equal(strlen(small), 7);
    /* no buffer at all is allowed */
    assert_null(edd_config_load(CONFDIR "/bad-bool.yml", NULL, 0));
}

static void test_durations(void **state)
{
    (void)state;
    int64_t v = 0;
    assert_true(edd_config_parse_duration("90s", &v));
    assert_int_equal(v, 90);
    assert_true(edd_config_parse_duration("10m", &v));
    assert_int_equal(v, 600);
    assert_true(edd_config_parse_duration("12h", &v));
    assert_int_equal(v, 43200);
    assert_true(edd_config_parse_duration("1d", &v));
    assert_int_equal(v, 86400);
    assert_true(edd_config_parse_duration("3600", &v));
    assert_int_equal(v, 3600);
    v = 7;
    const char *bad[] = { "", "0", "0s", "h", "12x", "1h2", "-5", " 5", "5 ",
                          "12hh", "99999999999999999999", "4000d", "1.5h" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        if (edd_config_parse_duration(bad[i], &v))
            fail_msg("'%s' accepted", bad[i]);
    }
    assert_int_equal(v, 7); /* untouched on failure */
    assert_false(edd_config_parse_duration(NULL, &v));
}

static char *dump_text(const edd_config *c)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_non_null(f);
    edd_config_dump(c, f);
    assert_int_equal(fclose(f), 0);
    assert_non_null(text);
    return text;
}

/* The dump (extdiscod -n -v) shows the effective configuration but never a
 * secret, and loads again as the same configuration. */
static void test_dump_redacts(void **state)
{
    (void)state;
    char err[512];
    edd_config *c = edd_config_load(EXAMPLE, err, sizeof err);
    if (!c)
        fail_msg("refused: %s", err);
    char *text = dump_text(c);
    assert_non_null(strstr(text, "turn.example.org"));
    assert_non_null(strstr(text, "turn.secret\", "));
    assert_non_null(strstr(text, "static.pass\"  # contents: <redacted>\n"));
    assert_non_null(strstr(text, "component.secret\"  # contents: <redacted>\n"));
    assert_non_null(strstr(text, "guest@partner.example"));
    assert_non_null(strstr(text, "    ttl: 43200\n"));       /* 12h, in seconds */
    assert_non_null(strstr(text, "  idle_timeout: 600\n"));  /* 10m */
    /* every secret of the file is in memory, none in the dump */
    for (unsigned i = 0; i < c->turn_secrets[0].nsecret_files; i++)
        assert_null(strstr(text, c->turn_secrets[0].secrets[i]));
    assert_null(strstr(text, c->services[3].password));
    assert_null(strstr(text, c->components[0].secret));
    assert_null(strstr(text, "turn-secret-new"));
    assert_null(strstr(text, "turn-secret-old"));
    assert_null(strstr(text, "s3cr3t-static-password"));
    assert_null(strstr(text, "component-secret-xyz"));

    /* loads again (paths are absolute) and dumps the same, but for the
     * first line that names the file */
    char tmp[] = "/tmp/test_config_dumpXXXXXX";
    int fd = mkstemp(tmp);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
    edd_config *again = edd_config_load(tmp, err, sizeof err);
    unlink(tmp);
    if (!again)
        fail_msg("the dump does not load: %s", err);
    char *text2 = dump_text(again);
    assert_string_equal(strchr(text2, '\n'), strchr(text, '\n'));
    assert_string_equal(again->services[3].password, "s3cr3t-static-password");
    free(text2);
    edd_config_free(again);
    free(text);
    edd_config_free(c);
}

/* The dump of the smallest file shows every default. */
static void test_dump_defaults(void **state)
{
    (void)state;
    char err[512];
    edd_config *c = edd_config_load(CONFDIR "/good-minimal.yml", err, sizeof err);
    if (!c)
        fail_msg("refused: %s", err);
    char *text = dump_text(c);
    static const char *const want[] = {
        "log:\n  level: info\n  syslog: false\n",
        "access:\n  services: [\"example.org\"]\n  credentials: [\"example.org\"]\n",
        "default_lang: \"en\"\nserve_v1: true\ninline_credentials: true\n",
        "turn_secrets: []\n",
        "    transport: \"udp\"\n    allow_local: false\n",
        "limits:\n  max_stanza_bytes: 65536\n  max_depth: 32\n  max_attrs: 64\n"
        "  max_connections: 10000\n  max_pending_iqs: 64\n"
        "  max_unauthenticated_per_address: 16\n  handshake_timeout: 30\n"
        "  idle_timeout: 600\n",
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(text, want[i]))
            fail_msg("dump lacks:\n%s\nin:\n%s", want[i], text);
    assert_null(strstr(text, "component-secret-xyz"));
    assert_null(strstr(text, "restricted")); /* absent stays absent */
    free(text);
    edd_config_free(c);
}

/* ------------------------------------------------------------------ */
/* Registry                                                              */

static void test_registry_defs(void **state)
{
    (void)state;
    char err[512];
    edd_config *c = edd_config_load(EXAMPLE, err, sizeof err);
    if (!c)
        fail_msg("refused: %s", err);
    edd_registry *r = edd_registry_build(c, err, sizeof err);
    if (!r)
        fail_msg("registry: %s", err);
    /* the registry is independent of the configuration */
    edd_config_free(c);

    size_t n = 0;
    const ed_service_def *d = edd_registry_defs(r, &n);
    assert_int_equal(n, 4);
    assert_string_equal(d[0].svc.type, "stun");
    assert_string_equal(d[0].svc.host, "turn.example.org");
    assert_int_equal(d[0].svc.port, 3478);
    assert_string_equal(d[0].svc.transport, "udp");
    assert_string_equal(d[0].svc.name, "STUN");
    assert_int_equal(d[0].svc.nnames, 2);
    assert_null(d[0].rest);
    assert_null(d[0].svc.password);
    assert_non_null(d[1].rest);
    assert_ptr_equal(d[1].rest, d[2].rest); /* both use "main" */
    assert_int_equal(d[1].svc.restricted, 1);
    assert_null(d[3].rest);
    assert_string_equal(d[3].svc.username, "alice");
    assert_string_equal(d[3].svc.password, "s3cr3t-static-password");
    assert_non_null(d[3].svc.form);
    assert_int_equal(d[3].svc.form->nfields, 2);
    assert_string_equal(d[3].svc.form->fields[0].var, "FORM_TYPE");
    assert_string_equal(d[3].svc.form->fields[0].type, "hidden");
    assert_string_equal(d[3].svc.form->fields[0].values[0], "urn:example:turn");
    assert_string_equal(d[3].svc.form->fields[1].var, "region");
    assert_string_equal(d[3].svc.form->fields[1].values[0], "eu");
    assert_int_equal(ed_turn_rest_ttl(d[1].rest), 43200);

    /* the minter signs with the newest secret and verifies with the older */
    const int64_t now = 1700000000;
    ed_turn_cred cred;
    assert_int_equal(ed_turn_rest_mint(d[1].rest, "alice@example.org", now, &cred), ED_OK);
    assert_int_equal(cred.expires, now + 43200);
    assert_int_equal(ed_turn_rest_verify(d[1].rest, cred.username, cred.password, now),
                     ED_OK);
    /* coturn's check with the first secret file's content */
    const char *sec = "turn-secret-new-0123456789";
    ed_turn_rest_config one = { .secrets = &sec, .nsecrets = 1 };
    ed_turn_rest *check = NULL;
    assert_int_equal(ed_turn_rest_new(&one, &check), ED_OK);
    assert_int_equal(ed_turn_rest_verify(check, cred.username, cred.password, now), ED_OK);
    ed_turn_rest_free(check);

    /* materialised: credentials minted per requester */
    ed_jid *alice = jid("alice@example.org/phone");
    ed_service out;
    assert_int_equal(ed_xep0215_materialize(&d[1], alice, now, true, &out), ED_OK);
    assert_non_null(out.username);
    assert_non_null(out.password);
    assert_int_equal(out.expires, now + 43200);
    assert_int_equal(out.restricted, 1);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "%lld:", (long long)(now + 43200));
    assert_memory_equal(out.username, prefix, strlen(prefix));
    assert_int_equal(ed_turn_rest_verify(d[1].rest, out.username, out.password, now),
                     ED_OK);
    ed_service_clear(&out);
    /* without credentials */
    assert_int_equal(ed_xep0215_materialize(&d[1], alice, now, false, &out), ED_OK);
    assert_null(out.username);
    assert_null(out.password);
    ed_service_clear(&out);
    /* static credentials */
    assert_int_equal(ed_xep0215_materialize(&d[3], alice, now, true, &out), ED_OK);
    assert_string_equal(out.username, "alice");
    assert_string_equal(out.password, "s3cr3t-static-password");
    ed_service_clear(&out);
    ed_jid_free(alice);
    edd_registry_free(r);
}

static void test_registry_policy(void **state)
{
    (void)state;
    char err[512];
    edd_config *c = edd_config_load(EXAMPLE, err, sizeof err);
    if (!c)
        fail_msg("refused: %s", err);
    edd_registry *r = edd_registry_build(c, err, sizeof err);
    if (!r)
        fail_msg("registry: %s", err);
    edd_config_free(c);

    static const struct {
        const char *jid;
        bool list, creds;
    } cases[] = {
        { "alice@example.org/phone", true, true },    /* local user */
        { "example.org", true, true },                /* the domain itself */
        { "bob@evil.example/x", false, false },       /* foreign user */
        { "carol@partner.example", true, false },     /* listed domain, services only */
        { "guest@partner.example/web", true, true },  /* listed bare JID */
        { "x@sub.example.org", false, false },        /* subdomains do not match */
        { "guest@evil.example", false, false },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ed_jid *j = jid(cases[i].jid);
        ed_xep0215_policy p = edd_registry_policy_for(r, j);
        if (p.may_list != cases[i].list || p.may_credentials != cases[i].creds)
            fail_msg("%s: list %d creds %d", cases[i].jid, p.may_list, p.may_credentials);
        assert_int_equal(p.inline_credentials, cases[i].creds);
        assert_true(p.serve_v1);
        assert_string_equal(p.default_lang, "en");
        ed_jid_free(j);
    }
    ed_jid *local = jid("alice@example.org");
    ed_jid *foreign = jid("alice@partner.example");
    assert_true(edd_registry_is_local(r, local));
    assert_false(edd_registry_is_local(r, foreign));
    ed_jid_free(local);
    ed_jid_free(foreign);
    ed_xep0215_policy p = edd_registry_policy_for(r, NULL);
    assert_false(p.may_list);
    assert_false(p.may_credentials);
    assert_false(p.inline_credentials);
    edd_registry_free(r);

    /* defaults: the users of `domains` */
    c = edd_config_load(CONFDIR "/good-minimal.yml", err, sizeof err);
    assert_non_null(c);
    r = edd_registry_build(c, err, sizeof err);
    assert_non_null(r);
    edd_config_free(c);
    ed_jid *a = jid("someone@example.org");
    ed_jid *b = jid("someone@partner.example");
    p = edd_registry_policy_for(r, a);
    assert_true(p.may_list && p.may_credentials && p.inline_credentials);
    p = edd_registry_policy_for(r, b);
    assert_false(p.may_list || p.may_credentials || p.inline_credentials);
    ed_jid_free(a);
    ed_jid_free(b);
    edd_registry_free(r);
}

/* A reload that fails leaves the running registry untouched. */
/* The http section: defaults (loopback), addresses, ranges with their
 * host bits cleared, the token read from its file and never dumped. */
static void test_http(void **state)
{
    (void)state;
    char err[512];
    edd_config *c = edd_config_load(CONFDIR "/good-minimal.yml", err, sizeof err);
    if (!c)
        fail_msg("refused: %s", err);
    assert_null(c->http);
    edd_config_free(c);

    c = edd_config_load(CONFDIR "/good-http-defaults.yml", err, sizeof err);
    if (!c)
        fail_msg("refused: %s", err);
    assert_non_null(c->http);
    assert_int_equal(c->http->nlisten, 1);
    assert_string_equal(c->http->listen[0], "127.0.0.1:9215");
    assert_string_equal(c->http->hosts[0], "127.0.0.1");
    assert_int_equal(c->http->ports[0], 9215);
    assert_int_equal(c->http->nallow, 0);
    assert_null(c->http->token);
    assert_int_equal(c->http->max_connections, 64);
    assert_int_equal(c->http->max_header_bytes, 8192);
    assert_int_equal(c->http->timeout, 10);
    edd_config_free(c);

    c = edd_config_load(CONFDIR "/good-http.yml", err, sizeof err);
    if (!c)
        fail_msg("refused: %s", err);
    const edd_cfg_http *h = c->http;
    assert_int_equal(h->nlisten, 2);
    assert_string_equal(h->hosts[0], "::1");
    assert_int_equal(h->ports[1], 9216);
    assert_int_equal(h->nallow, 3);
    assert_int_equal(h->cidrs[0].family, AF_INET);
    assert_int_equal(h->cidrs[0].prefix, 8);
    assert_int_equal(h->cidrs[1].family, AF_INET6);
    assert_int_equal(h->cidrs[1].prefix, 64);
    assert_int_equal(h->cidrs[1].addr[15], 0); /* host bits cleared */
    assert_int_equal(h->cidrs[2].prefix, 32);
    assert_non_null(h->token);
    assert_string_equal(h->token, "http-test-token-1");
    assert_int_equal(h->token_len, 17);
    assert_int_equal(h->max_connections, 8);
    assert_int_equal(h->timeout, 60);
    char *d = dump_text(c);
    assert_null(strstr(d, "http-test-token-1"));
    assert_non_null(strstr(d, "http.token\"  # contents: <redacted>"));
    free(d);
    edd_config_free(c);
}

static void test_reload_keeps_old(void **state)
{
    (void)state;
    char err[512];
    edd_config *c = edd_config_load(EXAMPLE, err, sizeof err);
    assert_non_null(c);
    edd_registry *r = edd_registry_build(c, err, sizeof err);
    assert_non_null(r);

    edd_config *c2 = edd_config_load(CONFDIR "/bad-turns-udp.yml", err, sizeof err);
    assert_null(c2);
    assert_non_null(strstr(err, "turns over udp"));

    size_t n = 0;
    const ed_service_def *d = edd_registry_defs(r, &n);
    assert_int_equal(n, 4);
    ed_turn_cred cred;
    assert_int_equal(ed_turn_rest_mint(d[1].rest, NULL, 1700000000, &cred), ED_OK);

    /* a second, independent load of the same file works side by side */
    c2 = edd_config_load(CONFDIR "/good-allow-local.yml", err, sizeof err);
    assert_non_null(c2);
    edd_registry *r2 = edd_registry_build(c2, err, sizeof err);
    assert_non_null(r2);
    edd_registry_free(r);
    edd_config_free(c);
    d = edd_registry_defs(r2, &n);
    assert_int_equal(n, 1);
    assert_string_equal(d[0].svc.host, "127.0.0.1");
    assert_int_equal(ed_turn_rest_ttl(d[0].rest), 3600);
    edd_registry_free(r2);
    edd_config_free(c2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_loads),
        cmocka_unit_test(test_minimal_defaults),
        cmocka_unit_test(test_missing_file_and_truncated_err),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_dump_redacts),
        cmocka_unit_test(test_dump_defaults),
        cmocka_unit_test(test_good_providers),
        cmocka_unit_test(test_registry_defs),
        cmocka_unit_test(test_registry_policy),
        cmocka_unit_test(test_reload_keeps_old),
        cmocka_unit_test(test_http),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
