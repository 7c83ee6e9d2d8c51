/*
 * request.c - one extraction request, from its body and options to a response body: decode
 * (charset, gzip), fetch when the client gave a URL (public addresses only unless
 * --allow-private-fetch), extract through the pool, and format. Runs on worker threads only;
 * nothing here touches a connection.
 *
 * The JSON document is written by riptide_document_to_json(doc, id, pretty) followed by a
 * newline: exactly what `riptide extract -f json` prints for the same page (tests/serve
 * checks the bytes), so there is one schema everywhere.
 */
#include "serve/serve.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <strings.h>

void srv_params_init(srv_params *p, const srv_config *c)
{
  memset(p, 0, sizeof *p);
  p->opts = c->opts;
  p->opts.selector = NULL;
  p->format = SRV_FMT_JSON;
}

void srv_params_clear(srv_params *p)
{
  free(p->selector);
  free(p->url);
  free(p->id);
  p->selector = p->url = p->id = NULL;
  p->opts.selector = NULL;
}

static char *dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

void srv_params_copy(srv_params *dst, const srv_params *src)
{
  *dst = *src;
  dst->selector = dup_or_null(src->selector);
  dst->url = dup_or_null(src->url);
  dst->id = dup_or_null(src->id);
  dst->opts.selector = dst->selector;
}

static bool parse_bool(const char *v, bool *out)
{
  if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes") || !*v)
    *out = true;
  else if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no"))
    *out = false;
  else
    return false;
  return true;
}

static bool replace(char **field, const char *v)
{
  char *c = strdup(v);
  if (!c)
    return false;
  free(*field);
  *field = c;
  return true;
}

bool srv_params_set(srv_params *p, const char *key, const char *v, char *msg, size_t mlen)
{
  if (!v)
    v = "";
  if (!strcmp(key, "mode")) {
    if (riptide_mode_parse(v, &p->opts.mode) != RIPTIDE_OK) {
      snprintf(msg, mlen, "unknown mode '%.64s' (article, full, metadata, custom)", v);
      return false;
    }
    p->mode_set = true;
  } else if (!strcmp(key, "selector")) {
    if (!replace(&p->selector, v))
      goto nomem;
    p->opts.selector = p->selector;
  } else if (!strcmp(key, "format")) {
    if (!strcmp(v, "json"))
      p->format = SRV_FMT_JSON;
    else if (!strcmp(v, "markdown") || !strcmp(v, "md"))
      p->format = SRV_FMT_MARKDOWN;
    else if (!strcmp(v, "text") || !strcmp(v, "txt"))
      p->format = SRV_FMT_TEXT;
    else if (!strcmp(v, "html")) {
      p->format = SRV_FMT_HTML;
      p->opts.want_html = true;
    } else {
      snprintf(msg, mlen, "unknown format '%.64s' (json, markdown, text, html)", v);
      return false;
    }
  } else if (!strcmp(key, "links") || !strcmp(key, "images") || !strcmp(key, "html") ||
             !strcmp(key, "tables")) {
    bool b;
    if (!parse_bool(v, &b)) {
      snprintf(msg, mlen, "option %s wants true or false, not '%.64s'", key, v);
      return false;
    }
    if (key[0] == 'l')
      p->opts.want_links = b;
    else if (key[0] == 'i')
      p->opts.want_media = b;
    else if (key[0] == 't')
      p->opts.want_tables = b;
    else
      p->opts.want_html = b;
  } else if (!strcmp(key, "timeout_ms")) {
    char *end;
    unsigned long t = strtoul(v, &end, 10);
    if (end == v || *end || t < 1 || t > 600000) {
      snprintf(msg, mlen, "timeout_ms wants a number from 1 to 600000, not '%.64s'", v);
      return false;
    }
    p->timeout_ms = (uint32_t)t;
  } else if (!strcmp(key, "url")) {
    if (!replace(&p->url, v))
      goto nomem;
  } else if (!strcmp(key, "id")) {
    if (!replace(&p->id, v))
      goto nomem;
  } else {
    snprintf(msg, mlen, "unknown option '%.64s'", key);
    return false;
  }
  return true;
nomem:
  snprintf(msg, mlen, "out of memory");
  return false;
}

bool srv_params_check(srv_params *p, char *msg, size_t mlen)
{
  if (p->selector && !p->mode_set)
    p->opts.mode = RIPTIDE_MODE_CUSTOM;
  if (p->opts.mode == RIPTIDE_MODE_CUSTOM && (!p->selector || !*p->selector)) {
    snprintf(msg, mlen, "mode custom needs a selector");
    return false;
  }
  if (p->selector && p->opts.mode != RIPTIDE_MODE_CUSTOM) {
    snprintf(msg, mlen, "selector works with mode custom only");
    return false;
  }
  if (p->url && strncasecmp(p->url, "http://", 7) != 0 && strncasecmp(p->url, "https://", 8) != 0) {
    snprintf(msg, mlen, "url must be an http:// or https:// URL");
    return false;
  }
  return true;
}

/* JSON options object -> params (values may be strings, booleans or numbers). */
static bool params_from_json(srv_params *p, json_t *o, char *msg, size_t mlen)
{
  if (!json_is_object(o)) {
    snprintf(msg, mlen, "\"options\" must be an object");
    return false;
  }
  const char *key;
  json_t *v;
  json_object_foreach(o, key, v)
  {
    char tmp[32];
    const char *s;
    if (json_is_string(v))
      s = json_string_value(v);
    else if (json_is_boolean(v))
      s = json_is_true(v) ? "true" : "false";
    else if (json_is_integer(v)) {
      snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
      s = tmp;
    } else {
      snprintf(msg, mlen, "option %.64s has a value of the wrong type", key);
      return false;
    }
    if (!strcmp(key, "url") || !strcmp(key, "id")) {
      snprintf(msg, mlen, "%s belongs at the top level, not in options", key);
      return false;
    }
    if (!srv_params_set(p, key, s, msg, mlen))
      return false;
  }
  return true;
}

void srv_error_body(cli_buf *b, const char *code, const char *message)
{
  cli_buf_puts(b, "{\"error\":{\"code\":");
  cli_json_string(b, code);
  cli_buf_puts(b, ",\"message\":");
  cli_json_string(b, message);
  cli_buf_puts(b, "}}\n");
}

/* The CLI's jsonl error line: {"id", "error": {"code", "message"}}. */
void srv_error_line(cli_buf *b, const char *id, const char *code, const char *message)
{
  cli_buf_puts(b, "{\"id\":");
  cli_json_string(b, id ? id : "?");
  cli_buf_puts(b, ",\"error\":{\"code\":");
  cli_json_string(b, code);
  cli_buf_puts(b, ",\"message\":");
  cli_json_string(b, message);
  cli_buf_puts(b, "}}\n");
}

static void fail(srv_result *r, bool line, const char *id, unsigned status, const char *code,
                 const char *message, unsigned retry_after)
{
  r->body.len = 0;
  r->body.failed = false;
  r->status = status;
  r->error_code = code;
  r->retry_after = retry_after;
  r->mime = line ? "application/x-ndjson" : "application/json";
  if (line)
    srv_error_line(&r->body, id, code, message);
  else
    srv_error_body(&r->body, code, message);
}

/* HTTP status of a library error. */
static unsigned status_of(riptide_err e, unsigned *retry_after)
{
  *retry_after = 0;
  switch (e) {
  case RIPTIDE_ERR_INVALID_ARG:
  case RIPTIDE_ERR_UNSUPPORTED:
  case RIPTIDE_ERR_SELECTOR:
    return 400;
  case RIPTIDE_ERR_INPUT_TOO_LARGE:
    return 413;
  case RIPTIDE_ERR_POOL_EXHAUSTED:
  case RIPTIDE_ERR_CIRCUIT_OPEN:
  case RIPTIDE_ERR_SHUTDOWN:
    *retry_after = 1;
    return 503;
  case RIPTIDE_ERR_FETCH:
    return 502;
  case RIPTIDE_ERR_NOMEM:
  case RIPTIDE_ERR_IO:
  case RIPTIDE_ERR_ABI_MISMATCH:
  case RIPTIDE_ERR_INSTANTIATE:
  case RIPTIDE_ERR_INTERNAL:
    return 500;
  default: /* the page itself could not be extracted: bad input, limits, guest failures */
    return 422;
  }
}

static void fail_err(srv_result *r, bool line, const char *id, riptide_err e, const char *detail)
{
  unsigned ra;
  unsigned st = status_of(e, &ra);
  fail(r, line, id, st, riptide_err_name(e), detail && *detail ? detail : riptide_strerror(e), ra);
}

/* ---- the "html" member without jansson -------------------------------------------------------
 * A JSON body is mostly its "html" string (a page, often hundreds of KB), and jansson reads a
 * string a byte at a time through its stream layer: for a batch of pages that was half of the
 * server's CPU. So the top-level "html" string is found and decoded here, and jansson parses
 * the rest, with that value replaced by "" (it still checks the whole object: duplicate keys,
 * types, options). Anything unusual (an escape jansson would reject, bad UTF-8, a second
 * "html" key, a key written with escapes) makes these decline, and the body is parsed whole by
 * jansson as before, which reports the error. */

static bool json_ws(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* *i at an opening quote: past the closing one. */
static bool skip_string(const char *p, size_t n, size_t *i)
{
  size_t from = *i + 1, j = from;
  while (j < n) {
    const char *q = memchr(p + j, '"', n - j);
    if (!q)
      return false;
    size_t k = (size_t)(q - p), bs = 0;
    while (k - bs > from && p[k - bs - 1] == '\\')
      bs++;
    if (bs % 2 == 0) {
      *i = k + 1;
      return true;
    }
    j = k + 1;
  }
  return false;
}

static int hex4(const unsigned char *s)
{
  int v = 0;
  for (int k = 0; k < 4; k++) {
    int c = s[k], d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return -1;
    v = v * 16 + d;
  }
  return v;
}

/* Length of the valid UTF-8 sequence at s (1-4), 0 when invalid (as jansson: no overlongs,
 * no surrogates, nothing past U+10FFFF). */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
  unsigned c = s[0];
  size_t k;
  unsigned cp;
  if (c >= 0xC2 && c <= 0xDF)
    k = 2, cp = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF)
    k = 3, cp = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4)
    k = 4, cp = c & 0x07;
  else
    return 0;
  if (n < k)
    return 0;
  for (size_t j = 1; j < k; j++) {
    if ((s[j] & 0xC0) != 0x80)
      return 0;
    cp = cp << 6 | (s[j] & 0x3F);
  }
  if ((k == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
      (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
    return 0;
  return k;
}

/* Copies the plain string content at s, up to n bytes, to out and returns its length: it stops
 * at the first byte >= 0x80, < 0x20, a backslash or a quote. It scans and copies in one pass,
 * sixteen bytes at a time where SSE2 is there (every x86-64), eight otherwise, so it may write
 * up to 15 bytes past the returned length, never past out[n - 1]: out must not overlap s. */
static size_t copy_plain(const unsigned char *s, size_t n, char *out)
{
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i bs = _mm_set1_epi8('\\'), q = _mm_set1_epi8('"'), ctl = _mm_set1_epi8(0x1F);
  while (i + 16 <= n) {
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
    _mm_storeu_si128((__m128i *)(void *)(out + i), v);
    __m128i bad = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, bs), _mm_cmpeq_epi8(v, q)),
                               _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v));
    unsigned m = (unsigned)_mm_movemask_epi8(bad) | (unsigned)_mm_movemask_epi8(v);
    if (m)
      return i + (size_t)__builtin_ctz(m);
    i += 16;
  }
#endif
  const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
  while (i + 8 <= n) {
    uint64_t w, x, y;
    memcpy(&w, s + i, 8);
    x = w ^ (ones * 0x5C);
    y = w ^ (ones * 0x22);
    if ((w & high) || ((w - ones * 0x20) & ~w & high) || ((x - ones) & ~x & high) ||
        ((y - ones) & ~y & high))
      break;
    memcpy(out + i, &w, 8);
    i += 8;
  }
  while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '\\' && s[i] != '"') {
    out[i] = (char)s[i];
    i++;
  }
  return i;
}

/* The character a two-byte escape \\X stands for, 0 where X does not make one. */
static const char SIMPLE_ESCAPE[256] = {
    ['"'] = '"',  ['\\'] = '\\', ['/'] = '/',  ['b'] = '\b',
    ['f'] = '\f', ['n'] = '\n',  ['r'] = '\r', ['t'] = '\t',
};

/* Decodes the JSON string whose content starts at s (just past its opening quote) into out,
 * up to its closing quote: *used is the content's length (the quote is at s[*used]), *olen the
 * decoded length (<= *used). out holds n bytes (copy_plain may write ahead of what it keeps,
 * but never past the input's length, which the output never exceeds) and does not overlap s.
 * False where jansson would refuse it, or with no closing quote. */
static bool json_unescape(const unsigned char *s, size_t n, char *out, size_t *olen, size_t *used)
{
  size_t i = 0, o = 0;
  while (i < n) {
    size_t k = copy_plain(s + i, n - i, out + o);
    i += k;
    o += k;
    if (i >= n)
      break;
    unsigned char c = s[i];
    if (c == '"') {
      *used = i;
      *olen = o;
      return true;
    }
    if (c >= 0x80) {
      size_t u = utf8_seq(s + i, n - i);
      if (!u)
        return false;
      memcpy(out + o, s + i, u);
      o += u;
      i += u;
    } else if (c != '\\' || i + 1 >= n) {
      return false; /* a control character, or a lone backslash */
    } else {
      unsigned char e = s[i + 1];
      char simple = SIMPLE_ESCAPE[e]; /* a table: a chain of tests mispredicts on mixed text */
      if (simple) {
        out[o++] = simple;
        i += 2;
        continue;
      }
      if (e != 'u' || i + 6 > n)
        return false;
      int cp = hex4(s + i + 2);
      i += 6;
      if (cp <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
        return false; /* \u0000, or a lone low surrogate */
      if (cp >= 0xD800 && cp <= 0xDBFF) {
        int lo = i + 6 <= n && s[i] == '\\' && s[i + 1] == 'u' ? hex4(s + i + 2) : -1;
        if (lo < 0xDC00 || lo > 0xDFFF)
          return false;
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        i += 6;
      }
      if (cp < 0x80) {
        out[o++] = (char)cp;
      } else if (cp < 0x800) {
        out[o++] = (char)(0xC0 | cp >> 6);
        out[o++] = (char)(0x80 | (cp & 0x3F));
      } else if (cp < 0x10000) {
        out[o++] = (char)(0xE0 | cp >> 12);
        out[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[o++] = (char)(0x80 | (cp & 0x3F));
      } else {
        out[o++] = (char)(0xF0 | cp >> 18);
        out[o++] = (char)(0x80 | (cp >> 12 & 0x3F));
        out[o++] = (char)(0x80 | (cp >> 6 & 0x3F));
        out[o++] = (char)(0x80 | (cp & 0x3F));
      }
    }
  }
  return false; /* no closing quote */
}

/* Finds the top-level "html" member's string value, p[*vs, *ve) with its quotes, and decodes
 * it into *html (malloc'd, NUL-terminated, *hlen bytes) in the same pass: the value is read
 * once, not scanned for its end and then decoded. False, with nothing allocated, to decline. */
static bool find_html(const char *p, size_t n, size_t *vs, size_t *ve, char **html, size_t *hlen)
{
  size_t i = 0;
  int depth = 0;
  bool key = false;
  char *h = NULL;
  while (i < n) {
    char c = p[i];
    if (c == '"') {
      if (depth < 1)
        goto decline;
      size_t st = i;
      if (!skip_string(p, n, &i))
        goto decline;
      if (depth == 1 && key) {
        key = false;
        bool is_html = i - st == 6 && memcmp(p + st, "\"html\"", 6) == 0;
        size_t k = i;
        while (k < n && json_ws(p[k]))
          k++;
        if (k >= n || p[k] != ':')
          goto decline;
        k++;
        while (k < n && json_ws(p[k]))
          k++;
        if (is_html && k < n && p[k] == '"') {
          size_t used;
          if (h || !(h = malloc(n - k)) ||
              !json_unescape((const unsigned char *)p + k + 1, n - k - 1, h, hlen, &used))
            goto decline;
          h[*hlen] = '\0';
          *vs = k;
          *ve = k + used + 2;
          k = *ve;
        }
        i = k;
      }
      continue;
    }
    if (c == '{' || c == '[') {
      if (depth == 0 && c != '{')
        goto decline;
      if (++depth == 1)
        key = true;
    } else if (c == '}' || c == ']') {
      depth--;
    } else if (c == ',' && depth == 1) {
      key = true;
    } else if (depth == 0 && !json_ws(c)) {
      goto decline;
    }
    i++;
  }
  if (!h)
    return false;
  *html = h;
  return true;
decline:
  free(h);
  return false;
}

/* See serve.h: the body with its "html" string taken out and decoded, and the rest with ""
 * in its place. */
uint32_t srv_wait_bound_ms(const srv *s, const srv_params *p)
{
  return p->timeout_ms && p->timeout_ms < s->cfg.max_wait_ms ? p->timeout_ms : s->cfg.max_wait_ms;
}

bool srv_json_split(const char *body, size_t len, srv_split *out)
{
  memset(out, 0, sizeof *out);
  size_t vs, ve;
  char *h;
  if (!find_html(body, len, &vs, &ve, &h, &out->hlen))
    return false;
  char *r = malloc(len - (ve - vs) + 2);
  if (!r) {
    free(h);
    out->hlen = 0;
    return false;
  }
  memcpy(r, body, vs);
  memcpy(r + vs, "\"\"", 2);
  memcpy(r + vs + 2, body + ve, len - ve);
  out->rlen = len - (ve - vs) + 2;
  out->html = h;
  out->rest = r;
  return true;
}

void srv_split_free(srv_split *sp)
{
  free(sp->html);
  free(sp->rest);
  memset(sp, 0, sizeof *sp);
}

void srv_run(srv *s, srv_body_kind kind, const char *body, size_t len, srv_split *pre,
             const char *content_type, const srv_params *base, bool line, const char *line_id,
             uint64_t waited_ns, srv_result *r)
{
  memset(r, 0, sizeof *r);
  srv_params p;
  srv_params_copy(&p, base);
  char msg[512] = "";
  char *decoded = NULL;
  size_t dlen = 0;
  json_t *root = NULL;
  riptide_document *doc = NULL;
  const char *id = line ? line_id : NULL;
  uint64_t max_input = s->cfg.max_input;

  /* The wait for a worker is bounded (--max-wait, or the request's timeout_ms if smaller):
   * past it the client is better served by a 503 it can retry elsewhere than by a late
   * answer. The permit wait inside the pool has the same bound. */
  if (waited_ns > (uint64_t)srv_wait_bound_ms(s, &p) * 1000000u) {
    fail(r, line, id, 503, "POOL_SATURATED", "the request waited longer than its bound", 1);
    atomic_fetch_add(&s->stats.rejected_saturated, 1);
    goto out;
  }

  if (kind == SRV_BODY_JSON) {
    json_error_t je;
    srv_split sp;
    bool split;
    if (pre && pre->rest) { /* taken apart already (batch.c): the buffers are ours now */
      sp = *pre;
      memset(pre, 0, sizeof *pre);
      split = true;
    } else {
      split = srv_json_split(body, len, &sp);
    }
    decoded = sp.html;
    dlen = sp.hlen;
    root = split ? json_loadb(sp.rest, sp.rlen, JSON_REJECT_DUPLICATES, &je)
                 : json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    free(sp.rest);
    if (!root || !json_is_object(root)) {
      snprintf(msg, sizeof msg, "body is not a JSON object%s%s", root ? "" : ": ",
               root ? "" : je.text);
      fail(r, line, id, 400, "BAD_REQUEST", msg, 0);
      goto out;
    }
    json_t *jid = json_object_get(root, "id");
    if (jid && json_is_string(jid)) {
      free(p.id);
      p.id = strdup(json_string_value(jid));
    } else if (jid && json_is_integer(jid)) {
      char tmp[32];
      snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(jid));
      free(p.id);
      p.id = strdup(tmp);
    }
    if (line && p.id)
      id = p.id;
    json_t *jurl = json_object_get(root, "url");
    if (jurl && !json_is_string(jurl)) {
      fail(r, line, id, 400, "BAD_REQUEST", "\"url\" must be a string", 0);
      goto out;
    }
    if (jurl) {
      free(p.url);
      p.url = strdup(json_string_value(jurl));
    }
    json_t *jopt = json_object_get(root, "options");
    if (jopt && !params_from_json(&p, jopt, msg, sizeof msg)) {
      fail(r, line, id, 400, "BAD_REQUEST", msg, 0);
      goto out;
    }
    json_t *jhtml = json_object_get(root, "html");
    if (jhtml && !json_is_string(jhtml)) {
      fail(r, line, id, 400, "BAD_REQUEST", "\"html\" must be a string", 0);
      goto out;
    }
    if (!jhtml && !p.url) {
      fail(r, line, id, 400, "BAD_REQUEST", "give \"html\" or \"url\"", 0);
      goto out;
    }
    if (!srv_params_check(&p, msg, sizeof msg)) {
      fail(r, line, id, 400, "BAD_REQUEST", msg, 0);
      goto out;
    }
    if (jhtml && split) { /* decoded above */
      if (dlen > max_input) {
        fail_err(r, line, id, RIPTIDE_ERR_INPUT_TOO_LARGE, "html exceeds the size limit");
        goto out;
      }
    } else if (jhtml) {
      size_t n = json_string_length(jhtml);
      if (n > max_input) {
        fail_err(r, line, id, RIPTIDE_ERR_INPUT_TOO_LARGE, "html exceeds the size limit");
        goto out;
      }
      decoded = malloc(n + 1);
      if (!decoded) {
        fail_err(r, line, id, RIPTIDE_ERR_NOMEM, NULL);
        goto out;
      }
      memcpy(decoded, json_string_value(jhtml), n);
      decoded[n] = '\0';
      dlen = n;
    } else {
      /* Fetch on the client's behalf. */
      riptide_fetch_options fo;
      riptide_fetch_options_init(&fo);
      fo.timeout_ms = p.timeout_ms ? p.timeout_ms : s->cfg.fetch_timeout_ms;
      if (fo.connect_timeout_ms > fo.timeout_ms)
        fo.connect_timeout_ms = fo.timeout_ms;
      fo.max_bytes = max_input;
      fo.public_only = !s->cfg.allow_private_fetch;
      riptide_fetch_result fr;
      uint64_t t0 = srv_now_ns();
      riptide_err e = riptide_fetch_url(p.url, &fo, &fr, msg, sizeof msg);
      r->fetch_ns = srv_now_ns() - t0;
      if (e == RIPTIDE_ERR_FETCH && strstr(msg, "(curl error 28)")) {
        fail(r, line, id, 504, "FETCH_TIMEOUT", msg, 0); /* CURLE_OPERATION_TIMEDOUT */
        goto out;
      }
      if (e == RIPTIDE_ERR_INVALID_ARG) {
        fail(r, line, id, 400, "FETCH_REFUSED", msg, 0);
        goto out;
      }
      if (e != RIPTIDE_OK) {
        fail_err(r, line, id, e, msg);
        goto out;
      }
      e = riptide_decode_input(fr.body, fr.len, fr.content_type, max_input, &decoded, &dlen);
      if (e == RIPTIDE_OK && fr.final_url && strcmp(fr.final_url, p.url) != 0) {
        free(p.url);
        p.url = fr.final_url; /* links resolve against the page's real address */
        fr.final_url = NULL;
      }
      riptide_fetch_result_clear(&fr);
      if (e != RIPTIDE_OK) {
        fail_err(r, line, id, e, "the fetched body could not be decoded");
        goto out;
      }
    }
  } else {
    if (!srv_params_check(&p, msg, sizeof msg)) {
      fail(r, line, id, 400, "BAD_REQUEST", msg, 0);
      goto out;
    }
    riptide_err e = riptide_decode_input(body, len, content_type, max_input, &decoded, &dlen);
    if (e != RIPTIDE_OK) {
      fail_err(r, line, id, e,
               e == RIPTIDE_ERR_INPUT_TOO_LARGE ? "body exceeds the size limit"
                                                : "body could not be decoded");
      goto out;
    }
  }

  if (p.format == SRV_FMT_MARKDOWN)
    p.opts.want_markdown = true;
  riptide_err e = riptide_pool_extract(s->pool, decoded, dlen, p.url, &p.opts, &doc);
  if (e != RIPTIDE_OK) {
    if (e == RIPTIDE_ERR_POOL_EXHAUSTED)
      atomic_fetch_add(&s->stats.rejected_saturated, 1);
    fail_err(r, line, id, e, NULL);
    goto out;
  }
  r->status = 200;
  r->engine = doc->engine;
  r->extract_ns = doc->extract_ns;
  if (line) {
    char *j = riptide_document_to_json(doc, id, false);
    if (!j) {
      fail_err(r, line, id, RIPTIDE_ERR_NOMEM, NULL);
      goto out;
    }
    cli_buf_puts(&r->body, j);
    cli_buf_puts(&r->body, "\n");
    free(j);
    r->mime = "application/x-ndjson";
  } else if (p.format == SRV_FMT_JSON) {
    char *j = riptide_document_to_json(doc, p.id, true);
    if (!j) {
      fail_err(r, line, id, RIPTIDE_ERR_NOMEM, NULL);
      goto out;
    }
    cli_buf_puts(&r->body, j);
    cli_buf_puts(&r->body, "\n");
    free(j);
    r->mime = "application/json";
  } else {
    const char *t = p.format == SRV_FMT_MARKDOWN ? doc->markdown
                    : p.format == SRV_FMT_TEXT   ? doc->text
                                                 : doc->html;
    cli_buf_puts(&r->body, t ? t : "");
    r->mime = p.format == SRV_FMT_MARKDOWN ? "text/markdown; charset=utf-8"
              : p.format == SRV_FMT_TEXT   ? "text/plain; charset=utf-8"
                                           : "text/html; charset=utf-8";
  }
  if (r->body.failed)
    fail_err(r, line, id, RIPTIDE_ERR_NOMEM, NULL);
out:
  if (pre)
    srv_split_free(pre); /* not taken: the request ended before its body was read */
  riptide_document_free(doc);
  json_decref(root);
  free(decoded);
  srv_params_clear(&p);
}
