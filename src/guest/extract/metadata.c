/*
 * metadata.c - document metadata from every source a page may carry.
 *
 * One pre-order walk collects the candidates (<title>, <meta> name/property/itemprop, <link
 * rel=canonical>, <base href>, <html lang>, JSON-LD blocks, <time>, itemprop=datePublished,
 * h1/h2, byline-looking elements); then each field takes the first source in its priority
 * order (docs/schema.md, "Metadata rules", says the same for users):
 *   title        JSON-LD headline/name > dc/og/twitter/parsely meta > <title> cleaned of its
 *                site-name part (the Readability rules) > the single <h1>; then title.c (shared
 *                with the native fallback): the visible <h1> inside it, site-name parts cut
 *   byline       JSON-LD author (several joined with ", ", "@id" references resolved) >
 *                author/creator meta > the first of rel=author / itemprop=author /
 *                "byline"-class elements (inner ones before their containers; none inside
 *                readers' comments) > an inline "By / Von / Par / Por Name" line or a label
 *                alone with the names in the next element (a markup value that is an
 *                account name, "mk_2041", only after these); each cleaned
 *                by byline.c (labels, dates, separators); one naming the site only when none
 *                names a person, none that reads as a sentence
 *   date         JSON-LD datePublished > article:published_time and friends (also
 *                vendor-prefixed "*:published_time") > itemprop=datePublished elements >
 *                <time datetime|pubdate> > a date in the URL > datePublished of any JSON-LD
 *                object > the first short element whose class/id names a date line > a date
 *                after a publication label > the first date under (or above) an <h1> > a
 *                date in a byline element's block > modification dates > a date after a
 *                last-change label; normalised to ISO 8601, a UTC time moved to the page's own
 *                zone; when the markup's sources disagree and none backs the first, the date
 *                the page shows picks one
 *   (values keep no character references: double-escaped meta content is decoded once more)
 *   site name    JSON-LD publisher.name > og:site_name > application-name
 *   description  JSON-LD description > description / og / twitter meta
 *   language     <html lang> > content-language / og:locale meta > JSON-LD inLanguage, as a
 *                BCP 47 primary subtag (langtag.c); extract.c guesses when none is valid
 *   canonical    <link rel=canonical> > og:url, made absolute (none when it cannot be)
 *   categories   article:section, article:tag, keywords, JSON-LD keywords/articleSection
 */
#include "guest/extract/ex_internal.h"
#include "guest/extract/json_mini.h"
#include "guest/extract/byline.h"
#include "guest/extract/title.h"
#include "guest/html/parser.h"
#include "guest/html/tokenizer.h"

#include <stdlib.h>
#include <string.h>

void ex_meta_init(ex_meta *m)
{
  memset(m, 0, sizeof *m);
  exb_init(&m->title, EX_MAX_META);
  exb_init(&m->byline, EX_MAX_META);
  exb_init(&m->date, 64);
  exb_init(&m->site_name, EX_MAX_META);
  exb_init(&m->description, EX_MAX_META);
  exb_init(&m->language, 64);
  exb_init(&m->canonical, EX_MAX_META);
  exb_init(&m->base_url, EX_MAX_META);
  exb_init(&m->og_image, EX_MAX_META);
  exb_init(&m->article_body, (size_t)4 << 20);
  for (int i = 0; i < EX_MAX_CATEGORIES; i++)
    exb_init(&m->categories[i], 256);
}

void ex_meta_free(ex_meta *m)
{
  exb_free(&m->title);
  exb_free(&m->byline);
  exb_free(&m->date);
  exb_free(&m->site_name);
  exb_free(&m->description);
  exb_free(&m->language);
  exb_free(&m->canonical);
  exb_free(&m->base_url);
  exb_free(&m->og_image);
  exb_free(&m->article_body);
  for (int i = 0; i < EX_MAX_CATEGORIES; i++)
    exb_free(&m->categories[i]);
}

/* ---- meta keys ------------------------------------------------------------------------------ */
enum {
  MK_TITLE_DC,
  MK_TITLE_OG,
  MK_TITLE_WEIBO,
  MK_TITLE_PLAIN,
  MK_TITLE_TWITTER,
  MK_TITLE_PARSELY,
  MK_AUTHOR_DC,
  MK_AUTHOR,
  MK_AUTHOR_PARSELY,
  MK_AUTHOR_ARTICLE,
  MK_TW_LABEL1,
  MK_TW_DATA1,
  MK_DATE_PUB,
  MK_DATE_ITEMPROP,
  MK_DATE_OTHER,
  MK_DATE_MOD,
  MK_SITE_OG,
  MK_SITE_APP,
  MK_DESC_DC,
  MK_DESC_OG,
  MK_DESC,
  MK_DESC_TWITTER,
  MK_LANG,
  MK_LOCALE,
  MK_URL_OG,
  MK_IMAGE_OG,
  MK_COUNT_
};

typedef struct key_map {
  const char *key;
  int slot;
} key_map;

/* Keys are compared after lower-casing, dropping whitespace and mapping '.' to ':'. */
static const key_map keys[] = {
    {"dc:title", MK_TITLE_DC},
    {"dcterm:title", MK_TITLE_DC},
    {"dcterms:title", MK_TITLE_DC},
    {"og:title", MK_TITLE_OG},
    {"weibo:article:title", MK_TITLE_WEIBO},
    {"weibo:webpage:title", MK_TITLE_WEIBO},
    {"title", MK_TITLE_PLAIN},
    {"twitter:title", MK_TITLE_TWITTER},
    {"parsely-title", MK_TITLE_PARSELY},
    {"dc:creator", MK_AUTHOR_DC},
    {"dcterm:creator", MK_AUTHOR_DC},
    {"dcterms:creator", MK_AUTHOR_DC},
    {"author", MK_AUTHOR},
    {"parsely-author", MK_AUTHOR_PARSELY},
    {"article:author", MK_AUTHOR_ARTICLE},
    {"sailthru:author", MK_AUTHOR_PARSELY},
    {"byl", MK_AUTHOR_PARSELY},
    {"twitter:label1", MK_TW_LABEL1},
    {"twitter:data1", MK_TW_DATA1},
    {"article:published_time", MK_DATE_PUB},
    {"og:article:published_time", MK_DATE_PUB},
    {"article:published", MK_DATE_PUB},
    {"og:published_time", MK_DATE_PUB},
    {"parsely-pub-date", MK_DATE_PUB},
    {"datepublished", MK_DATE_ITEMPROP},
    {"pubdate", MK_DATE_OTHER},
    {"publishdate", MK_DATE_OTHER},
    {"publish-date", MK_DATE_OTHER},
    {"publish_date", MK_DATE_OTHER},
    {"dc:date", MK_DATE_OTHER},
    {"dc:date:issued", MK_DATE_OTHER},
    {"dcterms:created", MK_DATE_OTHER},
    {"dcterms:date", MK_DATE_OTHER},
    {"dcterms:issued", MK_DATE_OTHER},
    {"date", MK_DATE_OTHER},
    {"sailthru:date", MK_DATE_OTHER},
    {"citation_publication_date", MK_DATE_OTHER},
    {"citation_date", MK_DATE_OTHER},
    {"article:published_date", MK_DATE_OTHER},
    {"release_date", MK_DATE_OTHER},
    {"originalpublicationdate", MK_DATE_OTHER},
    {"datecreated", MK_DATE_OTHER},
    {"publication_date", MK_DATE_OTHER},
    {"publicationdate", MK_DATE_OTHER},
    {"pub_date", MK_DATE_OTHER},
    {"article_date_original", MK_DATE_OTHER},
    {"dc:date:created", MK_DATE_OTHER},
    {"article:modified_time", MK_DATE_MOD},
    {"datemodified", MK_DATE_MOD},
    {"og:updated_time", MK_DATE_MOD},
    {"og:site_name", MK_SITE_OG},
    {"application-name", MK_SITE_APP},
    {"dc:description", MK_DESC_DC},
    {"dcterm:description", MK_DESC_DC},
    {"og:description", MK_DESC_OG},
    {"description", MK_DESC},
    {"twitter:description", MK_DESC_TWITTER},
    {"content-language", MK_LANG},
    {"language", MK_LANG},
    {"dc:language", MK_LANG},
    {"og:locale", MK_LOCALE},
    {"og:url", MK_URL_OG},
    {"og:image", MK_IMAGE_OG},
    {"og:image:url", MK_IMAGE_OG},
    {"twitter:image", MK_IMAGE_OG},
};

typedef struct str_ref {
  const char *s;
  size_t n;
} str_ref;

/* Byline-hinted elements kept by the scan, in document order, and the text a byline element
 * may have (bytes, trimmed; a longer one is a container, not a byline). */
#define EX_BYLINE_ELS 4
#define EX_BYLINE_TEXT 100
typedef struct meta_scan {
  str_ref slot[MK_COUNT_];
  const dom_node *title_el;
  const dom_node *h1_first;
  uint32_t n_h1;
  const dom_node *hx[64]; /* h1/h2 for the title heuristics */
  uint32_t n_hx;
  const dom_node *time_el;
  const dom_node *pub_el; /* the first non-meta element with itemprop="datePublished" */
  const dom_node *byline_el[EX_BYLINE_ELS]; /* the first elements with a byline hint */
  uint32_t n_byline;
  str_ref canonical, base_href, html_lang;
  str_ref tags[EX_MAX_CATEGORIES];
  uint32_t n_tags;
  const dom_node *jsonld[16];
  uint32_t n_jsonld;
} meta_scan;

static int lookup_key(const char *k, size_t n)
{
  char tmp[64];
  size_t t = 0;
  for (size_t i = 0; i < n; i++) {
    char c = ex_lower(k[i]);
    if (c == ' ' || c == '\t' || c == '\n')
      continue;
    if (c == '.')
      c = ':';
    if (t + 1 >= sizeof tmp)
      return -1;
    tmp[t++] = c;
  }
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (strlen(keys[i].key) == t && memcmp(keys[i].key, tmp, t) == 0)
      return keys[i].slot;
  return -1;
}

static void add_tag(meta_scan *s, const char *v, size_t n)
{
  if (s->n_tags < EX_MAX_CATEGORIES)
    s->tags[s->n_tags++] = (str_ref){v, n};
}

static void scan_meta(meta_scan *s, const dom_node *n)
{
  size_t cl = 0;
  const char *content = dom_attr_get(n, "content", &cl);
  if (!content)
    return;
  size_t tl = cl;
  const char *c = ex_trim(content, &tl);
  if (!tl)
    return;
  static const char *const attrs[] = {"property", "name", "itemprop", "http-equiv"};
  for (size_t a = 0; a < 4; a++) {
    size_t kl = 0;
    const char *k = dom_attr_get(n, attrs[a], &kl);
    if (!k || !kl)
      continue;
    /* property may hold several space-separated names */
    size_t i = 0;
    while (i < kl) {
      while (i < kl && (k[i] == ' ' || k[i] == '\t'))
        i++;
      size_t e = i;
      while (e < kl && k[e] != ' ' && k[e] != '\t')
        e++;
      if (e > i) {
        const char *w = k + i;
        size_t wl = e - i;
        int slot = lookup_key(w, wl);
        /* vendor-prefixed keys ("shareaholic:article_published_time") */
        if (slot < 0 && wl > 15 && ex_ieq(w + wl - 15, 15, ":published_time"))
          slot = MK_DATE_OTHER;
        if (slot >= 0) /* the last one wins, as in Readability */
          s->slot[slot] = (str_ref){c, tl};
        if (ex_ieq(w, wl, "article:tag") || ex_ieq(w, wl, "article:section") ||
            ex_ieq(w, wl, "keywords") || ex_ieq(w, wl, "news_keywords"))
          add_tag(s, c, tl);
      }
      i = e;
    }
  }
}

/* Readability's byline pattern (byline|author|dateline|writtenby|p-author), one pass. */
static bool has_byline_word(const char *s, size_t n)
{
  for (size_t i = 0; i + 6 <= n; i++) {
    const char *w;
    switch (ex_lower(s[i])) {
    case 'b':
      w = "byline";
      break;
    case 'a':
      w = "author";
      break;
    case 'd':
      w = "dateline";
      break;
    case 'w':
      w = "writtenby";
      break;
    case 'p':
      w = "p-author";
      break;
    default:
      continue;
    }
    if (ex_istarts(s + i, n - i, w))
      return true;
  }
  return false;
}

/* ip: the element's itemprop (the caller reads it once for this and the date). */
static bool is_byline_hint(const dom_node *n, const char *ip, size_t ipl)
{
  if (!n->n_attrs)
    return false;
  size_t l;
  const char *rel = dom_attr_get(n, "rel", &l);
  if (rel && ex_ieq(rel, l, "author"))
    return true;
  if (ip && ex_icontains(ip, ipl, "author"))
    return true;
  size_t cl, il;
  const char *c = ex_class(n, &cl);
  const char *id = ex_id(n, &il);
  return has_byline_word(c, cl) || has_byline_word(id, il);
}

/* Is n inside readers' comments (an element below <body> whose class or id names a comment
 * thread)? A commenter's name there carries the same "author" classes as the article's byline. */
static bool in_comments(const dom_node *n)
{
  for (const dom_node *a = n; a && a->tag != HTML_TAG_BODY; a = a->parent) {
    if (a->type != DOM_ELEMENT || !a->n_attrs)
      continue;
    size_t cl, il;
    const char *c = ex_class(a, &cl);
    const char *id = ex_id(a, &il);
    if (rt_names_comments(c, cl) || rt_names_comments(id, il))
      return true;
  }
  return false;
}

/* The text of a byline element with a space where an element's text starts after another
 * element ("<a>Name</a><span>vor 5 Stunden</span>", "<span>Name</span>22 Dec 2016" are two
 * items, not one word); none before punctuation, so "<a>A</a>, <a>B</a>" stays "A, B".
 * Stops once `out` holds more than `max` bytes (BT_LONG) or after `max_nodes` nodes
 * (BT_BIG); BT_WHOLE when the whole text is in `out`. */
enum { BT_WHOLE, BT_LONG, BT_BIG };
static int byline_text(const dom_node *el, ex_buf *out, size_t max, uint32_t max_nodes)
{
  bool sp = false;
  uint32_t seen = 0;
  for (const dom_node *n = dom_next(el, el); n;) {
    if (++seen > max_nodes)
      return BT_BIG;
    if (n->type == DOM_ELEMENT && ex_skip_node(n)) {
      n = dom_next_skip(el, n);
      continue;
    }
    if (n->type == DOM_TEXT && n->data_len) {
      char c = n->data[0];
      bool edge = (n->prev && n->prev->type == DOM_ELEMENT) ||
                  (n->parent != el && n == n->parent->first_child);
      if (edge && c != ',' && c != ';' && c != '.' && c != ':' && c != ')')
        sp = true;
      ex_append_collapsed(out, &sp, n->data, n->data_len);
      if (out->len > max)
        return BT_LONG;
    }
    n = dom_next(el, n);
  }
  return BT_WHOLE;
}

/* Is a byline-hinted element's text (byline_text, trimmed) short enough to be a byline: under
 * EX_BYLINE_TEXT bytes? A longer one (a widget or a list of authors' latest posts whose id
 * says "author", a whole author box) is never used, so the scan does not keep it: it would take
 * the place of the article's own byline further down. An empty one keeps its place (measured:
 * passing it over lets later labels such as "Last Updated: <date>" in), and so does one of
 * over EX_BYLINE_NODES nodes, which is left to the full check (so each check is bounded). */
#define EX_BYLINE_NODES 4096
static bool byline_fits(const dom_node *el)
{
  ex_buf t;
  exb_init(&t, EX_MAX_META * 4);
  int r = byline_text(el, &t, 2 * EX_BYLINE_TEXT, EX_BYLINE_NODES);
  size_t tl = t.len;
  ex_trim(t.p ? t.p : "", &tl);
  bool ok = r == BT_BIG || (r == BT_WHOLE && !t.failed && tl < EX_BYLINE_TEXT);
  exb_free(&t);
  return ok;
}

/* A class or id that names the element holding the publication date ("date", "posted-on",
 * "entry-meta", "datum", ...), not one of the dates that follow an article (comments, updates). */
static bool has_date_word(const char *s, size_t n)
{
  /* one pass: date, datum, publish, posted, submitted, byline, meta, time */
  for (size_t i = 0; i + 4 <= n; i++) {
    switch (ex_lower(s[i])) {
    case 'd':
      if (ex_istarts(s + i, n - i, "date") || ex_istarts(s + i, n - i, "datum"))
        return true;
      break;
    case 'p':
      if (ex_istarts(s + i, n - i, "publish") || ex_istarts(s + i, n - i, "posted"))
        return true;
      break;
    case 's':
      if (ex_istarts(s + i, n - i, "submitted"))
        return true;
      break;
    case 'b':
      if (ex_istarts(s + i, n - i, "byline"))
        return true;
      break;
    case 'm':
      if (ex_istarts(s + i, n - i, "meta"))
        return true;
      break;
    case 't':
      if (ex_istarts(s + i, n - i, "time"))
        return true;
      break;
    default:
      break;
    }
  }
  return false;
}

static bool is_date_hint(const dom_node *n)
{
  if (!n->n_attrs)
    return false;
  size_t cl, il;
  const char *c = ex_class(n, &cl);
  const char *id = ex_id(n, &il);
  if (!has_date_word(c, cl) && !has_date_word(id, il))
    return false;
  static const char *const no[] = {"comment", "update", "modif", "reply", "widget"};
  for (size_t k = 0; k < sizeof no / sizeof no[0]; k++)
    if (ex_icontains(c, cl, no[k]) || ex_icontains(id, il, no[k]))
      return false;
  return true;
}

/* The text of a small element, at most `max` bytes: false when it holds more (a container that
 * merely carries a date-like class name is not a date line). Gathered as ex_collect_text does,
 * so a block or a <br> parts words: "<dt>Autor:</dt><dd>Jane Doe</dd><dt>Rubrik:</dt>" reads
 * "Autor: Jane Doe Rubrik:", not "Autor:Jane DoeRubrik:". */
static bool short_text(const dom_node *root, ex_buf *out, size_t max)
{
  return ex_collect_text_max(root, out, max) && out->len > 0 && !out->failed;
}

/* ASCII whitespace and no-break spaces trimmed (the scans below look at many texts: no full
 * UTF-8 decoding there). */
static bool trim_space_at(const char *s, size_t i, size_t n, size_t *len)
{
  char c = s[i];
  if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
    *len = 1;
    return true;
  }
  if ((unsigned char)c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0) {
    *len = 2;
    return true;
  }
  return false;
}

static const char *trim_ascii(const char *s, size_t *n)
{
  size_t a = 0, b = *n, l;
  while (a < b && trim_space_at(s, a, b, &l))
    a += l;
  while (b > a) {
    if (trim_space_at(s, b - 1, b, &l))
      b--;
    else if (b - a >= 2 && trim_space_at(s, b - 2, b, &l) && l == 2)
      b -= 2;
    else
      break;
  }
  *n = b - a;
  return s + a;
}

/* Searched only when no other source gave a date, in document order, stopping at the first
 * date found or after EX_DATE_LINES named elements (the date line sits near the headline). */
#define EX_DATE_LINES 8
static size_t date_line(const dom_doc *doc, bool day_first, char out[32])
{
  const dom_node *body = ex_body(doc);
  int tried = 0;
  size_t dl = 0;
  for (const dom_node *n = dom_next(body, body); n && !dl && tried < EX_DATE_LINES;) {
    if (n->type != DOM_ELEMENT) {
      n = dom_next(body, n);
      continue;
    }
    if (n->ns != DOM_NS_HTML || n->tag == HTML_TAG_SCRIPT || n->tag == HTML_TAG_STYLE ||
        n->tag == HTML_TAG_TEMPLATE) {
      n = dom_next_skip(body, n);
      continue;
    }
    if (is_date_hint(n)) {
      tried++;
      ex_buf t;
      exb_init(&t, 1024);
      if (short_text(n, &t, 200))
        dl = ex_date_normalise_order(t.p, t.len, day_first, out);
      exb_free(&t);
    }
    n = dom_next(body, n);
  }
  return dl;
}

/* A byline written inline, with no markup naming it: the first short element (at most 100
 * bytes of text, among the first EX_INLINE_BY_NODES elements of the body, outside headings and
 * links) whose text is a label ("By", "Von", "Par", "Por", "Posted by", ...) followed by
 * names (name_shaped), or is the label alone with the names in its next sibling
 * (label_sibling_names). */
#define EX_INLINE_BY_NODES 1000

/* The words after an inline label read as names: until a date, a separator or the end, at
 * most 6 words, each capitalised or a joining word ("und", "and", "y", "von", "de", ...), or
 * one word of any case (a user name). */
static bool name_shaped(const char *s, size_t n)
{
  static const char *const join[] = {"und", "and", "y",   "et",  "e",  "&",  "van",
                                     "von", "de",  "der", "den", "la", "le", "di",
                                     "da",  "du",  "del", "dos", "zu"};
  size_t words = 0, i = 0;
  bool lower_first = false;
  while (i < n) {
    while (i < n && s[i] == ' ')
      i++;
    size_t st = i;
    while (i < n && s[i] != ' ')
      i++;
    if (i == st)
      break;
    unsigned char c = (unsigned char)s[st];
    if ((c >= '0' && c <= '9') || c == '-' || c == '|' || c == 0xC2 || c == 0xE2)
      break; /* a date or a separator ends the names */
    size_t wl = i - st;
    if (s[i - 1] == ',')
      wl--;
    static const char *const stop[] = {"am", "on", "at", "le", "el", "il", "em", "op", "vom"};
    bool end = false;
    for (size_t k = 0; !end && k < sizeof stop / sizeof stop[0]; k++)
      end = words && ex_ieq(s + st, wl, stop[k]);
    if (end)
      break; /* "Von R. R. am 3. Mai" */
    bool ok = (c >= 'A' && c <= 'Z') || c >= 0xC3;
    for (size_t k = 0; !ok && k < sizeof join / sizeof join[0]; k++)
      ok = ex_ieq(s + st, wl, join[k]);
    if (!ok && !words)
      lower_first = true; /* a user name ("von gizzmo"): alone only */
    else if (!ok)
      return false;
    if (++words > 6 || (lower_first && words > 1))
      return false;
    if (s[i - 1] == ',' && words >= 2)
      break; /* "Name Surname, 12. Mai" */
  }
  return words > 0;
}

/* A label standing alone in its element, the names in the next one ("<h4>Autor</h4><p>Name</p>",
 * "<div>Interview</div><div>NAME</div>", as credit lists and meta boxes write them): the next
 * element sibling, with only white space between, when it is no heading or link and its short
 * text (at most 100 bytes) reads as names of two words or more, the first capitalised (a lone
 * word after "Di" or "From" is a table's next weekday or a query's next token). */
static bool label_sibling_names(const dom_node *label, ex_buf *out)
{
  const dom_node *x = label->next;
  while (x && x->type != DOM_ELEMENT) {
    if (x->type == DOM_TEXT) {
      size_t l = x->data_len;
      trim_ascii(x->data, &l);
      if (l)
        return false; /* the label's own line goes on in text */
    }
    x = x->next;
  }
  if (!x || x->ns != DOM_NS_HTML || x->tag == HTML_TAG_A || x->tag == HTML_TAG_H1 ||
      x->tag == HTML_TAG_H2 || x->tag == HTML_TAG_H3 || x->tag == HTML_TAG_H4 ||
      x->tag == HTML_TAG_H5 || x->tag == HTML_TAG_H6 || x->tag == HTML_TAG_INPUT ||
      x->tag == HTML_TAG_TEXTAREA || x->tag == HTML_TAG_SELECT || x->tag == HTML_TAG_BUTTON)
    return false;
  ex_buf b;
  exb_init(&b, 1024);
  bool found = false;
  if (short_text(x, &b, 100)) {
    size_t bl = b.len;
    const char *bt = trim_ascii(b.p, &bl);
    unsigned char c = bl ? (unsigned char)bt[0] : 0;
    if (((c >= 'A' && c <= 'Z') || c >= 0xC3) && memchr(bt, ' ', bl) && name_shaped(bt, bl)) {
      exb_clear(out);
      exb_put(out, bt, bl);
      found = !out->failed;
    }
  }
  exb_free(&b);
  return found;
}

static bool inline_byline(const dom_doc *doc, ex_buf *out)
{
  const dom_node *body = ex_body(doc);
  int seen = 0;
  for (const dom_node *n = dom_next(body, body); n && seen < EX_INLINE_BY_NODES;) {
    if (n->type != DOM_ELEMENT) {
      n = dom_next(body, n);
      continue;
    }
    seen++;
    if (n->ns != DOM_NS_HTML || n->tag == HTML_TAG_SCRIPT || n->tag == HTML_TAG_STYLE ||
        n->tag == HTML_TAG_TEMPLATE || n->tag == HTML_TAG_A || n->tag == HTML_TAG_H1 ||
        n->tag == HTML_TAG_H2 || n->tag == HTML_TAG_H3 || n->tag == HTML_TAG_NAV ||
        n->tag == HTML_TAG_BUTTON || n->tag == HTML_TAG_SELECT || n->tag == HTML_TAG_TITLE) {
      n = dom_next_skip(body, n);
      continue;
    }
    /* the first text inside decides quickly: the element's own, or its first child's
     * ("<p><strong>By Name</strong>, date</p>"); deeper ones are their parents' to test */
    const dom_node *t = n->first_child;
    if (t && t->type == DOM_ELEMENT && t->tag != HTML_TAG_A)
      t = t->first_child;
    if (t && t->type == DOM_TEXT) {
      size_t tl = t->data_len;
      const char *tt = trim_ascii(t->data, &tl);
      if (tl && rt_byline_label(tt, tl)) {
        ex_buf b;
        exb_init(&b, 1024);
        bool found = false;
        if (ex_collect_lines_max(n, &b, 100) && b.len && !b.failed) {
          /* its first line, and the next one when the first is the label alone ("Von<br>Jane
           * Doe"): the lines after the names are something else ("Von Jane Doe<br>Politik") */
          size_t bl = b.len;
          const char *bt = trim_ascii(b.p, &bl);
          const char *nl = memchr(bt, '\n', bl);
          if (nl) {
            size_t first = (size_t)(nl - bt), f = first;
            const char *ft = trim_ascii(bt, &f);
            if (f && rt_byline_label(ft, f) == f) {
              b.p[nl - b.p] = ' '; /* the label's line and the next, as one */
              nl = memchr(nl + 1, '\n', bl - first - 1);
            }
            if (nl)
              bl = (size_t)(nl - bt);
            bt = trim_ascii(bt, &bl);
          }
          size_t l = rt_byline_label(bt, bl);
          unsigned char c = l && l < bl ? (unsigned char)bt[l] : 0;
          if ((((c | 32) >= 'a' && (c | 32) <= 'z') || c >= 0xC3) && name_shaped(bt + l, bl - l)) {
            exb_clear(out);
            exb_put(out, bt, bl);
            found = !out->failed;
          } else if (l && l == bl) {
            found = label_sibling_names(n, out);
          }
        }
        exb_free(&b);
        if (found)
          return true;
      }
    }
    n = dom_next(body, n);
  }
  return false;
}

/* A date written under the headline with no markup naming it ("Region • 02.02.2022",
 * "19.10.2019 07:49 Uhr"): the first short text (at most 80 bytes) holding a date among the
 * texts that follow an <h1>, up to EX_AFTER_H1 bytes of text after it (a lead and a byline
 * may come first). */
#define EX_AFTER_H1 700

/* A text naming a modification ("Updated", "Letzte Änderung"), whose date is not the one sought. */
static bool is_update_text(const char *t, size_t n)
{
  static const char *const w[] = {"update",     "aktualisiert", "änderung",   "Änderung",
                                  "modified",   "geändert",     "mis à jour", "actualizado",
                                  "atualizado", "aggiornato"};
  for (size_t k = 0; k < sizeof w / sizeof w[0]; k++)
    if (ex_icontains(t, n, w[k]))
      return true;
  return false;
}
static size_t date_after_h1(const dom_node *root, const dom_node *h1, bool day_first, char out[32])
{
  size_t seen = 0;
  for (const dom_node *n = dom_next_skip(root, h1); n && seen < EX_AFTER_H1;) {
    if (n->type == DOM_ELEMENT) {
      if (n->tag == HTML_TAG_SCRIPT || n->tag == HTML_TAG_STYLE || n->tag == HTML_TAG_TEMPLATE ||
          n->tag == HTML_TAG_H1 || n->ns != DOM_NS_HTML) {
        if (n->tag == HTML_TAG_H1)
          break; /* the next headline's dates are not this one's */
        n = dom_next_skip(root, n);
        continue;
      }
    } else if (n->type == DOM_TEXT) {
      size_t tl = n->data_len;
      const char *t = trim_ascii(n->data, &tl);
      /* a short text, or a longer one that opens with its date ("27.1.2022 - The ...") */
      if (tl && (tl <= 80 || (t[0] >= '0' && t[0] <= '9')) && !is_update_text(t, tl)) {
        size_t dl = ex_date_normalise_order(t, tl <= 80 ? tl : 24, day_first, out);
        if (dl)
          return dl;
      }
      seen += tl;
    }
    n = dom_next(root, n);
  }
  return 0;
}

/* (The scan below tries labels only at word starts whose letter opens one: p v e g d m a l u.) */
/* A date after a publication label in the text ("Erschienen am: 01.11.2023", "Published on
 * March 4, 2021"), the label and the date in one text or the date in the next text. */
#define EX_LABEL_TEXTS 1500
static const char *const pub_labels[] = {"published on",    "published:",
                                         "posted on",       "veröffentlicht am",
                                         "veröffentlicht:", "erschienen am",
                                         "erschienen:",     "publié le",
                                         "publicado el",    "publicado em",
                                         "pubblicato il",   "gepubliceerd op",
                                         "datum:",          "date:",
                                         "mise en ligne",   "publicado:",
                                         "publié:",         NULL};
/* The last resort: a date after a label naming the last change ("Aktualisiert am", "last
 * edited"), as modification dates in markup are. */
static const char *const mod_labels[] = {
    "aktualisiert am", "last edited",          "last updated",
    "letzte änderung", "dernière mise à jour", "actualizado el",
    "geändert am",     "updated on",           NULL};

/* The label of `labels` at t[i], its length, or 0. */
static size_t label_in(const char *t, size_t tl, size_t i, const char *const *labels)
{
  for (size_t k = 0; labels[k]; k++)
    if (ex_lower(t[i]) == labels[k][0] && ex_istarts(t + i, tl - i, labels[k]))
      return strlen(labels[k]);
  return 0;
}

/* One pass over the texts: the first date after a publication label is returned; the first
 * after a last-change label goes to mod[] (*mod_len), for the very last resort. */
static size_t labelled_date(const dom_doc *doc, bool day_first, char out[32], char mod[32],
                            size_t *mod_len)
{
  const dom_node *body = ex_body(doc);
  int texts = 0;
  int pending = 0; /* 1: a publication label ended the last text, 2: a last-change label */
  for (const dom_node *n = dom_next(body, body); n && texts < EX_LABEL_TEXTS;) {
    if (n->type == DOM_ELEMENT && (n->tag == HTML_TAG_SCRIPT || n->tag == HTML_TAG_STYLE ||
                                   n->tag == HTML_TAG_TEMPLATE || n->ns != DOM_NS_HTML)) {
      n = dom_next_skip(body, n);
      continue;
    }
    if (n->type == DOM_TEXT) {
      texts++;
      size_t tl = n->data_len;
      const char *t = trim_ascii(n->data, &tl);
      if (pending && tl) {
        char d[32];
        size_t dl = tl <= 80 ? ex_date_normalise_order(t, tl, day_first, d) : 0;
        if (dl && pending == 1) {
          memcpy(out, d, dl + 1);
          return dl;
        }
        if (dl && !*mod_len) {
          memcpy(mod, d, dl + 1);
          *mod_len = dl;
        }
        pending = 0;
      }
      /* the date is in this text or, after a label that ends it, in the next: a text with
       * no digit is searched only when it ends with ':' or a letter */
      if (tl > 200)
        tl = 0;
      bool digit = false;
      for (size_t i = 0; i < tl && !digit; i++)
        digit = t[i] >= '0' && t[i] <= '9';
      if (!digit && tl && t[tl - 1] != ':' &&
          !(ex_lower(t[tl - 1]) >= 'a' && ex_lower(t[tl - 1]) <= 'z'))
        tl = 0;
      for (size_t i = 0; tl && i + 5 <= tl && !pending; i++) {
        char c = ex_lower(t[i]);
        if (c != 'p' && c != 'v' && c != 'e' && c != 'g' && c != 'd' && c != 'm' && c != 'a' &&
            c != 'l' && c != 'u')
          continue;
        if (i && ex_lower(t[i - 1]) >= 'a' && ex_lower(t[i - 1]) <= 'z')
          continue;
        int kind = 1;
        size_t ll = label_in(t, tl, i, pub_labels);
        if (!ll && !*mod_len) {
          kind = 2;
          ll = label_in(t, tl, i, mod_labels);
        }
        if (!ll)
          continue;
        size_t st = i + ll;
        char d[32];
        size_t dl = ex_date_normalise_order(t + st, tl - st, day_first, d);
        if (dl && kind == 1) {
          memcpy(out, d, dl + 1);
          return dl;
        }
        if (dl) {
          memcpy(mod, d, dl + 1);
          *mod_len = dl;
        } else if (st + 2 >= tl) {
          pending = kind; /* the date follows in the next text */
        }
        break;
      }
    }
    n = dom_next(body, n);
  }
  return 0;
}

/* The date in root's text when that text is short (at most max bytes) and names no update:
 * its length in out, else 0. */
static size_t short_text_date(const dom_node *root, size_t max, bool day_first, char out[32])
{
  ex_buf t;
  exb_init(&t, 1024);
  size_t dl = 0;
  if (short_text(root, &t, max) && !is_update_text(t.p, t.len))
    dl = ex_date_normalise_order(t.p, t.len, day_first, out);
  exb_free(&t);
  return dl;
}

/* A date set above the headline in the same block ("24. April 2020 | Press"): the short texts
 * (at most 80 bytes) of the h1's earlier siblings, nearest first, at most 4 of them. */
static size_t date_before_h1(const dom_node *h1, bool day_first, char out[32])
{
  int tried = 0;
  for (const dom_node *sib = h1->prev; sib && tried < 4; sib = sib->prev) {
    if (sib->type != DOM_ELEMENT) {
      if (sib->type == DOM_TEXT) {
        size_t tl = sib->data_len;
        const char *t = ex_trim(sib->data, &tl);
        if (tl && tl <= 80 && !is_update_text(t, tl)) {
          size_t dl = ex_date_normalise_order(t, tl, day_first, out);
          if (dl)
            return dl;
        }
      }
      continue;
    }
    if (sib->tag == HTML_TAG_SCRIPT || sib->tag == HTML_TAG_STYLE || sib->ns != DOM_NS_HTML)
      continue;
    tried++;
    size_t dl = short_text_date(sib, 80, day_first, out);
    if (dl)
      return dl;
  }
  return 0;
}

/* A date in the byline's block ("28. Jan. 2022 | Name"), for pages whose headline is no <h1>:
 * the short text (at most 120 bytes) of a byline element's parent or grandparent, the first
 * byline element's first. */
static size_t date_by_byline(const meta_scan *s, bool day_first, char out[32])
{
  for (uint32_t i = 0; i < s->n_byline; i++) {
    const dom_node *p = s->byline_el[i]->parent;
    for (int up = 0; up < 2 && p && p->type == DOM_ELEMENT && p->tag != HTML_TAG_BODY;
         up++, p = p->parent) {
      size_t dl = short_text_date(p, 120, day_first, out);
      if (dl)
        return dl;
    }
  }
  return 0;
}

static void scan_doc(const dom_doc *doc, meta_scan *s)
{
  const dom_node *n = dom_next(doc->root, doc->root);
  for (; n; n = dom_next(doc->root, n)) {
    if (n->type != DOM_ELEMENT)
      continue;
    if (n->ns != DOM_NS_HTML) {
      /* foreign content (SVG, MathML) carries no metadata; <title> in SVG is not the title */
      const dom_node *nx = dom_next_skip(doc->root, n);
      if (!nx)
        break;
      n = nx;
      /* n is now unvisited: re-run the loop body on it by stepping via a tiny loop */
      while (n && n->type == DOM_ELEMENT && n->ns != DOM_NS_HTML)
        n = dom_next_skip(doc->root, n);
      if (!n)
        break;
      if (n->type != DOM_ELEMENT)
        continue;
    }
    size_t l = 0;
    switch (n->tag) {
    case HTML_TAG_HTML: {
      const char *v = dom_attr_get(n, "lang", &l);
      if (!v)
        v = dom_attr_get(n, "xml:lang", &l);
      if (v && l && !s->html_lang.s)
        s->html_lang = (str_ref){v, l};
      break;
    }
    case HTML_TAG_TITLE:
      if (!s->title_el)
        s->title_el = n;
      break;
    case HTML_TAG_META:
      scan_meta(s, n);
      break;
    case HTML_TAG_LINK: {
      const char *rel = dom_attr_get(n, "rel", &l);
      size_t hl = 0;
      const char *href = dom_attr_get(n, "href", &hl);
      if (rel && href && hl && ex_ieq(rel, l, "canonical") && !s->canonical.s)
        s->canonical = (str_ref){href, hl};
      break;
    }
    case HTML_TAG_BASE: {
      const char *href = dom_attr_get(n, "href", &l);
      if (href && l && !s->base_href.s)
        s->base_href = (str_ref){href, l};
      break;
    }
    case HTML_TAG_SCRIPT: {
      const char *t = dom_attr_get(n, "type", &l);
      if (t && ex_icontains(t, l, "ld+json") && s->n_jsonld < 16)
        s->jsonld[s->n_jsonld++] = n;
      break;
    }
    case HTML_TAG_H1:
      if (!s->h1_first)
        s->h1_first = n;
      s->n_h1++;
      /* fall through */
    case HTML_TAG_H2:
      if (s->n_hx < 64)
        s->hx[s->n_hx++] = n;
      break;
    case HTML_TAG_TIME:
      if (!s->time_el && (dom_attr_get(n, "datetime", NULL) || dom_attr_get(n, "pubdate", NULL)))
        s->time_el = n;
      break;
    default:
      break;
    }
    bool want_pub = !s->pub_el;
    bool want_by = s->n_byline < EX_BYLINE_ELS && n->tag != HTML_TAG_HTML &&
                   n->tag != HTML_TAG_BODY && n->tag != HTML_TAG_LINK;
    if (n->n_attrs && n->tag != HTML_TAG_META && (want_pub || want_by)) {
      size_t ipl = 0;
      const char *ip = dom_attr_get(n, "itemprop", &ipl);
      if (want_pub && ip && ex_icontains(ip, ipl, "datePublished"))
        s->pub_el = n;
      if (want_by && is_byline_hint(n, ip, ipl) && !in_comments(n) && byline_fits(n))
        s->byline_el[s->n_byline++] = n;
    }
  }
}

/* ---- JSON-LD ------------------------------------------------------------------------------ */
typedef struct jsonld_out {
  str_ref date_any; /* datePublished of any typed object (WebPage...), the last resort */
  ex_buf authors;   /* several authors joined with ", " (author points into it then) */
  str_ref headline, name, author, date, publisher, description, lang, body;
  str_ref tags[16];
  uint32_t n_tags;
  bool found;
  const jm_value *roots[16]; /* every block, for "@id" references */
  uint32_t n_roots;
} jsonld_out;

static bool is_article_type(const jm_value *t)
{
  /* Readability's list; "Article" matches as a prefix, the others as substrings. */
  static const char *const types[] = {
      "AdvertiserContentArticle", "NewsArticle",           "AnalysisNewsArticle",
      "AskPublicNewsArticle",     "BackgroundNewsArticle", "OpinionNewsArticle",
      "ReportageNewsArticle",     "ReviewNewsArticle",     "Report",
      "SatiricalArticle",         "ScholarlyArticle",      "MedicalScholarlyArticle",
      "SocialMediaPosting",       "BlogPosting",           "LiveBlogPosting",
      "DiscussionForumPosting",   "TechArticle",           "APIReference"};
  if (!t)
    return false;
  if (t->type == JM_ARRAY) {
    for (uint32_t i = 0; i < t->n; i++)
      if (is_article_type(t->items[i]))
        return true;
    return false;
  }
  if (t->type != JM_STRING)
    return false;
  if (t->len >= 7 && memcmp(t->str, "Article", 7) == 0)
    return true;
  for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
    if (strstr(t->str, types[i]))
      return true;
  return false;
}

static str_ref jm_str(const jm_value *v)
{
  if (v && v->type == JM_STRING && v->len)
    return (str_ref){v->str, v->len};
  return (str_ref){NULL, 0};
}

static str_ref jm_name_of(const jm_value *v)
{
  if (!v)
    return (str_ref){NULL, 0};
  if (v->type == JM_STRING)
    return jm_str(v);
  if (v->type == JM_ARRAY && v->n)
    return jm_name_of(v->items[0]);
  if (v->type == JM_OBJECT)
    return jm_str(jm_get(v, "name"));
  return (str_ref){NULL, 0};
}

static bool looks_like_url(const char *s, size_t n);

/* The object whose "@id" is id and that has a "name", in a block (its arrays and @graph). */
static const jm_value *jl_find_id(const jm_value *v, const char *id, size_t idn, int depth)
{
  if (!v || depth > 5)
    return NULL;
  if (v->type == JM_ARRAY) {
    for (uint32_t i = 0; i < v->n; i++) {
      const jm_value *r = jl_find_id(v->items[i], id, idn, depth + 1);
      if (r)
        return r;
    }
    return NULL;
  }
  if (v->type != JM_OBJECT)
    return NULL;
  const jm_value *i = jm_get(v, "@id");
  if (i && i->type == JM_STRING && i->len == idn && memcmp(i->str, id, idn) == 0 &&
      jm_str(jm_get(v, "name")).s)
    return v;
  return jl_find_id(jm_get(v, "@graph"), id, idn, depth + 1);
}

/* An author's name: a string, an object's "name", or the "name" of the node an {"@id": ...}
 * reference points to (Person nodes of an @graph). */
static str_ref jl_person(const jsonld_out *out, const jm_value *v)
{
  if (v && v->type == JM_ARRAY)
    return v->n ? jl_person(out, v->items[0]) : (str_ref){NULL, 0};
  str_ref r = jm_name_of(v);
  if (r.s || !v || v->type != JM_OBJECT)
    return r;
  const jm_value *id = jm_get(v, "@id");
  if (!id || id->type != JM_STRING || !id->len)
    return r;
  for (uint32_t k = 0; k < out->n_roots; k++) {
    const jm_value *p = jl_find_id(out->roots[k], id->str, id->len, 0);
    if (p)
      return jm_str(jm_get(p, "name"));
  }
  return r;
}

static void jsonld_take(const jm_value *o, jsonld_out *out, int rank)
{
  /* rank 0 = an article type: it overrides what a WebPage gave */
  if (out->found && rank > 0)
    return;
  bool first = !out->found;
  out->found = true;
  str_ref v;
#define TAKE(field, val)                                                                           \
  do {                                                                                             \
    v = (val);                                                                                     \
    if (v.s && (first || rank == 0 || !out->field.s))                                              \
      out->field = v;                                                                              \
  } while (0)
  TAKE(headline, jm_str(jm_get(o, "headline")));
  TAKE(name, jm_str(jm_get(o, "name")));
  const jm_value *a = jm_get(o, "author");
  if (!a)
    a = jm_get(o, "creator");
  if (a && a->type == JM_ARRAY && a->n > 1) {
    /* several authors: their names joined with ", " */
    if (first || rank == 0 || !out->author.s) {
      exb_clear(&out->authors);
      for (uint32_t i = 0; i < a->n && i < 16; i++) {
        str_ref nm = jl_person(out, a->items[i]);
        if (!nm.s || looks_like_url(nm.s, nm.n))
          continue;
        if (out->authors.len)
          exb_put(&out->authors, ", ", 2);
        exb_put(&out->authors, nm.s, nm.n);
      }
      if (out->authors.len && !out->authors.failed)
        out->author = (str_ref){out->authors.p, out->authors.len};
    }
  } else {
    TAKE(author, jl_person(out, a));
  }
  v = jm_str(jm_get(o, "datePublished"));
  if (!v.s)
    v = jm_str(jm_get(o, "dateCreated"));
  if (!v.s)
    v = jm_str(jm_get(o, "uploadDate"));
  TAKE(date, v);
  TAKE(publisher, jm_name_of(jm_get(o, "publisher")));
  TAKE(description, jm_str(jm_get(o, "description")));
  TAKE(lang, jm_str(jm_get(o, "inLanguage")));
  TAKE(body, jm_str(jm_get(o, "articleBody")));
#undef TAKE
  const jm_value *kw = jm_get(o, "keywords");
  if (kw && kw->type == JM_ARRAY) {
    for (uint32_t i = 0; i < kw->n && out->n_tags < 16; i++)
      if (kw->items[i]->type == JM_STRING && kw->items[i]->len)
        out->tags[out->n_tags++] = jm_str(kw->items[i]);
  } else if (kw && kw->type == JM_STRING && kw->len && out->n_tags < 16) {
    out->tags[out->n_tags++] = jm_str(kw);
  }
  const jm_value *sec = jm_get(o, "articleSection");
  if (sec && sec->type == JM_STRING && sec->len && out->n_tags < 16)
    out->tags[out->n_tags++] = jm_str(sec);
}

/* Visits objects in a JSON-LD value (top level, arrays, @graph), without recursion beyond the
 * bounded depth of the mini parser. */
static void jsonld_visit(const jm_value *v, jsonld_out *out, int depth)
{
  if (!v || depth > 4)
    return;
  if (v->type == JM_ARRAY) {
    for (uint32_t i = 0; i < v->n; i++)
      jsonld_visit(v->items[i], out, depth + 1);
    return;
  }
  if (v->type != JM_OBJECT)
    return;
  const jm_value *t = jm_get(v, "@type");
  if (t && !out->date_any.s)
    out->date_any = jm_str(jm_get(v, "datePublished"));
  if (is_article_type(t)) {
    bool webpage = t->type == JM_STRING && (t->len == 7 && memcmp(t->str, "WebPage", 7) == 0);
    jsonld_take(v, out, webpage ? 1 : 0);
  }
  const jm_value *g = jm_get(v, "@graph");
  if (g)
    jsonld_visit(g, out, depth + 1);
  const jm_value *me = jm_get(v, "mainEntity");
  if (me && me->type == JM_OBJECT)
    jsonld_visit(me, out, depth + 1);
}

/* ---- title (Readability's rules for <title>) ----------------------------------------------- */
static size_t word_count_simple(const char *s, size_t n)
{
  /* str.split(/\s+/).length: counts separators + 1 */
  size_t k = 1;
  bool in = false;
  for (size_t i = 0; i < n; i++) {
    bool sp = s[i] == ' ' || s[i] == '\t' || s[i] == '\n';
    if (sp && !in)
      k++;
    in = sp;
  }
  return k;
}

static bool is_hsep(char c)
{
  return c == '|' || c == '-' || c == '\\' || c == '/' || c == '>';
}

/* Position of a separator " X " (X in |-\/>» ) in s: last (or first) occurrence; -1 when none.
 * *sep_len receives the byte length of X. */
static long find_sep(const char *s, size_t n, bool last, bool hier_only, size_t *sep_len)
{
  long found = -1;
  for (size_t i = 1; i + 1 < n; i++) {
    if (s[i - 1] != ' ')
      continue;
    size_t xl = 0;
    if (is_hsep(s[i]) && (!hier_only || (s[i] != '|' && s[i] != '-')))
      xl = 1;
    else if ((unsigned char)s[i] == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xBB)
      xl = 2; /* » */
    else if (!hier_only && (unsigned char)s[i] == 0xE2 && i + 2 < n &&
             (unsigned char)s[i + 1] == 0x80 &&
             ((unsigned char)s[i + 2] == 0x93 || (unsigned char)s[i + 2] == 0x94))
      xl = 3; /* en dash, em dash */
    if (!xl || i + xl >= n || s[i + xl] != ' ')
      continue;
    found = (long)i;
    *sep_len = xl;
    if (!last)
      return found;
  }
  return found;
}

static void put_utf8(ex_buf *b, uint32_t cp)
{
  char u[4];
  size_t k;
  if (cp == 0 || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
    cp = 0xFFFD;
  if (cp < 0x80) {
    u[0] = (char)cp;
    k = 1;
  } else if (cp < 0x800) {
    u[0] = (char)(0xC0 | (cp >> 6));
    u[1] = (char)(0x80 | (cp & 0x3F));
    k = 2;
  } else if (cp < 0x10000) {
    u[0] = (char)(0xE0 | (cp >> 12));
    u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[2] = (char)(0x80 | (cp & 0x3F));
    k = 3;
  } else {
    u[0] = (char)(0xF0 | (cp >> 18));
    u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    u[3] = (char)(0x80 | (cp & 0x3F));
    k = 4;
  }
  exb_put(b, u, k);
}

/* Character references left in a metadata value: pages that escape twice ("&amp;#8222;" in a
 * meta content gives "&#8222;" after parsing) would otherwise show them. Only complete
 * references (with ';') are decoded, as Readability's _unescapeHtmlEntities does. */
static void unescape_refs(ex_buf *b, const char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    if (s[i] != '&') {
      size_t e = i;
      while (e < n && s[e] != '&')
        e++;
      exb_put(b, s + i, e - i);
      i = e;
      continue;
    }
    if (i + 2 < n && s[i + 1] == '#') {
      size_t j = i + 2;
      bool hex = j < n && (s[j] == 'x' || s[j] == 'X');
      if (hex)
        j++;
      uint32_t cp = 0;
      size_t nd = 0;
      for (; j < n && nd < 8; j++, nd++) {
        char c = s[j];
        uint32_t v;
        if (c >= '0' && c <= '9')
          v = (uint32_t)(c - '0');
        else if (hex && ((c | 32) >= 'a' && (c | 32) <= 'f'))
          v = (uint32_t)((c | 32) - 'a' + 10);
        else
          break;
        cp = cp * (hex ? 16u : 10u) + v;
      }
      if (nd && j < n && s[j] == ';') {
        put_utf8(b, cp);
        i = j + 1;
        continue;
      }
    } else {
      const html_entity *e = html_entity_match(s + i + 1, n - i - 1);
      if (e && e->name_len && e->name[e->name_len - 1] == ';') {
        for (uint8_t k = 0; k < e->n_codepoints; k++)
          put_utf8(b, e->codepoints[k]);
        i += 1 + e->name_len;
        continue;
      }
    }
    exb_putc(b, '&');
    i++;
  }
}

static void set_clean(ex_buf *b, const char *s, size_t n)
{
  exb_clear(b);
  size_t tl = n;
  const char *t = ex_trim(s, &tl);
  ex_buf u;
  exb_init(&u, EX_MAX_META * 4);
  if (memchr(t, '&', tl)) {
    unescape_refs(&u, t, tl);
    if (!u.failed && u.p) {
      t = u.p;
      tl = u.len;
    }
  }
  bool sp = false;
  ex_append_collapsed(b, &sp, t, tl);
  exb_free(&u);
}

static void readability_title(const meta_scan *s, ex_buf *out)
{
  ex_buf orig, cur, tmp;
  exb_init(&orig, EX_MAX_META);
  exb_init(&cur, EX_MAX_META);
  exb_init(&tmp, EX_MAX_META);
  if (s->title_el)
    ex_collect_text(s->title_el, &tmp);
  set_clean(&orig, tmp.p ? tmp.p : "", tmp.len);
  const char *o = orig.p ? orig.p : "";
  size_t on = orig.len;
  exb_put(&cur, o, on);
  bool hier = false;
  size_t xl = 0;
  long sep = find_sep(o, on, true, false, &xl);
  if (sep >= 0) {
    size_t hl;
    hier = find_sep(o, on, true, true, &hl) >= 0;
    /* Readability: "(.*)[sep] .*" -> $1, a cut at the last separator followed by a space */
    size_t cut = 0;
    bool have = false;
    for (size_t i = 0; i < on; i++) {
      size_t l = 0;
      if (is_hsep(o[i]))
        l = 1;
      else if ((unsigned char)o[i] == 0xC2 && i + 1 < on && (unsigned char)o[i + 1] == 0xBB)
        l = 2;
      else if ((unsigned char)o[i] == 0xE2 && i + 2 < on && (unsigned char)o[i + 1] == 0x80 &&
               ((unsigned char)o[i + 2] == 0x93 || (unsigned char)o[i + 2] == 0x94))
        l = 3;
      if (l && i + l < on && o[i + l] == ' ') {
        cut = i;
        have = true;
      }
    }
    exb_clear(&cur);
    exb_put(&cur, o, have ? cut : on);
    if (word_count_simple(cur.p, cur.len) < 3) {
      /* "[^sep]*[sep](.*)" -> $1: everything after the first separator character */
      size_t st = on;
      for (size_t i = 0; i < on; i++) {
        size_t l = 0;
        if (is_hsep(o[i]))
          l = 1;
        else if ((unsigned char)o[i] == 0xC2 && i + 1 < on && (unsigned char)o[i + 1] == 0xBB)
          l = 2;
        else if ((unsigned char)o[i] == 0xE2 && i + 2 < on && (unsigned char)o[i + 1] == 0x80 &&
                 ((unsigned char)o[i + 2] == 0x93 || (unsigned char)o[i + 2] == 0x94))
          l = 3;
        if (l) {
          st = i + l;
          break;
        }
      }
      exb_clear(&cur);
      exb_put(&cur, o + st, on - st);
    }
  } else if (memchr(o, ':', on) && strstr(o, ": ")) {
    bool match = false;
    for (uint32_t i = 0; i < s->n_hx && !match; i++) {
      exb_clear(&tmp);
      ex_collect_text(s->hx[i], &tmp);
      size_t tl = tmp.len;
      const char *t = ex_trim(tmp.p ? tmp.p : "", &tl);
      size_t ctl = cur.len;
      const char *ct = ex_trim(cur.p, &ctl);
      match = tl == ctl && memcmp(t, ct, tl) == 0;
    }
    if (!match) {
      const char *lc = o + on;
      while (lc > o && lc[-1] != ':')
        lc--;
      exb_clear(&cur);
      exb_put(&cur, lc, on - (size_t)(lc - o));
      if (word_count_simple(cur.p, cur.len) < 3) {
        const char *fc = memchr(o, ':', on);
        exb_clear(&cur);
        exb_put(&cur, fc + 1, on - (size_t)(fc + 1 - o));
      } else {
        const char *fc = memchr(o, ':', on);
        if (word_count_simple(o, (size_t)(fc - o)) > 5) {
          exb_clear(&cur);
          exb_put(&cur, o, on);
        }
      }
    }
  } else if (on > 150 || on < 15) {
    if (s->n_h1 == 1 && s->h1_first) {
      exb_clear(&tmp);
      ex_collect_text(s->h1_first, &tmp);
      exb_clear(&cur);
      exb_put(&cur, tmp.p ? tmp.p : "", tmp.len);
    }
  }
  set_clean(&tmp, cur.p ? cur.p : "", cur.len);
  size_t wc = tmp.len ? word_count_simple(tmp.p, tmp.len) : 1;
  if (wc <= 4) {
    /* count words of the original with the separators removed */
    ex_buf nos;
    exb_init(&nos, EX_MAX_META);
    for (size_t i = 0; i < on; i++) {
      if ((unsigned char)o[i] == 0xE2 && i + 2 < on && (unsigned char)o[i + 1] == 0x80 &&
          ((unsigned char)o[i + 2] == 0x93 || (unsigned char)o[i + 2] == 0x94)) {
        i += 2;
        continue;
      }
      if ((unsigned char)o[i] == 0xC2 && i + 1 < on && (unsigned char)o[i + 1] == 0xBB) {
        i++;
        continue;
      }
      if (!is_hsep(o[i]))
        exb_putc(&nos, o[i]);
    }
    size_t wo = nos.len ? word_count_simple(nos.p, nos.len) : 1;
    exb_free(&nos);
    if (!hier || wc != wo - 1)
      set_clean(&tmp, o, on);
  }
  exb_clear(out);
  exb_put(out, tmp.p ? tmp.p : "", tmp.len);
  exb_free(&orig);
  exb_free(&cur);
  exb_free(&tmp);
}

/* A sentence, not names: three or more words in lower case besides the words that join names
 * ("and", "von", "de", ...), as a headline or a teaser caught beside an author's name is. */
static bool prose_like(const char *s, size_t n)
{
  static const char *const join[] = {"and", "und", "et", "y",   "e",   "van", "von", "de",  "der",
                                     "den", "la",  "le", "di",  "da",  "du",  "del", "dos", "zu",
                                     "of",  "the", "al", "bin", "ibn", "ten", "ter"};
  int lower = 0;
  for (size_t i = 0; i < n && lower < 3;) {
    while (i < n && s[i] == ' ')
      i++;
    size_t st = i;
    while (i < n && s[i] != ' ')
      i++;
    if (i == st || s[st] < 'a' || s[st] > 'z')
      continue;
    bool j = false;
    for (size_t k = 0; k < sizeof join / sizeof join[0] && !j; k++)
      j = ex_ieq(s + st, i - st, join[k]);
    lower += !j;
  }
  return lower >= 3;
}

/* A byline element that holds only its label ("By", "Posted on", "Veröffentlicht am") or a form
 * field's label ("Name *", "Author:") names nobody: the next candidate is tried. */
static bool is_byline_label(const char *s, size_t n)
{
  while (n && (s[n - 1] == ' ' || s[n - 1] == '|' || s[n - 1] == '-'))
    n--;
  if (!n || s[n - 1] == ':' || s[n - 1] == '*')
    return true;
  static const char *const labels[] = {"by",
                                       "posted",
                                       "posted on",
                                       "posted by",
                                       "published",
                                       "published on",
                                       "published by",
                                       "written by",
                                       "author",
                                       "von",
                                       "veröffentlicht am",
                                       "veröffentlicht von",
                                       "autor",
                                       "par",
                                       "por",
                                       "di",
                                       "door"};
  for (size_t k = 0; k < sizeof labels / sizeof labels[0]; k++)
    if (ex_ieq(s, n, labels[k]))
      return true;
  /* no person: placeholders, buttons, a copyright line, a bare @handle */
  static const char *const none[] = {"admin",     "administrator",   "no author", "unknown",
                                     "follow",    "folgen",          "suivre",    "seguir",
                                     "anonymous", "redaktion online"};
  for (size_t k = 0; k < sizeof none / sizeof none[0]; k++)
    if (ex_ieq(s, n, none[k]))
      return true;
  if (s[0] == '@' || ex_icontains(s, n, "\xC2\xA9") || ex_icontains(s, n, "copyright"))
    return true;
  /* an account menu ("Sign In | Sign Up") */
  if (ex_icontains(s, n, "sign in") || ex_icontains(s, n, "sign up") ||
      ex_icontains(s, n, "log in"))
    return true;
  /* a comment form's field: "Name (required)", "Name (erforderlich)" */
  static const char *const form[] = {"(required)",    "(erforderlich)", "(obligatoire)",
                                     "(obligatorio)", "(Pflichtfeld)",  "(requis)"};
  for (size_t k = 0; k < sizeof form / sizeof form[0]; k++)
    if (ex_icontains(s, n, form[k]))
      return true;
  bool letter = false;
  for (size_t i = 0; i < n && !letter; i++)
    letter = (unsigned char)s[i] >= 0x80 || ((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z');
  return !letter || prose_like(s, n);
}

/* ---- assembly ----------------------------------------------------------------------------- */
/* The host of an absolute URL ("https://user@www.example.org:8080/x" -> "www.example.org"). */
static rt_span url_host(const char *u, size_t n)
{
  size_t i = 0;
  while (i + 2 < n && u[i] != ':' && u[i] != '/')
    i++;
  if (i + 2 >= n || u[i] != ':' || u[i + 1] != '/' || u[i + 2] != '/')
    return (rt_span){NULL, 0};
  i += 3;
  size_t e = i;
  while (e < n && u[e] != '/' && u[e] != '?' && u[e] != '#')
    e++;
  for (size_t k = e; k > i; k--)
    if (u[k - 1] == '@') {
      i = k;
      break;
    }
  size_t c = i;
  while (c < e && u[c] != ':')
    c++;
  return (rt_span){u + i, c - i};
}

/* Is a later byline element of the scan inside byline element i (a container holding a
 * category, a role or a logo beside the name)? */
static bool holds_byline(const meta_scan *s, uint32_t i)
{
  for (uint32_t j = i + 1; j < s->n_byline; j++)
    for (const dom_node *p = s->byline_el[j]->parent; p; p = p->parent)
      if (p == s->byline_el[i])
        return true;
  return false;
}

/* An h1 that opens with a kicker element of at most 6 words before a longer headline ("<span
 * class=dachzeile>After the lockdown</span> <span>Car dealers expect a slow start</span>"):
 * the text after the kicker goes to `out`. False (and `out` untouched) for any other h1. */
static bool h1_without_kicker(const dom_node *h, ex_buf *out)
{
  const dom_node *k = h->first_child;
  while (k && k->type == DOM_TEXT) {
    size_t l = k->data_len;
    if (ex_trim(k->data, &l) && l)
      return false; /* text before any element: no kicker */
    k = k->next;
  }
  if (!k || k->type != DOM_ELEMENT || k->tag == HTML_TAG_A || !k->next)
    return false;
  ex_buf kt, rest;
  exb_init(&kt, EX_MAX_META);
  exb_init(&rest, EX_MAX_META * 4);
  ex_collect_text(k, &kt);
  for (const dom_node *n = k->next; n; n = n->next) {
    exb_put(&rest, " ", 1);
    ex_collect_text(n, &rest);
  }
  size_t kw = word_count_simple(kt.p, kt.len), rw = word_count_simple(rest.p, rest.len);
  bool ok = !kt.failed && !rest.failed && kw >= 1 && kw <= 6 && rw > kw && rw >= 3;
  if (ok)
    exb_put(out, rest.p, rest.len);
  exb_free(&kt);
  exb_free(&rest);
  return ok;
}

/* A heading's text for the title rules, cleaned into `b`: a permalink mark after its words
 * ("Title¶") is not part of it. */
static void heading_text(ex_buf *raw, ex_buf *b)
{
  for (bool mark = true; mark;) {
    while (raw->len && (raw->p[raw->len - 1] == ' ' || raw->p[raw->len - 1] == '\n' ||
                        raw->p[raw->len - 1] == '\t' || raw->p[raw->len - 1] == '\r'))
      raw->len--;
    mark = raw->len >= 2 && (unsigned char)raw->p[raw->len - 2] == 0xC2 &&
           (unsigned char)raw->p[raw->len - 1] == 0xB6;
    if (mark)
      raw->len -= 2;
  }
  set_clean(b, raw->p ? raw->p : "", raw->len);
}

/* Is the heading a link to the home page and nothing else (a site logo set as <h1>)? */
static bool home_heading(const dom_node *h)
{
  const dom_node *a = NULL;
  for (const dom_node *n = dom_next(h, h); n; n = dom_next(h, n))
    if (n->type == DOM_ELEMENT && n->tag == HTML_TAG_A) {
      a = n;
      break;
    }
  if (!a)
    return false;
  size_t hl = 0, rl = 0;
  const char *href = dom_attr_get(a, "href", &hl);
  const char *rel = dom_attr_get(a, "rel", &rl);
  if (!(rel && ex_icontains(rel, rl, "home")) && !(href && rt_is_home_url(href, hl)))
    return false;
  ex_buf ht, at;
  exb_init(&ht, EX_MAX_META);
  exb_init(&at, EX_MAX_META);
  ex_collect_text(h, &ht);
  ex_collect_text(a, &at);
  size_t hn = ht.len, an = at.len;
  const char *hs = ex_trim(ht.p ? ht.p : "", &hn);
  const char *as = ex_trim(at.p ? at.p : "", &an);
  bool same = !ht.failed && !at.failed && hn && hn == an && memcmp(hs, as, hn) == 0;
  exb_free(&ht);
  exb_free(&at);
  return same;
}

/* An account name rather than a person's name: one word holding a digit or an underscore
 * ("CC7567", "jane_doe"), or lower-case words joined by dots ("jane.doe", a login). The
 * markup gives such a handle where the page shows the name; it is the byline only when no
 * other markup value, byline element or inline line names someone. */
static bool user_handle(const char *s, size_t n)
{
  size_t l = n;
  s = ex_trim(s, &l);
  if (l < 3 || l > 40)
    return false;
  bool mark = false, dotted = s[0] != '.' && s[l - 1] != '.';
  size_t dots = 0;
  for (size_t i = 0; i < l; i++) {
    if (s[i] == ' ' || s[i] == ',')
      return false;
    if ((s[i] >= '0' && s[i] <= '9') || s[i] == '_')
      mark = true;
    if (s[i] == '.')
      dots++;
    else if (s[i] < 'a' || s[i] > 'z')
      dotted = false;
  }
  return mark || (dotted && dots);
}

/* A title or byline shows no soft hyphens (rt_drop_soft_hyphens). */
static void drop_soft_hyphens(ex_buf *t)
{
  t->len = rt_drop_soft_hyphens(t->p, t->len);
  t->p[t->len] = '\0';
}

/* A byline candidate cleaned of labels, dates and separators (byline.c, shared with the native
 * fallback): false when nothing is left or what is left names the site (then it goes to
 * `site_by`, used when no source names a person). */
static bool put_byline(ex_buf *b, const char *v, size_t n, rt_span site, rt_span host,
                       ex_buf *site_by)
{
  ex_buf t;
  exb_init(&t, EX_MAX_META * 4);
  set_clean(&t, v, n);
  bool ok = false;
  if (t.len && !t.failed) {
    drop_soft_hyphens(&t); /* before the labels are looked for: "Au&shy;tor:" is one */
    rt_span r = rt_byline_clean(t.p, t.len, site);
    if (r.n && !is_byline_label(r.s, r.n)) {
      if (!rt_names_site(r.s, r.n, site, host)) {
        exb_clear(b);
        exb_put(b, r.s, r.n);
        ok = b->len > 0 && !b->failed;
      } else if (!site_by->len) {
        exb_put(site_by, r.s, r.n);
      }
    }
  }
  exb_free(&t);
  return ok;
}

/* A title candidate without its site-name part (title.c, shared with the native fallback). */
static void clean_title(ex_buf *t, const rt_title_ctx *ctx)
{
  if (!t->len || t->failed)
    return;
  rt_span r = rt_title_clean(t->p, t->len, ctx);
  if (r.n && (r.s != t->p || r.n != t->len)) {
    ex_buf tmp;
    exb_init(&tmp, EX_MAX_META);
    exb_put(&tmp, r.s, r.n);
    if (!tmp.failed) {
      exb_clear(t);
      exb_put(t, tmp.p, tmp.len);
    }
    exb_free(&tmp);
  }
}

/* The title from <title> when no meta tag gives one: a visible h1 the whole <title> holds
 * (title.c rule 1, "Site » Section » <h1>") or the <title> without its site parts, else
 * Readability's cut of it. True when the <title> only names the site. */
static bool doc_title(const meta_scan *s, const rt_title_ctx *tx, ex_buf *out)
{
  ex_buf raw, t;
  exb_init(&raw, EX_MAX_META * 4);
  exb_init(&t, EX_MAX_META);
  if (s->title_el)
    ex_collect_text(s->title_el, &raw);
  set_clean(&t, raw.p ? raw.p : "", raw.len);
  rt_span r;
  if (t.len && !t.failed && (rt_title_h1(t.p, t.len, tx, &r) || r.n != t.len))
    exb_put(out, r.s, r.n);
  else
    readability_title(s, out);
  bool site = t.len && !t.failed && rt_names_site(t.p, t.len, tx->site, tx->host);
  exb_free(&raw);
  exb_free(&t);
  return site;
}

static void put_first(ex_buf *b, const str_ref *cands, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    if (cands[i].s && cands[i].n) {
      set_clean(b, cands[i].s, cands[i].n);
      if (b->len)
        return;
    }
  }
}

/* Is the meta title (a meta tag's, not JSON-LD's) a label of one or two words that shares hardly a
 * word (a third, by length) with the <title> and with every visible h1? Then it names a section
 * ("Press releases"), and the <title> (of 3 words or more) is the page's title. A longer one is
 * kept: a headline written for sharing says other things than the <title> and the h1 and is still
 * the page's. */
static bool meta_title_alone(const meta_scan *s, const ex_buf *mt, const rt_title_ctx *tx)
{
  ex_buf raw, t;
  exb_init(&raw, EX_MAX_META * 4);
  exb_init(&t, EX_MAX_META);
  if (s->title_el)
    ex_collect_text(s->title_el, &raw);
  set_clean(&t, raw.p ? raw.p : "", raw.len);
  bool alone = !t.failed && word_count_simple(mt->p, mt->len) <= 2 &&
               word_count_simple(t.p, t.len) >= 3 &&
               ex_text_similarity(t.p, t.len, mt->p, mt->len) < 0.34;
  for (size_t i = 0; alone && i < tx->n_h1; i++)
    alone = ex_text_similarity(tx->h1[i].s, tx->h1[i].n, mt->p, mt->len) < 0.34;
  exb_free(&raw);
  exb_free(&t);
  return alone;
}

/* put_first for title candidates: one that only names the site ("Example News" on
 * news.example) is passed over, a later one or the <title> says more. */
static size_t put_first_title(ex_buf *b, const str_ref *cands, size_t n, rt_span site, rt_span host)
{
  for (size_t i = 0; i < n; i++) {
    if (cands[i].s && cands[i].n) {
      set_clean(b, cands[i].s, cands[i].n);
      if (b->len && !rt_names_site(b->p, b->len, site, host))
        return i;
      exb_clear(b);
    }
  }
  return n;
}

static bool looks_like_url(const char *s, size_t n)
{
  return ex_istarts(s, n, "http://") || ex_istarts(s, n, "https://") || ex_istarts(s, n, "www.");
}

static void put_language(ex_buf *b, const char *s, size_t n)
{
  char tag[4];
  if (!ex_lang_normalise(s, n, tag))
    return;
  exb_clear(b);
  exb_puts(b, tag);
}

static void add_category(ex_meta *m, const char *s, size_t n)
{
  /* comma-separated lists are split */
  size_t i = 0;
  while (i < n && m->n_categories < EX_MAX_CATEGORIES) {
    size_t e = i;
    while (e < n && s[e] != ',')
      e++;
    size_t tl = e - i;
    const char *t = ex_trim(s + i, &tl);
    if (tl && tl < 200) {
      bool dup = false;
      for (uint32_t k = 0; k < m->n_categories && !dup; k++)
        dup = m->categories[k].len == tl && memcmp(m->categories[k].p, t, tl) == 0;
      if (!dup) {
        set_clean(&m->categories[m->n_categories], t, tl);
        if (m->categories[m->n_categories].len)
          m->n_categories++;
      }
    }
    i = e + 1;
  }
}

/* Some pages put HTML in JSON-LD articleBody ("<p>...</p>"): a tag is '<' followed by a letter,
 * '/' or '!'. */
static bool has_markup(const char *s, size_t n)
{
  for (size_t i = 0; i + 1 < n; i++) {
    if (s[i] != '<')
      continue;
    char c = s[i + 1];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '/' || c == '!')
      return true;
  }
  return false;
}

/* ... or HTML escaped once more ("&lt;p&gt;Uma solu&amp;ccedil;&atilde;o&lt;/p&gt;"): an
 * escaped tag is "&lt;" followed by a letter or '/'. */
static bool has_escaped_markup(const char *s, size_t n)
{
  for (size_t i = 0; i + 4 < n; i++) {
    if (s[i] != '&' || memcmp(s + i, "&lt;", 4) != 0)
      continue;
    char c = s[i + 4];
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '/')
      return true;
  }
  return false;
}

/* The text of an HTML articleBody: parsed as a document of its own (its arena bounded to 16x
 * the markup plus 1 MiB), then serialised as plain text, scripts and styles left out. On
 * failure `out` stays empty. */
static void body_markup_text(const char *s, size_t n, ex_buf *out)
{
  html_parse_options po;
  memset(&po, 0, sizeof po);
  if (n > ((size_t)4 << 20))
    return;
  po.mem_limit = n * 16 + ((size_t)1 << 20);
  dom_doc *d = NULL;
  if (html_parse(s, n, &po, &d) == HTML_PARSE_OK && d) {
    ex_mark_static(d);
    dom_node *b = ex_body(d);
    if (b)
      ex_text_serialise(b, out);
  }
  dom_doc_free(d);
}

/* Date candidates of the markup, normalised, in priority order (an element's text read in the
 * page's order of day and month, day_first; attribute and meta values month-first). */
#define EX_DATE_CANDS 8
typedef struct date_cands {
  char d[EX_DATE_CANDS][32];
  size_t len[EX_DATE_CANDS];
  int n;
} date_cands;

static bool cand_add(date_cands *c, const char *s, size_t n, bool day_first)
{
  if (c->n >= EX_DATE_CANDS)
    return false;
  size_t l = ex_date_normalise_order(s, n, day_first, c->d[c->n]);
  if (!l)
    return false;
  c->len[c->n++] = l;
  return true;
}

void ex_meta_extract(dom_doc *doc, const char *url, size_t url_len, ex_meta *m)
{
  meta_scan *s = calloc(1, sizeof *s);
  if (!s) {
    doc->oom = true;
    return;
  }
  scan_doc(doc, s);

  /* JSON-LD */
  jsonld_out jl;
  memset(&jl, 0, sizeof jl);
  exb_init(&jl.authors, EX_MAX_META);
  jm_doc *jdocs[16];
  uint32_t n_jdocs = 0;
  for (uint32_t i = 0; i < s->n_jsonld; i++) {
    ex_buf raw;
    exb_init(&raw, (size_t)4 << 20);
    for (const dom_node *c = s->jsonld[i]->first_child; c; c = c->next)
      if (c->type == DOM_TEXT)
        exb_put(&raw, c->data, c->data_len);
    if (raw.len && !raw.failed) {
      jm_doc *jd = jm_parse(raw.p, raw.len);
      if (jd) {
        jdocs[n_jdocs++] = jd; /* strings point into jd: keep it until the end */
        jl.roots[jl.n_roots++] = jd->root;
      }
    }
    exb_free(&raw);
  }
  for (uint32_t i = 0; i < n_jdocs; i++)
    jsonld_visit(jdocs[i]->root, &jl, 0);

  /* base URL: <base href> resolved against the page URL. A page given without a URL (a local
   * file) stands in for its own address with its canonical URL (rel=canonical, else og:url)
   * when that is absolute, so its relative links and media still come out absolute. */
  str_ref canon = s->canonical.s ? s->canonical : s->slot[MK_URL_OG];
  if (!url_len && canon.s) {
    size_t cn = canon.n;
    const char *c = ex_trim(canon.s, &cn);
    if (ex_url_is_absolute(c, cn) &&
        (ex_istarts(c, cn, "http://") || ex_istarts(c, cn, "https://"))) {
      url = c;
      url_len = cn;
    }
  }
  if (s->base_href.s) {
    if (!ex_url_resolve(url, url_len, s->base_href.s, s->base_href.n, &m->base_url))
      exb_clear(&m->base_url);
  }
  if (!m->base_url.len && url_len)
    exb_put(&m->base_url, url, url_len);
  const char *base = m->base_url.p ? m->base_url.p : "";
  size_t base_len = m->base_url.len;

  /* title: JSON-LD "name", unless only "headline" agrees with the <title> (some sites put
   * their own name in "name") */
  str_ref jt = jl.name.s ? jl.name : jl.headline;
  if (jl.headline.s && jl.name.s &&
      !(jl.headline.n == jl.name.n && memcmp(jl.headline.s, jl.name.s, jl.name.n) == 0)) {
    ex_buf t;
    exb_init(&t, EX_MAX_META);
    readability_title(s, &t);
    const char *tp = t.p ? t.p : "";
    bool name_ok = ex_text_similarity(jl.name.s, jl.name.n, tp, t.len) > 0.75;
    bool head_ok = ex_text_similarity(jl.headline.s, jl.headline.n, tp, t.len) > 0.75;
    if (head_ok && !name_ok)
      jt = jl.headline;
    exb_free(&t);
  }
  str_ref tc[] = {jt,
                  s->slot[MK_TITLE_DC],
                  s->slot[MK_TITLE_OG],
                  s->slot[MK_TITLE_WEIBO],
                  s->slot[MK_TITLE_PLAIN],
                  s->slot[MK_TITLE_TWITTER],
                  s->slot[MK_TITLE_PARSELY]};
  {
    rt_title_ctx tx;
    memset(&tx, 0, sizeof tx);
    ex_buf h1[4], site;
    str_ref sn = jl.publisher.s ? jl.publisher : s->slot[MK_SITE_OG];
    if (!sn.s)
      sn = s->slot[MK_SITE_APP];
    exb_init(&site, EX_MAX_META);
    if (sn.s)
      set_clean(&site, sn.s, sn.n);
    tx.site = (rt_span){site.p, site.failed ? 0 : site.len};
    tx.host = url_host(url, url_len);
    size_t from = put_first_title(&m->title, tc, sizeof tc / sizeof tc[0], tx.site, tx.host);
    m->title_from_meta = m->title.len > 0;
    ex_buf home;
    exb_init(&home, EX_MAX_META);
    for (uint32_t i = 0; i < s->n_hx && tx.n_h1 < 4; i++) {
      if (s->hx[i]->tag != HTML_TAG_H1)
        continue;
      ex_buf raw;
      exb_init(&raw, EX_MAX_META * 4);
      ex_collect_text(s->hx[i], &raw);
      if (!home.len && home_heading(s->hx[i])) {
        heading_text(&raw, &home);
        tx.home = (rt_span){home.p, home.failed ? 0 : home.len};
      } else {
        exb_init(&h1[tx.n_h1], EX_MAX_META);
        heading_text(&raw, &h1[tx.n_h1]);
        tx.h1[tx.n_h1] = (rt_span){h1[tx.n_h1].p, h1[tx.n_h1].failed ? 0 : h1[tx.n_h1].len};
        tx.n_h1++;
        /* the same h1 without a kicker element it opens with, compared after the whole h1 */
        exb_clear(&raw);
        if (tx.n_h1 < 4 && h1_without_kicker(s->hx[i], &raw)) {
          exb_init(&h1[tx.n_h1], EX_MAX_META);
          heading_text(&raw, &h1[tx.n_h1]);
          tx.h1[tx.n_h1] = (rt_span){h1[tx.n_h1].p, h1[tx.n_h1].failed ? 0 : h1[tx.n_h1].len};
          tx.n_h1++;
        }
      }
      exb_free(&raw);
    }
    if (m->title_from_meta && from > 0 && meta_title_alone(s, &m->title, &tx)) {
      exb_clear(&m->title);
      m->title_from_meta = false;
    }
    bool doc_site = !m->title_from_meta && doc_title(s, &tx, &m->title);
    clean_title(&m->title, &tx);
    /* on a page other than the home page, a <title> that only names the site gives way to
     * the visible h1 (on the home page the site's name is the title) */
    if (doc_site && tx.n_h1 && tx.h1[0].n && !rt_is_home_url(url, url_len) &&
        !rt_names_site(tx.h1[0].s, tx.h1[0].n, tx.site, tx.host)) {
      exb_clear(&m->title);
      exb_put(&m->title, tx.h1[0].s, tx.h1[0].n);
    }
    for (size_t i = 0; i < tx.n_h1; i++)
      exb_free(&h1[i]);
    exb_free(&home);
    exb_free(&site);
  }
  if (!m->title.len && s->h1_first)
    ex_collect_text(s->h1_first, &m->title);
  if (m->title.len && !m->title.failed)
    drop_soft_hyphens(&m->title);

  /* byline */
  str_ref art = s->slot[MK_AUTHOR_ARTICLE];
  if (art.s && looks_like_url(art.s, art.n))
    art = (str_ref){NULL, 0};
  str_ref jauth = jl.author;
  if (jauth.s && looks_like_url(jauth.s, jauth.n))
    jauth = (str_ref){NULL, 0};
  /* "twitter:label1" = "Written by" / "Verfasst von", "twitter:data1" = the name */
  str_ref tw = {NULL, 0};
  if (s->slot[MK_TW_LABEL1].s && s->slot[MK_TW_DATA1].s &&
      rt_byline_label(s->slot[MK_TW_LABEL1].s, s->slot[MK_TW_LABEL1].n) == s->slot[MK_TW_LABEL1].n)
    tw = s->slot[MK_TW_DATA1];
  str_ref bc[] = {jauth, s->slot[MK_AUTHOR_DC], s->slot[MK_AUTHOR], s->slot[MK_AUTHOR_PARSELY], art,
                  tw};
  ex_buf bsite;
  exb_init(&bsite, EX_MAX_META);
  {
    str_ref sn = jl.publisher.s ? jl.publisher : s->slot[MK_SITE_OG];
    if (!sn.s)
      sn = s->slot[MK_SITE_APP];
    if (sn.s)
      set_clean(&bsite, sn.s, sn.n);
  }
  rt_span site_sp = {bsite.p, bsite.failed ? 0 : bsite.len};
  rt_span host_sp = url_host(url, url_len);
  bool have_by = false;
  ex_buf site_by;
  exb_init(&site_by, EX_MAX_META);
  str_ref handle = {NULL, 0};
  for (size_t i = 0; i < sizeof bc / sizeof bc[0] && !have_by; i++) {
    if (!bc[i].s || !bc[i].n)
      continue;
    if (user_handle(bc[i].s, bc[i].n)) {
      if (!handle.s)
        handle = bc[i];
      continue;
    }
    have_by = put_byline(&m->byline, bc[i].s, bc[i].n, site_sp, host_sp, &site_by);
  }
  /* the innermost byline elements first (a container may hold a category, a role or a logo
   * beside the name), then the containers */
  for (uint32_t k = 0; k < 2 * s->n_byline && !have_by; k++) {
    uint32_t i = k % s->n_byline;
    if (holds_byline(s, i) != (k >= s->n_byline))
      continue;
    ex_buf t;
    exb_init(&t, EX_MAX_META * 4);
    byline_text(s->byline_el[i], &t, SIZE_MAX, UINT32_MAX);
    size_t tl = t.len;
    const char *tt = ex_trim(t.p ? t.p : "", &tl);
    if (tl > 0 && tl < EX_BYLINE_TEXT && !is_byline_label(tt, tl))
      have_by = put_byline(&m->byline, tt, tl, site_sp, host_sp, &site_by);
    exb_free(&t);
  }
  if (!have_by) {
    ex_buf t;
    exb_init(&t, 1024);
    if (inline_byline(doc, &t))
      have_by = put_byline(&m->byline, t.p, t.len, site_sp, host_sp, &site_by);
    exb_free(&t);
  }
  if (!have_by && handle.s)
    have_by = put_byline(&m->byline, handle.s, handle.n, site_sp, host_sp, &site_by);
  if (!have_by) {
    exb_clear(&m->byline);
    if (site_by.len && !site_by.failed)
      exb_put(&m->byline, site_by.p, site_by.len);
  }
  exb_free(&site_by);
  exb_free(&bsite);

  /* language: the first declaration that names one (<html lang>, content-language, og:locale,
   * JSON-LD inLanguage), before the date, whose numbers in the text it orders */
  str_ref lc[] = {s->html_lang, s->slot[MK_LANG], s->slot[MK_LOCALE], jl.lang};
  bool day_first = false;
  for (size_t i = 0; i < sizeof lc / sizeof lc[0] && !m->language.len; i++)
    if (lc[i].s) {
      put_language(&m->language, lc[i].s, lc[i].n);
      day_first = m->language.len && ex_date_day_first(lc[i].s, lc[i].n);
    }

  /* date: the candidates the markup gives, in priority order */
  char d[32];
  size_t dl = 0;
  date_cands dc;
  dc.n = 0;
  str_ref dm[] = {jl.date, s->slot[MK_DATE_PUB], s->slot[MK_DATE_ITEMPROP], s->slot[MK_DATE_OTHER]};
  for (size_t i = 0; i < sizeof dm / sizeof dm[0]; i++)
    if (dm[i].s)
      cand_add(&dc, dm[i].s, dm[i].n, false);
  if (s->pub_el) {
    size_t l = 0;
    const char *v = dom_attr_get(s->pub_el, "datetime", &l);
    if (!v)
      v = dom_attr_get(s->pub_el, "content", &l);
    if (!v || !cand_add(&dc, v, l, false)) {
      ex_buf t;
      exb_init(&t, 512);
      if (short_text(s->pub_el, &t, 200))
        cand_add(&dc, t.p, t.len, day_first);
      exb_free(&t);
    }
  }
  if (s->time_el) {
    size_t l = 0;
    const char *v = dom_attr_get(s->time_el, "datetime", &l);
    if (!v || !cand_add(&dc, v, l, false)) {
      ex_buf t;
      exb_init(&t, 512);
      ex_collect_text(s->time_el, &t);
      cand_add(&dc, t.p ? t.p : "", t.len, day_first);
      exb_free(&t);
    }
  }
  char ud[32];
  size_t ul = url_len ? ex_date_from_url(url, url_len, ud) : 0;
  if (ul && dc.n < EX_DATE_CANDS) {
    memcpy(dc.d[dc.n], ud, ul + 1);
    dc.len[dc.n++] = ul;
  }
  if (!dc.n && jl.date_any.s) /* the last resort only (it often repeats JSON-LD's date) */
    cand_add(&dc, jl.date_any.s, jl.date_any.n, false);
  /* the date the page shows settles a disagreement: a UTC time a day off the date under the
   * headline (else the URL's date) is given as that day, the page's own (when no candidate
   * names the page's zone and the time is in the half of the day that allows the shift); a top
   * candidate no other one agrees with gives way to the first candidate on the day of the date
   * line (else of the date under the headline) */
  if (dc.n) {
    char v[32], h[32];
    size_t vl = date_line(doc, day_first, v), hl = 0;
    for (uint32_t i = 0; i < s->n_hx && !hl; i++)
      if (s->hx[i]->tag == HTML_TAG_H1)
        hl = date_after_h1(doc->root, s->hx[i], day_first, h);
    int pick = 0;
    long c0 = ex_date_day(dc.d[0]);
    bool agreed = false, zoned = false;
    for (int i = 1; i < dc.n; i++)
      agreed = agreed || ex_date_day(dc.d[i]) == c0;
    for (int i = 0; i < dc.n; i++) {
      int off = ex_date_offset(dc.d[i], dc.len[i]);
      zoned = zoned || (off != 0 && off != EX_NO_OFFSET);
    }
    const char *local = hl ? h : ul ? ud : NULL;
    if (local && !zoned && ex_date_offset(dc.d[0], dc.len[0]) == 0) {
      long diff = ex_date_day(local) - c0;
      int hour = (dc.d[0][11] - '0') * 10 + (dc.d[0][12] - '0');
      if ((diff == 1 && hour >= 12) || (diff == -1 && hour < 12)) {
        pick = -1;
        memcpy(v, local, 10);
      }
    }
    const char *shown[2] = {vl ? v : NULL, hl ? h : NULL};
    for (int k = 0; k < 2 && pick == 0 && !agreed; k++) {
      long vd = shown[k] ? ex_date_day(shown[k]) : c0;
      for (int i = 1; i < dc.n && !pick && vd != c0; i++)
        if (ex_date_day(dc.d[i]) == vd)
          pick = i;
    }
    if (pick >= 0) {
      memcpy(d, dc.d[pick], dc.len[pick] + 1);
      dl = dc.len[pick];
    } else {
      memcpy(d, v, 11);
      d[10] = '\0';
      dl = 10;
    }
  }
  /* the first short element named as a date line ("Posted on 4 March 2021") */
  if (!dl)
    dl = date_line(doc, day_first, d);
  char mod_text[32];
  size_t mod_text_len = 0;
  for (uint32_t i = 0; i < s->n_hx && !dl; i++)
    if (s->hx[i]->tag == HTML_TAG_H1)
      dl = date_after_h1(doc->root, s->hx[i], day_first, d);
  for (uint32_t i = 0; i < s->n_hx && !dl; i++)
    if (s->hx[i]->tag == HTML_TAG_H1)
      dl = date_before_h1(s->hx[i], day_first, d);
  if (!dl)
    dl = labelled_date(doc, day_first, d, mod_text, &mod_text_len);
  if (!dl)
    dl = date_by_byline(s, day_first, d);
  if (!dl && s->slot[MK_DATE_MOD].s)
    dl = ex_date_normalise(s->slot[MK_DATE_MOD].s, s->slot[MK_DATE_MOD].n, d);
  if (!dl && mod_text_len) {
    memcpy(d, mod_text, mod_text_len + 1);
    dl = mod_text_len;
  }
  /* a UTC timestamp is given in the page's own zone when another of its timestamps names one
   * (the local date is the one the page shows) */
  if (dl && ex_date_offset(d, dl) == 0) {
    str_ref oc[] = {jl.date,
                    s->slot[MK_DATE_PUB],
                    s->slot[MK_DATE_ITEMPROP],
                    s->slot[MK_DATE_OTHER],
                    s->slot[MK_DATE_MOD],
                    jl.date_any,
                    {NULL, 0}};
    if (s->time_el)
      oc[6].s = dom_attr_get(s->time_el, "datetime", &oc[6].n);
    for (size_t i = 0; i < sizeof oc / sizeof oc[0]; i++) {
      char o[32];
      size_t ol = oc[i].s ? ex_date_normalise(oc[i].s, oc[i].n, o) : 0;
      int off = ol ? ex_date_offset(o, ol) : EX_NO_OFFSET;
      if (off != EX_NO_OFFSET && off != 0) {
        dl = ex_date_to_offset(d, dl, off);
        break;
      }
    }
  }
  if (dl)
    exb_put(&m->date, d, dl);

  /* site name, description */
  str_ref sc[] = {jl.publisher, s->slot[MK_SITE_OG], s->slot[MK_SITE_APP]};
  put_first(&m->site_name, sc, sizeof sc / sizeof sc[0]);
  str_ref dsc[] = {jl.description, s->slot[MK_DESC_DC], s->slot[MK_DESC_OG], s->slot[MK_DESC],
                   s->slot[MK_DESC_TWITTER]};
  put_first(&m->description, dsc, sizeof dsc / sizeof dsc[0]);

  /* canonical, og:image */
  /* always absolute: a relative one with no base to resolve it against is no canonical URL */
  if (canon.s && (!ex_url_resolve(base, base_len, canon.s, canon.n, &m->canonical) ||
                  !ex_url_is_absolute(m->canonical.p, m->canonical.len)))
    exb_clear(&m->canonical);
  if (s->slot[MK_IMAGE_OG].s) {
    exb_put(&m->og_image, s->slot[MK_IMAGE_OG].s, s->slot[MK_IMAGE_OG].n);
  }

  if (jl.body.s && jl.body.n) {
    size_t bl = jl.body.n;
    const char *b = ex_trim(jl.body.s, &bl);
    if (has_markup(b, bl)) {
      body_markup_text(b, bl, &m->article_body);
    } else if (has_escaped_markup(b, bl)) {
      /* a first parse undoes the escaping (its text is the markup), a second reads it */
      ex_buf un;
      exb_init(&un, (size_t)4 << 20);
      body_markup_text(b, bl, &un);
      if (!un.failed && un.p && has_markup(un.p, un.len))
        body_markup_text(un.p, un.len, &m->article_body);
      exb_free(&un);
    } else {
      exb_put(&m->article_body, b, bl);
    }
    if (m->article_body.failed)
      exb_clear(&m->article_body);
  }

  /* categories */
  for (uint32_t i = 0; i < s->n_tags; i++)
    add_category(m, s->tags[i].s, s->tags[i].n);
  for (uint32_t i = 0; i < jl.n_tags; i++)
    add_category(m, jl.tags[i].s, jl.tags[i].n);

  for (uint32_t i = 0; i < n_jdocs; i++)
    jm_free(jdocs[i]);
  exb_free(&jl.authors);
  free(s);
}
