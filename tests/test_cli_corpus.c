/*
 * test_cli_corpus.c - fingerprints and the corpus stage of `riptide extract`:
 *  - SHA-256 against the FIPS 180-4 vectors, and text_hash as SHA-256 of the normalised text
 *    (case and white space do not matter, other bytes do);
 *  - SimHash: texts the test builds with small edits are a few bits apart, unrelated texts far
 *    apart; CJK text is split per character;
 *  - the dedup index against brute force: every earlier fingerprint within the distance is
 *    found (the earliest is named), nothing farther is reported, for distances 0 to 16;
 *  - the filters (language primary subtags, word and quality bars) and the skipped line;
 *  - the index's memory per document with 10^6 fingerprints (printed, and bounded).
 * scripts/test-corpus.sh runs the options end to end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "common/simhash.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x243f6a8885a308d3ull;
static uint64_t rnd(void) /* splitmix64: a fixed sequence, so failures reproduce */
{
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
  for (size_t i = 0; i < n; i++)
    snprintf(out + 2 * i, 3, "%02x", p[i]);
}

static void sha_hex(const char *s, size_t n, char out[65])
{
  rt_sha256 sh;
  uint8_t d[32];
  assert_true(rt_sha256_init(&sh));
  rt_sha256_update(&sh, s, n);
  assert_true(rt_sha256_final(&sh, d));
  hex(d, 32, out);
}

static void test_sha256_vectors(void **state)
{
  (void)state;
  char h[65];
  sha_hex("", 0, h);
  assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  sha_hex("abc", 3, h);
  assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  sha_hex(two, strlen(two), h);
  assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  /* a million 'a's, fed in uneven pieces (the block buffer's every state) */
  rt_sha256 sh;
  assert_true(rt_sha256_init(&sh));
  char a[997];
  memset(a, 'a', sizeof a);
  size_t left = 1000000;
  for (size_t k = 1; left > 0; k = k % 997 + 1) {
    size_t n = k < left ? k : left;
    rt_sha256_update(&sh, a, n);
    left -= n;
  }
  uint8_t d[32];
  assert_true(rt_sha256_final(&sh, d));
  hex(d, 32, h);
  assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void fingerprint(const char *s, uint64_t *fp, char th[33])
{
  uint8_t h[16];
  assert_int_equal(riptide_text_fingerprint(s, strlen(s), fp, h), RIPTIDE_OK);
  hex(h, 16, th);
}

static unsigned dist(uint64_t a, uint64_t b)
{
  return (unsigned)__builtin_popcountll(a ^ b);
}

static void test_text_hash_normalisation(void **state)
{
  (void)state;
  uint64_t f1, f2;
  char t1[33], t2[33], want[65];
  /* text_hash is SHA-256 of the normalised text: "abc" */
  fingerprint("  ABC \n", &f1, t1);
  sha_hex("abc", 3, want);
  want[32] = '\0';
  assert_string_equal(t1, want);
  /* case, runs of white space (ASCII, NBSP, U+2003, U+3000) and the ends do not matter */
  fingerprint("The quick brown Fox\n\njumps over\tthe lazy dog.", &f1, t1);
  fingerprint("  the QUICK\xC2\xA0"
              "brown fox jumps\xE2\x80\x83over the \xE3\x80\x80lazy DOG. ",
              &f2, t2);
  assert_string_equal(t1, t2);
  assert_true(f1 == f2);
  sha_hex("the quick brown fox jumps over the lazy dog.", 44, want);
  want[32] = '\0';
  assert_string_equal(t1, want);
  /* punctuation is part of the text (other hash) but not of the words (same fingerprint) */
  fingerprint("The quick brown fox jumps over the lazy dog", &f2, t2);
  assert_string_not_equal(t1, t2);
  assert_true(f1 == f2);
  /* non-ASCII letters are not folded (no Unicode tables): É and é differ */
  fingerprint("\xC3\x89t\xC3\xA9", &f1, t1);
  fingerprint("\xC3\xA9t\xC3\xA9", &f2, t2);
  assert_string_not_equal(t1, t2);
  /* empty and word-less texts: fingerprint 0, the hash of "" */
  fingerprint("", &f1, t1);
  fingerprint(" \n\t ", &f2, t2);
  assert_true(f1 == 0 && f2 == 0);
  assert_string_equal(t1, "e3b0c44298fc1c149afbf4c8996fb924");
  assert_string_equal(t2, t1);
  fingerprint("... --- !!!", &f1, t1);
  assert_true(f1 == 0);
  /* bytes that are not UTF-8 are text like any other */
  fingerprint("caf\xE9 au lait", &f1, t1);
  fingerprint("caf\xE8 au lait", &f2, t2);
  assert_string_not_equal(t1, t2);
  assert_true(f1 != f2);
  /* the API's argument checks */
  uint8_t h[16];
  assert_int_equal(riptide_text_fingerprint(NULL, 0, &f1, h), RIPTIDE_OK);
  assert_int_equal(riptide_text_fingerprint(NULL, 3, &f1, h), RIPTIDE_ERR_INVALID_ARG);
  assert_int_equal(riptide_text_fingerprint("a", 1, NULL, h), RIPTIDE_ERR_INVALID_ARG);
  assert_int_equal(riptide_text_fingerprint("a", 1, &f1, NULL), RIPTIDE_ERR_INVALID_ARG);
}

/* A text of n words drawn from a vocabulary of 5000 made-up words, sentences of 12. */
static char *make_text(size_t n, uint64_t seed)
{
  uint64_t saved = rng_state;
  rng_state = seed;
  char *s = malloc(n * 12 + 1);
  size_t len = 0;
  for (size_t i = 0; i < n; i++) {
    uint64_t w = rnd() % 5000;
    size_t wl = 3 + w % 7;
    for (size_t k = 0; k < wl; k++)
      s[len++] = (char)('a' + ((w + 1) * 2654435761u >> (k * 3)) % 26);
    s[len++] = i % 12 == 11 ? '.' : ' ';
    if (i % 12 == 11)
      s[len++] = ' ';
  }
  s[len] = '\0';
  rng_state = saved;
  return s;
}

/* Replaces the k-th word of s (in place: a word of the same length, other letters). */
static void edit_word(char *s, size_t k)
{
  size_t i = 0, w = 0;
  while (s[i] && w < k) {
    if (s[i] == ' ' && s[i + 1] && s[i + 1] != ' ')
      w++;
    i++;
  }
  for (; s[i] >= 'a' && s[i] <= 'z'; i++)
    s[i] = (char)('a' + (s[i] - 'a' + 7) % 26);
}

/* Distances over 40 texts the test builds: near copies are a few bits apart (SimHash of 3-word
 * shingles: one word changed in 400 changes 3 of ~400 shingles, about 1 %), unrelated texts
 * about 32 bits apart. The bounds hold with a wide margin for these fixed seeds; the mean is
 * what --dedupe-distance 3 relies on. */
static void test_simhash_near_and_far(void **state)
{
  (void)state;
  unsigned worst_one = 0, sum_one = 0, worst_tail = 0, sum_tail = 0, sum_long = 0, best_far = 64;
  const unsigned trials = 40;
  for (uint64_t t = 0; t < trials; t++) {
    char *a = make_text(400, 1000 + t);
    uint64_t fa, fb, fc, fl, fl2, fu;
    char ta[33], tb[33], tc[33], tl[33], tu[33];
    fingerprint(a, &fa, ta);
    /* one word changed */
    char *b = strdup(a);
    edit_word(b, 17 + 7 * t);
    fingerprint(b, &fb, tb);
    assert_string_not_equal(ta, tb); /* not an exact duplicate */
    sum_one += dist(fa, fb);
    worst_one = dist(fa, fb) > worst_one ? dist(fa, fb) : worst_one;
    /* a sentence appended */
    size_t la = strlen(a);
    char *c = malloc(la + 64);
    memcpy(c, a, la);
    memcpy(c + la, " Read more of our coverage online.", 35);
    fingerprint(c, &fc, tc);
    sum_tail += dist(fa, fc);
    worst_tail = dist(fa, fc) > worst_tail ? dist(fa, fc) : worst_tail;
    /* a long text (1500 words) with two words changed */
    char *l = make_text(1500, 3000 + t);
    fingerprint(l, &fl, tl);
    edit_word(l, 100 + t);
    edit_word(l, 900 + t);
    fingerprint(l, &fl2, tl);
    sum_long += dist(fl, fl2);
    /* an unrelated text of the same vocabulary */
    char *u = make_text(400, 5000 + t);
    fingerprint(u, &fu, tu);
    best_far = dist(fa, fu) < best_far ? dist(fa, fu) : best_far;
    free(a);
    free(b);
    free(c);
    free(l);
    free(u);
  }
  print_message("simhash, 400-word texts: 1 word changed: mean %.2f, max %u bits; a sentence "
                "added: mean %.2f, max %u; 1500 words, 2 changed: mean %.2f; unrelated: min %u\n",
                (double)sum_one / trials, worst_one, (double)sum_tail / trials, worst_tail,
                (double)sum_long / trials, best_far);
  assert_true(sum_one <= 3 * trials && worst_one <= 10);
  assert_true(sum_tail <= 3 * trials && worst_tail <= 10);
  assert_true(sum_long <= 3 * trials);
  assert_true(best_far >= 16);
}

/* CJK text has no spaces: each ideograph is a word of its own, so spacing it out changes
 * nothing, and one changed character is a small change. */
static void test_simhash_cjk_per_character(void **state)
{
  (void)state;
  char a[200 * 3 + 1], b[sizeof a], spaced[200 * 4 + 1];
  uint64_t saved = rng_state;
  rng_state = 77;
  for (int i = 0; i < 200; i++) {
    uint32_t c = 0x4E00 + (uint32_t)(rnd() % 3000);
    a[3 * i] = (char)(0xE0 | (c >> 12));
    a[3 * i + 1] = (char)(0x80 | ((c >> 6) & 0x3F));
    a[3 * i + 2] = (char)(0x80 | (c & 0x3F));
    memcpy(spaced + 4 * i, a + 3 * i, 3);
    spaced[4 * i + 3] = ' ';
  }
  rng_state = saved;
  a[600] = '\0';
  spaced[800] = '\0';
  memcpy(b, a, sizeof a);
  b[3 * 100 + 2] = (char)(0x80 | ((b[3 * 100 + 2] + 1) & 0x3F));
  uint64_t fa, fb, fs;
  char ta[33], tb[33], ts[33];
  fingerprint(a, &fa, ta);
  fingerprint(b, &fb, tb);
  fingerprint(spaced, &fs, ts);
  assert_true(fa == fs);
  assert_string_not_equal(ta, ts); /* the spaces are part of the text */
  assert_string_not_equal(ta, tb);
  print_message("simhash, 200 CJK characters, 1 changed: %u bits\n", dist(fa, fb));
  assert_true(dist(fa, fb) <= 8);
}

/* The earliest of fps[0..n) within d of q, by brute force, or -1. */
static int64_t brute(const uint64_t *fps, size_t n, uint64_t q, unsigned d)
{
  for (size_t i = 0; i < n; i++)
    if (dist(fps[i], q) <= d)
      return (int64_t)i;
  return -1;
}

/* x with exactly k of its bits flipped (k distinct positions). */
static uint64_t flip_bits(uint64_t x, unsigned k)
{
  uint64_t mask = 0;
  while ((unsigned)__builtin_popcountll(mask) < k)
    mask |= 1ull << (rnd() % 64);
  return x ^ mask;
}

static void test_index_matches_brute_force(void **state)
{
  (void)state;
  static const unsigned distances[] = {0, 1, 2, 3, 4, 6, 8, 12, 16};
  for (size_t di = 0; di < sizeof distances / sizeof distances[0]; di++) {
    unsigned d = distances[di];
    size_t n = d <= 8 ? 6000 : 2000;
    cli_dedup *x = cli_dedup_new(d);
    assert_non_null(x);
    uint64_t *fps = malloc(n * sizeof *fps);
    size_t found_near = 0;
    for (size_t i = 0; i < n; i++) {
      /* a third of them derived from an earlier one: some within d, some just outside */
      uint64_t fp = rnd();
      if (i > 10 && i % 3 == 0) {
        uint64_t base = fps[rnd() % i];
        unsigned k = (unsigned)(rnd() % (d + 3));
        fp = flip_bits(base, k);
      }
      int64_t want = brute(fps, i, fp, d);
      unsigned got_dist = 99;
      int64_t got = cli_dedup_find(x, fp, &got_dist);
      assert_int_equal(got, want);
      if (got >= 0) {
        assert_int_equal(got_dist, dist(fps[got], fp));
        assert_true(got_dist <= d);
        found_near++;
      }
      /* everything is added (also the near ones), so chains hold near neighbours */
      char id[24];
      snprintf(id, sizeof id, "doc-%zu", i);
      assert_true(cli_dedup_add(x, fp, id));
      fps[i] = fp;
    }
    assert_int_equal(cli_dedup_count(x), n);
    assert_string_equal(cli_dedup_id(x, 0), "doc-0");
    char last[24];
    snprintf(last, sizeof last, "doc-%zu", n - 1);
    assert_string_equal(cli_dedup_id(x, n - 1), last);
    assert_null(cli_dedup_id(x, n));
    assert_true(found_near > n / 10); /* the constructed pairs were there to be found */
    /* exact d and d + 1 around a stored fingerprint */
    uint64_t q = flip_bits(fps[n / 2], d);
    assert_true(cli_dedup_find(x, q, NULL) >= 0);
    free(fps);
    cli_dedup_free(x);
  }
  assert_null(cli_dedup_new(CLI_DEDUPE_DISTANCE_MAX + 1));
  cli_dedup_free(NULL);
}

/* Memory with 10^6 documents held (adding is O(1); a query walks ~n/65536 candidates per band
 * at distance 3, memory-latency bound: not timed here). */
static void test_index_memory_per_document(void **state)
{
  (void)state;
  cli_dedup *x = cli_dedup_new(CLI_DEDUPE_DISTANCE_DEFAULT);
  assert_non_null(x);
  const size_t n = 1000000;
  uint64_t *kept = malloc(n / 500 * sizeof *kept);
  size_t id_chars = 0;
  for (size_t i = 0; i < n; i++) {
    char id[24];
    id_chars += (size_t)snprintf(id, sizeof id, "%zu", i);
    uint64_t fp = rnd();
    if (i % 500 == 0)
      kept[i / 500] = fp;
    assert_true(cli_dedup_add(x, fp, id));
  }
  size_t ib, idb;
  cli_dedup_memory(x, &ib, &idb);
  double per = (double)ib / (double)cli_dedup_count(x);
  /* random 64-bit fingerprints are within 3 bits with probability ~2^-46 per pair: a fresh one
   * matches nothing, while a stored one with 3 bits flipped is found, and named */
  size_t false_matches = 0;
  for (size_t i = 0; i < n / 500; i++) {
    false_matches += cli_dedup_find(x, rnd(), NULL) >= 0;
    unsigned dd = 0;
    assert_int_equal(cli_dedup_find(x, flip_bits(kept[i], 3), &dd), (int64_t)i * 500);
    assert_int_equal(dd, 3);
  }
  print_message("dedup index, distance 3, %zu fingerprints: %.1f bytes/document for the index, "
                "%.1f for the ids (%.1f characters on average); %zu false matches in %zu queries\n",
                n, per, (double)idb / (double)n, (double)id_chars / (double)n, false_matches,
                n / 500);
  /* 8 (fingerprint) + 4 x 4 (links) + the band tables and the doubling's slack */
  assert_true(per <= 32.0);
  assert_int_equal(false_matches, 0);
  free(kept);
  cli_dedup_free(x);
}

static riptide_document *doc_with(const char *lang, uint32_t words, int32_t quality)
{
  riptide_document *d = riptide_document_new();
  d->language = lang ? strdup(lang) : NULL;
  d->word_count = words;
  d->quality_score = quality;
  d->text = strdup("some words here");
  d->has_fingerprint = true;
  d->fingerprint = 0x1234;
  return d;
}

static void test_filters(void **state)
{
  (void)state;
  cli_corpus_opts o;
  cli_corpus_opts_init(&o);
  assert_false(cli_corpus_active(&o));
  assert_true(cli_corpus_parse_languages("en,DE,fil", &o));
  assert_int_equal(o.n_langs, 3);
  assert_string_equal(o.langs[1], "de");
  assert_true(cli_corpus_active(&o));
  static const char *const bad[] = {"", "e", "engl", "en,", ",en", "en-US", "e1", "en de"};
  cli_corpus_opts tmp;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_false(cli_corpus_parse_languages(bad[i], &tmp));
  assert_false(cli_corpus_parse_languages("aa,ab,ac,ad,ae,af,ag,ah,ai,aj,ak,al,am,an,ao,ap,aq",
                                          &tmp)); /* 17 */
  o.min_words = 50;
  o.min_quality = 40;
  cli_corpus_result r;
  struct {
    const char *lang;
    uint32_t words;
    int32_t q;
    cli_skip_reason want;
  } cases[] = {
      {"en", 50, 40, CLI_SKIP_NONE},         {"en-US", 500, 90, CLI_SKIP_NONE},
      {"EN", 500, 90, CLI_SKIP_NONE},        {"fil", 500, 90, CLI_SKIP_NONE},
      {"fr", 500, 90, CLI_SKIP_LANGUAGE},    {NULL, 500, 90, CLI_SKIP_LANGUAGE},
      {"eng", 500, 90, CLI_SKIP_LANGUAGE},   {"e", 500, 90, CLI_SKIP_LANGUAGE},
      {"de", 49, 90, CLI_SKIP_MIN_WORDS},    {"de", 500, 39, CLI_SKIP_MIN_QUALITY},
      {"de", 500, -1, CLI_SKIP_MIN_QUALITY}, {"fr", 1, -1, CLI_SKIP_LANGUAGE},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    riptide_document *d = doc_with(cases[i].lang, cases[i].words, cases[i].q);
    bool skipped = cli_corpus_filter(&o, d, &r);
    assert_int_equal(r.reason, cases[i].want);
    assert_int_equal(skipped, cases[i].want != CLI_SKIP_NONE);
    assert_true(r.dedupable);
    riptide_document_free(d);
  }
  /* a document without text takes no part in dedup */
  riptide_document *d = doc_with("en", 60, 50);
  d->text[0] = '\0';
  cli_corpus_filter(&o, d, &r);
  assert_false(r.dedupable);
  riptide_document_free(d);
}

static void test_skipped_lines(void **state)
{
  (void)state;
  cli_config c;
  memset(&c, 0, sizeof c);
  c.format = CLI_FMT_JSONL;
  cli_corpus_result r;
  memset(&r, 0, sizeof r);
  cli_buf b = {0};
  r.reason = CLI_SKIP_LANGUAGE;
  snprintf(r.language, sizeof r.language, "de");
  assert_true(cli_corpus_format_skip(&c, "p\"1", &r, &b));
  assert_string_equal(
      b.p, "{\"id\":\"p\\\"1\",\"skipped\":{\"reason\":\"language\",\"language\":\"de\"}}\n");
  b.len = 0;
  r.language[0] = '\0';
  assert_true(cli_corpus_format_skip(&c, "p", &r, &b));
  assert_string_equal(b.p,
                      "{\"id\":\"p\",\"skipped\":{\"reason\":\"language\",\"language\":null}}\n");
  b.len = 0;
  r.reason = CLI_SKIP_MIN_WORDS;
  r.value = 12;
  r.min = 50;
  assert_true(cli_corpus_format_skip(&c, "p", &r, &b));
  assert_string_equal(
      b.p, "{\"id\":\"p\",\"skipped\":{\"reason\":\"min_words\",\"words\":12,\"min\":50}}\n");
  b.len = 0;
  r.reason = CLI_SKIP_MIN_QUALITY;
  r.value = -1;
  assert_true(cli_corpus_format_skip(&c, "p", &r, &b));
  assert_string_equal(
      b.p, "{\"id\":\"p\",\"skipped\":{\"reason\":\"min_quality\",\"quality\":null,\"min\":50}}\n");
  /* pretty (-f json) parses to the same object */
  c.format = CLI_FMT_JSON;
  b.len = 0;
  r.reason = CLI_SKIP_DUPLICATE;
  r.duplicate_of = "first";
  r.distance = 2;
  assert_true(cli_corpus_format_skip(&c, "p", &r, &b));
  json_error_t je;
  json_t *j = json_loads(b.p, 0, &je);
  assert_non_null(j);
  json_t *s = json_object_get(j, "skipped");
  assert_string_equal(json_string_value(json_object_get(s, "reason")), "duplicate");
  assert_string_equal(json_string_value(json_object_get(s, "duplicate_of")), "first");
  assert_int_equal(json_integer_value(json_object_get(s, "distance")), 2);
  json_decref(j);
  char why[200];
  cli_corpus_describe(&r, why, sizeof why);
  assert_string_equal(why, "duplicate of first (distance 2)");
  cli_buf_free(&b);
}

/* The output role's step for one result: compare, and remember it when it is kept. */
static void step(cli_dedup *x, const cli_config *c, const char *id, cli_corpus_result *r,
                 cli_buf *out, bool *has_out)
{
  cli_corpus_dedupe(x, c, id, r, out, has_out);
  if (r->reason == CLI_SKIP_NONE)
    assert_true(cli_corpus_remember(x, r, id));
}

/* The first of two near texts is kept and remembered, the second becomes a duplicate naming
 * it; documents skipped by a filter or as duplicates are not remembered; without an index
 * (no --dedupe) nothing changes. */
static void test_dedupe_stage(void **state)
{
  (void)state;
  cli_config c;
  memset(&c, 0, sizeof c);
  c.format = CLI_FMT_JSONL;
  cli_corpus_opts_init(&c.corpus);
  cli_dedup *x = cli_dedup_new(3);
  cli_corpus_result r1 = {.dedupable = true, .fingerprint = 0xabcdef0123456789ull};
  cli_corpus_result r2 = {.dedupable = true, .fingerprint = 0xabcdef0123456789ull ^ 0x11};
  cli_corpus_result r3 = {.reason = CLI_SKIP_LANGUAGE, .dedupable = true, .fingerprint = 7};
  cli_corpus_result r4 = {.dedupable = true, .fingerprint = 7 ^ 1};
  cli_corpus_result r6 = {.dedupable = false, .fingerprint = 0};
  cli_corpus_result r7 = {.dedupable = false, .fingerprint = 0};
  cli_buf out = {0};
  bool has_out = true;
  step(x, &c, "one", &r1, &out, &has_out);
  assert_int_equal(r1.reason, CLI_SKIP_NONE);
  step(x, &c, "two", &r2, &out, &has_out);
  assert_int_equal(r2.reason, CLI_SKIP_DUPLICATE);
  assert_true(has_out);
  assert_string_equal(
      out.p, "{\"id\":\"two\",\"skipped\":{\"reason\":\"duplicate\",\"duplicate_of\":\"one\","
             "\"distance\":2}}\n");
  step(x, &c, "three", &r3, &out, &has_out);
  assert_int_equal(r3.reason, CLI_SKIP_LANGUAGE);
  step(x, &c, "four", &r4, &out, &has_out);
  assert_int_equal(r4.reason, CLI_SKIP_NONE); /* "three" was not remembered */
  assert_int_equal(cli_dedup_count(x), 2);
  c.format = CLI_FMT_MARKDOWN;
  cli_corpus_result r5 = {.dedupable = true, .fingerprint = 7};
  step(x, &c, "five", &r5, &out, &has_out);
  assert_int_equal(r5.reason, CLI_SKIP_DUPLICATE);
  assert_string_equal(r5.duplicate_of, "four");
  assert_false(has_out);
  /* texts without words are never duplicates, of each other either */
  step(x, &c, "six", &r6, &out, &has_out);
  step(x, &c, "seven", &r7, &out, &has_out);
  assert_int_equal(r6.reason, CLI_SKIP_NONE);
  assert_int_equal(r7.reason, CLI_SKIP_NONE);
  assert_int_equal(cli_dedup_count(x), 2);
  /* no index */
  cli_corpus_result r8 = {.dedupable = true, .fingerprint = 0xabcdef0123456789ull};
  step(NULL, &c, "eight", &r8, &out, &has_out);
  assert_int_equal(r8.reason, CLI_SKIP_NONE);
  cli_buf_free(&out);
  cli_dedup_free(x);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sha256_vectors),
      cmocka_unit_test(test_text_hash_normalisation),
      cmocka_unit_test(test_simhash_near_and_far),
      cmocka_unit_test(test_simhash_cjk_per_character),
      cmocka_unit_test(test_index_matches_brute_force),
      cmocka_unit_test(test_index_memory_per_document),
      cmocka_unit_test(test_filters),
      cmocka_unit_test(test_skipped_lines),
      cmocka_unit_test(test_dedupe_stage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
