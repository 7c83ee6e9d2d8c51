/*
 * dom.c - the arena and node operations of the compact DOM.
 *
 * DESIGN: one arena per document (see dom.h). Under AddressSanitizer every allocation is
 * followed by a poisoned red zone of DOM_REDZONE bytes and a block's unused tail stays
 * poisoned, so reading a field a node does not have (an element field of a text node, which
 * is allocated without them) is reported instead of silently reading the next allocation.
 */
#include "dom.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__) /* gcc */
#define DOM_ASAN 1
#elif defined(__has_feature) /* clang */
#if __has_feature(address_sanitizer)
#define DOM_ASAN 1
#endif
#endif
#if defined(DOM_ASAN)
#include <sanitizer/asan_interface.h>
/* Covers every field of a full node past DOM_CHARDATA_SIZE. */
#define DOM_REDZONE 32u
#define DOM_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define DOM_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define DOM_REDZONE 0u
#define DOM_POISON(p, n) ((void)(p), (void)(n))
#define DOM_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

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
    DOM_UNPOISON(b->data, b->cap);
    free(b);
    b = next;
  }
  free(doc);
}

/* n is rounded and includes the red zone. */
static void *dom_alloc_slow(dom_doc *doc, size_t n)
{
  if (n > SIZE_MAX / 4) {
    doc->oom = true;
    return NULL;
  }
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
  DOM_POISON(nb->data, cap);
  if (own && doc->blocks) {
    nb->next = doc->blocks->next;
    doc->blocks->next = nb;
  } else {
    nb->next = doc->blocks;
    doc->blocks = nb;
  }
  doc->mem_used += sizeof *nb + cap;
  return nb->data;
}

/* Uninitialised bytes (strings, overwritten at once). */
static inline void *dom_alloc_raw(dom_doc *doc, size_t n)
{
  size_t r = ((n + 7u) & ~(size_t)7u) + DOM_REDZONE;
  dom_arena_block *b = doc->blocks;
  void *p;
  if (!b || b->cap - b->used < r || r < n) {
    p = dom_alloc_slow(doc, r < n ? SIZE_MAX : r);
    if (!p)
      return NULL;
  } else {
    p = b->data + b->used;
    b->used += r;
  }
  DOM_UNPOISON(p, n);
  return p;
}

void *dom_alloc(dom_doc *doc, size_t n)
{
  void *p = dom_alloc_raw(doc, n);
  if (p)
    memset(p, 0, n);
  return p;
}

/* Grows the allocation p[0..old) to n bytes in place when it is the last one of the current
 * block and the block has room. */
static bool dom_extend(dom_doc *doc, void *p, size_t old, size_t n)
{
  dom_arena_block *b = doc->blocks;
  old = (old + 7u) & ~(size_t)7u;
  size_t r = (n + 7u) & ~(size_t)7u;
  if (!b || (unsigned char *)p + old + DOM_REDZONE != b->data + b->used ||
      b->cap - b->used < r - old)
    return false;
  b->used += r - old;
  DOM_UNPOISON(p, r); /* the caller may use all of the rounded size as capacity */
  return true;
}

char *dom_strndup(dom_doc *doc, const char *s, size_t n)
{
  char *p = dom_alloc_raw(doc, n + 1);
  if (!p)
    return NULL;
  if (n)
    memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

/* Common attribute names (dom_attr_name_intern), found through an open-addressing table of
 * DOM_ATTR_HASH slots keyed by dom_attr_hash(), linear probing, generated together
 * with the list: slot = 1 + index in dom_attr_names, 0 = empty. tests/test_dom.c looks up every
 * entry. */
typedef struct dom_name {
  const char *s;
  uint32_t len;
} dom_name;
#define DA(x)                                                                                      \
  {                                                                                                \
    x, sizeof(x) - 1                                                                               \
  }
static const dom_name dom_attr_names[] = {
    DA("d"),
    DA("r"),
    DA("x"),
    DA("y"),
    DA("cx"),
    DA("cy"),
    DA("id"),
    DA("is"),
    DA("rx"),
    DA("ry"),
    DA("x1"),
    DA("x2"),
    DA("y1"),
    DA("y2"),
    DA("alt"),
    DA("dir"),
    DA("for"),
    DA("max"),
    DA("min"),
    DA("rel"),
    DA("src"),
    DA("abbr"),
    DA("cite"),
    DA("face"),
    DA("fill"),
    DA("form"),
    DA("href"),
    DA("lang"),
    DA("list"),
    DA("loop"),
    DA("name"),
    DA("part"),
    DA("role"),
    DA("size"),
    DA("slot"),
    DA("span"),
    DA("step"),
    DA("type"),
    DA("align"),
    DA("allow"),
    DA("async"),
    DA("class"),
    DA("clear"),
    DA("color"),
    DA("defer"),
    DA("ismap"),
    DA("label"),
    DA("media"),
    DA("muted"),
    DA("nonce"),
    DA("scope"),
    DA("shape"),
    DA("sizes"),
    DA("start"),
    DA("style"),
    DA("title"),
    DA("value"),
    DA("width"),
    DA("xmlns"),
    DA("accept"),
    DA("action"),
    DA("border"),
    DA("coords"),
    DA("height"),
    DA("hidden"),
    DA("hspace"),
    DA("method"),
    DA("nowrap"),
    DA("offset"),
    DA("onload"),
    DA("points"),
    DA("poster"),
    DA("srcdoc"),
    DA("srcset"),
    DA("stroke"),
    DA("target"),
    DA("usemap"),
    DA("valign"),
    DA("vspace"),
    DA("bgcolor"),
    DA("charset"),
    DA("checked"),
    DA("colspan"),
    DA("content"),
    DA("data-id"),
    DA("dirname"),
    DA("enctype"),
    DA("headers"),
    DA("loading"),
    DA("noshade"),
    DA("onclick"),
    DA("onerror"),
    DA("opacity"),
    DA("pattern"),
    DA("preload"),
    DA("profile"),
    DA("rowspan"),
    DA("sandbox"),
    DA("summary"),
    DA("version"),
    DA("autoplay"),
    DA("controls"),
    DA("data-src"),
    DA("data-url"),
    DA("datetime"),
    DA("decoding"),
    DA("disabled"),
    DA("download"),
    DA("hreflang"),
    DA("itemprop"),
    DA("itemtype"),
    DA("language"),
    DA("longdesc"),
    DA("multiple"),
    DA("onchange"),
    DA("onsubmit"),
    DA("property"),
    DA("readonly"),
    DA("required"),
    DA("reversed"),
    DA("selected"),
    DA("tabindex"),
    DA("xml:lang"),
    DA("accesskey"),
    DA("aria-live"),
    DA("autofocus"),
    DA("clip-rule"),
    DA("data-href"),
    DA("data-name"),
    DA("data-slot"),
    DA("data-type"),
    DA("draggable"),
    DA("fill-rule"),
    DA("focusable"),
    DA("inputmode"),
    DA("integrity"),
    DA("itemscope"),
    DA("maxlength"),
    DA("scrolling"),
    DA("transform"),
    DA("translate"),
    DA("aria-label"),
    DA("aria-modal"),
    DA("data-event"),
    DA("data-index"),
    DA("data-label"),
    DA("data-title"),
    DA("data-width"),
    DA("formaction"),
    DA("http-equiv"),
    DA("novalidate"),
    DA("onmouseout"),
    DA("spellcheck"),
    DA("aria-atomic"),
    DA("aria-hidden"),
    DA("cellpadding"),
    DA("cellspacing"),
    DA("crossorigin"),
    DA("data-action"),
    DA("data-height"),
    DA("data-module"),
    DA("data-srcset"),
    DA("data-target"),
    DA("data-testid"),
    DA("data-toggle"),
    DA("frameborder"),
    DA("marginwidth"),
    DA("onmouseover"),
    DA("placeholder"),
    DA("playsinline"),
    DA("aria-current"),
    DA("aria-pressed"),
    DA("autocomplete"),
    DA("data-content"),
    DA("data-dismiss"),
    DA("data-reactid"),
    DA("fill-opacity"),
    DA("marginheight"),
    DA("stroke-width"),
    DA("aria-controls"),
    DA("aria-disabled"),
    DA("aria-expanded"),
    DA("aria-haspopup"),
    DA("aria-selected"),
    DA("aria-valuemax"),
    DA("aria-valuemin"),
    DA("aria-valuenow"),
    DA("data-category"),
    DA("data-lazy-src"),
    DA("data-original"),
    DA("data-position"),
    DA("data-settings"),
    DA("data-bs-target"),
    DA("data-bs-toggle"),
    DA("data-component"),
    DA("data-link-name"),
    DA("data-menu-item"),
    DA("data-placement"),
    DA("referrerpolicy"),
    DA("stroke-linecap"),
    DA("allowfullscreen"),
    DA("aria-labelledby"),
    DA("contenteditable"),
    DA("stroke-linejoin"),
    DA("aria-describedby"),
    DA("aria-orientation"),
    DA("data-lazy-srcset"),
    DA("data-widget_type"),
    DA("data-element_type"),
    DA("data-ga-track-json"),
    DA("data-original-title"),
    DA("data-tracking-label"),
    DA("data-drupal-link-system-path"),
};
#undef DA
#define DOM_ATTR_NAME_MAX 28 /* the longest entry */
#define DOM_ATTR_HASH 512
static const uint8_t dom_attr_slots[DOM_ATTR_HASH] = {
    0,   0,   42,  99,  50,  0,   0,   0,   9,   0,   0,   0,   0,   0,   0,   0,   97,  0,   125,
    0,   0,   104, 181, 54,  0,   5,   0,   0,   108, 0,   10,  0,   0,   83,  126, 0,   0,   0,
    0,   27,  89,  0,   0,   172, 0,   164, 81,  6,   39,  0,   165, 0,   0,   0,   0,   0,   0,
    0,   0,   0,   0,   0,   151, 0,   175, 43,  0,   0,   49,  0,   0,   87,  17,  0,   0,   3,
    0,   0,   0,   132, 84,  120, 32,  0,   127, 0,   0,   0,   0,   188, 0,   0,   0,   0,   0,
    18,  0,   0,   0,   0,   0,   0,   101, 0,   0,   38,  0,   0,   162, 0,   0,   0,   0,   8,
    0,   45,  0,   129, 131, 0,   73,  0,   25,  128, 23,  163, 0,   192, 0,   0,   4,   35,  154,
    0,   118, 0,   0,   0,   0,   0,   60,  0,   213, 40,  0,   0,   58,  62,  100, 0,   0,   113,
    0,   0,   0,   153, 0,   139, 0,   0,   0,   0,   0,   0,   90,  0,   0,   0,   0,   105, 0,
    174, 102, 0,   171, 109, 0,   0,   61,  79,  11,  19,  70,  122, 44,  133, 51,  0,   0,   0,
    0,   123, 130, 0,   0,   198, 96,  0,   180, 0,   0,   0,   12,  0,   0,   209, 0,   0,   0,
    115, 0,   0,   93,  13,  0,   0,   156, 0,   0,   0,   0,   0,   85,  82,  0,   0,   0,   0,
    66,  26,  0,   142, 0,   0,   57,  14,  0,   0,   0,   0,   0,   0,   34,  0,   0,   0,   0,
    0,   143, 0,   0,   144, 0,   149, 0,   0,   0,   2,   68,  170, 167, 194, 0,   0,   41,  0,
    0,   0,   20,  202, 0,   71,  191, 0,   0,   0,   182, 0,   0,   114, 177, 47,  0,   0,   124,
    159, 203, 0,   0,   76,  0,   0,   0,   48,  95,  7,   91,  0,   0,   141, 0,   116, 0,   0,
    56,  155, 0,   169, 0,   0,   0,   0,   0,   190, 0,   0,   0,   75,  0,   0,   0,   110, 0,
    0,   65,  0,   0,   0,   69,  22,  28,  146, 0,   0,   111, 193, 0,   0,   0,   140, 145, 152,
    196, 0,   136, 200, 0,   0,   0,   134, 178, 0,   0,   207, 0,   0,   55,  98,  138, 78,  0,
    0,   0,   0,   0,   0,   0,   0,   31,  72,  59,  107, 121, 0,   36,  0,   0,   0,   15,  0,
    0,   197, 0,   0,   201, 0,   0,   166, 0,   46,  0,   30,  0,   150, 0,   0,   206, 0,   0,
    195, 211, 0,   0,   0,   77,  64,  0,   0,   0,   0,   117, 0,   0,   0,   0,   0,   16,  205,
    0,   106, 0,   0,   63,  0,   0,   0,   0,   0,   0,   0,   0,   147, 92,  160, 176, 0,   0,
    0,   0,   119, 0,   0,   0,   53,  161, 0,   24,  186, 86,  137, 112, 0,   37,  0,   0,   0,
    0,   183, 0,   199, 52,  74,  168, 0,   80,  135, 184, 204, 210, 212, 0,   157, 0,   0,   0,
    173, 0,   21,  0,   29,  88,  94,  0,   33,  208, 0,   0,   0,   103, 158, 0,   189, 187, 0,
    0,   0,   0,   148, 185, 0,   0,   0,   0,   0,   0,   0,   0,   67,  179, 0,   0,   1,
};

size_t dom_attr_name_count(void)
{
  return sizeof dom_attr_names / sizeof dom_attr_names[0];
}

const char *dom_attr_name_at(size_t i)
{
  return i < dom_attr_name_count() ? dom_attr_names[i].s : NULL;
}

/* Three bytes and the length: O(1), and few collisions over the list. */
static inline size_t dom_attr_hash(const unsigned char *u, size_t len)
{
  return (u[0] * 33u + u[len - 1] * 5u + (unsigned)len * 131u + u[len / 2] * 17u) &
         (DOM_ATTR_HASH - 1);
}

const char *dom_attr_name_intern(const char *name, size_t len)
{
  if (len == 0 || len > DOM_ATTR_NAME_MAX)
    return NULL;
  const unsigned char *u = (const unsigned char *)name;
  size_t h = dom_attr_hash(u, len);
  for (size_t i = h; dom_attr_slots[i]; i = (i + 1) & (DOM_ATTR_HASH - 1)) {
    const dom_name *k = &dom_attr_names[dom_attr_slots[i] - 1];
    if (k->len == len && memcmp(k->s, name, len) == 0)
      return k->s;
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
  char *d = dom_alloc_raw(doc, n + 1);
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
      char *nd = dom_alloc_raw(doc, cap);
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

const char *dom_attr_get_n(const dom_node *el, const char *name, size_t nl, size_t *len)
{
  if (!el || el->type != DOM_ELEMENT)
    return NULL;
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
