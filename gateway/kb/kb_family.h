/* gateway/kb/kb_family.h - families of procedures (data/families.json,
 * data/FAMILIES.md): a broad request ("làm giấy tờ nhà đất", "đăng ký cư
 * trú") may mean any of a few procedures, and the conversation offers the
 * choice with one line per option (conv_family.h) instead of guessing.
 * Imported and validated by `motcua import`; loaded once when the knowledge
 * database is opened (kb_open()) into the read-only form the conversation
 * reads every turn. A loaded set is immutable: safe from any thread. */
#ifndef MOTCUA_GATEWAY_KB_FAMILY_H
#define MOTCUA_GATEWAY_KB_FAMILY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mc_err.h"

#define KB_FAMILY_MAX 32          /* families in the file */
#define KB_FAMILY_OPTIONS_MIN 2   /* a choice of one is no choice */
#define KB_FAMILY_OPTIONS_MAX 6   /* a short choice: one line each, read on a phone */
#define KB_FAMILY_TRIGGERS_MAX 16 /* patterns of one family */
#define KB_FAMILY_PARTS_MAX 4     /* phrases joined by " + " in one pattern */
#define KB_FAMILY_TITLE_MAX 20    /* characters of an option title: a quick reply (Messenger) */
#define KB_FAMILY_LINE_MAX 200    /* bytes of an option line */
#define KB_FAMILY_TEXT_MAX 4096   /* bytes of an option's folded naming words or names */

struct sqlite3;

struct kb_family_option {
    char *id;    /* catalogue procedure id */
    char *title; /* quick-reply title, <= KB_FAMILY_TITLE_MAX characters */
    char *line;  /* how this option differs, one line of plain Vietnamese */
    char *words; /* " w1 w2 ... ": folded words of title, line, the guide's name,
                    short name and aliases, each once, padded with spaces */
    char *names; /* " title \n line \n name \n alias \n": folded title, line and the
                    guide's name, short name and aliases, one a line, each padded */
    bool verify; /* the line still waits for an officer's review */
};

struct kb_family {
    char *id;
    char *title;     /* what the family is about: "Giấy tờ nhà đất" */
    char **triggers; /* folded patterns; " + " joins phrases found in any order */
    size_t n_triggers;
    struct kb_family_option *options; /* in file order, the order offered */
    size_t n_options;
};

struct kb_family_set; /* opaque */

/* Validates data_dir/families.json (absent: no families) and writes it to
 * db's family tables, inside the caller's transaction; db must already hold
 * the label and procedure rows. Problems are printed to errs as
 * "data/families.json:families[i].field: problem" and counted in *nerr:
 * unknown or non-procedure catalogue id, empty or long line or title, a
 * pattern that is not folded words, too few or too many options. Returns 0,
 * or -EIO for a database or memory failure. */
MC_MUST_CHECK int kb_family_import(struct sqlite3 *db, const char *data_dir, FILE *errs, int *nerr);

/* Loads every family from db. Returns a new set (kb_family_set_free()) or
 * NULL with err set. */
struct kb_family_set *kb_family_load(struct sqlite3 *db, struct mc_err *err);

/* Frees s. NULL is a no-op. */
void kb_family_set_free(struct kb_family_set *s);

/* Number of families in s (0 for NULL). */
size_t kb_family_count(const struct kb_family_set *s);

/* The i-th family in file order (i < kb_family_count()); borrowed while s lives. */
const struct kb_family *kb_family_at(const struct kb_family_set *s, size_t i);

/* The family with that id, or NULL; borrowed while s lives. */
const struct kb_family *kb_family_find(const struct kb_family_set *s, const char *id);

#endif
