/* gateway/kb/kb_portal_report.c - the coverage section of `motcua
 * verify-report` (kb_portal.h): read from the source files themselves (the
 * index with the import's own reader), so it runs on a data/ folder whose
 * guides do not import yet. */
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

/* 0: count; 1: list known only; 2: list missing */
static void tally(const struct kb_portal_rows *rows, const struct cov_code *codes, size_t n_codes,
                  int pass, size_t *counts, FILE *out)
{
    size_t i;

    for (i = 0; i < kb_portal_rows_count(rows); i++) {
        const char *code = kb_portal_rows_field(rows, i, KB_PORTAL_CODE),
                   *name = kb_portal_rows_field(rows, i, KB_PORTAL_NAME),
                   *reason = kb_portal_rows_field(rows, i, KB_PORTAL_REASON);
        bool guided = guide_of(codes, n_codes, code) != NULL;

        if (pass == 0)
            counts[guided ? 0 : reason[0] ? 1 : 2]++;
        else if (pass == 1 && !guided && reason[0])
            fprintf(out, "| %s | %s | %s |\n", code, name, reason);
        else if (pass == 2 && !guided && !reason[0])
            fprintf(out, "| %s | %s |\n", code, name);
    }
}

int kb_portal_coverage(const char *data_dir, FILE *out, struct mc_err *err)
{
    struct cov_code *codes = calloc(COV_CODES_MAX, sizeof(*codes));
    struct kb_portal_rows *rows = NULL;
    size_t c[3] = {0}, total;
    int n, nerr = 0, rc = -EINVAL;

    if (!codes) {
        mc_err_set(err, "out of memory");
        return -ENOMEM;
    }
    n = guide_codes(data_dir, codes, COV_CODES_MAX, err);
    if (n < 0)
        goto out;
    if (kb_portal_rows_read(data_dir, stderr, &nerr, &rows)) {
        mc_err_set(err, "%s/portal_index.tsv: cannot read", data_dir);
        goto out;
    }
    if (nerr) {
        mc_err_set(err, "%s/portal_index.tsv: %d problem%s (listed above)", data_dir, nerr,
                   nerr == 1 ? "" : "s");
        goto out;
    }
    tally(rows, codes, (size_t)n, 0, c, out);
    total = c[0] + c[1] + c[2];
    fprintf(out,
            "\n## Coverage of the portal's commune-level procedures\n\n"
            "From `data/portal_index.tsv` (every code the national portal lists at commune "
            "level) and the guides' `portal_codes`.\n\n"
            "| | codes | share |\n|---|---|---|\n"
            "| with a guide | %zu | %.1f%% |\n| known only (no guide, reason given) | %zu | "
            "%.1f%% |\n| missing (no guide, no reason) | %zu | %.1f%% |\n| total | %zu | |\n",
            c[0], total ? 100.0 * (double)c[0] / (double)total : 0.0, c[1],
            total ? 100.0 * (double)c[1] / (double)total : 0.0, c[2],
            total ? 100.0 * (double)c[2] / (double)total : 0.0, total);
    if (c[1]) {
        fprintf(out, "\n### Known only: why there is no guide\n\n| code | name | reason |\n"
                     "|---|---|---|\n");
        tally(rows, codes, (size_t)n, 1, c, out);
    }
    if (c[2]) {
        fprintf(out, "\n### Missing: neither a guide nor a reason\n\n| code | name |\n|---|---|\n");
        tally(rows, codes, (size_t)n, 2, c, out);
    }
    rc = 0;
out:
    kb_portal_rows_free(rows);
    free(codes);
    return rc;
}
