/* libFuzzer target: the WebSocket input path of extdiscod's websocket
 * listener, as transport_ws.c drives it, without sockets.  The input is
 * what a client sends: the HTTP request (ws_http.c, answered or upgraded),
 * then frames read by wslay's server context from the rest of the input in
 * seed-chosen chunk sizes, each text message translated by ws_xmpp.c and
 * fed to the session's XML stream parser with the daemon's default
 * limits, every event taken (ed_xml_stream_next) until NONE or an error.
 * Also checks: an upgrade consumes exactly the request (ending in a blank
 * line) and a response always starts with a status line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <wslay/wslay.h>

#include <extdisco/xml.h>

#include "c2s/ws.h"

typedef struct fz {
    const uint8_t *p;
    size_t n, chunk;
    ed_xml_stream *xs;
    bool broken; /* the parser reported an error: the session would close */
    ed_buf out;  /* what the server wrote (pongs, close): discarded */
} fz;

static ssize_t rd(wslay_event_context_ptr ctx, uint8_t *buf, size_t len, int flags, void *ud)
{
    (void)flags;
    fz *f = ud;
    size_t k = len < f->chunk ? len : f->chunk;
    if (k > f->n)
        k = f->n;
    if (k == 0) {
        wslay_event_set_error(ctx, WSLAY_ERR_WOULDBLOCK);
        return -1;
    }
    memcpy(buf, f->p, k);
    f->p += k;
    f->n -= k;
    return (ssize_t)k;
}

static ssize_t wr(wslay_event_context_ptr ctx, const uint8_t *data, size_t len, int flags, void *ud)
{
    (void)ctx, (void)flags;
    fz *f = ud;
    ed_buf_reset(&f->out);
    ed_buf_append(&f->out, data, len);
    return (ssize_t)len;
}

static void feed(fz *f, const char *p, size_t n)
{
    if (f->broken)
        return;
    ed_err e = ed_xml_stream_feed(f->xs, p, n);
    ed_xml_event ev;
    while (e == ED_OK && (e = ed_xml_stream_next(f->xs, &ev)) == ED_OK && ev.type != ED_XML_EV_NONE)
        if (ev.type == ED_XML_EV_STANZA)
            ed_elem_free(ev.elem);
    if (e != ED_OK)
        f->broken = true;
}

static void msg(wslay_event_context_ptr ctx, const struct wslay_event_on_msg_recv_arg *m, void *ud)
{
    (void)ctx;
    fz *f = ud;
    if (m->opcode != WSLAY_TEXT_FRAME)
        return;
    ed_buf b = {0};
    if (edd_ws_message_in((const char *)m->msg, m->msg_length, &b))
        feed(f, b.data, b.len);
    else
        feed(f, (const char *)m->msg, m->msg_length);
    ed_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static edd_ws_conf *conf;
    if (!conf) {
        char *origins[] = {"https://app.example"};
        conf = edd_ws_conf_new("/xmpp-websocket", origins, 1, true);
    }
    fz f = {.chunk = 1 + data[0] % 64};
    data++, size--;
    ed_buf resp = {0};
    size_t used = 0;
    const char *why;
    edd_ws_http r = edd_ws_http_request(conf, (const char *)data, size, &resp, &used, &why);
    if (r != EDD_WS_HTTP_MORE && (resp.len < 13 || memcmp(resp.data, "HTTP/1.1 ", 9) != 0))
        abort();
    if (r == EDD_WS_HTTP_UPGRADE &&
        (used < 4 || used > size || memcmp(data + used - 4, "\r\n\r\n", 4) != 0))
        abort();
    ed_buf_free(&resp);
    if (r != EDD_WS_HTTP_UPGRADE)
        return 0;
    ed_xml_limits lim = ed_xml_limits_default();
    lim.max_stanza_bytes = lim.max_text_bytes = 65536;
    if (!(f.xs = ed_xml_stream_new(&lim)))
        return 0;
    f.p = data + used;
    f.n = size - used;
    struct wslay_event_callbacks cbs = {.recv_callback = rd, .send_callback = wr,
                                        .on_msg_recv_callback = msg};
    wslay_event_context_ptr ctx;
    if (wslay_event_context_server_init(&ctx, &cbs, &f) == 0) {
        wslay_event_config_set_max_recv_msg_length(ctx, 65536);
        /* one wslay_event_recv per chunk-sized read, as per readable event */
        while (f.n > 0 && wslay_event_get_read_enabled(ctx)) {
            size_t before = f.n;
            if (wslay_event_recv(ctx) != 0)
                break;
            wslay_event_send(ctx);
            if (f.n == before)
                break;
        }
        wslay_event_context_free(ctx);
    }
    ed_buf_free(&f.out);
    ed_xml_stream_free(f.xs);
    return 0;
}
