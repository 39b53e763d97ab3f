/* daemon/c2s/store_sqlite.c — accounts and rosters in SQLite (see store.h).
 *
 * A lock held by another process (extdiscoctl, a backup, sqlite3 BEGIN
 * EXCLUSIVE) must not stall extdiscod's event loop: the busy handler waits
 * at most busy_wait_ms (EDD_STORE_BUSY_WAIT_MS) and then makes every call
 * fail at once for EDD_STORE_BUSY_BACKOFF_MS, so that a burst of calls
 * (logins, a presence broadcast) costs the loop one short wait, not one
 * wait each.  The lock is logged once and then at most every
 * EDD_STORE_LOG_EVERY_MS with the number of calls refused meanwhile. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "core/log.h"
#include "c2s/store.h"

#define EDD_STORE_LOG_EVERY_MS 10000
#define EDD_STORE_CHECK_FILE_MS 1000

struct edd_store {
    sqlite3 *db;
    char *path;
    unsigned busy_wait_ms;   /* longest wait for a lock */
    int64_t wait_start;      /* when the current wait began (ms) */
    int64_t busy_until;      /* fail at once until then (ms) */
    bool busy;               /* the last wait gave up */
    int64_t busy_logged;     /* when the lock was last logged (ms) */
    unsigned busy_refused;   /* calls refused since */
    bool have_id;            /* dev/ino of the file opened */
    dev_t dev;
    ino_t ino;
    int64_t file_checked;    /* when the path was last compared (ms) */
    bool file_gone;          /* logged: deleted or replaced */
    bool in_read;            /* between edd_store_read_begin and _end */
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void note_busy(edd_store *st, int64_t now)
{
    st->busy_refused++;
    if (st->busy_logged && now - st->busy_logged < EDD_STORE_LOG_EVERY_MS)
        return;
    edd_log_warn("database %s is locked by another process: %u call%s refused (each waits "
                "at most %u ms, then calls fail at once for %u ms)", st->path,
                st->busy_refused, st->busy_refused == 1 ? "" : "s", st->busy_wait_ms,
                EDD_STORE_BUSY_BACKOFF_MS);
    st->busy_logged = now;
    st->busy_refused = 0;
}

/* sqlite3_busy_handler: nonzero to try again. */
static int on_busy(void *arg, int count)
{
    edd_store *st = arg;
    int64_t now = now_ms();
    if (count == 0)
        st->wait_start = now;
    if (now < st->busy_until || now - st->wait_start >= (int64_t)st->busy_wait_ms) {
        if (now >= st->busy_until)
            st->busy_until = now + EDD_STORE_BUSY_BACKOFF_MS;
        st->busy = true;
        note_busy(st, now);
        return 0;
    }
    /* SQLite's own handler sleeps 1, 2, 5, 10 ... ms; a lock held for a
     * few hundred microseconds (another process's commit) is the common
     * case, so poll finer */
    struct timespec d = {.tv_sec = 0, .tv_nsec = 250 * 1000};
    nanosleep(&d, NULL);
    return 1;
}

static const char schema_v1[] =
    "CREATE TABLE IF NOT EXISTS accounts ("
    "  user TEXT PRIMARY KEY NOT NULL,"
    "  salt TEXT NOT NULL, iter INTEGER NOT NULL,"
    "  sha1_stored TEXT NOT NULL, sha1_server TEXT NOT NULL,"
    "  sha256_stored TEXT NOT NULL, sha256_server TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS roster ("
    "  user TEXT NOT NULL, contact TEXT NOT NULL, name TEXT,"
    "  sub INTEGER NOT NULL DEFAULT 0, ask INTEGER NOT NULL DEFAULT 0,"
    "  pending_in INTEGER NOT NULL DEFAULT 0, groups TEXT NOT NULL DEFAULT '',"
    "  hidden INTEGER NOT NULL DEFAULT 0,"
    "  wire INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (user, contact));"
    "PRAGMA user_version = 1;";

/* Added to version 1 databases without a new version (older programs
 * ignore the table): server secrets such as the key of the fake SCRAM
 * salts of unknown users (sasl.c). */
static const char schema_secrets[] =
    "CREATE TABLE IF NOT EXISTS secrets ("
    "  name TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL);";

static edd_store *store_open(const char *path, char *err, size_t errlen)
{
    edd_store *st = calloc(1, sizeof *st);
    if (!st || !(st->path = strdup(path))) {
        snprintf(err, errlen, "%s: out of memory", path);
        free(st);
        return NULL;
    }
    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK) {
        snprintf(err, errlen, "%s: %s", path,
                 st->db ? sqlite3_errmsg(st->db) : "cannot open");
        goto fail;
    }
    /* opening happens before the loop runs: it may wait for a lock */
    st->busy_wait_ms = EDD_STORE_OPEN_WAIT_MS;
    sqlite3_busy_handler(st->db, on_busy, st);
    sqlite3_stmt *q;
    int version = -1;
    if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &q, NULL) == SQLITE_OK) {
        if (sqlite3_step(q) == SQLITE_ROW)
            version = sqlite3_column_int(q, 0);
        sqlite3_finalize(q);
    }
    if (version < 0) {
        snprintf(err, errlen, "%s: %s", path, sqlite3_errmsg(st->db));
        goto fail;
    }
    if (version > EDD_STORE_SCHEMA_VERSION) {
        snprintf(err, errlen, "%s: schema version %d is newer than this program's (%d)",
                 path, version, EDD_STORE_SCHEMA_VERSION);
        goto fail;
    }
    if (version < 1) {
        char *msg = NULL;
        if (sqlite3_exec(st->db, schema_v1, NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, errlen, "%s: cannot create the schema: %s", path,
                     msg ? msg : "?");
            sqlite3_free(msg);
            goto fail;
        }
    }
    char *msg = NULL;
    if (sqlite3_exec(st->db, schema_secrets, NULL, NULL, &msg) != SQLITE_OK) {
        snprintf(err, errlen, "%s: cannot create the schema: %s", path, msg ? msg : "?");
        sqlite3_free(msg);
        goto fail;
    }
    /* roster.wire came after version 1 (like the secrets table): older
     * rows get an upper bound of their size (every byte escaped to 6,
     * each group's tags, the item's own markup) */
    sqlite3_stmt *probe = NULL;
    if (sqlite3_prepare_v2(st->db, "SELECT wire FROM roster LIMIT 0", -1, &probe, NULL) !=
        SQLITE_OK) {
        if (sqlite3_exec(st->db,
                         "ALTER TABLE roster ADD COLUMN wire INTEGER NOT NULL DEFAULT 0;"
                         "UPDATE roster SET wire = 80 + 6 * (length(contact) + "
                         "ifnull(length(name), 0) + length(groups)) + 15 * ((groups != '') + "
                         "length(groups) - length(replace(groups, char(10), ''))) "
                         "WHERE hidden = 0;",
                         NULL, NULL, &msg) != SQLITE_OK) {
            snprintf(err, errlen, "%s: cannot add roster sizes: %s", path, msg ? msg : "?");
            sqlite3_free(msg);
            goto fail;
        }
    }
    sqlite3_finalize(probe);
    struct stat sb;
    if (stat(path, &sb) == 0) {
        st->have_id = true;
        st->dev = sb.st_dev;
        st->ino = sb.st_ino;
    }
    st->busy_wait_ms = EDD_STORE_BUSY_WAIT_MS;
    st->busy_logged = 0;
    st->busy_refused = 0;
    st->busy_until = 0;
    return st;
fail:
    edd_store_close(st);
    return NULL;
}

edd_store *edd_store_open(const char *path, char *err, size_t errlen)
{
    /* the file holds SCRAM keys: owner-only, and so are the journal files
     * SQLite creates next to it (umask is per process: restored at once) */
    mode_t old_mask = umask(077);
    edd_store *st = store_open(path, err, errlen);
    umask(old_mask);
    if (st)
        chmod(path, 0600); /* an older, wider file; fails harmlessly if not ours */
    return st;
}

void edd_store_close(edd_store *st)
{
    if (!st)
        return;
    sqlite3_close(st->db);
    free(st->path);
    free(st);
}

void edd_store_set_busy_wait(edd_store *st, unsigned ms)
{
    st->busy_wait_ms = ms;
}

bool edd_store_busy(const edd_store *st)
{
    return st->busy;
}

void edd_store_read_begin(edd_store *st)
{
    /* deferred: takes no lock until the first read, so it never waits */
    if (!st->in_read && sqlite3_get_autocommit(st->db))
        st->in_read = sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
}

void edd_store_read_end(edd_store *st)
{
    if (!st->in_read)
        return;
    st->in_read = false;
    if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Is the file at the path still the one opened?  Checked at most every
 * EDD_STORE_CHECK_FILE_MS, logged once per change (store.h). */
static void check_file(edd_store *st)
{
    int64_t now = now_ms();
    if (!st->have_id || (st->file_checked && now - st->file_checked < EDD_STORE_CHECK_FILE_MS))
        return;
    st->file_checked = now;
    struct stat sb;
    int rc = stat(st->path, &sb);
    bool gone = (rc != 0 && errno == ENOENT) ||
                (rc == 0 && (sb.st_dev != st->dev || sb.st_ino != st->ino));
    if (gone && !st->file_gone)
        edd_log_error("database %s was %s while extdiscod runs: extdiscod keeps using the "
                     "file it opened (accounts and roster changes in a new file are not "
                     "seen, changes made now are lost with the old file); restore it and "
                     "restart extdiscod", st->path, rc != 0 ? "deleted" : "replaced");
    else if (!gone && st->file_gone && rc == 0)
        edd_log_info("database %s: the file opened is back at its path", st->path);
    st->file_gone = gone;
}

static sqlite3_stmt *prep(edd_store *st, const char *sql)
{
    st->busy = false;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK)
        return NULL;
    return q;
}

static void bind_texts(sqlite3_stmt *q, const char *a, const char *b)
{
    sqlite3_bind_text(q, 1, a, -1, SQLITE_STATIC);
    if (b)
        sqlite3_bind_text(q, 2, b, -1, SQLITE_STATIC);
}

static bool copy_col(sqlite3_stmt *q, int col, char *dst, size_t n)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    if (!t || strlen((const char *)t) >= n)
        return false;
    strcpy(dst, (const char *)t);
    return true;
}

int edd_store_account_get(edd_store *st, const char *user, edd_account *out)
{
    check_file(st);
    sqlite3_stmt *q = prep(st, "SELECT salt, iter, sha1_stored, sha1_server, "
                               "sha256_stored, sha256_server FROM accounts WHERE user = ?");
    if (!q)
        return -1;
    bind_texts(q, user, NULL);
    int rc = sqlite3_step(q), ret;
    if (rc == SQLITE_ROW) {
        memset(out, 0, sizeof *out);
        sqlite3_int64 it = sqlite3_column_int64(q, 1);
        bool ok = copy_col(q, 0, out->salt, sizeof out->salt) &&
                  copy_col(q, 2, out->sha1_stored, sizeof out->sha1_stored) &&
                  copy_col(q, 3, out->sha1_server, sizeof out->sha1_server) &&
                  copy_col(q, 4, out->sha256_stored, sizeof out->sha256_stored) &&
                  copy_col(q, 5, out->sha256_server, sizeof out->sha256_server) &&
                  it > 0 && it < 10000000;
        out->iter = (unsigned)it;
        ret = ok ? 1 : -1;
    } else {
        ret = rc == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(q);
    return ret;
}

int edd_store_account_put(edd_store *st, const char *user, const edd_account *a,
                         bool create)
{
    sqlite3_stmt *q = prep(st, create
        ? "INSERT OR IGNORE INTO accounts (salt, iter, sha1_stored, sha1_server, "
          "sha256_stored, sha256_server, user) VALUES (?, ?, ?, ?, ?, ?, ?)"
        : "UPDATE accounts SET salt = ?, iter = ?, sha1_stored = ?, sha1_server = ?, "
          "sha256_stored = ?, sha256_server = ? WHERE user = ?");
    if (!q)
        return -1;
    sqlite3_bind_text(q, 1, a->salt, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, a->iter);
    sqlite3_bind_text(q, 3, a->sha1_stored, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 4, a->sha1_server, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 5, a->sha256_stored, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, a->sha256_server, -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 7, user, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return -1;
    return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

static int exec_user(edd_store *st, const char *sql, const char *a, const char *b)
{
    sqlite3_stmt *q = prep(st, sql);
    if (!q)
        return -1;
    bind_texts(q, a, b);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return -1;
    return sqlite3_changes(st->db) > 0 ? 1 : 0;
}

int edd_store_account_del(edd_store *st, const char *user)
{
    st->busy = false;
    if (sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return -1;
    int r = exec_user(st, "DELETE FROM accounts WHERE user = ?", user, NULL);
    if (r >= 0 && exec_user(st, "DELETE FROM roster WHERE user = ?", user, NULL) < 0)
        r = -1;
    sqlite3_exec(st->db, r >= 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
    return r;
}

/* --- roster ---------------------------------------------------------------- */

void edd_roster_item_clear(edd_roster_item *it)
{
    free(it->contact);
    free(it->name);
    for (size_t i = 0; i < it->ngroups; i++)
        free(it->groups[i]);
    free(it->groups);
    memset(it, 0, sizeof *it);
}

void edd_roster_items_free(edd_roster_item *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        edd_roster_item_clear(&v[i]);
    free(v);
}

static char *dup_col(sqlite3_stmt *q, int col)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    return t ? strdup((const char *)t) : NULL;
}

/* Groups are stored joined by LF (names with control characters are
 * refused before they get here). */
static bool split_groups(const char *s, edd_roster_item *it)
{
    if (!s || !*s)
        return true;
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += *p == '\n';
    if (n > EDD_ROSTER_MAX_GROUPS)
        n = EDD_ROSTER_MAX_GROUPS;
    it->groups = calloc(n, sizeof *it->groups);
    if (!it->groups)
        return false;
    const char *p = s;
    while (it->ngroups < n) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (!(it->groups[it->ngroups] = strndup(p, l)))
            return false;
        it->ngroups++;
        if (!e)
            break;
        p = e + 1;
    }
    return true;
}

static bool row_to_item(sqlite3_stmt *q, edd_roster_item *it)
{
    memset(it, 0, sizeof *it);
    it->contact = dup_col(q, 0);
    if (sqlite3_column_type(q, 1) != SQLITE_NULL && !(it->name = dup_col(q, 1)))
        return false;
    it->sub = sqlite3_column_int(q, 2) & 3;
    it->ask = sqlite3_column_int(q, 3) != 0;
    it->pending_in = sqlite3_column_int(q, 4) != 0;
    it->hidden = sqlite3_column_int(q, 6) != 0;
    return it->contact && split_groups((const char *)sqlite3_column_text(q, 5), it);
}

#define ROSTER_COLS "contact, name, sub, ask, pending_in, groups, hidden"

int edd_store_roster_list(edd_store *st, const char *user, edd_roster_item **out,
                         size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *q = prep(st, "SELECT " ROSTER_COLS " FROM roster WHERE user = ? "
                               "ORDER BY contact LIMIT 1000");
    if (!q)
        return -1;
    bind_texts(q, user, NULL);
    size_t cap = 0;
    edd_roster_item *v = NULL;
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == cap) {
            size_t nc = cap ? cap * 2 : 8;
            edd_roster_item *nv = realloc(v, nc * sizeof *nv);
            if (!nv)
                goto fail;
            v = nv;
            cap = nc;
        }
        if (!row_to_item(q, &v[*n])) {
            edd_roster_item_clear(&v[*n]);
            goto fail;
        }
        (*n)++;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        edd_roster_items_free(v, *n);
        *n = 0;
        return -1;
    }
    *out = v;
    return 0;
fail:
    sqlite3_finalize(q);
    edd_roster_items_free(v, *n);
    *n = 0;
    return -1;
}

int edd_store_roster_contacts(edd_store *st, const char *user, int mask,
                             void (*fn)(void *ud, const char *contact), void *ud)
{
    sqlite3_stmt *q = prep(st, "SELECT contact FROM roster WHERE user = ? AND (sub & ?) != 0 "
                               "ORDER BY contact LIMIT 1000");
    if (!q)
        return -1;
    bind_texts(q, user, NULL);
    sqlite3_bind_int(q, 2, mask);
    int rc;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *contact = (const char *)sqlite3_column_text(q, 0);
        if (contact)
            fn(ud, contact);
    }
    sqlite3_finalize(q);
    return rc == SQLITE_DONE ? 0 : -1;
}

int edd_store_roster_get(edd_store *st, const char *user, const char *contact,
                        edd_roster_item *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *q = prep(st, "SELECT " ROSTER_COLS " FROM roster WHERE user = ? "
                               "AND contact = ?");
    if (!q)
        return -1;
    bind_texts(q, user, contact);
    int rc = sqlite3_step(q), ret;
    if (rc == SQLITE_ROW)
        ret = row_to_item(q, out) ? 1 : -1;
    else
        ret = rc == SQLITE_DONE ? 0 : -1;
    if (ret < 0)
        edd_roster_item_clear(out);
    sqlite3_finalize(q);
    return ret;
}

int edd_store_roster_put(edd_store *st, const char *user, const edd_roster_item *it)
{
    /* the count limit applies to new items only; the size limit to every
     * item that grows */
    sqlite3_stmt *q = prep(st, "SELECT (SELECT COUNT(*) FROM roster WHERE user = ?1), "
                               "EXISTS (SELECT 1 FROM roster WHERE user = ?1 AND contact = ?2), "
                               "(SELECT ifnull(sum(wire), 0) FROM roster "
                               " WHERE user = ?1 AND contact != ?2), "
                               "(SELECT ifnull(sum(wire), 0) FROM roster "
                               " WHERE user = ?1 AND contact = ?2)");
    if (!q)
        return -1;
    bind_texts(q, user, it->contact);
    int rc = sqlite3_step(q);
    int count = sqlite3_column_int(q, 0), exists = sqlite3_column_int(q, 1);
    int64_t others = sqlite3_column_int64(q, 2), before = sqlite3_column_int64(q, 3);
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW)
        return -1;
    if (!exists && count >= EDD_ROSTER_MAX_ITEMS)
        return 0;
    size_t wire = it->hidden ? 0 : it->wire; /* not in a result */
    if ((int64_t)wire > before && (uint64_t)others + wire > EDD_ROSTER_MAX_WIRE)
        return 0;

    size_t glen = 1;
    for (size_t i = 0; i < it->ngroups; i++)
        glen += strlen(it->groups[i]) + 1;
    char *groups = malloc(glen);
    if (!groups)
        return -1;
    groups[0] = '\0';
    for (size_t i = 0; i < it->ngroups; i++) {
        if (i)
            strcat(groups, "\n");
        strcat(groups, it->groups[i]);
    }
    q = prep(st, "INSERT OR REPLACE INTO roster (user, contact, name, sub, ask, "
                 "pending_in, groups, hidden, wire) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!q) {
        free(groups);
        return -1;
    }
    bind_texts(q, user, it->contact);
    if (it->name)
        sqlite3_bind_text(q, 3, it->name, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(q, 3);
    sqlite3_bind_int(q, 4, it->sub & 3);
    sqlite3_bind_int(q, 5, it->ask);
    sqlite3_bind_int(q, 6, it->pending_in);
    sqlite3_bind_text(q, 7, groups, -1, SQLITE_STATIC);
    sqlite3_bind_int(q, 8, it->hidden);
    sqlite3_bind_int64(q, 9, (sqlite3_int64)wire);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    free(groups);
    return rc == SQLITE_DONE ? 1 : -1;
}

int edd_store_roster_del(edd_store *st, const char *user, const char *contact)
{
    return exec_user(st, "DELETE FROM roster WHERE user = ? AND contact = ?", user,
                     contact);
}

int edd_store_check_writable(edd_store *st, const char *path, char *err, size_t errlen)
{
    /* a real write that changes nothing (the schema version it already
     * has): SQLite must write the file and create its journal in the
     * directory; an empty transaction would touch neither */
    char sql[96];
    snprintf(sql, sizeof sql, "BEGIN IMMEDIATE; PRAGMA user_version = %d; COMMIT;",
             EDD_STORE_SCHEMA_VERSION);
    mode_t old_mask = umask(077);
    unsigned wait = st->busy_wait_ms; /* before the loop runs: may wait */
    st->busy_wait_ms = EDD_STORE_OPEN_WAIT_MS;
    st->busy_until = 0;
    int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
    st->busy_wait_ms = wait;
    umask(old_mask);
    if (rc == SQLITE_OK)
        return 0;
    snprintf(err, errlen, "%s: not writable (%s): the database file and its directory must "
             "belong to the user extdiscod runs as", path, sqlite3_errmsg(st->db));
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* The secret's value into out: 1, 0 none, -1 error (or another size). */
static int secret_get(edd_store *st, const char *name, size_t n, unsigned char *out)
{
    sqlite3_stmt *q = prep(st, "SELECT value FROM secrets WHERE name = ?");
    if (!q)
        return -1;
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(q), ret = -1;
    if (rc == SQLITE_DONE) {
        ret = 0;
    } else if (rc == SQLITE_ROW && sqlite3_column_type(q, 0) == SQLITE_BLOB &&
               (size_t)sqlite3_column_bytes(q, 0) == n) {
        memcpy(out, sqlite3_column_blob(q, 0), n);
        ret = 1;
    }
    sqlite3_finalize(q);
    return ret;
}

int edd_store_secret(edd_store *st, const char *name, const unsigned char *fresh,
                    size_t n, unsigned char *out)
{
    /* read first: a write (and its fsync) only the first time */
    int r = secret_get(st, name, n, out);
    if (r != 0)
        return r;
    sqlite3_stmt *q = prep(st, "INSERT OR IGNORE INTO secrets (name, value) VALUES (?, ?)");
    if (!q)
        return -1;
    sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
    sqlite3_bind_blob(q, 2, fresh, (int)n, SQLITE_STATIC);
    int rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return -1;
    return secret_get(st, name, n, out) == 1 ? 1 : -1; /* another process may have won */
}

const char *edd_store_errmsg(edd_store *st)
{
    return st && st->db ? sqlite3_errmsg(st->db) : "no database";
}
