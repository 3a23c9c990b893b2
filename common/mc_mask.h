/* common/mc_mask.h - masks personal data in free text before it is logged
 * or stored in conversation records: ID card numbers (9 or 12 digits), phone
 * numbers (9-11 digits, +84 forms; spaced, dotted or glued to a word as in
 * "sdt0912345678"), e-mail addresses, house numbers ("số 12 ngõ 34",
 * "123/4 Lê Lợi") and names a citizen gives ("tôi tên là …"). Digits are
 * replaced by '*' except the last 2 of a phone or ID; e-mail local parts and
 * house numbers by '*'; a name by "***". Dates, fees, form and procedure
 * codes stay. Measured on tests/privacy/pii.tsv (tests/unit/test_mask.c).
 * Pure function. */
#ifndef MOTCUA_COMMON_MC_MASK_H
#define MOTCUA_COMMON_MC_MASK_H

#include <stddef.h>

#include "mc_buf.h"
#include "mc_err.h"

/* Appends the masked copy of s[0..len) to out. Returns 0, -E2BIG or -ENOMEM
 * from out. */
MC_MUST_CHECK int mc_mask_pii(const char *s, size_t len, struct mc_buf *out);

#endif
