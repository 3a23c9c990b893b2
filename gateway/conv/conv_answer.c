/* gateway/conv/conv_answer.c - answers from a procedure's guide: the summary
 * card, the documents, the asked aspects (fee, time, where, online...), a
 * fitting FAQ entry, one paper asked about, "còn nữa không", and the answer
 * to a procedure the conversation moves to. See conv_turn.h. */
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <string.h>

#include "conv_alt.h"
#include "conv_guide.h"
#include "conv_out.h"
#include "conv_parse.h"
#include "conv_turn.h"
#include "intent.h"
#include "kb_gtext.h"
#include "kb_local.h"
#include "mc_buf.h"

/* ---- views of a guide --------------------------------------------------- */

/* The guide's card with the commune's local fee/time notes (kb_local.h)
 * beside the reviewed facts, never in their place. */
static json_t *turn_card(struct turn *t, const json_t *g)
{
    json_t *card = conv_guide_card(g);
    const char *fee = kb_local_note(t->cx->kb, turn_sget(g, "id"), KB_LOCAL_FEE);
    const char *time = kb_local_note(t->cx->kb, turn_sget(g, "id"), KB_LOCAL_TIME);

    if (card && ((fee && json_object_set_new(card, "fee_note", json_string(fee))) ||
                 (time && json_object_set_new(card, "time_note", json_string(time))))) {
        json_decref(card);
        return NULL;
    }
    return card;
}

void turn_qr_menu(struct turn *t, const char *id)
{
    conv_out_qr(&t->out, "Giấy tờ cần chuẩn bị", "docs:%s", id);
    conv_out_qr(&t->out, "Các bước thực hiện", "steps:%s", id);
    conv_out_qr(&t->out, "Kiểm tra hồ sơ", "check:%s", id);
    conv_out_qr(&t->out, "Nộp ở đâu", "where:%s", id);
    conv_out_qr(&t->out, "Nộp trực tuyến", "online:%s", id);
}

/* Writes one view of guide g (summary, documents, all steps) as a message. */
int turn_say_guide_text(struct turn *t, const json_t *g,
                        int (*view)(const json_t *, struct mc_buf *))
{
    struct mc_buf b;
    int rc;

    mc_buf_init(&b, CONV_TEXT_MAX);
    rc = view(g, &b);
    if (!rc)
        conv_out_buf(&t->out, &b);
    mc_buf_fini(&b);
    return rc;
}

int turn_say_card(struct turn *t, const json_t *g)
{
    int rc = turn_say_guide_text(t, g, conv_guide_summary);

    conv_out_set(&t->out, "card", turn_card(t, g));
    turn_qr_menu(t, turn_sget(g, "id"));
    turn_answered(
        t, 0, INTENT_ASPECT_WHERE | INTENT_ASPECT_TIME | INTENT_ASPECT_FEE | INTENT_ASPECT_ONLINE);
    return rc;
}

int turn_say_documents(struct turn *t, const json_t *g)
{
    const char *id = turn_sget(g, "id");
    int rc = turn_say_guide_text(t, g, conv_guide_documents);

    conv_out_set(&t->out, "documents", conv_guide_document_block(g));
    turn_answered(t, 0, INTENT_ASPECT_DOCUMENTS);
    if (!turn_in_flow(t)) {
        conv_out_text(&t->out, "Chọn \"Kiểm tra hồ sơ\" để tôi cùng bạn rà từng giấy tờ.");
        conv_out_qr(&t->out, "Kiểm tra hồ sơ", "check:%s", id);
        conv_out_qr(&t->out, "Các bước thực hiện", "steps:%s", id);
        conv_out_qr(&t->out, "Nộp ở đâu", "where:%s", id);
        conv_out_qr(&t->out, "Nộp trực tuyến", "online:%s", id);
    }
    return rc;
}

/* Answers each asked aspect about g from its fields. Returns -ENOENT when
 * none of them could be answered. */
int turn_say_aspects(struct turn *t, const json_t *g, unsigned bits)
{
    const struct kb_gtext *x = turn_guide_words(t, g);
    const char *folded = t->folded;
    struct mc_buf b;
    unsigned bit, answered = 0;
    int rc = 0;

    if (bits & INTENT_ASPECT_STEPS) {
        json_int_t n = json_integer_value(json_object_get(t->st, "step"));

        turn_set(t, "asked", json_integer(INTENT_ASPECT_STEPS));
        return turn_say_step(t, g, turn_flow_is(t, "steps") && n > 0 ? (size_t)n : 1, NULL);
    }
    mc_buf_init(&b, CONV_TEXT_MAX);
    for (bit = 1; bit < (1u << INTENT_ASPECT_COUNT_) && !rc; bit <<= 1) {
        if (!(bits & bit))
            continue;
        if (bit == INTENT_ASPECT_WHERE) {
            rc = turn_say_where(t, g);
            answered++;
            continue;
        }
        if (bit == INTENT_ASPECT_HOURS) {
            rc = turn_say_meta(t, "gio-lam-viec");
            answered++;
            continue;
        }
        if (bit == INTENT_ASPECT_DOCUMENTS) {
            rc = turn_say_documents(t, g);
            answered++;
            continue;
        }
        rc = x ? conv_guide_aspect_in(x, bit, folded, &b) : conv_guide_aspect(g, bit, folded, &b);
        if (rc == -ENOENT) {
            rc = 0;
            continue;
        }
        if (!rc && (bit == INTENT_ASPECT_FEE || bit == INTENT_ASPECT_TIME)) {
            const char *note =
                kb_local_note(t->cx->kb, turn_sget(g, "id"),
                              bit == INTENT_ASPECT_FEE ? KB_LOCAL_FEE : KB_LOCAL_TIME);

            if (note)
                rc = mc_buf_printf(&b, "\n%s", note);
        }
        if (!rc) {
            conv_out_buf(&t->out, &b);
            answered++;
        }
    }
    mc_buf_fini(&b);
    if (rc)
        return rc;
    if (!answered)
        return -ENOENT;
    turn_answered(t, bits, 0);
    if (turn_in_flow(t))
        t->reprompt = true;
    else
        turn_qr_menu(t, turn_sget(g, "id"));
    return 0;
}

/* "Còn nữa không" outside a list being read: offers what has not been shown
 * about g yet (state "shown"), or says that the main points are told. */
int turn_say_more(struct turn *t, const json_t *g)
{
    static const struct {
        unsigned bit;
        const char *words, *title, *payload;
    } parts[] = {
        {INTENT_ASPECT_DOCUMENTS, "giấy tờ cần chuẩn bị", "Giấy tờ cần chuẩn bị", "docs"},
        {INTENT_ASPECT_STEPS, "các bước thực hiện", "Các bước thực hiện", "steps"},
        {INTENT_ASPECT_WHERE, "nơi nộp", "Nộp ở đâu", "where"},
        {INTENT_ASPECT_ONLINE, "nộp trực tuyến", "Nộp trực tuyến", "online"},
        {INTENT_ASPECT_FEE, "lệ phí", NULL, NULL},
        {INTENT_ASPECT_TIME, "thời gian giải quyết", NULL, NULL},
        {INTENT_ASPECT_RESULT, "kết quả nhận được", NULL, NULL},
        {INTENT_ASPECT_LEGAL, "căn cứ pháp lý", NULL, NULL},
    };
    const char *id = turn_sget(g, "id");
    unsigned shown = turn_bits(t, "shown");
    struct mc_buf b;
    size_t i, n = 0;
    int rc;

    mc_buf_init(&b, CONV_TEXT_MAX);
    rc = mc_buf_printf(&b, "Về %s, bạn có thể hỏi thêm:",
                       turn_sget(g, "short_name") ? turn_sget(g, "short_name")
                                                  : turn_sget(g, "name"));
    for (i = 0; !rc && i < sizeof(parts) / sizeof(parts[0]); i++) {
        if (shown & parts[i].bit)
            continue;
        rc = mc_buf_printf(&b, "%s %s", n++ ? "," : "", parts[i].words);
        if (parts[i].payload)
            conv_out_qr(&t->out, parts[i].title, "%s:%s", parts[i].payload, id);
    }
    if (!rc && n == 0) {
        mc_buf_reset(&b);
        rc = mc_buf_puts(&b, "Tôi đã nói các ý chính của thủ tục này. Bạn có thể kiểm tra hồ sơ "
                             "cùng tôi trước khi đi nộp.");
    } else if (!rc) {
        rc = mc_buf_puts(&b, ".");
    }
    if (!rc)
        conv_out_buf(&t->out, &b);
    mc_buf_fini(&b);
    conv_out_qr(&t->out, "Kiểm tra hồ sơ", "check:%s", id);
    return rc;
}

/* ---- follow-ups about the procedure in context -------------------------- */

/* A follow-up about proc: the guide's FAQ entry that fits, then the asked
 * aspects. -ENOENT when neither answers it. */
int turn_answer_about(struct turn *t, const char *proc, unsigned aspects)
{
    const json_t *faq;
    const json_t *g;
    int rc = turn_guide_get(t, proc, &g);

    if (rc)
        return rc;
    faq = turn_guide_faq(t, g);
    if (faq) {
        conv_out_textf(&t->out, "%s\n%s", turn_sget(faq, "q"), turn_sget(faq, "a"));
        aspects &= ~(unsigned)(INTENT_ASPECT_CONDITION | INTENT_ASPECT_STEPS);
        if (!aspects) {
            if (turn_in_flow(t))
                t->reprompt = true;
            else
                turn_qr_menu(t, proc);
            return 0;
        }
    }
    if (!aspects)
        return -ENOENT;
    rc = turn_say_aspects(t, g, aspects);
    return rc == -ENOENT && faq ? 0 : rc;
}

/* A question about one paper of proc ("sổ đỏ có cần nộp không", "có cần mang
 * căn cước không"): the guide's entry for it. -ENOENT when the message asks
 * nothing of a paper, or names none of proc's documents once its aspect
 * phrases are left out ("giấy tờ gì" names no paper). */
int turn_answer_document(struct turn *t, const char *proc, unsigned aspects)
{
    const struct intent_result *u = t->u;
    char rest[INTENT_NORM_MAX];
    const json_t *g, *doc;
    const struct kb_gtext *x;
    struct mc_buf b;
    size_t k, len = strlen(u->folded);
    int rc;

    if (!(aspects & (INTENT_ASPECT_CONDITION | INTENT_ASPECT_DOCUMENTS)) || len >= sizeof(rest) ||
        turn_guide_get(t, proc, &g) != 0)
        return -ENOENT;
    if (turn_guide_faq(t, g)) /* an FAQ entry says more than the paper's name */
        return -ENOENT;
    memcpy(rest, u->folded, len + 1);
    for (k = 0; k < u->n_aspect_spans; k++) { /* "#": a word no paper's name has */
        const struct intent_span *sp = &u->aspect_spans[k];

        if (sp->start < len && sp->len <= len - sp->start && sp->len > 0) {
            memset(rest + sp->start, ' ', sp->len);
            rest[sp->start] = '#';
        }
    }
    x = turn_guide_words(t, g);
    doc = x ? conv_guide_document_in(x, rest) : conv_guide_document(g, rest);
    if (!doc)
        return -ENOENT;
    mc_buf_init(&b, CONV_TEXT_MAX);
    rc = conv_guide_document_answer(g, doc, &b);
    if (!rc)
        conv_out_buf(&t->out, &b);
    mc_buf_fini(&b);
    if (rc)
        return rc;
    turn_answered(t, INTENT_ASPECT_DOCUMENTS, 0);
    if (turn_in_flow(t))
        t->reprompt = true;
    else
        turn_qr_menu(t, proc);
    return 0;
}

/* ---- a procedure to move to --------------------------------------------- */

/* A procedure the conversation moves to (or starts with): the asked
 * aspects, the steps for "làm thế nào", else the summary card; a fitting FAQ
 * entry first. A correction ("à nhầm, ý tôi là X") carries the aspects asked
 * last over to X when it asks nothing itself. */
static int answer_new_guide(struct turn *t, const char *id, unsigned aspects, bool other);

/* ... and the close runner-ups understanding kept, as buttons (conv_alt.h). */
int turn_answer_new(struct turn *t, const char *id, unsigned aspects, bool other)
{
    int rc = answer_new_guide(t, id, aspects, other);

    if (!rc)
        conv_alt_offer(t->cx->kb, t->u, id, &t->out);
    return rc;
}

static int answer_new_guide(struct turn *t, const char *id, unsigned aspects, bool other)
{
    const json_t *faq;
    const json_t *g;
    int rc;

    if (!aspects && conv_parse_correction(t->folded))
        aspects = conv_parse_aspects(turn_bits(t, "asked"));
    rc = turn_with_procedure(t, id, &g);
    if (rc)
        return rc;
    faq = turn_guide_faq(t, g);
    if (faq) {
        conv_out_textf(&t->out, "%s\n%s", turn_sget(faq, "q"), turn_sget(faq, "a"));
        aspects &= ~(unsigned)INTENT_ASPECT_CONDITION;
    }
    if (aspects & ~(unsigned)INTENT_ASPECT_STEPS) {
        if (!other && turn_in_flow(t)) /* a question about the flow's own procedure */
            return turn_say_aspects(t, g, aspects);
        turn_end_flow(t);
        if (other)
            conv_out_set(&t->out, "card", turn_card(t, g));
        rc = turn_say_aspects(t, g, aspects);
        return rc == -ENOENT ? turn_say_card(t, g) : rc;
    }
    if (aspects & INTENT_ASPECT_STEPS) { /* "làm thế nào", "các bước": step 1 */
        if (other)
            conv_out_set(&t->out, "card", turn_card(t, g));
        rc = turn_say_aspects(t, g, INTENT_ASPECT_STEPS);
        if (rc != -ENOENT)
            return rc;
    }
    turn_end_flow(t);
    return turn_say_card(t, g);
}
