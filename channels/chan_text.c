/* channels/chan_text.c - see chan_text.h. */
#include "chan_text.h"

#include <errno.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mc_utf8.h"

static bool is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* Byte offset of the code point before off (off > 0). */
static size_t advance_back(const char *s, size_t off)
{
    do
        off--;
    while (off > 0 && is_cont((unsigned char)s[off]));
    return off;
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

static bool is_space(char c)
{
    return c == ' ' || c == '\n' || c == '\t' || c == '\r';
}

static size_t skip_spaces(const char *s, size_t len, size_t off)
{
    while (off < len && is_space(s[off]))
        off++;
    return off;
}

/* True if the code point at s[off] belongs to the character before it (a
 * combining mark, a variation selector, an emoji skin tone, or anything
 * after a zero-width joiner): a cut there would split what a person sees as
 * one letter or one emoji. An approximation of UAX #29 for the cases our
 * texts hold. */
static bool joins_previous(const char *s, size_t len, size_t off)
{
    uint32_t cp = 0, prev = 0;
    size_t p = off;

    if (off == 0 || off >= len || !mc_utf8_decode(s + off, len - off, &cp))
        return false;
    while (p > 0 && is_cont((unsigned char)s[p - 1]))
        p--;
    if (p > 0 && mc_utf8_decode(s + p - 1, off - (p - 1), &prev) && prev == 0x200D)
        return true; /* after ZWJ */
    return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
           (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) || cp == 0x200D ||
           (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0x1F3FB && cp <= 0x1F3FF) ||
           (cp >= 0xE0020 && cp <= 0xE007F);
}

int chan_split_text(const char *text, size_t len, size_t max_chars,
                    struct chan_part parts[CHAN_TEXT_PARTS_MAX])
{
    size_t off = skip_spaces(text, len, 0);
    int n = 0;

    if (max_chars == 0)
        return -EINVAL;
    while (off < len) {
        size_t end = advance_chars(text, len, off, max_chars), cut = end, half, i;

        if (end < len) {
            half = advance_chars(text, len, off, max_chars / 2);
            cut = 0;
            for (i = end; i > half && !cut; i--) {
                char c = text[i - 1];

                if (c == '\n' || ((c == '.' || c == '?' || c == '!' || c == ':') && i < len &&
                                  is_space(text[i])))
                    cut = i;
            }
            for (i = end; i > off && !cut; i--)
                if (is_space(text[i - 1]))
                    cut = i;
            if (!cut) { /* one very long word: cut between two characters a person sees */
                cut = end;
                while (cut > off && joins_previous(text, len, cut))
                    cut = advance_back(text, cut);
                if (cut == off)
                    cut = end; /* one "character" longer than the limit: the limit wins */
            }
        }
        if (n == CHAN_TEXT_PARTS_MAX)
            return -E2BIG;
        parts[n].off = off;
        parts[n].len = cut - off;
        while (parts[n].len > 0 && is_space(text[off + parts[n].len - 1]))
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

const char *chan_share_link(const json_t *reply)
{
    const char *l =
        json_string_value(json_object_get(json_object_get(reply, "checklist"), "share_link"));

    if (!l || (strncmp(l, "https://", sizeof "https://" - 1) != 0 &&
               strncmp(l, "http://", sizeof "http://" - 1) != 0))
        return NULL;
    return l;
}
