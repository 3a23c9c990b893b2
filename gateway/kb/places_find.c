/* gateway/kb/places_find.c - places_find() (places.h): the parts of an
 * address read by places_scan(), resolved to the units they can name. */
#include "places_int.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"

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
            !places_post_ok(f, c->t0, idx->postings[p]))
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

        if (!places_post_ok(f, c->t0, idx->postings[p]))
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

        if (!places_post_ok(f, c->t0, idx->postings[p]))
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

        if (!places_post_ok(f, c->t0, idx->postings[p]))
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
    rc = places_tokenize(text, len, &f->tk);
    if (rc)
        goto out;
    places_scan(f);
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
