/*
 * byline.c - the byline cleanup shared by the guest extractor and the native fallback
 * (byline.h). Works on the UTF-8 bytes: labels are compared ASCII-case-insensitively, which
 * covers their capitalised forms ("Veröffentlicht von" as well as "veröffentlicht von").
 */
#include "guest/extract/byline.h"
#include "guest/extract/classwords.h"

#include <string.h>

static char low(char c)
{
  return (c >= 'A' && c <= 'Z') ? (char)(c | 32) : c;
}

static bool sp(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(char c)
{
  return c >= '0' && c <= '9';
}

/* s[i..] starts with word w (ASCII case folded) ending at a word boundary. */
static bool word_at(const char *s, size_t n, size_t i, const char *w)
{
  size_t l = strlen(w);
  if (i + l > n)
    return false;
  for (size_t k = 0; k < l; k++)
    if (low(s[i + k]) != w[k])
      return false;
  if (i + l == n)
    return true;
  unsigned char c = (unsigned char)s[i + l];
  return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80 || is_digit((char)c));
}

/* Labels before the names (longest first where one starts another). */
static const char *const labels[] = {"posted by",
                                     "written by",
                                     "published by",
                                     "reviewed by",
                                     "story by",
                                     "words by",
                                     "eingestellt von",
                                     "erstellt von",
                                     "verfasst von",
                                     "geschrieben von",
                                     "ein artikel von",
                                     "artikel von",
                                     "ein beitrag von",
                                     "beitrag von",
                                     "veröffentlicht von",
                                     "publié par",
                                     "écrit par",
                                     "publicado por",
                                     "escrito por",
                                     "a cura di",
                                     "scritto da",
                                     "by",
                                     "von",
                                     "vom",
                                     "par",
                                     "por",
                                     "di",
                                     "door",
                                     "autorin",
                                     "autor",
                                     "author",
                                     "autore",
                                     "auteur",
                                     "text",
                                     "texte",
                                     "interview",
                                     "from",
                                     "gespeichert von",
                                     "autoren",
                                     "autorinnen",
                                     "authors",
                                     "autores",
                                     "auteurs"};

/* Length of a label at s[i] plus what follows it (spaces, ':', spaces), or 0. */
static size_t label_at(const char *s, size_t n, size_t i)
{
  if (i >= n)
    return 0;
  char c0 = low(s[i]);
  for (size_t k = 0; k < sizeof labels / sizeof labels[0]; k++) {
    if (labels[k][0] != c0 || !word_at(s, n, i, labels[k]))
      continue;
    size_t j = i + strlen(labels[k]);
    while (j < n && sp(s[j]))
      j++;
    if (j < n && s[j] == ':')
      j++;
    while (j < n && sp(s[j]))
      j++;
    return j - i;
  }
  return 0;
}

size_t rt_byline_label(const char *s, size_t n)
{
  return label_at(s, n, 0);
}

/* Words that join the names to a trailing date ("am", "on", weekdays, months, "hace"). */
static bool connector(const char *s, size_t n)
{
  static const char *const w[] = {"am",
                                  "on",
                                  "le",
                                  "el",
                                  "il",
                                  "em",
                                  "at",
                                  "the",
                                  "den",
                                  "vom",
                                  "hace",
                                  "vor",
                                  "published",
                                  "posted",
                                  "updated",
                                  "veröffentlicht",
                                  "aktualisiert",
                                  "publié",
                                  "publicado",
                                  "monday",
                                  "tuesday",
                                  "wednesday",
                                  "thursday",
                                  "friday",
                                  "saturday",
                                  "sunday",
                                  "montag",
                                  "dienstag",
                                  "mittwoch",
                                  "donnerstag",
                                  "freitag",
                                  "samstag",
                                  "sonntag",
                                  "lundi",
                                  "mardi",
                                  "mercredi",
                                  "jeudi",
                                  "vendredi",
                                  "samedi",
                                  "dimanche",
                                  "lunes",
                                  "martes",
                                  "miércoles",
                                  "jueves",
                                  "viernes",
                                  "sábado",
                                  "domingo",
                                  "january",
                                  "february",
                                  "march",
                                  "april",
                                  "may",
                                  "june",
                                  "july",
                                  "august",
                                  "september",
                                  "october",
                                  "november",
                                  "december",
                                  "januar",
                                  "februar",
                                  "märz",
                                  "mai",
                                  "juni",
                                  "juli",
                                  "oktober",
                                  "dezember",
                                  "mon",
                                  "tue",
                                  "wed",
                                  "thu",
                                  "fri",
                                  "sat",
                                  "sun",
                                  "mo",
                                  "di",
                                  "mi",
                                  "do",
                                  "fr",
                                  "sa",
                                  "so"};
  while (n && (s[n - 1] == ',' || s[n - 1] == '.'))
    n--;
  for (size_t k = 0; k < sizeof w / sizeof w[0]; k++)
    if (strlen(w[k]) == n && word_at(s, n, 0, w[k]))
      return true;
  return false;
}

static bool tail_punct(char c)
{
  return sp(c) || c == ',' || c == ';' || c == ':' || c == '-' || c == '|' || c == '/' ||
         c == '(' || c == '*';
}

rt_span rt_byline_clean(const char *s, size_t n, rt_span site)
{
  size_t b = 0, e = n;
  /* a date (a digit) before a label later on: the names follow that label */
  for (size_t i = 1; i < n; i++) {
    if (!sp(s[i - 1]) || !label_at(s, n, i))
      continue;
    bool digit = false;
    for (size_t k = 0; k < i && !digit; k++)
      digit = is_digit(s[k]);
    if (digit) {
      b = i;
      break;
    }
  }
  /* leading separators and labels */
  for (int round = 0; round < 3; round++) {
    for (;;) {
      const unsigned char *u = (const unsigned char *)s + b;
      if (b < e && (sp(s[b]) || s[b] == '|' || s[b] == '-' || s[b] == ':' || s[b] == ','))
        b++;
      else if (b + 1 < e && u[0] == 0xC2 && (u[1] == 0xA0 || u[1] == 0xB7))
        b += 2; /* no-break space, middle dot */
      else
        break;
    }
    size_t l = label_at(s, e, b);
    if (!l) {
      /* one leading word with a colon ("Interview: ", "Autorin: ") */
      size_t j = b;
      while (j < e && !sp(s[j]) && s[j] != ':')
        j++;
      if (j > b && j < e && s[j] == ':' && j - b <= 14 && j + 1 < e && sp(s[j + 1]) &&
          !is_digit(s[b])) {
        b = j + 1;
        continue;
      }
      break;
    }
    if (b + l >= e)
      return (rt_span){s + e, 0}; /* only a label */
    b += l;
  }
  /* the tail: a spaced separator, an @handle, a "Word:" label, the first digit */
  for (size_t i = b + 1; i < e; i++) {
    const unsigned char *u = (const unsigned char *)s + i;
    if (!sp(s[i - 1]))
      continue;
    size_t xl = 0;
    if (s[i] == '-' || s[i] == '|' || s[i] == '@')
      xl = 1;
    else if (u[0] == 0xE2 && i + 2 < e && u[1] == 0x80 &&
             (u[2] == 0x93 || u[2] == 0x94 || u[2] == 0xA2))
      xl = 3; /* – — • */
    else if (u[0] == 0xC2 && i + 1 < e && u[1] == 0xB7)
      xl = 2; /* · */
    if (xl && (s[i] == '@' || i + xl >= e || sp(s[i + xl]))) {
      e = i;
      break;
    }
    /* "Quelle: X", "Datum: ..." after the names */
    size_t j = i;
    while (j < e && !sp(s[j]) && s[j] != ':')
      j++;
    if (j > i && j < e && s[j] == ':' && j - i <= 14) {
      e = i;
      break;
    }
  }
  for (size_t i = b + 1; i < e; i++) {
    if (is_digit(s[i]) && (sp(s[i - 1]) || s[i - 1] == ',')) {
      e = i;
      break;
    }
  }
  /* trailing connectors ("am Samstag,", "on August") and punctuation */
  for (;;) {
    while (e > b && tail_punct(s[e - 1]))
      e--;
    size_t w = e;
    while (w > b && !sp(s[w - 1]))
      w--;
    /* the whole candidate a connector ("Donnerstag", "vor"): no name (a two-letter one may be) */
    if ((w > b || e - w >= 3) && connector(s + w, e - w)) {
      e = w;
      continue;
    }
    break;
  }
  /* the same name twice ("Ann Lee Ann Lee", "ann_lee ann_lee": a link's text and a hidden
   * copy, an avatar's alt and the link) */
  if (e > b && (e - b) % 2 == 1 && sp(s[b + (e - b) / 2])) {
    size_t h = (e - b) / 2;
    if (h >= 3 && memcmp(s + b, s + b + h + 1, h) == 0)
      e = b + h;
  }
  /* ", PhD", ", dpa", ", CNN": one short word after the names (a degree or an agency) */
  for (int round = 0; round < 2; round++) {
    size_t c = e;
    while (c > b && s[c - 1] != ',' && !sp(s[c - 1]))
      c--;
    size_t wl = e - c;
    size_t k = c;
    while (k > b && sp(s[k - 1]))
      k--;
    if (wl < 2 || wl > 4 || k <= b || s[k - 1] != ',')
      break;
    bool letters = true;
    for (size_t i = c; i < e; i++)
      letters = letters && ((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z');
    size_t before = 0; /* words before the comma */
    for (size_t i = b; i + 1 < k; i++)
      before += !sp(s[i]) && (i == b || sp(s[i - 1]));
    if (!letters || before < 2)
      break;
    e = k - 1;
    while (e > b && sp(s[e - 1]))
      e--;
  }
  /* ", Site" */
  if (site.n) {
    for (size_t i = e; i > b + 2; i--) {
      if (s[i - 1] != ',')
        continue;
      size_t k = i;
      while (k < e && sp(s[k]))
        k++;
      if (e - k == site.n && rt_title_eq(s + k, e - k, site.s, site.n)) {
        e = i - 1;
        while (e > b && sp(s[e - 1]))
          e--;
      }
      break;
    }
  }
  if (e <= b)
    return (rt_span){s + b, 0};
  return (rt_span){s + b, e - b};
}

bool rt_names_comments(const char *s, size_t n)
{
  static const char *const words[] = {"comment",     "comments",     "kommentar",  "kommentare",
                                      "commentaire", "commentaires", "comentario", "comentarios",
                                      "commento",    "commenti",     "respond",    NULL};
  size_t i = 0;
  while (i < n) {
    while (i < n && sp(s[i]))
      i++;
    size_t te = i;
    while (te < n && !sp(s[te]))
      te++;
    /* a taxonomy class names the post's topics, not a part of the page */
    if (!word_at(s, te, i, "category") && !word_at(s, te, i, "tag") &&
        rt_class_words_match(s + i, te - i, words))
      return true;
    i = te;
  }
  return false;
}
