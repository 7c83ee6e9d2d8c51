/*
 * test_addr.c - the SSRF guard's address classification (src/input/addr.c): every blocked
 * range at its edges, the public addresses just outside them, and the IPv6 forms that embed
 * an IPv4 address (mapped, compatible, NAT64), which must not smuggle 127.0.0.1 or 10/8 in.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "input/addr.h"

#include <arpa/inet.h>
#include <stdio.h>

static bool is_public(const char *text)
{
  unsigned char buf[16];
  if (inet_pton(AF_INET, text, buf) == 1)
    return rt_ip_is_public(AF_INET, buf);
  if (inet_pton(AF_INET6, text, buf) == 1)
    return rt_ip_is_public(AF_INET6, buf);
  fail_msg("bad test address %s", text);
  return false;
}

static void test_ipv4(void **state)
{
  static const char *blocked[] = {
      "0.0.0.0",         "0.255.255.255",   "10.0.0.0",        "10.255.255.255",  "100.64.0.0",
      "100.127.255.255", "127.0.0.1",       "127.255.255.254", "169.254.169.254", "172.16.0.1",
      "172.31.255.255",  "192.0.0.8",       "192.0.2.1",       "192.168.1.1",     "198.18.0.1",
      "198.19.255.255",  "198.51.100.7",    "203.0.113.9",     "224.0.0.1",       "239.255.255.250",
      "240.0.0.1",       "255.255.255.255",
  };
  static const char *open[] = {
      "1.1.1.1",         "8.8.8.8",         "9.255.255.255", "11.0.0.0",        "100.63.255.255",
      "100.128.0.0",     "126.255.255.255", "128.0.0.0",     "169.253.255.255", "172.15.255.255",
      "172.32.0.0",      "192.167.255.255", "192.169.0.0",   "198.17.255.255",  "198.20.0.0",
      "223.255.255.255", "93.184.216.34",
  };
  for (size_t i = 0; i < sizeof blocked / sizeof *blocked; i++)
    if (is_public(blocked[i]))
      fail_msg("%s taken as public", blocked[i]);
  for (size_t i = 0; i < sizeof open / sizeof *open; i++)
    if (!is_public(open[i]))
      fail_msg("%s taken as non-public", open[i]);
}

static void test_ipv6(void **state)
{
  static const char *blocked[] = {
      "::",
      "::1",
      "fe80::1",
      "febf:ffff::1",
      "fc00::1",
      "fdff:ffff::1",
      "fec0::1",
      "ff02::1",
      "2001:db8::1",
      "::ffff:127.0.0.1",
      "::ffff:10.1.2.3",
      "::ffff:169.254.169.254",
      "::127.0.0.1",
      "64:ff9b::a00:1",
      "64:ff9b::7f00:1",
  };
  static const char *open[] = {
      "2606:4700:4700::1111",
      "2001:4860:4860::8888",
      "::ffff:8.8.8.8",
      "64:ff9b::808:808",
      "fe7f::1",
      "2001:db9::1",
  };
  for (size_t i = 0; i < sizeof blocked / sizeof *blocked; i++)
    if (is_public(blocked[i]))
      fail_msg("%s taken as public", blocked[i]);
  for (size_t i = 0; i < sizeof open / sizeof *open; i++)
    if (!is_public(open[i]))
      fail_msg("%s taken as non-public", open[i]);
}

static void test_other_family(void **state)
{
  unsigned char buf[16] = {8, 8, 8, 8};
  assert_false(rt_ip_is_public(AF_UNIX, buf));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ipv4),
      cmocka_unit_test(test_ipv6),
      cmocka_unit_test(test_other_family),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
