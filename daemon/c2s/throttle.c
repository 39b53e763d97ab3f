/* daemon/c2s/throttle.c — see throttle.h.  A linear table: it is consulted only
 * when a client authenticates, which costs a PBKDF2 anyway. */
#include <stdlib.h>
#include <string.h>

#include "c2s/throttle.h"

#define ADDR_MAX 48

typedef struct slot {
    char addr[ADDR_MAX];
    unsigned failures;
    int64_t last;        /* time of the last failure */
    int64_t until;       /* locked out until then */
} slot;

struct edd_throttle {
    slot *v;
    size_t n, max;
};

edd_throttle *edd_throttle_new(size_t max)
{
    edd_throttle *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->max = max ? max : 4096;
    return t;
}

void edd_throttle_free(edd_throttle *t)
{
    if (!t)
        return;
    free(t->v);
    free(t);
}

static slot *find(edd_throttle *t, const char *addr)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].addr, addr) == 0)
            return &t->v[i];
    return NULL;
}

static void drop(edd_throttle *t, slot *s)
{
    *s = t->v[--t->n];
}

int64_t edd_throttle_wait(edd_throttle *t, const char *addr, int64_t now)
{
    slot *s = find(t, addr);
    if (!s)
        return 0;
    if (now - s->last >= EDD_THROTTLE_FORGET) {
        drop(t, s);
        return 0;
    }
    return s->until > now ? s->until - now : 0;
}

void edd_throttle_failed(edd_throttle *t, const char *addr, int64_t now)
{
    if (strlen(addr) >= ADDR_MAX)
        return;
    slot *s = find(t, addr);
    if (s && now - s->last >= EDD_THROTTLE_FORGET) {
        s->failures = 0;
        s->until = 0;
    }
    if (!s) {
        if (t->n == t->max) {
            size_t old = 0;
            for (size_t i = 1; i < t->n; i++)
                if (t->v[i].last < t->v[old].last)
                    old = i;
            s = &t->v[old];
        } else {
            if (!t->v) {
                t->v = calloc(t->max, sizeof *t->v);
                if (!t->v)
                    return;
            }
            s = &t->v[t->n++];
        }
        memset(s, 0, sizeof *s);
        strcpy(s->addr, addr);
    }
    s->failures++;
    s->last = now;
    if (s->failures > EDD_THROTTLE_FREE) {
        unsigned k = s->failures - EDD_THROTTLE_FREE - 1;
        int64_t delay = k >= 16 ? EDD_THROTTLE_MAX : (int64_t)EDD_THROTTLE_BASE << k;
        if (delay > EDD_THROTTLE_MAX)
            delay = EDD_THROTTLE_MAX;
        s->until = now + delay;
    }
}

void edd_throttle_succeeded(edd_throttle *t, const char *addr)
{
    slot *s = find(t, addr);
    if (s)
        drop(t, s);
}

size_t edd_throttle_locked(const edd_throttle *t, int64_t now)
{
    size_t n = 0;
    for (size_t i = 0; t && i < t->n; i++)
        n += t->v[i].until > now && now - t->v[i].last < EDD_THROTTLE_FORGET;
    return n;
}
