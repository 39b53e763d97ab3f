/* daemon/c2s/throttle.h — failed-login throttling per client address.
 *
 * The first EDD_THROTTLE_FREE failures from an address cost nothing; each
 * further one locks the address out of authentication for a delay that
 * doubles (EDD_THROTTLE_BASE seconds, at most EDD_THROTTLE_MAX).  An address
 * is forgotten EDD_THROTTLE_FORGET seconds after its last failure, and on a
 * successful login.  The table holds at most max entries; when full, the
 * entry with the oldest failure is replaced.  Time is passed in. */
#ifndef EXTDISCOD_THROTTLE_H
#define EXTDISCOD_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define EDD_THROTTLE_FREE 3
#define EDD_THROTTLE_BASE 2
#define EDD_THROTTLE_MAX 300
#define EDD_THROTTLE_FORGET 900

typedef struct edd_throttle edd_throttle;

edd_throttle *edd_throttle_new(size_t max); /* NULL on allocation failure */
void edd_throttle_free(edd_throttle *t);    /* NULL is a no-op */

/* Seconds addr must still wait before it may try again; 0: go ahead. */
int64_t edd_throttle_wait(edd_throttle *t, const char *addr, int64_t now);
void edd_throttle_failed(edd_throttle *t, const char *addr, int64_t now);
void edd_throttle_succeeded(edd_throttle *t, const char *addr);
/* Addresses locked out at now (a walk over the table: for /metrics). */
size_t edd_throttle_locked(const edd_throttle *t, int64_t now);

#endif
