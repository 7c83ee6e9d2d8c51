/*
 * addr.c - the address classification behind the fetch SSRF guard. Pure functions; any thread.
 */
#include "input/addr.h"

#include <netinet/in.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* Is an IPv4 address (host order) one a service may fetch from on a client's behalf? */
static bool ipv4_public(uint32_t a)
{
  static const struct {
    uint32_t net, mask;
  } blocked[] = {
      {0x00000000u, 0xff000000u}, /* 0.0.0.0/8 "this network" */
      {0x0a000000u, 0xff000000u}, /* 10/8 private */
      {0x64400000u, 0xffc00000u}, /* 100.64/10 carrier-grade NAT */
      {0x7f000000u, 0xff000000u}, /* 127/8 loopback */
      {0xa9fe0000u, 0xffff0000u}, /* 169.254/16 link-local (cloud metadata) */
      {0xac100000u, 0xfff00000u}, /* 172.16/12 private */
      {0xc0000000u, 0xffffff00u}, /* 192.0.0/24 protocol assignments */
      {0xc0000200u, 0xffffff00u}, /* 192.0.2/24 documentation */
      {0xc6336400u, 0xffffff00u}, /* 198.51.100/24 documentation */
      {0xcb007100u, 0xffffff00u}, /* 203.0.113/24 documentation */
      {0xc0a80000u, 0xffff0000u}, /* 192.168/16 private */
      {0xc6120000u, 0xfffe0000u}, /* 198.18/15 benchmarking */
      {0xe0000000u, 0xf0000000u}, /* 224/4 multicast */
      {0xf0000000u, 0xf0000000u}, /* 240/4 reserved, broadcast */
  };
  for (size_t i = 0; i < sizeof blocked / sizeof blocked[0]; i++)
    if ((a & blocked[i].mask) == blocked[i].net)
      return false;
  return true;
}

static bool ipv6_public(const unsigned char *b)
{
  static const unsigned char zero12[12] = {0};
  static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  static const unsigned char nat64[12] = {0, 0x64, 0xff, 0x9b};
  if (!memcmp(b, mapped, 12) || !memcmp(b, nat64, 12) || !memcmp(b, zero12, 12)) {
    /* IPv4-mapped, NAT64 and IPv4-compatible (which includes :: and ::1) forms. */
    uint32_t v4 = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15];
    return ipv4_public(v4);
  }
  if ((b[0] & 0xfe) == 0xfc) /* fc00::/7 unique local */
    return false;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) /* fe80::/10 link-local */
    return false;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) /* fec0::/10 site-local (deprecated) */
    return false;
  if (b[0] == 0xff) /* ff00::/8 multicast */
    return false;
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8) /* 2001:db8::/32 docs */
    return false;
  return true;
}

bool rt_ip_is_public(int family, const void *addr)
{
  if (family == AF_INET) {
    const unsigned char *b = addr;
    return ipv4_public((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]);
  }
  if (family == AF_INET6)
    return ipv6_public(addr);
  return false;
}
