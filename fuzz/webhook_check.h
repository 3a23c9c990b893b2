/* fuzz/webhook_check.h - the checks both webhook harnesses make on what a
 * channel parser or renderer produced (header-only: two harnesses share it). */
#ifndef MOTCUA_FUZZ_WEBHOOK_CHECK_H
#define MOTCUA_FUZZ_WEBHOOK_CHECK_H

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "chan.h"
#include "chan_text.h"
#include "mc_utf8.h"

/* Every event's strings end inside their arrays; what goes on to the
 * understanding is valid UTF-8 (the parsers take JSON strings, which jansson
 * has checked). Aborts otherwise: a finding. */
static inline void webhook_check_events(const struct chan_event *ev, size_t n, size_t max)
{
    size_t i;

    if (n > max)
        abort();
    for (i = 0; i < n; i++) {
        if (memchr(ev[i].user, '\0', sizeof(ev[i].user)) == NULL ||
            memchr(ev[i].event_id, '\0', sizeof(ev[i].event_id)) == NULL ||
            memchr(ev[i].text, '\0', sizeof(ev[i].text)) == NULL)
            abort();
        if (!mc_utf8_is_valid(ev[i].text, strlen(ev[i].text)))
            abort();
        if (ev[i].kind > CHAN_EV_UNFOLLOW)
            abort();
    }
}

/* Every request body of a rendered array dumps as JSON whose text is valid
 * UTF-8 (a cut in the middle of a character would fail here). */
static inline void webhook_check_bodies(const json_t *bodies)
{
    char *text;

    if (!bodies)
        return;
    if (!json_is_array(bodies))
        abort();
    text = json_dumps(bodies, JSON_COMPACT);
    if (!text || !mc_utf8_is_valid(text, strlen(text)))
        abort();
    free(text);
}

/* Code points of UTF-8 s. */
static inline size_t webhook_chars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static inline int webhook_is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

/* chan_split_text's promise (chan_text.h) for valid UTF-8 text[0..len) and
 * windows of max_chars: parts in order, each valid UTF-8, trimmed, and only
 * whitespace between, before and after them: nothing lost. */
static inline void webhook_check_split(const char *text, size_t len, size_t max_chars)
{
    struct chan_part parts[CHAN_TEXT_PARTS_MAX];
    int np = chan_split_text(text, len, max_chars, parts), p;
    size_t at = 0, i;

    if (np < 0)
        return; /* -E2BIG: the renderers refuse the reply rather than drop a part */
    for (p = 0; p < np; p++) {
        if (parts[p].off < at || parts[p].len == 0 || parts[p].len > len - parts[p].off)
            abort();
        for (i = at; i < parts[p].off; i++)
            if (!webhook_is_space(text[i]))
                abort(); /* a character fell between two parts */
        if (!mc_utf8_is_valid(text + parts[p].off, parts[p].len) ||
            webhook_is_space(text[parts[p].off]) ||
            webhook_is_space(text[parts[p].off + parts[p].len - 1]))
            abort();
        at = parts[p].off + parts[p].len;
    }
    for (i = at; i < len; i++)
        if (!webhook_is_space(text[i]))
            abort(); /* the end of the text was dropped */
}

#endif
