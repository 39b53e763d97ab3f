/* client/watch.c — `extdisco watch`: stay online, print the services, every
 * push as it arrives and every refresh; credentials are fetched for
 * services that come without (XEP-0215 §3.3) and refreshed at half their
 * lifetime, never more often than the floor.  See docs/extdisco.1. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "extdisco/datetime.h"
#include "extdisco/xep0215.h"

/* Failed refreshes in a row (each one floor after the last) before watch
 * gives up. */
#define WATCH_REFRESH_RETRIES 3
#define WATCH_ERR_MAX 600

typedef struct watch_ctx {
    ed_service_view *view;
    const cli_opts *o;
    const char *jid;        /* bound JID (borrowed) or NULL */
    int version;            /* the XEP-0215 version that answered */
    bool need_creds;        /* a push brought services without credentials */
    unsigned long pushes, rejected;
} watch_ctx;

static const char *action_name(ed_action a)
{
    switch (a) {
    case ED_ACTION_ADD: return "add";
    case ED_ACTION_MODIFY: return "modify";
    case ED_ACTION_DELETE: return "delete";
    default: return "-";
    }
}

static void watch_event(const watch_ctx *w, const char *event, ed_action a,
                        const ed_service *s, const char *error)
{
    const cli_opts *o = w->o;
    char now_s[ED_DATETIME_BUFSZ];
    int64_t now = (int64_t)time(NULL);
    ed_datetime_format(now, now_s);
    bool online = strcmp(event, "online") == 0;
    if (o->format == CLI_JSON) {
        jw j;
        jw_init(&j, stdout);
        jw_obj(&j, NULL);
        jw_str(&j, "time", now_s);
        jw_str(&j, "event", event);
        jw_str(&j, "action", s ? action_name(a) : NULL);
        if (s)
            cli_json_service(&j, "service", s);
        else
            jw_null(&j, "service");
        jw_str(&j, "error", error);
        if (w->jid && online)
            jw_str(&j, "jid", w->jid);
        jw_obj_end(&j);
        jw_end(&j);
        return;
    }
    if (!s && w->jid && online) {
        printf("%s online as %s\n", now_s, w->jid);
    } else if (!s) {
        printf("%s %s%s%s\n", now_s, event, error ? ": " : "", error ? error : "");
    } else {
        char exp[80];
        printf("%s %s %-6s %s %s:%d %s%s%s expires %s\n", now_s, event,
               action_name(a), s->type, s->host, s->port,
               s->transport ? s->transport : "-", s->username ? " user " : "",
               s->username ? s->username : "",
               cli_expiry_str(s->expires, now, exp, sizeof exp));
    }
    fflush(stdout);
}

/* Called from the client's event loop: only the view is touched here; a
 * <credentials/> request for what the push brought is left to the main
 * loop (need_creds). */
static ed_err on_push(void *ud, const ed_elem *iq, const ed_elem *payload)
{
    watch_ctx *w = ud;
    (void)iq;
    ed_view_change *ch = NULL;
    size_t nch = 0;
    ed_err err = ed_service_view_apply_push(w->view, payload, (int64_t)time(NULL),
                                            &ch, &nch);
    if (err) {
        w->rejected++;
        watch_event(w, "rejected", ED_ACTION_NONE, NULL, ed_strerror(err));
        return err;
    }
    w->pushes++;
    for (size_t i = 0; i < nch; i++) {
        watch_event(w, "push", ch[i].action, &ch[i].svc, NULL);
        if (ch[i].action != ED_ACTION_DELETE && cli_needs_credentials(&ch[i].svc))
            w->need_creds = true;
    }
    if (!nch)
        watch_event(w, "push-no-change", ED_ACTION_NONE, NULL, NULL);
    ed_view_changes_free(ch, nch);
    return ED_OK;
}

/* <credentials/> for the entries a push brought without; one "credentials"
 * event per entry that got them. */
static void push_credentials(ed_client *c, watch_ctx *w)
{
    size_t n = ed_service_view_count(w->view);
    bool *needed = calloc(n + 1, sizeof *needed);
    if (!needed)
        return;
    for (size_t i = 0; i < n; i++)
        needed[i] = cli_needs_credentials(ed_service_view_get(w->view, i));
    cli_fill_credentials(c, w->o, w->version, w->view, (int64_t)time(NULL));
    /* apply_credentials keeps the order and the count */
    for (size_t i = 0; i < n && i < ed_service_view_count(w->view); i++) {
        const ed_service *s = ed_service_view_get(w->view, i);
        if (needed[i] && !cli_needs_credentials(s))
            watch_event(w, "credentials", ED_ACTION_MODIFY, s, NULL);
    }
    free(needed);
}

/* Ask for the services (and the credentials of those without), apply the
 * result, print what changed.  On failure why[] says why. */
static ed_err watch_fetch(ed_client *c, watch_ctx *w, const char *event,
                          char *why, size_t cap)
{
    ed_elem *reply = NULL;
    int version = w->version;
    /* The snapshot may fall back to :1; a refresh asks what answered it. */
    cli_opts o = *w->o;
    if (strcmp(event, "snapshot") != 0)
        o.version = w->version;
    ed_err err = cli_get_services(c, &o, w->version, &version, &reply);
    if (err) {
        snprintf(why, cap, "%s", ed_client_error(c));
        return err;
    }
    w->version = version;
    /* old set, for the diff */
    size_t nold = 0;
    ed_service *old = cli_view_services(w->view, &nold);
    const ed_elem *p = ed_elem_child(reply, "services", cli_ns(version));
    int64_t now = (int64_t)time(NULL);
    err = old ? ed_service_view_apply_result(w->view, p, now, NULL) : ED_ENOMEM;
    ed_elem_free(reply);
    if (err) {
        ed_services_free(old, nold);
        snprintf(why, cap, "services: %s", ed_strerror(err));
        return err;
    }
    cli_fill_credentials(c, w->o, version, w->view, now);
    size_t nnew = ed_service_view_count(w->view);
    if (strcmp(event, "snapshot") == 0) {
        for (size_t i = 0; i < nnew; i++)
            watch_event(w, event, ED_ACTION_ADD, ed_service_view_get(w->view, i), NULL);
    } else {
        size_t ncur = 0;
        ed_service *cur = cli_view_services(w->view, &ncur);
        ed_service *d = NULL;
        size_t nd = 0;
        if (cur && ed_service_diff(old, nold, cur, ncur, NULL, &d, &nd) == ED_OK) {
            for (size_t i = 0; i < nd; i++)
                watch_event(w, event, d[i].action, &d[i], NULL);
            ed_services_free(d, nd);
        }
        /* credentials renewed even when nothing else changed */
        watch_event(w, "credentials-refreshed", ED_ACTION_NONE, NULL, NULL);
        ed_services_free(cur, ncur);
    }
    ed_services_free(old, nold);
    return ED_OK;
}

static void print_end(const watch_ctx *w)
{
    if (w->o->format != CLI_JSON) {
        printf("watch: %lu push%s applied, %lu rejected; view at the end:\n", w->pushes,
               w->pushes == 1 ? "" : "es", w->rejected);
        for (size_t i = 0; i < ed_service_view_count(w->view); i++)
            watch_event(w, "view", ED_ACTION_NONE, ed_service_view_get(w->view, i), NULL);
        return;
    }
    jw j;
    jw_init(&j, stdout);
    jw_obj(&j, NULL);
    jw_str(&j, "event", "end");
    jw_int(&j, "pushes", (long long)w->pushes);
    jw_int(&j, "rejected", (long long)w->rejected);
    int64_t nr = ed_service_view_next_refresh(w->view);
    char dt[ED_DATETIME_BUFSZ];
    jw_str(&j, "next_refresh", nr && ed_datetime_format(nr, dt) ? dt : NULL);
    jw_arr(&j, "view");
    for (size_t i = 0; i < ed_service_view_count(w->view); i++)
        cli_json_service(&j, NULL, ed_service_view_get(w->view, i));
    jw_arr_end(&j);
    jw_obj_end(&j);
    jw_end(&j);
}

int cli_watch(ed_client *c, const cli_opts *o, long duration, long floor_s)
{
    watch_ctx w = { .o = o, .jid = ed_client_bound_jid(c),
                    .version = o->version ? o->version : 2 };
    char why[WATCH_ERR_MAX] = "";
    if (floor_s < CLI_WATCH_FLOOR_MIN)
        floor_s = CLI_WATCH_FLOOR_MIN;
    w.view = ed_service_view_new();
    if (!w.view || ed_service_view_set_floor(w.view, floor_s) != ED_OK) {
        ed_service_view_free(w.view);
        return CLI_EXIT_CANNOT;
    }
    ed_client_set_push_handler(c, on_push, &w);
    if (o->to)
        ed_client_set_push_source(c, o->to);
    ed_client_send_presence(c);
    watch_event(&w, "online", ED_ACTION_NONE, NULL, NULL);
    ed_err err = watch_fetch(c, &w, "snapshot", why, sizeof why);
    if (err) {
        fprintf(stderr, "extdisco: %s\n", why);
        ed_client_set_push_handler(c, NULL, NULL);
        ed_service_view_free(w.view);
        return cli_exit_for(c, err);
    }
    int64_t end = duration > 0 ? (int64_t)time(NULL) + duration : 0;
    int64_t last_fetch = (int64_t)time(NULL);
    int failures = 0;
    int rc = CLI_EXIT_OK;
    while (!cli_stop) {
        int64_t now = (int64_t)time(NULL);
        if (end && now >= end)
            break;
        if (w.need_creds) {
            w.need_creds = false;
            push_credentials(c, &w);
            continue;
        }
        /* Never more than one services request per floor, whatever the
         * expiry (already expired, or shorter than the floor); after a
         * failure, the next try one floor later. */
        int64_t due = failures ? last_fetch + floor_s
                               : ed_service_view_next_refresh(w.view);
        if (due && due < last_fetch + floor_s)
            due = last_fetch + floor_s;
        if (due && now >= due) {
            last_fetch = now;
            err = watch_fetch(c, &w, "refresh", why, sizeof why);
            if (err == ED_OK) {
                failures = 0;
                continue;
            }
            if (!ed_client_is_connected(c)) {
                watch_event(&w, "disconnected", ED_ACTION_NONE, NULL, why);
                rc = CLI_EXIT_CANNOT;
                break;
            }
            watch_event(&w, "refresh-failed", ED_ACTION_NONE, NULL, why);
            if (++failures > WATCH_REFRESH_RETRIES) {
                fprintf(stderr, "extdisco: %s (%d refreshes failed in a row)\n", why,
                        failures);
                rc = cli_exit_for(c, err);
                break;
            }
            continue;
        }
        if (ed_client_run(c, 500) != ED_OK) {
            watch_event(&w, "disconnected", ED_ACTION_NONE, NULL, ed_client_error(c));
            rc = CLI_EXIT_CANNOT;
            break;
        }
    }
    ed_client_set_push_handler(c, NULL, NULL);
    print_end(&w);
    ed_service_view_free(w.view);
    return rc;
}
