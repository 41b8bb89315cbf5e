/* parley SDK — JSON HTTP calls on the host's loop, with retries and limits.
 *
 * A client is bound to one instance (host, inst) and one platform. It:
 * - builds the parley_http_request_t: method, URL, the token header
 *   ("Authorization: Bearer <token>", or "Access-Token: <token>" for TikTok's
 *   API for Business), Accept and Content-Type, a JSON body from a json_t;
 * - parses the JSON response with jansson and hands it to the callback;
 * - retries 5xx and network failures with exponential backoff and full
 *   jitter, waits out 429s and platform throttles until the time the server
 *   names (x-rate-limit-reset, Retry-After, Meta's regain time), and gives up
 *   at once on an expired/invalid token (retry.h has the exact rules);
 * - tracks x-rate-limit-* per endpoint key and never sends a request into a
 *   window it knows is exhausted: the request waits on a host timer instead;
 * - caps the response size and the per-attempt time;
 * - reports failures as a parley_sdk_error_t (error.h).
 *
 * Everything runs on the router's loop thread, like every connector
 * callback. Secrets: the token is copied, wiped when replaced or freed, and
 * never logged; errors name the endpoint key (method and path, never the
 * query, which on Meta may hold an access_token).
 *
 *   parley_sdk_http_policy_t pol;
 *   parley_sdk_http_policy_init(&pol, PARLEY_SDK_TWITTER);
 *   parley_sdk_http_new(host, inst, &pol, &me->http, &err);
 *   parley_sdk_http_set_token(me->http, cfg->bearer_token);
 *   parley_sdk_http_call_t call = {.url = url, .endpoint = "GET /2/users/:id/mentions"};
 *   parley_sdk_http_send(me->http, &call, on_mentions, me, NULL);
 *   ...
 *   static void on_mentions(parley_sdk_http_t *c, const parley_sdk_http_result_t *r, void *me) {
 *     if (r->status < 0) { ... r->error->is_auth, r->error->message ... return; }
 *     json_t *data = parley_sdk_json_array(r->json, "data", &n); ...
 *   }
 */
#ifndef PARLEY_SDK_HTTP_H
#define PARLEY_SDK_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "parley/connector.h"
#include "parley/sdk/error.h"
#include "parley/sdk/platform.h"
#include "parley/sdk/ratelimit.h"
#include "parley/sdk/retry.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct parley_sdk_http parley_sdk_http_t;
typedef struct parley_sdk_http_op parley_sdk_http_op_t;

typedef enum {
  PARLEY_SDK_AUTH_DEFAULT = 0,  /* the platform's: Access-Token for TikTok, else Bearer */
  PARLEY_SDK_AUTH_BEARER,       /* Authorization: Bearer <token> */
  PARLEY_SDK_AUTH_ACCESS_TOKEN, /* Access-Token: <token> */
} parley_sdk_auth_style_t;

typedef struct parley_sdk_http_policy {
  parley_sdk_platform_t platform;
  parley_sdk_auth_style_t auth_style;
  uint32_t timeout_ms;             /* per attempt; 0 = 30 s */
  size_t max_response;             /* response body bytes; 0 = 8 MiB */
  parley_sdk_retry_policy_t retry; /* see retry.h */
  int64_t clock_skew_ms;           /* margin after a window reset; default 1000 */
  uint64_t seed;                   /* jitter RNG seed; 0 = from the wall clock */
} parley_sdk_http_policy_t;

/* Defaults for a platform: 30 s per attempt, 8 MiB responses, the retry.h
 * defaults (a throttle without any hint waits a jittered 30..60 s, in line
 * with facebook.md's "back off starting ~60 s"), 1 s clock-skew margin. */
void parley_sdk_http_policy_init(parley_sdk_http_policy_t *p, parley_sdk_platform_t platform);

/* One call. Everything is copied by parley_sdk_http_send(). */
typedef struct parley_sdk_http_call {
  const char *method;          /* NULL = "GET" */
  const char *url;             /* required */
  const char *endpoint;        /* rate-limit key ("GET /2/users/:id/mentions");
                                  NULL = method + URL path without the query */
  const json_t *json;          /* body, sent as application/json; or: */
  const char *body;            /* a raw body of body_len bytes ... */
  size_t body_len;
  const char *content_type;    /* ... with this type (NULL: form-urlencoded) */
  const char *const *headers;  /* extra "Name: value" lines, NULL-terminated */
  int retry_unsafe;            /* 1: also retry POST/PATCH on 5xx and network errors */
  int no_auth;                 /* 1: send no token (token endpoints) */
} parley_sdk_http_call_t;

/* What the callback receives; valid during the callback only. */
typedef struct parley_sdk_http_result {
  int status;                      /* 0, or PARLEY_E* (== error->code) */
  long http_status;                /* 0 when there was no HTTP answer */
  json_t *json;                    /* parsed 2xx body, borrowed (json_incref to keep);
                                      NULL for an empty body or a failure */
  const char *body;                /* raw body, NULL when none */
  size_t body_len;
  const parley_sdk_error_t *error; /* never NULL; error->code 0 on success */
  uint32_t attempts;               /* attempts made, >= 1 unless it never went out */
  const char *endpoint;            /* the rate-limit key used */
  size_t repaired;                 /* characters of body replaced by U+FFFD so json
                                      parsed (parley_sdk_json_parse_repair); 0 none.
                                      A repeatable call whose 2xx body needs repair
                                      is retried first (backoff, as a transient
                                      failure); the repaired body is handed over
                                      only when every attempt brought bad text.
                                      Since SDK 0.3 */
  /* private */
  const parley_host_t *host_;
  parley_http_t *req_;
} parley_sdk_http_result_t;

/* While a callback of c runs: the `repaired` count of the result it was
 * handed; 0 outside callbacks. A connector's emit function reads it to mark
 * every event built from that response (parley_event_set_repaired) without
 * passing the count through its mapping code. Since SDK 0.3. */
size_t parley_sdk_http_repaired(const parley_sdk_http_t *c);

/* A response header of the final attempt (case-insensitive), NULL if
 * absent or there was no answer (LinkedIn returns new ids in x-restli-id). */
const char *parley_sdk_http_result_header(const parley_sdk_http_result_t *r, const char *name);

/* Called exactly once per successful parley_sdk_http_send(). */
typedef void (*parley_sdk_http_cb)(parley_sdk_http_t *client, const parley_sdk_http_result_t *res,
                                   void *data);

/* Create a client. host and inst must outlive it; policy is copied (NULL:
 * parley_sdk_http_policy_init(GENERIC)); its zero fields take the defaults.
 * Returns 0 or PARLEY_EINVAL / PARLEY_ENOMEM with err set. */
int parley_sdk_http_new(const parley_host_t *host, parley_instance_t *inst,
                        const parley_sdk_http_policy_t *policy, parley_sdk_http_t **out,
                        parley_error_t *err);

/* The token sent with every call (copied; NULL clears it). The previous one
 * is wiped from memory. A refreshed token applies to retries too. Returns 0,
 * PARLEY_EINVAL (control characters) or PARLEY_ENOMEM. */
int parley_sdk_http_set_token(parley_sdk_http_t *c, const char *token);

/* A header sent with every call ("LinkedIn-Version: 202509"); copied. */
int parley_sdk_http_add_header(parley_sdk_http_t *c, const char *line);

/* Start a call. Returns 0 (cb will run exactly once, never from within this
 * function) and sets *op (may be NULL) to a handle valid until cb runs; or a
 * PARLEY_E* code (PARLEY_EINVAL, PARLEY_ENOMEM, PARLEY_ESTATE while closing)
 * and cb never runs. */
int parley_sdk_http_send(parley_sdk_http_t *c, const parley_sdk_http_call_t *call,
                         parley_sdk_http_cb cb, void *data, parley_sdk_http_op_t **op);

/* Cancel a call: its callback runs once with PARLEY_ECANCELED (right away
 * if it was waiting, or when the host finishes canceling the transfer). */
void parley_sdk_http_cancel(parley_sdk_http_op_t *op);

/* When (wall ms) a call to endpoint may go out without exceeding a known
 * window; the wall clock now when nothing blocks it. */
int64_t parley_sdk_http_next_allowed(parley_sdk_http_t *c, const char *endpoint);
/* Spacing that spreads the rest of endpoint's window evenly until its reset
 * (ms), or -1 when the window is unknown (see parley_sdk_rl_spread_ms). */
int64_t parley_sdk_http_spread_ms(parley_sdk_http_t *c, const char *endpoint);
/* Highest Meta usage percentage last reported, -1 when none. */
int parley_sdk_http_usage_pct(parley_sdk_http_t *c);
/* The rate-limit table (read-only). */
const parley_sdk_rl_table_t *parley_sdk_http_limits(const parley_sdk_http_t *c);

/* Close: cancels every call (each callback runs with PARLEY_ECANCELED),
 * then, once the last has run, frees the client and calls done(data) (may
 * be NULL) - possibly before this function returns. Use it in the
 * connector's stop() and call host->stopped() from done. */
void parley_sdk_http_close(parley_sdk_http_t *c, void (*done)(void *data), void *data);

#ifdef __cplusplus
}
#endif
#endif
