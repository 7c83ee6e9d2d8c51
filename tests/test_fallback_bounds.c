/*
 * test_fallback_bounds.c - the native fallback is part of the safety contract (issue 10): it
 * obeys the call's deadline, memory cap, output cap and the pool's concurrency bound, bounds
 * what libxml2 sees (attributes per element, nesting), and never returns a silently
 * truncated page (depth past libxml2's 256, text past 10 MB: whole, or flagged).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "common/limits.h"
#include "pool/pool.h"
#include "support/fake_guest.h"

#define FUZZ_FALLBACK_NO_MAIN
#include "../fuzz/fuzz_fallback.c"

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t mono_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* A growable page buffer. */
typedef struct page {
  char *p;
  size_t n, cap;
} page;

static void put(page *pg, const char *s)
{
  size_t l = strlen(s);
  if (pg->n + l + 1 > pg->cap) {
    pg->cap = (pg->n + l + 1) * 2;
    pg->p = realloc(pg->p, pg->cap);
    assert_non_null(pg->p);
  }
  memcpy(pg->p + pg->n, s, l + 1);
  pg->n += l;
}

/* One element with `attrs` attributes, then a paragraph of `text_bytes` of words. */
static page attr_page(size_t attrs, size_t text_bytes)
{
  page pg = {0};
  put(&pg, "<html><body><div");
  char a[32];
  for (size_t i = 0; i < attrs; i++) {
    snprintf(a, sizeof a, " a%zu=x", i);
    put(&pg, a);
  }
  put(&pg, "></div><article><p>");
  while (pg.n < text_bytes)
    put(&pg, "lorem ipsum dolor sit amet ");
  put(&pg, "END_OF_TEXT</p></article></body></html>");
  return pg;
}

/* Many small elements: libxml2's tree costs ~100x the bytes. */
static page node_page(size_t bytes)
{
  page pg = {0};
  put(&pg, "<html><body>");
  while (pg.n < bytes)
    put(&pg, "<div class=c><span a=1 b=2>x</span></div>");
  put(&pg, "</body></html>");
  return pg;
}

static riptide_options opts_default(void)
{
  riptide_options o;
  riptide_options_init(&o);
  return o;
}

/* ---- native engine ------------------------------------------------------------------------ */

/* 150,000 attributes on one element were quadratic in libxml2 (47 s for the page):
 * they are cut to RT_FALLBACK_MAX_ATTRS before libxml2 sees them, and the document says so. */
static void test_attributes_bounded_and_flagged(void **state)
{
  (void)state;
  page pg = attr_page(150000, 2000);
  riptide_options o = opts_default();
  riptide_native_limits lim;
  riptide_native_limits_init(&lim);
  lim.timeout_ms = 0; /* no deadline: the bounds alone keep it short (minutes before them) */
  riptide_document *d = NULL;
  uint64_t t0 = mono_ms();
  assert_int_equal(riptide_extract_native_limited(pg.p, pg.n, NULL, &o, &lim, &d), RIPTIDE_OK);
  print_message("150,000 attributes: %llu ms\n", (unsigned long long)(mono_ms() - t0));
  assert_non_null(strstr(d->text, "END_OF_TEXT"));
  assert_true(d->truncated & RIPTIDE_TRUNC_ATTRIBUTES);
  char *json = riptide_document_to_json(d, NULL, false);
  assert_non_null(strstr(json, "\"truncated\":{\"reasons\":[\"attributes\"]"));
  free(json);
  riptide_document_free(d);
  /* An ordinary page is not flagged. */
  const char ok[] = "<p class=a id=b title=c>Plain paragraph.</p>";
  assert_int_equal(riptide_extract_native(ok, sizeof ok - 1, NULL, NULL, &d), RIPTIDE_OK);
  assert_int_equal(d->truncated, 0);
  json = riptide_document_to_json(d, NULL, false);
  assert_null(strstr(json, "truncated"));
  free(json);
  riptide_document_free(d);
  free(pg.p);
}

/* Past depth 256 libxml2 used to stop (everything after it lost, reported as success). Now the
 * deep part is flattened: its text and the text after it are kept, and the document says so. */
static void test_deep_page_whole_or_flagged(void **state)
{
  (void)state;
  size_t depths[] = {300, 1000, 100000};
  for (size_t k = 0; k < sizeof depths / sizeof depths[0]; k++) {
    page pg = {0};
    put(&pg, "<html><body><article><p>Before the deep part, a sentence of text.</p>");
    for (size_t i = 0; i < depths[k]; i++)
      put(&pg, (i % 2) ? "<span>" : "<div>");
    put(&pg, "DEEP_TEXT");
    for (size_t i = depths[k]; i-- > 0;)
      put(&pg, (i % 2) ? "</span>" : "</div>");
    put(&pg, "<p>AFTER_TEXT follows the deep part.</p></article></body></html>");
    riptide_options o = opts_default();
    o.mode = RIPTIDE_MODE_FULL;
    riptide_native_limits lim;
    riptide_native_limits_init(&lim);
    lim.timeout_ms = 0; /* sanitizer builds on a loaded machine */
    riptide_document *d = NULL;
    assert_int_equal(riptide_extract_native_limited(pg.p, pg.n, NULL, &o, &lim, &d), RIPTIDE_OK);
    assert_non_null(strstr(d->text, "Before the deep part"));
    assert_non_null(strstr(d->text, "DEEP_TEXT"));
    assert_non_null(strstr(d->text, "AFTER_TEXT"));
    /* 300 levels fit the tree; deeper pages are flattened and flagged. */
    if (depths[k] > RT_FALLBACK_TREE_DEPTH)
      assert_true(d->truncated & RIPTIDE_TRUNC_DEPTH);
    else
      assert_int_equal(d->truncated, 0);
    riptide_document_free(d);
    free(pg.p);
  }
}

/* libxml2 cut text nodes at 10,000,000 bytes without a word. */
static void test_long_text_whole(void **state)
{
  (void)state;
  page pg = attr_page(0, 10200000);
  riptide_native_limits lim;
  riptide_native_limits_init(&lim);
  lim.timeout_ms = 0; /* sanitizer builds on a loaded machine */
  riptide_document *d = NULL;
  assert_int_equal(riptide_extract_native_limited(pg.p, pg.n, NULL, NULL, &lim, &d), RIPTIDE_OK);
  assert_true(strlen(d->text) > 10100000); /* libxml2 alone stopped at 10,000,000 */
  assert_non_null(strstr(d->text, "END_OF_TEXT"));
  assert_int_equal(d->truncated, 0);
  riptide_document_free(d);
  free(pg.p);
}

/* The deadline ends a native call that cannot finish in time: TIMEOUT, promptly. */
static void test_native_deadline(void **state)
{
  (void)state;
  page pg = attr_page(150000, 12u << 20);
  riptide_native_limits lim;
  riptide_native_limits_init(&lim);
  lim.timeout_ms = 30;
  riptide_document *d = (riptide_document *)0x1;
  uint64_t t0 = mono_ms();
  assert_int_equal(riptide_extract_native_limited(pg.p, pg.n, NULL, NULL, &lim, &d),
                   RIPTIDE_ERR_TIMEOUT);
  uint64_t took = mono_ms() - t0;
  print_message("30 ms deadline on a 12 MB page: TIMEOUT after %llu ms\n",
                (unsigned long long)took);
  assert_null(d);
  /* Far from the seconds this page takes (minutes before the bounds). */
  assert_true(took < 2000);
  free(pg.p);
}

/* The memory cap stops the parse as soon as the tree would pass it. */
static void test_native_memory_cap(void **state)
{
  (void)state;
  page pg = node_page(4u << 20);
  riptide_native_limits lim;
  riptide_native_limits_init(&lim);
  lim.timeout_ms = 0; /* sanitizer builds on a loaded machine */
  lim.memory_cap_bytes = 16u << 20;
  riptide_document *d = (riptide_document *)0x1;
  assert_int_equal(riptide_extract_native_limited(pg.p, pg.n, NULL, NULL, &lim, &d),
                   RIPTIDE_ERR_MEMORY_LIMIT);
  assert_null(d);
  lim.memory_cap_bytes = 1u << 30;
  assert_int_equal(riptide_extract_native_limited(pg.p, pg.n, NULL, NULL, &lim, &d), RIPTIDE_OK);
  riptide_document_free(d);
  free(pg.p);
}

/* The output cap covers text + Markdown + HTML together; the automatic one fits a large page. */
static void test_native_output_cap(void **state)
{
  (void)state;
  page pg = attr_page(0, 10u << 20);
  riptide_options o = opts_default();
  o.want_html = true;
  riptide_native_limits lim;
  riptide_native_limits_init(&lim);
  lim.timeout_ms = 0; /* sanitizer builds on a loaded machine */
  riptide_document *d = NULL;
  assert_int_equal(riptide_extract_native_limited(pg.p, pg.n, NULL, &o, &lim, &d), RIPTIDE_OK);
  /* text + Markdown + HTML of a 10 MiB article: over the old fixed 16 MiB cap */
  assert_true(strlen(d->text) + strlen(d->markdown) + strlen(d->html) > (16u << 20));
  riptide_document_free(d);
  lim.max_output_bytes = 16u << 20;
  d = (riptide_document *)0x1;
  assert_int_equal(riptide_extract_native_limited(pg.p, pg.n, NULL, &o, &lim, &d),
                   RIPTIDE_ERR_OUTPUT_TOO_LARGE);
  assert_null(d);
  free(pg.p);
}

/* ---- through the pool --------------------------------------------------------------------- */

static void cfg_small(riptide_pool_config *c, uint32_t max)
{
  riptide_pool_config_init(c);
  c->max_slots = max;
  c->warm_slots = 1;
  c->health_interval_ms = 0;
  c->acquire_wait_ms = 1000;
  c->breaker_min_calls = 1000;
  c->breaker_window = 1000;
}

static riptide_pool *mk(pool_fake_guest *f, riptide_pool_config *c)
{
  riptide_pool *p = NULL;
  assert_int_equal(rt_pool_new_with_guest(c, pool_fake_guest_get(f), &p), RIPTIDE_OK);
  return p;
}

/* The pool's fallback uses the pool's configured limits, not the library defaults. */
static void test_pool_fallback_uses_configured_limits(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  pool_fake_step trap = {.kind = POOL_FAKE_TRAP, .trap = RIPTIDE_TRAP_OOB};
  pool_fake_guest_set_default(f, &trap);

  /* memory: a 4 MB node-heavy page under a 16 MiB cap (the default 256 MiB would fit it) */
  riptide_pool_config c;
  cfg_small(&c, 2);
  c.memory_cap_bytes = 16u << 20;
  riptide_pool *p = mk(f, &c);
  page pg = node_page(4u << 20);
  riptide_document *d = NULL;
  assert_int_equal(riptide_pool_extract(p, pg.p, pg.n, NULL, NULL, &d), RIPTIDE_ERR_MEMORY_LIMIT);
  assert_null(d);
  free(pg.p);
  riptide_pool_free(p);

  /* deadline: a 12 MB page cannot be done natively in 30 ms */
  cfg_small(&c, 2);
  c.timeout_ms = 30;
  p = mk(f, &c);
  pg = attr_page(0, 12u << 20);
  uint64_t t0 = mono_ms();
  assert_int_equal(riptide_pool_extract(p, pg.p, pg.n, NULL, NULL, &d), RIPTIDE_ERR_TIMEOUT);
  assert_true(mono_ms() - t0 < 2000);
  assert_null(d);
  free(pg.p);
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  assert_int_equal(m.extractions_failed, 1);
  riptide_pool_free(p);
  pool_fake_guest_free(f);
}

/* A guest result over the cap is OUTPUT_TOO_LARGE, not a fallback (whose result would be as
 * large); the automatic cap lets a 10 MB page's 17 MB result through. */
static void test_pool_output_cap(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  size_t text_len = 17u << 20;
  char *text = malloc(text_len + 1);
  memset(text, 'w', text_len);
  for (size_t i = 7; i < text_len; i += 8)
    text[i] = ' ';
  text[text_len] = '\0';
  size_t wl;
  uint8_t *wire = pool_fake_wire_doc("Big", text, &wl);
  free(text);
  pool_fake_step ok = {.kind = POOL_FAKE_OK, .wire = wire, .wire_len = wl};
  pool_fake_guest_set_default(f, &ok);
  page pg = attr_page(0, 10u << 20);

  riptide_pool_config c;
  cfg_small(&c, 1);
  riptide_pool *p = mk(f, &c);
  riptide_document *d = NULL;
  assert_int_equal(riptide_pool_extract(p, pg.p, pg.n, NULL, NULL, &d), RIPTIDE_OK);
  assert_string_equal(d->engine, "wasm");
  riptide_document_free(d);
  riptide_pool_free(p);

  cfg_small(&c, 1);
  c.max_output_bytes = 16u << 20;
  p = mk(f, &c);
  d = (riptide_document *)0x1;
  assert_int_equal(riptide_pool_extract(p, pg.p, pg.n, NULL, NULL, &d),
                   RIPTIDE_ERR_OUTPUT_TOO_LARGE);
  assert_null(d);
  riptide_metrics m;
  riptide_pool_metrics(p, &m);
  assert_int_equal(m.fallbacks, 0);
  assert_int_equal(m.succeeded_native, 0);
  riptide_pool_free(p);
  free(pg.p);
  free(wire);
  pool_fake_guest_free(f);
}

typedef struct bg_call {
  riptide_pool *p;
  page *pg;
  riptide_err err;
} bg_call;

static void *bg_extract(void *arg)
{
  bg_call *b = arg;
  riptide_document *d = NULL;
  b->err = riptide_pool_extract(b->p, b->pg->p, b->pg->n, NULL, NULL, &d);
  riptide_document_free(d);
  return NULL;
}

/* Native calls are bounded like guest calls: at most max_slots at once. With one place taken
 * by a long fallback, another fallback waits acquire_wait_ms and gets POOL_EXHAUSTED. */
static void test_pool_fallback_concurrency_bound(void **state)
{
  (void)state;
  pool_fake_guest *f = pool_fake_guest_new();
  pool_fake_step trap = {.kind = POOL_FAKE_TRAP, .trap = RIPTIDE_TRAP_OOB};
  pool_fake_guest_set_default(f, &trap);
  riptide_pool_config c;
  cfg_small(&c, 1);
  c.acquire_wait_ms = 1;
  c.timeout_ms = 60000;
  riptide_pool *p = mk(f, &c);
  page big = attr_page(0, 16u << 20); /* a native call of a second or so */
  bg_call b = {.p = p, .pg = &big};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, bg_extract, &b), 0);
  /* Wait (without sleeping) until the background call holds the native place. */
  for (;;) {
    pthread_mutex_lock(&p->lock);
    uint32_t n = p->native_active;
    pthread_mutex_unlock(&p->lock);
    if (n == 1)
      break;
    sched_yield();
  }
  const char small[] = "<p>Small page.</p>";
  riptide_document *d = NULL;
  riptide_err err = riptide_pool_extract(p, small, sizeof small - 1, NULL, NULL, &d);
  pthread_mutex_lock(&p->lock);
  uint32_t still = p->native_active;
  pthread_mutex_unlock(&p->lock);
  assert_int_equal(pthread_join(th, NULL), 0);
  assert_int_equal(b.err, RIPTIDE_OK);
  if (still == 1) /* the background call was still running: the bound held */
    assert_int_equal(err, RIPTIDE_ERR_POOL_EXHAUSTED);
  else
    print_message("background fallback ended first; bound not observed\n");
  riptide_document_free(d);
  /* Afterwards the place is free again. */
  assert_int_equal(riptide_pool_extract(p, small, sizeof small - 1, NULL, NULL, &d), RIPTIDE_OK);
  assert_string_equal(d->engine, "native");
  riptide_document_free(d);
  free(big.p);
  riptide_pool_free(p);
  pool_fake_guest_free(f);
}

/* Every seed of the fuzz target, through the target's own checks (fuzz/fuzz_fallback.c). */
static void test_fuzz_corpus_replay(void **state)
{
  (void)state;
  const char *dir = "fuzz/corpus/fallback";
  DIR *dd = opendir(dir);
  if (!dd) {
    print_message("fuzz corpus replay: skipped (%s not found; run from the source tree)\n", dir);
    skip();
  }
  struct dirent *de;
  size_t files = 0;
  while ((de = readdir(dd))) {
    if (de->d_name[0] == '.')
      continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
    FILE *f = fopen(path, "rb");
    if (!f)
      continue;
    uint8_t *buf = malloc(1u << 20);
    assert_non_null(buf);
    size_t n = fread(buf, 1, 1u << 20, f);
    fclose(f);
    fuzz_fallback_one(buf, n);
    free(buf);
    files++;
  }
  closedir(dd);
  assert_true(files > 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_attributes_bounded_and_flagged),
      cmocka_unit_test(test_deep_page_whole_or_flagged),
      cmocka_unit_test(test_long_text_whole),
      cmocka_unit_test(test_native_deadline),
      cmocka_unit_test(test_native_memory_cap),
      cmocka_unit_test(test_native_output_cap),
      cmocka_unit_test(test_pool_fallback_uses_configured_limits),
      cmocka_unit_test(test_pool_output_cap),
      cmocka_unit_test(test_pool_fallback_concurrency_bound),
      cmocka_unit_test(test_fuzz_corpus_replay),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
