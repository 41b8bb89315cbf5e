/* parley core — small string helpers. */
#include "util.h"

#include "parley/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *parley_strdup(const char *s) {
  if (!s)
    return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  return d ? memcpy(d, s, n) : NULL;
}

char *parley_asprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return NULL;
  char *s = malloc((size_t)n + 1);
  if (!s)
    return NULL;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

static int all_in(const char *s, const char *extra, int upper) {
  if (!s || !*s)
    return 0;
  for (; *s; s++) {
    char c = *s;
    int ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
             (upper && c >= 'A' && c <= 'Z') || (extra && strchr(extra, c));
    if (!ok)
      return 0;
  }
  return 1;
}

int parley_util_is_name(const char *s) { return all_in(s, NULL, 0); }
int parley_util_is_instance_name(const char *s) { return all_in(s, "-", 1); }

int parley_util_secret_eq(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  unsigned char diff = (unsigned char)(la != lb);
  for (size_t i = 0; i < la && i < lb; i++)
    diff |= (unsigned char)(a[i] ^ b[i]);
  return diff == 0;
}

size_t parley_util_utf8_seq_len(const unsigned char *s) {
  unsigned c = *s, min, cp;
  size_t n;
  if (c == 0)
    return 0;
  if (c < 0x80)
    return 1;
  if ((c & 0xe0) == 0xc0)
    n = 1, min = 0x80, cp = c & 0x1f;
  else if ((c & 0xf0) == 0xe0)
    n = 2, min = 0x800, cp = c & 0x0f;
  else if ((c & 0xf8) == 0xf0)
    n = 3, min = 0x10000, cp = c & 0x07;
  else
    return 0;
  for (size_t i = 1; i <= n; i++) {
    if ((s[i] & 0xc0) != 0x80)
      return 0; /* also stops at the terminating NUL */
    cp = (cp << 6) | (s[i] & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return 0;
  return n + 1;
}

int parley_util_utf8_valid(const unsigned char *s) {
  while (*s) {
    size_t k = parley_util_utf8_seq_len(s);
    if (k == 0)
      return 0;
    s += k;
  }
  return 1;
}

int parley_util_strset(char **slot, const char *s) {
  char *copy = NULL;
  if (s != NULL && *s != '\0') {
    if (!parley_util_utf8_valid((const unsigned char *)s))
      return PARLEY_EINVAL;
    copy = parley_strdup(s);
    if (copy == NULL)
      return PARLEY_ENOMEM;
  }
  free(*slot);
  *slot = copy;
  return 0;
}
