/* gateway/kb/kb_units.h - the administrative units since 1 July 2025 (34
 * provinces, 3,321 communes/wards) and where each of the 10,047 pre-reform
 * communes went, imported from data/units/ and searched by current or
 * former name with or without diacritics ("phuong cong vi", "Cống Vị"). */
#ifndef MOTCUA_GATEWAY_KB_UNITS_H
#define MOTCUA_GATEWAY_KB_UNITS_H

#include <stddef.h>
#include <stdio.h>

#include "mc_err.h"

#define UNITS_NAME_MAX 128   /* bytes; a unit or province name */
#define UNITS_KEY_MAX 128    /* bytes; a folded search key */
#define UNITS_RESULTS_MAX 20 /* units returned by one search */

struct sqlite3;
struct kb;
struct json_t;

/* Imports the two CSV files of data_dir/units into db (inside the caller's transaction).
 * Problems are printed to errs as "file:line: problem" and counted in
 * *nerr. Returns 0, or -EIO for a database failure. */
MC_MUST_CHECK int kb_units_import(struct sqlite3 *db, const char *data_dir, FILE *errs, int *nerr);

/* The search key of a unit name or a query: folded to ASCII (đ -> d), lower
 * case, punctuation dropped, the unit-type words (xã, phường, thị trấn, đặc
 * khu, quận, huyện, thị xã, thành phố, tỉnh, tp) removed from the front.
 * Writes at most cap bytes (NUL included). Returns 0 or -E2BIG/-EINVAL. */
MC_MUST_CHECK int kb_units_key(const char *name, char *out, size_t cap);

/* Finds units whose current or former name matches q (province_hint, if not
 * NULL, narrows by province or former district/province words found in q).
 * Returns 0 with *result a new JSON array (json_decref()):
 *   [{"code","name","province","province_code","match":"current"|"former",
 *     "former":[{"code","name","district","province","whole"}],"whole":bool}]
 * -EINVAL for an empty or invalid query, -EIO on a database failure. */
MC_MUST_CHECK int kb_units_search(struct kb *kb, const char *q, struct json_t **result);

/* Validates data_dir/offices/<ward_code>.json (the public administrative
 * service centre of a unit: office_name, address, hours, phone, hotline,
 * portal_url, reviewed) and stores them; problems go to errs as
 * "file:field: problem" and are counted in *nerr. Returns 0 or -EIO. */
MC_MUST_CHECK int kb_units_import_offices(struct sqlite3 *db, const char *data_dir, FILE *errs,
                                          int *nerr);

/* Offices and units by code are read from the knowledge snapshot:
 * kb_office() and kb_unit() (kb.h). */

#endif
