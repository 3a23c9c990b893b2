/* gateway/speech.c - see speech.h. Files in the cache folder:
 *   <id>.txt  the text to say (written by the turn: the id is all a GET knows)
 *   <id>.wav  the audio, renamed into place when espeak-ng succeeded
 *   <id>.<pid>.tmp  espeak-ng's output while it runs
 * A .txt without its .wav is "being made" (or waits for a process). */
#include "mc_time.h"
#include "speech.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libwebsockets.h>
#include <openssl/evp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "gw.h"
#include "http.h"
#include "mc_buf.h"
#include "mc_log.h"

extern char **environ;

struct speech_job {
    pid_t pid; /* 0: free slot */
    char id[SPEECH_ID_LEN + 1];
    int64_t started_ms;
};

struct speech {
    lws_sorted_usec_list_t sul; /* first: the timer recovers sp from it */
    struct gw *gw;
    char dir[CFG_STR_MAX + 16];
    unsigned long long max_bytes;
    struct speech_job jobs[SPEECH_JOBS_MAX];
    char queue[SPEECH_QUEUE_MAX][SPEECH_ID_LEN + 1];
    size_t queued;
};

static int path_of(const struct speech *sp, const char *id, const char *ext, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s%s", sp->dir, id, ext);

    return n < 0 || (size_t)n >= cap ? -E2BIG : 0;
}

static bool exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* espeak-ng in PATH, as posix_spawnp() will find it. */
static bool program_found(void)
{
    const char *path = getenv("PATH");
    char file[4096];
    const char *p, *end;

    if (!path || !path[0])
        path = "/usr/bin:/bin";
    for (p = path; *p; p = *end ? end + 1 : end) {
        end = strchr(p, ':');
        if (!end)
            end = p + strlen(p);
        if (end > p &&
            snprintf(file, sizeof(file), "%.*s/%s", (int)(end - p), p, SPEECH_PROGRAM) <
                (int)sizeof(file) &&
            access(file, X_OK) == 0)
            return true;
    }
    return false;
}

bool speech_is_id(const char *s, size_t len)
{
    size_t i;

    if (len != SPEECH_ID_LEN)
        return false;
    for (i = 0; i < len; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

/* ---- the text ----------------------------------------------------------- */

/* Appends one message's text, links left out (a voice spelling a URL helps
 * nobody; the screen shows it) and bullets read as pauses. */
static int add_said(struct mc_buf *b, const char *s)
{
    const char *p = s, *end;
    int rc = 0;

    while (*p && !rc) {
        if (strncmp(p, "http://", sizeof "http://" - 1) == 0 ||
            strncmp(p, "https://", sizeof "https://" - 1) == 0) {
            while (*p && *p != ' ' && *p != '\n')
                p++;
            if (*p == ' ')
                p++; /* one space stays between the words around it */
            continue;
        }
        if (strncmp(p, "\xe2\x80\xa2", 3) == 0) { /* U+2022 •: the line break is the pause */
            p += 3;
            if (*p == ' ')
                p++;
            continue;
        }
        end = p;
        while (*end && *end != ' ' && *end != '\n')
            end++;
        if (*end)
            end++; /* the space or newline goes with the word */
        rc = mc_buf_append(b, p, (size_t)(end - p));
        p = end;
    }
    return rc;
}

int speech_text(const json_t *reply, char **text, char id[SPEECH_ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    const json_t *msgs = json_object_get(reply, "messages"), *m;
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    struct mc_buf b;
    size_t i, cut;
    int rc = 0;

    *text = NULL;
    mc_buf_init(&b, 64 * 1024);
    json_array_foreach(msgs, i, m)
    {
        const char *s = json_string_value(json_object_get(m, "text"));

        if (!s || !s[0])
            continue;
        if (b.len)
            rc = mc_buf_append(&b, "\n", 1);
        if (!rc)
            rc = add_said(&b, s);
        if (rc)
            break;
        if (b.len > SPEECH_TEXT_MAX)
            break;
    }
    if (rc == -E2BIG || (!rc && b.len > SPEECH_TEXT_MAX)) {
        /* bounded: cut at the last space or newline (ASCII, so never inside a character) */
        for (cut = SPEECH_TEXT_MAX; cut > 0 && b.data[cut] != ' ' && b.data[cut] != '\n'; cut--)
            ;
        b.len = cut ? cut : 0;
        b.data[b.len] = '\0';
        rc = 0;
    }
    while (!rc && b.len && (b.data[b.len - 1] == ' ' || b.data[b.len - 1] == '\n'))
        b.data[--b.len] = '\0';
    if (!rc && !b.len)
        rc = -ENOENT;
    if (!rc) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();

        if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
            !EVP_DigestUpdate(ctx, SPEECH_VOICE "|" SPEECH_WPM "|",
                              sizeof SPEECH_VOICE "|" SPEECH_WPM "|" - 1) ||
            !EVP_DigestUpdate(ctx, b.data, b.len) || !EVP_DigestFinal_ex(ctx, md, &mdlen) ||
            mdlen * 2 < SPEECH_ID_LEN)
            rc = -ENOMEM;
        EVP_MD_CTX_free(ctx);
    }
    if (!rc) {
        for (i = 0; i < SPEECH_ID_LEN / 2; i++) {
            id[2 * i] = hex[md[i] >> 4];
            id[2 * i + 1] = hex[md[i] & 15];
        }
        id[SPEECH_ID_LEN] = '\0';
        *text = mc_buf_steal(&b);
        if (!*text)
            return -ENOMEM;
        return 0;
    }
    mc_buf_fini(&b);
    return rc;
}

/* ---- the cache ---------------------------------------------------------- */

struct cached {
    time_t mtime;
    off_t size;
    char name[SPEECH_ID_LEN + 8];
};

static int by_mtime(const void *a, const void *b)
{
    const struct cached *x = a, *y = b;

    return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

/* Removes the least recently used answers until the folder is within
 * max_bytes. Runs after a file was made, not per turn. */
static void evict(struct speech *sp)
{
    struct cached *list = NULL;
    unsigned long long total = 0;
    size_t n = 0, i;
    struct dirent *e;
    struct stat st;
    char path[sizeof(sp->dir) + 64];
    DIR *d = opendir(sp->dir);

    if (!d)
        return;
    list = calloc(SPEECH_SCAN_MAX, sizeof(*list));
    while (list && n < SPEECH_SCAN_MAX && (e = readdir(d))) {
        size_t len = strlen(e->d_name);

        if (len != SPEECH_ID_LEN + 4 || strcmp(e->d_name + SPEECH_ID_LEN, ".wav") != 0 ||
            snprintf(path, sizeof(path), "%s/%s", sp->dir, e->d_name) >= (int)sizeof(path) ||
            stat(path, &st) != 0)
            continue;
        list[n].mtime = st.st_mtime;
        list[n].size = st.st_size;
        memcpy(list[n].name, e->d_name, len + 1);
        total += (unsigned long long)st.st_size;
        n++;
    }
    closedir(d);
    if (list && total > sp->max_bytes) {
        qsort(list, n, sizeof(*list), by_mtime);
        for (i = 0; i < n && total > sp->max_bytes; i++) {
            snprintf(path, sizeof(path), "%s/%s", sp->dir, list[i].name);
            unlink(path);
            memcpy(path + strlen(path) - 4, ".txt", 4); /* its text goes with it */
            unlink(path);
            total -= (unsigned long long)list[i].size;
            mc_log(MC_LOG_INFO, "speech.evict", "id=%.*s", SPEECH_ID_LEN, list[i].name);
        }
    }
    free(list);
}

/* ---- processes ---------------------------------------------------------- */

static bool is_running(const struct speech *sp, const char *id)
{
    size_t i;

    for (i = 0; i < SPEECH_JOBS_MAX; i++)
        if (sp->jobs[i].pid > 0 && strcmp(sp->jobs[i].id, id) == 0)
            return true;
    for (i = 0; i < sp->queued; i++)
        if (strcmp(sp->queue[i], id) == 0)
            return true;
    return false;
}

/* Starts espeak-ng for id in slot j. Returns 0 or a negative errno. */
static int start(struct speech *sp, struct speech_job *j, const char *id)
{
    char txt[sizeof(sp->dir) + 64], tmp[sizeof(sp->dir) + 64];
    char *argv[] = {(char *)SPEECH_PROGRAM,
                    (char *)"-v",
                    (char *)SPEECH_VOICE,
                    (char *)"-s",
                    (char *)SPEECH_WPM,
                    (char *)"-b",
                    (char *)"1", /* the input is UTF-8 */
                    (char *)"-w",
                    tmp,
                    (char *)"-f",
                    txt,
                    NULL};
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int rc;

    if (path_of(sp, id, ".txt", txt, sizeof(txt)) ||
        snprintf(tmp, sizeof(tmp), "%s/%s.%ld.tmp", sp->dir, id, (long)getpid()) >=
            (int)sizeof(tmp))
        return -E2BIG;
    if (posix_spawn_file_actions_init(&fa))
        return -ENOMEM;
    rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0) ||
         posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) ||
         posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    if (!rc)
        rc = posix_spawnp(&pid, SPEECH_PROGRAM, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc) {
        mc_log(MC_LOG_WARN, "speech.spawn", "id=%s error=\"%s\"", id, strerror(rc));
        return -rc;
    }
    j->pid = pid;
    j->started_ms = mc_mono_ms();
    memcpy(j->id, id, SPEECH_ID_LEN + 1);
    return 0;
}

/* A process ended (status from waitpid) or was killed (timed_out). */
static void finish(struct speech *sp, struct speech_job *j, int status, bool timed_out)
{
    char tmp[sizeof(sp->dir) + 64], wav[sizeof(sp->dir) + 64];
    struct stat st;
    bool ok = !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0;

    snprintf(tmp, sizeof(tmp), "%s/%s.%ld.tmp", sp->dir, j->id, (long)getpid());
    if (ok && stat(tmp, &st) == 0 && st.st_size > 44 && /* more than a WAV header */
        path_of(sp, j->id, ".wav", wav, sizeof(wav)) == 0 && rename(tmp, wav) == 0) {
        mc_log(MC_LOG_INFO, "speech.made", "id=%s bytes=%lld ms=%lld", j->id, (long long)st.st_size,
               (long long)(mc_mono_ms() - j->started_ms));
    } else {
        unlink(tmp);
        mc_log(MC_LOG_WARN, "speech.failed", "id=%s reason=%s", j->id,
               timed_out ? "timeout" : "exit");
        ok = false;
    }
    j->pid = 0;
    if (ok)
        evict(sp);
}

/* Reaps finished processes, kills late ones, starts waiting answers. */
static void tick(lws_sorted_usec_list_t *sul)
{
    struct speech *sp = lws_container_of(sul, struct speech, sul);
    int64_t now = mc_mono_ms();
    size_t i;
    int status;

    for (i = 0; i < SPEECH_JOBS_MAX; i++) {
        struct speech_job *j = &sp->jobs[i];
        pid_t w;

        if (j->pid <= 0)
            continue;
        w = waitpid(j->pid, &status, WNOHANG);
        if (w == j->pid) {
            finish(sp, j, status, false);
        } else if (w < 0) {
            j->pid = 0; /* reaped elsewhere: nothing to wait for */
        } else if (now - j->started_ms > SPEECH_TIMEOUT_MS) {
            kill(j->pid, SIGKILL);
            waitpid(j->pid, &status, 0); /* SIGKILL: returns at once */
            finish(sp, j, status, true);
        }
    }
    for (i = 0; i < SPEECH_JOBS_MAX && sp->queued; i++) {
        if (sp->jobs[i].pid > 0)
            continue;
        if (start(sp, &sp->jobs[i], sp->queue[0]) != 0)
            sp->jobs[i].pid = 0;
        sp->queued--;
        memmove(sp->queue[0], sp->queue[1], sp->queued * sizeof(sp->queue[0]));
    }
    lws_sul_schedule(sp->gw->ctx, 0, &sp->sul, tick, SPEECH_TICK_MS * LWS_US_PER_MS);
}

/* Makes sure id's audio is on its way. */
static void enqueue(struct speech *sp, const char *id)
{
    if (is_running(sp, id) || sp->queued >= SPEECH_QUEUE_MAX)
        return; /* full: the file is made when a GET asks for it */
    memcpy(sp->queue[sp->queued++], id, SPEECH_ID_LEN + 1);
    lws_sul_schedule(sp->gw->ctx, 0, &sp->sul, tick, 0); /* start it now, off this turn */
}

/* Writes text as <id>.txt, by rename so another worker never reads half. */
static int write_text(struct speech *sp, const char *id, const char *text)
{
    char txt[sizeof(sp->dir) + 64], tmp[sizeof(sp->dir) + 64];
    size_t len = strlen(text);
    FILE *f;
    int rc = 0;

    if (path_of(sp, id, ".txt", txt, sizeof(txt)) ||
        snprintf(tmp, sizeof(tmp), "%s/%s.%ld.txt.tmp", sp->dir, id, (long)getpid()) >=
            (int)sizeof(tmp))
        return -E2BIG;
    f = fopen(tmp, "w");
    if (!f)
        return -errno;
    if (fwrite(text, 1, len, f) != len)
        rc = -EIO;
    if (fclose(f) != 0 && !rc)
        rc = -EIO;
    if (!rc && rename(tmp, txt) != 0)
        rc = -errno;
    if (rc)
        unlink(tmp);
    return rc;
}

void speech_attach(struct speech *sp, json_t *reply)
{
    char id[SPEECH_ID_LEN + 1], path[sizeof(sp->dir) + 64], url[64];
    char *text = NULL;
    int rc;

    if (!sp || !reply)
        return;
    rc = speech_text(reply, &text, id);
    if (rc == -ENOENT)
        return;
    if (!rc && path_of(sp, id, ".wav", path, sizeof(path)) == 0 && exists(path)) {
        utimensat(AT_FDCWD, path, NULL, 0); /* used again: the last to be evicted */
    } else if (!rc && !is_running(sp, id)) {
        rc = write_text(sp, id, text);
        if (!rc)
            enqueue(sp, id);
    }
    if (!rc) {
        snprintf(url, sizeof(url), "%s%s.wav", SPEECH_HTTP_PREFIX, id);
        rc = json_object_set_new(reply, "audio", json_string(url)) ? -ENOMEM : 0;
    }
    if (rc)
        mc_log(MC_LOG_WARN, "speech.attach", "error=\"%s\"", strerror(-rc));
    free(text);
}

/* ---- lifetime ----------------------------------------------------------- */

struct speech *speech_new(struct gw *gw, struct mc_err *err)
{
    const char *db = gw->cfg->data_state_db, *slash = strrchr(db, '/');
    struct speech *sp;

    if (!program_found()) {
        mc_err_set(err, "kiosk.speech: %s is not installed (apt-get install %s)", SPEECH_PROGRAM,
                   SPEECH_PROGRAM);
        return NULL;
    }
    sp = calloc(1, sizeof(*sp));
    if (!sp) {
        mc_err_set(err, "kiosk.speech: out of memory");
        return NULL;
    }
    sp->gw = gw;
    sp->max_bytes = (unsigned long long)gw->cfg->kiosk_speech_cache_mb * 1024 * 1024;
    if (slash)
        snprintf(sp->dir, sizeof(sp->dir), "%.*s/audio", (int)(slash - db), db);
    else
        snprintf(sp->dir, sizeof(sp->dir), "audio");
    if (mkdir(sp->dir, 0750) != 0 && errno != EEXIST) {
        mc_err_set(err, "kiosk.speech: %s: %s", sp->dir, strerror(errno));
        free(sp);
        return NULL;
    }
    lws_sul_schedule(gw->ctx, 0, &sp->sul, tick, SPEECH_TICK_MS * LWS_US_PER_MS);
    mc_log(MC_LOG_INFO, "speech.ready", "dir=%s cache_mb=%u", sp->dir,
           gw->cfg->kiosk_speech_cache_mb);
    return sp;
}

void speech_free(struct speech *sp)
{
    size_t i;
    int status;

    if (!sp)
        return;
    lws_sul_cancel(&sp->sul);
    for (i = 0; i < SPEECH_JOBS_MAX; i++)
        if (sp->jobs[i].pid > 0) {
            kill(sp->jobs[i].pid, SIGKILL);
            waitpid(sp->jobs[i].pid, &status, 0);
            finish(sp, &sp->jobs[i], status, true);
        }
    free(sp);
}

/* ---- HTTP --------------------------------------------------------------- */

bool speech_http_is_route(const char *path)
{
    return strncmp(path, SPEECH_HTTP_PREFIX, sizeof SPEECH_HTTP_PREFIX - 1) == 0;
}

static int error(struct gw *gw, struct lws *wsi, struct http_req *r, unsigned status,
                 const char *code, const char *message, const char *hdr)
{
    char body[320];
    int n = snprintf(body, sizeof(body), "{\"error\":\"%s\",\"message\":\"%s\"}", code, message);

    return http_respond(gw, wsi, r, status, "application/json; charset=utf-8", body,
                        n > 0 && (size_t)n < sizeof(body) ? (size_t)n : 0, hdr);
}

int speech_http_route(struct gw *gw, struct lws *wsi, struct http_req *r)
{
    const char *name = r->path + sizeof SPEECH_HTTP_PREFIX - 1;
    size_t len = strlen(name);
    struct speech *sp = gw->speech;
    char id[SPEECH_ID_LEN + 1], path[sizeof(sp->dir) + 64];
    int n;

    if (r->method != HTTP_GET && r->method != HTTP_HEAD)
        return error(gw, wsi, r, 405, "method", "Use GET.", NULL);
    if (len != SPEECH_ID_LEN + 4 || strcmp(name + SPEECH_ID_LEN, ".wav") != 0 ||
        !speech_is_id(name, SPEECH_ID_LEN))
        return error(gw, wsi, r, 404, "unknown_audio", "No such audio file.", NULL);
    if (!sp)
        return error(gw, wsi, r, 404, "speech_off", "Reading aloud is off (kiosk.speech).", NULL);
    memcpy(id, name, SPEECH_ID_LEN);
    id[SPEECH_ID_LEN] = '\0';
    if (path_of(sp, id, ".wav", path, sizeof(path)) == 0 && exists(path)) {
        gw->metrics.http_requests++;
        gw->metrics.http_status[2]++;
        n = lws_serve_http_file(wsi, path, "audio/wav", NULL, 0);
        if (n < 0 || (n > 0 && lws_http_transaction_completed(wsi)))
            return -1;
        return 0;
    }
    if (path_of(sp, id, ".txt", path, sizeof(path)) == 0 && exists(path)) {
        enqueue(sp, id); /* made on another worker, or evicted from the queue: make it here */
        return error(gw, wsi, r, 503, "not_ready", "The audio is being made; try again.",
                     "retry-after: 1");
    }
    return error(gw, wsi, r, 404, "unknown_audio", "No such audio file.", NULL);
}
