/* gateway/ws_parse.h - the pure part of the WebSocket protocol v1 (ws.h):
 * one client text frame checked and read into what ws.c acts on, or the
 * error frame that answers it. No I/O, no connection state beyond whether
 * a hello was accepted (a feedback frame's own fields are checked by
 * feedback_from_frame(), which needs the session); the libFuzzer harness fuzz/fuzz_ws_frame.c
 * drives it directly. Thread-safe. */
#ifndef MOTCUA_GATEWAY_WS_PARSE_H
#define MOTCUA_GATEWAY_WS_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "mc_err.h"

#define WS_MSG_ID_MAX 64 /* bytes; a client message id */

struct json_t;

enum ws_parse_type {
    WS_PARSE_NONE,     /* the frame was refused (code/message say why) */
    WS_PARSE_HELLO,    /* {"type":"hello","session":token|null,"channel":"web"|"kiosk"} */
    WS_PARSE_MESSAGE,  /* {"type":"message","text":...,"id"?} */
    WS_PARSE_POSTBACK, /* {"type":"postback","payload":...,"id"?} */
    WS_PARSE_FEEDBACK, /* {"type":"feedback",...}: its fields are feedback.h's (msg) */
    WS_PARSE_FORGET    /* {"type":"forget"}: erase the session (privacy.h) */
};

struct ws_parsed {
    struct json_t *msg;      /* the frame's JSON, owned: ws_parsed_fini() */
    enum ws_parse_type type; /* what the frame asks for */
    /* refused: the error frame {"type":"error","code","message","reply_to"?} */
    const char *code;     /* static, or NULL when the frame was accepted */
    const char *message;  /* static */
    const char *reply_to; /* the message's id when the error answers it, else NULL */
    /* hello */
    const char *session; /* the token to resume, or NULL (null or absent); borrowed from msg */
    const char *channel; /* "web" (the default) or "kiosk"; borrowed from msg or static */
    /* message, postback */
    const char *text; /* the text or payload: valid UTF-8, no NUL, not blank; borrowed from msg */
    size_t text_len;  /* bytes, <= INTENT_MAX_INPUT */
    const char *id;   /* the message id (<= WS_MSG_ID_MAX bytes), or NULL; points into idbuf */
    char idbuf[WS_MSG_ID_MAX + 1];
};

/* Reads one complete client frame data[0..len) into *out. hello says whether
 * this connection has had a hello accepted: a message, postback or feedback
 * before one is refused with "hello_required" (a message's id is checked
 * first, so the error can answer it). Returns 0 (out->type is what to do), or -EINVAL with
 * out->code, out->message and out->reply_to set for the error frame to send. Always call
 * ws_parsed_fini() afterwards. */
MC_MUST_CHECK int ws_parse_frame(const char *data, size_t len, bool hello, struct ws_parsed *out);

/* Frees what out owns; everything borrowed from it becomes invalid. */
void ws_parsed_fini(struct ws_parsed *out);

#endif
