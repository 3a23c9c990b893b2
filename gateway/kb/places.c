/* gateway/kb/places.c - see places.h. One table maps every folded word sequence
 * the finder knows (unit names, district and province names, short names,
 * unit words, residence cues, "cũ") to its postings, so reading a message is
 * one left-to-right pass of hash probes, then a choice among at most a few
 * parts of one address. Build-time tables are sorted once; nothing is
 * allocated or parsed again by places_find(). */
#include "places.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "hmap.h"
#include "mc_utf8.h"

#define PLACES_KEY_WORDS_MAX 8             /* words of the longest key (names have <= 6) */
#define PLACES_TOKENS_MAX PLACES_INPUT_MAX /* a token is at least one byte */
#define PLACES_COMPS_MAX 32                /* place parts considered in one message */
#define PLACES_ROLES 3                     /* commune, district, province: one part each */
#define PLACES_DIST_HINT_MAX 64 /* districts one district name can mean ("Châu Thành": 10) */
#define PLACES_PROV_MAX 64      /* current and former provinces each fit a 64-bit mask */
#define PLACES_CODE_MAX 8       /* bytes of a ward/province code, NUL included */
#define PLACES_NAME_MAX 256     /* bytes of a name from the database */
#define PLACES_SIG_END 0xFFFEu  /* ends the marks of one name in sigs[] */
#define PLACES_SIG_ANY 0xFFFFu  /* a word's marks are unknown: matches any */

/* posting = kind << 28 | index */
#define POST_KIND(p) ((p) >> 28)
#define POST_INDEX(p) ((p)&0x07FFFFFFu)
#define POST_ALIAS (1u << 27) /* a short name: its words are not the province's */
enum post_kind {
    POST_UNIT = 1, /* current unit */
    POST_FORMER,   /* former_unit row */
    POST_DISTRICT, /* former district */
    POST_PROV_CUR, /* current province */
    POST_PROV_OLD, /* pre-2025 province */
    POST_WORD,     /* an entry of words[] */
};

enum role { ROLE_COMMUNE = 1, ROLE_DISTRICT = 2, ROLE_PROVINCE = 4 };

enum word_kind {
    WK_TYPE,      /* unit word; type says which */
    WK_CUE,       /* residence statement: a bare name may follow */
    WK_CUE_WEAK,  /* "ở", "tại": a place or anything else may follow */
    WK_FORMER,    /* "cũ": the name is a former one */
    WK_CONNECTOR, /* may sit between the parts of one address */
};

struct word {
    const char *key; /* folded */
    unsigned char kind;
    unsigned char type; /* enum places_type, for WK_TYPE */
    bool abbr;          /* a short form ("p", "q", "tp"): never alone before a one-word name */
};

/* The words the finder reads besides names; one list, read once at build. */
static const struct word words[] = {
    {"xa", WK_TYPE, PLACES_TYPE_XA, false},
    {"x", WK_TYPE, PLACES_TYPE_XA, true},
    {"phuong", WK_TYPE, PLACES_TYPE_PHUONG, false},
    {"p", WK_TYPE, PLACES_TYPE_PHUONG, true},
    {"f", WK_TYPE, PLACES_TYPE_PHUONG, true}, /* Saigon spelling "F12" */
    {"thi tran", WK_TYPE, PLACES_TYPE_THI_TRAN, false},
    {"tt", WK_TYPE, PLACES_TYPE_THI_TRAN, true},
    {"dac khu", WK_TYPE, PLACES_TYPE_DAC_KHU, false},
    {"quan", WK_TYPE, PLACES_TYPE_QUAN, false},
    {"q", WK_TYPE, PLACES_TYPE_QUAN, true},
    {"huyen", WK_TYPE, PLACES_TYPE_HUYEN, false},
    {"h", WK_TYPE, PLACES_TYPE_HUYEN, true},
    {"thi xa", WK_TYPE, PLACES_TYPE_THI_XA, false},
    {"tx", WK_TYPE, PLACES_TYPE_THI_XA, true},
    {"thanh pho", WK_TYPE, PLACES_TYPE_THANH_PHO, false},
    {"tp", WK_TYPE, PLACES_TYPE_THANH_PHO, true},
    {"tinh", WK_TYPE, PLACES_TYPE_TINH, false},
    /* residence statements (issue 12: "ở trọ", "tạm trú ở", "quê", "nhà ở", "sống ở") */
    {"toi o", WK_CUE, 0, false},
    {"toi dang o", WK_CUE, 0, false},
    {"em o", WK_CUE, 0, false},
    {"minh o", WK_CUE, 0, false},
    {"nha o", WK_CUE, 0, false},
    {"nha toi o", WK_CUE, 0, false},
    {"nha em o", WK_CUE, 0, false},
    {"nha minh o", WK_CUE, 0, false},
    {"o tro o", WK_CUE, 0, false},
    {"o tro tai", WK_CUE, 0, false},
    {"tro o", WK_CUE, 0, false},
    {"tro tai", WK_CUE, 0, false},
    {"thue tro o", WK_CUE, 0, false},
    {"thue nha o", WK_CUE, 0, false},
    {"tam tru o", WK_CUE, 0, false},
    {"tam tru tai", WK_CUE, 0, false},
    {"thuong tru o", WK_CUE, 0, false},
    {"thuong tru tai", WK_CUE, 0, false},
    {"cu tru o", WK_CUE, 0, false},
    {"cu tru tai", WK_CUE, 0, false},
    {"ho khau o", WK_CUE, 0, false},
    {"ho khau tai", WK_CUE, 0, false},
    {"que", WK_CUE, 0, false},
    {"que o", WK_CUE, 0, false},
    {"que toi o", WK_CUE, 0, false},
    {"que em o", WK_CUE, 0, false},
    {"que quan", WK_CUE, 0, false},
    {"song o", WK_CUE, 0, false},
    {"song tai", WK_CUE, 0, false},
    {"dang o", WK_CUE, 0, false},
    {"dia chi", WK_CUE_WEAK, 0, false},
    {"o", WK_CUE_WEAK, 0, false},
    {"tai", WK_CUE_WEAK, 0, false},
    /* "cũ": a former name; "trước đây", "trước sáp nhập" anywhere in the message */
    {"cu", WK_FORMER, 0, false},
    {"truoc day", WK_FORMER, 0, false},
    {"truoc sap nhap", WK_FORMER, 0, false},
    {"truoc khi sap nhap", WK_FORMER, 0, false},
    {"thuoc", WK_CONNECTOR, 0, false},
    {"cua", WK_CONNECTOR, 0, false},
    {"la", WK_CONNECTOR, 0, false},
    {"nay la", WK_CONNECTOR, 0, false},
};

/* Well-known short names of provinces (a small, fixed list: each one is
 * read only next to another part of an address, after a cue or a unit word). */
static const struct {
    const char *key;
    const char *province; /* folded name it stands for */
} aliases[] = {
    {"hn", "ha noi"},
    {"hcm", "ho chi minh"},
    {"tphcm", "ho chi minh"},
    {"hcmc", "ho chi minh"},
    {"sai gon", "ho chi minh"},
    {"sg", "ho chi minh"},
    {"brvt", "ba ria vung tau"},
};

struct unit {
    char code[PLACES_CODE_MAX];
    uint32_t name;       /* arena offset */
    uint32_t sig;        /* marks of its key's words: sigs[sig ..] */
    uint32_t dist_first; /* former districts it covers: dist_of[dist_first ..] */
    uint16_t dist_n;
    uint8_t prov;       /* current province index */
    uint8_t type;       /* enum places_type */
    uint64_t old_provs; /* pre-2025 provinces it covers */
};

struct former {
    char code[PLACES_CODE_MAX];
    uint32_t name; /* arena offset */
    uint32_t sig;
    uint32_t unit;     /* index of the current unit */
    uint16_t district; /* index */
    uint8_t old_prov;  /* index */
    uint8_t type;
    bool whole;
};

struct district {
    uint32_t name; /* arena offset */
    uint32_t sig;
    uint8_t old_prov;
    uint8_t type;
    uint64_t cur_provs; /* current provinces its communes went to */
};

struct province {
    char code[PLACES_CODE_MAX]; /* "" for a pre-2025 province */
    uint32_t name;
    uint32_t sig;
    uint64_t cur_provs; /* pre-2025: the current provinces it went to */
};

struct places_index {
    struct hmap_str *keys; /* folded word sequence (and every prefix of one) -> key id */
    uint32_t *post_first;  /* key id -> postings[post_first[id] .. post_first[id + 1]) */
    uint32_t *postings;
    size_t nkeys, npostings;
    struct unit *units;
    struct former *formers;
    struct district *districts;
    struct province cur[PLACES_PROV_MAX], old[PLACES_PROV_MAX];
    size_t nunits, nformers, ndistricts, ncur, nold;
    uint16_t *dist_of; /* districts of each unit (see struct unit) */
    char *arena;       /* display names, NUL-terminated */
    uint16_t *sigs;    /* marks of each word of each name (tok.sig) */
    size_t nsigs, sigs_cap;
    size_t arena_len, arena_cap;
    size_t max_words; /* words of the longest key */
};

/* ---- tokens -------------------------------------------------------------- */

struct tok {
    uint16_t start, end; /* bytes of the message */
    uint16_t f, flen;    /* folded text: fb[f .. f + flen) */
    bool plain;          /* written without any diacritic */
    bool upper;          /* first letter upper case */
    bool digit;
    bool dot_after;  /* "p." "tp.": an abbreviation marked as one */
    bool sep_before; /* , ; . ( ) ? ! between it and the word before */
    uint16_t sig;    /* its marks: tone | shaped letters << 3 (0 when plain) */
};

struct toks {
    struct tok t[PLACES_TOKENS_MAX];
    size_t n;
    char fb[2 * PLACES_INPUT_MAX + 2]; /* tokens folded, one space between */
    size_t fl;
    bool marked; /* the message uses diacritics somewhere */
};

/* Upper-case Latin letters among those fold.h folds (Vietnamese needs Latin-1,
 * Extended-A and Extended Additional, where upper case is the even code point). */
static bool is_upper_cp(uint32_t cp)
{
    if (cp >= 'A' && cp <= 'Z')
        return true;
    if (cp >= 0xC0 && cp <= 0xDE)
        return cp != 0xD7;
    if ((cp >= 0x100 && cp <= 0x17F) || (cp >= 0x1EA0 && cp <= 0x1EF9))
        return (cp & 1) == 0;
    return cp == 0x1A0 || cp == 0x1AF;
}

/* What marks a letter carries, in a form where the two tone-placement
 * styles agree ("hoà" = "hòa"): its tone, and which shaped letter it is. */
static uint16_t mark_sig(uint32_t cp, const struct fold_letter *l)
{
    static const unsigned char shape[FOLD_V_COUNT] = {
        [FOLD_V_AW] = 1, [FOLD_V_AA] = 2, [FOLD_V_EE] = 3,
        [FOLD_V_OO] = 4, [FOLD_V_OW] = 5, [FOLD_V_UW] = 6};

    if (cp == 0x110 || cp == 0x111) /* Đ đ */
        return 1u << (3 + 7);
    return (uint16_t)(l->tone | (shape[l->vowel] ? 1u << (3 + shape[l->vowel]) : 0u));
}

/* Splits s into words of ASCII letters or of digits ("p12" is two words),
 * folded with fold.h; anything else separates words, combining marks are
 * dropped. The one tokenizer for names at build time and for messages. */
static int tokenize(const char *s, size_t len, struct toks *tk)
{
    size_t i = 0, n;
    int cls = 0; /* 0: outside a word, 1: letters, 2: digits */
    bool sep = false;
    uint32_t cp;

    tk->n = 0;
    tk->fl = 0;
    tk->marked = false;
    while (i < len) {
        struct fold_letter l;
        char c;
        int want;
        bool up, plain = true;
        uint16_t sig = 0;

        if ((unsigned char)s[i] < 0x80) {
            c = s[i];
            n = 1;
            if (c == '\0')
                return -EINVAL;
            cp = (unsigned char)c;
            up = c >= 'A' && c <= 'Z';
            if (up)
                c = (char)(c + ('a' - 'A'));
        } else {
            n = mc_utf8_decode(s + i, len - i, &cp);
            if (n == 0)
                return -EINVAL;
            if (cp >= 0x300 && cp <= 0x36F) { /* a combining mark stays in its word */
                if (cls && tk->n > 0) {       /* decomposed text: marks not compared */
                    tk->t[tk->n - 1].plain = false;
                    tk->t[tk->n - 1].sig = PLACES_SIG_ANY;
                }
                tk->marked = true;
                i += n;
                continue;
            }
            c = fold_letter_of(cp, &l) ? l.ascii : ' ';
            up = is_upper_cp(cp);
            plain = false;
            if (c != ' ')
                sig = mark_sig(cp, &l);
        }
        want = (c >= 'a' && c <= 'z') ? 1 : (c >= '0' && c <= '9') ? 2 : 0;
        if (want == 0) {
            if (cls && c == '.')
                tk->t[tk->n - 1].dot_after = true;
            if (strchr(",;.()?!", c))
                sep = true;
            cls = 0;
            i += n;
            continue;
        }
        if (want != cls) { /* a new word */
            struct tok *t;

            if (tk->n == PLACES_TOKENS_MAX)
                return -E2BIG;
            if (tk->n > 0)
                tk->fb[tk->fl++] = ' ';
            t = &tk->t[tk->n++];
            memset(t, 0, sizeof(*t));
            t->start = (uint16_t)i;
            t->f = (uint16_t)tk->fl;
            t->plain = true;
            t->upper = up;
            t->digit = want == 2;
            t->sep_before = sep;
            sep = false;
            cls = want;
        }
        if (!plain) {
            tk->t[tk->n - 1].plain = false;
            tk->t[tk->n - 1].sig |= sig;
            tk->marked = true;
        }
        tk->fb[tk->fl++] = c;
        tk->t[tk->n - 1].flen++;
        tk->t[tk->n - 1].end = (uint16_t)(i + n);
        i += n;
    }
    tk->fb[tk->fl] = '\0';
    return 0;
}

/* ---- build --------------------------------------------------------------- */

struct pair {
    uint32_t key, post;
};

struct builder {
    struct places_index *idx;
    struct pair *pairs;
    size_t npairs, cap;
    struct toks tk; /* scratch for names */
};

static int arena_add(struct places_index *idx, const char *s, uint32_t *off)
{
    size_t n = strlen(s) + 1;

    if (n > idx->arena_cap - idx->arena_len) {
        size_t cap = idx->arena_cap ? idx->arena_cap * 2 : 1 << 16;
        char *a;

        while (cap - idx->arena_len < n)
            cap *= 2;
        if (cap > UINT32_MAX)
            return -E2BIG;
        a = realloc(idx->arena, cap);
        if (!a)
            return -ENOMEM;
        idx->arena = a;
        idx->arena_cap = cap;
    }
    memcpy(idx->arena + idx->arena_len, s, n);
    *off = (uint32_t)idx->arena_len;
    idx->arena_len += n;
    return 0;
}

/* Adds key (folded, single spaces) with posting post, and every shorter word
 * prefix of it with no posting, so a probe can stop at the first miss. */
static int key_add(struct builder *b, const char *key, size_t len, uint32_t post)
{
    uint32_t id;
    size_t i, w = 1;
    int rc;

    for (i = 0; i < len; i++) {
        if (key[i] != ' ')
            continue;
        w++;
        rc = hmap_str_intern(b->idx->keys, key, i, &id);
        if (rc)
            return rc;
    }
    if (w > PLACES_KEY_WORDS_MAX)
        return 0; /* longer than any message key we probe: unreachable, skip */
    if (w > b->idx->max_words)
        b->idx->max_words = w;
    rc = hmap_str_intern(b->idx->keys, key, len, &id);
    if (rc)
        return rc;
    if (b->npairs == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 16384;
        struct pair *p = realloc(b->pairs, cap * sizeof(*p));

        if (!p)
            return -ENOMEM;
        b->pairs = p;
        b->cap = cap;
    }
    b->pairs[b->npairs++] = (struct pair){id, post};
    return 0;
}

/* The unit word a database name starts with, and its folded key without it
 * ("Phường An Lạc" -> PHUONG, "an lac"). */
static int name_key(struct builder *b, const char *name, unsigned char *type, const char **key,
                    size_t *klen, uint32_t *sig)
{
    static const struct {
        const char *w;
        unsigned char type;
    } lead[] = {{"xa ", PLACES_TYPE_XA},
                {"phuong ", PLACES_TYPE_PHUONG},
                {"thi tran ", PLACES_TYPE_THI_TRAN},
                {"dac khu ", PLACES_TYPE_DAC_KHU},
                {"quan ", PLACES_TYPE_QUAN},
                {"huyen ", PLACES_TYPE_HUYEN},
                {"thi xa ", PLACES_TYPE_THI_XA},
                {"thanh pho ", PLACES_TYPE_THANH_PHO},
                {"tinh ", PLACES_TYPE_TINH}};
    struct places_index *idx = b->idx;
    size_t k, wl, t0 = 0;
    int rc;

    rc = tokenize(name, strlen(name), &b->tk);
    if (rc)
        return rc;
    *type = PLACES_TYPE_NONE;
    *key = b->tk.fb;
    *klen = b->tk.fl;
    for (k = 0; k < sizeof(lead) / sizeof(lead[0]); k++) {
        wl = strlen(lead[k].w);
        if (b->tk.fl > wl && strncmp(b->tk.fb, lead[k].w, wl) == 0) {
            *type = lead[k].type;
            *key += wl;
            *klen -= wl;
            for (t0 = 0; wl-- > 0;) /* words of the unit word: its spaces */
                t0 += lead[k].w[wl] == ' ';
            break;
        }
    }
    if (*klen == 0)
        return -EINVAL;
    if (b->tk.n - t0 + 1 > idx->sigs_cap - idx->nsigs) {
        size_t cap = idx->sigs_cap ? idx->sigs_cap * 2 : 65536;
        uint16_t *n = realloc(idx->sigs, cap * sizeof(*n));

        if (!n)
            return -ENOMEM;
        idx->sigs = n;
        idx->sigs_cap = cap;
    }
    *sig = (uint32_t)idx->nsigs;
    for (k = t0; k < b->tk.n; k++)
        idx->sigs[idx->nsigs++] = b->tk.t[k].sig;
    idx->sigs[idx->nsigs++] = PLACES_SIG_END;
    return 0;
}

static int intern_index(struct hmap_str *m, const char *s, size_t *count, uint32_t *id)
{
    int rc = hmap_str_intern(m, s, strlen(s), id);

    if (!rc && *id == *count)
        (*count)++;
    return rc;
}

static int load_provinces(struct builder *b, sqlite3 *db, struct hmap_str *cur_codes)
{
    struct places_index *idx = b->idx;
    sqlite3_stmt *q = NULL;
    int rc = -EIO;

    if (sqlite3_prepare_v2(db, "SELECT code, name FROM province ORDER BY code", -1, &q, NULL) !=
        SQLITE_OK)
        goto out;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(q, 0);
        const char *name = (const char *)sqlite3_column_text(q, 1);
        struct province *p;
        unsigned char type;
        const char *key;
        size_t klen;
        uint32_t id;

        if (!code || !name || strlen(code) >= PLACES_CODE_MAX || idx->ncur == PLACES_PROV_MAX) {
            rc = -EINVAL;
            goto out;
        }
        rc = hmap_str_intern(cur_codes, code, strlen(code), &id);
        if (rc)
            goto out;
        p = &idx->cur[idx->ncur];
        memcpy(p->code, code, strlen(code) + 1);
        rc = arena_add(idx, name, &p->name);
        if (!rc)
            rc = name_key(b, name, &type, &key, &klen, &p->sig);
        if (!rc)
            rc = key_add(b, key, klen, (uint32_t)POST_PROV_CUR << 28 | (uint32_t)idx->ncur);
        if (rc)
            goto out;
        idx->ncur++;
    }
    rc = rc == SQLITE_DONE ? 0 : -EIO;
out:
    sqlite3_finalize(q);
    return rc;
}

static int load_units(struct builder *b, sqlite3 *db, struct hmap_str *cur_codes,
                      struct hmap_str *unit_codes)
{
    struct places_index *idx = b->idx;
    sqlite3_stmt *q = NULL;
    size_t cap = 0;
    int rc = -EIO;

    if (sqlite3_prepare_v2(db, "SELECT code, name, province_code FROM unit ORDER BY code", -1, &q,
                           NULL) != SQLITE_OK)
        goto out;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(q, 0);
        const char *name = (const char *)sqlite3_column_text(q, 1);
        const char *prov = (const char *)sqlite3_column_text(q, 2);
        struct unit *u;
        const char *key;
        size_t klen;
        uint32_t pid, id;

        if (!code || !name || !prov || strlen(code) >= PLACES_CODE_MAX ||
            !hmap_str_find(cur_codes, prov, strlen(prov), &pid)) {
            rc = -EINVAL;
            goto out;
        }
        if (idx->nunits == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            struct unit *n = realloc(idx->units, ncap * sizeof(*n));

            if (!n) {
                rc = -ENOMEM;
                goto out;
            }
            idx->units = n;
            cap = ncap;
        }
        rc = hmap_str_intern(unit_codes, code, strlen(code), &id);
        if (rc)
            goto out;
        if (id != idx->nunits) { /* a code twice: the importer forbids it */
            rc = -EINVAL;
            goto out;
        }
        u = &idx->units[idx->nunits];
        memset(u, 0, sizeof(*u));
        memcpy(u->code, code, strlen(code) + 1);
        u->prov = (uint8_t)pid;
        rc = arena_add(idx, name, &u->name);
        if (!rc)
            rc = name_key(b, name, &u->type, &key, &klen, &u->sig);
        if (!rc)
            rc = key_add(b, key, klen, (uint32_t)POST_UNIT << 28 | (uint32_t)idx->nunits);
        if (rc)
            goto out;
        idx->nunits++;
    }
    rc = rc == SQLITE_DONE ? 0 : -EIO;
out:
    sqlite3_finalize(q);
    return rc;
}

static int cmp_u32pair(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b;

    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* Former communes, their districts and provinces; then which districts and
 * former provinces each current unit covers. */
static int load_former(struct builder *b, sqlite3 *db, struct hmap_str *unit_codes)
{
    struct places_index *idx = b->idx;
    struct hmap_str *dist_keys = NULL, *old_keys = NULL;
    sqlite3_stmt *q = NULL;
    uint32_t(*ud)[2] = NULL; /* (unit, district) pairs */
    size_t cap = 0, dcap = 0, i, n;
    char dk[2 * PLACES_NAME_MAX];
    int rc = -ENOMEM;

    dist_keys = hmap_str_new();
    old_keys = hmap_str_new();
    if (!dist_keys || !old_keys)
        goto out;
    rc = -EIO;
    if (sqlite3_prepare_v2(db,
                           "SELECT old_code, old_name, old_district, old_province, new_code, whole "
                           "FROM former_unit ORDER BY rowid",
                           -1, &q, NULL) != SQLITE_OK)
        goto out;
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(q, 0);
        const char *name = (const char *)sqlite3_column_text(q, 1);
        const char *dist = (const char *)sqlite3_column_text(q, 2);
        const char *prov = (const char *)sqlite3_column_text(q, 3);
        const char *ncode = (const char *)sqlite3_column_text(q, 4);
        struct former *f;
        const char *key;
        size_t klen, before;
        uint32_t uid, did, pid;

        if (!code || !name || !dist || !prov || !ncode || strlen(code) >= PLACES_CODE_MAX ||
            strlen(dist) >= PLACES_NAME_MAX || strlen(prov) >= PLACES_NAME_MAX ||
            !hmap_str_find(unit_codes, ncode, strlen(ncode), &uid)) {
            rc = -EINVAL;
            goto out;
        }
        if (idx->nformers == cap) {
            size_t ncap = cap ? cap * 2 : 16384;
            struct former *nf = realloc(idx->formers, ncap * sizeof(*nf));

            rc = -ENOMEM;
            if (!nf)
                goto out;
            idx->formers = nf;
            cap = ncap;
        }
        /* the former province */
        before = idx->nold;
        rc = intern_index(old_keys, prov, &idx->nold, &pid);
        if (rc)
            goto out;
        if (idx->nold > PLACES_PROV_MAX) {
            rc = -E2BIG;
            goto out;
        }
        if (idx->nold != before) {
            struct province *p = &idx->old[pid];
            unsigned char type;

            memset(p, 0, sizeof(*p));
            rc = arena_add(idx, prov, &p->name);
            if (!rc)
                rc = name_key(b, prov, &type, &key, &klen, &p->sig);
            if (!rc)
                rc = key_add(b, key, klen, (uint32_t)POST_PROV_OLD << 28 | pid);
            if (rc)
                goto out;
        }
        idx->old[pid].cur_provs |= 1ull << idx->units[uid].prov;
        idx->units[uid].old_provs |= 1ull << pid;
        /* the former district, named within its province */
        snprintf(dk, sizeof(dk), "%s\x1f%s", dist, prov);
        before = idx->ndistricts;
        rc = intern_index(dist_keys, dk, &idx->ndistricts, &did);
        if (rc)
            goto out;
        if (idx->ndistricts > UINT16_MAX) {
            rc = -E2BIG;
            goto out;
        }
        if (idx->ndistricts != before) {
            struct district *d;

            if (idx->ndistricts > dcap) {
                size_t ncap = dcap ? dcap * 2 : 1024;
                struct district *nd = realloc(idx->districts, ncap * sizeof(*nd));

                rc = -ENOMEM;
                if (!nd)
                    goto out;
                idx->districts = nd;
                dcap = ncap;
            }
            d = &idx->districts[did];
            memset(d, 0, sizeof(*d));
            d->old_prov = (uint8_t)pid;
            rc = arena_add(idx, dist, &d->name);
            if (!rc)
                rc = name_key(b, dist, &d->type, &key, &klen, &d->sig);
            if (!rc)
                rc = key_add(b, key, klen, (uint32_t)POST_DISTRICT << 28 | did);
            if (rc)
                goto out;
        }
        idx->districts[did].cur_provs |= 1ull << idx->units[uid].prov;
        /* the former commune itself */
        f = &idx->formers[idx->nformers];
        memset(f, 0, sizeof(*f));
        memcpy(f->code, code, strlen(code) + 1);
        f->unit = uid;
        f->district = (uint16_t)did;
        f->old_prov = (uint8_t)pid;
        f->whole = sqlite3_column_int(q, 5) != 0;
        rc = arena_add(idx, name, &f->name);
        if (!rc)
            rc = name_key(b, name, &f->type, &key, &klen, &f->sig);
        if (!rc)
            rc = key_add(b, key, klen, (uint32_t)POST_FORMER << 28 | (uint32_t)idx->nformers);
        if (rc)
            goto out;
        idx->nformers++;
    }
    if (rc != SQLITE_DONE) {
        rc = -EIO;
        goto out;
    }
    /* districts each unit covers, sorted and unique */
    rc = -ENOMEM;
    ud = calloc(idx->nformers ? idx->nformers : 1, sizeof(*ud));
    idx->dist_of = calloc(idx->nformers ? idx->nformers : 1, sizeof(*idx->dist_of));
    if (!ud || !idx->dist_of)
        goto out;
    for (i = 0; i < idx->nformers; i++) {
        ud[i][0] = idx->formers[i].unit;
        ud[i][1] = idx->formers[i].district;
    }
    qsort(ud, idx->nformers, sizeof(*ud), cmp_u32pair);
    for (i = 0, n = 0; i < idx->nformers; i++) {
        struct unit *u = &idx->units[ud[i][0]];

        if (i > 0 && ud[i][0] == ud[i - 1][0] && ud[i][1] == ud[i - 1][1])
            continue;
        if (u->dist_n == 0)
            u->dist_first = (uint32_t)n;
        u->dist_n++;
        idx->dist_of[n++] = (uint16_t)ud[i][1];
    }
    rc = 0;
out:
    free(ud);
    sqlite3_finalize(q);
    hmap_str_free(dist_keys);
    hmap_str_free(old_keys);
    return rc;
}

/* Unit words, cues, markers and short names; the postings of a short name
 * are those of the province name it stands for. */
static int load_words(struct builder *b)
{
    size_t k;
    int rc;

    for (k = 0; k < sizeof(words) / sizeof(words[0]); k++) {
        rc =
            key_add(b, words[k].key, strlen(words[k].key), (uint32_t)POST_WORD << 28 | (uint32_t)k);
        if (rc)
            return rc;
    }
    return 0;
}

static int cmp_pair(const void *a, const void *b)
{
    const struct pair *x = a, *y = b;

    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return x->post < y->post ? -1 : x->post > y->post;
}

static int load_aliases(struct builder *b)
{
    size_t k, i, n = b->npairs;
    uint32_t id;
    int rc;

    qsort(b->pairs, b->npairs, sizeof(*b->pairs), cmp_pair);
    for (k = 0; k < sizeof(aliases) / sizeof(aliases[0]); k++) {
        if (!hmap_str_find(b->idx->keys, aliases[k].province, strlen(aliases[k].province), &id))
            continue; /* the province is not in this database */
        for (i = 0; i < n; i++) {
            uint32_t kind = POST_KIND(b->pairs[i].post);

            if (b->pairs[i].key != id || (kind != POST_PROV_CUR && kind != POST_PROV_OLD))
                continue;
            rc = key_add(b, aliases[k].key, strlen(aliases[k].key), b->pairs[i].post | POST_ALIAS);
            if (rc)
                return rc;
        }
    }
    return 0;
}

/* Postings grouped by key id (CSR), in the order they were added within a
 * key: units and former rows keep the database order. */
static int build_postings(struct builder *b)
{
    struct places_index *idx = b->idx;
    size_t i;

    idx->nkeys = hmap_str_count(idx->keys);
    qsort(b->pairs, b->npairs, sizeof(*b->pairs), cmp_pair);
    idx->post_first = calloc(idx->nkeys + 1, sizeof(*idx->post_first));
    idx->postings = calloc(b->npairs ? b->npairs : 1, sizeof(*idx->postings));
    if (!idx->post_first || !idx->postings)
        return -ENOMEM;
    for (i = 0; i < b->npairs; i++) {
        idx->post_first[b->pairs[i].key + 1]++;
        idx->postings[i] = b->pairs[i].post;
    }
    for (i = 0; i < idx->nkeys; i++)
        idx->post_first[i + 1] += idx->post_first[i];
    idx->npostings = b->npairs;
    return 0;
}

struct places_index *places_index_new(sqlite3 *db, struct mc_err *err)
{
    struct builder *b = NULL;
    struct hmap_str *cur_codes = NULL, *unit_codes = NULL;
    struct places_index *idx = NULL;
    int rc = -ENOMEM;

    b = calloc(1, sizeof(*b));
    idx = calloc(1, sizeof(*idx));
    cur_codes = hmap_str_new();
    unit_codes = hmap_str_new();
    if (!b || !idx || !cur_codes || !unit_codes)
        goto fail;
    idx->keys = hmap_str_new();
    if (!idx->keys)
        goto fail;
    b->idx = idx;
    rc = load_provinces(b, db, cur_codes);
    if (!rc)
        rc = load_units(b, db, cur_codes, unit_codes);
    if (!rc)
        rc = load_former(b, db, unit_codes);
    if (!rc)
        rc = load_words(b);
    if (!rc)
        rc = load_aliases(b);
    if (!rc)
        rc = build_postings(b);
    if (rc)
        goto fail;
    if (idx->ncur == 0 || idx->nunits == 0) {
        mc_err_set(err, "places: no provinces or units in the knowledge database");
        goto fail_quiet;
    }
    free(b->pairs);
    free(b);
    hmap_str_free(cur_codes);
    hmap_str_free(unit_codes);
    return idx;

fail:
    if (rc == -EIO)
        mc_err_set(err, "places: %s", sqlite3_errmsg(db));
    else if (rc == -ENOMEM)
        mc_err_set(err, "places: out of memory");
    else
        mc_err_set(err, "places: unexpected row in province/unit/former_unit (%d)", rc);
fail_quiet:
    if (b)
        free(b->pairs);
    free(b);
    hmap_str_free(cur_codes);
    hmap_str_free(unit_codes);
    places_index_free(idx);
    return NULL;
}

void places_index_free(struct places_index *idx)
{
    if (!idx)
        return;
    hmap_str_free(idx->keys);
    free(idx->post_first);
    free(idx->postings);
    free(idx->units);
    free(idx->formers);
    free(idx->districts);
    free(idx->dist_of);
    free(idx->arena);
    free(idx->sigs);
    free(idx);
}

size_t places_index_memory(const struct places_index *idx)
{
    if (!idx)
        return 0;
    return sizeof(*idx) + hmap_str_memory(idx->keys) + (idx->nkeys + 1) * sizeof(*idx->post_first) +
           idx->npostings * sizeof(*idx->postings) + idx->nunits * sizeof(*idx->units) +
           idx->nformers * sizeof(*idx->formers) + idx->ndistricts * sizeof(*idx->districts) +
           idx->nformers * sizeof(*idx->dist_of) + idx->arena_cap +
           idx->sigs_cap * sizeof(*idx->sigs);
}

void places_index_counts(const struct places_index *idx, size_t *units, size_t *former,
                         size_t *districts, size_t *names)
{
    if (units)
        *units = idx->nunits;
    if (former)
        *former = idx->nformers;
    if (districts)
        *districts = idx->ndistricts;
    if (names)
        *names = idx->nkeys;
}

/* ---- find ---------------------------------------------------------------- */

/* One part of an address read in the message: a name, with the unit word
 * before it if any. */
struct comp {
    uint16_t w0, t0, t1; /* tokens: unit word from w0, name [t0, t1) */
    uint32_t key;        /* key id of the name */
    unsigned char roles; /* enum role the name can play */
    unsigned char type;  /* enum places_type of the unit word */
    bool typed;          /* a unit word precedes the name */
    bool cue;            /* a residence statement precedes it */
    bool cue_weak;       /* "ở" / "tại" precedes it */
    uint16_t cue0;       /* with cue or cue_weak: the token where the statement starts */
    bool former;         /* "cũ" before or after it */
    bool joined;         /* only connectors and markers since the previous part */
    bool unresolved;     /* a unit word followed by no known name */
    bool weak;           /* a one-word name not written as one ("tp vinh", "tp Vinh"): read
                            only as a further part of an address the other parts confirm */
};

struct hint {
    uint16_t dist[PLACES_DIST_HINT_MAX];
    size_t nd;
    bool has_d, has_p;
    uint64_t pcur, pold; /* provinces named (current, pre-2025) */
};

struct finder {
    const struct places_index *idx;
    struct toks tk;
    struct comp comps[PLACES_COMPS_MAX];
    size_t ncomps;
    bool former_any; /* "trước đây", "trước sáp nhập" somewhere in the message */
    unsigned flags;
};

static unsigned char roles_of_type(unsigned type)
{
    switch (type) {
    case PLACES_TYPE_XA:
    case PLACES_TYPE_PHUONG:
    case PLACES_TYPE_THI_TRAN:
    case PLACES_TYPE_DAC_KHU:
        return ROLE_COMMUNE;
    case PLACES_TYPE_QUAN:
    case PLACES_TYPE_HUYEN:
    case PLACES_TYPE_THI_XA:
        return ROLE_DISTRICT;
    case PLACES_TYPE_THANH_PHO:
        return ROLE_DISTRICT | ROLE_PROVINCE;
    case PLACES_TYPE_TINH:
        return ROLE_PROVINCE;
    default:
        return 0;
    }
}

/* What key id can be: place roles, and the entry of words[] (or -1). */
/* Whether the words at t0 can be the name of posting post: a word written
 * with marks must carry the same marks ("vẫn còn" is not "Vân Côn"); a word
 * written without marks matches any. */
static bool post_ok(const struct finder *f, size_t t0, uint32_t post)
{
    const struct places_index *idx = f->idx;
    uint32_t x = POST_INDEX(post), sig;
    size_t k, n;

    if (post & POST_ALIAS)
        return true;
    switch (POST_KIND(post)) {
    case POST_UNIT:
        sig = idx->units[x].sig;
        break;
    case POST_FORMER:
        sig = idx->formers[x].sig;
        break;
    case POST_DISTRICT:
        sig = idx->districts[x].sig;
        break;
    case POST_PROV_CUR:
        sig = idx->cur[x].sig;
        break;
    case POST_PROV_OLD:
        sig = idx->old[x].sig;
        break;
    default:
        return true;
    }
    for (k = t0, n = 0; k < f->tk.n && idx->sigs[sig + n] != PLACES_SIG_END; k++, n++) {
        const struct tok *t = &f->tk.t[k];

        if (!t->plain && t->sig != PLACES_SIG_ANY && t->sig != idx->sigs[sig + n])
            return false;
    }
    return true;
}

static unsigned char key_roles(const struct finder *f, size_t t0, uint32_t id, int *word)
{
    const struct places_index *idx = f->idx;
    unsigned char roles = 0;
    uint32_t p;

    *word = -1;
    for (p = idx->post_first[id]; p < idx->post_first[id + 1]; p++) {
        if (!post_ok(f, t0, idx->postings[p]))
            continue;
        switch (POST_KIND(idx->postings[p])) {
        case POST_UNIT:
        case POST_FORMER:
            roles |= ROLE_COMMUNE;
            break;
        case POST_DISTRICT:
            roles |= ROLE_DISTRICT;
            break;
        case POST_PROV_CUR:
        case POST_PROV_OLD:
            roles |= ROLE_PROVINCE;
            break;
        default:
            *word = (int)POST_INDEX(idx->postings[p]);
        }
    }
    return roles;
}

struct probe {
    size_t n;
    uint32_t id[PLACES_KEY_WORDS_MAX];
    size_t len[PLACES_KEY_WORDS_MAX]; /* words */
    unsigned char roles[PLACES_KEY_WORDS_MAX];
    int word[PLACES_KEY_WORDS_MAX];
};

/* Every key starting at token i, shortest first; stops at the first word
 * sequence that is not even a prefix of a key. */
static void probe_at(const struct finder *f, size_t i, struct probe *pr)
{
    const struct places_index *idx = f->idx;
    size_t l;

    pr->n = 0;
    for (l = 1; l <= idx->max_words && i + l <= f->tk.n; l++) {
        const struct tok *a = &f->tk.t[i], *z = &f->tk.t[i + l - 1];
        uint32_t id;

        if (l > 1 && z->sep_before) /* a name never spans a comma or a full stop */
            break;
        if (!hmap_str_find(idx->keys, f->tk.fb + a->f, (size_t)(z->f + z->flen - a->f), &id))
            break;
        if (idx->post_first[id + 1] == idx->post_first[id])
            continue; /* only a prefix */
        pr->id[pr->n] = id;
        pr->len[pr->n] = l;
        pr->roles[pr->n] = key_roles(f, i, id, &pr->word[pr->n]);
        pr->n++;
    }
}

/* The longest key at i that is a word of kind kind (-1: any word), or -1. */
static int probe_word(const struct probe *pr, int kind, bool type)
{
    size_t k = pr->n;

    while (k-- > 0) {
        int w = pr->word[k];

        if (w < 0)
            continue;
        if (type ? words[w].kind == WK_TYPE
                 : (words[w].kind != WK_TYPE && (kind < 0 || words[w].kind == kind)))
            return (int)k;
    }
    return -1;
}

/* The longest name at i with one of roles, or -1. */
static int probe_name(const struct probe *pr, unsigned char roles)
{
    size_t k = pr->n;

    while (k-- > 0)
        if (pr->roles[k] & roles)
            return (int)k;
    return -1;
}

/* A bare name that can be a province is the province ("ở Sài Gòn" is the
 * city, not Phường Sài Gòn); a unit word is needed for the others. */
static unsigned char bare_roles(unsigned char roles)
{
    return roles & ROLE_PROVINCE ? ROLE_PROVINCE : roles;
}

static bool is_province_only(const struct probe *pr, int k)
{
    return pr->roles[k] == ROLE_PROVINCE;
}

/* A unit word that plainly says "a place follows" even when the name is not
 * one we know: written with its marks or a dot, or two words long. */
static bool is_strong_type(const struct finder *f, size_t w0, size_t len, bool abbr)
{
    size_t k;

    if (len >= 2)
        return true;
    if (abbr)
        return f->tk.t[w0].dot_after;
    for (k = w0; k < w0 + len; k++)
        if (f->tk.t[k].plain)
            return false;
    return true;
}

struct scan_state {
    bool gap_clean; /* a part was read and only connectors/markers since */
    bool cue, cue_weak, former;
    size_t cue0; /* the token where the residence statement starts */
};

static void add_comp(struct finder *f, struct scan_state *st, size_t w0, size_t t0, size_t t1,
                     uint32_t key, unsigned char roles, unsigned char type, bool typed,
                     bool unresolved, bool weak)
{
    struct comp *c;

    if (f->ncomps == PLACES_COMPS_MAX)
        return; /* more parts than an address has: the first ones are kept */
    c = &f->comps[f->ncomps++];
    memset(c, 0, sizeof(*c));
    c->w0 = (uint16_t)w0;
    c->t0 = (uint16_t)t0;
    c->t1 = (uint16_t)t1;
    c->key = key;
    c->roles = unresolved ? roles_of_type(type) : roles;
    c->type = type;
    c->typed = typed;
    c->unresolved = unresolved;
    c->weak = weak;
    c->cue = st->cue;
    c->cue_weak = st->cue_weak;
    c->cue0 = (uint16_t)((st->cue || st->cue_weak) ? st->cue0 : w0);
    c->former = st->former;
    c->joined = st->gap_clean;
    st->gap_clean = !unresolved;
    st->cue = st->cue_weak = st->former = false;
}

/* One pass over the words: unit word + name, bare names, cues, markers. */
static void scan(struct finder *f)
{
    struct scan_state st = {false, false, false, false, 0};
    struct probe pr, nx;
    size_t i = 0, n = f->tk.n;

    while (i < n) {
        int kt, kn, kw;

        probe_at(f, i, &pr);
        kt = probe_word(&pr, -1, true);
        kn = probe_name(&pr, ROLE_COMMUNE | ROLE_DISTRICT | ROLE_PROVINCE);
        if (kt >= 0) { /* a unit word, then a name it can introduce */
            const struct word *w = &words[pr.word[kt]];
            size_t j = i + pr.len[kt];
            int k = -1;
            bool weak = false;

            if (j < n) {
                probe_at(f, j, &nx);
                k = probe_name(&nx, roles_of_type(w->type));
                /* a one-word name is written as one ("xã Lạng", "h. Lắk"; not "xã làm",
                 * "8h sáng"), except a province's short name ("tp hcm"); otherwise
                 * ("tp Vinh", "tp vinh" in lower-case text) it is only a weak part */
                weak = k >= 0 && nx.len[k] == 1 && !f->tk.t[j].digit &&
                       (nx.roles[k] & roles_of_type(w->type)) != ROLE_PROVINCE &&
                       !(f->tk.t[j].upper && (!w->abbr || f->tk.t[j - 1].dot_after));
                /* numbered units are phường and quận only ("xa 6 tháng", "H12.34") */
                if (k >= 0 && f->tk.t[j].digit && w->type != PLACES_TYPE_PHUONG &&
                    w->type != PLACES_TYPE_QUAN)
                    k = -1;
                if (k >= 0 && f->tk.t[j].digit && nx.len[k] == 1 && j + 1 < n &&
                    !f->tk.t[j + 1].digit && f->tk.t[j].end == f->tk.t[j + 1].start)
                    k = -1; /* "p 5p": a number glued to letters is not a ward number */
            }
            /* "Quan Sơn" is a district's own name, not "quận Sơn" */
            if (k >= 0 && kn >= 0 && pr.len[kn] > pr.len[kt] + nx.len[k] - 1 && nx.len[k] == 1)
                k = -1;
            if (k >= 0) {
                add_comp(f, &st, i, j, j + nx.len[k], nx.id[k],
                         nx.roles[k] & roles_of_type(w->type), w->type, true, false, weak);
                i = j + nx.len[k];
                continue;
            }
            /* "phường Xyz": a place we do not know, still a place */
            if (j < n && is_strong_type(f, i, pr.len[kt], w->abbr) && kn < 0 &&
                (f->tk.t[j].upper || f->tk.t[j].digit) && !f->tk.t[j].sep_before &&
                !(f->tk.t[j].flen == sizeof "hoi" - 1 &&
                  memcmp(f->tk.fb + f->tk.t[j].f, "hoi", f->tk.t[j].flen) == 0)) { /* Xã Hội */
                add_comp(f, &st, i, j, j + 1, 0, 0, w->type, true, true, false);
                i = j + 1;
                continue;
            }
        }
        /* a bare name: written as a name (capital letter) when the message has
         * diacritics at all; a province's name is read as the province */
        if (kn >= 0 && pr.len[kn] >= 2 &&
            (!f->tk.marked || f->tk.t[i].upper || (f->flags & PLACES_FIND_EXPECT) ||
             (pr.roles[kn] & ROLE_PROVINCE))) {
            add_comp(f, &st, i, i, i + pr.len[kn], pr.id[kn], bare_roles(pr.roles[kn]), 0, false,
                     false, false);
            i += pr.len[kn];
            continue;
        }
        kw = probe_word(&pr, -1, false);
        if (kw >= 0) {
            switch (words[pr.word[kw]].kind) {
            case WK_CUE:
                if (!st.cue && !st.cue_weak)
                    st.cue0 = i;
                st.cue = true;
                st.gap_clean = false;
                break;
            case WK_CUE_WEAK:
                if (!st.cue && !st.cue_weak)
                    st.cue0 = i;
                st.cue_weak = true;
                break;
            case WK_FORMER:
                if (pr.len[kw] > 1)
                    f->former_any = true;
                else if (st.gap_clean)
                    f->comps[f->ncomps - 1].former = true;
                else
                    st.former = true;
                break;
            default:
                break;
            }
            i += pr.len[kw];
            continue;
        }
        /* a one-word name: written as a name (capital letter), or a province's
         * short name */
        if (kn >= 0 && !f->tk.t[i].digit && (f->tk.t[i].upper || is_province_only(&pr, kn))) {
            add_comp(f, &st, i, i, i + 1, pr.id[kn], bare_roles(pr.roles[kn]), 0, false, false,
                     false);
            i++;
            continue;
        }
        st.gap_clean = st.cue = st.cue_weak = st.former = false;
        i++;
    }
}

/* ---- resolve ------------------------------------------------------------- */

static bool dist_in(const struct hint *h, uint16_t d)
{
    size_t k;

    for (k = 0; k < h->nd; k++)
        if (h->dist[k] == d)
            return true;
    return false;
}

static bool unit_ok(const struct places_index *idx, const struct unit *u, const struct hint *h)
{
    size_t k;

    if (h->has_p && !((h->pcur >> u->prov) & 1) && !(u->old_provs & h->pold))
        return false;
    if (!h->has_d)
        return true;
    for (k = 0; k < u->dist_n; k++)
        if (dist_in(h, idx->dist_of[u->dist_first + k]))
            return true;
    return false;
}

static bool former_ok(const struct places_index *idx, const struct former *fm, const struct hint *h)
{
    if (h->has_p && !((h->pold >> fm->old_prov) & 1) &&
        !((h->pcur >> idx->units[fm->unit].prov) & 1))
        return false;
    return !h->has_d || dist_in(h, fm->district);
}

static void hint_district(const struct finder *f, const struct comp *c, struct hint *h)
{
    const struct places_index *idx = f->idx;
    uint32_t p;
    size_t typed = 0, k, o;

    h->has_d = true;
    h->nd = 0;
    if (c->unresolved)
        return;
    for (p = idx->post_first[c->key]; p < idx->post_first[c->key + 1]; p++) {
        uint32_t d = POST_INDEX(idx->postings[p]);

        if (POST_KIND(idx->postings[p]) != POST_DISTRICT || h->nd == PLACES_DIST_HINT_MAX ||
            !post_ok(f, c->t0, idx->postings[p]))
            continue;
        h->dist[h->nd++] = (uint16_t)d;
        typed += c->typed && idx->districts[d].type == c->type;
    }
    if (typed == 0)
        return;
    /* "quận X" and "huyện X" both exist: keep the kind the citizen said */
    for (k = 0, o = 0; k < h->nd; k++)
        if (idx->districts[h->dist[k]].type == c->type)
            h->dist[o++] = h->dist[k];
    h->nd = o;
}

static void hint_province(const struct finder *f, const struct comp *c, struct hint *h)
{
    const struct places_index *idx = f->idx;
    uint32_t p;

    h->has_p = true;
    if (c->unresolved)
        return;
    for (p = idx->post_first[c->key]; p < idx->post_first[c->key + 1]; p++) {
        uint32_t x = POST_INDEX(idx->postings[p]);

        if (!post_ok(f, c->t0, idx->postings[p]))
            continue;
        if (POST_KIND(idx->postings[p]) == POST_PROV_CUR)
            h->pcur |= 1ull << x;
        else if (POST_KIND(idx->postings[p]) == POST_PROV_OLD)
            h->pold |= 1ull << x;
    }
}

/* Keeps the districts that lie in the named province. */
static void hint_narrow(const struct places_index *idx, struct hint *h)
{
    size_t k, o;

    if (!h->has_d || !h->has_p)
        return;
    for (k = 0, o = 0; k < h->nd; k++) {
        const struct district *d = &idx->districts[h->dist[k]];

        if (((h->pold >> d->old_prov) & 1) || (d->cur_provs & h->pcur))
            h->dist[o++] = h->dist[k];
    }
    h->nd = o;
}

static void cand_add(const struct places_index *idx, struct places_result *r, uint32_t unit,
                     const struct former *fm)
{
    const struct unit *u = &idx->units[unit];
    struct places_candidate *c;
    size_t k;

    for (k = 0; k < r->n; k++)
        if (r->cand[k].code == u->code)
            return;
    if (r->n == PLACES_CANDIDATES_MAX) {
        r->truncated = true;
        return;
    }
    c = &r->cand[r->n++];
    c->code = u->code;
    c->name = idx->arena + u->name;
    c->province = idx->arena + idx->cur[u->prov].name;
    c->province_code = idx->cur[u->prov].code;
    c->former_code = fm ? fm->code : NULL;
    c->former_name = fm ? idx->arena + fm->name : NULL;
    c->former_district = fm ? idx->arena + idx->districts[fm->district].name : NULL;
    c->former_province = fm ? idx->arena + idx->old[fm->old_prov].name : NULL;
    c->whole = fm ? fm->whole : true;
}

/* Current units (or, when the citizen said "cũ" or only a former name fits,
 * the units former communes went to) named by key that satisfy h; the unit
 * word's kind is kept when some unit has it. */
static void resolve_commune(const struct finder *f, const struct comp *c, const struct hint *h,
                            bool former, struct places_result *r)
{
    const struct places_index *idx = f->idx;
    uint32_t key = c->key;
    unsigned type = c->type;
    size_t nc = 0, nf = 0, tc = 0, tf = 0;
    bool by_type, use_former;
    uint32_t p;

    for (p = idx->post_first[key]; p < idx->post_first[key + 1]; p++) {
        uint32_t x = POST_INDEX(idx->postings[p]);

        if (!post_ok(f, c->t0, idx->postings[p]))
            continue;
        if (POST_KIND(idx->postings[p]) == POST_UNIT && unit_ok(idx, &idx->units[x], h)) {
            nc++;
            tc += idx->units[x].type == type;
        } else if (POST_KIND(idx->postings[p]) == POST_FORMER &&
                   former_ok(idx, &idx->formers[x], h)) {
            nf++;
            tf += idx->formers[x].type == type;
        }
    }
    by_type = type != PLACES_TYPE_NONE && tc + tf > 0;
    if (by_type) {
        nc = tc;
        nf = tf;
    }
    use_former = nf > 0 && (former || nc == 0);
    r->by_former = use_former;
    for (p = idx->post_first[key]; p < idx->post_first[key + 1]; p++) {
        uint32_t x = POST_INDEX(idx->postings[p]);

        if (!post_ok(f, c->t0, idx->postings[p]))
            continue;
        if (!use_former && POST_KIND(idx->postings[p]) == POST_UNIT) {
            const struct unit *u = &idx->units[x];

            if (unit_ok(idx, u, h) && (!by_type || u->type == type))
                cand_add(idx, r, x, NULL);
        } else if (use_former && POST_KIND(idx->postings[p]) == POST_FORMER) {
            const struct former *fm = &idx->formers[x];

            if (former_ok(idx, fm, h) && (!by_type || fm->type == type))
                cand_add(idx, r, fm->unit, fm);
        }
    }
}

static struct places_span span_of(const struct finder *f, size_t t0, size_t t1)
{
    struct places_span s = {0, 0};

    if (t1 > t0) {
        s.start = f->tk.t[t0].start;
        s.len = (size_t)(f->tk.t[t1 - 1].end - f->tk.t[t0].start);
    }
    return s;
}

static int single_bit(uint64_t m)
{
    return m && !(m & (m - 1)) ? __builtin_ctzll(m) : -1;
}

/* Fills r for the parts comps[c0 .. c0 + n) playing roles role[], with the
 * extra hint extra (may be NULL). Returns a score: >= 1000 when communes were
 * found, >= 500 when only district/province hints agree, plus a little for the
 * usual order (commune, district, province). */
static int resolve(const struct finder *f, size_t c0, size_t n, const unsigned char *role,
                   const struct hint *extra, struct places_result *r)
{
    const struct places_index *idx = f->idx;
    const struct comp *cc = NULL, *cd = NULL, *cp = NULL;
    struct hint h;
    size_t k, pos[PLACES_ROLES + 1] = {0};
    bool former = f->former_any;
    int score = 0, pv;

    memset(&h, 0, sizeof(h));
    memset(r, 0, sizeof(*r));
    for (k = 0; k < n; k++) {
        const struct comp *c = &f->comps[c0 + k];

        former |= c->former;
        r->hints.cue |= c->cue;
        r->explicit |= c->typed || c->cue;
        if (role[k] == ROLE_COMMUNE)
            cc = c, pos[1] = k + 1;
        else if (role[k] == ROLE_DISTRICT)
            cd = c, pos[2] = k + 1;
        else
            cp = c, pos[3] = k + 1;
    }
    if (cd)
        hint_district(f, cd, &h);
    if (cp)
        hint_province(f, cp, &h);
    if (extra && extra->has_d && !h.has_d) {
        h.has_d = true;
        h.nd = extra->nd;
        memcpy(h.dist, extra->dist, sizeof(h.dist));
    }
    if (extra && extra->has_p && !h.has_p) {
        h.has_p = true;
        h.pcur = extra->pcur;
        h.pold = extra->pold;
    }
    hint_narrow(idx, &h);
    r->found = true;
    r->hints.former = former;
    r->mention = span_of(f, f->comps[c0].w0, f->comps[c0 + n - 1].t1);
    r->statement = span_of(f, f->comps[c0].cue0, f->comps[c0 + n - 1].t1);
    if (cc) {
        r->hints.unit_type = cc->type;
        r->hints.unit = span_of(f, cc->t0, cc->t1);
        if (!cc->unresolved)
            resolve_commune(f, cc, &h, former, r);
        score = r->n > 0 ? 1000 + (r->n == 1) * 3 : 0;
    } else if ((!h.has_d || h.nd > 0)) {
        score = 500;
    }
    if (cd) {
        r->hints.district_type = cd->typed ? cd->type : PLACES_TYPE_NONE;
        r->hints.district = span_of(f, cd->t0, cd->t1);
        if (h.nd == 1)
            r->hints.district_name = idx->arena + idx->districts[h.dist[0]].name;
        if (h.has_d && h.nd == 0)
            score = 0; /* no such district in the named province */
    }
    if (cp)
        r->hints.province = span_of(f, cp->t0, cp->t1);
    /* the province the candidates or the hints leave */
    pv = -1;
    if (r->n > 0) {
        pv = idx->units[0].prov; /* replaced below */
        for (k = 0; k < r->n; k++) {
            int q = (int)(strcmp(r->cand[k].province_code, r->cand[0].province_code) == 0);

            if (!q)
                break;
        }
        pv = k == r->n ? -2 : -1;
    }
    if (pv == -2)
        r->hints.province_name = r->cand[0].province;
    else if (h.has_p) {
        uint64_t m = h.pcur;
        size_t o;

        for (o = 0; o < idx->nold; o++)
            if ((h.pold >> o) & 1)
                m |= idx->old[o].cur_provs;
        pv = single_bit(m);
        if (pv >= 0)
            r->hints.province_name = idx->arena + idx->cur[pv].name;
    }
    if (!r->hints.province_name && h.has_d && h.nd == 1) {
        pv = single_bit(idx->districts[h.dist[0]].cur_provs);
        if (pv >= 0)
            r->hints.province_name = idx->arena + idx->cur[pv].name;
    }
    /* the usual written order: commune, then district, then province */
    if (pos[1] && pos[2] && pos[1] < pos[2])
        score += 1;
    if (pos[2] && pos[3] && pos[2] < pos[3])
        score += 1;
    if (pos[1] && pos[3] && pos[1] < pos[3])
        score += 1;
    return score;
}

/* Whether parts c0 .. c0 + n can take distinct roles; if so the best
 * assignment's result is in *best and its score returned, else -1. */
static int resolve_chain(const struct finder *f, size_t c0, size_t n, const struct hint *extra,
                         struct places_result *best, struct places_result *tmp)
{
    static const unsigned char all[PLACES_ROLES] = {ROLE_COMMUNE, ROLE_DISTRICT, ROLE_PROVINCE};
    unsigned char role[PLACES_ROLES];
    size_t k, combos = 1;
    int top = -1;
    size_t a;

    for (k = 0; k < n; k++)
        combos *= PLACES_ROLES;
    for (a = 0; a < combos; a++) {
        size_t x = a;
        unsigned used = 0;
        bool ok = true;
        int s;

        for (k = 0; k < n && ok; k++) {
            role[k] = all[x % PLACES_ROLES];
            x /= PLACES_ROLES;
            ok = (f->comps[c0 + k].roles & role[k]) != 0;
            ok = ok && !(used & role[k]);
            used |= role[k];
        }
        if (!ok)
            continue;
        s = resolve(f, c0, n, role, extra, tmp);
        if (s > top) {
            top = s;
            memcpy(best, tmp, sizeof(*best));
        }
    }
    return top;
}

/* Whether a chain read as r (score s) counts as a place mention. */
static bool is_accepted(const struct finder *f, size_t c0, size_t n, int s,
                        const struct places_result *r)
{
    const struct comp *c = &f->comps[c0];
    size_t k, nw = 0, weak = 0;

    for (k = 0; k < n; k++)
        weak += f->comps[c0 + k].weak;
    /* a weak part counts when the other parts of the address agree with it
     * ("p quang trung tp vinh"), or after a residence statement or a question
     * for a place ("tôi ở tp vinh") */
    if (weak == n && !(c->cue || (f->flags & PLACES_FIND_EXPECT)))
        return false;
    if (weak > 0 && weak < n && s < 500)
        return false;
    for (k = 0; k < n; k++)
        if (f->comps[c0 + k].typed || f->comps[c0 + k].unresolved)
            return true;
    if (c->cue || (f->flags & PLACES_FIND_EXPECT))
        return true;
    if (n >= 2)
        return s >= 500;
    nw = (size_t)(c->t1 - c->t0);
    if (s >= 1000 && r->n == 1 && nw >= PLACES_BARE_WORDS_MIN)
        return true;
    /* "ở Hà Nội", "tại An Lạc Bình Tân": one unit or province after "ở"/"tại" */
    return c->cue_weak &&
           ((s >= 1000 && r->n == 1 && nw >= 2 && f->tk.t[c->t0].upper) ||
            (s >= 500 && s < 1000 && r->hints.province_name && !r->hints.district.len));
}

static int tier_of(const struct places_result *r)
{
    if (r->n > 0)
        return 3;
    if (r->hints.unit.len > 0)
        return 2;
    return 1;
}

int places_find_opt(const struct places_index *idx, const char *text, size_t len, unsigned flags,
                    struct places_result *out)
{
    struct finder *f = NULL;
    struct places_result *cur = NULL, *tmp = NULL;
    size_t c0, n;
    int rc, best_tier = 0;
    bool best_explicit = false;

    memset(out, 0, sizeof(*out));
    if (len > PLACES_INPUT_MAX)
        return -E2BIG;
    f = malloc(sizeof(*f));
    cur = malloc(2 * sizeof(*cur));
    if (!f || !cur) {
        rc = -ENOMEM;
        goto out;
    }
    tmp = cur + 1;
    f->idx = idx;
    f->ncomps = 0;
    f->former_any = false;
    f->flags = flags;
    rc = tokenize(text, len, &f->tk);
    if (rc)
        goto out;
    scan(f);
    /* chains: neighbouring parts that can be one address, each part a
     * different role; the best accepted chain wins */
    for (c0 = 0; c0 < f->ncomps; c0 += n) {
        int s = -1, sn, tier;

        for (n = 1; c0 + n <= f->ncomps; n++) {
            if (n > 1 && (!f->comps[c0 + n - 1].joined || n > PLACES_ROLES))
                break;
            sn = resolve_chain(f, c0, n, NULL, tmp, cur);
            if (sn < 0)
                break;
            s = sn;
        }
        n--;
        if (n == 0)
            n = 1;
        /* a weak last part the others do not confirm is left out */
        for (;;) {
            s = resolve_chain(f, c0, n, NULL, cur, tmp);
            if (n == 1 || !f->comps[c0 + n - 1].weak || (s >= 0 && is_accepted(f, c0, n, s, cur)))
                break;
            n--;
        }
        if (s < 0 || !is_accepted(f, c0, n, s, cur))
            continue;
        tier = tier_of(cur);
        if (tier > best_tier || (tier == best_tier && cur->explicit && !best_explicit)) {
            memcpy(out, cur, sizeof(*out));
            best_tier = tier;
            best_explicit = cur->explicit;
        }
    }
    rc = 0;
out:
    free(f);
    free(cur);
    return rc;
}

int places_find(const struct places_index *idx, const char *text, size_t len,
                struct places_result *out)
{
    return places_find_opt(idx, text, len, 0, out);
}
