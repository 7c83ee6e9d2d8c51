/*
 * warc.c - streaming WARC reader; see warc.h.
 *
 * Bytes flow: fd -> raw (1 MiB, only for gzip files) -> inflate -> window -> records.
 * A gzip member that lies whole in raw is inflated in one call by libdeflate (about twice as fast
 * as zlib) straight into the window, which grows up to WIN_MAX to hold it; a member that does
 * not fit (its end is not in raw, or it inflates to more than the window can hold), a damaged
 * member, and a whole-file gzip stream go through zlib, streamed, which tells a member cut by the
 * end of the buffer from a damaged one and resyncs after damage. Memory is raw, the window (at
 * most WIN_MAX) and one record's block (capped), whatever the file's size.
 *
 * Where a member ends is found before inflating it (member_end: the next member's header, or
 * the end of the file), and the ISIZE of its trailer says how large it inflates: so a member is
 * inflated once (not once by libdeflate in vain, then by zlib), raw is read into only when a
 * member's end is not in it, and the window can be made the member's size. That is what lets
 * rt_warc_take() hand a page over without a copy: the window holding it is given away and the
 * next member is inflated into a new one of its own size (heap memory the caller has just
 * freed, in a steady stream). With deferred bodies (riptide_warc_defer_bodies), a member that
 * holds one page is not inflated here at all beyond its headers (rt_warc_member_head, zlib on
 * its first 4 KiB): its compressed bytes are handed over and riptide_warc_body_inflate()
 * inflates them with libdeflate on the caller's thread, checking the CRC and ISIZE. The member
 * and where the payload lies in it can be taken out (riptide_warc_body_member) and made a body
 * again in another process (riptide_warc_body_from_member: riptide submit's workers), where
 * its sizes are checked before anything is allocated for them.
 */
#include "input/warc.h"

#include <ctype.h>
#include <errno.h>
#include <libdeflate.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>

#define RAW_CAP (1024 * 1024)     /* compressed bytes read at once */
#define WIN_CAP (128 * 1024)      /* the window's first size, and the plain path's reads */
#define WIN_MAX (8 * 1024 * 1024) /* the window grows up to this to hold a whole member */
/* The least a window made for one member of known size holds: more than a header line, so a
 * line is never longer than a full window (next_line tells an overlong line first). */
#define WIN_MIN (2 * MAX_HEADER_LINE + 1024)
#define MAX_HEADER_LINE 8192
#define MAX_HEADER_LINES 512
#define CARRY_MAX 4096 /* unread bytes a taken window may leave behind (rt_warc_take) */
/* A deferred page's record and HTTP headers are inflated by the reader in at most this many
 * bytes (more are rare, and such a page is read as without deferral); so a deferred payload
 * starts before it, which riptide_warc_body_from_member() checks of a member from elsewhere. */
#define DEFER_HEAD_MAX 65536

struct rt_warc {
  int fd;
  int gz;         /* -1 not known yet, 0 plain, 1 gzip */
  int fd_eof;     /* read() returned 0 */
  int read_error; /* read() failed; errno saved */
  int saved_errno;
  z_stream zs;
  int zs_live;
  int zmember; /* zlib is inside a member (the member at raw_pos was not inflated whole) */
  struct libdeflate_decompressor *ld;
  uint64_t members_whole, members_streamed; /* gzip members by path (rt_warc_gzip_counts) */
  int barrier;        /* damaged gzip data: the window ends where it was found, and fill() gives
                       * nothing more until the record it cut is reported */
  unsigned char *raw; /* RAW_CAP bytes, gzip files only */
  size_t raw_pos, raw_len;
  unsigned char *win; /* win_cap bytes and one more, where a block may end with its NUL */
  size_t win_cap;
  /* A block handed out in place ends at win[nul_at], a stream byte overwritten with the
   * block's NUL until the next call, which puts nul_saved back. */
  int nul_set;
  size_t nul_at;
  unsigned char nul_saved;
  size_t start, end; /* unread bytes are win[start, end) */
  uint64_t win_pos;  /* stream offset of win[0] */
  uint64_t bytes_read;
  size_t max_block;
  unsigned char *block;
  size_t block_cap;
  char *target_uri;
  int handed;        /* the last record's block: 1 in place in the window, 2 in block, 0 none */
  size_t block_used; /* handed == 2: the block's length */
  /* The window given away with a page (rt_warc_take): win is NULL until the next fill, and
   * the bytes that followed the page wait in carry. */
  unsigned char carry[CARRY_MAX];
  size_t carry_len;
  /* The end of the gzip member at raw_pos, when found (member_end): its stream offset, and
   * the ISIZE its trailer gives. */
  uint64_t hint_at;
  uint32_t hint_isize;
  size_t hint_len; /* the member's compressed length */
  int hint_set;
  uint64_t members_deferred; /* gzip members handed over whole (rt_warc_member_skip) */
  z_stream hz;               /* the head of a member (rt_warc_member_head) */
  int hz_live;
  unsigned char *head; /* the inflated head, NUL-terminated */
  size_t head_cap;
};

int rt_warc_sniff(const unsigned char *head, size_t n)
{
  if (n >= 7 && memcmp(head, "WARC/1.", 7) == 0)
    return 1;
  return n >= 3 && head[0] == 0x1f && head[1] == 0x8b && head[2] == 8;
}

rt_warc *rt_warc_open(int fd, size_t max_block)
{
  rt_warc *w = calloc(1, sizeof *w);
  if (!w)
    return NULL;
  w->win = malloc(WIN_CAP + 1);
  if (!w->win) {
    free(w);
    return NULL;
  }
  w->win_cap = WIN_CAP;
  w->fd = fd;
  w->gz = -1;
  w->max_block = max_block ? max_block : 1;
  return w;
}

void rt_warc_close(rt_warc *w)
{
  if (!w)
    return;
  if (w->zs_live)
    inflateEnd(&w->zs);
  if (w->hz_live)
    inflateEnd(&w->hz);
  free(w->head);
  libdeflate_free_decompressor(w->ld);
  free(w->raw);
  free(w->win);
  free(w->block);
  free(w->target_uri);
  free(w);
}

uint64_t rt_warc_bytes_read(const rt_warc *w)
{
  return w->bytes_read;
}

void rt_warc_gzip_counts(const rt_warc *w, uint64_t *whole, uint64_t *streamed)
{
  *whole = w->members_whole;
  *streamed = w->members_streamed;
}

static void set_msg(char *msg, size_t msglen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_msg(char *msg, size_t msglen, const char *fmt, ...)
{
  if (!msg || !msglen)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, msglen, fmt, ap);
  va_end(ap);
}

/* ---- the byte source ----------------------------------------------------------------------- */

static ssize_t read_raw(rt_warc *w, unsigned char *dst, size_t cap)
{
  if (w->fd_eof || w->read_error)
    return 0;
  for (;;) {
    ssize_t n = read(w->fd, dst, cap);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      w->read_error = 1;
      w->saved_errno = errno;
      return -1;
    }
    if (n == 0)
      w->fd_eof = 1;
    w->bytes_read += (uint64_t)n;
    return n;
  }
}

/* Drops raw bytes up to the next gzip member header after a damaged one. */
static void gz_resync(rt_warc *w)
{
  for (;;) {
    for (size_t i = w->raw_pos; i + 2 < w->raw_len; i++) {
      if (w->raw[i] == 0x1f && w->raw[i + 1] == 0x8b && w->raw[i + 2] == 8) {
        w->raw_pos = i;
        inflateReset(&w->zs);
        return;
      }
    }
    /* keep the last two bytes: a magic may straddle the boundary */
    size_t keep = w->raw_len - w->raw_pos < 2 ? w->raw_len - w->raw_pos : 2;
    memmove(w->raw, w->raw + w->raw_len - keep, keep);
    w->raw_pos = 0;
    w->raw_len = keep;
    ssize_t n = read_raw(w, w->raw + keep, RAW_CAP - keep);
    if (n <= 0) {
      w->raw_len = w->raw_pos = 0;
      return;
    }
    w->raw_len += (size_t)n;
  }
}

/* Moves the unread raw bytes to the front and reads until at least want bytes are unread, the
 * buffer is full or the file ends. Returns the unread byte count. */
static size_t raw_top_up(rt_warc *w, size_t want)
{
  if (w->raw_pos > 0) {
    memmove(w->raw, w->raw + w->raw_pos, w->raw_len - w->raw_pos);
    w->raw_len -= w->raw_pos;
    w->raw_pos = 0;
  }
  if (want > RAW_CAP)
    want = RAW_CAP;
  while (w->raw_len < want) {
    ssize_t n = read_raw(w, w->raw + w->raw_len, RAW_CAP - w->raw_len);
    if (n <= 0)
      break;
    w->raw_len += (size_t)n;
  }
  return w->raw_len;
}

/* Makes room for at least `room` more bytes after the unread ones (a new window is at least
 * min_cap, at most WIN_MAX: less room than asked when that is over), in a new buffer when the
 * window is too small or was given away. Only the unread bytes are moved. */
static int window_reserve(rt_warc *w, size_t room, size_t min_cap)
{
  size_t unread = w->win ? w->end - w->start : w->carry_len;
  if (w->win && w->win_cap - w->end >= room)
    return 0;
  if (w->win && w->start > 0 && w->win_cap - unread >= room) {
    memmove(w->win, w->win + w->start, unread);
    w->win_pos += w->start;
    w->start = 0;
    w->end = unread;
    return 0;
  }
  size_t cap = room > WIN_MAX - unread ? WIN_MAX : unread + room;
  if (cap < min_cap)
    cap = min_cap;
  if (w->win && cap <= w->win_cap)
    return 0;
  unsigned char *p = malloc(cap + 1);
  if (!p)
    return -1;
  if (w->win) {
    memcpy(p, w->win + w->start, unread);
    w->win_pos += w->start;
    free(w->win);
  } else {
    memcpy(p, w->carry, unread);
    w->carry_len = 0;
  }
  w->win = p;
  w->win_cap = cap;
  w->start = 0;
  w->end = unread;
  return 0;
}

/* Doubles the window, up to WIN_MAX. */
static int grow_window(rt_warc *w)
{
  return window_reserve(w, w->win_cap * 2 - (w->end - w->start), WIN_CAP);
}

static int is_member_start(const unsigned char *p)
{
  return p[0] == 0x1f && p[1] == 0x8b && p[2] == 8 && (p[3] & 0xe0) == 0;
}

/* Looks for the end of the gzip member at raw_pos without inflating it: the next member's
 * header, or the end of the file; reads more while neither is in raw and raw has room.
 * Returns 1 when found (*isize: the ISIZE of the trailer before it, a hint only: the header
 * may be bytes inside the member that look like one, or the trailer damaged), 0 when the
 * member goes on past a full raw buffer (it cannot be inflated whole), -1 when no end can be
 * seen (a short or unreadable tail). */
static int member_end(rt_warc *w, uint32_t *isize)
{
  uint64_t at = w->bytes_read - (w->raw_len - w->raw_pos);
  if (w->hint_set && w->hint_at == at) {
    *isize = w->hint_isize;
    return 1;
  }
  w->hint_set = 0;
  size_t scanned = 18; /* from raw_pos: no member is shorter (header 10, data 2, trailer 8) */
  for (;;) {
    const unsigned char *b = w->raw + w->raw_pos;
    size_t avail = w->raw_len - w->raw_pos;
    size_t end = 0;
    for (size_t i = scanned; i + 4 <= avail && !end;) {
      const unsigned char *q = memchr(b + i, 0x1f, avail - 3 - i);
      if (!q)
        break;
      i = (size_t)(q - b);
      if (is_member_start(q))
        end = i;
      i++;
    }
    if (!end && (w->fd_eof || w->read_error) && avail >= 18)
      end = avail;
    if (end) {
      *isize = (uint32_t)b[end - 4] | (uint32_t)b[end - 3] << 8 | (uint32_t)b[end - 2] << 16 |
               (uint32_t)b[end - 1] << 24;
      w->hint_set = 1;
      w->hint_at = at;
      w->hint_isize = *isize;
      w->hint_len = end;
      return 1;
    }
    if (w->fd_eof || w->read_error)
      return -1;
    if (w->raw_pos == 0 && w->raw_len == RAW_CAP)
      return 0;
    scanned = avail > 21 ? avail - 3 : 18;
    if (raw_top_up(w, avail + 1) <= avail && !w->fd_eof && !w->read_error)
      return -1;
  }
}

/* Inflates the gzip member at raw_pos whole into the window with libdeflate, into room
 * made for it from the ISIZE of its trailer (found by member_end without inflating it).
 * Returns 1 when done (raw_pos is past the member, *added counts its bytes), 0 when no input
 * is left, -1 when the member is left to zlib: its end is not in raw, it inflates to more
 * than WIN_MAX, or it is damaged (libdeflate does not tell those apart; zlib does, and
 * resyncs). Each case is decided before inflating when the trailer tells it, so a member is
 * inflated once, not once in vain and again by zlib. */
static int ld_member(rt_warc *w, size_t *added)
{
  uint32_t isize = 0;
  int found = member_end(w, &isize);
  size_t avail = w->raw_len - w->raw_pos;
  if (avail == 0)
    return 0;
  if (found == 0)
    return -1; /* longer than raw: a whole-file stream, or a huge record */
  size_t unread = w->win ? w->end - w->start : w->carry_len;
  if (found > 0 && isize > WIN_MAX - unread)
    return -1; /* would not fit the window (or the hint is bytes that only look like one) */
  if (window_reserve(w, found > 0 ? isize : 0, WIN_CAP) != 0)
    return -1;
  if (!w->ld && !(w->ld = libdeflate_alloc_decompressor()))
    return -1;
  for (;;) {
    size_t in_n = 0, out_n = 0;
    enum libdeflate_result r = libdeflate_gzip_decompress_ex(
        w->ld, w->raw + w->raw_pos, avail, w->win + w->end, w->win_cap - w->end, &in_n, &out_n);
    if (r == LIBDEFLATE_SUCCESS) {
      w->raw_pos += in_n;
      w->end += out_n;
      *added += out_n;
      w->members_whole++;
      w->hint_set = 0;
      return 1;
    }
    if (r == LIBDEFLATE_INSUFFICIENT_SPACE && w->win_cap < WIN_MAX) {
      if (grow_window(w) != 0)
        return -1;
      continue;
    }
    /* Maybe the member goes on past what was read (the header member_end found was bytes
     * inside it): read until twice as much is there, so the retries cost at most twice the
     * member. */
    if (r == LIBDEFLATE_BAD_DATA && avail < RAW_CAP && !w->fd_eof && !w->read_error) {
      size_t more = raw_top_up(w, avail * 2);
      if (more > avail) {
        avail = more;
        continue;
      }
    }
    return -1;
  }
}

/* A new window for the member at raw_pos after the last one was given away: as large as the
 * member inflates to, so that it is inflated once, into the buffer its page will be taken in. */
static int ld_prepare(rt_warc *w)
{
  uint32_t isize = 0;
  int found = member_end(w, &isize);
  if (found > 0 && isize <= WIN_MAX - w->carry_len)
    return window_reserve(w, isize, WIN_MIN); /* the member's size, taken with its page */
  return window_reserve(w, 0, WIN_CAP);
}

/* Appends decompressed bytes to the window. Returns the count added, 0 at the end. */
static size_t fill(rt_warc *w)
{
  /* A whole member goes in at once: make all the room there is (what is unread is at most a
   * header line here). */
  int whole = w->gz == 1 && !w->zmember;
  if (!w->win) { /* given away with the last page (rt_warc_take) */
    size_t carried = w->carry_len;
    if ((whole ? ld_prepare(w) : window_reserve(w, 0, WIN_CAP)) != 0) {
      w->read_error = 1;
      w->saved_errno = ENOMEM;
      return 0;
    }
    if (carried)
      return carried;
  }
  if (w->start > 0 && (w->start == w->end || w->end == w->win_cap || whole)) {
    memmove(w->win, w->win + w->start, w->end - w->start);
    w->win_pos += w->start;
    w->end -= w->start;
    w->start = 0;
  }
  if (w->end == w->win_cap || w->barrier)
    return 0; /* callers never need more than the window at once */
  if (w->gz < 0) {
    ssize_t n = read_raw(w, w->win + w->end, w->win_cap - w->end);
    size_t got = n > 0 ? (size_t)n : 0;
    w->gz = rt_warc_sniff(w->win + w->end, got) && w->win[w->end] == 0x1f;
    if (!w->gz) {
      w->end += got;
      return got;
    }
    w->raw = malloc(RAW_CAP);
    if (!w->raw || inflateInit2(&w->zs, 16 + MAX_WBITS) != Z_OK) {
      w->read_error = 1;
      w->saved_errno = ENOMEM;
      return 0;
    }
    w->zs_live = 1;
    memcpy(w->raw, w->win + w->end, got); /* got <= WIN_CAP < RAW_CAP */
    w->raw_len = got;
    w->raw_pos = 0;
  }
  if (!w->gz) {
    ssize_t n = read_raw(w, w->win + w->end, w->win_cap - w->end);
    if (n <= 0)
      return 0;
    w->end += (size_t)n;
    return (size_t)n;
  }
  size_t added = 0;
  while (added == 0) {
    if (!w->zmember) {
      int r = ld_member(w, &added);
      if (r > 0)
        continue; /* added is 0 for an empty member: the next one */
      if (r == 0)
        return 0;
      w->zmember = 1;
      w->members_streamed++;
    }
    if (w->raw_pos == w->raw_len) {
      ssize_t n = read_raw(w, w->raw, RAW_CAP);
      if (n <= 0)
        return 0;
      w->raw_pos = 0;
      w->raw_len = (size_t)n;
    }
    w->zs.next_in = w->raw + w->raw_pos;
    w->zs.avail_in = (uInt)(w->raw_len - w->raw_pos);
    /* at most WIN_CAP at a time, so that a streamed member's bytes stay in the cache while
     * they are parsed and copied */
    size_t room = w->win_cap - w->end < WIN_CAP ? w->win_cap - w->end : WIN_CAP;
    w->zs.next_out = w->win + w->end;
    w->zs.avail_out = (uInt)room;
    int rc = inflate(&w->zs, Z_NO_FLUSH);
    size_t out = room - w->zs.avail_out;
    w->raw_pos = w->raw_len - w->zs.avail_in;
    w->end += out;
    added += out;
    if (rc == Z_STREAM_END) {
      inflateReset(&w->zs); /* the next member, if any, follows: libdeflate tries it first */
      w->zmember = 0;
      if (added == 0 && w->end == w->win_cap)
        return 0;
    } else if (rc == Z_DATA_ERROR || rc == Z_NEED_DICT) {
      /* What came out before the damage is kept; the record it cuts is reported by
       * rt_warc_next, which then lifts the barrier and reading goes on at the next member. */
      w->barrier = 1;
      w->raw_pos++;
      gz_resync(w);
      w->zmember = 0;
      return added;
    } else if (rc == Z_BUF_ERROR && w->raw_pos == w->raw_len && w->fd_eof) {
      return added; /* a member cut short at the end of the file */
    } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
      w->barrier = 1;
      w->raw_pos = w->raw_len;
      return added;
    }
  }
  return added;
}

/* The next line (without its LF, CR kept off too) as a pointer into the window, valid until
 * the next fill. *len < 0: end of stream; *len == -2: a line longer than MAX_HEADER_LINE. */
static const char *next_line(rt_warc *w, long *len)
{
  size_t scanned = 0;
  for (;;) {
    const unsigned char *s = w->win + w->start;
    size_t avail = w->end - w->start;
    const unsigned char *nl = memchr(s + scanned, '\n', avail - scanned);
    if (nl) {
      size_t n = (size_t)(nl - s);
      w->start += n + 1;
      if (n > 0 && s[n - 1] == '\r')
        n--;
      *len = n > MAX_HEADER_LINE ? -2 : (long)n;
      return (const char *)s;
    }
    scanned = avail;
    if (avail > MAX_HEADER_LINE) {
      w->start += avail; /* drop the overlong line's start; the caller resyncs */
      *len = -2;
      return NULL;
    }
    if (fill(w) == 0) {
      if (w->end > w->start) { /* a last line without LF */
        size_t n = w->end - w->start;
        s = w->win + w->start;
        w->start = w->end;
        *len = (long)n;
        return (const char *)s;
      }
      *len = -1;
      return NULL;
    }
  }
}

/* Moves to the next line that starts a WARC record; returns 0 at the end of the stream. */
static int resync(rt_warc *w)
{
  w->barrier = 0; /* the caller reported the record the damage cut */
  for (;;) {
    while (w->end - w->start < 8)
      if (fill(w) == 0)
        break;
    if (!w->win)
      return 0; /* out of memory for a new window (read_error is set) */
    const unsigned char *s = w->win + w->start;
    size_t avail = w->end - w->start;
    if (avail >= 7 && memcmp(s, "WARC/1.", 7) == 0)
      return 1;
    const unsigned char *nl = memchr(s, '\n', avail);
    if (nl) {
      w->start += (size_t)(nl - s) + 1;
      continue;
    }
    w->start = w->end;
    if (fill(w) == 0) {
      if (!w->barrier)
        return 0;
      w->barrier = 0;
    }
  }
}

/* A record that ran into the end of the data: damaged gzip data, or the end of the file. */
static int cut_record(rt_warc *w, const rt_warc_record *rec, char *msg, size_t msglen,
                      const char *what)
{
  if (w->read_error)
    return -2;
  if (w->barrier) {
    set_msg(msg, msglen, "record at offset %llu: damaged gzip data in its %s",
            (unsigned long long)rec->offset, what);
    resync(w);
  } else {
    set_msg(msg, msglen, "record at offset %llu: its %s is cut short by the end of the file",
            (unsigned long long)rec->offset, what);
  }
  return -1;
}

static void copy_field(char *dst, size_t cap, const char *v, size_t n)
{
  if (n >= cap)
    n = cap - 1;
  memcpy(dst, v, n);
  dst[n] = '\0';
}

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
  uint64_t v = 0;
  size_t i = 0;
  while (i < n && (s[i] == ' ' || s[i] == '\t'))
    i++;
  size_t digits = 0;
  for (; i < n && isdigit((unsigned char)s[i]); i++, digits++) {
    if (v > (UINT64_MAX - 9) / 10)
      return -1;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  while (i < n && (s[i] == ' ' || s[i] == '\t'))
    i++;
  if (digits == 0 || i != n)
    return -1;
  *out = v;
  return 0;
}

/* Header field "Name: value" -> value span, or NULL when name differs. */
static const char *field(const char *line, size_t n, const char *name, size_t *vn)
{
  size_t k = strlen(name);
  if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
    return NULL;
  const char *v = line + k + 1;
  const char *e = line + n;
  while (v < e && (*v == ' ' || *v == '\t'))
    v++;
  while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
    e--;
  *vn = (size_t)(e - v);
  return v;
}

/* One line of a record header into rec; -1 for a bad Content-Length. */
static int header_field(rt_warc *w, rt_warc_record *rec, const char *line, size_t n,
                        int *have_length)
{
  size_t vn;
  const char *v;
  if ((v = field(line, n, "WARC-Type", &vn)))
    copy_field(rec->type, sizeof rec->type, v, vn);
  else if ((v = field(line, n, "WARC-Record-ID", &vn))) {
    if (vn >= 2 && v[0] == '<' && v[vn - 1] == '>')
      v++, vn -= 2;
    if (vn > 9 && strncasecmp(v, "urn:uuid:", 9) == 0)
      v += 9, vn -= 9;
    copy_field(rec->id, sizeof rec->id, v, vn);
  } else if ((v = field(line, n, "WARC-Date", &vn)))
    copy_field(rec->date, sizeof rec->date, v, vn);
  else if ((v = field(line, n, "Content-Type", &vn)))
    copy_field(rec->content_type, sizeof rec->content_type, v, vn);
  else if ((v = field(line, n, "WARC-Truncated", &vn)))
    copy_field(rec->truncated, sizeof rec->truncated, v, vn);
  else if ((v = field(line, n, "WARC-Target-URI", &vn))) {
    if (vn >= 2 && v[0] == '<' && v[vn - 1] == '>')
      v++, vn -= 2;
    free(w->target_uri);
    w->target_uri = strndup(v, vn);
  } else if ((v = field(line, n, "Content-Length", &vn))) {
    if (parse_u64(v, vn, &rec->content_length) != 0)
      return -1;
    *have_length = 1;
  }
  return 0;
}

static int ensure_block(rt_warc *w, size_t need)
{
  if (need <= w->block_cap)
    return 0;
  size_t cap = w->block_cap ? w->block_cap : 4096;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  unsigned char *b = realloc(w->block, cap);
  if (!b)
    return -1;
  w->block = b;
  w->block_cap = cap;
  return 0;
}

/* Before reading a record: the byte under the last block handed out in place put back, the
 * record and the last target URI cleared. */
static void record_reset(rt_warc *w, rt_warc_record *rec)
{
  if (w->nul_set) {
    w->win[w->nul_at] = w->nul_saved;
    w->nul_set = 0;
  }
  w->handed = 0;
  memset(rec, 0, sizeof *rec);
  free(w->target_uri);
  w->target_uri = NULL;
}

int rt_warc_next(rt_warc *w, rt_warc_record *rec, char *msg, size_t msglen)
{
  record_reset(w, rec);
  if (msg && msglen)
    msg[0] = '\0';

  /* blank lines between records */
  for (;;) {
    if (w->end == w->start) {
      if (fill(w) == 0) {
        if (w->barrier) { /* a damaged member gave nothing */
          w->barrier = 0;
          rec->offset = w->win_pos + w->start; /* the error's, which names it (path@offset) */
          set_msg(msg, msglen, "damaged gzip member at offset %llu: its records are lost",
                  (unsigned long long)rec->offset);
          return -1;
        }
        return w->read_error ? -2 : 0;
      }
      continue;
    }
    unsigned char c = w->win[w->start];
    if (c != '\r' && c != '\n')
      break;
    w->start++;
  }
  rec->offset = w->win_pos + w->start;

  long n;
  const char *line = next_line(w, &n);
  if (n == -1)
    return cut_record(w, rec, msg, msglen, "header");
  if (n < 8 || memcmp(line, "WARC/1.", 7) != 0) {
    set_msg(msg, msglen, "no WARC/1.x record header at offset %llu",
            (unsigned long long)rec->offset);
    resync(w);
    return w->read_error ? -2 : -1;
  }
  int have_length = 0, lines = 0;
  for (;;) {
    line = next_line(w, &n);
    if (n == -1)
      return cut_record(w, rec, msg, msglen, "header");
    if (n == -2 || ++lines > MAX_HEADER_LINES) {
      set_msg(msg, msglen, "record header at offset %llu is too long",
              (unsigned long long)rec->offset);
      resync(w);
      return -1;
    }
    if (n == 0)
      break;
    if (header_field(w, rec, line, (size_t)n, &have_length) != 0) {
      set_msg(msg, msglen, "record at offset %llu: bad Content-Length",
              (unsigned long long)rec->offset);
      resync(w);
      return -1;
    }
  }
  rec->target_uri = w->target_uri;
  if (!have_length) {
    set_msg(msg, msglen, "record at offset %llu has no Content-Length",
            (unsigned long long)rec->offset);
    resync(w);
    return -1;
  }

  /* the block: keep up to max_block bytes, skip the rest */
  uint64_t want = rec->content_length;
  size_t keep = want > w->max_block ? w->max_block : (size_t)want;
  if (want == keep && keep <= w->end - w->start) {
    /* All in the window (a whole gzip member is): handed out in place, NUL-terminated by
     * putting a NUL over the byte after it until the next call (win[win_cap] is spare). */
    rec->block = w->win + w->start;
    rec->block_len = keep;
    w->start += keep;
    if (w->start < w->end) {
      w->nul_set = 1;
      w->nul_at = w->start;
      w->nul_saved = w->win[w->start];
    }
    w->win[w->start] = '\0';
    w->handed = 1;
    return 1;
  }
  if (ensure_block(w, keep + 1) != 0) {
    set_msg(msg, msglen, "record at offset %llu: out of memory for a %llu-byte block",
            (unsigned long long)rec->offset, (unsigned long long)keep);
    return -1;
  }
  uint64_t got = 0;
  while (got < want) {
    if (w->end == w->start && fill(w) == 0)
      break;
    size_t avail = w->end - w->start;
    if ((uint64_t)avail > want - got)
      avail = (size_t)(want - got);
    if (got < keep) {
      size_t k = keep - (size_t)got < avail ? keep - (size_t)got : avail;
      memcpy(w->block + got, w->win + w->start, k);
    }
    w->start += avail;
    got += avail;
  }
  rec->block = w->block;
  rec->block_len = got < keep ? (size_t)got : keep;
  rec->block[rec->block_len] = '\0';
  rec->block_cut = want > keep;
  if (got < want)
    return cut_record(w, rec, msg, msglen, "block");
  w->handed = 2;
  w->block_used = rec->block_len;
  return 1;
}

void *rt_warc_take(rt_warc *w, const unsigned char *p, size_t len, size_t *off)
{
  unsigned char *mem;
  size_t used, cap;
  if (w->handed == 2 && p >= w->block && p + len == w->block + w->block_used) {
    mem = w->block;
    used = w->block_used + 1;
    cap = w->block_cap;
    w->block = NULL;
    w->block_cap = 0;
  } else if (w->handed == 1 && p >= w->win && p + len == w->win + w->start &&
             w->end - w->start <= CARRY_MAX) {
    /* The bytes after the block (the blank lines that end a record, usually all there is
     * when a gzip member holds one record) wait in carry for the next window. */
    size_t rest = w->end - w->start;
    memcpy(w->carry, w->win + w->start, rest);
    if (w->nul_set)
      w->carry[0] = w->nul_saved; /* the taken buffer keeps the block's NUL */
    w->nul_set = 0;
    w->carry_len = rest;
    mem = w->win;
    used = w->start + 1;
    cap = w->win_cap + 1;
    w->win_pos += w->start;
    w->win = NULL;
    w->win_cap = w->start = w->end = 0;
  } else {
    return NULL;
  }
  w->handed = 0;
  *off = (size_t)(p - mem);
  if (cap - used > 65536) { /* a window grown for a larger member: give back the rest */
    unsigned char *q = realloc(mem, used);
    if (q)
      mem = q;
  }
  return mem;
}

/* ---- a member handed over whole (its inflate deferred) ----------------------------------------
 */

/* Only CR and LF among the decompressed bytes not yet read (what follows the last record). */
static int unread_blank(const rt_warc *w)
{
  const unsigned char *p = w->win ? w->win + w->start : w->carry;
  size_t n = w->win ? w->end - w->start : w->carry_len;
  for (size_t i = 0; i < n; i++)
    if (p[i] != '\r' && p[i] != '\n')
      return 0;
  return 1;
}

int rt_warc_member_head(rt_warc *w, size_t limit, rt_warc_record *rec, rt_warc_member *m)
{
  record_reset(w, rec);
  if (w->gz != 1 || w->zmember || w->barrier || w->read_error || !w->raw || !unread_blank(w))
    return 0;
  uint32_t isize = 0;
  if (member_end(w, &isize) != 1 || w->hint_len < 18 || w->hint_len > w->raw_len - w->raw_pos)
    return 0;
  if (limit > isize)
    limit = isize;
  if (w->head_cap < limit + 1) {
    unsigned char *h = realloc(w->head, limit + 1);
    if (!h)
      return 0;
    w->head = h;
    w->head_cap = limit + 1;
  }
  if (!w->hz_live) {
    if (inflateInit2(&w->hz, 16 + MAX_WBITS) != Z_OK)
      return 0;
    w->hz_live = 1;
  } else {
    inflateReset(&w->hz);
  }
  w->hz.next_in = w->raw + w->raw_pos;
  w->hz.avail_in = (uInt)w->hint_len;
  w->hz.next_out = w->head;
  w->hz.avail_out = (uInt)limit;
  int zr = inflate(&w->hz, Z_SYNC_FLUSH);
  size_t got = limit - w->hz.avail_out;
  if (zr == Z_STREAM_END ? w->hz.avail_in != 0 || got != isize : zr != Z_OK && zr != Z_BUF_ERROR)
    return 0; /* bytes after the member's end, or damage: read as today */
  /* The record header, parsed as rt_warc_next parses it; anything unusual is left to it. */
  const unsigned char *p = w->head, *e = w->head + got;
  int have_length = 0, lines = 0;
  for (;;) {
    const unsigned char *nl = memchr(p, '\n', (size_t)(e - p));
    if (!nl)
      return 2; /* the header goes on past limit */
    size_t n = (size_t)(nl - p);
    if (n > 0 && p[n - 1] == '\r')
      n--;
    if (n > MAX_HEADER_LINE || ++lines > MAX_HEADER_LINES)
      return 0;
    const char *line = (const char *)p;
    p = nl + 1;
    if (lines == 1) {
      if (n < 8 || memcmp(line, "WARC/1.", 7) != 0)
        return 0;
      continue;
    }
    if (n == 0)
      break;
    if (header_field(w, rec, line, n, &have_length) != 0)
      return 0;
  }
  size_t head_len = (size_t)(p - w->head);
  uint64_t cl = rec->content_length;
  /* The trailer's ISIZE is the header, the block and the blank lines that end the record: a
   * check that the member's end was found right (the next member's header was not bytes inside
   * this one) and that the member holds this record alone. */
  if (!have_length || cl > w->max_block || isize < head_len || isize - head_len < cl ||
      isize - head_len - cl > 4)
    return 0;
  size_t avail = (size_t)(e - p);
  rec->block = (unsigned char *)p;
  rec->block_len = avail < cl ? avail : (size_t)cl;
  rec->block[rec->block_len] = '\0'; /* head has limit + 1 bytes */
  rec->target_uri = w->target_uri;
  rec->offset = w->win_pos + (w->win ? w->end : w->carry_len);
  m->data = w->raw + w->raw_pos;
  m->len = w->hint_len;
  m->isize = isize;
  m->block_at = head_len;
  return 1;
}

void rt_warc_member_skip(rt_warc *w)
{
  uint32_t isize = w->hint_isize;
  w->raw_pos += w->hint_len;
  w->hint_set = 0;
  if (w->win) {
    w->win_pos += w->end + isize;
    w->start = w->end = 0;
  } else {
    w->win_pos += w->carry_len + isize;
    w->carry_len = 0;
  }
  w->members_deferred++;
}

uint64_t rt_warc_members_deferred(const rt_warc *w)
{
  return w->members_deferred;
}

/* ---- the HTTP layer ------------------------------------------------------------------------ */

static const unsigned char *find_line_end(const unsigned char *p, const unsigned char *e)
{
  const unsigned char *nl = memchr(p, '\n', (size_t)(e - p));
  return nl ? nl : e;
}

/* Undoes chunked transfer coding. Returns -1 when the first chunk line is not a chunk size
 * (the body was not really chunked); *cut = 1 when it ends early or inconsistently. */
static long dechunk(const unsigned char *p, const unsigned char *e, unsigned char *out, int *cut)
{
  size_t n = 0;
  int first = 1;
  while (p < e) {
    const unsigned char *le = find_line_end(p, e);
    uint64_t size = 0;
    const unsigned char *q = p;
    int digits = 0;
    while (q < le && isxdigit(*q) && digits < 16) {
      size = size * 16 + (uint64_t)(isdigit(*q) ? *q - '0' : (tolower(*q) - 'a' + 10));
      q++, digits++;
    }
    while (q < le && (*q == ' ' || *q == '\t'))
      q++;
    if (digits == 0 || (q < le && *q != ';' && *q != '\r')) {
      if (first)
        return -1;
      *cut = 1;
      return (long)n;
    }
    first = 0;
    if (size == 0)
      return (long)n;
    p = le < e ? le + 1 : e;
    if (size > (uint64_t)(e - p)) {
      memcpy(out + n, p, (size_t)(e - p));
      n += (size_t)(e - p);
      *cut = 1;
      return (long)n;
    }
    memcpy(out + n, p, (size_t)size);
    n += (size_t)size;
    p += size;
    if (p < e && *p == '\r')
      p++;
    if (p < e && *p == '\n')
      p++;
  }
  *cut = 1; /* no terminating zero-size chunk */
  return (long)n;
}

static riptide_err inflate_body(rt_warc_http *out, size_t max_body, int raw, char *msg,
                                size_t msglen)
{
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, raw ? -MAX_WBITS : 15 + 32) != Z_OK)
    return RIPTIDE_ERR_NOMEM;
  size_t cap = out->body_len * 4 + 4096, len = 0;
  if (cap > max_body + 1)
    cap = max_body + 1;
  char *buf = malloc(cap + 1);
  if (!buf) {
    inflateEnd(&zs);
    return RIPTIDE_ERR_NOMEM;
  }
  zs.next_in = (unsigned char *)out->body;
  zs.avail_in = (uInt)out->body_len;
  riptide_err err = RIPTIDE_OK;
  for (;;) {
    if (len == cap) {
      if (cap > max_body) {
        err = RIPTIDE_ERR_INPUT_TOO_LARGE;
        set_msg(msg, msglen, "decoded HTTP body over %llu bytes", (unsigned long long)max_body);
        break;
      }
      size_t ncap = cap * 2 > max_body + 1 ? max_body + 1 : cap * 2;
      char *nb = realloc(buf, ncap + 1);
      if (!nb) {
        err = RIPTIDE_ERR_NOMEM;
        break;
      }
      buf = nb;
      cap = ncap;
    }
    zs.next_out = (unsigned char *)buf + len;
    zs.avail_out = (uInt)(cap - len);
    int rc = inflate(&zs, Z_NO_FLUSH);
    len = cap - zs.avail_out;
    if (rc == Z_STREAM_END)
      break;
    if (rc == Z_OK && zs.avail_out == 0)
      continue;
    if (rc == Z_OK || rc == Z_BUF_ERROR) {
      out->body_cut = 1; /* the compressed data ends early: keep what it gave */
      break;
    }
    err = RIPTIDE_ERR_BAD_INPUT;
    set_msg(msg, msglen, "HTTP body: damaged compressed data");
    break;
  }
  inflateEnd(&zs);
  if (err != RIPTIDE_OK) {
    free(buf);
    return err;
  }
  buf[len] = '\0';
  free(out->buf);
  out->body = out->buf = buf;
  out->body_len = len;
  return RIPTIDE_OK;
}

riptide_err rt_warc_http_parse(const unsigned char *block, size_t len, size_t max_body,
                               rt_warc_http *out, char *msg, size_t msglen)
{
  memset(out, 0, sizeof *out);
  const unsigned char *p = block, *e = block + len;
  const unsigned char *le = find_line_end(p, e);
  if ((size_t)(le - p) < 12 || memcmp(p, "HTTP/", 5) != 0) {
    set_msg(msg, msglen, "no HTTP status line");
    return RIPTIDE_ERR_BAD_INPUT;
  }
  const unsigned char *sp = memchr(p, ' ', (size_t)(le - p));
  if (!sp || le - sp < 4 || !isdigit(sp[1]) || !isdigit(sp[2]) || !isdigit(sp[3])) {
    set_msg(msg, msglen, "bad HTTP status line");
    return RIPTIDE_ERR_BAD_INPUT;
  }
  out->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
  int chunked = 0, coding = 0; /* 1 gzip, 2 deflate */
  p = le < e ? le + 1 : e;
  while (p < e) {
    le = find_line_end(p, e);
    size_t n = (size_t)(le - p);
    if (n > 0 && p[n - 1] == '\r')
      n--;
    const unsigned char *line = p;
    p = le < e ? le + 1 : e;
    if (n == 0) {
      if (le < e)
        out->head_len = (size_t)(p - block);
      break;
    }
    size_t vn;
    const char *v;
    if ((v = field((const char *)line, n, "Content-Type", &vn)))
      copy_field(out->content_type, sizeof out->content_type, v, vn);
    else if ((v = field((const char *)line, n, "Transfer-Encoding", &vn)))
      chunked = vn >= 7 && strncasecmp(v + vn - 7, "chunked", 7) == 0;
    else if ((v = field((const char *)line, n, "Content-Encoding", &vn))) {
      if ((vn == 4 && strncasecmp(v, "gzip", 4) == 0) ||
          (vn == 6 && strncasecmp(v, "x-gzip", 6) == 0))
        coding = 1;
      else if (vn == 7 && strncasecmp(v, "deflate", 7) == 0)
        coding = 2;
    }
  }
  out->chunked = chunked;
  out->coding = coding;
  size_t blen = (size_t)(e - p);
  long dn = -1;
  if (chunked) {
    if (!(out->buf = malloc(blen + 1)))
      return RIPTIDE_ERR_NOMEM;
    dn = dechunk(p, e, (unsigned char *)out->buf, &out->body_cut);
  }
  if (dn < 0) { /* the block's tail as it is, NUL-terminated with the block */
    free(out->buf);
    out->buf = NULL;
    out->body = (const char *)p;
    out->body_len = blen;
  } else {
    out->buf[dn] = '\0';
    out->body = out->buf;
    out->body_len = (size_t)dn;
  }
  /* Many archivers store the payload already decoded but keep the header: inflate only what
   * looks compressed (gzip magic, or a zlib header for deflate; else raw deflate is tried). */
  const unsigned char *b = (const unsigned char *)out->body;
  riptide_err err = RIPTIDE_OK;
  if (coding == 1 && out->body_len >= 2 && b[0] == 0x1f && b[1] == 0x8b)
    err = inflate_body(out, max_body, 0, msg, msglen);
  else if (coding == 2 && out->body_len >= 2 && (b[0] & 0x0f) == 8 &&
           ((b[0] << 8) | b[1]) % 31 == 0)
    err = inflate_body(out, max_body, 0, msg, msglen);
  else if (coding == 2 && out->body_len > 0 && b[0] != '<' && !isspace(b[0]))
    err = inflate_body(out, max_body, 1, msg, msglen);
  if (err == RIPTIDE_OK && out->body_len > max_body) {
    err = RIPTIDE_ERR_INPUT_TOO_LARGE;
    set_msg(msg, msglen, "HTTP body over %llu bytes", (unsigned long long)max_body);
  }
  if (err != RIPTIDE_OK)
    rt_warc_http_free(out);
  return err;
}

void rt_warc_http_free(rt_warc_http *h)
{
  free(h->buf);
  h->buf = NULL;
  h->body = NULL;
  h->body_len = 0;
}

/* ---- the public page reader ----------------------------------------------------------------- */

struct riptide_warc {
  rt_warc *r;
  uint64_t max;
  bool any_status;
  rt_warc_record rec;
  rt_warc_http http;
  char msg[256];
  char *page; /* the last PAGE item's body, until taken (riptide_warc_take_body) */
  size_t page_len;
  bool defer;                /* riptide_warc_defer_bodies() */
  riptide_warc_body *pended; /* the last PAGE item's deferred body, until taken */
};

/* A page's body, inflated (ready) or still a gzip member (see riptide_warc_take_deferred). */
struct riptide_warc_body {
  char *ready; /* a body the reader had already decoded, in ready_mem; NULL once handed */
  void *ready_mem;
  size_t body_at, body_len; /* deferred: the payload in the inflated member */
  uint32_t isize;
  uint64_t offset; /* the record's, for the message */
  int done;        /* handed over (riptide_warc_body_inflate) */
  size_t member_len;
  unsigned char member[]; /* deferred: the gzip member */
};

RIPTIDE_API int riptide_warc_sniff(const void *head, size_t n)
{
  const unsigned char *h = head;
  if (!h || n < 3)
    return 0;
  if (h[0] != 0x1f)
    return n >= 7 && memcmp(h, "WARC/1.", 7) == 0;
  if (!rt_warc_sniff(h, n))
    return 0;
  unsigned char out[16];
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    return 0;
  zs.next_in = (unsigned char *)h;
  zs.avail_in = (uInt)n;
  zs.next_out = out;
  zs.avail_out = sizeof out;
  inflate(&zs, Z_SYNC_FLUSH);
  size_t got = sizeof out - zs.avail_out;
  inflateEnd(&zs);
  return got >= 7 && memcmp(out, "WARC/1.", 7) == 0;
}

RIPTIDE_API riptide_err riptide_warc_open(int fd, uint64_t max_page_bytes, bool any_status,
                                          riptide_warc **out)
{
  if (!out)
    return RIPTIDE_ERR_INVALID_ARG;
  *out = NULL;
  if (fd < 0)
    return RIPTIDE_ERR_INVALID_ARG;
  if (max_page_bytes == 0)
    max_page_bytes = 64ull << 20;
  if (max_page_bytes > SIZE_MAX / 2)
    max_page_bytes = SIZE_MAX / 2;
  riptide_warc *w = calloc(1, sizeof *w);
  if (!w)
    return RIPTIDE_ERR_NOMEM;
  /* the block holds HTTP headers too: room for them above the page cap */
  w->r = rt_warc_open(fd, (size_t)max_page_bytes + 65536);
  if (!w->r) {
    free(w);
    return RIPTIDE_ERR_NOMEM;
  }
  w->max = max_page_bytes;
  w->any_status = any_status;
  *out = w;
  return RIPTIDE_OK;
}

RIPTIDE_API void riptide_warc_close(riptide_warc *w)
{
  if (!w)
    return;
  riptide_warc_body_free(w->pended);
  rt_warc_http_free(&w->http);
  rt_warc_close(w->r);
  free(w);
}

/* text/html or application/xhtml+xml, any parameters, any case */
static bool html_type(const char *t)
{
  while (*t == ' ' || *t == '\t')
    t++;
  size_t n = strcspn(t, "; \t");
  return (n == 9 && strncasecmp(t, "text/html", 9) == 0) ||
         (n == 21 && strncasecmp(t, "application/xhtml+xml", 21) == 0);
}

/* An untyped payload is HTML when its first non-blank byte opens a tag. */
static bool looks_like_html(const char *b, size_t n)
{
  size_t i = 0;
  if (n >= 3 && (unsigned char)b[0] == 0xEF && (unsigned char)b[1] == 0xBB &&
      (unsigned char)b[2] == 0xBF)
    i = 3;
  while (i < n && isspace((unsigned char)b[i]))
    i++;
  return i < n && b[i] == '<';
}

static int skipped(riptide_warc_item *it, const char *why)
{
  it->kind = RIPTIDE_WARC_SKIPPED;
  it->skip_reason = why;
  return 1;
}

static int failed(riptide_warc *w, riptide_warc_item *it, riptide_err err)
{
  it->kind = RIPTIDE_WARC_ERROR;
  it->err = err;
  it->error = w->msg;
  return 1;
}

/* The item's record fields, pointing into r. */
static void item_from_record(riptide_warc_item *it, const rt_warc_record *r)
{
  it->id = r->id;
  it->type = r->type;
  it->url = r->target_uri;
  it->date = r->date;
  it->offset = r->offset;
  it->truncated = r->truncated[0] ? r->truncated : NULL;
}

/* The next record as a page whose body stays a gzip member (riptide_warc_defer_bodies), when
 * it is one: a `response` with an HTML payload that needs no transfer or content decoding, in
 * a member of its own that lies whole in the read buffer. Its status line and headers are
 * inflated here, the rest by riptide_warc_body_inflate(). 0: read it as usual. */
static int next_deferred(riptide_warc *w, riptide_warc_item *it)
{
  rt_warc_record *r = &w->rec;
  rt_warc_member m;
  rt_warc_http h;
  for (size_t limit = 4096;; limit *= 4) {
    int rc = rt_warc_member_head(w->r, limit, r, &m);
    if (rc == 2 && limit < DEFER_HEAD_MAX)
      continue;
    if (rc != 1 || strcmp(r->type, "response") != 0)
      return 0;
    if (rt_warc_http_parse(r->block, r->block_len, (size_t)w->max, &h, w->msg, sizeof w->msg) !=
        RIPTIDE_OK)
      return 0;
    if (h.head_len || r->block_len == r->content_length || limit >= DEFER_HEAD_MAX)
      break;
    rt_warc_http_free(&h); /* the HTTP header goes on past limit */
  }
  const char *b = r->block_len > h.head_len ? (const char *)r->block + h.head_len : "";
  bool page = h.head_len && !h.chunked && !h.coding && !h.buf &&
              (h.status == 200 || w->any_status) &&
              (h.content_type[0] ? html_type(h.content_type)
                                 : looks_like_html(b, r->block_len - h.head_len));
  size_t body_len = h.head_len ? (size_t)r->content_length - h.head_len : 0;
  riptide_warc_body *d = NULL;
  if (page && body_len <= w->max)
    d = malloc(sizeof *d + m.len);
  if (!d) {
    rt_warc_http_free(&h);
    return 0;
  }
  memset(d, 0, sizeof *d);
  memcpy(d->member, m.data, m.len);
  d->member_len = m.len;
  d->isize = m.isize;
  d->body_at = m.block_at + h.head_len;
  d->body_len = body_len;
  d->offset = r->offset;
  rt_warc_member_skip(w->r);
  w->http = h; /* its content_type; no buffer */
  w->pended = d;
  it->kind = RIPTIDE_WARC_PAGE;
  item_from_record(it, r);
  it->http_status = h.status;
  it->content_type = w->http.content_type;
  it->body = NULL;
  it->body_len = body_len;
  return 1;
}

RIPTIDE_API void riptide_warc_defer_bodies(riptide_warc *w, bool on)
{
  if (w)
    w->defer = on;
}

RIPTIDE_API int riptide_warc_next(riptide_warc *w, riptide_warc_item *it)
{
  if (!w || !it) {
    errno = EINVAL;
    return -1;
  }
  memset(it, 0, sizeof *it);
  w->page = NULL;
  riptide_warc_body_free(w->pended);
  w->pended = NULL;
  rt_warc_http_free(&w->http);
  memset(&w->http, 0, sizeof w->http);
  rt_warc_record *r = &w->rec;
  if (w->defer && next_deferred(w, it))
    return 1;
  int rc = rt_warc_next(w->r, r, w->msg, sizeof w->msg);
  if (rc == 0)
    return 0;
  if (rc == -2)
    return -1;
  item_from_record(it, r);
  if (rc < 0)
    return failed(w, it, RIPTIDE_ERR_BAD_INPUT);
  const char *t = r->type;
  if (strcmp(t, "response") == 0) {
    riptide_err e =
        rt_warc_http_parse(r->block, r->block_len, (size_t)w->max, &w->http, w->msg, sizeof w->msg);
    if (e != RIPTIDE_OK) {
      if (r->block_cut && e != RIPTIDE_ERR_NOMEM)
        e = RIPTIDE_ERR_INPUT_TOO_LARGE;
      if (e == RIPTIDE_ERR_INPUT_TOO_LARGE)
        snprintf(w->msg, sizeof w->msg, "record of %llu bytes is over the %llu-byte limit",
                 (unsigned long long)r->content_length, (unsigned long long)w->max);
      return failed(w, it, e);
    }
    it->http_status = w->http.status;
    it->content_type = w->http.content_type;
    if (w->http.status != 200 && !w->any_status)
      return skipped(it, "status");
    if (w->http.content_type[0] ? !html_type(w->http.content_type)
                                : !looks_like_html(w->http.body, w->http.body_len))
      return skipped(it, "not_html");
    if (r->block_cut) {
      snprintf(w->msg, sizeof w->msg, "record of %llu bytes is over the %llu-byte limit",
               (unsigned long long)r->content_length, (unsigned long long)w->max);
      return failed(w, it, RIPTIDE_ERR_INPUT_TOO_LARGE);
    }
    it->kind = RIPTIDE_WARC_PAGE;
    it->body = w->page = (char *)w->http.body;
    it->body_len = w->page_len = w->http.body_len;
    return 1;
  }
  if (strcmp(t, "resource") == 0) {
    it->content_type = r->content_type;
    if (r->content_type[0] ? !html_type(r->content_type)
                           : !looks_like_html((const char *)r->block, r->block_len))
      return skipped(it, "not_html");
    if (r->block_len > w->max || r->block_cut) {
      snprintf(w->msg, sizeof w->msg, "record of %llu bytes is over the %llu-byte limit",
               (unsigned long long)r->content_length, (unsigned long long)w->max);
      return failed(w, it, RIPTIDE_ERR_INPUT_TOO_LARGE);
    }
    it->kind = RIPTIDE_WARC_PAGE;
    it->body = w->page = (char *)r->block;
    it->body_len = w->page_len = r->block_len;
    return 1;
  }
  static const char *const known[] = {"warcinfo", "request", "metadata", "revisit"};
  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
    if (strcmp(t, known[i]) == 0)
      return skipped(it, known[i]);
  return skipped(it, "other");
}

RIPTIDE_API char *riptide_warc_take_body(riptide_warc *w, void **mem)
{
  if (mem)
    *mem = NULL;
  if (w && mem && w->pended) { /* a deferred body: inflated here */
    riptide_warc_body *d = w->pended;
    w->pended = NULL;
    char *body = NULL;
    size_t len = 0;
    riptide_warc_body_inflate(d, &body, &len, mem, NULL, 0);
    riptide_warc_body_free(d);
    return body;
  }
  if (!w || !mem || !w->page)
    return NULL;
  char *body = w->page;
  size_t len = w->page_len;
  w->page = NULL;
  if (body == w->http.buf) { /* decoded (chunked, compressed): already its own buffer */
    *mem = w->http.buf;
    w->http.buf = NULL;
    w->http.body = NULL;
    return body;
  }
  size_t off = 0;
  unsigned char *m = rt_warc_take(w->r, (const unsigned char *)body, len, &off);
  if (m) { /* the buffer it was inflated or read into */
    *mem = m;
    return (char *)m + off;
  }
  /* in a window that holds more records: copied */
  char *copy = malloc(len + 1);
  if (!copy)
    return NULL;
  memcpy(copy, body, len);
  copy[len] = '\0';
  *mem = copy;
  return copy;
}

RIPTIDE_API riptide_warc_body *riptide_warc_take_deferred(riptide_warc *w)
{
  if (!w)
    return NULL;
  riptide_warc_body *d = w->pended;
  if (d) {
    w->pended = NULL;
    return d;
  }
  if (!w->page)
    return NULL;
  if (!(d = calloc(1, sizeof *d)))
    return NULL;
  size_t len = w->page_len;
  d->ready = riptide_warc_take_body(w, &d->ready_mem);
  if (!d->ready) {
    free(d);
    return NULL;
  }
  d->body_len = len;
  return d;
}

RIPTIDE_API size_t riptide_warc_body_size(const riptide_warc_body *d)
{
  return d ? d->body_len : 0;
}

RIPTIDE_API const void *riptide_warc_body_member(const riptide_warc_body *d, size_t *len,
                                                 size_t *payload_at, uint64_t *offset)
{
  if (!d || !len || !payload_at || !offset || d->done || d->ready)
    return NULL;
  *len = d->member_len;
  *payload_at = d->body_at;
  *offset = d->offset;
  return d->member;
}

RIPTIDE_API riptide_err riptide_warc_body_from_member(const void *member, size_t len,
                                                      size_t payload_at, size_t payload_len,
                                                      uint64_t offset, uint64_t max_page_bytes,
                                                      riptide_warc_body **out)
{
  if (!out)
    return RIPTIDE_ERR_INVALID_ARG;
  *out = NULL;
  if (!member && len)
    return RIPTIDE_ERR_INVALID_ARG;
  if (max_page_bytes == 0)
    max_page_bytes = 64ull << 20;
  if (payload_len > max_page_bytes)
    return RIPTIDE_ERR_INPUT_TOO_LARGE;
  /* A deferred member lies whole in the reader's read buffer: a longer one cannot be a
   * deferred page's, and is not copied (the body is damaged, found so when inflated). */
  size_t keep = len <= RAW_CAP ? len : 0;
  riptide_warc_body *d = malloc(sizeof *d + keep);
  if (!d)
    return RIPTIDE_ERR_NOMEM;
  memset(d, 0, sizeof *d);
  if (keep)
    memcpy(d->member, member, keep);
  d->member_len = keep;
  d->body_at = payload_at;
  d->body_len = payload_len;
  d->offset = offset;
  /* The trailer's ISIZE, as the reader takes it; riptide_warc_body_inflate() finds a member
   * whose size does not hold the payload (or is too short to be one) damaged before it
   * allocates anything, so the sizes given cannot make it allocate more than the payload and
   * DEFER_HEAD_MAX bytes of headers. */
  if (keep >= 18) {
    const unsigned char *t = d->member + keep - 4;
    d->isize = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
  }
  *out = d;
  return RIPTIDE_OK;
}

/* The sizes of a deferred member hold together as the reader's always do: a gzip member whose
 * ISIZE is the headers (at most DEFER_HEAD_MAX bytes), the payload and at most the 4 bytes of
 * blank lines that end a record. A member from riptide_warc_body_from_member() may not. */
static bool member_sizes_fit(const riptide_warc_body *d)
{
  return d->member_len >= 18 && d->body_at <= DEFER_HEAD_MAX && d->isize >= d->body_at &&
         d->isize - d->body_at >= d->body_len && d->isize - d->body_at - d->body_len <= 4;
}

RIPTIDE_API riptide_err riptide_warc_body_inflate(riptide_warc_body *d, char **body, size_t *len,
                                                  void **mem, char *detail, size_t detail_len)
{
  if (body)
    *body = NULL;
  if (len)
    *len = 0;
  if (mem)
    *mem = NULL;
  if (detail && detail_len)
    detail[0] = '\0';
  if (!d || !body || !len || !mem || d->done)
    return RIPTIDE_ERR_INVALID_ARG;
  d->done = 1;
  if (d->ready) {
    *body = d->ready;
    *mem = d->ready_mem;
    *len = d->body_len;
    d->ready = NULL;
    d->ready_mem = NULL;
    return RIPTIDE_OK;
  }
  if (!member_sizes_fit(d)) {
    set_msg(detail, detail_len, "record at offset %llu: damaged gzip data in its block",
            (unsigned long long)d->offset);
    return RIPTIDE_ERR_BAD_INPUT;
  }
  unsigned char *buf = malloc((size_t)d->isize + 1);
  struct libdeflate_decompressor *ld = buf ? libdeflate_alloc_decompressor() : NULL;
  if (!ld) {
    free(buf);
    set_msg(detail, detail_len, "out of memory for a %llu-byte page", (unsigned long long)d->isize);
    return RIPTIDE_ERR_NOMEM;
  }
  size_t in_n = 0, out_n = 0;
  /* libdeflate checks the trailer: the CRC and ISIZE of what it inflated; the member must
   * end where its bytes end (not be followed by another member or other bytes) */
  enum libdeflate_result r =
      libdeflate_gzip_decompress_ex(ld, d->member, d->member_len, buf, d->isize, &in_n, &out_n);
  libdeflate_free_decompressor(ld);
  if (r != LIBDEFLATE_SUCCESS || out_n != d->isize || in_n != d->member_len) {
    free(buf);
    set_msg(detail, detail_len, "record at offset %llu: damaged gzip data in its block",
            (unsigned long long)d->offset);
    return RIPTIDE_ERR_BAD_INPUT;
  }
  buf[d->body_at + d->body_len] = '\0';
  *body = (char *)buf + d->body_at;
  *len = d->body_len;
  *mem = buf;
  return RIPTIDE_OK;
}

RIPTIDE_API void riptide_warc_body_free(riptide_warc_body *d)
{
  if (!d)
    return;
  free(d->ready_mem);
  free(d);
}
