/* gateway/conv.h - the conversation: from session state + understanding +
 * the knowledge base to one channel-neutral reply
 *   {"messages":[{"text"}], "quick_replies":[{"title","payload"}],
 *    "procedure": id|null, "card"?, "checklist"?}
 * Quick-reply titles are <= CONV_QR_TITLE_MAX characters and there are at
 * most CONV_QR_MAX of them, so every channel can show them as they are. */
#ifndef MOTCUA_GATEWAY_CONV_H
#define MOTCUA_GATEWAY_CONV_H

#include "mc_err.h"

#define CONV_QR_MAX 13       /* Messenger: at most 13 quick replies */
#define CONV_QR_TITLE_MAX 20 /* Messenger: titles cut after 20 characters */

struct kb;
struct mc_config;
struct intent_result;
struct json_t;

struct conv_ctx {
    struct kb *kb;                /* borrowed */
    const struct mc_config *cfg;  /* borrowed */
};

/* Decides the reply to one turn. state is the session's JSON object and is
 * updated in place. Exactly one of u (the understanding of a typed text) and
 * payload (a quick-reply payload) is set. Returns 0 with *reply new
 * (json_decref()), or -ENOMEM/-EIO. */
MC_MUST_CHECK int conv_respond(const struct conv_ctx *cx, struct json_t *state,
                               const struct intent_result *u, const char *payload,
                               struct json_t **reply);

#endif
