/* gateway/kb/kb.h - the knowledge base: procedure guides, meta answers,
 * offices, administrative units, families and the place finder, read from
 * the read-only SQLite file that `motcua import` writes.
 *
 * A struct kb is one immutable snapshot: kb_open() loads everything the
 * turns read into parsed, ready-to-serve form (guides as json_t, meta
 * answers, offices and units by key, the places index, the families) and
 * nothing is changed afterwards (but the commune's layer of kb_local.h, which
 * the event-loop thread swaps between turns), so the accessors below do no
 * I/O, parse nothing and may be called from any thread. A reload opens a new snapshot
 * and swaps it in between turns; what a turn borrowed stays valid while the
 * snapshot it started with lives. The snapshot is reference-counted
 * (kb_ref()/kb_unref()) so that a holder on another thread can keep it past
 * a swap. The SQLite handle stays open only for the paths that build from
 * it (the understanding index, tools, /api/v1/localities); no turn reads it,
 * and those paths belong to one thread at a time. */
#ifndef MOTCUA_GATEWAY_KB_H
#define MOTCUA_GATEWAY_KB_H

#include <stdbool.h>
#include <stddef.h>

#include "mc_err.h"

#define KB_SCHEMA_VERSION 3 /* PRAGMA user_version written by motcua import */

struct kb;
struct sqlite3;
struct sqlite3_stmt;
struct intent_index;
struct intent_spec;
struct kb_portal;
struct kb_referrals;
struct places_index;
struct kb_spec; /* opaque: an intent_spec and everything it borrows */
struct json_t;

/* A meta answer (data/meta/<id>.json), borrowed from the snapshot. */
struct kb_meta {
    const char *answer;  /* with the office's facts as {placeholders} */
    const char *generic; /* for a place with no office data */
};

/* Opens the database at path read-only. Returns a new kb (free with
 * kb_free()) or NULL with err set (missing file, wrong schema version). */
struct kb *kb_open(const char *path, struct mc_err *err);

/* Takes one more reference to kb (thread-safe); returns kb. */
struct kb *kb_ref(struct kb *kb);

/* Drops one reference; the last one frees the snapshot and everything
 * borrowed from it. NULL is a no-op. */
void kb_unref(struct kb *kb);

/* kb_unref() of the reference kb_open() returned. NULL is a no-op. */
void kb_free(struct kb *kb);

/* The guide of procedure id (the API object of GET /api/v1/procedures/{id}),
 * or NULL for an unknown id. Borrowed: valid while kb lives; never change it
 * (not even its reference count: copy what a reply keeps). */
const struct json_t *kb_guide(const struct kb *kb, const char *id);

struct kb_gtext;

/* The folded words of the guide of procedure id (kb_gtext.h: its names,
 * FAQ questions, document names and all its words), built at open, or NULL
 * for an unknown id; borrowed as kb_guide(). */
const struct kb_gtext *kb_guide_words(const struct kb *kb, const char *id);

/* The same guide as the JSON text stored by motcua import, or NULL;
 * borrowed, *len its bytes (len may be NULL). */
const char *kb_guide_text(const struct kb *kb, const char *id, size_t *len);

/* [{"id","name","short_name","domain"}] of all procedures, by domain then
 * id; borrowed as kb_guide(). Never NULL for an open kb. */
const struct json_t *kb_procedures(const struct kb *kb);

/* The same list as JSON text; borrowed, *len its bytes (len may be NULL). */
const char *kb_procedures_text(const struct kb *kb, size_t *len);

/* The meta answer of meta intent id, or NULL; borrowed as kb_guide(). */
const struct kb_meta *kb_meta(const struct kb *kb, const char *id);

/* The office of unit code (data/offices/<code>.json: office_name, address,
 * hours, phone, hotline, portal_url, reviewed, and optional display_name,
 * map_url, hours.holidays), or NULL when the unit has no office data;
 * borrowed as kb_guide(). What admins changed in the console (kb_local.h)
 * wins over the file; it stays valid until the layer is swapped (between
 * turns). */
const struct json_t *kb_office(const struct kb *kb, const char *code);

struct kb_local;

/* The commune's layer attached with kb_set_local() (kb_local.h), or NULL. */
const struct kb_local *kb_local_layer(const struct kb *kb);

/* The current unit with this ward code as {"code","name","province",
 * "province_code"}, or NULL; borrowed as kb_guide(). */
const struct json_t *kb_unit(const struct kb *kb, const char *code);

/* The guide of procedure id as the API's JSON text. Returns 0 with *json new
 * (free()), -ENOENT for an unknown id, or -ENOMEM. */
MC_MUST_CHECK int kb_get_procedure_json(const struct kb *kb, const char *id, char **json);

/* True if id is a procedure with a guide (not a meta intent). */
bool kb_is_procedure(const struct kb *kb, const char *id);

/* kb_procedures_text() as a new string (free()); as kb_get_procedure_json. */
MC_MUST_CHECK int kb_list_procedures_json(const struct kb *kb, char **json);

/* The meta answer for id: *answer and *generic are new strings (free()).
 * Returns 0, -ENOENT or -ENOMEM. */
MC_MUST_CHECK int kb_get_meta_answer(const struct kb *kb, const char *id, char **answer,
                                     char **generic);

/* Builds the understanding index from the phrases, lexicon, rules and corpus
 * stored in the database. Returns a new index (intent_index_free()) or NULL
 * with err set. */
struct intent_index *kb_build_index(struct kb *kb, struct mc_err *err);

/* The inputs kb_build_index() builds from (labels, phrases, lexicon, rules,
 * corpus), for tools that build their own index from them: the benchmarks and
 * the cross-validation that leaves phrases out. Returns a new kb_spec (free
 * with kb_spec_free()) or NULL with err set; it does not need kb afterwards. */
struct kb_spec *kb_spec_load(struct kb *kb, struct mc_err *err);

/* The spec; borrowed, valid while ks lives. Examples are in database order
 * (the order motcua import read the data/ files). */
const struct intent_spec *kb_spec_get(const struct kb_spec *ks);

/* Frees ks and all it owns. NULL is a no-op. */
void kb_spec_free(struct kb_spec *ks);

/* The same, from an open database handle (used by motcua import to check
 * that the data it wrote builds a valid index). Returns 0 or -EINVAL. */
MC_MUST_CHECK int kb_check_understanding(struct sqlite3 *db, struct mc_err *err);

struct kb_family_set;

/* The families of procedures (kb_family.h), loaded once by kb_open();
 * borrowed while kb lives. */
const struct kb_family_set *kb_families(const struct kb *kb);

/* Borrowed handle for the paths that build from the database rather than
 * from the snapshot (the place index, /api/v1/localities). Valid while kb
 * lives; one thread at a time. */
struct sqlite3 *kb_db(struct kb *kb);

/* The portal's list of commune-level procedures (kb_portal.h); never NULL. */
const struct kb_portal *kb_portal(const struct kb *kb);

/* Who handles what the commune desk does not (kb_referral.h); never NULL. */
const struct kb_referrals *kb_referrals(const struct kb *kb);

/* The administrative units in memory (gateway/kb/places.h), built when kb was
 * opened; borrowed, valid while kb lives. Never NULL for an open kb. */
const struct places_index *kb_places(const struct kb *kb);

/* Column col of the row st stands on, as a new string ("" for NULL;
 * free()), or NULL when out of memory. For the readers of the knowledge
 * database in gateway/kb/. */
char *kb_column_dup(struct sqlite3_stmt *st, int col);

#endif
