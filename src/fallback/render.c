/*
 * render.c - the chosen nodes as plain text and Markdown in one walk, collecting links and
 * media (resolved against the base URL; data:, javascript: and vbscript: URLs never pass).
 * The walk checks the call's deadline every FB_CLOCK_NODES nodes and inside long texts.
 *
 * Markdown list items and links follow the guest's rules (src/guest/extract/markdown.c): a
 * block inside an item starts on the marker's line, and an item or link that shows nothing
 * (rt_md_blank) is taken back, marker or "[" and all.
 */
#include "fallback/native.h"
#include "guest/extract/md_rules.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/uri.h>

/* ---- rendering ---------------------------------------------------------------------------- */

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
char *fb_resolve(const char *base, const char *href)
{
  if (!href)
    return NULL;
  while (fb_is_space((unsigned char)*href))
    href++;
  if (unsafe_scheme(href))
    return NULL;
  size_t n = strlen(href);
  while (n > 0 && fb_is_space((unsigned char)href[n - 1]))
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

/* Cuts the Markdown back to its first len bytes (not after a failed write: the call fails). */
static void md_truncate(fb_render *r, size_t len)
{
  if (r->md.overflow || r->md.nomem || len >= r->md.len)
    return;
  r->md.len = len;
  r->md.p[len] = '\0';
}

/* Has nothing visible been written to the Markdown since its length was `from`? */
static bool md_blank_since(const fb_render *r, size_t from)
{
  return from == r->md.len || (from < r->md.len && rt_md_blank(r->md.p + from, r->md.len - from));
}

/* Right after a list item's marker: a break there would leave the marker on a line of its own
 * (the guest's rule, which writes "- Text" for <li><p>Text</p></li>). */
static bool md_after_marker(const fb_render *r)
{
  return r->md.len == r->md_item_end;
}

/* Markdown: has the current output line any content yet? */
static bool md_at_line_start(const fb_render *r)
{
  return r->md.len == 0 || fb_buf_last(&r->md) == '\n';
}

static void md_line_prefix(fb_render *r)
{
  if (r->want_md && md_at_line_start(r) && r->prefix_len)
    fb_buf_add(&r->md, r->prefix, r->prefix_len);
}

/* Ends the current block: a blank line in both outputs (once). */
/* Inside a heading a break in the Markdown is a space: an ATX heading is one line. */
static void md_heading_space(fb_render *r)
{
  if (r->want_md && r->md.len && fb_buf_last(&r->md) != ' ' && fb_buf_last(&r->md) != '\n')
    fb_buf_puts(&r->md, " ");
}

/* The current line prefix without its trailing spaces: what a blank line holds (">" in a
 * quote). */
static size_t blank_prefix_len(const fb_render *r)
{
  size_t k = r->prefix_len;
  while (k > 0 && r->prefix[k - 1] == ' ')
    k--;
  return k;
}

/* The Markdown (ending with a line break) ends with a blank line of the current context: an
 * empty line, or in a quote its marker alone; *start is where that last line begins. */
static bool md_ends_blank_line(const fb_render *r, size_t *start)
{
  size_t e = r->md.len - 1, s = e, k = blank_prefix_len(r);
  while (s > 0 && r->md.p[s - 1] != '\n')
    s--;
  *start = s;
  return e == s || (e - s == k && memcmp(r->md.p + s, r->prefix, k) == 0);
}

void fb_block_break(fb_render *r)
{
  r->pending_space = false;
  if (r->cell) {
    r->pending_space = true;
    return;
  }
  if (r->txt.len && fb_buf_last(&r->txt) != '\n')
    fb_buf_puts(&r->txt, "\n");
  if (r->txt.len >= 2 && r->txt.p[r->txt.len - 2] != '\n')
    fb_buf_puts(&r->txt, "\n");
  if (r->heading) {
    md_heading_space(r);
    return;
  }
  if (!r->want_md || md_after_marker(r))
    return;
  if (r->md.len && fb_buf_last(&r->md) != '\n')
    fb_buf_puts(&r->md, "\n");
  size_t line;
  if (r->md.len >= 2 && !md_ends_blank_line(r, &line)) {
    /* Inside a blockquote the blank line carries the quote marker. */
    fb_buf_add(&r->md, r->prefix, blank_prefix_len(r));
    fb_buf_puts(&r->md, "\n");
  }
}

static void line_break(fb_render *r)
{
  r->pending_space = false;
  if (r->cell) {
    r->pending_space = true;
    return;
  }
  if (r->txt.len && fb_buf_last(&r->txt) != '\n')
    fb_buf_puts(&r->txt, "\n");
  if (r->heading)
    md_heading_space(r);
  else if (r->want_md && r->md.len && fb_buf_last(&r->md) != '\n' && !md_after_marker(r))
    fb_buf_puts(&r->md, "\n");
}

/* Writes raw Markdown syntax (no escaping). */
static void md_raw(fb_render *r, const char *s)
{
  if (!r->want_md)
    return;
  md_line_prefix(r);
  fb_buf_puts(&r->md, s);
}

static void flush_space(fb_render *r)
{
  if (!r->pending_space)
    return;
  r->pending_space = false;
  if (r->txt.len && fb_buf_last(&r->txt) != '\n' && fb_buf_last(&r->txt) != ' ')
    fb_buf_puts(&r->txt, " ");
  if (!r->want_md || md_at_line_start(r) || fb_buf_last(&r->md) == ' ')
    return;
  /* Right after opening markers the space goes before them ("a **b**", not "a** b**"):
   * CommonMark does not open emphasis whose marker is followed by a space. */
  size_t at = r->md.len;
  int d = r->span_depth < FB_MD_SPANS ? r->span_depth : FB_MD_SPANS;
  while (d > 0 && r->span_open[d - 1] + r->span_len[d - 1] == at)
    at = r->span_open[--d];
  if (at == r->md.len) {
    fb_buf_puts(&r->md, " ");
    return;
  }
  if (at == 0 || r->md.p[at - 1] == ' ' || r->md.p[at - 1] == '\n')
    return;
  size_t tail = r->md.len - at;
  fb_buf_puts(&r->md, " ");
  if (r->md.nomem || r->md.overflow)
    return;
  memmove(r->md.p + at + 1, r->md.p + at, tail);
  r->md.p[at] = ' ';
  for (int k = d; k < r->span_depth && k < FB_MD_SPANS; k++)
    r->span_open[k]++;
}

/* Takes the `n` bytes at md[at] out of the Markdown (an opening marker left unused). */
static void md_cut(fb_render *r, size_t at, size_t n)
{
  if (r->md.nomem || r->md.overflow || at + n > r->md.len)
    return;
  memmove(r->md.p + at, r->md.p + at + n, r->md.len - at - n);
  md_truncate(r, r->md.len - n);
}

static void md_escaped(fb_render *r, const char *s, size_t n)
{
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool esc = c == '\\' || c == '*' || c == '_' || c == '`' || c == '[' || c == ']' || c == '<' ||
               (r->cell && c == '|');
    if (!esc && (md_at_line_start(r) || md_after_marker(r)) && i == start && start == 0 &&
        (c == '#' || c == '>' || c == '-' || c == '+' || c == '='))
      esc = true;
    if (esc) {
      fb_buf_add(&r->md, s + start, i - start);
      fb_buf_puts(&r->md, "\\");
      start = i;
    }
  }
  fb_buf_add(&r->md, s + start, n - start);
}

/* A word is about to follow an emphasis span that just closed, with no space between: where
 * its closing marker would then not close (a punctuation mark before it, a letter after), the
 * span loses its markers (the guest's rule). */
static void md_check_closer(fb_render *r, unsigned char next)
{
  if (!r->want_md || !r->closed_mark || r->closed_end != r->md.len || r->md.nomem || r->md.overflow)
    return;
  size_t ml = strlen(r->closed_mark), at = r->closed_open;
  r->closed_mark = NULL;
  if (rt_md_right_flanking((unsigned char)r->md.p[r->md.len - ml - 1], next))
    return;
  md_truncate(r, r->md.len - ml);
  md_cut(r, at, ml);
}

/* Visible text: whitespace collapsed (except in <pre>). */
static void emit_text(fb_render *r, const char *s)
{
  if (r->pre) {
    fb_buf_puts(&r->txt, s);
    if (r->want_md)
      fb_buf_puts(&r->md, s);
    return;
  }
  const char *p = s;
  while (*p && !r->timed_out) {
    if (r->deadline_ns && (r->text_bytes += 64) >= (1u << 20)) { /* ~every 16k words */
      r->text_bytes = 0;
      r->timed_out = fb_now_ns() > r->deadline_ns;
    }
    size_t sl = fb_space_len(p), pl;
    if (sl) {
      r->pending_space = true;
      p += sl;
      continue;
    }
    if ((pl = fb_pua_len(p))) {
      p += pl;
      continue;
    }
    const char *w = p;
    while (*p && !fb_space_len(p) && !fb_pua_len(p))
      p++;
    flush_space(r);
    md_check_closer(r, (unsigned char)*w);
    fb_buf_add(&r->txt, w, (size_t)(p - w));
    if (r->want_md) {
      bool line_start = md_at_line_start(r) || md_after_marker(r);
      md_line_prefix(r);
      if (line_start && r->md.len && w[0] >= '0' && w[0] <= '9') {
        /* "1. " at a line start (or an item's) would start a list: escape the dot. */
        const char *d = w;
        while (d < p && *d >= '0' && *d <= '9')
          d++;
        if (d < p && (*d == '.' || *d == ')') && d + 1 == p) {
          fb_buf_add(&r->md, w, (size_t)(d - w));
          fb_buf_puts(&r->md, "\\");
          fb_buf_add(&r->md, d, (size_t)(p - d));
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

bool fb_add_media(fb_render *r, const char *src, const char *alt, const char *kind)
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
  m->alt = alt && *alt ? fb_clean_dup(alt, FB_MAX_META_LEN) : NULL;
  m->kind = strdup(kind);
  m->caption = NULL;
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
  const char *src = fb_attr(n, "src");
  bool placeholder = !src || !*src || unsafe_scheme(src);
  if (!placeholder)
    return src;
  for (int i = 0; lazy[i]; i++) {
    const char *v = fb_attr(n, lazy[i]);
    if (v && *v)
      return v;
  }
  const char *ss = fb_attr(n, "srcset");
  if (!ss)
    ss = fb_attr(n, "data-srcset");
  if (ss) {
    while (fb_is_space((unsigned char)*ss))
      ss++;
    size_t k = 0;
    while (ss[k] && !fb_is_space((unsigned char)ss[k]) && ss[k] != ',' && k + 1 < tmpcap) {
      tmp[k] = ss[k];
      k++;
    }
    tmp[k] = '\0';
    if (k)
      return tmp;
  }
  return src && *src ? src : NULL;
}

void fb_render_node(fb_render *r, xmlNode *n, int depth);

static void render_children(fb_render *r, xmlNode *n, int depth)
{
  if (depth >= FB_MAX_DEPTH)
    return;
  for (xmlNode *c = n->children; c; c = c->next)
    fb_render_node(r, c, depth + 1);
}

/* Plain text of a subtree (for link text and table cells' alt text). */
/* fb_text_of, with what a <br> becomes: a space, or in preformatted text its line break. */
static void text_of_br(const xmlNode *n, fb_buf *b, int depth, const char *br)
{
  if (depth >= FB_MAX_DEPTH)
    return;
  for (const xmlNode *c = n->children; c && !b->overflow; c = c->next) {
    if (c->type == XML_TEXT_NODE && c->content)
      fb_buf_puts(b, (const char *)c->content);
    else if (fb_is_el(c)) {
      if (fb_name_is(c, "br"))
        fb_buf_puts(b, br);
      else if (fb_is_block(c))
        fb_buf_puts(b, " ");
      text_of_br(c, b, depth + 1, br);
    }
  }
}

void fb_text_of(const xmlNode *n, fb_buf *b, int depth)
{
  text_of_br(n, b, depth, " ");
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
      if (!fb_is_el(c))
        continue;
      if (fb_name_is(c, "thead") || fb_name_is(c, "tbody") || fb_name_is(c, "tfoot")) {
        if (sp < 8)
          stack[sp++] = c;
      } else if (fb_name_is(c, "tr")) {
        rows++;
        int cells = 0;
        for (const xmlNode *td = c->children; td; td = td->next) {
          if (!fb_name_is(td, "td") && !fb_name_is(td, "th"))
            continue;
          cells++;
          const fb_info *i = fb_info_of(td);
          if (i && i->has_block) {
            /* <p> inside a cell is common in data tables; lists, tables, divs are layout. */
            for (const xmlNode *k = td->children; k; k = k->next)
              if (fb_is_block(k) && !fb_name_is(k, "p"))
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
    if (!fb_name_is(td, "td") && !fb_name_is(td, "th"))
      continue;
    if (!fb_name_is(td, "th"))
      all_th = false;
    if (cells >= ncols)
      break;
    cells++;
    md_raw(r, " ");
    if (cells > 1 && r->txt.len && fb_buf_last(&r->txt) != '\n')
      fb_buf_puts(&r->txt, "\t");
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
    if (fb_name_is(c, "tr"))
      render_row(r, c, ncols, depth + 1, header_done);
    else if (fb_name_is(c, "thead") || fb_name_is(c, "tbody") || fb_name_is(c, "tfoot"))
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
  const fb_info *i = fb_info_of(n);
  if (!i || i->text_len == 0)
    return false;
  double ld = fb_link_density(n);
  if (ld > 0.5 && i->text_len < 2000)
    return true;
  return fb_class_weight(n) < 0 && i->text_len < 200 && i->commas < 2;
}

static bool is_media_el(const xmlNode *n)
{
  return fb_name_is(n, "img") || fb_name_is(n, "picture") || fb_name_is(n, "video") ||
         fb_name_is(n, "audio");
}

/* Does the subtree under n hold an image, picture, video or audio element? */
static bool holds_media(const xmlNode *n, int depth)
{
  if (depth >= FB_MAX_DEPTH)
    return false;
  for (const xmlNode *c = n->children; c; c = c->next)
    if (fb_is_el(c) && (is_media_el(c) || holds_media(c, depth + 1)))
      return true;
  return false;
}

/* The guest's layout-table rule (ex_layout_table, src/guest/extract/ex_internal.h): walks
 * under n until it decides; *nodes and *cell count what was seen. */
static bool layout_walk(const xmlNode *n, size_t *nodes, size_t *cell, int depth)
{
  for (const xmlNode *c = n->children; c; c = c->next) {
    if (++*nodes > FB_LAYOUT_TABLE_NODES || depth >= FB_MAX_DEPTH)
      return true;
    if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      for (const unsigned char *p = c->content; p && *p; p++)
        *cell += !(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f');
      if (*cell > FB_LAYOUT_CELL_BYTES)
        return true;
      continue;
    }
    if (!fb_is_el(c))
      continue;
    const char *name = (const char *)c->name;
    if (!strcmp(name, "table") || (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2]))
      return true;
    if (!strcmp(name, "td") || !strcmp(name, "th") || !strcmp(name, "caption"))
      *cell = 0;
    if (layout_walk(c, nodes, cell, depth + 1))
      return true;
  }
  return false;
}

static bool layout_table(const xmlNode *t)
{
  const char *role = fb_attr(t, "role");
  if (role && !strcasecmp(role, "presentation"))
    return true;
  size_t nodes = 0, cell = 0;
  return layout_walk(t, &nodes, &cell, 0);
}

bool fb_out_dropped(const fb_render *r, const xmlNode *n, int depth)
{
  if (depth == 0 || !fb_is_el(n))
    return false;
  if (!r->want_tables && fb_name_is(n, "table"))
    return !layout_table(n);
  if (r->want_media)
    return false;
  if (is_media_el(n))
    return true;
  if (!fb_name_is(n, "figcaption"))
    return false;
  for (const xmlNode *p = n->parent; p && fb_is_el(p); p = p->parent)
    if (fb_name_is(p, "figure"))
      return holds_media(p, 0);
  return false;
}

/* Pass 0 removes tables and captions (while the media that make a caption one are still
 * there), pass 1 media and links. */
static void out_prune(const fb_render *r, xmlNode *n, int depth, int pass)
{
  if (depth >= FB_MAX_DEPTH)
    return;
  xmlNode *c = n->children;
  while (c) {
    xmlNode *next = c->next;
    if ((pass == 0) != is_media_el(c) && fb_out_dropped(r, c, depth + 1)) {
      xmlUnlinkNode(c);
      xmlFreeNode(c);
    } else if (fb_is_el(c)) {
      out_prune(r, c, depth + 1, pass);
      if (pass == 1 && !r->want_links && fb_name_is(c, "a")) {
        /* unwrapped: its children take its place */
        xmlNode *k = c->children;
        while (k) {
          xmlNode *kn = k->next;
          xmlUnlinkNode(k);
          xmlAddPrevSibling(c, k);
          k = kn;
        }
        xmlUnlinkNode(c);
        xmlFreeNode(c);
      }
    }
    c = next;
  }
}

void fb_out_prune(const fb_render *r, xmlNode *n, int depth)
{
  out_prune(r, n, depth, 0);
  out_prune(r, n, depth, 1);
}

static void render_element(fb_render *r, xmlNode *n, int depth)
{
  const char *name = (const char *)n->name;
  if (fb_in_list(name, fb_junk_tags) || !strcmp(name, "svg"))
    return;
  if (fb_out_dropped(r, n, depth))
    return;
  if (fb_is_hidden(n))
    return;
  if (r->clean && depth > 0 && cleanable(n))
    return;
  size_t saved;

  if (name[0] == 'h' && name[1] >= '1' && name[1] <= '6' && !name[2]) {
    fb_block_break(r);
    size_t head_start = r->md.len, head_mark_end = 0;
    if (r->want_md) {
      char hashes[8] = "";
      int level = name[1] - '0';
      for (int i = 0; i < level; i++)
        hashes[i] = '#';
      hashes[level] = ' ';
      hashes[level + 1] = '\0';
      md_raw(r, hashes);
      head_mark_end = r->md.len;
    }
    r->heading++;
    render_children(r, n, depth);
    r->heading--;
    if (r->want_md) {
      while (r->md.len > head_mark_end && fb_buf_last(&r->md) == ' ')
        r->md.len--, r->md.p[r->md.len] = '\0';
      /* a heading that shows nothing is no "##" line (the guest's rule) */
      if (md_blank_since(r, head_mark_end - 1))
        md_truncate(r, head_start);
    }
    fb_block_break(r);
    r->paragraphs++;
    return;
  }
  if (!strcmp(name, "p")) {
    fb_block_break(r);
    size_t before = r->txt.len;
    render_children(r, n, depth);
    if (r->txt.len > before + 20)
      r->paragraphs++;
    fb_block_break(r);
    return;
  }
  if (!strcmp(name, "br")) {
    if (r->cell) {
      r->pending_space = true;
      return;
    }
    if (r->want_md && !md_at_line_start(r) && !r->heading)
      fb_buf_puts(&r->md, "  ");
    line_break(r);
    return;
  }
  if (!strcmp(name, "hr")) {
    fb_block_break(r);
    md_raw(r, "---");
    fb_block_break(r);
    return;
  }
  if (!strcmp(name, "pre")) {
    fb_block_break(r);
    md_raw(r, "```\n");
    r->pre++;
    fb_buf tmp = {.max = r->md.max};
    text_of_br(n, &tmp, depth, "\n");
    if (tmp.p) {
      fb_buf_puts(&r->txt, tmp.p);
      if (r->want_md)
        fb_buf_puts(&r->md, tmp.p);
    }
    free(tmp.p);
    r->pre--;
    if (r->want_md && fb_buf_last(&r->md) != '\n')
      fb_buf_puts(&r->md, "\n");
    md_raw(r, "```");
    fb_block_break(r);
    r->paragraphs++;
    return;
  }
  if (!strcmp(name, "blockquote")) {
    fb_block_break(r);
    push_prefix(r, "> ", &saved);
    if (r->want_md && md_after_marker(r)) {
      /* the quote starts on its item's line ("- > text"), as in the guest */
      fb_buf_puts(&r->md, "> ");
      r->md_item_end = r->md.len;
    }
    render_children(r, n, depth);
    line_break(r);
    /* the blank quote line its last block left ends nothing: the quote ends there */
    size_t line;
    if (r->want_md && r->md.len >= 2 && md_ends_blank_line(r, &line) && line < r->md.len - 1)
      md_truncate(r, line);
    pop_prefix(r, saved);
    fb_block_break(r);
    return;
  }
  if (!strcmp(name, "ul") || !strcmp(name, "ol") || !strcmp(name, "menu") || !strcmp(name, "dir")) {
    bool ordered = !strcmp(name, "ol");
    if (r->list_depth == 0)
      fb_block_break(r);
    else
      line_break(r);
    r->list_depth++;
    int idx = 0;
    const char *start = fb_attr(n, "start");
    if (ordered && start) {
      char *end;
      long v = strtol(start, &end, 10);
      if (end != start && v > 0 && v < 1000000)
        idx = (int)v - 1;
    }
    for (xmlNode *li = n->children; li; li = li->next) {
      if (!fb_is_el(li)) {
        continue;
      }
      if (!fb_name_is(li, "li")) {
        fb_render_node(r, li, depth + 1);
        continue;
      }
      r->md_item_end = SIZE_MAX; /* an item's own line break is always written */
      line_break(r);
      size_t item_start = r->md.len;
      char marker[24];
      if (ordered)
        snprintf(marker, sizeof marker, "%d. ", ++idx);
      else
        snprintf(marker, sizeof marker, "- ");
      md_raw(r, marker);
      size_t marker_end = r->md.len;
      r->md_item_end = marker_end;
      if (r->txt.len && fb_buf_last(&r->txt) != '\n')
        fb_buf_puts(&r->txt, "\n");
      push_prefix(r, ordered ? "   " : "  ", &saved);
      render_children(r, li, depth + 1);
      pop_prefix(r, saved);
      if (r->want_md && marker_end > item_start && md_blank_since(r, marker_end - 1)) {
        md_truncate(r, item_start); /* no text, no image: no item */
        idx -= ordered;
      }
      r->md_item_end = SIZE_MAX;
      line_break(r);
    }
    r->list_depth--;
    if (r->list_depth == 0)
      fb_block_break(r);
    return;
  }
  if (!strcmp(name, "table")) {
    int ncols = 0;
    if (!r->cell && data_table(n, &ncols)) {
      fb_block_break(r);
      bool header_done = false;
      for (xmlNode *c = n->children; c; c = c->next)
        if (fb_name_is(c, "caption")) {
          render_children(r, c, depth + 1);
          fb_block_break(r);
        }
      render_table_rows(r, n, ncols, depth, &header_done);
      fb_block_break(r);
      r->paragraphs++;
      return;
    }
    fb_block_break(r);
    render_children(r, n, depth);
    fb_block_break(r);
    return;
  }
  if (!strcmp(name, "td") || !strcmp(name, "th")) {
    if (r->cell) {
      r->pending_space = true;
      render_children(r, n, depth);
      return;
    }
    fb_block_break(r);
    render_children(r, n, depth);
    fb_block_break(r);
    return;
  }
  if (!strcmp(name, "img")) {
    char tmp[2048];
    const char *src = img_src(n, tmp, sizeof tmp);
    if (!src || !r->want_media)
      return;
    char *abs = fb_resolve(r->base, src);
    if (!abs)
      return;
    const char *alt = fb_attr(n, "alt");
    if (!fb_add_media(r, abs, alt, "image"))
      r->nomem = true;
    if (r->want_md) {
      flush_space(r);
      md_raw(r, "![");
      char *calt = alt ? fb_clean_dup(alt, 512) : NULL;
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
    const char *src = fb_attr(n, "src");
    for (xmlNode *c = n->children; !src && c; c = c->next)
      if (fb_name_is(c, "source"))
        src = fb_attr(c, "src");
    if (src && r->want_media) {
      char *abs = fb_resolve(r->base, src);
      if (abs) {
        if (!fb_add_media(r, abs, NULL, name))
          r->nomem = true;
        free(abs);
      }
    }
    return;
  }
  if (!strcmp(name, "a")) {
    const char *href = fb_attr(n, "href");
    char *abs = NULL;
    if (href && r->want_links) {
      const char *h = href;
      while (fb_is_space((unsigned char)*h))
        h++;
      if (*h && *h != '#')
        abs = fb_resolve(r->base, h);
    }
    if (!abs) {
      render_children(r, n, depth);
      return;
    }
    fb_buf t = {.max = 1 << 16};
    fb_text_of(n, &t, depth);
    char *text = fb_clean_dup(t.p ? t.p : "", 4096);
    free(t.p);
    if (!add_link(r, abs, text))
      r->nomem = true;
    const fb_info *ai = fb_info_of(n);
    /* a link that would show nothing (an image link without images) is not written */
    if (r->want_md && text && !(ai && ai->has_block) && (*text || r->want_media)) {
      flush_space(r);
      md_raw(r, "[");
      size_t mdlen = r->md.len;
      render_children(r, n, depth);
      if (r->md.len == mdlen)
        md_escaped(r, text, strlen(text));
      if (md_blank_since(r, mdlen)) {
        md_truncate(r, mdlen - 1); /* a link that shows nothing is not written */
        free(text);
        free(abs);
        return;
      }
      md_raw(r, "](");
      /* Parentheses and spaces would end the destination early: use the <...> form. */
      bool angle = strpbrk(abs, " ()<>") != NULL;
      md_raw(r, angle ? "<" : "");
      if (angle) {
        for (const char *c = abs; *c; c++) {
          if (*c == '<' || *c == '>')
            fb_buf_puts(&r->md, *c == '<' ? "%3C" : "%3E");
          else
            fb_buf_add(&r->md, c, 1);
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
    const fb_info *i = fb_info_of(n);
    bool strong = !strcmp(name, "strong") || !strcmp(name, "b"),
         em = !strcmp(name, "em") || !strcmp(name, "i");
    int *open = strong ? &r->strong_open : em ? &r->em_open : NULL;
    if (!r->want_md || !i || i->text_len == 0 || i->has_block || r->pre || (open && *open)) {
      render_children(r, n, depth); /* (emphasis in emphasis of its kind adds nothing) */
      return;
    }
    const char *mark = strong ? "**" : em ? "*" : "`";
    /* Right after a span of its kind closed ("<em>b</em><em>y</em>"), "*b**y*" would read as
     * strong: the two are one span, the closing marker taken back (the guest's rule). */
    bool joined = mark[0] != '`' && r->closed_mark && !strcmp(r->closed_mark, mark) &&
                  r->closed_end == r->md.len && !r->pending_space && !r->md.nomem &&
                  !r->md.overflow;
    r->closed_mark = NULL;
    size_t ml = strlen(mark), at;
    if (joined) {
      md_truncate(r, r->md.len - ml);
      at = r->closed_open;
    } else {
      flush_space(r);
      md_raw(r, mark);
      at = r->md.len - ml;
    }
    int slot = r->span_depth++;
    if (slot < FB_MD_SPANS) {
      r->span_open[slot] = at;
      r->span_len[slot] = (unsigned char)ml;
    }
    if (mark[0] == '`') {
      /* Code spans take their text verbatim. */
      fb_buf t = {.max = 1 << 20};
      fb_text_of(n, &t, depth);
      char *code = fb_clean_dup(t.p ? t.p : "", 1 << 20);
      free(t.p);
      if (code) {
        /* the fence its content needs: the opening "`" is written, the closing one below */
        bool pad;
        size_t fence = rt_md_code_fence(code, strlen(code), &pad);
        for (size_t k = 1; k < fence; k++)
          fb_buf_puts(&r->md, "`");
        fb_buf_puts(&r->md, pad ? " " : "");
        fb_buf_puts(&r->md, code);
        fb_buf_puts(&r->md, pad ? " " : "");
        for (size_t k = 1; k < fence; k++)
          fb_buf_puts(&r->md, "`");
        fb_buf_puts(&r->txt, code);
      }
      free(code);
    } else {
      /* Emphasis may not start or end with a space: hold spaces outside the markers. */
      r->pending_space = false;
      bool md_save = r->want_md;
      ++*open;
      render_children(r, n, depth);
      --*open;
      r->want_md = md_save;
      while (r->md.len && fb_buf_last(&r->md) == ' ')
        r->md.len--, r->md.p[r->md.len] = '\0';
    }
    r->span_depth--;
    if (slot < FB_MD_SPANS)
      at = r->span_open[slot];        /* where it is now: flush_space may have moved it */
    if (md_blank_since(r, at + ml)) { /* a span that shows nothing (an icon's glyph) */
      if (joined)
        md_raw(r, mark); /* the span it joined closes where it did */
      else
        md_truncate(r, at);
      return;
    }
    /* A <br> that ended the span: its hard break goes after the closing marker, which at the
     * start of the next line would not close the span. */
    bool hard = r->md.len >= at + ml + 3 && !memcmp(r->md.p + r->md.len - 3, "  \n", 3);
    if (hard)
      md_truncate(r, r->md.len - 3);
    if (mark[0] != '`' && !r->md.nomem && !r->md.overflow &&
        !rt_md_left_flanking(at ? (unsigned char)r->md.p[at - 1] : 0,
                             (unsigned char)r->md.p[at + ml])) {
      md_cut(r, at, ml); /* its opener would not open (the guest's rule): no markers */
    } else {
      md_raw(r, mark);
      if (mark[0] != '`') {
        r->closed_mark = mark;
        r->closed_open = at;
        r->closed_end = r->md.len;
      }
    }
    if (hard)
      fb_buf_puts(&r->md, "  \n");
    return;
  }
  if (!strcmp(name, "figcaption")) {
    /* A caption belongs to its image: under it in the Markdown, not in the text (the article's
     * prose), as in the guest. */
    size_t t0 = r->txt.len;
    line_break(r);
    render_children(r, n, depth);
    line_break(r);
    if (r->txt.len > t0 && !r->txt.nomem) {
      r->txt.len = t0;
      r->txt.p[t0] = '\0';
    }
    return;
  }
  if (!strcmp(name, "li") || !strcmp(name, "dt") || !strcmp(name, "dd") ||
      !strcmp(name, "caption")) {
    line_break(r);
    render_children(r, n, depth);
    line_break(r);
    return;
  }
  if (fb_is_block(n)) {
    fb_block_break(r);
    render_children(r, n, depth);
    fb_block_break(r);
    return;
  }
  render_children(r, n, depth);
}

void fb_render_node(fb_render *r, xmlNode *n, int depth)
{
  if (r->timed_out)
    return;
  if (++r->nodes >= FB_CLOCK_NODES) {
    r->nodes = 0;
    if (r->deadline_ns && fb_now_ns() > r->deadline_ns) {
      r->timed_out = true;
      return;
    }
  }
  if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
    if (n->content)
      emit_text(r, (const char *)n->content);
  } else if (fb_is_el(n)) {
    render_element(r, n, depth);
  }
}
