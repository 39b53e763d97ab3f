/* daemon/core/io.h — output helpers the c2s transports (c2s/transport_tcp.c,
 * c2s/transport_tls.c) and the component links share. */
#ifndef EXTDISCOD_IO_H
#define EXTDISCOD_IO_H

#include <event2/bufferevent.h>
#include <stdbool.h>
#include <stddef.h>

/* Send p[0..n) on bev: when direct is true (bev is a plain socket
 * bufferevent, not TLS) and nothing is queued in bev's output, try one
 * non-blocking send(2) first; whatever the socket does not take now (or all
 * of it) is copied into bev's output for libevent to write.  Errors are left
 * for the bufferevent to report.  p stays the caller's. */
void edd_io_send(struct bufferevent *bev, bool direct, const char *p, size_t n);

/* Close bev once what is queued in its output is written: the bufferevent
 * is taken over (its callbacks replaced, reading stopped) and freed, closing
 * the socket, when the output is written, on an error, or after secs
 * seconds at the latest; at once when nothing is queued or memory is short.
 * At shutdown main.c runs the event loop until these are done. */
void edd_io_close_later(struct event_base *base, struct bufferevent *bev, int secs);

#endif
