/*
 * langtag.c - declared languages as BCP 47 primary subtags, shared by the guest extractor
 * (metadata.c, through ex_lang_normalise) and the native fallback (src/fallback/metadata.c).
 * Pure C, no allocation.
 */
#include "guest/extract/langtag.h"

#include <string.h>

typedef struct lang_name {
  const char *name; /* lower case */
  const char *tag;
} lang_name;

/* Language names as pages write them in a lang attribute or meta, English and native, and the
 * ISO 639-2 codes of the languages that have a two-letter one (BCP 47 prefers the shorter). */
static const lang_name names[] = {
    {"english", "en"},
    {"eng", "en"},
    {"german", "de"},
    {"deutsch", "de"},
    {"deu", "de"},
    {"ger", "de"},
    {"french", "fr"},
    {"français", "fr"},
    {"francais", "fr"},
    {"fra", "fr"},
    {"fre", "fr"},
    {"spanish", "es"},
    {"español", "es"},
    {"espanol", "es"},
    {"castellano", "es"},
    {"spa", "es"},
    {"italian", "it"},
    {"italiano", "it"},
    {"ita", "it"},
    {"portuguese", "pt"},
    {"português", "pt"},
    {"portugues", "pt"},
    {"por", "pt"},
    {"dutch", "nl"},
    {"nederlands", "nl"},
    {"nld", "nl"},
    {"dut", "nl"},
    {"polish", "pl"},
    {"polski", "pl"},
    {"pol", "pl"},
    {"russian", "ru"},
    {"русский", "ru"},
    {"rus", "ru"},
    {"czech", "cs"},
    {"čeština", "cs"},
    {"ces", "cs"},
    {"cze", "cs"},
    {"swedish", "sv"},
    {"svenska", "sv"},
    {"swe", "sv"},
    {"danish", "da"},
    {"dansk", "da"},
    {"dan", "da"},
    {"norwegian", "no"},
    {"norsk", "no"},
    {"nor", "no"},
    {"finnish", "fi"},
    {"suomi", "fi"},
    {"fin", "fi"},
    {"turkish", "tr"},
    {"türkçe", "tr"},
    {"tur", "tr"},
    {"japanese", "ja"},
    {"日本語", "ja"},
    {"jpn", "ja"},
    {"chinese", "zh"},
    {"中文", "zh"},
    {"zho", "zh"},
    {"chi", "zh"},
    {"korean", "ko"},
    {"한국어", "ko"},
    {"kor", "ko"},
    {"arabic", "ar"},
    {"العربية", "ar"},
    {"ara", "ar"},
    {"greek", "el"},
    {"ελληνικά", "el"},
    {"ell", "el"},
    {"gre", "el"},
    {"hebrew", "he"},
    {"עברית", "he"},
    {"heb", "he"},
    {"hungarian", "hu"},
    {"magyar", "hu"},
    {"hun", "hu"},
    {"romanian", "ro"},
    {"română", "ro"},
    {"romana", "ro"},
    {"ron", "ro"},
    {"rum", "ro"},
    {"catalan", "ca"},
    {"català", "ca"},
    {"cat", "ca"},
    {"croatian", "hr"},
    {"hrvatski", "hr"},
    {"hrv", "hr"},
    {"indonesian", "id"},
    {"bahasa indonesia", "id"},
    {"ind", "id"},
    {"vietnamese", "vi"},
    {"tiếng việt", "vi"},
    {"vie", "vi"},
    {"ukrainian", "uk"},
    {"українська", "uk"},
    {"ukr", "uk"},
    {"bulgarian", "bg"},
    {"български", "bg"},
    {"bul", "bg"},
    {"hindi", "hi"},
    {"हिन्दी", "hi"},
    {"hin", "hi"},
    {"persian", "fa"},
    {"farsi", "fa"},
    {"فارسی", "fa"},
    {"fas", "fa"},
    {"per", "fa"},
    {"thai", "th"},
    {"ไทย", "th"},
    {"tha", "th"},
    {"slovak", "sk"},
    {"slovenčina", "sk"},
    {"slk", "sk"},
    {"slo", "sk"},
    {"bengali", "bn"},
    {"বাংলা", "bn"},
    {"ben", "bn"},
    /* deprecated two-letter codes */
    {"iw", "he"},
    {"in", "id"},
    {"ji", "yi"},
    {"jw", "jv"},
};

bool rt_lang_normalise(const char *s, size_t n, char out[4])
{
  while (n && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
    s++, n--;
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
    n--;
  const char *t = s;
  size_t tl = n;
  /* the first of a list ("de, en"), the primary subtag of a tag ("de-DE", "en_US") */
  size_t e = 0;
  while (e < tl && t[e] != ',' && t[e] != ';')
    e++;
  while (e && (t[e - 1] == ' ' || t[e - 1] == '\t'))
    e--;
  if (!e || e > 40)
    return false;
  char low[48];
  for (size_t i = 0; i < e; i++)
    low[i] = (t[i] >= 'A' && t[i] <= 'Z') ? (char)(t[i] | 32) : t[i];
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
    if (strlen(names[k].name) == e && memcmp(low, names[k].name, e) == 0) {
      memcpy(out, names[k].tag, strlen(names[k].tag) + 1);
      return true;
    }
  size_t p = 0;
  while (p < e && low[p] >= 'a' && low[p] <= 'z')
    p++;
  if (p < 2 || p > 3 || (p < e && low[p] != '-' && low[p] != '_'))
    return false;
  /* "und" (undetermined), "mul", "zxx", "mis" name no language; a code of three letters that
   * has a two-letter form was mapped above */
  if (p == 3 && (memcmp(low, "und", 3) == 0 || memcmp(low, "mul", 3) == 0 ||
                 memcmp(low, "zxx", 3) == 0 || memcmp(low, "mis", 3) == 0))
    return false;
  for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
    if (strlen(names[k].name) == p && memcmp(low, names[k].name, p) == 0) {
      memcpy(out, names[k].tag, strlen(names[k].tag) + 1);
      return true;
    }
  memcpy(out, low, p);
  out[p] = '\0';
  return true;
}
