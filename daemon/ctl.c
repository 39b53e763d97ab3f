/* daemon/ctl.c — extdiscoctl: manage the accounts of the standalone server.
 *
 *   extdiscoctl [-c FILE] adduser JID [-p|--password-file F]
 *   extdiscoctl [-c FILE] passwd JID [-p|--password-file F]
 *   extdiscoctl [-c FILE] deluser JID
 *   extdiscoctl [-c FILE] list
 *   extdiscoctl [-c FILE] status [--json]   (ctl_status.c: the running
 *                                            daemon's /status as tables)
 *   extdiscoctl -h|--help, -V|--version
 *
 * The database and domain come from the c2s section of FILE.  The password
 * is the first line of F, or of standard input (one with a NUL byte is
 * refused); only its SCRAM keys are stored.  Run as root with a configuration that has `user`, the database
 * is given to that user after a change (extdiscod opens it as that user).
 * Exit 0 on success, 1 on failure, 2 on usage errors. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <sqlite3.h>

#include "config/config.h"
#include "extdisco/extdisco.h"
#include "c2s/sasl.h"
#include "c2s/store.h"
#include "ctl_status.h"

#define DEFAULT_CONFIG "/etc/extdisco/extdiscod.yml"
#define PASSWORD_MAX 1024

static void usage(FILE *f)
{
    fprintf(f, "usage: extdiscoctl [-c FILE] adduser|passwd JID [-p|--password-file F]\n"
               "       extdiscoctl [-c FILE] deluser JID\n"
               "       extdiscoctl [-c FILE] list\n"
               "       extdiscoctl [-c FILE] status [--json]\n"
               "       extdiscoctl -h|--help | -V|--version\n"
               "The password is read from the first line of F or of standard input.\n");
}

/* list: every account of the database, one bare JID a line, sorted by
 * local part (byte order).  Read-only, straight from SQLite: store.h has no
 * listing.  0 done, 1 error (reported). */
static int list_accounts(const char *db, const char *domain)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *q = NULL;
    int rc = 1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "extdiscoctl: %s: %s\n", db, h ? sqlite3_errmsg(h) : "cannot open");
        goto out;
    }
    sqlite3_busy_timeout(h, 2000);
    if (sqlite3_prepare_v2(h, "SELECT user FROM accounts ORDER BY user", -1, &q, NULL) !=
        SQLITE_OK) {
        fprintf(stderr, "extdiscoctl: %s: %s\n", db, sqlite3_errmsg(h));
        goto out;
    }
    int r;
    while ((r = sqlite3_step(q)) == SQLITE_ROW) {
        const unsigned char *u = sqlite3_column_text(q, 0);
        if (u)
            printf("%s@%s\n", (const char *)u, domain);
    }
    if (r != SQLITE_DONE) {
        fprintf(stderr, "extdiscoctl: %s: %s\n", db, sqlite3_errmsg(h));
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(q);
    sqlite3_close(h);
    return rc;
}

/* Can uid/gid (no supplementary groups: extdiscod drops them) write and
 * search directory st?  By the permission bits, as the kernel would. */
static bool dir_writable_by(const struct stat *st, uid_t uid, gid_t gid)
{
    if (uid == 0)
        return true;
    if (st->st_uid == uid)
        return (st->st_mode & (S_IWUSR | S_IXUSR)) == (S_IWUSR | S_IXUSR);
    if (st->st_gid == gid)
        return (st->st_mode & (S_IWGRP | S_IXGRP)) == (S_IWGRP | S_IXGRP);
    return (st->st_mode & (S_IWOTH | S_IXOTH)) == (S_IWOTH | S_IXOTH);
}

/* Run as root with `user` configured: give the database file to that user
 * (extdiscod opens it as that user), and say so when its directory is not
 * writable by the user (SQLite creates its journal there).  false when the
 * user is unknown or the chown failed (reported). */
static bool give_to_user(const char *db, const char *user)
{
    if (!user || geteuid() != 0)
        return true;
    struct passwd *pw = getpwnam(user);
    if (!pw) {
        fprintf(stderr, "extdiscoctl: user: no such user '%s'\n", user);
        return false;
    }
    if (chown(db, pw->pw_uid, pw->pw_gid) != 0) {
        fprintf(stderr, "extdiscoctl: cannot give %s to %s: %s\n", db, user, strerror(errno));
        return false;
    }
    char copy[PATH_MAX];
    snprintf(copy, sizeof copy, "%s", db);
    const char *dir = dirname(copy);
    struct stat st;
    if (stat(dir, &st) == 0 && !dir_writable_by(&st, pw->pw_uid, pw->pw_gid))
        fprintf(stderr, "extdiscoctl: note: %s is not writable by %s, which extdiscod "
                        "needs for the database's journal (e.g. chown %s %s)\n",
                dir, user, user, dir);
    return true;
}

/* The first line of path (or of standard input) into buf.  A NUL byte in
 * it is refused, as extdiscod refuses secret files with one: fgets would
 * have cut the password there and stored the keys of a shorter one. */
static bool read_password(const char *path, char *buf, size_t n)
{
    FILE *f = path ? fopen(path, "r") : stdin;
    if (!f) {
        perror(path);
        return false;
    }
    size_t l = 0;
    int ch = EOF;
    bool nul = false, got = false;
    while (l < n - 2 && (ch = getc(f)) != EOF && ch != '\n') {
        got = true;
        nul |= ch == '\0';
        buf[l++] = (char)ch;
    }
    bool more = l == n - 2 && (ch = getc(f)) != EOF && ch != '\n';
    got |= ch == '\n';
    if (path)
        fclose(f);
    buf[l] = '\0';
    buf[strcspn(buf, "\r")] = '\0'; /* a CRLF line (as before: up to a CR) */
    if (!got) {
        fprintf(stderr, "extdiscoctl: no password given\n");
        return false;
    }
    if (more) {
        fprintf(stderr, "extdiscoctl: password longer than %d bytes\n", PASSWORD_MAX - 2);
        return false;
    }
    if (nul) {
        fprintf(stderr, "extdiscoctl: the password contains a NUL byte (refused: it would "
                        "be cut there)\n");
        return false;
    }
    if (!*buf) {
        fprintf(stderr, "extdiscoctl: empty password\n");
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    const char *cfgpath = DEFAULT_CONFIG, *pwfile = NULL;
    bool json_out = false;
    static const struct option longopts[] = {
        {"password-file", required_argument, NULL, 'p'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    int opt;
    while ((opt = getopt_long(argc, argv, "c:p:hV", longopts, NULL)) != -1) {
        switch (opt) {
        case 'c': cfgpath = optarg; break;
        case 'p': pwfile = optarg; break;
        case 'j': json_out = true; break;
        case 'h': usage(stdout); return 0;
        case 'V': printf("extdiscoctl %s\n", ED_VERSION); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[optind];
    if (strcmp(cmd, "status") == 0) {
        if (argc - optind != 1 || pwfile) {
            usage(stderr);
            return 2;
        }
        char e[1024];
        edd_config *c = edd_config_load(cfgpath, e, sizeof e);
        if (!c) {
            fprintf(stderr, "%s\n", e);
            return 1;
        }
        int r = edd_ctl_status(c, cfgpath, json_out, stdout);
        edd_config_free(c);
        return r;
    }
    if (json_out) {
        usage(stderr);
        return 2;
    }
    bool add = strcmp(cmd, "adduser") == 0, pass = strcmp(cmd, "passwd") == 0,
         del = strcmp(cmd, "deluser") == 0, list = strcmp(cmd, "list") == 0;
    if ((!add && !pass && !del && !list) || argc - optind != (list ? 1 : 2) ||
        ((del || list) && pwfile)) {
        usage(stderr);
        return 2;
    }
    const char *jidtext = list ? NULL : argv[optind + 1];

    char err[1024];
    edd_config *cfg = edd_config_load(cfgpath, err, sizeof err);
    if (!cfg) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    int rc = 1;
    edd_store *st = NULL;
    ed_jid *jid = NULL;
    if (!cfg->c2s || !cfg->c2s->database) {
        fprintf(stderr, "%s: no c2s section with a database\n", cfgpath);
        goto out;
    }
    if (list) {
        rc = list_accounts(cfg->c2s->database, cfg->c2s->domain);
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
    if (!(st = edd_store_open(cfg->c2s->database, err, sizeof err))) {
        fprintf(stderr, "%s\n", err);
        goto out;
    }
    edd_store_set_busy_wait(st, EDD_STORE_OPEN_WAIT_MS); /* a command may wait */
    if (del) {
        int r = edd_store_account_del(st, jid->local);
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
    edd_account a;
    if (!read_password(pwfile, pw, sizeof pw))
        goto out;
    bool made = edd_sasl_make_account(pw, 0, &a);
    OPENSSL_cleanse(pw, sizeof pw);
    if (!made) {
        fprintf(stderr, "extdiscoctl: cannot derive keys (password not valid UTF-8?)\n");
        goto out;
    }
    int r = edd_store_account_put(st, jid->local, &a, add);
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
    /* opened (maybe created) by root: closed first (no journal left), then
     * given to the daemon's user */
    bool opened = st != NULL;
    edd_store_close(st);
    if (opened && !give_to_user(cfg->c2s->database, cfg->user))
        rc = 1;
    edd_config_free(cfg);
    return rc;
}
