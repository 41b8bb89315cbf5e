/* The HTTP server: routes, what a handler sees (the client's address too),
 * limits, async and streaming answers, clients that go away, graceful
 * close. Each test runs a parley_httpd on 127.0.0.1:0 in its own uv loop;
 * blocking clients (libcurl easy, raw sockets) run in the loop's thread
 * pool so the loop keeps serving. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_server.h"
#include "http_server_limits.h"

/* ------------------------------------------------------------------ */
/* Fixture                                                             */
/* ------------------------------------------------------------------ */

typedef struct fx {
  uv_loop_t loop;
  uv_prepare_t prepare; /* see run_until */
  parley_httpd_t *srv;
  int port;
  int closed;
  int calls;                 /* handler invocations */
  parley_httpd_req_t *held;  /* a request answered later */
  uv_sem_t got_request;      /* posted by handlers that clients wait for */
  uv_timer_t timer;
  int timer_ticks;
  int on_close_calls;
  int write_after_close;     /* stream_write()'s result once the client left */
  char seen[512];            /* what a handler observed */
} fx_t;

static int fx_setup_with(void **state, const parley_httpd_options_t *opts) {
  fx_t *f = calloc(1, sizeof *f);
  parley_httpd_options_t o = *opts;
  parley_error_t err = {0};

  assert_non_null(f);
  assert_int_equal(uv_loop_init(&f->loop), 0);
  uv_prepare_init(&f->loop, &f->prepare);
  assert_int_equal(uv_sem_init(&f->got_request, 0), 0);
  assert_int_equal(parley_httpd_new(&f->srv, &f->loop, &o, &err), 0);
  f->port = parley_httpd_port(f->srv);
  assert_true(f->port > 0);
  uv_timer_init(&f->loop, &f->timer);
  f->timer.data = f;
  *state = f;
  return 0;
}

static int fx_setup_opts(void **state, size_t max_body, size_t max_conns) {
  parley_httpd_options_t o = {"127.0.0.1:0", max_body, max_conns, {0}};
  return fx_setup_with(state, &o);
}

/* One connection at most, idle ones closed after 200 ms. */
static int fx_setup_idle(void **state) {
  parley_httpd_options_t o = {.listen = "127.0.0.1:0", .max_connections = 1,
                              .limits = {.idle_timeout_ms = 200}};
  return fx_setup_with(state, &o);
}

static int fx_setup(void **state) { return fx_setup_opts(state, 1 << 20, 64); }
static int fx_setup_small_body(void **state) { return fx_setup_opts(state, 1024, 64); }
static int fx_setup_one_conn(void **state) { return fx_setup_opts(state, 1 << 20, 1); }
static int fx_setup_defaults(void **state) { return fx_setup_opts(state, 0, 0); }

static void fx_on_closed(void *data) { ((fx_t *)data)->closed = 1; }

/* The prepare handle runs just before the loop would block: stopping there
 * returns as soon as a callback (timer, close...) set the flag, instead of
 * waiting in poll for I/O that may never come. */
static void on_prepare(uv_prepare_t *p) {
  if (*(const int *)p->data)
    uv_stop(p->loop);
}

static void run_until(fx_t *f, const int *flag) {
  f->prepare.data = (void *)flag;
  uv_prepare_start(&f->prepare, on_prepare);
  while (!*flag)
    uv_run(&f->loop, UV_RUN_DEFAULT);
  uv_prepare_stop(&f->prepare);
}

static int fx_teardown(void **state) {
  fx_t *f = *state;

  uv_close((uv_handle_t *)&f->timer, NULL);
  parley_httpd_close(f->srv, fx_on_closed, f);
  run_until(f, &f->closed);
  parley_httpd_free(f->srv);
  uv_close((uv_handle_t *)&f->prepare, NULL);
  uv_run(&f->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&f->loop), 0); /* every handle was closed */
  uv_sem_destroy(&f->got_request);
  free(f);
  return 0;
}

/* ------------------------------------------------------------------ */
/* A blocking libcurl client run in the thread pool                    */
/* ------------------------------------------------------------------ */

typedef struct fetch {
  uv_work_t work;
  const char *method;
  char url[256];
  const char *body;
  size_t body_len;
  const char *header; /* one request header, or NULL */
  int twice;          /* same request again on the same handle */
  CURLcode rc;
  long status;
  long new_connections; /* on the second request, with twice */
  char resp[8192];
  size_t resp_len;
  char head[4096];
  size_t head_len;
  int done;
} fetch_t;

static size_t fetch_on_body(char *p, size_t sz, size_t n, void *data) {
  fetch_t *fe = data;
  size_t len = sz * n, room = sizeof fe->resp - 1 - fe->resp_len;
  if (len > room)
    len = room;
  memcpy(fe->resp + fe->resp_len, p, len);
  fe->resp_len += len;
  fe->resp[fe->resp_len] = '\0';
  return sz * n;
}

static size_t fetch_on_header(char *p, size_t sz, size_t n, void *data) {
  fetch_t *fe = data;
  size_t len = sz * n, room = sizeof fe->head - 1 - fe->head_len;
  if (len > room)
    len = room;
  memcpy(fe->head + fe->head_len, p, len);
  fe->head_len += len;
  fe->head[fe->head_len] = '\0';
  return sz * n;
}

static void fetch_work(uv_work_t *w) {
  fetch_t *fe = w->data;
  CURL *c = curl_easy_init();
  struct curl_slist *hdrs = NULL;
  int i;

  hdrs = curl_slist_append(hdrs, "Expect:");
  if (fe->header)
    hdrs = curl_slist_append(hdrs, fe->header);
  curl_easy_setopt(c, CURLOPT_URL, fe->url);
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, fe->method);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fetch_on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, fe);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, fetch_on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, fe);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L); /* only a safety net against a hung test */
  if (fe->body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, fe->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)fe->body_len);
  }
  for (i = 0; i < (fe->twice ? 2 : 1); i++) {
    fe->resp_len = fe->head_len = 0;
    fe->rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &fe->status);
    curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &fe->new_connections);
  }
  curl_slist_free_all(hdrs);
  curl_easy_cleanup(c);
}

static void fetch_done(uv_work_t *w, int status) { ((fetch_t *)w->data)->done = 1; }

static void fetch_start(fx_t *f, fetch_t *fe, const char *method, const char *path) {
  memset(fe, 0, sizeof *fe);
  fe->method = method;
  snprintf(fe->url, sizeof fe->url, "http://127.0.0.1:%d%s", f->port, path);
  fe->work.data = fe;
}

static void fetch_go(fx_t *f, fetch_t *fe) {
  assert_int_equal(uv_queue_work(&f->loop, &fe->work, fetch_work, fetch_done), 0);
}

static void fetch(fx_t *f, fetch_t *fe, const char *method, const char *path) {
  fetch_start(f, fe, method, path);
  fetch_go(f, fe);
  run_until(f, &fe->done);
}

/* ------------------------------------------------------------------ */
/* A raw socket client that leaves early                               */
/* ------------------------------------------------------------------ */

typedef struct rude {
  uv_work_t work;
  int port;
  uv_sem_t *wait_for; /* leave only once this is posted (NULL: don't wait) */
  int read_head;      /* read the response head before leaving */
  int connected;
  int saw_head;
  int done;
} rude_t;

static int rude_connect(int port) {
  struct sockaddr_in a;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void rude_work(uv_work_t *w) {
  rude_t *r = w->data;
  static const char req[] = "GET /slow HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  char buf[4096];
  size_t have = 0;
  int fd = rude_connect(r->port);

  if (fd < 0)
    return;
  r->connected = 1;
  if (send(fd, req, sizeof req - 1, 0) == (ssize_t)(sizeof req - 1)) {
    if (r->wait_for)
      uv_sem_wait(r->wait_for);
    while (r->read_head && have < sizeof buf - 1) {
      ssize_t n = recv(fd, buf + have, sizeof buf - 1 - have, 0);
      if (n <= 0)
        break;
      have += (size_t)n;
      buf[have] = '\0';
      if (strstr(buf, "\r\n\r\n")) {
        r->saw_head = 1;
        break;
      }
    }
  }
  close(fd);
}

static void rude_done(uv_work_t *w, int status) { ((rude_t *)w->data)->done = 1; }

static void rude_go(fx_t *f, rude_t *r) {
  r->port = f->port;
  r->work.data = r;
  assert_int_equal(uv_queue_work(&f->loop, &r->work, rude_work, rude_done), 0);
}

/* A raw client that sends `req` and reads the whole answer until EOF. */
typedef struct raw {
  uv_work_t work;
  int port;
  const char *req;
  char resp[4096];
  size_t len;
  int done;
} raw_t;

static void raw_work(uv_work_t *w) {
  raw_t *r = w->data;
  int fd = rude_connect(r->port);
  ssize_t n;

  if (fd < 0)
    return;
  if (send(fd, r->req, strlen(r->req), 0) == (ssize_t)strlen(r->req))
    while (r->len < sizeof r->resp - 1 &&
           (n = recv(fd, r->resp + r->len, sizeof r->resp - 1 - r->len, 0)) > 0)
      r->len += (size_t)n;
  r->resp[r->len] = '\0';
  close(fd);
}

static void raw_done(uv_work_t *w, int status) { ((raw_t *)w->data)->done = 1; }

/* ------------------------------------------------------------------ */
/* Handlers                                                            */
/* ------------------------------------------------------------------ */

static void h_name(parley_httpd_req_t *r, void *data) {
  fx_t *f = ((void **)data)[0];
  const char *name = ((void **)data)[1];
  f->calls++;
  parley_httpd_respond(r, 200, "text/plain", name, strlen(name), NULL);
}

static void h_echo(parley_httpd_req_t *r, void *data) {
  fx_t *f = data;
  size_t len;
  const char *body = parley_httpd_req_body(r, &len);
  const char *tok = parley_httpd_req_header(r, "x-TOKEN");
  static const char *const hdrs[] = {"X-Echo: yes", "broken header", NULL};

  uint8_t peer[16];
  char addr[64] = "(none)";

  f->calls++;
  if (parley_httpd_req_peer(r, peer) == 0)
    parley_peer_format(peer, addr, sizeof addr);
  snprintf(f->seen, sizeof f->seen, "%s %s ?%s token=%s len=%zu peer=%s",
           parley_httpd_req_method(r), parley_httpd_req_path(r), parley_httpd_req_query(r),
           tok ? tok : "(none)", len, addr);
  parley_httpd_respond(r, 201, "application/json", body, len, hdrs);
}

static void h_hold(parley_httpd_req_t *r, void *data) {
  fx_t *f = data;
  f->calls++;
  f->held = r;
  uv_sem_post(&f->got_request);
}

/* ------------------------------------------------------------------ */
/* Routing                                                             */
/* ------------------------------------------------------------------ */

static void test_longest_registered_prefix_wins(void **state) {
  fx_t *f = *state;
  void *root[2] = {f, "root"}, *hooks[2] = {f, "hooks"}, *special[2] = {f, "special"};
  fetch_t fe;

  assert_int_equal(parley_httpd_route(f->srv, "/", h_name, root), 0);
  assert_int_equal(parley_httpd_route(f->srv, "/hooks/", h_name, hooks), 0);
  assert_int_equal(parley_httpd_route(f->srv, "/hooks/special", h_name, special), 0);

  fetch(f, &fe, "GET", "/hooks/abc");
  assert_string_equal(fe.resp, "hooks");
  fetch(f, &fe, "GET", "/hooks/special/x?y=1");
  assert_string_equal(fe.resp, "special");
  fetch(f, &fe, "GET", "/metrics");
  assert_string_equal(fe.resp, "root");
}

static void test_unknown_path_gets_404_without_calling_a_handler(void **state) {
  fx_t *f = *state;
  void *hooks[2] = {f, "hooks"};
  fetch_t fe;

  assert_int_equal(parley_httpd_route(f->srv, "/hooks/", h_name, hooks), 0);
  fetch(f, &fe, "GET", "/nothing-here");
  assert_int_equal(fe.rc, CURLE_OK);
  assert_int_equal(fe.status, 404);
  assert_int_equal(f->calls, 0);
}

static void test_same_prefix_twice_is_a_duplicate_and_unroute_removes_it(void **state) {
  fx_t *f = *state;
  void *a[2] = {f, "a"};
  fetch_t fe;

  assert_int_equal(parley_httpd_route(f->srv, "/a", h_name, a), 0);
  assert_int_equal(parley_httpd_route(f->srv, "/a", h_name, a), PARLEY_EDUP);
  assert_int_equal(parley_httpd_unroute(f->srv, "/a"), 0);
  assert_int_equal(parley_httpd_unroute(f->srv, "/a"), PARLEY_ENOENT);
  fetch(f, &fe, "GET", "/a");
  assert_int_equal(fe.status, 404);
}

/* ------------------------------------------------------------------ */
/* Request accessors                                                   */
/* ------------------------------------------------------------------ */

static void test_handler_sees_method_path_query_headers_and_body(void **state) {
  fx_t *f = *state;
  fetch_t fe;

  assert_int_equal(parley_httpd_route(f->srv, "/echo", h_echo, f), 0);
  fetch_start(f, &fe, "POST", "/echo/x?a=1&b=2");
  fe.body = "{\"hello\":\"world\"}";
  fe.body_len = strlen(fe.body);
  fe.header = "X-Token: abc";
  fetch_go(f, &fe);
  run_until(f, &fe.done);

  assert_int_equal(fe.rc, CURLE_OK);
  assert_int_equal(fe.status, 201);
  assert_string_equal(f->seen, "POST /echo/x ?a=1&b=2 token=abc len=17 peer=127.0.0.1");
  assert_string_equal(fe.resp, "{\"hello\":\"world\"}");
  assert_non_null(strstr(fe.head, "x-echo: yes"));
  assert_non_null(strstr(fe.head, "content-type: application/json"));
  assert_null(strstr(fe.head, "broken"));
}

static void test_request_without_query_or_body_has_empty_strings(void **state) {
  fx_t *f = *state;
  fetch_t fe;

  assert_int_equal(parley_httpd_route(f->srv, "/echo", h_echo, f), 0);
  fetch(f, &fe, "GET", "/echo");
  assert_string_equal(f->seen, "GET /echo ? token=(none) len=0 peer=127.0.0.1");
  assert_int_equal(fe.resp_len, 0);
}

typedef struct qcase {
  fx_t *f;
  int rc[6];
  char val[6][32];
} qcase_t;

static void h_query(parley_httpd_req_t *r, void *data) {
  qcase_t *q = data;
  char tiny[3];
  static const char *const names[] = {"name", "empty", "flag", "enc name", "missing", "pct"};
  int i;

  for (i = 0; i < 6; i++)
    q->rc[i] = parley_httpd_req_query_param(r, names[i], q->val[i], sizeof q->val[i]);
  assert_int_equal(parley_httpd_req_query_param(r, "name", tiny, sizeof tiny), PARLEY_ENOBUFS);
  q->f->calls++;
  parley_httpd_respond(r, 204, NULL, NULL, 0, NULL);
}

static void test_query_parameters_are_percent_and_plus_decoded(void **state) {
  fx_t *f = *state;
  qcase_t q = {f, {0}, {{0}}};
  fetch_t fe;

  assert_int_equal(parley_httpd_route(f->srv, "/q", h_query, &q), 0);
  fetch(f, &fe, "GET", "/q?name=J%C3%B6rg+M%26M&empty=&flag&enc%20name=v&pct=100%25%zz");
  assert_int_equal(fe.status, 204);
  assert_int_equal(q.rc[0], 9);
  assert_string_equal(q.val[0], "J\xc3\xb6rg M&M");
  assert_int_equal(q.rc[1], 0);
  assert_string_equal(q.val[1], "");
  assert_int_equal(q.rc[2], 0);
  assert_string_equal(q.val[3], "v");
  assert_int_equal(q.rc[4], PARLEY_ENOENT);
  assert_string_equal(q.val[5], "100%%zz"); /* an invalid escape stays as is */
}

static void test_per_request_data_slot_keeps_what_the_handler_stored(void **state) {
  fx_t *f = *state;
  fetch_t fe;
  int marker;

  assert_int_equal(parley_httpd_route(f->srv, "/hold", h_hold, f), 0);
  fetch_start(f, &fe, "GET", "/hold");
  fetch_go(f, &fe);
  while (!f->held)
    uv_run(&f->loop, UV_RUN_ONCE);
  assert_null(parley_httpd_req_data(f->held));
  parley_httpd_req_set_data(f->held, &marker);
  assert_ptr_equal(parley_httpd_req_data(f->held), &marker);
  parley_httpd_respond(f->held, 200, NULL, "ok", 2, NULL);
  run_until(f, &fe.done);
  assert_string_equal(fe.resp, "ok");
}

/* ------------------------------------------------------------------ */
/* Limits                                                              */
/* ------------------------------------------------------------------ */

static void test_oversized_body_gets_413_before_any_handler(void **state) {
  fx_t *f = *state; /* max_body 1024 */
  static char big[4096];
  fetch_t fe;

  memset(big, 'x', sizeof big);
  assert_int_equal(parley_httpd_route(f->srv, "/echo", h_echo, f), 0);
  fetch_start(f, &fe, "POST", "/echo");
  fe.body = big;
  fe.body_len = sizeof big;
  fetch_go(f, &fe);
  run_until(f, &fe.done);
  assert_int_equal(fe.status, 413);
  assert_int_equal(f->calls, 0);
}

static void test_body_at_the_limit_is_accepted(void **state) {
  fx_t *f = *state; /* max_body 1024 */
  static char body[1024];
  fetch_t fe;

  memset(body, 'y', sizeof body);
  assert_int_equal(parley_httpd_route(f->srv, "/echo", h_echo, f), 0);
  fetch_start(f, &fe, "POST", "/echo");
  fe.body = body;
  fe.body_len = sizeof body;
  fetch_go(f, &fe);
  run_until(f, &fe.done);
  assert_int_equal(fe.status, 201);
  assert_int_equal(fe.resp_len, sizeof body);
}

static void test_zero_limits_mean_one_mib_body_and_no_connection_cap(void **state) {
  fx_t *f = *state; /* max_body 0, max_connections 0 */
  static char body[1000];
  raw_t raw = {0};
  fetch_t fe;

  memset(body, 'z', sizeof body);
  assert_int_equal(parley_httpd_route(f->srv, "/echo", h_echo, f), 0);
  fetch_start(f, &fe, "POST", "/echo");
  fe.body = body;
  fe.body_len = sizeof body;
  fetch_go(f, &fe);
  run_until(f, &fe.done);
  assert_int_equal(fe.status, 201);

  /* announcing one byte over 1 MiB is enough: h2o refuses before the body */
  raw.port = f->port;
  raw.req = "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n";
  raw.work.data = &raw;
  assert_int_equal(uv_queue_work(&f->loop, &raw.work, raw_work, raw_done), 0);
  run_until(f, &raw.done);
  assert_memory_equal(raw.resp, "HTTP/1.1 413", 12);
  assert_int_equal(f->calls, 1);
}

static void test_connection_beyond_the_limit_is_refused(void **state) {
  fx_t *f = *state; /* max_connections 1 */
  rude_t first = {0};
  fetch_t fe;

  assert_int_equal(parley_httpd_route(f->srv, "/slow", h_hold, f), 0);
  first.read_head = 1; /* keeps its connection open until we answer */
  rude_go(f, &first);
  while (!f->held) /* its connection was accepted */
    uv_run(&f->loop, UV_RUN_ONCE);

  fetch(f, &fe, "GET", "/slow");
  assert_int_not_equal(fe.rc, CURLE_OK); /* closed without an answer */
  assert_int_equal(f->calls, 1);

  parley_httpd_respond(f->held, 200, NULL, "ok", 2, NULL);
  run_until(f, &first.done);
  assert_true(first.saw_head);
}

/* A connected socket that never sends a byte. */
static int idle_socket(int port) {
  struct sockaddr_in a = {0};
  int fd = socket(AF_INET, SOCK_STREAM, 0);

  a.sin_family = AF_INET;
  a.sin_port = htons((uint16_t)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  return fd;
}

static parley_httpd_stats_t stats_of(fx_t *f) {
  parley_httpd_stats_t st;
  parley_httpd_stats(f->srv, &st);
  return st;
}

static void test_at_the_limit_an_idle_connection_makes_room(void **state) {
  fx_t *f = *state; /* max_connections 1 */
  void *a[2] = {f, "a"};
  char c;
  int idle = idle_socket(f->port);
  fetch_t fe;

  assert_int_equal(parley_httpd_route(f->srv, "/a", h_name, a), 0);
  while (stats_of(f).accepted < 1)
    uv_run(&f->loop, UV_RUN_ONCE);
  fetch(f, &fe, "GET", "/a");
  assert_int_equal(fe.rc, CURLE_OK); /* served, not refused */
  assert_string_equal(fe.resp, "a");
  assert_int_equal(stats_of(f).evicted, 1);
  assert_int_equal(stats_of(f).rejected_max_connections, 0);
  assert_int_equal(recv(idle, &c, 1, 0), 0); /* the idle one was closed */
  close(idle);
}

static void test_an_idle_connection_is_closed_after_the_idle_timeout(void **state) {
  fx_t *f = *state; /* idle_timeout 200 ms */
  char c;
  int idle = idle_socket(f->port);

  while (stats_of(f).timeouts_idle < 1) /* the sweep timer keeps the loop turning */
    uv_run(&f->loop, UV_RUN_ONCE);
  assert_int_equal(recv(idle, &c, 1, 0), 0);
  assert_int_equal(stats_of(f).accepted, 1);
  while (stats_of(f).connections > 0)
    uv_run(&f->loop, UV_RUN_ONCE);
  close(idle);
}

static void test_keep_alive_serves_two_requests_on_one_connection(void **state) {
  fx_t *f = *state;
  void *a[2] = {f, "a"};
  fetch_t fe;

  assert_int_equal(parley_httpd_route(f->srv, "/a", h_name, a), 0);
  fetch_start(f, &fe, "GET", "/a");
  fe.twice = 1;
  fetch_go(f, &fe);
  run_until(f, &fe.done);
  assert_int_equal(fe.rc, CURLE_OK);
  assert_string_equal(fe.resp, "a");
  assert_int_equal(fe.new_connections, 0);
  assert_int_equal(f->calls, 2);
}

/* ------------------------------------------------------------------ */
/* Async and streaming answers                                         */
/* ------------------------------------------------------------------ */

static void on_answer_timer(uv_timer_t *t) {
  fx_t *f = t->data;
  parley_httpd_respond(f->held, 202, NULL, "later", 5, NULL);
  f->held = NULL;
}

static void h_later(parley_httpd_req_t *r, void *data) {
  fx_t *f = data;
  f->held = r;
  uv_timer_start(&f->timer, on_answer_timer, 20, 0);
}

static void test_handler_may_answer_later_from_a_timer(void **state) {
  fx_t *f = *state;
  fetch_t fe;

  assert_int_equal(parley_httpd_route(f->srv, "/later", h_later, f), 0);
  fetch(f, &fe, "GET", "/later");
  assert_int_equal(fe.status, 202);
  assert_string_equal(fe.resp, "later");
}

static const char *const chunks[] = {"first,", "second,", "third"};

static void on_chunk_timer(uv_timer_t *t) {
  fx_t *f = t->data;
  if (f->timer_ticks < 3) {
    assert_int_equal(parley_httpd_stream_write(f->held, chunks[f->timer_ticks],
                                               strlen(chunks[f->timer_ticks])),
                     0);
    f->timer_ticks++;
    return;
  }
  uv_timer_stop(t);
  parley_httpd_stream_end(f->held);
  f->held = NULL;
}

static void on_stream_gone(parley_httpd_req_t *r, void *data) {
  fx_t *f = data;
  f->on_close_calls++;
}

static void h_stream(parley_httpd_req_t *r, void *data) {
  fx_t *f = data;
  static const char *const hdrs[] = {"Cache-Control: no-store", NULL};
  f->held = r;
  parley_httpd_stream_start(r, 200, "application/x-ndjson", hdrs, on_stream_gone, f);
  uv_timer_start(&f->timer, on_chunk_timer, 5, 5);
}

static void test_streamed_answer_arrives_chunked_in_order(void **state) {
  fx_t *f = *state;
  fetch_t fe;

  assert_int_equal(parley_httpd_route(f->srv, "/stream", h_stream, f), 0);
  fetch(f, &fe, "GET", "/stream");
  assert_int_equal(fe.rc, CURLE_OK);
  assert_int_equal(fe.status, 200);
  assert_string_equal(fe.resp, "first,second,third");
  assert_non_null(strstr(fe.head, "transfer-encoding: chunked"));
  assert_non_null(strstr(fe.head, "cache-control: no-store"));
  assert_int_equal(f->on_close_calls, 0); /* a normal end is not a close */
}

static void h_stream_burst(parley_httpd_req_t *r, void *data) {
  char line[32];
  int i;
  /* many writes in one go: the later ones queue while h2o is busy */
  parley_httpd_stream_start(r, 200, NULL, NULL, NULL, NULL);
  for (i = 0; i < 100; i++) {
    snprintf(line, sizeof line, "%02d\n", i);
    assert_int_equal(parley_httpd_stream_write(r, line, 3), 0);
  }
  parley_httpd_stream_end(r);
}

static void test_stream_writes_made_while_sending_are_queued_not_lost(void **state) {
  fx_t *f = *state;
  fetch_t fe;

  assert_int_equal(parley_httpd_route(f->srv, "/burst", h_stream_burst, f), 0);
  fetch(f, &fe, "GET", "/burst");
  assert_int_equal(fe.resp_len, 300);
  assert_memory_equal(fe.resp, "00\n01\n02\n", 9);
  assert_memory_equal(fe.resp + 297, "99\n", 3);
}

static void test_http10_client_gets_a_raw_stream_ended_by_close(void **state) {
  fx_t *f = *state;
  raw_t raw = {0};
  const char *body;

  assert_int_equal(parley_httpd_route(f->srv, "/stream", h_stream, f), 0);
  raw.port = f->port;
  raw.req = "GET /stream HTTP/1.0\r\n\r\n";
  raw.work.data = &raw;
  assert_int_equal(uv_queue_work(&f->loop, &raw.work, raw_work, raw_done), 0);
  run_until(f, &raw.done);
  assert_null(strstr(raw.resp, "chunked"));
  body = strstr(raw.resp, "\r\n\r\n");
  assert_non_null(body);
  assert_string_equal(body + 4, "first,second,third");
}

static void test_client_leaving_before_an_async_answer_is_harmless(void **state) {
  fx_t *f = *state;
  rude_t rude = {0};
  fetch_t fe;
  void *a[2] = {f, "still serving"};

  assert_int_equal(parley_httpd_route(f->srv, "/slow", h_hold, f), 0);
  assert_int_equal(parley_httpd_route(f->srv, "/a", h_name, a), 0);
  rude.wait_for = &f->got_request;
  rude_go(f, &rude);
  run_until(f, &rude.done); /* the client hung up with the request held */
  assert_non_null(f->held);
  parley_httpd_respond(f->held, 200, NULL, "too late", 8, NULL); /* must only release */
  f->held = NULL;

  fetch(f, &fe, "GET", "/a");
  assert_string_equal(fe.resp, "still serving");
}

static void on_keep_writing(uv_timer_t *t) {
  fx_t *f = t->data;
  int rc = parley_httpd_stream_write(f->held, "tick\n", 5);
  if (rc != 0) {
    f->write_after_close = rc;
    uv_timer_stop(t);
    parley_httpd_stream_end(f->held); /* releases */
    f->held = NULL;
  }
}

static void h_stream_forever(parley_httpd_req_t *r, void *data) {
  fx_t *f = data;
  f->held = r;
  parley_httpd_stream_start(r, 200, NULL, NULL, on_stream_gone, f);
  uv_sem_post(&f->got_request);
}

static void test_client_leaving_a_stream_calls_on_close_and_stops_writes(void **state) {
  fx_t *f = *state;
  rude_t rude = {0};

  assert_int_equal(parley_httpd_route(f->srv, "/slow", h_stream_forever, f), 0);
  rude.wait_for = &f->got_request;
  rude.read_head = 1;
  rude_go(f, &rude);
  run_until(f, &rude.done);
  assert_true(rude.saw_head);
  /* keep writing until the server notices the peer is gone */
  uv_timer_start(&f->timer, on_keep_writing, 1, 1);
  while (f->held)
    uv_run(&f->loop, UV_RUN_ONCE);
  assert_int_equal(f->on_close_calls, 1);
  assert_int_equal(f->write_after_close, PARLEY_ECANCELED);
}

/* ------------------------------------------------------------------ */
/* Close                                                               */
/* ------------------------------------------------------------------ */

static void test_close_answers_pending_requests_with_503(void **state) {
  fx_t *f = *state;
  fetch_t fe;

  assert_int_equal(parley_httpd_route(f->srv, "/hold", h_hold, f), 0);
  fetch_start(f, &fe, "GET", "/hold");
  fetch_go(f, &fe);
  while (!f->held)
    uv_run(&f->loop, UV_RUN_ONCE);
  parley_httpd_close(f->srv, fx_on_closed, f);
  run_until(f, &fe.done);
  assert_int_equal(fe.status, 503);
  run_until(f, &f->closed);
  /* the handler still owns its request: answering now only releases it */
  parley_httpd_respond(f->held, 200, NULL, "late", 4, NULL);
}

static void test_close_ends_open_streams_and_tells_their_owner(void **state) {
  fx_t *f = *state;
  rude_t reader = {0};

  assert_int_equal(parley_httpd_route(f->srv, "/slow", h_stream_forever, f), 0);
  reader.read_head = 1;
  rude_go(f, &reader);
  while (!f->held)
    uv_run(&f->loop, UV_RUN_ONCE);
  parley_httpd_close(f->srv, fx_on_closed, f);
  assert_int_equal(f->on_close_calls, 1);
  assert_int_equal(parley_httpd_stream_write(f->held, "x", 1), PARLEY_ECANCELED);
  parley_httpd_stream_end(f->held);
  run_until(f, &f->closed);
  run_until(f, &reader.done);
}

static void test_close_with_an_idle_keep_alive_connection_completes(void **state) {
  fx_t *f = *state;
  void *a[2] = {f, "a"};
  int fd;
  char buf[512];
  static const char req[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";

  assert_int_equal(parley_httpd_route(f->srv, "/a", h_name, a), 0);
  fd = rude_connect(f->port); /* connect() completes in the kernel backlog */
  assert_true(fd >= 0);
  assert_int_equal(send(fd, req, sizeof req - 1, 0), (ssize_t)(sizeof req - 1));
  while (f->calls == 0)
    uv_run(&f->loop, UV_RUN_ONCE);
  parley_httpd_close(f->srv, fx_on_closed, f);
  run_until(f, &f->closed); /* does not wait for the client to hang up */
  assert_true(recv(fd, buf, sizeof buf, 0) > 0);
  close(fd);
}

static void on_closed_free(void *data) {
  fx_t *f = data;
  parley_httpd_free(f->srv); /* freeing from the close callback is allowed */
  f->srv = NULL;
  f->closed = 1;
}

static void h_close_server(parley_httpd_req_t *r, void *data) {
  fx_t *f = data;
  f->calls++;
  parley_httpd_close(f->srv, on_closed_free, f);
  parley_httpd_respond(r, 200, NULL, "bye", 3, NULL); /* already answered 503: releases */
}

static void test_close_from_inside_a_handler_finishes_after_it(void **state) {
  fx_t *f = *state;
  fetch_t fe;

  assert_int_equal(parley_httpd_route(f->srv, "/quit", h_close_server, f), 0);
  fetch(f, &fe, "GET", "/quit");
  assert_int_equal(fe.status, 503);
  run_until(f, &f->closed);
  assert_null(f->srv);
}

static void test_bad_listen_addresses_are_rejected_with_a_message(void **state) {
  static const char *const bad[] = {"", "localhost", "127.0.0.1", "127.0.0.1:http",
                                    "127.0.0.1:70000", "300.1.1.1:80", "[::1:80", "[zz]:80"};
  uv_loop_t loop;
  size_t i;

  uv_loop_init(&loop);
  for (i = 0; i < sizeof bad / sizeof *bad; i++) {
    parley_httpd_options_t o = {bad[i], 1024, 4, {0}};
    parley_error_t err = {0};
    parley_httpd_t *s = (parley_httpd_t *)&loop;
    assert_int_equal(parley_httpd_new(&s, &loop, &o, &err), PARLEY_EINVAL);
    assert_null(s);
    assert_non_null(strstr(err.message, "listen address"));
  }
  assert_int_equal(uv_loop_close(&loop), 0);
}

static void test_port_in_use_is_an_io_error_naming_the_address(void **state) {
  fx_t *f = *state;
  char addr[64];
  parley_httpd_options_t o = {addr, 1024, 4, {0}};
  parley_error_t err = {0};
  parley_httpd_t *s;

  snprintf(addr, sizeof addr, "127.0.0.1:%d", f->port);
  assert_int_equal(parley_httpd_new(&s, &f->loop, &o, &err), PARLEY_EIO);
  assert_non_null(strstr(err.message, addr));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_longest_registered_prefix_wins, fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_unknown_path_gets_404_without_calling_a_handler,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_same_prefix_twice_is_a_duplicate_and_unroute_removes_it,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_handler_sees_method_path_query_headers_and_body,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_request_without_query_or_body_has_empty_strings,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_query_parameters_are_percent_and_plus_decoded,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_per_request_data_slot_keeps_what_the_handler_stored,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_oversized_body_gets_413_before_any_handler,
                                      fx_setup_small_body, fx_teardown),
      cmocka_unit_test_setup_teardown(test_body_at_the_limit_is_accepted, fx_setup_small_body,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_zero_limits_mean_one_mib_body_and_no_connection_cap,
                                      fx_setup_defaults, fx_teardown),
      cmocka_unit_test_setup_teardown(test_connection_beyond_the_limit_is_refused,
                                      fx_setup_one_conn, fx_teardown),
      cmocka_unit_test_setup_teardown(test_at_the_limit_an_idle_connection_makes_room,
                                      fx_setup_idle, fx_teardown),
      cmocka_unit_test_setup_teardown(test_an_idle_connection_is_closed_after_the_idle_timeout,
                                      fx_setup_idle, fx_teardown),
      cmocka_unit_test_setup_teardown(test_keep_alive_serves_two_requests_on_one_connection,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_handler_may_answer_later_from_a_timer, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_streamed_answer_arrives_chunked_in_order, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_stream_writes_made_while_sending_are_queued_not_lost,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_http10_client_gets_a_raw_stream_ended_by_close,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_client_leaving_before_an_async_answer_is_harmless,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_client_leaving_a_stream_calls_on_close_and_stops_writes,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_close_answers_pending_requests_with_503, fx_setup,
                                      fx_teardown),
      cmocka_unit_test_setup_teardown(test_close_ends_open_streams_and_tells_their_owner,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_close_with_an_idle_keep_alive_connection_completes,
                                      fx_setup, fx_teardown),
      cmocka_unit_test_setup_teardown(test_close_from_inside_a_handler_finishes_after_it,
                                      fx_setup, fx_teardown),
      cmocka_unit_test(test_bad_listen_addresses_are_rejected_with_a_message),
      cmocka_unit_test_setup_teardown(test_port_in_use_is_an_io_error_naming_the_address,
                                      fx_setup, fx_teardown),
  };
  int rc;

  if (getenv("PARLEY_TEST_FILTER")) /* run one test: PARLEY_TEST_FILTER='*stream*' */
    cmocka_set_test_filter(getenv("PARLEY_TEST_FILTER"));
  curl_global_init(CURL_GLOBAL_DEFAULT);
  rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
