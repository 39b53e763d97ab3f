/* daemon/throttle.c — see throttle.h.  A linear table: it is consulted only
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

struct ed_throttle {
    slot *v;
    size_t n, max;
};

ed_throttle *ed_throttle_new(size_t max)
{
    ed_throttle *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->max = max ? max : 4096;
    return t;
}

void ed_throttle_free(ed_throttle *t)
{
    if (!t)
        return;
    free(t->v);
    free(t);
}

static slot *find(ed_throttle *t, const char *addr)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->v[i].addr, addr) == 0)
            return &t->v[i];
    return NULL;
}

static void drop(ed_throttle *t, slot *s)
{
    *s = t->v[--t->n];
}

int64_t ed_throttle_wait(ed_throttle *t, const char *addr, int64_t now)
{
    slot *s = find(t, addr);
    if (!s)
        return 0;
    if (now - s->last >= ED_THROTTLE_FORGET) {
        drop(t, s);
        return 0;
    }
    return s->until > now ? s->until - now : 0;
}

void ed_throttle_failed(ed_throttle *t, const char *addr, int64_t now)
{
    if (strlen(addr) >= ADDR_MAX)
        return;
    slot *s = find(t, addr);
    if (s && now - s->last >= ED_THROTTLE_FORGET) {
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
    if (s->failures > ED_THROTTLE_FREE) {
        unsigned k = s->failures - ED_THROTTLE_FREE - 1;
        int64_t delay = k >= 16 ? ED_THROTTLE_MAX : (int64_t)ED_THROTTLE_BASE << k;
        if (delay > ED_THROTTLE_MAX)
            delay = ED_THROTTLE_MAX;
        s->until = now + delay;
    }
}

void ed_throttle_succeeded(ed_throttle *t, const char *addr)
{
    slot *s = find(t, addr);
    if (s)
        drop(t, s);
}
