/*
 * fuzz_tokenizer.c - libFuzzer target for the HTML tokenizer alone (the tree builder has
 * fuzz/fuzz_parser.c). Build and run: make fuzz-tokenizer [FUZZ_TIME=seconds].
 *
 * The first byte picks the initial state (bits 0-2), the foreign flag (bit 3) and a small
 * mem_limit (bit 4); the rest is the document. Like a tree builder, the harness switches to
 * RCDATA/RAWTEXT/script data/PLAINTEXT after the matching start tags and toggles the foreign
 * flag on <svg>/<math>. It checks the contract of tokenizer.h on every token and aborts on a
 * violation: strings are valid UTF-8, tag names are non-empty lower-case without NUL, a NUL
 * character comes alone, attribute names are unique, the stream ends in EOF or ERROR (with a
 * reason) within a bounded number of tokens, and then stays there.
 */
#include "common/utf8.h"
#include "guest/html/tokenizer.h"

#include <stdlib.h>
#include <string.h>

#define CHECK(x)                                                                                   \
  do {                                                                                             \
    if (!(x))                                                                                      \
      abort();                                                                                     \
  } while (0)

static int name_is(const html_token *t, const char *s)
{
  return t->name_len == strlen(s) && memcmp(t->name, s, t->name_len) == 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
  if (size < 1)
    return 0;
  static const html_tokenizer_state states[8] = {
      HTML_STATE_DATA,      HTML_STATE_RCDATA,        HTML_STATE_RAWTEXT, HTML_STATE_SCRIPT_DATA,
      HTML_STATE_PLAINTEXT, HTML_STATE_CDATA_SECTION, HTML_STATE_DATA,    HTML_STATE_DATA};
  unsigned mode = data[0];
  const char *in = (const char *)data + 1;
  size_t len = size - 1;
  html_tokenizer *t = html_tokenizer_new(in, len, (mode & 16) ? 4096 : 0);
  if (!t)
    return 0;
  html_tokenizer_set_state(t, states[mode & 7]);
  html_tokenizer_set_foreign(t, (mode & 8) != 0);
  if (mode & 32)
    html_tokenizer_set_last_start_tag(t, "title", 5);
  size_t count = 0;
  const html_token *tok;
  for (;;) {
    tok = html_tokenizer_next(t);
    CHECK(++count <= 2 * len + 4);
    switch (tok->type) {
    case HTML_TOKEN_CHARACTER:
      CHECK(tok->data_len > 0 && rt_utf8_valid((const unsigned char *)tok->data, tok->data_len));
      CHECK(tok->data_len == 1 || memchr(tok->data, 0, tok->data_len) == NULL);
      break;
    case HTML_TOKEN_COMMENT:
      CHECK(rt_utf8_valid((const unsigned char *)tok->data, tok->data_len));
      CHECK(memchr(tok->data, 0, tok->data_len) == NULL);
      break;
    case HTML_TOKEN_DOCTYPE:
      CHECK(!tok->name || rt_utf8_valid((const unsigned char *)tok->name, tok->name_len));
      CHECK(!tok->public_id ||
            rt_utf8_valid((const unsigned char *)tok->public_id, tok->public_id_len));
      CHECK(!tok->system_id ||
            rt_utf8_valid((const unsigned char *)tok->system_id, tok->system_id_len));
      break;
    case HTML_TOKEN_START_TAG:
    case HTML_TOKEN_END_TAG:
      CHECK(tok->name_len > 0 && rt_utf8_valid((const unsigned char *)tok->name, tok->name_len));
      for (uint32_t i = 0; i < tok->name_len; i++)
        CHECK(tok->name[i] != 0 && !(tok->name[i] >= 'A' && tok->name[i] <= 'Z'));
      CHECK(tok->type == HTML_TOKEN_START_TAG || tok->n_attrs == 0);
      for (uint32_t i = 0; i < tok->n_attrs; i++) {
        const html_token_attr *a = &tok->attrs[i];
        CHECK(a->name_len > 0 && rt_utf8_valid((const unsigned char *)a->name, a->name_len));
        CHECK(rt_utf8_valid((const unsigned char *)a->value, a->value_len));
        CHECK(memchr(a->value, 0, a->value_len) == NULL);
        for (uint32_t j = 0; j < i && tok->n_attrs < 64; j++)
          CHECK(!(tok->attrs[j].name_len == a->name_len &&
                  memcmp(tok->attrs[j].name, a->name, a->name_len) == 0));
      }
      if (tok->type == HTML_TOKEN_START_TAG) {
        if (name_is(tok, "title") || name_is(tok, "textarea"))
          html_tokenizer_set_state(t, HTML_STATE_RCDATA);
        else if (name_is(tok, "style") || name_is(tok, "xmp") || name_is(tok, "iframe") ||
                 name_is(tok, "noembed") || name_is(tok, "noframes"))
          html_tokenizer_set_state(t, HTML_STATE_RAWTEXT);
        else if (name_is(tok, "script"))
          html_tokenizer_set_state(t, HTML_STATE_SCRIPT_DATA);
        else if (name_is(tok, "plaintext"))
          html_tokenizer_set_state(t, HTML_STATE_PLAINTEXT);
        else if (name_is(tok, "svg") || name_is(tok, "math"))
          html_tokenizer_set_foreign(t, 1);
      } else if (name_is(tok, "svg") || name_is(tok, "math")) {
        html_tokenizer_set_foreign(t, 0);
      }
      break;
    case HTML_TOKEN_ERROR:
      CHECK(html_tokenizer_error(t) != NULL);
      break;
    case HTML_TOKEN_EOF:
      CHECK(html_tokenizer_error(t) == NULL);
      break;
    }
    if (tok->type == HTML_TOKEN_EOF || tok->type == HTML_TOKEN_ERROR)
      break;
  }
  html_token_type last = tok->type;
  CHECK(html_tokenizer_next(t)->type == last);
  html_tokenizer_free(t);
  return 0;
}
