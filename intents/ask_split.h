/* intents/ask_split.h - where the second question of a message starts.
 *
 * Citizens ask two things in one message: "cấp lại căn cước bị mất thì làm
 * sao, và tiện hỏi luôn báo mất điện thoại bị trộm ở đâu", "đăng ký xe máy
 * mới mua ở đâu, tiện thể hỏi mức phạt không đội mũ bảo hiểm". Read whole,
 * the out-of-scope half's topic can drown the covered half, and the message
 * is declined although one of its questions has a guide. This finds an
 * explicit seam between two questions, so that each half can be read on its
 * own (intent_match(): a message declined or unsure as a whole answers the
 * one half that is surely covered when the other is out of scope;
 * docs/understanding.md, "Two questions in one message"). Pure text
 * scanning on the message as typed: no allocation, no I/O. */
#ifndef MOTCUA_INTENTS_ASK_SPLIT_H
#define MOTCUA_INTENTS_ASK_SPLIT_H

#include <stddef.h>

/* The seam between two questions in text[0..len): a clause mark (",;") then
 * a joining word ("và", "với cả", "với lại", "còn"), or "tiện hỏi", "tiện
 * thể", "thứ hai" anywhere after the first word, or a question mark with
 * words after it. Returns the byte offset where the second question's first
 * word starts and sets *first_end to the end of the first question (before
 * the mark); 0 when there is no seam or when either side has fewer than
 * min_words words. The first seam counts. Letters are compared without case
 * (ASCII) and as typed otherwise ("và" and "va" are both joining words). */
size_t ask_split(const char *text, size_t len, size_t min_words, size_t *first_end);

#endif
