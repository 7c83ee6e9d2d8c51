/*
 * document.c - the document object, extraction option defaults, and a document's JSON.
 *
 * The JSON schema (field names, order, types) is documented in docs/schema.md. Fields are
 * written in a fixed order, `id` first when given, so that JSON-lines output diffs cleanly.
 * Strings that are not valid UTF-8 (a guest or a page can produce them) are repaired with
 * U+FFFD rather than dropped: jansson refuses invalid UTF-8, and losing a whole field for one
 * bad byte would be worse than a replacement character.
 */
#include "riptide.h"
#include "common/utf8.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

riptide_document *riptide_document_new(void)
{
  riptide_document *doc = calloc(1, sizeof *doc);
  if (doc)
    doc->quality_score = -1;
  return doc;
}

void riptide_document_free(riptide_document *doc)
{
  if (!doc)
    return;
  free(doc->url);
  free(doc->canonical_url);
  free(doc->title);
  free(doc->byline);
  free(doc->date);
  free(doc->site_name);
  free(doc->description);
  free(doc->language);
  free(doc->text);
  free(doc->markdown);
  free(doc->html);
  for (size_t i = 0; i < doc->n_links; i++) {
    free(doc->links[i].href);
    free(doc->links[i].text);
  }
  free(doc->links);
  for (size_t i = 0; i < doc->n_media; i++) {
    free(doc->media[i].src);
    free(doc->media[i].alt);
    free(doc->media[i].kind);
  }
  free(doc->media);
  for (size_t i = 0; i < doc->n_categories; i++)
    free(doc->categories[i]);
  free(doc->categories);
  free(doc);
}

void riptide_options_init(riptide_options *o)
{
  if (!o)
    return;
  memset(o, 0, sizeof *o);
  o->mode = RIPTIDE_MODE_ARTICLE;
  o->selector = NULL;
  o->want_markdown = true;
  o->want_html = false;
  o->want_links = true;
  o->want_media = true;
}

/* A JSON string for s; invalid UTF-8 bytes become U+FFFD. NULL s gives JSON null. */
static json_t *jstr(const char *s)
{
  if (!s)
    return json_null();
  size_t len = strlen(s);
  json_t *j = json_stringn(s, len);
  if (j)
    return j;
  /* Repair: each invalid byte becomes the 3-byte U+FFFD, so 3x is the worst case. */
  if (len > (SIZE_MAX - 1) / 3)
    return NULL;
  char *fixed = malloc(len * 3 + 1);
  if (!fixed)
    return NULL;
  size_t o = 0;
  const unsigned char *u = (const unsigned char *)s;
  for (size_t i = 0; i < len;) {
    size_t n = rt_utf8_seq_len(u + i, len - i);
    if (n == 0) {
      fixed[o++] = (char)0xEF;
      fixed[o++] = (char)0xBF;
      fixed[o++] = (char)0xBD;
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

/* Adds key -> value, taking ownership of value; false on failure (value freed). */
static bool put(json_t *obj, const char *key, json_t *value)
{
  if (!value)
    return false;
  return json_object_set_new(obj, key, value) == 0;
}

static json_t *ms_of_ns(uint64_t ns)
{
  /* Rounded to microseconds so that the printed value stays short. */
  return json_real((double)(ns / 1000) / 1000.0);
}

char *riptide_document_to_json(const riptide_document *doc, const char *id, bool pretty)
{
  if (!doc)
    return NULL;
  json_t *o = json_object();
  if (!o)
    return NULL;
  bool ok = true;
  if (id)
    ok = ok && put(o, "id", jstr(id));
  ok = ok && put(o, "url", jstr(doc->url));
  ok = ok && put(o, "title", jstr(doc->title));
  ok = ok && put(o, "byline", jstr(doc->byline));
  ok = ok && put(o, "date", jstr(doc->date));
  ok = ok && put(o, "site_name", jstr(doc->site_name));
  ok = ok && put(o, "description", jstr(doc->description));
  ok = ok && put(o, "language", jstr(doc->language));
  ok = ok && put(o, "canonical_url", jstr(doc->canonical_url));
  ok = ok && put(o, "text", jstr(doc->text));
  ok = ok && put(o, "markdown", jstr(doc->markdown));
  if (doc->html)
    ok = ok && put(o, "html", jstr(doc->html));

  json_t *links = json_array();
  ok = ok && links && put(o, "links", links);
  for (size_t i = 0; ok && i < doc->n_links; i++) {
    json_t *l = json_object();
    ok = l && json_array_append_new(links, l) == 0;
    ok = ok && put(l, "href", jstr(doc->links[i].href));
    ok = ok && put(l, "text", jstr(doc->links[i].text));
  }
  json_t *media = json_array();
  ok = ok && media && put(o, "media", media);
  for (size_t i = 0; ok && i < doc->n_media; i++) {
    json_t *m = json_object();
    ok = m && json_array_append_new(media, m) == 0;
    ok = ok && put(m, "src", jstr(doc->media[i].src));
    ok = ok && put(m, "alt", jstr(doc->media[i].alt));
    ok = ok && put(m, "kind", jstr(doc->media[i].kind));
  }
  json_t *cats = json_array();
  ok = ok && cats && put(o, "categories", cats);
  for (size_t i = 0; ok && i < doc->n_categories; i++) {
    json_t *c = jstr(doc->categories[i]);
    ok = c && json_array_append_new(cats, c) == 0;
  }
  ok = ok && put(o, "word_count", json_integer(doc->word_count));
  ok = ok && put(o, "reading_time", json_integer(doc->reading_time));
  ok = ok && put(o, "quality_score",
                 doc->quality_score < 0 ? json_null() : json_integer(doc->quality_score));
  ok = ok && put(o, "engine", jstr(doc->engine));
  ok = ok && put(o, "fallback_reason", jstr(doc->fallback_reason));
  if (doc->fallback_reason && doc->guest_error != RIPTIDE_OK)
    ok = ok && put(o, "guest_error", jstr(riptide_err_name(doc->guest_error)));
  if (doc->trap != RIPTIDE_TRAP_NONE)
    ok = ok && put(o, "trap", jstr(riptide_trap_name(doc->trap)));
  ok = ok && put(o, "wait_ms", ms_of_ns(doc->wait_ns));
  ok = ok && put(o, "extract_ms", ms_of_ns(doc->extract_ns));

  char *out = NULL;
  if (ok) {
    size_t flags = JSON_REAL_PRECISION(12) | JSON_PRESERVE_ORDER;
    flags |= pretty ? JSON_INDENT(2) : JSON_COMPACT;
    out = json_dumps(o, flags);
  }
  json_decref(o);
  return out;
}
