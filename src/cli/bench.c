/*
 * bench.c - `riptide bench DIR`: throughput and latency on a folder of pages.
 *
 * DESIGN: every page is read and decoded into memory first (file I/O is not measured), then
 * each engine runs over the pages `repeat` times with N threads taking the next page from an
 * atomic counter. Each thread keeps its own latency histogram, merged after the join. The
 * pool and the native extractor are measured in the same run, so their ratio is meaningful
 * on any machine.
 *
 * With --rate R the run is open loop, the in-process counterpart of a paced HTTP load: page i
 * falls due at start + i / R; the thread that takes it waits for that moment if it is early,
 * and its latency is counted from the due time, so a page queued behind slow ones counts its
 * wait (FIFO: pages are taken in due order by the same atomic counter).
 */
#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct page {
  char *html;
  size_t len;
} page;

typedef struct corpus {
  page *v;
  size_t n, cap;
  uint64_t bytes;
  uint64_t skipped;
  uint64_t max;
} corpus;

typedef struct run {
  const corpus *pages;
  cli_engine *eng;
  const riptide_options *opts;
  unsigned repeat;
  double rate; /* pages/s, open loop; 0: each thread takes the next page at once */
  uint64_t t0; /* start, for due times */
  atomic_uint_fast64_t next;
  atomic_uint_fast64_t ok, fallback, failed;
} run;

typedef struct worker {
  run *r;
  cli_latency lat;
  pthread_t th;
} worker;

static bool load_one(const char *path, const char *error, void *ctx)
{
  corpus *c = ctx;
  if (error) {
    c->skipped++;
    return true;
  }
  char *raw = NULL, *html = NULL;
  size_t raw_len = 0, len = 0;
  char detail[256];
  if (cli_read_source(path, c->max, &raw, &raw_len, detail, sizeof detail) != RIPTIDE_OK ||
      raw_len == 0 || riptide_decode_input(raw, raw_len, NULL, c->max, &html, &len) != RIPTIDE_OK) {
    free(raw);
    c->skipped++;
    return true;
  }
  free(raw);
  if (c->n == c->cap) {
    size_t nc = c->cap ? c->cap * 2 : 256;
    page *nv = realloc(c->v, nc * sizeof *nv);
    if (!nv) {
      free(html);
      return false;
    }
    c->v = nv;
    c->cap = nc;
  }
  c->v[c->n].html = html;
  c->v[c->n].len = len;
  c->n++;
  c->bytes += len;
  return true;
}

static void *bench_worker(void *arg)
{
  worker *w = arg;
  run *r = w->r;
  uint64_t total = (uint64_t)r->pages->n * r->repeat;
  for (;;) {
    uint64_t i = atomic_fetch_add(&r->next, 1);
    if (i >= total)
      break;
    const page *p = &r->pages->v[i % r->pages->n];
    uint64_t t0 = cli_now_ns();
    if (r->rate > 0) {
      uint64_t due = r->t0 + (uint64_t)((double)i * 1e9 / r->rate);
      if (due > t0) {
        struct timespec ts = {.tv_sec = (time_t)(due / 1000000000u),
                              .tv_nsec = (long)(due % 1000000000u)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
          ;
      }
      t0 = due;
    }
    riptide_document *doc = NULL;
    riptide_err err = cli_engine_extract(r->eng, p->html, p->len, NULL, r->opts, &doc);
    cli_latency_add(&w->lat, cli_now_ns() - t0);
    if (err == RIPTIDE_OK) {
      atomic_fetch_add(&r->ok, 1);
      if (doc->fallback_reason)
        atomic_fetch_add(&r->fallback, 1);
    } else {
      atomic_fetch_add(&r->failed, 1);
    }
    riptide_document_free(doc);
  }
  return NULL;
}

/* Runs one engine; returns pages/s (0 on failure). */
static double run_engine(const char *label, bool native, const corpus *pages, unsigned parallel,
                         unsigned repeat, double rate, const riptide_options *opts)
{
  cli_config c;
  memset(&c, 0, sizeof c);
  c.parallel = parallel;
  c.native = native;
  cli_engine eng;
  char detail[256] = "";
  if (cli_engine_open(&eng, &c, detail, sizeof detail) != RIPTIDE_OK) {
    fprintf(stderr, "riptide bench: %s: %s\n", label, detail);
    cli_engine_close(&eng);
    return 0;
  }
  run r = {.pages = pages, .eng = &eng, .opts = opts, .repeat = repeat, .rate = rate};
  atomic_init(&r.next, 0);
  atomic_init(&r.ok, 0);
  atomic_init(&r.fallback, 0);
  atomic_init(&r.failed, 0);
  worker *ws = calloc(parallel, sizeof *ws);
  if (!ws) {
    cli_engine_close(&eng);
    return 0;
  }
  uint64_t t0 = cli_now_ns();
  r.t0 = t0;
  unsigned started = 0;
  for (unsigned i = 0; i < parallel; i++) {
    ws[i].r = &r;
    if (pthread_create(&ws[i].th, NULL, bench_worker, &ws[i]) != 0)
      break;
    started++;
  }
  cli_latency all;
  memset(&all, 0, sizeof all);
  for (unsigned i = 0; i < started; i++) {
    pthread_join(ws[i].th, NULL);
    cli_latency_merge(&all, &ws[i].lat);
  }
  double el = (double)(cli_now_ns() - t0) / 1e9;
  uint64_t n = (uint64_t)pages->n * repeat;
  double pps = el > 0 ? (double)n / el : 0;
  double mibs = el > 0 ? (double)pages->bytes * repeat / el / 1048576.0 : 0;
  printf("%-7s %10.1f %8.1f %9.2f %9.2f %9.2f %7llu %8llu %7llu\n", label, pps, mibs,
         (double)cli_latency_quantile(&all, 0.50) / 1e6,
         (double)cli_latency_quantile(&all, 0.95) / 1e6,
         (double)cli_latency_quantile(&all, 0.99) / 1e6, (unsigned long long)atomic_load(&r.ok),
         (unsigned long long)atomic_load(&r.fallback), (unsigned long long)atomic_load(&r.failed));
  fflush(stdout);
  free(ws);
  cli_engine_close(&eng);
  return started ? pps : 0;
}

static const char BENCH_USAGE[] =
    "usage: riptide bench DIR [options]\n"
    "\n"
    "Loads every .html, .htm and .gz page under DIR, then extracts them all with the pool and\n"
    "with the native extractor, and prints pages/s, MiB/s, latency quantiles and the\n"
    "pool/native ratio of the same run.\n"
    "\n"
    "options (defaults in parentheses; the extraction options are extract's, with its\n"
    "defaults):\n"
    "  -p, --parallel N         threads, 1 to 1024 (default: CPUs)\n"
    "  -r, --repeat N           passes over the pages, 1 to 1024 (default: 1)\n"
    "  -m, --mode M             article | full | metadata (default: article)\n"
    "  -e, --engine E           pool | native | both (default: both)\n"
    "      --rate R             open loop: page i falls due at start + i/R (pages/s), and\n"
    "                           its latency counts from then (default: as fast as "
    "possible)\n" CLI_OUTPUT_USAGE "  -h, --help               this text\n";

int cli_bench(int argc, char **argv)
{
  static const struct option longopts[] = {
      {"parallel", required_argument, NULL, 'p'},
      {"repeat", required_argument, NULL, 'r'},
      {"mode", required_argument, NULL, 'm'},
      {"engine", required_argument, NULL, 'e'},
      {"rate", required_argument, NULL, 'R'},
      {"help", no_argument, NULL, 'h'},
      CLI_OUTPUT_LONGOPTS,
      {NULL, 0, NULL, 0},
  };
  unsigned parallel = cli_cpu_count(), repeat = 1;
  double rate = 0;
  riptide_options opts;
  riptide_options_init(&opts);
  cli_output_defaults(&opts); /* what `riptide extract` does by default */
  bool want_pool = true, want_native = true;
  optind = 1;
  int ch;
  while ((ch = getopt_long(argc, argv, "p:r:m:e:h", longopts, NULL)) != -1) {
    char *end;
    long v;
    switch (ch) {
    case 'p':
    case 'r':
      v = strtol(optarg, &end, 10);
      if (end == optarg || *end || v < 1 || v > 1024) {
        fprintf(stderr, "riptide bench: bad number '%s'\n", optarg);
        return CLI_EXIT_USAGE;
      }
      if (ch == 'p')
        parallel = (unsigned)v;
      else
        repeat = (unsigned)v;
      break;
    case 'm':
      if (riptide_mode_parse(optarg, &opts.mode) != RIPTIDE_OK ||
          opts.mode == RIPTIDE_MODE_CUSTOM) {
        fprintf(stderr, "riptide bench: mode article, full or metadata\n");
        return CLI_EXIT_USAGE;
      }
      break;
    case 'e':
      want_pool = !strcmp(optarg, "pool") || !strcmp(optarg, "both");
      want_native = !strcmp(optarg, "native") || !strcmp(optarg, "both");
      if (!want_pool && !want_native) {
        fprintf(stderr, "riptide bench: --engine pool, native or both\n");
        return CLI_EXIT_USAGE;
      }
      break;
    case 'R':
      rate = strtod(optarg, &end);
      if (end == optarg || *end || !(rate > 0 && rate <= 1e7)) {
        fprintf(stderr, "riptide bench: --rate wants pages/s, above 0\n");
        return CLI_EXIT_USAGE;
      }
      break;
    case 'h':
      fputs(BENCH_USAGE, stdout);
      return CLI_EXIT_OK;
    default:
      if (cli_output_option(ch, &opts))
        break;
      return CLI_EXIT_USAGE;
    }
  }
  if (optind + 1 != argc) {
    fprintf(stderr, "riptide bench: give one directory\n");
    return CLI_EXIT_USAGE;
  }
  const char *dir = argv[optind];
  corpus pages = {.max = 64ull << 20};
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    char *esc = cli_escape_terminal(dir);
    fprintf(stderr, "riptide bench: %s: not a directory\n", esc ? esc : "?");
    free(esc);
    return CLI_EXIT_USAGE;
  }
  if (!cli_walk_dir(dir, load_one, &pages)) {
    fprintf(stderr, "riptide bench: out of memory\n");
    return CLI_EXIT_FAILED;
  }
  if (pages.n == 0) {
    fprintf(stderr, "riptide bench: no readable .html/.htm/.gz pages under %s\n", dir);
    return CLI_EXIT_FAILED;
  }
  printf("riptide bench: %zu page%s (%.1f MiB decoded, %llu skipped) from %s, parallel %u, "
         "repeat %u, mode %s%s\n",
         pages.n, pages.n == 1 ? "" : "s", (double)pages.bytes / 1048576.0,
         (unsigned long long)pages.skipped, dir, parallel, repeat, riptide_mode_name(opts.mode),
         rate > 0 ? ", open loop (latency from each page's due time)" : "");
  printf("%-7s %10s %8s %9s %9s %9s %7s %8s %7s\n", "engine", "pages/s", "MiB/s", "p50 ms",
         "p95 ms", "p99 ms", "ok", "fallback", "failed");
  double pool_pps = 0, native_pps = 0;
  if (want_pool)
    pool_pps = run_engine("pool", false, &pages, parallel, repeat, rate, &opts);
  if (want_native)
    native_pps = run_engine("native", true, &pages, parallel, repeat, rate, &opts);
  if (want_pool && want_native && native_pps > 0)
    printf("ratio pool/native: %.2fx (same run, same pages)\n", pool_pps / native_pps);
  for (size_t i = 0; i < pages.n; i++)
    free(pages.v[i].html);
  free(pages.v);
  return (want_pool && pool_pps == 0) || (want_native && native_pps == 0) ? CLI_EXIT_FAILED
                                                                          : CLI_EXIT_OK;
}
