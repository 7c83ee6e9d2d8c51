/*
 * dom.h - a compact DOM, arena-allocated per document.
 *
 * Portable C11 (compiled into the wasm32 guest and natively). One dom_doc owns every node,
 * attribute and string of one document; dom_doc_free() releases all of it at once. Nodes are
 * linked parent/first_child/last_child/prev/next; all algorithms over the tree must be
 * iterative (100,000-deep trees are expected input).
 *
 * Memory is bounded: the arena refuses to grow past doc->mem_limit bytes (0 = unlimited);
 * allocation functions then return NULL and set doc->oom.
 *
 * Thread-safety: a dom_doc is bound to one thread at a time.
 */
#ifndef HTML_DOM_H
#define HTML_DOM_H

#include "tags.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef enum dom_node_type {
  DOM_DOCUMENT = 0,
  DOM_DOCTYPE,
  DOM_ELEMENT,
  DOM_TEXT,
  DOM_COMMENT,
  DOM_FRAGMENT, /* template contents and fragment-parsing roots */
} dom_node_type;

typedef enum dom_ns {
  DOM_NS_HTML = 0,
  DOM_NS_SVG,
  DOM_NS_MATHML,
  /* attribute namespaces (foreign content adjustments) */
  DOM_NS_XLINK,
  DOM_NS_XML,
  DOM_NS_XMLNS,
  DOM_NS_NONE,
} dom_ns;

typedef struct dom_attr {
  const char *name; /* lower-case for HTML; adjusted case for foreign content. Known names
                       point at static strings (dom_attr_name_intern), others into the arena */
  const char *value;
  uint32_t name_len, value_len;
  uint8_t ns; /* dom_ns; DOM_NS_NONE for ordinary attributes */
} dom_attr;

/* The namespace prefix of an adjusted foreign attribute ("xlink", "xml", "xmlns") or NULL. */
const char *dom_attr_prefix(const dom_attr *a);
/* A static copy of a common attribute name (class, href, ...) or NULL. */
const char *dom_attr_name_intern(const char *name, size_t len);
/* The interned names, for tests: count and the i-th (NULL past the end). */
size_t dom_attr_name_count(void);
const char *dom_attr_name_at(size_t i);

typedef struct dom_node dom_node;
struct dom_node {
  uint8_t type;   /* dom_node_type */
  uint8_t ns;     /* dom_ns, elements only (DOM_NS_HTML elsewhere) */
  uint16_t tag;   /* html_tag, elements only (HTML_TAG_UNKNOWN if not interned or not an element) */
  uint32_t flags; /* free for parser/extractor use, see DOM_FLAG_* */
  dom_node *parent, *first_child, *last_child, *prev, *next;
  /* extractor scratch space (every node type) */
  float score;
  uint32_t aux;
  /* Per-type fields share storage: read each only on nodes of its type. Text and comment
   * nodes are allocated with DOM_CHARDATA_SIZE bytes only (the element/doctype fields past
   * it do not exist for them); the other types with sizeof(dom_node). */
  union {
    struct { /* DOM_TEXT, DOM_COMMENT: data is NUL-terminated; data_cap 0 = not owned
                (static or shared bytes: copied on the first append) */
      char *data;
      uint32_t data_len, data_cap;
    };
    struct { /* DOM_ELEMENT: local name; DOM_DOCTYPE: name */
      const char *name;
      uint32_t name_len;
      /* DOM_ELEMENT parser scratch: index in the stack of open elements while on it; 0 after
       * parsing */
      uint32_t parser_index;
      union {
        struct { /* DOM_ELEMENT */
          dom_attr *attrs;
          uint32_t n_attrs, attrs_cap;
          dom_node *template_content; /* <template> contents (a DOM_FRAGMENT), else NULL */
        };
        struct { /* DOM_DOCTYPE identifiers (NULL when missing) */
          const char *public_id, *system_id;
        };
      };
    };
  };
};

/* Bytes allocated for a text or comment node. */
#define DOM_CHARDATA_SIZE ((offsetof(dom_node, data_cap) + sizeof(uint32_t) + 7u) & ~(size_t)7u)

#define DOM_FLAG_PARSER_INSERTED 0x1u
/* Bits 16-31 are reserved for the extractor. */

typedef struct dom_arena_block dom_arena_block;

typedef struct dom_doc {
  dom_node *root;          /* DOM_DOCUMENT */
  int quirks;              /* 0 no-quirks, 1 quirks, 2 limited-quirks */
  dom_arena_block *blocks; /* the first block in the list serves small allocations */
  size_t mem_used;         /* bytes taken from the system */
  size_t mem_limit;        /* 0 = unlimited */
  bool oom;
} dom_doc;

dom_doc *dom_doc_new(size_t mem_limit);
void dom_doc_free(dom_doc *doc);

/* Arena allocation (8-byte aligned, zeroed). NULL + doc->oom on failure. */
void *dom_alloc(dom_doc *doc, size_t n);
char *dom_strndup(dom_doc *doc, const char *s, size_t n); /* NUL-terminated copy */

dom_node *dom_new_element(dom_doc *doc, const char *name, size_t len, dom_ns ns);
dom_node *dom_new_text(dom_doc *doc, const char *s, size_t n);
dom_node *dom_new_comment(dom_doc *doc, const char *s, size_t n);
dom_node *dom_new_doctype(dom_doc *doc, const char *name, size_t len);
dom_node *dom_new_fragment(dom_doc *doc);

/* A static, NUL-terminated copy of s[0..n) when it is a short run of one whitespace character
 * (" ", "\n", "  " ...: most whitespace-only text nodes), else NULL. A text node may point
 * its data there with data_cap 0. */
const char *dom_static_text(const char *s, size_t n);
/* Appends bytes to a text or comment node (amortised O(1)). Returns false on OOM. */
bool dom_text_append(dom_doc *doc, dom_node *text, const char *s, size_t n);
/* Adds an attribute (no duplicate check: the tokenizer drops duplicates). */
bool dom_attr_add(dom_doc *doc, dom_node *el, const char *name, size_t nlen, const char *value,
                  size_t vlen);
/* Value of attribute name[0..nlen) (lower-case), or NULL. *len receives its length when not
 * NULL. */
const char *dom_attr_get_n(const dom_node *el, const char *name, size_t nlen, size_t *len);
/* The same for a NUL-terminated name: inline, so a literal's length is a constant (the
 * extractor asks ~15 times a page element, and a strlen call each time showed in profiles). */
static inline const char *dom_attr_get(const dom_node *el, const char *name, size_t *len)
{
  return dom_attr_get_n(el, name, strlen(name), len);
}

void dom_append_child(dom_node *parent, dom_node *child);
void dom_insert_before(dom_node *parent, dom_node *child, dom_node *ref); /* ref NULL: append */
void dom_remove(dom_node *node); /* unlinks from its parent; the node stays in the arena */

/* Pre-order traversal without recursion: next node after `n` within `root`'s subtree. */
dom_node *dom_next(const dom_node *root, const dom_node *n);
/* Next node skipping n's children. */
dom_node *dom_next_skip(const dom_node *root, const dom_node *n);

static inline bool dom_is(const dom_node *n, html_tag t)
{
  return n && n->type == DOM_ELEMENT && n->ns == DOM_NS_HTML && n->tag == t;
}

#endif
