/*
 * tree_conformance.c - runs html5lib-tests tree-construction .dat files through html_parse() and
 * compares html_tree_dump() with each test's #document.
 *
 * Usage: tree_conformance [-v] [-f FILTER] [DIR]
 *   DIR defaults to $RIPTIDE_SHARED/testdata/html5lib-tests/tree-construction (RIPTIDE_SHARED
 *   defaults to ../shared). Prints "tree-construction: P/N passed" last; -v also prints every
 *   failing test (input, expected, got). Tests under scripted/ need a script engine and are not
 *   run. Tests marked #script-on run with the scripting flag on, #script-off with it off, and
 *   unmarked tests in both modes: a test passes when every mode it runs in matches.
 *   Exit status 0 whatever the rate (scripts/test-conformance.sh compares it with the
 *   committed baseline), also when the data is absent (after printing why).
 */
#include "guest/html/parser.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct buf {
  char *s;
  size_t n, cap;
} buf;

static int buf_put(buf *b, const char *s, size_t n)
{
  if (b->n + n + 1 > b->cap) {
    size_t nc = b->cap ? b->cap * 2 : 1024;
    while (nc < b->n + n + 1)
      nc *= 2;
    char *ns = realloc(b->s, nc);
    if (!ns)
      return -1;
    b->s = ns;
    b->cap = nc;
  }
  memcpy(b->s + b->n, s, n);
  b->n += n;
  b->s[b->n] = '\0';
  return 0;
}

static char *read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  buf b = {0};
  char tmp[65536];
  size_t r;
  while ((r = fread(tmp, 1, sizeof tmp, f)) > 0)
    if (buf_put(&b, tmp, r) < 0) {
      free(b.s);
      fclose(f);
      return NULL;
    }
  fclose(f);
  if (!b.s && buf_put(&b, "", 0) < 0)
    return NULL;
  *len = b.n;
  return b.s;
}

static int cmp_names(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct stats {
  int pass, total, script_on, both, verbose;
  const char *filter;
} stats;

/* Parses one input in one scripting mode and compares the dump; 1 when it matches. */
static int run_mode(stats *st, const char *file, int line, const char *data, size_t dlen,
                    const char *frag, bool scripting, const char *expected)
{
  html_parse_options o;
  memset(&o, 0, sizeof o);
  o.scripting = scripting;
  char ctx[128];
  if (frag) {
    const char *name = frag;
    o.fragment_ns = DOM_NS_HTML;
    if (strncmp(frag, "svg ", 4) == 0) {
      o.fragment_ns = DOM_NS_SVG;
      name = frag + 4;
    } else if (strncmp(frag, "math ", 5) == 0) {
      o.fragment_ns = DOM_NS_MATHML;
      name = frag + 5;
    }
    snprintf(ctx, sizeof ctx, "%s", name);
    o.fragment_context = ctx;
  }
  dom_doc *doc = NULL;
  html_parse_status s = html_parse(data, dlen, &o, &doc);
  char *got = s == HTML_PARSE_OK ? html_tree_dump(doc) : NULL;
  /* expected has no trailing newline; got ends with one */
  size_t el = strlen(expected), gl = got ? strlen(got) : 0;
  while (gl && got[gl - 1] == '\n')
    gl--;
  int ok = got && el == gl && memcmp(expected, got, el) == 0;
  if (!ok && st->verbose)
    printf("FAIL %s:%d%s%s%s (scripting %s)\n--- input\n%s\n--- expected\n%s\n--- got\n%.*s\n\n",
           file, line, frag ? " (fragment " : "", frag ? frag : "", frag ? ")" : "",
           scripting ? "on" : "off", data, expected, (int)gl, got ? got : "(parse failed)");
  free(got);
  dom_doc_free(doc);
  return ok;
}

/* Runs one test: #script-on / #script-off tests in that mode, unmarked tests in both modes
 * (tree-construction/README.md); it passes when every mode matches. */
static void run_test(stats *st, const char *file, int line, const char *data, size_t dlen,
                     const char *frag, int script, const char *expected)
{
  int ok = 1;
  if (script >= 0) {
    ok &= run_mode(st, file, line, data, dlen, frag, true, expected);
    st->script_on++;
  }
  if (script == 0)
    st->both++;
  if (script <= 0)
    ok &= run_mode(st, file, line, data, dlen, frag, false, expected);
  st->total++;
  st->pass += ok;
}

/* Splits a .dat file into tests. Sections start with lines "#data", "#errors", ... */
static char *find(char *from, char *end, const char *needle)
{
  return from < end ? memmem(from, (size_t)(end - from), needle, strlen(needle)) : NULL;
}

static char *copy(const char *s, size_t n)
{
  char *c = malloc(n + 1);
  if (c) {
    memcpy(c, s, n);
    c[n] = '\0';
  }
  return c;
}

/* Splits a .dat file into tests (binary-safe: some inputs contain NUL bytes). Sections start
 * with the lines "#data", "#errors", "#new-errors", "#document-fragment", "#script-on/off",
 * "#document"; a test ends at a blank line followed by "#data", or at the end of the file. */
static void run_file(stats *st, const char *path, const char *name)
{
  size_t len;
  char *text = read_file(path, &len);
  if (!text)
    return;
  char *p = text, *end = text + len;
  while (p < end) {
    char *start =
        p == text && len >= 6 && memcmp(text, "#data\n", 6) == 0 ? text : find(p, end, "\n#data\n");
    if (!start)
      break;
    if (start != text)
      start++;
    int line = 1;
    for (char *q = text; q < start; q++)
      line += *q == '\n';
    char *data = start + 6;
    char *errors = find(data - 1, end, "\n#errors\n");
    if (!errors)
      break;
    /* a few tests put #document-fragment before #errors */
    char *fragsec = find(data - 1, errors, "\n#document-fragment\n");
    if (fragsec)
      errors = fragsec;
    size_t dlen = errors > data ? (size_t)(errors - data) : 0;
    char *sec = errors + 1;
    char *frag = NULL;
    size_t fraglen = 0;
    int script = 0;
    char *doc = NULL;
    while (sec < end) {
      char *nl = memchr(sec, '\n', (size_t)(end - sec));
      if (!nl)
        nl = end;
      size_t ll = (size_t)(nl - sec);
      if (ll == 18 && memcmp(sec, "#document-fragment", 18) == 0) {
        frag = nl + 1;
        char *fe = frag < end ? memchr(frag, '\n', (size_t)(end - frag)) : NULL;
        fraglen = (size_t)((fe ? fe : end) - frag);
      } else if (ll == 10 && memcmp(sec, "#script-on", 10) == 0) {
        script = 1;
      } else if (ll == 11 && memcmp(sec, "#script-off", 11) == 0) {
        script = -1;
      } else if (ll == 9 && memcmp(sec, "#document", 9) == 0) {
        doc = nl + 1;
        break;
      }
      sec = nl + 1;
    }
    if (!doc || doc > end)
      break;
    char *dend = find(doc - 1, end, "\n\n#data\n");
    char *next = dend ? dend + 1 : end;
    if (!dend)
      dend = end;
    while (dend > doc && dend[-1] == '\n')
      dend--;
    char *fragname = frag ? copy(frag, fraglen) : NULL;
    char *d = copy(data, dlen);
    char *e = copy(doc, (size_t)(dend - doc));
    if (d && e && (!frag || fragname) && (!st->filter || strstr(name, st->filter)))
      run_test(st, name, line, d, dlen, fragname, script, e);
    free(d);
    free(e);
    free(fragname);
    p = next;
  }
  free(text);
}

int main(int argc, char **argv)
{
  stats st;
  memset(&st, 0, sizeof st);
  const char *dir = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-v") == 0)
      st.verbose = 1;
    else if (strcmp(argv[i], "-f") == 0 && i + 1 < argc)
      st.filter = argv[++i];
    else
      dir = argv[i];
  }
  char path[4096];
  if (!dir) {
    const char *shared = getenv("RIPTIDE_SHARED");
    snprintf(path, sizeof path, "%s/testdata/html5lib-tests/tree-construction",
             shared && *shared ? shared : "../shared");
    dir = path;
  }
  DIR *dh = opendir(dir);
  if (!dh) {
    printf("tree-construction: skipped (no html5lib tests at %s)\n", dir);
    return 0;
  }
  char *names[512];
  int nn = 0;
  struct dirent *de;
  while ((de = readdir(dh)) && nn < 512) {
    size_t l = strlen(de->d_name);
    if (l > 4 && strcmp(de->d_name + l - 4, ".dat") == 0)
      names[nn++] = strdup(de->d_name);
  }
  closedir(dh);
  qsort(names, (size_t)nn, sizeof *names, cmp_names);
  for (int i = 0; i < nn; i++) {
    char fp[8192];
    snprintf(fp, sizeof fp, "%s/%s", dir, names[i]);
    run_file(&st, fp, names[i]);
    free(names[i]);
  }
  if (st.verbose)
    printf("(%d tests ran with the scripting flag on (%d of them in both modes); scripted/ not "
           "run)\n",
           st.script_on, st.both);
  printf("tree-construction: %d/%d passed\n", st.pass, st.total);
  return 0;
}
