/* daemon/throttle.h — failed-login throttling per client address.
 *
 * The first ED_THROTTLE_FREE failures from an address cost nothing; each
 * further one locks the address out of authentication for a delay that
 * doubles (ED_THROTTLE_BASE seconds, at most ED_THROTTLE_MAX).  An address
 * is forgotten ED_THROTTLE_FORGET seconds after its last failure, and on a
 * successful login.  The table holds at most max entries; when full, the
 * entry with the oldest failure is replaced.  Time is passed in. */
#ifndef EXTDISCOD_THROTTLE_H
#define EXTDISCOD_THROTTLE_H

#include <stddef.h>
#include <stdint.h>

#define ED_THROTTLE_FREE 3
#define ED_THROTTLE_BASE 2
#define ED_THROTTLE_MAX 300
#define ED_THROTTLE_FORGET 900

typedef struct ed_throttle ed_throttle;

ed_throttle *ed_throttle_new(size_t max); /* NULL on allocation failure */
void ed_throttle_free(ed_throttle *t);    /* NULL is a no-op */

/* Seconds addr must still wait before it may try again; 0: go ahead. */
int64_t ed_throttle_wait(ed_throttle *t, const char *addr, int64_t now);
void ed_throttle_failed(ed_throttle *t, const char *addr, int64_t now);
void ed_throttle_succeeded(ed_throttle *t, const char *addr);

#endif
