/*
 * content_internal.h - what the files of main-content selection share (content.c: the driver,
 * static marks, aggregation, pass 1, scoring and selection; content_patterns.c: the class/id
 * pattern tables and their per-element bits; content_clean.c: cleaning and trimming of the
 * selection). The algorithm is described at the top of content.c.
 */
#ifndef EX_CONTENT_INTERNAL_H
#define EX_CONTENT_INTERNAL_H

#include "guest/extract/ex_internal.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define F_STRIP_UNLIKELY 1
#define F_WEIGHT_CLASSES 2
#define F_CLEAN_COND 4
/* a selected top-level node (attempt-local, cleared with EXF_SCORED's siblings below) */
#define EXF_ROOT 0x10000000u

typedef struct ninfo {
  uint32_t text; /* characters, whitespace runs counted once */
  float link;    /* link characters, in-page (#) links weighted 0.3 */
  uint32_t commas;
  uint32_t n_p, n_img, n_li, n_input, n_embed;
  uint32_t head_text, list_text;
  bool video;
} ninfo;

/* Class/id pattern results, computed once per element (pattern matching dominates otherwise). */
#define CB_UNLIKELY 0x001 /* class+" "+id matches unlikely_pat */
#define CB_MAYBE 0x002    /* ... matches maybe_pat */
#define CB_CNEG 0x004     /* class matches negative_pat */
#define CB_CPOS 0x008
#define CB_INEG 0x010 /* id matches negative_pat */
#define CB_IPOS 0x020
#define CB_INSIDE 0x040 /* class or id matches inside_pat */
#define CB_CMAYBE 0x080 /* class matches maybe_pat */
#define CB_BYLINE 0x100
#define CB_SHARE 0x200
#define CB_ROLE 0x400     /* role names navigation / complementary / dialogs (unlikely) */
#define CB_MODAL 0x800    /* aria-modal=true role=dialog */
#define CB_BYATTR 0x1000  /* rel=author or itemprop contains "author" */
#define CB_CAPNAME 0x2000 /* class or id contains "caption" or "legend" (words checked later) */

#define A_TABLE 0x01
#define A_CODE 0x02
#define A_FIGURE 0x04
#define A_DTABLE 0x08 /* inside a data table (set by clean_selection) */
#ifndef EX_PROTECT_H1
#define EX_PROTECT_H1 1

#endif
#define A_HOLDS_MAIN 0x10 /* holds (or is) the page's declared article body or its headline */

typedef struct cctx {
  dom_doc *doc;
  dom_node *body;
  dom_node **els; /* body's element descendants in pre-order */
  ninfo *info;
  uint16_t *cbits; /* per element (index aux - 1), CB_* */
  uint8_t *anc;    /* per element: A_* ancestor bits (proper ancestors only) */
  size_t n;
  const char *title;
  size_t title_len;
  dom_node **sel; /* selected top-level nodes */
  size_t n_sel;
  size_t lo, hi; /* pre-order index range [lo, hi) covering the selection's elements */
  float top_score;
  dom_node *top; /* the top candidate (NULL when the body was selected) */
  int flags;
  uint32_t pre_clean;   /* the selection's text before the cleaning of the last attempt */
  dom_node *title_node; /* the heading that repeats the page title (pass 1), or NULL */
} cctx;

/* content_patterns.c: class/id patterns */
uint16_t exc_compute_cbits(const dom_node *n);
int exc_class_weight_bits(uint16_t b, int flags);
bool exc_is_video_url(const char *s, size_t n);
bool exc_share_like(const char *s, size_t n);
/* class or id holds one of the words (split at '-', '_', camelCase; hashed tokens ignored) */
bool exc_name_has_word(const dom_node *n, const char *const *words);

/* content_clean.c: cleaning and trimming of the selection */
void exc_clean_selection(cctx *c);
void exc_drop_orphan_headings(cctx *c);
uint32_t exc_selection_text(cctx *c);
void exc_trim_head(cctx *c);
void exc_trim_tail(cctx *c);
bool exc_ends_like_sentence(const char *s, size_t n);
bool exc_is_data_table(const dom_node *t);
bool exc_small_text(const dom_node *n, ex_buf *out, int budget);
bool exc_has_video_embed(const dom_node *n);
bool exc_effectively_live(const cctx *c, const dom_node *e);
/* e or one of its two nearest ancestors is the article's standfirst by markup or name */
bool exc_standfirst(const dom_node *e);

/* content.c: aggregation and pass 1 */
void exc_aggregate_one(cctx *c, dom_node *e);
size_t exc_element_children(const dom_node *n);
/* Readability's DIV_TO_P_ELEMS: a block that keeps a div from being a paragraph */
bool exc_div_to_p_block(const dom_node *n);
bool exc_unlikely_role(const dom_node *n);

/* Small helpers of every pass (inline: they run per node in every loop). */
static inline bool exc_is_tag(const dom_node *n, html_tag t)
{
  return dom_is(n, t);
}

static inline bool exc_is_heading(const dom_node *n)
{
  return n->type == DOM_ELEMENT && n->ns == DOM_NS_HTML && n->tag >= HTML_TAG_H1 &&
         n->tag <= HTML_TAG_H6;
}

/* The element before n among its siblings (text and comments passed over), or NULL. */
static inline const dom_node *exc_prev_element(const dom_node *n)
{
  for (const dom_node *s = n->prev; s; s = s->prev)
    if (s->type == DOM_ELEMENT)
      return s;
  return NULL;
}

static inline uint16_t exc_cbits_of(const cctx *c, const dom_node *n)
{
  return (n->type == DOM_ELEMENT && n->aux && n->aux <= c->n)
             ? c->cbits[n->aux - 1]
             : (n->type == DOM_ELEMENT ? exc_compute_cbits(n) : 0);
}

static inline ninfo *exc_info_of(cctx *c, const dom_node *n)
{
  return (n->type == DOM_ELEMENT && n->aux) ? &c->info[n->aux - 1] : NULL;
}

static inline bool exc_live(const dom_node *n)
{
  return (n->flags & EXF_LIVE) && !(n->flags & (EXF_DROP | EXF_HIDDEN | EXF_NEVER));
}

static inline float exc_link_density(cctx *c, const dom_node *n)
{
  ninfo *in = exc_info_of(c, n);
  if (!in || !in->text)
    return 0.0f;
  return in->link / (float)in->text;
}

/* Class/id weight of element n (+-25 per matching list) under the attempt's flags; needs the
 * cctx `c` in scope. */
#define class_weight(n, flags) exc_class_weight_bits(exc_cbits_of(c, (n)), (flags))

#endif
