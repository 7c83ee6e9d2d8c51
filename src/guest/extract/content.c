/*
 * content.c - main-content selection: boilerplate removal, candidate scoring, best subtree.
 *
 * DESIGN. The algorithm follows Readability's (the one the reference corpus was made with),
 * made non-destructive and linear so that it can retry cheaply and survive hostile trees:
 *
 *   0. Static marks (once): hidden elements (hidden, aria-hidden, display:none,
 *      visibility:hidden) and never-content elements (script, style, form controls, svg...).
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
 *      text never gives an empty result.
 * Beyond Readability (each measured on both dev sets, none specific to a site):
 *   - boilerplate names inside the content (credits, share, newsletter, author box, tags,
 *     disclosures...) drop short blocks and weigh -25 against candidates; link-only short
 *     blocks and mostly-link lists go; candidates holding form fields are halved; a data
 *     table is never dropped for its class names ("ingredients table-header"); a list of
 *     prose steps with a picture each is no image gallery;
 *   - the selection grows by sentence-like prose paragraphs under the top candidate's
 *     grandparent (not inside footers, asides, navigation or boilerplate-named blocks such
 *     as an author's biography), and by the lead between the headline <h1> and the content
 *     (not from an author box);
 *   - one-line pointers to other articles ("Read also:", "Lesen Sie auch", "À lire aussi")
 *     and short teasers ending in a linked "Read more" go; a link-free "teaser" block is the
 *     article's own lead and stays; picture credits ("Foto: ...", also a whole <figcaption>)
 *     are flagged EXF_CAPTION: kept in Markdown and HTML, left out of the plain text. Figure
 *     captions stay in the text (EX_CAPTIONS_IN_TEXT; the issue keeps figures with captions;
 *     measured without them: trafilatura-eval +0.006, readability-testpages -0.006, whose
 *     reference output keeps every caption);
 *   - headings whose section was removed go; short non-sentence lines and link-heavy blocks
 *     are trimmed from the end and the start (headings kept at the start), and so are
 *     closing calls to action (newsletter, app, messenger and video channels, "load more",
 *     "find out more here"), licence notices and update stamps ("Updated on ...",
 *     "Aktualisiert am ..."); selected siblings of the top candidate are cleaned like its
 *     descendants (a WordPress "entry-utility" line).
 * Every pass is O(number of nodes); the tree is only re-parented once, at the very end.
 */
#include "guest/extract/ex_internal.h"

#include <stdlib.h>
#include <string.h>

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
#define CB_ROLE 0x400    /* role names navigation / complementary / dialogs (unlikely) */
#define CB_MODAL 0x800   /* aria-modal=true role=dialog */
#define CB_BYATTR 0x1000 /* rel=author or itemprop contains "author" */

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
} cctx;

/* ---- patterns ------------------------------------------------------------------------------ */
static const char *const unlikely_pat[] = {
    "-ad-",         "ai2html",    "banner",  "breadcrumbs", "combx",     "comment",
    "community",    "cover-wrap", "disqus",  "extra",       "footer",    "gdpr",
    "header",       "legends",    "menu",    "related",     "remark",    "replies",
    "rss",          "shoutbox",   "sidebar", "skyscraper",  "social",    "sponsor",
    "supplemental", "ad-break",   "agegate", "pagination",  "pager",     "popup",
    "yom-remote",   "modal",      "dialog",  "login",       "cookie",    "consent",
    "newsletter",   "signup",     "subscri", "author-box",  "authorbox", NULL};
static const char *const maybe_pat[] = {"and",  "article", "body",   "column", "content",
                                        "main", "mathjax", "shadow", NULL};
static const char *const negative_pat[] = {
    "-ad-",     "hidden", "banner",   "combx",    "comment", "com-",       "contact",
    "footer",   "gdpr",   "masthead", "media",    "meta",    "outbrain",   "promo",
    "related",  "scroll", "share",    "shoutbox", "sidebar", "skyscraper", "sponsor",
    "shopping", "tags",   "widget",   NULL};
static const char *const positive_pat[] = {"article", "body", "content", "entry",      "hentry",
                                           "h-entry", "main", "page",    "pagination", "post",
                                           "text",    "blog", "story",   NULL};
static const char *const video_pat[] = {
    "//(www.)?((dailymotion|youtube|youtube-nocookie|player.vimeo|v.qq|bilibili|live.bilibili).com",
    NULL};

static bool match_any(const char *s, size_t n, const char *const *pats)
{
  for (size_t i = 0; pats[i]; i++)
    if (ex_icontains(s, n, pats[i]))
      return true;
  return false;
}

static bool has_token(const char *s, size_t n, const char *tok)
{
  size_t tl = strlen(tok);
  size_t i = 0;
  while (i < n) {
    while (i < n && s[i] == ' ')
      i++;
    size_t e = i;
    while (e < n && s[e] != ' ')
      e++;
    if (e - i == tl && ex_ieq(s + i, tl, tok))
      return true;
    i = e;
  }
  return false;
}

static bool is_video_url(const char *s, size_t n)
{
  (void)video_pat;
  static const char *const hosts[] = {
      "dailymotion.com", "youtube.com", "youtube-nocookie.com", "player.vimeo.com", "v.qq.com",
      "bilibili.com",    NULL};
  return match_any(s, n, hosts);
}

static const char *const inside_pat[];
static bool share_like(const char *s, size_t n);

/* One-pass multi-pattern matcher over lower-cased class/id strings: every pattern of every
 * list is indexed by its first byte, so a string is scanned once for all lists. */
#define L_UNL 0x01
#define L_MAYBE 0x02
#define L_NEG 0x04
#define L_POS 0x08
#define L_IN 0x10
#define L_BY 0x20
#define L_SHARE 0x40

typedef struct pat_ent {
  const char *p;
  uint8_t len, lists;
} pat_ent;

static pat_ent pat_tab[256];
/* patterns indexed by their first two bytes: start offsets into pat_tab (65536 + 1 entries) */
static uint16_t pat_start[65537];
static size_t pat_n;

static void pat_add_list(pat_ent *tmp, size_t *k, const char *const *pats, uint8_t bit)
{
  for (size_t i = 0; pats[i]; i++) {
    size_t j = 0;
    while (j < *k && strcmp(tmp[j].p, pats[i]) != 0)
      j++;
    if (j < *k) {
      tmp[j].lists |= bit;
    } else if (*k < 256) {
      tmp[*k].p = pats[i];
      tmp[*k].len = (uint8_t)strlen(pats[i]);
      tmp[*k].lists = bit;
      (*k)++;
    }
  }
}

static unsigned pat_key(const char *p)
{
  return (unsigned)(unsigned char)p[0] << 8 | (unsigned char)p[1];
}

static void pat_init(void)
{
  if (pat_n)
    return;
  static const char *const by[] = {"byline", "author", "dateline", "writtenby", "p-author", NULL};
  pat_ent tmp[256];
  size_t k = 0;
  pat_add_list(tmp, &k, unlikely_pat, L_UNL);
  pat_add_list(tmp, &k, maybe_pat, L_MAYBE);
  pat_add_list(tmp, &k, negative_pat, L_NEG);
  pat_add_list(tmp, &k, positive_pat, L_POS);
  pat_add_list(tmp, &k, inside_pat, L_IN);
  pat_add_list(tmp, &k, by, L_BY);
  static const char *const sh[] = {"share", NULL};
  pat_add_list(tmp, &k, sh, L_SHARE);
  /* sort by two-byte key (insertion sort: k <= 256), then fill the start table */
  for (size_t i = 1; i < k; i++) {
    pat_ent e = tmp[i];
    size_t j = i;
    while (j > 0 && pat_key(tmp[j - 1].p) > pat_key(e.p)) {
      tmp[j] = tmp[j - 1];
      j--;
    }
    tmp[j] = e;
  }
  size_t pos = 0;
  for (unsigned key = 0; key < 65536; key++) {
    pat_start[key] = (uint16_t)pos;
    while (pos < k && pat_key(tmp[pos].p) == key) {
      pat_tab[pos] = tmp[pos];
      pos++;
    }
  }
  pat_start[65536] = (uint16_t)pos;
  pat_n = pos ? pos : 1;
}

static uint8_t pat_scan(const char *s, size_t n)
{
  /* all patterns are at least two bytes long */
  uint8_t r = 0;
  if (n < 2)
    return 0;
  unsigned char prev = (unsigned char)ex_lower(s[0]);
  for (size_t i = 0; i + 1 < n; i++) {
    unsigned char cur = (unsigned char)ex_lower(s[i + 1]);
    unsigned key = (unsigned)prev << 8 | cur;
    prev = cur;
    uint16_t a = pat_start[key], b = pat_start[key + 1];
    for (uint16_t j = a; j < b; j++) {
      const pat_ent *e = &pat_tab[j];
      if (e->len > n - i || (r & e->lists) == e->lists)
        continue;
      size_t q = 2;
      while (q < e->len && ex_lower(s[i + q]) == e->p[q])
        q++;
      if (q == e->len)
        r |= e->lists;
    }
  }
  return r;
}

static bool unlikely_role(const dom_node *n);

static uint16_t compute_cbits(const dom_node *n)
{
  if (!n->n_attrs)
    return 0;
  uint16_t ab = 0;
  size_t l;
  if (unlikely_role(n))
    ab |= CB_ROLE;
  const char *am = dom_attr_get(n, "aria-modal", &l);
  const char *role = dom_attr_get(n, "role", NULL);
  if (am && ex_ieq(am, l, "true") && role && strcmp(role, "dialog") == 0)
    ab |= CB_MODAL;
  const char *rel = dom_attr_get(n, "rel", &l);
  if (rel && ex_ieq(rel, l, "author"))
    ab |= CB_BYATTR;
  const char *ip = dom_attr_get(n, "itemprop", &l);
  if (ip && ex_icontains(ip, l, "author"))
    ab |= CB_BYATTR;
  size_t cl, il;
  const char *c = ex_class(n, &cl);
  const char *id = ex_id(n, &il);
  if (!cl && !il)
    return ab;
  pat_init();
  uint8_t bc = cl ? pat_scan(c, cl) : 0, bi = il ? pat_scan(id, il) : 0;
  uint8_t both = bc | bi;
  uint16_t b = 0;
  if (both & L_UNL)
    b |= CB_UNLIKELY;
  if (both & L_MAYBE)
    b |= CB_MAYBE;
  if ((bc & L_NEG) || (cl && has_token(c, cl, "hid")))
    b |= CB_CNEG;
  if (bc & L_POS)
    b |= CB_CPOS;
  if ((bi & L_NEG) || (il && ex_ieq(id, il, "hid")))
    b |= CB_INEG;
  if (bi & L_POS)
    b |= CB_IPOS;
  if (both & L_IN)
    b |= CB_INSIDE;
  if (bc & L_MAYBE)
    b |= CB_CMAYBE;
  if (both & L_BY)
    b |= CB_BYLINE;
  if ((both & L_SHARE) && (share_like(c, cl) || share_like(id, il)))
    b |= CB_SHARE;
  return b | ab;
}

static uint16_t cbits_of(const struct cctx *c, const dom_node *n);

static int class_weight_bits(uint16_t b, int flags)
{
  if (!(flags & F_WEIGHT_CLASSES))
    return 0;
  int w = 0;
  if (b & CB_CNEG)
    w -= 25;
  if (b & CB_CPOS)
    w += 25;
  if (b & CB_INEG)
    w -= 25;
  if (b & CB_IPOS)
    w += 25;
  /* beyond Readability: names of in-article boilerplate (newsletter, author box, credits,
   * disclaimers...) count against a candidate like Readability's negative names */
  if ((b & CB_INSIDE) && !(b & (CB_CNEG | CB_INEG | CB_CPOS | CB_IPOS)))
    w -= 25;
  return w;
}

#define class_weight(n, flags) class_weight_bits(cbits_of(c, (n)), (flags))

/* ---- static marks ---------------------------------------------------------------------------- */
void ex_mark_static(dom_doc *doc)
{
  dom_node *n = dom_next(doc->root, doc->root);
  while (n) {
    if (n->type == DOM_ELEMENT) {
      if (ex_is_hidden(n)) {
        n->flags |= EXF_HIDDEN;
        n = dom_next_skip(doc->root, n);
        continue;
      }
      if (ex_skip_node(n)) {
        n->flags |= EXF_NEVER;
        n = dom_next_skip(doc->root, n);
        continue;
      }
    }
    n = dom_next(doc->root, n);
  }
}

/* ---- text statistics of text nodes (cached in the node: aux = length, score = commas) -------- */
static void text_stats(dom_node *t)
{
  uint32_t len = 0, commas = 0;
  bool sp = true; /* leading whitespace is not counted */
  const unsigned char *d = (const unsigned char *)t->data;
  size_t n = t->data_len, i = 0;
  while (i < n) {
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
  t->aux = len;
  t->score = (float)commas;
}

static bool is_tag(const dom_node *n, html_tag t)
{
  return dom_is(n, t);
}

static bool is_heading(const dom_node *n)
{
  return n->type == DOM_ELEMENT && n->ns == DOM_NS_HTML && n->tag >= HTML_TAG_H1 &&
         n->tag <= HTML_TAG_H6;
}

static bool is_p_like(const dom_node *n)
{
  return is_tag(n, HTML_TAG_P) || (n->flags & EXF_DIVP);
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

static bool has_video_embed(const dom_node *n);
static bool is_data_table(const dom_node *t);
static bool small_text(const dom_node *n, ex_buf *out, int budget);

/* ---- aggregation ---------------------------------------------------------------------------- */
static uint16_t cbits_of(const cctx *c, const dom_node *n)
{
  return (n->type == DOM_ELEMENT && n->aux && n->aux <= c->n)
             ? c->cbits[n->aux - 1]
             : (n->type == DOM_ELEMENT ? compute_cbits(n) : 0);
}

static ninfo *info_of(cctx *c, const dom_node *n)
{
  return (n->type == DOM_ELEMENT && n->aux) ? &c->info[n->aux - 1] : NULL;
}

static bool live(const dom_node *n)
{
  return (n->flags & EXF_LIVE) && !(n->flags & (EXF_DROP | EXF_HIDDEN | EXF_NEVER));
}

/* Recomputes the aggregate of element i from its children. */
static void aggregate_one(cctx *c, dom_node *e)
{
  ninfo *in = info_of(c, e);
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
      if (is_tag(ch, HTML_TAG_INPUT))
        in->n_input++;
      else if ((is_tag(ch, HTML_TAG_IFRAME) || is_tag(ch, HTML_TAG_EMBED) ||
                is_tag(ch, HTML_TAG_OBJECT)) &&
               has_video_embed(ch))
        in->video = true;
      continue;
    }
    if (!live(ch))
      continue;
    ninfo *ci = info_of(c, ch);
    in->text += ci->text;
    in->commas += ci->commas;
    in->link += ci->link;
    in->n_p += ci->n_p + (is_p_like(ch) ? 1 : 0);
    in->n_img += ci->n_img + (is_tag(ch, HTML_TAG_IMG) ? 1 : 0);
    in->n_li += ci->n_li + (is_tag(ch, HTML_TAG_LI) ? 1 : 0);
    in->n_input += ci->n_input + (is_tag(ch, HTML_TAG_INPUT) ? 1 : 0);
    in->n_embed += ci->n_embed;
    in->video = in->video || ci->video;
    in->head_text += is_heading(ch) ? ci->text : ci->head_text;
    in->list_text +=
        (is_tag(ch, HTML_TAG_UL) || is_tag(ch, HTML_TAG_OL)) ? ci->text : ci->list_text;
  }
  if (is_tag(e, HTML_TAG_A)) {
    size_t hl = 0;
    const char *h = dom_attr_get(e, "href", &hl);
    in->link = (float)in->text * ((h && hl && h[0] == '#') ? 0.3f : 1.0f);
  }
}

static void aggregate_all(cctx *c)
{
  for (size_t i = c->n; i-- > 0;)
    if (live(c->els[i]))
      aggregate_one(c, c->els[i]);
}

static float link_density(cctx *c, const dom_node *n)
{
  ninfo *in = info_of(c, n);
  if (!in || !in->text)
    return 0.0f;
  return in->link / (float)in->text;
}

/* ---- text similarity (Readability's _textSimilarity, ASCII \W tokens) ------------------------ */
static size_t tokens(const char *s, size_t n, const char **tok, size_t *tl, size_t max)
{
  size_t k = 0, i = 0;
  while (i < n && k < max) {
    while (i < n && !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                      (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
      i++;
    size_t e = i;
    while (e < n && ((s[e] >= 'a' && s[e] <= 'z') || (s[e] >= 'A' && s[e] <= 'Z') ||
                     (s[e] >= '0' && s[e] <= '9') || s[e] == '_'))
      e++;
    if (e > i) {
      tok[k] = s + i;
      tl[k] = e - i;
      k++;
    }
    i = e;
  }
  return k;
}

double ex_text_similarity(const char *a, size_t an, const char *b, size_t bn)
{
  const char *ta[128], *tb[128];
  size_t la[128], lb[128];
  size_t na = tokens(a, an, ta, la, 128), nb = tokens(b, bn, tb, lb, 128);
  if (!na || !nb)
    return 0.0;
  size_t total = 0, uniq = 0, nuniq = 0;
  for (size_t i = 0; i < nb; i++) {
    total += lb[i];
    bool found = false;
    for (size_t j = 0; j < na && !found; j++) {
      if (la[j] != lb[i])
        continue;
      found = true;
      for (size_t k = 0; k < la[j] && found; k++)
        found = ex_lower(ta[j][k]) == ex_lower(tb[i][k]);
    }
    if (!found) {
      uniq += lb[i];
      nuniq++;
    }
  }
  total += nb - 1;
  if (nuniq)
    uniq += nuniq - 1;
  return 1.0 - (double)uniq / (double)total;
}

/* ---- pass 1: drops and paragraph marks ---------------------------------------------------- */
static bool unlikely_role(const dom_node *n)
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
      if (!is_tag(ch, HTML_TAG_BR) && !is_tag(ch, HTML_TAG_HR))
        return false;
    }
  }
  return true;
}

/* Visible text length of a subtree, counting at most 1,000 characters and 4,096 nodes (used
 * before aggregation, for the byline check). */
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

static void pass_drops(cctx *c)
{
  bool byline_done = false, title_done = false;
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
    uint16_t cb = cbits_of(c, n);
    bool drop = (cb & CB_MODAL) != 0;
    if (!drop && !byline_done && byline_like(cb)) {
      size_t tl = text_len_raw(n);
      if (tl > 0 && tl < 100) {
        drop = true;
        byline_done = true;
      }
    }
    if (!drop && !title_done && (is_tag(n, HTML_TAG_H1) || is_tag(n, HTML_TAG_H2)) &&
        c->title_len) {
      ex_buf t;
      exb_init(&t, 4096);
      if (small_text(n, &t, 512) && t.len &&
          ex_text_similarity(c->title, c->title_len, t.p, t.len) > 0.75) {
        drop = true;
        title_done = true;
      }
      exb_free(&t);
    }
    if (!drop && (c->flags & F_STRIP_UNLIKELY)) {
      if ((cb & CB_UNLIKELY) && !(cb & CB_MAYBE) &&
          !(c->anc[n->aux - 1] & (A_TABLE | A_CODE | A_HOLDS_MAIN)) && !is_tag(n, HTML_TAG_BODY) &&
          !is_tag(n, HTML_TAG_A) && !(is_tag(n, HTML_TAG_TABLE) && is_data_table(n)))
        drop = true;
      else if (cb & CB_ROLE)
        drop = true;
    }
    if (!drop &&
        (is_tag(n, HTML_TAG_DIV) || is_tag(n, HTML_TAG_SECTION) || is_tag(n, HTML_TAG_HEADER) ||
         is_heading(n)) &&
        without_content(n))
      drop = true;
    if (drop) {
      n->flags |= EXF_DROP;
      n = dom_next_skip(root, n);
      continue;
    }
    n->flags |= EXF_LIVE;
    if (is_tag(n, HTML_TAG_DIV) && !(n->flags & EXF_HASBLOCK))
      n->flags |= EXF_DIVP;
    n = dom_next(root, n);
  }
  /* a div holding exactly one <p> (and no other text) stands for it */
  for (size_t i = 0; i < c->n; i++) {
    dom_node *e = c->els[i];
    if (!live(e) || !is_tag(e, HTML_TAG_DIV) || (e->flags & EXF_DIVP))
      continue;
    dom_node *only = NULL;
    bool ok = true;
    for (dom_node *ch = e->first_child; ch && ok; ch = ch->next) {
      if (ch->type == DOM_TEXT) {
        for (uint32_t k = 0; k < ch->data_len && ok; k++)
          if (!(ch->data[k] == ' ' || ch->data[k] == '\n' || ch->data[k] == '\t' ||
                ch->data[k] == '\r'))
            ok = false;
      } else if (ch->type == DOM_ELEMENT && live(ch)) {
        if (only || !is_tag(ch, HTML_TAG_P))
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
    if (!live(e))
      continue;
    if (e->flags & EXF_TRANSP) {
      if (link_density(c, e) >= 0.25f)
        e->flags &= ~EXF_TRANSP;
    }
  }
  for (size_t i = 0; i < c->n; i++) {
    dom_node *e = c->els[i];
    if (!live(e))
      continue;
    if (is_scorable(e)) {
      ninfo *in = info_of(c, e);
      score_paragraph(c, e->parent, in->text, in->commas);
    } else if (is_tag(e, HTML_TAG_DIV) && (e->flags & EXF_HASBLOCK)) {
      /* runs of phrasing content directly in a div are paragraphs of their own */
      uint32_t len = 0, commas = 0;
      for (dom_node *ch = e->first_child;; ch = ch->next) {
        bool phr = ch && (ch->type == DOM_TEXT || (ch->type == DOM_ELEMENT &&
                                                   !ex_is_block_tag(ch) && !is_div_to_p_block(ch)));
        if (phr) {
          if (ch->type == DOM_TEXT) {
            len += ch->aux;
            commas += (uint32_t)ch->score;
          } else if (live(ch)) {
            len += info_of(c, ch)->text;
            commas += info_of(c, ch)->commas;
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

static size_t element_children(const dom_node *n)
{
  size_t k = 0;
  for (const dom_node *ch = n->first_child; ch; ch = ch->next)
    if (ch->type == DOM_ELEMENT && live(ch))
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

static void select_top(cctx *c)
{
  dom_node *top[5] = {0};
  for (size_t i = 0; i < c->n; i++) {
    dom_node *e = c->els[i];
    if (!(e->flags & EXF_SCORED) || !live(e))
      continue;
    e->score *= 1.0f - link_density(c, e);
    /* beyond Readability: a candidate holding form fields (newsletter, login, comment box)
     * is rarely the article, unless it is large (a page-wide form) */
    ninfo *fi = info_of(c, e);
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
  if (!t || t == c->body || is_tag(t, HTML_TAG_BODY)) {
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
  /* through single-child wrappers */
  for (dom_node *p = t->parent;
       p && p != c->body && p->type == DOM_ELEMENT && element_children(p) == 1; p = t->parent)
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
  for (dom_node *s = parent->first_child; s; s = s->next) {
    if (s->type != DOM_ELEMENT || !live(s))
      continue;
    bool append = false;
    if (s == t) {
      append = true;
    } else {
      float bonus = 0;
      size_t scl;
      const char *scls = ex_class(s, &scl);
      if (tcl && scl == tcl && memcmp(scls, tcls, tcl) == 0)
        bonus += t->score * 0.2f;
      if ((s->flags & EXF_SCORED) && s->score + bonus >= sthr) {
        append = true;
      } else if (is_p_like(s)) {
        float ld = link_density(c, s);
        uint32_t len = info_of(c, s)->text;
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

/* ---- cleaning of the selection -----------------------------------------------------------------
 */
static void mark_insel(cctx *c)
{
  c->lo = c->n;
  c->hi = 0;
  for (size_t i = 0; i < c->n_sel; i++) {
    dom_node *r = c->sel[i];
    r->flags |= EXF_INSEL;
    if (r->aux && r->aux <= c->n) {
      size_t k = r->aux - 1;
      if (k < c->lo)
        c->lo = k;
      if (k + 1 > c->hi)
        c->hi = k + 1;
    } else {
      /* the body: everything */
      c->lo = 0;
      c->hi = c->n;
    }
    dom_node *x = r;
    while ((x = dom_next(r, x)))
      if (x->type == DOM_ELEMENT) {
        x->flags |= EXF_INSEL;
        if (x->aux && x->aux <= c->n && x->aux > c->hi)
          c->hi = x->aux;
      }
  }
  if (c->lo > c->hi)
    c->lo = c->hi;
}

static bool is_data_table(const dom_node *t)
{
  size_t l;
  const char *role = dom_attr_get(t, "role", &l);
  if (role && ex_ieq(role, l, "presentation"))
    return false;
  const char *dt = dom_attr_get(t, "datatable", &l);
  if (dt && l == 1 && dt[0] == '0')
    return false;
  if (dom_attr_get(t, "summary", NULL))
    return true;
  dom_node *cap = ex_find_child_tag(t, HTML_TAG_CAPTION);
  if (cap && cap->first_child)
    return true;
  uint32_t rows = 0, cols = 0;
  const dom_node *x = t;
  while ((x = dom_next(t, x))) {
    if (x->type != DOM_ELEMENT)
      continue;
    if (is_tag(x, HTML_TAG_COL) || is_tag(x, HTML_TAG_COLGROUP) || is_tag(x, HTML_TAG_TFOOT) ||
        is_tag(x, HTML_TAG_THEAD) || is_tag(x, HTML_TAG_TH))
      return true;
    if (is_tag(x, HTML_TAG_TABLE))
      return false;
    if (is_tag(x, HTML_TAG_TR)) {
      rows++;
      uint32_t rc = 0;
      for (const dom_node *cell = x->first_child; cell; cell = cell->next)
        if (is_tag(cell, HTML_TAG_TD))
          rc++;
      if (rc > cols)
        cols = rc;
    }
  }
  if (rows >= 10 || cols > 4)
    return true;
  return rows * cols > 10;
}

/* Text of a small subtree, collapsed; false when the subtree has more than `budget` nodes
 * (callers only care about short labels, and this keeps deep trees linear). */
static bool small_text(const dom_node *n, ex_buf *out, int budget)
{
  bool sp = false;
  const dom_node *x = n;
  while ((x = dom_next(n, x))) {
    if (--budget < 0)
      return false;
    if (x->type == DOM_TEXT) {
      ex_append_collapsed(out, &sp, x->data, x->data_len);
    } else if (x->type == DOM_ELEMENT && ex_skip_node(x)) {
      const dom_node *nx = dom_next_skip(n, x);
      if (!nx)
        break;
      x = nx;
      if (x->type == DOM_TEXT)
        ex_append_collapsed(out, &sp, x->data, x->data_len);
    }
  }
  return true;
}

static bool ad_or_loading(const dom_node *n)
{
  ex_buf t;
  exb_init(&t, 256);
  bool r = false;
  if (small_text(n, &t, 64) && !t.failed && t.len) {
    size_t l = t.len;
    const char *s = ex_trim(t.p, &l);
    static const char *const words[] = {
        "ad",       "advertising", "advertisement", "pub",        "publicité", "werb",
        "werbung",  "广告",        "Реклама",       "Anuncio",    "loading",   "loading...",
        "loading…", "正在加载",    "Загрузка",      "chargement", "cargando",  NULL};
    for (size_t i = 0; words[i] && !r; i++)
      r = ex_ieq(s, l, words[i]);
  }
  exb_free(&t);
  return r;
}

static bool has_video_embed(const dom_node *n)
{
  for (uint32_t i = 0; i < n->n_attrs; i++)
    if (is_video_url(n->attrs[i].value, n->attrs[i].value_len))
      return true;
  return false;
}

#define EX_LIST_LINK_DENSITY 0.5f
#define EX_PROSE_ITEM 50 /* characters per list item of a prose list */
/* Readability's _cleanConditionally decision for one element. */
static bool clean_cond_remove(cctx *c, dom_node *n)
{
  ninfo *in = info_of(c, n);
  bool is_list = is_tag(n, HTML_TAG_UL) || is_tag(n, HTML_TAG_OL);
  if (!is_list && in->text)
    is_list = (float)in->list_text / (float)in->text > 0.9f;
  if (is_tag(n, HTML_TAG_TABLE) && (n->flags & EXF_DATATABLE))
    return false;
  if (n->aux && n->aux <= c->n && (c->anc[n->aux - 1] & (A_DTABLE | A_CODE)))
    return false;
  int weight = class_weight(n, c->flags);
  if (weight < 0)
    return true;
  if (in->commas >= 10)
    return false;
  if (in->video)
    return false;
  if (in->text < 32 && ad_or_loading(n))
    return true;
  float p = (float)in->n_p, img = (float)in->n_img;
  float li = (float)in->n_li - 100.0f, input = (float)in->n_input;
  float heading_density = in->text ? (float)in->head_text / (float)in->text : 0.0f;
  uint32_t len = in->text;
  float ld = link_density(c, n);
  bool fig = n->aux && n->aux <= c->n && (c->anc[n->aux - 1] & A_FIGURE);
  uint32_t embeds = in->n_embed;
  /* beyond Readability: a list of prose steps with a picture each (a recipe's directions) is
   * no image gallery */
  bool prose_list = is_list && in->n_li >= 2 && len >= EX_PROSE_ITEM * in->n_li && ld < 0.2f &&
                    in->n_img <= in->n_li;
  bool remove =
      (!fig && img > 1 && p / img < 0.5f && !prose_list) || (!is_list && li > p) ||
      input > (float)((int)(p / 3)) ||
      (!is_list && !fig && heading_density < 0.9f && len < 25 && (img == 0 || img > 2) && ld > 0) ||
      (!is_list && weight < 25 && ld > 0.2f) || (weight >= 25 && ld > 0.5f) ||
      (embeds == 1 && len < 75) || embeds > 1;
  /* beyond Readability: a list that is mostly links is navigation or "related" teasers */
  if (is_list && !remove && ld > EX_LIST_LINK_DENSITY && in->n_li >= 2)
    remove = true;
  if (is_list && remove) {
    for (const dom_node *ch = n->first_child; ch; ch = ch->next)
      if (ch->type == DOM_ELEMENT && element_children(ch) > 1)
        return remove;
    if (in->n_img == in->n_li)
      return false;
  }
  return remove;
}

static bool share_like(const char *s, size_t n)
{
  /* (\b|_)(share|sharedaddy)(\b|_) */
  for (size_t i = 0; i + 5 <= n; i++) {
    if (ex_lower(s[i]) != 's' || !ex_istarts(s + i, n - i, "share"))
      continue;
    bool before =
        i == 0 || !((s[i - 1] >= 'a' && s[i - 1] <= 'z') || (s[i - 1] >= 'A' && s[i - 1] <= 'Z') ||
                    (s[i - 1] >= '0' && s[i - 1] <= '9'));
    size_t e = i + 5;
    if (ex_istarts(s + e, n - e, "daddy"))
      e += 5;
    bool after = e == n || !((s[e] >= 'a' && s[e] <= 'z') || (s[e] >= 'A' && s[e] <= 'Z') ||
                             (s[e] >= '0' && s[e] <= '9'));
    if (before && after)
      return true;
  }
  return false;
}

/* Boilerplate that sits inside the article container (beyond Readability): short blocks
 * whose class/id names them as credits, sharing, comments, subscriptions, tags, navigation or
 * post metadata, and short blocks that are nothing but links ("back to top", "next post"). */
static const char *const inside_pat[] = {"credit",        "copyright",
                                         "share",         "social",
                                         "comment",       "newsletter",
                                         "subscri",       "cookie",
                                         "consent",       "promo",
                                         "advert",        "related",
                                         "breadcrumb",    "pagination",
                                         "postmeta",      "post-meta",
                                         "entry-meta",    "article-meta",
                                         "meta-data",     "metadata",
                                         "tags",          "tagcloud",
                                         "byline",        "author",
                                         "dateline",      "published",
                                         "updated",       "readmore",
                                         "read-more",     "more-link",
                                         "printer",       "navigation",
                                         "nav-",          "-nav",
                                         "toolbar",       "rating",
                                         "donate",        "disclaimer",
                                         "further",       "morelinks",
                                         "more-links",    "see-also",
                                         "seealso",       "disclosure",
                                         "biograph",      "-bio",
                                         "bio-",          "_bio",
                                         "aboutauthor",   "about-author",
                                         "privacy",       "tag-links",
                                         "signature",     "user-info",
                                         "recommend",     "read-also",
                                         "readalso",      "pop-up",
                                         "popup",         "follow-us",
                                         "entry-utility", "entry-footer",
                                         "post-footer",   "ez-toc",
                                         "toc_container", "table-of-contents",
                                         "teaser",        "banner",
                                         "login",         NULL};

#define EX_INSIDE_MAX 450
#define EX_AUTHOR_BOX_MAX 1200

/* Short lines that announce other articles ("Read also:", "Lesen Sie auch", "À lire aussi")
 * or credit a picture ("Foto: ...", "Photo: ..."), in the major languages of the web. Matched
 * at the start of a block, case-insensitively (ASCII and Latin-1 capitals): pointers under
 * EX_POINTER_MAX characters (the pointer carries the other article's headline), credits under
 * EX_PHRASE_MAX. */
#define EX_PHRASE_MAX 90
#define EX_POINTER_MAX 160
#define EX_LEAD_PREFIX 64 /* bytes of text read for a phrase at the start */
static const char *const lead_phrases[] = {"read also",
                                           "read more:",
                                           "see also",
                                           "related:",
                                           "related articles",
                                           "related stories",
                                           "more on this",
                                           "you may also like",
                                           "you might also like",
                                           "also read",
                                           "recommended:",
                                           "auch interessant",
                                           "das könnte sie auch",
                                           "das könnte dich auch",
                                           "lesen sie auch",
                                           "lesen sie hier",
                                           "das thema könnte",
                                           "mehr dazu:",
                                           "lies auch",
                                           "mehr zum thema",
                                           "mehr themen",
                                           "zum weiterlesen",
                                           "weiterlesen:",
                                           "siehe auch",
                                           "à lire aussi",
                                           "lire aussi",
                                           "voir aussi",
                                           "a lire aussi",
                                           "le puede interesar",
                                           "te puede interesar",
                                           "lea también",
                                           "lee también",
                                           "vea también",
                                           "ver también",
                                           "veja também",
                                           "leia também",
                                           "leggi anche",
                                           "czytaj także",
                                           "czytaj też",
                                           "zobacz też",
                                           "zobacz także",
                                           "lees ook",
                                           "bekijk ook",
                                           NULL};
static const char *const credit_phrases[] = {
    "foto:",   "fotos:",       "photo:",        "photos:",       "bild:",
    "bilder:", "titelbild:",   "beitragsbild:", "bildquelle:",   "image:",
    "credit:", "photo credit", "crédit photo",  "crédits photo", NULL};

/* The first text of a block, whitespace collapsed, into out (at most EX_LEAD_PREFIX bytes of
 * each text node, up to outlen - 1 bytes, 64 nodes looked at); returns its length. */
static size_t head_text(const dom_node *e, char *out, size_t outlen)
{
  ex_buf b = {out, 0, outlen, outlen - 1, false};
  bool sp = false;
  int budget = 64;
  const dom_node *x = dom_next(e, e);
  for (; x && b.len < EX_LEAD_PREFIX && --budget > 0; x = dom_next(e, x)) {
    while (x && x->type == DOM_ELEMENT && ex_skip_node(x))
      x = dom_next_skip(e, x);
    if (!x)
      break;
    if (x->type != DOM_TEXT)
      continue;
    size_t n = x->data_len;
    size_t room = EX_LEAD_PREFIX - b.len;
    if (n > room) {
      n = room;
      while (n && ((unsigned char)x->data[n] & 0xC0) == 0x80)
        n--; /* cut before a UTF-8 continuation byte */
    }
    ex_append_collapsed(&b, &sp, x->data, n);
  }
  return b.failed ? 0 : b.len;
}

static bool lead_phrase(const char *s, size_t n, const char *const *phrases)
{
  while (n && (*s == '(' || *s == '[' || *s == ' ')) {
    s++;
    n--;
  }
  for (size_t k = 0; phrases[k]; k++) {
    const char *p = phrases[k];
    size_t pl = strlen(p);
    if (pl > n)
      continue;
    size_t i = 0;
    while (i < pl) {
      unsigned char a = (unsigned char)s[i];
      if (a == 0xC3 && (unsigned char)p[i] == 0xC3 && i + 1 < pl) {
        /* Latin-1 capitals (À-Þ but ×) fold like ASCII: "VEA TAMBIÉN", "À LIRE AUSSI" */
        unsigned char a1 = (unsigned char)s[i + 1];
        if (a1 >= 0x80 && a1 <= 0x9E && a1 != 0x97)
          a1 = (unsigned char)(a1 + 0x20);
        if (a1 != (unsigned char)p[i + 1])
          break;
        i += 2;
        continue;
      }
      if (ex_lower(s[i]) != p[i])
        break;
      i++;
    }
    if (i == pl)
      return true;
  }
  return false;
}

/* A "teaser" block inside the article that links nowhere is the article's own lead (its
 * standfirst), not a pointer to another article: EX_TEASER_LEAD characters or more without
 * links or list items. */
#define EX_TEASER_LEAD 60
static bool own_teaser(const dom_node *e, const ninfo *in)
{
  if (in->link > 0.0f || in->text < EX_TEASER_LEAD || in->n_li)
    return false;
  size_t cl, il;
  const char *cls = ex_class(e, &cl);
  const char *id = ex_id(e, &il);
  return ex_icontains(cls, cl, "teaser") || ex_icontains(id, il, "teaser");
}

/* "Read more" at the end of a short block, in the major languages of the web (ASCII case
 * folded; trailing dots, ellipses, arrows and guillemets ignored). */
#define EX_TEASER_MAX 400
static const char *const read_more_words[] = {
    "read more",     "continue reading",    "weiterlesen", "mehr lesen",
    "lire la suite", "lire plus",           "leer más",    "seguir leyendo",
    "leia mais",     "continua a leggere",  "leggi tutto", "czytaj dalej",
    "lees verder",   "read the full story", NULL};

static bool ends_read_more(const char *s, size_t n)
{
  while (n) {
    unsigned char ch = (unsigned char)s[n - 1];
    if (ch == ' ' || ch == '.' || ch == '>' || ch == ']' || ch == ')' || ch == '\n')
      n--;
    else if (n >= 3 && (unsigned char)s[n - 3] == 0xE2 && (unsigned char)s[n - 2] == 0x80 &&
             (ch == 0xA6 || ch == 0xBA)) /* … › */
      n -= 3;
    else if (n >= 3 && (unsigned char)s[n - 3] == 0xE2 && (unsigned char)s[n - 2] == 0x86 &&
             ch == 0x92) /* → */
      n -= 3;
    else if (n >= 2 && (unsigned char)s[n - 2] == 0xC2 && ch == 0xBB) /* » */
      n -= 2;
    else
      break;
  }
  for (size_t k = 0; read_more_words[k]; k++) {
    size_t l = strlen(read_more_words[k]);
    if (l <= n && ex_ieq(s + n - l, l, read_more_words[k]) &&
        (l == n || s[n - l - 1] == ' ' || s[n - l - 1] == '\n' ||
         (unsigned char)s[n - l - 1] >= 0x80 || s[n - l - 1] == '.' || s[n - l - 1] == '!'))
      return true;
  }
  return false;
}

/* The last visible text node under e (at most 256 nodes looked at), or NULL. */
static const dom_node *last_text(const dom_node *e)
{
  const dom_node *x = e->last_child;
  int budget = 256;
  while (x && --budget > 0) {
    if (x->type == DOM_TEXT) {
      for (uint32_t i = 0; i < x->data_len; i++)
        if (!(x->data[i] == ' ' || x->data[i] == '\n' || x->data[i] == '\t' || x->data[i] == '\r'))
          return x;
    } else if (x->type == DOM_ELEMENT && !ex_skip_node(x) && x->last_child) {
      x = x->last_child;
      continue;
    }
    while (x && x != e && !x->prev)
      x = x->parent;
    if (!x || x == e)
      return NULL;
    x = x->prev;
  }
  return NULL;
}

/* ends_read_more() on the tail of the block's last text node (the phrase is one link's text):
 * no need to collect the whole block. */
#define EX_TAIL_BYTES 48
static bool ends_read_more_node(const dom_node *e)
{
  const dom_node *t = last_text(e);
  if (!t)
    return false;
  size_t start = t->data_len > EX_TAIL_BYTES ? t->data_len - EX_TAIL_BYTES : 0;
  while (start < t->data_len && ((unsigned char)t->data[start] & 0xC0) == 0x80)
    start++; /* not inside a UTF-8 sequence */
  char buf[EX_TAIL_BYTES + 8];
  ex_buf b = {buf, 0, sizeof buf, sizeof buf - 1, false};
  bool sp = false;
  ex_append_collapsed(&b, &sp, t->data + start, t->data_len - start);
  return !b.failed && ends_read_more(buf, b.len);
}

static bool boilerplate_inside(cctx *c, const dom_node *e)
{
  ninfo *in = info_of(c, e);
  if (!in)
    return false;
  if (is_tag(e, HTML_TAG_NAV))
    return true;
  uint16_t cb = cbits_of(c, e);
  if (in->text < EX_INSIDE_MAX && (cb & CB_INSIDE) && !(cb & CB_CMAYBE) && !own_teaser(e, in))
    return true;
  /* an author's biography box ("author-bio", "author_section-content"), even when its class
   * also says "content" and when it runs to a few paragraphs */
  if (in->text < EX_AUTHOR_BOX_MAX && in->n_p <= 3 && (cb & CB_BYLINE) &&
      !is_tag(e, HTML_TAG_ARTICLE)) {
    size_t cl, il;
    const char *cls = ex_class(e, &cl);
    const char *id = ex_id(e, &il);
    if (ex_icontains(cls, cl, "author") || ex_icontains(id, il, "author"))
      return true;
  }
  /* "Read also: ...": a pointer to another article (a related-content block of one line) */
  if (in->text > 0 && in->text < EX_POINTER_MAX &&
      (is_tag(e, HTML_TAG_P) || (e->flags & EXF_DIVP) || is_tag(e, HTML_TAG_H3) ||
       is_tag(e, HTML_TAG_H4) || is_tag(e, HTML_TAG_H5) || is_tag(e, HTML_TAG_H6))) {
    /* the phrases are at the start: the first EX_LEAD_PREFIX bytes of text decide */
    char head[EX_LEAD_PREFIX + 8];
    size_t hl = head_text(e, head, sizeof head);
    bool hit = hl && lead_phrase(head, hl, lead_phrases);
    if (hit)
      return true;
  }
  /* link-only short blocks */
  if (in->text > 0 && in->text < 60 && in->link >= 0.9f * (float)in->text &&
      (is_tag(e, HTML_TAG_P) || (e->flags & EXF_DIVP) || is_tag(e, HTML_TAG_DIV)))
    return true;
  /* a teaser of another article: a short block that ends in a linked "Read more" */
  if (in->text > 0 && in->text < EX_TEASER_MAX && in->link > 0.0f &&
      (is_tag(e, HTML_TAG_P) || (e->flags & EXF_DIVP) || is_tag(e, HTML_TAG_LI))) {
    if (ends_read_more_node(e))
      return true;
  }
  return false;
}

#ifndef EX_CAPTIONS_IN_TEXT
#define EX_CAPTIONS_IN_TEXT 1
#endif
/* Captions and picture credits stay in the content (Markdown shows them under their image)
 * but not in the plain text, which is the article's prose: a <figcaption>, short text inside
 * a <figure>, and short blocks that open with a credit ("Foto: ...", "Photo credit: ..."). */
static bool is_caption(cctx *c, const dom_node *e)
{
  ninfo *in = info_of(c, e);
  if (!in || !in->text)
    return false;
  if (!EX_CAPTIONS_IN_TEXT &&
      (is_tag(e, HTML_TAG_FIGCAPTION) || ((c->anc[e->aux - 1] & A_FIGURE) && in->text < 200)))
    return true;
  if (in->text >= EX_PHRASE_MAX || !(is_tag(e, HTML_TAG_P) || (e->flags & EXF_DIVP) ||
                                     is_tag(e, HTML_TAG_SPAN) || is_tag(e, HTML_TAG_FIGCAPTION)))
    return false;
  char head[EX_LEAD_PREFIX + 8];
  size_t hl = head_text(e, head, sizeof head);
  return hl && lead_phrase(head, hl, credit_phrases);
}

static void clean_selection(cctx *c)
{
  mark_insel(c);
  /* aggregates are current: run_attempt computed them and nothing changed since */
  /* data tables */
  for (size_t i = c->lo; i < c->hi; i++) {
    dom_node *e = c->els[i];
    if ((e->flags & EXF_INSEL) && live(e) && is_tag(e, HTML_TAG_TABLE) && is_data_table(e))
      e->flags |= EXF_DATATABLE;
  }
  for (size_t i = c->lo; i < c->hi; i++) {
    dom_node *e = c->els[i];
    dom_node *p = e->parent;
    c->anc[i] &= (uint8_t)~A_DTABLE;
    if (p && p->aux && p->aux <= c->n && p->type == DOM_ELEMENT &&
        ((c->anc[p->aux - 1] & A_DTABLE) || (p->flags & EXF_DATATABLE)))
      c->anc[i] |= A_DTABLE;
  }
  /* unconditional: footer, aside, forms' controls; share widgets; negative headings */
  for (size_t i = c->lo; i < c->hi; i++) {
    dom_node *e = c->els[i];
    if (!(e->flags & EXF_INSEL) || !live(e))
      continue;
    bool is_root = (e->flags & EXF_ROOT) != 0;
    if (is_tag(e, HTML_TAG_FOOTER) || is_tag(e, HTML_TAG_ASIDE) || is_tag(e, HTML_TAG_LINK)) {
      if (!is_root)
        e->flags |= EXF_DROP;
      continue;
    }
    if (!is_root && (cbits_of(c, e) & CB_SHARE) && info_of(c, e)->text < 500) {
      e->flags |= EXF_DROP;
      continue;
    }
    if ((is_tag(e, HTML_TAG_H1) || is_tag(e, HTML_TAG_H2)) && class_weight(e, c->flags) < 0) {
      e->flags |= EXF_DROP;
      continue;
    }
    /* selected siblings of the top candidate are judged like its descendants */
    if ((!is_root || (c->top && e != c->top && e->parent == c->top->parent)) &&
        boilerplate_inside(c, e))
      e->flags |= EXF_DROP;
    else if (!is_root && is_caption(c, e))
      e->flags |= EXF_CAPTION;
  }
  /* propagate drops to descendants' LIVE bits */
  for (size_t i = c->lo; i < c->hi; i++) {
    dom_node *e = c->els[i];
    if (e->parent && e->parent->type == DOM_ELEMENT && e->parent != c->body && !live(e->parent) &&
        (e->parent->flags & EXF_INSEL))
      e->flags &= ~EXF_LIVE;
  }
  if (!(c->flags & F_CLEAN_COND)) {
    for (size_t i = c->hi; i-- > c->lo;)
      if (live(c->els[i]))
        aggregate_one(c, c->els[i]);
    return;
  }
  static const html_tag order[] = {HTML_TAG_FORM, HTML_TAG_FIELDSET, HTML_TAG_TABLE, HTML_TAG_UL,
                                   HTML_TAG_DIV};
  for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
    for (size_t i = c->hi; i-- > c->lo;) {
      dom_node *e = c->els[i];
      if (!live(e))
        continue;
      aggregate_one(c, e);
      if (!(e->flags & EXF_INSEL) || (e->flags & EXF_DIVP))
        continue;
      bool is_root = (e->flags & EXF_ROOT) != 0;
      /* selected siblings other than p/div/article/section are re-tagged div by Readability */
      bool as_div = is_root && order[k] == HTML_TAG_DIV && !is_tag(e, HTML_TAG_P) &&
                    !is_tag(e, HTML_TAG_ARTICLE) && !is_tag(e, HTML_TAG_SECTION);
      if (!is_tag(e, order[k]) && !as_div)
        continue;
      if (clean_cond_remove(c, e))
        e->flags |= EXF_DROP;
    }
  }
}

/* A heading (h2-h6) followed by nothing that survived the cleaning, up to the next heading
 * or the end of its container, introduced a block that was removed ("Related posts:",
 * "More on this topic"): it goes too. Runs backwards so a chain of such headings goes. */
static void drop_orphan_headings(cctx *c)
{
  for (size_t i = c->hi; i-- > c->lo;) {
    dom_node *e = c->els[i];
    if (!live(e) || !(e->flags & EXF_INSEL) || (e->flags & EXF_ROOT) || !is_heading(e) ||
        is_tag(e, HTML_TAG_H1))
      continue;
    bool content = false, dropped = false;
    for (dom_node *s = e->next; s && !content; s = s->next) {
      if (s->type == DOM_TEXT) {
        content = s->aux > 0;
        continue;
      }
      if (s->type != DOM_ELEMENT)
        continue;
      if (!live(s)) {
        dropped = dropped || (s->flags & EXF_DROP);
        continue;
      }
      if (is_heading(s))
        break;
      ninfo *in = info_of(c, s);
      content = (in && in->text > 0) || is_tag(s, HTML_TAG_IMG) || (in && in->n_img > 0);
    }
    if (!content && dropped)
      e->flags |= EXF_DROP;
  }
}

/* True when the text ends like a sentence (. ! ? … and CJK stops, possibly followed by a
 * closing quote or bracket). */
static bool ends_like_sentence(const char *s, size_t n)
{
  size_t k = n;
  while (k > 0 && (s[k - 1] == ' ' || s[k - 1] == '\n'))
    k--;
  /* skip closing quotes / brackets (ASCII and the common UTF-8 ones) */
  for (int rounds = 0; rounds < 2 && k > 0; rounds++) {
    unsigned char c = (unsigned char)s[k - 1];
    if (c == '"' || c == '\'' || c == ')')
      k--;
    else if (k >= 3 && (unsigned char)s[k - 3] == 0xE2 && (unsigned char)s[k - 2] == 0x80 &&
             (c == 0x9D || c == 0x99))
      k -= 3; /* ” ’ */
    else if (k >= 2 && (unsigned char)s[k - 2] == 0xC2 && c == 0xBB)
      k -= 2; /* » */
    else if (k >= 3 && (unsigned char)s[k - 3] == 0xEF && (unsigned char)s[k - 2] == 0xBC &&
             c == 0x89)
      k -= 3; /* fullwidth ) */
  }
  if (!k)
    return false;
  char c = s[k - 1];
  if (c == '.' || c == '!' || c == '?')
    return true;
  /* a longer line that introduces what follows ("In short:") */
  if (c == ':' && k >= 40)
    return true;
  /* an emoji closes many informal sentences */
  if (k >= 4 && ((unsigned char)s[k - 4] & 0xF8) == 0xF0)
    return true;
  if (k >= 3) {
    const unsigned char *u = (const unsigned char *)s + k - 3;
    if ((u[0] == 0xE2 && u[1] == 0x80 && u[2] == 0xA6) ||                 /* … */
        (u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x82) ||                 /* 。 */
        (u[0] == 0xEF && u[1] == 0xBC && (u[2] == 0x81 || u[2] == 0x9F))) /* ！ ？ */
      return true;
  }
  return false;
}

/* CJK prose is often written in lines without closing stops, one clause per line; a line of
 * EX_CJK_LINE ideographs carries as much as a Latin sentence. */
#define EX_CJK_LINE 15
static bool cjk_prose(const char *s, size_t n)
{
  uint32_t k = 0;
  for (size_t i = 0; s && i < n && k < EX_CJK_LINE;) {
    if ((unsigned char)s[i] < 0x80) {
      i++;
      continue;
    }
    if (ex_is_cjk_cp(ex_utf8_next(s, n, &i)))
      k++;
  }
  return k >= EX_CJK_LINE;
}

static bool is_text_block(const dom_node *e)
{
  if (e->flags & EXF_DIVP)
    return true;
  if (e->type != DOM_ELEMENT || e->ns != DOM_NS_HTML)
    return false;
  switch (e->tag) {
  case HTML_TAG_P:
  case HTML_TAG_H1:
  case HTML_TAG_H2:
  case HTML_TAG_H3:
  case HTML_TAG_H4:
  case HTML_TAG_H5:
  case HTML_TAG_H6:
  case HTML_TAG_LI:
  case HTML_TAG_DT:
  case HTML_TAG_DD:
  case HTML_TAG_FIGCAPTION:
  case HTML_TAG_ADDRESS:
    return true;
  default:
    return false;
  }
}

static bool effectively_live(const cctx *c, const dom_node *e)
{
  for (const dom_node *a = e; a && a != c->body; a = a->parent) {
    if (a->flags & (EXF_DROP | EXF_HIDDEN | EXF_NEVER))
      return false;
    if (a->flags & EXF_ROOT)
      return true;
  }
  return true;
}

/* Beyond Readability: the end of an article is where its container collects boilerplate
 * ("Related:", "Share this", "Comments (3)", photo credits, update stamps). Walking back from
 * the last text block, short blocks (< EX_TAIL_SHORT characters) that do not end like a
 * sentence, and link-heavy blocks, are dropped until the first real prose block. At most
 * EX_TAIL_MAX blocks are examined. */
#define EX_TAIL_SHORT 100
#define EX_TAIL_MAX 40
#define EX_CTA_MAX 250 /* a call to action at the end is one short paragraph */

/* Calls to action that close many articles even when they are whole sentences ("Subscribe to
 * our newsletter.", "Folgen Sie uns auf Twitter.", "Download our app for iOS and Android."). */
static const char *const cta_words[] = {"subscribe",
                                        "subscriber",
                                        "newsletter",
                                        "sign up",
                                        "follow us",
                                        "follow the ",
                                        "download the",
                                        "our app",
                                        "abonnier",
                                        "abonnement",
                                        "folgen sie uns",
                                        "folge uns",
                                        "suscr",
                                        "síguenos",
                                        "abonne",
                                        "inscrivez",
                                        "iscriviti",
                                        "assine",
                                        "zapisz się",
                                        "support us",
                                        "unterstützen sie",
                                        "telegram",
                                        "whatsapp",
                                        "youtube",
                                        "load more",
                                        "lade weitere",
                                        "mehr laden",
                                        "cargar más",
                                        "charger plus",
                                        "cc-by",
                                        "creative commons",
                                        "licensed under",
                                        "unter der lizenz",
                                        "findest du hier",
                                        "finden sie hier",
                                        "click here",
                                        "klicken sie hier",
                                        "found here",
                                        "find out more",
                                        "in unserem beitrag",
                                        "leave a comment",
                                        "hinterlasse",
                                        NULL};

/* Update and publication stamps ("Aktualisiert am 17.01.2021.", "Last updated: May 2"): short
 * lines that open with one of these are post metadata even when they end with a full stop. */
#define EX_STAMP_MAX 60
static const char *const stamp_phrases[] = {
    "updated",    "last updated", "aktualisiert",   "zuletzt aktualisiert",
    "stand:",     "published",    "veröffentlicht", "erstellt am",
    "mis à jour", "publié le",    "actualizado",    "publicado",
    "aggiornato", "pubblicato",   "zaktualizowano", NULL};

static bool cta_line(const char *s, size_t n)
{
  for (size_t k = 0; cta_words[k]; k++)
    if (ex_icontains(s, n, cta_words[k]))
      return true;
  return false;
}

/* A selected, live text block with text, as the trims at either end of the content judge them:
 * its info, else NULL. */
static ninfo *trim_candidate(cctx *c, dom_node *e)
{
  if (!live(e) || !(e->flags & EXF_INSEL) || !is_text_block(e))
    return NULL;
  ninfo *in = info_of(c, e);
  return in && in->text && effectively_live(c, e) ? in : NULL;
}

static void trim_tail(cctx *c)
{
  ex_buf t;
  exb_init(&t, 4096);
  int seen = 0;
  for (size_t i = c->hi; i-- > c->lo && seen < EX_TAIL_MAX;) {
    dom_node *e = c->els[i];
    ninfo *in = trim_candidate(c, e);
    if (!in)
      continue;
    /* a text block containing other text blocks is judged through them */
    seen++;
    float ld = link_density(c, e);
    bool boiler = ld > 0.5f;
    if (!boiler && in->text < EX_TAIL_SHORT && !is_tag(e, HTML_TAG_LI) && !is_tag(e, HTML_TAG_DD)) {
      exb_clear(&t);
      if (small_text(e, &t, 256) && !t.failed)
        boiler = (!ends_like_sentence(t.p ? t.p : "", t.len) && !cjk_prose(t.p, t.len)) ||
                 (in->text < EX_STAMP_MAX && t.p && lead_phrase(t.p, t.len, stamp_phrases));
    }
    if (!boiler && in->text < EX_CTA_MAX && !in->n_p) {
      exb_clear(&t);
      if (small_text(e, &t, 256) && !t.failed)
        boiler = cta_line(t.p ? t.p : "", t.len);
    }
    if (!boiler)
      break;
    e->flags |= EXF_DROP;
  }
  exb_free(&t);
}

/* The same at the start of the content (date and category stamps, "Advertisement", breadcrumb
 * remnants), except that headings are kept: an article may open with its own headings. */
static void trim_head(cctx *c)
{
  ex_buf t;
  exb_init(&t, 4096);
  int seen = 0;
  for (size_t i = c->lo; i < c->hi && seen < EX_TAIL_MAX; i++) {
    dom_node *e = c->els[i];
    ninfo *in = trim_candidate(c, e);
    if (!in)
      continue;
    seen++;
    if (is_heading(e))
      continue;
    /* a block holding other text blocks (li > p) is judged through them */
    if (in->n_p || in->n_li)
      continue;
    bool boiler = link_density(c, e) > 0.5f;
    if (!boiler && in->text < EX_TAIL_SHORT && !is_tag(e, HTML_TAG_LI) && !is_tag(e, HTML_TAG_DD)) {
      exb_clear(&t);
      if (small_text(e, &t, 256) && !t.failed)
        boiler = !ends_like_sentence(t.p ? t.p : "", t.len) && !cjk_prose(t.p, t.len);
    }
    if (!boiler)
      break;
    e->flags |= EXF_DROP;
  }
  exb_free(&t);
}

static uint32_t selection_text(cctx *c)
{
  uint32_t t = 0;
  for (size_t i = 0; i < c->n_sel; i++) {
    dom_node *s = c->sel[i];
    if (!live(s))
      continue;
    ninfo *in = info_of(c, s);
    if (in)
      t += in->text;
  }
  return t;
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
 * blocks). Looks inside the top candidate's grandparent (never the body) for live paragraphs
 * with >= 80 characters and link density < 0.25 that are not selected yet, and selects them
 * too, in document order. */
static int cmp_preorder(const void *a, const void *b)
{
  const dom_node *x = *(dom_node *const *)a, *y = *(dom_node *const *)b;
  return x->aux < y->aux ? -1 : x->aux > y->aux;
}

#define EXPAND_MIN_TEXT 80
#define EX_LEAD_WINDOW 200 /* elements between the headline and the content searched for a lead */
static bool ends_like_sentence(const char *s, size_t n);
static bool effectively_live(const cctx *c, const dom_node *e);
#define EXPAND_LEVELS 2

static bool prose_like(const dom_node *e)
{
  ex_buf t;
  exb_init(&t, 8192);
  bool r = small_text(e, &t, 512) && !t.failed && ends_like_sentence(t.p ? t.p : "", t.len);
  exb_free(&t);
  return r;
}

/* Containers whose prose is not the article's even when it reads like sentences: footers,
 * asides, navigation, and blocks whose class/id names an author box, post metadata or other
 * in-article boilerplate (the author's biography, a newsletter pitch, a sidebar's "about me"). */
static bool expand_barrier(cctx *c, const dom_node *x)
{
  if (is_tag(x, HTML_TAG_FOOTER) || is_tag(x, HTML_TAG_ASIDE) || is_tag(x, HTML_TAG_NAV))
    return true;
  uint16_t cb = cbits_of(c, x);
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
    if (cbits_of(c, a) & CB_BYLINE)
      return true;
  return false;
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
    if (!live(x) || (x->flags & EXF_INSEL) || expand_barrier(c, x)) {
      x = dom_next_skip(a, x);
      continue;
    }
    if (is_p_like(x) && x->aux && x->aux <= c->n && c->n_sel < c->n) {
      ninfo *in = info_of(c, x);
      if (in->text >= EXPAND_MIN_TEXT && link_density(c, x) < 0.25f && prose_like(x)) {
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
    if (is_tag(c->els[i], HTML_TAG_H1)) {
      h1 = i;
      break;
    }
  if (h1 < first) {
    ex_buf lb;
    exb_init(&lb, 4096);
    for (size_t i = h1 + 1; i < first && c->n_sel < c->n; i++) {
      dom_node *e = c->els[i];
      if (!is_p_like(e) || !live(e) || !effectively_live(c, e) || (e->flags & EXF_INSEL))
        continue;
      ninfo *in = info_of(c, e);
      if (in->text < 60 || link_density(c, e) >= 0.25f || in_author_box(c, e))
        continue;
      exb_clear(&lb);
      if (!small_text(e, &lb, 256) || lb.failed || !ends_like_sentence(lb.p ? lb.p : "", lb.len))
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

static void run_attempt(cctx *c, int flags)
{
  c->flags = flags;
  reset_attempt(c);
  pass_drops(c);
  aggregate_all(c);
  score_all(c);
  select_top(c);
  expand_selection(c);
  clean_selection(c);
  drop_orphan_headings(c);
  trim_tail(c);
  trim_head(c);
  /* the trims dropped blocks: refresh the selection's aggregates (its text length decides
   * between attempts, and 0 means "fall back to the body") */
  for (size_t i = c->hi; i-- > c->lo;)
    if (live(c->els[i]))
      aggregate_one(c, c->els[i]);
}

/* A looser attempt replaces a stricter one only when it is EX_RETRY_GAIN times longer
 * (trafilatura-eval F1 with 1.5 / 2 / 2.5 / 3 / 4 / 6: 0.9298 / 0.9298 / 0.9315 / 0.9311 /
 * 0.9311 / 0.9297; readability-testpages unchanged by it). */
#define EX_RETRY_GAIN 2.5f

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
  }
  /* the body needs an info slot too */
  c.info = calloc(c.n + 1, sizeof *c.info);
  c.cbits = malloc((c.n + 1) * sizeof *c.cbits);
  c.anc = calloc(c.n + 1, 1);
  if (c.cbits)
    for (size_t i = 0; i < c.n; i++)
      c.cbits[i] = compute_cbits(c.els[i]);
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
    if (is_tag(p, HTML_TAG_TABLE))
      a |= A_TABLE;
    if (is_tag(p, HTML_TAG_CODE))
      a |= A_CODE;
    if (is_tag(p, HTML_TAG_FIGURE))
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
      if (is_tag(e, HTML_TAG_H1) && !h1_seen && EX_PROTECT_H1) {
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
    uint32_t len = selection_text(&c);
    /* Readability keeps the longest attempt; a looser attempt must be clearly longer here,
     * since what the stricter flags removed was judged boilerplate (forms, disclosures), and
     * that holds too when the looser attempt reaches the 500 characters the stricter one
     * missed (a short news item beside long related-article teasers). */
    if (best_flags < 0 || (float)len > EX_RETRY_GAIN * (float)best_len) {
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
