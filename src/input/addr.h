/*
 * addr.h - internal (prefix rt_): which IP addresses a service may connect to when it fetches
 * a URL on a client's behalf (the SSRF guard of riptide_fetch_url's public_only).
 */
#ifndef RT_ADDR_H
#define RT_ADDR_H

#include <stdbool.h>

/* family is AF_INET (addr -> struct in_addr) or AF_INET6 (addr -> struct in6_addr). False for
 * loopback, private (RFC 1918, unique-local), carrier-grade NAT, link-local, multicast,
 * reserved, documentation and unspecified addresses, for IPv4-mapped, IPv4-compatible and
 * NAT64 forms of those, and for any other family. */
bool rt_ip_is_public(int family, const void *addr);

#endif
