/* parley core — failed-token counting per client address
 * (router_auth_limit.h). Entries sit in one fixed array, found through a
 * chained hash and kept in a least-recently-used list, both by index, so
 * memory never grows after new() and every operation is O(1) on average.
 * The hash is not keyed: a chain can never hold more than the table, so
 * the worst case an attacker can build is one bounded scan. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "router_auth_limit.h"

#define NIL (-1)

typedef struct entry {
  uint8_t key[16];
  unsigned failures;   /* wrong tokens counted */
  int64_t last_ms;     /* the latest of them */
  int64_t until_ms;    /* locked out before this time */
  int64_t lockout_ms;  /* the last lockout's length; 0: none yet */
  int32_t hnext;       /* hash chain, or the free list */
  int32_t prev, next;  /* LRU list: prev is more recent */
} entry_t;

struct parley_auth_limit {
  parley_auth_limit_conf_t conf;
  entry_t *v;
  int32_t *buckets;
  size_t cap, nbuckets, size;
  int32_t free_head;
  int32_t lru_head, lru_tail; /* most and least recently touched */
  uint64_t evicted;
};

parley_auth_limit_t *parley_auth_limit_new(const parley_auth_limit_conf_t *conf,
                                           size_t capacity) {
  if (capacity == 0)
    capacity = 1;
  if (capacity > INT32_MAX / 2)
    return NULL;
  parley_auth_limit_t *t = calloc(1, sizeof *t);
  if (!t)
    return NULL;
  t->conf = *conf;
  t->cap = capacity;
  for (t->nbuckets = 1; t->nbuckets < capacity; t->nbuckets <<= 1)
    ;
  t->v = calloc(capacity, sizeof *t->v);
  t->buckets = malloc(t->nbuckets * sizeof *t->buckets);
  if (!t->v || !t->buckets) {
    parley_auth_limit_free(t);
    return NULL;
  }
  for (size_t i = 0; i < t->nbuckets; i++)
    t->buckets[i] = NIL;
  for (size_t i = 0; i < capacity; i++)
    t->v[i].hnext = i + 1 < capacity ? (int32_t)(i + 1) : NIL;
  t->free_head = 0;
  t->lru_head = t->lru_tail = NIL;
  return t;
}

void parley_auth_limit_free(parley_auth_limit_t *t) {
  if (!t)
    return;
  free(t->v);
  free(t->buckets);
  free(t);
}

void parley_auth_limit_key(const uint8_t peer[16], uint8_t key[16]) {
  static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  memcpy(key, peer, 16);
  if (memcmp(peer, mapped, sizeof mapped) != 0)
    memset(key + 8, 0, 8); /* IPv6: its /64 */
}

static size_t bucket_of(const parley_auth_limit_t *t, const uint8_t key[16]) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (int i = 0; i < 16; i++)
    h = (h ^ key[i]) * 16777619u;
  return h & (t->nbuckets - 1);
}

static int32_t find(const parley_auth_limit_t *t, const uint8_t key[16]) {
  for (int32_t i = t->buckets[bucket_of(t, key)]; i != NIL; i = t->v[i].hnext)
    if (memcmp(t->v[i].key, key, 16) == 0)
      return i;
  return NIL;
}

static void lru_unlink(parley_auth_limit_t *t, int32_t i) {
  entry_t *e = &t->v[i];
  if (e->prev != NIL)
    t->v[e->prev].next = e->next;
  else
    t->lru_head = e->next;
  if (e->next != NIL)
    t->v[e->next].prev = e->prev;
  else
    t->lru_tail = e->prev;
}

static void lru_push_front(parley_auth_limit_t *t, int32_t i) {
  entry_t *e = &t->v[i];
  e->prev = NIL;
  e->next = t->lru_head;
  if (t->lru_head != NIL)
    t->v[t->lru_head].prev = i;
  t->lru_head = i;
  if (t->lru_tail == NIL)
    t->lru_tail = i;
}

/* Take entry i out of its chain and the LRU list onto the free list. */
static void drop(parley_auth_limit_t *t, int32_t i) {
  int32_t *link = &t->buckets[bucket_of(t, t->v[i].key)];
  while (*link != i)
    link = &t->v[*link].hnext;
  *link = t->v[i].hnext;
  lru_unlink(t, i);
  memset(&t->v[i], 0, sizeof t->v[i]);
  t->v[i].hnext = t->free_head;
  t->free_head = i;
  t->size--;
}

/* A fresh entry for key: a free one, else the least recently touched. */
static int32_t insert(parley_auth_limit_t *t, const uint8_t key[16]) {
  if (t->free_head == NIL) {
    drop(t, t->lru_tail);
    t->evicted++;
  }
  int32_t i = t->free_head;
  entry_t *e = &t->v[i];
  t->free_head = e->hnext;
  memset(e, 0, sizeof *e);
  memcpy(e->key, key, 16);
  size_t b = bucket_of(t, key);
  e->hnext = t->buckets[b];
  t->buckets[b] = i;
  lru_push_front(t, i);
  t->size++;
  return i;
}

/* Nothing happened for a window since the last failure and lockout. */
static int stale(const parley_auth_limit_t *t, const entry_t *e, int64_t now_ms) {
  int64_t since = e->until_ms > e->last_ms ? e->until_ms : e->last_ms;
  return now_ms - since >= t->conf.window_ms;
}

int64_t parley_auth_limit_check(parley_auth_limit_t *t, const uint8_t key[16], int64_t now_ms) {
  if (t->conf.failures == 0)
    return 0;
  int32_t i = find(t, key);
  if (i == NIL)
    return 0;
  if (stale(t, &t->v[i], now_ms)) {
    drop(t, i);
    return 0;
  }
  return now_ms < t->v[i].until_ms ? t->v[i].until_ms - now_ms : 0;
}

static int64_t next_lockout(const parley_auth_limit_t *t, int64_t last) {
  int64_t ms = last ? (last > t->conf.max_lockout_ms / 2 ? t->conf.max_lockout_ms : 2 * last)
                    : PARLEY_AUTH_LIMIT_FIRST_LOCKOUT_MS;
  return ms < t->conf.max_lockout_ms ? ms : t->conf.max_lockout_ms;
}

int64_t parley_auth_limit_fail(parley_auth_limit_t *t, const uint8_t key[16], int64_t now_ms,
                               unsigned *count) {
  if (t->conf.failures == 0) {
    if (count)
      *count = 0;
    return 0;
  }
  int32_t i = find(t, key);
  if (i != NIL && stale(t, &t->v[i], now_ms)) {
    drop(t, i);
    i = NIL;
  }
  if (i == NIL) {
    i = insert(t, key);
  } else {
    lru_unlink(t, i);
    lru_push_front(t, i);
  }
  entry_t *e = &t->v[i];
  if (e->failures < UINT_MAX)
    e->failures++;
  e->last_ms = now_ms;
  if (count)
    *count = e->failures;
  if (e->failures < t->conf.failures)
    return 0;
  e->lockout_ms = next_lockout(t, e->lockout_ms);
  e->until_ms = now_ms + e->lockout_ms;
  return e->lockout_ms;
}

void parley_auth_limit_success(parley_auth_limit_t *t, const uint8_t key[16]) {
  int32_t i = find(t, key);
  if (i != NIL)
    drop(t, i);
}

size_t parley_auth_limit_size(const parley_auth_limit_t *t) { return t->size; }
uint64_t parley_auth_limit_evicted(const parley_auth_limit_t *t) { return t->evicted; }
