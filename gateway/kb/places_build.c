/* gateway/kb/places_build.c - the locality finder's index (places_int.h),
 * built once from the units database: every name, its prefixes and the
 * finder's own words in one table of postings. */
#include "places_int.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fold.h"
#include "hmap.h"

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

    rc = places_tokenize(name, strlen(name), &b->tk);
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

    for (k = 0; k < places_nwords; k++) {
        rc = key_add(b, places_words[k].key, strlen(places_words[k].key),
                     (uint32_t)POST_WORD << 28 | (uint32_t)k);
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
