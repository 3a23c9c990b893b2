/* gateway/conv/conv_topic.h - how the topic words of a follow-up (conv_parse_topic())
 * relate to one procedure guide: do they name it, are they all its own words.
 * conv_switch.h turns these facts into stay/switch. Pure functions over
 * jansson values; thread safe. */
#ifndef MOTCUA_GATEWAY_CONV_TOPIC_H
#define MOTCUA_GATEWAY_CONV_TOPIC_H

#include <stdbool.h>

struct json_t;
struct intent_result;
struct kb_gtext;

#define CONV_TOPIC_WORDS_MAX 64 /* words of a topic or a name compared; more are not */

/* True when the folded topic contains every content word (fold_words_is_stop()
 * naming tier left out) of one of g's names: its name, short_name or (with
 * aliases set) an alias. "tam vang" names tam-vang ("Khai báo tạm vắng");
 * "khai tren" names nothing. */
bool conv_topic_names(const struct json_t *g, const char *topic, bool aliases);

/* True when the folded topic names procedure gq by a name (or alias) that
 * holds a name of gp the topic also covers, and says more: "liên thông khai
 * sinh" names the joint procedure within "khai sinh"; "đăng ký lại khai
 * sinh" names re-registration within it. A specialisation of P, named, is
 * asked for rather than P. */
bool conv_topic_names_within(const struct json_t *gq, const struct json_t *gp, const char *topic);

/* True when every word of the folded topic occurs as a word somewhere in
 * guide g's text (documents, where, online, FAQ...): "vneid" is covered by
 * a guide that says it can be done on VNeID. False for an empty topic. */
bool conv_topic_covered(const struct json_t *g, const char *topic);

/* The aspect bits u asks (u->aspects) less those whose every phrase
 * (u->aspect_spans) lies inside one of g's names, short name or aliases as
 * written in u's folded view: an aspect word that is part of a procedure's
 * name names it and asks nothing ("phí" in "mai táng phí", "điều kiện" in
 * "giấy chứng nhận đủ điều kiện an toàn thực phẩm"). */
unsigned conv_topic_asked(const struct json_t *g, const struct intent_result *u);

/* The same four over a guide's folded words, built once with the snapshot
 * (kb_guide_words()): what a turn calls. The functions above fold the
 * guide's JSON on every call and are for tests and cold paths. */
bool conv_topic_names_in(const struct kb_gtext *x, const char *topic, bool aliases);
bool conv_topic_names_within_in(const struct kb_gtext *xq, const struct kb_gtext *xp,
                                const char *topic);
bool conv_topic_covered_in(const struct kb_gtext *x, const char *topic);
unsigned conv_topic_asked_in(const struct kb_gtext *x, const struct intent_result *u);

#endif
