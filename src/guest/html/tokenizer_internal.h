/*
 * tokenizer_internal.h - private declarations shared by tokenizer.c and the generated
 * entities.c. Not part of any API.
 */
#ifndef HTML_TOKENIZER_INTERNAL_H
#define HTML_TOKENIZER_INTERNAL_H

#include "tokenizer.h"

/* The named character reference table, sorted by the bytes of the name (entities.c). */
extern const html_entity html_entity_table[];
extern const size_t html_entity_count;
/* Names starting with byte c (< 128) are entries [html_entity_first[c], html_entity_first[c+1]). */
extern const uint16_t html_entity_first[129];
/* Length of the longest name (32, "CounterClockwiseContourIntegral;"). */
extern const size_t html_entity_max_len;

#endif
