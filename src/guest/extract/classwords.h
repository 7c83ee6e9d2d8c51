/*
 * classwords.h - does a class or id attribute value name one of a list of words? Shared by both
 * engines (the guest extractor's content patterns and the byline rules, which the native
 * fallback compiles too), like title.h. Pure C, no allocation.
 */
#ifndef RIPTIDE_GUEST_EXTRACT_CLASSWORDS_H
#define RIPTIDE_GUEST_EXTRACT_CLASSWORDS_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Whether one of `words` (NULL-terminated) is a word of s[0..n): s is split at every
 * character that is not an ASCII letter or digit and where a lower-case letter meets an
 * upper-case one ("imageCaption" -> image, caption); tokens that mix letters and digits
 * (generated, hashed names such as "x9f3a") never match. A word matches a token equal to it
 * (ASCII case-insensitive), or, for words of 6 or more letters, a token that starts or ends
 * with it ("imgcaption").
 */
bool rt_class_words_match(const char *s, size_t n, const char *const *words);

/* Does the token s[0..n) mix letters and digits: a generated name ("x9" of "tagStyle_x9")? */
bool rt_class_token_hashed(const char *s, size_t n);

#endif
