/*
 * test_wire.c - the host's decoder of guest results: round trips through the guest encoder,
 * and every kind of malformed input a hostile guest could produce. Also replays the fuzz
 * seed corpus (fuzz/corpus/wire) when run from the source tree.
 */
#include "abi/abi.h"
#include "abi/wire.h"

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static riptide_document *decode_ok(const rt_wire_writer *w)
{
  riptide_document *doc = NULL;
  char detail[160];
  riptide_err err = rt_wire_decode(w->buf, w->len, &doc, detail, sizeof detail);
  if (err)
    print_error("decode: %s: %s\n", riptide_err_name(err), detail);
  assert_int_equal(err, RIPTIDE_OK);
  assert_non_null(doc);
  return doc;
}

static void expect_bad(const uint8_t *p, size_t n, const char *needle)
{
  riptide_document *doc = (riptide_document *)1;
  char detail[160];
  assert_int_equal(rt_wire_decode(p, n, &doc, detail, sizeof detail), RIPTIDE_ERR_BAD_RESULT);
  assert_null(doc);
  if (needle && !strstr(detail, needle))
    print_error("detail \"%s\" lacks \"%s\"\n", detail, needle);
  if (needle)
    assert_non_null(strstr(detail, needle));
}

static void test_round_trip(void **state)
{
  (void)state;
  rt_wire_writer w;
  rt_wire_init(&w);
  rt_wire_put_cstr(&w, RT_F_TITLE, "Ünïcode title");
  rt_wire_put_cstr(&w, RT_F_BYLINE, "A. Writer");
  rt_wire_put_cstr(&w, RT_F_DATE, "2024-05-01");
  rt_wire_put_cstr(&w, RT_F_TEXT, "para one\n\npara two");
  rt_wire_put_cstr(&w, RT_F_MARKDOWN, "# t\n\npara");
  rt_wire_put_cstr(&w, RT_F_LINK_HREF, "https://a.example/");
  rt_wire_put_cstr(&w, RT_F_LINK_TEXT, "a");
  rt_wire_put_cstr(&w, RT_F_LINK_HREF, "https://b.example/");
  rt_wire_put_cstr(&w, RT_F_MEDIA_SRC, "https://a.example/i.png");
  rt_wire_put_cstr(&w, RT_F_MEDIA_ALT, "alt");
  rt_wire_put_cstr(&w, RT_F_MEDIA_KIND, "image");
  rt_wire_put_cstr(&w, RT_F_CATEGORY, "news");
  rt_wire_put_cstr(&w, RT_F_CATEGORY, "tech");
  rt_wire_put_u32(&w, RT_F_WORD_COUNT, 1234);
  rt_wire_put_u32(&w, RT_F_READING_TIME, 6);
  rt_wire_put_u32(&w, RT_F_QUALITY, (uint32_t)-1);
  rt_wire_put_str(&w, (rt_wire_field)200, "\xff\x00unknown", 9); /* unknown: skipped */
  assert_false(w.failed);
  riptide_document *doc = decode_ok(&w);
  assert_string_equal(doc->title, "Ünïcode title");
  assert_string_equal(doc->byline, "A. Writer");
  assert_string_equal(doc->date, "2024-05-01");
  assert_string_equal(doc->text, "para one\n\npara two");
  assert_string_equal(doc->markdown, "# t\n\npara");
  assert_null(doc->html);
  assert_int_equal(doc->n_links, 2);
  assert_string_equal(doc->links[0].href, "https://a.example/");
  assert_string_equal(doc->links[0].text, "a");
  assert_string_equal(doc->links[1].href, "https://b.example/");
  assert_null(doc->links[1].text);
  assert_int_equal(doc->n_media, 1);
  assert_string_equal(doc->media[0].alt, "alt");
  assert_string_equal(doc->media[0].kind, "image");
  assert_int_equal(doc->n_categories, 2);
  assert_string_equal(doc->categories[1], "tech");
  assert_int_equal(doc->word_count, 1234);
  assert_int_equal(doc->reading_time, 6);
  assert_int_equal(doc->quality_score, -1);
  riptide_document_free(doc);
  rt_wire_reset(&w);
}

static void test_empty_and_many(void **state)
{
  (void)state;
  riptide_document *doc = NULL;
  assert_int_equal(rt_wire_decode((const uint8_t *)"RTD1", 4, &doc, NULL, 0), RIPTIDE_OK);
  assert_null(doc->title);
  assert_int_equal(doc->quality_score, -1);
  riptide_document_free(doc);

  rt_wire_writer w;
  rt_wire_init(&w);
  for (int i = 0; i < 5000; i++) {
    char href[40];
    snprintf(href, sizeof href, "https://x.example/%d", i);
    rt_wire_put_cstr(&w, RT_F_LINK_HREF, href);
    rt_wire_put_cstr(&w, RT_F_CATEGORY, "c");
  }
  doc = decode_ok(&w);
  assert_int_equal(doc->n_links, 5000);
  assert_string_equal(doc->links[4999].href, "https://x.example/4999");
  assert_int_equal(doc->n_categories, 5000);
  riptide_document_free(doc);
  rt_wire_reset(&w);
}

/* Builds "RTD1" + records from (tag, bytes, len) triples; returns the length. */
static size_t build(uint8_t *buf, size_t cap, int n, ...)
{
  va_list ap;
  va_start(ap, n);
  size_t off = 4;
  memcpy(buf, "RTD1", 4);
  for (int i = 0; i < n; i++) {
    unsigned tag = va_arg(ap, unsigned);
    const char *v = va_arg(ap, const char *);
    size_t len = va_arg(ap, size_t);
    assert_true(off + 5 + len <= cap);
    buf[off] = (uint8_t)tag;
    buf[off + 1] = (uint8_t)len;
    buf[off + 2] = (uint8_t)(len >> 8);
    buf[off + 3] = (uint8_t)(len >> 16);
    buf[off + 4] = (uint8_t)(len >> 24);
    memcpy(buf + off + 5, v, len);
    off += 5 + len;
  }
  va_end(ap);
  return off;
}

#define S(str) (const char *)(str), (size_t)(sizeof(str) - 1)

static void test_malformed(void **state)
{
  (void)state;
  uint8_t b[256];
  size_t n;
  expect_bad((const uint8_t *)"", 0, "RTD1");
  expect_bad((const uint8_t *)"RTD", 3, "RTD1");
  expect_bad((const uint8_t *)"XTD1", 4, "RTD1");
  expect_bad((const uint8_t *)"RTD1\x01\x00", 6, "truncated");
  /* length past the end, and a length near 2^32 */
  expect_bad((const uint8_t *)"RTD1\x01\x05\x00\x00\x00"
                              "abcd",
             13, "claims 5 bytes");
  expect_bad((const uint8_t *)"RTD1\x01\xff\xff\xff\xff"
                              "abcd",
             13, "claims");
  /* repeated singular fields */
  n = build(b, sizeof b, 2, 1u, S("a"), 1u, S("b"));
  expect_bad(b, n, "repeated");
  n = build(b, sizeof b, 2, 17u, S("\1\0\0\0"), 17u, S("\2\0\0\0"));
  expect_bad(b, n, "repeated");
  /* integers must be 4 bytes; quality in -1..100 */
  n = build(b, sizeof b, 1, 17u, S("\1\0\0"));
  expect_bad(b, n, "integer");
  n = build(b, sizeof b, 1, 19u, S("\x65\0\0\0"));
  expect_bad(b, n, "quality");
  n = build(b, sizeof b, 1, 19u, S("\xfe\xff\xff\xff"));
  expect_bad(b, n, "quality");
  /* invalid UTF-8: stray continuation, overlong, surrogate, > U+10FFFF, truncated */
  const char *bad_utf8[] = {
      "\x80", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82", "ok\xff"};
  for (size_t i = 0; i < sizeof bad_utf8 / sizeof bad_utf8[0]; i++) {
    n = build(b, sizeof b, 1, 8u, bad_utf8[i], strlen(bad_utf8[i]));
    expect_bad(b, n, "UTF-8");
  }
  /* NUL inside a string would silently truncate it */
  n = build(b, sizeof b, 1, 1u, S("a\0b"));
  expect_bad(b, n, "NUL");
  /* item fields out of place or repeated */
  n = build(b, sizeof b, 1, 12u, S("text"));
  expect_bad(b, n, "does not follow");
  n = build(b, sizeof b, 2, 13u, S("src"), 12u, S("text"));
  expect_bad(b, n, "does not follow");
  n = build(b, sizeof b, 3, 11u, S("h"), 12u, S("t"), 12u, S("t2"));
  expect_bad(b, n, "repeated");
  n = build(b, sizeof b, 3, 11u, S("h"), 1u, S("title"), 12u, S("t"));
  expect_bad(b, n, "does not follow");
  /* still fine: valid 4-byte UTF-8, an unknown tag with arbitrary bytes */
  n = build(b, sizeof b, 2, 1u, S("\xf0\x9f\x8c\x8a"), 99u, S("\xff\xfe\0"));
  riptide_document *doc = NULL;
  assert_int_equal(rt_wire_decode(b, n, &doc, NULL, 0), RIPTIDE_OK);
  assert_string_equal(doc->title, "\xf0\x9f\x8c\x8a");
  riptide_document_free(doc);
  assert_int_equal(rt_wire_decode(b, n, NULL, NULL, 0), RIPTIDE_ERR_INVALID_ARG);
}

static void test_utf8(void **state)
{
  (void)state;
  assert_true(rt_utf8_valid((const uint8_t *)"", 0));
  assert_true(rt_utf8_valid((const uint8_t *)"plain ascii", 11));
  assert_true(rt_utf8_valid((const uint8_t *)"\xc2\x80\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", 10));
  assert_true(rt_utf8_valid((const uint8_t *)"\xf0\x90\x80\x80\xf4\x8f\xbf\xbf", 8));
  assert_false(rt_utf8_valid((const uint8_t *)"\xc1\xbf", 2));
  assert_false(rt_utf8_valid((const uint8_t *)"\xf5\x80\x80\x80", 4));
  assert_false(rt_utf8_valid((const uint8_t *)"\xe1\x80", 2));

  /* The word-at-a-time paths: one odd byte at every offset of a long ASCII run is found. */
  unsigned char buf[100];
  for (size_t at = 0; at + 3 <= sizeof buf; at++) {
    memset(buf, 'a', sizeof buf);
    buf[at] = 0x80; /* a lone continuation byte */
    assert_false(rt_utf8_check(buf, sizeof buf, false));
    buf[at] = 0;
    assert_true(rt_utf8_check(buf, sizeof buf, false));
    assert_false(rt_utf8_check(buf, sizeof buf, true));
    memcpy(buf + at, "\xe2\x82\xac", 3); /* U+20AC */
    assert_true(rt_utf8_check(buf, sizeof buf, true));
    buf[at + 2] = 'a'; /* truncated sequence */
    assert_false(rt_utf8_check(buf, sizeof buf, true));
  }
}

/* Every seed of the fuzz corpus decodes or fails cleanly (no crash, no leak under ASan). */
static void test_fuzz_corpus(void **state)
{
  (void)state;
  const char *dir = "fuzz/corpus/wire";
  DIR *d = opendir(dir);
  if (!d) {
    print_message("skipped: %s not found (run from the source tree)\n", dir);
    skip();
  }
  struct dirent *e;
  int files = 0;
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.')
      continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    FILE *f = fopen(path, "rb");
    if (!f)
      continue;
    static uint8_t buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    riptide_document *doc = NULL;
    riptide_err err = rt_wire_decode(buf, n, &doc, NULL, 0);
    assert_true(err == RIPTIDE_OK || err == RIPTIDE_ERR_BAD_RESULT);
    assert_true((err == RIPTIDE_OK) == (doc != NULL));
    riptide_document_free(doc);
    files++;
  }
  closedir(d);
  assert_true(files > 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),  cmocka_unit_test(test_empty_and_many),
      cmocka_unit_test(test_malformed),   cmocka_unit_test(test_utf8),
      cmocka_unit_test(test_fuzz_corpus),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
