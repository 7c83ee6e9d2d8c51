/* warc_writer.c - see warc_writer.h. */
#include "warc_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void die(const char *what)
{
  fprintf(stderr, "warc_writer: %s\n", what);
  abort();
}

void wb_put(wbuf *b, const void *d, size_t n)
{
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2 + 1024;
    b->p = realloc(b->p, b->cap);
    if (!b->p)
      die("out of memory");
  }
  memcpy(b->p + b->n, d, n);
  b->n += n;
}

void wb_str(wbuf *b, const char *s)
{
  wb_put(b, s, strlen(s));
}

void wb_gzip(wbuf *b, const unsigned char *d, size_t n)
{
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    die("deflateInit2");
  size_t cap = deflateBound(&zs, (uLong)n);
  unsigned char *out = malloc(cap);
  if (!out)
    die("out of memory");
  zs.next_in = (unsigned char *)d;
  zs.avail_in = (uInt)n;
  zs.next_out = out;
  zs.avail_out = (uInt)cap;
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
    die("deflate");
  wb_put(b, out, cap - zs.avail_out);
  deflateEnd(&zs);
  free(out);
}

void wb_record(wbuf *b, const char *type, const char *id, const char *uri, const char *ctype,
               const void *block, size_t len)
{
  char head[1024];
  int n = snprintf(head, sizeof head,
                   "WARC/1.1\r\nWARC-Type: %s\r\nWARC-Record-ID: <urn:uuid:%s>\r\n"
                   "WARC-Date: 2026-12-02T08:00:00Z\r\n%s%s%sContent-Type: %s\r\n"
                   "Content-Length: %zu\r\n\r\n",
                   type, id, uri ? "WARC-Target-URI: " : "", uri ? uri : "", uri ? "\r\n" : "",
                   ctype, len);
  if (n < 0 || (size_t)n >= sizeof head)
    die("record header too long");
  wb_put(b, head, (size_t)n);
  wb_put(b, block, len);
  wb_str(b, "\r\n\r\n");
}

void wb_response(wbuf *b, const char *id, const char *uri, int status, const char *headers,
                 const void *body, size_t len)
{
  wbuf http = {0};
  char line[256];
  snprintf(line, sizeof line, "HTTP/1.1 %d X\r\n", status);
  wb_str(&http, line);
  wb_str(&http, headers);
  wb_str(&http, "\r\n");
  wb_put(&http, body, len);
  wb_record(b, "response", id, uri, "application/http;msgtype=response", http.p, http.n);
  free(http.p);
}
