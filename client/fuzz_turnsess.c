/* client/fuzz_turnsess.c — libFuzzer target for what a TURN session of the
 * relay checks (client/turnsess.c) does with bytes from a server: the
 * stream framer (STUN and padded ChannelData), Data indications, ChannelData,
 * libnice's validation of answers, the 401/438 realm and nonce, the error
 * code and reason, XOR-RELAYED-ADDRESS.
 *
 * Input: byte 0 bit 0 selects a stream (else datagrams); then chunks of
 * [flags][len][bytes] fed as one datagram or stream chunk; flag bit 0
 * patches the chunk's STUN header to answer the request in flight (method
 * and transaction ID from it, class from the chunk), so that validation
 * goes deep.  An answered request is processed as ed_ts's requests do and
 * the next request (Allocate, CreatePermission, ChannelBind, Refresh in
 * turn) is built.
 * Built by client/meson.build with -Dfuzz=true; run:
 *   BUILD/client/fuzz_turnsess -max_total_time=60 */
#include "turnsess.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t req[ED_TC_MAX_MSG];
static size_t reqlen;

/* Build request number k (of four kinds) and put it in flight. */
static void start(ed_ts *s, unsigned k)
{
    static const StunMethod methods[] = { STUN_ALLOCATE, STUN_CREATEPERMISSION,
                                          STUN_CHANNELBIND, STUN_REFRESH };
    struct sockaddr_storage peer;
    memset(&peer, 0, sizeof peer);
    struct sockaddr_in *s4 = (struct sockaddr_in *)&peer;
    s4->sin_family = AF_INET;
    s4->sin_port = htons(9);
    s4->sin_addr.s_addr = htonl(0x7f000001);
    StunMethod m = methods[k % 4];
    req_args a = { .method = m, .lifetime = m == STUN_REFRESH ? 0 : -1,
                   .peer = (m == STUN_CREATEPERMISSION || m == STUN_CHANNELBIND) ? &peer : NULL,
                   .plen = sizeof *s4, .chan = m == STUN_CHANNELBIND ? 0x4000 : 0 };
    StunMessage msg;
    stun_agent_forget_transaction(&s->agent, s->tx_id);
    reqlen = build(s, &a, req, sizeof req, &msg);
    if (reqlen) {
        stun_message_id(&msg, s->tx_id);
        s->in_tx = true;
        s->answered = false;
    } else {
        s->in_tx = false;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ed_ts s;
    static uint8_t chunk[ED_TC_MAX_MSG];
    if (size < 1)
        return 0;
    memset(&s, 0, sizeof s);
    s.conn.fd = -1;
    s.t = (data[0] & 1) ? ED_CHECK_TCP : ED_CHECK_UDP;
    s.creds = true;
    memcpy(s.user, "1700000000:fuzz", 16);
    memcpy(s.pass, "secret", 7);
    stun_agent_init(&s.agent, ed_probe_known_attrs, STUN_COMPATIBILITY_RFC5389,
                    STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS |
                        STUN_AGENT_USAGE_NO_INDICATION_AUTH);
    data++;
    size--;
    unsigned k = 0;
    start(&s, k);
    int64_t now = 1000;
    while (size >= 2) {
        unsigned flags = data[0];
        size_t n = data[1] * 8u + (flags >> 2);
        data += 2;
        size -= 2;
        if (n > size)
            n = size;
        if (n > sizeof chunk)
            n = sizeof chunk;
        memcpy(chunk, data, n);
        data += n;
        size -= n;
        if ((flags & 1) && n >= 20 && reqlen >= 20) {
            uint16_t in_t = (uint16_t)(chunk[0] << 8 | chunk[1]);
            uint16_t rq_t = (uint16_t)(req[0] << 8 | req[1]);
            uint16_t t = (uint16_t)((in_t & 0x0110) | (rq_t & 0x3EEF));
            chunk[0] = (uint8_t)(t >> 8);
            chunk[1] = (uint8_t)t;
            memcpy(chunk + 4, req + 4, 16);
        }
        if (feed(&s, chunk, n, now++, "fuzz") < 0)
            break;
        if (s.nin == ED_TS_INBOX)
            s.nin = 0;
        if (s.in_tx && s.answered) {
            s.in_tx = false;
            if (stun_message_get_class(&s.rmsg) == STUN_RESPONSE) {
                s.relayed_len = sizeof s.relayed;
                if (stun_message_find_xor_addr(&s.rmsg, STUN_ATTRIBUTE_XOR_RELAYED_ADDRESS,
                                               &s.relayed, &s.relayed_len) ==
                    STUN_MESSAGE_RETURN_SUCCESS)
                    ed_probe_addr_str((struct sockaddr *)&s.relayed, s.relayed_str,
                                      sizeof s.relayed_str);
            } else {
                char reason[ED_CHECK_REASON_MAX];
                int code = ed_probe_error_of(&s.rmsg, reason, sizeof reason);
                if (code == 401 || code == 438)
                    (void)learn_auth(&s);
            }
            start(&s, ++k);
        }
    }
    stun_agent_forget_transaction(&s.agent, s.tx_id);
    return 0;
}
