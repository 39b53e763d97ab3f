/* tests/transcripts/run_transcripts.c — stanza transcripts: for every case
 * directory under the directory given, feed request.xml (as a client sends
 * it) to the responder named in case.conf and compare the serialised reply
 * byte for byte with expected.xml.  See README.md beside this file.
 *
 *   run_transcripts CASES_DIR [CASE_NAME...]
 *   UPDATE=1 run_transcripts CASES_DIR   (write what is got as expected.xml)
 *
 * Prints one line per case and "N passed, M failed"; exits 1 on a failure. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "extdisco/extdisco.h"

#define FILE_MAX (64 * 1024)
#define MAX_CASES 1000
#define MAX_FIXTURE_SERVICES 64
#define MAX_RESTS 8
#define NO_REPLY "NO REPLY"

/* --- small helpers -------------------------------------------------------- */

/* Whole file (at most FILE_MAX bytes) as a NUL-terminated string, or NULL. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(FILE_MAX + 1);
    size_t n = buf ? fread(buf, 1, FILE_MAX + 1, f) : 0;
    fclose(f);
    if (!buf || n > FILE_MAX) {
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    if (len)
        *len = n;
    return buf;
}

static void rtrim(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
        s[--n] = 0;
}

static char *ltrim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    return s;
}

/* --- case.conf ------------------------------------------------------------ */

#define CONF_MAX 24
typedef struct conf {
    char *keys[CONF_MAX];
    char *vals[CONF_MAX];
    int n;
    char *text;
} conf;

/* key=value lines; '#' starts a comment line.  Returns NULL on success or a
 * message. */
static const char *conf_load(conf *c, const char *path)
{
    memset(c, 0, sizeof *c);
    c->text = slurp(path, NULL);
    if (!c->text)
        return "cannot read case.conf";
    char *save = NULL;
    for (char *line = strtok_r(c->text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        line = ltrim(line);
        rtrim(line);
        if (!*line || *line == '#')
            continue;
        char *eq = strchr(line, '=');
        if (!eq)
            return "case.conf: a line without '='";
        if (c->n == CONF_MAX)
            return "case.conf: too many keys";
        *eq = 0;
        char *k = line;
        rtrim(k);
        c->keys[c->n] = k;
        c->vals[c->n] = ltrim(eq + 1);
        c->n++;
    }
    return NULL;
}

static const char *conf_get(const conf *c, const char *key, const char *def)
{
    for (int i = 0; i < c->n; i++)
        if (strcmp(c->keys[i], key) == 0)
            return c->vals[i];
    return def;
}

static bool conf_bool(const conf *c, const char *key, bool def, const char **bad)
{
    const char *v = conf_get(c, key, NULL);
    if (!v)
        return def;
    int b;
    if (ed_parse_xsd_bool(v, &b) != ED_OK) {
        *bad = key;
        return def;
    }
    return b;
}

/* --- fixtures: service sets ----------------------------------------------- */

/* A fixture is _fixtures/NAME.xml: a <services xmlns='urn:xmpp:extdisco:2'>
 * list parsed by the library itself, plus two runner extensions that the
 * library's liberal parser ignores:
 *   <name xml:lang='de'>...</name> children: per-language names;
 *   rest-secret / rest-ttl / rest-user (jid|token|none) / rest-alg
 *   (sha1|sha256) attributes: the service's credentials are minted by TURN
 *   REST with that (fixed) secret.  Services with equal parameters share one
 *   signer, as a daemon's registry would. */
typedef struct fixture {
    ed_service_def defs[MAX_FIXTURE_SERVICES];
    size_t n;
    ed_turn_rest *rests[MAX_RESTS];
    char *rest_keys[MAX_RESTS];
    size_t nrests;
} fixture;

static void fixture_free(fixture *fx)
{
    for (size_t i = 0; i < fx->n; i++)
        ed_service_clear(&fx->defs[i].svc);
    for (size_t i = 0; i < fx->nrests; i++) {
        ed_turn_rest_free(fx->rests[i]);
        free(fx->rest_keys[i]);
    }
    memset(fx, 0, sizeof *fx);
}

static const char *fixture_rest(fixture *fx, const ed_elem *e, const ed_turn_rest **out)
{
    *out = NULL;
    const char *secret = ed_elem_attr(e, "rest-secret");
    if (!secret)
        return NULL;
    const char *ttl = ed_elem_attr(e, "rest-ttl");
    const char *user = ed_elem_attr(e, "rest-user");
    const char *alg = ed_elem_attr(e, "rest-alg");
    char key[512];
    snprintf(key, sizeof key, "%s|%s|%s|%s", secret, ttl ? ttl : "", user ? user : "",
             alg ? alg : "");
    for (size_t i = 0; i < fx->nrests; i++)
        if (strcmp(fx->rest_keys[i], key) == 0) {
            *out = fx->rests[i];
            return NULL;
        }
    if (fx->nrests == MAX_RESTS)
        return "fixture: too many TURN REST signers";
    const char *secrets[1] = {secret};
    ed_turn_rest_config cfg = {.secrets = secrets, .nsecrets = 1};
    cfg.ttl = ttl ? strtoll(ttl, NULL, 10) : 0;
    if (!user || strcmp(user, "token") == 0)
        cfg.user_mode = ED_TURN_USER_TOKEN;
    else if (strcmp(user, "jid") == 0)
        cfg.user_mode = ED_TURN_USER_JID;
    else if (strcmp(user, "none") == 0)
        cfg.user_mode = ED_TURN_USER_NONE;
    else
        return "fixture: rest-user is jid, token or none";
    if (!alg || strcmp(alg, "sha1") == 0)
        cfg.alg = ED_HMAC_SHA1;
    else if (strcmp(alg, "sha256") == 0)
        cfg.alg = ED_HMAC_SHA256;
    else
        return "fixture: rest-alg is sha1 or sha256";
    ed_turn_rest *r = NULL;
    if (ed_turn_rest_new(&cfg, &r) != ED_OK)
        return "fixture: ed_turn_rest_new failed";
    fx->rests[fx->nrests] = r;
    fx->rest_keys[fx->nrests++] = strdup(key);
    *out = r;
    return NULL;
}

static const char *fixture_load(fixture *fx, const char *path)
{
    memset(fx, 0, sizeof *fx);
    size_t len;
    char *text = slurp(path, &len);
    if (!text)
        return "cannot read the fixture";
    ed_elem *root = NULL;
    ed_err err = ed_xml_parse(text, len, NULL, &root);
    free(text);
    if (err)
        return "fixture is not well-formed XML";
    const char *msg = NULL;
    ed_service *v = NULL;
    size_t n = 0, skipped = 0;
    if (ed_xep0215_parse_services(root, &v, &n, &skipped) != ED_OK || skipped ||
        n > MAX_FIXTURE_SERVICES) {
        msg = "fixture: not a <services/> list of valid services";
        goto out;
    }
    size_t i = 0;
    for (const ed_elem *e = ed_elem_child(root, "service", root->ns); e && !msg;
         e = ed_elem_next(e, "service", root->ns), i++) {
        ed_service_def *d = &fx->defs[i];
        d->svc = v[i];
        ed_service_init(&v[i]);
        fx->n = i + 1;
        if ((msg = fixture_rest(fx, e, &d->rest)))
            break;
        size_t nn = 0;
        for (const ed_elem *ne = ed_elem_child(e, "name", NULL); ne;
             ne = ed_elem_next(ne, "name", NULL))
            nn++;
        if (!nn)
            continue;
        d->svc.names = calloc(nn, sizeof *d->svc.names);
        for (ed_elem *ne = ed_elem_child(e, "name", NULL); ne;
             ne = ed_elem_next(ne, "name", NULL)) {
            const char *lang = ed_elem_attr(ne, "xml:lang");
            if (!lang) {
                msg = "fixture: <name/> without xml:lang";
                break;
            }
            ed_i18n_name *nm = &d->svc.names[d->svc.nnames++];
            nm->lang = strdup(lang);
            nm->text = strdup(ed_elem_text(ne));
        }
    }
out:
    ed_services_free(v, n);
    ed_elem_free(root);
    if (msg)
        fixture_free(fx);
    return msg;
}

/* --- the request ----------------------------------------------------------- */

typedef struct grab {
    ed_elem *stanza;
    int count;
} grab;

/* Feed n bytes and keep the first stanza they complete (counting all). */
static ed_err grab_feed(ed_xml_stream *s, grab *g, const char *p, size_t n)
{
    ed_err err = ed_xml_stream_feed(s, p, n);
    ed_xml_event ev;
    while (!err && (err = ed_xml_stream_next(s, &ev)) == ED_OK && ev.type) {
        if (ev.type != ED_XML_EV_STANZA)
            continue;
        g->count++;
        if (g->stanza)
            ed_elem_free(ev.elem);
        else
            g->stanza = ev.elem;
    }
    return err;
}

/* Parse request text as a client's stanza inside a jabber:client stream. */
static const char *parse_request(const char *text, ed_elem **out)
{
    static const char header[] =
        "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
        "to='example.org' version='1.0'>";
    grab g = {0};
    ed_xml_stream *s = ed_xml_stream_new(NULL);
    if (!s)
        return "out of memory";
    ed_err err = grab_feed(s, &g, header, sizeof header - 1);
    if (!err)
        err = grab_feed(s, &g, text, strlen(text));
    ed_xml_stream_free(s);
    if (err || g.count != 1) {
        ed_elem_free(g.stanza);
        return err ? "request.xml does not parse" : "request.xml is not exactly one stanza";
    }
    *out = g.stanza;
    return NULL;
}

static const char *parse_peer(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
    char host[64];
    const char *colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof host)
        return "peer is ADDRESS:PORT";
    size_t hl = (size_t)(colon - s);
    memcpy(host, s, hl);
    host[hl] = 0;
    int port = -1;
    if (ed_parse_port(colon + 1, &port) != ED_OK)
        return "peer: bad port";
    memset(ss, 0, sizeof *ss);
    if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
        host[hl - 1] = 0;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
            return "peer: bad IPv6 address";
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof *in6;
        return NULL;
    }
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
        return "peer: bad IPv4 address (IPv6 goes in brackets)";
    in->sin_family = AF_INET;
    in->sin_port = htons((uint16_t)port);
    *len = sizeof *in;
    return NULL;
}

/* --- one case -------------------------------------------------------------- */

static char *path_join(const char *a, const char *b, const char *c)
{
    size_t n = strlen(a) + strlen(b) + (c ? strlen(c) : 0) + 3;
    char *p = malloc(n);
    if (c)
        snprintf(p, n, "%s/%s/%s", a, b, c);
    else
        snprintf(p, n, "%s/%s", a, b);
    return p;
}

/* Runs the case in dir; *got is the serialised reply (or NO_REPLY). */
static const char *run_case(const char *cases, const char *dir, char **got)
{
    *got = NULL;
    conf c;
    char *p = path_join(dir, "case.conf", NULL);
    const char *msg = conf_load(&c, p);
    free(p);
    if (msg) {
        free(c.text);
        return msg;
    }
    p = path_join(dir, "request.xml", NULL);
    char *req_text = slurp(p, NULL);
    free(p);
    ed_elem *iq = NULL;
    ed_jid *requester = NULL;
    ed_elem *reply = NULL;
    fixture fx = {0};
    ed_err err = ED_OK;
    if (!req_text) {
        msg = "cannot read request.xml";
        goto out;
    }
    if ((msg = parse_request(req_text, &iq)))
        goto out;

    /* The requester: as the server knows it, else the stanza's from.  The
     * server stamps a client's stanza with its full JID (RFC 6120 §8.1.2.1). */
    const char *rq = conf_get(&c, "requester", ed_elem_attr(iq, "from"));
    if (rq && ed_jid_parse(rq, strlen(rq), &requester) != ED_OK) {
        msg = "requester is not a JID";
        goto out;
    }
    const char *bad = NULL;
    if (requester && conf_bool(&c, "stamp_from", true, &bad) && !ed_elem_attr(iq, "from"))
        ed_elem_set_attr(iq, "from", requester->full);

    const char *kind = conf_get(&c, "kind", "xep0215");
    if (strcmp(kind, "xep0215") == 0) {
        const char *now_s = conf_get(&c, "now", NULL);
        if (!now_s) {
            msg = "case.conf: now= is required";
            goto out;
        }
        int64_t now = strtoll(now_s, NULL, 10);
        const char *fname = conf_get(&c, "fixture", "default");
        char file[300];
        snprintf(file, sizeof file, "%s.xml", fname);
        p = path_join(cases, "_fixtures", file);
        msg = fixture_load(&fx, p);
        free(p);
        if (msg)
            goto out;
        ed_xep0215_policy pol = ed_xep0215_policy_default();
        pol.may_list = conf_bool(&c, "may_list", true, &bad);
        pol.may_credentials = conf_bool(&c, "may_credentials", true, &bad);
        pol.inline_credentials = conf_bool(&c, "inline_credentials", true, &bad);
        pol.serve_v1 = conf_bool(&c, "serve_v1", true, &bad);
        const char *dl = conf_get(&c, "default_lang", "en");
        pol.default_lang = strcmp(dl, "none") == 0 ? NULL : dl;
        if (bad) {
            msg = "case.conf: a policy flag is not true/false";
            goto out;
        }
        ed_xep0215_outcome out;
        reply = ed_xep0215_respond(iq, requester, now, fx.defs, fx.n, &pol, &out);
        err = out.err;
    } else if (strcmp(kind, "xep0279") == 0) {
        struct sockaddr_storage ss;
        socklen_t sl = 0;
        const char *peer = conf_get(&c, "peer", NULL);
        if (!peer) {
            msg = "case.conf: peer= is required for xep0279";
            goto out;
        }
        if ((msg = parse_peer(peer, &ss, &sl)))
            goto out;
        reply = ed_xep0279_respond(iq, requester, conf_get(&c, "domain", NULL),
                                   (const struct sockaddr *)&ss, sl, &err);
    } else {
        msg = "case.conf: kind is xep0215 or xep0279";
        goto out;
    }

    if (!reply) {
        if (err != ED_SVC_NOT_EXTDISCO) {
            msg = ed_strerror(err);
            goto out;
        }
        *got = strdup(NO_REPLY);
        goto out;
    }
    *got = ed_xml_to_string(reply, ED_NS_CLIENT);
    /* Whatever is sent must parse again. */
    ed_elem *back = NULL;
    if (!*got || ed_xml_parse(*got, strlen(*got), NULL, &back) != ED_OK)
        msg = "the reply does not re-parse";
    ed_elem_free(back);
out:
    ed_elem_free(reply);
    ed_elem_free(iq);
    ed_jid_free(requester);
    fixture_free(&fx);
    free(req_text);
    free(c.text);
    return msg;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Case directories: subdirectories holding request.xml, sorted by name;
 * names starting with '_' or '.' are not cases. */
static size_t list_cases(const char *cases, char **names, size_t max)
{
    DIR *d = opendir(cases);
    if (!d)
        return 0;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) && n < max) {
        if (de->d_name[0] == '.' || de->d_name[0] == '_')
            continue;
        char *p = path_join(cases, de->d_name, "request.xml");
        struct stat st;
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            names[n++] = strdup(de->d_name);
        free(p);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_names);
    return n;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s CASES_DIR [CASE...]\n", argv[0]);
        return 2;
    }
    const char *cases = argv[1];
    const char *upd = getenv("UPDATE");
    bool update = upd && *upd && strcmp(upd, "0") != 0;
    static char *names[MAX_CASES];
    size_t n;
    if (argc > 2) {
        n = 0;
        for (int i = 2; i < argc && n < MAX_CASES; i++)
            names[n++] = strdup(argv[i]);
    } else {
        n = list_cases(cases, names, MAX_CASES);
    }
    if (n == 0) {
        fprintf(stderr, "no cases in %s\n", cases);
        printf("0 passed, 1 failed\n");
        return 1;
    }
    int passed = 0, failed = 0;
    for (size_t i = 0; i < n; i++) {
        char *dir = path_join(cases, names[i], NULL);
        char *got = NULL;
        const char *msg = run_case(cases, dir, &got);
        char *exp_path = path_join(dir, "expected.xml", NULL);
        if (msg) {
            printf("FAIL %s: %s\n", names[i], msg);
            failed++;
        } else if (update) {
            FILE *f = fopen(exp_path, "w");
            if (!f || fprintf(f, "%s\n", got) < 0) {
                printf("FAIL %s: cannot write expected.xml: %s\n", names[i], strerror(errno));
                failed++;
            } else {
                printf("ok   %s (expected.xml written)\n", names[i]);
                passed++;
            }
            if (f)
                fclose(f);
        } else {
            char *want = slurp(exp_path, NULL);
            if (want)
                rtrim(want);
            if (!want) {
                printf("FAIL %s: no expected.xml (run with UPDATE=1 to write it)\n", names[i]);
                failed++;
            } else if (strcmp(want, got) != 0) {
                printf("FAIL %s: reply differs\n  expected: %s\n  got:      %s\n", names[i],
                       want, got);
                failed++;
            } else {
                printf("ok   %s\n", names[i]);
                passed++;
            }
            free(want);
        }
        free(exp_path);
        free(got);
        free(dir);
        free(names[i]);
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
