/* intents/intent.h - rank catalogue labels for a Vietnamese citizen message.
 *
 * An intent_index is built once (start-up or reload) from a struct intent_spec
 * and is read-only after, so intent_match() does no I/O, allocates nothing and
 * is safe from any number of threads on one index (it uses about 130 KB of the
 * caller's stack). The pipeline (docs/understanding.md): norm (UTF-8 check,
 * ICU NFKC_Casefold, tokens, tone placement) -> lexicon (abbreviations and
 * teencode with context rules) -> restore (diacritics for unaccented input,
 * from corpus bigrams) -> features (folded words and word pairs, accented
 * words) -> a linear model trained at load + the nearest training phrase +
 * PCRE2 rules -> calibrated confidence and a decision. Labels are the
 * catalogue ids given in the spec, or "none". */
#ifndef MOTCUA_INTENTS_INTENT_H
#define MOTCUA_INTENTS_INTENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mc_err.h"

#define INTENT_MAX_INPUT 2048   /* bytes of UTF-8; longer input is -E2BIG */
#define INTENT_MAX_CANDIDATES 3 /* the API promises "up to 3" */
/* bytes of each view, NUL included; expansions past it are cut at a token */
#define INTENT_NORM_MAX 4096
#define INTENT_MAX_ENTITIES 16     /* entities reported per message; more are dropped */
#define INTENT_ENTITY_VALUE_MAX 48 /* bytes of an entity's normalised value, NUL included */
#define INTENT_MAX_LABELS 256      /* labels in a spec */
#define INTENT_MAX_EXAMPLES 100000 /* training phrases in a spec */
/* A best label under this calibrated confidence is never answered: the bot
 * asks "did you mean" (INTENT_CLARIFY). Public so that the console can tell
 * a sure answer from a barely answered one (gateway/admin/unanswered.h). */
#define INTENT_CLARIFY_BELOW 0.4

struct intent_example {
    const char *label; /* catalogue id or "none"; borrowed during intent_index_new() */
    const char *text;  /* UTF-8 phrase; borrowed during intent_index_new() */
};

struct intent_spec {
    const char *const *labels; /* catalogue ids (procedures + meta), borrowed */
    size_t n_labels;           /* <= INTENT_MAX_LABELS */
    /* [n_labels] the domain of each label ("ho-tich", "cu-tru", "-" for meta
     * intents), borrowed; labels of one domain are close enough to answer one
     * and offer the other. NULL: every label is a domain of its own. */
    const char *const *domains;
    const struct intent_example *examples; /* label may be "none" (out-of-scope examples) */
    size_t n_examples;                     /* <= INTENT_MAX_EXAMPLES */
    const char *lexicon; /* text of data/lexicon/abbrev.tsv (may be NULL: no abbreviations) */
    size_t lexicon_len;
    const char *rules; /* text of data/lexicon/rules.tsv (may be NULL: no rules) */
    size_t rules_len;
    const char *corpus; /* accented guide text, for restoration (may be NULL) */
    size_t corpus_len;
    /* [n_labels] each label's own text (a guide's name, steps, documents,
     * FAQ), borrowed; with its phrases, the words a message about it may
     * use (docs/understanding.md, "Subject words no guide uses").
     * NULL, or a NULL entry: the label is never declined for its words. */
    const char *const *label_texts;
};

struct intent_index; /* opaque */

/* The decision (docs/understanding.md, "The model"). Answering the best guess
 * and offering its close runner-ups costs a citizen one tap when it is wrong;
 * asking "did you mean" always costs a turn. So a label that is worth
 * answering is a match, its close runner-ups become alternatives; the bot
 * asks only when it cannot pick. */
enum intent_decision {
    INTENT_MATCH,   /* answer about label; n_alternatives close runner-ups may be offered */
    INTENT_CLARIFY, /* the best is weak, or the top two are near-tied across domains: ask */
    INTENT_NONE     /* out of scope (label is "none") */
};

/* Question aspects, a bitmask separate from the procedure ("how much", "where"). */
enum intent_aspect {
    INTENT_ASPECT_FEE = 1u << 0,       /* lệ phí, bao nhiêu tiền */
    INTENT_ASPECT_TIME = 1u << 1,      /* bao lâu, mấy ngày */
    INTENT_ASPECT_DOCUMENTS = 1u << 2, /* cần giấy tờ gì, hồ sơ gồm */
    INTENT_ASPECT_WHERE = 1u << 3,     /* ở đâu, nộp chỗ nào */
    INTENT_ASPECT_ONLINE = 1u << 4,    /* nộp online, dịch vụ công */
    INTENT_ASPECT_WHO = 1u << 5,       /* ai được làm, nhờ người khác */
    INTENT_ASPECT_FORM = 1u << 6,      /* mẫu tờ khai */
    INTENT_ASPECT_STEPS = 1u << 7,     /* thủ tục thế nào, các bước */
    INTENT_ASPECT_HOURS = 1u << 8,     /* giờ làm việc, thứ bảy */
    INTENT_ASPECT_CONDITION = 1u << 9, /* điều kiện, có được không */
    INTENT_ASPECT_RESULT = 1u << 10,   /* nhận kết quả, bao giờ có */
    INTENT_ASPECT_LEGAL = 1u << 11,    /* căn cứ pháp lý, nghị định nào */
    INTENT_ASPECT_COUNT_ = 12          /* number of aspects (not a bit) */
};

#define INTENT_MAX_ASPECT_SPANS 16 /* aspect phrases located per message; more are dropped */

/* Where an aspect phrase ("le phi", "o dau") is in the folded view. */
struct intent_span {
    size_t start; /* byte offset in intent_result.folded */
    size_t len;   /* bytes, whole tokens */
    unsigned bit; /* the enum intent_aspect it marks */
};

enum intent_entity_kind {
    INTENT_ENTITY_DOSSIER, /* dossier reference code, e.g. "H12.34-250101-0001" */
    INTENT_ENTITY_DATE,    /* a date; value is YYYY-MM-DD, or DD/MM when no year */
    INTENT_ENTITY_PHONE,   /* a Vietnamese phone number; value is the digits, 0-prefixed */
    INTENT_ENTITY_ID,      /* a 9- or 12-digit ID card number; value is the digits */
    INTENT_ENTITY_EMAIL    /* an e-mail address */
};

struct intent_entity {
    enum intent_entity_kind kind;
    size_t start; /* byte offset in the text given to intent_match() */
    size_t len;   /* bytes; [start, start+len) can be masked in the original */
    char value[INTENT_ENTITY_VALUE_MAX]; /* normalised value, NUL-terminated */
};

struct intent_candidate {
    const char *label; /* borrowed from the index: valid while it lives */
    double confidence; /* 0.0 .. 1.0 */
};

struct intent_result {
    /* best label, or "none" (a static string) when decision is INTENT_NONE */
    const char *label;
    /* calibrated 0..1: how likely label is right (for "none": that it is out of scope) */
    double confidence;
    enum intent_decision decision;
    struct intent_candidate candidates[INTENT_MAX_CANDIDATES]; /* best first; never "none" */
    size_t n_candidates;
    /* for a match: candidates[1 .. n_alternatives] are close runner-ups worth
     * offering next to the answer ("Hay bạn hỏi về: ..."); 0 otherwise (a
     * clarify offers every candidate, a none none) */
    size_t n_alternatives;
    /* accented view: abbreviations expanded, diacritics restored where context supports it */
    char normalized[INTENT_NORM_MAX];
    char folded[INTENT_NORM_MAX]; /* folded view of normalized (ASCII letters, đ->d) */
    unsigned aspects;             /* enum intent_aspect bits (data/lexicon/rules.tsv @rules) */
    /* every match of those rules, in rule order: what is left names the subject */
    struct intent_span aspect_spans[INTENT_MAX_ASPECT_SPANS];
    size_t n_aspect_spans;
    struct intent_entity entities[INTENT_MAX_ENTITIES];
    size_t n_entities;
    size_t words;          /* words in the message (tokens holding a letter) */
    size_t marked_words;   /* of those, typed with a tone or shape mark */
    size_t expanded_words; /* abbreviations and teencode the lexicon expanded */
    size_t restored_words; /* words whose diacritics were restored */
};

/* Builds an index from spec (nothing in spec is kept). Returns a new index
 * (free with intent_index_free()) or NULL with err set: "abbrev.tsv:LINE:
 * problem", "rules.tsv:LINE: problem", "examples[N]: problem" or "out of
 * memory". */
struct intent_index *intent_index_new(const struct intent_spec *spec, struct mc_err *err);

/* Frees idx and all it owns. NULL is a no-op. */
void intent_index_free(struct intent_index *idx);

/* Bytes the index holds on the heap (for the benchmark and /metrics). */
size_t intent_index_memory(const struct intent_index *idx);

/* Understands text[0..len) (UTF-8). Fills *out completely. Returns 0, -EINVAL
 * for invalid UTF-8 (or a NUL byte), -E2BIG if len > INTENT_MAX_INPUT or the
 * normalised text cannot fit. A message read as a greeting or thanks that
 * carries a request after it ("chào ad, cho hỏi ...") is read again without
 * the greeting, and that reading decides (a procedure, a meta intent or
 * "none"). Pure: no I/O, no allocation, keeps no pointer to
 * text; thread-safe on a built index. */
MC_MUST_CHECK int intent_match(const struct intent_index *idx, const char *text, size_t len,
                               struct intent_result *out);

/* "match" | "clarify" | "none". */
const char *intent_decision_name(enum intent_decision d);

/* "fee", "time", ... for one aspect bit, or NULL for an unknown bit. */
const char *intent_aspect_name(unsigned bit);

/* "dossier" | "date" | "phone" | "id" | "email". */
const char *intent_entity_kind_name(enum intent_entity_kind k);

/* Writes r as one `ask --batch` JSON line (no newline):
 * {"label","confidence","candidates":[{"label","confidence"}],"normalized",
 *  "decision","alternatives":["label",...],"folded","aspects":[...],
 *  "entities":[{"kind","start","len"}]} (alternatives: the n_alternatives
 *  runner-ups of a match, [] otherwise).
 * Entity values are not written (they are personal data). *out_json is new
 * (free()). Returns 0 or -ENOMEM. */
MC_MUST_CHECK int intent_result_to_json(const struct intent_result *r, char **out_json);

struct intent_eval_summary {
    size_t lines;            /* labelled lines read */
    size_t inscope;          /* lines whose label is not "none" */
    size_t none;             /* lines labelled "none" */
    size_t unaccented_lines; /* in-scope lines typed without any diacritics */
    size_t clarify;          /* in-scope lines answered "clarify" (never counted right) */
    size_t clarify_right;    /* of those, lines whose label was among the choices offered */
    size_t none_clarify;     /* none lines answered "clarify" (counted wrong) */
    double accuracy;         /* right over all lines (see below) */
    double inscope_acc;      /* in-scope lines answered "match" with their label */
    double none_acc;         /* none lines answered "none" */
    double top3;             /* in-scope lines whose label is among the candidates */
    double unaccented;       /* inscope_acc over the unaccented_lines */
};

/* Runs `motcua eval`: reads text<TAB>label lines from in (blank lines and
 * lines starting with '#' skipped; an optional third column names the style),
 * prints per-label precision/recall/clarify count, a per-style table (with
 * diacritics / without diacritics / teencode / out of scope, inferred from the
 * text when no third column gives it; "situational" only from the column), the
 * clarify share, the worst confusions, and as last line
 *   accuracy=0.000 inscope=0.000 none=0.000 top3=0.000 nodiac=0.000 clarify=0.000
 *   clarify_right=N/N
 * (one line; the first four fields are the contract, the rest follow them).
 * A line is right only when the bot answers it: an in-scope line with decision
 * "match" and its label, a none line with "none"; "clarify" (the bot asks
 * instead of answering) is never right. nodiac is the in-scope accuracy over
 * lines typed without any diacritics; clarify the share of in-scope lines
 * answered "clarify", clarify_right how many of them offered the right label.
 * Fills *sum when sum is not NULL. Returns 0, -EINVAL with err "NAME:LINE:
 * problem" for a malformed line (unknown label, no tab, invalid UTF-8, too
 * long), -EIO on a read error, or -ENOMEM. */
MC_MUST_CHECK int intent_eval(const struct intent_index *idx, FILE *in, const char *name, FILE *out,
                              struct intent_eval_summary *sum, struct mc_err *err);

/* What the product does beyond understanding: declines() returns true when
 * the bot would answer no label for r (it names a known procedure without a
 * guide instead, gateway/kb/kb_portal.h); the line is then counted as
 * answered "none". */
struct intent_eval_hook {
    bool (*declines)(void *arg, const struct intent_result *r);
    void *arg;
};

/* intent_eval() with hook (may be NULL: none). */
MC_MUST_CHECK int intent_eval_with(const struct intent_index *idx,
                                   const struct intent_eval_hook *hook, FILE *in, const char *name,
                                   FILE *out, struct intent_eval_summary *sum, struct mc_err *err);

#endif
