/* intents/rx.h - what every PCRE2 user in intents/ shares: compiling a
 * pattern the one way Vietnamese needs it (PCRE2_UTF | PCRE2_UCP, so \b and
 * \w know "đ" and "ữ"; plus JIT) and getting a match_data block without
 * touching the heap, carved from a buffer on the caller's stack, so matching
 * stays allocation-free and thread safe. */
#ifndef MOTCUA_INTENTS_RX_H
#define MOTCUA_INTENTS_RX_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdalign.h>
#include <stddef.h>

#define RX_SCRATCH 2048 /* bytes: a general context plus match data for <= 16 pairs */

struct rx_scratch {
    alignas(max_align_t) unsigned char buf[RX_SCRATCH];
    size_t used;
};

/* Compiles pattern (NUL-terminated) with PCRE2_UTF | PCRE2_UCP | extra
 * options, then JIT-compiles it when the CPU allows. Returns the code (free
 * with pcre2_code_free()) or NULL with the PCRE2 message and offset in
 * why[0..whylen). */
pcre2_code *rx_compile(const char *pattern, unsigned extra, char *why, size_t whylen);

/* Returns match data for up to pairs (<= 16) capture pairs, allocated in s
 * (which the caller declares on its stack), or NULL if s is too small. Valid
 * while s is; nothing to free. */
pcre2_match_data *rx_match_data(struct rx_scratch *s, unsigned pairs);

#endif
