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
#include "common/errors.h"
#include "common/sized.h"
#include "common/nfc.h"
#include "fallback/native.h"

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- small helpers ------------------------------------------------------------------------ */

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static void xml_init(void)
{
  xmlInitParser();
}

/* Has the call's deadline passed? Checked between passes and inside the long ones. */
static bool past(const fb_limits *lim)
{
  return lim->deadline_ns && fb_now_ns() > lim->deadline_ns;
}

/* ---- the entry point ---------------------------------------------------------------------- */

static char *take(fb_buf *b)
{
  if (!b->p)
    return strdup("");
  /* Trim trailing newlines and spaces, and a blockquote's blank lines (only ">" markers)
   * left by the last block break in a quote. */
  for (;;) {
    while (b->len && (b->p[b->len - 1] == '\n' || b->p[b->len - 1] == ' '))
      b->p[--b->len] = '\0';
    size_t s = b->len;
    while (s && (b->p[s - 1] == '>' || b->p[s - 1] == ' '))
      s--;
    if (s == b->len || (s && b->p[s - 1] != '\n'))
      break;
    b->len = s;
    b->p[s] = '\0';
  }
  char *p = b->p;
  b->p = NULL;
  return p;
}

static riptide_err select_custom(xmlDoc *doc, const char *selector, xmlNode ***out, size_t *n)
{
  return fb_css_select(doc, selector, out, n);
}

/* Visible characters of a text (bytes that are not ASCII whitespace). */
static size_t visible_len(const char *s)
{
  size_t n = 0;
  for (; s && *s; s++)
    n += !fb_is_space((unsigned char)*s);
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
  r.md_item_end = SIZE_MAX;
  r.deadline_ns = lim->deadline_ns;
  double ld = 0;
  {
    fb_remove_junk((xmlNode *)doc, opts->mode, strict, false, 0);
    ar.cap = fb_count_elements((xmlNode *)doc, 0) + 1;
    ar.items = calloc(ar.cap, sizeof *ar.items);
    if (!ar.items) {
      err = RIPTIDE_ERR_NOMEM;
      goto done;
    }
    fb_stats((xmlNode *)doc, &ar, false, 0);
    if (past(lim)) {
      err = RIPTIDE_ERR_TIMEOUT;
      goto done;
    }
    xmlNode *body = fb_find_first((xmlNode *)doc, "body", 0);
    if (!body)
      body = root;

    if (opts->mode == RIPTIDE_MODE_CUSTOM) {
      err = select_custom(doc, opts->selector, &chosen, &n_chosen);
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
      fb_score_walk(body, &cs, 0);
      xmlNode *best = NULL;
      double best_score = 0;
      for (size_t i = 0; i < cs.n; i++) {
        fb_info *ci = fb_info_of(cs.v[i]);
        ci->score *= 1.0 - fb_link_density(cs.v[i]);
        if (!best || ci->score > best_score) {
          best = cs.v[i];
          best_score = ci->score;
        }
      }
      if (!best)
        best = body;
      /* A parent that holds most of the text is often the real container. */
      xmlNode *p = best->parent;
      if (fb_is_el(p) && !fb_name_is(p, "body") && !fb_name_is(p, "html")) {
        fb_info *pi = fb_info_of(p), *bi = fb_info_of(best);
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
      if (best == body || !fb_is_el(parent)) {
        chosen[n_chosen++] = best;
      } else {
        for (xmlNode *s = parent->children; s; s = s->next) {
          if (!fb_is_el(s))
            continue;
          bool keep = s == best;
          fb_info *si = fb_info_of(s);
          if (!keep && si) {
            if (si->scored && si->score >= threshold)
              keep = true;
            else if (fb_name_is(s, "p")) {
              double sld = fb_link_density(s);
              if (si->text_len > 80 && sld < 0.25)
                keep = true;
            }
          }
          if (keep && n_chosen < 64)
            chosen[n_chosen++] = s;
        }
      }
      if (fb_info_of(best))
        ld = fb_link_density(best);
    }

    r.clean = opts->mode == RIPTIDE_MODE_ARTICLE;
    r.want_md = opts->want_markdown;
    r.want_links = opts->want_links;
    r.want_media = opts->want_media;
    r.want_tables = opts->want_tables;
    r.base = base;
    r.doc = d;
    if (past(lim)) {
      err = RIPTIDE_ERR_TIMEOUT;
      goto done;
    }
    for (size_t i = 0; i < n_chosen; i++) {
      fb_render_node(&r, chosen[i], 0);
      fb_block_break(&r);
    }
    if (r.clean && visible_len(r.txt.p) < FB_RETRY_BELOW) {
      /* Cleaning took nearly everything: the content itself is link-heavy. Render it whole. */
      size_t total = 0;
      for (size_t i = 0; i < n_chosen; i++)
        total += fb_info_of(chosen[i]) ? fb_info_of(chosen[i])->text_len : 0;
      if (total >= FB_RETRY_BELOW) {
        for (size_t i = 0; i < d->n_links; i++) {
          free(d->links[i].href);
          free(d->links[i].text);
        }
        for (size_t i = 0; i < d->n_media; i++) {
          free(d->media[i].src);
          free(d->media[i].alt);
          free(d->media[i].kind);
          free(d->media[i].caption);
        }
        d->n_links = d->n_media = 0;
        r.md.len = r.txt.len = 0;
        r.pending_space = false;
        r.paragraphs = 0;
        r.clean = false;
        for (size_t i = 0; i < n_chosen; i++) {
          fb_render_node(&r, chosen[i], 0);
          fb_block_break(&r);
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
      for (size_t i = 0; i < n_chosen; i++) {
        fb_out_prune(&r, chosen[i], 0); /* the tree is not used after this */
        htmlNodeDump(xb, doc, chosen[i]);
      }
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
  rt_error_detail_clear();
  if (!out)
    return RIPTIDE_ERR_INVALID_ARG;
  *out = NULL;
  if (!html && len > 0)
    return RIPTIDE_ERR_INVALID_ARG;
  riptide_options loaded; /* the caller's options, whatever riptide.h they were built with */
  riptide_err lerr = rt_options_load(opts, &loaded);
  if (lerr != RIPTIDE_OK)
    return lerr;
  opts = &loaded;
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
  uint64_t t0 = fb_now_ns();
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
    fb_collect_meta(&m, (xmlNode *)doc, 0);
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
      char *b = fb_resolve(base, m.base_href);
      if (b) {
        free(base);
        base = b;
      }
    }
  }
  if (root && (err = fb_fill_metadata(d, &m, base)) != RIPTIDE_OK)
    goto done;
  if (past(lim)) {
    err = RIPTIDE_ERR_TIMEOUT;
    goto done;
  }
  /* Resolved now: junk removal below frees <head>, where m's borrowed strings live. */
  if (root && m.og_image)
    og_image = fb_resolve(base, m.og_image);
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
    if (d->n_media == 0 && !fb_add_media(&r, og_image, NULL, "image"))
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
    d->word_count = fb_count_words(d->text);
    d->reading_time = (d->word_count + 229) / 230;
  }
  d->quality_score = fb_quality(d, paragraphs, ld);
  if (err == RIPTIDE_OK && past(lim))
    err = RIPTIDE_ERR_TIMEOUT;

done:
  free(base);
  free(og_image);
  fb_meta_free(&m);
  if (doc)
    xmlFreeDoc(doc);
  if (err != RIPTIDE_OK) {
    riptide_document_free(d);
    return err;
  }
  rt_document_finish(d); /* as the pool does for the guest's documents */
  d->extract_ns = fb_now_ns() - t0;
  *out = d;
  return RIPTIDE_OK;
}
