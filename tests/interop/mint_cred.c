/* tests/interop/mint_cred.c — mint one TURN REST credential with
 * libextdisco, for the interop scripts.
 *
 *   mint_cred SECRET_FILE USER TTL NOW [sha1|sha256] [jid|token]
 *
 * SECRET_FILE holds one secret per line, newest (signing) first; a trailing
 * CR/LF is not part of a secret, empty lines are skipped.  USER is the bare
 * JID, or "-" for a username that is the expiry alone.  TTL and NOW are
 * decimal seconds (NOW may be "now").  The user mode defaults to jid.
 * Prints "username password" on one line; exit status 0 on success, 1 on a
 * library error, 2 on bad usage. */
#include "extdisco/turn_rest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_SECRETS 16
#define LINE_MAX_BYTES 4096

static int parse_i64(const char *s, long long *out)
{
    char *end;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno == 0 && end != s && *end == '\0';
}

static int usage(void)
{
    fprintf(stderr, "usage: mint_cred SECRET_FILE USER TTL NOW [sha1|sha256] [jid|token]\n");
    return 2;
}

int main(int argc, char **argv)
{
    static char lines[MAX_SECRETS][LINE_MAX_BYTES];
    const char *secrets[MAX_SECRETS];
    size_t n = 0;
    long long ttl, now;
    ed_turn_rest_config cfg;
    ed_turn_rest *r = NULL;
    ed_turn_cred cred;
    ed_err err;
    FILE *f;

    if (argc < 5 || argc > 7)
        return usage();
    memset(&cfg, 0, sizeof cfg);
    cfg.alg = ED_HMAC_SHA1;
    cfg.user_mode = ED_TURN_USER_JID;
    if (argc >= 6) {
        if (strcmp(argv[5], "sha256") == 0)
            cfg.alg = ED_HMAC_SHA256;
        else if (strcmp(argv[5], "sha1") != 0)
            return usage();
    }
    if (argc >= 7) {
        if (strcmp(argv[6], "token") == 0)
            cfg.user_mode = ED_TURN_USER_TOKEN;
        else if (strcmp(argv[6], "jid") != 0)
            return usage();
    }
    if (!parse_i64(argv[3], &ttl) || ttl <= 0)
        return usage();
    if (strcmp(argv[4], "now") == 0)
        now = (long long)time(NULL);
    else if (!parse_i64(argv[4], &now))
        return usage();

    if (!(f = fopen(argv[1], "r"))) {
        fprintf(stderr, "mint_cred: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    while (n < MAX_SECRETS && fgets(lines[n], LINE_MAX_BYTES, f)) {
        size_t len = strlen(lines[n]);
        while (len > 0 && (lines[n][len - 1] == '\n' || lines[n][len - 1] == '\r'))
            lines[n][--len] = '\0';
        if (len > 0) {
            secrets[n] = lines[n];
            n++;
        }
    }
    fclose(f);

    cfg.secrets = secrets;
    cfg.nsecrets = n;
    cfg.ttl = ttl;
    err = ed_turn_rest_new(&cfg, &r);
    if (err == ED_OK)
        err = ed_turn_rest_mint(r, strcmp(argv[2], "-") == 0 ? NULL : argv[2],
                                (int64_t)now, &cred);
    ed_turn_rest_free(r);
    if (err != ED_OK) {
        fprintf(stderr, "mint_cred: error %d\n", (int)err);
        return 1;
    }
    printf("%s %s\n", cred.username, cred.password);
    return 0;
}
