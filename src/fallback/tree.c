/*
 * tree.c - the native engine's view of the tree: tag classes, junk removal, per-element
 * statistics (text length, link text, commas, block children, kept in node->_private) and the
 * scoring of paragraph-like elements into their ancestors (Readability's candidates).
 * Every walk stops descending at FB_MAX_DEPTH, below the parse's tree depth (native.h).
 */
#include "fallback/native.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The value of attribute `name` without allocating (NULL when absent). */
const char *fb_attr(const xmlNode *n, const char *name)
{
  if (!fb_is_el(n))
    return NULL;
  for (const xmlAttr *a = n->properties; a; a = a->next) {
    if (a->name && strcasecmp((const char *)a->name, name) == 0) {
      if (a->children && a->children->type == XML_TEXT_NODE && a->children->content)
        return (const char *)a->children->content;
      return "";
    }
  }
  return NULL;
}

/* ---- tag classes -------------------------------------------------------------------------- */

bool fb_in_list(const char *name, const char *const *list)
{
  for (; *list; list++)
    if (strcmp(name, *list) == 0)
      return true;
  return false;
}

static const char *const BLOCK_TAGS[] = {
    "address", "article", "aside",   "blockquote", "center",   "dd",         "details", "dialog",
    "dir",     "div",     "dl",      "dt",         "fieldset", "figcaption", "figure",  "footer",
    "form",    "h1",      "h2",      "h3",         "h4",       "h5",         "h6",      "header",
    "hgroup",  "hr",      "li",      "main",       "menu",     "nav",        "ol",      "p",
    "pre",     "section", "summary", "table",      "tbody",    "thead",      "tfoot",   "tr",
    "td",      "th",      "ul",      "caption",    NULL};

const char *const fb_junk_tags[] = {"script", "style",    "noscript", "template", "iframe",
                                    "object", "embed",    "canvas",   "input",    "button",
                                    "select", "textarea", "option",   "head",     "meta",
                                    "link",   "map",      "dialog",   NULL};

bool fb_is_block(const xmlNode *n)
{
  return fb_is_el(n) && fb_in_list((const char *)n->name, BLOCK_TAGS);
}

/* Case-insensitive search for any of the words in s. */
bool fb_has_word(const char *s, const char *const *words)
{
  if (!s || !*s)
    return false;
  char low[512];
  size_t n = strlen(s);
  if (n >= sizeof low)
    n = sizeof low - 1;
  for (size_t i = 0; i < n; i++)
    low[i] = (char)tolower((unsigned char)s[i]);
  low[n] = '\0';
  for (; *words; words++)
    if (strstr(low, *words))
      return true;
  return false;
}

static const char *const UNLIKELY[] = {
    "-ad-",       "ad-break",     "agegate",  "banner",  "breadcrumb", "combx",      "comment",
    "community",  "cookie",       "consent",  "disqus",  "extra",      "footer",     "gdpr",
    "header",     "legends",      "masthead", "menu",    "modal",      "newsletter", "pager",
    "pagination", "popup",        "promo",    "related", "remark",     "replies",    "rss",
    "share",      "sharing",      "shoutbox", "sidebar", "skyscraper", "social",     "sponsor",
    "subscribe",  "supplemental", "toolbar",  "widget",  "yom-remote", NULL};
/* "mathjax" as in Readability and the guest: a MathJax container ("MathJax CtxtMenu_...")
 * holds a formula, not a menu. */
static const char *const MAYBE[] = {"and",    "article", "body",  "column", "content", "main",
                                    "shadow", "post",    "entry", "story",  "mathjax", NULL};
static const char *const POSITIVE[] = {"article", "body", "content", "entry",      "hentry",
                                       "h-entry", "main", "page",    "pagination", "post",
                                       "text",    "blog", "story",   NULL};
static const char *const NEGATIVE[] = {
    "-ad-",     "hidden", "banner",   "combx",    "comment",    "com-",       "contact",
    "footer",   "gdpr",   "masthead", "media",    "meta",       "outbrain",   "promo",
    "related",  "scroll", "share",    "shoutbox", "sidebar",    "skyscraper", "sponsor",
    "shopping", "tags",   "widget",   "cookie",   "newsletter", "nav",        NULL};

int fb_class_weight(const xmlNode *n)
{
  int w = 0;
  const char *c = fb_attr(n, "class"), *id = fb_attr(n, "id");
  if (fb_has_word(c, NEGATIVE))
    w -= 25;
  if (fb_has_word(c, POSITIVE))
    w += 25;
  if (fb_has_word(id, NEGATIVE))
    w -= 25;
  if (fb_has_word(id, POSITIVE))
    w += 25;
  return w;
}

bool fb_is_hidden(const xmlNode *n)
{
  if (fb_attr(n, "hidden"))
    return true;
  const char *ah = fb_attr(n, "aria-hidden");
  if (ah && strcasecmp(ah, "true") == 0 && !fb_name_is(n, "img"))
    return true;
  const char *st = fb_attr(n, "style");
  if (st) {
    char buf[256];
    size_t k = 0;
    for (size_t i = 0; st[i] && k + 1 < sizeof buf; i++)
      if (!fb_is_space((unsigned char)st[i]))
        buf[k++] = (char)tolower((unsigned char)st[i]);
    buf[k] = '\0';
    if (strstr(buf, "display:none") || strstr(buf, "visibility:hidden"))
      return true;
  }
  return false;
}

/* ---- pass: junk removal ------------------------------------------------------------------- */

/* The walk's position: inside <article>/<main>, inside <math>. */
typedef struct junk_ctx {
  riptide_mode mode;
  bool strict, in_article, in_math;
} junk_ctx;

static bool is_junk(const xmlNode *n, const junk_ctx *jc)
{
  const char *name = (const char *)n->name;
  if (fb_in_list(name, fb_junk_tags) || strcmp(name, "svg") == 0)
    return true;
  /* MathML reads as its tokens, as a browser's text does, without its annotations (TeX, other
   * markup) and without its alttext: the guest's rule (never_tag, src/guest/extract/text.c).
   * Only inside <math>, where the guest's parser puts an annotation in the MathML namespace. */
  if (jc->in_math && (strcmp(name, "annotation") == 0 || strcmp(name, "annotation-xml") == 0))
    return true;
  if (fb_is_hidden(n))
    return true;
  if (jc->mode == RIPTIDE_MODE_FULL || jc->mode == RIPTIDE_MODE_CUSTOM || !jc->strict)
    return false;
  /* Not <form>: ASP.NET pages wrap the whole page in one. Its controls are removed above. */
  if (strcmp(name, "nav") == 0 || strcmp(name, "aside") == 0 || strcmp(name, "footer") == 0)
    return true;
  if (strcmp(name, "header") == 0 && !jc->in_article)
    return true;
  const char *role = fb_attr(n, "role");
  if (role && (strcasecmp(role, "navigation") == 0 || strcasecmp(role, "complementary") == 0 ||
               strcasecmp(role, "menu") == 0 || strcasecmp(role, "menubar") == 0 ||
               strcasecmp(role, "alert") == 0 || strcasecmp(role, "dialog") == 0 ||
               strcasecmp(role, "alertdialog") == 0 || strcasecmp(role, "banner") == 0 ||
               strcasecmp(role, "contentinfo") == 0))
    return true;
  if (strcmp(name, "body") == 0 || strcmp(name, "html") == 0 || strcmp(name, "a") == 0 ||
      strcmp(name, "article") == 0 || strcmp(name, "main") == 0 || strcmp(name, "table") == 0 ||
      strcmp(name, "tbody") == 0 || strcmp(name, "tr") == 0 || strcmp(name, "td") == 0 ||
      strcmp(name, "th") == 0 || strcmp(name, "pre") == 0 || strcmp(name, "code") == 0 ||
      strcmp(name, "p") == 0)
    return false;
  char both[600];
  snprintf(both, sizeof both, "%s %s", fb_attr(n, "class") ? fb_attr(n, "class") : "",
           fb_attr(n, "id") ? fb_attr(n, "id") : "");
  if (fb_has_word(both, UNLIKELY) && !fb_has_word(both, MAYBE))
    return true;
  return false;
}

static void remove_junk(xmlNode *n, const junk_ctx *jc, int depth)
{
  xmlNode *c = n->children;
  while (c) {
    xmlNode *next = c->next;
    if (c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE) {
      xmlUnlinkNode(c);
      xmlFreeNode(c);
    } else if (fb_is_el(c)) {
      if (is_junk(c, jc)) {
        xmlUnlinkNode(c);
        xmlFreeNode(c);
      } else if (depth < FB_MAX_DEPTH) {
        junk_ctx in = *jc;
        in.in_article |= fb_name_is(c, "article") || fb_name_is(c, "main");
        in.in_math |= fb_name_is(c, "math");
        remove_junk(c, &in, depth + 1);
      }
    }
    c = next;
  }
}

void fb_remove_junk(xmlNode *n, riptide_mode mode, bool strict, bool in_article, int depth)
{
  const junk_ctx jc = {.mode = mode, .strict = strict, .in_article = in_article};
  remove_junk(n, &jc, depth);
}

/* ---- pass: statistics --------------------------------------------------------------------- */

static size_t collapsed_len(const char *s, uint32_t *commas)
{
  size_t n = 0;
  bool sp = false;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (fb_is_space(c)) {
      sp = true;
      continue;
    }
    if (sp && n > 0)
      n++;
    sp = false;
    n++;
    if (c == ',')
      (*commas)++;
  }
  return n;
}

void fb_stats(xmlNode *n, fb_arena *ar, bool in_link, int depth)
{
  fb_info *me = NULL;
  if (fb_is_el(n)) {
    if (ar->n == ar->cap)
      return; /* arena sized by a count pass; never reached */
    me = &ar->items[ar->n++];
    memset(me, 0, sizeof *me);
    n->_private = me;
    if (fb_name_is(n, "a"))
      in_link = true;
  }
  if (depth >= FB_MAX_DEPTH)
    return;
  for (xmlNode *c = n->children; c; c = c->next) {
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      if (!me || !c->content)
        continue;
      uint32_t commas = 0;
      size_t l = collapsed_len((const char *)c->content, &commas);
      me->text_len += (uint32_t)(l > UINT32_MAX / 2 ? UINT32_MAX / 2 : l);
      if (in_link)
        me->link_len += (uint32_t)l;
      me->commas += commas;
    } else if (fb_is_el(c)) {
      fb_stats(c, ar, in_link, depth + 1);
      fb_info *ci = fb_info_of(c);
      if (me && ci) {
        me->text_len += ci->text_len + (fb_is_block(c) ? 1 : 0);
        me->link_len += ci->link_len;
        me->commas += ci->commas;
        if (fb_is_block(c))
          me->has_block = true;
      }
    }
  }
}

size_t fb_count_elements(const xmlNode *n, int depth)
{
  size_t k = fb_is_el(n) ? 1 : 0;
  if (depth >= FB_MAX_DEPTH)
    return k;
  for (const xmlNode *c = n->children; c; c = c->next)
    if (fb_is_el(c))
      k += fb_count_elements(c, depth + 1);
  return k;
}

double fb_link_density(const xmlNode *n)
{
  const fb_info *i = fb_info_of(n);
  if (!i || i->text_len == 0)
    return 0;
  double d = (double)i->link_len / (double)i->text_len;
  return d > 1 ? 1 : d;
}

/* ---- pass: scoring ------------------------------------------------------------------------ */

static void init_candidate(xmlNode *n, fb_cands *cs)
{
  fb_info *i = fb_info_of(n);
  if (!i || i->scored)
    return;
  i->scored = true;
  const char *name = (const char *)n->name;
  double s = 0;
  if (!strcmp(name, "div") || !strcmp(name, "article") || !strcmp(name, "main") ||
      !strcmp(name, "section"))
    s = 5;
  else if (!strcmp(name, "pre") || !strcmp(name, "td") || !strcmp(name, "blockquote"))
    s = 3;
  else if (!strcmp(name, "address") || !strcmp(name, "ol") || !strcmp(name, "ul") ||
           !strcmp(name, "dl") || !strcmp(name, "dd") || !strcmp(name, "dt") ||
           !strcmp(name, "li") || !strcmp(name, "form"))
    s = -3;
  else if (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2])
    s = -5;
  else if (!strcmp(name, "th"))
    s = -5;
  if (!strcmp(name, "article") || !strcmp(name, "main"))
    s += 10;
  const char *ip = fb_attr(n, "itemprop");
  if (ip && strstr(ip, "articleBody"))
    s += 25;
  i->score = s + fb_class_weight(n);
  if (cs->n == cs->cap) {
    size_t nc = cs->cap ? cs->cap * 2 : 256;
    xmlNode **nv = realloc(cs->v, nc * sizeof *nv);
    if (!nv)
      return;
    cs->v = nv;
    cs->cap = nc;
  }
  cs->v[cs->n++] = n;
}

static bool paragraph_like(const xmlNode *n)
{
  const char *name = (const char *)n->name;
  if (!strcmp(name, "p") || !strcmp(name, "pre") || !strcmp(name, "td") ||
      !strcmp(name, "blockquote"))
    return true;
  const fb_info *i = fb_info_of(n);
  if ((!strcmp(name, "div") || !strcmp(name, "section") || !strcmp(name, "article")) && i &&
      !i->has_block)
    return true;
  return false;
}

void fb_score_walk(xmlNode *n, fb_cands *cs, int depth)
{
  if (depth >= FB_MAX_DEPTH)
    return;
  for (xmlNode *c = n->children; c; c = c->next) {
    if (!fb_is_el(c))
      continue;
    if (paragraph_like(c)) {
      fb_info *i = fb_info_of(c);
      if (i && i->text_len >= 25) {
        double s = 1 + i->commas + (i->text_len / 100 > 3 ? 3 : i->text_len / 100);
        xmlNode *a = c->parent;
        for (int level = 0; level < 5 && fb_is_el(a); level++, a = a->parent) {
          if (fb_name_is(a, "html"))
            break;
          init_candidate(a, cs);
          fb_info *ai = fb_info_of(a);
          if (!ai)
            break;
          double div = level == 0 ? 1 : level == 1 ? 2 : level * 3;
          ai->score += s / div;
        }
      }
    }
    fb_score_walk(c, cs, depth + 1);
  }
}

xmlNode *fb_find_first(xmlNode *n, const char *name, int depth)
{
  for (xmlNode *c = n ? n->children : NULL; c; c = c->next) {
    if (!fb_is_el(c))
      continue;
    if (fb_name_is(c, name))
      return c;
    if (depth < FB_MAX_DEPTH) {
      xmlNode *r = fb_find_first(c, name, depth + 1);
      if (r)
        return r;
    }
  }
  return NULL;
}
