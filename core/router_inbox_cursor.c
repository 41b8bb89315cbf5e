/* parley core — the inbox's keyset cursor and percent-decoding of the
 * conversation id in a path (router_inbox.h). The cursor is opaque to
 * clients; it carries the sort keys of the last row of a page, so the next
 * page starts strictly after it whatever was written in between (no
 * OFFSET: no duplicates or gaps when rows arrive while paging). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router_inbox.h"
#include "util.h"

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *b64_encode(const unsigned char *in, size_t n) {
  char *out = malloc((n + 2) / 3 * 4 + 1), *p = out;
  if (!out)
    return NULL;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
                 (i + 2 < n ? in[i + 2] : 0);
    *p++ = b64url[v >> 18 & 63];
    *p++ = b64url[v >> 12 & 63];
    if (i + 1 < n)
      *p++ = b64url[v >> 6 & 63];
    if (i + 2 < n)
      *p++ = b64url[v & 63];
  }
  *p = '\0';
  return out;
}

static int b64_value(char c) {
  const char *p = c ? strchr(b64url, c) : NULL;
  return p ? (int)(p - b64url) : -1;
}

/* NUL-terminated result in a malloc'd buffer; NULL for bad input (*nomem
 * tells the two apart). */
static char *b64_decode(const char *in, int *nomem) {
  size_t n = strlen(in);
  *nomem = 0;
  if (n % 4 == 1)
    return NULL;
  char *out = malloc(n / 4 * 3 + 3), *p = out;
  if (!out) {
    *nomem = 1;
    return NULL;
  }
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; i++) {
    int v = b64_value(in[i]);
    if (v < 0) {
      free(out);
      return NULL;
    }
    acc = acc << 6 | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      *p++ = (char)(acc >> bits & 0xff);
    }
  }
  *p = '\0';
  /* an embedded NUL cannot come from the encoder */
  if (strlen(out) != (size_t)(p - out)) {
    free(out);
    return NULL;
  }
  return out;
}

char *parley_inbox_cursor_encode(const parley_inbox_key_t *k) {
  char *plain = parley_asprintf("1|%s|%" PRId64 "|%s|%s", k->sla, k->prio, k->inbound, k->id);
  char *out = plain ? b64_encode((const unsigned char *)plain, strlen(plain)) : NULL;
  free(plain);
  return out;
}

void parley_inbox_key_clear(parley_inbox_key_t *k) {
  free(k->sla);
  free(k->inbound);
  free(k->id);
  *k = (parley_inbox_key_t){0};
}

/* A time key: "~" or an ISO-8601 time, no separator inside. */
static int key_time_ok(const char *s) {
  if (strcmp(s, "~") == 0)
    return 1;
  if (strlen(s) < 10 || strlen(s) > 40)
    return 0;
  for (; *s; s++)
    if (!strchr("0123456789-:.TZ+", *s))
      return 0;
  return 1;
}

static int split_key(char *plain, parley_inbox_key_t *k) {
  char *f[4];
  char *p = plain;
  if (strncmp(p, "1|", 2) != 0)
    return PARLEY_EINVAL;
  p += 2;
  for (int i = 0; i < 3; i++) { /* the id, last, may hold '|' */
    f[i] = p;
    if (!(p = strchr(p, '|')))
      return PARLEY_EINVAL;
    *p++ = '\0';
  }
  f[3] = p;
  char *end;
  errno = 0;
  long long prio = strtoll(f[1], &end, 10);
  if (!*f[1] || *end || errno || prio < -100 || prio > 1 || !key_time_ok(f[0]) ||
      !key_time_ok(f[2]) || !*f[3])
    return PARLEY_EINVAL;
  k->prio = prio;
  k->sla = parley_strdup(f[0]);
  k->inbound = parley_strdup(f[2]);
  k->id = parley_strdup(f[3]);
  return k->sla && k->inbound && k->id ? 0 : PARLEY_ENOMEM;
}

int parley_inbox_cursor_decode(const char *cursor, parley_inbox_key_t *k) {
  int nomem;
  *k = (parley_inbox_key_t){0};
  char *plain = cursor ? b64_decode(cursor, &nomem) : NULL;
  if (!plain)
    return cursor && nomem ? PARLEY_ENOMEM : PARLEY_EINVAL;
  int rc = split_key(plain, k);
  free(plain);
  if (rc)
    parley_inbox_key_clear(k);
  return rc;
}

static int hex(char c) {
  return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                : -1;
}

int parley_url_decode(const char *in, char *out, size_t len) {
  size_t n = 0;
  for (; *in; in++) {
    int c = (unsigned char)*in;
    if (c == '%') {
      int hi = hex(in[1]), lo = hi >= 0 ? hex(in[2]) : -1;
      if (lo < 0 || (hi == 0 && lo == 0))
        return PARLEY_EINVAL;
      c = hi << 4 | lo;
      in += 2;
    }
    if (n + 1 >= len)
      return PARLEY_ENOBUFS;
    out[n++] = (char)c;
  }
  if (len == 0)
    return PARLEY_ENOBUFS;
  out[n] = '\0';
  return (int)n;
}
