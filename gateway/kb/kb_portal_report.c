/* gateway/kb/kb_portal_report.c - the coverage section of `motcua
 * verify-report` (kb_portal.h): read from the source files themselves, so it
 * can be run on a data/ folder that does not import yet. */
#include "kb_portal.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define COV_CODES_MAX 8192 /* portal codes named by all guides together */

struct cov_code {
    char code[16];
    char guide[64];
};

/* Every portal code named by a guide of data_dir/procedures. Returns the
 * count, or -1 with err set. */
static int guide_codes(const char *data_dir, struct cov_code *out, size_t max, struct mc_err *err)
{
    char dir[1024], path[1400];
    struct dirent *d;
    DIR *dp;
    size_t n = 0;

    snprintf(dir, sizeof(dir), "%s/procedures", data_dir);
    dp = opendir(dir);
    if (!dp) {
        mc_err_set(err, "%s: cannot list: %s", dir, strerror(errno));
        return -1;
    }
    while ((d = readdir(dp)) != NULL) {
        size_t len = strlen(d->d_name), i;
        json_error_t jerr;
        json_t *root, *x;
        const char *id;

        if (len < 6 || strcmp(d->d_name + len - 5, ".json") != 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
        root = json_load_file(path, 0, &jerr);
        if (!root) {
            mc_err_set(err, "%s:%d: %s", path, jerr.line, jerr.text);
            closedir(dp);
            return -1;
        }
        id = json_string_value(json_object_get(root, "id"));
        json_array_foreach(json_object_get(root, "portal_codes"), i, x)
        {
            if (n == max || !json_is_string(x))
                continue;
            snprintf(out[n].code, sizeof(out[n].code), "%.15s", json_string_value(x));
            snprintf(out[n].guide, sizeof(out[n].guide), "%.63s", id ? id : d->d_name);
            n++;
        }
        json_decref(root);
    }
    closedir(dp);
    return (int)n;
}

static const char *guide_of(const struct cov_code *c, size_t n, const char *code)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (strcmp(c[i].code, code) == 0)
            return c[i].guide;
    return NULL;
}

/* Calls fn for each row of the index (code, name, reason). */
static int index_rows(const char *data_dir, struct mc_err *err,
                      void (*fn)(void *arg, const char *code, const char *name, const char *reason),
                      void *arg)
{
    char path[1024], line[8 * KB_PORTAL_FIELD_MAX + 2];
    bool header = true;
    FILE *in;

    snprintf(path, sizeof(path), "%s/portal_index.tsv", data_dir);
    in = fopen(path, "r");
    if (!in) {
        mc_err_set(err, "%s: cannot open: %s", path, strerror(errno));
        return -EINVAL;
    }
    while (fgets(line, sizeof(line), in)) {
        char *f[8], *p = line;
        size_t n = 0;

        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || !line[0])
            continue;
        if (header) {
            header = false;
            continue;
        }
        while (n < 8) {
            f[n++] = p;
            p = strchr(p, '\t');
            if (!p)
                break;
            *p++ = '\0';
        }
        if (n == 8)
            fn(arg, f[0], f[3], f[7]);
    }
    fclose(in);
    return 0;
}

struct tally {
    const struct cov_code *codes;
    size_t n_codes;
    size_t total, guided, known, missing;
    FILE *out;
    int pass; /* 0: count; 1: list known only; 2: list missing */
};

static void tally_row(void *arg, const char *code, const char *name, const char *reason)
{
    struct tally *t = arg;
    bool guided = guide_of(t->codes, t->n_codes, code) != NULL;

    if (t->pass == 0) {
        t->total++;
        if (guided)
            t->guided++;
        else if (reason[0])
            t->known++;
        else
            t->missing++;
    } else if (t->pass == 1 && !guided && reason[0]) {
        fprintf(t->out, "| %s | %s | %s |\n", code, name, reason);
    } else if (t->pass == 2 && !guided && !reason[0]) {
        fprintf(t->out, "| %s | %s |\n", code, name);
    }
}

int kb_portal_coverage(const char *data_dir, FILE *out, struct mc_err *err)
{
    struct cov_code *codes = calloc(COV_CODES_MAX, sizeof(*codes));
    struct tally t = {0};
    int n, rc = -EINVAL;

    if (!codes) {
        mc_err_set(err, "out of memory");
        return -ENOMEM;
    }
    n = guide_codes(data_dir, codes, COV_CODES_MAX, err);
    if (n < 0)
        goto out;
    t.codes = codes;
    t.n_codes = (size_t)n;
    t.out = out;
    if (index_rows(data_dir, err, tally_row, &t))
        goto out;
    fprintf(out,
            "\n## Coverage of the portal's commune-level procedures\n\n"
            "From `data/portal_index.tsv` (every code the national portal lists at commune "
            "level) and the guides' `portal_codes`.\n\n"
            "| | codes | share |\n|---|---|---|\n"
            "| with a guide | %zu | %.1f%% |\n| known only (no guide, reason given) | %zu | "
            "%.1f%% |\n| missing (no guide, no reason) | %zu | %.1f%% |\n| total | %zu | |\n",
            t.guided, t.total ? 100.0 * (double)t.guided / (double)t.total : 0.0, t.known,
            t.total ? 100.0 * (double)t.known / (double)t.total : 0.0, t.missing,
            t.total ? 100.0 * (double)t.missing / (double)t.total : 0.0, t.total);
    if (t.known) {
        fprintf(out, "\n### Known only: why there is no guide\n\n| code | name | reason |\n"
                     "|---|---|---|\n");
        t.pass = 1;
        if (index_rows(data_dir, err, tally_row, &t))
            goto out;
    }
    if (t.missing) {
        fprintf(out, "\n### Missing: neither a guide nor a reason\n\n| code | name |\n|---|---|\n");
        t.pass = 2;
        if (index_rows(data_dir, err, tally_row, &t))
            goto out;
    }
    rc = 0;
out:
    free(codes);
    return rc;
}
