/* parley core — language detection with CLD2 (enrich_lang.h), a C++ shim
 * behind a C interface. How the text is cleaned, how the confidence is
 * derived and what was measured: docs/enrichment.md#language.
 *
 * C++ only because CLD2 is; no exception leaves this file (CLD2 allocates
 * with new[] internally: std::bad_alloc becomes PARLEY_ENOMEM). */
#include <cstdint>
#include <cstdio> /* before CLD2: compact_lang_det.h uses FILE without including it */
#include <cstring>
#include <new>

#include <cld2/public/compact_lang_det.h>
#include <cld2/public/encodings.h>

extern "C" {
#include "enrich_lang.h"
#include "parley/error.h"
}

#ifndef PARLEY_CLD2_PACKAGE /* set by core/CMakeLists.txt from dpkg */
#define PARLEY_CLD2_PACKAGE "libcld2"
#endif

namespace {

/* Cleaned bytes given to CLD2: the language of a care message shows in its
 * first few kilobytes, and the buffer stays on the stack. */
const size_t kScanMax = 4096;
/* Input bytes looked at: a message of emoji and links stays bounded too. */
const size_t kInputMax = 64 * 1024;

/* Confidence (docs/enrichment.md#language): the share of the letters CLD2
 * gave the language, scaled by how much text there was, then by how CLD2
 * reached its answer. Constants from the measurements on tests/data/care. */
const double kFullTextBytes = 64;     /* from this many letters' bytes up: no length penalty */
const double kShortTextFloor = 0.70;  /* the length factor of a one-word text */
const double kUnreliableFactor = 0.6; /* CLD2 answered but called it unreliable */
const double kBestEffortFactor = 0.49; /* CLD2 said "unknown": its best-effort guess, below 0.5 */

const uint32_t kBad = 0xFFFFFFFFu;

/* ---- UTF-8 ---- */

/* The code point at s[0..len) (len >= 1) in *cp, or kBad for a byte that
 * does not start a valid sequence (overlong, surrogate, > U+10FFFF,
 * truncated): that byte alone is consumed. Returns the bytes consumed. */
size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp) {
  unsigned char c = s[0];
  size_t n;
  uint32_t v, min;
  if (c < 0x80) {
    *cp = c;
    return 1;
  }
  if (c >= 0xC2 && c <= 0xDF) {
    n = 2, v = c & 0x1F, min = 0x80;
  } else if (c >= 0xE0 && c <= 0xEF) {
    n = 3, v = c & 0x0F, min = 0x800;
  } else if (c >= 0xF0 && c <= 0xF4) {
    n = 4, v = c & 0x07, min = 0x10000;
  } else {
    *cp = kBad;
    return 1;
  }
  if (len < n) {
    *cp = kBad;
    return 1;
  }
  for (size_t i = 1; i < n; i++) {
    if ((s[i] & 0xC0) != 0x80) {
      *cp = kBad;
      return 1;
    }
    v = (v << 6) | (s[i] & 0x3F);
  }
  if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
    *cp = kBad;
    return 1;
  }
  *cp = v;
  return n;
}

size_t utf8_put(uint32_t cp, char *out) {
  if (cp < 0x80) {
    out[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    return 2;
  }
  if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
  }
  out[0] = (char)(0xF0 | (cp >> 18));
  out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
  out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
  out[3] = (char)(0x80 | (cp & 0x3F));
  return 4;
}

/* ---- character classes ---- */

bool is_space(uint32_t cp) {
  return cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200B) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

/* What CLD2 rejects as not interchange-valid (measured over every code
 * point: C0 controls but TAB LF FF CR, DEL, C1, the noncharacters). */
bool is_not_interchange(uint32_t cp) {
  return cp < 0x09 || cp == 0x0B || (cp >= 0x0E && cp <= 0x1F) || (cp >= 0x7F && cp <= 0x9F) ||
         (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;
}

/* Emoji and pictographs with their joiners, selectors, skin tones, flags
 * and tags: never language evidence (CLD2 would report a pseudo-language
 * "xx-Qaai" for a text of hearts). */
bool is_emoji(uint32_t cp) {
  return (cp >= 0x2190 && cp <= 0x21FF) || (cp >= 0x2300 && cp <= 0x23FF) ||
         (cp >= 0x2460 && cp <= 0x24FF) || (cp >= 0x25A0 && cp <= 0x27BF) ||
         (cp >= 0x2900 && cp <= 0x297F) || (cp >= 0x2B00 && cp <= 0x2BFF) || cp == 0x200D ||
         cp == 0x20E3 || cp == 0x3030 || cp == 0x303D || cp == 0x3297 || cp == 0x3299 ||
         (cp >= 0xFE00 && cp <= 0xFE0F) || (cp >= 0x1F000 && cp <= 0x1FAFF) ||
         (cp >= 0xE0000 && cp <= 0xE007F);
}

/* Roughly a letter: enough to tell "nothing to detect" without CLD2. */
bool is_letter(uint32_t cp) {
  if (cp < 0x80)
    return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
  if (cp < 0xC0 || cp == 0xD7 || cp == 0xF7)
    return false;
  if ((cp >= 0x2000 && cp <= 0x2BFF) || (cp >= 0x3000 && cp <= 0x303F) ||
      (cp >= 0xFF00 && cp <= 0xFF20) || cp >= 0xE0000)
    return false;
  return !is_emoji(cp) && !is_not_interchange(cp);
}

bool is_ascii_word(unsigned char c) {
  return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
}

bool ascii_prefix_ci(const unsigned char *p, size_t n, const char *prefix) {
  size_t k = strlen(prefix);
  if (n < k)
    return false;
  for (size_t i = 0; i < k; i++)
    if ((p[i] >= 'A' && p[i] <= 'Z' ? p[i] | 0x20 : p[i]) != (unsigned char)prefix[i])
      return false;
  return true;
}

/* ---- what is not language evidence ---- */

/* The length of the token at p (up to ASCII white space). */
size_t token_len(const unsigned char *p, size_t n) {
  size_t i = 0;
  while (i < n && p[i] != ' ' && !(p[i] >= 0x09 && p[i] <= 0x0D))
    i++;
  return i;
}

bool is_scheme_url(const unsigned char *p, size_t n) {
  if (ascii_prefix_ci(p, n, "www."))
    return true;
  size_t i = 0;
  if (i >= n || (p[i] | 0x20) < 'a' || (p[i] | 0x20) > 'z')
    return false;
  while (i < n && (is_ascii_word(p[i]) || p[i] == '+' || p[i] == '.' || p[i] == '-'))
    i++;
  return i + 2 < n && p[i] == ':' && p[i + 1] == '/' && p[i + 2] == '/';
}

bool is_common_tld(const unsigned char *p, size_t n) {
  static const char *const tlds[] = {"com", "net", "org", "info", "biz", "app", "dev", "io",
                                     "shop", "store", "online", "site", "help", "eu", nullptr};
  if (n == 2)
    return true; /* every country */
  for (size_t i = 0; tlds[i]; i++)
    if (strlen(tlds[i]) == n && memcmp(tlds[i], p, n) == 0)
      return true;
  return false;
}

/* "example.com", "acme.de/hilfe", "(shop.example.nl)": labels of ASCII
 * letters, digits and '-' joined by dots, ending in a lower-case country
 * or common top-level domain, then optionally a path. */
bool is_bare_domain(const unsigned char *p, size_t n) {
  size_t host = 0;
  while (host < n && p[host] != '/')
    host++;
  while (host > 0 && strchr(".,;:!?)]}\"'", p[host - 1]))
    host--;
  size_t labels = 0, start = 0;
  for (size_t i = 0; i <= host; i++) {
    if (i < host && (is_ascii_word(p[i]) || p[i] == '-'))
      continue;
    if (i < host && p[i] != '.')
      return false;
    if (i == start)
      return false; /* empty label */
    labels++;
    if (i == host) {
      for (size_t k = start; k < host; k++)
        if (p[k] < 'a' || p[k] > 'z')
          return false;
      return labels >= 2 && is_common_tld(p + start, host - start);
    }
    start = i + 1;
  }
  return false;
}

/* "name@example.com" */
bool is_email(const unsigned char *p, size_t n) {
  const void *at = memchr(p, '@', n);
  if (!at || at == p)
    return false;
  size_t a = (size_t)((const unsigned char *)at - p);
  return memchr(p + a + 1, '.', n - a - 1) != nullptr && is_ascii_word(p[a - 1]);
}

/* A URL, a bare domain or an e-mail address: the whole token goes. */
bool is_link_token(const unsigned char *p, size_t n) {
  while (n > 0 && strchr("([{<\"'", p[0])) /* "(example.com)" */
    p++, n--;
  return n > 0 && (is_scheme_url(p, n) || is_email(p, n) || is_bare_domain(p, n));
}

/* "&amp;", "&#39;": platforms (Twitter) send text HTML-escaped. */
size_t entity_len(const unsigned char *p, size_t n) {
  size_t i = 1;
  if (i < n && p[i] == '#')
    i++;
  size_t from = i;
  while (i < n && i < 10 && is_ascii_word(p[i]))
    i++;
  return (i > from && i < n && p[i] == ';') ? i + 1 : 0;
}

/* The bytes of the "@handle" or "#hashtag" at p (p[0] is the sigil), 0 when
 * it is not one. A hashtag's word may have any letters ("#élan"); a handle
 * is ASCII on every platform parley reads, dots included (Instagram). */
size_t tag_len(const unsigned char *p, size_t n, bool hashtag) {
  size_t i = 1;
  while (i < n) {
    if (is_ascii_word(p[i]) || (!hashtag && p[i] == '.')) {
      i++;
      continue;
    }
    if (!hashtag || p[i] < 0x80)
      break;
    uint32_t cp;
    size_t k = utf8_next(p + i, n - i, &cp);
    if (cp == kBad || !is_letter(cp))
      break;
    i += k;
  }
  return i > 1 ? i : 0;
}

/* ---- cleaning ---- */

struct cleaned {
  char buf[kScanMax + 4];
  size_t len;
  size_t letters;
};

void put_space(cleaned *c) {
  if (c->len > 0 && c->buf[c->len - 1] != ' ' && c->len < kScanMax)
    c->buf[c->len++] = ' ';
}

/* text[0..len) into c: valid, interchange-valid UTF-8 of the words only.
 * Bad bytes, controls, emoji, URLs, e-mail addresses, @handles, #hashtags
 * and HTML entities become single spaces. */
void clean_text(const unsigned char *s, size_t len, cleaned *c) {
  c->len = 0;
  c->letters = 0;
  bool at_token = true; /* after white space or at the start */
  uint32_t prev = ' ';
  size_t i = 0;
  while (i < len && c->len < kScanMax) {
    size_t skip = 0;
    if (at_token && is_link_token(s + i, token_len(s + i, len - i)))
      skip = token_len(s + i, len - i);
    else if ((s[i] == '@' || s[i] == '#') && !(prev < 0x80 && is_ascii_word((unsigned char)prev)) &&
             !is_letter(prev))
      skip = tag_len(s + i, len - i, s[i] == '#');
    else if (s[i] == '&')
      skip = entity_len(s + i, len - i);
    if (skip > 0) {
      put_space(c);
      i += skip;
      prev = ' ';
      at_token = false;
      continue;
    }
    uint32_t cp;
    size_t k = utf8_next(s + i, len - i, &cp);
    i += k;
    at_token = cp != kBad && is_space(cp);
    prev = cp == kBad ? ' ' : cp;
    if (cp == kBad || is_space(cp) || is_not_interchange(cp) || is_emoji(cp)) {
      put_space(c);
      continue;
    }
    char enc[4];
    size_t m = utf8_put(cp, enc);
    if (c->len + m > kScanMax)
      break;
    memcpy(c->buf + c->len, enc, m);
    c->len += m;
    c->letters += is_letter(cp);
  }
  c->buf[c->len] = '\0';
}

/* ---- CLD2 ---- */

struct verdict {
  CLD2::Language lang;
  int percent;    /* of the text's letters in lang, 0..100 */
  int text_bytes; /* letters-only bytes CLD2 scored */
  bool reliable;
};

/* CLD2 on cleaned (valid) text; flags 0 or kCLDFlagBestEffort. */
verdict cld2_detect(const cleaned &c, int flags) {
  CLD2::CLDHints hints = {nullptr, nullptr, CLD2::UNKNOWN_ENCODING, CLD2::UNKNOWN_LANGUAGE};
  CLD2::Language lang3[3];
  int percent3[3], text_bytes = 0, valid_prefix = 0;
  double score3[3];
  bool reliable = false;
  verdict v = {CLD2::UNKNOWN_LANGUAGE, 0, 0, false};
  CLD2::Language top = CLD2::ExtDetectLanguageSummaryCheckUTF8(
      c.buf, (int)c.len, true, &hints, flags, lang3, percent3, score3, nullptr, &text_bytes,
      &reliable, &valid_prefix);
  if (valid_prefix < (int)c.len)
    return v; /* cannot happen after clean_text; never trust a half check */
  v.lang = top;
  for (int i = 0; i < 3; i++)
    if (lang3[i] == top)
      v.percent = percent3[i];
  v.text_bytes = text_bytes;
  v.reliable = reliable;
  return v;
}

/* CLD2's code as a BCP 47 primary subtag in out[8]; false for "unknown",
 * "Ignore", script-only pseudo-languages ("xx-Qaai") and CLD2's private
 * "zz*" ones. */
bool bcp47_primary(CLD2::Language lang, char out[8]) {
  const char *code = CLD2::LanguageCode(lang);
  size_t n = code ? strcspn(code, "-_") : 0;
  if (n < 2 || n > 3)
    return false;
  for (size_t i = 0; i < n; i++)
    if (code[i] < 'a' || code[i] > 'z')
      return false;
  if (memcmp(code, "un", n) == 0 || memcmp(code, "xx", 2) == 0 || memcmp(code, "zz", 2) == 0)
    return false; /* "un", "xx-Qaai", "xxx" (Ignore), "zzb" ... */
  if (n == 2 && memcmp(code, "iw", 2) == 0)
    code = "he"; /* CLD2 keeps the withdrawn ISO 639 codes */
  else if (n == 2 && memcmp(code, "jw", 2) == 0)
    code = "jv";
  memcpy(out, code, n);
  out[n] = '\0';
  return true;
}

double confidence(const verdict &v, double factor) {
  double len = v.text_bytes >= kFullTextBytes ? 1.0 : v.text_bytes / kFullTextBytes;
  double c = (v.percent / 100.0) * (kShortTextFloor + (1.0 - kShortTextFloor) * len) * factor;
  return c < 0 ? 0 : c > 1 ? 1 : c;
}

int detect(const char *text, size_t len, double min_confidence, parley_lang_guess_t *out) {
  cleaned c;
  clean_text(reinterpret_cast<const unsigned char *>(text), len < kInputMax ? len : kInputMax, &c);
  if (c.letters == 0)
    return PARLEY_ENOENT;
  char code[8];
  double conf;
  verdict v = cld2_detect(c, 0);
  if (bcp47_primary(v.lang, code)) {
    conf = confidence(v, v.reliable ? 1.0 : kUnreliableFactor);
  } else {
    /* Short texts CLD2 will not commit to: its best guess, with a
     * confidence low enough that min_confidence decides (so it is not
     * asked for when no best-effort guess could pass). */
    if (min_confidence > kBestEffortFactor)
      return PARLEY_ENOENT;
    v = cld2_detect(c, CLD2::kCLDFlagBestEffort);
    if (!bcp47_primary(v.lang, code))
      return PARLEY_ENOENT;
    conf = confidence(v, kBestEffortFactor);
  }
  if (!(conf >= min_confidence))
    return PARLEY_ENOENT;
  memcpy(out->code, code, sizeof out->code);
  out->confidence = conf;
  return 0;
}

} // namespace

extern "C" int parley_lang_detect(const char *text, size_t len, double min_confidence,
                                  parley_lang_guess_t *out) {
  if (!out || (!text && len > 0))
    return PARLEY_EINVAL;
  if (len == 0)
    return PARLEY_ENOENT;
  try {
    return detect(text, len, min_confidence, out);
  } catch (const std::bad_alloc &) {
    return PARLEY_ENOMEM;
  } catch (...) {
    return PARLEY_EINVAL;
  }
}

extern "C" const char *parley_lang_backend(void) {
  /* DetectLanguageVersion() writes a static buffer: read it once (C++11
   * makes this initialisation thread-safe). */
  static char name[128];
  static const bool once = [] {
    snprintf(name, sizeof name, "cld2 (%s, tables %s)", PARLEY_CLD2_PACKAGE,
             CLD2::DetectLanguageVersion());
    return true;
  }();
  (void)once;
  return name;
}
