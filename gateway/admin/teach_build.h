/* gateway/admin/teach_build.h - the understanding index of taught phrases,
 * built off the event loop (issue 15's teaching, after reload.h).
 *
 * An index for ~200 procedures takes about half a second to build; built
 * on the loop (a POST of a phrase, a refresh after another process taught
 * or deleted one, a DELETE) it held every turn and WebSocket of the process
 * that long. Here the loop reads what the build needs (the knowledge
 * base's spec and the taught phrases, teach_phrases_load(): the databases
 * are the loop's), one thread builds and checks, and the loop swaps the
 * result in and answers between two turns (teach_build_poll()):
 *   - POST /phrases: the thread runs the conflict checks (teach.h) and builds
 *     the index with the phrase; the loop writes it in the store's open
 *     batch, and once that batch's commit is reported swaps the index in,
 *     then answers 201 (or 409, 503; 500 when the commit failed: the index
 *     stays without it). So the 201 still promises the phrase is saved and
 *     this worker answers with it, and no turn is ever understood with a
 *     phrase that may yet be rolled back. Teaches wait in a list of
 *     TEACH_BUILD_WAITERS_MAX and are checked one after the other, each
 *     against the phrases the one before stored: the next build starts once
 *     the commit before it is reported, never reading around it;
 *   - DELETE /phrases/{id}: written in the open batch, then, once its commit
 *     is reported, answered 200 when an index read after the delete is in
 *     use (500 when the commit failed: nothing changed);
 *   - the commits: on PostgreSQL the loop never waits for them (gw_commit.h);
 *     their results come through teach_build_committed() and are acted on by
 *     the next teach_build_poll(). On SQLite they are done at once
 *     (gw_flush()), as before;
 *   - a refresh (the tick, a notification, a turn seeing a newer revision)
 *     starts a build, or, while one runs, asks for one more after it: any
 *     number of them coalesce into that one.
 * The thread owns what it reads (the loaded phrases, its own indexes). It
 * reads gw's index for the conflict check only when that index was built
 * at the loaded revision; nothing frees that index while a build runs (the
 * builder is the only one swapping taught indexes, and reload_poll() waits
 * for teach_build_busy()). A turn on another worker meanwhile is answered
 * with the index in use: a phrase taught elsewhere counts once that
 * worker's build is done (about the build time), not from its next message.
 * Loop thread only. */
#ifndef MOTCUA_GATEWAY_ADMIN_TEACH_BUILD_H
#define MOTCUA_GATEWAY_ADMIN_TEACH_BUILD_H

#include <stdbool.h>
#include <stdint.h>

#define TEACH_BUILD_WAITERS_MAX 8 /* POSTs and DELETEs waiting on the builder */
/* seconds a POST or DELETE may wait for its answer (the builds before it and
 * its own); lws's own 20 s would drop it under a sanitizer */
#define TEACH_BUILD_ANSWER_TIMEOUT_S 300
/* Test only (tests/e2e/teach-busy.test.js): each build waits this many ms
 * before it starts, so a test can hold the builder busy (the waiting list
 * full, a SIGTERM while a teach builds). Unset or 0 in any real deployment;
 * a value that is not a number up to TEACH_BUILD_TEST_DELAY_MAX_MS is 0. */
#define TEACH_BUILD_TEST_DELAY_ENV "MOTCUA_TEST_TEACH_DELAY_MS"
#define TEACH_BUILD_TEST_DELAY_MAX_MS 10000

struct gw;
struct lws;
struct teach_build; /* opaque: the builder of one process */

/* Queues the teaching of text (checked: one line, foldable) with label for
 * the POST on wsi by officer from peer; the answer comes later (201, 400
 * unknown_label, 409 conflict, 503). Returns 0, -EBUSY when
 * TEACH_BUILD_WAITERS_MAX requests wait already, or -ENOMEM (the caller
 * answers both). */
int teach_build_teach(struct gw *gw, struct lws *wsi, const char *text, const char *label,
                      const char *officer, const char *peer);

/* The DELETE on wsi removed phrase id (label) in the store's open batch:
 * answers it 200 once that is committed and an index without it is in use,
 * 500 when the commit failed. Returns 0, -EBUSY (nothing kept: the caller
 * answers once committed) or -ENOMEM. */
int teach_build_deleted(struct gw *gw, struct lws *wsi, int64_t id, const char *label);

/* Starts a rebuild when the stored revision differs from gw->taught_rev,
 * or asks for one after the build in flight. One revision query when idle,
 * none while a build runs. */
void teach_build_refresh(struct gw *gw);

/* Swaps in a finished build, answers its requests, starts the next one.
 * Cheap when nothing finished: call it every loop pass. Returns true while
 * a build is in flight. */
bool teach_build_poll(struct gw *gw);

/* The commits of every batch up to ticket were reported with rc (0:
 * committed; http_hold_release() calls it): the teach or DELETEs waiting for
 * theirs are marked, and acted on by the next teach_build_poll() (between
 * two turns, not in the middle of whatever reported the commit). */
void teach_build_committed(struct gw *gw, uint64_t ticket, int rc);

/* Whether a build is in flight (and may read gw->index), or a teach or a
 * DELETE waits for its commit (the drain waits for its answer, a reload
 * swaps after it). */
bool teach_build_busy(const struct gw *gw);

/* The connection of wsi is closing: nothing will be written to it (a POST
 * already being checked is still stored when accepted). */
void teach_build_forget(struct gw *gw, struct lws *wsi);

/* The server drains (gw->draining set): the requests queued and not yet
 * started are answered now (a teach 503 shutting_down, nothing stored; a
 * DELETE, committed already, 200), and no build starts from now on; the one in flight goes on, and
 * teach_build_poll() still finishes and answers it (201, 409) while the drain lasts. Answers given
 * while draining are written whole at once and close their connection. */
void teach_build_drain(struct gw *gw);

/* Waits for a build in flight, answers every waiting request (when answer:
 * a teach 503 shutting_down, a DELETE 200; a teach or DELETE whose commit is
 * awaited, its commit waited for and its result) and frees the builder
 * (shutdown: answer before the context goes, not after). */
void teach_build_free(struct gw *gw, bool answer);

#endif
