/*
 * test_sandbox.c - the wasm2c sandbox: benign and hostile guests, fresh state per call,
 * limits, and 4 threads x 1000 calls mixing hostile and benign guests.
 *
 * Every hostile call must end with the right error kind, the process must survive, and the
 * next call on the same slot and thread must succeed.
 */
#include "guests/guests.h"
#include "pool/pool.h"
#include "sandbox/wasm_sandbox.h"
#include "support/fake_guest.h"
#include "sandbox/wasm_internal.h"
#include "common/limits.h"

#include "abi/abi.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#if defined(__SANITIZE_THREAD__)
/* The fork tests' children start threads (the watchdog, a pool's). */
const char *__tsan_default_options(void);
__attribute__((visibility("default"))) const char *__tsan_default_options(void)
{
  return "die_after_fork=0";
}
#endif

static uint64_t now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static rt_sandbox_limits limits(uint32_t timeout_ms, uint64_t cap, uint64_t out)
{
  rt_sandbox_limits l = {
      .memory_cap_bytes = cap, .timeout_ms = timeout_ms, .max_output_bytes = out};
  return l;
}

static rt_slot *new_slot(const rt_guest *g, rt_sandbox_limits l)
{
  rt_slot *s = NULL;
  assert_int_equal(g->ops->slot_new(g, &l, &s), RIPTIDE_OK);
  assert_non_null(s);
  return s;
}

/* Finds the first record `tag` of a wire result (a minimal reader; test_wire covers the
 * real decoder). Returns its length or -1. */
static long wire_field(const uint8_t *d, size_t n, unsigned tag, const uint8_t **val)
{
  if (n < 4 || memcmp(d, RT_WIRE_MAGIC, 4) != 0)
    return -1;
  for (size_t i = 4; i + 5 <= n;) {
    uint32_t len = (uint32_t)d[i + 1] | (uint32_t)d[i + 2] << 8 | (uint32_t)d[i + 3] << 16 |
                   (uint32_t)d[i + 4] << 24;
    if (len > n - i - 5)
      return -1;
    if (d[i] == tag) {
      *val = d + i + 5;
      return (long)len;
    }
    i += 5 + len;
  }
  return -1;
}

static bool field_is(const rt_call_result *r, unsigned tag, const char *want)
{
  const uint8_t *v = NULL;
  long n = wire_field(r->data, r->len, tag, &v);
  return n >= 0 && (size_t)n == strlen(want) && memcmp(v, want, (size_t)n) == 0;
}

static void call(rt_slot *s, const char *html, const char *opts, rt_call_result *r)
{
  rt_extract_args a = {.html = html,
                       .html_len = strlen(html),
                       .url = NULL,
                       .url_len = 0,
                       .mode = RIPTIDE_MODE_ARTICLE,
                       .opts = opts,
                       .opts_len = opts ? strlen(opts) : 0};
  s->guest->ops->call_extract(s, &a, r);
}

/* Calls the hostile guest with "do=<what>" and checks the error (and trap kind). */
static void expect(rt_slot *s, const char *what, riptide_err err, riptide_trap trap)
{
  char opts[64];
  snprintf(opts, sizeof opts, "do=%s", what);
  rt_call_result r;
  call(s, "x", opts, &r);
  if (r.err != err || r.trap != trap)
    print_error("do=%s: got %s/%s (%s), want %s/%s\n", what, riptide_err_name(r.err),
                riptide_trap_name(r.trap), r.detail, riptide_err_name(err),
                riptide_trap_name(trap));
  assert_int_equal(r.err, err);
  assert_int_equal(r.trap, trap);
  assert_null(r.data);
  /* The next call on the same slot and thread succeeds. */
  assert_int_equal(s->guest->ops->slot_reset(s), RIPTIDE_OK);
  call(s, "after", "do=ok", &r);
  assert_int_equal(r.err, RIPTIDE_OK);
  assert_true(field_is(&r, RT_F_TITLE, "after"));
  free(r.data);
}

/* ---- benign ---------------------------------------------------------------------------- */

static void test_benign_title_and_text(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_benign();
  rt_slot *s = new_slot(g, limits(5000, 64u << 20, 1u << 20));
  rt_call_result r;
  call(s,
       "<html><head><title>Hi &amp; bye</title><style>p{}</style></head>"
       "<body><p>Hello   world</p><script>var x = 1;</script><p>again</p></body></html>",
       NULL, &r);
  assert_int_equal(r.err, RIPTIDE_OK);
  assert_true(field_is(&r, RT_F_TITLE, "Hi & bye"));
  assert_true(field_is(&r, RT_F_TEXT, "Hello world again"));
  free(r.data);
  rt_slot_stats st;
  g->ops->slot_stats(s, &st);
  assert_int_equal(st.calls, 1);
  assert_int_equal(st.failures, 0);
  assert_true(st.pages > 0 && st.peak_pages >= st.pages);
  g->ops->slot_free(s);
  g->ops->slot_free(NULL);
}

static void test_guest_info(void **state)
{
  (void)state;
  const char *info = rt_wasm_guest_info(rt_wasm_guest_benign());
  assert_non_null(info);
  assert_non_null(strstr(info, "\"riptide-minimal\""));
  const char *ext = riptide_guest_info();
  assert_non_null(ext);
  assert_non_null(strstr(ext, "\"abi\""));
  assert_ptr_equal(riptide_guest_info(), ext); /* read once */
}

static void test_abi_mismatch_refused(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_badabi();
  rt_sandbox_limits l = limits(1000, 16u << 20, 1u << 20);
  rt_slot *s = (rt_slot *)1;
  assert_int_equal(g->ops->slot_new(g, &l, &s), RIPTIDE_ERR_ABI_MISMATCH);
  assert_null(s);
}

/* No data survives between calls: the secret written (in static memory and a 300 KiB heap
 * block that forces memory growth) by one call is nowhere in memory at the next call, and
 * the guest's static call counter starts over. The reservation is kept. */
static void test_fresh_state_per_call(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_benign();
  rt_slot *s = new_slot(g, limits(5000, 64u << 20, 1u << 20));
  const void *base = rt_wasm_slot_base(s);
  rt_wasm_counters c0, c1;
  rt_wasm_counters_get(&c0);
  rt_call_result r;

  /* The probe works: within one call it sees the secret (static copy + heap block). */
  call(s, "<p>a</p>", "secret=abcdefgh12345678\nprobe=abcdefgh12345678", &r);
  assert_int_equal(r.err, RIPTIDE_OK);
  const uint8_t *v;
  long n = wire_field(r.data, r.len, RT_F_CATEGORY, &v);
  assert_true(n > 6 && memcmp(v, "found=", 6) == 0);
  unsigned long found = 0;
  for (long i = 6; i < n; i++)
    found = found * 10 + (unsigned long)(v[i] - '0');
  if (found <= 1000)
    print_error("found=%lu\n", found);
  assert_true(found > 1000); /* the static copy and the 300 KiB block */
  free(r.data);

  rt_slot_stats st;
  g->ops->slot_stats(s, &st);
  uint32_t grown_peak = st.peak_pages;

  for (int i = 0; i < 3; i++) {
    call(s, "<p>b</p>", "secret=abcdefgh12345678", &r);
    assert_int_equal(r.err, RIPTIDE_OK);
    free(r.data);
    assert_int_equal(g->ops->slot_reset(s), RIPTIDE_OK);
    call(s, "<p>c</p>", "probe=abcdefgh12345678", &r);
    assert_int_equal(r.err, RIPTIDE_OK);
    if (!field_is(&r, RT_F_CATEGORY, "found=0")) {
      long k = wire_field(r.data, r.len, RT_F_CATEGORY, &v);
      print_error("after reset: %.*s\n", (int)k, (const char *)v);
    }
    assert_true(field_is(&r, RT_F_CATEGORY, "found=0"));
    /* second category record: calls=1 */
    const uint8_t *d = r.data;
    size_t len = r.len;
    long m = wire_field(d, len, RT_F_CATEGORY, &v);
    const uint8_t *next = v + m;
    size_t rest = len - (size_t)(next - d);
    uint8_t buf[64];
    assert_true(rest + 4 <= sizeof buf + 4 && rest < sizeof buf - 4);
    memcpy(buf, RT_WIRE_MAGIC, 4);
    memcpy(buf + 4, next, rest);
    rt_call_result r2 = {.data = buf, .len = rest + 4};
    assert_true(field_is(&r2, RT_F_CATEGORY, "calls=1"));
    free(r.data);
  }
  /* Without an explicit reset, call_extract resets a dirty slot itself. */
  call(s, "<p>b</p>", "secret=zyxwvuts98765432", &r);
  free(r.data);
  call(s, "<p>c</p>", "probe=zyxwvuts98765432", &r);
  assert_true(field_is(&r, RT_F_CATEGORY, "found=0"));
  free(r.data);

  assert_ptr_equal(rt_wasm_slot_base(s), base);
  rt_wasm_counters_get(&c1);
  assert_int_equal(c1.reservations, c0.reservations); /* no new address-space reservation */
  assert_true(c1.resets >= c0.resets + 4);
  g->ops->slot_stats(s, &st);
  assert_true(st.peak_pages >= grown_peak);
  assert_true(st.pages < grown_peak); /* grown pages were given back on reset */
  g->ops->slot_free(s);
}

/* ---- hostile --------------------------------------------------------------------------- */

static void test_hostile_traps(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_hostile();
  rt_slot *s = new_slot(g, limits(5000, 64u << 20, 1u << 20));
  expect(s, "unreachable", RIPTIDE_ERR_TRAP, RIPTIDE_TRAP_UNREACHABLE);
  expect(s, "oob", RIPTIDE_ERR_TRAP, RIPTIDE_TRAP_OOB);
  expect(s, "divzero", RIPTIDE_ERR_TRAP, RIPTIDE_TRAP_INT_DIV_ZERO);
  expect(s, "overflow", RIPTIDE_ERR_TRAP, RIPTIDE_TRAP_INT_OVERFLOW);
  expect(s, "indirect", RIPTIDE_ERR_TRAP, RIPTIDE_TRAP_CALL_INDIRECT);
  expect(s, "recurse", RIPTIDE_ERR_TRAP, RIPTIDE_TRAP_STACK_EXHAUSTION);
  expect(s, "recurse", RIPTIDE_ERR_TRAP, RIPTIDE_TRAP_STACK_EXHAUSTION);
  expect(s, "status", RIPTIDE_ERR_GUEST_ERROR, RIPTIDE_TRAP_NONE);
  rt_slot_stats st;
  g->ops->slot_stats(s, &st);
  assert_int_equal(st.calls, 16);
  assert_int_equal(st.failures, 8);
  g->ops->slot_free(s);
}

/* Resident pages of [lo, hi) (page-aligned lo). */
static size_t resident_pages(uintptr_t lo, uintptr_t hi)
{
  size_t page = (size_t)sysconf(_SC_PAGESIZE), n = (hi - lo) / page, count = 0;
  unsigned char *vec = malloc(n ? n : 1);
  assert_non_null(vec);
  if (mincore((void *)lo, n * page, vec) == 0)
    for (size_t i = 0; i < n; i++)
      count += vec[i] & 1;
  free(vec);
  return count;
}

/* Runs on a thread with an 8 MiB stack: recursion to exhaustion dirties the whole stack; after
 * the trap the runtime gives the dead part back. */
static void *stack_release_thread(void *arg)
{
  size_t *resident = arg;
  const rt_guest *g = rt_wasm_guest_hostile();
  rt_slot *s = new_slot(g, limits(5000, 64u << 20, 1u << 20));
  expect(s, "recurse", RIPTIDE_ERR_TRAP, RIPTIDE_TRAP_STACK_EXHAUSTION);
  pthread_attr_t at;
  void *addr = NULL;
  size_t size = 0;
  assert_int_equal(pthread_getattr_np(pthread_self(), &at), 0);
  assert_int_equal(pthread_attr_getstack(&at, &addr, &size), 0);
  pthread_attr_destroy(&at);
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t lo = ((uintptr_t)addr + page - 1) & ~(page - 1);
  volatile char here = 0;
  uintptr_t hi = ((uintptr_t)&here - (1u << 20)) & ~(page - 1); /* well below this frame */
  resident[0] = resident_pages(lo, hi);
  resident[1] = (hi - lo) / page;
  g->ops->slot_free(s);
  return NULL;
}

static void test_stack_released_after_exhaustion(void **state)
{
  (void)state;
  pthread_attr_t at;
  pthread_attr_init(&at);
  pthread_attr_setstacksize(&at, 8u << 20);
  pthread_t t;
  size_t resident[2] = {0, 0};
  assert_int_equal(pthread_create(&t, &at, stack_release_thread, resident), 0);
  pthread_join(t, NULL);
  pthread_attr_destroy(&at);
  /* ~1700 pages below the frame were dirtied by the recursion; none may stay resident */
  assert_true(resident[1] > 1000);
  assert_int_equal(resident[0], 0);
}

static void test_hostile_results(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_hostile();
  rt_slot *s = new_slot(g, limits(5000, 64u << 20, 1u << 20));
  expect(s, "badptr", RIPTIDE_ERR_BAD_RESULT, RIPTIDE_TRAP_NONE);
  expect(s, "badlen", RIPTIDE_ERR_BAD_RESULT, RIPTIDE_TRAP_NONE);
  expect(s, "big", RIPTIDE_ERR_OUTPUT_TOO_LARGE, RIPTIDE_TRAP_NONE);
  g->ops->slot_free(s);
  /* With a larger output cap the same 2 MiB result is accepted. */
  s = new_slot(g, limits(5000, 64u << 20, 4u << 20));
  rt_call_result r;
  call(s, "x", "do=big", &r);
  assert_int_equal(r.err, RIPTIDE_OK);
  assert_true(r.len > (2u << 20));
  free(r.data);
  g->ops->slot_free(s);
}

static void test_memory_cap(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_hostile();
  uint64_t cap = 16u << 20;
  rt_slot *s = new_slot(g, limits(5000, cap, 1u << 20));
  expect(s, "alloc", RIPTIDE_ERR_MEMORY_LIMIT, RIPTIDE_TRAP_NONE);
  rt_slot_stats st;
  g->ops->slot_stats(s, &st);
  assert_true(st.grow_failures >= 1);
  assert_true(st.peak_pages <= cap / 65536);
  assert_true(st.peak_pages >= cap / 65536 - 32); /* it really grew up to the cap */
  assert_true(st.pages < st.peak_pages);          /* and was given back by the reset */
  expect(s, "alloc", RIPTIDE_ERR_MEMORY_LIMIT, RIPTIDE_TRAP_NONE);
  rt_slot_stats st2;
  g->ops->slot_stats(s, &st2);
  assert_true(st2.grow_failures > st.grow_failures);
  g->ops->slot_free(s);
}

/* Reset returns dirty pages: after a call that wrote 32 MiB, only the image and at most
 * RT_SANDBOX_KEEP_RESIDENT bytes of grown memory stay resident, and the kept pages read as
 * zero on the next call (checked by test_fresh_state_per_call's secret search). */
static void test_reset_returns_pages(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_hostile();
  uint64_t cap = 32u << 20;
  rt_slot *s = new_slot(g, limits(5000, cap, 1u << 20));
  expect(s, "alloc", RIPTIDE_ERR_MEMORY_LIMIT, RIPTIDE_TRAP_NONE);
  assert_int_equal(g->ops->slot_reset(s), RIPTIDE_OK);
  rt_wasm_slot *ws = (rt_wasm_slot *)s;
  long pg = sysconf(_SC_PAGESIZE);
  size_t image = (size_t)ws->image_pages * 65536u;
  size_t span = (size_t)cap - image;
  size_t npg = span / (size_t)pg;
  unsigned char *vec = malloc(npg);
  assert_non_null(vec);
  assert_int_equal(mincore(ws->mem_base + image, span, vec), 0);
  size_t resident = 0;
  for (size_t i = 0; i < npg; i++)
    resident += vec[i] & 1;
  free(vec);
  assert_true(resident * (size_t)pg <= RT_SANDBOX_KEEP_RESIDENT);
  /* The kept pages were really written (so the bound above is not vacuous). */
  assert_true(resident > 0);
  g->ops->slot_free(s);
}

/* Memory figures: the page count goes back to the image at every reset, so it cannot show
 * what a call used or what the slot keeps; the resident figures (pagemap, at reset) must. */
static void memory_figures(bool pagemap)
{
  const rt_guest *g = rt_wasm_guest_hostile();
  rt_slot *s = new_slot(g, limits(5000, 64u << 20, 1u << 20));
  rt_wasm_slot *ws = (rt_wasm_slot *)s;
  rt_slot_stats st;
  g->ops->slot_stats(s, &st);
  assert_true(st.resident_bytes == 0 && st.call_peak_bytes == 0); /* a fresh slot holds none */
  const uint64_t mib = 1u << 20;
  /* 4 MiB touched: all of it stays resident (under RT_SANDBOX_KEEP_RESIDENT). */
  rt_call_result r;
  call(s, "x", "do=touch\nmib=4", &r);
  assert_int_equal(r.err, RIPTIDE_OK);
  free(r.data);
  assert_int_equal(g->ops->slot_reset(s), RIPTIDE_OK);
  g->ops->slot_stats(s, &st);
  print_message("pagemap %d: after a 4 MiB call and reset: pages %u (%llu KiB), resident %llu KiB, "
                "call peak %llu KiB\n",
                pagemap, st.pages, (unsigned long long)st.pages * 64,
                (unsigned long long)st.resident_bytes >> 10,
                (unsigned long long)st.call_peak_bytes >> 10);
  assert_int_equal(st.pages, ws->image_pages);
  assert_true(st.call_peak_bytes >= 4 * mib);
  assert_true(st.resident_bytes >= 4 * mib);
  assert_true(st.resident_bytes <= st.call_peak_bytes);
  assert_true(st.call_peak_bytes <= 4 * mib + (size_t)ws->image_pages * 65536u + 2 * mib);
  /* 24 MiB touched: the call's peak says so, and the reset keeps at most the kept part. */
  call(s, "x", "do=touch\nmib=24", &r);
  assert_int_equal(r.err, RIPTIDE_OK);
  free(r.data);
  assert_int_equal(g->ops->slot_reset(s), RIPTIDE_OK);
  g->ops->slot_stats(s, &st);
  print_message("pagemap %d: after a 24 MiB call and reset: pages %u, resident %llu KiB, call peak "
                "%llu KiB\n",
                pagemap, st.pages, (unsigned long long)st.resident_bytes >> 10,
                (unsigned long long)st.call_peak_bytes >> 10);
  assert_true(st.call_peak_bytes >= 24 * mib);
  assert_true(st.peak_resident_bytes >= st.call_peak_bytes);
  assert_true(st.resident_bytes >= 4 * mib);
  assert_true(st.resident_bytes <= RT_SANDBOX_KEEP_RESIDENT + (size_t)ws->image_pages * 65536u);
  /* A small call afterwards (no growth): the pages the big call's reset kept are still held
   * (zeroed, out of the guest's reach) and still counted. */
  call(s, "x", "do=ok", &r);
  assert_int_equal(r.err, RIPTIDE_OK);
  free(r.data);
  assert_int_equal(g->ops->slot_reset(s), RIPTIDE_OK);
  rt_slot_stats st2;
  g->ops->slot_stats(s, &st2);
  print_message("pagemap %d: after a small call and reset: resident %llu KiB, call peak %llu KiB\n",
                pagemap, (unsigned long long)st2.resident_bytes >> 10,
                (unsigned long long)st2.call_peak_bytes >> 10);
  assert_true(st2.resident_bytes + 64 * 1024 >= st.resident_bytes);
  assert_true(st2.resident_bytes <= RT_SANDBOX_KEEP_RESIDENT + (size_t)ws->image_pages * 65536u);
  assert_true(st2.call_peak_bytes < st.call_peak_bytes);
  assert_true(st2.peak_resident_bytes == st.peak_resident_bytes);
  /* A 2 MiB call re-measures the first part of the kept range; the rest is still counted. */
  call(s, "x", "do=touch\nmib=2", &r);
  assert_int_equal(r.err, RIPTIDE_OK);
  free(r.data);
  assert_int_equal(g->ops->slot_reset(s), RIPTIDE_OK);
  g->ops->slot_stats(s, &st2);
  assert_true(st2.resident_bytes + 64 * 1024 >= st.resident_bytes);
  assert_true(st2.resident_bytes <= RT_SANDBOX_KEEP_RESIDENT + (size_t)ws->image_pages * 65536u);
  g->ops->slot_free(s);
}

static void test_memory_figures(void **state)
{
  (void)state;
  memory_figures(true);
  rt_wasm_use_pagemap(false); /* upper bounds without a pagemap */
  memory_figures(false);
  rt_wasm_use_pagemap(true);
}

/* The reset restores the image pages a call wrote in place (from the pagemap: private copies
 * get the image's bytes back and stay resident). Afterwards the whole image region must be
 * byte-identical to the memory of the freshly created slot, across several calls that write
 * static memory, the heap and the stack. */
static void reset_restores_image_exactly(void)
{
  const rt_guest *g = rt_wasm_guest_benign();
  rt_slot *s = new_slot(g, limits(5000, 64u << 20, 1u << 20));
  rt_wasm_slot *ws = (rt_wasm_slot *)s;
  size_t image = (size_t)ws->image_pages * 65536u;
  assert_true(image > 0);
  /* The image the untouched pages still map can never change. */
  int fd = ws->own_image_fd >= 0 ? ws->own_image_fd : ws->mod->state->image_fd;
  int seals = fcntl(fd, F_GET_SEALS);
  assert_true(seals >= 0 && (seals & F_SEAL_WRITE) && (seals & F_SEAL_SHRINK));
  uint8_t *pristine = malloc(image);
  assert_non_null(pristine);
  memcpy(pristine, ws->mem_base, image);
  for (int i = 0; i < 4; i++) {
    rt_call_result r;
    call(s, "<p>some text</p>", i % 2 ? "secret=abcdefgh12345678" : "probe=abcdefgh12345678", &r);
    assert_int_equal(r.err, RIPTIDE_OK);
    free(r.data);
    assert_true(memcmp(pristine, ws->mem_base, image) != 0 || i > 0); /* the call wrote */
    assert_int_equal(g->ops->slot_reset(s), RIPTIDE_OK);
    assert_int_equal(ws->mem->pages, ws->image_pages);
    assert_memory_equal(pristine, ws->mem_base, image);
  }
  free(pristine);
  g->ops->slot_free(s);
}

static void test_reset_restores_image_exactly(void **state)
{
  (void)state;
  reset_restores_image_exactly();
  /* The same without the pagemap (MADV_DONTNEED; the image reappears). */
  rt_wasm_use_pagemap(false);
  reset_restores_image_exactly();
  rt_wasm_use_pagemap(true);
  /* In a forked child: the pagemap fd opened by the parent describes the parent's pages (the
   * child must not trust it). The slot is created before the fork, so the pages the child
   * writes are absent in the parent. */
  const rt_guest *g = rt_wasm_guest_benign();
  rt_slot *s = new_slot(g, limits(5000, 64u << 20, 1u << 20));
  rt_wasm_slot *ws = (rt_wasm_slot *)s;
  size_t image = (size_t)ws->image_pages * 65536u;
  uint8_t *pristine = malloc(image);
  assert_non_null(pristine);
  memcpy(pristine, ws->mem_base, image);
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    rt_call_result r;
    call(s, "<p>child</p>", "secret=abcdefgh12345678", &r);
    int bad = r.err != RIPTIDE_OK;
    free(r.data);
    bad |= g->ops->slot_reset(s) != RIPTIDE_OK;
    bad |= memcmp(pristine, ws->mem_base, image) != 0;
    _exit(bad ? 1 : 0);
  }
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
  free(pristine);
  g->ops->slot_free(s);
}

static void test_deadline(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_hostile();
  rt_slot *s = new_slot(g, limits(100, 64u << 20, 1u << 20));
  for (int i = 0; i < 2; i++) {
    uint64_t t0 = now_ms();
    expect(s, i ? "loop_log" : "loop", RIPTIDE_ERR_TIMEOUT, RIPTIDE_TRAP_INTERRUPT);
    uint64_t dt = now_ms() - t0;
    print_message("deadline 100 ms: interrupted after %llu ms\n", (unsigned long long)dt);
    assert_true(dt >= 100);
    assert_true(dt < 5000); /* sanity bound only; latency is measured by bench_sandbox */
  }
  g->ops->slot_free(s);
}

/* The watchdog sleeps after a second without deadline calls; the next runaway guest must
 * still be interrupted (it wakes the watchdog). */
static void test_deadline_after_idle(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_hostile();
  rt_slot *s = new_slot(g, limits(100, 64u << 20, 1u << 20));
  uint64_t t0 = now_ms();
  while (!rt_wasm_watchdog_sleeping() && now_ms() - t0 < 10000) {
    struct timespec ts = {0, 20 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  assert_true(rt_wasm_watchdog_sleeping());
  uint64_t t1 = now_ms();
  expect(s, "loop", RIPTIDE_ERR_TIMEOUT, RIPTIDE_TRAP_INTERRUPT);
  print_message("after idle: interrupted after %llu ms\n", (unsigned long long)(now_ms() - t1));
  g->ops->slot_free(s);
}

static const char *choose_loop(void *ctx, uint64_t call_no)
{
  (void)ctx;
  (void)call_no;
  return "loop";
}

/* fork(): the watchdog thread does not survive it. In the child, a runaway guest must still be
 * interrupted at its deadline, on a slot made before the fork and through a pool made in the
 * child; the parent's deadlines keep working. A child whose deadline never fires is killed by
 * its alarm (the test then fails on the signal). */
static void test_deadline_after_fork(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_hostile();
  rt_slot *s = new_slot(g, limits(200, 64u << 20, 1u << 20));
  expect(s, "loop", RIPTIDE_ERR_TIMEOUT, RIPTIDE_TRAP_INTERRUPT); /* the watchdog runs */
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    alarm(10);
    int bad = 0;
    uint64_t t0 = now_ms();
    rt_call_result r;
    call(s, "x", "do=loop", &r);
    uint64_t dt1 = now_ms() - t0;
    if (r.err != RIPTIDE_ERR_TIMEOUT || dt1 < 200 || dt1 > 5000)
      bad |= 1;
    pool_proxy_guest *x = pool_proxy_guest_new(g, choose_loop, NULL);
    riptide_pool_config c;
    riptide_pool_config_init(&c);
    c.max_slots = 1;
    c.warm_slots = 1;
    c.timeout_ms = 200;
    c.fallback_enabled = false;
    riptide_pool *p = NULL;
    if (!x || rt_pool_new_with_guest(&c, pool_proxy_guest_get(x), &p) != RIPTIDE_OK)
      _exit(100);
    riptide_document *d = NULL;
    t0 = now_ms();
    riptide_err err = riptide_pool_extract(p, "<p>runaway</p>", 14, NULL, NULL, &d);
    uint64_t dt2 = now_ms() - t0;
    if (err != RIPTIDE_ERR_TIMEOUT || d || dt2 < 200 || dt2 > 5000)
      bad |= 2;
    fprintf(stderr, "child: slot interrupted after %llu ms, pool call after %llu ms (%s)\n",
            (unsigned long long)dt1, (unsigned long long)dt2, riptide_err_name(err));
    riptide_pool_free(p);
    pool_proxy_guest_free(x);
    g->ops->slot_free(s);
    _exit(bad);
  }
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  if (!WIFEXITED(st))
    print_error("child killed by signal %d (SIGALRM: its deadline never fired)\n",
                WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
  /* The parent keeps working. */
  uint64_t t0 = now_ms();
  expect(s, "loop", RIPTIDE_ERR_TIMEOUT, RIPTIDE_TRAP_INTERRUPT);
  uint64_t dt = now_ms() - t0;
  assert_true(dt >= 200 && dt < 5000);
  g->ops->slot_free(s);
}

/* A fault outside guest code is a host bug and must still kill the process loudly. */
static void test_host_fault_still_crashes(void **state)
{
  (void)state;
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    /* The test harness's own handler is out of the way; the sandbox's handler is installed on
     * top of the default action by creating a slot, and must chain to it. */
    signal(SIGSEGV, SIG_DFL);
    rt_slot *s = NULL;
    rt_sandbox_limits l = limits(1000, 16u << 20, 1u << 20);
    if (rt_wasm_guest_benign()->ops->slot_new(rt_wasm_guest_benign(), &l, &s) != RIPTIDE_OK)
      _exit(0);
    /* A host page that is not part of any guest reservation. */
    volatile int *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if ((void *)p == MAP_FAILED)
      _exit(0);
    *p = 1;
    _exit(0);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  /* Killed by SIGSEGV, or (under ASan) exited after its report. */
  assert_true((WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV) ||
              (WIFEXITED(status) && WEXITSTATUS(status) != 0));
}

/* ---- the real extractor ---------------------------------------------------------------- */

static void test_extractor_smoke(void **state)
{
  (void)state;
  const rt_guest *g = rt_sandbox_extractor();
  rt_slot *s = new_slot(g, limits(10000, 256u << 20, 16u << 20));
  rt_call_result r;
  call(s,
       "<html><head><title>Riptide test page</title></head><body><article><h1>Riptide test "
       "page</h1><p>The sandbox runs the extractor in WebAssembly. This paragraph has enough "
       "words to count as content for any reasonable extractor.</p></article></body></html>",
       "markdown=1", &r);
  if (r.err)
    print_error("extractor: %s (%s)\n", riptide_err_name(r.err), r.detail);
  assert_int_equal(r.err, RIPTIDE_OK);
  const uint8_t *v;
  assert_true(wire_field(r.data, r.len, RT_F_TEXT, &v) > 0);
  free(r.data);
  g->ops->slot_free(s);
}

/* ---- threads --------------------------------------------------------------------------- */

#define N_THREADS 4
#define N_CALLS 1000

typedef struct worker {
  int id;
  uint64_t ok, benign_ok, benign_bad;
  uint64_t got[RIPTIDE_ERR_INTERNAL + 1];
  uint64_t want[RIPTIDE_ERR_INTERNAL + 1];
} worker;

/* SANDBOX_TEST_NO_RECURSE=1 leaves stack exhaustion out of the thread mix: valgrind loses
 * track of a worker thread's stack after a guard-page overflow and then reports false
 * uninitialised values (README in src/sandbox). */
static bool g_no_recurse;

static const struct {
  const char *what;
  riptide_err err;
} k_mix[] = {
    {"ok", RIPTIDE_OK},
    {"unreachable", RIPTIDE_ERR_TRAP},
    {"oob", RIPTIDE_ERR_TRAP},
    {"divzero", RIPTIDE_ERR_TRAP},
    {"indirect", RIPTIDE_ERR_TRAP},
    {"badptr", RIPTIDE_ERR_BAD_RESULT},
    {"badlen", RIPTIDE_ERR_BAD_RESULT},
    {"big", RIPTIDE_ERR_OUTPUT_TOO_LARGE},
    {"alloc", RIPTIDE_ERR_MEMORY_LIMIT},
    {"status", RIPTIDE_ERR_GUEST_ERROR},
};

static void *worker_main(void *arg)
{
  worker *w = arg;
  const rt_guest *bg = rt_wasm_guest_benign(), *hg = rt_wasm_guest_hostile();
  rt_sandbox_limits bl = limits(10000, 64u << 20, 1u << 20);
  rt_sandbox_limits hl = limits(10000, 16u << 20, 1u << 20);
  rt_sandbox_limits ll = limits(30, 16u << 20, 1u << 20); /* for the runaway loops */
  rt_slot *b = NULL, *h = NULL, *l = NULL;
  if (bg->ops->slot_new(bg, &bl, &b) != RIPTIDE_OK || hg->ops->slot_new(hg, &hl, &h) != 0 ||
      hg->ops->slot_new(hg, &ll, &l) != 0)
    return NULL;
  const size_t n_mix = sizeof k_mix / sizeof k_mix[0];
  for (int i = 0; i < N_CALLS; i++) {
    char html[128], title[64], opts[32];
    snprintf(title, sizeof title, "doc %d of thread %d", i, w->id);
    snprintf(html, sizeof html, "<title>%s</title><p>body %d</p>", title, i * 7 + w->id);
    rt_call_result r;
    call(b, html, NULL, &r);
    if (r.err == RIPTIDE_OK && field_is(&r, RT_F_TITLE, title))
      w->benign_ok++;
    else
      w->benign_bad++;
    free(r.data);

    const char *what;
    riptide_err want;
    if (i % 200 == 199) {
      what = "loop";
      want = RIPTIDE_ERR_TIMEOUT;
    } else if (i % 100 == 50 && !g_no_recurse) {
      what = "recurse";
      want = RIPTIDE_ERR_TRAP;
    } else {
      what = k_mix[(size_t)(i + w->id) % n_mix].what;
      want = k_mix[(size_t)(i + w->id) % n_mix].err;
    }
    snprintf(opts, sizeof opts, "do=%s", what);
    call(want == RIPTIDE_ERR_TIMEOUT ? l : h, "y", opts, &r);
    w->want[want]++;
    if (r.err <= RIPTIDE_ERR_INTERNAL)
      w->got[r.err]++;
    if (r.err == RIPTIDE_OK && field_is(&r, RT_F_TITLE, "y"))
      w->ok++;
    free(r.data);
  }
  bg->ops->slot_free(b);
  hg->ops->slot_free(h);
  hg->ops->slot_free(l);
  return NULL;
}

static void test_threads_mixed(void **state)
{
  (void)state;
  pthread_t t[N_THREADS];
  worker w[N_THREADS];
  memset(w, 0, sizeof w);
  for (int i = 0; i < N_THREADS; i++) {
    w[i].id = i;
    assert_int_equal(pthread_create(&t[i], NULL, worker_main, &w[i]), 0);
  }
  for (int i = 0; i < N_THREADS; i++)
    assert_int_equal(pthread_join(t[i], NULL), 0);
  for (int i = 0; i < N_THREADS; i++) {
    assert_int_equal(w[i].benign_ok, N_CALLS);
    assert_int_equal(w[i].benign_bad, 0);
    for (int e = 0; e <= RIPTIDE_ERR_INTERNAL; e++) {
      if (w[i].got[e] != w[i].want[e])
        print_error("thread %d: %s: got %llu want %llu\n", i, riptide_err_name((riptide_err)e),
                    (unsigned long long)w[i].got[e], (unsigned long long)w[i].want[e]);
    }
    for (int e = 0; e <= RIPTIDE_ERR_INTERNAL; e++)
      assert_int_equal(w[i].got[e], w[i].want[e]);
    assert_int_equal(w[i].ok, w[i].want[RIPTIDE_OK]);
  }
}

/* ---- error paths, limits and the runtime's wasm-rt.h contract ------------------------------ */

/* slot_new refuses missing arguments; a memory cap below the module's initial memory cannot
 * instantiate it; a cap of 0 (or above the maximum) means the largest cap. */
static void test_slot_new_limits(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_hostile();
  rt_sandbox_limits l = limits(1000, 64u << 20, 1u << 20);
  rt_slot *s = (rt_slot *)&l; /* must be overwritten with NULL */
  assert_int_equal(g->ops->slot_new(NULL, &l, &s), RIPTIDE_ERR_INVALID_ARG);
  assert_null(s);
  assert_int_equal(g->ops->slot_new(g, NULL, &s), RIPTIDE_ERR_INVALID_ARG);
  assert_null(s);
  rt_guest nomod = *g;
  nomod.module = NULL;
  assert_int_equal(g->ops->slot_new(&nomod, &l, &s), RIPTIDE_ERR_INVALID_ARG);
  assert_null(s);
  /* One page: less than the guest's initial memory (its stack alone is larger). */
  rt_wasm_counters c0, c1;
  rt_wasm_counters_get(&c0);
  l = limits(1000, 65536, 1u << 20);
  assert_int_equal(g->ops->slot_new(g, &l, &s), RIPTIDE_ERR_INSTANTIATE);
  assert_null(s);
  rt_wasm_counters_get(&c1);
  assert_int_equal(c1.reservations, c0.reservations + 1); /* reserved, then released */
  /* Cap 0 and a cap past RT_MAX_MEMORY_CAP: the largest memory wasm2c can represent. */
  const uint64_t caps[2] = {0, RT_MAX_MEMORY_CAP * 2};
  for (int i = 0; i < 2; i++) {
    s = new_slot(g, limits(1000, caps[i], 1u << 20));
    assert_int_equal(((rt_wasm_slot *)s)->cap_pages, RT_WASM_MAX_PAGES);
    rt_call_result r;
    call(s, "fine", "do=ok", &r);
    assert_int_equal(r.err, RIPTIDE_OK);
    free(r.data);
    g->ops->slot_free(s);
  }
  /* A cap that is not a multiple of the page is rounded down. */
  s = new_slot(g, limits(1000, (8u << 20) + 100, 1u << 20));
  assert_int_equal(((rt_wasm_slot *)s)->cap_pages, 128);
  g->ops->slot_free(s);
  g->ops->slot_free(NULL); /* no-op */
}

/* Bad arguments to the per-slot operations; stats of NULL are zero; resetting a clean slot is
 * free (no reset counted). */
static void test_slot_bad_args(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_hostile();
  rt_slot *s = new_slot(g, limits(1000, 64u << 20, 1u << 20));
  assert_int_equal(g->ops->slot_reset(NULL), RIPTIDE_ERR_INVALID_ARG);
  rt_wasm_counters c0, c1;
  rt_wasm_counters_get(&c0);
  assert_int_equal(g->ops->slot_reset(s), RIPTIDE_OK); /* clean: nothing to do */
  rt_wasm_counters_get(&c1);
  assert_int_equal(c1.resets, c0.resets);
  rt_call_result r;
  g->ops->call_extract(s, NULL, &r);
  assert_int_equal(r.err, RIPTIDE_ERR_INVALID_ARG);
  rt_extract_args a = {.html = NULL, .html_len = 3, .mode = RIPTIDE_MODE_ARTICLE};
  g->ops->call_extract(s, &a, &r);
  assert_int_equal(r.err, RIPTIDE_ERR_INVALID_ARG);
  assert_null(r.data);
  g->ops->call_extract(NULL, &a, &r);
  assert_int_equal(r.err, RIPTIDE_ERR_INVALID_ARG);
  /* Refused calls are not counted. */
  rt_slot_stats st;
  g->ops->slot_stats(s, &st);
  assert_int_equal(st.calls, 0);
  assert_int_equal(st.failures, 0);
  memset(&st, 0xff, sizeof st);
  g->ops->slot_stats(NULL, &st);
  assert_int_equal(st.calls, 0);
  assert_int_equal(st.pages, 0);
  assert_int_equal(st.peak_resident_bytes, 0);
  /* An empty input (NULL, 0) is valid: the guest gets a one-byte allocation. */
  a.html_len = 0;
  g->ops->call_extract(s, &a, &r);
  assert_int_equal(r.err, RIPTIDE_OK);
  assert_true(field_is(&r, RT_F_TITLE, ""));
  free(r.data);
  g->ops->slot_free(s);
}

/* Inputs: one past the guest's address space is refused before the guest is called; an input
 * larger than the memory cap fails as MEMORY_LIMIT in the guest's allocator; a URL is copied
 * in too. The slot is usable after each. */
static void test_input_limits(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_hostile();
  rt_slot *s = new_slot(g, limits(5000, 4u << 20, 1u << 20));
  static const char one[] = "x";
  rt_extract_args a = {.html = one, .html_len = (size_t)UINT32_MAX, .mode = RIPTIDE_MODE_ARTICLE};
  rt_call_result r;
  g->ops->call_extract(s, &a, &r); /* the length is checked before any byte is read */
  assert_int_equal(r.err, RIPTIDE_ERR_INPUT_TOO_LARGE);
  assert_non_null(strstr(r.detail, "input"));
  size_t big = 8u << 20;
  char *html = malloc(big);
  assert_non_null(html);
  memset(html, 'a', big);
  a.html = html;
  a.html_len = big;
  g->ops->call_extract(s, &a, &r);
  assert_int_equal(r.err, RIPTIDE_ERR_MEMORY_LIMIT);
  assert_non_null(strstr(r.detail, "could not allocate"));
  rt_slot_stats st;
  g->ops->slot_stats(s, &st);
  assert_true(st.grow_failures >= 1);
  assert_int_equal(st.calls, 2);
  assert_int_equal(st.failures, 2);
  /* A URL larger than the cap: the input fits, the URL does not. */
  a.html = "t";
  a.html_len = 1;
  a.url = html;
  a.url_len = big;
  g->ops->call_extract(s, &a, &r);
  assert_int_equal(r.err, RIPTIDE_ERR_MEMORY_LIMIT);
  assert_non_null(strstr(r.detail, "url"));
  /* Options larger than the cap. */
  a.url = "https://example.org/";
  a.url_len = strlen(a.url);
  a.opts = html;
  a.opts_len = big;
  g->ops->call_extract(s, &a, &r);
  assert_int_equal(r.err, RIPTIDE_ERR_MEMORY_LIMIT);
  assert_non_null(strstr(r.detail, "options"));
  /* With a URL and small options the call succeeds (the slot was reset by call_extract). */
  a.opts = "do=ok";
  a.opts_len = 5;
  g->ops->call_extract(s, &a, &r);
  assert_int_equal(r.err, RIPTIDE_OK);
  assert_true(field_is(&r, RT_F_TITLE, "t"));
  free(r.data);
  free(html);
  g->ops->slot_free(s);
}

/* Each guest status maps to its error; a NOMEM status with no refused growth is the guest's
 * own failure, not the cap's. */
static void test_guest_statuses(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_hostile();
  rt_slot *s = new_slot(g, limits(5000, 64u << 20, 1u << 20));
  struct {
    unsigned code;
    riptide_err err;
  } cases[] = {
      {RT_GUEST_NOMEM, RIPTIDE_ERR_GUEST_ERROR},       {RT_GUEST_BAD_ARGS, RIPTIDE_ERR_GUEST_ERROR},
      {RT_GUEST_PARSE_LIMIT, RIPTIDE_ERR_PARSE_LIMIT}, {RT_GUEST_SELECTOR, RIPTIDE_ERR_SELECTOR},
      {RT_GUEST_INTERNAL, RIPTIDE_ERR_GUEST_ERROR},    {77, RIPTIDE_ERR_GUEST_ERROR}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char opts[64];
    snprintf(opts, sizeof opts, "do=ret\ncode=%u", cases[i].code);
    rt_call_result r;
    call(s, "x", opts, &r);
    assert_int_equal(r.err, cases[i].err);
    assert_int_equal(r.trap, RIPTIDE_TRAP_NONE);
    assert_null(r.data);
  }
  rt_call_result r;
  call(s, "x", "do=ret\ncode=77", &r);
  assert_non_null(strstr(r.detail, "status 77"));
  call(s, "x", "do=ret\ncode=2", &r);
  assert_non_null(strstr(r.detail, "refused"));
  rt_slot_stats st;
  g->ops->slot_stats(s, &st);
  assert_int_equal(st.calls, 8);
  assert_int_equal(st.failures, 8);
  assert_int_equal(st.grow_failures, 0);
  call(s, "back", "do=ok", &r);
  assert_int_equal(r.err, RIPTIDE_OK);
  free(r.data);
  g->ops->slot_free(s);
}

/* Trap kinds not covered by test_hostile_traps, and their names. */
static void test_more_traps(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_hostile();
  rt_slot *s = new_slot(g, limits(5000, 64u << 20, 1u << 20));
  expect(s, "conv", RIPTIDE_ERR_TRAP, RIPTIDE_TRAP_INVALID_CONVERSION);
  expect(s, "log_oob", RIPTIDE_ERR_TRAP, RIPTIDE_TRAP_OOB);
  rt_call_result r;
  call(s, "x", "do=conv", &r);
  assert_non_null(strstr(r.detail, riptide_trap_name(RIPTIDE_TRAP_INVALID_CONVERSION)));
  g->ops->slot_free(s);
  /* wasm-rt.h's names of the runtime's trap codes. */
  assert_string_equal(wasm_rt_strerror(WASM_RT_TRAP_NONE), "no error");
  assert_string_equal(wasm_rt_strerror(WASM_RT_TRAP_OOB), "out of bounds memory access");
  assert_string_equal(wasm_rt_strerror(WASM_RT_TRAP_INT_OVERFLOW), "integer overflow");
  assert_string_equal(wasm_rt_strerror(WASM_RT_TRAP_DIV_BY_ZERO), "integer divide by zero");
  assert_string_equal(wasm_rt_strerror(WASM_RT_TRAP_INVALID_CONVERSION),
                      "invalid conversion to integer");
  assert_string_equal(wasm_rt_strerror(WASM_RT_TRAP_UNREACHABLE), "unreachable executed");
  assert_string_equal(wasm_rt_strerror(WASM_RT_TRAP_CALL_INDIRECT), "invalid call_indirect");
  assert_string_equal(wasm_rt_strerror(WASM_RT_TRAP_UNCAUGHT_EXCEPTION), "uncaught exception");
  assert_string_equal(wasm_rt_strerror(WASM_RT_TRAP_EXHAUSTION), "call stack exhausted");
  assert_string_equal(wasm_rt_strerror((wasm_rt_trap_t)99), "unknown trap");
}

/* The empty guest call (benchmarks) under the same protection as call_extract. */
static void test_call_version(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_hostile();
  rt_slot *s = new_slot(g, limits(1000, 64u << 20, 1u << 20));
  uint32_t v = 0;
  assert_int_equal(rt_wasm_slot_call_version(s, &v), RIPTIDE_OK);
  assert_int_equal(v, RIPTIDE_GUEST_ABI_VERSION);
  assert_true(((rt_wasm_slot *)s)->dirty); /* it ran guest code: the next call resets */
  assert_int_equal(rt_wasm_slot_call_version(NULL, &v), RIPTIDE_ERR_INVALID_ARG);
  rt_call_result r;
  call(s, "v", "do=ok", &r);
  assert_int_equal(r.err, RIPTIDE_OK);
  free(r.data);
  g->ops->slot_free(s);
  assert_null(rt_wasm_slot_base(NULL));
  /* Guest info only for wasm guests. */
  pool_fake_guest *fg = pool_fake_guest_new();
  assert_non_null(fg);
  assert_null(rt_wasm_guest_info(pool_fake_guest_get(fg)));
  assert_null(rt_wasm_guest_info(NULL));
  pool_fake_guest_free(fg);
  assert_string_equal(rt_wasm_guest_info(rt_wasm_guest_hostile()),
                      "{\"name\":\"hostile\",\"abi\":1}");
}

/* ---- the runtime's wasm-rt.h functions, called as a module's code would call them --------- */

typedef struct rt_body_ctx {
  int step;
  wasm_rt_memory_t mem;
  wasm_rt_funcref_table_t table;
  uint32_t got;
} rt_body_ctx;

static void body_runtime_misuse(rt_wasm_slot *s, void *vctx)
{
  (void)s;
  rt_body_ctx *c = vctx;
  switch (c->step) {
  case 0: /* a func type with absurdly many parameters */
    wasm_rt_register_func_type(2000, 0);
    break;
  case 1: /* exception tags: not supported */
    wasm_rt_register_tag(4);
    break;
  case 2: /* externref tables: refused */
    wasm_rt_allocate_externref_table(NULL, 1, 1);
    break;
  case 3:
    wasm_rt_throw();
    break;
  case 4: /* a memory for a slot without a reservation */
    wasm_rt_allocate_memory(&c->mem, 1, 1);
    break;
  case 5: /* a table: capacity at least the initial size, fixed */
    wasm_rt_allocate_funcref_table(&c->table, 5, 2);
    c->got = 1;
    break;
  case 6: /* a second table for the same slot */
    wasm_rt_allocate_funcref_table(&c->table, 1, 1);
    break;
  case 7: /* a trap with no code is an unreachable */
    wasm_rt_trap(WASM_RT_TRAP_NONE);
    break;
  }
  c->got = c->got ? c->got : 2; /* reached only by steps that return */
}

static void test_runtime_contract(void **state)
{
  (void)state;
  wasm_rt_init();
  assert_true(wasm_rt_is_initialized());
  wasm_rt_free(); /* process-wide state stays */
  assert_true(wasm_rt_is_initialized());
  rt_wasm_slot *s = calloc(1, sizeof *s); /* no reservation, no memory, no table */
  assert_non_null(s);
  rt_body_ctx c;
  memset(&c, 0, sizeof c);
  c.step = 0;
  assert_int_equal(rt_wasm_run(s, 0, body_runtime_misuse, &c), WASM_RT_TRAP_EXHAUSTION);
  c.step = 1;
  assert_int_equal(rt_wasm_run(s, 0, body_runtime_misuse, &c), RT_WASM_TRAP_SETUP);
  c.step = 2;
  assert_int_equal(rt_wasm_run(s, 0, body_runtime_misuse, &c), RT_WASM_TRAP_SETUP);
  assert_int_equal(s->setup_errno, ENOTSUP);
  c.step = 3;
  assert_int_equal(rt_wasm_run(s, 0, body_runtime_misuse, &c), WASM_RT_TRAP_UNCAUGHT_EXCEPTION);
  c.step = 4;
  s->setup_errno = 0;
  assert_int_equal(rt_wasm_run(s, 0, body_runtime_misuse, &c), RT_WASM_TRAP_SETUP);
  assert_int_equal(s->setup_errno, EINVAL);
  assert_null(s->mem);
  c.step = 5;
  assert_int_equal(rt_wasm_run(s, 0, body_runtime_misuse, &c), 0);
  assert_int_equal(c.got, 1);
  assert_ptr_equal(s->table, &c.table);
  assert_int_equal(c.table.size, 5);
  assert_int_equal(c.table.max_size, 5);
  assert_int_equal(s->table_cap, 5);
  c.step = 6;
  s->setup_errno = 0;
  assert_int_equal(rt_wasm_run(s, 0, body_runtime_misuse, &c), RT_WASM_TRAP_SETUP);
  assert_int_equal(s->setup_errno, EINVAL);
  c.step = 7;
  assert_int_equal(rt_wasm_run(s, 0, body_runtime_misuse, &c), WASM_RT_TRAP_UNREACHABLE);
  /* Table growth stops at the fixed capacity (the data pointer never moves). */
  wasm_rt_funcref_t init;
  memset(&init, 0, sizeof init);
  assert_int_equal(wasm_rt_grow_funcref_table(&c.table, 1, init), UINT32_MAX);
  assert_int_equal(c.table.size, 5);
  assert_int_equal(wasm_rt_grow_funcref_table(&c.table, 0, init), 5);
  wasm_rt_free_funcref_table(&c.table);
  assert_null(c.table.data);
  c.table.data = calloc(4, sizeof *c.table.data);
  c.table.size = 1;
  c.table.max_size = 4;
  assert_int_equal(wasm_rt_grow_funcref_table(&c.table, 3, init), 1);
  assert_int_equal(c.table.size, 4);
  wasm_rt_free_funcref_table(&c.table);
  /* Externref tables never grow; freeing one is safe. */
  wasm_rt_externref_table_t et;
  memset(&et, 0, sizeof et);
  assert_int_equal(wasm_rt_grow_externref_table(&et, 1, NULL), UINT32_MAX);
  et.data = malloc(8);
  wasm_rt_free_externref_table(&et);
  assert_null(et.data);
  /* Exceptions are not used by C guests: the queries answer "none". */
  wasm_rt_load_exception(1, 0, NULL);
  assert_int_equal(wasm_rt_exception_tag(), 0);
  assert_int_equal(wasm_rt_exception_size(), 0);
  assert_null(wasm_rt_exception());
  WASM_RT_UNWIND_TARGET *prev = wasm_rt_get_unwind_target();
  WASM_RT_UNWIND_TARGET t;
  wasm_rt_set_unwind_target(&t);
  assert_ptr_equal(wasm_rt_get_unwind_target(), &t);
  wasm_rt_set_unwind_target(prev);
  /* memory.grow on a memory that is not the current slot's fails; outside a call, too. */
  wasm_rt_memory_t other;
  memset(&other, 0, sizeof other);
  assert_int_equal(wasm_rt_grow_memory(&other, 1), UINT32_MAX);
  free(s);
}

/* memory.grow of 0 pages returns the size; growth of a foreign memory fails; a func type with
 * more than 64 values is registered (and found again). */
typedef struct grow_ctx {
  uint32_t zero, foreign, t1, t2, t3;
} grow_ctx;

#define I32X10                                                                                     \
  WASM_RT_I32, WASM_RT_I32, WASM_RT_I32, WASM_RT_I32, WASM_RT_I32, WASM_RT_I32, WASM_RT_I32,       \
      WASM_RT_I32, WASM_RT_I32, WASM_RT_I32
#define I32X70 I32X10, I32X10, I32X10, I32X10, I32X10, I32X10, I32X10

static void body_grow(rt_wasm_slot *s, void *vctx)
{
  grow_ctx *c = vctx;
  c->zero = wasm_rt_grow_memory(s->mem, 0);
  wasm_rt_memory_t other = *s->mem;
  c->foreign = wasm_rt_grow_memory(&other, 1);
  c->t1 = wasm_rt_register_func_type(70, 1, I32X70, WASM_RT_F64);
  c->t2 = wasm_rt_register_func_type(70, 1, I32X70, WASM_RT_F64);
  c->t3 = wasm_rt_register_func_type(70, 1, I32X70, WASM_RT_I64);
}

static void test_runtime_grow(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_hostile();
  rt_slot *s = new_slot(g, limits(1000, 64u << 20, 1u << 20));
  rt_wasm_slot *ws = (rt_wasm_slot *)s;
  grow_ctx c = {0};
  ws->dirty = true;
  assert_int_equal(rt_wasm_run(ws, 0, body_grow, &c), 0);
  assert_int_equal(c.zero, ws->image_pages);
  assert_int_equal(c.foreign, UINT32_MAX);
  assert_true(c.t1 > 0);
  assert_int_equal(c.t2, c.t1); /* the same type: the same index */
  assert_true(c.t3 > 0 && c.t3 != c.t1);
  rt_slot_stats st;
  g->ops->slot_stats(s, &st);
  assert_int_equal(st.grow_failures, 0); /* neither counts as a refusal by the cap */
  g->ops->slot_free(s);
}

/* ---- signal chaining, per-slot image, fork --------------------------------------------------- */

static sigjmp_buf g_chain_jb;
static volatile sig_atomic_t g_chain_hits;

static void chain_siginfo(int sig, siginfo_t *si, void *uc)
{
  (void)si;
  (void)uc;
  g_chain_hits += sig == SIGSEGV ? 1 : 100;
  siglongjmp(g_chain_jb, 1);
}

static void chain_plain(int sig)
{
  g_chain_hits += sig == SIGSEGV ? 10 : 100;
  siglongjmp(g_chain_jb, 1);
}

/* A host fault (outside guest code) goes to the handler that was installed before the
 * sandbox reclaimed SIGSEGV: an SA_SIGINFO one or a plain one. */
static void test_fault_chains_to_previous_handler(void **state)
{
  (void)state;
  struct sigaction prev;
  assert_int_equal(sigaction(SIGSEGV, NULL, &prev), 0);
  volatile int *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true((void *)p != MAP_FAILED);
  for (int kind = 0; kind < 2; kind++) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    if (kind == 0) {
      sa.sa_sigaction = chain_siginfo;
      sa.sa_flags = SA_SIGINFO;
    } else {
      sa.sa_handler = chain_plain;
    }
    assert_int_equal(sigaction(SIGSEGV, &sa, NULL), 0);
    rt_wasm_reclaim_signals(); /* as slot creation and reset do */
    struct sigaction cur;
    assert_int_equal(sigaction(SIGSEGV, NULL, &cur), 0);
    assert_true(cur.sa_flags & SA_SIGINFO);
    assert_true(cur.sa_sigaction != chain_siginfo); /* the sandbox's handler is back on top */
    g_chain_hits = 0;
    if (sigsetjmp(g_chain_jb, 1) == 0)
      *p = 1;
    assert_int_equal(g_chain_hits, kind == 0 ? 1 : 10);
  }
  munmap((void *)p, 4096);
  assert_int_equal(sigaction(SIGSEGV, &prev, NULL), 0);
  rt_wasm_reclaim_signals();
}

/* A module whose initialised memory does not match the shared image (a non-deterministic
 * module) gets an image of its own; its resets restore from that one, and freeing the slot
 * releases it. Simulated by making the shared image's length disagree. */
static void test_own_image(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_benign();
  rt_slot *first = new_slot(g, limits(1000, 64u << 20, 1u << 20)); /* shared image exists */
  const rt_wasm_module *mod = g->module;
  rt_wasm_module_state *st = mod->state;
  pthread_mutex_lock(&st->lock);
  size_t saved = st->image_len;
  st->image_len = saved + 65536;
  pthread_mutex_unlock(&st->lock);
  rt_slot *s = new_slot(g, limits(1000, 64u << 20, 1u << 20));
  pthread_mutex_lock(&st->lock);
  st->image_len = saved;
  pthread_mutex_unlock(&st->lock);
  rt_wasm_slot *ws = (rt_wasm_slot *)s;
  assert_true(ws->own_image_fd >= 0);
  assert_non_null(ws->own_image_view);
  assert_ptr_equal(ws->image_src, ws->own_image_view);
  assert_int_equal(memcmp(ws->own_image_view, st->image_view, saved), 0); /* same bytes */
  for (int i = 0; i < 3; i++) {
    rt_call_result r;
    call(s, "<title>own</title><p>image</p>", NULL, &r);
    assert_int_equal(r.err, RIPTIDE_OK);
    assert_true(field_is(&r, RT_F_TITLE, "own"));
    free(r.data);
    assert_int_equal(g->ops->slot_reset(s), RIPTIDE_OK);
    assert_int_equal(memcmp(ws->mem_base, ws->own_image_view, saved), 0); /* restored exactly */
  }
  g->ops->slot_free(s);
  g->ops->slot_free(first);
}

/* In a child after fork, the runtime reopens /proc/self/pagemap for the child, so its resets
 * see its own pages: a small call's peak is measured, not assumed to be the whole image. The
 * child exits through exit() (coverage data of the child is written). */
static void test_pagemap_after_fork(void **state)
{
  (void)state;
  const rt_guest *g = rt_wasm_guest_hostile();
  rt_slot *s = new_slot(g, limits(1000, 64u << 20, 1u << 20));
  rt_wasm_slot *ws = (rt_wasm_slot *)s;
  size_t image = (size_t)ws->image_pages * 65536u;
  fflush(NULL);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    alarm(10);
    int bad = 0;
    for (int i = 0; i < 2; i++) {
      rt_call_result r;
      call(s, "child", "do=ok", &r);
      if (r.err != RIPTIDE_OK || !field_is(&r, RT_F_TITLE, "child"))
        bad |= 1;
      free(r.data);
      if (g->ops->slot_reset(s) != RIPTIDE_OK)
        bad |= 2;
      rt_slot_stats st;
      g->ops->slot_stats(s, &st);
      if (st.call_peak_bytes == 0 || st.call_peak_bytes >= image)
        bad |= 4;
    }
    if (bad)
      fprintf(stderr, "child: bad %d (image %zu)\n", bad, image);
    g->ops->slot_free(s);
    exit(bad);
  }
  int status = 0;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  g->ops->slot_free(s);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_benign_title_and_text),
      cmocka_unit_test(test_guest_info),
      cmocka_unit_test(test_abi_mismatch_refused),
      cmocka_unit_test(test_fresh_state_per_call),
      cmocka_unit_test(test_hostile_traps),
      cmocka_unit_test(test_hostile_results),
      cmocka_unit_test(test_memory_cap),
      cmocka_unit_test(test_reset_returns_pages),
      cmocka_unit_test(test_memory_figures),
      cmocka_unit_test(test_reset_restores_image_exactly),
      cmocka_unit_test(test_deadline),
      cmocka_unit_test(test_deadline_after_idle),
      cmocka_unit_test(test_deadline_after_fork),
      cmocka_unit_test(test_host_fault_still_crashes),
      cmocka_unit_test(test_stack_released_after_exhaustion),
      cmocka_unit_test(test_extractor_smoke),
      cmocka_unit_test(test_threads_mixed),
      cmocka_unit_test(test_slot_new_limits),
      cmocka_unit_test(test_slot_bad_args),
      cmocka_unit_test(test_input_limits),
      cmocka_unit_test(test_guest_statuses),
      cmocka_unit_test(test_more_traps),
      cmocka_unit_test(test_call_version),
      cmocka_unit_test(test_runtime_contract),
      cmocka_unit_test(test_runtime_grow),
      cmocka_unit_test(test_fault_chains_to_previous_handler),
      cmocka_unit_test(test_own_image),
      cmocka_unit_test(test_pagemap_after_fork),
  };
  const char *nr = getenv("SANDBOX_TEST_NO_RECURSE");
  g_no_recurse = nr && nr[0] == '1';
  const char *only = getenv("SANDBOX_TEST_FILTER"); /* e.g. "*threads*" */
  if (only)
    cmocka_set_test_filter(only);
  return cmocka_run_group_tests(tests, NULL, NULL);
}
