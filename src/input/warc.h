/*
 * warc.h - streaming WARC 1.0/1.1 reader (ISO 28500).
 *
 * Reads records one at a time from a file descriptor in bounded memory: the block of one
 * record (capped at max_block bytes), a read buffer (1 MiB, gzip files only) and a window of
 * decompressed bytes (128 KiB, grown up to 8 MiB to hold a whole gzip member). A file that
 * starts with the gzip magic is inflated as it is read, member after member, so one gzip member
 * per record (the common `.warc.gz`) and one whole-file gzip stream are the same to the caller.
 * A member that lies whole in the read buffer and fits the window is inflated in one call with
 * libdeflate; the others (and damaged ones) are streamed through zlib. Which path a member takes
 * is decided before inflating it, from where the next member starts and the ISIZE of the
 * trailer before it; the same ISIZE sizes the window, so that a record handed over with
 * rt_warc_take() leaves in the buffer it was inflated into.
 * A record whose header cannot be parsed, or a damaged gzip member, is reported once and the
 * reader resynchronises at the next `WARC/1.` line (or the next gzip member): the rest of the
 * file is still read.
 *
 * A member that holds one record whole can also be handed over compressed
 * (rt_warc_member_head, rt_warc_member_skip): only its first bytes are inflated, to parse the
 * headers, and the page's inflate is left to whoever extracts it (riptide_warc_take_deferred).
 *
 * The HTTP layer of a `response` record (status line, headers, chunked transfer coding,
 * gzip/deflate content coding) is parsed by rt_warc_http_parse().
 */
#ifndef RT_INPUT_WARC_H
#define RT_INPUT_WARC_H

#include "riptide.h"

#include <stddef.h>
#include <stdint.h>

typedef struct rt_warc rt_warc;

typedef struct rt_warc_record {
  char type[32];           /* WARC-Type: response, resource, request, metadata, revisit, ... */
  char id[128];            /* WARC-Record-ID without "<urn:uuid:" and ">" */
  char date[48];           /* WARC-Date */
  char content_type[160];  /* the record's Content-Type */
  char truncated[32];      /* WARC-Truncated value ("length", "time", ...) or "" */
  char *target_uri;        /* WARC-Target-URI, <> stripped, NULL when absent; owned by the reader */
  unsigned char *block;    /* the record block, NUL-terminated; owned by the reader */
  size_t block_len;        /* bytes in block (<= max_block) */
  uint64_t content_length; /* the declared Content-Length */
  uint64_t offset;         /* where the record starts in the (decompressed) stream */
  int block_cut;           /* 1 when the block was longer than max_block and was cut */
} rt_warc_record;

/* Returns 1 when the first bytes look like WARC: "WARC/1." or a gzip stream (the caller
 * confirms a gzip file by reading its first record). */
int rt_warc_sniff(const unsigned char *head, size_t n);

/* A reader over fd (not closed by the reader). max_block caps a record's kept block. */
rt_warc *rt_warc_open(int fd, size_t max_block);
void rt_warc_close(rt_warc *w);

/* Reads the next record into *rec (valid until the next call or close).
 * Returns 1 for a record, 0 at the end of the file, -1 for a record that could not be read
 * (msg says why; rec->offset and, when parsed, rec->id tell which); the reader has then
 * resynchronised and the next call continues with the following record. -2: a read error on
 * fd (errno kept); the file cannot be read further. */
int rt_warc_next(rt_warc *w, rt_warc_record *rec, char *msg, size_t msglen);

/* Gives the caller the memory holding [p, p + len), the tail of the block the last call of
 * rt_warc_next() returned (NUL-terminated at p[len]), without copying it: returns that
 * allocation, to free(), with *off set to where p is in it; the record's block is not valid
 * after. NULL when the reader cannot give it up (the block lies in the window among more
 * records than CARRY_MAX bytes of them), and the caller copies. A window given away is
 * replaced at the next read, sized for the next gzip member from its trailer's ISIZE. */
void *rt_warc_take(rt_warc *w, const unsigned char *p, size_t len, size_t *off);

/* A gzip member holding one whole record, handed over compressed (rt_warc_member_head). */
typedef struct rt_warc_member {
  const unsigned char *data; /* the member's bytes, in the reader's buffer */
  size_t len;
  uint32_t isize;  /* what it inflates to (its trailer's ISIZE) */
  size_t block_at; /* where the record's block starts in the inflated member */
} rt_warc_member;

/* When the next record is the start of a gzip member that lies whole in the read buffer and
 * holds that record alone (its trailer's ISIZE is the record header, Content-Length and at
 * most 4 bytes of blank lines), inflates only its first `limit` bytes and parses the record
 * header from them: returns 1 with *rec as rt_warc_next() gives it, but rec->block holds only
 * the first bytes of the block (up to limit; NUL-terminated), and *m the member. Nothing is
 * consumed: the caller either calls rt_warc_member_skip() (the record is then read, and the
 * member's data is valid until then) or rt_warc_next(), which reads the record as usual.
 * 0: not such a member (plain file, whole-file stream, a member not whole in the buffer or
 * damaged at its start, a header rt_warc_next() would report); 2: the header goes on past
 * limit. */
int rt_warc_member_head(rt_warc *w, size_t limit, rt_warc_record *rec, rt_warc_member *m);
/* Steps over the member rt_warc_member_head() just gave, without inflating it; the stream
 * offsets of later records count its ISIZE. */
void rt_warc_member_skip(rt_warc *w);
/* Members skipped so far. */
uint64_t rt_warc_members_deferred(const rt_warc *w);

/* Bytes of the file consumed so far (compressed bytes for a gzip file). */
uint64_t rt_warc_bytes_read(const rt_warc *w);

/* gzip members so far inflated whole (libdeflate) and streamed (zlib: not whole in the read
 * buffer, over the window's maximum, damaged, or garbage where a member should start). */
void rt_warc_gzip_counts(const rt_warc *w, uint64_t *whole, uint64_t *streamed);

typedef struct rt_warc_http {
  int status;             /* HTTP status code */
  char content_type[160]; /* the Content-Type header's value, or "" */
  const char *body;       /* payload after transfer and content decoding, NUL-terminated: the
                           * block's tail when there was nothing to decode, else buf */
  size_t body_len;
  int body_cut;    /* chunked data ended early or was inconsistent: what arrived is kept */
  char *buf;       /* the decoded payload, malloc'd; rt_warc_http_free() frees it */
  int chunked;     /* Transfer-Encoding: chunked */
  int coding;      /* Content-Encoding: 1 gzip or x-gzip, 2 deflate, 0 other or none */
  size_t head_len; /* the status line and headers with the blank line after them; 0 when the
                    * block ends before that blank line */
} rt_warc_http;

/* Parses an HTTP response message (a `response` record's block, which must be NUL-terminated:
 * block[len] == 0, as rt_warc_record's is; body may point into it, so it is valid as long as
 * the block). Transfer-Encoding: chunked is undone; Content-Encoding gzip/deflate/x-gzip is
 * inflated up to max_body bytes (RIPTIDE_ERR_INPUT_TOO_LARGE past it). RIPTIDE_ERR_BAD_INPUT
 * when there is no status line. Call rt_warc_http_free() after a success. */
riptide_err rt_warc_http_parse(const unsigned char *block, size_t len, size_t max_body,
                               rt_warc_http *out, char *msg, size_t msglen);
void rt_warc_http_free(rt_warc_http *h);

#endif
