/*
 * output.c - one document (or one failed input) as the text the user asked for, appended to
 * a buffer the caller reuses from page to page (no per-page allocation once it has grown).
 */
#include "cli/cli.h"

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

/* A YAML double-quoted scalar (JSON string syntax is valid YAML). */
static void yaml_field(rt_buf *b, const char *key, const char *value)
{
  if (!value)
    return;
  rt_buf_puts(b, key);
  rt_buf_puts(b, ": ");
  rt_json_put_cstr(b, value);
  rt_buf_puts(b, "\n");
}

static void metadata_block(rt_buf *b, const riptide_document *d, bool yaml)
{
  if (yaml)
    rt_buf_puts(b, "---\n");
  yaml_field(b, "title", d->title);
  yaml_field(b, "author", d->byline);
  yaml_field(b, "date", d->date);
  yaml_field(b, "url", d->canonical_url ? d->canonical_url : d->url);
  yaml_field(b, "site_name", d->site_name);
  yaml_field(b, "description", d->description);
  yaml_field(b, "language", d->language);
  if (d->n_categories) {
    rt_buf_puts(b, "categories: [");
    for (size_t i = 0; i < d->n_categories; i++) {
      if (!d->categories[i])
        continue;
      rt_buf_puts(b, i ? ", " : "");
      rt_json_put_cstr(b, d->categories[i]);
    }
    rt_buf_puts(b, "]\n");
  }
  char tmp[96];
  snprintf(tmp, sizeof tmp, "word_count: %u\nengine: %s\n", d->word_count,
           d->engine ? d->engine : "unknown");
  rt_buf_puts(b, tmp);
  if (yaml)
    rt_buf_puts(b, "---\n");
  rt_buf_puts(b, "\n");
}

bool cli_format_document(const cli_config *c, const riptide_document *d, const char *id, rt_buf *b)
{
  if (c->format == CLI_FMT_JSON || c->format == CLI_FMT_JSONL) {
    if (!rt_document_json_write(b, d, id, c->format == CLI_FMT_JSON))
      return false;
    rt_buf_put(b, "\n", 1);
    return !b->failed;
  }
  size_t start = b->len;
  if (c->with_metadata)
    metadata_block(b, d, c->format == CLI_FMT_MARKDOWN);
  if (c->format == CLI_FMT_MARKDOWN) {
    const char *md = d->markdown ? d->markdown : "";
    /* Lead with the title as a heading unless the content already starts with one. */
    if (d->title && strncmp(md, "# ", 2) != 0) {
      rt_buf_puts(b, "# ");
      rt_buf_puts(b, d->title);
      rt_buf_puts(b, "\n\n");
    }
    rt_buf_puts(b, md);
  } else {
    rt_buf_puts(b, d->text ? d->text : "");
  }
  if (b->len == start || b->p[b->len - 1] != '\n')
    rt_buf_puts(b, "\n");
  return !b->failed;
}

bool cli_format_error(const cli_config *c, const char *id, riptide_err err, const char *detail,
                      rt_buf *b)
{
  bool pretty = c->format == CLI_FMT_JSON;
  const char *msg = detail && *detail ? detail : riptide_strerror(err);
  rt_buf_puts(b, pretty ? "{\n  \"id\": " : "{\"id\":");
  rt_json_put_cstr(b, id ? id : "?");
  rt_buf_puts(b, pretty ? ",\n  \"error\": {\n    \"code\": " : ",\"error\":{\"code\":");
  rt_json_put_cstr(b, riptide_err_name(err));
  rt_buf_puts(b, pretty ? ",\n    \"message\": " : ",\"message\":");
  rt_json_put_cstr(b, msg);
  rt_buf_puts(b, pretty ? "\n  }\n}\n" : "}}\n");
  return !b->failed;
}
