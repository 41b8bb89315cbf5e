/* parley core — keyword sets for enrichment: named lists of terms matched
 * in a message's folded text on word boundaries (text_fold.h), so "Kapot",
 * "kapot!" and "KAPOT" match the term "kapot", "Müll" matches "mull", and a
 * phrase term ("switch to") matches those words in a row. A term without
 * '#' or '@' also matches the hashtag or handle of the same word. Internal. */
#ifndef PARLEY_CORE_ENRICH_KEYWORDS_H
#define PARLEY_CORE_ENRICH_KEYWORDS_H

#include <stddef.h>

#include "config_enrich.h"

typedef struct parley_keywords parley_keywords_t;

/* Prepare the sets (terms folded once). NULL only when out of memory. */
parley_keywords_t *parley_keywords_new(const parley_conf_kwset_t *sets, size_t n);
void parley_keywords_free(parley_keywords_t *k);

/* Match text[0..len): matched[i] is set to 1 for every set i with a term in
 * the text (matched has one slot per set). Returns the number of sets
 * matched, or PARLEY_ENOMEM. */
int parley_keywords_match(const parley_keywords_t *k, const char *text, size_t len,
                          unsigned char *matched);

#endif
