/* fuzz target http: the HTTP server in front of the router
 * (core/http_server.c on h2o): the bytes a client sends over one TCP
 * connection to a real server on 127.0.0.1, with the defences set small
 * (request line, header bytes and count, body size, keep-alive requests)
 * and handlers that use the request the way the router and connectors do:
 * method, path, query parameters (percent-decoding), headers, body, and
 * answers now, on a later loop turn, or streamed.
 * Promises besides the sanitizers':
 *   - every connection ends: once the client has sent everything and
 *     half-closed, the server answers what it can and closes (within
 *     seconds; no connection or request is left behind);
 *   - what comes back starts as an HTTP/1.x answer (or nothing);
 *   - a decoded query parameter is never longer than its encoded text. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "fuzz.h"
#include "http_server.h"

static uv_loop_t loop;
static parley_httpd_t *server;
static int port;

/* Requests answered on a later loop turn. */
#define MAX_LATER 64
static parley_httpd_req_t *later[MAX_LATER];
static size_t n_later;
static uv_timer_t later_timer;

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What a handler reads of a request, as connectors do. */
static size_t read_request(parley_httpd_req_t *r) {
  static const char *const params[] = {"hub.mode", "hub.challenge", "hub.verify_token",
                                       "crc_token", "challengeCode", "a", ""};
  static const char *const headers[] = {"content-type", "X-Hub-Signature-256", "host",
                                        "Authorization", "x-li-signature", ""};
  const char *query = parley_httpd_req_query(r);
  size_t total = strlen(parley_httpd_req_method(r)) + strlen(parley_httpd_req_path(r));
  char small[8], big[4096];
  for (size_t i = 0; i < sizeof params / sizeof *params; i++) {
    int n = parley_httpd_req_query_param(r, params[i], big, sizeof big);
    fuzz_require(n < 0 || (size_t)n <= strlen(query), "a decoded parameter outgrew the query");
    if (n >= 0)
      total += (size_t)n;
    n = parley_httpd_req_query_param(r, params[i], small, sizeof small);
    fuzz_require(n < 0 || (size_t)n < sizeof small, "a parameter overflowed its buffer");
  }
  for (size_t i = 0; i < sizeof headers / sizeof *headers; i++) {
    const char *v = parley_httpd_req_header(r, headers[i]);
    total += v ? strlen(v) : 0;
  }
  size_t len = 0;
  const char *body = parley_httpd_req_body(r, &len);
  fuzz_require(body != NULL && body[len] == '\0', "the body is not a NUL-terminated copy");
  return total + len;
}

static void respond(parley_httpd_req_t *r, int status) {
  static const char *const hdrs[] = {"X-Ok: 1", "Bad\r\nInjected: 1", "no colon", NULL};
  char text[64];
  int n = snprintf(text, sizeof text, "%zu\n", read_request(r));
  parley_httpd_respond(r, status, "text/plain", text, (size_t)n, hdrs);
}

static void on_later(uv_timer_t *t) {
  size_t n = n_later;
  n_later = 0;
  for (size_t i = 0; i < n; i++)
    respond(later[i], 202);
}

/* /hooks/<name>[/...]: "later" answers on the next turn, "stream" streams,
 * anything else answers now (with the status the path asks, /hooks/404). */
static void on_hook(parley_httpd_req_t *r, void *data) {
  const char *name = parley_httpd_req_path(r) + strlen("/hooks/");
  if (strncmp(name, "later", 5) == 0 && n_later < MAX_LATER) {
    later[n_later++] = r;
    uv_timer_start(&later_timer, on_later, 0, 0);
    return;
  }
  if (strncmp(name, "stream", 6) == 0) {
    parley_httpd_stream_start(r, 200, "application/json", NULL, NULL, NULL);
    char chunk[32];
    int n = snprintf(chunk, sizeof chunk, "{\"n\":%zu}\n", read_request(r));
    parley_httpd_stream_write(r, chunk, (size_t)n);
    parley_httpd_stream_write(r, "", 0);
    parley_httpd_stream_end(r);
    return;
  }
  int status = atoi(name);
  respond(r, status >= 100 && status <= 599 ? status : 200);
}

/* /v1/...: admin endpoints answer GET only */
static void on_admin(parley_httpd_req_t *r, void *data) {
  respond(r, strcmp(parley_httpd_req_method(r), "GET") == 0 ? 200 : 405);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  uv_loop_init(&loop);
  uv_timer_init(&loop, &later_timer);
  parley_httpd_options_t o = {
      .listen = "127.0.0.1:0",
      .max_body = 16 * 1024,
      .max_connections = 64,
      .limits = {.header_timeout_ms = 500,
                 .body_timeout_ms = 500,
                 .idle_timeout_ms = 500,
                 .max_per_client = 32,
                 .max_header_bytes = 2048,
                 .max_headers = 24,
                 .max_request_line = 1024,
                 .max_requests = 6}};
  parley_error_t err = {0};
  if (parley_httpd_new(&server, &loop, &o, &err) != 0)
    fuzz_fail("the server does not start: %s", err.message);
  port = parley_httpd_port(server);
  parley_httpd_route(server, "/hooks/", on_hook, NULL);
  parley_httpd_route(server, "/v1/", on_admin, NULL);
  parley_httpd_route(server, "/healthz", on_admin, NULL);
  return 0;
}

static int connect_client(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0)
    fuzz_fail("cannot make a socket: %s", strerror(errno));
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    /* a signal (libFuzzer's timers) may interrupt connect(): the connection
     * goes on in the background, so wait until it is writable */
    int e = errno, soerr = 0;
    socklen_t len = sizeof soerr;
    struct pollfd p = {fd, POLLOUT, 0};
    if (e != EINTR && e != EINPROGRESS)
      fuzz_fail("cannot connect to the server: %s", strerror(e));
    while (poll(&p, 1, 1000) < 0 && errno == EINTR)
      ;
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0)
      fuzz_fail("cannot connect to the server: %s", strerror(soerr ? soerr : errno));
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

/* Send data, half-close, read the answers until the server closes. */
static void converse(int fd, const uint8_t *data, size_t size) {
  size_t sent = 0, got = 0;
  int closed_wr = 0;
  char head[8] = {0}, buf[65536];
  int64_t deadline = now_ms() + 5000;
  for (;;) {
    uv_run(&loop, UV_RUN_NOWAIT);
    if (sent < size) {
      ssize_t n = send(fd, data + sent, size - sent, MSG_NOSIGNAL);
      if (n > 0)
        sent += (size_t)n;
      else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
        sent = size; /* the server closed on us: fine */
    } else if (!closed_wr) {
      shutdown(fd, SHUT_WR);
      closed_wr = 1;
    }
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n > 0) {
      if (got < sizeof head)
        memcpy(head + got, buf, (size_t)n < sizeof head - got ? (size_t)n : sizeof head - got);
      got += (size_t)n;
    } else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
      break; /* closed (or reset) by the server */
    } else {
      struct pollfd p = {fd, POLLIN | (sent < size ? POLLOUT : 0), 0};
      poll(&p, 1, 1);
    }
    fuzz_require(now_ms() < deadline, "the server kept a half-closed connection open for 5 s");
  }
  fuzz_require(got == 0 || memcmp(head, "HTTP/1.", got < 7 ? got : 7) == 0,
               "the answer does not start as HTTP/1.x");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  int fd = connect_client();
  converse(fd, data, size);
  close(fd);
  /* the server side of the connection goes too, with its requests */
  parley_httpd_stats_t st;
  int64_t deadline = now_ms() + 5000;
  do {
    uv_run(&loop, UV_RUN_NOWAIT);
    parley_httpd_stats(server, &st);
    if (st.connections == 0 && n_later == 0)
      return 0;
    poll(NULL, 0, 1);
  } while (now_ms() < deadline);
  fuzz_fail("%zu connections still open 5 s after the client left", st.connections);
}
