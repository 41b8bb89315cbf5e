/* parley SDK — JSON HTTP calls with retries and rate limits (http.h).
 *
 * An op is one logical call; it makes one or more attempts. Between
 * attempts (and before the first, when a window is exhausted) it waits on a
 * one-shot host timer. The decisions themselves are pure functions in
 * ratelimit.c, error.c and retry.c; this file only wires them to the host. */
#include "parley/sdk/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "parley/sdk/json.h"

#define PARLEY_SDK_HTTP_MAX_HEADERS 32
#define PARLEY_SDK_HTTP_DEFAULT_MAX_RESPONSE (8u * 1024 * 1024)

struct parley_sdk_http {
  const parley_host_t *host;
  parley_instance_t *inst;
  parley_sdk_http_policy_t policy;
  parley_sdk_rl_table_t limits;
  parley_sdk_rng_t rng;
  char *token;    /* wiped on replace/free */
  char **headers; /* fixed extra header lines */
  size_t nheaders;
  parley_sdk_http_op_t *ops; /* outstanding calls */
  int closing;
  int in_close;
  int dispatching; /* callbacks running: the client must outlive them */
  size_t repaired; /* of the result whose callback runs now */
  void (*close_done)(void *data);
  void *close_data;
};

struct parley_sdk_http_op {
  parley_sdk_http_t *c;
  parley_sdk_http_op_t *prev, *next;
  char *method, *url, *endpoint, *body, *content_type;
  size_t body_len;
  char **headers;
  size_t nheaders;
  int idempotent, no_auth;
  parley_sdk_http_cb cb;
  void *data;
  uint32_t attempts;
  parley_http_t *req;     /* in flight */
  parley_timer_t *timer;  /* waiting */
  int canceled;
  parley_sdk_error_t pending; /* delivered by the timer when code != 0 */
};

static void parley_sdk_http_attempt(parley_sdk_http_op_t *op);
static void parley_sdk_http_schedule(parley_sdk_http_op_t *op);

void parley_sdk_http_policy_init(parley_sdk_http_policy_t *p, parley_sdk_platform_t platform) {
  memset(p, 0, sizeof *p);
  p->platform = platform;
  p->timeout_ms = 30000;
  p->max_response = PARLEY_SDK_HTTP_DEFAULT_MAX_RESPONSE;
  parley_sdk_retry_policy_init(&p->retry);
  p->clock_skew_ms = 1000;
}

static void parley_sdk_free_secret(char *s) {
  if (s) {
    OPENSSL_cleanse(s, strlen(s));
    free(s);
  }
}

static void parley_sdk_free_lines(char **lines, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(lines[i]);
  free(lines);
}

int parley_sdk_http_new(const parley_host_t *host, parley_instance_t *inst,
                        const parley_sdk_http_policy_t *policy, parley_sdk_http_t **out,
                        parley_error_t *err) {
  if (host == NULL || out == NULL || host->http_request == NULL || host->timer_start == NULL ||
      host->wall_ms == NULL)
    return parley_error_set(err, PARLEY_EINVAL,
                            "parley_sdk_http_new: host table lacks HTTP or timers");
  parley_sdk_http_t *c = calloc(1, sizeof *c);
  if (c == NULL)
    return parley_error_set(err, PARLEY_ENOMEM, "parley_sdk_http_new: out of memory");
  c->host = host;
  c->inst = inst;
  if (policy)
    c->policy = *policy;
  else
    parley_sdk_http_policy_init(&c->policy, PARLEY_SDK_GENERIC);
  /* Zero fields mean "default", as in every other parley config struct. */
  parley_sdk_http_policy_t def;
  parley_sdk_http_policy_init(&def, c->policy.platform);
  if (c->policy.max_response == 0)
    c->policy.max_response = def.max_response;
  if (c->policy.retry.max_wait_ms == 0)
    c->policy.retry.max_wait_ms = def.retry.max_wait_ms;
  if (c->policy.retry.rate_limit_fallback_ms == 0)
    c->policy.retry.rate_limit_fallback_ms = def.retry.rate_limit_fallback_ms;
  if (c->policy.retry.backoff.base_ms == 0)
    c->policy.retry.backoff = def.retry.backoff;
  parley_sdk_rl_table_init(&c->limits, c->policy.clock_skew_ms);
  uint64_t seed = c->policy.seed;
  parley_sdk_rng_seed(&c->rng, seed ? seed : (uint64_t)host->wall_ms(inst) ^ (uintptr_t)c);
  *out = c;
  return 0;
}

int parley_sdk_http_set_token(parley_sdk_http_t *c, const char *token) {
  char *copy = NULL;
  /* It goes into a header line: refuse anything that could end the line. */
  for (const char *p = token; p && *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      return PARLEY_EINVAL;
  if (token && (copy = strdup(token)) == NULL)
    return PARLEY_ENOMEM;
  parley_sdk_free_secret(c->token);
  c->token = copy;
  return 0;
}

/* A header line must be "Name: value" on one line: no CR/LF injection. */
static int parley_sdk_header_ok(const char *line) {
  return line && strchr(line, ':') && line[0] != ':' && strpbrk(line, "\r\n") == NULL;
}

int parley_sdk_http_add_header(parley_sdk_http_t *c, const char *line) {
  if (!parley_sdk_header_ok(line) || c->nheaders >= PARLEY_SDK_HTTP_MAX_HEADERS)
    return PARLEY_EINVAL;
  char **h = realloc(c->headers, (c->nheaders + 1) * sizeof *h);
  if (h == NULL)
    return PARLEY_ENOMEM;
  c->headers = h;
  if ((h[c->nheaders] = strdup(line)) == NULL)
    return PARLEY_ENOMEM;
  c->nheaders++;
  return 0;
}

/* "GET /2/users/1/mentions": the method and the URL's path, no query. */
static char *parley_sdk_endpoint_key(const char *method, const char *url) {
  const char *p = strstr(url, "://");
  p = p ? strchr(p + 3, '/') : url;
  if (p == NULL)
    p = "/";
  size_t n = strcspn(p, "?#");
  size_t len = strlen(method) + 1 + n + 1;
  char *key = malloc(len);
  if (key)
    snprintf(key, len, "%s %.*s", method, (int)n, p);
  return key;
}

static void parley_sdk_op_free(parley_sdk_http_op_t *op) {
  free(op->method);
  free(op->url);
  free(op->endpoint);
  free(op->body);
  free(op->content_type);
  parley_sdk_free_lines(op->headers, op->nheaders);
  free(op);
}

static int parley_sdk_op_copy_call(parley_sdk_http_op_t *op, const parley_sdk_http_call_t *call) {
  const char *method = call->method ? call->method : "GET";
  op->method = strdup(method);
  op->url = strdup(call->url);
  op->endpoint = call->endpoint ? strdup(call->endpoint) : parley_sdk_endpoint_key(method, call->url);
  if (!op->method || !op->url || !op->endpoint)
    return PARLEY_ENOMEM;
  if (call->json) {
    op->body = json_dumps(call->json, JSON_COMPACT | JSON_ENCODE_ANY);
    op->content_type = strdup("application/json");
    if (!op->body || !op->content_type)
      return PARLEY_ENOMEM;
    op->body_len = strlen(op->body);
  } else if (call->body) {
    op->body = malloc(call->body_len + 1);
    op->content_type = strdup(call->content_type ? call->content_type
                                                 : "application/x-www-form-urlencoded");
    if (!op->body || !op->content_type)
      return PARLEY_ENOMEM;
    memcpy(op->body, call->body, call->body_len);
    op->body[call->body_len] = '\0';
    op->body_len = call->body_len;
  }
  for (const char *const *h = call->headers; h && *h; h++) {
    if (!parley_sdk_header_ok(*h) || op->nheaders >= PARLEY_SDK_HTTP_MAX_HEADERS)
      return PARLEY_EINVAL;
    char **n = realloc(op->headers, (op->nheaders + 1) * sizeof *n);
    if (n == NULL)
      return PARLEY_ENOMEM;
    op->headers = n;
    if ((n[op->nheaders] = strdup(*h)) == NULL)
      return PARLEY_ENOMEM;
    op->nheaders++;
  }
  op->idempotent = parley_sdk_method_idempotent(method) || call->retry_unsafe;
  op->no_auth = call->no_auth;
  return 0;
}

static void parley_sdk_op_link(parley_sdk_http_op_t *op) {
  parley_sdk_http_t *c = op->c;
  op->next = c->ops;
  if (c->ops)
    c->ops->prev = op;
  c->ops = op;
}

static void parley_sdk_op_unlink(parley_sdk_http_op_t *op) {
  if (op->prev)
    op->prev->next = op->next;
  else
    op->c->ops = op->next;
  if (op->next)
    op->next->prev = op->prev;
}

static void parley_sdk_http_finalize(parley_sdk_http_t *c) {
  void (*done)(void *) = c->close_done;
  void *data = c->close_data;
  parley_sdk_free_secret(c->token);
  parley_sdk_free_lines(c->headers, c->nheaders);
  parley_sdk_rl_table_free(&c->limits);
  free(c);
  if (done)
    done(data);
}

/* Deliver the outcome, then free the op (and the client when closing). */
static void parley_sdk_op_finish(parley_sdk_http_op_t *op, parley_http_t *req,
                                 const parley_http_response_t *res, json_t *json,
                                 size_t repaired, const parley_sdk_error_t *e) {
  parley_sdk_http_t *c = op->c;
  parley_sdk_http_result_t r = {0};
  r.status = e->code;
  r.http_status = res ? res->http_status : 0;
  r.json = json;
  r.body = res ? res->body : NULL;
  r.body_len = res ? res->body_len : 0;
  r.error = e;
  r.attempts = op->attempts;
  r.endpoint = op->endpoint;
  r.repaired = json ? repaired : 0;
  r.host_ = c->host;
  r.req_ = req;
  parley_sdk_op_unlink(op);
  c->dispatching++;
  size_t outer = c->repaired;
  c->repaired = r.repaired;
  op->cb(c, &r, op->data); /* may call parley_sdk_http_close(c) */
  c->repaired = outer;
  c->dispatching--;
  json_decref(json);
  parley_sdk_op_free(op);
  if (c->closing && c->ops == NULL && !c->in_close && c->dispatching == 0)
    parley_sdk_http_finalize(c);
}

static void parley_sdk_op_finish_error(parley_sdk_http_op_t *op, const parley_sdk_error_t *e) {
  parley_sdk_op_finish(op, NULL, NULL, NULL, 0, e);
}

static void parley_sdk_op_canceled(parley_sdk_http_op_t *op) {
  parley_sdk_error_t e;
  parley_sdk_error_transport(&e, PARLEY_ECANCELED, "request canceled");
  parley_sdk_op_finish_error(op, &e);
}

static void parley_sdk_http_on_timer(parley_timer_t *timer, void *data) {
  parley_sdk_http_op_t *op = data;
  op->c->host->timer_stop(timer);
  op->timer = NULL;
  if (op->canceled)
    parley_sdk_op_canceled(op);
  else if (op->pending.code)
    parley_sdk_op_finish_error(op, &op->pending);
  else
    parley_sdk_http_schedule(op);
}

/* Wait delay_ms on a host timer, then go on (schedule, or deliver
 * op->pending). Returns 0 or PARLEY_ENOMEM. */
static int parley_sdk_op_wait(parley_sdk_http_op_t *op, uint64_t delay_ms) {
  parley_sdk_http_t *c = op->c;
  op->timer = c->host->timer_start(c->inst, delay_ms, 0, parley_sdk_http_on_timer, op);
  return op->timer ? 0 : PARLEY_ENOMEM;
}

static int64_t parley_sdk_http_now(parley_sdk_http_t *c) {
  return c->host->wall_ms(c->inst);
}

/* The window a response's limits belong to: Meta's usage headers and
 * throttles are app/business wide, everyone else's are per endpoint. */
static const char *parley_sdk_op_window(const parley_sdk_http_op_t *op) {
  return op->c->policy.platform == PARLEY_SDK_META ? PARLEY_SDK_RL_ALL : op->endpoint;
}

/* Send now if the window allows, else wait for it (or give up if the wait
 * is longer than the policy sits out). */
static void parley_sdk_http_schedule(parley_sdk_http_op_t *op) {
  parley_sdk_http_t *c = op->c;
  int64_t now = parley_sdk_http_now(c);
  int64_t at = parley_sdk_rl_next_allowed(&c->limits, op->endpoint, now);
  if (at <= now) {
    parley_sdk_http_attempt(op);
    return;
  }
  uint64_t wait = (uint64_t)(at - now);
  if (wait > c->policy.retry.max_wait_ms) {
    parley_sdk_error_init(&op->pending);
    op->pending.code = PARLEY_ERATELIMIT;
    op->pending.is_rate_limit = 1;
    op->pending.retry_after_ms = (int64_t)wait;
    snprintf(op->pending.message, sizeof op->pending.message,
             "%s: rate-limit window exhausted for another %llu s", op->endpoint,
             (unsigned long long)(wait / 1000));
    wait = 0;
  }
  if (parley_sdk_op_wait(op, wait) < 0) {
    parley_sdk_error_t e;
    parley_sdk_error_transport(&e, PARLEY_ENOMEM, "could not start a timer");
    parley_sdk_op_finish_error(op, &e);
  }
}

typedef struct parley_sdk_header_ctx {
  const parley_host_t *host;
  parley_http_t *req;
} parley_sdk_header_ctx_t;

static const char *parley_sdk_http_header_cb(void *ctx, const char *name) {
  parley_sdk_header_ctx_t *h = ctx;
  return h->host->http_header ? h->host->http_header(h->req, name) : NULL;
}

/* A rate-limited answer without a Retry-After: wait for the window reset if
 * the headers named one. */
static void parley_sdk_rate_limit_hint(parley_sdk_error_t *e, const parley_sdk_rl_info_t *info,
                                       int64_t now, int64_t skew) {
  if (!e->is_rate_limit)
    return;
  if (e->retry_after_ms < 0 && info->retry_after_ms >= 0)
    e->retry_after_ms = info->retry_after_ms;
  if (e->retry_after_ms < 0 && info->reset_ms > now)
    e->retry_after_ms = info->reset_ms - now + skew;
}

/* Classify an answer: 0 and *json on success, else e filled. */
static int parley_sdk_http_classify(parley_sdk_http_op_t *op, const parley_http_response_t *res,
                                    const parley_sdk_rl_info_t *info, int64_t now,
                                    json_t **json, size_t *repaired, parley_sdk_error_t *e) {
  parley_sdk_http_t *c = op->c;
  *json = NULL;
  *repaired = 0;
  if (res->status < 0 || res->http_status == 0) {
    parley_sdk_error_transport(e, res->status < 0 ? res->status : PARLEY_ENETWORK, res->error);
    return e->code;
  }
  if (parley_sdk_error_parse(c->policy.platform, res->http_status, res->body, res->body_len, now,
                             e) < 0) {
    parley_sdk_rate_limit_hint(e, info, now, c->policy.clock_skew_ms);
    return e->code;
  }
  if (res->body == NULL || res->body_len == 0)
    return 0;
  parley_error_t perr = {0};
  char what[160];
  snprintf(what, sizeof what, "response of %s", op->endpoint);
  /* A 2xx body with one bad character is still the platform's answer: the
   * same bytes come back on every retry, so refusing it would lose the
   * whole page (and stall the cursor behind it). */
  *json = parley_sdk_json_parse_repair(res->body, res->body_len, what, repaired, &perr);
  if (*json)
    return 0;
  parley_sdk_error_init(e);
  e->code = PARLEY_EPARSE;
  e->http_status = res->http_status;
  snprintf(e->message, sizeof e->message, "%s", perr.message);
  return e->code;
}

/* A 2xx body that parsed only after repair: a damaged id or cursor in it
 * would cost items, so a repeatable call is first retried like a transient
 * failure (the next answer may be clean). Only when the retries are spent
 * (the platform sends the same bytes) is the repaired body taken. Returns 1
 * when a retry was scheduled. */
static int parley_sdk_repair_retry(parley_sdk_http_op_t *op, const parley_http_response_t *res,
                                   int64_t now) {
  parley_sdk_http_t *c = op->c;
  parley_sdk_error_t e;
  parley_sdk_error_init(&e);
  e.code = PARLEY_EIO; /* retried as transient, unlike an unparseable body (EPARSE) */
  e.http_status = res->http_status;
  e.is_transient = 1;
  int64_t window_wait = parley_sdk_rl_next_allowed(&c->limits, op->endpoint, now) - now;
  uint64_t delay;
  return !c->closing &&
         parley_sdk_retry_decide(&c->policy.retry, &e, op->attempts, op->idempotent, window_wait,
                                 &c->rng, &delay) &&
         parley_sdk_op_wait(op, delay) == 0;
}

static void parley_sdk_http_on_response(parley_http_t *req, const parley_http_response_t *res,
                                        void *data) {
  parley_sdk_http_op_t *op = data;
  parley_sdk_http_t *c = op->c;
  /* The handle is the host's again after this callback: forget it now so
   * a later cancel cannot touch it. Header lookups use `req`. */
  op->req = NULL;
  int64_t now = parley_sdk_http_now(c);
  parley_sdk_rl_info_t info;
  parley_sdk_rl_info_init(&info);
  parley_sdk_header_ctx_t hctx = {c->host, req};
  if (res->http_status > 0)
    parley_sdk_rl_parse(parley_sdk_http_header_cb, &hctx, now, &info);
  parley_sdk_rl_release(&c->limits, op->endpoint, NULL, now);
  parley_sdk_rl_update(&c->limits, parley_sdk_op_window(op), &info, now);
  json_t *json;
  size_t repaired;
  parley_sdk_error_t e;
  if (op->canceled || res->status == PARLEY_ECANCELED) {
    parley_sdk_op_canceled(op);
    return;
  }
  if (parley_sdk_http_classify(op, res, &info, now, &json, &repaired, &e) == 0) {
    if (repaired && parley_sdk_repair_retry(op, res, now)) {
      json_decref(json);
      return;
    }
    if (repaired)
      c->host->log(c->inst, PARLEY_LOG_WARN,
                   "response of %s: %zu bytes accepted with %zu invalid characters replaced by "
                   "U+FFFD (invalid UTF-8, NUL or a lone surrogate) after %u attempt(s)",
                   op->endpoint, res->body_len, repaired, (unsigned)op->attempts);
    parley_sdk_op_finish(op, req, res, json, repaired, &e);
    return;
  }
  if (e.is_rate_limit && !e.is_usage_cap) {
    /* Hold every call to this window back, not only this one. */
    parley_sdk_rl_block(&c->limits, parley_sdk_op_window(op),
                        e.retry_after_ms > 0 ? now + e.retry_after_ms : now);
  }
  int64_t window_wait = parley_sdk_rl_next_allowed(&c->limits, op->endpoint, now) - now;
  uint64_t delay;
  if (!c->closing && parley_sdk_retry_decide(&c->policy.retry, &e, op->attempts,
                                             op->idempotent, window_wait, &c->rng, &delay)) {
    if (parley_sdk_op_wait(op, delay) == 0)
      return;
  }
  if (e.is_rate_limit && e.retry_after_ms < window_wait)
    e.retry_after_ms = window_wait;
  parley_sdk_op_finish(op, req, res, NULL, 0, &e);
}

size_t parley_sdk_http_repaired(const parley_sdk_http_t *c) { return c ? c->repaired : 0; }

/* Build the header array for one attempt. Returns the count or -1. The
 * auth line holds the token: the caller wipes and frees it. */
static int parley_sdk_op_headers(parley_sdk_http_op_t *op, const char **out, size_t cap,
                                 char **auth, char **ctype) {
  parley_sdk_http_t *c = op->c;
  size_t n = 0;
  *auth = *ctype = NULL;
  out[n++] = "Accept: application/json";
  if (c->token && !op->no_auth) {
    int access = c->policy.auth_style == PARLEY_SDK_AUTH_ACCESS_TOKEN ||
                 (c->policy.auth_style == PARLEY_SDK_AUTH_DEFAULT &&
                  c->policy.platform == PARLEY_SDK_TIKTOK);
    size_t len = strlen(c->token) + 32;
    if ((*auth = malloc(len)) == NULL)
      return -1;
    snprintf(*auth, len, access ? "Access-Token: %s" : "Authorization: Bearer %s", c->token);
    out[n++] = *auth;
  }
  if (op->content_type) {
    size_t len = strlen(op->content_type) + 16;
    if ((*ctype = malloc(len)) == NULL)
      return -1;
    snprintf(*ctype, len, "Content-Type: %s", op->content_type);
    out[n++] = *ctype;
  }
  for (size_t i = 0; i < c->nheaders && n + 1 < cap; i++)
    out[n++] = c->headers[i];
  for (size_t i = 0; i < op->nheaders && n + 1 < cap; i++)
    out[n++] = op->headers[i];
  out[n] = NULL;
  return (int)n;
}

/* Issue one attempt; returns 0 or the host's PARLEY_E* when it refused. */
static int parley_sdk_http_issue(parley_sdk_http_op_t *op) {
  parley_sdk_http_t *c = op->c;
  const char *headers[PARLEY_SDK_HTTP_MAX_HEADERS * 2 + 4];
  char *auth, *ctype;
  int rc = parley_sdk_op_headers(op, headers, sizeof headers / sizeof headers[0], &auth, &ctype);
  if (rc >= 0) {
    parley_http_request_t req = {
        .method = op->method, .url = op->url, .headers = headers, .body = op->body,
        .body_len = op->body_len, .timeout_ms = c->policy.timeout_ms,
        .max_response = c->policy.max_response};
    int64_t now = parley_sdk_http_now(c);
    rc = parley_sdk_rl_acquire(&c->limits, op->endpoint, now);
    if (rc == 0) {
      op->attempts++;
      rc = c->host->http_request(c->inst, &req, parley_sdk_http_on_response, op, &op->req);
      if (rc < 0)
        parley_sdk_rl_release(&c->limits, op->endpoint, NULL, now);
    }
  } else {
    rc = PARLEY_ENOMEM;
  }
  parley_sdk_free_secret(auth);
  free(ctype);
  return rc;
}

static void parley_sdk_http_attempt(parley_sdk_http_op_t *op) {
  int rc = parley_sdk_http_issue(op);
  if (rc < 0) {
    parley_sdk_error_t e;
    parley_sdk_error_transport(&e, rc, "the host refused the request");
    parley_sdk_op_finish_error(op, &e);
  }
}

int parley_sdk_http_send(parley_sdk_http_t *c, const parley_sdk_http_call_t *call,
                         parley_sdk_http_cb cb, void *data, parley_sdk_http_op_t **out) {
  if (c == NULL || call == NULL || call->url == NULL || cb == NULL)
    return PARLEY_EINVAL;
  if (c->closing)
    return PARLEY_ESTATE;
  parley_sdk_http_op_t *op = calloc(1, sizeof *op);
  if (op == NULL)
    return PARLEY_ENOMEM;
  op->c = c;
  op->cb = cb;
  op->data = data;
  int rc = parley_sdk_op_copy_call(op, call);
  if (rc < 0) {
    parley_sdk_op_free(op);
    return rc;
  }
  /* Always start from a timer turn (0 ms when nothing blocks), so the
   * callback never runs inside send() and every path is the same. */
  if (parley_sdk_op_wait(op, 0) < 0) {
    parley_sdk_op_free(op);
    return PARLEY_ENOMEM;
  }
  parley_sdk_op_link(op);
  if (out)
    *out = op;
  return 0;
}

void parley_sdk_http_cancel(parley_sdk_http_op_t *op) {
  if (op == NULL || op->canceled)
    return;
  op->canceled = 1;
  if (op->req) {
    op->c->host->http_cancel(op->req);
  } else if (op->timer) {
    op->c->host->timer_stop(op->timer);
    op->timer = NULL;
    parley_sdk_op_canceled(op);
  }
}

int64_t parley_sdk_http_next_allowed(parley_sdk_http_t *c, const char *endpoint) {
  return parley_sdk_rl_next_allowed(&c->limits, endpoint, parley_sdk_http_now(c));
}

int64_t parley_sdk_http_spread_ms(parley_sdk_http_t *c, const char *endpoint) {
  return parley_sdk_rl_spread_ms(&c->limits, endpoint, parley_sdk_http_now(c));
}

int parley_sdk_http_usage_pct(parley_sdk_http_t *c) {
  const parley_sdk_rl_window_t *w = parley_sdk_rl_find(&c->limits, PARLEY_SDK_RL_ALL);
  return w ? w->usage_pct : -1;
}

const parley_sdk_rl_table_t *parley_sdk_http_limits(const parley_sdk_http_t *c) {
  return &c->limits;
}

const char *parley_sdk_http_result_header(const parley_sdk_http_result_t *r, const char *name) {
  if (r == NULL || r->req_ == NULL || r->host_ == NULL || r->host_->http_header == NULL)
    return NULL;
  return r->host_->http_header(r->req_, name);
}

void parley_sdk_http_close(parley_sdk_http_t *c, void (*done)(void *data), void *data) {
  if (c == NULL || c->closing)
    return;
  c->closing = 1;
  c->close_done = done;
  c->close_data = data;
  c->in_close = 1;
  /* Restart from the head each time: a callback may finish other ops. */
  for (;;) {
    parley_sdk_http_op_t *op = c->ops;
    while (op && op->canceled)
      op = op->next;
    if (op == NULL)
      break;
    parley_sdk_http_cancel(op);
  }
  c->in_close = 0;
  /* From inside a callback, the finish that runs it frees the client. */
  if (c->ops == NULL && c->dispatching == 0)
    parley_sdk_http_finalize(c);
}
