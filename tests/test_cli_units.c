/*
 * test_cli_units.c - pieces of the `riptide` command tested without running it (linked with
 * the command's objects but main.o, see mk/cli.mk): the file reader that reuses one buffer
 * (sizes, limits, empty files, growth, files that are not regular), and the error and document
 * formatters (error objects byte for byte as jansson writes them, compact and pretty; formats
 * appended to a reused buffer), FIFOs refused without blocking, directory walks that report
 * every input (vanished files, FIFOs, too-deep directories), terminal escaping, option values
 * and their ranges, and which URL responses are HTML. scripts/test-cli.sh runs the command end
 * to end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/cli.h"
#include "common/limits.h"
#include "pool/models.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[] = "/tmp/riptide-test-cli-units.XXXXXX";

static int setup(void **state)
{
  (void)state;
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
  (void)state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static const char *write_file(const char *name, const char *data, size_t n)
{
  static char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, n, f), n);
  fclose(f);
  return path;
}

static void test_read_file_reuses_one_buffer(void **state)
{
  (void)state;
  char *buf = NULL;
  size_t cap = 0, len = 0;
  char detail[256];
  /* A big file, then a small one into the same buffer: the small one is read whole and
   * NUL-terminated, the buffer not shrunk. */
  size_t big = 300000;
  char *data = malloc(big);
  for (size_t i = 0; i < big; i++)
    data[i] = (char)('a' + i % 26);
  const char *p = write_file("big.html", data, big);
  assert_int_equal(cli_read_file(p, 1 << 20, &buf, &cap, &len, detail, sizeof detail), RIPTIDE_OK);
  assert_int_equal(len, big);
  assert_memory_equal(buf, data, big);
  assert_int_equal(buf[len], '\0');
  size_t cap_after_big = cap;
  assert_true(cap >= big + 1);
  p = write_file("small.html", "<p>x</p>", 8);
  assert_int_equal(cli_read_file(p, 1 << 20, &buf, &cap, &len, detail, sizeof detail), RIPTIDE_OK);
  assert_int_equal(len, 8);
  assert_string_equal(buf, "<p>x</p>");
  assert_int_equal(cap, cap_after_big);
  /* An empty file is read as empty (the caller reports it). */
  p = write_file("empty.html", "", 0);
  assert_int_equal(cli_read_file(p, 1 << 20, &buf, &cap, &len, detail, sizeof detail), RIPTIDE_OK);
  assert_int_equal(len, 0);
  assert_int_equal(buf[0], '\0');
  free(data);
  free(buf);
}

static void test_read_file_limits_and_errors(void **state)
{
  (void)state;
  char *buf = NULL;
  size_t cap = 0, len = 0;
  char detail[256] = "";
  const char *p = write_file("ten.html", "0123456789", 10);
  assert_int_equal(cli_read_file(p, 10, &buf, &cap, &len, detail, sizeof detail), RIPTIDE_OK);
  assert_int_equal(len, 10);
  assert_true(cap <= 12); /* never more than max + 2 */
  assert_int_equal(cli_read_file(p, 9, &buf, &cap, &len, detail, sizeof detail),
                   RIPTIDE_ERR_INPUT_TOO_LARGE);
  assert_non_null(strstr(detail, "over the limit"));
  assert_int_equal(cli_read_file(dir, 100, &buf, &cap, &len, detail, sizeof detail),
                   RIPTIDE_ERR_IO);
  assert_non_null(strstr(detail, "not a regular file"));
  char missing[300];
  snprintf(missing, sizeof missing, "%s/missing.html", dir);
  assert_int_equal(cli_read_file(missing, 100, &buf, &cap, &len, detail, sizeof detail),
                   RIPTIDE_ERR_IO);
  /* A file that reports no size (procfs) is read to its end, within the limit. */
  if (access("/proc/self/status", R_OK) == 0) {
    assert_int_equal(
        cli_read_file("/proc/self/status", 1 << 20, &buf, &cap, &len, detail, sizeof detail),
        RIPTIDE_OK);
    assert_true(len > 0);
    assert_non_null(strstr(buf, "Name:"));
    assert_int_equal(
        cli_read_file("/proc/self/status", 16, &buf, &cap, &len, detail, sizeof detail),
        RIPTIDE_ERR_INPUT_TOO_LARGE);
  }
  /* The wrapper hands over its buffer, or none. */
  char *out = (char *)0x1;
  assert_int_equal(cli_read_source(p, 100, &out, &len, detail, sizeof detail), RIPTIDE_OK);
  assert_string_equal(out, "0123456789");
  free(out);
  assert_int_equal(cli_read_source(p, 5, &out, &len, detail, sizeof detail),
                   RIPTIDE_ERR_INPUT_TOO_LARGE);
  assert_null(out);
  free(buf);
}

/* The error object as the former jansson code wrote it. */
static char *oracle_error(bool pretty, const char *id, riptide_err err, const char *msg)
{
  json_t *o = json_object();
  json_t *e = json_object();
  json_object_set_new(o, "id", json_string(id));
  json_object_set_new(e, "code", json_string(riptide_err_name(err)));
  json_object_set_new(e, "message", json_string(msg));
  json_object_set_new(o, "error", e);
  char *j = json_dumps(o, pretty ? JSON_INDENT(2) : JSON_COMPACT);
  json_decref(o);
  return j;
}

static void test_error_objects_match_jansson(void **state)
{
  (void)state;
  static const char *const ids[] = {"page", "we ird \"id\" \\ /", "caf\xc3\xa9", "tab\there"};
  static const char *const msgs[] = {"batch/huge.html: 3000000 bytes, over the limit of 2097152",
                                     "line\nbreak and \x01 control", "plain",
                                     "\b\f\r\x1f\x7f del, \xe2\x82\xac and \xf0\x9f\x98\x80"};
  for (int f = 0; f < 2; f++) {
    cli_config c;
    memset(&c, 0, sizeof c);
    c.format = f ? CLI_FMT_JSON : CLI_FMT_JSONL;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
      for (size_t m = 0; m < sizeof msgs / sizeof msgs[0]; m++) {
        cli_buf b = {0};
        cli_buf_puts(&b, "previous line\n");
        size_t start = b.len;
        assert_true(cli_format_error(&c, ids[i], RIPTIDE_ERR_INPUT_TOO_LARGE, msgs[m], &b));
        char *want = oracle_error(f, ids[i], RIPTIDE_ERR_INPUT_TOO_LARGE, msgs[m]);
        assert_int_equal(b.len - start, strlen(want) + 1);
        assert_memory_equal(b.p + start, want, strlen(want));
        assert_int_equal(b.p[b.len - 1], '\n');
        free(want);
        cli_buf_free(&b);
      }
    }
  }
  /* No detail: the code's message. */
  cli_config c;
  memset(&c, 0, sizeof c);
  c.format = CLI_FMT_JSONL;
  cli_buf b = {0};
  assert_true(cli_format_error(&c, "x", RIPTIDE_ERR_IO, "", &b));
  char *want = oracle_error(false, "x", RIPTIDE_ERR_IO, riptide_strerror(RIPTIDE_ERR_IO));
  assert_int_equal(strncmp(b.p, want, strlen(want)), 0);
  free(want);
  cli_buf_free(&b);
}

static void test_documents_append_to_a_reused_buffer(void **state)
{
  (void)state;
  riptide_document *d = riptide_document_new();
  d->title = strdup("A \"title\"");
  d->markdown = strdup("Body text.");
  d->text = strdup("Body text.");
  d->byline = strdup("Ann \xff Author");
  d->engine = "wasm";
  cli_config c;
  memset(&c, 0, sizeof c);
  cli_buf b = {0};
  /* jsonl: riptide_document_to_json plus a newline. */
  c.format = CLI_FMT_JSONL;
  assert_true(cli_format_document(&c, d, "id-1", &b));
  char *j = riptide_document_to_json(d, "id-1", false);
  assert_int_equal(b.len, strlen(j) + 1);
  assert_memory_equal(b.p, j, strlen(j));
  free(j);
  /* markdown with metadata, into the same buffer after clearing it as the batch does */
  b.len = 0;
  c.format = CLI_FMT_MARKDOWN;
  c.with_metadata = true;
  assert_true(cli_format_document(&c, d, "id-1", &b));
  assert_string_equal(b.p, "---\ntitle: \"A \\\"title\\\"\"\nauthor: \"Ann \xEF\xBF\xBD Author\"\n"
                           "word_count: 0\nengine: wasm\n---\n\n# A \"title\"\n\nBody text.\n");
  b.len = 0;
  c.format = CLI_FMT_TXT;
  c.with_metadata = false;
  assert_true(cli_format_document(&c, d, "id-1", &b));
  assert_string_equal(b.p, "Body text.\n");
  cli_buf_free(&b);
  riptide_document_free(d);
}

/* The command's JSON strings: bytes that are not well-formed UTF-8 become U+FFFD (jansson
 * refuses such strings, so they are checked apart). */
static void test_json_string_repairs_utf8(void **state)
{
  (void)state;
  cli_buf b = {0};
  cli_json_string(&b, "a\xff b\xc0\xaf c\xed\xa0\x80 d\xc3");
  assert_string_equal(b.p, "\"a\xEF\xBF\xBD b\xEF\xBF\xBD\xEF\xBF\xBD c\xEF\xBF\xBD\xEF\xBF\xBD"
                           "\xEF\xBF\xBD d\xEF\xBF\xBD\"");
  b.len = 0;
  cli_json_string(&b, NULL);
  assert_string_equal(b.p, "null");
  cli_buf_free(&b);
}

/* A FIFO (or a symbolic link to one) is refused at once as not a regular file: opening it for
 * reading blocked until a writer came, forever in a batch. The test runs in a child with an
 * alarm, so that the old blocking behaviour fails the test instead of hanging it. */
static void test_fifo_is_refused_without_blocking(void **state)
{
  (void)state;
  char fifo[300], link[300];
  snprintf(fifo, sizeof fifo, "%s/pipe.html", dir);
  snprintf(link, sizeof link, "%s/link-to-pipe.html", dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(symlink(fifo, link), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    alarm(5);
    char *buf = NULL;
    size_t cap = 0, len = 0;
    char detail[256] = "";
    int bad = 0;
    bad += cli_read_file(fifo, 100, &buf, &cap, &len, detail, sizeof detail) != RIPTIDE_ERR_IO;
    bad += strstr(detail, "not a regular file") == NULL;
    bad += cli_read_file(link, 100, &buf, &cap, &len, detail, sizeof detail) != RIPTIDE_ERR_IO;
    free(buf);
    _exit(bad);
  }
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st)); /* not killed by the alarm: no blocking open */
  assert_int_equal(WEXITSTATUS(st), 0);
}

typedef struct walk_log {
  char paths[16][300];
  char errors[16][300];
  int n;
  const char *delete_after_first; /* removed during the walk, after its listing */
} walk_log;

static bool log_one(const char *path, const char *error, void *ctx)
{
  walk_log *w = ctx;
  assert_true(w->n < 16);
  snprintf(w->paths[w->n], sizeof w->paths[0], "%s", path);
  snprintf(w->errors[w->n], sizeof w->errors[0], "%s", error ? error : "");
  w->n++;
  if (w->delete_after_first) {
    assert_int_equal(unlink(w->delete_after_first), 0);
    w->delete_after_first = NULL;
  }
  return true;
}

/* Nothing is skipped silently: a file deleted between the listing and its turn, a FIFO under
 * a wanted name and a directory past the depth limit each reach the callback (the last two
 * with a reason); names without a wanted extension do not. */
static void test_walk_reports_every_input(void **state)
{
  (void)state;
  char w[300], p[400];
  snprintf(w, sizeof w, "%s/walk", dir);
  assert_int_equal(mkdir(w, 0755), 0);
  snprintf(p, sizeof p, "%s/a.html", w);
  write_file("walk/a.html", "<p>a</p>", 8);
  write_file("walk/b.html", "<p>b</p>", 8);
  write_file("walk/notes.txt", "no", 2);
  snprintf(p, sizeof p, "%s/c-fifo.html", w);
  assert_int_equal(mkfifo(p, 0600), 0);
  char gone[400];
  snprintf(gone, sizeof gone, "%s/b.html", w);
  walk_log log = {.delete_after_first = gone};
  assert_true(cli_walk_dir(w, log_one, &log));
  assert_int_equal(log.n, 3);
  assert_non_null(strstr(log.paths[0], "/a.html"));
  assert_non_null(strstr(log.paths[1], "/b.html"));
  assert_non_null(strstr(log.errors[1], "No such file"));
  assert_non_null(strstr(log.paths[2], "/c-fifo.html"));

  /* 70 nested directories with a page at the bottom: the walk stops at its limit and says so. */
  char deep[4096];
  size_t k = (size_t)snprintf(deep, sizeof deep, "%s/deep", dir);
  assert_int_equal(mkdir(deep, 0755), 0);
  for (int i = 0; i < 70; i++) {
    k += (size_t)snprintf(deep + k, sizeof deep - k, "/d");
    assert_int_equal(mkdir(deep, 0755), 0);
  }
  snprintf(deep + k, sizeof deep - k, "/page.html");
  FILE *f = fopen(deep, "w");
  assert_non_null(f);
  fputs("<p>deep</p>", f);
  fclose(f);
  walk_log dl = {0};
  snprintf(p, sizeof p, "%s/deep", dir);
  assert_true(cli_walk_dir(p, log_one, &dl));
  assert_int_equal(dl.n, 1);
  assert_non_null(strstr(dl.errors[0], "nested deeper than"));

  /* A directory that cannot be listed at all is one failed input, not a silent nothing. */
  walk_log nl = {0};
  snprintf(p, sizeof p, "%s/no-such-dir", dir);
  assert_true(cli_walk_dir(p, log_one, &nl));
  assert_int_equal(nl.n, 1);
  assert_non_null(strstr(nl.errors[0], "cannot read directory"));
}

/* File names reach stderr escaped: no terminal control sequence survives. */
static void test_escape_terminal(void **state)
{
  (void)state;
  char *e = cli_escape_terminal("a\x1b[2Jb\x07\x7f\xc2\x9b"
                                "1m caf\xc3\xa9");
  assert_string_equal(e, "a\\x1b[2Jb\\x07\\x7f\\u009b1m caf\xc3\xa9");
  free(e);
  assert_false(cli_url_clean("http://a b/"));
  assert_false(cli_url_clean("http://a/\tb"));
  assert_true(cli_url_clean("http://a/%20b"));
}

/* Option values: a plain decimal and a unit, in range (RIPTIDE_MAX_TIMEOUT_MS and
 * RIPTIDE_MAX_MEMORY_CAP, the values the pool checks); nan, inf, hex, exponents and signs are
 * not numbers here (strtod took them: "nan" passed every range check). */
static void test_option_values(void **state)
{
  (void)state;
  _Static_assert(RIPTIDE_MAX_TIMEOUT_MS == RT_MAX_TIMEOUT_MS, "riptide.h and limits.h agree");
  _Static_assert(RIPTIDE_MAX_MEMORY_CAP == RT_MAX_MEMORY_CAP, "riptide.h and limits.h agree");
  _Static_assert(RIPTIDE_MIN_MEMORY_CAP == RT_POOL_PAGE, "riptide.h and the pool agree");
  uint32_t ms = 0;
  assert_int_equal(cli_parse_duration_ms("10", &ms), CLI_PARSE_OK);
  assert_int_equal(ms, 10000);
  assert_int_equal(cli_parse_duration_ms("500ms", &ms), CLI_PARSE_OK);
  assert_int_equal(ms, 500);
  assert_int_equal(cli_parse_duration_ms("1.5s", &ms), CLI_PARSE_OK);
  assert_int_equal(ms, 1500);
  assert_int_equal(cli_parse_duration_ms("600s", &ms), CLI_PARSE_OK);
  assert_int_equal(cli_parse_duration_ms("601s", &ms), CLI_PARSE_RANGE);
  assert_int_equal(cli_parse_duration_ms("0", &ms), CLI_PARSE_RANGE);
  assert_int_equal(cli_parse_duration_ms("0.5ms", &ms), CLI_PARSE_RANGE);
  const char *bad[] = {"nan", "NaN", "inf", "0x10", "1e3", "-5", "+5",
                       " 5",  "5 s", "",    "1.",   ".5",  "10h"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(cli_parse_duration_ms(bad[i], &ms), CLI_PARSE_BAD);
  uint64_t v = 0;
  assert_int_equal(cli_parse_size("256M", CLI_MIN_MEMORY_LIMIT, RIPTIDE_MAX_MEMORY_CAP, &v),
                   CLI_PARSE_OK);
  assert_int_equal(v, 256ull << 20);
  assert_int_equal(cli_parse_size("4GiB", CLI_MIN_MEMORY_LIMIT, RIPTIDE_MAX_MEMORY_CAP, &v),
                   CLI_PARSE_OK);
  assert_int_equal(cli_parse_size("5G", CLI_MIN_MEMORY_LIMIT, RIPTIDE_MAX_MEMORY_CAP, &v),
                   CLI_PARSE_RANGE);
  assert_int_equal(cli_parse_size("1M", CLI_MIN_MEMORY_LIMIT, RIPTIDE_MAX_MEMORY_CAP, &v),
                   CLI_PARSE_RANGE);
  const char *bad_sizes[] = {"nan", "inf", "0x100000", "1e9", "-1M", "M", "1X", "1 M", "1iB"};
  for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++)
    assert_int_equal(cli_parse_size(bad_sizes[i], 1, CLI_MAX_INPUT_LIMIT, &v), CLI_PARSE_BAD);
}

/* Fetched bodies: HTML types pass, media types are refused, others go by their bytes. */
static void test_html_response(void **state)
{
  (void)state;
  char d[200];
  const char page[] = "<!DOCTYPE html><html><p>x</p></html>";
  const char png[] = "\x89PNG\r\n\x1a\n<html>";
  assert_true(cli_html_response("text/html; charset=utf-8", "anything", 8, d, sizeof d));
  assert_true(cli_html_response("Application/XHTML+XML", "<?xml", 5, d, sizeof d));
  assert_false(cli_html_response("image/png", png, sizeof png - 1, d, sizeof d));
  assert_non_null(strstr(d, "image/png"));
  assert_false(cli_html_response("application/pdf", page, sizeof page - 1, d, sizeof d));
  assert_true(cli_html_response(NULL, page, sizeof page - 1, d, sizeof d));
  assert_true(cli_html_response("text/plain", "\n  <p>hello</p>", 15, d, sizeof d));
  assert_true(cli_html_response("application/octet-stream", "\xef\xbb\xbf<html>", 9, d, sizeof d));
  assert_false(cli_html_response("text/plain", "just words", 10, d, sizeof d));
  assert_false(cli_html_response("application/json", "{\"a\": \"<p>\"}", 12, d, sizeof d));
  assert_false(cli_html_response(NULL, "%PDF-1.4 <p>", 12, d, sizeof d));
  assert_non_null(strstr(d, "(none)"));
  assert_false(cli_html_response(NULL, "<pizza>", 7, d, sizeof d));
}

/* The progress line never takes the terminal's last column, at any width, with or without a
 * total, whatever the counts; the bar and then the figures give way as it narrows. */
static void test_progress_fits_the_width(void **state)
{
  (void)state;
  char line[512];
  static const uint64_t totals[] = {0, 7, 1234567, 18446744073709551615ull};
  for (unsigned w = 1; w <= 200; w++) {
    for (size_t t = 0; t < sizeof totals / sizeof *totals; t++) {
      uint64_t total = totals[t], done = total ? total / 3 : 987654321;
      cli_progress_format(line, sizeof line, w, done, total, 12, 3.5);
      size_t n = strlen(line);
      if (n > (w > 1 ? w - 1 : 1))
        fail_msg("width %u total %llu: %zu columns: '%s'", w, (unsigned long long)total, n, line);
    }
  }
  cli_progress_format(line, sizeof line, 200, 10, 40, 1, 2.0);
  assert_non_null(strstr(line, "[######"));
  assert_non_null(strstr(line, "10/40"));
  assert_non_null(strstr(line, "ETA 0:06"));
  assert_non_null(strstr(line, "failed 1"));
  cli_progress_format(line, sizeof line, 50, 10, 40, 1, 2.0);
  assert_true(strlen(line) <= 49);
  assert_non_null(strstr(line, "10/40"));
  cli_progress_format(line, sizeof line, 80, 10, 0, 0, 2.0); /* no total: no bar, no ETA */
  assert_string_equal(line, "10 done  5.0 pages/s  failed 0");
}

static void test_url_schemes(void **state)
{
  (void)state;
  assert_int_equal(cli_url_scheme_len("ftp://x/"), 3);
  assert_int_equal(cli_url_scheme_len("file:///etc/passwd"), 4);
  assert_int_equal(cli_url_scheme_len("HTTPS://a/"), 5);
  assert_int_equal(cli_url_scheme_len("svn+ssh://h/r"), 7);
  assert_int_equal(cli_url_scheme_len("page.html"), 0);
  assert_int_equal(cli_url_scheme_len("./ftp://x"), 0);
  assert_int_equal(cli_url_scheme_len("c:/x"), 0);
  assert_int_equal(cli_url_scheme_len("1ftp://x"), 0);
  assert_int_equal(cli_url_scheme_len(""), 0);
  char *id = cli_input_id("gopher://old.example/");
  assert_string_equal(id, "gopher://old.example/");
  free(id);
}

/* A manifest: comments, blank lines and CRs skipped; PATH<TAB>URL split; bad lines returned
 * with a reason and their line number; a line up to CLI_MANIFEST_MAX_LINE bytes is read
 * whole, a longer one is a bad line and the next line is read after it. */
static void test_manifest_reader(void **state)
{
  (void)state;
  char path[256];
  snprintf(path, sizeof path, "%s/manifest.txt", dir);
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs("# comment\n\n  \na.html\r\nb.html\thttps://x.example/b\nc.html\tftp://x/\n", f);
  fputs("ftp://x/y\nhttps://ok.example/p\n\tno-path\nd e.html\n", f);
  for (int i = 0; i < 5000; i++)
    fputc('x', f);
  fputc('\n', f);
  for (int i = 0; i < CLI_MANIFEST_MAX_LINE + 10; i++)
    fputc('y', f);
  fputs("\nlast.html", f); /* no final newline */
  fclose(f);
  cli_manifest *m = NULL;
  char detail[256];
  assert_int_equal(cli_manifest_open(path, &m, detail, sizeof detail), RIPTIDE_OK);
  cli_manifest_entry e;
  static const struct {
    const char *src, *url;
    bool error;
    uint64_t line;
  } want[] = {{"  ", NULL, false, 3},
              {"a.html", NULL, false, 4},
              {"b.html", "https://x.example/b", false, 5},
              {"c.html", "ftp://x/", true, 6},
              {"ftp://x/y", NULL, true, 7},
              {"https://ok.example/p", NULL, false, 8},
              {"", "no-path", true, 9},
              {"d e.html", NULL, false, 10},
              {NULL, NULL, false, 11},
              {"yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy", NULL, true, 12},
              {"last.html", NULL, false, 13}};
  for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
    assert_int_equal(cli_manifest_next(m, &e), 1);
    if (want[i].src)
      assert_string_equal(e.src, want[i].src);
    else
      assert_int_equal(strlen(e.src), 5000);
    if (want[i].url)
      assert_string_equal(e.url, want[i].url);
    else
      assert_null(e.url);
    assert_int_equal(e.error != NULL, want[i].error);
    assert_int_equal(cli_manifest_line(m), want[i].line);
  }
  assert_int_equal(cli_manifest_next(m, &e), 0);
  cli_manifest_close(m);
  snprintf(path, sizeof path, "%s/no-such-manifest", dir);
  assert_int_equal(cli_manifest_open(path, &m, detail, sizeof detail), RIPTIDE_ERR_IO);
  assert_null(m);
  assert_non_null(strstr(detail, "No such file"));
  cli_manifest_close(NULL);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_read_file_reuses_one_buffer),
      cmocka_unit_test(test_read_file_limits_and_errors),
      cmocka_unit_test(test_error_objects_match_jansson),
      cmocka_unit_test(test_documents_append_to_a_reused_buffer),
      cmocka_unit_test(test_json_string_repairs_utf8),
      cmocka_unit_test(test_fifo_is_refused_without_blocking),
      cmocka_unit_test(test_walk_reports_every_input),
      cmocka_unit_test(test_escape_terminal),
      cmocka_unit_test(test_option_values),
      cmocka_unit_test(test_html_response),
      cmocka_unit_test(test_progress_fits_the_width),
      cmocka_unit_test(test_url_schemes),
      cmocka_unit_test(test_manifest_reader),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
