/* tiktok — a video's checkpoint: the newest create_time taken and the ids
 * taken at exactly that time.
 *
 * TikTok gives comment times in whole seconds and documents no order of
 * its ids (§4.1), so neither "newer than a time" (loses a comment of the
 * same second that arrived after a poll) nor "newer or equal" (re-reads the
 * last ones on every poll) is right alone. The cursor keeps both: an item is
 * new when it is later than the time, or at the time and not among the ids
 * already taken. Every id of that second is kept (a burst of comments in
 * one second must not be re-read), so the value grows with the burst. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiktok.h"

void parley_tiktok_cursor_init(parley_tiktok_cursor_t *c) { memset(c, 0, sizeof *c); }

void parley_tiktok_cursor_free(parley_tiktok_cursor_t *c) {
  free(c->ids);
  parley_tiktok_cursor_init(c);
}

/* Append ",id" (or "id" first); 0 or PARLEY_ENOMEM. */
static int append(parley_tiktok_cursor_t *c, const char *id, size_t n) {
  if (c->len + n + 2 > c->cap) {
    size_t cap = (c->len + n + 2) * 2;
    char *grown = realloc(c->ids, cap);
    if (!grown)
      return PARLEY_ENOMEM;
    c->ids = grown;
    c->cap = cap;
  }
  if (c->len)
    c->ids[c->len++] = ',';
  memcpy(c->ids + c->len, id, n);
  c->len += n;
  c->ids[c->len] = '\0';
  return 0;
}

static int contains(const parley_tiktok_cursor_t *c, const char *id) {
  size_t n = strlen(id);
  for (const char *p = c->ids; p && *p;) {
    size_t len = strcspn(p, ",");
    if (len == n && memcmp(p, id, n) == 0)
      return 1;
    p += len;
    p += *p == ',';
  }
  return 0;
}

int parley_tiktok_cursor_parse(parley_tiktok_cursor_t *c, const char *s) {
  parley_tiktok_cursor_free(c);
  char *end = NULL;
  if (!s || !*s)
    return 0;
  long long ms = strtoll(s, &end, 10);
  if (ms <= 0 || !end || (*end != ':' && *end != '\0'))
    return 0;
  c->ms = ms;
  for (const char *p = *end == ':' ? end + 1 : end; *p;) {
    size_t len = strcspn(p, ",");
    if (len > 0 && append(c, p, len) != 0)
      return PARLEY_ENOMEM;
    p += len;
    p += *p == ',';
  }
  return 0;
}

int parley_tiktok_cursor_copy(parley_tiktok_cursor_t *dst, const parley_tiktok_cursor_t *src) {
  parley_tiktok_cursor_free(dst);
  dst->ms = src->ms;
  return src->len ? append(dst, src->ids, src->len) : 0;
}

int parley_tiktok_cursor_is_new(const parley_tiktok_cursor_t *c, int64_t ms, const char *id) {
  if (ms != c->ms)
    return ms > c->ms;
  return !contains(c, id ? id : "");
}

int parley_tiktok_cursor_take(parley_tiktok_cursor_t *c, int64_t ms, const char *id) {
  if (ms < c->ms || !id || !*id || strchr(id, ',') || strchr(id, ':'))
    return 0;
  if (ms > c->ms) {
    c->ms = ms;
    c->len = 0;
    if (c->ids)
      c->ids[0] = '\0';
  }
  return contains(c, id) ? 0 : append(c, id, strlen(id));
}

char *parley_tiktok_cursor_format(const parley_tiktok_cursor_t *c) {
  size_t len = c->len + 32;
  char *out = malloc(len);
  if (out)
    snprintf(out, len, "%" PRId64 ":%s", c->ms, c->ids ? c->ids : "");
  return out;
}
