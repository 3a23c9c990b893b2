/* common/mc_mask.h - masks personal data in free text before it is logged
 * or stored in conversation records: phone, ID (CCCD, CMND), bank account,
 * card, passport, BHXH and tax numbers and licence plates (spaced, dotted,
 * glued to a word as in "sdt0912345678", with letters for digits, or read
 * out in words), e-mail addresses (also "a at gmail dot com"), house numbers
 * ("số 12 ngõ 34", "123/4 Lê Lợi"), the village of someone who lives there,
 * and names a citizen gives ("tôi tên là …"). Digits are replaced by '*'
 * except the last 2 of a number; e-mail local parts and house numbers by '*';
 * a name by "***". Dates, fees, legal citations, form and procedure codes and
 * public hotlines stay. Measured on tests/privacy/pii.tsv and pii-c.tsv
 * (tests/unit/test_mask.c); docs/privacy.md says what and why.
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
