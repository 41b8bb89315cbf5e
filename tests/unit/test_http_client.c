/* The HTTP client: libcurl multi on a uv loop, against a parley_httpd on
 * 127.0.0.1 in the same loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http_client.h"
#include "http_server.h"

#define MAX_HELD 8

typedef struct result {
  int calls;
  int status;
  long http_status;
  char body[16384];
  size_t body_len;
  int body_null;
  char error[512];
  char header[128]; /* a response header looked up in the callback */
} result_t;

typedef struct fx {
  uv_loop_t loop;
  uv_prepare_t prepare; /* see run_until */
  parley_httpd_t *srv;
  parley_httpc_t *cli;
  int port;
  int srv_closed, cli_closed;
  parley_httpd_req_t *held[MAX_HELD];
  int nheld;
  char seen[512];
  /* streaming: the server sends the next chunk once the client got one */
  parley_httpd_req_t *stream;
  int sent;
  int chunks;
  char chunk_ctype[64];
  result_t res;
} fx_t;

static void on_srv_closed(void *d) { ((fx_t *)d)->srv_closed = 1; }
static void on_cli_closed(void *d) { ((fx_t *)d)->cli_closed = 1; }

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

/* ------------------------------------------------------------------ */
/* Server side                                                         */
/* ------------------------------------------------------------------ */

static void h_hello(parley_httpd_req_t *r, void *data) {
  static const char *const hdrs[] = {"X-Rate-Limit-Remaining: 42", NULL};
  parley_httpd_respond(r, 200, "text/plain", "hi", 2, hdrs);
}

static void h_echo(parley_httpd_req_t *r, void *data) {
  fx_t *f = data;
  size_t len;
  const char *body = parley_httpd_req_body(r, &len);
  const char *sig = parley_httpd_req_header(r, "x-signature");
  snprintf(f->seen, sizeof f->seen, "%s %s?%s sig=%s body=%.*s", parley_httpd_req_method(r),
           parley_httpd_req_path(r), parley_httpd_req_query(r), sig ? sig : "-", (int)len, body);
  parley_httpd_respond(r, 200, "text/plain", parley_httpd_req_query(r),
                       strlen(parley_httpd_req_query(r)), NULL);
}

static void h_big(parley_httpd_req_t *r, void *data) {
  static char big[10000];
  memset(big, 'b', sizeof big);
  parley_httpd_respond(r, 200, NULL, big, sizeof big, NULL);
}

static void h_big_stream(parley_httpd_req_t *r, void *data) {
  static char part[400];
  int i;
  memset(part, 'p', sizeof part);
  parley_httpd_stream_start(r, 200, NULL, NULL, NULL, NULL);
  for (i = 0; i < 5; i++)
    parley_httpd_stream_write(r, part, sizeof part);
  parley_httpd_stream_end(r);
}

static void h_hold(parley_httpd_req_t *r, void *data) {
  fx_t *f = data;
  assert_true(f->nheld < MAX_HELD);
  f->held[f->nheld++] = r;
}

static void h_stream(parley_httpd_req_t *r, void *data) {
  fx_t *f = data;
  f->stream = r;
  parley_httpd_stream_start(r, 200, "application/x-ndjson", NULL, NULL, NULL);
  assert_int_equal(parley_httpd_stream_write(r, "{\"n\":1}\n", 8), 0);
  f->sent = 1;
}

/* ------------------------------------------------------------------ */
/* Fixture                                                             */
/* ------------------------------------------------------------------ */

static int fx_setup(void **state) {
  fx_t *f = calloc(1, sizeof *f);
  parley_httpd_options_t o = {"127.0.0.1:0", 1 << 20, 256, {0}};
  parley_error_t err = {0};

  assert_non_null(f);
  assert_int_equal(uv_loop_init(&f->loop), 0);
  uv_prepare_init(&f->loop, &f->prepare);
  assert_int_equal(parley_httpd_new(&f->srv, &f->loop, &o, &err), 0);
  assert_int_equal(parley_httpc_new(&f->cli, &f->loop, &err), 0);
  f->port = parley_httpd_port(f->srv);
  parley_httpd_route(f->srv, "/hello", h_hello, f);
  parley_httpd_route(f->srv, "/echo", h_echo, f);
  parley_httpd_route(f->srv, "/big", h_big, f);
  parley_httpd_route(f->srv, "/bigstream", h_big_stream, f);
  parley_httpd_route(f->srv, "/hold", h_hold, f);
  parley_httpd_route(f->srv, "/stream", h_stream, f);
  *state = f;
  return 0;
}

static int fx_teardown(void **state) {
  fx_t *f = *state;
  int i;

  parley_httpc_close(f->cli, on_cli_closed, f);
  run_until(f, &f->cli_closed);
  parley_httpc_free(f->cli);
  parley_httpd_close(f->srv, on_srv_closed, f);
  for (i = 0; i < f->nheld; i++) /* handlers still own their requests */
    parley_httpd_respond(f->held[i], 200, NULL, NULL, 0, NULL);
  if (f->stream)
    parley_httpd_stream_end(f->stream);
  run_until(f, &f->srv_closed);
  parley_httpd_free(f->srv);
  uv_close((uv_handle_t *)&f->prepare, NULL);
  uv_run(&f->loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&f->loop), 0);
  free(f);
  return 0;
}

static void url(fx_t *f, char *buf, size_t n, const char *path) {
  snprintf(buf, n, "http://127.0.0.1:%d%s", f->port, path);
}

/* ------------------------------------------------------------------ */
/* Client callbacks                                                    */
/* ------------------------------------------------------------------ */

static void record(parley_http_t *h, const parley_http_response_t *res, result_t *r,
                   const char *header) {
  const char *v = header ? parley_httpc_header(h, header) : NULL;
  r->calls++;
  r->status = res->status;
  r->http_status = res->http_status;
  r->body_null = res->body == NULL;
  r->body_len = res->body_len;
  if (res->body && res->body_len < sizeof r->body)
    memcpy(r->body, res->body, res->body_len + 1); /* including the promised NUL */
  snprintf(r->error, sizeof r->error, "%s", res->error ? res->error : "");
  snprintf(r->header, sizeof r->header, "%s", v ? v : "(null)");
}

static void on_done(parley_http_t *h, const parley_http_response_t *res, void *data) {
  record(h, res, &((fx_t *)data)->res, "x-rate-limit-remaining");
}

static int request(fx_t *f, const char *method, const char *path, parley_http_t **out) {
  char u[128];
  parley_http_request_t req = {0};
  url(f, u, sizeof u, path);
  req.method = method;
  req.url = u;
  return parley_httpc_request(f->cli, &req, NULL, on_done, f, out);
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

static void test_get_returns_status_body_and_headers(void **state) {
  fx_t *f = *state;

  assert_int_equal(request(f, "GET", "/hello", NULL), 0);
  run_until(f, &f->res.calls);
  assert_int_equal(f->res.status, 0);
  assert_int_equal(f->res.http_status, 200);
  assert_string_equal(f->res.body, "hi");
  assert_int_equal(f->res.body_len, 2);
  assert_string_equal(f->res.header, "42"); /* looked up as x-rate-limit-remaining */
  assert_string_equal(f->res.error, "");
}

static void on_done_missing_header(parley_http_t *h, const parley_http_response_t *res,
                                   void *data) {
  fx_t *f = data;
  record(h, res, &f->res, "X-Not-There");
  snprintf(f->seen, sizeof f->seen, "%s", parley_httpc_header(h, "CONTENT-TYPE"));
}

static void test_header_lookup_ignores_case_and_reports_absent_ones(void **state) {
  fx_t *f = *state;
  char u[128];
  parley_http_request_t req = {"GET", u, NULL, NULL, 0, 0, 0};

  url(f, u, sizeof u, "/hello");
  assert_int_equal(parley_httpc_request(f->cli, &req, NULL, on_done_missing_header, f, NULL), 0);
  run_until(f, &f->res.calls);
  assert_string_equal(f->res.header, "(null)");
  assert_string_equal(f->seen, "text/plain");
}

static void test_post_sends_method_headers_and_body(void **state) {
  fx_t *f = *state;
  char u[128];
  static const char *const hdrs[] = {"X-Signature: abc123", "Content-Type: application/json",
                                     NULL};
  parley_http_request_t req = {"POST", u, hdrs, "{\"a\":1}", 7, 0, 0};

  url(f, u, sizeof u, "/echo/x?id=7");
  assert_int_equal(parley_httpc_request(f->cli, &req, NULL, on_done, f, NULL), 0);
  run_until(f, &f->res.calls);
  assert_int_equal(f->res.http_status, 200);
  assert_string_equal(f->seen, "POST /echo/x?id=7 sig=abc123 body={\"a\":1}");
  assert_string_equal(f->res.body, "id=7");
}

static void test_other_methods_are_sent_as_given(void **state) {
  fx_t *f = *state;
  char u[128];
  parley_http_request_t req = {"DELETE", u, NULL, NULL, 0, 0, 0};

  url(f, u, sizeof u, "/echo/42");
  assert_int_equal(parley_httpc_request(f->cli, &req, NULL, on_done, f, NULL), 0);
  run_until(f, &f->res.calls);
  assert_string_equal(f->seen, "DELETE /echo/42? sig=- body=");
}

static void test_empty_body_is_an_empty_nul_terminated_string(void **state) {
  fx_t *f = *state;

  assert_int_equal(request(f, "GET", "/echo", NULL), 0);
  run_until(f, &f->res.calls);
  assert_int_equal(f->res.body_null, 0);
  assert_int_equal(f->res.body_len, 0);
  assert_string_equal(f->res.body, "");
}

static void test_response_larger_than_max_response_fails_etoobig(void **state) {
  fx_t *f = *state;
  char u[128];
  parley_http_request_t req = {"GET", u, NULL, NULL, 0, 0, 100};

  url(f, u, sizeof u, "/big");
  assert_int_equal(parley_httpc_request(f->cli, &req, NULL, on_done, f, NULL), 0);
  run_until(f, &f->res.calls);
  assert_int_equal(f->res.status, PARLEY_ETOOBIG);
  assert_int_equal(f->res.http_status, 0);
  assert_true(f->res.body_null);
  assert_non_null(strstr(f->res.error, "100 bytes"));
}

static void test_chunked_response_growing_past_max_response_fails_etoobig(void **state) {
  fx_t *f = *state; /* no Content-Length: the limit is enforced while reading */
  char u[128];
  parley_http_request_t req = {"GET", u, NULL, NULL, 0, 0, 1000};

  url(f, u, sizeof u, "/bigstream");
  assert_int_equal(parley_httpc_request(f->cli, &req, NULL, on_done, f, NULL), 0);
  run_until(f, &f->res.calls);
  assert_int_equal(f->res.status, PARLEY_ETOOBIG);
}

static void test_response_within_max_response_is_delivered_whole(void **state) {
  fx_t *f = *state;
  char u[128];
  parley_http_request_t req = {"GET", u, NULL, NULL, 0, 0, 10000};

  url(f, u, sizeof u, "/big");
  assert_int_equal(parley_httpc_request(f->cli, &req, NULL, on_done, f, NULL), 0);
  run_until(f, &f->res.calls);
  assert_int_equal(f->res.status, 0);
  assert_int_equal(f->res.body_len, 10000);
}

static void test_server_that_does_not_answer_in_time_gives_etimedout(void **state) {
  fx_t *f = *state;
  char u[128];
  parley_http_request_t req = {"GET", u, NULL, NULL, 0, 50, 0};

  url(f, u, sizeof u, "/hold");
  assert_int_equal(parley_httpc_request(f->cli, &req, NULL, on_done, f, NULL), 0);
  run_until(f, &f->res.calls);
  assert_int_equal(f->res.status, PARLEY_ETIMEDOUT);
  assert_int_equal(f->res.http_status, 0);
  assert_true(strlen(f->res.error) > 0);
}

static int unused_port(void) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  int fd = socket(AF_INET, SOCK_STREAM, 0), port;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
  getsockname(fd, (struct sockaddr *)&a, &len);
  port = ntohs(a.sin_port);
  close(fd); /* bound but never listening: connecting is refused */
  return port;
}

static void test_refused_connection_gives_enetwork_with_curls_message(void **state) {
  fx_t *f = *state;
  char u[128];
  parley_http_request_t req = {"GET", u, NULL, NULL, 0, 0, 0};

  snprintf(u, sizeof u, "http://127.0.0.1:%d/", unused_port());
  assert_int_equal(parley_httpc_request(f->cli, &req, NULL, on_done, f, NULL), 0);
  run_until(f, &f->res.calls);
  assert_int_equal(f->res.status, PARLEY_ENETWORK);
  assert_int_equal(f->res.http_status, 0);
  assert_non_null(strstr(f->res.error, "127.0.0.1"));
}

/* The fixture's server speaks plain HTTP: an https:// URL makes curl's
 * TLS handshake fail, which is enough to see which TLS settings it used. */
static void https_hello(fx_t *f) {
  char u[128];
  parley_http_request_t req = {"GET", u, NULL, NULL, 0, 0, 0};

  snprintf(u, sizeof u, "https://127.0.0.1:%d/hello", f->port);
  assert_int_equal(parley_httpc_request(f->cli, &req, NULL, on_done, f, NULL), 0);
  run_until(f, &f->res.calls);
  assert_int_equal(f->res.status, PARLEY_ENETWORK);
  assert_int_equal(f->res.http_status, 0);
}

static void test_a_failed_tls_handshake_says_tls(void **state) {
  fx_t *f = *state;

  https_hello(f);
  assert_memory_equal(f->res.error, "TLS: ", 5);
}

static void test_ca_file_is_copied_and_used_instead_of_the_system_store(void **state) {
  fx_t *f = *state;
  char ca[] = "/nonexistent/parley-test-ca.pem";
  parley_error_t err = {0};

  assert_int_equal(parley_httpc_set_tls(f->cli, 1, ca, &err), 0);
  memset(ca, 'x', sizeof ca - 1); /* the client holds its own copy */
  https_hello(f);
  assert_memory_equal(f->res.error, "TLS: ", 5);
  assert_non_null(strstr(f->res.error, "/nonexistent/parley-test-ca.pem"));
}

static void test_verify_off_ignores_the_ca_file(void **state) {
  fx_t *f = *state;
  parley_error_t err = {0};

  assert_int_equal(parley_httpc_set_tls(f->cli, 0, "/nonexistent/parley-test-ca.pem", &err), 0);
  https_hello(f);
  assert_memory_equal(f->res.error, "TLS: ", 5);
  assert_null(strstr(f->res.error, "parley-test-ca.pem"));
  assert_int_equal(parley_httpc_set_tls(NULL, 1, NULL, &err), PARLEY_EINVAL);
}

static void test_url_for_log_drops_user_info_query_and_fragment(void **state) {
  char out[128];
  (void)state;

  assert_string_equal(parley_httpc_url_for_log("https://u:pw@example.com:8443/in/hook?token=s3#f",
                                               out, sizeof out),
                      "https://example.com:8443/in/hook");
  assert_string_equal(parley_httpc_url_for_log("http://127.0.0.1:9/x", out, sizeof out),
                      "http://127.0.0.1:9/x");
  assert_string_equal(parley_httpc_url_for_log("not a url", out, sizeof out), "(unparsable URL)");
  assert_string_equal(parley_httpc_url_for_log(NULL, out, sizeof out), "(unparsable URL)");
  assert_string_equal(parley_httpc_url_for_log("http://example.com/abc", out, 12), "http://exam");
}

static void test_callback_never_runs_inside_request(void **state) {
  fx_t *f = *state;
  /* fails at once inside curl, yet is reported on a later loop turn */
  parley_http_request_t req = {"GET", "ftp://127.0.0.1/file", NULL, NULL, 0, 0, 0};

  assert_int_equal(parley_httpc_request(f->cli, &req, NULL, on_done, f, NULL), 0);
  assert_int_equal(f->res.calls, 0);
  run_until(f, &f->res.calls);
  assert_int_equal(f->res.status, PARLEY_EINVAL); /* only http and https are allowed */
}

static void test_missing_url_or_callback_is_einval_and_no_callback(void **state) {
  fx_t *f = *state;
  parley_http_request_t req = {"GET", NULL, NULL, NULL, 0, 0, 0};
  parley_http_t *h = (parley_http_t *)f;

  assert_int_equal(parley_httpc_request(f->cli, &req, NULL, on_done, f, &h), PARLEY_EINVAL);
  assert_null(h);
  req.url = "http://127.0.0.1:1/";
  assert_int_equal(parley_httpc_request(f->cli, &req, NULL, NULL, f, NULL), PARLEY_EINVAL);
  assert_int_equal(parley_httpc_active(f->cli), 0);
}

static void test_cancel_runs_the_callback_once_with_ecanceled(void **state) {
  fx_t *f = *state;
  parley_http_t *h;

  assert_int_equal(request(f, "GET", "/hold", &h), 0);
  while (f->nheld == 0) /* the request reached the server */
    uv_run(&f->loop, UV_RUN_ONCE);
  parley_httpc_cancel(h);
  parley_httpc_cancel(h);
  assert_int_equal(f->res.calls, 0); /* not from inside cancel */
  run_until(f, &f->res.calls);
  uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_int_equal(f->res.calls, 1);
  assert_int_equal(f->res.status, PARLEY_ECANCELED);
  assert_int_equal(f->res.http_status, 0);
  assert_int_equal(parley_httpc_active(f->cli), 0);
}

static void test_cancel_before_the_loop_runs_still_calls_back_once(void **state) {
  fx_t *f = *state;
  parley_http_t *h;

  assert_int_equal(request(f, "GET", "/hello", &h), 0);
  parley_httpc_cancel(h);
  run_until(f, &f->res.calls);
  assert_int_equal(f->res.status, PARLEY_ECANCELED);
}

static void on_stream_chunk(parley_http_t *h, const char *chunk, size_t len, void *data) {
  fx_t *f = data;
  const char *ct = parley_httpc_header(h, "Content-Type");
  static const char *const next[] = {"{\"n\":2}\n", "{\"n\":3}\n"};

  memcpy(f->res.body + f->res.body_len, chunk, len);
  f->res.body_len += len;
  f->chunks++;
  snprintf(f->chunk_ctype, sizeof f->chunk_ctype, "%s", ct ? ct : "(null)");
  if (f->sent < 3) { /* the next chunk only now: each arrives on its own */
    parley_httpd_stream_write(f->stream, next[f->sent - 1], 8);
    f->sent++;
  } else {
    parley_httpd_stream_end(f->stream);
    f->stream = NULL;
  }
}

static void on_stream_done(parley_http_t *h, const parley_http_response_t *res, void *data) {
  fx_t *f = data;
  f->res.calls++;
  f->res.status = res->status;
  f->res.http_status = res->http_status;
  f->res.body_null = res->body == NULL;
}

static void test_stream_delivers_each_chunk_then_calls_back_without_body(void **state) {
  fx_t *f = *state;
  char u[128];
  parley_http_request_t req = {"GET", u, NULL, NULL, 0, 0, 0};

  url(f, u, sizeof u, "/stream");
  assert_int_equal(parley_httpc_request(f->cli, &req, on_stream_chunk, on_stream_done, f, NULL),
                   0);
  run_until(f, &f->res.calls);
  assert_int_equal(f->chunks, 3);
  assert_memory_equal(f->res.body, "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n", 24);
  assert_string_equal(f->chunk_ctype, "application/x-ndjson");
  assert_int_equal(f->res.status, 0);
  assert_int_equal(f->res.http_status, 200);
  assert_true(f->res.body_null);
}

static void on_chunk_cancel(parley_http_t *h, const char *chunk, size_t len, void *data) {
  fx_t *f = data;
  f->chunks++;
  parley_httpc_cancel(h); /* from inside curl's own callback */
}

static void test_cancel_from_inside_on_chunk_stops_the_stream(void **state) {
  fx_t *f = *state;
  char u[128];
  parley_http_request_t req = {"GET", u, NULL, NULL, 0, 0, 0};

  url(f, u, sizeof u, "/stream");
  assert_int_equal(parley_httpc_request(f->cli, &req, on_chunk_cancel, on_stream_done, f, NULL),
                   0);
  run_until(f, &f->res.calls);
  uv_run(&f->loop, UV_RUN_NOWAIT);
  assert_int_equal(f->chunks, 1);
  assert_int_equal(f->res.calls, 1);
  assert_int_equal(f->res.status, PARLEY_ECANCELED);
}

typedef struct many {
  fx_t *f;
  int i;
  int ok;
  int *done;
} many_t;

static void on_many(parley_http_t *h, const parley_http_response_t *res, void *data) {
  many_t *m = data;
  char want[16];
  snprintf(want, sizeof want, "i=%d", m->i);
  m->ok = res->status == 0 && res->http_status == 200 && strcmp(res->body, want) == 0;
  (*m->done)++;
}

static void test_fifty_concurrent_requests_all_complete_with_their_own_answer(void **state) {
  fx_t *f = *state;
  many_t m[50];
  int done = 0, i, all = 0;
  char u[128], path[32];

  for (i = 0; i < 50; i++) {
    parley_http_request_t req = {"GET", u, NULL, NULL, 0, 0, 0};
    snprintf(path, sizeof path, "/echo?i=%d", i);
    url(f, u, sizeof u, path);
    m[i] = (many_t){f, i, 0, &done};
    assert_int_equal(parley_httpc_request(f->cli, &req, NULL, on_many, &m[i], NULL), 0);
  }
  assert_int_equal(parley_httpc_active(f->cli), 50);
  while (done < 50)
    uv_run(&f->loop, UV_RUN_ONCE);
  for (i = 0; i < 50; i++)
    all += m[i].ok;
  assert_int_equal(all, 50);
  assert_int_equal(parley_httpc_active(f->cli), 0);
}

static void on_counted(parley_http_t *h, const parley_http_response_t *res, void *data) {
  fx_t *f = data;
  f->res.calls++;
  if (res->status == PARLEY_ECANCELED)
    f->chunks++; /* counts cancellations here */
}

static void test_close_cancels_every_transfer_then_calls_back(void **state) {
  fx_t *f = *state;
  char u[128];
  parley_http_request_t req = {"GET", u, NULL, NULL, 0, 0, 0};
  int i;

  url(f, u, sizeof u, "/hold");
  for (i = 0; i < 3; i++)
    assert_int_equal(parley_httpc_request(f->cli, &req, NULL, on_counted, f, NULL), 0);
  while (f->nheld < 3)
    uv_run(&f->loop, UV_RUN_ONCE);
  parley_httpc_close(f->cli, on_cli_closed, f);
  assert_int_equal(parley_httpc_request(f->cli, &req, NULL, on_counted, f, NULL), PARLEY_ESTATE);
  run_until(f, &f->cli_closed);
  assert_int_equal(f->res.calls, 3);
  assert_int_equal(f->chunks, 3);
}

static void test_close_with_nothing_in_flight_calls_back(void **state) {
  fx_t *f = *state;

  parley_httpc_close(f->cli, on_cli_closed, f);
  run_until(f, &f->cli_closed);
  assert_int_equal(f->res.calls, 0);
}

static void on_cli_closed_free(void *data) {
  fx_t *f = data;
  parley_httpc_free(f->cli); /* freeing from the close callback is allowed */
  f->cli = NULL;
  f->cli_closed = 1;
}

static void on_done_then_close(parley_http_t *h, const parley_http_response_t *res, void *data) {
  fx_t *f = data;
  record(h, res, &f->res, NULL);
  parley_httpc_close(f->cli, on_cli_closed_free, f);
}

static void test_close_from_inside_a_callback_finishes_after_it(void **state) {
  fx_t *f = *state;
  char u[128];
  parley_http_request_t req = {"GET", u, NULL, NULL, 0, 0, 0};

  url(f, u, sizeof u, "/hello");
  assert_int_equal(parley_httpc_request(f->cli, &req, NULL, on_done_then_close, f, NULL), 0);
  assert_int_equal(parley_httpc_request(f->cli, &req, NULL, on_done_then_close, f, NULL), 0);
  run_until(f, &f->cli_closed);
  assert_int_equal(f->res.calls, 2); /* the other one completed or was canceled */
  assert_null(f->cli);
}

int main(void) {
  const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
      T(test_get_returns_status_body_and_headers),
      T(test_header_lookup_ignores_case_and_reports_absent_ones),
      T(test_post_sends_method_headers_and_body),
      T(test_other_methods_are_sent_as_given),
      T(test_empty_body_is_an_empty_nul_terminated_string),
      T(test_response_larger_than_max_response_fails_etoobig),
      T(test_chunked_response_growing_past_max_response_fails_etoobig),
      T(test_response_within_max_response_is_delivered_whole),
      T(test_server_that_does_not_answer_in_time_gives_etimedout),
      T(test_refused_connection_gives_enetwork_with_curls_message),
      T(test_a_failed_tls_handshake_says_tls),
      T(test_ca_file_is_copied_and_used_instead_of_the_system_store),
      T(test_verify_off_ignores_the_ca_file),
      cmocka_unit_test(test_url_for_log_drops_user_info_query_and_fragment),
      T(test_callback_never_runs_inside_request),
      T(test_missing_url_or_callback_is_einval_and_no_callback),
      T(test_cancel_runs_the_callback_once_with_ecanceled),
      T(test_cancel_before_the_loop_runs_still_calls_back_once),
      T(test_stream_delivers_each_chunk_then_calls_back_without_body),
      T(test_cancel_from_inside_on_chunk_stops_the_stream),
      T(test_fifty_concurrent_requests_all_complete_with_their_own_answer),
      T(test_close_cancels_every_transfer_then_calls_back),
      T(test_close_with_nothing_in_flight_calls_back),
      T(test_close_from_inside_a_callback_finishes_after_it),
#undef T
  };

  if (getenv("PARLEY_TEST_FILTER")) /* run one test: PARLEY_TEST_FILTER='*cancel*' */
    cmocka_set_test_filter(getenv("PARLEY_TEST_FILTER"));
  return cmocka_run_group_tests(tests, NULL, NULL);
}
