/*
 * soak.c - the pool's soak run (`make soak`): N seconds (default 60) with C concurrent callers
 * (default 100), in two phases of N/2 seconds each, both over the real sandbox:
 *  1. "hostile guest": the sandbox's hostile test guest behind a scripting proxy, so every
 *     misbehaviour (endless loop, allocation to the cap, runaway recursion, unreachable,
 *     out-of-bounds, division traps, bad indirect call, bad result pointers and lengths,
 *     oversized result, error status) happens at a known rate between good calls;
 *  2. "real extractor": the built-in extractor guest (riptide_pool_new) on real pages
 *     ($RIPTIDE_SHARED/eval/dev/<set>/, both sets) mixed (2 % of the calls) with hostile
 *     pages built here (100k nested elements, a 1 MiB attribute, 200k unclosed tags, binary
 *     noise with NULs, a huge table, 50k links, an entity flood); without the corpus, the
 *     hostile pages and one article.
 * `soak --fake` runs phase 1 over the scripted fake guest instead (no sandbox).
 *
 *   soak [seconds] [callers] [--fake]
 *
 * Checks at the end of each phase (exit 1 on any failure): no hang (a watchdog aborts when no
 * call completes for 30 s, and shutdown must drain within 30 s), metrics add up exactly to the
 * calls made, the pool is idle (no leased slot, nothing in flight), every fake guest slot
 * created was freed, and the resident set did not keep growing (end vs first quarter).
 * Each phase prints its totals as sums that add up (calls = documents + errors, documents =
 * wasm + fallback, fallbacks by reason, errors by code, events); the last line is the
 * throughput over both phases.
 *
 * DESIGN: callers are plain threads looping on riptide_pool_extract until the deadline; the
 * totals they keep are their own (no sharing) and summed after join; a watchdog thread reads
 * one atomic progress counter every second.
 */
#include "pool/pool.h"
#include "support/corpus.h"
#include "support/fake_guest.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char HTML[] =
    "<!doctype html><html lang=\"en\"><head><title>Soak article</title></head><body>"
    "<nav><a href=\"/\">Home</a></nav><article><h1>Soak article</h1>"
    "<p>The pool keeps serving while guests trap, loop and run out of memory.</p>"
    "<p>Every limit is enforced and every background task runs.</p></article>"
    "<footer>footer</footer></body></html>";

static _Atomic uint64_t g_progress;
static _Atomic bool g_stop;
static uint64_t g_deadline_ns;

static uint64_t mono_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t mix64(uint64_t x)
{
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

/* Real sandbox mix: 88 % ok, the rest spread over every misbehaviour of the hostile guest. */
static const char *real_choose(void *ctx, uint64_t no)
{
  (void)ctx;
  static const char *const bad[] = {"loop",   "alloc",   "recurse",  "unreachable",
                                    "oob",    "divzero", "indirect", "badptr",
                                    "badlen", "big",     "status"};
  uint64_t h = mix64(no + 1);
  uint64_t r = h % 1000;
  if (r < 880)
    return "ok";
  if (r < 885) /* 0.5 %: a loop costs a whole deadline */
    return "loop";
  return bad[1 + (h >> 32) % (sizeof bad / sizeof bad[0] - 1)];
}

/* Fake guest mix: 82 % ok, 8 % memory growth, the rest failures; a little work per call. */
static void fake_choose(void *ctx, uint64_t no, pool_fake_step *s)
{
  (void)ctx;
  memset(s, 0, sizeof *s);
  uint64_t h = mix64(no + 1);
  uint32_t r = (uint32_t)(h % 100);
  s->spin_iters = 2000;
  if (r < 82) {
    s->kind = POOL_FAKE_OK;
  } else if (r < 86) {
    s->kind = POOL_FAKE_TRAP;
    s->trap = (riptide_trap)(RIPTIDE_TRAP_OOB + (h >> 40) % 7);
  } else if (r < 88) {
    s->kind = POOL_FAKE_TIMEOUT;
  } else if (r < 96) { /* growth: most fit under the cap, the memory budget gets pressed */
    s->kind = POOL_FAKE_GROW;
    s->grow_pages = 1 + (uint32_t)((h >> 20) % 64);
  } else if (r < 98) {
    s->kind = POOL_FAKE_GUEST_ERROR;
  } else {
    s->kind = POOL_FAKE_BAD_RESULT;
  }
}

/* The pages of phase 2 (NULL pages: phase 1's fixed article). */
typedef struct page_set {
  const bench_page *pages;
  size_t n;
  size_t n_hostile; /* pages[0 .. n_hostile) are the hostile ones, picked for 2 % of the calls */
} page_set;

typedef struct caller {
  riptide_pool *p;
  const page_set *ps;
  uint64_t seed;
  uint64_t calls, ok, failed;
  uint64_t err_by_code[32];
} caller;

static void pick(caller *c, const char **html, size_t *len)
{
  const page_set *ps = c->ps;
  if (!ps || ps->n == 0) {
    *html = HTML;
    *len = sizeof HTML - 1;
    return;
  }
  uint64_t h = mix64(c->seed ^ (c->calls * 0x9e3779b97f4a7c15ull));
  size_t i;
  if (ps->n_hostile && (h % 50 == 0 || ps->n == ps->n_hostile))
    i = (size_t)((h >> 8) % ps->n_hostile);
  else
    i = ps->n_hostile + (size_t)((h >> 8) % (ps->n - ps->n_hostile));
  *html = ps->pages[i].data;
  *len = ps->pages[i].len;
}

static void *caller_main(void *arg)
{
  caller *c = arg;
  while (!atomic_load(&g_stop) && mono_ns() < g_deadline_ns) {
    riptide_document *d = NULL;
    const char *html;
    size_t len;
    pick(c, &html, &len);
    riptide_err err = riptide_pool_extract(c->p, html, len, "https://soak.test/a", NULL, &d);
    c->calls++;
    if (err == RIPTIDE_OK) {
      c->ok++;
    } else {
      c->failed++;
      c->err_by_code[(unsigned)err < 32 ? (unsigned)err : 31]++;
    }
    riptide_document_free(d);
    atomic_fetch_add(&g_progress, 1);
  }
  return NULL;
}

static void *watchdog_main(void *arg)
{
  (void)arg;
  uint64_t last = 0, still = 0;
  while (!atomic_load(&g_stop)) {
    sleep(1); /* a watchdog's period, not synchronisation */
    uint64_t now = atomic_load(&g_progress);
    still = now == last ? still + 1 : 0;
    last = now;
    if (still >= 30) {
      fprintf(stderr, "soak: HANG - no call completed for 30 s\n");
      abort();
    }
  }
  return NULL;
}

/* A subscriber to every event, so the bus and its dispatcher are part of the soak. */
static _Atomic uint64_t g_events_seen;
static void count_event(const riptide_event *ev, void *ctx)
{
  (void)ev;
  (void)ctx;
  atomic_fetch_add(&g_events_seen, 1);
}

static long rss_kib(void)
{
  FILE *f = fopen("/proc/self/status", "r");
  if (!f)
    return -1;
  char line[256];
  long v = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0)
      v = strtol(line + 6, NULL, 10);
  fclose(f);
  return v;
}

/* ---- hostile pages for the real extractor ---------------------------------------------------- */

static char *repeat(const char *head, const char *unit, size_t times, const char *tail, size_t *len)
{
  size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
  size_t n = hl + ul * times + tl;
  char *s = malloc(n + 1);
  if (!s)
    return NULL;
  memcpy(s, head, hl);
  for (size_t k = 0; k < times; k++)
    memcpy(s + hl + k * ul, unit, ul);
  memcpy(s + hl + ul * times, tail, tl);
  s[n] = '\0';
  *len = n;
  return s;
}

/* Fills pages[0..7) with hostile pages; returns how many were made (fewer on out-of-memory). */
static size_t hostile_pages(bench_page *pages)
{
  static const struct {
    const char *name, *head, *unit, *tail;
    size_t times;
  } shapes[] = {
      {"nested-100k", "<html><body>", "<div>", "deep</body></html>", 100000},
      {"attribute-1m", "<html><body><p title=\"", "aaaaaaaaaaaaaaaa", "\">x</p></body></html>",
       65536},
      {"unclosed-200k", "<html><body>", "<p><b><i>", "end", 200000 / 3},
      {"table-2000x50", "<html><body><table>",
       "<tr><td>a</td><td>b</td><td>c</td><td>d</td><td>e</td><td>f</td><td>g</td><td>h</td><td>"
       "i</td><td>j</td></tr>",
       "</table></body></html>", 10000},
      {"links-50k", "<html><body><article><p>Links:</p>", "<a href=\"/x?a=1&b=2\">link</a> ",
       "</article></body></html>", 50000},
      {"entities-200k", "<html><body><p>", "&amp;&lt;&#x1F600;&nosuch;", "</p></body></html>",
       50000},
  };
  size_t n = 0;
  for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++) {
    size_t len;
    char *d = repeat(shapes[k].head, shapes[k].unit, shapes[k].times, shapes[k].tail, &len);
    if (!d)
      return n;
    pages[n].name = strdup(shapes[k].name);
    pages[n].data = d;
    pages[n].len = len;
    n++;
  }
  /* Binary noise with NULs (a fixed generator, so runs are comparable). */
  size_t len = 64 * 1024;
  char *d = malloc(len + 1);
  if (!d)
    return n;
  for (size_t k = 0; k < len; k++)
    d[k] = (char)(mix64(k) & 0xff);
  d[len] = '\0';
  pages[n].name = strdup("binary-64k");
  pages[n].data = d;
  pages[n].len = len;
  return n + 1;
}

/* ---- one phase ------------------------------------------------------------------------------- */

typedef struct totals {
  uint64_t calls, ok;
  double secs;
} totals;

static int run_phase(const char *name, riptide_pool *p, const page_set *ps, uint32_t seconds,
                     uint32_t callers, pool_fake_guest *fake, totals *tot)
{
  atomic_store(&g_events_seen, 0);
  riptide_pool_subscribe(p, "", RIPTIDE_SEV_TRACE, count_event, NULL);
  riptide_metrics m0;
  riptide_pool_metrics(p, &m0); /* events emitted before the subscription: not delivered */
  caller *cs = calloc(callers, sizeof *cs);
  pthread_t *ts = calloc(callers, sizeof *ts);
  if (!cs || !ts) {
    fprintf(stderr, "soak: out of memory\n");
    free(cs);
    free(ts);
    return 1;
  }
  uint64_t t0 = mono_ns();
  g_deadline_ns = t0 + (uint64_t)seconds * 1000000000ull;
  uint32_t started = 0;
  for (uint32_t i = 0; i < callers; i++) {
    cs[i].p = p;
    cs[i].ps = ps;
    cs[i].seed = mix64(i + 1);
    if (pthread_create(&ts[i], NULL, caller_main, &cs[i]) != 0)
      break;
    started++;
  }
  /* Resident set at one quarter and at the end of the run: a leak shows as steady growth. */
  long rss_q = -1;
  struct timespec q = {.tv_sec = seconds / 4, .tv_nsec = (long)(seconds % 4) * 250000000L};
  nanosleep(&q, NULL);
  rss_q = rss_kib();
  for (uint32_t i = 0; i < started; i++)
    pthread_join(ts[i], NULL);
  uint64_t t1 = mono_ns();
  long rss_end = rss_kib();

  int bad = 0;
  riptide_pool_status st;
  riptide_pool_status_get(p, &st);
  if (st.leased || st.in_flight || st.waiters || st.available != st.max_slots) {
    fprintf(stderr, "soak: pool not idle after the run (leased %u, in flight %u)\n", st.leased,
            st.in_flight);
    bad = 1;
  }
  riptide_err err = riptide_pool_shutdown(p, 30000);
  if (err != RIPTIDE_OK) {
    fprintf(stderr, "soak: shutdown did not drain: %s\n", riptide_strerror(err));
    bad = 1;
  }
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  uint64_t calls = 0, ok = 0, failed = 0, by_code[32] = {0};
  for (uint32_t i = 0; i < started; i++) {
    calls += cs[i].calls;
    ok += cs[i].ok;
    failed += cs[i].failed;
    for (int k = 0; k < 32; k++)
      by_code[k] += cs[i].err_by_code[k];
  }
  uint64_t fb = 0;
  for (int i = 0; i < RIPTIDE_FB_COUNT_; i++)
    fb += m.fallbacks_by_reason[i];
  if (m.extractions_total != calls || m.extractions_succeeded != ok ||
      m.extractions_failed != failed || m.succeeded_wasm + m.succeeded_native != ok ||
      fb != m.fallbacks) {
    fprintf(stderr, "soak: metrics do not add up (total %llu vs %llu calls)\n",
            (unsigned long long)m.extractions_total, (unsigned long long)calls);
    bad = 1;
  }
  riptide_pool_free(p); /* joins the dispatcher: every event is delivered or dropped by now */
  if (fake) {
    pool_fake_counts k;
    pool_fake_guest_counts(fake, &k);
    if (k.slots_created != k.slots_freed) {
      fprintf(stderr, "soak: slot leak: %llu created, %llu freed\n",
              (unsigned long long)k.slots_created, (unsigned long long)k.slots_freed);
      bad = 1;
    }
  }
  /* 64 MiB of slack: slots come and go (memory cleanup, recycling) and the allocator keeps
   * some; a real leak at these call counts is far larger. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  /* Sanitizer runtimes keep freed memory in quarantine / shadow: RSS says nothing there, and
   * LeakSanitizer checks for leaks at exit instead. */
  const bool judge_rss = false;
#else
  const bool judge_rss = true;
#endif
  if (judge_rss && rss_q > 0 && rss_end > rss_q + 64 * 1024) {
    fprintf(stderr, "soak: resident set grew from %ld to %ld KiB\n", rss_q, rss_end);
    bad = 1;
  }
  double secs = (double)(t1 - t0) / 1e9;
#define U(x) ((unsigned long long)(x))
  printf("soak[%s]: calls %llu = %llu documents + %llu errors\n", name, U(calls), U(ok), U(failed));
  printf("soak[%s]: documents %llu = %llu from the sandbox + %llu from the native fallback\n", name,
         U(ok), U(m.succeeded_wasm), U(m.succeeded_native));
  printf("soak[%s]: fallbacks %llu = trap %llu + timeout %llu + memory_limit %llu + guest_error "
         "%llu + circuit_open %llu + pool_exhausted %llu\n",
         name, U(m.fallbacks), U(m.fallbacks_by_reason[RIPTIDE_FB_TRAP]),
         U(m.fallbacks_by_reason[RIPTIDE_FB_TIMEOUT]),
         U(m.fallbacks_by_reason[RIPTIDE_FB_MEMORY_LIMIT]),
         U(m.fallbacks_by_reason[RIPTIDE_FB_GUEST_ERROR]),
         U(m.fallbacks_by_reason[RIPTIDE_FB_CIRCUIT_OPEN]),
         U(m.fallbacks_by_reason[RIPTIDE_FB_POOL_EXHAUSTED]));
  char errs[512] = "";
  size_t el = 0;
  for (int k = 1; k < 32 && el < sizeof errs - 64; k++)
    if (by_code[k])
      el += (size_t)snprintf(errs + el, sizeof errs - el, "%s%s %llu", el ? " + " : "",
                             riptide_err_name((riptide_err)k), U(by_code[k]));
  printf("soak[%s]: errors %llu = %s\n", name, U(failed), el ? errs : "none");
  /* events_emitted counts the events that entered the ring (all delivered once the pool is
   * freed); an event nobody subscribed to yet is neither emitted nor dropped. */
  uint64_t delivered = atomic_load(&g_events_seen);
  uint64_t emitted = m.events_emitted - m0.events_emitted;
  printf("soak[%s]: events %llu = %llu delivered + %llu dropped (ring full); breaker trips %llu; "
         "slots created %llu, destroyed %llu\n",
         name, U(emitted + m.events_dropped), U(delivered), U(m.events_dropped), U(m.breaker_trips),
         U(m.slots_created), U(m.slots_destroyed));
  if (delivered != emitted) {
    fprintf(stderr, "soak: %llu events emitted but %llu delivered\n", U(emitted), U(delivered));
    bad = 1;
  }
  printf("soak[%s]: p50 %.3f ms, p99 %.3f ms extraction; p99 permit wait %.3f ms; rss %ld -> "
         "%ld KiB; %.0f documents/s; %s\n",
         name, riptide_histogram_quantile(&m.extract_duration, 0.5) / 1e6,
         riptide_histogram_quantile(&m.extract_duration, 0.99) / 1e6,
         riptide_histogram_quantile(&m.permit_wait, 0.99) / 1e6, rss_q, rss_end,
         (double)calls / secs, bad ? "FAILED" : "ok");
#undef U
  fflush(stdout);
  free(cs);
  free(ts);
  tot->calls += calls;
  tot->ok += ok;
  tot->secs += secs;
  return bad;
}

static void config_common(riptide_pool_config *cfg)
{
  riptide_pool_config_init(cfg);
  cfg->max_slots = 8;
  cfg->warm_slots = 2;
  cfg->acquire_wait_ms = 30000;
  cfg->health_interval_ms = 100;
  cfg->max_slot_age_ms = 5000;
  cfg->breaker_cooldown_ms = 200;
  cfg->breaker_max_cooldown_ms = 2000;
}

int main(int argc, char **argv)
{
  uint32_t seconds = 60, callers = 100;
  bool force_fake = false;
  int pos = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--fake") == 0) {
      force_fake = true;
      continue;
    }
    char *end;
    unsigned long v = strtoul(argv[i], &end, 10);
    if (*end || v == 0 || v > 100000) {
      fprintf(stderr, "usage: soak [seconds] [callers] [--fake]\n");
      return 2;
    }
    if (pos++ == 0)
      seconds = (uint32_t)v;
    else
      callers = (uint32_t)v;
  }
  uint32_t half = seconds > 1 ? seconds / 2 : 1;
  pthread_t wd;
  pthread_create(&wd, NULL, watchdog_main, NULL);
  totals tot = {0};
  int bad = 0;

  /* ---- phase 1: every misbehaviour of a guest, at known rates ---- */
  pool_fake_guest *fake = NULL;
  pool_proxy_guest *proxy = NULL;
  const rt_guest *guest;
  const char *gname;
  const rt_guest *hostile = force_fake ? NULL : pool_real_hostile_guest();
  if (hostile) {
    proxy = pool_proxy_guest_new(hostile, real_choose, NULL);
    guest = proxy ? pool_proxy_guest_get(proxy) : NULL;
    gname = "hostile guest";
  } else {
    fake = pool_fake_guest_new();
    if (fake) {
      pool_fake_guest_set_chooser(fake, fake_choose, NULL);
      pool_fake_guest_set_reset_shrinks(fake, false);
    }
    guest = fake ? pool_fake_guest_get(fake) : NULL;
    gname = "fake guest";
  }
  if (!guest) {
    fprintf(stderr, "soak: out of memory\n");
    return 1;
  }
  riptide_pool_config cfg;
  config_common(&cfg);
  cfg.timeout_ms = 100;
  cfg.memory_cap_bytes = 8ull << 20; /* "alloc" hits the cap after 8 MiB, well within 100 ms */
  cfg.max_output_bytes = 1u << 20;
  cfg.memory_budget_bytes = 32ull << 20; /* below 8 x 8 MiB: cleanups happen */
  riptide_pool *p = NULL;
  riptide_err err = rt_pool_new_with_guest(&cfg, guest, &p);
  if (err != RIPTIDE_OK) {
    fprintf(stderr, "soak: pool: %s\n", riptide_strerror(err));
    return 1;
  }
  printf("soak[%s]: %u s, %u callers, %u slots: %s, 88 %% good calls, the rest loops, "
         "allocations to the cap, traps of every kind, bad results\n",
         gname, half, callers, cfg.max_slots,
         hostile ? "the sandbox's hostile test guest" : "the scripted fake guest (no sandbox)");
  fflush(stdout);
  bad |= run_phase(gname, p, NULL, half, callers, fake, &tot);
  pool_proxy_guest_free(proxy);
  pool_fake_guest_free(fake);

  /* ---- phase 2: the real extractor on real and hostile pages ---- */
  if (!force_fake) {
    bench_page hp[8];
    memset(hp, 0, sizeof hp);
    size_t nh = hostile_pages(hp);
    bench_corpus sets[2];
    memset(sets, 0, sizeof sets);
    const char *shared = getenv("RIPTIDE_SHARED");
    static const char *const set_names[2] = {"readability-testpages", "trafilatura-eval"};
    size_t nreal = 0;
    for (int k = 0; k < 2; k++) {
      char dir[4096];
      snprintf(dir, sizeof dir, "%s/eval/dev/%s", shared && *shared ? shared : "../shared",
               set_names[k]);
      bench_corpus_load(dir, &sets[k]);
      nreal += sets[k].n;
    }
    page_set ps = {.n_hostile = nh};
    bench_page *all = calloc(nh + nreal + 1, sizeof *all);
    if (!all) {
      fprintf(stderr, "soak: out of memory\n");
      return 1;
    }
    memcpy(all, hp, nh * sizeof *all);
    size_t n = nh;
    for (int k = 0; k < 2; k++)
      for (size_t i = 0; i < sets[k].n; i++)
        all[n++] = sets[k].pages[i];
    if (nreal == 0) { /* no corpus: one ordinary article stands for the real pages */
      all[n].name = (char *)"article";
      all[n].data = (char *)HTML;
      all[n].len = sizeof HTML - 1;
      n++;
    }
    ps.pages = all;
    ps.n = n;
    config_common(&cfg);
    cfg.timeout_ms = 2000;
    riptide_pool *rp = NULL;
    err = riptide_pool_new(&cfg, &rp);
    if (err != RIPTIDE_OK) {
      fprintf(stderr, "soak: pool: %s\n", riptide_strerror(err));
      return 1;
    }
    printf("soak[real extractor]: %u s, %u callers, %u slots: the built-in extractor on %zu real "
           "pages (%s/eval/dev)%s and, for 2 %% of the calls, %zu hostile pages\n",
           half, callers, cfg.max_slots, nreal, shared && *shared ? shared : "../shared",
           nreal ? "" : " - none found, one built-in article instead", nh);
    fflush(stdout);
    bad |= run_phase("real extractor", rp, &ps, half, callers, NULL, &tot);
    free(all);
    for (size_t i = 0; i < nh; i++) {
      free(hp[i].name);
      free(hp[i].data);
    }
    for (int k = 0; k < 2; k++)
      bench_corpus_free(&sets[k]);
  }
  atomic_store(&g_stop, true);
  pthread_join(wd, NULL);
  printf("soak: throughput %.0f documents/s (%llu documents of %llu calls in %.1f s, %u callers, "
         "both phases): %s\n",
         (double)tot.ok / tot.secs, (unsigned long long)tot.ok, (unsigned long long)tot.calls,
         tot.secs, callers, bad ? "FAILED" : "ok");
  return bad;
}
