/* test_tokenizer.c - the HTML tokenizer (src/guest/html/tokenizer.c): tokens, states,
 * character references, preprocessing, limits and the hostile inputs of issue 3. The
 * html5lib suite runs separately (tests/tokenizer_conformance.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/utf8.h"
#include "common/limits.h"
#include "guest/html/tokenizer.h"
#include "guest/html/tokenizer_internal.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------------------------ */

typedef struct dump {
  char *p;
  size_t len, cap;
} dump;

static void d_put(dump *d, const char *s, size_t n)
{
  if (d->len + n + 1 > d->cap) {
    size_t cap = d->cap ? d->cap : 256;
    while (cap < d->len + n + 1)
      cap *= 2;
    d->p = realloc(d->p, cap);
    assert_non_null(d->p);
    d->cap = cap;
  }
  memcpy(d->p + d->len, s, n);
  d->len += n;
  d->p[d->len] = 0;
}

static void d_str(dump *d, const char *s)
{
  d_put(d, s, strlen(s));
}

/* Appends a token in a compact form: C(text) S(name a=v ...[/]) E(name) M(comment)
 * D(name|pub|sys|q) - with "\0" shown as "\\0" and missing DOCTYPE fields as "-". */
static void d_bytes(dump *d, const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    if (s[i] == 0)
      d_str(d, "\\0");
    else
      d_put(d, s + i, 1);
  }
}

static void d_token(dump *d, const html_token *t)
{
  switch (t->type) {
  case HTML_TOKEN_CHARACTER:
    d_str(d, "C(");
    d_bytes(d, t->data, t->data_len);
    break;
  case HTML_TOKEN_START_TAG:
    d_str(d, "S(");
    d_bytes(d, t->name, t->name_len);
    for (uint32_t i = 0; i < t->n_attrs; i++) {
      d_str(d, " ");
      d_bytes(d, t->attrs[i].name, t->attrs[i].name_len);
      d_str(d, "=");
      d_bytes(d, t->attrs[i].value, t->attrs[i].value_len);
    }
    if (t->self_closing)
      d_str(d, "/");
    break;
  case HTML_TOKEN_END_TAG:
    d_str(d, "E(");
    d_bytes(d, t->name, t->name_len);
    break;
  case HTML_TOKEN_COMMENT:
    d_str(d, "M(");
    d_bytes(d, t->data, t->data_len);
    break;
  case HTML_TOKEN_DOCTYPE:
    d_str(d, "D(");
    if (t->name)
      d_bytes(d, t->name, t->name_len);
    else
      d_str(d, "-");
    d_str(d, "|");
    if (t->public_id)
      d_bytes(d, t->public_id, t->public_id_len);
    else
      d_str(d, "-");
    d_str(d, "|");
    if (t->system_id)
      d_bytes(d, t->system_id, t->system_id_len);
    else
      d_str(d, "-");
    d_str(d, t->force_quirks ? "|q" : "|ok");
    break;
  case HTML_TOKEN_EOF:
    d_str(d, "EOF");
    return;
  case HTML_TOKEN_ERROR:
    d_str(d, "ERROR");
    return;
  }
  d_str(d, ")");
}

/* Tokenizes input like a minimal tree builder would (switching to RCDATA, RAWTEXT, script
 * data and PLAINTEXT after the matching start tags) and returns the token dump. With merge,
 * adjacent character tokens are shown as one. Caller frees. */
static char *tokenize_ex(const char *in, size_t len, bool merge, bool foreign)
{
  html_tokenizer *t = html_tokenizer_new(in, len, 0);
  assert_non_null(t);
  html_tokenizer_set_foreign(t, foreign);
  dump d = {0}, chars = {0};
  for (;;) {
    const html_token *tok = html_tokenizer_next(t);
    if (merge && tok->type == HTML_TOKEN_CHARACTER) {
      d_put(&chars, tok->data, tok->data_len);
      continue;
    }
    if (chars.len) {
      html_token c = {
          .type = HTML_TOKEN_CHARACTER, .data = chars.p, .data_len = (uint32_t)chars.len};
      d_token(&d, &c);
      chars.len = 0;
    }
    d_token(&d, tok);
    if (tok->type == HTML_TOKEN_EOF || tok->type == HTML_TOKEN_ERROR)
      break;
    if (tok->type == HTML_TOKEN_START_TAG) {
      static const struct {
        const char *name;
        html_tokenizer_state st;
      } sw[] = {{"title", HTML_STATE_RCDATA},       {"textarea", HTML_STATE_RCDATA},
                {"style", HTML_STATE_RAWTEXT},      {"xmp", HTML_STATE_RAWTEXT},
                {"script", HTML_STATE_SCRIPT_DATA}, {"plaintext", HTML_STATE_PLAINTEXT}};
      for (size_t i = 0; i < sizeof sw / sizeof sw[0]; i++)
        if (tok->name_len == strlen(sw[i].name) &&
            memcmp(tok->name, sw[i].name, tok->name_len) == 0)
          html_tokenizer_set_state(t, sw[i].st);
    }
  }
  free(chars.p);
  html_tokenizer_free(t);
  return d.p;
}

static char *tokenize(const char *in)
{
  return tokenize_ex(in, strlen(in), true, false);
}

#define ASSERT_TOKENS(input, expected)                                                             \
  do {                                                                                             \
    char *got_ = tokenize(input);                                                                  \
    assert_string_equal(got_, expected);                                                           \
    free(got_);                                                                                    \
  } while (0)

/* ---- tokens -------------------------------------------------------------------------------- */

static void test_basic_document(void **state)
{
  (void)state;
  ASSERT_TOKENS("<!DOCTYPE html><html lang=en><p class='a b'>Hi &amp; bye</p><!-- c --></html>",
                "D(html|-|-|ok)S(html lang=en)S(p class=a b)C(Hi & bye)E(p)M( c )E(html)EOF");
  ASSERT_TOKENS("<BR/><IMG SRC=x ALT=\"\">", "S(br/)S(img src=x alt=)EOF");
  ASSERT_TOKENS("", "EOF");
}

static void test_eof_and_error_are_sticky(void **state)
{
  (void)state;
  html_tokenizer *t = html_tokenizer_new("x", 1, 0);
  assert_int_equal(html_tokenizer_next(t)->type, HTML_TOKEN_CHARACTER);
  for (int i = 0; i < 3; i++)
    assert_int_equal(html_tokenizer_next(t)->type, HTML_TOKEN_EOF);
  assert_null(html_tokenizer_error(t));
  html_tokenizer_free(t);
  html_tokenizer_free(NULL);
}

static void test_characters_are_one_run_and_not_copied(void **state)
{
  (void)state;
  const char *in = "hello world, a long run of text<b>x</b>";
  html_tokenizer *t = html_tokenizer_new(in, strlen(in), 0);
  const html_token *tok = html_tokenizer_next(t);
  assert_int_equal(tok->type, HTML_TOKEN_CHARACTER);
  assert_int_equal(tok->data_len, 31);
  assert_ptr_equal(tok->data, in); /* a slice of the input */
  tok = html_tokenizer_next(t);    /* the tag queued behind the run */
  assert_int_equal(tok->type, HTML_TOKEN_START_TAG);
  assert_memory_equal(tok->name, "b", 1);
  html_tokenizer_free(t);
}

static void test_nul_comes_alone(void **state)
{
  (void)state;
  char *got = tokenize_ex("a\0b", 3, false, false);
  assert_string_equal(got, "C(a)C(\\0)C(b)EOF");
  free(got);
  /* NUL becomes U+FFFD in tag names, attribute values, comments, RCDATA. */
  static const char nuls[] = "<a\0 b='\0'><!--\0--><title>\0</title>";
  got = tokenize_ex(nuls, sizeof nuls - 1, true, false);
  assert_string_equal(
      got, "S(a\xEF\xBF\xBD b=\xEF\xBF\xBD)M(\xEF\xBF\xBD)S(title)C(\xEF\xBF\xBD)E(title)EOF");
  free(got);
}

static void test_preprocessing(void **state)
{
  (void)state;
  ASSERT_TOKENS("\xEF\xBB\xBF"
                "a\r\nb\rc\n\r",
                "C(a\nb\nc\n\n)EOF");
  ASSERT_TOKENS("<a x='1\r\n2'>", "S(a x=1\n2)EOF");
  /* WHATWG UTF-8 decoding: one U+FFFD per maximal invalid subpart. */
  ASSERT_TOKENS("a\xC3(b", "C(a\xEF\xBF\xBD(b)EOF");
  ASSERT_TOKENS("\xF0\x9F\x98", "C(\xEF\xBF\xBD)EOF");
  ASSERT_TOKENS("\xED\xA0\x80", "C(\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD)EOF");
  ASSERT_TOKENS("\xFF\xC0\x80", "C(\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD)EOF");
  ASSERT_TOKENS("\xF0\x9F\x98\x80", "C(\xF0\x9F\x98\x80)EOF");
}

/* ---- character references -------------------------------------------------------------------- */

static void test_named_references(void **state)
{
  (void)state;
  ASSERT_TOKENS("&amp;&lt;&gt;&quot;&nbsp;", "C(&<>\"\xC2\xA0)EOF");
  ASSERT_TOKENS("&notit; &notin; &amp &ampx", "C(\xC2\xACit; \xE2\x88\x89 & &x)EOF");
  ASSERT_TOKENS("&NotEqualTilde; &bogus; & &#", "C(\xE2\x89\x82\xCC\xB8 &bogus; & &#)EOF");
  /* Legacy rule in attributes: no expansion when '=' or an alphanumeric follows. */
  ASSERT_TOKENS("<a href='?a=1&copy=2&copyx&copy;&copy'>",
                "S(a href=?a=1&copy=2&copyx\xC2\xA9\xC2\xA9)EOF");
  ASSERT_TOKENS("<a x=&amp;y&lt>", "S(a x=&y<)EOF");
}

static void test_numeric_references(void **state)
{
  (void)state;
  ASSERT_TOKENS("&#65;&#x42;&#X43", "C(ABC)EOF");
  ASSERT_TOKENS("&#x80;&#x9F;&#x81;", "C(\xE2\x82\xAC\xC5\xB8\xC2\x81)EOF");
  ASSERT_TOKENS("&#0;&#xD800;&#x110000;&#99999999999999999999999;",
                "C(\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD)EOF");
  ASSERT_TOKENS("&#13;&#x1F600;", "C(\r\xF0\x9F\x98\x80)EOF");
  ASSERT_TOKENS("&#x;&#;", "C(&#x;&#;)EOF");
}

static void test_entity_table(void **state)
{
  (void)state;
  assert_int_equal(html_entity_count, 2231);
  const html_entity *e = html_entity_match("amp;x", 5);
  assert_non_null(e);
  assert_int_equal(e->name_len, 4);
  e = html_entity_match("ampx", 4);
  assert_non_null(e);
  assert_int_equal(e->name_len, 3);
  assert_null(html_entity_match("xyz;", 4));
  assert_null(html_entity_match("", 0));
  e = html_entity_match("CounterClockwiseContourIntegral;", 32);
  assert_non_null(e);
  assert_int_equal(e->codepoints[0], 0x2233);
  /* Every entry is found by its own name and the table is strictly sorted. */
  for (size_t i = 0; i < html_entity_count; i++) {
    const html_entity *x = &html_entity_table[i];
    assert_ptr_equal(html_entity_match(x->name, x->name_len), x);
    if (i)
      assert_true(strcmp(html_entity_table[i - 1].name, x->name) < 0);
  }
}

/* ---- states -------------------------------------------------------------------------------- */

static void test_text_states(void **state)
{
  (void)state;
  ASSERT_TOKENS("<title>a</b>&amp;</TITLE >x", "S(title)C(a</b>&)E(title)C(x)EOF");
  ASSERT_TOKENS("<style>a</b>&amp;</style>", "S(style)C(a</b>&amp;)E(style)EOF");
  ASSERT_TOKENS("<textarea></textareax></textarea/>", "S(textarea)C(</textareax>)E(textarea)EOF");
  ASSERT_TOKENS("<plaintext></plaintext><b>", "S(plaintext)C(</plaintext><b>)EOF");
  ASSERT_TOKENS("<title></tit", "S(title)C(</tit)EOF");
}

static void test_script_states(void **state)
{
  (void)state;
  ASSERT_TOKENS("<script>if (a<b) x--</script>", "S(script)C(if (a<b) x--)E(script)EOF");
  /* Escaped and double-escaped text hides the inner </script>. */
  ASSERT_TOKENS("<script><!--<script></script>--></script>",
                "S(script)C(<!--<script></script>-->)E(script)EOF");
  ASSERT_TOKENS("<script><!--</script>x", "S(script)C(<!--)E(script)C(x)EOF");
  ASSERT_TOKENS("<script><!--<script>--></script>", "S(script)C(<!--<script>-->)E(script)EOF");
  ASSERT_TOKENS("<script><!-- a --!></script>", "S(script)C(<!-- a --!>)E(script)EOF");
}

static void test_comments(void **state)
{
  (void)state;
  ASSERT_TOKENS("<!---->", "M()EOF");
  ASSERT_TOKENS("<!-->", "M()EOF");
  ASSERT_TOKENS("<!-- a -- b --!>", "M( a -- b )EOF");
  ASSERT_TOKENS("<!--<!-- x -->", "M(<!-- x )EOF");
  ASSERT_TOKENS("<!-- open", "M( open)EOF");
  ASSERT_TOKENS("<?php x ?>", "M(?php x ?)EOF");
  ASSERT_TOKENS("</ x>", "M( x)EOF");
  ASSERT_TOKENS("<!x>", "M(x)EOF");
}

static void test_doctype(void **state)
{
  (void)state;
  ASSERT_TOKENS("<!DOCTYPE html PUBLIC \"-//W3C//DTD HTML 4.01//EN\" 'http://x/s.dtd'>",
                "D(html|-//W3C//DTD HTML 4.01//EN|http://x/s.dtd|ok)EOF");
  ASSERT_TOKENS("<!doctype HTML SYSTEM \"about:legacy-compat\">",
                "D(html|-|about:legacy-compat|ok)EOF");
  ASSERT_TOKENS("<!DOCTYPE>", "D(-|-|-|q)EOF");
  ASSERT_TOKENS("<!DOCTYPE html bogus>", "D(html|-|-|q)EOF");
  ASSERT_TOKENS("<!DOCTYPE html PUBLIC \"x>", "D(html|x|-|q)EOF");
  ASSERT_TOKENS("<!DOCTYPE html SYSTEM 'a' junk>", "D(html|-|a|ok)EOF");
}

static void test_cdata(void **state)
{
  (void)state;
  char *got = tokenize_ex("<![CDATA[a<b>]]]>c", 18, true, true);
  assert_string_equal(got, "C(a<b>]c)EOF");
  free(got);
  got = tokenize_ex("<![CDATA[a]]>", 13, true, false);
  assert_string_equal(got, "M([CDATA[a]])EOF");
  free(got);
  got = tokenize_ex("<![CDATA[a", 10, true, true);
  assert_string_equal(got, "C(a)EOF");
  free(got);
}

static void test_tags_and_attributes(void **state)
{
  (void)state;
  ASSERT_TOKENS("<a x=1 X=2 y=3 x=4>", "S(a x=1 y=3)EOF");
  ASSERT_TOKENS("<a =b c d= e>", "S(a =b= c= d=e)EOF");
  ASSERT_TOKENS("<a b='c'd>", "S(a b=c d=)EOF");
  ASSERT_TOKENS("<a / b>", "S(a b=)EOF");
  ASSERT_TOKENS("</a b=c/>", "E(a)EOF"); /* attributes of end tags are dropped */
  ASSERT_TOKENS("<a b='c", "EOF");       /* eof-in-tag drops the tag */
  ASSERT_TOKENS("a<", "C(a<)EOF");
  ASSERT_TOKENS("a</", "C(a</)EOF");
  ASSERT_TOKENS("<>x</>y< b", "C(<>xy< b)EOF");
  ASSERT_TOKENS("<\xC3\xA9>", "C(<\xC3\xA9>)EOF");
  ASSERT_TOKENS("<A\xC3\x89"
                "B>",
                "S(a\xC3\x89"
                "b)EOF");
}

static void test_set_last_start_tag(void **state)
{
  (void)state;
  const char *in = "x</bar>y</Foo>z";
  html_tokenizer *t = html_tokenizer_new(in, strlen(in), 0);
  html_tokenizer_set_state(t, HTML_STATE_RAWTEXT);
  html_tokenizer_set_last_start_tag(t, "FOO", 3);
  dump d = {0};
  for (;;) {
    const html_token *tok = html_tokenizer_next(t);
    d_token(&d, tok);
    if (tok->type == HTML_TOKEN_EOF)
      break;
  }
  assert_string_equal(d.p, "C(x</bar>y)E(foo)C(z)EOF");
  free(d.p);
  html_tokenizer_free(t);
}

static void test_error_count(void **state)
{
  (void)state;
  html_tokenizer *t = html_tokenizer_new("<p>ok</p>", 9, 0);
  while (html_tokenizer_next(t)->type != HTML_TOKEN_EOF)
    ;
  assert_int_equal(html_tokenizer_errors(t), 0);
  html_tokenizer_free(t);
  t = html_tokenizer_new("<p a a>&#0;</p x>", 17, 0);
  while (html_tokenizer_next(t)->type != HTML_TOKEN_EOF)
    ;
  assert_true(html_tokenizer_errors(t) >= 2);
  html_tokenizer_free(t);
}

/* ---- limits and hostile input ---------------------------------------------------------------- */

static char *make_attrs(size_t n, size_t *len)
{
  size_t cap = n * 12 + 16, l = 0;
  char *s = malloc(cap);
  assert_non_null(s);
  memcpy(s, "<a", 2);
  l = 2;
  for (size_t i = 0; i < n; i++)
    l += (size_t)snprintf(s + l, cap - l, " a%zu=%zu", i, i % 10);
  memcpy(s + l, ">", 2);
  *len = l + 1;
  return s;
}

static void test_many_attributes(void **state)
{
  (void)state;
  /* A million distinct attributes: the first RT_PARSER_MAX_ATTRS are kept, linear time. */
  size_t len;
  char *s = make_attrs(1000000, &len);
  html_tokenizer *t = html_tokenizer_new(s, len, 0);
  const html_token *tok = html_tokenizer_next(t);
  assert_int_equal(tok->type, HTML_TOKEN_START_TAG);
  assert_int_equal(tok->n_attrs, RT_PARSER_MAX_ATTRS);
  assert_memory_equal(tok->attrs[12345].name, "a12345", 6);
  assert_int_equal(tok->attrs[12345].name_len, 6);
  assert_memory_equal(tok->attrs[12345].value, "5", 1);
  assert_int_equal(html_tokenizer_next(t)->type, HTML_TOKEN_EOF);
  html_tokenizer_free(t);
  free(s);

  /* Duplicates found through the hash set, then the next tag starts clean. */
  const char *in = "<a a0 a1 a2 a3 a4 a5 a6 a7 a8 a9 b0 b1 b2 b3 b4 b5 b6 b7 b8 b9 a3=x b9=y c>"
                   "<b a0 a0=z>";
  t = html_tokenizer_new(in, strlen(in), 0);
  tok = html_tokenizer_next(t);
  assert_int_equal(tok->n_attrs, 21);
  assert_int_equal(tok->attrs[3].value_len, 0);
  assert_memory_equal(tok->attrs[20].name, "c", 1);
  tok = html_tokenizer_next(t);
  assert_int_equal(tok->n_attrs, 1);
  assert_int_equal(tok->attrs[0].value_len, 0);
  html_tokenizer_free(t);
}

static void test_huge_attribute_and_comment(void **state)
{
  (void)state;
  size_t big = 10u << 20;
  char *s = malloc(big + 32);
  assert_non_null(s);
  memcpy(s, "<a href=\"", 9);
  memset(s + 9, 'x', big);
  memcpy(s + 9 + big, "\">", 2);
  html_tokenizer *t = html_tokenizer_new(s, big + 11, 0);
  const html_token *tok = html_tokenizer_next(t);
  assert_int_equal(tok->type, HTML_TOKEN_START_TAG);
  assert_int_equal(tok->attrs[0].value_len, big);
  html_tokenizer_free(t);

  /* The same attribute under a 1 MiB budget stops with a clear error, and stays stopped. */
  t = html_tokenizer_new(s, big + 11, 1u << 20);
  assert_int_equal(html_tokenizer_next(t)->type, HTML_TOKEN_ERROR);
  assert_non_null(html_tokenizer_error(t));
  assert_non_null(strstr(html_tokenizer_error(t), "memory limit"));
  assert_int_equal(html_tokenizer_next(t)->type, HTML_TOKEN_ERROR);
  html_tokenizer_free(t);

  /* An unclosed comment at the start of a 10 MB page: one comment, then EOF. */
  memcpy(s, "<!--", 4);
  memset(s + 4, 'y', big);
  for (size_t i = 4; i < big; i += 4096)
    memcpy(s + i, "<b>-", 4);
  t = html_tokenizer_new(s, big + 4, 0);
  tok = html_tokenizer_next(t);
  assert_int_equal(tok->type, HTML_TOKEN_COMMENT);
  assert_int_equal(tok->data_len, big);
  assert_int_equal(html_tokenizer_next(t)->type, HTML_TOKEN_EOF);
  html_tokenizer_free(t);
  free(s);
}

static void test_binary_input(void **state)
{
  (void)state;
  size_t n = 4u << 20;
  unsigned char *s = malloc(n);
  assert_non_null(s);
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s[i] = (unsigned char)x;
  }
  for (int pass = 0; pass < 2; pass++) {
    html_tokenizer *t = html_tokenizer_new((const char *)s, n, 0);
    size_t count = 0;
    for (;;) {
      const html_token *tok = html_tokenizer_next(t);
      assert_int_not_equal(tok->type, HTML_TOKEN_ERROR);
      if (tok->type == HTML_TOKEN_EOF)
        break;
      if (tok->type == HTML_TOKEN_CHARACTER || tok->type == HTML_TOKEN_COMMENT)
        assert_true(rt_utf8_valid((const unsigned char *)tok->data, tok->data_len));
      if (tok->type == HTML_TOKEN_START_TAG) {
        assert_true(rt_utf8_valid((const unsigned char *)tok->name, tok->name_len));
        for (uint32_t i = 0; i < tok->n_attrs; i++)
          assert_true(
              rt_utf8_valid((const unsigned char *)tok->attrs[i].value, tok->attrs[i].value_len));
        html_tokenizer_set_state(t, pass ? HTML_STATE_SCRIPT_DATA : HTML_STATE_RCDATA);
        html_tokenizer_set_foreign(t, true);
      }
      count++;
    }
    assert_true(count > 0);
    html_tokenizer_free(t);
  }
  free(s);
}

static void test_tokenizer_new_limits(void **state)
{
  (void)state;
  /* Preprocessing copies count against the budget too. */
  size_t n = 1u << 20;
  char *s = malloc(n);
  assert_non_null(s);
  memset(s, '\r', n);
  html_tokenizer *t = html_tokenizer_new(s, n, 64u << 10);
  assert_non_null(t);
  assert_int_equal(html_tokenizer_next(t)->type, HTML_TOKEN_ERROR);
  assert_non_null(strstr(html_tokenizer_error(t), "memory limit"));
  html_tokenizer_free(t);
  free(s);
  t = html_tokenizer_new(NULL, 0, 0);
  assert_int_equal(html_tokenizer_next(t)->type, HTML_TOKEN_EOF);
  html_tokenizer_free(t);
}

/* Replays fuzz/corpus/tokenizer (inputs found by make fuzz-tokenizer; byte 0 selects the
 * initial state, the foreign flag and a small budget as in fuzz/fuzz_tokenizer.c). */
static void test_fuzz_corpus_replay(void **state)
{
  (void)state;
  static const html_tokenizer_state states[8] = {
      HTML_STATE_DATA,      HTML_STATE_RCDATA,        HTML_STATE_RAWTEXT, HTML_STATE_SCRIPT_DATA,
      HTML_STATE_PLAINTEXT, HTML_STATE_CDATA_SECTION, HTML_STATE_DATA,    HTML_STATE_DATA};
  DIR *dir = opendir("fuzz/corpus/tokenizer");
  if (!dir) {
    skip(); /* run from the repository root to replay the corpus */
    return;
  }
  struct dirent *de;
  size_t files = 0;
  while ((de = readdir(dir))) {
    if (de->d_name[0] == '.')
      continue;
    char path[512];
    snprintf(path, sizeof path, "fuzz/corpus/tokenizer/%s", de->d_name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static unsigned char buf[1 << 17];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    if (n == 0)
      continue;
    files++;
    html_tokenizer *t = html_tokenizer_new((const char *)buf + 1, n - 1, (buf[0] & 16) ? 4096 : 0);
    assert_non_null(t);
    html_tokenizer_set_state(t, states[buf[0] & 7]);
    html_tokenizer_set_foreign(t, (buf[0] & 8) != 0);
    if (buf[0] & 32)
      html_tokenizer_set_last_start_tag(t, "title", 5);
    size_t count = 0;
    for (;;) {
      const html_token *tok = html_tokenizer_next(t);
      assert_true(++count <= 2 * n + 4);
      if (tok->type == HTML_TOKEN_EOF || tok->type == HTML_TOKEN_ERROR)
        break;
      if (tok->type == HTML_TOKEN_CHARACTER || tok->type == HTML_TOKEN_COMMENT)
        assert_true(rt_utf8_valid((const unsigned char *)tok->data, tok->data_len));
      if (tok->type == HTML_TOKEN_START_TAG || tok->type == HTML_TOKEN_END_TAG)
        assert_true(tok->name_len > 0 &&
                    rt_utf8_valid((const unsigned char *)tok->name, tok->name_len));
    }
    html_tokenizer_free(t);
  }
  closedir(dir);
  assert_true(files > 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic_document),
      cmocka_unit_test(test_eof_and_error_are_sticky),
      cmocka_unit_test(test_characters_are_one_run_and_not_copied),
      cmocka_unit_test(test_nul_comes_alone),
      cmocka_unit_test(test_preprocessing),
      cmocka_unit_test(test_named_references),
      cmocka_unit_test(test_numeric_references),
      cmocka_unit_test(test_entity_table),
      cmocka_unit_test(test_text_states),
      cmocka_unit_test(test_script_states),
      cmocka_unit_test(test_comments),
      cmocka_unit_test(test_doctype),
      cmocka_unit_test(test_cdata),
      cmocka_unit_test(test_tags_and_attributes),
      cmocka_unit_test(test_set_last_start_tag),
      cmocka_unit_test(test_error_count),
      cmocka_unit_test(test_many_attributes),
      cmocka_unit_test(test_huge_attribute_and_comment),
      cmocka_unit_test(test_binary_input),
      cmocka_unit_test(test_tokenizer_new_limits),
      cmocka_unit_test(test_fuzz_corpus_replay),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
