/* gateway/conv/conv_out.c - see conv_out.h. */
#include "conv_out.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv_text.h"

int conv_out_init(struct conv_out *out)
{
    out->rc = 0;
    out->reply = json_pack("{s:[],s:[],s:n}", "messages", "quick_replies", "procedure");
    return out->reply ? 0 : -ENOMEM;
}

void conv_out_fini(struct conv_out *out)
{
    json_decref(out->reply);
    out->reply = NULL;
}

void conv_out_fail(struct conv_out *out, int rc)
{
    if (!out->rc && rc)
        out->rc = rc;
}

/* {k1: v1[, k2: v2]} with string values (k2 NULL: one member), built
 * directly: json_pack() parses its format on each of the several calls per
 * turn. A new object, or NULL when memory ran out or a value is not UTF-8
 * (as json_pack() would). */
static json_t *str_object(const char *k1, const char *v1, const char *k2, const char *v2)
{
    json_t *o = json_object();

    if (!o || json_object_set_new_nocheck(o, k1, json_string(v1)) ||
        (k2 && json_object_set_new_nocheck(o, k2, json_string(v2)))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

void conv_out_text(struct conv_out *out, const char *text)
{
    json_t *m;

    if (out->rc || !text || !text[0])
        return;
    m = str_object("text", text, NULL, NULL);
    if (!m || json_array_append_new(json_object_get(out->reply, "messages"), m))
        conv_out_fail(out, -ENOMEM);
}

void conv_out_textf(struct conv_out *out, const char *fmt, ...)
{
    va_list ap;
    char *s;
    int n;

    if (out->rc)
        return;
    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || n > CONV_MSG_MAX) {
        conv_out_fail(out, n < 0 ? -EINVAL : -E2BIG);
        return;
    }
    s = malloc((size_t)n + 1);
    if (!s) {
        conv_out_fail(out, -ENOMEM);
        return;
    }
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    conv_out_text(out, s);
    free(s);
}

void conv_out_buf(struct conv_out *out, struct mc_buf *b)
{
    if (b->len)
        conv_out_text(out, b->data);
    mc_buf_reset(b);
}

void conv_out_qr(struct conv_out *out, const char *title, const char *payload_fmt, ...)
{
    char t[CONV_QR_TITLE_MAX * 4 + 1], payload[CONV_PAYLOAD_MAX + 1];
    json_t *qrs = json_object_get(out->reply, "quick_replies"), *q;
    va_list ap;
    size_t i;
    int n;

    if (out->rc || json_array_size(qrs) >= CONV_QR_MAX)
        return;
    va_start(ap, payload_fmt);
    n = vsnprintf(payload, sizeof(payload), payload_fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(payload))
        return; /* a payload we could not parse back is worse than no button */
    json_array_foreach(qrs, i, q)
    {
        if (strcmp(json_string_value(json_object_get(q, "payload")), payload) == 0)
            return;
    }
    conv_text_cut(title, CONV_QR_TITLE_MAX, t, sizeof(t));
    if (!t[0])
        return;
    q = str_object("title", t, "payload", payload);
    if (!q || json_array_append_new(qrs, q))
        conv_out_fail(out, -ENOMEM);
}

unsigned conv_out_qr_count(const struct conv_out *out)
{
    return (unsigned)json_array_size(json_object_get(out->reply, "quick_replies"));
}

void conv_out_set(struct conv_out *out, const char *key, json_t *value)
{
    if (!value) {
        conv_out_fail(out, -ENOMEM);
        return;
    }
    if (out->rc) {
        json_decref(value);
        return;
    }
    if (json_object_set_new(out->reply, key, value))
        conv_out_fail(out, -ENOMEM);
}
