/*
 * md_rules.h - Markdown rules shared by both engines' renderers: the guest's
 * (src/guest/extract/markdown.c, compiled to wasm and natively) and the native fallback's
 * (src/fallback/render.c). Pure C, header only, no allocation.
 */
#ifndef RIPTIDE_GUEST_EXTRACT_MD_RULES_H
#define RIPTIDE_GUEST_EXTRACT_MD_RULES_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Does the Markdown s[0..n) show nothing: only spaces, tabs, line breaks, no-break spaces
 * (U+00A0) and hard line breaks (a backslash at the end of a line)? Both renderers write a
 * list item's marker, or a link's "[", before they know what follows; when what they wrote
 * after it is blank, they take the marker or the "[" back, so that an item left with no text
 * and no image (one whose image went with the images option, an empty <li>) is no "-" line of
 * its own, and a link that shows nothing (icon-only share links) is no "[](url)". A literal
 * backslash is written escaped ("\\") by both, so it is never taken for a line break.
 */
static inline bool rt_md_blank(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
      continue;
    if ((unsigned char)c == 0xC2 && i + 1 < n && (unsigned char)s[i + 1] == 0xA0) {
      i++;
      continue;
    }
    if (c == '\\' && (i + 1 == n || s[i + 1] == '\n'))
      continue;
    return false;
  }
  return true;
}

/*
 * CommonMark's delimiter-run rules for "*" and "**", on the bytes around a marker (0 for the
 * start or the end of the text): a marker opens only when left-flanking, closes only when
 * right-flanking. Where a marker would do neither, both renderers leave the span's markers out
 * and keep its text ("Montauk<b>.</b>" is no "Montauk**.**", "<b>33%</b>of" no "**33%**of").
 * Bytes >= 0x80 count as letters (most of them are).
 */
static inline bool rt_md_space(unsigned char c)
{
  return c == 0 || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static inline bool rt_md_punct(unsigned char c)
{
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
         (c >= '{' && c <= '~');
}

/* A marker between `before` and `after` can open a span. */
static inline bool rt_md_left_flanking(unsigned char before, unsigned char after)
{
  return !rt_md_space(after) && (!rt_md_punct(after) || rt_md_space(before) || rt_md_punct(before));
}

/* A marker between `before` and `after` can close a span. */
static inline bool rt_md_right_flanking(unsigned char before, unsigned char after)
{
  return !rt_md_space(before) && (!rt_md_punct(before) || rt_md_space(after) || rt_md_punct(after));
}

/*
 * The fence of a code span holding s[0..n): one backtick more than its longest run of them
 * (1 when it has none), and in *pad whether a space goes inside each fence, which CommonMark
 * strips from both ends (a content that begins or ends with a backtick needs it).
 */
static inline size_t rt_md_code_fence(const char *s, size_t n, bool *pad)
{
  size_t run = 0, longest = 0;
  for (size_t i = 0; i < n; i++) {
    run = s[i] == '`' ? run + 1 : 0;
    if (run > longest)
      longest = run;
  }
  *pad = longest && (s[0] == '`' || s[n - 1] == '`');
  return longest + 1;
}

#endif
