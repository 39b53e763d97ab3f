/* client/turncheck_main.c — test driver for the STUN/TURN checker.
 *
 *   turncheck [--timeout MS] [--ca FILE] [--insecure]
 *             stun|turn HOST PORT udp|tcp|tls [USER PASS]
 *   turncheck [...] relay HOST PORT udp|tcp|tls USER PASS
 *   turncheck [...] openrelay HOST PORT udp|tcp|tls
 *
 * Prints the result as one JSON object; exit 0 when the check passed,
 * 1 when it failed, 2 on a usage error. */
#include "relaycheck.h"
#include "turncheck.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(void)
{
    fprintf(stderr,
            "usage: turncheck [--timeout MS] [--ca FILE] [--insecure]\n"
            "                 stun|turn HOST PORT udp|tcp|tls [USER PASS]\n"
            "                 relay HOST PORT udp|tcp|tls USER PASS\n"
            "                 openrelay HOST PORT udp|tcp|tls\n");
    exit(2);
}

static void json_str(const char *key, const char *v, int last)
{
    printf("  \"%s\": \"", key);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            putchar(*p);
    }
    printf("\"%s\n", last ? "" : ",");
}

static void leg_json(const char *key, const ed_relay_leg *l, int last)
{
    printf("  \"%s\": {\"ok\": %s, \"ms\": %ld, \"us\": %ld, \"sends\": %d, \"as_channel\": %s}%s\n",
           key, l->ok ? "true" : "false", l->ms, l->us, l->sends,
           l->as_channel ? "true" : "false", last ? "" : ",");
}

/* The relay round trip and peer restrictions as one JSON object. */
static int relay_main(const char *host, uint16_t port, ed_check_transport t,
                      const char *user, const char *pass, int timeout_ms,
                      const ed_check_tls *tls)
{
    ed_relay_result r;
    int rc = ed_relay_check(host, port, t, user, pass, timeout_ms, tls, &r);
    printf("{\n  \"ok\": %s,\n", r.ok ? "true" : "false");
    json_str("fail", r.ok ? "none" : ed_check_fail_name(r.fail), 0);
    json_str("step", r.step, 0);
    printf("  \"error_code\": %d,\n", r.error_code);
    json_str("error_reason", r.error_reason, 0);
    json_str("server", r.server, 0);
    json_str("relayed_a", r.relayed[0], 0);
    json_str("relayed_b", r.relayed[1], 0);
    printf("  \"rtt_ms\": %ld,\n", r.rtt_ms);
    leg_json("ind_ab", &r.ind[0], 0);
    leg_json("ind_ba", &r.ind[1], 0);
    leg_json("chan_ab", &r.chan[0], 0);
    leg_json("chan_ba", &r.chan[1], 0);
    printf("  \"peers\": {");
    for (int k = 0; k < ED_RELAY_PEERS; k++)
        printf("%s\"%s\": {\"state\": %d, \"code\": %d}", k ? ", " : "",
               r.peers[k].ip, r.peers[k].state, r.peers[k].code);
    printf("}\n}\n");
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    int timeout_ms = 10000;
    ed_check_tls tls = { NULL, false, 0 };
    int i = 1;
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
            timeout_ms = atoi(argv[++i]);
        else if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc)
            tls.ca_file = argv[++i];
        else if (strcmp(argv[i], "--insecure") == 0)
            tls.insecure = true;
        else
            usage();
    }
    int n = argc - i;
    if (n != 4 && n != 6)
        usage();
    const char *kind = argv[i], *host = argv[i + 1], *tr = argv[i + 3];
    char *end;
    long port = strtol(argv[i + 2], &end, 10);
    if (*end || port <= 0 || port > 65535)
        usage();
    ed_check_transport t;
    if (strcmp(tr, "udp") == 0)
        t = ED_CHECK_UDP;
    else if (strcmp(tr, "tcp") == 0)
        t = ED_CHECK_TCP;
    else if (strcmp(tr, "tls") == 0)
        t = ED_CHECK_TLS;
    else
        usage();
    if (strcmp(kind, "relay") == 0 && n == 6)
        return relay_main(argv[i + 1], (uint16_t)port, t, argv[i + 4], argv[i + 5],
                          timeout_ms, &tls);
    if (strcmp(kind, "openrelay") == 0 && n == 4) {
        int code;
        char why[300];
        int rc = ed_open_relay_check(argv[i + 1], (uint16_t)port, t, timeout_ms,
                                     &tls, &code, why, sizeof why);
        printf("{\n  \"open\": %s,\n  \"asked\": %s,\n  \"error_code\": %d,\n",
               rc == 1 ? "true" : "false", rc >= 0 ? "true" : "false", code);
        json_str("detail", why, 1);
        printf("}\n");
        return rc == 0 ? 0 : 1;
    }
    bool turn = strcmp(kind, "turn") == 0;
    if ((!turn && strcmp(kind, "stun") != 0) || (turn && n != 6) ||
        (!turn && n != 4))
        usage();

    ed_check_result r;
    int rc = turn ? ed_turn_check(host, (uint16_t)port, t, argv[i + 4],
                                  argv[i + 5], timeout_ms, &tls, &r)
                  : ed_stun_check(host, (uint16_t)port, t, timeout_ms, &tls, &r);

    printf("{\n");
    printf("  \"ok\": %s,\n", r.ok ? "true" : "false");
    json_str("fail", ed_check_fail_name(r.fail), 0);
    json_str("step", r.step ? r.step : "", 0);
    printf("  \"error_code\": %d,\n", r.error_code);
    json_str("error_reason", r.error_reason, 0);
    json_str("server", r.server, 0);
    printf("  \"connect_ms\": %ld,\n", r.connect_ms);
    printf("  \"rtt_ms\": %ld,\n", r.rtt_ms);
    printf("  \"transmissions\": %d,\n", r.transmissions);
    json_str("mapped", r.mapped, 0);
    if (turn) {
        json_str("realm", r.realm, 0);
        json_str("relayed", r.relayed, 0);
        printf("  \"lifetime\": %u,\n", (unsigned)r.lifetime);
        printf("  \"refreshed\": %s,\n", r.refreshed ? "true" : "false");
        printf("  \"refresh_lifetime\": %u,\n", (unsigned)r.refresh_lifetime);
        printf("  \"deallocated\": %s\n", r.deallocated ? "true" : "false");
    } else {
        printf("  \"transport\": \"%s\"\n", tr);
    }
    printf("}\n");
    return rc == 0 ? 0 : 1;
}
