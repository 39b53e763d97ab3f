/* client/cli.h — internal to the `extdisco` command (main.c, output.c,
 * check.c): options, output formats and a small JSON writer. */
#ifndef EXTDISCO_CLIENT_CLI_H
#define EXTDISCO_CLIENT_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "extdisco/client.h"
#include "extdisco/service.h"

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

/* --- check ---------------------------------------------------------------- */

/* `extdisco check`: returns an exit code. */
int cli_check(ed_client *c, const cli_opts *o);

#endif
