/* bench/ws_text.c - see ws_text.h. */
#include "ws_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ws_proto.h"

#define TEXT_MAX 2000            /* bytes of one load text (motcua takes <= 2 KiB of text) */
#define TEXTS_MAX 100000         /* lines read from --texts */
#define TEXTS_FILE_MAX (8 << 20) /* bytes of --texts */

static const char *const builtin_texts[] = {
    "đăng ký khai sinh cho con cần giấy tờ gì",
    "lam lai cccd bi mat",
    "dk tam tru can j ad",
    "bố tôi mất rồi làm giấy tờ gì",
    "lệ phí bao nhiêu",
    "thủ tục tách thửa đất",
    "xin chào",
    "giờ làm việc của phường",
    "cam on ad nhieu",
    "nộp hồ sơ online thế nào",
    "đăng ký kết hôn cần mang gì",
    "xin giấy xác nhận tình trạng hôn nhân",
};

/* Appends the JSON-string form of s[0..len) to b (no quotes). */
static int json_escape(struct ws_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (ws_buf_reserve(b, 6, TEXT_MAX * 6 + 1) != 0)
            return -E2BIG;
        if (ch == '"' || ch == '\\') {
            b->p[b->len++] = '\\';
            b->p[b->len++] = ch;
        } else if (ch < 0x20) {
            memcpy(b->p + b->len, "\\u00", sizeof "\\u00" - 1);
            b->len += sizeof "\\u00" - 1;
            b->p[b->len++] = (unsigned char)hex[ch >> 4];
            b->p[b->len++] = (unsigned char)hex[ch & 15];
        } else {
            b->p[b->len++] = ch;
        }
    }
    return 0;
}

static int text_add(struct ws_texts *ts, const char *s, size_t len)
{
    struct ws_buf b = {0};
    struct ws_text *t;

    if (len == 0 || len > TEXT_MAX || ts->n >= TEXTS_MAX)
        return 0; /* skipped: empty, too long for one chat message, or enough already */
    if (json_escape(&b, s, len) != 0 || ws_buf_reserve(&b, 1, TEXT_MAX * 6 + 1) != 0) {
        ws_buf_fini(&b);
        return -ENOMEM;
    }
    b.p[b.len] = '\0';
    t = realloc(ts->t, (ts->n + 1) * sizeof(*t));
    if (!t) {
        ws_buf_fini(&b);
        return -ENOMEM;
    }
    ts->t = t;
    ts->t[ts->n].json = (char *)b.p;
    ts->t[ts->n].len = b.len;
    ts->n++;
    return 0;
}

/* Loads the first tab-separated column of each line of path; falls back to the built-in texts
 * when path is NULL or cannot be read (said on stderr). Returns 0 or -ENOMEM. */
int ws_texts_load(struct ws_texts *ts, const char *path)
{
    FILE *f = NULL;
    char *data = NULL;
    size_t n = 0, i, start;
    int rc = 0;

    if (path) {
        f = fopen(path, "rb");
        if (!f)
            fprintf(stderr, "ws_loadgen: %s: cannot read, using the built-in texts\n", path);
    }
    if (f) {
        data = malloc(TEXTS_FILE_MAX);
        if (!data) {
            rc = -ENOMEM;
            goto out;
        }
        n = fread(data, 1, TEXTS_FILE_MAX, f);
        for (start = 0, i = 0; i <= n; i++) {
            if (i == n || data[i] == '\n') {
                size_t end = start;

                while (end < i && data[end] != '\t' && data[end] != '\r')
                    end++;
                if (text_add(ts, data + start, end - start) != 0) {
                    rc = -ENOMEM;
                    goto out;
                }
                start = i + 1;
            }
        }
    }
    if (ts->n == 0) {
        for (i = 0; i < sizeof(builtin_texts) / sizeof(builtin_texts[0]); i++) {
            if (text_add(ts, builtin_texts[i], strlen(builtin_texts[i])) != 0) {
                rc = -ENOMEM;
                goto out;
            }
        }
    }
out:
    free(data);
    if (f)
        fclose(f);
    return rc;
}

void ws_texts_free(struct ws_texts *ts)
{
    size_t i;

    for (i = 0; i < ts->n; i++)
        free(ts->t[i].json);
    free(ts->t);
    ts->t = NULL;
    ts->n = 0;
}

/* JSON scanning, just enough to read a top-level string member of a frame we trust to be JSON.
 * Returns a pointer to the first byte after v[..] (a string, object, array or scalar), or NULL. */
static const char *json_skip_string(const char *p, const char *end)
{
    for (p++; p < end; p++) {
        if (*p == '\\')
            p++;
        else if (*p == '"')
            return p + 1;
    }
    return NULL;
}

static const char *json_skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static const char *json_skip_value(const char *p, const char *end)
{
    int depth = 0;

    p = json_skip_ws(p, end);
    do {
        if (p >= end)
            return NULL;
        if (*p == '"') {
            p = json_skip_string(p, end);
            if (!p)
                return NULL;
            continue;
        }
        if (*p == '{' || *p == '[')
            depth++;
        else if (*p == '}' || *p == ']')
            depth--;
        else if (depth == 0) { /* a scalar: up to the next delimiter */
            while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ')
                p++;
            return p;
        }
        p++;
    } while (depth > 0);
    return p;
}

/* Copies the top-level string member name of the JSON object in s into out. Returns true if
 * found (escapes are copied as they are: the values we read are plain ASCII words). */
bool ws_json_get_string(const char *s, size_t len, const char *name, char *out, size_t cap)
{
    const char *p = s, *end = s + len, *k, *v;
    size_t nl = strlen(name);

    p = json_skip_ws(p, end);
    if (p >= end || *p != '{')
        return false;
    for (p++;;) {
        const char *ke;

        p = json_skip_ws(p, end);
        if (p >= end || *p != '"')
            return false;
        k = p + 1;
        ke = json_skip_string(p, end); /* just after the key's closing quote */
        if (!ke)
            return false;
        p = json_skip_ws(ke, end);
        if (p >= end || *p != ':')
            return false;
        v = json_skip_ws(p + 1, end);
        if ((size_t)(ke - k - 1) == nl && memcmp(k, name, nl) == 0) {
            const char *e;

            if (v >= end || *v != '"')
                return false;
            e = json_skip_string(v, end);
            if (!e || (size_t)(e - v - 2) >= cap)
                return false;
            memcpy(out, v + 1, (size_t)(e - v - 2));
            out[e - v - 2] = '\0';
            return true;
        }
        p = json_skip_value(v, end);
        if (!p)
            return false;
        p = json_skip_ws(p, end);
        if (p >= end || *p != ',')
            return false;
        p++;
    }
}
