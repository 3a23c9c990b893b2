/* gateway/conv.c - see conv.h. */
#include "conv.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "intent.h"
#include "kb.h"
#include "mc_buf.h"
#include "mc_utf8.h"

static const char *const greeting =
    "Xin chào! Tôi là trợ lý thủ tục hành chính. Bạn cần làm giấy tờ gì? Ví dụ: \"đăng ký khai "
    "sinh cho con\", \"làm lại căn cước\", \"đăng ký tạm trú\".";
static const char *const out_of_scope =
    "Xin lỗi, tôi chưa hiểu câu hỏi này hoặc nó nằm ngoài các thủ tục tôi hỗ trợ. Tôi giúp được về "
    "hộ tịch, cư trú, căn cước, chứng thực, đất đai, hộ kinh doanh, bảo hiểm và trợ cấp xã hội. "
    "Bạn có thể gọi tổng đài hỗ trợ Cổng Dịch vụ công quốc gia 1800 1096 hoặc nhờ cán bộ hỗ trợ.";

/* Appends a quick reply, cutting the title to CONV_QR_TITLE_MAX characters
 * at a character boundary (our own titles are written to fit). */
static void add_qr(json_t *qrs, const char *title, const char *payload)
{
    char t[CONV_QR_TITLE_MAX * 4 + 1];
    size_t n = strlen(title), chars = mc_utf8_count(title, n), cut = n;

    if (json_array_size(qrs) >= CONV_QR_MAX)
        return;
    if (chars > CONV_QR_TITLE_MAX) {
        size_t i, c = 0;

        for (i = 0; i < n; i++) {
            if (((unsigned char)title[i] & 0xC0) != 0x80) {
                if (c == CONV_QR_TITLE_MAX)
                    break;
                c++;
            }
        }
        cut = i;
    }
    if (cut >= sizeof(t))
        cut = mc_utf8_floor(title, n, sizeof(t) - 1);
    memcpy(t, title, cut);
    t[cut] = '\0';
    json_array_append_new(qrs, json_pack("{s:s,s:s}", "title", t, "payload", payload));
}

static json_t *new_reply(void)
{
    return json_pack("{s:[],s:[],s:n}", "messages", "quick_replies", "procedure");
}

static void add_text(json_t *reply, const char *text)
{
    json_array_append_new(json_object_get(reply, "messages"), json_pack("{s:s}", "text", text));
}

static const char *js(json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s ? s : "";
}

/* The summary of a procedure and the menu of what to do next. */
static int reply_procedure(const struct conv_ctx *cx, json_t *state, const char *id, json_t *reply)
{
    char *body = NULL, payload[96];
    json_t *g, *qrs = json_object_get(reply, "quick_replies");
    struct mc_buf text;
    int rc;

    rc = kb_get_procedure_json(cx->kb, id, &body);
    if (rc)
        return rc;
    g = json_loads(body, 0, NULL);
    free(body);
    if (!g)
        return -EIO;
    mc_buf_init(&text, 16 * 1024);
    if (mc_buf_printf(&text, "%s\n• Nơi nộp: %s\n• Thời gian: %s\n• Lệ phí: %s", js(g, "name"),
                      js(g, "where"), js(g, "processing_time"), js(g, "fee"))) {
        mc_buf_fini(&text);
        json_decref(g);
        return -ENOMEM;
    }
    add_text(reply, text.data);
    mc_buf_fini(&text);
    json_object_set_new(reply, "card",
                        json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", id, "title", js(g, "name"),
                                  "where", js(g, "where"), "time", js(g, "processing_time"), "fee",
                                  js(g, "fee"), "url", "/thu-tuc/"));
    {
        char url[96];

        snprintf(url, sizeof(url), "/thu-tuc/%s", id);
        json_object_set_new(json_object_get(reply, "card"), "url", json_string(url));
    }
    snprintf(payload, sizeof(payload), "docs:%s", id);
    add_qr(qrs, "Giấy tờ cần chuẩn bị", payload);
    snprintf(payload, sizeof(payload), "steps:%s", id);
    add_qr(qrs, "Các bước thực hiện", payload);
    snprintf(payload, sizeof(payload), "check:%s", id);
    add_qr(qrs, "Kiểm tra hồ sơ", payload);
    snprintf(payload, sizeof(payload), "where:%s", id);
    add_qr(qrs, "Nộp ở đâu", payload);
    snprintf(payload, sizeof(payload), "online:%s", id);
    add_qr(qrs, "Nộp trực tuyến", payload);
    json_object_set_new(reply, "procedure", json_string(id));
    json_object_set_new(state, "procedure", json_string(id));
    json_decref(g);
    return 0;
}

static int reply_meta(const struct conv_ctx *cx, const char *id, json_t *reply)
{
    char *answer = NULL, *generic = NULL;
    int rc = kb_get_meta_answer(cx->kb, id, &answer, &generic);

    if (rc)
        return rc;
    /* office data per locality arrives with the knowledge base; until a
     * locality is known the generic answer is the honest one */
    add_text(reply, generic);
    free(answer);
    free(generic);
    return 0;
}

static int reply_understood(const struct conv_ctx *cx, json_t *state,
                            const struct intent_result *u, json_t *reply)
{
    json_t *qrs = json_object_get(reply, "quick_replies");
    char payload[96];
    size_t i;

    if (u->decision == INTENT_MATCH) {
        if (!kb_is_procedure(cx->kb, u->label))
            return reply_meta(cx, u->label, reply);
        return reply_procedure(cx, state, u->label, reply);
    }
    if (u->decision == INTENT_CLARIFY && u->n_candidates > 0) {
        add_text(reply, "Bạn muốn hỏi về thủ tục nào dưới đây?");
        for (i = 0; i < u->n_candidates; i++) {
            char *body = NULL;
            json_t *g;

            if (kb_get_procedure_json(cx->kb, u->candidates[i].label, &body) != 0)
                continue;
            g = json_loads(body, 0, NULL);
            free(body);
            snprintf(payload, sizeof(payload), "proc:%s", u->candidates[i].label);
            add_qr(qrs, js(g, "short_name"), payload);
            json_decref(g);
        }
        if (json_array_size(qrs) > 0)
            return 0;
    }
    add_text(reply, out_of_scope);
    add_qr(qrs, "Gặp cán bộ", "meta:gap-can-bo");
    return 0;
}

int conv_respond(const struct conv_ctx *cx, json_t *state, const struct intent_result *u,
                 const char *payload, json_t **reply)
{
    json_t *r = new_reply();
    int rc = 0;

    if (!r)
        return -ENOMEM;
    if (payload) {
        if (strncmp(payload, "proc:", 5) == 0)
            rc = reply_procedure(cx, state, payload + 5, r);
        else if (strncmp(payload, "meta:", 5) == 0)
            rc = reply_meta(cx, payload + 5, r);
        else
            rc = -ENOENT;
        if (rc == -ENOENT) {
            add_text(r, greeting);
            rc = 0;
        }
    } else {
        rc = reply_understood(cx, state, u, r);
        if (rc == -ENOENT) {
            add_text(r, greeting);
            rc = 0;
        }
    }
    if (rc) {
        json_decref(r);
        return rc;
    }
    *reply = r;
    return 0;
}
