/* gateway/conv/conv_guide_match.c - see conv_guide.h. Which FAQ entry
 * (conv_guide_faq(), _faq_in()) or which document (conv_guide_document(),
 * _document_in()) of a guide the citizen's folded words ask about, from the
 * words they share with it; the words of the guide's own names tell
 * nothing. The answers' text: conv_guide.c. */
#include "conv_guide.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "fold_words.h"
#include "kb_gtext.h"

#define GUIDE_FAQ_WORDS_MAX 64 /* distinct words compared per FAQ question */
#define GUIDE_FAQ_SPLIT_MAX                                                                        \
    512                        /* words of a text looked at for them (a message is <= 2048 bytes) */
#define GUIDE_DOC_RUN_MIN 2    /* words in a row, none a function word, that name one paper */
#define GUIDE_FAQ_MIN_SHARED 3 /* content words an FAQ question must share with the citizen's */
#define GUIDE_FAQ_RUN_MIN 4    /* words in a row that fit an FAQ question on their own ... */
#define GUIDE_FAQ_RUN_CONTENT 2 /* ... when this many of them are content words, one telling */

/* The folded names of g (name, short name): a question about the guide says
 * them anyway, so they tell its FAQ entries apart not at all ("giấy chứng
 * nhận" in every question about a certificate). Words borrowed from the
 * guide's kb_gtext. */
struct guide_names {
    struct fold_word w[GUIDE_FAQ_WORDS_MAX];
    size_t n;
    uint64_t seen; /* fold_words_bit() of each of w: a word whose bit is clear is none of them */
};

static void names_of(const struct kb_gtext *x, struct guide_names *nm)
{
    size_t i, k;

    nm->n = 0;
    nm->seen = 0;
    for (i = 0; i < 2; i++) {
        const struct kb_gtext_fold *f = &x->names[i];

        if (f->rc < 0) /* a name cut short is no name here */
            continue;
        for (k = 0; k < f->n && nm->n < GUIDE_FAQ_WORDS_MAX; k++) {
            nm->w[nm->n++] = f->w[k];
            nm->seen |= f->w[k].len ? fold_words_bit(&f->w[k]) : 0;
        }
    }
}

static bool same_word(const struct fold_word *a, const struct fold_word *b)
{
    /* the first byte first: most pairs differ there, and memcmp is a call */
    return a->len == b->len && a->len > 0 && a->p[0] == b->p[0] && memcmp(a->p, b->p, a->len) == 0;
}

/* A word that says what one FAQ question asks: not a stop word, not a word
 * of the guide's names. */
static bool telling(const struct fold_word *w, const struct guide_names *nm)
{
    size_t k;

    if (fold_words_is_stop(w, false))
        return false;
    if (w->len && !(nm->seen & fold_words_bit(w)))
        return true; /* none of the names */
    for (k = 0; k < nm->n; k++)
        if (same_word(w, &nm->w[k]))
            return false;
    return true;
}

/* Collects the distinct content (not stop) words of all[0..na) (pointers
 * into its text). */
static size_t content_words(const struct fold_word *all, size_t na, struct fold_word *w, size_t max)
{
    size_t n = 0, i, k;

    for (i = 0; i < na; i++) {
        bool dup = fold_words_is_stop(&all[i], false);

        for (k = 0; k < n && !dup; k++)
            dup = same_word(&w[k], &all[i]);
        if (!dup && n < max)
            w[n++] = all[i];
    }
    return n;
}

/* True when the two texts share a run of at least GUIDE_FAQ_RUN_MIN words
 * in a row, GUIDE_FAQ_RUN_CONTENT of them content words and one telling
 * ("một mình tôi đi nộp" inside "một mình tôi đi nộp hồ sơ được không": one
 * by one, the words that carry it are stop words). */
#define GUIDE_WORD_CONTENT 1u /* not a stop word */
#define GUIDE_WORD_TELLING 2u /* telling() */

/* The GUIDE_WORD_* flags of u[0..nu) against nm, worked out once per call of
 * conv_guide_faq_in() rather than once per word of every run compared. */
static void word_flags(const struct fold_word *u, size_t nu, const struct guide_names *nm,
                       unsigned char *fl)
{
    size_t i;

    for (i = 0; i < nu; i++)
        fl[i] = (unsigned char)((fold_words_is_stop(&u[i], false) ? 0 : GUIDE_WORD_CONTENT) |
                                (telling(&u[i], nm) ? GUIDE_WORD_TELLING : 0));
}

static bool shares_run(const struct fold_word *u, const unsigned char *ufl, size_t nu,
                       const struct fold_word *q, size_t nq)
{
    size_t i, j, k, content, tell, in_q = 0;
    uint64_t qbits = 0;

    for (j = 0; j < nq; j++)
        qbits |= q[j].len ? fold_words_bit(&q[j]) : 0;
    for (i = 0; i < nu; i++) {
        /* in_q: how many words from u[i] on may be words of q; a run needs that many */
        if (in_q > 0)
            in_q--;
        else
            for (in_q = 0;
                 i + in_q < nu && u[i + in_q].len && (qbits & fold_words_bit(&u[i + in_q])); in_q++)
                ;
        if (in_q < GUIDE_FAQ_RUN_MIN) {
            in_q = 0;
            continue;
        }
        for (j = 0; j < nq; j++) {
            content = tell = 0;
            for (k = 0; i + k < nu && j + k < nq && same_word(&u[i + k], &q[j + k]); k++) {
                content += (ufl[i + k] & GUIDE_WORD_CONTENT) != 0;
                tell += (ufl[i + k] & GUIDE_WORD_TELLING) != 0;
            }
            if (k >= GUIDE_FAQ_RUN_MIN && content >= GUIDE_FAQ_RUN_CONTENT && tell > 0)
                return true;
        }
    }
    return false;
}

const json_t *conv_guide_faq_in(const struct kb_gtext *x, const char *folded)
{
    struct fold_word ua[GUIDE_FAQ_SPLIT_MAX], uw[GUIDE_FAQ_WORDS_MAX];
    unsigned char ufl[GUIDE_FAQ_SPLIT_MAX];
    const json_t *faqs = json_object_get(x->guide, "faq"), *best = NULL;
    struct guide_names nm;
    size_t i, nua, nu, best_told = 0, best_shared = 0;
    bool flagged = false; /* ufl filled (on the first shares_run) */

    names_of(x, &nm);
    nua = fold_words_split(folded, strlen(folded), true, ua, GUIDE_FAQ_SPLIT_MAX, NULL);
    nu = content_words(ua, nua, uw, GUIDE_FAQ_WORDS_MAX);
    for (i = 0; i < x->n_faq; i++) {
        /* its words, content words and which of those tell, folded at load */
        const struct fold_word *qa = x->faq[i].w, *qw = x->faq[i].c;
        size_t nqa = x->faq[i].n, nq = x->faq[i].nc, telling_q = 0, shared = 0, told = 0, a, k;
        bool fits;

        if (x->faq[i].rc < 0)
            continue;
        for (a = 0; a < nq; a++) {
            bool tells = !x->faq[i].named[a];

            telling_q += tells;
            for (k = 0; k < nu; k++)
                if (same_word(&qw[a], &uw[k])) {
                    shared++;
                    told += tells;
                    break;
                }
        }
        /* enough shared words, or a short question all of whose words the
         * entry asks ("có ghi được nhiều bản không") */
        fits = (shared >= GUIDE_FAQ_MIN_SHARED || (nu >= 2 && shared == nu)) && told > 0 &&
               told * 2 >= telling_q;
        if (!fits) {
            if (!flagged)
                word_flags(ua, nua, &nm, ufl);
            flagged = true;
            fits = shares_run(ua, ufl, nua, qa, nqa);
        }
        if (fits && (!best || told > best_told || (told == best_told && shared > best_shared))) {
            best = json_array_get(faqs, i);
            best_told = told;
            best_shared = shared;
        }
    }
    return best;
}

const json_t *conv_guide_faq(const json_t *g, const char *folded)
{
    struct kb_gtext *x = kb_gtext_new(g);
    const json_t *faq = x ? conv_guide_faq_in(x, folded) : NULL;

    kb_gtext_free(x);
    return faq;
}

/* The length of the longest run of words in a row that u and d share, one
 * of them telling, and either two of them content words ("sổ đỏ") or one a
 * word that names something on its own ("căn cước", whose "căn" folds like
 * the function word "cần"; not "của cha"), if it is at least
 * GUIDE_DOC_RUN_MIN long; else 0. Not "đăng ký" about vehicle registration:
 * those are words of the guide's name. */
static size_t doc_run(const struct fold_word *u, size_t nu, const struct fold_word *d, size_t nd,
                      const struct guide_names *nm)
{
    size_t i, j, k, best = 0;

    for (i = 0; i < nu; i++)
        for (j = 0; j < nd; j++) {
            bool tells = false, names = false;
            size_t content = 0;

            for (k = 0; i + k < nu && j + k < nd && same_word(&u[i + k], &d[j + k]); k++) {
                bool t = telling(&u[i + k], nm);

                tells = tells || t;
                names = names || (t && !fold_words_is_stop(&u[i + k], true));
                content += !fold_words_is_stop(&u[i + k], false);
            }
            if (tells && (names || content >= 2) && k > best)
                best = k;
        }
    return best >= GUIDE_DOC_RUN_MIN ? best : 0;
}

const json_t *conv_guide_document_in(const struct kb_gtext *x, const char *folded)
{
    struct fold_word u[GUIDE_FAQ_SPLIT_MAX];
    struct guide_names nm;
    const json_t *docs = json_object_get(x->guide, "documents"), *best = NULL;
    size_t i, nu = fold_words_split(folded, strlen(folded), true, u, GUIDE_FAQ_SPLIT_MAX, NULL),
              best_run = 0;

    names_of(x, &nm);
    for (i = 0; i < x->n_docs; i++) {
        size_t run;

        if (x->docs[i].rc < 0)
            continue;
        run = doc_run(u, nu, x->docs[i].w, x->docs[i].n, &nm);
        if (run > best_run) {
            best = json_array_get(docs, i);
            best_run = run;
        }
    }
    return best;
}

const json_t *conv_guide_document(const json_t *g, const char *folded)
{
    struct kb_gtext *x = kb_gtext_new(g);
    const json_t *doc = x ? conv_guide_document_in(x, folded) : NULL;

    kb_gtext_free(x);
    return doc;
}
