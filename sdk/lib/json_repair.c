/* parley SDK — repairing the text of a JSON document whose only fault is
 * its characters (parley/sdk/json.h): bad UTF-8, raw control characters
 * and escapes jansson refuses (\u0000, lone surrogates). Structure is never
 * changed: a document malformed otherwise stays malformed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/sdk/json.h"

static const char fffd_utf8[] = "\xEF\xBF\xBD";
static const char fffd_escape[] = "\\uFFFD";

typedef struct repair {
  const unsigned char *s;
  size_t n, i;
  char *out;
  size_t o, count;
} repair_t;

static void put(repair_t *r, const char *p, size_t n) {
  memcpy(r->out + r->o, p, n);
  r->o += n;
}

/* Length of the valid UTF-8 sequence at s[0..n), 0 when invalid
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t utf8_len(const unsigned char *s, size_t n) {
  unsigned c = s[0];
  size_t k = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
  if (k == 0 || (k == 3 && c > 0xEF) || k > n)
    return 0;
  for (size_t i = 1; i < k; i++)
    if ((s[i] & 0xC0) != 0x80)
      return 0;
  if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F) || (c == 0xF0 && s[1] < 0x90) ||
      (c == 0xF4 && s[1] > 0x8F))
    return 0;
  return k;
}

/* The code unit of "\uXXXX" at s[0..n), or -1. */
static long escape_unit(const unsigned char *s, size_t n) {
  if (n < 6 || s[0] != '\\' || s[1] != 'u')
    return -1;
  long v = 0;
  for (int i = 2; i < 6; i++) {
    int c = s[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    if (d < 0)
      return -1;
    v = v * 16 + d;
  }
  return v;
}

/* A backslash escape inside a string; returns the bytes consumed. */
static size_t string_escape(repair_t *r) {
  const unsigned char *p = r->s + r->i;
  size_t left = r->n - r->i;
  long u = escape_unit(p, left);
  if (u < 0) { /* another escape ("\n", "\"") or a broken one jansson will name */
    size_t k = left >= 2 ? 2 : 1;
    put(r, (const char *)p, k);
    return k;
  }
  long low = u >= 0xD800 && u <= 0xDBFF ? escape_unit(p + 6, left - 6) : -1;
  if (u >= 0xD800 && u <= 0xDBFF && low >= 0xDC00 && low <= 0xDFFF) {
    put(r, (const char *)p, 12); /* a valid pair */
    return 12;
  }
  if (u == 0 || (u >= 0xD800 && u <= 0xDFFF)) {
    put(r, fffd_escape, 6);
    r->count++;
  } else {
    put(r, (const char *)p, 6);
  }
  return 6;
}

/* One byte (or sequence) inside a string; returns the bytes consumed. */
static size_t string_char(repair_t *r) {
  unsigned char c = r->s[r->i];
  if (c == '\\')
    return string_escape(r);
  if (c < 0x20) {
    char esc[8];
    snprintf(esc, sizeof esc, "\\u%04X", c == 0 ? 0xFFFDu : (unsigned)c);
    put(r, esc, 6);
    r->count++;
    return 1;
  }
  size_t k = c < 0x80 ? 1 : utf8_len(r->s + r->i, r->n - r->i);
  if (k == 0) {
    put(r, fffd_utf8, 3);
    r->count++;
    return 1;
  }
  put(r, (const char *)r->s + r->i, k);
  return k;
}

int parley_sdk_json_repair(const char *text, size_t len, char **out, size_t *out_len,
                           size_t *repaired) {
  /* the worst case: every byte becomes a six-byte escape */
  repair_t r = {.s = (const unsigned char *)text, .n = len, .out = malloc(len * 6 + 1)};
  if (!r.out)
    return PARLEY_ENOMEM;
  int in_string = 0;
  while (r.i < r.n) {
    unsigned char c = r.s[r.i];
    if (in_string && c == '"') {
      in_string = 0;
    } else if (in_string) {
      r.i += string_char(&r);
      continue;
    } else if (c == '"') {
      in_string = 1;
    }
    put(&r, (const char *)&r.s[r.i], 1);
    r.i++;
  }
  r.out[r.o] = '\0';
  *out = r.out;
  *out_len = r.o;
  *repaired = r.count;
  return 0;
}

json_t *parley_sdk_json_parse_repair(const char *text, size_t len, const char *what,
                                     size_t *repaired, parley_error_t *err) {
  *repaired = 0;
  json_t *doc = parley_sdk_json_parse(text, len, what, err);
  if (doc || !text)
    return doc;
  char *fixed = NULL;
  size_t fixed_len = 0, count = 0;
  if (parley_sdk_json_repair(text, len, &fixed, &fixed_len, &count) != 0)
    return NULL; /* err still describes the first failure */
  if (count > 0) {
    parley_error_t again = {0};
    doc = parley_sdk_json_parse(fixed, fixed_len, what, &again);
    if (doc)
      *repaired = count;
    else if (err)
      *err = again;
  }
  free(fixed);
  return doc;
}
