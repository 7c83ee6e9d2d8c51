/*
 * json_mini.h - a small JSON reader for JSON-LD blocks (guest code, no stdio).
 *
 * Bounded: nesting deeper than JM_MAX_DEPTH or more than JM_MAX_VALUES values is refused (NULL).
 * Trailing garbage and a leading "<!--" / "//<![CDATA[" wrapper are tolerated, as pages use them.
 * Strings are unescaped into the document's own storage (UTF-8, \u surrogates combined).
 */
#ifndef GUEST_EXTRACT_JSON_MINI_H
#define GUEST_EXTRACT_JSON_MINI_H

#include <stddef.h>
#include <stdint.h>

#define JM_MAX_DEPTH 32
#define JM_MAX_VALUES 200000

typedef enum jm_type { JM_NULL, JM_BOOL, JM_NUMBER, JM_STRING, JM_ARRAY, JM_OBJECT } jm_type;

typedef struct jm_value jm_value;
struct jm_value {
  jm_type type;
  const char *str; /* JM_STRING (NUL-terminated) */
  size_t len;
  jm_value **items;  /* JM_ARRAY items, JM_OBJECT values */
  const char **keys; /* JM_OBJECT keys (NUL-terminated) */
  uint32_t n;
};

typedef struct jm_doc {
  jm_value *root;
  void *mem; /* internal */
} jm_doc;

jm_doc *jm_parse(const char *s, size_t n);
void jm_free(jm_doc *d);
/* Member of an object by key, or NULL. */
const jm_value *jm_get(const jm_value *obj, const char *key);

#endif
