/* intents/fold_words.c - see fold_words.h. */
#include "fold_words.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "fold.h"

static bool is_clause_end(char c)
{
    return c == ',' || c == '.' || c == ';' || c == ':' || c == '!' || c == '?' || c == '\n';
}

int fold_words_text(const char *s, char *out, size_t cap)
{
    char tmp[FOLD_WORDS_TEXT_MAX];
    size_t n, i, o = 0, word_start = 0;
    bool space = true; /* the last byte written was a separator (or nothing yet) */
    int rc;

    if (cap == 0)
        return -E2BIG;
    out[0] = '\0';
    rc = fold_text(s, strlen(s), tmp, sizeof(tmp), &n);
    if (rc == -EINVAL)
        return rc;
    /* -E2BIG: tmp holds a prefix; fold what fits and report the cut below */
    if (rc == -E2BIG)
        n = strlen(tmp);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)tmp[i];
        const char *tok = NULL;
        char one[2] = {0, 0};
        size_t tl;

        if (c < 0x80 && isalnum(c)) {
            one[0] = (char)tolower(c);
            tok = one;
            if (space && o > 0) { /* a new word: one space before it */
                if (o + 1 >= cap)
                    goto full;
                out[o++] = ' ';
            }
            if (space)
                word_start = o;
            space = false;
        } else if (c < 0x80 && is_clause_end((char)c)) {
            if (o > 0 && out[o - 1] == ',')
                continue; /* "?!" is one boundary */
            tok = o > 0 ? " ," : ",";
            word_start = o;
            space = true;
        } else {
            space = true;
            continue;
        }
        tl = strlen(tok);
        if (tl >= cap - o)
            goto full;
        memcpy(out + o, tok, tl);
        o += tl;
    }
    out[o] = '\0';
    return rc == -E2BIG ? -E2BIG : 0;
full:
    /* keep whole words only: a cut word would match the wrong thing */
    o = word_start;
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    return -E2BIG;
}

size_t fold_words_split(const char *s, size_t len, bool skip_marks, struct fold_word *w, size_t max,
                        bool *more)
{
    size_t i = 0, n = 0;

    if (more)
        *more = false;
    while (i < len) {
        size_t e;

        while (i < len && s[i] == ' ')
            i++;
        if (i == len)
            break;
        for (e = i; e < len && s[e] != ' '; e++)
            ;
        if (!(skip_marks && e - i == 1 && s[i] == ',')) {
            if (n == max) {
                if (more)
                    *more = true;
                break;
            }
            w[n].p = s + i;
            w[n].len = e - i;
            n++;
        }
        i = e;
    }
    return n;
}

/* A stop word and its length, counted by the compiler (style rule 17): a
 * word of another length is ruled out without touching its bytes. */
struct stop_word {
    const char *s;
    size_t len;
};
#define SW(lit)                                                                                    \
    {                                                                                              \
        lit, sizeof lit - 1                                                                        \
    }

/* The one stop-word list of the conversation (folded), in two tiers.
 * Function words, pronouns and particles: */
static const struct stop_word function_words[] = {
    SW("toi"), SW("ban"), SW("em"),   SW("minh"), SW("co"),  SW("khong"), SW("thi"),
    SW("la"),  SW("cua"), SW("cho"),  SW("va"),   SW("o"),   SW("gi"),    SW("nao"),
    SW("the"), SW("a"),   SW("duoc"), SW("phai"), SW("hay"), SW("hoac"),  SW("neu"),
    SW("ma"),  SW("de"),  SW("voi"),  SW("nhu"),  SW("vay"), SW("roi"),   SW("can"),
    SW("lam"), SW("bi"),  SW("con"),  SW("ai"),   SW("mot")};
/* Words that name no procedure although they mean something inside one
 * ("mất giấy", "hỏng giấy", "cha mẹ chưa đăng ký", "ở mô"; "hong" is also the
 * Southern "hông" = không; "may" is "mấy", how many, or "máy", which names
 * nothing alone: "xe máy" is named by "xe"): every procedure has papers,
 * registration, family, places and times. More particles and short forms
 * too; a guide's FAQ questions are matched on them, the subject is not. */
static const struct stop_word subject_less[] = {
    SW("nay"), SW("do"),    SW("day"),  SW("nhe"),  SW("ad"),    SW("oi"),   SW("ha"),
    SW("sao"), SW("gium"),  SW("giup"), SW("hoi"),  SW("muon"),  SW("xin"),  SW("biet"),
    SW("thu"), SW("tuc"),   SW("j"),    SW("k"),    SW("ko"),    SW("dc"),   SW("nop"),
    SW("khi"), SW("nhung"), SW("cac"),  SW("bao"),  SW("nhieu"), SW("tui"),  SW("chi"),
    SW("anh"), SW("ong"),   SW("ba"),   SW("me"),   SW("cha"),   SW("vo"),   SW("chong"),
    SW("di"),  SW("den"),   SW("tu"),   SW("tai"),  SW("ve"),    SW("len"),  SW("ra"),
    SW("vao"), SW("dang"),  SW("ky"),   SW("ki"),   SW("xong"),  SW("chua"), SW("se"),
    SW("da"),  SW("van"),   SW("nua"),  SW("ho"),   SW("giay"),  SW("to"),   SW("so"),
    SW("mat"), SW("cap"),   SW("theo"), SW("hong"), SW("may")};

size_t fold_words_count(const char *s, size_t len)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++)
        if (s[i] != ' ' && (i == 0 || s[i - 1] == ' '))
            n++;
    return n;
}

bool fold_words_is(const struct fold_word *w, const char *s)
{
    /* no strlen(s): most words differ from s at the first byte (a word holds no NUL) */
    return strncmp(s, w->p, w->len) == 0 && s[w->len] == '\0';
}

bool fold_words_in(const struct fold_word *w, const char *const *set, size_t n)
{
    char first = w->len ? w->p[0] : '\0';
    size_t i;

    for (i = 0; i < n; i++) /* the first byte rules out most of set without a call */
        if (set[i][0] == first && fold_words_is(w, set[i]))
            return true;
    return false;
}

/* True if w is one of set[0..n). */
static bool stop_in(const struct fold_word *w, const struct stop_word *set, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (set[i].len == w->len && set[i].s[0] == w->p[0] && memcmp(set[i].s, w->p, w->len) == 0)
            return true;
    return false;
}

bool fold_words_is_stop(const struct fold_word *w, bool naming)
{
    if (w->len < 2 ||
        stop_in(w, function_words, sizeof(function_words) / sizeof(function_words[0])))
        return true;
    return naming && stop_in(w, subject_less, sizeof(subject_less) / sizeof(subject_less[0]));
}
