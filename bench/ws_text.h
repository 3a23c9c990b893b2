/* bench/ws_text.h - what ws_loadgen sends and the little JSON it reads back.
 *
 * The load texts: the first tab-separated column of each line of a file
 * (a citizen's message, at most 2 KiB as motcua takes), or a built-in dozen
 * in the voices the bot meets, each kept already escaped for a JSON string so
 * a message frame is a few memcpy calls on the measured path. And a scanner
 * that reads one top-level string member of a frame we trust to be JSON (the
 * server's "type", "reply_to"): a full parser would cost more than the
 * server's own work per frame. Split from ws_loadgen.c. */
#ifndef MOTCUA_BENCH_WS_TEXT_H
#define MOTCUA_BENCH_WS_TEXT_H

#include <stdbool.h>
#include <stddef.h>

struct ws_text {
    char *json; /* the text, escaped for a JSON string (no quotes), NUL-terminated */
    size_t len;
};

struct ws_texts {
    struct ws_text *t; /* owned; ws_texts_free() */
    size_t n;
};

/* Loads path's texts into ts (empty: {0}); falls back to the built-in texts
 * when path is NULL, cannot be read (said on stderr) or holds none. Lines
 * empty or longer than 2 KiB are skipped. Returns 0 or -ENOMEM. */
int ws_texts_load(struct ws_texts *ts, const char *path);
void ws_texts_free(struct ws_texts *ts);

/* Copies the top-level string member name of the JSON object s[0..len) into
 * out[0..cap). True if found and it fits (escapes are copied as they are:
 * the values read are plain ASCII words). */
bool ws_json_get_string(const char *s, size_t len, const char *name, char *out, size_t cap);

#endif
