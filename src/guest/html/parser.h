/*
 * parser.h - HTML5 tree construction (WHATWG HTML, "13.2.6 Tree construction").
 *
 * Builds a dom_doc from UTF-8 (or arbitrary) bytes using the tokenizer. Iterative and linear
 * (the stack of open elements is an array; nesting past RT_PARSER_MAX_DEPTH is flattened).
 */
#ifndef HTML_PARSER_H
#define HTML_PARSER_H

#include "dom.h"

typedef enum html_parse_status {
  HTML_PARSE_OK = 0,
  HTML_PARSE_NOMEM, /* mem_limit reached or malloc failed */
  HTML_PARSE_LIMIT, /* another hard limit: the tree builder's work budget
                       (RT_PARSER_WORK_PER_BYTE, limits.h) or the tokenizer's */
} html_parse_status;

typedef struct html_parse_options {
  size_t mem_limit; /* bytes for DOM + tokenizer; 0 = unlimited */
  bool scripting;   /* scripting flag (noscript parsing); default false */
  /* fragment parsing (conformance tests): context element name, NULL for a document */
  const char *fragment_context;
  dom_ns fragment_ns;
  /* When non-NULL, receives the tree builder's work steps (the walks charged to the work
   * budget, see RT_PARSER_WORK_PER_BYTE): tests check that hostile shapes stay linear. */
  uint64_t *work_out;
} html_parse_options;

/* Parses a whole document. On success *out is a document the caller frees with
 * dom_doc_free(). */
html_parse_status html_parse(const char *input, size_t len, const html_parse_options *opts,
                             dom_doc **out);

/* Serialises a tree in html5lib's tree-construction test format ("| <html>" lines). Returns a
 * malloc'd string (caller frees) or NULL. */
char *html_tree_dump(const dom_doc *doc);

#endif
