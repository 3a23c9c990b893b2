/* gateway/http_path.h - the pure checks http_route.c makes on a request path
 * before it touches a file or the knowledge base: which static files may be served,
 * their content types, and what a procedure id looks like. No I/O; the
 * libFuzzer harness fuzz/fuzz_http.c drives them directly. Thread-safe. */
#ifndef MOTCUA_GATEWAY_HTTP_PATH_H
#define MOTCUA_GATEWAY_HTTP_PATH_H

#include <stdbool.h>

#define HTTP_PATH_ID_MAX 64 /* bytes; a procedure id */

/* True for a plain name under the web root: starts with '/', only letters,
 * digits, '-', '_', '.', '/', no "..", no hidden file ("/."). Anything else
 * is simply not found. */
bool http_path_is_safe(const char *path);

/* The Content-Type of a static file by its extension, or NULL (not served). */
const char *http_path_mime(const char *path);

/* True for a procedure id: 1..HTTP_PATH_ID_MAX bytes of a-z, 0-9 and '-'. */
bool http_path_is_id(const char *s);

#endif
