/* gateway/proxy.c - see proxy.h. */
#include "proxy.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One address in 16-byte form: IPv4 as IPv4-mapped IPv6, so one compare
 * serves both families. */
struct proxy_net {
    unsigned char addr[16];
    unsigned bits; /* prefix length in the 128-bit form */
};

struct proxy_list {
    size_t n;
    struct proxy_net nets[PROXY_MAX];
};

static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* Parses a bare address (len bytes of s, no brackets or port); *is_v4 tells
 * the family it was written in. */
static bool parse_addr(const char *s, size_t len, unsigned char out[16], bool *is_v4)
{
    char buf[PROXY_ADDR_MAX];
    struct in_addr a4;

    if (len == 0 || len >= sizeof(buf))
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, &a4) == 1) {
        memcpy(out, v4_mapped, sizeof v4_mapped);
        memcpy(out + 12, &a4, 4);
        *is_v4 = true;
        return true;
    }
    *is_v4 = false;
    return inet_pton(AF_INET6, buf, out) == 1;
}

static bool net_contains(const struct proxy_net *n, const unsigned char a[16])
{
    unsigned full = n->bits / 8, rest = n->bits % 8;

    if (memcmp(n->addr, a, full) != 0)
        return false;
    if (rest == 0)
        return true;
    return ((n->addr[full] ^ a[full]) & (unsigned char)(0xff << (8 - rest))) == 0;
}

/* Parses "addr" or "addr/bits" (len bytes). */
static bool parse_net(const char *s, size_t len, struct proxy_net *net)
{
    const char *slash = memchr(s, '/', len);
    unsigned long bits;
    bool v4;
    char *end;
    char nb[8];
    size_t i;

    if (!parse_addr(s, slash ? (size_t)(slash - s) : len, net->addr, &v4))
        return false;
    net->bits = 128;
    if (!slash)
        return true;
    len -= (size_t)(slash - s) + 1;
    if (len == 0 || len >= sizeof(nb))
        return false;
    memcpy(nb, slash + 1, len);
    nb[len] = '\0';
    for (i = 0; i < len; i++)
        if (nb[i] < '0' || nb[i] > '9')
            return false;
    bits = strtoul(nb, &end, 10);
    if (bits > (v4 ? 32UL : 128UL))
        return false;
    net->bits = (unsigned)bits + (v4 ? 96 : 0);
    /* host bits set ("10.0.0.1/8") are cleared: the operator meant the network */
    for (i = net->bits; i < 128; i++)
        net->addr[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
    return true;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

int proxy_list_parse(const char *text, struct proxy_list **out, struct mc_err *err)
{
    struct proxy_list *l = calloc(1, sizeof(*l));
    const char *p = text, *e;
    size_t len;

    *out = NULL;
    if (!l) {
        mc_err_set(err, "listen.trusted_proxies: out of memory");
        return -ENOMEM;
    }
    while (*p) {
        while (is_space(*p) || *p == ',')
            p++;
        if (!*p)
            break;
        for (e = p; *e && *e != ',' && !is_space(*e); e++)
            ;
        len = (size_t)(e - p);
        if (l->n == PROXY_MAX) {
            mc_err_set(err, "listen.trusted_proxies: more than %d entries", PROXY_MAX);
            goto fail;
        }
        if (!parse_net(p, len, &l->nets[l->n])) {
            mc_err_set(err,
                       "listen.trusted_proxies: \"%.*s\" is not an IPv4/IPv6 address or CIDR "
                       "(like 10.0.0.1, 172.16.0.0/12 or fd00::/8)",
                       (int)(len > 60 ? 60 : len), p);
            goto fail;
        }
        l->n++;
        p = e;
    }
    *out = l;
    return 0;

fail:
    free(l);
    return -EINVAL;
}

void proxy_list_free(struct proxy_list *l)
{
    free(l);
}

static bool trusts_bin(const struct proxy_list *l, const unsigned char a[16])
{
    size_t i;

    for (i = 0; l && i < l->n; i++)
        if (net_contains(&l->nets[i], a))
            return true;
    return false;
}

bool proxy_list_trusts(const struct proxy_list *l, const char *addr)
{
    unsigned char a[16];
    bool v4;

    return l && l->n && addr && parse_addr(addr, strlen(addr), a, &v4) && trusts_bin(l, a);
}

/* Canonical text of a 16-byte address: IPv4 for the mapped range. */
static void format_addr(const unsigned char a[16], char *out, size_t size)
{
    char buf[INET6_ADDRSTRLEN];

    if (memcmp(a, v4_mapped, sizeof v4_mapped) == 0)
        inet_ntop(AF_INET, a + 12, buf, sizeof(buf));
    else
        inet_ntop(AF_INET6, a, buf, sizeof(buf));
    snprintf(out, size, "%s", buf);
}

bool proxy_client_addr(const struct proxy_list *l, const char *peer, const char *xff, char *out,
                       size_t size)
{
    unsigned char a[16], good[16];
    const char *end, *start, *s, *e;
    bool v4, have = false;

    if (!proxy_list_trusts(l, peer) || !xff || !xff[0]) {
        if (peer && parse_addr(peer, strlen(peer), a, &v4))
            format_addr(a, out, size);
        else
            snprintf(out, size, "%s", peer ? peer : "");
        return false;
    }
    end = xff + strlen(xff);
    while (end > xff) { /* right to left: the nearest hop first */
        for (start = end; start > xff && start[-1] != ','; start--)
            ;
        s = start;
        for (e = end; e > s && is_space(e[-1]); e--)
            ;
        while (s < e && is_space(*s))
            s++;
        if (e == s) { /* an empty hop (",,"): nothing said, nothing to trust */
            end = start > xff ? start - 1 : start;
            continue;
        }
        if (!parse_addr(s, (size_t)(e - s), a, &v4))
            break; /* garbage: trust nothing written left of it */
        memcpy(good, a, sizeof good);
        have = true;
        if (!trusts_bin(l, a))
            break;
        end = start > xff ? start - 1 : start; /* before the comma */
    }
    if (!have)
        return proxy_client_addr(NULL, peer, NULL, out, size);
    format_addr(good, out, size);
    return true;
}
