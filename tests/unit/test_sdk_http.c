/* libparley-sdk HTTP helper: the specification, against a scripted host.
 *
 * The fake host records every request instead of sending it, lets the test
 * answer each one (status, headers, body), and runs timers on a virtual
 * clock, so retries, backoff and rate-limit waits are checked exactly and
 * without sleeping. The behaviour against the real platform simulator is
 * covered by the integration tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "parley/sdk/http.h"
#include "parley/sdk/json.h"

/* 2026-11-23T09:00:00Z */
#define T0 1795424400000LL
#define MAX_REQ 16
#define MAX_TIMERS 64

struct parley_http {
  char method[8];
  char url[256];
  char headers[1024]; /* lines joined with '\n' */
  char body[512];
  size_t body_len;
  parley_http_cb cb;
  void *data;
  int done;
  const char *resp_headers[8][2];
};

struct parley_timer {
  int64_t due;
  uint64_t timeout;
  parley_timer_cb cb;
  void *data;
  int active;
};

static struct {
  int64_t now;
  struct parley_http reqs[MAX_REQ];
  int nreqs;
  struct parley_timer timers[MAX_TIMERS];
  int ntimers;
  /* last callback */
  int calls;
  int status;
  long http_status;
  uint32_t attempts;
  parley_sdk_error_t error;
  char json_text[256];
  char header_seen[64];
  size_t repaired, repaired_in_cb;
  int closed;
} fake;

static void fake_log(parley_instance_t *inst, parley_log_level_t level, const char *fmt, ...) {
  (void)inst;
  (void)level;
  (void)fmt;
}

static int64_t fake_wall(parley_instance_t *inst) {
  (void)inst;
  return fake.now;
}

static uint64_t fake_now(parley_instance_t *inst) {
  (void)inst;
  return (uint64_t)(fake.now - T0);
}

static parley_timer_t *fake_timer_start(parley_instance_t *inst, uint64_t timeout, uint64_t repeat,
                                        parley_timer_cb cb, void *data) {
  (void)inst;
  (void)repeat;
  assert_true(fake.ntimers < MAX_TIMERS);
  struct parley_timer *t = &fake.timers[fake.ntimers++];
  t->due = fake.now + (int64_t)timeout;
  t->timeout = timeout;
  t->cb = cb;
  t->data = data;
  t->active = 1;
  return t;
}

static void fake_timer_stop(parley_timer_t *t) {
  t->active = 0;
}

static int fake_http_request(parley_instance_t *inst, const parley_http_request_t *req,
                             parley_http_cb cb, void *data, parley_http_t **out) {
  (void)inst;
  assert_true(fake.nreqs < MAX_REQ);
  struct parley_http *r = &fake.reqs[fake.nreqs++];
  memset(r, 0, sizeof *r);
  snprintf(r->method, sizeof r->method, "%s", req->method);
  snprintf(r->url, sizeof r->url, "%s", req->url);
  for (const char *const *h = req->headers; h && *h; h++) {
    strcat(r->headers, *h);
    strcat(r->headers, "\n");
  }
  if (req->body) {
    memcpy(r->body, req->body, req->body_len);
    r->body_len = req->body_len;
  }
  r->cb = cb;
  r->data = data;
  if (out)
    *out = r;
  return 0;
}

static const char *fake_http_header(parley_http_t *req, const char *name) {
  for (int i = 0; i < 8 && req->resp_headers[i][0]; i++)
    if (strcasecmp(req->resp_headers[i][0], name) == 0)
      return req->resp_headers[i][1];
  return NULL;
}

static void fake_http_cancel(parley_http_t *req) {
  parley_http_response_t res = {.status = PARLEY_ECANCELED, .error = "canceled"};
  req->done = 1;
  req->cb(req, &res, req->data);
}

static const parley_host_t host = {
    .abi_major = PARLEY_ABI_MAJOR,
    .abi_minor = PARLEY_ABI_MINOR,
    .size = sizeof(parley_host_t),
    .log = fake_log,
    .http_request = fake_http_request,
    .http_header = fake_http_header,
    .http_cancel = fake_http_cancel,
    .timer_start = fake_timer_start,
    .timer_stop = fake_timer_stop,
    .now_ms = fake_now,
    .wall_ms = fake_wall,
};

/* Fire the earliest active timer, moving the clock to it. 0 when none. */
static int run_next_timer(void) {
  struct parley_timer *next = NULL;
  for (int i = 0; i < fake.ntimers; i++)
    if (fake.timers[i].active && (next == NULL || fake.timers[i].due < next->due))
      next = &fake.timers[i];
  if (next == NULL)
    return 0;
  if (next->due > fake.now)
    fake.now = next->due;
  next->cb(next, next->data);
  return 1;
}

/* The pending timer's delay, -1 when none. */
static int64_t pending_delay(void) {
  for (int i = fake.ntimers - 1; i >= 0; i--)
    if (fake.timers[i].active)
      return (int64_t)fake.timers[i].timeout;
  return -1;
}

static void respond(int i, long status, const char *body, const char *const *headers) {
  struct parley_http *r = &fake.reqs[i];
  assert_false(r->done);
  for (int h = 0; headers && headers[2 * h]; h++) {
    r->resp_headers[h][0] = headers[2 * h];
    r->resp_headers[h][1] = headers[2 * h + 1];
  }
  parley_http_response_t res = {.status = 0, .http_status = status, .body = body,
                                .body_len = body ? strlen(body) : 0};
  r->done = 1;
  r->cb(r, &res, r->data);
}

static void respond_transport(int i, int status) {
  struct parley_http *r = &fake.reqs[i];
  parley_http_response_t res = {.status = status, .error = "connection reset"};
  r->done = 1;
  r->cb(r, &res, r->data);
}

static void on_result(parley_sdk_http_t *c, const parley_sdk_http_result_t *res, void *data) {
  (void)data;
  fake.calls++;
  fake.status = res->status;
  fake.http_status = res->http_status;
  fake.attempts = res->attempts;
  fake.error = *res->error;
  fake.repaired = res->repaired;
  fake.repaired_in_cb = parley_sdk_http_repaired(c);
  fake.json_text[0] = '\0';
  if (res->json) {
    char *s = json_dumps(res->json, JSON_COMPACT);
    snprintf(fake.json_text, sizeof fake.json_text, "%s", s);
    free(s);
  }
  const char *h = parley_sdk_http_result_header(res, "x-restli-id");
  snprintf(fake.header_seen, sizeof fake.header_seen, "%s", h ? h : "");
}

static parley_sdk_http_t *client(parley_sdk_platform_t platform) {
  memset(&fake, 0, sizeof fake);
  fake.now = T0;
  parley_sdk_http_policy_t pol;
  parley_sdk_http_policy_init(&pol, platform);
  pol.seed = 1;
  parley_sdk_http_t *c = NULL;
  parley_error_t err = {0};
  assert_int_equal(parley_sdk_http_new(&host, NULL, &pol, &c, &err), 0);
  assert_int_equal(parley_sdk_http_set_token(c, "SECRET-TOKEN-123"), 0);
  return c;
}

static void send_get(parley_sdk_http_t *c, const char *url, const char *endpoint) {
  parley_sdk_http_call_t call = {.url = url, .endpoint = endpoint};
  assert_int_equal(parley_sdk_http_send(c, &call, on_result, NULL, NULL), 0);
}

static void on_closed(void *data) {
  (void)data;
  fake.closed++;
}

static void close_client(parley_sdk_http_t *c) {
  parley_sdk_http_close(c, on_closed, NULL);
  assert_int_equal(fake.closed, 1);
}

static void get_sends_bearer_token_and_accept_header(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_TWITTER);
  send_get(c, "https://api.x.com/2/users/1/mentions?max_results=100", NULL);
  assert_int_equal(fake.nreqs, 0); /* never from within send() */
  run_next_timer();
  assert_int_equal(fake.nreqs, 1);
  assert_string_equal(fake.reqs[0].method, "GET");
  assert_string_equal(fake.reqs[0].url, "https://api.x.com/2/users/1/mentions?max_results=100");
  assert_non_null(strstr(fake.reqs[0].headers, "Authorization: Bearer SECRET-TOKEN-123\n"));
  assert_non_null(strstr(fake.reqs[0].headers, "Accept: application/json\n"));
  assert_null(strstr(fake.reqs[0].headers, "Content-Type"));
  respond(0, 200, "{\"data\":[]}", NULL);
  assert_int_equal(fake.calls, 1);
  close_client(c);
}

static void json_body_is_sent_compact_with_content_type(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_TWITTER);
  json_t *body = json_pack("{s:s,s:{s:s}}", "text", "Sorry!", "reply", "in_reply_to_tweet_id",
                           "1790000000000000042");
  const char *extra[] = {"X-Trace: 1", NULL};
  parley_sdk_http_call_t call = {.method = "POST", .url = "https://api.x.com/2/tweets",
                                 .json = body, .headers = extra};
  assert_int_equal(parley_sdk_http_send(c, &call, on_result, NULL, NULL), 0);
  json_decref(body);
  run_next_timer();
  assert_string_equal(fake.reqs[0].method, "POST");
  assert_string_equal(fake.reqs[0].body, "{\"text\":\"Sorry!\",\"reply\":{\"in_reply_to_tweet_id\":"
                                         "\"1790000000000000042\"}}");
  assert_non_null(strstr(fake.reqs[0].headers, "Content-Type: application/json\n"));
  assert_non_null(strstr(fake.reqs[0].headers, "X-Trace: 1\n"));
  respond(0, 201, "{\"data\":{\"id\":\"1790000000000000500\"}}", NULL);
  assert_int_equal(fake.status, 0);
  assert_string_equal(fake.json_text, "{\"data\":{\"id\":\"1790000000000000500\"}}");
  close_client(c);
}

static void tiktok_token_goes_in_access_token_header(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_TIKTOK);
  send_get(c, "https://business-api.tiktok.com/open_api/v1.3/business/video/list/", NULL);
  run_next_timer();
  assert_non_null(strstr(fake.reqs[0].headers, "Access-Token: SECRET-TOKEN-123\n"));
  assert_null(strstr(fake.reqs[0].headers, "Authorization"));
  respond(0, 200, "{\"code\":40105,\"message\":\"Access token is incorrect or has been revoked.\"}",
          NULL);
  assert_int_equal(fake.status, PARLEY_EAUTH);
  assert_int_equal(fake.attempts, 1);
  close_client(c);
}

static void fixed_headers_and_no_auth_calls(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_LINKEDIN);
  assert_int_equal(parley_sdk_http_add_header(c, "LinkedIn-Version: 202509"), 0);
  assert_int_equal(parley_sdk_http_add_header(c, "X-Evil: a\r\nX-Injected: b"), PARLEY_EINVAL);
  parley_sdk_http_call_t call = {.method = "POST",
                                 .url = "https://www.linkedin.com/oauth/v2/accessToken",
                                 .body = "grant_type=refresh_token", .body_len = 24,
                                 .no_auth = 1};
  assert_int_equal(parley_sdk_http_send(c, &call, on_result, NULL, NULL), 0);
  run_next_timer();
  assert_non_null(strstr(fake.reqs[0].headers, "LinkedIn-Version: 202509\n"));
  assert_non_null(
      strstr(fake.reqs[0].headers, "Content-Type: application/x-www-form-urlencoded\n"));
  assert_null(strstr(fake.reqs[0].headers, "SECRET-TOKEN"));
  const char *hdrs[] = {"x-restli-id", "urn:li:share:7102", NULL};
  respond(0, 201, NULL, hdrs);
  assert_int_equal(fake.status, 0);
  assert_string_equal(fake.header_seen, "urn:li:share:7102");
  close_client(c);
}

static void server_error_is_retried_with_backoff_then_succeeds(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_TWITTER);
  send_get(c, "https://api.x.com/2/users/1/mentions", "GET /2/users/:id/mentions");
  run_next_timer();
  respond(0, 503, "{\"title\":\"Service Unavailable\",\"type\":\"about:blank\",\"status\":503}",
          NULL);
  assert_int_equal(fake.calls, 0);
  int64_t d1 = pending_delay();
  assert_true(d1 >= 0 && d1 <= 1000); /* first retry: full jitter up to 1 s */
  run_next_timer();
  assert_int_equal(fake.nreqs, 2);
  respond(1, 500, "<html>oops</html>", NULL);
  assert_true(pending_delay() <= 2000);
  run_next_timer();
  respond(2, 200, "{\"meta\":{\"result_count\":0}}", NULL);
  assert_int_equal(fake.calls, 1);
  assert_int_equal(fake.status, 0);
  assert_int_equal(fake.attempts, 3);
  close_client(c);
}

static void server_errors_give_up_after_max_attempts(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_META);
  send_get(c, "https://graph.facebook.com/v19.0/1/feed", NULL);
  for (int i = 0; i < 4; i++) {
    run_next_timer();
    assert_int_equal(fake.nreqs, i + 1);
    respond(i, 500, "{\"error\":{\"message\":\"An unknown error occurred\",\"code\":1}}", NULL);
  }
  assert_int_equal(fake.calls, 1);
  assert_int_equal(fake.status, PARLEY_EHTTP);
  assert_int_equal(fake.attempts, 4);
  assert_string_equal(fake.error.platform_code, "1");
  assert_int_equal(run_next_timer(), 0);
  close_client(c);
}

static void post_is_not_retried_after_a_server_error(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_TWITTER);
  parley_sdk_http_call_t call = {.method = "POST", .url = "https://api.x.com/2/tweets",
                                 .body = "{}", .body_len = 2, .content_type = "application/json"};
  parley_sdk_http_send(c, &call, on_result, NULL, NULL);
  run_next_timer();
  respond(0, 503, NULL, NULL);
  assert_int_equal(fake.calls, 1);
  assert_int_equal(fake.status, PARLEY_EHTTP);
  assert_int_equal(fake.attempts, 1);
  close_client(c);
}

static void network_error_on_get_is_retried(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_GENERIC);
  send_get(c, "https://example.test/items", NULL);
  run_next_timer();
  respond_transport(0, PARLEY_ENETWORK);
  assert_int_equal(fake.calls, 0);
  run_next_timer();
  respond(1, 200, "[]", NULL);
  assert_int_equal(fake.status, 0);
  assert_int_equal(fake.attempts, 2);
  close_client(c);
}

static void oversized_response_is_not_retried(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_GENERIC);
  send_get(c, "https://example.test/huge", NULL);
  run_next_timer();
  respond_transport(0, PARLEY_ETOOBIG);
  assert_int_equal(fake.calls, 1);
  assert_int_equal(fake.status, PARLEY_ETOOBIG);
  close_client(c);
}

static void expired_token_gives_up_at_once_without_leaking_it(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_TWITTER);
  send_get(c, "https://api.x.com/2/users/me", NULL);
  run_next_timer();
  respond(0, 401,
          "{\"title\":\"Unauthorized\",\"type\":\"about:blank\",\"status\":401,"
          "\"detail\":\"Unauthorized\"}",
          NULL);
  assert_int_equal(fake.calls, 1);
  assert_int_equal(fake.status, PARLEY_EAUTH);
  assert_true(fake.error.is_auth);
  assert_int_equal(fake.attempts, 1);
  parley_error_t err = {0};
  parley_sdk_error_to_parley(&fake.error, "GET /2/users/me", &err);
  assert_null(strstr(err.message, "SECRET-TOKEN"));
  assert_int_equal(run_next_timer(), 0);
  close_client(c);
}

static void rate_limit_waits_until_the_window_reset(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_TWITTER);
  send_get(c, "https://api.x.com/2/users/1/mentions", "mentions");
  run_next_timer();
  char reset[32];
  snprintf(reset, sizeof reset, "%lld", (long long)(T0 / 1000 + 60));
  const char *hdrs[] = {"x-rate-limit-limit", "450", "x-rate-limit-remaining", "0",
                        "x-rate-limit-reset", reset, NULL};
  respond(0, 429, "{\"title\":\"Too Many Requests\",\"type\":\"about:blank\",\"status\":429}",
          hdrs);
  assert_int_equal(fake.calls, 0);
  /* The reset plus the 1 s clock-skew margin. */
  assert_int_equal(pending_delay(), 61000);
  run_next_timer();
  assert_int_equal(fake.nreqs, 2);
  assert_true(fake.now >= T0 + 60000);
  respond(1, 200, "{\"data\":[{\"id\":\"1\"}]}", NULL);
  assert_int_equal(fake.status, 0);
  assert_int_equal(fake.attempts, 2);
  close_client(c);
}

static void exhausted_window_delays_the_next_call(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_TWITTER);
  send_get(c, "https://api.x.com/2/users/1/mentions", "mentions");
  run_next_timer();
  char reset[32];
  snprintf(reset, sizeof reset, "%lld", (long long)(T0 / 1000 + 30));
  const char *hdrs[] = {"x-rate-limit-limit", "15", "x-rate-limit-remaining", "0",
                        "x-rate-limit-reset", reset, NULL};
  respond(0, 200, "{\"data\":[]}", hdrs);
  assert_int_equal(fake.status, 0);
  assert_int_equal(parley_sdk_http_next_allowed(c, "mentions"), T0 + 31000);
  send_get(c, "https://api.x.com/2/users/1/mentions", "mentions");
  run_next_timer(); /* the send turn: the window is closed, so it waits */
  assert_int_equal(fake.nreqs, 1);
  assert_int_equal(pending_delay(), 31000);
  /* Another endpoint is not held back. */
  send_get(c, "https://api.x.com/2/tweets/search/recent?query=acme", "search");
  run_next_timer();
  assert_int_equal(fake.nreqs, 2);
  assert_string_equal(fake.reqs[1].url, "https://api.x.com/2/tweets/search/recent?query=acme");
  respond(1, 200, "{}", NULL);
  run_next_timer();
  assert_int_equal(fake.nreqs, 3);
  assert_true(fake.now >= T0 + 31000);
  respond(2, 200, "{}", NULL);
  close_client(c);
}

static void concurrent_calls_never_exceed_the_known_window(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_TWITTER);
  send_get(c, "https://api.x.com/2/dm_events", "dm");
  run_next_timer();
  char reset[32];
  snprintf(reset, sizeof reset, "%lld", (long long)(T0 / 1000 + 900));
  const char *hdrs[] = {"x-rate-limit-limit", "15", "x-rate-limit-remaining", "2",
                        "x-rate-limit-reset", reset, NULL};
  respond(0, 200, "{}", hdrs);
  for (int i = 0; i < 4; i++)
    send_get(c, "https://api.x.com/2/dm_events", "dm");
  for (int i = 0; i < 4; i++)
    run_next_timer();
  /* Two calls were left in the window: only two went out. */
  assert_int_equal(fake.nreqs, 3);
  respond(1, 200, "{}", NULL);
  respond(2, 200, "{}", NULL);
  assert_int_equal(fake.nreqs, 3);
  /* Answers without headers still used up the window. */
  assert_int_equal(parley_sdk_http_next_allowed(c, "dm"), T0 + 901000);
  close_client(c);
  assert_int_equal(fake.calls, 1 + 2 + 2); /* the two waiting ones were canceled */
  assert_int_equal(fake.status, PARLEY_ECANCELED);
}

static void wait_beyond_max_gives_up_with_retry_after(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_LINKEDIN);
  send_get(c, "https://api.linkedin.com/rest/posts?q=author", NULL);
  run_next_timer();
  respond(0, 429,
          "{\"status\":429,\"serviceErrorCode\":101,\"code\":\"TOO_MANY_REQUESTS\","
          "\"message\":\"Resource level throttle APPLICATION DAY limit for calls to this "
          "resource is reached.\"}",
          NULL);
  assert_int_equal(fake.calls, 1);
  assert_int_equal(fake.status, PARLEY_ERATELIMIT);
  assert_int_equal(fake.error.retry_after_ms, 15LL * 3600 * 1000);
  /* The next call is refused without being sent. */
  send_get(c, "https://api.linkedin.com/rest/posts?q=author", NULL);
  run_next_timer();
  run_next_timer();
  assert_int_equal(fake.nreqs, 1);
  assert_int_equal(fake.calls, 2);
  assert_int_equal(fake.status, PARLEY_ERATELIMIT);
  close_client(c);
}

static void meta_throttle_holds_every_endpoint(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_META);
  send_get(c, "https://graph.facebook.com/v19.0/1/feed?access_token=EAAB", NULL);
  run_next_timer();
  const char *hdrs[] = {"x-business-use-case-usage",
                        "{\"1\":[{\"type\":\"pages\",\"call_count\":100,"
                        "\"estimated_time_to_regain_access\":2}]}",
                        NULL};
  respond(0, 400,
          "{\"error\":{\"message\":\"(#80001) There have been too many calls to this Page "
          "account.\",\"type\":\"OAuthException\",\"code\":80001,\"is_transient\":true}}",
          hdrs);
  assert_int_equal(fake.calls, 0);
  assert_int_equal(pending_delay(), 120000);
  assert_int_equal(parley_sdk_http_usage_pct(c), 100);
  assert_int_equal(parley_sdk_http_next_allowed(c, "GET /v19.0/2/comments"), T0 + 120000);
  run_next_timer();
  respond(1, 200, "{\"data\":[]}", NULL);
  assert_int_equal(fake.status, 0);
  close_client(c);
}

/* A page with a bad character is retried first (a damaged id would cost
 * an item, and the next answer may be clean) ... */
static void a_page_with_bad_characters_is_retried_and_a_clean_answer_taken(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_TWITTER);
  send_get(c, "https://api.x.com/2/users/1/mentions", NULL);
  run_next_timer();
  respond(0, 200, "{\"data\":[{\"id\":\"\xff" "1\"}]}", NULL);
  assert_int_equal(fake.calls, 0);
  run_next_timer(); /* the backoff */
  assert_int_equal(fake.nreqs, 2);
  respond(1, 200, "{\"data\":[{\"id\":\"1\"}]}", NULL);
  assert_int_equal(fake.calls, 1);
  assert_int_equal(fake.status, 0);
  assert_int_equal(fake.attempts, 2);
  assert_int_equal(fake.repaired, 0);
  assert_string_equal(fake.json_text, "{\"data\":[{\"id\":\"1\"}]}");
  close_client(c);
}

/* ... and when every attempt brings the same bytes, the repaired page is
 * taken rather than lost, with the count handed on. */
static void a_page_that_stays_broken_is_taken_repaired_after_the_retries(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_TWITTER);
  send_get(c, "https://api.x.com/2/users/1/mentions", NULL);
  for (int i = 0; i < 4; i++) {
    run_next_timer();
    assert_int_equal(fake.nreqs, i + 1);
    respond(i, 200, "{\"data\":[{\"text\":\"a\xff b \\ud800\"}]}", NULL);
  }
  assert_int_equal(fake.calls, 1);
  assert_int_equal(fake.status, 0);
  assert_int_equal(fake.attempts, 4);
  assert_string_equal(fake.json_text, "{\"data\":[{\"text\":\"a\xef\xbf\xbd b \xef\xbf\xbd\"}]}");
  assert_int_equal(fake.repaired, 2);
  assert_int_equal(fake.repaired_in_cb, 2);
  assert_int_equal(parley_sdk_http_repaired(c), 0); /* outside the callback */
  close_client(c);
}

static void malformed_json_success_is_a_parse_error_naming_the_endpoint(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_META);
  send_get(c, "https://graph.facebook.com/v19.0/1/comments?access_token=EAAB&limit=25", NULL);
  run_next_timer();
  respond(0, 200, "{\"data\":[{\"id\":\"1\"", NULL);
  assert_int_equal(fake.status, PARLEY_EPARSE);
  assert_non_null(strstr(fake.error.message, "GET /v19.0/1/comments"));
  /* The query (which holds the token on Meta) is never part of a message. */
  assert_null(strstr(fake.error.message, "access_token"));
  close_client(c);
}

static void cancel_while_waiting_calls_back_once(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_TWITTER);
  parley_sdk_http_op_t *op = NULL;
  parley_sdk_http_call_t call = {.url = "https://api.x.com/2/users/me"};
  parley_sdk_http_send(c, &call, on_result, NULL, &op);
  parley_sdk_http_cancel(op);
  assert_int_equal(fake.calls, 1);
  assert_int_equal(fake.status, PARLEY_ECANCELED);
  assert_int_equal(run_next_timer(), 0);
  assert_int_equal(fake.nreqs, 0);
  close_client(c);
}

static void close_cancels_calls_in_flight_and_reports_done(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_TWITTER);
  send_get(c, "https://api.x.com/2/users/me", NULL);
  run_next_timer();
  send_get(c, "https://api.x.com/2/users/me", NULL);
  parley_sdk_http_close(c, on_closed, NULL);
  assert_int_equal(fake.calls, 2);
  assert_int_equal(fake.status, PARLEY_ECANCELED);
  assert_int_equal(fake.closed, 1);
}

static void token_with_a_line_break_is_refused(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_TWITTER);
  assert_int_equal(parley_sdk_http_set_token(c, "abc\r\nX-Injected: 1"), PARLEY_EINVAL);
  /* The previous token is kept. */
  send_get(c, "https://api.x.com/2/users/me", NULL);
  run_next_timer();
  assert_non_null(strstr(fake.reqs[0].headers, "Authorization: Bearer SECRET-TOKEN-123\n"));
  respond(0, 200, "{}", NULL);
  close_client(c);
}

static void close_from_a_callback(parley_sdk_http_t *c, const parley_sdk_http_result_t *res,
                                  void *data) {
  on_result(c, res, data);
  parley_sdk_http_close(c, on_closed, NULL);
}

static void close_inside_a_callback_frees_the_client_afterwards(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_TWITTER);
  parley_sdk_http_call_t call = {.url = "https://api.x.com/2/users/me"};
  parley_sdk_http_send(c, &call, close_from_a_callback, NULL, NULL);
  send_get(c, "https://api.x.com/2/users/1/mentions", NULL);
  run_next_timer();
  run_next_timer();
  respond(0, 200, "{}", NULL);
  /* The other call was canceled, then the client freed (ASan checks). */
  assert_int_equal(fake.calls, 2);
  assert_int_equal(fake.closed, 1);
}

static void zeroed_policy_fields_take_the_defaults(void **state) {
  (void)state;
  memset(&fake, 0, sizeof fake);
  fake.now = T0;
  parley_sdk_http_policy_t pol;
  memset(&pol, 0, sizeof pol);
  pol.platform = PARLEY_SDK_TWITTER;
  parley_sdk_http_t *c = NULL;
  assert_int_equal(parley_sdk_http_new(&host, NULL, &pol, &c, NULL), 0);
  send_get(c, "https://api.x.com/2/users/me", NULL);
  run_next_timer();
  const char *hdrs[] = {"retry-after", "120", NULL};
  respond(0, 429, NULL, hdrs);
  /* Waited out (the default max wait is 15.5 min), not given up. */
  assert_int_equal(fake.calls, 0);
  assert_int_equal(pending_delay(), 120000);
  close_client(c);
}

static void send_refuses_bad_arguments(void **state) {
  (void)state;
  parley_sdk_http_t *c = client(PARLEY_SDK_TWITTER);
  parley_sdk_http_call_t call = {0};
  assert_int_equal(parley_sdk_http_send(c, &call, on_result, NULL, NULL), PARLEY_EINVAL);
  const char *bad[] = {"Broken\nHeader: x", NULL};
  parley_sdk_http_call_t call2 = {.url = "https://x/y", .headers = bad};
  assert_int_equal(parley_sdk_http_send(c, &call2, on_result, NULL, NULL), PARLEY_EINVAL);
  assert_int_equal(fake.calls, 0);
  close_client(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(get_sends_bearer_token_and_accept_header),
      cmocka_unit_test(json_body_is_sent_compact_with_content_type),
      cmocka_unit_test(tiktok_token_goes_in_access_token_header),
      cmocka_unit_test(fixed_headers_and_no_auth_calls),
      cmocka_unit_test(server_error_is_retried_with_backoff_then_succeeds),
      cmocka_unit_test(server_errors_give_up_after_max_attempts),
      cmocka_unit_test(post_is_not_retried_after_a_server_error),
      cmocka_unit_test(network_error_on_get_is_retried),
      cmocka_unit_test(oversized_response_is_not_retried),
      cmocka_unit_test(expired_token_gives_up_at_once_without_leaking_it),
      cmocka_unit_test(rate_limit_waits_until_the_window_reset),
      cmocka_unit_test(exhausted_window_delays_the_next_call),
      cmocka_unit_test(concurrent_calls_never_exceed_the_known_window),
      cmocka_unit_test(wait_beyond_max_gives_up_with_retry_after),
      cmocka_unit_test(meta_throttle_holds_every_endpoint),
      cmocka_unit_test(malformed_json_success_is_a_parse_error_naming_the_endpoint),
      cmocka_unit_test(a_page_with_bad_characters_is_retried_and_a_clean_answer_taken),
      cmocka_unit_test(a_page_that_stays_broken_is_taken_repaired_after_the_retries),
      cmocka_unit_test(cancel_while_waiting_calls_back_once),
      cmocka_unit_test(close_cancels_calls_in_flight_and_reports_done),
      cmocka_unit_test(token_with_a_line_break_is_refused),
      cmocka_unit_test(close_inside_a_callback_frees_the_client_afterwards),
      cmocka_unit_test(zeroed_policy_fields_take_the_defaults),
      cmocka_unit_test(send_refuses_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
