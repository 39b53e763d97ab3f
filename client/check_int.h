/* client/check_int.h — internal to `extdisco check` (check.c, the checks
 * and the table; check_json.c, the JSON output). */
#ifndef EXTDISCO_CLIENT_CHECK_INT_H
#define EXTDISCO_CLIENT_CHECK_INT_H

#include "cli.h"
#include "relaycheck.h"
#include "turncheck.h"

#define MAX_FLAGS 12
#define MAX_CHECKED 64

typedef struct flag {
    const char *code;
    bool severe;          /* breaks the service for real clients */
    char msg[512];
} flag;

typedef struct svc_check {
    bool parsed;          /* the raw entry parsed */
    char raw_error[160];  /* why not */
    const char *raw_type, *raw_host;
    ed_service svc;
    bool checked;         /* a STUN/TURN check ran */
    bool skipped_type;    /* not a STUN/TURN type */
    ed_check_result res;
    bool ok;              /* overall status of this entry */
    flag flags[MAX_FLAGS];
    int nflags;
    int nat;              /* -1 unknown, 0 same address as sic, 1 differs */
    int family;           /* addresses checked: 0 all, 4 IPv4, 6 IPv6 only */
    ed_elem *raw;         /* the entry as received (borrowed from the reply) */
    bool creds_in_services; /* its <credentials/> came in <services/> */
    /* TURN beyond one allocation (relaycheck.h); relay.ran false if not */
    ed_relay_result relay;
    int open_relay;       /* -1 not asked, 0 refused, 1 allocated */
    int open_code;        /* the refusal's error code */
    char open_why[300];
} svc_check;


/* "FAIL", "warn" or "ok" (strict: warnings fail). */
const char *check_status(const svc_check *sc, bool strict);

/* One line saying what happened to sc. */
void check_describe(const svc_check *sc, char *out, size_t cap);

bool check_is_turn(const ed_service *s);

/* The whole `check --json` document on standard output. */
void check_print_json(const cli_opts *o, const char *entity, const char *ns,
                      unsigned feats, const char *sic_ns, const char *sic_ip,
                      int sic_port, const char *sic_err, svc_check *sc,
                      size_t n, int nok, int nfail, int nwarn, int rc);

#endif
