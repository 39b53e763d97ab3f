/* daemon/c2s/sasl.h — SASL for the standalone server, through libgsasl:
 * SCRAM-SHA-256 and SCRAM-SHA-1 checked against the StoredKey/ServerKey of
 * the account database (the password is never stored), PLAIN (only offered
 * over TLS) checked by deriving the SCRAM-SHA-256 key from the password.
 * No -PLUS variants (no channel binding is advertised).
 *
 * Unknown users cannot be told from real ones: SCRAM gives them a salt of
 * the same form, HMAC(a server secret kept in the database, user name), so
 * stable across restarts, and the default iteration count every account
 * has; PLAIN derives a key from their (fake) account as it does for a real
 * one, so a failure costs the same time.  User names are nodeprep'd for
 * every mechanism; an authzid is accepted when it names the user after
 * normalisation.  A database error (a lock) fails the exchange with
 * temporary-auth-failure, logged at most every 10 s. */
#ifndef EXTDISCOD_SASL_H
#define EXTDISCOD_SASL_H

#include <stdbool.h>
#include <stddef.h>

#include "c2s/store.h"

#define EDD_SASL_DEFAULT_ITER 4096
#define EDD_SASL_MAX_MSG 4096 /* bytes of one decoded client message */

typedef struct edd_sasl edd_sasl;
typedef struct edd_sasl_conv edd_sasl_conv;

/* The gsasl context.  NULL on failure. */
edd_sasl *edd_sasl_new(void);
void edd_sasl_free(edd_sasl *s); /* NULL is a no-op */

/* The mechanisms offered, best first: SCRAM-SHA-256, SCRAM-SHA-1 and, with
 * tls, PLAIN.  Static strings; returns the count (at most 3). */
size_t edd_sasl_mechanisms(bool tls, const char **out);

typedef enum edd_sasl_status {
    EDD_SASL_CONTINUE = 0, /* send a <challenge/> with *out */
    EDD_SASL_SUCCESS,      /* send <success/> with *out (may be empty) */
    EDD_SASL_FAILURE       /* send <failure><*condition/></failure> */
} edd_sasl_status;

/* Begin an exchange for mech.  NULL with *condition set ("invalid-mechanism"
 * or "temporary-auth-failure") on failure.  The store and domain are
 * borrowed and must outlive the exchange. */
edd_sasl_conv *edd_sasl_start(edd_sasl *s, const char *mech, bool tls, edd_store *st,
                            const char *domain, const char **condition);

/* One step with the client's decoded message (in may be NULL when inlen is
 * 0).  *out is malloc'd (caller frees; may be NULL with *outlen 0).
 * On EDD_SASL_FAILURE *condition is an RFC 6120 §6.5 condition. */
edd_sasl_status edd_sasl_step(edd_sasl_conv *c, const char *in, size_t inlen,
                            char **out, size_t *outlen, const char **condition);

/* After EDD_SASL_SUCCESS: the authenticated user's prepared local part. */
const char *edd_sasl_user(const edd_sasl_conv *c);

void edd_sasl_end(edd_sasl_conv *c); /* NULL is a no-op */

/* New salt and the SHA-1 and SHA-256 keys for password (extdiscoctl).
 * iter 0 means EDD_SASL_DEFAULT_ITER.  false on failure (bad UTF-8 after
 * SASLprep, allocation). */
bool edd_sasl_make_account(const char *password, unsigned iter, edd_account *out);

/* Does password match the account's SCRAM-SHA-256 key (constant time)? */
bool edd_sasl_check_password(const edd_account *a, const char *password);

#endif
