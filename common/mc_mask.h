/* common/mc_mask.h - masks personal data in free text before it is logged
 * or stored in conversation records: ID card numbers (9 or 12 digits), phone
 * numbers (9-11 digits, +84 forms), e-mail addresses, dossier codes keep
 * their shape. Digits are replaced by '*' except the last 2; e-mail local
 * parts by '*'. Pure function. */
#ifndef MOTCUA_COMMON_MC_MASK_H
#define MOTCUA_COMMON_MC_MASK_H

#include <stddef.h>

#include "mc_buf.h"
#include "mc_err.h"

/* Appends the masked copy of s[0..len) to out. Returns 0, -E2BIG or -ENOMEM
 * from out. */
MC_MUST_CHECK int mc_mask_pii(const char *s, size_t len, struct mc_buf *out);

#endif
