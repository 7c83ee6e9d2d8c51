/*
 * quality.c - the quality score (0-100) of an extraction.
 *
 * The score says how much a caller can trust the result to be a real article. It is the sum of
 * five bounded parts, each saturating so that no single signal can carry a page:
 *
 *   length      up to 40   40 * min(words, 400) / 400: an article needs substance; 400 words
 *                          (a short news story) is full marks.
 *   structure   up to 15   3 per paragraph, capped at 5 paragraphs: prose comes in blocks;
 *                          one huge block is usually a dump of a listing or a menu.
 *   links       up to 20   20 * (1 - 2 * link_density), floored at 0: text that is mostly
 *                          anchors (link density >= 0.5) is navigation, not content.
 *   metadata    up to 20   title 8, date 4, byline 4, language 2, description 2.
 *   confidence  up to  5   5 when the content came from a clear article candidate, 0 when the
 *                          extractor fell back to the densest text region or the whole page.
 *
 * The total is rounded to the nearest integer and clamped to [0, 100]. An empty text scores
 * only its metadata (at most 20), so a metadata-only result never looks like an article.
 */
#include "guest/extract/ex_internal.h"

int32_t ex_quality_score(const ex_quality_in *q)
{
  double score = 0.0;
  uint32_t w = q->words > 400 ? 400 : q->words;
  score += 40.0 * (double)w / 400.0;
  uint32_t p = q->paragraphs > 5 ? 5 : q->paragraphs;
  if (q->words)
    score += 3.0 * (double)p;
  if (q->text_chars) {
    double ld = (double)q->link_chars / (double)q->text_chars;
    double part = 20.0 * (1.0 - 2.0 * ld);
    score += part > 0.0 ? part : 0.0;
  }
  if (q->has_title)
    score += 8.0;
  if (q->has_date)
    score += 4.0;
  if (q->has_byline)
    score += 4.0;
  if (q->has_language)
    score += 2.0;
  if (q->has_description)
    score += 2.0;
  if (q->words && !q->fallback)
    score += 5.0;
  int32_t s = (int32_t)(score + 0.5);
  if (s < 0)
    s = 0;
  if (s > 100)
    s = 100;
  return s;
}
