/* channels/messenger.c - see messenger.h. */
#include "messenger.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan_text.h"

bool chan_messenger_signature_ok(const char *secret, const char *body, size_t len,
                                 const char *header)
{
    unsigned char want[32], got[EVP_MAX_MD_SIZE];
    unsigned int got_len = 0;
    const char *hex;

    if (!secret || !secret[0] || !header || strncmp(header, "sha256=", sizeof "sha256=" - 1) != 0)
        return false;
    hex = header + sizeof "sha256=" - 1;
    if (strlen(hex) != 2 * sizeof(want) || !chan_hex_decode(hex, want, sizeof(want)))
        return false;
    /* Meta signs the raw bytes as sent; never re-serialised JSON */
    if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body, len, got,
              &got_len) ||
        got_len != 32)
        return false;
    return CRYPTO_memcmp(want, got, 32) == 0;
}

static void copy(char *dst, size_t cap, const char *src, int *too_long)
{
    size_t n = src ? strlen(src) : 0;

    if (n >= cap) {
        if (too_long)
            *too_long = 1;
        n = 0; /* a cut message would be misunderstood; the caller answers "too long" */
    }
    if (n)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

/* Turns one messaging event into *e. Returns true if it is one to answer. */
static bool take(json_t *ev, struct chan_event *e)
{
    json_t *msg = json_object_get(ev, "message"), *pb = json_object_get(ev, "postback");
    const char *user = json_string_value(json_object_get(json_object_get(ev, "sender"), "id"));

    if (!user)
        return false;
    if (json_is_object(msg) && json_is_true(json_object_get(msg, "is_echo")))
        return false; /* our own message coming back */
    if (!json_is_object(msg) && !json_is_object(pb))
        return false; /* delivery, read, reaction, ... */
    memset(e, 0, sizeof(*e));
    copy(e->user, sizeof(e->user), user, NULL);
    if (json_is_object(msg)) {
        const char *qr =
            json_string_value(json_object_get(json_object_get(msg, "quick_reply"), "payload"));
        const char *text = json_string_value(json_object_get(msg, "text"));

        copy(e->event_id, sizeof(e->event_id), json_string_value(json_object_get(msg, "mid")),
             NULL);
        if (qr) {
            e->kind = CHAN_EV_POSTBACK;
            copy(e->text, sizeof(e->text), qr, &e->too_long);
        } else if (text) {
            e->kind = CHAN_EV_TEXT;
            copy(e->text, sizeof(e->text), text, &e->too_long);
        } else {
            e->kind = CHAN_EV_UNSUPPORTED;
        }
    } else {
        const char *mid = json_string_value(json_object_get(pb, "mid"));
        char fallback[64];

        if (!mid) { /* older postbacks carry no mid: the timestamp identifies them */
            snprintf(fallback, sizeof(fallback), "pb-%" JSON_INTEGER_FORMAT,
                     json_integer_value(json_object_get(ev, "timestamp")));
            mid = fallback;
        }
        copy(e->event_id, sizeof(e->event_id), mid, NULL);
        e->kind = CHAN_EV_POSTBACK;
        copy(e->text, sizeof(e->text), json_string_value(json_object_get(pb, "payload")),
             &e->too_long);
    }
    return e->event_id[0] != '\0'; /* without an id we could not de-duplicate a redelivery */
}

int chan_messenger_each(const char *body, size_t len, chan_messenger_event_fn fn, void *ctx)
{
    json_error_t jerr;
    json_t *root = json_loadb(body, len, 0, &jerr), *entry, *ev;
    const char *object;
    struct chan_event *e;
    size_t i, j;
    int rc = 0;

    if (!root)
        return -EINVAL;
    object = json_string_value(json_object_get(root, "object"));
    if (!json_is_object(root) || !json_is_array(json_object_get(root, "entry")) || !object ||
        strcmp(object, "page") != 0) {
        json_decref(root);
        return -EINVAL;
    }
    e = malloc(sizeof(*e)); /* one event at a time: a 1000-event batch needs no more */
    if (!e) {
        json_decref(root);
        return -ENOMEM;
    }
    /* "entry is an array and may contain multiple objects" (Meta) */
    json_array_foreach(json_object_get(root, "entry"), i, entry)
    {
        json_array_foreach(json_object_get(entry, "messaging"), j, ev)
        {
            if (take(ev, e) && (rc = fn(ctx, e)) != 0)
                goto done;
        }
    }
done:
    free(e);
    json_decref(root);
    return rc;
}

struct collect {
    struct chan_event *out;
    size_t max, *n;
};

static int collect_one(void *ctx, const struct chan_event *e)
{
    struct collect *c = ctx;

    if (*c->n >= c->max)
        return -E2BIG;
    c->out[(*c->n)++] = *e;
    return 0;
}

int chan_messenger_parse(const char *body, size_t len, struct chan_event *out, size_t max,
                         size_t *n)
{
    struct collect c = {out, max, n};

    *n = 0;
    return chan_messenger_each(body, len, collect_one, &c);
}

enum chan_messenger_outcome chan_messenger_classify(int status, const char *body, size_t len)
{
    /* Graph's temporary errors (docs/channels.md, sources there): unknown (1),
     * service (2), too many calls (4), user request limit (17), application
     * limit (341), temporarily blocked (368), rate limit (613), temporary
     * send failure (1200) */
    static const int temporary[] = {1, 2, 4, 17, 341, 368, 613, 1200};
    json_t *root;
    json_int_t code = -1;
    size_t i;

    if (status >= 200 && status < 300)
        return CHAN_MESSENGER_OK;
    if (status == 0 || status == 429 || status >= 500)
        return CHAN_MESSENGER_RETRY;
    root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
    if (json_is_integer(json_object_get(json_object_get(root, "error"), "code")))
        code = json_integer_value(json_object_get(json_object_get(root, "error"), "code"));
    json_decref(root);
    for (i = 0; i < sizeof(temporary) / sizeof(temporary[0]); i++)
        if (code == temporary[i])
            return CHAN_MESSENGER_RETRY;
    return CHAN_MESSENGER_GIVE_UP;
}

json_t *chan_messenger_render(const json_t *reply, const char *user)
{
    json_t *bodies = json_array(), *m, *qrs = NULL, *q, *last;
    const char *link;
    struct chan_part parts[CHAN_TEXT_PARTS_MAX];
    char title[CHAN_MESSENGER_TITLE_MAX * 4 + 1];
    size_t i;
    int np, p;

    if (!bodies)
        return NULL;
    if (json_array_size(json_object_get(reply, "quick_replies"))) {
        qrs = json_array();
        if (!qrs)
            goto fail;
        json_array_foreach(json_object_get(reply, "quick_replies"), i, q)
        {
            const char *t = json_string_value(json_object_get(q, "title"));
            const char *pl = json_string_value(json_object_get(q, "payload"));

            if (!t || !pl || json_array_size(qrs) >= CHAN_MESSENGER_QR_MAX)
                continue;
            if (json_array_append_new(
                    qrs,
                    json_pack("{s:s,s:s,s:s}", "content_type", "text", "title",
                              chan_cut_chars(t, CHAN_MESSENGER_TITLE_MAX, title, sizeof(title)),
                              "payload", pl)))
                goto fail;
        }
    }
    json_array_foreach(json_object_get(reply, "messages"), i, m)
    {
        const char *text = json_string_value(json_object_get(m, "text"));

        if (!text)
            continue;
        np = chan_split_text(text, strlen(text), CHAN_MESSENGER_TEXT_MAX, parts);
        if (np < 0)
            goto fail; /* never send a reply with a message silently missing */
        for (p = 0; p < np; p++)
            if (json_array_append_new(bodies,
                                      json_pack("{s:{s:s},s:s,s:{s:s%}}", "recipient", "id", user,
                                                "messaging_type", "RESPONSE", "message", "text",
                                                text + parts[p].off, parts[p].len)))
                goto fail;
    }
    if ((link = chan_share_link(reply)) &&
        json_array_append_new(bodies, json_pack("{s:{s:s},s:s,s:{s:s+}}", "recipient", "id", user,
                                                "messaging_type", "RESPONSE", "message", "text",
                                                CHAN_SHARE_LEAD, link)))
        goto fail;
    if (qrs && json_array_size(qrs)) {
        if (json_array_size(bodies) == 0 && /* quick replies need a text to hang on */
            json_array_append_new(bodies, json_pack("{s:{s:s},s:s,s:{s:s}}", "recipient", "id",
                                                    user, "messaging_type", "RESPONSE", "message",
                                                    "text", "Bạn chọn một mục dưới đây:")))
            goto fail;
        last = json_object_get(json_array_get(bodies, json_array_size(bodies) - 1), "message");
        if (json_object_set(last, "quick_replies", qrs))
            goto fail;
    }
    json_decref(qrs);
    return bodies;
fail:
    json_decref(qrs);
    json_decref(bodies);
    return NULL;
}

int chan_messenger_officer_render(const char *text, const char *user, long long age_ms,
                                  json_t **out)
{
    struct chan_part parts[CHAN_TEXT_PARTS_MAX];
    json_t *bodies, *b;
    bool tagged = age_ms > CHAN_MESSENGER_STANDARD_MS;
    int np, p;

    *out = NULL;
    if (age_ms > CHAN_MESSENGER_HUMAN_AGENT_MS)
        return -ETIME; /* past HUMAN_AGENT's 7 days the Send API refuses */
    np = chan_split_text(text, strlen(text), CHAN_MESSENGER_TEXT_MAX, parts);
    if (np < 0)
        return np == -E2BIG ? -E2BIG : -EINVAL;
    if (np == 0)
        return -EINVAL;
    bodies = json_array();
    if (!bodies)
        return -ENOMEM;
    for (p = 0; p < np; p++) {
        b = json_pack("{s:{s:s},s:s,s:{s:s%}}", "recipient", "id", user, "messaging_type",
                      tagged ? "MESSAGE_TAG" : "RESPONSE", "message", "text", text + parts[p].off,
                      parts[p].len);
        if (b && tagged && json_object_set_new(b, "tag", json_string("HUMAN_AGENT"))) {
            json_decref(b);
            b = NULL;
        }
        if (json_array_append_new(bodies, b)) {
            json_decref(bodies);
            return -ENOMEM;
        }
    }
    *out = bodies;
    return 0;
}
