/* tests/unit/fixture_intent.h - a small understanding index from an inline
 * spec, and one assertion of what it decides. The tests of the decision's
 * mechanisms (the request after a background, two questions, fragments,
 * named sets) each need a handful of labelled phrases and maybe a few rules:
 * the real knowledge base (fixture_kb.h) would hide the mechanism behind the
 * whole corpus. Header-only, included by one test file at a time. */
#ifndef MOTCUA_TESTS_FIXTURE_INTENT_H
#define MOTCUA_TESTS_FIXTURE_INTENT_H

#include <string.h>

#include "intent.h"

/* The index of labels[0..n_labels) trained on examples[0..n_examples) (label
 * "none" for out-of-scope phrases), with rules.tsv text rules (NULL: none).
 * Fails the test, naming the spec's error, if it cannot be built. */
#define fixture_intent_index(labels, n_labels, examples, n_examples, rules)                        \
    fixture_intent_index_at(__FILE__, __LINE__, labels, n_labels, examples, n_examples, rules)

static inline struct intent_index *
fixture_intent_index_at(const char *file, int line, const char *const *labels, size_t n_labels,
                        const struct intent_example *examples, size_t n_examples, const char *rules)
{
    struct intent_spec s;
    struct mc_err err = {{0}};
    struct intent_index *idx;

    memset(&s, 0, sizeof(s));
    s.labels = labels;
    s.n_labels = n_labels;
    s.examples = examples;
    s.n_examples = n_examples;
    s.rules = rules;
    s.rules_len = rules ? strlen(rules) : 0;
    idx = intent_index_new(&s, &err);
    if (!idx) {
        print_error("fixture_intent_index: %s\n", err.text);
        _fail(file, line);
    }
    return idx;
}

/* Matches m and checks the decision, and the label when want_label is not NULL;
 * r holds the whole result afterwards. */
#define fixture_intent_expect(idx, r, m, want_decision, want_label)                                \
    do {                                                                                           \
        const char *fixture_m_ = (m);                                                              \
        assert_int_equal(intent_match((idx), fixture_m_, strlen(fixture_m_), (r)), 0);             \
        assert_int_equal((r)->decision, (want_decision));                                          \
        if ((want_label) != NULL)                                                                  \
            assert_string_equal((r)->label, (const char *)(want_label));                           \
    } while (0)

#endif
