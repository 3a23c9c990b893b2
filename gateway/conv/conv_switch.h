/* gateway/conv/conv_switch.h - the one rule that decides whether a typed
 * follow-up inside a conversation about procedure P moves to another
 * procedure Q (the understanding's label) or stays a question about P
 * (docs/conversation.md, "Dialogue state"). The understanding knows nothing
 * of the conversation and reacts to keywords ("VNeID", "giấy", "hồ sơ", "thẻ
 * …"); the conversation switches only when the message clearly asks for Q.
 * The facts are measured by the caller (conv.c) from the message's topic
 * words (conv_parse_topic()) and the two guides; the decision is a pure
 * function of them, so it is unit tested on invented cases. */
#ifndef MOTCUA_GATEWAY_CONV_SWITCH_H
#define MOTCUA_GATEWAY_CONV_SWITCH_H

#include <stdbool.h>
#include <stddef.h>

/* What is known about one typed follow-up. */
struct conv_switch_facts {
    bool in_context;    /* a procedure P is in context */
    bool same;          /* the understanding's label is P itself */
    double confidence;  /* the understanding's confidence in Q */
    size_t topic_words; /* words left once aspect phrases, stop words, particles go */
    bool asks_aspect;   /* the message asks an aspect (fee, documents, online, ...) */
    bool names_p;       /* the topic covers one of P's names (name, short name, alias) */
    bool names_q;       /* the topic covers one of Q's names */
    bool q_within_p;    /* ... by a name that holds a name of P it covers and says more */
    bool covered_by_p;  /* every topic word occurs in P's own guide (its papers, channels, FAQ) */
    bool faq_fits_p;    /* one of P's FAQ questions fits the message */
    bool correction;    /* the message corrects the last one ("à nhầm, ý tôi là ...") */
};

enum conv_switch {
    CONV_STAY,  /* a question about P */
    CONV_SWITCH /* the conversation is about Q from now on */
};

/* The rule, in order (the first that applies decides):
 *   1. nothing in context, or Q is P            -> switch (to Q) / stay
 *   1b. a correction the understanding is sure of -> switch ("à không phải, ý tôi là X")
 *   2. P's own FAQ anticipates the question      -> stay ("phải khai báo tạm vắng không" about tạm
 * trú)
 *   3. no topic words: a bare aspect question    -> stay ("mất bao nhiêu tiền")
 *   4. the topic names P, and no Q that specialises P (a longer name of Q holding a name of P
 *      the topic covers)                         -> stay ("khai tử xong có phải xóa thường trú
 *      không"; not "làm liên thông khai sinh" about khai sinh)
 *   5. the topic names Q, unless it is a paper or channel of P asked about in an aspect
 *      question ("cần mang căn cước không" about khai sinh)        -> switch
 *   6. the understanding is sure (>= CONV_SWITCH_MIN), the message is not an aspect
 *      question, and its topic words are not all P's own words    -> switch
 *   6b. the understanding is all but certain (>= CONV_SWITCH_SURE), the message asks an aspect of
 *      at least CONV_SWITCH_SURE_WORDS topic words that are not all P's own   -> switch ("đi tù
 *      về muốn đi làm lại cần giấy gì" after khai sinh: a phrase an admin taught)
 *   7. otherwise                                 -> stay */
enum conv_switch conv_switch_decide(const struct conv_switch_facts *f);

#endif
