/* fuzz/fuzz_mask.c - the personal-data masker (common/mc_mask.h) on raw
 * bytes, as every citizen text passes it before it is stored or logged. The
 * input is copied into a buffer of exactly its size (no terminator), so a
 * rule that reads one byte past the text is an ASan report. Checks: the
 * masked copy of valid UTF-8 is valid UTF-8 (a rule must mask whole
 * characters) and is never longer than 3 bytes per input byte (a name's
 * first byte becomes "***"). */
#include "common.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mc_mask.h"
#include "mc_utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size ? size : 1);
    struct mc_buf out;
    int rc;

    if (!copy)
        abort();
    if (size)
        memcpy(copy, data, size);
    mc_buf_init(&out, size * 3 + 1);
    rc = mc_mask_pii(copy, size, &out);
    if (rc == -E2BIG)
        abort(); /* the cap allows the longest masked copy */
    if (!rc && (out.len > size * 3 || (mc_utf8_is_valid(copy, size) &&
                                       !mc_utf8_is_valid(out.data ? out.data : "", out.len))))
        abort();
    mc_buf_fini(&out);
    free(copy);
    return 0;
}
