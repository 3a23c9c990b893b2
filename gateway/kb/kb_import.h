/* gateway/kb/kb_import.h - `motcua import DATA_DIR OUT.db`: validates the
 * reviewed source files in data/ and builds the knowledge database.
 * Every problem is reported as "file:field: problem" on the error stream;
 * the database is written only when all files are valid. */
#ifndef MOTCUA_GATEWAY_KB_IMPORT_H
#define MOTCUA_GATEWAY_KB_IMPORT_H

#include <stddef.h>
#include <stdio.h>

#include "mc_err.h"

#define KB_IMPORT_MAX_ERRORS 50 /* reported before giving up; more would hide the first */

/* Builds out_path from data_dir. Problems go to errs, one per line.
 * Returns 0, -EINVAL when the data is invalid (the caller exits 2), or
 * -EIO/-ENOMEM for runtime failures (err says which). out_path is replaced
 * only on success (written to a temporary file first). */
MC_MUST_CHECK int kb_import(const char *data_dir, const char *out_path, FILE *errs,
                            struct mc_err *err);

/* Reports one problem of line `line` of the data file `file` ("data/x.tsv:12:
 * problem") on errs (NULL: counted only) and counts it in *nerr; printed up
 * to KB_IMPORT_MAX_ERRORS (the readers of the data TSV files share it). */
void kb_import_line_err(FILE *errs, int *nerr, const char *file, size_t line, const char *fmt, ...)
    MC_PRINTF(5, 6);

/* Writes a Markdown report of every field marked "verify": true in the
 * procedure files of data_dir to out. Returns 0 or -EINVAL/-EIO. */
MC_MUST_CHECK int kb_verify_report(const char *data_dir, FILE *out, struct mc_err *err);

#endif
