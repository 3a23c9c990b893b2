/* gateway/conv/conv_check.h - the dossier pre-check as data: which question is
 * next, what an answer means, and the final checklist, computed from a
 * procedure guide (the API's JSON object) and the answers given so far.
 *
 * The answers live in the session state as
 *   {"a": {doc id: "y"|"n"|"u"},   answers to "do you have this document?"
 *    "c": {doc id: "y"|"n"|"u"},   answers to "does this condition apply?"
 *    "log": ["c:<doc id>"|"d:<doc id>", ...]}   the order, for going back
 * and everything else (statuses, the pending question) is derived by walking
 * the guide's documents in order, so a guide edited between two turns never
 * leaves a dangling index. A conditional document (one with "when"/"ask") is
 * asked as a yes/no condition first and the document itself only when the
 * condition applies; documents sharing the same "ask" text share one answer.
 * Pure functions over jansson values; no I/O. */
#ifndef MOTCUA_GATEWAY_CONV_CHECK_H
#define MOTCUA_GATEWAY_CONV_CHECK_H

#include <stddef.h>

#include "mc_err.h"

struct json_t;

enum conv_answer {
    CONV_ANSWER_YES,    /* "Có": I have it / the condition applies */
    CONV_ANSWER_NO,     /* "Chưa có" / "Không" */
    CONV_ANSWER_UNKNOWN /* "Không rõ" */
};

enum conv_question_kind {
    CONV_Q_DOCUMENT, /* "Bạn đã có ... chưa?" */
    CONV_Q_CONDITION /* the document's "ask" question */
};

struct conv_question {
    enum conv_question_kind kind;
    size_t n;                 /* 1-based position of the document in the guide */
    size_t total;             /* documents in the guide */
    const struct json_t *doc; /* borrowed from the guide: the document asked about */
};

/* A new, empty pre-check state (json_decref()), or NULL. */
struct json_t *conv_check_new(void);

/* Walks the guide's documents against check. When statuses is not NULL it
 * gets {doc id: "ready"|"missing"|"unknown"|"not_needed"} for every document
 * decided so far. Returns 1 with *q set to the pending question, 0 when every
 * document has a status (the checklist is complete), or -ENOMEM. */
MC_MUST_CHECK int conv_check_walk(const struct json_t *guide, const struct json_t *check,
                                  struct conv_question *q, struct json_t *statuses);

/* Records answer a to the pending question. Returns 0, -ENOENT when no
 * question is pending, or -ENOMEM. */
MC_MUST_CHECK int conv_check_answer(const struct json_t *guide, struct json_t *check,
                                    enum conv_answer a);

/* Forgets the last answer, so its question is pending again. Returns 0, or
 * -ENOENT when nothing was answered yet. */
MC_MUST_CHECK int conv_check_undo(struct json_t *check);

/* The checklist of the reply contract for procedure guide and statuses (as
 * conv_check_walk() writes them; a document without a status is "unknown"):
 *   {"procedure","title","complete","url":"/thu-tuc/<id>",
 *    "items":[{"id","name","status","kind","count","how_to_get","form"}],
 *    "return_reasons":[...]}
 * complete is true when every item is ready or not needed. Returns a new
 * object (json_decref()) or NULL on -ENOMEM. */
struct json_t *conv_check_list(const struct json_t *guide, const struct json_t *statuses);

#endif
