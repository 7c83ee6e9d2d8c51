/*
 * test_cli_units.c - pieces of the `riptide` command tested without running it (linked with
 * the command's objects but main.o, see mk/cli.mk): the file reader that reuses one buffer
 * (sizes, limits, empty files, growth, files that are not regular), and the error and document
 * formatters (error objects byte for byte as jansson writes them, compact and pretty; formats
 * appended to a reused buffer). scripts/test-cli.sh runs the command end to end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "cli/cli.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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
                                     "line\nbreak and \x01 control", "plain"};
  for (int f = 0; f < 2; f++) {
    cli_config c;
    memset(&c, 0, sizeof c);
    c.format = f ? CLI_FMT_JSON : CLI_FMT_JSONL;
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
      for (size_t m = 0; m < sizeof msgs / sizeof msgs[0]; m++) {
        rt_buf b = {0};
        rt_buf_puts(&b, "previous line\n");
        size_t start = b.len;
        assert_true(cli_format_error(&c, ids[i], RIPTIDE_ERR_INPUT_TOO_LARGE, msgs[m], &b));
        char *want = oracle_error(f, ids[i], RIPTIDE_ERR_INPUT_TOO_LARGE, msgs[m]);
        assert_int_equal(b.len - start, strlen(want) + 1);
        assert_memory_equal(b.p + start, want, strlen(want));
        assert_int_equal(b.p[b.len - 1], '\n');
        free(want);
        rt_buf_free(&b);
      }
    }
  }
  /* No detail: the code's message. */
  cli_config c;
  memset(&c, 0, sizeof c);
  c.format = CLI_FMT_JSONL;
  rt_buf b = {0};
  assert_true(cli_format_error(&c, "x", RIPTIDE_ERR_IO, "", &b));
  char *want = oracle_error(false, "x", RIPTIDE_ERR_IO, riptide_strerror(RIPTIDE_ERR_IO));
  assert_int_equal(strncmp(b.p, want, strlen(want)), 0);
  free(want);
  rt_buf_free(&b);
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
  rt_buf b = {0};
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
  rt_buf_free(&b);
  riptide_document_free(d);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_read_file_reuses_one_buffer),
      cmocka_unit_test(test_read_file_limits_and_errors),
      cmocka_unit_test(test_error_objects_match_jansson),
      cmocka_unit_test(test_documents_append_to_a_reused_buffer),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
