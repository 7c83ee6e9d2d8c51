/*
 * test_input.c - input decoding (size limit, gzip and gzip bombs, BOMs, Content-Type and
 * <meta> charsets, iconv conversion, U+FFFD replacement, binary refusal) and the error paths of
 * URL fetching that need no server (the CLI test covers fetching from a local server).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "riptide.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#define MiB (1024ull * 1024)

static char *dec(const void *data, size_t len, const char *ct, riptide_err expect, size_t *olen)
{
  char *out = (char *)0x1;
  size_t n = 99;
  riptide_err err = riptide_decode_input(data, len, ct, 64 * MiB, &out, &n);
  assert_int_equal(err, expect);
  if (err != RIPTIDE_OK) {
    assert_null(out);
    return NULL;
  }
  assert_non_null(out);
  assert_int_equal(strlen(out), n); /* NUL-terminated, no embedded NUL */
  if (olen)
    *olen = n;
  return out;
}

static void test_utf8_passthrough(void **state)
{
  (void)state;
  const char *html = "<p>caf\xc3\xa9 \xe2\x82\xac</p>";
  char *o = dec(html, strlen(html), NULL, RIPTIDE_OK, NULL);
  assert_string_equal(o, html);
  free(o);
}

static void test_empty_input(void **state)
{
  (void)state;
  size_t n = 1;
  char *o = dec("", 0, NULL, RIPTIDE_OK, &n);
  assert_int_equal(n, 0);
  free(o);
}

static void test_boms(void **state)
{
  (void)state;
  const unsigned char u8[] = {0xEF, 0xBB, 0xBF, '<', 'p', '>'};
  char *o = dec(u8, sizeof u8, NULL, RIPTIDE_OK, NULL);
  assert_string_equal(o, "<p>");
  free(o);
  const unsigned char le[] = {0xFF, 0xFE, '<', 0, 'p', 0, '>', 0, 0xE9, 0};
  o = dec(le, sizeof le, NULL, RIPTIDE_OK, NULL);
  assert_string_equal(o, "<p>\xc3\xa9");
  free(o);
  const unsigned char be[] = {0xFE, 0xFF, 0, '<', 0, 'b', 0, '>', 0x20, 0xAC};
  o = dec(be, sizeof be, NULL, RIPTIDE_OK, NULL);
  assert_string_equal(o, "<b>\xe2\x82\xac");
  free(o);
  /* A BOM wins over a contradicting Content-Type. */
  o = dec(u8, sizeof u8, "text/html; charset=iso-8859-1", RIPTIDE_OK, NULL);
  assert_string_equal(o, "<p>");
  free(o);
}

static void test_utf16_without_bom(void **state)
{
  (void)state;
  const char *ascii = "<html><body>hello world</body></html>";
  size_t n = strlen(ascii);
  unsigned char *le = calloc(n * 2, 1);
  for (size_t i = 0; i < n; i++)
    le[2 * i] = (unsigned char)ascii[i];
  char *o = dec(le, n * 2, NULL, RIPTIDE_OK, NULL);
  assert_string_equal(o, ascii);
  free(o);
  free(le);
}

static void test_content_type_charset(void **state)
{
  (void)state;
  const char *latin1 = "<p>caf\xe9</p>";
  char *o = dec(latin1, strlen(latin1), "text/html; charset=\"ISO-8859-1\"", RIPTIDE_OK, NULL);
  assert_string_equal(o, "<p>caf\xc3\xa9</p>");
  free(o);
  /* windows-1252: 0x80 is the euro sign (ISO-8859-1 labels mean windows-1252, as in browsers) */
  const char *w = "<p>\x80</p>";
  o = dec(w, strlen(w), "text/html;charset=latin1", RIPTIDE_OK, NULL);
  assert_string_equal(o, "<p>\xe2\x82\xac</p>");
  free(o);
}

static void test_meta_charset(void **state)
{
  (void)state;
  const char *a = "<html><head><meta charset=\"windows-1252\"><title>\x93hi\x94</title>";
  char *o = dec(a, strlen(a), NULL, RIPTIDE_OK, NULL);
  assert_non_null(strstr(o, "<title>\xe2\x80\x9chi\xe2\x80\x9d</title>"));
  free(o);
  const char *b = "<meta http-equiv='Content-Type' content='text/html; charset=Shift_JIS'>"
                  "<p>\x93\xfa\x96\x7b</p>";
  o = dec(b, strlen(b), NULL, RIPTIDE_OK, NULL);
  assert_non_null(strstr(o, "<p>\xe6\x97\xa5\xe6\x9c\xac</p>")); /* 日本 */
  free(o);
  /* A declaration inside a comment is not one. */
  const char *c = "<!-- <meta charset=koi8-r> --><meta charset=utf-8><p>\xc3\xa9</p>";
  o = dec(c, strlen(c), NULL, RIPTIDE_OK, NULL);
  assert_non_null(strstr(o, "<p>\xc3\xa9</p>"));
  free(o);
  /* Content-Type beats <meta>. */
  const char *d = "<meta charset=shift_jis><p>\xe9</p>";
  o = dec(d, strlen(d), "text/html; charset=iso-8859-1", RIPTIDE_OK, NULL);
  assert_non_null(strstr(o, "<p>\xc3\xa9</p>"));
  free(o);
}

static void test_unknown_charset_is_utf8(void **state)
{
  (void)state;
  const char *a = "<meta charset=\"x-no-such-charset\"><p>\xc3\xa9</p>";
  char *o = dec(a, strlen(a), NULL, RIPTIDE_OK, NULL);
  assert_non_null(strstr(o, "<p>\xc3\xa9</p>"));
  free(o);
}

static void test_invalid_bytes_replaced(void **state)
{
  (void)state;
  /* Declared UTF-8 with invalid bytes, an overlong form, a surrogate and a NUL. */
  const char a[] = "<meta charset=utf-8><p>a\xff"
                   "b\xc0\xaf"
                   "c\xed\xa0\x80"
                   "d\0e</p>";
  size_t n;
  char *o = dec(a, sizeof a - 1, NULL, RIPTIDE_OK, &n);
  assert_non_null(strstr(o, "a\xEF\xBF\xBD"
                            "b"));
  assert_non_null(strstr(o, "d\xEF\xBF\xBD"
                            "e</p>"));
  assert_null(strstr(o, "\xc0\xaf"));
  assert_null(strstr(o, "\xed\xa0\x80"));
  free(o);
  /* Undeclared and not UTF-8: read as windows-1252. */
  const char *b = "<p>na\xefve</p>";
  o = dec(b, strlen(b), NULL, RIPTIDE_OK, NULL);
  assert_string_equal(o, "<p>na\xc3\xafve</p>");
  free(o);
  /* Truncated multi-byte sequence in a declared multi-byte charset. */
  const char *c = "<p>x</p>\x93";
  o = dec(c, strlen(c), "text/html; charset=shift_jis", RIPTIDE_OK, NULL);
  assert_non_null(strstr(o, "<p>x</p>\xEF\xBF\xBD"));
  free(o);
}

/* Undeclared UTF-8 with a stray byte, or cut in the middle of its last character, is still
 * UTF-8 (the bad bytes become U+FFFD), not windows-1252 mojibake of the whole page. */
static void test_mostly_utf8_stays_utf8(void **state)
{
  (void)state;
  const char *a =
      "<p>caf\xc3\xa9 cr\xc3\xa8me na\xc3\xafve \xe2\x82\xac 5, one stray \xff byte</p>";
  char *o = dec(a, strlen(a), NULL, RIPTIDE_OK, NULL);
  assert_string_equal(o, "<p>caf\xc3\xa9 cr\xc3\xa8me na\xc3\xafve \xe2\x82\xac 5, one stray "
                         "\xEF\xBF\xBD byte</p>");
  free(o);
  /* Cut mid-character at the end (a read or fetch stopped inside the euro sign). */
  const char *b = "<p>caf\xc3\xa9 cr\xc3\xa8me</p>\xe2\x82";
  o = dec(b, strlen(b), NULL, RIPTIDE_OK, NULL);
  assert_non_null(strstr(o, "<p>caf\xc3\xa9 cr\xc3\xa8me</p>\xEF\xBF\xBD"));
  assert_null(strstr(o, "\xc3\x83")); /* no "Ã" of a windows-1252 reading */
  free(o);
  /* ASCII cut inside its only multi-byte character: the cut is replaced, the rest kept. */
  const char *c = "<p>plain text</p>\xc3";
  o = dec(c, strlen(c), NULL, RIPTIDE_OK, NULL);
  assert_string_equal(o, "<p>plain text</p>\xEF\xBF\xBD");
  free(o);
  /* Real windows-1252 (every non-ASCII byte invalid as UTF-8) is still read as windows-1252,
   * even with one accidental UTF-8-looking pair ("\xc2\xa0" = "Â " + nbsp). */
  const char *d = "<p>Caf\xe9 cr\xe8me, d\xe9j\xe0 vu, \xc2\xa0 na\xefve</p>";
  o = dec(d, strlen(d), NULL, RIPTIDE_OK, NULL);
  assert_non_null(strstr(o, "Caf\xc3\xa9 cr\xc3\xa8me, d\xc3\xa9j\xc3\xa0 vu"));
  free(o);
}

static void test_binary_refused(void **state)
{
  (void)state;
  unsigned char png[256] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
  for (int i = 8; i < 256; i++)
    png[i] = (unsigned char)(i * 7 % 5 == 0 ? 0 : i);
  dec(png, sizeof png, NULL, RIPTIDE_ERR_BAD_INPUT, NULL);
}

static unsigned char *gz(const void *data, size_t len, size_t *out_len)
{
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  size_t cap = deflateBound(&zs, (uLong)len) + 64;
  unsigned char *out = malloc(cap);
  zs.next_in = (unsigned char *)data;
  zs.avail_in = (uInt)len;
  zs.next_out = out;
  zs.avail_out = (uInt)cap;
  assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
  *out_len = cap - zs.avail_out;
  deflateEnd(&zs);
  return out;
}

static void test_gzip(void **state)
{
  (void)state;
  const char *html = "<html><meta charset=iso-8859-1><p>gzipped caf\xe9</p></html>";
  size_t zlen;
  unsigned char *z = gz(html, strlen(html), &zlen);
  char *o = dec(z, zlen, NULL, RIPTIDE_OK, NULL);
  assert_non_null(strstr(o, "gzipped caf\xc3\xa9"));
  free(o);
  /* Truncated stream: a clear decode error, not a partial page. */
  dec(z, zlen / 2, NULL, RIPTIDE_ERR_DECODE, NULL);
  free(z);
}

static void test_gzip_bomb(void **state)
{
  (void)state;
  size_t n = 32 * MiB;
  char *zeros = malloc(n);
  memset(zeros, 'a', n);
  size_t zlen;
  unsigned char *z = gz(zeros, n, &zlen);
  free(zeros);
  assert_true(zlen < 100000); /* ~1000:1 */
  char *out = NULL;
  size_t olen = 0;
  assert_int_equal(riptide_decode_input(z, zlen, NULL, 4 * MiB, &out, &olen),
                   RIPTIDE_ERR_INPUT_TOO_LARGE);
  assert_null(out);
  /* Under a big enough cap the same stream decodes fully. */
  assert_int_equal(riptide_decode_input(z, zlen, NULL, 64 * MiB, &out, &olen), RIPTIDE_OK);
  assert_int_equal(olen, n);
  free(out);
  free(z);
}

static void test_size_limit(void **state)
{
  (void)state;
  char buf[2048];
  memset(buf, 'x', sizeof buf);
  char *out = NULL;
  size_t olen;
  assert_int_equal(riptide_decode_input(buf, sizeof buf, NULL, 1024, &out, &olen),
                   RIPTIDE_ERR_INPUT_TOO_LARGE);
  assert_null(out);
  assert_int_equal(riptide_decode_input(buf, 1024, NULL, 1024, &out, &olen), RIPTIDE_OK);
  assert_int_equal(olen, 1024);
  free(out);
  assert_int_equal(riptide_decode_input(NULL, 5, NULL, 0, &out, &olen), RIPTIDE_ERR_INVALID_ARG);
}

static void test_fetch_errors_without_server(void **state)
{
  (void)state;
  riptide_fetch_options fo;
  riptide_fetch_options_init(&fo);
  assert_int_equal(fo.max_redirects, 10);
  fo.timeout_ms = 3000;
  riptide_fetch_result r;
  char detail[256];
  /* Port 1 on the loopback: connection refused, at once. */
  assert_int_equal(riptide_fetch_url("http://127.0.0.1:1/", &fo, &r, detail, sizeof detail),
                   RIPTIDE_ERR_FETCH);
  assert_null(r.body);
  assert_true(strlen(detail) > 0);
  /* Only http and https. */
  assert_int_equal(riptide_fetch_url("file:///etc/passwd", &fo, &r, detail, sizeof detail),
                   RIPTIDE_ERR_FETCH);
  assert_null(r.body);
  riptide_fetch_result_clear(&r);
  riptide_fetch_result_clear(NULL);
}

/* A one-shot HTTP server on the loopback: answers one request with `reply`, then closes. */
typedef struct one_shot {
  int fd;
  const char *reply;
} one_shot;

static void *serve_once(void *arg)
{
  one_shot *o = arg;
  int c = accept(o->fd, NULL, NULL);
  if (c >= 0) {
    char req[4096];
    ssize_t n = recv(c, req, sizeof req, 0); /* one read: a GET fits */
    (void)n;
    size_t len = strlen(o->reply), off = 0;
    while (off < len) {
      ssize_t w = send(c, o->reply + off, len - off, MSG_NOSIGNAL);
      if (w <= 0)
        break;
      off += (size_t)w;
    }
    close(c);
  }
  return NULL;
}

/* max_bytes at the top of the range (UINT64_MAX) is "no limit": the body buffer's cap of
 * max + 1 wrapped to 0, realloc(buf, 0) freed it, and the result freed it again. */
static void test_fetch_with_a_huge_limit(void **state)
{
  (void)state;
  one_shot o = {.reply = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 13\r\n"
                         "Connection: close\r\n\r\n<p>hello!</p>"};
  o.fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(o.fd >= 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(o.fd, (struct sockaddr *)&a, sizeof a), 0);
  socklen_t al = sizeof a;
  assert_int_equal(getsockname(o.fd, (struct sockaddr *)&a, &al), 0);
  assert_int_equal(listen(o.fd, 1), 0);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, serve_once, &o), 0);
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/", ntohs(a.sin_port));
  riptide_fetch_options fo;
  riptide_fetch_options_init(&fo);
  fo.timeout_ms = 10000;
  fo.max_bytes = UINT64_MAX;
  riptide_fetch_result r;
  char detail[256] = "";
  riptide_err err = riptide_fetch_url(url, &fo, &r, detail, sizeof detail);
  pthread_join(th, NULL);
  close(o.fd);
  if (err == RIPTIDE_ERR_FETCH && strstr(detail, "libcurl")) {
    printf("fetch with a huge limit: skipped (%s)\n", detail);
    skip();
  }
  assert_int_equal(err, RIPTIDE_OK);
  assert_int_equal(r.len, 13);
  assert_string_equal(r.body, "<p>hello!</p>");
  riptide_fetch_result_clear(&r);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_utf8_passthrough),
      cmocka_unit_test(test_empty_input),
      cmocka_unit_test(test_boms),
      cmocka_unit_test(test_utf16_without_bom),
      cmocka_unit_test(test_content_type_charset),
      cmocka_unit_test(test_meta_charset),
      cmocka_unit_test(test_unknown_charset_is_utf8),
      cmocka_unit_test(test_invalid_bytes_replaced),
      cmocka_unit_test(test_mostly_utf8_stays_utf8),
      cmocka_unit_test(test_binary_refused),
      cmocka_unit_test(test_gzip),
      cmocka_unit_test(test_gzip_bomb),
      cmocka_unit_test(test_size_limit),
      cmocka_unit_test(test_fetch_errors_without_server),
      cmocka_unit_test(test_fetch_with_a_huge_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
