/* gateway/ws_parse.c - see ws_parse.h. The checks and their order are the
 * protocol's (docs/api.md): each refusal names the field at fault. */
#include "ws_parse.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "intent.h"
#include "mc_utf8.h"

static int refuse(struct ws_parsed *out, const char *code, const char *message,
                  const char *reply_to)
{
    out->type = WS_PARSE_NONE;
    out->code = code;
    out->message = message;
    out->reply_to = reply_to;
    return -EINVAL;
}

static int parse_hello(struct ws_parsed *out)
{
    json_t *jsess = json_object_get(out->msg, "session");
    json_t *jchan = json_object_get(out->msg, "channel");
    const char *channel = json_string_value(jchan);

    if (jsess && !json_is_null(jsess) && !json_is_string(jsess))
        return refuse(out, "bad_field", "\"session\" must be null or a token string", NULL);
    if (jchan && !channel)
        return refuse(out, "bad_field", "\"channel\" must be \"web\" or \"kiosk\"", NULL);
    if (!channel)
        channel = "web";
    if (strcmp(channel, "web") != 0 && strcmp(channel, "kiosk") != 0)
        return refuse(out, "bad_channel", "\"channel\" must be \"web\" or \"kiosk\"", NULL);
    out->type = WS_PARSE_HELLO;
    out->session = json_string_value(jsess);
    out->channel = channel;
    return 0;
}

static int parse_message(struct ws_parsed *out, bool hello, bool postback)
{
    json_t *jt = json_object_get(out->msg, postback ? "payload" : "text");
    json_t *jid = json_object_get(out->msg, "id");
    const char *text, *id = NULL;
    size_t n;

    if (jid && json_is_string(jid) && json_string_length(jid) <= WS_MSG_ID_MAX) {
        snprintf(out->idbuf, sizeof(out->idbuf), "%s", json_string_value(jid));
        id = out->idbuf;
    } else if (jid && !json_is_null(jid)) {
        return refuse(out, "bad_field", "\"id\" must be a string of at most 64 bytes", NULL);
    }
    if (!hello)
        return refuse(out, "hello_required", "Send a hello frame first.", id);
    if (!jt)
        return refuse(out, "missing_field",
                      postback ? "\"payload\" is missing" : "\"text\" is missing", id);
    if (!json_is_string(jt))
        return refuse(out, "bad_field",
                      postback ? "\"payload\" must be a string" : "\"text\" must be a string", id);
    text = json_string_value(jt);
    n = json_string_length(jt);
    if (n == 0 || strspn(text, " \t\r\n") == n)
        return refuse(out, "empty", "Bạn chưa nhập nội dung.", id);
    if (n > INTENT_MAX_INPUT || memchr(text, '\0', n))
        return refuse(out, n > INTENT_MAX_INPUT ? "too_long" : "bad_field",
                      "Tin nhắn quá dài (tối đa 2048 byte).", id);
    out->type = postback ? WS_PARSE_POSTBACK : WS_PARSE_MESSAGE;
    out->text = text;
    out->text_len = n;
    out->id = id;
    return 0;
}

int ws_parse_frame(const char *data, size_t len, bool hello, struct ws_parsed *out)
{
    json_error_t jerr;
    const char *type;

    memset(out, 0, sizeof(*out));
    if (!mc_utf8_is_valid(data, len))
        return refuse(out, "invalid_utf8", "The frame is not valid UTF-8.", NULL);
    out->msg = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!out->msg)
        return refuse(out, "bad_json", "The frame is not valid JSON.", NULL);
    if (!json_is_object(out->msg))
        return refuse(out, "bad_json", "A frame must be a JSON object.", NULL);
    type = json_string_value(json_object_get(out->msg, "type"));
    if (!type)
        return refuse(out, "missing_field", "\"type\" is missing", NULL);
    if (strcmp(type, "hello") == 0)
        return parse_hello(out);
    if (strcmp(type, "message") == 0)
        return parse_message(out, hello, false);
    if (strcmp(type, "postback") == 0)
        return parse_message(out, hello, true);
    if (strcmp(type, "feedback") == 0) {
        if (!hello)
            return refuse(out, "hello_required", "Send a hello frame first.", NULL);
        out->type = WS_PARSE_FEEDBACK; /* its fields: feedback_from_frame() */
        return 0;
    }
    if (strcmp(type, "forget") == 0) {
        if (!hello)
            return refuse(out, "hello_required", "Send a hello frame first.", NULL);
        out->type = WS_PARSE_FORGET; /* the session's data is erased (privacy.h) */
        return 0;
    }
    return refuse(out, "bad_type",
                  "\"type\" must be \"hello\", \"message\", \"postback\", \"feedback\" or "
                  "\"forget\"",
                  NULL);
}

void ws_parsed_fini(struct ws_parsed *out)
{
    json_decref(out->msg);
    out->msg = NULL;
}
