/* channels/zalo.c - see zalo.h. */
#include "zalo.h"

#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chan_text.h"
#include "mc_buf.h"

#define ZALO_TS_MAX 32 /* bytes of a timestamp */

/* A string or integer field as text (ids and timestamps arrive as either). */
static bool field_text(json_t *o, const char *key, char *out, size_t cap)
{
    json_t *v = json_object_get(o, key);

    if (json_is_string(v)) {
        if (json_string_length(v) >= cap)
            return false;
        memcpy(out, json_string_value(v), json_string_length(v) + 1);
        return true;
    }
    if (json_is_integer(v))
        return snprintf(out, cap, "%" JSON_INTEGER_FORMAT, json_integer_value(v)) < (int)cap;
    return false;
}

bool chan_zalo_signature_ok(const char *app_id, const char *oa_secret, const char *body, size_t len,
                            const char *header)
{
    unsigned char md[EVP_MAX_MD_SIZE], want[32];
    const char *hex;
    unsigned int md_len = 0;
    char ts[ZALO_TS_MAX];
    json_t *root;
    EVP_MD_CTX *ctx;
    bool ok = false;

    if (!app_id || !app_id[0] || !oa_secret || !oa_secret[0] || !header ||
        strncmp(header, "mac=", sizeof "mac=" - 1) != 0)
        return false;
    hex = header + sizeof "mac=" - 1;
    if (strlen(hex) != 2 * sizeof(want) || !chan_hex_decode(hex, want, sizeof(want)))
        return false;
    root = json_loadb(body, len, 0, NULL);
    if (!root || !field_text(root, "timestamp", ts, sizeof(ts))) {
        json_decref(root);
        return false;
    }
    json_decref(root);
    /* a plain SHA-256 of the concatenation, not an HMAC (see docs/channels.md) */
    ctx = EVP_MD_CTX_new();
    if (ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
        EVP_DigestUpdate(ctx, app_id, strlen(app_id)) && EVP_DigestUpdate(ctx, body, len) &&
        EVP_DigestUpdate(ctx, ts, strlen(ts)) &&
        EVP_DigestUpdate(ctx, oa_secret, strlen(oa_secret)) &&
        EVP_DigestFinal_ex(ctx, md, &md_len) && md_len == 32)
        ok = CRYPTO_memcmp(md, want, 32) == 0;
    EVP_MD_CTX_free(ctx);
    return ok;
}

bool chan_zalo_is_payload(const char *t)
{
    static const char *const words[] = {"next", "prev", "cancel", "restart", "checklist"};
    size_t i, n = strlen(t);

    for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strcmp(t, words[i]) == 0)
            return true;
    if (n < 3 || n > 96 || !strchr(t, ':'))
        return false;
    for (i = 0; i < n; i++)
        if (!(islower((unsigned char)t[i]) || isdigit((unsigned char)t[i]) || t[i] == '-' ||
              t[i] == ':'))
            return false;
    return islower((unsigned char)t[0]);
}

/* Zalo ids are 64-bit-ish numbers that some senders write unquoted; jansson
 * refuses integers past int64 and a double would lose digits. Every bare
 * integer of ZALO_BIG_DIGITS or more digits outside a string is therefore
 * quoted before parsing (the signature is checked on the raw body). Returns
 * a new NUL-terminated copy, or NULL. */
#define ZALO_BIG_DIGITS 16

static char *quote_big_ints(const char *s, size_t len)
{
    struct mc_buf b;
    bool in_str = false, esc = false;
    size_t i = 0, j;

    mc_buf_init(&b, len * 2 + 1);
    while (i < len) {
        char c = s[i];

        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c >= '0' && c <= '9' && (i == 0 || !strchr("0123456789.eE+-", s[i - 1]))) {
            for (j = i; j < len && s[j] >= '0' && s[j] <= '9'; j++)
                ;
            if (j - i >= ZALO_BIG_DIGITS && (j == len || !strchr(".eE", s[j]))) {
                if (mc_buf_append(&b, "\"", 1) || mc_buf_append(&b, s + i, j - i) ||
                    mc_buf_append(&b, "\"", 1))
                    goto fail;
                i = j;
                continue;
            }
        }
        if (mc_buf_append(&b, &c, 1))
            goto fail;
        i++;
    }
    return mc_buf_steal(&b);
fail:
    mc_buf_fini(&b);
    return NULL;
}

int chan_zalo_parse(const char *body, size_t len, struct chan_event *out, size_t *n)
{
    char *quoted = quote_big_ints(body, len);
    json_t *root = quoted ? json_loads(quoted, 0, NULL) : NULL, *msg;
    const char *name;
    char ts[ZALO_TS_MAX];
    struct chan_event *e = out;

    free(quoted);
    *n = 0;
    if (!root || !json_is_object(root) ||
        !(name = json_string_value(json_object_get(root, "event_name")))) {
        json_decref(root);
        return -EINVAL;
    }
    memset(e, 0, sizeof(*e));
    /* follow/unfollow name the citizen in follower.id and carry no sender
     * (Zalo's webhook reference, docs/channels.md) */
    if (strncmp(name, "oa_", sizeof "oa_" - 1) == 0 || strcmp(name, "user_received_message") == 0 ||
        strcmp(name, "user_seen_message") == 0 ||
        !(field_text(json_object_get(root, "sender"), "id", e->user, sizeof(e->user)) ||
          ((strcmp(name, "follow") == 0 || strcmp(name, "unfollow") == 0) &&
           field_text(json_object_get(root, "follower"), "id", e->user, sizeof(e->user))))) {
        json_decref(root); /* our own echoes and receipts: nothing to answer */
        return 0;
    }
    msg = json_object_get(root, "message");
    if (!field_text(msg, "msg_id", e->event_id, sizeof(e->event_id))) {
        /* follow/unfollow carry no msg_id: the event, user and time identify it */
        if (!field_text(root, "timestamp", ts, sizeof(ts)))
            ts[0] = '\0';
        snprintf(e->event_id, sizeof(e->event_id), "%.40s-%.100s-%.30s", name, e->user, ts);
    }
    if (strcmp(name, "user_send_text") == 0 || strcmp(name, "anonymous_send_text") == 0) {
        const char *text = json_string_value(json_object_get(msg, "text"));

        if (!text)
            text = "";
        if (strlen(text) > CHAN_TEXT_MAX)
            e->too_long = 1;
        else
            memcpy(e->text, text, strlen(text) + 1);
        e->kind = chan_zalo_is_payload(e->text) ? CHAN_EV_POSTBACK : CHAN_EV_TEXT;
    } else if (strcmp(name, "follow") == 0) {
        e->kind = CHAN_EV_FOLLOW;
    } else if (strcmp(name, "unfollow") == 0) {
        e->kind = CHAN_EV_UNFOLLOW;
    } else if (strncmp(name, "user_send_", sizeof "user_send_" - 1) == 0) {
        e->kind = CHAN_EV_UNSUPPORTED;
    } else {
        json_decref(root);
        return 0;
    }
    *n = 1;
    json_decref(root);
    return 0;
}

json_t *chan_zalo_render(const json_t *reply, const char *user, json_t **options)
{
    struct chan_part parts[CHAN_TEXT_PARTS_MAX];
    json_t *bodies = json_array(), *m, *q, *buttons = json_array(), *opts = json_array();
    char title[CHAN_ZALO_TITLE_MAX * 4 + 1], line[160];
    const char *link;
    struct mc_buf last; /* the numbered options, one per line */
    size_t i;
    int np, p;

    mc_buf_init(&last, CHAN_TEXT_MAX);
    if (!bodies || !buttons || !opts)
        goto fail;
    json_array_foreach(json_object_get(reply, "messages"), i, m)
    {
        const char *text = json_string_value(json_object_get(m, "text"));

        if (!text)
            continue;
        np = chan_split_text(text, strlen(text), CHAN_ZALO_TEXT_MAX, parts);
        if (np < 0)
            goto fail; /* never send a reply with a message silently missing */
        for (p = 0; p < np; p++)
            if (json_array_append_new(bodies, json_pack("{s:{s:s},s:{s:s%}}", "recipient",
                                                        "user_id", user, "message", "text",
                                                        text + parts[p].off, parts[p].len)))
                goto fail;
    }
    if ((link = chan_share_link(reply)) &&
        json_array_append_new(bodies, json_pack("{s:{s:s},s:{s:s+}}", "recipient", "user_id", user,
                                                "message", "text", CHAN_SHARE_LEAD, link)))
        goto fail;
    json_array_foreach(json_object_get(reply, "quick_replies"), i, q)
    {
        const char *t = json_string_value(json_object_get(q, "title"));
        const char *pl = json_string_value(json_object_get(q, "payload"));
        int n;

        if (!t || !pl)
            continue;
        n = snprintf(line, sizeof(line), "\n%zu. %s", json_array_size(opts) + 1, t);
        if (n < 0 || (size_t)n >= sizeof(line) || mc_buf_append(&last, line, (size_t)n) != 0)
            break; /* more options than fit one message: the first ones are enough */
        /* numbered only once its line is in the text: "3" always means option 3 */
        if (json_array_append_new(opts, json_pack("{s:s,s:s}", "title", t, "payload", pl)))
            goto fail;
        if (json_array_size(buttons) < CHAN_ZALO_BUTTONS_MAX &&
            json_array_append_new(
                buttons, json_pack("{s:s,s:s,s:s}", "title",
                                   chan_cut_chars(t, CHAN_ZALO_TITLE_MAX, title, sizeof(title)),
                                   "type", "oa.query.show", "payload", t)))
            goto fail;
    }
    /* numbered options are a message of their own, carrying the buttons:
     * they work whether or not a client shows buttons */
    if (json_array_size(opts) &&
        json_array_append_new(
            bodies, json_pack("{s:{s:s},s:{s:s+,s:{s:s,s:{s:O}}}}", "recipient", "user_id", user,
                              "message", "text", "Gõ số để chọn:", last.data ? last.data : "",
                              "attachment", "type", "template", "payload", "buttons", buttons)))
        goto fail;
    json_decref(buttons);
    mc_buf_fini(&last);
    if (options)
        *options = opts;
    else
        json_decref(opts);
    return bodies;
fail:
    mc_buf_fini(&last);
    json_decref(bodies);
    json_decref(buttons);
    json_decref(opts);
    return NULL;
}

enum chan_zalo_outcome chan_zalo_classify(const char *body, size_t len)
{
    /* Zalo's OA API answers HTTP 200 with {"error": n} (docs/channels.md,
     * "Retries", with sources). Temporary: -32 (request limit exceeded), -50
     * (rate limit), -100 (unknown error, "try again later"). Everything else
     * is about this message, this citizen or our configuration and will not
     * change by waiting: retrying it for an hour would hold back every later
     * reply to the same citizen (one in flight per citizen, in order). */
    static const int temporary[] = {-32, -50, -100};
    json_t *root = json_loadb(body, len, 0, NULL);
    json_int_t code;
    size_t i;

    if (!root || !json_is_integer(json_object_get(root, "error"))) {
        json_decref(root);
        return CHAN_ZALO_RETRY; /* not the API's answer (a proxy page?): try again later */
    }
    code = json_integer_value(json_object_get(root, "error"));
    json_decref(root);
    if (code == 0)
        return CHAN_ZALO_OK;
    if (code == -216)
        return CHAN_ZALO_TOKEN_EXPIRED;
    for (i = 0; i < sizeof(temporary) / sizeof(temporary[0]); i++)
        if (code == temporary[i])
            return CHAN_ZALO_RETRY;
    return CHAN_ZALO_GIVE_UP;
}

int chan_zalo_officer_render(const char *text, const char *user, long long age_ms, json_t **out)
{
    struct chan_part parts[CHAN_TEXT_PARTS_MAX];
    json_t *bodies;
    int np, p;

    *out = NULL;
    if (age_ms > CHAN_ZALO_CS_WINDOW_MS)
        return -ETIME; /* no consultation message after 7 days */
    np = chan_split_text(text, strlen(text), CHAN_ZALO_TEXT_MAX, parts);
    if (np < 0)
        return np == -E2BIG ? -E2BIG : -EINVAL;
    if (np == 0)
        return -EINVAL;
    bodies = json_array();
    if (!bodies)
        return -ENOMEM;
    for (p = 0; p < np; p++)
        if (json_array_append_new(bodies, json_pack("{s:{s:s},s:{s:s%}}", "recipient", "user_id",
                                                    user, "message", "text", text + parts[p].off,
                                                    parts[p].len))) {
            json_decref(bodies);
            return -ENOMEM;
        }
    *out = bodies;
    return 0;
}
