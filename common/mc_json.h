/* common/mc_json.h - compact JSON text of a jansson value, byte for byte what
 * json_dumps(j, JSON_COMPACT) writes, without its per-call costs (a hash
 * table of parents for loop detection, a strbuffer and a copy of it, a
 * callback per run of bytes): a turn writes its reply and state this way.
 * Reals are formatted by jansson itself (json_dumpb), so numbers have one
 * source of truth. Pure; safe from any thread for values no one changes. */
#ifndef MOTCUA_COMMON_MC_JSON_H
#define MOTCUA_COMMON_MC_JSON_H

#include <jansson.h>

#define MC_JSON_DEPTH_MAX 64 /* deeper values are handed to json_dumps() itself */

/* New NUL-terminated text (free()) of j, an object or an array; NULL where
 * json_dumps(j, JSON_COMPACT) is NULL (another type, a string that is not
 * UTF-8, a loop) or when memory ran out. */
char *mc_json_dump(const json_t *j);

#endif
