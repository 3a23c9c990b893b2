/* gateway/conv/conv_alt.h - the close runner-ups of an answered match, offered
 * as buttons. Understanding answers its best label and keeps the runner-ups
 * that came close (intent_result.n_alternatives, docs/understanding.md "The
 * model"); when the conversation answers that label, each runner-up that is
 * a procedure becomes one more quick reply "proc:<id>" titled with its short
 * name, after the answer's own buttons, so a wrong guess costs the citizen
 * one tap instead of a turn. Text-only channels show quick replies as
 * numbered options (channels/zalo.c), so they get them too. */
#ifndef MOTCUA_GATEWAY_CONV_ALT_H
#define MOTCUA_GATEWAY_CONV_ALT_H

struct conv_out;
struct intent_result;
struct kb;

/* Appends the alternatives of u to out when u is a match whose label is
 * answered (the procedure this turn's answer is about); nothing otherwise,
 * nor for an alternative that is a meta intent or already offered. Titles
 * and the count obey conv_out.h's limits (CONV_QR_MAX: the last alternatives
 * are dropped when the answer's buttons leave no room). Failures are kept in
 * out->rc. */
void conv_alt_offer(const struct kb *kb, const struct intent_result *u, const char *answered,
                    struct conv_out *out);

#endif
