/* gateway/conv/conv_guide.h - the words a citizen reads about one procedure,
 * built from its guide (the API's JSON object, data/procedures/SCHEMA.md):
 * the summary and card, the document list, one step or all steps, the
 * answers to follow-up aspects (fee, time, who, form, online, result,
 * legal basis), a
 * pre-check question and the final checklist. All wording of the
 * conversation that depends on a guide lives here (docs/conversation.md
 * says how to change it). Pure functions over jansson values; no I/O.
 * Text functions append to a struct mc_buf and return 0 or its -E2BIG/-ENOMEM. */
#ifndef MOTCUA_GATEWAY_CONV_GUIDE_H
#define MOTCUA_GATEWAY_CONV_GUIDE_H

#include <stddef.h>

#include "mc_buf.h"
#include "mc_err.h"

struct json_t;
struct conv_question;
struct kb_gtext;

#define CONV_GUIDE_CHECKLIST_PARTS                                                                 \
    4 /* summary+ready, missing, unknown/not needed, return reasons */

/* "<name>\n• Cơ quan giải quyết: …\n• Nơi nộp: …\n• Thời gian: …\n• Lệ phí: …". */
MC_MUST_CHECK int conv_guide_summary(const struct json_t *g, struct mc_buf *b);

/* The reply contract's card {id,title,where,time,fee,online,url}, where
 * online is a short sentence ("Nộp trực tuyến được"). New object or NULL. */
struct json_t *conv_guide_card(const struct json_t *g);

/* The reply contract's "documents" block (docs/api.md) for the widget:
 * {procedure,title,items[{id,name,kind,count,when}]}, in the guide's order;
 * "when" is the guide's condition (null: needed by everyone), so a screen
 * can show the common papers first and fold the conditional ones. New
 * object or NULL (out of memory). Implemented in conv_guide_list.c. */
struct json_t *conv_guide_document_block(const struct json_t *g);

/* The reply contract's "steps" block of the whole-steps answer:
 * {procedure,title,items[{n,text}]}. New object or NULL. */
struct json_t *conv_guide_steps_block(const struct json_t *g);

/* The numbered document list, conditional ones marked with their "when". */
MC_MUST_CHECK int conv_guide_documents(const struct json_t *g, struct mc_buf *b);

/* The document of g that the folded text names: the one whose folded name
 * shares the longest run of at least 2 words in a row with it, one of them
 * telling (see conv_guide_faq(): "so do" in "Giấy chứng nhận quyền sử dụng
 * đất (sổ đỏ, sổ hồng)", "can cuoc"); the first on a tie. Borrowed from g, or
 * NULL. The caller leaves the question's own phrases ("giấy tờ", "cần mang") out of folded. */
const struct json_t *conv_guide_document(const struct json_t *g, const char *folded);

/* "Cần (<procedure>): <name> (<kind, count>)." or "Có thể cần …: <name> …
 * — chỉ cần <when>.", then how to get it. Returns 0 or -E2BIG/-ENOMEM. */
MC_MUST_CHECK int conv_guide_document_answer(const struct json_t *g, const struct json_t *doc,
                                             struct mc_buf *b);

/* Number of steps in the guide. */
size_t conv_guide_step_count(const struct json_t *g);

/* The text of step n (1-based), borrowed from g, or NULL when out of range. */
const char *conv_guide_step_text(const struct json_t *g, size_t n);

/* "Bước n/total: <text>". -ENOENT when n is out of range. */
MC_MUST_CHECK int conv_guide_step(const struct json_t *g, size_t n, struct mc_buf *b);

/* Every step, numbered, in one text. */
MC_MUST_CHECK int conv_guide_steps(const struct json_t *g, struct mc_buf *b);

/* The answer to one aspect (one enum intent_aspect bit) from the guide's
 * own fields: fee, time, documents, who, form, online, result, legal
 * (its legal_basis; -ENOENT when it lists none), condition
 * (from the guide's FAQ when one fits the folded question, else -ENOENT),
 * where (the guide's "where" only; offices are the caller's). Returns 0,
 * -ENOENT for an aspect the guide cannot answer, or -E2BIG/-ENOMEM. */
MC_MUST_CHECK int conv_guide_aspect(const struct json_t *g, unsigned bit, const char *folded,
                                    struct mc_buf *b);

/* The FAQ entry {q,a} of g that fits the folded question, borrowed from g,
 * or NULL. Content words are the words that are not stop words; telling
 * words are those that are not words of g's name or short name either
 * (every question about g says those: "giấy chứng nhận" about a
 * certificate). An entry fits when it shares at least 3 content words with
 * the question (or all of a question's 2 or more), one of them telling, and
 * half of its own telling words; or
 * a run of 4 words in a row, 2 of them content words and one telling. The entry that shares most
 * telling words (then content words) wins. */
const struct json_t *conv_guide_faq(const struct json_t *g, const char *folded);

/* conv_guide_aspect(), conv_guide_faq() and conv_guide_document() over the
 * guide's folded words built once with the snapshot (kb_guide_words(); the
 * guide is x->guide): what a turn calls. The JSON forms above fold the
 * guide on every call and are for tests and cold paths. */
MC_MUST_CHECK int conv_guide_aspect_in(const struct kb_gtext *x, unsigned bit, const char *folded,
                                       struct mc_buf *b);
const struct json_t *conv_guide_faq_in(const struct kb_gtext *x, const char *folded);
const struct json_t *conv_guide_document_in(const struct kb_gtext *x, const char *folded);

/* "Câu n/total. Bạn đã có <name> chưa? (<kind, count>)" or the condition's
 * question. */
MC_MUST_CHECK int conv_guide_question(const struct conv_question *q, struct mc_buf *b);

/* The checklist (conv_check_list()) as text for a person, in parts: [0] the
 * totals and what is ready, [1] what is missing and how to get it, [2] what
 * is unknown or not needed, [3] the common return reasons. A part with
 * nothing to say stays empty. parts must be initialised by the caller. */
MC_MUST_CHECK int conv_guide_checklist(const struct json_t *list,
                                       struct mc_buf parts[CONV_GUIDE_CHECKLIST_PARTS]);

/* "bản chính", "bản sao có chứng thực", ... for a document kind; "" if unknown. */
const char *conv_guide_kind_name(const char *kind);

#endif
