/* json_mini.c - bounded JSON reader for JSON-LD (see json_mini.h). */
#include "guest/extract/json_mini.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct jm_block {
  struct jm_block *next;
  size_t used, cap;
  _Alignas(8) unsigned char data[];
} jm_block;

typedef struct jm_parser {
  const char *s;
  size_t n, i;
  jm_block *blocks;
  size_t values;
  bool fail;
} jm_parser;

static void *jm_alloc(jm_parser *p, size_t sz)
{
  sz = (sz + 7) & ~(size_t)7;
  if (!p->blocks || p->blocks->used + sz > p->blocks->cap) {
    size_t cap = sz > 65536 ? sz : 65536;
    jm_block *b = malloc(sizeof *b + cap);
    if (!b) {
      p->fail = true;
      return NULL;
    }
    b->next = p->blocks;
    b->used = 0;
    b->cap = cap;
    p->blocks = b;
  }
  void *r = p->blocks->data + p->blocks->used;
  p->blocks->used += sz;
  memset(r, 0, sz);
  return r;
}

static void ws(jm_parser *p)
{
  while (p->i < p->n &&
         (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' || p->s[p->i] == '\r'))
    p->i++;
}

static int hexv(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static size_t put_utf8(char *o, uint32_t cp)
{
  if (cp < 0x80) {
    o[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    o[0] = (char)(0xC0 | (cp >> 6));
    o[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    o[0] = (char)(0xE0 | (cp >> 12));
    o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  o[0] = (char)(0xF0 | (cp >> 18));
  o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  o[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

static bool read4(jm_parser *p, uint32_t *v)
{
  if (p->i + 4 > p->n)
    return false;
  uint32_t r = 0;
  for (int k = 0; k < 4; k++) {
    int h = hexv(p->s[p->i + (size_t)k]);
    if (h < 0)
      return false;
    r = r * 16 + (uint32_t)h;
  }
  p->i += 4;
  *v = r;
  return true;
}

static const char *jm_string(jm_parser *p, size_t *len)
{
  /* at '"' */
  p->i++;
  size_t st = p->i;
  size_t e = st;
  while (e < p->n && p->s[e] != '"') {
    if (p->s[e] == '\\')
      e++;
    e++;
  }
  if (e >= p->n) {
    p->fail = true;
    return NULL;
  }
  char *o = jm_alloc(p, e - st + 1);
  if (!o)
    return NULL;
  size_t k = 0;
  while (p->i < e) {
    char c = p->s[p->i++];
    if (c != '\\') {
      o[k++] = c;
      continue;
    }
    char x = p->s[p->i++];
    switch (x) {
    case 'n':
      o[k++] = '\n';
      break;
    case 't':
      o[k++] = '\t';
      break;
    case 'r':
      o[k++] = '\r';
      break;
    case 'b':
      o[k++] = ' ';
      break;
    case 'f':
      o[k++] = ' ';
      break;
    case 'u': {
      uint32_t cp;
      if (!read4(p, &cp)) {
        o[k++] = '?';
        break;
      }
      if (cp >= 0xD800 && cp <= 0xDBFF && p->i + 6 <= e && p->s[p->i] == '\\' &&
          p->s[p->i + 1] == 'u') {
        size_t save = p->i;
        p->i += 2;
        uint32_t lo;
        if (read4(p, &lo) && lo >= 0xDC00 && lo <= 0xDFFF)
          cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        else
          p->i = save;
      }
      if (cp >= 0xD800 && cp <= 0xDFFF)
        cp = 0xFFFD;
      /* a \u escape takes 6 input bytes and gives at most 4 output bytes */
      k += put_utf8(o + k, cp);
      break;
    }
    default:
      o[k++] = x;
      break;
    }
  }
  o[k] = '\0';
  p->i = e + 1;
  *len = k;
  return o;
}

static jm_value *jm_value_parse(jm_parser *p, int depth);

static jm_value *jm_container(jm_parser *p, int depth, bool obj)
{
  jm_value *v = jm_alloc(p, sizeof *v);
  if (!v)
    return NULL;
  v->type = obj ? JM_OBJECT : JM_ARRAY;
  p->i++;
  size_t cap = 0;
  jm_value **items = NULL;
  const char **keys = NULL;
  ws(p);
  if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) {
    p->i++;
    return v;
  }
  for (;;) {
    ws(p);
    const char *key = NULL;
    if (obj) {
      if (p->i >= p->n || p->s[p->i] != '"') {
        p->fail = true;
        break;
      }
      size_t kl;
      key = jm_string(p, &kl);
      if (!key)
        break;
      ws(p);
      if (p->i >= p->n || p->s[p->i] != ':') {
        p->fail = true;
        break;
      }
      p->i++;
    }
    jm_value *item = jm_value_parse(p, depth + 1);
    if (!item)
      break;
    if (v->n == cap) {
      size_t nc = cap ? cap * 2 : 8;
      jm_value **ni = jm_alloc(p, nc * sizeof *ni);
      const char **nk = obj ? jm_alloc(p, nc * sizeof *nk) : NULL;
      if (!ni || (obj && !nk))
        break;
      if (v->n) {
        memcpy(ni, items, v->n * sizeof *ni);
        if (obj)
          memcpy(nk, keys, v->n * sizeof *nk);
      }
      items = ni;
      keys = nk;
      cap = nc;
    }
    items[v->n] = item;
    if (obj)
      keys[v->n] = key;
    v->n++;
    ws(p);
    if (p->i < p->n && p->s[p->i] == ',') {
      p->i++;
      continue;
    }
    if (p->i < p->n && p->s[p->i] == (obj ? '}' : ']')) {
      p->i++;
      v->items = items;
      v->keys = keys;
      return v;
    }
    p->fail = true;
    break;
  }
  p->fail = true;
  return NULL;
}

static jm_value *jm_value_parse(jm_parser *p, int depth)
{
  if (p->fail || depth > JM_MAX_DEPTH || ++p->values > JM_MAX_VALUES) {
    p->fail = true;
    return NULL;
  }
  ws(p);
  if (p->i >= p->n) {
    p->fail = true;
    return NULL;
  }
  char c = p->s[p->i];
  if (c == '{' || c == '[')
    return jm_container(p, depth, c == '{');
  jm_value *v = jm_alloc(p, sizeof *v);
  if (!v)
    return NULL;
  if (c == '"') {
    v->type = JM_STRING;
    v->str = jm_string(p, &v->len);
    return v->str ? v : NULL;
  }
  size_t st = p->i;
  while (p->i < p->n && p->s[p->i] != ',' && p->s[p->i] != '}' && p->s[p->i] != ']' &&
         p->s[p->i] != ' ' && p->s[p->i] != '\n' && p->s[p->i] != '\r' && p->s[p->i] != '\t')
    p->i++;
  size_t l = p->i - st;
  if (l == 0) {
    p->fail = true;
    return NULL;
  }
  if ((l == 4 && memcmp(p->s + st, "true", 4) == 0) ||
      (l == 5 && memcmp(p->s + st, "false", 5) == 0))
    v->type = JM_BOOL;
  else if (l == 4 && memcmp(p->s + st, "null", 4) == 0)
    v->type = JM_NULL;
  else
    v->type = JM_NUMBER;
  v->str = p->s + st; /* not NUL-terminated for numbers: len says */
  v->len = l;
  return v;
}

void jm_free(jm_doc *d)
{
  if (!d)
    return;
  jm_block *b = d->mem;
  while (b) {
    jm_block *nx = b->next;
    free(b);
    b = nx;
  }
  free(d);
}

jm_doc *jm_parse(const char *s, size_t n)
{
  jm_parser p;
  memset(&p, 0, sizeof p);
  p.s = s;
  p.n = n;
  ws(&p);
  /* wrappers some pages put around the JSON: <!-- -->, //<![CDATA[ ]]>, // comments */
  for (;;) {
    while (p.i < n && s[p.i] != '{' && s[p.i] != '[')
      p.i++;
    if (p.i >= 2 && p.i + 7 <= n && s[p.i] == '[' && s[p.i - 1] == '!' && s[p.i - 2] == '<' &&
        memcmp(s + p.i, "[CDATA[", 7) == 0) {
      p.i += 7;
      continue;
    }
    break;
  }
  jm_value *root = jm_value_parse(&p, 0);
  jm_doc *d = calloc(1, sizeof *d);
  if (!root || p.fail || !d) {
    free(d);
    jm_doc tmp = {NULL, p.blocks};
    jm_block *b = tmp.mem;
    while (b) {
      jm_block *nx = b->next;
      free(b);
      b = nx;
    }
    return NULL;
  }
  d->root = root;
  d->mem = p.blocks;
  return d;
}

const jm_value *jm_get(const jm_value *obj, const char *key)
{
  if (!obj || obj->type != JM_OBJECT)
    return NULL;
  for (uint32_t i = 0; i < obj->n; i++)
    if (strcmp(obj->keys[i], key) == 0)
      return obj->items[i];
  return NULL;
}
