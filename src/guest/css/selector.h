/*
 * selector.h - the CSS selector subset of custom mode: one parser and one matcher, compiled
 * into the guest (wasm and native) and into the host library (validation before the breaker,
 * and the native fallback's custom mode). Plain C with no DOM of its own: the matcher walks
 * any tree through css_node_ops, so the guest's DOM and libxml2's tree are matched by the same
 * code.
 *
 * Grammar: list := complex ("," complex)*; complex := compound (combinator compound)*, with
 * the descendant (whitespace) and child (">") combinators; compound := [type | "*"]
 * ("#" id | "." class | "[" attr [op value] "]")*, op one of = ~= ^= $= *= |=, value an
 * identifier or a quoted string (no newline inside). Identifiers are [A-Za-z0-9_-] and any
 * byte >= 0x80. Type and attribute names are ASCII case-insensitive; ids, classes and values
 * are case-sensitive. Whitespace is CSS whitespace (space, tab, LF, CR, FF) everywhere.
 * Anything else (pseudo-classes, "+", "~", namespaces, escapes, an empty list member) is a
 * syntax error with its byte position: the caller gets a usage error rather than a silently
 * different selection.
 *
 * Thread-safety: a parsed css_selector is immutable; it may be shared between threads and
 * matched from several at once.
 */
#ifndef RT_CSS_SELECTOR_H
#define RT_CSS_SELECTOR_H

#include "common/limits.h"

#include <stdbool.h>
#include <stddef.h>

typedef enum css_attr_op {
  CSS_ATTR_EXISTS, /* [a] */
  CSS_ATTR_EQ,     /* [a=v] */
  CSS_ATTR_WORD,   /* [a~=v] (and .class) */
  CSS_ATTR_PREFIX, /* [a^=v] */
  CSS_ATTR_SUFFIX, /* [a$=v] */
  CSS_ATTR_SUBSTR, /* [a*=v] */
  CSS_ATTR_DASH,   /* [a|=v] */
} css_attr_op;

typedef struct css_simple {
  char kind;      /* 't' type, '#' id, '.' class, '[' attribute */
  css_attr_op op; /* '[' only */
  char *name;     /* NUL-terminated; type and attribute names lower-cased */
  char *value;    /* '[' with an operator; NULL otherwise */
  size_t name_len, value_len;
} css_simple;

typedef struct css_compound {
  css_simple *simples; /* empty for "*" */
  size_t n;
  char comb; /* combinator to the compound on the left: ' ' or '>' (0 for the first) */
} css_compound;

typedef struct css_complex {
  css_compound *parts;
  size_t n;
} css_complex;

typedef struct css_selector {
  css_complex *items;
  size_t n;
} css_selector;

/* A parse failure: what was wrong and where (byte offset in the selector). */
typedef struct css_error {
  const char *what; /* static text, e.g. "pseudo-classes are not supported" */
  size_t pos;
  bool oom; /* malloc failed: not the selector's fault */
} css_error;

/* Parses a selector list of n bytes. Returns a selector the caller frees with
 * css_selector_free(), or NULL with *err filled (err may be NULL). */
css_selector *css_selector_parse(const char *s, size_t n, css_error *err);
void css_selector_free(css_selector *sel); /* NULL: no-op */

/* Writes "<what> at position <pos> ('<excerpt>')" to out (NUL-terminated, cut to cap). The
 * excerpt is the selector from pos, at most 24 bytes, non-printable bytes as '?'. */
void css_error_format(const css_error *err, const char *s, size_t n, char *out, size_t cap);

/* How the matcher sees a tree. Nodes are the caller's element pointers. */
typedef struct css_node_ops {
  /* The parent element, or NULL at the root (or when the parent is not an element). */
  const void *(*parent)(void *ctx, const void *el);
  /* The element's local name (any case) and its length. */
  const char *(*name)(void *ctx, const void *el, size_t *len);
  /* The value of the attribute named `name` (lower case, compared ASCII case-insensitively),
   * or NULL when absent. The pointer stays valid until the next call. */
  const char *(*attr)(void *ctx, const void *el, const char *name, size_t name_len, size_t *vlen);
} css_node_ops;

/* Does element el match any complex selector of the list? Exact for both combinators: the
 * child-combinator chains between descendant combinators are matched as units, each at the
 * nearest ancestor where the whole chain matches, which is what a backtracking matcher would
 * find. O(depth x selector length) per element. */
bool css_selector_match(const css_selector *sel, const void *el, const css_node_ops *ops,
                        void *ctx);

#endif
