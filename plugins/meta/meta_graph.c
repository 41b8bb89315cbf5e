/* meta — Graph API calls (facebook.md §1-§5).
 *
 * Every URL is "<base_url>/<graph_version><path>" and carries
 * appsecret_proof = hex(HMAC-SHA256(app_secret, access_token)) (§3), computed
 * once. The token itself travels in "Authorization: Bearer" (accepted by the
 * Graph API next to access_token=, §1), so it never appears in a URL, a
 * paging link we log, or an error. The SDK client reads Meta's error bodies
 * (190 = token refused, 4/17/32/613/8000x = throttled) and the X-App-Usage /
 * X-Business-Use-Case-Usage headers, and waits out throttles. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "meta.h"
#include "parley/sdk/webhook.h"

char *parley_meta_url(const parley_meta_t *m, const char *path, const char *params) {
  size_t len = strlen(m->base) + strlen(path) + (params ? strlen(params) : 0) + 100;
  char *url = malloc(len);
  if (url)
    snprintf(url, len, "%s%s?%s%sappsecret_proof=%s", m->base, path, params ? params : "",
             params && *params ? "&" : "", m->proof);
  return url;
}

int parley_meta_graph_init(parley_meta_t *m, parley_error_t *err) {
  if (parley_sdk_meta_appsecret_proof(m->cfg->app_secret, m->cfg->access_token, m->proof,
                                      sizeof m->proof) != 64)
    return parley_error_set(err, PARLEY_ECONFIG, "%s: cannot compute appsecret_proof from "
                                                 "app_secret and %s", m->plat->name,
                            m->plat->token_option);
  parley_sdk_http_policy_t pol;
  parley_sdk_http_policy_init(&pol, PARLEY_SDK_META);
  pol.auth_style = PARLEY_SDK_AUTH_BEARER;
  /* Sit out only short throttles inside a call; a longer one (Meta names
   * minutes) comes back to the caller: the back-fill's scheduler waits it
   * out and it is counted and logged, an action reports it at once. */
  pol.retry.max_wait_ms = PARLEY_META_MAX_CALL_WAIT_MS;
  int rc = parley_sdk_http_new(m->host, m->inst, &pol, &m->http, err);
  if (rc == 0 && parley_sdk_http_set_token(m->http, m->cfg->access_token) != 0)
    rc = parley_error_set(err, PARLEY_ECONFIG, "%s: %s: contains control characters",
                          m->plat->name, m->plat->token_option);
  return rc;
}

int parley_meta_graph_send(parley_meta_t *m, const char *method, const char *url,
                           const char *endpoint, const char *form, const json_t *json,
                           parley_sdk_http_cb cb, void *data) {
  if (m->stopping || !m->http)
    return PARLEY_ESTATE;
  parley_sdk_http_call_t call = {.method = method, .url = url, .endpoint = endpoint,
                                 .json = json, .body = json ? NULL : form,
                                 .body_len = form && !json ? strlen(form) : 0};
  return parley_sdk_http_send(m->http, &call, cb, data, NULL);
}
