/*
 * bench_sandbox_threads.c - what a second worker costs the sandbox: the real extractor on the
 * dev pages in one slot per thread, with 1 and then 2 threads.
 *
 *   bench_sandbox_threads [SHARED]     (make bench)
 *
 * Per document: thread CPU time, minor page faults (getrusage, whole process) and TLB
 * shootdown interrupts (/proc/interrupts, all CPUs). With two threads, every mprotect that
 * removes access or madvise that drops pages in one thread interrupts the other thread's CPU
 * to flush its TLB; page faults and protection changes also take the process's memory-map
 * locks. A CPU-time ratio near 1.00x means the second worker costs nothing extra; wall-clock
 * scaling also depends on the machine being otherwise idle (bench_pool prints it beside a
 * scripted guest's). Figures: best of 3 runs each.
 */
#include "sandbox/sandbox.h"
#include "support/corpus.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const char opts[] = "markdown=1\nlinks=1\nmedia=1\n";

typedef struct worker {
  const bench_corpus *c;
  size_t first;
  int passes;
  double cpu_s;
  size_t docs, fails;
} worker;

static double thread_cpu_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall_s(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Sum of the "TLB shootdowns" line of /proc/interrupts over all CPUs; 0 if absent. */
static unsigned long long tlb_shootdowns(void)
{
  FILE *f = fopen("/proc/interrupts", "r");
  if (!f)
    return 0;
  char line[8192];
  unsigned long long t = 0;
  while (fgets(line, sizeof line, f)) {
    char *p = strchr(line, ':');
    if (!p || !strstr(line, "TLB shootdowns"))
      continue;
    p++;
    for (;;) {
      char *e;
      unsigned long long v = strtoull(p, &e, 10);
      if (e == p)
        break;
      t += v;
      p = e;
    }
  }
  fclose(f);
  return t;
}

static long minor_faults(void)
{
  struct rusage ru;
  return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_minflt : 0;
}

static void *work(void *arg)
{
  worker *w = arg;
  const rt_guest *g = rt_sandbox_extractor();
  rt_sandbox_limits lim = {
      .memory_cap_bytes = 256ull << 20, .timeout_ms = 10000, .max_output_bytes = 16ull << 20};
  rt_slot *s = NULL;
  if (g->ops->slot_new(g, &lim, &s) != RIPTIDE_OK) {
    w->fails++;
    return NULL;
  }
  double t0 = thread_cpu_s();
  for (int r = 0; r < w->passes; r++) {
    for (size_t i = 0; i < w->c->n; i++) {
      const bench_page *pg = &w->c->pages[(w->first + i) % w->c->n];
      riptide_err err;
      bench_slot_page(s, pg->data, pg->len, opts, sizeof opts - 1, NULL, &err);
      if (err != RIPTIDE_OK)
        w->fails++;
      w->docs++;
    }
  }
  w->cpu_s = thread_cpu_s() - t0;
  g->ops->slot_free(s);
  return NULL;
}

typedef struct result {
  double cpu_us, wall_docs_s, faults, tlb;
  size_t fails;
} result;

static result run(const bench_corpus *c, int threads, int passes)
{
  worker w[2];
  pthread_t t[2];
  unsigned long long tlb0 = tlb_shootdowns();
  long f0 = minor_faults();
  double w0 = wall_s();
  for (int i = 0; i < threads; i++) {
    w[i] = (worker){.c = c, .first = (size_t)i * c->n / 2, .passes = passes};
    pthread_create(&t[i], NULL, work, &w[i]);
  }
  double cpu = 0;
  size_t docs = 0, fails = 0;
  for (int i = 0; i < threads; i++) {
    pthread_join(t[i], NULL);
    cpu += w[i].cpu_s;
    docs += w[i].docs;
    fails += w[i].fails;
  }
  double wall = wall_s() - w0;
  result r = {.fails = fails};
  if (docs) {
    r.cpu_us = cpu / (double)docs * 1e6;
    r.wall_docs_s = (double)docs / wall;
    r.faults = (double)(minor_faults() - f0) / (double)docs;
    r.tlb = (double)(tlb_shootdowns() - tlb0) / (double)docs;
  }
  return r;
}

int main(int argc, char **argv)
{
  const char *shared = argc > 1 ? argv[1] : getenv("RIPTIDE_SHARED");
  if (!shared)
    shared = "../shared";
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/eval/dev/readability-testpages", shared);
  bench_corpus c;
  if (bench_corpus_load(dir, &c) != 0 || c.n == 0) {
    printf("  bench_sandbox_threads: no pages under %s; skipped\n", dir);
    bench_corpus_free(&c);
    return 0;
  }
  result best[3];
  for (int th = 1; th <= 2; th++) {
    best[th] = (result){.cpu_us = 1e30};
    for (int rep = 0; rep < 3; rep++) {
      result r = run(&c, th, 1);
      if (r.cpu_us < best[th].cpu_us)
        best[th] = r;
    }
    printf("  %d thread%s: CPU %7.1f us/doc, wall %6.1f docs/s, minor faults %5.2f/doc, TLB "
           "shootdowns %5.2f/doc%s\n",
           th, th > 1 ? "s" : " ", best[th].cpu_us, best[th].wall_docs_s, best[th].faults,
           best[th].tlb, best[th].fails ? " [some calls failed]" : "");
  }
  printf("  real extractor, %zu pages, a slot per thread: CPU per doc 2 vs 1 threads %.2fx, wall "
         "docs/s %.2fx\n",
         c.n, best[2].cpu_us / best[1].cpu_us, best[2].wall_docs_s / best[1].wall_docs_s);
  bench_corpus_free(&c);
  return 0;
}
