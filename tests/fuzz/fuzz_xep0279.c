/* Fuzz the XEP-0279 request parser/responder and the result parser. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "extdisco/extdisco.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ed_elem *iq = NULL;
    if (ed_xml_parse((const char *)data, size, NULL, &iq) != ED_OK)
        return 0;
    static ed_jid *req;
    if (!req && ed_jid_parse("juliet@capulet.lit/balcony", 26, &req) != ED_OK)
        abort();
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons(51234)};
    inet_pton(AF_INET6, "::ffff:198.51.100.7", &sa.sin6_addr);
    ed_err err;
    ed_elem *r = ed_xep0279_respond(iq, req, "capulet.lit", (struct sockaddr *)&sa,
                                    sizeof sa, &err);
    if (r) {
        /* Every reply must serialise and parse back. */
        char *s = ed_xml_to_string(r, ED_NS_CLIENT);
        ed_elem *back = NULL;
        if (!s || ed_xml_parse(s, strlen(s), NULL, &back) != ED_OK)
            abort();
        ed_elem *p = ed_iq_payload(back);
        if (p && strcmp(ed_elem_attr(back, "type"), "result") == 0) {
            char ip[ED_SIC_IP_MAX];
            int port;
            if (ed_xep0279_parse_result(p, ip, &port) != ED_OK || strcmp(ip, "198.51.100.7") != 0)
                abort();
        }
        ed_elem_free(back);
        free(s);
        ed_elem_free(r);
    }
    /* The client-side parser on whatever payload arrived. */
    ed_elem *p = ed_elem_first(iq);
    if (p) {
        char ip[ED_SIC_IP_MAX];
        int port;
        (void)ed_xep0279_parse_result(p, ip, &port);
    }
    ed_elem_free(iq);
    return 0;
}
