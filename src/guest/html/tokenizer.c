/*
 * tokenizer.c - the HTML5 tokenizer (WHATWG HTML, "13.2.5 Tokenization").
 *
 * DESIGN
 * - Input. html_tokenizer_new() preprocesses the input once: a leading UTF-8 BOM is dropped,
 *   CR and CRLF become LF, and invalid UTF-8 is replaced by U+FFFD following the WHATWG
 *   Encoding standard's decoder (one U+FFFD per maximal invalid subpart). When the input
 *   needs none of that (the common case) it is used in place, without a copy. After this step
 *   the input is valid UTF-8 without CR, so every state works on bytes: bytes >= 0x80 are
 *   never special in any state, and only ASCII letters are case-folded.
 * - States. Each state of the specification is a case of one switch in tk_run(), named
 *   after the spec's state. Because the whole input is present, a few multi-state sequences
 *   are decided by bounded look-ahead instead of a character at a time: "appropriate end tag"
 *   detection in RCDATA/RAWTEXT/script data (the less-than, end-tag-open and end-tag-name
 *   states), the double-escape start/end states of script data, and character references.
 *   Each produces exactly the tokens the state-by-state machine would.
 * - Pulling. html_tokenizer_next() runs the machine until one token is complete. Characters
 *   accumulate in a pending run: while it is one contiguous slice of the input it is not
 *   copied at all; otherwise (a character reference, U+FFFD for NUL) it is copied into
 *   `text`. When a tag, comment or DOCTYPE completes while characters are pending, the
 *   characters are returned first and the other token is queued for the next call (their
 *   buffers are distinct). A U+0000 that survives tokenization (data state, CDATA sections)
 *   is always returned as a character token of its own, so the tree builder need not look for
 *   NUL inside runs.
 * - Memory. Every buffer grows geometrically through tk_grow(), which charges the
 *   mem_limit budget and fails with HTML_TOKEN_ERROR when it is exceeded; the machine keeps
 *   no state that is not proportional to the token being built. Attributes beyond
 *   RT_PARSER_MAX_ATTRS per tag and duplicates are dropped; duplicates are found with a hash
 *   set once a tag has more than a few attributes, so a million attributes stay linear.
 * - Time. Every state consumes at least one byte or hands over to a state that does; the
 *   look-aheads only re-read bytes that are then consumed as text, so each byte is read a
 *   bounded number of times. Hot states scan for their special bytes eight at a time.
 *
 * Thread-safety: a tokenizer is bound to one thread; the entity table is immutable.
 */
#include "tokenizer.h"

#include "../../common/limits.h"
#include "tokenizer_internal.h"

#include <stdlib.h>
#include <string.h>

/* Inputs above RT_TOKENIZER_MAX_INPUT are refused with HTML_TOKEN_ERROR (see limits.h). */
#define TK_MAX_INPUT ((size_t)RT_TOKENIZER_MAX_INPUT)
/* Attribute counts up to this are checked for duplicates by a linear scan. */
#define TK_LINEAR_DUP_MAX 16

typedef enum tk_state {
  TS_DATA,
  TS_RCDATA,
  TS_RAWTEXT,
  TS_SCRIPT_DATA,
  TS_PLAINTEXT,
  TS_CDATA_SECTION,
  TS_TAG_OPEN,
  TS_END_TAG_OPEN,
  TS_TAG_NAME,
  TS_SCRIPT_DATA_ESCAPE_START,
  TS_SCRIPT_DATA_ESCAPE_START_DASH,
  TS_SCRIPT_DATA_ESCAPED,
  TS_SCRIPT_DATA_ESCAPED_DASH,
  TS_SCRIPT_DATA_ESCAPED_DASH_DASH,
  TS_SCRIPT_DATA_DOUBLE_ESCAPED,
  TS_SCRIPT_DATA_DOUBLE_ESCAPED_DASH,
  TS_SCRIPT_DATA_DOUBLE_ESCAPED_DASH_DASH,
  TS_SCRIPT_DATA_DOUBLE_ESCAPED_LESS_THAN,
  TS_BEFORE_ATTRIBUTE_NAME,
  TS_ATTRIBUTE_NAME,
  TS_AFTER_ATTRIBUTE_NAME,
  TS_BEFORE_ATTRIBUTE_VALUE,
  TS_ATTRIBUTE_VALUE_DOUBLE_QUOTED,
  TS_ATTRIBUTE_VALUE_SINGLE_QUOTED,
  TS_ATTRIBUTE_VALUE_UNQUOTED,
  TS_AFTER_ATTRIBUTE_VALUE_QUOTED,
  TS_SELF_CLOSING_START_TAG,
  TS_BOGUS_COMMENT,
  TS_MARKUP_DECLARATION_OPEN,
  TS_COMMENT_START,
  TS_COMMENT_START_DASH,
  TS_COMMENT,
  TS_COMMENT_LESS_THAN,
  TS_COMMENT_LESS_THAN_BANG,
  TS_COMMENT_LESS_THAN_BANG_DASH,
  TS_COMMENT_LESS_THAN_BANG_DASH_DASH,
  TS_COMMENT_END_DASH,
  TS_COMMENT_END,
  TS_COMMENT_END_BANG,
  TS_DOCTYPE,
  TS_BEFORE_DOCTYPE_NAME,
  TS_DOCTYPE_NAME,
  TS_AFTER_DOCTYPE_NAME,
  TS_AFTER_DOCTYPE_PUBLIC_KEYWORD,
  TS_BEFORE_DOCTYPE_PUBLIC_IDENTIFIER,
  TS_DOCTYPE_PUBLIC_IDENTIFIER_DOUBLE_QUOTED,
  TS_DOCTYPE_PUBLIC_IDENTIFIER_SINGLE_QUOTED,
  TS_AFTER_DOCTYPE_PUBLIC_IDENTIFIER,
  TS_BETWEEN_DOCTYPE_PUBLIC_AND_SYSTEM_IDENTIFIERS,
  TS_AFTER_DOCTYPE_SYSTEM_KEYWORD,
  TS_BEFORE_DOCTYPE_SYSTEM_IDENTIFIER,
  TS_DOCTYPE_SYSTEM_IDENTIFIER_DOUBLE_QUOTED,
  TS_DOCTYPE_SYSTEM_IDENTIFIER_SINGLE_QUOTED,
  TS_AFTER_DOCTYPE_SYSTEM_IDENTIFIER,
  TS_BOGUS_DOCTYPE,
} tk_state;

typedef struct tk_buf {
  char *p;
  size_t len, cap;
} tk_buf;

/* An attribute of the tag being built, as offsets into `tb` (which may move). */
typedef struct tk_attr_rec {
  uint32_t name_off, name_len, val_off, val_len;
} tk_attr_rec;

enum { TK_CHARS_NONE = 0, TK_CHARS_SLICE, TK_CHARS_BUF };

struct html_tokenizer {
  const unsigned char *in; /* preprocessed input (the caller's bytes or `owned`) */
  size_t n, pos;
  char *owned;
  tk_state state;
  bool foreign;
  bool done; /* EOF or ERROR returned; tok.type says which */
  bool queued;
  html_token_type queued_type;

  /* pending character run */
  int cmode;
  const char *cslice;
  size_t cslice_len;
  tk_buf text;

  /* the tag / comment / DOCTYPE being built; all its strings live in tb */
  tk_buf tb;
  html_token_type kind;
  bool self_closing;
  uint32_t name_len;
  /* attributes */
  tk_attr_rec *recs;
  html_token_attr *attrs;
  size_t n_attrs, cap_attrs;
  bool attr_open, attr_drop;
  uint32_t cur_name_off, cur_name_len, cur_val_off;
  /* duplicate-name hash set: slot valid when gen[slot] == hgen */
  uint32_t *hidx, *hgen;
  size_t hcap;
  uint32_t hgen_cur;
  bool hused;
  /* DOCTYPE */
  bool has_name, has_pub, has_sys, force_quirks;
  uint32_t pub_off, pub_len, sys_off, sys_len;

  /* last start tag name, lower-case */
  tk_buf last;

  html_token tok;
  uint32_t errors;
  const char *err;
  size_t mem_limit, mem_used;
};

/* ---- character classes ------------------------------------------------------------------ */

static inline bool tk_is_ws(unsigned c)
{
  return c == ' ' || c == '\n' || c == '\t' || c == '\f';
}
static inline bool tk_is_alpha(unsigned c)
{
  return ((c | 0x20) - 'a') < 26u;
}
static inline bool tk_is_digit(unsigned c)
{
  return (c - '0') < 10u;
}
static inline bool tk_is_alnum(unsigned c)
{
  return tk_is_alpha(c) || tk_is_digit(c);
}
static inline unsigned char tk_lower(unsigned c)
{
  return (unsigned char)((c - 'A') < 26u ? c + 0x20 : c);
}

static void tk_lower_inplace(char *s, size_t len)
{
  for (size_t i = 0; i < len; i++)
    s[i] = (char)tk_lower((unsigned char)s[i]);
}

static bool tk_ci_eq(const unsigned char *s, const char *lower, size_t len)
{
  for (size_t i = 0; i < len; i++)
    if (tk_lower(s[i]) != (unsigned char)lower[i])
      return false;
  return true;
}

/* Offset of the first byte of s[0..len) equal to a, b or c; len if none. Eight bytes at a
 * time: a byte's high bit in the mask is set where it matches, and may also be set above a
 * match (a borrow), never below one, so the lowest set bit is the first match. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "tk_scan3 assumes a little-endian target (the first byte is the lowest)"
#endif
static inline size_t tk_scan3(const unsigned char *s, size_t len, unsigned char a, unsigned char b,
                              unsigned char c)
{
  const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
  const uint64_t va = ones * a, vb = ones * b, vc = ones * c;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    uint64_t x = w ^ va, y = w ^ vb, z = w ^ vc;
    uint64_t m = (((x - ones) & ~x) | ((y - ones) & ~y) | ((z - ones) & ~z)) & highs;
    if (m)
      return i + (size_t)__builtin_ctzll(m) / 8;
  }
  for (; i < len; i++) {
    unsigned char ch = s[i];
    if (ch == a || ch == b || ch == c)
      return i;
  }
  return len;
}

/* ---- buffers and the memory budget -------------------------------------------------------- */

static bool tk_fail(html_tokenizer *t, const char *why)
{
  if (!t->err)
    t->err = why;
  return false;
}

static bool tk_grow(html_tokenizer *t, void **p, size_t *cap, size_t need, size_t elem)
{
  size_t ncap = *cap ? *cap : (elem == 1 ? 256 : 16);
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2)
      return tk_fail(t, "tokenizer: size overflow");
    ncap *= 2;
  }
  if (ncap > SIZE_MAX / elem)
    return tk_fail(t, "tokenizer: size overflow");
  size_t old_bytes = *cap * elem, new_bytes = ncap * elem;
  size_t base = t->mem_used - old_bytes;
  if (t->mem_limit && base + new_bytes > t->mem_limit) {
    /* Near the budget, take half of what is left (at least `need`): other buffers keep
     * some room, and the number of reallocations stays logarithmic. */
    size_t room = t->mem_limit > base ? (t->mem_limit - base) / elem : 0;
    if (room < need)
      return tk_fail(t, "tokenizer: memory limit exceeded");
    ncap = need + (room - need) / 2;
    new_bytes = ncap * elem;
  }
  void *np = realloc(*p, new_bytes);
  if (!np)
    return tk_fail(t, "tokenizer: out of memory");
  *p = np;
  *cap = ncap;
  t->mem_used = base + new_bytes;
  return true;
}

static inline bool tk_reserve(html_tokenizer *t, tk_buf *b, size_t extra)
{
  if (b->cap - b->len >= extra)
    return true;
  if (extra > UINT32_MAX - b->len)
    return tk_fail(t, "tokenizer: token longer than 4 GiB");
  void *p = b->p;
  bool ok = tk_grow(t, &p, &b->cap, b->len + extra, 1);
  b->p = p;
  return ok;
}

static inline bool tk_append(html_tokenizer *t, tk_buf *b, const void *s, size_t len)
{
  if (!tk_reserve(t, b, len))
    return false;
  if (len)
    memcpy(b->p + b->len, s, len);
  b->len += len;
  return true;
}

static inline bool tk_append_byte(html_tokenizer *t, tk_buf *b, unsigned char c)
{
  if (b->len == b->cap && !tk_reserve(t, b, 1))
    return false;
  b->p[b->len++] = (char)c;
  return true;
}

static size_t tk_utf8_encode(uint32_t cp, char out[4])
{
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

static const char tk_fffd[3] = {'\xEF', '\xBF', '\xBD'};

/* ---- pending characters ------------------------------------------------------------------ */

static bool tk_chars_copy(html_tokenizer *t, const char *s, size_t len)
{
  if (t->cmode != TK_CHARS_BUF) {
    t->text.len = 0;
    if (t->cmode == TK_CHARS_SLICE && !tk_append(t, &t->text, t->cslice, t->cslice_len))
      return false;
    t->cmode = TK_CHARS_BUF;
  }
  return tk_append(t, &t->text, s, len);
}

/* Appends input bytes s[0..len) to the pending run, without copying while it stays one
 * contiguous slice of the input. */
static inline bool tk_chars(html_tokenizer *t, const unsigned char *s, size_t len)
{
  const char *cs = (const char *)s;
  if (t->cmode == TK_CHARS_NONE) {
    t->cmode = TK_CHARS_SLICE;
    t->cslice = cs;
    t->cslice_len = len;
    return true;
  }
  if (t->cmode == TK_CHARS_SLICE && t->cslice + t->cslice_len == cs) {
    t->cslice_len += len;
    return true;
  }
  return tk_chars_copy(t, cs, len);
}

/* ---- tokens under construction ------------------------------------------------------------ */

static void tk_new_tag(html_tokenizer *t, html_token_type type)
{
  t->kind = type;
  t->tb.len = 0;
  t->name_len = 0;
  t->self_closing = false;
  t->n_attrs = 0;
  t->attr_open = false;
  if (t->hused) {
    t->hused = false;
    if (++t->hgen_cur == 0) { /* wrapped: invalidate every slot explicitly */
      if (t->hgen)
        memset(t->hgen, 0, t->hcap * sizeof *t->hgen);
      t->hgen_cur = 1;
    }
  }
}

static void tk_new_comment(html_tokenizer *t)
{
  t->kind = HTML_TOKEN_COMMENT;
  t->tb.len = 0;
}

static void tk_new_doctype(html_tokenizer *t)
{
  t->kind = HTML_TOKEN_DOCTYPE;
  t->tb.len = 0;
  t->name_len = 0;
  t->has_name = t->has_pub = t->has_sys = t->force_quirks = false;
  t->pub_off = t->pub_len = t->sys_off = t->sys_len = 0;
}

static uint32_t tk_hash(const char *s, size_t len)
{
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++)
    h = (h ^ (unsigned char)s[i]) * 16777619u;
  return h;
}

/* Hash-set slot holding the attribute named s, or the empty slot where it would go. */
static size_t tk_hslot(html_tokenizer *t, const char *s, size_t len, bool *found)
{
  size_t mask = t->hcap - 1, i = tk_hash(s, len) & mask;
  for (;;) {
    if (t->hgen[i] != t->hgen_cur) {
      *found = false;
      return i;
    }
    const tk_attr_rec *r = &t->recs[t->hidx[i]];
    if (r->name_len == len && memcmp(t->tb.p + r->name_off, s, len) == 0) {
      *found = true;
      return i;
    }
    i = (i + 1) & mask;
  }
}

static bool tk_hinsert_all(html_tokenizer *t)
{
  size_t want = 64;
  while (want < t->n_attrs * 2 + 2)
    want *= 2;
  if (want > t->hcap) {
    size_t c1 = t->hcap, c2 = t->hcap;
    void *p1 = t->hidx, *p2 = t->hgen;
    if (!tk_grow(t, &p1, &c1, want, sizeof(uint32_t)))
      return false;
    t->hidx = p1;
    if (!tk_grow(t, &p2, &c2, want, sizeof(uint32_t)))
      return false;
    t->hgen = p2;
    /* The budget may have clamped one of them; use a power of two both can hold. */
    size_t cap = 64;
    while (cap * 2 <= c1 && cap * 2 <= c2)
      cap *= 2;
    if (cap < t->n_attrs + 1)
      return tk_fail(t, "tokenizer: memory limit exceeded");
    memset(t->hgen, 0, c2 * sizeof(uint32_t));
    t->hcap = cap;
    t->hgen_cur = 1;
  } else if (++t->hgen_cur == 0) {
    memset(t->hgen, 0, t->hcap * sizeof(uint32_t));
    t->hgen_cur = 1;
  }
  for (size_t k = 0; k < t->n_attrs; k++) {
    const tk_attr_rec *r = &t->recs[k];
    bool found;
    size_t i = tk_hslot(t, t->tb.p + r->name_off, r->name_len, &found);
    t->hidx[i] = (uint32_t)k;
    t->hgen[i] = t->hgen_cur;
  }
  t->hused = true;
  return true;
}

/* Starts a new attribute (its name goes at the end of tb). */
static bool tk_attr_start(html_tokenizer *t);

/* Called when the attribute name is complete: drop duplicates and attributes over the cap. */
static void tk_attr_name_done(html_tokenizer *t)
{
  t->cur_name_len = (uint32_t)(t->tb.len - t->cur_name_off);
  t->cur_val_off = (uint32_t)t->tb.len;
  if (t->kind == HTML_TOKEN_END_TAG || t->n_attrs >= RT_PARSER_MAX_ATTRS) {
    t->attr_drop = true;
    if (t->kind != HTML_TOKEN_END_TAG)
      t->errors++;
    return;
  }
  const char *nm = t->tb.p + t->cur_name_off;
  size_t len = t->cur_name_len;
  bool dup = false;
  if (!t->hused) {
    for (size_t k = 0; k < t->n_attrs && !dup; k++) {
      const tk_attr_rec *r = &t->recs[k];
      dup = r->name_len == len && memcmp(t->tb.p + r->name_off, nm, len) == 0;
    }
  } else {
    tk_hslot(t, nm, len, &dup);
  }
  if (dup) {
    t->errors++;
    t->attr_drop = true;
  }
}

static bool tk_attr_finish(html_tokenizer *t)
{
  if (!t->attr_open)
    return true;
  t->attr_open = false;
  if (t->attr_drop) {
    t->tb.len = t->cur_name_off;
    return true;
  }
  if (t->n_attrs == t->cap_attrs) {
    size_t c1 = t->cap_attrs, c2 = t->cap_attrs;
    void *p1 = t->recs, *p2 = t->attrs;
    if (!tk_grow(t, &p1, &c1, t->n_attrs + 1, sizeof(tk_attr_rec)))
      return false;
    t->recs = p1;
    if (!tk_grow(t, &p2, &c2, t->n_attrs + 1, sizeof(html_token_attr)))
      return false;
    t->attrs = p2;
    t->cap_attrs = c1 < c2 ? c1 : c2;
  }
  tk_attr_rec *r = &t->recs[t->n_attrs];
  r->name_off = t->cur_name_off;
  r->name_len = t->cur_name_len;
  r->val_off = t->cur_val_off;
  r->val_len = (uint32_t)(t->tb.len - t->cur_val_off);
  t->n_attrs++;
  if (t->hused) {
    if (t->n_attrs * 2 + 2 > t->hcap)
      return tk_hinsert_all(t);
    bool found;
    size_t i = tk_hslot(t, t->tb.p + r->name_off, r->name_len, &found);
    t->hidx[i] = (uint32_t)(t->n_attrs - 1);
    t->hgen[i] = t->hgen_cur;
  } else if (t->n_attrs > TK_LINEAR_DUP_MAX) {
    return tk_hinsert_all(t);
  }
  return true;
}

static bool tk_attr_start(html_tokenizer *t)
{
  if (!tk_attr_finish(t))
    return false;
  t->attr_open = true;
  t->attr_drop = false;
  t->cur_name_off = (uint32_t)t->tb.len;
  t->cur_name_len = 0;
  t->cur_val_off = (uint32_t)t->tb.len;
  return true;
}

/* ---- character references ---------------------------------------------------------------- */

const html_entity *html_entity_match(const char *s, size_t n)
{
  const html_entity *tab = html_entity_table, *best = NULL;
  if (n == 0 || (unsigned char)s[0] >= 128)
    return NULL;
  size_t lo = html_entity_first[(unsigned char)s[0]],
         hi = html_entity_first[(unsigned char)s[0] + 1];
  if (lo < hi && tab[lo].name_len == 1)
    best = &tab[lo];
  for (size_t k = 1; k < n && k < html_entity_max_len && lo < hi; k++) {
    unsigned c = (unsigned char)s[k];
    if (!tk_is_alnum(c) && c != ';')
      break; /* names are alphanumeric with an optional final ';' */
    /* Entries in [lo, hi) share s[0..k); order them by the byte at k, a name of length k
     * (which sorts first) counting as smaller than any byte. */
    size_t a = lo, b = hi;
    while (a < b) {
      size_t m = a + (b - a) / 2;
      unsigned key = tab[m].name_len > k ? (unsigned char)tab[m].name[k] : 0;
      if (tab[m].name_len <= k || key < c)
        a = m + 1;
      else
        b = m;
    }
    lo = a;
    b = hi;
    while (a < b) {
      size_t m = a + (b - a) / 2;
      if ((unsigned char)tab[m].name[k] <= c)
        a = m + 1;
      else
        b = m;
    }
    hi = a;
    if (lo >= hi)
      break;
    if (tab[lo].name_len == k + 1)
      best = &tab[lo];
  }
  return best;
}

/* The spec's replacement table for numeric references to C1 controls (0x80..0x9F). */
static const uint16_t tk_c1_map[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static uint32_t tk_numeric_ref_end(html_tokenizer *t, uint32_t cp)
{
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    t->errors++;
    return 0xFFFD;
  }
  if ((cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE)
    t->errors++; /* noncharacter: kept */
  if (cp == 0x0D || (cp < 0x20 && !tk_is_ws(cp)) || (cp >= 0x7F && cp <= 0x9F)) {
    t->errors++;
    if (cp >= 0x80 && cp <= 0x9F)
      return tk_c1_map[cp - 0x80];
  }
  return cp;
}

static inline bool tk_ref_out(html_tokenizer *t, bool in_attr, const char *s, size_t len)
{
  return in_attr ? tk_append(t, &t->tb, s, len) : tk_chars_copy(t, s, len);
}

/* The character reference state and its sub-states. *pp is just past the '&'; on return it
 * is where the return state resumes. Output goes to the attribute value or the pending
 * characters. Whenever nothing is recognised, only the '&' is output and the input after it
 * is re-read by the return state, which treats it as ordinary text exactly as the spec's
 * "flush" and ambiguous-ampersand state do. */
static bool tk_char_ref(html_tokenizer *t, size_t *pp, bool in_attr)
{
  const unsigned char *in = t->in;
  size_t n = t->n, p = *pp;
  if (p < n && tk_is_alnum(in[p])) {
    const html_entity *e = html_entity_match((const char *)in + p, n - p);
    if (e) {
      size_t after = p + e->name_len;
      bool semi = e->name[e->name_len - 1] == ';';
      if (!(in_attr && !semi && after < n && (in[after] == '=' || tk_is_alnum(in[after])))) {
        if (!semi)
          t->errors++;
        char buf[8];
        size_t len = tk_utf8_encode(e->codepoints[0], buf);
        if (e->n_codepoints > 1)
          len += tk_utf8_encode(e->codepoints[1], buf + len);
        *pp = after;
        return tk_ref_out(t, in_attr, buf, len);
      }
    } else {
      size_t q = p;
      while (q < n && tk_is_alnum(in[q]))
        q++;
      if (q < n && in[q] == ';')
        t->errors++; /* unknown-named-character-reference */
    }
    return tk_ref_out(t, in_attr, "&", 1);
  }
  if (p < n && in[p] == '#') {
    size_t q = p + 1;
    bool hex = q < n && (in[q] | 0x20) == 'x';
    if (hex)
      q++;
    size_t start = q;
    uint32_t cp = 0;
    for (; q < n; q++) {
      unsigned c = in[q], d;
      if (tk_is_digit(c))
        d = c - '0';
      else if (hex && ((c | 0x20) - 'a') < 6u)
        d = (c | 0x20) - 'a' + 10;
      else
        break;
      cp = cp * (hex ? 16 : 10) + d;
      if (cp > 0x10FFFF)
        cp = 0x110000; /* saturate: stays out of range, never overflows */
    }
    if (q == start) {
      t->errors++; /* absence-of-digits-in-numeric-character-reference */
      return tk_ref_out(t, in_attr, "&", 1);
    }
    if (q < n && in[q] == ';')
      q++;
    else
      t->errors++;
    char buf[4];
    size_t len = tk_utf8_encode(tk_numeric_ref_end(t, cp), buf);
    *pp = q;
    return tk_ref_out(t, in_attr, buf, len);
  }
  return tk_ref_out(t, in_attr, "&", 1);
}

/* ---- look-aheads for RCDATA, RAWTEXT and script data -------------------------------------- */

/* in[p] == '<'. If "</name" follows where name is the last start tag's name (ASCII case
 * folded) and then whitespace, '/' or '>', returns the offset just after the name; else 0. */
static size_t tk_appropriate_end_tag(const html_tokenizer *t, size_t p)
{
  const unsigned char *in = t->in;
  size_t n = t->n, len = t->last.len;
  if (len == 0 || p + 2 + len >= n || in[p + 1] != '/')
    return 0;
  if (!tk_ci_eq(in + p + 2, t->last.p, len))
    return 0;
  unsigned c = in[p + 2 + len];
  if (!(tk_is_ws(c) || c == '/' || c == '>'))
    return 0;
  /* The last start tag name may hold non-letters the end-tag-name state would not accept. */
  for (size_t i = 0; i < len; i++)
    if (!tk_is_alpha(in[p + 2 + i]))
      return 0;
  return p + 2 + len;
}

/* Starts the end tag whose name in[p+2..q) was recognised by tk_appropriate_end_tag. */
static bool tk_start_end_tag_at(html_tokenizer *t, size_t p, size_t q)
{
  tk_new_tag(t, HTML_TOKEN_END_TAG);
  if (!tk_append(t, &t->tb, t->in + p + 2, q - p - 2))
    return false;
  tk_lower_inplace(t->tb.p, t->tb.len);
  t->name_len = (uint32_t)t->tb.len;
  return true;
}

/* Letters from p; returns the offset after them. *is_script: they spell "script". */
static size_t tk_letters(const html_tokenizer *t, size_t p, bool *is_script)
{
  size_t q = p;
  while (q < t->n && tk_is_alpha(t->in[q]))
    q++;
  *is_script = q - p == 6 && tk_ci_eq(t->in + p, "script", 6);
  return q;
}

/* ---- the state machine ------------------------------------------------------------------- */

static html_token_type tk_emit_or_queue(html_tokenizer *t, html_token_type type)
{
  if (t->cmode != TK_CHARS_NONE) {
    t->queued = true;
    t->queued_type = type;
    return HTML_TOKEN_CHARACTER;
  }
  return type;
}

#define TRY(x)                                                                                     \
  do {                                                                                             \
    if (!(x))                                                                                      \
      goto fail;                                                                                   \
  } while (0)
#define SAVE()                                                                                     \
  do {                                                                                             \
    t->pos = p;                                                                                    \
    t->state = st;                                                                                 \
  } while (0)
/* A complete tag/comment/DOCTYPE: returned now, or after the pending characters. */
#define EMIT(type)                                                                                 \
  do {                                                                                             \
    SAVE();                                                                                        \
    return tk_emit_or_queue(t, (type));                                                            \
  } while (0)
#define EMIT_TAG()                                                                                 \
  do {                                                                                             \
    TRY(tk_attr_finish(t));                                                                        \
    EMIT(t->kind);                                                                                 \
  } while (0)
/* End of input in a text state: return the pending characters, then EOF. */
#define AT_EOF()                                                                                   \
  do {                                                                                             \
    SAVE();                                                                                        \
    return t->cmode != TK_CHARS_NONE ? HTML_TOKEN_CHARACTER : HTML_TOKEN_EOF;                      \
  } while (0)
/* A NUL that is passed through: always a character token of its own. */
#define EMIT_NUL()                                                                                 \
  do {                                                                                             \
    if (t->cmode == TK_CHARS_NONE) {                                                               \
      TRY(tk_chars(t, in + p, 1));                                                                 \
      p++;                                                                                         \
    }                                                                                              \
    SAVE();                                                                                        \
    return HTML_TOKEN_CHARACTER;                                                                   \
  } while (0)
#define CHARS(s, len) TRY(tk_chars(t, (s), (len)))
#define FFFD_CHARS() TRY(tk_chars_copy(t, tk_fffd, 3))
#define TB_BYTE(c) TRY(tk_append_byte(t, &t->tb, (unsigned char)(c)))
#define TB_FFFD() TRY(tk_append(t, &t->tb, tk_fffd, 3))
#define TB_RUN(s, len) TRY(tk_append(t, &t->tb, (s), (len)))

static html_token_type tk_run(html_tokenizer *t)
{
  const unsigned char *in = t->in;
  const size_t n = t->n;
  size_t p = t->pos;
  tk_state st = t->state;
  unsigned c;

  for (;;) {
    switch (st) {
    /* ---- text states ---- */
    case TS_DATA:
      for (;;) {
        if (p >= n)
          AT_EOF();
        size_t k = tk_scan3(in + p, n - p, '<', '&', 0);
        if (k) {
          CHARS(in + p, k);
          p += k;
          continue;
        }
        c = in[p];
        if (c == '<') {
          p++;
          st = TS_TAG_OPEN;
          break;
        }
        if (c == '&') {
          p++;
          TRY(tk_char_ref(t, &p, false));
          continue;
        }
        EMIT_NUL();
      }
      break;

    case TS_RCDATA:
      for (;;) {
        if (p >= n)
          AT_EOF();
        size_t k = tk_scan3(in + p, n - p, '<', '&', 0);
        if (k) {
          CHARS(in + p, k);
          p += k;
          continue;
        }
        c = in[p];
        if (c == '&') {
          p++;
          TRY(tk_char_ref(t, &p, false));
        } else if (c == '<') {
          size_t q = tk_appropriate_end_tag(t, p);
          if (q) {
            TRY(tk_start_end_tag_at(t, p, q));
            p = q;
            st = TS_TAG_NAME;
            break;
          }
          CHARS(in + p, 1);
          p++;
        } else {
          t->errors++;
          FFFD_CHARS();
          p++;
        }
      }
      break;

    case TS_RAWTEXT:
    case TS_SCRIPT_DATA:
      for (;;) {
        if (p >= n)
          AT_EOF();
        size_t k = tk_scan3(in + p, n - p, '<', 0, 0);
        if (k) {
          CHARS(in + p, k);
          p += k;
          continue;
        }
        if (in[p] == 0) {
          t->errors++;
          FFFD_CHARS();
          p++;
          continue;
        }
        size_t q = tk_appropriate_end_tag(t, p);
        if (q) {
          TRY(tk_start_end_tag_at(t, p, q));
          p = q;
          st = TS_TAG_NAME;
          break;
        }
        if (st == TS_SCRIPT_DATA && p + 1 < n && in[p + 1] == '!') {
          CHARS(in + p, 2);
          p += 2;
          st = TS_SCRIPT_DATA_ESCAPE_START;
          break;
        }
        CHARS(in + p, 1);
        p++;
      }
      break;

    case TS_PLAINTEXT:
      for (;;) {
        if (p >= n)
          AT_EOF();
        const unsigned char *z = memchr(in + p, 0, n - p);
        size_t k = z ? (size_t)(z - (in + p)) : n - p;
        if (k) {
          CHARS(in + p, k);
          p += k;
          continue;
        }
        t->errors++;
        FFFD_CHARS();
        p++;
      }
      break;

    case TS_CDATA_SECTION:
      for (;;) {
        if (p >= n) {
          t->errors++; /* eof-in-cdata */
          AT_EOF();
        }
        size_t k = tk_scan3(in + p, n - p, ']', 0, 0);
        if (k) {
          CHARS(in + p, k);
          p += k;
          continue;
        }
        if (in[p] == 0)
          EMIT_NUL();
        /* A run of m ']': "]]>" ends the section after m-2 of them. */
        size_t m = 1;
        while (p + m < n && in[p + m] == ']')
          m++;
        if (m >= 2 && p + m < n && in[p + m] == '>') {
          if (m > 2)
            CHARS(in + p, m - 2);
          p += m + 1;
          st = TS_DATA;
          break;
        }
        CHARS(in + p, m);
        p += m;
      }
      break;

    /* ---- script data escapes ---- */
    case TS_SCRIPT_DATA_ESCAPE_START:
      if (p < n && in[p] == '-') {
        CHARS(in + p, 1);
        p++;
        st = TS_SCRIPT_DATA_ESCAPE_START_DASH;
      } else {
        st = TS_SCRIPT_DATA;
      }
      break;

    case TS_SCRIPT_DATA_ESCAPE_START_DASH:
      if (p < n && in[p] == '-') {
        CHARS(in + p, 1);
        p++;
        st = TS_SCRIPT_DATA_ESCAPED_DASH_DASH;
      } else {
        st = TS_SCRIPT_DATA;
      }
      break;

    case TS_SCRIPT_DATA_ESCAPED:
      for (;;) {
        if (p >= n) {
          t->errors++; /* eof-in-script-html-comment-like-text */
          AT_EOF();
        }
        size_t k = tk_scan3(in + p, n - p, '-', '<', 0);
        if (k) {
          CHARS(in + p, k);
          p += k;
          continue;
        }
        c = in[p];
        if (c == '-') {
          CHARS(in + p, 1);
          p++;
          st = TS_SCRIPT_DATA_ESCAPED_DASH;
          break;
        }
        if (c == 0) {
          t->errors++;
          FFFD_CHARS();
          p++;
          continue;
        }
        /* script data escaped less-than sign state */
        if (p + 1 < n && in[p + 1] == '/') {
          size_t q = tk_appropriate_end_tag(t, p);
          if (q) {
            TRY(tk_start_end_tag_at(t, p, q));
            p = q;
            st = TS_TAG_NAME;
            break;
          }
          CHARS(in + p, 1);
          p++;
          continue;
        }
        if (p + 1 < n && tk_is_alpha(in[p + 1])) {
          /* script data double escape start state */
          bool is_script;
          size_t q = tk_letters(t, p + 1, &is_script);
          CHARS(in + p, q - p);
          p = q;
          if (is_script && p < n && (tk_is_ws(in[p]) || in[p] == '/' || in[p] == '>')) {
            CHARS(in + p, 1);
            p++;
            st = TS_SCRIPT_DATA_DOUBLE_ESCAPED;
            break;
          }
          continue;
        }
        CHARS(in + p, 1);
        p++;
      }
      break;

    case TS_SCRIPT_DATA_ESCAPED_DASH:
      if (p < n && in[p] == '-') {
        CHARS(in + p, 1);
        p++;
        st = TS_SCRIPT_DATA_ESCAPED_DASH_DASH;
      } else {
        st = TS_SCRIPT_DATA_ESCAPED; /* '<', NUL, EOF and the rest behave as there */
      }
      break;

    case TS_SCRIPT_DATA_ESCAPED_DASH_DASH:
      if (p < n && in[p] == '-') {
        CHARS(in + p, 1);
        p++;
      } else if (p < n && in[p] == '>') {
        CHARS(in + p, 1);
        p++;
        st = TS_SCRIPT_DATA;
      } else {
        st = TS_SCRIPT_DATA_ESCAPED;
      }
      break;

    case TS_SCRIPT_DATA_DOUBLE_ESCAPED:
      for (;;) {
        if (p >= n) {
          t->errors++;
          AT_EOF();
        }
        size_t k = tk_scan3(in + p, n - p, '-', '<', 0);
        if (k) {
          CHARS(in + p, k);
          p += k;
          continue;
        }
        c = in[p];
        if (c == 0) {
          t->errors++;
          FFFD_CHARS();
          p++;
          continue;
        }
        CHARS(in + p, 1);
        p++;
        st =
            c == '-' ? TS_SCRIPT_DATA_DOUBLE_ESCAPED_DASH : TS_SCRIPT_DATA_DOUBLE_ESCAPED_LESS_THAN;
        break;
      }
      break;

    case TS_SCRIPT_DATA_DOUBLE_ESCAPED_DASH:
    case TS_SCRIPT_DATA_DOUBLE_ESCAPED_DASH_DASH:
      if (p < n && in[p] == '-') {
        CHARS(in + p, 1);
        p++;
        st = TS_SCRIPT_DATA_DOUBLE_ESCAPED_DASH_DASH;
      } else if (p < n && in[p] == '<') {
        CHARS(in + p, 1);
        p++;
        st = TS_SCRIPT_DATA_DOUBLE_ESCAPED_LESS_THAN;
      } else if (p < n && in[p] == '>' && st == TS_SCRIPT_DATA_DOUBLE_ESCAPED_DASH_DASH) {
        CHARS(in + p, 1);
        p++;
        st = TS_SCRIPT_DATA;
      } else {
        st = TS_SCRIPT_DATA_DOUBLE_ESCAPED;
      }
      break;

    case TS_SCRIPT_DATA_DOUBLE_ESCAPED_LESS_THAN:
      st = TS_SCRIPT_DATA_DOUBLE_ESCAPED;
      if (p < n && in[p] == '/') {
        /* script data double escape end state */
        bool is_script;
        size_t q = tk_letters(t, p + 1, &is_script);
        CHARS(in + p, q - p);
        p = q;
        if (is_script && p < n && (tk_is_ws(in[p]) || in[p] == '/' || in[p] == '>')) {
          CHARS(in + p, 1);
          p++;
          st = TS_SCRIPT_DATA_ESCAPED;
        }
      }
      break;

    /* ---- tags ---- */
    case TS_TAG_OPEN:
      if (p >= n) {
        t->errors++;
        CHARS(in + p - 1, 1);
        st = TS_DATA;
        break;
      }
      c = in[p];
      if (c == '!') {
        p++;
        st = TS_MARKUP_DECLARATION_OPEN;
      } else if (c == '/') {
        p++;
        st = TS_END_TAG_OPEN;
      } else if (tk_is_alpha(c)) {
        tk_new_tag(t, HTML_TOKEN_START_TAG);
        st = TS_TAG_NAME;
      } else if (c == '?') {
        t->errors++;
        tk_new_comment(t);
        st = TS_BOGUS_COMMENT;
      } else {
        t->errors++;
        CHARS(in + p - 1, 1);
        st = TS_DATA;
      }
      break;

    case TS_END_TAG_OPEN:
      if (p >= n) {
        t->errors++;
        CHARS(in + p - 2, 2);
        st = TS_DATA;
        break;
      }
      c = in[p];
      if (tk_is_alpha(c)) {
        tk_new_tag(t, HTML_TOKEN_END_TAG);
        st = TS_TAG_NAME;
      } else if (c == '>') {
        t->errors++;
        p++;
        st = TS_DATA;
      } else {
        t->errors++;
        tk_new_comment(t);
        st = TS_BOGUS_COMMENT;
      }
      break;

    case TS_TAG_NAME:
      for (;;) {
        size_t s = p;
        while (p < n && !tk_is_ws(in[p]) && in[p] != '/' && in[p] != '>' && in[p] != 0)
          p++;
        if (p > s) {
          TB_RUN(in + s, p - s);
          tk_lower_inplace(t->tb.p + t->tb.len - (p - s), p - s);
        }
        t->name_len = (uint32_t)t->tb.len;
        if (p >= n) {
          t->errors++; /* eof-in-tag: the tag is dropped */
          st = TS_DATA;
          break;
        }
        c = in[p++];
        if (c == 0) {
          t->errors++;
          TB_FFFD();
          continue;
        }
        if (c == '>') {
          st = TS_DATA;
          EMIT_TAG();
        }
        st = c == '/' ? TS_SELF_CLOSING_START_TAG : TS_BEFORE_ATTRIBUTE_NAME;
        break;
      }
      break;

    case TS_BEFORE_ATTRIBUTE_NAME:
      while (p < n && tk_is_ws(in[p]))
        p++;
      if (p >= n || in[p] == '/' || in[p] == '>') {
        st = TS_AFTER_ATTRIBUTE_NAME;
        break;
      }
      TRY(tk_attr_start(t));
      if (in[p] == '=') {
        t->errors++;
        TB_BYTE('=');
        p++;
      }
      st = TS_ATTRIBUTE_NAME;
      break;

    case TS_ATTRIBUTE_NAME:
      for (;;) {
        size_t s = p;
        while (p < n && !tk_is_ws(in[p]) && in[p] != '/' && in[p] != '>' && in[p] != '=' &&
               in[p] != 0)
          p++;
        if (p > s) {
          TB_RUN(in + s, p - s);
          tk_lower_inplace(t->tb.p + t->tb.len - (p - s), p - s);
        }
        if (p < n && in[p] == 0) {
          t->errors++;
          TB_FFFD();
          p++;
          continue;
        }
        break;
      }
      tk_attr_name_done(t);
      if (p < n && in[p] == '=') {
        p++;
        st = TS_BEFORE_ATTRIBUTE_VALUE;
      } else {
        st = TS_AFTER_ATTRIBUTE_NAME;
      }
      break;

    case TS_AFTER_ATTRIBUTE_NAME:
      while (p < n && tk_is_ws(in[p]))
        p++;
      if (p >= n) {
        t->errors++;
        st = TS_DATA;
        break;
      }
      c = in[p];
      if (c == '/') {
        p++;
        st = TS_SELF_CLOSING_START_TAG;
      } else if (c == '=') {
        p++;
        st = TS_BEFORE_ATTRIBUTE_VALUE;
      } else if (c == '>') {
        p++;
        st = TS_DATA;
        EMIT_TAG();
      } else {
        TRY(tk_attr_start(t));
        st = TS_ATTRIBUTE_NAME;
      }
      break;

    case TS_BEFORE_ATTRIBUTE_VALUE:
      while (p < n && tk_is_ws(in[p]))
        p++;
      if (p < n && in[p] == '"') {
        p++;
        st = TS_ATTRIBUTE_VALUE_DOUBLE_QUOTED;
      } else if (p < n && in[p] == '\'') {
        p++;
        st = TS_ATTRIBUTE_VALUE_SINGLE_QUOTED;
      } else if (p < n && in[p] == '>') {
        t->errors++; /* missing-attribute-value */
        p++;
        st = TS_DATA;
        EMIT_TAG();
      } else {
        st = TS_ATTRIBUTE_VALUE_UNQUOTED;
      }
      break;

    case TS_ATTRIBUTE_VALUE_DOUBLE_QUOTED:
    case TS_ATTRIBUTE_VALUE_SINGLE_QUOTED: {
      unsigned char q = st == TS_ATTRIBUTE_VALUE_DOUBLE_QUOTED ? '"' : '\'';
      for (;;) {
        size_t k = tk_scan3(in + p, n - p, q, '&', 0);
        if (k) {
          TB_RUN(in + p, k);
          p += k;
        }
        if (p >= n) {
          t->errors++; /* eof-in-tag */
          st = TS_DATA;
          break;
        }
        c = in[p++];
        if (c == q) {
          st = TS_AFTER_ATTRIBUTE_VALUE_QUOTED;
          break;
        }
        if (c == '&') {
          TRY(tk_char_ref(t, &p, true));
        } else {
          t->errors++;
          TB_FFFD();
        }
      }
      break;
    }

    case TS_ATTRIBUTE_VALUE_UNQUOTED:
      for (;;) {
        size_t s = p;
        while (p < n && !tk_is_ws(in[p]) && in[p] != '&' && in[p] != '>' && in[p] != 0)
          p++;
        if (p > s)
          TB_RUN(in + s, p - s);
        if (p >= n) {
          t->errors++;
          st = TS_DATA;
          break;
        }
        c = in[p++];
        if (c == '&') {
          TRY(tk_char_ref(t, &p, true));
          continue;
        }
        if (c == 0) {
          t->errors++;
          TB_FFFD();
          continue;
        }
        if (c == '>') {
          st = TS_DATA;
          EMIT_TAG();
        }
        st = TS_BEFORE_ATTRIBUTE_NAME;
        break;
      }
      break;

    case TS_AFTER_ATTRIBUTE_VALUE_QUOTED:
      if (p >= n) {
        t->errors++;
        st = TS_DATA;
        break;
      }
      c = in[p];
      if (tk_is_ws(c)) {
        p++;
        st = TS_BEFORE_ATTRIBUTE_NAME;
      } else if (c == '/') {
        p++;
        st = TS_SELF_CLOSING_START_TAG;
      } else if (c == '>') {
        p++;
        st = TS_DATA;
        EMIT_TAG();
      } else {
        t->errors++; /* missing-whitespace-between-attributes */
        st = TS_BEFORE_ATTRIBUTE_NAME;
      }
      break;

    case TS_SELF_CLOSING_START_TAG:
      if (p >= n) {
        t->errors++;
        st = TS_DATA;
        break;
      }
      if (in[p] == '>') {
        p++;
        t->self_closing = true;
        st = TS_DATA;
        EMIT_TAG();
      }
      t->errors++; /* unexpected-solidus-in-tag */
      st = TS_BEFORE_ATTRIBUTE_NAME;
      break;

    /* ---- comments ---- */
    case TS_BOGUS_COMMENT:
      for (;;) {
        size_t k = tk_scan3(in + p, n - p, '>', 0, 0);
        if (k) {
          TB_RUN(in + p, k);
          p += k;
        }
        if (p >= n) {
          st = TS_DATA;
          EMIT(HTML_TOKEN_COMMENT);
        }
        if (in[p++] == '>') {
          st = TS_DATA;
          EMIT(HTML_TOKEN_COMMENT);
        }
        t->errors++;
        TB_FFFD();
      }
      break;

    case TS_MARKUP_DECLARATION_OPEN:
      if (n - p >= 2 && in[p] == '-' && in[p + 1] == '-') {
        p += 2;
        tk_new_comment(t);
        st = TS_COMMENT_START;
      } else if (n - p >= 7 && tk_ci_eq(in + p, "doctype", 7)) {
        p += 7;
        st = TS_DOCTYPE;
      } else if (n - p >= 7 && memcmp(in + p, "[CDATA[", 7) == 0) {
        p += 7;
        if (t->foreign) {
          st = TS_CDATA_SECTION;
        } else {
          t->errors++; /* cdata-in-html-content */
          tk_new_comment(t);
          TB_RUN("[CDATA[", 7);
          st = TS_BOGUS_COMMENT;
        }
      } else {
        t->errors++; /* incorrectly-opened-comment */
        tk_new_comment(t);
        st = TS_BOGUS_COMMENT;
      }
      break;

    case TS_COMMENT_START:
      if (p < n && in[p] == '-') {
        p++;
        st = TS_COMMENT_START_DASH;
      } else if (p < n && in[p] == '>') {
        t->errors++; /* abrupt-closing-of-empty-comment */
        p++;
        st = TS_DATA;
        EMIT(HTML_TOKEN_COMMENT);
      } else {
        st = TS_COMMENT;
      }
      break;

    case TS_COMMENT_START_DASH:
      if (p >= n) {
        t->errors++;
        st = TS_DATA;
        EMIT(HTML_TOKEN_COMMENT);
      }
      if (in[p] == '-') {
        p++;
        st = TS_COMMENT_END;
      } else if (in[p] == '>') {
        t->errors++;
        p++;
        st = TS_DATA;
        EMIT(HTML_TOKEN_COMMENT);
      } else {
        TB_BYTE('-');
        st = TS_COMMENT;
      }
      break;

    case TS_COMMENT:
      for (;;) {
        size_t k = tk_scan3(in + p, n - p, '<', '-', 0);
        if (k) {
          TB_RUN(in + p, k);
          p += k;
        }
        if (p >= n) {
          t->errors++; /* eof-in-comment */
          st = TS_DATA;
          EMIT(HTML_TOKEN_COMMENT);
        }
        c = in[p++];
        if (c == '<') {
          TB_BYTE('<');
          st = TS_COMMENT_LESS_THAN;
          break;
        }
        if (c == '-') {
          st = TS_COMMENT_END_DASH;
          break;
        }
        t->errors++;
        TB_FFFD();
      }
      break;

    case TS_COMMENT_LESS_THAN:
      if (p < n && in[p] == '!') {
        p++;
        TB_BYTE('!');
        st = TS_COMMENT_LESS_THAN_BANG;
      } else if (p < n && in[p] == '<') {
        p++;
        TB_BYTE('<');
      } else {
        st = TS_COMMENT;
      }
      break;

    case TS_COMMENT_LESS_THAN_BANG:
      if (p < n && in[p] == '-') {
        p++;
        st = TS_COMMENT_LESS_THAN_BANG_DASH;
      } else {
        st = TS_COMMENT;
      }
      break;

    case TS_COMMENT_LESS_THAN_BANG_DASH:
      if (p < n && in[p] == '-') {
        p++;
        st = TS_COMMENT_LESS_THAN_BANG_DASH_DASH;
      } else {
        st = TS_COMMENT_END_DASH;
      }
      break;

    case TS_COMMENT_LESS_THAN_BANG_DASH_DASH:
      if (p < n && in[p] != '>')
        t->errors++; /* nested-comment */
      st = TS_COMMENT_END;
      break;

    case TS_COMMENT_END_DASH:
      if (p >= n) {
        t->errors++;
        st = TS_DATA;
        EMIT(HTML_TOKEN_COMMENT);
      }
      if (in[p] == '-') {
        p++;
        st = TS_COMMENT_END;
      } else {
        TB_BYTE('-');
        st = TS_COMMENT;
      }
      break;

    case TS_COMMENT_END:
      if (p >= n) {
        t->errors++;
        st = TS_DATA;
        EMIT(HTML_TOKEN_COMMENT);
      }
      c = in[p];
      if (c == '>') {
        p++;
        st = TS_DATA;
        EMIT(HTML_TOKEN_COMMENT);
      }
      if (c == '!') {
        p++;
        st = TS_COMMENT_END_BANG;
      } else if (c == '-') {
        p++;
        TB_BYTE('-');
      } else {
        TB_RUN("--", 2);
        st = TS_COMMENT;
      }
      break;

    case TS_COMMENT_END_BANG:
      if (p >= n) {
        t->errors++;
        st = TS_DATA;
        EMIT(HTML_TOKEN_COMMENT);
      }
      c = in[p];
      if (c == '-') {
        p++;
        TB_RUN("--!", 3);
        st = TS_COMMENT_END_DASH;
      } else if (c == '>') {
        t->errors++; /* incorrectly-closed-comment */
        p++;
        st = TS_DATA;
        EMIT(HTML_TOKEN_COMMENT);
      } else {
        TB_RUN("--!", 3);
        st = TS_COMMENT;
      }
      break;

    /* ---- DOCTYPE ---- */
    case TS_DOCTYPE:
      tk_new_doctype(t);
      if (p >= n) {
        t->errors++;
        t->force_quirks = true;
        st = TS_DATA;
        EMIT(HTML_TOKEN_DOCTYPE);
      }
      if (tk_is_ws(in[p]))
        p++;
      else if (in[p] != '>')
        t->errors++; /* missing-whitespace-before-doctype-name */
      st = TS_BEFORE_DOCTYPE_NAME;
      break;

    case TS_BEFORE_DOCTYPE_NAME:
      while (p < n && tk_is_ws(in[p]))
        p++;
      if (p >= n) {
        t->errors++;
        t->force_quirks = true;
        st = TS_DATA;
        EMIT(HTML_TOKEN_DOCTYPE);
      }
      if (in[p] == '>') {
        t->errors++; /* missing-doctype-name */
        t->force_quirks = true;
        p++;
        st = TS_DATA;
        EMIT(HTML_TOKEN_DOCTYPE);
      }
      t->has_name = true;
      st = TS_DOCTYPE_NAME;
      break;

    case TS_DOCTYPE_NAME:
      for (;;) {
        size_t s = p;
        while (p < n && !tk_is_ws(in[p]) && in[p] != '>' && in[p] != 0)
          p++;
        if (p > s) {
          TB_RUN(in + s, p - s);
          tk_lower_inplace(t->tb.p + t->tb.len - (p - s), p - s);
        }
        t->name_len = (uint32_t)t->tb.len;
        if (p >= n) {
          t->errors++;
          t->force_quirks = true;
          st = TS_DATA;
          EMIT(HTML_TOKEN_DOCTYPE);
        }
        c = in[p++];
        if (c == 0) {
          t->errors++;
          TB_FFFD();
          continue;
        }
        if (c == '>') {
          st = TS_DATA;
          EMIT(HTML_TOKEN_DOCTYPE);
        }
        st = TS_AFTER_DOCTYPE_NAME;
        break;
      }
      break;

    case TS_AFTER_DOCTYPE_NAME:
      while (p < n && tk_is_ws(in[p]))
        p++;
      if (p >= n) {
        t->errors++;
        t->force_quirks = true;
        st = TS_DATA;
        EMIT(HTML_TOKEN_DOCTYPE);
      }
      if (in[p] == '>') {
        p++;
        st = TS_DATA;
        EMIT(HTML_TOKEN_DOCTYPE);
      }
      if (n - p >= 6 && tk_ci_eq(in + p, "public", 6)) {
        p += 6;
        st = TS_AFTER_DOCTYPE_PUBLIC_KEYWORD;
      } else if (n - p >= 6 && tk_ci_eq(in + p, "system", 6)) {
        p += 6;
        st = TS_AFTER_DOCTYPE_SYSTEM_KEYWORD;
      } else {
        t->errors++; /* invalid-character-sequence-after-doctype-name */
        t->force_quirks = true;
        st = TS_BOGUS_DOCTYPE;
      }
      break;

    case TS_AFTER_DOCTYPE_PUBLIC_KEYWORD:
    case TS_BEFORE_DOCTYPE_PUBLIC_IDENTIFIER:
    case TS_AFTER_DOCTYPE_SYSTEM_KEYWORD:
    case TS_BEFORE_DOCTYPE_SYSTEM_IDENTIFIER: {
      bool pub = st == TS_AFTER_DOCTYPE_PUBLIC_KEYWORD || st == TS_BEFORE_DOCTYPE_PUBLIC_IDENTIFIER;
      if (st == TS_AFTER_DOCTYPE_PUBLIC_KEYWORD || st == TS_AFTER_DOCTYPE_SYSTEM_KEYWORD) {
        if (p < n && tk_is_ws(in[p])) {
          st = pub ? TS_BEFORE_DOCTYPE_PUBLIC_IDENTIFIER : TS_BEFORE_DOCTYPE_SYSTEM_IDENTIFIER;
          break;
        }
        if (p < n && (in[p] == '"' || in[p] == '\''))
          t->errors++; /* missing-whitespace-after-doctype-*-keyword */
      } else {
        while (p < n && tk_is_ws(in[p]))
          p++;
      }
      if (p >= n) {
        t->errors++;
        t->force_quirks = true;
        st = TS_DATA;
        EMIT(HTML_TOKEN_DOCTYPE);
      }
      c = in[p];
      if (c == '"' || c == '\'') {
        p++;
        if (pub) {
          t->has_pub = true;
          t->pub_off = (uint32_t)t->tb.len;
          st = c == '"' ? TS_DOCTYPE_PUBLIC_IDENTIFIER_DOUBLE_QUOTED
                        : TS_DOCTYPE_PUBLIC_IDENTIFIER_SINGLE_QUOTED;
        } else {
          t->has_sys = true;
          t->sys_off = (uint32_t)t->tb.len;
          st = c == '"' ? TS_DOCTYPE_SYSTEM_IDENTIFIER_DOUBLE_QUOTED
                        : TS_DOCTYPE_SYSTEM_IDENTIFIER_SINGLE_QUOTED;
        }
      } else if (c == '>') {
        t->errors++; /* missing-doctype-*-identifier */
        t->force_quirks = true;
        p++;
        st = TS_DATA;
        EMIT(HTML_TOKEN_DOCTYPE);
      } else {
        t->errors++; /* missing-quote-before-doctype-*-identifier */
        t->force_quirks = true;
        st = TS_BOGUS_DOCTYPE;
      }
      break;
    }

    case TS_DOCTYPE_PUBLIC_IDENTIFIER_DOUBLE_QUOTED:
    case TS_DOCTYPE_PUBLIC_IDENTIFIER_SINGLE_QUOTED:
    case TS_DOCTYPE_SYSTEM_IDENTIFIER_DOUBLE_QUOTED:
    case TS_DOCTYPE_SYSTEM_IDENTIFIER_SINGLE_QUOTED: {
      bool pub = st == TS_DOCTYPE_PUBLIC_IDENTIFIER_DOUBLE_QUOTED ||
                 st == TS_DOCTYPE_PUBLIC_IDENTIFIER_SINGLE_QUOTED;
      unsigned char q = (st == TS_DOCTYPE_PUBLIC_IDENTIFIER_DOUBLE_QUOTED ||
                         st == TS_DOCTYPE_SYSTEM_IDENTIFIER_DOUBLE_QUOTED)
                            ? '"'
                            : '\'';
      for (;;) {
        size_t k = tk_scan3(in + p, n - p, q, '>', 0);
        if (k) {
          TB_RUN(in + p, k);
          p += k;
        }
        if (pub)
          t->pub_len = (uint32_t)(t->tb.len - t->pub_off);
        else
          t->sys_len = (uint32_t)(t->tb.len - t->sys_off);
        if (p >= n) {
          t->errors++;
          t->force_quirks = true;
          st = TS_DATA;
          EMIT(HTML_TOKEN_DOCTYPE);
        }
        c = in[p++];
        if (c == q) {
          st = pub ? TS_AFTER_DOCTYPE_PUBLIC_IDENTIFIER : TS_AFTER_DOCTYPE_SYSTEM_IDENTIFIER;
          break;
        }
        if (c == '>') {
          t->errors++; /* abrupt-doctype-*-identifier */
          t->force_quirks = true;
          st = TS_DATA;
          EMIT(HTML_TOKEN_DOCTYPE);
        }
        t->errors++;
        TB_FFFD();
      }
      break;
    }

    case TS_AFTER_DOCTYPE_PUBLIC_IDENTIFIER:
    case TS_BETWEEN_DOCTYPE_PUBLIC_AND_SYSTEM_IDENTIFIERS:
      if (st == TS_AFTER_DOCTYPE_PUBLIC_IDENTIFIER) {
        if (p < n && tk_is_ws(in[p])) {
          p++;
          st = TS_BETWEEN_DOCTYPE_PUBLIC_AND_SYSTEM_IDENTIFIERS;
          break;
        }
        if (p < n && (in[p] == '"' || in[p] == '\''))
          t->errors++; /* missing-whitespace-between-doctype-public-and-system-identifiers */
      } else {
        while (p < n && tk_is_ws(in[p]))
          p++;
      }
      if (p >= n) {
        t->errors++;
        t->force_quirks = true;
        st = TS_DATA;
        EMIT(HTML_TOKEN_DOCTYPE);
      }
      c = in[p];
      if (c == '>') {
        p++;
        st = TS_DATA;
        EMIT(HTML_TOKEN_DOCTYPE);
      }
      if (c == '"' || c == '\'') {
        p++;
        t->has_sys = true;
        t->sys_off = (uint32_t)t->tb.len;
        st = c == '"' ? TS_DOCTYPE_SYSTEM_IDENTIFIER_DOUBLE_QUOTED
                      : TS_DOCTYPE_SYSTEM_IDENTIFIER_SINGLE_QUOTED;
      } else {
        t->errors++;
        t->force_quirks = true;
        st = TS_BOGUS_DOCTYPE;
      }
      break;

    case TS_AFTER_DOCTYPE_SYSTEM_IDENTIFIER:
      while (p < n && tk_is_ws(in[p]))
        p++;
      if (p >= n) {
        t->errors++;
        t->force_quirks = true;
        st = TS_DATA;
        EMIT(HTML_TOKEN_DOCTYPE);
      }
      if (in[p] == '>') {
        p++;
        st = TS_DATA;
        EMIT(HTML_TOKEN_DOCTYPE);
      }
      t->errors++; /* unexpected-character-after-doctype-system-identifier (not quirks) */
      st = TS_BOGUS_DOCTYPE;
      break;

    case TS_BOGUS_DOCTYPE: {
      const unsigned char *gt = p < n ? memchr(in + p, '>', n - p) : NULL;
      st = TS_DATA;
      if (!gt) {
        p = n;
        EMIT(HTML_TOKEN_DOCTYPE);
      }
      p = (size_t)(gt - in) + 1;
      EMIT(HTML_TOKEN_DOCTYPE);
    }
    }
  }

fail:
  SAVE();
  return HTML_TOKEN_ERROR;
}

/* ---- public API ---------------------------------------------------------------------------- */

static void tk_fill(html_tokenizer *t, html_token_type type)
{
  html_token *tok = &t->tok;
  static const char empty[1] = "";
  const char *tb = t->tb.p ? t->tb.p : empty;
  memset(tok, 0, sizeof *tok);
  tok->type = type;
  switch (type) {
  case HTML_TOKEN_CHARACTER:
    if (t->cmode == TK_CHARS_SLICE) {
      tok->data = t->cslice;
      tok->data_len = (uint32_t)t->cslice_len;
    } else {
      tok->data = t->text.p ? t->text.p : empty;
      tok->data_len = (uint32_t)t->text.len;
    }
    break;
  case HTML_TOKEN_START_TAG:
  case HTML_TOKEN_END_TAG:
    tok->name = tb;
    tok->name_len = t->name_len;
    tok->self_closing = t->self_closing;
    if (type == HTML_TOKEN_START_TAG) {
      for (size_t i = 0; i < t->n_attrs; i++) {
        const tk_attr_rec *r = &t->recs[i];
        t->attrs[i].name = tb + r->name_off;
        t->attrs[i].name_len = r->name_len;
        t->attrs[i].value = tb + r->val_off;
        t->attrs[i].value_len = r->val_len;
      }
      tok->attrs = t->n_attrs ? t->attrs : NULL;
      tok->n_attrs = (uint32_t)t->n_attrs;
    }
    break;
  case HTML_TOKEN_COMMENT:
    tok->data = tb;
    tok->data_len = (uint32_t)t->tb.len;
    break;
  case HTML_TOKEN_DOCTYPE:
    if (t->has_name) {
      tok->name = tb;
      tok->name_len = t->name_len;
    }
    if (t->has_pub) {
      tok->public_id = tb + t->pub_off;
      tok->public_id_len = t->pub_len;
    }
    if (t->has_sys) {
      tok->system_id = tb + t->sys_off;
      tok->system_id_len = t->sys_len;
    }
    tok->force_quirks = t->force_quirks;
    break;
  default:
    break;
  }
}

static bool tk_remember_start_tag(html_tokenizer *t)
{
  t->last.len = 0;
  return tk_append(t, &t->last, t->tb.p, t->name_len);
}

const html_token *html_tokenizer_next(html_tokenizer *t)
{
  html_token_type type;
  if (t->done)
    return &t->tok;
  if (t->queued) {
    t->queued = false;
    type = t->queued_type;
  } else {
    t->cmode = TK_CHARS_NONE;
    t->text.len = 0;
    type = t->err ? HTML_TOKEN_ERROR : tk_run(t);
  }
  if (type == HTML_TOKEN_START_TAG && !tk_remember_start_tag(t))
    type = HTML_TOKEN_ERROR;
  tk_fill(t, type);
  if (type == HTML_TOKEN_EOF || type == HTML_TOKEN_ERROR)
    t->done = true;
  return &t->tok;
}

/* Preprocessing. Returns the length of the prefix of s that needs no change (valid UTF-8,
 * no CR). */
static size_t tk_clean_prefix(const unsigned char *s, size_t n)
{
  const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull, vcr = ones * '\r';
  size_t i = 0;
  while (i < n) {
    /* ASCII without CR, 16 then 8 bytes at a time */
    while (i + 16 <= n) {
      uint64_t w, v, x, y;
      memcpy(&w, s + i, 8);
      memcpy(&v, s + i + 8, 8);
      x = w ^ vcr;
      y = v ^ vcr;
      if ((w | v | ((x - ones) & ~x) | ((y - ones) & ~y)) & highs)
        break;
      i += 16;
    }
    if (i == n)
      break;
    if (i + 8 <= n) {
      uint64_t w, x;
      memcpy(&w, s + i, 8);
      x = w ^ vcr;
      if (!((w | ((x - ones) & ~x)) & highs)) {
        i += 8;
        continue;
      }
    }
    unsigned c = s[i];
    if (c == '\r')
      return i;
    if (c < 0x80) {
      i++;
      continue;
    }
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
      need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      if (c == 0xE0)
        lo = 0xA0;
      if (c == 0xED)
        hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      if (c == 0xF0)
        lo = 0x90;
      if (c == 0xF4)
        hi = 0x8F;
    } else
      return i;
    if (need >= n - i)
      return i;
    if (s[i + 1] < lo || s[i + 1] > hi)
      return i;
    for (size_t k = 2; k <= need; k++)
      if (s[i + k] < 0x80 || s[i + k] > 0xBF)
        return i;
    i += need + 1;
  }
  return n;
}

/* Copies s[0..n) into t->owned with CR/CRLF -> LF and invalid UTF-8 -> U+FFFD (the WHATWG
 * UTF-8 decoder: one U+FFFD per maximal subpart of an invalid sequence). */
static bool tk_normalise(html_tokenizer *t, const unsigned char *s, size_t n, size_t clean)
{
  tk_buf b = {0};
  /* Usually the output is about as long as the input; grow if invalid bytes expand it. */
  if (!tk_reserve(t, &b, n + 16))
    return false;
  memcpy(b.p, s, clean);
  b.len = clean;
  size_t i = clean;
  while (i < n) {
    size_t k = tk_clean_prefix(s + i, n - i);
    if (k) {
      if (!tk_append(t, &b, s + i, k))
        goto fail;
      i += k;
      continue;
    }
    unsigned c = s[i];
    if (c == '\r') {
      if (!tk_append_byte(t, &b, '\n'))
        goto fail;
      i += (i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
      continue;
    }
    /* An invalid sequence at i: skip its maximal subpart. */
    size_t need = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
      need = 1;
    else if (c >= 0xE0 && c <= 0xEF) {
      need = 2;
      lo = c == 0xE0 ? 0xA0 : 0x80;
      hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
      need = 3;
      lo = c == 0xF0 ? 0x90 : 0x80;
      hi = c == 0xF4 ? 0x8F : 0xBF;
    }
    size_t j = i + 1;
    for (size_t seen = 0; seen < need && j < n; seen++, j++) {
      if (s[j] < lo || s[j] > hi)
        break;
      lo = 0x80;
      hi = 0xBF;
    }
    if (!tk_append(t, &b, tk_fffd, 3))
      goto fail;
    i = j;
  }
  t->owned = b.p;
  t->in = (const unsigned char *)b.p;
  t->n = b.len;
  return true;
fail:
  t->mem_used -= b.cap;
  free(b.p);
  return false;
}

html_tokenizer *html_tokenizer_new(const char *input, size_t len, size_t mem_limit)
{
  html_tokenizer *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->mem_limit = mem_limit;
  t->mem_used = sizeof *t;
  t->state = TS_DATA;
  t->hgen_cur = 1;
  const unsigned char *s = (const unsigned char *)(input ? input : "");
  if (!input)
    len = 0;
  if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) {
    s += 3;
    len -= 3;
  }
  t->in = s;
  t->n = len;
  if (len > TK_MAX_INPUT) {
    t->err = "tokenizer: input larger than 1 GiB";
    t->n = 0;
    return t;
  }
  size_t clean = tk_clean_prefix(s, len);
  if (clean < len && !tk_normalise(t, s, len, clean)) {
    if (t->err && strcmp(t->err, "tokenizer: out of memory") == 0) {
      free(t);
      return NULL;
    }
    t->n = 0; /* over mem_limit: every call reports the error */
  }
  return t;
}

void html_tokenizer_free(html_tokenizer *t)
{
  if (!t)
    return;
  free(t->owned);
  free(t->text.p);
  free(t->tb.p);
  free(t->recs);
  free(t->attrs);
  free(t->hidx);
  free(t->hgen);
  free(t->last.p);
  free(t);
}

void html_tokenizer_set_state(html_tokenizer *t, html_tokenizer_state s)
{
  switch (s) {
  case HTML_STATE_DATA:
    t->state = TS_DATA;
    break;
  case HTML_STATE_RCDATA:
    t->state = TS_RCDATA;
    break;
  case HTML_STATE_RAWTEXT:
    t->state = TS_RAWTEXT;
    break;
  case HTML_STATE_SCRIPT_DATA:
    t->state = TS_SCRIPT_DATA;
    break;
  case HTML_STATE_PLAINTEXT:
    t->state = TS_PLAINTEXT;
    break;
  case HTML_STATE_CDATA_SECTION:
    t->state = TS_CDATA_SECTION;
    break;
  default:
    break; /* internal states cannot be entered from outside */
  }
}

void html_tokenizer_set_last_start_tag(html_tokenizer *t, const char *name, size_t len)
{
  t->last.len = 0;
  if (name && len && tk_append(t, &t->last, name, len))
    tk_lower_inplace(t->last.p, t->last.len);
}

void html_tokenizer_set_foreign(html_tokenizer *t, bool foreign)
{
  t->foreign = foreign;
}

uint32_t html_tokenizer_errors(const html_tokenizer *t)
{
  return t->errors;
}

const char *html_tokenizer_error(const html_tokenizer *t)
{
  return t->err;
}
