/*
 * nfc.c - a document's text fields in Unicode Normalization Form C (UAX #15), with utf8proc.
 *
 * Pages write the same words in different code point sequences: "é" as U+00E9 or as "e" +
 * U+0301, Bengali "য়" as U+09DF or U+09AF U+09BC. Text compared, searched or deduplicated
 * downstream must be in one form, and NFC is the web's (W3C Character Model). Every field a
 * user reads as text is normalised: title, byline, site name, description, text, Markdown,
 * link texts, image alt texts and captions, categories. The content `html` is left as it is:
 * NFC may join a combining mark to the '>' that ends a tag (U+0338 after '>' composes to
 * U+226F), which would change the markup.
 *
 * Speed: a field is rewritten only when it holds a code point NFC could change or that could
 * change its neighbour (UAX #15's quick check, made conservative): one with a non-zero
 * canonical combining class, a composition exclusion, a singleton or non-starter
 * decomposition, or one that can follow the first code point of a canonical decomposition (a
 * combining mark, a conjoining jamo, a vowel sign such as U+09BE). Primary composites (U+00E9,
 * U+0439, Hangul syllables) are stable and not in the set. The set is read once from
 * utf8proc's own tables into a bitmap; text below U+0300 is passed over by a byte test.
 */
#include "common/nfc.h"
#include "common/simhash.h"
#include "common/utf8.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

#define NFC_MAX_CP 0x110000u
/* Past the CJK compatibility supplement (U+2F800-U+2FA1F) no code point has a canonical
 * decomposition, a combining class or an exclusion (planes 3-16: CJK extensions, tags,
 * variation selectors and private use, all starters that NFC leaves alone): the table build
 * scans up to here, a sixth of the code space (test_nfc_quick_check_sound checks every code
 * point of all of it against utf8proc's full NFC). */
#define NFC_SCAN_END 0x30000

/* Bit cp set: the code point may change under NFC or change its neighbour. */
static uint8_t g_maybe[NFC_MAX_CP / 8];
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static void mark(int32_t cp)
{
  if (cp >= 0 && (uint32_t)cp < NFC_MAX_CP)
    g_maybe[(uint32_t)cp >> 3] |= (uint8_t)(1u << (cp & 7));
}

static void build_table(void)
{
  for (int32_t cp = 0x300; cp < NFC_SCAN_END; cp++) {
    if (cp >= 0xAC00 && cp <= 0xD7A3)
      continue; /* Hangul syllables: composed by rule, stable under NFC */
    const utf8proc_property_t *p = utf8proc_get_property(cp);
    if (p->combining_class != 0 || p->comp_exclusion)
      mark(cp);
    if (p->decomp_seqindex == UINT16_MAX || p->decomp_type != 0)
      continue; /* no canonical decomposition */
    utf8proc_int32_t d[8];
    int last = 0;
    utf8proc_ssize_t n = utf8proc_decompose_char(cp, d, 8, UTF8PROC_DECOMPOSE, &last);
    if (n <= 0 || n > 8)
      continue;
    /* A code point NFC changes on its own (a singleton such as U+212B, an exclusion, a
     * non-starter decomposition) never occurs in NFC; a primary composite (U+00E9, U+0439)
     * is stable and stays out of the set. */
    utf8proc_uint8_t one[8], *nfc = NULL;
    utf8proc_ssize_t l = utf8proc_encode_char(cp, one);
    if (utf8proc_map(one, l, &nfc, UTF8PROC_STABLE | UTF8PROC_COMPOSE) != l ||
        memcmp(nfc, one, (size_t)l) != 0)
      mark(cp);
    free(nfc);
    /* What follows the first code point of a decomposition may compose with what precedes
     * it (U+0301 after "e", U+09BE after U+09C7). */
    for (utf8proc_ssize_t k = 1; k < n; k++)
      mark(d[k]);
  }
  /* Conjoining jamo: L + V and LV + T compose into syllables. */
  for (int32_t cp = 0x1100; cp <= 0x11FF; cp++)
    mark(cp);
}

/* True when s[0..n) holds a code point NFC may change. Malformed UTF-8 counts as needing a
 * look (utf8proc then refuses it and the field stays as it is). */
static bool nfc_maybe(const unsigned char *s, size_t n)
{
  size_t i = 0;
  while (i < n) {
    /* eight bytes at a time while they are ASCII */
    while (i + 8 <= n) {
      uint64_t w;
      memcpy(&w, s + i, 8);
      if (w & 0x8080808080808080ull)
        break;
      i += 8;
    }
    if (i >= n)
      break;
    unsigned char c = s[i];
    if (c < 0xCC) { /* ASCII, continuation bytes, and lead bytes of U+0080..U+02FF */
      i++;
      continue;
    }
    size_t k = rt_utf8_seq_len(s + i, n - i);
    if (!k)
      return true; /* not UTF-8: utf8proc refuses it and the field stays */
    uint32_t cp = c & (0x7Fu >> k);
    for (size_t j = 1; j < k; j++)
      cp = cp << 6 | (s[i + j] & 0x3Fu);
    if (g_maybe[cp >> 3] & (1u << (cp & 7)))
      return true;
    i += k;
  }
  return false;
}

char *rt_nfc(const char *s, size_t n, size_t *out_len, bool *nomem)
{
  *nomem = false;
  pthread_once(&g_once, build_table);
  if (!s || !nfc_maybe((const unsigned char *)s, n))
    return NULL;
  utf8proc_uint8_t *out = NULL;
  utf8proc_ssize_t r = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &out,
                                    UTF8PROC_STABLE | UTF8PROC_COMPOSE);
  if (r < 0) {
    *nomem = r == UTF8PROC_ERROR_NOMEM; /* else malformed: it stays as it is */
    return NULL;
  }
  if ((size_t)r == n && memcmp(out, s, n) == 0) {
    free(out);
    return NULL;
  }
  *out_len = (size_t)r;
  return (char *)out;
}

/* *field in NFC, replaced (freed and reallocated) when it changes. False when memory ran out
 * (the field is then left as it was). */
static bool nfc_field(char **field)
{
  bool nomem = false;
  size_t len;
  char *n = *field ? rt_nfc(*field, strlen(*field), &len, &nomem) : NULL;
  if (n) {
    free(*field);
    *field = n;
  }
  return !nomem;
}

bool rt_document_nfc(riptide_document *doc)
{
  if (!doc)
    return true;
  bool ok = nfc_field(&doc->title) && nfc_field(&doc->byline) && nfc_field(&doc->site_name) &&
            nfc_field(&doc->description) && nfc_field(&doc->text) && nfc_field(&doc->markdown);
  for (size_t i = 0; ok && i < doc->n_links; i++)
    ok = nfc_field(&doc->links[i].text);
  for (size_t i = 0; ok && i < doc->n_media; i++)
    ok = nfc_field(&doc->media[i].alt) && nfc_field(&doc->media[i].caption);
  for (size_t i = 0; ok && i < doc->n_categories; i++)
    ok = nfc_field(&doc->categories[i]);
  return ok;
}

void rt_document_finish(riptide_document *doc)
{
  rt_document_nfc(doc); /* out of memory: a field stays as the extractor wrote it */
  rt_document_fingerprint(doc);
}
