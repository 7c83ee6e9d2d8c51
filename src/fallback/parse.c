/*
 * parse.c - libxml2's HTML parser, bounded: the native engine's only way to build a tree.
 *
 * DESIGN
 * libxml2 is not written for hostile input at our sizes: its duplicate-attribute check is
 * quadratic in the attributes of one element (150,000 attributes took 47 s), an end tag walks
 * the whole stack of open elements (quadratic on deep pages), and without XML_PARSE_HUGE it
 * silently drops everything past depth 256 and cuts text nodes at 10 MB. So the bytes go
 * through a linear pre-pass on their way into libxml2's push parser, and the tree is built by
 * our own wrappers of libxml2's SAX2 tree builder:
 *
 *  - The feeder (fb_feed) scans the input once, token by token (start tag, end tag, comment,
 *    text; <script> and <style> as raw text), and passes it to htmlParseChunk in pieces of
 *    about FB_CHUNK bytes, each token whole. A start tag with more than FB_MAX_ATTRS
 *    attributes is cut after the last one kept. A start tag that would take libxml2's stack
 *    of open elements past FB_FEED_DEPTH is not passed on (nor the end tag that closes it):
 *    libxml2's stack is known exactly, because every push and pop of it is a SAX call we see,
 *    and the feeder hands libxml2 the bytes before a start tag whenever the stack could be
 *    near the limit. Its text is kept: only the elements are left out.
 *  - The SAX wrappers count libxml2's stack (depth), create no element deeper than
 *    FB_TREE_DEPTH (deeper content is attached to the element at that depth: its text stays,
 *    its structure is flattened), create no comment or processing-instruction nodes (junk
 *    removal would drop them), and charge every node, attribute and text byte to the call's
 *    memory budget.
 *  - Deadline and memory are checked in the SAX callbacks (every FB_CLOCK_EVERY events) and
 *    between chunks; when one is passed, xmlStopParser() ends the parse at once and the call
 *    returns RIPTIDE_ERR_TIMEOUT or RIPTIDE_ERR_MEMORY_LIMIT: never a hang, never a half tree
 *    presented as whole.
 *  - XML_PARSE_HUGE is on: the limits that matter are ours, and they are reported.
 *
 * Memory: the budget charges libxml2's copy of the input (its push buffer), each element
 * (FB_NODE_COST: an xmlNode plus allocator overhead and its name), each attribute (an xmlAttr,
 * its text child and value) and each text byte twice (libxml2 grows text nodes by doubling).
 * These are the allocations the tree is made of, so the estimate tracks the real heap within
 * a small factor; the tests compare it with the process's peak RSS.
 *
 * Every call owns its parser context; nothing is shared between calls (thread-safe).
 */
#include "fallback/fallback.h"

#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/parserInternals.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define FB_CHUNK (64u << 10)
#define FB_CLOCK_EVERY 64
/* Per-element and per-attribute charges, in bytes (sizeof(xmlNode) is 120, sizeof(xmlAttr)
 * 96, plus malloc's 16-byte header). */
#define FB_NODE_COST 144u
#define FB_ATTR_COST (112u + FB_NODE_COST)
/* Slack under FB_FEED_DEPTH for the elements libxml2 implies (html, body, p). */
#define FB_FEED_SLACK 4u
/* Distinct names whose left-out start tags are remembered, so their end tags are left out
 * too (a power of two). */
#define FB_DROP_SLOTS 256u

uint64_t fb_now_ns(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

typedef struct fb_parse_state {
  const fb_limits *lim;
  uint32_t depth;     /* libxml2's stack of open elements, as its SAX calls push and pop it */
  uint64_t mem;       /* bytes charged */
  uint32_t events;    /* SAX calls since the last clock read */
  uint32_t truncated; /* RIPTIDE_TRUNC_* */
  riptide_err stop;   /* why the parse was stopped (OK = not stopped) */
} fb_parse_state;

static fb_parse_state *state_of(void *ctx)
{
  return (fb_parse_state *)((htmlParserCtxtPtr)ctx)->_private;
}

static void halt(void *ctx, fb_parse_state *st, riptide_err why)
{
  if (st->stop == RIPTIDE_OK)
    st->stop = why;
  xmlStopParser((htmlParserCtxtPtr)ctx);
}

/* Charges `bytes` and checks the limits now and then. Returns false when the parse stops. */
static bool charge(void *ctx, fb_parse_state *st, uint64_t bytes)
{
  if (st->stop != RIPTIDE_OK)
    return false;
  st->mem += bytes;
  if (st->lim->memory_cap && st->mem > st->lim->memory_cap) {
    halt(ctx, st, RIPTIDE_ERR_MEMORY_LIMIT);
    return false;
  }
  if (++st->events >= FB_CLOCK_EVERY) {
    st->events = 0;
    if (st->lim->deadline_ns && fb_now_ns() > st->lim->deadline_ns) {
      halt(ctx, st, RIPTIDE_ERR_TIMEOUT);
      return false;
    }
  }
  return true;
}

static void sax_start(void *ctx, const xmlChar *name, const xmlChar **atts)
{
  fb_parse_state *st = state_of(ctx);
  uint32_t d = st->depth++;
  uint64_t cost = FB_NODE_COST + (name ? strlen((const char *)name) : 0);
  for (size_t i = 0; atts && atts[i]; i += 2)
    cost += FB_ATTR_COST + strlen((const char *)atts[i]) +
            (atts[i + 1] ? strlen((const char *)atts[i + 1]) : 0);
  if (d >= FB_TREE_DEPTH) {
    st->truncated |= RIPTIDE_TRUNC_DEPTH;
    charge(ctx, st, 0);
    return;
  }
  if (charge(ctx, st, cost))
    xmlSAX2StartElement(ctx, name, atts);
}

static void sax_end(void *ctx, const xmlChar *name)
{
  fb_parse_state *st = state_of(ctx);
  if (st->depth == 0)
    return;
  uint32_t d = --st->depth;
  if (d >= FB_TREE_DEPTH || st->stop != RIPTIDE_OK)
    return;
  xmlSAX2EndElement(ctx, name);
}

static void sax_text(void *ctx, const xmlChar *ch, int len)
{
  fb_parse_state *st = state_of(ctx);
  htmlParserCtxtPtr c = ctx;
  uint64_t cost = 2 * (uint64_t)(len > 0 ? len : 0);
  if (!(c->node && c->node->last && c->node->last->type == XML_TEXT_NODE))
    cost += FB_NODE_COST;
  if (charge(ctx, st, cost))
    xmlSAX2Characters(ctx, ch, len);
}

static void sax_cdata(void *ctx, const xmlChar *ch, int len)
{
  fb_parse_state *st = state_of(ctx);
  if (charge(ctx, st, FB_NODE_COST + 2 * (uint64_t)(len > 0 ? len : 0)))
    xmlSAX2CDataBlock(ctx, ch, len);
}

/* ---- the feeder --------------------------------------------------------------------------- */

typedef struct fb_drop {
  char name[16];
  uint32_t count;
} fb_drop;

typedef struct fb_feed {
  htmlParserCtxtPtr ctxt;
  fb_parse_state *st;
  const char *s;
  size_t len;
  size_t seg;       /* s[seg..] has not been handed to libxml2 yet */
  uint32_t pending; /* start tags in s[seg..i) (libxml2 has not seen them) */
  fb_drop drops[FB_DROP_SLOTS];
} fb_feed;

static bool fed_ok(const fb_feed *f)
{
  return f->st->stop == RIPTIDE_OK && f->ctxt->instate != XML_PARSER_EOF;
}

static void push(fb_feed *f, const char *p, size_t n, bool terminate)
{
  while (fed_ok(f) && (n > 0 || terminate)) {
    int k = n > FB_CHUNK * 64 ? (int)(FB_CHUNK * 64) : (int)n;
    bool last = (size_t)k == n;
    htmlParseChunk(f->ctxt, p, k, terminate && last);
    if (last)
      break;
    p += k;
    n -= (size_t)k;
  }
  if (f->st->stop == RIPTIDE_OK && f->st->lim->deadline_ns && fb_now_ns() > f->st->lim->deadline_ns)
    halt(f->ctxt, f->st, RIPTIDE_ERR_TIMEOUT);
}

/* Hands s[seg..end) to libxml2. */
static void flush_to(fb_feed *f, size_t end)
{
  if (end > f->seg)
    push(f, f->s + f->seg, end - f->seg, false);
  f->seg = end;
  f->pending = 0;
}

static bool is_alpha(unsigned char c)
{
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

static bool is_ws(unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* The lower-case name at s[i..), cut to 15 bytes, in out; returns the index after the name. */
static size_t tag_name(const fb_feed *f, size_t i, char out[16])
{
  size_t k = 0;
  while (i < f->len && !is_ws((unsigned char)f->s[i]) && f->s[i] != '>' && f->s[i] != '/') {
    if (k < 15)
      out[k++] = (char)((unsigned char)f->s[i] | ((f->s[i] >= 'A' && f->s[i] <= 'Z') ? 0x20 : 0));
    i++;
  }
  out[k] = '\0';
  return i;
}

static bool in_names(const char *n, const char *const *list)
{
  for (; *list; list++)
    if (strcmp(n, *list) == 0)
      return true;
  return false;
}

/* Elements libxml2 closes as soon as it opens them: they never deepen its stack. */
static const char *const VOID_TAGS[] = {"area",  "base",  "basefont", "br",    "col",     "embed",
                                        "frame", "hr",    "img",      "input", "isindex", "link",
                                        "meta",  "param", "source",   "track", "wbr",     NULL};

static fb_drop *drop_slot(fb_feed *f, const char *name, bool create)
{
  uint32_t h = 2166136261u;
  for (const char *c = name; *c; c++)
    h = (h ^ (unsigned char)*c) * 16777619u;
  for (uint32_t k = 0; k < FB_DROP_SLOTS; k++) {
    fb_drop *d = &f->drops[(h + k) & (FB_DROP_SLOTS - 1)];
    if (d->name[0] == '\0') {
      if (!create)
        return NULL;
      memcpy(d->name, name, strlen(name) + 1);
      return d;
    }
    if (strcmp(d->name, name) == 0)
      return d;
  }
  return NULL;
}

/* Index of the first case-insensitive "</name" at or after i, or len. */
static size_t find_end_tag(const fb_feed *f, size_t i, const char *name)
{
  size_t nl = strlen(name);
  while (i < f->len) {
    const char *lt = memchr(f->s + i, '<', f->len - i);
    if (!lt)
      return f->len;
    i = (size_t)(lt - f->s);
    if (i + 2 + nl <= f->len && f->s[i + 1] == '/' && strncasecmp(f->s + i + 2, name, nl) == 0)
      return i;
    i++;
  }
  return f->len;
}

/* A start tag at s[i] ('<' then a letter). Returns the index after it. */
static size_t start_tag(fb_feed *f, size_t i)
{
  char name[16];
  size_t p = tag_name(f, i + 1, name);
  /* Attributes, as libxml2 reads them: a name, optionally = and a quoted or bare value. */
  uint32_t n_attrs = 0;
  size_t cut = 0; /* end of the last attribute kept, when some are left out */
  bool self_closing = false, closed = false;
  size_t end = f->len;
  while (p < f->len) {
    unsigned char c = (unsigned char)f->s[p];
    if (is_ws(c)) {
      p++;
      continue;
    }
    if (c == '>') {
      end = p + 1;
      closed = true;
      break;
    }
    if (c == '/') {
      if (p + 1 < f->len && f->s[p + 1] == '>') {
        self_closing = closed = true;
        end = p + 2;
        break;
      }
      p++;
      continue;
    }
    while (p < f->len && !is_ws((unsigned char)f->s[p]) && f->s[p] != '>' && f->s[p] != '=' &&
           !(f->s[p] == '/' && p + 1 < f->len && f->s[p + 1] == '>'))
      p++;
    size_t q = p;
    while (q < f->len && is_ws((unsigned char)f->s[q]))
      q++;
    if (q < f->len && f->s[q] == '=') {
      q++;
      while (q < f->len && is_ws((unsigned char)f->s[q]))
        q++;
      if (q < f->len && (f->s[q] == '"' || f->s[q] == '\'')) {
        const char *close = memchr(f->s + q + 1, f->s[q], f->len - q - 1);
        q = close ? (size_t)(close - f->s) + 1 : f->len;
      } else {
        while (q < f->len && !is_ws((unsigned char)f->s[q]) && f->s[q] != '>')
          q++;
      }
      p = q;
    }
    if (++n_attrs == FB_MAX_ATTRS)
      cut = p;
  }

  bool deepens = !self_closing && !in_names(name, VOID_TAGS);
  if (deepens && f->st->depth + f->pending + FB_FEED_SLACK >= FB_FEED_DEPTH) {
    flush_to(f, i); /* now libxml2's stack is known exactly */
    if (f->st->depth + FB_FEED_SLACK >= FB_FEED_DEPTH) {
      f->st->truncated |= RIPTIDE_TRUNC_DEPTH;
      fb_drop *d = drop_slot(f, name, true);
      if (d)
        d->count++;
      f->seg = end;
      return end;
    }
  }
  if (n_attrs > FB_MAX_ATTRS) {
    f->st->truncated |= RIPTIDE_TRUNC_ATTRIBUTES;
    flush_to(f, cut);
    if (closed) /* an unterminated tag stays unterminated */
      push(f, self_closing ? "/>" : ">", self_closing ? 2 : 1, false);
    f->seg = end;
  } else if (end - i > FB_CHUNK) {
    flush_to(f, i); /* a large tag goes to libxml2 whole, on its own */
    flush_to(f, end);
  }
  if (deepens)
    f->pending++;
  if (deepens && (strcmp(name, "script") == 0 || strcmp(name, "style") == 0))
    return find_end_tag(f, end, name);
  return end;
}

/* An end tag at s[i] ("</"). Returns the index after it. */
static size_t end_tag(fb_feed *f, size_t i)
{
  char name[16];
  tag_name(f, i + 2, name);
  const char *gt = memchr(f->s + i, '>', f->len - i);
  size_t end = gt ? (size_t)(gt - f->s) + 1 : f->len;
  fb_drop *d = name[0] ? drop_slot(f, name, false) : NULL;
  if (d && d->count > 0) {
    d->count--;
    flush_to(f, i);
    f->seg = end;
  }
  return end;
}

static void feed_all(fb_feed *f)
{
  size_t i = 0;
  while (i < f->len && fed_ok(f)) {
    const char *lt = memchr(f->s + i, '<', f->len - i);
    size_t t = lt ? (size_t)(lt - f->s) : f->len;
    if (t - f->seg >= FB_CHUNK)
      flush_to(f, t);
    i = t;
    if (i + 1 >= f->len)
      break;
    unsigned char c = (unsigned char)f->s[i + 1];
    if (c == '!') {
      const char *e;
      if (i + 4 <= f->len && memcmp(f->s + i, "<!--", 4) == 0) {
        e = i + 4 < f->len ? memmem(f->s + i + 4, f->len - i - 4, "-->", 3) : NULL;
        i = e ? (size_t)(e - f->s) + 3 : f->len;
      } else {
        e = memchr(f->s + i, '>', f->len - i);
        i = e ? (size_t)(e - f->s) + 1 : f->len;
      }
    } else if (c == '?') {
      const char *e = memchr(f->s + i, '>', f->len - i);
      i = e ? (size_t)(e - f->s) + 1 : f->len;
    } else if (c == '/') {
      i = end_tag(f, i);
    } else if (is_alpha(c)) {
      i = start_tag(f, i);
    } else {
      i++;
    }
    if (i - f->seg >= FB_CHUNK)
      flush_to(f, i);
  }
  flush_to(f, f->len);
  if (fed_ok(f))
    push(f, NULL, 0, true);
}

riptide_err fb_parse(const char *html, size_t len, const char *url, const fb_limits *lim,
                     xmlDoc **out, uint32_t *truncated)
{
  *out = NULL;
  fb_parse_state st = {.lim = lim};
  /* libxml2's push buffer holds a copy of the input. */
  st.mem = len;
  if (lim->memory_cap && st.mem > lim->memory_cap)
    return RIPTIDE_ERR_MEMORY_LIMIT;
  xmlSAXHandler sax;
  memset(&sax, 0, sizeof sax);
  xmlSAX2InitHtmlDefaultSAXHandler(&sax);
  sax.startElement = sax_start;
  sax.endElement = sax_end;
  sax.characters = sax_text;
  sax.ignorableWhitespace = sax_text;
  sax.cdataBlock = sax_cdata;
  sax.comment = NULL;
  sax.processingInstruction = NULL;
  sax.error = NULL;
  sax.warning = NULL;
  htmlParserCtxtPtr ctxt =
      htmlCreatePushParserCtxt(&sax, NULL, NULL, 0, url, XML_CHAR_ENCODING_UTF8);
  if (!ctxt)
    return RIPTIDE_ERR_NOMEM;
  htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                               HTML_PARSE_NONET | HTML_PARSE_COMPACT | HTML_PARSE_IGNORE_ENC);
  ctxt->options |= XML_PARSE_HUGE;
  ctxt->_private = &st;

  fb_feed *f = calloc(1, sizeof *f);
  if (!f) {
    htmlFreeParserCtxt(ctxt);
    return RIPTIDE_ERR_NOMEM;
  }
  f->ctxt = ctxt;
  f->st = &st;
  f->s = html;
  f->len = len;
  feed_all(f);
  free(f);

  xmlDoc *doc = ctxt->myDoc;
  ctxt->myDoc = NULL;
  htmlFreeParserCtxt(ctxt);
  if (st.stop != RIPTIDE_OK) {
    if (doc)
      xmlFreeDoc(doc);
    return st.stop;
  }
  *out = doc;
  *truncated |= st.truncated;
  return RIPTIDE_OK;
}
