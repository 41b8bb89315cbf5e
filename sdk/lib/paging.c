/* parley SDK — pagination helpers (paging.h). */
#include "parley/sdk/paging.h"

#include <stdio.h>
#include <string.h>

#include "parley/error.h"
#include "parley/sdk/json.h"

int parley_sdk_id_valid(const char *s) {
  if (s == NULL || *s == '\0')
    return 0;
  for (; *s; s++)
    if (*s < '0' || *s > '9')
      return 0;
  return 1;
}

int parley_sdk_id_cmp(const char *a, const char *b) {
  int va = parley_sdk_id_valid(a), vb = parley_sdk_id_valid(b);
  if (!va || !vb)
    return va - vb;
  while (a[0] == '0' && a[1])
    a++;
  while (b[0] == '0' && b[1])
    b++;
  size_t la = strlen(a), lb = strlen(b);
  if (la != lb)
    return la < lb ? -1 : 1;
  int c = strcmp(a, b);
  return (c > 0) - (c < 0);
}

static int parley_sdk_copy_token(const char *tok, char *buf, size_t buflen) {
  if (tok == NULL || *tok == '\0')
    return 0;
  int n = snprintf(buf, buflen, "%s", tok);
  return n < 0 || (size_t)n >= buflen ? PARLEY_ENOBUFS : n;
}

int parley_sdk_page_twitter_next(const json_t *resp, char *buf, size_t buflen) {
  return parley_sdk_copy_token(parley_sdk_json_str(resp, "meta.next_token", NULL), buf, buflen);
}

int parley_sdk_page_meta_next(const json_t *resp, char *buf, size_t buflen) {
  if (parley_sdk_json_str(resp, "paging.next", NULL) == NULL)
    return 0;
  return parley_sdk_copy_token(parley_sdk_json_str(resp, "paging.cursors.after", NULL), buf,
                               buflen);
}

int parley_sdk_page_tiktok_next(const json_t *resp, char *buf, size_t buflen) {
  if (!parley_sdk_json_bool(resp, "data.has_more", 0))
    return 0;
  /* The cursor is opaque but arrives as a number; pass it back verbatim. */
  int n = parley_sdk_json_id(resp, "data.cursor", buf, buflen);
  return n == PARLEY_ENOENT ? 0 : n;
}

int64_t parley_sdk_page_linkedin_next(const json_t *resp, int64_t start, int64_t count) {
  size_t n;
  parley_sdk_json_array(resp, "elements", &n);
  if (n == 0 || count <= 0 || (int64_t)n < count)
    return -1;
  int64_t total = parley_sdk_json_int(resp, "paging.total", -1);
  int64_t next = start + (int64_t)n;
  if (total >= 0 && next >= total)
    return -1;
  return next;
}

void parley_sdk_walk_begin(parley_sdk_walk_t *w, const char *checkpoint) {
  size_t max_pages = w->max_pages;
  int inclusive = w->inclusive;
  memset(w, 0, sizeof *w);
  w->max_pages = max_pages;
  w->inclusive = inclusive;
  if (checkpoint && strlen(checkpoint) < sizeof w->checkpoint)
    strcpy(w->checkpoint, checkpoint);
}

parley_sdk_walk_verdict_t parley_sdk_walk_item(parley_sdk_walk_t *w, const char *key) {
  if (w->checkpoint[0] && parley_sdk_id_valid(key)) {
    int c = parley_sdk_id_cmp(key, w->checkpoint);
    if (c < 0 || (c == 0 && !w->inclusive)) {
      w->reached = 1;
      return PARLEY_SDK_WALK_OLD;
    }
  }
  if (parley_sdk_id_valid(key) && strlen(key) < sizeof w->newest &&
      parley_sdk_id_cmp(key, w->newest) > 0)
    strcpy(w->newest, key);
  w->items++;
  return PARLEY_SDK_WALK_NEW;
}

int parley_sdk_walk_page(parley_sdk_walk_t *w, const char *next) {
  w->pages++;
  w->cursor[0] = '\0';
  /* First run: one page only (no history crawl); then stop at the
   * checkpoint, the page limit, or the last page. */
  if (w->checkpoint[0] == '\0' || w->reached || next == NULL || next[0] == '\0')
    return 0;
  if (w->max_pages && w->pages >= w->max_pages)
    return 0;
  if (strlen(next) >= sizeof w->cursor)
    return 0;
  strcpy(w->cursor, next);
  return 1;
}

const char *parley_sdk_walk_cursor(const parley_sdk_walk_t *w) {
  return w->cursor;
}

const char *parley_sdk_walk_checkpoint(const parley_sdk_walk_t *w) {
  return parley_sdk_id_cmp(w->newest, w->checkpoint) > 0 ? w->newest : w->checkpoint;
}
