/* intents/entity.h - the personal and reference data a conversation needs
 * and a log must mask: dossier reference codes, dates, phone numbers, ID card
 * numbers and e-mail addresses, found with PCRE2 (UTF + UCP) in the text as
 * the citizen sent it, so each span can be masked in that text. Patterns are
 * compiled once; entity_find() is thread safe and allocation-free. */
#ifndef MOTCUA_INTENTS_ENTITY_H
#define MOTCUA_INTENTS_ENTITY_H

#include <stddef.h>

#include "intent.h"
#include "mc_err.h"

struct entity_set;

/* Compiles the patterns. Returns a new set (entity_set_free()) or NULL with
 * err set. */
struct entity_set *entity_set_new(struct mc_err *err);

/* Frees s; NULL is a no-op. */
void entity_set_free(struct entity_set *s);

/* Finds entities in valid UTF-8 text[0..len), in text order, without
 * overlaps (a dossier code wins over the date or number inside it). Writes at
 * most max to out and returns how many. */
size_t entity_find(const struct entity_set *s, const char *text, size_t len,
                   struct intent_entity *out, size_t max);

#endif
