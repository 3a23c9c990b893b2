/* gateway/kb/kb_referral.h - who handles what the commune desk does not
 * (data/referrals.tsv, docs/data.md "Referrals"; issue 16): a question the
 * bot declines because another body handles it (a court, the immigration
 * office, the tax office, the military command...) is answered with that
 * body in plain Vietnamese instead of a bare "I don't understand". A row is
 * a PCRE2 pattern on the understanding's folded view; the first row that
 * matches names the body. The import checks the file and stores it as the
 * resource "referrals.tsv"; the snapshot parses it once. A loaded set is
 * immutable: safe from any thread. */
#ifndef MOTCUA_GATEWAY_KB_REFERRAL_H
#define MOTCUA_GATEWAY_KB_REFERRAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mc_err.h"

#define KB_REFERRAL_FIELD_MAX 1024 /* bytes of one field */
#define KB_REFERRAL_ROWS_MAX 256   /* rows of the table */

struct sqlite3;
struct json_t;
struct intent_result;

struct kb_referral {
    const char *id;     /* the kind of body: "toa-an", "xuat-nhap-canh"... */
    const char *body;   /* who handles it, as the citizen should ask for it */
    const char *about;  /* what of theirs the question is about */
    const char *source; /* the law that gives that body the matter */
    bool verify;        /* not yet confirmed by a person: the reply says so */
};

struct kb_referrals; /* opaque */

/* Parses text (the whole data/referrals.tsv) into a new set
 * (kb_referrals_free()). Problems go to errs as "data/referrals.tsv:LINE:
 * problem" and are counted in *nerr (errs may be NULL: counted only): a
 * wrong header, a field missing or too long, an id that is not lower-case
 * ASCII with hyphens, a pattern PCRE2 rejects, verify not yes/no, too many
 * rows. Returns 0 with *out set (a set even when *nerr grew: the rows that
 * parsed), or -ENOMEM. */
MC_MUST_CHECK int kb_referrals_parse(const char *text, FILE *errs, int *nerr,
                                     struct kb_referrals **out);

/* Checks data_dir/referrals.tsv (absent: no referrals) and stores it in db's
 * resource table as "referrals.tsv" inside the caller's transaction.
 * Problems as kb_referrals_parse(). Returns 0, or -EIO. */
MC_MUST_CHECK int kb_referrals_import(struct sqlite3 *db, const char *data_dir, FILE *errs,
                                      int *nerr);

/* Loads the set stored by the import (none stored: an empty set). Returns a
 * new set or NULL with err set (a damaged table stops the load). */
struct kb_referrals *kb_referrals_load(struct sqlite3 *db, struct mc_err *err);

void kb_referrals_free(struct kb_referrals *s);

size_t kb_referrals_count(const struct kb_referrals *s);

/* The body that handles what u asks, when the bot declines u (decision
 * "none"): the first row whose pattern matches u's folded view. NULL when u
 * is answered (a match or a choice), or no row matches. The caller checks
 * that no known portal procedure was named (kb_portal_for()). */
const struct kb_referral *kb_referral_for(const struct kb_referrals *s,
                                          const struct intent_result *u);

/* {"id","body","about","source","verify"}, new; NULL when out of memory. */
struct json_t *kb_referral_json(const struct kb_referral *r);

#endif
