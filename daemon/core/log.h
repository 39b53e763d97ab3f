/* daemon/core/log.h — the daemon's tiny leveled logger: stderr or syslog.
 *
 * Levels error < warn < info < debug; a message is emitted when its level is
 * at or below the configured one.  printf-style.  Callers must never pass
 * secrets (passwords, TURN secrets, component secrets) as arguments.
 *
 * Safe for anything a peer sends (issue 10, items 5 and 6), with nothing to
 * remember at the call site:
 *  - every line is escaped after formatting (edd_log_escape): control bytes,
 *    DEL, backslash, invalid UTF-8, C1 controls, line/paragraph separators
 *    and bidi overrides become \n \r \t \\ \xNN \uNNNN; valid UTF-8 text
 *    stays readable; a message is cut at EDD_LOG_LINE_MAX bytes with a
 *    visible "…[N bytes cut]" marker.  One message is always one line, on
 *    stderr and in syslog alike.
 *  - edd_log_error/warn/info/debug are rate-limited per call site (a static
 *    edd_log_limit in each macro expansion): a burst of EDD_LOG_BURST lines,
 *    then EDD_LOG_RATE lines per second; the next line a site emits after
 *    suppressing some ends with "(N similar lines suppressed in the last
 *    T s)".  They expand to a statement (do { } while (0)).
 *  - edd_log() itself is not limited: only for the few lines that must always
 *    appear (start, stop, reload result), never for what a peer can trigger.
 *
 * State: one process-wide sink (this is the daemon, not the library; one
 * thread); the configuration loader and registry do not log at all, they
 * report errors through their err buffers. */
#ifndef EXTDISCOD_LOG_H
#define EXTDISCOD_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum edd_log_level {
    EDD_LOG_ERROR = 0,
    EDD_LOG_WARN,
    EDD_LOG_INFO,
    EDD_LOG_DEBUG
} edd_log_level;

/* The longest message text (after escaping, marker included), in bytes;
 * the timestamp/ident prefix and the suppression note come on top. */
#define EDD_LOG_LINE_MAX 1024u
/* Per call site: a burst of EDD_LOG_BURST lines, then EDD_LOG_RATE a second. */
#define EDD_LOG_BURST 10u
#define EDD_LOG_RATE 1u

/* Select the sink and threshold.  ident (may be NULL: "extdiscod") is used
 * for syslog and as the stderr prefix; it is borrowed and must stay valid.
 * May be called again (on reload); switching away from syslog closes it. */
void edd_log_setup(edd_log_level level, bool use_syslog, const char *ident);

edd_log_level edd_log_get_level(void);

/* "error", "warn", "info", "debug". */
const char *edd_log_level_name(edd_log_level level);

/* Parse a level name (case-sensitive); false when unknown. */
bool edd_log_level_parse(const char *s, edd_log_level *out);

/* Unlimited: see above. */
void edd_log(edd_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void edd_vlog(edd_log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/* The state of one call site's limiter (token bucket).  All zero (a static)
 * is a full bucket. */
typedef struct edd_log_limit {
    uint64_t last_ms;       /* clock at the last refill */
    uint64_t used;          /* milli-lines spent, 0 .. EDD_LOG_BURST * 1000 */
    uint64_t first_cut_ms;  /* clock at the first line suppressed, if any */
    uint64_t suppressed;    /* lines suppressed since the last one emitted */
} edd_log_limit;

/* One line from a site at now_ms (monotonic milliseconds): true when it may
 * be emitted; then *suppressed and *span_ms say how many lines were
 * suppressed before it and over how long (0 and 0 when none).  Pure, for
 * the tests. */
bool edd_log_limit_take(edd_log_limit *l, uint64_t now_ms, uint64_t *suppressed,
                       uint64_t *span_ms);

/* edd_vlog through a site's limiter (what the macros call). */
void edd_log_limited(edd_log_limit *site, edd_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define EDD_LOG_LIMITED_(level, ...)                                    \
    do {                                                               \
        static edd_log_limit edd_log_site_;                              \
        edd_log_limited(&edd_log_site_, (level), __VA_ARGS__);           \
    } while (0)
#define edd_log_error(...) EDD_LOG_LIMITED_(EDD_LOG_ERROR, __VA_ARGS__)
#define edd_log_warn(...)  EDD_LOG_LIMITED_(EDD_LOG_WARN, __VA_ARGS__)
#define edd_log_info(...)  EDD_LOG_LIMITED_(EDD_LOG_INFO, __VA_ARGS__)
#define edd_log_debug(...) EDD_LOG_LIMITED_(EDD_LOG_DEBUG, __VA_ARGS__)

/* Escape in[0..len) into out (outsz >= 64 bytes, NUL-terminated; returns
 * the length written).  total >= len is the length of the whole message
 * (more than len when the caller's format buffer was too small).  When the
 * escaped text does not fit in outsz - 1 bytes, or total > len, it is cut
 * at a character boundary and "…[N bytes cut]" (N: bytes of the message not
 * shown) ends it; the result never exceeds outsz - 1 bytes (outsz 0: nothing written). */
size_t edd_log_escape(char *out, size_t outsz, const char *in, size_t len, size_t total);

/* Tests: the clock the limiter reads (monotonic milliseconds); NULL
 * restores CLOCK_MONOTONIC. */
void edd_log_set_clock(uint64_t (*now_ms)(void));

#endif
