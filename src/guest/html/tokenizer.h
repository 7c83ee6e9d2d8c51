/*
 * tokenizer.h - the HTML5 tokenizer (WHATWG HTML, "13.2.5 Tokenization").
 *
 * Portable C11 for the guest. A pull tokenizer: html_tokenizer_next() returns one token at a
 * time; the tree builder switches states (RCDATA, RAWTEXT, script data, PLAINTEXT) and tells
 * the tokenizer whether the adjusted current node is foreign (for CDATA sections) between
 * calls. Input is preprocessed (CR/CRLF -> LF, a leading BOM dropped) and must be UTF-8;
 * invalid UTF-8 sequences are replaced by U+FFFD. Runs in linear time; token strings live in
 * buffers owned by the tokenizer and stay valid until the next call to html_tokenizer_next().
 *
 * Thread-safety: bound to one thread.
 */
#ifndef HTML_TOKENIZER_H
#define HTML_TOKENIZER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum html_token_type {
  HTML_TOKEN_DOCTYPE = 0,
  HTML_TOKEN_START_TAG,
  HTML_TOKEN_END_TAG,
  HTML_TOKEN_COMMENT,
  HTML_TOKEN_CHARACTER, /* a run of characters (data/len), possibly several code points; a
                         * U+0000 that reaches the tree builder (data state, CDATA sections)
                         * always comes alone as a token with data_len 1 */
  HTML_TOKEN_EOF,
  HTML_TOKEN_ERROR, /* out of memory or a hard limit: see html_tokenizer.err */
} html_token_type;

/* States the tree builder may set (the spec's names). */
typedef enum html_tokenizer_state {
  HTML_STATE_DATA = 0,
  HTML_STATE_RCDATA,
  HTML_STATE_RAWTEXT,
  HTML_STATE_SCRIPT_DATA,
  HTML_STATE_PLAINTEXT,
  HTML_STATE_CDATA_SECTION, /* internal */
  HTML_STATE_OTHER_         /* any internal state */
} html_tokenizer_state;

typedef struct html_token_attr {
  const char *name; /* lower-cased */
  uint32_t name_len;
  const char *value;
  uint32_t value_len;
} html_token_attr;

typedef struct html_token {
  html_token_type type;
  /* tags: lower-cased name; doctype: name (NULL if missing); comment/character: data */
  const char *name;
  uint32_t name_len;
  const char *data;
  uint32_t data_len;
  /* tags */
  bool self_closing;
  html_token_attr *attrs; /* duplicates already dropped, per spec */
  uint32_t n_attrs;
  /* doctype */
  const char *public_id; /* NULL if missing */
  uint32_t public_id_len;
  const char *system_id; /* NULL if missing */
  uint32_t system_id_len;
  bool force_quirks;
} html_token;

typedef struct html_tokenizer html_tokenizer;

/* mem_limit bounds the tokenizer's own buffers (0 = unlimited). NULL on out-of-memory. */
html_tokenizer *html_tokenizer_new(const char *input, size_t len, size_t mem_limit);
void html_tokenizer_free(html_tokenizer *t);

/* Returns the next token (valid until the next call). After EOF or ERROR it keeps returning
 * the same type. */
const html_token *html_tokenizer_next(html_tokenizer *t);

void html_tokenizer_set_state(html_tokenizer *t, html_tokenizer_state s);
/* The "last start tag name" used for appropriate end tags (RCDATA/RAWTEXT/script). */
void html_tokenizer_set_last_start_tag(html_tokenizer *t, const char *name, size_t len);
/* Whether the adjusted current node is an element not in the HTML namespace (CDATA rule). */
void html_tokenizer_set_foreign(html_tokenizer *t, bool foreign);

/* Number of parse errors seen (the conformance runner does not compare them). */
uint32_t html_tokenizer_errors(const html_tokenizer *t);
/* 0 = fine; otherwise why HTML_TOKEN_ERROR was returned ("out of memory", ...). */
const char *html_tokenizer_error(const html_tokenizer *t);

/* Named character references (entities.c, generated from the WHATWG table). */
typedef struct html_entity {
  const char *name; /* without '&', with ';' when the name has one */
  uint8_t name_len;
  uint8_t n_codepoints;
  uint32_t codepoints[2];
} html_entity;
/* Longest entity name that prefixes s[0..n): returns it or NULL. */
const html_entity *html_entity_match(const char *s, size_t n);

#endif
