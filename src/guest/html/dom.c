/* dom.c - the arena and node operations of the compact DOM. */
#include "dom.h"

#include <stdlib.h>
#include <string.h>

struct dom_arena_block {
  dom_arena_block *next;
  size_t used, cap;
  /* data follows, 8-byte aligned */
  _Alignas(8) unsigned char data[];
};

#define DOM_BLOCK_MIN (64u * 1024u)

dom_doc *dom_doc_new(size_t mem_limit)
{
  dom_doc *doc = calloc(1, sizeof *doc);
  if (!doc)
    return NULL;
  doc->mem_limit = mem_limit;
  doc->root = dom_alloc(doc, sizeof(dom_node));
  if (!doc->root) {
    dom_doc_free(doc);
    return NULL;
  }
  doc->root->type = DOM_DOCUMENT;
  return doc;
}

void dom_doc_free(dom_doc *doc)
{
  if (!doc)
    return;
  dom_arena_block *b = doc->blocks;
  while (b) {
    dom_arena_block *next = b->next;
    free(b);
    b = next;
  }
  free(doc);
}

void *dom_alloc(dom_doc *doc, size_t n)
{
  n = (n + 7u) & ~(size_t)7u;
  dom_arena_block *b = doc->blocks;
  if (!b || b->cap - b->used < n) {
    size_t cap = n > DOM_BLOCK_MIN ? n : DOM_BLOCK_MIN;
    /* Grow block size with the document so the block count stays logarithmic-ish. */
    if (doc->mem_used / 8 > cap)
      cap = doc->mem_used / 8;
    if (doc->mem_limit && doc->mem_used + cap + sizeof *b > doc->mem_limit) {
      if (doc->mem_used + n + sizeof *b > doc->mem_limit) {
        doc->oom = true;
        return NULL;
      }
      cap = n;
    }
    dom_arena_block *nb = malloc(sizeof *nb + cap);
    if (!nb) {
      doc->oom = true;
      return NULL;
    }
    nb->used = 0;
    nb->cap = cap;
    nb->next = doc->blocks;
    doc->blocks = nb;
    doc->mem_used += sizeof *nb + cap;
    b = nb;
  }
  void *p = b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

char *dom_strndup(dom_doc *doc, const char *s, size_t n)
{
  char *p = dom_alloc(doc, n + 1);
  if (!p)
    return NULL;
  if (n)
    memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

static dom_node *dom_new_node(dom_doc *doc, dom_node_type type)
{
  dom_node *n = dom_alloc(doc, sizeof *n);
  if (n)
    n->type = (uint8_t)type;
  return n;
}

dom_node *dom_new_element(dom_doc *doc, const char *name, size_t len, dom_ns ns)
{
  dom_node *n = dom_new_node(doc, DOM_ELEMENT);
  if (!n)
    return NULL;
  n->ns = (uint8_t)ns;
  n->tag = (uint16_t)html_tag_lookup(name, len);
  n->name = dom_strndup(doc, name, len);
  if (!n->name)
    return NULL;
  n->name_len = (uint32_t)len;
  return n;
}

static dom_node *dom_new_chardata(dom_doc *doc, dom_node_type type, const char *s, size_t n)
{
  dom_node *node = dom_new_node(doc, type);
  if (!node)
    return NULL;
  if (!dom_text_append(doc, node, s, n))
    return NULL;
  return node;
}

dom_node *dom_new_text(dom_doc *doc, const char *s, size_t n)
{
  return dom_new_chardata(doc, DOM_TEXT, s, n);
}

dom_node *dom_new_comment(dom_doc *doc, const char *s, size_t n)
{
  return dom_new_chardata(doc, DOM_COMMENT, s, n);
}

dom_node *dom_new_doctype(dom_doc *doc, const char *name, size_t len)
{
  dom_node *n = dom_new_node(doc, DOM_DOCTYPE);
  if (!n)
    return NULL;
  n->name = dom_strndup(doc, name ? name : "", name ? len : 0);
  n->name_len = name ? (uint32_t)len : 0;
  return n->name ? n : NULL;
}

dom_node *dom_new_fragment(dom_doc *doc)
{
  return dom_new_node(doc, DOM_FRAGMENT);
}

bool dom_text_append(dom_doc *doc, dom_node *t, const char *s, size_t n)
{
  /* data is kept NUL-terminated, so cap counts the terminator. */
  if ((size_t)t->data_len + n + 1 > UINT32_MAX) {
    doc->oom = true;
    return false;
  }
  if (t->data_len + n + 1 > t->data_cap) {
    size_t cap = t->data_cap ? (size_t)t->data_cap * 2 : 16;
    while (cap < t->data_len + n + 1)
      cap *= 2;
    if (cap > UINT32_MAX)
      cap = UINT32_MAX;
    char *nd = dom_alloc(doc, cap);
    if (!nd)
      return false;
    if (t->data_len)
      memcpy(nd, t->data, t->data_len);
    t->data = nd;
    t->data_cap = (uint32_t)cap;
  }
  if (n)
    memcpy(t->data + t->data_len, s, n);
  t->data_len += (uint32_t)n;
  t->data[t->data_len] = '\0';
  return true;
}

bool dom_attr_add(dom_doc *doc, dom_node *el, const char *name, size_t nlen, const char *value,
                  size_t vlen)
{
  if (el->n_attrs == el->attrs_cap) {
    uint32_t cap = el->attrs_cap ? el->attrs_cap * 2 : 4;
    dom_attr *na = dom_alloc(doc, (size_t)cap * sizeof *na);
    if (!na)
      return false;
    if (el->n_attrs)
      memcpy(na, el->attrs, (size_t)el->n_attrs * sizeof *na);
    el->attrs = na;
    el->attrs_cap = cap;
  }
  dom_attr *a = &el->attrs[el->n_attrs];
  a->name = dom_strndup(doc, name, nlen);
  a->value = dom_strndup(doc, value ? value : "", value ? vlen : 0);
  if (!a->name || !a->value)
    return false;
  a->name_len = (uint32_t)nlen;
  a->value_len = value ? (uint32_t)vlen : 0;
  a->ns = DOM_NS_NONE;
  a->prefix = NULL;
  el->n_attrs++;
  return true;
}

const char *dom_attr_get(const dom_node *el, const char *name, size_t *len)
{
  if (!el || el->type != DOM_ELEMENT)
    return NULL;
  size_t nl = strlen(name);
  for (uint32_t i = 0; i < el->n_attrs; i++) {
    const dom_attr *a = &el->attrs[i];
    if (a->name_len == nl && memcmp(a->name, name, nl) == 0) {
      if (len)
        *len = a->value_len;
      return a->value;
    }
  }
  return NULL;
}

void dom_remove(dom_node *n)
{
  dom_node *p = n->parent;
  if (!p)
    return;
  if (n->prev)
    n->prev->next = n->next;
  else
    p->first_child = n->next;
  if (n->next)
    n->next->prev = n->prev;
  else
    p->last_child = n->prev;
  n->parent = n->prev = n->next = NULL;
}

void dom_insert_before(dom_node *parent, dom_node *child, dom_node *ref)
{
  if (child->parent)
    dom_remove(child);
  child->parent = parent;
  if (!ref) {
    child->prev = parent->last_child;
    child->next = NULL;
    if (parent->last_child)
      parent->last_child->next = child;
    else
      parent->first_child = child;
    parent->last_child = child;
    return;
  }
  child->next = ref;
  child->prev = ref->prev;
  if (ref->prev)
    ref->prev->next = child;
  else
    parent->first_child = child;
  ref->prev = child;
}

void dom_append_child(dom_node *parent, dom_node *child)
{
  dom_insert_before(parent, child, NULL);
}

dom_node *dom_next_skip(const dom_node *root, const dom_node *n)
{
  while (n && n != root) {
    if (n->next)
      return n->next;
    n = n->parent;
  }
  return NULL;
}

dom_node *dom_next(const dom_node *root, const dom_node *n)
{
  if (n->first_child)
    return n->first_child;
  return dom_next_skip(root, n);
}
