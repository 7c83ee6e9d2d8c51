/*
 * bench_warc.c - WARC input throughput beside the same pages as files, in one run.
 *
 *   bench_warc [SHARED]     (make bench)
 *
 * The dev pages (the *.html of $SHARED/eval/dev) are written twice into a temporary directory: as
 * one file each, and as one WARC file of `response` records (one gzip member per record, as Common
 * Crawl writes them; and the same records uncompressed). Then, on one thread, with a pool of
 * one instance (the path of `riptide extract`):
 *  - WARC read only: riptide_warc_next() and riptide_warc_take_body() over the whole file (what
 *    the command does before a page reaches a worker), MB/s of WARC file read and pages/s;
 *  - files: read each file, decode, extract: pages/s;
 *  - WARC: riptide_warc_next(), riptide_warc_take_body(), decode, extract: pages/s, and the
 *    share of the time spent in the WARC reader, inflate included (the figure before bodies
 *    were deferred);
 *  - WARC, deferred bodies (what `riptide extract` does): riptide_warc_next() and
 *    riptide_warc_take_deferred() on the producer thread, then riptide_warc_body_inflate(),
 *    decode and extract on a worker: the producer's share of the time (the goal: under 10 %,
 *    so the reader is never the bottleneck), and the inflate's share, now a worker's.
 * Times are thread CPU time (the extraction runs on the calling thread), so the ratios do not
 * depend on what else the machine runs; wall time is printed beside them.
 */
#include "riptide.h"
#include "support/corpus.h"
#include "support/warc_writer.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int write_file(const char *path, const void *p, size_t n)
{
  FILE *f = fopen(path, "wb");
  if (!f)
    return -1;
  size_t w = fwrite(p, 1, n, f);
  return fclose(f) == 0 && w == n ? 0 : -1;
}

typedef struct pass {
  double cpu, wall;   /* whole pass */
  double read_cpu;    /* in the WARC reader (or reading the files): the producer's part */
  double inflate_cpu; /* deferred bodies: riptide_warc_body_inflate(), the worker's part */
  size_t deferred;    /* pages that came deferred */
  size_t pages, ok;   /* inputs, documents */
  uint64_t in_bytes;  /* page bytes handed to the decoder */
} pass;

/* Decodes and extracts one page (the CLI's steps after reading). */
static void extract_one(riptide_pool *pool, const riptide_options *o, char *buf, size_t len,
                        const char *ctype, const char *url, pass *p)
{
  char *html = NULL;
  size_t hlen = 0;
  p->pages++;
  p->in_bytes += len;
  if (riptide_decode_input_inplace(buf, len, ctype, 0, &html, &hlen) != RIPTIDE_OK)
    return;
  riptide_document *doc = NULL;
  if (riptide_pool_extract(pool, html, hlen, url, o, &doc) == RIPTIDE_OK)
    p->ok++;
  riptide_document_free(doc);
  if (html != buf)
    riptide_free(html);
}

/* Every page of the WARC at path; extract = false: the reader alone; defer: deferred bodies,
 * inflated after the producer's part (on a worker in `riptide extract`). */
static int warc_pass(const char *path, riptide_pool *pool, const riptide_options *o, bool extract,
                     bool defer, pass *p)
{
  memset(p, 0, sizeof *p);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  riptide_warc *w = NULL;
  if (fd < 0 || riptide_warc_open(fd, 0, false, &w) != RIPTIDE_OK) {
    if (fd >= 0)
      close(fd);
    return -1;
  }
  riptide_warc_defer_bodies(w, defer);
  double c0 = bench_thread_cpu_s(), w0 = bench_wall_s();
  for (;;) {
    /* The reader's time is what `riptide extract` does on its producer thread before a page
     * reaches a worker: riptide_warc_next(), taking the body into a buffer of the page's own
     * (riptide_warc_take_body(): usually the buffer it was inflated into, else a copy) and
     * copying the record's strings the job keeps. */
    double r0 = bench_thread_cpu_s();
    riptide_warc_item it;
    void *mem = NULL;
    char *body = NULL, *strs[6] = {NULL, NULL, NULL, NULL, NULL, NULL};
    riptide_warc_body *wb = NULL;
    int rc = riptide_warc_next(w, &it);
    if (rc > 0 && it.kind == RIPTIDE_WARC_PAGE) {
      if (defer) {
        p->deferred += it.body == NULL;
        wb = riptide_warc_take_deferred(w);
        body = wb ? (char *)"" : NULL;
      } else {
        body = riptide_warc_take_body(w, &mem);
      }
      strs[0] = strdup(it.id);
      strs[1] = it.url ? strdup(it.url) : NULL;
      strs[2] = it.content_type ? strdup(it.content_type) : NULL;
      strs[3] = strdup(it.date);
      strs[4] = strdup(path); /* the job's source and warc_file */
      strs[5] = strdup(path);
      if (!body || !strs[0] || !strs[3] || !strs[4] || !strs[5])
        rc = -1;
    }
    p->read_cpu += bench_thread_cpu_s() - r0;
    if (wb) { /* the worker's first step */
      double i0 = bench_thread_cpu_s();
      size_t len = 0;
      if (riptide_warc_body_inflate(wb, &body, &len, &mem, NULL, 0) != RIPTIDE_OK)
        rc = -1;
      riptide_warc_body_free(wb);
      p->inflate_cpu += bench_thread_cpu_s() - i0;
    }
    if (rc > 0 && it.kind == RIPTIDE_WARC_PAGE) {
      if (extract) {
        extract_one(pool, o, body, it.body_len, strs[2], strs[1], p);
      } else {
        p->pages++;
        p->in_bytes += it.body_len;
      }
    }
    riptide_free(mem);
    for (size_t i = 0; i < 6; i++)
      free(strs[i]);
    if (rc <= 0)
      break;
  }
  p->cpu = bench_thread_cpu_s() - c0;
  p->wall = bench_wall_s() - w0;
  riptide_warc_close(w);
  close(fd);
  return 0;
}

static int files_pass(char **paths, char **urls, size_t n, riptide_pool *pool,
                      const riptide_options *o, pass *p)
{
  memset(p, 0, sizeof *p);
  double c0 = bench_thread_cpu_s(), w0 = bench_wall_s();
  for (size_t i = 0; i < n; i++) {
    double r0 = bench_thread_cpu_s();
    size_t len = 0;
    char *buf = bench_read_file(paths[i], &len);
    p->read_cpu += bench_thread_cpu_s() - r0;
    if (!buf)
      return -1;
    extract_one(pool, o, buf, len, NULL, urls[i], p);
    free(buf);
  }
  p->cpu = bench_thread_cpu_s() - c0;
  p->wall = bench_wall_s() - w0;
  return 0;
}

int main(int argc, char **argv)
{
  const char *shared;
  bench_corpus sc[BENCH_DEV_SETS]; /* both dev sets, one after the other */
  size_t n = bench_dev_load(argc, argv, sc, &shared);
  if (!n) {
    printf("bench_warc: no pages under %s/eval/dev, skipped\n", shared);
    return 0;
  }
  char tmp[] = "/tmp/riptide-bench-warc-XXXXXX";
  if (!mkdtemp(tmp))
    return 1;
  /* The pages as files, and as WARC records (gzip per record, and plain). */
  char **paths = calloc(n, sizeof *paths);
  char **urls = calloc(n, sizeof *urls); /* the files get the records' addresses too, as a
                                            manifest's PATH<TAB>URL gives them */
  wbuf gz = {0}, plain = {0};
  size_t m = 0;
  int rc = 0;
  for (size_t k = 0; k < 2 && paths && urls; k++) {
    for (size_t i = 0; i < sc[k].n; i++, m++) {
      const bench_page *pg = &sc[k].pages[i];
      char path[4200], id[64], uri[512];
      snprintf(path, sizeof path, "%s/%zu.html", tmp, m);
      snprintf(id, sizeof id, "00000000-0000-4000-8000-%012zu", m);
      snprintf(uri, sizeof uri, "https://bench.example/%s/%s", bench_dev_sets[k], pg->name);
      paths[m] = strdup(path);
      urls[m] = strdup(uri);
      if (!paths[m] || !urls[m] || write_file(path, pg->data, pg->len) != 0)
        rc = 1;
      wbuf rec = {0};
      wb_response(&rec, id, uri, 200, "Content-Type: text/html\r\n", pg->data, pg->len);
      wb_gzip(&gz, rec.p, rec.n);
      wb_put(&plain, rec.p, rec.n);
      free(rec.p);
    }
  }
  char gz_path[4200], plain_path[4200];
  snprintf(gz_path, sizeof gz_path, "%s/dev.warc.gz", tmp);
  snprintf(plain_path, sizeof plain_path, "%s/dev.warc", tmp);
  if (!paths || !urls || rc || write_file(gz_path, gz.p, gz.n) != 0 ||
      write_file(plain_path, plain.p, plain.n) != 0) {
    fprintf(stderr, "bench_warc: cannot write the test files under %s\n", tmp);
    rc = 1;
    goto out;
  }

  riptide_pool_config pc;
  riptide_pool_config_init(&pc);
  pc.max_slots = 1;
  pc.warm_slots = 1;
  riptide_pool *pool = NULL;
  if (riptide_pool_new(&pc, &pool) != RIPTIDE_OK) {
    fprintf(stderr, "bench_warc: cannot create the pool\n");
    rc = 1;
    goto out;
  }
  riptide_options o;
  riptide_options_init(&o);

  pass r_gz, r_gzd, r_plain, files, warc, warcd;
  if (warc_pass(gz_path, NULL, NULL, false, false, &r_gz) != 0 ||
      warc_pass(gz_path, NULL, NULL, false, true, &r_gzd) != 0 ||
      warc_pass(plain_path, NULL, NULL, false, false, &r_plain) != 0 ||
      files_pass(paths, urls, n, pool, &o, &files) != 0 ||
      warc_pass(gz_path, pool, &o, true, false, &warc) != 0 ||
      warc_pass(gz_path, pool, &o, true, true, &warcd) != 0) {
    fprintf(stderr, "bench_warc: a pass failed\n");
    rc = 1;
  } else {
    double mb = 1024.0 * 1024.0;
    printf("%zu dev pages, %.1f MB of HTML; WARC %.1f MB gzip per record, %.1f MB plain\n", n,
           (double)files.in_bytes / mb, (double)gz.n / mb, (double)plain.n / mb);
    printf("%-26s %10s %10s %10s %8s\n", "", "pages/s", "MB/s", "CPU s", "wall s");
    printf("%-26s %10.0f %10.1f %10.3f %8.3f   (MB of WARC file read)\n", "WARC read only (gzip)",
           (double)r_gz.pages / r_gz.cpu, (double)gz.n / mb / r_gz.cpu, r_gz.cpu, r_gz.wall);
    printf("%-26s %10.0f %10.1f %10.3f %8.3f   (producer only: %zu of %zu pages deferred)\n",
           "WARC read, deferred (gzip)", (double)r_gzd.pages / r_gzd.read_cpu,
           (double)gz.n / mb / r_gzd.read_cpu, r_gzd.read_cpu, r_gzd.wall, r_gzd.deferred,
           r_gzd.pages);
    printf("%-26s %10.0f %10.1f %10.3f %8.3f\n", "WARC read only (plain)",
           (double)r_plain.pages / r_plain.cpu, (double)plain.n / mb / r_plain.cpu, r_plain.cpu,
           r_plain.wall);
    printf("%-26s %10.1f %10.1f %10.3f %8.3f   (%zu ok)\n", "files: read+extract",
           (double)files.pages / files.cpu, (double)files.in_bytes / mb / files.cpu, files.cpu,
           files.wall, files.ok);
    printf("%-26s %10.1f %10.1f %10.3f %8.3f   (%zu ok)\n", "WARC (gzip): read+extract",
           (double)warc.pages / warc.cpu, (double)gz.n / mb / warc.cpu, warc.cpu, warc.wall,
           warc.ok);
    printf("ratio WARC/files (pages/s): %.2fx\n",
           ((double)warc.pages / warc.cpu) / ((double)files.pages / files.cpu));
    printf("%-26s %10.1f %10.1f %10.3f %8.3f   (%zu ok)\n", "WARC (gzip), deferred",
           (double)warcd.pages / warcd.cpu, (double)gz.n / mb / warcd.cpu, warcd.cpu, warcd.wall,
           warcd.ok);
    printf("ratio WARC deferred/files (pages/s): %.2fx; deferred/inflating in the reader: %.2fx "
           "the CPU\n",
           ((double)warcd.pages / warcd.cpu) / ((double)files.pages / files.cpu),
           warcd.cpu / warc.cpu);
    /* Without deferral the reader inflates every page on the producer thread: the figure
     * before riptide_warc_defer_bodies(), inflate included. */
    double old_share = warc.read_cpu / warc.cpu;
    printf("time in the WARC reader, inflating (take_body): %.1f %% of the WARC run\n",
           old_share * 100);
    /* `riptide extract` defers: the producer thread does riptide_warc_next() (headers only)
     * and riptide_warc_take_deferred(); the workers inflate, decode and extract. */
    double share = warcd.read_cpu / warcd.cpu;
    printf("time in the WARC reader: %.1f %% of the WARC run (producer thread, deferred bodies; "
           "goal < 10 %%): %s\n",
           share * 100, share < 0.10 ? "met" : "not met");
    printf("deferred inflate on the workers: %.1f %% of the WARC run\n",
           warcd.inflate_cpu / warcd.cpu * 100);
    /* The producer reads while the workers extract: it is the bottleneck only past this many
     * extracting cores. */
    printf("the reader alone keeps up with %.1f cores extracting (%.1f inflating in the "
           "reader)\n",
           (warcd.cpu - warcd.read_cpu) / warcd.read_cpu,
           (warc.cpu - warc.read_cpu) / warc.read_cpu);
    printf("time reading files: %.1f %% of the files run\n", files.read_cpu / files.cpu * 100);
    if (warc.pages != n || warcd.pages != n || files.pages != n || r_gz.pages != n ||
        r_gzd.pages != n || r_plain.pages != n || warcd.ok != warc.ok) {
      fprintf(stderr, "bench_warc: page counts differ (%zu files, %zu WARC, %zu pages)\n",
              files.pages, warc.pages, n);
      rc = 1;
    }
  }
  riptide_pool_free(pool);
out:
  for (size_t i = 0; paths && i < n; i++) {
    if (paths[i])
      unlink(paths[i]);
    free(paths[i]);
  }
  free(paths);
  for (size_t i = 0; urls && i < n; i++)
    free(urls[i]);
  free(urls);
  unlink(gz_path);
  unlink(plain_path);
  rmdir(tmp);
  free(gz.p);
  free(plain.p);
  for (size_t k = 0; k < 2; k++)
    bench_corpus_free(&sc[k]);
  return rc;
}
