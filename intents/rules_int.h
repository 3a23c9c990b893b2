/* intents/rules_int.h - the compiled rule set, shared by rules.c (reading
 * rules.tsv, indexing each rule under its trigger words or phrases) and
 * rules_match.c (running the rules on a message); not for other modules. */
#ifndef MOTCUA_INTENTS_RULES_INT_H
#define MOTCUA_INTENTS_RULES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hmap.h"
#include "rx.h"

struct rule {
    pcre2_code *code; /* the pattern as written */
    pcre2_code *at;   /* "\\G(?:pattern)": tried only where a trigger word starts */
    bool always;      /* no trigger words could be found: run on every message */
    bool at_start;    /* the pattern starts with ^: only a trigger at offset 0 counts */
    bool literal;     /* only words, spaces and (?:a|b)? groups: matched as phrases, no PCRE2 */
    int target;       /* label index, n_labels for none, -1 for an aspect */
    int aspect;       /* aspect index when target < 0 */
    double weight;
    bool accented; /* runs on the accented view */
    unsigned line;
};

struct rules {
    struct rule *r;
    size_t n, cap;
    size_t n_labels;
    /* trigger words -> rules: a rule runs only when a token of its view is
     * one of the words its pattern must start with */
    struct hmap_str *trig; /* "f:word" (folded view) or "a:word" (accented) -> tid */
    uint32_t *trig_head;   /* [tid] first link, UINT32_MAX at the end */
    size_t ntrig, captrig;
    uint32_t *link_rule, *link_next; /* linked lists of rules per trigger */
    size_t nlink, caplink;
    /* literal rules: their phrases, listed under the phrase's first word */
    uint32_t *lit_head; /* [tid] first phrase link */
    uint32_t *lit_rule, *lit_next, *lit_off, *lit_len;
    unsigned char *lit_edge; /* 1: the phrase must end where a word ends */
    size_t nlit, caplit;
    char *arena; /* phrase bytes */
    size_t alen, acap;
};

#endif
