/* intents/lexicon.c - see lexicon.h. Keys, expansions and context phrases
 * are normalised with norm_text() when the file is read, so the file may be
 * written with either tone style, upper case or decomposed letters. */
#include "lexicon.h"
#include "mc_lines.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

#define LEX_MAX_CONDS 8    /* conditions in one context */
#define LEX_MAX_PHRASES 64 /* alternatives in one condition */

enum lex_cond_kind { LEX_NEXT, LEX_PREV, LEX_NEAR, LEX_FIRST, LEX_LAST, LEX_ALONE };

struct lex_cond {
    unsigned char kind; /* enum lex_cond_kind */
    bool negate;
    uint32_t phrase0, nphrase; /* slice of lex.phrases */
};

struct lex_phrase {
    uint32_t off, len; /* folded phrase in lex.text ("#" = a number) */
    uint32_t ntok;
};

struct lex_entry {
    uint32_t exp_off, exp_len; /* normalised expansion in lex.text */
    bool keep;                 /* "-": leave the key as typed */
    uint32_t cond0, ncond;     /* slice of lex.conds */
    int32_t next;              /* next entry with the same key, -1 at the end */
    unsigned line;             /* in abbrev.tsv */
};

struct lex_key {
    int32_t head, tail;   /* entries with this exact key, -1 if none */
    unsigned char maxtok; /* longest key starting with this string as first token */
};

struct lex {
    struct hmap_str *keys; /* accented key -> id into key[] */
    struct lex_key *key;
    size_t nkey, capkey;
    struct lex_entry *ent;
    size_t nent, capent;
    struct lex_cond *conds;
    size_t ncond, capcond;
    struct lex_phrase *phrases;
    size_t nphrase, capphrase;
    char *text; /* expansions and phrases */
    size_t tlen, tcap;
};

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
    void *q;
    size_t nc;

    if (n < *cap)
        return 0;
    nc = *cap ? *cap * 2 : 64;
    q = realloc(*p, nc * size);
    if (!q)
        return -ENOMEM;
    *p = q;
    *cap = nc;
    return 0;
}

static int text_add(struct lex *lx, const char *s, size_t len, uint32_t *off)
{
    if (len + 1 > lx->tcap - lx->tlen) {
        size_t nc = lx->tcap ? lx->tcap : 4096;
        char *t;
        while (len + 1 > nc - lx->tlen)
            nc *= 2;
        if (nc > UINT32_MAX)
            return -E2BIG;
        t = realloc(lx->text, nc);
        if (!t)
            return -ENOMEM;
        lx->text = t;
        lx->tcap = nc;
    }
    memcpy(lx->text + lx->tlen, s, len);
    lx->text[lx->tlen + len] = '\0';
    *off = (uint32_t)lx->tlen;
    lx->tlen += len + 1;
    return 0;
}

static int key_id(struct lex *lx, const char *s, size_t len, uint32_t *id)
{
    int rc = hmap_str_intern(lx->keys, s, len, id);

    if (rc)
        return rc;
    if (*id == lx->nkey) {
        rc = grow((void **)&lx->key, &lx->capkey, lx->nkey, sizeof(*lx->key));
        if (rc)
            return rc;
        lx->key[lx->nkey].head = -1;
        lx->key[lx->nkey].tail = -1;
        lx->key[lx->nkey].maxtok = 0;
        lx->nkey++;
    }
    return 0;
}

void lex_free(struct lex *lx)
{
    if (!lx)
        return;
    hmap_str_free(lx->keys);
    free(lx->key);
    free(lx->ent);
    free(lx->conds);
    free(lx->phrases);
    free(lx->text);
    free(lx);
}

/* Splits s at tab characters into at most max fields; returns the count. */
static size_t split_tabs(char *s, char **f, size_t max)
{
    size_t n = 0;

    f[n++] = s;
    while (n < max && (s = strchr(s, '\t')) != NULL) {
        *s++ = '\0';
        f[n++] = s;
    }
    return n;
}

static void trim(char **s)
{
    char *e;

    while (**s == ' ')
        (*s)++;
    e = *s + strlen(*s);
    while (e > *s && (e[-1] == ' ' || e[-1] == '\r'))
        *--e = '\0';
}

struct lex_norm_scratch {
    struct norm_tokens t; /* too big for the stack of a parser called per line */
};

static int add_phrase(struct lex *lx, const char *p, size_t len, struct lex_norm_scratch *sc,
                      const char **why)
{
    struct lex_phrase *ph;
    int rc;

    rc = grow((void **)&lx->phrases, &lx->capphrase, lx->nphrase, sizeof(*lx->phrases));
    if (rc)
        return rc;
    ph = &lx->phrases[lx->nphrase];
    if (len == 1 && p[0] == '#') {
        rc = text_add(lx, "#", 1, &ph->off);
        ph->len = 1;
        ph->ntok = 1;
    } else {
        if (norm_text(p, len, &sc->t) != 0 || sc->t.n_tok == 0) {
            *why = "empty or invalid context word";
            return -EINVAL;
        }
        rc = text_add(lx, sc->t.fold, sc->t.fold_len, &ph->off);
        ph->len = (uint32_t)sc->t.fold_len;
        ph->ntok = (uint32_t)sc->t.n_tok;
    }
    if (rc)
        return rc;
    lx->nphrase++;
    return 0;
}

/* Parses one "kind=A|B" or "first"-style condition into lx. */
static int parse_cond(struct lex *lx, char *c, struct lex_norm_scratch *sc, const char **why)
{
    struct lex_cond *cd;
    char *eq, *p, *bar;
    bool neg = false;
    int rc;

    trim(&c);
    if (*c == '!') {
        neg = true;
        c++;
    }
    rc = grow((void **)&lx->conds, &lx->capcond, lx->ncond, sizeof(*lx->conds));
    if (rc)
        return rc;
    cd = &lx->conds[lx->ncond];
    cd->negate = neg;
    cd->phrase0 = (uint32_t)lx->nphrase;
    cd->nphrase = 0;
    eq = strchr(c, '=');
    if (!eq) {
        if (strcmp(c, "first") == 0)
            cd->kind = LEX_FIRST;
        else if (strcmp(c, "last") == 0)
            cd->kind = LEX_LAST;
        else if (strcmp(c, "alone") == 0)
            cd->kind = LEX_ALONE;
        else {
            *why = "unknown context condition (want next=, prev=, near=, first, last, alone)";
            return -EINVAL;
        }
        lx->ncond++;
        return 0;
    }
    *eq = '\0';
    if (strcmp(c, "next") == 0)
        cd->kind = LEX_NEXT;
    else if (strcmp(c, "prev") == 0)
        cd->kind = LEX_PREV;
    else if (strcmp(c, "near") == 0)
        cd->kind = LEX_NEAR;
    else {
        *why = "unknown context condition (want next=, prev=, near=, first, last, alone)";
        return -EINVAL;
    }
    for (p = eq + 1; p; p = bar) {
        bar = strchr(p, '|');
        if (bar)
            *bar++ = '\0';
        trim(&p);
        if (!*p) {
            *why = "empty word in a context list";
            return -EINVAL;
        }
        if (lx->nphrase - cd->phrase0 >= LEX_MAX_PHRASES) {
            *why = "too many alternatives in one condition";
            return -EINVAL;
        }
        rc = add_phrase(lx, p, strlen(p), sc, why);
        if (rc)
            return rc;
        cd = &lx->conds[lx->ncond]; /* add_phrase may not move conds, but be safe */
        cd->nphrase++;
    }
    lx->ncond++;
    return 0;
}

/* Registers entry e under key k (accented, canonical, ntok tokens). */
static int add_key(struct lex *lx, const char *k, size_t klen, unsigned ntok, int32_t e)
{
    const char *sp = memchr(k, ' ', klen);
    uint32_t id;
    int rc;

    rc = key_id(lx, k, klen, &id);
    if (rc)
        return rc;
    if (lx->key[id].tail < 0)
        lx->key[id].head = e;
    else
        lx->ent[lx->key[id].tail].next = e;
    lx->key[id].tail = e;
    if (lx->key[id].maxtok < ntok)
        lx->key[id].maxtok = (unsigned char)ntok;
    if (sp) { /* record the key length on its first token too */
        rc = key_id(lx, k, (size_t)(sp - k), &id);
        if (rc)
            return rc;
        if (lx->key[id].maxtok < ntok)
            lx->key[id].maxtok = (unsigned char)ntok;
    }
    return 0;
}

/* The key with every d written đ ("dk" -> "đk"), if it has a d and no mark. */
static size_t dbar_variant(const char *k, size_t len, char *out, size_t cap)
{
    size_t i, o = 0;
    bool any = false;

    for (i = 0; i < len; i++) {
        if ((unsigned char)k[i] >= 0x80)
            return 0;
        if (k[i] == 'd') {
            if (o + 2 >= cap)
                return 0;
            out[o++] = (char)0xC4;
            out[o++] = (char)0x91;
            any = true;
        } else {
            if (o + 1 >= cap)
                return 0;
            out[o++] = k[i];
        }
    }
    return any ? o : 0;
}

static int parse_line(struct lex *lx, char *line, unsigned lineno, struct lex_norm_scratch *sc,
                      const char **why)
{
    char *f[4];
    char *ctx, *c, *semi;
    char key[NORM_TEXT_MAX], var[NORM_TEXT_MAX];
    size_t nf, klen, vlen;
    unsigned ntok;
    struct lex_entry *e;
    int rc;

    nf = split_tabs(line, f, 4);
    if (nf < 2) {
        *why = "expected key<TAB>expansion[<TAB>context[<TAB>note]]";
        return -EINVAL;
    }
    trim(&f[0]);
    trim(&f[1]);
    if (norm_text(f[0], strlen(f[0]), &sc->t) != 0 || sc->t.n_tok == 0) {
        *why = "empty or invalid key";
        return -EINVAL;
    }
    if (sc->t.n_tok > LEX_KEY_TOKENS) {
        *why = "key has more than 4 words";
        return -EINVAL;
    }
    if (sc->t.acc_len >= sizeof(key)) {
        *why = "key too long";
        return -EINVAL;
    }
    memcpy(key, sc->t.acc, sc->t.acc_len);
    klen = sc->t.acc_len;
    ntok = (unsigned)sc->t.n_tok;
    rc = grow((void **)&lx->ent, &lx->capent, lx->nent, sizeof(*lx->ent));
    if (rc)
        return rc;
    e = &lx->ent[lx->nent];
    memset(e, 0, sizeof(*e));
    e->next = -1;
    e->line = lineno;
    e->cond0 = (uint32_t)lx->ncond;
    if (strcmp(f[1], "-") == 0) {
        e->keep = true;
    } else {
        if (norm_text(f[1], strlen(f[1]), &sc->t) != 0 || sc->t.n_tok == 0) {
            *why = "empty or invalid expansion (write - to keep the key)";
            return -EINVAL;
        }
        rc = text_add(lx, sc->t.acc, sc->t.acc_len, &e->exp_off);
        if (rc)
            return rc;
        e->exp_len = (uint32_t)sc->t.acc_len;
    }
    ctx = nf >= 3 ? f[2] : NULL;
    if (ctx) {
        trim(&ctx);
        if (*ctx && strcmp(ctx, "*") != 0) {
            for (c = ctx; c; c = semi) {
                semi = strchr(c, ';');
                if (semi)
                    *semi++ = '\0';
                if (lx->ncond - e->cond0 >= LEX_MAX_CONDS) {
                    *why = "too many conditions";
                    return -EINVAL;
                }
                rc = parse_cond(lx, c, sc, why);
                if (rc)
                    return rc;
            }
        }
    }
    e = &lx->ent[lx->nent];
    e->ncond = (uint32_t)lx->ncond - e->cond0;
    rc = add_key(lx, key, klen, ntok, (int32_t)lx->nent);
    if (rc)
        return rc;
    vlen = dbar_variant(key, klen, var, sizeof(var));
    if (vlen) {
        rc = add_key(lx, var, vlen, ntok, (int32_t)lx->nent);
        if (rc)
            return rc;
    }
    lx->nent++;
    return 0;
}

struct lex *lex_new(const char *text, size_t len, struct mc_err *err)
{
    struct lex *lx = NULL;
    struct lex_norm_scratch *sc = NULL;
    char line[LEX_MAX_LINE + 1];
    const char *why = NULL;
    struct mc_lines it;
    size_t ll;
    int rc;

    lx = calloc(1, sizeof(*lx));
    sc = malloc(sizeof(*sc));
    if (!lx || !sc)
        goto fail_nomem;
    lx->keys = hmap_str_new();
    if (!lx->keys)
        goto fail_nomem;
    mc_lines_init(&it, text, len);
    while ((rc = mc_lines_next(&it, line, sizeof(line), &ll)) != 0) {
        if (rc < 0) {
            if (rc == -E2BIG)
                mc_err_set(err, "abbrev.tsv:%u: line longer than %d bytes", it.lineno,
                           LEX_MAX_LINE);
            else
                mc_err_set(err, "abbrev.tsv:%u: NUL byte", it.lineno);
            goto fail;
        }
        if (lx->nent >= LEX_MAX_ENTRIES) {
            mc_err_set(err, "abbrev.tsv:%u: more than %d entries", it.lineno, LEX_MAX_ENTRIES);
            goto fail;
        }
        why = NULL;
        rc = parse_line(lx, line, it.lineno, sc, &why);
        if (rc == -ENOMEM)
            goto fail_nomem;
        if (rc) {
            mc_err_set(err, "abbrev.tsv:%u: %s", it.lineno, why ? why : "invalid line");
            goto fail;
        }
    }
    free(sc);
    return lx;

fail_nomem:
    mc_err_set(err, "abbrev.tsv: out of memory");
fail:
    free(sc);
    lex_free(lx);
    return NULL;
}

/* True if the folded phrase ph starts at token j of t. */
static bool phrase_at(const struct lex *lx, const struct lex_phrase *ph,
                      const struct norm_tokens *t, size_t j)
{
    const char *p = lx->text + ph->off;
    size_t end;

    if (j + ph->ntok > t->n_tok)
        return false;
    if (ph->len == 1 && p[0] == '#')
        return (t->tok[j].flags & NORM_TOK_NUMBER) != 0;
    end = t->tok[j + ph->ntok - 1].fold + t->tok[j + ph->ntok - 1].fold_len;
    return end - t->tok[j].fold == ph->len && memcmp(t->fold + t->tok[j].fold, p, ph->len) == 0;
}

static bool cond_holds(const struct lex *lx, const struct lex_cond *c, const struct norm_tokens *t,
                       size_t i, size_t m)
{
    const struct lex_phrase *ph;
    bool hit = false;
    size_t k, j, lo, hi;

    switch (c->kind) {
    case LEX_FIRST:
        hit = i == 0;
        break;
    case LEX_LAST:
        hit = i + m == t->n_tok;
        break;
    case LEX_ALONE:
        hit = i == 0 && m == t->n_tok;
        break;
    default:
        for (k = 0; k < c->nphrase && !hit; k++) {
            ph = &lx->phrases[c->phrase0 + k];
            if (c->kind == LEX_NEXT) {
                hit = phrase_at(lx, ph, t, i + m);
            } else if (c->kind == LEX_PREV) {
                hit = i >= ph->ntok && phrase_at(lx, ph, t, i - ph->ntok);
            } else {
                lo = i > LEX_NEAR_WORDS ? i - LEX_NEAR_WORDS : 0;
                hi = i + m + LEX_NEAR_WORDS;
                for (j = lo; j < hi && j < t->n_tok && !hit; j++)
                    if (j + ph->ntok <= i || j >= i + m)
                        hit = phrase_at(lx, ph, t, j);
            }
        }
        break;
    }
    return c->negate ? !hit : hit;
}

/* The first entry for key span [i, i+m) whose context holds, or NULL. */
static const struct lex_entry *match_at(const struct lex *lx, const struct norm_tokens *t, size_t i,
                                        size_t m)
{
    const struct norm_token *a = &t->tok[i], *b = &t->tok[i + m - 1];
    const struct lex_entry *e;
    uint32_t id;
    int32_t k;
    size_t c;

    if (!hmap_str_find(lx->keys, t->acc + a->acc, (size_t)(b->acc + b->acc_len - a->acc), &id))
        return NULL;
    for (k = lx->key[id].head; k >= 0; k = e->next) {
        e = &lx->ent[k];
        for (c = 0; c < e->ncond; c++)
            if (!cond_holds(lx, &lx->conds[e->cond0 + c], t, i, m))
                break;
        if (c == e->ncond)
            return e;
    }
    return NULL;
}

static int push_words(struct norm_tokens *out, const char *s, size_t len, unsigned flags)
{
    size_t i = 0, j;
    int rc;

    while (i < len) {
        for (j = i; j < len && s[j] != ' '; j++)
            ;
        rc = norm_tokens_push(out, s + i, j - i, flags);
        if (rc)
            return rc;
        i = j + 1;
    }
    return 0;
}

int lex_expand(const struct lex *lx, const struct norm_tokens *in, struct norm_tokens *out)
{
    const struct lex_entry *e;
    const struct norm_token *k;
    uint32_t id;
    size_t i, m, maxm;
    int rc = 0;

    norm_tokens_init(out);
    for (i = 0; i < in->n_tok && rc == 0; i += m) {
        k = &in->tok[i];
        e = NULL;
        m = 1;
        if (hmap_str_find(lx->keys, in->acc + k->acc, k->acc_len, &id)) {
            maxm = lx->key[id].maxtok;
            if (maxm > in->n_tok - i)
                maxm = in->n_tok - i;
            for (m = maxm; m >= 1; m--) {
                e = match_at(lx, in, i, m);
                if (e)
                    break;
            }
            if (!e)
                m = 1;
        }
        if (e && !e->keep) {
            rc = push_words(out, lx->text + e->exp_off, e->exp_len, NORM_TOK_EXPANDED);
        } else {
            size_t j;
            for (j = i; j < i + m && rc == 0; j++)
                rc = norm_tokens_copy(out, in, j, 0);
        }
    }
    out->n_marked = in->n_marked;
    out->n_alpha = in->n_alpha;
    out->truncated = out->truncated || in->truncated;
    return 0;
}

bool lex_is_key(const struct lex *lx, const char *acc, size_t len)
{
    uint32_t id;

    return hmap_str_find(lx->keys, acc, len, &id) && lx->key[id].head >= 0;
}

size_t lex_count(const struct lex *lx)
{
    return lx ? lx->nent : 0;
}

size_t lex_memory(const struct lex *lx)
{
    if (!lx)
        return 0;
    return sizeof(*lx) + hmap_str_memory(lx->keys) + lx->capkey * sizeof(*lx->key) +
           lx->capent * sizeof(*lx->ent) + lx->capcond * sizeof(*lx->conds) +
           lx->capphrase * sizeof(*lx->phrases) + lx->tcap;
}

void lex_each_expansion(const struct lex *lx, void (*fn)(void *ctx, const char *s, size_t len),
                        void *ctx)
{
    size_t i;

    for (i = 0; i < lx->nent; i++)
        if (!lx->ent[i].keep)
            fn(ctx, lx->text + lx->ent[i].exp_off, lx->ent[i].exp_len);
}
