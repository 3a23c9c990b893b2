/* common/mc_err.c - see mc_err.h. */
#include "mc_err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void mc_err_set(struct mc_err *err, const char *fmt, ...)
{
    va_list ap;
    size_t n;

    if (!err)
        return;
    va_start(ap, fmt);
    vsnprintf(err->text, sizeof(err->text), fmt, ap);
    va_end(ap);
    /* vsnprintf may cut inside a multi-byte character; a person reads this,
     * so never leave half a Vietnamese letter at the end. */
    n = strlen(err->text);
    if (n == sizeof(err->text) - 1) {
        while (n > 0 && ((unsigned char)err->text[n - 1] & 0xC0) == 0x80)
            n--;
        if (n > 0 && ((unsigned char)err->text[n - 1] & 0x80))
            n--;
        err->text[n] = '\0';
    }
}

void mc_err_clear(struct mc_err *err)
{
    if (err)
        err->text[0] = '\0';
}
