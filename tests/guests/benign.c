/*
 * benign.c - the first minimal guest: title and visible text (guest ABI v1).
 *
 * Used by the sandbox tests as the well-behaved guest, and built as the "extractor" module
 * until src/guest/extract has an implementation. Test hooks in the options:
 *   secret=<s>  writes a transform of <s> into static memory and a 300 KiB heap block (kept)
 *   probe=<s>   reports, as a category "found=<n>", how many times the transform of <s>
 *               appears anywhere in linear memory, and "calls=<n>" for this instance
 * The transform (each byte + 1) keeps the host's own copy of the options from matching.
 */
#include "guest_common.h"

static rt_wire_writer g_out;
static uint32_t g_calls;
static char g_static_secret[64];
static char *volatile g_keep; /* the secret's heap block stays allocated */
static volatile uintptr_t g_mem_base = 0;

static const char g_info[] = "{\"name\":\"riptide-minimal\",\"version\":\"0.1.0\",\"abi\":1,"
                             "\"features\":[\"title\",\"text\"],\"modes\":[\"article\",\"full\"]}";

GUEST_EXPORT(riptide_abi_version) uint32_t riptide_abi_version(void)
{
  return RIPTIDE_GUEST_ABI_VERSION;
}
GUEST_EXPORT(riptide_alloc) uint32_t riptide_alloc(uint32_t n)
{
  return guest_addr(malloc(n));
}
GUEST_EXPORT(riptide_free) void riptide_free(uint32_t p)
{
  free(guest_ptr(p));
}
GUEST_EXPORT(riptide_result_ptr) uint32_t riptide_result_ptr(void)
{
  return guest_addr(g_out.buf);
}
GUEST_EXPORT(riptide_result_len) uint32_t riptide_result_len(void)
{
  return (uint32_t)g_out.len;
}
GUEST_EXPORT(riptide_info_ptr) uint32_t riptide_info_ptr(void)
{
  return guest_addr(g_info);
}
GUEST_EXPORT(riptide_info_len) uint32_t riptide_info_len(void)
{
  return (uint32_t)(sizeof g_info - 1);
}

static int lower_eq(const char *p, const char *end, const char *word)
{
  size_t n = strlen(word);
  if ((size_t)(end - p) < n)
    return 0;
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (c >= 'A' && c <= 'Z')
      c = (char)(c - 'A' + 'a');
    if (c != word[i])
      return 0;
  }
  return 1;
}

/* Appends visible text, collapsing whitespace and decoding a few entities. */
typedef struct text_buf {
  char *p;
  size_t len, cap;
  int space;
} text_buf;

static int tb_put(text_buf *t, char c)
{
  if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f') {
    t->space = t->len > 0;
    return 1;
  }
  if (t->len + 2 > t->cap) {
    size_t cap = t->cap ? t->cap * 2 : 256;
    char *np = realloc(t->p, cap);
    if (!np)
      return 0;
    t->p = np;
    t->cap = cap;
  }
  if (t->space) {
    t->p[t->len++] = ' ';
    t->space = 0;
  }
  t->p[t->len++] = c;
  return 1;
}

static const char *put_entity(text_buf *t, const char *p, const char *end, int *ok)
{
  static const struct {
    const char *name;
    char c;
  } ents[] = {{"&amp;", '&'},  {"&lt;", '<'},   {"&gt;", '>'},
              {"&quot;", '"'}, {"&#39;", '\''}, {"&nbsp;", ' '}};
  for (size_t i = 0; i < sizeof ents / sizeof ents[0]; i++) {
    size_t n = strlen(ents[i].name);
    if ((size_t)(end - p) >= n && memcmp(p, ents[i].name, n) == 0) {
      *ok = tb_put(t, ents[i].c);
      return p + n;
    }
  }
  *ok = tb_put(t, '&');
  return p + 1;
}

static uint32_t word_count(const char *s, size_t n)
{
  uint32_t w = 0;
  int in = 0;
  for (size_t i = 0; i < n; i++) {
    int sp = s[i] == ' ';
    if (!sp && !in)
      w++;
    in = !sp;
  }
  return w;
}

static void put_u32_cat(const char *key, uint32_t v)
{
  char b[32];
  size_t n = strlen(key);
  memcpy(b, key, n);
  char d[12];
  int k = 0;
  do {
    d[k++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  while (k)
    b[n++] = d[--k];
  rt_wire_put_str(&g_out, RT_F_CATEGORY, b, n);
}

static void transform(char *dst, const char *src, size_t n)
{
  for (size_t i = 0; i < n; i++)
    dst[i] = (char)(src[i] + 1);
}

GUEST_EXPORT(riptide_extract)
uint32_t riptide_extract(uint32_t html, uint32_t html_len, uint32_t url, uint32_t url_len,
                         uint32_t mode, uint32_t opts, uint32_t opts_len)
{
  (void)url;
  (void)url_len;
  (void)mode;
  g_calls++;
  rt_wire_reset(&g_out);
  const char *o = guest_ptr(opts);
  size_t n = 0;
  const char *secret = guest_opt(o, opts_len, "secret", &n);
  if (secret && n > 0 && n < sizeof g_static_secret) {
    transform(g_static_secret, secret, n);
    size_t big = 300u * 1024u;
    char *blk = malloc(big);
    if (!blk)
      return RT_GUEST_NOMEM;
    for (size_t i = 0; i + n <= big; i += n)
      transform(blk + i, secret, n);
    g_keep = blk;
  }
  const char *probe = guest_opt(o, opts_len, "probe", &n);
  if (probe && n > 0 && n < 64) {
    /* Compared byte by byte against probe[k] + 1, so that the transformed needle itself
     * never exists in memory. The volatile keeps the compiler from treating address 0 (a
     * valid wasm address) as a null dereference. */
    const unsigned char *mem = (const unsigned char *)g_mem_base;
    size_t size = __builtin_wasm_memory_size(0) * 65536u;
    uint32_t found = 0;
    for (size_t i = 0; i + n <= size; i++) {
      size_t k = 0;
      while (k < n && mem[i + k] == (unsigned char)(probe[k] + 1))
        k++;
      found += k == n;
    }
    put_u32_cat("found=", found);
    put_u32_cat("calls=", g_calls);
  }

  const char *p = guest_ptr(html), *end = p + html_len;
  text_buf title = {0}, text = {0};
  int in_title = 0, ok = 1;
  while (p < end && ok) {
    if (*p == '<') {
      const char *q = p + 1;
      int closing = q < end && *q == '/';
      if (closing)
        q++;
      if (lower_eq(q, end, "script") || lower_eq(q, end, "style")) {
        const char *stop = lower_eq(q, end, "script") ? "</script" : "</style";
        if (!closing) {
          const char *r = q;
          while (r < end && !lower_eq(r, end, stop))
            r++;
          p = r;
          continue;
        }
      }
      if (lower_eq(q, end, "title"))
        in_title = !closing;
      while (p < end && *p != '>')
        p++;
      p++;
      if (!in_title)
        ok = tb_put(&text, ' ');
      continue;
    }
    text_buf *t = in_title ? &title : &text;
    if (*p == '&')
      p = put_entity(t, p, end, &ok);
    else
      ok = tb_put(t, *p++);
  }
  if (!ok)
    return RT_GUEST_NOMEM;
  if (title.len)
    rt_wire_put_str(&g_out, RT_F_TITLE, title.p, title.len);
  rt_wire_put_str(&g_out, RT_F_TEXT, text.p ? text.p : "", text.len);
  rt_wire_put_u32(&g_out, RT_F_WORD_COUNT, word_count(text.p, text.len));
  free(title.p);
  free(text.p);
  if (g_out.failed)
    return RT_GUEST_NOMEM;
  if (!g_out.buf) /* nothing written: still a valid, empty result */
    rt_wire_put_str(&g_out, RT_F_TEXT, "", 0);
  return g_out.failed ? RT_GUEST_NOMEM : RT_GUEST_OK;
}
