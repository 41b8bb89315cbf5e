/* parley core — language detection for the enrichment stage (docs/
 * enrichment.md#language). Backed by CLD2 (libcld2, C++) behind this C
 * interface; the shim is core/enrich_lang.cc. Internal. Thread-safe, no
 * allocation kept between calls, never blocks. */
#ifndef PARLEY_CORE_ENRICH_LANG_H
#define PARLEY_CORE_ENRICH_LANG_H

#include <stddef.h>

typedef struct parley_lang_guess {
  char code[8];      /* BCP 47 primary subtag as in event.lang: "en", "de", "pt" */
  double confidence; /* 0..1 */
} parley_lang_guess_t;

/* Detect the language of UTF-8 text[0..len) (invalid UTF-8 tolerated).
 * URLs, @handles and #hashtags do not count as language evidence.
 * Returns 0 and fills *out when a language was found; PARLEY_ENOENT
 * when the text has no usable letters or the guess is not reliable enough
 * (confidence below min_confidence); PARLEY_EINVAL when out is NULL (or
 * text is NULL with len > 0), PARLEY_ENOMEM when CLD2 runs out of memory.
 * Looks at the first 64 KiB of text at most. */
int parley_lang_detect(const char *text, size_t len, double min_confidence,
                       parley_lang_guess_t *out);

/* The library and its version, for docs and the status page ("cld2 ..."). */
const char *parley_lang_backend(void);

#endif
