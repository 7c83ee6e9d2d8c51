/*
 * test_warc.c - the streaming WARC reader (src/input/warc.c).
 *
 * The files are written by a small WARC writer in this test (plain, one gzip member per record,
 * one whole-file gzip stream), so every case is known byte for byte; the real files of other
 * tools in $RIPTIDE_SHARED/testdata/warc are read too when present (skipped with a message
 * otherwise).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "input/warc.h"
#include "support/warc_writer.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

/* The writer (wbuf, wb_record, wb_response, wb_gzip) is tests/support/warc_writer.c. */

static char *write_tmp(const wbuf *b)
{
  char *path = strdup("/tmp/riptide-warc-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, b->p, b->n), (ssize_t)b->n);
  close(fd);
  return path;
}

/* Reads a whole file into a list summary "type:id:status;" (errors as "ERR;"). */
static char *summarise(const char *path, size_t max_block, int *errors)
{
  int fd = open(path, O_RDONLY);
  assert_true(fd >= 0);
  rt_warc *w = rt_warc_open(fd, max_block);
  assert_non_null(w);
  wbuf out = {0};
  rt_warc_record r;
  char msg[256];
  int rc;
  *errors = 0;
  while ((rc = rt_warc_next(w, &r, msg, sizeof msg)) != 0) {
    assert_int_not_equal(rc, -2);
    if (rc < 0) {
      (*errors)++;
      assert_true(msg[0] != '\0');
      wb_str(&out, "ERR;");
      continue;
    }
    wb_str(&out, r.type);
    wb_str(&out, ":");
    wb_str(&out, r.id);
    if (strcmp(r.type, "response") == 0) {
      rt_warc_http h;
      if (rt_warc_http_parse(r.block, r.block_len, 1 << 20, &h, msg, sizeof msg) == RIPTIDE_OK) {
        char s[64];
        snprintf(s, sizeof s, ":%d:%zu", h.status, h.body_len);
        wb_str(&out, s);
        rt_warc_http_free(&h);
      }
    }
    wb_str(&out, ";");
  }
  wb_put(&out, "", 1);
  rt_warc_close(w);
  close(fd);
  return (char *)out.p;
}

static const char PAGE[] = "<!doctype html><html><head><title>T</title></head>"
                           "<body><article><p>Hello WARC world, a paragraph of text.</p>"
                           "</article></body></html>";

/* warcinfo, response (html), request, response (404), resource (html) */
static void build_records(wbuf *recs[5])
{
  wb_record(recs[0], "warcinfo", "00000000-0000-0000-0000-000000000000", NULL,
            "application/warc-fields", "software: test\r\n", 16);
  wb_response(recs[1], "11111111-1111-1111-1111-111111111111", "https://example.org/a", 200,
              "Content-Type: text/html; charset=utf-8\r\n", PAGE, sizeof PAGE - 1);
  wb_record(recs[2], "request", "22222222-2222-2222-2222-222222222222", "https://example.org/a",
            "application/http;msgtype=request", "GET /a HTTP/1.1\r\n\r\n", 19);
  wb_response(recs[3], "33333333-3333-3333-3333-333333333333", "https://example.org/b", 404,
              "Content-Type: text/html\r\n", "<p>gone</p>", 11);
  wb_record(recs[4], "resource", "44444444-4444-4444-4444-444444444444", "file:///x.html",
            "text/html", PAGE, sizeof PAGE - 1);
}

static const char EXPECT[] = "warcinfo:00000000-0000-0000-0000-000000000000;"
                             "response:11111111-1111-1111-1111-111111111111:200:134;"
                             "request:22222222-2222-2222-2222-222222222222;"
                             "response:33333333-3333-3333-3333-333333333333:404:11;"
                             "resource:44444444-4444-4444-4444-444444444444;";

static void test_plain_gzip_members_and_whole_file_agree(void **state)
{
  (void)state;
  wbuf r[5] = {{0}};
  wbuf *rp[5] = {&r[0], &r[1], &r[2], &r[3], &r[4]};
  build_records(rp);
  wbuf plain = {0}, members = {0}, whole = {0};
  for (int i = 0; i < 5; i++) {
    wb_put(&plain, r[i].p, r[i].n);
    wb_gzip(&members, r[i].p, r[i].n);
  }
  wb_gzip(&whole, plain.p, plain.n);
  const wbuf *files[3] = {&plain, &members, &whole};
  for (int f = 0; f < 3; f++) {
    char *path = write_tmp(files[f]);
    int errors;
    char *s = summarise(path, 1 << 20, &errors);
    assert_int_equal(errors, 0);
    assert_string_equal(s, EXPECT);
    free(s);
    unlink(path);
    free(path);
  }
  for (int i = 0; i < 5; i++)
    free(r[i].p);
  free(plain.p);
  free(members.p);
  free(whole.p);
}

static void test_fields_and_http_layer(void **state)
{
  (void)state;
  wbuf b = {0};
  /* chunked transfer coding over a gzip content coding */
  wbuf gz = {0};
  wb_gzip(&gz, (const unsigned char *)PAGE, sizeof PAGE - 1);
  wbuf chunked = {0};
  size_t half = gz.n / 2;
  char line[32];
  snprintf(line, sizeof line, "%zx;ext=1\r\n", half);
  wb_str(&chunked, line);
  wb_put(&chunked, gz.p, half);
  snprintf(line, sizeof line, "\r\n%zX\r\n", gz.n - half);
  wb_str(&chunked, line);
  wb_put(&chunked, gz.p + half, gz.n - half);
  wb_str(&chunked, "\r\n0\r\n\r\n");
  wb_response(&b, "abc", "<https://example.org/c?x=1>", 200,
              "Content-Type: text/html; charset=iso-8859-1\r\nTransfer-Encoding: chunked\r\n"
              "Content-Encoding: gzip\r\n",
              chunked.p, chunked.n);
  char *path = write_tmp(&b);
  int fd = open(path, O_RDONLY);
  rt_warc *w = rt_warc_open(fd, 1 << 20);
  rt_warc_record r;
  char msg[256];
  assert_int_equal(rt_warc_next(w, &r, msg, sizeof msg), 1);
  assert_string_equal(r.id, "abc");
  assert_string_equal(r.type, "response");
  assert_string_equal(r.date, "2026-12-02T08:00:00Z");
  assert_string_equal(r.target_uri, "https://example.org/c?x=1");
  assert_int_equal(r.offset, 0);
  rt_warc_http h;
  assert_int_equal(rt_warc_http_parse(r.block, r.block_len, 1 << 20, &h, msg, sizeof msg),
                   RIPTIDE_OK);
  assert_int_equal(h.status, 200);
  assert_string_equal(h.content_type, "text/html; charset=iso-8859-1");
  assert_int_equal(h.body_len, sizeof PAGE - 1);
  assert_memory_equal(h.body, PAGE, sizeof PAGE - 1);
  assert_int_equal(h.body_cut, 0);
  rt_warc_http_free(&h);
  /* the decoded body is bounded */
  assert_int_equal(rt_warc_http_parse(r.block, r.block_len, 64, &h, msg, sizeof msg),
                   RIPTIDE_ERR_INPUT_TOO_LARGE);
  assert_null(h.body);
  assert_int_equal(rt_warc_next(w, &r, msg, sizeof msg), 0);
  rt_warc_close(w);
  close(fd);
  unlink(path);
  free(path);
  free(b.p);
  free(gz.p);
  free(chunked.p);

  /* no status line; a body that says chunked but is not (kept as is) */
  const char *bad = "GARBAGE\r\n\r\n<p>x</p>";
  assert_int_equal(
      rt_warc_http_parse((const unsigned char *)bad, strlen(bad), 100, &h, msg, sizeof msg),
      RIPTIDE_ERR_BAD_INPUT);
  const char *notchunked = "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n<p>plain</p>";
  assert_int_equal(rt_warc_http_parse((const unsigned char *)notchunked, strlen(notchunked), 100,
                                      &h, msg, sizeof msg),
                   RIPTIDE_OK);
  assert_string_equal(h.body, "<p>plain</p>");
  rt_warc_http_free(&h);
  /* chunks that stop early: what arrived is kept, and flagged */
  const char *cut = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nHello\r\n20\r\nWor";
  assert_int_equal(
      rt_warc_http_parse((const unsigned char *)cut, strlen(cut), 100, &h, msg, sizeof msg),
      RIPTIDE_OK);
  assert_string_equal(h.body, "HelloWor");
  assert_int_equal(h.body_cut, 1);
  rt_warc_http_free(&h);
}

/* A corrupt record header, a bad Content-Length and a damaged gzip member each give one error,
 * and every following record is still read. */
static void test_corrupt_records_resync(void **state)
{
  (void)state;
  wbuf r[5] = {{0}};
  wbuf *rp[5] = {&r[0], &r[1], &r[2], &r[3], &r[4]};
  build_records(rp);
  /* plain: junk, a record with a bad length, then the records */
  wbuf plain = {0};
  wb_put(&plain, r[0].p, r[0].n);
  wb_str(&plain, "this is not a header\r\nnor this\r\n\r\n");
  wb_str(&plain,
         "WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 12x\r\n\r\nxxxxxxxxxxxx\r\n\r\n");
  for (int i = 1; i < 5; i++)
    wb_put(&plain, r[i].p, r[i].n);
  char *path = write_tmp(&plain);
  int errors;
  char *s = summarise(path, 1 << 20, &errors);
  assert_int_equal(errors, 2);
  char expect[512];
  snprintf(expect, sizeof expect, "warcinfo:00000000-0000-0000-0000-000000000000;ERR;ERR;%s",
           EXPECT + strlen("warcinfo:00000000-0000-0000-0000-000000000000;"));
  assert_string_equal(s, expect);
  free(s);
  unlink(path);
  free(path);

  /* gzip per record with the second member damaged in its middle */
  wbuf members = {0};
  size_t start1 = 0, len1 = 0;
  for (int i = 0; i < 5; i++) {
    size_t before = members.n;
    wb_gzip(&members, r[i].p, r[i].n);
    if (i == 1) {
      start1 = before;
      len1 = members.n - before;
    }
  }
  for (size_t k = start1 + len1 / 3; k < start1 + len1 / 3 + 16; k++)
    members.p[k] ^= 0x5a;
  path = write_tmp(&members);
  s = summarise(path, 1 << 20, &errors);
  if (errors < 1)
    fail_msg("damaged member not reported: %s", s);
  assert_non_null(strstr(s, "warcinfo:00000000-0000-0000-0000-000000000000;"));
  assert_null(strstr(s, "11111111"));
  assert_non_null(strstr(s, "request:22222222-2222-2222-2222-222222222222;"));
  assert_non_null(strstr(s, "resource:44444444-4444-4444-4444-444444444444;"));
  free(s);
  unlink(path);
  free(path);

  /* one whole-file gzip stream damaged near its end: what came before is read, the rest is
   * one error, never a silent end */
  wbuf plain2 = {0}, whole = {0};
  for (int i = 0; i < 5; i++)
    wb_put(&plain2, r[i].p, r[i].n);
  wb_gzip(&whole, plain2.p, plain2.n);
  for (size_t k = whole.n - 60; k < whole.n - 40; k++)
    whole.p[k] ^= 0x5a;
  path = write_tmp(&whole);
  s = summarise(path, 1 << 20, &errors);
  if (errors < 1 || !strstr(s, "warcinfo:00000000-0000-0000-0000-000000000000;"))
    fail_msg("damaged stream: %d errors: %s", errors, s);
  free(s);
  unlink(path);
  free(path);
  free(plain2.p);
  free(whole.p);

  /* a file cut inside a block: the record is an error, nothing after it */
  size_t cut = r[0].n + r[1].n / 2;
  wbuf trunc = {0};
  wb_put(&trunc, r[0].p, r[0].n);
  wb_put(&trunc, r[1].p, r[1].n / 2);
  assert_int_equal(trunc.n, cut);
  path = write_tmp(&trunc);
  s = summarise(path, 1 << 20, &errors);
  assert_int_equal(errors, 1);
  assert_string_equal(s, "warcinfo:00000000-0000-0000-0000-000000000000;ERR;");
  free(s);
  unlink(path);
  free(path);
  for (int i = 0; i < 5; i++)
    free(r[i].p);
  free(plain.p);
  free(members.p);
  free(trunc.p);
}

/* A block over max_block is cut (and says so); the next record is intact. */
static void test_block_cap(void **state)
{
  (void)state;
  wbuf b = {0};
  size_t big = 300000;
  char *block = malloc(big);
  memset(block, 'a', big);
  wb_record(&b, "resource", "big", "https://example.org/big", "text/html", block, big);
  wb_record(&b, "resource", "small", "https://example.org/s", "text/html", "<p>s</p>", 8);
  char *path = write_tmp(&b);
  int fd = open(path, O_RDONLY);
  rt_warc *w = rt_warc_open(fd, 1000);
  rt_warc_record r;
  char msg[128];
  assert_int_equal(rt_warc_next(w, &r, msg, sizeof msg), 1);
  assert_string_equal(r.id, "big");
  assert_int_equal(r.block_len, 1000);
  assert_int_equal(r.content_length, big);
  assert_int_equal(r.block_cut, 1);
  assert_int_equal(rt_warc_next(w, &r, msg, sizeof msg), 1);
  assert_string_equal(r.id, "small");
  assert_string_equal((char *)r.block, "<p>s</p>");
  assert_int_equal(r.block_cut, 0);
  assert_int_equal(rt_warc_next(w, &r, msg, sizeof msg), 0);
  rt_warc_close(w);
  close(fd);
  unlink(path);
  free(path);
  free(block);
  free(b.p);
}

static long max_rss_kib(void)
{
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

/* 10,000 gzip-per-record records (~18 MB uncompressed): all read, memory flat. */
static void test_ten_thousand_records_constant_memory(void **state)
{
  (void)state;
  char *path = strdup("/tmp/riptide-warc-big-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  char page[1800];
  for (size_t i = 0; i < sizeof page; i++)
    page[i] = (char)('a' + (i * 7) % 26);
  for (int i = 0; i < 10000; i++) {
    wbuf rec = {0}, gz = {0};
    char id[64];
    snprintf(id, sizeof id, "rec-%05d", i);
    wb_response(&rec, id, "https://example.org/", 200, "Content-Type: text/html\r\n", page,
                sizeof page);
    wb_gzip(&gz, rec.p, rec.n);
    assert_int_equal(write(fd, gz.p, gz.n), (ssize_t)gz.n);
    free(rec.p);
    free(gz.p);
  }
  lseek(fd, 0, SEEK_SET);
  rt_warc *w = rt_warc_open(fd, 1 << 20);
  rt_warc_record r;
  char msg[128];
  long rss_at_100 = 0;
  int n = 0, rc;
  while ((rc = rt_warc_next(w, &r, msg, sizeof msg)) == 1) {
    char id[64];
    snprintf(id, sizeof id, "rec-%05d", n);
    assert_string_equal(r.id, id);
    n++;
    if (n == 100)
      rss_at_100 = max_rss_kib();
  }
  assert_int_equal(rc, 0);
  assert_int_equal(n, 10000);
  assert_true(rt_warc_bytes_read(w) > 0);
  /* the reader holds one block and its windows: no growth with the file. Under TSan the
   * runtime's shadow and sync metadata grow with every address touched, so RSS says nothing
   * about the reader there (ASan's quarantine is bounded, and its run judges it). */
#if !defined(__SANITIZE_THREAD__)
  assert_true(max_rss_kib() - rss_at_100 < 2048);
#else
  (void)rss_at_100;
#endif
  rt_warc_close(w);
  close(fd);
  unlink(path);
  free(path);
}

/* Every record of a file as "type:id:length:crc32-of-block;" ("ERR;" for an error), and how
 * many gzip members went each way. */
static char *digest_fd(int fd, size_t max_block, int *errors, uint64_t *whole, uint64_t *streamed)
{
  rt_warc *w = rt_warc_open(fd, max_block);
  assert_non_null(w);
  wbuf out = {0};
  rt_warc_record r;
  char msg[256];
  int rc;
  *errors = 0;
  while ((rc = rt_warc_next(w, &r, msg, sizeof msg)) != 0) {
    assert_int_not_equal(rc, -2);
    if (rc < 0) {
      (*errors)++;
      wb_str(&out, "ERR;");
      continue;
    }
    assert_int_equal(r.block[r.block_len], '\0');
    char s[256];
    snprintf(s, sizeof s, "%s:%s:%zu:%08lx;", r.type, r.id, r.block_len,
             crc32(0, r.block, (uInt)r.block_len));
    wb_str(&out, s);
  }
  wb_put(&out, "", 1);
  rt_warc_gzip_counts(w, whole, streamed);
  rt_warc_close(w);
  return (char *)out.p;
}

static char *digest(const wbuf *file, size_t max_block, int *errors, uint64_t *whole,
                    uint64_t *streamed)
{
  char *path = write_tmp(file);
  int fd = open(path, O_RDONLY);
  assert_true(fd >= 0);
  char *s = digest_fd(fd, max_block, errors, whole, streamed);
  close(fd);
  unlink(path);
  free(path);
  return s;
}

/* The same file through a pipe, written in small pieces by a child process: reads return
 * whatever has arrived, so members end past what was read. */
static char *digest_pipe(const wbuf *file, size_t max_block, int *errors)
{
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    for (size_t off = 0; off < file->n;) {
      size_t k = file->n - off < 3000 ? file->n - off : 3000;
      ssize_t n = write(p[1], file->p + off, k);
      if (n <= 0)
        _exit(1);
      off += (size_t)n;
    }
    _exit(0);
  }
  close(p[1]);
  uint64_t whole, streamed;
  char *s = digest_fd(p[0], max_block, errors, &whole, &streamed);
  close(p[0]);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  return s;
}

/* Bytes that deflate cannot shrink (xorshift). */
static void noise(unsigned char *p, size_t n, uint32_t seed)
{
  uint32_t x = seed | 1;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    p[i] = (unsigned char)x;
  }
}

/* The two gzip paths give the records of the plain file, byte for byte: small members (inflated
 * whole), a member that inflates past the window's maximum (8 MiB) and one whose compressed size
 * is over the read buffer (1 MiB) (both streamed), members of 400-900 KB compressed, one of which
 * ends past the buffer's end (read further, then inflated whole), an empty member; and the
 * whole-file stream, and the gzip file through a pipe. */
static void test_gzip_paths_agree(void **state)
{
  (void)state;
  size_t big_text = 9u << 20, big_noise = 1536u << 10;
  unsigned char *text = malloc(big_text), *rnd = malloc(big_noise);
  assert_non_null(text);
  assert_non_null(rnd);
  for (size_t i = 0; i < big_text; i++)
    text[i] = (unsigned char)("<p>compressible page text, line after line</p>\n"[i % 48]);
  noise(rnd, big_noise, 7);
  wbuf plain = {0}, members = {0};
  char id[64];
  for (int i = 0; i < 40; i++) {
    wbuf rec = {0};
    snprintf(id, sizeof id, "rec-%02d", i);
    if (i < 2) { /* the first read gives 1 MiB: 400 KB, then 700 KB that ends past it */
      wb_record(&rec, "resource", id, "https://example.org/n", "application/octet-stream",
                rnd + i * 1000, i == 0 ? 400u << 10 : 700u << 10);
    } else if (i == 5) {
      wb_record(&rec, "resource", id, "https://example.org/text", "text/html", text, big_text);
    } else if (i == 9) {
      wb_record(&rec, "resource", id, "https://example.org/noise", "application/octet-stream", rnd,
                big_noise);
    } else if (i % 7 == 3) { /* 600-900 KB of noise */
      size_t n = (600u << 10) + (size_t)i * 9000;
      wb_record(&rec, "resource", id, "https://example.org/n", "application/octet-stream",
                rnd + i * 1000, n);
    } else {
      wb_response(&rec, id, "https://example.org/p", 200, "Content-Type: text/html\r\n", PAGE,
                  sizeof PAGE - 1 - (size_t)i);
    }
    wb_put(&plain, rec.p, rec.n);
    wb_gzip(&members, rec.p, rec.n);
    if (i == 20)
      wb_gzip(&members, (const unsigned char *)"", 0); /* an empty member */
    free(rec.p);
  }
  wbuf whole_file = {0};
  wb_gzip(&whole_file, plain.p, plain.n);

  int errors;
  uint64_t whole, streamed;
  char *expect = digest(&plain, 16u << 20, &errors, &whole, &streamed);
  assert_int_equal(errors, 0);
  assert_int_equal(whole + streamed, 0);
  int records = 0;
  for (char *p = expect; *p; p++)
    records += *p == ';';
  assert_int_equal(records, 40);

  char *s = digest(&members, 16u << 20, &errors, &whole, &streamed);
  assert_int_equal(errors, 0);
  assert_string_equal(s, expect);
  assert_int_equal(streamed, 2);       /* the 9 MiB text and the 1.5 MiB of noise */
  assert_int_equal(whole, 40 - 2 + 1); /* the others, and the empty member */
  free(s);

  s = digest(&whole_file, 16u << 20, &errors, &whole, &streamed);
  assert_int_equal(errors, 0);
  assert_string_equal(s, expect);
  assert_int_equal(whole, 0);
  assert_int_equal(streamed, 1);
  free(s);

  s = digest_pipe(&members, 16u << 20, &errors);
  assert_int_equal(errors, 0);
  assert_string_equal(s, expect);
  free(s);

  /* a block over max_block is cut the same way on each path */
  free(expect);
  expect = digest(&plain, 100000, &errors, &whole, &streamed);
  s = digest(&members, 100000, &errors, &whole, &streamed);
  assert_string_equal(s, expect);
  free(s);
  free(expect);
  free(plain.p);
  free(members.p);
  free(whole_file.p);
  free(text);
  free(rnd);
}

/* Damage among members inflated whole: the damaged member goes to zlib, which reports it and
 * resyncs; the members after it are inflated whole again. A bad CRC (the data itself intact)
 * is reported too. A gzip file cut inside its last member gives that record as an error. */
static void test_gzip_damage_between_whole_members(void **state)
{
  (void)state;
  wbuf members = {0};
  size_t at[30] = {0}, len[30] = {0};
  for (int i = 0; i < 30; i++) {
    wbuf rec = {0};
    char id[64];
    snprintf(id, sizeof id, "rec-%02d", i);
    wb_response(&rec, id, "https://example.org/p", 200, "Content-Type: text/html\r\n", PAGE,
                sizeof PAGE - 1);
    at[i] = members.n;
    wb_gzip(&members, rec.p, rec.n);
    len[i] = members.n - at[i];
    free(rec.p);
  }
  for (size_t k = at[10] + len[10] / 2; k < at[10] + len[10] / 2 + 8; k++)
    members.p[k] ^= 0x5a;
  members.p[at[20] + len[20] - 8] ^= 0xff; /* the CRC-32 of member 20 */
  int errors;
  uint64_t whole, streamed;
  char *s = digest(&members, 1 << 20, &errors, &whole, &streamed);
  if (errors < 2 || strstr(s, "rec-10") || !strstr(s, "rec-09") || !strstr(s, "rec-11") ||
      !strstr(s, "rec-21") || !strstr(s, "rec-29"))
    fail_msg("%d errors: %s", errors, s);
  assert_int_equal(streamed, 2);
  assert_int_equal(whole, 28);
  free(s);

  /* cut in the middle of the last member */
  members.n = at[29] + len[29] / 2;
  s = digest(&members, 1 << 20, &errors, &whole, &streamed);
  assert_non_null(strstr(s, "rec-28"));
  assert_null(strstr(s, "rec-29"));
  size_t n = strlen(s);
  assert_true(n >= 4 && strcmp(s + n - 4, "ERR;") == 0);
  free(s);
  free(members.p);
}

/* The error item of a damaged member has the offset its message names (extract and submit
 * name a record without id FILE@OFFSET by it): two damaged members, two offsets. */
static void test_damaged_member_offsets(void **state)
{
  (void)state;
  wbuf file = {0};
  for (int i = 0; i < 5; i++) {
    wbuf rec = {0};
    char id[64];
    snprintf(id, sizeof id, "rec-%d", i);
    wb_response(&rec, id, "https://example.org/p", 200, "Content-Type: text/html\r\n", PAGE,
                sizeof PAGE - 1);
    wb_gzip(&file, rec.p, rec.n);
    if (i == 1 || i == 3)
      wb_str(&file, "bytes between members that are not a gzip member at all");
    free(rec.p);
  }
  char *path = write_tmp(&file);
  int fd = open(path, O_RDONLY);
  assert_true(fd >= 0);
  riptide_warc *w;
  assert_int_equal(riptide_warc_open(fd, 0, false, &w), RIPTIDE_OK);
  riptide_warc_item it;
  uint64_t offsets[2] = {0};
  int errors = 0, pages = 0;
  while (riptide_warc_next(w, &it) == 1) {
    if (it.kind == RIPTIDE_WARC_PAGE) {
      pages++;
      continue;
    }
    assert_int_equal(it.kind, RIPTIDE_WARC_ERROR);
    assert_true(errors < 2);
    char want[128];
    snprintf(want, sizeof want, "damaged gzip member at offset %llu: its records are lost",
             (unsigned long long)it.offset);
    if (strcmp(it.error, want) != 0)
      fail_msg("item offset %llu, message '%s'", (unsigned long long)it.offset, it.error);
    offsets[errors++] = it.offset;
  }
  assert_int_equal(pages, 5);
  assert_int_equal(errors, 2);
  assert_true(offsets[0] > 0 && offsets[1] > offsets[0]);
  riptide_warc_close(w);
  close(fd);
  unlink(path);
  free(path);
  free(file.p);
}

static void test_sniff(void **state)
{
  (void)state;
  assert_true(rt_warc_sniff((const unsigned char *)"WARC/1.0\r\n", 10));
  assert_true(rt_warc_sniff((const unsigned char *)"\x1f\x8b\x08", 3));
  assert_false(rt_warc_sniff((const unsigned char *)"<!doctype html>", 15));
  assert_false(rt_warc_sniff((const unsigned char *)"WARC/", 5));
}

/* Real files from other tools: plain and gzip agree; each file's records are all accounted
 * for; HTML payloads come out whole. */
static void test_shared_files(void **state)
{
  (void)state;
  const char *shared = getenv("RIPTIDE_SHARED");
  char dir[512];
  snprintf(dir, sizeof dir, "%s/testdata/warc", shared ? shared : "../shared");
  char path[700];
  snprintf(path, sizeof path, "%s/example.warc", dir);
  if (access(path, R_OK) != 0) {
    printf("warc: skipped real files (%s not found)\n", dir);
    skip();
  }
  int e1, e2;
  char *a = summarise(path, 1 << 20, &e1);
  snprintf(path, sizeof path, "%s/example.warc.gz", dir);
  char *b = summarise(path, 1 << 20, &e2);
  assert_int_equal(e1, 0);
  assert_int_equal(e2, 0);
  assert_string_equal(a, b);
  assert_non_null(strstr(a, "response:a9c51e3e-0221-11e7-bf66-0242ac120005:200:1270;"));
  free(a);
  free(b);
  static const struct {
    const char *file;
    int records, errors;
    const char *must;
  } cases[] = {
      {"example-iana.org-chunked.warc", 3, 0,
       "response:a96ae1a5-931d-4c45-96f3-98576d155f8b:200:7223;"},
      {"example-bad-non-chunked.warc.gz", 6, 0, ":200:1270;"},
      {"example-wrong-chunks.warc.gz", 2, 0, ":200:1270;"},
      {"example-resource.warc.gz", 3, 0, "resource:6e7f60da-2c7b-11e7-aaf7-0242ac120007;"},
      {"example-wget-bad-target-uri.warc.gz", 6, 0,
       "response:FD8A6D04-AF8A-4A36-A889-8094487CDF2D:200:1270;"},
      {"example-trunc.warc", 4, 1, "request:a9c5c23a"},
      {"post-test.warc.gz", 6, 0, "response:f6271bbf-d071-434a-8075-aa3a294d8004:200:545;"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, cases[i].file);
    int errors;
    char *s = summarise(path, 1 << 20, &errors);
    int records = 0;
    for (char *p = s; *p; p++)
      records += *p == ';';
    if (records - errors != cases[i].records || errors != cases[i].errors ||
        !strstr(s, cases[i].must))
      fail_msg("%s: %d records, %d errors: %s", cases[i].file, records - errors, errors, s);
    free(s);
  }
}

/* The public page reader: every record is one item; pages, skips by reason and errors. */
static void test_public_items(void **state)
{
  (void)state;
  wbuf r[5] = {{0}};
  wbuf *rp[5] = {&r[0], &r[1], &r[2], &r[3], &r[4]};
  build_records(rp);
  wbuf f = {0};
  for (int i = 0; i < 5; i++)
    wb_gzip(&f, r[i].p, r[i].n);
  /* an image response, an untyped HTML response, a revisit, a corrupt record */
  wbuf extra = {0};
  wb_response(&extra, "img", "https://example.org/i.png", 200, "Content-Type: image/png\r\n",
              "\x89PNG....", 8);
  wb_response(&extra, "untyped", "https://example.org/u", 200, "", "  <p>untyped</p>", 16);
  wb_record(&extra, "revisit", "rev", "https://example.org/a", "application/http", "", 0);
  wb_str(&extra, "WARC/1.0\r\nContent-Length: nope\r\n\r\n");
  wb_gzip(&f, extra.p, extra.n);
  assert_true(riptide_warc_sniff(f.p, f.n));
  assert_false(riptide_warc_sniff(PAGE, sizeof PAGE - 1));
  char *path = write_tmp(&f);
  int fd = open(path, O_RDONLY);
  riptide_warc *w;
  assert_int_equal(riptide_warc_open(fd, 0, false, &w), RIPTIDE_OK);
  riptide_warc_item it;
  wbuf log = {0};
  int rc;
  while ((rc = riptide_warc_next(w, &it)) == 1) {
    char line[256];
    if (it.kind == RIPTIDE_WARC_PAGE)
      snprintf(line, sizeof line, "page %s %s %zu|", it.id, it.url, it.body_len);
    else if (it.kind == RIPTIDE_WARC_SKIPPED)
      snprintf(line, sizeof line, "skip %s %s|", it.id, it.skip_reason);
    else
      snprintf(line, sizeof line, "error %s|", riptide_err_name(it.err));
    wb_str(&log, line);
  }
  assert_int_equal(rc, 0);
  wb_put(&log, "", 1);
  assert_string_equal((char *)log.p,
                      "skip 00000000-0000-0000-0000-000000000000 warcinfo|"
                      "page 11111111-1111-1111-1111-111111111111 https://example.org/a 134|"
                      "skip 22222222-2222-2222-2222-222222222222 request|"
                      "skip 33333333-3333-3333-3333-333333333333 status|"
                      "page 44444444-4444-4444-4444-444444444444 file:///x.html 134|"
                      "skip img not_html|page untyped https://example.org/u 16|skip rev revisit|"
                      "error BAD_INPUT|");
  riptide_warc_close(w);
  /* any_status keeps the 404; a small page cap turns pages into INPUT_TOO_LARGE errors */
  lseek(fd, 0, SEEK_SET);
  assert_int_equal(riptide_warc_open(fd, 100, true, &w), RIPTIDE_OK);
  int pages = 0, too_large = 0;
  while (riptide_warc_next(w, &it) == 1) {
    pages += it.kind == RIPTIDE_WARC_PAGE;
    too_large += it.kind == RIPTIDE_WARC_ERROR && it.err == RIPTIDE_ERR_INPUT_TOO_LARGE;
  }
  assert_int_equal(pages, 2); /* the 404 (11 bytes) and the untyped page (16 bytes) */
  assert_int_equal(too_large, 2);
  riptide_warc_close(w);
  close(fd);
  unlink(path);
  free(path);
  for (int i = 0; i < 5; i++)
    free(r[i].p);
  free(f.p);
  free(extra.p);
  free(log.p);
}

/* The pages of fd, each taken (riptide_warc_take_body) and all kept to the end, so a buffer
 * handed over must not be reused by the reader; "id:len:crc;" per page. */
static char *take_all(int fd, int *pages)
{
  riptide_warc *w;
  assert_int_equal(riptide_warc_open(fd, 0, false, &w), RIPTIDE_OK);
  riptide_warc_item it;
  void *mems[64];
  char *bodies[64];
  size_t lens[64];
  char ids[64][80];
  int n = 0;
  while (riptide_warc_next(w, &it) == 1) {
    void *mem = (void *)1;
    if (it.kind != RIPTIDE_WARC_PAGE) {
      assert_null(riptide_warc_take_body(w, &mem)); /* only a page can be taken */
      assert_null(mem);
      continue;
    }
    assert_true(n < 64);
    bodies[n] = riptide_warc_take_body(w, &mems[n]);
    assert_non_null(bodies[n]);
    assert_non_null(mems[n]);
    assert_true(bodies[n] >= (char *)mems[n]);
    assert_int_equal(bodies[n][it.body_len], '\0');
    assert_null(riptide_warc_take_body(w, &mem)); /* once */
    lens[n] = it.body_len;
    snprintf(ids[n], sizeof ids[n], "%s", it.id);
    memset(bodies[n], 'x', it.body_len > 8 ? 8 : it.body_len); /* it is the caller's now */
    n++;
  }
  riptide_warc_close(w);
  wbuf out = {0};
  for (int i = 0; i < n; i++) {
    char line[160];
    snprintf(line, sizeof line, "%s:%zu:%lx;", ids[i], lens[i],
             crc32(0, (const unsigned char *)bodies[i] + 8, (uInt)(lens[i] - 8)));
    wb_str(&out, line);
    riptide_free(mems[i]);
  }
  wb_put(&out, "", 1);
  *pages = n;
  return (char *)out.p;
}

/* The same without taking: each body is copied while it is valid. */
static char *copy_all(int fd)
{
  riptide_warc *w;
  assert_int_equal(riptide_warc_open(fd, 0, false, &w), RIPTIDE_OK);
  riptide_warc_item it;
  wbuf out = {0};
  while (riptide_warc_next(w, &it) == 1) {
    if (it.kind != RIPTIDE_WARC_PAGE)
      continue;
    char line[160];
    snprintf(line, sizeof line, "%s:%zu:%lx;", it.id, it.body_len,
             crc32(0, (const unsigned char *)it.body + 8, (uInt)(it.body_len - 8)));
    wb_str(&out, line);
  }
  riptide_warc_close(w);
  wb_put(&out, "", 1);
  return (char *)out.p;
}

/* Records both take_body and deferral tests hold: a page in two chunks (chunked transfer
 * coding), the first 200,000 bytes of page with gzip content coding, and a request. */
static void rec_chunked(wbuf *r, const char *id)
{
  wbuf body = {0};
  wb_str(&body, "10\r\n<p>chunked one</p>\r\n8\r\n two</p>\r\n0\r\n\r\n");
  wb_response(r, id, "https://example.org/c", 200,
              "Content-Type: text/html\r\nTransfer-Encoding: chunked\r\n", body.p, body.n);
  free(body.p);
}

static void rec_gzip_coded(wbuf *r, const char *id, const char *page)
{
  wbuf body = {0};
  wb_gzip(&body, (const unsigned char *)page, 200000);
  wb_response(r, id, "https://example.org/g", 200,
              "Content-Type: text/html\r\nContent-Encoding: gzip\r\n", body.p, body.n);
  free(body.p);
}

static void rec_request(wbuf *r, const char *id)
{
  wb_record(r, "request", id, "https://example.org/q", "application/http", "GET / HTTP/1.1\r\n\r\n",
            18);
}

/* n bytes of `line` repeated (not NUL-terminated): a page larger than the reader's first
 * window. */
static char *big_page(size_t n, const char *line)
{
  char *page = malloc(n);
  assert_non_null(page);
  size_t l = strlen(line);
  for (size_t i = 0; i < n; i++)
    page[i] = line[i % l];
  return page;
}

/* riptide_warc_take_body gives every page as riptide_warc_next does, on every path: members
 * of one record (the buffer inflated into is handed over), a member of several records,
 * plain, a whole-file stream, records cut across two members, a pipe; chunked and gzip-coded
 * payloads (their decoded buffer),
 * pages larger than the first window, and a page over the block in the window. */
static void test_take_body(void **state)
{
  (void)state;
  size_t big = 700u << 10;
  char *page = big_page(big, "<p>a page of text that repeats, to be inflated whole.</p>\n");
  wbuf recs[12] = {{0}};
  char id[32];
  for (int i = 0; i < 12; i++) {
    snprintf(id, sizeof id, "page-%02d", i);
    if (i == 3) { /* chunked: two chunks */
      rec_chunked(&recs[i], id);
    } else if (i == 5) { /* gzip content coding */
      rec_gzip_coded(&recs[i], id, page);
    } else if (i == 7) {
      wb_record(&recs[i], "resource", id, "file:///r.html", "text/html", page + 100, 300000);
    } else if (i == 8) {
      rec_request(&recs[i], id);
    } else {
      size_t n = i == 2 ? big - 16 : i == 9 ? 150000 : 1000 + (size_t)i * 517;
      wb_response(&recs[i], id, "https://example.org/p", 200, "Content-Type: text/html\r\n",
                  page + i, n);
    }
  }
  wbuf plain = {0}, members = {0}, grouped = {0}, whole = {0}, split = {0};
  for (int i = 0; i < 12; i++) {
    wb_put(&plain, recs[i].p, recs[i].n);
    wb_gzip(&members, recs[i].p, recs[i].n);
    /* each record in two members: cut in its header line, or in its block */
    size_t cut = i % 2 ? recs[i].n / 2 : 40;
    wb_gzip(&split, recs[i].p, cut);
    wb_gzip(&split, recs[i].p + cut, recs[i].n - cut);
  }
  /* three records in one member, then one each */
  wbuf three = {0};
  for (int i = 0; i < 3; i++)
    wb_put(&three, recs[i].p, recs[i].n);
  wb_gzip(&grouped, three.p, three.n);
  for (int i = 3; i < 12; i++)
    wb_gzip(&grouped, recs[i].p, recs[i].n);
  wb_gzip(&whole, plain.p, plain.n);

  char *path = write_tmp(&plain);
  int fd = open(path, O_RDONLY);
  char *expect = copy_all(fd);
  close(fd);
  unlink(path);
  free(path);
  int pages = 0;
  for (const char *p = expect; *p; p++)
    pages += *p == ';';
  assert_int_equal(pages, 11); /* all but the request */

  const wbuf *files[] = {&plain, &members, &grouped, &whole, &split};
  for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
    path = write_tmp(files[k]);
    fd = open(path, O_RDONLY);
    char *s = copy_all(fd);
    assert_string_equal(s, expect);
    free(s);
    lseek(fd, 0, SEEK_SET);
    int n = 0;
    s = take_all(fd, &n);
    assert_int_equal(n, 11);
    assert_string_equal(s, expect);
    free(s);
    close(fd);
    unlink(path);
    free(path);
  }
  /* through a pipe, a few KB at a time */
  int p[2];
  assert_int_equal(pipe(p), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(p[0]);
    for (size_t off = 0; off < members.n;) {
      size_t k = members.n - off < 3000 ? members.n - off : 3000;
      ssize_t n = write(p[1], members.p + off, k);
      if (n <= 0)
        _exit(1);
      off += (size_t)n;
    }
    _exit(0);
  }
  close(p[1]);
  int n = 0;
  char *s = take_all(p[0], &n);
  close(p[0]);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_string_equal(s, expect);
  free(s);

  /* one gzip member per record: the block is handed over in the buffer it was inflated into */
  path = write_tmp(&members);
  fd = open(path, O_RDONLY);
  rt_warc *w = rt_warc_open(fd, 1 << 20);
  rt_warc_record r;
  char msg[256];
  int taken = 0;
  while (rt_warc_next(w, &r, msg, sizeof msg) == 1) {
    size_t off = 0, len = r.block_len;
    unsigned char *keep = malloc(len + 1);
    assert_non_null(keep);
    memcpy(keep, r.block, len + 1);
    unsigned char *mem = rt_warc_take(w, r.block, r.block_len, &off);
    assert_non_null(mem); /* not NULL: no copy needed */
    assert_memory_equal(mem + off, keep, len + 1);
    free(keep);
    assert_null(rt_warc_take(w, r.block, r.block_len, &off)); /* once */
    free(mem);
    taken++;
  }
  assert_int_equal(taken, 12);
  rt_warc_close(w);
  close(fd);
  unlink(path);
  free(path);

  for (int i = 0; i < 12; i++)
    free(recs[i].p);
  free(plain.p);
  free(members.p);
  free(grouped.p);
  free(whole.p);
  free(split.p);
  free(three.p);
  free(expect);
  free(page);
}

/* ---- deferred bodies (riptide_warc_defer_bodies) ------------------------------------------- */

typedef struct deferred_item {
  char head[300];       /* "P:id:len" (+ "@offset"), or the whole line of a skip or an error */
  riptide_warc_body *b; /* a page taken deferred, inflated later */
  char *line;           /* what the inflate gave: ":crc;" or an error line */
} deferred_item;

static void inflate_item(deferred_item *d)
{
  char *body = NULL, msg[256];
  void *mem = NULL;
  size_t len = 0;
  char line[600];
  riptide_err e = riptide_warc_body_inflate(d->b, &body, &len, &mem, msg, sizeof msg);
  if (e == RIPTIDE_OK) {
    assert_non_null(mem);
    assert_true(body >= (char *)mem);
    assert_int_equal(body[len], '\0');
    assert_int_equal(len, riptide_warc_body_size(d->b));
    snprintf(line, sizeof line, ":%lx;", crc32(0, (const unsigned char *)body, (uInt)len));
    char *body2 = NULL;
    void *mem2 = NULL;
    size_t len2 = 0;
    assert_int_equal(riptide_warc_body_inflate(d->b, &body2, &len2, &mem2, NULL, 0),
                     RIPTIDE_ERR_INVALID_ARG); /* once */
    assert_null(mem2);
  } else {
    assert_null(mem);
    snprintf(line, sizeof line, "|E:%d:%s;", (int)e, msg);
  }
  riptide_free(mem);
  riptide_warc_body_free(d->b);
  d->b = NULL;
  d->line = strdup(line);
}

static void *inflate_thread(void *arg)
{
  deferred_item *v = arg;
  for (size_t i = 0; v[i].head[0]; i++)
    if (v[i].b)
      inflate_item(&v[i]);
  return NULL;
}

/* A deferred body as another process gets it (riptide submit's workers): its member and sizes
 * copied out, the body freed, a new one made of the copy. A body the reader decoded has no
 * member and is kept. */
static riptide_warc_body *moved(riptide_warc_body *b)
{
  size_t len = 0, at = 0;
  uint64_t offset = 0;
  const void *m = riptide_warc_body_member(b, &len, &at, &offset);
  if (!m)
    return b;
  void *copy = malloc(len);
  assert_non_null(copy);
  memcpy(copy, m, len);
  size_t size = riptide_warc_body_size(b);
  riptide_warc_body_free(b);
  riptide_warc_body *nb = NULL;
  assert_int_equal(riptide_warc_body_from_member(copy, len, at, size, offset, 0, &nb), RIPTIDE_OK);
  free(copy);
  assert_null(riptide_warc_body_member(NULL, &len, &at, &offset));
  assert_int_equal(riptide_warc_body_size(nb), size);
  return nb;
}

/* Every item of a file as a line: "P:id:len:crc;" for a page, "S:id:reason;", "E:id:msg;";
 * with offsets, "@offset" after the id. mode 0: riptide_warc_take_body as the reference;
 * 1: deferred bodies all taken and kept, inflated on another thread after the reader is
 * closed (a failed inflate turns the page's line into "P:id:len|E:code:msg;"); 2: deferred
 * bodies taken and freed without inflating; 3: as 1, each body moved (moved()) first.
 * *deferred counts pages that came deferred. */
static char *items_of(const wbuf *file, int mode, bool offsets, int *deferred)
{
  char *path = write_tmp(file);
  int fd = open(path, O_RDONLY);
  assert_true(fd >= 0);
  riptide_warc *w;
  assert_int_equal(riptide_warc_open(fd, 0, false, &w), RIPTIDE_OK);
  riptide_warc_defer_bodies(w, mode != 0);
  deferred_item *v = calloc(1024, sizeof *v);
  assert_non_null(v);
  size_t n = 0;
  riptide_warc_item it;
  *deferred = 0;
  while (riptide_warc_next(w, &it) == 1) {
    assert_true(n < 1023);
    deferred_item *d = &v[n++];
    char id[160];
    if (offsets)
      snprintf(id, sizeof id, "%s@%llu", it.id, (unsigned long long)it.offset);
    else
      snprintf(id, sizeof id, "%s", it.id);
    if (it.kind == RIPTIDE_WARC_SKIPPED) {
      snprintf(d->head, sizeof d->head, "S:%s:%s;", id, it.skip_reason);
      assert_null(riptide_warc_take_deferred(w));
      continue;
    }
    if (it.kind == RIPTIDE_WARC_ERROR) {
      snprintf(d->head, sizeof d->head, "E:%s:%s;", id, it.error);
      continue;
    }
    snprintf(d->head, sizeof d->head, "P:%s:%zu", id, it.body_len);
    if (!it.body)
      (*deferred)++;
    if (mode == 0) {
      void *mem = NULL;
      char *body = riptide_warc_take_body(w, &mem);
      assert_non_null(body);
      char line[32];
      snprintf(line, sizeof line, ":%lx;",
               crc32(0, (const unsigned char *)body, (uInt)it.body_len));
      d->line = strdup(line);
      riptide_free(mem);
      continue;
    }
    d->b = riptide_warc_take_deferred(w);
    assert_non_null(d->b);
    assert_null(riptide_warc_take_deferred(w)); /* once */
    size_t ml, ma;
    uint64_t mo;
    /* a member exactly when the page came deferred */
    assert_int_equal(riptide_warc_body_member(d->b, &ml, &ma, &mo) != NULL, it.body == NULL);
    if (mode == 3)
      d->b = moved(d->b);
    if (mode == 2) {
      riptide_warc_body_free(d->b); /* never inflated */
      d->b = NULL;
      d->line = strdup(";");
    }
  }
  riptide_warc_close(w); /* the bodies do not depend on the reader */
  close(fd);
  unlink(path);
  free(path);
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, inflate_thread, v), 0);
  assert_int_equal(pthread_join(t, NULL), 0);
  wbuf out = {0};
  for (size_t i = 0; i < n; i++) {
    wb_str(&out, v[i].head);
    if (v[i].line)
      wb_str(&out, v[i].line);
    free(v[i].line);
  }
  wb_put(&out, "", 1);
  free(v);
  return (char *)out.p;
}

/* A deferred body gives what riptide_warc_take_body gives, on every record of the writer's
 * files: members of one record (deferred), chunked and gzip-coded payloads, a resource, a
 * request, a 404, a page without id, an untyped page, pages larger than the first window; the
 * same records plain, as one stream, grouped in one member, cut at the end of the file, and
 * with damaged members. */
static void test_deferred_bodies(void **state)
{
  (void)state;
  size_t big = 700u << 10;
  char *page = big_page(big, "<p>a page of text that repeats, to be inflated later.</p>\n");
  enum { N = 14 };
  wbuf recs[N] = {{0}};
  char id[32];
  for (int i = 0; i < N; i++) {
    snprintf(id, sizeof id, "page-%02d", i);
    if (i == 0) {
      wb_record(&recs[i], "warcinfo", "info", NULL, "application/warc-fields", "a: b\r\n", 6);
    } else if (i == 3) {
      rec_chunked(&recs[i], id);
    } else if (i == 5) {
      rec_gzip_coded(&recs[i], id, page);
    } else if (i == 7) {
      wb_record(&recs[i], "resource", id, "file:///r.html", "text/html", page + 100, 3000);
    } else if (i == 8) {
      rec_request(&recs[i], id);
    } else if (i == 9) {
      wb_response(&recs[i], id, "https://example.org/404", 404, "Content-Type: text/html\r\n", page,
                  500);
    } else if (i == 10) {
      wb_response(&recs[i], "", "https://example.org/noid", 200, "Content-Type: text/html\r\n",
                  page + 3, 2000);
    } else if (i == 11) {
      wb_response(&recs[i], id, "https://example.org/untyped", 200, "", page, 1500);
    } else {
      size_t n = i == 2 ? big - 16 : i == 6 ? 150000 : 1000 + (size_t)i * 517;
      wb_response(&recs[i], id, "https://example.org/p", 200, "Content-Type: text/html\r\n",
                  page + i, n);
    }
  }
  wbuf plain = {0}, members = {0}, grouped = {0}, whole = {0};
  size_t at[N + 1];
  for (int i = 0; i < N; i++) {
    at[i] = members.n;
    wb_put(&plain, recs[i].p, recs[i].n);
    wb_gzip(&members, recs[i].p, recs[i].n);
  }
  at[N] = members.n;
  wbuf three = {0};
  for (int i = 0; i < 3; i++)
    wb_put(&three, recs[i].p, recs[i].n);
  wb_gzip(&grouped, three.p, three.n);
  for (int i = 3; i < N; i++)
    wb_gzip(&grouped, recs[i].p, recs[i].n);
  wb_gzip(&whole, plain.p, plain.n);

  /* the same items, offsets too, with or without deferral; pages deferred only from members
   * of one record (the first record is read before the reader knows the file is gzip) */
  const wbuf *files[] = {&members, &plain, &grouped, &whole};
  const int min_deferred[] = {7, 0, 6, 0}, max_deferred[] = {N, 0, N, 0};
  char *ref_members = NULL;
  for (size_t k = 0; k < sizeof files / sizeof files[0]; k++) {
    int d0 = 0, d1 = 0, d2 = 0, d3 = 0;
    char *ref = items_of(files[k], 0, true, &d0);
    char *got = items_of(files[k], 1, true, &d1);
    char *freed = items_of(files[k], 2, true, &d2);
    char *moved_got = items_of(files[k], 3, true, &d3);
    assert_int_equal(d0, 0);
    assert_string_equal(got, ref);
    assert_string_equal(moved_got, ref);
    assert_int_equal(d3, d1);
    free(moved_got);
    if (d1 < min_deferred[k] || d1 > max_deferred[k])
      fail_msg("file %zu: %d pages deferred", k, d1);
    assert_int_equal(d2, d1);
    free(got);
    free(freed);
    if (k == 0)
      ref_members = ref;
    else
      free(ref);
  }
  assert_non_null(strstr(ref_members, "P:page-13@"));
  assert_non_null(strstr(ref_members, "S:page-09@"));
  free(ref_members);

  /* cut inside the last member, and inside a page's member followed by the rest */
  for (int k = 0; k < 2; k++) {
    wbuf cut = {0};
    if (k == 0) {
      wb_put(&cut, members.p, at[N] - 300);
    } else {
      wb_put(&cut, members.p, at[4] + (at[5] - at[4]) / 2);
      wb_put(&cut, members.p + at[5], at[N] - at[5]);
    }
    int d0, d1, d3;
    char *ref = items_of(&cut, 0, true, &d0);
    char *got = items_of(&cut, 1, true, &d1);
    char *moved_got = items_of(&cut, 3, true, &d3);
    assert_string_equal(got, ref);
    assert_string_equal(moved_got, ref);
    free(moved_got);
    assert_true(d1 >= 6);
    free(ref);
    free(got);
    free(cut.p);
  }

  /* a page's member with bytes missing in the middle of its data: the same error for it
   * (offsets after it differ: the reader counts what zlib inflated, deferral the ISIZE) */
  {
    wbuf dam = {0};
    size_t mid = at[6] + (at[7] - at[6]) / 2;
    wb_put(&dam, members.p, mid);
    wb_put(&dam, members.p + mid + 64, at[N] - mid - 64);
    int d0, d1, d3;
    char *ref = items_of(&dam, 0, false, &d0);
    char *got = items_of(&dam, 1, false, &d1);
    char *moved_got = items_of(&dam, 3, false, &d3); /* the same error, from the copy */
    assert_string_equal(moved_got, got);
    free(moved_got);
    assert_non_null(strstr(ref, "E:page-06:record at offset"));
    char *e = strstr(got, "P:page-06:");
    assert_non_null(e);
    assert_non_null(strstr(e, "|E:3:record at offset"));
    assert_non_null(strstr(e, "damaged gzip data in its block;"));
    assert_non_null(strstr(got, "P:page-13:"));
    free(ref);
    free(got);
    free(dam.p);
  }
  /* a CRC mismatch: without deferral the page, then an error for the member; deferred, the
   * page's error */
  {
    wbuf dam = {0};
    wb_put(&dam, members.p, members.n);
    /* pages over the 4 KiB the reader inflates for the headers (a smaller member is
     * inflated whole there, its CRC checked, and read as without deferral) */
    dam.p[at[7] - 6] ^= 0x01;  /* the CRC of member 6 */
    dam.p[at[13] - 6] ^= 0x01; /* the CRC of member 12 */
    int d0, d1, d3;
    char *ref = items_of(&dam, 0, false, &d0);
    char *got = items_of(&dam, 1, false, &d1);
    char *moved_got = items_of(&dam, 3, false, &d3); /* the same error, from the copy */
    assert_string_equal(moved_got, got);
    free(moved_got);
    assert_non_null(strstr(ref, "P:page-06:"));
    assert_non_null(strstr(ref, "damaged gzip member"));
    assert_non_null(strstr(got, "P:page-13:"));
    char *e = strstr(got, "P:page-06:");
    assert_non_null(e);
    e = strstr(got, "P:page-12:");
    assert_non_null(e);
    if (!strstr(got, "P:page-06:150000|E:3:record at offset") || !strstr(e, "|E:3:") ||
        strstr(got, "damaged gzip member"))
      fail_msg("CRC mismatch: %s", got);
    free(ref);
    free(got);
    free(dam.p);
  }

  for (int i = 0; i < N; i++)
    free(recs[i].p);
  free(plain.p);
  free(members.p);
  free(grouped.p);
  free(whole.p);
  free(three.p);
  free(page);
}

/* A member from elsewhere (riptide_warc_body_from_member) is trusted no further than the reader
 * trusts a file: sizes that cannot be a deferred page's, a cut or altered member, are the
 * page's BAD_INPUT error with the reader's message, and nothing larger than the payload is
 * allocated for them; a payload over the limit is refused before anything is copied. */
static void test_member_from_elsewhere(void **state)
{
  (void)state;
  char *page = big_page(20000, "<p>a page sent to another process as its gzip member.</p>\n");
  wbuf rec = {0}, file = {0};
  wb_record(&file, "warcinfo", "info", NULL, "application/warc-fields", "a: b\r\n", 6);
  wb_response(&rec, "sent", "https://example.org/sent", 200, "Content-Type: text/html\r\n", page,
              20000);
  wbuf gz = {0};
  wb_gzip(&gz, file.p, file.n);
  wb_gzip(&gz, rec.p, rec.n);
  char *path = write_tmp(&gz);
  int fd = open(path, O_RDONLY);
  assert_true(fd >= 0);
  riptide_warc *w;
  assert_int_equal(riptide_warc_open(fd, 0, false, &w), RIPTIDE_OK);
  riptide_warc_defer_bodies(w, true);
  riptide_warc_item it;
  assert_int_equal(riptide_warc_next(w, &it), 1);
  assert_int_equal(it.kind, RIPTIDE_WARC_SKIPPED);
  assert_int_equal(riptide_warc_next(w, &it), 1);
  assert_int_equal(it.kind, RIPTIDE_WARC_PAGE);
  assert_null(it.body); /* deferred */
  riptide_warc_body *b = riptide_warc_take_deferred(w);
  assert_non_null(b);
  size_t len = 0, at = 0;
  uint64_t offset = 0;
  const unsigned char *m = riptide_warc_body_member(b, &len, &at, &offset);
  assert_non_null(m);
  assert_memory_equal(m, gz.p + gz.n - len, len); /* the second member, as the file holds it */
  assert_true(len < gz.n);
  assert_int_equal(offset, file.n);
  assert_int_equal(riptide_warc_body_size(b), 20000);
  unsigned char *copy = malloc(len);
  assert_non_null(copy);
  memcpy(copy, m, len);

  riptide_warc_body *nb = NULL;
  char *body = NULL, msg[256];
  void *mem = NULL;
  size_t blen = 0;
  assert_int_equal(riptide_warc_body_from_member(copy, len, at, 20000, offset, 0, NULL),
                   RIPTIDE_ERR_INVALID_ARG);
  assert_int_equal(riptide_warc_body_from_member(NULL, len, at, 20000, offset, 0, &nb),
                   RIPTIDE_ERR_INVALID_ARG);
  assert_null(nb);
  assert_int_equal(riptide_warc_body_from_member(copy, len, at, 20000, offset, 19999, &nb),
                   RIPTIDE_ERR_INPUT_TOO_LARGE);
  assert_null(nb);

  /* sizes and bytes that do not hold together: the reader's error for the page */
  char want[128];
  snprintf(want, sizeof want, "record at offset %llu: damaged gzip data in its block",
           (unsigned long long)offset);
  unsigned char *flipped = malloc(len);
  assert_non_null(flipped);
  memcpy(flipped, copy, len);
  flipped[len / 2] ^= 0x55;
  /* the member twice: its last bytes are its trailer, but it is not one member */
  unsigned char *twice = malloc(2 * len);
  assert_non_null(twice);
  memcpy(twice, copy, len);
  memcpy(twice + len, copy, len);
  /* a whole member of 1.5 MiB that does not compress: longer than any member the reader
   * hands over (its 1 MiB read buffer), so not one a submitter sends, and not copied */
  size_t noise_n = 3u << 19;
  unsigned char *noise = malloc(noise_n);
  assert_non_null(noise);
  uint32_t x = 2463534242u;
  for (size_t i = 0; i < noise_n; i++) {
    x ^= x << 13, x ^= x >> 17, x ^= x << 5;
    noise[i] = (unsigned char)x;
  }
  wbuf nrec = {0}, ngz = {0};
  wb_response(&nrec, "noise", "https://example.org/noise", 200, "Content-Type: text/html\r\n",
              noise, noise_n);
  wb_gzip(&ngz, nrec.p, nrec.n);
  assert_true(ngz.n > (1u << 20));
  size_t noise_at = nrec.n - 4 - noise_n; /* the record ends with two CRLFs */
  assert_memory_equal(nrec.p + noise_at, noise, noise_n);
  struct {
    const unsigned char *m;
    size_t len, at, size;
  } bad[] = {
      {copy, len, at + 5, 20000},          /* the payload is not where it is said to be */
      {copy, len, at, 19990},              /* nor its length */
      {copy, len, at, 20005},              /* past the member's end */
      {copy, len, (size_t)1 << 40, 20000}, /* no header is that long: nothing allocated */
      {copy, len - 1, at, 20000},          /* cut */
      {copy, 10, at, 20000},               /* too short to be a member */
      {NULL, 0, at, 20000},                /* empty */
      {flipped, len, at, 20000},           /* altered data */
      {twice, 2 * len, at, 20000},         /* bytes after the member */
      {ngz.p, ngz.n, noise_at, noise_n},   /* whole, but longer than the reader's members */
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    nb = NULL;
    assert_int_equal(
        riptide_warc_body_from_member(bad[i].m, bad[i].len, bad[i].at, bad[i].size, offset, 0, &nb),
        RIPTIDE_OK);
    if (riptide_warc_body_inflate(nb, &body, &blen, &mem, msg, sizeof msg) != RIPTIDE_ERR_BAD_INPUT)
      fail_msg("case %zu inflated", i);
    assert_null(mem);
    assert_null(body);
    if (strcmp(msg, want) != 0)
      fail_msg("case %zu: '%s'", i, msg);
    riptide_warc_body_free(nb);
  }

  /* the copy, once the reader and its body are gone: the page */
  riptide_warc_body_free(b);
  riptide_warc_close(w);
  close(fd);
  assert_int_equal(riptide_warc_body_from_member(copy, len, at, 20000, offset, 20000, &nb),
                   RIPTIDE_OK);
  free(copy);
  assert_non_null(riptide_warc_body_member(nb, &len, &at, &offset));
  assert_int_equal(riptide_warc_body_inflate(nb, &body, &blen, &mem, msg, sizeof msg), RIPTIDE_OK);
  assert_null(riptide_warc_body_member(nb, &len, &at, &offset)); /* inflated: no member */
  assert_int_equal(blen, 20000);
  assert_memory_equal(body, page, 20000);
  assert_int_equal(body[blen], '\0');
  riptide_free(mem);
  riptide_warc_body_free(nb);
  unlink(path);
  free(path);
  free(flipped);
  free(twice);
  free(noise);
  free(nrec.p);
  free(ngz.p);
  free(page);
  free(rec.p);
  free(file.p);
  free(gz.p);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sniff),
      cmocka_unit_test(test_plain_gzip_members_and_whole_file_agree),
      cmocka_unit_test(test_fields_and_http_layer),
      cmocka_unit_test(test_corrupt_records_resync),
      cmocka_unit_test(test_block_cap),
      cmocka_unit_test(test_ten_thousand_records_constant_memory),
      cmocka_unit_test(test_gzip_paths_agree),
      cmocka_unit_test(test_gzip_damage_between_whole_members),
      cmocka_unit_test(test_shared_files),
      cmocka_unit_test(test_public_items),
      cmocka_unit_test(test_take_body),
      cmocka_unit_test(test_deferred_bodies),
      cmocka_unit_test(test_member_from_elsewhere),
      cmocka_unit_test(test_damaged_member_offsets),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
