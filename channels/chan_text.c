/* channels/chan_text.c - see chan_text.h. */
#include "chan_text.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

static bool is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* Byte offset after n code points from off (or len). */
static size_t advance_chars(const char *s, size_t len, size_t off, size_t n)
{
    while (off < len && n > 0) {
        off++;
        while (off < len && is_cont((unsigned char)s[off]))
            off++;
        n--;
    }
    return off;
}

static size_t skip_spaces(const char *s, size_t len, size_t off)
{
    while (off < len && (s[off] == ' ' || s[off] == '\n' || s[off] == '\t'))
        off++;
    return off;
}

int chan_split_text(const char *text, size_t len, size_t max_chars,
                    struct chan_part parts[CHAN_TEXT_PARTS_MAX])
{
    size_t off = skip_spaces(text, len, 0);
    int n = 0;

    while (off < len) {
        size_t end = advance_chars(text, len, off, max_chars), cut = end, half, i;

        if (end < len) {
            half = advance_chars(text, len, off, max_chars / 2);
            cut = 0;
            for (i = end; i > half && !cut; i--) {
                char c = text[i - 1];

                if (c == '\n' || ((c == '.' || c == '?' || c == '!' || c == ':') && i < len &&
                                  (text[i] == ' ' || text[i] == '\n')))
                    cut = i;
            }
            for (i = end; i > off && !cut; i--)
                if (text[i - 1] == ' ')
                    cut = i;
            if (!cut)
                cut = end; /* one very long word: cut at a character */
        }
        if (n == CHAN_TEXT_PARTS_MAX)
            return -E2BIG;
        parts[n].off = off;
        parts[n].len = cut - off;
        while (parts[n].len > 0 &&
               (text[off + parts[n].len - 1] == ' ' || text[off + parts[n].len - 1] == '\n'))
            parts[n].len--;
        if (parts[n].len > 0)
            n++;
        off = skip_spaces(text, len, cut);
    }
    return n;
}

char *chan_cut_chars(const char *s, size_t max_chars, char *out, size_t cap)
{
    size_t len = strlen(s), end = advance_chars(s, len, 0, max_chars);

    if (cap == 0)
        return out;
    if (end >= cap) {
        end = cap - 1;
        while (end > 0 && is_cont((unsigned char)s[end]))
            end--;
    }
    memcpy(out, s, end);
    out[end] = '\0';
    return out;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool chan_hex_decode(const char *hex, unsigned char *out, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        int hi, lo;

        if (!hex[2 * i] || !hex[2 * i + 1])
            return false;
        hi = hexval(hex[2 * i]);
        lo = hexval(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}
