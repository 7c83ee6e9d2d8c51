/*
 * corpus.c - the corpus filters of `riptide extract` and the skipped result's line (corpus.h).
 *
 * Order: a document is tested against --target-language, then --min-words, then --min-quality
 * (the first that fails names the reason), and only a document that passes them all takes part
 * in --dedupe: it is compared with the documents kept before it and, once it is written,
 * added to them. So "duplicate_of" always names a document that is in the output.
 */
#include "cli/corpus.h"
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

void cli_corpus_opts_init(cli_corpus_opts *o)
{
  memset(o, 0, sizeof *o);
  o->min_quality = -1;
  o->dedupe_distance = CLI_DEDUPE_DISTANCE_DEFAULT;
}

bool cli_corpus_active(const cli_corpus_opts *o)
{
  return o->n_langs > 0 || o->min_words > 0 || o->min_quality >= 0 || o->dedupe;
}

bool cli_corpus_parse_languages(const char *s, cli_corpus_opts *o)
{
  o->n_langs = 0;
  for (;;) {
    size_t n = 0;
    char code[4];
    while (s[n] && s[n] != ',') {
      char ch = s[n];
      if (ch >= 'A' && ch <= 'Z')
        ch = (char)(ch - 'A' + 'a');
      if (ch < 'a' || ch > 'z' || n >= 3)
        return false;
      code[n++] = ch;
    }
    if (n < 2 || o->n_langs >= CLI_MAX_TARGET_LANGS)
      return false;
    code[n] = '\0';
    memcpy(o->langs[o->n_langs++], code, n + 1);
    if (!s[n])
      return true;
    s += n + 1;
  }
}

const char *cli_skip_name(cli_skip_reason r)
{
  switch (r) {
  case CLI_SKIP_LANGUAGE:
    return "language";
  case CLI_SKIP_MIN_WORDS:
    return "min_words";
  case CLI_SKIP_MIN_QUALITY:
    return "min_quality";
  case CLI_SKIP_DUPLICATE:
    return "duplicate";
  default:
    return "none";
  }
}

/* Does the document's language match a target? Its primary subtag (up to the first '-' or '_'),
 * compared without regard to ASCII case; a document without a language matches none. */
static bool language_matches(const cli_corpus_opts *o, const char *lang)
{
  if (!lang)
    return false;
  size_t n = strcspn(lang, "-_");
  for (int i = 0; i < o->n_langs; i++) {
    const char *t = o->langs[i];
    if (strlen(t) != n)
      continue;
    size_t k = 0;
    while (k < n && (lang[k] | 0x20) == t[k])
      k++;
    if (k == n)
      return true;
  }
  return false;
}

bool cli_corpus_filter(const cli_corpus_opts *o, const riptide_document *doc, cli_corpus_result *r)
{
  memset(r, 0, sizeof *r);
  r->dedupable = doc->has_fingerprint && doc->fingerprint != 0 && doc->text && doc->text[0];
  r->fingerprint = doc->fingerprint;
  if (o->n_langs > 0 && !language_matches(o, doc->language)) {
    r->reason = CLI_SKIP_LANGUAGE;
    snprintf(r->language, sizeof r->language, "%s", doc->language ? doc->language : "");
    cli_utf8_clean(r->language);
  } else if (o->min_words > 0 && doc->word_count < o->min_words) {
    r->reason = CLI_SKIP_MIN_WORDS;
    r->value = doc->word_count;
    r->min = o->min_words;
  } else if (o->min_quality >= 0 && doc->quality_score < o->min_quality) {
    r->reason = CLI_SKIP_MIN_QUALITY; /* an unknown score (-1) passes no bar */
    r->value = doc->quality_score < 0 ? -1 : doc->quality_score;
    r->min = o->min_quality;
  }
  return r->reason != CLI_SKIP_NONE;
}

static void put_int(cli_buf *b, int64_t v)
{
  char tmp[32];
  int n = snprintf(tmp, sizeof tmp, "%lld", (long long)v);
  cli_buf_put(b, tmp, (size_t)n);
}

bool cli_corpus_format_skip(const struct cli_config *c, const char *id, const cli_corpus_result *r,
                            struct cli_buf *b)
{
  bool pretty = c->format == CLI_FMT_JSON;
  const char *sep = pretty ? ",\n    \"" : ",\"";
  const char *colon = pretty ? "\": " : "\":";
  cli_buf_puts(b, pretty ? "{\n  \"id\": " : "{\"id\":");
  cli_json_string(b, id ? id : "?");
  cli_buf_puts(b, pretty ? ",\n  \"skipped\": {\n    \"reason\": " : ",\"skipped\":{\"reason\":");
  cli_json_string(b, cli_skip_name(r->reason));
  switch (r->reason) {
  case CLI_SKIP_LANGUAGE:
    cli_buf_puts(b, sep);
    cli_buf_puts(b, "language");
    cli_buf_puts(b, colon);
    cli_json_string(b, r->language[0] ? r->language : NULL);
    break;
  case CLI_SKIP_MIN_WORDS:
  case CLI_SKIP_MIN_QUALITY:
    cli_buf_puts(b, sep);
    cli_buf_puts(b, r->reason == CLI_SKIP_MIN_WORDS ? "words" : "quality");
    cli_buf_puts(b, colon);
    if (r->value < 0)
      cli_buf_puts(b, "null");
    else
      put_int(b, r->value);
    cli_buf_puts(b, sep);
    cli_buf_puts(b, "min");
    cli_buf_puts(b, colon);
    put_int(b, r->min);
    break;
  case CLI_SKIP_DUPLICATE:
    cli_buf_puts(b, sep);
    cli_buf_puts(b, "duplicate_of");
    cli_buf_puts(b, colon);
    cli_json_string(b, r->duplicate_of);
    cli_buf_puts(b, sep);
    cli_buf_puts(b, "distance");
    cli_buf_puts(b, colon);
    put_int(b, r->distance);
    break;
  default:
    break;
  }
  cli_buf_puts(b, pretty ? "\n  }\n}\n" : "}}\n");
  return !b->failed;
}

void cli_corpus_describe(const cli_corpus_result *r, char *out, size_t cap)
{
  switch (r->reason) {
  case CLI_SKIP_LANGUAGE:
    snprintf(out, cap, "language %s", r->language[0] ? r->language : "unknown");
    break;
  case CLI_SKIP_MIN_WORDS:
    snprintf(out, cap, "%lld words, under %lld", (long long)r->value, (long long)r->min);
    break;
  case CLI_SKIP_MIN_QUALITY:
    if (r->value < 0)
      snprintf(out, cap, "quality unknown, under %lld", (long long)r->min);
    else
      snprintf(out, cap, "quality %lld, under %lld", (long long)r->value, (long long)r->min);
    break;
  case CLI_SKIP_DUPLICATE:
    snprintf(out, cap, "duplicate of %s (distance %u)", r->duplicate_of ? r->duplicate_of : "?",
             r->distance);
    break;
  default:
    snprintf(out, cap, "kept");
    break;
  }
}

void cli_corpus_dedupe(const cli_dedup *d, const struct cli_config *c, const char *id,
                       cli_corpus_result *r, struct cli_buf *out, bool *has_out)
{
  if (!d || r->reason != CLI_SKIP_NONE || !r->dedupable)
    return;
  unsigned dist = 0;
  int64_t first = cli_dedup_find(d, r->fingerprint, &dist);
  if (first < 0)
    return;
  r->reason = CLI_SKIP_DUPLICATE;
  r->duplicate_of = cli_dedup_id(d, (uint64_t)first);
  r->distance = dist;
  out->len = 0;
  out->failed = false;
  *has_out = false;
  if (c->format == CLI_FMT_JSON || c->format == CLI_FMT_JSONL)
    *has_out = cli_corpus_format_skip(c, id, r, out);
}

bool cli_corpus_remember(cli_dedup *d, const cli_corpus_result *r, const char *id)
{
  if (!d || r->reason != CLI_SKIP_NONE || !r->dedupable)
    return true;
  return cli_dedup_add(d, r->fingerprint, id ? id : "?");
}
