/* extdisco/turn_rest.h — time-limited TURN credentials as in
 * draft-uberti-behave-turn-rest and coturn's use-auth-secret:
 *   username = EXPIRY[SEP USER], password = base64(HMAC(secret, username)).
 * The HMAC key schedule of each secret is computed once; minting copies it,
 * so a mint costs two short hash compressions per HMAC.  No global state;
 * a const ed_turn_rest may be used from several threads at once. */
#ifndef EXTDISCO_TURN_REST_H
#define EXTDISCO_TURN_REST_H

#include <stddef.h>
#include <stdint.h>
#include "extdisco/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* STUN USERNAME is at most 513 bytes (RFC 8489 §14.3). */
#define ED_TURN_USERNAME_MAX 513
#define ED_TURN_PASSWORD_MAX 64
#define ED_TURN_DEFAULT_TTL  43200 /* 12 h */

typedef enum ed_hmac_alg {
    ED_HMAC_SHA1 = 0, /* what coturn accepts (the default) */
    ED_HMAC_SHA256
} ed_hmac_alg;

typedef enum ed_turn_user_mode {
    ED_TURN_USER_TOKEN = 0, /* USER = stable keyed token of the bare JID */
    ED_TURN_USER_JID,       /* USER = the bare JID itself */
    ED_TURN_USER_NONE       /* username = EXPIRY only */
} ed_turn_user_mode;

typedef struct ed_turn_rest_config {
    const char *const *secrets; /* newest first; secrets[0] signs */
    const size_t *secret_lens;  /* NULL: each is NUL-terminated */
    size_t nsecrets;            /* >= 1 */
    ed_hmac_alg alg;
    char separator;             /* 0 means ':' */
    int64_t ttl;                /* seconds; 0 means ED_TURN_DEFAULT_TTL */
    ed_turn_user_mode user_mode;
    /* Key for the user token; NULL derives one from secrets[nsecrets-1]
     * (the oldest), so tokens survive the rotation of newer secrets. */
    const char *token_key;
    size_t token_key_len;
} ed_turn_rest_config;

typedef struct ed_turn_rest ed_turn_rest;

typedef struct ed_turn_cred {
    char username[ED_TURN_USERNAME_MAX + 1];
    char password[ED_TURN_PASSWORD_MAX + 1];
    int64_t expires; /* Unix seconds, equal to the username's EXPIRY */
} ed_turn_cred;

/* Copies everything it needs from cfg (secrets included, wiped on free).
 * *out is freed with ed_turn_rest_free(). */
ed_err ed_turn_rest_new(const ed_turn_rest_config *cfg, ed_turn_rest **out);
void ed_turn_rest_free(ed_turn_rest *r); /* NULL is a no-op */

/* Mint for user (a bare JID, or NULL for none) at time now: expiry is
 * now + ttl.  ED_ELIMIT when the username would pass ED_TURN_USERNAME_MAX. */
ed_err ed_turn_rest_mint(const ed_turn_rest *r, const char *user, int64_t now,
                         ed_turn_cred *out);

/* Check a credential as a TURN server would: the username's expiry is after
 * now and some secret reproduces password.  ED_OK, ED_TURN_BAD_USERNAME,
 * ED_TURN_EXPIRED or ED_TURN_BAD_PASSWORD. */
ed_err ed_turn_rest_verify(const ed_turn_rest *r, const char *username,
                           const char *password, int64_t now);

/* The stable user token for a bare JID: 16 bytes of HMAC-SHA256(token key,
 * bare JID) in lower-case base32 without padding (26 characters).  out must
 * hold 27 bytes.  Returns the length. */
size_t ed_turn_rest_user_token(const ed_turn_rest *r, const char *bare_jid,
                               char *out);

int64_t ed_turn_rest_ttl(const ed_turn_rest *r);

#ifdef __cplusplus
}
#endif
#endif
