/* parley-sim — tokens per platform and the credential check every
 * platform module shares. Token values are never logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sim_internal.h"

struct parley_sim_tokens {
  parley_sim_token_t *v;
  size_t n, cap;
  uint64_t seq;     /* issue order; times can tie within a millisecond */
  uint64_t *seqs;   /* issue order of v[i] */
  /* Per platform: tokens issued up to this sequence number are expired. */
  struct {
    char platform[32];
    uint64_t upto;
  } expired[PARLEY_SIM_MAX_PLATFORMS];
  size_t nexpired;
};

int parley_sim_tokens_new(parley_sim_tokens_t **out) {
  *out = calloc(1, sizeof **out);
  return *out ? 0 : PARLEY_ENOMEM;
}

static void parley_sim_token_clear(parley_sim_token_t *t) {
  free(t->platform);
  free(t->token);
  free(t->kind);
  free(t->scopes);
  free(t->user_id);
}

void parley_sim_tokens_free(parley_sim_tokens_t *t) {
  if (!t) return;
  for (size_t i = 0; i < t->n; i++) parley_sim_token_clear(&t->v[i]);
  free(t->v);
  free(t->seqs);
  free(t);
}

static char *parley_sim_dup(const char *s) { return s ? strdup(s) : NULL; }

int parley_sim_token_add(parley_sim_t *sim, const char *platform, const char *token,
                         const char *kind, const char *scopes, const char *user_id,
                         uint64_t expires_in_s) {
  parley_sim_tokens_t *ts = sim->tokens;
  if (!platform || !token || !*token) return PARLEY_EINVAL;
  if (ts->n == ts->cap) {
    size_t cap = ts->cap ? ts->cap * 2 : 16;
    parley_sim_token_t *nv = realloc(ts->v, cap * sizeof *nv);
    if (!nv) return PARLEY_ENOMEM;
    ts->v = nv;
    uint64_t *ns = realloc(ts->seqs, cap * sizeof *ns);
    if (!ns) return PARLEY_ENOMEM;
    ts->seqs = ns;
    ts->cap = cap;
  }
  parley_sim_token_t *t = &ts->v[ts->n];
  memset(t, 0, sizeof *t);
  t->platform = strdup(platform);
  t->token = strdup(token);
  t->kind = strdup(kind ? kind : "user");
  t->scopes = parley_sim_dup(scopes);
  t->user_id = parley_sim_dup(user_id);
  t->issued_ms = parley_sim_now_ms();
  t->expires_ms = expires_in_s ? t->issued_ms + expires_in_s * 1000u : 0;
  if (!t->platform || !t->token || !t->kind || (scopes && !t->scopes) ||
      (user_id && !t->user_id)) {
    parley_sim_token_clear(t);
    return PARLEY_ENOMEM;
  }
  ts->seqs[ts->n++] = ++ts->seq;
  return 0;
}

const char *parley_sim_token_issue(parley_sim_t *sim, const char *platform, const char *prefix,
                                   const char *kind, const char *scopes, const char *user_id,
                                   uint64_t expires_in_s, char *buf, size_t len) {
  snprintf(buf, len, "%s%016llx%016llx", prefix ? prefix : "",
           (unsigned long long)parley_sim_random(sim), (unsigned long long)parley_sim_random(sim));
  if (parley_sim_token_add(sim, platform, buf, kind, scopes, user_id, expires_in_s) != 0)
    return NULL;
  return buf;
}

static parley_sim_token_t *parley_sim_token_lookup(parley_sim_t *sim, const char *platform,
                                                   const char *token) {
  parley_sim_tokens_t *ts = sim->tokens;
  /* Newest first: a re-added token value wins over an older record. */
  for (size_t i = ts->n; i-- > 0;)
    if (!strcmp(ts->v[i].platform, platform) && !strcmp(ts->v[i].token, token)) return &ts->v[i];
  return NULL;
}

void parley_sim_token_revoke(parley_sim_t *sim, const char *platform, const char *token) {
  parley_sim_token_t *t = parley_sim_token_lookup(sim, platform, token);
  if (t) t->revoked = 1;
}

void parley_sim_tokens_expire(parley_sim_t *sim, const char *platform) {
  parley_sim_tokens_t *ts = sim->tokens;
  for (size_t i = 0; i < ts->nexpired; i++)
    if (!strcmp(ts->expired[i].platform, platform)) {
      ts->expired[i].upto = ts->seq;
      return;
    }
  if (ts->nexpired == PARLEY_SIM_MAX_PLATFORMS) return;
  snprintf(ts->expired[ts->nexpired].platform, sizeof ts->expired[0].platform, "%s", platform);
  ts->expired[ts->nexpired++].upto = ts->seq;
}

static uint64_t parley_sim_expired_upto(parley_sim_t *sim, const char *platform) {
  parley_sim_tokens_t *ts = sim->tokens;
  for (size_t i = 0; i < ts->nexpired; i++)
    if (!strcmp(ts->expired[i].platform, platform)) return ts->expired[i].upto;
  return 0;
}

parley_sim_auth_t parley_sim_auth(parley_sim_t *sim, const char *platform,
                                  const char *credentials, const parley_sim_token_t **tok) {
  const char *t = credentials;
  if (tok) *tok = NULL;
  if (!t) return PARLEY_SIM_AUTH_MISSING;
  while (*t == ' ') t++;
  if (!*t) return PARLEY_SIM_AUTH_MISSING;
  if (!strncasecmp(t, "Bearer ", 7)) {
    t += 7;
    while (*t == ' ') t++;
  }
  parley_sim_token_t *rec = parley_sim_token_lookup(sim, platform, t);
  if (!rec || rec->revoked) return PARLEY_SIM_AUTH_INVALID;
  if (tok) *tok = rec;
  uint64_t now = parley_sim_now_ms();
  uint64_t seq = sim->tokens->seqs[rec - sim->tokens->v];
  /* Expiring a platform's tokens ends access tokens; refresh tokens live
   * on, so a client can recover as it would on the platform. */
  int forced = strcmp(rec->kind, "refresh") && seq <= parley_sim_expired_upto(sim, platform);
  if ((rec->expires_ms && now >= rec->expires_ms) || forced)
    return PARLEY_SIM_AUTH_EXPIRED;
  return PARLEY_SIM_AUTH_OK;
}
