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

/* Arena growth: a block holds at least DOM_BLOCK_MIN bytes (an empty document fits in the
 * first one) and at least 1/DOM_BLOCK_RATIO of what the document already holds, so a large
 * document needs O(log n) blocks while the unused tail of the current block stays under about
 * 1/DOM_BLOCK_RATIO of the total. Requests over a quarter of the next block get a block of
 * their own, linked behind the current one, which keeps serving small requests. */
#define DOM_BLOCK_MIN (512u - sizeof(dom_arena_block))
#define DOM_BLOCK_RATIO 32u

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

static void *dom_alloc_slow(dom_doc *doc, size_t n)
{
  size_t cap = DOM_BLOCK_MIN;
  if (doc->mem_used / DOM_BLOCK_RATIO > cap)
    cap = doc->mem_used / DOM_BLOCK_RATIO;
  bool own = n > cap / 4;
  if (own)
    cap = n;
  if (doc->mem_limit && doc->mem_used + cap + sizeof(dom_arena_block) > doc->mem_limit) {
    if (doc->mem_used + n + sizeof(dom_arena_block) > doc->mem_limit) {
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
  nb->used = n;
  nb->cap = cap;
  if (own && doc->blocks) {
    nb->next = doc->blocks->next;
    doc->blocks->next = nb;
  } else {
    nb->next = doc->blocks;
    doc->blocks = nb;
  }
  doc->mem_used += sizeof *nb + cap;
  memset(nb->data, 0, n);
  return nb->data;
}

void *dom_alloc(dom_doc *doc, size_t n)
{
  n = (n + 7u) & ~(size_t)7u;
  dom_arena_block *b = doc->blocks;
  if (!b || b->cap - b->used < n)
    return dom_alloc_slow(doc, n);
  void *p = b->data + b->used;
  b->used += n;
  memset(p, 0, n);
  return p;
}

/* Grows the allocation p[0..old) to n bytes in place when it is the last one of the current
 * block and the block has room. */
static bool dom_extend(dom_doc *doc, void *p, size_t old, size_t n)
{
  dom_arena_block *b = doc->blocks;
  old = (old + 7u) & ~(size_t)7u;
  n = (n + 7u) & ~(size_t)7u;
  if (!b || (unsigned char *)p + old != b->data + b->used || b->cap - b->used < n - old)
    return false;
  b->used += n - old;
  return true;
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

/* Common attribute names, sorted by length, then bytes (dom_attr_name_intern). */
static const char *const dom_attr_names[] = {
    "d",
    "r",
    "x",
    "y",
    "cx",
    "cy",
    "id",
    "is",
    "rx",
    "ry",
    "x1",
    "x2",
    "y1",
    "y2",
    "alt",
    "dir",
    "for",
    "max",
    "min",
    "rel",
    "src",
    "abbr",
    "cite",
    "face",
    "fill",
    "form",
    "href",
    "lang",
    "list",
    "loop",
    "name",
    "part",
    "role",
    "size",
    "slot",
    "span",
    "step",
    "type",
    "align",
    "allow",
    "async",
    "class",
    "clear",
    "color",
    "defer",
    "ismap",
    "label",
    "media",
    "muted",
    "nonce",
    "scope",
    "shape",
    "sizes",
    "start",
    "style",
    "title",
    "value",
    "width",
    "xmlns",
    "accept",
    "action",
    "border",
    "coords",
    "height",
    "hidden",
    "hspace",
    "method",
    "nowrap",
    "offset",
    "onload",
    "points",
    "poster",
    "srcdoc",
    "srcset",
    "stroke",
    "target",
    "usemap",
    "valign",
    "vspace",
    "bgcolor",
    "charset",
    "checked",
    "colspan",
    "content",
    "data-id",
    "dirname",
    "enctype",
    "headers",
    "loading",
    "noshade",
    "onclick",
    "onerror",
    "opacity",
    "pattern",
    "preload",
    "profile",
    "rowspan",
    "sandbox",
    "summary",
    "version",
    "autoplay",
    "controls",
    "data-src",
    "data-url",
    "datetime",
    "decoding",
    "disabled",
    "download",
    "hreflang",
    "itemprop",
    "itemtype",
    "language",
    "longdesc",
    "multiple",
    "onchange",
    "onsubmit",
    "property",
    "readonly",
    "required",
    "reversed",
    "selected",
    "tabindex",
    "xml:lang",
    "accesskey",
    "aria-live",
    "autofocus",
    "clip-rule",
    "data-href",
    "data-name",
    "data-slot",
    "data-type",
    "draggable",
    "fill-rule",
    "focusable",
    "inputmode",
    "integrity",
    "itemscope",
    "maxlength",
    "scrolling",
    "transform",
    "translate",
    "aria-label",
    "aria-modal",
    "data-event",
    "data-index",
    "data-label",
    "data-title",
    "data-width",
    "formaction",
    "http-equiv",
    "novalidate",
    "onmouseout",
    "spellcheck",
    "aria-atomic",
    "aria-hidden",
    "cellpadding",
    "cellspacing",
    "crossorigin",
    "data-action",
    "data-height",
    "data-module",
    "data-srcset",
    "data-target",
    "data-testid",
    "data-toggle",
    "frameborder",
    "marginwidth",
    "onmouseover",
    "placeholder",
    "playsinline",
    "aria-current",
    "aria-pressed",
    "autocomplete",
    "data-content",
    "data-dismiss",
    "data-reactid",
    "fill-opacity",
    "marginheight",
    "stroke-width",
    "aria-controls",
    "aria-disabled",
    "aria-expanded",
    "aria-haspopup",
    "aria-selected",
    "aria-valuemax",
    "aria-valuemin",
    "aria-valuenow",
    "data-category",
    "data-lazy-src",
    "data-original",
    "data-position",
    "data-settings",
    "data-bs-target",
    "data-bs-toggle",
    "data-component",
    "data-link-name",
    "data-menu-item",
    "data-placement",
    "referrerpolicy",
    "stroke-linecap",
    "allowfullscreen",
    "aria-labelledby",
    "contenteditable",
    "stroke-linejoin",
    "aria-describedby",
    "aria-orientation",
    "data-lazy-srcset",
    "data-widget_type",
    "data-element_type",
    "data-ga-track-json",
    "data-original-title",
    "data-tracking-label",
    "data-drupal-link-system-path",
};

const char *dom_attr_name_intern(const char *name, size_t len)
{
  size_t lo = 0, hi = sizeof dom_attr_names / sizeof dom_attr_names[0];
  while (lo < hi) {
    size_t m = lo + (hi - lo) / 2;
    const char *k = dom_attr_names[m];
    size_t kl = strlen(k);
    int c = kl < len ? -1 : kl > len ? 1 : memcmp(k, name, len);
    if (c == 0)
      return k;
    if (c < 0)
      lo = m + 1;
    else
      hi = m;
  }
  return NULL;
}

const char *dom_attr_prefix(const dom_attr *a)
{
  switch (a->ns) {
  case DOM_NS_XLINK:
    return "xlink";
  case DOM_NS_XML:
    return "xml";
  case DOM_NS_XMLNS: /* xmlns itself has no prefix; xmlns:xlink has */
    return a->name_len == 5 && memcmp(a->name, "xmlns", 5) == 0 ? NULL : "xmlns";
  default:
    return NULL;
  }
}

static dom_node *dom_new_node(dom_doc *doc, dom_node_type type)
{
  bool chardata = type == DOM_TEXT || type == DOM_COMMENT;
  dom_node *n = dom_alloc(doc, chardata ? DOM_CHARDATA_SIZE : sizeof *n);
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
  if (n >= UINT32_MAX) {
    doc->oom = true;
    return NULL;
  }
  /* Sized exactly: most nodes never grow (dom_text_append doubles when they do). */
  char *d = dom_alloc(doc, n + 1);
  if (!d)
    return NULL;
  if (n)
    memcpy(d, s, n);
  d[n] = '\0';
  node->data = d;
  node->data_len = (uint32_t)n;
  node->data_cap = (uint32_t)(n + 1);
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
  size_t need = t->data_len + n + 1;
  if (need > t->data_cap) {
    size_t cap = t->data_cap ? (size_t)t->data_cap * 2 : 16;
    while (cap < need)
      cap *= 2;
    if (cap > UINT32_MAX)
      cap = UINT32_MAX;
    if (t->data_cap && dom_extend(doc, t->data, t->data_cap, need)) {
      cap = (need + 7u) & ~(size_t)7u; /* grown in place: no slack needed */
    } else {
      char *nd = dom_alloc(doc, cap);
      if (!nd)
        return false;
      if (t->data_len)
        memcpy(nd, t->data, t->data_len);
      t->data = nd;
    }
    t->data_cap = (uint32_t)(cap < UINT32_MAX ? cap : UINT32_MAX);
  }
  if (n)
    memcpy(t->data + t->data_len, s, n);
  t->data_len += (uint32_t)n;
  t->data[t->data_len] = '\0';
  return true;
}

static const char dom_empty[1] = "";

/* Whitespace that makes up most whitespace-only text nodes: runs of one character (suffixes
 * of the strings below are NUL-terminated runs of every length) and a newline followed by an
 * indentation of tabs or spaces. */
#define DOM_WS_RUN 32
#define DOM_NL_TABS 16
#define DOM_NL_SPACES 32
static const char dom_ws_spaces[DOM_WS_RUN + 1] = "                                ";
static const char dom_ws_newlines[DOM_WS_RUN + 1] = "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n"
                                                    "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n";
static const char dom_ws_tabs[DOM_WS_RUN + 1] = "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t"
                                                "\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t";
static const char dom_nl_tabs[DOM_NL_TABS][DOM_NL_TABS + 1] = {"\n",
                                                               "\n\t",
                                                               "\n\t\t",
                                                               "\n\t\t\t",
                                                               "\n\t\t\t\t",
                                                               "\n\t\t\t\t\t",
                                                               "\n\t\t\t\t\t\t",
                                                               "\n\t\t\t\t\t\t\t",
                                                               "\n\t\t\t\t\t\t\t\t",
                                                               "\n\t\t\t\t\t\t\t\t\t",
                                                               "\n\t\t\t\t\t\t\t\t\t\t",
                                                               "\n\t\t\t\t\t\t\t\t\t\t\t",
                                                               "\n\t\t\t\t\t\t\t\t\t\t\t\t",
                                                               "\n\t\t\t\t\t\t\t\t\t\t\t\t\t",
                                                               "\n\t\t\t\t\t\t\t\t\t\t\t\t\t\t",
                                                               "\n\t\t\t\t\t\t\t\t\t\t\t\t\t\t\t"};
static const char dom_nl_spaces[DOM_NL_SPACES][DOM_NL_SPACES + 1] = {
    "\n",
    "\n ",
    "\n  ",
    "\n   ",
    "\n    ",
    "\n     ",
    "\n      ",
    "\n       ",
    "\n        ",
    "\n         ",
    "\n          ",
    "\n           ",
    "\n            ",
    "\n             ",
    "\n              ",
    "\n               ",
    "\n                ",
    "\n                 ",
    "\n                  ",
    "\n                   ",
    "\n                    ",
    "\n                     ",
    "\n                      ",
    "\n                       ",
    "\n                        ",
    "\n                         ",
    "\n                          ",
    "\n                           ",
    "\n                            ",
    "\n                             ",
    "\n                              ",
    "\n                               "};

static bool dom_all(const char *s, size_t n, char c)
{
  for (size_t i = 0; i < n; i++)
    if (s[i] != c)
      return false;
  return true;
}

const char *dom_static_text(const char *s, size_t n)
{
  if (n == 0)
    return dom_empty;
  if (n <= DOM_WS_RUN) {
    const char *run = s[0] == ' '    ? dom_ws_spaces
                      : s[0] == '\n' ? dom_ws_newlines
                      : s[0] == '\t' ? dom_ws_tabs
                                     : NULL;
    if (run && dom_all(s + 1, n - 1, s[0]))
      return run + DOM_WS_RUN - n; /* a suffix: NUL-terminated */
  }
  if (n >= 2 && s[0] == '\n') {
    if (s[1] == '\t' && n - 1 < DOM_NL_TABS && dom_all(s + 2, n - 2, '\t'))
      return dom_nl_tabs[n - 1];
    if (s[1] == ' ' && n - 1 < DOM_NL_SPACES && dom_all(s + 2, n - 2, ' '))
      return dom_nl_spaces[n - 1];
  }
  return NULL;
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
  const char *in = dom_attr_name_intern(name, nlen);
  a->name = in ? in : dom_strndup(doc, name, nlen);
  a->value = value && vlen ? dom_strndup(doc, value, vlen) : dom_empty;
  if (!a->name || !a->value)
    return false;
  a->name_len = (uint32_t)nlen;
  a->value_len = value ? (uint32_t)vlen : 0;
  a->ns = DOM_NS_NONE;
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
