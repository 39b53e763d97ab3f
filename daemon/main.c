/* daemon/main.c — extdiscod: command line, signals, the event loop.
 *
 *   extdiscod [-c FILE] [-n] [-V]
 *
 * -n checks the configuration and exits (0: fine; 1: "FILE:LINE: what").
 * SIGHUP reloads atomically; SIGTERM/SIGINT stop cleanly. */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "c2s.h"
#include "component.h"
#include "log.h"
#include "server.h"

#define DEFAULT_CONFIG "/etc/extdisco/extdiscod.yml"

static void usage(FILE *f)
{
    fprintf(f, "usage: extdiscod [-c FILE] [-n] [-V]\n"
               "  -c FILE  configuration (default " DEFAULT_CONFIG ")\n"
               "  -n       check the configuration and exit\n"
               "  -V       print the version and exit\n");
}

static void on_hup(evutil_socket_t fd, short what, void *arg)
{
    ed_server *s = arg;
    char err[1024];
    if (!ed_server_reload(s, err, sizeof err)) {
        ed_log_error("reload refused, keeping the running configuration: %s", err);
        return;
    }
    if (s->components || s->cfg->ncomponents) {
        if (s->components)
            ed_component_reconfigure(s->components, s);
        else
            s->components = ed_component_start(s);
    }
    if (s->c2s)
        ed_c2s_reconfigure(s->c2s, s);
}

static void on_term(evutil_socket_t fd, short what, void *arg)
{
    ed_server *s = arg;
    ed_log_info("signal %d: stopping", (int)fd);
    event_base_loopexit(s->base, NULL);
}

static int drop_privileges(const char *user)
{
    if (!user || geteuid() != 0)
        return 0;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        ed_log_error("user %s: no such user", user);
        return -1;
    }
    if (setgroups(0, NULL) != 0 || setgid(pw->pw_gid) != 0 || setuid(pw->pw_uid) != 0) {
        ed_log_error("cannot drop privileges to %s: %s", user, strerror(errno));
        return -1;
    }
    ed_log_info("running as %s", user);
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = DEFAULT_CONFIG;
    bool check = false;
    int opt;
    while ((opt = getopt(argc, argv, "c:nVh")) != -1) {
        switch (opt) {
        case 'c': path = optarg; break;
        case 'n': check = true; break;
        case 'V': printf("extdiscod %s\n", ED_VERSION); return 0;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc) {
        usage(stderr);
        return 2;
    }

    char err[1024];
    if (check) {
        ed_config *cfg = ed_config_load(path, err, sizeof err);
        ed_registry *reg = cfg ? ed_registry_build(cfg, err, sizeof err) : NULL;
        if (!reg) {
            fprintf(stderr, "%s\n", err);
            ed_config_free(cfg);
            return 1;
        }
        printf("%s: OK (%u services, %u component links, %s)\n", path, cfg->nservices,
               cfg->ncomponents, cfg->c2s ? "standalone server" : "no standalone server");
        ed_registry_free(reg);
        ed_config_free(cfg);
        return 0;
    }

    signal(SIGPIPE, SIG_IGN);
    struct event_base *base = event_base_new();
    if (!base) {
        fprintf(stderr, "extdiscod: cannot create the event loop\n");
        return 1;
    }
    ed_log_setup(ED_LOG_INFO, false, "extdiscod");
    ed_server *s = ed_server_new(base, path, err, sizeof err);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        event_base_free(base);
        return 1;
    }
    ed_log_setup(s->cfg->log.level, s->cfg->log.syslog, "extdiscod");

    int rc = 1;
    if (s->cfg->c2s && !(s->c2s = ed_c2s_start(s, err, sizeof err))) {
        ed_log_error("%s", err);
        goto out;
    }
    if (drop_privileges(s->cfg->user) != 0)
        goto out;
    if (s->cfg->ncomponents && !(s->components = ed_component_start(s))) {
        ed_log_error("cannot start the component links");
        goto out;
    }

    struct event *hup = evsignal_new(base, SIGHUP, on_hup, s);
    struct event *term = evsignal_new(base, SIGTERM, on_term, s);
    struct event *intr = evsignal_new(base, SIGINT, on_term, s);
    if (!hup || !term || !intr || evsignal_add(hup, NULL) || evsignal_add(term, NULL) ||
        evsignal_add(intr, NULL)) {
        ed_log_error("cannot install signal handlers");
        goto out;
    }
    ed_log_info("extdiscod %s started with %s (%u services)", ED_VERSION, path,
                s->cfg->nservices);
    event_base_dispatch(base);
    rc = 0;
    event_free(hup);
    event_free(term);
    event_free(intr);
out:
    ed_component_stop(s->components);
    ed_c2s_stop(s->c2s);
    ed_server_free(s);
    event_base_free(base);
    return rc;
}
