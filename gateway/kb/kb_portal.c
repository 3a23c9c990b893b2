/* gateway/kb/kb_portal.c - see kb_portal.h. */
#include "kb_portal.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "intent.h"
#include "kb_import.h"
#include "kb_referral.h"
#include "known.h"

#define NF 8 /* columns of the index */
#define LINE_MAX_LEN (NF * KB_PORTAL_FIELD_MAX)

static const char *const header[NF] = {"code",   "body",     "domain", "name",
                                       "agency", "for_whom", "url",    "reason"};

struct row {
    char *f[NF];
    size_t line;
};

struct rows {
    struct row *r;
    size_t n;
};

struct pctx {
    FILE *errs;
    int *nerr;
};

/* One problem of the file at line (kb_import_line_err()). */
#define PERR(c, line, ...)                                                                         \
    kb_import_line_err((c)->errs, (c)->nerr, "data/portal_index.tsv", (line), __VA_ARGS__)

static void rows_free(struct rows *rs)
{
    size_t i, j;

    for (i = 0; i < rs->n; i++)
        for (j = 0; j < NF; j++)
            free(rs->r[i].f[j]);
    free(rs->r);
    rs->r = NULL;
    rs->n = 0;
}

/* "1.001193": digits, one dot after the first digit, digits. */
static bool is_code(const char *s)
{
    size_t n = strlen(s);

    return n >= 7 && n <= 12 && s[1] == '.' && strspn(s, "0123456789.") == n &&
           strchr(s + 2, '.') == NULL;
}

bool kb_portal_is_url(const char *s)
{
    const char *h;
    size_t i;

    if (strncmp(s, "https://", sizeof "https://" - 1) != 0)
        return false;
    h = s + sizeof "https://" - 1;
    for (i = 0; h[i] && h[i] != '/' && h[i] != '?' && h[i] != '#'; i++)
        if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') ||
              (h[i] >= '0' && h[i] <= '9') || h[i] == '.' || h[i] == '-' || h[i] == ':'))
            return false;
    if (i < 4 || !memchr(h, '.', i))
        return false;
    for (; h[i]; i++)
        if ((unsigned char)h[i] <= ' ' || h[i] == '"' || h[i] == '<' || h[i] == '>')
            return false;
    return true;
}

/* Splits line at TABs into NF fields (in place). Returns the count found. */
static size_t split(char *line, char **f)
{
    size_t n = 0;
    char *p = line;

    while (n < NF) {
        char *tab = strchr(p, '\t');

        f[n++] = p;
        if (!tab)
            break;
        *tab = '\0';
        p = tab + 1;
    }
    return strchr(p, '\t') ? NF + 1 : n;
}

/* Reads and checks the rows of data_dir/portal_index.tsv. A missing file is
 * an empty index. Returns 0 (problems counted in c), or -EIO/-ENOMEM. */
static int read_rows(const char *data_dir, struct pctx *c, struct rows *rs)
{
    char path[1024], line[LINE_MAX_LEN + 2];
    bool seen_header = false;
    size_t lineno = 0, cap = 0, i, j;
    FILE *in;

    rs->r = NULL;
    rs->n = 0;
    snprintf(path, sizeof(path), "%s/portal_index.tsv", data_dir);
    in = fopen(path, "r");
    if (!in)
        return errno == ENOENT ? 0 : -EIO;
    while (fgets(line, sizeof(line), in)) {
        char *f[NF + 1];
        size_t len = strlen(line), nf;

        lineno++;
        if (len == sizeof(line) - 1 && line[len - 1] != '\n') {
            PERR(c, lineno, "line longer than %d bytes", LINE_MAX_LEN);
            int ch;
            while ((ch = fgetc(in)) != EOF && ch != '\n')
                ;
            continue;
        }
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (line[0] == '#' || len == 0)
            continue;
        nf = split(line, f);
        if (!seen_header) {
            seen_header = true;
            for (j = 0; j < NF && nf == NF; j++)
                if (strcmp(f[j], header[j]) != 0)
                    break;
            if (nf != NF || j != NF)
                PERR(c, lineno,
                     "the header must be: code body domain name agency for_whom url "
                     "reason (TAB-separated)");
            continue;
        }
        if (nf != NF) {
            PERR(c, lineno, "%zu fields, expected %d (TAB-separated)", nf > NF ? nf : nf, NF);
            continue;
        }
        if (!is_code(f[0]))
            PERR(c, lineno, "code \"%s\" does not look like a portal code (e.g. 1.001193)", f[0]);
        for (j = 1; j < 7; j++)
            if (!f[j][0])
                PERR(c, lineno, "%s is empty (write \"-\" when the portal says nothing)",
                     header[j]);
        if (f[6][0] && !kb_portal_is_url(f[6]))
            PERR(c, lineno, "url is not a well-formed https URL");
        for (i = 0; i < rs->n; i++)
            if (strcmp(rs->r[i].f[0], f[0]) == 0)
                PERR(c, lineno, "code %s is listed twice (first on line %zu)", f[0], rs->r[i].line);
        if (rs->n == KB_PORTAL_ROWS_MAX) {
            PERR(c, lineno, "more than %d rows", KB_PORTAL_ROWS_MAX);
            break;
        }
        if (rs->n == cap) {
            struct row *nr = realloc(rs->r, (cap ? cap * 2 : 256) * sizeof(*nr));

            if (!nr)
                goto nomem;
            rs->r = nr;
            cap = cap ? cap * 2 : 256;
        }
        rs->r[rs->n].line = lineno;
        for (j = 0; j < NF; j++) {
            rs->r[rs->n].f[j] = strdup(f[j]);
            if (!rs->r[rs->n].f[j]) {
                while (j--)
                    free(rs->r[rs->n].f[j]);
                goto nomem;
            }
        }
        rs->n++;
    }
    if (!seen_header && lineno)
        PERR(c, lineno, "no header line");
    fclose(in);
    return 0;
nomem:
    fclose(in);
    rows_free(rs);
    return -ENOMEM;
}

struct kb_portal_rows {
    struct rows rs;
};

int kb_portal_rows_read(const char *data_dir, FILE *errs, int *nerr, struct kb_portal_rows **out)
{
    struct pctx c = {errs, nerr};
    struct kb_portal_rows *p = calloc(1, sizeof(*p));

    *out = NULL;
    if (!p)
        return -ENOMEM;
    if (read_rows(data_dir, &c, &p->rs)) {
        free(p);
        return -EIO;
    }
    *out = p;
    return 0;
}

size_t kb_portal_rows_count(const struct kb_portal_rows *p)
{
    return p ? p->rs.n : 0;
}

const char *kb_portal_rows_field(const struct kb_portal_rows *p, size_t i, enum kb_portal_col col)
{
    return p && i < p->rs.n && (unsigned)col < NF ? p->rs.r[i].f[col] : "";
}

void kb_portal_rows_free(struct kb_portal_rows *p)
{
    if (!p)
        return;
    rows_free(&p->rs);
    free(p);
}

int kb_portal_import(sqlite3 *db, const char *data_dir, FILE *errs, int *nerr)
{
    struct pctx c = {errs, nerr};
    struct rows rs;
    sqlite3_stmt *ins = NULL, *chk = NULL;
    size_t i, j;
    int rc = read_rows(data_dir, &c, &rs);

    if (rc)
        return -EIO;
    if (sqlite3_prepare_v2(db, "INSERT INTO portal_entry VALUES (?,?,?,?,?,?,?,?,NULL)", -1, &ins,
                           NULL) != SQLITE_OK)
        goto fail;
    for (i = 0; i < rs.n; i++) {
        for (j = 0; j < NF; j++)
            if (sqlite3_bind_text(ins, (int)j + 1, rs.r[i].f[j], -1, SQLITE_STATIC) != SQLITE_OK)
                goto fail;
        rc = sqlite3_step(ins);
        sqlite3_reset(ins);
        if (rc == SQLITE_CONSTRAINT)
            continue; /* a code listed twice: already reported */
        if (rc != SQLITE_DONE)
            goto fail;
    }
    /* a code is covered by the (first) guide whose portal_codes name it */
    if (sqlite3_exec(db,
                     "UPDATE portal_entry SET guide = (SELECT p.id FROM procedure p, "
                     "json_each(p.body, '$.portal_codes') j WHERE j.value = portal_entry.code "
                     "ORDER BY p.id LIMIT 1)",
                     NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    if (sqlite3_prepare_v2(db, "SELECT guide FROM portal_entry WHERE code = ?", -1, &chk, NULL) !=
        SQLITE_OK)
        goto fail;
    for (i = 0; i < rs.n; i++) {
        if (!rs.r[i].f[7][0])
            continue;
        sqlite3_bind_text(chk, 1, rs.r[i].f[0], -1, SQLITE_STATIC);
        if (sqlite3_step(chk) == SQLITE_ROW && sqlite3_column_type(chk, 0) != SQLITE_NULL)
            PERR(&c, rs.r[i].line,
                 "code %s is covered by the guide \"%s\": remove the reason it has none",
                 rs.r[i].f[0], (const char *)sqlite3_column_text(chk, 0));
        sqlite3_reset(chk);
    }
    sqlite3_finalize(chk);
    sqlite3_finalize(ins);
    rows_free(&rs);
    return 0;
fail:
    sqlite3_finalize(chk);
    sqlite3_finalize(ins);
    rows_free(&rs);
    return -EIO;
}

/* ---- the loaded set ------------------------------------------------------ */

/* A guide-less entry wins over a matched guide only when that guide's own
 * names explain the message clearly worse than the entry's name: the
 * classifier saw "tạm trú" in "khai báo tạm trú cho người nước ngoài", the
 * names see the whole request (docs/understanding.md). */
#define KB_PORTAL_OVERRIDE 0.7

struct kb_portal {
    struct kb_portal_entry *e; /* sorted by code */
    char **owned;              /* every string of e, freed together */
    size_t n, n_owned;
    struct known_index *known; /* the n entries of e, then one per guide (its names) */
    const char **owner;        /* per index entry: the guide it belongs to, or NULL */
    char **guide_names;        /* per guide entry: its id and its naming text */
    size_t n_guides;
};

void kb_portal_free(struct kb_portal *p)
{
    size_t i;

    if (!p)
        return;
    for (i = 0; i < p->n_owned; i++)
        free(p->owned[i]);
    free(p->owned);
    for (i = 0; i < 2 * p->n_guides; i++)
        free(p->guide_names[i]);
    free(p->guide_names);
    free(p->owner);
    free(p->e);
    known_index_free(p->known);
    free(p);
}

static const char *keep(struct kb_portal *p, sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    char *s;

    if (!t)
        return NULL;
    s = strdup((const char *)t);
    if (s)
        p->owned[p->n_owned++] = s;
    return s;
}

/* Every guide competes by its own names too (name, short name, aliases),
 * also the guides that follow no portal record. */
static int load_guide_names(struct kb_portal *p, sqlite3 *db, struct mc_err *err)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc;

    if (sqlite3_prepare_v2(db, "SELECT id, body FROM procedure ORDER BY id", -1, &st, NULL) !=
        SQLITE_OK) {
        mc_err_set(err, "knowledge database: procedure: %s", sqlite3_errmsg(db));
        return -EIO;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *g = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL), *x;
        char text[KB_PORTAL_FIELD_MAX * 4];
        size_t i, len;

        if (!g) {
            mc_err_set(err, "knowledge database: procedure %s: bad JSON",
                       (const char *)sqlite3_column_text(st, 0));
            goto fail;
        }
        len = (size_t)snprintf(text, sizeof(text), "%s , %s",
                               json_string_value(json_object_get(g, "name")),
                               json_string_value(json_object_get(g, "short_name")));
        json_array_foreach(json_object_get(g, "aliases"), i, x)
        {
            if (len < sizeof(text))
                len +=
                    (size_t)snprintf(text + len, sizeof(text) - len, " , %s", json_string_value(x));
        }
        json_decref(g);
        if (p->n_guides == cap) {
            char **ng = realloc(p->guide_names, (cap ? cap * 2 : 128) * 2 * sizeof(*ng));

            if (!ng)
                goto nomem;
            p->guide_names = ng;
            cap = cap ? cap * 2 : 128;
        }
        p->guide_names[2 * p->n_guides] = strdup((const char *)sqlite3_column_text(st, 0));
        p->guide_names[2 * p->n_guides + 1] = strdup(text);
        p->n_guides++;
        if (!p->guide_names[2 * p->n_guides - 2] || !p->guide_names[2 * p->n_guides - 1])
            goto nomem;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        mc_err_set(err, "knowledge database: procedure: %s", sqlite3_errmsg(db));
        return -EIO;
    }
    return 0;
nomem:
    mc_err_set(err, "out of memory");
fail:
    sqlite3_finalize(st);
    return -EIO;
}

struct kb_portal *kb_portal_load(sqlite3 *db, struct mc_err *err)
{
    struct kb_portal *p = calloc(1, sizeof(*p));
    struct known_entry_spec *spec = NULL;
    sqlite3_stmt *st = NULL;
    size_t cap = 0, i;
    int rc;

    if (!p)
        goto nomem;
    if (sqlite3_prepare_v2(db,
                           "SELECT code, body, domain, name, agency, for_whom, url, reason, guide "
                           "FROM portal_entry ORDER BY code",
                           -1, &st, NULL) != SQLITE_OK) {
        mc_err_set(err, "knowledge database: portal_entry: %s", sqlite3_errmsg(db));
        goto fail;
    }
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct kb_portal_entry *x;

        if (p->n == KB_PORTAL_ROWS_MAX) {
            mc_err_set(err, "knowledge database: more than %d portal entries", KB_PORTAL_ROWS_MAX);
            goto fail;
        }
        if (p->n == cap) {
            size_t nc = cap ? cap * 2 : 512;
            struct kb_portal_entry *ne = realloc(p->e, nc * sizeof(*ne));
            char **no;

            if (!ne)
                goto nomem;
            p->e = ne;
            no = realloc(p->owned, nc * 9 * sizeof(*no));
            if (!no)
                goto nomem;
            p->owned = no;
            cap = nc;
        }
        x = &p->e[p->n];
        x->code = keep(p, st, 0);
        x->body = keep(p, st, 1);
        x->domain = keep(p, st, 2);
        x->name = keep(p, st, 3);
        x->agency = keep(p, st, 4);
        x->for_whom = keep(p, st, 5);
        x->url = keep(p, st, 6);
        x->reason = keep(p, st, 7);
        x->guide = keep(p, st, 8); /* NULL when no guide */
        if (!x->code || !x->body || !x->domain || !x->name || !x->agency || !x->for_whom ||
            !x->url || !x->reason)
            goto nomem;
        p->n++;
    }
    if (rc != SQLITE_DONE) {
        mc_err_set(err, "knowledge database: portal_entry: %s", sqlite3_errmsg(db));
        goto fail;
    }
    sqlite3_finalize(st);
    st = NULL;
    if (load_guide_names(p, db, err))
        goto fail;
    spec = calloc(p->n + p->n_guides + 1, sizeof(*spec));
    p->owner = calloc(p->n + p->n_guides + 1, sizeof(*p->owner));
    if (!spec || !p->owner)
        goto nomem;
    for (i = 0; i < p->n; i++) {
        spec[i].key = p->e[i].code;
        spec[i].name = p->e[i].name;
        spec[i].has_guide = p->e[i].guide != NULL;
        p->owner[i] = p->e[i].guide;
    }
    for (i = 0; i < p->n_guides; i++) {
        spec[p->n + i].key = p->guide_names[2 * i];
        spec[p->n + i].name = p->guide_names[2 * i + 1];
        spec[p->n + i].has_guide = true;
        p->owner[p->n + i] = p->guide_names[2 * i];
    }
    p->known = known_index_new(spec, p->n + p->n_guides, err);
    free(spec);
    if (!p->known)
        goto fail;
    return p;
nomem:
    mc_err_set(err, "out of memory");
fail:
    sqlite3_finalize(st);
    kb_portal_free(p);
    return NULL;
}

static int cmp_code(const void *key, const void *e)
{
    return strcmp((const char *)key, ((const struct kb_portal_entry *)e)->code);
}

const struct kb_portal_entry *kb_portal_find(const struct kb_portal *p, const char *code)
{
    if (!p || !code || !p->n)
        return NULL;
    return bsearch(code, p->e, p->n, sizeof(*p->e), cmp_code);
}

const struct kb_portal_entry *kb_portal_known(const struct kb_portal *p, const char *text)
{
    struct known_hit hit;

    if (!p || !p->known || !text)
        return NULL;
    /* guide entries come after the n portal entries, and always have a guide */
    return known_match(p->known, text, &hit) ? &p->e[hit.entry] : NULL;
}

const struct kb_portal_entry *kb_portal_for(const struct kb_portal *p,
                                            const struct intent_result *u)
{
    double scores[KNOWN_MAX_ENTRIES], mine = 0.0;
    struct known_hit best;
    size_t i;

    if (!p || !p->known || !u || !known_rank(p->known, u->normalized, scores, &best) ||
        p->owner[best.entry] || !known_hit_sure(&best))
        return NULL;
    if (u->decision != INTENT_MATCH)
        return &p->e[best.entry];
    /* a match: the guide-less name must explain the message clearly better
     * than every name of the matched guide (its portal records, its own) */
    for (i = 0; i < known_count(p->known); i++)
        if (p->owner[i] && strcmp(p->owner[i], u->label) == 0 && scores[i] > mine)
            mine = scores[i];
    return mine < KB_PORTAL_OVERRIDE * best.score ? &p->e[best.entry] : NULL;
}

int kb_portal_result_json(const struct kb_portal *p, const struct kb_referrals *refs,
                          const struct intent_result *r, char **out)
{
    const struct kb_portal_entry *known = kb_portal_for(p, r);
    /* the body that handles it, only when nothing of ours is named */
    const struct kb_referral *ref = known ? NULL : kb_referral_for(refs, r);
    char *line = NULL, *full;
    size_t n, cap;

    *out = NULL;
    if (intent_result_to_json(r, &line))
        return -ENOMEM;
    n = strlen(line);
    cap = n + 64 + (ref ? strlen(ref->id) : 0); /* ids are plain ASCII: no escaping */
    full = malloc(cap);
    if (!full) {
        free(line);
        return -ENOMEM;
    }
    /* the object's closing brace makes way for two more members */
    snprintf(full, cap, "%.*s,\"known\":%s%s%s,\"referral\":%s%s%s}", (int)n - 1, line,
             known ? "\"" : "", known ? known->code : "null", known ? "\"" : "", ref ? "\"" : "",
             ref ? ref->id : "null", ref ? "\"" : "");
    free(line);
    *out = full;
    return 0;
}

json_t *kb_portal_entry_json(const struct kb_portal_entry *e)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o}", "code", e->code, "name", e->name,
                     "body", e->body, "domain", e->domain, "agency", e->agency, "for_whom",
                     e->for_whom, "url", e->url, "reason", e->reason, "guide",
                     e->guide ? json_string(e->guide) : json_null());
}
