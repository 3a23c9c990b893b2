/* gateway/kb/kb_portal.h - the portal's whole list of commune-level
 * procedures (data/portal_index.tsv, docs/data.md "The portal index"): each
 * code is covered by a guide's portal_codes or says why it has none. The
 * import validates the file and links every code to its guide; the snapshot
 * loads it once and answers "which guide-less procedure does this message
 * name" (intents/known.h) and "what is code X" (GET /api/v1/portal/{code}).
 * A loaded set is immutable: safe from any thread. */
#ifndef MOTCUA_GATEWAY_KB_PORTAL_H
#define MOTCUA_GATEWAY_KB_PORTAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mc_err.h"

#define KB_PORTAL_FIELD_MAX 1024 /* bytes of one field of the index */
#define KB_PORTAL_ROWS_MAX 4096  /* rows of the index (= KNOWN_MAX_ENTRIES) */

struct sqlite3;
struct json_t;
struct intent_result;

struct kb_portal_entry {
    const char *code, *body, *domain, *name, *agency, *for_whom, *url, *reason;
    const char *guide; /* the catalogue id of the guide that covers the code, or NULL */
};

struct kb_portal; /* opaque */

/* An https:// link with a plausible host and nothing a page or a JSON line
 * could trip on (space, quote, angle bracket): the portal links of the index
 * and the guides' source links are checked alike. */
bool kb_portal_is_url(const char *s);

/* Validates data_dir/portal_index.tsv (absent: no index) and writes it to
 * db's portal_entry table inside the caller's transaction; db must already
 * hold the procedure rows (each code is linked to the guide whose
 * portal_codes names it). Problems go to errs as "data/portal_index.tsv:LINE:
 * problem" and are counted in *nerr: a wrong header, a field missing or too
 * long, a malformed code or URL, a code listed twice, a code that has a guide
 * and still a reason. Returns 0, or -EIO for a database or memory failure. */
MC_MUST_CHECK int kb_portal_import(struct sqlite3 *db, const char *data_dir, FILE *errs, int *nerr);

/* Loads the index from db. Returns a new set (kb_portal_free()) or NULL with
 * err set. An empty table gives an empty set. */
struct kb_portal *kb_portal_load(struct sqlite3 *db, struct mc_err *err);

void kb_portal_free(struct kb_portal *p);

/* The entry of code, or NULL. */
const struct kb_portal_entry *kb_portal_find(const struct kb_portal *p, const char *code);

/* The guide-less procedure that text (UTF-8; best the understanding's
 * normalised view) names by its official words, or NULL (intents/known.h). */
const struct kb_portal_entry *kb_portal_known(const struct kb_portal *p, const char *text);

/* The rule the conversation and `motcua ask` share: the guide-less procedure
 * u's normalised view names by its official words (best among all entries
 * and every guide's own names, and sure: intents/known.h), when understanding
 * did not match a label, or matched one whose own names explain the message
 * clearly worse (a neighbour's guide). NULL otherwise. */
const struct kb_portal_entry *kb_portal_for(const struct kb_portal *p,
                                            const struct intent_result *u);

/* intent_result_to_json() of r plus "known": the code kb_portal_for() names,
 * or null, and "referral": when the bot declines r without naming a known
 * procedure, the id of the body that handles it (kb_referral_for(); refs may
 * be NULL), or null: the object of `motcua ask --batch` and POST
 * /api/v1/ask. *out is new (free()). Returns 0 or -ENOMEM. */
struct kb_referrals;
MC_MUST_CHECK int kb_portal_result_json(const struct kb_portal *p, const struct kb_referrals *refs,
                                        const struct intent_result *r, char **out);

/* {"code","name","body","domain","agency","for_whom","url","reason","guide"}
 * (guide null when none), new; NULL when out of memory. */
struct json_t *kb_portal_entry_json(const struct kb_portal_entry *e);

/* The rows of data_dir/portal_index.tsv as the import reads and checks them
 * (one parser for the import and the coverage report): problems go to errs
 * and are counted in *nerr. A missing file is no rows. Returns 0 with *out
 * new (kb_portal_rows_free()), or -EIO/-ENOMEM. */
enum kb_portal_col {
    KB_PORTAL_CODE,
    KB_PORTAL_BODY,
    KB_PORTAL_DOMAIN,
    KB_PORTAL_NAME,
    KB_PORTAL_AGENCY,
    KB_PORTAL_FOR_WHOM,
    KB_PORTAL_URL,
    KB_PORTAL_REASON
};
struct kb_portal_rows;
MC_MUST_CHECK int kb_portal_rows_read(const char *data_dir, FILE *errs, int *nerr,
                                      struct kb_portal_rows **out);
size_t kb_portal_rows_count(const struct kb_portal_rows *p);
/* Field col of row i ("" out of range); borrowed from p. */
const char *kb_portal_rows_field(const struct kb_portal_rows *p, size_t i, enum kb_portal_col col);
void kb_portal_rows_free(struct kb_portal_rows *p);

/* Writes the coverage section of `motcua verify-report` (Markdown): codes
 * with a guide, codes known only (with their reasons), codes missing, read
 * from data_dir's index and guide files. Returns 0 or -EINVAL with err set. */
MC_MUST_CHECK int kb_portal_coverage(const char *data_dir, FILE *out, struct mc_err *err);

#endif
