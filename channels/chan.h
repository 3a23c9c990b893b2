/* channels/chan.h - what every channel bridge turns its wire format into:
 * one inbound event per citizen action, channel-neutral, with copied
 * (bounded) strings so nothing borrows from the request body. */
#ifndef MOTCUA_CHANNELS_CHAN_H
#define MOTCUA_CHANNELS_CHAN_H

#define CHAN_USER_MAX 128     /* bytes; a PSID or Zalo user id */
#define CHAN_EVENT_ID_MAX 200 /* bytes; a message id (mid, msg_id) */
#define CHAN_TEXT_MAX 2048    /* bytes; longer texts are refused by understanding anyway */
#define CHAN_EVENTS_MAX 32    /* events taken from one webhook POST */

enum chan_event_kind {
    CHAN_EV_TEXT,        /* the citizen typed text */
    CHAN_EV_POSTBACK,    /* the citizen tapped a quick reply or button (text = payload) */
    CHAN_EV_UNSUPPORTED, /* an image, sticker, file...: answer that we read text only */
    CHAN_EV_FOLLOW,      /* the citizen followed the page/OA: greet */
    CHAN_EV_UNFOLLOW     /* nothing to answer */
};

struct chan_event {
    enum chan_event_kind kind;
    char user[CHAN_USER_MAX + 1];         /* the citizen */
    char event_id[CHAN_EVENT_ID_MAX + 1]; /* for de-duplication of redeliveries */
    char text[CHAN_TEXT_MAX + 1];         /* text or payload; "" otherwise */
    int too_long;                         /* text was longer than CHAN_TEXT_MAX */
};

#endif
