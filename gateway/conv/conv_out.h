/* gateway/conv/conv_out.h - building one channel-neutral reply
 *   {"messages":[{"text"}], "quick_replies":[{"title","payload"}],
 *    "procedure": id|null, ...optional blocks}
 * Builders keep the first failure in out->rc and do nothing after it
 * (SQLite's mallocFailed idea), so the conversation code reads as the
 * dialogue it writes and checks for -ENOMEM once, at the end of the turn.
 * Quick replies obey every channel's limits: at most CONV_QR_MAX, titles cut
 * to CONV_QR_TITLE_MAX characters at a character boundary, payloads at most
 * CONV_PAYLOAD_MAX bytes, no two with the same payload. */
#ifndef MOTCUA_GATEWAY_CONV_OUT_H
#define MOTCUA_GATEWAY_CONV_OUT_H

#include "mc_buf.h"
#include "mc_err.h"

#define CONV_QR_MAX 13          /* Messenger: at most 13 quick replies */
#define CONV_QR_TITLE_MAX 20    /* Messenger: titles cut after 20 characters */
#define CONV_PAYLOAD_MAX 96     /* bytes; "step:<id>:<n>" with the longest catalogue id */
#define CONV_MSG_MAX (8 * 1024) /* bytes of one message part; guides are far shorter */

struct json_t;

struct conv_out {
    struct json_t *reply; /* owned until handed to the caller */
    int rc;               /* 0, or the first failure (-ENOMEM, -E2BIG) */
};

/* Starts an empty reply. Returns 0 or -ENOMEM (then out->reply is NULL). */
MC_MUST_CHECK int conv_out_init(struct conv_out *out);

/* Frees the reply if it was not taken. */
void conv_out_fini(struct conv_out *out);

/* Records a failure (the first one wins). */
void conv_out_fail(struct conv_out *out, int rc);

/* Appends one message part with text (copied). Empty text adds nothing. */
void conv_out_text(struct conv_out *out, const char *text);

/* Appends one message part, printf-formatted (at most CONV_MSG_MAX bytes). */
void conv_out_textf(struct conv_out *out, const char *fmt, ...) MC_PRINTF(2, 3);

/* Appends b's text as one message part (when not empty) and empties b. */
void conv_out_buf(struct conv_out *out, struct mc_buf *b);

/* Appends a quick reply; payload is printf-formatted. Beyond CONV_QR_MAX, or
 * when the payload is already offered, nothing is added. */
void conv_out_qr(struct conv_out *out, const char *title, const char *payload_fmt, ...)
    MC_PRINTF(3, 4);

/* Number of quick replies so far. */
unsigned conv_out_qr_count(const struct conv_out *out);

/* Sets key of the reply to value (steals value; NULL records -ENOMEM). */
void conv_out_set(struct conv_out *out, const char *key, struct json_t *value);

#endif
