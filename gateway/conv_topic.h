/* gateway/conv_topic.h - how the topic words of a follow-up (conv_parse_topic())
 * relate to one procedure guide: do they name it, are they all its own words.
 * conv_switch.h turns these facts into stay/switch. Pure functions over
 * jansson values; thread safe. */
#ifndef MOTCUA_GATEWAY_CONV_TOPIC_H
#define MOTCUA_GATEWAY_CONV_TOPIC_H

#include <stdbool.h>

struct json_t;

#define CONV_TOPIC_WORDS_MAX 64 /* words of a topic or a name compared; more are not */

/* True when the folded topic contains every content word (conv_words_is_stop()
 * naming tier left out) of one of g's names: its name, short_name or (with
 * aliases set) an alias. "tam vang" names tam-vang ("Khai báo tạm vắng");
 * "khai tren" names nothing. */
bool conv_topic_names(const struct json_t *g, const char *topic, bool aliases);

/* True when every word of the folded topic occurs as a word somewhere in
 * guide g's text (documents, where, online, FAQ...): "vneid" is covered by
 * a guide that says it can be done on VNeID. False for an empty topic. */
bool conv_topic_covered(const struct json_t *g, const char *topic);

#endif
