/*
 * decode.c - raw input bytes -> UTF-8 HTML.
 *
 * Steps, in order:
 *  1. size limit on the raw bytes;
 *  2. gzip (magic 1f 8b): inflate with an output cap, so that a gzip bomb stops at the cap with
 *     RIPTIDE_ERR_INPUT_TOO_LARGE instead of filling memory;
 *  3. charset: a BOM wins, then the Content-Type charset, then <meta charset> or
 *     <meta http-equiv=content-type> in the first bytes (the WHATWG prescan, simplified), then
 *     a UTF-16 guess from NUL byte positions; with no declaration at all, UTF-8 stays UTF-8
 *     (also with a few bad bytes or a last character cut short: see mostly_utf8) and anything
 *     else is read as windows-1252 (what browsers do for Western locales);
 *  4. binary data (NULs and control bytes in an undeclared, non-UTF-16 prefix) is refused
 *     with RIPTIDE_ERR_BAD_INPUT: extracting an image or an archive would only give noise;
 *  5. conversion with iconv; invalid or truncated sequences become U+FFFD, NUL bytes too (the
 *     result is a C string that later stages treat as text).
 * Input that is already clean UTF-8 (nearly every page) costs one scan: no second validation,
 * no iconv, and with riptide_decode_input_inplace() no copy either (the result is the caller's
 * buffer). Pure ASCII declared in a single-byte charset (windows-1252, ISO-8859-x, KOI8) is taken
 * as it is too: iconv would give the same bytes. Stateless; safe to call from any number of
 * threads.
 */
#include "riptide.h"
#include "common/errors.h"
#include "common/limits.h"
#include "common/utf8.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#define PRESCAN_BYTES 4096
/* The largest max_bytes taken as given (far above any memory): cap x 4 + 64 fits a size_t. */
#define RT_DECODE_MAX_LIMIT ((uint64_t)(SIZE_MAX / 8))
#define SNIFF_BYTES 4096

/* ---- gzip --------------------------------------------------------------------------------- */

static riptide_err gunzip(const unsigned char *in, size_t len, uint64_t cap, unsigned char **out,
                          size_t *out_len)
{
  z_stream zs;
  memset(&zs, 0, sizeof zs);
  /* 16 + MAX_WBITS: gzip wrapper only. */
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)
    return RIPTIDE_ERR_NOMEM;
  /* cap + 1 (room to tell "over the cap" from "exactly the cap") must not wrap: a cap of
   * UINT64_MAX made it 0, a zero-sized buffer, and realloc(buf, 0) freed it twice. */
  if (cap > SIZE_MAX / 4)
    cap = SIZE_MAX / 4;
  size_t size = len > (SIZE_MAX - 4096) / 4 ? SIZE_MAX / 4 : len * 4 + 4096;
  if (size > cap + 1)
    size = (size_t)cap + 1;
  unsigned char *buf = malloc(size);
  if (!buf) {
    inflateEnd(&zs);
    return RIPTIDE_ERR_NOMEM;
  }
  size_t used = 0;
  riptide_err err = RIPTIDE_OK;
  const unsigned char *p = in;
  size_t left = len;
  for (;;) {
    /* zlib counts in uInt: feed at most 1 GiB per call. */
    if (zs.avail_in == 0 && left > 0) {
      size_t chunk = left > (1u << 30) ? (1u << 30) : left;
      zs.next_in = (unsigned char *)p;
      zs.avail_in = (uInt)chunk;
      p += chunk;
      left -= chunk;
    }
    if (used == size) {
      if (used > cap) {
        err = RIPTIDE_ERR_INPUT_TOO_LARGE;
        break;
      }
      size_t nsize = size * 2;
      if (nsize > cap + 1)
        nsize = (size_t)cap + 1;
      unsigned char *nb = realloc(buf, nsize);
      if (!nb) {
        err = RIPTIDE_ERR_NOMEM;
        break;
      }
      buf = nb;
      size = nsize;
    }
    size_t room = size - used;
    if (room > (1u << 30))
      room = 1u << 30;
    zs.next_out = buf + used;
    zs.avail_out = (uInt)room;
    int rc = inflate(&zs, Z_NO_FLUSH);
    used += room - zs.avail_out;
    if (used > cap) {
      err = RIPTIDE_ERR_INPUT_TOO_LARGE;
      break;
    }
    if (rc == Z_STREAM_END) {
      /* A second gzip member may follow (cat a.gz b.gz): keep going when it does. */
      if ((zs.avail_in > 0 || left > 0) && zs.avail_in >= 2 && zs.next_in[0] == 0x1f &&
          zs.next_in[1] == 0x8b) {
        if (inflateReset(&zs) != Z_OK) {
          err = RIPTIDE_ERR_DECODE;
          break;
        }
        continue;
      }
      break;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0 && left == 0) {
      err = RIPTIDE_ERR_DECODE; /* truncated stream */
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) {
      err = rc == Z_MEM_ERROR ? RIPTIDE_ERR_NOMEM : RIPTIDE_ERR_DECODE;
      break;
    }
  }
  inflateEnd(&zs);
  if (err == RIPTIDE_OK &&
      used == size) { /* room for the NUL, so the result can be used in place */
    unsigned char *nb = realloc(buf, size + 1);
    if (nb)
      buf = nb;
    else
      err = RIPTIDE_ERR_NOMEM;
  }
  if (err != RIPTIDE_OK) {
    free(buf);
    return err;
  }
  *out = buf;
  *out_len = used;
  return RIPTIDE_OK;
}

/* ---- charset labels ----------------------------------------------------------------------- */

/* Maps a charset label to an iconv name, or NULL when unknown. `utf8` is set for UTF-8. */
static const char *charset_from_label(const char *label, size_t n, bool *utf8)
{
  char l[64];
  while (n > 0 && (isspace((unsigned char)*label) || *label == '"' || *label == '\'')) {
    label++;
    n--;
  }
  while (n > 0 && (isspace((unsigned char)label[n - 1]) || label[n - 1] == '"' ||
                   label[n - 1] == '\'' || label[n - 1] == ';'))
    n--;
  if (n == 0 || n >= sizeof l)
    return NULL;
  for (size_t i = 0; i < n; i++)
    l[i] = (char)tolower((unsigned char)label[i]);
  l[n] = '\0';
  *utf8 = false;
  static const struct {
    const char *label;
    const char *iconv;
  } map[] = {
      {"utf-8", "UTF-8"},
      {"utf8", "UTF-8"},
      {"unicode-1-1-utf-8", "UTF-8"},
      /* WHATWG: these Latin-1 labels all mean windows-1252. */
      {"iso-8859-1", "WINDOWS-1252"},
      {"iso8859-1", "WINDOWS-1252"},
      {"latin1", "WINDOWS-1252"},
      {"l1", "WINDOWS-1252"},
      {"us-ascii", "WINDOWS-1252"},
      {"ascii", "WINDOWS-1252"},
      {"windows-1252", "WINDOWS-1252"},
      {"cp1252", "WINDOWS-1252"},
      {"x-cp1252", "WINDOWS-1252"},
      {"cp819", "WINDOWS-1252"},
      {"gb2312", "GB18030"},
      {"gbk", "GB18030"},
      {"gb18030", "GB18030"},
      {"x-gbk", "GB18030"},
      {"big5", "BIG5-HKSCS"},
      {"big5-hkscs", "BIG5-HKSCS"},
      {"shift_jis", "SHIFT_JIS"},
      {"shift-jis", "SHIFT_JIS"},
      {"sjis", "SHIFT_JIS"},
      {"x-sjis", "SHIFT_JIS"},
      {"windows-31j", "CP932"},
      {"euc-jp", "EUC-JP"},
      {"iso-2022-jp", "ISO-2022-JP"},
      {"euc-kr", "CP949"},
      {"ks_c_5601-1987", "CP949"},
      {"koi8-r", "KOI8-R"},
      {"koi8-u", "KOI8-U"},
      {"utf-16", "UTF-16LE"},
      {"utf-16le", "UTF-16LE"},
      {"utf-16be", "UTF-16BE"},
      {"tis-620", "WINDOWS-874"},
      {"iso-8859-9", "WINDOWS-1254"},
  };
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    if (strcmp(l, map[i].label) == 0) {
      *utf8 = strcmp(map[i].iconv, "UTF-8") == 0;
      return map[i].iconv;
    }
  }
  /* Families iconv knows by the same name. */
  static const char *const same[] = {"iso-8859-", "windows-125", "cp125", "koi8", "ibm", "cp"};
  for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
    if (strncmp(l, same[i], strlen(same[i])) == 0) {
      static __thread char name[64];
      for (size_t k = 0; k <= n; k++)
        name[k] = (char)toupper((unsigned char)l[k]);
      iconv_t cd = iconv_open("UTF-8", name);
      if (cd == (iconv_t)-1)
        return NULL;
      iconv_close(cd);
      return name;
    }
  }
  return NULL;
}

/* charset=... inside a Content-Type value (or a meta content attribute). */
static const char *charset_from_content_type(const char *ct, size_t n, bool *utf8)
{
  for (size_t i = 0; i + 7 <= n; i++) {
    if (strncasecmp(ct + i, "charset", 7) != 0)
      continue;
    size_t j = i + 7;
    while (j < n && isspace((unsigned char)ct[j]))
      j++;
    if (j >= n || ct[j] != '=')
      continue;
    j++;
    while (j < n && (isspace((unsigned char)ct[j]) || ct[j] == '"' || ct[j] == '\''))
      j++;
    size_t k = j;
    while (k < n && ct[k] != ';' && ct[k] != '"' && ct[k] != '\'' && !isspace((unsigned char)ct[k]))
      k++;
    return charset_from_label(ct + j, k - j, utf8);
  }
  return NULL;
}

/* Finds attribute `name` inside a tag body [p, end); returns its value span. */
static bool tag_attr(const char *p, const char *end, const char *name, const char **val,
                     size_t *vlen)
{
  size_t nl = strlen(name);
  while (p < end) {
    while (p < end && (isspace((unsigned char)*p) || *p == '/'))
      p++;
    const char *an = p;
    while (p < end && !isspace((unsigned char)*p) && *p != '=' && *p != '>' && *p != '/')
      p++;
    size_t alen = (size_t)(p - an);
    while (p < end && isspace((unsigned char)*p))
      p++;
    const char *v = NULL;
    size_t vl = 0;
    if (p < end && *p == '=') {
      p++;
      while (p < end && isspace((unsigned char)*p))
        p++;
      if (p < end && (*p == '"' || *p == '\'')) {
        char q = *p++;
        v = p;
        while (p < end && *p != q)
          p++;
        vl = (size_t)(p - v);
        if (p < end)
          p++;
      } else {
        v = p;
        while (p < end && !isspace((unsigned char)*p) && *p != '>')
          p++;
        vl = (size_t)(p - v);
      }
    }
    if (alen == nl && strncasecmp(an, name, nl) == 0) {
      *val = v ? v : "";
      *vlen = vl;
      return true;
    }
    if (alen == 0 && v == NULL)
      p++;
  }
  return false;
}

/* The WHATWG meta prescan, simplified: comments are skipped, <meta> tags are examined. */
static const char *charset_from_meta(const char *s, size_t n, bool *utf8)
{
  size_t lim = n < PRESCAN_BYTES ? n : PRESCAN_BYTES;
  const char *end = s + lim;
  const char *p = s;
  while (p < end) {
    const char *lt = memchr(p, '<', (size_t)(end - p));
    if (!lt)
      break;
    if (end - lt >= 4 && memcmp(lt, "<!--", 4) == 0) {
      const char *q = lt + 4;
      const char *close = NULL;
      for (; q + 3 <= end; q++) {
        if (memcmp(q, "-->", 3) == 0) {
          close = q + 3;
          break;
        }
      }
      if (!close)
        break;
      p = close;
      continue;
    }
    if (end - lt >= 6 && strncasecmp(lt + 1, "meta", 4) == 0 &&
        (isspace((unsigned char)lt[5]) || lt[5] == '/')) {
      const char *gt = memchr(lt, '>', (size_t)(end - lt));
      if (!gt)
        break;
      const char *v;
      size_t vl;
      if (tag_attr(lt + 5, gt, "charset", &v, &vl)) {
        const char *cs = charset_from_label(v, vl, utf8);
        if (cs)
          return cs;
      }
      if (tag_attr(lt + 5, gt, "http-equiv", &v, &vl) && vl == 12 &&
          strncasecmp(v, "content-type", 12) == 0 && tag_attr(lt + 5, gt, "content", &v, &vl)) {
        const char *cs = charset_from_content_type(v, vl, utf8);
        if (cs)
          return cs;
      }
      p = gt + 1;
      continue;
    }
    p = lt + 1;
  }
  return NULL;
}

/* ---- UTF-8 -------------------------------------------------------------------------------- */

/* Pure ASCII without NULs: what any ASCII-compatible charset decodes to itself. */
static bool ascii_clean(const unsigned char *s, size_t n)
{
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    if ((w & 0x8080808080808080ull) || ((w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull))
      return false;
  }
  for (; i < n; i++)
    if (s[i] == 0 || s[i] >= 0x80)
      return false;
  return true;
}

/* Single-byte charsets whose bytes below 0x80 are ASCII (so pure-ASCII input needs no
 * conversion). Multi-byte and stateful ones (Shift_JIS, ISO-2022-JP, ...), EBCDIC code pages
 * and UTF-16 are not listed. */
static bool ascii_superset(const char *iconv_name)
{
  return strncmp(iconv_name, "WINDOWS-", 8) == 0 || strncmp(iconv_name, "ISO-8859-", 9) == 0 ||
         strncmp(iconv_name, "KOI8", 4) == 0 || strncmp(iconv_name, "CP125", 5) == 0;
}

static riptide_err clean_result(const unsigned char *s, size_t len, unsigned char *writable,
                                char **out, size_t *out_len);

/* Copies UTF-8, replacing invalid bytes and NULs with U+FFFD. */
static riptide_err utf8_repair(const unsigned char *s, size_t n, char **out, size_t *out_len)
{
  if (n > (SIZE_MAX - 1) / 3)
    return RIPTIDE_ERR_INPUT_TOO_LARGE;
  if (rt_utf8_check(s, n, true))
    return clean_result(s, n, NULL, out, out_len);
  /* Exact size first: most inputs are valid, so the copy is the input's size. */
  size_t need = 0;
  for (size_t i = 0; i < n;) {
    size_t k = rt_utf8_seq_len(s + i, n - i);
    if (k == 0 || (k == 1 && s[i] == 0)) {
      need += 3;
      i++;
    } else {
      need += k;
      i += k;
    }
  }
  char *buf = malloc(need + 1);
  if (!buf)
    return RIPTIDE_ERR_NOMEM;
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    size_t k = rt_utf8_seq_len(s + i, n - i);
    if (k == 0 || (k == 1 && s[i] == 0)) {
      memcpy(buf + o, "\xEF\xBF\xBD", 3);
      o += 3;
      i++;
    } else {
      memcpy(buf + o, s + i, k);
      o += k;
      i += k;
    }
  }
  buf[o] = '\0';
  *out = buf;
  *out_len = o;
  return RIPTIDE_OK;
}

/* Undeclared text that is UTF-8 with some damage: at least as many well-formed multi-byte
 * sequences as bytes that are not UTF-8, or no bad byte at all but a sequence cut short at the
 * very end (a read or a transfer stopped inside a character). windows-1252 text almost never
 * forms a valid multi-byte sequence (a lead byte C2-F4 followed by the right number of 80-BF
 * bytes is rare in Latin prose: "Ã©" and the like), while each of its accented letters is an
 * invalid byte, so real windows-1252 stays far on the other side of the line. */
static bool mostly_utf8(const unsigned char *s, size_t n)
{
  size_t multi = 0, bad = 0;
  for (size_t i = 0; i < n;) {
    size_t k = rt_utf8_seq_len(s + i, n - i);
    if (k > 1) {
      multi++;
      i += k;
      continue;
    }
    if (k == 1) {
      i++;
      continue;
    }
    /* A lead byte whose continuation bytes run into the end of the input: cut short. */
    size_t want = s[i] >= 0xF0 && s[i] <= 0xF4   ? 4
                  : s[i] >= 0xE0 && s[i] <= 0xEF ? 3
                  : s[i] >= 0xC2 && s[i] <= 0xDF ? 2
                                                 : 0;
    if (want && n - i < want) {
      size_t j = i + 1;
      while (j < n && (s[j] & 0xC0) == 0x80)
        j++;
      if (j == n)
        break;
    }
    bad++;
    i++;
  }
  return bad == 0 || multi >= bad;
}

/* ---- iconv -------------------------------------------------------------------------------- */

static riptide_err convert(const char *from, const unsigned char *s, size_t n, uint64_t cap,
                           char **out, size_t *out_len)
{
  iconv_t cd = iconv_open("UTF-8", from);
  if (cd == (iconv_t)-1)
    return RIPTIDE_ERR_DECODE;
  /* Output cap: 4 bytes of UTF-8 per input byte is the worst case of any charset here; the
   * caller's cap bounds it too (max_bytes applies to the decoded text as well). */
  size_t size = n * 2 + 16;
  unsigned char *buf = malloc(size);
  if (!buf) {
    iconv_close(cd);
    return RIPTIDE_ERR_NOMEM;
  }
  char *in = (char *)s;
  size_t in_left = n;
  size_t used = 0;
  riptide_err err = RIPTIDE_OK;
  while (in_left > 0) {
    /* Keep 4 bytes out of iconv's reach: room for one U+FFFD and the NUL. After a U+FFFD
     * fewer may be left; growing first keeps the subtraction from wrapping. */
    bool grow = size - used < 8;
    if (!grow) {
      char *op = (char *)buf + used;
      size_t out_left = size - used - 4;
      size_t rc = iconv(cd, &in, &in_left, &op, &out_left);
      used = (size_t)((unsigned char *)op - buf);
      if (rc != (size_t)-1)
        break;
      grow = errno == E2BIG;
    }
    if (grow) {
      if (size > cap * 4 + 64 || size > SIZE_MAX / 2) {
        err = RIPTIDE_ERR_INPUT_TOO_LARGE;
        break;
      }
      size_t nsize = size * 2;
      unsigned char *nb = realloc(buf, nsize);
      if (!nb) {
        err = RIPTIDE_ERR_NOMEM;
        break;
      }
      buf = nb;
      size = nsize;
    } else if (errno == EILSEQ || errno == EINVAL) {
      /* Invalid or truncated sequence: U+FFFD, skip one byte, resynchronise. */
      memcpy(buf + used, "\xEF\xBF\xBD", 3);
      used += 3;
      in++;
      in_left--;
      iconv(cd, NULL, NULL, NULL, NULL);
    } else {
      err = RIPTIDE_ERR_DECODE;
      break;
    }
  }
  iconv_close(cd);
  if (err != RIPTIDE_OK) {
    free(buf);
    return err;
  }
  /* iconv may pass NULs through; repair them (and anything odd) in one more pass. The loop
   * above always keeps 4 bytes free, so a clean result is returned as it is. */
  if (rt_utf8_check(buf, used, true)) {
    buf[used] = '\0';
    *out = (char *)buf;
    *out_len = used;
    return RIPTIDE_OK;
  }
  char *fixed;
  size_t flen;
  err = utf8_repair(buf, used, &fixed, &flen);
  free(buf);
  if (err != RIPTIDE_OK)
    return err;
  *out = fixed;
  *out_len = flen;
  return RIPTIDE_OK;
}

/* ---- sniffing ----------------------------------------------------------------------------- */

/* "UTF-16LE"/"UTF-16BE" when the prefix looks like BOM-less UTF-16 of mostly ASCII text. */
static const char *guess_utf16(const unsigned char *s, size_t n)
{
  size_t lim = n < 512 ? n : 512;
  lim &= ~(size_t)1;
  if (lim < 8)
    return NULL;
  size_t even0 = 0, odd0 = 0;
  for (size_t i = 0; i < lim; i += 2) {
    even0 += s[i] == 0;
    odd0 += s[i + 1] == 0;
  }
  size_t pairs = lim / 2;
  if (odd0 * 10 >= pairs * 9 && even0 * 10 <= pairs)
    return "UTF-16LE";
  if (even0 * 10 >= pairs * 9 && odd0 * 10 <= pairs)
    return "UTF-16BE";
  return NULL;
}

static bool looks_binary(const unsigned char *s, size_t n)
{
  size_t lim = n < SNIFF_BYTES ? n : SNIFF_BYTES;
  size_t nul = 0, ctrl = 0;
  for (size_t i = 0; i < lim; i++) {
    unsigned char c = s[i];
    if (c == 0)
      nul++;
    else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b)
      ctrl++;
  }
  /* A few stray NULs occur in real pages; a binary file has many NULs or control bytes. */
  return (nul >= 4 && nul * 100 > lim * 2) || (ctrl >= 8 && ctrl * 100 > lim * 10);
}

/* The result when s[0..len) is already clean UTF-8: in place when the bytes live in a buffer
 * this call may write (`writable`, which s points into, with room for the NUL), else a copy. */
static riptide_err clean_result(const unsigned char *s, size_t len, unsigned char *writable,
                                char **out, size_t *out_len)
{
  if (writable) {
    if (s != writable)
      memmove(writable, s, len); /* a BOM was skipped */
    writable[len] = '\0';
    *out = (char *)writable;
    *out_len = len;
    return RIPTIDE_OK;
  }
  char *copy = malloc(len + 1);
  if (!copy)
    return RIPTIDE_ERR_NOMEM;
  memcpy(copy, s, len);
  copy[len] = '\0';
  *out = copy;
  *out_len = len;
  return RIPTIDE_OK;
}

/* Both entry points. `writable` is data when the caller lets the result be built in place,
 * NULL otherwise. */
static riptide_err decode(const unsigned char *data, size_t len, const char *content_type,
                          uint64_t max_bytes, unsigned char *writable, char **out, size_t *out_len)
{
  *out = NULL;
  *out_len = 0;
  if (max_bytes == 0)
    max_bytes = RT_DEFAULT_MAX_INPUT;
  /* Larger limits mean "no limit": clamped so that the arithmetic on them (x 4 for the
   * converted text, + 1 for the NUL) cannot wrap. */
  if (max_bytes > RT_DECODE_MAX_LIMIT)
    max_bytes = RT_DECODE_MAX_LIMIT;
  if (len > max_bytes)
    return RIPTIDE_ERR_INPUT_TOO_LARGE;
  if (!data)
    data = (const unsigned char *)""; /* len is 0: the empty page, without memcpy(NULL) */
  const unsigned char *s = data;
  unsigned char *inflated = NULL;
  if (len >= 2 && s[0] == 0x1f && s[1] == 0x8b) {
    size_t ilen;
    riptide_err err = gunzip(s, len, max_bytes, &inflated, &ilen);
    if (err != RIPTIDE_OK)
      return err;
    s = inflated;
    len = ilen;
    writable = inflated; /* ours: it becomes the result when nothing else needs changing */
  }

  bool utf8 = false;
  const char *cs = NULL;
  if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
    cs = "UTF-8", utf8 = true, s += 3, len -= 3;
  } else if (len >= 2 && s[0] == 0xFF && s[1] == 0xFE) {
    cs = "UTF-16LE", s += 2, len -= 2;
  } else if (len >= 2 && s[0] == 0xFE && s[1] == 0xFF) {
    cs = "UTF-16BE", s += 2, len -= 2;
  }
  if (!cs && content_type)
    cs = charset_from_content_type(content_type, strlen(content_type), &utf8);
  if (!cs)
    cs = guess_utf16(s, len);
  if (!cs) {
    if (looks_binary(s, len)) {
      free(inflated);
      return RIPTIDE_ERR_BAD_INPUT;
    }
    cs = charset_from_meta((const char *)s, len, &utf8);
    /* A page cannot declare UTF-16 in its own (ASCII-compatible) bytes: read it as UTF-8. */
    if (cs && strncmp(cs, "UTF-16", 6) == 0)
      cs = "UTF-8", utf8 = true;
  }
  /* One scan decides the common case: clean UTF-8 (declared, or undeclared and valid), or
   * pure ASCII in an ASCII-compatible charset, is the result as it is. */
  bool clean = false;
  if (!cs || utf8)
    clean = rt_utf8_check(s, len, true);
  else if (ascii_superset(cs))
    clean = ascii_clean(s, len);
  riptide_err err;
  if (clean) {
    err = clean_result(s, len, writable, out, out_len);
    if (err == RIPTIDE_OK && *out == (char *)inflated)
      inflated = NULL; /* now the caller's */
  } else {
    if (!cs) {
      /* Undeclared: UTF-8 with NULs, a few stray bytes or a last character cut short is
       * still UTF-8 (the bad bytes are replaced); anything else is read as windows-1252. */
      if (mostly_utf8(s, len))
        cs = "UTF-8", utf8 = true;
      else
        cs = "WINDOWS-1252";
    }
    if (utf8)
      err = utf8_repair(s, len, out, out_len);
    else
      err = convert(cs, s, len, max_bytes, out, out_len);
  }
  free(inflated);
  if (err == RIPTIDE_OK && *out_len > max_bytes * 4) {
    if (*out != (char *)data)
      free(*out);
    *out = NULL;
    *out_len = 0;
    err = RIPTIDE_ERR_INPUT_TOO_LARGE;
  }
  return err;
}

riptide_err riptide_decode_input(const void *data, size_t len, const char *content_type,
                                 uint64_t max_bytes, char **out, size_t *out_len)
{
  rt_error_detail_clear();
  if (!out || !out_len || (!data && len > 0))
    return RIPTIDE_ERR_INVALID_ARG;
  riptide_err err = decode(data, len, content_type, max_bytes, NULL, out, out_len);
  if (err == RIPTIDE_ERR_INPUT_TOO_LARGE)
    rt_error_detail_set("input of %zu bytes (or its gunzipped form) exceeds max_bytes (%llu)", len,
                        (unsigned long long)max_bytes);
  else if (err == RIPTIDE_ERR_DECODE)
    rt_error_detail_set("input of %zu bytes could not be decoded (corrupt gzip or charset)", len);
  return err;
}

riptide_err riptide_decode_input_inplace(char *buf, size_t len, const char *content_type,
                                         uint64_t max_bytes, char **out, size_t *out_len)
{
  if (!out || !out_len || !buf)
    return RIPTIDE_ERR_INVALID_ARG;
  return decode((const unsigned char *)buf, len, content_type, max_bytes, (unsigned char *)buf, out,
                out_len);
}
