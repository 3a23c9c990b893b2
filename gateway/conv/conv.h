/* gateway/conv/conv.h - the conversation: from session state + understanding +
 * the knowledge base to one channel-neutral reply (docs/conversation.md):
 *   {"messages":[{"text"}], "quick_replies":[{"title","payload"}],
 *    "procedure": id|null,
 *    "card"?: {id,title,where,time,fee,online,url},
 *    "step"?: {n,total,text},
 *    "steps"?: {procedure,title,items[{n,text}]},
 *    "documents"?: {procedure,title,items[{id,name,kind,count,when|null}]},
 *    "checklist"?: {procedure,title,complete,url,items[],return_reasons[]},
 *    "question"?: {kind:"document"|"condition",doc,n,total},
 *    "locality"?: {code,name,province},
 *    "officer"?: {hotline,office_name?}}
 * ("understanding" is added by the router, the checklist's "share_url" and
 * "share_link" by share.h). Quick-reply titles are at most
 * CONV_QR_TITLE_MAX characters and there are at most CONV_QR_MAX of them
 * (conv_out.h), so every channel can show them as they are.
 *
 * The state is the session's JSON object, the dialogue state (docs/conversation.md,
 * "Dialogue state"), small and versioned:
 *   {"v":2, "procedure":id, "asked":aspect bits, "shown":aspect bits,
 *    "flow":"steps"|"check", "step":n, "check":{...conv_check.h...},
 *    "checklist":{"procedure":id,"items":{doc:status}}, "misses":n,
 *    "locality":{code,name,province}, "units":[code...], "await":"where"}
 * A v1 state is kept as it is (v2 only adds keys); another version, or a
 * damaged state, starts a fresh conversation.
 * Runs on the event-loop thread (it reads the kb). */
#ifndef MOTCUA_GATEWAY_CONV_H
#define MOTCUA_GATEWAY_CONV_H

#include <stdbool.h>
#include <stddef.h>

#include "mc_err.h"

#define CONV_STATE_VERSION 2
#define CONV_MISSES_OFFICER 2    /* misunderstandings in a row before an officer is offered */
#define CONV_SWITCH_MIN 0.6      /* confidence to leave a flow for another procedure */
#define CONV_SWITCH_SURE 0.9     /* ... even when the message asks an aspect (fee, papers) */
#define CONV_SWITCH_SURE_WORDS 2 /* ... and says that much of its own beyond the aspect */
#define CONV_OOS_SURE 0.8        /* "none" this sure is out of scope even if it says "thế nào" */
#define CONV_OOS_CERTAIN                                                                           \
    0.95                  /* "none" this sure is out of scope even if it says "bao nhiêu tiền" */
#define CONV_UNITS_MAX 12 /* communes offered to choose from at once */
/* subject words an aspect question may have and still be read as the guide's own */
#define CONV_TOPIC_IN_GUIDE_MAX 3
/* topic words a declined question needs, with a procedure in context, to be
 * sent to another body rather than to a person (conv.c) */
#define CONV_REFERRAL_CONTEXT_WORDS 3

struct kb;
struct mc_config;
struct intent_result;
struct intent_index;
struct json_t;

struct conv_ctx {
    struct kb *kb;                    /* borrowed */
    const struct mc_config *cfg;      /* borrowed; may be NULL (motcua ask): no default locality */
    const struct intent_index *index; /* borrowed; may be NULL: the rest of a message that
                                         named a place is then not understood again */
    bool on_site; /* the citizen stands in the deployment's own centre (the kiosk): its office
                     is "here" ("nộp tại quầy số 2"), never "go to the centre" */
};

/* One turn of the citizen: a typed text with its understanding, or a
 * quick-reply payload. */
struct conv_turn {
    const struct intent_result *u; /* understanding of text; NULL for a payload */
    const char *text;              /* the text as typed (valid UTF-8), or NULL; used for place
                                      names, which understanding's spelling fixes may change */
    const char *payload;           /* a quick-reply payload, or NULL */
};

/* Decides the reply to one turn. state is the session's JSON object and is
 * updated in place (it is left unchanged on failure). Returns 0 with *reply
 * new (json_decref()), or -ENOMEM/-EIO/-EINVAL (neither u nor payload). */
MC_MUST_CHECK int conv_handle(const struct conv_ctx *cx, struct json_t *state,
                              const struct conv_turn *turn, struct json_t **reply);

/* The procedures offered after a greeting (the most asked, by the team's
 * reckoning): writes up to max ids (static strings) to ids, returns how
 * many. The kiosk's home screen starts from them before there are figures. */
size_t conv_popular_ids(const char *ids[], size_t max);

/* conv_handle() for callers that have no raw text (motcua ask): exactly one
 * of u and payload is set; place names are read from u's normalised text. */
MC_MUST_CHECK int conv_respond(const struct conv_ctx *cx, struct json_t *state,
                               const struct intent_result *u, const char *payload,
                               struct json_t **reply);

#endif
