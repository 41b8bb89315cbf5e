/* parley-sim — webhook deliveries: the configured target per platform,
 * POSTs with retries and backoff over parley_httpc, verification GETs, the
 * delivery log, and the HMAC helpers platforms sign with. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"

#define PARLEY_SIM_WEBHOOK_TIMEOUT_MS 10000u
#define PARLEY_SIM_WEBHOOK_LOG_MAX 10000u

typedef struct parley_sim_delivery {
  parley_sim_t *sim;
  char platform[32];
  char *url;
  char *body;
  size_t len;
  char **headers; /* NULL-terminated copies */
  unsigned attempt;
  parley_sim_get_cb get_cb; /* verification GET when set */
  void *get_data;
  parley_sim_timer_t *retry;
  struct parley_sim_delivery *prev, *next;
} parley_sim_delivery_t;

struct parley_sim_webhooks {
  struct {
    char platform[32];
    char *url;
  } targets[PARLEY_SIM_MAX_PLATFORMS];
  size_t ntargets;
  json_t *log;
  parley_sim_delivery_t *live; /* in flight or waiting to retry */
  int stopping;
};

int parley_sim_webhooks_new(parley_sim_webhooks_t **out) {
  parley_sim_webhooks_t *w = calloc(1, sizeof *w);
  if (!w || !(w->log = json_array())) {
    free(w);
    return PARLEY_ENOMEM;
  }
  *out = w;
  return 0;
}

static void parley_sim_delivery_free(parley_sim_delivery_t *d) {
  parley_sim_webhooks_t *w = d->sim->webhooks;
  if (d->prev) d->prev->next = d->next;
  else if (w->live == d) w->live = d->next;
  if (d->next) d->next->prev = d->prev;
  for (size_t i = 0; d->headers && d->headers[i]; i++) free(d->headers[i]);
  free(d->headers);
  free(d->url);
  free(d->body);
  free(d);
}

void parley_sim_webhooks_free(parley_sim_webhooks_t *w) {
  if (!w) return;
  while (w->live) parley_sim_delivery_free(w->live);
  for (size_t i = 0; i < w->ntargets; i++) free(w->targets[i].url);
  json_decref(w->log);
  free(w);
}

void parley_sim_webhooks_stopping(parley_sim_t *sim) { sim->webhooks->stopping = 1; }

const char *parley_sim_webhook_target(parley_sim_t *sim, const char *platform) {
  parley_sim_webhooks_t *w = sim->webhooks;
  for (size_t i = 0; platform && i < w->ntargets; i++)
    if (!strcmp(w->targets[i].platform, platform)) return w->targets[i].url;
  return NULL;
}

int parley_sim_webhook_set_target(parley_sim_t *sim, const char *platform, const char *url) {
  parley_sim_webhooks_t *w = sim->webhooks;
  const parley_sim_platform_t *p = parley_sim_platform(sim, platform);
  size_t i;
  if (!p) return PARLEY_EINVAL;
  for (i = 0; i < w->ntargets; i++)
    if (!strcmp(w->targets[i].platform, platform)) break;
  if (i == w->ntargets) {
    if (w->ntargets == PARLEY_SIM_MAX_PLATFORMS) return PARLEY_ENOBUFS;
    snprintf(w->targets[i].platform, sizeof w->targets[i].platform, "%s", platform);
    w->ntargets++;
  }
  char *copy = url ? strdup(url) : NULL;
  if (url && !copy) return PARLEY_ENOMEM;
  free(w->targets[i].url);
  w->targets[i].url = copy;
  if (copy && sim->running && p->on_webhook_target) p->on_webhook_target(sim, copy);
  return 0;
}

void parley_sim_webhook_log(parley_sim_t *sim, const char *platform, json_t *entry) {
  parley_sim_webhooks_t *w = sim->webhooks;
  if (!json_is_object(entry)) {
    json_decref(entry);
    return;
  }
  json_object_set_new(entry, "platform", json_string(platform));
  json_object_set_new(entry, "at_ms", json_integer((json_int_t)parley_sim_now_ms()));
  /* Bounded: a long load test must not grow without end. */
  if (json_array_size(w->log) >= PARLEY_SIM_WEBHOOK_LOG_MAX) json_array_remove(w->log, 0);
  json_array_append_new(w->log, entry);
}

json_t *parley_sim_webhook_deliveries(parley_sim_t *sim) { return sim->webhooks->log; }

static void parley_sim_delivery_send(parley_sim_delivery_t *d);

static void parley_sim_delivery_retry(parley_sim_t *sim, parley_sim_timer_t *t, void *data) {
  parley_sim_delivery_t *d = data;
  parley_sim_timer_stop(t);
  d->retry = NULL;
  parley_sim_delivery_send(d);
}

static void parley_sim_delivery_done(parley_http_t *h, const parley_http_response_t *res,
                                     void *data) {
  parley_sim_delivery_t *d = data;
  parley_sim_t *sim = d->sim;
  long status = res->status < 0 ? res->status : res->http_status;
  int ok = res->status == 0 && res->http_status >= 200 && res->http_status < 300;
  json_t *e = json_pack("{s:s,s:s,s:s,s:I,s:I,s:b}", "kind", d->get_cb ? "verify" : "delivery",
                        "method", d->get_cb ? "GET" : "POST", "url", d->url, "attempt",
                        (json_int_t)d->attempt, "status", (json_int_t)status, "ok", ok);
  if (e && !d->get_cb) json_object_set_new(e, "body", json_stringn(d->body, d->len));
  if (e && res->error) json_object_set_new(e, "error", json_string(res->error));
  parley_sim_webhook_log(sim, d->platform, e);
  if (d->get_cb) {
    d->get_cb(sim, status, res->body ? res->body : "", res->body ? res->body_len : 0, d->get_data);
    parley_sim_delivery_free(d);
    return;
  }
  if (ok || res->status == PARLEY_ECANCELED || sim->webhooks->stopping ||
      d->attempt >= sim->config.webhook_attempts) {
    if (!ok && sim->config.verbose)
      parley_sim_log(sim, "webhook %s: gave up after %u attempts", d->platform, d->attempt);
    parley_sim_delivery_free(d);
    return;
  }
  /* Backoff: retry_ms, 2x, 4x ... as the platforms' own retry schedules. */
  uint64_t wait = sim->config.webhook_retry_ms << (d->attempt - 1 < 16 ? d->attempt - 1 : 16);
  d->retry = parley_sim_timer_start(sim, wait, 0, parley_sim_delivery_retry, d);
  if (!d->retry) parley_sim_delivery_free(d);
}

static void parley_sim_delivery_send(parley_sim_delivery_t *d) {
  parley_http_request_t req = {.method = d->get_cb ? "GET" : "POST",
                               .url = d->url,
                               .headers = (const char *const *)d->headers,
                               .body = d->get_cb ? NULL : d->body,
                               .body_len = d->get_cb ? 0 : d->len,
                               .timeout_ms = PARLEY_SIM_WEBHOOK_TIMEOUT_MS,
                               .max_response = 1u << 20};
  d->attempt++;
  int rc = parley_httpc_request(d->sim->httpc, &req, NULL, parley_sim_delivery_done, d, NULL);
  if (rc != 0) {
    parley_http_response_t res = {.status = rc, .error = parley_strerror(rc)};
    parley_sim_delivery_done(NULL, &res, d);
  }
}

static parley_sim_delivery_t *parley_sim_delivery_new(parley_sim_t *sim, const char *platform,
                                                      const char *url, const char *body,
                                                      size_t len, const char *const *headers) {
  size_t nh = 0;
  while (headers && headers[nh]) nh++;
  parley_sim_delivery_t *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->sim = sim;
  snprintf(d->platform, sizeof d->platform, "%s", platform);
  d->url = strdup(url);
  d->body = malloc(len + 1);
  d->headers = calloc(nh + 1, sizeof *d->headers);
  d->next = sim->webhooks->live;
  if (d->next) d->next->prev = d;
  sim->webhooks->live = d;
  if (!d->url || !d->body || !d->headers) {
    parley_sim_delivery_free(d);
    return NULL;
  }
  if (len) memcpy(d->body, body, len);
  d->body[len] = '\0';
  d->len = len;
  for (size_t i = 0; i < nh; i++)
    if (!(d->headers[i] = strdup(headers[i]))) {
      parley_sim_delivery_free(d);
      return NULL;
    }
  return d;
}

int parley_sim_webhook_post(parley_sim_t *sim, const char *platform, const char *body,
                            size_t len, const char *const *headers) {
  const char *url = parley_sim_webhook_target(sim, platform);
  if (!url) return PARLEY_ENOENT;
  if (sim->webhooks->stopping) return PARLEY_ECANCELED;
  parley_sim_delivery_t *d = parley_sim_delivery_new(sim, platform, url, body, len, headers);
  if (!d) return PARLEY_ENOMEM;
  parley_sim_delivery_send(d);
  return 0;
}

int parley_sim_webhook_get(parley_sim_t *sim, const char *platform, const char *url,
                           parley_sim_get_cb cb, void *data) {
  if (!url || !cb) return PARLEY_EINVAL;
  if (sim->webhooks->stopping) return PARLEY_ECANCELED;
  parley_sim_delivery_t *d = parley_sim_delivery_new(sim, platform, url, "", 0, NULL);
  if (!d) return PARLEY_ENOMEM;
  d->get_cb = cb;
  d->get_data = data;
  parley_sim_delivery_send(d);
  return 0;
}

static int parley_sim_hmac(const char *key, const void *msg, size_t len, unsigned char *md,
                           unsigned *mdlen) {
  if (!key || (!msg && len)) return PARLEY_EINVAL;
  if (!HMAC(EVP_sha256(), key, (int)strlen(key), msg ? msg : (const void *)"", len, md, mdlen))
    return PARLEY_EIO;
  return 0;
}

int parley_sim_hmac_sha256_b64(const char *key, const void *msg, size_t len, char *out,
                               size_t outlen) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  int rc = parley_sim_hmac(key, msg, len, md, &mdlen);
  if (rc != 0) return rc;
  if (outlen < 45) return PARLEY_ENOBUFS;
  EVP_EncodeBlock((unsigned char *)out, md, (int)mdlen);
  return 0;
}

int parley_sim_hmac_sha256_hex(const char *key, const void *msg, size_t len, char *out,
                               size_t outlen) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned mdlen = 0;
  int rc = parley_sim_hmac(key, msg, len, md, &mdlen);
  if (rc != 0) return rc;
  if (outlen < 2 * (size_t)mdlen + 1) return PARLEY_ENOBUFS;
  for (unsigned i = 0; i < mdlen; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
  return 0;
}
