/* Unit tests of the /metrics exposition (daemon/http/metrics.c) without a
 * socket: every line is a comment (# HELP / # TYPE) or a sample in the
 * Prometheus text format; each family is typed once; counters end in
 * _total; histogram buckets are cumulative and end with le="+Inf" equal to
 * _count; label values are escaped; service health rows from a registered
 * provider come out with their check-duration histogram (1 ms .. 5 s
 * buckets); no sample names a JID or a secret.  tests/interop/
 * metrics_prometheus.sh checks the same exposition with promtool. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>

#include "core/metrics.h"
#include "core/server.h"
#include "http/http.h"

static char dir[64], conf[96];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/test_http_metrics.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(conf, sizeof conf, "%s/ed.yml", dir);
    FILE *f = fopen(conf, "w");
    assert_non_null(f);
    fprintf(f,
            "domains: [localhost]\n"
            "turn_secrets:\n"
            "  - {name: \"we\\\"ird\\\\set\", secret_files: [%s/tests/config/secrets/turn.secret]}\n"
            "services:\n"
            "  - {type: turn, host: 127.0.0.1, port: 3478, transport: udp,"
            " credentials: \"we\\\"ird\\\\set\", allow_local: true}\n"
            "components:\n"
            "  - {server: \"127.0.0.1:5347\", jid: extdisco.localhost,"
            " secret_file: %s/tests/config/secrets/component.secret}\n",
            SRCDIR, SRCDIR);
    assert_int_equal(fclose(f), 0);
    char err[512];
    edd_server *s = edd_server_new(NULL, conf, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    memset(&edd_metrics_g, 0, sizeof edd_metrics_g);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    edd_server_free(*state);
    edd_metrics_set_health_provider(NULL, NULL);
    unlink(conf);
    rmdir(dir);
    return 0;
}

static edd_histogram checks;

static void provider(void *ctx, edd_health_row_fn fn, void *ud)
{
    (void)ctx;
    edd_health_row up = {.type = "turn", .host = "127.0.0.1", .port = 3478, .transport = "udp",
                         .up = 1, .state_changes = 2, .check_duration = &checks};
    edd_health_row unknown = {.type = "stun", .host = "stun.example", .port = 3478,
                              .transport = "udp", .up = -1};
    fn(ud, &up);
    fn(ud, &unknown);
}

static char *exposition(const edd_server *s)
{
    struct evbuffer *b = evbuffer_new();
    assert_non_null(b);
    edd_http_metrics_write(b, s);
    size_t n = evbuffer_get_length(b);
    char *t = malloc(n + 1);
    assert_non_null(t);
    evbuffer_remove(b, t, n);
    t[n] = '\0';
    evbuffer_free(b);
    return t;
}

static void test_format(void **state)
{
    edd_server *s = *state;
    edd_metrics_g.on = true;
    edd_metrics_g.requests[EDD_MP_SERVICES][EDD_MO_RESULT] = 5;
    for (int i = 0; i < 5; i++)
        edd_histogram_add(&edd_metrics_g.duration[EDD_MP_SERVICES], 30000u * (unsigned)(i + 1));
    edd_metrics_g.minted_now[0] = 4;
    edd_histogram_add_check(&checks, 3000000);  /* 3 ms */
    edd_histogram_add_check(&checks, 7000000000u); /* 7 s: +Inf */
    edd_metrics_set_health_provider(provider, NULL);
    char *t = exposition(s);

    regex_t sample, comment;
    assert_int_equal(regcomp(&sample,
                             "^[a-zA-Z_:][a-zA-Z0-9_:]*(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\""
                             "(,[a-zA-Z_][a-zA-Z0-9_]*=\"([^\"\\\\]|\\\\.)*\")*)?\\})? "
                             "[-+]?([0-9.]+([eE][-+]?[0-9]+)?|Inf|NaN)$",
                             REG_EXTENDED | REG_NOSUB), 0);
    assert_int_equal(regcomp(&comment, "^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$",
                             REG_EXTENDED | REG_NOSUB), 0);
    char types[128][80];
    int ntypes = 0;
    for (char *line = strtok(t, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') {
            if (regexec(&comment, line, 0, NULL, 0) != 0)
                fail_msg("bad comment line: %s", line);
            char name[80], type[16];
            if (sscanf(line, "# TYPE %79s %15s", name, type) == 2) {
                for (int i = 0; i < ntypes; i++)
                    if (strcmp(types[i], name) == 0)
                        fail_msg("family typed twice: %s", name);
                assert_true(ntypes < 128);
                snprintf(types[ntypes++], sizeof types[0], "%s", name);
                if (strcmp(type, "counter") == 0) {
                    size_t l = strlen(name);
                    if (l < 6 || strcmp(name + l - 6, "_total") != 0)
                        fail_msg("counter without _total: %s", name);
                }
            }
            continue;
        }
        if (regexec(&sample, line, 0, NULL, 0) != 0)
            fail_msg("bad sample line: %s", line);
        assert_null(strstr(line, "@"));
    }
    regfree(&sample);
    regfree(&comment);
    free(t);

    /* the values */
    t = exposition(s);
    const char *dump = getenv("EDD_METRICS_DUMP"); /* for a manual promtool run */
    if (dump) {
        FILE *f = fopen(dump, "w");
        if (f) {
            fputs(t, f);
            fclose(f);
        }
    }
    assert_non_null(strstr(t, "\nextdisco_requests_total{protocol=\"services\",outcome=\"result\"} 5\n"));
    assert_non_null(strstr(t, "\nextdisco_request_duration_seconds_bucket{protocol=\"services\","
                              "le=\"2.5e-05\"} 0\n"));
    assert_non_null(strstr(t, "\nextdisco_request_duration_seconds_bucket{protocol=\"services\","
                              "le=\"0.0001\"} 3\n"));
    assert_non_null(strstr(t, "\nextdisco_request_duration_seconds_bucket{protocol=\"services\","
                              "le=\"+Inf\"} 5\n"));
    assert_non_null(strstr(t, "\nextdisco_request_duration_seconds_count{protocol=\"services\"} 5\n"));
    assert_non_null(strstr(t, "\nextdisco_request_duration_seconds_sum{protocol=\"services\"} 0.000450000\n"));
    /* the turn_secrets name, escaped; the algorithm; the mints by index folded in */
    assert_non_null(strstr(t, "\nextdisco_credentials_minted_total{secret_set=\"we\\\"ird\\\\set\","
                              "algorithm=\"sha1\"} 4\n"));
    assert_non_null(strstr(t, "\nextdisco_component_links 1\n"));
    assert_non_null(strstr(t, "\nextdisco_ready 0\n")); /* the link is not started */
    /* health: the up row, no sample for the unchecked one, the histogram */
    assert_non_null(strstr(t, "\nextdisco_service_up{type=\"turn\",host=\"127.0.0.1\",port=\"3478\","
                              "transport=\"udp\"} 1\n"));
    assert_null(strstr(t, "extdisco_service_up{type=\"stun\""));
    assert_non_null(strstr(t, "\nextdisco_service_state_changes_total{type=\"turn\",host=\"127.0.0.1\","
                              "port=\"3478\",transport=\"udp\"} 2\n"));
    assert_non_null(strstr(t, "\nextdisco_service_check_duration_seconds_bucket{type=\"turn\","
                              "host=\"127.0.0.1\",port=\"3478\",transport=\"udp\",le=\"0.0025\"} 0\n"));
    assert_non_null(strstr(t, "\nextdisco_service_check_duration_seconds_bucket{type=\"turn\","
                              "host=\"127.0.0.1\",port=\"3478\",transport=\"udp\",le=\"0.005\"} 1\n"));
    assert_non_null(strstr(t, "\nextdisco_service_check_duration_seconds_bucket{type=\"turn\","
                              "host=\"127.0.0.1\",port=\"3478\",transport=\"udp\",le=\"+Inf\"} 2\n"));
    assert_non_null(strstr(t, "\nprocess_open_fds "));
    assert_non_null(strstr(t, "\nprocess_resident_memory_bytes "));
    /* never the component's JID or a secret */
    assert_null(strstr(t, "extdisco.localhost"));
    free(t);
}

/* Without a provider, no health families at all. */
static void test_no_health_provider(void **state)
{
    char *t = exposition(*state);
    assert_null(strstr(t, "extdisco_service_up"));
    assert_null(strstr(t, "extdisco_service_check_duration"));
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_health_provider, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
