/* common/mc_err.c - see mc_err.h. */
#include "mc_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mc_utf8.h"

void mc_err_set(struct mc_err *err, const char *fmt, ...)
{
    va_list ap;
    int m;

    if (!err)
        return;
    va_start(ap, fmt);
    m = vsnprintf(err->text, sizeof(err->text), fmt, ap);
    va_end(ap);
    if (m < 0) {
        err->text[0] = '\0';
        return;
    }
    /* vsnprintf may cut inside a multi-byte character; a person reads this,
     * so never leave half a Vietnamese letter at the end (a whole one stays) */
    if ((size_t)m >= sizeof(err->text))
        err->text[mc_utf8_trim_partial(err->text, strlen(err->text))] = '\0';
}

void mc_err_clear(struct mc_err *err)
{
    if (err)
        err->text[0] = '\0';
}
