/* test_api.c - the public API's contracts as a product: version, riptide_free, structs that
 * grow (a program built against an older or newer riptide.h, and bad sizes), and the error
 * detail (riptide_last_error_detail) of failed calls. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "riptide.h"
#include "common/errors.h"
#include "common/utf8.h"
#include "pool/pool.h"
#include "support/fake_guest.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A page whose article keeps an image: media present unless want_media is false. */
static const char PAGE[] =
    "<html><head><title>Harbour</title></head><body><article><h1>Harbour</h1>"
    "<p>The harbour lights came on one by one as the fishing boats returned in the evening, and "
    "the quay filled with people waiting for the catch to be landed and sold.</p>"
    "<img src=\"https://example.org/boat.jpg\" alt=\"A boat\">"
    "<p>Most of the boats had been out since before dawn, following the shoals along the coast "
    "where the water is deep and cold even in the middle of summer.</p>"
    "</article></body></html>";

static riptide_pool *real_pool(void)
{
  riptide_pool_config c;
  riptide_pool_config_init(&c);
  c.max_slots = 2;
  c.warm_slots = 1;
  c.health_interval_ms = 0;
  riptide_pool *p = NULL;
  assert_int_equal(riptide_pool_new(&c, &p), RIPTIDE_OK);
  return p;
}

static void test_version(void **state)
{
  (void)state;
  assert_int_equal(riptide_version_number(), RIPTIDE_VERSION_NUM);
  assert_int_equal(RIPTIDE_VERSION_NUM, RIPTIDE_VERSION_MAJOR * 10000 +
                                            RIPTIDE_VERSION_MINOR * 100 + RIPTIDE_VERSION_PATCH);
  char want[32];
  snprintf(want, sizeof want, "%d.%d.%d", RIPTIDE_VERSION_MAJOR, RIPTIDE_VERSION_MINOR,
           RIPTIDE_VERSION_PATCH);
  assert_string_equal(riptide_version(), want);
  assert_string_equal(RIPTIDE_VERSION, want);
}

static void test_riptide_free(void **state)
{
  (void)state;
  riptide_free(NULL);
  riptide_document *d = riptide_document_new();
  char *json = riptide_document_to_json(d, "x", false);
  assert_non_null(json);
  riptide_free(json);
  riptide_document_free(d);
  char *out = NULL;
  size_t n = 0;
  assert_int_equal(riptide_decode_input("<p>a</p>", 8, NULL, 1024, &out, &n), RIPTIDE_OK);
  riptide_free(out);
}

/* ---- options: older binary, newer binary, bad size --------------------------------------------
 */

static size_t media_of(riptide_pool *p, const riptide_options *o, riptide_err *err)
{
  riptide_document *d = NULL;
  *err = riptide_pool_extract(p, PAGE, strlen(PAGE), NULL, o, &d);
  size_t n = d ? d->n_media : 0;
  riptide_document_free(d);
  return n;
}

static void test_options_older_binary(void **state)
{
  (void)state;
  riptide_pool *p = real_pool();
  riptide_err err;

  /* Control: this header's struct with want_media = false gives no media. */
  riptide_options full;
  riptide_options_init(&full);
  full.want_media = false;
  assert_int_equal(media_of(p, &full, &err), 0);
  assert_int_equal(err, RIPTIDE_OK);

  /* A program built when riptide_options ended before want_media: the byte where this
   * library keeps want_media holds false in its memory, but lies past its size, so the
   * library must use the default (true). */
  riptide_options old;
  memset(&old, 0, sizeof old);
  riptide_options_init_sized(&old, offsetof(riptide_options, want_media));
  assert_int_equal(old.size, offsetof(riptide_options, want_media));
  assert_true(old.want_markdown);
  assert_false(old.want_media); /* init wrote only the caller's bytes */
  assert_true(media_of(p, &old, &err) > 0);
  assert_int_equal(err, RIPTIDE_OK);
  riptide_pool_free(p);
}

/* Does the Markdown of a page with a table hold the table? */
static bool table_in_markdown(riptide_pool *p, const riptide_options *o)
{
  static const char TABLE_PAGE[] =
      "<html><head><title>Tides</title></head><body><article><h1>Tides</h1>"
      "<p>The tide tables below give the times of high water at the harbour for the coming "
      "week, measured at the pier gauge and corrected for the local datum.</p>"
      "<table><tr><th>Day</th><th>High water</th></tr><tr><td>Monday</td><td>06:12</td></tr>"
      "<tr><td>Tuesday</td><td>06:58</td></tr></table>"
      "<p>Spring tides fall on the weekend, when the range is largest and the slipway floods "
      "at the top of the tide, so the boats are moved to the outer berths.</p>"
      "</article></body></html>";
  riptide_document *d = NULL;
  assert_int_equal(riptide_pool_extract(p, TABLE_PAGE, sizeof TABLE_PAGE - 1, NULL, o, &d),
                   RIPTIDE_OK);
  bool has = d->markdown && strstr(d->markdown, "| Monday | 06:12 |") != NULL;
  riptide_document_free(d);
  return has;
}

static void test_options_before_want_tables(void **state)
{
  (void)state;
  riptide_pool *p = real_pool();
  riptide_options o;
  riptide_options_init(&o);
  assert_true(o.want_tables);
  assert_true(table_in_markdown(p, &o));
  o.want_tables = false; /* control: this header's struct */
  assert_false(table_in_markdown(p, &o));
  /* A program built before want_tables: its size does not reach want_tables, whose byte holds
   * false here: the library takes the default. */
  riptide_options old;
  memset(&old, 0, sizeof old);
  riptide_options_init_sized(&old, offsetof(riptide_options, want_tables));
  assert_false(old.want_tables); /* init wrote only the caller's bytes */
  assert_true(old.want_links);
  assert_true(table_in_markdown(p, &old));
  /* A 0.1.0 program's struct ended at want_media: its tail padding may hold anything, and
   * no field lives there. */
  size_t pad = offsetof(riptide_options, want_media) + 1;
  memset((char *)&old + pad, 0xFF, offsetof(riptide_options, call_id) - pad);
  assert_true(table_in_markdown(p, &old));
  riptide_pool_free(p);
}

static void test_options_newer_binary(void **state)
{
  (void)state;
  riptide_pool *p = real_pool();
  riptide_err err;
  /* A program built against a newer header: 16 more bytes the library does not know. */
  unsigned char buf[sizeof(riptide_options) + 16];
  memset(buf, 0xEE, sizeof buf);
  riptide_options *o = (riptide_options *)(void *)buf;
  riptide_options_init_sized(o, sizeof buf);
  assert_int_equal(o->size, sizeof buf);
  for (size_t i = sizeof(riptide_options); i < sizeof buf; i++)
    assert_int_equal(buf[i], 0); /* fields this library does not know: zero */
  assert_true(media_of(p, o, &err) > 0);
  assert_int_equal(err, RIPTIDE_OK);
  assert_string_equal(riptide_last_error_detail(), "");

  /* ... and asking for something through one of those fields: refused, not ignored. */
  buf[sizeof(riptide_options) + 3] = 1;
  media_of(p, o, &err);
  assert_int_equal(err, RIPTIDE_ERR_UNSUPPORTED);
  assert_non_null(strstr(riptide_last_error_detail(), "newer riptide.h"));
  riptide_pool_free(p);
}

static void test_options_bad_size(void **state)
{
  (void)state;
  riptide_pool *p = real_pool();
  riptide_err err;
  riptide_options o;
  memset(&o, 0, sizeof o); /* never initialised: size 0 */
  media_of(p, &o, &err);
  assert_int_equal(err, RIPTIDE_ERR_INVALID_ARG);
  assert_non_null(strstr(riptide_last_error_detail(), "riptide_options: size 0"));
  o.size = 2;
  media_of(p, &o, &err);
  assert_int_equal(err, RIPTIDE_ERR_INVALID_ARG);
  o.size = 1u << 20;
  media_of(p, &o, &err);
  assert_int_equal(err, RIPTIDE_ERR_INVALID_ARG);
  /* The native engine applies the same rule. */
  riptide_document *d = NULL;
  assert_int_equal(riptide_extract_native(PAGE, strlen(PAGE), NULL, &o, &d),
                   RIPTIDE_ERR_INVALID_ARG);
  assert_null(d);
  riptide_pool_free(p);
}

/* ---- metrics and status: written only as far as the caller's struct goes ----------------------
 */

static void test_metrics_older_binary(void **state)
{
  (void)state;
  riptide_pool *p = real_pool();
  riptide_document *d = NULL;
  assert_int_equal(riptide_pool_extract(p, PAGE, strlen(PAGE), NULL, NULL, &d), RIPTIDE_OK);
  riptide_document_free(d);

  /* An older riptide_metrics that ended before the histograms. */
  const size_t old = offsetof(riptide_metrics, permit_wait);
  unsigned char buf[sizeof(riptide_metrics) + 64];
  memset(buf, 0xAB, sizeof buf);
  riptide_metrics *m = (riptide_metrics *)(void *)buf;
  assert_int_equal(riptide_pool_metrics_sized(p, m, old), RIPTIDE_OK);
  assert_int_equal(m->size, old);
  assert_int_equal(m->extractions_total, 1);
  assert_int_equal(m->succeeded_wasm, 1);
  for (size_t i = old; i < sizeof buf; i++)
    assert_int_equal(buf[i], 0xAB); /* nothing written past the caller's struct */

  /* Its Prometheus text counts the missing histograms as empty (not the bytes past size). */
  char *prom = riptide_metrics_to_prometheus(m);
  assert_non_null(prom);
  assert_non_null(strstr(prom, "riptide_permit_wait_seconds_count 0\n"));
  assert_non_null(
      strstr(prom, "riptide_extractions_total{engine=\"wasm\",outcome=\"succeeded\"} 1\n"));
  riptide_free(prom);

  riptide_pool_status st_old;
  const size_t old_st = offsetof(riptide_pool_status, idle);
  memset(&st_old, 0xAB, sizeof st_old);
  assert_int_equal(riptide_pool_status_get_sized(p, &st_old, old_st), RIPTIDE_OK);
  assert_int_equal(st_old.size, old_st);
  assert_int_equal(st_old.max_slots, 2);
  const unsigned char *sb = (const unsigned char *)&st_old;
  for (size_t i = old_st; i < sizeof st_old; i++)
    assert_int_equal(sb[i], 0xAB);
  riptide_pool_free(p);
}

static void test_metrics_newer_binary(void **state)
{
  (void)state;
  riptide_pool *p = real_pool();
  unsigned char buf[sizeof(riptide_metrics) + 32];
  memset(buf, 0xAB, sizeof buf);
  riptide_metrics *m = (riptide_metrics *)(void *)buf;
  assert_int_equal(riptide_pool_metrics_sized(p, m, sizeof buf), RIPTIDE_OK);
  assert_int_equal(m->size, sizeof(riptide_metrics)); /* what this library filled */
  for (size_t i = sizeof(riptide_metrics); i < sizeof buf; i++)
    assert_int_equal(buf[i], 0); /* fields it does not know: zero */
  /* The macro passes this header's size. */
  riptide_metrics mm;
  memset(&mm, 0xAB, sizeof mm);
  assert_int_equal(riptide_pool_metrics(p, &mm), RIPTIDE_OK);
  assert_int_equal(mm.size, sizeof mm);
  assert_int_equal(mm.extractions_total, 0);
  riptide_pool_free(p);
}

static void test_sized_bad_size(void **state)
{
  (void)state;
  riptide_pool *p = real_pool();
  unsigned char buf[sizeof(riptide_metrics)];
  const size_t bad[] = {0, 3, (size_t)1 << 20};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    memset(buf, 0xAB, sizeof buf);
    assert_int_equal(riptide_pool_metrics_sized(p, (riptide_metrics *)(void *)buf, bad[k]),
                     RIPTIDE_ERR_INVALID_ARG);
    for (size_t i = 0; i < sizeof buf; i++)
      assert_int_equal(buf[i], 0xAB); /* nothing written */
    assert_non_null(strstr(riptide_last_error_detail(), "riptide_metrics: size"));
    assert_int_equal(riptide_pool_status_get_sized(p, (riptide_pool_status *)(void *)buf, bad[k]),
                     RIPTIDE_ERR_INVALID_ARG);
    assert_int_equal(buf[0], 0xAB);
  }
  assert_int_equal(riptide_pool_metrics_sized(p, NULL, sizeof(riptide_metrics)),
                   RIPTIDE_ERR_INVALID_ARG);
  riptide_pool_free(p);
}

/* ---- events carry their size ------------------------------------------------------------------
 */

typedef struct ev_seen {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  uint32_t n;
  uint32_t size;
  uint32_t tagged;    /* events whose metadata call_id was "input-42" */
  uint32_t untagged;  /* events without a call_id */
  uint32_t completed; /* extraction.completed events */
} ev_seen;

static void on_event(const riptide_event *ev, void *ctx)
{
  ev_seen *s = ctx;
  pthread_mutex_lock(&s->mu);
  s->n++;
  s->size = ev->size;
  const char *call_id = NULL;
  for (uint32_t i = 0; i < ev->n_meta; i++)
    if (!strcmp(ev->meta_key[i], "call_id"))
      call_id = ev->meta_val[i];
  if (call_id && !strcmp(call_id, "input-42"))
    s->tagged++;
  else if (!call_id)
    s->untagged++;
  s->completed += !strcmp(ev->type, "extraction.completed");
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
}

static void test_event_size(void **state)
{
  (void)state;
  riptide_pool *p = real_pool();
  ev_seen s = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
  uint64_t sub = riptide_pool_subscribe(p, "extraction.", RIPTIDE_SEV_TRACE, on_event, &s);
  assert_true(sub > 0);
  riptide_document *d = NULL;
  assert_int_equal(riptide_pool_extract(p, PAGE, strlen(PAGE), NULL, NULL, &d), RIPTIDE_OK);
  riptide_document_free(d);
  /* Delivery is asynchronous (the dispatcher thread): wait for it, 10 s means lost. */
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 10;
  pthread_mutex_lock(&s.mu);
  while (s.n == 0 && pthread_cond_timedwait(&s.cv, &s.mu, &dl) == 0)
    ;
  uint32_t n = s.n, size = s.size;
  pthread_mutex_unlock(&s.mu);
  riptide_pool_unsubscribe(p, sub);
  assert_true(n > 0);
  assert_int_equal(size, sizeof(riptide_event));
  riptide_pool_free(p);
}

/* riptide_options.call_id: the events of that call carry it (metadata "call_id"), those of a
 * call without one do not. */
static void test_event_call_id(void **state)
{
  (void)state;
  riptide_pool *p = real_pool();
  ev_seen s = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
  uint64_t sub = riptide_pool_subscribe(p, "extraction.", RIPTIDE_SEV_TRACE, on_event, &s);
  assert_true(sub > 0);
  riptide_options o;
  riptide_options_init(&o);
  o.call_id = "input-42";
  riptide_document *d = NULL;
  assert_int_equal(riptide_pool_extract(p, PAGE, strlen(PAGE), NULL, &o, &d), RIPTIDE_OK);
  riptide_document_free(d);
  assert_int_equal(riptide_pool_extract(p, PAGE, strlen(PAGE), NULL, NULL, &d), RIPTIDE_OK);
  riptide_document_free(d);
  struct timespec dl;
  clock_gettime(CLOCK_REALTIME, &dl);
  dl.tv_sec += 10;
  pthread_mutex_lock(&s.mu);
  while (s.completed < 2 && pthread_cond_timedwait(&s.cv, &s.mu, &dl) == 0)
    ;
  uint32_t tagged = s.tagged, untagged = s.untagged, completed = s.completed;
  pthread_mutex_unlock(&s.mu);
  riptide_pool_unsubscribe(p, sub);
  assert_int_equal(completed, 2);
  assert_int_equal(tagged, 2);   /* extraction.started and .completed of the first call */
  assert_int_equal(untagged, 2); /* the same two of the second */
  riptide_pool_free(p);
}

/* ---- fetch result: an older, smaller struct ----------------------------------------------------
 */

static void test_fetch_result_older_binary(void **state)
{
  (void)state;
  unsigned char buf[sizeof(riptide_fetch_result) + 16];
  memset(buf, 0xAB, sizeof buf);
  const size_t old = offsetof(riptide_fetch_result, status);
  riptide_fetch_result *r = (riptide_fetch_result *)(void *)buf;
  char detail[128];
  riptide_err err =
      riptide_fetch_url_sized("file:///etc/passwd", NULL, r, old, detail, sizeof detail);
  assert_int_equal(err, RIPTIDE_ERR_FETCH);
  assert_int_equal(r->size, old);
  assert_null(r->body);
  for (size_t i = old; i < sizeof buf; i++)
    assert_int_equal(buf[i], 0xAB);
  assert_true(detail[0] != '\0');
  assert_string_equal(riptide_last_error_detail(), detail);
  riptide_fetch_result_clear(r); /* clears the caller's fields only */
  for (size_t i = old; i < sizeof buf; i++)
    assert_int_equal(buf[i], 0xAB);
  assert_int_equal(riptide_fetch_url_sized("http://x/", NULL, r, 0, NULL, 0),
                   RIPTIDE_ERR_INVALID_ARG);
}

/* ---- error detail --------------------------------------------------------------------------- */

static void test_detail_selector(void **state)
{
  (void)state;
  riptide_pool *p = real_pool();
  riptide_options o;
  riptide_options_init(&o);
  o.mode = RIPTIDE_MODE_CUSTOM;
  o.selector = "article p, div >> span";
  riptide_document *d = NULL;
  assert_int_equal(riptide_pool_extract(p, PAGE, strlen(PAGE), NULL, &o, &d), RIPTIDE_ERR_SELECTOR);
  print_message("detail: %s\n", riptide_last_error_detail());
  assert_non_null(strstr(riptide_last_error_detail(), "at position 16 ('> span')"));
  /* Success clears it. */
  o.selector = "article p";
  assert_int_equal(riptide_pool_extract(p, PAGE, strlen(PAGE), NULL, &o, &d), RIPTIDE_OK);
  riptide_document_free(d);
  assert_string_equal(riptide_last_error_detail(), "");
  o.selector = NULL;
  assert_int_equal(riptide_pool_extract(p, PAGE, strlen(PAGE), NULL, &o, &d), RIPTIDE_ERR_SELECTOR);
  assert_non_null(strstr(riptide_last_error_detail(), "needs a CSS selector"));
  riptide_mode m;
  assert_int_equal(riptide_mode_parse("articel", &m), RIPTIDE_ERR_UNSUPPORTED);
  assert_non_null(strstr(riptide_last_error_detail(), "'articel'"));
  riptide_pool_free(p);
}

static void test_detail_limit(void **state)
{
  (void)state;
  riptide_pool_config c;
  riptide_pool_config_init(&c);
  c.max_slots = 1;
  c.warm_slots = 1;
  c.health_interval_ms = 0;
  c.max_input_bytes = 100;
  riptide_pool *p = NULL;
  assert_int_equal(riptide_pool_new(&c, &p), RIPTIDE_OK);
  riptide_document *d = NULL;
  assert_int_equal(riptide_pool_extract(p, PAGE, strlen(PAGE), NULL, NULL, &d),
                   RIPTIDE_ERR_INPUT_TOO_LARGE);
  char want[96];
  snprintf(want, sizeof want, "input of %zu bytes exceeds the pool's max_input_bytes (100)",
           strlen(PAGE));
  assert_string_equal(riptide_last_error_detail(), want);
  riptide_pool_free(p);
}

static const char *g_what;
static const char *what_choose(void *ctx, uint64_t no)
{
  (void)ctx;
  (void)no;
  return g_what;
}

/* The hostile test guest, fallback off: each failure says what happened. */
static void test_detail_trap_and_deadline(void **state)
{
  (void)state;
  const rt_guest *hostile = pool_real_hostile_guest();
  if (!hostile) {
    print_message("real sandbox test guests not linked (mk/wasm.mk); skipped\n");
    skip();
  }
  pool_proxy_guest *x = pool_proxy_guest_new(hostile, what_choose, NULL);
  riptide_pool_config c;
  riptide_pool_config_init(&c);
  c.max_slots = 1;
  c.warm_slots = 1;
  c.health_interval_ms = 0;
  c.fallback_enabled = false;
  c.timeout_ms = 200;
  c.breaker_min_calls = 1000;
  c.breaker_window = 1000;
  riptide_pool *p = NULL;
  assert_int_equal(rt_pool_new_with_guest(&c, pool_proxy_guest_get(x), &p), RIPTIDE_OK);
  static const struct {
    const char *what;
    riptide_err err;
    const char *words;
  } cases[] = {
      {"oob", RIPTIDE_ERR_TRAP, "guest trapped: oob"},
      {"divzero", RIPTIDE_ERR_TRAP, "guest trapped: int_div_zero"},
      {"loop", RIPTIDE_ERR_TIMEOUT, "200 ms deadline"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    g_what = cases[i].what;
    riptide_document *d = NULL;
    assert_int_equal(riptide_pool_extract(p, "<p>x</p>", 8, NULL, NULL, &d), cases[i].err);
    print_message("%s: %s\n", cases[i].what, riptide_last_error_detail());
    assert_non_null(strstr(riptide_last_error_detail(), cases[i].words));
  }
  riptide_pool_free(p);
  pool_proxy_guest_free(x);
}

static void *fail_on_other_thread(void *arg)
{
  (void)arg;
  riptide_mode m;
  riptide_mode_parse("nonsense", &m);
  return NULL;
}

static void test_detail_thread_local_and_cut(void **state)
{
  (void)state;
  riptide_mode m;
  assert_int_equal(riptide_mode_parse("bogus", &m), RIPTIDE_ERR_UNSUPPORTED);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, fail_on_other_thread, NULL), 0);
  pthread_join(t, NULL);
  assert_non_null(strstr(riptide_last_error_detail(), "'bogus'")); /* not 'nonsense' */

  /* A detail longer than the buffer is cut before a UTF-8 sequence that does not fit. */
  char big[3 * RT_ERROR_DETAIL_MAX];
  size_t n = 0;
  big[n++] = 'x';
  while (n + 2 < sizeof big) {
    big[n++] = (char)0xC3; /* é */
    big[n++] = (char)0xA9;
  }
  big[n] = '\0';
  rt_error_detail_set("%s", big);
  const char *d = riptide_last_error_detail();
  assert_true(strlen(d) < RT_ERROR_DETAIL_MAX);
  assert_true(strlen(d) >= RT_ERROR_DETAIL_MAX - 2);
  assert_true(rt_utf8_valid((const unsigned char *)d, strlen(d)));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_version),
      cmocka_unit_test(test_riptide_free),
      cmocka_unit_test(test_options_older_binary),
      cmocka_unit_test(test_options_before_want_tables),
      cmocka_unit_test(test_options_newer_binary),
      cmocka_unit_test(test_options_bad_size),
      cmocka_unit_test(test_metrics_older_binary),
      cmocka_unit_test(test_metrics_newer_binary),
      cmocka_unit_test(test_sized_bad_size),
      cmocka_unit_test(test_event_size),
      cmocka_unit_test(test_event_call_id),
      cmocka_unit_test(test_fetch_result_older_binary),
      cmocka_unit_test(test_detail_selector),
      cmocka_unit_test(test_detail_limit),
      cmocka_unit_test(test_detail_trap_and_deadline),
      cmocka_unit_test(test_detail_thread_local_and_cut),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
