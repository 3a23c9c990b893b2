/* common/mc_utf8.h - strict UTF-8 checks and decoding (RFC 3629: no
 * overlongs, no surrogates, nothing above U+10FFFF). Pure functions. */
#ifndef MOTCUA_COMMON_MC_UTF8_H
#define MOTCUA_COMMON_MC_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True if s[0..len) is valid UTF-8 and holds no NUL byte (our text never
 * legitimately does, and a NUL would cut C strings short later). */
bool mc_utf8_is_valid(const char *s, size_t len);

/* Decodes one code point at s (len bytes available) into *cp and returns
 * the number of bytes it used, or 0 if the sequence is invalid or cut. */
size_t mc_utf8_decode(const char *s, size_t len, uint32_t *cp);

/* Encodes cp into out (room for 4 bytes); returns the bytes written, or 0
 * for a surrogate or a value above U+10FFFF. */
size_t mc_utf8_encode(uint32_t cp, char out[4]);

/* The largest n <= limit such that s[0..n) ends on a code point boundary, for
 * cutting valid UTF-8 s[0..len) that a person will read. */
size_t mc_utf8_floor(const char *s, size_t len, size_t limit);

/* The length of s[0..n) without the incomplete code point a byte cut may
 * have left at its end, for a prefix of valid UTF-8 whose next byte is
 * unknown (snprintf output). A complete last character is kept. */
size_t mc_utf8_trim_partial(const char *s, size_t n);

/* Number of code points in valid UTF-8 s[0..len). */
size_t mc_utf8_count(const char *s, size_t len);

#endif
