/* gateway/privacy.h - citizens' personal data (docs/privacy.md): the key the
 * store hashes platform user ids with, retention (a timer on the event loop
 * that purges old records in small steps), and erasure on request (the
 * WebSocket frame {"type":"forget"}, the words "xoá dữ liệu của tôi" on
 * Messenger/Zalo). */
#ifndef MOTCUA_GATEWAY_PRIVACY_H
#define MOTCUA_GATEWAY_PRIVACY_H

#include <stdbool.h>
#include <stdint.h>

#include "mc_err.h"

struct gw;
struct privacy;

#define PRIVACY_PURGE_ROWS 200 /* rows per table in one purge step: a step stays a few ms */

/* Sets the store's id key (privacy.id_key, or the one kept in the state
 * database, created on first start) and schedules the retention timer (it
 * purges only in the worker that sends the outbox: one writer is enough;
 * its steps write in the open batch, committed by the loop's group COMMIT,
 * and a step waits for the previous one's COMMIT to land before it runs).
 * Returns a new privacy (privacy_free()) or NULL with err set. */
struct privacy *privacy_new(struct gw *gw, struct mc_err *err);

/* Cancels the timer and frees. NULL is a no-op. */
void privacy_free(struct privacy *p);

/* One retention step now (the timer's work; tests and `motcua` tools call
 * it too). Returns the rows deleted or changed, or -EIO. */
long privacy_purge_step(struct gw *gw);

/* Whether text asks to erase the citizen's data: "xoá dữ liệu của tôi",
 * "xóa dữ liệu của tôi", "xoa du lieu cua toi" (any case, edge spaces and
 * final punctuation ignored). */
bool privacy_is_forget_words(const char *text);

/* Deletes everything of session_id (store_privacy_forget) inside the open
 * batch; user is the platform's clear id (its queued replies go too) or NULL.
 * Logged without the id. Returns 0 or -EIO. */
MC_MUST_CHECK int privacy_forget(struct gw *gw, int64_t session_id, const char *user);

/* The same for the Messenger/Zalo citizen user on channel: their session, if
 * any. Returns 0 or -EIO. */
MC_MUST_CHECK int privacy_forget_user(struct gw *gw, const char *channel, const char *user);

#endif
