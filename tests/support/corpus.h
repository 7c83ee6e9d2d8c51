/* corpus.h - loads a folder of .html files into memory (benchmarks and corpus tests). */
#ifndef RT_TEST_CORPUS_H
#define RT_TEST_CORPUS_H

#include <stddef.h>

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

/* Reads a whole file into a malloc'd NUL-terminated buffer (caller frees); NULL on error. */
char *bench_read_file(const char *path, size_t *len);

#endif
