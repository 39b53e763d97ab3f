/* daemon/c2s/proxy_proto.h — the PROXY protocol header (HAProxy's
 * proxy-protocol.txt, versions 1 and 2) that a load balancer sends before
 * the client's bytes.  Sans-I/O: give it the bytes received so far.
 *
 * No allocation, no global state. */
#ifndef EXTDISCOD_PROXY_PROTO_H
#define EXTDISCOD_PROXY_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

/* The longest header accepted: a v1 line is at most 107 bytes; a v2 header
 * is 16 bytes plus its address block and TLVs, which we cap here. */
#define EDD_PROXY_V1_MAX 107
#define EDD_PROXY_V2_MAX_TLV 1024
#define EDD_PROXY_MAX (16 + 216 + EDD_PROXY_V2_MAX_TLV)

typedef struct edd_proxy_info {
    int version;  /* 1 or 2 */
    /* true for v1 UNKNOWN, v2 LOCAL and v2 with an address family other
     * than TCP over IPv4/IPv6: keep the connection's own addresses */
    bool local;
    struct sockaddr_storage src; /* the client, when !local */
    socklen_t srclen;
    struct sockaddr_storage dst; /* the address the client connected to */
    socklen_t dstlen;
} edd_proxy_info;

typedef enum edd_proxy_status {
    EDD_PROXY_NEED_MORE = 0, /* a valid prefix so far: wait for more bytes */
    EDD_PROXY_DONE,          /* *out filled, the header is *consumed bytes */
    EDD_PROXY_BAD            /* not a valid PROXY header; *why says why */
} edd_proxy_status;

/* Parse the header at the start of buf (len bytes received so far).  why
 * (may be NULL) receives a static message on EDD_PROXY_BAD.  Bytes after the
 * header belong to the client's stream and are not looked at. */
edd_proxy_status edd_proxy_parse(const unsigned char *buf, size_t len,
                               edd_proxy_info *out, size_t *consumed,
                               const char **why);

#endif
