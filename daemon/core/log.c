/* daemon/core/log.c — see log.h.  Formatting, then escaping and the length
 * cap (edd_log_escape), then the sink; the per-site limiter (token bucket,
 * integer milli-lines) decides before anything is formatted, so a
 * suppressed line costs a clock read. */
#include "core/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static edd_log_level log_level = EDD_LOG_INFO;
static bool log_syslog;
static const char *log_ident = "extdiscod";
static uint64_t (*log_clock)(void);

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void edd_log_setup(edd_log_level level, bool use_syslog, const char *ident)
{
    if (level > EDD_LOG_DEBUG)
        level = EDD_LOG_DEBUG;
    log_level = level;
    log_ident = ident ? ident : "extdiscod";
    if (use_syslog && !log_syslog)
        openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
    else if (!use_syslog && log_syslog)
        closelog();
    log_syslog = use_syslog;
}

edd_log_level edd_log_get_level(void)
{
    return log_level;
}

const char *edd_log_level_name(edd_log_level level)
{
    if ((unsigned)level > EDD_LOG_DEBUG)
        return "unknown";
    return level_names[level];
}

bool edd_log_level_parse(const char *s, edd_log_level *out)
{
    for (unsigned i = 0; s && i <= EDD_LOG_DEBUG; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (edd_log_level)i;
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------ escaping */

/* Room kept for the cut marker: "…[" (4) + 20 digits + " bytes cut]" (11). */
#define CUT_RESERVE 36u

/* Code points shown as \uNNNN although valid: C1 controls (terminals act on
 * some), line/paragraph separators (line breaks to some viewers) and the
 * bidirectional overrides and isolates (they reorder what is shown). */
static bool cp_escaped(uint32_t cp)
{
    return (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The length of the valid UTF-8 sequence at p (at most n bytes) and its
 * code point; 0 when invalid (overlong, surrogate, past U+10FFFF,
 * truncated, stray continuation byte). */
static size_t utf8_seq(const unsigned char *p, size_t n, uint32_t *cp)
{
    size_t len;
    uint32_t c, min;
    if (p[0] >= 0xc2 && p[0] <= 0xdf) {
        len = 2, c = p[0] & 0x1fu, min = 0x80;
    } else if (p[0] >= 0xe0 && p[0] <= 0xef) {
        len = 3, c = p[0] & 0x0fu, min = 0x800;
    } else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
        len = 4, c = p[0] & 0x07u, min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xc0) != 0x80)
            return 0;
        c = (c << 6) | (p[k] & 0x3fu);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
        return 0;
    *cp = c;
    return len;
}

/* The escaped form of the character at in[i] into piece (<= 12 bytes);
 * returns its length and sets *adv to the input bytes it stands for. */
static size_t escape_one(const unsigned char *in, size_t n, char *piece, size_t *adv)
{
    unsigned char c = in[0];
    *adv = 1;
    switch (c) {
    case '\n': memcpy(piece, "\\n", 2); return 2;
    case '\r': memcpy(piece, "\\r", 2); return 2;
    case '\t': memcpy(piece, "\\t", 2); return 2;
    case '\\': memcpy(piece, "\\\\", 2); return 2;
    default: break;
    }
    if (c < 0x20 || c == 0x7f)
        return (size_t)snprintf(piece, 12, "\\x%02x", c);
    if (c < 0x80) {
        piece[0] = (char)c;
        return 1;
    }
    uint32_t cp;
    size_t len = utf8_seq(in, n, &cp);
    if (len == 0)
        return (size_t)snprintf(piece, 12, "\\x%02x", c);
    *adv = len;
    if (cp_escaped(cp))
        return (size_t)snprintf(piece, 12, "\\u%04" PRIx32, cp);
    memcpy(piece, in, len);
    return len;
}

size_t edd_log_escape(char *out, size_t outsz, const char *in, size_t len, size_t total)
{
    const unsigned char *u = (const unsigned char *)in;
    size_t limit = outsz - 1, o = 0, i = 0;
    size_t safe_o = 0, safe_i = 0; /* the last cut point leaving marker room */
    bool cut = total > len;
    if (outsz == 0)
        return 0;
    if (total < len)
        total = len;
    while (i < len) {
        char piece[12];
        size_t adv, plen = escape_one(u + i, len - i, piece, &adv);
        if (o + plen > limit) {
            cut = true;
            break;
        }
        memcpy(out + o, piece, plen);
        o += plen;
        i += adv;
        if (o + CUT_RESERVE <= limit)
            safe_o = o, safe_i = i;
    }
    if (cut) {
        o = safe_o;
        int m = snprintf(out + o, outsz - o, "\xe2\x80\xa6[%zu bytes cut]", total - safe_i);
        if (m > 0)
            o += (size_t)m;
        if (o > limit)
            o = limit;
    }
    out[o] = '\0';
    return o;
}

/* ------------------------------------------------------------ limiter */

bool edd_log_limit_take(edd_log_limit *l, uint64_t now_ms, uint64_t *suppressed,
                       uint64_t *span_ms)
{
    const uint64_t cap = (uint64_t)EDD_LOG_BURST * 1000u;
    if (now_ms > l->last_ms) { /* a clock that steps back refills nothing */
        uint64_t dt = now_ms - l->last_ms;
        uint64_t refill = dt >= cap ? cap : dt * EDD_LOG_RATE; /* ms x lines/s */
        l->used = refill >= l->used ? 0 : l->used - refill;
        l->last_ms = now_ms;
    }
    if (l->used + 1000u > cap) {
        if (l->suppressed++ == 0)
            l->first_cut_ms = now_ms;
        return false;
    }
    l->used += 1000u;
    *suppressed = l->suppressed;
    *span_ms = l->suppressed && now_ms > l->first_cut_ms ? now_ms - l->first_cut_ms : 0;
    l->suppressed = 0;
    return true;
}

void edd_log_set_clock(uint64_t (*now_ms)(void))
{
    log_clock = now_ms;
}

static uint64_t clock_now_ms(void)
{
    if (log_clock)
        return log_clock();
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ------------------------------------------------------------ sink */

static bool level_on(edd_log_level level)
{
    return (unsigned)level <= EDD_LOG_DEBUG && level <= log_level;
}

/* Format, escape and cap, then write one line; note (ours, already safe,
 * may be NULL) is appended after the cap. */
static void emit(edd_log_level level, const char *note, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void emit(edd_log_level level, const char *note, const char *fmt, va_list ap)
{
    static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
    char msg[2 * EDD_LOG_LINE_MAX];
    int m = vsnprintf(msg, sizeof msg, fmt, ap);
    size_t total = m < 0 ? 0 : (size_t)m;
    size_t len = total < sizeof msg ? total : sizeof msg - 1;
    char esc[EDD_LOG_LINE_MAX + 1];
    edd_log_escape(esc, sizeof esc, msg, len, total);
    if (!note)
        note = "";
    if (log_syslog) {
        syslog(prio[level], "%s%s", esc, note);
        return;
    }
    /* One buffered line per message so concurrent writers do not interleave
     * within a line. */
    char line[EDD_LOG_LINE_MAX + 256];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02dZ %s[%s] %s%s\n",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, log_ident, level_names[level], esc, note);
    if (n < 0)
        return;
    size_t out = (size_t)n;
    if (out >= sizeof line) { /* a very long ident: still one line */
        out = sizeof line - 1;
        line[out - 1] = '\n';
    }
    fwrite(line, 1, out, stderr);
}

void edd_vlog(edd_log_level level, const char *fmt, va_list ap)
{
    if (level_on(level))
        emit(level, NULL, fmt, ap);
}

void edd_log(edd_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    edd_vlog(level, fmt, ap);
    va_end(ap);
}

void edd_log_limited(edd_log_limit *site, edd_log_level level, const char *fmt, ...)
{
    uint64_t suppressed, span;
    if (!level_on(level) || !edd_log_limit_take(site, clock_now_ms(), &suppressed, &span))
        return;
    char note[96];
    if (suppressed)
        snprintf(note, sizeof note,
                 " (%" PRIu64 " similar line%s suppressed in the last %" PRIu64 ".%" PRIu64
                 " s)", suppressed, suppressed == 1 ? "" : "s", span / 1000u,
                 span % 1000u / 100u);
    va_list ap;
    va_start(ap, fmt);
    emit(level, suppressed ? note : NULL, fmt, ap);
    va_end(ap);
}
