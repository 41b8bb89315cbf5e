/* tiktok — credentials: refused tokens, health, and the OAuth refresh.
 *
 * Access tokens live 24 h, refresh tokens 365 days (§1.1). With
 * refresh_token, client_key and client_secret configured, a refused token
 * (401xx, §6.1) is renewed at POST tt_user/oauth2/refresh_token/, and every
 * refresh arms a timer that renews the next token before it expires. The new
 * pair is stored at once through the checkpoint store (the journal) and
 * read back at start (while the configured token is still the one they
 * were refreshed from), so a restart never goes back to a spent token.
 *
 * A token that cannot be renewed (no refresh credentials, or the refresh
 * failed) makes the instance unhealthy once, naming the endpoint and code
 * but never a token; the core turns that into a system event. The poller
 * keeps trying on its backoff and a failed refresh is tried again after
 * 10 s, doubling to 10 min, so the instance recovers by itself when the
 * platform accepts it again. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parley/sdk/encode.h"
#include "parley/sdk/json.h"
#include "parley/sdk/webhook.h"
#include "tiktok.h"

#define CK_ACCESS "oauth.access_token"
#define CK_REFRESH "oauth.refresh_token"
#define CK_ORIGIN "oauth.configured"
#define TT_REFRESH_RETRY_MS 10000
#define TT_REFRESH_RETRY_MAX_MS (10 * 60 * 1000)
#define TT_REFRESH_EARLY_MIN_MS 1000

static const char *refresh_token(const parley_tiktok_t *t) {
  return t->refresh_token ? t->refresh_token : t->cfg->refresh_token;
}

static int can_refresh(const parley_tiktok_t *t) {
  const char *rt = refresh_token(t);
  return rt && *rt && t->cfg->client_key && *t->cfg->client_key && t->cfg->client_secret &&
         *t->cfg->client_secret;
}

/* Unhealthy once per outage; later refusals only count. */
static void report(parley_tiktok_t *t, const char *msg) {
  parley_tiktok_count(t, "auth_failures_total", 1);
  if (t->auth_bad)
    return;
  t->auth_bad = 1;
  t->host->set_health(t->inst, 0, msg);
}

static void report_refused(parley_tiktok_t *t, const char *endpoint, const parley_sdk_error_t *e,
                           const char *advice) {
  char msg[PARLEY_ERROR_MAX];
  snprintf(msg, sizeof msg, "tiktok: %s refused the access token (code %s: %.200s); %s",
           endpoint ? endpoint : "the platform", e->platform_code[0] ? e->platform_code : "-",
           e->message, advice);
  report(t, msg);
}

static void keep_tokens(parley_tiktok_t *t, const char *access, const char *refresh) {
  char *a = strdup(access), *r = refresh && *refresh ? strdup(refresh) : NULL;
  if (!a || (refresh && *refresh && !r)) {
    free(a);
    free(r);
    return;
  }
  parley_tiktok_wipe_free(t->access_token);
  t->access_token = a;
  if (r) { /* whether TikTok rotates it is unverified (§1.1): keep what came */
    parley_tiktok_wipe_free(t->refresh_token);
    t->refresh_token = r;
  }
  if (t->http)
    parley_sdk_http_set_token(t->http, a);
}

/* A fingerprint of the configured access token (not reversible): refreshed
 * tokens are reused after a restart only while the operator has not put a
 * new token into the config since. */
static void origin(const parley_tiktok_t *t, char out[PARLEY_SDK_HEX_LEN(16)]) {
  uint8_t mac[PARLEY_SDK_SHA256_LEN];
  const char *tok = t->cfg->access_token;
  parley_sdk_hmac_sha256("parley-tiktok-token-origin", 26, tok, strlen(tok), mac);
  parley_sdk_hex_encode(mac, 16, out, PARLEY_SDK_HEX_LEN(16));
}

static void start_refresh(parley_tiktok_t *t);

static void on_timer(parley_timer_t *timer, void *data) {
  parley_tiktok_t *t = data;
  t->host->timer_stop(timer);
  t->refresh_timer = NULL;
  if (!t->refreshing && !t->stopping) {
    t->refresh_early = 1;
    start_refresh(t);
  }
}

/* Renew shortly before the new token expires (at 90 % of its life). */
static void arm_early_refresh(parley_tiktok_t *t, int64_t expires_in_s) {
  if (expires_in_s <= 0)
    return;
  uint64_t ms = (uint64_t)expires_in_s * 900u;
  if (ms < TT_REFRESH_EARLY_MIN_MS)
    ms = TT_REFRESH_EARLY_MIN_MS;
  if (t->refresh_timer)
    t->host->timer_stop(t->refresh_timer);
  t->refresh_timer = t->host->timer_start(t->inst, ms, 0, on_timer, t);
}

static void refresh_failed(parley_tiktok_t *t, const parley_sdk_http_result_t *r, int early) {
  if (early) {
    /* the current token still works: warn and try again later, and leave
     * health to the calls (a refusal then refreshes and reports) */
    t->host->log(t->inst, PARLEY_LOG_WARN, "early token refresh failed (HTTP %ld, code %s: "
                 "%.200s); trying again in 10 min", r->http_status,
                 r->error->platform_code[0] ? r->error->platform_code : "-", r->error->message);
    arm_early_refresh(t, TT_REFRESH_RETRY_MAX_MS / 900);
    return;
  }
  unsigned n = ++t->refresh_failures;
  int64_t wait = TT_REFRESH_RETRY_MS;
  for (unsigned i = 1; i < n && wait < TT_REFRESH_RETRY_MAX_MS; i++)
    wait *= 2;
  if (wait > TT_REFRESH_RETRY_MAX_MS)
    wait = TT_REFRESH_RETRY_MAX_MS;
  t->refresh_not_before = t->host->wall_ms(t->inst) + wait;
  char msg[PARLEY_ERROR_MAX];
  snprintf(msg, sizeof msg, "tiktok: the access token expired and POST tt_user/oauth2/"
           "refresh_token/ failed (HTTP %ld, code %s: %.200s); retrying in %lld s, re-authorize "
           "the account if it keeps failing", r->http_status,
           r->error->platform_code[0] ? r->error->platform_code : "-", r->error->message,
           (long long)(wait / 1000));
  if (t->auth_bad) /* already reported: one error per outage */
    t->host->log(t->inst, PARLEY_LOG_WARN, "%s", msg);
  report(t, msg);
}

static void on_refresh(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data) {
  parley_tiktok_t *t = data;
  (void)c;
  t->refreshing = 0;
  if (t->stopping || r->status == PARLEY_ECANCELED)
    return;
  int early = t->refresh_early;
  t->refresh_early = 0;
  const char *access = parley_sdk_json_str(r->json, "data.access_token", NULL);
  if (r->status < 0 || !access || !*access) {
    refresh_failed(t, r, early);
    return;
  }
  keep_tokens(t, access, parley_sdk_json_str(r->json, "data.refresh_token", NULL));
  t->host->checkpoint_set(t->inst, CK_ACCESS, access);
  if (t->refresh_token)
    t->host->checkpoint_set(t->inst, CK_REFRESH, t->refresh_token);
  char fp[PARLEY_SDK_HEX_LEN(16)];
  origin(t, fp);
  t->host->checkpoint_set(t->inst, CK_ORIGIN, fp);
  t->host->commit(t->inst, NULL, NULL);
  t->refresh_failures = 0;
  t->refresh_not_before = 0;
  parley_tiktok_count(t, "token_refreshes_total", 1);
  t->host->log(t->inst, PARLEY_LOG_INFO, "access token refreshed");
  arm_early_refresh(t, parley_sdk_json_int(r->json, "data.expires_in", 0));
  parley_tiktok_auth_ok(t);
  parley_sdk_poll_now(t->poll);
}

static void start_refresh(parley_tiktok_t *t) {
  char *url = parley_tiktok_url(t, "tt_user/oauth2/refresh_token/");
  json_t *body = json_pack("{s:s,s:s,s:s,s:s}", "client_id", t->cfg->client_key,
                           "client_secret", t->cfg->client_secret, "grant_type",
                           "refresh_token", "refresh_token", refresh_token(t));
  parley_sdk_http_call_t call = {.method = "POST", .url = url,
                                 .endpoint = "POST tt_user/oauth2/refresh_token",
                                 .json = body, .no_auth = 1};
  t->refreshing = url && body && t->http &&
                  parley_sdk_http_send(t->http, &call, on_refresh, t, NULL) == 0;
  if (!t->refreshing)
    t->refresh_early = 0;
  json_decref(body);
  free(url);
}

void parley_tiktok_auth_failed(parley_tiktok_t *t, const parley_sdk_http_result_t *r) {
  if (!can_refresh(t)) {
    report_refused(t, r->endpoint, r->error,
                   "re-authorize the account and replace the access_token option (or configure "
                   "refresh_token, client_key and client_secret)");
    return;
  }
  if (t->refreshing)
    return;
  if (t->host->wall_ms(t->inst) < t->refresh_not_before) {
    parley_tiktok_count(t, "auth_failures_total", 1); /* still unhealthy: reported */
    return;
  }
  start_refresh(t);
}

void parley_tiktok_auth_denied(parley_tiktok_t *t, const parley_sdk_http_result_t *r) {
  char msg[PARLEY_ERROR_MAX];
  snprintf(msg, sizeof msg, "tiktok: %s refused (code 40001: %.200s); check business_id and "
           "re-authorize the account with the scopes video.list, comment.list and "
           "comment.list.manage", r->endpoint ? r->endpoint : "the platform", r->error->message);
  report(t, msg);
}

void parley_tiktok_auth_ok(parley_tiktok_t *t) {
  if (!t->auth_bad)
    return;
  t->auth_bad = 0;
  t->revoked = 0;
  t->host->log(t->inst, PARLEY_LOG_INFO, "the access token is accepted again");
  t->host->set_health(t->inst, 1, "access token accepted again");
}

void parley_tiktok_auth_revoked(parley_tiktok_t *t, int64_t reason) {
  static const char *const why[] = {"unknown reason", "the user disconnected the app",
                                    "the account was deleted", "the user's age changed",
                                    "the account was banned", "the developer revoked it"};
  char msg[PARLEY_ERROR_MAX];
  const char *text = reason >= 0 && reason <= 5 ? why[reason] : "unknown reason";
  snprintf(msg, sizeof msg, "tiktok: authorization.removed for business account %s (reason "
           "%lld: %s); re-authorize the account", t->cfg->business_id, (long long)reason, text);
  t->revoked = 1;
  report(t, msg);
}

void parley_tiktok_auth_load(parley_tiktok_t *t) {
  char fp[PARLEY_SDK_HEX_LEN(16)], stored[PARLEY_SDK_HEX_LEN(16)];
  origin(t, fp);
  if (t->host->checkpoint_get(t->inst, CK_ORIGIN, stored, sizeof stored) <= 0 ||
      strcmp(fp, stored) != 0)
    return; /* nothing refreshed yet, or a new token in the config */
  char *access = parley_tiktok_checkpoint_read(t, CK_ACCESS);
  char *refresh = parley_tiktok_checkpoint_read(t, CK_REFRESH);
  if (access && *access)
    keep_tokens(t, access, refresh);
  parley_tiktok_wipe_free(access);
  parley_tiktok_wipe_free(refresh);
}

void parley_tiktok_auth_stop(parley_tiktok_t *t) {
  if (t->refresh_timer)
    t->host->timer_stop(t->refresh_timer);
  t->refresh_timer = NULL;
}

void parley_tiktok_auth_free(parley_tiktok_t *t) {
  parley_tiktok_wipe_free(t->access_token);
  parley_tiktok_wipe_free(t->refresh_token);
  t->access_token = t->refresh_token = NULL;
}
