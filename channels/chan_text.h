/* channels/chan_text.h - text helpers shared by the Messenger and Zalo
 * renderers: splitting a long answer at sentence boundaries so each part
 * fits a platform's limit, and cutting a title at a character boundary.
 * Pure functions. */
#ifndef MOTCUA_CHANNELS_CHAN_TEXT_H
#define MOTCUA_CHANNELS_CHAN_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "mc_err.h"

#define CHAN_TEXT_PARTS_MAX 16 /* parts one answer may be split into */

struct chan_part {
    size_t off; /* byte offset in the text */
    size_t len; /* bytes */
};

/* Splits valid UTF-8 text[0..len) into parts of at most max_chars code
 * points, cutting after a sentence end (". ", "? ", "! ", ": ", newline) when
 * one lies in the second half of the window, else at whitespace, else between
 * two characters (never inside an emoji sequence or before a combining mark,
 * unless one such character is longer than max_chars). Nothing is lost: the
 * text is the parts in order with only whitespace (space, newline, tab, CR)
 * between, before and after them; each part is trimmed of it.
 * Returns the number of parts (>= 1 for text that is not all whitespace),
 * -E2BIG if more than CHAN_TEXT_PARTS_MAX parts would be needed, or -EINVAL
 * if max_chars is 0. */
MC_MUST_CHECK int chan_split_text(const char *text, size_t len, size_t max_chars,
                                  struct chan_part parts[CHAN_TEXT_PARTS_MAX]);

/* Copies s into out (cap bytes incl. NUL), keeping at most max_chars code
 * points; returns out. */
char *chan_cut_chars(const char *s, size_t max_chars, char *out, size_t cap);

struct json_t;

/* What precedes the link to the citizen's checklist page in a text channel. */
#define CHAN_SHARE_LEAD "Lưu danh sách hồ sơ của bạn (xem lại, in, lưu ảnh, gửi cho người thân): "

/* The absolute link to the citizen's checklist page a reply carries
 * (checklist.share_link, gateway/share.h) when it is an http(s) URL, else
 * NULL. Borrowed from reply. Messenger and Zalo send it as a message of its
 * own after the reply's texts: a path alone opens nothing there. */
const char *chan_share_link(const struct json_t *reply);

/* Decodes 2*n hex digits of hex into out[0..n). Returns false on a non-hex
 * digit (or a string shorter than 2*n). */
bool chan_hex_decode(const char *hex, unsigned char *out, size_t n);

#endif
