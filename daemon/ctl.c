/* daemon/ctl.c — extdiscoctl: manage the accounts of the standalone server.
 *
 *   extdiscoctl [-c FILE] adduser JID [--password-file F]
 *   extdiscoctl [-c FILE] passwd JID [--password-file F]
 *   extdiscoctl [-c FILE] deluser JID
 *
 * The database and domain come from the c2s section of FILE.  The password
 * is the first line of F, or of standard input; only its SCRAM keys are
 * stored.  Exit 0 on success, 1 on failure, 2 on usage errors. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config.h"
#include "extdisco/extdisco.h"
#include "sasl.h"
#include "store.h"

#define DEFAULT_CONFIG "/etc/extdisco/extdiscod.yml"
#define PASSWORD_MAX 1024

static void usage(FILE *f)
{
    fprintf(f, "usage: extdiscoctl [-c FILE] adduser|passwd JID [--password-file F]\n"
               "       extdiscoctl [-c FILE] deluser JID\n"
               "The password is read from the first line of F or of standard input.\n");
}

static bool read_password(const char *path, char *buf, size_t n)
{
    FILE *f = path ? fopen(path, "r") : stdin;
    if (!f) {
        perror(path);
        return false;
    }
    bool ok = fgets(buf, (int)n, f) != NULL;
    if (path)
        fclose(f);
    if (!ok) {
        fprintf(stderr, "extdiscoctl: no password given\n");
        return false;
    }
    size_t l = strcspn(buf, "\r\n");
    if (buf[l] == '\0' && l == n - 1) {
        fprintf(stderr, "extdiscoctl: password longer than %d bytes\n", PASSWORD_MAX - 2);
        return false;
    }
    buf[l] = '\0';
    if (!*buf) {
        fprintf(stderr, "extdiscoctl: empty password\n");
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    const char *cfgpath = DEFAULT_CONFIG, *pwfile = NULL;
    static const struct option longopts[] = {
        {"password-file", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "c:p:h", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': cfgpath = optarg; break;
        case 'p': pwfile = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind != 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[optind], *jidtext = argv[optind + 1];
    bool add = strcmp(cmd, "adduser") == 0, pass = strcmp(cmd, "passwd") == 0,
         del = strcmp(cmd, "deluser") == 0;
    if (!add && !pass && !del) {
        usage(stderr);
        return 2;
    }

    char err[1024];
    ed_config *cfg = ed_config_load(cfgpath, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int rc = 1;
    ed_store *st = NULL;
    ed_jid *jid = NULL;
    if (!cfg->c2s || !cfg->c2s->database) {
        fprintf(stderr, "%s: no c2s section with a database\n", cfgpath);
        goto out;
    }
    if (ed_jid_parse(jidtext, strlen(jidtext), &jid) != ED_OK || !jid->local || jid->resource) {
        fprintf(stderr, "extdiscoctl: %s is not a bare JID user@domain\n", jidtext);
        goto out;
    }
    if (strcmp(jid->domain, cfg->c2s->domain) != 0) {
        fprintf(stderr, "extdiscoctl: %s is not in the served domain %s\n", jid->bare,
                cfg->c2s->domain);
        goto out;
    }
    if (!(st = ed_store_open(cfg->c2s->database, err, sizeof err))) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    if (del) {
        int r = ed_store_account_del(st, jid->local);
        if (r == 1) {
            printf("deleted %s\n", jid->bare);
            rc = 0;
        } else {
            fprintf(stderr, "extdiscoctl: %s: %s\n", jid->bare,
                    r == 0 ? "no such user" : "database error");
        }
        goto out;
    }
    char pw[PASSWORD_MAX];
    ed_account a;
    if (!read_password(pwfile, pw, sizeof pw))
        goto out;
    bool made = ed_sasl_make_account(pw, 0, &a);
    OPENSSL_cleanse(pw, sizeof pw);
    if (!made) {
        fprintf(stderr, "extdiscoctl: cannot derive keys (password not valid UTF-8?)\n");
        goto out;
    }
    int r = ed_store_account_put(st, jid->local, &a, add);
    OPENSSL_cleanse(&a, sizeof a);
    if (r == 1) {
        printf("%s %s\n", add ? "added" : "changed the password of", jid->bare);
        rc = 0;
    } else {
        fprintf(stderr, "extdiscoctl: %s: %s\n", jid->bare,
                r < 0 ? "database error" : add ? "user exists" : "no such user");
    }
out:
    ed_jid_free(jid);
    ed_store_close(st);
    ed_config_free(cfg);
    return rc;
}
