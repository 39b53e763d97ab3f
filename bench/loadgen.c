/* bench/loadgen.c — XMPP load generator for the side-by-side benchmark
 * (bench/run_servers.sh).  Not a test; a benchmark tool.
 *
 *   loadgen -p PORT -d DOMAIN [-H 127.0.0.1] [-u bench] [-w bench] [-U NUSERS]
 *           [-c CONNS] [-r REQS] [-f INFLIGHT] [-k services|credentials|sic|ping]
 *           [--tls] [--mech auto|PLAIN|SCRAM-SHA-1|SCRAM-SHA-256]
 *           [--turn-host H --turn-port P] [--pid PID|@PIDFILE]...
 *           [--idle [--idle-base N] [--settle-ms MS]] [--timeout SECS] [--login-parallel N]
 *           [--component --comp-jid JID --secret S] [--ws PATH]
 *
 * c2s mode: CONNS connections log in (account USER<i % NUSERS>, resource
 * r<i>), then each sends REQS iq-gets of one kind with INFLIGHT in flight.
 * With --ws PATH over XMPP over WebSocket (RFC 7395, ws://ADDR:PORT/PATH,
 * masked client frames by wslay: loadgen_ws.c) instead of a TCP stream.
 * component mode: listen on 127.0.0.1:PORT for extdiscod's XEP-0114 link
 * and send the same requests over it, CONNS fake users
 * (USER<i>@DOMAIN/r<i>) addressing the component JID.
 * idle mode: log CONNS connections in and report the servers' RSS growth
 * per connection between N (--idle-base, after a settle pause) and CONNS
 * logged-in connections.
 *
 * Server CPU: every --pid and all its descendants (ejabberd's beam.smp runs
 * under ejabberdctl), read right before the first request and right after
 * the last reply, so logins are not counted: cpu_us_per_req from the
 * threads' /proc/PID/task/TID/schedstat (ns), cpu_ticks_us_per_req from
 * utime+stime in /proc/PID/stat (10 ms ticks; the two agree on long runs).  RSS: VmRSS of the same process tree.
 *
 * Output: a human line on stderr and one machine line on stdout:
 *   RESULT mode=c2s kind=services conns=50 reqs=2000 inflight=8 sent=100000
 *     replies=100000 errors=0 secs=... rps=... p50_us=... p99_us=...
 *     max_us=... cpu_us_per_req=... lg_cpu_us_per_req=... items=3 ok=1
 *   RESULT mode=idle conns=1000 tls=0 rss0_kb=... rss1_kb=... per_conn_bytes=... ok=1
 * Exit status 0 only when every request got exactly one reply, all of type
 * result with the expected payload, and the numbers pass sanity checks. */
#include <ctype.h>
#include <dirent.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "loadgen.h"

#define MAX_PROCS 65536

static const char *const kind_names[] = {"services", "credentials", "sic", "ping"};

double lg_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static void die(const char *what)
{
    fprintf(stderr, "loadgen: %s\n", what);
    exit(2);
}

/* --- server process tree: CPU and RSS ------------------------------------- */

typedef struct { int pid, ppid; double cpu_us; bool in; } proc_ent;

/* "@FILE": the harness writes the PID there just after starting the
 * component, which may connect first; wait for it (bounded, 2 s). */
static int resolve_pid(const char *spec)
{
    int pid = 0;
    if (spec[0] != '@')
        return atoi(spec);
    for (int i = 0; i < 200 && pid <= 0; i++) {
        FILE *f = fopen(spec + 1, "r");
        if (f) {
            if (fscanf(f, "%d", &pid) != 1)
                pid = 0;
            fclose(f);
        }
        if (pid <= 0)
            usleep(10000);
    }
    return pid;
}

/* Every process whose ancestor (or itself) is one of the --pid processes. */
static int proc_tree(lg *g, proc_ent *pe, int max)
{
    DIR *d = opendir("/proc");
    struct dirent *de;
    int n = 0, roots[LG_MAX_PIDS];
    double tick = (double)sysconf(_SC_CLK_TCK);
    if (!d)
        return 0;
    for (int i = 0; i < g->o.npids; i++)
        if ((roots[i] = resolve_pid(g->o.pids[i])) <= 0 || kill(roots[i], 0) != 0)
            g->pid_missing = true;
    while ((de = readdir(d)) && n < max) {
        char path[300], buf[1024];
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = 0;
        char *p = strrchr(buf, ')');
        unsigned long ut, st;
        int ppid;
        /* after "pid (comm)": state ppid pgrp session tty tpgid flags minflt
         * cminflt majflt cmajflt utime stime */
        if (!p || sscanf(p + 2, "%*c %d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ppid,
                         &ut, &st) != 3)
            continue;
        pe[n].pid = atoi(de->d_name);
        pe[n].ppid = ppid;
        pe[n].cpu_us = (double)(ut + st) * 1e6 / tick;
        pe[n].in = false;
        for (int i = 0; i < g->o.npids; i++)
            if (roots[i] > 0 && pe[n].pid == roots[i])
                pe[n].in = true;
        n++;
    }
    closedir(d);
    for (int depth = 0, changed = 1; changed && depth < 64; depth++) {
        changed = 0;
        for (int i = 0; i < n; i++) {
            if (pe[i].in)
                continue;
            for (int j = 0; j < n; j++)
                if (pe[j].in && pe[j].pid == pe[i].ppid) {
                    pe[i].in = true;
                    changed = 1;
                    break;
                }
        }
    }
    return n;
}

static proc_ent procs[MAX_PROCS];

/* Time on CPU of every live thread of pid, ns precision (schedstat); -1 if
 * the kernel has no schedstat.  (utime+stime come in 10 ms ticks, too
 * coarse for a server that spends 5 us per request in a short run.) */
static double sched_us(int pid)
{
    char path[64];
    double sum = 0;
    int seen = 0;
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *d = opendir(path);
    struct dirent *de;
    if (!d)
        return -1;
    while ((de = readdir(d)) && seen < 4096) {
        char p2[400];
        unsigned long long ns;
        if (!isdigit((unsigned char)de->d_name[0]))
            continue;
        snprintf(p2, sizeof p2, "/proc/%d/task/%s/schedstat", pid, de->d_name);
        FILE *f = fopen(p2, "r");
        if (!f)
            continue;
        if (fscanf(f, "%llu", &ns) == 1) {
            sum += (double)ns / 1e3;
            seen++;
        }
        fclose(f);
    }
    closedir(d);
    return seen ? sum : -1;
}

/* Server CPU in us: *ticks from utime+stime, the return value from
 * schedstat (falls back to the ticks figure). */
static double server_cpu_us(lg *g, double *ticks)
{
    double sum = 0, st = 0;
    bool sched = true;
    int n = proc_tree(g, procs, MAX_PROCS);
    for (int i = 0; i < n; i++) {
        if (!procs[i].in)
            continue;
        sum += procs[i].cpu_us;
        double s = sched ? sched_us(procs[i].pid) : -1;
        if (s < 0)
            sched = false;
        st += s;
    }
    *ticks = sum;
    return sched ? st : sum;
}

static long server_rss_kb(lg *g)
{
    long sum = 0;
    int n = proc_tree(g, procs, MAX_PROCS);
    for (int i = 0; i < n; i++) {
        char path[64], line[256];
        if (!procs[i].in)
            continue;
        snprintf(path, sizeof path, "/proc/%d/status", procs[i].pid);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        while (fgets(line, sizeof line, f)) {
            long kb;
            if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
                sum += kb;
        }
        fclose(f);
    }
    return sum;
}

static double self_cpu_us(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

/* --- the request engine ----------------------------------------------------- */

static void finish(lg *g)
{
    g->done = true;
    event_base_loopbreak(g->base);
}

static void send_req(lg *g, lg_vc *v)
{
    char b[768], to[160], from[128] = "";
    const char *body = "";
    char cred[300];
    long n = v->sent++;
    int len;
    switch (g->o.kind) {
    case LG_SERVICES:
        body = "<services xmlns='" ED_NS_EXTDISCO2 "'/>";
        break;
    case LG_CREDENTIALS:
        snprintf(cred, sizeof cred,
                 "<credentials xmlns='" ED_NS_EXTDISCO2 "'><service type='turn' host='%s' "
                 "port='%d'/></credentials>",
                 g->o.turn_host, g->o.turn_port);
        body = cred;
        break;
    case LG_SIC:
        body = "<address xmlns='" ED_NS_SIC1 "'/>";
        break;
    case LG_PING:
        body = "<ping xmlns='urn:xmpp:ping'/>";
        break;
    }
    if (g->o.component)
        snprintf(to, sizeof to, " to='%s'", g->o.comp_jid);
    else if (g->o.kind == LG_SIC) /* XEP-0279: no 'to' (the user's own account) */
        to[0] = 0;
    else
        snprintf(to, sizeof to, " to='%s'", g->o.domain);
    if (g->o.component)
        snprintf(from, sizeof from, " from='%s'", v->from);
    len = snprintf(b, sizeof b, "<iq type='get' id='q%d-%ld'%s%s>%s</iq>", v->idx, n, from, to,
                   body);
    v->t_sent[n] = lg_now_us();
    lg_send(v->conn, b, (size_t)len);
}

static void start_requests(lg *g)
{
    g->cpu0 = server_cpu_us(g, &g->tcpu0);
    g->lgcpu0 = self_cpu_us();
    g->t0 = lg_now_us();
    g->running = true;
    for (int i = 0; i < g->o.conns; i++) {
        lg_vc *v = &g->vcs[i];
        for (int k = 0; k < g->o.inflight && v->sent < g->o.reqs; k++)
            send_req(g, v);
    }
}

static bool is(const char *p, size_t n, const char *lit)
{
    return p && strlen(lit) == n && memcmp(p, lit, n) == 0;
}

/* Does a result carry what this kind of request asks for? */
static bool payload_ok(lg *g, const lg_scan_info *r)
{
    int n = r->services;
    switch (g->o.kind) {
    case LG_SERVICES:
    case LG_CREDENTIALS:
        if (g->o.kind == LG_CREDENTIALS && is(r->child, r->child_len, "services"))
            g->quirks++; /* ejabberd 23.01 answers so */
        else if (!is(r->child, r->child_len,
                     g->o.kind == LG_SERVICES ? "services" : "credentials"))
            return false;
        if (!is(r->child_ns, r->child_ns_len, ED_NS_EXTDISCO2) || n == 0)
            return false;
        if (g->o.kind == LG_CREDENTIALS && r->services_pw != n)
            return false;
        if (g->items == 0)
            g->items = n;
        return n == g->items;
    case LG_SIC:
        return is(r->child, r->child_len, "address") &&
               is(r->child_ns, r->child_ns_len, ED_NS_SIC1) && r->ips > 0;
    case LG_PING:
        return true;
    }
    return false;
}

/* "q<vc>-<n>" exactly; false for anything else */
static bool parse_id(const char *id, size_t len, long *vc, long *n)
{
    size_t i = 1;
    long a = 0, b = 0;
    if (!id || len < 4 || id[0] != 'q')
        return false;
    for (; i < len && id[i] >= '0' && id[i] <= '9' && a < 100000000; i++)
        a = a * 10 + (id[i] - '0');
    if (i == 1 || i >= len || id[i] != '-')
        return false;
    size_t j = ++i;
    for (; i < len && id[i] >= '0' && id[i] <= '9' && b < 100000000000L; i++)
        b = b * 10 + (id[i] - '0');
    if (i == j || i != len)
        return false;
    *vc = a;
    *n = b;
    return true;
}

void lg_reply(lg *g, lg_conn *c, const lg_scan_info *r, const char *raw, size_t rawlen)
{
    long vi, n;
    double now = lg_now_us();
    if (!g->running || !parse_id(r->id, r->id_len, &vi, &n)) {
        g->extra++;
        return;
    }
    if (vi < 0 || vi >= g->o.conns || n < 0 || n >= g->vcs[vi].sent ||
        g->vcs[vi].t_sent[n] < 0 || g->vcs[vi].conn != c) {
        g->bad_ids++;
        return;
    }
    lg_vc *v = &g->vcs[vi];
    g->lat[g->nlat++] = (float)(now - v->t_sent[n]);
    v->t_sent[n] = -1;
    if (!r->result || !payload_ok(g, r)) {
        if (g->errors++ == 0)
            snprintf(g->first_error, sizeof g->first_error, "%.*s",
                     raw ? (int)(rawlen < 255 ? rawlen : 255) : 1, raw ? raw : "?");
    }
    v->done++;
    if (v->sent < g->o.reqs)
        send_req(g, v);
    else if (v->done == g->o.reqs && ++g->finished == g->o.conns) {
        g->t1 = lg_now_us();
        g->lgcpu1 = self_cpu_us();
        g->cpu1 = server_cpu_us(g, &g->tcpu1);
        finish(g);
    }
}

/* RSS once it has stopped moving: readings 250 ms apart until two in a row
 * differ by less than 0.5 % (at most 20 s).  Garbage-collected servers
 * shrink for a while after start and after bursts of logins.  Blocks the
 * loop, which is fine while the connections are idle. */
static long stable_rss_kb(lg *g)
{
    long prev = server_rss_kb(g), cur = prev;
    for (int i = 0; i < 80; i++) {
        usleep(250000);
        cur = server_rss_kb(g);
        long d = cur > prev ? cur - prev : prev - cur;
        if (d * 200 < cur)
            break;
        prev = cur;
    }
    return cur;
}

static void settle_cb(evutil_socket_t fd, short what, void *ud)
{
    lg *g = ud;
    g->rss1 = stable_rss_kb(g);
    finish(g);
}

static void start_more(lg *g, int k)
{
    for (int i = 0; i < k && g->started < g->o.conns && !g->done; i++) {
        lg_conn *n = &g->conns[g->started++];
        if (lg_conn_start(g, n) != 0)
            lg_conn_failed(g, n, "cannot connect");
    }
}

/* Idle mode: the baseline is taken with `idle_base` connections already
 * logged in, so one-time costs (code loading, first TLS handshake, caches)
 * are not charged to the connections. */
static void base_cb(evutil_socket_t fd, short what, void *ud)
{
    lg *g = ud;
    g->rss0 = stable_rss_kb(g);
    g->paused = false;
    start_more(g, g->o.login_parallel);
}

void lg_conn_ready(lg *g, lg_conn *c)
{
    g->ready++;
    if (g->o.idle && g->ready == g->o.idle_base && g->ready < g->o.conns) {
        struct timeval tv = {g->o.settle_ms / 1000, (g->o.settle_ms % 1000) * 1000};
        g->paused = true;
        event_base_once(g->base, -1, EV_TIMEOUT, base_cb, g, &tv);
    }
    if (!g->paused)
        start_more(g, 1);
    if (g->ready < g->o.conns)
        return;
    fprintf(stderr, "loadgen: %d connections logged in\n", g->ready);
    if (g->o.idle) {
        struct timeval tv = {g->o.settle_ms / 1000, (g->o.settle_ms % 1000) * 1000};
        event_base_once(g->base, -1, EV_TIMEOUT, settle_cb, g, &tv);
    } else {
        start_requests(g);
    }
}

void lg_link_ready(lg *g, lg_conn *c)
{
    fprintf(stderr, "loadgen: component link up (%s)\n", g->o.comp_jid);
    start_requests(g);
}

void lg_conn_failed(lg *g, lg_conn *c, const char *why)
{
    g->failed++;
    if (!g->fail_reason[0])
        snprintf(g->fail_reason, sizeof g->fail_reason, "connection %d: %s", c->idx, why);
    if (!g->done)
        finish(g);
}

static void timeout_cb(evutil_socket_t fd, short what, void *ud)
{
    lg *g = ud;
    g->timed_out = true;
    finish(g);
}

/* --- report ---------------------------------------------------------------- */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

static int report_idle(lg *g)
{
    bool ok = !g->failed && !g->timed_out && g->ready == g->o.conns && g->o.npids > 0 &&
              g->rss0 > 0 && g->rss1 > 0;
    int n = g->o.conns - g->o.idle_base;
    double per = n > 0 ? (double)(g->rss1 - g->rss0) * 1024.0 / n : 0;
    fprintf(stderr, "loadgen: idle %d connections (%s): server RSS %ld KiB at %d, %ld KiB at %d: "
                    "%.0f bytes per connection\n",
            g->ready, g->o.tls ? "STARTTLS" : "plaintext", g->rss0, g->o.idle_base, g->rss1,
            g->o.conns, per);
    printf("RESULT mode=idle conns=%d base=%d tls=%d rss0_kb=%ld rss1_kb=%ld per_conn_bytes=%.0f "
           "ok=%d\n",
           g->o.conns, g->o.idle_base, g->o.tls, g->rss0, g->rss1, per, ok);
    return ok ? 0 : 1;
}

static int report(lg *g)
{
    double lg_cpu = g->lgcpu1 > 0 ? g->lgcpu1 - g->lgcpu0 : self_cpu_us() - g->lgcpu0;
    long want = (long)g->o.conns * g->o.reqs, sent = 0;
    for (int i = 0; i < g->o.conns; i++)
        sent += g->vcs[i].sent;
    double secs = !g->running ? 0
                  : g->t1 > 0 ? (g->t1 - g->t0) / 1e6 : (lg_now_us() - g->t0) / 1e6;
    float p50 = 0, p99 = 0, mx = 0, mn = 0;
    if (g->nlat > 0) {
        qsort(g->lat, (size_t)g->nlat, sizeof *g->lat, cmp_float);
        mn = g->lat[0];
        p50 = g->lat[(g->nlat - 1) / 2];
        p99 = g->lat[(long)((double)(g->nlat - 1) * 0.99)];
        mx = g->lat[g->nlat - 1];
    }
    double cpu = g->o.npids && g->nlat ? (g->cpu1 - g->cpu0) / (double)g->nlat : -1;
    double tcpu = g->o.npids && g->nlat ? (g->tcpu1 - g->tcpu0) / (double)g->nlat : -1;
    const char *bad = NULL;
    if (g->failed || g->timed_out)
        bad = g->timed_out ? "timed out" : "connection failed";
    else if (sent != want || g->nlat != want)
        bad = "reply count differs from requests sent";
    else if (g->bad_ids)
        bad = "replies with unknown or duplicate ids";
    else if (g->errors)
        bad = "error replies or wrong payloads";
    else if (!(mn > 0 && p50 <= p99 && p99 <= mx && mx <= secs * 1e6 + 1000))
        bad = "latency figures not sane";
    else if (g->o.npids && (g->pid_missing || !(g->cpu1 > g->cpu0)))
        bad = "server CPU not measurable (process gone?) or went backwards";
    fprintf(stderr,
            "loadgen: %s x%d conns: %ld/%ld replies, %ld errors, %.3f s, %.0f req/s, p50 %.0f "
            "us, p99 %.0f us, max %.0f us, server CPU %.2f us/req, loadgen CPU %.2f us/req\n",
            kind_names[g->o.kind], g->o.conns, g->nlat, want, g->errors, secs,
            secs > 0 ? (double)g->nlat / secs : 0, p50, p99, mx, cpu,
            g->nlat ? lg_cpu / (double)g->nlat : 0);
    if (g->first_error[0])
        fprintf(stderr, "loadgen: first bad reply: %s\n", g->first_error);
    if (g->fail_reason[0])
        fprintf(stderr, "loadgen: %s\n", g->fail_reason);
    if (g->extra)
        fprintf(stderr, "loadgen: %ld unrelated iq replies ignored\n", g->extra);
    if (g->slow)
        fprintf(stderr, "loadgen: note: the full parser read replies %ld times (fast scanner "
                        "declined)\n", g->slow);
    if (g->quirks)
        fprintf(stderr, "loadgen: note: %ld <credentials/> replies wrapped in <services/> "
                        "(counted as answers, not errors)\n", g->quirks);
    if (bad)
        fprintf(stderr, "loadgen: FAILED: %s\n", bad);
    printf("RESULT mode=%s kind=%s conns=%d reqs=%ld inflight=%d sent=%ld replies=%ld errors=%ld "
           "secs=%.3f rps=%.0f p50_us=%.0f p99_us=%.0f max_us=%.0f cpu_us_per_req=%.2f "
           "cpu_ticks_us_per_req=%.2f lg_cpu_us_per_req=%.2f items=%d quirks=%ld ok=%d\n",
           g->o.component ? "component" : "c2s", kind_names[g->o.kind], g->o.conns, g->o.reqs,
           g->o.inflight, sent, g->nlat, g->errors, secs, secs > 0 ? (double)g->nlat / secs : 0,
           p50, p99, mx, cpu, tcpu, g->nlat ? lg_cpu / (double)g->nlat : 0, g->items, g->quirks,
           !bad);
    return bad ? 1 : 0;
}

/* --- main ----------------------------------------------------------------- */

static void usage(void)
{
    fputs("usage: loadgen -p PORT -d DOMAIN [-H ADDR] [-u USER] [-w PASS] [-U NUSERS]\n"
          "  [-c CONNS] [-r REQS] [-f INFLIGHT] [-k services|credentials|sic|ping] [--tls]\n"
          "  [--mech auto|PLAIN|SCRAM-SHA-1|SCRAM-SHA-256] [--turn-host H] [--turn-port P]\n"
          "  [--pid PID|@FILE]... [--idle [--idle-base N] [--settle-ms MS]] [--timeout SECS]\n"
          "  [--login-parallel N] [--component --comp-jid JID --secret S] [--ws PATH]\n",
          stderr);
    exit(2);
}

static long num(const char *s, long lo, long hi)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == 0 || *end || v < lo || v > hi)
        usage();
    return v;
}

static void parse_opts(lg_opts *o, int argc, char **argv)
{
    static const struct option lo[] = {
        {"tls", no_argument, 0, 'T'},          {"mech", required_argument, 0, 'M'},
        {"turn-host", required_argument, 0, 'h'}, {"turn-port", required_argument, 0, 'P'},
        {"pid", required_argument, 0, 'i'},    {"idle", no_argument, 0, 'I'},
        {"settle-ms", required_argument, 0, 's'}, {"timeout", required_argument, 0, 't'},
        {"login-parallel", required_argument, 0, 'L'},
        {"idle-base", required_argument, 0, 'B'}, {"component", no_argument, 0, 'C'},    {"comp-jid", required_argument, 0, 'J'},
        {"secret", required_argument, 0, 'S'}, {"ws", required_argument, 0, 'W'},
        {0, 0, 0, 0}};
    *o = (lg_opts){.host = "127.0.0.1", .user = "bench", .pass = "bench", .nusers = 1,
                   .conns = 50, .reqs = 2000, .inflight = 8, .mech = "auto",
                   .turn_host = "turn.example.org", .turn_port = 3478, .settle_ms = 2000,
                   .timeout = 300, .login_parallel = 32};
    int ch;
    while ((ch = getopt_long(argc, argv, "H:p:d:u:w:U:c:r:f:k:", lo, NULL)) != -1) {
        switch (ch) {
        case 'H': o->host = optarg; break;
        case 'p': o->port = (int)num(optarg, 1, 65535); break;
        case 'd': o->domain = optarg; break;
        case 'u': o->user = optarg; break;
        case 'w': o->pass = optarg; break;
        case 'U': o->nusers = (int)num(optarg, 1, LG_MAX_CONNS); break;
        case 'c': o->conns = (int)num(optarg, 1, LG_MAX_CONNS); break;
        case 'r': o->reqs = num(optarg, 1, LG_MAX_REQS); break;
        case 'f': o->inflight = (int)num(optarg, 1, LG_MAX_INFLIGHT); break;
        case 'k': {
            int k = -1;
            for (int i = 0; i < 4; i++)
                if (strcmp(optarg, kind_names[i]) == 0)
                    k = i;
            if (k < 0)
                usage();
            o->kind = (lg_kind)k;
            break;
        }
        case 'T': o->tls = true; break;
        case 'M': o->mech = optarg; break;
        case 'h': o->turn_host = optarg; break;
        case 'P': o->turn_port = (int)num(optarg, 1, 65535); break;
        case 'i':
            if (o->npids >= LG_MAX_PIDS)
                usage();
            o->pids[o->npids++] = optarg;
            break;
        case 'I': o->idle = true; break;
        case 's': o->settle_ms = (int)num(optarg, 0, 600000); break;
        case 't': o->timeout = (int)num(optarg, 1, 86400); break;
        case 'L': o->login_parallel = (int)num(optarg, 1, LG_MAX_CONNS); break;
        case 'B': o->idle_base = (int)num(optarg, 0, LG_MAX_CONNS); break;
        case 'C': o->component = true; break;
        case 'J': o->comp_jid = optarg; break;
        case 'S': o->secret = optarg; break;
        case 'W': o->ws_path = optarg; break;
        default: usage();
        }
    }
    if (optind != argc || !o->port || !o->domain || strlen(o->domain) > 100 ||
        strlen(o->user) > 40 || strlen(o->turn_host) > 200)
        usage();
    if (o->idle_base >= o->conns)
        usage();
    if (o->component && (!o->comp_jid || !o->secret || o->idle || strlen(o->comp_jid) > 100 ||
                         strlen(o->secret) > 100))
        usage();
    if (o->ws_path && (o->component || o->tls || o->ws_path[0] != '/' || strlen(o->ws_path) > 200))
        usage();
    if ((long)o->conns * o->reqs > 50000000L)
        die("conns x reqs too large (limit 50,000,000)");
}

int main(int argc, char **argv)
{
    static lg g;
    struct rlimit rl;
    parse_opts(&g.o, argc, argv);
    signal(SIGPIPE, SIG_IGN);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (!(g.base = event_base_new()) || !(g.ssl = SSL_CTX_new(TLS_client_method())) ||
        gsasl_init(&g.gsasl) != GSASL_OK)
        die("cannot initialise libevent, OpenSSL or libgsasl");
    SSL_CTX_set_verify(g.ssl, SSL_VERIFY_NONE, NULL); /* loopback, self-signed */
    g.nconns = g.o.component ? 1 : g.o.conns;
    g.conns = calloc((size_t)g.nconns, sizeof *g.conns);
    g.vcs = calloc((size_t)g.o.conns, sizeof *g.vcs);
    if (!g.conns || !g.vcs)
        die("out of memory");
    if (!g.o.idle) {
        g.lat = malloc(sizeof *g.lat * (size_t)g.o.conns * (size_t)g.o.reqs);
        if (!g.lat)
            die("out of memory");
    }
    for (int i = 0; i < g.nconns; i++) {
        lg_conn *c = &g.conns[i];
        c->g = &g;
        c->idx = i;
        if (g.o.nusers == 1)
            snprintf(c->user, sizeof c->user, "%s", g.o.user);
        else
            snprintf(c->user, sizeof c->user, "%s%d", g.o.user, i % g.o.nusers);
    }
    for (int i = 0; i < g.o.conns && !g.o.idle; i++) {
        lg_vc *v = &g.vcs[i];
        v->idx = i;
        v->conn = &g.conns[g.o.component ? 0 : i];
        if (!(v->t_sent = malloc(sizeof *v->t_sent * (size_t)g.o.reqs)))
            die("out of memory");
        snprintf(v->from, sizeof v->from, "%s%d@%s/r%d", g.o.user, i % g.o.nusers, g.o.domain, i);
    }
    struct timeval tv = {g.o.timeout, 0};
    event_base_once(g.base, -1, EV_TIMEOUT, timeout_cb, &g, &tv);

    if (g.o.component) {
        if (lg_listen(&g) != 0)
            die("cannot listen on the component port");
        fprintf(stderr, "loadgen: waiting for the component on 127.0.0.1:%d\n", g.o.port);
    } else {
        if (g.o.idle && g.o.idle_base == 0)
            g.rss0 = stable_rss_kb(&g);
        int first = g.o.login_parallel < g.o.conns ? g.o.login_parallel : g.o.conns;
        for (; g.started < first; g.started++)
            if (lg_conn_start(&g, &g.conns[g.started]) != 0)
                die("cannot connect");
    }
    event_base_dispatch(g.base);

    int rc = g.o.idle ? report_idle(&g) : report(&g);
    if (g.o.idle && g.fail_reason[0])
        fprintf(stderr, "loadgen: %s\n", g.fail_reason);
    if (g.timed_out)
        fprintf(stderr, "loadgen: timed out after %d s (%d/%d logged in)\n", g.o.timeout, g.ready,
                g.o.conns);
    for (int i = 0; i < g.nconns; i++)
        lg_conn_close(&g.conns[i]);
    for (int i = 0; i < g.o.conns; i++)
        free(g.vcs[i].t_sent);
    free(g.vcs);
    free(g.conns);
    free(g.lat);
    if (g.listener)
        evconnlistener_free(g.listener);
    gsasl_done(g.gsasl);
    SSL_CTX_free(g.ssl);
    event_base_free(g.base);
    return rc;
}
