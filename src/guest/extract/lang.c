/*
 * lang.c - language guess from text, for pages that do not declare one.
 *
 * Two stages. (1) Script: the first 4,000 code points are classified by Unicode block; a
 * script that owns a language (Hangul -> ko, kana -> ja, Han without kana -> zh, Thai, Greek,
 * Hebrew, Devanagari -> hi, Bengali, Tamil, Georgian, Armenian) decides when it holds most
 * letters. Arabic script tells fa from ar by the letters Persian adds; Cyrillic tells uk (і ї
 * є ґ) and bg (ъ frequent, no ы) from ru. (2) Latin script: counts of very frequent function
 * words (about 12 per language) over the first 3,000 words; the language with the most hits
 * wins when it has at least 3 hits and 1.5x the runner-up. 24 languages in all. Returns NULL
 * when unsure rather than a wrong tag.
 */
#include "guest/extract/ex_internal.h"
#include "guest/extract/langtag.h"

#include <string.h>

typedef struct lang_words {
  const char *tag;
  const char *words; /* space-separated, lower case */
} lang_words;

static const lang_words latin[] = {
    {"en", "the and of to is that with for was are this have from"},
    {"de", "der die und das ist nicht mit sich auf für dem ein eine auch"},
    {"fr", "le la les et des est une pour dans que qui pas sur avec"},
    {"es", "el la los las del que por una con para como pero más está"},
    {"it", "il di che della per una sono con non gli nel del anche è"},
    {"pt", "de que não uma para com os as do da em mais são também"},
    {"nl", "de het een van en is dat niet met zijn voor op ook aan"},
    {"sv", "och att det som är för med inte på av den har jag till"},
    {"da", "og at det er som til med af ikke på den har for jeg"},
    {"no", "og det er som til med av ikke på den har for jeg ikkje"},
    {"fi", "ja on että ei se oli ovat mutta kun myös tai hän joka"},
    {"pl", "i w nie na się że to jest do z jak co są przez"},
    {"cs", "a se na je že to v s jsou jako ale by pro není"},
    {"sk", "a sa na je že to v s sú ako ale by pre nie"},
    {"tr", "ve bir bu da de için ile çok olarak daha gibi ama olan"},
    {"id", "dan yang di dengan untuk ini itu dari tidak akan pada adalah"},
    {"vi", "và của là có không trong được cho những một các người"},
    {"ro", "și de la în pe care este cu nu să sunt pentru"},
    {"hu", "a az és hogy nem is egy van meg de csak ez volt"},
    {"ca", "el la els les de que amb per una és del als"},
    {"hr", "i u je na se da za su od ne koji kao što"},
};
#define N_LATIN (sizeof latin / sizeof latin[0])

/* Function words of all languages in one open-addressing table (built on first use): word ->
 * bit mask of the languages that list it. */
#define LW_SLOTS 1024
typedef struct lw_ent {
  const char *w;
  uint8_t len;
  uint32_t mask;
} lw_ent;
static lw_ent lw_tab[LW_SLOTS];
static bool lw_ready;

static uint32_t lw_hash(const char *w, size_t n)
{
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++)
    h = (h ^ (unsigned char)w[i]) * 16777619u;
  return h;
}

static void lw_init(void)
{
  if (lw_ready)
    return;
  for (size_t l = 0; l < N_LATIN; l++) {
    const char *p = latin[l].words;
    while (*p) {
      const char *e = p;
      while (*e && *e != ' ')
        e++;
      size_t wl = (size_t)(e - p);
      uint32_t h = lw_hash(p, wl) & (LW_SLOTS - 1);
      while (lw_tab[h].w && !(lw_tab[h].len == wl && memcmp(lw_tab[h].w, p, wl) == 0))
        h = (h + 1) & (LW_SLOTS - 1);
      lw_tab[h].w = p;
      lw_tab[h].len = (uint8_t)wl;
      lw_tab[h].mask |= 1u << l;
      p = *e ? e + 1 : e;
    }
  }
  lw_ready = true;
}

static uint32_t lw_lookup(const char *w, size_t wl)
{
  uint32_t h = lw_hash(w, wl) & (LW_SLOTS - 1);
  while (lw_tab[h].w) {
    if (lw_tab[h].len == wl && memcmp(lw_tab[h].w, w, wl) == 0)
      return lw_tab[h].mask;
    h = (h + 1) & (LW_SLOTS - 1);
  }
  return 0;
}

/* Function-word hits per Latin-script language over the first 3,000 words. */
static void latin_hits(const char *s, size_t n, uint32_t hits[N_LATIN])
{
  lw_init();
  size_t words = 0;
  size_t i = 0;
  char w[32];
  while (i < n && words < 3000) {
    while (i < n) {
      size_t k = i;
      uint32_t cp = ex_utf8_next(s, n, &k);
      if (ex_is_word_cp(cp) && !(cp >= '0' && cp <= '9'))
        break;
      i = k;
    }
    size_t st = i;
    while (i < n) {
      size_t k = i;
      uint32_t cp = ex_utf8_next(s, n, &k);
      if (!ex_is_word_cp(cp))
        break;
      i = k;
    }
    size_t wl = i - st;
    if (!wl)
      continue;
    words++;
    if (wl >= sizeof w)
      continue;
    for (size_t k = 0; k < wl; k++)
      w[k] = ex_lower(s[st + k]);
    uint32_t mask = lw_lookup(w, wl);
    for (size_t l = 0; mask && l < N_LATIN; l++)
      if (mask & (1u << l))
        hits[l]++;
  }
}

const char *ex_lang_guess(const char *s, size_t n)
{
  if (!s || !n)
    return NULL;
  /* stage 1: scripts */
  uint32_t latin_l = 0, han = 0, kana = 0, hangul = 0, cyr = 0, arab = 0, greek = 0, hebrew = 0,
           thai = 0, deva = 0, beng = 0, tamil = 0, geo = 0, arm = 0;
  uint32_t uk_marks = 0, bg_marks = 0, ru_marks = 0, fa_marks = 0;
  size_t i = 0;
  uint32_t seen = 0;
  while (i < n && seen < 4000) {
    uint32_t cp = ex_utf8_next(s, n, &i);
    seen++;
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= 0xC0 && cp <= 0x24F))
      latin_l++;
    else if (cp >= 0x3040 && cp <= 0x30FF)
      kana++;
    else if ((cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF))
      han++;
    else if ((cp >= 0xAC00 && cp <= 0xD7AF) || (cp >= 0x1100 && cp <= 0x11FF))
      hangul++;
    else if (cp >= 0x400 && cp <= 0x4FF) {
      cyr++;
      if (cp == 0x456 || cp == 0x457 || cp == 0x454 || cp == 0x491)
        uk_marks++;
      if (cp == 0x44A)
        bg_marks++;
      if (cp == 0x44B || cp == 0x44D || cp == 0x451)
        ru_marks++;
    } else if (cp >= 0x600 && cp <= 0x6FF) {
      arab++;
      if (cp == 0x67E || cp == 0x686 || cp == 0x698 || cp == 0x6AF || cp == 0x6CC)
        fa_marks++;
    } else if (cp >= 0x370 && cp <= 0x3FF)
      greek++;
    else if (cp >= 0x590 && cp <= 0x5FF)
      hebrew++;
    else if (cp >= 0xE00 && cp <= 0xE7F)
      thai++;
    else if (cp >= 0x900 && cp <= 0x97F)
      deva++;
    else if (cp >= 0x980 && cp <= 0x9FF)
      beng++;
    else if (cp >= 0xB80 && cp <= 0xBFF)
      tamil++;
    else if (cp >= 0x10A0 && cp <= 0x10FF)
      geo++;
    else if (cp >= 0x530 && cp <= 0x58F)
      arm++;
  }
  uint32_t total = latin_l + han + kana + hangul + cyr + arab + greek + hebrew + thai + deva +
                   beng + tamil + geo + arm;
  if (!total)
    return NULL;
  uint32_t half = total / 2;
  if (hangul > half)
    return "ko";
  if (kana + han > half)
    return kana * 20 > han ? "ja" : "zh";
  if (cyr > half) {
    if (uk_marks * 100 > cyr)
      return "uk";
    if (bg_marks * 50 > cyr && ru_marks * 200 < cyr)
      return "bg";
    return "ru";
  }
  if (arab > half)
    return fa_marks * 50 > arab ? "fa" : "ar";
  if (greek > half)
    return "el";
  if (hebrew > half)
    return "he";
  if (thai > half)
    return "th";
  if (deva > half)
    return "hi";
  if (beng > half)
    return "bn";
  if (tamil > half)
    return "ta";
  if (geo > half)
    return "ka";
  if (arm > half)
    return "hy";
  if (latin_l <= half)
    return NULL;
  /* stage 2: function words */
  uint32_t hits[N_LATIN] = {0};
  latin_hits(s, n, hits);
  size_t best = 0, second = 0;
  for (size_t l = 1; l < N_LATIN; l++) {
    if (hits[l] > hits[best]) {
      second = best;
      best = l;
    } else if (l != best && hits[l] > hits[second]) {
      second = l;
    }
  }
  if (best == second)
    second = best == 0 ? 1 : 0;
  if (hits[best] < 3 || hits[best] * 2 < hits[second] * 3)
    return NULL;
  return latin[best].tag;
}

/* ---- declared languages ---------------------------------------------------------------------- */
bool ex_lang_normalise(const char *s, size_t n, char out[4])
{
  return rt_lang_normalise(s, n, out);
}

/* Languages the guess tells apart poorly (close relatives): a guess in a group with the declared
 * language does not contradict it. */
static bool in_group(const char *const g[4], const char *t)
{
  for (size_t k = 0; k < 4 && g[k]; k++)
    if (strcmp(g[k], t) == 0)
      return true;
  return false;
}

bool ex_lang_contradicts(const char *declared, const char *guess)
{
  static const char *const groups[][4] = {{"da", "no", "nb", "nn"}, {"sv", "no", "nb", "da"},
                                          {"cs", "sk", NULL, NULL}, {"hr", "sr", "bs", "sh"},
                                          {"es", "ca", "gl", NULL}, {"pt", "gl", NULL, NULL},
                                          {"id", "ms", NULL, NULL}};
  if (!declared || !guess || !*declared || strcmp(declared, guess) == 0)
    return false;
  for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++)
    if (in_group(groups[g], declared) && in_group(groups[g], guess))
      return false;
  return true;
}

bool ex_lang_text_contradicts(const char *declared, const char *s, size_t n, const char **guess)
{
  const char *g = ex_lang_guess(s, n);
  *guess = g;
  if (!g || !ex_lang_contradicts(declared, g))
    return false;
  /* both written in Latin script: the declared language must be nearly absent from the text
   * (a long quotation in another language does not make the page that language) */
  size_t dl = N_LATIN, gl = N_LATIN;
  for (size_t l = 0; l < N_LATIN; l++) {
    if (strcmp(latin[l].tag, declared) == 0)
      dl = l;
    if (strcmp(latin[l].tag, g) == 0)
      gl = l;
  }
  if (dl == N_LATIN || gl == N_LATIN)
    return true;
  uint32_t hits[N_LATIN] = {0};
  latin_hits(s, n, hits);
  return hits[dl] * 4 <= hits[gl];
}
