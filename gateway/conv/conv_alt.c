/* gateway/conv/conv_alt.c - see conv_alt.h. */
#include "conv_alt.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "conv_out.h"
#include "intent.h"
#include "kb.h"
#include "mc_utf8.h"

#define ALT_TITLE_MAX 256 /* bytes of a title before conv_out_qr() cuts it */

/* The button title for short name s: without a trailing " (...)" when s is
 * longer than a title may be ("Nhập hộ khẩu (đăng ký thường trú)" -> "Nhập
 * hộ khẩu"); conv_out_qr() cuts what is still too long. */
static const char *alt_title(const char *s, char *buf, size_t cap)
{
    const char *open = strstr(s, " (");
    size_t n = open ? (size_t)(open - s) : 0;

    if (!open || n == 0 || n >= cap || mc_utf8_count(s, strlen(s)) <= CONV_QR_TITLE_MAX ||
        s[strlen(s) - 1] != ')')
        return s;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

void conv_alt_offer(const struct kb *kb, const struct intent_result *u, const char *answered,
                    struct conv_out *out)
{
    size_t i;

    if (u->decision != INTENT_MATCH || !answered || strcmp(u->label, answered) != 0)
        return;
    for (i = 1; i <= u->n_alternatives && i < u->n_candidates && !out->rc; i++) {
        const char *id = u->candidates[i].label, *title;
        char buf[ALT_TITLE_MAX];
        const json_t *g;

        if (strcmp(id, answered) == 0)
            continue;
        g = kb_guide(kb, id); /* parsed once at kb_open (style rule 18), not per turn */
        if (!g)
            continue; /* not a procedure with a guide */
        title = json_string_value(json_object_get(g, "short_name"));
        if (!title || !title[0])
            title = json_string_value(json_object_get(g, "name"));
        if (title)
            conv_out_qr(out, alt_title(title, buf, sizeof(buf)), "proc:%s", id);
    }
}
