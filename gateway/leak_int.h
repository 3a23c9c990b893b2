/* gateway/leak_int.h - what leak.c (scoring, the check-leak command) and
 * leak_collect.c (the texts compared: training texts read from data/,
 * evaluation lines from labelled files) share; not for other modules. */
#ifndef MOTCUA_GATEWAY_LEAK_INT_H
#define MOTCUA_GATEWAY_LEAK_INT_H

#include <stddef.h>

#include "leak.h"
#include "mc_err.h"

struct ltext {
    char *where;         /* "data/intents/x.tsv:12" or "data/procedures/x.json:phrases[3]" */
    char *text;          /* as written */
    struct leak_grams g; /* of text */
    double best;         /* best score against any evaluation line (histogram) */
};

struct lset {
    struct ltext *t;
    size_t n, cap;
};

/* Frees every text of s and empties it; an all-zero s is empty already. */
void leak_set_fini(struct lset *s);

/* Adds to s the training texts of the data folder dir, read the way
 * kb_import.c reads them (guide and meta phrases, meta/none.txt, the .tsv
 * files of intents/, lexicon notes, literal fragments of rule patterns).
 * Returns 0 or a negative errno with err set. */
int leak_collect_training(struct lset *s, const char *dir, struct mc_err *err);

/* Loads the text column (up to the first TAB) of every line of a labelled
 * file. Returns 0 or a negative errno with err set. */
int leak_load_labelled(struct lset *s, const char *path, struct mc_err *err);

#endif
