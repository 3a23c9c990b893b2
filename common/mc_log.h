/* common/mc_log.h - structured logs: one line per event on stderr,
 *   ts=2026-11-22T10:42:00.123Z level=info event=ws.open key=value ...
 * Values are quoted when they hold spaces or quotes. Callers pass text that
 * came from citizens through mc_mask_pii() first; secrets are never logged.
 * The level is set once at start-up, before any event loop runs. */
#ifndef MOTCUA_COMMON_MC_LOG_H
#define MOTCUA_COMMON_MC_LOG_H

#include "mc_err.h"

enum mc_log_level { MC_LOG_DEBUG, MC_LOG_INFO, MC_LOG_WARN, MC_LOG_ERROR };

/* Sets the lowest level that is written (default MC_LOG_INFO). */
void mc_log_set_level(enum mc_log_level level);

/* Parses "debug" | "info" | "warn" | "error"; returns 0 or -EINVAL. */
MC_MUST_CHECK int mc_log_parse_level(const char *s, enum mc_log_level *out);

/* Writes one event. fmt is the rest of the line, as key=value pairs; use
 * mc_log_quote() for any value that may hold spaces. */
void mc_log(enum mc_log_level level, const char *event, const char *fmt, ...) MC_PRINTF(3, 4);

/* Writes s into out (size bytes) as a log value: bare if it has no space,
 * quote, backslash or control character, otherwise in double quotes with
 * those escaped. Truncates at a UTF-8 boundary. Returns out. */
const char *mc_log_quote(const char *s, char *out, unsigned size);

#endif
