/*
 * test_decode.c - the in-place input decoder (riptide_decode_input_inplace): which inputs are
 * decoded in the caller's buffer and which get a new one, and that both entry points give the same
 * bytes for every kind of input; the iconv loop at the exact edge of its output buffer.
 * (test_input.c covers the decoding rules themselves through riptide_decode_input.)
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "riptide.h"

/* The fuzz target's checks (LLVMFuzzerTestOneInput), to replay its seed corpus here. */
#include "../fuzz/fuzz_decode.c"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define MiB (1024ull * 1024)

/* A writable copy of data with one spare byte, as the CLI's read buffer has. */
static char *writable(const void *data, size_t len)
{
  char *b = malloc(len + 1);
  assert_non_null(b);
  memcpy(b, data, len);
  b[len] = 'Z'; /* not a NUL: the decoder must write its own */
  return b;
}

/* Decodes in place and through the public function; both must agree. Returns whether the
 * in-place call kept the caller's buffer. */
static bool both_agree(const void *data, size_t len, const char *ct, riptide_err expect)
{
  char *pub = NULL;
  size_t pub_len = 0;
  riptide_err e1 = riptide_decode_input(data, len, ct, 64 * MiB, &pub, &pub_len);
  char *buf = writable(data, len);
  char *out = NULL;
  size_t out_len = 0;
  riptide_err e2 = riptide_decode_input_inplace(buf, len, ct, 64 * MiB, &out, &out_len);
  assert_int_equal(e1, expect);
  assert_int_equal(e2, expect);
  bool in_place = out == buf;
  if (expect == RIPTIDE_OK) {
    assert_non_null(out);
    assert_int_equal(out_len, pub_len);
    assert_memory_equal(out, pub, pub_len);
    assert_int_equal(out[out_len], '\0');
    assert_int_equal(strlen(out), out_len);
  } else {
    assert_null(out);
  }
  if (out != buf)
    free(out);
  free(buf);
  free(pub);
  return in_place;
}

static void test_clean_utf8_is_decoded_in_place(void **state)
{
  (void)state;
  const char *html = "<meta charset=utf-8><p>caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80</p>";
  assert_true(both_agree(html, strlen(html), NULL, RIPTIDE_OK));
  /* undeclared and valid */
  const char *plain = "<p>undeclared but valid: na\xc3\xafve</p>";
  assert_true(both_agree(plain, strlen(plain), NULL, RIPTIDE_OK));
  /* declared by the HTTP header */
  assert_true(both_agree(plain, strlen(plain), "text/html; charset=UTF-8", RIPTIDE_OK));
  /* a UTF-8 BOM is removed by moving the bytes down */
  const char bom[] = "\xEF\xBB\xBF<p>bom</p>";
  assert_true(both_agree(bom, sizeof bom - 1, NULL, RIPTIDE_OK));
  /* empty */
  assert_true(both_agree("", 0, NULL, RIPTIDE_OK));
}

static void test_pure_ascii_in_single_byte_charsets_is_in_place(void **state)
{
  (void)state;
  const char *ascii = "<p>plain ASCII text, long enough to cross several 32-byte blocks.</p>";
  assert_true(both_agree(ascii, strlen(ascii), "text/html; charset=windows-1252", RIPTIDE_OK));
  assert_true(both_agree(ascii, strlen(ascii), "text/html; charset=iso-8859-2", RIPTIDE_OK));
  assert_true(both_agree(ascii, strlen(ascii), "text/html; charset=koi8-r", RIPTIDE_OK));
  const char *meta = "<meta charset=latin1><p>ascii only</p>";
  assert_true(both_agree(meta, strlen(meta), NULL, RIPTIDE_OK));
  /* Stateful or multi-byte charsets are always converted: ESC sequences of ISO-2022-JP are
   * ASCII bytes that mean something else. */
  const char *jis = "<p>\x1b$B$3$s$K$A$O\x1b(B</p>";
  assert_false(both_agree(jis, strlen(jis), "text/html; charset=iso-2022-jp", RIPTIDE_OK));
  assert_false(both_agree(ascii, strlen(ascii), "text/html; charset=shift_jis", RIPTIDE_OK));
}

static void test_other_inputs_get_a_new_buffer(void **state)
{
  (void)state;
  /* windows-1252 with non-ASCII bytes */
  const char *w = "<p>caf\xe9 \x80</p>";
  assert_false(both_agree(w, strlen(w), "text/html; charset=windows-1252", RIPTIDE_OK));
  /* undeclared, not UTF-8: read as windows-1252 */
  assert_false(both_agree(w, strlen(w), NULL, RIPTIDE_OK));
  /* declared UTF-8 with invalid bytes and NULs: repaired */
  const char bad[] = "<meta charset=utf-8><p>a\xff b\xc3 c</p>";
  assert_false(both_agree(bad, sizeof bad - 1, NULL, RIPTIDE_OK));
  const char nul[] = "<p>a\0b</p>";
  assert_false(both_agree(nul, sizeof nul - 1, NULL, RIPTIDE_OK));
  /* UTF-16 with a BOM */
  const char u16[] = "\xFF\xFE<\0p\0>\0h\0i\0";
  assert_false(both_agree(u16, sizeof u16 - 1, NULL, RIPTIDE_OK));
  /* binary is refused by both */
  unsigned char bin[256];
  for (size_t i = 0; i < sizeof bin; i++)
    bin[i] = (unsigned char)(i % 7 == 0 ? 0 : i % 5);
  both_agree(bin, sizeof bin, NULL, RIPTIDE_ERR_BAD_INPUT);
}

static void test_gzip_result_is_the_inflated_buffer(void **state)
{
  (void)state;
  const char *html = "<html><body><p>compressed page, clean UTF-8: \xc3\xa9</p></body></html>";
  unsigned char gz[512];
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  zs.next_in = (unsigned char *)html;
  zs.avail_in = (uInt)strlen(html);
  zs.next_out = gz;
  zs.avail_out = sizeof gz;
  assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
  size_t gz_len = sizeof gz - zs.avail_out;
  deflateEnd(&zs);
  /* Not the caller's buffer (the inflated one), and the same bytes as the public function. */
  assert_false(both_agree(gz, gz_len, NULL, RIPTIDE_OK));
  char *buf = writable(gz, gz_len);
  char *out = NULL;
  size_t n = 0;
  assert_int_equal(riptide_decode_input_inplace(buf, gz_len, NULL, 64 * MiB, &out, &n), RIPTIDE_OK);
  assert_string_equal(out, html);
  free(out);
  free(buf);
}

/* The iconv loop keeps 4 bytes free for a U+FFFD and the NUL. An invalid byte met when the
 * output is full left fewer than 4 after the U+FFFD, and the next round computed the free room
 * as a negative size (glibc happened to answer E2BIG to the wrapped size; now the buffer grows
 * first). windows-1252 0x80 is the 3-byte euro sign and 0x81 is undefined: 2k+4 euros fill the
 * first buffer (2n + 16 bytes for n = 3k input bytes) to its last 4 bytes, then comes the
 * invalid byte. */
static void test_iconv_replacement_at_the_buffer_edge(void **state)
{
  (void)state;
  for (size_t k = 5; k < 200; k++) {
    size_t n = 3 * k;
    unsigned char *in = malloc(n);
    assert_non_null(in);
    memset(in, 0x80, n);
    in[2 * k + 4] = 0x81;
    both_agree(in, n, "text/html; charset=windows-1252", RIPTIDE_OK);
    char *out = NULL;
    size_t olen = 0;
    assert_int_equal(
        riptide_decode_input(in, n, "text/html; charset=windows-1252", 64 * MiB, &out, &olen),
        RIPTIDE_OK);
    assert_int_equal(olen, 3 * n); /* n - 1 euro signs and one U+FFFD, 3 bytes each */
    assert_memory_equal(out + 3 * (2 * k + 4), "\xEF\xBF\xBD", 3);
    free(out);
    free(in);
  }
}

/* Random inputs of every flavour: both entry points agree byte for byte. */
static void test_random_inputs_agree(void **state)
{
  (void)state;
  static const char *const cts[] = {NULL, "text/html; charset=utf-8",
                                    "text/html; charset=windows-1252", "text/html"};
  static const unsigned char alphabet[] = {'<',  'p',  '>',  ' ',  'a',  0x00, 0x80, 0xc3, 0xa9,
                                           0xe2, 0x82, 0xac, 0xff, 0xef, 0xbb, 0xbf, '\n'};
  uint64_t x = 0x2545F4914F6CDD1Dull;
  for (int iter = 0; iter < 2000; iter++) {
    unsigned char in[300];
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    size_t n = x % sizeof in;
    bool ascii_only = iter % 4 == 0;
    for (size_t i = 0; i < n; i++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      unsigned v = (unsigned)(x >> 33);
      if (ascii_only)
        in[i] = (unsigned char)(' ' + v % 90);
      else
        in[i] = (v & 1) ? (unsigned char)('a' + v % 26) : alphabet[(v >> 1) % sizeof alphabet];
    }
    const char *ct = cts[iter % 4];
    char *pub = NULL;
    size_t pub_len = 0;
    riptide_err expect = riptide_decode_input(in, n, ct, 64 * MiB, &pub, &pub_len);
    free(pub);
    both_agree(in, n, ct, expect);
  }
}

static void test_size_limit_and_arguments(void **state)
{
  (void)state;
  char *buf = writable("<p>0123456789</p>", 17);
  char *out = (char *)0x1;
  size_t n = 5;
  assert_int_equal(riptide_decode_input_inplace(buf, 17, NULL, 16, &out, &n),
                   RIPTIDE_ERR_INPUT_TOO_LARGE);
  assert_null(out);
  assert_int_equal(riptide_decode_input_inplace(NULL, 0, NULL, 16, &out, &n),
                   RIPTIDE_ERR_INVALID_ARG);
  assert_int_equal(riptide_decode_input_inplace(buf, 17, NULL, 16, NULL, &n),
                   RIPTIDE_ERR_INVALID_ARG);
  free(buf);
}

/* API misuse: no data and no length is the empty page (no memcpy from NULL), and a max_bytes
 * at the top of the range (UINT64_MAX) means "no limit", not a wrapped cap + 1 of zero (a
 * double free on gzip input before) nor a conversion cap of 60 bytes (cap * 4 + 64 wrapped). */
static void test_null_data_and_huge_limit(void **state)
{
  (void)state;
  char *out = (char *)0x1;
  size_t n = 5;
  assert_int_equal(riptide_decode_input(NULL, 0, NULL, 0, &out, &n), RIPTIDE_OK);
  assert_non_null(out);
  assert_int_equal(n, 0);
  assert_string_equal(out, "");
  free(out);

  char page[4096];
  size_t plen = 0;
  while (plen + 40 < sizeof page)
    plen += (size_t)snprintf(page + plen, sizeof page - plen, "<p>caf\xe9 cr\xe8me %zu</p>", plen);
  uLongf zlen = compressBound((uLong)plen) + 64;
  unsigned char *z = malloc(zlen);
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  assert_int_equal(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  zs.next_in = (unsigned char *)page;
  zs.avail_in = (uInt)plen;
  zs.next_out = z;
  zs.avail_out = (uInt)zlen;
  assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
  zlen = zs.total_out;
  deflateEnd(&zs);
  char *ref = NULL, *big = NULL;
  size_t ref_len = 0, big_len = 0;
  assert_int_equal(riptide_decode_input(z, zlen, NULL, 64 * MiB, &ref, &ref_len), RIPTIDE_OK);
  assert_int_equal(riptide_decode_input(z, zlen, NULL, UINT64_MAX, &big, &big_len), RIPTIDE_OK);
  assert_int_equal(big_len, ref_len);
  assert_memory_equal(big, ref, ref_len);
  assert_non_null(strstr(big, "caf\xc3\xa9 cr\xc3\xa8me"));
  free(big);
  free(ref);
  /* The in-place entry point and the windows-1252 path with the same limit. */
  char *buf = writable(z, zlen);
  assert_int_equal(riptide_decode_input_inplace(buf, zlen, NULL, UINT64_MAX, &out, &n), RIPTIDE_OK);
  assert_non_null(strstr(out, "caf\xc3\xa9 cr\xc3\xa8me"));
  if (out != buf)
    free(out);
  free(buf);
  assert_int_equal(riptide_decode_input(page, plen, NULL, UINT64_MAX, &out, &n), RIPTIDE_OK);
  assert_true(n > plen);
  free(out);
  free(z);
}

/* Every seed of fuzz/corpus/decode through the fuzz target's checks (it aborts on a
 * violation). */
static void test_fuzz_corpus_replay(void **state)
{
  (void)state;
  const char *dir = "fuzz/corpus/decode";
  DIR *d = opendir(dir);
  if (!d) {
    printf("fuzz corpus replay: skipped (%s not found; run from the source tree)\n", dir);
    skip();
  }
  struct dirent *de;
  size_t files = 0;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    unsigned char *buf = malloc(1u << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 1u << 20, f);
    fclose(f);
    assert_int_equal(LLVMFuzzerTestOneInput(buf, n), 0);
    free(buf);
    files++;
  }
  closedir(d);
  assert_true(files >= 20);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clean_utf8_is_decoded_in_place),
      cmocka_unit_test(test_pure_ascii_in_single_byte_charsets_is_in_place),
      cmocka_unit_test(test_other_inputs_get_a_new_buffer),
      cmocka_unit_test(test_gzip_result_is_the_inflated_buffer),
      cmocka_unit_test(test_iconv_replacement_at_the_buffer_edge),
      cmocka_unit_test(test_random_inputs_agree),
      cmocka_unit_test(test_size_limit_and_arguments),
      cmocka_unit_test(test_null_data_and_huge_limit),
      cmocka_unit_test(test_fuzz_corpus_replay),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
