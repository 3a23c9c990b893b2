/* gateway/kb/places_scan.c - reading the parts of an address in a message
 * (places_int.h): one left-to-right pass of hash probes over its tokens. */
#include "places_int.h"

#include <stdint.h>
#include <string.h>

#include "hmap.h"

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

/* What key id can be: place roles, and the entry of places_words[] (or -1). */
/* Whether the words at t0 can be the name of posting post: a word written
 * with marks must carry the same marks ("vẫn còn" is not "Vân Côn"); a word
 * written without marks matches any. */
bool places_post_ok(const struct finder *f, size_t t0, uint32_t post)
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
        if (!places_post_ok(f, t0, idx->postings[p]))
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
        if (type ? places_words[w].kind == WK_TYPE
                 : (places_words[w].kind != WK_TYPE && (kind < 0 || places_words[w].kind == kind)))
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
void places_scan(struct finder *f)
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
            const struct word *w = &places_words[pr.word[kt]];
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
            switch (places_words[pr.word[kw]].kind) {
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
