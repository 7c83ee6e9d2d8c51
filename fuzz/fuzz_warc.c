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
 *    gone on to the next records (ASan sees a buffer the reader kept using);
 *  - with deferred bodies (riptide_warc_defer_bodies), every other body is inflated after
 *    the reader has gone on, the others freed without inflating or inflated at the end; an
 *    inflate succeeds with a NUL-terminated body of the item's length or fails with
 *    BAD_INPUT and a message; when the reader without deferral reports no error, the pages
 *    are the same, in order (id, length, and the bytes of those inflated), and none fails.
 *    (After damage the two may differ: a deferred member found damaged is the page's error,
 *    where the reader without deferral gives the page and an error after it, and the two
 *    resynchronise at different places.) Some of the bodies inflated at once are first moved
 *    as riptide submit moves them to a worker (riptide_warc_body_member, a copy,
 *    riptide_warc_body_from_member), which must change nothing;
 *  - the input itself, as a member from elsewhere (a job's warc_member) with sizes taken from
 *    its first bytes: riptide_warc_body_inflate() gives a NUL-terminated payload of that
 *    length or BAD_INPUT with a message, and allocates nothing it does not free.
 */
#include "riptide.h"
#include "input/warc.h"

#include <stdint.h>
#include <stdio.h>
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

/* FNV-1a over an item's id and body: the pages of both passes compared in order. */
static uint64_t page_hash(const char *id, const char *body, size_t len)
{
  uint64_t h = 1469598103934665603ull;
  for (const char *p = id; *p; p++)
    h = (h ^ (unsigned char)*p) * 1099511628211ull;
  h = (h ^ 0xff) * 1099511628211ull;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)body[i]) * 1099511628211ull;
  return h;
}

enum { FUZZ_MAX_PAGES = 4096 };

/* A deferred body moved as riptide submit moves it to a worker: its member copied out, a new
 * body made of the copy. A body the reader decoded is returned as it is. */
static riptide_warc_body *moved(riptide_warc_body *b)
{
  size_t len = 0, at = 0;
  uint64_t offset = 0;
  const void *m = riptide_warc_body_member(b, &len, &at, &offset);
  if (!m)
    return b;
  void *copy = malloc(len ? len : 1);
  if (!copy)
    abort();
  memcpy(copy, m, len);
  riptide_warc_body *nb = NULL;
  if (riptide_warc_body_from_member(copy, len, at, riptide_warc_body_size(b), offset, FUZZ_MAX_BODY,
                                    &nb) != RIPTIDE_OK)
    abort();
  free(copy);
  riptide_warc_body_free(b);
  return nb;
}

/* Inflates a deferred body and checks it; returns its hash, 0 when it failed. */
static uint64_t inflate_checked(riptide_warc_body *b, const char *id, size_t body_len)
{
  char *body = NULL, msg[256];
  void *mem = NULL;
  size_t len = 0;
  riptide_err e = riptide_warc_body_inflate(b, &body, &len, &mem, msg, sizeof msg);
  riptide_warc_body_free(b);
  if (e != RIPTIDE_OK) {
    if (e != RIPTIDE_ERR_BAD_INPUT || !msg[0] || mem)
      abort();
    return 0;
  }
  if (!body || len != body_len || body[len] != '\0')
    abort();
  uint64_t h = page_hash(id, body, len);
  riptide_free(mem);
  return h ? h : 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static uint64_t ref[FUZZ_MAX_PAGES], ref_idlen[FUZZ_MAX_PAGES];
  size_t ref_n = 0, ref_errors = 0;
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
    ref_errors += it.kind == RIPTIDE_WARC_ERROR;
    if (it.kind == RIPTIDE_WARC_PAGE &&
        (it.body_len > FUZZ_MAX_BODY || it.body[it.body_len] != '\0'))
      abort();
    if (it.kind == RIPTIDE_WARC_PAGE && ref_n < FUZZ_MAX_PAGES) {
      uint64_t h = page_hash(it.id, it.body, it.body_len);
      ref_idlen[ref_n] = page_hash(it.id, (const char *)&it.body_len, sizeof it.body_len);
      ref[ref_n++] = h ? h : 1;
    }
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

  /* deferred bodies */
  if (lseek(fd, 0, SEEK_SET) != 0)
    abort();
  if (riptide_warc_open(fd, FUZZ_MAX_BODY, false, &pw) != RIPTIDE_OK)
    abort();
  riptide_warc_defer_bodies(pw, true);
  static riptide_warc_body *held[FUZZ_MAX_PAGES];
  static char held_id[FUZZ_MAX_PAGES][128];
  static size_t held_len[FUZZ_MAX_PAGES];
  uint64_t got[FUZZ_MAX_PAGES], got_idlen[FUZZ_MAX_PAGES];
  static unsigned char pending[FUZZ_MAX_PAGES];
  size_t got_n = 0, held_n = 0, pages = 0, fails = 0;
  while ((rc = riptide_warc_next(pw, &it)) == 1) {
    if (it.kind != RIPTIDE_WARC_PAGE)
      continue;
    if (it.body_len > FUZZ_MAX_BODY || (it.body && it.body[it.body_len] != '\0'))
      abort();
    pages++;
    got_idlen[got_n] = page_hash(it.id, (const char *)&it.body_len, sizeof it.body_len);
    if (pages % 5 == 0) { /* not taken: the reader frees it */
      pending[got_n] = 0;
      got[got_n++] = 0;
      if (got_n == FUZZ_MAX_PAGES)
        break;
      continue;
    }
    riptide_warc_body *b = riptide_warc_take_deferred(pw);
    if (!b || riptide_warc_take_deferred(pw) || riptide_warc_body_size(b) != it.body_len)
      abort();
    if (pages % 3 == 0) {
      riptide_warc_body_free(b); /* never inflated */
      pending[got_n] = 0;
      got[got_n++] = 0;
    } else if (pages % 2 == 0 && held_n < FUZZ_MAX_PAGES) { /* inflated after the close */
      snprintf(held_id[held_n], sizeof held_id[held_n], "%s", it.id);
      held_len[held_n] = it.body_len;
      held[held_n++] = b;
      pending[got_n] = 1; /* inflated below, in order */
      got[got_n++] = 0;
    } else {
      pending[got_n] = 0;
      if (pages % 4 == 1)
        b = moved(b);
      got[got_n] = inflate_checked(b, it.id, it.body_len);
      fails += !got[got_n++];
    }
    if (got_n == FUZZ_MAX_PAGES)
      break;
  }
  if (rc < 0)
    abort();
  riptide_warc_close(pw);
  close(fd);
  for (size_t i = 0, k = 0; i < got_n; i++)
    if (pending[i]) {
      got[i] = inflate_checked(held[k], held_id[k], held_len[k]);
      fails += !got[i];
      k++;
    }

  /* the input as a member from elsewhere: where the payload lies from its first 4 bytes */
  if (size >= 4) {
    size_t at = (size_t)data[0] | (size_t)data[1] << 8,
           plen = (size_t)data[2] | (size_t)data[3] << 8;
    riptide_warc_body *b = NULL;
    riptide_err e =
        riptide_warc_body_from_member(data + 4, size - 4, at, plen, 0, FUZZ_MAX_BODY, &b);
    if (plen > FUZZ_MAX_BODY ? e != RIPTIDE_ERR_INPUT_TOO_LARGE || b
                             : e != RIPTIDE_OK || riptide_warc_body_size(b) != plen)
      abort();
    if (b)
      inflate_checked(b, "", plen);
  }
  if (ref_errors || ref_n == FUZZ_MAX_PAGES)
    return 0;
  if (got_n != ref_n)
    abort();
  for (size_t i = 0; i < got_n; i++)
    if (got_idlen[i] != ref_idlen[i] || (got[i] && got[i] != ref[i]))
      abort();
  if (fails)
    abort();
  return 0;
}
