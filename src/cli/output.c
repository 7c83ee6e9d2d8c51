/*
 * output.c - one document (or one failed input) as the text the user asked for, appended to
 * a buffer the caller reuses from page to page (no per-page allocation once it has grown).
 */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

/* ---- buffer ------------------------------------------------------------------------------- */

/* Room for `extra` more bytes and the NUL; false (and `failed`) when impossible. */
static bool reserve(cli_buf *b, size_t extra)
{
  if (b->failed)
    return false;
  size_t max = b->max && b->max < CLI_BUF_MAX ? b->max : CLI_BUF_MAX;
  if (extra > max || b->len > max - extra) {
    b->failed = true;
    return false;
  }
  size_t need = b->len + extra + 1;
  if (need <= b->cap)
    return true;
  size_t nc = b->cap ? b->cap : 4096;
  while (nc < need)
    nc *= 2;
  if (nc > CLI_BUF_MAX + 1)
    nc = CLI_BUF_MAX + 1;
  char *np = realloc(b->p, nc);
  if (!np) {
    b->failed = true;
    return false;
  }
  b->p = np;
  b->cap = nc;
  return true;
}

void cli_buf_put(cli_buf *b, const char *s, size_t n)
{
  if (!reserve(b, n))
    return;
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

void cli_buf_puts(cli_buf *b, const char *s)
{
  cli_buf_put(b, s, strlen(s));
}

void cli_buf_free(cli_buf *b)
{
  free(b->p);
  memset(b, 0, sizeof *b);
}

void cli_json_string(cli_buf *b, const char *str)
{
  if (!str) {
    cli_buf_put(b, "null", 4);
    return;
  }
  static const char hex[] = "0123456789ABCDEF";
  const unsigned char *s = (const unsigned char *)str;
  cli_buf_put(b, "\"", 1);
  while (*s) {
    const unsigned char *run = s;
    while (*s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\')
      s++;
    if (s > run)
      cli_buf_put(b, (const char *)run, (size_t)(s - run));
    if (!*s)
      break;
    unsigned char c = *s;
    char esc[8] = {'\\', 0};
    size_t k = 2;
    if (c >= 0x80) {
      size_t n = cli_utf8_seq_len(s);
      if (n) {
        cli_buf_put(b, (const char *)s, n);
      } else {
        cli_buf_put(b, "\xEF\xBF\xBD", 3); /* not well-formed UTF-8 */
        n = 1;
      }
      s += n;
      continue;
    }
    switch (c) {
    case '"':
    case '\\':
      esc[1] = (char)c;
      break;
    case '\b':
      esc[1] = 'b';
      break;
    case '\f':
      esc[1] = 'f';
      break;
    case '\n':
      esc[1] = 'n';
      break;
    case '\r':
      esc[1] = 'r';
      break;
    case '\t':
      esc[1] = 't';
      break;
    default:
      memcpy(esc + 1, "u00", 3);
      esc[4] = hex[c >> 4];
      esc[5] = hex[c & 15];
      k = 6;
      break;
    }
    cli_buf_put(b, esc, k);
    s++;
  }
  cli_buf_put(b, "\"", 1);
}

/* ---- formats ------------------------------------------------------------------------------ */

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
static void yaml_field(cli_buf *b, const char *key, const char *value)
{
  if (!value)
    return;
  cli_buf_puts(b, key);
  cli_buf_puts(b, ": ");
  cli_json_string(b, value);
  cli_buf_puts(b, "\n");
}

/* The id as one line: JSON escapes (control characters, '"', '\\') without the quotes. */
static void id_line(cli_buf *b, const char *id)
{
  cli_buf t = {0};
  cli_json_string(&t, id ? id : "");
  if (t.failed)
    b->failed = true;
  else if (t.len >= 2)
    cli_buf_put(b, t.p + 1, t.len - 2);
  cli_buf_free(&t);
}

/* `id` set: the document is one of several in a stream (cli_config.multi_doc), and the
 * block starts with it. */
static void metadata_block(cli_buf *b, const riptide_document *d, bool yaml, const char *id)
{
  if (yaml)
    cli_buf_puts(b, "---\n");
  if (id && yaml)
    yaml_field(b, "id", id);
  yaml_field(b, "title", d->title);
  yaml_field(b, "author", d->byline);
  yaml_field(b, "date", d->date);
  yaml_field(b, "url", d->canonical_url ? d->canonical_url : d->url);
  yaml_field(b, "site_name", d->site_name);
  yaml_field(b, "description", d->description);
  yaml_field(b, "language", d->language);
  if (d->n_categories) {
    cli_buf_puts(b, "categories: [");
    for (size_t i = 0; i < d->n_categories; i++) {
      if (!d->categories[i])
        continue;
      cli_buf_puts(b, i ? ", " : "");
      cli_json_string(b, d->categories[i]);
    }
    cli_buf_puts(b, "]\n");
  }
  char tmp[96];
  snprintf(tmp, sizeof tmp, "word_count: %u\nengine: %s\n", d->word_count,
           d->engine ? d->engine : "unknown");
  cli_buf_puts(b, tmp);
  if (yaml)
    cli_buf_puts(b, "---\n");
  cli_buf_puts(b, "\n");
}

/* Appends s; in a multi-document stream, a line that would read as the start of the next
 * document gets one leading space, so that it cannot: in Markdown a "---" line followed by an
 * "id: " line (" ---" is still the same thematic break), in text a line "==> ... <==". */
static void put_body(const cli_config *c, cli_buf *b, const char *s)
{
  if (!c->multi_doc) {
    cli_buf_puts(b, s);
    return;
  }
  bool md = c->format == CLI_FMT_MARKDOWN;
  const char *p = s;
  while (*p) {
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (md ? n == 3 && memcmp(p, "---", 3) == 0 && e && strncmp(e + 1, "id: ", 4) == 0
           : n >= 8 && memcmp(p, "==> ", 4) == 0 && memcmp(p + n - 4, " <==", 4) == 0)
      cli_buf_put(b, " ", 1);
    cli_buf_put(b, p, n);
    if (!e)
      break;
    cli_buf_put(b, "\n", 1);
    p = e + 1;
  }
}

bool cli_format_document(const cli_config *c, const riptide_document *d, const char *id, cli_buf *b)
{
  if (c->format == CLI_FMT_JSON || c->format == CLI_FMT_JSONL) {
    /* The library's serialisation (one allocation, appended to the slot's buffer). */
    char *json = riptide_document_to_json(d, id, c->format == CLI_FMT_JSON);
    if (!json)
      return false;
    cli_buf_puts(b, json);
    free(json);
    cli_buf_put(b, "\n", 1);
    return !b->failed;
  }
  size_t start = b->len;
  bool md = c->format == CLI_FMT_MARKDOWN;
  if (c->multi_doc && !md) {
    cli_buf_puts(b, "==> ");
    id_line(b, id);
    cli_buf_puts(b, " <==\n");
  }
  if (c->with_metadata) {
    metadata_block(b, d, md, c->multi_doc ? id : NULL);
  } else if (c->multi_doc && md) {
    cli_buf_puts(b, "---\n");
    yaml_field(b, "id", id ? id : "");
    yaml_field(b, "url", d->url ? d->url : d->canonical_url);
    yaml_field(b, "title", d->title);
    cli_buf_puts(b, "---\n\n");
  }
  if (md) {
    const char *mdt = d->markdown ? d->markdown : "";
    /* Lead with the title as a heading unless the content already starts with one. */
    if (d->title && strncmp(mdt, "# ", 2) != 0) {
      cli_buf_puts(b, "# ");
      cli_buf_puts(b, d->title);
      cli_buf_puts(b, "\n\n");
    }
    put_body(c, b, mdt);
  } else {
    put_body(c, b, d->text ? d->text : "");
  }
  if (b->len == start || b->p[b->len - 1] != '\n')
    cli_buf_puts(b, "\n");
  return !b->failed;
}

bool cli_format_error(const cli_config *c, const char *id, riptide_err err, const char *detail,
                      cli_buf *b)
{
  bool pretty = c->format == CLI_FMT_JSON;
  const char *msg = detail && *detail ? detail : riptide_strerror(err);
  cli_buf_puts(b, pretty ? "{\n  \"id\": " : "{\"id\":");
  cli_json_string(b, id ? id : "?");
  cli_buf_puts(b, pretty ? ",\n  \"error\": {\n    \"code\": " : ",\"error\":{\"code\":");
  cli_json_string(b, riptide_err_name(err));
  cli_buf_puts(b, pretty ? ",\n    \"message\": " : ",\"message\":");
  cli_json_string(b, msg);
  cli_buf_puts(b, pretty ? "\n  }\n}\n" : "}}\n");
  return !b->failed;
}

bool cli_add_warc_fields(cli_buf *o, bool pretty, const char *warc_date, const char *warc_file)
{
  size_t end = o->len;
  while (end > 0 && o->p[end - 1] != '}')
    end--;
  if (end == 0)
    return false;
  size_t tail_len = o->len - end; /* the newline after the object */
  char tail[4];
  if (tail_len >= sizeof tail)
    return false;
  memcpy(tail, o->p + end, tail_len);
  o->len = end - 1; /* drop the closing brace; pretty output had "\n}" */
  if (pretty && o->len > 0 && o->p[o->len - 1] == '\n')
    o->len--;
  cli_buf_puts(o, pretty ? ",\n  \"warc_date\": " : ",\"warc_date\":");
  if (warc_date && warc_date[0])
    cli_json_string(o, warc_date);
  else
    cli_buf_puts(o, "null");
  cli_buf_puts(o, pretty ? ",\n  \"warc_file\": " : ",\"warc_file\":");
  cli_json_string(o, warc_file);
  cli_buf_puts(o, pretty ? "\n}" : "}");
  cli_buf_put(o, tail, tail_len);
  return !o->failed;
}
