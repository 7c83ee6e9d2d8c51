/* corpus.h - loads a folder of .html files into memory (benchmarks and corpus tests). */
#ifndef RT_TEST_CORPUS_H
#define RT_TEST_CORPUS_H

#include "riptide.h"

#include <stddef.h>
#include <stdint.h>

typedef struct bench_page {
  char *name; /* file name without ".html" */
  char *data; /* file bytes, NUL-terminated */
  size_t len;
} bench_page;

typedef struct bench_corpus {
  bench_page *pages; /* sorted by name */
  size_t n;
  size_t bytes;
} bench_corpus;

/* Loads every *.html in dir. Returns 0 (possibly with n == 0) or -1 if dir is unreadable or
 * memory runs out; *c is always safe to pass to bench_corpus_free. */
int bench_corpus_load(const char *dir, bench_corpus *c);
void bench_corpus_free(bench_corpus *c);

/* The dev sets a benchmark reads: SHARED/eval/dev/readability-testpages and trafilatura-eval,
 * SHARED being argv[1], else $RIPTIDE_SHARED, else "../shared". Loads both into sc[0], sc[1]
 * and returns their page count (0 when absent). */
#define BENCH_DEV_SETS 2
extern const char *const bench_dev_sets[BENCH_DEV_SETS]; /* their folder names */
size_t bench_dev_load(int argc, char **argv, bench_corpus sc[BENCH_DEV_SETS], const char **shared);

/* CPU time of the calling thread, and monotonic wall time, in seconds. */
double bench_thread_cpu_s(void);
double bench_wall_s(void);

/* Reads a whole file into a malloc'd NUL-terminated buffer (caller frees); NULL on error. */
char *bench_read_file(const char *path, size_t *len);

struct rt_slot;
/* One page through a sandbox slot in article mode with the option lines `opts`: call, read the
 * slot's memory size in wasm pages into *pages_out (when not NULL), free the result, reset the
 * slot. Returns the result's length in bytes; 0 with *err set when the call failed. */
size_t bench_slot_page(struct rt_slot *s, const char *data, size_t len, const char *opts,
                       size_t opts_len, uint32_t *pages_out, riptide_err *err);

#endif
