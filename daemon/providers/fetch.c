/* daemon/providers/fetch.c — see fetch.h.  The libcurl multi interface on a
 * libevent loop, as in libcurl's hiperfifo example: curl's socket callback
 * adds, changes or removes one libevent event per socket; its timer
 * callback arms one libevent timer; both events call
 * curl_multi_socket_action(), after which finished transfers are read with
 * curl_multi_info_read() and reported. */
#include "providers/fetch.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

struct edd_fetch {
    struct event_base *base;
    CURLM *multi;
    struct event *timer;
    edd_fetch_req *reqs;   /* in flight, doubly linked */
};

struct edd_fetch_req {
    edd_fetch *h;
    CURL *easy;
    struct curl_slist *headers;
    char *userpwd;         /* secret: wiped */
    char *body;
    char *resp;
    size_t resp_len, resp_cap, max_bytes;
    bool too_big;
    char errbuf[CURL_ERROR_SIZE];
    edd_fetch_done_fn done;
    void *arg;
    edd_fetch_req *prev, *next;
};

/* One watched socket. */
typedef struct sock {
    struct event *ev;
    curl_socket_t fd;
} sock;

static void wipe_slist(struct curl_slist *l)
{
    for (struct curl_slist *p = l; p; p = p->next)
        if (p->data)
            explicit_bzero(p->data, strlen(p->data));
    curl_slist_free_all(l);
}

static void req_free(edd_fetch_req *q)
{
    edd_fetch *h = q->h;
    if (q->prev)
        q->prev->next = q->next;
    else
        h->reqs = q->next;
    if (q->next)
        q->next->prev = q->prev;
    if (q->easy) {
        curl_multi_remove_handle(h->multi, q->easy);
        curl_easy_cleanup(q->easy);
    }
    wipe_slist(q->headers);
    if (q->userpwd) {
        explicit_bzero(q->userpwd, strlen(q->userpwd));
        free(q->userpwd);
    }
    free(q->body);
    free(q->resp);
    free(q);
}

/* Report every finished transfer. */
static void check_done(edd_fetch *h)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(h->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        edd_fetch_req *q = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&q);
        if (!q)
            continue;
        CURLcode rc = m->data.result;
        long status = 0;
        curl_easy_getinfo(q->easy, CURLINFO_RESPONSE_CODE, &status);
        char why[CURL_ERROR_SIZE + 64];
        const char *err = NULL;
        if (q->too_big) {
            snprintf(why, sizeof why, "response larger than %zu bytes", q->max_bytes);
            err = why;
        } else if (rc == CURLE_OPERATION_TIMEDOUT) {
            err = "timeout";
        } else if (rc != CURLE_OK) {
            snprintf(why, sizeof why, "%s", q->errbuf[0] ? q->errbuf : curl_easy_strerror(rc));
            err = why;
        }
        /* the request is over before its owner hears of it */
        edd_fetch_done_fn done = q->done;
        void *arg = q->arg;
        char *body = q->resp;
        size_t len = q->resp_len;
        q->resp = NULL;
        req_free(q);
        done(arg, err ? 0 : status, body ? body : "", err ? 0 : len, err);
        free(body);
    }
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
    edd_fetch *h = arg;
    int running;
    curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(h);
}

static void on_sock(evutil_socket_t fd, short what, void *arg)
{
    edd_fetch *h = arg;
    int flags = (what & EV_READ ? CURL_CSELECT_IN : 0) | (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
    int running;
    curl_multi_socket_action(h->multi, fd, flags, &running);
    check_done(h);
}

static int sock_cb(CURL *e, curl_socket_t fd, int what, void *userp, void *sockp)
{
    edd_fetch *h = userp;
    sock *s = sockp;
    if (what == CURL_POLL_REMOVE) {
        if (s) {
            event_free(s->ev);
            free(s);
            curl_multi_assign(h->multi, fd, NULL);
        }
        return 0;
    }
    short kind = (short)((what & CURL_POLL_IN ? EV_READ : 0) |
                         (what & CURL_POLL_OUT ? EV_WRITE : 0) | EV_PERSIST);
    if (!s) {
        if (!(s = calloc(1, sizeof *s)))
            return -1;
        s->fd = fd;
        curl_multi_assign(h->multi, fd, s);
    } else {
        event_free(s->ev);
    }
    s->ev = event_new(h->base, fd, kind, on_sock, h);
    if (!s->ev || event_add(s->ev, NULL) != 0)
        return -1;
    return 0;
}

static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
    edd_fetch *h = userp;
    if (timeout_ms < 0) {
        evtimer_del(h->timer);
        return 0;
    }
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    return evtimer_add(h->timer, &tv) == 0 ? 0 : -1;
}

static size_t write_cb(char *ptr, size_t size, size_t n, void *userp)
{
    edd_fetch_req *q = userp;
    size_t len = size * n;
    if (len > q->max_bytes - q->resp_len) {
        q->too_big = true;
        return 0; /* CURLE_WRITE_ERROR: the transfer stops */
    }
    if (q->resp_len + len + 1 > q->resp_cap) {
        size_t cap = q->resp_cap ? q->resp_cap : 4096;
        while (cap < q->resp_len + len + 1)
            cap *= 2;
        char *r = realloc(q->resp, cap);
        if (!r)
            return 0;
        q->resp = r;
        q->resp_cap = cap;
    }
    memcpy(q->resp + q->resp_len, ptr, len);
    q->resp_len += len;
    q->resp[q->resp_len] = '\0';
    return len;
}

edd_fetch *edd_fetch_new(struct event_base *base)
{
    static bool inited;
    if (!inited) {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
            return NULL;
        inited = true;
    }
    edd_fetch *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->base = base;
    if (!(h->multi = curl_multi_init()) || !(h->timer = evtimer_new(base, on_timer, h))) {
        edd_fetch_free(h);
        return NULL;
    }
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
    curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
    curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
    return h;
}

void edd_fetch_free(edd_fetch *h)
{
    if (!h)
        return;
    while (h->reqs)
        req_free(h->reqs);
    if (h->multi)
        curl_multi_cleanup(h->multi); /* removes the sockets through sock_cb */
    if (h->timer)
        event_free(h->timer);
    free(h);
}

void edd_fetch_cancel(edd_fetch_req *q)
{
    if (q)
        req_free(q);
}

edd_fetch_req *edd_fetch_start(edd_fetch *h, const edd_prov_request *r,
                             edd_fetch_done_fn done, void *arg)
{
    edd_fetch_req *q = calloc(1, sizeof *q);
    if (!q)
        return NULL;
    q->h = h;
    q->done = done;
    q->arg = arg;
    q->max_bytes = r->max_bytes ? r->max_bytes : 65536;
    q->next = h->reqs;
    if (h->reqs)
        h->reqs->prev = q;
    h->reqs = q;
    if (!(q->easy = curl_easy_init()))
        goto fail;
    CURL *e = q->easy;
    bool ok = curl_easy_setopt(e, CURLOPT_URL, r->url) == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https") == CURLE_OK &&
              curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https") == CURLE_OK;
    if (!ok)
        goto fail;
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)q);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, q->errbuf);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms > 0 ? r->timeout_ms : 10000L);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, r->timeout_ms > 0 ? r->timeout_ms : 10000L);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)q->max_bytes);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, q);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "extdiscod");
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, NULL); /* no decompression bombs */
    if (r->ca_file)
        curl_easy_setopt(e, CURLOPT_CAINFO, r->ca_file);
    struct curl_slist *l = curl_slist_append(NULL, "Accept: application/json");
    if (!l)
        goto fail;
    q->headers = l;
    if (r->post) {
        if (!(q->body = strdup(r->body ? r->body : "")))
            goto fail;
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, q->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)strlen(q->body));
        char ct[256];
        snprintf(ct, sizeof ct, "Content-Type: %s",
                 r->content_type ? r->content_type : "application/json");
        if (!(l = curl_slist_append(q->headers, ct)))
            goto fail;
        /* no "Expect: 100-continue" round trip */
        if (!(l = curl_slist_append(q->headers, "Expect:")))
            goto fail;
    } else {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    if (r->auth_line && !(l = curl_slist_append(q->headers, r->auth_line)))
        goto fail;
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, q->headers);
    if (r->userpwd) {
        if (!(q->userpwd = strdup(r->userpwd)))
            goto fail;
        curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(e, CURLOPT_USERPWD, q->userpwd);
    }
    if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
        goto fail;
    return q;
fail:
    req_free(q);
    return NULL;
}
