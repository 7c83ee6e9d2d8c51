/* content_clean.c - cleaning of the selected content (content.c step 5 and the trims beyond
 * Readability): conditional cleaning of tables, lists and divs, boilerplate inside the article,
 * captions, orphan headings, and the trims of the head and tail of the selection. */
#include "guest/extract/content_internal.h"

#include <stdlib.h>
#include <string.h>

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

bool exc_is_data_table(const dom_node *t)
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
    if (exc_is_tag(x, HTML_TAG_COL) || exc_is_tag(x, HTML_TAG_COLGROUP) ||
        exc_is_tag(x, HTML_TAG_TFOOT) || exc_is_tag(x, HTML_TAG_THEAD) ||
        exc_is_tag(x, HTML_TAG_TH))
      return true;
    if (exc_is_tag(x, HTML_TAG_TABLE))
      return false;
    if (exc_is_tag(x, HTML_TAG_TR)) {
      rows++;
      uint32_t rc = 0;
      for (const dom_node *cell = x->first_child; cell; cell = cell->next)
        if (exc_is_tag(cell, HTML_TAG_TD))
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
bool exc_small_text(const dom_node *n, ex_buf *out, int budget)
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
  if (exc_small_text(n, &t, 64) && !t.failed && t.len) {
    size_t l = t.len;
    const char *s = ex_trim(t.p, &l);
    static const char *const words[] = {
        "ad",       "advertising", "advertisement", "pub",        "publicité", "werb",
        "werbung",  "广告",        "Реклама",       "Anuncio",    "loading",   "loading...",
        "loading…", "正在加载",    "Загрузка",      "chargement", "cargando",  NULL};
    for (size_t i = 0; words[i] && !r; i++)
      r = ex_ieq(s, l, words[i]);
    /* infinite-scroll placeholders: "Load more stories", "Lade weitere Inhalte ..." */
    static const char *const more[] = {"load more",    "loading more",          "lade weitere",
                                       "mehr laden",   "weitere inhalte laden", "cargar más",
                                       "charger plus", "carica altri",          NULL};
    for (size_t i = 0; more[i] && !r; i++)
      r = ex_istarts(s, l, more[i]);
  }
  exb_free(&t);
  return r;
}

bool exc_has_video_embed(const dom_node *n)
{
  for (uint32_t i = 0; i < n->n_attrs; i++)
    if (exc_is_video_url(n->attrs[i].value, n->attrs[i].value_len))
      return true;
  return false;
}

#define EX_LIST_LINK_DENSITY 0.5f
#define EX_TAIL_SHORT 100 /* a short line (trims, runs of lines); see exc_trim_tail */
#define EX_RUN_MIN 3      /* lines of one shape in a run; see in_short_run */
#define EX_PROSE_ITEM 50  /* characters per list item of a prose list */
#define EX_LONG_PROSE 500 /* characters of a long block of prose */
#define EX_TEXT_PER_IMG 200.0f

/* The element's only element child is a <p> of prose (>= EX_PROSE_P characters, link density
 * under 0.25) and no text stands beside it. */
#define EX_PROSE_P 80
static bool single_prose_p(cctx *c, const dom_node *n)
{
  const dom_node *only = NULL;
  for (const dom_node *ch = n->first_child; ch; ch = ch->next) {
    if (ch->type == DOM_ELEMENT) {
      if (only)
        return false;
      only = ch;
    } else if (ch->type == DOM_TEXT && ch->aux > 0) {
      return false;
    }
  }
  if (!only || !exc_is_tag(only, HTML_TAG_P) || !exc_live(only))
    return false;
  ninfo *pi = exc_info_of(c, only);
  return pi && pi->text >= EX_PROSE_P && exc_link_density(c, only) < 0.25f;
}

/* The element sibling before the list ends in ':'. */
static bool introduced_list(const dom_node *n)
{
  const dom_node *p = exc_prev_element(n);
  if (!p || !exc_live(p))
    return false;
  char buf[512];
  ex_buf t = {buf, 0, sizeof buf, sizeof buf - 1, false};
  if (!exc_small_text(p, &t, 64) || t.failed || !t.len)
    return false;
  size_t k = t.len;
  while (k && t.p[k - 1] == ' ')
    k--;
  return k && t.p[k - 1] == ':';
}

static bool in_short_run(cctx *c, const dom_node *e);

/* The element (through wrappers that are their parent's only element child, 2 levels up) is
 * one line of a run of >= EX_RUN_MIN short same-shaped lines (an ingredient with a shop link,
 * a fact row): its links do not make it boilerplate. */
static bool line_of_run(cctx *c, const dom_node *n)
{
  const dom_node *x = n;
  for (int up = 0; up < 3; up++) {
    if (in_short_run(c, x))
      return true;
    const dom_node *p = x->parent;
    if (!p || p->type != DOM_ELEMENT || !(p->flags & EXF_INSEL) || exc_element_children(p) != 1)
      return false;
    x = p;
  }
  return false;
}

/* The element holds only short lines of one shape (same tag and class, under EX_TAIL_SHORT
 * characters, not all link), at least EX_RUN_MIN of them, spacers aside: an ingredient list,
 * a block of facts. */
static bool holds_run(cctx *c, const dom_node *n)
{
  const dom_node *first = NULL;
  int lines = 0;
  for (const dom_node *ch = n->first_child; ch; ch = ch->next) {
    if (ch->type == DOM_TEXT && ch->aux > 0)
      return false;
    if (ch->type != DOM_ELEMENT || !exc_live(ch))
      continue;
    ninfo *in = exc_info_of(c, ch);
    if (!in || (!in->text && !in->n_img && !in->n_embed))
      continue;
    if (!first)
      first = ch;
    size_t la, lb;
    const char *ca = ex_class(first, &la), *cb = ex_class(ch, &lb);
    if (ch->tag != first->tag || la != lb || (la && memcmp(ca, cb, la) != 0) || !in->text ||
        in->text >= EX_TAIL_SHORT || in->link >= 0.9f * (float)in->text)
      return false;
    lines++;
  }
  return lines >= EX_RUN_MIN;
}

/* A table or a part of one: a layout table's row carries the page's navigation beside the
 * article, and is judged as Readability does. */
static bool layout_table_part(const dom_node *n)
{
  return exc_is_tag(n, HTML_TAG_TABLE) || exc_is_tag(n, HTML_TAG_TBODY) ||
         exc_is_tag(n, HTML_TAG_TR) || exc_is_tag(n, HTML_TAG_TD) || exc_is_tag(n, HTML_TAG_TH);
}

/* Readability's _cleanConditionally decision for one element. */
static bool clean_cond_remove(cctx *c, dom_node *n)
{
  ninfo *in = exc_info_of(c, n);
  bool is_list = exc_is_tag(n, HTML_TAG_UL) || exc_is_tag(n, HTML_TAG_OL);
  if (!is_list && in->text)
    is_list = (float)in->list_text / (float)in->text > 0.9f;
  if (exc_is_tag(n, HTML_TAG_TABLE) && (n->flags & EXF_DATATABLE))
    return false;
  if (n->aux && n->aux <= c->n && (c->anc[n->aux - 1] & (A_DTABLE | A_CODE)))
    return false;
  int weight = class_weight(n, c->flags);
  /* beyond Readability: a wrapper around one prose paragraph is judged by the paragraph, not
   * by its class ("text-widget" around the article's last paragraph) */
  if (weight < 0 && single_prose_p(c, n))
    weight = 0;
  /* nor is a block that holds most of the selection's text removed for its class ("o-media"
   * around the article's paragraphs and pictures): it is the article. Only in the attempt that
   * stripped the unlikely blocks (comment threads) before scoring. */
  if (weight < 0 && (c->flags & F_STRIP_UNLIKELY) && 2 * (uint64_t)in->text > c->pre_clean)
    weight = 0;
  /* beyond Readability: a list that a line ending in ':' introduces is part of the text
   * ("You will need:", "Die Gründe:") unless it is mostly links */
  if (is_list && in->n_li >= 2 && exc_link_density(c, n) <= 0.5f && introduced_list(n))
    return false;
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
  float ld = exc_link_density(c, n);
  bool fig = n->aux && n->aux <= c->n && (c->anc[n->aux - 1] & A_FIGURE);
  uint32_t embeds = in->n_embed;
  /* beyond Readability: a list of prose steps with a picture each (a recipe's directions) is
   * no image gallery */
  bool prose_list = is_list && in->n_li >= 2 && len >= EX_PROSE_ITEM * in->n_li && ld < 0.2f &&
                    in->n_img <= in->n_li;
  /* beyond Readability: links alone do not remove a line of a run of short same-shaped lines
   * that is not all link, nor a block holding only such a run, nor a long block of prose
   * (>= EX_LONG_PROSE characters in >= 2 paragraphs, links under 0.3 of it) outside layout
   * tables (judged only when links decide) */
  bool for_links =
      (!is_list && !fig && heading_density < 0.9f && len < 25 && (img == 0 || img > 2) && ld > 0) ||
      (!is_list && weight < 25 && ld > 0.2f);
  if (for_links &&
      ((len >= EX_LONG_PROSE && in->n_p >= 2 && ld <= 0.3f && !layout_table_part(n)) ||
       (len < EX_TAIL_SHORT && ld < 0.9f && line_of_run(c, n)) || (ld < 0.5f && holds_run(c, n))))
    for_links = false;
  /* beyond Readability: a long block of prose with a few pictures (>= EX_TEXT_PER_IMG
   * characters a picture, link-poor) is no image gallery */
  bool pictured_prose = len >= EX_LONG_PROSE && (float)len >= EX_TEXT_PER_IMG * img && ld < 0.2f;
  bool remove = (!fig && img > 1 && p / img < 0.5f && !prose_list && !pictured_prose) ||
                (!is_list && li > p) || input > (float)((int)(p / 3)) || for_links ||
                (weight >= 25 && ld > 0.5f) || (embeds == 1 && len < 75) || embeds > 1;
  /* beyond Readability: a list that is mostly links is navigation or "related" teasers */
  if (is_list && !remove && ld > EX_LIST_LINK_DENSITY && in->n_li >= 2)
    remove = true;
  if (is_list && remove) {
    for (const dom_node *ch = n->first_child; ch; ch = ch->next)
      if (ch->type == DOM_ELEMENT && exc_element_children(ch) > 1)
        return remove;
    if (in->n_img == in->n_li)
      return false;
  }
  return remove;
}

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

/* Links under e, counting up to `max` (64 nodes looked at). */
static int count_links(const dom_node *e, int max)
{
  int k = 0, budget = 64;
  for (const dom_node *x = dom_next(e, e); x && --budget > 0 && k < max; x = dom_next(e, x))
    k += x->type == DOM_ELEMENT && exc_is_tag(x, HTML_TAG_A);
  return k;
}

/* Whether s (ASCII case folded) holds one of the lower-case phrases: the text is folded once
 * into a buffer, and each phrase is found with memchr on its first byte and memcmp (the
 * phrase lists run on many short blocks; ex_icontains per phrase cost 2 % of extraction).
 * Only the first EX_FOLD_MAX bytes are looked at. */
#define EX_FOLD_MAX 1024
static bool any_phrase(const char *s, size_t n, const char *const *words)
{
  char low[EX_FOLD_MAX];
  if (n > sizeof low)
    n = sizeof low;
  for (size_t i = 0; i < n; i++)
    low[i] = ex_lower(s[i]);
  for (size_t k = 0; words[k]; k++) {
    size_t wl = strlen(words[k]);
    const char *p = low, *end = low + n;
    while (wl && (size_t)(end - p) >= wl) {
      const char *h = memchr(p, words[k][0], (size_t)(end - p) - wl + 1);
      if (!h)
        break;
      if (memcmp(h, words[k], wl) == 0)
        return true;
      p = h + 1;
    }
  }
  return false;
}

/* A line that the paragraph of prose before it introduces ("..., please sign this
 * petition:" and the petition's address; "The full report is here:" and its link): the
 * element sibling before it holds EX_PROSE_P characters or more, is not mostly links, and its
 * text ends in ':'. Labels ending in ':' ("Related:", "Share this:") are shorter. */
static bool introduced_by_prose(cctx *c, const dom_node *e)
{
  const dom_node *p = exc_prev_element(e);
  if (!p || !exc_live(p))
    return false;
  ninfo *pi = exc_info_of(c, p);
  if (!pi || pi->text < EX_PROSE_P || exc_link_density(c, p) >= 0.25f)
    return false;
  const dom_node *t = last_text(p);
  if (!t)
    return false;
  size_t k = t->data_len;
  while (k && (t->data[k - 1] == ' ' || t->data[k - 1] == '\n' || t->data[k - 1] == '\t' ||
               t->data[k - 1] == '\r'))
    k--;
  return k && t->data[k - 1] == ':';
}

static bool boilerplate_inside(cctx *c, const dom_node *e)
{
  ninfo *in = exc_info_of(c, e);
  if (!in)
    return false;
  if (exc_is_tag(e, HTML_TAG_NAV))
    return true;
  /* an inline piece of a paragraph of prose is judged with the paragraph (a dateline span) */
  const dom_node *par = e->parent;
  if (par && par->type == DOM_ELEMENT && !ex_is_block_tag(e) &&
      (exc_is_tag(par, HTML_TAG_P) || (par->flags & EXF_DIVP))) {
    ninfo *pi = exc_info_of(c, par);
    if (pi && pi->text >= in->text + 80)
      return false;
  }
  uint16_t cb = exc_cbits_of(c, e);
  if (in->text < EX_INSIDE_MAX && (cb & CB_INSIDE) && !(cb & CB_CMAYBE) && !own_teaser(e, in))
    return true;
  /* an author's biography box ("author-bio", "author_section-content"), even when its class
   * also says "content" and when it runs to a few paragraphs */
  if (in->text < EX_AUTHOR_BOX_MAX && in->n_p <= 3 && (cb & CB_BYLINE) &&
      !exc_is_tag(e, HTML_TAG_ARTICLE)) {
    size_t cl, il;
    const char *cls = ex_class(e, &cl);
    const char *id = ex_id(e, &il);
    if (ex_icontains(cls, cl, "author") || ex_icontains(id, il, "author"))
      return true;
  }
  /* "Read also: ...": a pointer to another article (a related-content block of one line) */
  if (in->text > 0 && in->text < EX_POINTER_MAX &&
      (exc_is_tag(e, HTML_TAG_P) || (e->flags & EXF_DIVP) || exc_is_tag(e, HTML_TAG_H3) ||
       exc_is_tag(e, HTML_TAG_H4) || exc_is_tag(e, HTML_TAG_H5) || exc_is_tag(e, HTML_TAG_H6))) {
    /* the phrases are at the start: the first EX_LEAD_PREFIX bytes of text decide */
    char head[EX_LEAD_PREFIX + 8];
    size_t hl = head_text(e, head, sizeof head);
    bool hit = hl && lead_phrase(head, hl, lead_phrases);
    if (hit)
      return true;
  }
  /* a pointer paragraph: one link, the whole paragraph, to another article's headline */
  if (in->text >= 60 && in->text < EX_POINTER_MAX && in->link >= 0.95f * (float)in->text &&
      (exc_is_tag(e, HTML_TAG_P) || (e->flags & EXF_DIVP)) && count_links(e, 2) == 1 &&
      !introduced_by_prose(c, e))
    return true;
  /* link-only short blocks */
  if (in->text > 0 && in->text < 60 && in->link >= 0.9f * (float)in->text &&
      (exc_is_tag(e, HTML_TAG_P) || (e->flags & EXF_DIVP) || exc_is_tag(e, HTML_TAG_DIV)))
    return true;
  /* a teaser of another article: a short block that ends in a linked "Read more" */
  if (in->text > 0 && in->text < EX_TEASER_MAX && in->link > 0.0f &&
      (exc_is_tag(e, HTML_TAG_P) || (e->flags & EXF_DIVP) || exc_is_tag(e, HTML_TAG_LI))) {
    if (ends_read_more_node(e))
      return true;
  }
  return false;
}

#ifndef EX_CAPTIONS_IN_TEXT
#define EX_CAPTIONS_IN_TEXT 0
#endif
/* Longest block a caption class name makes a caption (longer ones are prose in a box whose
 * class says so). */
#define EX_CAPTION_MAX 400

/* A gallery counter: "3 of 12", "3 / 12", "3/12", "1 von 5", "2 de 8", "4 sur 9", with an
 * optional leading word ("Bild 3 von 12", "Photo 2 of 5"). */
static bool gallery_counter(const char *s, size_t n)
{
  size_t i = 0;
  while (i < n && s[i] == ' ')
    i++;
  /* optional leading word */
  size_t w = i;
  while (w < n && s[w] != ' ' && !(s[w] >= '0' && s[w] <= '9'))
    w++;
  if (w > i && w < n && s[w] == ' ') {
    i = w;
    while (i < n && s[i] == ' ')
      i++;
  }
  size_t d = i;
  while (i < n && s[i] >= '0' && s[i] <= '9')
    i++;
  if (i == d || i - d > 3)
    return false;
  while (i < n && s[i] == ' ')
    i++;
  static const char *const seps[] = {"/", "of ", "von ", "de ", "sur ", "di ", "van ", "z ", NULL};
  bool sep = false;
  for (size_t k = 0; seps[k] && !sep; k++)
    if (ex_istarts(s + i, n - i, seps[k])) {
      i += strlen(seps[k]);
      sep = true;
    }
  if (!sep)
    return false;
  while (i < n && s[i] == ' ')
    i++;
  d = i;
  while (i < n && s[i] >= '0' && s[i] <= '9')
    i++;
  if (i == d || i - d > 3)
    return false;
  while (i < n && s[i] == ' ')
    i++;
  return i == n;
}

/* Captions and picture credits stay in the content (Markdown shows them under their image)
 * but not in the plain text, which is the article's prose: a <figcaption>, short text inside
 * a <figure>, blocks whose class/id names a caption or a legend, and short blocks that open
 * with a credit ("Foto: ...", "Photo credit: ..."). */
/* e is, holds or sits in a data table: a table set in a <figure> is content, not its
 * caption (the short text test below would otherwise take its cells and their wrapper) */
static bool holds_data_table(cctx *c, const dom_node *e)
{
  if ((c->anc[e->aux - 1] & A_DTABLE) || (e->flags & EXF_DATATABLE))
    return true;
  int budget = 256;
  for (const dom_node *x = dom_next(e, e); x && --budget > 0; x = dom_next(e, x))
    if (x->flags & EXF_DATATABLE)
      return true;
  return false;
}

static bool is_caption(cctx *c, const dom_node *e)
{
  ninfo *in = exc_info_of(c, e);
  if (!in || !in->text)
    return false;
  if (!EX_CAPTIONS_IN_TEXT &&
      (exc_is_tag(e, HTML_TAG_FIGCAPTION) ||
       ((c->anc[e->aux - 1] & A_FIGURE) && in->text < 200 && !holds_data_table(c, e))))
    return true;
  if (!EX_CAPTIONS_IN_TEXT && in->text < EX_CAPTION_MAX && in->n_p <= 1 && !exc_is_heading(e) &&
      !exc_is_tag(e, HTML_TAG_TABLE) && !exc_is_tag(e, HTML_TAG_UL) &&
      !exc_is_tag(e, HTML_TAG_OL)) {
    static const char *const words[] = {"caption", "legend", NULL};
    if ((exc_cbits_of(c, e) & CB_CAPNAME) && exc_name_has_word(e, words))
      return true;
  }
  if (in->text >= EX_PHRASE_MAX ||
      !(exc_is_tag(e, HTML_TAG_P) || (e->flags & EXF_DIVP) || exc_is_tag(e, HTML_TAG_SPAN) ||
        exc_is_tag(e, HTML_TAG_FIGCAPTION)))
    return false;
  char head[EX_LEAD_PREFIX + 8];
  size_t hl = head_text(e, head, sizeof head);
  return hl && lead_phrase(head, hl, credit_phrases);
}

/* A slideshow's "3 of 12": furniture, neither text nor caption. */
static bool is_counter(cctx *c, const dom_node *e)
{
  ninfo *in = exc_info_of(c, e);
  if (!in || !in->text || in->text >= 24 ||
      !(exc_is_tag(e, HTML_TAG_P) || (e->flags & EXF_DIVP) || exc_is_tag(e, HTML_TAG_SPAN) ||
        exc_is_tag(e, HTML_TAG_DIV) || exc_is_tag(e, HTML_TAG_LI)))
    return false;
  char head[EX_LEAD_PREFIX + 8];
  size_t hl = head_text(e, head, sizeof head);
  return hl && gallery_counter(head, hl);
}

void exc_clean_selection(cctx *c)
{
  mark_insel(c);
  /* aggregates are current: run_attempt computed them and nothing changed since */
  /* data tables */
  for (size_t i = c->lo; i < c->hi; i++) {
    dom_node *e = c->els[i];
    if ((e->flags & EXF_INSEL) && exc_live(e) && exc_is_tag(e, HTML_TAG_TABLE) &&
        exc_is_data_table(e))
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
    if (!(e->flags & EXF_INSEL) || !exc_live(e))
      continue;
    bool is_root = (e->flags & EXF_ROOT) != 0;
    if (exc_is_tag(e, HTML_TAG_FOOTER) || exc_is_tag(e, HTML_TAG_ASIDE) ||
        exc_is_tag(e, HTML_TAG_LINK)) {
      /* an aside holding most of the selection's text is a column of the layout (the article
       * itself), not a note beside it */
      if (!is_root &&
          !(exc_is_tag(e, HTML_TAG_ASIDE) && 2 * (uint64_t)exc_info_of(c, e)->text > c->pre_clean))
        e->flags |= EXF_DROP;
      continue;
    }
    if (!is_root && (exc_cbits_of(c, e) & CB_SHARE) && exc_info_of(c, e)->text < 500) {
      e->flags |= EXF_DROP;
      continue;
    }
    if ((exc_is_tag(e, HTML_TAG_H1) || exc_is_tag(e, HTML_TAG_H2)) &&
        class_weight(e, c->flags) < 0) {
      e->flags |= EXF_DROP;
      continue;
    }
    /* the other selected blocks (siblings of the top candidate, paragraphs the expansion
     * added: an author's biography) are judged like its descendants */
    if ((!is_root || (c->top && e != c->top)) && (boilerplate_inside(c, e) || is_counter(c, e)))
      e->flags |= EXF_DROP;
    else if (!is_root && is_caption(c, e))
      e->flags |= EXF_CAPTION;
  }
  /* propagate drops to descendants' LIVE bits */
  for (size_t i = c->lo; i < c->hi; i++) {
    dom_node *e = c->els[i];
    if (e->parent && e->parent->type == DOM_ELEMENT && e->parent != c->body &&
        !exc_live(e->parent) && (e->parent->flags & EXF_INSEL))
      e->flags &= ~EXF_LIVE;
  }
  if (!(c->flags & F_CLEAN_COND)) {
    for (size_t i = c->hi; i-- > c->lo;)
      if (exc_live(c->els[i]))
        exc_aggregate_one(c, c->els[i]);
    return;
  }
  static const html_tag order[] = {HTML_TAG_FORM, HTML_TAG_FIELDSET, HTML_TAG_TABLE, HTML_TAG_UL,
                                   HTML_TAG_DIV};
  for (size_t k = 0; k < sizeof order / sizeof order[0]; k++) {
    for (size_t i = c->hi; i-- > c->lo;) {
      dom_node *e = c->els[i];
      if (!exc_live(e))
        continue;
      exc_aggregate_one(c, e);
      if (!(e->flags & EXF_INSEL) || (e->flags & EXF_DIVP))
        continue;
      bool is_root = (e->flags & EXF_ROOT) != 0;
      /* selected siblings other than p/div/article/section are re-tagged div by Readability */
      bool as_div = is_root && order[k] == HTML_TAG_DIV && !exc_is_tag(e, HTML_TAG_P) &&
                    !exc_is_tag(e, HTML_TAG_ARTICLE) && !exc_is_tag(e, HTML_TAG_SECTION);
      if (!exc_is_tag(e, order[k]) && !as_div)
        continue;
      if (clean_cond_remove(c, e))
        e->flags |= EXF_DROP;
    }
  }
}

/* A heading (h2-h6) followed by nothing that survived the cleaning, up to the next heading
 * or the end of its container, introduced a block that was removed ("Related posts:",
 * "More on this topic"): it goes too; a heading alone in a wrapper (<header>) is judged by
 * what follows the wrapper; a heading named or marked up as the standfirst introduces
 * nothing and stays, and so does the heading right after the headline <h1> (its dek) when
 * what follows it in the article header (share bar, byline row) went. Runs backwards so a
 * chain of such headings goes. */
/* Nothing but whitespace and comments follows the node in its parent. */
static bool heading_has_next(const dom_node *e)
{
  for (const dom_node *s = e->next; s; s = s->next)
    if (s->type == DOM_ELEMENT || (s->type == DOM_TEXT && s->aux > 0))
      return true;
  return false;
}

void exc_drop_orphan_headings(cctx *c)
{
  for (size_t i = c->hi; i-- > c->lo;) {
    dom_node *e = c->els[i];
    if (!exc_live(e) || !(e->flags & EXF_INSEL) || (e->flags & EXF_ROOT) || !exc_is_heading(e) ||
        exc_is_tag(e, HTML_TAG_H1))
      continue;
    const dom_node *pe = exc_prev_element(e);
    if (pe && exc_is_tag(pe, HTML_TAG_H1))
      continue;
    bool content = false, dropped = false;
    /* a heading alone in its wrapper (<header><h3>..</h3></header>) introduces what follows
     * the wrapper */
    const dom_node *from = e;
    if (!heading_has_next(e) && e->parent && e->parent->type == DOM_ELEMENT &&
        (e->parent->flags & EXF_INSEL) && !(e->parent->flags & EXF_ROOT) &&
        exc_info_of(c, e->parent) && exc_info_of(c, e->parent)->text == exc_info_of(c, e)->text)
      from = e->parent;
    for (dom_node *s = from->next; s && !content; s = s->next) {
      if (s->type == DOM_TEXT) {
        content = s->aux > 0;
        continue;
      }
      if (s->type != DOM_ELEMENT)
        continue;
      if (!exc_live(s)) {
        dropped = dropped || (s->flags & EXF_DROP);
        continue;
      }
      if (exc_is_heading(s))
        break;
      ninfo *in = exc_info_of(c, s);
      content = (in && in->text > 0) || exc_is_tag(s, HTML_TAG_IMG) || (in && in->n_img > 0);
    }
    if (!content && dropped && !exc_standfirst(e))
      e->flags |= EXF_DROP;
  }
}

/* True when the text ends like a sentence (. ! ? … and CJK stops, possibly followed by a
 * closing quote or bracket). */
bool exc_ends_like_sentence(const char *s, size_t n)
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

/* A div or section whose text is all in its own inline runs: its block children (a list of
 * icon links, a picture block) hold none. Its text reads as one line, like a paragraph's, and
 * the trims at either end judge it like one: a label before a bar of share icons ("Share this
 * article:"), a reading-time line beside the author's picture. It is dropped when it is
 * boilerplate but never stops a trim (its block children were not judged with it). */
static bool inline_text_block(cctx *c, const dom_node *e)
{
  if (!(e->flags & EXF_HASBLOCK) ||
      !(exc_is_tag(e, HTML_TAG_DIV) || exc_is_tag(e, HTML_TAG_SECTION)))
    return false;
  for (const dom_node *ch = e->first_child; ch; ch = ch->next) {
    if (ch->type != DOM_ELEMENT || !exc_live(ch))
      continue;
    ninfo *in = exc_info_of(c, ch);
    if (in && in->text &&
        (exc_div_to_p_block(ch) || is_text_block(ch) || (ch->flags & EXF_HASBLOCK)))
      return false;
  }
  return true;
}

bool exc_effectively_live(const cctx *c, const dom_node *e)
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
                                        "get the latest",
                                        "stay up to date",
                                        "auf dem laufenden",
                                        "share this",
                                        "artikel teilen",
                                        "beitrag teilen",
                                        "mit anderen teilen",
                                        "partager cet article",
                                        "comparte esta",
                                        "to view the full story",
                                        "to continue reading",
                                        "to read the full story",
                                        "please subscribe",
                                        "already a subscriber",
                                        "become a subscriber",
                                        "um weiterzulesen",
                                        "pour lire la suite",
                                        "para seguir leyendo",
                                        NULL};

/* Update and publication stamps ("Aktualisiert am 17.01.2021.", "Last updated: May 2"): short
 * lines that open with one of these are post metadata even when they end with a full stop. */
#define EX_STAMP_MAX 60
static const char *const stamp_phrases[] = {
    "updated",    "last updated", "aktualisiert",   "zuletzt aktualisiert",
    "stand:",     "published",    "veröffentlicht", "erstellt am",
    "mis à jour", "publié le",    "actualizado",    "publicado",
    "aggiornato", "pubblicato",   "zaktualizowano", NULL};

/* Disclosures that open or close many posts: advertising and affiliate notices ("This post
 * contains affiliate links", "*Werbung", "We may receive compensation"), reading-time stamps
 * ("5 min read", "Lesezeit: 3 Minuten"). Matched anywhere in a block under EX_DISCLOSURE_MAX
 * characters at either end of the content. */
#define EX_DISCLOSURE_MAX 300
static const char *const disclosure_words[] = {"affiliate link",     "affiliate-link",
                                               "affiliatelink",      "we may receive compensation",
                                               "we may earn",        "we earn a commission",
                                               "sponsored post",     "paid partnership",
                                               "enthält werbung",    "werbung für",
                                               "*werbung",           "unbezahlte werbung",
                                               "werbung |",          "werbung:",
                                               "contient des liens", "lien affilié",
                                               "liens affiliés",     "enlaces de afiliado",
                                               "min read",           "minute read",
                                               "minutes read",       "reading time",
                                               "lesezeit",           "lesedauer",
                                               "temps de lecture",   "tiempo de lectura",
                                               "tempo di lettura",   "tekst przeczytasz",
                                               "czas czytania",      NULL};

static bool disclosure_line(const char *s, size_t n)
{
  return any_phrase(s, n, disclosure_words);
}

/* Prompts to log in (to comment, to read on): calls to action at either end. */
static bool login_line(const char *s, size_t n)
{
  static const char *const words[] = {
      "must be logged in", "log in to comment",   "log in to post",     "sich einloggen",
      "anmelden, um",      "connectez-vous pour", "inicia sesión para", NULL};
  return any_phrase(s, n, words);
}

static bool cta_line(const char *s, size_t n)
{
  return any_phrase(s, n, cta_words) || login_line(s, n);
}

/* Closing boilerplate set as a line of its own at the end of an article: agency credits
 * ("Reporting by ...; Editing by ..."), copyright and rights notices, "about the author" and
 * "About <organisation>" press-release sections, contact lines. Matched at the start of a
 * block shorter than EX_CLOSING_MAX. */
#define EX_CLOSING_MAX 400
static const char *const closing_phrases[] = {"reporting by",
                                              "additional reporting",
                                              "editing by",
                                              "edited by",
                                              "writing by",
                                              "compiled by",
                                              "copyright",
                                              "\xc2\xa9",
                                              "all rights reserved",
                                              "alle rechte vorbehalten",
                                              "tous droits",
                                              "todos los derechos",
                                              "about the author",
                                              "über den autor",
                                              "über die autorin",
                                              "à propos de l'auteur",
                                              "sobre el autor",
                                              "contact:",
                                              "kontakt:",
                                              "pressekontakt",
                                              "press contact",
                                              "media contact",
                                              "disclaimer",
                                              "haftungsausschluss",
                                              NULL};

/* Short lines of one shape in a run (a recipe's "Ergibt: 40 Stück", an address, a list of
 * places each with a linked name and a line under it) are content, not leftovers: the
 * element and at least EX_RUN_MIN - 1 adjacent element siblings of the same tag and class,
 * each with text under EX_TAIL_SHORT characters and link density under 0.5. */
static bool short_like(cctx *c, const dom_node *a, const dom_node *b)
{
  if (!b || b->type != DOM_ELEMENT || b->tag != a->tag || b->ns != a->ns || !exc_live(b))
    return false;
  size_t la, lb;
  const char *ca = ex_class(a, &la), *cb = ex_class(b, &lb);
  if (la != lb || (la && memcmp(ca, cb, la) != 0))
    return false;
  ninfo *in = exc_info_of(c, b);
  return in && in->text > 0 && in->text < EX_TAIL_SHORT && exc_link_density(c, b) < 0.5f;
}

static const dom_node *elem_sibling(const dom_node *n, bool next)
{
  for (const dom_node *s = next ? n->next : n->prev; s; s = next ? s->next : s->prev)
    if (s->type == DOM_ELEMENT)
      return s;
  return NULL;
}

/* An empty spacer (<p>&nbsp;</p>, <br>) between the lines of a run does not break it. */
static bool spacer(cctx *c, const dom_node *s)
{
  ninfo *in = exc_info_of(c, s);
  return in && in->text == 0 && in->n_img == 0 && in->n_embed == 0;
}

static bool in_short_run(cctx *c, const dom_node *e)
{
  int run = 1;
  for (int next = 0; next < 2; next++) /* the siblings before e, then those after it */
    for (const dom_node *s = elem_sibling(e, next); s && run < EX_RUN_MIN;
         s = elem_sibling(s, next)) {
      if (spacer(c, s))
        continue;
      if (!short_like(c, e, s))
        break;
      run++;
    }
  return run >= EX_RUN_MIN;
}

/* in_short_run(), except for a label that introduces nothing ("Kontakt:") and for contact
 * blocks (an e-mail address or a phone number: closing boilerplate of press releases) */
static bool protected_run(cctx *c, const dom_node *e, const ex_buf *t)
{
  size_t k = t->len;
  while (k && t->p[k - 1] == ' ')
    k--;
  if (!k || t->p[k - 1] == ':')
    return false;
  static const char *const contact[] = {"@", "e-mail", "email", "tel.", "telefon", "phone", NULL};
  if (any_phrase(t->p, k, contact))
    return false;
  return in_short_run(c, e);
}

/* Fact lines: "Zubereitungszeit: 25 Minuten", "Moderator: Hass Chapman", "Ergibt: 40 Stück".
 * A label of 1-3 words of letters (at most EX_LABEL_MAX bytes), ": " and a value. Labels of
 * post metadata ("Tags:", "Kategorie:", "Quelle:", "Foto:") are not facts. */
#define EX_LABEL_MAX 32
static const char *const meta_labels[] = {
    "tag",       "tags",      "category", "categories",   "kategorie",  "kategorien",  "thema",
    "themen",    "topic",     "topics",   "schlagwörter", "stichworte", "filed under", "posted in",
    "source",    "sources",   "quelle",   "quellen",      "fuente",     "foto",        "fotos",
    "photo",     "photos",    "bild",     "bilder",       "image",      "credit",      "credits",
    "share",     "teilen",    "autor",    "autorin",      "author",     "by",          "von",
    "text",      "video",     "audio",    "anzeige",      "werbung",    "ad",          "lesezeit",
    "lesedauer", "published", "updated",  "posted",       "date",       "datum",       "stand",
    "mehr",      "more",      "weitere",  "siehe",        "see",        "related",     "lesen sie",
    "read",      NULL};

/* Bytes from i to just past "Label: " when a label opens at s[i] (at most `max_words`
 * words), else 0. */
static size_t label_at(const char *s, size_t n, size_t i, int max_words)
{
  size_t st = i;
  int words = 1;
  for (; i < n && s[i] != ':'; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (i - st >= EX_LABEL_MAX)
      return 0;
    if (ch == ' ') {
      if (i == st || s[i - 1] == ' ' || ++words > max_words)
        return 0;
    } else if (!(ch >= 0x80 || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '-')) {
      return 0;
    }
  }
  if (i == st || i + 2 >= n || s[i + 1] != ' ' || s[i + 2] == ' ')
    return 0;
  for (size_t k = 0; meta_labels[k]; k++)
    if (ex_ieq(s + st, i - st, meta_labels[k]))
      return 0;
  return i + 2 - st;
}

/* Labels in a short line: one at its start, then one-word labels after a space, ')' or '.'
 * (lines joined by <br> may touch: "... backen)Ergibt: 40 Stück"); 0 when the line does not
 * open with a label. */
static int count_labels(const char *s, size_t n)
{
  size_t i = 0;
  while (i < n && s[i] == ' ')
    i++;
  size_t l = label_at(s, n, i, 3);
  if (!l)
    return 0;
  int k = 1;
  for (i += l; i < n; i++)
    if (s[i] != ' ' && (s[i - 1] == ' ' || s[i - 1] == ')' || s[i - 1] == '.')) {
      size_t m = label_at(s, n, i, 1);
      if (m) {
        k++;
        i += m - 1;
      }
    }
  return k;
}

/* The line is a fact of a group: it holds two labels, or it opens with a label and so does
 * an adjacent short block (spacers aside). */
static bool fact_group(cctx *c, const dom_node *e, const ex_buf *t)
{
  int k = count_labels(t->p, t->len);
  if (k >= 2)
    return true;
  if (!k)
    return false;
  for (int next = 0; next < 2; next++) {
    const dom_node *s = elem_sibling(e, next);
    while (s && spacer(c, s))
      s = elem_sibling(s, next);
    ninfo *in = s ? exc_info_of(c, s) : NULL;
    if (!in || !in->text || in->text >= EX_TAIL_SHORT || !exc_live(s))
      continue;
    char buf[512];
    ex_buf b = {buf, 0, sizeof buf, sizeof buf - 1, false};
    if (exc_small_text(s, &b, 64) && !b.failed && count_labels(b.p, b.len))
      return true;
  }
  return false;
}

/* A selected, exc_live text block with text, as the trims at either end of the content judge them:
 * its info, else NULL. */
static ninfo *trim_candidate(cctx *c, dom_node *e)
{
  if (!exc_live(e) || !(e->flags & EXF_INSEL) || (!is_text_block(e) && !inline_text_block(c, e)))
    return NULL;
  ninfo *in = exc_info_of(c, e);
  return in && in->text && exc_effectively_live(c, e) ? in : NULL;
}

/* A list item is judged with its list: in a list that is not mostly links (notes, references,
 * tips), one item that is mostly a link is a line of the list, not a link line of its own (a
 * roll of links at the end of an article is a list of links, and goes as one). */
static bool item_of_link_poor_list(cctx *c, const dom_node *e)
{
  const dom_node *l = e->parent;
  if (!exc_is_tag(e, HTML_TAG_LI) || !l || l->type != DOM_ELEMENT ||
      !(exc_is_tag(l, HTML_TAG_UL) || exc_is_tag(l, HTML_TAG_OL)) || !exc_live(l))
    return false;
  return exc_link_density(c, l) <= 0.5f;
}

/* A paywall's notice ("To view the full story, please subscribe", "Already a subscriber?")
 * ends the article's teaser: what follows it is the offer (prices, perks, "Join now"), however
 * it is set. From the first notice on, every text block goes, provided that what follows is
 * under EX_PAYWALL_TAIL characters (a notice followed by more than that is a box set inside a
 * full article, and only the tail trim judges it) and that a teaser of EX_PAYWALL_LEAD
 * characters or more precedes it (a notice above the article is a log-in line). */
#define EX_PAYWALL_TAIL 1500
#define EX_PAYWALL_LEAD 200 /* the teaser before a notice: at least a paragraph */
static const char *const paywall_words[] = {"to view the full story",
                                            "to read the full story",
                                            "to continue reading",
                                            "already a subscriber",
                                            "bereits abonnent",
                                            "um weiterzulesen",
                                            "pour lire la suite",
                                            "déjà abonné",
                                            "para seguir leyendo",
                                            "ya eres suscriptor",
                                            NULL};

static void trim_paywall(cctx *c, ex_buf *t)
{
  size_t first = 0;
  bool found = false;
  uint32_t before = 0, after = 0;
  for (size_t i = c->lo; i < c->hi; i++) {
    dom_node *e = c->els[i];
    ninfo *in = trim_candidate(c, e);
    if (!in)
      continue;
    /* a block holding other text blocks is counted through them */
    uint32_t own = in->n_p || in->n_li ? 0 : in->text;
    if (found) {
      if ((after += own) >= EX_PAYWALL_TAIL)
        return;
      continue;
    }
    if (in->text >= EX_CTA_MAX || in->n_p || before < EX_PAYWALL_LEAD) {
      before += own;
      continue;
    }
    exb_clear(t);
    if (exc_small_text(e, t, 256) && !t->failed && t->p &&
        any_phrase(t->p, t->len, paywall_words)) {
      first = i;
      found = true;
    } else {
      before += own;
    }
  }
  if (!found)
    return;
  for (size_t i = first; i < c->hi; i++)
    if (trim_candidate(c, c->els[i]))
      c->els[i]->flags |= EXF_DROP;
}

void exc_trim_tail(cctx *c)
{
  ex_buf t;
  exb_init(&t, 4096);
  trim_paywall(c, &t);
  int seen = 0;
  for (size_t i = c->hi; i-- > c->lo && seen < EX_TAIL_MAX;) {
    dom_node *e = c->els[i];
    ninfo *in = trim_candidate(c, e);
    if (!in)
      continue;
    /* a text block containing other text blocks is judged through them */
    seen++;
    float ld = exc_link_density(c, e);
    bool introduced = introduced_by_prose(c, e);
    bool boiler = ld > 0.5f && !item_of_link_poor_list(c, e) && !introduced;
    if (!boiler && in->text < EX_TAIL_SHORT && !exc_is_tag(e, HTML_TAG_LI) &&
        !exc_is_tag(e, HTML_TAG_DD) && !introduced) {
      exb_clear(&t);
      if (exc_small_text(e, &t, 256) && !t.failed)
        boiler = (!exc_ends_like_sentence(t.p ? t.p : "", t.len) && !cjk_prose(t.p, t.len) &&
                  !protected_run(c, e, &t) && !fact_group(c, e, &t)) ||
                 (in->text < EX_STAMP_MAX && t.p && lead_phrase(t.p, t.len, stamp_phrases));
    }
    if (!boiler && in->text < EX_CTA_MAX && !in->n_p) {
      exb_clear(&t);
      if (exc_small_text(e, &t, 256) && !t.failed)
        boiler = cta_line(t.p ? t.p : "", t.len) ||
                 (in->text < EX_DISCLOSURE_MAX && disclosure_line(t.p ? t.p : "", t.len));
    }
    /* closing credits, rights notices, "about the author", contact lines */
    if (!boiler && in->text < EX_CLOSING_MAX && !in->n_p && !exc_is_heading(e)) {
      exb_clear(&t);
      if (exc_small_text(e, &t, 256) && !t.failed && t.p)
        boiler = lead_phrase(t.p, t.len, closing_phrases);
    }
    if (!boiler && !is_text_block(e))
      continue; /* an inline_text_block() */
    if (!boiler)
      break;
    e->flags |= EXF_DROP;
  }
  exb_free(&t);
}

/* The article's standfirst: the block or one of its two nearest ancestors is marked up as
 * the description (itemprop=description) or named as the lead ("lead", "standfirst",
 * "intro", "summary", "abstract", "dek", "subtitle"...): a short lead without a full stop
 * stays. */
bool exc_standfirst(const dom_node *e)
{
  static const char *const words[] = {"lead",        "standfirst", "intro",   "summary",
                                      "abstract",    "dek",        "deck",    "subtitle",
                                      "subheadline", "subhead",    "excerpt", NULL};
  const dom_node *a = e;
  for (int depth = 0; a && a->type == DOM_ELEMENT && depth < 3; depth++, a = a->parent) {
    if (!a->n_attrs)
      continue;
    size_t l;
    const char *ip = dom_attr_get(a, "itemprop", &l);
    if ((ip && ex_icontains(ip, l, "description")) || exc_name_has_word(a, words))
      return true;
  }
  return false;
}

/* A list item whose list is not mostly links and holds >= 2 items of prose (>= 150
 * characters, link-poor): one linked line among them (a digest's highlights) is judged with
 * the list, not as a link line of its own. */
#define EX_PROSE_ITEM_LINE 150
static bool item_of_prose_list(cctx *c, const dom_node *e)
{
  const dom_node *l = e->parent;
  if (!exc_is_tag(e, HTML_TAG_LI) || !l || l->type != DOM_ELEMENT ||
      !(exc_is_tag(l, HTML_TAG_UL) || exc_is_tag(l, HTML_TAG_OL)) || !exc_live(l))
    return false;
  ninfo *li = exc_info_of(c, l);
  if (!li || li->n_li < EX_RUN_MIN || exc_link_density(c, l) > 0.5f)
    return false;
  int prose = 0; /* items of prose: long, link-poor lines */
  for (const dom_node *s = l->first_child; s; s = s->next) {
    ninfo *si = s->type == DOM_ELEMENT && exc_live(s) ? exc_info_of(c, s) : NULL;
    if (si && exc_is_tag(s, HTML_TAG_LI) && si->text >= EX_PROSE_ITEM_LINE &&
        exc_link_density(c, s) < 0.25f && ++prose >= 2)
      return true;
  }
  return false;
}

/* The same at the start of the content (date and category stamps, "Advertisement", breadcrumb
 * remnants), except that headings are kept: an article may open with its own headings. */
void exc_trim_head(cctx *c)
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
    if (exc_is_heading(e))
      continue;
    /* a block holding other text blocks (li > p) is judged through them */
    if (in->n_p || in->n_li)
      continue;
    bool boiler = exc_link_density(c, e) > 0.5f && !item_of_prose_list(c, e);
    if (!boiler && in->text < EX_TAIL_SHORT && !exc_is_tag(e, HTML_TAG_LI) &&
        !exc_is_tag(e, HTML_TAG_DD) && !exc_standfirst(e)) {
      exb_clear(&t);
      if (exc_small_text(e, &t, 256) && !t.failed)
        boiler = !exc_ends_like_sentence(t.p ? t.p : "", t.len) && !cjk_prose(t.p, t.len) &&
                 !protected_run(c, e, &t) && !fact_group(c, e, &t);
    }
    if (!boiler && in->text < EX_DISCLOSURE_MAX) {
      exb_clear(&t);
      if (exc_small_text(e, &t, 256) && !t.failed)
        boiler = disclosure_line(t.p ? t.p : "", t.len) ||
                 (in->text < EX_CTA_MAX && login_line(t.p ? t.p : "", t.len));
    }
    if (!boiler && !is_text_block(e))
      continue; /* an inline_text_block() */
    if (!boiler)
      break;
    e->flags |= EXF_DROP;
  }
  exb_free(&t);
}

uint32_t exc_selection_text(cctx *c)
{
  uint32_t t = 0;
  for (size_t i = 0; i < c->n_sel; i++) {
    dom_node *s = c->sel[i];
    if (!exc_live(s))
      continue;
    ninfo *in = exc_info_of(c, s);
    if (in)
      t += in->text;
  }
  return t;
}
