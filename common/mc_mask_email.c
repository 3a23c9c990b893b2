/* common/mc_mask_email.c - e-mail addresses (see mc_mask.h), as written
 * ("lan_tran99@yahoo.com.vn") and as citizens disguise or dictate them:
 * "a @ gmail . com", "a at gmail dot com", "a(at)yahoo(dot)com", "a[at]gmail.com",
 * "a(a)gmail.com", "a a còng gmail chấm com". A disguised "at" counts only
 * when a domain follows it: a known provider, or a word and then a dot
 * ("." / "dot" / "chấm") and a top-level word, so "at the office" stays.
 * The local part (before the "at") becomes '*'; the domain stays, it says
 * little about the person and much about which mail reaches them. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "mc_mask_int.h"

#define LOCAL_MIN 2 /* bytes of a local part: "a" alone is a word, not an address */
#define GAP_MAX 2   /* spaces around a disguised "at" or "dot" */

struct marker {
    const char *text;
    bool word;  /* must stand as a word: spaces on both sides */
    bool glued; /* must touch the local part ("x(a)gmail.com") */
};

static const struct marker markers[] = {
    {"@", false, false},     {"(at)", false, false},  {"[at]", false, false},
    {"{at}", false, false},  {"(a)", false, true},    {"at", true, false},
    {"a còng", true, false}, {"a cong", true, false}, {"acong", true, false},
};
static const char *const providers[] = {"gmail", "yahoo", "outlook", "hotmail",    "icloud",
                                        "ymail", "live",  "proton",  "protonmail", NULL};
static const char *const dots[] = {"(dot)", "[dot]", "dot", "chấm", "cham", ".", NULL};

static bool is_email_char(char c)
{
    return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-' || c == '+';
}

static bool is_label_char(char c)
{
    return isalnum((unsigned char)c) || c == '-';
}

static size_t skip_spaces(const char *s, size_t len, size_t k)
{
    size_t from = k;

    while (k < len && s[k] == ' ' && k - from < GAP_MAX)
        k++;
    return k;
}

/* Length of the dot form at k ("." / " dot " / "(dot)" / " chấm "), or 0. */
static size_t dot_at(const char *s, size_t len, size_t k)
{
    size_t from = k;

    k = skip_spaces(s, len, k);
    for (const char *const *d = dots; *d; d++) {
        size_t n = strlen(*d);

        if (k + n <= len && !strncasecmp(s + k, *d, n) &&
            ((*d)[0] == '.' || (*d)[0] == '(' || (*d)[0] == '[' || k + n == len ||
             !isalnum((unsigned char)s[k + n])))
            return skip_spaces(s, len, k + n) - from;
    }
    return 0;
}

/* Whether a domain starts at k: a provider's name, or a label, a dot form
 * and a top-level label of 2 or more letters. */
static bool is_domain_at(const char *s, size_t len, size_t k)
{
    size_t end = k, dot, tld;

    while (end < len && is_label_char(s[end]))
        end++;
    if (end - k < 2)
        return false;
    for (const char *const *p = providers; *p; p++)
        if (strlen(*p) == end - k && !strncasecmp(s + k, *p, end - k))
            return true;
    dot = dot_at(s, len, end);
    if (!dot)
        return false;
    for (tld = end + dot; tld < len && isalpha((unsigned char)s[tld]); tld++)
        ;
    return tld - (end + dot) >= 2;
}

static void mark_local(const char *s, size_t at, size_t len, bool glued, char *mark)
{
    size_t end = at, start;

    (void)len;
    if (!glued)
        while (end > 0 && s[end - 1] == ' ' && at - end < GAP_MAX)
            end--;
    for (start = end; start > 0 && is_email_char(s[start - 1]); start--)
        ;
    while (start < end && s[start] == '.')
        start++;
    if (end - start < LOCAL_MIN || (start > 0 && (unsigned char)s[start - 1] >= 0x80))
        return;
    memset(mark + start, MASK_STAR, end - start);
}

void mc_mask_mark_emails(const char *s, size_t len, char *mark)
{
    for (size_t i = 1; i + 1 < len; i++) {
        for (size_t m = 0; m < sizeof markers / sizeof markers[0]; m++) {
            const struct marker *mk = &markers[m];
            size_t n = strlen(mk->text);

            if (i + n > len || strncasecmp(s + i, mk->text, n))
                continue;
            if (mk->word && (s[i - 1] != ' ' || i + n == len || s[i + n] != ' '))
                continue;
            if (mk->glued && !is_email_char(s[i - 1]))
                continue;
            /* "x@y": an address as written, whatever its domain */
            bool plain = m == 0 && is_email_char(s[i - 1]) && isalnum((unsigned char)s[i + 1]);

            if (!plain && !is_domain_at(s, len, skip_spaces(s, len, i + n)))
                continue;
            mark_local(s, i, len, mk->glued, mark);
            break;
        }
    }
}
