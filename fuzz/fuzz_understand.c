/* fuzz/fuzz_understand.c - normalisation and understanding (intents/) with
 * the real index built from data/ once per process, and the conversation
 * turn each message leads to (gateway/conv/, as router.c runs it). The input
 * is up to FUZZ_TURNS lines, one turn each, the dialogue state carried over;
 * a line starting with '@' is a quick-reply payload (what a WebSocket
 * postback, a Messenger quick reply or a Zalo button sends), any other line
 * typed text. Checks: the masked copy router.c stores (mc_mask_pii) stays
 * valid UTF-8; norm_text's views are NUL-terminated within bounds;
 * the understanding's confidences are in [0, 1] and its entity spans inside
 * the text (they mask personal data in the original); every reply is valid
 * UTF-8 JSON with at most CONV_QR_MAX quick replies, titles of at most
 * CONV_QR_TITLE_MAX characters and payloads of at most CONV_PAYLOAD_MAX bytes. */
#include "common.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "conv.h"
#include "conv_out.h"
#include "intent.h"
#include "kb.h"
#include "mc_buf.h"
#include "mc_mask.h"
#include "mc_utf8.h"
#include "norm.h"

#define FUZZ_TURNS 6 /* turns of one input: enough to enter a flow and leave it */

static struct kb *kb;
static struct intent_index *idx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_kb_open(&kb, &idx);
    return 0;
}

static size_t utf8_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void check_norm(const char *text, size_t len)
{
    struct norm_tokens *t = malloc(sizeof(*t));
    size_t i;

    if (!t)
        abort();
    if (norm_text(text, len, t) == 0) {
        if (t->acc_len >= NORM_TEXT_MAX || t->fold_len >= NORM_TEXT_MAX ||
            t->acc[t->acc_len] != '\0' || t->fold[t->fold_len] != '\0' ||
            t->n_tok > NORM_MAX_TOKENS)
            abort();
        for (i = 0; i < t->n_tok; i++)
            if ((size_t)t->tok[i].acc + t->tok[i].acc_len > t->acc_len ||
                (size_t)t->tok[i].fold + t->tok[i].fold_len > t->fold_len)
                abort();
    }
    free(t);
}

/* What router.c stores of every turn: the masked text, still valid UTF-8. */
static void check_mask(const char *text, size_t len)
{
    struct mc_buf masked;

    mc_buf_init(&masked, INTENT_MAX_INPUT * 2);
    if (mc_mask_pii(text, len, &masked) == 0 &&
        !mc_utf8_is_valid(masked.data ? masked.data : "", masked.len))
        abort();
    mc_buf_fini(&masked);
}

static void check_understanding(const struct intent_result *u, size_t len)
{
    char *line = NULL;
    size_t i;

    if (!u->label || u->confidence < 0.0 || u->confidence > 1.0 ||
        u->n_candidates > INTENT_MAX_CANDIDATES || u->n_entities > INTENT_MAX_ENTITIES ||
        !memchr(u->normalized, '\0', sizeof(u->normalized)) ||
        !memchr(u->folded, '\0', sizeof(u->folded)))
        abort();
    for (i = 0; i < u->n_candidates; i++)
        if (!u->candidates[i].label || u->candidates[i].confidence < 0.0 ||
            u->candidates[i].confidence > 1.0)
            abort();
    for (i = 0; i < u->n_entities; i++)
        if (u->entities[i].start > len || u->entities[i].len > len - u->entities[i].start)
            abort();
    if (intent_result_to_json(u, &line) == 0 && !mc_utf8_is_valid(line, strlen(line)))
        abort();
    free(line);
}

static void check_reply(const json_t *reply)
{
    const json_t *qrs = json_object_get(reply, "quick_replies"), *qr;
    char *text = json_dumps(reply, JSON_COMPACT);
    size_t i;

    if (!text || !mc_utf8_is_valid(text, strlen(text)) ||
        !json_is_array(json_object_get(reply, "messages")))
        abort();
    free(text);
    if (json_array_size(qrs) > CONV_QR_MAX)
        abort();
    json_array_foreach(qrs, i, qr)
    {
        const char *title = json_string_value(json_object_get(qr, "title"));
        const char *payload = json_string_value(json_object_get(qr, "payload"));

        if (!title || !payload || utf8_chars(title) > CONV_QR_TITLE_MAX ||
            strlen(payload) > CONV_PAYLOAD_MAX)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct conv_ctx cx = {kb, NULL, idx, false};
    struct intent_result *u = malloc(sizeof(*u));
    json_t *state = json_object(), *reply;
    char *s = fuzz_strndup(data, size), *lines[FUZZ_TURNS];
    size_t n = fuzz_fields(s, lines, FUZZ_TURNS), i;

    if (!u || !state)
        abort();
    for (i = 0; i < n; i++) {
        const char *line = lines[i];
        size_t len = strlen(line);
        struct conv_turn turn = {NULL, NULL, NULL};

        if (line[0] == '@') {
            /* every channel hands conv valid UTF-8 of at most INTENT_MAX_INPUT bytes */
            if (len - 1 > INTENT_MAX_INPUT || !mc_utf8_is_valid(line + 1, len - 1))
                continue;
            turn.payload = line + 1;
            check_mask(line + 1, len - 1);
        } else {
            check_norm(line, len);
            if (mc_utf8_is_valid(line, len))
                check_mask(line, len);
            if (intent_match(idx, line, len, u) != 0)
                continue; /* refused as the router refuses it: -EINVAL, -E2BIG */
            check_understanding(u, len);
            turn.u = u;
            turn.text = line;
        }
        reply = NULL;
        if (conv_handle(&cx, state, &turn, &reply) == 0)
            check_reply(reply);
        json_decref(reply);
    }
    json_decref(state);
    free(u);
    free(s);
    return 0;
}
