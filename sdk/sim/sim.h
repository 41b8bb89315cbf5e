/* parley-sim — the platform simulator's framework contract.
 *
 * One program serves all five platforms on loopback under path prefixes
 * (/twitter, /facebook, /instagram, /linkedin, /tiktok) plus a control API
 * under /_sim/. The framework owns the loop, the HTTP server and client, the
 * item store, fault injection, rate limits, tokens, the sent-record and
 * webhook deliveries; a platform module (sim_twitter.c, sim_facebook.c, ...)
 * only maps its documented endpoints and formats onto them.
 *
 * Threading: everything runs on the one libuv loop thread; nothing here is
 * thread-safe and nothing needs to be.
 *
 * JSON ownership follows jansson's words: "stolen" means the callee takes the
 * caller's reference; "borrowed" means no reference changes hands and the
 * pointer stays valid as long as the owner (the store) keeps the object —
 * items and users live until parley_sim_free().
 *
 * The request data slot (parley_httpd_req_set_data) belongs to the
 * framework: platform handlers must not use it. Every answer to a request
 * routed to a platform must go through parley_sim_respond(),
 * parley_sim_respond_json() or parley_sim_stream_start(), so that injected
 * faults apply to every platform for free.
 */
#ifndef PARLEY_SIM_H
#define PARLEY_SIM_H

#include <jansson.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "http_client.h"
#include "http_server.h"
#include "parley/error.h"

#if defined(__GNUC__)
#define PARLEY_SIM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define PARLEY_SIM_PRINTF(a, b)
#endif

typedef struct parley_sim parley_sim_t;
typedef struct parley_sim_store parley_sim_store_t;
typedef struct parley_sim_faults parley_sim_faults_t;
typedef struct parley_sim_ratelimit parley_sim_ratelimit_t;
typedef struct parley_sim_webhooks parley_sim_webhooks_t;
typedef struct parley_sim_tokens parley_sim_tokens_t;

/* ------------------------------------------------------------------ */
/* Response headers: a small owned list of "Name: value" strings.       */
/* ------------------------------------------------------------------ */

#define PARLEY_SIM_MAX_HEADERS 24

typedef struct parley_sim_headers {
  size_t n;
  char *v[PARLEY_SIM_MAX_HEADERS + 1]; /* NULL-terminated */
} parley_sim_headers_t;

/* Zero the list (a zero-initialised struct is also a valid empty list). */
void parley_sim_headers_init(parley_sim_headers_t *h);
/* Append a printf-formatted "Name: value". PARLEY_ENOBUFS when full. */
int parley_sim_headers_add(parley_sim_headers_t *h, const char *fmt, ...)
    PARLEY_SIM_PRINTF(2, 3);
/* The NULL-terminated list, for parley_httpd_respond(); valid until free. */
const char *const *parley_sim_headers_list(const parley_sim_headers_t *h);
/* Free the strings; the list is empty afterwards and reusable. */
void parley_sim_headers_free(parley_sim_headers_t *h);

/* ------------------------------------------------------------------ */
/* Platform modules                                                     */
/* ------------------------------------------------------------------ */

typedef struct parley_sim_platform {
  const char *name; /* "twitter": also the path prefix "/twitter" */

  /* Read the platform's part of the scenario (the object
   * scenario.platforms.<name>, borrowed; NULL when the scenario has none)
   * and set up module state with parley_sim_set_state(). Items and users of
   * the scenario are loaded by the framework after init. Returns 0 or
   * PARLEY_E*, with the reason in err. Required. */
  int (*init)(parley_sim_t *sim, json_t *scenario_part, parley_error_t *err);

  /* Serve one request under the prefix. subpath is the path after
   * "/<name>" ("" or "/..."), valid during the call. The handler answers
   * now or later through parley_sim_respond*() exactly once. Required. */
  void (*handle)(parley_sim_t *sim, parley_httpd_req_t *req, const char *subpath);

  /* An item was created at run time (control API, generator, a reply the
   * platform itself stored, or a scheduled scenario item coming due):
   * push it to open streams, send webhooks. item is borrowed. May be NULL. */
  void (*on_item)(parley_sim_t *sim, json_t *item);

  /* The platform's own error answer, used by the framework for injected
   * 429 and 5xx faults and for requests held past the timeout: return a new
   * JSON body (or NULL for an empty one) and add the platform's headers
   * (e.g. x-rate-limit-*, X-App-Usage, Retry-After) to headers. *ctype may
   * be set to a content type (default "application/json"). May be NULL:
   * the framework then answers {"error":"..."}. */
  json_t *(*error_body)(parley_sim_t *sim, int status, parley_sim_headers_t *headers,
                        const char **ctype);

  /* Generator (--rate): return a new item (platform/type/text/author...,
   * no id needed) for the n-th generated event, or NULL to skip this
   * platform. The framework adds it with parley_sim_item_add(). May be
   * NULL: the framework then makes a "comment" by a random customer of the
   * platform on the brand's newest post (an item with from_brand and no
   * parent_id), marked "generated": true. */
  json_t *(*generate)(parley_sim_t *sim, uint64_t n);

  /* A webhook target URL was configured (CLI or control API) for this
   * platform: e.g. Twitter sends a CRC GET, Meta a hub.challenge. May be
   * NULL. url is valid during the call. */
  void (*on_webhook_target)(parley_sim_t *sim, const char *url);

  /* Release module state. May be NULL. Also called when init never ran or
   * failed (state NULL then). */
  void (*free)(parley_sim_t *sim);
} parley_sim_platform_t;

/* The five platforms (defined in sim_twitter.c, sim_facebook.c,
 * sim_instagram.c, sim_linkedin.c, sim_tiktok.c; main.c lists those that
 * were compiled in, see sdk/sim/CMakeLists.txt). */
extern const parley_sim_platform_t parley_sim_twitter;
extern const parley_sim_platform_t parley_sim_facebook;
extern const parley_sim_platform_t parley_sim_instagram;
extern const parley_sim_platform_t parley_sim_linkedin;
extern const parley_sim_platform_t parley_sim_tiktok;

#define PARLEY_SIM_MAX_PLATFORMS 8

/* ------------------------------------------------------------------ */
/* The simulator                                                        */
/* ------------------------------------------------------------------ */

typedef struct parley_sim_config {
  const char *listen;            /* "127.0.0.1:0" */
  const char *scenario_path;     /* NULL: empty world */
  uint64_t seed;                 /* generator and random ids */
  double rate;                   /* generated items per second, 0 = off */
  uint64_t keepalive_ms;         /* stream keep-alive interval (20000) */
  uint64_t rate_window_s;        /* 0: each endpoint's documented window;
                                    else every window is this long */
  double rate_limit_scale;       /* documented limits are multiplied (min 1) */
  uint64_t webhook_retry_ms;     /* first retry delay, doubles (1000) */
  unsigned webhook_attempts;     /* deliveries tried per webhook (4) */
  uint64_t timeout_hold_ms;      /* "timeout" fault holds this long (60000) */
  int verbose;                   /* log requests to stderr */
  const char *week_end;          /* NULL, or overrides scenario week.end */
  const char *week_texts;        /* NULL, or overrides scenario week.texts */
} parley_sim_config_t;

struct parley_sim {
  uv_loop_t *loop;
  parley_httpd_t *httpd;
  parley_httpc_t *httpc;
  parley_sim_config_t config;
  parley_sim_store_t *store;
  parley_sim_faults_t *faults;
  parley_sim_ratelimit_t *ratelimit;
  parley_sim_tokens_t *tokens;
  parley_sim_webhooks_t *webhooks;
  json_t *scenario;   /* the whole parsed scenario (owned), {} when none */
  json_t *sent;       /* array of recorded actions (owned) */
  const parley_sim_platform_t *platforms[PARLEY_SIM_MAX_PLATFORMS];
  void *state[PARLEY_SIM_MAX_PLATFORMS]; /* per platform, see set_state */
  size_t nplatforms;
  int running;        /* 1 once the scenario is loaded and the server listens */
  uint64_t start_ms;  /* wall clock at start */
  uint64_t rng;       /* xorshift state, see parley_sim_random */
  uint64_t gen_count;
  void *internal;     /* framework-internal state (timers, held requests) */
  uint64_t event_ms;  /* see parley_sim_event_ms; 0 = the wall clock */
};

/* Set up sim from config with the given platforms (pointers to the
 * descriptors above, kept). Starts nothing. */
int parley_sim_init(parley_sim_t *sim, uv_loop_t *loop, const parley_sim_config_t *config,
                    const parley_sim_platform_t *const *platforms, size_t n,
                    parley_error_t *err);
/* Load the scenario, init the platforms, listen, route, start the
 * generator and the timeline. */
int parley_sim_start(parley_sim_t *sim, parley_error_t *err);
/* Bound port, after start. */
int parley_sim_port(parley_sim_t *sim);
/* Stop timers, answer held requests, close server and client; cb runs when
 * every handle is closed (then call parley_sim_free). */
void parley_sim_stop(parley_sim_t *sim, void (*cb)(void *data), void *data);
void parley_sim_free(parley_sim_t *sim);

/* Timers owned by the framework, so that platforms hold no uv handles.
 * start returns NULL when out of memory; the timer fires after timeout_ms,
 * then every repeat_ms if repeat_ms > 0. stop stops and frees it, also
 * from inside its own callback; a one-shot timer stays allocated until
 * stopped. Timers still running when the simulator stops are closed by the
 * framework: do not stop them from a platform's free(). */
typedef struct parley_sim_timer parley_sim_timer_t;
typedef void (*parley_sim_timer_cb)(parley_sim_t *sim, parley_sim_timer_t *t, void *data);
parley_sim_timer_t *parley_sim_timer_start(parley_sim_t *sim, uint64_t timeout_ms,
                                           uint64_t repeat_ms, parley_sim_timer_cb cb,
                                           void *data);
void parley_sim_timer_stop(parley_sim_timer_t *t);

/* Module state per platform (NULL until set). */
void *parley_sim_state(parley_sim_t *sim, const char *platform);
void parley_sim_set_state(parley_sim_t *sim, const char *platform, void *state);
const parley_sim_platform_t *parley_sim_platform(parley_sim_t *sim, const char *platform);

/* The scenario's platforms.<platform> object (borrowed) or NULL. */
json_t *parley_sim_scenario_part(parley_sim_t *sim, const char *platform);
/* Loads a scenario file (JSON) into a new object; clear error with file,
 * line and column on malformed input. */
json_t *parley_sim_scenario_load(const char *path, parley_error_t *err);

/* Wall clock in ms (what created_ms uses) and a seeded random number. */
uint64_t parley_sim_now_ms(void);
/* The time a webhook reports for the change happening now: the wall
 * clock, or while a generated week is replayed (sim_week.h) the backdated
 * created_ms of the item being added. */
uint64_t parley_sim_event_ms(parley_sim_t *sim);
uint64_t parley_sim_random(parley_sim_t *sim);
/* The generator behind it, on any state (the week keeps its own). */
uint64_t parley_sim_xorshift(uint64_t *state);

/* Log one line to stderr with a "parley-sim: " prefix. Never pass a secret. */
void parley_sim_log(parley_sim_t *sim, const char *fmt, ...) PARLEY_SIM_PRINTF(2, 3);

/* ------------------------------------------------------------------ */
/* Store: items and users as JSON objects                               */
/* ------------------------------------------------------------------ */
/* Item keys (all strings unless noted):
 *   platform, type ("tweet", "dm", "post", "comment", "reply", "mention",
 *   "message", "video"...), id, parent_id, conversation_id, author_id,
 *   account_id (the brand account that receives it), recipient_id (DMs),
 *   text, lang, created_ms (integer, wall clock ms), hidden (bool),
 *   from_brand (bool), deleted (bool), ref (scenario label, optional).
 *   Platform modules may add their own keys (prefix them, e.g. "tw_...").
 * User keys: platform, id, handle, name, followers (integer), verified
 *   (bool), lang.
 */

/* Per-platform monotonic ids: base + sequence, as a decimal string.
 * set_id_base before any item is added (init) to choose the look of ids
 * (Twitter: 1860000000000000000). Default base: 1000000. */
void parley_sim_id_base(parley_sim_t *sim, const char *platform, uint64_t base);
/* Next id for the platform into buf (at least 24 bytes). */
const char *parley_sim_next_id(parley_sim_t *sim, const char *platform, char *buf, size_t len);

/* Add an item (stolen). Missing id, created_ms, conversation_id (parent's
 * conversation, or parent_id, or the item's own id), account_id (the
 * scenario account of the platform), hidden, from_brand are filled in.
 * Fails with PARLEY_EINVAL (no platform / unknown platform / not an object)
 * or PARLEY_EDUP (id exists). When the simulator is running, the platform's
 * on_item is called. Returns the stored item (borrowed) or NULL. */
json_t *parley_sim_item_add(parley_sim_t *sim, json_t *item, parley_error_t *err);
/* Borrowed, or NULL. */
json_t *parley_sim_item_find(parley_sim_t *sim, const char *platform, const char *id);

typedef struct parley_sim_filter {
  const char *platform;        /* NULL: all */
  const char *type;            /* NULL: all; else exact type */
  const char *account_id;      /* NULL: all */
  const char *author_id;       /* NULL: all */
  const char *conversation_id; /* NULL: all */
  const char *parent_id;       /* NULL: all */
  const char *newer_than;      /* id bound, exclusive (since_id) */
  const char *older_than;      /* id bound, exclusive (until_id) */
  int include_hidden;          /* 0: hidden items left out */
  int include_deleted;         /* 0: deleted items left out */
  /* Extra test; NULL: none. Return non-zero to keep the item. */
  int (*match)(json_t *item, void *data);
  void *match_data;
  /* Stop after this many matches, newest first (0: all). With newer_than
   * and limit a poll costs what it returns, not the size of the store. */
  size_t limit;
} parley_sim_filter_t;

/* New array of the matching items (references to the stored objects: do
 * not modify them in place unless you mean to), newest (largest id) first;
 * with platform NULL, grouped by platform name, newest first in each. */
json_t *parley_sim_items(parley_sim_t *sim, const parley_sim_filter_t *f);
/* Compare two decimal id strings by numeric value (length first): <0, 0, >0. */
int parley_sim_id_cmp(const char *a, const char *b);

/* Users (stolen / borrowed, NULL when absent). */
int parley_sim_user_add(parley_sim_t *sim, json_t *user, parley_error_t *err);
json_t *parley_sim_user_find(parley_sim_t *sim, const char *platform, const char *id);
json_t *parley_sim_user_by_handle(parley_sim_t *sim, const char *platform, const char *handle);
/* New array of the platform's users (references), brand accounts left out. */
json_t *parley_sim_users(parley_sim_t *sim, const char *platform);
/* The brand account of the platform: scenario platforms.<p>.account
 * (borrowed: id, handle, name, ...) or NULL. */
json_t *parley_sim_account(parley_sim_t *sim, const char *platform);

/* ------------------------------------------------------------------ */
/* Faults                                                               */
/* ------------------------------------------------------------------ */

typedef enum {
  PARLEY_SIM_FAULT_NONE = 0,
  PARLEY_SIM_FAULT_STATUS429,   /* the platform's own 429 (error_body) */
  PARLEY_SIM_FAULT_STATUS5XX,   /* status (default 503), error_body */
  PARLEY_SIM_FAULT_SLOW,        /* handle after delay_ms */
  PARLEY_SIM_FAULT_TIMEOUT,     /* hold the request timeout_hold_ms */
  PARLEY_SIM_FAULT_TRUNCATED,   /* JSON body cut in half */
  PARLEY_SIM_FAULT_INVALID_UTF8,/* invalid bytes inside a JSON string */
  PARLEY_SIM_FAULT_DUPLICATE,   /* first item of the page repeated */
  PARLEY_SIM_FAULT_OUT_OF_ORDER,/* page items shuffled */
  PARLEY_SIM_FAULT_EXPIRE_TOKEN,/* platform tokens expire from now on */
  PARLEY_SIM_FAULT_OVERSIZED,   /* a > 20 MiB body, streamed */
} parley_sim_fault_kind_t;

typedef struct parley_sim_fault {
  parley_sim_fault_kind_t kind;
  int status;        /* STATUS5XX: 500..599 (503 default); STATUS429: 429 */
  uint32_t delay_ms; /* SLOW */
} parley_sim_fault_t;

/* "status429" ... "oversized" <-> kind; -1 / NULL when unknown. */
int parley_sim_fault_kind(const char *name);
const char *parley_sim_fault_name(parley_sim_fault_kind_t kind);
/* Add a rule: requests of platform whose path (after the platform prefix,
 * e.g. "/2/users/1/mentions") starts with path_prefix ("" = any) get the
 * fault; count > 0 times, or always when count == 0. */
int parley_sim_fault_add(parley_sim_t *sim, const char *platform, const char *path_prefix,
                         const parley_sim_fault_t *fault, unsigned count, parley_error_t *err);
void parley_sim_fault_clear(parley_sim_t *sim);
/* The fault to apply to this request, using up one count; 1 with *out
 * filled, 0 when none. The framework calls it once per request before the
 * platform's handler; platforms rarely need it themselves. */
int parley_sim_fault_take(parley_sim_t *sim, const char *platform, const char *path,
                          parley_sim_fault_t *out);
/* JSON view of the active rules (new array), for GET /_sim/faults; each
 * rule's announced_wait_s is how long its answer tells a client to wait
 * (Retry-After, x-rate-limit-reset, Meta's regain time; 0 for none). */
json_t *parley_sim_fault_list(parley_sim_t *sim);

/* ------------------------------------------------------------------ */
/* Responding (applies body faults: truncated, invalid_utf8, duplicate, */
/* out_of_order, oversized)                                             */
/* ------------------------------------------------------------------ */

/* Answer with body (stolen; NULL for no body), status, ctype (NULL:
 * "application/json; charset=utf-8") and extra headers (may be NULL; the
 * list is copied, the caller frees its own). The "page" that duplicate /
 * out_of_order act on is the first array member of body, looked for at the
 * top level, then one level down (Meta/Twitter "data", LinkedIn
 * "elements", TikTok "data.comments"). */
void parley_sim_respond_json(parley_sim_t *sim, parley_httpd_req_t *req, int status,
                             json_t *body, const char *ctype,
                             const parley_sim_headers_t *headers);
/* Raw answer (body copied); only oversized faults apply. */
void parley_sim_respond(parley_sim_t *sim, parley_httpd_req_t *req, int status,
                        const char *ctype, const char *body, size_t len,
                        const parley_sim_headers_t *headers);
/* The platform's own error answer (error_body) with status. */
void parley_sim_respond_error(parley_sim_t *sim, parley_httpd_req_t *req,
                              const char *platform, int status);
/* The fault chosen for this request (kind NONE when none), for handlers
 * that apply body faults themselves, such as streams. Valid until the
 * request is answered or a stream started. */
parley_sim_fault_t parley_sim_req_fault(parley_httpd_req_t *req);
/* Start a long-lived chunked answer (see parley_httpd_stream_start);
 * afterwards use parley_httpd_stream_write / _end directly. */
void parley_sim_stream_start(parley_sim_t *sim, parley_httpd_req_t *req, int status,
                             const char *ctype, const parley_sim_headers_t *headers,
                             void (*on_close)(parley_httpd_req_t *r, void *data), void *data);

/* Parse the request body as a JSON object (new reference) or NULL with a
 * message in err naming what was wrong (empty, malformed at line:col, not an
 * object). */
json_t *parley_sim_req_json(parley_httpd_req_t *req, parley_error_t *err);
/* Decoded value of a form-urlencoded body parameter into buf: length,
 * PARLEY_ENOENT or PARLEY_ENOBUFS. */
int parley_sim_form_param(const char *body, size_t len, const char *name, char *buf,
                          size_t buflen);

/* ------------------------------------------------------------------ */
/* Rate limits                                                          */
/* ------------------------------------------------------------------ */

typedef struct parley_sim_rate {
  long limit;      /* after config scaling */
  long remaining;  /* after this request */
  int64_t reset;   /* epoch seconds when the window ends */
  long window_s;   /* after config override */
  int refused;     /* 1: over the limit, answer 429 */
} parley_sim_rate_t;

/* Count one request in the bucket (platform, endpoint_key, token) with the
 * documented limit per window_s (both adjusted by config). Returns 1 when
 * refused, 0 when allowed; out (may be NULL) receives the header values.
 * token may be NULL (one shared bucket); it is only hashed, never logged. */
int parley_sim_ratelimit_take(parley_sim_t *sim, const char *platform,
                              const char *endpoint_key, const char *token, long limit,
                              long window_s, parley_sim_rate_t *out);
/* Forget every bucket (DELETE /_sim/ratelimits). */
void parley_sim_ratelimit_reset(parley_sim_t *sim);

/* ------------------------------------------------------------------ */
/* Tokens and auth                                                      */
/* ------------------------------------------------------------------ */
/* Scenario: platforms.<p>.tokens = [{"token":"...", "kind":"app"|"user"|
 * "refresh"|..., "expires_in": seconds (optional), "scopes": "a b c"
 * (optional), "user_id": "..." (optional)}]. */

typedef enum {
  PARLEY_SIM_AUTH_OK = 0,
  PARLEY_SIM_AUTH_MISSING,  /* no credentials at all */
  PARLEY_SIM_AUTH_INVALID,  /* unknown or revoked */
  PARLEY_SIM_AUTH_EXPIRED,  /* known but expired */
} parley_sim_auth_t;

typedef struct parley_sim_token {
  char *platform;
  char *token;
  char *kind;       /* "app", "user", "refresh", ... */
  char *scopes;     /* space-separated, may be NULL */
  char *user_id;    /* may be NULL */
  uint64_t issued_ms;
  uint64_t expires_ms; /* 0: never */
  int revoked;
} parley_sim_token_t;

/* Register a token (strings copied). expires_in_s 0: never. */
int parley_sim_token_add(parley_sim_t *sim, const char *platform, const char *token,
                         const char *kind, const char *scopes, const char *user_id,
                         uint64_t expires_in_s);
/* Make a fresh random token "<prefix><hex>" into buf and register it. */
const char *parley_sim_token_issue(parley_sim_t *sim, const char *platform, const char *prefix,
                                   const char *kind, const char *scopes, const char *user_id,
                                   uint64_t expires_in_s, char *buf, size_t len);
void parley_sim_token_revoke(parley_sim_t *sim, const char *platform, const char *token);
/* Every access token of platform issued until now counts as expired
 * (refresh tokens, kind "refresh", are left alone). */
void parley_sim_tokens_expire(parley_sim_t *sim, const char *platform);
/* (The token record *tok points into a table that grows: it is valid until
 * the next token is added.)
 * Check credentials: "Bearer xyz", "bearer xyz", "OAuth ..." is not a
 * token (INVALID), or a bare "xyz" (TikTok Access-Token, Meta
 * access_token=). NULL or "" -> MISSING. *tok (may be NULL) receives the
 * token record (borrowed) when found. */
parley_sim_auth_t parley_sim_auth(parley_sim_t *sim, const char *platform,
                                  const char *credentials, const parley_sim_token_t **tok);

/* ------------------------------------------------------------------ */
/* Sent record: what the brand did (replies, DMs, hides, deletes)       */
/* ------------------------------------------------------------------ */

/* Record an action (stolen JSON object, e.g. {"action":"reply",
 * "in_reply_to":"...","text":"...","id":"..."}); "platform" and
 * "recorded_ms" are added. */
void parley_sim_record(parley_sim_t *sim, const char *platform, json_t *action);

/* ------------------------------------------------------------------ */
/* Webhooks                                                             */
/* ------------------------------------------------------------------ */

/* The configured target URL of platform, or NULL. */
const char *parley_sim_webhook_target(parley_sim_t *sim, const char *platform);
/* Set (url non-NULL) or clear the target; calls the platform's
 * on_webhook_target when the simulator is running. */
int parley_sim_webhook_set_target(parley_sim_t *sim, const char *platform, const char *url);
/* POST body (copied) with headers ("Name: value", NULL-terminated, copied;
 * add the platform's signature header yourself) to the platform's target.
 * Non-2xx answers and network errors are retried config.webhook_attempts
 * times in all, waiting webhook_retry_ms, then doubling. Every attempt is
 * logged (GET /_sim/webhooks). PARLEY_ENOENT when no target is set. */
int parley_sim_webhook_post(parley_sim_t *sim, const char *platform, const char *body,
                            size_t len, const char *const *headers);
/* One GET to url (a verification handshake such as Twitter's CRC or Meta's
 * hub.challenge); cb gets the HTTP status (or a negative PARLEY_E*) and
 * body (valid during the call). Logged like deliveries. */
typedef void (*parley_sim_get_cb)(parley_sim_t *sim, long status, const char *body,
                                  size_t len, void *data);
int parley_sim_webhook_get(parley_sim_t *sim, const char *platform, const char *url,
                           parley_sim_get_cb cb, void *data);
/* Add a free-form entry to the delivery log (new object, stolen), e.g. a
 * CRC verdict. "platform" and "at_ms" are added. */
void parley_sim_webhook_log(parley_sim_t *sim, const char *platform, json_t *entry);
/* The delivery log (borrowed array). */
json_t *parley_sim_webhook_deliveries(parley_sim_t *sim);

/* Base64 (standard alphabet, padded) of HMAC-SHA256(key, msg) into out
 * (at least 45 bytes), and the lowercase hex form (at least 65 bytes). */
int parley_sim_hmac_sha256_b64(const char *key, const void *msg, size_t len, char *out,
                               size_t outlen);
int parley_sim_hmac_sha256_hex(const char *key, const void *msg, size_t len, char *out,
                               size_t outlen);

/* ------------------------------------------------------------------ */
/* Internal wiring between framework files                              */
/* ------------------------------------------------------------------ */

/* sim_control.c: serve /_sim/... */
void parley_sim_control_handle(parley_httpd_req_t *req, void *data);
/* sim_scenario.c: load users and items of the scenario into the store and
 * schedule timeline items with a positive "at" offset. */
int parley_sim_scenario_apply(parley_sim_t *sim, parley_error_t *err);

/* Sub-object lifecycles (sim_store.c, sim_faults.c, ...). */
int parley_sim_store_new(parley_sim_store_t **out);
void parley_sim_store_free(parley_sim_store_t *s);
int parley_sim_faults_new(parley_sim_faults_t **out);
void parley_sim_faults_free(parley_sim_faults_t *f);
int parley_sim_ratelimit_new(parley_sim_ratelimit_t **out);
void parley_sim_ratelimit_free(parley_sim_ratelimit_t *r);
int parley_sim_tokens_new(parley_sim_tokens_t **out);
void parley_sim_tokens_free(parley_sim_tokens_t *t);
int parley_sim_webhooks_new(parley_sim_webhooks_t **out);
void parley_sim_webhooks_free(parley_sim_webhooks_t *w);

#endif
