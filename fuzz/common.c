/* fuzz/common.c - see common.h. */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "intent.h"
#include "kb.h"
#include "kb_import.h"
#include "mc_log.h"

void fuzz_kb_open(struct kb **kb, struct intent_index **idx)
{
    struct mc_err err = {{0}};
    const char *data = getenv("MOTCUA_FUZZ_DATA");
    char dir[] = "/tmp/motcua-fuzz-XXXXXX", db[64];
    FILE *errs = tmpfile();

    mc_log_set_level(MC_LOG_ERROR);
    if (!data || !data[0])
        data = "data";
    if (!errs || !mkdtemp(dir)) {
        fprintf(stderr, "fuzz: no temporary directory\n");
        exit(1);
    }
    snprintf(db, sizeof(db), "%s/motcua.db", dir);
    if (kb_import(data, db, errs, &err) != 0) {
        fprintf(stderr, "fuzz: import %s: %s (run from the repository root)\n", data, err.text);
        exit(1);
    }
    fclose(errs);
    *kb = kb_open(db, &err);
    if (*kb && idx)
        *idx = kb_build_index(*kb, &err);
    remove(db);
    rmdir(dir);
    if (!*kb || (idx && !*idx)) {
        fprintf(stderr, "fuzz: open %s: %s\n", db, err.text);
        exit(1);
    }
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s)
        abort();
    if (size)
        memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

size_t fuzz_fields(char *s, char **fields, size_t n)
{
    size_t i, got = 0;

    for (i = 0; i < n; i++)
        fields[i] = NULL;
    while (s && got < n) {
        char *nl = got + 1 < n ? strchr(s, '\n') : NULL;

        fields[got++] = s;
        if (nl)
            *nl = '\0';
        s = nl ? nl + 1 : NULL;
    }
    return got;
}
