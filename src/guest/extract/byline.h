/*
 * byline.h - the byline cleanup shared by both engines (the guest extractor and the native
 * fallback), like title.h. Pure C, no allocation.
 */
#ifndef RIPTIDE_GUEST_EXTRACT_BYLINE_H
#define RIPTIDE_GUEST_EXTRACT_BYLINE_H

#include "guest/extract/title.h"

/*
 * The names in a byline candidate (whitespace collapsed), without what surrounds them:
 *   - a leading label: "By", "Von", "Par", "Por", "Posted by", "Eingestellt von", "Autor:",
 *     "Text:", ... and what precedes such a label when it is a date ("8. Januar 2020 · by X",
 *     "Posted on September 21, 2020 by X");
 *   - what follows a spaced separator (- – — | · •) or an "@handle", and a trailing date or
 *     time (", 24. Januar 2022", " am Samstag, 19. Oktober", " on August 3, 2019");
 *   - a trailing ", <site name>" ("Ann Author, Example News");
 *   - the second of the same name given twice ("Ann Lee Ann Lee").
 * A candidate that is only a weekday, a month or a word joining a date ("Donnerstag", "vor")
 * gives an empty range.
 * Returns the range of the names in `s`, empty when nothing but a label is left. A cleaned
 * byline that names the site (rt_names_site) is the publisher, not an author: the callers pass
 * it over for their next source.
 */
rt_span rt_byline_clean(const char *s, size_t n, rt_span site);

/* The length of a byline label at the start of s ("By ", "Von: ", "Posted by "), 0 when none. */
size_t rt_byline_label(const char *s, size_t n);

/*
 * Does a class or id attribute value name a comment thread ("comments", "comment-list",
 * "commentBody", "respond", "kommentare", ...)? Each class is split into words at
 * non-alphanumerics and where a lower-case letter meets an upper-case one; a word matches when
 * it is one of those names or, for names of six letters or more, starts or ends with one
 * ("commentlist"). A taxonomy class ("category-x", "tag-x": the post's topics) is not looked
 * into. A byline-looking element inside such a block is a reader's name, not the author's:
 * both engines pass it over.
 */
bool rt_names_comments(const char *s, size_t n);

#endif
