/* linkedin — the versioned /rest API client (linkedin.md §1, §2, §9).
 *
 * Every call carries Authorization: Bearer <member token>, LinkedIn-Version
 * (YYYYMM; a missing or sunset version is refused) and
 * X-Restli-Protocol-Version: 2.0.0. The SDK's LinkedIn policy reads the
 * Rest.li error bodies: 401 (EXPIRED_/REVOKED_ACCESS_TOKEN) is an auth
 * failure; a 429 that names a DAY limit waits until the next UTC midnight
 * (longer than a call sits out: it comes back to the poll scheduler), any
 * other 429 is a short infrastructure throttle backed off from 10 s.
 *
 * A refused token: with refresh_token, client_id and client_secret set, the
 * access token is first renewed at <oauth_url>/accessToken
 * (grant_type=refresh_token, §1); the new one is kept in the checkpoint
 * store (the journal), committed at once and read back at start. Without a
 * refresh, or when it fails, the instance turns unhealthy once (the core
 * emits a system event) and keeps polling on its backoff, so a working token
 * makes it healthy again. Tokens are never logged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "linkedin.h"
#include "parley/sdk/encode.h"
#include "parley/sdk/json.h"
#include "parley/sdk/query.h"

#define CK_ACCESS "oauth.access_token"
#define CK_REFRESH "oauth.refresh_token"
#define CK_FROM "oauth.refreshed_from"
#define LI_TOKEN_MAX 2048
/* A 429 without a DAY limit protects LinkedIn's infrastructure (§9): back
 * off from 10 s rather than the SDK's generic 30..60 s. */
#define LI_THROTTLE_FALLBACK_MS 10000

int parley_linkedin_api_init(parley_linkedin_t *li, parley_error_t *err) {
  char version[64];
  parley_sdk_http_policy_t pol;
  parley_sdk_http_policy_init(&pol, PARLEY_SDK_LINKEDIN);
  pol.auth_style = PARLEY_SDK_AUTH_BEARER;
  pol.retry.rate_limit_fallback_ms = LI_THROTTLE_FALLBACK_MS;
  int rc = parley_sdk_http_new(li->host, li->inst, &pol, &li->http, err);
  if (rc)
    return rc;
  snprintf(version, sizeof version, "LinkedIn-Version: %s", li->cfg->api_version);
  if (parley_sdk_http_set_token(li->http, li->cfg->access_token) != 0)
    return parley_error_set(err, PARLEY_ECONFIG, "linkedin: access_token: contains control "
                                                 "characters");
  if (parley_sdk_http_add_header(li->http, version) != 0 ||
      parley_sdk_http_add_header(li->http, "X-Restli-Protocol-Version: 2.0.0") != 0)
    return parley_error_set(err, PARLEY_ENOMEM, "linkedin: cannot set the API headers");
  return 0;
}

char *parley_linkedin_url(const parley_linkedin_t *li, const char *path) {
  size_t len = strlen(li->base) + strlen(path) + 8;
  char *url = malloc(len);
  if (url)
    snprintf(url, len, "%s/rest%s", li->base, path);
  return url;
}

int parley_linkedin_send(parley_linkedin_t *li, const char *method, const char *url,
                         const char *endpoint, const json_t *json, parley_sdk_http_cb cb,
                         void *data) {
  if (li->stopping || !li->http)
    return PARLEY_ESTATE;
  parley_sdk_http_call_t call = {.method = method, .url = url, .endpoint = endpoint,
                                 .json = json};
  return parley_sdk_http_send(li->http, &call, cb, data, NULL);
}

/* ---- health ------------------------------------------------------------ */

static void set_throttled(parley_linkedin_t *li, int on) {
  li->throttled = on;
  li->host->gauge_set(li->inst, "linkedin_throttled", on);
}

static void report_unhealthy(parley_linkedin_t *li, const char *what, long status,
                             const char *code, const char *detail) {
  char reason[PARLEY_ERROR_MAX + 256];
  parley_linkedin_count(li, "token_refused_total", 1);
  if (li->unhealthy)
    return;
  li->unhealthy = 1;
  snprintf(reason, sizeof reason,
           "linkedin: %s: the access token was refused (HTTP %ld %s: %s); the administrator "
           "must re-authorize the app and a new access_token be configured",
           what, status, code && *code ? code : "", detail && *detail ? detail : "Unauthorized");
  li->host->set_health(li->inst, 0, reason);
}

static void clear_reports(parley_linkedin_t *li, const char *what) {
  if (li->throttled) {
    set_throttled(li, 0);
    li->host->log(li->inst, PARLEY_LOG_INFO, "%s: no longer throttled", what);
  }
  if (li->unhealthy) {
    li->unhealthy = 0;
    li->host->set_health(li->inst, 1, "LinkedIn accepts the access token again");
  }
}

/* ---- OAuth refresh ----------------------------------------------------- */

static void store_tokens(parley_linkedin_t *li, const char *access, const char *refresh);

/* Replace a kept secret; the old copy is wiped (OPENSSL_clear_free). */
static int replace_secret(char **slot, const char *value) {
  char *copy = value ? OPENSSL_strdup(value) : NULL;
  if (value && !copy)
    return PARLEY_ENOMEM;
  if (*slot)
    OPENSSL_clear_free(*slot, strlen(*slot));
  *slot = copy;
  return 0;
}

static int can_refresh(const parley_linkedin_t *li) {
  const parley_linkedin_config_t *c = li->cfg;
  return c->refresh_token && *c->refresh_token && c->client_id && *c->client_id &&
         c->client_secret && *c->client_secret && !li->refresh_failed;
}

/* The token every call now carries, and the refresh token for the next
 * renewal (NULL: keep the one we have). */
static void use_tokens(parley_linkedin_t *li, const char *access, const char *refresh) {
  if (replace_secret(&li->access_token, access) != 0)
    return;
  if (refresh)
    replace_secret(&li->refresh_token, refresh);
  if (li->http)
    parley_sdk_http_set_token(li->http, li->access_token);
}

static void on_refresh(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *data) {
  parley_linkedin_t *li = data;
  (void)c;
  li->refreshing = 0;
  if (r->status == PARLEY_ECANCELED || li->stopping)
    return;
  const char *access = parley_sdk_json_str(r->json, "access_token", NULL);
  const char *refresh = parley_sdk_json_str(r->json, "refresh_token", NULL);
  if (r->status < 0 || !access || !*access) {
    /* an expired refresh token (365 days from consent, §1): only a new
     * consent helps, so do not loop */
    li->refresh_failed = 1;
    report_unhealthy(li, "POST /oauth/v2/accessToken", r->http_status, r->error->platform_code,
                     r->status < 0 ? r->error->message : "no access_token in the answer");
    return;
  }
  use_tokens(li, access, refresh);
  store_tokens(li, access, refresh);
  parley_linkedin_count(li, "token_refreshes_total", 1);
  li->host->log(li->inst, PARLEY_LOG_INFO, "access token refreshed");
  clear_reports(li, "refresh");
  parley_linkedin_poll_now(li);
}

static void start_refresh(parley_linkedin_t *li) {
  const parley_linkedin_config_t *c = li->cfg;
  char url[600];
  parley_sdk_query_t form;
  parley_sdk_query_init_form(&form);
  parley_sdk_query_add(&form, "grant_type", "refresh_token");
  parley_sdk_query_add(&form, "refresh_token", li->refresh_token ? li->refresh_token
                                                                 : c->refresh_token);
  parley_sdk_query_add(&form, "client_id", c->client_id);
  parley_sdk_query_add(&form, "client_secret", c->client_secret);
  const char *body = parley_sdk_query_str(&form);
  snprintf(url, sizeof url, "%s/accessToken", c->oauth_url);
  parley_sdk_http_call_t call = {.method = "POST", .url = url,
                                 .endpoint = "POST /oauth/v2/accessToken", .body = body,
                                 .body_len = body ? strlen(body) : 0, .no_auth = 1};
  li->refreshing = body && parley_sdk_http_send(li->http, &call, on_refresh, li, NULL) == 0;
  if (form.buf)
    memset(form.buf, 0, form.len);
  parley_sdk_query_free(&form);
}

void parley_linkedin_outcome(parley_linkedin_t *li, const parley_sdk_http_result_t *r,
                             const char *what) {
  const parley_sdk_error_t *e = r->error;
  if (r->status == 0) {
    clear_reports(li, what);
    return;
  }
  if (e->is_auth) {
    if (can_refresh(li)) {
      if (!li->refreshing && !li->stopping)
        start_refresh(li);
      return;
    }
    report_unhealthy(li, what, r->http_status, e->platform_code, e->message);
  } else if (e->is_rate_limit) {
    parley_linkedin_count(li, "throttled_total", 1);
    if (!li->throttled) {
      set_throttled(li, 1);
      li->host->log(li->inst, PARLEY_LOG_WARN,
                    "%s: throttled by LinkedIn (HTTP 429 %s: %s), waiting %lld s", what,
                    e->platform_code, e->message,
                    (long long)(e->retry_after_ms > 0 ? e->retry_after_ms / 1000 : 0));
    }
  }
}

/* Which configured token a stored one was refreshed from: the first 16
 * bytes of its SHA-256, in hex. A new access_token in the config (the
 * administrator re-authorized) then wins over a token refreshed from the
 * old one. */
static void fingerprint(const char *token, char *out, size_t len) {
  unsigned char md[EVP_MAX_MD_SIZE] = {0};
  unsigned int mdlen = 0;
  EVP_Digest(token, strlen(token), md, &mdlen, EVP_sha256(), NULL);
  parley_sdk_hex_encode(md, 16, out, len);
}

static void store_tokens(parley_linkedin_t *li, const char *access, const char *refresh) {
  char fp[PARLEY_SDK_HEX_LEN(16)];
  fingerprint(li->cfg->access_token, fp, sizeof fp);
  li->host->checkpoint_set(li->inst, CK_FROM, fp);
  li->host->checkpoint_set(li->inst, CK_ACCESS, access);
  if (refresh)
    li->host->checkpoint_set(li->inst, CK_REFRESH, refresh);
  li->host->commit(li->inst, NULL, NULL);
}

void parley_linkedin_auth_load(parley_linkedin_t *li) {
  char fp[PARLEY_SDK_HEX_LEN(16)], stored[PARLEY_SDK_HEX_LEN(16)];
  char access[LI_TOKEN_MAX], refresh[LI_TOKEN_MAX];
  if (li->host->checkpoint_get(li->inst, CK_FROM, stored, sizeof stored) <= 0)
    return; /* never refreshed */
  fingerprint(li->cfg->access_token, fp, sizeof fp);
  if (strcmp(stored, fp) != 0)
    return; /* refreshed from another token than the one configured now */
  if (li->host->checkpoint_get(li->inst, CK_ACCESS, access, sizeof access) > 0)
    use_tokens(li, access, li->host->checkpoint_get(li->inst, CK_REFRESH, refresh,
                                                    sizeof refresh) > 0 ? refresh : NULL);
  OPENSSL_cleanse(access, sizeof access);
  OPENSSL_cleanse(refresh, sizeof refresh);
}

void parley_linkedin_auth_free(parley_linkedin_t *li) {
  replace_secret(&li->access_token, NULL);
  replace_secret(&li->refresh_token, NULL);
}
