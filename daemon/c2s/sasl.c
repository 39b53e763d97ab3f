/* daemon/c2s/sasl.c — libgsasl server side (see sasl.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsasl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "extdisco/jid.h"
#include "core/log.h"
#include "c2s/sasl.h"

#define FAKE_KEY_NAME "scram-fake-salt-key"
#define DB_ERROR_LOG_EVERY 10 /* s */

struct edd_sasl {
    Gsasl *ctx;
    unsigned char fake_key[32]; /* for the salts of unknown users */
    const edd_store *key_from;   /* the store fake_key was read from, or NULL */
    time_t db_error_logged;     /* rate limit of the database error line */
    unsigned db_errors;         /* lookups failed since it was logged */
};

struct edd_sasl_conv {
    edd_sasl *sasl;
    Gsasl_session *sess;
    edd_store *st;
    const char *domain;
    bool sha256;        /* SCRAM-SHA-256 (else SHA-1; PLAIN uses 256) */
    int looked_up;      /* 0 not yet, 1 found, -1 unknown user, -2 error */
    bool db_error;
    char user[ED_JID_PART_MAX + 1];
    edd_account acct;
};

static bool b64(const unsigned char *in, size_t n, char *out, size_t outsz)
{
    char *e = NULL;
    size_t el = 0;
    if (gsasl_base64_to((const char *)in, n, &e, &el) != GSASL_OK)
        return false;
    bool ok = el < outsz;
    if (ok)
        memcpy(out, e, el + 1);
    gsasl_free(e);
    return ok;
}

/* The fake-salt key from the store's persistent secret (created there at
 * first use), so that an unknown user's salt is the same after a restart,
 * as a real user's is.  Until it can be read (a locked database) the key is
 * a random one of this process: the exchange then fails with
 * temporary-auth-failure for existing and unknown users alike. */
static void load_fake_key(edd_sasl *s, edd_store *st)
{
    if (s->key_from == st)
        return;
    unsigned char fresh[sizeof s->fake_key], got[sizeof s->fake_key];
    if (gsasl_random((char *)fresh, sizeof fresh) == GSASL_OK &&
        edd_store_secret(st, FAKE_KEY_NAME, fresh, sizeof fresh, got) == 1) {
        memcpy(s->fake_key, got, sizeof got);
        s->key_from = st;
    }
    OPENSSL_cleanse(fresh, sizeof fresh);
    OPENSSL_cleanse(got, sizeof got);
}

/* A failed lookup is logged at most every DB_ERROR_LOG_EVERY seconds (an
 * outside party can cause one per login attempt); a lock held by another
 * process is the store's to log. */
static void db_error(edd_sasl *s, edd_store *st, const char *user)
{
    s->db_errors++;
    time_t now = time(NULL);
    if (edd_store_busy(st) ||
        (s->db_error_logged && now - s->db_error_logged < DB_ERROR_LOG_EVERY))
        return;
    edd_log_error("sasl: account database error looking up %s: %s (%u lookup%s failed "
                 "since the last report)", user, edd_store_errmsg(st), s->db_errors,
                 s->db_errors == 1 ? "" : "s");
    s->db_error_logged = now;
    s->db_errors = 0;
}

/* Normalise the SASL username (a JID local part, nodeprep: the same for
 * every mechanism) and load the account. */
static void lookup(edd_sasl_conv *c, Gsasl_session *sess)
{
    if (c->looked_up)
        return;
    c->looked_up = -1;
    const char *authid = gsasl_property_fast(sess, GSASL_AUTHID);
    ed_jid *j = NULL;
    if (!authid || !*authid || ed_jid_make(authid, c->domain, NULL, &j) != ED_OK ||
        !j->local) {
        ed_jid_free(j);
        snprintf(c->user, sizeof c->user, "%s", authid ? authid : "");
    } else {
        snprintf(c->user, sizeof c->user, "%s", j->local);
        ed_jid_free(j);
        int r = edd_store_account_get(c->st, c->user, &c->acct);
        if (r == 1) {
            c->looked_up = 1;
            return;
        }
        if (r < 0) {
            c->looked_up = -2;
            c->db_error = true;
            db_error(c->sasl, c->st, c->user);
        }
    }
    /* Unknown user: a salt of the same form as a real one (16 bytes),
     * HMAC(persistent server secret, user), so stable across restarts; the
     * iteration count every account gets (extdiscoctl makes them all with
     * EDD_SASL_DEFAULT_ITER: one derived per user would tell the fakes
     * apart); random keys that never match.  PLAIN derives from this
     * account like from a real one (the same PBKDF2 work either way). */
    unsigned char mac[32];
    unsigned maclen = sizeof mac;
    HMAC(EVP_sha256(), c->sasl->fake_key, sizeof c->sasl->fake_key,
         (const unsigned char *)c->user, strlen(c->user), mac, &maclen);
    memset(&c->acct, 0, sizeof c->acct);
    c->acct.iter = EDD_SASL_DEFAULT_ITER;
    b64(mac, 16, c->acct.salt, sizeof c->acct.salt);
    OPENSSL_cleanse(mac, sizeof mac);
    unsigned char rnd[32];
    gsasl_random((char *)rnd, sizeof rnd);
    b64(rnd, 32, c->acct.sha256_stored, sizeof c->acct.sha256_stored);
    b64(rnd, 20, c->acct.sha1_stored, sizeof c->acct.sha1_stored);
    gsasl_random((char *)rnd, sizeof rnd);
    b64(rnd, 32, c->acct.sha256_server, sizeof c->acct.sha256_server);
    b64(rnd, 20, c->acct.sha1_server, sizeof c->acct.sha1_server);
}

static int callback(Gsasl *ctx, Gsasl_session *sess, Gsasl_property prop)
{
    edd_sasl_conv *c = gsasl_session_hook_get(sess);
    if (!c)
        return GSASL_NO_CALLBACK;
    char buf[16];
    switch (prop) {
    case GSASL_SCRAM_ITER:
        lookup(c, sess);
        snprintf(buf, sizeof buf, "%u", c->acct.iter);
        return gsasl_property_set(sess, prop, buf);
    case GSASL_SCRAM_SALT:
        lookup(c, sess);
        return gsasl_property_set(sess, prop, c->acct.salt);
    case GSASL_SCRAM_STOREDKEY:
        lookup(c, sess);
        return gsasl_property_set(sess, prop,
                                  c->sha256 ? c->acct.sha256_stored : c->acct.sha1_stored);
    case GSASL_SCRAM_SERVERKEY:
        lookup(c, sess);
        return gsasl_property_set(sess, prop,
                                  c->sha256 ? c->acct.sha256_server : c->acct.sha1_server);
    case GSASL_VALIDATE_SIMPLE: {
        lookup(c, sess);
        const char *pw = gsasl_property_fast(sess, GSASL_PASSWORD);
        /* the derivation runs for unknown users too (their fake account):
         * a failure takes as long whether the account exists or not */
        bool match = pw && edd_sasl_check_password(&c->acct, pw);
        return match && c->looked_up == 1 ? GSASL_OK : GSASL_AUTHENTICATION_ERROR;
    }
    default:
        return GSASL_NO_CALLBACK;
    }
}

edd_sasl *edd_sasl_new(void)
{
    edd_sasl *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    if (gsasl_init(&s->ctx) != GSASL_OK ||
        gsasl_random((char *)s->fake_key, sizeof s->fake_key) != GSASL_OK) {
        edd_sasl_free(s);
        return NULL;
    }
    gsasl_callback_set(s->ctx, callback);
    return s;
}

void edd_sasl_free(edd_sasl *s)
{
    if (!s)
        return;
    if (s->ctx)
        gsasl_done(s->ctx);
    OPENSSL_cleanse(s->fake_key, sizeof s->fake_key);
    free(s);
}

size_t edd_sasl_mechanisms(bool tls, const char **out)
{
    size_t n = 0;
    out[n++] = "SCRAM-SHA-256";
    out[n++] = "SCRAM-SHA-1";
    if (tls)
        out[n++] = "PLAIN";
    return n;
}

edd_sasl_conv *edd_sasl_start(edd_sasl *s, const char *mech, bool tls, edd_store *st,
                            const char *domain, const char **condition)
{
    const char *mechs[3];
    size_t n = edd_sasl_mechanisms(tls, mechs);
    bool offered = false;
    for (size_t i = 0; i < n; i++)
        offered |= strcmp(mechs[i], mech) == 0;
    if (!offered) {
        *condition = "invalid-mechanism";
        return NULL;
    }
    edd_sasl_conv *c = calloc(1, sizeof *c);
    if (!c) {
        *condition = "temporary-auth-failure";
        return NULL;
    }
    c->sasl = s;
    c->st = st;
    c->domain = domain;
    c->sha256 = strcmp(mech, "SCRAM-SHA-1") != 0;
    load_fake_key(s, st);
    if (gsasl_server_start(s->ctx, mech, &c->sess) != GSASL_OK) {
        free(c);
        *condition = "invalid-mechanism";
        return NULL;
    }
    gsasl_session_hook_set(c->sess, c);
    return c;
}

/* An authzid names the authenticated user when it is empty, the authcid as
 * sent (gsasl's PLAIN reports the authcid as authzid when none was given),
 * or a bare JID whose prepared local part and domain are the user's and the
 * served domain: "ALICE@LocalHost" for an authcid "alice" (RFC 6120 §6.3.8:
 * the authzid is a JID, compared after normalisation like the authcid). */
static bool authzid_ok(edd_sasl_conv *c, const char *authzid)
{
    if (!authzid || !*authzid || strcmp(authzid, c->user) == 0)
        return true;
    const char *authid = gsasl_property_fast(c->sess, GSASL_AUTHID);
    if (authid && strcmp(authzid, authid) == 0)
        return true;
    ed_jid *j = NULL;
    bool ok = ed_jid_parse(authzid, strlen(authzid), &j) == ED_OK && j->local &&
              !j->resource && strcmp(j->local, c->user) == 0 &&
              strcmp(j->domain, c->domain) == 0;
    ed_jid_free(j);
    return ok;
}

edd_sasl_status edd_sasl_step(edd_sasl_conv *c, const char *in, size_t inlen,
                            char **out, size_t *outlen, const char **condition)
{
    *out = NULL;
    *outlen = 0;
    char *o = NULL;
    size_t ol = 0;
    int rc = gsasl_step(c->sess, in, inlen, &o, &ol);
    if (rc == GSASL_NEEDS_MORE || rc == GSASL_OK) {
        if (ol) {
            if (!(*out = malloc(ol))) {
                gsasl_free(o);
                *condition = "temporary-auth-failure";
                return EDD_SASL_FAILURE;
            }
            memcpy(*out, o, ol);
            *outlen = ol;
        }
        gsasl_free(o);
        if (rc == GSASL_NEEDS_MORE)
            return EDD_SASL_CONTINUE;
        /* authenticated: an authzid, if any, must name the user */
        if (c->looked_up != 1) {
            *condition = "not-authorized";
        } else if (!authzid_ok(c, gsasl_property_fast(c->sess, GSASL_AUTHZID))) {
            *condition = "invalid-authzid";
        } else {
            return EDD_SASL_SUCCESS;
        }
        free(*out);
        *out = NULL;
        *outlen = 0;
        return EDD_SASL_FAILURE;
    }
    gsasl_free(o);
    if (c->db_error)
        *condition = "temporary-auth-failure";
    else if (rc == GSASL_MECHANISM_PARSE_ERROR || rc == GSASL_BASE64_ERROR ||
             rc == GSASL_SASLPREP_ERROR)
        *condition = "malformed-request";
    else
        *condition = "not-authorized";
    edd_log_debug("sasl: step failed for '%s': %s", c->user, gsasl_strerror(rc));
    return EDD_SASL_FAILURE;
}

const char *edd_sasl_user(const edd_sasl_conv *c)
{
    return c->user;
}

void edd_sasl_end(edd_sasl_conv *c)
{
    if (!c)
        return;
    gsasl_finish(c->sess);
    OPENSSL_cleanse(&c->acct, sizeof c->acct);
    free(c);
}

/* SCRAM keys of password for hash h with salt (raw bytes). */
static bool derive(Gsasl_hash h, const char *password, unsigned iter,
                   const char *salt, size_t saltlen, unsigned char *stored,
                   unsigned char *server)
{
    char salted[GSASL_HASH_MAX_SIZE], client[GSASL_HASH_MAX_SIZE];
    int rc = gsasl_scram_secrets_from_password(h, password, iter, salt, saltlen, salted,
                                               client, (char *)server, (char *)stored);
    OPENSSL_cleanse(salted, sizeof salted);
    OPENSSL_cleanse(client, sizeof client);
    return rc == GSASL_OK;
}

static char *prep_password(const char *password)
{
    char *p = NULL;
    if (gsasl_saslprep(password, 0, &p, NULL) != GSASL_OK)
        return NULL;
    return p;
}

bool edd_sasl_make_account(const char *password, unsigned iter, edd_account *out)
{
    memset(out, 0, sizeof *out);
    out->iter = iter ? iter : EDD_SASL_DEFAULT_ITER;
    char salt[16];
    unsigned char st1[20], sv1[20], st256[32], sv256[32];
    char *pw = prep_password(password);
    bool ok = pw && gsasl_nonce(salt, sizeof salt) == GSASL_OK &&
              derive(GSASL_HASH_SHA1, pw, out->iter, salt, sizeof salt, st1, sv1) &&
              derive(GSASL_HASH_SHA256, pw, out->iter, salt, sizeof salt, st256, sv256) &&
              b64((unsigned char *)salt, sizeof salt, out->salt, sizeof out->salt) &&
              b64(st1, sizeof st1, out->sha1_stored, sizeof out->sha1_stored) &&
              b64(sv1, sizeof sv1, out->sha1_server, sizeof out->sha1_server) &&
              b64(st256, sizeof st256, out->sha256_stored, sizeof out->sha256_stored) &&
              b64(sv256, sizeof sv256, out->sha256_server, sizeof out->sha256_server);
    if (pw) {
        OPENSSL_cleanse(pw, strlen(pw));
        gsasl_free(pw);
    }
    return ok;
}

bool edd_sasl_check_password(const edd_account *a, const char *password)
{
    char *salt = NULL;
    size_t saltlen = 0;
    if (gsasl_base64_from(a->salt, strlen(a->salt), &salt, &saltlen) != GSASL_OK)
        return false;
    unsigned char stored[32], server[32];
    char enc[EDD_STORE_KEY_MAX];
    char *pw = prep_password(password);
    bool ok = pw && derive(GSASL_HASH_SHA256, pw, a->iter, salt, saltlen, stored, server) &&
              b64(stored, sizeof stored, enc, sizeof enc) &&
              strlen(enc) == strlen(a->sha256_stored) &&
              CRYPTO_memcmp(enc, a->sha256_stored, strlen(enc)) == 0;
    if (pw) {
        OPENSSL_cleanse(pw, strlen(pw));
        gsasl_free(pw);
    }
    gsasl_free(salt);
    return ok;
}
