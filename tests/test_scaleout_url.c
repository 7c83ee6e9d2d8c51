/*
 * test_scaleout_url.c - the --redis URL of `riptide worker/submit/collect` (src/scaleout/
 * redis.c): every documented form, percent-decoded passwords, and the malformed URLs that
 * must be refused with a message rather than half-parsed. scripts/test-scaleout.sh runs the
 * commands against a real redis-server.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "scaleout/scaleout.h"

#include <string.h>

static void test_tcp_forms(void **state)
{
  (void)state;
  so_endpoint ep;
  char d[256];
  assert_true(so_endpoint_parse("redis://localhost", &ep, d, sizeof d));
  assert_false(ep.is_unix);
  assert_string_equal(ep.host, "localhost");
  assert_int_equal(ep.port, 6379);
  assert_null(ep.password);
  assert_int_equal(ep.db, 0);
  so_endpoint_clear(&ep);

  assert_true(so_endpoint_parse("redis://:p%40ss%3Aw@10.0.0.7:6380/3", &ep, d, sizeof d));
  assert_string_equal(ep.host, "10.0.0.7");
  assert_int_equal(ep.port, 6380);
  assert_null(ep.user);
  assert_string_equal(ep.password, "p@ss:w");
  assert_int_equal(ep.db, 3);
  so_endpoint_clear(&ep);

  assert_true(so_endpoint_parse("redis://alice:secret@[::1]:7000/", &ep, d, sizeof d));
  assert_string_equal(ep.host, "::1");
  assert_int_equal(ep.port, 7000);
  assert_string_equal(ep.user, "alice");
  assert_string_equal(ep.password, "secret");
  so_endpoint_clear(&ep);

  assert_true(so_endpoint_parse("redis://onlypass@h", &ep, d, sizeof d));
  assert_string_equal(ep.password, "onlypass");
  assert_null(ep.user);
  so_endpoint_clear(&ep);
}

static void test_unix_forms(void **state)
{
  (void)state;
  so_endpoint ep;
  char d[256];
  assert_true(so_endpoint_parse("unix:///run/redis/redis.sock", &ep, d, sizeof d));
  assert_true(ep.is_unix);
  assert_string_equal(ep.host, "/run/redis/redis.sock");
  assert_null(ep.password);
  so_endpoint_clear(&ep);

  assert_true(so_endpoint_parse("unix://:s3cret%2Fx@/tmp/a@b/r.sock?db=2", &ep, d, sizeof d));
  assert_string_equal(ep.host, "/tmp/a@b/r.sock");
  assert_string_equal(ep.password, "s3cret/x");
  assert_int_equal(ep.db, 2);
  so_endpoint_clear(&ep);
}

static void test_refused(void **state)
{
  (void)state;
  static const char *const bad[] = {
      "localhost:6379",           /* no scheme */
      "http://localhost",         /* wrong scheme */
      "redis://",                 /* no host */
      "redis://:pw@",             /* no host */
      "redis://h:0",              /* port out of range */
      "redis://h:65536",          /* port out of range */
      "redis://h:12ab",           /* port not a number */
      "redis://h/x",              /* db not a number */
      "redis://[::1",             /* unclosed IPv6 */
      "redis://:p%4@h",           /* truncated escape */
      "redis://:p%00@h",          /* NUL in the password */
      "unix://relative/path",     /* not absolute */
      "unix:///tmp/r.sock?dbx=1", /* unknown query */
      "unix:///tmp/r.sock?db=-1", /* bad db */
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    so_endpoint ep;
    char d[256] = "";
    if (so_endpoint_parse(bad[i], &ep, d, sizeof d))
      fail_msg("accepted '%s'", bad[i]);
    assert_true(d[0] != '\0');
    assert_null(ep.host);
    assert_null(ep.password);
  }
  /* sun_path holds 107 bytes and a NUL */
  char longp[160] = "unix:///";
  memset(longp + 8, 'a', 110);
  so_endpoint ep;
  char d[256];
  assert_false(so_endpoint_parse(longp, &ep, d, sizeof d));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tcp_forms),
      cmocka_unit_test(test_unix_forms),
      cmocka_unit_test(test_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
