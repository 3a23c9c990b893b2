/* gateway/handoff_int.h - handoff.c's formatting shared with
 * handoff_resume.c (a resumed hello's welcome from rows read together), so
 * the welcome's handoff items and state are built in one place whichever
 * way they were read. Internal to the handoff module. */
#ifndef MOTCUA_GATEWAY_HANDOFF_INT_H
#define MOTCUA_GATEWAY_HANDOFF_INT_H

#include <stdint.h>

struct json_t;

#define HANDOFF_HISTORY_LOAD 200 /* handoff messages read for one welcome, at most */

/* Appends one handoff message as the welcome's history shows it (the
 * citizen's as "user", an officer's as "officer" with officer_name, what the
 * bot said about the handoff as a bot reply; docs/api.md), wrapped as
 * {"ms": ts_ms, "item": ...}, to items. Returns 0 or -ENOMEM. */
int handoff_history_item(struct json_t *items, const char *from, const char *officer_name,
                         const char *text, int64_t ts_ms);

/* Merges items (handoff_history_item()'s, in time order) by time into
 * history (session_history()'s, oldest first), keeping its newest max
 * items; at equal seconds a turn comes first. Returns 0 or -ENOMEM (history
 * may then be partly merged). */
int handoff_history_merge(struct json_t *history, const struct json_t *items, unsigned max);

/* The welcome's "handoff" for state and, when "officer", the holder's
 * display name: a new object {"state","officer":{"name"}|null}, or NULL
 * when state is not "pending" nor "officer" (or out of memory). */
struct json_t *handoff_state_build(const char *state, const char *officer_name);

#endif
