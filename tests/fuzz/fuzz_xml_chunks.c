/* tests/fuzz/fuzz_xml_chunks.c — libFuzzer target: the XML stream parser
 * gives the same events and the same error however its input is chunked,
 * and whether or not it is released between reads (ed_xml_stream_idle()) and
 * re-woken by the next feed, as extdiscod does for quiet sessions.
 *
 * Input: the first SEED_BYTES bytes seed a chunking plan (a small PRNG:
 * chunk sizes 1..N with N from the seed, in some plans half the chunks
 * stretched to end just after a '>' as a client's reads usually do, which
 * is where the parser can be released; and after each feed an
 * ed_xml_stream_idle() call with a probability from the seed); the rest is
 * the stream's bytes.  They are parsed twice with the daemon's c2s limits
 * (ed_xml_limits_default(), text bounded like the stanza as in daemon/c2s.c):
 *   1. in one feed (then the zero-length feed that hands over held bytes);
 *   2. in chunks by the plan, with idle/wake between feeds, and a fixed
 *      hash salt in every parser (ed_xml_stream_set_hash_salt), as the
 *      daemon sets one per process.
 * After every feed all events are drained with ed_xml_stream_next().  Each
 * run is logged as text: "open <header serialised> <content ns>", each
 * stanza serialised with ed_xml_write() in the header's content namespace,
 * "close", and finally the error code.  __builtin_trap() when the two logs
 * differ, when an event is reported together with an error, or when the
 * error is not sticky.  The error detail's line/column is not compared
 * (documented to count from the re-parsed header after a wake).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extdisco/error.h"
#include "extdisco/xml.h"

#define SEED_BYTES 4

typedef struct {
    uint64_t s;
    size_t max_chunk; /* 1..64 */
    unsigned idle_pct; /* 0..100 */
    int to_gt;         /* stretch chunks to the next '>' half the time */
} plan;

static uint64_t plan_next(plan *p)
{
    /* splitmix64: deterministic, cheap, good enough to spread the seed */
    uint64_t z = (p->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static ed_xml_limits daemon_limits(void)
{
    /* daemon/c2s.c with the config defaults (daemon/config.h): stanza
     * 65536, depth 32, attrs 64, text bounded like the stanza. */
    ed_xml_limits lim = ed_xml_limits_default();
    lim.max_text_bytes = lim.max_stanza_bytes;
    return lim;
}

typedef struct {
    ed_buf log;
    char content_ns[1024];
    int events;
} run;

/* Take every event the last feed completed, one per call, into the log. */
static ed_err drain(ed_xml_stream *s, run *r)
{
    ed_xml_event ev;
    ed_err err;
    for (;;) {
        memset(&ev, 0xa5, sizeof ev); /* must always be written */
        err = ed_xml_stream_next(s, &ev);
        if (err || ev.type == ED_XML_EV_NONE)
            break;
        r->events++;
        switch (ev.type) {
        case ED_XML_EV_OPEN:
            if (!ev.elem || !ev.content_ns)
                __builtin_trap();
            snprintf(r->content_ns, sizeof r->content_ns, "%s", ev.content_ns);
            ed_buf_puts(&r->log, "open ");
            if (ed_xml_write(&r->log, ev.elem, NULL))
                __builtin_trap();
            ed_buf_printf(&r->log, " [%s]\n", ev.content_ns);
            break;
        case ED_XML_EV_STANZA:
            if (!ev.elem || ev.elem->parent)
                __builtin_trap();
            ed_buf_puts(&r->log, "stanza ");
            if (ed_xml_write(&r->log, ev.elem, r->content_ns))
                __builtin_trap();
            ed_buf_puts(&r->log, "\n");
            ed_elem_free(ev.elem);
            break;
        case ED_XML_EV_CLOSE:
            if (ev.elem)
                __builtin_trap();
            ed_buf_puts(&r->log, "close\n");
            break;
        default:
            __builtin_trap();
        }
    }
    if (ev.type != ED_XML_EV_NONE) /* an error comes with no event */
        __builtin_trap();
    return err;
}

static ed_err feed(ed_xml_stream *s, run *r, const uint8_t *p, size_t n)
{
    ed_err err = ed_xml_stream_feed(s, (const char *)p, n);
    if (err == ED_ESTATE || err == ED_EINVAL) /* we always drained */
        __builtin_trap();
    if (err)
        return err;
    return drain(s, r);
}

/* Parse data; plan NULL: in one piece, else chunked with idle/wake. */
static void parse(const uint8_t *data, size_t size, plan *pl, run *r)
{
    ed_xml_limits lim = daemon_limits();
    ed_xml_stream *s = ed_xml_stream_new(&lim);
    if (!s)
        __builtin_trap();
    if (pl) /* as the daemon does: one salt for all its parsers (whole: expat's own) */
        ed_xml_stream_set_hash_salt(s, 0x9e3779b97f4a7c15UL);
    ed_err err = ED_OK;
    size_t off = 0;
    while (off < size && !err) {
        size_t n = size - off;
        if (pl) {
            size_t want = 1 + (size_t)(plan_next(pl) % pl->max_chunk);
            if (want < n)
                n = want;
            if (pl->to_gt && plan_next(pl) % 2) {
                const void *gt = memchr(data + off + n - 1, '>', size - off - n + 1);
                if (gt)
                    n = (size_t)((const uint8_t *)gt - (data + off)) + 1;
            }
        }
        err = feed(s, r, data + off, n);
        off += n;
        if (pl && !err && plan_next(pl) % 100 < pl->idle_pct) {
            int idle = ed_xml_stream_idle(s);
            if (idle != 0 && idle != 1)
                __builtin_trap();
            if (idle && ed_xml_stream_idle(s) != 1) /* already idle */
                __builtin_trap();
        }
    }
    if (!err)
        err = feed(s, r, (const uint8_t *)"", 0); /* hand over held bytes */
    if (err) {
        /* sticky: feed and next keep returning it */
        ed_xml_event ev;
        if (ed_xml_stream_feed(s, "<a/>", 4) != err || ed_xml_stream_next(s, &ev) != err ||
            ev.type != ED_XML_EV_NONE)
            __builtin_trap();
        if (ed_xml_stream_idle(s) != 0)
            __builtin_trap();
    }
    ed_buf_printf(&r->log, "end %d %s\n", (int)err, ed_strerror(err));
    ed_xml_stream_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < SEED_BYTES || size > 256 * 1024)
        return 0;
    plan pl = {0};
    for (int i = 0; i < SEED_BYTES; i++)
        pl.s = pl.s << 8 | data[i];
    pl.max_chunk = 1 + data[0] % 64;
    pl.idle_pct = data[1] % 101;
    pl.to_gt = data[2] & 1;
    data += SEED_BYTES;
    size -= SEED_BYTES;

    run whole = {0}, parts = {0};
    parse(data, size, NULL, &whole);
    parse(data, size, &pl, &parts);
    const char *a = whole.log.data ? whole.log.data : "";
    const char *b = parts.log.data ? parts.log.data : "";
    if (whole.events != parts.events || strcmp(a, b)) {
        fprintf(stderr, "chunking/idle changed the result (max chunk %zu, idle %u%%, to '>' %d):\n"
                        "--- whole\n%s--- chunked\n%s",
                pl.max_chunk, pl.idle_pct, pl.to_gt, a, b);
        __builtin_trap();
    }
    ed_buf_free(&whole.log);
    ed_buf_free(&parts.log);
    return 0;
}
