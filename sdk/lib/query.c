/* parley SDK — URL and form building with percent-encoding (query.h). */
#include "parley/sdk/query.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/error.h"

static int parley_sdk_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '.' || c == '_' || c == '~';
}

/* Make room for n more bytes plus the NUL; records ENOMEM once. */
static int parley_sdk_query_reserve(parley_sdk_query_t *q, size_t n) {
  if (q->failed)
    return q->failed;
  if (q->len + n + 1 <= q->cap)
    return 0;
  size_t cap = q->cap ? q->cap : 64;
  while (cap < q->len + n + 1) {
    if (cap > SIZE_MAX / 2)
      return q->failed = PARLEY_ENOMEM;
    cap *= 2;
  }
  char *buf = realloc(q->buf, cap);
  if (buf == NULL)
    return q->failed = PARLEY_ENOMEM;
  q->buf = buf;
  q->cap = cap;
  return 0;
}

static int parley_sdk_query_append_raw(parley_sdk_query_t *q, const char *s, size_t n) {
  int rc = parley_sdk_query_reserve(q, n);
  if (rc < 0)
    return rc;
  memcpy(q->buf + q->len, s, n);
  q->len += n;
  q->buf[q->len] = '\0';
  return 0;
}

static int parley_sdk_query_append_encoded(parley_sdk_query_t *q, const char *s) {
  static const char hex[] = "0123456789ABCDEF";
  size_t n = strlen(s);
  if (n > SIZE_MAX / 3)
    return q->failed = PARLEY_ENOMEM;
  int rc = parley_sdk_query_reserve(q, 3 * n);
  if (rc < 0)
    return rc;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (parley_sdk_unreserved(c)) {
      q->buf[q->len++] = (char)c;
    } else {
      q->buf[q->len++] = '%';
      q->buf[q->len++] = hex[c >> 4];
      q->buf[q->len++] = hex[c & 15];
    }
  }
  q->buf[q->len] = '\0';
  return 0;
}

int parley_sdk_query_init_url(parley_sdk_query_t *q, const char *base) {
  memset(q, 0, sizeof *q);
  if (base == NULL)
    return PARLEY_EINVAL;
  int rc = parley_sdk_query_append_raw(q, base, strlen(base));
  /* A base that already carries a query continues it with '&'. */
  if (rc == 0 && strchr(base, '?'))
    q->params = 1;
  return rc;
}

void parley_sdk_query_init_form(parley_sdk_query_t *q) {
  memset(q, 0, sizeof *q);
  q->form = 1;
}

int parley_sdk_query_add(parley_sdk_query_t *q, const char *name, const char *value) {
  if (q->failed)
    return q->failed;
  if (name == NULL || name[0] == '\0')
    return PARLEY_EINVAL;
  if (value == NULL)
    return 0;
  const char *sep = q->params ? "&" : q->form ? "" : "?";
  int rc = parley_sdk_query_append_raw(q, sep, strlen(sep));
  if (rc == 0)
    rc = parley_sdk_query_append_encoded(q, name);
  if (rc == 0)
    rc = parley_sdk_query_append_raw(q, "=", 1);
  if (rc == 0)
    rc = parley_sdk_query_append_encoded(q, value);
  if (rc == 0)
    q->params++;
  return rc;
}

int parley_sdk_query_add_int(parley_sdk_query_t *q, const char *name, int64_t value) {
  char num[24];
  snprintf(num, sizeof num, "%" PRId64, value);
  return parley_sdk_query_add(q, name, num);
}

const char *parley_sdk_query_str(const parley_sdk_query_t *q) {
  if (q->failed)
    return NULL;
  return q->buf ? q->buf : "";
}

char *parley_sdk_query_steal(parley_sdk_query_t *q) {
  char *s = NULL;
  if (!q->failed)
    s = q->buf ? q->buf : strdup("");
  else
    free(q->buf);
  int form = q->form;
  memset(q, 0, sizeof *q);
  q->form = form;
  return s;
}

void parley_sdk_query_free(parley_sdk_query_t *q) {
  free(q->buf);
  memset(q, 0, sizeof *q);
}

int parley_sdk_percent_encode(const char *s, size_t len, char *out, size_t outlen) {
  static const char hex[] = "0123456789ABCDEF";
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    size_t need = parley_sdk_unreserved(c) ? 1 : 3;
    if (o + need + 1 > outlen)
      return PARLEY_ENOBUFS;
    if (need == 1) {
      out[o++] = (char)c;
    } else {
      out[o++] = '%';
      out[o++] = hex[c >> 4];
      out[o++] = hex[c & 15];
    }
  }
  if (outlen == 0)
    return PARLEY_ENOBUFS;
  out[o] = '\0';
  return (int)o;
}

static int parley_sdk_hexval(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

int parley_sdk_percent_decode(const char *s, size_t len, int plus_is_space, char *out,
                              size_t outlen) {
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (c == '%') {
      /* An escape needs two more characters: s[i + 1] and s[i + 2]. */
      if (i + 2 >= len)
        return PARLEY_EPARSE;
      int hi = parley_sdk_hexval(s[i + 1]), lo = parley_sdk_hexval(s[i + 2]);
      if (hi < 0 || lo < 0)
        return PARLEY_EPARSE;
      c = (char)(hi << 4 | lo);
      i += 2;
    } else if (plus_is_space && c == '+') {
      c = ' ';
    }
    if (o + 2 > outlen)
      return PARLEY_ENOBUFS;
    out[o++] = c;
  }
  if (outlen == 0)
    return PARLEY_ENOBUFS;
  out[o] = '\0';
  return (int)o;
}

int parley_sdk_query_param(const char *url, const char *name, char *out, size_t outlen) {
  if (url == NULL || name == NULL || name[0] == '\0')
    return PARLEY_EINVAL;
  const char *q = strchr(url, '?');
  if (q == NULL)
    return PARLEY_ENOENT;
  size_t nlen = strlen(name);
  const char *p = q + 1;
  const char *end = p + strcspn(p, "#");
  while (p < end) {
    const char *amp = memchr(p, '&', (size_t)(end - p));
    const char *stop = amp ? amp : end;
    const char *eq = memchr(p, '=', (size_t)(stop - p));
    const char *kend = eq ? eq : stop;
    /* Parameter names in platform URLs are plain ASCII: compare raw. */
    if ((size_t)(kend - p) == nlen && memcmp(p, name, nlen) == 0) {
      const char *v = eq ? eq + 1 : stop;
      return parley_sdk_percent_decode(v, (size_t)(stop - v), 1, out, outlen);
    }
    p = amp ? amp + 1 : end;
  }
  return PARLEY_ENOENT;
}
