/*
 * bench_extract.c - native guest extractor speed: parse + extract + serialise (article mode,
 * text + Markdown + links + media, wire encoding) over the dev corpus, pages/s on one core.
 *
 *   bench_extract [SHARED]     (make bench)
 *
 * Baseline measured in the same run: parse only (html_parse + dom_doc_free), so the ratio
 * shows what extraction costs on top of parsing. Each page set is run REPS times after one
 * warm-up pass; the figure is pages / thread CPU time of the timed passes (per core).
 */
#include "guest/extract/extract.h"
#include "guest/html/parser.h"
#include "support/corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPS 3

/* Thread CPU time: "pages/s per core" must not depend on what else the machine runs. */
int main(int argc, char **argv)
{
  const char *shared;
  bench_corpus sc[BENCH_DEV_SETS]; /* both dev sets, one after the other */
  size_t n = bench_dev_load(argc, argv, sc, &shared);
  if (!n) {
    printf("bench_extract: no pages under %s/eval/dev, skipped\n", shared);
    return 0;
  }
  const bench_page **pages = malloc(n * sizeof *pages);
  if (!pages)
    return 1;
  size_t m = 0;
  for (size_t k = 0; k < 2; k++)
    for (size_t i = 0; i < sc[k].n; i++)
      pages[m++] = &sc[k].pages[i];
  size_t bytes = 0;
  for (size_t i = 0; i < n; i++)
    bytes += pages[i]->len;

  html_parse_options po;
  memset(&po, 0, sizeof po);
  ex_options o;
  ex_options_init(&o);
  double t_parse = 0, t_full = 0;
  size_t out_bytes = 0;
  int failures = 0;
  for (int rep = 0; rep <= REPS; rep++) {
    double t0 = bench_thread_cpu_s();
    for (size_t i = 0; i < n; i++) {
      dom_doc *doc = NULL;
      if (html_parse(pages[i]->data, pages[i]->len, &po, &doc) == HTML_PARSE_OK)
        dom_doc_free(doc);
    }
    double t1 = bench_thread_cpu_s();
    for (size_t i = 0; i < n; i++) {
      rt_wire_writer w;
      rt_wire_init(&w);
      if (ex_extract(pages[i]->data, pages[i]->len, "", 0, &o, &w) != RT_GUEST_OK)
        failures++;
      out_bytes += w.len;
      rt_wire_reset(&w);
    }
    double t2 = bench_thread_cpu_s();
    if (rep > 0) { /* rep 0 warms caches and the allocator */
      t_parse += t1 - t0;
      t_full += t2 - t1;
    }
  }
  double pages_timed = (double)n * REPS;
  printf("corpus: %zu pages, %.1f MB (dev sets), %d timed passes\n", n, (double)bytes / 1e6, REPS);
  printf("parse only (baseline):          %8.1f pages/s  %7.1f MB/s\n", pages_timed / t_parse,
         (double)bytes * REPS / 1e6 / t_parse);
  printf("parse+extract+serialise:        %8.1f pages/s  %7.1f MB/s\n", pages_timed / t_full,
         (double)bytes * REPS / 1e6 / t_full);
  printf("extract+serialise share:        %8.1f %% of the total time (ratio full/parse %.2fx)\n",
         100.0 * (t_full - t_parse) / t_full, t_full / t_parse);
  printf("goal: >= 630 pages/s per core -> %s; failures: %d\n",
         pages_timed / t_full >= 630 ? "met" : "NOT met", failures);
  free(pages);
  bench_corpus_free(&sc[0]);
  bench_corpus_free(&sc[1]);
  return 0;
}
