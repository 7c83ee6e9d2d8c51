/*
 * markdown.c - Markdown (CommonMark + GFM tables) and cleaned-HTML serialisation of the
 * selected content.
 *
 * Both are single iterative walks (ex_walk) over the content. Markdown keeps a stack of
 * container prefixes (blockquote "> ", list indentation) that is written after every line
 * break, so nesting comes out right without recursion. Links and images are made absolute
 * against the base URL. Table cells are kept on one line (block breaks become spaces), the
 * first row is followed by the GFM delimiter row.
 *
 * A list item's marker and a link's "[" are written on entering; on leaving, when nothing
 * visible came after them (rt_md_blank, the rule the native fallback applies too), they are
 * taken back: the output is cut to where the item or link began and the break state of that
 * moment is restored, so an empty item is no "-" line and an empty link no "[](url)".
 */
#include "guest/extract/ex_internal.h"
#include "guest/extract/md_rules.h"

#include <string.h>

#define MD_MAX_NEST 64

/* Where a list item began, to take it back when it shows nothing (md_leave). */
typedef struct md_item {
  size_t start;      /* out->len before the item's line break and marker */
  size_t marker_end; /* out->len right after its marker */
  size_t prev_marker_end;
  int prev_brk;
} md_item;

typedef struct md_ctx {
  ex_buf *out;
  const char *base;
  size_t base_len;
  int brk;   /* 0 none, 1 line, 2 blank line */
  bool hard; /* the pending line break is a <br>'s (md_flush writes it as a hard break) */
  int code;  /* open inline code spans */
  int em_open, strong_open;      /* open emphasis and strong elements (only the outer writes) */
  bool em_marked, strong_marked; /* whether the outer one wrote its markers */
  bool space;                    /* pending space */
  int pre;
  int cell; /* inside a table cell */
  /* container stack */
  char kind[MD_MAX_NEST]; /* 'q' quote, 'u' ul, 'o' ol */
  uint32_t counter[MD_MAX_NEST];
  md_item item[MD_MAX_NEST]; /* the open item of each list level */
  int depth;
  /* table state */
  uint32_t row, cols_first;
  uint32_t cells_in_row;
  ex_buf tmp;
  size_t marker_end; /* out->len right after a line prefix or list/quote marker was written */
  size_t link_open;  /* out->len right after the open link's "[" (links do not nest) */
  /* Where each open inline span (emphasis, code) wrote its opening marker, to take it back
   * when the span shows nothing (an icon font's empty <i class="fa ...">); deeper spans than
   * MD_MAX_NEST keep their markers. */
  size_t span_open[MD_MAX_NEST];
  unsigned char span_len[MD_MAX_NEST]; /* its marker's length */
  int span_depth;
  /* The emphasis span closed last: its marker, where it opened and where its closing marker
   * ends (md_span_open joins an adjacent one to it; md_check_closer unwraps it). */
  const char *closed_mark;
  size_t closed_open, closed_end;
  /* The open heading (the outermost, should one hold another): where its line began and its
   * "## " ended, to take it back when it shows nothing, as a list item is. */
  int head_open;
  int head_prev_brk;
  size_t head_start, head_mark_end, head_prev_marker_end;
  uint32_t drop; /* EX_OUT_*: what the output controls leave out */
} md_ctx;

static void md_prefix(md_ctx *m)
{
  int lists = 0;
  for (int i = 0; i < m->depth; i++) {
    if (m->kind[i] == 'q') {
      exb_put(m->out, "> ", 2);
    } else {
      if (lists++ > 0 || i > 0)
        exb_put(m->out, "  ", 2);
    }
  }
}

static void md_flush(md_ctx *m)
{
  bool hard = m->hard;
  m->hard = false;
  if (m->brk && m->out->len && m->out->len == m->marker_end) {
    /* nothing written since the last marker: the break is already there */
    m->brk = 0;
    return;
  }
  if (m->brk && m->out->len) {
    if (m->cell || m->head_open) {
      m->space = true;
      m->brk = 0;
      return;
    }
    exb_rtrim(m->out);
    if (hard && m->brk == 1)
      exb_putc(m->out, '\\'); /* CommonMark hard line break */
    exb_putc(m->out, '\n');
    if (m->brk == 2) {
      /* blank line: inside a quote it keeps the marker */
      bool q = false;
      for (int i = 0; i < m->depth; i++)
        q = q || m->kind[i] == 'q';
      if (q) {
        for (int i = 0; i < m->depth; i++)
          if (m->kind[i] == 'q')
            exb_putc(m->out, '>');
      }
      exb_putc(m->out, '\n');
    }
    md_prefix(m);
    m->marker_end = m->out->len;
    m->space = false;
  } else if (m->brk && !m->out->len) {
    md_prefix(m);
    m->marker_end = m->out->len;
  }
  m->brk = 0;
}

static void md_break(md_ctx *m, int k)
{
  if (k > m->brk)
    m->brk = k;
}

/* Whether s[j] is written as it is by md_text: not whitespace, not the lead byte 0xC2 (of a
 * no-break space), not Markdown punctuation to escape, not a private-use character. */
static inline bool md_ordinary(const char *s, size_t j, size_t n)
{
  char d = s[j];
  return !(d == ' ' || d == '\t' || d == '\n' || d == '\r' || d == '\f' ||
           (unsigned char)d == 0xC2 || d == '*' || d == '_' || d == '`' || d == '[' || d == ']' ||
           d == '\\' || d == '|' || ex_pua_len(s, j, n));
}

/* Takes out the `ml` bytes of an opening marker at out[at]; what follows it, up to `end`
 * (the output's length), moves back. */
static void md_unwrap(md_ctx *m, size_t at, size_t ml, size_t end)
{
  ex_buf *o = m->out;
  memmove(o->p + at, o->p + at + ml, end - at - ml);
  exb_truncate(o, end - ml);
}

/* Text is about to follow a span that just closed, with no space between (md_text): where
 * its closing marker would then not close (a punctuation mark before it, a letter after), the
 * span loses its markers. */
static void md_check_closer(md_ctx *m, unsigned char next)
{
  if (!m->closed_mark || m->closed_end != m->out->len || m->out->failed)
    return;
  size_t ml = strlen(m->closed_mark);
  unsigned char last = (unsigned char)m->out->p[m->closed_end - ml - 1];
  if (!rt_md_right_flanking(last, next)) {
    exb_truncate(m->out, m->closed_end - ml);
    md_unwrap(m, m->closed_open, ml, m->out->len);
  }
  m->closed_mark = NULL;
}

/* Writes the pending space (m->space), unless the output already ends with one or a line
 * break. Right after inline spans' opening markers it goes before them instead ("a **b**", not
 * "a** b**"): CommonMark does not open emphasis whose marker is followed by a space. */
static void md_put_space(md_ctx *m)
{
  bool want = m->space && m->out->len;
  m->space = false;
  if (!want || m->out->failed)
    return;
  size_t at = m->out->len;
  int d = m->span_depth < MD_MAX_NEST ? m->span_depth : MD_MAX_NEST;
  while (d > 0 && m->span_open[d - 1] + m->span_len[d - 1] == at)
    at = m->span_open[--d];
  char last = at ? m->out->p[at - 1] : '\n';
  if (last == ' ' || last == '\n')
    return;
  size_t tail = m->out->len - at;
  exb_putc(m->out, ' ');
  if (tail == 0 || m->out->failed)
    return;
  memmove(m->out->p + at + 1, m->out->p + at, tail);
  m->out->p[at] = ' ';
  for (int k = d; k < m->span_depth && k < MD_MAX_NEST; k++)
    m->span_open[k]++;
}

static void md_text(md_ctx *m, const char *s, size_t n)
{
  if (m->pre) {
    md_flush(m);
    for (size_t i = 0; i < n; i++) {
      exb_putc(m->out, s[i]);
      if (s[i] == '\n')
        md_prefix(m);
    }
    return;
  }
  /* collapse whitespace, escape Markdown punctuation */
  size_t i = 0;
  while (i < n) {
    char c = s[i];
    bool ws = c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
              ((unsigned char)c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0);
    if (ws) {
      m->space = true;
      i += ((unsigned char)c == 0xC2) ? 2 : 1;
      continue;
    }
    size_t pl = ex_pua_len(s, i, n);
    if (pl) {
      i += pl;
      continue;
    }
    md_flush(m);
    md_put_space(m);
    md_check_closer(m, (unsigned char)c);
    if (m->out->len == m->marker_end) {
      /* at a line's start (or right after a list marker) text that would read as block
       * syntax is escaped: "# ", "> ", "- ", "+ ", "1. ", "1) ", a setext "===" line */
      if (c == '#' || c == '>' || c == '-' || c == '+' || c == '=') {
        exb_putc(m->out, '\\');
        exb_putc(m->out, c);
        i++;
        continue;
      }
      size_t d = i;
      while (d < n && d - i < 9 && s[d] >= '0' && s[d] <= '9')
        d++;
      if (d > i && d < n && (s[d] == '.' || s[d] == ')')) {
        exb_put(m->out, s + i, d - i);
        exb_putc(m->out, '\\');
        exb_putc(m->out, s[d]);
        i = d + 1;
        continue;
      }
    }
    /* a run of ordinary characters in one write; a lone ' ' between two of them is its own
     * collapsed form, so the run goes on through it */
    size_t j = i;
    while (j < n) {
      if (!md_ordinary(s, j, n)) {
        if (s[j] != ' ' || j + 1 >= n || !md_ordinary(s, j + 1, n))
          break;
        j++;
      }
      j++;
    }
    if (j > i) {
      exb_put(m->out, s + i, j - i);
      i = j;
      continue;
    }
    /* in a code span only a table's "|" is escaped (GFM); its backticks set the span's
     * fence (md_span_close) */
    if ((!m->code && (c == '*' || c == '_' || c == '`' || c == '[' || c == ']' || c == '\\')) ||
        (c == '|' && m->cell))
      exb_putc(m->out, '\\');
    exb_putc(m->out, c);
    i++;
  }
}

static void md_inline(md_ctx *m, const char *s)
{
  md_flush(m);
  md_put_space(m);
  exb_puts(m->out, s);
}

static bool md_url(md_ctx *m, const char *ref, size_t n)
{
  exb_clear(&m->tmp);
  if (!ex_url_resolve(m->base, m->base_len, ref, n, &m->tmp) || m->tmp.failed)
    return false;
  return true;
}

static void md_put_url(md_ctx *m)
{
  for (size_t i = 0; i < m->tmp.len; i++) {
    char c = m->tmp.p[i];
    if (c == ' ')
      exb_put(m->out, "%20", 3);
    else if (c == '(' || c == ')')
      exb_put(m->out, c == '(' ? "%28" : "%29", 3);
    else
      exb_putc(m->out, c);
  }
}

static int heading_level(const dom_node *n)
{
  if (n->type != DOM_ELEMENT || n->ns != DOM_NS_HTML)
    return 0;
  switch (n->tag) {
  case HTML_TAG_H1:
    return 1;
  case HTML_TAG_H2:
    return 2;
  case HTML_TAG_H3:
    return 3;
  case HTML_TAG_H4:
    return 4;
  case HTML_TAG_H5:
    return 5;
  case HTML_TAG_H6:
    return 6;
  default:
    return 0;
  }
}

/* Does the subtree under n hold a block element? */
static bool md_holds_block(const dom_node *n)
{
  for (const dom_node *x = dom_next(n, n); x; x = dom_next(n, x))
    if (ex_is_block_tag(x))
      return true;
  return false;
}

/* Has the subtree under n any visible character of text? */
static bool md_has_text(const dom_node *n)
{
  for (const dom_node *x = dom_next(n, n); x; x = dom_next(n, x))
    if (x->type == DOM_TEXT)
      for (size_t i = 0; i < x->data_len; i++)
        if (x->data[i] != ' ' && x->data[i] != '\t' && x->data[i] != '\n' && x->data[i] != '\r' &&
            x->data[i] != '\f')
          return true;
  return false;
}

/* Is the <a> n written as a Markdown link (its URL resolved into m->tmp)? Not inside <pre>,
 * not without links, not a fragment, and not when nothing of it would show (an image link
 * without images). */
static bool md_link(md_ctx *m, const dom_node *n)
{
  size_t l = 0;
  const char *href = dom_attr_get(n, "href", &l);
  if (m->pre || (m->drop & EX_OUT_NO_LINKS) || !href || !l || href[0] == '#')
    return false;
  if ((m->drop & EX_OUT_NO_MEDIA) && !md_has_text(n))
    return false;
  if (md_holds_block(n)) /* link text cannot cross a block break: the blocks stay, unlinked */
    return false;
  return md_url(m, href, l);
}

/* Has nothing visible been written since out->len was `from` (rt_md_blank)? False when the
 * output has been cut below `from` meanwhile or has failed (nothing is then taken back). */
static bool md_blank_since(const md_ctx *m, size_t from)
{
  const ex_buf *o = m->out;
  return !o->failed &&
         (from == o->len || (from < o->len && rt_md_blank(o->p + from, o->len - from)));
}

/* Closes the code span whose "`" is at out[at], with the fence its content needs
 * (rt_md_code_fence): longer than a run of backticks inside, padded where one is at an end. */
static void md_code_fence(md_ctx *m, size_t at)
{
  ex_buf *o = m->out;
  bool pad;
  size_t body = o->len - at - 1, fence = rt_md_code_fence(o->p + at + 1, body, &pad);
  if (fence == 1 || o->failed) {
    exb_putc(o, '`');
    return;
  }
  size_t shift = fence - 1 + pad;
  for (size_t k = 0; k < shift; k++)
    exb_putc(o, ' '); /* room, moved into below */
  if (o->failed)
    return;
  memmove(o->p + at + 1 + shift, o->p + at + 1, body);
  memset(o->p + at, '`', fence);
  if (pad) {
    o->p[at + fence] = ' ';
    exb_putc(o, ' ');
  }
  for (size_t k = 0; k < fence; k++)
    exb_putc(o, '`');
}

/* An inline span's opening marker, written as any inline text is (md_inline). */
static void md_span_open(md_ctx *m, const char *mark)
{
  size_t ml = strlen(mark);
  size_t at;
  if (m->closed_mark && !strcmp(m->closed_mark, mark) && m->closed_end == m->out->len &&
      !m->space && !m->brk && !m->hard && !m->out->failed) {
    /* right after a span of its kind closed ("<em>b</em><em>y</em>"): "*b**y*" would read as
     * strong, so the two are one span, the closing marker taken back */
    exb_truncate(m->out, m->out->len - ml);
    at = m->closed_open;
  } else {
    md_inline(m, mark);
    at = m->out->len - ml;
  }
  m->closed_mark = NULL;
  if (m->span_depth < MD_MAX_NEST) {
    m->span_open[m->span_depth] = at;
    m->span_len[m->span_depth] = (unsigned char)ml;
  }
  m->span_depth++;
}

/* Its closing marker, or, when nothing visible came after the opening one, the opening one
 * taken back (rt_md_blank): no "**" or "``" for a span that shows nothing. */
static void md_span_close(md_ctx *m, const char *mark)
{
  m->span_depth--;
  size_t ml = strlen(mark);
  if (m->span_depth < MD_MAX_NEST && md_blank_since(m, m->span_open[m->span_depth] + ml)) {
    exb_truncate(m->out, m->span_open[m->span_depth]);
    return;
  }
  if (mark[0] == '`' && m->span_depth < MD_MAX_NEST) {
    md_code_fence(m, m->span_open[m->span_depth]);
    return;
  }
  if (m->span_depth < MD_MAX_NEST) {
    size_t at = m->span_open[m->span_depth];
    unsigned char before = at ? (unsigned char)m->out->p[at - 1] : 0,
                  after = (unsigned char)m->out->p[at + ml];
    if (!rt_md_left_flanking(before, after)) { /* its opener would not open: no markers */
      md_unwrap(m, at, ml, m->out->len);
      return;
    }
  }
  exb_put(m->out, mark, ml);
  if (m->span_depth < MD_MAX_NEST) { /* a span of its kind opening here joins this one */
    m->closed_mark = mark;
    m->closed_open = m->span_open[m->span_depth];
    m->closed_end = m->out->len;
  }
}

static bool md_enter(void *vc, const dom_node *n)
{
  md_ctx *m = vc;
  if (n->type == DOM_TEXT) {
    md_text(m, n->data, n->data_len);
    return false;
  }
  if (n->type != DOM_ELEMENT || ex_skip_node(n) || ex_out_dropped(n, m->drop))
    return false;
  size_t l = 0;
  int h = heading_level(n);
  if (h && m->cell)
    return true; /* a heading in a table cell is its text: the row is one line */
  if (h) {
    md_break(m, 2);
    bool outer = m->head_open == 0;
    if (outer) {
      m->head_prev_brk = m->brk;
      m->head_prev_marker_end = m->marker_end;
      m->head_start = m->out->len;
    }
    md_flush(m);
    for (int i = 0; i < h; i++)
      exb_putc(m->out, '#');
    exb_putc(m->out, ' ');
    if (outer)
      m->head_mark_end = m->out->len;
    m->head_open++; /* from here until its end, breaks are spaces: a heading is one line */
    return true;
  }
  switch (n->tag) {
  case HTML_TAG_BR:
    if (m->pre) {
      exb_putc(m->out, '\n');
      md_prefix(m);
    } else if (m->cell || m->head_open || m->code) {
      m->space = true; /* a table cell, heading or code span is one line */
    } else if (m->out->len) {
      /* written as "\" when the line break is (md_flush): not when a block break takes its
       * place (a "\" ending a paragraph is a literal backslash), and after the markers that
       * close spans on its line (a "\" before "**" would escape it). A second <br> in a
       * row adds nothing, as in the text. */
      m->hard = true;
      md_break(m, 1);
    }
    return false;
  case HTML_TAG_HR:
    md_break(m, 2);
    md_flush(m);
    exb_put(m->out, "---", 3);
    md_break(m, 2);
    return false;
  case HTML_TAG_PRE:
    if (m->cell) { /* a table row is one line: preformatted text in a cell is a code span */
      if (!m->pre && m->code++ == 0)
        md_span_open(m, "`");
      return true;
    }
    md_break(m, 2);
    md_flush(m);
    exb_put(m->out, "```\n", 4);
    md_prefix(m);
    m->pre++;
    return true;
  case HTML_TAG_CODE:
  case HTML_TAG_KBD:
  case HTML_TAG_SAMP:
  case HTML_TAG_TT:
    if (!m->pre && m->code++ == 0) /* code in code adds no fence */
      md_span_open(m, "`");
    return true;
  case HTML_TAG_EM:
  case HTML_TAG_I:
  case HTML_TAG_CITE:
    /* emphasis inside emphasis of its kind adds nothing ("*a *b* c*" does not nest), and
     * emphasis around blocks has none (a span cannot cross a paragraph break) */
    if (!m->pre && m->em_open++ == 0 && (m->em_marked = !md_holds_block(n)))
      md_span_open(m, "*");
    return true;
  case HTML_TAG_STRONG:
  case HTML_TAG_B:
    if (!m->pre && m->strong_open++ == 0 && (m->strong_marked = !md_holds_block(n)))
      md_span_open(m, "**");
    return true;
  case HTML_TAG_A:
    if (md_link(m, n)) {
      md_inline(m, "[");
      m->link_open = m->out->len;
    }
    return true;
  case HTML_TAG_IMG: {
    const char *src = ex_img_src(n, &l);
    if (!src || !l || !md_url(m, src, l))
      return false;
    md_inline(m, "![");
    size_t al = 0;
    const char *alt = dom_attr_get(n, "alt", &al);
    if (alt)
      md_text(m, alt, al);
    exb_put(m->out, "](", 2);
    md_url(m, src, l);
    md_put_url(m);
    exb_putc(m->out, ')');
    return false;
  }
  case HTML_TAG_BLOCKQUOTE:
    md_break(m, 2);
    md_flush(m);
    if (m->depth < MD_MAX_NEST) {
      m->kind[m->depth] = 'q';
      m->depth++;
      exb_put(m->out, "> ", 2);
      m->marker_end = m->out->len;
    }
    return true;
  case HTML_TAG_UL:
  case HTML_TAG_OL:
    md_break(m, m->depth ? 1 : 2);
    if (m->depth < MD_MAX_NEST) {
      m->kind[m->depth] = n->tag == HTML_TAG_UL ? 'u' : 'o';
      m->counter[m->depth] = 0;
      m->depth++;
    }
    return true;
  case HTML_TAG_LI: {
    md_break(m, 1);
    int d = m->depth - 1;
    /* the list's own indentation is written by md_prefix for the levels above it */
    if (d >= 0 && m->kind[d] != 'q') {
      int save = m->depth;
      m->depth = d;
      md_item *it = &m->item[d];
      it->prev_brk = m->brk;
      it->prev_marker_end = m->marker_end;
      if (m->brk && m->out->len)
        exb_rtrim(m->out);
      it->start = m->out->len;
      if (m->brk && m->out->len) {
        exb_put(m->out, "\n\n", (size_t)m->brk);
        md_prefix(m);
        if (d > 0 && m->kind[d - 1] != 'q')
          exb_put(m->out, "  ", 2);
      }
      m->brk = 0;
      m->hard = false;
      m->depth = save;
      m->space = false;
      if (m->kind[d] == 'o') {
        m->counter[d]++;
        exb_put_u32(m->out, m->counter[d]);
        exb_put(m->out, ". ", 2);
      } else {
        exb_put(m->out, "- ", 2);
      }
      m->marker_end = m->out->len;
      it->marker_end = m->out->len;
    }
    return true;
  }
  case HTML_TAG_TABLE:
    md_break(m, 2);
    m->row = 0;
    m->cols_first = 0;
    return true;
  case HTML_TAG_TR:
    md_break(m, 1);
    md_flush(m);
    exb_putc(m->out, '|');
    m->cells_in_row = 0;
    return true;
  case HTML_TAG_TD:
  case HTML_TAG_TH:
    exb_putc(m->out, ' ');
    m->cell++;
    m->space = false;
    return true;
  default:
    if (ex_is_block_tag(n))
      md_break(m, 2);
    return true;
  }
}

static void md_leave(void *vc, const dom_node *n)
{
  md_ctx *m = vc;
  if (heading_level(n) && m->cell)
    return;
  if (heading_level(n)) {
    /* from the marker's space on: a break inside may have trimmed it */
    if (--m->head_open == 0 && md_blank_since(m, m->head_mark_end - 1)) {
      exb_truncate(m->out, m->head_start);
      m->brk = m->head_prev_brk;
      m->marker_end = m->head_prev_marker_end;
      m->space = false;
    }
    md_break(m, 2);
    return;
  }
  switch (n->tag) {
  case HTML_TAG_PRE:
    if (m->cell) {
      if (!m->pre && --m->code == 0)
        md_span_close(m, "`");
      return;
    }
    if (m->pre)
      m->pre--;
    exb_rtrim(m->out);
    exb_putc(m->out, '\n');
    md_prefix(m);
    exb_put(m->out, "```", 3);
    md_break(m, 2);
    return;
  case HTML_TAG_CODE:
  case HTML_TAG_KBD:
  case HTML_TAG_SAMP:
  case HTML_TAG_TT:
    if (!m->pre && --m->code == 0)
      md_span_close(m, "`");
    return;
  case HTML_TAG_EM:
  case HTML_TAG_I:
  case HTML_TAG_CITE:
    if (!m->pre && --m->em_open == 0 && m->em_marked)
      md_span_close(m, "*");
    return;
  case HTML_TAG_STRONG:
  case HTML_TAG_B:
    if (!m->pre && --m->strong_open == 0 && m->strong_marked)
      md_span_close(m, "**");
    return;
  case HTML_TAG_A:
    if (md_link(m, n)) {
      if (md_blank_since(m, m->link_open)) {
        exb_truncate(m->out, m->link_open - 1); /* the "[" */
        return;
      }
      exb_put(m->out, "](", 2);
      md_put_url(m);
      exb_putc(m->out, ')');
    }
    return;
  case HTML_TAG_BLOCKQUOTE:
  case HTML_TAG_UL:
  case HTML_TAG_OL:
    if (m->depth > 0)
      m->depth--;
    md_break(m, 2);
    return;
  case HTML_TAG_LI: {
    int d = m->depth - 1;
    if (d >= 0 && m->kind[d] != 'q') {
      md_item *it = &m->item[d];
      /* from the marker's last character on: a break may have trimmed its space */
      if (it->marker_end > it->start && md_blank_since(m, it->marker_end - 1)) {
        exb_truncate(m->out, it->start);
        m->brk = it->prev_brk;
        m->marker_end = it->prev_marker_end;
        m->space = false;
        if (m->kind[d] == 'o')
          m->counter[d]--;
      }
    }
    md_break(m, 1);
    return;
  }
  case HTML_TAG_TD:
  case HTML_TAG_TH:
    if (m->cell)
      m->cell--;
    m->space = false;
    exb_put(m->out, " |", 2);
    m->cells_in_row++;
    return;
  case HTML_TAG_TR:
    if (m->row == 0) {
      m->cols_first = m->cells_in_row;
      exb_putc(m->out, '\n');
      md_prefix(m);
      exb_putc(m->out, '|');
      for (uint32_t i = 0; i < m->cols_first; i++)
        exb_put(m->out, " --- |", 6);
    }
    m->row++;
    md_break(m, 1);
    return;
  case HTML_TAG_TABLE:
    md_break(m, 2);
    return;
  default:
    if (ex_is_block_tag(n))
      md_break(m, 2);
  }
}

void ex_markdown_serialise(const dom_node *root, const char *base, size_t base_len, ex_buf *out)
{
  ex_markdown_serialise_opts(root, base, base_len, 0, out);
}

void ex_markdown_serialise_opts(const dom_node *root, const char *base, size_t base_len,
                                uint32_t drop, ex_buf *out)
{
  md_ctx m;
  memset(&m, 0, sizeof m);
  m.out = out;
  m.drop = drop;
  m.base = base;
  m.base_len = base_len;
  exb_init(&m.tmp, EX_MAX_META * 4);
  if (root->type == DOM_TEXT)
    md_text(&m, root->data, root->data_len);
  else
    ex_walk(root, md_enter, md_leave, &m);
  exb_rtrim(out);
  exb_free(&m.tmp);
}

/* ---- cleaned HTML ---------------------------------------------------------------------------- */
typedef struct hs_ctx {
  ex_buf *out;
  const char *base;
  size_t base_len;
  ex_buf tmp;
  uint32_t drop; /* EX_OUT_* */
} hs_ctx;

static void hs_escape(ex_buf *o, const char *s, size_t n, bool attr)
{
  size_t st = 0;
  for (size_t i = 0; i < n; i++) {
    const char *rep = NULL;
    switch (s[i]) {
    case '&':
      rep = "&amp;";
      break;
    case '<':
      rep = "&lt;";
      break;
    case '>':
      rep = "&gt;";
      break;
    case '"':
      rep = attr ? "&quot;" : NULL;
      break;
    default:
      break;
    }
    if (rep) {
      exb_put(o, s + st, i - st);
      exb_puts(o, rep);
      st = i + 1;
    }
  }
  exb_put(o, s + st, n - st);
}

/* Tags kept in the cleaned HTML; others are unwrapped (their content kept). */
static bool hs_keep(const dom_node *n)
{
  if (n->ns != DOM_NS_HTML)
    return false;
  switch (n->tag) {
  case HTML_TAG_P:
  case HTML_TAG_H1:
  case HTML_TAG_H2:
  case HTML_TAG_H3:
  case HTML_TAG_H4:
  case HTML_TAG_H5:
  case HTML_TAG_H6:
  case HTML_TAG_UL:
  case HTML_TAG_OL:
  case HTML_TAG_LI:
  case HTML_TAG_BLOCKQUOTE:
  case HTML_TAG_PRE:
  case HTML_TAG_CODE:
  case HTML_TAG_EM:
  case HTML_TAG_STRONG:
  case HTML_TAG_B:
  case HTML_TAG_I:
  case HTML_TAG_A:
  case HTML_TAG_IMG:
  case HTML_TAG_TABLE:
  case HTML_TAG_THEAD:
  case HTML_TAG_TBODY:
  case HTML_TAG_TFOOT:
  case HTML_TAG_TR:
  case HTML_TAG_TH:
  case HTML_TAG_TD:
  case HTML_TAG_CAPTION:
  case HTML_TAG_FIGURE:
  case HTML_TAG_FIGCAPTION:
  case HTML_TAG_BR:
  case HTML_TAG_HR:
  case HTML_TAG_DL:
  case HTML_TAG_DT:
  case HTML_TAG_DD:
  case HTML_TAG_SUP:
  case HTML_TAG_SUB:
  case HTML_TAG_DIV:
  case HTML_TAG_SECTION:
  case HTML_TAG_ARTICLE:
  case HTML_TAG_Q:
  case HTML_TAG_S:
  case HTML_TAG_DEL:
  case HTML_TAG_INS:
  case HTML_TAG_MARK:
  case HTML_TAG_U:
  case HTML_TAG_KBD:
  case HTML_TAG_SAMP:
  case HTML_TAG_VAR:
  case HTML_TAG_ABBR:
    return true;
  default:
    return false;
  }
}

static bool hs_void(const dom_node *n)
{
  return dom_is(n, HTML_TAG_IMG) || dom_is(n, HTML_TAG_BR) || dom_is(n, HTML_TAG_HR);
}

static void hs_url_attr(hs_ctx *h, const char *name, const char *v, size_t l)
{
  exb_clear(&h->tmp);
  if (!v || !l || !ex_url_resolve(h->base, h->base_len, v, l, &h->tmp) || h->tmp.failed)
    return;
  exb_putc(h->out, ' ');
  exb_puts(h->out, name);
  exb_put(h->out, "=\"", 2);
  hs_escape(h->out, h->tmp.p, h->tmp.len, true);
  exb_putc(h->out, '"');
}

static bool hs_enter(void *vc, const dom_node *n)
{
  hs_ctx *h = vc;
  if (n->type == DOM_TEXT) {
    hs_escape(h->out, n->data, n->data_len, false);
    return false;
  }
  if (n->type != DOM_ELEMENT || ex_skip_node(n) || ex_out_dropped(n, h->drop))
    return false;
  if (!hs_keep(n) || (dom_is(n, HTML_TAG_A) && (h->drop & EX_OUT_NO_LINKS)))
    return true; /* unwrapped: the content stays */
  exb_putc(h->out, '<');
  exb_put(h->out, n->name, n->name_len);
  size_t l = 0;
  if (dom_is(n, HTML_TAG_A)) {
    const char *href = dom_attr_get(n, "href", &l);
    if (href && l && href[0] != '#')
      hs_url_attr(h, "href", href, l);
  } else if (dom_is(n, HTML_TAG_IMG)) {
    const char *src = ex_img_src(n, &l);
    hs_url_attr(h, "src", src, l);
    const char *alt = dom_attr_get(n, "alt", &l);
    if (alt) {
      exb_puts(h->out, " alt=\"");
      hs_escape(h->out, alt, l, true);
      exb_putc(h->out, '"');
    }
  } else if (dom_is(n, HTML_TAG_TD) || dom_is(n, HTML_TAG_TH)) {
    static const char *const span[] = {"colspan", "rowspan"};
    for (int i = 0; i < 2; i++) {
      const char *v = dom_attr_get(n, span[i], &l);
      if (v && l) {
        exb_putc(h->out, ' ');
        exb_puts(h->out, span[i]);
        exb_put(h->out, "=\"", 2);
        hs_escape(h->out, v, l, true);
        exb_putc(h->out, '"');
      }
    }
  }
  exb_putc(h->out, '>');
  return !hs_void(n);
}

static void hs_leave(void *vc, const dom_node *n)
{
  hs_ctx *h = vc;
  if (!hs_keep(n) || hs_void(n) || (dom_is(n, HTML_TAG_A) && (h->drop & EX_OUT_NO_LINKS)))
    return;
  exb_put(h->out, "</", 2);
  exb_put(h->out, n->name, n->name_len);
  exb_putc(h->out, '>');
}

void ex_html_serialise(const dom_node *root, const char *base, size_t base_len, ex_buf *out)
{
  ex_html_serialise_opts(root, base, base_len, 0, out);
}

void ex_html_serialise_opts(const dom_node *root, const char *base, size_t base_len, uint32_t drop,
                            ex_buf *out)
{
  hs_ctx h;
  h.out = out;
  h.drop = drop;
  h.base = base;
  h.base_len = base_len;
  exb_init(&h.tmp, EX_MAX_META * 4);
  exb_puts(out, "<article>");
  if (root->type == DOM_TEXT)
    hs_escape(out, root->data, root->data_len, false);
  else
    ex_walk(root, hs_enter, hs_leave, &h);
  exb_puts(out, "</article>");
  exb_free(&h.tmp);
}
