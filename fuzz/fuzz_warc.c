/*
 * fuzz_warc.c - libFuzzer target for the streaming WARC reader (src/input/warc.c): record
 * headers, resync after junk, gzip members inflated whole (libdeflate) or streamed (zlib),
 * damaged and truncated members, the HTTP layer (chunked, gzip/deflate payloads). Build and
 * run: `make fuzz-warc [FUZZ_TIME=s]` (clang-19, -fsanitize=fuzzer,address,undefined), seeded
 * from $(SHARED)/testdata/warc when present.
 *
 * The input is the file, read through a memfd. Checked on every input:
 *  - rt_warc_next returns 1, 0 or -1 (never a read error), with a message for -1; a record's
 *    block is NUL-terminated and within max_block, and cut only when Content-Length says more;
 *  - rt_warc_http_parse on a response block gives a NUL-terminated body of at most max_body;
 *  - the public reader (riptide_warc_next) gives the same number of items as there are
 *    records and errors, and a page's body is NUL-terminated within the page cap; a page
 *    taken (riptide_warc_take_body, every other one) is the same bytes after the reader has
 *    gone on to the next records (ASan sees a buffer the reader kept using).
 */
#include "riptide.h"
#include "input/warc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { FUZZ_MAX_BLOCK = 8192, FUZZ_MAX_BODY = 16384 };

/* The last page taken, held (and checked unchanged) until the next one is taken: the reader
 * must not write into a buffer it has handed over. kept_free(NULL, NULL, 0) frees it. */
static void kept_free(void *new_mem, char *body, size_t len)
{
  static char *mem_body, *copy;
  static size_t copy_len;
  static void *mem;
  if (mem_body && memcmp(mem_body, copy, copy_len + 1) != 0)
    abort();
  riptide_free(mem);
  free(copy);
  mem = new_mem;
  mem_body = copy = NULL;
  if (!body)
    return;
  copy = malloc(len + 1);
  if (!copy)
    abort();
  memcpy(copy, body, len + 1);
  mem_body = body;
  copy_len = len;
}

static int fuzz_warc_fd(const uint8_t *data, size_t size)
{
  int fd = memfd_create("fuzz-warc", MFD_CLOEXEC);
  if (fd < 0)
    abort();
  for (size_t off = 0; off < size;) {
    ssize_t n = write(fd, data + off, size - off);
    if (n <= 0)
      abort();
    off += (size_t)n;
  }
  if (lseek(fd, 0, SEEK_SET) != 0)
    abort();
  return fd;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  int fd = fuzz_warc_fd(data, size);
  rt_warc *w = rt_warc_open(fd, FUZZ_MAX_BLOCK);
  if (!w)
    abort();
  rt_warc_record r;
  char msg[256];
  int rc;
  size_t items = 0;
  while ((rc = rt_warc_next(w, &r, msg, sizeof msg)) != 0) {
    items++;
    if (rc == -1) {
      if (!msg[0])
        abort();
      continue;
    }
    if (rc != 1 || r.block_len > FUZZ_MAX_BLOCK || r.block[r.block_len] != '\0')
      abort();
    if (r.block_cut != (r.content_length > FUZZ_MAX_BLOCK))
      abort();
    if (strcmp(r.type, "response") == 0) {
      rt_warc_http h;
      if (rt_warc_http_parse(r.block, r.block_len, FUZZ_MAX_BODY, &h, msg, sizeof msg) ==
          RIPTIDE_OK) {
        if (h.body_len > FUZZ_MAX_BODY || h.body[h.body_len] != '\0')
          abort();
        rt_warc_http_free(&h);
      }
    }
  }
  rt_warc_close(w);

  if (lseek(fd, 0, SEEK_SET) != 0)
    abort();
  riptide_warc *pw;
  if (riptide_warc_open(fd, FUZZ_MAX_BODY, false, &pw) != RIPTIDE_OK)
    abort();
  riptide_warc_item it;
  size_t public_items = 0;
  while ((rc = riptide_warc_next(pw, &it)) == 1) {
    public_items++;
    if (it.kind == RIPTIDE_WARC_PAGE &&
        (it.body_len > FUZZ_MAX_BODY || it.body[it.body_len] != '\0'))
      abort();
    if (it.kind == RIPTIDE_WARC_PAGE && public_items % 2) { /* every other page taken */
      void *mem, *again;
      char *body = riptide_warc_take_body(pw, &mem);
      if (!body || body[it.body_len] != '\0' || riptide_warc_take_body(pw, &again))
        abort();
      kept_free(mem, body, it.body_len);
    }
  }
  kept_free(NULL, NULL, 0);
  if (rc != 0 || public_items != items)
    abort();
  riptide_warc_close(pw);
  close(fd);
  return 0;
}
