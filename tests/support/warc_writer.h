/* warc_writer.h - a small WARC writer for tests and benchmarks: records built byte for byte
 * (plain, or one gzip member each), so readers are checked against files whose every byte is
 * known. Aborts on out of memory (test code only). */
#ifndef RT_TEST_WARC_WRITER_H
#define RT_TEST_WARC_WRITER_H

#include <stddef.h>

/* A growing byte buffer; zero-initialise, free(b.p) when done. */
typedef struct wbuf {
  unsigned char *p;
  size_t n, cap;
} wbuf;

void wb_put(wbuf *b, const void *d, size_t n);
void wb_str(wbuf *b, const char *s);
/* Appends d as one gzip member. */
void wb_gzip(wbuf *b, const unsigned char *d, size_t n);
/* One WARC/1.1 record (WARC-Date 2026-12-02T08:00:00Z); uri may be NULL; the block is given
 * whole. */
void wb_record(wbuf *b, const char *type, const char *id, const char *uri, const char *ctype,
               const void *block, size_t len);
/* A response record: "HTTP/1.1 <status> X", the header lines given (each ending in CRLF), a
 * blank line, the body. */
void wb_response(wbuf *b, const char *id, const char *uri, int status, const char *headers,
                 const void *body, size_t len);

#endif
