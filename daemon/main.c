/* daemon/main.c — extdiscod: command line, signals, the event loop.
 *
 *   extdiscod [-c FILE] [-n [-v]] [-V] [-h]   (also --version, --help)
 *
 * -n checks the configuration and exits (0: fine; 1: "FILE:LINE: what" or,
 * for what is not in the file itself, "FILE: KEY ...: what"): everything
 * the loader checks, and what starting would refuse apart from binding the
 * listeners (the running daemon holds them; -n is the reload gate): the
 * `user` exists, the TLS certificate and key load and match, the
 * database's directory exists.  -n -v also prints the effective
 * configuration (edd_config_dump: defaults filled in, secrets never shown;
 * stdout is then a YAML file that loads as the same configuration).
 * SIGHUP reloads atomically; SIGTERM/SIGINT stop: no new connections, every
 * stream closed, the event loop runs until the last bytes are written (at
 * most STOP_DEADLINE_SECS), exit 0. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "c2s/c2s.h"
#include "component/component.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/server.h"
#include "http/http.h"
#include "health/health.h"
#include "c2s/store.h"

#define DEFAULT_CONFIG "/etc/extdisco/extdiscod.yml"
/* Bound of the shutdown flush (the roles' closers give up after 2 s). */
#define STOP_DEADLINE_SECS 3

static void usage(FILE *f)
{
    fprintf(f, "usage: extdiscod [-c FILE] [-n [-v]] [-V] [-h]\n"
               "  -c FILE        configuration (default " DEFAULT_CONFIG ")\n"
               "  -n             check the configuration and exit\n"
               "  -v             with -n: print the effective configuration\n"
               "                 (defaults filled in, secrets redacted)\n"
               "  -V, --version  print the version and exit\n"
               "  -h, --help     print this help and exit\n");
}

static void on_hup(evutil_socket_t fd, short what, void *arg)
{
    edd_server *s = arg;
    char err[1024];
    if (!edd_server_reload(s, err, sizeof err)) {
        edd_log(EDD_LOG_ERROR, "reload refused, keeping the running configuration: %s", err);
        return;
    }
    if (s->components || s->cfg->ncomponents) {
        if (s->components)
            edd_component_reconfigure(s->components, s);
        else
            s->components = edd_component_start(s);
    }
    if (s->c2s)
        edd_c2s_reconfigure(s->c2s, s);
    if (s->http) {
        edd_http_reconfigure(s->http, s);
    } else if (s->cfg->http) {
        if (!(s->http = edd_http_start(s, err, sizeof err)))
            edd_log_error("%s", err);
    }
}

static void on_usr1(evutil_socket_t fd, short what, void *arg)
{
    edd_server *s = arg;
    edd_health_dump(s->health);
}

static void on_term(evutil_socket_t fd, short what, void *arg)
{
    edd_server *s = arg;
    edd_log(EDD_LOG_INFO, "signal %d: stopping", (int)fd);
    event_base_loopbreak(s->base);
}

/* Shutdown: the roles are stopped and their closers own the connections
 * that still have bytes to write.  Run the loop until only the two events
 * of this function are left (every closer is done) or the deadline. */
static void drain_poll(evutil_socket_t fd, short what, void *arg)
{
    struct event_base *base = arg;
    if (event_base_get_num_events(base, EVENT_BASE_COUNT_ADDED | EVENT_BASE_COUNT_VIRTUAL) <= 2)
        event_base_loopbreak(base);
}

static void drain_deadline(evutil_socket_t fd, short what, void *arg)
{
    edd_log_warn("stopping: connections still flushing after %d s are closed",
                STOP_DEADLINE_SECS);
    event_base_loopbreak(arg);
}

static void drain(struct event_base *base)
{
    struct event *poll = event_new(base, -1, EV_PERSIST, drain_poll, base);
    struct event *deadline = evtimer_new(base, drain_deadline, base);
    struct timeval every = {0, 20000}, dl = {STOP_DEADLINE_SECS, 0};
    if (poll && deadline && event_add(poll, &every) == 0 && evtimer_add(deadline, &dl) == 0)
        event_base_dispatch(base);
    if (poll)
        event_free(poll);
    if (deadline)
        event_free(deadline);
}

/* What the loader cannot see in the file: the user exists; c2s.c's checks
 * (TLS material, database directory).  false with err "FILE: KEY: what". */
static bool check_runtime(const edd_config *cfg, const char *path, char *err, size_t errlen)
{
    char e[900];
    if (cfg->user && !getpwnam(cfg->user)) {
        snprintf(err, errlen, "%s: user: no such user '%s'", path, cfg->user);
        return false;
    }
    if (!edd_c2s_check(cfg, e, sizeof e)) {
        snprintf(err, errlen, "%s: %s", path, e);
        return false;
    }
    return true;
}

static int drop_privileges(const char *path, const char *user)
{
    if (!user || geteuid() != 0)
        return 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        edd_log_error("%s: user: no such user '%s'", path, user);
        return -1;
    }
    if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        edd_log_error("%s: user: cannot drop privileges to %s: %s", path, user,
                     strerror(errno));
        return -1;
    }
    edd_log_info("running as %s", user);
    return 0;
}

/* The health role's rows for /metrics and /status (core/metrics.h). */
typedef struct {
    edd_health_row_fn fn;
    void *ud;
} health_rows_ctx;

static void health_row(const edd_health_info *in, void *arg)
{
    health_rows_ctx *c = arg;
    edd_health_row r = {
        .type = in->type,
        .host = in->host,
        .port = in->port,
        .transport = in->transport,
        .up = (!in->enabled || in->state == EDD_HEALTH_UNKNOWN) ? -1
                                                                : in->state == EDD_HEALTH_UP,
        .state_changes = in->changes,
        .check_duration = in->checks ? in->check_duration : NULL,
        .last_check = (double)in->last_check,
        .latency_ms = in->latency_ms,
        .reply_position = in->reply_position,
    };
    c->fn(c->ud, &r);
}

static void health_rows(void *ctx, edd_health_row_fn fn, void *ud)
{
    health_rows_ctx c = {fn, ud};
    edd_health_foreach(((edd_server *)ctx)->health, health_row, &c);
}

int main(int argc, char **argv)
{
    const char *path = DEFAULT_CONFIG;
    bool check = false, verbose = false;
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "c:nvVh", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': path = optarg; break;
        case 'n': check = true; break;
        case 'v': verbose = true; break;
        case 'V': printf("extdiscod %s\n", ED_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || (verbose && !check)) {
        usage(stderr);
        return 2;
    }

    char err[1024];
    if (check) {
        edd_config *cfg = edd_config_load(path, err, sizeof err);
        edd_registry *reg = cfg ? edd_registry_build(cfg, err, sizeof err) : NULL;
        if (!reg || !check_runtime(cfg, path, err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            edd_registry_free(reg);
            edd_config_free(cfg);
            return 1;
        }
        /* -v: stdout is one YAML file (the summary a comment) that loads
         * as the same configuration */
        if (verbose)
            edd_config_dump(cfg, stdout);
        /* providers are named only when there are some: scripts that
         * read this line for a configuration without them see it as before */
        char prov[48] = "";
        if (cfg->nturn_providers)
            snprintf(prov, sizeof prov, "%u turn providers, ", cfg->nturn_providers);
        printf("%s%s: OK (%u services, %s%u component links, %s)\n", verbose ? "# " : "", path,
               cfg->nservices, prov, cfg->ncomponents,
               cfg->c2s ? "standalone server" : "no standalone server");
        edd_registry_free(reg);
        edd_config_free(cfg);
        return 0;
    }

    signal(SIGPIPE, SIG_IGN);
    /* the changelist: a socket's interest changes within one loop turn
     * reach the kernel as one epoll_ctl, not one per bufferevent toggle */
    struct event_config *ecfg = event_config_new();
    if (ecfg)
        event_config_set_flag(ecfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    struct event_base *base = ecfg ? event_base_new_with_config(ecfg) : NULL;
    if (ecfg)
        event_config_free(ecfg);
    if (!base) {
        fprintf(stderr, "extdiscod: cannot create the event loop\n");
        return 1;
    }
    edd_log_setup(EDD_LOG_INFO, false, "extdiscod");
    struct timespec start_ts;
    clock_gettime(CLOCK_REALTIME, &start_ts);
    edd_metrics_g.start_time = (double)start_ts.tv_sec + (double)start_ts.tv_nsec / 1e9;
    edd_server *s = edd_server_new(base, path, err, sizeof err);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        event_base_free(base);
        return 1;
    }
    edd_log_setup(s->cfg->log.level, s->cfg->log.syslog, "extdiscod");

    int rc = 1;
    struct event *hup = NULL, *term = NULL, *intr = NULL, *usr1 = NULL;
    if (!check_runtime(s->cfg, path, err, sizeof err)) {
        edd_log_error("%s", err);
        goto out;
    }
    /* Signal handlers before any listener opens: a SIGHUP (a reload) sent
     * as soon as a port answers must not meet the default action (exit).
     * Signals that come before the loop runs are handled once it does. */
    hup = evsignal_new(base, SIGHUP, on_hup, s);
    term = evsignal_new(base, SIGTERM, on_term, s);
    intr = evsignal_new(base, SIGINT, on_term, s);
    usr1 = evsignal_new(base, SIGUSR1, on_usr1, s);
    if (!hup || !term || !intr || !usr1 || evsignal_add(hup, NULL) ||
        evsignal_add(term, NULL) || evsignal_add(intr, NULL) || evsignal_add(usr1, NULL)) {
        edd_log_error("cannot install signal handlers");
        goto out;
    }
    if (s->cfg->c2s && !(s->c2s = edd_c2s_start(s, err, sizeof err))) {
        edd_log_error("%s: %s", path, err);
        goto out;
    }
    /* bound before the drop, like the c2s listeners */
    if (s->cfg->http && !(s->http = edd_http_start(s, err, sizeof err))) {
        edd_log_error("%s: %s", path, err);
        goto out;
    }
    if (drop_privileges(path, s->cfg->user) != 0)
        goto out;
    /* The database was opened before the drop: it must still be writable
     * now (a real write: its file, and its directory for the journal). */
    if (s->c2s && edd_store_check_writable(edd_c2s_store(s->c2s), s->cfg->c2s->database, err,
                                          sizeof err) != 0) {
        edd_log_error("%s: c2s.database: %s", path, err);
        goto out;
    }
    if (s->cfg->ncomponents && !(s->components = edd_component_start(s))) {
        edd_log_error("cannot start the component links");
        goto out;
    }

    /* health checks of the announced services (health/health.h) */
    if (!(s->health = edd_health_new(s))) {
        edd_log_error("cannot start the health checks (out of memory)");
        goto out;
    }
    edd_metrics_set_health_provider(health_rows, s);

    edd_log(EDD_LOG_INFO, "extdiscod %s started with %s (%u services)", ED_VERSION, path,
           s->cfg->nservices);
    event_base_dispatch(base);
    rc = 0;
out:
    /* signals back to their default: a second SIGTERM ends the flush */
    if (hup)
        event_free(hup);
    if (term)
        event_free(term);
    if (intr)
        event_free(intr);
    edd_http_stop(s->http);
    s->http = NULL;
    if (usr1)
        event_free(usr1);
    edd_metrics_set_health_provider(NULL, NULL);
    edd_health_free(s->health); /* no probe outlives the loop */
    s->health = NULL;
    edd_component_stop(s->components);
    s->components = NULL;
    edd_c2s_stop(s->c2s);
    s->c2s = NULL;
    drain(base);
    edd_server_free(s);
    event_base_free(base);
    if (rc == 0)
        edd_log(EDD_LOG_INFO, "stopped");
    return rc;
}
