/* gateway/router.c - gw_handle_message(): the one path every channel's
 * message takes (see gw.h). Personal data is masked before anything is
 * written to the turn log. With handoff.enabled, a conversation an officer
 * has or is waiting for skips the bot (handoff.h). */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mc_time.h"
#include "conv.h"
#include "feedback.h"
#include "gw.h"
#include "handoff.h"
#include "intent.h"
#include "mc_buf.h"
#include "mc_json.h"
#include "mc_log.h"
#include "mc_mask.h"
#include "mc_utf8.h"
#include "notify.h"
#include "session.h"
#include "share.h"
#include "store.h"
#include "speech.h"
#include "teach_build.h"

#define GW_TURN_TRIES 4 /* runs of one turn when other workers keep changing its session */

/* The understanding block of a reply, as the WS contract names it; a new
 * object, or NULL when memory ran out (never one with candidates missing). */
static json_t *understanding_json(const struct intent_result *u)
{
    json_t *cands = json_array();
    size_t i;

    if (!cands)
        return NULL;
    for (i = 0; i < u->n_candidates; i++) {
        if (json_array_append_new(cands, json_pack("{s:s,s:f}", "label", u->candidates[i].label,
                                                   "confidence", u->candidates[i].confidence))) {
            json_decref(cands);
            return NULL;
        }
    }
    return json_pack("{s:s,s:f,s:s,s:o}", "label", u->label, "confidence", u->confidence,
                     "decision", intent_decision_name(u->decision), "candidates", cands);
}

/* The answer to a message taken for the officer (handoff.h): no turn. */
static int deliver(json_t **reply, char **text_out)
{
    if (text_out) {
        *text_out = strdup(HANDOFF_DELIVERED_JSON);
        return *text_out ? 0 : -ENOMEM;
    }
    *reply = json_loads(HANDOFF_DELIVERED_JSON, 0, NULL);
    return *reply ? 0 : -ENOMEM;
}

/* Adds the time since t0 to the turns' state-store time (motcua_state_seconds
 * op="turn"): what the loop waited on SQLite or PostgreSQL for this turn. */
static void state_spent(struct gw *gw, int64_t t0)
{
    gw->metrics.state_turn_us_sum += (uint64_t)(mc_mono_us() - t0);
}

/* The answer already recorded for msg_id in s, handed out as handle_turn()
 * hands a reply. Returns 0, -ENOENT (none), -EIO or -ENOMEM. */
static int from_record(struct gw *gw, const struct session *s, const char *msg_id, json_t **reply,
                       char **text_out)
{
    int64_t ts = mc_mono_us();
    char *again = store_find_reply(gw->store, s->id, msg_id);

    state_spent(gw, ts);
    if (!again)
        return -ENOENT;
    if (text_out) {
        *text_out = again;
        return 0;
    }
    *reply = json_loads(again, 0, NULL);
    free(again);
    return *reply ? 0 : -EIO;
}

static int load_session(struct gw *gw, const char *channel, const char *token, const char *user_key,
                        struct session *s)
{
    if (token)
        return session_load_token(gw->store, token, s);
    if (user_key)
        return session_load_user(gw->store, channel, user_key, s);
    return session_create(gw->store, channel, s);
}

/* One turn on a loaded session: s->state and s->last_seen are replaced only
 * when the turn's unit was written. s->doc, the parsed state, is kept for
 * the next turn (an open WebSocket's session lives on); it is changed by
 * conv_handle only on success and dropped when the save fails. */
/* The reply is handed out as JSON (*reply) or, when text_out is set, as the
 * JSON text already written for the turn record (*text_out), so a WebSocket
 * reply is serialised once, not twice. save: when not NULL, the save may be
 * queued without waiting for its verdict (store_turn_queue()); *save is then
 * its id, else left 0. */
static int handle_turn(struct gw *gw, struct session *s, const char *text, const char *payload,
                       const char *msg_id, json_t **reply, char **text_out, uint64_t *save,
                       struct mc_err *err)
{
    /* the kiosk stands in the commune's centre: answers say "here", not "go there" */
    struct conv_ctx cx = {gw->kb, gw->cfg, gw->index, strcmp(s->channel, "kiosk") == 0};
    struct conv_turn turn;
    struct intent_result *u = NULL;
    const char *channel = s->channel;
    struct session_turn t[2];
    json_t *state = NULL, *r = NULL;
    struct mc_buf masked;
    char *reply_text = NULL, *state_text = NULL, *old_state;
    int64_t old_seen;
    bool changed = false;     /* s->doc holds this turn's state */
    bool unit = false;        /* a handoff change joins the turn's unit */
    bool resent = false;      /* msg_id was answered already: the record's answer is sent */
    bool unread = false;      /* the handoff state not read: checked by the save (handoff.h) */
    bool changes = false;     /* a handoff request or cancel (change), written with the save */
    bool page_queued = false; /* a checklist page (page), written by the queued save */
    bool voted = false;       /* a vote by quick reply (vote), written with the save */
    struct store_handoff change;
    struct store_share_plan page;
    struct store_feedback_vote vote;
    enum handoff_step step = HANDOFF_BOT;
    const char *input = text ? text : payload;
    struct timespec wall;
    int64_t t0 = mc_mono_us(), ts, now_s, now_ms;
    int rc;

    clock_gettime(CLOCK_REALTIME, &wall); /* one clock for the turn: ms orders the transcript */
    now_s = (int64_t)wall.tv_sec;
    now_ms = now_s * 1000 + wall.tv_nsec / 1000000;
    mc_buf_init(&masked, INTENT_MAX_INPUT * 2);
    memset(&page, 0, sizeof(page));
    if (!input || !mc_utf8_is_valid(input, strlen(input))) {
        mc_err_set(err, "text: not valid UTF-8");
        return -EINVAL;
    }
    /* a message resent with the same id (after a reconnect) is not looked
     * up here: the save checks its resend key in its own statement
     * (store_turn_save, -EALREADY below), which saves the loop a round trip
     * a turn on PostgreSQL (docs/scaling.md, "The event loop and the database") */
    if (gw->cfg->handoff_enabled) {
        /* while an officer has the conversation the bot never answers; a
         * state read with the session that says none has it (a webhook's,
         * session.h handoff_idle) is not read again: handoff_route() would
         * find the same and answer HANDOFF_BOT, but for a cancel */
        ts = mc_mono_us(); /* the store's time: a read, or the message stored for the officer */
        if (s->handoff_idle && !(payload && strcmp(payload, HANDOFF_PAYLOAD_CANCEL) == 0))
            rc = 0;
        else
            rc = handoff_route(gw, s, text, payload, msg_id, now_ms, save != NULL, &step);
        state_spent(gw, ts);
        if (rc)
            goto out;
        unread = step == HANDOFF_BOT_UNREAD;
        if (step == HANDOFF_ANSWERED) {
            rc = from_record(gw, s, msg_id, reply, text_out);
            rc = rc == -ENOENT ? -EIO : rc; /* it was there a moment ago */
            goto out;
        }
        if (step == HANDOFF_DELIVERED) {
            rc = deliver(reply, text_out);
            goto out;
        }
        if (payload && strcmp(payload, HANDOFF_PAYLOAD_REQUEST) == 0)
            payload = "meta:gap-can-bo"; /* the widget's button: the same as the quick reply */
    }
    session_apply_idle(s, now_s, gw->cfg->session_idle_timeout);
    if (!s->doc) { /* parsed once while the session stays in memory (style rule 18) */
        s->doc = json_loads(s->state, 0, NULL);
        if (!json_is_object(s->doc)) {
            json_decref(s->doc);
            s->doc = json_object(); /* a damaged state starts a fresh conversation */
        }
        if (!s->doc) {
            rc = -ENOMEM;
            goto out;
        }
    }
    state = s->doc; /* borrowed: conv_handle changes it only when it succeeds */
    if (feedback_is_payload(payload)) {
        /* a vote by quick reply (Messenger, Zalo): written with the save, below, by its own
         * statement when it is queued, else in the turn's unit */
        rc = feedback_postback(gw, s, payload, now_s, &r, &vote);
        voted = rc == 0;
        if (rc == 0)
            goto answered;
        if (rc != -ENOENT)
            goto out;
        /* a stale button: nothing stored, the conversation says so */
    }
    if (step == HANDOFF_CANCEL) {
        /* nothing live as far as this node knows, and the save queued: the state is not read,
         * the save checks it as a plain turn's does (a miss runs the turn again, reading it) */
        bool known_none = save && s->handoff_none && store_turn_queues(gw->store);

        rc = handoff_cancel(gw, s, state, known_none, &r, &change);
        if (rc)
            goto out;
        changes = change.state[0] != '\0'; /* written with the save, below */
        unread = unread || known_none;
        goto answered;
    }
    if (text) {
        u = malloc(sizeof(*u));
        if (!u) {
            rc = -ENOMEM;
            goto out;
        }
        rc = intent_match(gw->index, text, strlen(text), u);
        if (rc) {
            mc_err_set(err, rc == -E2BIG ? "text: longer than %d bytes" : "text: not valid text",
                       INTENT_MAX_INPUT);
            rc = -EINVAL;
            goto out;
        }
    }
    turn.u = u;
    turn.text = text;
    turn.payload = text ? NULL : payload;
    rc = conv_handle(&cx, state, &turn, &r);
    if (rc)
        goto out;
    /* counted once answered: a "none" the conversation answered from the procedure in context
     * leaves no "misses" in the state (conv.h), and is counted as "context", not "none" */
    if (u)
        metrics_count_decision(&gw->metrics, (int)u->decision, !json_object_get(state, "misses"));
    changed = true;
    rc = feedback_offer(r, channel); /* "Có giúp được bạn không?" as quick replies */
    if (rc)
        goto out;
    if (strcmp(channel, "kiosk") == 0)
        speech_attach(gw->speech, r); /* "audio": read aloud (kiosk.speech); never fails a turn */
    /* a checklist page: decided now and written by the save's own statement when it is
     * queued and carries nothing else, else written in the turn's unit */
    page_queued = json_object_get(r, "checklist") && save && store_turn_queues(gw->store) &&
                  !(gw->cfg->handoff_enabled && handoff_is_requested(r));
    if (unread && json_object_get(r, "checklist") && !page_queued) {
        rc = handoff_confirm_bot(gw, s); /* its save is waited for and checks nothing */
        if (rc)
            goto out;
        unread = false;
    }
    if (gw->cfg->handoff_enabled && handoff_is_requested(r)) {
        /* written with the save, below: by the save's own statement when it is queued, else
         * in the turn's unit (a turn run again, -EAGAIN, writes it once either way) */
        changes = true;
        s->handoff_none = false; /* pending from now on */
        rc = handoff_request(gw, s, state, r, now_s, &change);
        if (rc)
            goto out;
    }
    if (page_queued) { /* the citizen's page of it, kept with the turn */
        rc = share_attach(gw, s->id, channel, state, r, now_s, &page);
        if (rc)
            goto out;
    } else if (json_object_get(r, "checklist")) {
        if (!unit && store_unit_begin(gw->store)) {
            rc = -EIO;
            goto out;
        }
        unit = true;
        rc = share_attach(gw, s->id, channel, state, r, now_s, NULL);
        if (rc)
            goto out;
    }
answered:
    if (json_object_set_new(r, "understanding", u ? understanding_json(u) : json_null())) {
        rc = -ENOMEM;
        goto out;
    }
    gw->metrics.understand_us_sum += (uint64_t)(mc_mono_us() - t0);
    gw->metrics.understand_count++;

    state_text = mc_json_dump(state); /* once each: the state for the store, */
    reply_text = mc_json_dump(r);     /* the reply for the record and the frame */
    if (!state_text || !reply_text || mc_mask_pii(input, strlen(input), &masked)) {
        rc = -ENOMEM;
        goto out;
    }
    memset(t, 0, sizeof(t));
    t[0].role = "user";
    t[0].text = masked.data ? masked.data : "";
    t[0].label = u ? u->label : NULL;
    t[0].confidence = u ? u->confidence : 0;
    t[0].decision = u ? intent_decision_name(u->decision) : NULL;
    t[0].procedure = json_string_value(json_object_get(r, "procedure"));
    t[0].latency_us = mc_mono_us() - t0;
    t[0].msg_id = msg_id;
    t[0].unless_handoff = gw->cfg->handoff_enabled; /* a person's conversation is not the bot's */
    t[1] = t[0];
    t[1].role = "bot";
    t[1].text = reply_text; /* with msg_id: the resend key */
    old_state = s->state;
    old_seen = s->last_seen;
    s->state = state_text;
    ts = mc_mono_us();
    rc = -ENOTSUP;
    if (voted && !unit && (save || s->row_locked)) { /* the vote written only if the save hits */
        s->last_seen = now_s;
        rc = store_turn_queue_feedback(gw->store, s, t, 2, &vote, save);
    } else if (s->row_locked && !unit && !changes) /* a webhook's: its row held, cannot miss */
        rc = session_queue_turn_locked(gw->store, s, t, 2);
    else if (save && !unit && changes) { /* the change written only if the save hits */
        s->last_seen = now_s;
        rc = store_turn_queue_handoff(gw->store, s, t, 2, &change, now_s, save);
    } else if (save && !unit && page.token[0]) { /* the page written only if the save hits */
        s->last_seen = now_s;
        rc = store_turn_queue_share(gw->store, s, t, 2, &page, save);
    } else if (save && !unit) { /* a unit of its own would need undoing on a miss: waited for */
        rc = session_queue_turn(gw->store, s, t, 2, save); /* no answer read: no round trip */
    }
    if (rc == -ENOTSUP && unread && (rc = handoff_confirm_bot(gw, s)) == 0)
        rc = -ENOTSUP; /* not queued after all: the state read first */
    /* not queued: the change, the page or the vote, then the save waited for, in one unit */
    if (rc == -ENOTSUP && (changes || page.token[0] || voted) && !unit &&
        store_unit_begin(gw->store) == 0)
        unit = true;
    if (rc == -ENOTSUP && voted)
        rc = unit && store_feedback_put(gw->store, s->id, &vote.a, s->channel, vote.vote, NULL,
                                        vote.ts) == 0
                 ? -ENOTSUP
                 : -EIO;
    if (rc == -ENOTSUP && changes)
        rc = unit && handoff_change_write(gw, &change, now_s) == 0 ? -ENOTSUP : -EIO;
    if (rc == -ENOTSUP && page.token[0])
        rc = unit && store_share_plan_write(gw->store, &page) == 0 ? -ENOTSUP : -EIO;
    if (rc == -ENOTSUP)
        rc = session_save_turn(gw->store, s, t, 2); /* one unit: state, both records */
    state_spent(gw, ts);
    if (rc) {
        s->state = old_state;
        s->last_seen = old_seen;
        resent = rc == -EALREADY; /* the turn's unit is undone below, then answered */
        rc = rc == -EAGAIN || resent ? rc : -EIO;
        goto out;
    }
    state_text = old_state; /* freed below */
    mc_log(MC_LOG_INFO, "turn", "channel=%s label=%s decision=%s latency_us=%lld", channel,
           u ? u->label : "-", u ? intent_decision_name(u->decision) : "postback",
           (long long)t[0].latency_us);
    if (text_out) {
        *text_out = reply_text;
        reply_text = NULL;
    } else {
        *reply = r;
        r = NULL;
    }
out:
    ts = mc_mono_us();
    if (unit && store_unit_end(gw->store, rc == 0) && !rc)
        rc = -EIO;
    state_spent(gw, ts);
    if (rc && rc != -EINVAL && rc != -EAGAIN && !resent)
        mc_err_set(err, "internal error %d", rc);
    if (rc && changed)
        session_drop_doc(s); /* holds a turn that was not saved: parse s->state again */
    if (resent) {            /* a resend after a reconnect: the same answer, no second turn */
        rc = from_record(gw, s, msg_id, reply, text_out);
        if (rc)
            mc_err_set(err, "resend: answer not found (%d)", rc);
        rc = rc ? -EIO : 0;
    }
    json_decref(r);
    free(u);
    free(reply_text);
    free(state_text);
    mc_buf_fini(&masked);
    store_share_plan_fini(&page);
    return rc;
}

/* Runs the turn; when another worker process saved a turn of the same
 * session since s was read (-EAGAIN from the store's compare-and-swap),
 * reads s back and runs it again, so the two never interleave and a resend
 * the other worker answered is found (the save's resend key) instead of run. */
static int turn_with_retry(struct gw *gw, struct session *s, const char *text, const char *payload,
                           const char *msg_id, json_t **reply, char **text_out, uint64_t *save,
                           struct mc_err *err)
{
    struct session fresh;
    bool resumed = s->resumed;
    unsigned tries;
    int rc;

    /* a phrase taught on another worker counts once built here (teach_build.h): one query of
     * the store's revision, a rebuild off the loop. Not while LISTEN is in effect: the taught
     * revision's notification is delivered on its commit and starts the same rebuild (notify.c),
     * so the query would only repeat it (docs/scaling.md, "Cross-node events"). */
    if (text && !notify_is_listening(gw->notify)) {
        int64_t ts = mc_mono_us();

        teach_build_refresh(gw);
        state_spent(gw, ts);
    }
    rc = handle_turn(gw, s, text, payload, msg_id, reply, text_out, save, err);

    for (tries = 1; rc == -EAGAIN && tries < GW_TURN_TRIES; tries++) {
        int64_t ts = mc_mono_us();

        rc = s->user_key[0] ? store_session_by_user(gw->store, s->channel, s->user_key, &fresh)
                            : store_session_by_token(gw->store, s->token, &fresh);
        state_spent(gw, ts);
        if (rc)
            break;
        mc_log(MC_LOG_INFO, "turn.retry", "channel=%s reason=session_changed", s->channel);
        session_fini(s);
        *s = fresh; /* steals fresh.state */
        s->resumed = resumed;
        rc = handle_turn(gw, s, text, payload, msg_id, reply, text_out, save, err);
    }
    if (rc == -EAGAIN || rc == -ENOENT) {
        mc_err_set(err, "session: changed by another worker %u times", GW_TURN_TRIES);
        rc = -EIO;
    } else if (rc && rc != -EINVAL && !err->text[0]) {
        mc_err_set(err, "internal error %d", rc);
    }
    return rc;
}

/* The turn as /metrics sees it: server time from arrival to reply, whatever
 * the outcome (motcua_turn_seconds). */
int gw_handle_message(struct gw *gw, const char *channel, const char *session_token,
                      const char *user_key, const char *text, const char *payload,
                      const char *msg_id, json_t **reply, struct mc_err *err)
{
    int64_t t0 = mc_mono_us();
    struct session s = {0};
    int rc = load_session(gw, channel, session_token, user_key, &s);

    state_spent(gw, t0); /* the load is the store's alone */
    if (rc) {
        mc_err_set(err, rc == -ENOENT ? "session: unknown or expired, send hello again"
                                      : "session: state database failed");
        rc = rc == -ENOENT ? -EINVAL : -EIO;
    } else {
        rc = turn_with_retry(gw, &s, text, payload, msg_id, reply, NULL, NULL, err);
    }
    session_fini(&s);
    metrics_observe_turn(&gw->metrics, (uint64_t)(mc_mono_us() - t0));
    return rc;
}

int gw_handle_session(struct gw *gw, struct session *s, const char *text, const char *payload,
                      json_t **reply, struct mc_err *err)
{
    int64_t t0 = mc_mono_us();
    int rc = turn_with_retry(gw, s, text, payload, NULL, reply, NULL, NULL, err);

    metrics_observe_turn(&gw->metrics, (uint64_t)(mc_mono_us() - t0));
    return rc;
}

int gw_handle_turn(struct gw *gw, struct session *s, const char *text, const char *payload,
                   const char *msg_id, char **reply_text, uint64_t *save, struct mc_err *err)
{
    int64_t t0 = mc_mono_us();
    int rc;

    if (save)
        *save = 0;
    rc = turn_with_retry(gw, s, text, payload, msg_id, NULL, reply_text, save, err);

    metrics_observe_turn(&gw->metrics, (uint64_t)(mc_mono_us() - t0));
    return rc;
}
