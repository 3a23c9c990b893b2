/* gateway/officer/officer_reply.c - see officer_reply.h. */
#include "officer_reply.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gw.h"
#include "handoff.h"
#include "kb.h"
#include "mc_buf.h"
#include "mc_log.h"
#include "mc_utf8.h"
#include "messenger.h"
#include "officer_assist.h"
#include "officer_http.h"
#include "outbox.h"
#include "zalo.h"

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int fail(struct officer_reply_result *res, unsigned status, const char *code,
                const char *message)
{
    res->status = status;
    res->code = code;
    res->message = message;
    return -1;
}

static int fail_db(struct officer_reply_result *res)
{
    return fail(res, 503, "internal", "The state database failed.");
}

static bool is_platform(const struct store_handoff *h)
{
    return strcmp(h->channel, "messenger") == 0 || strcmp(h->channel, "zalo") == 0;
}

/* Renders text for h's Messenger/Zalo citizen and queues every body in the
 * outbox (joining the open unit). Returns 0, -ETIME (past the platform's
 * window: nothing queued), -ENOMEM or -EIO. */
static int queue_platform(struct gw *gw, const struct store_handoff *h, const char *text,
                          int64_t now)
{
    json_t *bodies = NULL, *b;
    long long age = h->last_citizen_ms > 0 ? (long long)(now - h->last_citizen_ms) : 0;
    char *s;
    size_t i;
    int rc;

    if (h->last_citizen_ms <= 0) /* never seen: no window is known to be open */
        age = CHAN_MESSENGER_HUMAN_AGENT_MS + 1;
    if (age < 0)
        age = 0;
    if (strcmp(h->channel, "messenger") == 0)
        rc = chan_messenger_officer_render(text, h->user_key, age, &bodies);
    else
        rc = chan_zalo_officer_render(text, h->user_key, age, &bodies);
    if (rc)
        return rc == -ETIME ? -ETIME : rc == -ENOMEM ? -ENOMEM : -EIO;
    json_array_foreach(bodies, i, b)
    {
        s = json_dumps(b, JSON_COMPACT);
        rc = s ? outbox_enqueue(gw->outbox, h->channel, h->user_key, s) : -ENOMEM;
        free(s);
        if (rc)
            break;
    }
    json_decref(bodies);
    return rc;
}

/* Tells h's Messenger/Zalo citizen that the conversation is now state
 * (handoff.h's notice, the one text of every channel): queued in the open
 * unit. Past the platform's window nothing is queued (-ETIME): the change
 * itself still happens. Returns 0, -ETIME, -ENOMEM or -EIO. */
static int queue_notice(struct gw *gw, const struct store_handoff *h, const char *state,
                        const char *officer_name, int64_t now)
{
    struct mc_buf b;
    int rc;

    if (!is_platform(h))
        return 0;
    mc_buf_init(&b, HANDOFF_TEXT_MAX);
    rc = handoff_notice_text(state, officer_name, &b);
    if (!rc)
        rc = queue_platform(gw, h, b.data ? b.data : "", now);
    else
        rc = rc == -ENOMEM ? -ENOMEM : -EIO;
    mc_buf_fini(&b);
    return rc;
}

static void conv_id(const struct store_handoff *h, char out[24])
{
    snprintf(out, 24, "%lld", (long long)h->session_id);
}

/* {"conversation": …} of session_id as stored now (the open batch's own
 * writes included: the answer is sent once they are committed). */
static int answer_conversation(struct gw *gw, int64_t session_id, struct officer_reply_result *res)
{
    struct store_handoff now;
    json_t *c;

    if (store_handoff_get(gw->store, session_id, &now))
        return fail_db(res);
    c = officer_http_conversation_json(gw, &now);
    res->body = c ? json_pack("{s:o}", "conversation", c) : NULL;
    return res->body ? 0 : fail(res, 503, "internal", "Out of memory.");
}

int officer_reply_claim(struct gw *gw, const struct store_officer *o, const struct store_handoff *h,
                        const char *ip, struct officer_reply_result *res)
{
    int64_t now = now_ms();
    char id[24];
    int rc, qrc = 0;

    conv_id(h, id);
    if (store_unit_begin(gw->store))
        return fail_db(res);
    rc = store_handoff_claim(gw->store, h->session_id, o->username, now / 1000);
    if (!rc)
        rc = store_audit_add(gw->store, now / 1000, o->username, "claim", id, ip, NULL);
    /* a second claim by the holder changes nothing: the citizen was told */
    if (!rc && strcmp(h->state, "pending") == 0) {
        qrc = queue_notice(gw, h, "officer", o->name, now);
        rc = qrc == -ETIME ? 0 : qrc;
    }
    if (store_unit_end(gw->store, rc == 0) && !rc)
        rc = -EIO;
    if (rc == -EBUSY)
        return fail(res, 409, "claimed", "Cán bộ khác đã nhận cuộc trò chuyện này.");
    if (rc == -ENOENT)
        return fail(res, 409, "not_pending", "Cuộc trò chuyện không còn chờ cán bộ.");
    if (rc)
        return fail_db(res);
    res->pump = is_platform(h) && !qrc;
    mc_log(MC_LOG_INFO, "officer.claim", "user=%s conversation=%s", o->username, id);
    return answer_conversation(gw, h->session_id, res);
}

/* Whom to act as on h: o when o holds it, its holder when o is an admin;
 * NULL (res filled) when o may not act. */
static const char *holder_for(const struct store_officer *o, const struct store_handoff *h,
                              struct officer_reply_result *res)
{
    if (strcmp(h->state, "officer") != 0) {
        fail(res, 409, "not_held", "Cuộc trò chuyện chưa có cán bộ nhận (hãy nhận trước).");
        return NULL;
    }
    if (strcmp(h->officer, o->username) == 0 || strcmp(o->role, "admin") == 0)
        return h->officer;
    fail(res, 409, "not_holder", "Cuộc trò chuyện này do cán bộ khác phụ trách.");
    return NULL;
}

int officer_reply_end(struct gw *gw, const struct store_officer *o, const struct store_handoff *h,
                      const char *action, const char *ip, struct officer_reply_result *res)
{
    bool close = strcmp(action, "close") == 0;
    const char *holder = holder_for(o, h, res);
    int64_t now = now_ms();
    char id[24];
    int rc, qrc = 0;

    if (!holder)
        return -1;
    conv_id(h, id);
    if (store_unit_begin(gw->store))
        return fail_db(res);
    rc = store_handoff_end(gw->store, h->session_id, holder, close ? "closed" : "bot", now / 1000);
    if (!rc)
        rc = store_audit_add(gw->store, now / 1000, o->username, action, id, ip, NULL);
    if (!rc) {
        /* the citizen is told; past the window the conversation still ends */
        qrc = queue_notice(gw, h, close ? "closed" : "bot", NULL, now);
        rc = qrc == -ETIME ? 0 : qrc;
    }
    if (store_unit_end(gw->store, rc == 0) && !rc)
        rc = -EIO;
    if (rc == -EPERM)
        return fail(res, 409, "not_holder", "Cuộc trò chuyện này do cán bộ khác phụ trách.");
    if (rc == -ENOENT)
        return fail(res, 409, "not_held", "Cuộc trò chuyện chưa có cán bộ nhận.");
    if (rc)
        return fail_db(res);
    if (qrc == -ETIME)
        mc_log(MC_LOG_WARN, "officer.notice_skipped", "conversation=%s channel=%s reason=window",
               id, h->channel);
    else
        res->pump = is_platform(h);
    mc_log(MC_LOG_INFO, close ? "officer.close" : "officer.release", "user=%s conversation=%s",
           o->username, id);
    return answer_conversation(gw, h->session_id, res);
}

/* The text to send: {"text"} as given, or {"share":…} from the assistant
 * into out. Returns 0 with *text (borrowed from req or out) and the audit
 * detail, or -1 with res filled. */
static int message_text(struct gw *gw, json_t *req, struct mc_buf *out, const char **text,
                        char *detail, size_t detail_cap, struct officer_reply_result *res)
{
    json_t *jt = json_object_get(req, "text"), *js = json_object_get(req, "share");
    const char *proc, *part;
    size_t n;
    int rc;

    if (!jt == !js)
        return fail(res, 400, "bad_json",
                    "The body must be {\"text\": \"...\"} or {\"share\": {\"procedure\", "
                    "\"part\"}}.");
    if (jt) {
        if (!json_is_string(jt))
            return fail(res, 400, "bad_field", "\"text\" must be a string.");
        n = json_string_length(jt);
        *text = json_string_value(jt);
        if (memchr(*text, '\0', n))
            return fail(res, 400, "bad_text", "\"text\" must not contain NUL characters.");
        if (n == 0 || strspn(*text, " \t\r\n") == n)
            return fail(res, 400, "empty", "Tin nhắn trống.");
        if (n > STORE_HANDOFF_TEXT_MAX)
            return fail(res, 413, "too_long", "Tin nhắn quá dài (tối đa 2048 byte).");
        detail[0] = '\0';
        return 0;
    }
    proc = json_string_value(json_object_get(js, "procedure"));
    part = json_string_value(json_object_get(js, "part"));
    if (!json_is_object(js) || !proc || !part)
        return fail(res, 400, "bad_json",
                    "\"share\" must be {\"procedure\": \"<id>\", \"part\": "
                    "\"card\"|\"checklist\"|\"steps\"}.");
    if (!gw->kb)
        return fail(res, 503, "not_ready", "The knowledge base is not loaded.");
    rc = officer_assist_share_text(gw->kb, proc, part, out);
    if (rc == -ENOENT)
        return fail(res, 404, "unknown_procedure", "Không có thủ tục này.");
    if (rc == -EINVAL)
        return fail(res, 400, "bad_part", "\"part\" must be \"card\", \"checklist\" or \"steps\".");
    if (rc || !out->data || !out->len)
        return fail(res, 503, "internal", "The guide text could not be made.");
    *text = out->data;
    if (snprintf(detail, detail_cap, "%.64s/%.16s", proc, part) < 0)
        detail[0] = '\0';
    return 0;
}

int officer_reply_message(struct gw *gw, const struct store_officer *o,
                          const struct store_handoff *h, const char *body, size_t len,
                          bool json_body, const char *ip, struct officer_reply_result *res)
{
    const char *holder = holder_for(o, h, res), *text = NULL;
    json_error_t jerr;
    json_t *req = NULL, *m;
    struct mc_buf share;
    char id[24], detail[96];
    int64_t now = now_ms(), mid = 0;
    int rc = -1;

    mc_buf_init(&share, OFFICER_ASSIST_SHARE_MAX);
    if (!holder)
        goto out;
    if (!json_body) {
        fail(res, 415, "content_type", "Send the body as Content-Type: application/json.");
        goto out;
    }
    if (!mc_utf8_is_valid(body, len)) {
        fail(res, 400, "invalid_utf8", "The body is not valid UTF-8.");
        goto out;
    }
    req = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(req)) {
        fail(res, 400, "bad_json", "The body must be a JSON object.");
        goto out;
    }
    if (message_text(gw, req, &share, &text, detail, sizeof(detail), res))
        goto out;
    conv_id(h, id);
    if (store_unit_begin(gw->store)) {
        fail_db(res);
        goto out;
    }
    rc = is_platform(h) ? queue_platform(gw, h, text, now) : 0;
    if (!rc)
        rc = store_handoff_message_add(gw->store, h->session_id, "officer", o->username, text, now,
                                       &mid);
    if (!rc)
        rc = store_audit_add(gw->store, now / 1000, o->username, detail[0] ? "share" : "message",
                             id, ip, detail[0] ? detail : NULL);
    if (store_unit_end(gw->store, rc == 0) && !rc)
        rc = -EIO;
    if (rc == -ETIME) {
        fail(res, 409, "window_closed",
             "Đã quá 7 ngày kể từ tin nhắn cuối của người dân: nền tảng không cho gửi thêm tin. "
             "Hãy đóng cuộc trò chuyện.");
        goto out;
    }
    if (rc) {
        rc = -1;
        fail_db(res);
        goto out;
    }
    res->pump = is_platform(h);
    mc_log(MC_LOG_INFO, "officer.message", "user=%s conversation=%s kind=%s", o->username, id,
           detail[0] ? "share" : "text");
    m = json_pack("{s:I,s:s,s:s,s:I,s:s}", "id", (json_int_t)mid, "from", "officer", "text", text,
                  "ts", (json_int_t)now, "officer", o->username);
    res->body = m ? json_pack("{s:o}", "message", m) : NULL;
    rc = res->body ? 0 : fail(res, 503, "internal", "Out of memory.");
out:
    json_decref(req);
    mc_buf_fini(&share);
    return rc ? -1 : 0;
}

/* ---- transcript -------------------------------------------------------- */

struct entry {
    int64_t ts;   /* ms */
    size_t seq;   /* order of reading: ties keep it */
    json_t *item; /* owned until moved into the array */
};

struct collect {
    struct entry *e;
    size_t n, cap;
    int rc;
};

static int push(struct collect *c, int64_t ts, json_t *item)
{
    struct entry *ne;

    if (!item) {
        c->rc = -ENOMEM;
        return 1;
    }
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;

        ne = realloc(c->e, cap * sizeof(*ne));
        if (!ne) {
            json_decref(item);
            c->rc = -ENOMEM;
            return 1;
        }
        c->e = ne;
        c->cap = cap;
    }
    c->e[c->n].ts = ts;
    c->e[c->n].seq = c->n;
    c->e[c->n].item = item;
    c->n++;
    return 0;
}

/* A bot turn stores the reply JSON: the officer reads its messages' text. */
static json_t *bot_text(const char *reply)
{
    json_t *j = json_loads(reply, 0, NULL), *m;
    struct mc_buf b;
    json_t *s = NULL;
    size_t i;

    mc_buf_init(&b, 64 * 1024);
    json_array_foreach(json_object_get(j, "messages"), i, m)
    {
        const char *t = json_string_value(json_object_get(m, "text"));

        if (t && ((b.len && mc_buf_puts(&b, "\n")) || mc_buf_puts(&b, t)))
            break;
    }
    s = json_string(b.data ? b.data : "");
    mc_buf_fini(&b);
    json_decref(j);
    return s;
}

static int on_turn(void *ctx, const char *role, const char *text, int64_t ts, const char *msg_id)
{
    bool bot = strcmp(role, "bot") == 0;
    json_t *t = bot ? bot_text(text) : json_string(text);

    (void)msg_id;
    return push(ctx, ts * 1000,
                t ? json_pack("{s:s,s:o,s:I}", "from", bot ? "bot" : "citizen", "text", t, "ts",
                              (json_int_t)ts * 1000)
                  : NULL);
}

static int on_message(void *ctx, int64_t id, const char *from, const char *officer,
                      const char *text, int64_t ts_ms)
{
    json_t *j = json_pack("{s:s,s:s,s:I}", "from", from, "text", text, "ts", (json_int_t)ts_ms);

    (void)id;
    if (j && officer[0] && json_object_set_new(j, "officer", json_string(officer))) {
        json_decref(j);
        j = NULL;
    }
    return push(ctx, ts_ms, j);
}

static int by_time(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;

    if (x->ts != y->ts)
        return x->ts < y->ts ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

json_t *officer_reply_transcript(struct gw *gw, int64_t session_id, unsigned last_n)
{
    struct collect c = {NULL, 0, 0, 0};
    json_t *arr = NULL;
    size_t i, from;

    if (store_history(gw->store, session_id, OFFICER_HTTP_HISTORY_MAX, on_turn, &c) ||
        store_handoff_messages(gw->store, session_id, 0, OFFICER_HTTP_HANDOFF_MSG_MAX, on_message,
                               &c) ||
        c.rc)
        goto out;
    qsort(c.e, c.n, sizeof(*c.e), by_time);
    arr = json_array();
    from = last_n && c.n > last_n ? c.n - last_n : 0;
    for (i = from; arr && i < c.n; i++) {
        if (json_array_append(arr, c.e[i].item)) {
            json_decref(arr);
            arr = NULL;
        }
    }
out:
    for (i = 0; i < c.n; i++)
        json_decref(c.e[i].item);
    free(c.e);
    return arr;
}
