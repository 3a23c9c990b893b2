/* gateway/conv/conv_switch.c - see conv_switch.h. */
#include "conv_switch.h"

#include "conv.h"

enum conv_switch conv_switch_decide(const struct conv_switch_facts *f)
{
    if (!f->in_context)
        return CONV_SWITCH;
    if (f->same)
        return CONV_STAY;
    if (f->correction && f->confidence >= CONV_SWITCH_MIN)
        return CONV_SWITCH;
    if (f->faq_fits_p)
        return CONV_STAY;
    if (f->topic_words == 0)
        return CONV_STAY;
    if (f->names_p && !f->q_within_p)
        return CONV_STAY;
    if (f->names_q)
        return f->asks_aspect && f->covered_by_p ? CONV_STAY : CONV_SWITCH;
    if (f->confidence >= CONV_SWITCH_MIN && !f->asks_aspect && !f->covered_by_p)
        return CONV_SWITCH;
    /* an aspect asked of something P's guide never mentions, that the
     * understanding is all but certain is Q ("đi tù về muốn đi làm lại cần
     * giấy gì" after khai sinh): answering P's papers would be wrong */
    if (f->confidence >= CONV_SWITCH_SURE && f->asks_aspect && !f->covered_by_p &&
        f->topic_words >= CONV_SWITCH_SURE_WORDS)
        return CONV_SWITCH;
    return CONV_STAY;
}
