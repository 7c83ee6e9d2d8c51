/*
 * fuzz_extract.c - libFuzzer target for the whole extraction as the pool runs it, built
 * natively: the guest extractor (parser, metadata, content selection, serialisers, wire
 * encoder), the host's wire decoder, and the document's JSON.
 *
 * Input: a flags byte (bits 0-1 mode, 2 Markdown, 3 HTML, 4 links, 5 media, 6 a page URL,
 * 7 a 4 MiB parser memory limit instead of 64 MiB), a selector byte (custom mode: one of
 * SELECTORS), then the page. Invariants, each an abort(): a result the guest calls OK decodes
 * (the host would otherwise call it BAD_RESULT), its JSON is produced, no link or media source
 * is a javascript:, vbscript: or data: URL. Build and run: make fuzz-extract (clang-19
 * -fsanitize=fuzzer,address,undefined, FUZZ_TIME seconds); seeds: fuzz/corpus/extract,
 * replayed by tests/test_extract.c in make test.
 */
#include "abi/wire.h"
#include "guest/extract/ex_internal.h"
#include "riptide.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const SELECTORS[] = {
    "p", "article, .content", "div > p a[href]", "[class~=post] h1",
    "*", "body > *",          ".a .b > .c",      "[href^='http'], img[src$='.jpg']",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 2)
    return 0;
  uint8_t flags = data[0];
  const char *html = (const char *)data + 2;
  size_t len = size - 2;
  ex_options o;
  ex_options_init(&o);
  o.mode = flags & 3u;
  o.selector = SELECTORS[data[1] % (sizeof SELECTORS / sizeof SELECTORS[0])];
  o.markdown = flags & 4u;
  o.html = flags & 8u;
  o.links = flags & 16u;
  o.media = flags & 32u;
  o.mem_limit = flags & 128u ? 4u << 20 : 64u << 20;
  const char *url = flags & 64u ? "https://fuzz.example/dir/page.html?q=1" : NULL;
  rt_wire_writer w;
  rt_wire_init(&w);
  rt_guest_status st = ex_extract(html, len, url, url ? strlen(url) : 0, &o, &w);
  if (st == RT_GUEST_OK && !w.failed) {
    riptide_document *doc = NULL;
    char detail[160];
    riptide_err e = rt_wire_decode(w.buf, w.len, &doc, detail, sizeof detail);
    if (e != RIPTIDE_OK && e != RIPTIDE_ERR_NOMEM)
      abort(); /* the guest wrote a result its host refuses */
    if (doc) {
      for (size_t i = 0; i < doc->n_links; i++)
        if (ex_url_unsafe(doc->links[i].href, strlen(doc->links[i].href)))
          abort();
      for (size_t i = 0; i < doc->n_media; i++)
        if (doc->media[i].src && ex_url_unsafe(doc->media[i].src, strlen(doc->media[i].src)))
          abort();
      char *json = riptide_document_to_json(doc, "fuzz", flags & 1u);
      if (!json)
        abort();
      free(json);
      riptide_document_free(doc);
    }
  }
  rt_wire_reset(&w);
  return 0;
}
