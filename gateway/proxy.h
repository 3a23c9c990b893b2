/* gateway/proxy.h - listen.trusted_proxies: which peers may tell us the
 * client's address in X-Forwarded-For, and which address that is. Pure
 * parsing and matching (no sockets, no lws), so it is unit-tested alone
 * (tests/unit/test_proxy.c). Addresses are compared as binary IPv4/IPv6;
 * an IPv4-mapped IPv6 address ("::ffff:10.0.0.1") matches its IPv4 form. */
#ifndef MOTCUA_GATEWAY_PROXY_H
#define MOTCUA_GATEWAY_PROXY_H

#include <stdbool.h>
#include <stddef.h>

#include "mc_err.h"

#define PROXY_MAX 32      /* entries of listen.trusted_proxies */
#define PROXY_ADDR_MAX 48 /* bytes; a printable IPv4/IPv6 address and its NUL */

struct proxy_list;

/* Parses "10.0.0.1, 192.168.0.0/16, ::1, fd00::/8" (empty: none trusted).
 * Returns 0 with *out new (proxy_list_free()), or -EINVAL with err naming the
 * bad entry, or -ENOMEM. */
MC_MUST_CHECK int proxy_list_parse(const char *text, struct proxy_list **out, struct mc_err *err);

/* NULL is a no-op. */
void proxy_list_free(struct proxy_list *l);

/* True if addr (printable IPv4/IPv6) is in one of the entries; false for
 * NULL l or an unparsable addr. */
bool proxy_list_trusts(const struct proxy_list *l, const char *addr);

/* The client's address for a connection from peer carrying the
 * X-Forwarded-For value xff (NULL or "" when absent): peer itself unless peer
 * is trusted; then the right-most hop of xff that is not trusted, or the
 * left-most hop when all are trusted. A hop that is not an address stops the
 * walk (what is left of it could be anything the client wrote) and the last
 * good hop is used. Written to out (size bytes, at least PROXY_ADDR_MAX) in
 * canonical form; returns true if it came from xff. */
bool proxy_client_addr(const struct proxy_list *l, const char *peer, const char *xff, char *out,
                       size_t size);

#endif
