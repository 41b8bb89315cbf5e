/* tiktok — calls to the API for Business through the SDK client.
 *
 * Every call carries the Access-Token header (the SDK's TikTok default,
 * §1.1) and business_id; GET parameters go in the query (arrays as JSON
 * text, §1.1), POST bodies are JSON. The SDK reads the envelope (§2): code 0
 * is success even though nearly every answer is HTTP 200, 401xx is an auth
 * failure, 40100 a throttle it waits out with backoff, 5xxxx and 5xx are
 * retried. What is left for the connector is the outcome: health and
 * refresh on a refused token, counters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tiktok.h"

char *parley_tiktok_url(parley_tiktok_t *t, const char *path) {
  size_t len = strlen(t->api) + strlen(path) + 2;
  char *url = malloc(len);
  if (url)
    snprintf(url, len, "%s/%s", t->api, path);
  return url;
}

int parley_tiktok_get(parley_tiktok_t *t, const char *path, parley_sdk_query_t *q,
                      const char *endpoint, parley_sdk_http_cb cb, void *data) {
  char *base = parley_tiktok_url(t, path);
  parley_sdk_query_t url;
  int rc = base ? parley_sdk_query_init_url(&url, base) : PARLEY_ENOMEM;
  free(base);
  if (rc) {
    parley_sdk_query_free(q);
    return rc;
  }
  parley_sdk_query_add(&url, "business_id", t->cfg->business_id);
  const char *params = parley_sdk_query_str(q);
  const char *full = parley_sdk_query_str(&url);
  char *joined = NULL;
  if (params && full) {
    size_t len = strlen(full) + strlen(params) + 2;
    if ((joined = malloc(len)) != NULL)
      snprintf(joined, len, "%s%s%s", full, *params ? "&" : "", params);
  }
  parley_sdk_query_free(q);
  parley_sdk_query_free(&url);
  if (!joined)
    return PARLEY_ENOMEM;
  parley_sdk_http_call_t call = {.url = joined, .endpoint = endpoint};
  rc = t->stopping || !t->http ? PARLEY_ESTATE : parley_sdk_http_send(t->http, &call, cb, data, NULL);
  free(joined);
  return rc;
}

int parley_tiktok_post(parley_tiktok_t *t, const char *path, json_t *body,
                       const char *endpoint, parley_sdk_http_cb cb, void *data) {
  char *url = parley_tiktok_url(t, path);
  if (!url)
    return PARLEY_ENOMEM;
  json_object_set_new(body, "business_id", json_string(t->cfg->business_id));
  /* not retried after a timeout or 5xx: the comment may have been posted */
  parley_sdk_http_call_t call = {.method = "POST", .url = url, .endpoint = endpoint,
                                 .json = body};
  int rc = t->stopping || !t->http ? PARLEY_ESTATE : parley_sdk_http_send(t->http, &call, cb, data, NULL);
  free(url);
  return rc;
}

void parley_tiktok_outcome(parley_tiktok_t *t, const parley_sdk_http_result_t *r,
                           const char *what) {
  if (r->status == 0) {
    parley_tiktok_auth_ok(t);
    return;
  }
  if (r->status == PARLEY_ECANCELED || t->stopping)
    return;
  const parley_sdk_error_t *e = r->error;
  if (e->is_auth) {
    parley_tiktok_auth_failed(t, r);
    return;
  }
  if (strcmp(e->platform_code, "40001") == 0 && strcmp(what, "back-fill") == 0) {
    /* a missing scope or a business_id the token does not own: nothing to
     * read until the account is re-authorized (an action's refusal is only
     * that action's result) */
    parley_tiktok_auth_denied(t, r);
    return;
  }
  if (e->is_rate_limit)
    parley_tiktok_count(t, "throttled_total", 1);
  t->host->log(t->inst, PARLEY_LOG_WARN, "%s: %s: HTTP %ld, code %s: %s", what, r->endpoint,
               r->http_status, e->platform_code[0] ? e->platform_code : "-", e->message);
}
