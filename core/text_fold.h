/* parley core — text folding and word iteration for matching: keywords and
 * sentiment lexicons compare words case- and accent-insensitively
 * ("Kapot" = "kapot", "Müll" = "mull", "ÉCHEC" = "echec"). Internal.
 * Implemented with libunistring (full Unicode case folding with compatibility
 * decomposition NFKD, non-spacing marks removed, NFC): "Straße" = "strasse",
 * "Ĳs" = "ijs", "𝐠𝐨𝐨𝐝" = "good", "İ" = "i". Invalid UTF-8 never fails: a
 * bad byte folds to U+FFFD. */
#ifndef PARLEY_CORE_TEXT_FOLD_H
#define PARLEY_CORE_TEXT_FOLD_H

#include <stddef.h>

/* The folded form of s[0..len): case-folded, accents removed, NFC.
 * Returns a NUL-terminated string the caller frees (length in *out_len when
 * out_len is not NULL); NULL only when out of memory. */
char *parley_text_fold(const char *s, size_t len, size_t *out_len);

/* The same folding into buf[0..cap) (NUL-terminated, length in *out_len when
 * not NULL), for callers that keep a scratch buffer. Returns 0, PARLEY_ENOBUFS
 * when the folded form does not fit (buf holds ""), PARLEY_ENOMEM, or
 * PARLEY_EINVAL (buf NULL or cap 0). libunistring may still allocate
 * temporaries internally; they are freed before return. */
int parley_text_fold_into(const char *s, size_t len, char *buf, size_t cap, size_t *out_len);

/* A word of a (folded or raw) text: letters, digits, their combining marks,
 * and the joiners inside a word (apostrophes ' and ’, hyphens, underscore —
 * each only between letters or digits: "don't", "e-mail"); a leading '#' or '@' belongs
 * to the word so hashtags and handles match as written ("#fail"). */
typedef struct parley_text_word {
  const char *p; /* into the text; not NUL-terminated */
  size_t len;
} parley_text_word_t;

/* Iterate: start with *pos = 0; returns 1 and the next word, or 0 at the end.
 * Non-word runs between words are skipped; each emoji is a word of its own so
 * lexicons can score it: one pictograph (Extended_Pictographic or category
 * So) with what is attached to it — variation selector, skin tone, keycap,
 * tags, and further pictographs joined by ZWJ ("👍🏽", "👩‍💻"); a flag is its
 * pair of regional indicators. U+FFFD (a bad byte) is never a word. */
int parley_text_next_word(const char *s, size_t len, size_t *pos, parley_text_word_t *w);

#endif
