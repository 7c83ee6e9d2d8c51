/*
 * title.h - the title cleanup shared by both engines: the guest extractor (compiled to wasm and
 * natively) and the native fallback (src/fallback/metadata.c). Pure C, no allocation: the
 * result is a range of one of the inputs.
 */
#ifndef RIPTIDE_GUEST_EXTRACT_TITLE_H
#define RIPTIDE_GUEST_EXTRACT_TITLE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct rt_span {
  const char *s;
  size_t n;
} rt_span;

/* The page facts the cleanup compares a title candidate with; every span may be empty. */
typedef struct rt_title_ctx {
  rt_span site;  /* og:site_name, JSON-LD publisher name or application-name */
  rt_span host;  /* the page URL's host ("www.example.org") */
  rt_span home;  /* the text of a heading that is a link to the home page (a site logo) */
  rt_span h1[4]; /* the visible text of the page's first <h1> elements */
  size_t n_h1;
} rt_title_ctx;

/*
 * A title candidate (a meta title or <title>, whitespace collapsed) without its site-name part:
 *   0. a candidate cut short with an ellipsis ("..." or U+2026) whose text starts a visible
 *      <h1>: the h1, which is the whole title;
 *   1. a visible <h1> that the candidate holds with extra words around it ("Recipe: <h1> |
 *      Site", "<h1> - Site"), or that is the candidate with a subtitle after a colon
 *      ("<candidate>: so easy!"), is the title; failing that, an <h1> of 2 words or more that is
 * one whole part of the candidate, set apart by separators ("Site / Section / <h1>", "<h1> - a long
 * subtitle"); once the site parts are cut (rule 2), this rule runs again on the rest
 *      ("<h1> by A. Cook | Site");
 *   1b. the first <h1> when 70 % of its words are in the candidate and 70 % of the candidate's
 *      in it (the same headline reworded for search engines); when the h1 holds every word of
 *      the candidate, only as "Kicker: <candidate>";
 *   2. a first or last part, cut at a separator (| - – — : :: · • // » /, spaces around), that
 *      names the site (the site name, or in at most 6 words a label of the URL host) is dropped,
 *      repeatedly, while two parts are left; when the site is cut from one end of a trail of 3
 *      parts or more all joined by one strong separator ("Site » Archive » Title", "Title |
 *      Topic | Forum | Site"), only the part at the other end stays; a site name joined by a
 *      colon set right after the word ("Site: Title", "Title: Site") is cut as well;
 * A short last part that names no site stays: on the dev sets cutting it gained nothing and
 * cut real headlines ("Tomatoes - a guide").
 * Last, a first or last part that is only a numeric date ("23.01.2022 - Title") is cut.
 * Returns the cleaned range (a part of `t` or one of the h1 spans), never empty when n > 0.
 */
rt_span rt_title_clean(const char *t, size_t n, const rt_title_ctx *ctx);

/* rt_title_clean, and whether a visible h1 was found in the candidate (rule 1 or 1b): then
 * `out` is that h1 (or the candidate, when they are equal). */
bool rt_title_h1(const char *t, size_t n, const rt_title_ctx *ctx, rt_span *out);

/* Does the text name the site (rule 2 above): the site name, or the URL host's name? */
bool rt_names_site(const char *s, size_t n, rt_span site, rt_span host);

/* Is the link target the site's home page: a path "/", "./" or "index.*" (no folder), or an
 * absolute URL with such a path, also one held inside another URL (an archive's copy)? A
 * heading that is only such a link is the site's logo (rt_title_ctx.home). */
bool rt_is_home_url(const char *href, size_t n);

/* Case-insensitive equality for titles: ASCII and Latin-1 letters folded, whitespace runs and
 * the ends ignored, typographic quotes and dashes read as their ASCII forms, soft hyphens
 * (U+00AD) skipped (every comparison of title.c folds this way). */
bool rt_title_eq(const char *a, size_t an, const char *b, size_t bn);

/* Removes the soft hyphens (U+00AD) from s[0..n) in place and returns the new length (no
 * terminator written). A title or byline shows none: they only mark where a word may break
 * ("Mes&shy;sen&shy;ger" reads "Messenger"); both engines drop them from both fields. */
size_t rt_drop_soft_hyphens(char *s, size_t n);

#endif
