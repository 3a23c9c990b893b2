/* intents/rx.c - see rx.h. */
#include "rx.h"

#include <stdio.h>

static void *rx_malloc(PCRE2_SIZE size, void *data)
{
    struct rx_scratch *s = data;
    size_t a = (size + 15) & ~(size_t)15;
    void *p;

    if (a > sizeof(s->buf) - s->used)
        return NULL;
    p = s->buf + s->used;
    s->used += a;
    return p;
}

static void rx_free(void *p, void *data)
{
    (void)p; /* the whole buffer goes when the caller's frame does */
    (void)data;
}

pcre2_code *rx_compile(const char *pattern, unsigned extra, char *why, size_t whylen)
{
    pcre2_code *code;
    PCRE2_SIZE erroff;
    PCRE2_UCHAR msg[120];
    int errcode;

    code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_UCP | extra,
                         &errcode, &erroff, NULL);
    if (!code) {
        pcre2_get_error_message(errcode, msg, sizeof(msg));
        snprintf(why, whylen, "pattern at offset %zu: %s", (size_t)erroff, (const char *)msg);
        return NULL;
    }
    /* JIT is only an optimisation: without it the interpreter runs */
    (void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    return code;
}

pcre2_match_data *rx_match_data(struct rx_scratch *s, unsigned pairs)
{
    pcre2_general_context *gc;

    if (pairs > 16)
        return NULL;
    s->used = 0;
    gc = pcre2_general_context_create(rx_malloc, rx_free, s);
    return gc ? pcre2_match_data_create(pairs, gc) : NULL;
}
