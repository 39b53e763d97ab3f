/* client/cli.h — internal to the `extdisco` command (main.c, output.c,
 * check.c, fetch.c, watch.c): options, output formats, a small JSON writer
 * and the shared requests. */
#ifndef EXTDISCO_CLIENT_CLI_H
#define EXTDISCO_CLIENT_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "extdisco/client.h"
#include "extdisco/service.h"
#include "extdisco/service_view.h"

/* Exit codes (documented in docs/extdisco.1). */
#define CLI_EXIT_OK     0  /* everything asked for worked */
#define CLI_EXIT_FAILED 1  /* some service failed (or a request failed) */
#define CLI_EXIT_CANNOT 2  /* could not ask: usage, login, feature missing */

typedef enum cli_format {
    CLI_TABLE = 0,
    CLI_JSON,
    CLI_ICE,   /* WebRTC RTCIceServer[] */
    CLI_URIS   /* RFC 7064/7065 URIs, one a line */
} cli_format;

typedef struct cli_opts {
    cli_format format;
    const char *to;          /* --to JID or NULL (the domain) */
    const char *type;        /* --type filter or NULL */
    int version;             /* 2, or 1 with --v1; 0: pick from disco */
    bool show_secrets;       /* table shows passwords */
    bool strict;             /* check: warnings fail too */
    int family;              /* check: 4 or 6 (--ipv4/--ipv6), 0 each found */
    int timeout_ms;          /* per request / per service check */
    const char *ca_file;     /* also used for turns/stuns checks */
    bool insecure;
} cli_opts;

/* --- JSON writer (compact, one document per line) ------------------------ */

typedef struct jw {
    FILE *f;
    int depth;
    bool comma[32];
} jw;

void jw_init(jw *w, FILE *f);
void jw_obj(jw *w, const char *key);   /* key NULL inside arrays / at top */
void jw_obj_end(jw *w);
void jw_arr(jw *w, const char *key);
void jw_arr_end(jw *w);
void jw_str(jw *w, const char *key, const char *v);   /* v NULL -> null */
void jw_int(jw *w, const char *key, long long v);
void jw_bool(jw *w, const char *key, bool v);
void jw_null(jw *w, const char *key);
void jw_end(jw *w);                    /* newline after a top-level value */

/* --- output --------------------------------------------------------------- */

/* The RFC 7064/7065 URI of a stun/stuns/turn/turns service into out (cap
 * bytes); false for other types. */
bool cli_service_uri(const ed_service *s, char *out, size_t cap);

/* One service as a JSON object (member key, or NULL in an array). */
void cli_json_service(jw *w, const char *key, const ed_service *s);

/* A services/credentials listing in the chosen format. */
void cli_print_services(FILE *f, const cli_opts *o, const char *entity,
                        const char *ns, const ed_service *v, size_t n,
                        size_t skipped, int64_t now);

/* "2026-11-22T10:00:00Z (in 23h59m)" style; buf >= 64 bytes. */
const char *cli_expiry_str(int64_t expires, int64_t now, char *buf, size_t cap);

/* --- requests (fetch.c) -------------------------------------------------- */

/* Did the server answer the request that failed with err (a stanza error,
 * or an answer that does not parse or lacks the payload asked for)? */
bool cli_answered(ed_client *c, ed_err err);

/* Exit code for a failed request (extdisco(1) EXIT STATUS): CLI_EXIT_FAILED
 * when the server answered, CLI_EXIT_CANNOT when it could not be asked (not
 * connected, no answer in time, bad arguments, no memory). */
int cli_exit_for(ed_client *c, ed_err err);

/* The XEP-0215 namespace of version 1 or 2 (static). */
const char *cli_ns(int version);

/* <services/> (o->to, o->type filter) in version `first` (1 or 2).  Without
 * --v1 (o->version 0), a :2 request the server answered with a stanza error
 * or without <services/> is asked again in :1 (as lib-jitsi-meet does); the
 * :2 error is then printed on stderr if :1 fails too.  On ED_OK *reply is
 * the result IQ (caller frees with ed_elem_free()) and *version the version
 * that answered.  On failure ed_client_error(c) says why. */
ed_err cli_get_services(ed_client *c, const cli_opts *o, int first, int *version,
                        ed_elem **reply);

/* <credentials/> for want[0..nwant) (borrowed), with the same fallback.
 * Outputs as ed_client_credentials() (caller frees *out with
 * ed_services_free() and *reply with ed_elem_free()). */
ed_err cli_get_credentials(ed_client *c, const cli_opts *o, int first,
                           const ed_service *want, size_t nwant, int *version,
                           ed_service **out, size_t *n, ed_elem **reply);

/* turn or turns? */
bool cli_is_turn(const ed_service *s);

/* Does s need a <credentials/> request (XEP-0215 §3.3, interop.md item 3):
 * a turn/turns or restricted service without inline username and password? */
bool cli_needs_credentials(const ed_service *s);

/* One <credentials/> request (in version) for every entry of v that needs
 * credentials (one <service/> per type + host + port); the answer is merged
 * into v with ed_service_view_apply_credentials() at now.  A failed request
 * is a warning on stderr (v keeps what it had).  Returns how many entries
 * still need credentials. */
size_t cli_fill_credentials(ed_client *c, const cli_opts *o, int version,
                            ed_service_view *v, int64_t now);

/* A deep copy of v's entries, in order (free with ed_services_free(out, *n));
 * NULL on allocation failure. */
ed_service *cli_view_services(const ed_service_view *v, size_t *n);

/* --- watch (watch.c) ------------------------------------------------------- */

/* The least --floor (seconds) watch accepts. */
#define CLI_WATCH_FLOOR_MIN 1

/* Set by main.c's SIGINT/SIGTERM handler: watch ends. */
extern volatile sig_atomic_t cli_stop;

/* `extdisco watch` for duration seconds (0: until a signal), refreshing
 * never sooner than floor_s (at least CLI_WATCH_FLOOR_MIN) seconds apart;
 * returns an exit code. */
int cli_watch(ed_client *c, const cli_opts *o, long duration, long floor_s);

/* --- check ---------------------------------------------------------------- */

/* `extdisco check`: returns an exit code. */
int cli_check(ed_client *c, const cli_opts *o);

#endif
