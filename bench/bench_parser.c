/*
 * bench_parser.c - HTML parser throughput and peak memory, side by side with gumbo.
 *
 * Usage: bench_parser [SHARED] [ROUNDS]
 *   Loads every SHARED/eval/dev/{corpus}/{page}.html into memory (SHARED defaults to
 *   $RIPTIDE_SHARED, then ../shared; skips with a message when absent), then:
 *   - throughput (process CPU time; both parsers are single-threaded): parses the whole
 *     corpus with html_parse() and with gumbo_parse() (Debian's libgumbo) ROUNDS times each
 *     (default 3), interleaved, and prints the best round of each in MB/s and their ratio. Each
 *     parse includes building and freeing the tree. Then, per page, the ratio of gumbo's time
 *     to ours (each page repeated for at least 2 ms of CPU per parser): min, median, max.
 *   - parse only, natively and inside the sandbox: the corpus through the guest's entry point
 *     ex_extract() with the option line "parse_only=1" (parse, free, return an empty result),
 *     natively and in the wasm2c-compiled guest in one reused sandbox slot (copy in + call +
 *     reset per page, as bench_sandbox_native does for the whole extractor); best of ROUNDS in
 *     thread CPU time, MB/s and the sandbox/native time ratio (goal <= 1.4x).
 *   - memory: per page, the peak heap held during html_parse() (DOM arena, tokenizer buffers,
 *     parser stacks; counted by wrapping malloc/calloc/realloc/free at link time, see
 *     mk/parser.mk) over the input size: aggregate, median, p95 and worst page, also over
 *     pages of at least 64 KB and 8 KB, and the fixed cost of parsing an empty input.
 *   ROUNDS 0 prints the memory figures only.
 *
 * DESIGN: the measuring thread is the only one that parses. The memory figures are taken
 * first, before any sandbox exists (its watchdog thread could allocate concurrently with the
 * unsynchronised counters). The malloc wrappers count bytes with malloc_usable_size(), so a
 * block allocated inside libc and freed here cannot corrupt anything (it only skews the
 * count); gumbo is a shared library and is not counted.
 */
#include "support/corpus.h"
#include "guest/extract/extract.h"
#include "guest/html/parser.h"
#include "sandbox/sandbox.h"

#include <glob.h>
#include <gumbo.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- counting allocator (linked with -Wl,--wrap=malloc,...) -------------------------------- */

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t m);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

static size_t bench_cur, bench_peak;

static void bench_add(void *p)
{
  if (p) {
    bench_cur += malloc_usable_size(p);
    if (bench_cur > bench_peak)
      bench_peak = bench_cur;
  }
}

static void bench_sub(void *p)
{
  if (p) {
    size_t n = malloc_usable_size(p);
    bench_cur = bench_cur > n ? bench_cur - n : 0;
  }
}

void *__wrap_malloc(size_t n)
{
  void *p = __real_malloc(n);
  bench_add(p);
  return p;
}

void *__wrap_calloc(size_t n, size_t m)
{
  void *p = __real_calloc(n, m);
  bench_add(p);
  return p;
}

void *__wrap_realloc(void *old, size_t n)
{
  size_t before = old ? malloc_usable_size(old) : 0;
  void *p = __real_realloc(old, n);
  if (p || n == 0) {
    bench_cur = bench_cur > before ? bench_cur - before : 0;
    bench_add(p);
  }
  return p;
}

void __wrap_free(void *p)
{
  bench_sub(p);
  __real_free(p);
}

/* ---- corpus ------------------------------------------------------------------------------- */

typedef struct page {
  char *name;
  char *data;
  size_t len;
} page;

#define BIG_PAGE (64 * 1024)
#define MID_PAGE (8 * 1024)

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: robust on a loaded machine */
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double thread_cpu(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts); /* the sandbox's watchdog thread not counted */
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char parse_only_opts[] = "parse_only=1\n";

/* Parse only, natively, through the guest's entry point (option parsing + html_parse + free:
 * exactly what the sandboxed call runs). Returns thread CPU seconds; counts failures. */
static double native_parse_only(const page *pages, size_t np, size_t *fails)
{
  double t0 = thread_cpu();
  *fails = 0;
  for (size_t i = 0; i < np; i++) {
    ex_options o;
    char scratch[64];
    ex_options_init(&o);
    rt_wire_writer w;
    rt_wire_init(&w);
    if (ex_options_parse(&o, parse_only_opts, sizeof parse_only_opts - 1, scratch,
                         sizeof scratch) != RT_GUEST_OK ||
        ex_extract(pages[i].data, pages[i].len, NULL, 0, &o, &w) != RT_GUEST_OK)
      (*fails)++;
    rt_wire_reset(&w);
  }
  return thread_cpu() - t0;
}

/* The same in the wasm2c-compiled guest, one reused slot: copy in + call + reset per page. */
static double sandbox_parse_only(const page *pages, size_t np, rt_slot *s, size_t *fails)
{
  double t0 = thread_cpu();
  *fails = 0;
  for (size_t i = 0; i < np; i++) {
    riptide_err err;
    bench_slot_page(s, pages[i].data, pages[i].len, parse_only_opts, sizeof parse_only_opts - 1,
                    NULL, &err);
    if (err != RIPTIDE_OK)
      (*fails)++;
  }
  return thread_cpu() - t0;
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
  const char *shared = argc > 1 ? argv[1] : getenv("RIPTIDE_SHARED");
  if (!shared || !*shared)
    shared = "../shared";
  int rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 3; /* 0: memory figures only */
  if (rounds < 0)
    rounds = 0;
  char pat[4096];
  snprintf(pat, sizeof pat, "%s/eval/dev/*/*.html", shared);
  glob_t g;
  if (glob(pat, 0, NULL, &g) != 0 || g.gl_pathc == 0) {
    printf("bench_parser: skipped (no pages match %s)\n", pat);
    return 0;
  }
  size_t np = 0, total = 0;
  page *pages = calloc(g.gl_pathc, sizeof *pages);
  if (!pages)
    return 1;
  for (size_t i = 0; i < g.gl_pathc; i++) {
    size_t len;
    char *d = bench_read_file(g.gl_pathv[i], &len);
    if (!d)
      continue;
    const char *slash = strrchr(g.gl_pathv[i], '/');
    const char *dir = slash;
    while (dir && dir > g.gl_pathv[i] && dir[-1] != '/')
      dir--;
    size_t nl = strlen(dir ? dir : g.gl_pathv[i]);
    pages[np].name = malloc(nl + 1);
    if (pages[np].name)
      memcpy(pages[np].name, dir ? dir : g.gl_pathv[i], nl + 1);
    pages[np].data = d;
    pages[np].len = len;
    total += len;
    np++;
  }
  globfree(&g);
  double mb = (double)total / 1e6;
  printf("corpus: %zu pages, %.1f MB (%s)\n", np, mb, pat);

  /* memory, one parse per page */
  double *ratios = malloc(np * sizeof *ratios);
  double *big = malloc(np * sizeof *big);
  double *mid = malloc(np * sizeof *mid);
  size_t nbig = 0, nmid = 0, sum_peak = 0, failures = 0, worst = 0, worst_big = 0, worst_mid = 0;
  double worst_big_ratio = 0, worst_mid_ratio = 0;
  if (!ratios || !big || !mid)
    return 1;
  /* fixed cost of one parse: an empty document */
  bench_cur = bench_peak = 0;
  dom_doc *empty = NULL;
  html_parse("", 0, NULL, &empty);
  size_t fixed = bench_peak;
  dom_doc_free(empty);
  double worst_ratio = 0;
  size_t over8 = 0, over8_max = 0; /* pages above 8x, and the largest of them */
  for (size_t i = 0; i < np; i++) {
    bench_cur = bench_peak = 0;
    dom_doc *doc = NULL;
    html_parse_status st = html_parse(pages[i].data, pages[i].len, NULL, &doc);
    if (st != HTML_PARSE_OK)
      failures++;
    size_t peak = bench_peak;
    dom_doc_free(doc);
    sum_peak += peak;
    ratios[i] = pages[i].len ? (double)peak / (double)pages[i].len : 0;
    if (ratios[i] > 8.0) {
      over8++;
      if (pages[i].len > over8_max)
        over8_max = pages[i].len;
    }
    if (ratios[i] > worst_ratio) {
      worst_ratio = ratios[i];
      worst = i;
    }
    if (pages[i].len >= MID_PAGE) {
      mid[nmid++] = ratios[i];
      if (ratios[i] > worst_mid_ratio) {
        worst_mid_ratio = ratios[i];
        worst_mid = i;
      }
    }
    if (pages[i].len >= BIG_PAGE) {
      big[nbig++] = ratios[i];
      if (ratios[i] > worst_big_ratio) {
        worst_big_ratio = ratios[i];
        worst_big = i;
      }
    }
  }
  qsort(ratios, np, sizeof *ratios, cmp_double);
  qsort(big, nbig, sizeof *big, cmp_double);
  qsort(mid, nmid, sizeof *mid, cmp_double);

  if (rounds > 0) {
    /* throughput: interleaved rounds, best of each */
    double best_ours = 1e30, best_gumbo = 1e30;
    for (int r = 0; r < rounds; r++) {
      double t0 = now();
      for (size_t i = 0; i < np; i++) {
        dom_doc *doc = NULL;
        html_parse(pages[i].data, pages[i].len, NULL, &doc);
        dom_doc_free(doc);
      }
      double t1 = now();
      for (size_t i = 0; i < np; i++) {
        GumboOutput *out =
            gumbo_parse_with_options(&kGumboDefaultOptions, pages[i].data, pages[i].len);
        gumbo_destroy_output(&kGumboDefaultOptions, out);
      }
      double t2 = now();
      if (t1 - t0 < best_ours)
        best_ours = t1 - t0;
      if (t2 - t1 < best_gumbo)
        best_gumbo = t2 - t1;
    }
    /* per page: the ratio of gumbo's time to ours (shows whether a few pages dominate) */
    double *pr = malloc(np * sizeof *pr);
    if (!pr)
      return 1;
    for (size_t i = 0; i < np; i++) {
      double t0 = now(), t1, t2;
      int reps = 0;
      do {
        dom_doc *doc = NULL;
        html_parse(pages[i].data, pages[i].len, NULL, &doc);
        dom_doc_free(doc);
        reps++;
      } while ((t1 = now()) - t0 < 0.002);
      double ours = (t1 - t0) / reps;
      reps = 0;
      do {
        GumboOutput *out =
            gumbo_parse_with_options(&kGumboDefaultOptions, pages[i].data, pages[i].len);
        gumbo_destroy_output(&kGumboDefaultOptions, out);
        reps++;
      } while ((t2 = now()) - t1 < 0.002);
      pr[i] = ((t2 - t1) / reps) / ours;
    }
    qsort(pr, np, sizeof *pr, cmp_double);
    printf("throughput (best of %d rounds, parse + free, native):\n", rounds);
    printf("  riptide html_parse  %8.1f MB/s  (%.3f s)\n", mb / best_ours, best_ours);
    printf("  gumbo 0.10 (Debian) %8.1f MB/s  (%.3f s)\n", mb / best_gumbo, best_gumbo);
    printf("  ratio riptide/gumbo %8.2fx  (goal >= 3x)\n", best_gumbo / best_ours);
    printf("  per-page speed-up over gumbo: min %.2fx, median %.2fx, max %.2fx\n", pr[0],
           pr[np / 2], pr[np - 1]);
    free(pr);
  }
  if (rounds > 0) {
    /* parse only, natively vs inside the sandbox (issue 3: sandbox time <= 1.4x native) */
    const rt_guest *guest = rt_sandbox_extractor();
    rt_sandbox_limits lim = {
        .memory_cap_bytes = 256ull << 20, .timeout_ms = 10000, .max_output_bytes = 1u << 20};
    rt_slot *s = NULL;
    riptide_err err = guest->ops->slot_new(guest, &lim, &s);
    if (err) {
      printf("sandbox: slot_new failed (%s): skipped\n", riptide_strerror(err));
    } else {
      size_t nf = 0, sf = 0;
      native_parse_only(pages, np, &nf); /* warm-up */
      sandbox_parse_only(pages, np, s, &sf);
      double tn = 1e30, ts = 1e30;
      for (int r = 0; r < rounds; r++) {
        double t = native_parse_only(pages, np, &nf);
        tn = t < tn ? t : tn;
        t = sandbox_parse_only(pages, np, s, &sf);
        ts = t < ts ? t : ts;
      }
      printf("parse only (\"parse_only=1\" through ex_extract, best of %d, thread CPU):\n", rounds);
      printf("  native              %8.1f MB/s  (%.3f s)%s\n", mb / tn, tn,
             nf ? "  [some parses failed]" : "");
      printf("  sandbox (one slot)  %8.1f MB/s  (%.3f s)%s\n", mb / ts, ts,
             sf ? "  [some guest calls failed]" : "");
      printf("  sandbox/native time %8.2fx  (goal <= 1.4x)\n", ts / tn);
      guest->ops->slot_free(s);
    }
  }
  printf("peak parser memory / input size (DOM arena + tokenizer + parser arrays):\n");
  printf("  aggregate %.2fx, median %.2fx, p95 %.2fx, worst %.2fx (%s, %zu bytes)  (goal <= 8x)\n",
         total ? (double)sum_peak / (double)total : 0, ratios[np / 2],
         ratios[(size_t)((double)np * 0.95)], worst_ratio, pages[worst].name, pages[worst].len);
  printf("  pages >= %d KB (%zu): median %.2fx, p95 %.2fx, worst %.2fx (%s, %zu bytes)\n",
         BIG_PAGE / 1024, nbig, nbig ? big[nbig / 2] : 0,
         nbig ? big[(size_t)((double)nbig * 0.95)] : 0, worst_big_ratio,
         nbig ? pages[worst_big].name : "-", nbig ? pages[worst_big].len : 0);
  printf("  pages >= %d KB (%zu): median %.2fx, p95 %.2fx, worst %.2fx (%s, %zu bytes)\n",
         MID_PAGE / 1024, nmid, nmid ? mid[nmid / 2] : 0,
         nmid ? mid[(size_t)((double)nmid * 0.95)] : 0, worst_mid_ratio,
         nmid ? pages[worst_mid].name : "-", nmid ? pages[worst_mid].len : 0);
  printf("  fixed cost of a parse (empty input): %zu bytes (first arena block + tokenizer)\n",
         fixed);
  printf("  pages above 8x: %zu of %zu, the largest of them %zu bytes\n", over8, np, over8_max);
  if (failures)
    printf("  %zu pages failed to parse\n", failures);
  /* Pages of formatting elements left open (issue 10): the cost per MB must not grow with
   * the size, and the tree builder's work (html_parse_options.work_out) stays linear. */
  static const char *const shapes[] = {"<p><b class=x>Some words of text here.</p>\n",
                                       "<p><b class=x>x</p>", "<b>x<table><td>y</b>"};
  static const char *const labels[] = {"<p><b class=x>Some words of text here.</p>\\n",
                                       "<p><b class=x>x</p>", "<b>x<table><td>y</b>"};
  printf("formatting shapes (parse + free, thread CPU ms/MB and work steps/byte at 1 / 5 MB):\n");
  for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
    printf("  %-40s", labels[k]);
    for (size_t mbs = 1; mbs <= 5; mbs += 4) {
      size_t ul = strlen(shapes[k]), n = mbs * 1000000 / ul, len = n * ul;
      char *s = malloc(len + 1);
      if (!s)
        break;
      for (size_t i = 0; i < n; i++)
        memcpy(s + i * ul, shapes[k], ul);
      s[len] = '\0';
      uint64_t work = 0;
      html_parse_options o;
      memset(&o, 0, sizeof o);
      o.work_out = &work;
      dom_doc *d = NULL;
      double t0 = thread_cpu();
      html_parse_status st = html_parse(s, len, &o, &d);
      dom_doc_free(d);
      double t = thread_cpu() - t0;
      printf("  %6.1f ms/MB %5.2f/B%s", t * 1e3 / ((double)len / 1e6), (double)work / (double)len,
             st == HTML_PARSE_OK ? "" : " LIMIT");
      free(s);
    }
    printf("\n");
  }
  for (size_t i = 0; i < np; i++) {
    free(pages[i].name);
    free(pages[i].data);
  }
  free(pages);
  free(ratios);
  free(big);
  free(mid);
  return 0;
}
