/* daemon/c2s/store.h — the standalone server's SQLite database: accounts (SCRAM
 * salt, iteration count and the StoredKey/ServerKey pairs for SHA-1 and
 * SHA-256; never the password) and roster items with their subscription
 * states.  The schema is versioned (PRAGMA user_version); opening a database
 * created by a newer version is refused.
 *
 * Users are the local parts of JIDs of the one c2s domain, already
 * nodeprep'd by the caller; contacts are bare JIDs, already normalised.
 * Single-threaded: one edd_store per process (the daemon, or extdiscoctl).
 *
 * Locks: a call that finds the database locked by another process waits at
 * most EDD_STORE_BUSY_WAIT_MS (edd_store_set_busy_wait changes it), then
 * fails (-1, edd_store_busy() true); for EDD_STORE_BUSY_BACKOFF_MS after
 * that every call fails at once, so a locked database never stalls the
 * daemon's event loop for more than a few milliseconds.  Opening waits up
 * to EDD_STORE_OPEN_WAIT_MS.  The lock is logged (warning) once and then at
 * most every 10 s with the count of refused calls.
 *
 * A database file deleted or replaced at its path while open is noticed
 * (at most once a second, on account lookups) and logged once as an
 * error; the store keeps using the file it opened (see extdiscod(8)). */
#ifndef EXTDISCOD_STORE_H
#define EXTDISCOD_STORE_H

#include <stdbool.h>
#include <stddef.h>

#define EDD_STORE_SCHEMA_VERSION 1
#define EDD_STORE_KEY_MAX 64           /* base64 of a 32-byte key, and NUL */
#define EDD_ROSTER_MAX_ITEMS 1000      /* per user */
#define EDD_ROSTER_MAX_GROUPS 32       /* per item */
#define EDD_ROSTER_MAX_NAME 1023       /* bytes of a name or group */
/* Bytes all items of a roster take in a roster result (their `wire`
 * sizes): so that the limits compose, a roster the store accepts is always
 * deliverable in one result within a session's output queue
 * (EDD_C2S_OUT_MAX, 1 MiB) with room to spare. */
#define EDD_ROSTER_MAX_WIRE (512 * 1024)
#define EDD_STORE_BUSY_WAIT_MS 5       /* longest wait for a lock, per call */
#define EDD_STORE_BUSY_BACKOFF_MS 250  /* then calls fail at once this long */
#define EDD_STORE_OPEN_WAIT_MS 2000    /* opening, the start-up write check */

typedef struct edd_store edd_store;

typedef struct edd_account {
    char salt[EDD_STORE_KEY_MAX];      /* base64 */
    unsigned iter;
    char sha1_stored[EDD_STORE_KEY_MAX];   /* base64 StoredKey / ServerKey */
    char sha1_server[EDD_STORE_KEY_MAX];
    char sha256_stored[EDD_STORE_KEY_MAX];
    char sha256_server[EDD_STORE_KEY_MAX];
} edd_account;

/* Open (creating it and its schema when missing) the database at path.
 * NULL with err set on failure.  Close with edd_store_close(). */
edd_store *edd_store_open(const char *path, char *err, size_t errlen);
void edd_store_close(edd_store *st); /* NULL is a no-op */
/* Created files (the database, its journals) are owner-only (0600), and an
 * existing database is made so when the caller owns it. */

/* The database's message for the last failed call (never NULL). */
const char *edd_store_errmsg(edd_store *st);
/* Did the last call fail because another process holds a lock? */
bool edd_store_busy(const edd_store *st);
/* The longest wait for a lock per call, in ms (extdiscoctl waits longer). */
void edd_store_set_busy_wait(edd_store *st, unsigned ms);

/* Make the reads up to edd_store_read_end() one read transaction, so the
 * file is locked, checked and unlocked once for all of them: each statement
 * on its own costs about nine system calls (locks, the hot-journal check,
 * the header read), and a login's initial presence reads three times.  For
 * reads made together within one event, with no write in between; not
 * nested.  A lock held elsewhere fails the reads as usual. */
void edd_store_read_begin(edd_store *st);
void edd_store_read_end(edd_store *st);

/* The server secret called name, n bytes, into out: the stored one, or
 * fresh (n bytes, which the caller made random) stored now when there is
 * none.  Secrets live in the database (owner-only) and are never logged.
 * 1 done, -1 database error (or a stored value of another size). */
int edd_store_secret(edd_store *st, const char *name, const unsigned char *fresh,
                    size_t n, unsigned char *out);

/* 0 when the process can write the database at path (opened as st): the
 * file and the directory for its journal; -1 with err set (naming the
 * cause and the fix) otherwise.  Call after dropping privileges. */
int edd_store_check_writable(edd_store *st, const char *path, char *err, size_t errlen);

/* 1 found (*out filled), 0 no such user, -1 database error. */
int edd_store_account_get(edd_store *st, const char *user, edd_account *out);
/* Insert (create true: fails with 0 when the user exists) or replace the
 * keys of an existing user (create false: 0 when there is none).  1 done,
 * -1 database error. */
int edd_store_account_put(edd_store *st, const char *user, const edd_account *a,
                         bool create);
/* Delete the user and their roster.  1 deleted, 0 no such user, -1 error. */
int edd_store_account_del(edd_store *st, const char *user);

/* Subscription states (RFC 6121 §2.1.2.5) as a bit set. */
enum { EDD_SUB_NONE = 0, EDD_SUB_TO = 1, EDD_SUB_FROM = 2, EDD_SUB_BOTH = 3 };

/* A roster item.  All strings malloc'd, owned by the item; release with
 * edd_roster_item_clear(). */
typedef struct edd_roster_item {
    char *contact;     /* bare JID */
    char *name;        /* NULL when none */
    int sub;           /* EDD_SUB_* */
    bool ask;          /* subscription request sent, not answered */
    bool pending_in;   /* the contact asked us, not answered yet */
    bool hidden;       /* only a pending-in request: not shown in the roster */
    size_t wire;       /* bytes of its <item/> in a roster result (0 when
                        * hidden); set by the caller of a put */
    char **groups;
    size_t ngroups;
} edd_roster_item;

void edd_roster_item_clear(edd_roster_item *it);
void edd_roster_items_free(edd_roster_item *v, size_t n);

/* The whole roster of user: *out is a new array (free with
 * edd_roster_items_free), possibly empty.  0 ok, -1 error. */
int edd_store_roster_list(edd_store *st, const char *user, edd_roster_item **out,
                         size_t *n);
/* The contacts of user whose subscription has a bit of mask (EDD_SUB_*):
 * fn per contact bare JID (borrowed for the call); names and groups are
 * not read (presence broadcast costs per contact, not per roster byte).
 * 0 ok, -1 error. */
int edd_store_roster_contacts(edd_store *st, const char *user, int mask,
                             void (*fn)(void *ud, const char *contact), void *ud);
/* One item: 1 found (*out filled, clear it), 0 none, -1 error. */
int edd_store_roster_get(edd_store *st, const char *user, const char *contact,
                        edd_roster_item *out);
/* Insert or replace it.  1 ok, 0 refused (user's roster full:
 * EDD_ROSTER_MAX_ITEMS items, or EDD_ROSTER_MAX_WIRE bytes with it), -1 error. */
int edd_store_roster_put(edd_store *st, const char *user, const edd_roster_item *it);
/* 1 deleted, 0 none, -1 error. */
int edd_store_roster_del(edd_store *st, const char *user, const char *contact);

#endif
