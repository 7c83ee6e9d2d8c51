/* content_patterns.c - class/id patterns of main-content selection (content.c): the word lists,
 * their one-pass scanner and the per-element pattern bits (CB_*) and class weight. */
#include "guest/extract/classwords.h"
#include "guest/extract/content_internal.h"

#include <string.h>

/* ---- patterns ------------------------------------------------------------------------------ */
static const char *const unlikely_pat[] = {
    "-ad-",       "ai2html",    "banner",     "breadcrumbs", "combx",
    "comment",    "community",  "cover-wrap", "disqus",      "extra",
    "footer",     "gdpr",       "header",     "legends",     "menu",
    "related",    "remark",     "replies",    "rss",         "shoutbox",
    "sidebar",    "skyscraper", "social",     "sponsor",     "supplemental",
    "ad-break",   "agegate",    "pagination", "pager",       "popup",
    "yom-remote", "modal",      "dialog",     "login",       "cookie",
    "consent",    "newsletter", "signup",     "subscri",     "author-box",
    "authorbox",  "comentario", NULL};
static const char *const maybe_pat[] = {"and",  "article", "body",   "column", "content",
                                        "main", "mathjax", "shadow", NULL};
static const char *const negative_pat[] = {
    "-ad-",     "hidden", "banner",   "combx",    "comment", "com-",       "contact",
    "footer",   "gdpr",   "masthead", "media",    "meta",    "outbrain",   "promo",
    "related",  "scroll", "share",    "shoutbox", "sidebar", "skyscraper", "sponsor",
    "shopping", "tags",   "widget",   NULL};
static const char *const positive_pat[] = {"article", "body", "content", "entry",      "hentry",
                                           "h-entry", "main", "page",    "pagination", "post",
                                           "text",    "blog", "story",   NULL};
static const char *const video_pat[] = {"//"
                                        "(www.)?((dailymotion|youtube|youtube-nocookie|player."
                                        "vimeo|v.qq|bilibili|exc_live.bilibili).com",
                                        NULL};

static bool match_any(const char *s, size_t n, const char *const *pats)
{
  for (size_t i = 0; pats[i]; i++)
    if (ex_icontains(s, n, pats[i]))
      return true;
  return false;
}

static bool has_token(const char *s, size_t n, const char *tok)
{
  size_t tl = strlen(tok);
  size_t i = 0;
  while (i < n) {
    while (i < n && s[i] == ' ')
      i++;
    size_t e = i;
    while (e < n && s[e] != ' ')
      e++;
    if (e - i == tl && ex_ieq(s + i, tl, tok))
      return true;
    i = e;
  }
  return false;
}

bool exc_is_video_url(const char *s, size_t n)
{
  (void)video_pat;
  static const char *const hosts[] = {
      "dailymotion.com", "youtube.com", "youtube-nocookie.com", "player.vimeo.com", "v.qq.com",
      "bilibili.com",    NULL};
  return match_any(s, n, hosts);
}

static const char *const inside_pat[];
static bool inside_words(const char *s, size_t n, size_t from);

/* One-pass multi-pattern matcher over lower-cased class/id strings: every pattern of every
 * list is indexed by its first byte, so a string is scanned once for all lists. */
#define L_UNL 0x01
#define L_MAYBE 0x02
#define L_NEG 0x04
#define L_POS 0x08
#define L_IN 0x10
#define L_BY 0x20
#define L_SHARE 0x40
#define L_CAP 0x80

typedef struct pat_ent {
  const char *p;
  uint8_t len, lists;
} pat_ent;

static pat_ent pat_tab[256];
/* patterns indexed by their first two bytes: start offsets into pat_tab (65536 + 1 entries) */
static uint16_t pat_start[65537];
static size_t pat_n;

static void pat_add_list(pat_ent *tmp, size_t *k, const char *const *pats, uint8_t bit)
{
  for (size_t i = 0; pats[i]; i++) {
    size_t j = 0;
    while (j < *k && strcmp(tmp[j].p, pats[i]) != 0)
      j++;
    if (j < *k) {
      tmp[j].lists |= bit;
    } else if (*k < 256) {
      tmp[*k].p = pats[i];
      tmp[*k].len = (uint8_t)strlen(pats[i]);
      tmp[*k].lists = bit;
      (*k)++;
    }
  }
}

static unsigned pat_key(const char *p)
{
  return (unsigned)(unsigned char)p[0] << 8 | (unsigned char)p[1];
}

static void pat_init(void)
{
  if (pat_n)
    return;
  static const char *const by[] = {"byline", "author", "dateline", "writtenby", "p-author", NULL};
  pat_ent tmp[256];
  size_t k = 0;
  pat_add_list(tmp, &k, unlikely_pat, L_UNL);
  pat_add_list(tmp, &k, maybe_pat, L_MAYBE);
  pat_add_list(tmp, &k, negative_pat, L_NEG);
  pat_add_list(tmp, &k, positive_pat, L_POS);
  pat_add_list(tmp, &k, inside_pat, L_IN);
  pat_add_list(tmp, &k, by, L_BY);
  static const char *const sh[] = {"share", NULL};
  pat_add_list(tmp, &k, sh, L_SHARE);
  static const char *const cap[] = {"caption", "legend", NULL};
  pat_add_list(tmp, &k, cap, L_CAP);
  /* sort by two-byte key (insertion sort: k <= 256), then fill the start table */
  for (size_t i = 1; i < k; i++) {
    pat_ent e = tmp[i];
    size_t j = i;
    while (j > 0 && pat_key(tmp[j - 1].p) > pat_key(e.p)) {
      tmp[j] = tmp[j - 1];
      j--;
    }
    tmp[j] = e;
  }
  size_t pos = 0;
  for (unsigned key = 0; key < 65536; key++) {
    pat_start[key] = (uint16_t)pos;
    while (pos < k && pat_key(tmp[pos].p) == key) {
      pat_tab[pos] = tmp[pos];
      pos++;
    }
  }
  pat_start[65536] = (uint16_t)pos;
  pat_n = pos ? pos : 1;
}

/* *in_pos: where the first in-article boilerplate pattern (L_IN) starts, when one does. */
static uint8_t pat_scan(const char *s, size_t n, size_t *in_pos)
{
  /* all patterns are at least two bytes long */
  uint8_t r = 0;
  if (n < 2)
    return 0;
  unsigned char prev = (unsigned char)ex_lower(s[0]);
  for (size_t i = 0; i + 1 < n; i++) {
    unsigned char cur = (unsigned char)ex_lower(s[i + 1]);
    unsigned key = (unsigned)prev << 8 | cur;
    prev = cur;
    uint16_t a = pat_start[key], b = pat_start[key + 1];
    for (uint16_t j = a; j < b; j++) {
      const pat_ent *e = &pat_tab[j];
      if (e->len > n - i || (r & e->lists) == e->lists)
        continue;
      size_t q = 2;
      while (q < e->len && ex_lower(s[i + q]) == e->p[q])
        q++;
      if (q == e->len) {
        if ((e->lists & L_IN) && !(r & L_IN))
          *in_pos = i;
        r |= e->lists;
      }
    }
  }
  return r;
}

uint16_t exc_compute_cbits(const dom_node *n)
{
  if (!n->n_attrs)
    return 0;
  uint16_t ab = 0;
  size_t l;
  if (exc_unlikely_role(n))
    ab |= CB_ROLE;
  const char *am = dom_attr_get(n, "aria-modal", &l);
  const char *role = dom_attr_get(n, "role", NULL);
  if (am && ex_ieq(am, l, "true") && role && strcmp(role, "dialog") == 0)
    ab |= CB_MODAL;
  const char *rel = dom_attr_get(n, "rel", &l);
  if (rel && ex_ieq(rel, l, "author"))
    ab |= CB_BYATTR;
  const char *ip = dom_attr_get(n, "itemprop", &l);
  if (ip && ex_icontains(ip, l, "author"))
    ab |= CB_BYATTR;
  size_t cl, il;
  const char *c = ex_class(n, &cl);
  const char *id = ex_id(n, &il);
  if (!cl && !il)
    return ab;
  pat_init();
  size_t cpos = 0, ipos = 0;
  uint8_t bc = cl ? pat_scan(c, cl, &cpos) : 0, bi = il ? pat_scan(id, il, &ipos) : 0;
  uint8_t both = bc | bi;
  uint16_t b = 0;
  if (both & L_UNL)
    b |= CB_UNLIKELY;
  if (both & L_MAYBE)
    b |= CB_MAYBE;
  if ((bc & L_NEG) || (cl && has_token(c, cl, "hid")))
    b |= CB_CNEG;
  if (bc & L_POS)
    b |= CB_CPOS;
  if ((bi & L_NEG) || (il && ex_ieq(id, il, "hid")))
    b |= CB_INEG;
  if (bi & L_POS)
    b |= CB_IPOS;
  if (((bc & L_IN) && inside_words(c, cl, cpos)) || ((bi & L_IN) && inside_words(id, il, ipos)))
    b |= CB_INSIDE;
  if (bc & L_MAYBE)
    b |= CB_CMAYBE;
  if (both & L_BY)
    b |= CB_BYLINE;
  if ((both & L_SHARE) && (exc_share_like(c, cl) || exc_share_like(id, il)))
    b |= CB_SHARE;
  if (both & L_CAP)
    b |= CB_CAPNAME;
  return b | ab;
}

int exc_class_weight_bits(uint16_t b, int flags)
{
  if (!(flags & F_WEIGHT_CLASSES))
    return 0;
  int w = 0;
  if (b & CB_CNEG)
    w -= 25;
  if (b & CB_CPOS)
    w += 25;
  if (b & CB_INEG)
    w -= 25;
  if (b & CB_IPOS)
    w += 25;
  /* beyond Readability: names of in-article boilerplate (newsletter, author box, credits,
   * disclaimers...) count against a candidate like Readability's negative names */
  if ((b & CB_INSIDE) && !(b & (CB_CNEG | CB_INEG | CB_CPOS | CB_IPOS)))
    w -= 25;
  return w;
}

bool exc_share_like(const char *s, size_t n)
{
  /* (\b|_)(share|sharedaddy)(\b|_) */
  for (size_t i = 0; i + 5 <= n; i++) {
    if (ex_lower(s[i]) != 's' || !ex_istarts(s + i, n - i, "share"))
      continue;
    bool before =
        i == 0 || !((s[i - 1] >= 'a' && s[i - 1] <= 'z') || (s[i - 1] >= 'A' && s[i - 1] <= 'Z') ||
                    (s[i - 1] >= '0' && s[i - 1] <= '9'));
    size_t e = i + 5;
    if (ex_istarts(s + e, n - e, "daddy"))
      e += 5;
    bool after = e == n || !((s[e] >= 'a' && s[e] <= 'z') || (s[e] >= 'A' && s[e] <= 'Z') ||
                             (s[e] >= '0' && s[e] <= '9'));
    if (before && after)
      return true;
  }
  return false;
}

/* Boilerplate that sits inside the article container (beyond Readability): short blocks
 * whose class/id names them as credits, sharing, comments, subscriptions, tags, navigation or
 * post metadata, calls to action ("cta": a box that sells a subscription, a consultation or
 * the next product), and short blocks that are nothing but links ("back to top", "next
 * post"). */
static const char *const inside_pat[] = {"credit",
                                         "copyright",
                                         "share",
                                         "social",
                                         "comment",
                                         "newsletter",
                                         "subscri",
                                         "cookie",
                                         "consent",
                                         "promo",
                                         "advert",
                                         "related",
                                         "breadcrumb",
                                         "pagination",
                                         "postmeta",
                                         "post-meta",
                                         "entry-meta",
                                         "article-meta",
                                         "meta-data",
                                         "metadata",
                                         "tags",
                                         "tagcloud",
                                         "byline",
                                         "author",
                                         "dateline",
                                         "published",
                                         "updated",
                                         "readmore",
                                         "read-more",
                                         "more-link",
                                         "printer",
                                         "navigation",
                                         "nav-",
                                         "-nav",
                                         "toolbar",
                                         "rating",
                                         "donate",
                                         "disclaimer",
                                         "further",
                                         "morelinks",
                                         "more-links",
                                         "see-also",
                                         "seealso",
                                         "disclosure",
                                         "biograph",
                                         "-bio",
                                         "bio-",
                                         "_bio",
                                         "aboutauthor",
                                         "about-author",
                                         "privacy",
                                         "tag-links",
                                         "signature",
                                         "user-info",
                                         "recommend",
                                         "read-also",
                                         "readalso",
                                         "pop-up",
                                         "popup",
                                         "follow-us",
                                         "entry-utility",
                                         "entry-footer",
                                         "post-footer",
                                         "ez-toc",
                                         "toc_container",
                                         "table-of-contents",
                                         "teaser",
                                         "banner",
                                         "login",
                                         "comentario",
                                         "cta",
                                         "call-to-action",
                                         NULL};

/* ---- class/id words ------------------------------------------------------------------------ */
static bool is_alnum_c(char ch)
{
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
}

/* Class and id words: rt_class_words_match (classwords.h, shared with the byline rules). */
bool exc_name_has_word(const dom_node *n, const char *const *words)
{
  size_t cl, il;
  const char *c = ex_class(n, &cl);
  const char *id = ex_id(n, &il);
  return (c && rt_class_words_match(c, cl, words)) || (id && rt_class_words_match(id, il, words));
}

static bool is_upper_c(char ch)
{
  return ch >= 'A' && ch <= 'Z';
}

static bool is_lower_c(char ch)
{
  return ch >= 'a' && ch <= 'z';
}

/* inside_pat by first byte (lower case), with lengths: built once */
static uint8_t in_len[128], in_letters[128];
static uint8_t in_first[256][16];
static uint8_t in_nfirst[256];

static void inside_init(void)
{
  static bool done;
  if (done)
    return;
  for (size_t k = 0; inside_pat[k] && k < 128; k++) {
    const char *p = inside_pat[k];
    size_t pl = strlen(p), letters = 0;
    for (size_t q = 0; q < pl; q++)
      letters += is_alnum_c(p[q]);
    in_len[k] = (uint8_t)pl;
    in_letters[k] = (uint8_t)letters;
    unsigned char f = (unsigned char)p[0];
    if (in_nfirst[f] < 16)
      in_first[f][in_nfirst[f]++] = (uint8_t)k;
  }
  done = true;
}

/* The in-article boilerplate names (inside_pat) as words, not substrings: a hit must not
 * run across a camelCase boundary ("tagStyle" is no "tags"), must not lie in a hashed token
 * ("x9tags3"), and a pattern of fewer than 6 letters must start a token ("promo" in
 * "promo-box", not in "impromotu"). Called only when the substring scan found a pattern,
 * from where the first one starts. */
static bool inside_words(const char *s, size_t n, size_t from)
{
  inside_init();
  for (size_t i = from; i < n; i++) {
    unsigned char f = (unsigned char)ex_lower(s[i]);
    for (size_t j = 0; j < in_nfirst[f]; j++) {
      size_t k = in_first[f][j];
      const char *p = inside_pat[k];
      size_t pl = in_len[k];
      if (i + pl > n)
        continue;
      size_t q = 1;
      while (q < pl && ex_lower(s[i + q]) == p[q])
        q++;
      if (q < pl)
        continue;
      /* the token around the hit */
      size_t ts = i, te = i + pl;
      if (is_alnum_c(p[0]))
        while (ts > 0 && is_alnum_c(s[ts - 1]) && !(is_upper_c(s[ts]) && is_lower_c(s[ts - 1])))
          ts--;
      while (te < n && is_alnum_c(s[te]) && !(is_upper_c(s[te]) && is_lower_c(s[te - 1])))
        te++;
      bool cross = false;
      for (size_t r = i + 1; r < i + pl && !cross; r++)
        cross = is_upper_c(s[r]) && is_lower_c(s[r - 1]);
      if (cross)
        continue;
      if (in_letters[k] < 6 && is_alnum_c(p[0]) && ts != i)
        continue;
      if (is_alnum_c(p[0]) && rt_class_token_hashed(s + ts, te - ts))
        continue;
      return true;
    }
  }
  return false;
}
