/* fuzz/fuzz_messenger.c - the Messenger wire format (channels/messenger.c),
 * as the webhook and the outbox use it. The first byte's low two bits choose
 * (the seeds use the digits '0'..'3', so they stay text files):
 *   0  a webhook POST body -> chan_messenger_each (what the webhook walks:
 *      every event, none dropped) and chan_messenger_parse (up to
 *      CHAN_EVENTS_MAX); the same bytes as a Send API answer ->
 *      chan_messenger_classify with the status 200, 400 or 500;
 *   1  "X-Hub-Signature-256 header\nbody" -> chan_messenger_signature_ok;
 *   2  a conversation reply (JSON) -> chan_messenger_render;
 *   3  an officer's text -> chan_messenger_officer_render at ages 0, 25 h, 8 d,
 *      and (from the second byte on, valid UTF-8) -> chan_split_text in
 *      windows of 1..64 characters (the second byte).
 * Checks: events within their arrays and valid UTF-8; rendered bodies valid
 * JSON and UTF-8 within Messenger's limits (texts <= 2000 characters, <= 13
 * quick replies, titles <= 20 characters); a forged signature never passes;
 * a split text loses nothing (webhook_check_split). */
#include "common.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "messenger.h"
#include "webhook_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* Messenger's limits on every request body the renderers make. */
static void check_limits(const json_t *bodies)
{
    const json_t *b, *qr;
    size_t i, j;

    json_array_foreach(bodies, i, b)
    {
        const json_t *msg = json_object_get(b, "message");
        const char *text = json_string_value(json_object_get(msg, "text"));
        const json_t *qrs = json_object_get(msg, "quick_replies");

        if (!text || webhook_chars(text) > CHAN_MESSENGER_TEXT_MAX ||
            json_array_size(qrs) > CHAN_MESSENGER_QR_MAX)
            abort();
        json_array_foreach(qrs, j, qr)
        {
            const char *title = json_string_value(json_object_get(qr, "title"));

            if (!title || webhook_chars(title) > CHAN_MESSENGER_TITLE_MAX)
                abort();
        }
    }
}

/* Each event the walker hands over is checked as parse's are; counted. */
static int each_event(void *ctx, const struct chan_event *e)
{
    webhook_check_events(e, 1, 1);
    ++*(size_t *)ctx;
    return 0;
}

static void officer_render(const char *text)
{
    static const long long ages[] = {0, 25LL * 3600 * 1000, 8LL * 24 * 3600 * 1000};
    size_t i;

    for (i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
        json_t *out = NULL;
        int rc = chan_messenger_officer_render(text, "1234567890", ages[i], &out);

        if (rc == 0) {
            webhook_check_bodies(out);
            check_limits(out);
        } else if (out)
            abort(); /* nothing is returned with an error */
        json_decref(out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct chan_event *ev;
    char *s, *f[2];
    static const int statuses[] = {200, 400, 500};
    size_t n = 0, walked, i;
    json_t *reply, *bodies;
    int rc, rc2;

    if (size < 1)
        return 0;
    s = fuzz_strndup(data + 1, size - 1);
    switch (data[0] & 3) {
    case 0:
        ev = calloc(CHAN_EVENTS_MAX, sizeof(*ev));
        if (!ev)
            abort();
        rc = chan_messenger_parse((const char *)data + 1, size - 1, ev, CHAN_EVENTS_MAX, &n);
        if (rc == 0 || rc == -E2BIG)
            webhook_check_events(ev, n, CHAN_EVENTS_MAX);
        free(ev);
        walked = 0;
        rc2 = chan_messenger_each((const char *)data + 1, size - 1, each_event, &walked);
        if ((rc == 0 && (rc2 != 0 || walked != n)) || (rc == -E2BIG && walked <= n))
            abort(); /* the array and the walk must see the same events */
        for (i = 0; i < 3; i++)
            if (chan_messenger_classify(statuses[i], (const char *)data + 1, size - 1) >
                CHAN_MESSENGER_GIVE_UP)
                abort();
        break;
    case 1:
        fuzz_fields(s, f, 2);
        /* the secret is not in the input: a pass would be a forged HMAC */
        if (f[1] &&
            chan_messenger_signature_ok("fuzz-secret-not-in-input", f[1], strlen(f[1]), f[0]))
            abort();
        break;
    case 2:
        reply = json_loadb((const char *)data + 1, size - 1, 0, NULL);
        bodies = reply ? chan_messenger_render(reply, "1234567890") : NULL;
        webhook_check_bodies(bodies);
        check_limits(bodies);
        json_decref(bodies);
        json_decref(reply);
        break;
    default:
        officer_render(s);
        if (size > 2 && mc_utf8_is_valid((const char *)data + 2, size - 2))
            webhook_check_split((const char *)data + 2, size - 2, 1 + data[1] % 64);
        break;
    }
    free(s);
    return 0;
}
