/*
 * native.h - internals of the native extraction engine (native.c and the files of its passes),
 * prefix fb_. Split by job: native.c runs a call (limits, the passes in order, custom
 * selectors); tree.c classifies and scores the tree (tag classes, junk removal, per-element
 * statistics, candidates); render.c turns the chosen nodes into text, Markdown, links and
 * media; metadata.c reads title, byline, date, language and the rest, counts words and rates
 * quality; buf.c holds the bounded buffer and string helpers. parse.c builds the tree
 * (fallback.h).
 *
 * Nothing here is shared between calls: every function works on the tree and buffers of one
 * call, so many calls may run at once on different threads.
 */
#ifndef RT_FALLBACK_NATIVE_H
#define RT_FALLBACK_NATIVE_H

#include "common/limits.h"
#include "fallback/fallback.h"
#include "riptide.h"

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FB_MAX_DEPTH 400
_Static_assert(FB_TREE_DEPTH + 8 < FB_MAX_DEPTH, "walks must reach the bottom of the tree");
#define FB_CLOCK_NODES 1024
#define FB_MAX_LINKS 10000
#define FB_MAX_MEDIA 2000
#define FB_MAX_CATEGORIES 64
#define FB_MAX_META_LEN 4096
/* An article pass with fewer visible characters than this is retried without the class/id
 * heuristics (Readability retries below 500 characters too). */
#define FB_RETRY_BELOW 500

/* ---- tree access ------------------------------------------------------------------------- */

static inline bool fb_is_el(const xmlNode *n)
{
  return n && n->type == XML_ELEMENT_NODE;
}

static inline bool fb_name_is(const xmlNode *n, const char *name)
{
  return fb_is_el(n) && n->name && strcmp((const char *)n->name, name) == 0;
}

static inline bool fb_is_space(unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Bytes of the character at p (NUL-terminated) that visible text reads as a space, as the guest
 * does: ASCII whitespace (1) or a no-break space U+00A0 (2); 0 for anything else. */
static inline size_t fb_space_len(const char *p)
{
  unsigned char c = (unsigned char)p[0];
  if (fb_is_space(c))
    return 1;
  return c == 0xC2 && (unsigned char)p[1] == 0xA0 ? 2 : 0;
}

/* Bytes of a private-use character at p (U+E000-U+F8FF, the glyphs of icon fonts), which
 * visible text drops as the guest does; 0 for anything else. p is NUL-terminated. */
static inline size_t fb_pua_len(const char *p)
{
  unsigned char b = (unsigned char)p[0];
  if (b != 0xEE && b != 0xEF)
    return 0;
  unsigned char b1 = (unsigned char)p[1];
  if ((b1 & 0xC0) != 0x80 || (b == 0xEF && b1 > 0xA3) || ((unsigned char)p[2] & 0xC0) != 0x80)
    return 0;
  return 3;
}

/* The value of attribute `name` (ASCII case-insensitive) without allocating; NULL when absent. */
const char *fb_attr(const xmlNode *n, const char *name);

/* ---- bounded output buffer (buf.c) ------------------------------------------------------- */

typedef struct fb_buf {
  char *p;
  size_t len, cap, max;
  bool overflow, nomem;
} fb_buf;

/* Appends s[0..n); past `max` sets `overflow` and drops the rest (never a silent cut: callers
 * turn it into RIPTIDE_ERR_OUTPUT_TOO_LARGE). */
void fb_buf_add(fb_buf *b, const char *s, size_t n);
static inline void fb_buf_puts(fb_buf *b, const char *s)
{
  fb_buf_add(b, s, strlen(s));
}
static inline char fb_buf_last(const fb_buf *b)
{
  return b->len ? b->p[b->len - 1] : '\0';
}
/* A malloc'd copy of s with whitespace collapsed and trimmed, cut to `max` bytes on a character
 * boundary; NULL for NULL or empty. */
char *fb_clean_dup(const char *s, size_t max);
/* Sets *field to v unless it is set already (then frees v). */
void fb_set_str(char **field, char *v);

/* ---- per-element statistics and scoring (tree.c) ----------------------------------------- */

typedef struct fb_info {
  uint32_t text_len; /* whitespace-collapsed text bytes */
  uint32_t link_len; /* of which inside <a> */
  uint32_t commas;
  bool has_block; /* has a block-level child element */
  bool scored;    /* initialised as a candidate */
  bool chosen;    /* a custom selector's match */
  double score;
} fb_info;

typedef struct fb_arena {
  fb_info *items;
  size_t n, cap;
} fb_arena;

static inline fb_info *fb_info_of(const xmlNode *n)
{
  return fb_is_el(n) ? (fb_info *)n->_private : NULL;
}

typedef struct fb_cands {
  xmlNode **v;
  size_t n, cap;
} fb_cands;

extern const char *const fb_junk_tags[]; /* never content: script, style, form controls, ... */
bool fb_in_list(const char *name, const char *const *list);
bool fb_is_block(const xmlNode *n);
bool fb_has_word(const char *s, const char *const *words);
int fb_class_weight(const xmlNode *n);
bool fb_is_hidden(const xmlNode *n);
/* Removes comments, junk elements and (strict) boilerplate by name, role, class and id. */
void fb_remove_junk(xmlNode *n, riptide_mode mode, bool strict, bool in_article, int depth);
/* Gives every element its fb_info (from the arena, sized by fb_count_elements). */
void fb_stats(xmlNode *n, fb_arena *ar, bool in_link, int depth);
size_t fb_count_elements(const xmlNode *n, int depth);
double fb_link_density(const xmlNode *n);
/* Scores paragraph-like elements into their ancestors, collecting the candidates. */
void fb_score_walk(xmlNode *n, fb_cands *cs, int depth);
xmlNode *fb_find_first(xmlNode *n, const char *name, int depth);

/* ---- rendering (render.c) ---------------------------------------------------------------- */

#define FB_MD_SPANS 16 /* emphasis of one kind does not nest: a few levels are all there is */

typedef struct fb_render {
  fb_buf md, txt;
  bool want_md, want_links, want_media;
  bool want_tables;   /* false: tables left out (not a chosen node itself, as in the guest) */
  bool clean;         /* article mode: leave out link-heavy blocks inside the content */
  bool pending_space; /* whitespace seen since the last visible character */
  int pre;            /* inside <pre> */
  int cell;           /* inside a GFM table cell: no line breaks */
  int heading;        /* inside a heading: its Markdown stays on one line (breaks are spaces) */
  int strong_open, em_open; /* open <strong>/<b> and <em>/<i> (inside one, no markers again) */
  /* Where each open inline span (emphasis, code) wrote its opening marker in md, kept exact
   * when flush_space moves a space in before markers; deeper spans than FB_MD_SPANS are not
   * tracked (their markers stay as written). */
  size_t span_open[FB_MD_SPANS];
  unsigned char span_len[FB_MD_SPANS];
  int span_depth;
  /* The emphasis span closed last: its marker and where that closing marker ends (an adjacent
   * span of its kind joins it). */
  const char *closed_mark;
  size_t closed_open, closed_end;
  char prefix[256]; /* blockquote / list continuation prefix for Markdown lines */
  size_t prefix_len;
  int list_depth;
  size_t md_item_end; /* md.len right after the open list item's marker; SIZE_MAX: none */
  const char *base;
  riptide_document *doc;
  size_t cap_links, cap_media;
  bool nomem;
  uint32_t paragraphs;
  uint64_t deadline_ns; /* 0 = none */
  uint32_t nodes;       /* rendered since the last clock read */
  size_t text_bytes;    /* text emitted since the last clock read */
  bool timed_out;
  uint32_t truncated; /* RIPTIDE_TRUNC_LINKS / _MEDIA */
} fb_render;

/* href resolved against base (malloc'd); NULL when absent, too long, or an unsafe scheme. */
char *fb_resolve(const char *base, const char *href);
/* Ends the current block: a blank line in both outputs (once). */
void fb_block_break(fb_render *r);
/* Adds a media item (deduplicated, bounded); false on out-of-memory. */
bool fb_add_media(fb_render *r, const char *src, const char *alt, const char *kind);
/* Plain text of a subtree into b (stops when b overflows). */
void fb_text_of(const xmlNode *n, fb_buf *b, int depth);
void fb_render_node(fb_render *r, xmlNode *n, int depth);
/* The guest's bounds of a layout table (EX_LAYOUT_*, kept under want_tables = false). */
#define FB_LAYOUT_CELL_BYTES 400
#define FB_LAYOUT_TABLE_NODES 100000
/* Is the element left out by the output controls (want_links/media/tables off), the rule of
 * the guest's ex_out_dropped: a data table (not a layout one); an image, picture, video or audio
 * element; a <figcaption> of a <figure> that holds one. Depth 0 (a chosen node) is never dropped.
 */
bool fb_out_dropped(const fb_render *r, const xmlNode *n, int depth);
/* The subtree under n as the cleaned HTML must show it under r's output controls: dropped
 * elements unlinked and freed, and <a> unwrapped (its children kept) when links are off. */
void fb_out_prune(const fb_render *r, xmlNode *n, int depth);

/* ---- metadata, words, quality (metadata.c) ----------------------------------------------- */

typedef struct fb_meta {
  const char *og_title, *tw_title, *title_tag, *h1;
  char *title_buf, *h1_buf; /* owned */
  char *home_h1;            /* owned: an h1 that is only a link to the home page (a logo) */
  const char *site_name, *description, *author, *date, *lang, *canonical, *og_url, *base_href;
  const char *og_image, *keywords, *section;
  const char *tags[FB_MAX_CATEGORIES];
  int n_tags;
  /* JSON-LD values (owned) */
  char *ld_headline, *ld_author, *ld_date, *ld_publisher, *ld_description, *ld_section;
} fb_meta;

/* Collects metadata from the whole tree; m borrows strings from the tree. */
void fb_collect_meta(fb_meta *m, xmlNode *n, int depth);
void fb_meta_free(fb_meta *m);
/* Copies m into d (title rules, language, dates, categories, canonical URL against base). */
riptide_err fb_fill_metadata(riptide_document *d, fb_meta *m, const char *base);
uint32_t fb_count_words(const char *s);
int32_t fb_quality(const riptide_document *d, uint32_t paragraphs, double ld);

#endif
