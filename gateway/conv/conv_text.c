/* gateway/conv/conv_text.c - see conv_text.h. */
#include "conv_text.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "fold.h"
#include "mc_utf8.h"

char *conv_text_cut(const char *s, size_t max_chars, char *out, size_t cap)
{
    static const char ellipsis[] = "\xE2\x80\xA6"; /* U+2026, one character */
    size_t len = strlen(s), i = 0, chars = 0, keep = 0, space = 0, space_chars = 0;
    bool cut;

    if (cap == 0)
        return out;
    out[0] = '\0';
    if (max_chars == 0)
        return out;
    /* find where max_chars - 1 characters end, and the last space before */
    while (i < len && chars < max_chars) {
        uint32_t cp;
        size_t k = mc_utf8_decode(s + i, len - i, &cp);

        if (k == 0)
            break;
        if (chars == max_chars - 1)
            keep = i;
        if (cp == ' ' && chars > 0) {
            space = i;
            space_chars = chars;
        }
        i += k;
        chars++;
    }
    cut = i < len;
    if (!cut) {
        keep = i;
    } else if (space && space_chars * 2 >= max_chars) {
        keep = space; /* a whole word reads better than half of one */
    }
    if (keep + (cut ? sizeof(ellipsis) - 1 : 0) >= cap) { /* out is smaller than the limit */
        size_t room = cap - 1;

        if (cut)
            room = room >= sizeof(ellipsis) - 1 ? room - (sizeof(ellipsis) - 1) : 0;
        keep = mc_utf8_floor(s, len, room);
    }
    while (keep > 0 && s[keep - 1] == ' ')
        keep--;
    memcpy(out, s, keep);
    out[keep] = '\0';
    if (cut && keep + sizeof(ellipsis) <= cap)
        memcpy(out + keep, ellipsis, sizeof(ellipsis));
    return out;
}

int conv_text_fill(const char *tmpl, const struct conv_text_var *vars, size_t n, struct mc_buf *out)
{
    const char *p = tmpl;
    int rc;

    for (;;) {
        const char *open = strchr(p, '{'), *close;
        size_t name_len, k;
        const char *value = NULL;

        if (!open)
            return mc_buf_puts(out, p);
        rc = mc_buf_append(out, p, (size_t)(open - p));
        if (rc)
            return rc;
        close = strchr(open + 1, '}');
        name_len = close ? (size_t)(close - open - 1) : 0;
        if (close && name_len > 0 && name_len < CONV_TEXT_VAR_NAME_MAX) {
            for (k = 0; k < n; k++) {
                if (strlen(vars[k].name) == name_len &&
                    memcmp(vars[k].name, open + 1, name_len) == 0) {
                    value = vars[k].value;
                    break;
                }
            }
        }
        if (value) {
            rc = mc_buf_puts(out, value);
            p = close + 1;
        } else { /* not a known placeholder: keep the brace and go on after it */
            rc = mc_buf_append(out, open, 1);
            p = open + 1;
        }
        if (rc)
            return rc;
    }
}
