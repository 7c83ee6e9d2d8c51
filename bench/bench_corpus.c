/*
 * bench_corpus.c - what the corpus stage costs beside extraction, in one run (make bench):
 *  - fingerprinting (SimHash + SHA-256 of the normalised text, riptide_text_fingerprint) over
 *    the texts of the dev pages, against the native extraction of the same pages (which
 *    includes it): its share of the extraction CPU;
 *  - the dedup index of `riptide extract --dedupe` (src/cli/dedup.c) at 10^5 and 10^6
 *    documents, distance 3: a query plus an insert per document, in microseconds and as a share
 *    of one page's extraction, and its bytes per document.
 *
 *   bench_corpus [SHARED]
 *
 * Times are thread CPU time (the machine is shared); ratios are against the extraction
 * measured in the same run.
 */
#include "cli/corpus.h"
#include "support/corpus.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define REPS 3

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
  uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
  const char *shared;
  bench_corpus sc[BENCH_DEV_SETS]; /* both dev sets, one after the other */
  size_t n = bench_dev_load(argc, argv, sc, &shared);
  double extract_per_page = 0;
  if (n) {
    char **texts = calloc(n, sizeof *texts);
    size_t m = 0, text_bytes = 0;
    double t0 = bench_thread_cpu_s();
    for (size_t k = 0; k < 2; k++) {
      for (size_t i = 0; i < sc[k].n; i++, m++) {
        riptide_document *d = NULL;
        if (riptide_extract_native(sc[k].pages[i].data, sc[k].pages[i].len, NULL, NULL, &d) ==
                RIPTIDE_OK &&
            d->text) {
          texts[m] = strdup(d->text);
          text_bytes += strlen(d->text);
        }
        riptide_document_free(d);
      }
    }
    double t_extract = bench_thread_cpu_s() - t0;
    extract_per_page = t_extract / (double)n;
    uint64_t sink = 0;
    t0 = bench_thread_cpu_s();
    for (int r = 0; r < REPS; r++) {
      for (size_t i = 0; i < n; i++) {
        if (!texts[i])
          continue;
        uint64_t fp;
        uint8_t h[16];
        riptide_text_fingerprint(texts[i], strlen(texts[i]), &fp, h);
        sink ^= fp ^ h[0];
      }
    }
    double t_fp = (bench_thread_cpu_s() - t0) / REPS;
    printf("fingerprint: %zu dev pages, %.1f MB of text: %.1f us/page, %.0f MB/s; native "
           "extraction %.2f ms/page: fingerprinting is %.2f %% of it (sink %llx)\n",
           n, (double)text_bytes / 1e6, t_fp / (double)n * 1e6, (double)text_bytes / t_fp / 1e6,
           extract_per_page * 1e3, 100.0 * t_fp / t_extract, (unsigned long long)(sink & 0xf));
    for (size_t i = 0; i < n; i++)
      free(texts[i]);
    free(texts);
  } else {
    printf("fingerprint: no pages under %s/eval/dev, skipped (index figures follow)\n", shared);
  }

  static const size_t sizes[] = {100000, 1000000};
  for (size_t s = 0; s < 2; s++) {
    cli_dedup *x = cli_dedup_new(CLI_DEDUPE_DISTANCE_DEFAULT);
    if (!x)
      return 1;
    size_t dups = 0;
    double t0 = bench_thread_cpu_s();
    for (size_t i = 0; i < sizes[s]; i++) {
      uint64_t fp = rnd();
      char id[24];
      snprintf(id, sizeof id, "%zu", i);
      if (cli_dedup_find(x, fp, NULL) >= 0)
        dups++;
      else if (!cli_dedup_add(x, fp, id))
        return 1;
    }
    double t = bench_thread_cpu_s() - t0;
    size_t ib, idb;
    cli_dedup_memory(x, &ib, &idb);
    double us = t / (double)sizes[s] * 1e6;
    printf("dedup index, distance 3, %zu documents: %.2f us/document (query + insert)%s%.2f %% "
           "of a page's extraction; %.1f bytes/document + %.1f for ids; %zu matches\n",
           sizes[s], us, extract_per_page > 0 ? ", " : "",
           extract_per_page > 0 ? 100.0 * t / (double)sizes[s] / extract_per_page : 0.0,
           (double)ib / (double)sizes[s], (double)idb / (double)sizes[s], dups);
    cli_dedup_free(x);
  }
  for (size_t k = 0; k < 2; k++)
    bench_corpus_free(&sc[k]);
  return 0;
}
