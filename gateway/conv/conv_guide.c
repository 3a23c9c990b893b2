/* gateway/conv/conv_guide.c - see conv_guide.h. Sentences are short and say
 * "bạn"; anything a reviewer marked "verify" is said to be unconfirmed
 * rather than stated as fact. */
#include "conv_guide.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include "conv_check.h"
#include "conv_text.h"
#include "fold_words.h"
#include "intent.h"
#include "kb_gtext.h"

#define GUIDE_URL_MAX 160      /* bytes of "/thu-tuc/<id>" */
#define GUIDE_FAQ_WORDS_MAX 64 /* distinct words compared per FAQ question */
#define GUIDE_FAQ_SPLIT_MAX                                                                        \
    512                        /* words of a text looked at for them (a message is <= 2048 bytes) */
#define GUIDE_DOC_RUN_MIN 2    /* words in a row, none a function word, that name one paper */
#define GUIDE_FAQ_MIN_SHARED 3 /* content words an FAQ question must share with the citizen's */
#define GUIDE_FAQ_RUN_MIN 4    /* words in a row that fit an FAQ question on their own ... */
#define GUIDE_FAQ_RUN_CONTENT 2 /* ... when this many of them are content words, one telling */

static const char *str(const json_t *o, const char *k)
{
    const char *s = json_string_value(json_object_get(o, k));

    return s ? s : "";
}

/* A field that is either a string or {"text": ...} (the API flattens some). */
static const char *text_of(const json_t *g, const char *k)
{
    const json_t *v = json_object_get(g, k);

    if (json_is_object(v))
        return str(v, "text");
    return json_string_value(v) ? json_string_value(v) : "";
}

static bool verify_of(const json_t *g, const char *detail)
{
    return json_is_true(json_object_get(json_object_get(g, detail), "verify"));
}

const char *conv_guide_kind_name(const char *kind)
{
    static const struct {
        const char *kind, *name;
    } names[] = {
        {"original", "bản chính"},
        {"copy", "bản sao"},
        {"certified-copy", "bản sao có chứng thực"},
        {"present", "mang bản chính để xuất trình"},
        {"original-or-certified-copy", "bản chính hoặc bản sao có chứng thực"},
    };
    size_t i;

    for (i = 0; kind && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(kind, names[i].kind) == 0)
            return names[i].name;
    return "";
}

/* "(bản chính, 2 bản)" */
static int kind_note(const json_t *doc, struct mc_buf *b)
{
    const char *k = conv_guide_kind_name(str(doc, "kind"));
    json_int_t count = json_integer_value(json_object_get(doc, "count"));

    if (!k[0])
        return 0;
    if (count > 1)
        return mc_buf_printf(b, " (%s, %" JSON_INTEGER_FORMAT " bản)", k, count);
    return mc_buf_printf(b, " (%s)", k);
}

static const char *online_sentence(const json_t *g)
{
    const char *a = str(json_object_get(g, "online"), "available");

    if (strcmp(a, "full") == 0)
        return "Nộp trực tuyến được";
    if (strcmp(a, "partial") == 0)
        return "Nộp trực tuyến được một phần";
    return "Chưa nộp trực tuyến được";
}

int conv_guide_summary(const json_t *g, struct mc_buf *b)
{
    int rc = mc_buf_printf(
        b, "%s\n• Cơ quan giải quyết: %s\n• Nơi nộp: %s\n• Thời gian: %s\n• Lệ phí: %s",
        str(g, "name"), str(g, "agency"), text_of(g, "where"), text_of(g, "processing_time"),
        text_of(g, "fee"));

    if (!rc && verify_of(g, "fee_detail"))
        rc = mc_buf_puts(b, " (mức phí đang chờ cán bộ xác nhận)");
    if (!rc)
        rc = mc_buf_printf(b, "\n• %s.", online_sentence(g));
    return rc;
}

json_t *conv_guide_card(const json_t *g)
{
    char url[GUIDE_URL_MAX];

    snprintf(url, sizeof(url), "/thu-tuc/%s", str(g, "id"));
    return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "id", str(g, "id"), "title", str(g, "name"),
                     "where", text_of(g, "where"), "time", text_of(g, "processing_time"), "fee",
                     text_of(g, "fee"), "online", online_sentence(g), "url", url);
}

int conv_guide_documents(const json_t *g, struct mc_buf *b)
{
    const json_t *docs = json_object_get(g, "documents"), *doc;
    size_t i;
    int rc;

    rc = mc_buf_printf(b, "Giấy tờ cần chuẩn bị (%s):", str(g, "name"));
    json_array_foreach(docs, i, doc)
    {
        const char *when = json_string_value(json_object_get(doc, "when"));

        if (!rc)
            rc = mc_buf_printf(b, "\n%zu. %s", i + 1, str(doc, "name"));
        if (!rc)
            rc = kind_note(doc, b);
        if (!rc && when && when[0])
            rc = mc_buf_printf(b, " — chỉ cần %s", when);
    }
    return rc;
}

int conv_guide_document_answer(const json_t *g, const json_t *doc, struct mc_buf *b)
{
    const char *when = json_string_value(json_object_get(doc, "when"));
    const char *how = json_string_value(json_object_get(doc, "how_to_get"));
    int rc = mc_buf_printf(b, "%s (%s): %s", when && when[0] ? "Có thể cần" : "Cần", str(g, "name"),
                           str(doc, "name"));

    if (!rc)
        rc = kind_note(doc, b);
    if (!rc && when && when[0])
        rc = mc_buf_printf(b, " — chỉ cần %s", when);
    if (!rc)
        rc = mc_buf_puts(b, ".");
    if (!rc && how && how[0])
        rc = mc_buf_printf(b, "\n%s", how);
    return rc;
}

size_t conv_guide_step_count(const json_t *g)
{
    return json_array_size(json_object_get(g, "steps"));
}

const char *conv_guide_step_text(const json_t *g, size_t n)
{
    const json_t *s;

    if (n < 1 || n > conv_guide_step_count(g))
        return NULL;
    s = json_array_get(json_object_get(g, "steps"), n - 1);
    /* the API writes {n,text}; a bare string is accepted too */
    return json_is_object(s) ? json_string_value(json_object_get(s, "text")) : json_string_value(s);
}

int conv_guide_step(const json_t *g, size_t n, struct mc_buf *b)
{
    const char *t = conv_guide_step_text(g, n);

    if (!t)
        return -ENOENT;
    return mc_buf_printf(b, "Bước %zu/%zu: %s", n, conv_guide_step_count(g), t);
}

int conv_guide_steps(const json_t *g, struct mc_buf *b)
{
    size_t i, n = conv_guide_step_count(g);
    int rc = mc_buf_printf(b, "Các bước làm %s:", str(g, "name"));

    for (i = 1; !rc && i <= n; i++) {
        const char *t = conv_guide_step_text(g, i);

        rc = mc_buf_printf(b, "\n%zu. %s", i, t ? t : "");
    }
    return rc;
}

static int answer_fee(const json_t *g, struct mc_buf *b)
{
    const json_t *d = json_object_get(g, "fee_detail");
    const char *ex = json_string_value(json_object_get(d, "exemptions"));
    int rc = mc_buf_printf(b, "Lệ phí (%s): %s", str(g, "name"), text_of(g, "fee"));

    if (!rc && ex && ex[0])
        rc = mc_buf_printf(b, "\nMiễn, giảm: %s", ex);
    if (!rc && verify_of(g, "fee_detail"))
        rc = mc_buf_puts(b, "\n(Mức phí này đang chờ cán bộ xác nhận; bạn nên hỏi lại khi nộp.)");
    return rc;
}

static int answer_time(const json_t *g, struct mc_buf *b)
{
    int rc = mc_buf_printf(b, "Thời gian giải quyết (%s): %s", str(g, "name"),
                           text_of(g, "processing_time"));

    if (!rc && verify_of(g, "processing_time_detail"))
        rc = mc_buf_puts(b, "\n(Thời hạn này đang chờ cán bộ xác nhận.)");
    return rc;
}

static int answer_who(const json_t *g, struct mc_buf *b)
{
    const json_t *who = json_object_get(g, "who_may_submit"), *w;
    size_t i;
    int rc = mc_buf_printf(b, "Ai được nộp hồ sơ %s:", str(g, "name"));

    json_array_foreach(who, i, w)
    {
        if (!rc)
            rc = mc_buf_printf(b, "\n• %s", str(w, "who"));
        if (!rc && str(w, "proof")[0])
            rc = mc_buf_printf(b, " — mang theo: %s", str(w, "proof"));
    }
    return rc;
}

static int answer_form(const json_t *g, struct mc_buf *b)
{
    const json_t *docs = json_object_get(g, "documents"), *doc;
    size_t i, forms = 0;
    int rc = 0;

    json_array_foreach(docs, i, doc)
    {
        const json_t *f = json_object_get(doc, "form");

        if (!json_is_object(f))
            continue;
        if (forms++ == 0)
            rc = mc_buf_printf(b, "Mẫu đơn, tờ khai của %s:", str(g, "name"));
        if (!rc)
            rc = mc_buf_printf(b, "\n• %s: %s.", str(f, "name"), str(f, "code"));
        if (!rc && str(doc, "how_to_get")[0])
            rc = mc_buf_printf(b, " %s", str(doc, "how_to_get"));
    }
    if (forms == 0)
        rc = mc_buf_printf(b,
                           "%s không có mẫu tờ khai riêng; bạn chỉ cần chuẩn bị giấy tờ theo "
                           "danh sách.",
                           str(g, "name"));
    return rc;
}

static int answer_online(const json_t *g, struct mc_buf *b)
{
    const json_t *o = json_object_get(g, "online"), *l;
    size_t i;
    int rc = mc_buf_printf(b, "%s (%s). %s", online_sentence(g), str(g, "name"), str(o, "text"));

    json_array_foreach(json_object_get(o, "links"), i, l)
    {
        if (!rc && json_is_string(l))
            rc = mc_buf_printf(b, "%s%s", i == 0 ? "\nĐịa chỉ: " : ", ", json_string_value(l));
    }
    return rc;
}

static int answer_result(const json_t *g, struct mc_buf *b)
{
    return mc_buf_printf(b, "Kết quả bạn nhận được: %s\nThời gian: %s", str(g, "result"),
                         text_of(g, "processing_time"));
}

static int answer_where(const json_t *g, struct mc_buf *b)
{
    int rc = mc_buf_printf(b, "Nơi nộp hồ sơ (%s): %s", str(g, "name"), text_of(g, "where"));

    if (!rc && verify_of(g, "where_detail"))
        rc = mc_buf_puts(b, " (nơi nộp đang chờ cán bộ xác nhận)");
    return rc;
}

static int answer_legal(const json_t *g, struct mc_buf *b)
{
    const json_t *l;
    size_t i, n = 0;
    int rc = 0;

    json_array_foreach(json_object_get(g, "legal_basis"), i, l)
    {
        if (!json_is_string(l))
            continue;
        if (n++ == 0)
            rc = mc_buf_printf(b, "Căn cứ pháp lý của %s:", str(g, "name"));
        if (!rc)
            rc = mc_buf_printf(b, "\n• %s", json_string_value(l));
        if (rc)
            return rc;
    }
    return n ? 0 : -ENOENT;
}

static int aspect(const json_t *g, const struct kb_gtext *x, unsigned bit, const char *folded,
                  struct mc_buf *b)
{
    const json_t *faq;

    switch (bit) {
    case INTENT_ASPECT_FEE:
        return answer_fee(g, b);
    case INTENT_ASPECT_TIME:
        return answer_time(g, b);
    case INTENT_ASPECT_DOCUMENTS:
        return conv_guide_documents(g, b);
    case INTENT_ASPECT_WHERE:
        return answer_where(g, b);
    case INTENT_ASPECT_ONLINE:
        return answer_online(g, b);
    case INTENT_ASPECT_WHO:
        return answer_who(g, b);
    case INTENT_ASPECT_FORM:
        return answer_form(g, b);
    case INTENT_ASPECT_RESULT:
        return answer_result(g, b);
    case INTENT_ASPECT_LEGAL:
        return answer_legal(g, b);
    case INTENT_ASPECT_CONDITION:
        faq = !folded ? NULL : x ? conv_guide_faq_in(x, folded) : conv_guide_faq(g, folded);
        if (!faq)
            return -ENOENT;
        return mc_buf_printf(b, "%s\n%s", str(faq, "q"), str(faq, "a"));
    default:
        return -ENOENT; /* steps and hours are flows or office facts, not guide text */
    }
}

int conv_guide_aspect(const json_t *g, unsigned bit, const char *folded, struct mc_buf *b)
{
    return aspect(g, NULL, bit, folded, b);
}

int conv_guide_aspect_in(const struct kb_gtext *x, unsigned bit, const char *folded,
                         struct mc_buf *b)
{
    return aspect(x->guide, x, bit, folded, b);
}

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

int conv_guide_question(const struct conv_question *q, struct mc_buf *b)
{
    const char *ask = json_string_value(json_object_get(q->doc, "ask"));
    const char *when = json_string_value(json_object_get(q->doc, "when"));
    int rc = mc_buf_printf(b, "Câu %zu/%zu. ", q->n, q->total);

    if (rc)
        return rc;
    if (q->kind == CONV_Q_CONDITION) {
        if (ask && ask[0])
            return mc_buf_puts(b, ask);
        return mc_buf_printf(b, "Trường hợp của bạn có phải là: %s?", when ? when : "");
    }
    rc = mc_buf_printf(b, "Bạn đã có %s chưa?", str(q->doc, "name"));
    if (!rc)
        rc = kind_note(q->doc, b);
    return rc;
}

static int list_items(const json_t *items, const char *status, const char *head, bool how,
                      struct mc_buf *b)
{
    const json_t *it;
    size_t i, n = 0;
    int rc = 0;

    json_array_foreach(items, i, it)
    {
        if (strcmp(str(it, "status"), status) != 0)
            continue;
        if (n++ == 0 && b->len == 0)
            rc = mc_buf_puts(b, head);
        else if (n == 1)
            rc = mc_buf_printf(b, "\n%s", head);
        if (!rc)
            rc = mc_buf_printf(b, "\n• %s", str(it, "name"));
        if (!rc && how && str(it, "how_to_get")[0])
            rc = mc_buf_printf(b, "\n  Cách có: %s", str(it, "how_to_get"));
        if (rc)
            return rc;
    }
    return 0;
}

static size_t count_status(const json_t *items, const char *status)
{
    const json_t *it;
    size_t i, n = 0;

    json_array_foreach(items, i, it) if (strcmp(str(it, "status"), status) == 0) n++;
    return n;
}

int conv_guide_checklist(const json_t *list, struct mc_buf parts[CONV_GUIDE_CHECKLIST_PARTS])
{
    const json_t *items = json_object_get(list, "items"), *r;
    size_t i;
    int rc;

    rc = mc_buf_printf(&parts[0],
                       "Kết quả kiểm tra hồ sơ %s: đã có %zu, còn thiếu %zu, chưa rõ %zu, "
                       "không cần %zu giấy tờ.",
                       str(list, "title"), count_status(items, "ready"),
                       count_status(items, "missing"), count_status(items, "unknown"),
                       count_status(items, "not_needed"));
    if (!rc && json_is_true(json_object_get(list, "complete")))
        rc = mc_buf_puts(&parts[0], " Hồ sơ của bạn đã đủ giấy tờ theo hướng dẫn.");
    if (!rc)
        rc = list_items(items, "ready", "Đã có:", false, &parts[0]);
    if (!rc)
        rc = mc_buf_puts(&parts[0], "\nBạn có thể xem lại danh sách này bất cứ lúc nào: nhắn "
                                    "\"xem lại danh sách\".");
    if (!rc)
        rc = list_items(items, "missing", "Còn thiếu:", true, &parts[1]);
    if (!rc)
        rc = list_items(items, "unknown", "Chưa rõ (nên hỏi cán bộ hoặc kiểm tra lại):", true,
                        &parts[2]);
    if (!rc)
        rc = list_items(items, "not_needed", "Không cần trong trường hợp của bạn:", false,
                        &parts[2]);
    json_array_foreach(json_object_get(list, "return_reasons"), i, r)
    {
        if (!rc && i == 0)
            rc = mc_buf_puts(&parts[3], "Hồ sơ hay bị trả lại vì:");
        if (!rc && json_is_string(r))
            rc = mc_buf_printf(&parts[3], "\n• %s", json_string_value(r));
    }
    return rc;
}
