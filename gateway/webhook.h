/* gateway/webhook.h - the Messenger and Zalo webhooks: verify the request,
 * turn each event into one message on the common path (gw_handle_message),
 * render the reply for the platform and queue it in the durable outbox, all
 * in one state-database transaction, then acknowledge. Redelivered events
 * are recognised by their platform message id and answered only once. */
#ifndef MOTCUA_GATEWAY_WEBHOOK_H
#define MOTCUA_GATEWAY_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>

#include "mc_err.h"

struct gw;

struct webhook_result {
    unsigned status;   /* HTTP status to answer */
    const char *ctype; /* content type of body */
    char body[256];    /* short answer (challenge, "EVENT_RECEIVED", or JSON error) */
    bool commit;       /* the delivery is in the open batch: status/body answer it once
                          committed, webhook_failed() when not (http_hold.h) */
};

/* GET /webhooks/messenger?hub.mode=subscribe&hub.verify_token=…&hub.challenge=…
 * (values already URL-decoded; NULL when absent). */
void webhook_messenger_verify(struct gw *gw, const char *mode, const char *token,
                              const char *challenge, struct webhook_result *out);

/* POST /webhooks/messenger with the raw body and X-Hub-Signature-256. */
void webhook_messenger_post(struct gw *gw, const char *body, size_t len, const char *signature,
                            struct webhook_result *out);

/* POST /webhooks/zalo with the raw body and X-ZEvent-Signature. */
void webhook_zalo_post(struct gw *gw, const char *body, size_t len, const char *signature,
                       struct webhook_result *out);

/* The answer to a delivery whose batch's commit failed: 500 (the platform
 * delivers again; the de-duplication rows went with the batch). */
void webhook_failed(struct webhook_result *out);

/* A delivery's commit was reported with rc: a failure is logged and counted;
 * a success lets the outbox send its replies. */
void webhook_commit_done(struct gw *gw, int rc);

#endif
