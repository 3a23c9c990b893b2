/* gateway/kb.h - the knowledge database, opened read-only: procedure
 * guides, meta answers, training data for understanding, localities.
 * A struct kb belongs to the event-loop thread (its prepared statements are
 * not shared); build one per thread if ever needed. */
#ifndef MOTCUA_GATEWAY_KB_H
#define MOTCUA_GATEWAY_KB_H

#include <stdbool.h>
#include <stddef.h>

#include "mc_err.h"

#define KB_SCHEMA_VERSION 2 /* PRAGMA user_version written by motcua import */

struct kb;
struct sqlite3;
struct intent_index;
struct intent_spec;
struct places_index;
struct kb_spec; /* opaque: an intent_spec and everything it borrows */

/* Opens the database at path read-only. Returns a new kb (free with
 * kb_free()) or NULL with err set (missing file, wrong schema version). */
struct kb *kb_open(const char *path, struct mc_err *err);

/* Frees kb. NULL is a no-op. */
void kb_free(struct kb *kb);

/* The guide of procedure id as the API's JSON text. Returns 0 with *json new
 * (free()), -ENOENT for an unknown id, -EIO or -ENOMEM. */
MC_MUST_CHECK int kb_get_procedure_json(struct kb *kb, const char *id, char **json);

/* True if id is a procedure with a guide (not a meta intent). */
bool kb_is_procedure(struct kb *kb, const char *id);

/* [{"id","name","short_name","domain"}] of all procedures as JSON text;
 * as kb_get_procedure_json. */
MC_MUST_CHECK int kb_list_procedures_json(struct kb *kb, char **json);

/* The meta answer for id: *answer and *generic are new strings (free()).
 * Returns 0, -ENOENT or -EIO/-ENOMEM. */
MC_MUST_CHECK int kb_get_meta_answer(struct kb *kb, const char *id, char **answer, char **generic);

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

/* Borrowed handle for modules that run their own read-only queries
 * (localities, offices). Valid while kb lives. */
struct sqlite3 *kb_db(struct kb *kb);

/* The administrative units in memory (gateway/places.h), built when kb was
 * opened; borrowed, valid while kb lives. Never NULL for an open kb. */
const struct places_index *kb_places(const struct kb *kb);

#endif
