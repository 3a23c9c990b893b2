/* fuzz/fuzz_zalo.c - the Zalo OA wire format (channels/zalo.c), as the
 * webhook and the outbox use it. The first byte's low two bits choose
 * (the seeds use the digits '0'..'3', so they stay text files):
 *   0  a webhook POST body -> chan_zalo_parse, and each event's text ->
 *      chan_zalo_is_payload;
 *   1  "X-ZEvent-Signature header\nbody" -> chan_zalo_signature_ok;
 *   2  a conversation reply (JSON) -> chan_zalo_render with its options;
 *   3  an officer's text -> chan_zalo_officer_render at ages 0, 3 d, 8 d;
 *      and the same bytes as a message/cs response -> chan_zalo_classify.
 * Checks as fuzz_messenger.c, with Zalo's limits: split texts <= 2000
 * characters, <= 5 buttons, button titles <= 100 characters. (The numbered
 * options message is not held to 2000: the conversation's <= 13 quick replies
 * of <= 20 characters keep it far below, and this harness feeds any reply.) */
#include "common.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "webhook_check.h"
#include "zalo.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void check_limits(const json_t *bodies)
{
    const json_t *b, *bt;
    size_t i, j;

    json_array_foreach(bodies, i, b)
    {
        const json_t *msg = json_object_get(b, "message");
        const char *text = json_string_value(json_object_get(msg, "text"));
        const json_t *att = json_object_get(msg, "attachment");
        const json_t *buttons = json_object_get(json_object_get(att, "payload"), "buttons");

        if (!text || (!att && webhook_chars(text) > CHAN_ZALO_TEXT_MAX) ||
            json_array_size(buttons) > CHAN_ZALO_BUTTONS_MAX)
            abort();
        json_array_foreach(buttons, j, bt)
        {
            const char *title = json_string_value(json_object_get(bt, "title"));

            if (!title || webhook_chars(title) > CHAN_ZALO_TITLE_MAX)
                abort();
        }
    }
}

static void officer_render(const char *text)
{
    static const long long ages[] = {0, 3LL * 24 * 3600 * 1000, 8LL * 24 * 3600 * 1000};
    size_t i;

    for (i = 0; i < sizeof(ages) / sizeof(ages[0]); i++) {
        json_t *out = NULL;
        int rc = chan_zalo_officer_render(text, "8765432101234", ages[i], &out);

        if (rc == 0) {
            webhook_check_bodies(out);
            check_limits(out);
        } else if (out)
            abort();
        json_decref(out);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct chan_event ev[1];
    enum chan_zalo_outcome o;
    char *s, *f[2];
    size_t n = 0;
    json_t *reply, *bodies, *opts = NULL;

    if (size < 1)
        return 0;
    s = fuzz_strndup(data + 1, size - 1);
    switch (data[0] & 3) {
    case 0:
        if (chan_zalo_parse((const char *)data + 1, size - 1, ev, &n) == 0) {
            webhook_check_events(ev, n, 1);
            if (n)
                (void)chan_zalo_is_payload(ev[0].text);
        }
        break;
    case 1:
        fuzz_fields(s, f, 2);
        /* the secret is not in the input: a pass would be a forged MAC */
        if (f[1] &&
            chan_zalo_signature_ok("4321", "fuzz-secret-not-in-input", f[1], strlen(f[1]), f[0]))
            abort();
        break;
    case 2:
        reply = json_loadb((const char *)data + 1, size - 1, 0, NULL);
        bodies = reply ? chan_zalo_render(reply, "8765432101234", &opts) : NULL;
        webhook_check_bodies(bodies);
        check_limits(bodies);
        webhook_check_bodies(opts);
        json_decref(opts);
        json_decref(bodies);
        json_decref(reply);
        break;
    default:
        officer_render(s);
        o = chan_zalo_classify((const char *)data + 1, size - 1);
        if (o > CHAN_ZALO_GIVE_UP)
            abort();
        break;
    }
    free(s);
    return 0;
}
