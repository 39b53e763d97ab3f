/* daemon/core/hash.c — the string-keyed hash table of hash.h: chained buckets
 * (a power of two of them), SipHash-1-3 under the caller's key, each node
 * keeping its hash so that growing rehashes nothing and a chain walk
 * compares strings only when the 64-bit hashes agree. */
#include <endian.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "core/hash.h"

struct edd_hash {
    edd_hash_node **b;
    size_t nb;       /* a power of two */
    size_t maxb;     /* nb stops growing here */
    size_t count;
    size_t max;      /* entries; SIZE_MAX: no bound */
    uint64_t k0, k1; /* SipHash key */
};

/* --- SipHash-1-3 (Aumasson, Bernstein; 1 compression and 3 finalisation
 * rounds, the variant CPython and Rust use for their tables) --------------- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                                                                      \
    do {                                                                              \
        v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);                     \
        v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                                        \
        v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                                        \
        v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);                     \
    } while (0)

static uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof v);
    return le64toh(v);
}

static uint64_t load32(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return le32toh(v);
}

static uint64_t sip13(uint64_t k0, uint64_t k1, const unsigned char *in, size_t len)
{
    uint64_t v0 = 0x736f6d6570736575ULL ^ k0, v1 = 0x646f72616e646f6dULL ^ k1;
    uint64_t v2 = 0x6c7967656e657261ULL ^ k0, v3 = 0x7465646279746573ULL ^ k1;
    const unsigned char *end = in + (len & ~(size_t)7);
    for (; in != end; in += 8) {
        uint64_t m = load64(in);
        v3 ^= m;
        SIPROUND;
        v0 ^= m;
    }
    /* the last len % 8 bytes, without a byte loop: a load ending at the
     * end of the data (len >= 8), or overlapping loads inside the tail */
    uint64_t b = (uint64_t)len << 56;
    size_t r = len & 7;
    if (r && len >= 8) {
        b |= load64(in + r - 8) >> (64 - 8 * r);
    } else if (r >= 4) {
        b |= load32(in) | (uint64_t)load32(in + r - 4) << (8 * (r - 4));
    } else if (r) {
        b |= in[0] | (uint64_t)in[r / 2] << (8 * (r / 2)) | (uint64_t)in[r - 1] << (8 * (r - 1));
    }
    v3 ^= b;
    SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    SIPROUND;
    SIPROUND;
    SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

uint64_t edd_hash_siphash13(const unsigned char key[EDD_HASH_KEY_LEN], const void *data,
                           size_t len)
{
    return sip13(load64(key), load64(key + 8), data, len);
}

static uint64_t hash_of(const edd_hash *h, const char *key)
{
    return sip13(h->k0, h->k1, (const unsigned char *)key, strlen(key));
}

void edd_hash_random_key(unsigned char key[EDD_HASH_KEY_LEN])
{
    if (getrandom(key, EDD_HASH_KEY_LEN, GRND_NONBLOCK) == (ssize_t)EDD_HASH_KEY_LEN)
        return;
    /* early boot (EAGAIN) or no getrandom(2): not for long, not guessable
     * from outside to the nanosecond */
    struct {
        struct timespec rt, mono;
        pid_t pid;
        const void *stack, *buf;
    } s;
    memset(&s, 0, sizeof s);
    clock_gettime(CLOCK_REALTIME, &s.rt);
    clock_gettime(CLOCK_MONOTONIC, &s.mono);
    s.pid = getpid();
    s.stack = &s;
    s.buf = key;
    static const unsigned char fixed[EDD_HASH_KEY_LEN] = "extdisco hashkey";
    uint64_t a = edd_hash_siphash13(fixed, &s, sizeof s);
    uint64_t b = sip13(a, ~a, (const unsigned char *)&s, sizeof s);
    memcpy(key, &a, 8);
    memcpy(key + 8, &b, 8);
}

/* --- the table ---------------------------------------------------------------- */

edd_hash *edd_hash_new(const unsigned char key[EDD_HASH_KEY_LEN], size_t max_entries)
{
    edd_hash *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    h->k0 = load64(key);
    h->k1 = load64(key + 8);
    h->max = max_entries ? max_entries : SIZE_MAX;
    h->maxb = EDD_HASH_MIN_BUCKETS;
    while (h->maxb < EDD_HASH_MAX_BUCKETS && h->maxb < h->max)
        h->maxb *= 2;
    h->nb = EDD_HASH_MIN_BUCKETS;
    if (!(h->b = calloc(h->nb, sizeof *h->b))) {
        free(h);
        return NULL;
    }
    return h;
}

void edd_hash_free(edd_hash *h)
{
    if (!h)
        return;
    free(h->b);
    free(h);
}

edd_hash_node *edd_hash_get(const edd_hash *h, const char *key)
{
    uint64_t hv = hash_of(h, key);
    for (edd_hash_node *n = h->b[hv & (h->nb - 1)]; n; n = n->next)
        if (n->hash == hv && strcmp(n->key, key) == 0)
            return n;
    return NULL;
}

static void grow(edd_hash *h)
{
    size_t nb = h->nb * 2;
    edd_hash_node **b = calloc(nb, sizeof *b);
    if (!b)
        return; /* keep the longer chains */
    for (size_t i = 0; i < h->nb; i++) {
        edd_hash_node *n = h->b[i];
        while (n) {
            edd_hash_node *next = n->next;
            size_t k = n->hash & (nb - 1);
            n->next = b[k];
            b[k] = n;
            n = next;
        }
    }
    free(h->b);
    h->b = b;
    h->nb = nb;
}

ed_err edd_hash_put(edd_hash *h, edd_hash_node *n)
{
    if (h->count >= h->max)
        return ED_ELIMIT;
    n->hash = hash_of(h, n->key);
    edd_hash_node **head = &h->b[n->hash & (h->nb - 1)];
    n->next = *head;
    *head = n;
    if (++h->count > h->nb && h->nb < h->maxb)
        grow(h);
    return ED_OK;
}

void edd_hash_remove(edd_hash *h, edd_hash_node *n)
{
    for (edd_hash_node **pp = &h->b[n->hash & (h->nb - 1)]; *pp; pp = &(*pp)->next) {
        if (*pp == n) {
            *pp = n->next;
            n->next = NULL;
            h->count--;
            return;
        }
    }
}

size_t edd_hash_count(const edd_hash *h)
{
    return h->count;
}

void edd_hash_iter_init(edd_hash_iter *it, const edd_hash *h)
{
    it->h = h;
    it->bucket = 0;
    it->next = NULL;
}

edd_hash_node *edd_hash_iter_next(edd_hash_iter *it)
{
    while (!it->next) {
        if (it->bucket >= it->h->nb)
            return NULL;
        it->next = it->h->b[it->bucket++];
    }
    edd_hash_node *n = it->next;
    it->next = n->next; /* taken now: the caller may remove n */
    return n;
}

size_t edd_hash_buckets(const edd_hash *h)
{
    return h->nb;
}

size_t edd_hash_longest_chain(const edd_hash *h)
{
    size_t longest = 0;
    for (size_t i = 0; i < h->nb; i++) {
        size_t len = 0;
        for (const edd_hash_node *n = h->b[i]; n; n = n->next)
            len++;
        if (len > longest)
            longest = len;
    }
    return longest;
}
