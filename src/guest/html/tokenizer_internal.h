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
/* Length of the longest name (32, "CounterClockwiseContourIntegral;"). */
extern const size_t html_entity_max_len;

#endif
