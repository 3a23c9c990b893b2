/* gateway/speech.h - the kiosk's answers read aloud (kiosk.speech, docs/widget.md
 * "Đọc to"): Debian's espeak-ng with its Vietnamese voice turns an answer's
 * text into a WAV file, cached per text under <state dir>/audio/ as
 * <id>.wav, id the first SPEECH_ID_LEN hex digits of SHA-256 over the voice
 * settings and the text. A kiosk reply gets "audio":"/audio/<id>.wav" at
 * once; synthesis runs in child processes (posix_spawn with an argv, never a
 * shell), at most SPEECH_JOBS_MAX at a time, each killed after
 * SPEECH_TIMEOUT_MS, reaped from an lws timer: a turn never waits for it.
 * GET /audio/<id>.wav serves the file (audio/wav), 503 "not_ready" while it
 * is being made, 404 for an id it never was asked for. The cache is bounded
 * (kiosk.speech_cache_mb): the least recently used files go first.
 * Several workers share the folder; a file appears only by rename(), so a
 * reader never sees half of one. Event-loop thread only. */
#ifndef MOTCUA_GATEWAY_SPEECH_H
#define MOTCUA_GATEWAY_SPEECH_H

#include <stdbool.h>
#include <stddef.h>

#include "mc_err.h"

#define SPEECH_HTTP_PREFIX "/audio/"
#define SPEECH_ID_LEN 32           /* hex digits of the id (128 bits of SHA-256) */
#define SPEECH_TEXT_MAX 3000       /* bytes read aloud of one answer (about 3 minutes) */
#define SPEECH_JOBS_MAX 2          /* espeak-ng processes at once, per worker */
#define SPEECH_QUEUE_MAX 32        /* answers waiting for a process; more wait for a GET */
#define SPEECH_TIMEOUT_MS 15000    /* one synthesis; then the process is killed */
#define SPEECH_TICK_MS 50          /* how often running processes are reaped */
#define SPEECH_WPM "150"           /* espeak-ng -s: a little slower than its 175 */
#define SPEECH_VOICE "vi"          /* espeak-ng -v */
#define SPEECH_PROGRAM "espeak-ng" /* looked up in PATH */
#define SPEECH_SCAN_MAX 20000      /* cache files looked at by one eviction */

struct gw;
struct lws;
struct http_req;
struct json_t;
struct speech;

/* Starts speech for gw (gw->cfg->kiosk_speech set): makes the cache folder
 * beside the state database and checks espeak-ng is installed. Returns a new
 * speech (speech_free()) or NULL with err set; the server then runs without
 * it and says so in the log. */
struct speech *speech_new(struct gw *gw, struct mc_err *err);

/* Kills running processes and frees sp. NULL is a no-op. */
void speech_free(struct speech *sp);

/* Adds "audio" to a kiosk reply that has text (messages[].text) and starts
 * making the file when it is not cached. A failure is logged and leaves the
 * reply without audio: it never fails the turn. sp may be NULL (no-op). */
void speech_attach(struct speech *sp, struct json_t *reply);

/* The text read aloud for reply (its messages, links left out, at most
 * SPEECH_TEXT_MAX bytes cut at a space) and its id. Returns 0 with text a
 * new string (free()), -ENOENT (nothing to say) or -ENOMEM. For tests. */
MC_MUST_CHECK int speech_text(const struct json_t *reply, char **text, char id[SPEECH_ID_LEN + 1]);

/* Whether s is an id this module makes: exactly SPEECH_ID_LEN of [0-9a-f]. */
bool speech_is_id(const char *s, size_t len);

/* Whether path is under SPEECH_HTTP_PREFIX. */
bool speech_http_is_route(const char *path);

/* Answers GET/HEAD /audio/<id>.wav. Returns what the http callback returns. */
int speech_http_route(struct gw *gw, struct lws *wsi, struct http_req *r);

#endif
