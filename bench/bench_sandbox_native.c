/*
 * bench_sandbox_native.c - the same extractor natively and inside the sandbox, side by side.
 *
 *   bench_sandbox_native [SHARED]     (make bench)
 *
 * Over the .html pages of ../shared/eval/dev/<set>: parse + extract + serialise (article mode, text
 * + Markdown + links + media) with the native build of the guest code (baseline), then the same
 * pages through the wasm2c-compiled guest in one reused sandbox slot (reset + copy in + call +
 * result copy out + bounds checks). Thread CPU time, so the figure does not depend on what else
 * the machine runs. Goal (issues 3 and 4): sandbox time <= 1.4x native.
 */
#include "guest/extract/extract.h"
#include "sandbox/sandbox.h"
#include "support/corpus.h"

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

static double run_native(const bench_corpus *c, size_t *bytes_out)
{
  double t0 = cpu_s();
  size_t bytes = 0;
  for (size_t i = 0; i < c->n; i++) {
    ex_options o;
    char scratch[256];
    ex_options_init(&o);
    ex_options_parse(&o, opts, sizeof opts - 1, scratch, sizeof scratch);
    rt_wire_writer w;
    rt_wire_init(&w);
    if (ex_extract(c->pages[i].data, c->pages[i].len, NULL, 0, &o, &w) == RT_GUEST_OK)
      bytes += w.len;
    rt_wire_reset(&w);
  }
  *bytes_out = bytes;
  return cpu_s() - t0;
}

static double run_sandbox(const bench_corpus *c, rt_slot *s, size_t *bytes_out, size_t *fails)
{
  double t0 = cpu_s();
  size_t bytes = 0;
  *fails = 0;
  for (size_t i = 0; i < c->n; i++) {
    rt_extract_args a = {.html = c->pages[i].data,
                         .html_len = c->pages[i].len,
                         .mode = RIPTIDE_MODE_ARTICLE,
                         .opts = opts,
                         .opts_len = sizeof opts - 1};
    rt_call_result r;
    memset(&r, 0, sizeof r);
    s->guest->ops->call_extract(s, &a, &r);
    if (r.err == RIPTIDE_OK)
      bytes += r.len;
    else
      (*fails)++;
    free(r.data);
    s->guest->ops->slot_reset(s);
  }
  *bytes_out = bytes;
  return cpu_s() - t0;
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
    if (nb != sb)
      printf("  %-22s note: result bytes differ native %zu vs sandbox %zu\n", "", nb, sb);
    bench_corpus_free(&c);
  }
  if (!any)
    printf("  ../shared/eval/dev not found: skipped\n");
  g->ops->slot_free(s);
  return rc;
}
