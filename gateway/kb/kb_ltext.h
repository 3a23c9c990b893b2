/* gateway/kb/kb_ltext.h - a guide's own words as one accented text, for the
 * understanding's subject vocabulary (intent_spec.label_texts;
 * docs/understanding.md, "Subject words no guide uses"): the
 * citizen-facing fields of the guide, which say what the procedure is about.
 * Pure function; thread safe. */
#ifndef MOTCUA_GATEWAY_KB_LTEXT_H
#define MOTCUA_GATEWAY_KB_LTEXT_H

#include <stddef.h>

#define KB_LTEXT_MAX (256 * 1024) /* bytes of one guide's text; the rest is left out */

/* The strings of the fields name, short_name, aliases, who_may_submit,
 * steps, documents, result, return_reasons and faq of the guide body (the
 * JSON of GET /api/v1/procedures/{id}), one per line, up to KB_LTEXT_MAX
 * bytes. Returns a new string (free()), "" for a body that does not parse,
 * or NULL on ENOMEM. */
char *kb_ltext_new(const char *body, size_t len);

#endif
