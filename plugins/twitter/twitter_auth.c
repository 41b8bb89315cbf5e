/* twitter — credentials: refused tokens, health, and the OAuth 2 refresh.
 *
 * A 401 on any call (expired, revoked or garbage token: X answers the same
 * body for all, §1) makes the instance unhealthy once, with one error naming
 * the endpoint and which token (never its value); the core turns that into a
 * system event. The pollers keep trying on their backoff, so a replaced token
 * or a recovered platform makes the instance healthy again without a restart.
 *
 * With refresh_token and client_id configured, a refused user token is first
 * renewed at POST /2/oauth2/token (grant_type=refresh_token, §1b). Refresh
 * tokens rotate: the new pair is stored at once through the checkpoint store
 * (the journal) and committed, and read back at start, so a restart never
 * reuses a spent refresh token. Tokens are never logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/sdk/encode.h"
#include "parley/sdk/json.h"
#include "parley/sdk/query.h"
#include "twitter.h"

#define CK_ACCESS "oauth.access_token"
#define CK_REFRESH "oauth.refresh_token"
#define TW_TOKEN_MAX 2048

static void wipe_free(char *s) {
  if (!s)
    return;
  volatile char *p = s;
  while (*p)
    *p++ = '\0';
  free(s);
}

static int can_refresh(const parley_twitter_t *tw) {
  const char *rt = tw->refresh_token ? tw->refresh_token : tw->cfg->refresh_token;
  return rt && *rt && tw->cfg->client_id && *tw->cfg->client_id;
}

static void update_health(parley_twitter_t *tw, const char *reason) {
  int bad = tw->auth_bad_user || tw->auth_bad_app;
  tw->host->set_health(tw->inst, !bad, reason);
}

/* Report a refused token once per token kind. */
static void report(parley_twitter_t *tw, int user_context, const char *endpoint, long status,
                   const char *detail) {
  int *flag = user_context ? &tw->auth_bad_user : &tw->auth_bad_app;
  tw->host->counter_add(tw->inst, "twitter_auth_failures_total", 1);
  if (*flag)
    return;
  char msg[PARLEY_ERROR_MAX];
  snprintf(msg, sizeof msg,
           "twitter: %s refused the %s (HTTP %ld: %s); re-authorize the account or replace "
           "the %s option",
           endpoint ? endpoint : "the platform", user_context ? "user access token" : "bearer token",
           status, detail && *detail ? detail : "Unauthorized",
           user_context ? "user_access_token" : "bearer_token");
  /* one error per outage: the core logs the first as "unhealthy: <msg>"
   * and emits the system event; a second token refused meanwhile is a
   * warning */
  if (tw->auth_bad_user || tw->auth_bad_app)
    tw->host->log(tw->inst, PARLEY_LOG_WARN, "%s", msg);
  *flag = 1;
  update_health(tw, msg);
}

static void keep_tokens(parley_twitter_t *tw, const char *access, const char *refresh) {
  char *a = strdup(access), *r = refresh ? strdup(refresh) : NULL;
  if (!a || (refresh && !r)) {
    free(a);
    free(r);
    return;
  }
  wipe_free(tw->access_token);
  tw->access_token = a;
  if (r) {
    wipe_free(tw->refresh_token);
    tw->refresh_token = r;
  }
  if (tw->user)
    parley_sdk_http_set_token(tw->user, a);
}

static void on_refresh(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data) {
  parley_twitter_t *tw = data;
  (void)c;
  tw->refreshing = 0;
  tw->refresh_op = NULL;
  if (tw->stopping)
    return;
  const char *access = parley_sdk_json_str(r->json, "access_token", NULL);
  const char *refresh = parley_sdk_json_str(r->json, "refresh_token", NULL);
  if (r->status < 0 || !access || !*access) {
    /* a spent or revoked refresh token: only a new authorization helps */
    report(tw, 1, "POST /2/oauth2/token", r->http_status,
           r->status < 0 ? r->error->message : "no access_token in the answer");
    return;
  }
  keep_tokens(tw, access, refresh);
  tw->host->checkpoint_set(tw->inst, CK_ACCESS, access);
  if (refresh)
    tw->host->checkpoint_set(tw->inst, CK_REFRESH, refresh);
  tw->host->commit(tw->inst, NULL, NULL);
  tw->host->counter_add(tw->inst, "twitter_token_refreshes_total", 1);
  tw->host->log(tw->inst, PARLEY_LOG_INFO, "user access token refreshed");
  parley_twitter_auth_ok(tw, 1);
  for (size_t i = 0; i < tw->nsources; i++)
    parley_twitter_source_poll_now(tw->sources[i]);
}

/* "Authorization: Basic base64(client_id:client_secret)" into buf. */
static int basic_header(const parley_twitter_config_t *c, char *buf, size_t len) {
  char pair[512];
  int n = snprintf(pair, sizeof pair, "%s:%s", c->client_id, c->client_secret);
  if (n < 0 || (size_t)n >= sizeof pair)
    return PARLEY_ENOBUFS;
  int w = snprintf(buf, len, "Authorization: Basic ");
  int e = parley_sdk_base64_encode((const uint8_t *)pair, (size_t)n, buf + w, len - (size_t)w);
  memset(pair, 0, sizeof pair);
  return e < 0 ? e : 0;
}

static void start_refresh(parley_twitter_t *tw) {
  const parley_twitter_config_t *c = tw->cfg;
  char url[600], basic[800];
  const char *headers[2] = {NULL, NULL};
  parley_sdk_query_t form;
  parley_sdk_query_init_form(&form);
  parley_sdk_query_add(&form, "grant_type", "refresh_token");
  parley_sdk_query_add(&form, "refresh_token", tw->refresh_token ? tw->refresh_token : c->refresh_token);
  parley_sdk_query_add(&form, "client_id", c->client_id);
  const char *body = parley_sdk_query_str(&form);
  if (c->client_secret && *c->client_secret && basic_header(c, basic, sizeof basic) == 0)
    headers[0] = basic; /* confidential client */
  snprintf(url, sizeof url, "%s/2/oauth2/token", tw->base);
  parley_sdk_http_call_t call = {.method = "POST", .url = url, .endpoint = "POST /2/oauth2/token",
                                 .body = body, .body_len = body ? strlen(body) : 0,
                                 .headers = headers, .no_auth = 1};
  tw->refreshing = body && parley_sdk_http_send(tw->app, &call, on_refresh, tw, &tw->refresh_op) == 0;
  memset(basic, 0, sizeof basic);
  if (form.buf)
    memset(form.buf, 0, form.len);
  parley_sdk_query_free(&form);
}

int parley_twitter_auth_failed(parley_twitter_t *tw, const parley_sdk_http_result_t *r,
                               int user_context) {
  if (!r->error || !r->error->is_auth)
    return 0;
  int user_token = user_context && tw->cfg->user_access_token && *tw->cfg->user_access_token;
  /* after a failed refresh only a new authorization helps: do not loop */
  if (user_token && can_refresh(tw) && !tw->auth_bad_user) {
    if (!tw->refreshing && !tw->stopping)
      start_refresh(tw);
    return 1;
  }
  report(tw, user_token, r->endpoint, r->http_status, r->error->message);
  return 1;
}

void parley_twitter_auth_ok(parley_twitter_t *tw, int user_context) {
  int user_token = user_context && tw->cfg->user_access_token && *tw->cfg->user_access_token;
  int *flag = user_token ? &tw->auth_bad_user : &tw->auth_bad_app;
  if (!*flag)
    return;
  *flag = 0;
  tw->host->log(tw->inst, PARLEY_LOG_INFO, "the %s is accepted again",
                user_token ? "user access token" : "bearer token");
  update_health(tw, "credentials accepted again");
}

void parley_twitter_auth_load(parley_twitter_t *tw) {
  char *buf = malloc(TW_TOKEN_MAX), *rbuf = malloc(TW_TOKEN_MAX);
  if (buf && rbuf && tw->cfg->user_access_token && *tw->cfg->user_access_token &&
      tw->host->checkpoint_get(tw->inst, CK_ACCESS, buf, TW_TOKEN_MAX) > 0) {
    int have_refresh = tw->host->checkpoint_get(tw->inst, CK_REFRESH, rbuf, TW_TOKEN_MAX) > 0;
    keep_tokens(tw, buf, have_refresh ? rbuf : NULL);
  }
  if (buf)
    memset(buf, 0, TW_TOKEN_MAX);
  if (rbuf)
    memset(rbuf, 0, TW_TOKEN_MAX);
  free(buf);
  free(rbuf);
}

void parley_twitter_auth_free(parley_twitter_t *tw) {
  wipe_free(tw->access_token);
  wipe_free(tw->refresh_token);
  tw->access_token = tw->refresh_token = NULL;
}
