/* gateway/handoff_resume.h - a resumed WebSocket hello's reads not waited
 * for (handoff_resume.c; issue 18, docs/scaling.md "Reads off the loop"):
 * handoff_resume()'s reads sent on the store's own read connection
 * (store_session_resume_send(), PostgreSQL), the same welcome built from
 * them when the answer arrives. */
#ifndef MOTCUA_GATEWAY_HANDOFF_RESUME_H
#define MOTCUA_GATEWAY_HANDOFF_RESUME_H

#include <jansson.h>
#include <stdint.h>

#include "session.h"

struct gw;

/* Called once with what handoff_resume() would have returned: rc, and when
 * 0 the session s (the callee's: session_fini()), history and handoff (the
 * callee's references; handoff NULL: with the bot). */
typedef void (*handoff_resume_fn)(struct gw *gw, void *ctx, int rc, struct session *s,
                                  json_t *history, json_t *handoff);

/* Asks for handoff_resume()'s reads of token without waiting; done is
 * called with ctx from store_session_resume_poll() (the loop's timer), never
 * from this call. Returns 0 (*id names it), -ENOENT (not a token: start a
 * new session), -ENOTSUP (SQLite), -EAGAIN, -EIO or -ENOMEM (the caller
 * then reads waiting: handoff_resume()). */
MC_MUST_CHECK int handoff_resume_send(struct gw *gw, const char *token, handoff_resume_fn done,
                                      void *ctx, uint64_t *id);

/* Forgets read id (its done is never called). */
void handoff_resume_cancel(struct gw *gw, uint64_t id);

#endif
