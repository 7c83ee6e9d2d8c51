/*
 * fuzz_fallback.c - libFuzzer target for the native fallback engine (src/fallback: the bounded
 * libxml2 parse, junk removal, scoring, rendering, metadata) and the document's JSON.
 *
 * Input: one control byte, then the page. Bits 0-1 pick the mode (article, full, metadata,
 * custom), bit 2 asks for the cleaned HTML, bit 3 runs under a 1 MiB memory cap (the
 * MEMORY_LIMIT paths), bit 4 gives the page a URL, bits 5-7 pick a custom-mode selector.
 * No deadline: libFuzzer's -timeout finds inputs that are slow rather than the engine's
 * TIMEOUT hiding them.
 *
 * Oracles beyond the sanitizers: only the errors the limits can give; a content mode's
 * document has text; no data:, javascript: or vbscript: URL in links, media or a Markdown
 * link destination; the JSON of every document can be written.
 *
 * Build and run: make fuzz-fallback [FUZZ_TIME=seconds] (mk/fallback.mk). make test replays
 * fuzz/corpus/fallback through tests/test_fallback_bounds.c, which includes this file with
 * FUZZ_FALLBACK_NO_MAIN.
 */
#include "riptide.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const fuzz_selectors[8] = {
    "p", "div > p", ".c, #main", "article p, h1", "a[href]", "ul li:first-child", "*", "[",
};

/* Browsers ignore control characters and spaces inside a scheme. */
static bool fuzz_unsafe_url(const char *u)
{
  char sch[16];
  size_t k = 0;
  for (const unsigned char *c = (const unsigned char *)u; *c && k < sizeof sch - 1; c++) {
    if (*c <= 0x20)
      continue;
    sch[k++] = (char)tolower(*c);
    if (*c == ':')
      break;
  }
  sch[k] = '\0';
  return strncmp(sch, "javascript:", 11) == 0 || strncmp(sch, "vbscript:", 9) == 0 ||
         strncmp(sch, "data:", 5) == 0;
}

static void fuzz_check(bool ok, const char *what)
{
  if (!ok) {
    fprintf(stderr, "fuzz_fallback: %s\n", what);
    abort();
  }
}

/* Runs one input; aborts on a broken oracle. */
static void fuzz_fallback_one(const uint8_t *data, size_t size)
{
  if (size < 1)
    return;
  uint8_t ctl = data[0];
  const char *html = (const char *)data + 1;
  size_t len = size - 1;
  riptide_options o;
  riptide_options_init(&o);
  o.mode = (riptide_mode)(ctl & 3);
  o.want_html = (ctl & 4) != 0;
  if (o.mode == RIPTIDE_MODE_CUSTOM)
    o.selector = fuzz_selectors[ctl >> 5];
  riptide_native_limits lim;
  riptide_native_limits_init(&lim);
  lim.timeout_ms = 0;
  if (ctl & 8)
    lim.memory_cap_bytes = 1u << 20;
  const char *url = (ctl & 16) ? "https://fuzz.example/a/b.html" : NULL;
  riptide_document *d = NULL;
  riptide_err err = riptide_extract_native_limited(html, len, url, &o, &lim, &d);
  if (err != RIPTIDE_OK) {
    fuzz_check(d == NULL, "document returned with an error");
    fuzz_check(err == RIPTIDE_ERR_MEMORY_LIMIT || err == RIPTIDE_ERR_OUTPUT_TOO_LARGE ||
                   err == RIPTIDE_ERR_SELECTOR || err == RIPTIDE_ERR_TIMEOUT ||
                   err == RIPTIDE_ERR_NOMEM,
               riptide_err_name(err));
    return;
  }
  fuzz_check(d != NULL, "no document");
  if (o.mode != RIPTIDE_MODE_METADATA)
    fuzz_check(d->text != NULL, "content mode without text");
  for (size_t i = 0; i < d->n_links; i++)
    fuzz_check(d->links[i].href && !fuzz_unsafe_url(d->links[i].href), "unsafe link");
  for (size_t i = 0; i < d->n_media; i++)
    fuzz_check(d->media[i].src && !fuzz_unsafe_url(d->media[i].src), "unsafe media");
  if (d->markdown) {
    /* Link and image destinations: "](" not escaped by the renderer (text's ']' is "\]"). */
    for (const char *p = strstr(d->markdown, "]("); p; p = strstr(p + 2, "](")) {
      if (p > d->markdown && p[-1] == '\\')
        continue;
      const char *dst = p + 2;
      if (*dst == '<')
        dst++;
      fuzz_check(!fuzz_unsafe_url(dst), "unsafe Markdown destination");
    }
  }
  char *json = riptide_document_to_json(d, "fuzz", (ctl & 32) != 0);
  fuzz_check(json != NULL, "JSON not written");
  free(json);
  riptide_document_free(d);
}

#ifndef FUZZ_FALLBACK_NO_MAIN
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  fuzz_fallback_one(data, size);
  return 0;
}
#endif
