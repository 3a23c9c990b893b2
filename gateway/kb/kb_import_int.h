/* gateway/kb/kb_import_int.h - what the parts of `motcua import` share
 * (kb_import.h is the interface): kb_check.c validates the source files a
 * citizen reads (their fields, a procedure guide), kb_import.c reads data/
 * and writes the knowledge database, kb_verify.c writes the verify report.
 * Every problem goes through kbi_err() as "file:field: problem". */
#ifndef MOTCUA_GATEWAY_KB_IMPORT_INT_H
#define MOTCUA_GATEWAY_KB_IMPORT_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mc_err.h"

struct json_t;

#define PATH_MAX_LEN 1024   /* bytes; a path under data/ */
#define FILES_MAX 512       /* source files of one kind */
#define TEXT_FIELD_MAX 4000 /* bytes; one field a citizen reads */
#define PHRASE_MAX 300      /* bytes; one training phrase */
#define PHRASES_MIN 20      /* issue 3: at least 20 per catalogue id */
#define STEPS_MIN 3
#define FAQ_MAX 8           /* a guide that groups variants answers a few more questions */
#define PORTAL_CODES_MAX 40 /* a guide groups the portal's variants of one need */
#define CATALOGUE_MAX 256   /* ids in data/catalogue.tsv (= INTENT_MAX_LABELS) */
#define TSV_LINE_MAX 4096   /* bytes */

struct label_row {
    char id[64];
    char kind[16];
    char domain[32];
    char name[256];
    bool seen; /* a source file was found for it */
};

struct vctx {
    FILE *errs;
    int nerr;
    const char *file; /* the file being checked, for every message */
};

/* Reports one problem of v->file's field (counted; printed up to
 * KB_IMPORT_MAX_ERRORS). */
void kbi_err(struct vctx *v, const char *field, const char *fmt, ...) MC_PRINTF(3, 4);

/* ---- field checks (kb_check.c) ---- */

bool kbi_is_nfc(const char *s);
/* Reports every string of j (at path) that is not in Unicode NFC. */
void kbi_check_nfc_tree(struct vctx *v, struct json_t *j, const char *path);
bool kbi_is_date(const char *s);
/* o[key]: a string of 1..max bytes (reported under path, else key), or NULL. */
const char *kbi_req_str(struct vctx *v, struct json_t *o, const char *key, const char *path,
                        size_t max);
/* o[key]: an array of min..max strings of 1..item_max bytes, or NULL. */
struct json_t *kbi_req_str_array(struct vctx *v, struct json_t *o, const char *key, size_t min,
                                 size_t max, size_t item_max);
/* o[key] when it is a string, else def. */
const char *kbi_str_or(struct json_t *o, const char *key, const char *def);
struct label_row *kbi_find_label(struct label_row *rows, size_t n, const char *id);
/* Checks a procedure guide (root, read from v->file) against the catalogue
 * (rows); expect_id is its file's name. Returns its API form (new) or NULL. */
struct json_t *kbi_check_procedure(struct vctx *v, struct json_t *root, const char *expect_id,
                                   struct label_row *rows, size_t n_rows);

/* ---- data/ (kb_import.c) ---- */

/* Lists the files of dir ending in suffix, sorted; returns the count or
 * -errno. names[] are new (free each). */
int kbi_list_files(const char *dir, const char *suffix, char **names, size_t max);

#endif
