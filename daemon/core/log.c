/* daemon/log.c — see log.h. */
#include "core/log.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

static ed_log_level log_level = ED_LOG_INFO;
static bool log_syslog;
static const char *log_ident = "extdiscod";

static const char *const level_names[] = { "error", "warn", "info", "debug" };

void ed_log_setup(ed_log_level level, bool use_syslog, const char *ident)
{
    if (level > ED_LOG_DEBUG)
        level = ED_LOG_DEBUG;
    log_level = level;
    log_ident = ident ? ident : "extdiscod";
    if (use_syslog && !log_syslog)
        openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
    else if (!use_syslog && log_syslog)
        closelog();
    log_syslog = use_syslog;
}

ed_log_level ed_log_get_level(void)
{
    return log_level;
}

const char *ed_log_level_name(ed_log_level level)
{
    if ((unsigned)level > ED_LOG_DEBUG)
        return "unknown";
    return level_names[level];
}

bool ed_log_level_parse(const char *s, ed_log_level *out)
{
    for (unsigned i = 0; s && i <= ED_LOG_DEBUG; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (ed_log_level)i;
            return true;
        }
    }
    return false;
}

void ed_vlog(ed_log_level level, const char *fmt, va_list ap)
{
    static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
    if ((unsigned)level > ED_LOG_DEBUG || level > log_level)
        return;
    if (log_syslog) {
        vsyslog(prio[level], fmt, ap);
        return;
    }
    /* One buffered line per message so concurrent writers do not interleave
     * within a line; long messages are truncated, never overrun. */
    char line[2048];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line, "%04d-%02d-%02dT%02d:%02d:%02dZ %s[%s] ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, log_ident, level_names[level]);
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2)
        len = sizeof line - 2;
    line[len++] = '\n';
    fwrite(line, 1, len, stderr);
}

void ed_log(ed_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ed_vlog(level, fmt, ap);
    va_end(ap);
}
