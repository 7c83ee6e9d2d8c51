/*
 * bench_tokenizer.c - HTML tokenizer throughput and linearity.
 *
 * Usage: bench_tokenizer [SHARED] [ROUNDS]
 *   - throughput: tokenizes every SHARED/eval/dev/{corpus}/{page}.html (loaded into memory;
 *     SHARED defaults to $RIPTIDE_SHARED, then ../shared) ROUNDS times (default 3), switching
 *     to RCDATA/RAWTEXT/script data after the matching start tags as the tree builder does,
 *     and prints the best round in MB/s next to gumbo's full parse of the same pages in the
 *     same run (gumbo has no public tokenizer; the ratio bounds what tokenizing costs
 *     relative to a whole gumbo parse).
 *   - linearity: hostile inputs (references, '<' floods, unclosed comments, attribute floods,
 *     script escapes, CDATA brackets, invalid UTF-8) at 1 MB and 10 MB; prints both times and
 *     their ratio, which stays near 10 when the cost is linear.
 * Prints figures only; nothing here is a timed assertion.
 */
#include "guest/html/tokenizer.h"

#include <glob.h>
#include <gumbo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int name_is(const html_token *t, const char *s)
{
  return t->name_len == strlen(s) && memcmp(t->name, s, t->name_len) == 0;
}

/* Tokenizes one document; returns the number of tokens, or -1 on a tokenizer error. */
static long tokenize(const char *s, size_t len, html_tokenizer_state st, int foreign)
{
  html_tokenizer *t = html_tokenizer_new(s, len, 0);
  if (!t)
    return -1;
  html_tokenizer_set_state(t, st);
  html_tokenizer_set_foreign(t, foreign);
  long n = 0;
  for (;;) {
    const html_token *k = html_tokenizer_next(t);
    if (k->type == HTML_TOKEN_EOF)
      break;
    if (k->type == HTML_TOKEN_ERROR) {
      n = -1;
      break;
    }
    n++;
    if (k->type != HTML_TOKEN_START_TAG)
      continue;
    if (name_is(k, "title") || name_is(k, "textarea"))
      html_tokenizer_set_state(t, HTML_STATE_RCDATA);
    else if (name_is(k, "style") || name_is(k, "xmp") || name_is(k, "iframe") ||
             name_is(k, "noembed") || name_is(k, "noframes"))
      html_tokenizer_set_state(t, HTML_STATE_RAWTEXT);
    else if (name_is(k, "script"))
      html_tokenizer_set_state(t, HTML_STATE_SCRIPT_DATA);
    else if (name_is(k, "plaintext"))
      html_tokenizer_set_state(t, HTML_STATE_PLAINTEXT);
  }
  html_tokenizer_free(t);
  return n;
}

static void throughput(const char *shared, int rounds)
{
  char pat[4096];
  snprintf(pat, sizeof pat, "%s/eval/dev/*/*.html", shared);
  glob_t g;
  if (glob(pat, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
    printf("tokenizer throughput: skipped (no pages at %s)\n", pat);
    return;
  }
  size_t np = g.gl_pathc, total = 0;
  char **buf = calloc(np, sizeof *buf);
  size_t *len = calloc(np, sizeof *len);
  if (!buf || !len) {
    printf("tokenizer throughput: out of memory\n");
    goto out;
  }
  for (size_t i = 0; i < np; i++) {
    FILE *f = fopen(g.gl_pathv[i], "rb");
    if (!f)
      continue;
    fseek(f, 0, SEEK_END);
    long l = ftell(f);
    rewind(f);
    buf[i] = malloc(l > 0 ? (size_t)l : 1);
    if (buf[i] && l > 0 && fread(buf[i], 1, (size_t)l, f) == (size_t)l)
      len[i] = (size_t)l;
    fclose(f);
    total += len[i];
  }
  double best_tk = 1e30, best_gb = 1e30;
  long tokens = 0, errors = 0;
  for (int r = 0; r < rounds; r++) {
    double t0 = now();
    tokens = errors = 0;
    for (size_t i = 0; i < np; i++) {
      long n = tokenize(buf[i], len[i], HTML_STATE_DATA, 0);
      if (n < 0)
        errors++;
      else
        tokens += n;
    }
    double t1 = now();
    for (size_t i = 0; i < np; i++) {
      GumboOutput *o = gumbo_parse_with_options(&kGumboDefaultOptions, buf[i], len[i]);
      gumbo_destroy_output(&kGumboDefaultOptions, o);
    }
    double t2 = now();
    if (t1 - t0 < best_tk)
      best_tk = t1 - t0;
    if (t2 - t1 < best_gb)
      best_gb = t2 - t1;
  }
  double mb = (double)total / 1e6;
  printf("corpus: %zu pages, %.1f MB (%s)\n", np, mb, pat);
  printf("throughput (best of %d rounds, native):\n", rounds);
  printf("  riptide tokenizer      %7.1f MB/s  (%ld tokens, %ld errors)\n", mb / best_tk, tokens,
         errors);
  printf("  gumbo full parse       %7.1f MB/s\n", mb / best_gb);
  printf("  ratio tokenizer/gumbo  %7.2fx\n", best_gb / best_tk);
out:
  for (size_t i = 0; buf && i < np; i++)
    free(buf[i]);
  free(buf);
  free(len);
  globfree(&g);
}

static double time_pattern(const char *pre, const char *unit, size_t bytes, html_tokenizer_state st,
                           int foreign, long *tokens)
{
  size_t pl = strlen(pre), ul = strlen(unit), n = bytes / ul, len = pl + ul * n;
  char *s = malloc(len + 1);
  if (!s)
    return -1;
  memcpy(s, pre, pl);
  for (size_t i = 0; i < n; i++)
    memcpy(s + pl + i * ul, unit, ul);
  double best = 1e30;
  for (int r = 0; r < 3; r++) { /* best of three: the machine may be busy */
    double t0 = now();
    *tokens = tokenize(s, len, st, foreign);
    double dt = now() - t0;
    if (dt < best)
      best = dt;
  }
  free(s);
  return best;
}

static void linearity(void)
{
  static const struct {
    const char *what, *pre, *unit;
    html_tokenizer_state st;
    int foreign;
  } cases[] = {
      {"text", "", "lorem ipsum ", HTML_STATE_DATA, 0},
      {"'&amp;' references", "", "&amp;x", HTML_STATE_DATA, 0},
      {"'&a' non-references", "", "&a", HTML_STATE_DATA, 0},
      {"long reference prefixes", "", "&CounterClockwiseContourIntegra", HTML_STATE_DATA, 0},
      {"numeric references", "", "&#x1F600;", HTML_STATE_DATA, 0},
      {"'<' flood", "", "<", HTML_STATE_DATA, 0},
      {"'</' flood", "", "</", HTML_STATE_DATA, 0},
      {"tags", "", "<a b='&amp;'>", HTML_STATE_DATA, 0},
      {"unclosed comment", "<!--", "<!-<!-x-", HTML_STATE_DATA, 0},
      {"unclosed tag, attribute flood", "<a ", "a ", HTML_STATE_DATA, 0},
      {"10 MB attribute value", "<a b='", "x", HTML_STATE_DATA, 0},
      {"script '</scrip' flood", "", "</scrip", HTML_STATE_SCRIPT_DATA, 0},
      {"script escapes", "<!--", "<script></scrip-", HTML_STATE_SCRIPT_DATA, 0},
      {"CDATA brackets", "", "]]", HTML_STATE_CDATA_SECTION, 1},
      {"invalid UTF-8 and CRs", "", "\r\n\xff\xe0\x80", HTML_STATE_DATA, 0},
  };
  printf("linearity (best of 3 for 1 MB and 10 MB of each pattern; ratio ~10 = linear):\n");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    long a, b;
    double t1 =
        time_pattern(cases[i].pre, cases[i].unit, 1u << 20, cases[i].st, cases[i].foreign, &a);
    double t10 =
        time_pattern(cases[i].pre, cases[i].unit, 10u << 20, cases[i].st, cases[i].foreign, &b);
    printf("  %-32s %8.4f s %8.4f s  ratio %5.1f  (%ld tokens)\n", cases[i].what, t1, t10,
           t1 > 0 ? t10 / t1 : 0.0, b);
  }
}

int main(int argc, char **argv)
{
  const char *shared = argc > 1 ? argv[1] : getenv("RIPTIDE_SHARED");
  if (!shared || !*shared)
    shared = "../shared";
  int rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 3;
  if (rounds < 1)
    rounds = 1;
  throughput(shared, rounds);
  linearity();
  return 0;
}
