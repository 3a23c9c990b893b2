/* gateway/handoff.c - see handoff.h. The texts a citizen reads about a
 * handoff are all here, so every channel says the same. */
#include "handoff.h"
#include "handoff_int.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "gw.h"
#include "kb.h"
#include "kb_hours.h"
#include "kb_local.h"
#include "mc_log.h"
#include "mc_mask.h"
#include "session.h"
#include "store.h"

#define HANDOFF_DAY_S 86400
#define HANDOFF_CANCEL_MAX 64 /* bytes; a cancel word is short, longer text never is one */

static const char *const weekday[8] = {"",        "thứ Hai", "thứ Ba",  "thứ Tư",
                                       "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật"};

/* Inputs that mean "back to the bot", compared after trimming, ASCII
 * lower-casing and dropping trailing punctuation. */
static const char *const cancel_words[] = {
    "hủy",
    "huỷ",
    "huy",
    "hủy bỏ",
    "huỷ bỏ",
    "huy bo",
    "quay lại trợ lý",
    "quay lai tro ly",
    "quay lại trợ lý tự động",
    "quay lai tro ly tu dong",
};

/* Day and month of a day count since 1970-01-01 (H. Hinnant's
 * civil_from_days, for days >= 0). */
static void day_month(int64_t z, unsigned *dd, unsigned *mm)
{
    int64_t doe, yoe, doy, mp;

    z += 719468;
    doe = z % 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *dd = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    *mm = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
}

int handoff_when_text(int64_t next_s, int64_t now_s, struct mc_buf *b)
{
    int64_t ln = next_s + KB_HOURS_TZ_OFFSET_S, lnow = now_s + KB_HOURS_TZ_OFFSET_S;
    int64_t dn = ln / HANDOFF_DAY_S, dnow = lnow / HANDOFF_DAY_S;
    unsigned hh = (unsigned)(ln % HANDOFF_DAY_S / 3600), mi = (unsigned)(ln % 3600 / 60);
    unsigned wd = (unsigned)((dn + 3) % 7) + 1, dd, mm;

    day_month(dn, &dd, &mm);
    if (dn == dnow)
        return mc_buf_printf(b, "%u:%02u hôm nay", hh, mi);
    if (dn == dnow + 1)
        return mc_buf_printf(b, "%u:%02u ngày mai (%s, %u/%u)", hh, mi, weekday[wd], dd, mm);
    return mc_buf_printf(b, "%u:%02u %s, %u/%u", hh, mi, weekday[wd], dd, mm);
}

bool handoff_is_cancel(const char *text, const char *payload)
{
    char w[HANDOFF_CANCEL_MAX];
    size_t n, i;

    if (payload)
        return strcmp(payload, HANDOFF_PAYLOAD_CANCEL) == 0;
    if (!text)
        return false;
    text += strspn(text, " \t\r\n");
    n = strlen(text);
    while (n && strchr(" \t\r\n.!?", text[n - 1]))
        n--;
    if (n == 0 || n >= sizeof(w))
        return false;
    for (i = 0; i < n; i++)
        w[i] = text[i] >= 'A' && text[i] <= 'Z' ? (char)(text[i] - 'A' + 'a') : text[i];
    w[n] = '\0';
    for (i = 0; i < sizeof(cancel_words) / sizeof(cancel_words[0]); i++)
        if (strcmp(w, cancel_words[i]) == 0)
            return true;
    return false;
}

bool handoff_is_delivered(const char *reply_text)
{
    return reply_text && strcmp(reply_text, HANDOFF_DELIVERED_JSON) == 0;
}

static bool is_live(const struct store_handoff *h)
{
    return strcmp(h->state, "pending") == 0 || strcmp(h->state, "officer") == 0;
}

int handoff_confirm_bot(struct gw *gw, struct session *s)
{
    struct store_handoff h;

    if (store_handoff_get(gw->store, s->id, &h))
        return -EIO;
    s->handoff_none = !is_live(&h);
    return s->handoff_none ? 0 : -EAGAIN;
}

int handoff_route(struct gw *gw, struct session *s, const char *text, const char *payload,
                  const char *msg_id, int64_t now_ms, bool unread_ok, enum handoff_step *step)
{
    struct store_handoff h;
    struct mc_buf masked;
    int rc;

    *step = HANDOFF_BOT;
    if (payload && strcmp(payload, HANDOFF_PAYLOAD_CANCEL) == 0) {
        *step = HANDOFF_CANCEL; /* also when nothing is waiting: the bot says it is here */
        return 0;
    }
    if (unread_ok && s->handoff_none && store_turn_queues(gw->store)) {
        /* known with the bot: no SELECT on the loop; the queued save misses
         * if a handoff went live meanwhile, and the turn runs again from here
         * with the state read (ws_turn.c rerun(): a fresh session) */
        *step = HANDOFF_BOT_UNREAD;
        return 0;
    }
    rc = store_handoff_get(gw->store, s->id, &h);
    if (rc)
        return rc;
    s->handoff_none = !is_live(&h);
    if (s->handoff_none)
        return 0;
    if (handoff_is_cancel(text, payload)) {
        *step = HANDOFF_CANCEL;
        return 0;
    }
    if (msg_id) {
        /* the turn's save checks the resend key (store_turn_save), but a
         * message for the officer is no turn: checked here, before it is
         * delivered (one read, only while an officer has the conversation) */
        char *again = store_find_reply(gw->store, s->id, msg_id);

        if (again) {
            free(again);
            *step = HANDOFF_ANSWERED;
            return 0;
        }
    }
    *step = HANDOFF_DELIVERED;
    if (!text)
        return 0; /* a button's payload means nothing to an officer */
    mc_buf_init(&masked, STORE_HANDOFF_TEXT_MAX * 2);
    rc = mc_mask_pii(text, strlen(text), &masked); /* as the turn records are */
    if (!rc)
        rc = store_handoff_citizen_add(gw->store, s->id, masked.data ? masked.data : "", msg_id,
                                       now_ms, NULL);
    if (rc == -EEXIST)
        rc = 0; /* a resend after a reconnect: delivered again, stored once */
    mc_buf_fini(&masked);
    return rc == -ENOMEM || rc == 0 ? rc : -EIO;
}

int handoff_cancel(struct gw *gw, const struct session *s, const json_t *state, bool known_none,
                   json_t **reply, struct store_handoff *end)
{
    const json_t *proc = json_object_get(state, "procedure");
    const char *text;
    int rc;

    if (known_none) { /* no SELECT on the loop: the save checks it (handoff.h) */
        memset(end, 0, sizeof(*end));
        end->session_id = s->id;
        snprintf(end->state, sizeof(end->state), "bot");
    } else if ((rc = store_handoff_get(gw->store, s->id, end)) != 0) {
        return rc;
    }
    if (strcmp(end->state, "officer") == 0)
        text = "Bạn đã kết thúc trò chuyện với cán bộ. Trợ lý tự động tiếp tục hỗ trợ bạn: bạn "
               "cần hỏi thủ tục nào?";
    else if (strcmp(end->state, "pending") == 0)
        text = "Đã huỷ yêu cầu gặp cán bộ. Trợ lý tự động tiếp tục hỗ trợ bạn: bạn cần hỏi thủ "
               "tục nào?";
    else
        text = "Trợ lý tự động đang hỗ trợ bạn: bạn cần hỏi thủ tục nào?";
    /* the change to write: back to the bot, or nothing */
    snprintf(end->state, sizeof(end->state), "%s", is_live(end) ? "bot" : "");
    *reply = json_pack("{s:[{s:s}],s:[],s:O,s:{s:s}}", "messages", "text", text, "quick_replies",
                       "procedure", json_is_string(proc) ? proc : json_null(), "handoff", "state",
                       "bot");
    return *reply ? 0 : -ENOMEM;
}

bool handoff_is_requested(const json_t *reply)
{
    const char *st = json_string_value(json_object_get(json_object_get(reply, "handoff"), "state"));

    return st && strcmp(st, "pending") == 0;
}

/* Copies src into dst[cap], or "" when it does not fit (an id cut short
 * would name something else). */
static void copy_field(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);

    if (n >= cap)
        n = 0;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* The ward code of the conversation: the citizen's locality, else this
 * deployment's; "" when neither is known. */
static const char *locality_code(struct gw *gw, const json_t *state)
{
    const char *code =
        json_string_value(json_object_get(json_object_get(state, "locality"), "code"));

    if (code && code[0])
        return code;
    return kb_default_locality(gw->kb, gw->cfg->locality_default);
}

int handoff_change_write(struct gw *gw, const struct store_handoff *h, int64_t now_s)
{
    int rc;

    if (strcmp(h->state, "pending") == 0) {
        rc = store_handoff_request(gw->store, h, now_s);
        if (rc == -EALREADY)
            rc = 0; /* another tab or worker queued it a moment ago: same answer */
    } else if (strcmp(h->state, "bot") == 0) {
        rc = store_handoff_end(gw->store, h->session_id, NULL, "bot", now_s);
        if (rc == -ENOENT)
            rc = 0; /* an officer ended it meanwhile: the citizen is with the bot either way */
    } else {
        rc = 0; /* nothing to change */
    }
    return rc ? -EIO : 0;
}

int handoff_request(struct gw *gw, const struct session *s, const json_t *state, json_t *reply,
                    int64_t now_s, struct store_handoff *h)
{
    const char *code = locality_code(gw, state), *office_name;
    const char *proc = json_string_value(json_object_get(reply, "procedure"));
    const json_t *office = code[0] ? kb_office(gw->kb, code) : NULL;
    json_t *msgs = json_object_get(reply, "messages");
    struct kb_hours hours;
    struct mc_err herr = {0};
    struct mc_buf b;
    int64_t next;
    int rc;

    memset(h, 0, sizeof(*h));
    h->session_id = s->id;
    snprintf(h->state, sizeof(h->state), "pending");
    copy_field(h->channel, sizeof(h->channel), s->channel);
    copy_field(h->user_key, sizeof(h->user_key), s->user_key);
    copy_field(h->procedure, sizeof(h->procedure), proc ? proc : "");
    copy_field(h->locality, sizeof(h->locality), code);
    office_name = json_string_value(json_object_get(office, "office_name"));
    if (kb_hours_parse(json_object_get(office, "hours"), &hours, &herr) == -EINVAL)
        mc_log(MC_LOG_WARN, "handoff.hours", "unit=%s %s", code, herr.text); /* import checks it */
    mc_buf_init(&b, HANDOFF_TEXT_MAX);
    if (office_name)
        rc = mc_buf_printf(&b, "Tôi đã chuyển câu hỏi của bạn đến cán bộ của %s.", office_name);
    else
        rc = mc_buf_puts(&b, "Tôi đã chuyển câu hỏi của bạn đến cán bộ xã/phường.");
    if (!rc)
        rc = mc_buf_puts(&b, " Cán bộ sẽ trả lời bạn ngay trong cuộc trò chuyện này; trong lúc "
                             "chờ, bạn cứ nhắn thêm thông tin, tôi sẽ không trả lời thay cán bộ.");
    if (!rc && !kb_hours_open(&hours, now_s, &next) && next) {
        rc = mc_buf_puts(&b, " Bây giờ là ngoài giờ làm việc: cán bộ sẽ trả lời từ ");
        if (!rc)
            rc = handoff_when_text(next, now_s, &b);
        if (!rc)
            rc = mc_buf_puts(&b, hours.verify ? " (giờ làm việc đang chờ xác minh)." : ".");
    }
    if (!rc)
        rc = mc_buf_puts(&b, " Muốn quay lại trợ lý tự động, bạn bấm \"Quay lại trợ lý\" hoặc "
                             "nhắn \"hủy\".");
    if (!rc && (!json_is_array(msgs) ||
                json_array_insert_new(msgs, 0, json_pack("{s:s}", "text", b.data))))
        rc = -ENOMEM;
    mc_buf_fini(&b);
    if (!rc)
        mc_log(MC_LOG_INFO, "handoff.request", "channel=%s session=%lld locality=%s", s->channel,
               (long long)s->id, code[0] ? code : "-");
    return rc;
}

json_t *handoff_state_build(const char *state, const char *officer_name)
{
    struct store_handoff h;

    snprintf(h.state, sizeof(h.state), "%s", state);
    if (!is_live(&h))
        return NULL;
    return json_pack("{s:s,s:o}", "state", state, "officer",
                     strcmp(state, "officer") == 0 ? json_pack("{s:s}", "name", officer_name)
                                                   : json_null());
}

int handoff_notice_text(const char *state, const char *officer_name, struct mc_buf *b)
{
    if (strcmp(state, "officer") == 0 && officer_name && officer_name[0])
        return mc_buf_printf(b, "Cán bộ %s đang hỗ trợ bạn. Bạn cứ nhắn tại đây.", officer_name);
    if (strcmp(state, "officer") == 0)
        return mc_buf_puts(b, "Cán bộ xã/phường đang hỗ trợ bạn. Bạn cứ nhắn tại đây.");
    if (strcmp(state, "bot") == 0)
        return mc_buf_puts(b, "Cán bộ đã chuyển cuộc trò chuyện lại cho trợ lý tự động. Bạn cần "
                              "hỏi thêm gì cứ nhắn, tôi sẽ trả lời.");
    if (strcmp(state, "closed") == 0)
        return mc_buf_puts(b, "Cán bộ đã kết thúc cuộc trò chuyện. Cảm ơn bạn! Nếu cần hỏi thêm, "
                              "bạn cứ nhắn, trợ lý tự động sẽ trả lời.");
    return -EINVAL;
}

/* ---- the handoff in a reconnecting citizen's history ------------------- */

int handoff_history_item(json_t *items, const char *from, const char *officer_name,
                         const char *text, int64_t ts_ms)
{
    json_t *item;

    if (strcmp(from, "citizen") == 0)
        item = json_pack("{s:s,s:s,s:I}", "role", "user", "text", text, "ts",
                         (json_int_t)(ts_ms / 1000));
    else if (strcmp(from, "officer") == 0)
        item = json_pack("{s:s,s:s,s:{s:s},s:I}", "role", "officer", "text", text, "officer",
                         "name", officer_name, "ts", (json_int_t)(ts_ms / 1000));
    else
        item = json_pack("{s:s,s:{s:[{s:s}],s:[]},s:I}", "role", "bot", "reply", "messages", "text",
                         text, "quick_replies", "ts", (json_int_t)(ts_ms / 1000));
    if (!item)
        return -ENOMEM;
    return json_array_append_new(items,
                                 json_pack("{s:I,s:o}", "ms", (json_int_t)ts_ms, "item", item))
               ? -ENOMEM
               : 0;
}

int handoff_history_merge(json_t *history, const json_t *items, unsigned max)
{
    json_t *merged = NULL, *turn;
    size_t i = 0, k = 0, n_turns = json_array_size(history), n_msgs = json_array_size(items);
    int rc = 0;

    if (n_msgs == 0)
        goto out;
    merged = json_array();
    if (!merged) {
        rc = -ENOMEM;
        goto out;
    }
    /* both lists are in time order: merge them; a turn's ts is whole seconds,
     * so at equal seconds the turn comes first (it was written first) */
    while (!rc && (i < n_turns || k < n_msgs)) {
        const json_t *m = json_array_get(items, k);
        json_int_t turn_ms =
            i < n_turns
                ? json_integer_value(json_object_get(json_array_get(history, i), "ts")) * 1000
                : 0;

        if (i < n_turns &&
            (k >= n_msgs || turn_ms <= json_integer_value(json_object_get(m, "ms")))) {
            turn = json_array_get(history, i++);
            rc = json_array_append(merged, turn) ? -ENOMEM : 0;
        } else {
            rc = json_array_append(merged, json_object_get(m, "item")) ? -ENOMEM : 0;
            k++;
        }
    }
    if (rc)
        goto out;
    json_array_clear(history);
    for (i = json_array_size(merged) > max ? json_array_size(merged) - max : 0;
         !rc && i < json_array_size(merged); i++)
        rc = json_array_append(history, json_array_get(merged, i)) ? -ENOMEM : 0;
out:
    json_decref(merged);
    return rc;
}
