/*
 * fuzz_parser.c - libFuzzer target for the tokenizer + tree builder (html_parse) and the
 * html5lib dump (html_tree_dump).
 *
 * Input: one selector byte, then the page. Selector bits 0-3 pick the fragment context (0 =
 * whole document, see contexts[]), bit 4 turns the scripting flag on, bit 5 parses under a
 * 1 MiB memory limit (exercising every out-of-memory path). Build and run: make fuzz-parser
 * (clang-19 -fsanitize=fuzzer,address,undefined); seeds: fuzz/corpus/parser plus the
 * html5lib tree-construction inputs (scripts/parser-fuzz-seeds.py). make test replays
 * fuzz/corpus/parser through tests/test_parser.c.
 */
#include "guest/html/parser.h"

#include <stdint.h>
#include <stdlib.h>

static const struct {
  const char *name;
  dom_ns ns;
} contexts[16] = {
    {NULL, DOM_NS_HTML},           {"body", DOM_NS_HTML},
    {"td", DOM_NS_HTML},           {"svg", DOM_NS_SVG},
    {"math", DOM_NS_MATHML},       {"template", DOM_NS_HTML},
    {"select", DOM_NS_HTML},       {"title", DOM_NS_HTML},
    {"table", DOM_NS_HTML},        {"annotation-xml", DOM_NS_MATHML},
    {"foreignObject", DOM_NS_SVG}, {"tr", DOM_NS_HTML},
    {"textarea", DOM_NS_HTML},     {"html", DOM_NS_HTML},
    {"frameset", DOM_NS_HTML},     {"plaintext", DOM_NS_HTML},
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size < 1)
    return 0;
  uint8_t sel = data[0];
  html_parse_options o = {0};
  o.fragment_context = contexts[sel & 15].name;
  o.fragment_ns = contexts[sel & 15].ns;
  o.scripting = (sel & 16) != 0;
  o.mem_limit = (sel & 32) ? (1u << 20) : 0;
  dom_doc *doc = NULL;
  html_parse_status st = html_parse((const char *)data + 1, size - 1, &o, &doc);
  if (st == HTML_PARSE_OK) {
    char *dump = html_tree_dump(doc);
    free(dump);
    dom_doc_free(doc);
  } else if (doc) {
    __builtin_trap(); /* a failed parse must not hand out a document */
  }
  return 0;
}
