/* intents/ask_clause.h - where the request of a long message starts.
 *
 * Citizens often tell what was already done before they ask ("đăng ký kết
 * hôn ở xã rồi, giờ chồng bỏ đi, em muốn ly hôn thì nộp ở đâu"; "chứng thực
 * bản sao xong tôi muốn hợp pháp hóa lãnh sự"). The procedure named in the
 * background need not be what they want now; a time pivot ("giờ", "bây
 * giờ", "xong") separates the background from the request. This finds
 * the last such pivot, so that the request can be read on its own
 * (intent_match(): a request that is out of scope by itself is declined).
 * Pure text scanning on the message as typed: no allocation, no I/O. */
#ifndef MOTCUA_INTENTS_ASK_CLAUSE_H
#define MOTCUA_INTENTS_ASK_CLAUSE_H

#include <stddef.h>

/* Byte offset in text[0..len) of the first word after the last time pivot
 * that has at least min_words words after it and at least one word before
 * it; 0 when there is none. *words_after (may be NULL) gets the number of
 * words from that offset to the end. Words are runs of bytes between
 * spaces and the marks ",.!?;:()\"\n\t"; letters are compared without case
 * (ASCII) and as typed otherwise ("giờ" and "gio" are both pivots). Not a
 * pivot: a clock time or a question about time ("mấy giờ", "8 giờ", "bao
 * giờ", "giờ làm việc", "đến giờ"). */
size_t ask_clause(const char *text, size_t len, size_t min_words, size_t *words_after);

#endif
