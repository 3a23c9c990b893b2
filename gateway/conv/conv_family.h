/* gateway/conv/conv_family.h - clarifying a family request: "làm giấy tờ nhà
 * đất", "đk cư trú", "cấp lại giấy bị mất" name a family of procedures
 * (kb_family.h, data/families.json), not one, and get a short choice with one
 * line per option saying how they differ, as quick replies proc:<id>, never a
 * guess. The next turn's answer ("1", "cái đầu", "sang tên", a button) picks
 * the option.
 *
 * The rule (docs/conversation.md, "Families"): a family whose trigger occurs
 * in the message wins over any label of understanding, however confident,
 * unless the message's other words say more:
 *   - they name exactly one of its options (a whole name or alias of the
 *     guide, else the best word overlap with the option's title, line, name
 *     and aliases): that procedure is meant, no clarification;
 *   - they name several: the choice narrows to those;
 *   - they name none, but the turn is about something else (understanding
 *     matched a procedure outside the family, or a procedure is in context):
 *     no clarification;
 *   - nothing beyond the family's words: the whole choice.
 * Inside a conversation about one of its options a family is never asked.
 * Words are read from the understanding's folded view (teencode expanded),
 * leaving out stop words (fold_words.h) and aspect phrases ("lệ phí", "ở đâu").
 *
 * State: the offer stores "pending":{"kind":"family","family":id,
 * "options":[ids]} in the session state; it is valid for the next turn only.
 * Runs on the event-loop thread (reads the kb's families, loaded at open). */
#ifndef MOTCUA_GATEWAY_CONV_FAMILY_H
#define MOTCUA_GATEWAY_CONV_FAMILY_H

#include <stdbool.h>
#include <stddef.h>

#include "kb_family.h"
#include "mc_err.h"

#define CONV_FAMILY_WORDS_MAX 96 /* words of a message read; a longer one is cut */

struct kb;
struct intent_result;
struct json_t;
struct conv_out;

/* A family to offer and which of its options. */
struct conv_family_pick {
    const struct kb_family *family;    /* borrowed from the kb */
    size_t opt[KB_FAMILY_OPTIONS_MAX]; /* indices into family->options, file order */
    size_t n;                          /* >= 2 */
};

/* Applies the rule above to u (its folded view, aspects, label) with
 * context_proc (may be NULL) the procedure the conversation is about.
 * Returns true and fills *pick when a family should be offered. */
bool conv_family_match(const struct kb *kb, const struct intent_result *u, const char *context_proc,
                       struct conv_family_pick *pick);

/* Writes the choice to out (one text part: a question and "n. line" per
 * option; one quick reply "proc:<id>" per option) and stores the pending
 * choice in state. Failures are kept in out->rc (conv_out.h). */
void conv_family_say(const struct conv_family_pick *pick, struct json_t *state,
                     struct conv_out *out);

/* conv_family_match(), then conv_family_say() when it matches. Sets *offered. */
void conv_family_offer(const struct kb *kb, const struct intent_result *u, const char *context_proc,
                       struct json_t *state, struct conv_out *out, bool *offered);

/* Reads and removes the pending family choice of state (every turn calls it:
 * a choice is valid for one turn). When there was one and u answers it - an
 * ordinal ("2", "cái đầu", "thứ hai", "cái cuối"), words that name one option
 * best ("sang tên", "bản sao"), or understanding's label among the options -
 * returns that option's catalogue id (borrowed from the kb); else NULL. u may
 * be NULL (a button turn): only removes. */
const char *conv_family_take_choice(const struct kb *kb, struct json_t *state,
                                    const struct intent_result *u);

#endif
