/* parley core — request-head scanning and per-address connection counts
 * for the HTTP server (see http_server_limits.h). */
#include "http_server_limits.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "parley/error.h"

parley_head_state_t parley_head_scan(parley_head_scan_t *scan, const char *buf, size_t len,
                                     size_t max_line, size_t max_header_bytes,
                                     size_t max_headers) {
  size_t i = scan->pos, line_start;

  /* the start of the line being read: just past the previous '\n' */
  line_start = i;
  while (line_start > 0 && buf[line_start - 1] != '\n')
    line_start--;
  for (; i < len; i++) {
    if (buf[i] != '\n')
      continue;
    size_t content = i - line_start - (i > line_start && buf[i - 1] == '\r');
    if (!scan->line_end) {
      if (content == 0) { /* an empty line before the request line */
        line_start = i + 1;
        continue;
      }
      scan->line_end = i + 1;
    } else if (content == 0) {
      scan->pos = i + 1;
      return PARLEY_HEAD_COMPLETE;
    } else if (++scan->nheaders > max_headers) {
      scan->pos = i + 1;
      return PARLEY_HEAD_TOO_MANY;
    }
    line_start = i + 1;
  }
  scan->pos = len;
  if (!scan->line_end)
    return len - line_start > max_line ? PARLEY_HEAD_LINE_TOO_LONG : PARLEY_HEAD_PARTIAL;
  if (len - scan->line_end > max_header_bytes)
    return PARLEY_HEAD_TOO_LARGE;
  return PARLEY_HEAD_PARTIAL;
}

int parley_peer_key(const struct sockaddr *sa, uint8_t key[16]) {
  if (!sa)
    return PARLEY_EINVAL;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    memset(key, 0, 10);
    key[10] = key[11] = 0xff;
    memcpy(key + 12, &in->sin_addr, 4);
    return 0;
  }
  if (sa->sa_family == AF_INET6) {
    memcpy(key, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    return 0;
  }
  return PARLEY_EINVAL;
}

void parley_peer_format(const uint8_t key[16], char *buf, size_t buflen) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (!buflen)
    return;
  if (memcmp(key, mapped, 12) == 0) {
    if (!inet_ntop(AF_INET, key + 12, buf, (socklen_t)buflen))
      buf[0] = '\0';
  } else if (!inet_ntop(AF_INET6, key, buf, (socklen_t)buflen)) {
    buf[0] = '\0';
  }
}

#define PARLEY_PEER_BUCKETS 4096u

typedef struct parley_peer {
  uint8_t key[16];
  size_t count;
  struct parley_peer *next;
} parley_peer_t;

struct parley_peer_table {
  parley_peer_t *buckets[PARLEY_PEER_BUCKETS];
  size_t n;
};

static size_t peer_hash(const uint8_t key[16]) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (int i = 0; i < 16; i++)
    h = (h ^ key[i]) * 1099511628211ull;
  return (size_t)(h % PARLEY_PEER_BUCKETS);
}

parley_peer_table_t *parley_peer_table_new(void) { return calloc(1, sizeof(parley_peer_table_t)); }

void parley_peer_table_free(parley_peer_table_t *t) {
  if (!t)
    return;
  for (size_t b = 0; b < PARLEY_PEER_BUCKETS; b++) {
    parley_peer_t *p = t->buckets[b], *next;
    for (; p; p = next) {
      next = p->next;
      free(p);
    }
  }
  free(t);
}

static parley_peer_t **peer_find(parley_peer_table_t *t, const uint8_t key[16]) {
  parley_peer_t **pp = &t->buckets[peer_hash(key)];
  while (*pp && memcmp((*pp)->key, key, 16) != 0)
    pp = &(*pp)->next;
  return pp;
}

size_t parley_peer_count(const parley_peer_table_t *t, const uint8_t key[16]) {
  parley_peer_t *const *pp = peer_find((parley_peer_table_t *)t, key);
  return *pp ? (*pp)->count : 0;
}

int parley_peer_add(parley_peer_table_t *t, const uint8_t key[16]) {
  parley_peer_t **pp = peer_find(t, key);
  if (!*pp) {
    if (!(*pp = calloc(1, sizeof **pp)))
      return PARLEY_ENOMEM;
    memcpy((*pp)->key, key, 16);
    t->n++;
  }
  return (int)++(*pp)->count;
}

void parley_peer_remove(parley_peer_table_t *t, const uint8_t key[16]) {
  parley_peer_t **pp = peer_find(t, key), *p = *pp;
  if (!p)
    return;
  if (--p->count == 0) {
    *pp = p->next;
    free(p);
    t->n--;
  }
}

size_t parley_peer_addresses(const parley_peer_table_t *t) { return t->n; }
