/* gateway/outbox_int.h - what outbox.c (sending, outcomes) and
 * outbox_token.c (the Zalo tokens) share; not for other modules. */
#ifndef MOTCUA_GATEWAY_OUTBOX_INT_H
#define MOTCUA_GATEWAY_OUTBOX_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <libwebsockets.h>

#include "cfg.h"
#include "mc_buf.h"
#include "outbox.h"
#include "outbox_guard.h"
#include "session.h"

struct lws;

#define OB_URL_MAX 1024 /* bytes; a platform endpoint with its query */
#define OB_HOST_MAX 256
#define OB_DUE_BATCH 32              /* rows looked at per pump */
#define OB_REFRESH_PAUSE_MS 30000    /* after a failed token refresh, wait this long */
#define OB_REFRESH_MARGIN_MS 3600000 /* refresh a Zalo token this long before it expires */
#define OB_ORIGIN                                                                                  \
    "zalo.origin" /* chan_token row: the configured refresh token the stored                       \
                     tokens descend from (spent: single-use) */

enum { OB_MESSENGER, OB_ZALO, OB_N_CHANNELS };

enum ob_kind { OB_SEND, OB_REFRESH };

struct ob_slot {
    bool busy;
    enum ob_kind kind;
    struct outbox *ob;
    struct lws *wsi;
    int64_t row; /* outbox row (OB_SEND) */
    int64_t created_ms;
    int attempts;
    char channel[16];
    char user[SESSION_USER_KEY_MAX + 1];
    unsigned char *body; /* LWS_PRE + body_len bytes, owned */
    size_t body_len;
    bool body_sent;
    const char *ctype;
    char hdr_name[32]; /* one extra request header ("access_token:") */
    char hdr_value[CFG_STR_MAX];
    int status;         /* HTTP status, 0 until known */
    int64_t started_ms; /* connected at: the pump ends it after OUTBOX_TIMEOUT_S */
    bool expired;       /* past its time: closed, its end awaited */
    struct mc_buf resp;
};

struct outbox {
    struct gw *gw;
    struct store *st; /* borrowed: gw's */
    struct ob_slot slots[OUTBOX_INFLIGHT_MAX];
    bool refreshing;
    int64_t refresh_not_before;
    char zalo_token[CFG_STR_MAX]; /* current access token (config, or refreshed) */
    char zalo_refresh[CFG_STR_MAX];
    bool tokens_unsaved;      /* refreshed tokens not yet in chan_token: saved again each pump */
    int64_t zalo_expires_ms;  /* 0 = unknown (a configured or stored token) */
    int64_t zalo_lifetime_ms; /* of the last refreshed token */
    uint64_t rng;             /* xorshift state for back-off jitter */
    struct ob_circuit circuit[OB_N_CHANNELS];
    struct ob_holds holds;                /* outcomes not yet committed (outbox_guard.h) */
    uint64_t seen_commits, seen_failures; /* the store's counters at the last pump */
    bool commit_failed;                   /* the last commit seen failed */
    bool unwritable;                      /* what /readyz reports (gw->metrics.state_unwritable) */
    bool claim_again; /* a pump found a claim in flight: claim again once it is answered */
    lws_sorted_usec_list_t sul;         /* polls the answers while outcomes or a claim are out */
    bool stopped;                       /* outbox_stop(): the timer is not armed again */
    uint64_t claims_sent, claims_taken; /* claims of this outbox: sent, and the last taken */
};

int64_t ob_now_ms(void);
/* Arms the poll timer if outcomes or a claim are out (store_outbox_busy()). */
void outbox_poll_soon(struct outbox *ob);
/* A free slot, or NULL when all OUTBOX_INFLIGHT_MAX are busy. */
struct ob_slot *ob_free_slot(struct outbox *ob);
/* Copies body into s (LWS_PRE room in front). Returns 0 or -ENOMEM. */
int ob_slot_set_body(struct ob_slot *s, const char *body, size_t len);
/* Connects s (body and headers set) to url. Returns 0 or -EINVAL. */
int ob_slot_connect(struct outbox *ob, struct ob_slot *s, const char *url);
void ob_slot_release(struct ob_slot *s);
/* A request ended (its status and answer in s): its row's outcome is
 * recorded, s released, and the outbox pumped (outbox.c). */
void ob_slot_finish(struct ob_slot *s);

/* outbox_token.c: the Zalo access and refresh tokens (docs/channels.md, "Tokens"). */
void ob_tokens_load(struct outbox *ob);
/* Saves the current tokens (and the configured refresh token they descend
 * from). Returns 0 or -EIO. */
int ob_tokens_save(struct outbox *ob);
/* Retries a failed ob_tokens_save(); the tokens stay in memory meanwhile. */
void ob_tokens_save_again(struct outbox *ob);
/* Starts a refresh unless one runs or refreshing is paused. */
void ob_refresh_start(struct outbox *ob);
/* Reads the OAuth answer in s. */
void ob_refresh_finish(struct outbox *ob, struct ob_slot *s);
/* Refreshes before the token expires, when its lifetime is known. */
void ob_refresh_early(struct outbox *ob);

#endif
