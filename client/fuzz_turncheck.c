/* client/fuzz_turncheck.c — libFuzzer target for what the STUN/TURN probe
 * engine (probe/probe.c, shared by `extdisco check` and extdiscod's health
 * checks) does with bytes from a server: the stream framer, libnice's
 * validation and the Binding / Allocate / 401 / 438 / Refresh /
 * deallocation sequence as the engine drives it.
 *
 * Input: byte 0 selects the probe (bit 0: TURN, bit 1: stream); then chunks
 * of [flags][len][bytes]: the bytes are fed as one datagram or stream chunk;
 * flag bit 0 patches the chunk's STUN header to answer the request in
 * flight (method and transaction ID from it, class from the chunk), so
 * that validation goes deep; bit 1 lets 600 ms pass first (retransmissions
 * and timeouts).
 * Built by client/meson.build with -Dfuzz=true; run:
 *   BUILD/client/fuzz_turncheck -max_total_time=60 */
#include "probe.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t chunk[ED_PROBE_MAX_MSG + 256];
    if (size < 1)
        return 0;
    unsigned mode = data[0] & 3;
    data++;
    size--;
    int64_t now = 1000;
    ed_probe *p = ed_probe_new(mode & 2 ? ED_CHECK_TCP : ED_CHECK_UDP,
                               mode & 1 ? "1700000000:fuzz" : NULL, "secret",
                               now, 10000);
    if (!p)
        return 0;
    uint8_t req[ED_PROBE_MAX_MSG];
    size_t reqlen = 0;
    while (size >= 2 && !ed_probe_done(p)) {
        unsigned flags = data[0];
        size_t n = data[1] * 8u + (flags >> 2);
        data += 2;
        size -= 2;
        if (n > size)
            n = size;
        memcpy(chunk, data, n);
        data += n;
        size -= n;
        if (flags & 2) {
            now += 600;
            ed_probe_tick(p, now);
        }
        const uint8_t *m;
        size_t l;
        while ((l = ed_probe_pull(p, now, &m)) > 0) {
            memcpy(req, m, l);
            reqlen = l;
        }
        if ((flags & 1) && n >= 20 && reqlen >= 20) {
            uint16_t in_t = (uint16_t)(chunk[0] << 8 | chunk[1]);
            uint16_t rq_t = (uint16_t)(req[0] << 8 | req[1]);
            uint16_t t = (uint16_t)((in_t & 0x0110) | (rq_t & 0x3EEF));
            chunk[0] = (uint8_t)(t >> 8);
            chunk[1] = (uint8_t)t;
            memcpy(chunk + 4, req + 4, 16);
        }
        now += 1;
        ed_probe_input(p, chunk, n, now);
    }
    (void)ed_probe_next_timer(p);
    (void)ed_probe_result(p);
    ed_probe_free(p);
    return 0;
}
