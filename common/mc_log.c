/* common/mc_log.c - see mc_log.h. */
#include "mc_log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mc_utf8.h"

#define LOG_LINE_MAX 2048 /* bytes; one event; longer lines are cut at a UTF-8 boundary */

/* The one mutable static of the logger: written once at start-up (as the
 * loaded config is), read-only while the event loop runs. */
static enum mc_log_level log_min = MC_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void mc_log_set_level(enum mc_log_level level)
{
    log_min = level;
}

int mc_log_parse_level(const char *s, enum mc_log_level *out)
{
    unsigned i;

    for (i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out = (enum mc_log_level)i;
            return 0;
        }
    }
    return -EINVAL;
}

void mc_log(enum mc_log_level level, const char *event, const char *fmt, ...)
{
    char line[LOG_LINE_MAX + 1]; /* + the newline */
    struct timespec ts;
    struct tm tm;
    va_list ap;
    size_t len;
    int n, m;

    if (level < log_min)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    n = snprintf(line, LOG_LINE_MAX, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=%s ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 ts.tv_nsec / 1000000, level_names[level], event);
    if (n < 0 || n >= LOG_LINE_MAX)
        return;
    va_start(ap, fmt);
    m = vsnprintf(line + n, LOG_LINE_MAX - (size_t)n, fmt, ap);
    va_end(ap);
    if (m < 0)
        return;
    if ((size_t)m >= LOG_LINE_MAX - (size_t)n) /* cut: never inside a character */
        len = mc_utf8_trim_partial(line, LOG_LINE_MAX - 1);
    else
        len = (size_t)n + (size_t)m;
    line[len] = '\n';
    /* one write of the whole line (stderr is unbuffered; fprintf formats again);
     * a failed write has nowhere to be reported */
    (void)fwrite(line, 1, len + 1, stderr);
}

const char *mc_log_quote(const char *s, char *out, unsigned size)
{
    const char *p;
    unsigned o = 0;
    int plain = *s != '\0';

    if (size < 4) {
        if (size)
            out[0] = '\0';
        return out;
    }
    for (p = s; *p; p++)
        if (*p == ' ' || *p == '"' || *p == '\\' || *p == '=' || (unsigned char)*p < 0x20)
            plain = 0;
    if (!plain)
        out[o++] = '"';
    for (p = s; *p; p++) {
        unsigned char c = (unsigned char)*p;
        unsigned need = (c == '"' || c == '\\' || c < 0x20) ? 2 : 1;

        if (o + need + 2 > size)
            break;
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20) {
            out[o++] = '\\';
            out[o++] = c == '\n' ? 'n' : c == '\t' ? 't' : '?';
        } else {
            out[o++] = (char)c;
        }
    }
    if (*p) /* cut: never inside a UTF-8 sequence, and a whole last character stays */
        o = (unsigned)mc_utf8_trim_partial(out, o);
    if (!plain)
        out[o++] = '"';
    out[o] = '\0';
    return out;
}
