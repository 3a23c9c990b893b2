/* gateway/conv/conv.c - see conv.h and docs/conversation.md.
 *
 * One turn: payloads are explicit and handled directly. Typed text is read
 * in this order, because understanding is trained on procedures and knows
 * nothing of the conversation: a choice among communes we just listed, a
 * command or answer that the active flow expects ("tiếp", "chưa có"), a
 * statement of where the citizen lives, and only then the understanding's
 * label, with follow-up aspects ("lệ phí bao nhiêu") answered about the
 * procedure in context even when the label is weak. An aside inside a flow
 * (thanks, a fee question) is answered and the flow's question repeated.
 *
 * This file holds the entry, the dialogue state and that reading order
 * (handle_text, turn_follow_understanding); the answers it chooses are in the
 * other files of gateway/conv/ listed in conv_turn.h. */
#include "conv.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "conv_family.h"
#include "conv_guide.h"
#include "conv_out.h"
#include "conv_parse.h"
#include "conv_switch.h"
#include "conv_text.h"
#include "conv_topic.h"
#include "conv_turn.h"
#include "fold_words.h"
#include "intent.h"
#include "kb.h"
#include "kb_portal.h"
#include "kb_referral.h"
#include "kb_gtext.h"
#include "mc_log.h"

/* ---- state -------------------------------------------------------------- */

void turn_set(struct turn *t, const char *key, json_t *v)
{
    if (!v || json_object_set_new(t->st, key, v))
        conv_out_fail(&t->out, -ENOMEM);
}

void turn_end_flow(struct turn *t)
{
    json_object_del(t->st, "flow");
    json_object_del(t->st, "step");
    json_object_del(t->st, "check");
}

/* The conversation is about id from now on; a flow about another procedure ends. */
void turn_set_procedure(struct turn *t, const char *id)
{
    const char *cur = turn_proc(t);

    if (cur && strcmp(cur, id) == 0)
        return;
    turn_end_flow(t);
    json_object_del(t->st, "await");
    json_object_del(t->st, "shown");
    json_object_del(t->st, "pending");
    turn_set(t, "procedure", json_string(id));
}

/* Remembers what was asked this turn and adds it to what the citizen has
 * been shown about the procedure in context. */
void turn_answered(struct turn *t, unsigned asked, unsigned shown)
{
    if (asked)
        turn_set(t, "asked", json_integer((json_int_t)asked));
    turn_set(t, "shown", json_integer((json_int_t)(turn_bits(t, "shown") | shown | asked)));
}

/* Brings a state from an older or damaged shape to CONV_STATE_VERSION. */
static void state_normalise(struct turn *t)
{
    json_t *v = json_object_get(t->st, "v");
    const char *proc = turn_proc(t);

    if (json_is_integer(v) && json_integer_value(v) == CONV_STATE_VERSION)
        return;
    if (json_is_integer(v) && json_integer_value(v) == 1) {
        /* v2 only adds keys ("asked", "shown", "pending"): v1 is kept as it is */
        turn_set(t, "v", json_integer(CONV_STATE_VERSION));
        return;
    }
    if (!v && proc) { /* the first, minimal conversation kept only the procedure */
        json_t *keep = json_string(proc);

        json_object_clear(t->st);
        turn_set(t, "procedure", keep);
    } else {
        json_object_clear(t->st);
    }
    turn_set(t, "v", json_integer(CONV_STATE_VERSION));
}

/* ---- knowledge ---------------------------------------------------------- */

bool turn_id_ok(const char *id)
{
    size_t n = strlen(id);

    return n > 0 && n < CONV_ID_MAX;
}

/* The guide of id, borrowed from the kb (parsed once at load). Returns 0 or
 * -ENOENT for an unknown id. */
int turn_guide_get(struct turn *t, const char *id, const json_t **g)
{
    *g = turn_id_ok(id) ? kb_guide(t->cx->kb, id) : NULL;
    return *g ? 0 : -ENOENT;
}

const struct kb_gtext *turn_guide_words(struct turn *t, const json_t *g)
{
    const struct kb_gtext *x = g ? kb_guide_words(t->cx->kb, turn_sget(g, "id")) : NULL;

    return x && x->guide == g ? x : NULL;
}

const json_t *turn_guide_faq(struct turn *t, const json_t *g)
{
    const struct kb_gtext *x = turn_guide_words(t, g);
    const json_t *faq;
    size_t i;

    if (!x)
        return conv_guide_faq(g, t->folded);
    for (i = 0; i < t->n_faq_memo; i++)
        if (t->faq_memo[i].x == x)
            return t->faq_memo[i].faq;
    faq = conv_guide_faq_in(x, t->folded);
    if (t->n_faq_memo < TURN_FAQ_MEMO) {
        t->faq_memo[t->n_faq_memo].x = x;
        t->faq_memo[t->n_faq_memo].faq = faq;
        t->n_faq_memo++;
    }
    return faq;
}

/* The guide of id, borrowed from the kb, or NULL. */
static const json_t *guide_load(struct turn *t, const char *id)
{
    return turn_id_ok(id) ? kb_guide(t->cx->kb, id) : NULL;
}

int turn_with_procedure(struct turn *t, const char *id, const json_t **g)
{
    int rc = turn_guide_get(t, id, g);

    if (rc)
        return rc;
    turn_set_procedure(t, id);
    return 0;
}

/* ---- typed text --------------------------------------------------------- */

static double confidence_of(const struct intent_result *u, const char *id)
{
    size_t i;

    for (i = 0; i < u->n_candidates; i++)
        if (strcmp(u->candidates[i].label, id) == 0)
            return u->candidates[i].confidence;
    return 0;
}

/* Measures the facts of conv_switch.h for a follow-up that the
 * understanding reads as procedure q, and applies the one rule. */
static enum conv_switch switch_to(struct turn *t, const char *q, unsigned aspects,
                                  const char *topic)
{
    struct conv_switch_facts f = {0};
    const char *p = turn_proc(t);
    const json_t *gp, *gq;
    const struct kb_gtext *xp, *xq;
    enum conv_switch d;

    f.in_context = p != NULL;
    f.same = p && strcmp(p, q) == 0;
    if (!f.in_context || f.same)
        return conv_switch_decide(&f);
    f.confidence = confidence_of(t->u, q);
    f.correction = conv_parse_correction(t->folded);
    f.topic_words = fold_words_count(topic, strlen(topic));
    f.asks_aspect = (aspects & ~(unsigned)(INTENT_ASPECT_STEPS | INTENT_ASPECT_CONDITION)) != 0;
    gp = guide_load(t, p);
    gq = guide_load(t, q);
    xp = turn_guide_words(t, gp);
    xq = turn_guide_words(t, gq);
    if (gp) {
        f.names_p = xp ? conv_topic_names_in(xp, topic, true) : conv_topic_names(gp, topic, true);
        f.covered_by_p = xp ? conv_topic_covered_in(xp, topic) : conv_topic_covered(gp, topic);
        f.faq_fits_p = turn_guide_faq(t, gp) != NULL;
    }
    f.names_q =
        gq && (xq ? conv_topic_names_in(xq, topic, true) : conv_topic_names(gq, topic, true));
    f.q_within_p = f.names_q && gp &&
                   (xq && xp ? conv_topic_names_within_in(xq, xp, topic)
                             : conv_topic_names_within(gq, gp, topic));
    d = conv_switch_decide(&f);
    return d;
}

/* conv_topic_names() of g, from its folded words when the kb has them. */
static bool names_guide(struct turn *t, const json_t *g, const char *topic, bool aliases)
{
    const struct kb_gtext *x = turn_guide_words(t, g);

    return x ? conv_topic_names_in(x, topic, aliases) : conv_topic_names(g, topic, aliases);
}

/* conv_topic_asked() of g, likewise. */
static unsigned asked_of(struct turn *t, const json_t *g)
{
    const struct kb_gtext *x = turn_guide_words(t, g);

    return x ? conv_topic_asked_in(x, t->u) : conv_topic_asked(g, t->u);
}

/* The procedure the understanding points at, or NULL: its label, or for a
 * clarification its best candidate. */
static const char *understood_procedure(struct turn *t)
{
    const struct intent_result *u = t->u;

    if (u->decision == INTENT_MATCH && kb_is_procedure(t->cx->kb, u->label))
        return u->label;
    if (u->decision == INTENT_CLARIFY && u->n_candidates > 0 &&
        kb_is_procedure(t->cx->kb, u->candidates[0].label))
        return u->candidates[0].label;
    return NULL;
}

/* True when the topic words name procedure q outright by its name or
 * everyday name, and no other candidate by any of its names ("đăng ký khai
 * sinh" while understanding hesitates between khai sinh and its
 * re-registration; not "giấy tờ nhà đất", which several land procedures
 * answer to). */
static bool names_understood(struct turn *t, const char *q, const char *topic)
{
    const json_t *g = guide_load(t, q);
    bool yes = g && names_guide(t, g, topic, false);
    size_t i;

    for (i = 0; yes && i < t->u->n_candidates; i++) {
        if (strcmp(t->u->candidates[i].label, q) == 0)
            continue;
        g = guide_load(t, t->u->candidates[i].label);
        yes = !(g && names_guide(t, g, topic, true));
    }
    return yes;
}

/* True when topic (folded words, at most a few) is not empty and every
 * word of it is a word of procedure p's guide. */
static bool topic_in_guide(struct turn *t, const char *p, const char *topic)
{
    const struct kb_gtext *x = kb_guide_words(t->cx->kb, p);
    struct fold_word w[CONV_TOPIC_IN_GUIDE_MAX + 1];
    size_t n, i;

    if (!x || !topic[0])
        return false;
    n = fold_words_split(topic, strlen(topic), true, w, CONV_TOPIC_IN_GUIDE_MAX + 1, NULL);
    if (n == 0 || n > CONV_TOPIC_IN_GUIDE_MAX)
        return false;
    for (i = 0; i < n; i++)
        if (!kb_gtext_has_word(x, &w[i]))
            return false;
    return true;
}

/* The understanding's answer, read against the dialogue state
 * (docs/conversation.md, "Dialogue state", step 5). */
int turn_follow_understanding(struct turn *t, enum turn_place place)
{
    const struct intent_result *u = t->u;
    const char *proc = turn_proc(t), *q = understood_procedure(t);
    const json_t *g = NULL;
    /* what is asked outside the procedure's own name ("mai táng phí" asks no fee) */
    unsigned aspects =
        conv_parse_aspects(q && turn_guide_get(t, q, &g) == 0 ? asked_of(t, g) : u->aspects);
    /* "none" this sure wins over our keywords ("giá vàng bao nhiêu tiền"); "thế
     * nào" alone is too weak a keyword to hold against a milder "none" */
    bool weak = !(aspects & ~(unsigned)(INTENT_ASPECT_STEPS | INTENT_ASPECT_CONDITION));
    bool sure_none =
        u->decision == INTENT_NONE && u->confidence >= (weak ? CONV_OOS_SURE : CONV_OOS_CERTAIN);
    const struct kb_portal_entry *known;
    char topic[FOLD_WORDS_TEXT_MAX];
    bool follow, offered;
    int rc;

    conv_parse_topic(u, topic, sizeof(topic));
    /* a bare question ("lệ phí bao nhiêu", nothing but question words) names no
     * other subject: with a procedure in context it is about that procedure,
     * however sure understanding is that it names no procedure itself */
    if (sure_none && proc && aspects && topic[0] == '\0')
        sure_none = false;
    /* nor does an aspect asked with words P's own guide uses ("thuế phí bao
     * nhiêu" while transferring land: its fee names the taxes), however sure a
     * topic rule made "none" out of context */
    if (sure_none && proc && aspects && topic_in_guide(t, proc, topic))
        sure_none = false;
    /* nor does a question one of P's own FAQ entries anticipates ("có phải về
     * quê xin không") */
    if (sure_none && proc && turn_guide_get(t, proc, &g) == 0 && turn_guide_faq(t, g))
        sure_none = false;
    /* a paper of P asked about ("sổ đỏ có cần nộp không") is about P, whatever
     * procedure or family the paper's name suggests */
    if (proc) {
        rc = turn_answer_document(t, proc, aspects);
        if (rc != -ENOENT)
            return rc;
    }
    /* a family named, none of its procedures ("làm giấy tờ nhà đất"): a choice,
     * not a guess, however sure understanding is (conv_family.h) */
    conv_family_offer(t->cx->kb, u, proc, t->st, &t->out, &offered);
    if (offered) {
        turn_end_flow(t);
        return 0;
    }
    /* "tôi đang tạm trú ở phường X" states where the citizen lives: with a
     * procedure in context it is not a request for the residence procedure */
    if (q && proc && (place == TURN_PLACE_SET || switch_to(t, q, aspects, topic) == CONV_STAY)) {
        if (strcmp(q, proc) == 0 && u->decision == INTENT_MATCH)
            return turn_answer_new(t, q, aspects, false);
        rc = turn_answer_about(t, proc, aspects);
        if (rc != -ENOENT)
            return rc;
        if (place == TURN_PLACE_SET) {
            turn_offer_place_next(t);
            return 0;
        }
        return turn_say_not_understood(t);
    }
    /* a procedure the portal lists that we have no guide for, named by its
     * official words: what it is and who handles it, not a neighbour's guide
     * or "not understood" (kb_portal_for(), the rule `motcua ask` reports) */
    known = kb_portal_for(kb_portal(t->cx->kb), u);
    if (known)
        return turn_say_known(t, known);
    if (q && (u->decision == INTENT_MATCH || proc || names_understood(t, q, topic)))
        return turn_answer_new(t, q, aspects, !proc || strcmp(proc, q) != 0);
    if (u->decision == INTENT_MATCH) { /* a meta intent */
        if (turn_is_label(u, "chao-hoi"))
            return turn_say_greeting(t);
        if (turn_is_label(u, "cam-on"))
            return turn_say_thanks(t);
        /* "hồ sơ gồm gì" about the procedure in context is its documents,
         * not the dossier-status lookup its words resemble */
        if (proc && aspects && !turn_is_label(u, "noi-nop-ho-so") &&
            !turn_is_label(u, "gap-can-bo") &&
            !(turn_is_label(u, "tra-cuu-ho-so") && conv_parse_lookup(t->folded))) {
            rc = turn_answer_about(t, proc, aspects);
            if (rc != -ENOENT)
                return rc;
        }
        t->reprompt = true;
        if (turn_is_label(u, "noi-nop-ho-so"))
            return turn_say_where_any(t);
        if (turn_is_label(u, "nop-truc-tuyen") && proc) {
            rc = turn_guide_get(t, proc, &g);
            if (rc != -ENOENT)
                return rc ? rc : turn_say_aspects(t, g, INTENT_ASPECT_ONLINE);
        }
        return turn_say_meta(t, u->label);
    }
    if (place == TURN_PLACE_SET) { /* "tôi ở phường X" ... and maybe "thì nộp ở đâu" */
        if (proc && aspects) {
            rc = turn_answer_about(t, proc, aspects);
            if (rc != -ENOENT)
                return rc;
        } else if (aspects & INTENT_ASPECT_WHERE && !t->where_done) {
            t->where_done = true;
            return turn_say_where_any(t);
        }
        turn_offer_place_next(t);
        return 0;
    }
    /* a question about the procedure in context, unless it names another subject */
    follow = proc && !sure_none;
    if (follow) {
        rc = turn_answer_about(t, proc, aspects);
        if (rc != -ENOENT)
            return rc;
    }
    /* declined, and another body handles it: say which (kb_referral.h), not
     * "I don't understand" nor "where do you submit" for its "ở đâu". With a
     * procedure in context, only for a question that names a subject of its
     * own: a short one the guide could not answer ("quá hạn có bị phạt không"
     * after khai sinh asks about registering late, not about the sanctions
     * desk) goes to a person below */
    if (u->decision == INTENT_NONE &&
        (!proc || fold_words_count(topic, strlen(topic)) > CONV_REFERRAL_CONTEXT_WORDS)) {
        const struct kb_referral *ref = kb_referral_for(kb_referrals(t->cx->kb), u);
        if (ref)
            return turn_say_referral(t, ref);
    }
    if (u->decision == INTENT_CLARIFY && u->n_candidates > 0) {
        rc = turn_say_clarify(t);
        if (rc != -ENOENT)
            return rc;
    }
    if (aspects && !sure_none && !proc) {
        if (aspects & (INTENT_ASPECT_WHERE | INTENT_ASPECT_HOURS | INTENT_ASPECT_ONLINE)) {
            t->reprompt = true;
            return turn_say_meta(t, aspects & INTENT_ASPECT_WHERE   ? "noi-nop-ho-so"
                                    : aspects & INTENT_ASPECT_HOURS ? "gio-lam-viec"
                                                                    : "nop-truc-tuyen");
        }
        if (aspects != INTENT_ASPECT_STEPS && aspects != INTENT_ASPECT_CONDITION) {
            conv_out_text(&t->out, "Bạn hỏi về thủ tục nào? Ví dụ: khai sinh, kết hôn, tạm trú, "
                                   "làm căn cước.");
            return turn_qr_popular(t);
        }
    }
    return turn_say_not_understood(t);
}

static int handle_text(struct turn *t)
{
    enum conv_cmd cmd;
    enum turn_place place;
    unsigned n = 0;
    bool done;
    int rc;
    /* an answer to the family choice offered last turn (conv_family.h) */
    const char *chosen = conv_family_take_choice(t->cx->kb, t->st, t->u);

    if (chosen)
        return turn_answer_new(t, chosen, conv_parse_aspects(t->u->aspects), true);
    cmd = conv_parse_command(t->ufolded, &n);
    if (cmd == CONV_CMD_NONE)
        cmd = conv_parse_command(t->folded, &n);
    rc = turn_try_unit_choice(t, cmd, n, &done);
    if (rc || done)
        return rc;
    if (cmd != CONV_CMD_NONE) {
        rc = turn_do_command(t, cmd, n, &done);
        if (rc || done)
            return rc;
    }
    rc = turn_try_locality(t, &place);
    if (rc || place == TURN_PLACE_ASKED)
        return rc;
    if (place == TURN_PLACE_SET)
        return turn_after_place(t);
    return turn_follow_understanding(t, place);
}

/* ---- entry -------------------------------------------------------------- */

int conv_handle(const struct conv_ctx *cx, json_t *state, const struct conv_turn *turn,
                json_t **reply)
{
    struct turn t;
    const char *proc;
    int rc;

    if (!turn->u && !turn->payload)
        return -EINVAL;
    memset(&t, 0, sizeof(t));
    t.cx = cx;
    t.u = turn->u;
    t.text = turn->text;
    t.ufolded = turn->u ? turn->u->folded : "";
    if (conv_out_init(&t.out))
        return -ENOMEM;
    t.st = json_deep_copy(state);
    if (!t.st || !json_is_object(t.st)) {
        json_decref(t.st);
        t.st = json_object();
        if (!t.st) {
            rc = -ENOMEM;
            goto out;
        }
    }
    state_normalise(&t);
    /* a list of communes or a "which commune?" is answered now or never */
    t.units = json_incref(json_object_get(t.st, "units"));
    json_object_del(t.st, "units");
    t.await_where = turn_sget(t.st, "await") && strcmp(turn_sget(t.st, "await"), "where") == 0;
    json_object_del(t.st, "await");
    if (turn->u) {
        const char *src = turn->text ? turn->text : turn->u->normalized;

        /* -E2BIG keeps the folded prefix, which is all a command or place needs */
        if (fold_words_text(src, t.folded, sizeof(t.folded)) == -EINVAL)
            t.folded[0] = '\0';
        rc = handle_text(&t);
        if (rc == -ENOENT) { /* an answer path found nothing to say: every turn gets a reply */
            mc_log(MC_LOG_WARN, "conv.no_answer", "procedure=%s label=%s",
                   turn_proc(&t) ? turn_proc(&t) : "-", t.u ? t.u->label : "-");
            rc = turn_say_not_understood(&t);
        }
    } else {
        rc = turn_handle_payload(&t, turn->payload);
        if (rc == -ENOENT) { /* an old or forged button: say what we can do */
            conv_out_text(&t.out, "Xin lỗi, lựa chọn này không còn dùng được.");
            rc = turn_say_greeting(&t);
        }
    }
    if (!rc && t.reprompt)
        rc = turn_reprompt(&t);
    if (!rc && !t.missed)
        json_object_del(t.st, "misses");
    proc = turn_proc(&t);
    if (!rc)
        conv_out_set(&t.out, "procedure", proc ? json_string(proc) : json_null());
    if (!rc)
        rc = t.out.rc;
    if (!rc && json_object_update(state, t.st) == 0) {
        /* keys the turn removed must go too */
        const char *k;
        json_t *v;
        void *tmp;

        json_object_foreach_safe(state, tmp, k, v)
        {
            if (!json_object_get(t.st, k))
                json_object_del(state, k);
        }
        (void)v;
        *reply = t.out.reply;
        t.out.reply = NULL;
    } else if (!rc) {
        rc = -ENOMEM;
    }
out:
    conv_out_fini(&t.out);
    json_decref(t.st);
    json_decref(t.units);
    return rc;
}

int conv_respond(const struct conv_ctx *cx, json_t *state, const struct intent_result *u,
                 const char *payload, json_t **reply)
{
    struct conv_turn turn = {u, NULL, u ? NULL : payload};

    return conv_handle(cx, state, &turn, reply);
}
