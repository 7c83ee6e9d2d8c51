/*
 * selector.c - the CSS selector subset of custom mode: parser and matcher (see selector.h).
 * Guest code that the host library also compiles: it includes nothing but the C library and
 * the shared limits header.
 */
#include "guest/css/selector.h"

#include <stdlib.h>
#include <string.h>

static bool ident_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || (unsigned char)c >= 0x80;
}

static bool is_ws(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static char lower(char c)
{
  return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static bool ieq(const char *a, size_t an, const char *b, size_t bn)
{
  if (an != bn)
    return false;
  for (size_t i = 0; i < an; i++)
    if (lower(a[i]) != lower(b[i]))
      return false;
  return true;
}

static char *dup_n(const char *s, size_t n, bool fold)
{
  char *d = malloc(n + 1);
  if (!d)
    return NULL;
  for (size_t i = 0; i < n; i++)
    d[i] = fold ? lower(s[i]) : s[i];
  d[n] = '\0';
  return d;
}

void css_selector_free(css_selector *sel)
{
  if (!sel)
    return;
  for (size_t i = 0; i < sel->n; i++) {
    for (size_t j = 0; j < sel->items[i].n; j++) {
      css_compound *c = &sel->items[i].parts[j];
      for (size_t k = 0; k < c->n; k++) {
        free(c->simples[k].name);
        free(c->simples[k].value);
      }
      free(c->simples);
    }
    free(sel->items[i].parts);
  }
  free(sel->items);
  free(sel);
}

/* ---- parser --------------------------------------------------------------------------------- */

typedef struct sparser {
  const char *s;
  size_t n, i;
  css_error *err; /* never NULL inside the parser */
} sparser;

static bool fail_at(sparser *p, size_t pos, const char *what)
{
  if (!p->err->what) {
    p->err->what = what;
    p->err->pos = pos;
  }
  return false;
}

static bool fail_oom(sparser *p)
{
  p->err->oom = true;
  return fail_at(p, p->i, "out of memory");
}

static void skip_ws(sparser *p)
{
  while (p->i < p->n && is_ws(p->s[p->i]))
    p->i++;
}

static bool at(const sparser *p, char c)
{
  return p->i < p->n && p->s[p->i] == c;
}

/* Why the byte at p->i cannot continue a selector. */
static const char *unexpected(const sparser *p)
{
  if (p->i >= p->n)
    return "unexpected end of the selector";
  switch (p->s[p->i]) {
  case ':':
    return "pseudo-classes and pseudo-elements are not supported";
  case '+':
  case '~':
    return "sibling combinators are not supported";
  case '|':
    return "namespaces are not supported";
  case '\\':
    return "escapes are not supported";
  case ',':
    return "empty selector in the list";
  case '>':
    return "combinator without a selector on its left";
  case '"':
  case '\'':
    return "a string is only allowed as an attribute value";
  default:
    return "unexpected character";
  }
}

/* An identifier at p->i; 0 (with the error set) when there is none. */
static size_t read_ident(sparser *p, const char *what_missing)
{
  size_t st = p->i;
  while (p->i < p->n && ident_char(p->s[p->i]))
    p->i++;
  if (p->i == st)
    fail_at(p, st, p->i < p->n && p->s[p->i] == '\\' ? "escapes are not supported" : what_missing);
  return p->i - st;
}

static bool push_simple(sparser *p, css_compound *c, css_simple s, size_t pos)
{
  if (c->n >= RT_MAX_SELECTOR_ITEMS) {
    free(s.name);
    free(s.value);
    return fail_at(p, pos, "too many simple selectors in one compound");
  }
  css_simple *ns = realloc(c->simples, (c->n + 1) * sizeof *ns);
  if (!ns) {
    free(s.name);
    free(s.value);
    return fail_oom(p);
  }
  c->simples = ns;
  c->simples[c->n++] = s;
  return true;
}

/* [ attr ] or [ attr op value ], p->i just past '['. */
static bool parse_attribute(sparser *p, css_compound *c, size_t open)
{
  skip_ws(p);
  size_t st = p->i, l = read_ident(p, "expected an attribute name");
  if (!l)
    return false;
  css_simple s = {'[', CSS_ATTR_EXISTS, dup_n(p->s + st, l, true), NULL, l, 0};
  if (!s.name)
    return fail_oom(p);
  skip_ws(p);
  if (p->i < p->n && p->s[p->i] != ']') {
    char o = p->s[p->i];
    size_t op_pos = p->i;
    if (o == '=') {
      s.op = CSS_ATTR_EQ;
      p->i++;
    } else if (p->i + 1 < p->n && p->s[p->i + 1] == '=' && strchr("~^$*|", o)) {
      s.op = o == '~'   ? CSS_ATTR_WORD
             : o == '^' ? CSS_ATTR_PREFIX
             : o == '$' ? CSS_ATTR_SUFFIX
             : o == '*' ? CSS_ATTR_SUBSTR
                        : CSS_ATTR_DASH;
      p->i += 2;
    } else {
      free(s.name);
      return fail_at(p, op_pos,
                     o == '|' ? "namespaces are not supported"
                              : "expected ']' or an operator (= ~= ^= $= *= |=)");
    }
    skip_ws(p);
    size_t vs, vl;
    if (at(p, '"') || at(p, '\'')) {
      size_t qpos = p->i;
      char q = p->s[p->i++];
      vs = p->i;
      while (p->i < p->n && p->s[p->i] != q) {
        char ch = p->s[p->i];
        if (ch == '\\') {
          free(s.name);
          return fail_at(p, p->i, "escapes are not supported");
        }
        if (ch == '\n' || ch == '\r' || ch == '\f') {
          free(s.name);
          return fail_at(p, qpos, "unterminated string");
        }
        p->i++;
      }
      if (p->i >= p->n) {
        free(s.name);
        return fail_at(p, qpos, "unterminated string");
      }
      vl = p->i - vs;
      p->i++;
    } else {
      vs = p->i;
      vl = read_ident(p, "expected an attribute value (an identifier or a quoted string)");
      if (!vl) {
        free(s.name);
        return false;
      }
    }
    s.value = dup_n(p->s + vs, vl, false);
    s.value_len = vl;
    if (!s.value) {
      free(s.name);
      return fail_oom(p);
    }
    skip_ws(p);
  }
  if (!at(p, ']')) {
    free(s.name);
    free(s.value);
    return fail_at(p, p->i < p->n ? p->i : open,
                   p->i < p->n ? "expected ']'" : "unterminated attribute selector");
  }
  p->i++;
  return push_simple(p, c, s, open);
}

static bool parse_compound(sparser *p, css_compound *c)
{
  bool any = false;
  if (at(p, '*')) {
    p->i++;
    any = true;
    if (at(p, '|'))
      return fail_at(p, p->i, "namespaces are not supported");
  } else if (p->i < p->n && ident_char(p->s[p->i])) {
    size_t st = p->i, l = read_ident(p, "expected a type name");
    if (at(p, '|'))
      return fail_at(p, p->i, "namespaces are not supported");
    css_simple s = {'t', CSS_ATTR_EXISTS, dup_n(p->s + st, l, true), NULL, l, 0};
    if (!s.name)
      return fail_oom(p);
    if (!push_simple(p, c, s, st))
      return false;
    any = true;
  }
  while (p->i < p->n) {
    char ch = p->s[p->i];
    size_t st = p->i;
    if (ch == '#' || ch == '.') {
      p->i++;
      size_t is = p->i;
      size_t l =
          read_ident(p, ch == '#' ? "expected an id after '#'" : "expected a class name after '.'");
      if (!l)
        return false;
      css_simple s = {ch, CSS_ATTR_EXISTS, dup_n(p->s + is, l, false), NULL, l, 0};
      if (!s.name)
        return fail_oom(p);
      if (!push_simple(p, c, s, st))
        return false;
    } else if (ch == '[') {
      p->i++;
      if (!parse_attribute(p, c, st))
        return false;
    } else {
      break;
    }
    any = true;
  }
  if (!any)
    return fail_at(p, p->i, unexpected(p));
  return true;
}

static bool parse_complex(sparser *p, css_complex *cx)
{
  char comb = 0;
  for (;;) {
    if (cx->n >= RT_MAX_SELECTOR_ITEMS)
      return fail_at(p, p->i, "too many compound selectors in one complex selector");
    css_compound *np = realloc(cx->parts, (cx->n + 1) * sizeof *np);
    if (!np)
      return fail_oom(p);
    cx->parts = np;
    css_compound *c = &cx->parts[cx->n++];
    memset(c, 0, sizeof *c);
    c->comb = comb;
    if (!parse_compound(p, c))
      return false;
    /* a combinator, or the end of this complex selector */
    size_t before = p->i;
    skip_ws(p);
    if (p->i >= p->n || p->s[p->i] == ',')
      return true;
    if (p->s[p->i] == '>') {
      comb = '>';
      p->i++;
      skip_ws(p);
    } else if (p->i > before && (ident_char(p->s[p->i]) || strchr("*#.[", p->s[p->i]))) {
      comb = ' ';
    } else {
      return fail_at(p, p->i, unexpected(p));
    }
  }
}

css_selector *css_selector_parse(const char *s, size_t n, css_error *err)
{
  css_error local;
  if (!err)
    err = &local;
  memset(err, 0, sizeof *err);
  if (!s || n == 0) {
    err->what = "empty selector";
    return NULL;
  }
  if (n > RT_MAX_SELECTOR) {
    err->what = "selector longer than 4096 bytes";
    err->pos = RT_MAX_SELECTOR;
    return NULL;
  }
  if (memchr(s, '\0', n)) {
    err->what = "NUL byte in the selector";
    err->pos = (size_t)((const char *)memchr(s, '\0', n) - s);
    return NULL;
  }
  css_selector *sel = calloc(1, sizeof *sel);
  if (!sel) {
    err->oom = true;
    err->what = "out of memory";
    return NULL;
  }
  sparser p = {s, n, 0, err};
  bool ok = true;
  for (;;) {
    skip_ws(&p);
    if (sel->n >= RT_MAX_SELECTOR_ITEMS) {
      ok = fail_at(&p, p.i, "too many selectors in the list");
      break;
    }
    css_complex *ni = realloc(sel->items, (sel->n + 1) * sizeof *ni);
    if (!ni) {
      ok = fail_oom(&p);
      break;
    }
    sel->items = ni;
    css_complex *cx = &sel->items[sel->n++];
    memset(cx, 0, sizeof *cx);
    if (p.i >= n) {
      ok = fail_at(&p, p.i, sel->n > 1 ? "empty selector after ','" : "empty selector");
      break;
    }
    if (!parse_complex(&p, cx)) {
      ok = false;
      break;
    }
    if (p.i >= n)
      break;
    p.i++; /* ',' */
  }
  if (!ok) {
    css_selector_free(sel);
    return NULL;
  }
  return sel;
}

/* Appends text to out[*k..cap-1], always NUL-terminated (no stdio in the guest). */
static void put(char *out, size_t cap, size_t *k, const char *t, size_t tn)
{
  for (size_t i = 0; i < tn && *k + 1 < cap; i++)
    out[(*k)++] = t[i];
  out[*k] = '\0';
}

void css_error_format(const css_error *err, const char *s, size_t n, char *out, size_t cap)
{
  if (!out || !cap)
    return;
  const char *what = err && err->what ? err->what : "invalid selector";
  size_t pos = err ? err->pos : 0, k = 0;
  out[0] = '\0';
  put(out, cap, &k, what, strlen(what));
  put(out, cap, &k, " at position ", 13);
  char num[24];
  size_t d = sizeof num;
  size_t v = pos;
  do {
    num[--d] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  put(out, cap, &k, num + d, sizeof num - d);
  if (s && pos < n) {
    size_t end = n - pos > 24 ? pos + 24 : n;
    while (end > pos && end < n && ((unsigned char)s[end] & 0xC0) == 0x80)
      end--; /* not in the middle of a UTF-8 sequence */
    put(out, cap, &k, " ('", 3);
    for (size_t i = pos; i < end; i++) {
      char c = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
      put(out, cap, &k, &c, 1);
    }
    put(out, cap, &k, "')", 2);
  }
}

/* ---- matcher -------------------------------------------------------------------------------- */

static bool word_match(const char *v, size_t vl, const char *w, size_t wl)
{
  if (!wl)
    return false;
  for (size_t i = 0; i < wl; i++)
    if (is_ws(w[i]))
      return false;
  size_t i = 0;
  while (i < vl) {
    while (i < vl && is_ws(v[i]))
      i++;
    size_t e = i;
    while (e < vl && !is_ws(v[e]))
      e++;
    if (e - i == wl && memcmp(v + i, w, wl) == 0)
      return true;
    i = e;
  }
  return false;
}

static bool value_match(css_attr_op op, const char *v, size_t vl, const char *w, size_t wl)
{
  switch (op) {
  case CSS_ATTR_EXISTS:
    return true;
  case CSS_ATTR_EQ:
    return vl == wl && memcmp(v, w, wl) == 0;
  case CSS_ATTR_PREFIX:
    return wl && vl >= wl && memcmp(v, w, wl) == 0;
  case CSS_ATTR_SUFFIX:
    return wl && vl >= wl && memcmp(v + vl - wl, w, wl) == 0;
  case CSS_ATTR_SUBSTR:
    if (!wl || wl > vl)
      return false;
    for (size_t i = 0; i + wl <= vl; i++)
      if (v[i] == w[0] && memcmp(v + i, w, wl) == 0)
        return true;
    return false;
  case CSS_ATTR_DASH:
    return (vl == wl && memcmp(v, w, wl) == 0) ||
           (vl > wl && memcmp(v, w, wl) == 0 && v[wl] == '-');
  case CSS_ATTR_WORD:
    return word_match(v, vl, w, wl);
  }
  return false;
}

static bool compound_match(const css_compound *c, const void *el, const css_node_ops *ops,
                           void *ctx)
{
  if (!el)
    return false;
  for (size_t k = 0; k < c->n; k++) {
    const css_simple *s = &c->simples[k];
    size_t vl = 0;
    const char *v;
    switch (s->kind) {
    case 't':
      v = ops->name(ctx, el, &vl);
      if (!v || !ieq(v, vl, s->name, s->name_len))
        return false;
      break;
    case '#':
      v = ops->attr(ctx, el, "id", 2, &vl);
      if (!v || !value_match(CSS_ATTR_EQ, v, vl, s->name, s->name_len))
        return false;
      break;
    case '.':
      v = ops->attr(ctx, el, "class", 5, &vl);
      if (!v || !word_match(v, vl, s->name, s->name_len))
        return false;
      break;
    default:
      v = ops->attr(ctx, el, s->name, s->name_len, &vl);
      if (!v || !value_match(s->op, v, vl, s->value ? s->value : "", s->value_len))
        return false;
    }
  }
  return true;
}

/* Matches parts[lo..hi] (joined by child combinators) with parts[hi] at el; returns the
 * element matched by parts[lo], or NULL. */
static const void *chain_match(const css_complex *cx, size_t lo, size_t hi, const void *el,
                               const css_node_ops *ops, void *ctx)
{
  for (size_t k = hi;; k--) {
    if (!compound_match(&cx->parts[k], el, ops, ctx))
      return NULL;
    if (k == lo)
      return el;
    el = ops->parent(ctx, el);
  }
}

/* Start of the child-combinator chain that ends at part hi. */
static size_t chain_start(const css_complex *cx, size_t hi)
{
  size_t lo = hi;
  while (lo > 0 && cx->parts[lo].comb == '>')
    lo--;
  return lo;
}

static bool complex_match(const css_complex *cx, const void *el, const css_node_ops *ops, void *ctx)
{
  if (!cx->n)
    return false;
  size_t hi = cx->n - 1, lo = chain_start(cx, hi);
  const void *top = chain_match(cx, lo, hi, el, ops, ctx);
  if (!top)
    return false;
  /* Each earlier chain at the nearest ancestor where it matches whole: any farther match
   * leaves fewer ancestors for the chains on its left, so nearest is never worse. */
  while (lo > 0) {
    hi = lo - 1;
    lo = chain_start(cx, hi);
    const void *a = ops->parent(ctx, top), *found = NULL;
    for (; a && !found; a = ops->parent(ctx, a))
      found = chain_match(cx, lo, hi, a, ops, ctx);
    if (!found)
      return false;
    top = found;
  }
  return true;
}

bool css_selector_match(const css_selector *sel, const void *el, const css_node_ops *ops, void *ctx)
{
  if (!sel || !el || !ops)
    return false;
  for (size_t i = 0; i < sel->n; i++)
    if (complex_match(&sel->items[i], el, ops, ctx))
      return true;
  return false;
}
