/* daemon/core/hash.h — one small string-keyed hash table for the daemon's
 * tables (pushes.c: requesters by full JID; router.c: accounts with bound
 * resources by local part).
 *
 * Intrusive and chained: an entry embeds an edd_hash_node and points its
 * `key` at a string it owns; the table links nodes, it never allocates or
 * frees them.  Keys come from outside (JIDs from clients), so buckets are
 * chosen by SipHash-1-3 under a 128-bit key the caller passes in
 * (edd_hash_random_key): nobody who does not know it can aim many JIDs at
 * one chain.
 *
 * Ownership: the table owns its bucket array only.  Every node, its entry
 * and its key string belong to the caller; the key must stay unchanged
 * while the node is in a table.  edd_hash_free() does not touch the nodes:
 * take them out (edd_hash_iter_next + edd_hash_remove) and free them first.
 *
 * Bounds: at most `max_entries` nodes (edd_hash_put says ED_ELIMIT past it);
 * the bucket array doubles when there are more nodes than buckets, up to
 * EDD_HASH_MAX_BUCKETS and no further than the entry bound needs.  Growth
 * that fails for lack of memory keeps the longer chains.
 *
 * Single-threaded, like the daemon. */
#ifndef EXTDISCOD_HASH_H
#define EXTDISCOD_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "extdisco/error.h"

#define EDD_HASH_KEY_LEN     16          /* bytes of the SipHash key */
#define EDD_HASH_MIN_BUCKETS 16
#ifndef EDD_HASH_MAX_BUCKETS            /* (tests/unit/test_hash.c: smaller) */
#define EDD_HASH_MAX_BUCKETS (1u << 20)  /* 8 MiB of bucket pointers */
#endif

typedef struct edd_hash_node {
    struct edd_hash_node *next; /* the table's */
    uint64_t hash;             /* the table's */
    const char *key;           /* the caller's: set before edd_hash_put */
} edd_hash_node;

/* The entry of type `type` whose member `member` is node n (NULL for NULL;
 * n is evaluated once). */
#define EDD_HASH_ENTRY(n, type, member) ((type *)edd_hash_entry_((n), offsetof(type, member)))
static inline void *edd_hash_entry_(edd_hash_node *n, size_t offset)
{
    return n ? (char *)n - offset : NULL;
}

typedef struct edd_hash edd_hash;

/* Fill key with EDD_HASH_KEY_LEN random bytes (getrandom(2), never
 * blocking; should the kernel's pool not be ready yet, a mix of clocks and
 * addresses: unpredictable enough from the network). */
void edd_hash_random_key(unsigned char key[EDD_HASH_KEY_LEN]);

/* An empty table hashing with key (copied); max_entries 0: no bound but
 * memory.  NULL when out of memory. */
edd_hash *edd_hash_new(const unsigned char key[EDD_HASH_KEY_LEN], size_t max_entries);
/* Frees the table, not the nodes still in it (see above).  NULL: no-op. */
void edd_hash_free(edd_hash *h);

/* The node whose key equals key (strcmp), or NULL. */
edd_hash_node *edd_hash_get(const edd_hash *h, const char *key);

/* Add n, whose n->key must not be in h yet (look it up first).  ED_ELIMIT
 * when h holds max_entries nodes (n is not added). */
ed_err edd_hash_put(edd_hash *h, edd_hash_node *n);

/* Take n, which is in h, out of h (n itself is not freed). */
void edd_hash_remove(edd_hash *h, edd_hash_node *n);

size_t edd_hash_count(const edd_hash *h);

/* Iteration, in no particular order (it changes with the key):
 *
 *     edd_hash_iter it;
 *     edd_hash_iter_init(&it, h);
 *     for (edd_hash_node *n; (n = edd_hash_iter_next(&it));)
 *         ...
 *
 * The loop body may remove (and free) the node it was just given; it must
 * not remove other nodes nor put any until the iteration is over. */
typedef struct edd_hash_iter {
    const edd_hash *h;
    size_t bucket;      /* the next bucket to start */
    edd_hash_node *next; /* the next node of the current chain */
} edd_hash_iter;

void edd_hash_iter_init(edd_hash_iter *it, const edd_hash *h);
edd_hash_node *edd_hash_iter_next(edd_hash_iter *it);

/* For tests and statistics: the number of buckets and the longest chain
 * (a walk over the whole table). */
size_t edd_hash_buckets(const edd_hash *h);
size_t edd_hash_longest_chain(const edd_hash *h);

/* SipHash-1-3 of data under key: the function buckets are chosen by. */
uint64_t edd_hash_siphash13(const unsigned char key[EDD_HASH_KEY_LEN], const void *data,
                           size_t len);

#endif
