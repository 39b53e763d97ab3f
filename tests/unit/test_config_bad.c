/* tests/unit/test_config_bad.c — every tests/config/bad-*.yml fixture is
 * refused with exactly its FILE:LINE: message (split from test_config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

#define CONFDIR SRCDIR "/tests/config"

static char *realdir(const char *p)
{
    char *r = realpath(p, NULL);
    assert_non_null(r);
    return r;
}

typedef struct bad_case {
    const char *file;
    int line;
    const char *msg; /* "@DIR@" stands for the real path of tests/config */
} bad_case;

static const bad_case bad_cases[] = {
    { "bad-unknown-key.yml", 4, "services[0].hots: unknown key" },
    { "bad-type-port.yml", 5, "services[0].port: expected an integer, got 'abc'" },
    { "bad-octal-port.yml", 5, "services[0].port: expected an integer, got '010'" },
    { "bad-port-range.yml", 5, "services[0].port: must be between 1 and 65535" },
    { "bad-string-type.yml", 4, "services[0].host: expected a string, got a list" },
    { "bad-duration.yml", 5,
      "turn_secrets[0].ttl: bad duration '12x' (use 90s, 10m, 12h, 1d or seconds)" },
    { "bad-enum.yml", 5, "turn_secrets[0].algorithm: expected one of sha1, sha256; got 'md5'" },
    { "bad-bool.yml", 2, "serve_v1: expected true or false, got 'maybe'" },
    { "bad-mapping-type.yml", 1, "log: expected a mapping, got 'info'" },
    { "bad-duplicate-key.yml", 6, "services[0].port: duplicate key" },
    { "bad-alias.yml", 3, "access.services: YAML aliases are not supported" },
    { "bad-missing-domains.yml", 1, "missing required key 'domains'" },
    { "bad-names.yml", 7, "services[0].names.not a tag: not a language tag" },
    { "bad-turns-udp.yml", 12,
      "services[1].transport: turns over udp: TLS services need transport tcp" },
    { "bad-no-port.yml", 3,
      "services[0]: no port (clients drop services without port/transport)" },
    { "bad-no-transport.yml", 3,
      "services[0]: no transport (clients drop services without port/transport)" },
    { "bad-private-host.yml", 4,
      "services[0].host: 192.168.1.10 is a local address (loopback, private or "
      "unspecified); set allow_local: true to advertise it anyway" },
    { "bad-unspecified-host.yml", 4,
      "services[0].host: :: is a local address (loopback, private or "
      "unspecified); set allow_local: true to advertise it anyway" },
    { "bad-localhost-host.yml", 5,
      "services[1].host: Stun.LocalHost. is a local name (localhost, RFC 6761, or .local, multicast DNS); "
      "set allow_local: true to advertise it anyway" },
    { "bad-nat64-host.yml", 4,
      "services[0].host: 64:ff9b::10.1.2.3 is a local address (loopback, private or "
      "unspecified); set allow_local: true to advertise it anyway" },
    { "bad-v4compat-host.yml", 4,
      "services[0].host: ::127.0.0.1 is a local address (loopback, private or "
      "unspecified); set allow_local: true to advertise it anyway" },
    { "bad-bracket-host.yml", 4,
      "services[0].host: '[2001:db8::1]': write the IPv6 address without brackets "
      "(a service host is a hostname or an IP address, not a URI)" },
    { "bad-transport-case.yml", 9,
      "services[1].transport: 'UDP' is not a transport clients accept: use udp or tcp "
      "(lower case; for TLS use type turns or stuns with tcp)" },
    { "bad-transport-tls.yml", 8,
      "services[0].transport: 'tls' is not a transport clients accept: use udp or tcp "
      "(lower case; for TLS use type turns or stuns with tcp)" },
    { "bad-duplicate-service.yml", 5,
      "services[2]: same type, host, port and transport as services[0]" },
    { "bad-credentials-ref.yml", 9,
      "services[0].credentials: unknown credentials 'nope' (no turn_secrets "
      "entry has that name)" },
    { "bad-turn-nocreds.yml", 3,
      "services[0]: turn service without credentials (clients drop it): set "
      "credentials or username/password_file" },
    { "bad-secret-missing.yml", 6,
      "turn_secrets[0].secret_files[1]: cannot read secret file "
      "@DIR@/secrets/missing.secret: No such file or directory" },
    { "bad-secret-empty.yml", 10,
      "components[0].secret_file: secret file @DIR@/secrets/empty.secret is empty" },
    { "bad-no-services.yml", 2, "services: no services configured" },
    { "bad-listen.yml", 12,
      "c2s.listen[1].address: bad listen address 'localhost:5222' (expected "
      "IP:PORT or [IPV6]:PORT)" },
    { "bad-tls-listener.yml", 10, "c2s.listen[0]: TLS listener but no c2s.tls (cert and key)" },
    { "bad-ws-kind.yml", 11, "c2s.listen[0].kind: expected one of xmpp, websocket; got 'websock'" },
    { "bad-ws-not-websocket.yml", 11,
      "c2s.listen[0].path: only a listener of kind websocket has a path" },
    { "bad-ws-origin.yml", 16,
      "c2s.listen[0].origins[1]: bad origin 'https://app.example/path' (expected \"*\" or "
      "http[s]://HOST[:PORT], no path)" },
    { "bad-ws-path.yml", 14,
      "c2s.listen[0].path: bad path '/xmpp websocket' (expected /PATH: visible ASCII, no '?' "
      "or '#', at most 256 bytes, not a /.well-known/host-meta document)" },
    { "bad-ws-starttls.yml", 12,
      "c2s.listen[1].tls: a websocket listener takes tls: direct (wss://) or none (ws://); "
      "WebSocket has no STARTTLS" },
    { "bad-consider-secure.yml", 12,
      "c2s.listen[1].consider_secure: only a listener with tls: none can be considered secure "
      "(it is for a TLS-terminating proxy in front of a plaintext listener)" },
    { "bad-c2s-domain.yml", 8, "c2s.domain: other.example is not one of domains" },
    { "bad-c2s-no-database.yml", 8,
      "c2s: missing required key 'database' (the account database of the "
      "standalone server)" },
    { "bad-duplicate-listen.yml", 15,
      "c2s.listen[2].address: '[0:0::1]:5222' is the same address as c2s.listen[0] "
      "('[::1]:5222'): the second cannot be bound" },
    { "bad-duplicate-listen-any.yml", 15,
      "c2s.listen[2].address: '0.0.0.0:5222' is the same address as c2s.listen[0] "
      "('127.0.0.1:5222'): the second cannot be bound" },
    { "bad-duplicate-component.yml", 16,
      "components[2]: same server and jid as components[0] (127.0.0.1:5347, "
      "extdisco.example.org): the two links would take each other's place forever" },
    { "bad-component-secret.yml", 8, "components[0]: missing required key 'secret_file'" },
    { "bad-access.yml", 5,
      "access.credentials[1]: 'alice@example.org/phone' is not a domain or bare JID" },
    { "bad-nothing-to-serve.yml", 2,
      "neither components nor c2s configured: nothing to serve" },
    { "bad-syntax.yml", 2,
      "YAML syntax error: did not find expected ',' or ']'" },
    { "bad-limits-range.yml", 13, "limits.max_depth: must be between 4 and 1000" },
    { "bad-names-alias.yml", 8, "services[0].names.fr: YAML aliases are not supported" },
    { "bad-provider-http.yml", 7,
      "turn_providers[0].url: 'http://rtc.live.cloudflare.com/v1' is not an https:// URL "
      "(keys never go out in clear)" },
    { "bad-provider-keyid.yml", 3,
      "turn_providers[0]: missing required key 'key_id' (the account SID)" },
    { "bad-provider-preset-key.yml", 7,
      "turn_providers[0].body: set by the preset (only a generic provider takes it)" },
    { "bad-provider-nokey.yml", 6,
      "turn_providers[0].api_key_file: cannot read secret file @DIR@/secrets/missing.key: "
      "No such file or directory" },
    { "bad-provider-percent.yml", 7,
      "turn_providers[0].cache_percent: must be between 10 and 90" },
    { "bad-network-cidr.yml", 4,
      "networks[0].addresses[1]: '192.168.1.1/24' is not an address or CIDR block (like "
      "10.0.0.0/8 or 2001:db8::/32, host bits zero)" },
    { "bad-network-ref.yml", 9,
      "services[0].networks[1]: unknown network 'external' (no networks entry has that name)" },
    { "bad-http-listen.yml", 7,
      "http.listen[1]: bad listen address 'localhost:9216' (expected IP:PORT or [IPV6]:PORT)" },
    { "bad-http-listen-dup.yml", 7,
      "http.listen[1]: '127.0.0.1:9215' is the same address as http.listen[0]" },
    { "bad-http-listen-empty.yml", 7,
      "http.listen: no address to listen on (leave the key out for the default 127.0.0.1:9215)" },
    { "bad-http-allow.yml", 7,
      "http.allow[1]: bad address range '10.0.0.0/33' (expected IP, IP/PREFIX)" },
    { "bad-http-token.yml", 7,
      "http.token_file: cannot read secret file @DIR@/secrets/missing.token: No such file "
      "or directory" },
    { "bad-check-fall.yml", 7, "services[0].check.fall: must be between 1 and 100" },
    { "bad-check-timeout.yml", 13,
      "check.timeout: the check timeout (20s) is longer than its interval (10s)" },
    { "bad-check-service-timeout.yml", 7,
      "services[0].check.timeout: the check timeout (40s) is longer than its interval (30s)" },
    { "bad-check-unknown.yml", 8, "services[0].check.intervall: unknown key" },
    /* bit 63 of a network mask is the health checks' "no network" */
    { "bad-networks-64.yml", 3, "networks: too many entries (at most 63)" },
    /* the order is one for the whole reply: top level only */
    { "bad-check-order-service.yml", 8, "services[0].check.order_by_latency: unknown key" },
    { "bad-check-interval.yml", 11, "check.interval: 2d is over the maximum of 86400 seconds" },
    { "bad-check-ca.yml", 12,
      "check.ca_file: cannot read @DIR@/missing-ca.pem: No such file or directory" },
};

static void expand(char *out, size_t outlen, const char *msg, const char *dir)
{
    const char *at = strstr(msg, "@DIR@");
    if (!at) {
        snprintf(out, outlen, "%s", msg);
        return;
    }
    snprintf(out, outlen, "%.*s%s%s", (int)(at - msg), msg, dir, at + 5);
}

static void test_bad_fixtures(void **state)
{
    (void)state;
    char *dir = realdir(CONFDIR);
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const bad_case *bc = &bad_cases[i];
        char path[512], msg[1024], want[2048], err[1024];
        snprintf(path, sizeof path, "%s/%s", CONFDIR, bc->file);
        expand(msg, sizeof msg, bc->msg, dir);
        snprintf(want, sizeof want, "%s:%d: %s", path, bc->line, msg);
        memset(err, 'x', sizeof err);
        edd_config *c = edd_config_load(path, err, sizeof err);
        if (c) {
            edd_config_free(c);
            fail_msg("%s was accepted", bc->file);
        }
        if (strcmp(err, want) != 0)
            fail_msg("%s:\n  got  %s\n  want %s", bc->file, err, want);
    }
    free(dir);
}

/* Every bad-*.yml fixture has an expectation above. */
static void test_bad_fixtures_all_listed(void **state)
{
    (void)state;
    DIR *d = opendir(CONFDIR);
    assert_non_null(d);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, "bad-", 4) != 0)
            continue;
        bool found = false;
        for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++)
            found = found || strcmp(bad_cases[i].file, de->d_name) == 0;
        if (!found)
            fail_msg("fixture %s has no expected message", de->d_name);
        n++;
    }
    closedir(d);
    assert_int_equal(n, (int)(sizeof bad_cases / sizeof bad_cases[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_fixtures),
        cmocka_unit_test(test_bad_fixtures_all_listed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
