/* gateway/kb/kb_referral.c - see kb_referral.h. */
#include "kb_referral.h"

#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "intent.h"
#include "kb_import.h"
#include "mc_buf.h"
#include "rx.h"

#define NF 6                     /* columns of the table */
#define FILE_MAX (1u << 20)      /* bytes of data/referrals.tsv */
#define RESOURCE "referrals.tsv" /* its name in the resource table */

static const char *const header[NF] = {"id", "pattern", "body", "about", "source", "verify"};

struct row {
    struct kb_referral pub;
    char *f[NF];    /* owned copies; pub points into them */
    pcre2_code *re; /* the pattern, compiled once */
};

struct kb_referrals {
    struct row *r;
    size_t n;
};

struct pctx {
    FILE *errs;
    int *nerr;
};

/* One problem of the file at line (kb_import_line_err()). */
#define PERR(c, line, ...)                                                                         \
    kb_import_line_err((c)->errs, (c)->nerr, "data/referrals.tsv", (line), __VA_ARGS__)

void kb_referrals_free(struct kb_referrals *s)
{
    size_t i, j;

    if (!s)
        return;
    for (i = 0; i < s->n; i++) {
        for (j = 0; j < NF; j++)
            free(s->r[i].f[j]);
        pcre2_code_free(s->r[i].re);
    }
    free(s->r);
    free(s);
}

size_t kb_referrals_count(const struct kb_referrals *s)
{
    return s ? s->n : 0;
}

/* "toa-an": lower-case ASCII letters and digits, single hyphens inside. */
static bool is_id(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n &&
           s[0] != '-' && s[n - 1] != '-' && !strstr(s, "--");
}

/* Splits line at TABs into at most NF fields (in place). Returns the count. */
static size_t split(char *line, char **f)
{
    size_t n = 0;
    char *p = line;

    for (;;) {
        char *tab = strchr(p, '\t');
        if (n < NF)
            f[n] = p;
        n++;
        if (!tab)
            return n;
        *tab = '\0';
        p = tab + 1;
    }
}

/* Checks one split row and appends it to s. Returns 0 (a bad row is counted,
 * not kept) or -ENOMEM. */
static int add_row(struct kb_referrals *s, struct pctx *c, size_t line, char **f)
{
    struct row *r;
    char why[160];
    size_t j;

    for (j = 0; j < NF; j++) {
        if (!f[j][0]) {
            PERR(c, line, "%s is empty", header[j]);
            return 0;
        }
        if (strlen(f[j]) >= KB_REFERRAL_FIELD_MAX) {
            PERR(c, line, "%s is longer than %d bytes", header[j], KB_REFERRAL_FIELD_MAX - 1);
            return 0;
        }
    }
    if (!is_id(f[0])) {
        PERR(c, line, "id \"%.60s\" must be lower-case ASCII words joined by hyphens", f[0]);
        return 0;
    }
    if (strcmp(f[5], "yes") != 0 && strcmp(f[5], "no") != 0) {
        PERR(c, line, "verify must be yes or no, not \"%.20s\"", f[5]);
        return 0;
    }
    if (s->n >= KB_REFERRAL_ROWS_MAX) {
        PERR(c, line, "more than %d rows", KB_REFERRAL_ROWS_MAX);
        return 0;
    }
    r = &s->r[s->n];
    memset(r, 0, sizeof(*r));
    r->re = rx_compile(f[1], 0, why, sizeof(why));
    if (!r->re) {
        PERR(c, line, "pattern: %s", why);
        return 0;
    }
    for (j = 0; j < NF; j++) {
        r->f[j] = strdup(f[j]);
        if (!r->f[j]) {
            for (; j > 0; j--)
                free(r->f[j - 1]);
            pcre2_code_free(r->re);
            return -ENOMEM;
        }
    }
    r->pub.id = r->f[0];
    r->pub.body = r->f[2];
    r->pub.about = r->f[3];
    r->pub.source = r->f[4];
    r->pub.verify = strcmp(r->f[5], "yes") == 0;
    s->n++;
    return 0;
}

int kb_referrals_parse(const char *text, FILE *errs, int *nerr, struct kb_referrals **out)
{
    struct pctx c = {errs, nerr};
    struct kb_referrals *s;
    char *copy = NULL, *line, *next, *f[NF];
    size_t lineno = 0, nf, j;
    bool have_header = false;
    int rc = 0;

    *out = NULL;
    s = calloc(1, sizeof(*s));
    copy = strdup(text ? text : "");
    if (s)
        s->r = calloc(KB_REFERRAL_ROWS_MAX, sizeof(*s->r));
    if (!s || !copy || !s->r) {
        rc = -ENOMEM;
        goto out;
    }
    for (line = copy; line && !rc; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        lineno++;
        if (*line && line[strlen(line) - 1] == '\r')
            line[strlen(line) - 1] = '\0';
        if (!*line || *line == '#')
            continue;
        nf = split(line, f);
        if (nf != NF) {
            PERR(&c, lineno, "%zu columns, expected %d (TAB-separated)", nf, NF);
            continue;
        }
        if (!have_header) {
            have_header = true;
            for (j = 0; j < NF; j++)
                if (strcmp(f[j], header[j]) != 0) {
                    PERR(&c, lineno, "header must be id, pattern, body, about, source, verify");
                    break;
                }
            continue;
        }
        rc = add_row(s, &c, lineno, f);
    }

out:
    free(copy);
    if (rc) {
        kb_referrals_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

/* The whole file, or "" when it does not exist. */
static int read_file(const char *path, struct mc_buf *b)
{
    char chunk[4096];
    FILE *f = fopen(path, "rb");
    size_t n;
    int rc = 0;

    if (!f)
        return errno == ENOENT ? mc_buf_puts(b, "") : -EIO;
    while (!rc && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        rc = mc_buf_append(b, chunk, n);
    if (!rc && ferror(f))
        rc = -EIO;
    fclose(f);
    return rc;
}

int kb_referrals_import(struct sqlite3 *db, const char *data_dir, FILE *errs, int *nerr)
{
    struct kb_referrals *s = NULL;
    sqlite3_stmt *st = NULL;
    struct mc_buf b;
    char path[4096];
    int rc;

    mc_buf_init(&b, FILE_MAX);
    if (snprintf(path, sizeof(path), "%s/referrals.tsv", data_dir) >= (int)sizeof(path)) {
        rc = -EIO;
        goto out;
    }
    rc = read_file(path, &b);
    if (rc == -E2BIG) {
        (*nerr)++;
        fprintf(errs, "data/referrals.tsv: longer than %u bytes\n", FILE_MAX);
        rc = 0;
        goto out;
    }
    if (rc || (rc = kb_referrals_parse(b.data ? b.data : "", errs, nerr, &s)))
        goto out;
    rc = -EIO;
    if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO resource VALUES ('" RESOURCE "', ?1)", -1,
                           &st, NULL) != SQLITE_OK ||
        sqlite3_bind_text(st, 1, b.data ? b.data : "", -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_DONE)
        goto out;
    rc = 0;

out:
    sqlite3_finalize(st);
    kb_referrals_free(s);
    mc_buf_fini(&b);
    return rc ? -EIO : 0;
}

struct kb_referrals *kb_referrals_load(struct sqlite3 *db, struct mc_err *err)
{
    struct kb_referrals *s = NULL;
    sqlite3_stmt *st = NULL;
    const char *text = "";
    int nerr = 0, rc;

    if (sqlite3_prepare_v2(db, "SELECT body FROM resource WHERE name = '" RESOURCE "'", -1, &st,
                           NULL) != SQLITE_OK) {
        mc_err_set(err, "knowledge db: %s", sqlite3_errmsg(db));
        return NULL;
    }
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_text(st, 0))
        text = (const char *)sqlite3_column_text(st, 0);
    else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        mc_err_set(err, "knowledge db: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return NULL;
    }
    if (kb_referrals_parse(text, NULL, &nerr, &s))
        mc_err_set(err, "knowledge db: out of memory");
    else if (nerr) {
        mc_err_set(err, "knowledge db: %s has %d bad rows (rebuild with motcua import)", RESOURCE,
                   nerr);
        kb_referrals_free(s);
        s = NULL;
    }
    sqlite3_finalize(st);
    return s;
}

const struct kb_referral *kb_referral_for(const struct kb_referrals *s,
                                          const struct intent_result *u)
{
    struct rx_scratch sc;
    pcre2_match_data *md;
    size_t i, len;
    int m;

    if (!s || !u || u->decision != INTENT_NONE || !s->n)
        return NULL;
    md = rx_match_data(&sc, 1);
    if (!md)
        return NULL;
    len = strlen(u->folded);
    for (i = 0; i < s->n; i++) {
        m = pcre2_jit_match(s->r[i].re, (PCRE2_SPTR)u->folded, len, 0, 0, md, NULL);
        if (m == PCRE2_ERROR_JIT_BADOPTION) /* no JIT on this CPU: the interpreter */
            m = pcre2_match(s->r[i].re, (PCRE2_SPTR)u->folded, len, 0, 0, md, NULL);
        if (m >= 0)
            return &s->r[i].pub;
    }
    return NULL;
}

json_t *kb_referral_json(const struct kb_referral *r)
{
    return json_pack("{s:s,s:s,s:s,s:s,s:b}", "id", r->id, "body", r->body, "about", r->about,
                     "source", r->source, "verify", r->verify);
}
