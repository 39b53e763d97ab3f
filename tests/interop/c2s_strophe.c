/* tests/interop/c2s_strophe.c — libstrophe logs in to extdiscod's standalone
 * server over direct TLS (XEP-0368) and asks XEP-0279 sic:1 and XEP-0215
 * services.
 *
 *   c2s_strophe HOST PORT JID PASSWORD
 *
 * Prints "secured", "sic IP PORT" and "services N"; exit 0 when the login
 * worked over TLS and both answers came, 1 otherwise.  Bounded: 20 s. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <strophe.h>

static int got_sic, got_services, secured, failed, disconnecting;

static void finish(xmpp_conn_t *conn)
{
    if (!disconnecting) {
        disconnecting = 1;
        xmpp_disconnect(conn);
    }
}

static int on_sic(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    xmpp_stanza_t *a = xmpp_stanza_get_child_by_ns(st, "urn:xmpp:sic:1");
    xmpp_stanza_t *ip = a ? xmpp_stanza_get_child_by_name(a, "ip") : NULL;
    xmpp_stanza_t *port = a ? xmpp_stanza_get_child_by_name(a, "port") : NULL;
    char *ipt = ip ? xmpp_stanza_get_text(ip) : NULL;
    char *pt = port ? xmpp_stanza_get_text(port) : NULL;
    if (ipt && pt && strcmp(xmpp_stanza_get_type(st), "result") == 0) {
        printf("sic %s %s\n", ipt, pt);
        got_sic = 1;
    } else {
        failed = 1;
    }
    xmpp_ctx_t *ctx = ud;
    xmpp_free(ctx, ipt);
    xmpp_free(ctx, pt);
    if (got_services || failed)
        finish(conn);
    return 0;
}

static int on_services(xmpp_conn_t *conn, xmpp_stanza_t *st, void *ud)
{
    xmpp_stanza_t *s = xmpp_stanza_get_child_by_ns(st, "urn:xmpp:extdisco:2");
    int n = 0;
    for (xmpp_stanza_t *c = s ? xmpp_stanza_get_children(s) : NULL; c;
         c = xmpp_stanza_get_next(c))
        if (xmpp_stanza_get_name(c) && strcmp(xmpp_stanza_get_name(c), "service") == 0)
            n++;
    printf("services %d\n", n);
    if (n > 0)
        got_services = 1;
    else
        failed = 1;
    if (got_sic || failed)
        finish(conn);
    return 0;
}

static void send_iq(xmpp_conn_t *conn, xmpp_ctx_t *ctx, const char *id, const char *to,
                    const char *name, const char *ns, xmpp_handler h)
{
    xmpp_stanza_t *iq = xmpp_iq_new(ctx, "get", id);
    if (to)
        xmpp_stanza_set_to(iq, to);
    xmpp_stanza_t *q = xmpp_stanza_new(ctx);
    xmpp_stanza_set_name(q, name);
    xmpp_stanza_set_ns(q, ns);
    xmpp_stanza_add_child(iq, q);
    xmpp_stanza_release(q);
    xmpp_id_handler_add(conn, h, id, ctx);
    xmpp_send(conn, iq);
    xmpp_stanza_release(iq);
}

static void on_conn(xmpp_conn_t *conn, xmpp_conn_event_t status, int error,
                    xmpp_stream_error_t *stream_error, void *ud)
{
    xmpp_ctx_t *ctx = ud;
    if (status == XMPP_CONN_CONNECT) {
        secured = xmpp_conn_is_secured(conn);
        printf(secured ? "secured\n" : "NOT secured\n");
        const char *jid = xmpp_conn_get_bound_jid(conn);
        printf("bound %s\n", jid ? jid : "?");
        send_iq(conn, ctx, "sic1", NULL, "address", "urn:xmpp:sic:1", on_sic);
        char dom[256];
        const char *at = strchr(jid, '@'), *sl = strchr(jid, '/');
        snprintf(dom, sizeof dom, "%.*s", (int)((sl ? sl : jid + strlen(jid)) - at - 1), at + 1);
        send_iq(conn, ctx, "svc1", dom, "services", "urn:xmpp:extdisco:2", on_services);
    } else {
        if (!got_sic)
            fprintf(stderr, "disconnected (error %d)\n", error);
        xmpp_stop(ctx);
    }
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: c2s_strophe HOST PORT JID PASSWORD\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    xmpp_initialize();
    xmpp_log_t *log = getenv("STROPHE_DEBUG") ? xmpp_get_default_logger(XMPP_LEVEL_DEBUG) : NULL;
    xmpp_ctx_t *ctx = xmpp_ctx_new(NULL, log);
    xmpp_conn_t *conn = xmpp_conn_new(ctx);
    xmpp_conn_set_flags(conn, XMPP_CONN_FLAG_LEGACY_SSL | XMPP_CONN_FLAG_TRUST_TLS);
    xmpp_conn_set_jid(conn, argv[3]);
    xmpp_conn_set_pass(conn, argv[4]);
    if (xmpp_connect_client(conn, argv[1], (unsigned short)atoi(argv[2]), on_conn, ctx) !=
        XMPP_EOK) {
        fprintf(stderr, "connect failed\n");
        return 1;
    }
    time_t end = time(NULL) + 20;
    while (time(NULL) < end && !(got_sic && got_services) && !failed) {
        xmpp_run_once(ctx, 100);
        if (!xmpp_conn_is_connecting(conn) && !xmpp_conn_is_connected(conn))
            break;
    }
    if (xmpp_conn_is_connected(conn)) {
        finish(conn);
        for (int i = 0; i < 20 && xmpp_conn_is_connected(conn); i++)
            xmpp_run_once(ctx, 50);
    }
    xmpp_conn_release(conn);
    xmpp_ctx_free(ctx);
    xmpp_shutdown();
    return secured && got_sic && got_services ? 0 : 1;
}
