/* gateway/officer/officer_assist.h - the officials' assistant: the officer's
 * view of a procedure guide, the search that takes the same free text
 * citizens type, the desk dossier check, and the plain texts an officer sends
 * into a conversation (card, checklist, steps).
 *
 * Everything is read from one knowledge snapshot (kb.h) and the understanding
 * index built from it; the texts reuse the citizens' wording (conv_guide.h)
 * and the checklist reuses the citizens' pre-check (conv_check.h), so an
 * officer and a citizen always read the same facts. Facts are copied as the
 * data has them, with the guide's `verify` marks carried through; nothing is
 * invented. Pure functions over the snapshot, no I/O, except
 * officer_assist_route() which answers one HTTP request on the event loop. */
#ifndef MOTCUA_GATEWAY_OFFICER_ASSIST_H
#define MOTCUA_GATEWAY_OFFICER_ASSIST_H

#include <stddef.h>

#include "mc_buf.h"
#include "mc_err.h"

#define OFFICER_ASSIST_QUERY_MAX 2048       /* bytes; as INTENT_MAX_INPUT: one citizen message */
#define OFFICER_ASSIST_RESULTS_MAX 8        /* procedures a search lists */
#define OFFICER_ASSIST_HAVE_MAX 64          /* checklist keys one desk check may tick */
#define OFFICER_ASSIST_SHARE_MAX (8 * 1024) /* bytes; a shared text (any channel splits it) */

struct kb;
struct intent_index;
struct json_t;
struct gw;
struct lws;
struct http_req;

/* Appends to out the Vietnamese plain text of one part of procedure's guide,
 * for any channel: part "card" (name, agency, where, time, fee, online),
 * "checklist" (every document to bring, conditional ones with their
 * condition, then the common return reasons) or "steps" (numbered steps).
 * Returns 0, -ENOENT (no such procedure), -EINVAL (bad part), -ENOMEM (or
 * -E2BIG when out's maximum is too small). out is the caller's, initialised;
 * on failure it may hold part of the text. */
MC_MUST_CHECK int officer_assist_share_text(const struct kb *kb, const char *procedure,
                                            const char *part, struct mc_buf *out);

/* The officer view of procedure (docs/officer.md):
 *   {"id","name","legal_basis":[...],"documents":[{"key","name","kind","count",
 *    "form":"<code or name>"|null,"condition"?,"verify"?:true}],"forms":[{"name","code"}],
 *    "return_reasons":[...],"processing_time","fee","checklist":[{"key","text","why"}],
 *    "steps":[...],"verify":[...],"where","agency","url"}
 * Returns 0 with *out new (json_decref()), -ENOENT or -ENOMEM. */
MC_MUST_CHECK int officer_assist_view(const struct kb *kb, const char *procedure,
                                      struct json_t **out);

/* The search for q (len bytes of UTF-8): the understanding of idx first (the
 * free text a citizen types), then procedures whose name, short name, id or
 * alias contain q's folded words (short queries such as "khai sinh").
 *   {"query","understanding":{"label","confidence","normalized"}|null,
 *    "results":[{"procedure","name","score"}],"guide":<view of the best>|null}
 * idx may be NULL (understanding skipped). Returns 0 with *out new, -EINVAL
 * (empty or not UTF-8), -E2BIG (len > OFFICER_ASSIST_QUERY_MAX) or -ENOMEM. */
MC_MUST_CHECK int officer_assist_search(const struct kb *kb, const struct intent_index *idx,
                                        const char *q, size_t len, struct json_t **out);

/* The desk check: have is a JSON array of checklist keys the citizen brought.
 *   {"procedure","complete":bool,"missing":[{"key","text","why"}],"present":[...]}
 * A conditional document counts as missing too (its why says when it is
 * needed), so the officer asks. Returns 0 with *out new, -ENOENT (no such
 * procedure), -EINVAL (have not an array of strings, or an unknown key, named
 * in err), -E2BIG (more than OFFICER_ASSIST_HAVE_MAX keys) or -ENOMEM. */
MC_MUST_CHECK int officer_assist_check(const struct kb *kb, const char *procedure,
                                       const struct json_t *have, struct json_t **out,
                                       struct mc_err *err);

/* Answers GET/POST /api/v1/officer/<rest> for rest starting with
 * "assistant": "assistant?q=", "assistant/procedures/{id}", "assistant/check"
 * (POST, JSON). The caller has already routed the request here; this checks
 * the officer session (cookie, and X-CSRF-Token on POST) itself. Returns what
 * the http callback returns (0, or -1 to close). */
int officer_assist_route(struct gw *gw, struct lws *wsi, struct http_req *r, const char *rest);

#endif
