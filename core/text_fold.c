/* parley core — text folding and word iteration (text_fold.h).
 *
 * Folding is full Unicode case folding with compatibility decomposition
 * (libunistring u8_casefold with NFKD), then every non-spacing mark (Mn) is
 * dropped and the rest recomposed to NFC. NFKD rather than NFD because social
 * posts are full of compatibility forms that people read as plain letters:
 * "𝐠𝐨𝐨𝐝" (mathematical bold), full-width "ｆｕｌｌ", ligatures "ﬁ", the
 * Dutch "ĳ" — all fold to the ASCII spelling a keyword list uses. */
#include "text_fold.h"

#include "parley/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

/* s with every invalid sequence replaced by U+FFFD (EF BF BD); NULL when
 * out of memory. u8_mbtouc reports U+FFFD for the bytes it cannot decode. */
static uint8_t *sanitize(const uint8_t *s, size_t n, size_t *out_n) {
  uint8_t *d = malloc(n * 3 + 1);
  if (!d)
    return NULL;
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    ucs4_t uc;
    int k = u8_mbtouc(&uc, s + i, n - i);
    int w = u8_uctomb(d + o, uc, 4);
    o += (size_t)(w > 0 ? w : 0);
    i += (size_t)(k > 0 ? k : 1);
  }
  *out_n = o;
  return d;
}

/* Remove the non-spacing marks from UTF-8 s[0..n) in place; new length. */
static size_t drop_marks(uint8_t *s, size_t n) {
  size_t o = 0;
  for (size_t i = 0; i < n;) {
    ucs4_t uc;
    int k = u8_mbtouc_unsafe(&uc, s + i, n - i);
    if (k <= 0)
      k = 1;
    if (!uc_is_general_category(uc, UC_CATEGORY_Mn)) {
      memmove(s + o, s + i, (size_t)k);
      o += (size_t)k;
    }
    i += (size_t)k;
  }
  return o;
}

/* The folding pipeline. resultbuf (may be NULL) receives the result when it
 * holds *lengthp bytes; otherwise the result is malloc'd. Returns the result
 * (not NUL-terminated) with its length in *lengthp, or NULL (out of memory). */
/* ASCII folds to its lower case (NFKD and case folding agree on it); most
 * words of most messages are ASCII, and the full pipeline costs ~20 times
 * more. NULL when s is not all ASCII or out of memory (*oom set). */
static uint8_t *fold_ascii(const uint8_t *s, size_t n, uint8_t *resultbuf, size_t *lengthp,
                           int *oom) {
  for (size_t i = 0; i < n; i++)
    if (s[i] >= 0x80)
      return NULL;
  uint8_t *r = resultbuf && *lengthp >= n ? resultbuf : malloc(n ? n : 1);
  if (!r) {
    *oom = 1;
    return NULL;
  }
  for (size_t i = 0; i < n; i++)
    r[i] = s[i] >= 'A' && s[i] <= 'Z' ? (uint8_t)(s[i] + 32) : s[i];
  *lengthp = n;
  return r;
}

/* The Unicode pipeline for a run of non-ASCII text. */
static uint8_t *fold_unicode(const uint8_t *s, size_t n, uint8_t *resultbuf, size_t *lengthp) {
  uint8_t *clean = NULL;
  if (u8_check(s, n) != NULL) {
    clean = sanitize(s, n, &n);
    if (!clean)
      return NULL;
    s = clean;
  }
  size_t dn = 0;
  uint8_t *dec = u8_casefold(s, n, NULL, UNINORM_NFKD, NULL, &dn);
  free(clean);
  if (!dec)
    return NULL;
  dn = drop_marks(dec, dn);
  uint8_t *r;
  if (dn == 0) { /* only marks */
    *lengthp = 0;
    r = resultbuf ? resultbuf : malloc(1);
  } else {
    r = u8_normalize(UNINORM_NFC, dec, dn, resultbuf, lengthp);
  }
  free(dec);
  return r;
}

/* The result, in the caller's buffer while it fits, then on the heap. */
typedef struct fold_buf {
  uint8_t *p;
  size_t n, cap;
  int heap;
} fold_buf_t;

static int buf_put(fold_buf_t *b, const uint8_t *s, size_t n) {
  if (n == 0) /* a run of marks only */
    return 0;
  if (b->n + n > b->cap) {
    size_t cap = (b->n + n) * 2 + 16;
    uint8_t *p = b->heap ? realloc(b->p, cap) : malloc(cap);
    if (!p)
      return -1;
    if (!b->heap && b->n)
      memcpy(p, b->p, b->n);
    b->p = p;
    b->cap = cap;
    b->heap = 1;
  }
  memcpy(b->p + b->n, s, n);
  b->n += n;
  return 0;
}

/* Text with some non-ASCII: ASCII runs are lowered in place, only the other
 * runs go through libunistring. A run boundary is always a character
 * boundary, and nothing composes across one once the marks are gone. */
static int fold_runs(const uint8_t *s, size_t n, fold_buf_t *b) {
  uint8_t tmp[256];
  for (size_t i = 0, j; i < n; i = j) {
    size_t tn = sizeof tmp;
    uint8_t *r;
    for (j = i; j < n && (s[j] < 0x80) == (s[i] < 0x80);)
      j++;
    if (s[i] < 0x80)
      r = fold_ascii(s + i, j - i, tmp, &tn, &(int){0});
    else
      r = fold_unicode(s + i, j - i, tmp, &tn);
    int rc = r ? buf_put(b, r, tn) : -1;
    if (r != tmp)
      free(r);
    if (rc != 0)
      return -1;
  }
  return 0;
}

static uint8_t *fold(const uint8_t *s, size_t n, uint8_t *resultbuf, size_t *lengthp) {
  if (n == 0) { /* libunistring's answer for "" varies between versions */
    *lengthp = 0;
    return resultbuf ? resultbuf : malloc(1);
  }
  int oom = 0;
  uint8_t *ascii = fold_ascii(s, n, resultbuf, lengthp, &oom);
  if (ascii || oom)
    return ascii;
  fold_buf_t b = {.p = resultbuf, .cap = resultbuf ? *lengthp : 0};
  if (fold_runs(s, n, &b) != 0 || (!b.p && !(b.p = malloc(1)))) {
    if (b.heap)
      free(b.p);
    return NULL;
  }
  *lengthp = b.n;
  return b.p;
}

char *parley_text_fold(const char *s, size_t len, size_t *out_len) {
  size_t n = 0;
  uint8_t *r = fold((const uint8_t *)(s ? s : ""), s ? len : 0, NULL, &n);
  if (!r)
    return NULL;
  uint8_t *t = realloc(r, n + 1);
  if (!t) {
    free(r);
    return NULL;
  }
  t[n] = 0;
  if (out_len)
    *out_len = n;
  return (char *)t;
}

int parley_text_fold_into(const char *s, size_t len, char *buf, size_t cap, size_t *out_len) {
  if (!buf || cap == 0)
    return PARLEY_EINVAL;
  size_t n = cap - 1;
  uint8_t *r = fold((const uint8_t *)(s ? s : ""), s ? len : 0, (uint8_t *)buf, &n);
  if (!r)
    return PARLEY_ENOMEM;
  if (r != (uint8_t *)buf) { /* did not fit in buf */
    free(r);
    buf[0] = 0;
    return PARLEY_ENOBUFS;
  }
  buf[n] = 0;
  if (out_len)
    *out_len = n;
  return 0;
}

/* ---- word iteration ---- */

/* Letters and digits. uc_is_alpha alone also counts symbols such as the
 * regional indicators of flags; those are emoji here (category So). */
static int is_wordch(ucs4_t c) {
  if (c < 0x80)
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  return (uc_is_alpha(c) || uc_is_digit(c) || uc_is_general_category(c, UC_CATEGORY_Nd)) &&
         !uc_is_general_category(c, UC_CATEGORY_So);
}

/* Joiners that stay inside a word when a letter or digit follows. */
static int is_joiner(ucs4_t c) {
  return c == '\'' || c == 0x2019 || c == '-' || c == 0x2010 || c == 0x2011 || c == '_';
}

static int is_emoji_base(ucs4_t c) {
  if (c == 0xFFFD || c < 0x80)
    return 0;
  return uc_is_property_extended_pictographic(c) || uc_is_general_category(c, UC_CATEGORY_So);
}

static int is_regional(ucs4_t c) { return c >= 0x1F1E6 && c <= 0x1F1FF; }

/* What may follow an emoji inside the same emoji: variation selectors, skin
 * tones, the keycap mark and tag characters (subdivision flags). */
static int is_emoji_attached(ucs4_t c) {
  return c == 0xFE0E || c == 0xFE0F || (c >= 0x1F3FB && c <= 0x1F3FF) || c == 0x20E3 ||
         (c >= 0xE0020 && c <= 0xE007F);
}

/* The code point at s[i] (U+FFFD for a bad byte); its length in *k. */
static ucs4_t at(const uint8_t *s, size_t len, size_t i, size_t *k) {
  ucs4_t c;
  int n = u8_mbtouc(&c, s + i, len - i);
  *k = (size_t)(n > 0 ? n : 1);
  return c;
}

/* End of the emoji that starts at i: its attached modifiers and, after a
 * ZWJ, the next pictograph of the sequence ("👩‍💻" is one word). */
static size_t emoji_end(const uint8_t *s, size_t len, size_t i) {
  size_t k;
  ucs4_t c = at(s, len, i, &k);
  i += k;
  if (is_regional(c)) { /* a flag is a pair of regional indicators */
    if (i < len && is_regional(at(s, len, i, &k)))
      i += k;
    return i;
  }
  while (i < len) {
    ucs4_t d = at(s, len, i, &k);
    if (is_emoji_attached(d)) {
      i += k;
      continue;
    }
    if (d == 0x200D && i + k < len) {
      size_t k2;
      if (is_emoji_base(at(s, len, i + k, &k2))) {
        i += k + k2;
        continue;
      }
    }
    break;
  }
  return i;
}

/* End of the word that starts at i (a letter or digit). */
static size_t word_end(const uint8_t *s, size_t len, size_t i) {
  size_t k;
  (void)at(s, len, i, &k);
  i += k;
  while (i < len) {
    ucs4_t c = at(s, len, i, &k);
    if (is_wordch(c) || (c != 0xFE0F && c != 0xFE0E && uc_is_general_category(c, UC_CATEGORY_M))) {
      i += k;
      continue;
    }
    if (is_joiner(c) && i + k < len) {
      size_t k2;
      if (is_wordch(at(s, len, i + k, &k2))) {
        i += k + k2;
        continue;
      }
    }
    break;
  }
  return i;
}

int parley_text_next_word(const char *text, size_t len, size_t *pos, parley_text_word_t *w) {
  const uint8_t *s = (const uint8_t *)text;
  size_t i = pos ? *pos : 0;
  while (s && i < len) {
    size_t k, k2;
    ucs4_t c = at(s, len, i, &k);
    size_t end = 0;
    if (is_wordch(c))
      end = word_end(s, len, i);
    else if ((c == '#' || c == '@') && i + k < len && is_wordch(at(s, len, i + k, &k2)))
      end = word_end(s, len, i + k);
    else if (is_emoji_base(c))
      end = emoji_end(s, len, i);
    if (end > i) {
      w->p = text + i;
      w->len = end - i;
      *pos = end;
      return 1;
    }
    i += k;
  }
  if (pos)
    *pos = len;
  return 0;
}
