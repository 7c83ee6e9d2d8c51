/*
 * native.c - the native extraction engine: libxml2's HTML parser and a Readability-style
 * text-density scorer. It is the pool's fallback (a guest that traps, times out or errs still
 * yields a document) and deliberately shares no code with the guest extractor, so that a bug
 * that breaks one rarely breaks the other.
 *
 * DESIGN
 *  - One call owns one libxml2 document; nothing is shared between calls except libxml2's
 *    global initialisation (xmlInitParser, once). Safe to call from many threads at once.
 *  - Passes over the tree: (1) metadata from <head>, JSON-LD and the whole document; (2) in
 *    article mode, junk removal (scripts, hidden nodes, navigation, unlikely class/id names);
 *    (3) a post-order pass that gives every element its text length, link-text length, comma
 *    count and "has block children" flag (stored in node->_private, which libxml2 leaves to the
 *    application); (4) scoring of paragraph-like elements into their ancestors, the best
 *    candidate and its related siblings; (5) rendering of the chosen nodes as Markdown and plain
 *    text in one walk, collecting links and media on the way.
 *  - The tree comes from fb_parse (parse.c), which bounds what libxml2 sees and flattens the
 *    tree past FB_TREE_DEPTH; every recursive walk here stops descending at FB_MAX_DEPTH, which
 *    is deeper, so no walk stops short of content and the stack stays bounded.
 *  - One call has one deadline (fb_limits): the parse checks it as it goes, rendering every
 *    FB_CLOCK_NODES nodes; passing it is RIPTIDE_ERR_TIMEOUT.
 *  - Text + Markdown + HTML are bounded together by the call's output cap; going over is
 *    RIPTIDE_ERR_OUTPUT_TOO_LARGE, never a silent cut. Links and media past their limits are
 *    not listed, and the document says so (RIPTIDE_TRUNC_LINKS / _MEDIA).
 *  - Links and media never carry script or inline-data URLs (data:, javascript:, vbscript:).
 */
#include "common/limits.h"
#include "fallback/fallback.h"
#include "riptide.h"

#include <ctype.h>
#include <jansson.h>
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/uri.h>
#include <libxml/xpath.h>
#include <pthread.h>
#include <strings.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define FB_MAX_DEPTH 400
_Static_assert(FB_TREE_DEPTH + 8 < FB_MAX_DEPTH, "walks must reach the bottom of the tree");
#define FB_CLOCK_NODES 1024
#define FB_MAX_LINKS 10000
#define FB_MAX_MEDIA 2000
#define FB_MAX_CATEGORIES 64
#define FB_MAX_META_LEN 4096
#define FB_XPATH_MAX 8192
/* An article pass with fewer visible characters than this is retried without the class/id
 * heuristics (Readability retries below 500 characters too). */
#define FB_RETRY_BELOW 500

/* ---- small helpers ------------------------------------------------------------------------ */

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static void xml_init(void)
{
  xmlInitParser();
}

static uint64_t now_ns(void)
{
  return fb_now_ns();
}

/* Has the call's deadline passed? Checked between passes and inside the long ones. */
static bool past(const fb_limits *lim)
{
  return lim->deadline_ns && now_ns() > lim->deadline_ns;
}

static bool is_el(const xmlNode *n)
{
  return n && n->type == XML_ELEMENT_NODE;
}

static bool name_is(const xmlNode *n, const char *name)
{
  return is_el(n) && n->name && strcmp((const char *)n->name, name) == 0;
}

/* The value of attribute `name` without allocating (NULL when absent). */
static const char *attr(const xmlNode *n, const char *name)
{
  if (!is_el(n))
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

static bool is_space(unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* A malloc'd copy of s with whitespace collapsed and trimmed; NULL for NULL or empty. */
static char *clean_dup(const char *s, size_t max)
{
  if (!s)
    return NULL;
  size_t len = strlen(s);
  if (len > max)
    len = max;
  char *o = malloc(len + 1);
  if (!o)
    return NULL;
  size_t k = 0;
  bool sp = false;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    if (is_space(c)) {
      sp = k > 0;
      continue;
    }
    if (sp)
      o[k++] = ' ';
    sp = false;
    o[k++] = (char)c;
  }
  /* Do not leave a cut UTF-8 sequence at the end when max truncated a long value. */
  while (k > 0 && len < strlen(s) && ((unsigned char)o[k - 1] & 0xC0) == 0x80)
    k--;
  if (k > 0 && len < strlen(s) && ((unsigned char)o[k - 1] & 0xC0) == 0xC0)
    k--;
  o[k] = '\0';
  if (k == 0) {
    free(o);
    return NULL;
  }
  return o;
}

static void set_str(char **field, char *v)
{
  if (!v)
    return;
  if (*field) {
    free(v);
    return;
  }
  *field = v;
}

/* ---- bounded output buffer ---------------------------------------------------------------- */

typedef struct fb_buf {
  char *p;
  size_t len, cap, max;
  bool overflow, nomem;
} fb_buf;

static void buf_add(fb_buf *b, const char *s, size_t n)
{
  if (b->overflow || b->nomem || n == 0)
    return;
  if (b->len + n + 1 > b->max) {
    b->overflow = true;
    return;
  }
  if (b->len + n + 1 > b->cap) {
    size_t nc = b->cap ? b->cap : 4096;
    while (nc < b->len + n + 1)
      nc *= 2;
    if (nc > b->max)
      nc = b->max;
    char *np = realloc(b->p, nc);
    if (!np) {
      b->nomem = true;
      return;
    }
    b->p = np;
    b->cap = nc;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void buf_puts(fb_buf *b, const char *s)
{
  buf_add(b, s, strlen(s));
}
static char buf_last(const fb_buf *b)
{
  return b->len ? b->p[b->len - 1] : '\0';
}

/* ---- per-element statistics --------------------------------------------------------------- */

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

static fb_info *info_of(const xmlNode *n)
{
  return is_el(n) ? (fb_info *)n->_private : NULL;
}

/* ---- tag classes -------------------------------------------------------------------------- */

static bool in_list(const char *name, const char *const *list)
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

static const char *const JUNK_TAGS[] = {"script", "style",    "noscript", "template", "iframe",
                                        "object", "embed",    "canvas",   "input",    "button",
                                        "select", "textarea", "option",   "head",     "meta",
                                        "link",   "map",      "dialog",   NULL};

static bool is_block(const xmlNode *n)
{
  return is_el(n) && in_list((const char *)n->name, BLOCK_TAGS);
}

/* Case-insensitive search for any of the words in s. */
static bool has_word(const char *s, const char *const *words)
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
static const char *const MAYBE[] = {"and",    "article", "body",  "column", "content", "main",
                                    "shadow", "post",    "entry", "story",  NULL};
static const char *const POSITIVE[] = {"article", "body", "content", "entry",      "hentry",
                                       "h-entry", "main", "page",    "pagination", "post",
                                       "text",    "blog", "story",   NULL};
static const char *const NEGATIVE[] = {
    "-ad-",     "hidden", "banner",   "combx",    "comment",    "com-",       "contact",
    "footer",   "gdpr",   "masthead", "media",    "meta",       "outbrain",   "promo",
    "related",  "scroll", "share",    "shoutbox", "sidebar",    "skyscraper", "sponsor",
    "shopping", "tags",   "widget",   "cookie",   "newsletter", "nav",        NULL};

static int class_weight(const xmlNode *n)
{
  int w = 0;
  const char *c = attr(n, "class"), *id = attr(n, "id");
  if (has_word(c, NEGATIVE))
    w -= 25;
  if (has_word(c, POSITIVE))
    w += 25;
  if (has_word(id, NEGATIVE))
    w -= 25;
  if (has_word(id, POSITIVE))
    w += 25;
  return w;
}

static bool is_hidden(const xmlNode *n)
{
  if (attr(n, "hidden"))
    return true;
  const char *ah = attr(n, "aria-hidden");
  if (ah && strcasecmp(ah, "true") == 0 && !name_is(n, "img"))
    return true;
  const char *st = attr(n, "style");
  if (st) {
    char buf[256];
    size_t k = 0;
    for (size_t i = 0; st[i] && k + 1 < sizeof buf; i++)
      if (!is_space((unsigned char)st[i]))
        buf[k++] = (char)tolower((unsigned char)st[i]);
    buf[k] = '\0';
    if (strstr(buf, "display:none") || strstr(buf, "visibility:hidden"))
      return true;
  }
  return false;
}

/* ---- pass: junk removal ------------------------------------------------------------------- */

static bool is_junk(const xmlNode *n, riptide_mode mode, bool strict, bool in_article)
{
  const char *name = (const char *)n->name;
  if (in_list(name, JUNK_TAGS) || strcmp(name, "svg") == 0 || strcmp(name, "math") == 0)
    return true;
  if (is_hidden(n))
    return true;
  if (mode == RIPTIDE_MODE_FULL || mode == RIPTIDE_MODE_CUSTOM || !strict)
    return false;
  /* Not <form>: ASP.NET pages wrap the whole page in one. Its controls are removed above. */
  if (strcmp(name, "nav") == 0 || strcmp(name, "aside") == 0 || strcmp(name, "footer") == 0)
    return true;
  if (strcmp(name, "header") == 0 && !in_article)
    return true;
  const char *role = attr(n, "role");
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
  snprintf(both, sizeof both, "%s %s", attr(n, "class") ? attr(n, "class") : "",
           attr(n, "id") ? attr(n, "id") : "");
  if (has_word(both, UNLIKELY) && !has_word(both, MAYBE))
    return true;
  return false;
}

static void remove_junk(xmlNode *n, riptide_mode mode, bool strict, bool in_article, int depth)
{
  xmlNode *c = n->children;
  while (c) {
    xmlNode *next = c->next;
    if (c->type == XML_COMMENT_NODE || c->type == XML_PI_NODE) {
      xmlUnlinkNode(c);
      xmlFreeNode(c);
    } else if (is_el(c)) {
      if (is_junk(c, mode, strict, in_article)) {
        xmlUnlinkNode(c);
        xmlFreeNode(c);
      } else if (depth < FB_MAX_DEPTH) {
        bool art = in_article || name_is(c, "article") || name_is(c, "main");
        remove_junk(c, mode, strict, art, depth + 1);
      }
    }
    c = next;
  }
}

/* ---- pass: statistics --------------------------------------------------------------------- */

static size_t collapsed_len(const char *s, uint32_t *commas)
{
  size_t n = 0;
  bool sp = false;
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (is_space(c)) {
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

static void stats(xmlNode *n, fb_arena *ar, bool in_link, int depth)
{
  fb_info *me = NULL;
  if (is_el(n)) {
    if (ar->n == ar->cap)
      return; /* arena sized by a count pass; never reached */
    me = &ar->items[ar->n++];
    memset(me, 0, sizeof *me);
    n->_private = me;
    if (name_is(n, "a"))
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
    } else if (is_el(c)) {
      stats(c, ar, in_link, depth + 1);
      fb_info *ci = info_of(c);
      if (me && ci) {
        me->text_len += ci->text_len + (is_block(c) ? 1 : 0);
        me->link_len += ci->link_len;
        me->commas += ci->commas;
        if (is_block(c))
          me->has_block = true;
      }
    }
  }
}

static size_t count_elements(const xmlNode *n, int depth)
{
  size_t k = is_el(n) ? 1 : 0;
  if (depth >= FB_MAX_DEPTH)
    return k;
  for (const xmlNode *c = n->children; c; c = c->next)
    if (is_el(c))
      k += count_elements(c, depth + 1);
  return k;
}

static double link_density(const xmlNode *n)
{
  const fb_info *i = info_of(n);
  if (!i || i->text_len == 0)
    return 0;
  double d = (double)i->link_len / (double)i->text_len;
  return d > 1 ? 1 : d;
}

/* ---- pass: scoring ------------------------------------------------------------------------ */

typedef struct fb_cands {
  xmlNode **v;
  size_t n, cap;
} fb_cands;

static void init_candidate(xmlNode *n, fb_cands *cs)
{
  fb_info *i = info_of(n);
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
  const char *ip = attr(n, "itemprop");
  if (ip && strstr(ip, "articleBody"))
    s += 25;
  i->score = s + class_weight(n);
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
  const fb_info *i = info_of(n);
  if ((!strcmp(name, "div") || !strcmp(name, "section") || !strcmp(name, "article")) && i &&
      !i->has_block)
    return true;
  return false;
}

static void score_walk(xmlNode *n, fb_cands *cs, int depth)
{
  if (depth >= FB_MAX_DEPTH)
    return;
  for (xmlNode *c = n->children; c; c = c->next) {
    if (!is_el(c))
      continue;
    if (paragraph_like(c)) {
      fb_info *i = info_of(c);
      if (i && i->text_len >= 25) {
        double s = 1 + i->commas + (i->text_len / 100 > 3 ? 3 : i->text_len / 100);
        xmlNode *a = c->parent;
        for (int level = 0; level < 5 && is_el(a); level++, a = a->parent) {
          if (name_is(a, "html"))
            break;
          init_candidate(a, cs);
          fb_info *ai = info_of(a);
          if (!ai)
            break;
          double div = level == 0 ? 1 : level == 1 ? 2 : level * 3;
          ai->score += s / div;
        }
      }
    }
    score_walk(c, cs, depth + 1);
  }
}

static xmlNode *find_first(xmlNode *n, const char *name, int depth)
{
  for (xmlNode *c = n ? n->children : NULL; c; c = c->next) {
    if (!is_el(c))
      continue;
    if (name_is(c, name))
      return c;
    if (depth < FB_MAX_DEPTH) {
      xmlNode *r = find_first(c, name, depth + 1);
      if (r)
        return r;
    }
  }
  return NULL;
}

/* ---- rendering ---------------------------------------------------------------------------- */

typedef struct fb_render {
  fb_buf md, txt;
  bool want_md, want_links, want_media;
  bool clean;         /* article mode: leave out link-heavy blocks inside the content */
  bool pending_space; /* whitespace seen since the last visible character */
  int pre;            /* inside <pre> */
  int cell;           /* inside a GFM table cell: no line breaks */
  char prefix[256];   /* blockquote / list continuation prefix for Markdown lines */
  size_t prefix_len;
  int list_depth;
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

/* A URL that runs script or inlines data when followed: data:, javascript:, vbscript:, with
 * the whitespace and control characters browsers strip from a scheme ("java\tscript:"). */
static bool unsafe_scheme(const char *u)
{
  static const char *const bad[] = {"javascript:", "vbscript:", "data:", NULL};
  char sch[16];
  size_t k = 0;
  for (const unsigned char *c = (const unsigned char *)u; *c && k < sizeof sch - 1; c++) {
    if (*c <= 0x20)
      continue; /* browsers drop tabs, newlines and leading spaces inside a scheme */
    sch[k++] = (char)tolower(*c);
    if (*c == ':')
      break;
  }
  sch[k] = '\0';
  for (int i = 0; bad[i]; i++)
    if (strncmp(sch, bad[i], strlen(bad[i])) == 0)
      return true;
  return false;
}

/* href resolved against base; NULL when absent, too long, or an unsafe scheme. */
static char *resolve(const char *base, const char *href)
{
  if (!href)
    return NULL;
  while (is_space((unsigned char)*href))
    href++;
  if (unsafe_scheme(href))
    return NULL;
  size_t n = strlen(href);
  while (n > 0 && is_space((unsigned char)href[n - 1]))
    n--;
  if (n == 0 || n > 8192)
    return NULL;
  char *h = strndup(href, n);
  if (!h)
    return NULL;
  if (!base) {
    return h;
  }
  xmlChar *r = xmlBuildURI((const xmlChar *)h, (const xmlChar *)base);
  if (!r)
    return h; /* unparsable: keep it as written */
  free(h);
  char *out = strdup((const char *)r);
  xmlFree(r);
  if (out && unsafe_scheme(out)) { /* a base like "data:..." would make every link one */
    free(out);
    return NULL;
  }
  return out;
}

/* Markdown: has the current output line any content yet? */
static bool md_at_line_start(const fb_render *r)
{
  return r->md.len == 0 || buf_last(&r->md) == '\n';
}

static void md_line_prefix(fb_render *r)
{
  if (r->want_md && md_at_line_start(r) && r->prefix_len)
    buf_add(&r->md, r->prefix, r->prefix_len);
}

/* Ends the current block: a blank line in both outputs (once). */
static void block_break(fb_render *r)
{
  r->pending_space = false;
  if (r->cell) {
    r->pending_space = true;
    return;
  }
  if (r->txt.len && buf_last(&r->txt) != '\n')
    buf_puts(&r->txt, "\n");
  if (r->txt.len >= 2 && r->txt.p[r->txt.len - 2] != '\n')
    buf_puts(&r->txt, "\n");
  if (!r->want_md)
    return;
  if (r->md.len && buf_last(&r->md) != '\n')
    buf_puts(&r->md, "\n");
  if (r->md.len >= 2 && r->md.p[r->md.len - 2] != '\n') {
    /* Inside a blockquote the blank line carries the quote marker. */
    size_t k = r->prefix_len;
    while (k > 0 && r->prefix[k - 1] == ' ')
      k--;
    buf_add(&r->md, r->prefix, k);
    buf_puts(&r->md, "\n");
  }
}

static void line_break(fb_render *r)
{
  r->pending_space = false;
  if (r->cell) {
    r->pending_space = true;
    return;
  }
  if (r->txt.len && buf_last(&r->txt) != '\n')
    buf_puts(&r->txt, "\n");
  if (r->want_md && r->md.len && buf_last(&r->md) != '\n')
    buf_puts(&r->md, "\n");
}

/* Writes raw Markdown syntax (no escaping). */
static void md_raw(fb_render *r, const char *s)
{
  if (!r->want_md)
    return;
  md_line_prefix(r);
  buf_puts(&r->md, s);
}

static void flush_space(fb_render *r)
{
  if (!r->pending_space)
    return;
  r->pending_space = false;
  if (r->txt.len && buf_last(&r->txt) != '\n' && buf_last(&r->txt) != ' ')
    buf_puts(&r->txt, " ");
  if (r->want_md && !md_at_line_start(r) && buf_last(&r->md) != ' ')
    buf_puts(&r->md, " ");
}

static void md_escaped(fb_render *r, const char *s, size_t n)
{
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool esc = c == '\\' || c == '*' || c == '_' || c == '`' || c == '[' || c == ']' || c == '<' ||
               (r->cell && c == '|');
    if (!esc && md_at_line_start(r) && i == start && start == 0 &&
        (c == '#' || c == '>' || c == '-' || c == '+' || c == '='))
      esc = true;
    if (esc) {
      buf_add(&r->md, s + start, i - start);
      buf_puts(&r->md, "\\");
      start = i;
    }
  }
  buf_add(&r->md, s + start, n - start);
}

/* Visible text: whitespace collapsed (except in <pre>). */
static void emit_text(fb_render *r, const char *s)
{
  if (r->pre) {
    buf_puts(&r->txt, s);
    if (r->want_md)
      buf_puts(&r->md, s);
    return;
  }
  const char *p = s;
  while (*p && !r->timed_out) {
    if (r->deadline_ns && (r->text_bytes += 64) >= (1u << 20)) { /* ~every 16k words */
      r->text_bytes = 0;
      r->timed_out = now_ns() > r->deadline_ns;
    }
    if (is_space((unsigned char)*p)) {
      r->pending_space = true;
      p++;
      continue;
    }
    const char *w = p;
    while (*p && !is_space((unsigned char)*p))
      p++;
    flush_space(r);
    buf_add(&r->txt, w, (size_t)(p - w));
    if (r->want_md) {
      bool line_start = md_at_line_start(r);
      md_line_prefix(r);
      if (line_start && r->md.len && w[0] >= '0' && w[0] <= '9') {
        /* "1. " at a line start would start a list: escape the dot. */
        const char *d = w;
        while (d < p && *d >= '0' && *d <= '9')
          d++;
        if (d < p && (*d == '.' || *d == ')') && d + 1 == p) {
          buf_add(&r->md, w, (size_t)(d - w));
          buf_puts(&r->md, "\\");
          buf_add(&r->md, d, (size_t)(p - d));
          continue;
        }
      }
      md_escaped(r, w, (size_t)(p - w));
    }
  }
}

static bool add_link(fb_render *r, const char *href, const char *text)
{
  riptide_document *d = r->doc;
  if (d->n_links >= FB_MAX_LINKS) {
    r->truncated |= RIPTIDE_TRUNC_LINKS;
    return true;
  }
  if (d->n_links == r->cap_links) {
    size_t nc = r->cap_links ? r->cap_links * 2 : 16;
    riptide_link *nl = realloc(d->links, nc * sizeof *nl);
    if (!nl)
      return false;
    d->links = nl;
    r->cap_links = nc;
  }
  d->links[d->n_links].href = strdup(href);
  d->links[d->n_links].text = text ? strdup(text) : strdup("");
  if (!d->links[d->n_links].href || !d->links[d->n_links].text) {
    free(d->links[d->n_links].href);
    free(d->links[d->n_links].text);
    return false;
  }
  d->n_links++;
  return true;
}

static bool add_media(fb_render *r, const char *src, const char *alt, const char *kind)
{
  riptide_document *d = r->doc;
  for (size_t i = 0; i < d->n_media; i++)
    if (strcmp(d->media[i].src, src) == 0)
      return true;
  if (d->n_media >= FB_MAX_MEDIA) {
    r->truncated |= RIPTIDE_TRUNC_MEDIA;
    return true;
  }
  if (d->n_media == r->cap_media) {
    size_t nc = r->cap_media ? r->cap_media * 2 : 8;
    riptide_media *nm = realloc(d->media, nc * sizeof *nm);
    if (!nm)
      return false;
    d->media = nm;
    r->cap_media = nc;
  }
  riptide_media *m = &d->media[d->n_media];
  m->src = strdup(src);
  m->alt = alt && *alt ? clean_dup(alt, FB_MAX_META_LEN) : NULL;
  m->kind = strdup(kind);
  if (!m->src || !m->kind) {
    free(m->src);
    free(m->alt);
    free(m->kind);
    return false;
  }
  d->n_media++;
  return true;
}

/* The best source URL of an <img>: src unless it is a placeholder, else a lazy-load attribute
 * or the first srcset candidate. */
static const char *img_src(const xmlNode *n, char *tmp, size_t tmpcap)
{
  static const char *const lazy[] = {"data-src", "data-original", "data-lazy-src", "data-url",
                                     NULL};
  const char *src = attr(n, "src");
  bool placeholder = !src || !*src || unsafe_scheme(src);
  if (!placeholder)
    return src;
  for (int i = 0; lazy[i]; i++) {
    const char *v = attr(n, lazy[i]);
    if (v && *v)
      return v;
  }
  const char *ss = attr(n, "srcset");
  if (!ss)
    ss = attr(n, "data-srcset");
  if (ss) {
    while (is_space((unsigned char)*ss))
      ss++;
    size_t k = 0;
    while (ss[k] && !is_space((unsigned char)ss[k]) && ss[k] != ',' && k + 1 < tmpcap) {
      tmp[k] = ss[k];
      k++;
    }
    tmp[k] = '\0';
    if (k)
      return tmp;
  }
  return src && *src ? src : NULL;
}

static void render_node(fb_render *r, xmlNode *n, int depth);

static void render_children(fb_render *r, xmlNode *n, int depth)
{
  if (depth >= FB_MAX_DEPTH)
    return;
  for (xmlNode *c = n->children; c; c = c->next)
    render_node(r, c, depth + 1);
}

/* Plain text of a subtree (for link text and table cells' alt text). */
static void text_of(const xmlNode *n, fb_buf *b, int depth)
{
  if (depth >= FB_MAX_DEPTH)
    return;
  for (const xmlNode *c = n->children; c && !b->overflow; c = c->next) {
    if (c->type == XML_TEXT_NODE && c->content)
      buf_puts(b, (const char *)c->content);
    else if (is_el(c)) {
      if (is_block(c) || name_is(c, "br"))
        buf_puts(b, " ");
      text_of(c, b, depth + 1);
    }
  }
}

/* A data table: rows of cells without block content (GFM can show it); layout tables are
 * rendered as ordinary blocks. */
static bool data_table(const xmlNode *t, int *ncols)
{
  int rows = 0, maxc = 0;
  const xmlNode *stack[8];
  int sp = 0;
  stack[sp++] = t;
  while (sp > 0) {
    const xmlNode *n = stack[--sp];
    for (const xmlNode *c = n->children; c; c = c->next) {
      if (!is_el(c))
        continue;
      if (name_is(c, "thead") || name_is(c, "tbody") || name_is(c, "tfoot")) {
        if (sp < 8)
          stack[sp++] = c;
      } else if (name_is(c, "tr")) {
        rows++;
        int cells = 0;
        for (const xmlNode *td = c->children; td; td = td->next) {
          if (!name_is(td, "td") && !name_is(td, "th"))
            continue;
          cells++;
          const fb_info *i = info_of(td);
          if (i && i->has_block) {
            /* <p> inside a cell is common in data tables; lists, tables, divs are layout. */
            for (const xmlNode *k = td->children; k; k = k->next)
              if (is_block(k) && !name_is(k, "p"))
                return false;
          }
        }
        if (cells > maxc)
          maxc = cells;
      }
    }
  }
  *ncols = maxc;
  return rows >= 1 && maxc >= 2;
}

static void render_row(fb_render *r, xmlNode *tr, int ncols, int depth, bool *header_done)
{
  int cells = 0;
  bool all_th = true;
  line_break(r);
  md_raw(r, "|");
  for (xmlNode *td = tr->children; td; td = td->next) {
    if (!name_is(td, "td") && !name_is(td, "th"))
      continue;
    if (!name_is(td, "th"))
      all_th = false;
    if (cells >= ncols)
      break;
    cells++;
    md_raw(r, " ");
    if (cells > 1 && r->txt.len && buf_last(&r->txt) != '\n')
      buf_puts(&r->txt, "\t");
    r->cell++;
    r->pending_space = false;
    render_children(r, td, depth + 1);
    r->cell--;
    r->pending_space = false;
    md_raw(r, " |");
  }
  for (; cells < ncols; cells++)
    md_raw(r, "  |");
  if (!*header_done) {
    *header_done = true;
    (void)all_th;
    md_raw(r, "\n");
    md_raw(r, "|");
    for (int i = 0; i < ncols; i++)
      md_raw(r, " --- |");
  }
}

static void render_table_rows(fb_render *r, xmlNode *n, int ncols, int depth, bool *header_done)
{
  for (xmlNode *c = n->children; c; c = c->next) {
    if (name_is(c, "tr"))
      render_row(r, c, ncols, depth + 1, header_done);
    else if (name_is(c, "thead") || name_is(c, "tbody") || name_is(c, "tfoot"))
      render_table_rows(r, c, ncols, depth + 1, header_done);
  }
}

static void push_prefix(fb_render *r, const char *p, size_t *saved)
{
  *saved = r->prefix_len;
  size_t n = strlen(p);
  if (r->prefix_len + n < sizeof r->prefix) {
    memcpy(r->prefix + r->prefix_len, p, n);
    r->prefix_len += n;
    r->prefix[r->prefix_len] = '\0';
  }
}

static void pop_prefix(fb_render *r, size_t saved)
{
  r->prefix_len = saved;
  r->prefix[saved] = '\0';
}

/* Readability's conditional cleaning, simplified: inside the chosen content, a list, table or
 * division made mostly of links (related stories, tag clouds, share bars) is left out. */
static bool cleanable(const xmlNode *n)
{
  const char *name = (const char *)n->name;
  if (strcmp(name, "ul") && strcmp(name, "ol") && strcmp(name, "div") && strcmp(name, "section") &&
      strcmp(name, "table") && strcmp(name, "dl") && strcmp(name, "aside"))
    return false;
  const fb_info *i = info_of(n);
  if (!i || i->text_len == 0)
    return false;
  double ld = link_density(n);
  if (ld > 0.5 && i->text_len < 2000)
    return true;
  return class_weight(n) < 0 && i->text_len < 200 && i->commas < 2;
}

static void render_element(fb_render *r, xmlNode *n, int depth)
{
  const char *name = (const char *)n->name;
  if (in_list(name, JUNK_TAGS) || !strcmp(name, "svg") || !strcmp(name, "math"))
    return;
  if (is_hidden(n))
    return;
  if (r->clean && depth > 0 && cleanable(n))
    return;
  size_t saved;

  if (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2]) {
    block_break(r);
    if (r->want_md) {
      char hashes[8] = "";
      int level = name[1] - '0';
      for (int i = 0; i < level; i++)
        hashes[i] = '#';
      hashes[level] = ' ';
      hashes[level + 1] = '\0';
      md_raw(r, hashes);
    }
    render_children(r, n, depth);
    block_break(r);
    r->paragraphs++;
    return;
  }
  if (!strcmp(name, "p")) {
    block_break(r);
    size_t before = r->txt.len;
    render_children(r, n, depth);
    if (r->txt.len > before + 20)
      r->paragraphs++;
    block_break(r);
    return;
  }
  if (!strcmp(name, "br")) {
    if (r->cell) {
      r->pending_space = true;
      return;
    }
    if (r->want_md && !md_at_line_start(r))
      buf_puts(&r->md, "  ");
    line_break(r);
    return;
  }
  if (!strcmp(name, "hr")) {
    block_break(r);
    md_raw(r, "---");
    block_break(r);
    return;
  }
  if (!strcmp(name, "pre")) {
    block_break(r);
    md_raw(r, "```\n");
    r->pre++;
    fb_buf tmp = {.max = r->md.max};
    text_of(n, &tmp, depth);
    if (tmp.p) {
      buf_puts(&r->txt, tmp.p);
      if (r->want_md)
        buf_puts(&r->md, tmp.p);
    }
    free(tmp.p);
    r->pre--;
    if (r->want_md && buf_last(&r->md) != '\n')
      buf_puts(&r->md, "\n");
    md_raw(r, "```");
    block_break(r);
    r->paragraphs++;
    return;
  }
  if (!strcmp(name, "blockquote")) {
    block_break(r);
    push_prefix(r, "> ", &saved);
    render_children(r, n, depth);
    line_break(r);
    pop_prefix(r, saved);
    block_break(r);
    return;
  }
  if (!strcmp(name, "ul") || !strcmp(name, "ol") || !strcmp(name, "menu") || !strcmp(name, "dir")) {
    bool ordered = !strcmp(name, "ol");
    if (r->list_depth == 0)
      block_break(r);
    else
      line_break(r);
    r->list_depth++;
    int idx = 0;
    const char *start = attr(n, "start");
    if (ordered && start) {
      char *end;
      long v = strtol(start, &end, 10);
      if (end != start && v > 0 && v < 1000000)
        idx = (int)v - 1;
    }
    for (xmlNode *li = n->children; li; li = li->next) {
      if (!is_el(li)) {
        continue;
      }
      if (!name_is(li, "li")) {
        render_node(r, li, depth + 1);
        continue;
      }
      line_break(r);
      char marker[24];
      if (ordered)
        snprintf(marker, sizeof marker, "%d. ", ++idx);
      else
        snprintf(marker, sizeof marker, "- ");
      md_raw(r, marker);
      if (r->txt.len && buf_last(&r->txt) != '\n')
        buf_puts(&r->txt, "\n");
      push_prefix(r, ordered ? "   " : "  ", &saved);
      render_children(r, li, depth + 1);
      pop_prefix(r, saved);
      line_break(r);
    }
    r->list_depth--;
    if (r->list_depth == 0)
      block_break(r);
    return;
  }
  if (!strcmp(name, "table")) {
    int ncols = 0;
    if (!r->cell && data_table(n, &ncols)) {
      block_break(r);
      bool header_done = false;
      for (xmlNode *c = n->children; c; c = c->next)
        if (name_is(c, "caption")) {
          render_children(r, c, depth + 1);
          block_break(r);
        }
      render_table_rows(r, n, ncols, depth, &header_done);
      block_break(r);
      r->paragraphs++;
      return;
    }
    block_break(r);
    render_children(r, n, depth);
    block_break(r);
    return;
  }
  if (!strcmp(name, "td") || !strcmp(name, "th")) {
    if (r->cell) {
      r->pending_space = true;
      render_children(r, n, depth);
      return;
    }
    block_break(r);
    render_children(r, n, depth);
    block_break(r);
    return;
  }
  if (!strcmp(name, "img")) {
    char tmp[2048];
    const char *src = img_src(n, tmp, sizeof tmp);
    if (!src || !r->want_media)
      return;
    char *abs = resolve(r->base, src);
    if (!abs)
      return;
    const char *alt = attr(n, "alt");
    if (!add_media(r, abs, alt, "image"))
      r->nomem = true;
    if (r->want_md) {
      flush_space(r);
      md_raw(r, "![");
      char *calt = alt ? clean_dup(alt, 512) : NULL;
      if (calt)
        md_escaped(r, calt, strlen(calt));
      free(calt);
      md_raw(r, "](");
      md_raw(r, abs);
      md_raw(r, ")");
    }
    free(abs);
    return;
  }
  if (!strcmp(name, "video") || !strcmp(name, "audio")) {
    const char *src = attr(n, "src");
    for (xmlNode *c = n->children; !src && c; c = c->next)
      if (name_is(c, "source"))
        src = attr(c, "src");
    if (src && r->want_media) {
      char *abs = resolve(r->base, src);
      if (abs) {
        if (!add_media(r, abs, NULL, name))
          r->nomem = true;
        free(abs);
      }
    }
    return;
  }
  if (!strcmp(name, "a")) {
    const char *href = attr(n, "href");
    char *abs = NULL;
    if (href && r->want_links) {
      const char *h = href;
      while (is_space((unsigned char)*h))
        h++;
      if (*h && *h != '#')
        abs = resolve(r->base, h);
    }
    if (!abs) {
      render_children(r, n, depth);
      return;
    }
    fb_buf t = {.max = 1 << 16};
    text_of(n, &t, depth);
    char *text = clean_dup(t.p ? t.p : "", 4096);
    free(t.p);
    if (!add_link(r, abs, text))
      r->nomem = true;
    const fb_info *ai = info_of(n);
    if (r->want_md && text && !(ai && ai->has_block)) {
      flush_space(r);
      md_raw(r, "[");
      size_t mdlen = r->md.len;
      render_children(r, n, depth);
      if (r->md.len == mdlen)
        md_escaped(r, text, strlen(text));
      md_raw(r, "](");
      /* Parentheses and spaces would end the destination early: use the <...> form. */
      bool angle = strpbrk(abs, " ()<>") != NULL;
      md_raw(r, angle ? "<" : "");
      if (angle) {
        for (const char *c = abs; *c; c++) {
          if (*c == '<' || *c == '>')
            buf_puts(&r->md, *c == '<' ? "%3C" : "%3E");
          else
            buf_add(&r->md, c, 1);
        }
      } else {
        md_raw(r, abs);
      }
      md_raw(r, angle ? ">)" : ")");
    } else {
      render_children(r, n, depth);
    }
    free(text);
    free(abs);
    return;
  }
  if (!strcmp(name, "strong") || !strcmp(name, "b") || !strcmp(name, "em") || !strcmp(name, "i") ||
      !strcmp(name, "code") || !strcmp(name, "kbd") || !strcmp(name, "samp") ||
      !strcmp(name, "tt")) {
    const fb_info *i = info_of(n);
    if (!r->want_md || !i || i->text_len == 0 || i->has_block || r->pre) {
      render_children(r, n, depth);
      return;
    }
    const char *mark = (!strcmp(name, "strong") || !strcmp(name, "b")) ? "**"
                       : (!strcmp(name, "em") || !strcmp(name, "i"))   ? "_"
                                                                       : "`";
    flush_space(r);
    md_raw(r, mark);
    if (mark[0] == '`') {
      /* Code spans take their text verbatim. */
      fb_buf t = {.max = 1 << 20};
      text_of(n, &t, depth);
      char *code = clean_dup(t.p ? t.p : "", 1 << 20);
      free(t.p);
      if (code) {
        buf_puts(&r->md, code);
        buf_puts(&r->txt, code);
      }
      free(code);
    } else {
      /* Emphasis may not start or end with a space: hold spaces outside the markers. */
      r->pending_space = false;
      bool md_save = r->want_md;
      render_children(r, n, depth);
      r->want_md = md_save;
      while (r->md.len && buf_last(&r->md) == ' ')
        r->md.len--, r->md.p[r->md.len] = '\0';
    }
    md_raw(r, mark);
    return;
  }
  if (!strcmp(name, "li") || !strcmp(name, "dt") || !strcmp(name, "dd") ||
      !strcmp(name, "figcaption") || !strcmp(name, "caption")) {
    line_break(r);
    render_children(r, n, depth);
    line_break(r);
    return;
  }
  if (is_block(n)) {
    block_break(r);
    render_children(r, n, depth);
    block_break(r);
    return;
  }
  render_children(r, n, depth);
}

static void render_node(fb_render *r, xmlNode *n, int depth)
{
  if (r->timed_out)
    return;
  if (++r->nodes >= FB_CLOCK_NODES) {
    r->nodes = 0;
    if (r->deadline_ns && now_ns() > r->deadline_ns) {
      r->timed_out = true;
      return;
    }
  }
  if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
    if (n->content)
      emit_text(r, (const char *)n->content);
  } else if (is_el(n)) {
    render_element(r, n, depth);
  }
}

/* ---- metadata ----------------------------------------------------------------------------- */

typedef struct fb_meta {
  const char *og_title, *tw_title, *title_tag, *h1;
  char *title_buf, *h1_buf; /* owned */
  const char *site_name, *description, *author, *date, *lang, *canonical, *og_url, *base_href;
  const char *og_image, *keywords, *section;
  const char *tags[FB_MAX_CATEGORIES];
  int n_tags;
  /* JSON-LD values (owned) */
  char *ld_headline, *ld_author, *ld_date, *ld_publisher, *ld_description, *ld_section;
} fb_meta;

static void meta_tag(fb_meta *m, const xmlNode *n)
{
  const char *content = attr(n, "content");
  if (!content)
    return;
  const char *key = attr(n, "property");
  if (!key)
    key = attr(n, "name");
  if (!key)
    key = attr(n, "itemprop");
  const char *he = attr(n, "http-equiv");
  if (he && strcasecmp(he, "content-language") == 0 && !m->lang)
    m->lang = content;
  if (!key)
    return;
  /* property may hold several space-separated names (og:title twitter:title). */
  char keys[256];
  snprintf(keys, sizeof keys, "%s", key);
  for (char *save = NULL, *k = strtok_r(keys, " ", &save); k; k = strtok_r(NULL, " ", &save)) {
    for (char *c = k; *c; c++)
      *c = (char)tolower((unsigned char)*c);
    if (!strcmp(k, "og:title") && !m->og_title)
      m->og_title = content;
    else if (!strcmp(k, "twitter:title") && !m->tw_title)
      m->tw_title = content;
    else if ((!strcmp(k, "og:site_name") || !strcmp(k, "application-name")) && !m->site_name)
      m->site_name = content;
    else if ((!strcmp(k, "description") || !strcmp(k, "og:description") ||
              !strcmp(k, "twitter:description") || !strcmp(k, "dc.description")) &&
             !m->description)
      m->description = content;
    else if ((!strcmp(k, "author") || !strcmp(k, "article:author") || !strcmp(k, "dc.creator") ||
              !strcmp(k, "parsely-author") || !strcmp(k, "byl") || !strcmp(k, "sailthru.author")) &&
             !m->author && strncmp(content, "http", 4) != 0)
      m->author = content;
    else if ((!strcmp(k, "article:published_time") || !strcmp(k, "datepublished") ||
              !strcmp(k, "date") || !strcmp(k, "pubdate") || !strcmp(k, "dc.date") ||
              !strcmp(k, "dc.date.issued") || !strcmp(k, "parsely-pub-date") ||
              !strcmp(k, "og:published_time") || !strcmp(k, "publish-date") ||
              !strcmp(k, "sailthru.date")) &&
             !m->date)
      m->date = content;
    else if (!strcmp(k, "og:url") && !m->og_url)
      m->og_url = content;
    else if (!strcmp(k, "og:image") && !m->og_image)
      m->og_image = content;
    else if (!strcmp(k, "og:locale") && !m->lang)
      m->lang = content;
    else if (!strcmp(k, "keywords") && !m->keywords)
      m->keywords = content;
    else if (!strcmp(k, "article:section") && !m->section)
      m->section = content;
    else if (!strcmp(k, "article:tag") && m->n_tags < FB_MAX_CATEGORIES)
      m->tags[m->n_tags++] = content;
  }
}

static const char *jstr_of(json_t *o, const char *key)
{
  json_t *v = json_object_get(o, key);
  if (json_is_string(v))
    return json_string_value(v);
  if (json_is_array(v) && json_array_size(v) > 0) {
    json_t *f = json_array_get(v, 0);
    if (json_is_string(f))
      return json_string_value(f);
    if (json_is_object(f))
      return jstr_of(f, "name");
  }
  if (json_is_object(v))
    return jstr_of(v, "name");
  return NULL;
}

static void dup_once(char **dst, const char *v)
{
  if (!*dst && v && *v)
    *dst = clean_dup(v, FB_MAX_META_LEN);
}

static void ld_walk(fb_meta *m, json_t *j, int depth)
{
  if (depth > 8 || !j)
    return;
  if (json_is_array(j)) {
    size_t i;
    json_t *v;
    json_array_foreach(j, i, v) ld_walk(m, v, depth + 1);
    return;
  }
  if (!json_is_object(j))
    return;
  const char *type = jstr_of(j, "@type");
  bool article = type && (strstr(type, "Article") || strstr(type, "Posting") ||
                          strstr(type, "Report") || !strcmp(type, "WebPage"));
  if (article) {
    dup_once(&m->ld_headline, jstr_of(j, "headline"));
    dup_once(&m->ld_author, jstr_of(j, "author"));
    dup_once(&m->ld_date, jstr_of(j, "datePublished"));
    dup_once(&m->ld_description, jstr_of(j, "description"));
    dup_once(&m->ld_section, jstr_of(j, "articleSection"));
    json_t *pub = json_object_get(j, "publisher");
    if (json_is_object(pub))
      dup_once(&m->ld_publisher, jstr_of(pub, "name"));
  }
  json_t *graph = json_object_get(j, "@graph");
  if (graph)
    ld_walk(m, graph, depth + 1);
}

static void collect_meta(fb_meta *m, xmlNode *n, int depth)
{
  for (xmlNode *c = n->children; c; c = c->next) {
    if (!is_el(c))
      continue;
    const char *name = (const char *)c->name;
    if (!strcmp(name, "meta")) {
      meta_tag(m, c);
    } else if (!strcmp(name, "title") && !m->title_tag) {
      fb_buf t = {.max = 1 << 16};
      text_of(c, &t, depth);
      m->title_buf = clean_dup(t.p, FB_MAX_META_LEN);
      m->title_tag = m->title_buf;
      free(t.p);
    } else if (!strcmp(name, "link")) {
      const char *rel = attr(c, "rel");
      if (rel && strcasecmp(rel, "canonical") == 0 && !m->canonical)
        m->canonical = attr(c, "href");
    } else if (!strcmp(name, "base") && !m->base_href) {
      m->base_href = attr(c, "href");
    } else if (!strcmp(name, "html") && !m->lang) {
      const char *l = attr(c, "lang");
      if (!l)
        l = attr(c, "xml:lang");
      if (l && *l)
        m->lang = l;
    } else if (!strcmp(name, "script")) {
      const char *type = attr(c, "type");
      if (type && strcasecmp(type, "application/ld+json") == 0 && c->children &&
          c->children->content) {
        json_error_t e;
        json_t *j = json_loads((const char *)c->children->content, 0, &e);
        if (j) {
          ld_walk(m, j, 0);
          json_decref(j);
        }
      }
      continue;
    } else if (!strcmp(name, "h1") && !m->h1) {
      fb_buf t = {.max = 1 << 16};
      text_of(c, &t, depth);
      m->h1_buf = clean_dup(t.p, FB_MAX_META_LEN);
      m->h1 = m->h1_buf;
      free(t.p);
    } else if (!strcmp(name, "time") && !m->date) {
      const char *dt = attr(c, "datetime");
      const char *ip = attr(c, "itemprop");
      const char *cl = attr(c, "class");
      if (dt && *dt &&
          ((ip && strstr(ip, "datePublished")) || (cl && strstr(cl, "publish")) ||
           attr(c, "pubdate") || !m->date))
        m->date = dt;
    } else if (!m->author) {
      const char *rel = attr(c, "rel");
      const char *ip = attr(c, "itemprop");
      const char *cl = attr(c, "class");
      if ((rel && !strcasecmp(rel, "author")) || (ip && strstr(ip, "author")) ||
          (cl && (has_word(cl, (const char *const[]){"byline", NULL})))) {
        fb_buf t = {.max = 1 << 12};
        text_of(c, &t, depth);
        char *a = clean_dup(t.p ? t.p : "", 200);
        free(t.p);
        if (a && strlen(a) < 100 && !m->ld_author)
          m->ld_author = a;
        else
          free(a);
      }
    }
    if (depth < FB_MAX_DEPTH)
      collect_meta(m, c, depth + 1);
  }
}

static void meta_free(fb_meta *m)
{
  free(m->title_buf);
  free(m->h1_buf);
  free(m->ld_headline);
  free(m->ld_author);
  free(m->ld_date);
  free(m->ld_publisher);
  free(m->ld_description);
  free(m->ld_section);
}

/* "Headline | Site" -> "Headline" when the other part is the site name or the h1 matches. */
static char *clean_title(const char *raw, const char *site, const char *h1)
{
  char *t = clean_dup(raw, FB_MAX_META_LEN);
  if (!t)
    return NULL;
  static const char *const seps[] = {" | ",  " - ",        " \xE2\x80\x93 ", " \xE2\x80\x94 ",
                                     " :: ", " \xC2\xB7 ", " // ",           " \xC2\xBB ",
                                     NULL};
  if (h1 && strcmp(t, h1) != 0 && strstr(t, h1) == t && strlen(h1) >= 10) {
    free(t);
    return strdup(h1);
  }
  for (int i = 0; seps[i]; i++) {
    char *last = NULL;
    for (char *p = strstr(t, seps[i]); p; p = strstr(p + 1, seps[i]))
      last = p;
    if (!last)
      continue;
    const char *tail = last + strlen(seps[i]);
    const char *head_end = last;
    bool tail_is_site = site && strcasecmp(tail, site) == 0;
    /* Without a site name, a short tail (1-4 words) after a long head is a site name too. */
    int tail_words = 1;
    for (const char *c = tail; *c; c++)
      tail_words += *c == ' ';
    size_t head_len = (size_t)(head_end - t);
    if (tail_is_site || (tail_words <= 4 && head_len >= 20 && strlen(tail) < head_len)) {
      *last = '\0';
      break;
    }
    /* "Site | Headline" */
    const char *first = strstr(t, seps[i]);
    if (site && (size_t)(first - t) == strlen(site) && strncasecmp(t, site, strlen(site)) == 0) {
      char *rest = strdup(first + strlen(seps[i]));
      free(t);
      return rest;
    }
  }
  return t;
}

static char *primary_lang(const char *l)
{
  if (!l)
    return NULL;
  while (is_space((unsigned char)*l))
    l++;
  char buf[16];
  size_t k = 0;
  while (l[k] && isalpha((unsigned char)l[k]) && k < 8) {
    buf[k] = (char)tolower((unsigned char)l[k]);
    k++;
  }
  buf[k] = '\0';
  if (k < 2 || k > 3)
    return NULL;
  return strdup(buf);
}

static bool add_category(riptide_document *d, const char *v, size_t *cap)
{
  char *c = clean_dup(v, 200);
  if (!c)
    return true;
  for (size_t i = 0; i < d->n_categories; i++)
    if (strcasecmp(d->categories[i], c) == 0) {
      free(c);
      return true;
    }
  if (d->n_categories >= FB_MAX_CATEGORIES) {
    free(c);
    return true;
  }
  if (d->n_categories == *cap) {
    size_t nc = *cap ? *cap * 2 : 8;
    char **nv = realloc(d->categories, nc * sizeof *nv);
    if (!nv) {
      free(c);
      return false;
    }
    d->categories = nv;
    *cap = nc;
  }
  d->categories[d->n_categories++] = c;
  return true;
}

static riptide_err fill_metadata(riptide_document *d, fb_meta *m, const char *base)
{
  const char *site = m->site_name ? m->site_name : m->ld_publisher;
  d->site_name = clean_dup(site, FB_MAX_META_LEN);
  if (m->og_title)
    d->title = clean_title(m->og_title, d->site_name, m->h1);
  else if (m->ld_headline)
    d->title = clean_dup(m->ld_headline, FB_MAX_META_LEN);
  else if (m->tw_title)
    d->title = clean_title(m->tw_title, d->site_name, m->h1);
  else if (m->title_tag)
    d->title = clean_title(m->title_tag, d->site_name, m->h1);
  else if (m->h1)
    d->title = clean_dup(m->h1, FB_MAX_META_LEN);
  set_str(&d->byline, clean_dup(m->author, 300));
  set_str(&d->byline, clean_dup(m->ld_author, 300));
  set_str(&d->date, clean_dup(m->ld_date, 100));
  set_str(&d->date, clean_dup(m->date, 100));
  set_str(&d->description, clean_dup(m->description, FB_MAX_META_LEN));
  set_str(&d->description, clean_dup(m->ld_description, FB_MAX_META_LEN));
  d->language = primary_lang(m->lang);
  const char *canon = m->canonical ? m->canonical : m->og_url;
  if (canon)
    d->canonical_url = resolve(base, canon);
  size_t cap = 0;
  bool ok = true;
  if (m->section)
    ok = ok && add_category(d, m->section, &cap);
  if (m->ld_section)
    ok = ok && add_category(d, m->ld_section, &cap);
  for (int i = 0; i < m->n_tags; i++)
    ok = ok && add_category(d, m->tags[i], &cap);
  if (m->keywords) {
    const char *p = m->keywords;
    while (ok && *p) {
      const char *e = strchr(p, ',');
      size_t n = e ? (size_t)(e - p) : strlen(p);
      char tmp[256];
      if (n < sizeof tmp) {
        memcpy(tmp, p, n);
        tmp[n] = '\0';
        ok = add_category(d, tmp, &cap);
      }
      p += n;
      if (*p == ',')
        p++;
    }
  }
  return ok ? RIPTIDE_OK : RIPTIDE_ERR_NOMEM;
}

/* ---- word count and quality --------------------------------------------------------------- */

static uint32_t count_words(const char *s)
{
  uint32_t words = 0;
  bool in_word = false;
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    unsigned cp = *p;
    size_t n = 1;
    if (cp >= 0xF0 && p[1] && p[2] && p[3])
      cp = ((cp & 7u) << 18) | ((p[1] & 63u) << 12) | ((p[2] & 63u) << 6) | (p[3] & 63u), n = 4;
    else if (cp >= 0xE0 && p[1] && p[2])
      cp = ((cp & 15u) << 12) | ((p[1] & 63u) << 6) | (p[2] & 63u), n = 3;
    else if (cp >= 0xC0 && p[1])
      cp = ((cp & 31u) << 6) | (p[1] & 63u), n = 2;
    bool cjk = (cp >= 0x3040 && cp <= 0x30FF) || (cp >= 0x3400 && cp <= 0x9FFF) ||
               (cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0xF900 && cp <= 0xFAFF);
    if (cjk) {
      words++;
      in_word = false;
    } else if (cp < 0x80 && (is_space((unsigned char)cp) || ispunct((int)cp))) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      words++;
    }
    p += n;
  }
  return words;
}

static int32_t quality(const riptide_document *d, uint32_t paragraphs, double ld)
{
  if (!d->text)
    return d->title ? 10 : 0;
  double q = 0;
  q += d->word_count >= 400 ? 45 : d->word_count * 45.0 / 400.0;
  q += paragraphs >= 5 ? 20 : paragraphs * 4.0;
  q += d->title ? 10 : 0;
  q += (1.0 - ld) * 15;
  q += (d->byline ? 3 : 0) + (d->date ? 4 : 0) + (d->language ? 3 : 0);
  if (d->word_count < 50 && q > 25)
    q = 25;
  if (q > 100)
    q = 100;
  return (int32_t)(q + 0.5);
}

/* ---- the entry point ---------------------------------------------------------------------- */

static char *take(fb_buf *b)
{
  if (!b->p)
    return strdup("");
  /* Trim trailing newlines and spaces. */
  while (b->len && (b->p[b->len - 1] == '\n' || b->p[b->len - 1] == ' '))
    b->p[--b->len] = '\0';
  char *p = b->p;
  b->p = NULL;
  return p;
}

/* XPath steps allowed per element of the tree (libxml2 counts them in opCount): a selector's
 * cost is linear in the tree, and this stops one that is not (e.g. deep descendant chains). */
#define FB_XPATH_OPS_PER_NODE 2000ul

static riptide_err select_custom(xmlDoc *doc, const char *selector, size_t n_elements,
                                 xmlNode ***out, size_t *n)
{
  char xp[FB_XPATH_MAX];
  if (!selector || !fb_css_to_xpath(selector, xp, sizeof xp))
    return RIPTIDE_ERR_SELECTOR;
  xmlXPathContext *ctx = xmlXPathNewContext(doc);
  if (!ctx)
    return RIPTIDE_ERR_NOMEM;
#if LIBXML_VERSION >= 20911
  ctx->opLimit = FB_XPATH_OPS_PER_NODE * (n_elements + 1000);
#else
  (void)n_elements;
#endif
  xmlXPathObject *res = xmlXPathEvalExpression((const xmlChar *)xp, ctx);
  if (!res) {
#if LIBXML_VERSION >= 20911
    bool limit = ctx->opLimit && ctx->opCount > ctx->opLimit;
#else
    bool limit = false;
#endif
    xmlXPathFreeContext(ctx);
    return limit ? RIPTIDE_ERR_TIMEOUT : RIPTIDE_ERR_SELECTOR;
  }
  riptide_err err = RIPTIDE_OK;
  *out = NULL;
  *n = 0;
  if (res->type == XPATH_NODESET && res->nodesetval && res->nodesetval->nodeNr > 0) {
    int k = res->nodesetval->nodeNr;
    *out = calloc((size_t)k, sizeof **out);
    if (!*out) {
      err = RIPTIDE_ERR_NOMEM;
    } else {
      /* Matches come in document order; a match inside another one is rendered with its
       * ancestor, so it is skipped. Marking the chosen ones (fb_info.chosen) keeps this
       * linear in matches x depth. */
      for (int i = 0; i < k; i++) {
        xmlNode *node = res->nodesetval->nodeTab[i];
        if (!is_el(node))
          continue;
        bool nested = false;
        for (xmlNode *a = node->parent; a && !nested; a = a->parent)
          nested = info_of(a) && info_of(a)->chosen;
        if (nested)
          continue;
        if (info_of(node))
          info_of(node)->chosen = true;
        (*out)[(*n)++] = node;
      }
    }
  }
  xmlXPathFreeObject(res);
  xmlXPathFreeContext(ctx);
  return err;
}

/* Visible characters of a text (bytes that are not ASCII whitespace). */
static size_t visible_len(const char *s)
{
  size_t n = 0;
  for (; s && *s; s++)
    n += !is_space((unsigned char)*s);
  return n;
}

/* One content pass over a parsed tree: junk removal (strict: also by class/id names and ARIA
 * roles), statistics, the choice of nodes for the mode, and rendering into d (text, markdown,
 * html, links, media). Owns and frees everything it allocates except what it puts in d. */
static riptide_err content_pass(xmlDoc *doc, xmlNode *root, const riptide_options *opts,
                                const fb_limits *lim, const char *base, bool strict,
                                riptide_document *d, uint32_t *paragraphs, double *ld_out,
                                uint32_t *truncated)
{
  riptide_err err = RIPTIDE_OK;
  fb_arena ar = {0};
  fb_cands cs = {0};
  xmlNode **chosen = NULL;
  size_t n_chosen = 0;
  fb_render r;
  memset(&r, 0, sizeof r);
  r.md.max = r.txt.max = lim->max_output ? (size_t)lim->max_output : SIZE_MAX;
  r.deadline_ns = lim->deadline_ns;
  double ld = 0;
  {
    remove_junk((xmlNode *)doc, opts->mode, strict, false, 0);
    ar.cap = count_elements((xmlNode *)doc, 0) + 1;
    ar.items = calloc(ar.cap, sizeof *ar.items);
    if (!ar.items) {
      err = RIPTIDE_ERR_NOMEM;
      goto done;
    }
    stats((xmlNode *)doc, &ar, false, 0);
    if (past(lim)) {
      err = RIPTIDE_ERR_TIMEOUT;
      goto done;
    }
    xmlNode *body = find_first((xmlNode *)doc, "body", 0);
    if (!body)
      body = root;

    if (opts->mode == RIPTIDE_MODE_CUSTOM) {
      err = select_custom(doc, opts->selector, ar.cap, &chosen, &n_chosen);
      if (err != RIPTIDE_OK)
        goto done;
    } else if (opts->mode == RIPTIDE_MODE_FULL) {
      chosen = calloc(1, sizeof *chosen);
      if (!chosen) {
        err = RIPTIDE_ERR_NOMEM;
        goto done;
      }
      chosen[n_chosen++] = body;
    } else {
      score_walk(body, &cs, 0);
      xmlNode *best = NULL;
      double best_score = 0;
      for (size_t i = 0; i < cs.n; i++) {
        fb_info *ci = info_of(cs.v[i]);
        ci->score *= 1.0 - link_density(cs.v[i]);
        if (!best || ci->score > best_score) {
          best = cs.v[i];
          best_score = ci->score;
        }
      }
      if (!best)
        best = body;
      /* A parent that holds most of the text is often the real container. */
      xmlNode *p = best->parent;
      if (is_el(p) && !name_is(p, "body") && !name_is(p, "html")) {
        fb_info *pi = info_of(p), *bi = info_of(best);
        if (pi && bi && pi->scored && pi->score >= best_score * 0.75 && bi->text_len < 500) {
          best = p;
          best_score = pi->score;
        }
      }
      chosen = calloc(64, sizeof *chosen);
      if (!chosen) {
        err = RIPTIDE_ERR_NOMEM;
        goto done;
      }
      double threshold = best_score * 0.2 > 10 ? best_score * 0.2 : 10;
      xmlNode *parent = best->parent;
      if (best == body || !is_el(parent)) {
        chosen[n_chosen++] = best;
      } else {
        for (xmlNode *s = parent->children; s; s = s->next) {
          if (!is_el(s))
            continue;
          bool keep = s == best;
          fb_info *si = info_of(s);
          if (!keep && si) {
            if (si->scored && si->score >= threshold)
              keep = true;
            else if (name_is(s, "p")) {
              double sld = link_density(s);
              if (si->text_len > 80 && sld < 0.25)
                keep = true;
            }
          }
          if (keep && n_chosen < 64)
            chosen[n_chosen++] = s;
        }
      }
      if (info_of(best))
        ld = link_density(best);
    }

    r.clean = opts->mode == RIPTIDE_MODE_ARTICLE;
    r.want_md = opts->want_markdown;
    r.want_links = opts->want_links;
    r.want_media = opts->want_media;
    r.base = base;
    r.doc = d;
    if (past(lim)) {
      err = RIPTIDE_ERR_TIMEOUT;
      goto done;
    }
    for (size_t i = 0; i < n_chosen; i++) {
      render_node(&r, chosen[i], 0);
      block_break(&r);
    }
    if (r.clean && visible_len(r.txt.p) < FB_RETRY_BELOW) {
      /* Cleaning took nearly everything: the content itself is link-heavy. Render it whole. */
      size_t total = 0;
      for (size_t i = 0; i < n_chosen; i++)
        total += info_of(chosen[i]) ? info_of(chosen[i])->text_len : 0;
      if (total >= FB_RETRY_BELOW) {
        for (size_t i = 0; i < d->n_links; i++) {
          free(d->links[i].href);
          free(d->links[i].text);
        }
        for (size_t i = 0; i < d->n_media; i++) {
          free(d->media[i].src);
          free(d->media[i].alt);
          free(d->media[i].kind);
        }
        d->n_links = d->n_media = 0;
        r.md.len = r.txt.len = 0;
        r.pending_space = false;
        r.paragraphs = 0;
        r.clean = false;
        for (size_t i = 0; i < n_chosen; i++) {
          render_node(&r, chosen[i], 0);
          block_break(&r);
        }
      }
    }
    if (r.timed_out) {
      err = RIPTIDE_ERR_TIMEOUT;
      goto done;
    }
    if (r.nomem || r.md.nomem || r.txt.nomem) {
      err = RIPTIDE_ERR_NOMEM;
      goto done;
    }
    /* The cap is on the whole result, as for the guest's. */
    if (r.md.overflow || r.txt.overflow ||
        (lim->max_output && r.md.len + r.txt.len > lim->max_output)) {
      err = RIPTIDE_ERR_OUTPUT_TOO_LARGE;
      goto done;
    }
    d->text = take(&r.txt);
    if (opts->want_markdown)
      d->markdown = take(&r.md);
    if (!d->text || (opts->want_markdown && !d->markdown)) {
      err = RIPTIDE_ERR_NOMEM;
      goto done;
    }
    if (opts->want_html) {
      xmlBuffer *xb = xmlBufferCreate();
      if (!xb) {
        err = RIPTIDE_ERR_NOMEM;
        goto done;
      }
      for (size_t i = 0; i < n_chosen; i++)
        htmlNodeDump(xb, doc, chosen[i]);
      size_t hl = xmlBufferLength(xb) > 0 ? (size_t)xmlBufferLength(xb) : 0;
      if (lim->max_output && r.md.len + r.txt.len + hl > lim->max_output) {
        xmlBufferFree(xb);
        err = RIPTIDE_ERR_OUTPUT_TOO_LARGE;
        goto done;
      }
      d->html = strdup(xmlBufferContent(xb) ? (const char *)xmlBufferContent(xb) : "");
      xmlBufferFree(xb);
      if (!d->html) {
        err = RIPTIDE_ERR_NOMEM;
        goto done;
      }
    }
  }
  *truncated |= r.truncated;
  *paragraphs = r.paragraphs;
  *ld_out = ld;
done:
  free(r.md.p);
  free(r.txt.p);
  free(chosen);
  free(cs.v);
  free(ar.items);
  return err;
}

/* Moves the content fields of src into dst and dst's old ones into src (freed with it). */
static void swap_content(riptide_document *dst, riptide_document *src)
{
  riptide_document tmp = *dst;
  dst->text = src->text, src->text = tmp.text;
  dst->markdown = src->markdown, src->markdown = tmp.markdown;
  dst->html = src->html, src->html = tmp.html;
  dst->links = src->links, src->links = tmp.links;
  dst->n_links = src->n_links, src->n_links = tmp.n_links;
  dst->media = src->media, src->media = tmp.media;
  dst->n_media = src->n_media, src->n_media = tmp.n_media;
}

void riptide_native_limits_init(riptide_native_limits *l)
{
  if (!l)
    return;
  memset(l, 0, sizeof *l);
  l->timeout_ms = RT_DEFAULT_TIMEOUT_MS;
  l->memory_cap_bytes = RT_DEFAULT_MEMORY_CAP;
  l->max_input_bytes = RT_DEFAULT_MAX_INPUT;
  l->max_output_bytes = 0;
}

void fb_limits_resolve(const riptide_native_limits *in, size_t len, fb_limits *lim)
{
  riptide_native_limits dflt;
  if (!in) {
    riptide_native_limits_init(&dflt);
    in = &dflt;
  }
  lim->deadline_ns = in->timeout_ms ? fb_now_ns() + (uint64_t)in->timeout_ms * 1000000ull : 0;
  lim->memory_cap = in->memory_cap_bytes;
  lim->max_output = in->max_output_bytes
                        ? in->max_output_bytes
                        : RT_DEFAULT_MAX_OUTPUT + (uint64_t)RT_OUTPUT_PER_INPUT_BYTE * len;
}

riptide_err riptide_extract_native(const char *html, size_t len, const char *url,
                                   const riptide_options *opts, riptide_document **out)
{
  return riptide_extract_native_limited(html, len, url, opts, NULL, out);
}

riptide_err riptide_extract_native_limited(const char *html, size_t len, const char *url,
                                           const riptide_options *opts,
                                           const riptide_native_limits *lim, riptide_document **out)
{
  if (!out)
    return RIPTIDE_ERR_INVALID_ARG;
  *out = NULL;
  if (!html && len > 0)
    return RIPTIDE_ERR_INVALID_ARG;
  uint64_t max_in = lim ? lim->max_input_bytes : RT_DEFAULT_MAX_INPUT;
  if (max_in && len > max_in)
    return RIPTIDE_ERR_INPUT_TOO_LARGE;
  fb_limits l;
  fb_limits_resolve(lim, len, &l);
  return fb_extract(html ? html : "", len, url, opts, &l, out);
}

riptide_err fb_extract(const char *html, size_t len, const char *url, const riptide_options *opts,
                       const fb_limits *lim, riptide_document **out)
{
  *out = NULL;
  riptide_options defaults;
  if (!opts) {
    riptide_options_init(&defaults);
    opts = &defaults;
  }
  if ((unsigned)opts->mode > RIPTIDE_MODE_CUSTOM)
    return RIPTIDE_ERR_UNSUPPORTED;
  if (len > (size_t)INT32_MAX)
    return RIPTIDE_ERR_INPUT_TOO_LARGE;
  uint64_t t0 = now_ns();
  pthread_once(&xml_once, xml_init);

  riptide_document *d = riptide_document_new();
  if (!d)
    return RIPTIDE_ERR_NOMEM;
  d->engine = "native";
  if (url && !(d->url = strdup(url))) {
    riptide_document_free(d);
    return RIPTIDE_ERR_NOMEM;
  }

  /* An empty or whitespace-only input is a document with no content, not an error. */
  xmlDoc *doc = NULL;
  uint32_t truncated = 0;
  riptide_err err = RIPTIDE_OK;
  if (len > 0 && (err = fb_parse(html, len, url, lim, &doc, &truncated)) != RIPTIDE_OK) {
    riptide_document_free(d);
    return err;
  }
  xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
  fb_meta m;
  memset(&m, 0, sizeof m);
  uint32_t paragraphs = 0;
  fb_render r; /* only for add_media of og:image below */
  memset(&r, 0, sizeof r);
  char *base = NULL;
  char *og_image = NULL;
  double ld = 0;

  if (root) {
    collect_meta(&m, (xmlNode *)doc, 0);
    /* A page without a URL (a local file) takes its absolute canonical URL as its address,
     * as the guest extractor does (src/guest/extract/metadata.c).
     * The canonical string lives in <head>, which junk removal frees: only the copy in `base`
     * is kept, `url` stays the caller's. */
    const char *page = url;
    const char *canon = m.canonical ? m.canonical : m.og_url;
    if (!page && canon) {
      while (*canon == ' ' || *canon == '\t' || *canon == '\n' || *canon == '\r')
        canon++;
      if (strncasecmp(canon, "http://", 7) == 0 || strncasecmp(canon, "https://", 8) == 0)
        page = canon;
    }
    base = page ? strdup(page) : NULL;
    if (m.base_href) {
      char *b = resolve(base, m.base_href);
      if (b) {
        free(base);
        base = b;
      }
    }
  }
  if (root && (err = fill_metadata(d, &m, base)) != RIPTIDE_OK)
    goto done;
  if (past(lim)) {
    err = RIPTIDE_ERR_TIMEOUT;
    goto done;
  }
  /* Resolved now: junk removal below frees <head>, where m's borrowed strings live. */
  if (root && m.og_image)
    og_image = resolve(base, m.og_image);
  m.og_image = NULL;

  if (root && opts->mode != RIPTIDE_MODE_METADATA) {
    err = content_pass(doc, root, opts, lim, base, true, d, &paragraphs, &ld, &truncated);
    if (err != RIPTIDE_OK)
      goto done;
    /* Like Readability's retry: when the strict pass found little, the class/id heuristics
     * probably removed the content's container; parse again and keep the longer result.
     * The first tree is freed first (everything kept from it is copied), so the two never
     * take memory at once; the second parse runs under the same deadline. */
    if (opts->mode == RIPTIDE_MODE_ARTICLE && visible_len(d->text) < FB_RETRY_BELOW) {
      xmlFreeDoc(doc);
      doc = NULL;
      root = NULL;
      xmlDoc *doc2 = NULL;
      uint32_t trunc2 = 0;
      err = fb_parse(html, len, url, lim, &doc2, &trunc2);
      xmlNode *root2 = doc2 ? xmlDocGetRootElement(doc2) : NULL;
      riptide_document *d2 = root2 ? riptide_document_new() : NULL;
      uint32_t p2 = 0;
      double ld2 = 0;
      if (err == RIPTIDE_OK && root2 && !d2)
        err = RIPTIDE_ERR_NOMEM;
      if (d2 && err == RIPTIDE_OK)
        err = content_pass(doc2, root2, opts, lim, base, false, d2, &p2, &ld2, &trunc2);
      if (err == RIPTIDE_OK && d2 && visible_len(d2->text) > visible_len(d->text)) {
        swap_content(d, d2);
        paragraphs = p2;
        ld = ld2;
        truncated = trunc2;
      }
      riptide_document_free(d2);
      if (doc2)
        xmlFreeDoc(doc2);
      /* Only the limits of the call end it; a retry that merely found nothing is ignored. */
      if (err != RIPTIDE_ERR_TIMEOUT && err != RIPTIDE_ERR_MEMORY_LIMIT && err != RIPTIDE_ERR_NOMEM)
        err = RIPTIDE_OK;
      if (err != RIPTIDE_OK)
        goto done;
    }
  }
  if (opts->want_media && og_image && opts->mode != RIPTIDE_MODE_METADATA) {
    r.doc = d;
    if (d->n_media == 0 && !add_media(&r, og_image, NULL, "image"))
      err = RIPTIDE_ERR_NOMEM;
  }
  d->truncated = truncated | r.truncated;
  if (opts->mode != RIPTIDE_MODE_METADATA && !d->text) {
    /* No tree (empty input): content modes still give empty strings, not absent fields. */
    d->text = strdup("");
    if (opts->want_markdown)
      d->markdown = strdup("");
    if (!d->text || (opts->want_markdown && !d->markdown))
      err = RIPTIDE_ERR_NOMEM;
  }
  if (d->text) {
    d->word_count = count_words(d->text);
    d->reading_time = (d->word_count + 229) / 230;
  }
  d->quality_score = quality(d, paragraphs, ld);
  if (err == RIPTIDE_OK && past(lim))
    err = RIPTIDE_ERR_TIMEOUT;

done:
  free(base);
  free(og_image);
  meta_free(&m);
  if (doc)
    xmlFreeDoc(doc);
  if (err != RIPTIDE_OK) {
    riptide_document_free(d);
    return err;
  }
  d->extract_ns = now_ns() - t0;
  *out = d;
  return RIPTIDE_OK;
}
