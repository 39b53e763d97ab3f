/* client/main.c — the `extdisco` command: ask an XMPP server for its
 * external services (XEP-0215) and the IP check (XEP-0279), and prove that
 * what it hands out works.  See docs/extdisco.1. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "extdisco/extdisco.h"
#include "extdisco/service_view.h"
#include "extdisco/xep0215.h"

#define PASSWORD_MAX 1024

volatile sig_atomic_t cli_stop;

static void on_signal(int sig)
{
    (void)sig;
    cli_stop = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: extdisco [OPTIONS] COMMAND [COMMAND OPTIONS]\n"
        "commands:\n"
        "  info                         disco#info: extdisco:2/:1, sic:1/:0 present?\n"
        "  services [--type T]          list the external services\n"
        "  credentials --host H --type T [--port P] [--transport X]\n"
        "  ip                           XEP-0279 IP check (sic:1, then sic:0)\n"
        "  check [--type T] [--strict] [--ipv4|--ipv6]\n"
        "                               test every STUN/TURN service (each\n"
        "                               address family of a dual-stack host)\n"
        "  watch [--type T] [--duration S] [--floor S]\n"
        "                               stay online, print pushes and refreshes\n"
        "options:\n"
        "  --jid JID                    account (required)\n"
        "  --password-file FILE         password (first line); default: stdin\n"
        "  --server HOST[:PORT]         connect here instead of the SRV lookup\n"
        "  --direct-tls                 TLS from the first byte (default STARTTLS)\n"
        "  --ca-file FILE               trusted CAs (XMPP and turns/stuns checks)\n"
        "  --insecure                   do not verify certificates\n"
        "  --to JID                     ask this entity instead of the domain\n"
        "  --v1                         use urn:xmpp:extdisco:1\n"
        "  --timeout SECONDS            per step (default 10)\n"
        "  --json | --ice-servers | --uris   output format (default: table)\n"
        "  --show-secrets               show passwords in tables\n"
        "  --debug                      XMPP protocol log on stderr\n"
        "  -h, --help                   print this help and exit\n"
        "  -V, --version                print the version and exit\n"
        "exit: 0 all good, 1 some service or request failed, 2 could not ask\n");
}

static int bad_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int bad_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "extdisco: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(extdisco --help for usage)\n");
    return CLI_EXIT_CANNOT;
}

/* Read the first line of f into buf; strips the newline (and a CR before
 * it).  -1: nothing at all, -2: longer than cap - 2 bytes, -3: a NUL byte
 * (a password is a C string: cutting it there would log in with another). */
static int read_line(FILE *f, char *buf, size_t cap)
{
    size_t n = 0;
    int c = EOF;
    while (n + 1 < cap && (c = getc(f)) != EOF && c != '\n') {
        if (c == 0)
            return -3;
        buf[n++] = (char)c;
    }
    buf[n] = 0;
    if (c == EOF && n == 0)
        return -1;
    if (n + 1 == cap && c != '\n' && (c = getc(f)) != EOF && c != '\n')
        return -2; /* too long */
    if (n && buf[n - 1] == '\r')
        buf[--n] = 0;
    return 0;
}

static int read_password(const char *file, char *buf, size_t cap)
{
    int rc;
    if (file && strcmp(file, "-") != 0) {
        FILE *f = fopen(file, "r");
        if (!f) {
            fprintf(stderr, "extdisco: %s: %s\n", file, strerror(errno));
            return -1;
        }
        rc = read_line(f, buf, cap);
        fclose(f);
    } else {
        bool tty = isatty(STDIN_FILENO);
        struct termios old, quiet;
        if (tty) {
            fprintf(stderr, "password: ");
            tcgetattr(STDIN_FILENO, &old);
            quiet = old;
            quiet.c_lflag &= ~(tcflag_t)ECHO;
            tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
        }
        rc = read_line(stdin, buf, cap);
        if (tty) {
            tcsetattr(STDIN_FILENO, TCSANOW, &old);
            fprintf(stderr, "\n");
        }
    }
    if (rc == -2)
        fprintf(stderr, "extdisco: password longer than %zu bytes\n", cap - 2);
    else if (rc == -3)
        fprintf(stderr, "extdisco: the password contains a NUL byte (refused)\n");
    else if (rc)
        fprintf(stderr, "extdisco: no password given (--password-file or stdin)\n");
    return rc;
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || !*s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* "host", "host:port", "[v6]:port", "[v6]" */
static int parse_server(const char *s, char *host, size_t cap, unsigned short *port)
{
    const char *start = s, *colon = NULL;
    size_t hl;
    *port = 0;
    if (*s == '[') {
        const char *end = strchr(s, ']');
        if (!end)
            return -1;
        start = s + 1;
        hl = (size_t)(end - start);
        if (end[1] == ':')
            colon = end + 1;
        else if (end[1])
            return -1;
    } else {
        colon = strrchr(s, ':');
        if (colon && strchr(s, ':') != colon)
            colon = NULL; /* bare IPv6 without brackets: no port */
        hl = colon ? (size_t)(colon - s) : strlen(s);
    }
    if (!hl || hl >= cap)
        return -1;
    memcpy(host, start, hl);
    host[hl] = 0;
    if (colon) {
        long p;
        if (parse_int(colon + 1, 1, 65535, &p))
            return -1;
        *port = (unsigned short)p;
    }
    return 0;
}

/* --- info / services / credentials / ip ----------------------------------- */

static int cmd_info(ed_client *c, const cli_opts *o)
{
    unsigned feats = 0;
    ed_elem *reply = NULL;
    const char *entity = o->to ? o->to : ed_client_domain(c);
    ed_err err = ed_client_disco_info(c, o->to, &feats, &reply);
    if (err) {
        fprintf(stderr, "extdisco: %s\n", ed_client_error(c));
        return cli_exit_for(c, err);
    }
    ed_elem *q = ed_elem_child(reply, "query", ED_NS_DISCO_INFO);
    static const struct { unsigned bit; const char *name, *ns; } F[] = {
        {ED_FEAT_EXTDISCO2, "extdisco:2", ED_NS_EXTDISCO2},
        {ED_FEAT_EXTDISCO1, "extdisco:1", ED_NS_EXTDISCO1},
        {ED_FEAT_SIC1, "sic:1", ED_NS_SIC1},
        {ED_FEAT_SIC0, "sic:0", ED_NS_SIC0},
    };
    if (o->format == CLI_JSON) {
        jw w;
        jw_init(&w, stdout);
        jw_obj(&w, NULL);
        jw_str(&w, "entity", entity);
        jw_obj(&w, "features");
        for (size_t i = 0; i < 4; i++)
            jw_bool(&w, F[i].name, feats & F[i].bit);
        jw_obj_end(&w);
        jw_arr(&w, "all_features");
        for (ed_elem *f = q ? ed_elem_child(q, "feature", NULL) : NULL; f;
             f = ed_elem_next(f, "feature", NULL))
            if (ed_elem_attr(f, "var"))
                jw_str(&w, NULL, ed_elem_attr(f, "var"));
        jw_arr_end(&w);
        jw_obj_end(&w);
        jw_end(&w);
    } else {
        printf("disco#info of %s\n", entity);
        for (size_t i = 0; i < 4; i++)
            printf("  %-11s %-3s %s\n", F[i].name, (feats & F[i].bit) ? "yes" : "no",
                   F[i].ns);
    }
    ed_elem_free(reply);
    return (feats & (ED_FEAT_EXTDISCO2 | ED_FEAT_EXTDISCO1)) ? CLI_EXIT_OK
                                                          : CLI_EXIT_FAILED;
}

/* services v2 (or v1 with --v1; without --v1, :1 when :2 is answered with
 * an error), then one <credentials/> request for the services that came
 * without credentials (XEP-0215 §3.3). */
static int cmd_services(ed_client *c, const cli_opts *o)
{
    const char *entity = o->to ? o->to : ed_client_domain(c);
    int version;
    ed_elem *reply = NULL;
    ed_err err = cli_get_services(c, o, o->version ? o->version : 2, &version, &reply);
    if (err) {
        fprintf(stderr, "extdisco: %s\n", ed_client_error(c));
        /* Answered with a stanza error (or no <services/>): asked, and it
         * failed (exit 1, as extdisco(1) documents); no answer at all:
         * could not ask. */
        return cli_exit_for(c, err);
    }
    int64_t now = (int64_t)time(NULL);
    size_t skipped = 0, n = 0;
    ed_service *v = NULL;
    ed_service_view *view = ed_service_view_new();
    err = view ? ed_service_view_apply_result(view, ed_elem_child(reply, "services",
                                                                  cli_ns(version)),
                                              now, &skipped)
               : ED_ENOMEM;
    ed_elem_free(reply);
    if (!err) {
        cli_fill_credentials(c, o, version, view, now);
        if (!(v = cli_view_services(view, &n)))
            err = ED_ENOMEM;
    }
    ed_service_view_free(view);
    if (err) {
        fprintf(stderr, "extdisco: services: %s\n", ed_strerror(err));
        return err == ED_ENOMEM ? CLI_EXIT_CANNOT : CLI_EXIT_FAILED;
    }
    cli_print_services(stdout, o, entity, cli_ns(version), v, n, skipped,
                       (int64_t)time(NULL));
    ed_services_free(v, n);
    if (!n) {
        fprintf(stderr, "extdisco: %s advertises no services%s%s\n", entity,
                o->type ? " of type " : "", o->type ? o->type : "");
        return CLI_EXIT_FAILED;
    }
    return CLI_EXIT_OK;
}

/* Keep the services whose transport is absent or equals transport (case
 * insensitive), in order; the others are cleared.  Returns the new count. */
static size_t keep_transport(ed_service *v, size_t n, const char *transport)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i].transport && strcasecmp(v[i].transport, transport) != 0) {
            ed_service_clear(&v[i]);
            continue;
        }
        if (k != i) {
            v[k] = v[i];
            ed_service_init(&v[i]);
        }
        k++;
    }
    return k;
}

static int cmd_credentials(ed_client *c, const cli_opts *o, const char *host,
                           long port, const char *transport)
{
    ed_service want;
    ed_service_init(&want);
    want.type = (char *)o->type;
    want.host = (char *)host;
    want.port = (int)port;
    want.transport = (char *)transport;
    int version;
    ed_service *v = NULL;
    size_t n = 0;
    ed_elem *reply = NULL;
    ed_err err = cli_get_credentials(c, o, o->version ? o->version : 2, &want, 1,
                                     &version, &v, &n, &reply);
    if (err) {
        fprintf(stderr, "extdisco: %s\n", ed_client_error(c));
        /* The server answered with an error (e.g. item-not-found): the
         * request was made and failed. */
        return cli_exit_for(c, err);
    }
    if (!n && transport) {
        /* ejabberd 23.01 matches nothing when the request names a
         * transport: ask again without it and filter here. */
        ed_services_free(v, n);
        ed_elem_free(reply);
        v = NULL;
        reply = NULL;
        want.transport = NULL;
        if ((err = ed_client_credentials(c, o->to, version, &want, 1, &v, &n, &reply))) {
            fprintf(stderr, "extdisco: %s\n", ed_client_error(c));
            return cli_exit_for(c, err);
        }
        n = keep_transport(v, n, transport);
        if (n)
            fprintf(stderr, "extdisco: note: nothing matched with transport='%s'; "
                    "matched without it (ejabberd 23.01 behaviour)\n", transport);
    } else if (transport) {
        /* Servers that match on host/type/port only (extdiscod, XEP-0215
         * names no transport matching) also return the other transports
         * of that host:port: keep what was asked for. */
        size_t before = n;
        n = keep_transport(v, n, transport);
        if (n != before)
            fprintf(stderr, "extdisco: note: the answer also held %zu service(s) with "
                    "another transport; left out\n", before - n);
    }
    if (!ed_elem_child(reply, "credentials", NULL))
        fprintf(stderr, "extdisco: note: %s answered <credentials/> with <services/> "
                "(as ejabberd 23.01 does); accepted\n", o->to ? o->to : ed_client_domain(c));
    ed_elem_free(reply);
    cli_print_services(stdout, o, o->to ? o->to : ed_client_domain(c),
                       cli_ns(version), v, n, 0, (int64_t)time(NULL));
    int rc = n ? CLI_EXIT_OK : CLI_EXIT_FAILED;
    if (!n)
        fprintf(stderr, "extdisco: no credentials returned\n");
    ed_services_free(v, n);
    return rc;
}

static int cmd_ip(ed_client *c, const cli_opts *o)
{
    char ip[ED_SIC_IP_MAX];
    int port = -1;
    const char *ns = NULL;
    if (ed_client_ip_check(c, o->to, ip, &port, &ns)) {
        fprintf(stderr, "extdisco: %s\n", ed_client_error(c));
        return ed_client_is_connected(c) ? CLI_EXIT_FAILED : CLI_EXIT_CANNOT;
    }
    if (o->format == CLI_JSON) {
        jw w;
        jw_init(&w, stdout);
        jw_obj(&w, NULL);
        jw_str(&w, "entity", o->to ? o->to : ed_client_domain(c));
        jw_str(&w, "namespace", ns);
        jw_str(&w, "ip", ip);
        if (port >= 0)
            jw_int(&w, "port", port);
        else
            jw_null(&w, "port");
        jw_obj_end(&w);
        jw_end(&w);
    } else if (port >= 0) {
        printf("%s port %d (%s)\n", ip, port, ns);
    } else {
        printf("%s (%s)\n", ip, ns);
    }
    return CLI_EXIT_OK;
}

/* --- main ----------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    cli_opts o = { .format = CLI_TABLE, .timeout_ms = ED_CLIENT_TIMEOUT_MS };
    ed_client_opts co = { 0 };
    const char *cmd = NULL, *password_file = NULL, *host = NULL, *transport = NULL;
    const char *server = NULL;
    long port = -1, duration = 0, floor_s = ED_VIEW_REFRESH_FLOOR;
    int nformats = 0;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
#define NEED_ARG() \
        do { if (i + 1 >= argc) return bad_usage("%s needs an argument", a); } while (0)
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
            printf("extdisco %s\n", ED_VERSION);
            return 0;
        } else if (strcmp(a, "--jid") == 0) {
            NEED_ARG(); co.jid = argv[++i];
        } else if (strcmp(a, "--password") == 0) {
            return bad_usage("%s: passwords are never taken from the command line "
                             "(use --password-file or stdin)", a);
        } else if (strcmp(a, "--password-file") == 0) {
            NEED_ARG(); password_file = argv[++i];
        } else if (strcmp(a, "--server") == 0) {
            NEED_ARG(); server = argv[++i];
        } else if (strcmp(a, "--direct-tls") == 0) {
            co.direct_tls = true;
        } else if (strcmp(a, "--insecure") == 0) {
            co.insecure = o.insecure = true;
        } else if (strcmp(a, "--ca-file") == 0) {
            NEED_ARG(); co.ca_file = o.ca_file = argv[++i];
        } else if (strcmp(a, "--to") == 0) {
            NEED_ARG(); o.to = argv[++i];
        } else if (strcmp(a, "--v1") == 0) {
            o.version = 1;
        } else if (strcmp(a, "--timeout") == 0) {
            long t;
            NEED_ARG();
            if (parse_int(argv[++i], 1, 300, &t))
                return bad_usage("--timeout: 1..300 seconds, not '%s'", argv[i]);
            o.timeout_ms = (int)t * 1000;
        } else if (strcmp(a, "--json") == 0) {
            o.format = CLI_JSON; nformats++;
        } else if (strcmp(a, "--ice-servers") == 0) {
            o.format = CLI_ICE; nformats++;
        } else if (strcmp(a, "--uris") == 0) {
            o.format = CLI_URIS; nformats++;
        } else if (strcmp(a, "--show-secrets") == 0) {
            o.show_secrets = true;
        } else if (strcmp(a, "--strict") == 0) {
            o.strict = true;
        } else if (strcmp(a, "--ipv4") == 0) {
            o.family = 4;
        } else if (strcmp(a, "--ipv6") == 0) {
            o.family = 6;
        } else if (strcmp(a, "--debug") == 0) {
            co.debug = true;
        } else if (strcmp(a, "--type") == 0) {
            NEED_ARG(); o.type = argv[++i];
        } else if (strcmp(a, "--host") == 0) {
            NEED_ARG(); host = argv[++i];
        } else if (strcmp(a, "--port") == 0) {
            NEED_ARG();
            if (parse_int(argv[++i], 0, 65535, &port))
                return bad_usage("--port: 0..65535, not '%s'", argv[i]);
        } else if (strcmp(a, "--transport") == 0) {
            NEED_ARG(); transport = argv[++i];
        } else if (strcmp(a, "--duration") == 0) {
            NEED_ARG();
            if (parse_int(argv[++i], 1, LONG_MAX / 2, &duration))
                return bad_usage("--duration: seconds > 0, not '%s'", argv[i]);
        } else if (strcmp(a, "--floor") == 0) {
            NEED_ARG();
            if (parse_int(argv[++i], CLI_WATCH_FLOOR_MIN, 86400, &floor_s))
                return bad_usage("--floor: %d..86400 seconds, not '%s'",
                                 CLI_WATCH_FLOOR_MIN, argv[i]);
        } else if (a[0] == '-') {
            return bad_usage("unknown option %s", a);
        } else if (!cmd) {
            cmd = a;
        } else {
            return bad_usage("unexpected argument %s", a);
        }
#undef NEED_ARG
    }
    if (!cmd)
        return bad_usage("no command given%s", "");
    static const char *const cmds[] = {"info", "services", "credentials", "ip",
                                       "check", "watch"};
    bool known = false;
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        known |= strcmp(cmd, cmds[i]) == 0;
    if (!known)
        return bad_usage("unknown command %s", cmd);
    if (nformats > 1)
        return bad_usage("choose one of --json, --ice-servers, --uris%s", "");
    if ((o.format == CLI_ICE || o.format == CLI_URIS) && strcmp(cmd, "services") != 0 &&
        strcmp(cmd, "credentials") != 0)
        return bad_usage("--ice-servers/--uris apply to services and credentials, "
                         "not %s", cmd);
    if (strcmp(cmd, "credentials") == 0 && (!host || !o.type))
        return bad_usage("credentials needs --host and --type%s", "");
    if (!co.jid)
        return bad_usage("--jid is required%s", "");
    char hostbuf[256];
    if (server) {
        if (parse_server(server, hostbuf, sizeof hostbuf, &co.port))
            return bad_usage("--server: HOST[:PORT], not '%s'", server);
        co.server = hostbuf;
    }
    char password[PASSWORD_MAX];
    if (read_password(password_file, password, sizeof password))
        return CLI_EXIT_CANNOT;
    co.password = password;
    co.timeout_ms = o.timeout_ms;

    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);

    ed_client *c = ed_client_new(&co);
    memset(password, 0, sizeof password);
    if (!c) {
        fprintf(stderr, "extdisco: invalid --jid '%s' (need user@domain)\n", co.jid);
        return CLI_EXIT_CANNOT;
    }
    if (ed_client_connect(c)) {
        fprintf(stderr, "extdisco: %s\n", ed_client_error(c));
        ed_client_free(c);
        return CLI_EXIT_CANNOT;
    }
    int rc;
    if (strcmp(cmd, "info") == 0)
        rc = cmd_info(c, &o);
    else if (strcmp(cmd, "services") == 0)
        rc = cmd_services(c, &o);
    else if (strcmp(cmd, "credentials") == 0)
        rc = cmd_credentials(c, &o, host, port, transport);
    else if (strcmp(cmd, "ip") == 0)
        rc = cmd_ip(c, &o);
    else if (strcmp(cmd, "check") == 0)
        rc = cli_check(c, &o);
    else
        rc = cli_watch(c, &o, duration, floor_s);
    ed_client_free(c);
    return rc;
}
