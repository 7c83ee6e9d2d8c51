/*
 * title.c - the title cleanup shared by the guest extractor and the native fallback (title.h).
 *
 * Comparisons run on a folded copy (ASCII and Latin-1 letters lower-cased, typographic quotes
 * and dashes as ASCII, whitespace runs as one space) held in a fixed buffer with a map back to
 * the input, so a match found in the folded text is cut from the original. Titles longer than
 * the buffer are returned unchanged (trimmed).
 */
#include "guest/extract/title.h"

#include <string.h>

#define TITLE_FOLD_MAX 512

typedef struct folded {
  char s[TITLE_FOLD_MAX];
  unsigned short at[TITLE_FOLD_MAX + 1]; /* input offset of each folded byte, and of the end */
  size_t n;
  bool ok; /* the whole input fitted */
} folded;

static bool is_ws(unsigned char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static void fold(const char *s, size_t n, folded *f)
{
  f->n = 0;
  f->ok = n < 0xFFFF;
  bool sp = false;
  size_t i = 0;
  while (f->ok && i < n) {
    const unsigned char *u = (const unsigned char *)s + i;
    size_t l = 1;
    char a[2];
    size_t al = 0;
    if (u[0] == 0xC2 && i + 1 < n && u[1] == 0xAD) {
      i += 2; /* a soft hyphen (U+00AD) is invisible: "Mes&shy;sen&shy;ger" reads "Messenger" */
      continue;
    }
    if (is_ws(u[0]) || (u[0] == 0xC2 && i + 1 < n && u[1] == 0xA0)) {
      l = is_ws(u[0]) ? 1 : 2;
      sp = f->n > 0;
      i += l;
      continue;
    }
    if (u[0] >= 'A' && u[0] <= 'Z') {
      a[0] = (char)(u[0] | 32);
      al = 1;
    } else if (u[0] < 0x80) {
      a[0] = (char)u[0];
      al = 1;
    } else if (u[0] == 0xC3 && i + 1 < n && u[1] >= 0x80 && u[1] <= 0x9E && u[1] != 0x97) {
      a[0] = (char)0xC3; /* À..Þ -> à..þ */
      a[1] = (char)(u[1] + 0x20);
      al = 2;
      l = 2;
    } else if (u[0] == 0xE2 && i + 2 < n && u[1] == 0x80 && u[2] >= 0x93 && u[2] <= 0x9F) {
      l = 3;
      al = 1;
      if (u[2] <= 0x95)
        a[0] = '-'; /* en dash, em dash, horizontal bar */
      else if (u[2] >= 0x98 && u[2] <= 0x9B)
        a[0] = '\'';
      else if (u[2] >= 0x9C)
        a[0] = '"';
      else
        al = 0, l = 1;
      if (!al) {
        a[0] = (char)u[0];
        al = 1;
      }
    } else if (u[0] == 0xC2 && i + 1 < n && (u[1] == 0xAB || u[1] == 0xBB)) {
      a[0] = '"';
      al = 1;
      l = 2;
    } else {
      a[0] = (char)u[0];
      al = 1;
    }
    if (f->n + al + 1 >= TITLE_FOLD_MAX) {
      f->ok = false;
      break;
    }
    if (sp) {
      f->at[f->n] = (unsigned short)i;
      f->s[f->n++] = ' ';
      sp = false;
    }
    for (size_t k = 0; k < al; k++) {
      f->at[f->n] = (unsigned short)i;
      f->s[f->n++] = a[k];
    }
    i += l;
  }
  f->at[f->n] = (unsigned short)(f->ok ? n : 0);
}

size_t rt_drop_soft_hyphens(char *s, size_t n)
{
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if ((unsigned char)s[i] == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xAD) {
      i++;
      continue;
    }
    s[k++] = s[i];
  }
  return k;
}

bool rt_title_eq(const char *a, size_t an, const char *b, size_t bn)
{
  folded fa, fb;
  fold(a, an, &fa);
  fold(b, bn, &fb);
  return fa.ok && fb.ok && fa.n == fb.n && memcmp(fa.s, fb.s, fa.n) == 0;
}

/* ---- separators ------------------------------------------------------------------------------ */
enum { SEP_STRONG = 1, SEP_DASH = 2, SEP_COLON = 3 };

/* A separator at folded offset i (which holds the space before it): its kind and the length of
 * " X " in folded bytes, or 0. */
static int sep_at(const folded *f, size_t i, size_t *len)
{
  const char *s = f->s;
  size_t n = f->n;
  if (s[i] != ' ' || i + 2 >= n)
    return 0;
  static const struct {
    const char *x;
    int kind;
  } seps[] = {{"|", SEP_STRONG},
              {"::", SEP_STRONG},
              {"//", SEP_STRONG},
              {"\xC2\xB7", SEP_STRONG},
              {"\xE2\x80\xA2", SEP_STRONG},
              {"\"", SEP_STRONG},
              {"/", SEP_STRONG},
              {"-", SEP_DASH},
              {":", SEP_COLON}};
  for (size_t k = 0; k < sizeof seps / sizeof seps[0]; k++) {
    size_t xl = strlen(seps[k].x);
    if (i + 1 + xl < n && memcmp(s + i + 1, seps[k].x, xl) == 0 && s[i + 1 + xl] == ' ') {
      /* '"' stands for a folded » or «: only a lone one between spaces is a separator */
      *len = xl + 2;
      return seps[k].kind;
    }
  }
  return 0;
}

typedef struct part {
  size_t b, e; /* folded range of the part's text */
  int kind;    /* the separator after it (0 for the last part) */
} part;

#define TITLE_MAX_PARTS 12

static size_t split(const folded *f, part *p)
{
  size_t np = 0, st = 0;
  for (size_t i = 0; i < f->n && np + 1 < TITLE_MAX_PARTS; i++) {
    size_t len = 0;
    int k = sep_at(f, i, &len);
    if (!k)
      continue;
    p[np++] = (part){st, i, k};
    st = i + len;
    i = st - 1;
  }
  p[np++] = (part){st, f->n, 0};
  return np;
}

static size_t words(const char *s, size_t n)
{
  size_t w = 0;
  bool in = false;
  for (size_t i = 0; i < n; i++) {
    bool sp = s[i] == ' ';
    if (!sp && !in)
      w++;
    in = !sp;
  }
  return w;
}

/* Letters and digits only ("Erfolg-Magazin" and "erfolg-magazin.de" both -> "erfolgmagazin"). */
static size_t squash(const char *s, size_t n, char *out, size_t cap)
{
  size_t k = 0;
  for (size_t i = 0; i < n && k < cap; i++) {
    unsigned char c = (unsigned char)s[i];
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80)
      out[k++] = (char)c;
  }
  return k;
}

static bool contains(const char *h, size_t hn, const char *x, size_t xn)
{
  if (!xn || xn > hn)
    return false;
  for (size_t i = 0; i + xn <= hn; i++)
    if (memcmp(h + i, x, xn) == 0)
      return true;
  return false;
}

/* Does the folded part name the site: the site name itself, or (in at most 6 words) the host's
 * name without its top-level label holds the part, or the part holds a label of the host (4
 * letters or more) that makes most of it ("The Daily Example" on dailyexample.org)? Letters and
 * digits only are compared. */
static bool names_site(const char *s, size_t n, const folded *site, const folded *host)
{
  if (!n)
    return false;
  if (site->n && n == site->n && memcmp(s, site->s, n) == 0)
    return true;
  char sq[256];
  size_t sql = squash(s, n, sq, sizeof sq);
  if (site->n) {
    char ss[256];
    size_t ssl = squash(site->s, site->n, ss, sizeof ss);
    if (ssl >= 3 && sql == ssl && memcmp(sq, ss, sql) == 0)
      return true;
  }
  if (!host->n || sql < 3 || words(s, n) > 6)
    return false;
  /* host labels, without "www" and the last (top-level) label */
  const char *h = host->s;
  size_t hn = host->n;
  size_t last_dot = hn;
  for (size_t i = hn; i > 0; i--)
    if (h[i - 1] == '.') {
      last_dot = i - 1;
      break;
    }
  size_t i = 0;
  char whole[256];
  size_t wl = squash(h, last_dot, whole, sizeof whole);
  if (sql <= wl && contains(whole, wl, sq, sql) && sql * 2 >= wl)
    return true;
  while (i < last_dot) {
    size_t e = i;
    while (e < last_dot && h[e] != '.')
      e++;
    char lab[128];
    size_t ll = squash(h + i, e - i, lab, sizeof lab);
    if (ll >= 4 && ll * 10 >= sql * 6 && contains(sq, sql, lab, ll))
      return true;
    i = e + 1;
  }
  return false;
}

/* The names a page gives its site: compared with title parts by names_site. */
typedef struct site_names {
  folded name; /* og:site_name, JSON-LD publisher or application-name */
  folded home; /* the text of a heading that is a link to the home page */
  folded host; /* the URL host without "www." */
} site_names;

static bool names_any(const char *s, size_t n, const site_names *sn)
{
  static const folded none; /* no host: the home heading's text is compared alone */
  return names_site(s, n, &sn->name, &sn->host) ||
         (sn->home.n && names_site(s, n, &sn->home, &none));
}

static bool letter_at(const char *s, size_t n, size_t i)
{
  if (i >= n)
    return false;
  unsigned char c = (unsigned char)s[i];
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

static rt_span trim_span(const char *s, size_t n)
{
  while (n && is_ws((unsigned char)*s))
    s++, n--;
  while (n && is_ws((unsigned char)s[n - 1]))
    n--;
  return (rt_span){s, n};
}

/* Words (letters and digits) of folded text shared with another: the count in a, the count
 * found in b, at most 64 words of a. */
static void shared_words(const folded *a, const folded *b, size_t *na, size_t *common)
{
  *na = *common = 0;
  size_t i = 0;
  while (i < a->n && *na < 64) {
    while (i < a->n && !letter_at(a->s, a->n, i))
      i++;
    size_t st = i;
    while (i < a->n && letter_at(a->s, a->n, i))
      i++;
    if (i == st)
      break;
    (*na)++;
    size_t wl = i - st;
    for (size_t j = 0; j + wl <= b->n; j++) {
      if (memcmp(b->s + j, a->s + st, wl) == 0 && (j == 0 || !letter_at(b->s, b->n, j - 1)) &&
          !letter_at(b->s, b->n, j + wl)) {
        (*common)++;
        break;
      }
    }
  }
}

/* Does a separator (" X ") end right at folded offset i? */
static bool sep_ends_at(const folded *f, size_t i)
{
  for (size_t k = i > 6 ? i - 6 : 0; k + 2 < i; k++) {
    size_t len = 0;
    if (sep_at(f, k, &len) && k + len == i)
      return true;
  }
  return false;
}

/* Rule 1 for one folded h1 `fx`: it stands in the candidate `ft` (not inside a word) and
 * carries most of it, or the rest is a separator and the site (pass 0); or it is one whole part
 * of the candidate, set apart by separators ("Site / Section / <h1>", "<h1> - a subtitle : Site";
 * pass 1, for when no h1 matches the pass 0 ways). */
static bool h1_in(const folded *ft, const folded *fx, int pass, const site_names *sn)
{
  for (size_t i = 0; i + fx->n <= ft->n; i++) {
    if (memcmp(ft->s + i, fx->s, fx->n) != 0)
      continue;
    if ((i > 0 && letter_at(ft->s, ft->n, i - 1) && letter_at(fx->s, fx->n, 0)) ||
        (letter_at(ft->s, ft->n, i + fx->n) && letter_at(fx->s, fx->n, fx->n - 1)))
      continue; /* inside a word */
    size_t len = 0;
    if (pass == 0) {
      if (fx->n * 2 >= ft->n)
        return true;
      if (i == 0 && sep_at(ft, fx->n, &len) &&
          names_any(ft->s + fx->n + len, ft->n - fx->n - len, sn))
        return true;
    } else if (words(fx->s, fx->n) >= 2 && (i == 0 || sep_ends_at(ft, i)) &&
               (i + fx->n == ft->n || sep_at(ft, i + fx->n, &len))) {
      return true;
    }
  }
  return false;
}

/* The visible h1 the candidate `ft` (folded `whole`) stands for (rules 1 and 1b of title.h;
 * 1b only when `reworded`). */
static bool h1_title(const folded *ft, rt_span whole, const rt_title_ctx *ctx, const site_names *sn,
                     bool reworded, rt_span *out)
{
  folded fx;
  /* 0. a candidate cut short with an ellipsis ("... for Hong Kong leader...") whose words
   * start a visible h1: the h1 is the whole title */
  size_t cut = ft->n;
  if (cut >= 3 && memcmp(ft->s + cut - 3, "...", 3) == 0)
    cut -= 3;
  else if (cut >= 3 && memcmp(ft->s + cut - 3, "\xE2\x80\xA6", 3) == 0)
    cut -= 3;
  while (cut < ft->n && cut && ft->s[cut - 1] == ' ')
    cut--;
  for (size_t k = 0; cut < ft->n && cut >= 16 && k < ctx->n_h1 && k < 4; k++) {
    rt_span h = trim_span(ctx->h1[k].s, ctx->h1[k].n);
    fold(h.s, h.n, &fx);
    if (fx.ok && fx.n > cut && memcmp(fx.s, ft->s, cut) == 0) {
      *out = h;
      return true;
    }
  }
  /* 1. the visible h1, with extra words around it in the candidate */
  for (int pass = 0; pass < 2; pass++) {
    for (size_t k = 0; k < ctx->n_h1 && k < 4; k++) {
      rt_span h = trim_span(ctx->h1[k].s, ctx->h1[k].n);
      fold(h.s, h.n, &fx);
      if (!fx.ok || fx.n < 4)
        continue;
      if (fx.n == ft->n && memcmp(fx.s, ft->s, ft->n) == 0) {
        *out = whole;
        return true;
      }
      /* the h1 is the candidate with a subtitle after a colon ("<candidate>: so easy!") */
      bool subtitle = pass == 0 && fx.n > ft->n + 2 && memcmp(fx.s, ft->s, ft->n) == 0 &&
                      fx.s[ft->n] == ':' && fx.s[ft->n + 1] == ' ' && words(ft->s, ft->n) >= 2;
      if (!names_any(fx.s, fx.n, sn) && (subtitle || h1_in(ft, &fx, pass, sn))) {
        *out = h;
        return true;
      }
    }
  }

  /* 1b. the first visible h1 when it says nearly the same in other words (a meta title
   * written for search engines or sharing): 70 % of the words of each are in the other */
  for (size_t k = 0; reworded && k < ctx->n_h1 && k < 1; k++) {
    rt_span h = trim_span(ctx->h1[k].s, ctx->h1[k].n);
    fold(h.s, h.n, &fx);
    if (!fx.ok || fx.n < 8 || names_any(fx.s, fx.n, sn))
      continue;
    size_t nh, ch, nt, ct;
    shared_words(&fx, ft, &nh, &ch);
    shared_words(ft, &fx, &nt, &ct);
    if (nh < 3 || ch * 10 < nh * 7 || ct * 10 < nt * 7)
      continue;
    if (ct == nt) {
      /* every word of the candidate in the h1: a kicker joined with ": " belongs to the
       * headline ("Kicker: Headline"); one set apart otherwise is a label of its own */
      bool kicker = fx.n > ft->n + 2 && memcmp(fx.s + fx.n - ft->n, ft->s, ft->n) == 0 &&
                    fx.s[fx.n - ft->n - 1] == ' ' && fx.s[fx.n - ft->n - 2] == ':' &&
                    fx.n - ft->n >= 3 && fx.s[fx.n - ft->n - 3] != ' ';
      if (!kicker)
        continue;
    }
    *out = h;
    return true;
  }
  return false;
}

/* Are all separators between the parts one and the same strong one (" | ", " » ", " / ")? */
static bool same_strong_seps(const folded *ft, const part *p, size_t np)
{
  size_t l0 = p[1].b - p[0].e;
  for (size_t k = 0; k + 1 < np; k++) {
    size_t l = p[k + 1].b - p[k].e;
    if (p[k].kind != SEP_STRONG || l != l0 || memcmp(ft->s + p[k].e, ft->s + p[0].e, l) != 0)
      return false;
  }
  return true;
}

/* 2. The candidate without its first or last parts naming the site. */
static rt_span strip_site(const folded *ft, rt_span whole, const site_names *sn)
{
  part p[TITLE_MAX_PARTS];
  size_t np = split(ft, p);
  size_t b = 0, e = np; /* parts kept: [b, e) */
  bool cut = true;
  while (cut && e - b > 1) {
    cut = false;
    if (names_any(ft->s + p[e - 1].b, p[e - 1].e - p[e - 1].b, sn)) {
      e--;
      cut = true;
    } else if (names_any(ft->s + p[b].b, p[b].e - p[b].b, sn)) {
      b++;
      cut = true;
    }
  }
  /* "Site: Title", "Title: Site": a colon set only after the word, at either end */
  size_t fb = p[b].b, fe = p[e - 1].e;
  bool colon = false;
  for (size_t i = fb + 1; i + 2 < fe; i++)
    if (ft->s[i] == ':' && ft->s[i + 1] == ' ' && ft->s[i - 1] != ' ') {
      if (names_any(ft->s + fb, i - fb, sn)) {
        fb = i + 2;
        colon = true;
      }
      break;
    }
  for (size_t i = fe > 2 ? fe - 2 : 0; i > fb + 1; i--)
    if (ft->s[i] == ':' && ft->s[i + 1] == ' ' && ft->s[i - 1] != ' ') {
      if (names_any(ft->s + i + 2, fe - i - 2, sn)) {
        fe = i;
        colon = true;
      }
      break;
    }
  if (b == 0 && e == np && !colon)
    return whole;
  /* a trail ("Site » Archive » Title", "Title | Topic | Forum | Site"): the site at one end of
   * three parts or more, all joined by one strong separator; the title is the far end */
  if (!colon && np >= 3 && (b == 0) != (e == np) && same_strong_seps(ft, p, np)) {
    if (b > 0)
      b = e - 1;
    else
      e = b + 1;
    fb = p[b].b;
    fe = p[e - 1].e;
  }
  size_t ob = ft->at[fb];
  size_t oe = fe < ft->n ? ft->at[fe] : whole.n;
  /* the folded end maps to the start of the byte after the part: trim the space */
  return trim_span(whole.s + ob, oe - ob);
}

static void fold_host(rt_span host, folded *fhost)
{
  fold(host.s, host.n, fhost);
  if (!fhost->ok)
    fhost->n = 0;
  if (fhost->n > 4 && memcmp(fhost->s, "www.", 4) == 0) {
    memmove(fhost->s, fhost->s + 4, fhost->n - 4);
    fhost->n -= 4;
  }
}

/* Is the folded part only a date ("23.01.2022", "2022/01/23"): digits and . / - with 6 digits
 * or more? */
static bool date_part(const char *s, size_t n)
{
  size_t digits = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] >= '0' && s[i] <= '9')
      digits++;
    else if (s[i] != '.' && s[i] != '/' && s[i] != '-')
      return false;
  }
  return digits >= 6;
}

/* The title without a first or last part that is only a date ("23.01.2022 - Title"): the
 * date is the page's date, not part of its title. */
static rt_span strip_date(rt_span r)
{
  folded f;
  fold(r.s, r.n, &f);
  if (!f.ok || !f.n)
    return r;
  part p[TITLE_MAX_PARTS];
  size_t np = split(&f, p);
  if (np < 2)
    return r;
  size_t b = 0, e = np;
  if (date_part(f.s + p[0].b, p[0].e - p[0].b))
    b = 1;
  else if (date_part(f.s + p[np - 1].b, p[np - 1].e - p[np - 1].b))
    e = np - 1;
  else
    return r;
  size_t ob = f.at[p[b].b];
  size_t oe = p[e - 1].e < f.n ? f.at[p[e - 1].e] : r.n;
  return trim_span(r.s + ob, oe - ob);
}

static rt_span clean_parts(const char *t, size_t n, const rt_title_ctx *ctx, bool *by_h1)
{
  rt_span whole = trim_span(t, n), out;
  folded ft;
  site_names sn;
  fold(whole.s, whole.n, &ft);
  *by_h1 = false;
  if (!ft.ok || !ft.n)
    return whole;
  fold(ctx->site.s, ctx->site.n, &sn.name);
  if (!sn.name.ok)
    sn.name.n = 0;
  rt_span home = trim_span(ctx->home.s, ctx->home.n);
  fold(home.s, home.n, &sn.home);
  if (!sn.home.ok)
    sn.home.n = 0;
  fold_host(ctx->host, &sn.host);

  if (h1_title(&ft, whole, ctx, &sn, true, &out)) {
    *by_h1 = true;
    return out;
  }
  rt_span r = strip_site(&ft, whole, &sn);
  if (r.n == whole.n)
    return whole;
  /* rule 1 once more on what is left ("<h1> by A. Cook | Site": the h1 is most of it); not
   * 1b, whose kicker test would then take "Kicker: <h1>" over a meta title without the kicker */
  fold(r.s, r.n, &ft);
  if (ft.ok && ft.n && h1_title(&ft, r, ctx, &sn, false, &out)) {
    *by_h1 = true;
    return out;
  }
  return r;
}

static rt_span clean(const char *t, size_t n, const rt_title_ctx *ctx, bool *by_h1)
{
  return strip_date(clean_parts(t, n, ctx, by_h1));
}

rt_span rt_title_clean(const char *t, size_t n, const rt_title_ctx *ctx)
{
  bool by_h1;
  return clean(t, n, ctx, &by_h1);
}

bool rt_title_h1(const char *t, size_t n, const rt_title_ctx *ctx, rt_span *out)
{
  bool by_h1;
  *out = clean(t, n, ctx, &by_h1);
  return by_h1;
}

bool rt_names_site(const char *s, size_t n, rt_span site, rt_span host)
{
  folded fs, fsite, fhost;
  rt_span t = trim_span(s, n);
  fold(t.s, t.n, &fs);
  fold(site.s, site.n, &fsite);
  fold_host(host, &fhost);
  if (!fs.ok || !fs.n)
    return false;
  if (!fsite.ok)
    fsite.n = 0;
  return names_site(fs.s, fs.n, &fsite, &fhost);
}

static bool starts_index(const char *p, size_t n)
{
  static const char ix[] = "index.";
  if (n < sizeof ix - 1)
    return false;
  for (size_t i = 0; i < sizeof ix - 1; i++)
    if ((p[i] | 32) != ix[i])
      return false;
  return true;
}

bool rt_is_home_url(const char *h, size_t n)
{
  size_t st = 0;
  bool abs = false;
  for (size_t i = 0; i + 3 <= n; i++)
    if (memcmp(h + i, "://", 3) == 0) {
      st = i + 3;
      abs = true;
    }
  if (!abs && n >= 2 && h[0] == '/' && h[1] == '/') {
    st = 2;
    abs = true;
  }
  if (abs) /* skip the host */
    while (st < n && h[st] != '/' && h[st] != '?' && h[st] != '#')
      st++;
  size_t e = st;
  while (e < n && h[e] != '?' && h[e] != '#')
    e++;
  const char *p = h + st;
  size_t pn = e - st;
  if (pn && p[0] == '/')
    p++, pn--;
  else if (pn >= 2 && p[0] == '.' && p[1] == '/')
    p += 2, pn -= 2;
  else if (!abs && !starts_index(p, pn))
    return false; /* "", "#top", "page.html": not the home page */
  if (!pn)
    return true;
  return starts_index(p, pn) && !memchr(p, '/', pn);
}
