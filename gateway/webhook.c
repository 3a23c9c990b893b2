/* gateway/webhook.c - see webhook.h. */
#include "mc_time.h"
#include "webhook.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "chan.h"
#include "gw.h"
#include "mc_log.h"
#include "messenger.h"
#include "outbox.h"
#include "privacy.h"
#include "store.h"
#include "zalo.h"

#define WEBHOOK_CHALLENGE_MAX 64 /* bytes; Meta sends an integer */

static const char *const text_only =
    "Xin lỗi, hiện tôi chỉ đọc được tin nhắn chữ. Bạn hãy gõ câu hỏi, ví dụ: \"làm giấy khai "
    "sinh cần gì\".";
static const char *const too_long =
    "Tin nhắn dài quá, bạn viết ngắn lại giúp tôi nhé (dưới 2.000 ký tự).";
static const char *const trouble =
    "Xin lỗi, tôi chưa đọc được tin nhắn này. Bạn gửi lại giúp tôi nhé.";

static void set(struct webhook_result *out, unsigned status, const char *ctype, const char *body)
{
    out->status = status;
    out->ctype = ctype;
    snprintf(out->body, sizeof(out->body), "%s", body);
}

static void set_error(struct webhook_result *out, unsigned status, const char *code,
                      const char *message)
{
    out->status = status;
    out->ctype = "application/json";
    snprintf(out->body, sizeof(out->body), "{\"error\":\"%s\",\"message\":\"%s\"}", code, message);
}

static bool same_secret(const char *a, const char *b)
{
    size_t n = strlen(a);

    return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

void webhook_messenger_verify(struct gw *gw, const char *mode, const char *token,
                              const char *challenge, struct webhook_result *out)
{
    size_t i;

    if (!cfg_messenger_enabled(gw->cfg)) {
        set_error(out, 404, "channel_disabled", "This channel is not enabled.");
        return;
    }
    if (!mode || !token || !challenge || strcmp(mode, "subscribe") != 0 ||
        !same_secret(token, gw->cfg->messenger_verify_token)) {
        gw->metrics.errors[METRICS_ERR_SIGNATURE]++;
        set_error(out, 403, "forbidden", "Verification failed.");
        return;
    }
    for (i = 0; challenge[i]; i++)
        if (!isalnum((unsigned char)challenge[i]) || i >= WEBHOOK_CHALLENGE_MAX) {
            set_error(out, 400, "bad_challenge", "hub.challenge is not a short token.");
            return;
        }
    set(out, 200, "text/plain", challenge);
}

static const char forgotten[] =
    "Đã xoá toàn bộ dữ liệu trò chuyện của bạn với trợ lý. Bạn có thể hỏi lại bất cứ lúc nào.";

static json_t *fixed_reply(const char *text)
{
    return json_pack("{s:[{s:s}],s:[],s:n}", "messages", "text", text, "quick_replies",
                     "procedure");
}

/* The citizen picked one of the options of our last Zalo reply: by typing its
 * number ("1", "2"...) or by tapping its button, which sends the option's
 * title back as the citizen's own text. saved: the options offered (read
 * with the event, store_webhook_event()), or NULL. Returns the payload
 * (new) or NULL. */
static char *picked_option(const char *saved, const char *text)
{
    json_t *opts, *o;
    char *payload = NULL, *end;
    unsigned long k = 0;
    size_t i;

    if (!saved || !text[0] || strlen(text) > 100)
        return NULL;
    if (strlen(text) <= 2 && strspn(text, "0123456789") == strlen(text))
        k = strtoul(text, &end, 10);
    opts = json_loads(saved, 0, NULL);
    json_array_foreach(opts, i, o)
    {
        const char *t = json_string_value(json_object_get(o, "title"));
        const char *p = json_string_value(json_object_get(o, "payload"));

        if (p && ((k && i + 1 == k) || (t && strcmp(t, text) == 0))) {
            payload = strdup(p);
            break;
        }
    }
    json_decref(opts);
    return payload;
}

static int save_options(struct store *st, const char *user, json_t *opts)
{
    char *text = json_dumps(opts, JSON_COMPACT);
    int rc = text ? store_webhook_options_put(st, "zalo", user, text) : -ENOMEM;

    free(text);
    return rc;
}

/* Runs the turn on the citizen's session as read with the event (rd),
 * created if it had none. */
static int turn(struct gw *gw, const char *channel, const struct chan_event *e,
                struct store_webhook_read *rd, const char *typed, const char *payload,
                json_t **reply, struct mc_err *err)
{
    if (!rd->found) {
        if (session_create_user(gw->store, channel, e->user, &rd->session)) {
            mc_err_set(err, "session: state database failed");
            return -EIO;
        }
        rd->found = true;
        snprintf(rd->handoff, sizeof(rd->handoff), "bot"); /* a new session: nobody has it */
    }
    /* "pending" or "officer": the bot does not answer (handoff.h), which the
     * turn sees for itself; otherwise it need not read the state again */
    rd->session.handoff_idle =
        strcmp(rd->handoff, "pending") != 0 && strcmp(rd->handoff, "officer") != 0;
    /* read FOR UPDATE with the event, or created, in this batch: its save is
     * queued, not waited for (store_turn_queue_locked()) */
    rd->session.row_locked = true;
    return gw_handle_session(gw, &rd->session, typed, payload, reply, err);
}

/* Understands one event and queues the rendered reply. */
static int handle_event(struct gw *gw, const char *channel, const struct chan_event *e,
                        struct store_webhook_read *rd)
{
    struct store *st = gw->store;
    struct mc_err err = {{0}};
    json_t *reply = NULL, *bodies = NULL, *opts = NULL, *b;
    char *picked = NULL, *text;
    size_t i;
    int rc = 0;

    gw->metrics.msg_in[strcmp(channel, "zalo") == 0 ? METRICS_ZALO : METRICS_MESSENGER]++;
    if (e->kind == CHAN_EV_UNFOLLOW)
        return 0;
    if (e->kind == CHAN_EV_UNSUPPORTED)
        reply = fixed_reply(text_only);
    else if (e->too_long)
        reply = fixed_reply(too_long);
    else {
        const char *payload = NULL, *typed = NULL;

        if (e->kind == CHAN_EV_FOLLOW)
            payload = "meta:chao-hoi";
        else if (e->kind == CHAN_EV_POSTBACK)
            payload = e->text;
        else if (strcmp(channel, "zalo") == 0 && (picked = picked_option(rd->options, e->text)))
            payload = picked;
        else
            typed = e->text;
        if (typed && !typed[0]) {
            reply = fixed_reply(text_only);
        } else if (typed && privacy_is_forget_words(typed)) {
            rc = privacy_forget_user(gw, channel, e->user); /* then the confirmation is queued */
            reply = rc ? NULL : fixed_reply(forgotten);
        } else {
            rc = turn(gw, channel, e, rd, typed, payload, &reply, &err);
            if (rc == -EINVAL) {
                reply = fixed_reply(trouble);
                rc = 0;
            }
        }
    }
    free(picked);
    if (rc || !reply)
        return rc ? rc : -ENOMEM;
    if (strcmp(channel, "zalo") == 0)
        bodies = chan_zalo_render(reply, e->user, &opts);
    else
        bodies = chan_messenger_render(reply, e->user);
    json_decref(reply);
    if (!bodies) {
        json_decref(opts);
        return -ENOMEM;
    }
    /* after the turn's save, which was waited for: queued, they go with the
     * COMMIT, and the platform hears 200 only once it landed */
    json_array_foreach(bodies, i, b)
    {
        text = json_dumps(b, JSON_COMPACT);
        if (!text || outbox_enqueue_queued(gw->outbox, channel, e->user, text)) {
            free(text);
            rc = -EIO;
            break;
        }
        free(text);
    }
    if (!rc && opts && json_array_size(opts))
        rc = save_options(st, e->user, opts);
    json_decref(opts);
    json_decref(bodies);
    return rc;
}

struct walk {
    struct gw *gw;
    const char *channel;
};

/* One event of a delivery: de-duplicated, understood, its replies queued. */
static int one_event(void *ctx, const struct chan_event *e)
{
    struct walk *w = ctx;
    struct store_webhook_read rd;
    /* Zalo's typed text may pick a numbered option: the options are read with the key */
    bool options = strcmp(w->channel, "zalo") == 0 && e->kind == CHAN_EV_TEXT && !e->too_long;
    int64_t t0 = mc_mono_us();
    int rc = store_webhook_event(w->gw->store, w->channel, e->event_id, e->user, options,
                                 (int64_t)time(NULL), &rd);

    /* the session's read is the turn's time in the store, as router.c counts a load */
    w->gw->metrics.state_turn_us_sum += (uint64_t)(mc_mono_us() - t0);
    w->gw->metrics.webhook_events++;
    if (rc == 0)
        mc_log(MC_LOG_INFO, "webhook.duplicate", "channel=%s", w->channel);
    else if (rc > 0)
        rc = handle_event(w->gw, w->channel, e, &rd);
    store_webhook_read_fini(&rd);
    return rc;
}

void webhook_failed(struct webhook_result *out)
{
    out->commit = false;
    set_error(out, 500, "internal", "Could not queue the reply; deliver again.");
}

void webhook_commit_done(struct gw *gw, int rc)
{
    if (rc) {
        gw->metrics.errors[METRICS_ERR_INTERNAL]++;
        mc_log(MC_LOG_ERROR, "webhook.failed", "rc=%d", rc);
        return;
    }
    gw_pump_outbox(gw); /* the replies are committed: they may go now */
}

/* All events of one delivery in one unit of the store's batch: either every
 * reply is queued and every event marked seen, or nothing is and the
 * platform's redelivery gets a clean second chance. The batch is committed
 * before the platform hears 200, so an acknowledged event is never lost to
 * a crash: out->commit asks the caller to answer through http_hold_commit()
 * (SQLite: committed at once; PostgreSQL: held until the loop's group
 * commit lands), and the outbox is pumped once it did.
 * A Messenger body (one != NULL: a Zalo event) is walked event by event,
 * however many it holds: Meta batches up to 1000. */
static void handle_all(struct gw *gw, const char *channel, const char *body, size_t len,
                       const struct chan_event *one, struct webhook_result *out)
{
    struct walk w = {gw, channel};
    struct store_stats before, after;
    int rc;

    store_get_stats(gw->store, &before);
    if (store_unit_begin(gw->store)) {
        set_error(out, 503, "busy", "Try again.");
        return;
    }
    rc = one ? one_event(&w, one) : chan_messenger_each(body, len, one_event, &w);
    if (store_unit_end(gw->store, rc == 0) && !rc)
        rc = -EIO;
    store_get_stats(gw->store, &after); /* what the events waited for (/metrics) */
    gw->metrics.webhook_round_trips += after.round_trips - before.round_trips;
    if (rc == -EINVAL && !one) {
        set_error(out, 400, "bad_event", "Not a Messenger page event.");
        return;
    }
    if (rc) {
        webhook_commit_done(gw, rc);
        webhook_failed(out);
        return;
    }
    set(out, 200, "text/plain", "EVENT_RECEIVED");
    out->commit = true; /* the 200 once committed: http_hold_commit() */
}

void webhook_messenger_post(struct gw *gw, const char *body, size_t len, const char *signature,
                            struct webhook_result *out)
{
    if (!cfg_messenger_enabled(gw->cfg)) {
        set_error(out, 404, "channel_disabled", "This channel is not enabled.");
        return;
    }
    if (!chan_messenger_signature_ok(gw->cfg->messenger_app_secret, body, len, signature)) {
        gw->metrics.errors[METRICS_ERR_SIGNATURE]++;
        mc_log(MC_LOG_WARN, "webhook.signature", "channel=messenger present=%d",
               signature && signature[0]);
        set_error(out, 403, "bad_signature", "X-Hub-Signature-256 is missing or wrong.");
        return;
    }
    handle_all(gw, "messenger", body, len, NULL, out);
}

void webhook_zalo_post(struct gw *gw, const char *body, size_t len, const char *signature,
                       struct webhook_result *out)
{
    struct chan_event ev;
    size_t n = 0;

    if (!cfg_zalo_enabled(gw->cfg)) {
        set_error(out, 404, "channel_disabled", "This channel is not enabled.");
        return;
    }
    if (!chan_zalo_signature_ok(gw->cfg->zalo_app_id, gw->cfg->zalo_oa_secret, body, len,
                                signature)) {
        gw->metrics.errors[METRICS_ERR_SIGNATURE]++;
        mc_log(MC_LOG_WARN, "webhook.signature", "channel=zalo present=%d",
               signature && signature[0]);
        set_error(out, 403, "bad_signature", "X-ZEvent-Signature is missing or wrong.");
        return;
    }
    if (chan_zalo_parse(body, len, &ev, &n)) {
        set_error(out, 400, "bad_event", "Not a Zalo event.");
        return;
    }
    if (n == 0) { /* an echo or receipt: nothing to answer */
        set(out, 200, "text/plain", "EVENT_RECEIVED");
        return;
    }
    handle_all(gw, "zalo", NULL, 0, &ev, out);
}
