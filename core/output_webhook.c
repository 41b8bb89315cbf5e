/* parley core — the webhook output: POST events as JSON to a URL, signed
 * with HMAC-SHA256 over a timestamp and the body, on the router's loop
 * (its own parley_httpc, libcurl multi driven by libuv).
 *
 * A batch from the router is sent as one or more POSTs of at most
 * `batch_size` events, one after the other; it counts as delivered when
 * every POST was answered 2xx. Anything else fails the whole batch and the
 * router retries it with backoff: a receiver may see an event again and
 * must deduplicate by its `id` (docs/outputs.md).
 *
 * TLS is verified against the system store by default; `ca_file` trusts a
 * given CA instead, `tls_verify: false` turns checking off (with a
 * warning at start). Errors name the URL cut to scheme, host and path:
 * a query string or user info may carry a receiver's token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <errno.h>

#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "http_client.h"
#include "log.h"
#include "output.h"

typedef struct webhook_config {
  const char *url;
  const char *secret;
  int64_t batch_size;
  int64_t timeout_ms;
  int tls_verify;
  const char *ca_file;
} webhook_config_t;

typedef struct webhook {
  parley_output_t *o;
  const webhook_config_t *cfg;
  parley_httpc_t *http;
  parley_http_t *active;              /* the POST in flight, or NULL */
  /* The batch being delivered. The router's item array lives only during
   * deliver(); the strings it points to stay valid until done(). */
  parley_output_item_t *items;
  size_t cap;
  size_t n, next;                     /* items, and the first not yet sent */
  int closing;
  void (*close_cb)(parley_output_t *o);
  parley_output_t *close_o;
  char url_for_log[512];              /* cfg->url without query or user info */
} webhook_t;

#define WEBHOOK_MAX_BATCH 256

static const parley_option_t webhook_options[] = {
    {"url", PARLEY_OPT_STRING, PARLEY_OPT_REQUIRED, NULL, offsetof(webhook_config_t, url),
     "http:// or https:// URL events are POSTed to"},
    {"secret", PARLEY_OPT_SECRET, 0, NULL, offsetof(webhook_config_t, secret),
     "HMAC-SHA256 key of the Parley-Signature header (unset: requests are not signed)"},
    {"batch_size", PARLEY_OPT_INT, 0, "1", offsetof(webhook_config_t, batch_size),
     "events per POST: 1 posts the event object, more posts a JSON array (1-256)"},
    {"timeout", PARLEY_OPT_DURATION, 0, "10s", offsetof(webhook_config_t, timeout_ms),
     "time a POST may take before it counts as failed"},
    {"tls_verify", PARLEY_OPT_BOOL, 0, "true", offsetof(webhook_config_t, tls_verify),
     "verify the receiver's TLS certificate and host name (false: neither, a warning at start)"},
    {"ca_file", PARLEY_OPT_STRING, 0, NULL, offsetof(webhook_config_t, ca_file),
     "PEM file of the CA certificates trusted instead of the system store"},
    {NULL, 0, 0, NULL, 0, NULL},
};

/* ---- the signature ---- */

int parley_output_webhook_sign(const char *secret, int64_t t, const char *body, size_t len,
                               char *out, size_t outlen) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int maclen = 0;
  char ts[24];
  int tlen = snprintf(ts, sizeof ts, "%lld.", (long long)t);
  if (!secret || tlen <= 0)
    return PARLEY_EINVAL;
  /* HMAC over "<t>." then the body, without copying the body. */
  EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
  EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", (char *)"SHA256", 0),
                         OSSL_PARAM_construct_end()};
  size_t got = 0;
  int ok = c && EVP_MAC_init(c, (const unsigned char *)secret, strlen(secret), params) &&
           EVP_MAC_update(c, (const unsigned char *)ts, (size_t)tlen) &&
           EVP_MAC_update(c, (const unsigned char *)body, len) &&
           EVP_MAC_final(c, mac, &got, sizeof mac);
  EVP_MAC_CTX_free(c);
  EVP_MAC_free(m);
  if (!ok)
    return PARLEY_ENOMEM;
  maclen = (unsigned int)got;
  size_t need = (size_t)tlen - 1 + 6 + 2 * maclen; /* "t=" <t> ",v1=" hex */
  if (outlen < need + 1)
    return PARLEY_ENOBUFS;
  int w = snprintf(out, outlen, "t=%.*s,v1=", tlen - 1, ts);
  for (unsigned int i = 0; i < maclen; i++)
    w += snprintf(out + w, outlen - (size_t)w, "%02x", mac[i]);
  return w;
}

/* ---- one POST ---- */

static char *build_body(const parley_output_item_t *items, size_t n, size_t *len) {
  size_t total = n == 1 ? items[0].len : 2;
  for (size_t i = 0; n > 1 && i < n; i++)
    total += items[i].len + 1;
  char *b = malloc(total + 1), *p = b;
  if (!b)
    return NULL;
  if (n == 1) {
    memcpy(p, items[0].json, items[0].len);
    p += items[0].len;
  } else {
    *p++ = '[';
    for (size_t i = 0; i < n; i++) {
      if (i)
        *p++ = ',';
      memcpy(p, items[i].json, items[i].len);
      p += items[i].len;
    }
    *p++ = ']';
  }
  *p = '\0';
  *len = (size_t)(p - b);
  return b;
}

static void post_next(webhook_t *w);

static void batch_finished(webhook_t *w, int status, const char *msg) {
  w->n = w->next = 0;
  parley_output_done(w->o, status, msg);
}

static void post_answered(parley_http_t *req, const parley_http_response_t *res, void *data) {
  webhook_t *w = data;
  char msg[1024];
  (void)req;
  w->active = NULL;
  if (w->closing) /* the router is stopping: it keeps the batch undelivered */
    return;
  if (res->status != 0) {
    snprintf(msg, sizeof msg, "POST to %s failed: %s", w->url_for_log,
             res->error ? res->error : parley_strerror(res->status));
    batch_finished(w, res->status, msg);
  } else if (res->http_status < 200 || res->http_status > 299) {
    snprintf(msg, sizeof msg, "webhook receiver %s answered HTTP %ld", w->url_for_log,
             res->http_status);
    batch_finished(w, PARLEY_EHTTP, msg);
  } else if (w->next < w->n) {
    post_next(w);
  } else {
    batch_finished(w, 0, NULL);
  }
}

/* The id header lets a receiver deduplicate a single-event POST without
 * parsing it; a batch lists its events in the body only. */
static void post_next(webhook_t *w) {
  size_t left = w->n - w->next, k = left < (size_t)w->cfg->batch_size ? left
                                                                      : (size_t)w->cfg->batch_size;
  const parley_output_item_t *part = w->items + w->next;
  size_t len = 0;
  char *body = build_body(part, k, &len);
  char sig[160], sig_hdr[200], id_hdr[1100], seq_hdr[64];
  const char *headers[6];
  size_t h = 0;
  int rc = body ? 0 : PARLEY_ENOMEM;
  headers[h++] = "Content-Type: application/json";
  snprintf(seq_hdr, sizeof seq_hdr, "Parley-Events: %zu", k);
  headers[h++] = seq_hdr;
  if (k == 1 && strlen(part[0].id) < 1024) {
    snprintf(id_hdr, sizeof id_hdr, "Parley-Event-Id: %s", part[0].id);
    headers[h++] = id_hdr;
  }
  if (rc == 0 && w->cfg->secret) {
    rc = parley_output_webhook_sign(w->cfg->secret, (int64_t)time(NULL), body, len, sig,
                                    sizeof sig);
    if (rc > 0) {
      snprintf(sig_hdr, sizeof sig_hdr, "Parley-Signature: %s", sig);
      headers[h++] = sig_hdr;
      rc = 0;
    }
  }
  headers[h] = NULL;
  if (rc == 0) {
    parley_http_request_t req = {.method = "POST",
                                 .url = w->cfg->url,
                                 .headers = headers,
                                 .body = body,
                                 .body_len = len,
                                 .timeout_ms = (uint32_t)w->cfg->timeout_ms,
                                 .max_response = 64 * 1024};
    rc = parley_httpc_request(w->http, &req, NULL, post_answered, w, &w->active);
  }
  free(body);
  if (rc) {
    char msg[640];
    snprintf(msg, sizeof msg, "cannot start a POST to %s: %s", w->url_for_log,
             parley_strerror(rc));
    batch_finished(w, rc, msg);
    return;
  }
  w->next += k;
}

/* ---- the output ---- */

/* The one check --check-config makes on disk: a CA file that cannot be
 * read, or holds no certificate, would otherwise fail only at the first
 * handshake, as a failing output. */
static int check_ca_file(const char *name, const char *path, parley_error_t *err) {
  FILE *f = fopen(path, "r");
  X509 *cert;
  if (!f)
    return parley_error_set(err, PARLEY_ECONFIG, "output %s: ca_file: cannot read %s: %s", name,
                            path, strerror(errno));
  cert = PEM_read_X509(f, NULL, NULL, NULL);
  fclose(f);
  if (!cert)
    return parley_error_set(err, PARLEY_ECONFIG,
                            "output %s: ca_file: %s holds no PEM certificate", name, path);
  X509_free(cert);
  return 0;
}

static int check_tls(const webhook_config_t *cfg, const char *name, parley_error_t *err) {
  if (!cfg->ca_file)
    return 0;
  if (!cfg->tls_verify) /* a CA that is never consulted hides a mistake */
    return parley_error_set(err, PARLEY_ECONFIG,
                            "output %s: ca_file: has no effect with tls_verify: false; "
                            "remove one of them",
                            name);
  if (!*cfg->ca_file)
    return parley_error_set(err, PARLEY_ECONFIG, "output %s: ca_file: empty path", name);
  return check_ca_file(name, cfg->ca_file, err);
}

static int webhook_create(parley_output_t *o, const void *config, void **state,
                          parley_error_t *err) {
  const webhook_config_t *cfg = config;
  const char *name = parley_output_name(o);
  if (strncmp(cfg->url, "http://", 7) != 0 && strncmp(cfg->url, "https://", 8) != 0)
    return parley_error_set(err, PARLEY_ECONFIG,
                            "output %s: url: expected an http:// or https:// URL", name);
  if (cfg->batch_size < 1 || cfg->batch_size > WEBHOOK_MAX_BATCH)
    return parley_error_set(err, PARLEY_ECONFIG, "output %s: batch_size: must be 1 to %d, got %lld",
                            name, WEBHOOK_MAX_BATCH, (long long)cfg->batch_size);
  if (cfg->timeout_ms < 1 || cfg->timeout_ms > 3600000)
    return parley_error_set(err, PARLEY_ECONFIG, "output %s: timeout: must be 1ms to 1h", name);
  int rc = check_tls(cfg, name, err);
  if (rc)
    return rc;
  webhook_t *w = calloc(1, sizeof *w);
  if (!w)
    return parley_error_set(err, PARLEY_ENOMEM, "out of memory");
  w->o = o;
  w->cfg = cfg;
  parley_httpc_url_for_log(cfg->url, w->url_for_log, sizeof w->url_for_log);
  *state = w;
  return 0;
}

static int webhook_open(void *state, uv_loop_t *loop, parley_error_t *err) {
  webhook_t *w = state;
  int rc = parley_httpc_new(&w->http, loop, err);
  if (rc == 0)
    rc = parley_httpc_set_tls(w->http, w->cfg->tls_verify, w->cfg->ca_file, err);
  if (rc)
    return rc;
  if (!w->cfg->tls_verify)
    parley_log_instance(PARLEY_LOG_WARN, "output", parley_output_name(w->o),
                        "tls_verify is false: the certificate and host name of %s are not checked",
                        w->url_for_log);
  if (!w->cfg->secret)
    parley_log_instance(PARLEY_LOG_WARN, "output", parley_output_name(w->o),
                        "no secret: webhook requests are not signed");
  return 0;
}

static void webhook_deliver(void *state, const parley_output_item_t *items, size_t n) {
  webhook_t *w = state;
  if (n > w->cap) {
    parley_output_item_t *p = realloc(w->items, n * sizeof *p);
    if (!p) {
      parley_output_done(w->o, PARLEY_ENOMEM, "out of memory copying a batch");
      return;
    }
    w->items = p;
    w->cap = n;
  }
  memcpy(w->items, items, n * sizeof *items);
  w->n = n;
  w->next = 0;
  post_next(w);
}

static void http_closed(void *data) {
  webhook_t *w = data;
  parley_httpc_free(w->http);
  w->http = NULL;
  w->close_cb(w->close_o);
}

static void webhook_close(void *state, void (*cb)(parley_output_t *o), parley_output_t *o) {
  webhook_t *w = state;
  w->closing = 1;
  w->close_cb = cb;
  w->close_o = o;
  if (!w->http) {
    cb(o);
    return;
  }
  parley_httpc_close(w->http, http_closed, w);
}

static void webhook_destroy(void *state) {
  webhook_t *w = state;
  if (!w)
    return;
  parley_httpc_free(w->http);
  free(w->items);
  free(w);
}

const parley_output_type_t parley_output_webhook = {
    .name = "webhook",
    .description = "POST events as JSON to a URL, signed with HMAC-SHA256 (Parley-Signature)",
    .options = webhook_options,
    .config_size = sizeof(webhook_config_t),
    .create = webhook_create,
    .open = webhook_open,
    .deliver = webhook_deliver,
    .close = webhook_close,
    .destroy = webhook_destroy,
};
