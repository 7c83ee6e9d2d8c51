/*
 * metadata.c - title, byline, date, site name, description, language, canonical URL and
 * categories from <head>, JSON-LD and the document; word count and the quality score.
 */
#include "fallback/native.h"
#include "guest/extract/byline.h"
#include "guest/extract/ex_internal.h"
#include "guest/extract/langtag.h"
#include "guest/extract/title.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

/* ---- metadata ----------------------------------------------------------------------------- */

static void meta_tag(fb_meta *m, const xmlNode *n)
{
  const char *content = fb_attr(n, "content");
  if (!content)
    return;
  const char *key = fb_attr(n, "property");
  if (!key)
    key = fb_attr(n, "name");
  if (!key)
    key = fb_attr(n, "itemprop");
  const char *he = fb_attr(n, "http-equiv");
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
    *dst = fb_clean_dup(v, FB_MAX_META_LEN);
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

/* The first <a> under n (depth-bounded), or NULL. */
static xmlNode *first_link(xmlNode *n, int depth)
{
  if (depth > FB_MAX_DEPTH)
    return NULL;
  for (xmlNode *c = n->children; c; c = c->next) {
    if (!fb_is_el(c))
      continue;
    if (!strcmp((const char *)c->name, "a"))
      return c;
    xmlNode *a = first_link(c, depth + 1);
    if (a)
      return a;
  }
  return NULL;
}

/* Is the h1 (cleaned text `text`) a link to the home page and nothing else, as the guest reads
 * it (src/guest/extract/metadata.c home_heading)? */
static bool home_heading(xmlNode *h, const char *text, int depth)
{
  xmlNode *a = first_link(h, depth + 1);
  if (!a)
    return false;
  const char *href = fb_attr(a, "href");
  const char *rel = fb_attr(a, "rel");
  if (!(rel && strstr(rel, "home")) && !(href && rt_is_home_url(href, strlen(href))))
    return false;
  fb_buf t = {.max = 1 << 16};
  fb_text_of(a, &t, depth + 1);
  char *at = fb_clean_dup(t.p, FB_MAX_META_LEN);
  free(t.p);
  bool same = at && *at && strcmp(at, text) == 0;
  free(at);
  return same;
}

/* Is n inside readers' comments (an element below <body> whose class or id names a comment
 * thread, rt_names_comments)? A commenter's name there is no byline: the guest's rule. */
static bool in_comments(const xmlNode *n)
{
  for (const xmlNode *a = n; fb_is_el(a) && strcmp((const char *)a->name, "body") != 0;
       a = a->parent) {
    const char *cl = fb_attr(a, "class");
    const char *id = fb_attr(a, "id");
    if ((cl && rt_names_comments(cl, strlen(cl))) || (id && rt_names_comments(id, strlen(id))))
      return true;
  }
  return false;
}

void fb_collect_meta(fb_meta *m, xmlNode *n, int depth)
{
  for (xmlNode *c = n->children; c; c = c->next) {
    if (!fb_is_el(c))
      continue;
    const char *name = (const char *)c->name;
    if (!strcmp(name, "meta")) {
      meta_tag(m, c);
    } else if (!strcmp(name, "title") && !m->title_tag) {
      fb_buf t = {.max = 1 << 16};
      fb_text_of(c, &t, depth);
      m->title_buf = fb_clean_dup(t.p, FB_MAX_META_LEN);
      m->title_tag = m->title_buf;
      free(t.p);
    } else if (!strcmp(name, "link")) {
      const char *rel = fb_attr(c, "rel");
      if (rel && strcasecmp(rel, "canonical") == 0 && !m->canonical)
        m->canonical = fb_attr(c, "href");
    } else if (!strcmp(name, "base") && !m->base_href) {
      m->base_href = fb_attr(c, "href");
    } else if (!strcmp(name, "html") && !m->lang) {
      const char *l = fb_attr(c, "lang");
      if (!l)
        l = fb_attr(c, "xml:lang");
      if (l && *l)
        m->lang = l;
    } else if (!strcmp(name, "script")) {
      const char *type = fb_attr(c, "type");
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
      fb_text_of(c, &t, depth);
      char *h = fb_clean_dup(t.p, FB_MAX_META_LEN);
      free(t.p);
      if (h && !m->home_h1 && home_heading(c, h, depth)) {
        m->home_h1 = h; /* the site's logo: it names the site, it is no headline */
      } else {
        m->h1_buf = h;
        m->h1 = m->h1_buf;
      }
    } else if (!strcmp(name, "time") && !m->date) {
      const char *dt = fb_attr(c, "datetime");
      const char *ip = fb_attr(c, "itemprop");
      const char *cl = fb_attr(c, "class");
      if (dt && *dt &&
          ((ip && strstr(ip, "datePublished")) || (cl && strstr(cl, "publish")) ||
           fb_attr(c, "pubdate") || !m->date))
        m->date = dt;
    } else if (!m->author) {
      const char *rel = fb_attr(c, "rel");
      const char *ip = fb_attr(c, "itemprop");
      const char *cl = fb_attr(c, "class");
      if (((rel && !strcasecmp(rel, "author")) || (ip && strstr(ip, "author")) ||
           (cl && (fb_has_word(cl, (const char *const[]){"byline", NULL})))) &&
          !in_comments(c)) {
        fb_buf t = {.max = 1 << 12};
        fb_text_of(c, &t, depth);
        char *a = fb_clean_dup(t.p ? t.p : "", 200);
        free(t.p);
        if (a && strlen(a) < 100 && !m->ld_author)
          m->ld_author = a;
        else
          free(a);
      }
    }
    if (depth < FB_MAX_DEPTH)
      fb_collect_meta(m, c, depth + 1);
  }
}

void fb_meta_free(fb_meta *m)
{
  free(m->title_buf);
  free(m->h1_buf);
  free(m->home_h1);
  free(m->ld_headline);
  free(m->ld_author);
  free(m->ld_date);
  free(m->ld_publisher);
  free(m->ld_description);
  free(m->ld_section);
}

/* The page URL's host, for the title rules ("https://www.example.org/x" -> "www.example.org"). */
static rt_span host_of(const char *u)
{
  const char *p = u ? strstr(u, "://") : NULL;
  if (!p)
    return (rt_span){NULL, 0};
  p += 3;
  size_t n = strcspn(p, "/?#");
  const char *at = memchr(p, '@', n);
  if (at) {
    n -= (size_t)(at + 1 - p);
    p = at + 1;
  }
  const char *colon = memchr(p, ':', n);
  if (colon)
    n = (size_t)(colon - p);
  return (rt_span){p, n};
}

/* A title candidate without its site-name part: the guest's rules (src/guest/extract/title.c). */
static char *clean_title(const char *raw, const char *site, const char *h1, const char *home,
                         const char *base)
{
  char *t = fb_clean_dup(raw, FB_MAX_META_LEN);
  if (!t)
    return NULL;
  rt_title_ctx ctx;
  memset(&ctx, 0, sizeof ctx);
  if (site)
    ctx.site = (rt_span){site, strlen(site)};
  ctx.host = host_of(base);
  if (home)
    ctx.home = (rt_span){home, strlen(home)};
  if (h1) {
    ctx.h1[0] = (rt_span){h1, strlen(h1)};
    ctx.n_h1 = 1;
  }
  rt_span r = rt_title_clean(t, strlen(t), &ctx);
  if (!r.n || (r.s == t && r.n == strlen(t)))
    return t;
  char *c = strndup(r.s, r.n);
  free(t);
  return c;
}

/* A byline without its labels, dates and separators (src/guest/extract/byline.c); NULL when
 * nothing is left or it names the site. */
static char *clean_byline(const char *raw, const char *site, const char *base)
{
  char *t = fb_clean_dup(raw, 300);
  if (!t)
    return NULL;
  t[rt_drop_soft_hyphens(t, strlen(t))] = '\0';
  rt_span sp = {site, site ? strlen(site) : 0};
  rt_span r = rt_byline_clean(t, strlen(t), sp);
  char *c = r.n && !rt_names_site(r.s, r.n, sp, host_of(base)) ? strndup(r.s, r.n) : NULL;
  free(t);
  return c;
}

/* A date in ISO 8601, read by the guest's date.c (shared): NULL when it holds none. */
static char *iso_date(const char *raw)
{
  char out[32];
  size_t n = raw ? ex_date_normalise(raw, strlen(raw), out) : 0;
  return n ? strndup(out, n) : NULL;
}

/* "scheme:..." (an absolute URL), not a path or "//host". */
static bool has_scheme(const char *u)
{
  size_t i = 0;
  while (isalpha((unsigned char)u[i]) ||
         (i && (isdigit((unsigned char)u[i]) || u[i] == '+' || u[i] == '-' || u[i] == '.')))
    i++;
  return i > 0 && u[i] == ':';
}

/* The declared language as a BCP 47 primary subtag (src/guest/extract/langtag.c). */
static char *primary_lang(const char *l)
{
  char tag[4];
  if (!l || !rt_lang_normalise(l, strlen(l), tag))
    return NULL;
  return strdup(tag);
}

static bool add_category(riptide_document *d, const char *v, size_t *cap)
{
  char *c = fb_clean_dup(v, 200);
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

riptide_err fb_fill_metadata(riptide_document *d, fb_meta *m, const char *base)
{
  const char *site = m->site_name ? m->site_name : m->ld_publisher;
  d->site_name = fb_clean_dup(site, FB_MAX_META_LEN);
  /* the first title candidate that says more than the site's name (as the guest does) */
  const char *tc[] = {m->og_title, m->ld_headline, m->tw_title, m->title_tag};
  rt_span site_sp = {d->site_name, d->site_name ? strlen(d->site_name) : 0};
  for (size_t i = 0; i < sizeof tc / sizeof tc[0] && !d->title; i++) {
    if (!tc[i])
      continue;
    char *t = clean_title(tc[i], d->site_name, m->h1, m->home_h1, base);
    bool last = true;
    for (size_t k = i + 1; k < sizeof tc / sizeof tc[0]; k++)
      last = last && !tc[k];
    if (t && !last && rt_names_site(t, strlen(t), site_sp, host_of(base)))
      free(t);
    else
      d->title = t;
  }
  if (!d->title && m->h1)
    d->title = fb_clean_dup(m->h1, FB_MAX_META_LEN);
  if (d->title) /* as the guest's title: no soft hyphens */
    d->title[rt_drop_soft_hyphens(d->title, strlen(d->title))] = '\0';
  fb_set_str(&d->byline, clean_byline(m->author, d->site_name, base));
  fb_set_str(&d->byline, clean_byline(m->ld_author, d->site_name, base));
  fb_set_str(&d->date, iso_date(m->ld_date));
  fb_set_str(&d->date, iso_date(m->date));
  fb_set_str(&d->description, fb_clean_dup(m->description, FB_MAX_META_LEN));
  fb_set_str(&d->description, fb_clean_dup(m->ld_description, FB_MAX_META_LEN));
  d->language = primary_lang(m->lang);
  const char *canon = m->canonical ? m->canonical : m->og_url;
  if (canon) {
    d->canonical_url = fb_resolve(base, canon);
    if (d->canonical_url && !has_scheme(d->canonical_url)) {
      free(d->canonical_url); /* always absolute: no base to resolve it against */
      d->canonical_url = NULL;
    }
  }
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

uint32_t fb_count_words(const char *s)
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
    } else if (cp < 0x80 && (fb_is_space((unsigned char)cp) || ispunct((int)cp))) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      words++;
    }
    p += n;
  }
  return words;
}

int32_t fb_quality(const riptide_document *d, uint32_t paragraphs, double ld)
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
