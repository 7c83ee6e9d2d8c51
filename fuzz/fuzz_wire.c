/*
 * fuzz_wire.c - libFuzzer target for the host's decoder of guest results (src/abi/wire.h):
 * the bytes a hostile guest hands back. Build and run: `make fuzz-wire` (clang-19,
 * -fsanitize=fuzzer,address,undefined; FUZZ_SECONDS=60 by default). Seeds: fuzz/corpus/wire,
 * also replayed by tests/test_wire.c in the normal test run.
 */
#include "abi/wire.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  riptide_document *doc = NULL;
  char detail[160];
  riptide_err err = rt_wire_decode(data, size, &doc, detail, sizeof detail);
  if ((err == RIPTIDE_OK) != (doc != NULL))
    abort();
  if (err != RIPTIDE_OK && err != RIPTIDE_ERR_BAD_RESULT && err != RIPTIDE_ERR_NOMEM)
    abort();
  if (doc) {
    /* Every decoded string is NUL-terminated valid UTF-8. */
    const char *s[] = {doc->title, doc->text, doc->markdown, doc->byline, doc->date};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
      if (s[i] && !rt_utf8_valid((const uint8_t *)s[i], strlen(s[i])))
        abort();
    for (size_t i = 0; i < doc->n_links; i++)
      if (!doc->links[i].href)
        abort();
  }
  riptide_document_free(doc);
  return 0;
}
