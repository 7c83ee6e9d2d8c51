/*
 * manifest.c - `--input-file FILE` (or '-'): a list of inputs, one a line, read lazily.
 *
 * A line is an input (a path or an http(s) URL), or `path<TAB>url`: the URL is then the
 * page's address (relative links resolve against it, and it is the document's "url"). Blank
 * lines and lines starting with '#' are skipped; a trailing '\r' is dropped. Lines are read
 * one at a time as the caller asks for them, into one buffer of CLI_MANIFEST_MAX_LINE bytes
 * reused from line to line, so a list of ten million lines costs that buffer (the caller holds
 * only the inputs in flight), and a line without an end (a binary file given by mistake)
 * cannot grow it: a longer line is read to its end and returned as a bad line. Used by `riptide
 * extract` (batch.c) and `riptide submit`.
 */
#include "cli/cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct cli_manifest {
  FILE *f;
  bool is_stdin;
  char *line; /* CLI_MANIFEST_MAX_LINE + 1 bytes */
  uint64_t line_no;
  char why[200];
};

riptide_err cli_manifest_open(const char *path, cli_manifest **out, char *detail, size_t dlen)
{
  *out = NULL;
  cli_manifest *m = calloc(1, sizeof *m);
  if (!m) {
    snprintf(detail, dlen, "out of memory");
    return RIPTIDE_ERR_NOMEM;
  }
  m->line = malloc(CLI_MANIFEST_MAX_LINE + 1);
  if (!m->line) {
    free(m);
    snprintf(detail, dlen, "out of memory");
    return RIPTIDE_ERR_NOMEM;
  }
  m->is_stdin = strcmp(path, "-") == 0;
  m->f = m->is_stdin ? stdin : fopen(path, "re");
  if (!m->f) {
    char *esc = cli_escape_terminal(path);
    snprintf(detail, dlen, "%s: %s", esc ? esc : "?", strerror(errno));
    free(esc);
    free(m->line);
    free(m);
    return RIPTIDE_ERR_IO;
  }
  *out = m;
  return RIPTIDE_OK;
}

void cli_manifest_close(cli_manifest *m)
{
  if (!m)
    return;
  if (m->f && !m->is_stdin)
    fclose(m->f);
  free(m->line);
  free(m);
}

uint64_t cli_manifest_line(const cli_manifest *m)
{
  return m->line_no;
}

int cli_manifest_next(cli_manifest *m, cli_manifest_entry *e)
{
  memset(e, 0, sizeof *e);
  for (;;) {
    errno = 0;
    size_t n = 0;
    bool seen = false, over = false;
    int ch;
    while ((ch = getc_unlocked(m->f)) != EOF) { /* the reader is thread-bound */
      seen = true;
      if (ch == '\n')
        break;
      if (n < CLI_MANIFEST_MAX_LINE)
        m->line[n++] = (char)ch;
      else
        over = true;
    }
    m->line[n] = '\0';
    if (!seen || (ch == EOF && ferror(m->f))) {
      if (ferror(m->f)) {
        snprintf(m->why, sizeof m->why, "read error after line %llu: %s",
                 (unsigned long long)m->line_no, strerror(errno ? errno : EIO));
        e->error = m->why;
        return -1;
      }
      return 0;
    }
    m->line_no++;
    if (over) {
      m->line[40] = '\0'; /* enough for a message naming it */
      e->src = m->line;
      snprintf(m->why, sizeof m->why, "the line is longer than %d bytes", CLI_MANIFEST_MAX_LINE);
      e->error = m->why;
      return 1;
    }
    while (n > 0 && m->line[n - 1] == '\r')
      m->line[--n] = '\0';
    if (n == 0 || m->line[0] == '#')
      continue;
    e->src = m->line;
    char *tab = strchr(m->line, '\t');
    if (tab) {
      *tab = '\0';
      e->url = tab + 1;
    }
    if ((size_t)n != strlen(m->line) + (tab ? 1 + strlen(tab + 1) : 0)) {
      e->error = "the line holds a NUL byte";
    } else if (!e->src[0]) {
      e->error = "no input before the tab";
    } else if (e->url && (!cli_is_url(e->url) || !cli_url_clean(e->url))) {
      e->error = "the address after the tab is not an http:// or https:// URL without spaces "
                 "or control characters";
    } else if (cli_url_scheme_len(e->src) && !cli_is_url(e->src)) {
      snprintf(m->why, sizeof m->why, "unsupported URL scheme '%.*s' (http and https only)",
               (int)cli_url_scheme_len(e->src), e->src);
      e->error = m->why;
    } else if (cli_is_url(e->src) && !cli_url_clean(e->src)) {
      e->error = "the URL contains spaces or control characters (percent-encode them)";
    }
    return 1;
  }
}
