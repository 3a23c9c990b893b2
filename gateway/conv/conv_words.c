/* gateway/conv/conv_words.c - see conv_words.h. */
#include "conv_words.h"

#include <string.h>

/* The one stop-word list of the conversation (folded), in two tiers.
 * Function words, pronouns and particles: */
static const char *const function_words[] = {
    "toi", "ban", "em",  "minh", "co",  "khong", "thi",  "la",  "cua",  "cho", "va",
    "o",   "gi",  "nao", "the",  "a",   "duoc",  "phai", "hay", "hoac", "neu", "ma",
    "de",  "voi", "nhu", "vay",  "roi", "can",   "lam",  "bi",  "con",  "ai",  "mot"};
/* Words that name no procedure although they mean something inside one
 * ("mất giấy", "cha mẹ chưa đăng ký", "ở mô"): every procedure has papers,
 * registration, family, places and times. More particles and short forms
 * too; a guide's FAQ questions are matched on them, the subject is not. */
static const char *const subject_less[] = {
    "nay", "do",    "day", "nhe", "ad",  "oi",   "ha",  "sao",  "gium", "giup", "hoi",   "muon",
    "xin", "biet",  "thu", "tuc", "j",   "k",    "ko",  "dc",   "nop",  "khi",  "nhung", "cac",
    "bao", "nhieu", "tui", "chi", "anh", "ong",  "ba",  "me",   "cha",  "vo",   "chong", "di",
    "den", "tu",    "tai", "ve",  "len", "ra",   "vao", "dang", "ky",   "ki",   "xong",  "chua",
    "se",  "da",    "van", "nua", "ho",  "giay", "to",  "so",   "mat",  "cap",  "theo"};

size_t conv_words_split(const char *s, size_t len, bool skip_marks, struct conv_word *w, size_t max,
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

size_t conv_words_count(const char *s, size_t len)
{
    size_t i, n = 0;

    for (i = 0; i < len; i++)
        if (s[i] != ' ' && (i == 0 || s[i - 1] == ' '))
            n++;
    return n;
}

bool conv_words_is(const struct conv_word *w, const char *s)
{
    /* no strlen(s): most words differ from s at the first byte (a word holds no NUL) */
    return strncmp(s, w->p, w->len) == 0 && s[w->len] == '\0';
}

bool conv_words_in(const struct conv_word *w, const char *const *set, size_t n)
{
    char first = w->len ? w->p[0] : '\0';
    size_t i;

    for (i = 0; i < n; i++) /* the first byte rules out most of set without a call */
        if (set[i][0] == first && conv_words_is(w, set[i]))
            return true;
    return false;
}

bool conv_words_is_stop(const struct conv_word *w, bool naming)
{
    if (w->len < 2 ||
        conv_words_in(w, function_words, sizeof(function_words) / sizeof(function_words[0])))
        return true;
    return naming && conv_words_in(w, subject_less, sizeof(subject_less) / sizeof(subject_less[0]));
}
