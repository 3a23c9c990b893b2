/* gateway/conv/conv_turn.h - private to the conversation engine: one turn in
 * progress, shared by the files that were one conv.c (docs/conversation.md):
 *   conv.c         entry, the dialogue state, the reading order of a typed turn
 *   conv_answer.c  answers from a procedure's guide (card, documents, aspects, FAQ, papers)
 *   conv_flow.c    the step-by-step and pre-check flows, commands, button payloads
 *   conv_where.c   where the citizen lives, the units offered, "nộp ở đâu"
 *   conv_meta.c    answers from no guide: greeting, thanks, officer, meta, clarify, not understood
 * Nothing outside gateway/conv/conv*.c includes this header; conv.h is the
 * module's only entry. Every function here works on the turn t: it writes to
 * t->out (an error is kept in t->out.rc, checked once at the end of the turn)
 * and to the working state t->st, and returns 0 or a negative errno; -ENOENT
 * means "this path has nothing to say", and the caller tries the next one.
 * Runs on the event-loop thread, like conv.h. */
#ifndef MOTCUA_GATEWAY_CONV_TURN_H
#define MOTCUA_GATEWAY_CONV_TURN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "conv.h"
#include "conv_out.h"
#include "conv_parse.h"
#include "conv_text.h"
#include "intent.h"
#include "mc_buf.h"
#include "places.h"

#define CONV_ID_MAX 64            /* bytes of a catalogue id or unit code in a payload */
#define CONV_TEXT_MAX (16 * 1024) /* bytes of one composed message */
#define TURN_FAQ_MEMO 4           /* guides whose FAQ fit is kept per turn (p, q, alternatives) */

/* conv_guide_faq_in(x, t->folded) once worked out this turn (turn_guide_faq()). */
struct turn_faq_memo {
    const struct kb_gtext *x; /* borrowed from the kb */
    const json_t *faq;        /* its answer: borrowed from the kb, or NULL */
};

struct turn {
    const struct conv_ctx *cx;
    json_t *st;                       /* working copy of the state; replaces it on success */
    const struct intent_result *u;    /* NULL for a payload */
    const char *text;                 /* typed text, or NULL */
    const char *ufolded;              /* understanding's folded view, or "" */
    char folded[FOLD_WORDS_TEXT_MAX]; /* our fold of the typed text (keeps "y", place names) */
    struct conv_out out;
    const json_t *default_unit; /* borrowed from the kb: the deployment's unit, when looked up */
    const json_t *office;       /* borrowed from the kb: office of the place in use */
    bool office_loaded;
    json_t *units;    /* owned: communes offered last turn (a choice is valid for one turn) */
    bool await_where; /* last turn asked where the citizen lives to answer "nộp ở đâu" */
    bool where_done;  /* "nộp ở đâu" was answered this turn */
    bool missed;      /* not understood: counts towards the officer offer */
    bool reprompt;    /* an aside inside a flow: repeat the flow's question */
    struct places_span place_span; /* bytes of the text that named a place (len 0: none) */
    struct turn_faq_memo faq_memo[TURN_FAQ_MEMO]; /* for folded as it is: turn_folded_changed() */
    size_t n_faq_memo;
};

/* What reading a place out of a typed message did (turn_try_locality()). */
enum turn_place {
    TURN_PLACE_NONE, /* the text names no place: go on */
    TURN_PLACE_SET,  /* a locality was set: go on if the text asks more */
    TURN_PLACE_ASKED /* we asked which one, or said we found none: the turn is answered */
};

/* ---- the dialogue state (conv.c) ------------------------------------------ */

/* The string under key k of o, borrowed from o, or NULL. */
static inline const char *turn_sget(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* The procedure in context, or NULL. */
static inline const char *turn_proc(const struct turn *t)
{
    return turn_sget(t->st, "procedure");
}

static inline bool turn_flow_is(const struct turn *t, const char *flow)
{
    const char *f = turn_sget(t->st, "flow");

    return f && strcmp(f, flow) == 0;
}

static inline bool turn_in_flow(const struct turn *t)
{
    return turn_sget(t->st, "flow") != NULL;
}

/* Aspect bits (enum intent_aspect) kept in the state under key. */
static inline unsigned turn_bits(const struct turn *t, const char *key)
{
    return (unsigned)json_integer_value(json_object_get(t->st, key));
}

static inline bool turn_is_label(const struct intent_result *u, const char *id)
{
    return strcmp(u->label, id) == 0;
}

/* Sets key in the state; steals v (NULL: an allocation failed, kept in t->out). */
void turn_set(struct turn *t, const char *key, json_t *v);
/* Ends the active flow (steps or pre-check). */
void turn_end_flow(struct turn *t);
/* The conversation is about id from now on; a flow about another procedure ends. */
void turn_set_procedure(struct turn *t, const char *id);
/* Remembers what was asked this turn (aspect bits) and adds it and shown to
 * what the citizen has been shown about the procedure in context. */
void turn_answered(struct turn *t, unsigned asked, unsigned shown);
/* True for a catalogue id or unit code of an acceptable length. */
bool turn_id_ok(const char *id);
/* The guide of id, borrowed from the kb (parsed once at load). Returns 0 or
 * -ENOENT for an unknown id. */
int turn_guide_get(struct turn *t, const char *id, const json_t **g);
/* The folded words of guide g (kb_guide_words(), built with the snapshot),
 * or NULL when g is not a guide of the turn's kb (then fold g on the spot:
 * the JSON forms of conv_topic.h and conv_guide.h). */
const struct kb_gtext *turn_guide_words(struct turn *t, const json_t *g);
/* conv_guide_faq() of g for t->folded (the FAQ entry of g that the typed
 * text asks, borrowed from the kb, or NULL), worked out once per guide and
 * turn: several readings of one message ask it of the same guide. */
const json_t *turn_guide_faq(struct turn *t, const json_t *g);
/* Says that t->folded was replaced (or restored): forgets turn_guide_faq()'s answers. */
static inline void turn_folded_changed(struct turn *t)
{
    t->n_faq_memo = 0;
}
/* turn_guide_get(), and id becomes the procedure in context. */
int turn_with_procedure(struct turn *t, const char *id, const json_t **g);
/* The understanding's answer, read against the dialogue state; place says
 * what turn_try_locality() did with the same message. */
int turn_follow_understanding(struct turn *t, enum turn_place place);

/* ---- answers from a guide (conv_answer.c) --------------------------------- */

/* The buttons of what can be asked about procedure id. */
void turn_qr_menu(struct turn *t, const char *id);
/* Writes one view of guide g (conv_guide_summary, _documents, _steps) as a message. */
int turn_say_guide_text(struct turn *t, const json_t *g,
                        int (*view)(const json_t *, struct mc_buf *));
/* The summary card of guide g. */
int turn_say_card(struct turn *t, const json_t *g);
/* The documents of guide g. */
int turn_say_documents(struct turn *t, const json_t *g);
/* Answers each asked aspect (bits) about g; -ENOENT when none could be. */
int turn_say_aspects(struct turn *t, const json_t *g, unsigned bits);
/* "Còn nữa không" outside a list being read: what has not been shown about g. */
int turn_say_more(struct turn *t, const json_t *g);
/* A follow-up about proc: a fitting FAQ entry, then the asked aspects; -ENOENT
 * when neither answers it. */
int turn_answer_about(struct turn *t, const char *proc, unsigned aspects);
/* A question about one paper of proc; -ENOENT when the message asks about none. */
int turn_answer_document(struct turn *t, const char *proc, unsigned aspects);
/* A procedure the conversation moves to or starts with (other: not the one
 * in context), with understanding's close runner-ups as buttons. */
int turn_answer_new(struct turn *t, const char *id, unsigned aspects, bool other);

/* ---- flows, commands, payloads (conv_flow.c) ------------------------------ */

/* Shows step n of g (clamped to the guide) after an optional note, and makes
 * stepping the active flow; -ENOENT when g has no steps. */
int turn_say_step(struct turn *t, const json_t *g, size_t n, const char *note);
/* Repeats where an active flow stands, after an aside. */
int turn_reprompt(struct turn *t);
/* The command cmd (n: its number) from a button or typed text, where it makes
 * sense; sets *done when the turn is answered. */
int turn_do_command(struct turn *t, enum conv_cmd cmd, unsigned n, bool *done);
/* A quick-reply payload; -ENOENT for an unknown or stale one. */
int turn_handle_payload(struct turn *t, const char *p);

/* ---- where the citizen lives (conv_where.c) ------------------------------- */

/* The place answers are about: the citizen's, else the deployment's
 * (*is_default); borrowed from the state or the kb, or NULL. */
const json_t *turn_place_unit(struct turn *t, bool *is_default);
/* The office of the place in use, borrowed from the kb, or NULL: never
 * another unit's. */
const json_t *turn_place_office(struct turn *t);

/* Whether the citizen stands in the office answers are about: the channel is
 * on site (conv_ctx.on_site, the kiosk) and the place in use is the
 * deployment's own commune (a citizen who named another commune is still
 * sent to that one's centre). */
bool turn_is_here(struct turn *t);
/* A new {code,name,province} of unit, or NULL. */
json_t *turn_locality_json(const json_t *unit);
/* "Nộp ở đâu" about procedure g, with the citizen's office where it applies. */
int turn_say_where(struct turn *t, const json_t *g);
/* "Nộp ở đâu" for the procedure in context, or in general. */
int turn_say_where_any(struct turn *t);
/* The buttons of what to ask once the place is known. */
void turn_offer_place_next(struct turn *t);
/* The unit of code becomes the citizen's locality (a button or a typed choice). */
int turn_choose_unit(struct turn *t, const char *code);
/* Reads a place anywhere in the typed message and says in *res what it did. */
int turn_try_locality(struct turn *t, enum turn_place *res);
/* A typed choice among the units listed last turn; sets *done when it was one. */
int turn_try_unit_choice(struct turn *t, enum conv_cmd cmd, unsigned n, bool *done);
/* After a place was set: the rest of the message understood and answered. */
int turn_after_place(struct turn *t);

/* ---- answers from no guide (conv_meta.c) ---------------------------------- */

/* Buttons for a few common procedures. */
int turn_qr_popular(struct turn *t);
/* The meta answer id (data/meta/<id>.json) with the place's facts filled in. */
int turn_say_meta(struct turn *t, const char *id);
int turn_say_greeting(struct turn *t);
int turn_say_thanks(struct turn *t);
/* "Bạn muốn hỏi về việc nào?" with understanding's candidates; -ENOENT when
 * none is worth a button. */
int turn_say_clarify(struct turn *t);
/* Not understood: what the bot can do; the second time in a row, an officer. */
int turn_say_not_understood(struct turn *t);
/* A guide-less procedure of the portal's list that the message names
 * (kb_portal_for()): what it is, who handles it, its page, an officer. */
struct kb_portal_entry;
int turn_say_known(struct turn *t, const struct kb_portal_entry *e);
/* A question another body handles (kb_referral_for()): which kind of body,
 * in plain words, and an officer; the reply carries "referral". */
struct kb_referral;
int turn_say_referral(struct turn *t, const struct kb_referral *r);

#endif
