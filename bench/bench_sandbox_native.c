/*
 * bench_sandbox_native.c - the same extractor natively and inside the sandbox, side by side.
 *
 *   bench_sandbox_native [SHARED]     (make bench)
 *
 * Over the .html pages of ../shared/eval/dev/<set>: parse + extract + serialise (article mode, text
 * + Markdown + links + media) with the native build of the guest code (baseline), then the same
 * pages through the wasm2c-compiled guest in one reused sandbox slot (reset + copy in + call +
 * result copy out + bounds checks). Thread CPU time, so the figure does not depend on what else
 * the machine runs. Goal (issues 3 and 4): sandbox time <= 1.4x native. Two figures: whole
 * passes (best of 3, alternating sides), and per page with the sides interleaved (best of 5
 * per page and side, summed), which a shared, busy machine disturbs much less.
 *
 * For profiling one side alone (perf record): BENCH_SIDE=native or BENCH_SIDE=sandbox runs only
 * that side, BENCH_REPS=N times (default 3), and prints its time.
 */
#include "guest/extract/extract.h"
#include "sandbox/sandbox.h"
#include "support/corpus.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double cpu_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char opts[] = "markdown=1\nlinks=1\nmedia=1\n";

static size_t native_one(const bench_page *pg)
{
  ex_options o;
  char scratch[256];
  ex_options_init(&o);
  ex_options_parse(&o, opts, sizeof opts - 1, scratch, sizeof scratch);
  rt_wire_writer w;
  rt_wire_init(&w);
  size_t bytes = 0;
  if (ex_extract(pg->data, pg->len, NULL, 0, &o, &w) == RT_GUEST_OK)
    bytes = w.len;
  rt_wire_reset(&w);
  return bytes;
}

/* One document through the slot: reset + copy in + call + checks + copy out. */
static size_t sandbox_one(const bench_page *pg, rt_slot *s, size_t *fails, uint32_t *pages_out)
{
  riptide_err err;
  size_t bytes = bench_slot_page(s, pg->data, pg->len, opts, sizeof opts - 1, pages_out, &err);
  if (err != RIPTIDE_OK)
    (*fails)++;
  return bytes;
}

static double run_native(const bench_corpus *c, size_t *bytes_out)
{
  double t0 = cpu_s();
  size_t bytes = 0;
  for (size_t i = 0; i < c->n; i++)
    bytes += native_one(&c->pages[i]);
  *bytes_out = bytes;
  return cpu_s() - t0;
}

static double run_sandbox(const bench_corpus *c, rt_slot *s, size_t *bytes_out, size_t *fails)
{
  double t0 = cpu_s();
  size_t bytes = 0;
  *fails = 0;
  for (size_t i = 0; i < c->n; i++)
    bytes += sandbox_one(&c->pages[i], s, fails, NULL);
  *bytes_out = bytes;
  return cpu_s() - t0;
}

/* Per page, native and sandbox runs alternate (order swapped every round); each side keeps
 * its best time per page over `rounds`, and the sums are compared. Load that comes and goes
 * on a shared machine then hits both sides alike, which whole-pass timings cannot promise. */
static void run_interleaved(const bench_corpus *c, rt_slot *s, int rounds, double *tn, double *ts)
{
  double *bn = malloc(c->n * sizeof *bn), *bs = malloc(c->n * sizeof *bs);
  *tn = *ts = 0;
  if (!bn || !bs) {
    free(bn);
    free(bs);
    return;
  }
  size_t fails = 0;
  for (size_t i = 0; i < c->n; i++)
    bn[i] = bs[i] = 1e30;
  for (int r = 0; r < rounds; r++) {
    for (size_t i = 0; i < c->n; i++) {
      for (int k = 0; k < 2; k++) {
        bool nat = (k == 0) == (r % 2 == 0);
        double t0 = cpu_s();
        if (nat)
          native_one(&c->pages[i]);
        else
          sandbox_one(&c->pages[i], s, &fails, NULL);
        double t = cpu_s() - t0;
        double *b = nat ? &bn[i] : &bs[i];
        *b = t < *b ? t : *b;
      }
    }
  }
  for (size_t i = 0; i < c->n; i++) {
    *tn += bn[i];
    *ts += bs[i];
  }
  free(bn);
  free(bs);
}

static int cmp_u32(const void *a, const void *b)
{
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

/* Guest memory (linear-memory size after the call) per document: median, p90, max. */
static void memory_use(const bench_corpus *c, rt_slot *s, uint32_t image_pages)
{
  uint32_t *p = malloc(c->n * sizeof *p);
  if (!p)
    return;
  size_t fails = 0, grew = 0;
  for (size_t i = 0; i < c->n; i++) {
    sandbox_one(&c->pages[i], s, &fails, &p[i]);
    grew += p[i] > image_pages;
  }
  qsort(p, c->n, sizeof *p, cmp_u32);
  printf("  %-22s guest memory per document: median %.2f MiB, p90 %.2f MiB, max %.2f MiB; "
         "%zu of %zu grew past the initial %.2f MiB\n",
         "", p[c->n / 2] / 16.0, p[c->n * 9 / 10] / 16.0, p[c->n - 1] / 16.0, grew, c->n,
         image_pages / 16.0);
  free(p);
}

int main(int argc, char **argv)
{
  const char *shared = argc > 1 ? argv[1] : getenv("RIPTIDE_SHARED");
  if (!shared)
    shared = "../shared";
  static const char *const sets[] = {"readability-testpages", "trafilatura-eval"};
  const rt_guest *g = rt_sandbox_extractor();
  rt_sandbox_limits lim = {
      .memory_cap_bytes = 256ull << 20, .timeout_ms = 10000, .max_output_bytes = 16ull << 20};
  rt_slot *s = NULL;
  riptide_err err = g->ops->slot_new(g, &lim, &s);
  if (err) {
    fprintf(stderr, "bench_sandbox_native: slot_new: %s\n", riptide_strerror(err));
    return 1;
  }
  rt_slot_stats st0;
  g->ops->slot_stats(s, &st0);
  uint32_t image_pages = st0.pages;
  const char *side = getenv("BENCH_SIDE");
  int reps = getenv("BENCH_REPS") ? (int)strtol(getenv("BENCH_REPS"), NULL, 10) : 3;
  if (reps < 1 || reps > 1000)
    reps = 3;
  int rc = 0, any = 0;
  for (size_t k = 0; k < sizeof sets / sizeof sets[0]; k++) {
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/eval/dev/%s", shared, sets[k]);
    bench_corpus c;
    if (bench_corpus_load(dir, &c) != 0 || c.n == 0) {
      printf("  %s: not found under %s, skipped\n", sets[k], shared);
      bench_corpus_free(&c);
      continue;
    }
    any = 1;
    size_t nb = 0, sb = 0, fails = 0;
    if (side) {
      bool nat = strcmp(side, "native") == 0;
      double t = 0;
      for (int rep = 0; rep < reps; rep++)
        t += nat ? run_native(&c, &nb) : run_sandbox(&c, s, &sb, &fails);
      printf("  %-22s %s only: %.3f s per pass (%d passes)\n", sets[k], nat ? "native" : "sandbox",
             t / reps, reps);
      bench_corpus_free(&c);
      continue;
    }
    run_native(&c, &nb); /* warm-up */
    double tn = 1e30, ts = 1e30;
    for (int rep = 0; rep < 3; rep++) {
      double t = run_native(&c, &nb);
      tn = t < tn ? t : tn;
      t = run_sandbox(&c, s, &sb, &fails);
      ts = t < ts ? t : ts;
    }
    double mb = (double)c.bytes / 1048576.0;
    printf("  %-22s %4zu pages %6.1f MiB: native %7.1f pages/s %6.1f MB/s | sandbox %7.1f "
           "pages/s %6.1f MB/s | sandbox/native time %.2fx (goal <= 1.40x)%s\n",
           sets[k], c.n, mb, (double)c.n / tn, mb / tn, (double)c.n / ts, mb / ts, ts / tn,
           fails ? " [some guest calls failed]" : "");
    memory_use(&c, s, image_pages);
    double in = 0, is = 0;
    run_interleaved(&c, s, 5, &in, &is);
    printf("  %-22s per page interleaved, best of 5: native %.3f s, sandbox %.3f s: "
           "sandbox/native time %.2fx\n",
           "", in, is, in > 0 ? is / in : 0);
    if (nb != sb)
      printf("  %-22s note: result bytes differ native %zu vs sandbox %zu\n", "", nb, sb);
    bench_corpus_free(&c);
  }
  if (!any)
    printf("  ../shared/eval/dev not found: skipped\n");
  g->ops->slot_free(s);
  return rc;
}
