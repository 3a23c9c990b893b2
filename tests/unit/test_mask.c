/* tests/unit/test_mask.c - how well mc_mask_pii() masks personal data, measured
 * on labelled messages (tests/privacy/pii.tsv and pii-c.tsv, tuned on;
 * pii-holdout.tsv and pii-holdout-b.tsv, never tuned on: their figures are
 * printed, not asserted). Prints one line per set; fails when a tuned set's
 * number recall is below 0.98, when any ordinary question there (kind "none")
 * is changed, or when the other kinds fall below 0.90. Run from the
 * repository root (run-unit.sh does). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "mc_mask.h"

#define NUMBER_TARGET 0.98
#define OTHER_TARGET 0.90

enum kind { K_NUMBER, K_EMAIL, K_ADDRESS, K_NAME, K_NONE, K_COUNT };
static const char *const kind_names[K_COUNT] = {"number", "email", "address", "name", "none"};

struct score {
    unsigned spans[K_COUNT], caught[K_COUNT];
    unsigned none_rows, none_changed;
};

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_bound(unsigned char c)
{
    return c < 0x80 && !(is_digit((char)c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));
}

/* Whether piece[0..n) occurs in s with a boundary on both sides. */
static bool has_token(const char *s, const char *piece, size_t n)
{
    const char *p = s;

    while ((p = strstr(p, piece)) != NULL) {
        bool left = p == s || is_bound((unsigned char)p[-1]);
        bool right = is_bound((unsigned char)p[n]) || p[n] == '\0';

        if (left && right)
            return true;
        p++;
    }
    return false;
}

/* Digits spelled as words (Vietnamese with and without diacritics, English):
 * a number read aloud ("không chín một …") is as personal as its digits. */
static const struct {
    const char *word;
    char digit;
} spelled[] = {
    {"không", '0'}, {"khong", '0'}, {"một", '1'},  {"mốt", '1'},  {"mot", '1'},  {"hai", '2'},
    {"ba", '3'},    {"bốn", '4'},   {"bon", '4'},  {"tư", '4'},   {"năm", '5'},  {"nam", '5'},
    {"lăm", '5'},   {"sáu", '6'},   {"sau", '6'},  {"bảy", '7'},  {"bẩy", '7'},  {"bay", '7'},
    {"tám", '8'},   {"tam", '8'},   {"chín", '9'}, {"chin", '9'}, {"zero", '0'}, {"one", '1'},
    {"two", '2'},   {"three", '3'}, {"four", '4'}, {"five", '5'}, {"six", '6'},  {"seven", '7'},
    {"eight", '8'}, {"nine", '9'},
};

/* Copies s into out (cap bytes) with each spelled digit word written as its
 * digit, so that the digit comparison below sees spoken numbers too. */
static void unspell(const char *s, char *out, size_t cap)
{
    size_t i = 0, n = 0;

    while (s[i] && n + 1 < cap) {
        bool hit = false;

        if (i == 0 || is_bound((unsigned char)s[i - 1])) {
            for (size_t w = 0; w < sizeof spelled / sizeof spelled[0]; w++) {
                size_t wl = strlen(spelled[w].word);

                if (!strncasecmp(s + i, spelled[w].word, wl) &&
                    (is_bound((unsigned char)s[i + wl]) || !s[i + wl])) {
                    out[n++] = spelled[w].digit;
                    i += wl;
                    hit = true;
                    break;
                }
            }
        }
        if (!hit)
            out[n++] = s[i++];
    }
    out[n] = '\0';
}

/* A number is caught when no run of 3 or more of its digits is left in out
 * (digits joined across one space, dot or dash, as they are written; spelled
 * digits count as digits, see unspell). */
static bool number_caught(const char *out_text, const char *span_text)
{
    char out[1024], span[256];
    char want[64], run[64];
    size_t nw = 0, nr = 0, i;

    unspell(out_text, out, sizeof out);
    unspell(span_text, span, sizeof span);
    for (i = 0; span[i] && nw < sizeof want - 1; i++)
        if (is_digit(span[i]))
            want[nw++] = span[i];
    want[nw] = '\0';
    for (i = 0;; i++) {
        char c = out[i];
        bool joins = (c == ' ' || c == '.' || c == '-') && nr && is_digit(out[i + 1]);

        if (is_digit(c) && nr < sizeof run - 1) {
            run[nr++] = c;
            continue;
        }
        if (joins)
            continue;
        run[nr] = '\0';
        for (size_t a = 0; nr >= 3 && a + 3 <= nr; a++) {
            char tri[4] = {run[a], run[a + 1], run[a + 2], '\0'};

            if (strstr(want, tri))
                return false;
        }
        nr = 0;
        if (!c)
            return true;
    }
}

static enum kind kind_of(const char *k)
{
    for (int i = 0; i < K_COUNT; i++)
        if (!strcmp(k, kind_names[i]))
            return (enum kind)i;
    fail_msg("unknown kind \"%s\"", k);
    return K_NONE;
}

static void score_line(char *line, struct score *sc, bool show)
{
    char *msg = strchr(line, '\t'), *spans, *piece, *save = NULL;
    struct mc_buf b;
    enum kind k;

    assert_non_null(msg);
    *msg++ = '\0';
    spans = strchr(msg, '\t');
    assert_non_null(spans);
    *spans++ = '\0';
    spans[strcspn(spans, "\r\n")] = '\0';
    k = kind_of(line);
    mc_buf_init(&b, 4096);
    assert_int_equal(mc_mask_pii(msg, strlen(msg), &b), 0);
    assert_int_equal(mc_buf_append(&b, "", 1), 0);
    if (k == K_NONE) {
        sc->none_rows++;
        if (strcmp(b.data, msg)) {
            sc->none_changed++;
            if (show)
                print_message("  false mask: %s -> %s\n", msg, b.data);
        }
    }
    for (piece = strtok_r(spans, "|", &save); piece; piece = strtok_r(NULL, "|", &save)) {
        bool ok =
            k == K_NUMBER ? number_caught(b.data, piece) : !has_token(b.data, piece, strlen(piece));

        sc->spans[k]++;
        sc->caught[k] += ok;
        if (!ok && show)
            print_message("  missed %s \"%s\": %s -> %s\n", kind_names[k], piece, msg, b.data);
    }
    mc_buf_fini(&b);
}

static double ratio(unsigned a, unsigned b)
{
    return b ? (double)a / b : 1.0;
}

/* show: print each miss (the tuned set only: a held-out set's lines are not
 * to be read, or tuning to them would follow) */
static void score_file(const char *path, struct score *sc, bool show)
{
    FILE *f = fopen(path, "r");
    char line[1024];

    if (!f)
        fail_msg("%s: %s (run from the repository root)", path, strerror(errno));
    memset(sc, 0, sizeof *sc);
    while (fgets(line, sizeof line, f))
        if (line[0] && line[0] != '#' && line[0] != '\n')
            score_line(line, sc, show);
    fclose(f);
    print_message("mask %s: numbers %u/%u (%.3f), email %u/%u, address %u/%u, name %u/%u, "
                  "false masks %u/%u\n",
                  path, sc->caught[K_NUMBER], sc->spans[K_NUMBER],
                  ratio(sc->caught[K_NUMBER], sc->spans[K_NUMBER]), sc->caught[K_EMAIL],
                  sc->spans[K_EMAIL], sc->caught[K_ADDRESS], sc->spans[K_ADDRESS],
                  sc->caught[K_NAME], sc->spans[K_NAME], sc->none_changed, sc->none_rows);
}

static void check_tuned(const char *path, unsigned min_numbers, unsigned min_none)
{
    struct score sc;

    score_file(path, &sc, true);
    assert_true(sc.spans[K_NUMBER] >= min_numbers && sc.none_rows >= min_none);
    assert_true(ratio(sc.caught[K_NUMBER], sc.spans[K_NUMBER]) >= NUMBER_TARGET);
    assert_int_equal(sc.none_changed, 0);
    for (int k = K_EMAIL; k < K_NONE; k++)
        assert_true(ratio(sc.caught[k], sc.spans[k]) >= OTHER_TARGET);
}

static void test_tuned_set(void **state)
{
    (void)state;
    check_tuned("tests/privacy/pii.tsv", 50, 30);
}

/* Set C (issue 17): the shapes citizens write that pii.tsv lacked (spelled
 * digits, letters for digits, bank accounts, passports, BHXH and tax numbers,
 * plates, obfuscated e-mails, addresses and names in more voices), written
 * before the masker was changed for it. */
static void test_tuned_set_c(void **state)
{
    (void)state;
    check_tuned("tests/privacy/pii-c.tsv", 70, 60);
}

/* Reported only: tuning to the held-out sets would make their figures
 * worthless. pii-holdout.tsv was written by the author of the rules before
 * the code; pii-holdout-b.tsv by another hand, in other voices, without
 * reading the rules (issue 17; tests/privacy/README.md); pii-holdout-c.tsv by
 * a third, after the masker of issue 17's second pass was written, never
 * read by anyone who changes the masker (pii-holdout-c.md). */
static void test_holdout_set(void **state)
{
    struct score sc;

    (void)state;
    score_file("tests/privacy/pii-holdout.tsv", &sc, false);
    assert_true(sc.spans[K_NUMBER] > 0);
    score_file("tests/privacy/pii-holdout-b.tsv", &sc, false);
    assert_true(sc.spans[K_NUMBER] > 0);
    score_file("tests/privacy/pii-holdout-c.tsv", &sc, false);
    assert_true(sc.spans[K_NUMBER] > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tuned_set),
        cmocka_unit_test(test_tuned_set_c),
        cmocka_unit_test(test_holdout_set),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
