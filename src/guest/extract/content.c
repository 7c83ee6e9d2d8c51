/*
 * content.c - main-content selection: boilerplate removal, candidate scoring, best subtree.
 *
 * DESIGN. The algorithm follows Readability's (the one the reference corpus was made with),
 * made non-destructive and linear so that it can retry cheaply and survive hostile trees:
 *
 *   0. Static marks (once): hidden elements (hidden, aria-hidden, display:none,
 *      visibility:hidden) and never-content elements (script, style, form controls, svg...;
 *      MathML reads as its tokens, without its TeX annotations).
 *   1. Attempt with flags {strip unlikely, weight classes, clean conditionally}. A pre-order
 *      walk drops (EXF_DROP, a mark, not a removal) boilerplate: class/id matching the
 *      "unlikely" list (nav, comments, share, related, sidebar, footer, cookie, newsletter...)
 *      unless it also looks like content, ARIA roles of navigation/complementary/dialogs,
 *      the byline element, a heading repeating the title, empty containers. Divs without
 *      block children count as paragraphs; a div holding a single <p> stands for it.
 *   2. Aggregates bottom-up in reverse pre-order (one pass, no recursion): text length,
 *      weighted link length, commas, counts of p/img/li/input/embeds, heading and list text.
 *   3. Scoring: each paragraph-like element with >= 25 characters scores
 *      1 + (commas + 1) + min(len / 100, 3), given to 5 ancestors (full, 1/2, 1/(3 level));
 *      an ancestor starts from a tag prior (div +5, td/pre/blockquote +3, lists -3,
 *      headings -5) plus the class/id weight (+-25). Scores are scaled by (1 - link density).
 *   4. The top candidate is promoted to a common ancestor of close runner-ups, to a parent
 *      that scores higher, and through single-child wrappers; its siblings join when they
 *      score >= max(10, 0.2 top) or are link-poor prose paragraphs.
 *   5. Cleaning of the selection (Readability's "clean conditionally" for tables, lists and
 *      divs: too many links, images, inputs or list items for the prose around them), share
 *      widgets, negative-weight headings, footers and asides.
 *   6. Fewer than 500 characters: retry with fewer flags; a looser attempt replaces a
 *      stricter one only when it is 2.5x longer. The body is the last resort, so a page with
 *      text never gives an empty result (its headline repeating the title still goes).
 * Beyond Readability (each measured on both dev sets, none specific to a site):
 *   - boilerplate names inside the content (credits, share, newsletter, author box, tags,
 *     disclosures...) drop short blocks and weigh -25 against candidates; link-only short
 *     blocks and mostly-link lists go; candidates holding form fields are halved; a data
 *     table is never dropped for its class names ("ingredients table-header"); a list of
 *     prose steps with a picture each is no image gallery;
 *   - the selection grows by sentence-like prose paragraphs under the top candidate's
 *     grandparent (not inside footers, asides, navigation or boilerplate-named blocks such
 *     as an author's biography, nor in a sidebar or its widgets, even when a generic name
 *     such as "column" or "widget_text" stands beside theirs; a paragraph inside a link, or
 *     right after a linked headline, is a teaser of another article), and by the lead
 *     between the headline <h1> and the content (not from an author box; a sentence set as
 *     a heading right after the <h1>, as in <hgroup>, is the dek, and no orphaned section
 *     heading when the share bar after it goes);
 *   - one-line pointers to other articles ("Read also:", "Lesen Sie auch", "À lire aussi")
 *     and short teasers ending in a linked "Read more" go; a link-free "teaser" block is the
 *     article's own lead and stays; picture credits ("Foto: ...", also a whole <figcaption>)
 *     are flagged EXF_CAPTION: kept in Markdown and HTML, left out of the plain text, and so
 *     are figure captions (a <figcaption>, short text in a <figure>, a block whose class/id
 *     has the word "caption" or "legend"): the text is the article's prose, and the caption
 *     is reported with its image (media[].caption); gallery counters ("3 of 12") go
 *     (issue 14; readability-testpages, whose reference keeps every caption, pays -0.008 for
 *     it, trafilatura-eval gains +0.005);
 *   - one-link pointer paragraphs (a paragraph that is one link to another headline) go;
 *     an inline element inside a paragraph of prose is judged with the paragraph (a
 *     dateline span stays); conditional cleaning judges a one-paragraph wrapper by its
 *     paragraph and keeps lists introduced by a line ending in ':';
 *   - class/id names of in-article boilerplate match as words (camelCase and '-'/'_' split,
 *     hashed tokens ignored), not substrings; screen-reader-only and d-none utility classes
 *     hide (text.c);
 *   - headings whose section was removed go; short non-sentence lines and link-heavy blocks
 *     are trimmed from the end and the start (headings kept at the start; text set inline
 *     beside blocks without text, as a label before a bar of icons, counts as a line), and
 *     so are closing calls to action (newsletter, app, messenger and video channels, "load more",
 *     "find out more here", "share this", log-in prompts), closing credits and rights
 *     notices ("Reporting by", "All rights reserved", "About the author"), licence notices
 *     and update stamps ("Updated on ...", "Aktualisiert am ..."); disclosures and
 *     reading-time stamps go at either end; a run of >= 3 short same-shaped lines (a
 *     recipe's facts, an address) and a block named as the standfirst are never trimmed,
 *     and the lead may be a subtitle without a full stop; the other selected blocks (siblings
 *     of the top candidate, paragraphs added by the expansion) are cleaned like its
 *     descendants (a WordPress "entry-utility" line, an author's biography).
 *   - an <aside> inside the selection that holds most of its text is a column of the layout
 *     holding the article, not a note beside it: the cleaning keeps it (otherwise the winner
 *     is emptied and the whole body is the fallback); so is, in the attempt that stripped the
 *     unlikely blocks, a block with a negative class name ("o-media") holding most of it;
 *   - <noscript> blocks that hold more text (in their elements) than the rest of the visible
 *     body, and at least EX_NOSCRIPT_MIN characters, are a scripted page's static copy and are
 *     read as content (EXF_SHOWN); tracking pixels and "enable JavaScript" notices stay out;
 *   - a looser attempt is weighed without the text of the comment threads in its selection,
 *     so a short post found by a stricter attempt does not give way to its comments;
 *   - several <article>s with an <h1> each (an infinite scroll): the one whose headline
 *     repeats the page title is the content, not the longest; another <article> with an <h1>
 *     joins neither as a sibling nor through the expansion;
 *   - links alone do not make conditional cleaning remove a line of a run of >= 3 short
 *     same-shaped lines (an ingredient with a shop link), a block holding only such a run, or a
 *     long block of prose (>= 500 characters, >= 2 paragraphs, links <= 0.3) outside layout
 *     tables; a long block with >= 200 characters of prose a picture is no image gallery; a
 *     data table set in a <figure> is no caption; the trims keep "Label: value" fact lines that
 *     come in groups (two labels in the line, or a labelled neighbour), metadata labels aside;
 *   - page-builder blocks: siblings of the top candidate and of its 4 nearest ancestors with the
 *     same tag and class list join whole (their headings and lists too) when they hold
 *     link-poor text (gather_repeated);
 * Every pass is O(number of nodes); the tree is only re-parented once, at the very end.
 *
 * Files: this one holds the driver, the static marks, aggregation, pass 1, scoring and
 * selection (steps 0-4, 6); content_patterns.c the class/id word lists and their per-element
 * bits; content_clean.c step 5 and the trims; content_internal.h what they share.
 */
#include "guest/extract/ex_internal.h"
#include "guest/extract/content_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- text statistics of text nodes (cached in the node: aux = length, score = commas) -------- */

/* Eight bytes at a time: masks with the high bit of each byte set where the byte is ' ', or
 * equal to / at least c. Valid for ASCII bytes only (each < 0x80); then no carry or borrow
 * crosses a byte, so the masks are exact. Bytes are in memory order from the low end. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "text_stats' eight-byte path assumes a little-endian target"
#endif
#define TS_ONES 0x0101010101010101ull
#define TS_HIGHS 0x8080808080808080ull

static inline uint64_t ts_eq(uint64_t w, unsigned char c)
{
  uint64_t x = w ^ (TS_ONES * c);
  return ~((x + TS_ONES * 0x7F) | x) & TS_HIGHS;
}
static inline uint64_t ts_ge(uint64_t w, unsigned char c)
{
  return ((w | TS_HIGHS) - TS_ONES * c) & TS_HIGHS;
}
/* Number of bytes whose high bit is set in mask m (at most 8, so the byte sum fits). */
static inline uint32_t ts_count(uint64_t m)
{
  return (uint32_t)(((m >> 7) * TS_ONES) >> 56);
}

/* Length with whitespace runs collapsed to one character (leading whitespace not counted) and
 * the number of commas. ASCII runs go eight bytes at a time with the same counts as the
 * character loop: a space counts when the character before it is not one. */
static void text_stats(dom_node *t)
{
  uint32_t len = 0, commas = 0;
  bool sp = true; /* leading whitespace is not counted */
  const unsigned char *d = (const unsigned char *)t->data;
  size_t n = t->data_len, i = 0;
  while (i < n) {
    uint64_t w;
    if (n - i >= 8 && (memcpy(&w, d + i, 8), !(w & TS_HIGHS))) {
      /* ' ', '\t', '\n', '\f', '\r' (not '\v') */
      uint64_t space = ts_eq(w, ' ') | (ts_ge(w, '\t') & ~ts_ge(w, '\r' + 1) & ~ts_eq(w, '\v'));
      uint64_t other = ~space & TS_HIGHS;
      uint64_t other_before = (other << 8) | (sp ? 0 : 0x80);
      len += ts_count(other | (space & other_before));
      commas += ts_count(ts_eq(w, ','));
      sp = (space >> 63) != 0;
      i += 8;
      continue;
    }
    /* A character at a time to the end of this eight-byte window (or of the text). */
    size_t end = n - i > 8 ? i + 8 : n;
    while (i < end) {
      unsigned char b = d[i];
      if (b < 0x80) {
        i++;
        if (b == ' ' || b == '\n' || b == '\t' || b == '\r' || b == '\f') {
          len += !sp;
          sp = true;
        } else {
          sp = false;
          len++;
          commas += b == ',';
        }
        continue;
      }
      uint32_t cp = ex_utf8_next(t->data, n, &i);
      if (ex_is_space_cp(cp)) {
        len += !sp;
        sp = true;
        continue;
      }
      sp = false;
      len++;
      if (cp == 0x60C || cp == 0xFE50 || cp == 0xFE10 || cp == 0xFE11 || cp == 0x2E41 ||
          cp == 0x2E34 || cp == 0x2E32 || cp == 0xFF0C)
        commas++;
    }
  }
  t->aux = len;
  t->score = (float)commas;
}

static bool is_p_like(const dom_node *n)
{
  return exc_is_tag(n, HTML_TAG_P) || (n->flags & EXF_DIVP);
}

/* Readability's DIV_TO_P_ELEMS: blocks that keep a div from being a paragraph. */
static bool is_div_to_p_block(const dom_node *n)
{
  if (n->type != DOM_ELEMENT || n->ns != DOM_NS_HTML)
    return false;
  switch (n->tag) {
  case HTML_TAG_BLOCKQUOTE:
  case HTML_TAG_DL:
  case HTML_TAG_DIV:
  case HTML_TAG_IMG:
  case HTML_TAG_OL:
  case HTML_TAG_P:
  case HTML_TAG_PRE:
  case HTML_TAG_TABLE:
  case HTML_TAG_UL:
    return true;
  default:
    return false;
  }
}

bool exc_div_to_p_block(const dom_node *n)
{
  return is_div_to_p_block(n);
}

/* ---- aggregation ---------------------------------------------------------------------------- */

/* Recomputes the aggregate of element i from its children. */
void exc_aggregate_one(cctx *c, dom_node *e)
{
  ninfo *in = exc_info_of(c, e);
  memset(in, 0, sizeof *in);
  for (dom_node *ch = e->first_child; ch; ch = ch->next) {
    if (ch->type == DOM_TEXT) {
      in->text += ch->aux;
      in->commas += (uint32_t)ch->score;
      continue;
    }
    if (ch->type != DOM_ELEMENT || !ch->aux)
      continue;
    if (ch->flags & EXF_NEVER) {
      if (exc_is_tag(ch, HTML_TAG_INPUT))
        in->n_input++;
      else if ((exc_is_tag(ch, HTML_TAG_IFRAME) || exc_is_tag(ch, HTML_TAG_EMBED) ||
                exc_is_tag(ch, HTML_TAG_OBJECT)) &&
               exc_has_video_embed(ch))
        in->video = true;
      continue;
    }
    if (!exc_live(ch))
      continue;
    ninfo *ci = exc_info_of(c, ch);
    in->text += ci->text;
    in->commas += ci->commas;
    in->link += ci->link;
    in->n_p += ci->n_p + (is_p_like(ch) ? 1 : 0);
    in->n_img += ci->n_img + (exc_is_tag(ch, HTML_TAG_IMG) ? 1 : 0);
    in->n_li += ci->n_li + (exc_is_tag(ch, HTML_TAG_LI) ? 1 : 0);
    in->n_input += ci->n_input + (exc_is_tag(ch, HTML_TAG_INPUT) ? 1 : 0);
    in->n_embed += ci->n_embed;
    in->video = in->video || ci->video;
    in->head_text += exc_is_heading(ch) ? ci->text : ci->head_text;
    in->list_text +=
        (exc_is_tag(ch, HTML_TAG_UL) || exc_is_tag(ch, HTML_TAG_OL)) ? ci->text : ci->list_text;
  }
  if (exc_is_tag(e, HTML_TAG_A)) {
    size_t hl = 0;
    const char *h = dom_attr_get(e, "href", &hl);
    in->link = (float)in->text * ((h && hl && h[0] == '#') ? 0.3f : 1.0f);
  }
}

static void aggregate_all(cctx *c)
{
  for (size_t i = c->n; i-- > 0;)
    if (exc_live(c->els[i]))
      exc_aggregate_one(c, c->els[i]);
}

/* ---- pass 1: drops and paragraph marks ---------------------------------------------------- */
bool exc_unlikely_role(const dom_node *n)
{
  size_t l;
  const char *r = dom_attr_get(n, "role", &l);
  if (!r)
    return false;
  static const char *const roles[] = {"menu",  "menubar",     "complementary", "navigation",
                                      "alert", "alertdialog", "dialog",        NULL};
  for (size_t i = 0; roles[i]; i++)
    if (ex_ieq(r, l, roles[i]))
      return true;
  return false;
}

static bool byline_like(uint16_t cb)
{
  return (cb & (CB_BYLINE | CB_BYATTR)) != 0;
}

/* Element without content: no text and only <br>/<hr> element children. */
static bool without_content(const dom_node *n)
{
  for (const dom_node *ch = n->first_child; ch; ch = ch->next) {
    if (ch->type == DOM_TEXT) {
      for (uint32_t i = 0; i < ch->data_len; i++)
        if (!(ch->data[i] == ' ' || ch->data[i] == '\n' || ch->data[i] == '\t' ||
              ch->data[i] == '\r'))
          return false;
    } else if (ch->type == DOM_ELEMENT) {
      if (!exc_is_tag(ch, HTML_TAG_BR) && !exc_is_tag(ch, HTML_TAG_HR))
        return false;
    }
  }
  return true;
}

/* Visible text length of a subtree, counting at most 1,000 characters and 4,096 nodes (used
 * before aggregation, for the byline check). */
#define EX_RUNNING_TEXT 80 /* prose beside an inline element that makes it part of a sentence */
static size_t text_len_raw(const dom_node *n)
{
  size_t len = 0;
  int budget = 4096;
  const dom_node *x = n;
  while ((x = dom_next(n, x)) && --budget > 0) {
    if (x->type == DOM_TEXT)
      len += x->aux;
    else if (x->type == DOM_ELEMENT && ex_skip_node(x)) {
      x = dom_next_skip(n, x);
      if (!x)
        break;
      if (x->type == DOM_TEXT)
        len += x->aux;
    }
    if (len > 1000)
      break;
  }
  return len;
}

/* An inline element inside a paragraph of prose is part of its sentence: a dateline
 * ("<p><span class=dateline>KOBE -</span> A total of ...") is no byline block. */
static bool in_running_text(const dom_node *n, size_t tl)
{
  const dom_node *p = n->parent;
  if (!p || p->type != DOM_ELEMENT || !exc_is_tag(p, HTML_TAG_P) || ex_is_block_tag(n))
    return false;
  return text_len_raw(p) >= tl + EX_RUNNING_TEXT;
}

static void pass_drops(cctx *c)
{
  bool byline_done = false, title_done = false;
  c->title_node = NULL;
  dom_node *root = c->body;
  root->flags |= EXF_LIVE;
  dom_node *n = dom_next(root, root);
  while (n) {
    if (n->type != DOM_ELEMENT) {
      n = dom_next(root, n);
      continue;
    }
    if (n->flags & (EXF_HIDDEN | EXF_NEVER)) {
      n = dom_next_skip(root, n);
      continue;
    }
    uint16_t cb = exc_cbits_of(c, n);
    bool drop = (cb & CB_MODAL) != 0;
    if (!drop && !byline_done && byline_like(cb)) {
      size_t tl = text_len_raw(n);
      if (tl > 0 && tl < 100 && !in_running_text(n, tl)) {
        drop = true;
        byline_done = true;
      }
    }
    if (!drop && !title_done && (exc_is_tag(n, HTML_TAG_H1) || exc_is_tag(n, HTML_TAG_H2)) &&
        c->title_len) {
      ex_buf t;
      exb_init(&t, 4096);
      if (exc_small_text(n, &t, 512) && t.len &&
          ex_text_similarity(c->title, c->title_len, t.p, t.len) > 0.75) {
        drop = true;
        title_done = true;
        c->title_node = n;
      }
      exb_free(&t);
    }
    if (!drop && (c->flags & F_STRIP_UNLIKELY)) {
      if ((cb & CB_UNLIKELY) && !(cb & CB_MAYBE) &&
          !(c->anc[n->aux - 1] & (A_TABLE | A_CODE | A_HOLDS_MAIN)) &&
          !exc_is_tag(n, HTML_TAG_BODY) && !exc_is_tag(n, HTML_TAG_A) &&
          !(exc_is_tag(n, HTML_TAG_TABLE) && exc_is_data_table(n)))
        drop = true;
      else if (cb & CB_ROLE)
        drop = true;
    }
    if (!drop &&
        (exc_is_tag(n, HTML_TAG_DIV) || exc_is_tag(n, HTML_TAG_SECTION) ||
         exc_is_tag(n, HTML_TAG_HEADER) || exc_is_heading(n)) &&
        without_content(n))
      drop = true;
    if (drop) {
      n->flags |= EXF_DROP;
      n = dom_next_skip(root, n);
      continue;
    }
    n->flags |= EXF_LIVE;
    if (exc_is_tag(n, HTML_TAG_DIV) && !(n->flags & EXF_HASBLOCK))
      n->flags |= EXF_DIVP;
    n = dom_next(root, n);
  }
  /* a div holding exactly one <p> (and no other text) stands for it */
  for (size_t i = 0; i < c->n; i++) {
    dom_node *e = c->els[i];
    if (!exc_live(e) || !exc_is_tag(e, HTML_TAG_DIV) || (e->flags & EXF_DIVP))
      continue;
    dom_node *only = NULL;
    bool ok = true;
    for (dom_node *ch = e->first_child; ch && ok; ch = ch->next) {
      if (ch->type == DOM_TEXT) {
        for (uint32_t k = 0; k < ch->data_len && ok; k++)
          if (!(ch->data[k] == ' ' || ch->data[k] == '\n' || ch->data[k] == '\t' ||
                ch->data[k] == '\r'))
            ok = false;
      } else if (ch->type == DOM_ELEMENT && exc_live(ch)) {
        if (only || !exc_is_tag(ch, HTML_TAG_P))
          ok = false;
        only = ch;
      }
    }
    if (ok && only)
      e->flags |= EXF_TRANSP; /* decided with the link density after aggregation */
  }
}

/* ---- scoring --------------------------------------------------------------------------------- */
static float init_score(const cctx *c, const dom_node *n, int flags)
{
  float s = 0;
  switch (n->tag) {
  case HTML_TAG_DIV:
    s = 5;
    break;
  case HTML_TAG_PRE:
  case HTML_TAG_TD:
  case HTML_TAG_BLOCKQUOTE:
    s = 3;
    break;
  case HTML_TAG_ADDRESS:
  case HTML_TAG_OL:
  case HTML_TAG_UL:
  case HTML_TAG_DL:
  case HTML_TAG_DD:
  case HTML_TAG_DT:
  case HTML_TAG_LI:
  case HTML_TAG_FORM:
    s = -3;
    break;
  case HTML_TAG_H1:
  case HTML_TAG_H2:
  case HTML_TAG_H3:
  case HTML_TAG_H4:
  case HTML_TAG_H5:
  case HTML_TAG_H6:
  case HTML_TAG_TH:
    s = -5;
    break;
  default:
    break;
  }
  return s + (float)class_weight(n, flags);
}

static void ensure_scored(cctx *c, dom_node *n)
{
  if (!(n->flags & EXF_SCORED)) {
    n->flags |= EXF_SCORED;
    n->score = init_score(c, n, c->flags);
  }
}

static bool is_scorable(const dom_node *n)
{
  if (n->type != DOM_ELEMENT || n->ns != DOM_NS_HTML)
    return false;
  switch (n->tag) {
  case HTML_TAG_SECTION:
  case HTML_TAG_H2:
  case HTML_TAG_H3:
  case HTML_TAG_H4:
  case HTML_TAG_H5:
  case HTML_TAG_H6:
  case HTML_TAG_P:
  case HTML_TAG_TD:
  case HTML_TAG_PRE:
    return true;
  default:
    return (n->flags & EXF_DIVP) != 0;
  }
}

/* Gives a paragraph's score to its ancestors: `first` (normally the paragraph's parent) in
 * full, the next one half, then 1/(3 * level), five levels in all. */
static void score_paragraph(cctx *c, dom_node *first, uint32_t len, uint32_t commas)
{
  if (len < 25)
    return;
  float cs = 1.0f + (float)(commas + 1) + (float)(len / 100 > 3 ? 3 : len / 100);
  int level = 0;
  for (dom_node *a = first; a && level < 5; a = a->parent) {
    if (a->type != DOM_ELEMENT || !a->parent || a->parent->type != DOM_ELEMENT)
      return;
    if (a->flags & EXF_TRANSP)
      continue;
    ensure_scored(c, a);
    float div = level == 0 ? 1.0f : level == 1 ? 2.0f : (float)level * 3.0f;
    a->score += cs / div;
    level++;
  }
}

static void score_all(cctx *c)
{
  for (size_t i = 0; i < c->n; i++) {
    dom_node *e = c->els[i];
    if (!exc_live(e))
      continue;
    if (e->flags & EXF_TRANSP) {
      if (exc_link_density(c, e) >= 0.25f)
        e->flags &= ~EXF_TRANSP;
    }
  }
  for (size_t i = 0; i < c->n; i++) {
    dom_node *e = c->els[i];
    if (!exc_live(e))
      continue;
    if (is_scorable(e)) {
      ninfo *in = exc_info_of(c, e);
      score_paragraph(c, e->parent, in->text, in->commas);
    } else if (exc_is_tag(e, HTML_TAG_DIV) && (e->flags & EXF_HASBLOCK)) {
      /* runs of phrasing content directly in a div are paragraphs of their own */
      uint32_t len = 0, commas = 0;
      for (dom_node *ch = e->first_child;; ch = ch->next) {
        bool phr = ch && (ch->type == DOM_TEXT || (ch->type == DOM_ELEMENT &&
                                                   !ex_is_block_tag(ch) && !is_div_to_p_block(ch)));
        if (phr) {
          if (ch->type == DOM_TEXT) {
            len += ch->aux;
            commas += (uint32_t)ch->score;
          } else if (exc_live(ch)) {
            len += exc_info_of(c, ch)->text;
            commas += exc_info_of(c, ch)->commas;
          }
          continue;
        }
        /* the wrapping <p> would be a child of e: e gets the full score */
        score_paragraph(c, e, len, commas);
        len = commas = 0;
        if (!ch)
          break;
      }
    }
  }
}

/* ---- selection ------------------------------------------------------------------------------- */
static bool is_ancestor(const dom_node *a, const dom_node *n)
{
  for (const dom_node *p = n->parent; p; p = p->parent)
    if (p == a)
      return true;
  return false;
}

/* An element holding an <h1>: an <article> with one is a story of its own. */
static bool headed(dom_node *x)
{
  for (dom_node *y = dom_next(x, x); y; y = dom_next(x, y))
    if (exc_is_tag(y, HTML_TAG_H1))
      return true;
  return false;
}

size_t exc_element_children(const dom_node *n)
{
  size_t k = 0;
  for (const dom_node *ch = n->first_child; ch; ch = ch->next)
    if (ch->type == DOM_ELEMENT && exc_live(ch))
      k++;
  return k;
}

static bool sel_push(cctx *c, dom_node *n)
{
  n->flags |= EXF_ROOT;
  c->sel[c->n_sel++] = n;
  return true;
}

static bool ends_sentence(const char *s, size_t n)
{
  /* Readability: /\.( |$)/ */
  for (size_t i = 0; i < n; i++)
    if (s[i] == '.' && (i + 1 == n || s[i + 1] == ' '))
      return true;
  return false;
}

/* Issue 14, class 6: pages that load the next stories below the first (infinite scroll) hold
 * several <article>s, each with its own <h1>; the page's own story is the one whose
 * headline repeats the page title, not the longest. The <article> holding that headline
 * (EX_ARTICLE_UP ancestors at most) replaces a top candidate that holds it together with
 * another headed <article>, or a top candidate outside it when it holds an article's worth
 * of text (EX_ARTICLE_MIN) and a candidate scoring EX_ARTICLE_SHARE of the top. */
#define EX_ARTICLE_UP 12
#define EX_ARTICLE_MIN 500
#define EX_ARTICLE_SHARE 0.25f
static dom_node *title_article(cctx *c)
{
  int k = 0;
  for (dom_node *a = c->title_node ? c->title_node->parent : NULL;
       a && a != c->body && a->type == DOM_ELEMENT && k < EX_ARTICLE_UP; a = a->parent, k++)
    if (exc_is_tag(a, HTML_TAG_ARTICLE))
      return a;
  return NULL;
}

/* Another <article> than `own` under t, with a headline (<h1>) of its own: page builders also
 * cut one story into <article> sections, each with a subheading. */
static bool other_headed_article(cctx *c, dom_node *t, const dom_node *own)
{
  for (dom_node *x = dom_next(t, t); x;) {
    if (x == own || (x->type == DOM_ELEMENT && !exc_live(x))) {
      x = dom_next_skip(t, x);
      continue;
    }
    if (x->type == DOM_ELEMENT && exc_is_tag(x, HTML_TAG_ARTICLE)) {
      if (headed(x))
        return true;
      x = dom_next_skip(t, x);
      continue;
    }
    x = dom_next(t, x);
  }
  return false;
}

static dom_node *prefer_title_article(cctx *c, dom_node *t)
{
  dom_node *a = title_article(c);
  if (!a || a == t || !exc_live(a) || is_ancestor(a, t))
    return t;
  if (is_ancestor(t, a))
    return other_headed_article(c, t, a) ? a : t;
  if (exc_info_of(c, a)->text < EX_ARTICLE_MIN)
    return t;
  dom_node *best = (a->flags & EXF_SCORED) ? a : NULL;
  for (dom_node *x = dom_next(a, a); x; x = dom_next(a, x))
    if (x->type == DOM_ELEMENT && (x->flags & EXF_SCORED) && exc_live(x) &&
        (!best || x->score > best->score))
      best = x;
  if (best && best->score >= EX_ARTICLE_SHARE * t->score)
    return a;
  return t;
}

static void select_top(cctx *c)
{
  dom_node *top[5] = {0};
  for (size_t i = 0; i < c->n; i++) {
    dom_node *e = c->els[i];
    if (!(e->flags & EXF_SCORED) || !exc_live(e))
      continue;
    e->score *= 1.0f - exc_link_density(c, e);
    /* beyond Readability: a candidate holding form fields (newsletter, login, comment box)
     * is rarely the article, unless it is large (a page-wide form) */
    ninfo *fi = exc_info_of(c, e);
    if (fi && fi->n_input >= 2 && fi->text < 2000)
      e->score *= 0.5f;
    for (int k = 0; k < 5; k++) {
      if (!top[k] || e->score > top[k]->score) {
        for (int j = 4; j > k; j--)
          top[j] = top[j - 1];
        top[k] = e;
        break;
      }
    }
  }
  /* body's own score (if any) is scaled too; body itself is scored above when reached */
  dom_node *t = top[0];
  c->n_sel = 0;
  if (!t || t == c->body || exc_is_tag(t, HTML_TAG_BODY)) {
    c->top_score = 0;
    c->top = NULL;
    sel_push(c, c->body);
    return;
  }
  /* common ancestor of close runner-ups */
  int close = 0;
  for (int k = 1; k < 5; k++)
    if (top[k] && top[k]->score / t->score >= 0.75f)
      close++;
  if (close >= 3) {
    for (dom_node *p = t->parent; p && p != c->body && p->type == DOM_ELEMENT; p = p->parent) {
      int lists = 0;
      for (int k = 1; k < 5; k++)
        if (top[k] && top[k]->score / t->score >= 0.75f && is_ancestor(p, top[k]))
          lists++;
      if (lists >= 3) {
        t = p;
        break;
      }
    }
  }
  ensure_scored(c, t);
  /* climb while the parent's score holds up */
  float last = t->score, thr = last / 3.0f;
  for (dom_node *p = t->parent; p && p != c->body && p->type == DOM_ELEMENT; p = p->parent) {
    if (!(p->flags & EXF_SCORED))
      continue;
    if (p->score < thr)
      break;
    if (p->score > last) {
      t = p;
      break;
    }
    last = p->score;
  }
  if (c->title_node)
    t = prefer_title_article(c, t);
  /* through single-child wrappers */
  for (dom_node *p = t->parent;
       p && p != c->body && p->type == DOM_ELEMENT && exc_element_children(p) == 1; p = t->parent)
    t = p;
  ensure_scored(c, t);
  c->top_score = t->score;
  c->top = t;

  /* siblings */
  float sthr = t->score * 0.2f > 10.0f ? t->score * 0.2f : 10.0f;
  dom_node *parent = t->parent;
  size_t tcl;
  const char *tcls = ex_class(t, &tcl);
  ex_buf tb;
  exb_init(&tb, 1 << 20);
  bool own_story = c->title_node && t == title_article(c);
  for (dom_node *s = parent->first_child; s; s = s->next) {
    if (s->type != DOM_ELEMENT || !exc_live(s))
      continue;
    bool append = false;
    if (s == t) {
      append = true;
    } else if (own_story && exc_is_tag(s, HTML_TAG_ARTICLE) && headed(s)) {
      append = false; /* the next story of an infinite scroll */
    } else {
      float bonus = 0;
      size_t scl;
      const char *scls = ex_class(s, &scl);
      if (tcl && scl == tcl && memcmp(scls, tcls, tcl) == 0)
        bonus += t->score * 0.2f;
      if ((s->flags & EXF_SCORED) && s->score + bonus >= sthr) {
        append = true;
      } else if (is_p_like(s)) {
        float ld = exc_link_density(c, s);
        uint32_t len = exc_info_of(c, s)->text;
        if (len > 80 && ld < 0.25f) {
          append = true;
        } else if (len < 80 && len > 0 && ld == 0.0f) {
          exb_clear(&tb);
          ex_collect_text(s, &tb);
          append = tb.len && ends_sentence(tb.p, tb.len);
        }
      }
    }
    if (append)
      sel_push(c, s);
  }
  exb_free(&tb);
}

/* ---- driver ---------------------------------------------------------------------------------- */
static void reset_attempt(cctx *c)
{
  for (size_t i = 0; i < c->n; i++) {
    c->els[i]->flags &= ~(EXF_ATTEMPT_MASK | EXF_ROOT);
    c->els[i]->score = 0;
  }
  c->body->flags &= ~(EXF_ATTEMPT_MASK | EXF_ROOT);
  c->body->score = 0;
}

/* Beyond Readability: prose paragraphs near the selection that its one-level sibling rule
 * misses (a lead paragraph in the article header, body text split over several column
 * blocks). Looks inside the top candidate's grandparent (never the body) for exc_live paragraphs
 * with >= 80 characters and link density < 0.25 that are not selected yet, and selects them
 * too, in document order. */
static int cmp_preorder(const void *a, const void *b)
{
  const dom_node *x = *(dom_node *const *)a, *y = *(dom_node *const *)b;
  return x->aux < y->aux ? -1 : x->aux > y->aux;
}

#define EXPAND_MIN_TEXT 80
#define EX_LEAD_WINDOW 200 /* elements between the headline and the content searched for a lead */
#define EXPAND_LEVELS 2

static bool prose_like(const dom_node *e)
{
  ex_buf t;
  exb_init(&t, 8192);
  bool r = exc_small_text(e, &t, 512) && !t.failed && exc_ends_like_sentence(t.p ? t.p : "", t.len);
  exb_free(&t);
  return r;
}

/* A sidebar or one of its widgets by name: "sidebar" as a word of the class or id, or a class
 * token that starts with "widget" (the widget convention of blog engines: "widget widget_text",
 * "widget-area"). Page builders' content blocks ("elementor-widget-text-editor") do not match,
 * and a generic positive name beside it ("widget_text", "column") does not save it: the
 * expansion reaches these blocks only from outside the article's own container. */
static bool layout_side_block(const dom_node *x)
{
  static const char *const side[] = {"sidebar", NULL};
  if (exc_name_has_word(x, side))
    return true;
  size_t n;
  const char *s = ex_class(x, &n);
  for (size_t i = 0; s && i < n;) {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
      i++;
    if (ex_istarts(s + i, n - i, "widget"))
      return true;
    while (i < n && !(s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
      i++;
  }
  return false;
}

/* Containers whose prose is not the article's even when it reads like sentences: footers,
 * asides, navigation, and blocks whose class/id names an author box, post metadata or other
 * in-article boilerplate (the author's biography, a newsletter pitch, a sidebar's "about me"). */
static bool expand_barrier(cctx *c, const dom_node *x)
{
  if (exc_is_tag(x, HTML_TAG_FOOTER) || exc_is_tag(x, HTML_TAG_ASIDE) ||
      exc_is_tag(x, HTML_TAG_NAV))
    return true;
  uint16_t cb = exc_cbits_of(c, x);
  if ((cb & (CB_CNEG | CB_INEG)) && layout_side_block(x))
    return true;
  return (cb & (CB_INSIDE | CB_BYLINE | CB_CNEG | CB_INEG | CB_UNLIKELY)) &&
         !(cb & (CB_MAYBE | CB_CPOS | CB_IPOS));
}

/* The element or one of its EX_BARRIER_UP nearest ancestors is an author box (byline-named:
 * a biography in the article header is no lead). */
#define EX_BARRIER_UP 6
static bool in_author_box(cctx *c, const dom_node *e)
{
  int k = 0;
  for (const dom_node *a = e; a && a != c->body && a->type == DOM_ELEMENT && k < EX_BARRIER_UP;
       a = a->parent, k++)
    if (exc_cbits_of(c, a) & CB_BYLINE)
      return true;
  return false;
}

/* A paragraph right after a heading that is mostly a link is the excerpt of a teaser (the
 * linked headline of another article and its first lines): related and latest-posts lists. */
static bool teaser_excerpt(cctx *c, const dom_node *x)
{
  const dom_node *h = exc_prev_element(x);
  return h && exc_is_heading(h) && exc_live(h) && exc_link_density(c, h) > 0.5f;
}

static void expand_selection(cctx *c)
{
  if (!c->n_sel || c->sel[0] == c->body)
    return;
  dom_node *t = c->sel[0];
  dom_node *a = t->parent;
  if (!a || a == c->body || a->type != DOM_ELEMENT)
    return;
  for (int k = 1; k < EXPAND_LEVELS; k++)
    if (a->parent && a->parent != c->body && a->parent->type == DOM_ELEMENT)
      a = a->parent;
  /* mark the current selection so its subtrees are skipped */
  for (size_t i = 0; i < c->n_sel; i++)
    c->sel[i]->flags |= EXF_INSEL;
  size_t added = 0;
  dom_node *x = dom_next(a, a);
  while (x) {
    if (x->type != DOM_ELEMENT) {
      x = dom_next(a, x);
      continue;
    }
    /* a link holding a paragraph is a teaser card (picture, headline and excerpt of another
     * article, all one link), not the article's prose */
    if (!exc_live(x) || (x->flags & EXF_INSEL) || expand_barrier(c, x) ||
        exc_is_tag(x, HTML_TAG_A) ||
        (exc_is_tag(x, HTML_TAG_ARTICLE) && c->top && !is_ancestor(x, c->top) && headed(x))) {
      x = dom_next_skip(a, x);
      continue;
    }
    if (is_p_like(x) && x->aux && x->aux <= c->n && c->n_sel < c->n) {
      ninfo *in = exc_info_of(c, x);
      if (in->text >= EXPAND_MIN_TEXT && exc_link_density(c, x) < 0.25f && !teaser_excerpt(c, x) &&
          prose_like(x)) {
        x->flags |= EXF_ROOT | EXF_INSEL;
        c->sel[c->n_sel++] = x;
        added++;
      }
      x = dom_next_skip(a, x);
      continue;
    }
    x = dom_next(a, x);
  }
  /* the lead: prose between the headline (the last <h1> before the selection) and the
   * selection, e.g. a standfirst in the article header */
  size_t first = c->n;
  for (size_t i = 0; i < c->n_sel; i++)
    if (c->sel[i]->aux && c->sel[i]->aux - 1 < first)
      first = c->sel[i]->aux - 1;
  size_t h1 = c->n;
  for (size_t i = first; i-- > 0 && first - i <= EX_LEAD_WINDOW;)
    if (exc_is_tag(c->els[i], HTML_TAG_H1)) {
      h1 = i;
      break;
    }
  if (h1 < first) {
    ex_buf lb;
    exb_init(&lb, 4096);
    for (size_t i = h1 + 1; i < first && c->n_sel < c->n; i++) {
      dom_node *e = c->els[i];
      /* a block named or marked up as the standfirst ("subtitle", itemprop=description)
       * needs no full stop, and may be a subheading */
      bool named =
          (is_p_like(e) || (exc_is_heading(e) && !exc_is_tag(e, HTML_TAG_H1))) && exc_standfirst(e);
      /* a sentence set as a heading right after the headline (<hgroup><h1><h2>) is the dek */
      bool dek = !named && exc_is_heading(e) && !exc_is_tag(e, HTML_TAG_H1) &&
                 exc_prev_element(e) == c->els[h1];
      if ((!is_p_like(e) && !named && !dek) || !exc_live(e) || !exc_effectively_live(c, e) ||
          (e->flags & EXF_INSEL))
        continue;
      ninfo *in = exc_info_of(c, e);
      if (in->text < (named ? 30u : 60u) || exc_link_density(c, e) >= 0.25f || in_author_box(c, e))
        continue;
      exb_clear(&lb);
      if (!exc_small_text(e, &lb, 256) || lb.failed ||
          (!named && !exc_ends_like_sentence(lb.p ? lb.p : "", lb.len)))
        continue;
      e->flags |= EXF_ROOT | EXF_INSEL;
      c->sel[c->n_sel++] = e;
      added++;
    }
    exb_free(&lb);
  }
  for (size_t i = 0; i < c->n_sel; i++)
    c->sel[i]->flags &= ~EXF_INSEL;
  if (added)
    qsort(c->sel, c->n_sel, sizeof *c->sel, cmp_preorder);
}

/* Issue 14, class 3: page builders cut one article into repeated blocks (text block, picture
 * block, text block ...). The top candidate is one of them, or sits inside one: the siblings of
 * the top candidate and of its EX_REPEAT_LEVELS nearest ancestors that have the same tag and
 * the same class list are blocks of the same kind, and join the selection whole (headings and
 * lists too, which the expansion's paragraph rule leaves) when they hold >= EXPAND_MIN_TEXT
 * characters of link-poor text (a teaser grid's cards are mostly links; boilerplate-named
 * blocks and <article>s with an <h1> of their own are barriers). */
#define EX_REPEAT_LEVELS 4
/* Paragraphs the expansion selected inside a block that now joins whole leave the selection. */
static void unselect_under(cctx *c, const dom_node *s)
{
  size_t k = 0;
  for (size_t i = 0; i < c->n_sel; i++) {
    dom_node *x = c->sel[i];
    if (is_ancestor(s, x))
      x->flags &= ~(EXF_ROOT | EXF_INSEL);
    else
      c->sel[k++] = x;
  }
  c->n_sel = k;
}

static void gather_repeated(cctx *c)
{
  dom_node *t = c->top;
  if (!t || !c->n_sel)
    return;
  for (size_t i = 0; i < c->n_sel; i++)
    c->sel[i]->flags |= EXF_INSEL;
  size_t added = 0;
  int level = 0;
  for (dom_node *a = t;
       a && a != c->body && a->type == DOM_ELEMENT && a->parent && level < EX_REPEAT_LEVELS;
       a = a->parent, level++) {
    size_t al;
    const char *acl = ex_class(a, &al);
    if (!acl || !al)
      continue;
    for (dom_node *s = a->parent->first_child; s && c->n_sel < c->n; s = s->next) {
      if (s == a || s->type != DOM_ELEMENT || s->tag != a->tag || !exc_live(s) ||
          (s->flags & EXF_INSEL))
        continue;
      size_t sl;
      const char *scl = ex_class(s, &sl);
      if (sl != al || memcmp(scl, acl, al) != 0 || expand_barrier(c, s))
        continue;
      ninfo *in = exc_info_of(c, s);
      if (in->text < EXPAND_MIN_TEXT || exc_link_density(c, s) >= 0.25f ||
          (exc_is_tag(s, HTML_TAG_ARTICLE) && headed(s)))
        continue;
      unselect_under(c, s);
      s->flags |= EXF_ROOT | EXF_INSEL;
      c->sel[c->n_sel++] = s;
      added++;
    }
  }
  for (size_t i = 0; i < c->n_sel; i++)
    c->sel[i]->flags &= ~EXF_INSEL;
  if (added)
    qsort(c->sel, c->n_sel, sizeof *c->sel, cmp_preorder);
}

static void run_attempt(cctx *c, int flags)
{
  c->flags = flags;
  reset_attempt(c);
  pass_drops(c);
  aggregate_all(c);
  score_all(c);
  select_top(c);
  expand_selection(c);
  gather_repeated(c);
  c->pre_clean = exc_selection_text(c);
  exc_clean_selection(c);
  exc_drop_orphan_headings(c);
  exc_trim_tail(c);
  exc_trim_head(c);
  /* the trims dropped blocks: refresh the selection's aggregates (its text length decides
   * between attempts, and 0 means "fall back to the body") */
  for (size_t i = c->hi; i-- > c->lo;)
    if (exc_live(c->els[i]))
      exc_aggregate_one(c, c->els[i]);
}

/* A looser attempt replaces a stricter one only when it is EX_RETRY_GAIN times longer
 * (trafilatura-eval F1 with 1.5 / 2 / 2.5 / 3 / 4 / 6: 0.9298 / 0.9298 / 0.9315 / 0.9311 /
 * 0.9311 / 0.9297; readability-testpages unchanged by it). */
#define EX_RETRY_GAIN 2.5f

/* Issue 14, class 7: a page built by scripts may keep its only static text in <noscript>
 * (a no-script browser shows it; the parser reads it as markup). When the <noscript> blocks of
 * the body hold at least EX_NOSCRIPT_MIN characters and more text than the rest of the visible
 * body, they are the page's content and are shown: marked EXF_SHOWN, their subtrees marked
 * like the rest of the document. Elsewhere (tracking pixels, image fallbacks, "enable
 * JavaScript" notices) they stay out. Runs before the attempts, on the cached text lengths. */
#define EX_NOSCRIPT_MIN 200
#define EX_NOSCRIPT_LIST 64 /* <noscript> blocks weighed (a page of pixels has many) */
static uint64_t text_under(const dom_node *root)
{
  uint64_t t = 0;
  /* text in its elements only: a <noscript> holding escaped markup as text is no content */
  for (const dom_node *x = dom_next(root, root); x; x = dom_next(root, x))
    if (x->type == DOM_TEXT && x->parent != root)
      t += x->aux;
  return t;
}

static void reveal_noscript(const cctx *c, dom_node *const *ns, size_t n_ns)
{
  dom_node *body = c->body;
  /* the <noscript> text first (most are tracking pixels or frames: nothing to weigh) */
  uint64_t vis = 0, nos = 0;
  for (size_t i = 0; i < n_ns; i++)
    nos += text_under(ns[i]);
  if (nos < EX_NOSCRIPT_MIN)
    return;
  dom_node *x = dom_next(body, body);
  while (x) {
    if (x->type == DOM_TEXT) {
      vis += x->aux;
    } else if (x->type == DOM_ELEMENT && (x->flags & (EXF_HIDDEN | EXF_NEVER))) {
      x = dom_next_skip(body, x);
      continue;
    }
    x = dom_next(body, x);
  }
  if (nos < EX_NOSCRIPT_MIN || nos <= vis)
    return;
  x = dom_next(body, body);
  while (x) {
    if (x->type == DOM_ELEMENT && (x->flags & (EXF_HIDDEN | EXF_NEVER))) {
      if (!(x->flags & EXF_HIDDEN) && x->tag == HTML_TAG_NOSCRIPT && x->ns == DOM_NS_HTML &&
          text_under(x)) {
        x->flags = (x->flags & ~EXF_NEVER) | EXF_SHOWN;
        ex_mark_static_under(x);
      }
      x = dom_next_skip(body, x);
      continue;
    }
    x = dom_next(body, x);
  }
}

/* Issue 14, class 6: a short post must not give way to its readers' comments. The text of the
 * selection inside comment threads (elements whose class or id has the word "comment(s)",
 * "kommentar(e)", "commentaire(s)", "comentario(s)", "commento/i" or "respond", outermost
 * ones only) does not count when a looser attempt is weighed against a stricter one. */
static bool comment_named(const dom_node *n)
{
  static const char *const words[] = {"comment",     "comments",     "kommentar",  "kommentare",
                                      "commentaire", "commentaires", "comentario", "comentarios",
                                      "commento",    "commenti",     "respond",    NULL};
  return n->n_attrs && exc_name_has_word(n, words);
}

static uint32_t comment_text(cctx *c)
{
  uint32_t t = 0;
  for (size_t i = c->lo; i < c->hi; i++) {
    dom_node *e = c->els[i];
    if (!exc_live(e) || !(e->flags & EXF_INSEL) || !comment_named(e))
      continue;
    bool outer = true;
    for (const dom_node *a = e->parent; a && a != c->body && (a->flags & EXF_INSEL) && outer;
         a = a->parent)
      outer = !comment_named(a);
    if (outer && exc_effectively_live(c, e))
      t += exc_info_of(c, e)->text;
  }
  return t;
}

dom_node *ex_content_select(dom_doc *doc, const char *title, size_t title_len)
{
  cctx c;
  memset(&c, 0, sizeof c);
  c.doc = doc;
  c.body = ex_body(doc);
  c.title = title;
  c.title_len = title_len;
  if (!c.body)
    return NULL;
  /* collect elements, cache text statistics */
  size_t cap = 0;
  dom_node *ns_list[EX_NOSCRIPT_LIST]; /* the body's <noscript> blocks (the first ones) */
  size_t n_ns = 0;
  dom_node *x = c.body;
  c.body->aux = 0;
  while ((x = dom_next(c.body, x))) {
    if (x->type == DOM_TEXT) {
      text_stats(x);
      continue;
    }
    if (x->type != DOM_ELEMENT)
      continue;
    if (c.n == cap) {
      size_t nc = cap ? cap * 2 : 1024;
      dom_node **ne = realloc(c.els, nc * sizeof *ne);
      if (!ne) {
        free(c.els);
        doc->oom = true;
        return NULL;
      }
      c.els = ne;
      cap = nc;
    }
    c.els[c.n++] = x;
    x->aux = (uint32_t)c.n;
    if (x->tag == HTML_TAG_NOSCRIPT && x->ns == DOM_NS_HTML && (x->flags & EXF_NEVER) &&
        !(x->flags & EXF_HIDDEN) && n_ns < EX_NOSCRIPT_LIST)
      ns_list[n_ns++] = x;
  }
  if (n_ns)
    reveal_noscript(&c, ns_list, n_ns);
  /* the body needs an info slot too */
  c.info = calloc(c.n + 1, sizeof *c.info);
  c.cbits = malloc((c.n + 1) * sizeof *c.cbits);
  c.anc = calloc(c.n + 1, 1);
  if (c.cbits)
    for (size_t i = 0; i < c.n; i++)
      c.cbits[i] = exc_compute_cbits(c.els[i]);
  c.sel = malloc((c.n + 1) * sizeof *c.sel);
  if (!c.info || !c.sel || !c.cbits || !c.anc) {
    free(c.cbits);
    free(c.anc);
    free(c.els);
    free(c.info);
    free(c.sel);
    doc->oom = true;
    return NULL;
  }
  c.body->aux = (uint32_t)c.n + 1;
  for (size_t i = 0; i < c.n; i++) {
    dom_node *p = c.els[i]->parent;
    if (!p || p->type != DOM_ELEMENT || !p->aux || p->aux > c.n)
      continue;
    uint8_t a = c.anc[p->aux - 1];
    if (exc_is_tag(p, HTML_TAG_TABLE))
      a |= A_TABLE;
    if (exc_is_tag(p, HTML_TAG_CODE))
      a |= A_CODE;
    if (exc_is_tag(p, HTML_TAG_FIGURE))
      a |= A_FIGURE;
    c.anc[i] = a;
  }
  /* Containers of the article the page itself declares (itemprop=articleBody) or of its first
   * <h1> are never dropped for their class names ("above-footer", "main-sidebar-layout"):
   * the class then describes the page layout, not boilerplate. Each node is marked once. */
  {
    bool h1_seen = false;
    for (size_t i = 0; i < c.n; i++) {
      dom_node *e = c.els[i];
      bool marker = false;
      if (exc_is_tag(e, HTML_TAG_H1) && !h1_seen && EX_PROTECT_H1) {
        h1_seen = true;
        marker = true;
      } else if (e->n_attrs) {
        size_t il;
        const char *ip = ex_attr(e, "itemprop", 8, &il);
        marker = ip && ex_icontains(ip, il, "articleBody");
      }
      for (dom_node *a = marker ? e : NULL; a && a != c.body && a->type == DOM_ELEMENT;
           a = a->parent) {
        if (!a->aux || a->aux > c.n || (c.anc[a->aux - 1] & A_HOLDS_MAIN))
          break;
        c.anc[a->aux - 1] |= A_HOLDS_MAIN;
      }
    }
  }
  /* has-block-descendant marks (bottom-up) */
  for (size_t i = c.n; i-- > 0;) {
    dom_node *e = c.els[i];
    dom_node *p = e->parent;
    if (p && p->type == DOM_ELEMENT && (is_div_to_p_block(e) || (e->flags & EXF_HASBLOCK)))
      p->flags |= EXF_HASBLOCK;
  }
  /* embeds: mark videos */
  static const int attempts[] = {F_STRIP_UNLIKELY | F_WEIGHT_CLASSES | F_CLEAN_COND,
                                 F_WEIGHT_CLASSES | F_CLEAN_COND, F_CLEAN_COND, 0};
  int best_flags = -1;
  uint32_t best_len = 0;
  for (size_t a = 0; a < 4; a++) {
    run_attempt(&c, attempts[a]);
    uint32_t len = exc_selection_text(&c);
    /* Readability keeps the longest attempt; a looser attempt must be clearly longer here,
     * since what the stricter flags removed was judged boilerplate (forms, disclosures), and
     * that holds too when the looser attempt reaches the 500 characters the stricter one
     * missed (a short news item beside long related-article teasers). */
    bool gain = best_flags < 0 || (float)len > EX_RETRY_GAIN * (float)best_len;
    if (gain && best_flags >= 0) { /* weighed again without the comments (rarely needed) */
      uint32_t com = comment_text(&c);
      gain = (float)(len - (com < len ? com : len)) > EX_RETRY_GAIN * (float)best_len;
    }
    if (gain) {
      best_len = len;
      best_flags = attempts[a];
    }
    if (len >= 500)
      break;
  }
  if (c.flags != best_flags)
    run_attempt(&c, best_flags);
  dom_node *out = NULL;
  if (best_len == 0) {
    /* nothing scored: the whole body, cleaned of what is never content */
    reset_attempt(&c);
    out = c.body;
    /* the headline that repeats the title is the title field, not text, here too */
    if (c.title_node)
      c.title_node->flags |= EXF_DROP;
  } else if (c.n_sel == 1) {
    out = c.sel[0];
  } else {
    out = dom_new_element(doc, "div", 3, DOM_NS_HTML);
    if (out) {
      for (size_t i = 0; i < c.n_sel; i++)
        dom_append_child(out, c.sel[i]);
    }
  }
  /* serialisers skip EXF_DROP; LIVE/INSEL bits are irrelevant to them */
  free(c.els);
  free(c.info);
  free(c.sel);
  free(c.cbits);
  free(c.anc);
  return out;
}
