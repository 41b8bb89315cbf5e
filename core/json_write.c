/* parley core — the JSON text writer (json_write.h). */
#include "json_write.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/error.h"

void parley_jw_init(parley_jw_t *w, size_t hint) {
  memset(w, 0, sizeof *w);
  w->cap = hint;
}

/* Room for n more bytes and the final NUL. */
static int reserve(parley_jw_t *w, size_t n) {
  if (w->err)
    return 0;
  if (w->buf && w->len + n + 1 <= w->cap)
    return 1;
  size_t cap = w->cap ? w->cap : 256;
  while (cap < w->len + n + 1)
    cap *= 2;
  char *b = realloc(w->buf, cap);
  if (!b) {
    w->err = PARLEY_ENOMEM;
    return 0;
  }
  w->buf = b;
  w->cap = cap;
  return 1;
}

static void put(parley_jw_t *w, const char *s, size_t n) {
  if (reserve(w, n)) {
    memcpy(w->buf + w->len, s, n);
    w->len += n;
  }
}

static void put_c(parley_jw_t *w, char c) {
  if (reserve(w, 1))
    w->buf[w->len++] = c;
}

/* The escapes jansson writes: the short forms, else \u00XX (upper case). */
static void put_escape(parley_jw_t *w, unsigned char c) {
  static const char hex[] = "0123456789ABCDEF";
  char seq[6] = {'\\', 0};
  size_t n = 2;
  switch (c) {
  case '"': seq[1] = '"'; break;
  case '\\': seq[1] = '\\'; break;
  case '\b': seq[1] = 'b'; break;
  case '\f': seq[1] = 'f'; break;
  case '\n': seq[1] = 'n'; break;
  case '\r': seq[1] = 'r'; break;
  case '\t': seq[1] = 't'; break;
  default:
    memcpy(seq + 1, "u00", 3);
    seq[4] = hex[c >> 4];
    seq[5] = hex[c & 15];
    n = 6;
  }
  put(w, seq, n);
}

/* Runs of plain bytes are copied at once; valid UTF-8 passes unchanged. */
static void put_string(parley_jw_t *w, const char *s) {
  put_c(w, '"');
  const unsigned char *p = (const unsigned char *)s, *run = p;
  for (; *p; p++) {
    if (*p >= 0x20 && *p != '"' && *p != '\\')
      continue;
    put(w, (const char *)run, (size_t)(p - run));
    put_escape(w, *p);
    run = p + 1;
  }
  put(w, (const char *)run, (size_t)(p - run));
  put_c(w, '"');
}

/* The separator and key of the next member at the current depth. */
static void member(parley_jw_t *w, const char *key) {
  if (w->err)
    return;
  if (w->count[w->depth]++)
    put_c(w, ',');
  if (key) {
    put_string(w, key);
    put_c(w, ':');
  }
}

size_t parley_jw_open(parley_jw_t *w, const char *key, char brace) {
  size_t mark = w->len;
  if (w->depth >= PARLEY_JW_DEPTH && !w->err)
    w->err = PARLEY_ETOOBIG;
  member(w, key);
  put_c(w, brace);
  if (!w->err)
    w->count[++w->depth] = 0;
  return mark;
}

void parley_jw_close(parley_jw_t *w, size_t mark, char brace, int drop_empty) {
  if (w->err)
    return;
  if (drop_empty && w->count[w->depth] == 0) {
    w->len = mark;
    w->count[--w->depth]--;
    return;
  }
  put_c(w, brace == '{' ? '}' : ']');
  w->depth--;
}

void parley_jw_str(parley_jw_t *w, const char *key, const char *s) {
  member(w, key);
  put_string(w, s);
}

void parley_jw_int(parley_jw_t *w, const char *key, int64_t v) {
  char digits[24];
  size_t i = sizeof digits;
  /* via the unsigned magnitude, so INT64_MIN is fine */
  uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
  do
    digits[--i] = (char)('0' + m % 10);
  while (m /= 10);
  if (v < 0)
    digits[--i] = '-';
  member(w, key);
  put(w, digits + i, sizeof digits - i);
}

/* jansson's real format: "%.Ng", ".0" when it reads as an integer, and
 * the exponent without '+' or leading zeros ("1e-05" -> "1e-5"). */
void parley_jw_real(parley_jw_t *w, const char *key, double v, int precision) {
  char buf[40];
  int n = snprintf(buf, sizeof buf - 2, "%.*g", precision, v);
  if (n < 0 || (size_t)n >= sizeof buf - 2) {
    if (!w->err)
      w->err = PARLEY_EINVAL;
    return;
  }
  if (!strchr(buf, '.') && !strchr(buf, 'e')) {
    memcpy(buf + n, ".0", 3);
    n += 2;
  }
  char *e = strchr(buf, 'e');
  if (e) {
    char *start = e + 1, *end = e + 2;
    if (*start == '-')
      start++;
    while (*end == '0')
      end++;
    if (end != start) {
      memmove(start, end, (size_t)(buf + n + 1 - end));
      n -= (int)(end - start);
    }
  }
  member(w, key);
  put(w, buf, (size_t)n);
}

void parley_jw_bool(parley_jw_t *w, const char *key, int v) {
  member(w, key);
  put(w, v ? "true" : "false", v ? 4 : 5);
}

void parley_jw_json(parley_jw_t *w, const char *key, const char *json, size_t len) {
  member(w, key);
  put(w, json, len);
}

int parley_jw_finish(parley_jw_t *w, char **out, size_t *len) {
  if (!w->err && !reserve(w, 0))
    w->err = PARLEY_ENOMEM;
  if (w->err) {
    free(w->buf);
    w->buf = NULL;
    return w->err;
  }
  w->buf[w->len] = '\0';
  *out = w->buf;
  if (len)
    *len = w->len;
  w->buf = NULL;
  return 0;
}
