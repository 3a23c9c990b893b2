/* gateway/router.c - gw_handle_message(): the one path every channel's
 * message takes (see gw.h). Personal data is masked before anything is
 * written to the turn log. */
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conv.h"
#include "gw.h"
#include "intent.h"
#include "mc_buf.h"
#include "mc_log.h"
#include "mc_mask.h"
#include "mc_utf8.h"
#include "session.h"

static int64_t now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

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

static int load_session(struct gw *gw, const char *channel, const char *token, const char *user_key,
                        struct session *s)
{
    if (token)
        return session_load_token(gw->state, token, s);
    if (user_key)
        return session_load_user(gw->state, channel, user_key, s);
    return session_create(gw->state, channel, s);
}

int gw_handle_message(struct gw *gw, const char *channel, const char *session_token,
                      const char *user_key, const char *text, const char *payload,
                      const char *msg_id, json_t **reply, struct mc_err *err)
{
    struct conv_ctx cx = {gw->kb, gw->cfg, gw->index};
    struct conv_turn turn;
    struct intent_result *u = NULL;
    struct session s = {0};
    json_t *state = NULL, *r = NULL;
    struct session_turn t;
    struct mc_buf masked;
    char *reply_text = NULL, *state_text = NULL;
    const char *input = text ? text : payload;
    int64_t t0 = now_us();
    int rc;

    mc_buf_init(&masked, INTENT_MAX_INPUT * 2);
    if (!input || !mc_utf8_is_valid(input, strlen(input))) {
        mc_err_set(err, "text: not valid UTF-8");
        return -EINVAL;
    }
    rc = load_session(gw, channel, session_token, user_key, &s);
    if (rc) {
        mc_err_set(err, rc == -ENOENT ? "session: unknown or expired, send hello again"
                                      : "session: state database failed");
        return rc == -ENOENT ? -EINVAL : -EIO;
    }
    if (msg_id) {
        char *again = session_find_reply(gw->state, &s, msg_id);

        if (again) { /* a resend after a reconnect: same answer, no second turn */
            *reply = json_loads(again, 0, NULL);
            free(again);
            rc = *reply ? 0 : -EIO;
            goto out;
        }
    }
    session_apply_idle(&s, (int64_t)time(NULL), gw->cfg->session_idle_timeout);
    state = json_loads(s.state, 0, NULL);
    if (!json_is_object(state)) {
        json_decref(state);
        state = json_object(); /* a damaged state starts a fresh conversation */
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
        gw->metrics.decisions[u->decision]++;
    }
    turn.u = u;
    turn.text = text;
    turn.payload = text ? NULL : payload;
    rc = conv_handle(&cx, state, &turn, &r);
    if (rc)
        goto out;
    if (json_object_set_new(r, "understanding", u ? understanding_json(u) : json_null())) {
        rc = -ENOMEM;
        goto out;
    }
    gw->metrics.understand_us_sum += (uint64_t)(now_us() - t0);
    gw->metrics.understand_count++;

    state_text = json_dumps(state, JSON_COMPACT);
    reply_text = json_dumps(r, JSON_COMPACT);
    if (!state_text || !reply_text || mc_mask_pii(input, strlen(input), &masked)) {
        rc = -ENOMEM;
        goto out;
    }
    free(s.state);
    s.state = state_text;
    state_text = NULL;
    memset(&t, 0, sizeof(t));
    t.role = "user";
    t.text = masked.data ? masked.data : "";
    t.label = u ? u->label : NULL;
    t.confidence = u ? u->confidence : 0;
    t.decision = u ? intent_decision_name(u->decision) : NULL;
    t.procedure = json_string_value(json_object_get(r, "procedure"));
    t.latency_us = now_us() - t0;
    t.msg_id = msg_id;
    if (session_save(gw->state, &s) || session_log_turn(gw->state, &s, &t)) {
        rc = -EIO;
        goto out;
    }
    t.role = "bot";
    t.text = reply_text;
    if (session_log_turn(gw->state, &s, &t)) {
        rc = -EIO;
        goto out;
    }
    mc_log(MC_LOG_INFO, "turn", "channel=%s label=%s decision=%s latency_us=%lld", channel,
           u ? u->label : "-", u ? intent_decision_name(u->decision) : "postback",
           (long long)t.latency_us);
    *reply = r;
    r = NULL;
out:
    if (rc && rc != -EINVAL)
        mc_err_set(err, "internal error %d", rc);
    json_decref(r);
    json_decref(state);
    free(u);
    free(reply_text);
    free(state_text);
    mc_buf_fini(&masked);
    session_fini(&s);
    return rc;
}
