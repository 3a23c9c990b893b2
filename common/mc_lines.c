/* common/mc_lines.c - see mc_lines.h. */
#include "mc_lines.h"

#include <errno.h>
#include <string.h>

void mc_lines_init(struct mc_lines *it, const char *text, size_t len)
{
    it->p = text;
    it->end = text ? text + len : NULL;
    it->lineno = 0;
}

int mc_lines_next(struct mc_lines *it, char *out, size_t cap, size_t *len)
{
    const char *nl;
    size_t ll;

    while (it->p && it->p < it->end) {
        it->lineno++;
        nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
        ll = nl ? (size_t)(nl - it->p) : (size_t)(it->end - it->p);
        if (ll >= cap)
            return -E2BIG;
        memcpy(out, it->p, ll);
        out[ll] = '\0';
        it->p += ll + (nl ? 1 : 0);
        if (ll && out[ll - 1] == '\r')
            out[--ll] = '\0';
        if (ll == 0 || out[0] == '#')
            continue;
        if (memchr(out, '\0', ll))
            return -EINVAL;
        *len = ll;
        return 1;
    }
    return 0;
}
