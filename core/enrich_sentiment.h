/* parley core — lexicon-based sentiment for the enrichment stage (docs/
 * enrichment.md#sentiment). Lexicons are data files installed under
 * share/parley/lexicons/ (built from published sources at build time, see
 * lexicons/README.md); each language has its own word scores, negators and
 * intensifiers; emoji and "!!!" are scored for every language. Internal. */
#ifndef PARLEY_CORE_ENRICH_SENTIMENT_H
#define PARLEY_CORE_ENRICH_SENTIMENT_H

#include <stddef.h>

typedef struct parley_error parley_error_t;
typedef struct parley_sentiment parley_sentiment_t;

/* Load the lexicons in dir for langs (NULL-terminated list of language
 * codes; NULL = every language found in dir). A missing or malformed file
 * is PARLEY_ECONFIG (or PARLEY_EIO) with err naming the file and line. On
 * success the caller owns *out (parley_sentiment_free). */
int parley_sentiment_load(const char *dir, const char *const *langs, parley_sentiment_t **out,
                          parley_error_t *err);
void parley_sentiment_free(parley_sentiment_t *s);

/* Whether a lexicon for lang is loaded. */
int parley_sentiment_has(const parley_sentiment_t *s, const char *lang);

/* Score UTF-8 text[0..len) in lang: *score in [-1, 1] (negative = angry or
 * unhappy). Returns 0, or PARLEY_ENOENT (and *score 0) when lang has no
 * lexicon. A text with no scored word or emoji scores 0; only its first 8 KB
 * (256 words) are scored. Never allocates per call beyond a bounded scratch
 * on the stack (libunistring may allocate temporaries while folding a
 * non-ASCII word); safe to call from the loop, but not from two threads at
 * once on the same s (the Snowball stemmers keep state). */
int parley_sentiment_score(const parley_sentiment_t *s, const char *lang, const char *text,
                           size_t len, double *score);

/* The default lexicon directory: $PARLEY_LEXICON_DIR when set, else the
 * installed share/parley/lexicons, or the build tree's copy when nothing is
 * installed there yet. Static or environment storage; do not free. */
const char *parley_sentiment_default_dir(void);

#endif
