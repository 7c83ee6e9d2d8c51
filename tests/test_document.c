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

#include <jansson.h>
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
  const char *order[] = {
      "id",           "url",           "title",    "byline",          "date",
      "site_name",    "description",   "language", "canonical_url",   "text",
      "markdown",     "links",         "media",    "categories",      "word_count",
      "reading_time", "quality_score", "engine",   "fallback_reason", "wait_ms",
      "extract_ms"};
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

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_new_and_free),
      cmocka_unit_test(test_options_defaults),
      cmocka_unit_test(test_json_fields_and_order),
      cmocka_unit_test(test_json_without_id_pretty_and_fallback),
      cmocka_unit_test(test_json_repairs_invalid_utf8),
      cmocka_unit_test(test_json_empty_document),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
