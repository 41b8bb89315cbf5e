/* parley SDK — platform values made safe for a log line (parley/sdk/logtext.h). */
#include "parley/sdk/logtext.h"

#include <stdio.h>
#include <string.h>

static int word_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         (c != '\0' && strchr("_.:-@(),/+=", c) != NULL);
}

const char *parley_sdk_log_word(char *buf, size_t len, const char *s) {
  if (len == 0)
    return buf;
  if (s == NULL) {
    snprintf(buf, len, "(none)");
    return buf;
  }
  size_t n = strlen(s), i = 0;
  while (i < n && word_char((unsigned char)s[i]))
    i++;
  if (i == n && n > 0 && n + 3 <= len)
    snprintf(buf, len, "'%s'", s);
  else
    snprintf(buf, len, "(%zu bytes, not shown)", n);
  return buf;
}

/* Length of the valid UTF-8 sequence at s (not a control character), or 0. */
static size_t utf8_seq(const unsigned char *s) {
  unsigned c = s[0];
  size_t k = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
  if (k == 0 || (k == 3 && c > 0xEF))
    return 0;
  for (size_t i = 1; i < k; i++)
    if ((s[i] & 0xC0) != 0x80)
      return 0;
  if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) || (c == 0xF0 && s[1] < 0x90) ||
      (c == 0xF4 && s[1] > 0x8F) || (c == 0xC2 && s[1] < 0xA0)) /* C1 controls */
    return 0;
  return k;
}

const char *parley_sdk_log_text(char *buf, size_t len, const char *s, size_t max) {
  if (len == 0)
    return buf;
  const unsigned char *p = (const unsigned char *)(s ? s : "(none)");
  size_t o = 0, room = len - 4; /* "..." and the NUL */
  if (len < 8) {
    buf[0] = '\0';
    return buf;
  }
  size_t taken = 0;
  while (*p) {
    size_t k = *p >= 0x20 && *p < 0x7f ? 1 : *p >= 0x80 ? utf8_seq(p) : 0;
    size_t w = k ? k : 4;
    if (o + w > room || taken + (k ? k : 1) > max) {
      memcpy(buf + o, "...", 3);
      o += 3;
      break;
    }
    if (k) {
      memcpy(buf + o, p, k);
    } else {
      snprintf(buf + o, 5, "\\x%02X", *p);
      k = 1;
    }
    o += w;
    p += k;
    taken += k;
  }
  buf[o] = '\0';
  return buf;
}
