/*
 * fuzz_decode.c - libFuzzer target for the input decoder (src/input/decode.c): gzip (bombs,
 * truncated and concatenated members), BOMs, Content-Type and <meta> charsets, iconv, the
 * UTF-8 repair, through both entry points. Build and run: `make fuzz-decode [FUZZ_TIME=s]`
 * (clang-19, -fsanitize=fuzzer,address,undefined). Seeds: fuzz/corpus/decode, also replayed
 * by tests/test_decode.c in the normal test run (it includes this file).
 *
 * Input layout: byte 0 picks the Content-Type (a table below), byte 1 the size limit, the rest
 * is the page. Checked on every input:
 *  - the result is an allowed code; on success a NUL-terminated, NUL-free, valid UTF-8 string
 *    of at most 4 x the limit; on error no output;
 *  - riptide_decode_input and riptide_decode_input_inplace (in place, on a writable copy) agree
 * byte for byte, and the in-place one never writes past the copy's spare byte.
 */
#include "riptide.h"
#include "common/utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fuzz_decode_types[] = {
    NULL,
    "text/html",
    "text/html; charset=utf-8",
    "text/html; charset=windows-1252",
    "text/html; charset=\"shift_jis\"",
    "text/html;charset=gb18030",
    "text/html; charset=utf-16",
    "text/html; charset=utf-16be",
    "text/html; charset=iso-2022-jp",
    "text/html; charset=koi8-r",
    "text/html; charset=euc-kr",
    "text/html; charset=x-unknown",
    "application/xhtml+xml; charset=big5",
    "text/html; charset=ibm1047",
    "charset=",
    "text/html; charset=iso-8859-7",
};

static const uint64_t fuzz_decode_limits[] = {
    0, 1, 64, 4096, 1u << 20, 64ull << 20, UINT64_MAX, (uint64_t)SIZE_MAX / 4,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  size_t nt = sizeof fuzz_decode_types / sizeof fuzz_decode_types[0];
  size_t nl = sizeof fuzz_decode_limits / sizeof fuzz_decode_limits[0];
  const char *ct = fuzz_decode_types[data[0] % nt];
  uint64_t max = fuzz_decode_limits[data[1] % nl];
  const uint8_t *page = data + 2;
  size_t len = size - 2;
  uint64_t eff = max == 0 ? (64ull << 20) : max;

  char *out = (char *)0x1;
  size_t out_len = 1;
  riptide_err err = riptide_decode_input(len ? page : NULL, len, ct, max, &out, &out_len);
  if (err != RIPTIDE_OK && err != RIPTIDE_ERR_INPUT_TOO_LARGE && err != RIPTIDE_ERR_BAD_INPUT &&
      err != RIPTIDE_ERR_DECODE && err != RIPTIDE_ERR_NOMEM)
    abort();
  if (err == RIPTIDE_OK) {
    if (!out || out[out_len] != '\0' || strlen(out) != out_len)
      abort();
    if (!rt_utf8_check((const unsigned char *)out, out_len, true))
      abort();
    if (eff < UINT64_MAX / 4 && out_len > eff * 4)
      abort();
  } else if (out != NULL || out_len != 0) {
    abort();
  }

  /* The in-place entry point on a writable copy with exactly one spare byte. */
  char *buf = malloc(len + 1);
  if (!buf)
    abort();
  if (len)
    memcpy(buf, page, len);
  buf[len] = 'Z';
  char *out2 = NULL;
  size_t out2_len = 0;
  riptide_err err2 = riptide_decode_input_inplace(buf, len, ct, max, &out2, &out2_len);
  if (err2 != err && err2 != RIPTIDE_ERR_NOMEM && err != RIPTIDE_ERR_NOMEM)
    abort();
  if (err == RIPTIDE_OK && err2 == RIPTIDE_OK &&
      (out2_len != out_len || memcmp(out2, out, out_len) != 0 || out2[out2_len] != '\0'))
    abort();
  if (out2 != buf)
    free(out2);
  free(buf);
  if (err == RIPTIDE_OK)
    free(out);
  return 0;
}
