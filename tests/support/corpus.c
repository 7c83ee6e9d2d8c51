/* corpus.c - see corpus.h. */
#include "corpus.h"
#include "sandbox/sandbox.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int page_cmp(const void *a, const void *b)
{
  return strcmp(((const bench_page *)a)->name, ((const bench_page *)b)->name);
}

char *bench_read_file(const char *path, size_t *len)
{
  FILE *f = fopen(path, "rb");
  if (!f)
    return NULL;
  char *buf = NULL;
  if (fseek(f, 0, SEEK_END) == 0) {
    long sz = ftell(f);
    if (sz >= 0 && fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)sz + 1))) {
      if (fread(buf, 1, (size_t)sz, f) == (size_t)sz) {
        buf[sz] = '\0';
        *len = (size_t)sz;
      } else {
        free(buf);
        buf = NULL;
      }
    }
  }
  fclose(f);
  return buf;
}

int bench_corpus_load(const char *dir, bench_corpus *c)
{
  memset(c, 0, sizeof *c);
  DIR *d = opendir(dir);
  if (!d)
    return -1;
  size_t cap = 0;
  int rc = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l < 6 || strcmp(e->d_name + l - 5, ".html") != 0)
      continue;
    char path[4096];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path)
      continue;
    if (c->n == cap) {
      size_t ncap = cap ? cap * 2 : 256;
      bench_page *np = realloc(c->pages, ncap * sizeof *np);
      if (!np) {
        rc = -1;
        break;
      }
      c->pages = np;
      cap = ncap;
    }
    bench_page *p = &c->pages[c->n];
    p->data = bench_read_file(path, &p->len);
    p->name = strndup(e->d_name, l - 5);
    if (!p->data || !p->name) {
      free(p->data);
      free(p->name);
      continue;
    }
    c->bytes += p->len;
    c->n++;
  }
  closedir(d);
  if (c->n)
    qsort(c->pages, c->n, sizeof *c->pages, page_cmp);
  return rc;
}

void bench_corpus_free(bench_corpus *c)
{
  for (size_t i = 0; i < c->n; i++) {
    free(c->pages[i].name);
    free(c->pages[i].data);
  }
  free(c->pages);
  memset(c, 0, sizeof *c);
}

size_t bench_slot_page(struct rt_slot *s, const char *data, size_t len, const char *opts,
                       size_t opts_len, uint32_t *pages_out, riptide_err *err)
{
  rt_extract_args a = {.html = data,
                       .html_len = len,
                       .mode = RIPTIDE_MODE_ARTICLE,
                       .opts = opts,
                       .opts_len = opts_len};
  rt_call_result r;
  memset(&r, 0, sizeof r);
  s->guest->ops->call_extract(s, &a, &r);
  if (pages_out) {
    rt_slot_stats st;
    s->guest->ops->slot_stats(s, &st);
    *pages_out = st.pages;
  }
  *err = r.err;
  size_t bytes = r.err == RIPTIDE_OK ? r.len : 0;
  free(r.data);
  s->guest->ops->slot_reset(s);
  return bytes;
}

const char *const bench_dev_sets[BENCH_DEV_SETS] = {"readability-testpages", "trafilatura-eval"};

size_t bench_dev_load(int argc, char **argv, bench_corpus sc[BENCH_DEV_SETS], const char **shared)
{
  const char *root = argc > 1 ? argv[1] : getenv("RIPTIDE_SHARED");
  if (!root)
    root = "../shared";
  *shared = root;
  size_t n = 0;
  for (size_t k = 0; k < BENCH_DEV_SETS; k++) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/eval/dev/%s", root, bench_dev_sets[k]);
    bench_corpus_load(dir, &sc[k]);
    n += sc[k].n;
  }
  return n;
}

double bench_thread_cpu_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double bench_wall_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}
