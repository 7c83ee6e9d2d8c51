/* text.c - visible-text serialisation, whitespace handling, word count, visibility tests, and
 * the DOM queries and marks that content selection, metadata and serialisation share (the
 * document's body, a child by tag, an image's URL, the static hidden/never-content marks,
 * Readability's text similarity): kept here so that those parts do not depend on each other. */
#include "guest/extract/ex_internal.h"

#include <string.h>

void ex_walk(const dom_node *root, bool (*enter)(void *, const dom_node *),
             void (*leave)(void *, const dom_node *), void *ctx)
{
  const dom_node *n = root ? root->first_child : NULL;
  while (n) {
    bool descend = enter(ctx, n);
    if (descend && n->first_child) {
      n = n->first_child;
      continue;
    }
    if (descend && leave && n->type == DOM_ELEMENT)
      leave(ctx, n);
    while (n) {
      if (n == root) {
        n = NULL;
        break;
      }
      if (n->next) {
        n = n->next;
        break;
      }
      n = n->parent;
      if (!n || n == root) {
        n = NULL;
        break;
      }
      if (leave)
        leave(ctx, n);
    }
  }
}

const char *ex_attr(const dom_node *n, const char *name, size_t nlen, size_t *len)
{
  for (uint32_t i = 0; i < n->n_attrs; i++) {
    const dom_attr *a = &n->attrs[i];
    if (a->name_len == nlen && memcmp(a->name, name, nlen) == 0) {
      if (len)
        *len = a->value_len;
      return a->value;
    }
  }
  return NULL;
}

const char *ex_class(const dom_node *n, size_t *len)
{
  size_t l = 0;
  const char *v = n->type == DOM_ELEMENT ? ex_attr(n, "class", 5, &l) : NULL;
  *len = v ? l : 0;
  return v ? v : "";
}

const char *ex_id(const dom_node *n, size_t *len)
{
  size_t l = 0;
  const char *v = n->type == DOM_ELEMENT ? ex_attr(n, "id", 2, &l) : NULL;
  *len = v ? l : 0;
  return v ? v : "";
}

/* Finds "prop:value" in an inline style, ignoring case and whitespace. */
static bool style_has(const char *st, size_t n, const char *prop, const char *value)
{
  char tmp[256];
  size_t k = 0;
  for (size_t i = 0; i < n && k + 1 < sizeof tmp; i++) {
    char c = st[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
      continue;
    tmp[k++] = ex_lower(c);
  }
  tmp[k] = '\0';
  char pat[64];
  size_t pl = strlen(prop), vl = strlen(value);
  if (pl + vl + 2 > sizeof pat)
    return false;
  memcpy(pat, prop, pl);
  pat[pl] = ':';
  memcpy(pat + pl + 1, value, vl);
  pat[pl + 1 + vl] = '\0';
  const char *hit = strstr(tmp, pat);
  while (hit) {
    /* must be at the start of a declaration: "display:none" not "xdisplay:none" */
    if (hit == tmp || hit[-1] == ';' || hit[-1] == '{')
      return true;
    hit = strstr(hit + 1, pat);
  }
  return false;
}

/* CSS utility classes that hide an element on screen: screen-reader-only text ("sr-only",
 * "visually-hidden", "screen-reader-text", also after a framework's prefix: "u-sr-only"),
 * print-only blocks, and Bootstrap's "d-none" unless
 * another display utility shows it at some width ("d-none d-md-block"). A "hidden" class is
 * not enough: scripts reveal such sections (galleries, "read more" boxes). */
static bool utility_hidden(const char *s, size_t n)
{
#define EX_WORD(w)                                                                                 \
  {                                                                                                \
    w, sizeof w - 1                                                                                \
  }
  static const struct {
    const char *w;
    size_t n;
  } words[] = {EX_WORD("sr-only"),
               EX_WORD("visually-hidden"),
               EX_WORD("visuallyhidden"),
               EX_WORD("screen-reader-text"),
               EX_WORD("screen-reader-only"),
               EX_WORD("show-for-sr")};
#undef EX_WORD
  enum { N_WORDS = sizeof words / sizeof words[0] };
  bool d_none = false, d_shown = false;
  size_t i = 0;
  while (i < n) {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
      i++;
    /* tokens end at a space (memchr: class lists can be long; a tab or newline between
     * two names is rare enough to leave them joined) */
    const char *sp = i < n ? memchr(s + i, ' ', n - i) : NULL;
    size_t e = sp ? (size_t)(sp - s) : n;
    size_t tl = e - i;
    char f = tl >= 6 ? ex_lower(s[i]) : 0; /* every word is 6+ bytes and starts with s or v */
    if (f == 's' || f == 'v') {
      for (size_t k = 0; k < N_WORDS; k++)
        if (ex_ieq(s + i, tl, words[k].w))
          return true;
    }
    /* the same after a framework's prefix: "u-visually-hidden", "h-sr-only", "wt-cli-sr-only"
     * (a word is compared only when the token ends with its last letter) */
    char last = tl >= 9 ? ex_lower(s[e - 1]) : 0;
    for (size_t k = 0; last && k < N_WORDS; k++) {
      size_t wl = words[k].n;
      if (words[k].w[wl - 1] == last && tl > wl + 1 && s[e - wl - 1] == '-' &&
          ex_ieq(s + e - wl, wl, words[k].w))
        return true;
    }
    if (tl > 2 && s[i] == 'd' && s[i + 1] == '-') {
      if (ex_ieq(s + i, tl, "d-none"))
        d_none = true;
      else if (!ex_icontains(s + i, tl, "none"))
        d_shown = true;
    }
    i = e;
  }
  return d_none && !d_shown;
}

bool ex_is_hidden(const dom_node *n)
{
  if (n->type != DOM_ELEMENT || !n->n_attrs)
    return false;
  /* one pass over the attributes (this runs on every element of every page) */
  const char *ah = NULL, *cls = NULL, *st = NULL, *type = NULL;
  size_t ahl = 0, cl = 0, stl = 0, typel = 0;
  for (uint32_t i = 0; i < n->n_attrs; i++) {
    const dom_attr *at = &n->attrs[i];
    const char *nm = at->name;
    switch (at->name_len) {
    case 4:
      if (!type && memcmp(nm, "type", 4) == 0)
        type = at->value, typel = at->value_len;
      break;
    case 5:
      if (!cls && memcmp(nm, "class", 5) == 0)
        cls = at->value, cl = at->value_len;
      else if (!st && memcmp(nm, "style", 5) == 0)
        st = at->value, stl = at->value_len;
      break;
    case 6:
      if (memcmp(nm, "hidden", 6) == 0)
        return true;
      break;
    case 11:
      if (!ah && memcmp(nm, "aria-hidden", 11) == 0)
        ah = at->value, ahl = at->value_len;
      break;
    default:
      break;
    }
  }
  if (ah && ex_ieq(ah, ahl, "true") && !(cls && ex_icontains(cls, cl, "fallback-image")))
    return true;
  if (cls && cl && utility_hidden(cls, cl))
    return true;
  if (st && stl &&
      (style_has(st, stl, "display", "none") || style_has(st, stl, "visibility", "hidden")))
    return true;
  /* an AMP lightbox is an overlay, display:none until the reader opens it */
  if (n->tag == HTML_TAG_UNKNOWN && n->name_len == 12 && memcmp(n->name, "amp-lightbox", 12) == 0)
    return true;
  if (dom_is(n, HTML_TAG_INPUT) && type && ex_ieq(type, typel, "hidden"))
    return true;
  return false;
}

bool ex_is_block_tag(const dom_node *n)
{
  if (n->type != DOM_ELEMENT || n->ns != DOM_NS_HTML)
    return false;
  switch (n->tag) {
  case HTML_TAG_ADDRESS:
  case HTML_TAG_ARTICLE:
  case HTML_TAG_ASIDE:
  case HTML_TAG_BLOCKQUOTE:
  case HTML_TAG_DETAILS:
  case HTML_TAG_DIALOG:
  case HTML_TAG_DD:
  case HTML_TAG_DIV:
  case HTML_TAG_DL:
  case HTML_TAG_DT:
  case HTML_TAG_FIELDSET:
  case HTML_TAG_FIGCAPTION:
  case HTML_TAG_FIGURE:
  case HTML_TAG_FOOTER:
  case HTML_TAG_FORM:
  case HTML_TAG_H1:
  case HTML_TAG_H2:
  case HTML_TAG_H3:
  case HTML_TAG_H4:
  case HTML_TAG_H5:
  case HTML_TAG_H6:
  case HTML_TAG_HEADER:
  case HTML_TAG_HGROUP:
  case HTML_TAG_HR:
  case HTML_TAG_LI:
  case HTML_TAG_MAIN:
  case HTML_TAG_NAV:
  case HTML_TAG_OL:
  case HTML_TAG_P:
  case HTML_TAG_PRE:
  case HTML_TAG_SECTION:
  case HTML_TAG_TABLE:
  case HTML_TAG_UL:
  case HTML_TAG_TR:
  case HTML_TAG_CAPTION:
  case HTML_TAG_SUMMARY:
  case HTML_TAG_CENTER:
  case HTML_TAG_MENU:
  case HTML_TAG_DIR:
  case HTML_TAG_LISTING:
  case HTML_TAG_XMP:
  case HTML_TAG_PLAINTEXT:
  case HTML_TAG_THEAD:
  case HTML_TAG_TBODY:
  case HTML_TAG_TFOOT:
  case HTML_TAG_BODY:
  case HTML_TAG_HTML:
  case HTML_TAG_LEGEND:
  case HTML_TAG_OPTION:
  case HTML_TAG_SEARCH:
  case HTML_TAG_IFRAME:
  case HTML_TAG_VIDEO:
  case HTML_TAG_AUDIO:
  case HTML_TAG_CANVAS:
    return true;
  default:
    return false;
  }
}

static bool never_tag(const dom_node *n)
{
  if (n->type != DOM_ELEMENT)
    return n->type != DOM_TEXT;
  /* MathML reads as its tokens, as a browser's text does (a formula inside a sentence is part
   * of it); its annotations are source (TeX, other markup), not text */
  if (n->ns == DOM_NS_MATHML)
    return n->tag == HTML_TAG_ANNOTATION_XML || (n->tag == HTML_TAG_UNKNOWN && n->name_len == 10 &&
                                                 memcmp(n->name, "annotation", 10) == 0);
  if (n->ns != DOM_NS_HTML)
    return n->tag == HTML_TAG_SVG || n->ns == DOM_NS_SVG;
  switch (n->tag) {
  case HTML_TAG_NOSCRIPT:
    return !(n->flags & EXF_SHOWN);
  case HTML_TAG_SCRIPT:
  case HTML_TAG_STYLE:
  case HTML_TAG_TEMPLATE:
  case HTML_TAG_HEAD:
  case HTML_TAG_TITLE:
  case HTML_TAG_META:
  case HTML_TAG_LINK:
  case HTML_TAG_BUTTON:
  case HTML_TAG_SELECT:
  case HTML_TAG_TEXTAREA:
  case HTML_TAG_INPUT:
  case HTML_TAG_OPTION:
  case HTML_TAG_DATALIST:
  case HTML_TAG_NOEMBED:
  case HTML_TAG_NOFRAMES:
  case HTML_TAG_OBJECT:
  case HTML_TAG_EMBED:
  case HTML_TAG_IFRAME:
  case HTML_TAG_FRAMESET:
  case HTML_TAG_SVG:
  case HTML_TAG_MATH:
  case HTML_TAG_CANVAS:
  case HTML_TAG_DIALOG:
  case HTML_TAG_RT: /* ruby readings and their fallback parentheses */
  case HTML_TAG_RP:
    return true;
  default:
    return false;
  }
}

bool ex_skip_node(const dom_node *n)
{
  return (n->flags & (EXF_DROP | EXF_HIDDEN | EXF_NEVER | EXF_SKIPOUT)) || never_tag(n);
}

/* ---- collected text (one line, whitespace collapsed) ------------------------------------ */
typedef struct collect_ctx {
  ex_buf *out;
  bool space;
  size_t max; /* stop descending once out holds more bytes than this */
  bool lines; /* a block or <br> is a line break ('\n'), not a space */
} collect_ctx;

/* A block's or a <br>'s boundary in collected text: a space, or with `lines` a line break. */
static void collect_break(collect_ctx *c)
{
  if (!c->lines) {
    c->space = true;
  } else if (c->out->len && c->out->p[c->out->len - 1] != '\n') {
    exb_putc(c->out, '\n');
    c->space = false;
  }
}

static bool is_ascii_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

/* Soft hyphens (U+00AD) stay in the text for now: issue 14 asks for them out, but the
 * trafilatura-eval reference keeps them inside its snippets (F1 0.940 -> 0.938 with 1). */
#ifndef EX_DROP_SOFT_HYPHEN
#define EX_DROP_SOFT_HYPHEN 0
#endif
/* Whether s[j] ends a run of ex_append_collapsed: whitespace, a no-break space, a dropped
 * soft hyphen or a private-use character. Printable ASCII (the common case) costs two
 * compares. */
static inline bool collapsed_run_ends(const char *s, size_t j, size_t n)
{
  unsigned char b = (unsigned char)s[j];
  if (b <= ' ')
    return is_ascii_space((char)b);
  if (b < 0xC2)
    return false;
  return (b == 0xC2 && j + 1 < n &&
          ((unsigned char)s[j + 1] == 0xA0 ||
           (EX_DROP_SOFT_HYPHEN && (unsigned char)s[j + 1] == 0xAD))) ||
         ex_pua_len(s, j, n);
}

void ex_append_collapsed(ex_buf *out, bool *pending_space, const char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    char c = s[i];
    if (is_ascii_space(c)) {
      *pending_space = true;
      i++;
      continue;
    }
    if ((unsigned char)c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0) {
      *pending_space = true;
      i += 2;
      continue;
    }
    /* a soft hyphen (U+00AD) marks where a word may break: not part of the text */
    if (EX_DROP_SOFT_HYPHEN && (unsigned char)c == 0xC2 && i + 1 < n &&
        (unsigned char)s[i + 1] == 0xAD) {
      i += 2;
      continue;
    }
    size_t pl = ex_pua_len(s, i, n);
    if (pl) {
      i += pl;
      continue;
    }
    /* the run up to the next space, no-break space or private-use character; a lone ' '
     * between two characters of the run is its own collapsed form, so the run goes on
     * through it (one write for a whole line of prose) */
    size_t j = i;
    while (j < n) {
      if (collapsed_run_ends(s, j, n)) {
        if (s[j] != ' ' || j + 1 >= n || collapsed_run_ends(s, j + 1, n))
          break;
        j++;
      }
      j++;
    }
    if (*pending_space && out->len > 0 && out->p[out->len - 1] != '\n' &&
        out->p[out->len - 1] != ' ')
      exb_putc(out, ' ');
    *pending_space = false;
    exb_put(out, s + i, j - i);
    i = j;
  }
}

static bool collect_enter(void *vc, const dom_node *n)
{
  collect_ctx *c = vc;
  if (c->out->len > c->max)
    return false;
  if (n->type == DOM_TEXT) {
    ex_append_collapsed(c->out, &c->space, n->data, n->data_len);
    return false;
  }
  if (n->type != DOM_ELEMENT || ex_skip_node(n))
    return false;
  if (ex_is_block_tag(n) || dom_is(n, HTML_TAG_BR) || dom_is(n, HTML_TAG_TD) ||
      dom_is(n, HTML_TAG_TH))
    collect_break(c);
  return true;
}

static void collect_leave(void *vc, const dom_node *n)
{
  collect_ctx *c = vc;
  if (ex_is_block_tag(n) || dom_is(n, HTML_TAG_TD) || dom_is(n, HTML_TAG_TH))
    collect_break(c);
}

static bool collect(const dom_node *n, ex_buf *out, size_t max, bool lines)
{
  collect_ctx c = {out, false, max, lines};
  if (n->type == DOM_TEXT)
    ex_append_collapsed(out, &c.space, n->data, n->data_len);
  else
    ex_walk(n, collect_enter, collect_leave, &c);
  while (lines && out->len && out->p[out->len - 1] == '\n')
    out->len--;
  return out->len <= max;
}

bool ex_collect_lines_max(const dom_node *n, ex_buf *out, size_t max)
{
  return collect(n, out, max, true);
}

bool ex_collect_text_max(const dom_node *n, ex_buf *out, size_t max)
{
  return collect(n, out, max, false);
}

void ex_collect_text(const dom_node *n, ex_buf *out)
{
  ex_collect_text_max(n, out, SIZE_MAX);
}

static const dom_node *next_element(const dom_node *n)
{
  for (const dom_node *s = n->next; s; s = s->next)
    if (s->type == DOM_ELEMENT)
      return s;
  return NULL;
}

bool ex_media_caption(const dom_node *n, ex_buf *out)
{
  if (n->type != DOM_ELEMENT)
    return false;
  /* the <figure> it is in, up to four levels up: its first <figcaption> */
  const dom_node *a = n->parent;
  for (int depth = 0; a && a->type == DOM_ELEMENT && depth < 4; depth++, a = a->parent) {
    if (!dom_is(a, HTML_TAG_FIGURE))
      continue;
    int budget = 256;
    for (const dom_node *x = dom_next(a, a); x && --budget > 0; x = dom_next(a, x))
      if (x->type == DOM_ELEMENT && dom_is(x, HTML_TAG_FIGCAPTION) && !ex_skip_node(x)) {
        ex_collect_text(x, out);
        return out->len > 0;
      }
    return false;
  }
  /* a caption block (a <figcaption>, or what content selection flagged as a caption) right
   * after the element or after its parent */
  for (const dom_node *x = n; x && x->type == DOM_ELEMENT; x = x == n ? x->parent : NULL) {
    const dom_node *s = next_element(x);
    if (s && !ex_skip_node(s) && (dom_is(s, HTML_TAG_FIGCAPTION) || (s->flags & EXF_CAPTION))) {
      ex_collect_text(s, out);
      return out->len > 0;
    }
  }
  return false;
}

/* ---- plain-text serialisation ------------------------------------------------------------ */
typedef struct text_ctx {
  ex_buf *out;
  int brk;       /* pending break: 0 none, 1 line, 2 blank line */
  bool space;    /* pending space */
  int pre;       /* inside <pre> */
  uint32_t drop; /* EX_OUT_* */
} text_ctx;

/* Does the subtree under n hold an image, picture, video or audio element? */
static bool has_media(const dom_node *n)
{
  const dom_node *c = n->first_child;
  while (c) {
    if (c->type == DOM_ELEMENT && (dom_is(c, HTML_TAG_IMG) || dom_is(c, HTML_TAG_PICTURE) ||
                                   dom_is(c, HTML_TAG_VIDEO) || dom_is(c, HTML_TAG_AUDIO)))
      return true;
    c = dom_next(n, c);
  }
  return false;
}

bool ex_layout_table(const dom_node *t)
{
  size_t l = 0;
  const char *role = dom_attr_get(t, "role", &l);
  if (role && ex_ieq(role, l, "presentation"))
    return true;
  uint32_t nodes = 0, cell_bytes = 0;
  const dom_node *x = t;
  while ((x = dom_next(t, x))) {
    if (++nodes > EX_LAYOUT_TABLE_NODES)
      return true;
    if (x->type == DOM_TEXT) {
      for (size_t i = 0; i < x->data_len; i++)
        cell_bytes += !is_ascii_space(x->data[i]);
      if (cell_bytes > EX_LAYOUT_CELL_BYTES)
        return true;
    } else if (x->type == DOM_ELEMENT) {
      if (dom_is(x, HTML_TAG_TABLE) || dom_is(x, HTML_TAG_H1) || dom_is(x, HTML_TAG_H2) ||
          dom_is(x, HTML_TAG_H3) || dom_is(x, HTML_TAG_H4) || dom_is(x, HTML_TAG_H5) ||
          dom_is(x, HTML_TAG_H6))
        return true;
      if (dom_is(x, HTML_TAG_TD) || dom_is(x, HTML_TAG_TH) || dom_is(x, HTML_TAG_CAPTION))
        cell_bytes = 0; /* a new cell */
    }
  }
  return false;
}

bool ex_out_dropped(const dom_node *n, uint32_t drop)
{
  if (!drop || n->type != DOM_ELEMENT)
    return false;
  if ((drop & EX_OUT_NO_TABLES) && dom_is(n, HTML_TAG_TABLE))
    return !ex_layout_table(n);
  if (!(drop & EX_OUT_NO_MEDIA))
    return false;
  if (dom_is(n, HTML_TAG_IMG) || dom_is(n, HTML_TAG_PICTURE) || dom_is(n, HTML_TAG_VIDEO) ||
      dom_is(n, HTML_TAG_AUDIO) || (n->flags & EXF_CAPTION))
    return true;
  if (!dom_is(n, HTML_TAG_FIGCAPTION))
    return false;
  for (const dom_node *p = n->parent; p && p->type == DOM_ELEMENT; p = p->parent)
    if (dom_is(p, HTML_TAG_FIGURE))
      return has_media(p);
  return false;
}

static void text_flush_break(text_ctx *t)
{
  if (t->brk && t->out->len) {
    exb_rtrim(t->out);
    exb_put(t->out, "\n\n", (size_t)t->brk);
  }
  if (t->brk)
    t->space = false;
  t->brk = 0;
}

static void text_break(text_ctx *t, int k)
{
  if (k > t->brk)
    t->brk = k;
}

static bool text_enter(void *vc, const dom_node *n)
{
  text_ctx *t = vc;
  if (n->type == DOM_TEXT) {
    if (t->pre) {
      text_flush_break(t);
      exb_put(t->out, n->data, n->data_len);
      return false;
    }
    /* flush a pending break only when the node has visible characters */
    size_t i = 0;
    while (i < n->data_len && is_ascii_space(n->data[i]))
      i++;
    if (i == n->data_len) {
      t->space = true;
      return false;
    }
    text_flush_break(t);
    ex_append_collapsed(t->out, &t->space, n->data, n->data_len);
    return false;
  }
  if (n->type != DOM_ELEMENT || ex_skip_node(n) || (n->flags & EXF_CAPTION) ||
      ex_out_dropped(n, t->drop))
    return false;
  if (dom_is(n, HTML_TAG_BR)) {
    text_break(t, 1);
    return false;
  }
  if (dom_is(n, HTML_TAG_LI) || dom_is(n, HTML_TAG_TR) || dom_is(n, HTML_TAG_DT) ||
      dom_is(n, HTML_TAG_DD))
    text_break(t, 1);
  else if (ex_is_block_tag(n))
    text_break(t, 2);
  else if (dom_is(n, HTML_TAG_TD) || dom_is(n, HTML_TAG_TH))
    t->space = true;
  if (dom_is(n, HTML_TAG_PRE))
    t->pre++;
  return true;
}

static void text_leave(void *vc, const dom_node *n)
{
  text_ctx *t = vc;
  if (dom_is(n, HTML_TAG_PRE) && t->pre)
    t->pre--;
  if (dom_is(n, HTML_TAG_LI) || dom_is(n, HTML_TAG_TR) || dom_is(n, HTML_TAG_DT) ||
      dom_is(n, HTML_TAG_DD))
    text_break(t, 1);
  else if (ex_is_block_tag(n))
    text_break(t, 2);
  else if (dom_is(n, HTML_TAG_TD) || dom_is(n, HTML_TAG_TH))
    t->space = true;
}

void ex_text_serialise(const dom_node *root, ex_buf *out)
{
  ex_text_serialise_opts(root, 0, out);
}

void ex_text_serialise_opts(const dom_node *root, uint32_t drop, ex_buf *out)
{
  text_ctx t = {out, 0, false, 0, drop};
  if (root->type == DOM_TEXT) {
    text_enter(&t, root);
  } else {
    if (dom_is(root, HTML_TAG_PRE))
      t.pre = 1;
    ex_walk(root, text_enter, text_leave, &t);
  }
  exb_rtrim(out);
}

uint32_t ex_word_count(const char *s, size_t n, uint32_t *cjk_chars)
{
  uint32_t words = 0, cjk = 0;
  bool in_word = false;
  size_t i = 0;
  while (i < n) {
    unsigned char b = (unsigned char)s[i];
    if (b < 0x80) {
      /* ASCII fast path */
      i++;
      bool wc =
          (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || b == '_';
      if (wc) {
        if (!in_word)
          words++;
        in_word = true;
      } else if (b == ' ' || b == '\n' || b == '\t' || b == '\r' || b == '\f' || b == 0x0B) {
        in_word = false;
      }
      continue;
    }
    uint32_t cp = ex_utf8_next(s, n, &i);
    if (ex_is_cjk_cp(cp)) {
      words++;
      cjk++;
      in_word = false;
    } else if (ex_is_word_cp(cp)) {
      if (!in_word)
        words++;
      in_word = true;
    } else if (ex_is_space_cp(cp)) {
      in_word = false;
    }
    /* punctuation inside a word ("don't", "e.g.") does not split it */
  }
  if (cjk_chars)
    *cjk_chars = cjk;
  return words;
}

/* ---- DOM queries and marks shared by content selection, metadata and serialisation ------- */

dom_node *ex_find_child_tag(const dom_node *parent, html_tag t)
{
  if (!parent)
    return NULL;
  for (dom_node *c = parent->first_child; c; c = c->next)
    if (dom_is(c, t))
      return c;
  return NULL;
}

dom_node *ex_body(const dom_doc *doc)
{
  dom_node *html = ex_find_child_tag(doc->root, HTML_TAG_HTML);
  dom_node *body = ex_find_child_tag(html, HTML_TAG_BODY);
  if (!body)
    body = ex_find_child_tag(html, HTML_TAG_FRAMESET);
  return body ? body : (html ? html : doc->root);
}

/* The image URL of an <img>: src, or a lazy-loading attribute when src is a placeholder. */
const char *ex_img_src(const dom_node *n, size_t *len)
{
  static const char *const lazy[] = {"data-src", "data-original",   "data-lazy-src",
                                     "data-url", "data-hi-res-src", "data-srcset",
                                     "srcset"};
  size_t l = 0;
  const char *s = dom_attr_get(n, "src", &l);
  if (s && l && !ex_istarts(s, l, "data:")) {
    *len = l;
    return s;
  }
  for (size_t i = 0; i < sizeof lazy / sizeof lazy[0]; i++) {
    const char *v = dom_attr_get(n, lazy[i], &l);
    if (v && l) {
      /* srcset: the first URL */
      size_t k = 0;
      while (k < l && (v[k] == ' ' || v[k] == '\n' || v[k] == '\t'))
        k++;
      size_t e = k;
      while (e < l && v[e] != ' ' && v[e] != '\n' && v[e] != '\t' && !(v[e] == ',' && i >= 5))
        e++;
      if (e > k) {
        *len = e - k;
        return v + k;
      }
    }
  }
  *len = s ? l : 0;
  return s;
}

void ex_mark_static_under(dom_node *root)
{
  dom_node *n = dom_next(root, root);
  while (n) {
    if (n->type == DOM_ELEMENT) {
      if (ex_is_hidden(n)) {
        n->flags |= EXF_HIDDEN;
        n = dom_next_skip(root, n);
        continue;
      }
      if (ex_skip_node(n)) {
        n->flags |= EXF_NEVER;
        n = dom_next_skip(root, n);
        continue;
      }
    }
    n = dom_next(root, n);
  }
}

void ex_mark_static(dom_doc *doc)
{
  ex_mark_static_under(doc->root);
}

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
