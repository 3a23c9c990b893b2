/* gateway/http_path.c - see http_path.h. Allow-lists rather than deny-lists:
 * a path or id with anything unusual in it is not found, never resolved. */
#include "http_path.h"

#include <stddef.h>
#include <string.h>

const char *http_path_mime(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {{".html", "text/html; charset=utf-8"},
                 {".js", "text/javascript; charset=utf-8"},
                 {".css", "text/css; charset=utf-8"},
                 {".svg", "image/svg+xml"},
                 {".png", "image/png"},
                 {".ico", "image/x-icon"},
                 {".json", "application/json"},
                 {".txt", "text/plain; charset=utf-8"}};
    const char *dot = strrchr(path, '.');
    size_t i;

    for (i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (strcmp(dot, types[i].ext) == 0)
            return types[i].type;
    return NULL;
}

bool http_path_is_safe(const char *p)
{
    size_t i;

    if (p[0] != '/' || strstr(p, "..") || strstr(p, "/."))
        return false;
    for (i = 0; p[i]; i++)
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z') ||
              (p[i] >= '0' && p[i] <= '9') || p[i] == '-' || p[i] == '_' || p[i] == '.' ||
              p[i] == '/'))
            return false;
    return true;
}

bool http_path_is_id(const char *s)
{
    size_t i;

    if (!s[0] || strlen(s) > HTTP_PATH_ID_MAX)
        return false;
    for (i = 0; s[i]; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
            return false;
    return true;
}
