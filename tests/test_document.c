/*
 * test_document.c - the document object, option defaults, and the JSON schema of
 * docs/schema.md (field names, order, types, nulls, repair of invalid UTF-8).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "riptide.h"
#include "common/document.h"
#include "common/nfc.h"
#include "common/utf8.h"

#include <jansson.h>
#include <utf8proc.h>
#include <stdlib.h>
#include <string.h>

static json_t *parse(const char *s)
{
  json_error_t e;
  json_t *j = json_loads(s, 0, &e);
  if (!j)
    fail_msg("invalid JSON (%s): %s", e.text, s);
  return j;
}

static void test_new_and_free(void **state)
{
  (void)state;
  riptide_document *d = riptide_document_new();
  assert_non_null(d);
  assert_null(d->title);
  assert_null(d->text);
  assert_int_equal(d->n_links, 0);
  assert_int_equal(d->quality_score, -1);
  riptide_document_free(d);
  riptide_document_free(NULL); /* no-op */
}

static void test_options_defaults(void **state)
{
  (void)state;
  riptide_options o;
  memset(&o, 0xAB, sizeof o);
  riptide_options_init(&o);
  assert_int_equal(o.mode, RIPTIDE_MODE_ARTICLE);
  assert_null(o.selector);
  assert_true(o.want_markdown);
  assert_false(o.want_html);
  assert_true(o.want_links);
  assert_true(o.want_media);
  assert_true(o.want_tables);
}

static riptide_document *sample(void)
{
  riptide_document *d = riptide_document_new();
  d->url = strdup("https://example.com/a");
  d->title = strdup("A \"quoted\" title");
  d->byline = strdup("Jane Doe");
  d->text = strdup("Line one.\n\nLine two.");
  d->markdown = strdup("Line one.\n\nLine two.");
  d->language = strdup("en");
  d->n_links = 2;
  d->links = calloc(2, sizeof *d->links);
  d->links[0].href = strdup("https://example.com/x");
  d->links[0].text = strdup("x");
  d->links[1].href = strdup("https://example.com/y");
  d->links[1].text = strdup("y");
  d->n_media = 1;
  d->media = calloc(1, sizeof *d->media);
  d->media[0].src = strdup("https://example.com/i.png");
  d->media[0].kind = strdup("image");
  d->media[0].caption = strdup("The \"harbour\" at dawn");
  d->n_categories = 1;
  d->categories = calloc(1, sizeof *d->categories);
  d->categories[0] = strdup("news");
  d->word_count = 4;
  d->reading_time = 1;
  d->quality_score = 42;
  d->engine = "wasm";
  d->wait_ns = 1500000;    /* 1.5 ms */
  d->extract_ns = 2250000; /* 2.25 ms */
  return d;
}

static void test_json_fields_and_order(void **state)
{
  (void)state;
  riptide_document *d = sample();
  char *s = riptide_document_to_json(d, "page-1", false);
  assert_non_null(s);
  assert_null(strchr(s, '\n')); /* compact: one line */
  /* id is written first */
  assert_int_equal(strncmp(s, "{\"id\":\"page-1\",\"url\":", 21), 0);
  json_t *j = parse(s);
  const char *order[] = {"id",           "url",           "title",
                         "byline",       "date",          "site_name",
                         "description",  "language",      "canonical_url",
                         "text",         "markdown",      "links",
                         "media",        "categories",    "word_count",
                         "reading_time", "quality_score", "fingerprint",
                         "text_hash",    "engine",        "fallback_reason",
                         "wait_ms",      "extract_ms"};
  size_t n = sizeof order / sizeof order[0];
  assert_int_equal(json_object_size(j), n);
  const char *prev = s;
  for (size_t i = 0; i < n; i++) {
    char key[64];
    snprintf(key, sizeof key, "\"%s\":", order[i]);
    const char *at = strstr(s, key);
    assert_non_null(at);
    assert_true(at >= prev);
    prev = at;
  }
  assert_string_equal(json_string_value(json_object_get(j, "title")), "A \"quoted\" title");
  assert_true(json_is_null(json_object_get(j, "date")));
  assert_true(json_is_null(json_object_get(j, "fallback_reason")));
  assert_null(json_object_get(j, "html")); /* only when set */
  assert_null(json_object_get(j, "guest_error"));
  assert_int_equal(json_array_size(json_object_get(j, "links")), 2);
  assert_string_equal(
      json_string_value(json_object_get(json_array_get(json_object_get(j, "links"), 1), "href")),
      "https://example.com/y");
  json_t *m0 = json_array_get(json_object_get(j, "media"), 0);
  assert_string_equal(json_string_value(json_object_get(m0, "kind")), "image");
  assert_true(json_is_null(json_object_get(m0, "alt")));
  assert_string_equal(json_string_value(json_object_get(m0, "caption")), "The \"harbour\" at dawn");
  assert_string_equal(json_string_value(json_array_get(json_object_get(j, "categories"), 0)),
                      "news");
  assert_int_equal(json_integer_value(json_object_get(j, "word_count")), 4);
  assert_int_equal(json_integer_value(json_object_get(j, "quality_score")), 42);
  assert_string_equal(json_string_value(json_object_get(j, "engine")), "wasm");
  assert_true(json_real_value(json_object_get(j, "wait_ms")) == 1.5);
  assert_true(json_real_value(json_object_get(j, "extract_ms")) == 2.25);
  json_decref(j);
  free(s);
  riptide_document_free(d);
}

static void test_json_without_id_pretty_and_fallback(void **state)
{
  (void)state;
  riptide_document *d = sample();
  d->html = strdup("<p>x</p>");
  d->engine = "native";
  d->fallback_reason = "trap";
  d->guest_error = RIPTIDE_ERR_TRAP;
  d->trap = RIPTIDE_TRAP_OOB;
  d->quality_score = -1;
  char *s = riptide_document_to_json(d, NULL, true);
  assert_non_null(s);
  assert_non_null(strchr(s, '\n')); /* pretty */
  json_t *j = parse(s);
  assert_null(json_object_get(j, "id"));
  assert_string_equal(json_string_value(json_object_get(j, "html")), "<p>x</p>");
  assert_string_equal(json_string_value(json_object_get(j, "fallback_reason")), "trap");
  assert_string_equal(json_string_value(json_object_get(j, "guest_error")), "TRAP");
  assert_string_equal(json_string_value(json_object_get(j, "trap")), "oob");
  assert_true(json_is_null(json_object_get(j, "quality_score")));
  json_decref(j);
  free(s);
  riptide_document_free(d);
}

static void test_json_repairs_invalid_utf8(void **state)
{
  (void)state;
  riptide_document *d = riptide_document_new();
  d->title = strdup("bad \xff\xfe byte \xc3");
  d->text = strdup("ok \xe2\x82\xac"); /* valid euro sign */
  char *s = riptide_document_to_json(d, "id\x80", false);
  assert_non_null(s);
  json_t *j = parse(s);
  assert_string_equal(json_string_value(json_object_get(j, "title")),
                      "bad \xEF\xBF\xBD\xEF\xBF\xBD byte \xEF\xBF\xBD");
  assert_string_equal(json_string_value(json_object_get(j, "text")), "ok \xe2\x82\xac");
  assert_string_equal(json_string_value(json_object_get(j, "id")), "id\xEF\xBF\xBD");
  json_decref(j);
  free(s);
  riptide_document_free(d);
}

static void test_json_empty_document(void **state)
{
  (void)state;
  riptide_document *d = riptide_document_new();
  char *s = riptide_document_to_json(d, "", false);
  json_t *j = parse(s);
  assert_true(json_is_null(json_object_get(j, "text")));
  assert_true(json_is_null(json_object_get(j, "engine")));
  assert_int_equal(json_array_size(json_object_get(j, "links")), 0);
  json_decref(j);
  free(s);
  riptide_document_free(d);
  assert_null(riptide_document_to_json(NULL, "x", false));
}

/* ---- the jansson rendering the direct writer must reproduce byte for byte ------------------- */

/* A JSON string for s; invalid UTF-8 bytes become U+FFFD (what document.c did with jansson). */
static json_t *oracle_str(const char *s)
{
  if (!s)
    return json_null();
  size_t len = strlen(s);
  json_t *j = json_stringn(s, len);
  if (j)
    return j;
  char *fixed = malloc(len * 3 + 1);
  size_t o = 0;
  const unsigned char *u = (const unsigned char *)s;
  for (size_t i = 0; i < len;) {
    size_t n = rt_utf8_seq_len(u + i, len - i);
    if (n == 0) {
      memcpy(fixed + o, "\xEF\xBF\xBD", 3);
      o += 3;
      i++;
    } else {
      memcpy(fixed + o, u + i, n);
      o += n;
      i += n;
    }
  }
  j = json_stringn(fixed, o);
  free(fixed);
  return j;
}

static json_t *oracle_ms(uint64_t ns)
{
  return json_real((double)(ns / 1000) / 1000.0);
}

static char *oracle_json(const riptide_document *doc, const char *id, bool pretty)
{
  json_t *o = json_object();
  if (id)
    json_object_set_new(o, "id", oracle_str(id));
  json_object_set_new(o, "url", oracle_str(doc->url));
  json_object_set_new(o, "title", oracle_str(doc->title));
  json_object_set_new(o, "byline", oracle_str(doc->byline));
  json_object_set_new(o, "date", oracle_str(doc->date));
  json_object_set_new(o, "site_name", oracle_str(doc->site_name));
  json_object_set_new(o, "description", oracle_str(doc->description));
  json_object_set_new(o, "language", oracle_str(doc->language));
  json_object_set_new(o, "canonical_url", oracle_str(doc->canonical_url));
  json_object_set_new(o, "text", oracle_str(doc->text));
  json_object_set_new(o, "markdown", oracle_str(doc->markdown));
  if (doc->html)
    json_object_set_new(o, "html", oracle_str(doc->html));
  json_t *links = json_array();
  json_object_set_new(o, "links", links);
  for (size_t i = 0; i < doc->n_links; i++) {
    json_t *l = json_object();
    json_array_append_new(links, l);
    json_object_set_new(l, "href", oracle_str(doc->links[i].href));
    json_object_set_new(l, "text", oracle_str(doc->links[i].text));
  }
  json_t *media = json_array();
  json_object_set_new(o, "media", media);
  for (size_t i = 0; i < doc->n_media; i++) {
    json_t *m = json_object();
    json_array_append_new(media, m);
    json_object_set_new(m, "src", oracle_str(doc->media[i].src));
    json_object_set_new(m, "alt", oracle_str(doc->media[i].alt));
    json_object_set_new(m, "kind", oracle_str(doc->media[i].kind));
    json_object_set_new(m, "caption", oracle_str(doc->media[i].caption));
  }
  json_t *cats = json_array();
  json_object_set_new(o, "categories", cats);
  for (size_t i = 0; i < doc->n_categories; i++)
    json_array_append_new(cats, oracle_str(doc->categories[i]));
  json_object_set_new(o, "word_count", json_integer(doc->word_count));
  json_object_set_new(o, "reading_time", json_integer(doc->reading_time));
  json_object_set_new(o, "quality_score",
                      doc->quality_score < 0 ? json_null() : json_integer(doc->quality_score));
  if (doc->has_fingerprint) {
    char fp[17], th[33];
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)doc->fingerprint);
    for (int i = 0; i < 16; i++)
      snprintf(th + 2 * i, 3, "%02x", doc->text_hash[i]);
    json_object_set_new(o, "fingerprint", json_string(fp));
    json_object_set_new(o, "text_hash", json_string(th));
  } else {
    json_object_set_new(o, "fingerprint", json_null());
    json_object_set_new(o, "text_hash", json_null());
  }
  json_object_set_new(o, "engine", oracle_str(doc->engine));
  json_object_set_new(o, "fallback_reason", oracle_str(doc->fallback_reason));
  if (doc->fallback_reason && doc->guest_error != RIPTIDE_OK)
    json_object_set_new(o, "guest_error", oracle_str(riptide_err_name(doc->guest_error)));
  if (doc->trap != RIPTIDE_TRAP_NONE)
    json_object_set_new(o, "trap", oracle_str(riptide_trap_name(doc->trap)));
  json_object_set_new(o, "wait_ms", oracle_ms(doc->wait_ns));
  json_object_set_new(o, "extract_ms", oracle_ms(doc->extract_ns));
  size_t flags = JSON_REAL_PRECISION(12) | JSON_PRESERVE_ORDER;
  flags |= pretty ? JSON_INDENT(2) : JSON_COMPACT;
  char *out = json_dumps(o, flags);
  json_decref(o);
  return out;
}

static void assert_same_as_oracle(const riptide_document *d, const char *id)
{
  for (int pretty = 0; pretty < 2; pretty++) {
    char *want = oracle_json(d, id, pretty);
    char *got = riptide_document_to_json(d, id, pretty);
    assert_non_null(want);
    assert_non_null(got);
    if (strcmp(want, got) != 0)
      fail_msg("JSON differs from jansson's (pretty=%d):\n got: %s\nwant: %s", pretty, got, want);
    free(want);
    free(got);
  }
}

static char *dup_n(const char *s, size_t n)
{
  char *c = malloc(n + 1);
  memcpy(c, s, n);
  c[n] = '\0';
  return c;
}

/* Every escape, every control byte, quotes, slashes, multi-byte characters, and malformed
 * UTF-8 of every kind (stray continuation, truncated at the end and in the middle, overlong,
 * surrogate, past U+10FFFF, 0xFE/0xFF), placed across the 8-byte boundaries of the ASCII fast
 * path; the timing fields at values that print as integers, fractions and large numbers. */
static void test_json_matches_jansson_on_hard_strings(void **state)
{
  (void)state;
  static const char *const pieces[] = {
      "plain ascii text that is long enough to take the eight-byte path",
      "\"",
      "\\",
      "/",
      "\b\f\n\r\t",
      "\x01\x02\x1f\x7f",
      "caf\xc3\xa9",
      "\xe2\x82\xac",
      "\xf0\x9f\x98\x80",
      "\x80",
      "\xc3",
      "\xe2\x82",
      "\xf0\x9f\x98",
      "\xc0\xaf",
      "\xe0\x80\xaf",
      "\xed\xa0\x80",
      "\xf4\x90\x80\x80",
      "\xfe\xff",
      "\xc3\x28",
      "a",
      "</script>",
      "\xef\xbb\xbf",
      "\xe2\x80\xa8\xe2\x80\xa9"};
  size_t np = sizeof pieces / sizeof pieces[0];
  uint64_t ns_values[] = {0, 999, 1000, 1500000, 2250000, 1000000000ull, 123456789012345ull};
  for (size_t a = 0; a < np; a++) {
    for (size_t pad = 0; pad < 9; pad++) {
      char buf[256];
      size_t n = 0;
      for (size_t k = 0; k < pad; k++)
        buf[n++] = 'x';
      size_t la = strlen(pieces[a]);
      memcpy(buf + n, pieces[a], la);
      n += la;
      size_t lb = strlen(pieces[(a + pad) % np]);
      memcpy(buf + n, pieces[(a + pad) % np], lb);
      n += lb;
      riptide_document *d = riptide_document_new();
      d->title = dup_n(buf, n);
      d->text = dup_n(buf + pad, n - pad);
      d->categories = calloc(2, sizeof *d->categories);
      d->n_categories = pad % 3 == 0 ? 0 : (pad % 3 == 1 ? 1 : 2);
      for (size_t k = 0; k < d->n_categories; k++)
        d->categories[k] = dup_n(pieces[(a + k) % np], strlen(pieces[(a + k) % np]));
      if (pad % 2) {
        d->n_links = 1;
        d->links = calloc(1, sizeof *d->links);
        d->links[0].href = dup_n(buf, n);
        d->n_media = 2;
        d->media = calloc(2, sizeof *d->media);
        d->media[0].src = strdup("https://example.com/i.png");
        d->media[0].kind = strdup("image");
        d->media[1].alt = dup_n(pieces[a], la);
        d->media[1].caption = dup_n(buf, n);
      }
      if (pad == 4) {
        d->html = dup_n(buf, n);
        d->fallback_reason = "trap";
        d->guest_error = RIPTIDE_ERR_TRAP;
        d->trap = RIPTIDE_TRAP_OOB;
      }
      if (pad % 3 != 1) { /* fingerprints with leading zeros and high bits */
        d->has_fingerprint = true;
        d->fingerprint = pad % 3 ? 0xf00000000000000full >> a : (uint64_t)a * 0x0123456789abcdefull;
        for (int k = 0; k < 16; k++)
          d->text_hash[k] = (uint8_t)(k * 17 + a + pad);
      }
      d->quality_score = (int32_t)pad * 10 - 1;
      d->word_count = (uint32_t)(a * 1000 + pad);
      d->wait_ns = ns_values[pad % 7];
      d->extract_ns = ns_values[(a + pad) % 7];
      d->engine = "wasm";
      assert_same_as_oracle(d, pad == 3 ? NULL : buf);
      riptide_document_free(d);
    }
  }
}

/* Random bytes (biased towards the interesting ones) in every string field. */
static void test_json_matches_jansson_on_random_strings(void **state)
{
  (void)state;
  uint64_t x = 0x9E3779B97F4A7C15ull;
  static const unsigned char alphabet[] = {'a',  ' ',  '"',  '\\', '\n', '\t', 0x01, 0x1f, 0x7f,
                                           0x80, 0xbf, 0xc2, 0xc3, 0xe2, 0xed, 0xf0, 0xf4, 0xff};
  for (int iter = 0; iter < 3000; iter++) {
    char buf[4][200];
    for (int f = 0; f < 4; f++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      size_t n = x % 199;
      for (size_t k = 0; k < n; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        unsigned v = (unsigned)(x >> 32);
        unsigned char c = (v & 3) ? alphabet[v % sizeof alphabet] : (unsigned char)(v >> 8);
        buf[f][k] = c ? (char)c : 'z';
      }
      buf[f][n] = '\0';
    }
    riptide_document *d = riptide_document_new();
    d->title = strdup(buf[0]);
    d->text = strdup(buf[1]);
    d->markdown = strdup(buf[2]);
    d->byline = strdup(buf[3]);
    d->n_links = 1;
    d->links = calloc(1, sizeof *d->links);
    d->links[0].text = strdup(buf[0]);
    d->wait_ns = x % 100000000000ull;
    d->extract_ns = (x >> 20) % 1000000;
    assert_same_as_oracle(d, buf[3]);
    riptide_document_free(d);
  }
}

/* The buffer the writer appends to: its ceiling stops it cleanly, and appending works. */
static void test_buffer_ceiling_and_append(void **state)
{
  (void)state;
  riptide_document *d = sample();
  rt_buf b = {.max = 64};
  assert_false(rt_document_json_write(&b, d, "x", false));
  assert_true(b.failed);
  assert_true(b.len <= 64);
  rt_buf_free(&b);
  rt_buf ok = {0};
  rt_buf_puts(&ok, "prefix ");
  assert_true(rt_document_json_write(&ok, d, "x", false));
  char *want = riptide_document_to_json(d, "x", false);
  assert_int_equal(ok.len, strlen("prefix ") + strlen(want));
  assert_string_equal(ok.p + strlen("prefix "), want);
  free(want);
  rt_buf_free(&ok);
  riptide_document_free(d);
}

/* rt_nfc: what changes under NFC and what is left alone. */
static void expect_nfc(const char *in, const char *want)
{
  bool nomem = true;
  size_t len = 0;
  char *out = rt_nfc(in, strlen(in), &len, &nomem);
  assert_false(nomem);
  if (!want) {
    assert_null(out); /* already NFC, or not UTF-8: left as it is */
    return;
  }
  assert_non_null(out);
  assert_int_equal(len, strlen(want));
  assert_string_equal(out, want);
  free(out);
}

static void test_nfc_strings(void **state)
{
  (void)state;
  expect_nfc("plain ASCII text", NULL);
  expect_nfc("Caf\xc3\xa9 na\xc3\xafve \xc3\x85ngstr\xc3\xb6m", NULL); /* precomposed Latin */
  expect_nfc("Cafe\xcc\x81", "Caf\xc3\xa9");                           /* e + U+0301 */
  /* U+09DF is a composition exclusion: NFC is U+09AF U+09BC */
  expect_nfc("\xe0\xa7\x9f", "\xe0\xa6\xaf\xe0\xa6\xbc");
  /* U+09C7 U+09BE (a vowel sign second in a composition, combining class 0) -> U+09CB */
  expect_nfc("\xe0\xa6\x95\xe0\xa7\x87\xe0\xa6\xbe", "\xe0\xa6\x95\xe0\xa7\x8b");
  /* conjoining jamo L + V -> the syllable U+AC00; a precomposed syllable stays */
  expect_nfc("\xe1\x84\x80\xe1\x85\xa1", "\xea\xb0\x80");
  expect_nfc("\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4", NULL);
  /* marks reordered by combining class: a + U+0301 + U+0328 -> U+0105 U+0301 */
  expect_nfc("a\xcc\x81\xcc\xa8", "\xc4\x85\xcc\x81");
  /* the singleton U+212B (Angstrom sign) -> U+00C5 */
  expect_nfc("\xe2\x84\xab", "\xc3\x85");
  expect_nfc("\xe4\xb8\xad\xe6\x96\x87 \xd0\xa0\xd1\x83\xd1\x81", NULL); /* CJK, Cyrillic */
  expect_nfc("bad \xff e\xcc\x81", NULL); /* malformed UTF-8 stays as it is */
}

/* rt_document_nfc: the text fields in NFC, the content HTML as it was. */
static void test_nfc_document(void **state)
{
  (void)state;
  riptide_document *d = riptide_document_new();
  assert_non_null(d);
  d->title = strdup("Cafe\xcc\x81");
  d->text = strdup("Cafe\xcc\x81 au lait");
  d->markdown = strdup("# Cafe\xcc\x81");
  d->html = strdup("<p>&gt;\xcc\xb8 Cafe\xcc\x81</p>");
  d->byline = strdup("Ana");
  d->n_links = 1;
  d->links = calloc(1, sizeof *d->links);
  d->links[0].href = strdup("https://example.org/");
  d->links[0].text = strdup("e\xcc\x81t\xc3\xa9");
  d->n_categories = 1;
  d->categories = calloc(1, sizeof *d->categories);
  d->categories[0] = strdup("\xe2\x84\xab");
  assert_true(rt_document_nfc(d));
  assert_string_equal(d->title, "Caf\xc3\xa9");
  assert_string_equal(d->text, "Caf\xc3\xa9 au lait");
  assert_string_equal(d->markdown, "# Caf\xc3\xa9");
  assert_string_equal(d->links[0].text, "\xc3\xa9t\xc3\xa9");
  assert_string_equal(d->categories[0], "\xc3\x85");
  assert_string_equal(d->byline, "Ana");
  assert_string_equal(d->html, "<p>&gt;\xcc\xb8 Cafe\xcc\x81</p>");
  riptide_document_free(d);
}

/* The quick check is sound: for every assigned code point from U+0300 on, after each of a
 * few starters it can compose with, whenever rt_nfc() says "already NFC" (NULL), utf8proc's
 * full NFC agrees. */
static void test_nfc_quick_check_sound(void **state)
{
  (void)state;
  static const int32_t before[] = {'a', 0x09C7, 0x1100, 0xAC00};
  size_t checked = 0;
  for (int32_t cp = 0x300; cp < 0x110000; cp++) {
    if ((cp >= 0xD800 && cp <= 0xDFFF) || utf8proc_category(cp) == UTF8PROC_CATEGORY_CN)
      continue;
    for (size_t b = 0; b < sizeof before / sizeof before[0]; b++) {
      utf8proc_uint8_t s[16];
      utf8proc_ssize_t n = utf8proc_encode_char(before[b], s);
      n += utf8proc_encode_char(cp, s + n);
      s[n] = 0;
      bool nomem;
      size_t len;
      char *got = rt_nfc((const char *)s, (size_t)n, &len, &nomem);
      utf8proc_uint8_t *want = utf8proc_NFC(s);
      assert_non_null(want);
      if (got)
        assert_string_equal(got, (const char *)want);
      else if (strcmp((const char *)want, (const char *)s) != 0)
        fail_msg("U+%04X after U+%04X changes under NFC but was passed over", (unsigned)cp,
                 (unsigned)before[b]);
      free(got);
      free(want);
      checked++;
    }
  }
  assert_true(checked > 4 * 100000);
}

/* Both engines give their documents in NFC, and the fingerprints are of the NFC text: a page
 * written decomposed and the same page precomposed are exact duplicates. */
static void test_nfc_both_engines(void **state)
{
  (void)state;
  static const char decomposed[] =
      "<html><head><title>Cafe\xcc\x81 notes</title></head><body><article><h1>Cafe\xcc\x81 "
      "notes</h1><p>The cafe\xcc\x81 on the corner opened in the spring, and its owners "
      "roast the beans themselves every morning before the first guests arrive.</p><p>Its "
      "cre\xcc\x80me bru\xcc\x82le\xcc\x81"
      "e is the reason most people come back, week after "
      "week, and the queue on Sundays runs down the street.</p></article></body></html>";
  static const char precomposed[] =
      "<html><head><title>Caf\xc3\xa9 notes</title></head><body><article><h1>Caf\xc3\xa9 "
      "notes</h1><p>The caf\xc3\xa9 on the corner opened in the spring, and its owners "
      "roast the beans themselves every morning before the first guests arrive.</p><p>Its "
      "cr\xc3\xa8me br\xc3\xbb\x6c\xc3\xa9\x65 is the reason most people come back, week after "
      "week, and the queue on Sundays runs down the street.</p></article></body></html>";
  riptide_options o;
  riptide_options_init(&o);
  riptide_document *n1 = NULL, *n2 = NULL, *w1 = NULL, *w2 = NULL;
  assert_int_equal(riptide_extract_native(decomposed, strlen(decomposed), NULL, &o, &n1),
                   RIPTIDE_OK);
  assert_int_equal(riptide_extract_native(precomposed, strlen(precomposed), NULL, &o, &n2),
                   RIPTIDE_OK);
  assert_non_null(strstr(n1->text, "The caf\xc3\xa9 on the corner"));
  assert_non_null(strstr(n1->text, "cr\xc3\xa8me br\xc3\xbbl\xc3\xa9\x65"));
  assert_null(strstr(n1->text, "\xcc\x81"));
  assert_string_equal(n1->title, n2->title);
  assert_string_equal(n1->text, n2->text);
  assert_memory_equal(n1->text_hash, n2->text_hash, sizeof n1->text_hash);
  assert_true(n1->fingerprint == n2->fingerprint);

  riptide_pool_config pc;
  riptide_pool_config_init(&pc);
  pc.max_slots = 1;
  pc.warm_slots = 1;
  riptide_pool *pool = NULL;
  assert_int_equal(riptide_pool_new(&pc, &pool), RIPTIDE_OK);
  assert_int_equal(riptide_pool_extract(pool, decomposed, strlen(decomposed), NULL, &o, &w1),
                   RIPTIDE_OK);
  assert_string_equal(w1->engine, "wasm");
  assert_string_equal(w1->title, "Caf\xc3\xa9 notes");
  assert_non_null(strstr(w1->text, "The caf\xc3\xa9 on the corner"));
  assert_null(strstr(w1->text, "\xcc\x81"));
  assert_int_equal(riptide_pool_extract(pool, precomposed, strlen(precomposed), NULL, &o, &w2),
                   RIPTIDE_OK);
  assert_string_equal(w1->text, w2->text);
  assert_memory_equal(w1->text_hash, w2->text_hash, sizeof w1->text_hash);
  assert_true(w1->fingerprint == w2->fingerprint);
  riptide_document_free(w1);
  riptide_document_free(w2);
  riptide_pool_free(pool);
  riptide_document_free(n1);
  riptide_document_free(n2);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_new_and_free),
      cmocka_unit_test(test_options_defaults),
      cmocka_unit_test(test_json_fields_and_order),
      cmocka_unit_test(test_json_without_id_pretty_and_fallback),
      cmocka_unit_test(test_json_repairs_invalid_utf8),
      cmocka_unit_test(test_json_empty_document),
      cmocka_unit_test(test_json_matches_jansson_on_hard_strings),
      cmocka_unit_test(test_json_matches_jansson_on_random_strings),
      cmocka_unit_test(test_buffer_ceiling_and_append),
      cmocka_unit_test(test_nfc_strings),
      cmocka_unit_test(test_nfc_quick_check_sound),
      cmocka_unit_test(test_nfc_document),
      cmocka_unit_test(test_nfc_both_engines),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
