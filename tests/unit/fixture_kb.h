/* tests/unit/fixture_kb.h - the real knowledge base for a test group:
 * data/ imported into a temporary directory, opened as the server opens it,
 * with the understanding index built from it; all freed and removed after. */
#ifndef MOTCUA_TESTS_FIXTURE_KB_H
#define MOTCUA_TESTS_FIXTURE_KB_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "intent.h"
#include "kb.h"
#include "kb_import.h"

static struct kb *fixture_kb;
static struct intent_index *fixture_idx;
static char fixture_kb_dir[64], fixture_kb_db[96];

static inline int fixture_kb_setup(void **state)
{
    struct mc_err e = {{0}};
    FILE *errs = tmpfile();
    int rc = -1;

    (void)state;
    snprintf(fixture_kb_dir, sizeof(fixture_kb_dir), "/tmp/motcua-kb-XXXXXX");
    if (!errs || !mkdtemp(fixture_kb_dir))
        goto out;
    snprintf(fixture_kb_db, sizeof(fixture_kb_db), "%s/motcua.db", fixture_kb_dir);
    if (kb_import("data", fixture_kb_db, errs, &e) != 0) {
        fprintf(stderr, "import: %s\n", e.text);
        goto out;
    }
    fixture_kb = kb_open(fixture_kb_db, &e);
    fixture_idx = fixture_kb ? kb_build_index(fixture_kb, &e) : NULL;
    if (!fixture_idx)
        fprintf(stderr, "open: %s\n", e.text);
    else
        rc = 0;
out:
    if (errs)
        fclose(errs);
    return rc;
}

static inline int fixture_kb_teardown(void **state)
{
    (void)state;
    intent_index_free(fixture_idx);
    kb_free(fixture_kb);
    fixture_idx = NULL;
    fixture_kb = NULL;
    remove(fixture_kb_db);
    return rmdir(fixture_kb_dir);
}

#endif
