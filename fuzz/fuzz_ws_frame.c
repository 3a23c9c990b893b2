/* fuzz/fuzz_ws_frame.c - one client frame of the WebSocket protocol (/ws)
 * through the checks gateway/ws.c makes before any state is touched
 * (ws_parse_frame), on a connection with and without a hello: the first
 * byte's low bit chooses ('0' none, '1' a hello was accepted, as in the
 * seeds), the rest is the frame. Asserts what ws.c relies on: an
 * accepted message is non-blank UTF-8 without NUL of at most INTENT_MAX_INPUT
 * bytes with an id of at most WS_MSG_ID_MAX bytes; a refusal names a code and
 * a message and makes a valid error frame. */
#include "common.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "intent.h"
#include "mc_utf8.h"
#include "ws_parse.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void check_error_frame(const struct ws_parsed *p)
{
    json_t *j = json_pack("{s:s,s:s}", "type", "error", "code", p->code, "message", p->message);
    char *text;

    if (!j)
        abort();
    if (p->reply_to && json_object_set_new(j, "reply_to", json_string(p->reply_to)))
        abort();
    text = json_dumps(j, JSON_COMPACT);
    if (!text || !mc_utf8_is_valid(text, strlen(text)))
        abort();
    free(text);
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ws_parsed p;
    bool hello;

    if (size < 1)
        return 0;
    hello = data[0] & 1;
    if (ws_parse_frame((const char *)data + 1, size - 1, hello, &p)) {
        if (!p.code || !p.message || p.type != WS_PARSE_NONE)
            abort();
        check_error_frame(&p);
    } else if (p.type == WS_PARSE_FEEDBACK) {
        if (!hello || !json_is_object(p.msg))
            abort(); /* feedback_from_frame() reads the object after a hello */
    } else if (p.type == WS_PARSE_FORGET) {
        if (!hello)
            abort(); /* erasing is only for a session this connection said hello to */
    } else if (p.type == WS_PARSE_HELLO) {
        if (!p.channel || (strcmp(p.channel, "web") != 0 && strcmp(p.channel, "kiosk") != 0))
            abort();
    } else {
        if (!hello || !p.text || p.text_len == 0 || p.text_len > INTENT_MAX_INPUT ||
            memchr(p.text, '\0', p.text_len) || !mc_utf8_is_valid(p.text, p.text_len) ||
            strspn(p.text, " \t\r\n") == p.text_len || (p.id && strlen(p.id) > WS_MSG_ID_MAX))
            abort();
    }
    ws_parsed_fini(&p);
    return 0;
}
