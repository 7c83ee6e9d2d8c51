/*
 * output.c - one document (or one failed input) as the text the user asked for.
 */
#include "cli/cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

const char *cli_format_ext(cli_format f)
{
  switch (f) {
  case CLI_FMT_JSON:
    return ".json";
  case CLI_FMT_JSONL:
    return ".jsonl";
  case CLI_FMT_MARKDOWN:
    return ".md";
  case CLI_FMT_TXT:
    return ".txt";
  }
  return ".out";
}

typedef struct sbuf {
  char *p;
  size_t len, cap;
  bool nomem;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
  if (b->nomem)
    return;
  if (b->len + n + 1 > b->cap) {
    size_t nc = b->cap ? b->cap : 1024;
    while (nc < b->len + n + 1)
      nc *= 2;
    char *np = realloc(b->p, nc);
    if (!np) {
      b->nomem = true;
      return;
    }
    b->p = np;
    b->cap = nc;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s)
{
  sb_add(b, s, strlen(s));
}

static char *sb_take(sbuf *b)
{
  if (b->nomem) {
    free(b->p);
    return NULL;
  }
  if (!b->p)
    return strdup("");
  return b->p;
}

/* A YAML double-quoted scalar (JSON string syntax is valid YAML). */
static void yaml_field(sbuf *b, const char *key, const char *value)
{
  if (!value)
    return;
  json_t *s = json_string(value);
  char *q = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
  json_decref(s);
  if (!q)
    return;
  sb_puts(b, key);
  sb_puts(b, ": ");
  sb_puts(b, q);
  sb_puts(b, "\n");
  free(q);
}

static void metadata_block(sbuf *b, const riptide_document *d, bool yaml)
{
  if (yaml)
    sb_puts(b, "---\n");
  yaml_field(b, "title", d->title);
  yaml_field(b, "author", d->byline);
  yaml_field(b, "date", d->date);
  yaml_field(b, "url", d->canonical_url ? d->canonical_url : d->url);
  yaml_field(b, "site_name", d->site_name);
  yaml_field(b, "description", d->description);
  yaml_field(b, "language", d->language);
  if (d->n_categories) {
    sb_puts(b, "categories: [");
    for (size_t i = 0; i < d->n_categories; i++) {
      json_t *s = json_string(d->categories[i]);
      char *q = s ? json_dumps(s, JSON_ENCODE_ANY) : NULL;
      json_decref(s);
      if (q) {
        sb_puts(b, i ? ", " : "");
        sb_puts(b, q);
        free(q);
      }
    }
    sb_puts(b, "]\n");
  }
  char tmp[96];
  snprintf(tmp, sizeof tmp, "word_count: %u\nengine: %s\n", d->word_count,
           d->engine ? d->engine : "unknown");
  sb_puts(b, tmp);
  if (yaml)
    sb_puts(b, "---\n");
  sb_puts(b, "\n");
}

char *cli_format_document(const cli_config *c, const riptide_document *d, const char *id)
{
  if (c->format == CLI_FMT_JSON || c->format == CLI_FMT_JSONL) {
    char *j = riptide_document_to_json(d, id, c->format == CLI_FMT_JSON);
    if (!j)
      return NULL;
    size_t n = strlen(j);
    char *o = realloc(j, n + 2);
    if (!o) {
      free(j);
      return NULL;
    }
    o[n] = '\n';
    o[n + 1] = '\0';
    return o;
  }
  sbuf b = {0};
  if (c->with_metadata)
    metadata_block(&b, d, c->format == CLI_FMT_MARKDOWN);
  if (c->format == CLI_FMT_MARKDOWN) {
    const char *md = d->markdown ? d->markdown : "";
    /* Lead with the title as a heading unless the content already starts with one. */
    if (d->title && strncmp(md, "# ", 2) != 0) {
      sb_puts(&b, "# ");
      sb_puts(&b, d->title);
      sb_puts(&b, "\n\n");
    }
    sb_puts(&b, md);
  } else {
    sb_puts(&b, d->text ? d->text : "");
  }
  if (b.len == 0 || b.p[b.len - 1] != '\n')
    sb_puts(&b, "\n");
  return sb_take(&b);
}

char *cli_format_error(const cli_config *c, const char *id, riptide_err err, const char *detail)
{
  json_t *o = json_object();
  json_t *e = json_object();
  if (!o || !e) {
    json_decref(o);
    json_decref(e);
    return NULL;
  }
  json_t *jid = json_string(id);
  json_object_set_new(o, "id", jid ? jid : json_string("?"));
  json_object_set_new(e, "code", json_string(riptide_err_name(err)));
  const char *msg = detail && *detail ? detail : riptide_strerror(err);
  json_t *m = json_string(msg);
  json_object_set_new(e, "message", m ? m : json_string(riptide_strerror(err)));
  json_object_set_new(o, "error", e);
  char *j = json_dumps(o, c->format == CLI_FMT_JSON ? JSON_INDENT(2) : JSON_COMPACT);
  json_decref(o);
  if (!j)
    return NULL;
  size_t n = strlen(j);
  char *out = realloc(j, n + 2);
  if (!out) {
    free(j);
    return NULL;
  }
  out[n] = '\n';
  out[n + 1] = '\0';
  return out;
}
