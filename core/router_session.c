/* parley core — the session table (router_session.h). A flat array: a
 * deployment has tens of agents, not millions, and a linear scan with a
 * constant-time compare per entry keeps ids from leaking through timing. */
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "parley/error.h"
#include "router_session.h"
#include "util.h"

struct parley_session {
  char id[PARLEY_SESSION_ID_LEN + 1];
  char csrf[PARLEY_SESSION_ID_LEN + 1];
  char *agent;           /* NULL: a free slot */
  int64_t last_used_ms;
};

struct parley_sessions {
  parley_session_t *slots;
  size_t max;
  int64_t idle_ms;
};

int parley_random_hex(char *hex, size_t n) {
  static const char digits[] = "0123456789abcdef";
  unsigned char buf[64];
  if (n > sizeof buf)
    return PARLEY_EINVAL;
  size_t got = 0;
  while (got < n) {
    ssize_t k = getrandom(buf + got, n - got, 0);
    if (k < 0)
      return PARLEY_EIO;
    got += (size_t)k;
  }
  for (size_t i = 0; i < n; i++) {
    hex[2 * i] = digits[buf[i] >> 4];
    hex[2 * i + 1] = digits[buf[i] & 15];
  }
  hex[2 * n] = '\0';
  memset(buf, 0, sizeof buf);
  return 0;
}

parley_sessions_t *parley_sessions_new(size_t max, int64_t idle_ms) {
  parley_sessions_t *s = calloc(1, sizeof *s);
  if (!s || !(s->slots = calloc(max ? max : 1, sizeof *s->slots))) {
    free(s);
    return NULL;
  }
  s->max = max ? max : 1;
  s->idle_ms = idle_ms;
  return s;
}

static void slot_clear(parley_session_t *x) {
  free(x->agent);
  memset(x, 0, sizeof *x);
}

void parley_sessions_free(parley_sessions_t *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->max; i++)
    slot_clear(&s->slots[i]);
  free(s->slots);
  free(s);
}

/* A free slot, else the least recently used one (cleared). */
static parley_session_t *slot_for_new(parley_sessions_t *s) {
  parley_session_t *oldest = &s->slots[0];
  for (size_t i = 0; i < s->max; i++) {
    if (!s->slots[i].agent)
      return &s->slots[i];
    if (s->slots[i].last_used_ms < oldest->last_used_ms)
      oldest = &s->slots[i];
  }
  slot_clear(oldest);
  return oldest;
}

const parley_session_t *parley_sessions_create(parley_sessions_t *s, const char *agent,
                                               int64_t now_ms) {
  parley_session_t *x = slot_for_new(s);
  if (parley_random_hex(x->id, PARLEY_SESSION_ID_LEN / 2) != 0 ||
      parley_random_hex(x->csrf, PARLEY_SESSION_ID_LEN / 2) != 0 || !(x->agent = strdup(agent))) {
    slot_clear(x);
    return NULL;
  }
  x->last_used_ms = now_ms;
  return x;
}

static parley_session_t *slot_find(parley_sessions_t *s, const char *id) {
  if (!id || strlen(id) != PARLEY_SESSION_ID_LEN)
    return NULL;
  parley_session_t *hit = NULL;
  for (size_t i = 0; i < s->max; i++) /* no early exit: the time says nothing */
    if (s->slots[i].agent && parley_util_secret_eq(s->slots[i].id, id))
      hit = &s->slots[i];
  return hit;
}

const parley_session_t *parley_sessions_find(parley_sessions_t *s, const char *id,
                                             int64_t now_ms) {
  parley_session_t *x = slot_find(s, id);
  if (!x)
    return NULL;
  if (now_ms - x->last_used_ms > s->idle_ms) {
    slot_clear(x);
    return NULL;
  }
  x->last_used_ms = now_ms;
  return x;
}

void parley_sessions_drop(parley_sessions_t *s, const char *id) {
  parley_session_t *x = slot_find(s, id);
  if (x)
    slot_clear(x);
}

size_t parley_sessions_count(const parley_sessions_t *s) {
  size_t n = 0;
  for (size_t i = 0; i < s->max; i++)
    n += s->slots[i].agent != NULL;
  return n;
}

const char *parley_session_id(const parley_session_t *x) { return x->id; }
const char *parley_session_agent(const parley_session_t *x) { return x->agent; }
const char *parley_session_csrf(const parley_session_t *x) { return x->csrf; }
