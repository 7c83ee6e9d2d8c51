/*
 * selector.c - the CSS selector subset of custom mode.
 *
 * Grammar: list := complex ("," complex)*; complex := compound ((" " | ">") compound)*;
 * compound := [type | "*"] ("#" id | "." class | "[" attr [op value] "]")*, op one of
 * = ~= ^= $= *= |=, value an identifier or a quoted string. Anything else (pseudo-classes,
 * "+", "~", namespaces, an empty list member) is a syntax error: the caller gets
 * RT_GUEST_SELECTOR rather than a silently different selection.
 * Matching goes right to left; a descendant combinator takes the nearest matching ancestor
 * (greedy, iterative, no backtracking). That is exact for selectors made of descendant
 * combinators only, or of child combinators only; a mix such as "a > b c" can miss a match that
 * needs a farther "b" (documented limitation).
 */
#include "guest/extract/ex_internal.h"

#include <stdlib.h>
#include <string.h>

#define SEL_MAX_ITEMS 256

typedef enum { SA_EXISTS, SA_EQ, SA_WORD, SA_PREFIX, SA_SUFFIX, SA_SUBSTR, SA_DASH } sa_op;

typedef struct sel_simple {
  char kind; /* 't' type, '#' id, '.' class, '[' attribute */
  sa_op op;
  char *name, *value;
  size_t name_len, value_len;
} sel_simple;

typedef struct sel_compound {
  sel_simple *simples;
  size_t n;
  char comb; /* combinator to the compound on the left: ' ' or '>' (0 for the first) */
} sel_compound;

typedef struct sel_complex {
  sel_compound *parts;
  size_t n;
} sel_complex;

struct ex_selector {
  sel_complex *items;
  size_t n;
};

static bool ident_char(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || (unsigned char)c >= 0x80;
}

static bool is_ws(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static char *dup_n(const char *s, size_t n, bool lower)
{
  char *d = malloc(n + 1);
  if (!d)
    return NULL;
  for (size_t i = 0; i < n; i++)
    d[i] = lower ? ex_lower(s[i]) : s[i];
  d[n] = '\0';
  return d;
}

void ex_selector_free(ex_selector *sel)
{
  if (!sel)
    return;
  for (size_t i = 0; i < sel->n; i++) {
    for (size_t j = 0; j < sel->items[i].n; j++) {
      sel_compound *c = &sel->items[i].parts[j];
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

typedef struct sparser {
  const char *s;
  size_t n, i;
  bool oom, err;
} sparser;

static size_t read_ident(sparser *p)
{
  size_t st = p->i;
  while (p->i < p->n && ident_char(p->s[p->i]))
    p->i++;
  return p->i - st;
}

static bool push_simple(sparser *p, sel_compound *c, sel_simple s)
{
  if (c->n >= SEL_MAX_ITEMS) {
    p->err = true;
    return false;
  }
  sel_simple *ns = realloc(c->simples, (c->n + 1) * sizeof *ns);
  if (!ns) {
    p->oom = true;
    return false;
  }
  c->simples = ns;
  c->simples[c->n++] = s;
  return true;
}

static bool parse_compound(sparser *p, sel_compound *c)
{
  bool any = false;
  if (p->i < p->n && p->s[p->i] == '*') {
    p->i++;
    any = true;
  } else if (p->i < p->n && ident_char(p->s[p->i])) {
    size_t st = p->i, l = read_ident(p);
    sel_simple s = {'t', SA_EXISTS, dup_n(p->s + st, l, true), NULL, l, 0};
    if (!s.name) {
      p->oom = true;
      return false;
    }
    if (!push_simple(p, c, s)) {
      free(s.name);
      return false;
    }
    any = true;
  }
  while (p->i < p->n) {
    char ch = p->s[p->i];
    if (ch == '#' || ch == '.') {
      p->i++;
      size_t st = p->i, l = read_ident(p);
      if (!l) {
        p->err = true;
        return false;
      }
      sel_simple s = {ch, SA_EXISTS, dup_n(p->s + st, l, false), NULL, l, 0};
      if (!s.name) {
        p->oom = true;
        return false;
      }
      if (!push_simple(p, c, s)) {
        free(s.name);
        return false;
      }
      any = true;
    } else if (ch == '[') {
      p->i++;
      while (p->i < p->n && is_ws(p->s[p->i]))
        p->i++;
      size_t st = p->i, l = read_ident(p);
      if (!l) {
        p->err = true;
        return false;
      }
      sel_simple s = {'[', SA_EXISTS, dup_n(p->s + st, l, true), NULL, l, 0};
      if (!s.name) {
        p->oom = true;
        return false;
      }
      while (p->i < p->n && is_ws(p->s[p->i]))
        p->i++;
      if (p->i < p->n && p->s[p->i] != ']') {
        char o = p->s[p->i];
        if (o == '=') {
          s.op = SA_EQ;
          p->i++;
        } else if (p->i + 1 < p->n && p->s[p->i + 1] == '=') {
          s.op = o == '~'   ? SA_WORD
                 : o == '^' ? SA_PREFIX
                 : o == '$' ? SA_SUFFIX
                 : o == '*' ? SA_SUBSTR
                 : o == '|' ? SA_DASH
                            : SA_EXISTS;
          if (s.op == SA_EXISTS) {
            free(s.name);
            p->err = true;
            return false;
          }
          p->i += 2;
        } else {
          free(s.name);
          p->err = true;
          return false;
        }
        while (p->i < p->n && is_ws(p->s[p->i]))
          p->i++;
        size_t vs, vl;
        if (p->i < p->n && (p->s[p->i] == '"' || p->s[p->i] == '\'')) {
          char q = p->s[p->i++];
          vs = p->i;
          while (p->i < p->n && p->s[p->i] != q)
            p->i++;
          if (p->i >= p->n) {
            free(s.name);
            p->err = true;
            return false;
          }
          vl = p->i - vs;
          p->i++;
        } else {
          vs = p->i;
          vl = read_ident(p);
          if (!vl) {
            free(s.name);
            p->err = true;
            return false;
          }
        }
        s.value = dup_n(p->s + vs, vl, false);
        s.value_len = vl;
        if (!s.value) {
          free(s.name);
          p->oom = true;
          return false;
        }
        while (p->i < p->n && is_ws(p->s[p->i]))
          p->i++;
      }
      if (p->i >= p->n || p->s[p->i] != ']') {
        free(s.name);
        free(s.value);
        p->err = true;
        return false;
      }
      p->i++;
      if (!push_simple(p, c, s)) {
        free(s.name);
        free(s.value);
        return false;
      }
      any = true;
    } else {
      break;
    }
  }
  if (!any)
    p->err = true;
  return any;
}

ex_selector *ex_selector_parse(const char *s, size_t n, bool *oom)
{
  *oom = false;
  if (!s || n == 0 || n > EX_MAX_SELECTOR)
    return NULL;
  ex_selector *sel = calloc(1, sizeof *sel);
  if (!sel) {
    *oom = true;
    return NULL;
  }
  sparser p = {s, n, 0, false, false};
  for (;;) {
    while (p.i < n && is_ws(s[p.i]))
      p.i++;
    if (sel->n >= SEL_MAX_ITEMS) {
      p.err = true;
      break;
    }
    sel_complex *ni = realloc(sel->items, (sel->n + 1) * sizeof *ni);
    if (!ni) {
      p.oom = true;
      break;
    }
    sel->items = ni;
    sel_complex *cx = &sel->items[sel->n++];
    memset(cx, 0, sizeof *cx);
    char comb = 0;
    for (;;) {
      if (cx->n >= SEL_MAX_ITEMS) {
        p.err = true;
        break;
      }
      sel_compound *np = realloc(cx->parts, (cx->n + 1) * sizeof *np);
      if (!np) {
        p.oom = true;
        break;
      }
      cx->parts = np;
      sel_compound *c = &cx->parts[cx->n++];
      memset(c, 0, sizeof *c);
      c->comb = comb;
      if (!parse_compound(&p, c))
        break;
      /* combinator or end of this complex selector */
      bool ws = false;
      while (p.i < n && is_ws(s[p.i])) {
        p.i++;
        ws = true;
      }
      if (p.i >= n || s[p.i] == ',')
        break;
      if (s[p.i] == '>') {
        comb = '>';
        p.i++;
        while (p.i < n && is_ws(s[p.i]))
          p.i++;
      } else if (ws) {
        comb = ' ';
      } else {
        p.err = true; /* "+", "~", ":" and anything else */
        break;
      }
    }
    if (p.err || p.oom)
      break;
    if (p.i >= n)
      break;
    p.i++; /* ',' */
  }
  if (p.err || p.oom) {
    *oom = p.oom;
    ex_selector_free(sel);
    return NULL;
  }
  return sel;
}

static bool attr_match(const dom_node *el, const sel_simple *s)
{
  size_t vl = 0;
  const char *v = dom_attr_get(el, s->name, &vl);
  if (!v)
    return false;
  const char *w = s->value;
  size_t wl = s->value_len;
  switch (s->op) {
  case SA_EXISTS:
    return true;
  case SA_EQ:
    return vl == wl && memcmp(v, w, wl) == 0;
  case SA_PREFIX:
    return wl && vl >= wl && memcmp(v, w, wl) == 0;
  case SA_SUFFIX:
    return wl && vl >= wl && memcmp(v + vl - wl, w, wl) == 0;
  case SA_SUBSTR:
    if (!wl || wl > vl)
      return false;
    for (size_t i = 0; i + wl <= vl; i++)
      if (memcmp(v + i, w, wl) == 0)
        return true;
    return false;
  case SA_DASH:
    return (vl == wl && memcmp(v, w, wl) == 0) ||
           (vl > wl && memcmp(v, w, wl) == 0 && v[wl] == '-');
  case SA_WORD: {
    if (!wl)
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
  }
  return false;
}

static bool compound_match(const sel_compound *c, const dom_node *el)
{
  if (!el || el->type != DOM_ELEMENT)
    return false;
  for (size_t k = 0; k < c->n; k++) {
    const sel_simple *s = &c->simples[k];
    switch (s->kind) {
    case 't':
      if (el->name_len != s->name_len || !ex_ieq(el->name, el->name_len, s->name))
        return false;
      break;
    case '#': {
      size_t l;
      const char *id = ex_id(el, &l);
      if (l != s->name_len || memcmp(id, s->name, l) != 0)
        return false;
      break;
    }
    case '.': {
      sel_simple w = {'[', SA_WORD, (char *)"class", s->name, 5, s->name_len};
      if (!attr_match(el, &w))
        return false;
      break;
    }
    default:
      if (!attr_match(el, s))
        return false;
    }
  }
  return true;
}

static bool complex_match(const sel_complex *cx, const dom_node *el)
{
  if (!cx->n || !compound_match(&cx->parts[cx->n - 1], el))
    return false;
  const dom_node *cur = el;
  for (size_t k = cx->n - 1; k > 0; k--) {
    const sel_compound *right = &cx->parts[k];
    const sel_compound *left = &cx->parts[k - 1];
    if (right->comb == '>') {
      cur = cur->parent;
      if (!compound_match(left, cur))
        return false;
    } else {
      const dom_node *a = cur->parent;
      while (a && !compound_match(left, a))
        a = a->parent;
      if (!a)
        return false;
      cur = a;
    }
  }
  return true;
}

bool ex_selector_match(const ex_selector *sel, const dom_node *el)
{
  if (!sel || !el || el->type != DOM_ELEMENT)
    return false;
  for (size_t i = 0; i < sel->n; i++)
    if (complex_match(&sel->items[i], el))
      return true;
  return false;
}
