/* client/fuzz_turncheck.c — libFuzzer target for what the STUN/TURN checker
 * does with bytes from a server: the TCP/TLS stream framer, and libnice's
 * validation + Binding/Allocate/Refresh response processing as turncheck.c
 * drives it (including the error reason extraction and building the next
 * request from a 401's REALM/NONCE).  The input's transaction ID and method
 * are patched to match the request sent, so that validation goes deep.
 *
 * Input: byte 0 selects the request (bind, allocate, authenticated
 * allocate, refresh); the rest is the server's answer.
 * Built by client/meson.build with -Dfuzz=true; run:
 *   BUILD/client/fuzz_turncheck -max_total_time=60 */
#include "turncheck.c"
#include "turncheck_net.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_frame(const uint8_t *data, size_t size)
{
    static ed_tc_conn c;
    static uint8_t out[ED_TC_MAX_MSG];
    ed_check_result res;
    memset(&res, 0, sizeof res);
    c.transport = ED_CHECK_TCP;
    c.rlen = size < sizeof c.rbuf ? size : sizeof c.rbuf;
    memcpy(c.rbuf, data, c.rlen);
    for (int i = 0; i < 64; i++) {
        ssize_t m = frame(&c, sizeof out, "fuzz", &res);
        if (m <= 0)
            break;
        memcpy(out, c.rbuf, (size_t)m);
        memmove(c.rbuf, c.rbuf + m, c.rlen - (size_t)m);
        c.rlen -= (size_t)m;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static uint8_t reqbuf[ED_TC_MAX_MSG], buf[ED_TC_MAX_MSG], next[ED_TC_MAX_MSG];
    static uint8_t user[] = "1700000000:fuzz", pass[] = "secret";
    StunAgent agent;
    StunMessage req, resp, msg2;
    size_t len;

    if (size < 1)
        return 0;
    unsigned mode = data[0] % 4;
    data++;
    size--;
    fuzz_frame(data, size);
    if (size < 20 || size > sizeof buf)
        return 0;

    stun_agent_init(&agent, known_attrs, STUN_COMPATIBILITY_RFC5389,
                    mode == 0 ? 0 : STUN_AGENT_USAGE_LONG_TERM_CREDENTIALS);
    if (mode == 0)
        len = stun_usage_bind_create(&agent, &req, reqbuf, sizeof reqbuf);
    else if (mode == 1)
        len = stun_usage_turn_create(&agent, &req, reqbuf, sizeof reqbuf, NULL,
                  STUN_USAGE_TURN_REQUEST_PORT_NORMAL, -1, -1, NULL, 0, NULL, 0,
                  TURN_COMPAT);
    else if (mode == 2)
        len = stun_usage_turn_create(&agent, &req, reqbuf, sizeof reqbuf, NULL,
                  STUN_USAGE_TURN_REQUEST_PORT_NORMAL, -1, -1, user,
                  sizeof user - 1, pass, sizeof pass - 1, TURN_COMPAT);
    else
        len = stun_usage_turn_create_refresh(&agent, &req, reqbuf, sizeof reqbuf,
                  NULL, 0, user, sizeof user - 1, pass, sizeof pass - 1,
                  TURN_COMPAT);
    if (len < 20)
        return 0;

    /* Answer "this" transaction: method from the request, class from the
     * input, then cookie + transaction ID from the request. */
    memcpy(buf, data, size);
    uint16_t in_t = (uint16_t)(buf[0] << 8 | buf[1]);
    uint16_t rq_t = (uint16_t)(reqbuf[0] << 8 | reqbuf[1]);
    uint16_t t = (uint16_t)((in_t & 0x0110) | (rq_t & 0x3EEF));
    buf[0] = (uint8_t)(t >> 8);
    buf[1] = (uint8_t)t;
    memcpy(buf + 4, reqbuf + 4, 16);

    if (stun_agent_validate(&agent, &resp, buf, size, NULL, NULL) !=
        STUN_VALIDATION_SUCCESS)
        return 0;

    char reason[ED_CHECK_REASON_MAX];
    (void)error_of(&resp, reason, sizeof reason);
    struct sockaddr_storage a1, a2, a3;
    socklen_t l1 = sizeof a1, l2 = sizeof a2, l3 = sizeof a3;
    char s[ED_CHECK_ADDR_MAX];
    uint32_t bw = 0, lt = 0;
    if (mode == 0) {
        if (stun_usage_bind_process(&resp, (struct sockaddr *)&a1, &l1,
                (struct sockaddr *)&a2, &l2) == STUN_USAGE_BIND_RETURN_SUCCESS)
            ed_tc_addr_str((struct sockaddr *)&a1, s, sizeof s);
    } else if (mode == 3) {
        (void)stun_usage_turn_refresh_process(&resp, &lt, TURN_COMPAT);
    } else {
        StunUsageTurnReturn r = stun_usage_turn_process(&resp, &a1, &l1, &a2,
            &l2, &a3, &l3, &bw, &lt, TURN_COMPAT);
        if (r == STUN_USAGE_TURN_RETURN_RELAY_SUCCESS ||
            r == STUN_USAGE_TURN_RETURN_MAPPED_SUCCESS)
            ed_tc_addr_str((struct sockaddr *)&a1, s, sizeof s);
        /* As after a 401: build the next request from its REALM/NONCE. */
        uint16_t rl, nl;
        const uint8_t *realm = stun_message_find(&resp, STUN_ATTRIBUTE_REALM, &rl);
        if (realm && stun_message_find(&resp, STUN_ATTRIBUTE_NONCE, &nl)) {
            copy_text(reason, sizeof reason, realm, rl);
            (void)stun_usage_turn_create(&agent, &msg2, next, sizeof next, &resp,
                STUN_USAGE_TURN_REQUEST_PORT_NORMAL, -1, -1, user,
                sizeof user - 1, pass, sizeof pass - 1, TURN_COMPAT);
        }
    }
    return 0;
}
