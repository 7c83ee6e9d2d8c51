/*
 * test_extract.c - the guest extractor: unit tests (dates, quality score, URL resolution,
 * selectors, language guess, serialisers on hand-built trees, options) and the data-driven
 * regression cases of tests/data/extract/<case>/ (input.html + expected.json; adding a case
 * adds files, not code).
 *
 * expected.json keys (all optional): mode (article|full|metadata|custom), selector, url,
 * status (expected rt_guest_status, default 0), title, byline, date, site_name, description,
 * language, canonical, text (exact; null: the field must be absent), text_contains[],
 * text_excludes[], markdown_contains[], links_contains[], links_excludes[], media_contains[],
 * media_captions[] (exact captions of media items), categories[] (exact, in order),
 * no_text (true: no TEXT record), min_word_count, min_quality, safe_urls (true: no link, media
 * source, Markdown link target or HTML href/src is a javascript:, vbscript: or data: URL as a
 * browser reads it), options ({"links", "media", "tables"}: false turns that output control
 * off), markdown_excludes[], html_contains[], html_excludes[], media_excludes[], input_of
 * (another case's name: its input.html is this case's page, for one page under several
 * options).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "guest/extract/ex_internal.h"
#include "guest/html/dom.h"

/* The whole-extraction fuzz target, replayed over its seed corpus below. */
#include "../fuzz/fuzz_extract.c"

#include <ctype.h>
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- wire decoding --------------------------------------------------------------------------- */
typedef struct decoded {
  json_t *fields; /* tag name -> string (first occurrence) */
  json_t *links, *media, *cats, *captions;
  uint32_t word_count, quality;
  bool has_text;
} decoded;

static uint32_t rd32(const uint8_t *p)
{
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void decode(const rt_wire_writer *w, decoded *d)
{
  d->fields = json_object();
  d->links = json_array();
  d->media = json_array();
  d->captions = json_array();
  d->cats = json_array();
  d->word_count = d->quality = 0;
  d->has_text = false;
  assert_true(w->len >= 4);
  assert_memory_equal(w->buf, RT_WIRE_MAGIC, 4);
  size_t p = 4;
  while (p + 5 <= w->len) {
    uint8_t tag = w->buf[p];
    uint32_t l = rd32(w->buf + p + 1);
    assert_true(p + 5 + l <= w->len);
    json_t *v = json_stringn_nocheck((const char *)w->buf + p + 5, l);
    const char *name = NULL;
    switch (tag) {
    case RT_F_TITLE:
      name = "title";
      break;
    case RT_F_BYLINE:
      name = "byline";
      break;
    case RT_F_DATE:
      name = "date";
      break;
    case RT_F_SITE_NAME:
      name = "site_name";
      break;
    case RT_F_DESCRIPTION:
      name = "description";
      break;
    case RT_F_LANGUAGE:
      name = "language";
      break;
    case RT_F_CANONICAL:
      name = "canonical";
      break;
    case RT_F_TEXT:
      name = "text";
      d->has_text = true;
      break;
    case RT_F_MARKDOWN:
      name = "markdown";
      break;
    case RT_F_HTML:
      name = "html";
      break;
    case RT_F_LINK_HREF:
      json_array_append(d->links, v);
      break;
    case RT_F_MEDIA_SRC:
      json_array_append(d->media, v);
      break;
    case RT_F_MEDIA_CAPTION:
      json_array_append(d->captions, v);
      break;
    case RT_F_CATEGORY:
      json_array_append(d->cats, v);
      break;
    case RT_F_WORD_COUNT:
      d->word_count = rd32(w->buf + p + 5);
      break;
    case RT_F_QUALITY:
      d->quality = rd32(w->buf + p + 5);
      break;
    default:
      break;
    }
    if (name && !json_object_get(d->fields, name))
      json_object_set(d->fields, name, v);
    json_decref(v);
    p += 5 + l;
  }
  assert_int_equal(p, w->len);
}

static void decoded_free(decoded *d)
{
  json_decref(d->fields);
  json_decref(d->links);
  json_decref(d->media);
  json_decref(d->captions);
  json_decref(d->cats);
}

static const char *field(const decoded *d, const char *k)
{
  const char *s = json_string_value(json_object_get(d->fields, k));
  return s ? s : "";
}

static bool array_has(json_t *arr, const char *s)
{
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v) if (strcmp(json_string_value(v), s) == 0) return true;
  return false;
}

static rt_guest_status run(const char *html, size_t len, const char *url, ex_options *o, decoded *d)
{
  rt_wire_writer w;
  rt_wire_init(&w);
  rt_guest_status st = ex_extract(html, len, url, url ? strlen(url) : 0, o, &w);
  if (st == RT_GUEST_OK)
    decode(&w, d);
  rt_wire_reset(&w);
  return st;
}

/* ---- data-driven cases ------------------------------------------------------------------------
 */
static char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
    free(b);
    b = NULL;
  }
  fclose(f);
  if (b)
    b[n] = '\0';
  *len = (size_t)n;
  return b;
}

/* A javascript:, vbscript: or data: URL as a browser reads it (leading controls and spaces
 * skipped, tabs and newlines ignored, any case). Written here independently of url.c. */
static bool unsafe_url(const char *s)
{
  while (*s && (unsigned char)*s <= 0x20)
    s++;
  char scheme[16];
  size_t k = 0;
  for (; *s && *s != ':'; s++) {
    if (*s == '\t' || *s == '\n' || *s == '\r')
      continue;
    if (k == sizeof scheme - 1)
      return false;
    scheme[k++] = (char)tolower((unsigned char)*s);
  }
  scheme[k] = '\0';
  return *s == ':' &&
         (!strcmp(scheme, "javascript") || !strcmp(scheme, "vbscript") || !strcmp(scheme, "data"));
}

/* Every URL after each `marker` in hay (up to a quote or ')'), checked with unsafe_url. */
static void check_urls_after(const char *cname, const char *hay, const char *marker, char end)
{
  for (const char *p = strstr(hay, marker); p; p = strstr(p + 1, marker)) {
    const char *u = p + strlen(marker);
    size_t n = strcspn(u, end == ')' ? ") " : "\"");
    char buf[4096];
    snprintf(buf, sizeof buf, "%.*s", (int)(n < sizeof buf - 1 ? n : sizeof buf - 1), u);
    if (unsafe_url(buf))
      fail_msg("%s: unsafe URL after %s: %.60s", cname, marker, buf);
  }
}

static void check_list(const char *cname, json_t *exp, const char *key, const char *hay, bool want)
{
  json_t *arr = json_object_get(exp, key);
  size_t i;
  json_t *v;
  json_array_foreach(arr, i, v)
  {
    bool found = strstr(hay, json_string_value(v)) != NULL;
    if (found != want)
      fail_msg("%s: %s \"%s\" %s", cname, key, json_string_value(v), want ? "not found" : "found");
  }
}

static void run_case(const char *dir, const char *cname)
{
  char path[4096];
  snprintf(path, sizeof path, "%s/%s/expected.json", dir, cname);
  json_error_t err;
  json_t *exp = json_load_file(path, 0, &err);
  if (!exp)
    fail_msg("%s: bad expected.json: %s", cname, err.text);
  const char *input_of = json_string_value(json_object_get(exp, "input_of"));
  snprintf(path, sizeof path, "%s/%s/input.html", dir, input_of ? input_of : cname);
  size_t len = 0;
  char *html = slurp(path, &len);
  assert_non_null(html);
  ex_options o;
  ex_options_init(&o);
  o.html = true;
  const char *mode = json_string_value(json_object_get(exp, "mode"));
  if (mode)
    o.mode = strcmp(mode, "full") == 0       ? 1
             : strcmp(mode, "metadata") == 0 ? 2
             : strcmp(mode, "custom") == 0   ? 3
                                             : 0;
  o.selector = json_string_value(json_object_get(exp, "selector"));
  json_t *oo = json_object_get(exp, "options");
  if (json_is_false(json_object_get(oo, "links")))
    o.links = false;
  if (json_is_false(json_object_get(oo, "media")))
    o.media = false;
  if (json_is_false(json_object_get(oo, "tables")))
    o.tables = false;
  const char *url = json_string_value(json_object_get(exp, "url"));
  decoded d;
  rt_guest_status st = run(html, len, url, &o, &d);
  int want = (int)json_integer_value(json_object_get(exp, "status"));
  if ((int)st != want)
    fail_msg("%s: status %d, expected %d", cname, (int)st, want);
  if (st == RT_GUEST_OK) {
    static const char *const keys[] = {"title",       "byline",   "date",      "site_name",
                                       "description", "language", "canonical", "text"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
      const char *e = json_string_value(json_object_get(exp, keys[i]));
      if (e && strcmp(e, field(&d, keys[i])) != 0)
        fail_msg("%s: %s = \"%s\", expected \"%s\"", cname, keys[i], field(&d, keys[i]), e);
      if (json_is_null(json_object_get(exp, keys[i])) && *field(&d, keys[i]))
        fail_msg("%s: %s = \"%s\", expected none", cname, keys[i], field(&d, keys[i]));
    }
    check_list(cname, exp, "text_contains", field(&d, "text"), true);
    check_list(cname, exp, "text_excludes", field(&d, "text"), false);
    check_list(cname, exp, "markdown_contains", field(&d, "markdown"), true);
    check_list(cname, exp, "markdown_excludes", field(&d, "markdown"), false);
    check_list(cname, exp, "html_contains", field(&d, "html"), true);
    check_list(cname, exp, "html_excludes", field(&d, "html"), false);
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(exp, "links_contains"), i,
                       v) if (!array_has(d.links, json_string_value(v)))
        fail_msg("%s: link %s missing", cname, json_string_value(v));
    json_array_foreach(json_object_get(exp, "links_excludes"), i,
                       v) if (array_has(d.links, json_string_value(v)))
        fail_msg("%s: link %s present", cname, json_string_value(v));
    json_array_foreach(json_object_get(exp, "media_contains"), i,
                       v) if (!array_has(d.media, json_string_value(v)))
        fail_msg("%s: media %s missing", cname, json_string_value(v));
    json_array_foreach(json_object_get(exp, "media_excludes"), i,
                       v) if (array_has(d.media, json_string_value(v)))
        fail_msg("%s: media %s present", cname, json_string_value(v));
    json_array_foreach(json_object_get(exp, "media_captions"), i,
                       v) if (!array_has(d.captions, json_string_value(v)))
        fail_msg("%s: media caption %s missing", cname, json_string_value(v));
    if (json_is_true(json_object_get(exp, "safe_urls"))) {
      json_array_foreach(d.links, i, v) if (unsafe_url(json_string_value(v)))
          fail_msg("%s: unsafe link %.60s", cname, json_string_value(v));
      json_array_foreach(d.media, i, v) if (unsafe_url(json_string_value(v)))
          fail_msg("%s: unsafe media %.60s", cname, json_string_value(v));
      check_urls_after(cname, field(&d, "markdown"), "](", ')');
      check_urls_after(cname, field(&d, "html"), "href=\"", '"');
      check_urls_after(cname, field(&d, "html"), "src=\"", '"');
    }
    json_t *cats = json_object_get(exp, "categories");
    if (cats && !json_equal(cats, d.cats))
      fail_msg("%s: categories differ (%zu found)", cname, json_array_size(d.cats));
    if (json_is_true(json_object_get(exp, "no_text")) && d.has_text)
      fail_msg("%s: unexpected text record", cname);
    json_int_t mw = json_integer_value(json_object_get(exp, "min_word_count"));
    if (mw && d.word_count < mw)
      fail_msg("%s: word_count %u < %lld", cname, d.word_count, (long long)mw);
    json_int_t mq = json_integer_value(json_object_get(exp, "min_quality"));
    if (mq && d.quality < mq)
      fail_msg("%s: quality %u < %lld", cname, d.quality, (long long)mq);
    decoded_free(&d);
  }
  free(html);
  json_decref(exp);
}

static int cmp_names(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_data_cases(void **state)
{
  (void)state;
  const char *dir = getenv("EX_TEST_DATA");
  if (!dir)
    dir = "tests/data/extract";
  DIR *d = opendir(dir);
  if (!d) {
    print_message("test_data_cases: %s not found, skipped\n", dir);
    skip();
  }
  char *names[256];
  size_t n = 0;
  struct dirent *e;
  while ((e = readdir(d)) && n < 256)
    if (e->d_name[0] != '.')
      names[n++] = strdup(e->d_name);
  closedir(d);
  qsort(names, n, sizeof *names, cmp_names);
  assert_true(n >= 8);
  for (size_t i = 0; i < n; i++) {
    run_case(dir, names[i]);
    free(names[i]);
  }
}

/* ---- unit tests ------------------------------------------------------------------------------ */
static void expect_date(const char *in, const char *want)
{
  char out[32];
  size_t n = ex_date_normalise(in, strlen(in), out);
  if (!want) {
    if (n)
      fail_msg("date \"%s\" -> \"%s\", expected none", in, out);
    return;
  }
  if (!n || strcmp(out, want) != 0)
    fail_msg("date \"%s\" -> \"%s\", expected \"%s\"", in, n ? out : "", want);
}

static void test_dates(void **state)
{
  (void)state;
  expect_date("2021-03-04", "2021-03-04");
  expect_date("2021-03-04T05:06:07Z", "2021-03-04T05:06:07Z");
  expect_date("2021-03-04T05:06:07.123+0130", "2021-03-04T05:06:07+01:30");
  expect_date("2021-03-04 05:06", "2021-03-04T05:06:00");
  expect_date("20210304", "2021-03-04");
  expect_date("2021/3/4", "2021-03-04");
  expect_date("04.03.2021", "2021-03-04");
  expect_date("03/04/2021", "2021-03-04"); /* month first when ambiguous */
  expect_date("25/12/2020", "2020-12-25"); /* day first when the first exceeds 12 */
  expect_date("March 4, 2021", "2021-03-04");
  expect_date("Published on 4 Mar 2021", "2021-03-04");
  expect_date("Thu, 04 Mar 2021 05:06:07 GMT", "2021-03-04T05:06:07Z");
  expect_date("4. März 2021", "2021-03-04");
  expect_date("12 de diciembre de 2019", "2019-12-12");
  expect_date("Feb 29, 2020", "2020-02-29"); /* leap day */
  expect_date("Feb 29, 2021", NULL);         /* not a leap year */
  expect_date("2021-13-01", NULL);           /* month 13 */
  expect_date("2021-04-31", NULL);           /* April 31 */
  expect_date("1850-01-01", NULL);           /* out of range */
  expect_date("May 2021", NULL);             /* no day */
  expect_date("", NULL);
  expect_date("no date here at all", NULL);
  expect_date("2021-03-04T25:00", "2021-03-04"); /* bad time: date only */
  char out[32];
  const char *u = "https://x.org/news/2019/07/14/story.html";
  assert_int_equal(ex_date_from_url(u, strlen(u), out), 10);
  assert_string_equal(out, "2019-07-14");
  u = "https://x.org/2019/07/story";
  assert_int_equal(ex_date_from_url(u, strlen(u), out), 0);
  u = "https://x.org/meldungen/29-10-2021";
  assert_int_equal(ex_date_from_url(u, strlen(u), out), 10);
  assert_string_equal(out, "2021-10-29");
  u = "https://x.org/news/23-01-2022-race-report";
  assert_int_equal(ex_date_from_url(u, strlen(u), out), 10);
  assert_string_equal(out, "2022-01-23");
  u = "https://x.org/item/1-23-01-2022"; /* not at the start of a path part */
  assert_int_equal(ex_date_from_url(u, strlen(u), out), 0);
  u = "https://x.org/news/2012-06/04/content_1.htm"; /* a month folder, then the day's */
  assert_int_equal(ex_date_from_url(u, strlen(u), out), 10);
  assert_string_equal(out, "2012-06-04");
  u = "https://x.org/news/2012-06/story"; /* a month is not a day */
  assert_int_equal(ex_date_from_url(u, strlen(u), out), 0);
  expect_date("23.09.22", "2022-09-23");
  expect_date("1.2.22", NULL); /* a version number, not a date */
  expect_date("4.\xE2\x80\x89\x32.\xE2\x80\x89\x32\x30\x32\x32", "2022-02-04"); /* thin spaces */
  expect_date("Von Redaktion 4. 2. 2022.", "2022-02-04");
  expect_date("1. 2. 3", NULL);  /* a list counter */
  expect_date("1. 2. 22", NULL); /* spaced: the year has four digits */
  /* a UTC instant in the page's zone: the local date may be the day before or after */
  size_t n = ex_date_normalise("2020-02-25T02:25:54Z", 20, out);
  assert_int_equal(ex_date_offset(out, n), 0);
  n = ex_date_to_offset(out, n, -5 * 60);
  assert_string_equal(out, "2020-02-24T21:25:54-05:00");
  n = ex_date_normalise("2021-12-31T23:30:00Z", 20, out);
  n = ex_date_to_offset(out, n, 60);
  assert_string_equal(out, "2022-01-01T00:30:00+01:00");
  n = ex_date_normalise("2021-03-01", 10, out);
  assert_int_equal(ex_date_offset(out, n), EX_NO_OFFSET);
  assert_int_equal(ex_date_to_offset(out, n, 60), 10);
}

/* Slashed dates in a page's text, in the order of the page's language (ex_date_day_first). */
static void expect_date_order(const char *in, bool day_first, const char *want)
{
  char out[32];
  size_t n = ex_date_normalise_order(in, strlen(in), day_first, out);
  if (!n || strcmp(out, want) != 0)
    fail_msg("date \"%s\" (%s first) -> \"%s\", expected \"%s\"", in, day_first ? "day" : "month",
             n ? out : "", want);
}

static void test_dates_day_first(void **state)
{
  (void)state;
  expect_date_order("03/05/2022", true, "2022-05-03");
  expect_date_order("03/05/2022", false, "2022-03-05");
  expect_date_order("3/5/2022 22:41", true, "2022-05-03T22:41:00");
  expect_date_order("05/13/2022", true, "2022-05-13");  /* 13 is no month: month first */
  expect_date_order("25/12/2020", false, "2020-12-25"); /* 25 is no month: day first */
  expect_date_order("04.03.2021", false, "2021-03-04"); /* dots: day first in any language */
  expect_date_order("2022/05/03", true, "2022-05-03");  /* year first */
  expect_date_order("4 mai 2022", true, "2022-05-04");  /* textual months unchanged */
  static const char *const dmy[] = {"es",      "pt-BR", "pt_PT", "fr-CA",  "it",        "el",
                                    "Español", "en-GB", "en_au", " en-IN", "es-419, en"};
  for (size_t i = 0; i < sizeof dmy / sizeof dmy[0]; i++)
    if (!ex_date_day_first(dmy[i], strlen(dmy[i])))
      fail_msg("\"%s\" writes slashed dates day first", dmy[i]);
  static const char *const mdy[] = {"en", "en-US", "EN", "de",  "de-DE",   "pl",      "ru",
                                    "ja", "und",   "",   "en-", "en-Latn", "English", "x"};
  for (size_t i = 0; i < sizeof mdy / sizeof mdy[0]; i++)
    if (ex_date_day_first(mdy[i], strlen(mdy[i])))
      fail_msg("\"%s\" is read month first", mdy[i]);
  assert_false(ex_date_day_first(NULL, 0));
}

static void test_quality_formula(void **state)
{
  (void)state;
  ex_quality_in q;
  memset(&q, 0, sizeof q);
  assert_int_equal(ex_quality_score(&q), 0);
  q.has_title = true;
  assert_int_equal(ex_quality_score(&q), 8);
  /* a full article: 400+ words (40), 5+ paragraphs (15), no links (20), all metadata (20),
   * clear candidate (5) = 100 */
  q.words = 1000;
  q.paragraphs = 12;
  q.text_chars = 6000;
  q.link_chars = 0;
  q.has_byline = q.has_date = q.has_language = q.has_description = true;
  assert_int_equal(ex_quality_score(&q), 100);
  /* link density 0.25 halves the link part: 100 - 10 */
  q.link_chars = 1500;
  assert_int_equal(ex_quality_score(&q), 90);
  /* link density >= 0.5: no link part, and a fallback loses the confidence part */
  q.link_chars = 3000;
  q.fallback = true;
  assert_int_equal(ex_quality_score(&q), 75);
  /* 100 words, 1 paragraph, title only, no links: 10 + 3 + 20 + 8 + 5 = 46 */
  memset(&q, 0, sizeof q);
  q.words = 100;
  q.paragraphs = 1;
  q.text_chars = 600;
  q.has_title = true;
  assert_int_equal(ex_quality_score(&q), 46);
}

static void expect_url(const char *base, const char *ref, const char *want)
{
  ex_buf b;
  exb_init(&b, 4096);
  bool ok = ex_url_resolve(base, strlen(base), ref, strlen(ref), &b);
  if (!want) {
    assert_false(ok);
  } else {
    assert_true(ok);
    if (strcmp(b.p, want) != 0)
      fail_msg("resolve(%s, %s) = %s, expected %s", base, ref, b.p, want);
  }
  exb_free(&b);
}

static void test_url_resolution(void **state)
{
  (void)state;
  /* RFC 3986 section 5.4 examples */
  const char *base = "http://a/b/c/d;p?q";
  expect_url(base, "g:h", "g:h");
  expect_url(base, "g", "http://a/b/c/g");
  expect_url(base, "./g", "http://a/b/c/g");
  expect_url(base, "g/", "http://a/b/c/g/");
  expect_url(base, "/g", "http://a/g");
  expect_url(base, "//g", "http://g");
  expect_url(base, "?y", "http://a/b/c/d;p?y");
  expect_url(base, "g?y", "http://a/b/c/g?y");
  expect_url(base, "#s", "http://a/b/c/d;p?q#s");
  expect_url(base, "g#s", "http://a/b/c/g#s");
  expect_url(base, ";x", "http://a/b/c/;x");
  expect_url(base, "", NULL);
  expect_url(base, ".", "http://a/b/c/");
  expect_url(base, "./", "http://a/b/c/");
  expect_url(base, "..", "http://a/b/");
  expect_url(base, "../", "http://a/b/");
  expect_url(base, "../g", "http://a/b/g");
  expect_url(base, "../..", "http://a/");
  expect_url(base, "../../g", "http://a/g");
  expect_url(base, "../../../g", "http://a/g");
  expect_url(base, "/./g", "http://a/g");
  expect_url(base, "/../g", "http://a/g");
  expect_url(base, "g.", "http://a/b/c/g.");
  expect_url(base, "..g", "http://a/b/c/..g");
  expect_url(base, "./../g", "http://a/b/g");
  expect_url(base, "g/./h", "http://a/b/c/g/h");
  expect_url(base, "g/../h", "http://a/b/c/h");
  /* unsafe and whitespace */
  expect_url(base, "javascript:alert(1)", NULL);
  expect_url(base, "  g\n ", "http://a/b/c/g");
  expect_url("", "rel/x", "rel/x"); /* no base: as written */
  expect_url("https://h.org", "x", "https://h.org/x");
}

static dom_node *el(dom_doc *d, dom_node *parent, const char *name, const char *attr,
                    const char *value)
{
  dom_node *n = dom_new_element(d, name, strlen(name), DOM_NS_HTML);
  assert_non_null(n);
  if (attr)
    assert_true(dom_attr_add(d, n, attr, strlen(attr), value, strlen(value)));
  if (parent)
    dom_append_child(parent, n);
  return n;
}

static void txt(dom_doc *d, dom_node *parent, const char *s)
{
  dom_node *t = dom_new_text(d, s, strlen(s));
  assert_non_null(t);
  dom_append_child(parent, t);
}

static bool sel_matches(const char *sel, const dom_node *n)
{
  bool oom = false;
  ex_selector *s = ex_selector_parse(sel, strlen(sel), &oom);
  assert_non_null(s);
  bool r = ex_selector_match(s, n);
  ex_selector_free(s);
  return r;
}

static void test_selectors(void **state)
{
  (void)state;
  dom_doc *d = dom_doc_new(0);
  dom_node *html = el(d, d->root, "html", NULL, NULL);
  dom_node *body = el(d, html, "body", NULL, NULL);
  dom_node *main = el(d, body, "div", "id", "main");
  dom_node *sec = el(d, main, "section", "class", "post  featured");
  dom_node *p = el(d, sec, "p", "data-kind", "lead-para");
  dom_node *a = el(d, p, "a", "href", "https://x.org/doc.pdf");
  assert_true(sel_matches("p", p));
  assert_true(sel_matches("*", p));
  assert_true(sel_matches("P", p)); /* type selectors ignore case */
  assert_true(sel_matches("#main", main));
  assert_false(sel_matches("#Main", main));
  assert_true(sel_matches(".featured", sec));
  assert_true(sel_matches("section.post.featured", sec));
  assert_false(sel_matches(".feat", sec));
  assert_true(sel_matches("[data-kind]", p));
  assert_true(sel_matches("[data-kind=lead-para]", p));
  assert_true(sel_matches("[data-kind=\"lead-para\"]", p));
  assert_true(sel_matches("[data-kind^=lead]", p));
  assert_true(sel_matches("[data-kind$='para']", p));
  assert_true(sel_matches("[data-kind*=d-p]", p));
  assert_true(sel_matches("[data-kind|=lead]", p));
  assert_true(sel_matches("[class~=post]", sec));
  assert_true(sel_matches("a[href$=\".pdf\"]", a));
  assert_true(sel_matches("#main p", p));
  assert_true(sel_matches("#main > section > p", p));
  assert_false(sel_matches("#main > p", p));
  assert_true(sel_matches("body #main section p a", a));
  assert_true(sel_matches("h1, div p, span", p));
  assert_false(sel_matches("h1, span", p));
  static const char *const bad[] = {
      "",   "p:first-child", "a + b", "a ~ b",  "[x",       "[x=]", ".",      "#",
      "p,", ", p",           "p >",   "[x!=y]", "::before", "ns|p", "p > > a"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    bool oom = true;
    ex_selector *s = ex_selector_parse(bad[i], strlen(bad[i]), &oom);
    if (s)
      fail_msg("selector \"%s\" accepted", bad[i]);
    assert_false(oom);
  }
  dom_doc_free(d);
}

static void test_language_guess(void **state)
{
  (void)state;
  static const struct {
    const char *text, *want;
  } cases[] = {
      {"The quick brown fox jumps over the lazy dog and the cat, which is what this sentence is "
       "for, that is to say the test of the language guess.",
       "en"},
      {"Der schnelle braune Fuchs springt über den faulen Hund, und das ist nicht die erste "
       "Geschichte, die sich mit dem Thema auf diese Weise beschäftigt.",
       "de"},
      {"Le renard brun rapide saute par-dessus le chien paresseux, et c'est une histoire que les "
       "enfants connaissent dans les écoles pour apprendre.",
       "fr"},
      {"El rápido zorro marrón salta sobre el perro perezoso, y es una historia que los niños "
       "conocen para aprender la lengua con las palabras.",
       "es"},
      {"Быстрая коричневая лиса прыгает через ленивую собаку, и это история, которую знают все "
       "дети в школе.",
       "ru"},
      {"日本語の文章です。これはテストのための文です。ひらがなとカタカナが含まれています。", "ja"},
      {"这是一个用于测试语言识别的中文句子，其中只有汉字和标点符号。我们希望它被识别为中文。",
       "zh"},
      {"이것은 언어 감지를 테스트하기 위한 한국어 문장입니다. 한글만 포함되어 있습니다.", "ko"},
      {"هذه جملة باللغة العربية لاختبار التعرف على اللغة في النص المستخرج من الصفحة.", "ar"},
      {"Αυτή είναι μια ελληνική πρόταση για τη δοκιμή της αναγνώρισης γλώσσας.", "el"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const char *g = ex_lang_guess(cases[i].text, strlen(cases[i].text));
    if (!g || strcmp(g, cases[i].want) != 0)
      fail_msg("guess %zu: %s, expected %s", i, g ? g : "(none)", cases[i].want);
  }
  assert_null(ex_lang_guess("12345 !!! ???", 13));
  assert_null(ex_lang_guess("", 0));
  /* declared languages: a lower-case primary subtag, or none */
  static const struct {
    const char *in, *want;
  } decl[] = {{"de-DE", "de"},     {"DE", "de"},
              {" en_US ", "en"},   {"German", "de"},
              {"Deutsch", "de"},   {"français", "fr"},
              {"deu", "de"},       {"iw", "he"},
              {"de, en", "de"},    {"zh-Hant-TW", "zh"},
              {"und", NULL},       {"", NULL},
              {"x-klingon", NULL}, {"english please", NULL},
              {"e", NULL},         {"1234", NULL}};
  for (size_t i = 0; i < sizeof decl / sizeof decl[0]; i++) {
    char tag[4];
    bool ok = ex_lang_normalise(decl[i].in, strlen(decl[i].in), tag);
    if (!decl[i].want ? ok : (!ok || strcmp(tag, decl[i].want) != 0))
      fail_msg("language \"%s\" -> \"%s\", expected %s", decl[i].in, ok ? tag : "(none)",
               decl[i].want ? decl[i].want : "none");
  }
  /* a long text in one language contradicts another declared one; a close relative does not */
  const char *de = "Die Stadt hat sich entschieden, und das ist nicht mit einer Stimme geschehen, "
                   "sondern mit der Mehrheit der Bürger, die auf der Versammlung auch für eine "
                   "neue Brücke gestimmt haben, die über den Fluss führen soll.";
  const char *g = NULL;
  assert_true(ex_lang_text_contradicts("en", de, strlen(de), &g));
  assert_string_equal(g, "de");
  assert_false(ex_lang_text_contradicts("de", de, strlen(de), &g));
  assert_false(ex_lang_contradicts("no", "da"));
  assert_true(ex_lang_contradicts("en", "fr"));
}

static void test_serialisers_on_built_tree(void **state)
{
  (void)state;
  dom_doc *d = dom_doc_new(0);
  dom_node *root = el(d, d->root, "div", NULL, NULL);
  dom_node *h = el(d, root, "h2", NULL, NULL);
  txt(d, h, "Title");
  dom_node *p = el(d, root, "p", NULL, NULL);
  txt(d, p, "  Hello ");
  dom_node *b = el(d, p, "b", NULL, NULL);
  txt(d, b, "bold");
  txt(d, p, "world\n and   more ");
  el(d, p, "br", NULL, NULL);
  txt(d, p, "next line");
  dom_node *ul = el(d, root, "ul", NULL, NULL);
  txt(d, el(d, ul, "li", NULL, NULL), "one");
  txt(d, el(d, ul, "li", NULL, NULL), "two");
  ex_buf t;
  exb_init(&t, 0);
  ex_text_serialise(root, &t);
  assert_string_equal(t.p, "Title\n\nHello boldworld and more\nnext line\n\none\ntwo");
  ex_buf m;
  exb_init(&m, 0);
  ex_markdown_serialise(root, "", 0, &m);
  assert_string_equal(m.p, "## Title\n\nHello **bold**world and more\\\nnext line\n\n- one\n- two");
  assert_int_equal(ex_word_count(t.p, t.len, NULL), 9);
  uint32_t cjk = 0;
  assert_int_equal(ex_word_count("漢字 and text", strlen("漢字 and text"), &cjk), 4);
  assert_int_equal(cjk, 2);
  exb_free(&t);
  exb_free(&m);
  dom_doc_free(d);
}

static void test_deep_tree_is_iterative(void **state)
{
  (void)state;
  /* 100,000 nested divs through the whole pipeline: no recursion may blow the stack */
  size_t depth = 100000;
  size_t cap = depth * 11 + 64;
  char *html = malloc(cap);
  assert_non_null(html);
  size_t n = 0;
  for (size_t i = 0; i < depth; i++) {
    memcpy(html + n, "<div>", 5);
    n += 5;
  }
  memcpy(html + n, "deep text", 9);
  n += 9;
  ex_options o;
  ex_options_init(&o);
  o.html = true;
  for (uint32_t mode = 0; mode < 3; mode++) {
    o.mode = mode;
    decoded dd;
    rt_guest_status st = run(html, n, "", &o, &dd);
    assert_int_equal(st, RT_GUEST_OK);
    if (mode != 2)
      assert_non_null(strstr(field(&dd, "text"), "deep text"));
    decoded_free(&dd);
  }
  free(html);
}

static void test_options(void **state)
{
  (void)state;
  ex_options o;
  ex_options_init(&o);
  assert_int_equal(o.mode, 0);
  assert_true(o.markdown && o.links && o.media && !o.html);
  char scratch[64];
  const char *opts = "markdown=0\nhtml=1\r\nselector=div.a > p\n\nlinks=false\nmedia=1";
  assert_int_equal(ex_options_parse(&o, opts, strlen(opts), scratch, sizeof scratch), RT_GUEST_OK);
  assert_false(o.markdown);
  assert_true(o.html);
  assert_false(o.links);
  assert_true(o.media);
  assert_string_equal(o.selector, "div.a > p");
  assert_int_equal(ex_options_parse(&o, "bogus=1", 7, scratch, sizeof scratch), RT_GUEST_BAD_ARGS);
  assert_int_equal(ex_options_parse(&o, "html=maybe", 10, scratch, sizeof scratch),
                   RT_GUEST_BAD_ARGS);
  assert_int_equal(ex_options_parse(&o, "noequals", 8, scratch, sizeof scratch), RT_GUEST_BAD_ARGS);
  assert_int_equal(ex_options_parse(&o, "selector=0123456789", 19, scratch, 5), RT_GUEST_BAD_ARGS);
  const char *info = ex_info();
  json_error_t err;
  json_t *j = json_loads(info, 0, &err);
  assert_non_null(j);
  assert_int_equal(json_array_size(json_object_get(j, "modes")), 4);
  json_decref(j);
  /* bad mode */
  rt_wire_writer w;
  rt_wire_init(&w);
  o.mode = 7;
  assert_int_equal(ex_extract("<p>x</p>", 8, "", 0, &o, &w), RT_GUEST_BAD_ARGS);
  rt_wire_reset(&w);
}

static void test_memory_limit_and_modes(void **state)
{
  (void)state;
  /* a page far larger than a 64 KiB parse bound: a clean NOMEM, never a crash */
  size_t n = 0, cap = 2 << 20;
  char *html = malloc(cap);
  assert_non_null(html);
  while (n + 64 < cap) {
    memcpy(html + n, "<p class=\"x\">some words, in a paragraph</p>", 43);
    n += 43;
  }
  ex_options o;
  ex_options_init(&o);
  o.mem_limit = 64 << 10;
  rt_wire_writer w;
  rt_wire_init(&w);
  rt_guest_status st = ex_extract(html, n, "", 0, &o, &w);
  assert_true(st == RT_GUEST_NOMEM || st == RT_GUEST_PARSE_LIMIT);
  rt_wire_reset(&w);
  /* unbounded: fine */
  o.mem_limit = 0;
  decoded d;
  assert_int_equal(run(html, n, "", &o, &d), RT_GUEST_OK);
  assert_true(d.word_count > 100000);
  decoded_free(&d);
  /* metadata mode: no body work, no text, a metadata-only quality (<= 20) */
  o.mode = 2;
  assert_int_equal(run(html, n, "", &o, &d), RT_GUEST_OK);
  assert_false(d.has_text);
  assert_true(d.quality <= 20);
  decoded_free(&d);
  free(html);
}

/* fuzz/corpus/extract through the fuzz target itself (it aborts on a broken invariant). */
static void test_fuzz_corpus_replay(void **state)
{
  (void)state;
  const char *dir = "fuzz/corpus/extract";
  DIR *d = opendir(dir);
  if (!d) {
    printf("fuzz corpus replay: skipped (%s not found; run from the source tree)\n", dir);
    skip();
  }
  struct dirent *de;
  size_t files = 0;
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    size_t n = 0;
    char *buf = slurp(path, &n);
    if (!buf)
      continue;
    LLVMFuzzerTestOneInput((const uint8_t *)buf, n);
    free(buf);
    files++;
  }
  closedir(d);
  assert_true(files > 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dates),
      cmocka_unit_test(test_dates_day_first),
      cmocka_unit_test(test_quality_formula),
      cmocka_unit_test(test_url_resolution),
      cmocka_unit_test(test_selectors),
      cmocka_unit_test(test_language_guess),
      cmocka_unit_test(test_serialisers_on_built_tree),
      cmocka_unit_test(test_options),
      cmocka_unit_test(test_deep_tree_is_iterative),
      cmocka_unit_test(test_memory_limit_and_modes),
      cmocka_unit_test(test_data_cases),
      cmocka_unit_test(test_fuzz_corpus_replay),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
