/* gateway/kb/kb_units.c - see kb_units.h. Names are matched on a folded key so
 * "Hòa"/"Hoà" (the two sources differ in tone style) and "hoa" all meet. */
#include "kb_units.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "kb.h"
#include "kb_office.h"
#include "mc_log.h"

#define UNITS_LINE_MAX 1024 /* bytes; one CSV line */
#define UNITS_FIELDS_MAX 8
#define UNITS_CODE_LEN 5 /* digits of a ward code, also an office file's name */

/* Unit-type words that precede a name; longest first so "thi tran" wins
 * over "thi". */
static const char *const type_words[] = {
    "thanh pho ", "thi tran ", "dac khu ", "thi xa ", "phuong ", "huyen ", "quan ",
    "tinh ",      "tp ",       "xa ",      "p ",      "q ",      "x "};
/* Words that start the district/province part of "X quận Y" queries. */
static const char *const split_words[] = {" thanh pho ", " thi xa ", " huyen ",
                                          " quan ",      " tinh ",   " tp "};

int kb_units_key(const char *name, char *out, size_t cap)
{
    char folded[UNITS_KEY_MAX * 2];
    size_t n, i, o = 0, k;
    int rc;

    rc = fold_text(name, strlen(name), folded, sizeof(folded), &n);
    if (rc)
        return rc;
    /* letters and digits only, single spaces */
    for (i = 0; i < n && o + 1 < sizeof(folded); i++) {
        char c = (char)tolower((unsigned char)folded[i]);

        if (isalnum((unsigned char)c))
            folded[o++] = c;
        else if (o > 0 && folded[o - 1] != ' ')
            folded[o++] = ' ';
    }
    while (o > 0 && folded[o - 1] == ' ')
        o--;
    folded[o] = '\0';
    /* drop one leading type word ("thanh pho ho chi minh" -> "ho chi minh"); only
     * one, or "Phường Quán Thánh" would lose "quan" as if it were "quận" */
    i = 0;
    for (k = 0; k < sizeof(type_words) / sizeof(type_words[0]); k++) {
        size_t wl = strlen(type_words[k]);

        if (strncmp(folded, type_words[k], wl) == 0 && folded[wl] != '\0') {
            i = wl;
            break;
        }
    }
    /* "... cu" / "... moi": the citizen's "(old)/(new)", not part of a name */
    if (o - i > 3 && (strcmp(folded + o - 3, " cu") == 0))
        folded[o -= 3] = '\0';
    if (o - i > 4 && (strcmp(folded + o - 4, " moi") == 0))
        folded[o -= 4] = '\0';
    if (o - i + 1 > cap)
        return -E2BIG;
    memcpy(out, folded + i, o - i + 1);
    return 0;
}

/* ---- import ------------------------------------------------------------ */

static int split_csv(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;

    line[strcspn(line, "\r\n")] = '\0';
    while (n < max) {
        f[n++] = p;
        p = strchr(p, ',');
        if (!p)
            break;
        *p++ = '\0';
    }
    return p ? -1 : n; /* more fields than expected */
}

static int import_current(sqlite3 *db, const char *path, FILE *errs, int *nerr)
{
    sqlite3_stmt *prov = NULL, *unit = NULL;
    char line[UNITS_LINE_MAX], key[UNITS_KEY_MAX], pkey[UNITS_KEY_MAX];
    char *f[UNITS_FIELDS_MAX];
    size_t lineno = 0;
    FILE *in = fopen(path, "r");
    int rc = 0;

    if (!in) {
        fprintf(errs, "%s: cannot open\n", path);
        (*nerr)++;
        return 0;
    }
    if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO province VALUES (?1, ?2, ?3)", -1, &prov,
                           NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO unit VALUES (?1, ?2, ?3, ?4)", -1, &unit, NULL) !=
            SQLITE_OK) {
        rc = -EIO;
        goto out;
    }
    while (fgets(line, sizeof(line), in)) {
        lineno++;
        if (lineno == 1)
            continue;
        if (split_csv(line, f, 4) != 4 || strlen(f[0]) != 2 || strlen(f[2]) != UNITS_CODE_LEN ||
            kb_units_key(f[3], key, sizeof(key)) || kb_units_key(f[1], pkey, sizeof(pkey))) {
            fprintf(errs, "%s:%zu: expected province_code,province_name,ward_code,ward_name\n",
                    path, lineno);
            (*nerr)++;
            continue;
        }
        /* binds are OR-ed: SQLITE_OK is 0, so any failed one makes the sum non-zero */
        if ((sqlite3_bind_text(prov, 1, f[0], -1, SQLITE_TRANSIENT) |
             sqlite3_bind_text(prov, 2, f[1], -1, SQLITE_TRANSIENT) |
             sqlite3_bind_text(prov, 3, pkey, -1, SQLITE_TRANSIENT) |
             sqlite3_bind_text(unit, 1, f[2], -1, SQLITE_TRANSIENT) |
             sqlite3_bind_text(unit, 2, f[3], -1, SQLITE_TRANSIENT) |
             sqlite3_bind_text(unit, 3, f[0], -1, SQLITE_TRANSIENT) |
             sqlite3_bind_text(unit, 4, key, -1, SQLITE_TRANSIENT)) != SQLITE_OK ||
            sqlite3_step(prov) != SQLITE_DONE) {
            rc = -EIO;
            goto out;
        }
        if (sqlite3_step(unit) != SQLITE_DONE) {
            fprintf(errs, "%s:%zu: ward code %s is listed twice\n", path, lineno, f[2]);
            (*nerr)++;
        }
        sqlite3_reset(prov);
        sqlite3_reset(unit);
    }
out:
    sqlite3_finalize(prov);
    sqlite3_finalize(unit);
    fclose(in);
    return rc;
}

static int import_former(sqlite3 *db, const char *path, FILE *errs, int *nerr)
{
    sqlite3_stmt *ins = NULL, *chk = NULL;
    char line[UNITS_LINE_MAX], key[UNITS_KEY_MAX];
    char *f[UNITS_FIELDS_MAX];
    size_t lineno = 0;
    FILE *in = fopen(path, "r");
    int rc = 0;

    if (!in) {
        fprintf(errs, "%s: cannot open\n", path);
        (*nerr)++;
        return 0;
    }
    if (sqlite3_prepare_v2(db, "INSERT INTO former_unit VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", -1,
                           &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT 1 FROM unit WHERE code = ?1", -1, &chk, NULL) != SQLITE_OK) {
        rc = -EIO;
        goto out;
    }
    while (fgets(line, sizeof(line), in)) {
        bool whole;

        lineno++;
        if (lineno == 1)
            continue;
        if (split_csv(line, f, 8) != 8 || kb_units_key(f[1], key, sizeof(key)) ||
            (strcmp(f[7], "yes") && strcmp(f[7], "no"))) {
            fprintf(errs, "%s:%zu: expected 8 fields ending in whole=yes|no\n", path, lineno);
            (*nerr)++;
            continue;
        }
        whole = strcmp(f[7], "yes") == 0;
        if (sqlite3_bind_text(chk, 1, f[4], -1, SQLITE_TRANSIENT) != SQLITE_OK) {
            rc = -EIO;
            goto out;
        }
        if (sqlite3_step(chk) != SQLITE_ROW) {
            fprintf(errs, "%s:%zu: new_ward_code %s is not in units-current.csv\n", path, lineno,
                    f[4]);
            (*nerr)++;
        }
        sqlite3_reset(chk);
        if ((sqlite3_bind_text(ins, 1, f[0], -1, SQLITE_TRANSIENT) |
             sqlite3_bind_text(ins, 2, f[1], -1, SQLITE_TRANSIENT) |
             sqlite3_bind_text(ins, 3, f[2], -1, SQLITE_TRANSIENT) |
             sqlite3_bind_text(ins, 4, f[3], -1, SQLITE_TRANSIENT) |
             sqlite3_bind_text(ins, 5, f[4], -1, SQLITE_TRANSIENT) |
             sqlite3_bind_int(ins, 6, whole) |
             sqlite3_bind_text(ins, 7, key, -1, SQLITE_TRANSIENT)) != SQLITE_OK ||
            sqlite3_step(ins) != SQLITE_DONE) {
            rc = -EIO;
            goto out;
        }
        sqlite3_reset(ins);
    }
out:
    sqlite3_finalize(ins);
    sqlite3_finalize(chk);
    fclose(in);
    return rc;
}

int kb_units_import(sqlite3 *db, const char *data_dir, FILE *errs, int *nerr)
{
    char path[1024];
    int rc;

    snprintf(path, sizeof(path), "%s/units/units-current.csv", data_dir);
    rc = import_current(db, path, errs, nerr);
    if (rc)
        return rc;
    snprintf(path, sizeof(path), "%s/units/old-to-new-2025.csv", data_dir);
    return import_former(db, path, errs, nerr);
}

/* ---- search ------------------------------------------------------------ */

/* True if columns first..last of the row are all non-NULL. The schema says
 * NOT NULL; a damaged database is reported once per row, never a crash and
 * never a unit that silently vanishes from the results. */
static bool row_complete(sqlite3_stmt *q, int first, int last)
{
    int i;

    for (i = first; i <= last; i++) {
        if (sqlite3_column_type(q, i) == SQLITE_NULL) {
            const char *code = (const char *)sqlite3_column_text(q, 0);

            mc_log(MC_LOG_ERROR, "units.bad_row", "code=%s column=%s", code ? code : "-",
                   sqlite3_column_name(q, i));
            return false;
        }
    }
    return true;
}

static const char *col(sqlite3_stmt *q, int i)
{
    return (const char *)sqlite3_column_text(q, i);
}

static json_t *unit_json(sqlite3_stmt *q, const char *match)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:[],s:b}", "code", col(q, 0), "name", col(q, 1),
                     "province", col(q, 2), "province_code", col(q, 3), "match", match, "former",
                     "whole", 1);
}

static json_t *find_in(json_t *arr, const char *code)
{
    json_t *x;
    size_t i;

    json_array_foreach(arr, i, x)
    {
        const char *c = json_string_value(json_object_get(x, "code"));

        if (c && strcmp(c, code) == 0)
            return x;
    }
    return NULL;
}

/* True if hint (a folded key) names the row's district or province. */
static bool hint_matches(const char *hint, const char *district, const char *province)
{
    char k[UNITS_KEY_MAX];

    if (!hint || !hint[0])
        return true;
    if (kb_units_key(district, k, sizeof(k)) == 0 && strcmp(k, hint) == 0)
        return true;
    return kb_units_key(province, k, sizeof(k)) == 0 && (strcmp(k, hint) == 0 || strstr(hint, k));
}

static int search_key(sqlite3 *db, const char *key, const char *hint, bool prefix, json_t *out)
{
    static const char *const cur_sql =
        "SELECT u.code, u.name, p.name, p.code FROM unit u JOIN province p ON p.code = "
        "u.province_code WHERE u.folded = ?1 OR (?2 AND u.folded LIKE ?1 || ' %') "
        "ORDER BY u.code LIMIT 50";
    static const char *const old_sql =
        "SELECT u.code, u.name, p.name, p.code, f.old_code, f.old_name, f.old_district, "
        "f.old_province, f.whole FROM former_unit f JOIN unit u ON u.code = f.new_code JOIN "
        "province p ON p.code = u.province_code WHERE f.folded = ?1 OR (?2 AND f.folded LIKE ?1 "
        "|| ' %') ORDER BY f.old_code, u.code LIMIT 100";
    sqlite3_stmt *q = NULL;
    int rc = -EIO, step;

    if (sqlite3_prepare_v2(db, cur_sql, -1, &q, NULL) != SQLITE_OK ||
        (sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT) | sqlite3_bind_int(q, 2, prefix)) !=
            SQLITE_OK)
        goto out;
    while ((step = sqlite3_step(q)) == SQLITE_ROW && json_array_size(out) < UNITS_RESULTS_MAX) {
        if (!row_complete(q, 0, 3) || !hint_matches(hint, "", col(q, 2)) || find_in(out, col(q, 0)))
            continue;
        if (json_array_append_new(out, unit_json(q, "current"))) {
            rc = -ENOMEM;
            goto out;
        }
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        goto out;
    sqlite3_finalize(q);
    q = NULL;
    if (sqlite3_prepare_v2(db, old_sql, -1, &q, NULL) != SQLITE_OK ||
        (sqlite3_bind_text(q, 1, key, -1, SQLITE_TRANSIENT) | sqlite3_bind_int(q, 2, prefix)) !=
            SQLITE_OK)
        goto out;
    while ((step = sqlite3_step(q)) == SQLITE_ROW) {
        json_t *u;

        if (!row_complete(q, 0, 8) || !hint_matches(hint, col(q, 6), col(q, 7)))
            continue;
        u = find_in(out, col(q, 0));
        if (!u) {
            if (json_array_size(out) >= UNITS_RESULTS_MAX)
                continue;
            u = unit_json(q, "former");
            if (json_array_append_new(out, u)) {
                rc = -ENOMEM;
                goto out;
            }
        }
        if (json_array_append_new(json_object_get(u, "former"),
                                  json_pack("{s:s,s:s,s:s,s:s,s:b}", "code", col(q, 4), "name",
                                            col(q, 5), "district", col(q, 6), "province", col(q, 7),
                                            "whole", sqlite3_column_int(q, 8))) ||
            (!sqlite3_column_int(q, 8) && json_object_set_new(u, "whole", json_false()))) {
            rc = -ENOMEM;
            goto out;
        }
    }
    if (step != SQLITE_DONE)
        goto out;
    rc = 0;
out:
    sqlite3_finalize(q);
    return rc;
}

int kb_units_search(struct kb *kb, const char *q, json_t **result)
{
    char key[UNITS_KEY_MAX], name[UNITS_KEY_MAX];
    const char *hint = NULL;
    json_t *out;
    size_t k;
    int rc;

    if (kb_units_key(q, key, sizeof(key)) || !key[0])
        return -EINVAL;
    out = json_array();
    if (!out)
        return -ENOMEM;
    /* "cong vi quan ba dinh": the name, then the district or province it was in */
    snprintf(name, sizeof(name), "%s", key);
    for (k = 0; k < sizeof(split_words) / sizeof(split_words[0]); k++) {
        char *at = strstr(name, split_words[k]);

        if (at && at != name) {
            *at = '\0';
            hint = key + (at - name) + strlen(split_words[k]);
            break;
        }
    }
    rc = search_key(kb_db(kb), key, NULL, false, out);
    if (!rc && json_array_size(out) == 0 && hint)
        rc = search_key(kb_db(kb), name, hint, false, out);
    if (!rc && json_array_size(out) == 0)
        rc = search_key(kb_db(kb), hint ? name : key, hint, true, out);
    if (rc) {
        json_decref(out);
        return rc;
    }
    *result = out;
    return 0;
}

/* ---- offices ------------------------------------------------------------ */

static void office_err(FILE *errs, int *nerr, const char *file, const char *field,
                       const char *problem)
{
    fprintf(errs, "%s:%s: %s\n", file, field, problem);
    (*nerr)++;
}

struct office_errs {
    FILE *errs;
    int *nerr;
    const char *file;
};

static void office_report(void *ctx, const char *field, const char *problem)
{
    struct office_errs *e = ctx;

    office_err(e->errs, e->nerr, e->file, field, problem);
}

static int check_office(sqlite3 *db, sqlite3_stmt *ins, const char *path, const char *code,
                        FILE *errs, int *nerr)
{
    struct office_errs oe = {errs, nerr, path};
    json_error_t jerr;
    json_t *o = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    sqlite3_stmt *q = NULL;
    char *body = NULL;
    int before = *nerr, rc = 0;

    if (!o) {
        fprintf(errs, "%s:: line %d: %s\n", path, jerr.line, jerr.text);
        (*nerr)++;
        return 0;
    }
    if (strcmp(json_string_value(json_object_get(o, "unit_code"))
                   ? json_string_value(json_object_get(o, "unit_code"))
                   : "",
               code) != 0)
        office_err(errs, nerr, path, "unit_code", "must equal the file name");
    kb_office_check(o, office_report, &oe); /* the rules the console applies too */
    if (sqlite3_prepare_v2(db, "SELECT name FROM unit WHERE code = ?1", -1, &q, NULL) ==
        SQLITE_OK) {
        if (sqlite3_bind_text(q, 1, code, -1, SQLITE_TRANSIENT) != SQLITE_OK)
            rc = -EIO;
        else if (sqlite3_step(q) != SQLITE_ROW || !col(q, 0))
            office_err(errs, nerr, path, "unit_code", "not a ward code of units-current.csv");
        else if (json_string_value(json_object_get(o, "unit_name")) &&
                 strcmp(col(q, 0), json_string_value(json_object_get(o, "unit_name"))) != 0)
            office_err(errs, nerr, path, "unit_name", "differs from units-current.csv");
    }
    sqlite3_finalize(q);
    if (!rc && *nerr == before) {
        body = json_dumps(o, JSON_COMPACT);
        rc = body &&
                     (sqlite3_bind_text(ins, 1, code, -1, SQLITE_TRANSIENT) |
                      sqlite3_bind_text(ins, 2, body, -1, SQLITE_TRANSIENT)) == SQLITE_OK &&
                     sqlite3_step(ins) == SQLITE_DONE
                 ? 0
                 : -EIO;
        sqlite3_reset(ins);
        free(body);
    }
    json_decref(o);
    return rc;
}

int kb_units_import_offices(sqlite3 *db, const char *data_dir, FILE *errs, int *nerr)
{
    char dir[1024], path[1400], code[UNITS_CODE_LEN + 1];
    sqlite3_stmt *ins = NULL;
    struct dirent *e;
    DIR *d;
    int rc = 0;

    snprintf(dir, sizeof(dir), "%s/offices", data_dir);
    d = opendir(dir);
    if (!d)
        return 0; /* no office data: every answer is the generic one */
    if (sqlite3_prepare_v2(db, "INSERT INTO office VALUES (?1, ?2)", -1, &ins, NULL) != SQLITE_OK) {
        closedir(d);
        return -EIO;
    }
    while (!rc && (e = readdir(d))) {
        size_t n = strlen(e->d_name);

        if (e->d_name[0] == '.' || n != UNITS_CODE_LEN + sizeof ".json" - 1 ||
            strcmp(e->d_name + UNITS_CODE_LEN, ".json") != 0) {
            if (e->d_name[0] != '.' && strcmp(e->d_name, "README.md") != 0) {
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                office_err(errs, nerr, path, "", "office files are named <5-digit ward code>.json");
            }
            continue;
        }
        memcpy(code, e->d_name, UNITS_CODE_LEN);
        code[UNITS_CODE_LEN] = '\0';
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        rc = check_office(db, ins, path, code, errs, nerr);
    }
    closedir(d);
    sqlite3_finalize(ins);
    return rc;
}
