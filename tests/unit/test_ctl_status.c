/* Unit tests of `extdiscoctl status`'s tables (daemon/ctl_status.c) from
 * /status answers: the PROVIDER table only with providers, its nulls as
 * "-", the LATENCY and ORDER columns only with order_by_latency, no
 * trailing blanks.  tests/interop/provider_http.sh and health_order.sh
 * check the same against the running daemon. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_status.h"

/* The tables for json, as one malloc'd string. */
static char *tables(const char *json)
{
    char *t = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&t, &n);
    assert_non_null(f);
    assert_int_equal(edd_ctl_status_print(json, strlen(json), f), 0);
    assert_int_equal(fclose(f), 0);
    return t;
}

/* The line of t that starts with prefix, copied into buf. */
static const char *line(const char *t, const char *prefix, char *buf, size_t len)
{
    for (const char *p = t; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, prefix, strlen(prefix)) == 0) {
            size_t l = strcspn(p, "\n");
            snprintf(buf, len, "%.*s", (int)l, p);
            return buf;
        }
    }
    fail_msg("no line starting with '%s' in:\n%s", prefix, t);
    return NULL;
}

static void no_trailing_blanks(const char *t)
{
    for (const char *p = strchr(t, '\n'); p; p = strchr(p + 1, '\n'))
        if (p > t && p[-1] == ' ')
            fail_msg("trailing blank before line end at: %.40s", p - 20 > t ? p - 20 : t);
}

#define SVC_ROWS \
    "\"services\": [" \
    "{\"type\": \"stun\", \"host\": \"127.0.0.1\", \"port\": 3478, \"credentials\": false," \
    " \"transport\": \"udp\", \"health\": \"up\", \"latency_ms\": 3, \"reply_position\": 1}," \
    "{\"type\": \"turn\", \"host\": \"t.example\", \"port\": 3478, \"credentials\": true," \
    " \"transport\": \"udp\", \"health\": \"down\", \"latency_ms\": null, \"reply_position\": null}]"

static void providers_and_latency(void **state)
{
    (void)state;
    char b[512];
    char *t = tables(
        "{\"version\": \"1\", \"uptime_seconds\": 5, \"ready\": true, \"links\": [],"
        " \"order_by_latency\": true, " SVC_ROWS ","
        " \"providers\": ["
        "{\"name\": \"cf\", \"preset\": \"cloudflare\", \"state\": \"ok\", \"services\": 6,"
        " \"cache_age_seconds\": 65, \"cache_expiry_seconds\": 7200, \"last_success\": 1764633600,"
        " \"consecutive_failures\": 0, \"backoff_seconds\": 0, \"last_error\": null},"
        "{\"name\": \"tw\", \"preset\": \"twilio\", \"state\": \"no-cache\", \"services\": 0,"
        " \"cache_age_seconds\": null, \"cache_expiry_seconds\": null, \"last_success\": null,"
        " \"consecutive_failures\": 3, \"backoff_seconds\": 20, \"last_error\": \"http_error\"}],"
        " \"requests\": {}, \"counts\": {}, \"config\": {}}");
    assert_string_equal(line(t, "TYPE", b, sizeof b),
                        "TYPE   HOST                             PORT   TRANSPORT CREDENTIALS "
                        "HEALTH       LATENCY ORDER");
    assert_string_equal(line(t, "stun", b, sizeof b),
                        "stun   127.0.0.1                        3478   udp       no          "
                        "up              3 ms     1");
    assert_string_equal(line(t, "turn", b, sizeof b),
                        "turn   t.example                        3478   udp       yes         "
                        "down               -     -");
    line(t, "(check.order_by_latency:", b, sizeof b);
    assert_string_equal(line(t, "PROVIDER", b, sizeof b),
                        "PROVIDER         PRESET     STATE    SERVICES CACHE AGE   EXPIRES "
                        "LAST SUCCESS (UTC)  FAILS BACKOFF LAST ERROR");
    assert_string_equal(line(t, "cf ", b, sizeof b),
                        "cf               cloudflare ok              6     1m05s  2h00m00s "
                        "2025-12-02 00:00:00     0       - -");
    assert_string_equal(line(t, "tw ", b, sizeof b),
                        "tw               twilio     no-cache        0         -         - "
                        "-                       3     20s http_error");
    no_trailing_blanks(t);
    free(t);
}

static void without_providers_or_order(void **state)
{
    (void)state;
    char b[512];
    char *t = tables("{\"version\": \"1\", \"uptime_seconds\": 5, \"ready\": true, \"links\": [],"
                     " \"order_by_latency\": false, " SVC_ROWS ", \"providers\": [],"
                     " \"requests\": {}, \"counts\": {}, \"config\": {}}");
    assert_string_equal(line(t, "TYPE", b, sizeof b),
                        "TYPE   HOST                             PORT   TRANSPORT CREDENTIALS "
                        "HEALTH");
    assert_string_equal(line(t, "stun", b, sizeof b),
                        "stun   127.0.0.1                        3478   udp       no          up");
    assert_null(strstr(t, "LATENCY"));
    assert_null(strstr(t, "PROVIDER"));
    no_trailing_blanks(t);
    free(t);
    /* an older daemon: neither member at all */
    t = tables("{\"version\": \"1\", \"ready\": true, " SVC_ROWS "}");
    assert_null(strstr(t, "LATENCY"));
    assert_null(strstr(t, "PROVIDER"));
    free(t);
}

static void not_json(void **state)
{
    (void)state;
    FILE *f = fopen("/dev/null", "w");
    assert_non_null(f);
    assert_int_equal(edd_ctl_status_print("[1]", 3, f), 1);
    assert_int_equal(edd_ctl_status_print("{", 1, f), 1);
    fclose(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(providers_and_latency),
        cmocka_unit_test(without_providers_or_order),
        cmocka_unit_test(not_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
