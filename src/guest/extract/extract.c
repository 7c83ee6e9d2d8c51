/*
 * extract.c - the extractor's entry points: options, modes and the wire output.
 *
 * DESIGN: one call of ex_extract() owns everything it allocates (the parsed document, the
 * metadata buffers, the outputs) and frees all of it before returning, so the guest keeps no
 * state between documents. Steps: parse (bounded by o->mem_limit) -> metadata (every mode) ->
 * body work by mode (article: content selection; full: every visible element; custom: the
 * elements matching o->selector) -> text / Markdown / HTML / links / media -> word count,
 * reading time, quality score -> wire records in a fixed order.
 */
#include "guest/extract/ex_internal.h"
#include "guest/html/parser.h"

#include <stdlib.h>
#include <string.h>

#define EX_MIN_ARTICLE_BODY 500

void ex_options_init(ex_options *o)
{
  memset(o, 0, sizeof *o);
  o->mode = 0;
  o->selector = NULL;
  o->markdown = true;
  o->html = false;
  o->links = true;
  o->media = true;
  o->tables = true;
  o->mem_limit = 0;
}

static bool parse_bool(const char *v, size_t n, bool *out)
{
  if (n == 1 && (v[0] == '0' || v[0] == '1')) {
    *out = v[0] == '1';
    return true;
  }
  if (ex_ieq(v, n, "true") || ex_ieq(v, n, "yes") || ex_ieq(v, n, "on")) {
    *out = true;
    return true;
  }
  if (ex_ieq(v, n, "false") || ex_ieq(v, n, "no") || ex_ieq(v, n, "off")) {
    *out = false;
    return true;
  }
  return false;
}

rt_guest_status ex_options_parse(ex_options *o, const char *opts, size_t len, char *scratch,
                                 size_t scratch_len)
{
  size_t i = 0;
  while (i < len) {
    size_t e = i;
    while (e < len && opts[e] != '\n')
      e++;
    size_t ls = i, le = e;
    if (le > ls && opts[le - 1] == '\r')
      le--;
    i = e + 1;
    if (le == ls)
      continue;
    size_t eq = ls;
    while (eq < le && opts[eq] != '=')
      eq++;
    if (eq == le)
      return RT_GUEST_BAD_ARGS;
    const char *k = opts + ls, *v = opts + eq + 1;
    size_t kn = eq - ls, vn = le - eq - 1;
    bool b;
    if (ex_ieq(k, kn, "selector")) {
      if (!scratch || vn + 1 > scratch_len || vn > EX_MAX_SELECTOR)
        return RT_GUEST_BAD_ARGS;
      memcpy(scratch, v, vn);
      scratch[vn] = '\0';
      o->selector = scratch;
      scratch += vn + 1;
      scratch_len -= vn + 1;
    } else if (ex_ieq(k, kn, "markdown")) {
      if (!parse_bool(v, vn, &b))
        return RT_GUEST_BAD_ARGS;
      o->markdown = b;
    } else if (ex_ieq(k, kn, "html")) {
      if (!parse_bool(v, vn, &b))
        return RT_GUEST_BAD_ARGS;
      o->html = b;
    } else if (ex_ieq(k, kn, "links")) {
      if (!parse_bool(v, vn, &b))
        return RT_GUEST_BAD_ARGS;
      o->links = b;
    } else if (ex_ieq(k, kn, "media")) {
      if (!parse_bool(v, vn, &b))
        return RT_GUEST_BAD_ARGS;
      o->media = b;
    } else if (ex_ieq(k, kn, "tables")) {
      if (!parse_bool(v, vn, &b))
        return RT_GUEST_BAD_ARGS;
      o->tables = b;
    } else if (ex_ieq(k, kn, "parse_only")) {
      if (!parse_bool(v, vn, &b))
        return RT_GUEST_BAD_ARGS;
      o->parse_only = b;
    } else {
      return RT_GUEST_BAD_ARGS; /* unknown keys are refused: a typo must not go unnoticed */
    }
  }
  return RT_GUEST_OK;
}

const char *ex_info(void)
{
  return "{\"name\":\"riptide-extract\",\"version\":\"0.2.0\",\"abi\":1,"
         "\"features\":[\"html5-parser\",\"boilerplate-removal\",\"markdown\",\"gfm-tables\","
         "\"cleaned-html\",\"metadata\",\"json-ld\",\"language-guess\",\"css-selectors\","
         "\"quality-score\"],"
         "\"modes\":[\"article\",\"full\",\"metadata\",\"custom\"]}";
}

/* ---- links and media --------------------------------------------------------------------- */
typedef struct lm_ctx {
  rt_wire_writer *w;
  const char *base;
  size_t base_len;
  bool links, media, tables;
  uint32_t n_links, n_media;
  ex_buf tmp, text;
  /* the page's og:image, resolved: listed after the content's media unless one of them is it */
  const char *og;
  size_t og_len;
  bool og_seen;
} lm_ctx;

static void put_media(lm_ctx *c, const char *src, size_t sn, const dom_node *n, const char *kind)
{
  if (c->n_media >= EX_MAX_MEDIA || !sn)
    return;
  exb_clear(&c->tmp);
  if (!ex_url_resolve(c->base, c->base_len, src, sn, &c->tmp) || c->tmp.failed)
    return;
  if (ex_istarts(c->tmp.p, c->tmp.len, "data:"))
    return;
  if (c->og_len && c->tmp.len == c->og_len && memcmp(c->tmp.p, c->og, c->og_len) == 0)
    c->og_seen = true;
  rt_wire_put_str(c->w, RT_F_MEDIA_SRC, c->tmp.p, c->tmp.len);
  size_t al = 0;
  const char *alt = dom_attr_get(n, "alt", &al);
  if (alt && al) {
    size_t tl = al;
    const char *t = ex_trim(alt, &tl);
    if (tl)
      rt_wire_put_str(c->w, RT_F_MEDIA_ALT, t, tl);
  }
  rt_wire_put_cstr(c->w, RT_F_MEDIA_KIND, kind);
  exb_clear(&c->text);
  if (ex_media_caption(n, &c->text) && !c->text.failed) {
    size_t tl = c->text.len;
    const char *t = ex_trim(c->text.p, &tl);
    if (tl && tl <= EX_MAX_META)
      rt_wire_put_str(c->w, RT_F_MEDIA_CAPTION, t, tl);
  }
  c->n_media++;
}

static bool lm_enter(void *vc, const dom_node *n)
{
  lm_ctx *c = vc;
  if (n->type != DOM_ELEMENT || ex_skip_node(n) ||
      (!c->tables && ex_out_dropped(n, EX_OUT_NO_TABLES)))
    return false;
  size_t l = 0;
  if (c->links && dom_is(n, HTML_TAG_A) && c->n_links < EX_MAX_LINKS) {
    const char *href = dom_attr_get(n, "href", &l);
    size_t hl = l;
    if (href)
      href = ex_trim(href, &hl);
    if (href && hl && href[0] != '#' && !ex_istarts(href, hl, "javascript:")) {
      exb_clear(&c->tmp);
      if (ex_url_resolve(c->base, c->base_len, href, hl, &c->tmp) && !c->tmp.failed) {
        rt_wire_put_str(c->w, RT_F_LINK_HREF, c->tmp.p, c->tmp.len);
        exb_clear(&c->text);
        ex_collect_text(n, &c->text);
        size_t tl = c->text.len;
        const char *t = c->text.p ? ex_trim(c->text.p, &tl) : NULL;
        if (t && tl && tl <= EX_MAX_META)
          rt_wire_put_str(c->w, RT_F_LINK_TEXT, t, tl);
        c->n_links++;
      }
    }
  }
  if (c->media) {
    if (dom_is(n, HTML_TAG_IMG)) {
      const char *s = ex_img_src(n, &l);
      if (s)
        put_media(c, s, l, n, "image");
    } else if (dom_is(n, HTML_TAG_VIDEO) || dom_is(n, HTML_TAG_AUDIO)) {
      const char *kind = dom_is(n, HTML_TAG_VIDEO) ? "video" : "audio";
      const char *s = dom_attr_get(n, "src", &l);
      if (s && l) {
        put_media(c, s, l, n, kind);
      } else {
        for (const dom_node *ch = n->first_child; ch; ch = ch->next)
          if (dom_is(ch, HTML_TAG_SOURCE)) {
            s = dom_attr_get(ch, "src", &l);
            if (s && l) {
              put_media(c, s, l, n, kind);
              break;
            }
          }
      }
      return false;
    }
  }
  return true;
}

static void put_links_media(const dom_node *root, const ex_options *o, const ex_meta *m,
                            rt_wire_writer *w)
{
  lm_ctx c;
  memset(&c, 0, sizeof c);
  c.w = w;
  c.base = m->base_url.p ? m->base_url.p : "";
  c.base_len = m->base_url.len;
  c.links = o->links;
  c.media = o->media;
  c.tables = o->tables;
  exb_init(&c.tmp, EX_MAX_META * 4);
  exb_init(&c.text, EX_MAX_META * 4);
  ex_buf og;
  exb_init(&og, EX_MAX_META * 4);
  if (o->media && m->og_image.len &&
      ex_url_resolve(c.base, c.base_len, m->og_image.p, m->og_image.len, &og) && !og.failed) {
    c.og = og.p;
    c.og_len = og.len;
  }
  if (root)
    ex_walk(root, lm_enter, NULL, &c);
  if (c.og_len && !c.og_seen) {
    dom_node none; /* not an element: no alt text */
    memset(&none, 0, sizeof none);
    size_t l = c.og_len;
    c.og_len = 0;
    put_media(&c, c.og, l, &none, "image");
  }
  exb_free(&og);
  exb_free(&c.tmp);
  exb_free(&c.text);
}

/* ---- custom mode -------------------------------------------------------------------------- */
/* Collects the outermost elements matching the selector under a synthetic container (the
 * matched nodes are moved there, in document order). */
static rt_guest_status custom_select(dom_doc *doc, const char *sel, dom_node **out)
{
  bool oom = false;
  ex_selector *s = ex_selector_parse(sel ? sel : "", sel ? strlen(sel) : 0, &oom);
  if (!s)
    return oom ? RT_GUEST_NOMEM : RT_GUEST_SELECTOR;
  dom_node *box = dom_new_element(doc, "div", 3, DOM_NS_HTML);
  if (!box) {
    ex_selector_free(s);
    return RT_GUEST_NOMEM;
  }
  dom_node *n = doc->root->first_child ? doc->root : NULL;
  /* first gather, then move (moving while walking would break the walk) */
  size_t cap = 0, cnt = 0;
  dom_node **list = NULL;
  rt_guest_status st = RT_GUEST_OK;
  n = n ? dom_next(doc->root, doc->root) : NULL;
  while (n) {
    if (n->type == DOM_ELEMENT && !ex_skip_node(n) && ex_selector_match(s, n)) {
      if (cnt == cap) {
        size_t nc = cap ? cap * 2 : 16;
        dom_node **nl = realloc(list, nc * sizeof *nl);
        if (!nl) {
          st = RT_GUEST_NOMEM;
          break;
        }
        list = nl;
        cap = nc;
      }
      list[cnt++] = n;
      n = dom_next_skip(doc->root, n);
      continue;
    }
    n = dom_next(doc->root, n);
  }
  for (size_t i = 0; st == RT_GUEST_OK && i < cnt; i++)
    dom_append_child(box, list[i]);
  free(list);
  ex_selector_free(s);
  *out = box;
  return st;
}

/* ---- the document ------------------------------------------------------------------------ */
static void put_buf(rt_wire_writer *w, rt_wire_field f, const ex_buf *b)
{
  if (b->len && !b->failed)
    rt_wire_put_str(w, f, b->p, b->len);
}

static uint32_t count_paragraphs(const char *s, size_t n)
{
  uint32_t k = n ? 1 : 0;
  for (size_t i = 0; i + 1 < n; i++)
    if (s[i] == '\n' && s[i + 1] == '\n')
      k++;
  return k;
}

typedef struct linkchars_ctx {
  uint32_t all, in_links;
  int depth_a;
} linkchars_ctx;

static bool lc_enter(void *vc, const dom_node *n)
{
  linkchars_ctx *c = vc;
  if (n->type == DOM_TEXT) {
    c->all += n->data_len;
    if (c->depth_a)
      c->in_links += n->data_len;
    return false;
  }
  if (n->type != DOM_ELEMENT || ex_skip_node(n))
    return false;
  if (dom_is(n, HTML_TAG_A))
    c->depth_a++;
  return true;
}

static void lc_leave(void *vc, const dom_node *n)
{
  linkchars_ctx *c = vc;
  if (dom_is(n, HTML_TAG_A) && c->depth_a)
    c->depth_a--;
}

rt_guest_status ex_extract(const char *html, size_t len, const char *url, size_t url_len,
                           const ex_options *o, rt_wire_writer *w)
{
  if (!o || !w || (!html && len) || o->mode > 3)
    return RT_GUEST_BAD_ARGS;
  if (!url)
    url_len = 0;
  html_parse_options po;
  memset(&po, 0, sizeof po);
  po.mem_limit = o->mem_limit;
  po.scripting = false;
  dom_doc *doc = NULL;
  html_parse_status ps = html_parse(html ? html : "", len, &po, &doc);
  if (ps != HTML_PARSE_OK || !doc) {
    dom_doc_free(doc);
    return ps == HTML_PARSE_LIMIT ? RT_GUEST_PARSE_LIMIT : RT_GUEST_NOMEM;
  }
  if (o->parse_only) { /* the parser alone (bench_parser's sandbox figures) */
    dom_doc_free(doc);
    return RT_GUEST_OK;
  }
  /* Our own allocations in the arena (synthetic containers) may go a little past the parse
   * bound: the parse is what o->mem_limit bounds. */
  doc->mem_limit = 0;

  ex_meta m;
  ex_meta_init(&m);
  ex_meta_extract(doc, url, url_len, &m);
  ex_mark_static(doc);

  rt_guest_status st = RT_GUEST_OK;
  dom_node *root = NULL;
  bool fallback = false;
  if (o->mode == 0) {
    root = ex_content_select(doc, m.title.p ? m.title.p : "", m.title.len);
    if (!root && doc->oom)
      st = RT_GUEST_NOMEM;
  } else if (o->mode == 1) {
    root = ex_body(doc);
    fallback = true;
  } else if (o->mode == 3) {
    st = custom_select(doc, o->selector, &root);
  }

  ex_buf text, md, hb;
  exb_init(&text, EX_MAX_OUT);
  exb_init(&md, EX_MAX_OUT);
  exb_init(&hb, EX_MAX_OUT);
  if (st == RT_GUEST_OK && root) {
    /* the output controls: what the text, Markdown and HTML leave out */
    uint32_t drop = (o->links ? 0 : EX_OUT_NO_LINKS) | (o->media ? 0 : EX_OUT_NO_MEDIA) |
                    (o->tables ? 0 : EX_OUT_NO_TABLES);
    ex_text_serialise_opts(root, drop, &text);
    const char *base = m.base_url.p ? m.base_url.p : "";
    if (o->markdown)
      ex_markdown_serialise_opts(root, base, m.base_url.len, drop, &md);
    if (o->html)
      ex_html_serialise_opts(root, base, m.base_url.len, drop, &hb);
    if (text.failed || md.failed || hb.failed)
      st = RT_GUEST_NOMEM;
  }
  /* Pages built by scripts carry their text in JSON-LD articleBody: when the DOM gave much
   * less than that (under half), the articleBody is the better text. */
  if (st == RT_GUEST_OK && o->mode == 0 && m.article_body.len >= EX_MIN_ARTICLE_BODY &&
      text.len * 2 < m.article_body.len) {
    exb_clear(&text);
    exb_put(&text, m.article_body.p, m.article_body.len);
    if (o->markdown) {
      exb_clear(&md);
      exb_put(&md, m.article_body.p, m.article_body.len);
    }
    fallback = true;
    if (text.failed || md.failed)
      st = RT_GUEST_NOMEM;
  }
  if (st == RT_GUEST_OK) {
    /* language: declared (normalised, metadata.c), else guessed from the extracted (or head)
     * text; a guess from at least EX_LANG_OVERRIDE_BYTES of text that contradicts the
     * declaration wins (templates keep a default lang="en" on pages in other languages) */
    if (m.language.len && text.len >= EX_LANG_OVERRIDE_BYTES) {
      char decl[8];
      size_t dl = m.language.len < sizeof decl ? m.language.len : sizeof decl - 1;
      memcpy(decl, m.language.p, dl);
      decl[dl] = '\0';
      /* the opening decides first (one short pass on most pages); the whole text must agree */
      const char *g =
          ex_lang_guess(text.p, text.len < EX_LANG_OPENING ? text.len : EX_LANG_OPENING);
      if (g && ex_lang_contradicts(decl, g)) {
        const char *g2 = g;
        if (text.len > EX_LANG_OPENING &&
            (!ex_lang_text_contradicts(decl, text.p, text.len, &g2) || !g2 || strcmp(g, g2) != 0))
          g = NULL;
        else if (text.len <= EX_LANG_OPENING &&
                 !ex_lang_text_contradicts(decl, text.p, text.len, &g2))
          g = NULL;
        if (g) {
          exb_clear(&m.language);
          exb_puts(&m.language, g);
        }
      }
    }
    if (!m.language.len) {
      const char *g = NULL;
      if (text.len)
        g = ex_lang_guess(text.p, text.len);
      else if (m.title.len || m.description.len) {
        ex_buf t;
        exb_init(&t, EX_MAX_META * 3);
        exb_put(&t, m.title.p ? m.title.p : "", m.title.len);
        exb_putc(&t, ' ');
        exb_put(&t, m.description.p ? m.description.p : "", m.description.len);
        g = ex_lang_guess(t.p, t.len);
        exb_free(&t);
      }
      if (g)
        exb_puts(&m.language, g);
    }
    put_buf(w, RT_F_TITLE, &m.title);
    put_buf(w, RT_F_BYLINE, &m.byline);
    put_buf(w, RT_F_DATE, &m.date);
    put_buf(w, RT_F_SITE_NAME, &m.site_name);
    put_buf(w, RT_F_DESCRIPTION, &m.description);
    put_buf(w, RT_F_LANGUAGE, &m.language);
    put_buf(w, RT_F_CANONICAL, &m.canonical);
    if (o->mode != 2) {
      rt_wire_put_str(w, RT_F_TEXT, text.p ? text.p : "", text.len);
      if (o->markdown)
        rt_wire_put_str(w, RT_F_MARKDOWN, md.p ? md.p : "", md.len);
      if (o->html)
        rt_wire_put_str(w, RT_F_HTML, hb.p ? hb.p : "", hb.len);
      if (o->links || o->media)
        put_links_media(root, o, &m, w);
    }
    for (uint32_t i = 0; i < m.n_categories; i++)
      put_buf(w, RT_F_CATEGORY, &m.categories[i]);
    uint32_t cjk = 0;
    uint32_t words = ex_word_count(text.p ? text.p : "", text.len, &cjk);
    /* Reading time in minutes, rounded up: 230 words a minute; CJK text reads at about 500
     * characters a minute, so each CJK character weighs 230/500 of a word. */
    uint32_t weighted = (words - cjk) + (uint32_t)(((uint64_t)cjk * 230u + 499u) / 500u);
    uint32_t minutes = words ? (weighted + EX_WORDS_PER_MINUTE - 1) / EX_WORDS_PER_MINUTE : 0;
    if (o->mode != 2) {
      rt_wire_put_u32(w, RT_F_WORD_COUNT, words);
      rt_wire_put_u32(w, RT_F_READING_TIME, minutes);
    }
    ex_quality_in q;
    memset(&q, 0, sizeof q);
    q.words = words;
    q.paragraphs = count_paragraphs(text.p, text.len);
    q.text_chars = (uint32_t)(text.len > UINT32_MAX ? UINT32_MAX : text.len);
    if (root && o->mode != 2) {
      linkchars_ctx lc = {0, 0, 0};
      ex_walk(root, lc_enter, lc_leave, &lc);
      q.link_chars = lc.all ? (uint32_t)((uint64_t)lc.in_links * q.text_chars / lc.all) : 0;
    }
    q.has_title = m.title.len > 0;
    q.has_byline = m.byline.len > 0;
    q.has_date = m.date.len > 0;
    q.has_language = m.language.len > 0;
    q.has_description = m.description.len > 0;
    q.fallback = fallback;
    if (o->mode == 2) {
      /* metadata mode: no body work, so the score reflects the metadata only */
      q.words = q.paragraphs = q.text_chars = q.link_chars = 0;
    }
    rt_wire_put_u32(w, RT_F_QUALITY, (uint32_t)ex_quality_score(&q));
    if (w->failed)
      st = RT_GUEST_NOMEM;
  }
  exb_free(&text);
  exb_free(&md);
  exb_free(&hb);
  ex_meta_free(&m);
  dom_doc_free(doc);
  return st;
}
