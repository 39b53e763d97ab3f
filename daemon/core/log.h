/* daemon/log.h — the daemon's tiny leveled logger: stderr or syslog.
 *
 * Levels error < warn < info < debug; a message is emitted when its level is
 * at or below the configured one.  printf-style.  Callers must never pass
 * secrets (passwords, TURN secrets, component secrets) as arguments.
 *
 * State: one process-wide sink (this is the daemon, not the library); the
 * configuration loader and registry do not log at all, they report errors
 * through their err buffers. */
#ifndef EXTDISCOD_LOG_H
#define EXTDISCOD_LOG_H

#include <stdarg.h>
#include <stdbool.h>

typedef enum ed_log_level {
    ED_LOG_ERROR = 0,
    ED_LOG_WARN,
    ED_LOG_INFO,
    ED_LOG_DEBUG
} ed_log_level;

/* Select the sink and threshold.  ident (may be NULL: "extdiscod") is used
 * for syslog and as the stderr prefix; it is borrowed and must stay valid.
 * May be called again (on reload); switching away from syslog closes it. */
void ed_log_setup(ed_log_level level, bool use_syslog, const char *ident);

ed_log_level ed_log_get_level(void);

/* "error", "warn", "info", "debug". */
const char *ed_log_level_name(ed_log_level level);

/* Parse a level name (case-sensitive); false when unknown. */
bool ed_log_level_parse(const char *s, ed_log_level *out);

void ed_log(ed_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void ed_vlog(ed_log_level level, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#define ed_log_error(...) ed_log(ED_LOG_ERROR, __VA_ARGS__)
#define ed_log_warn(...)  ed_log(ED_LOG_WARN, __VA_ARGS__)
#define ed_log_info(...)  ed_log(ED_LOG_INFO, __VA_ARGS__)
#define ed_log_debug(...) ed_log(ED_LOG_DEBUG, __VA_ARGS__)

#endif
